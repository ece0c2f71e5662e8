/*
 * vjit_compile: the module's functions to LLVM IR (codegen_*.c, wg_*.c),
 * optimized for the host CPU with the new pass manager (default<O3>),
 * compiled to objects and linked by an LLJIT of the program's own. Each
 * kernel is a unit of its own (its own LLVM context and module, with the
 * functions it calls), and the units compile side by side on up to as
 * many threads as the machine has cores (UNIT_THREADS at most). The code
 * lives in a bare JITDylib whose only other symbols are the table of
 * jit_symbols.c: no generator of process symbols, so generated code can
 * call nothing else. One LLJIT per program: its memory goes with
 * vjit_program_free, and programs share nothing, so compiles on several
 * threads need no lock.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "jit_internal.h"

/* IR instructions in a program the code generator takes. */
#define VJIT_MAX_INSTS (1u << 16)

/* Threads a compile takes at most (the caller's with them). */
#define UNIT_THREADS 4
/* Their stack, as the daemon's threads have (LLVM recurses). */
#define UNIT_STACK (8u << 20)

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;
/* The host, asked once: every target machine is made for it. */
static char *host_triple, *host_cpu, *host_features;
static LLVMTargetRef host_target;

static void llvm_init(void)
{
	LLVMInitializeNativeTarget();
	LLVMInitializeNativeAsmPrinter();
	LLVMInitializeNativeAsmParser(); /* the stop poll (cg_stop_set) */
	host_triple = LLVMGetDefaultTargetTriple();
	host_cpu = LLVMGetHostCPUName();
	host_features = LLVMGetHostCPUFeatures();
	char *err = NULL;
	if (LLVMGetTargetFromTriple(host_triple, &host_target, &err)) {
		host_target = NULL;
		LLVMDisposeMessage(err);
	}
}

static int llvm_error(LLVMErrorRef e, char *msg, const char *what)
{
	char *s = LLVMGetErrorMessage(e);
	snprintf(msg, VJIT_MSG_MAX, "%s: %s", what, s);
	LLVMDisposeErrorMessage(s);
	return -EINVAL;
}

static bool block_has_barrier(const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if (i->op == VCL_IR_BARRIER || block_has_barrier(&i->then) ||
		    block_has_barrier(&i->els))
			return true;
	return false;
}

static void module_types(struct cg_module *M)
{
	LLVMContextRef c = M->ctx;
	M->i1 = LLVMInt1TypeInContext(c);
	M->i8 = LLVMInt8TypeInContext(c);
	M->i16 = LLVMInt16TypeInContext(c);
	M->i32 = LLVMInt32TypeInContext(c);
	M->i64 = LLVMInt64TypeInContext(c);
	M->f32 = LLVMFloatTypeInContext(c);
	M->f64 = LLVMDoubleTypeInContext(c);
	M->ptr = LLVMPointerTypeInContext(c, 0);
	M->vd = LLVMVoidTypeInContext(c);
	LLVMTypeRef fat[5] = {M->ptr, M->i64, M->i64, M->i32, M->i32};
	M->fat = LLVMStructTypeInContext(c, fat, 4, 0);
	M->spill_fat = LLVMStructTypeInContext(c, fat, 5, 0);
	LLVMTypeRef fp[3] = {M->ptr, M->i32, M->i64};
	M->fault_ty = LLVMFunctionType(M->vd, fp, 3, 0);
	M->fault_fn = LLVMAddFunction(M->mod, "vjit_rt_fault", M->fault_ty);
	unsigned cold = LLVMGetEnumAttributeKindForName("cold", 4);
	LLVMAddAttributeAtIndex(M->fault_fn, LLVMAttributeFunctionIndex,
				LLVMCreateEnumAttribute(c, cold, 0));
}

static uint64_t count_insts(const struct vcl_ir_block *b)
{
	uint64_t n = 0;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		n += 1 + count_insts(&i->then) + count_insts(&i->els);
	return n;
}

/* LLVM's optimizer takes time that grows faster than the code: a
 * program past VJIT_MAX_INSTS is refused before it starts. */
