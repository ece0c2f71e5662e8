/*
 * The ring's object and its poller. The poller spins while its ring is
 * busy and for RING_SPIN_NS after it went quiet (a fixed window,
 * vgpufs/ring_spin.h; a preempted poller stops spinning at once, and one
 * whose last packets all came long after the window does not spin), then
 * sleeps on the doorbell futex, so an idle daemon uses no CPU; a client
 * rings the doorbell (one FUTEX_WAKE) only while it sees the poller
 * sleeping.
 *
 * Every read of the shared page is one atomic load whose value is checked
 * before use: the daemon keeps its own head and count of completions
 * posted, and never reads back what it writes there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/ring_spin.h>

#include "clock.h"
#include "fault_inject.h"
#include "observe/log.h"
#include "observe/stats.h"
#include "ring/ring.h"
#include "ring/ring_take.h"
#include "sched/context.h"
#include "sched/context_input.h"
#include "sched/scheduler.h"

/* How long a quiet ring's poller spins before it sleeps: longer than a
 * client's wake-up here (32.6 us), so that a client that slept finds the
 * poller still spinning when it submits again. */
#define RING_SPIN_NS (50 * 1000)
/* A sleeping poller looks at its stop flag at least this often. */
#define RING_SLEEP_NS (1000 * 1000 * 1000)
/* Packets taken in one go before the lock is let go. */
#define RING_PUMP_MAX 256
/* Bytes of packets copied out of the ring in one go (a run). */
#define RING_RUN_BYTES 8192
#define RING_STACK     (1u << 20)

#define LOAD(p)	    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void futex_wait(uint32_t *word, uint32_t seen, uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u)};
	syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

