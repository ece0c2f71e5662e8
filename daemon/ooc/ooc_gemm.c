/*
 * gemm on disk-tier matrices, blocked: C = alpha*A*B + beta*C with A, B or
 * C too big to be read through mappings (page faults, a page at a time).
 *
 * A unit is a block of C (mb x nb). It walks k in steps of kb: the step's
 * block of A (mb x kb) and of B (kb x nb) are read with io_uring into one
 * of two staging buffers while OpenBLAS multiplies the other step's pair
 * into C (double buffering). A disk-tier C block is read first (unless
 * beta = 0) and written back with buffered writes at the end of the unit;
 * the next unit on the same worker starts its reads before it waits for
 * that write, so the write overlaps them. Buffers in the RAM tier are used
 * in place through their mapping; only disk-tier ones are staged.
 *
 * Each worker has a slot: its ring and its staging memory, allocated by
 * its first unit. start() takes a slice of the staging budget for each
 * worker and picks the block sizes that fit a slice, so the gemm stays
 * within what it took however many workers run its units at once.
 *
 * Reads use O_DIRECT (a second descriptor on the file) for extents whose
 * offset, length and buffer are 4096-aligned, unless the matrix is mostly
 * in the page cache already: data larger than the machine's memory then
 * does not churn the cache, and data that fits it is read from there. Writes
 * are buffered: the file may be mapped (by clients, and by the daemon), and a
 * direct write would leave stale page-cache pages under those mappings.
 *
 * A transposed operand (transa, transb) is read the way it is stored: the
 * block of op(A) is kb rows of mb elements of the stored A, staged as such
 * and handed to OpenBLAS transposed, so the same bytes move either way.
 *
 * Declined (the command runs mapped, correctly): bf16, k = 0, C sharing a
 * buffer with A or B, more blocks than the scheduler takes, too little free
 * staging, and no io_uring.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/gemm_block.h>

#include "clock.h"
#include "fault_inject.h"
#include "fs/node.h"
#include "mem/bus.h"
#include "mem/tier.h"
#include "ooc/ooc_runners.h"
#include "sched/job.h"

#define ALIGN 4096u
/* Blocks of C at most this wide and high: enough flops per byte read. */
#define BLOCK_MAX 4096u
/* Below this a block spends more on reads than on flops: run mapped. */
#define BLOCK_MIN 256u
/* Block sizes in steps of this: rows of 64 elements stay 256-byte aligned */
#define BLOCK_STEP 64u
/* io_uring submission entries of a slot (submitted in bunches). */
#define RING_SQ 256u
/* An extent (one read or write) at most this long. */
#define EXTENT_MAX (64u << 20)

enum { MA, MB, MC, NMAT }; /* A, B, C: GEMM_A + index */

/* One read or write: a row of a block, or rows contiguous on both sides. */
struct extent {
	struct batch *batch;
	int fd;
	unsigned char mat; /* MA, MB or MC */
	bool write, fixed;
	uint64_t off;
	char *buf;
	uint32_t len, done;
};

/* The extents of one block read or write, waited for together. */
struct batch {
	struct extent *v;
	uint32_t n, cap;
	uint32_t left; /* not yet complete */
	int err;
	uint64_t t_submit, t_model; /* --bus: submitted, modelled end */
};

struct slot {
	bool ready;
	int init_err;
	struct io_uring ring;
	bool ring_ok, registered;
	unsigned inflight, depth; /* depth: completions the ring holds */
	int dfd[NMAT];		  /* O_DIRECT descriptors, or -1 */
	char *mem;
	size_t mem_bytes;
	char *a[2], *b[2], *c;
	struct batch step[2], cread, cwrite;
};

