/*
 * The streaming runner: a kernel that says which bytes each tile touches
 * (tile_bytes) runs its own tiles on copies of those bytes in staging
 * memory. Consecutive tiles form windows that fit a slot; slots cycle
 * through reading (io_uring, O_DIRECT where the file allows), compute (one
 * worker runs the window's tiles) and write-back (buffered: clients and
 * the daemon may have the file mapped, and an O_DIRECT write would leave
 * stale pages under their mappings). Reads run ahead into free slots, so
 * the next windows load while this one computes and the last one drains.
 *
 * Only disk-tier arguments the kernel cuts into ranges are staged; the
 * others (RAM-tier buffers, a dot's single output) stay mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "fault_inject.h"
#include "fs/node.h"
#include "mem/bus.h"
#include "mem/tier.h"
#include "observe/log.h"
#include "ooc/ooc_runners.h"
#include "sched/job.h"

#define ALIGN	  4096u	      /* O_DIRECT: offsets, lengths, addresses */
#define SLOTS	  4u	      /* windows in flight: workers + 2, at least */
#define SLOTS_MAX 16u	      /* ...and at most this */
#define SLOT_MAX  (16u << 20) /* bytes of a window, all arguments */
#define SLOT_MIN  (1u << 20)
/* Staged bytes may exceed the arguments' own by this much (overlaps). */
#define AMPLIFY_MAX 1.5

enum slot_state {
	SLOT_FREE,
	SLOT_READING,
	SLOT_READY,
	SLOT_BUSY,
	SLOT_WRITING
};

struct io_op {
	unsigned slot, arg;
	bool write, direct;
	uint64_t off, len, done; /* file offset and bytes of the transfer */
	uint64_t need; /* reads: bytes that must arrive (len is aligned) */
	uint64_t t_submit, t_model; /* submitted; when the bus model ends it */
	char *buf;
};

struct slot {
	enum slot_state state;
	uint32_t win;
	unsigned pending; /* transfers not yet complete */
	int err;
	char *mem;
	/* staged argument I of the window: bytes [lo, hi) at copy */
	struct {
		uint64_t lo, hi;
		char *copy;
	} part[VGPU_MAX_ARGS];
	struct io_op ops[VGPU_MAX_ARGS];
};

struct staged {
	unsigned arg;
	bool read, write;
	int fd;		 /* the node's file: buffered reads and writes */
	int direct_fd;	 /* the same opened O_DIRECT, or -1 */
	uint64_t base;	 /* file offset of l->ptr[arg] */
	uint64_t lo, hi; /* the bytes the whole command touches, from it */
};

struct stream {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct io_uring ring;
	bool ring_up, reaping;
	bool fixed; /* the slots are registered with the ring */
	int setup_err, write_err;
	char *mem;
	uint64_t taken, slot_bytes;
	unsigned nslots, nstaged;
	struct staged staged[VGPU_MAX_ARGS];
	struct slot slots[SLOTS_MAX];
	uint32_t nwin, *first; /* window W: tiles [first[W], first[W+1]) */
	uint32_t next_read;    /* first window whose reads are not issued */
	unsigned inflight;     /* submitted, completion not yet seen */
	uint64_t read_bytes, write_bytes;
	uint64_t writes_modelled; /* --bus: when the last write-back ends */
};

static uint64_t align_down(uint64_t x)
{
	return x / ALIGN * ALIGN;
}

static uint64_t align_up(uint64_t x)
{
	return (x + ALIGN - 1) / ALIGN * ALIGN;
}

/* Argument S's bytes over tiles [T0, T1), from l->ptr: [*LO, *HI). */
static void window_range(const struct job *job, const struct staged *s,
			 uint32_t t0, uint32_t t1, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX, *hi = 0;
	for (uint32_t t = t0; t < t1; t++) {
		uint64_t a, b;
		job->impl->tile_bytes(&job->launch, t, job->kernel_tiles,
				      s->arg, &a, &b);
		if (b <= a)
			continue;
		*lo = a < *lo ? a : *lo;
		*hi = b > *hi ? b : *hi;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

/* Bytes of a slot argument S's range takes (aligned for O_DIRECT). */
static uint64_t staged_span(const struct staged *s, uint64_t lo, uint64_t hi)
{
	return hi > lo ? align_up(s->base + hi) - align_down(s->base + lo) : 0;
}

static uint64_t window_bytes(const struct job *job, const struct stream *st,
			     uint32_t t0, uint32_t t1)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < st->nstaged; i++) {
		uint64_t lo, hi;
		window_range(job, &st->staged[i], t0, t1, &lo, &hi);
		total += staged_span(&st->staged[i], lo, hi);
	}
	return total;
}

