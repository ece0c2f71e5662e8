/*
 * Inlining the functions that have a barrier (docs/compiler.md, "Barriers
 * in helper functions"). The code generator runs a kernel's work-items as
 * loops between its barriers (jit/wg_plan.c), which needs every barrier in
 * the kernel's own body; so each call of a function with a barrier (its
 * own or a callee's) becomes a copy of the callee's body: the parameters
 * are the call's arguments, values and slots get new numbers in the
 * caller, and a return becomes a store of its value to a result slot and
 * a `break` out of the callee's loops; after a statement holding a return,
 * the rest of its list runs under `if returned {} else { rest }`, a flag
 * of that statement's own (one flag for all would make every return as
 * divergent as the most divergent one to the verifier, which follows
 * slots without their order). Only `if`s are added, so the callee's and
 * the caller's `break n` and `continue n` keep naming their loops. The
 * functions with barriers are then left out and the module is verified
 * again: a helper's barrier under a condition on a parameter is uniform in
 * the helper and divergent once a call passes it a work-item id, which
 * only the inlined code shows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>

/*
 * How a value can be made again where it is used: a constant, `local`,
 * `slot` (imm in the built function's numbering), or `lds` of a whole
 * slot (imm in the source's numbering while a frame's value, with the
 * list it was read in and the slot's stores before it).
 */
struct remake {
	bool set;
	enum vcl_ir_op op;
	uint64_t imm;
	const struct vcl_ir_block *list;
	uint32_t stores;
};

/* One copy of a function's body into the function being built. */
struct frame {
	const struct vcl_ir_function *src;
	uint32_t *map; /* per value of src: its number, or NONE */
	uint32_t nmap;
	uint32_t slot0;	 /* src's slot k is the built function's slot0+k */
	bool inlined;	 /* a callee's: returns become stores */
	bool nested;	 /* it has returns inside regions */
	uint32_t ret;	 /* slot of the result when nested, or NONE */
	uint32_t result; /* a top-level return's value when not nested */
	uint32_t *flags; /* slots: statements around that a return ends */
	uint32_t nflags;
	uint32_t calls;		 /* inlined calls around this copy */
	struct remake *remake;	 /* per value */
	uint32_t *stores;	 /* per slot of src: stores copied so far */
	struct remake *param_as; /* per parameter: its argument's remake */
};

struct inliner {
	const struct vcl_ir_module *m;
	struct vcl_ir_module *out;
	struct vcl_diags *d;
	bool *has_barrier;   /* per function of m */
	uint32_t *new_index; /* per function of m: its index in out */
	struct vcl_ir_function *f;
	uint32_t next;	 /* f's next value number */
	uint64_t ninsts; /* instructions made */
	uint32_t depth;	 /* f's regions open */
	bool failed;
	struct vcl_ir_inst scratch; /* written instead once failed */
};

__attribute__((format(printf, 2, 3))) static void fail(struct inliner *I,
						       const char *fmt, ...)
{
	if (I->failed)
		return;
	I->failed = true;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vcl_diag_add(I->d, VCL_ERROR, "<ir>", 0, 0, "%s", msg);
}

static const char *str_copy(struct inliner *I, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *c = vcl_ir_alloc(I->out, n + 1);
	if (!c) {
		fail(I, "out of memory");
		return s;
	}
	memcpy(c, s, n);
	return c;
}

/* A new instruction at the end of B; the scratch one once failed. */
static struct vcl_ir_inst *emit(struct inliner *I, struct vcl_ir_block *b,
				enum vcl_ir_op op, vcl_ir_type type)
{
	struct vcl_ir_inst *i = NULL;
	if (++I->ninsts > VCL_IR_MAX_INLINED)
		fail(I,
		     "the program with its calls of functions that have a "
		     "barrier inlined is more than %u IR instructions (at "
		     "'%s')",
		     VCL_IR_MAX_INLINED, I->f->name);
	else if (!I->failed && !(i = vcl_ir_append(I->out, b, op, type)))
		fail(I, "out of memory");
	if (I->failed) {
		memset(&I->scratch, 0, sizeof(I->scratch));
		return &I->scratch;
	}
	return i;
}

