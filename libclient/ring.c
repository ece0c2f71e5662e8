/*
 * A stream's submission ring. The daemon's poller spins while the ring is
 * busy; when it sleeps it says so in the header, and only then does a
 * submission cost a system call (FUTEX_WAKE on the doorbell). Completions
 * are awaited the same way: spin for a while, then FUTEX_WAIT on cq_tail
 * with cq_waiters set, so the daemon wakes us only when we sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/file_tree.h>
#include <vgpufs/ring_layout.h>
#include <vgpufs/ring_spin.h>

#include "ring.h"

#define LOAD(p)	    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
/* A sleeping client checks that the daemon is alive this often. */
#define SLEEP_CHECK_MS 1000

struct ring_client {
	int fd;
	struct vgpu_ring_header *hdr;
	unsigned char *sq;
	const struct vgpu_ring_completion *cq;
	const char (*msgs)[VGPU_RING_MSG_MAX];
	uint32_t tail;		/* bytes submitted */
	uint64_t cq_head;	/* records taken */
	struct vgpu_spin spin;	/* before sleeping (VGPU_WAIT_AUTO, _BLOCK) */
	bool forever;		/* never sleep (VGPU_WAIT_SPIN, _YIELD) */
	bool yield;		/* sched_yield() while spinning */
	uint64_t next_check_ns; /* a spinning waiter asks if the daemon lives */
	char error[VGPU_RING_MSG_MAX];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ring_client_open(int dirfd, struct ring_client **out)
{
	static atomic_uint counter;
	char name[96];
	/* Any new name will do: the ring is unlinked as it is made. */
	snprintf(name, sizeof(name), "%s/%d.%u", VGPU_DIR_RINGS, (int)getpid(),
		 atomic_fetch_add(&counter, 1));
	struct ring_client *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	rc->fd =
	    openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int err = rc->fd < 0 ? -errno : 0;
	void *map = MAP_FAILED;
	if (!err) {
		map = mmap(NULL, VGPU_RING_BYTES, PROT_READ | PROT_WRITE,
			   MAP_SHARED, rc->fd, 0);
		if (map == MAP_FAILED)
			err = -errno;
	}
	if (!err) {
		const struct vgpu_ring_header *h = map;
		if (h->magic != VGPU_RING_MAGIC ||
		    h->version != VGPU_RING_VERSION ||
		    h->sq_bytes != VGPU_RING_SQ_BYTES ||
		    h->cq_entries != VGPU_RING_CQ_ENTRIES)
			err = -EPROTO;
	}
	if (err) {
		if (map != MAP_FAILED)
			munmap(map, VGPU_RING_BYTES);
		if (rc->fd >= 0)
			close(rc->fd);
		free(rc);
		return err;
	}
	rc->hdr = map;
	rc->sq = (unsigned char *)map + VGPU_RING_SQ_OFFSET;
	rc->cq = (const struct vgpu_ring_completion *)((char *)map +
						       VGPU_RING_CQ_OFFSET);
	rc->msgs = (const char(*)[VGPU_RING_MSG_MAX])((char *)map +
						      VGPU_RING_MSG_OFFSET);
	ring_client_set_wait(rc, ring_client_auto_spin(), false);
	*out = rc;
	return 0;
}

void ring_client_close(struct ring_client *rc)
{
	if (!rc)
		return;
	munmap(rc->hdr, VGPU_RING_BYTES);
	close(rc->fd);
	free(rc);
}

int ring_client_fd(const struct ring_client *rc)
{
	return rc->fd;
}

uint64_t ring_client_auto_spin(void)
{
	/* One CPU: the daemon's poller needs the one a spinner holds. */
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? RING_CLIENT_SPIN_NS : 0;
}

void ring_client_set_wait(struct ring_client *rc, uint64_t spin_ns, bool yield)
{
	rc->forever = spin_ns == UINT64_MAX;
	if (rc->forever || spin_ns == 0)
		vgpu_spin_init_ring(&rc->spin, 0, 0);
	else
		vgpu_spin_init_ring(&rc->spin, spin_ns,
				    RING_CLIENT_SPIN_MAX_NS);
	rc->yield = yield;
}

const char *ring_client_error(const struct ring_client *rc)
{
	return rc->error;
}

/*
 * After advancing an index: wakes the daemon's poller if it sleeps (after
 * consuming completions, FOR_ROOM: only if it sleeps for their room).
 */
static void ring_doorbell(struct ring_client *rc, bool for_room)
{
	/* Pairs with the poller's store of poller_sleeping before its last
	 * look at the indices. */
	uint32_t sleeping =
	    __atomic_load_n(&rc->hdr->poller_sleeping, __ATOMIC_SEQ_CST);
	if (!sleeping || (for_room && sleeping != VGPU_RING_SLEEPS_FOR_ROOM) ||
	    !__atomic_exchange_n(&rc->hdr->poller_sleeping, 0u,
				 __ATOMIC_SEQ_CST))
		return; /* awake, or already woken by an earlier submission */
	__atomic_fetch_add(&rc->hdr->doorbell, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &rc->hdr->doorbell, FUTEX_WAKE, 1, NULL, NULL, 0);
}

size_t ring_client_submit(struct ring_client *rc, const char *data, size_t len)
{
	uint32_t room =
	    VGPU_RING_SQ_BYTES - (rc->tail - LOAD(&rc->hdr->sq_head));
	size_t taken = len;
	if (len > room) { /* the whole packets that fit */
		taken = 0;
		while (len - taken >= sizeof(struct vgpu_bin_header)) {
			uint32_t size = vgpu_bin_size(data + taken);
			if (size > room - taken || size > len - taken)
				break;
			taken += size;
		}
	}
	if (taken == 0)
		return 0;
	/* One copy (two across the wrap) for all of them. */
	uint32_t at = rc->tail & (VGPU_RING_SQ_BYTES - 1);
	size_t first =
	    VGPU_RING_SQ_BYTES - at < taken ? VGPU_RING_SQ_BYTES - at : taken;
	memcpy(rc->sq + at, data, first);
	memcpy(rc->sq, data + first, taken - first);
	rc->tail += (uint32_t)taken;
	STORE(&rc->hdr->sq_tail, rc->tail);
	ring_doorbell(rc, false);
	return taken;
}

/* Copies the records that are ready; returns how many (or -EPROTO). */
static int take_ready(struct ring_client *rc, struct vgpu_ring_completion *out,
		      char (*msgs)[VGPU_RING_MSG_MAX], int max)
{
	uint32_t ready = LOAD(&rc->hdr->cq_tail) - (uint32_t)rc->cq_head;
	if (ready > VGPU_RING_CQ_ENTRIES) {
		snprintf(rc->error, sizeof(rc->error),
			 "ring: %u completions ready: more than the ring holds",
			 ready);
		return -EPROTO;
	}
	int n = ready < (uint32_t)max ? (int)ready : max;
	if (n == 0)
		return 0;
	uint32_t at = (uint32_t)rc->cq_head & (VGPU_RING_CQ_ENTRIES - 1);
	uint32_t first = VGPU_RING_CQ_ENTRIES - at < (uint32_t)n
			     ? VGPU_RING_CQ_ENTRIES - at
			     : (uint32_t)n;
	memcpy(out, &rc->cq[at], first * sizeof(*out));
	memcpy(out + first, rc->cq, (n - first) * sizeof(*out));
	/* The message slot is read for failures only. */
	for (int i = 0; i < n; i++)
		if (out[i].status < 0)
			snprintf(msgs[i], VGPU_RING_MSG_MAX, "%.*s",
				 VGPU_RING_MSG_MAX - 1,
				 rc->msgs[(at + (uint32_t)i) &
					  (VGPU_RING_CQ_ENTRIES - 1)]);
	rc->cq_head += (uint32_t)n;
	STORE(&rc->hdr->cq_head, (uint32_t)rc->cq_head);
	ring_doorbell(rc, true); /* room for a poller waiting for it */
	return n;
}

/* The ring broke, or the daemon is gone: -errno, or 0 if neither. */
static int ring_failed(struct ring_client *rc, bool ask_daemon)
{
	int32_t err = LOAD(&rc->hdr->error);
	if (err < 0) {
		snprintf(rc->error, sizeof(rc->error), "%.*s",
			 VGPU_RING_MSG_MAX - 1, rc->hdr->error_msg);
		return err;
	}
	struct stat st;
	if (ask_daemon && fstat(rc->fd, &st) < 0 && errno == ENOTCONN) {
		snprintf(rc->error, sizeof(rc->error),
			 "ring: the device's daemon is gone");
		return -ENOTCONN;
	}
	return 0;
}

/* A thread that never sleeps: one more turn of its spin. */
static int spin_turn(struct ring_client *rc, uint64_t waited)
{
	if (rc->yield)
		sched_yield();
	else
		vgpu_ring_relax();
	/* it still notices a dead daemon */
	if (waited > rc->next_check_ns) {
		rc->next_check_ns = waited + SLEEP_CHECK_MS * 1000000ull;
		return ring_failed(rc, true);
	}
	return 0;
}

/*
 * Sleeps on cq_tail (at most NS) while it is still at what was taken; 0, or
 * -errno. Not on a fresh load of it: a record posted since the last look
 * would then be slept through until the next one, or the timeout (the
 * ring's 1-second round trips).
 */
static int sleep_turn(struct ring_client *rc, uint64_t ns)
{
	int err = 0;
	uint32_t seen = (uint32_t)rc->cq_head;
	STORE(&rc->hdr->cq_waiters, vgpu_ring_waiter(seen));
	if (__atomic_load_n(&rc->hdr->cq_tail, __ATOMIC_SEQ_CST) == seen) {
		if (ns > SLEEP_CHECK_MS * 1000000ull)
			ns = SLEEP_CHECK_MS * 1000000ull;
		struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
				      .tv_nsec = (long)(ns % 1000000000u)};
		long rcw = syscall(SYS_futex, &rc->hdr->cq_tail, FUTEX_WAIT,
				   seen, &ts, NULL, 0);
		if (rcw < 0 && errno == ETIMEDOUT)
			err = ring_failed(rc, true);
		else if (rcw < 0 && errno == EINTR)
			err = -EINTR;
	}
	STORE(&rc->hdr->cq_waiters, 0u);
	return err;
}