/*
 * Arguments staged separately must not share bytes that either writes:
 * each would see its own copy, or the mapping a stale one. Identical
 * staged ranges are fine (axpy x=y: each window reads both, then writes).
 */
static bool copies_agree(const struct job *job, const bool staged[])
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	char msg[VGPU_MSG_MAX];
	if (k->extents(&job->cmd, ext, msg, sizeof(msg)) < 0)
		return false;
	for (unsigned i = 0; i < k->nargs; i++)
		for (unsigned j = i + 1; j < k->nargs; j++) {
			if (!job->bufs[i] || job->bufs[i] != job->bufs[j])
				continue;
			if (!((k->args[i].access | k->args[j].access) &
			      VGPU_ACC_W))
				continue;
			if (!staged[i] && !staged[j])
				continue; /* both mapped: as on RAM */
			uint64_t a0 = job->cmd.buf[i].offset,
				 a1 = a0 + ext[i].bytes;
			uint64_t b0 = job->cmd.buf[j].offset,
				 b1 = b0 + ext[j].bytes;
			if (a0 < b1 && b0 < a1 &&
			    !(a0 == b0 && a1 == b1 && staged[i] && staged[j]))
				return false;
		}
	return true;
}

/*
 * Inputs the page cache already holds are read fastest where they are:
 * mapped, with no copy (a 512 MiB sum: 45 ms mapped, 150 ms staged by
 * buffered reads, 210 ms by O_DIRECT from the disk here). Streaming is for
 * what must come from the disk.
 */
static bool inputs_cached(const struct job *job, const struct stream *st)
{
	if (fault_inject("ooc_cold"))
		return false; /* tests: as if the cache held nothing */
	bool any = false;
	for (unsigned i = 0; i < st->nstaged; i++) {
		const struct staged *s = &st->staged[i];
		if (!s->read)
			continue;
		/* nearly all of it: a few pages from disk cost little */
		if (ooc_cached_share((const char *)job->launch.ptr[s->arg] +
					 s->lo,
				     s->hi - s->lo) < 7.0 / 8)
			return false;
		any = true;
	}
	return any;
}

static int stream_start(struct job *job, unsigned workers)
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	struct stream *st = calloc(1, sizeof(*st));
	if (!st)
		return 1;
	bool staged[VGPU_MAX_ARGS] = {false};
	uint64_t own = 0;
	for (unsigned i = 0; i < k->nargs; i++) {
		struct node *n = job->bufs[i];
		uint64_t lo, hi;
		if (!n || n->tier->id != TIER_DISK ||
		    !job->impl->tile_bytes(&job->launch, 0, job->kernel_tiles,
					   i, &lo, &hi))
			continue;
		staged[i] = true;
		struct staged *s = &st->staged[st->nstaged++];
		*s = (struct staged){
		    .arg = i,
		    .read = k->args[i].access & VGPU_ACC_R,
		    .write = k->args[i].access & VGPU_ACC_W,
		    .fd = n->fd,
		    .direct_fd = -1,
		    .base = job->cmd.buf[i].offset,
		};
		window_range(job, s, 0, job->kernel_tiles, &s->lo, &s->hi);
		own += s->hi - s->lo;
	}
	if (!st->nstaged || !copies_agree(job, staged) ||
	    inputs_cached(job, st))
		goto decline;
	/* Slots: each must hold the biggest tile; as many as it can get. */
	uint64_t tile_max = 0;
	for (uint32_t t = 0; t < job->kernel_tiles; t++) {
		uint64_t b = window_bytes(job, st, t, t + 1);
		tile_max = b > tile_max ? b : tile_max;
	}
	unsigned want = workers + 2 < SLOTS ? SLOTS : workers + 2;
	want = want > SLOTS_MAX ? SLOTS_MAX : want;
	uint64_t per_slot = align_up(own / want + 1) + 2 * ALIGN * st->nstaged;
	per_slot = per_slot < SLOT_MIN	 ? SLOT_MIN
		   : per_slot > SLOT_MAX ? SLOT_MAX
					 : per_slot;
	per_slot = per_slot < tile_max ? tile_max : per_slot;
	for (st->nslots = want; st->nslots >= 2 && !st->taken; st->nslots--)
		st->taken = ooc_staging_take(st->nslots * tile_max,
					     st->nslots * per_slot,
					     (uint64_t)st->nslots * ALIGN);
	if (!st->taken)
		goto decline;
	st->nslots++; /* the loop's last decrement */
	st->slot_bytes = st->taken / st->nslots;
	st->first = malloc((job->kernel_tiles + 1) * sizeof(*st->first));
	if (!st->first)
		goto decline;
	uint64_t total = 0;
	uint32_t t = 0;
	while (t < job->kernel_tiles) {
		uint32_t end = t + 1;
		uint64_t bytes = window_bytes(job, st, t, end);
		/* grow by doubling, then back off: few tile_bytes calls */
		for (uint32_t step = 1; end < job->kernel_tiles;) {
			uint32_t next = end + step > job->kernel_tiles
					    ? job->kernel_tiles
					    : end + step;
			uint64_t b = window_bytes(job, st, t, next);
			if (b <= st->slot_bytes) {
				end = next, bytes = b, step *= 2;
			} else if (step > 1) {
				step /= 2;
			} else {
				break;
			}
		}
		st->first[st->nwin++] = t;
		total += bytes;
		t = end;
	}
	st->first[st->nwin] = job->kernel_tiles;
	if ((double)total > AMPLIFY_MAX * (double)own + 2.0 * ALIGN * st->nwin)
		goto decline;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	job->ooc_state = st;
	job->ntiles = st->nwin;
	return 0;