static uint32_t result(struct inliner *I, struct vcl_ir_inst *i)
{
	return i == &I->scratch ? VCL_IR_NONE : (i->id = I->next++);
}

static uint32_t konst(struct inliner *I, struct vcl_ir_block *b, vcl_ir_type t,
		      uint64_t bits)
{
	struct vcl_ir_inst *i = emit(I, b, VCL_IR_CONST, t);
	i->imm = bits;
	return result(I, i);
}

static void sts(struct inliner *I, struct vcl_ir_block *b, uint32_t slot,
		uint32_t v)
{
	struct vcl_ir_inst *i = emit(I, b, VCL_IR_STS, VCL_IR_VOID);
	i->a = v;
	i->imm = slot;
}

static uint32_t lds(struct inliner *I, struct vcl_ir_block *b, uint32_t slot,
		    vcl_ir_type t)
{
	struct vcl_ir_inst *i = emit(I, b, VCL_IR_LDS, t);
	i->imm = slot;
	return result(I, i);
}

static uint32_t add_slot(struct inliner *I, uint64_t size, uint32_t align)
{
	int64_t s =
	    vcl_ir_add_object(I->out, &I->f->slots, &I->f->nslots, size, align);
	if (s < 0) {
		fail(I,
		     "'%s' with its calls of functions that have a barrier "
		     "inlined has more than %d private slots",
		     I->f->name, VCL_IR_MAX_SLOTS);
		return 0;
	}
	return (uint32_t)s;
}

static bool open_region(struct inliner *I)
{
	if (I->depth >= VCL_IR_MAX_DEPTH) {
		fail(I,
		     "'%s' with its calls of functions that have a barrier "
		     "inlined nests regions more than %d deep",
		     I->f->name, VCL_IR_MAX_DEPTH);
		return false;
	}
	I->depth++;
	return true;
}

/* Value x of the frame's source as a value of the built function. */
static uint32_t val(const struct frame *F, uint32_t x)
{
	return x < F->nmap ? F->map[x] : VCL_IR_NONE;
}

/*
 * Value x of the frame's source where it is used. A parameter whose
 * argument was a constant, a `local` or `slot` pointer or read from a
 * caller's variable is made again here (nothing can store to that slot
 * while the call runs: a function reaches only its own whole slots): a
 * value made where it is used, rather than one kept from before a
 * barrier, is one the code generator follows (the object a pointer is
 * in, per-group bounds checks: jit/wg_hoist.c).
 */
static uint32_t use(struct inliner *I, const struct frame *F, uint32_t x,
		    struct vcl_ir_block *dst)
{
	if (!F->param_as || x >= F->src->nparams || !F->param_as[x].set)
		return val(F, x);
	struct vcl_ir_inst *i =
	    emit(I, dst, F->param_as[x].op, F->src->params[x].type);
	i->imm = F->param_as[x].imm;
	return result(I, i);
}

static void copy_block(struct inliner *I, struct frame *F,
		       const struct vcl_ir_block *src, struct vcl_ir_block *dst,
		       uint32_t loops);

static uint32_t count_results(const struct vcl_ir_block *b)
{
	uint32_t n = 0;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		n += (i->id != VCL_IR_NONE) + count_results(&i->then) +
		     count_results(&i->els);
	return n;
}

/*
 * The frame's map, every value NONE. Values are numbered in order (the
 * verifier's rule), so its body's results and its parameters are all:
 * sized by them rather than by the declared count, a copy's memory is
 * bounded by the program's size.
 */