struct gemm_state {
	struct vgpu_gemm g;
	bool disk[NMAT];
	int fd[NMAT];
	uint64_t base[NMAT]; /* the matrix's first element in its file */
	uint64_t mb, nb, kb, gc;
	uint64_t held; /* staging taken */
	size_t slot_bytes;
	unsigned nslots;
	struct slot *slots;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static uint64_t round_up(uint64_t a, uint64_t to)
{
	return ceil_div(a, to) * to;
}

/*
 * k step for blocks of B x B: a quarter of B leaves most of the staging to
 * the blocks of C (the flops per byte read grow with B, not with the
 * step), but rows of A of at least half a kilobyte or so.
 */
static uint64_t step_for(const struct gemm_state *s, uint64_t b)
{
	return min_u64(s->g.k, b / 4 > BLOCK_MIN / 2 ? b / 4 : BLOCK_MIN / 2);
}

/* Staging of one slot with blocks MB x NB, k step KB. */
static uint64_t slot_need(const struct gemm_state *s, uint64_t mb, uint64_t nb,
			  uint64_t kb)
{
	uint64_t es = s->g.in_es, need = 0;
	if (s->disk[MA])
		need += 2 * round_up(mb * kb * es, ALIGN);
	if (s->disk[MB])
		need += 2 * round_up(kb * nb * es, ALIGN);
	if (s->disk[MC])
		need += round_up(mb * nb * s->g.out_es, ALIGN);
	return need;
}

static uint64_t need_for(const struct gemm_state *s, uint64_t b)
{
	return slot_need(s, min_u64(b, s->g.m), min_u64(b, s->g.n),
			 step_for(s, b));
}

/* The leading dimension of a staged block of A: stored rows are k or m */
static uint64_t a_ld(const struct gemm_state *s)
{
	return s->g.ta ? s->mb : s->kb;
}

static uint64_t b_ld(const struct gemm_state *s)
{
	return s->g.tb ? s->kb : s->nb;
}

/* Where op(A)[i][p] and op(B)[p][j] are in the stored A and B, in elements */
static uint64_t a_at(const struct vgpu_gemm *g, uint64_t i, uint64_t p)
{
	return g->ta ? p * g->lda + i : i * g->lda + p;
}

static uint64_t b_at(const struct vgpu_gemm *g, uint64_t p, uint64_t j)
{
	return g->tb ? j * g->ldb + p : p * g->ldb + j;
}

/* The most extents of one k step: a row of a stored block is one each. */
static uint64_t step_extents(const struct gemm_state *s)
{
	return (s->g.ta ? s->kb : s->mb) + (s->g.tb ? s->nb : s->kb);
}

/* Whether JOB is a gemm this runner does well; fills S if so. */
static bool handled(const struct job *job, struct gemm_state *s)
{
	struct vgpu_gemm *g = &s->g;
	if (vgpu_gemm_shape(&job->cmd, g) < 0 ||
	    (g->dtype != VGPU_F32 && g->dtype != VGPU_F64) || !g->m || !g->n ||
	    !g->k)
		return false;
	const struct node *c = job->bufs[GEMM_C];
	if (!c || c == job->bufs[GEMM_A] || c == job->bufs[GEMM_B])
		return false;
	for (unsigned i = 0; i < NMAT; i++) {
		const struct node *n = job->bufs[GEMM_A + i];
		if (!n)
			return false;
		s->disk[i] = n->tier->id == TIER_DISK;
		s->fd[i] = n->fd;
		s->base[i] = job->cmd.buf[GEMM_A + i].offset;
	}
	return s->disk[MA] || s->disk[MB] || s->disk[MC];
}

/* The share of WORKERS' time that UNITS equal units keep busy. */
static double busy_share(uint64_t units, unsigned workers)
{
	return (double)units / (double)(ceil_div(units, workers) * workers);
}

/*
 * More rows or columns of blocks (smaller ones: they still fit) when that
 * spreads them better over the workers: 25 blocks on 2 workers leave one
 * idle for the last, 30 do not.
 */
static void balance(uint64_t m, uint64_t n, unsigned workers, uint64_t *gr,
		    uint64_t *gc)
{
	uint64_t r0 = *gr, c0 = *gc;
	double best = busy_share(r0 * c0, workers);
	for (uint64_t i = 1; i <= 8 && best < 1; i++) {
		uint64_t r = r0 + i, c = c0 + i;
		if (m / r >= BLOCK_STEP && busy_share(r * c0, workers) > best)
			*gr = r, *gc = c0, best = busy_share(r * c0, workers);
		if (n / c >= BLOCK_STEP && busy_share(r0 * c, workers) > best)
			*gr = r0, *gc = c, best = busy_share(r0 * c, workers);
	}
}

/*
 * Whether this kernel lets the daemon use io_uring (it may be disabled by
 * sysctl or a seccomp filter): asked once, at the first gemm on disk.
 */
static bool uring_usable(void)
{
	static _Atomic int known = -1;
	int k = atomic_load(&known);
	if (k < 0) {
		struct io_uring ring;
		k = io_uring_queue_init(1, &ring, 0) == 0;
		if (k)
			io_uring_queue_exit(&ring);
		atomic_store(&known, k);
	}
	return k;
}

static int gemm_start(struct job *job, unsigned workers)
{
	struct gemm_state probe = {0};
	if (!handled(job, &probe) || !uring_usable())
		return 1;
	if (workers < 1)
		workers = 1;
	struct gemm_state *s = &probe;
	uint64_t want_b = min_u64(
	    BLOCK_MAX, round_up(s->g.m > s->g.n ? s->g.m : s->g.n, BLOCK_MIN));
	unsigned slots = (unsigned)min_u64(
	    workers, ceil_div(s->g.m, BLOCK_MIN) * ceil_div(s->g.n, BLOCK_MIN));
	uint64_t min = slots * need_for(s, BLOCK_MIN);
	uint64_t want = slots * need_for(s, want_b);
	uint64_t held = ooc_staging_take(min, want, ALIGN);
	if (!held)
		return 1; /* no useful staging free: run mapped */
	uint64_t slice = held / slots, b = want_b;
	while (b > BLOCK_MIN && need_for(s, b) > slice)
		b -= BLOCK_STEP;
	if (b < BLOCK_MIN)
		b = BLOCK_MIN;
	uint64_t gr = ceil_div(s->g.m, b), gc = ceil_div(s->g.n, b);
	uint64_t keep = 0;
	/*
	 * Balanced first; but more units may run on more workers at once
	 * than the staging was taken for: then the plain grid.
	 */
	for (int plain = 0; plain < 2; plain++) {
		uint64_t r = gr, c = gc;
		if (!plain)
			balance(s->g.m, s->g.n, workers, &r, &c);
		s->mb = ceil_div(s->g.m, r);
		s->nb = ceil_div(s->g.n, c);
		s->kb = step_for(s, b);
		s->gc = c;
		s->slot_bytes = slot_need(s, s->mb, s->nb, s->kb);
		/* Only as many slots as units can run at once need memory. */
		keep = min_u64(r * c, workers) * s->slot_bytes;
		if (keep <= held)
			break;
	}
	uint64_t units = ceil_div(s->g.m, s->mb) * s->gc;
	s->nslots = workers;
	if (units > VGPU_TILES_MAX || keep > held) {
		ooc_staging_give(held);
		return 1;
	}
	ooc_staging_give(held - keep);
	s->held = keep;
	struct gemm_state *st = malloc(sizeof(*st));
	struct slot *sl = calloc(workers, sizeof(*sl));
	if (!st || !sl) {
		free(st), free(sl);
		ooc_staging_give(keep);
		return 1;
	}
	*st = *s;
	st->slots = sl;
	job->ooc_state = st;
	job->ntiles = (uint32_t)units;
	return 0;
}

/* Allocates the slot's staging and its ring (its first unit). */
static int slot_init(struct gemm_state *s, struct slot *sl,
		     const struct job *job)
{
	if (sl->ready)
		return sl->init_err;
	sl->ready = true;
	for (unsigned i = 0; i < NMAT; i++)
		sl->dfd[i] = -1;
	sl->mem_bytes = s->slot_bytes;
	sl->mem = aligned_alloc(ALIGN, sl->mem_bytes);
	/* a step reads rows of A and of B: how many depends on transposes */
	uint64_t step_rows = step_extents(s);
	struct batch *bs[] = {&sl->step[0], &sl->step[1], &sl->cread,
			      &sl->cwrite};
	for (unsigned i = 0; i < 4; i++) {
		bs[i]->cap = (uint32_t)(i < 2 ? step_rows : s->mb);
		bs[i]->v = calloc(bs[i]->cap, sizeof(struct extent));
		if (!bs[i]->v)
			return sl->init_err = -ENOMEM;
	}
	if (!sl->mem)
		return sl->init_err = -ENOMEM;
	/*
	 * Room for the completions of all that can be in flight at once
	 * (two k steps, a C read and a C write): submitting the next step
	 * must not wait for the disk, or reads would no longer overlap the
	 * compute.
	 */
	uint64_t most = 2 * step_rows + 2 * s->mb, cq = RING_SQ;
	while (cq < most && cq < (1u << 16))
		cq *= 2;
	struct io_uring_params params = {.flags = IORING_SETUP_CQSIZE,
					 .cq_entries = (unsigned)cq};
	int rc = io_uring_queue_init_params(RING_SQ, &sl->ring, &params);
	if (rc < 0)
		return sl->init_err = rc;
	sl->depth = params.cq_entries;
	sl->ring_ok = true;
	/* One registered buffer: the reads and writes skip pinning pages. */
	struct iovec iov = {sl->mem, sl->mem_bytes};
	sl->registered = io_uring_register_buffers(&sl->ring, &iov, 1) == 0;
	char *p = sl->mem;
	uint64_t es = s->g.in_es;
	for (unsigned i = 0; i < 2; i++) {
		if (s->disk[MA])
			sl->a[i] = p, p += round_up(s->mb * s->kb * es, ALIGN);
		if (s->disk[MB])
			sl->b[i] = p, p += round_up(s->kb * s->nb * es, ALIGN);
	}
	if (s->disk[MC])
		sl->c = p;
	char path[64];
	const struct vgpu_gemm *g = &s->g;
	/* from the first element to one past the last */
	const uint64_t span[2] = {(a_at(g, g->m - 1, g->k - 1) + 1) * es,
				  (b_at(g, g->k - 1, g->n - 1) + 1) * es};
	/*
	 * A matrix mostly in the page cache (it fits the machine's memory, if
	 * not the RAM tier) is read from there: buffered, no O_DIRECT.
	 */
	for (unsigned i = 0; i < NMAT; i++) {
		if (!s->disk[i] || i == MC ||
		    ooc_cached_share(job->launch.ptr[GEMM_A + i], span[i]) >
			0.5)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd[i]);
		/* Not every file system takes O_DIRECT: then buffered only. */
		sl->dfd[i] = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	}
	return 0;
}

