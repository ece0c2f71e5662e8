/*
 * The code generator's private parts: the run-time block a group function
 * reads, the compiled program, and the state of code generation shared by
 * the codegen_*.c and wg_*.c files (docs/compiler.md, "Code generation").
 */
#ifndef VGPUJIT_INTERNAL_H
#define VGPUJIT_INTERNAL_H

#include <stdalign.h>
#include <stddef.h>

#include <llvm-c/Core.h>
#include <llvm-c/LLJIT.h>

#include <vgpujit/jit.h>

/*
 * What a group function reads, one per vjit_run_groups call (group_id
 * changes per group). Every field is 8 bytes: the code reads field k at
 * byte 8k (enum rt_field).
 */
struct vjit_rt {
	uint64_t group_id[3], local_size[3], global_size[3], num_groups[3],
	    global_offset[3];
	uint64_t work_dim, group_size;
	const _Atomic int *stop;
	char **arg_base;    /* per parameter: buffer, __local area, value */
	uint64_t *arg_size; /* per parameter: bytes */
	char **local_base;  /* per __local allocation of the kernel */
	char *ctx;	    /* per-work-item context (kernels with barriers) */
	uint64_t faulted;   /* 1 after the first access out of bounds */
	uint64_t fault_obj; /* its object (enum vjit_obj) */
	int64_t fault_offset; /* its byte offset in the object */
	/* Fused groups (wg_fuse.c): the launch's own view of dimension 0 in
	 * a run of groups along it, when group_id/local_size say the run's. */
	uint64_t fuse_group0;	/* the run's first group of the launch */
	uint64_t fuse_local0;	/* the launch's local size */
	uint64_t fuse_ngroups0; /* the launch's number of groups */
	uint64_t fuse_mask;	/* local id: the run's counter & this */
	uint64_t fuse_shift;	/* its group: fuse_group0 + counter >> this */
};
enum rt_field {
	RT_GROUP_ID = 0,
	RT_LOCAL_SIZE = 3,
	RT_GLOBAL_SIZE = 6,
	RT_NUM_GROUPS = 9,
	RT_GLOBAL_OFFSET = 12,
	RT_WORK_DIM = 15,
	RT_GROUP_SIZE,
	RT_STOP,
	RT_ARG_BASE,
	RT_ARG_SIZE,
	RT_LOCAL_BASE,
	RT_CTX,
	RT_FUSE_GROUP0 = RT_CTX + 4,
	RT_FUSE_LOCAL0,
	RT_FUSE_NGROUPS0,
	RT_FUSE_MASK,
	RT_FUSE_SHIFT,
};
_Static_assert(offsetof(struct vjit_rt, ctx) == 8 * RT_CTX, "rt layout");
_Static_assert(offsetof(struct vjit_rt, stop) == 8 * RT_STOP, "rt layout");
_Static_assert(offsetof(struct vjit_rt, fuse_shift) == 8 * RT_FUSE_SHIFT,
	       "rt layout");

/* The object a pointer points into, as the fault names it. */
enum vjit_obj {
	OBJ_PARAM = 0,	       /* + the kernel parameter's index */
	OBJ_LOCAL = 0x100,     /* + the __local allocation's index */
	OBJ_SLOT = 0x10000,    /* + the private slot's index */
	OBJ_NULL = 0xffffffff, /* a null pointer: no object, size 0 */
};

/* Called by generated code for an access out of bounds (the symbol
 * table's only entry that is not a math or memory function). */
void vjit_rt_fault(struct vjit_rt *rt, uint32_t obj, int64_t offset);

