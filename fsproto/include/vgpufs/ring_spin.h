/*
 * The spin before sleeping on a futex: the daemon's ring pollers waiting
 * for packets, libvgpu's waiters for completions, the scheduler's workers
 * for jobs. Spinning pays on an idle machine (a wake-up costs more than
 * the wait) and hurts on a busy one (the spinner takes the CPU the other
 * side needs, and a spinner preempted mid-spin answers only when the
 * scheduler comes back to it). A preempted spinner stops at once and
 * halves its budget.
 *
 * The workers' budget (vgpu_spin_init) adapts by how long a sleep lasted:
 * a wait that ended soon after the spin gave up doubles it, one that
 * ended late halves it. A ring's sides cannot judge by that: a sleep
 * lasts at least a wake-up (tens of microseconds on the VM measured, more
 * than the client's whole spin), so every sleep read as "spinning did not
 * pay", both budgets shrank, and from then on both sides slept on every
 * round trip, each waiting longer than its spin for the other's wake-up
 * (docs/benchmarks.md). So a ring side's budget (vgpu_spin_init_ring)
 * has a floor that neither sleeps nor preemptions go below, and after a
 * sleep it adapts by when the other side answered, the sleeper's own
 * wake-up left out (vgpu_spin_answered): an answer the budget could have
 * caught grows it, a sleep never shrinks it by its length. The floor
 * costs when both sides share one CPU (the other CPUs busy): each then
 * waits for the other's whole spin. Pure: times are given.
 */
#ifndef VGPUFS_RING_SPIN_H
#define VGPUFS_RING_SPIN_H

#include <stdbool.h>
#include <stdint.h>

/* A gap this long between two looks at the ring: the spinner was
 * preempted (a look takes well under a microsecond). */
#define VGPU_SPIN_PREEMPTED_NS (20 * 1000)

/* The pause in a spin: on a ring's indices, or a worker's next job. */
static inline void vgpu_ring_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

struct vgpu_spin {
	uint64_t budget_ns, max_ns;
	uint64_t floor_ns; /* the budget never shrinks below it */
	uint64_t last_ns;  /* the spin's previous look, 0 before the first */
};

/* A worker's budget: at most MAX_NS, down to nothing. */
static inline void vgpu_spin_init(struct vgpu_spin *s, uint64_t max_ns)
{
	s->budget_ns = s->max_ns = max_ns;
	s->floor_ns = 0;
	s->last_ns = 0;
}

/* A ring side's budget: FLOOR_NS to MAX_NS, starting at FLOOR_NS (0 and
 * 0: sleep at once). */
static inline void vgpu_spin_init_ring(struct vgpu_spin *s, uint64_t floor_ns,
				       uint64_t max_ns)
{
	s->floor_ns = s->budget_ns = floor_ns;
	s->max_ns = max_ns > floor_ns ? max_ns : floor_ns;
	s->last_ns = 0;
}

/* The budget halved, down to the floor. */
static inline void vgpu_spin_halve(struct vgpu_spin *s)
{
	s->budget_ns /= 2;
	if (s->budget_ns < s->floor_ns)
		s->budget_ns = s->floor_ns;
}

/*
 * One more look at NOW_NS, SPUN_NS into the wait: whether to go on
 * spinning. A preempted spinner stops at once, and halves the budget
 * (down to the floor).
 */
static inline bool vgpu_spin_more(struct vgpu_spin *s, uint64_t now_ns,
				  uint64_t spun_ns)
{
	bool preempted =
	    s->last_ns && now_ns - s->last_ns > VGPU_SPIN_PREEMPTED_NS;
	s->last_ns = now_ns;
	if (preempted) {
		vgpu_spin_halve(s);
		return false;
	}
	return spun_ns < s->budget_ns;
}

/* A sleep is over and the wait goes on: the time asleep between the
 * spin's last look and its next is no preemption. */
static inline void vgpu_spin_resume(struct vgpu_spin *s)
{
	s->last_ns = 0;
}

