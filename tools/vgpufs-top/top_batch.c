/*
 * Batch mode (-b), like top -b: per refresh a header block and a process
 * table, as plain lines for scripts (docs/top.md shows the format). Sizes
 * in bytes and times in seconds, so that they parse without units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "top.h"

static void print_view(const struct top_options *o, const struct top_view *v)
{
	const vgpu_stats *st = v->st;
	char up[32], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	top_uptime(st->uptime_seconds, up, sizeof(up));
	printf(TOP_NAME " - %s - %s up %s, vgpufsd %s\n", o->device, clock, up,
	       st->version);
	printf("Workers: %u, %.1f%% busy\n", st->nworkers, v->util_pct);
	for (unsigned w = 0; w < st->nworkers; w++)
		printf("Worker %u: %.1f%% busy, running %s\n", w,
		       v->worker_pct[w], st->workers[w].kernel);
	for (size_t t = 0; t < st->ntiers; t++) {
		const vgpu_stats_tier *tr = &st->tiers[t];
		printf("Tier %s: %llu of %llu bytes used (%.1f%%)\n", tr->name,
		       (unsigned long long)tr->used_bytes,
		       (unsigned long long)tr->total_bytes,
		       tr->total_bytes ? 100.0 * (double)tr->used_bytes /
					     (double)tr->total_bytes
				       : 0.0);
	}
	for (size_t i = 0; i < st->nprograms; i++) {
		const vgpu_stats_program *k = &st->programs[i];
		printf("User kernel %s:%s uid %u: %llu launches, %llu failed, "
		       "%.6f seconds, %llu bytes\n",
		       k->program, k->kernel, (unsigned)k->uid,
		       (unsigned long long)k->count,
		       (unsigned long long)k->failed, k->seconds,
		       (unsigned long long)k->bytes);
	}
	printf("Rates: %.1f commands/s, %.1f failed/s, %.3f GFLOP/s, %.3f "
	       "GB/s\n",
	       v->commands_per_s, v->failed_per_s, v->gflops, v->gbytes_per_s);
	printf("Totals: %llu contexts, %llu buffers, %llu commands, %llu "
	       "failed\n\n",
	       (unsigned long long)st->open_contexts,
	       (unsigned long long)st->buffers,
	       (unsigned long long)st->commands_total,
	       (unsigned long long)st->commands_failed);
	printf("%7s %-10s %4s %7s %8s %-12s %6s %10s %12s %s\n",
	       top_col_names[COL_PID], top_col_names[COL_USER],
	       top_col_names[COL_CTX], top_col_names[COL_QUEUED],
	       top_col_names[COL_INFLIGHT], top_col_names[COL_RUNNING],
	       top_col_names[COL_GPU], top_col_names[COL_TIME],
	       top_col_names[COL_MEM], top_col_names[COL_COMMAND]);
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct top_proc *p = &v->procs[i];
		printf("%7d %-10s %4u %7u %8u %-12s %6.1f %10.3f %12llu %s\n",
		       p->pid, p->user, p->contexts, p->queued, p->inflight,
		       p->running, p->gpu_pct, p->busy_seconds,
		       (unsigned long long)p->mem_bytes, p->comm);
	}
	putchar('\n');
	fflush(stdout);
}

static void sleep_seconds(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - floor(s)) * 1e9)};
	while (nanosleep(&ts, &ts) < 0)
		;
}

int top_batch(const struct top_options *o)
{
	vgpu_device *dev = NULL;
	vgpu_stats *prev = NULL;
	int status = 0;
	for (long i = 0; o->count == 0 || i < o->count; i++) {
		if (i)
			sleep_seconds(o->delay);
		vgpu_stats *cur;
		char msg[512];
		if (top_read(o->device, &dev, &cur, msg, sizeof(msg)) < 0) {
			fprintf(stderr, TOP_NAME ": %s\n", msg);
			status = 1;
			break;
		}
		if (prev && cur->uptime_seconds < prev->uptime_seconds) {
			vgpu_stats_free(prev); /* a new daemon: start afresh */
			prev = NULL;
		}
		struct top_view v;
		if (top_view_make(&v, prev, cur) < 0) {
			fprintf(stderr, TOP_NAME ": out of memory\n");
			status = 1;
			break;
		}
		top_view_sort(&v, o->sort, o->reverse);
		print_view(o, &v);
		vgpu_stats_free(prev);
		prev = v.st;
		v.st = NULL;
		top_view_free(&v);
	}
	vgpu_stats_free(prev);
	vgpu_close(dev);
	return status;
}
