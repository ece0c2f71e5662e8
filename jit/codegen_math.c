/*
 * The math intrinsics (`intrin f32 sqrt(...)`, vcl_ir_intrin_base's list),
 * f32 and f64: an LLVM intrinsic where LLVM has one, a libm function of
 * the symbol table (jit_symbols.c) where not (lgamma: a wrapper of
 * lgamma_r there), or a few instructions for
 * the compositions OpenCL defines (clamp, mix, step, smoothstep, sign...).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jit_internal.h"

/* OpenCL name -> LLVM intrinsic (overloaded on the type). mad is also
 * a * b + c where FP_CONTRACT allows (the lowering makes it so): fused
 * where the CPU has an FMA, as clang does for OpenCL, else two
 * roundings. */
static const struct {
	const char *cl, *llvm;
} intrinsics[] = {
    {"sqrt", "llvm.sqrt"},	   {"fabs", "llvm.fabs"},
    {"floor", "llvm.floor"},	   {"ceil", "llvm.ceil"},
    {"trunc", "llvm.trunc"},	   {"rint", "llvm.rint"},
    {"round", "llvm.round"},	   {"fma", "llvm.fma"},
    {"copysign", "llvm.copysign"}, {"exp", "llvm.exp"},
    {"exp2", "llvm.exp2"},	   {"log", "llvm.log"},
    {"log2", "llvm.log2"},	   {"log10", "llvm.log10"},
    {"sin", "llvm.sin"},	   {"cos", "llvm.cos"},
    {"pow", "llvm.pow"},	   {"powr", "llvm.pow"},
    {"fmin", "llvm.minnum"},	   {"fmax", "llvm.maxnum"},
    {"min", "llvm.minnum"},	   {"max", "llvm.maxnum"},
    {"mad", "llvm.fmuladd"},
};

/* OpenCL names that are libm functions of the same name ("f" suffix for
 * f32); each is in the symbol table. */
static const char *const libm[] = {
    "acos", "acosh", "asin", "asinh", "atan",  "atan2",	 "atanh", "cbrt",
    "cosh", "erf",   "erfc", "exp10", "expm1", "fdim",	 "hypot", "log1p",
    "logb", "sinh",  "tan",  "tanh",  "fmod",  "tgamma",
};

static LLVMValueRef call_intrinsic(struct cg_func *C, const char *name,
				   LLVMTypeRef t, LLVMValueRef *a, unsigned n)
{
	return cg_intrinsic(C, name, &t, 1, a, n);
}

static LLVMValueRef call_libm(struct cg_func *C, const char *base,
			      LLVMTypeRef t, LLVMValueRef *a, unsigned n)
{
	char name[24];
	snprintf(name, sizeof(name), "%s%s", base, t == C->M->f32 ? "f" : "");
	LLVMTypeRef params[3] = {t, t, t};
	LLVMTypeRef ft = LLVMFunctionType(t, params, n, 0);
	LLVMValueRef fn = LLVMGetNamedFunction(C->M->mod, name);
	if (!fn)
		fn = LLVMAddFunction(C->M->mod, name, ft);
	return LLVMBuildCall2(C->b, ft, fn, a, n, "");
}

static LLVMValueRef fconst(LLVMTypeRef t, double v)
{
	return LLVMConstReal(t, v);
}

static LLVMValueRef clamp(struct cg_func *C, LLVMTypeRef t, LLVMValueRef x,
			  LLVMValueRef lo, LLVMValueRef hi)
{
	LLVMValueRef a[2] = {x, lo};
	a[0] = call_intrinsic(C, "llvm.maxnum", t, a, 2);
	a[1] = hi;
	return call_intrinsic(C, "llvm.minnum", t, a, 2);
}

