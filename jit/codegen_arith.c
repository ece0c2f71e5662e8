/*
 * Constants, integer and floating arithmetic, comparisons, select and
 * conversions, with the IR's safe semantics: division and remainder by 0
 * give 0, INT_MIN / -1 gives INT_MIN (never SIGFPE), shift counts are
 * masked to the width, float to int conversions saturate (NaN gives 0).
 */
#include <errno.h>

#include "jit_internal.h"

static LLVMValueRef constant(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	switch (VCL_IR_KIND(i->type)) {
	case VCL_IR_F32:
		return LLVMConstBitCast(
		    LLVMConstInt(M->i32, (uint32_t)i->imm, 0), M->f32);
	case VCL_IR_F64:
		return LLVMConstBitCast(LLVMConstInt(M->i64, i->imm, 0),
					M->f64);
	default:
		return LLVMConstInt(cg_type(M, i->type), i->imm, 0);
	}
}

/* a / b and a % b made total: the divisor replaced by 1 where it is 0 or
 * where a is INT_MIN and b is -1, and the result by 0 where b is 0. */
static LLVMValueRef division(struct cg_func *C, enum vcl_ir_op op,
			     LLVMValueRef a, LLVMValueRef b)
{
	LLVMBuilderRef B = C->b;
	LLVMTypeRef t = LLVMTypeOf(a);
	LLVMValueRef zero = LLVMConstNull(t), one = LLVMConstInt(t, 1, 0);
	LLVMValueRef bz = LLVMBuildICmp(B, LLVMIntEQ, b, zero, "");
	LLVMValueRef bad = bz;
	bool sgn = op == VCL_IR_SDIV || op == VCL_IR_SREM;
	if (sgn) {
		unsigned w = LLVMGetIntTypeWidth(t);
		LLVMValueRef min = LLVMConstInt(t, 1ull << (w - 1), 0);
		LLVMValueRef ov = LLVMBuildAnd(
		    B, LLVMBuildICmp(B, LLVMIntEQ, a, min, ""),
		    LLVMBuildICmp(B, LLVMIntEQ, b, LLVMConstAllOnes(t), ""),
		    "");
		bad = LLVMBuildOr(B, bz, ov, "");
	}
	LLVMValueRef d = LLVMBuildSelect(B, bad, one, b, "");
	LLVMValueRef r;
	switch (op) {
	case VCL_IR_SDIV:
		r = LLVMBuildSDiv(B, a, d, "");
		break;
	case VCL_IR_UDIV:
		r = LLVMBuildUDiv(B, a, d, "");
		break;
	case VCL_IR_SREM:
		r = LLVMBuildSRem(B, a, d, "");
		break;
	default:
		r = LLVMBuildURem(B, a, d, "");
	}
	return LLVMBuildSelect(B, bz, zero, r, "");
}

/* The binary ops that are one LLVM instruction as they are. */
static const LLVMOpcode plain_op[VCL_IR_OP_COUNT] = {
    [VCL_IR_ADD] = LLVMAdd,   [VCL_IR_SUB] = LLVMSub,
    [VCL_IR_MUL] = LLVMMul,   [VCL_IR_AND] = LLVMAnd,
    [VCL_IR_OR] = LLVMOr,     [VCL_IR_XOR] = LLVMXor,
    [VCL_IR_FADD] = LLVMFAdd, [VCL_IR_FSUB] = LLVMFSub,
    [VCL_IR_FMUL] = LLVMFMul, [VCL_IR_FDIV] = LLVMFDiv,
    [VCL_IR_FREM] = LLVMFRem,
};

static LLVMValueRef binary(struct cg_func *C, enum vcl_ir_op op, LLVMValueRef a,
			   LLVMValueRef b)
{
	LLVMBuilderRef B = C->b;
	switch (op) {
	case VCL_IR_SDIV:
	case VCL_IR_UDIV:
	case VCL_IR_SREM:
	case VCL_IR_UREM:
		return division(C, op, a, b);
	case VCL_IR_SHL:
	case VCL_IR_LSHR:
	case VCL_IR_ASHR: {
		LLVMTypeRef t = LLVMTypeOf(a);
		b = LLVMBuildAnd(
		    B, b, LLVMConstInt(t, LLVMGetIntTypeWidth(t) - 1, 0), "");
		return LLVMBuildBinOp(B,
				      op == VCL_IR_SHL	  ? LLVMShl
				      : op == VCL_IR_LSHR ? LLVMLShr
							  : LLVMAShr,
				      a, b, "");
	}
	default: /* the verifier let only binary ops through here */
		return LLVMBuildBinOp(B, plain_op[op], a, b, "");
	}
}

