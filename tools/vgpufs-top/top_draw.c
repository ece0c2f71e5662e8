/*
 * Drawing the full screen (ncurses): the header, worker and memory meters,
 * the summary, history graphs, the process table, the key line, and the
 * help over them. Colours when the terminal has them; block characters in
 * a UTF-8 locale, ASCII otherwise.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top_screen.h"

static void color_on(const struct screen *sc, int pair)
{
	if (sc->color)
		attron(COLOR_PAIR(pair));
}

static void color_off(const struct screen *sc, int pair)
{
	if (sc->color)
		attroff(COLOR_PAIR(pair));
}

/* A whole line Y in reverse video (or the title colour) holding TEXT. */
static void bar_line(const struct screen *sc, int y, const char *text)
{
	attron(A_REVERSE);
	color_on(sc, PAIR_TITLE);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, text, COLS);
	color_off(sc, PAIR_TITLE);
	attroff(A_REVERSE);
}

static void draw_header(const struct screen *sc)
{
	char line[512], up[32], right[32];
	time_t t = time(NULL);
	struct tm tm;
	size_t n =
	    strftime(right, sizeof(right), " %H:%M:%S ", localtime_r(&t, &tm));
	if (sc->paused)
		snprintf(right + n, sizeof(right) - n, "[PAUSED]");
	if (sc->have_view) {
		const vgpu_stats *st = sc->view.st;
		top_uptime(st->uptime_seconds, up, sizeof(up));
		snprintf(line, sizeof(line),
			 " " TOP_NAME " %s  %s  vgpufsd %s  up %s  %u workers",
			 vgpu_version(), sc->o->device, st->version, up,
			 st->nworkers);
	} else {
		snprintf(line, sizeof(line), " " TOP_NAME " %s  %s",
			 vgpu_version(), sc->o->device);
	}
	bar_line(sc, 0, line);
	/* the time on the right, over the end of a line too long */
	int x = COLS - (int)strlen(right);
	attron(A_REVERSE);
	color_on(sc, PAIR_TITLE);
	mvaddnstr(0, x > 0 ? x : 0, right, COLS);
	color_off(sc, PAIR_TITLE);
	attroff(A_REVERSE);
}

static int level_pair(double frac)
{
	return frac < 0.5 ? PAIR_LOW : frac < 0.8 ? PAIR_MID : PAIR_HIGH;
}

/*
 * An htop-style meter at Y, X of WIDTH columns: "LABEL[|||||    TEXT]",
 * FRAC of it filled.
 */
static void meter(const struct screen *sc, int y, int x, int width,
		  const char *label, double frac, const char *text, int pair)
{
	int lw = (int)strlen(label);
	int inner = width - lw - 2;
	if (inner < 4)
		return;
	color_on(sc, PAIR_LABEL);
	mvaddstr(y, x, label);
	color_off(sc, PAIR_LABEL);
	attron(A_BOLD);
	addch('[');
	attroff(A_BOLD);
	if (!(frac >= 0))
		frac = 0;
	int fill = (int)lround((frac > 1 ? 1 : frac) * inner);
	int tlen = (int)strlen(text);
	if (tlen > inner)
		tlen = inner;
	for (int i = 0; i < inner; i++) {
		bool in_text = i >= inner - tlen;
		if (in_text) {
			addch((unsigned char)text[i - (inner - tlen)] | A_BOLD);
		} else if (i < fill) {
			color_on(sc, pair);
			addch('|');
			color_off(sc, pair);
		} else {
			addch(' ');
		}
	}
	attron(A_BOLD);
	addch(']');
	attroff(A_BOLD);
}

