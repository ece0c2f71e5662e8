/*
 * Rates from two readings of the stats file, as vgpufs-top works them out:
 * commands per second and how busy the workers were while this program
 * ran a thousand nops, and the contexts open now.
 * Build: cc vgpu_stats.c $(pkg-config --cflags --libs vgpu)
 */
#include <stdio.h>
#include <vgpu/vgpu.h>

int main(void)
{
	vgpu_device *dev;
	vgpu_stream *s;
	vgpu_stats *a, *b;
	if (vgpu_open(NULL, &dev) < 0 || vgpu_stream_create(dev, &s) < 0 ||
	    vgpu_stats_read(dev, &a) < 0) {
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	for (int i = 0; i < 1000; i++) /* some work to watch */
		VGPU_LAUNCH(s, "nop");
	if (vgpu_wait_all(s) < 0 || vgpu_stats_read(dev, &b) < 0) {
		fprintf(stderr, "%s\n", vgpu_last_message(dev));
		return 1;
	}
	double dt = b->uptime_seconds - a->uptime_seconds;
	printf("%.0f commands/s, workers %.1f%% busy\n",
	       (double)(b->commands_total - a->commands_total) / dt,
	       100 * (b->busy_seconds - a->busy_seconds) / dt / b->nworkers);
	for (size_t i = 0; i < b->ncontexts; i++) {
		const vgpu_stats_context *c = &b->contexts[i];
		printf("context %llu: pid %d (%s), %llu commands completed\n",
		       (unsigned long long)c->id, (int)c->pid, c->comm,
		       (unsigned long long)c->completed);
	}
	vgpu_stats_free(a);
	vgpu_stats_free(b);
	vgpu_stream_destroy(s);
	vgpu_close(dev);
	return 0;
}