/* The compositions; NULL when name is none of them. */
static LLVMValueRef composite(struct cg_func *C, const char *name,
			      LLVMTypeRef t, LLVMValueRef *a)
{
	LLVMBuilderRef B = C->b;
	if (!strcmp(name, "clamp"))
		return clamp(C, t, a[0], a[1], a[2]);
	if (!strcmp(name, "degrees"))
		return LLVMBuildFMul(B, a[0], fconst(t, 57.29577951308232), "");
	if (!strcmp(name, "radians"))
		return LLVMBuildFMul(B, a[0], fconst(t, 0.017453292519943295),
				     "");
	if (!strcmp(name, "mix"))
		return LLVMBuildFAdd(
		    B, a[0],
		    LLVMBuildFMul(B, LLVMBuildFSub(B, a[1], a[0], ""), a[2],
				  ""),
		    "");
	if (!strcmp(name, "recip") || !strcmp(name, "rsqrt")) {
		LLVMValueRef x = a[0];
		if (name[0] == 'r' && name[1] == 's')
			x = call_intrinsic(C, "llvm.sqrt", t, a, 1);
		return LLVMBuildFDiv(B, fconst(t, 1.0), x, "");
	}
	if (!strcmp(name, "divide"))
		return LLVMBuildFDiv(B, a[0], a[1], "");
	if (!strcmp(name, "step"))
		return LLVMBuildSelect(
		    B, LLVMBuildFCmp(B, LLVMRealOLT, a[1], a[0], ""),
		    fconst(t, 0.0), fconst(t, 1.0), "");
	if (!strcmp(name, "sign")) {
		/* 1, -1, the zero itself, 0 for NaN */
		LLVMValueRef x = a[0];
		LLVMValueRef r =
		    LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealUNO, x, x, ""),
				    fconst(t, 0.0), x, "");
		r = LLVMBuildSelect(
		    B, LLVMBuildFCmp(B, LLVMRealOLT, x, fconst(t, 0.0), ""),
		    fconst(t, -1.0), r, "");
		return LLVMBuildSelect(
		    B, LLVMBuildFCmp(B, LLVMRealOGT, x, fconst(t, 0.0), ""),
		    fconst(t, 1.0), r, "");
	}
	if (!strcmp(name, "smoothstep")) {
		LLVMValueRef x =
		    LLVMBuildFDiv(B, LLVMBuildFSub(B, a[2], a[0], ""),
				  LLVMBuildFSub(B, a[1], a[0], ""), "");
		x = clamp(C, t, x, fconst(t, 0.0), fconst(t, 1.0));
		LLVMValueRef k =
		    LLVMBuildFSub(B, fconst(t, 3.0),
				  LLVMBuildFMul(B, fconst(t, 2.0), x, ""), "");
		return LLVMBuildFMul(B, LLVMBuildFMul(B, x, x, ""), k, "");
	}
	return NULL;
}

void cg_math(struct cg_func *C, const struct vcl_ir_inst *i)
{
	LLVMTypeRef t = cg_type(C->M, i->type);
	LLVMValueRef a[3];
	if (i->nargs > 3) {
		cg_fail(C, -EINVAL, "intrinsic %s: too many arguments",
			i->name);
		return;
	}
	for (uint32_t k = 0; k < i->nargs; k++)
		a[k] = cg_get(C, i->args[k]).v;
	struct cg_val v = {0};
	for (size_t k = 0; k < sizeof(intrinsics) / sizeof(intrinsics[0]); k++)
		if (!strcmp(i->name, intrinsics[k].cl))
			v.v = call_intrinsic(C, intrinsics[k].llvm, t, a,
					     i->nargs);
	for (size_t k = 0; !v.v && k < sizeof(libm) / sizeof(libm[0]); k++)
		if (!strcmp(i->name, libm[k]))
			v.v = call_libm(C, libm[k], t, a, i->nargs);
	/* lgamma through lgamma_r (jit_symbols.c): not glibc's lgamma,
	 * which writes the global signgam from every work-item's thread */
	if (!v.v && !strcmp(i->name, "lgamma"))
		v.v = call_libm(C, "vjit_lgamma", t, a, i->nargs);
	if (!v.v)
		v.v = composite(C, i->name, t, a);
	if (!v.v) {
		cg_fail(C, -EINVAL, "intrinsic %s not supported", i->name);
		return;
	}
	cg_define(C, i, v);
}