static void prep(struct slot *sl, struct extent *x)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&sl->ring);
	if (!sqe) {
		io_uring_submit(&sl->ring);
		sqe = io_uring_get_sqe(&sl->ring);
	}
	char *buf = x->buf + x->done;
	unsigned len = x->len - x->done;
	uint64_t off = x->off + x->done;
	if (x->write && x->fixed)
		io_uring_prep_write_fixed(sqe, x->fd, buf, len, off, 0);
	else if (x->write)
		io_uring_prep_write(sqe, x->fd, buf, len, off);
	else if (x->fixed)
		io_uring_prep_read_fixed(sqe, x->fd, buf, len, off, 0);
	else
		io_uring_prep_read(sqe, x->fd, buf, len, off);
	io_uring_sqe_set_data(sqe, x);
}

/* Handles one completion: a short transfer goes on where it stopped. */
static int reap_one(struct slot *sl, const struct gemm_state *s)
{
	struct io_uring_cqe *cqe;
	int rc = io_uring_wait_cqe(&sl->ring, &cqe);
	if (rc < 0)
		return rc;
	struct extent *x = io_uring_cqe_get_data(cqe);
	int res = cqe->res;
	io_uring_cqe_seen(&sl->ring, cqe);
	struct batch *b = x->batch;
	if (res == -EAGAIN || res == -EINTR) {
		prep(sl, x);
		return io_uring_submit(&sl->ring) < 0 ? -EIO : 0;
	}
	if (res > 0 && (x->done += (uint32_t)res) < x->len) {
		/* The rest may be unaligned: buffered (short reads are rare) */
		x->fd = s->fd[x->mat];
		prep(sl, x);
		return io_uring_submit(&sl->ring) < 0 ? -EIO : 0;
	}
	if (res == 0 && x->done < x->len)
		res = -EIO; /* the file ended early: truncated under us */
	if (res < 0 && !b->err)
		b->err = res;
	sl->inflight--;
	if (--b->left == 0 && b->t_submit) {
		bus_account_real(x->write ? BUS_TIER_OUT : BUS_TIER_IN,
				 now_ns() - b->t_submit);
		b->t_submit = 0;
	}
	return 0;
}