int ring_create(struct context *ctx, struct cred cred, int *fd,
		struct ring **out)
{
	struct ring *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int mfd = memfd_create("vgpufs-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int rc = mfd < 0 ? -errno : 0;
	if (rc == 0 && ftruncate(mfd, VGPU_RING_BYTES) < 0)
		rc = -errno;
	/* No shrinking: the daemon's mapping never faults past the end. */
	if (rc == 0 && fcntl(mfd, F_ADD_SEALS,
			     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		rc = -errno;
	void *map = MAP_FAILED;
	if (rc == 0) {
		map = mmap(NULL, VGPU_RING_BYTES, PROT_READ | PROT_WRITE,
			   MAP_SHARED, mfd, 0);
		if (map == MAP_FAILED)
			rc = -errno;
	}
	if (rc < 0) {
		if (mfd >= 0)
			close(mfd);
		free(r);
		return rc;
	}
	r->ctx = ctx;
	r->cred = cred;
	r->hdr = map;
	r->sq = (unsigned char *)map + VGPU_RING_SQ_OFFSET;
	r->cq =
	    (struct vgpu_ring_completion *)((char *)map + VGPU_RING_CQ_OFFSET);
	r->msgs =
	    (char(*)[VGPU_RING_MSG_MAX])((char *)map + VGPU_RING_MSG_OFFSET);
	r->hdr->magic = VGPU_RING_MAGIC;
	r->hdr->version = VGPU_RING_VERSION;
	r->hdr->sq_bytes = VGPU_RING_SQ_BYTES;
	r->hdr->cq_entries = VGPU_RING_CQ_ENTRIES;
	r->publish_late = fault_inject("ring_publish_late");
	ctx->form_known = ctx->binary = true;
	*fd = mfd;
	*out = r;
	return 0;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	munmap(r->hdr, VGPU_RING_BYTES);
	cred_release(&r->cred);
	free(r);
}

/* The ring cannot be read on: says why in its header, wakes waiters. */
static void ring_break(struct ring *r, int err, const char *msg)
{
	r->broken = true;
	memcpy(r->hdr->error_msg, msg, strnlen(msg, VGPU_RING_MSG_MAX - 1));
	r->hdr->error_msg[VGPU_RING_MSG_MAX - 1] = '\0';
	STORE(&r->hdr->error, err);
	log_warn("context %llu: %s", (unsigned long long)r->ctx->id, msg);
	futex_wake(&r->hdr->cq_tail);
}

/*
 * How many more commands' completions are sure to find a free slot in the
 * completion ring: the client's cq_head is believed only between what was
 * posted and a ring's length behind it.
 */
static uint32_t cq_room(struct ring *r)
{
	uint64_t posted =
	    atomic_load_explicit(&r->posted, memory_order_acquire);
	uint64_t taken =
	    atomic_load_explicit(&r->ctx->next_seq, memory_order_acquire);
	if (atomic_load_explicit(&r->stop, memory_order_acquire))
		return UINT32_MAX; /* closed: completions go nowhere */
	/* A cq_head ahead of what was posted, or more than the ring behind
	 * it, makes UNREAD more than the ring holds: no room, the client
	 * stalls itself. */
	uint64_t used = (uint32_t)posted - LOAD(&r->hdr->cq_head);
	used += taken - posted;
	return used < VGPU_RING_CQ_ENTRIES
		   ? (uint32_t)(VGPU_RING_CQ_ENTRIES - used)
		   : 0;
}

/* Tells the ring's clients whether a spin of theirs would take a worker's
 * CPU (a hint: they wait for what we took). */
static void show_workers_taken(struct ring *r)
{
	bool taken = sched_workers_taken();
	if (taken != r->taken_shown) {
		r->taken_shown = taken;
		STORE(&r->hdr->workers_taken, taken ? 1u : 0u);
	}
}

/*
 * Takes the packets submitted while there is room; returns how many. The
 * client's indices are read once for as many packets as they allow, and
 * sq_head is stored once: the lines they share are not bounced per packet.
 * Packets are copied out a run at a time (one copy of up to
 * RING_RUN_BYTES), and a run of bare nops is taken as one.
 */
static int pump(struct ring *r)
{
	_Alignas(8) unsigned char run[RING_RUN_BYTES];
	char msg[VGPU_RING_MSG_MAX];
	struct context *ctx = r->ctx;
	int n = 0;
	bool stalled = false; /* packets left for want of room */
	uint32_t avail = 0, room = 0;
	uint32_t off = 0, len = 0; /* run[off, len): copied, not taken */
	sched_inline_offer(ctx);   /* a small command runs here, see below */
	pthread_mutex_lock(&ctx->submit_lock);
	context_batch_begin(ctx); /* nops' completions posted together */
	while (n < RING_PUMP_MAX && !r->broken) {
		if (avail == 0) {
			uint32_t tail = LOAD(&r->hdr->sq_tail);
			avail = tail - r->head;
			if (avail == 0)
				break;
			if (avail > VGPU_RING_SQ_BYTES) {
				snprintf(msg, sizeof(msg),
					 "ring: tail %u is %u bytes past head "
					 "%u: more than the ring's %u",
					 tail, avail, r->head,
					 VGPU_RING_SQ_BYTES);
				ring_break(r, -EPROTO, msg);
				break;
			}
		}
		if (room == 0 && (room = cq_room(r)) == 0) {
			stalled = true;
			break;
		}
		if (off == len) {
			int got = ring_take_run(r->sq, VGPU_RING_SQ_BYTES,
						r->head, avail, run,
						sizeof(run), msg, sizeof(msg));
			if (got < 0) {
				ring_break(r, got, msg);
				break;
			}
			off = 0;
			len = (uint32_t)got;
		}
		uint32_t most = RING_PUMP_MAX - (uint32_t)n;
		unsigned k = ring_bare_nops(run + off, len - off,
					    room < most ? room : most);
		uint32_t size = (uint32_t)sizeof(struct vgpu_bin_header) * k;
		if (k) {
			if (context_take_nops(ctx, run + off, k) == 0) {
				stalled = true; /* commands in flight */
				break;
			}
		} else {
			size = ring_packet_size(run + off);
			k = 1;
			if (context_take_input(ctx, &r->cred,
					       (const char *)run + off,
					       size) <= 0) {
				stalled = true;
				break;
			}
		}
		r->head += size;
		avail -= size;
		off += size;
		room -= k;
		n += (int)k;
		if (sched_inline_taken())
			break; /* the next ones wait for it anyway */
	}
	if (n)
		STORE(&r->hdr->sq_head, r->head);
	context_batch_end();
	pthread_mutex_unlock(&ctx->submit_lock);
	/* Stored once a look, never cleared in between: ring_kick() and a
	 * client that consumed completions read it. */
	if (stalled != atomic_load(&r->stalled))
		atomic_store(&r->stalled, stalled);
	/* Outside the submission lock, which completing takes. */
	sched_inline_run();
	show_workers_taken(r);
	return n;
}

/* SLEEPING: 0, VGPU_RING_SLEEPS or VGPU_RING_SLEEPS_FOR_ROOM. */
static void set_sleeping(struct ring *r, uint32_t sleeping)
{
	atomic_store(&r->sleeping, sleeping != 0);
	STORE(&r->hdr->poller_sleeping, sleeping);
}

/*
 * Whether the poller is done: the file was closed, and what was submitted
 * before is taken (unless the closer was killed: then it is dropped, as
 * its commands are cancelled). The ring cannot change any more by then:
 * the last close comes after the last unmap.
 */
static bool finished(struct ring *r)
{
	if (!atomic_load_explicit(&r->stop, memory_order_acquire))
		return false;
	return !r->drain || r->broken || LOAD(&r->hdr->sq_tail) == r->head;
}

/* Whether packets wait in the ring (of a ring that can be read on). */
static bool submitted(struct ring *r)
{
	return !r->broken && LOAD(&r->hdr->sq_tail) != r->head;
}

/* A spin that began at *SPUN_FROM (0: none) ended at NOW: counted. */
static void spin_ended(uint64_t *spun_from, uint64_t now)
{
	if (*spun_from)
		stats_ring_spun(now - *spun_from);
	*spun_from = 0;
}

static void *poller(void *arg)
{
	struct ring *r = arg;
	/* Named so that its CPU time can be told apart (bench_device). */
	pthread_setname_np(pthread_self(), "vgpu-ring");
	struct vgpu_spin spin;
	vgpu_spin_init_ring(&spin, RING_SPIN_NS, RING_SPIN_NS);
	struct vgpu_gaps gaps = {0};
	uint64_t quiet_since = now_ns(), took_at = quiet_since;
	uint64_t spun_from = 0; /* when this spin began (stats), or 0 */
	while (!finished(r)) {
		/* A look at the tail alone while nothing new came: pump()
		 * takes locks. */
		if (submitted(r)) {
			uint64_t at = now_ns();
			spin_ended(&spun_from, at);
			if (pump(r) > 0) {
				vgpu_gaps_note(&gaps, at - took_at,
					       RING_SPIN_NS);
				vgpu_spin_done(&spin, 0);
				quiet_since = took_at = now_ns();
				continue;
			}
		}
		uint64_t now = now_ns();
		if (vgpu_gaps_spin(&gaps) && !sched_workers_taken() &&
		    vgpu_spin_more(&spin, now, now - quiet_since)) {
			spun_from = spun_from ? spun_from : now;
			vgpu_ring_relax();
			continue;
		}
		spin_ended(&spun_from, now);
		uint32_t seen = LOAD(&r->hdr->doorbell);
		bool for_room = atomic_load(&r->stalled);
		set_sleeping(r, for_room ? VGPU_RING_SLEEPS_FOR_ROOM
					 : VGPU_RING_SLEEPS);
		/* A submission, consumption or kick that saw no sleeper (or
		 * none for room) is seen here; a stall that began here was
		 * not announced, and is looked at again. */
		int took = 0;
		if (!finished(r) && (took = pump(r)) == 0 &&
		    (for_room || !atomic_load(&r->stalled))) {
			stats_ring_slept();
			futex_wait(&r->hdr->doorbell, seen, RING_SLEEP_NS);
		}
		set_sleeping(r, 0);
		quiet_since = now_ns();
		if (took > 0) {
			vgpu_gaps_note(&gaps, now - took_at, RING_SPIN_NS);
			took_at = quiet_since;
		}
		vgpu_spin_done(&spin, quiet_since - now);
	}
	context_put(r->ctx);
	return NULL;
}

int ring_start(struct ring *r)
{
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, RING_STACK);
	context_get(r->ctx);
	int rc = pthread_create(&t, &attr, poller, r);
	pthread_attr_destroy(&attr);
	if (rc) {
		context_put(r->ctx);
		return -rc;
	}
	return 0;
}

void ring_kick(struct ring *r)
{
	/* Pairs with the poller's store of its stall before it sleeps:
	 * the context's room grew before this look. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load(&r->stalled))
		return; /* nothing waits for the room */
	__atomic_fetch_add(&r->hdr->doorbell, 1, __ATOMIC_SEQ_CST);
	if (atomic_load(&r->sleeping))
		futex_wake(&r->hdr->doorbell);
}

void ring_stop(struct ring *r, bool drain)
{
	r->drain = drain;
	atomic_store(&r->stop, true);
	__atomic_fetch_add(&r->hdr->doorbell, 1, __ATOMIC_SEQ_CST);
	futex_wake(&r->hdr->doorbell);
}

size_t ring_line(void *line, uint64_t tag, int err, uint16_t kernel,
		 uint64_t t_start_ns, uint64_t t_end_ns, const char *msg)
{
	struct vgpu_ring_completion rec = {.tag = tag,
					   .status = err,
					   .kernel = kernel,
					   .t_start_ns = t_start_ns,
					   .t_end_ns = t_end_ns};
	memcpy(line, &rec, sizeof(rec));
	if (!err)
		return sizeof(rec);
	char *m = (char *)line + sizeof(rec);
	size_t n = msg ? strnlen(msg, VGPU_RING_MSG_MAX - 1) : 0;
	memcpy(m, msg ? msg : "", n);
	m[n] = '\0';
	return sizeof(rec) + n + 1;
}

void ring_post(struct ring *r, uint64_t seq, const void *line, size_t len)
{
	uint32_t slot = (uint32_t)(seq - 1) & (VGPU_RING_CQ_ENTRIES - 1);
	const size_t rec = sizeof(struct vgpu_ring_completion);
	memcpy(&r->cq[slot], line, rec);
	/* Only a failure writes its message: a nop costs 32 bytes. */
	if (len > rec)
		memcpy(r->msgs[slot], (const char *)line + rec, len - rec);
	atomic_store_explicit(&r->posted, seq, memory_order_release);
}

void ring_post_run(struct ring *r, uint64_t first_seq, const uint64_t *tags,
		   const uint16_t *kernels, unsigned n, uint64_t t)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t slot =
		    (uint32_t)(first_seq - 1 + i) & (VGPU_RING_CQ_ENTRIES - 1);
		struct vgpu_ring_completion rec = {.tag = tags[i],
						   .kernel = kernels[i],
						   .t_start_ns = t,
						   .t_end_ns = t};
		memcpy(&r->cq[slot], &rec, sizeof(rec));
	}
	atomic_store_explicit(&r->posted, first_seq + n - 1,
			      memory_order_release);
}

