#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/kernel_sig.h>

#include "prog/program_sig.h"

unsigned program_param_lanes(const struct vcl_ir_function *fn, uint32_t i,
			     size_t *len)
{
	const char *name = fn->params[i].name;
	*len = strlen(name);
	if (*len < 4 || strcmp(name + *len - 3, ".s0") != 0)
		return 0;
	size_t base = *len - 3;
	unsigned n = 1;
	while (i + n < fn->nparams && n < 16) {
		const struct vcl_ir_param *q = &fn->params[i + n];
		char lane[4];
		snprintf(lane, sizeof(lane), ".s%X", n);
		if (q->type != fn->params[i].type || strlen(q->name) < base ||
		    strncmp(q->name, name, base) != 0 ||
		    strcmp(q->name + base, lane) != 0)
			break;
		n++;
	}
	if (n < 2)
		return 0; /* a lone "x.s0": not a vector */
	*len = base;
	return n;
}

static enum vgpu_sig_type scalar_type(vcl_ir_type t)
{
	switch (VCL_IR_KIND(t)) {
	case VCL_IR_I1:
		return VGPU_SIG_BOOL;
	case VCL_IR_I8:
		return VGPU_SIG_I8;
	case VCL_IR_I16:
		return VGPU_SIG_I16;
	case VCL_IR_I32:
		return VGPU_SIG_I32;
	case VCL_IR_I64:
		return VGPU_SIG_I64;
	case VCL_IR_F32:
		return VGPU_SIG_F32;
	case VCL_IR_F64:
		return VGPU_SIG_F64;
	default:
		return VGPU_SIG_NONE;
	}
}

/* IR parameter I of FN (LANES of them, the name LEN bytes) into *P:
 * false if a launch could not give it. */
static bool sig_param(const struct vcl_ir_function *fn, uint32_t i,
		      unsigned lanes, size_t len, struct vgpu_sig_param *p)
{
	const struct vcl_ir_param *ip = &fn->params[i];
	if (!ip->name || !vgpu_param_name_valid(ip->name, len))
		return false;
	*p = (struct vgpu_sig_param){.lanes = lanes ? lanes : 1};
	memcpy(p->name, ip->name, len);
	if (VCL_IR_KIND(ip->type) != VCL_IR_PTR) {
		p->kind = VGPU_SIG_SCALAR;
		p->type = scalar_type(ip->type);
		p->space = VGPU_SIG_PRIVATE;
		p->read_only = true;
		/* vectors come split into lanes: one left is a type a launch
		 * cannot give */
		return p->type != VGPU_SIG_NONE && VCL_IR_LANES(ip->type) == 0;
	}
	switch (VCL_IR_SPACE(ip->type)) {
	case VCL_AS_GLOBAL:
		p->kind = VGPU_SIG_BUFFER;
		p->space = VGPU_SIG_GLOBAL;
		p->read_only = !ip->may_store;
		return true;
	case VCL_AS_CONSTANT:
		p->kind = VGPU_SIG_BUFFER;
		p->space = VGPU_SIG_CONSTANT;
		p->read_only = true;
		return true;
	case VCL_AS_LOCAL:
		p->kind = VGPU_SIG_LOCAL;
		p->space = VGPU_SIG_LOCAL_SPACE;
		p->read_only = !ip->may_store;
		return true;
	default:
		return false; /* a private pointer: no launch gives one */
	}
}

/* Kernel FN into *K: false if a launch could not name it. */
static bool sig_kernel(const struct vcl_ir_function *fn,
		       struct vgpu_sig_kernel *k)
{
	memset(k, 0, sizeof(*k));
	size_t nlen = fn->name ? strlen(fn->name) : 0;
	if (!vgpu_param_name_valid(fn->name, nlen))
		return false;
	memcpy(k->name, fn->name, nlen);
	const uint32_t *r = fn->reqd_work_group_size;
	if ((r[0] || r[1] || r[2]) && !(r[0] && r[1] && r[2]))
		return false; /* a size of 0: no launch can meet it */
	memcpy(k->reqd_work_group_size, r, sizeof(k->reqd_work_group_size));
	for (uint32_t i = 0; i < fn->nparams; i++) {
		size_t len;
		unsigned lanes = program_param_lanes(fn, i, &len);
		if (k->nparams == VGPU_PARAMS_MAX ||
		    !sig_param(fn, i, lanes, len, &k->params[k->nparams]))
			return false;
		k->nparams++;
		i += lanes ? lanes - 1 : 0;
	}
	return true;
}

int program_signatures(const struct vcl_ir_module *m, char **text, size_t *len)
{
	struct vgpu_sig_kernel *k = malloc(sizeof(*k));
	size_t used = 0, cap = 256;
	char *out = malloc(cap);
	for (uint32_t f = 0; k && out && f < m->nfuncs; f++) {
		if (!m->funcs[f].is_kernel || !sig_kernel(&m->funcs[f], k))
			continue;
		size_t n = vgpu_sig_format(k, out + used, cap - used);
		if (n >= cap - used) {
			cap = (used + n + 1) * 2;
			char *grown = realloc(out, cap);
			if (!grown) {
				free(out);
				out = NULL;
				break;
			}
			out = grown;
			n = vgpu_sig_format(k, out + used, cap - used);
		}
		used += n;
	}
	free(k);
	if (!out)
		return -ENOMEM;
	out[used] = '\0';
	*text = out;
	*len = used;
	return 0;
}