static uint32_t *new_map(struct frame *F)
{
	uint64_t n = (uint64_t)F->src->nparams + count_results(&F->src->body);
	F->nmap = n < F->src->nvalues ? (uint32_t)n : F->src->nvalues;
	uint32_t *map = malloc(sizeof(*map) * (F->nmap + 1));
	for (uint32_t x = 0; map && x < F->nmap; x++)
		map[x] = VCL_IR_NONE;
	return map;
}

static void copy_inst(struct inliner *I, struct frame *F,
		      const struct vcl_ir_inst *i, struct vcl_ir_block *dst,
		      uint32_t loops)
{
	uint32_t a = use(I, F, i->a, dst), b = use(I, F, i->b, dst),
		 c = use(I, F, i->c, dst);
	uint32_t *args = NULL;
	if (i->nargs &&
	    !(args = vcl_ir_alloc(I->out, sizeof(*args) * i->nargs))) {
		fail(I, "out of memory");
		return;
	}
	for (uint32_t k = 0; k < i->nargs; k++)
		args[k] = use(I, F, i->args[k], dst);
	struct vcl_ir_inst *o = emit(I, dst, i->op, i->type);
	if (I->failed)
		return;
	o->a = a;
	o->b = b;
	o->c = c;
	o->args = args;
	o->nargs = i->nargs;
	o->imm = i->imm;
	o->imm2 = i->imm2;
	o->name = str_copy(I, i->name);
	if (i->op == VCL_IR_LDS || i->op == VCL_IR_STS || i->op == VCL_IR_SLOT)
		o->imm += F->slot0;
	else if (i->op == VCL_IR_CALL)
		o->imm = I->new_index[i->imm];
	if (i->id != VCL_IR_NONE && i->id < F->nmap)
		F->map[i->id] = result(I, o);
	if ((i->op == VCL_IR_IF || i->op == VCL_IR_LOOP) && open_region(I)) {
		uint32_t inner = loops + (i->op == VCL_IR_LOOP);
		copy_block(I, F, &i->then, &o->then, inner);
		copy_block(I, F, &i->els, &o->els, inner);
		I->depth--;
	}
}

/* An inlined function's return: its value stored, the flags of the
 * statements around it set, the callee's loops left; at the top level of
 * a body without other returns, its value is the call's. */
static void copy_return(struct inliner *I, struct frame *F,
			const struct vcl_ir_inst *i, struct vcl_ir_block *dst,
			uint32_t loops)
{
	uint32_t v = use(I, F, i->a, dst);
	if (!F->nested) {
		F->result = v;
		return;
	}
	if (F->ret != VCL_IR_NONE)
		sts(I, dst, F->ret, v);
	for (uint32_t k = 0; k < F->nflags; k++)
		sts(I, dst, F->flags[k], konst(I, dst, VCL_IR_I1, 1));
	if (loops)
		emit(I, dst, VCL_IR_BREAK, VCL_IR_VOID)->imm = loops - 1;
}

static void note_remake(struct frame *F, const struct vcl_ir_inst *i,
			const struct vcl_ir_block *list)
{
	struct remake *r = &F->remake[i->id];
	if (i->op == VCL_IR_CONST || i->op == VCL_IR_LOCAL)
		*r = (struct remake){true, i->op, i->imm, NULL, 0};
	else if (i->op == VCL_IR_SLOT && i->imm < F->src->nslots)
		*r = (struct remake){true, i->op, F->slot0 + i->imm, NULL, 0};
	else if (i->op == VCL_IR_LDS && i->imm < F->src->nslots)
		*r = (struct remake){true, i->op, i->imm, list,
				     F->stores[i->imm]};
}

/* Whether a return sits inside a region of B. */
static bool nested_return(const struct vcl_ir_block *b, bool inside)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if ((inside && i->op == VCL_IR_RETURN) ||
		    nested_return(&i->then, true) ||
		    nested_return(&i->els, true))
			return true;
	return false;
}

static void inline_call(struct inliner *I, struct frame *F,
			const struct vcl_ir_inst *call,
			const struct vcl_ir_block *list,
			struct vcl_ir_block *dst);

