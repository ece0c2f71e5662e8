/* Lowering the typed tree to IR: the module, functions (callees first, so
 * a call names an earlier function), variables and statements. Constructs
 * outside the lowered subset are errors `not lowered yet: ...`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ir_lower.h"

void lower_error(struct lower *L, const struct vcl_node *n, const char *fmt,
		 ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct vcl_loc loc = n ? n->loc : (struct vcl_loc){0, 0, 0};
	vcl_diag_add(L->d, VCL_ERROR, vcl_pp_file_name(L->pp, loc.file),
		     loc.line, loc.col, "%s", msg);
	L->failed = true;
}

struct vcl_ir_inst *emit(struct lower *L, enum vcl_ir_op op, vcl_ir_type type)
{
	struct vcl_ir_inst *i = vcl_ir_append(L->m, L->cur, op, type);
	if (!i || (type != VCL_IR_VOID && L->f->nvalues >= VCL_IR_MAX_VALUES)) {
		if (!L->failed || i)
			lower_error(L, NULL,
				    i ? "function too large for the IR"
				      : "out of memory");
		memset(&L->scratch, 0, sizeof(L->scratch));
		return &L->scratch;
	}
	if (type != VCL_IR_VOID)
		i->id = L->f->nvalues++;
	return i;
}

uint32_t emit_value(struct lower *L, enum vcl_ir_op op, vcl_ir_type type,
		    uint32_t a, uint32_t b)
{
	struct vcl_ir_inst *i = emit(L, op, type);
	i->a = a;
	i->b = b;
	return i->id;
}

uint32_t emit_const(struct lower *L, vcl_ir_type type, uint64_t bits)
{
	struct vcl_ir_inst *i = emit(L, VCL_IR_CONST, type);
	i->imm = bits;
	return i->id;
}

uint32_t emit_cmp(struct lower *L, enum vcl_ir_op op, uint64_t pred, uint32_t a,
		  uint32_t b)
{
	struct vcl_ir_inst *i = emit(L, op, VCL_IR_I1);
	i->imm = pred;
	i->a = a;
	i->b = b;
	return i->id;
}

uint32_t emit_select(struct lower *L, vcl_ir_type t, uint32_t c, uint32_t a,
		     uint32_t b)
{
	struct vcl_ir_inst *s = emit(L, VCL_IR_SELECT, t);
	s->a = c;
	s->b = a;
	s->c = b;
	return s->id;
}

vcl_ir_type word_type(uint32_t bytes)
{
	return bytes >= 8   ? VCL_IR_I64
	       : bytes == 4 ? VCL_IR_I32
	       : bytes == 2 ? VCL_IR_I16
			    : VCL_IR_I8;
}

uint32_t new_slot(struct lower *L, vcl_ir_type type)
{
	uint32_t size = vcl_ir_type_size(type);
	int64_t k =
	    vcl_ir_add_object(L->m, &L->f->slots, &L->f->nslots, size, size);
	if (k < 0) {
		lower_error(L, NULL, "too many private variables for the IR");
		return 0;
	}
	return (uint32_t)k;
}

vcl_ir_type kind_type(enum vcl_type_kind k)
{
	switch (k) {
	case VCL_TY_BOOL:
		return VCL_IR_I1;
	case VCL_TY_CHAR:
	case VCL_TY_UCHAR:
		return VCL_IR_I8;
	case VCL_TY_SHORT:
	case VCL_TY_USHORT:
		return VCL_IR_I16;
	case VCL_TY_INT:
	case VCL_TY_UINT:
		return VCL_IR_I32;
	case VCL_TY_LONG:
	case VCL_TY_ULONG:
		return VCL_IR_I64;
	case VCL_TY_FLOAT:
		return VCL_IR_F32;
	case VCL_TY_DOUBLE:
		return VCL_IR_F64;
	case VCL_TY_VOID:
		return VCL_IR_VOID;
	default:
		return VCL_IR_NONE;
	}
}

vcl_ir_type lower_type(struct lower *L, const struct vcl_ty *t,
		       const struct vcl_node *at)
{
	if (!t)
		return VCL_IR_NONE;
	if (t->kind == VCL_TY_POINTER) {
		enum vcl_addr_space sp = t->base->space;
		return VCL_IR_TYPE(VCL_IR_PTR, 0,
				   sp == VCL_AS_NONE ? VCL_AS_PRIVATE : sp);
	}
	vcl_ir_type r = kind_type(t->kind);
	if (r == VCL_IR_NONE) {
		char tb[64];
		vcl_ty_format(t, tb, sizeof(tb));
		lower_error(L, at, "not lowered yet: values of type '%s'", tb);
	}
	return r;
}

/* Zero bytes [off, off + size) of the object at p, in words of align. */
static void zero(struct lower *L, const struct vcl_node *at, uint32_t p,
		 vcl_ir_type pt, uint64_t off, uint64_t size, uint32_t align)
{
	uint32_t unit = align > 8 ? 8 : align ? align : 1;
	lower_words(L, at, lower_offset(L, p, pt, off), pt, VCL_IR_NONE,
		    VCL_IR_NONE, size / unit, unit);
}