/* The work-group plan of a kernel (wg_plan.c). */
#define SEG_PARAM UINT32_MAX
#define SEG_CONST (UINT32_MAX - 1)
#define SEG_GROUP (UINT32_MAX - 2)
#define CTX_NONE  UINT64_MAX
/* Slots later segments recompute rather than keep (wg_remat.c). */
struct wg_remat {
	const struct vcl_ir_inst **store; /* per slot: its one store, or NULL */
	uint32_t *seg;			  /* per slot: that store's segment */
	uint32_t *nodes; /* per slot: operations recomputing it emits */
};
/* A counted loop run outside the work-item loops (wg_interchange.c). */
struct counted_loop {
	uint64_t slot;
	uint32_t init, bound, step;
	bool sign, incl, wide;
};
struct wg_xchg {
	const struct vcl_ir_inst *loop, *head_if; /* its `k < bound` test */
	struct counted_loop c;
	const struct vcl_ir_inst *init, *bound, *step; /* CONSTs */
	uint64_t trips;
};
/* What the work-group passes read of a function with barriers, scanned
 * once (wg_plan.c). */
struct wg_facts {
	const struct vcl_ir_inst **def; /* per value: its instruction */
	uint8_t *addressed;		/* per slot: a SLOT takes its address */
	uint32_t *stores;		/* per slot: its STS */
	uint32_t *uses;			/* per slot: its LDS, STS and SLOT */
};
struct wg_plan {
	bool barriers;	 /* the kernel has one */
	bool returns;	 /* the kernel has a return */
	bool implicit;	 /* a loop runs as if it held one (implicit barrier) */
	bool copy_slots; /* context slots copied per work-item (wg_slot_copy.c)
			  */
	const struct vcl_ir_inst **bar; /* instructions holding a barrier */
	size_t nbar;
	const struct vcl_ir_inst **div; /* loops of wg_divergent.c */
	uint64_t *left_off; /* per such loop: the work-item's "left" i32 */
	size_t ndiv;
	uint32_t *def_seg;    /* per value: the segment defining it */
	uint64_t *ctx_off;    /* per value kept across a barrier */
	vcl_ir_type *vty;     /* per value: its type */
	uint64_t *slot_off;   /* per slot kept in the context */
	uint64_t *slot_bytes; /* per slot: bytes (cg_slot_bytes) */
	uint64_t done_off;    /* the work-item's "returned" byte */
	uint64_t per_wi;      /* context bytes per work-item */
	uint64_t narrays;     /* arrays in the context */
	uint64_t max_group;   /* work-items a group may have */
	uint64_t ctx_stack;   /* the context's bytes on the stack, 0: heap */
	uint32_t nseg;
	struct wg_facts facts;
	struct wg_remat remat;
	struct wg_xchg *xchg; /* loops interchanged with the work-items */
	size_t nxchg;
	uint8_t
	    *gcounter;	 /* per slot: one for the group (wg_group_counter.c) */
	uint32_t *gstep; /* per such slot: the value of its step */
};

typedef void (*vjit_group_fn)(struct vjit_rt *rt);

struct vjit_kernel {
	uint32_t func; /* index in the module */
	vjit_group_fn fn;
	uint64_t per_wi;      /* context bytes per work-item (barriers) */
	uint64_t local_bytes; /* the kernel's own __local allocations */
	uint64_t *local_off;  /* each allocation's offset in the area */
	uint64_t stack;	      /* bound on its stack use (jit_stack.c) */
	uint8_t fuse;	      /* enum wg_fuse: may its groups run fused */
};

struct vjit_program {
	const struct vcl_ir_module *m; /* the caller's, or inlined */
	struct vcl_ir_module *inlined; /* vcl_ir_inline_barriers' own */
	LLVMOrcLLJITRef jit;
	struct vjit_kernel *kernels;
	uint32_t nkernels;
	char session_err[VJIT_MSG_MAX]; /* the LLJIT's first error */
};

/* A value during code generation; a pointer is (base, size, offset v,
 * object), plus `ok` once checked. */
struct cg_val {
	LLVMValueRef v, base, size, obj, ok;
};

struct cg_loop {
	LLVMBasicBlockRef brk, cont;
	bool group; /* runs once per group around work-item loops */
};

/* The module being generated. */
struct cg_module {
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	const struct vcl_ir_module *m;
	LLVMValueRef *fns; /* per function */
	LLVMTypeRef *fn_types;
	LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, vd, fat, spill_fat;
	LLVMValueRef fault_fn;
	LLVMTypeRef fault_ty;
	char *msg;
	uint8_t fuse; /* the unit's kernel's enum wg_fuse */
};