static int check_size(struct cg_module *M)
{
	uint64_t n = 0;
	for (uint32_t f = 0; f < M->m->nfuncs; f++)
		n += count_insts(&M->m->funcs[f].body);
	if (n <= VJIT_MAX_INSTS)
		return 0;
	snprintf(M->msg, VJIT_MSG_MAX,
		 "program of %llu IR instructions, the code generator takes "
		 "at most %u",
		 (unsigned long long)n, VJIT_MAX_INSTS);
	return -EINVAL;
}

/* The most stack a kernel's context may take (else it is on the heap). */
#define CTX_STACK_MAX (256u << 10)

/* Kernels whose stack bound passes VJIT_MAX_STACK are refused. */
static int check_stack(struct cg_module *M, const uint64_t *stack)
{
	for (uint32_t f = 0; f < M->m->nfuncs; f++) {
		const struct vcl_ir_function *fn = &M->m->funcs[f];
		if (fn->is_kernel && stack[f] > VJIT_MAX_STACK) {
			snprintf(M->msg, VJIT_MSG_MAX,
				 "kernel '%s' may need %llu KiB of stack "
				 "(private arrays, values, calls), at most %u",
				 fn->name ? fn->name : "?",
				 (unsigned long long)(stack[f] >> 10),
				 VJIT_MAX_STACK >> 10);
			return -EINVAL;
		}
	}
	return 0;
}

static int one_function(struct cg_module *M, struct vjit_kernel *k, uint32_t f,
			uint64_t stack)
{
	const struct vcl_ir_function *fn = &M->m->funcs[f];
	if (!fn->is_kernel) {
		/* Inlining (vcl_ir_inline_barriers) left none. */
		if (block_has_barrier(&fn->body)) {
			snprintf(M->msg, VJIT_MSG_MAX,
				 "function '%s' has a barrier after inlining",
				 fn->name ? fn->name : "?");
			return -EINVAL;
		}
		return cg_function(M, f, NULL);
	}
	struct wg_plan plan;
	int err = wg_plan_make(&plan, fn, M->msg);
	if (!err) {
		/* The context on the stack when it fits (wg_loop.c). */
		uint64_t cs = wg_ctx_stack_bytes(&plan);
		if (plan.barriers && cs <= CTX_STACK_MAX &&
		    stack + cs <= VJIT_MAX_STACK)
			plan.ctx_stack = cs;
		err = cg_function(M, f, &plan);
		k->func = f;
		k->per_wi = plan.barriers && !plan.ctx_stack ? plan.per_wi : 0;
		k->stack = stack + plan.ctx_stack;
	}
	wg_plan_free(&plan);
	return err;
}

/* What is refused before any code is generated; each function's bound
 * on its stack into STACK (nfuncs + 1 entries). */
static int check_module(struct cg_module *M, uint64_t *stack)
{
	if (jit_stack_bounds(M->m, stack)) {
		snprintf(M->msg, VJIT_MSG_MAX, "out of memory");
		return -ENOMEM;
	}
	int err = check_size(M);
	return err ? err : check_stack(M, stack);
}

/*
 * A unit: a kernel (or, in a program without one, none) and the functions
 * it calls, generated, optimized and compiled to an object on one thread,
 * in an LLVM context of its own. The functions no kernel calls are
 * generated in the first unit (for their errors; LLVM drops them).
 */
struct unit {
	uint32_t kernel; /* its index in the program's kernels */
	uint8_t *want;	 /* per function: generated in this unit */
	uint64_t insts;	 /* IR instructions: the biggest start first */
	/* between its halves (compile_front, compile_back) */
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMTargetMachineRef tm;
	bool ready, emitting; /* optimized; its back half taken */
	LLVMMemoryBufferRef obj;
	char *pre, *opt; /* the module's text, with VGPUJIT_DUMP */
	int err;
	char msg[VJIT_MSG_MAX];
};

struct compile {
	struct vjit_program *p;
	const uint64_t *stack; /* per function */
	struct unit *units;
	uint32_t *order; /* units by size, biggest first */
	uint32_t nunits;
	pthread_mutex_t lock; /* next, ready and emitting */
	uint32_t next;	      /* in order: the next front half to take */
	bool dump;
};