/* Initializes the object of type t at p + off from e (an initializer
 * list, fully braced by the type checker, or an expression); the rest of
 * a list's object was zeroed before. */
static void init_object(struct lower *L, uint32_t p, vcl_ir_type pt,
			uint64_t off, const struct vcl_ty *t,
			const struct vcl_node *e)
{
	if (L->d->full)
		return;
	bool aggregate = t->kind == VCL_TY_ARRAY || t->kind == VCL_TY_STRUCT ||
			 t->kind == VCL_TY_UNION || t->kind == VCL_TY_VECTOR;
	if (e->kind == VCL_N_INIT_LIST && aggregate) {
		uint64_t pos = 0;
		for (const struct vcl_node *x = e->list; x;
		     x = x->next, pos++) {
			const struct vcl_node *item = x;
			if (x->kind == VCL_N_DESIGNATED) {
				pos = x->info;
				item = x->a;
			}
			const struct vcl_ty *et;
			uint64_t at;
			if (t->kind == VCL_TY_ARRAY) {
				et = t->base;
				at = pos * et->size;
			} else if (t->kind == VCL_TY_VECTOR) {
				struct vcl_ty *lane =
				    vcl_ir_alloc(L->m, sizeof(*lane));
				if (!lane)
					return;
				*lane = (struct vcl_ty){.kind = t->elem};
				lane->size =
				    vcl_ir_type_size(kind_type(t->elem));
				lane->align = (uint32_t)lane->size;
				et = lane;
				at = pos * lane->size;
			} else {
				if (pos >= t->record->nfields)
					return;
				et = t->record->fields[pos].type;
				at = t->record->fields[pos].offset;
			}
			init_object(L, p, pt, off + at, et, item);
		}
		return;
	}
	if (e->kind == VCL_N_INIT_LIST) { /* a scalar in braces */
		if (e->list)
			init_object(L, p, pt, off, t, e->list);
		return;
	}
	if (t->kind == VCL_TY_VECTOR) {
		struct lanes v;
		if (!lower_lanes(L, e, &v))
			return;
		vcl_ir_type et = kind_type(t->elem);
		for (uint32_t i = 0; i < v.n; i++)
			lower_store_at(L, p, pt, off + i * vcl_ir_type_size(et),
				       et, v.v[i]);
		return;
	}
	if (t->kind == VCL_TY_STRUCT || t->kind == VCL_TY_UNION) {
		uint32_t src;
		vcl_ir_type spt;
		if (lower_struct_ptr(L, e, &src, &spt))
			lower_copy(L, e, lower_offset(L, p, pt, off), pt, src,
				   spt, t);
		return;
	}
	vcl_ir_type it = lower_type(L, t, e);
	if (it == VCL_IR_NONE)
		return;
	if (VCL_IR_KIND(it) == VCL_IR_PTR) {
		lower_error(L, e,
			    "not lowered yet: pointers in memory (arrays of "
			    "pointers, pointer members)");
		return;
	}
	lower_store_at(L, p, pt, off, it, lower_rvalue(L, e));
}

/* Whether e initializes every member and element of a t (then nothing
 * need be zeroed first). */
static bool complete(const struct vcl_ty *t, const struct vcl_node *e)
{
	if (e->kind != VCL_N_INIT_LIST)
		return true;
	uint64_t want = t->kind == VCL_TY_ARRAY	   ? t->count
			: t->kind == VCL_TY_VECTOR ? t->width
			: t->kind == VCL_TY_STRUCT ? t->record->nfields
						   : 1;
	if (t->kind == VCL_TY_UNION)
		return false;
	uint64_t k = 0;
	for (const struct vcl_node *x = e->list; x; x = x->next, k++) {
		if (x->kind == VCL_N_DESIGNATED || k >= want)
			return false;
		const struct vcl_ty *et = t->kind == VCL_TY_ARRAY ? t->base
					  : t->kind == VCL_TY_STRUCT
					      ? t->record->fields[k].type
					      : NULL;
		if (et && !complete(et, x))
			return false;
	}
	return k == want;
}

/* A variable in memory: arrays, vectors, structs, and scalars whose
 * address is taken. */