/*
 * When the daemon answered a wait that began at START: when it completed
 * the last record taken, our own wake-up not counted (what the spin adapts
 * by), within the wait.
 */
static uint64_t answer_ns(const struct vgpu_ring_completion *last,
			  uint64_t start)
{
	uint64_t now = mono_ns(), end = last->t_end_ns;
	if (end < start)
		return 0;
	return end < now ? end - start : now - start;
}

int ring_client_take(struct ring_client *rc, struct vgpu_ring_completion *out,
		     char (*msgs)[VGPU_RING_MSG_MAX], int max, int timeout_ms)
{
	uint64_t start = mono_ns(), gave_up = 0;
	bool slept = false;
	uint64_t limit =
	    timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms * 1000000u;
	rc->next_check_ns = SLEEP_CHECK_MS * 1000000ull;
	for (;;) {
		int n = take_ready(rc, out, msgs, max);
		if (n) {
			if (slept)
				vgpu_spin_answered(
				    &rc->spin, gave_up,
				    answer_ns(&out[n - 1], start));
			else
				vgpu_spin_done(&rc->spin, 0);
			return n;
		}
		int err = ring_failed(rc, false);
		if (err)
			return err;
		uint64_t now = mono_ns(), waited = now - start;
		if (waited >= limit) {
			vgpu_spin_done(&rc->spin, 0); /* nothing learnt */
			return 0;
		}
		if (rc->forever) {
			if ((err = spin_turn(rc, waited)))
				return err;
			continue;
		}
		/* The workers hold every CPU the daemon uses: a spin here
		 * would take one from them (their kernels slowed by as much)
		 * and could not catch the answer, which waits for them. */
		if (!LOAD(&rc->hdr->workers_taken) &&
		    vgpu_spin_more(&rc->spin, now, waited)) {
			vgpu_ring_relax();
			continue;
		}
		if (!slept)
			gave_up = waited;
		err = sleep_turn(rc, limit - waited);
		slept = true;
		vgpu_spin_resume(&rc->spin);
		if (err)
			return err;
	}
}