/* Marks in WANT the functions block B calls. */
static void mark_calls(const struct vcl_ir_module *m,
		       const struct vcl_ir_block *b, uint8_t *want)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->op == VCL_IR_CALL && i->imm < m->nfuncs)
			want[i->imm] = 1;
		mark_calls(m, &i->then, want);
		mark_calls(m, &i->els, want);
	}
}

/* Kernel F and the functions it calls, and theirs, into WANT: a function
 * calls only functions before it, so one pass down from F (no recursion
 * along a chain of 4096 calls). */
static void mark_unit(const struct vcl_ir_module *m, uint32_t f, uint8_t *want)
{
	want[f] = 1;
	for (uint32_t g = f + 1; g-- > 0;)
		if (want[g])
			mark_calls(m, &m->funcs[g].body, want);
}

static int bigger_first(const void *a, const void *b, void *arg)
{
	const struct unit *u = arg;
	uint64_t x = u[*(const uint32_t *)a].insts,
		 y = u[*(const uint32_t *)b].insts;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The program's units: one per kernel, in their order, at least one. */
static int make_units(struct compile *c)
{
	const struct vcl_ir_module *m = c->p->m;
	c->nunits = c->p->nkernels ? c->p->nkernels : 1;
	c->units = calloc(c->nunits, sizeof(*c->units));
	c->order = calloc(c->nunits, sizeof(*c->order));
	if (!c->units || !c->order)
		return -ENOMEM;
	for (uint32_t k = 0; k < c->nunits; k++) {
		c->units[k].kernel = k;
		c->order[k] = k;
		if (!(c->units[k].want = calloc(m->nfuncs + 1, 1)))
			return -ENOMEM;
	}
	uint32_t k = 0;
	for (uint32_t f = 0; f < m->nfuncs; f++)
		if (m->funcs[f].is_kernel)
			mark_unit(m, f, c->units[k++].want);
	for (uint32_t f = 0; f < m->nfuncs; f++) {
		bool called = m->funcs[f].is_kernel;
		for (uint32_t u = 0; u < c->nunits; u++)
			called |= c->units[u].want[f];
		if (!called)
			c->units[0].want[f] = 1;
		for (uint32_t u = 0; u < c->nunits; u++)
			if (c->units[u].want[f])
				c->units[u].insts +=
				    count_insts(&m->funcs[f].body);
	}
	qsort_r(c->order, c->nunits, sizeof(*c->order), bigger_first, c->units);
	return 0;
}

/* The unit's module, context and target machine, if it has them. */
static void drop_module(struct unit *u)
{
	if (u->mod)
		LLVMDisposeModule(u->mod);
	if (u->ctx)
		LLVMContextDispose(u->ctx);
	if (u->tm)
		LLVMDisposeTargetMachine(u->tm);
	u->mod = NULL;
	u->ctx = NULL;
	u->tm = NULL;
}

static void free_units(struct compile *c)
{
	for (uint32_t u = 0; c->units && u < c->nunits; u++) {
		free(c->units[u].want);
		drop_module(&c->units[u]);
		if (c->units[u].obj)
			LLVMDisposeMemoryBuffer(c->units[u].obj);
		LLVMDisposeMessage(c->units[u].pre);
		LLVMDisposeMessage(c->units[u].opt);
	}
	free(c->units);
	free(c->order);
}

/* The unit's functions to LLVM IR, in order (a function calls only
 * functions before it); kernels get their work-group plan. */
static int generate(struct cg_module *M, struct compile *c, struct unit *u)
{
	const struct vcl_ir_module *m = M->m;
	int err = 0;
	for (uint32_t f = 0; f < m->nfuncs; f++)
		if (u->want[f] && m->funcs[f].is_kernel)
			M->fuse = c->p->kernels[u->kernel].fuse =
			    (uint8_t)wg_fuse_kind(m, f);
	for (uint32_t f = 0; f < m->nfuncs && !err; f++)
		if (u->want[f])
			err = one_function(M, &c->p->kernels[u->kernel], f,
					   c->stack[f]);
	return err;
}

/* The module optimized for the host: default<O3>. */
static int optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, char *msg)
{
	LLVMSetTarget(mod, host_triple);
	LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
	LLVMSetModuleDataLayout(mod, td);
	LLVMDisposeTargetData(td);
	LLVMPassBuilderOptionsRef o = LLVMCreatePassBuilderOptions();
	LLVMPassBuilderOptionsSetLoopVectorization(o, 1);
	LLVMPassBuilderOptionsSetSLPVectorization(o, 1);
	LLVMErrorRef e = LLVMRunPasses(mod, "default<O3>", tm, o);
	LLVMDisposePassBuilderOptions(o);
	return e ? llvm_error(e, msg, "optimizing") : 0;
}