static void declare_memory(struct lower *L, const struct vcl_node *n,
			   struct var *v, const struct vcl_ty *t)
{
	const struct vcl_ty *el = t;
	while (el->kind == VCL_TY_ARRAY)
		el = el->base;
	if (el->kind == VCL_TY_POINTER ||
	    ((el->kind == VCL_TY_STRUCT || el->kind == VCL_TY_UNION) &&
	     el->record && el->record->has_pointer)) {
		lower_error(L, n,
			    "not lowered yet: pointers in memory (arrays of "
			    "pointers, pointer members)");
		return;
	}
	int64_t k = vcl_ir_add_object(L->m, &L->f->slots, &L->f->nslots,
				      t->size, t->align ? t->align : 1);
	*v = (struct var){VAR_MEMORY, k < 0 ? 0 : (uint32_t)k};
	if (k < 0) {
		lower_error(L, n, "too many private variables for the IR");
		return;
	}
	if (!n->a)
		return;
	struct vcl_ir_inst *i =
	    emit(L, VCL_IR_SLOT, VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE));
	i->imm = (uint64_t)k;
	vcl_ir_type pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
	if (!complete(t, n->a))
		zero(L, n, i->id, pt, 0, t->size, t->align);
	init_object(L, i->id, pt, 0, t, n->a);
}

/* A variable declared in a function body. */
static void declare(struct lower *L, const struct vcl_node *n)
{
	struct vcl_sym *s = n->sym;
	const struct vcl_ty *t = s ? s->type : NULL;
	if (!s || s->index >= L->nvars || !t)
		return;
	struct var *v = &L->vars[s->index];
	if (t->space == VCL_AS_CONSTANT) {
		declare_memory(L, n, v, t); /* a private copy */
		return;
	}
	bool is_array = t->kind == VCL_TY_ARRAY;
	const struct vcl_ty *el = t;
	while (el->kind == VCL_TY_ARRAY)
		el = el->base;
	bool in_memory = el->kind == VCL_TY_VECTOR ||
			 el->kind == VCL_TY_STRUCT || el->kind == VCL_TY_UNION;
	if (!in_memory && el->kind != VCL_TY_POINTER &&
	    kind_type(el->kind) == VCL_IR_NONE) {
		lower_type(L, el, n);
		return;
	}
	if (t->space == VCL_AS_LOCAL) {
		int64_t k = vcl_ir_add_object(
		    L->m, &L->f->locals, &L->f->nlocals, t->size, t->align);
		if (k < 0 || !L->f->is_kernel)
			lower_error(L, n,
				    L->fs->is_kernel
					? "not lowered yet: calling a kernel "
					  "that declares __local variables"
					: "not lowered yet: __local variables "
					  "outside kernels");
		*v = (struct var){VAR_LOCAL, (uint32_t)k};
		if (el->kind == VCL_TY_POINTER)
			lower_error(L, n,
				    "not lowered yet: pointers in memory (a "
				    "__local pointer variable)");
		return;
	}
	if (is_array || in_memory ||
	    (L->addressed[s->index] && t->kind != VCL_TY_POINTER)) {
		declare_memory(L, n, v, t);
		return;
	}
	vcl_ir_type it = lower_type(L, t, n);
	*v = (struct var){VAR_SCALAR, new_slot(L, it)};
	if (n->a) {
		const struct vcl_node *init = n->a;
		while (init->kind == VCL_N_INIT_LIST && init->list)
			init = init->list;
		uint32_t val = lower_rvalue(L, init);
		struct vcl_ir_inst *i = emit(L, VCL_IR_STS, VCL_IR_VOID);
		i->imm = v->index;
		i->a = val;
	}
}

static void statement(struct lower *L, const struct vcl_node *n);

/* Lowers n into the block b, then returns to the current one. */
static void statement_in(struct lower *L, struct vcl_ir_block *b,
			 const struct vcl_node *n)
{
	struct vcl_ir_block *saved = L->cur;
	L->cur = b;
	if (n)
		statement(L, n);
	L->cur = saved;
}

/* `if (!cv) break 0;` at the top of a loop body or its continuing part. */
static void break_unless(struct lower *L, uint32_t cv)
{
	struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = cv;
	struct vcl_ir_block *saved = L->cur;
	L->cur = &i->els;
	emit(L, VCL_IR_BREAK, VCL_IR_VOID)->imm = 0;
	L->cur = saved;
}

static void exit_unless(struct lower *L, const struct vcl_node *c)
{
	break_unless(L, lower_cond(L, c));
}

/* A C loop's continuing part: a do's condition, a for's third clause. */
static void loop_next(struct lower *L, const struct vcl_node *n)
{
	if (n->kind == VCL_N_DO)
		exit_unless(L, n->a);
	else if (n->kind == VCL_N_FOR && n->c)
		lower_rvalue(L, n->c);
}

/* Opens an IR loop (a C loop or a switch's); false when too deep. */
static bool open_loop(struct lower *L, const struct vcl_node *n, bool is_switch)
{
	if (L->nopen >= VCL_IR_MAX_DEPTH) {
		lower_error(L, n, "loops nested more than %d deep",
			    VCL_IR_MAX_DEPTH);
		return false;
	}
	L->is_switch[L->nopen++] = is_switch;
	return true;
}