decline:
	if (st->taken)
		ooc_staging_give(st->taken);
	free(st->first);
	free(st);
	return 1;
}

/* Memory, ring and O_DIRECT descriptors, by the first unit (lock held). */
static int setup(struct stream *st)
{
	st->mem = mmap(NULL, st->taken, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->mem == MAP_FAILED) {
		st->mem = NULL;
		return -ENOMEM;
	}
	unsigned entries = st->nslots * st->nstaged;
	int rc = io_uring_queue_init(entries < 8 ? 8 : entries, &st->ring, 0);
	if (rc < 0)
		return rc;
	st->ring_up = true;
	struct iovec iov[SLOTS_MAX];
	for (unsigned s = 0; s < st->nslots; s++) {
		st->slots[s].mem = st->mem + s * st->slot_bytes;
		iov[s] = (struct iovec){st->slots[s].mem, st->slot_bytes};
	}
	/* Pinned once for the whole command; plain reads work without. */
	st->fixed = io_uring_register_buffers(&st->ring, iov, st->nslots) == 0;
	if (!st->fixed)
		log_debug("out-of-core: staging not registered with io_uring");
	for (unsigned i = 0; i < st->nstaged; i++) {
		struct staged *s = &st->staged[i];
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
		if (s->read)
			s->direct_fd =
			    open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	}
	return 0;
}

/* Queues OP's next part (lock held); the caller submits. */
static void queue_op(struct stream *st, struct io_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);
	if (!sqe) {
		io_uring_submit(&st->ring);
		sqe = io_uring_get_sqe(&st->ring);
	}
	const struct staged *s = &st->staged[op->arg];
	char *buf = op->buf + op->done;
	uint64_t off = op->off + op->done;
	unsigned len = (unsigned)(op->len - op->done);
	int fd = op->direct ? s->direct_fd : s->fd;
	if (op->write && st->fixed)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, op->slot);
	else if (op->write)
		io_uring_prep_write(sqe, fd, buf, len, off);
	else if (st->fixed)
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, op->slot);
	else
		io_uring_prep_read(sqe, fd, buf, len, off);
	io_uring_sqe_set_data(sqe, op);
	st->inflight++;
	if (!op->t_submit && bus_enabled()) {
		/* the virtual bus: the transfer as that link would carry it */
		op->t_submit = now_ns();
		op->t_model =
		    bus_schedule(op->write ? BUS_TIER_OUT : BUS_TIER_IN,
				 op->len, op->t_submit);
		if (op->write && op->t_model > st->writes_modelled)
			st->writes_modelled = op->t_model;
	}
}