/* The worker meters from row Y, in columns; returns the next row. */
static int draw_workers(const struct screen *sc, int y, int max_rows)
{
	const struct top_view *v = &sc->view;
	unsigned n = v->st->nworkers;
	int cols = n > 4 && COLS >= 80 ? 2 : 1;
	int rows = (int)((n + (unsigned)cols - 1) / (unsigned)cols);
	if (rows > max_rows)
		rows = max_rows;
	unsigned shown = (unsigned)(rows * cols);
	int width = COLS / cols - 1;
	for (unsigned w = 0; w < n && w < shown; w++) {
		char label[16], text[64];
		int row = y + (int)(w % (unsigned)rows);
		int x = (int)(w / (unsigned)rows) * (width + 1);
		if (w == shown - 1 && n > shown) {
			double sum = 0;
			for (unsigned i = w; i < n; i++)
				sum += v->worker_pct[i];
			snprintf(label, sizeof(label), "%3u+", w);
			snprintf(text, sizeof(text), "%.1f%% avg of %u",
				 sum / (n - w), n - w);
			meter(sc, row, x, width, label, sum / (n - w) / 100,
			      text, level_pair(sum / (n - w) / 100));
			break;
		}
		snprintf(label, sizeof(label), "%4u", w);
		snprintf(text, sizeof(text), "%s %5.1f%%",
			 v->st->workers[w].kernel, v->worker_pct[w]);
		meter(sc, row, x, width, label, v->worker_pct[w] / 100, text,
		      level_pair(v->worker_pct[w] / 100));
	}
	return y + rows;
}

static int draw_tiers(const struct screen *sc, int y)
{
	const vgpu_stats *st = sc->view.st;
	for (size_t t = 0; t < st->ntiers; t++) {
		const vgpu_stats_tier *tr = &st->tiers[t];
		char label[24], used[16], total[16], text[48];
		human_size(tr->used_bytes, used, sizeof(used));
		human_size(tr->total_bytes, total, sizeof(total));
		snprintf(label, sizeof(label), "%4.4s", tr->name);
		snprintf(text, sizeof(text), "%s/%s", used, total);
		double frac = tr->total_bytes ? (double)tr->used_bytes /
						    (double)tr->total_bytes
					      : 0;
		meter(sc, y++, 0, COLS - 1, label, frac, text, PAIR_MEM);
	}
	return y;
}

static int draw_summary(const struct screen *sc, int y)
{
	const struct top_view *v = &sc->view;
	char line[512];
	snprintf(line, sizeof(line),
		 " Util %.1f%%  Commands %.1f/s  Failed %.1f/s  %.2f GFLOP/s  "
		 "%.2f GB/s  Contexts %llu  Buffers %llu  Total %llu",
		 v->util_pct, v->commands_per_s, v->failed_per_s, v->gflops,
		 v->gbytes_per_s, (unsigned long long)v->st->open_contexts,
		 (unsigned long long)v->st->buffers,
		 (unsigned long long)v->st->commands_total);
	mvaddnstr(y, 0, line, COLS);
	return y + 1;
}

static int by_count(const void *a, const void *b)
{
	uint64_t x = (*(const vgpu_stats_program *const *)a)->count;
	uint64_t y = (*(const vgpu_stats_program *const *)b)->count;
	return (x < y) - (x > y);
}

/* Users' kernels, most launched first, as many as the line holds. */
static int draw_user_kernels(const struct screen *sc, int y)
{
	const vgpu_stats *st = sc->view.st;
	const vgpu_stats_program **k =
	    st->nprograms ? malloc(st->nprograms * sizeof(*k)) : NULL;
	if (!k)
		return y;
	for (size_t i = 0; i < st->nprograms; i++)
		k[i] = &st->programs[i];
	qsort(k, st->nprograms, sizeof(*k), by_count);
	char line[1024];
	size_t n = (size_t)snprintf(line, sizeof(line), " User kernels:");
	for (size_t i = 0;
	     i < st->nprograms && n < (size_t)COLS && n < sizeof(line) - 1; i++)
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n,
		    "  %s:%s %llu (%llu failed, %.2f s)", k[i]->program,
		    k[i]->kernel, (unsigned long long)k[i]->count,
		    (unsigned long long)k[i]->failed, k[i]->seconds);
	free(k);
	mvaddnstr(y, 0, line, COLS);
	return y + 1;
}

