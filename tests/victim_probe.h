/*
 * What an innocent user sees while an attack is under way: the round trip
 * of a nop, of a small gemm (64x64x64) and of reading the info file, timed
 * from a context and buffers of its own. The hostile suites print it as
 * their summary line for each attack.
 */
#ifndef VGPUFS_TESTS_VICTIM_PROBE_H
#define VGPUFS_TESTS_VICTIM_PROBE_H

#include "harness.h"

/* Microseconds: the median and the slowest of the probe's rounds. */
struct probe_latency {
	double p50_us, max_us;
};

struct probe_figures {
	struct probe_latency nop, gemm, info;
};

/*
 * Times VICTIM_ROUNDS of each on D and prints one line, "victim under
 * ATTACK: nop ... gemm 64^3 ... cat info ...". Fails the test if any of
 * them errs or one round takes longer than 5 s (a hang). Runs as the
 * caller, on buffers of its own (victim_a, _b, _c) that it removes again,
 * so that it leaves nothing in the daemon.
 */
struct probe_figures victim_probe(const struct daemon_proc *d,
				  const char *attack);

#endif