/* Queues every extent of batch B; reaps others when the ring is full. */
static int batch_submit(struct slot *sl, const struct gemm_state *s,
			struct batch *b)
{
	b->left = b->n;
	b->err = 0;
	if (bus_enabled() && b->n) {
		/* the virtual bus: the batch as one transfer over its link */
		uint64_t bytes = 0;
		for (uint32_t i = 0; i < b->n; i++)
			bytes += b->v[i].len;
		b->t_submit = now_ns();
		b->t_model =
		    bus_schedule(b->v[0].write ? BUS_TIER_OUT : BUS_TIER_IN,
				 bytes, b->t_submit);
	}
	for (uint32_t i = 0; i < b->n; i++) {
		while (sl->inflight >= sl->depth) {
			io_uring_submit(&sl->ring);
			int rc = reap_one(sl, s);
			if (rc < 0)
				return rc;
		}
		prep(sl, &b->v[i]);
		sl->inflight++;
	}
	int rc = io_uring_submit(&sl->ring);
	return rc < 0 ? rc : 0;
}

static int batch_wait(struct slot *sl, const struct gemm_state *s,
		      struct batch *b)
{
	while (b->left) {
		int rc = reap_one(sl, s);
		if (rc < 0)
			return rc;
	}
	bus_wait_until(b->t_model); /* --bus; 0 (at once) without */
	return b->err;
}

