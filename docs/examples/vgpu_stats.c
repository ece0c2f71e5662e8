/*
 * Rates from two readings of the stats file, as vgpufs-top works them out:
 * commands per second and how busy the workers were while this program
 * ran a thousand nops, and the contexts open now. The interval is timed
 * here, from before the first reading to after the second: a thousand nops
 * may take less than uptime_seconds' resolution shows.
 * Build: cc vgpu_stats.c $(pkg-config --cflags --libs vgpu)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <time.h>
#include <vgpu/vgpu.h>

static double monotonic_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Per second of DT, 0 without a measurable interval (never inf or NaN). */
static double per_second(double amount, double dt)
{
	return dt > 0 ? amount / dt : 0;
}

int main(void)
{
	vgpu_device *dev;
	vgpu_stream *s;
	vgpu_stats *a, *b;
	double t0 = monotonic_seconds();
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
	double dt = monotonic_seconds() - t0;
	unsigned workers = b->nworkers ? b->nworkers : 1;
	printf("%.0f commands/s, workers %.1f%% busy\n",
	       per_second((double)(b->commands_total - a->commands_total), dt),
	       100 * per_second(b->busy_seconds - a->busy_seconds, dt) /
		   workers);
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
