/*
 * libFuzzer target: what executes of users' kernels. Arbitrary bytes go
 * through the IR reader and verifier, as the daemon loads a user's IR; a
 * module that passes is compiled by the code generator (jit/), and its
 * first kernels each run one small launch on small real buffers, stopped
 * after STOP_MS (endless loops are legal). Any outcome but a crash, a
 * sanitizer report or a hang is fine: 0, EFAULT, ETIMEDOUT, or a launch
 * the checks refuse. Slow (LLVM compiles every input), so seeded with the
 * test kernels' IR (corpus/ir_read) and run for a share of fuzz.sh's time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpucl/ir.h>
#include <vgpujit/jit.h>

#define KERNELS_MAX 2
#define BUF_BYTES   256 /* each __global or __constant argument */
#define LOCAL_BYTES 64	/* each __local pointer argument */
#define STOP_MS	    50

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	_Atomic int stop;
} watch = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

/* Sets the stop flag STOP_MS after the launch began, unless it ended. */
static void *watchdog(void *arg)
{
	(void)arg;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += STOP_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&watch.lock);
	while (!watch.done &&
	       pthread_cond_timedwait(&watch.cond, &watch.lock, &until) == 0)
		;
	pthread_mutex_unlock(&watch.lock);
	atomic_store(&watch.stop, 1);
	return NULL;
}

/* One launch of kernel K over one or a few groups; never fails itself. */
static void launch(const struct vjit_program *p, int k)
{
	const struct vcl_ir_function *f = vjit_kernel_ir(p, k);
	if (!f || f->nparams > VCL_IR_MAX_PARAMS)
		abort();
	struct vjit_arg args[VCL_IR_MAX_PARAMS];
	uint64_t values[VCL_IR_MAX_PARAMS][2] = {{0}};
	void *bufs[VCL_IR_MAX_PARAMS] = {0};
	for (uint32_t i = 0; i < f->nparams; i++) {
		vcl_ir_type t = f->params[i].type;
		if (VCL_IR_KIND(t) != VCL_IR_PTR) {
			values[i][0] = 3; /* small: loop bounds, indexes */
			args[i] = (struct vjit_arg){values[i], 0};
		} else if (VCL_IR_SPACE(t) == VCL_AS_LOCAL) {
			args[i] = (struct vjit_arg){NULL, LOCAL_BYTES};
		} else {
			bufs[i] = calloc(1, BUF_BYTES);
			if (!bufs[i])
				abort();
			args[i] = (struct vjit_arg){bufs[i], BUF_BYTES};
		}
	}
	struct vjit_ndrange nd = {
	    .dims = 1, .global = {8, 1, 1}, .local = {1, 1, 1}};
	vjit_choose_local(p, k, &nd);
	for (int d = 0; d < 3; d++) /* a group or two of what it asks */
		if (nd.local[d] && nd.global[d] % nd.local[d])
			nd.global[d] = nd.local[d];
	struct vjit_fault fault;
	if (vjit_check_launch(p, k, args, f->nparams, &nd, &fault) == 0) {
		uint64_t groups = 1; /* the checks passed: no size is 0 */
		for (int d = 0; d < 3; d++)
			groups *= nd.global[d] / nd.local[d];
		pthread_t th;
		atomic_store(&watch.stop, 0);
		watch.done = false;
		if (pthread_create(&th, NULL, watchdog, NULL) != 0)
			abort();
		int rc = vjit_run_groups(p, k, args, &nd, 0, groups,
					 &watch.stop, &fault);
		pthread_mutex_lock(&watch.lock);
		watch.done = true;
		pthread_cond_signal(&watch.cond);
		pthread_mutex_unlock(&watch.lock);
		pthread_join(th, NULL);
		if (rc != 0 && rc != -EFAULT && rc != -ETIMEDOUT &&
		    rc != -EINVAL && rc != -ENOMEM) {
			fprintf(stderr, "fuzz_jit: a run failed with %d: %s\n",
				rc, fault.msg);
			abort();
		}
		if (rc != 0 && fault.msg[0] == '\0') {
			fprintf(stderr,
				"fuzz_jit: a run failed (%d) without "
				"a message\n",
				rc);
			abort();
		}
	}
	for (uint32_t i = 0; i < f->nparams; i++)
		free(bufs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_ir_module *m = vcl_ir_read(data, size, &d);
	vcl_diags_free(&d);
	if (!m)
		return 0; /* refused: fuzz_ir_read's business */
	struct vjit_program *p = NULL;
	char msg[VJIT_MSG_MAX] = "";
	int rc = vjit_compile(m, &p, msg);
	if (rc < 0 && msg[0] == '\0') {
		fprintf(stderr, "fuzz_jit: refused (%d) without a message\n",
			rc);
		abort();
	}
	int kernels = 0;
	for (uint32_t i = 0; p && i < m->nfuncs && kernels < KERNELS_MAX; i++) {
		if (!m->funcs[i].is_kernel)
			continue;
		int k = vjit_kernel_index(p, m->funcs[i].name);
		if (k < 0)
			abort(); /* a kernel of the module it compiled */
		launch(p, k);
		kernels++;
	}
	vjit_program_free(p);
	vcl_ir_free(m);
	return 0;
}