static void copy_block(struct inliner *I, struct frame *F,
		       const struct vcl_ir_block *src, struct vcl_ir_block *dst,
		       uint32_t loops)
{
	uint32_t opened = 0;
	for (const struct vcl_ir_inst *i = src->first; i && !I->failed;
	     i = i->next) {
		if (F->inlined && i->op == VCL_IR_RETURN) {
			copy_return(I, F, i, dst, loops);
			break; /* the rest of the list never runs */
		}
		/* Outside the callee's loops a return inside i falls
		 * through to its end: the rest runs unless one was taken. */
		bool skip = F->nested && !loops && i->next &&
			    (nested_return(&i->then, true) ||
			     nested_return(&i->els, true));
		uint32_t flag = 0;
		if (skip) {
			flag = add_slot(I, 1, 1);
			sts(I, dst, flag, konst(I, dst, VCL_IR_I1, 0));
			F->flags[F->nflags++] = flag;
		}
		if (i->op == VCL_IR_CALL && I->has_barrier[i->imm])
			inline_call(I, F, i, src, dst);
		else
			copy_inst(I, F, i, dst, loops);
		if (i->op == VCL_IR_STS && i->imm < F->src->nslots)
			F->stores[i->imm]++;
		if (i->id < F->nmap)
			note_remake(F, i, src);
		if (skip) {
			F->nflags--;
			if (!open_region(I))
				break;
			uint32_t taken = lds(I, dst, flag, VCL_IR_I1);
			struct vcl_ir_inst *w =
			    emit(I, dst, VCL_IR_IF, VCL_IR_VOID);
			w->a = taken;
			dst = &w->els;
			opened++;
		}
	}
	I->depth -= opened;
}

enum { SLOT_UNSEEN, SLOT_SET_FIRST, SLOT_READ_FIRST };

/* Per slot of a callee: whether it is stored whole at its top level
 * before any other use (else it may be read before being written), and
 * the type it is read with (VOID: never read whole). */
static void first_uses(const struct vcl_ir_block *b, bool top, uint8_t *state,
		       vcl_ir_type *type, uint32_t nslots)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		bool slot_op = i->op == VCL_IR_LDS || i->op == VCL_IR_STS ||
			       i->op == VCL_IR_SLOT;
		if (slot_op && i->imm < nslots) {
			if (state[i->imm] == SLOT_UNSEEN)
				state[i->imm] = top && i->op == VCL_IR_STS
						    ? SLOT_SET_FIRST
						    : SLOT_READ_FIRST;
			if (i->op == VCL_IR_LDS)
				type[i->imm] = i->type;
		}
		first_uses(&i->then, false, state, type, nslots);
		first_uses(&i->els, false, state, type, nslots);
	}
}

/*
 * A function's slots are zero when it is called (the code generator's
 * rule); an inlined copy's are the caller's, so those a call may read
 * before it writes them are zeroed at its start (a call in a loop sees
 * the last one's otherwise). Private arrays are not: reading an element
 * before writing it is undefined in C, and its old value is the same
 * work-item's.
 */
static void zero_slots(struct inliner *I, const struct frame *G,
		       struct vcl_ir_block *dst)
{
	uint32_t n = G->src->nslots;
	uint8_t *state = calloc(n + 1, 1);
	vcl_ir_type *type = calloc(n + 1, sizeof(*type));
	if (!state || !type) {
		fail(I, "out of memory");
	} else {
		first_uses(&G->src->body, true, state, type, n);
		for (uint32_t s = 0; s < n; s++) {
			vcl_ir_type t = type[s];
			bool data = t != VCL_IR_VOID &&
				    VCL_IR_KIND(t) != VCL_IR_PTR &&
				    VCL_IR_LANES(t) == 0;
			if (state[s] == SLOT_READ_FIRST && data)
				sts(I, dst, G->slot0 + s, konst(I, dst, t, 0));
		}
	}
	free(state);
	free(type);
}

