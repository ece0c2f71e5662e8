/*
 * y = 2*x + y on the device with libvgpu: two buffers mapped into this
 * process, one stream, one launch, one wait -- and what a mistake looks
 * like. Build: cc vgpu_axpy.c $(pkg-config --cflags --libs vgpu)
 */
#include <stdio.h>
#include <vgpu/vgpu.h>

int main(void)
{
	enum { N = 1 << 20 };
	vgpu_device *dev;
	if (vgpu_open(NULL, &dev) < 0) { /* $VGPU_DEVICE or /dev/vgpu0 */
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	/* Anonymous buffers: removed when closed. */
	vgpu_buffer *x, *y;
	float *px, *py;
	if (vgpu_buffer_create(dev, NULL, N * sizeof(float), 0600, &x) < 0 ||
	    vgpu_buffer_create(dev, NULL, N * sizeof(float), 0600, &y) < 0 ||
	    vgpu_buffer_map(x, (void **)&px) < 0 ||
	    vgpu_buffer_map(y, (void **)&py) < 0) {
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	for (int i = 0; i < N; i++) {
		px[i] = (float)i; /* straight into the device's memory */
		py[i] = 1.0f;
	}

	vgpu_stream *s;
	if (vgpu_stream_create(dev, &s) < 0)
		return 1;
	int64_t cmd =
	    VGPU_LAUNCH(s, "axpy", VGPU_BUF("x", x, 0), VGPU_BUF("y", y, 0),
			VGPU_F64("alpha", 2), VGPU_I64("n", N));
	int rc = vgpu_wait(s, cmd);
	printf("axpy: %s, y[%d] = %g\n", rc == 0 ? "ok" : vgpu_errname(rc),
	       N - 1, py[N - 1]);
	int right = py[N - 1] == 2.0f * (N - 1) + 1;

	/* One element too many: the daemon refuses it, and says why. */
	cmd = VGPU_LAUNCH(s, "axpy", VGPU_BUF("x", x, 0), VGPU_BUF("y", y, 0),
			  VGPU_I64("n", N + 1));
	rc = vgpu_wait(s, cmd);
	printf("axpy n=N+1: %s: %s\n", vgpu_errname(rc), vgpu_last_message(s));

	vgpu_stream_destroy(s);
	vgpu_buffer_close(x);
	vgpu_buffer_close(y);
	vgpu_close(dev);
	return right ? 0 : 1;
}
