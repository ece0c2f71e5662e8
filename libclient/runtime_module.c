/*
 * Modules and vgpuLaunchKernel: a program compiled here by the OpenCL C
 * front end for its kernels' signatures (CUDA's convention passes values
 * by position, so the library must know each parameter's type and size),
 * stored in an anonymous buffer; a launch turns ARGS into libvgpu's named,
 * typed parameters (vgpu_launch_kernel), which the daemon binds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vgpucl/compile.h>
#include <vgpufs/launch_params.h>

#include "runtime.h"

struct vgpuFunction {
	struct vgpuModule *module;
	const struct vcl_ir_function *fn;
};

struct vgpuModule {
	vgpu_buffer *prog;
	struct vcl_ir_module *ir;
	struct vgpuFunction *funcs; /* one a function of IR; kernels used */
};

/* Records the compiler's first error as the last error: -EINVAL. */
static vgpuError_t compile_error(const struct vcl_diags *d)
{
	char msg[VGPU_MESSAGE_MAX] = "the program failed to compile";
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == VCL_ERROR) {
			vcl_diag_format(&d->v[i], msg, sizeof(msg));
			break;
		}
	return rt_error(-EINVAL, msg);
}

static vgpuError_t module_load(vgpuModule_t *out, const char *bytes, size_t len,
			       const char *name)
{
	*out = NULL;
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	struct vcl_diags d;
	vcl_diags_init(&d, 4);
	struct vcl_ir_module *ir = vcl_compile(bytes, len, name, &d);
	vgpuError_t rc = ir ? vgpuSuccess
			 : vcl_diags_failed(&d)
			     ? compile_error(&d)
			     : rt_error(-ENOMEM, "out of memory "
						 "compiling "
						 "the module");
	vcl_diags_free(&d);
	if (rc < 0)
		return rc;
	struct vgpuModule *m = calloc(1, sizeof(*m));
	if (m)
		m->funcs =
		    calloc(ir->nfuncs ? ir->nfuncs : 1, sizeof(*m->funcs));
	if (!m || !m->funcs) {
		rc = rt_error(-ENOMEM, "out of memory for the module");
	} else {
		m->ir = ir;
		int err = vgpu_program_load(dev, NULL, bytes, len, &m->prog);
		if (err < 0)
			rc = rt_error(err, vgpu_last_message(dev));
	}
	if (rc < 0) {
		vgpuModuleUnload(m);
		if (!m)
			vcl_ir_free(ir);
		return rc;
	}
	for (uint32_t i = 0; i < ir->nfuncs; i++)
		m->funcs[i] = (struct vgpuFunction){m, &ir->funcs[i]};
	*out = m;
	return vgpuSuccess;
}

vgpuError_t vgpuModuleLoadData(vgpuModule_t *module, const void *image,
			       size_t size)
{
	if (!module || !image)
		return rt_error(-EINVAL, "vgpuModuleLoadData: a NULL pointer");
	return module_load(module, image, size ? size : strlen(image),
			   "module");
}

vgpuError_t vgpuModuleLoad(vgpuModule_t *module, const char *path)
{
	char msg[VGPU_MESSAGE_MAX];
	if (!module || !path)
		return rt_error(-EINVAL, "vgpuModuleLoad: a NULL pointer");
	*module = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-err));
		return rt_error(err, msg);
	}
	size_t len = (size_t)st.st_size;
	char *bytes = malloc(len ? len : 1);
	ssize_t got = bytes ? read(fd, bytes, len) : -1;
	close(fd);
	vgpuError_t rc;
	if (got < 0 || (size_t)got != len || len == 0) {
		snprintf(msg, sizeof(msg), "%s: %s", path,
			 len == 0 ? "an empty file" : "cannot read it whole");
		rc = rt_error(bytes ? -EIO : -ENOMEM, msg);
	} else {
		const char *base = strrchr(path, '/');
		rc = module_load(module, bytes, len, base ? base + 1 : path);
	}
	free(bytes);
	return rc;
}

vgpuError_t vgpuModuleGetFunction(vgpuFunction_t *func, vgpuModule_t module,
				  const char *name)
{
	char msg[VGPU_MESSAGE_MAX];
	if (!func || !module || !name)
		return rt_error(-EINVAL,
				"vgpuModuleGetFunction: a NULL pointer");
	*func = NULL;
	for (uint32_t i = 0; i < module->ir->nfuncs; i++) {
		const struct vcl_ir_function *fn = &module->ir->funcs[i];
		if (!fn->is_kernel || strcmp(fn->name, name) != 0)
			continue;
		for (uint32_t j = 0; j < fn->nparams; j++)
			if (!vgpu_param_name_valid(
				fn->params[j].name,
				strlen(fn->params[j].name))) {
				snprintf(msg, sizeof(msg),
					 "%s: parameter '%s': vector "
					 "parameters are not in the CUDA layer "
					 "yet",
					 name, fn->params[j].name);
				return rt_error(-ENOTSUP, msg);
			}
		*func = &module->funcs[i];
		return vgpuSuccess;
	}
	snprintf(msg, sizeof(msg), "the module has no kernel '%s'", name);
	return rt_error(-ENOENT, msg);
}

vgpuError_t vgpuModuleUnload(vgpuModule_t module)
{
	if (!module)
		return vgpuSuccess;
	vgpu_buffer_close(module->prog);
	vcl_ir_free(module->ir);
	free(module->funcs);
	free(module);
	return vgpuSuccess;
}