static void loop(struct lower *L, const struct vcl_node *n)
{
	if (!open_loop(L, n, false))
		return;
	struct vcl_ir_inst *lp = emit(L, VCL_IR_LOOP, VCL_IR_VOID);
	struct vcl_ir_block *saved = L->cur;
	L->cur = &lp->then;
	if (n->kind != VCL_N_DO && n->a)
		exit_unless(L, n->a);
	statement(L, n->b);
	L->cur = &lp->els;
	loop_next(L, n);
	L->cur = saved;
	L->nopen--;
}

/* m = m || x == value, in slot m. */
static uint32_t or_equal(struct lower *L, uint32_t m, uint32_t x, vcl_ir_type t,
			 int64_t value, enum vcl_ir_icmp pred)
{
	uint32_t v = emit_const(L, t, (uint64_t)value);
	struct vcl_ir_inst *c = emit(L, VCL_IR_ICMP, VCL_IR_I1);
	c->imm = pred;
	c->a = x;
	c->b = v;
	return emit_value(L, pred == VCL_ICMP_EQ ? VCL_IR_OR : VCL_IR_AND,
			  VCL_IR_I1, m, c->id);
}

/* switch as a loop left at its end (`break` leaves it as C's does), so
 * control falls through as in C: switch_part. Labels anywhere in the
 * body: in blocks, ifs and loops inside it (Duff's device) but not in a
 * nested switch. */
/* A switch being lowered: its value x of type t, the slot m saying
 * whether a label matched yet, its body. */
struct sw {
	uint32_t x, m;
	vcl_ir_type t;
	const struct vcl_node *body;
};

/* A label of the switch in statement n or in those inside it. */
static bool has_label(const struct vcl_node *n)
{
	if (!n)
		return false;
	switch (n->kind) {
	case VCL_N_CASE:
	case VCL_N_DEFAULT:
		return true;
	case VCL_N_BLOCK:
		for (const struct vcl_node *s = n->list; s; s = s->next)
			if (has_label(s))
				return true;
		return false;
	case VCL_N_IF:
		return has_label(n->b) || has_label(n->c);
	case VCL_N_FOR:
	case VCL_N_WHILE:
	case VCL_N_DO:
		return has_label(n->b);
	default:
		return false;
	}
}

/* none && x differs from every case label in statement n. */
static uint32_t no_case(struct lower *L, const struct sw *w, uint32_t none,
			const struct vcl_node *n)
{
	if (!n)
		return none;
	switch (n->kind) {
	case VCL_N_CASE:
		none = or_equal(L, none, w->x, w->t, n->value, VCL_ICMP_NE);
		return no_case(L, w, none, n->b);
	case VCL_N_DEFAULT:
		return no_case(L, w, none, n->b);
	case VCL_N_BLOCK:
		for (const struct vcl_node *s = n->list; s; s = s->next)
			none = no_case(L, w, none, s);
		return none;
	case VCL_N_IF:
		return no_case(L, w, no_case(L, w, none, n->b), n->c);
	case VCL_N_FOR:
	case VCL_N_WHILE:
	case VCL_N_DO:
		return no_case(L, w, none, n->b);
	default:
		return none;
	}
}

static uint32_t load_matched(struct lower *L, const struct sw *w)
{
	struct vcl_ir_inst *ld = emit(L, VCL_IR_LDS, VCL_IR_I1);
	ld->imm = w->m;
	return ld->id;
}

/* if (c) then s, else e (either may be NULL); returns to the current
 * block. */
static void if_then(struct lower *L, uint32_t c, const struct vcl_node *s,
		    const struct vcl_node *e)
{
	struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = c;
	statement_in(L, &i->then, s);
	statement_in(L, &i->els, e);
}

static uint32_t negate(struct lower *L, uint32_t c)
{
	return emit_value(L, VCL_IR_XOR, VCL_IR_I1, c,
			  emit_const(L, VCL_IR_I1, 1));
}

static void switch_part(struct lower *L, const struct sw *w,
			const struct vcl_node *s);

/* switch_part of s into block b. */
static void switch_part_in(struct lower *L, const struct sw *w,
			   struct vcl_ir_block *b, const struct vcl_node *s)
{
	struct vcl_ir_block *saved = L->cur;
	L->cur = b;
	switch_part(L, w, s);
	L->cur = saved;
}

/* An if holding labels: entered with a label matched, C's if; else its
 * condition is not evaluated, the then branch is searched, then the else
 * branch unless the label was in the then branch. */
