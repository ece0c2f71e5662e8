/* A view: rates from two snapshots, and the contexts summed by process. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

const char *const top_col_names[COL_COUNT] = {
    [COL_PID] = "PID",	       [COL_USER] = "USER",
    [COL_COMMAND] = "COMMAND", [COL_CTX] = "CTX",
    [COL_QUEUED] = "QUEUED",   [COL_INFLIGHT] = "INFLIGHT",
    [COL_RUNNING] = "RUNNING", [COL_GPU] = "GPU%",
    [COL_TIME] = "TIME",       [COL_MEM] = "MEM",
};

/* The rate of a counter that went from A to B in DT seconds. */
static double rate(double a, double b, double dt)
{
	return dt > 0 && b > a ? (b - a) / dt : 0;
}

static void user_name(unsigned uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
	else
		snprintf(out, len, "%u", uid);
}

/* Worker time of context C before, 0 when it is new. */
static double busy_before(const vgpu_stats *prev, const vgpu_stats_context *c)
{
	for (size_t i = 0; prev && i < prev->ncontexts; i++)
		if (prev->contexts[i].id == c->id)
			return prev->contexts[i].busy_seconds;
	return 0;
}

static int add_procs(struct top_view *v, const vgpu_stats *prev)
{
	const vgpu_stats *st = v->st;
	v->procs = calloc(st->ncontexts ? st->ncontexts : 1, sizeof(*v->procs));
	if (!v->procs)
		return -ENOMEM;
	double capacity = v->interval * (st->nworkers ? st->nworkers : 1);
	for (size_t i = 0; i < st->ncontexts; i++) {
		const vgpu_stats_context *c = &st->contexts[i];
		size_t j = 0;
		while (j < v->nprocs && v->procs[j].pid != c->pid)
			j++;
		struct top_proc *p = &v->procs[j];
		if (j == v->nprocs) {
			v->nprocs++;
			p->pid = c->pid;
			p->uid = c->uid;
			user_name(c->uid, p->user, sizeof(p->user));
			snprintf(p->comm, sizeof(p->comm), "%s", c->comm);
			strcpy(p->running, "-");
		}
		p->contexts++;
		p->queued += c->queued;
		p->inflight += c->inflight;
		p->busy_seconds += c->busy_seconds;
		double used = c->busy_seconds - busy_before(prev, c);
		if (capacity > 0 && used > 0)
			p->gpu_pct += 100 * used / capacity;
		if (c->mem_bytes > p->mem_bytes) /* each context has it all */
			p->mem_bytes = c->mem_bytes;
		if (strcmp(c->running, "-") != 0)
			snprintf(p->running, sizeof(p->running), "%s",
				 c->running);
	}
	return 0;
}

int top_view_make(struct top_view *v, const vgpu_stats *prev, vgpu_stats *cur)
{
	memset(v, 0, sizeof(*v));
	v->st = cur;
	static const vgpu_stats zero; /* the daemon's start */
	const vgpu_stats *p = prev ? prev : &zero;
	double dt = cur->uptime_seconds - p->uptime_seconds;
	v->interval = dt > 0 ? dt : 0;
	v->worker_pct =
	    calloc(cur->nworkers ? cur->nworkers : 1, sizeof(*v->worker_pct));
	if (!v->worker_pct) {
		top_view_free(v);
		return -ENOMEM;
	}
	for (unsigned w = 0; w < cur->nworkers; w++) {
		double before =
		    w < p->nworkers ? p->workers[w].busy_seconds : 0;
		double pct =
		    100 * rate(before, cur->workers[w].busy_seconds, dt);
		v->worker_pct[w] = pct > 100 ? 100 : pct;
		v->util_pct += v->worker_pct[w];
	}
	if (cur->nworkers)
		v->util_pct /= cur->nworkers;
	v->commands_per_s =
	    rate((double)p->commands_total, (double)cur->commands_total, dt);
	v->failed_per_s =
	    rate((double)p->commands_failed, (double)cur->commands_failed, dt);
	v->gflops =
	    rate((double)p->flops_total, (double)cur->flops_total, dt) / 1e9;
	v->gbytes_per_s =
	    rate((double)p->bytes_total, (double)cur->bytes_total, dt) / 1e9;
	for (size_t t = 0; t < cur->ntiers; t++) {
		v->mem_used += cur->tiers[t].used_bytes;
		v->mem_total += cur->tiers[t].total_bytes;
	}
	if (add_procs(v, prev) < 0) {
		top_view_free(v);
		return -ENOMEM;
	}
	return 0;
}

static enum top_col sort_col;
static bool sort_reverse;

static int cmp_num(double a, double b)
{
	return (a < b) - (a > b); /* larger first */
}

static int proc_cmp(const void *pa, const void *pb)
{
	const struct top_proc *a = pa, *b = pb;
	int c = 0;
	switch (sort_col) {
	case COL_PID:
		c = (a->pid > b->pid) - (a->pid < b->pid);
		break;
	case COL_USER:
		c = strcmp(a->user, b->user);
		break;
	case COL_COMMAND:
		c = strcmp(a->comm, b->comm);
		break;
	case COL_CTX:
		c = cmp_num(a->contexts, b->contexts);
		break;
	case COL_QUEUED:
		c = cmp_num(a->queued, b->queued);
		break;
	case COL_INFLIGHT:
		c = cmp_num(a->inflight, b->inflight);
		break;
	case COL_RUNNING:
		c = strcmp(a->running, b->running);
		break;
	case COL_GPU:
		c = cmp_num(a->gpu_pct, b->gpu_pct);
		break;
	case COL_TIME:
		c = cmp_num(a->busy_seconds, b->busy_seconds);
		break;
	case COL_MEM:
		c = cmp_num((double)a->mem_bytes, (double)b->mem_bytes);
		break;
	case COL_COUNT:
		break;
	}
	if (sort_reverse)
		c = -c;
	return c ? c : (a->pid > b->pid) - (a->pid < b->pid);
}

void top_view_sort(struct top_view *v, enum top_col col, bool reverse)
{
	sort_col = col;
	sort_reverse = reverse;
	if (v->nprocs)
		qsort(v->procs, v->nprocs, sizeof(*v->procs), proc_cmp);
}

void top_view_free(struct top_view *v)
{
	vgpu_stats_free(v->st);
	free(v->worker_pct);
	free(v->procs);
	memset(v, 0, sizeof(*v));
}
