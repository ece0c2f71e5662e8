/*
 * Modules and vgpuLaunchKernel: a program stored in an anonymous buffer
 * and built by the daemon, which publishes its kernels' signatures on the
 * buffer (user.vgpu.kernels, vgpufs/kernel_sig.h). CUDA's convention
 * passes values by position, so a launch reads each parameter's kind,
 * type and lanes there and turns ARGS into libvgpu's named, typed
 * parameters (vgpu_launch_kernel), which the daemon binds. The library
 * compiles nothing: the daemon does, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vgpufs/kernel_sig.h>

#include "runtime.h"

struct vgpuFunction {
	struct vgpuModule *module;
	struct vgpuFunction *next;
	struct vgpu_sig_kernel sig;
};

struct vgpuModule {
	vgpu_buffer *prog;
	char *sigs; /* user.vgpu.kernels as read after the build */
	size_t sigs_len;
	struct vgpuFunction *funcs; /* those asked for */
};

/*
 * The daemon's build message MSG with the buffer's name BUF replaced by
 * the module's NAME wherever it names the program ("BUF:LINE:COL: ..."),
 * as the user knows it, into OUT.
 */
static void rename_program(const char *msg, const char *buf, const char *name,
			   char *out, size_t cap)
{
	size_t blen = strlen(buf), used = 0;
	out[0] = '\0';
	for (const char *p = msg; *p && used + 1 < cap;) {
		const char *hit = strstr(p, buf);
		if (!hit || hit[blen] != ':') {
			size_t n = hit ? (size_t)(hit - p) + 1 : strlen(p);
			used += (size_t)snprintf(out + used, cap - used, "%.*s",
						 (int)n, p);
			p += n;
			continue;
		}
		used += (size_t)snprintf(out + used, cap - used, "%.*s%s",
					 (int)(hit - p), p, name);
		p = hit + blen;
	}
}

/* The program's published signatures into M, read as the file's data. */
static vgpuError_t read_signatures(struct vgpuModule *m)
{
	int fd = m->prog->fd;
	for (int tries = 0; tries < 3; tries++) {
		ssize_t n = fgetxattr(fd, VGPU_XATTR_KERNELS, NULL, 0);
		char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
		if (n >= 0 && !text)
			return rt_error(-ENOMEM, "out of memory for the "
						 "module's signatures");
		ssize_t got =
		    text ? fgetxattr(fd, VGPU_XATTR_KERNELS, text, (size_t)n)
			 : -1;
		if (got >= 0) {
			text[got] = '\0';
			m->sigs = text;
			m->sigs_len = (size_t)got;
			return vgpuSuccess;
		}
		int err = errno;
		free(text);
		if (n >= 0 && err == ERANGE)
			continue; /* built again, longer, in between */
		char msg[VGPU_MESSAGE_MAX];
		snprintf(msg, sizeof(msg),
			 "mem/%s: reading the kernels' signatures (%s): %s",
			 vgpu_buffer_name(m->prog), VGPU_XATTR_KERNELS,
			 strerror(err));
		return rt_error(-err, msg);
	}
	return rt_error(-EAGAIN, "the module's signatures kept changing");
}