/* An object's fault variable (codegen_mem.c, fault_site). */
struct cg_site {
	LLVMValueRef var, obj;
};

/* The function being generated. */
struct cg_func {
	struct cg_module *M;
	const struct vcl_ir_function *f;
	uint32_t findex;
	LLVMValueRef fn;
	LLVMBuilderRef b;  /* where code goes */
	LLVMBuilderRef eb; /* the end of the entry block: allocas, uniforms */
	struct cg_val *vals;
	LLVMValueRef rt, stopp;
	LLVMValueRef *slot_ptr; /* per slot: its alloca, or NULL */
	LLVMValueRef
	    *slot_copy;	      /* per context slot: its copy (wg_slot_copy.c) */
	uint64_t *slot_bytes; /* per slot: bytes it takes */
	LLVMValueRef lid[3], flat;
	struct cg_loop loops[VCL_IR_MAX_DEPTH + 1];
	uint32_t nloops;
	LLVMBasicBlockRef stop_bb;
	/* kernels */
	bool kernel;
	const struct wg_plan *plan;
	uint32_t seg;	     /* the current segment, SEG_GROUP between them */
	uint32_t nseg;	     /* segments emitted: wg_plan.c's numbering */
	uint32_t group_nest; /* group-level ifs and loops around it */
	LLVMBasicBlockRef wi_latch, ret_bb;
	LLVMValueRef lsize[3], gsize, ctx, exitcode, ndone;
	LLVMValueRef *ctx_arr; /* context on the stack: per offset, an array */
	const struct vcl_ir_inst *prev; /* before the instruction generated */
	struct short_scan *short_scan;	/* loop_short.c */
	struct hoist_scan *hoist;	/* wg_hoist.c */
	const uint8_t *unchecked;	/* per value: a check hoisted out */
	/* a work-item loop of wg_interchange.c: its rows y0, y0 + ystep, ...
	 * below yend (NULL: every row), its body emitted by wi_body after
	 * the instructions given */
	LLVMValueRef wi_y0, wi_yend;
	uint32_t wi_ystep;
	void (*wi_body)(struct cg_func *C, void *arg);
	void *wi_arg;
	/* the work-item loop's instruction being generated at its top
	 * level, and the prefetches to make after its x loop
	 * (wg_prefetch.c) */
	const struct vcl_ir_inst *wi_top;
	/* the divergent loop of the work-item loop, its flag and whether a
	 * work-item stays in it (wg_divergent.c) */
	const struct vcl_ir_inst *div_loop;
	LLVMValueRef div_left, div_any;
	struct wg_prefetch *pf;
	uint32_t npf;
	/* the work-item loop's split (wg_split.c), and whether its middle
	 * loop is being generated */
	struct wg_split *split;
	bool split_mid;
	LLVMValueRef pred; /* inside an if run as selects: its side's test */
	struct cg_site *sites; /* fault variables, one per object */
	size_t nsites;
	int err;
};

/* codegen_func.c */
LLVMTypeRef cg_type(struct cg_module *M, vcl_ir_type t);
int cg_function(struct cg_module *M, uint32_t findex,
		const struct wg_plan *plan);
struct cg_val cg_get(struct cg_func *C, uint32_t x);
/* A pointer as one aggregate (returns, pointer slots) and back. */
LLVMValueRef cg_pack(struct cg_func *C, struct cg_val v);
struct cg_val cg_unpack(struct cg_func *C, LLVMValueRef agg);
void cg_define(struct cg_func *C, const struct vcl_ir_inst *i, struct cg_val v);
LLVMValueRef cg_rt_field(struct cg_func *C, LLVMBuilderRef b, unsigned field,
			 LLVMTypeRef t);
LLVMValueRef cg_intrinsic(struct cg_func *C, const char *name,
			  LLVMTypeRef *over, unsigned nover, LLVMValueRef *args,
			  unsigned nargs);