/* Waits for everything in flight on the slot; the first error. */
static int slot_drain(struct slot *sl, const struct gemm_state *s)
{
	int err = 0;
	while (sl->ring_ok && sl->inflight) {
		int rc = reap_one(sl, s);
		if (rc < 0) {
			/* the ring itself failed: nothing more can be reaped */
			sl->inflight = 0;
			return rc;
		}
	}
	struct batch *bs[] = {&sl->step[0], &sl->step[1], &sl->cread,
			      &sl->cwrite};
	for (unsigned i = 0; i < 4; i++) {
		if (bs[i]->err && !err)
			err = bs[i]->err;
		bs[i]->err = 0;
		bs[i]->left = 0;
	}
	return err;
}

/*
 * Adds to B the transfers of ROWS rows of LEN bytes between matrix MAT's
 * file (rows FSTRIDE bytes apart from byte OFF) and BUF (rows BSTRIDE
 * apart). Returns the bytes. Rows are at most BLOCK_MAX elements, far
 * below EXTENT_MAX: a block never has more extents than rows, which is
 * what the batches have room for.
 */
static uint64_t add_rows(struct slot *sl, const struct gemm_state *s,
			 struct batch *b, unsigned mat, bool write,
			 uint64_t off, uint64_t fstride, char *buf,
			 uint64_t bstride, uint64_t len, uint64_t rows)
{
	if (fstride == len && bstride == len) { /* contiguous both sides */
		len *= rows;
		rows = 1;
	}
	for (uint64_t r = 0; r < rows; r++)
		for (uint64_t d = 0; d < len; d += EXTENT_MAX) {
			struct extent *x = &b->v[b->n++];
			uint64_t o = off + r * fstride + d;
			char *p = buf + r * bstride + d;
			uint32_t l = (uint32_t)min_u64(EXTENT_MAX, len - d);
			bool direct = !write && sl->dfd[mat] >= 0 &&
				      o % ALIGN == 0 && l % ALIGN == 0 &&
				      (uintptr_t)p % ALIGN == 0;
			*x = (struct extent){
			    .batch = b,
			    .fd = fault_inject("ooc_io") ? -1
				  : direct		 ? sl->dfd[mat]
							 : s->fd[mat],
			    .mat = (unsigned char)mat,
			    .write = write,
			    .fixed = sl->registered,
			    .off = o,
			    .buf = p,
			    .len = l,
			};
		}
	return len * rows;
}