static const LLVMIntPredicate ipred[VCL_ICMP_COUNT] = {
    [VCL_ICMP_EQ] = LLVMIntEQ,	 [VCL_ICMP_NE] = LLVMIntNE,
    [VCL_ICMP_SLT] = LLVMIntSLT, [VCL_ICMP_SLE] = LLVMIntSLE,
    [VCL_ICMP_SGT] = LLVMIntSGT, [VCL_ICMP_SGE] = LLVMIntSGE,
    [VCL_ICMP_ULT] = LLVMIntULT, [VCL_ICMP_ULE] = LLVMIntULE,
    [VCL_ICMP_UGT] = LLVMIntUGT, [VCL_ICMP_UGE] = LLVMIntUGE,
};
static const LLVMRealPredicate fpred[VCL_FCMP_COUNT] = {
    [VCL_FCMP_OEQ] = LLVMRealOEQ, [VCL_FCMP_UNE] = LLVMRealUNE,
    [VCL_FCMP_OLT] = LLVMRealOLT, [VCL_FCMP_OLE] = LLVMRealOLE,
    [VCL_FCMP_OGT] = LLVMRealOGT, [VCL_FCMP_OGE] = LLVMRealOGE,
};

static LLVMValueRef conversion(struct cg_func *C, const struct vcl_ir_inst *i,
			       LLVMValueRef a)
{
	LLVMBuilderRef B = C->b;
	LLVMTypeRef t = cg_type(C->M, i->type);
	switch (i->op) {
	case VCL_IR_SEXT:
		return LLVMBuildSExt(B, a, t, "");
	case VCL_IR_ZEXT:
		return LLVMBuildZExt(B, a, t, "");
	case VCL_IR_TRUNC:
		return LLVMBuildTrunc(B, a, t, "");
	case VCL_IR_FPEXT:
		return LLVMBuildFPExt(B, a, t, "");
	case VCL_IR_FPTRUNC:
		return LLVMBuildFPTrunc(B, a, t, "");
	case VCL_IR_SITOFP:
		return LLVMBuildSIToFP(B, a, t, "");
	case VCL_IR_UITOFP:
		return LLVMBuildUIToFP(B, a, t, "");
	default: {
		LLVMTypeRef over[2] = {t, LLVMTypeOf(a)};
		return cg_intrinsic(C,
				    i->op == VCL_IR_FPTOSI ? "llvm.fptosi.sat"
							   : "llvm.fptoui.sat",
				    over, 2, &a, 1);
	}
	}
}

void cg_arith(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_val v = {0};
	switch (i->op) {
	case VCL_IR_CONST:
		v.v = constant(C, i);
		break;
	case VCL_IR_FNEG:
		v.v = LLVMBuildFNeg(C->b, cg_get(C, i->a).v, "");
		break;
	case VCL_IR_ICMP:
		v.v = LLVMBuildICmp(C->b, ipred[i->imm], cg_get(C, i->a).v,
				    cg_get(C, i->b).v, "");
		break;
	case VCL_IR_FCMP:
		v.v = LLVMBuildFCmp(C->b, fpred[i->imm], cg_get(C, i->a).v,
				    cg_get(C, i->b).v, "");
		break;
	case VCL_IR_SELECT: {
		LLVMValueRef c = cg_get(C, i->a).v;
		struct cg_val x = cg_get(C, i->b), y = cg_get(C, i->c);
		v.v = LLVMBuildSelect(C->b, c, x.v, y.v, "");
		if (VCL_IR_KIND(i->type) == VCL_IR_PTR) {
			v.base = LLVMBuildSelect(C->b, c, x.base, y.base, "");
			v.size = LLVMBuildSelect(C->b, c, x.size, y.size, "");
			v.obj = LLVMBuildSelect(C->b, c, x.obj, y.obj, "");
		}
		break;
	}
	default:
		if (i->op >= VCL_IR_ADD && i->op <= VCL_IR_FREM)
			v.v = binary(C, i->op, cg_get(C, i->a).v,
				     cg_get(C, i->b).v);
		else if (i->op >= VCL_IR_SEXT && i->op <= VCL_IR_FPTOUI)
			v.v = conversion(C, i, cg_get(C, i->a).v);
		else {
			cg_fail(C, -EINVAL, "operation %s not supported",
				vcl_ir_op_name(i->op));
			return;
		}
	}
	cg_define(C, i, v);
}