/*
 * A target machine for the host as LLJIT makes its own (its default code
 * generation level; for JITLink, the small code model and
 * position-independent code), so that the objects are what the LLJIT's
 * own compile made.
 */
static LLVMTargetMachineRef host_machine(void)
{
	if (!host_target)
		return NULL;
	return LLVMCreateTargetMachine(host_target, host_triple, host_cpu,
				       host_features, LLVMCodeGenLevelDefault,
				       LLVMRelocPIC, LLVMCodeModelSmall);
}

/* The unit's front half: its module generated, verified and optimized
 * (u->mod, for compile_back), or its error in u->msg. */
static void compile_front(struct compile *c, struct unit *u)
{
	const struct vcl_ir_module *m = c->p->m;
	struct cg_module M = {.msg = u->msg, .m = m};
	M.fns = calloc(m->nfuncs + 1, sizeof(*M.fns));
	M.fn_types = calloc(m->nfuncs + 1, sizeof(*M.fn_types));
	u->tm = host_machine();
	int err = 0;
	if (!u->tm) {
		snprintf(u->msg, VJIT_MSG_MAX, "no LLVM target for the host");
		err = -EINVAL;
	} else if (!M.fns || !M.fn_types) {
		snprintf(u->msg, VJIT_MSG_MAX, "out of memory");
		err = -ENOMEM;
	} else {
		u->ctx = M.ctx = LLVMContextCreate();
		u->mod = M.mod =
		    LLVMModuleCreateWithNameInContext("vgpufs", M.ctx);
		module_types(&M);
		err = generate(&M, c, u);
		char *verr = NULL;
		if (!err &&
		    LLVMVerifyModule(M.mod, LLVMReturnStatusAction, &verr)) {
			snprintf(u->msg, VJIT_MSG_MAX,
				 "code generator bug: %.150s", verr);
			err = -EINVAL;
		}
		LLVMDisposeMessage(verr);
		if (c->dump)
			u->pre = LLVMPrintModuleToString(M.mod);
		if (!err)
			err = optimize(M.mod, u->tm, u->msg);
		if (c->dump && !err)
			u->opt = LLVMPrintModuleToString(M.mod);
	}
	free(M.fns);
	free(M.fn_types);
	u->err = err;
	if (err)
		drop_module(u);
}

/* The unit's back half: its optimized module to an object (u->obj), or
 * its error in u->msg; the module is dropped either way. */
static void compile_back(struct unit *u)
{
	char *emsg = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(u->tm, u->mod, LLVMObjectFile,
						&emsg, &u->obj)) {
		snprintf(u->msg, VJIT_MSG_MAX, "code generation: %s", emsg);
		u->err = -EINVAL;
	}
	LLVMDisposeMessage(emsg);
	drop_module(u);
}

/*
 * Takes halves until none is left: a unit's front half (biggest first)
 * while any is left, else the biggest optimized unit's back half. A
 * unit's halves may run on two threads (its context is used by one at a
 * time): three units on two threads end after about three halves each
 * rather than two units on one of them. A unit optimized is ready before
 * its thread looks for work again, so none is left behind.
 */
static void *unit_worker(void *arg)
{
	struct compile *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct unit *u = NULL;
		if (c->next < c->nunits) {
			u = &c->units[c->order[c->next++]];
			pthread_mutex_unlock(&c->lock);
			compile_front(c, u);
			pthread_mutex_lock(&c->lock);
			u->ready = !u->err;
			continue;
		}
		for (uint32_t k = 0; k < c->nunits && !u; k++) {
			struct unit *v = &c->units[c->order[k]];
			if (v->ready && !v->emitting)
				u = v;
		}
		if (!u)
			break;
		u->emitting = true;
		pthread_mutex_unlock(&c->lock);
		compile_back(u);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Every unit compiled, on the caller's thread and up to UNIT_THREADS - 1
 * more, no more than the machine has cores (none for one unit); the
 * first unit's error (in the program's order) in MSG. */
