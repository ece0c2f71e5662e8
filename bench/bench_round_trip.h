/*
 * Round trips of one message on an open file (a context's queue, the bare
 * file system's file): write it, read the answer, time the two; and two
 * kinds of them measured in alternating blocks, so that drift in the
 * machine (this is often a VM) hits both alike.
 */
#ifndef VGPUFS_BENCH_ROUND_TRIP_H
#define VGPUFS_BENCH_ROUND_TRIP_H

#include <stddef.h>

/* A round trip's message: what is written, how much is read back (at most
 * 256 bytes). */
struct message {
	const void *data;
	size_t len, read_len;
};

/* N write+read round trips on FD of M; latencies in microseconds. */
void round_trips(int fd, const struct message *m, double *lat, int n);

/*
 * About N round trips of A on FA and of B on FB, alternating in blocks,
 * after a warm-up; latencies in LA and LB. Returns how many of each.
 */
int alternate(int fa, const struct message *a, double *la, int fb,
	      const struct message *b, double *lb, int n);

#endif
