/*
 * Launches: the checks before anything runs (vjit_check_launch), the
 * device's choice of group size, and running groups on the calling thread
 * (vjit_run_groups) with their __local memory and per-work-item context.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* Context memory a group may take (per-work-item values and slots kept
 * across barriers). */
#define VJIT_MAX_CTX (64ull << 20)

void vjit_rt_fault(struct vjit_rt *rt, uint32_t obj, int64_t offset)
{
	if (rt->faulted)
		return;
	rt->faulted = 1;
	rt->fault_obj = obj;
	rt->fault_offset = offset;
}

static int bad(struct vjit_fault *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad(struct vjit_fault *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	f->err = EINVAL;
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* -EINVAL unless the group is the kernel's reqd_work_group_size, when it
 * has one. */
static int required_group(const struct vcl_ir_function *f,
			  const struct vjit_ndrange *nd,
			  struct vjit_fault *fault)
{
	for (int d = 0; d < 3 && f->reqd_work_group_size[0]; d++)
		if (nd->local[d] != f->reqd_work_group_size[d])
			return bad(fault,
				   "kernel '%s' requires a work-group of "
				   "%u,%u,%u",
				   f->name, f->reqd_work_group_size[0],
				   f->reqd_work_group_size[1],
				   f->reqd_work_group_size[2]);
	return 0;
}

static const char *pname(const struct vcl_ir_function *f, uint32_t k)
{
	return f->params[k].name ? f->params[k].name : "?";
}

/* __local bytes of a launch: the kernel's allocations, then each __local
 * pointer argument (16-byte aligned). */
static uint64_t local_bytes(const struct vjit_kernel *K,
			    const struct vcl_ir_function *f,
			    const struct vjit_arg *args, uint64_t *off)
{
	uint64_t at = K->local_bytes;
	for (uint32_t k = 0; k < f->nparams; k++) {
		if (VCL_IR_KIND(f->params[k].type) != VCL_IR_PTR ||
		    VCL_IR_SPACE(f->params[k].type) != VCL_AS_LOCAL)
			continue;
		if (off)
			off[k] = at;
		uint64_t n = args[k].size > VJIT_MAX_LOCAL_MEM
				 ? VJIT_MAX_LOCAL_MEM + 1
				 : args[k].size;
		at += (n + 15) / 16 * 16;
	}
	return at;
}

int vjit_check_launch(const struct vjit_program *p, int kernel,
		      const struct vjit_arg *args, uint32_t nargs,
		      const struct vjit_ndrange *nd, struct vjit_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	const struct vcl_ir_function *f = vjit_kernel_ir(p, kernel);
	if (!f)
		return bad(fault, "no kernel %d", kernel);
	const struct vjit_kernel *K = &p->kernels[kernel];
	if (nargs != f->nparams)
		return bad(fault, "kernel '%s' takes %u arguments, %u given",
			   f->name, f->nparams, nargs);
	if (nd->dims < 1 || nd->dims > 3)
		return bad(fault, "%u dimensions: 1 to 3", nd->dims);
	uint64_t group = 1, items;
	for (uint32_t d = 0; d < 3; d++) {
		uint64_t g = nd->global[d], l = nd->local[d], o = nd->offset[d];
		if (d >= nd->dims && (g != 1 || l != 1 || o != 0))
			return bad(fault,
				   "dimension %u is past the %u given: its "
				   "sizes must be 1 and its offset 0",
				   d, nd->dims);
		if (g == 0 || l == 0)
			return bad(fault,
				   "global and local sizes must not be 0");
		if (g % l)
			return bad(fault,
				   "local size %llu does not divide global "
				   "size %llu in dimension %u",
				   (unsigned long long)l, (unsigned long long)g,
				   d);
		if (g > (1ull << 62) || o > (1ull << 62))
			return bad(fault,
				   "global size or offset too large in "
				   "dimension %u",
				   d);
		if (l > VJIT_MAX_WORK_GROUP_SIZE)
			return bad(fault,
				   "work-group of %llu work-items in "
				   "dimension %u, at most %d",
				   (unsigned long long)l, d,
				   VJIT_MAX_WORK_GROUP_SIZE);
		group *= l;
	}
	if (required_group(f, nd, fault) < 0)
		return -EINVAL;
	if (__builtin_mul_overflow(nd->global[0], nd->global[1], &items) ||
	    __builtin_mul_overflow(items, nd->global[2], &items) ||
	    items > (1ull << 62))
		return bad(fault, "more than 2^62 work-items in all");
	if (group > VJIT_MAX_WORK_GROUP_SIZE)
		return bad(fault, "work-group of %llu work-items, at most %d",
			   (unsigned long long)group, VJIT_MAX_WORK_GROUP_SIZE);
	for (uint32_t k = 0; k < nargs; k++) {
		vcl_ir_type t = f->params[k].type;
		if (VCL_IR_KIND(t) != VCL_IR_PTR) {
			if (!args[k].base)
				return bad(fault, "argument '%s' has no value",
					   pname(f, k));
		} else if (VCL_IR_SPACE(t) == VCL_AS_LOCAL) {
			if (!args[k].size)
				return bad(fault,
					   "__local argument '%s' needs a "
					   "size in bytes",
					   pname(f, k));
		} else if (!args[k].base && args[k].size) {
			return bad(fault, "buffer argument '%s' has no memory",
				   pname(f, k));
		} else if (args[k].size > (1ull << 62)) {
			return bad(fault, "buffer argument '%s' too large",
				   pname(f, k));
		}
	}
	uint64_t lb = local_bytes(K, f, args, NULL);
	if (lb > VJIT_MAX_LOCAL_MEM)
		return bad(fault,
			   "kernel '%s' needs %llu bytes of __local memory, "
			   "at most %u",
			   f->name, (unsigned long long)lb, VJIT_MAX_LOCAL_MEM);
	if (K->per_wi && K->per_wi * group > VJIT_MAX_CTX)
		return bad(fault,
			   "kernel '%s' keeps %llu bytes per work-item across "
			   "barriers: a group of %llu needs more than %llu MiB",
			   f->name, (unsigned long long)K->per_wi,
			   (unsigned long long)group, VJIT_MAX_CTX >> 20);
	return 0;
}

/* The largest divisor of n not above max. */
static uint64_t divisor(uint64_t n, uint64_t max)
{
	for (uint64_t d = max < n ? max : n; d > 1; d--)
		if (n % d == 0)
			return d;
	return 1;
}

void vjit_choose_local(const struct vjit_program *p, int kernel,
		       struct vjit_ndrange *nd)
{
	const struct vcl_ir_function *f = vjit_kernel_ir(p, kernel);
	for (int d = 0; d < 3; d++)
		nd->local[d] = 1;
	if (f && f->reqd_work_group_size[0]) {
		for (int d = 0; d < 3; d++)
			nd->local[d] = f->reqd_work_group_size[d];
		return;
	}
	/* Dimension 0 is the vectorized loop: as long as divides, up to
	 * 256; a kernel with a context keeps it within its bound. */
	uint64_t max = 256, fit = VJIT_MAX_WORK_GROUP_SIZE;
	if (f && p->kernels[kernel].per_wi) {
		uint64_t c = VJIT_MAX_CTX / p->kernels[kernel].per_wi;
		fit = c < fit ? (c ? c : 1) : fit;
		max = fit < max ? fit : max;
	}
	/* A power of two first: kernels with __local trees assume one. */
	uint64_t pow2 = 1;
	while (pow2 * 2 <= max && nd->global[0] % (pow2 * 2) == 0)
		pow2 *= 2;
	nd->local[0] = pow2 >= 16 ? pow2 : divisor(nd->global[0], max);
	/* No divisor of 16 or more (a prime size, say): the whole size when
	 * one group may hold it, rather than hundreds of groups of one or two
	 * work-items, each a call with nothing to vectorize. */
	if (nd->local[0] < 16 && nd->global[0] <= fit)
		nd->local[0] = nd->global[0];
	/* Few work-items across (a narrow 2D range): rows of the next
	 * dimensions join the group, up to max work-items, so that a group's
	 * fixed cost is spread over as many as a wide range's. */
	for (int d = 1; d < 3; d++) {
		uint64_t group = nd->local[0] * nd->local[1];
		if (group >= 64)
			break;
		nd->local[d] = divisor(nd->global[d], max / group);
	}
}

static int fault_message(const struct vjit_program *p,
			 const struct vcl_ir_function *f,
			 const struct vjit_arg *args, const struct vjit_rt *rt,
			 struct vjit_fault *fault)
{
	(void)p;
	uint64_t o = rt->fault_obj;
	char what[96];
	if (o == OBJ_NULL)
		snprintf(what, sizeof(what), "through a null pointer");
	else if (o < OBJ_LOCAL && o < f->nparams)
		snprintf(what, sizeof(what),
			 "out of bounds of parameter '%s' (%llu bytes)",
			 pname(f, (uint32_t)o),
			 (unsigned long long)args[o].size);
	else if (o >= OBJ_LOCAL && o < OBJ_SLOT)
		snprintf(what, sizeof(what),
			 "out of bounds of __local array l%llu",
			 (unsigned long long)(o - OBJ_LOCAL));
	else
		snprintf(what, sizeof(what),
			 "out of bounds of a private array");
	fault->err = EFAULT;
	snprintf(fault->msg, sizeof(fault->msg),
		 "kernel '%s': access %s at byte offset %lld", f->name, what,
		 (long long)rt->fault_offset);
	return -EFAULT;
}

static int stopped(const struct vcl_ir_function *f, struct vjit_fault *fault)
{
	fault->err = ETIMEDOUT;
	snprintf(fault->msg, sizeof(fault->msg), "kernel '%s' was stopped",
		 f->name);
	return -ETIMEDOUT;
}

/* Rows of groups a panel holds (panel_order). */
#define PANEL_ROWS 8

/*
 * Group G's ids when the groups of each plane run in panels of PANEL_ROWS
 * rows (the last one may hold fewer), a panel column by column: the
 * groups that follow one another share a column's data (the tiled
 * multiply's strip of B, read by PANEL_ROWS groups in a row instead of
 * once per row of groups, out of the cache instead of memory) and the
 * panel's rows (its strips of A, PANEL_ROWS of them). OpenCL leaves the
 * order of groups to the device. Fused runs (wg_fuse.c) keep rows.
 */
static void panel_order(uint64_t g, const uint64_t n[3], uint64_t id[3])
{
	uint64_t plane = n[0] * n[1], r = g % plane;
	uint64_t y0 = r / (n[0] * PANEL_ROWS) * PANEL_ROWS;
	uint64_t rows = n[1] - y0 < PANEL_ROWS ? n[1] - y0 : PANEL_ROWS;
	uint64_t in = r - y0 * n[0]; /* within the panel */
	id[0] = in / rows;
	id[1] = y0 + in % rows;
	id[2] = g / plane;
}

int vjit_run_groups(const struct vjit_program *p, int kernel,
		    const struct vjit_arg *args, const struct vjit_ndrange *nd,
		    uint64_t first, uint64_t count, const _Atomic int *stop,
		    struct vjit_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	const struct vcl_ir_function *f = vjit_kernel_ir(p, kernel);
	uint64_t groups = 1;
	for (int d = 0; d < 3; d++)
		groups *= nd->global[d] / nd->local[d];
	if (first > groups || count > groups - first)
		return bad(fault, "groups %llu..+%llu of %llu",
			   (unsigned long long)first, (unsigned long long)count,
			   (unsigned long long)groups);
	/* The code has a required size as constants (cg_local_size): a run of
	 * another would step past its context and __local arrays. */
	if (required_group(f, nd, fault) < 0)
		return -EINVAL;
	const struct vjit_kernel *K = &p->kernels[kernel];
	char *arg_base[VCL_IR_MAX_PARAMS + 1];
	uint64_t arg_size[VCL_IR_MAX_PARAMS + 1], loff[VCL_IR_MAX_PARAMS + 1];
	struct vjit_rt rt = {0};
	uint64_t lbytes = local_bytes(K, f, args, loff);
	char *local = aligned_alloc(128, (lbytes + 127) / 128 * 128 + 128);
	char **local_base = calloc(f->nlocals + 1, sizeof(*local_base));
	uint64_t group = nd->local[0] * nd->local[1] * nd->local[2];
	uint64_t ctx_bytes = K->per_wi * group;
	char *ctx = ctx_bytes
			? aligned_alloc(128, (ctx_bytes + 127) / 128 * 128)
			: NULL;
	int rc = 0;
	if (!local || !local_base || (ctx_bytes && !ctx)) {
		fault->err = ENOMEM;
		snprintf(fault->msg, sizeof(fault->msg), "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* Zeroed: __local memory never shows the daemon's old bytes. */
	memset(local, 0, lbytes);
	for (uint32_t l = 0; l < f->nlocals; l++)
		local_base[l] = local + K->local_off[l];
	for (uint32_t k = 0; k < f->nparams; k++) {
		vcl_ir_type t = f->params[k].type;
		bool is_local = VCL_IR_KIND(t) == VCL_IR_PTR &&
				VCL_IR_SPACE(t) == VCL_AS_LOCAL;
		arg_base[k] = is_local ? local + loff[k] : args[k].base;
		arg_size[k] = args[k].size;
	}
	for (int d = 0; d < 3; d++) {
		rt.local_size[d] = nd->local[d];
		rt.global_size[d] = nd->global[d];
		rt.num_groups[d] = nd->global[d] / nd->local[d];
		rt.global_offset[d] = nd->offset[d];
	}
	rt.work_dim = nd->dims;
	rt.group_size = group;
	rt.stop = stop;
	rt.arg_base = arg_base;
	rt.arg_size = arg_size;
	rt.local_base = local_base;
	rt.ctx = ctx;
	uint64_t l0 = nd->local[0], n0 = rt.num_groups[0], shift = 0;
	while ((2ull << shift) <= l0)
		shift++;
	rt.fuse_local0 = l0;
	rt.fuse_ngroups0 = n0;
	for (uint64_t g = first, k; g < first + count; g += k) {
		if (atomic_load_explicit(stop, memory_order_relaxed)) {
			rc = stopped(f, fault);
			break;
		}
		/* k groups along dimension 0 as one of k times the width
		 * (wg_fuse.c): the call sees that launch's group and size */
		uint64_t g0 = wg_fuse_run(K->fuse, nd, g, first + count, &k);
		rt.local_size[0] = k * l0;
		rt.group_size = k * group;
		if (K->fuse == FUSE_NO) {
			panel_order(g, rt.num_groups, rt.group_id);
		} else {
			rt.group_id[0] = g0 / k;
			rt.group_id[1] = g / n0 % rt.num_groups[1];
			rt.group_id[2] = g / n0 / rt.num_groups[1];
		}
		rt.fuse_group0 = g0;
		rt.fuse_mask = k > 1 ? l0 - 1 : UINT64_MAX;
		rt.fuse_shift = k > 1 ? shift : 63;
		K->fn(&rt);
		if (rt.faulted) {
			rc = fault_message(p, f, args, &rt, fault);
			break;
		}
		if (atomic_load_explicit(stop, memory_order_relaxed)) {
			rc = stopped(f, fault);
			break;
		}
	}
out:
	free(local);
	free(local_base);
	free(ctx);
	return rc;
}