/* How argument x of CALL (in LIST) can be made while the call runs: as
 * its parameter's, or its value's (a variable read in the call's list
 * and not stored to since). */
static struct remake arg_remake(const struct frame *F,
				const struct vcl_ir_inst *call,
				const struct vcl_ir_block *list, uint32_t x)
{
	uint32_t a = call->args[x];
	struct remake none = {0};
	if (a < F->src->nparams)
		return F->param_as[a];
	if (a >= F->nmap || !F->remake[a].set)
		return none;
	struct remake r = F->remake[a];
	if (r.op == VCL_IR_LDS) {
		if (r.list != list || F->stores[r.imm] != r.stores)
			return none;
		r.imm += F->slot0;
	}
	return r;
}

static bool frame_alloc(struct frame *F)
{
	F->map = new_map(F);
	/* a flag per region open at a return, at most */
	F->flags = malloc(sizeof(*F->flags) * (VCL_IR_MAX_DEPTH + 1));
	F->remake = calloc(F->nmap + 1, sizeof(*F->remake));
	F->stores = calloc(F->src->nslots + 1, sizeof(*F->stores));
	F->param_as = calloc(F->src->nparams + 1, sizeof(*F->param_as));
	return F->map && F->flags && F->remake && F->stores && F->param_as;
}

static void frame_free(struct frame *F)
{
	free(F->map);
	free(F->flags);
	free(F->remake);
	free(F->stores);
	free(F->param_as);
}

static void inline_call(struct inliner *I, struct frame *F,
			const struct vcl_ir_inst *call,
			const struct vcl_ir_block *list,
			struct vcl_ir_block *dst)
{
	const struct vcl_ir_function *g = &I->m->funcs[call->imm];
	if (F->calls >= VCL_IR_MAX_CALL_DEPTH) {
		fail(I,
		     "functions with a barrier called more than %d deep in "
		     "'%s'",
		     VCL_IR_MAX_CALL_DEPTH, I->f->name);
		return;
	}
	struct frame G = {.src = g,
			  .inlined = true,
			  .nested = nested_return(&g->body, false),
			  .ret = VCL_IR_NONE,
			  .result = VCL_IR_NONE,
			  .calls = F->calls + 1};
	if (!frame_alloc(&G)) {
		frame_free(&G);
		fail(I, "out of memory");
		return;
	}
	for (uint32_t x = 0; x < g->nparams && x < call->nargs; x++) {
		G.map[x] = val(F, call->args[x]);
		G.param_as[x] = arg_remake(F, call, list, x);
	}
	G.slot0 = I->f->nslots;
	for (uint32_t s = 0; s < g->nslots && !I->failed; s++)
		add_slot(I, g->slots[s].size, g->slots[s].align);
	zero_slots(I, &G, dst);
	if (G.nested && g->ret != VCL_IR_VOID) {
		uint32_t size = vcl_ir_type_size(g->ret);
		G.ret = add_slot(I, size, size);
		sts(I, dst, G.ret, konst(I, dst, g->ret, 0));
	}
	copy_block(I, &G, &g->body, dst, 0);
	if (call->id != VCL_IR_NONE && call->id < F->nmap) {
		uint32_t r = G.result;
		if (G.ret != VCL_IR_NONE)
			r = lds(I, dst, G.ret, g->ret);
		else if (r == VCL_IR_NONE) /* fell off its end: 0 */
			r = konst(I, dst, g->ret, 0);
		F->map[call->id] = r;
	}
	frame_free(&G);
}

/* Whether B has a barrier or calls a function with one. */
static bool has_barrier(const struct inliner *I, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if (i->op == VCL_IR_BARRIER ||
		    (i->op == VCL_IR_CALL && I->has_barrier[i->imm]) ||
		    has_barrier(I, &i->then) || has_barrier(I, &i->els))
			return true;
	return false;
}