/* "1.2k" style numbers for graph titles. */
static void short_number(double x, char *out, size_t len)
{
	if (x >= 1e9)
		snprintf(out, len, "%.1fG", x / 1e9);
	else if (x >= 1e6)
		snprintf(out, len, "%.1fM", x / 1e6);
	else if (x >= 1e3)
		snprintf(out, len, "%.1fk", x / 1e3);
	else
		snprintf(out, len, "%.1f", x);
}

/*
 * A history graph in the box Y, X, H rows (title included), W columns;
 * the newest value on the right, scaled to MAX.
 */
static void graph(const struct screen *sc, int y, int x, int h, int w,
		  enum top_series s, const char *title, double max)
{
	static const char *const eighths[9] = {" ",	 "\u2581", "\u2582",
					       "\u2583", "\u2584", "\u2585",
					       "\u2586", "\u2587", "\u2588"};
	attron(A_BOLD);
	mvaddnstr(y, x, title, w);
	attroff(A_BOLD);
	int rows = h - 1;
	if (rows < 1 || w < 2)
		return;
	color_on(sc, s == SER_MEM ? PAIR_MEM : PAIR_GRAPH);
	for (int c = 0; c < w; c++) {
		size_t i = (size_t)(w - 1 - c); /* age of this column */
		double frac = i < sc->hist.len && max > 0
				  ? top_history_get(&sc->hist, s, i) / max
				  : 0;
		if (frac > 1)
			frac = 1;
		int units = (int)lround(frac * rows * 8);
		if (units == 0 && frac > 0)
			units = 1; /* any activity shows */
		for (int r = 0; r < rows; r++) {
			int u = units - r * 8;
			u = u < 0 ? 0 : u > 8 ? 8 : u;
			int yy = y + rows - r, xx = x + c;
			if (sc->utf8)
				mvaddstr(yy, xx, eighths[u]);
			else
				mvaddch(yy, xx,
					u >= 6	 ? '#'
					: u >= 1 ? '.'
						 : ' ');
		}
	}
	color_off(sc, s == SER_MEM ? PAIR_MEM : PAIR_GRAPH);
}

/* Four graphs, two by two, in H rows from Y. */
static void draw_graphs(const struct screen *sc, int y, int h)
{
	const struct top_view *v = &sc->view;
	int gw = COLS / 2 - 1, gh = h / 2;
	size_t n = (size_t)gw;
	char title[128], a[32], b[32];
	snprintf(title, sizeof(title), "Utilization %.1f%% (of 100%%)",
		 v->util_pct);
	graph(sc, y, 0, gh, gw, SER_UTIL, title, 100);
	double cmax = top_history_max(&sc->hist, SER_COMMANDS, n);
	short_number(v->commands_per_s, a, sizeof(a));
	short_number(cmax, b, sizeof(b));
	snprintf(title, sizeof(title), "Commands/s %s (max %s)", a, b);
	graph(sc, y, gw + 2, gh, gw, SER_COMMANDS, title, cmax);
	double fmax = top_history_max(&sc->hist, SER_GFLOPS, n);
	snprintf(title, sizeof(title), "GFLOP/s %.2f (max %.2f)", v->gflops,
		 fmax);
	graph(sc, y + gh, 0, h - gh, gw, SER_GFLOPS, title, fmax);
	human_size(v->mem_used, a, sizeof(a));
	human_size(v->mem_total, b, sizeof(b));
	snprintf(title, sizeof(title), "Memory %s (of %s)", a, b);
	graph(sc, y + gh, gw + 2, h - gh, gw, SER_MEM, title,
	      (double)v->mem_total);
}

/* Column widths of the table; the command takes the rest. */
static const int col_width[COL_COUNT] = {
    [COL_PID] = 7,	[COL_USER] = 9,	    [COL_CTX] = 4, [COL_QUEUED] = 7,
    [COL_INFLIGHT] = 8, [COL_RUNNING] = 12, [COL_GPU] = 6, [COL_TIME] = 10,
    [COL_MEM] = 7,	[COL_COMMAND] = 15,
};

static bool left_aligned(enum top_col c)
{
	return c == COL_USER || c == COL_RUNNING || c == COL_COMMAND;
}