/* Where each staged argument's part of window W goes in slot SL. */
static void lay_out(const struct job *job, const struct stream *st,
		    struct slot *sl, uint32_t w)
{
	uint64_t pos = 0;
	for (unsigned i = 0; i < st->nstaged; i++) {
		const struct staged *s = &st->staged[i];
		uint64_t lo, hi;
		window_range(job, s, st->first[w], st->first[w + 1], &lo, &hi);
		sl->part[i].lo = lo;
		sl->part[i].hi = hi;
		sl->part[i].copy =
		    sl->mem + pos + (s->base + lo - align_down(s->base + lo));
		pos += staged_span(s, lo, hi);
	}
}

/* Starts the reads of the windows ahead that have a free slot. */
static void issue_reads(const struct job *job, struct stream *st)
{
	bool queued = false;
	while (st->next_read < st->nwin) {
		uint32_t w = st->next_read;
		struct slot *sl = &st->slots[w % st->nslots];
		if (sl->state != SLOT_FREE)
			break;
		*sl = (struct slot){
		    .state = SLOT_READING, .win = w, .mem = sl->mem};
		lay_out(job, st, sl, w);
		for (unsigned i = 0; i < st->nstaged; i++) {
			const struct staged *s = &st->staged[i];
			uint64_t lo = sl->part[i].lo, hi = sl->part[i].hi;
			if (!s->read || hi <= lo)
				continue;
			uint64_t a0 = align_down(s->base + lo);
			uint64_t a1 = align_up(s->base + hi);
			struct io_op *op = &sl->ops[i];
			*op = (struct io_op){
			    .slot = w % st->nslots,
			    .arg = i,
			    .direct = s->direct_fd >= 0,
			    .off = a0,
			    .len = a1 - a0,
			    .need = s->base + hi - a0,
			    .buf = sl->part[i].copy - (s->base + lo - a0),
			};
			queue_op(st, op);
			sl->pending++;
			queued = true;
		}
		if (!sl->pending)
			sl->state = SLOT_READY; /* it only writes */
		st->next_read++;
	}
	if (queued)
		io_uring_submit(&st->ring);
}

/* A transfer of OP ended with RES (lock held); may queue its rest. */
static void op_done(struct stream *st, struct io_op *op, int res)
{
	struct slot *sl = &st->slots[op->slot];
	if (res >= 0 && fault_inject(op->write ? "ooc_write" : "ooc_read"))
		res = -EIO;
	if (res == -EINVAL && op->direct && !op->write) {
		op->direct = false; /* the file system refuses O_DIRECT */
		queue_op(st, op);
		return;
	}
	if (res == -EAGAIN || res == -EINTR) {
		queue_op(st, op); /* nothing happened: again */
		return;
	}
	if (res < 0) {
		sl->err = sl->err ? sl->err : res;
	} else {
		op->done += (uint64_t)res;
		/* a read may stop at the end of the file, past what it needs */
		uint64_t want = op->write ? op->len : op->need;
		if (op->done < want && res == 0) {
			sl->err = sl->err ? sl->err : -EIO;
		} else if (op->done < want) {
			/* a short transfer: the rest, buffered if unaligned */
			if (op->done % ALIGN)
				op->direct = false;
			queue_op(st, op);
			return;
		}
	}
	if (op->write)
		st->write_bytes += op->done;
	else
		st->read_bytes += op->done;
	if (op->t_submit)
		bus_account_real(op->write ? BUS_TIER_OUT : BUS_TIER_IN,
				 now_ns() - op->t_submit);
	if (--sl->pending)
		return;
	if (sl->state == SLOT_READING) {
		sl->state = SLOT_READY;
	} else {
		if (sl->err && !st->write_err)
			st->write_err = sl->err;
		sl->state = SLOT_FREE;
	}
}

/*
 * Waits for I/O progress (lock held): one thread reaps completions while
 * the others wait for it, or for a worker's state change, on the cond.
 */
static void progress(const struct job *job, struct stream *st)
{
	if (st->reaping || !st->inflight) {
		pthread_cond_wait(&st->cond, &st->lock);
		return;
	}
	st->reaping = true;
	pthread_mutex_unlock(&st->lock);
	struct io_uring_cqe *cqe;
	int rc;
	do
		rc = io_uring_wait_cqe(&st->ring, &cqe);
	while (rc == -EINTR);
	pthread_mutex_lock(&st->lock);
	st->reaping = false;
	if (rc < 0) {
		log_err("out-of-core: waiting for io_uring: %s", strerror(-rc));
		pthread_cond_broadcast(&st->cond);
		return;
	}
	unsigned head, n = 0;
	io_uring_for_each_cqe(&st->ring, head, cqe)
	{
		struct io_op *op = io_uring_cqe_get_data(cqe);
		st->inflight--;
		n++;
		op_done(st, op, cqe->res);
	}
	io_uring_cq_advance(&st->ring, n);
	io_uring_submit(&st->ring); /* the rests of short transfers */
	issue_reads(job, st);
	pthread_cond_broadcast(&st->cond);
}