static void switch_if(struct lower *L, const struct sw *w,
		      const struct vcl_node *n)
{
	uint32_t entered = load_matched(L, w);
	uint32_t cs = new_slot(L, VCL_IR_I1), no = emit_const(L, VCL_IR_I1, 0);
	struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = cs;
	st->a = no;
	struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = entered;
	struct vcl_ir_block *saved = L->cur;
	L->cur = &i->then;
	uint32_t cv = lower_cond(L, n->a);
	st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = cs;
	st->a = cv;
	L->cur = saved;
	struct vcl_ir_inst *ld = emit(L, VCL_IR_LDS, VCL_IR_I1);
	ld->imm = cs;
	uint32_t c = ld->id;
	uint32_t go =
	    emit_value(L, VCL_IR_OR, VCL_IR_I1, negate(L, entered), c);
	i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = go;
	switch_part_in(L, w, &i->then, n->b);
	if (!n->c)
		return;
	go = emit_select(L, VCL_IR_I1, entered, negate(L, c),
			 negate(L, load_matched(L, w)));
	i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = go;
	switch_part_in(L, w, &i->then, n->c);
}

/* A loop holding labels: entered with a label matched, C's loop; else
 * the body is searched (the condition and a for's first clause not
 * evaluated) and the loop left after it when the label was not there. */
static void switch_loop(struct lower *L, const struct sw *w,
			const struct vcl_node *n)
{
	if (n->kind == VCL_N_FOR && n->list)
		if_then(L, load_matched(L, w), n->list, NULL);
	if (!open_loop(L, n, false))
		return;
	struct vcl_ir_inst *lp = emit(L, VCL_IR_LOOP, VCL_IR_VOID);
	struct vcl_ir_block *saved = L->cur;
	L->cur = &lp->then;
	if (n->kind != VCL_N_DO && n->a) {
		uint32_t m = load_matched(L, w);
		struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
		i->a = m;
		L->cur = &i->then;
		exit_unless(L, n->a);
		L->cur = &lp->then;
	}
	switch_part(L, w, n->b);
	L->cur = &lp->els;
	break_unless(L, load_matched(L, w)); /* the label was not there */
	loop_next(L, n);
	L->cur = saved;
	L->nopen--;
}

/* Statement s of a switch's body: run when a label matched (the slot
 * says so); a label sets the slot when x equals it (default: when no
 * case does); a statement holding labels is searched for them first. */
static void switch_part(struct lower *L, const struct sw *w,
			const struct vcl_node *s)
{
	if (!s || L->d->full)
		return;
	if (!has_label(s)) {
		if_then(L, load_matched(L, w), s, NULL);
		return;
	}
	switch (s->kind) {
	case VCL_N_CASE:
	case VCL_N_DEFAULT: {
		uint32_t now = load_matched(L, w);
		for (; s && (s->kind == VCL_N_CASE || s->kind == VCL_N_DEFAULT);
		     s = s->b)
			now =
			    s->kind == VCL_N_CASE
				? or_equal(L, now, w->x, w->t, s->value,
					   VCL_ICMP_EQ)
				: emit_value(
				      L, VCL_IR_OR, VCL_IR_I1, now,
				      no_case(L, w, emit_const(L, VCL_IR_I1, 1),
					      w->body));
		struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
		st->imm = w->m;
		st->a = now;
		switch_part(L, w, s);
		return;
	}
	case VCL_N_BLOCK:
		for (const struct vcl_node *e = s->list; e && !L->d->full;
		     e = e->next)
			switch_part(L, w, e);
		return;
	case VCL_N_IF:
		switch_if(L, w, s);
		return;
	default:
		switch_loop(L, w, s);
		return;
	}
}

static void switch_stmt(struct lower *L, const struct vcl_node *n)
{
	struct sw w = {.t = lower_type(L, n->a->ty, n->a)};
	w.x = lower_rvalue(L, n->a);
	w.m = new_slot(L, VCL_IR_I1);
	uint32_t no = emit_const(L, VCL_IR_I1, 0);
	struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = w.m;
	st->a = no;
	if (w.t == VCL_IR_NONE || !open_loop(L, n, true))
		return;
	struct vcl_ir_inst *lp = emit(L, VCL_IR_LOOP, VCL_IR_VOID);
	struct vcl_ir_block *saved = L->cur;
	L->cur = &lp->then;
	w.body = n->b;
	switch_part(L, &w, w.body);
	emit(L, VCL_IR_BREAK, VCL_IR_VOID)->imm = 0;
	L->cur = saved;
	L->nopen--;
}

