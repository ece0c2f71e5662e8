/*
 * Work-item queries: the local ids are the current work-item's (the
 * work-item loop's counters, or a helper's hidden parameters), the rest
 * come from the run-time block. A dimension out of 0..2 gives 0 for ids
 * and offsets, 1 for sizes, as OpenCL says.
 */
#include "jit_internal.h"

LLVMValueRef cg_local_size(struct cg_func *C, int d)
{
	struct cg_module *M = C->M;
	/* Known sizes give LLVM the work-item loops' trip counts: a 16-wide
	 * loop becomes one vector step, without a remainder or run-time
	 * checks around it. */
	if (C->f->reqd_work_group_size[0])
		return LLVMConstInt(M->i64, C->f->reqd_work_group_size[d], 0);
	return cg_rt_field(C, C->eb, RT_LOCAL_SIZE + d, M->i64);
}

static LLVMValueRef per_dim(struct cg_func *C, enum vcl_ir_wi q, int d)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	if (M->fuse != FUSE_NO && d == 0 &&
	    (q == VCL_WI_LOCAL_ID || q == VCL_WI_GROUP_ID ||
	     q == VCL_WI_LOCAL_SIZE || q == VCL_WI_NUM_GROUPS))
		return wg_fuse_query(C, q);
	switch (q) {
	case VCL_WI_LOCAL_ID:
		return C->lid[d];
	case VCL_WI_GLOBAL_ID: {
		LLVMValueRef g = cg_rt_field(C, C->eb, RT_GROUP_ID + d, M->i64);
		LLVMValueRef l = cg_local_size(C, d);
		LLVMValueRef o =
		    cg_rt_field(C, C->eb, RT_GLOBAL_OFFSET + d, M->i64);
		LLVMValueRef base =
		    LLVMBuildAdd(C->eb, LLVMBuildMul(C->eb, g, l, ""), o, "");
		return LLVMBuildAdd(B, base, C->lid[d], "");
	}
	case VCL_WI_GROUP_ID:
		return cg_rt_field(C, C->eb, RT_GROUP_ID + d, M->i64);
	case VCL_WI_GLOBAL_SIZE:
		return cg_rt_field(C, C->eb, RT_GLOBAL_SIZE + d, M->i64);
	case VCL_WI_LOCAL_SIZE:
		return cg_local_size(C, d);
	case VCL_WI_NUM_GROUPS:
		return cg_rt_field(C, C->eb, RT_NUM_GROUPS + d, M->i64);
	default:
		return cg_rt_field(C, C->eb, RT_GLOBAL_OFFSET + d, M->i64);
	}
}

void cg_workitem(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	struct cg_val v = {0};
	enum vcl_ir_wi q = (enum vcl_ir_wi)i->imm;
	if (q == VCL_WI_WORK_DIM) {
		v.v = LLVMBuildTrunc(
		    B, cg_rt_field(C, C->eb, RT_WORK_DIM, M->i64), M->i32, "");
		cg_define(C, i, v);
		return;
	}
	LLVMValueRef d = cg_get(C, i->a).v;
	bool sized = q == VCL_WI_GLOBAL_SIZE || q == VCL_WI_LOCAL_SIZE ||
		     q == VCL_WI_NUM_GROUPS;
	LLVMValueRef dflt = LLVMConstInt(M->i64, sized ? 1 : 0, 0);
	if (LLVMIsAConstantInt(d)) {
		uint64_t k = LLVMConstIntGetZExtValue(d);
		v.v = k < 3 ? per_dim(C, q, (int)k) : dflt;
	} else {
		v.v = dflt;
		for (int k = 2; k >= 0; k--)
			v.v = LLVMBuildSelect(
			    B,
			    LLVMBuildICmp(B, LLVMIntEQ, d,
					  LLVMConstInt(M->i32, k, 0), ""),
			    per_dim(C, q, k), v.v, "");
	}
	cg_define(C, i, v);
}
