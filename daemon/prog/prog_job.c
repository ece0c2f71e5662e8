#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/limits.h>
#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/launch_params.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>
#include <vgpujit/jit.h>

#include "fs/node.h"
#include "observe/trace.h"
#include "prog/launch_value.h"
#include "prog/launch_watchdog.h"
#include "prog/prog_job.h"
#include "prog/program.h"
#include "prog/program_sig.h"
#include "sched/job.h"
#include "sched/scheduler.h"

#define CONTAINER(p, type, member)                                             \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

struct prog_job {
	struct cred cred; /* the launching user's, kept (cred_keep) */
	uint64_t prog_size;
	/* In text[], after the struct: one allocation a launch, not four. */
	char *prog_name; /* the buffer's path, as diagnostics name it */
	char *params;	 /* the parameters' text; job->cmd.params points here */
	char *label; /* "PROGRAM:KERNEL": job->label once the kernel is found */
	struct program *program;
	const struct vcl_ir_function *fn; /* the launched kernel */
	int kernel;			  /* its index in program->native */
	bool prepared;
	uint64_t groups; /* work-groups in all, run as the next phase's tiles */
	uint32_t tiles;
	_Atomic int stop; /* set by the watchdog (--kernel-timeout) */
	struct launch_watch watch;
	/* the first failure of a group tile, told to the scheduler */
	pthread_mutex_t fault_lock;
	struct vjit_fault fault;
	struct vjit_ndrange nd;
	/* Last, and not zeroed (9 KB a launch): bind_params() sets every
	 * parameter's before anything reads them. */
	struct vjit_arg args[VCL_IR_MAX_PARAMS];
	uint8_t values[VCL_IR_MAX_PARAMS][LAUNCH_VALUE_MAX];
	char text[]; /* where params, prog_name and label point */
};

static uint32_t launch_tiles(struct job *job);
static void fault_message(struct job *job, int rc);

/* Copies LEN bytes of S to *AT as a string; returns where it went. */
static char *put_text(char **at, const char *s, size_t len)
{
	char *t = *at;
	if (len)
		memcpy(t, s, len);
	t[len] = '\0';
	*at = t + len + 1;
	return t;
}

/*
 * The job's part, with its parameters' text (binary ones hold NULs:
 * copied as bytes), the program's name for diagnostics (its path, or its
 * buffer's name when a binary packet gave its handle) and the label
 * "NAME:KERNEL" after it. A launch's kernel is its NAME argument.
 */
static struct prog_job *prog_job_alloc(struct job *job)
{
	const struct vgpu_cmd *c = &job->cmd;
	const struct vgpu_bufref *r = &c->buf[0];
	bool by_handle = !r->name;
	if (by_handle)
		pthread_mutex_lock(&tree_lock);
	const char *name = by_handle ? job->bufs[0]->name : r->name;
	size_t nlen = by_handle ? strlen(name) : r->name_len,
	       klen = strlen(c->name), plen = c->params_len;
	struct prog_job *p =
	    malloc(sizeof(*p) + plen + 1 + nlen + 1 + nlen + klen + 2);
	if (p) {
		memset(p, 0, offsetof(struct prog_job, args));
		char *at = p->text;
		p->params = put_text(&at, c->params, c->params ? plen : 0);
		p->prog_name = put_text(&at, name, nlen);
		p->label = put_text(&at, name, nlen);
		p->label[nlen] = ':'; /* the kernel's name follows */
		put_text(&at, c->name, klen);
	}
	if (by_handle)
		pthread_mutex_unlock(&tree_lock);
	return p;
}

void prog_job_init(struct job *job, struct cred *cred, uint64_t prog_size)
{
	const struct vgpu_cmd *c = &job->cmd;
	const char *k = c->spec->name;
	uint64_t off = c->buf[0].offset;
	if (off > prog_size) {
		job_fail(job, -EINVAL,
			 "%s: prog: offset %" PRIu64
			 " is past the buffer's end (%" PRIu64 " bytes)",
			 k, off, prog_size);
		return;
	}
	prog_size -= off;
	if (prog_size > VCL_MAX_SOURCE_BYTES) {
		job_fail(job, -EFBIG,
			 "%s: prog: a program of %" PRIu64
			 " bytes; at most %u (16 MiB)",
			 k, prog_size, VCL_MAX_SOURCE_BYTES);
		return;
	}
	struct prog_job *p = prog_job_alloc(job);
	if (p) {
		job->prog = p;
		pthread_mutex_init(&p->fault_lock, NULL);
		p->prog_size = prog_size;
		p->cred.groups = NULL;
	}
	if (!p || cred_keep(&p->cred, cred) < 0) {
		job_fail(job, -ENOMEM, "%s: out of memory for the command", k);
		return;
	}
	job->cmd.params = p->params;
	job->bytes = prog_size;
	job->stop = &p->stop;
	job->unbounded = true; /* a compile, then the user's own code */
	job->more_tiles = launch_tiles;
	job->fail_msg = fault_message;
}