static int stream_run(struct job *job, uint32_t w, unsigned worker)
{
	(void)worker;
	struct stream *st = job->ooc_state;
	pthread_mutex_lock(&st->lock);
	if (!st->mem && !st->setup_err) {
		st->setup_err = setup(st);
		if (!st->setup_err)
			issue_reads(job, st);
	}
	if (st->setup_err) {
		pthread_mutex_unlock(&st->lock);
		return st->setup_err;
	}
	unsigned si = w % st->nslots;
	struct slot *sl = &st->slots[si];
	while (!(sl->win == w && sl->state == SLOT_READY)) {
		issue_reads(job, st);
		if (sl->win == w && sl->state == SLOT_READY)
			break;
		progress(job, st);
	}
	sl->state = SLOT_BUSY;
	int rc = sl->err;
	uint64_t ready = 0;
	for (unsigned i = 0; i < st->nstaged; i++)
		if (st->staged[i].read && sl->ops[i].t_model > ready)
			ready = sl->ops[i].t_model;
	pthread_mutex_unlock(&st->lock);
	bus_wait_until(ready); /* --bus: the data has not "arrived" before */

	/* The kernel's tiles, on the slot: l.ptr[arg] + lo is the copy. */
	struct vgpu_launch l = job->launch;
	for (unsigned i = 0; i < st->nstaged; i++)
		l.ptr[st->staged[i].arg] =
		    (void *)((uintptr_t)sl->part[i].copy -
			     (uintptr_t)sl->part[i].lo);
	for (uint32_t t = st->first[w]; rc == 0 && t < st->first[w + 1]; t++)
		rc = job->impl->run_tile(&l, t, job->kernel_tiles);

	pthread_mutex_lock(&st->lock);
	bool queued = false;
	for (unsigned i = 0; rc == 0 && i < st->nstaged; i++) {
		const struct staged *s = &st->staged[i];
		uint64_t lo = sl->part[i].lo, hi = sl->part[i].hi;
		if (!s->write || hi <= lo)
			continue;
		struct io_op *op = &sl->ops[i];
		*op = (struct io_op){
		    .slot = si,
		    .arg = i,
		    .write = true,
		    .off = s->base + lo,
		    .len = hi - lo,
		    .need = hi - lo,
		    .buf = sl->part[i].copy,
		};
		queue_op(st, op);
		sl->pending++;
		queued = true;
	}
	sl->state = sl->pending ? SLOT_WRITING : SLOT_FREE;
	if (queued)
		io_uring_submit(&st->ring);
	issue_reads(job, st);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Waits until no transfer is in flight (lock held). */
static void drain(const struct job *job, struct stream *st)
{
	while (st->inflight || st->reaping)
		progress(job, st);
}

static int stream_end(struct job *job)
{
	struct stream *st = job->ooc_state;
	pthread_mutex_lock(&st->lock);
	/* no more reads: every window ran */
	st->next_read = st->nwin;
	drain(job, st);
	int rc = st->write_err;
	uint64_t written = st->writes_modelled;
	pthread_mutex_unlock(&st->lock);
	bus_wait_until(written);
	return rc;
}

static void stream_release(struct job *job)
{
	struct stream *st = job->ooc_state;
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->next_read = st->nwin;
	if (st->ring_up)
		drain(job, st);
	pthread_mutex_unlock(&st->lock);
	ooc_count_io(st->read_bytes, st->write_bytes);
	if (st->ring_up)
		io_uring_queue_exit(&st->ring);
	for (unsigned i = 0; i < st->nstaged; i++)
		if (st->staged[i].direct_fd >= 0)
			close(st->staged[i].direct_fd);
	if (st->mem)
		munmap(st->mem, st->taken);
	ooc_staging_give(st->taken);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st->first);
	free(st);
	job->ooc_state = NULL;
}

const struct ooc_runner ooc_stream_runner = {
    .name = "stream",
    .start = stream_start,
    .run = stream_run,
    .end = stream_end,
    .release = stream_release,
};