static void build_function(struct inliner *I, const struct vcl_ir_function *src)
{
	struct vcl_ir_function *f =
	    vcl_ir_add_function(I->out, src->name, src->nparams);
	struct frame F = {
	    .src = src, .ret = VCL_IR_NONE, .result = VCL_IR_NONE};
	if (!f || !frame_alloc(&F)) {
		frame_free(&F);
		fail(I, "out of memory");
		return;
	}
	I->f = f;
	I->next = src->nparams;
	I->depth = 0;
	f->ret = src->ret;
	f->is_kernel = src->is_kernel;
	memcpy(f->reqd_work_group_size, src->reqd_work_group_size,
	       sizeof(f->reqd_work_group_size));
	for (uint32_t p = 0; p < src->nparams; p++) {
		f->params[p] = src->params[p];
		f->params[p].name = str_copy(I, src->params[p].name);
	}
	for (uint32_t s = 0; s < src->nslots; s++)
		add_slot(I, src->slots[s].size, src->slots[s].align);
	for (uint32_t l = 0; l < src->nlocals && !I->failed; l++)
		if (vcl_ir_add_object(I->out, &f->locals, &f->nlocals,
				      src->locals[l].size,
				      src->locals[l].align) < 0)
			fail(I, "out of memory");
	for (uint32_t x = 0; x < src->nparams; x++)
		F.map[x] = x;
	copy_block(I, &F, &src->body, &f->body, 0);
	f->nvalues = I->next;
	frame_free(&F);
}

/* The inlined module verified; its errors say where they come from. */
static bool verify_inlined(const struct vcl_ir_module *out, struct vcl_diags *d)
{
	struct vcl_diags v;
	vcl_diags_init(&v, d->max);
	bool ok = vcl_ir_verify(out, &v);
	for (size_t k = 0; k < v.n; k++)
		if (v.v[k].severity == VCL_ERROR)
			vcl_diag_add(d, VCL_ERROR, "<ir>", 0, 0,
				     "with the calls of functions that have a "
				     "barrier inlined: %s",
				     v.v[k].message);
	if (!ok && !vcl_diags_failed(d))
		vcl_diag_add(d, VCL_ERROR, "<ir>", 0, 0,
			     "with the calls of functions that have a barrier "
			     "inlined, the module does not verify");
	vcl_diags_free(&v);
	return ok;
}

bool vcl_ir_inline_barriers(const struct vcl_ir_module *m,
			    struct vcl_ir_module **out, struct vcl_diags *d)
{
	*out = NULL;
	struct inliner I = {.m = m, .d = d};
	I.has_barrier = calloc(m->nfuncs + 1, sizeof(*I.has_barrier));
	I.new_index = calloc(m->nfuncs + 1, sizeof(*I.new_index));
	uint32_t helpers = 0;
	if (I.has_barrier && I.new_index)
		for (uint32_t k = 0; k < m->nfuncs; k++) {
			I.has_barrier[k] = has_barrier(&I, &m->funcs[k].body);
			helpers += I.has_barrier[k] && !m->funcs[k].is_kernel;
		}
	if (I.has_barrier && I.new_index && helpers) {
		I.out = vcl_ir_new(m->nfuncs - helpers);
		if (!I.out)
			fail(&I, "out of memory");
		for (uint32_t k = 0; k < m->nfuncs && !I.failed; k++) {
			if (I.has_barrier[k] && !m->funcs[k].is_kernel)
				continue;
			I.new_index[k] = I.out->nfuncs;
			build_function(&I, &m->funcs[k]);
		}
		if (!I.failed && !verify_inlined(I.out, d))
			I.failed = true;
		if (I.failed) {
			vcl_ir_free(I.out);
			I.out = NULL;
		}
	} else if (!I.has_barrier || !I.new_index) {
		fail(&I, "out of memory");
	}
	free(I.has_barrier);
	free(I.new_index);
	*out = I.out;
	return !I.failed;
}