void prog_job_free(struct prog_job *p)
{
	if (!p)
		return;
	launch_watchdog_disarm(&p->watch);
	pthread_mutex_destroy(&p->fault_lock);
	program_put(p->program);
	cred_release(&p->cred);
	free(p);
}

/* The given value of parameter NAME (LEN bytes), or NULL. */
static const struct vgpu_param *given(const struct vgpu_param *v, unsigned n,
				      const char *name, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i].name_len == len &&
		    memcmp(v[i].name, name, v[i].name_len) == 0)
			return &v[i];
	return NULL;
}

/* What a binary parameter of KIND gives, for messages. */
static const char *kind_name(int kind)
{
	return kind == VGPU_BIN_PARAM_BUF     ? "a buffer"
	       : kind == VGPU_BIN_PARAM_INT   ? "integers"
	       : kind == VGPU_BIN_PARAM_FLOAT ? "floats"
					      : "a __local byte count";
}

/* A __global or __constant pointer parameter bound to a buffer. */
static int bind_pointer(struct job *job, unsigned i, const char *pname,
			const struct vgpu_param *v, unsigned *slot,
			bool may_store)
{
	struct prog_job *p = job->prog;
	const char *k = job->cmd.spec->name;
	if (*slot == VGPU_MAX_ARGS)
		return job_fail(job, -EINVAL,
				"%s: %s: at most %d buffer parameters a "
				"launch",
				k, pname, VGPU_MAX_ARGS - 1);
	struct vgpu_bufref ref = {0};
	char msg[VGPU_MSG_MAX];
	int rc = 0;
	if (v->kind == VGPU_BIN_PARAM_BUF) {
		struct vgpu_bin_buf b;
		memcpy(&b, v->bin, sizeof(b));
		ref.handle = b.handle;
		ref.offset = b.offset;
	} else if (v->kind) {
		return job_fail(job, -EINVAL,
				"%s: %s is a __global or __constant pointer: "
				"it takes a buffer, not %s",
				k, pname, kind_name(v->kind));
	} else {
		rc = vgpu_parse_bufref(k, pname, v->value, v->value_len, &ref,
				       msg, sizeof(msg));
	}
	if (rc < 0)
		return job_fail(job, rc, "%s", msg);
	int want = PERM_R | (may_store ? PERM_W : 0);
	struct vgpu_bufinfo info;
	pthread_mutex_lock(&tree_lock);
	rc = job_bind_buffer(job, *slot, k, pname, &ref, want, &p->cred, &info);
	if (rc == 0 && ref.offset > info.size)
		rc = job_fail(job, -EINVAL,
			      "%s: %s: offset %" PRIu64
			      " is past the buffer's end (%" PRIu64 " bytes)",
			      k, pname, ref.offset, info.size);
	if (rc == 0 && info.size > 0)
		rc =
		    job_map_buffer(job, *slot, k, pname, info.size, ref.offset);
	pthread_mutex_unlock(&tree_lock);
	if (rc < 0)
		return rc;
	uint64_t bytes = info.size - ref.offset;
	if (bytes) {
		rc = job_populate(job, *slot, k, pname, ref.offset, bytes);
		if (rc < 0)
			return rc;
	}
	p->args[i] = (struct vjit_arg){
	    .base = bytes ? job->launch.ptr[*slot] : NULL, .size = bytes};
	job->bytes += bytes;
	if (may_store)
		job->stores |= 1u << *slot;
	(*slot)++;
	return 0;
}

/* A __local pointer's bytes, or a scalar's value, or a vector's: its
 * LANES from IR parameter I on (0: a scalar). GIVEN is text or binary. */