static void statement(struct lower *L, const struct vcl_node *n)
{
	if (L->d->full)
		return;
	switch (n->kind) {
	case VCL_N_BLOCK:
		for (const struct vcl_node *s = n->list; s; s = s->next)
			statement(L, s);
		break;
	case VCL_N_EXPR_STMT:
		if (n->a)
			lower_rvalue(L, n->a);
		break;
	case VCL_N_DECL_STMT:
		for (const struct vcl_node *s = n->list; s; s = s->next)
			if (s->kind == VCL_N_VAR)
				declare(L, s);
		break;
	case VCL_N_IF: {
		uint32_t c = lower_cond(L, n->a);
		struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
		i->a = c;
		statement_in(L, &i->then, n->b);
		statement_in(L, &i->els, n->c);
		break;
	}
	case VCL_N_FOR:
		if (n->list)
			statement(L, n->list);
		loop(L, n);
		break;
	case VCL_N_WHILE:
	case VCL_N_DO:
		loop(L, n);
		break;
	case VCL_N_BREAK:
		emit(L, VCL_IR_BREAK, VCL_IR_VOID)->imm = 0;
		break;
	case VCL_N_CONTINUE: {
		/* To the innermost C loop, out of the switches inside it. */
		uint32_t k = 0;
		while (k < L->nopen && L->is_switch[L->nopen - 1 - k])
			k++;
		emit(L, VCL_IR_CONTINUE, VCL_IR_VOID)->imm = k;
		break;
	}
	case VCL_N_RETURN: {
		if (L->ret_ptr != VCL_IR_NONE && n->a) {
			/* a vector or struct through the caller's pointer */
			struct lanes v;
			uint32_t src;
			vcl_ir_type spt;
			if (is_record(n->a->ty)) {
				if (lower_struct_ptr(L, n->a, &src, &spt))
					lower_copy(L, n, L->ret_ptr,
						   L->ret_lanes.pt, src, spt,
						   n->a->ty);
			} else if (lower_lanes(L, n->a, &v)) {
				lower_vstore(L, &L->ret_lanes, &v);
			}
			emit(L, VCL_IR_RETURN, VCL_IR_VOID)->a = VCL_IR_NONE;
			break;
		}
		uint32_t v = n->a ? lower_rvalue(L, n->a) : VCL_IR_NONE;
		emit(L, VCL_IR_RETURN, VCL_IR_VOID)->a = v;
		break;
	}
	case VCL_N_SWITCH:
		switch_stmt(L, n);
		break;
	default:
		break;
	}
}

/* Lowers every user function n calls that is not lowered yet. */
static void callees(struct lower *L, const struct vcl_node *n)
{
	for (; n && !L->failed; n = n->next) {
		if (n->kind == VCL_N_CALL &&
		    VCL_CALL_KIND(n->info) == VCL_CALL_USER && n->sym)
			lower_callee(L, n->sym, n);
		callees(L, n->a);
		callees(L, n->b);
		callees(L, n->c);
		callees(L, n->list);
	}
}

/* Marks (bit i) the parameters n assigns or increments, and those
 * (bit i of *addr) and the variables (addressed[]) whose address it
 * takes; the type checker's `stored` also counts a store through a
 * pointer parameter, which needs no slot. */
static void assigned(struct lower *L, const struct vcl_node *n,
		     uint64_t *params, uint64_t *addr)
{
	for (; n; n = n->next) {
		bool amp = n->kind == VCL_N_UNARY && n->op == VCL_T_AMP;
		bool writes =
		    n->kind == VCL_N_ASSIGN ||
		    ((n->kind == VCL_N_UNARY || n->kind == VCL_N_POSTFIX) &&
		     (n->op == VCL_T_INC || n->op == VCL_T_DEC));
		const struct vcl_node *t = writes || amp ? n->a : NULL;
		if (t && t->kind == VCL_N_IDENT && t->sym &&
		    t->sym->kind == VCL_SYM_PARAM && t->sym->index < 64)
			*(amp ? addr : params) |= 1ull << t->sym->index;
		if (amp && t && t->kind == VCL_N_IDENT && t->sym &&
		    t->sym->kind == VCL_SYM_VAR && t->sym->scope != 0 &&
		    t->sym->index < L->nvars)
			L->addressed[t->sym->index] = true;
		assigned(L, n->a, params, addr);
		assigned(L, n->b, params, addr);
		assigned(L, n->c, params, addr);
		assigned(L, n->list, params, addr);
	}
}

/* Marks the program-scope (__constant) variables n names. */
static void globals_used(const struct lower *L, const struct vcl_node *n,
			 bool *used)
{
	for (; n; n = n->next) {
		if (n->kind == VCL_N_IDENT && n->sym &&
		    n->sym->kind == VCL_SYM_VAR && n->sym->scope == 0)
			for (uint32_t k = 0; k < L->prog->nglobals; k++)
				used[k] |= L->prog->globals[k] == n->sym;
		globals_used(L, n->a, used);
		globals_used(L, n->b, used);
		globals_used(L, n->c, used);
		globals_used(L, n->list, used);
	}
}

/* __constant variables of the program a function uses: each a private
 * copy made at its entry (the IR has no __constant data yet), read as
 * memory; a pointer to one is not lowered (it would be private). */
static void copy_globals(struct lower *L, const struct vcl_node *body)
{
	uint32_t n = L->prog->nglobals;
	bool *used = vcl_ir_alloc(L->m, n + 1);
	L->gvars = vcl_ir_alloc(L->m, sizeof(struct var) * (n + 1));
	if (!used || !L->gvars) {
		lower_error(L, body, "out of memory");
		return;
	}
	memset(used, 0, n + 1);
	memset(L->gvars, 0, sizeof(struct var) * (n + 1));
	globals_used(L, body, used);
	for (uint32_t k = 0; k < n; k++) {
		const struct vcl_sym *g = L->prog->globals[k];
		if (used[k] && g->scope == 0 && g->decl && g->type)
			declare_memory(L, g->decl, &L->gvars[k], g->type);
	}
}

