/*
 * The adaptive spin both sides of a ring use before sleeping on a futex
 * (the daemon's poller waiting for packets, a client waiting for
 * completions). Spinning pays on an idle machine (a wake-up costs more
 * than the wait) and hurts on a busy one (the spinner takes the CPU the
 * other side needs, and a spinner preempted mid-spin answers only when
 * the scheduler comes back to it). So the budget follows what happened:
 * a wait that ended soon after the spin gave up doubles it, a spin that
 * did not pay or was preempted halves it. Pure: times are given.
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
	uint64_t last_ns; /* the spin's previous look, 0 before the first */
};

static inline void vgpu_spin_init(struct vgpu_spin *s, uint64_t max_ns)
{
	s->budget_ns = s->max_ns = max_ns;
	s->last_ns = 0;
}

/*
 * One more look at NOW_NS, SPUN_NS into the wait: whether to go on
 * spinning. A preempted spinner stops at once, and halves the budget.
 */
static inline bool vgpu_spin_more(struct vgpu_spin *s, uint64_t now_ns,
				  uint64_t spun_ns)
{
	bool preempted =
	    s->last_ns && now_ns - s->last_ns > VGPU_SPIN_PREEMPTED_NS;
	s->last_ns = now_ns;
	if (preempted) {
		s->budget_ns /= 2;
		return false;
	}
	return spun_ns < s->budget_ns;
}

/* The wait is over: it ended while spinning (SLEPT_NS 0), or after
 * sleeping SLEPT_NS. */
static inline void vgpu_spin_done(struct vgpu_spin *s, uint64_t slept_ns)
{
	s->last_ns = 0;
	if (slept_ns == 0)
		return;		    /* spinning paid: keep the budget */
	if (slept_ns < s->max_ns) { /* a longer spin would have caught it */
		uint64_t more = s->budget_ns * 2 + 1000;
		s->budget_ns = more < s->max_ns ? more : s->max_ns;
	} else {
		s->budget_ns /= 2;
	}
}

#endif