static int bind_value(struct job *job, unsigned i, unsigned lanes,
		      const char *pname, vcl_ir_type t,
		      const struct vgpu_param *given)
{
	struct prog_job *p = job->prog;
	const char *k = job->cmd.spec->name;
	bool local = VCL_IR_KIND(t) == VCL_IR_PTR;
	struct vgpu_param text = *given;
	const struct vgpu_param *v = &text;
	char buf[VGPU_PARAM_TEXT_MAX];
	if (given->kind) { /* binary: its text form, bound as text is */
		if (given->kind == VGPU_BIN_PARAM_BUF ||
		    local != (given->kind == VGPU_BIN_PARAM_LOCAL))
			return job_fail(
			    job, -EINVAL, "%s: %s is %s: it takes %s, not %s",
			    k, pname,
			    local ? "a __local pointer" : "a scalar or vector",
			    local ? "a byte count" : "numbers",
			    kind_name(given->kind));
		text.value = buf;
		text.value_len = vgpu_param_text(given, buf, sizeof(buf));
	}
	int shown = (int)(v->value_len > 40 ? 40 : v->value_len);
	if (local) {
		int64_t n;
		int rc = vgpu_parse_int(v->value, v->value_len, &n);
		if (rc < 0 || n < 1 || n > VJIT_MAX_LOCAL_MEM)
			return job_fail(job, -EINVAL,
					"%s: %s='%.*s': a __local parameter "
					"takes a byte count from 1 to %u",
					k, pname, shown, v->value,
					VJIT_MAX_LOCAL_MEM);
		p->args[i] = (struct vjit_arg){.size = (uint64_t)n};
		return 0;
	}
	const char *why = "";
	uint8_t packed[LAUNCH_VALUE_MAX];
	int rc = launch_value_parse(VCL_IR_KIND(t), lanes, v->value,
				    v->value_len, packed, &why);
	if (rc < 0) {
		char tn[16];
		return job_fail(job, rc, "%s: %s='%.*s' %s (%s)", k, pname,
				shown, v->value, why,
				vcl_ir_type_name(
				    VCL_IR_TYPE(VCL_IR_KIND(t), lanes, 0), tn));
	}
	/* the lanes, each its own scalar parameter */
	uint32_t size = vcl_ir_type_size(t);
	for (unsigned j = 0; j < (lanes ? lanes : 1); j++) {
		memcpy(p->values[i + j], packed + j * size, size);
		p->args[i + j] =
		    (struct vjit_arg){.base = p->values[i + j], .size = size};
	}
	return 0;
}

/* Binds every parameter of the kernel to what the launch gives. */
static int bind_params(struct job *job)
{
	struct prog_job *p = job->prog;
	const struct vcl_ir_function *fn = p->fn;
	const char *k = job->cmd.spec->name;
	struct vgpu_param v[VGPU_PARAMS_MAX];
	unsigned n = 0;
	size_t pos = 0;
	while (n < VGPU_PARAMS_MAX && vgpu_param_next(&job->cmd, &pos, &v[n]))
		n++;
	for (unsigned j = 0; j < n; j++) {
		bool known = false;
		for (uint32_t i = 0; i < fn->nparams && !known; i++) {
			size_t len;
			unsigned lanes = program_param_lanes(fn, i, &len);
			known = len == v[j].name_len &&
				memcmp(fn->params[i].name, v[j].name, len) == 0;
			i += lanes ? lanes - 1 : 0;
		}
		if (!known)
			return job_fail(job, -EINVAL,
					"%s: kernel %s has no parameter "
					"'%.*s'",
					k, fn->name, (int)v[j].name_len,
					v[j].name);
	}
	unsigned slot = 1; /* bufs[0] is the program's */
	for (uint32_t i = 0; i < fn->nparams; i++) {
		const struct vcl_ir_param *fp = &fn->params[i];
		size_t len;
		unsigned lanes = program_param_lanes(fn, i, &len);
		const struct vgpu_param *gv = given(v, n, fp->name, len);
		if (!gv)
			return job_fail(job, -EINVAL,
					"%s: kernel %s: parameter '%.*s' is "
					"not given",
					k, fn->name, (int)len, fp->name);
		/* a given name is at most VGPU_PARAM_NAME_MAX bytes */
		char pname[VGPU_PARAM_NAME_MAX + 1];
		size_t plen = len < sizeof(pname) - 1 ? len : sizeof(pname) - 1;
		memcpy(pname, fp->name, plen);
		pname[plen] = '\0';
		enum vcl_addr_space as = VCL_IR_SPACE(fp->type);
		bool buffer = VCL_IR_KIND(fp->type) == VCL_IR_PTR &&
			      (as == VCL_AS_GLOBAL || as == VCL_AS_CONSTANT);
		int rc =
		    buffer ? bind_pointer(job, i, pname, gv, &slot,
					  fp->may_store && as == VCL_AS_GLOBAL)
			   : bind_value(job, i, lanes, pname, fp->type, gv);
		if (rc < 0)
			return rc;
		i += lanes ? lanes - 1 : 0;
	}
	return 0;
}