static vgpuError_t module_load(vgpuModule_t *out, const char *bytes, size_t len,
			       const char *name)
{
	*out = NULL;
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	struct vgpuModule *m = calloc(1, sizeof(*m));
	if (!m)
		return rt_error(-ENOMEM, "out of memory for the module");
	char msg[VGPU_MESSAGE_MAX], named[VGPU_MESSAGE_MAX];
	vgpuError_t rc = vgpuSuccess;
	int err = vgpu_program_load(dev, NULL, bytes, len, &m->prog);
	if (err < 0)
		rc = rt_error(err, vgpu_last_message(dev));
	else if ((err = vgpu_program_build(m->prog, msg, sizeof(msg))) < 0) {
		rename_program(msg, vgpu_buffer_name(m->prog), name, named,
			       sizeof(named));
		rc = rt_error(err, named);
	} else {
		rc = read_signatures(m);
	}
	if (rc < 0) {
		vgpuModuleUnload(m);
		return rc;
	}
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
	if (!func || !module || !name)
		return rt_error(-EINVAL,
				"vgpuModuleGetFunction: a NULL pointer");
	*func = NULL;
	for (struct vgpuFunction *f = module->funcs; f; f = f->next)
		if (strcmp(f->sig.name, name) == 0) {
			*func = f;
			return vgpuSuccess;
		}
	struct vgpuFunction *f = calloc(1, sizeof(*f));
	if (!f)
		return rt_error(-ENOMEM, "out of memory for the function");
	char msg[VGPU_MESSAGE_MAX];
	int rc = vgpu_sig_find(module->sigs, module->sigs_len, name, &f->sig,
			       msg, sizeof(msg));
	if (rc < 0) {
		free(f);
		if (rc == -ENOENT)
			snprintf(msg, sizeof(msg),
				 "the module has no kernel '%s'", name);
		return rt_error(rc, msg);
	}
	f->module = module;
	f->next = module->funcs;
	module->funcs = f;
	*func = f;
	return vgpuSuccess;
}

vgpuError_t vgpuModuleUnload(vgpuModule_t module)
{
	if (!module)
		return vgpuSuccess;
	vgpu_buffer_close(module->prog);
	for (struct vgpuFunction *f = module->funcs, *next; f; f = next) {
		next = f->next;
		free(f);
	}
	free(module->sigs);
	free(module);
	return vgpuSuccess;
}

/* One lane of TYPE at X into A's lane L. */
static void take_lane(enum vgpu_sig_type type, const char *x, vgpu_karg *a,
		      unsigned l)
{
	float f;
	int8_t i8;
	int16_t i16;
	int32_t i32;
	switch (type) {
	case VGPU_SIG_F32:
		memcpy(&f, x, 4);
		a->v.f[l] = f;
		break;
	case VGPU_SIG_F64:
		memcpy(&a->v.f[l], x, 8);
		break;
	case VGPU_SIG_I64:
		memcpy(&a->v.i[l], x, 8);
		break;
	case VGPU_SIG_I32:
		memcpy(&i32, x, 4);
		a->v.i[l] = i32;
		break;
	case VGPU_SIG_I16:
		memcpy(&i16, x, 2);
		a->v.i[l] = i16;
		break;
	default: /* bool, 8 bits */
		memcpy(&i8, x, 1);
		a->v.i[l] = i8;
	}
}

/*
 * Parameter P's value at V as a named, typed parameter in *A: a vector's
 * lanes one after another, as CUDA passes a float4 (a float3: 3 floats).
 */
static vgpuError_t take_arg(vgpu_device *dev, const struct vgpu_sig_param *p,
			    const void *v, size_t shared, vgpu_karg *a)
{
	char msg[VGPU_MESSAGE_MAX];
	*a = (vgpu_karg){.name = p->name, .lanes = 1};
	if (p->kind == VGPU_SIG_LOCAL) {
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
	if (p->kind == VGPU_SIG_BUFFER) {
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
	size_t lane = vgpu_sig_type_size(p->type);
	a->lanes = p->lanes;
	a->kind = p->type == VGPU_SIG_F32 || p->type == VGPU_SIG_F64
		      ? VGPU_KARG_FLOAT
		      : VGPU_KARG_INT;
	for (unsigned l = 0; l < p->lanes; l++)
		take_lane(p->type, (const char *)v + l * lane, a, l);
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
	const struct vgpu_sig_kernel *fn = &func->sig;
	unsigned locals = 0;
	for (uint32_t i = 0; i < fn->nparams; i++)
		locals += fn->params[i].kind == VGPU_SIG_LOCAL;
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
