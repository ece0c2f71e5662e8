/*
 * Two streams in one event loop: each stream's fd goes into epoll, and
 * completions are taken as they come, without blocking on either.
 * Build: cc vgpu_epoll.c $(pkg-config --cflags --libs vgpu)
 */
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <vgpu/vgpu.h>

int main(void)
{
	enum { STREAMS = 2, COMMANDS = 1000 };
	vgpu_device *dev;
	if (vgpu_open(NULL, &dev) < 0) {
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	int ep = epoll_create1(0);
	vgpu_stream *s[STREAMS];
	for (int i = 0; i < STREAMS; i++) {
		if (vgpu_stream_create(dev, &s[i]) < 0)
			return 1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(ep, EPOLL_CTL_ADD, vgpu_stream_fd(s[i]), &ev);
		for (int c = 0; c < COMMANDS; c++)
			VGPU_LAUNCH(s[i], "nop");
		vgpu_flush(s[i]); /* launches are batched until then */
	}
	int pending = STREAMS;
	while (pending > 0) {
		struct epoll_event ev[STREAMS];
		int n = epoll_wait(ep, ev, STREAMS, 5000);
		if (n <= 0)
			return 1;
		for (int e = 0; e < n; e++) {
			vgpu_stream *st = s[ev[e].data.u32];
			vgpu_stream_process(st); /* reads what is ready */
			if (vgpu_completed(st) == COMMANDS) {
				printf("stream %u: %d commands done\n",
				       ev[e].data.u32, COMMANDS);
				epoll_ctl(ep, EPOLL_CTL_DEL, vgpu_stream_fd(st),
					  NULL);
				pending--;
			}
		}
	}
	close(ep);
	for (int i = 0; i < STREAMS; i++)
		vgpu_stream_destroy(s[i]);
	vgpu_close(dev);
	return 0;
}
