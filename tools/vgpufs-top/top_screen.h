/*
 * The full screen's state, shared by its two halves: top_screen.c (the
 * loop, readings, keys) and top_draw.c (drawing it).
 */
#ifndef VGPUFS_TOP_SCREEN_H
#define VGPUFS_TOP_SCREEN_H

#include "top.h"

enum {
	PAIR_TITLE = 1,
	PAIR_LOW,
	PAIR_MID,
	PAIR_HIGH,
	PAIR_GRAPH,
	PAIR_MEM,
	PAIR_ERROR,
	PAIR_TABLE,
	PAIR_SORTED,
	PAIR_LABEL,
};

struct screen {
	const struct top_options *o;
	struct top_view view;
	bool have_view;
	struct top_history hist;
	char error[512]; /* why the device cannot be read; "" when it can */
	bool paused, help, color, utf8;
	enum top_col sort;
	bool reverse;
	size_t scroll; /* first process row shown */
	long refreshes;
};

/*
 * Draws the whole screen afresh from SC: after a reading, a key or a
 * resize, so a resize never leaves pieces of the old layout behind.
 */
void screen_draw(struct screen *sc);

#endif