static void cell(char *out, size_t len, const struct top_proc *p,
		 enum top_col c)
{
	switch (c) {
	case COL_PID:
		snprintf(out, len, "%d", p->pid);
		break;
	case COL_USER:
		snprintf(out, len, "%s", p->user);
		break;
	case COL_CTX:
		snprintf(out, len, "%u", p->contexts);
		break;
	case COL_QUEUED:
		snprintf(out, len, "%u", p->queued);
		break;
	case COL_INFLIGHT:
		snprintf(out, len, "%u", p->inflight);
		break;
	case COL_RUNNING:
		snprintf(out, len, "%s", p->running);
		break;
	case COL_GPU:
		snprintf(out, len, "%.1f", p->gpu_pct);
		break;
	case COL_TIME:
		top_cputime(p->busy_seconds, out, len);
		break;
	case COL_MEM:
		human_size(p->mem_bytes, out, len);
		break;
	case COL_COMMAND:
	case COL_COUNT:
		snprintf(out, len, "%s", p->comm);
		break;
	}
	/* names come from other processes: show only printable ASCII */
	for (char *q = out; *q; q++)
		if (*q < ' ' || *q > '~')
			*q = '?';
}

/* One table line: CELLS padded to their widths, the command last. */
static void table_line(char *line, size_t len, char cells[COL_COUNT][64])
{
	size_t at = 0;
	for (int c = 0; c < COL_COUNT && at < len; c++) {
		int w = col_width[c], n;
		if (c == COL_COMMAND)
			n = snprintf(line + at, len - at, "%s", cells[c]);
		else
			n = snprintf(line + at, len - at,
				     left_aligned((enum top_col)c) ? "%-*.*s "
								   : "%*.*s ",
				     w, w, cells[c]);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

static void draw_table(struct screen *sc, int y, int h)
{
	if (h < 2)
		return;
	char cells[COL_COUNT][64], line[1024];
	for (int c = 0; c < COL_COUNT; c++)
		snprintf(cells[c], sizeof(cells[c]), "%s", top_col_names[c]);
	table_line(line, sizeof(line), cells);
	attron(A_REVERSE);
	color_on(sc, PAIR_TABLE);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, line, COLS);
	color_off(sc, PAIR_TABLE);
	attroff(A_REVERSE);
	/* the sort column stands out */
	int x = 0;
	for (int c = 0; c < (int)sc->sort; c++)
		x += col_width[c] + 1;
	if (x < COLS) {
		attron(A_BOLD | A_REVERSE);
		color_on(sc, PAIR_SORTED);
		mvaddnstr(y, x, line + x, col_width[sc->sort]);
		color_off(sc, PAIR_SORTED);
		attroff(A_BOLD | A_REVERSE);
	}
	const struct top_view *v = &sc->view;
	size_t rows = (size_t)h - 1;
	if (v->nprocs <= rows)
		sc->scroll = 0;
	else if (sc->scroll > v->nprocs - rows)
		sc->scroll = v->nprocs - rows;
	for (size_t i = 0; i < rows && sc->scroll + i < v->nprocs; i++) {
		const struct top_proc *p = &v->procs[sc->scroll + i];
		for (int c = 0; c < COL_COUNT; c++)
			cell(cells[c], sizeof(cells[c]), p, (enum top_col)c);
		table_line(line, sizeof(line), cells);
		mvaddnstr(y + 1 + (int)i, 0, line, COLS);
	}
	if (v->nprocs == 0)
		mvaddnstr(y + 1, 1, "no contexts open", COLS - 1);
}

static const char *sort_order(const struct screen *sc)
{
	bool text = left_aligned(sc->sort) || sc->sort == COL_PID;
	return text != sc->reverse ? "asc" : "desc";
}

static void draw_footer(const struct screen *sc)
{
	char line[256];
	snprintf(line, sizeof(line),
		 " q Quit  h Help  p %s  s/</> Sort: %s %s  r Reverse",
		 sc->paused ? "Resume" : "Pause", top_col_names[sc->sort],
		 sort_order(sc));
	bar_line(sc, LINES - 1, line);
}

static void draw_message(const struct screen *sc)
{
	char retry[128];
	if (!sc->error[0]) { /* the first reading is under way */
		mvaddnstr(LINES / 2 - 1, 1, "reading the device...", COLS - 1);
		return;
	}
	snprintf(retry, sizeof(retry), "retrying every %g s; q quits",
		 sc->o->delay);
	int y = LINES / 2 - 1;
	int len = (int)strlen(sc->error);
	int x = len < COLS ? (COLS - len) / 2 : 0;
	attron(A_BOLD);
	color_on(sc, PAIR_ERROR);
	mvaddnstr(y, x, sc->error, COLS);
	color_off(sc, PAIR_ERROR);
	attroff(A_BOLD);
	len = (int)strlen(retry);
	mvaddnstr(y + 2, len < COLS ? (COLS - len) / 2 : 0, retry, COLS);
}

/* Corners and lines: top-left, horizontal, top-right, vertical, ... */
static const char *const box_utf8[6] = {"\u250c", "\u2500", "\u2510",
					"\u2502", "\u2514", "\u2518"};
static const char *const box_ascii[6] = {"+", "-", "+", "|", "+", "+"};

static void draw_help(const struct screen *sc)
{
	static const char *const lines[] = {
	    TOP_NAME " keys",
	    "",
	    "q             quit",
	    "h ?           this help; any key closes it",
	    "p space       pause / resume",
	    "s > F6        sort by the next column",
	    "<             sort by the previous column",
	    "r             reverse the order",
	    "Up Down PgUp PgDn Home End   scroll the processes",
	    "",
	    "GPU%: share of all workers' time in the last interval;",
	    "TIME: worker time used; MEM: buffers the process created.",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0]));
	int w = 60 < COLS - 2 ? 60 : COLS - 2, h = n + 2;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	if (y < 0)
		y = 0;
	for (int r = 0; r < h && y + r < LINES; r++) {
		mvhline(y + r, x, ' ', w);
		if (r > 0 && r < h - 1)
			mvaddnstr(y + r, x + 2, lines[r - 1], w - 4);
	}
	/* ACS lines need the terminal's alternate set: plain text is safer */
	const char *const *b = sc->utf8 ? box_utf8 : box_ascii;
	attron(A_BOLD);
	for (int c = 1; c < w - 1; c++) {
		mvaddstr(y, x + c, b[1]);
		mvaddstr(y + h - 1, x + c, b[1]);
	}
	for (int r = 1; r < h - 1; r++) {
		mvaddstr(y + r, x, b[3]);
		mvaddstr(y + r, x + w - 1, b[3]);
	}
	mvaddstr(y, x, b[0]);
	mvaddstr(y, x + w - 1, b[2]);
	mvaddstr(y + h - 1, x, b[4]);
	mvaddstr(y + h - 1, x + w - 1, b[5]);
	attroff(A_BOLD);
}

void screen_draw(struct screen *sc)
{
	erase();
	if (LINES < 8 || COLS < 40) {
		mvaddnstr(0, 0, "terminal too small (40x8 at least)", COLS);
		refresh();
		return;
	}
	draw_header(sc);
	if (!sc->have_view) {
		draw_message(sc);
	} else {
		int y = draw_workers(sc, 1, LINES / 4 > 1 ? LINES / 4 : 1);
		y = draw_tiers(sc, y);
		y = draw_summary(sc, y);
		y = draw_user_kernels(sc, y);
		int table = LINES - 1 - y; /* rows left above the key line */
		int graphs = table - 6;	   /* the table keeps 6 at least */
		if (graphs > (LINES - y) / 2)
			graphs = (LINES - y) / 2;
		if (graphs >= 6) {
			draw_graphs(sc, y + 1, graphs - 1);
			y += graphs;
		}
		draw_table(sc, y, LINES - 1 - y);
	}
	draw_footer(sc);
	if (sc->help)
		draw_help(sc);
	refresh();
}