/* The IR parameters a C parameter of type t takes: a vector's lanes. */
static uint32_t param_width(const struct vcl_ty *t)
{
	return t && t->kind == VCL_TY_VECTOR ? t->width : 1;
}

/* A private slot holding parameter i in memory (vectors, and scalars
 * whose address is taken): its pointer, VCL_IR_NONE when full. */
static uint32_t param_memory(struct lower *L, const struct vcl_node *p,
			     uint32_t i, const struct vcl_ty *t)
{
	int64_t s = vcl_ir_add_object(L->m, &L->f->slots, &L->f->nslots,
				      t->size, t->align);
	if (s < 0) {
		lower_error(L, p, "too many private variables");
		return VCL_IR_NONE;
	}
	L->params[i] = (struct var){VAR_MEMORY, (uint32_t)s};
	struct vcl_ir_inst *sp =
	    emit(L, VCL_IR_SLOT, VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE));
	sp->imm = (uint64_t)s;
	return sp->id;
}

/* Parameter i (C's) into its IR parameters from *ir on: a vector's
 * lanes stored into a slot, a scalar assigned or addressed into a slot. */
static void parameter(struct lower *L, const struct vcl_node *p, uint32_t i,
		      uint32_t *ir, const struct vcl_kernel *k,
		      uint64_t written, uint64_t addr)
{
	struct vcl_ir_function *f = L->f;
	const struct vcl_ty *t = L->fs->type->params[i];
	const char *name =
	    p->name ? vcl_arena_strndup(L->m->priv, p->name, p->name_len)
		    : NULL;
	if (is_record(t)) {
		/* a pointer to the caller's copy */
		if (k || (t->record && t->record->has_pointer)) {
			lower_error(L, p,
				    k ? "not lowered yet: struct parameters "
					"of kernels"
				      : "not lowered yet: pointers in memory "
					"(pointer members)");
			return;
		}
		uint32_t v = (*ir)++;
		f->params[v].type = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
		f->params[v].name = name;
		L->params[i] = (struct var){VAR_AT, v};
		return;
	}
	if (t->kind == VCL_TY_VECTOR) {
		/* One scalar parameter per lane, named NAME.s0 to NAME.sF (a
		 * kernel's too: a launch gives a vector's lanes in order). */
		uint32_t first = *ir;
		vcl_ir_type et = kind_type(t->elem);
		for (uint32_t j = 0; j < t->width; j++) {
			char lane[300];
			snprintf(lane, sizeof(lane), "%s.s%X", name ? name : "",
				 j);
			f->params[*ir].type = et;
			f->params[*ir].name =
			    vcl_arena_strndup(L->m->priv, lane, strlen(lane));
			(*ir)++;
		}
		uint32_t sp = param_memory(L, p, i, t);
		for (uint32_t j = 0; j < t->width && sp != VCL_IR_NONE; j++)
			lower_store_at(
			    L, sp, VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE),
			    j * vcl_ir_type_size(et), et, first + j);
		return;
	}
	uint32_t v = (*ir)++;
	f->params[v].type = lower_type(L, t, p);
	f->params[v].name = name;
	f->params[v].may_store = k && k->params[i].may_store;
	L->params[i] = (struct var){VAR_VALUE, v};
	if ((addr >> i & 1) && t->kind != VCL_TY_POINTER) {
		uint32_t sp = param_memory(L, p, i, t);
		if (sp != VCL_IR_NONE)
			lower_store_at(
			    L, sp, VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE),
			    0, f->params[v].type, v);
	} else if ((written | addr) >> i & 1) {
		uint32_t s = new_slot(L, f->params[v].type);
		struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
		st->imm = s;
		st->a = v;
		L->params[i] = (struct var){VAR_SCALAR, s};
	}
}