static int compile_units(struct compile *c, char *msg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t n = c->nunits < UNIT_THREADS ? c->nunits : UNIT_THREADS;
	if (cores > 0 && (uint64_t)cores < n)
		n = (uint32_t)cores;
	pthread_t t[UNIT_THREADS];
	uint32_t started = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr); /* glibc's never fails */
	/*
	 * Any core for the caller while it compiles beside other threads,
	 * and so for the threads it starts: a daemon worker is pinned to
	 * one CPU (sched/topology.c), and a thread started from it waits in
	 * that CPU's queue behind its creator until the scheduler moves it,
	 * even with any CPU in its attributes (glibc sets the mask after the
	 * clone, and the kernel moves no thread whose CPU the new mask
	 * still allows): 48-60 ms more a compile under chrt -f 1
	 * (benchmarks.md, "Cold compile: the caller unpinned"). Pinned again
	 * after.
	 */
	cpu_set_t any, mine;
	CPU_ZERO(&any);
	for (int k = 0; k < CPU_SETSIZE; k++)
		CPU_SET(k, &any);
	pthread_t self = pthread_self();
	bool widened = n > 1 &&
		       !pthread_getaffinity_np(self, sizeof(mine), &mine) &&
		       !pthread_setaffinity_np(self, sizeof(any), &any);
	bool attr_ok = !pthread_attr_setstacksize(&attr, UNIT_STACK);
	/* a thread that cannot start leaves its units to the others */
	for (uint32_t k = 1; k < n && attr_ok; k++)
		if (!pthread_create(&t[started], &attr, unit_worker, c))
			started++;
	unit_worker(c);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	if (widened)
		pthread_setaffinity_np(self, sizeof(mine), &mine);
	pthread_attr_destroy(&attr);
	for (uint32_t u = 0; u < c->nunits; u++)
		if (c->units[u].err) {
			snprintf(msg, VJIT_MSG_MAX, "%s", c->units[u].msg);
			return c->units[u].err;
		}
	return 0;
}

/*
 * For reading the generated code: with VGPUJIT_DUMP=PREFIX in the
 * environment, the units' modules before and after optimization go to
 * PREFIX.pre.ll and PREFIX.opt.ll, one after the other (the last
 * compile's; a debugging aid, not an interface).
 */
static void dump(const struct compile *c, const char *stage, bool pre)
{
	const char *prefix = getenv("VGPUJIT_DUMP");
	if (!c->dump || !prefix || !prefix[0])
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s.%s.ll", prefix, stage);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (uint32_t u = 0; u < c->nunits; u++) {
		const char *text = pre ? c->units[u].pre : c->units[u].opt;
		if (text)
			fputs(text, f);
	}
	fclose(f);
}