/* A worker's wait is over: it ended while spinning (SLEPT_NS 0), or
 * after sleeping SLEPT_NS. (A ring side's: vgpu_spin_done(s, 0), or
 * vgpu_spin_answered().) */
static inline void vgpu_spin_done(struct vgpu_spin *s, uint64_t slept_ns)
{
	s->last_ns = 0;
	if (slept_ns == 0)
		return;		    /* spinning paid: keep the budget */
	if (slept_ns < s->max_ns) { /* a longer spin would have caught it */
		uint64_t more = s->budget_ns * 2 + 1000;
		s->budget_ns = more < s->max_ns ? more : s->max_ns;
	} else {
		vgpu_spin_halve(s);
	}
}

/*
 * An answer that came this soon after the spin gave up came because it
 * gave up: the other side was waiting for the spinner's CPU (the
 * bench's hand-offs took 4 to 10 us; a wake-up from sleep here takes
 * longer).
 */
#define VGPU_SPIN_HANDOFF_NS (10 * 1000)

/*
 * A ring side's wait ended after a sleep: the spin gave up GAVE_UP_NS into
 * the wait, and the other side answered ANSWER_NS into it (the sleeper's
 * wake-up not counted). A sleep never shrinks the budget by its own
 * length. An answer the budget could have caught (at most MAX_NS) grows it
 * to half as much again, so that the next such one is caught spinning;
 * one later than that, or one that came only once the spin gave up (the
 * spin held the CPU the other side needed), halves it, down to the floor.
 */
static inline void vgpu_spin_answered(struct vgpu_spin *s, uint64_t gave_up_ns,
				      uint64_t answer_ns)
{
	s->last_ns = 0;
	bool handoff = answer_ns >= gave_up_ns &&
		       answer_ns - gave_up_ns < VGPU_SPIN_HANDOFF_NS;
	if (answer_ns > s->max_ns || handoff) {
		vgpu_spin_halve(s);
		return;
	}
	uint64_t want = answer_ns + answer_ns / 2 + 1000;
	want = want < s->max_ns ? want : s->max_ns;
	if (want > s->budget_ns)
		s->budget_ns = want;
}

/*
 * Whether a ring's poller spins after taking packets, by how they came:
 * not once each of the last VGPU_GAPS_FAR_RUN came more than 4 windows
 * after the ring went quiet. Their spin caught none of them and each
 * cost the spin and then a wake-up anyway, where sleeping at once costs
 * the wake-up alone (beside busy workers the spin takes a CPU from one).
 * One packet closer than that brings the spin back. 4 windows: a gap
 * measured after a sleep includes the wake-up (20-35 us here, 80 and
 * more on a loaded machine), and a client in the cycle where both sides
 * sleep (internals.md) sends its packets 85-125 us apart: it keeps the
 * spin that lets it out of the cycle.
 * But on a loaded machine a wake-up alone can take longer than that: a
 * client that submits again at once would then read as far for ever, so
 * one packet in VGPU_GAPS_PROBE is spun after all (a probe), and the
 * packet it catches brings the spin back. Pure: gaps are given.
 */
#define VGPU_GAPS_FAR_RUN 8
#define VGPU_GAPS_PROBE	  8

struct vgpu_gaps {
	unsigned far; /* the last packets in a row that came far */
};

/* Packets came GAP_NS after the ring went quiet; WINDOW_NS is the spin's. */
static inline void vgpu_gaps_note(struct vgpu_gaps *g, uint64_t gap_ns,
				  uint64_t window_ns)
{
	if (gap_ns <= 4 * window_ns)
		g->far = 0;
	else if (++g->far >= VGPU_GAPS_FAR_RUN + VGPU_GAPS_PROBE)
		g->far = VGPU_GAPS_FAR_RUN; /* after a probe: a new round */
}

/* Whether to spin before sleeping. */
static inline bool vgpu_gaps_spin(const struct vgpu_gaps *g)
{
	return g->far < VGPU_GAPS_FAR_RUN ||
	       g->far == VGPU_GAPS_FAR_RUN + VGPU_GAPS_PROBE - 1;
}

#endif