/* The NDRange the launch gives, checked for what needs no code. */
static int take_ndrange(struct job *job)
{
	struct prog_job *p = job->prog;
	const struct vgpu_cmd *c = &job->cmd;
	const char *k = c->spec->name;
	const struct vgpu_dims *g = &c->dims[LAUNCH_DIMS_GLOBAL],
			       *l = &c->dims[LAUNCH_DIMS_LOCAL],
			       *o = &c->dims[LAUNCH_DIMS_OFFSET];
	p->nd.dims = g->n;
	if (l->n && l->n != g->n)
		return job_fail(job, -EINVAL,
				"%s: local has %u sizes, global %u: one a "
				"dimension",
				k, l->n, g->n);
	if (o->n && o->n != g->n)
		return job_fail(job, -EINVAL,
				"%s: offset has %u sizes, global %u: one a "
				"dimension",
				k, o->n, g->n);
	for (unsigned d = 0; d < 3; d++) {
		p->nd.global[d] = d < g->n ? g->v[d] : 1;
		p->nd.local[d] = d < l->n ? l->v[d] : 1;
		p->nd.offset[d] = d < o->n ? o->v[d] : 0;
		if (l->n && p->nd.global[d] % p->nd.local[d])
			return job_fail(job, -EINVAL,
					"%s: local: %" PRIu64
					" does not divide global %" PRIu64
					" (dimension %u)",
					k, p->nd.local[d], p->nd.global[d], d);
	}
	return 0;
}

/*
 * The program's buffer publishes the signatures of what was compiled from
 * it (PROG), or none when it failed to compile (NULL): user.vgpu.kernels.
 * Only from its start, and for a user who may write the buffer: what a
 * reader builds at an offset is no description of the owner's program.
 */
static void publish_signatures(struct job *job, const struct program *prog)
{
	struct prog_job *p = job->prog;
	struct node *n = job->bufs[0];
	if (job->cmd.buf[0].offset != 0)
		return;
	pthread_mutex_lock(&tree_lock);
	/* a cached launch's are there already: no copy each time */
	bool same = prog && n->kernels && n->kernels_len == prog->sigs_len &&
		    memcmp(n->kernels, prog->sigs, prog->sigs_len) == 0;
	if (!same && cred_allows(&p->cred, n->uid, n->gid, n->mode, PERM_W)) {
		char *text = prog ? malloc(prog->sigs_len + 1) : NULL;
		if (text)
			memcpy(text, prog->sigs, prog->sigs_len + 1);
		free(n->kernels);
		n->kernels = text;
		n->kernels_len = text ? prog->sigs_len : 0;
	}
	pthread_mutex_unlock(&tree_lock);
}

/* The job's first tile: compile, and for a launch bind and check. */
static int prepare(struct job *job)
{
	struct prog_job *p = job->prog;
	const struct vgpu_cmd *c = &job->cmd;
	const char *k = c->spec->name;
	char msg[VGPU_MSG_MAX];
	struct program_compile_time time;
	int rc = program_get(job->launch.ptr[0], p->prog_size, p->prog_name,
			     &p->program, &time, msg, sizeof(msg));
	trace_program(job, p->prog_name, &time, rc);
	publish_signatures(job, rc == 0 ? p->program : NULL);
	if (rc < 0)
		return job_fail(job, rc, "%s", msg);
	if (c->spec->id == VGPU_K_BUILD)
		return 0;
	p->fn = program_kernel(p->program, c->name);
	if (!p->fn)
		return job_fail(job, -EINVAL, "%s: %s has no kernel '%s'", k,
				p->prog_name, c->name);
	job->label = p->label; /* its kernel's name is the one found */
	rc = bind_params(job);
	if (rc == 0)
		rc = take_ndrange(job);
	if (rc < 0)
		return rc;
	p->kernel = vjit_kernel_index(p->program->native, p->fn->name);
	if (!c->dims[LAUNCH_DIMS_LOCAL].n)
		vjit_choose_local(p->program->native, p->kernel, &p->nd);
	struct vjit_fault fault = {0};
	rc = vjit_check_launch(p->program->native, p->kernel, p->args,
			       p->fn->nparams, &p->nd, &fault);
	if (rc < 0)
		return job_fail(job, rc, "%s: %s", k, fault.msg);
	p->groups = 1;
	for (unsigned d = 0; d < 3; d++)
		p->groups *= p->nd.global[d] / p->nd.local[d];
	return 0;
}