/* The reads of k step P0..P0+KB of the block at I0, J0 into buffers H. */
static uint64_t queue_step(struct slot *sl, const struct gemm_state *s,
			   unsigned h, uint64_t i0, uint64_t rows, uint64_t j0,
			   uint64_t cols, uint64_t p0, uint64_t kb)
{
	const struct vgpu_gemm *g = &s->g;
	uint64_t es = g->in_es, bytes = 0;
	struct batch *b = &sl->step[h];
	b->n = 0;
	/* staged as stored: the stored rows of the block, ld a_ld (b_ld) */
	if (s->disk[MA])
		bytes += add_rows(sl, s, b, MA, false,
				  s->base[MA] + a_at(g, i0, p0) * es,
				  g->lda * es, sl->a[h], a_ld(s) * es,
				  (g->ta ? rows : kb) * es, g->ta ? kb : rows);
	if (s->disk[MB])
		bytes += add_rows(sl, s, b, MB, false,
				  s->base[MB] + b_at(g, p0, j0) * es,
				  g->ldb * es, sl->b[h], b_ld(s) * es,
				  (g->tb ? kb : cols) * es, g->tb ? cols : kb);
	return bytes;
}

static int unit_fail(struct slot *sl, const struct gemm_state *s, int rc)
{
	int drained = slot_drain(sl, s);
	return rc < 0 ? rc : drained < 0 ? drained : -EIO;
}