/* The symbol table, as absolute symbols of the program's JITDylib. */
static int define_symbols(LLVMOrcLLJITRef jit, LLVMOrcJITDylibRef jd, char *msg)
{
	LLVMOrcCSymbolMapPair *syms = calloc(vjit_nsymbols, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	for (size_t k = 0; k < vjit_nsymbols; k++) {
		syms[k].Name =
		    LLVMOrcLLJITMangleAndIntern(jit, vjit_symbols[k].name);
		syms[k].Sym.Address =
		    (LLVMOrcExecutorAddress)(uintptr_t)vjit_symbols[k].addr;
		syms[k].Sym.Flags.GenericFlags =
		    LLVMJITSymbolGenericFlagsExported |
		    LLVMJITSymbolGenericFlagsCallable;
	}
	LLVMOrcMaterializationUnitRef mu =
	    LLVMOrcAbsoluteSymbols(syms, vjit_nsymbols);
	free(syms);
	LLVMErrorRef e = LLVMOrcJITDylibDefine(jd, mu);
	if (e) {
		LLVMOrcDisposeMaterializationUnit(mu);
		return llvm_error(e, msg, "symbols");
	}
	return 0;
}

struct lookup_result {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	LLVMErrorRef err;
	LLVMOrcExecutorAddress addr;
};

static void lookup_done(LLVMErrorRef err, LLVMOrcCSymbolMapPairs result,
			size_t n, void *ctx)
{
	struct lookup_result *r = ctx;
	pthread_mutex_lock(&r->lock);
	r->err = err;
	if (!err && n)
		r->addr = result[0].Sym.Address;
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Looks NAME up in JD only (LLJIT's own lookup goes through its main
 * JITDylib, which may link the process's symbols). */
static int lookup(LLVMOrcLLJITRef jit, LLVMOrcJITDylibRef jd, const char *name,
		  uint64_t *addr, char *msg)
{
	struct lookup_result r = {.lock = PTHREAD_MUTEX_INITIALIZER,
				  .cond = PTHREAD_COND_INITIALIZER};
	LLVMOrcCJITDylibSearchOrderElement order = {
	    jd, LLVMOrcJITDylibLookupFlagsMatchAllSymbols};
	LLVMOrcCLookupSetElement sym = {LLVMOrcLLJITMangleAndIntern(jit, name),
					LLVMOrcSymbolLookupFlagsRequiredSymbol};
	LLVMOrcExecutionSessionLookup(LLVMOrcLLJITGetExecutionSession(jit),
				      LLVMOrcLookupKindStatic, &order, 1, &sym,
				      1, lookup_done, &r);
	pthread_mutex_lock(&r.lock);
	while (!r.done)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	if (r.err)
		return llvm_error(r.err, msg, "linking");
	*addr = r.addr;
	return 0;
}

/* The session's errors (a symbol not found) go to the program's buffer,
 * for the compile's message, not to the daemon's stderr. */
static void session_error(void *ctx, LLVMErrorRef e)
{
	char *buf = ctx, *s = LLVMGetErrorMessage(e);
	if (!buf[0])
		snprintf(buf, VJIT_MSG_MAX, "linking: %s", s);
	LLVMDisposeErrorMessage(s);
}

/* The program's LLJIT, linking the units' objects (it takes them). */
static int make_jit(struct vjit_program *p, struct compile *c, char *msg)
{
	LLVMOrcJITTargetMachineBuilderRef jtmb;
	LLVMErrorRef e = LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb);
	if (e)
		return llvm_error(e, msg, "host");
	LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
	LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
	e = LLVMOrcCreateLLJIT(&p->jit, builder);
	if (e) {
		p->jit = NULL;
		return llvm_error(e, msg, "LLJIT");
	}
	LLVMOrcExecutionSessionRef es = LLVMOrcLLJITGetExecutionSession(p->jit);
	LLVMOrcExecutionSessionSetErrorReporter(es, session_error,
						p->session_err);
	LLVMOrcJITDylibRef jd =
	    LLVMOrcExecutionSessionCreateBareJITDylib(es, "program");
	int err = define_symbols(p->jit, jd, msg);
	if (err)
		return err;
	for (uint32_t u = 0; u < c->nunits; u++) {
		e = LLVMOrcLLJITAddObjectFile(p->jit, jd, c->units[u].obj);
		c->units[u].obj = NULL; /* taken, even on an error */
		if (e)
			return llvm_error(e, msg, "adding the code");
	}
	for (uint32_t k = 0; k < p->nkernels; k++) {
		char name[40];
		uint64_t addr =
		    0; /* GCC -O1 (Tsan) cannot see lookup() sets it */
		snprintf(name, sizeof(name), "__vjit_kernel_%u",
			 p->kernels[k].func);
		err = lookup(p->jit, jd, name, &addr, msg);
		if (err) {
			if (p->session_err[0])
				snprintf(msg, VJIT_MSG_MAX, "%s",
					 p->session_err);
			return err;
		}
		p->kernels[k].fn = (vjit_group_fn)(uintptr_t)addr;
	}
	return 0;
}

/* Each kernel's __local allocations laid out in one area. Kernels are
 * numbered in the order of their functions: one_function() sets K->func
 * only later (taking funcs[0] for every kernel left a later kernel's __local
 * arrays no room, and its stores ran past the area). */
static int lay_out_locals(struct vjit_program *p)
{
	uint32_t k = 0;
	for (uint32_t fi = 0; fi < p->m->nfuncs && k < p->nkernels; fi++) {
		const struct vcl_ir_function *f = &p->m->funcs[fi];
		if (!f->is_kernel)
			continue;
		struct vjit_kernel *K = &p->kernels[k++];
		K->local_off = calloc(f->nlocals + 1, sizeof(*K->local_off));
		if (!K->local_off)
			return -ENOMEM;
		uint64_t at = 0;
		for (uint32_t l = 0; l < f->nlocals; l++) {
			uint64_t al =
			    f->locals[l].align < 16 ? 16 : f->locals[l].align;
			at = (at + al - 1) / al * al;
			K->local_off[l] = at;
			at += f->locals[l].size;
		}
		K->local_bytes = (at + 15) / 16 * 16;
	}
	return 0;
}

/*
 * The work-group transformation needs every barrier in its kernel's body:
 * the calls of functions with one are inlined (compiler/ir_inline.c) into
 * a module of the program's own, verified again. -EINVAL with the first
 * error in MSG.
 */
static int inline_barriers(struct vjit_program *p, char *msg)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 4);
	int err = 0;
	if (!vcl_ir_inline_barriers(p->m, &p->inlined, &d)) {
		err = -EINVAL;
		snprintf(msg, VJIT_MSG_MAX, "%s",
			 d.n ? d.v[0].message : "inlining failed");
	} else if (p->inlined) {
		p->m = p->inlined;
	}
	vcl_diags_free(&d);
	return err;
}

