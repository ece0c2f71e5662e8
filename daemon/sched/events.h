/*
 * Named events for the signal and wait commands: timelines (a value that
 * only grows) private to a user, that let one context wait for another.
 * The scheduler owns them: every call here is made with its lock held.
 *
 * A context becomes a signaller of an event when it writes a signal for
 * it, and stays one until it is gone (closed, commands done). A wait that
 * its event can no longer satisfy (no signaller left, value too low) is
 * cancelled; so is one whose own context was closed while the event had
 * no signaller. A user's events are forgotten with the user's last
 * context, and a user may hold at most EVENTS_PER_USER of them.
 */
#ifndef VGPUFSD_EVENTS_H
#define VGPUFSD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#define EVENTS_PER_USER 4096

struct context;
struct job;

/* Per-user bookkeeping; ctx->uid must be set. */
int events_context_opened(struct context *ctx);

/*
 * Binds JOB (a signal or wait) to its event, made if new; a signal makes
 * its context a signaller. Returns 0, or -ENOSPC/-ENOMEM with job->msg set.
 */
int events_bind(struct job *job);

/*
 * Runs the signal JOB: raises its event; waits it satisfies are moved to
 * *RELEASED (linked through job->next, err 0).
 */
void events_signal(struct job *job, struct job **released);

/*
 * Starts the wait JOB, the active job of its context: returns true when
 * its event is already high enough (done), else parks it and returns
 * false. DEADLINE_NS is 0 or when it times out (CLOCK_MONOTONIC).
 */
bool events_wait(struct job *job, uint64_t deadline_ns);

/* Parked waits whose deadline is past NOW, moved to *RELEASED with
 * ETIMEDOUT; returns the next deadline, or UINT64_MAX for none. */
uint64_t events_expire(uint64_t now, struct job **released);

/* The context of the parked wait JOB was closed: cancels the wait when no
 * context signals its event (moved to *RELEASED). */
void events_context_closed(struct context *ctx, struct job **released);

/*
 * CTX is gone: it signals nothing any more, waits left unsatisfiable are
 * cancelled (moved to *RELEASED), and the user's events go with the user's
 * last context.
 */
void events_context_gone(struct context *ctx, struct job **released);

/* Every parked wait, moved to *RELEASED with ECANCELED (shutdown). */
void events_cancel_all(struct job **released);

#endif
