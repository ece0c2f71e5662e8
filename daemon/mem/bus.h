/*
 * The virtual bus (--bus): a model of the link between host and device
 * and between the tiers, for people who study GPU systems. Each direction
 * is a link of one bandwidth and one latency that carries one transfer
 * after another; the daemon delays what it can see of a transfer (tier
 * moves, opens and closes of buffers) until the model says it would have
 * finished, and counts modelled against real time. See docs/bus.md.
 */
#ifndef VGPUFSD_BUS_H
#define VGPUFSD_BUS_H

#include <stdbool.h>
#include <stdint.h>

enum bus_dir {
	BUS_H2D,
	BUS_D2H,
	BUS_TIER_IN /* disk tier -> RAM */,
	BUS_TIER_OUT /* RAM -> disk tier */,
	BUS_DIR_COUNT
};

/*
 * From --bus: a profile name (bus_profiles in bus.c), "custom:bw=SIZE[/s],
 * lat=DURATION", or NULL/"none" for no bus. 0, or -EINVAL (nothing
 * changed). Called once, before any other thread runs.
 */
int bus_init(const char *spec);
bool bus_enabled(void);
/* The profiles' names, for messages: "pcie3x16, ...". */
const char *bus_profile_names(void);
const char *bus_dir_name(enum bus_dir dir);

/*
 * A transfer of BYTES in DIR that starts at START_NS (now_ns() clock,
 * CLOCK_MONOTONIC): returns when the modelled link would have finished
 * it. Transfers in one direction share that direction's link one after
 * another (full duplex: H2D and D2H independent; TIER_IN and TIER_OUT
 * likewise). Counts bytes and modelled time for stats. Thread-safe,
 * non-blocking. When off: returns START_NS and counts nothing.
 */
uint64_t bus_schedule(enum bus_dir dir, uint64_t bytes, uint64_t start_ns);
/* Records how long a transfer really took (stats: modelled vs real). */
void bus_account_real(enum bus_dir dir, uint64_t real_ns);
/*
 * Sleeps until T_NS (now_ns clock); returns at once when past. Between
 * bus_defer_begin() and bus_defer_end() on the calling thread it does
 * not sleep but keeps the latest T_NS: for a FUSE handler that answers
 * later (bus_pace.h) rather than hold its thread, which may be the only
 * one serving its CPU's queue.
 */
void bus_wait_until(uint64_t t_ns);
void bus_defer_begin(void);
/* The latest time bus_wait_until() was given since the begin; 0: none. */
uint64_t bus_defer_end(void);

struct bus_stats {
	bool enabled;
	char profile[32];    /* "none", a profile's name or "custom" */
	uint64_t bandwidth;  /* bytes per second */
	uint64_t latency_ns; /* per transfer */
	struct bus_dir_stats {
		uint64_t bytes, transfers;
		uint64_t modelled_ns; /* latency + bytes / bandwidth, summed */
		uint64_t real_ns;     /* as bus_account_real() heard */
		uint64_t waited_ns;   /* modelled end - start: queueing too */
	} dir[BUS_DIR_COUNT];
};
void bus_stats_read(struct bus_stats *s);

#endif
