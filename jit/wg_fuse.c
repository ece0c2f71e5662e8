/*
 * Fused groups: a launch whose `local` is too small to vectorize (1, 2,
 * 4 work-items along dimension 0), or whose calls are too short to spread
 * a call's fixed cost (the device's own 256), runs a run of consecutive
 * groups along dimension 0 as one group function call, one work-item loop
 * of the run's width. Only kernels in which nothing can tell the difference: no
 * barrier (nor a loop run as if it held one: wg_implicit_barrier.c, whose
 * context is sized for one group), no __local memory, no
 * reqd_work_group_size. The run's call
 * sees group_id/local_size/num_groups of a launch of wider groups (so
 * get_global_id and the hoisted checks are as they are); get_local_id,
 * get_group_id, get_local_size and get_num_groups of dimension 0 read
 * the launch's own from the rt block's fuse_* fields instead.
 */
#include "jit_internal.h"

/* Work-items along dimension 0 a run aims at: many times the device's own
 * choice of group size (vjit_choose_local, 256), so that a call's fixed
 * cost (the checks made once per call, the vectorized loop's set-up) is
 * spread thin: runs of 4096 against 256 made the memory-bound saxpy,
 * Jacobi and bitonic step 10-29% faster, 16384 no faster again
 * (docs/benchmarks.md). */
#define FUSE_WIDTH 4096

struct fuse_scan {
	const struct vcl_ir_module *m;
	bool no, ids; /* something excludes fusing; local or group ids */
	uint32_t depth;
};

static bool local_ptr(vcl_ir_type t)
{
	return VCL_IR_KIND(t) == VCL_IR_PTR && VCL_IR_SPACE(t) == VCL_AS_LOCAL;
}

static void scan_function(struct fuse_scan *s, const struct vcl_ir_function *f);

static void scan_block(struct fuse_scan *s, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i && !s->no; i = i->next) {
		if (i->op == VCL_IR_BARRIER || i->op == VCL_IR_LOCAL ||
		    local_ptr(i->type))
			s->no = true;
		else if (i->op == VCL_IR_WI && (i->imm == VCL_WI_LOCAL_ID ||
						i->imm == VCL_WI_GROUP_ID))
			s->ids = true;
		else if (i->op == VCL_IR_CALL && i->imm < s->m->nfuncs)
			scan_function(s, &s->m->funcs[i->imm]);
		if (i->op == VCL_IR_IF || i->op == VCL_IR_LOOP) {
			scan_block(s, &i->then);
			scan_block(s, &i->els);
		}
	}
}

static void scan_function(struct fuse_scan *s, const struct vcl_ir_function *f)
{
	/* Calls nest no deeper than the module has functions (no recursion);
	 * the bound keeps a malformed module from looping. */
	if (s->no || ++s->depth > s->m->nfuncs + 1) {
		s->no = true;
		return;
	}
	for (uint32_t k = 0; k < f->nparams; k++)
		if (local_ptr(f->params[k].type))
			s->no = true;
	if (f->nlocals)
		s->no = true;
	scan_block(s, &f->body);
	s->depth--;
}

enum wg_fuse wg_fuse_kind(const struct vcl_ir_module *m, uint32_t kernel)
{
	const struct vcl_ir_function *f = &m->funcs[kernel];
	if (f->reqd_work_group_size[0] || wg_implicit_any(f))
		return FUSE_NO;
	struct fuse_scan s = {.m = m};
	scan_function(&s, f);
	return s.no ? FUSE_NO : s.ids ? FUSE_POW2 : FUSE_ANY;
}

LLVMValueRef wg_fuse_query(struct cg_func *C, enum vcl_ir_wi q)
{
	struct cg_module *M = C->M;
	switch (q) {
	case VCL_WI_LOCAL_ID:
		return LLVMBuildAnd(C->b, C->lid[0],
				    cg_rt_field(C, C->eb, RT_FUSE_MASK, M->i64),
				    "");
	case VCL_WI_GROUP_ID:
		return LLVMBuildAdd(
		    C->b, cg_rt_field(C, C->eb, RT_FUSE_GROUP0, M->i64),
		    LLVMBuildLShr(C->b, C->lid[0],
				  cg_rt_field(C, C->eb, RT_FUSE_SHIFT, M->i64),
				  ""),
		    "");
	case VCL_WI_LOCAL_SIZE:
		return cg_rt_field(C, C->eb, RT_FUSE_LOCAL0, M->i64);
	default:
		return cg_rt_field(C, C->eb, RT_FUSE_NGROUPS0, M->i64);
	}
}

uint64_t wg_fuse_run(uint8_t fuse, const struct vjit_ndrange *nd,
		     uint64_t group, uint64_t last, uint64_t *k)
{
	uint64_t l0 = nd->local[0], n0 = nd->global[0] / l0;
	uint64_t g0 = group % n0;
	*k = 1;
	if (fuse == FUSE_NO || l0 * 2 > FUSE_WIDTH ||
	    (fuse == FUSE_POW2 && (l0 & (l0 - 1))))
		return g0;
	/* Within the row and the groups asked for; the run's number along
	 * dimension 0 is g0 / k, so k divides g0. */
	uint64_t most = FUSE_WIDTH / l0;
	if (most > n0 - g0)
		most = n0 - g0;
	if (most > last - group)
		most = last - group;
	for (uint64_t c = most; c > 1; c--)
		if (g0 % c == 0) {
			*k = c;
			break;
		}
	return g0;
}