int vjit_compile(const struct vcl_ir_module *m, struct vjit_program **out,
		 char msg[static VJIT_MSG_MAX])
{
	*out = NULL;
	msg[0] = 0;
	pthread_once(&llvm_once, llvm_init);
	struct vjit_program *p = calloc(1, sizeof(*p));
	struct compile c = {.p = p,
			    .lock = PTHREAD_MUTEX_INITIALIZER,
			    .dump = getenv("VGPUJIT_DUMP") != NULL};
	uint64_t *stack = NULL;
	if (!p)
		goto oom;
	p->m = m;
	int err = inline_barriers(p, msg);
	if (err) {
		vjit_program_free(p);
		return err;
	}
	m = p->m;
	for (uint32_t f = 0; f < m->nfuncs; f++)
		p->nkernels += m->funcs[f].is_kernel;
	p->kernels = calloc(p->nkernels + 1, sizeof(*p->kernels));
	c.stack = stack = calloc(m->nfuncs + 1, sizeof(*stack));
	if (!p->kernels || !stack || lay_out_locals(p))
		goto oom;
	err = check_module(&(struct cg_module){.msg = msg, .m = m}, stack);
	if (!err && make_units(&c))
		goto oom;
	if (!err)
		err = compile_units(&c, msg);
	dump(&c, "pre", true);
	dump(&c, "opt", false);
	if (!err)
		err = make_jit(p, &c, msg);
	free_units(&c);
	free(stack);
	if (err) {
		vjit_program_free(p);
		return err;
	}
	*out = p;
	return 0;
oom:
	free_units(&c);
	free(stack);
	vjit_program_free(p);
	snprintf(msg, VJIT_MSG_MAX, "out of memory");
	return -ENOMEM;
}

void vjit_program_free(struct vjit_program *p)
{
	if (!p)
		return;
	if (p->jit)
		LLVMOrcDisposeLLJIT(p->jit);
	for (uint32_t k = 0; p->kernels && k < p->nkernels; k++)
		free(p->kernels[k].local_off);
	free(p->kernels);
	vcl_ir_free(p->inlined);
	free(p);
}

int vjit_kernel_index(const struct vjit_program *p, const char *name)
{
	for (uint32_t k = 0; k < p->nkernels; k++) {
		const char *n = p->m->funcs[p->kernels[k].func].name;
		if (n && name && strcmp(n, name) == 0)
			return (int)k;
	}
	return -ENOENT;
}

uint64_t vjit_kernel_stack(const struct vjit_program *p, int kernel)
{
	if (kernel < 0 || (uint32_t)kernel >= p->nkernels)
		return 0;
	return p->kernels[kernel].stack;
}

const struct vcl_ir_function *vjit_kernel_ir(const struct vjit_program *p,
					     int kernel)
{
	if (kernel < 0 || (uint32_t)kernel >= p->nkernels)
		return NULL;
	return &p->m->funcs[p->kernels[kernel].func];
}
