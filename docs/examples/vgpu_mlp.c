/*
 * A two-layer perceptron trained on the device with libvgpu: forward pass,
 * backward pass and SGD update are all device kernels (gemm, add with a
 * broadcast bias, tanh, sub, mul, neg, sum, dot, axpy); the host only
 * writes the data and the initial weights into mapped buffers and reads
 * the loss. The task is a synthetic regression, t = sin(2 x0) + x1*x2.
 *
 * usage: vgpu_mlp [DEVICE] [STEPS]   (default $VGPU_DEVICE or /dev/vgpu0,
 * 300). Prints the loss every 50 steps; exits 1 unless it fell to a fifth.
 * Build: cc vgpu_mlp.c $(pkg-config --cflags --libs vgpu) -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <vgpu/vgpu.h>

enum { N = 256, D = 8, HID = 32 }; /* samples, inputs, hidden units */

struct tensor {
	vgpu_buffer *buf;
	float *p;
};

static vgpu_device *dev;
static vgpu_buffer *made[32]; /* to close at the end */
static int nmade;

static void check(int64_t rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "mlp: %s: %s\n", what, vgpu_last_message(dev));
		exit(1);
	}
}

/* An anonymous device buffer of COUNT floats (zeroed), mapped. */
static struct tensor tensor(size_t count)
{
	struct tensor t;
	check(vgpu_buffer_create(dev, NULL, count * 4, 0600, &t.buf),
	      "create a buffer");
	check(vgpu_buffer_map(t.buf, (void **)&t.p), "map a buffer");
	made[nmade++] = t.buf;
	return t;
}

static float uniform(unsigned *seed, float scale)
{
	*seed = *seed * 1103515245u + 12345u;
	return scale * ((float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f);
}

#define B(name, t) VGPU_BUF(name, (t).buf, 0)
#define I(name, v) VGPU_I64(name, v)

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	int steps = argc > 2 ? atoi(argv[2]) : 300;
	check(vgpu_open(path, &dev), "open the device");
	vgpu_stream *s;
	check(vgpu_stream_create(dev, &s), "create a stream");

	struct tensor x = tensor(N * D), t = tensor(N), w1 = tensor(D * HID),
		      b1 = tensor(HID), w2 = tensor(HID), b2 = tensor(1),
		      z = tensor(N * HID), h = tensor(N * HID),
		      g = tensor(N * HID), y = tensor(N), dy = tensor(N),
		      dh = tensor(N * HID), dw1 = tensor(D * HID),
		      db1 = tensor(HID), dw2 = tensor(HID), db2 = tensor(1),
		      loss = tensor(1);
	unsigned seed = 42;
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < D; j++)
			x.p[i * D + j] = uniform(&seed, 1.0f);
		t.p[i] = sinf(2 * x.p[i * D]) + x.p[i * D + 1] * x.p[i * D + 2];
	}
	for (int i = 0; i < D * HID; i++)
		w1.p[i] = uniform(&seed, 0.5f);
	for (int i = 0; i < HID; i++)
		w2.p[i] = uniform(&seed, 0.5f);
	/* biases start at 0: new buffers are zeroed */

	const double lr = 0.05, scale = -2.0 * lr / N; /* d(mean sq)/dy */
	double first = -1, last = -1;
	for (int step = 0; step <= steps; step++) {
		/* forward: h = tanh(x w1 + b1), y = h w2 + b2 */
		VGPU_LAUNCH(s, "gemm", B("a", x), B("b", w1), B("c", z),
			    I("m", N), I("n", HID), I("k", D));
		VGPU_LAUNCH(s, "add", B("a", z), B("b", b1), B("out", z),
			    I("n", N * HID), I("rows", N));
		VGPU_LAUNCH(s, "tanh", B("x", z), B("out", h), I("n", N * HID));
		VGPU_LAUNCH(s, "gemm", B("a", h), B("b", w2), B("c", y),
			    I("m", N), I("n", 1), I("k", HID));
		VGPU_LAUNCH(s, "add", B("a", y), B("b", b2), B("out", y),
			    I("n", N), I("rows", N));
		/* loss = sum (y - t)^2 (the mean is taken on the host) */
		VGPU_LAUNCH(s, "sub", B("a", y), B("b", t), B("out", dy),
			    I("n", N));
		VGPU_LAUNCH(s, "dot", B("x", dy), B("y", dy), B("out", loss),
			    I("n", N));
		/* backward: dw2 = h^T dy, db2 = sum dy, dh = dy w2^T */
		VGPU_LAUNCH(s, "gemm", B("a", h), B("b", dy), B("c", dw2),
			    I("m", HID), I("n", 1), I("k", N),
			    VGPU_BOOL("transa", 1));
		VGPU_LAUNCH(s, "sum", B("x", dy), B("out", db2), I("rows", N),
			    I("cols", 1), I("axis", 0));
		VGPU_LAUNCH(s, "gemm", B("a", dy), B("b", w2), B("c", dh),
			    I("m", N), I("n", HID), I("k", 1),
			    VGPU_BOOL("transb", 1));
		/* through tanh: dz = dh * (1 - h^2), in dh */
		VGPU_LAUNCH(s, "mul", B("a", h), B("b", h), B("out", g),
			    I("n", N * HID));
		VGPU_LAUNCH(s, "sub", B("a", g), VGPU_F64("bscalar", 1),
			    B("out", g), I("n", N * HID));
		VGPU_LAUNCH(s, "neg", B("x", g), B("out", g), I("n", N * HID));
		VGPU_LAUNCH(s, "mul", B("a", dh), B("b", g), B("out", dh),
			    I("n", N * HID));
		/* dw1 = x^T dz, db1 = column sums of dz */
		VGPU_LAUNCH(s, "gemm", B("a", x), B("b", dh), B("c", dw1),
			    I("m", D), I("n", HID), I("k", N),
			    VGPU_BOOL("transa", 1));
		VGPU_LAUNCH(s, "sum", B("x", dh), B("out", db1), I("rows", N),
			    I("cols", HID), I("axis", 0));
		/* SGD */
		VGPU_LAUNCH(s, "axpy", B("x", dw1), B("y", w1),
			    VGPU_F64("alpha", scale), I("n", D * HID));
		VGPU_LAUNCH(s, "axpy", B("x", db1), B("y", b1),
			    VGPU_F64("alpha", scale), I("n", HID));
		VGPU_LAUNCH(s, "axpy", B("x", dw2), B("y", w2),
			    VGPU_F64("alpha", scale), I("n", HID));
		VGPU_LAUNCH(s, "axpy", B("x", db2), B("y", b2),
			    VGPU_F64("alpha", scale), I("n", 1));
		if (step % 50 == 0 || step == steps) {
			if (vgpu_wait_all(s) < 0) {
				fprintf(stderr, "mlp: step %d: %s\n", step,
					vgpu_last_message(s));
				return 1;
			}
			last = loss.p[0] / N;
			if (first < 0)
				first = last;
			printf("step %4d  loss %.5f\n", step, last);
		}
	}
	check(vgpu_wait_all(s), "training");
	vgpu_stream_destroy(s);
	for (int i = 0; i < nmade; i++)
		vgpu_buffer_close(made[i]); /* anonymous: removed */
	vgpu_close(dev);
	if (!(last < first / 5)) {
		fprintf(stderr, "mlp: the loss did not fall enough\n");
		return 1;
	}
	printf("loss fell from %.4f to %.4f\n", first, last);
	return 0;
}