static int64_t function(struct lower *L, struct vcl_sym *fs,
			const struct vcl_kernel *k)
{
	const struct vcl_node *decl = fs->decl;
	if (!decl || !decl->b) {
		lower_error(L, decl, "function '%.*s' has no body",
			    (int)fs->name_len, fs->name);
		return -1;
	}
	callees(L, decl->b);
	if (L->failed)
		return -1;
	struct lower saved = *L;
	uint32_t np = fs->type->nparams, nir = 0;
	const struct vcl_ty *rt = fs->type->base;
	/* a vector or struct result goes through a pointer the caller
	 * gives */
	bool vret = rt && (rt->kind == VCL_TY_VECTOR || is_record(rt));
	for (uint32_t i = 0; i < np; i++)
		nir += param_width(fs->type->params[i]);
	nir += vret;
	/* A kernel called from a kernel is also an ordinary function, its
	 * name taken apart from the entry's (no identifier has a '.'). */
	char name[256];
	snprintf(name, sizeof(name), "%.*s%s", (int)fs->name_len, fs->name,
		 fs->is_kernel && !k ? ".call" : "");
	L->f = vcl_ir_add_function(L->m, name, nir);
	if (!L->f) {
		lower_error(L, decl, "too many functions or parameters");
		return -1;
	}
	struct vcl_ir_function *f = L->f;
	L->fs = fs;
	f->is_kernel = k != NULL;
	if (k)
		memcpy(f->reqd_work_group_size, k->reqd_work_group_size,
		       sizeof(f->reqd_work_group_size));
	f->ret = vret ? VCL_IR_VOID : lower_type(L, rt, decl);
	L->cur = &f->body;
	L->nopen = 0;
	memset(L->products, 0, sizeof(*L->products) * PRODUCTS);
	L->nvars = fs->nlocals;
	L->vars = vcl_ir_alloc(L->m, sizeof(struct var) * (fs->nlocals + 1));
	L->addressed = vcl_ir_alloc(L->m, sizeof(bool) * (fs->nlocals + 1));
	L->params = vcl_ir_alloc(L->m, sizeof(struct var) * (np + 1));
	if (!L->vars || !L->params || !L->addressed) {
		lower_error(L, decl, "out of memory");
		*L = saved;
		L->failed = true;
		return -1;
	}
	memset(L->addressed, 0, sizeof(bool) * (fs->nlocals + 1));
	uint32_t i = 0, ir = 0;
	uint64_t written = 0, addr = 0;
	assigned(L, decl->b, &written, &addr);
	L->ret_ptr = VCL_IR_NONE;
	if (vret) {
		vcl_ir_type pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
		f->params[0].type = pt;
		f->params[0].name = "ret";
		L->ret_ptr = ir++;
		L->ret_lanes = (struct vlvalue){.ptr = L->ret_ptr,
						.pt = pt,
						.et = kind_type(rt->elem),
						.n = ty_lanes(rt)};
		for (uint32_t j = 0; j < L->ret_lanes.n; j++)
			L->ret_lanes.lane[j] = (uint8_t)j;
	}
	for (const struct vcl_node *p = decl->type->params; p && i < np;
	     p = p->next, i++)
		parameter(L, p, i, &ir, k, written, addr);
	copy_globals(L, decl->b);
	statement(L, decl->b);
	int64_t index = f - L->m->funcs;
	bool failed = L->failed;
	*L = saved;
	L->failed = failed;
	return failed ? -1 : index;
}

int64_t lower_callee(struct lower *L, struct vcl_sym *fn,
		     const struct vcl_node *at)
{
	if (fn->index >= L->prog->nfunctions ||
	    L->prog->functions[fn->index] != fn) {
		lower_error(L, at, "'%.*s' is not a function of the program",
			    (int)fn->name_len, fn->name);
		return -1;
	}
	int64_t *slot = &L->fn_index[fn->index];
	if (*slot >= 0 || *slot == -2) {
		if (*slot == -2)
			lower_error(L, at, "recursion is not supported");
		return *slot;
	}
	if (L->call_depth >= VCL_IR_MAX_CALL_DEPTH) {
		lower_error(L, at, "calls nested more than %d deep",
			    VCL_IR_MAX_CALL_DEPTH);
		return -1;
	}
	*slot = -2;
	L->call_depth++;
	*slot = function(L, fn, NULL);
	L->call_depth--;
	return *slot;
}

struct vcl_ir_module *vcl_ir_lower(const struct vcl_program *prog,
				   struct vcl_pp *pp)
{
	/* a kernel another calls is lowered twice: as itself, and as a
	 * function */
	uint32_t cap = prog->nfunctions + prog->nkernels;
	if (cap > VCL_IR_MAX_FUNCTIONS)
		cap = VCL_IR_MAX_FUNCTIONS;
	struct lower L = {.prog = prog, .pp = pp, .d = vcl_pp_diags(pp)};
	L.m = vcl_ir_new(cap);
	L.fn_index = calloc(prog->nfunctions + 1, sizeof(*L.fn_index));
	L.products = calloc(PRODUCTS, sizeof(*L.products));
	if (!L.m || !L.fn_index || !L.products) {
		lower_error(&L, NULL, "out of memory");
	} else {
		for (uint32_t i = 0; i < prog->nfunctions; i++)
			L.fn_index[i] = -1;
		for (uint32_t i = 0; i < prog->nkernels && !L.failed; i++)
			function(&L, prog->kernels[i].sym, &prog->kernels[i]);
	}
	free(L.fn_index);
	free(L.products);
	if (L.failed) {
		vcl_ir_free(L.m);
		return NULL;
	}
	return L.m;
}