/*
 * Test builds (VGPUFS_FAULT=ring_publish_late): a poller preempted after
 * storing cq_tail, while its client, awake, took the record and got
 * ready to sleep for the next one; so it looks at cq_waiters only once
 * the client set it (or after RING_LATE_NS).
 */
#define RING_LATE_NS (1000 * 1000 * 1000)
static void publish_late(struct ring *r)
{
	uint64_t start = now_ns();
	while (!LOAD(&r->hdr->cq_waiters) && now_ns() - start < RING_LATE_NS)
		vgpu_ring_relax();
}

void ring_publish(struct ring *r)
{
	uint32_t posted =
	    (uint32_t)atomic_load_explicit(&r->posted, memory_order_relaxed);
	if (posted == r->published)
		return;
	r->published = posted;
	STORE(&r->hdr->cq_tail, posted);
	if (r->publish_late)
		publish_late(r);
	/*
	 * Pairs with the client's store of cq_waiters before it sleeps. Taken
	 * back to 0: the records posted before the sleeper runs again wake
	 * nobody, so a batch costs one FUTEX_WAKE, not one a record. Taken
	 * only from a sleeper at a cq_tail before POSTED, and only while it
	 * is still that one (compare-and-swap): a client that saw POSTED
	 * while we were held up before this look may already be going to
	 * sleep for the next record, and would lose this wake and its flag
	 * with it (vgpu_ring_waiter, ring_layout.h).
	 */
	uint32_t w = __atomic_load_n(&r->hdr->cq_waiters, __ATOMIC_SEQ_CST);
	if (w && w != vgpu_ring_waiter(posted) &&
	    __atomic_compare_exchange_n(&r->hdr->cq_waiters, &w, 0u, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		futex_wake(&r->hdr->cq_tail);
}

bool ring_unread(struct ring *r)
{
	return (uint32_t)atomic_load(&r->posted) != LOAD(&r->hdr->cq_head);
}