/* i1: *stop is set (one relaxed load; polled at loop back-edges). */
LLVMValueRef cg_stop_set(struct cg_func *C);
void cg_fail(struct cg_func *C, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cg_block(struct cg_func *C, const struct vcl_ir_block *b);
/* A new block at the end of C's function. */
LLVMBasicBlockRef cg_new_bb(struct cg_func *C, const char *name);
void cg_inst(struct cg_func *C, const struct vcl_ir_inst *i);

/* codegen_arith.c: constants, arithmetic, comparisons, conversions */
void cg_arith(struct cg_func *C, const struct vcl_ir_inst *i);
/* codegen_mem.c: slots, pointers, checks, loads, stores, atomics */
void cg_memory(struct cg_func *C, const struct vcl_ir_inst *i);
/* The LLVM size of a fat pointer {ptr, i64, i64, i32}. */
#define CG_FAT_BYTES 32
uint64_t *cg_slot_bytes(const struct vcl_ir_function *f);
void cg_make_slots(struct cg_func *C);
void cg_zero_slots(struct cg_func *C);
/* At a kernel's exit: the faults its accesses kept (fault_site). */
void cg_report_faults(struct cg_func *C);
LLVMValueRef cg_slot_addr(struct cg_func *C, uint32_t s);
/* i1 cond marked likely true (llvm.expect): branch weights for LLVM */
LLVMValueRef cg_likely(struct cg_func *C, LLVMValueRef cond);
/* Scoped alias metadata: the context apart from buffers and __local. */
void cg_alias_scope(struct cg_func *C, LLVMValueRef x, const char *kind);
void cg_mark_context(struct cg_func *C);
/* codegen_math.c: the math intrinsics */
void cg_math(struct cg_func *C, const struct vcl_ir_inst *i);
/* loop_short.c: a loop short enough to go without the stop poll */
bool cg_loop_short(struct cg_func *C, const struct vcl_ir_inst *prev,
		   const struct vcl_ir_inst *loop);
void cg_loop_short_free(struct cg_func *C);
/* A counted loop: `s = init` just before it, the body starting with
 * `if (s < bound) {} else break;` (signed or not, < or <=), the
 * continuing part exactly `s = s + step`, and nothing else writing or
 * addressing slot s. Values are the IR's (struct counted_loop above). */
bool cg_counted_loop(const struct vcl_ir_inst *const *def, uint32_t ndef,
		     const uint8_t *addressed, uint32_t nslots,
		     const struct vcl_ir_inst *prev,
		     const struct vcl_ir_inst *L, struct counted_loop *out);
/* codegen_wi.c: work-item queries */
void cg_workitem(struct cg_func *C, const struct vcl_ir_inst *i);
/* The group's size in dimension d (0..2): a constant when the kernel has
 * reqd_work_group_size (the launch checks refuse any other), else read
 * from the run-time block. */
LLVMValueRef cg_local_size(struct cg_func *C, int d);
/* wg_loop.c: a kernel's body as work-item loops between barriers */
void wg_kernel_body(struct cg_func *C);
LLVMValueRef wg_ctx_addr(struct cg_func *C, uint64_t off, uint64_t elem,
			 LLVMValueRef flat);

/* Gives the loop whose latch branch is BR the one hint (a string
 * metadata of llvm.loop, "llvm.loop.unroll.disable"). */
void wg_loop_mark(struct cg_func *C, LLVMValueRef br, const char *hint);
/* The instructions FIRST up to END (exclusive) once per work-item, ends
 * positioned after the loops (C->wi_body and the rows: wg_interchange.c). */
void wg_wi_loop_nest(struct cg_func *C, const struct vcl_ir_inst *first,
		     const struct vcl_ir_inst *end, bool checked_copy);

/* wg_interchange.c: counted loops run outside the work-item loops;
 * planned after wg_remat_plan, before the context is placed */
int wg_interchange_plan(struct wg_plan *P, const struct vcl_ir_function *f);
void wg_interchange_free(struct wg_plan *P);
/* The segment FIRST..END's loop to interchange, or NULL. */
const struct wg_xchg *wg_interchanged(const struct wg_plan *P,
				      const struct vcl_ir_inst *first,
				      const struct vcl_ir_inst *end);
/* The segment FIRST.. (ending in x's loop) as that loop around a
 * work-item loop of its body. */
void wg_interchange_emit(struct cg_func *C, const struct vcl_ir_inst *first,
			 const struct wg_xchg *x);
/* The body of a counted loop L: its `if (k < bound) {} else break;` (the
 * form of cg_counted_loop), and whether block B of L (HEAD_IF aside) may
 * run interleaved with other work-items' steps of L. */
const struct vcl_ir_inst *wg_interchange_head_if(const struct vcl_ir_inst *L);
bool wg_interchange_body_ok(const struct vcl_ir_block *b,
			    const struct vcl_ir_inst *head_if);

/* wg_implicit_barrier.c: the loops of the kernel's body run at group
 * level as if they held a barrier (their trip count is uniform), into
 * *OUT (malloc'd, *N of them); after the barriers are found. */
int wg_implicit_barriers(struct wg_plan *P, const struct vcl_ir_function *f,
			 const struct vcl_ir_inst ***out, size_t *n);
/* Whether the slots kept in the context may be copied to a work-item's
 * own alloca for the length of a work-item loop's body: no pointer to
 * one outlives it (wg_implicit_barrier.c). */
bool wg_implicit_copy_ok(const struct wg_plan *P,
			 const struct vcl_ir_function *f);
/* wg_slot_copy.c: around a work-item loop's body FIRST..END, the context
 * slots it uses in and out of allocas (plan->copy_slots). */
void wg_slot_copy_in(struct cg_func *C, const struct vcl_ir_inst *first,
		     const struct vcl_ir_inst *end);
void wg_slot_copy_out(struct cg_func *C);
/* The bytes of each of slot S's lanes, kept one array per lane in the
 * context, or 0: the slot is one array of whole slots. */
uint32_t wg_slot_lane(const struct wg_plan *P, uint32_t s);
/* Whether kernel F has such a loop (or memory ran out): its context is
 * sized for one group, so its groups are not fused (wg_fuse.c). */
bool wg_implicit_any(const struct vcl_ir_function *f);

/* wg_divergent.c: whether L, a loop of the kernel's body, may run at
 * group level while any work-item stays in it (found after the implicit
 * barriers), whether the plan runs it so, the slots it carries from step
 * to step moved to the context (-1: out of memory), and its code: the
 * group's loop, and one work-item's step inside the work-item loop. */
bool wg_divergent_loop(const struct wg_plan *P, const struct vcl_ir_inst *L);
bool wg_divergent(const struct wg_plan *P, const struct vcl_ir_inst *L);
int wg_divergent_slots(struct wg_plan *P, const struct vcl_ir_function *f,
		       const struct vcl_ir_inst *L);
void wg_divergent_region(struct cg_func *C, const struct vcl_ir_inst *L);
void wg_divergent_step(struct cg_func *C, const struct vcl_ir_inst *L);

/* wg_group_counter.c: counters of loops holding a barrier kept once for
 * the group; planned after the segments, before the context is placed */
int wg_group_counter_plan(struct wg_plan *P, const struct vcl_ir_function *f);
bool wg_group_counter(const struct wg_plan *P, uint64_t slot);
/* L is such a loop: its continuing part runs once, at group level. */
bool wg_group_counter_loop(const struct wg_plan *P,
			   const struct vcl_ir_inst *L);
/* Zeroes the group's counters (once, when the group starts). */
void wg_group_counter_zero(struct cg_func *C);

/* wg_prefetch.c: a load of a work-item loop whose address moves with a
 * group counter has its address of the counter's next step prefetched
 * after the x loop. Note: called before the load's check, with its
 * pointer; emit: where the x loop ends (forgets the notes). */
void wg_prefetch_note(struct cg_func *C, const struct vcl_ir_inst *i,
		      struct cg_val p);
void wg_prefetch_emit(struct cg_func *C);

/* wg_hoist.c: the checks of a work-item loop that can be made once per
 * group; the i1 "all in bounds" (NULL: none), marks them in MARK */
LLVMValueRef wg_hoist_checks(struct cg_func *C, const struct vcl_ir_inst *first,
			     const struct vcl_ir_inst *end, uint8_t *mark);
void wg_hoist_free(struct cg_func *C);

/* wg_split.c: the x range of a work-item loop's rows where some of its
 * ifs are known (NULL: no split worth making, or out of memory) */
struct wg_split *wg_split_plan(struct cg_func *C,
			       const struct vcl_ir_inst *first,
			       const struct vcl_ir_inst *end);
/* The current row's [lo, hi), emitted at the builder (lid[1], lid[2]
 * the row's) */
void wg_split_bounds(struct cg_func *C, struct wg_split *S, LLVMValueRef *lo,
		     LLVMValueRef *hi);
/* In [lo, hi) (C->split_mid): 1 if i's then side runs, 0 its else, -1
 * not known */
int wg_split_known(const struct cg_func *C, const struct vcl_ir_inst *i);
/* In [lo, hi): if I only computes and sets private variables (and loads
 * what the hoisted checks cover), generates both its sides in line, the
 * stores as selects, and returns true (LLVM's loop vectorizer takes no
 * branch it cannot make a select) */
bool wg_split_flatten(struct cg_func *C, const struct vcl_ir_inst *i);
void wg_split_free(struct wg_split *S);

/* wg_remat.c: slots recomputed after a barrier; after the segments are
 * planned, before the context is placed (-1: out of memory, none) */
int wg_remat_plan(struct wg_plan *P, const struct vcl_ir_function *f);
void wg_remat_free(struct wg_remat *R);
/* An LDS of such a slot in a later segment: its value recomputed (false:
 * an ordinary load) */
bool wg_remat_load(struct cg_func *C, const struct vcl_ir_inst *lds);

/* jit_stack.c: per function of m, a bound on its stack use */
int jit_stack_bounds(const struct vcl_ir_module *m, uint64_t *bound);

/* wg_plan.c */
/* Whether a kernel's groups may run fused along dimension 0 (wg_fuse.c):
 * no barrier, no __local memory, no reqd_work_group_size; get_local_id
 * or get_group_id then computed from the run's counter with a mask and a
 * shift, so a local size of a power of two only. */
enum wg_fuse { FUSE_NO, FUSE_POW2, FUSE_ANY };
enum wg_fuse wg_fuse_kind(const struct vcl_ir_module *m, uint32_t kernel);
/* get_local_id, get_group_id, get_local_size or get_num_groups of
 * dimension 0 in a fusable kernel: the launch's, from the rt block. */
LLVMValueRef wg_fuse_query(struct cg_func *C, enum vcl_ir_wi q);
/* The run of fused groups from GROUP (before LAST) of a launch of a
 * kernel of that enum wg_fuse: its length in *K (1: the group alone);
 * returns GROUP's index along dimension 0. */
uint64_t wg_fuse_run(uint8_t fuse, const struct vjit_ndrange *nd,
		     uint64_t group, uint64_t last, uint64_t *k);

int wg_plan_make(struct wg_plan *P, const struct vcl_ir_function *f, char *msg);
/* The facts of F (-ENOMEM); freed by wg_facts_free, even after a failure. */
int wg_facts_make(struct wg_facts *F, const struct vcl_ir_function *f);
void wg_facts_free(struct wg_facts *F);
/* Stack bytes the context takes as arrays on the stack. */
uint64_t wg_ctx_stack_bytes(const struct wg_plan *P);
void wg_plan_free(struct wg_plan *P);
/* Bytes a value takes in the context. */
uint32_t wg_elem_size(vcl_ir_type t);
bool wg_has_barrier(const struct wg_plan *P, const struct vcl_ir_inst *i);
/* Calls fn on each operand value of i (not of its regions). */
void wg_operands(const struct vcl_ir_inst *i, void (*fn)(void *arg, uint32_t x),
		 void *arg);

/* jit_symbols.c: the only symbols generated code may call */
struct vjit_symbol {
	const char *name;
	void *addr;
};
extern const struct vjit_symbol vjit_symbols[];
extern const size_t vjit_nsymbols;

#endif