/* Parameter P's value at V as a named, typed parameter in *A. */
static vgpuError_t take_arg(vgpu_device *dev, const struct vcl_ir_param *p,
			    const void *v, size_t shared, vgpu_karg *a)
{
	char msg[VGPU_MESSAGE_MAX];
	vcl_ir_type t = p->type;
	enum vcl_ir_kind k = VCL_IR_KIND(t);
	*a = (vgpu_karg){.name = p->name, .lanes = 1};
	if (k == VCL_IR_PTR && VCL_IR_SPACE(t) == VCL_AS_LOCAL) {
		a->kind = VGPU_KARG_LOCAL;
		a->v.local = shared;
		return vgpuSuccess;
	}
	if (!v) {
		snprintf(msg, sizeof(msg),
			 "vgpuLaunchKernel: %s: a NULL args "
			 "entry",
			 p->name);
		return rt_error(-EINVAL, msg);
	}
	if (k == VCL_IR_PTR) {
		void *dp;
		memcpy(&dp, v, sizeof(dp));
		uint64_t off = 0;
		vgpu_buffer *b = dp ? vgpu_buffer_at(dev, dp, &off) : NULL;
		if (!b) {
			snprintf(msg, sizeof(msg),
				 "vgpuLaunchKernel: %s: %p is not device "
				 "memory (vgpuMalloc)",
				 p->name, dp);
			return rt_error(-EINVAL, msg);
		}
		*a = VGPU_KBUF(p->name, b, off);
		return vgpuSuccess;
	}
	unsigned lanes = VCL_IR_LANES(t) ? VCL_IR_LANES(t) : 1;
	size_t lane = vcl_ir_type_size(t) / (lanes == 3 ? 4 : lanes);
	a->lanes = lanes;
	a->kind = k == VCL_IR_F32 || k == VCL_IR_F64 ? VGPU_KARG_FLOAT
						     : VGPU_KARG_INT;
	for (unsigned l = 0; l < lanes; l++) {
		const char *x = (const char *)v + l * lane;
		float f;
		int8_t i8;
		int16_t i16;
		int32_t i32;
		switch (k) {
		case VCL_IR_F32:
			memcpy(&f, x, 4);
			a->v.f[l] = f;
			break;
		case VCL_IR_F64:
			memcpy(&a->v.f[l], x, 8);
			break;
		case VCL_IR_I64:
			memcpy(&a->v.i[l], x, 8);
			break;
		case VCL_IR_I32:
			memcpy(&i32, x, 4);
			a->v.i[l] = i32;
			break;
		case VCL_IR_I16:
			memcpy(&i16, x, 2);
			a->v.i[l] = i16;
			break;
		default: /* bool, char */
			memcpy(&i8, x, 1);
			a->v.i[l] = i8;
		}
	}
	return vgpuSuccess;
}

static uint64_t dim(unsigned x)
{
	return x ? x : 1;
}

vgpuError_t vgpuLaunchKernel(vgpuFunction_t func, vgpuDim3 grid, vgpuDim3 block,
			     void **args, size_t sharedMem, vgpuStream_t stream)
{
	char msg[VGPU_MESSAGE_MAX];
	if (!func)
		return rt_error(-EINVAL, "vgpuLaunchKernel: a NULL function");
	const struct vcl_ir_function *fn = func->fn;
	unsigned locals = 0;
	for (uint32_t i = 0; i < fn->nparams; i++)
		locals += VCL_IR_KIND(fn->params[i].type) == VCL_IR_PTR &&
			  VCL_IR_SPACE(fn->params[i].type) == VCL_AS_LOCAL;
	if (locals > 1 || (locals == 1 && sharedMem == 0)) {
		snprintf(msg, sizeof(msg),
			 "vgpuLaunchKernel: %s has %u __local pointer "
			 "parameters: sharedMem (%zu bytes) is for one",
			 fn->name, locals, sharedMem);
		return rt_error(-EINVAL, msg);
	}
	if (fn->nparams && !args)
		return rt_error(-EINVAL, "vgpuLaunchKernel: args is NULL");
	vgpu_ndrange nd = {.dims = block.z > 1 || grid.z > 1   ? 3
				   : block.y > 1 || grid.y > 1 ? 2
							       : 1};
	const unsigned g[3] = {grid.x, grid.y, grid.z},
		       b[3] = {block.x, block.y, block.z};
	for (unsigned d = 0; d < 3; d++) {
		nd.global[d] = dim(g[d]) * dim(b[d]);
		nd.local[d] = dim(b[d]);
	}
	vgpu_device *dev = func->module->prog->dev;
	vgpu_karg *kargs =
	    calloc(fn->nparams ? fn->nparams : 1, sizeof(*kargs));
	if (!kargs)
		return rt_error(-ENOMEM, "vgpuLaunchKernel: out of memory");
	vgpuError_t rc = vgpuSuccess;
	for (uint32_t i = 0; i < fn->nparams && rc == 0; i++)
		rc = take_arg(dev, &fn->params[i], args[i], sharedMem,
			      &kargs[i]);
	struct vgpuStream *st = rc == 0 ? rt_stream(stream) : NULL;
	if (rc == 0 && !st)
		rc = vgpuPeekAtLastError();
	if (st) {
		pthread_mutex_lock(&st->lock);
		int64_t id =
		    vgpu_launch_kernel(st->s, func->module->prog, fn->name, &nd,
				       kargs, fn->nparams);
		if (id < 0)
			rc = rt_error((int)id, vgpu_last_message(st->s));
		pthread_mutex_unlock(&st->lock);
	}
	free(kargs);
	return rc;
}