static int gemm_run(struct job *job, uint32_t unit, unsigned worker)
{
	struct gemm_state *s = job->ooc_state;
	if (worker >= s->nslots)
		return -EINVAL;
	struct slot *sl = &s->slots[worker];
	int rc = slot_init(s, sl, job);
	if (rc < 0)
		return rc;
	const struct vgpu_gemm *g = &s->g;
	uint64_t es = g->in_es, ces = g->out_es;
	uint64_t i0 = unit / s->gc * s->mb, j0 = unit % s->gc * s->nb;
	uint64_t rows = min_u64(s->mb, g->m - i0);
	uint64_t cols = min_u64(s->nb, g->n - j0);
	uint64_t nk = ceil_div(g->k, s->kb), read = 0, written = 0;
	read +=
	    queue_step(sl, s, 0, i0, rows, j0, cols, 0, min_u64(s->kb, g->k));
	if ((rc = batch_submit(sl, s, &sl->step[0])) < 0)
		return unit_fail(sl, s, rc);
	/* The previous unit's C went out while this one's reads started. */
	char *c;
	uint64_t ldc;
	uint64_t coff = s->base[MC] + (i0 * g->ldc + j0) * ces;
	if (s->disk[MC]) {
		if ((rc = batch_wait(sl, s, &sl->cwrite)) < 0)
			return unit_fail(sl, s, rc);
		c = sl->c, ldc = s->nb;
		if (g->beta != 0) {
			sl->cread.n = 0;
			read += add_rows(sl, s, &sl->cread, MC, false, coff,
					 g->ldc * ces, c, ldc * ces, cols * ces,
					 rows);
			if ((rc = batch_submit(sl, s, &sl->cread)) < 0 ||
			    (rc = batch_wait(sl, s, &sl->cread)) < 0)
				return unit_fail(sl, s, rc);
		}
	} else {
		c = (char *)job->launch.ptr[GEMM_C] + (i0 * g->ldc + j0) * ces;
		ldc = g->ldc;
	}
	for (uint64_t t = 0; t < nk; t++) {
		uint64_t p0 = t * s->kb, kb = min_u64(s->kb, g->k - p0);
		unsigned h = t & 1;
		if (t + 1 < nk) {
			uint64_t p1 = p0 + s->kb;
			read += queue_step(sl, s, h ^ 1, i0, rows, j0, cols, p1,
					   min_u64(s->kb, g->k - p1));
			if ((rc = batch_submit(sl, s, &sl->step[h ^ 1])) < 0)
				return unit_fail(sl, s, rc);
		}
		if ((rc = batch_wait(sl, s, &sl->step[h])) < 0)
			return unit_fail(sl, s, rc);
		struct vgpu_gemm step = *g;
		const char *a, *b;
		if (s->disk[MA])
			a = sl->a[h], step.lda = a_ld(s);
		else
			a = (const char *)job->launch.ptr[GEMM_A] +
			    a_at(g, i0, p0) * es;
		if (s->disk[MB])
			b = sl->b[h], step.ldb = b_ld(s);
		else
			b = (const char *)job->launch.ptr[GEMM_B] +
			    b_at(g, p0, j0) * es;
		step.m = rows, step.n = cols, step.k = kb, step.ldc = ldc;
		step.beta = t ? 1 : g->beta; /* later steps add into C */
		if ((rc = vgpu_gemm_block(&step, a, b, c, 0, rows, 0, cols)) <
		    0)
			return unit_fail(sl, s, rc);
	}
	if (s->disk[MC]) {
		sl->cwrite.n = 0;
		written =
		    add_rows(sl, s, &sl->cwrite, MC, true, coff, g->ldc * ces,
			     c, ldc * ces, cols * ces, rows);
		if ((rc = batch_submit(sl, s, &sl->cwrite)) < 0)
			return unit_fail(sl, s, rc);
	}
	ooc_count_io(read, written);
	return 0;
}

/* Waits for every slot's writes; the first error. */
static int drain_all(struct gemm_state *s)
{
	int err = 0;
	for (unsigned i = 0; i < s->nslots; i++) {
		int rc = slot_drain(&s->slots[i], s);
		if (rc < 0 && !err)
			err = rc;
	}
	return err;
}

static int gemm_end(struct job *job)
{
	struct gemm_state *s = job->ooc_state;
	int rc = drain_all(s);
	/* --bus: the last write-backs of C, as the link would carry them */
	for (unsigned i = 0; i < s->nslots; i++)
		bus_wait_until(s->slots[i].cwrite.t_model);
	return rc;
}

static void gemm_release(struct job *job)
{
	struct gemm_state *s = job->ooc_state;
	if (!s)
		return;
	drain_all(s);
	for (unsigned i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->ring_ok)
			io_uring_queue_exit(&sl->ring);
		for (unsigned m = 0; m < NMAT; m++)
			if (sl->ready && sl->dfd[m] >= 0)
				close(sl->dfd[m]);
		free(sl->mem);
		free(sl->step[0].v), free(sl->step[1].v);
		free(sl->cread.v), free(sl->cwrite.v);
	}
	ooc_staging_give(s->held);
	free(s->slots);
	free(s);
	job->ooc_state = NULL;
}

const struct ooc_runner ooc_gemm_runner = {
    .name = "gemm",
    .start = gemm_start,
    .run = gemm_run,
    .end = gemm_end,
    .release = gemm_release,
};
