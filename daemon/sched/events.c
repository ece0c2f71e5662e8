#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "sched/context.h"
#include "sched/events.h"
#include "sched/job.h"

struct event {
	struct event *next; /* in its user's list */
	char name[VGPU_NAME_MAX + 1];
	uint64_t value;
	unsigned signallers;
	struct job *waiters; /* parked waits, through job->next */
};

/* A user with contexts open, and that user's events. */
struct user {
	struct user *next;
	uid_t uid;
	unsigned contexts, nevents;
	struct event *events;
};

/* What a context signals: each event once. */
struct signaller {
	struct signaller *next;
	struct event *ev;
};

static struct user *users;

static struct user *user_find(uid_t uid)
{
	for (struct user *u = users; u; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

int events_context_opened(struct context *ctx)
{
	struct user *u = user_find(ctx->uid);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->uid = ctx->uid;
		u->next = users;
		users = u;
	}
	u->contexts++;
	return 0;
}

static struct event *event_find(struct user *u, const char *name)
{
	for (struct event *e = u->events; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static int bind_fail(struct job *job, int err, const char *why)
{
	snprintf(job->msg, sizeof(job->msg), "%s: event '%s': %s",
		 job->cmd.spec->name, job->cmd.name, why);
	job->err = err;
	return err;
}

int events_bind(struct job *job)
{
	struct context *ctx = job->ctx;
	struct user *u = user_find(ctx->uid);
	if (!u) /* every open context is counted */
		return bind_fail(job, -EIO, "no such user (a daemon bug)");
	struct event *ev = event_find(u, job->cmd.name);
	if (!ev) {
		if (u->nevents >= EVENTS_PER_USER)
			return bind_fail(job, -ENOSPC,
					 "too many events for your user "
					 "(4096); reuse names with value=");
		ev = calloc(1, sizeof(*ev));
		if (!ev)
			return bind_fail(job, -ENOMEM, "out of memory");
		strcpy(ev->name, job->cmd.name);
		ev->next = u->events;
		u->events = ev;
		u->nevents++;
	}
	job->event = ev;
	if (job->cmd.spec->id != VGPU_K_SIGNAL)
		return 0;
	for (struct signaller *s = ctx->sched.signals; s; s = s->next)
		if (s->ev == ev)
			return 0;
	struct signaller *s = malloc(sizeof(*s));
	if (!s)
		return bind_fail(job, -ENOMEM, "out of memory");
	s->ev = ev;
	s->next = ctx->sched.signals;
	ctx->sched.signals = s;
	ev->signallers++;
	return 0;
}

static uint64_t wait_target(const struct job *job)
{
	return (uint64_t)vgpu_cmd_i(&job->cmd, WAIT_VALUE);
}

/* Moves the parked waits of EV for which KEEP(w, ARG) is false to *RELEASED. */
static void release_where(struct event *ev,
			  bool (*keep)(const struct job *, const void *),
			  const void *arg, struct job **released)
{
	for (struct job **pp = &ev->waiters; *pp;) {
		struct job *w = *pp;
		if (keep && keep(w, arg)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = *released;
		*released = w;
	}
}

static bool unsatisfied(const struct job *w, const void *arg)
{
	(void)arg;
	const struct event *ev = w->event;
	return ev->value < wait_target(w);
}

void events_signal(struct job *job, struct job **released)
{
	struct event *ev = job->event;
	uint64_t v = (uint64_t)vgpu_cmd_i(&job->cmd, SIGNAL_VALUE);
	if (v > ev->value)
		ev->value = v;
	release_where(ev, unsatisfied, NULL, released);
}

bool events_wait(struct job *job, uint64_t deadline_ns)
{
	struct event *ev = job->event;
	if (ev->value >= wait_target(job))
		return true;
	job->deadline_ns = deadline_ns;
	job->next = ev->waiters;
	ev->waiters = job;
	return false;
}

static void fail_wait(struct job *w, int err, const char *why)
{
	const struct event *ev = w->event;
	snprintf(w->msg, sizeof(w->msg),
		 "wait: event '%s' is at %llu, below %llu, %s", ev->name,
		 (unsigned long long)ev->value,
		 (unsigned long long)wait_target(w), why);
	w->err = err;
}

/* Fails the waits moved to the list at *FROM... (up to STOP) with ERR. */
static void fail_moved(struct job *from, struct job *stop, int err,
		       const char *why)
{
	for (struct job *w = from; w != stop; w = w->next)
		fail_wait(w, err, why);
}

static bool not_expired(const struct job *w, const void *now)
{
	return !w->deadline_ns || w->deadline_ns > *(const uint64_t *)now;
}

uint64_t events_expire(uint64_t now, struct job **released)
{
	uint64_t next = UINT64_MAX;
	for (struct user *u = users; u; u = u->next)
		for (struct event *ev = u->events; ev; ev = ev->next) {
			struct job *before = *released;
			release_where(ev, not_expired, &now, released);
			fail_moved(*released, before, -ETIMEDOUT,
				   "after timeout_ms");
			for (struct job *w = ev->waiters; w; w = w->next)
				if (w->deadline_ns && w->deadline_ns < next)
					next = w->deadline_ns;
		}
	return next;
}

static bool not_of_context(const struct job *w, const void *ctx)
{
	return w->ctx != ctx;
}

void events_context_closed(struct context *ctx, struct job **released)
{
	struct job *w = ctx->sched.active;
	if (!w || w->cmd.spec->id != VGPU_K_WAIT || !w->event ||
	    w->event->signallers)
		return;
	struct job *before = *released;
	release_where(w->event, not_of_context, ctx, released);
	fail_moved(*released, before, -ECANCELED,
		   "and its context was closed with no context signalling it");
}

static void free_user_events(struct user *u)
{
	while (u->events) {
		struct event *ev = u->events;
		u->events = ev->next;
		free(ev);
	}
	u->nevents = 0;
}

void events_context_gone(struct context *ctx, struct job **released)
{
	while (ctx->sched.signals) {
		struct signaller *s = ctx->sched.signals;
		ctx->sched.signals = s->next;
		if (--s->ev->signallers == 0) {
			struct job *before = *released;
			release_where(s->ev, NULL, NULL, released);
			fail_moved(*released, before, -ECANCELED,
				   "and its last signalling context has "
				   "closed");
		}
		free(s);
	}
	struct user **pp = &users;
	while (*pp && (*pp)->uid != ctx->uid)
		pp = &(*pp)->next;
	struct user *u = *pp;
	if (!u || --u->contexts)
		return;
	/* No context of the user is left, so no wait either. */
	free_user_events(u);
	*pp = u->next;
	free(u);
}

void events_cancel_all(struct job **released)
{
	for (struct user *u = users; u; u = u->next)
		for (struct event *ev = u->events; ev; ev = ev->next) {
			struct job *before = *released;
			release_where(ev, NULL, NULL, released);
			fail_moved(*released, before, -ECANCELED,
				   "and the device is shutting down");
		}
}