/*
 * Tiles for the launch's groups: enough for every worker to take a share
 * and for the fair scheduler to interleave other work between them.
 */
#define TILES_PER_WORKER 16

static uint32_t launch_tiles(struct job *job)
{
	struct prog_job *p = job->prog;
	if (!p->fn || p->tiles || !p->groups)
		return 0; /* a build, the groups done, or none to run */
	uint64_t want = (uint64_t)sched_workers() * TILES_PER_WORKER;
	p->tiles = (uint32_t)(p->groups < want ? p->groups : want);
	launch_watchdog_arm(&p->watch, &p->stop);
	return p->tiles;
}

/* Tile TILE of the launch's: its share of the groups. */
static int run_groups(struct job *job, uint32_t tile)
{
	struct prog_job *p = job->prog;
	uint64_t first = p->groups * tile / p->tiles,
		 end = p->groups * (tile + 1) / p->tiles;
	struct vjit_fault fault;
	int rc = vjit_run_groups(p->program->native, p->kernel, p->args, &p->nd,
				 first, end - first, &p->stop, &fault);
	if (rc < 0) {
		pthread_mutex_lock(&p->fault_lock);
		if (!p->fault.err)
			p->fault = fault;
		pthread_mutex_unlock(&p->fault_lock);
		int running = 0; /* the other tiles need not run */
		atomic_compare_exchange_strong(&p->stop, &running, 1);
	}
	return rc;
}

/* The message of a group tile's failure (the scheduler's lock held). */
static void fault_message(struct job *job, int rc)
{
	struct prog_job *p = job->prog;
	const char *k = job->cmd.spec->name;
	pthread_mutex_lock(&p->fault_lock);
	/* The first fault is the cause: the tiles it stopped come after it
	 * with ETIMEDOUT, and may reach the scheduler first. */
	if (p->fault.err)
		job->err = -p->fault.err;
	if (p->fault.err == ETIMEDOUT &&
	    atomic_load(&p->stop) == JOB_STOP_KILLED) {
		job->err = -ECANCELED;
		snprintf(job->msg, sizeof(job->msg),
			 "%s: kernel '%.64s' stopped: its client was killed", k,
			 p->fn->name);
	} else if (p->fault.err == ETIMEDOUT)
		snprintf(job->msg, sizeof(job->msg),
			 "%s: kernel '%.64s' ran longer than --kernel-timeout "
			 "(%u s) and was stopped",
			 k, p->fn->name, launch_watchdog_timeout_s());
	else if (p->fault.err)
		snprintf(job->msg, sizeof(job->msg), "%s: %s", k, p->fault.msg);
	else
		snprintf(job->msg, sizeof(job->msg), "%s: %s: %s", k,
			 p->fn ? p->fn->name : "", strerror(-rc));
	pthread_mutex_unlock(&p->fault_lock);
}

static uint32_t plan(struct vgpu_launch *l, unsigned workers, size_t *scratch)
{
	(void)l, (void)workers, (void)scratch;
	return 1; /* the compile; a launch's groups come after (more_tiles) */
}

static int run_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	(void)ntiles;
	struct job *job = CONTAINER(l, struct job, launch);
	struct prog_job *p = job->prog;
	if (p->prepared)
		return run_groups(job, tile);
	p->prepared = true;
	int rc = prepare(job);
	/* A launch of one group runs it here: one tile either way, and a
	 * second phase cost a trip back through the scheduler (a cached
	 * launch's round trip, docs/benchmarks.md). */
	if (rc == 0 && p->fn && p->groups == 1) {
		p->tiles = 1; /* launch_tiles: no phase after this one */
		launch_watchdog_arm(&p->watch, &p->stop);
		rc = run_groups(job, 0);
	}
	return rc;
}

const struct vgpu_kernel_impl prog_impl = {
    .id = VGPU_K_LAUNCH,
    .plan = plan,
    .run_tile = run_tile,
};
