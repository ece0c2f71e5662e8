/*
 * Your own kernel with libvgpu: an OpenCL C saxpy loaded as a program,
 * built (a compile error would come back as the compiler's message),
 * launched over an NDRange with typed parameters by name, and checked.
 * Build: cc vgpu_saxpy_cl.c $(pkg-config --cflags --libs vgpu)
 */
#include <stdio.h>
#include <vgpu/vgpu.h>

static const char source[] =
    "__kernel void saxpy(float a, __global const float *x,\n"
    "                    __global float *y)\n"
    "{\n"
    "    size_t i = get_global_id(0);\n"
    "    y[i] = a * x[i] + y[i];\n"
    "}\n";

int main(void)
{
	enum { N = 1 << 20 };
	vgpu_device *dev;
	vgpu_buffer *prog, *bx, *by;
	vgpu_stream *s;
	float *x, *y;
	char msg[256];
	if (vgpu_open(NULL, &dev) < 0) {
		fprintf(stderr, "%s\n", vgpu_last_message((vgpu_device *)NULL));
		return 1;
	}
	if (vgpu_program_load(dev, NULL, source, sizeof(source) - 1, &prog) ||
	    vgpu_program_build(prog, msg, sizeof(msg)) ||
	    vgpu_buffer_create(dev, NULL, N * 4, 0600, &bx) ||
	    vgpu_buffer_create(dev, NULL, N * 4, 0600, &by) ||
	    vgpu_buffer_map(bx, (void **)&x) ||
	    vgpu_buffer_map(by, (void **)&y) || vgpu_stream_create(dev, &s)) {
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	for (int i = 0; i < N; i++) {
		x[i] = (float)i;
		y[i] = 1.0f;
	}
	vgpu_ndrange nd = {.dims = 1, .global = {N}};
	vgpu_karg args[] = {VGPU_KFLOAT("a", 2.0), VGPU_KBUF("x", bx, 0),
			    VGPU_KBUF("y", by, 0)};
	int64_t cmd = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, 3);
	if (cmd < 0 || vgpu_wait(s, cmd) < 0) {
		fprintf(stderr, "saxpy: %s\n", vgpu_last_message(s));
		return 1;
	}
	int bad = 0;
	for (int i = 0; i < N; i++)
		bad += y[i] != 2.0f * (float)i + 1.0f;
	printf("saxpy: %s, y[%d] = %g\n", bad ? "WRONG" : "ok", N - 1,
	       y[N - 1]);

	/* a parameter of the wrong kind: the daemon's message */
	args[1] = VGPU_KFLOAT("x", 1.0);
	cmd = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, 3);
	if (vgpu_wait(s, cmd) < 0)
		printf("x as a float: %s\n", vgpu_last_message(s));
	vgpu_stream_destroy(s);
	vgpu_buffer_close(bx);
	vgpu_buffer_close(by);
	vgpu_buffer_close(prog);
	vgpu_close(dev);
	return bad != 0;
}
