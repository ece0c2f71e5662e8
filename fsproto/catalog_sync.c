/*
 * signal and wait: named events that order work across contexts (a DAG of
 * commands over several programs). The scheduler runs them; they touch no
 * buffer. An event is a timeline, as Vulkan's timeline semaphores: a number
 * that only grows; signal raises it, wait holds its context until it is
 * high enough.
 */
#include "catalog_family.h"

#define EVENT_VALUE_MAX INT64_MAX
#define TIMEOUT_MS_MAX	(7 * 24 * 3600 * 1000LL) /* a week */

static int no_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		      char *msg, size_t len)
{
	(void)c, (void)e, (void)msg, (void)len;
	return 0;
}

#define EVENT_ARG(h)                                                           \
	{                                                                      \
		.name = "event", .type = VGPU_ARG_NAME, .required = true,      \
		.help = h                                                      \
	}

static const struct vgpu_arg_spec signal_args[SIGNAL_NARGS] = {
    [SIGNAL_EVENT] = EVENT_ARG("the event's name, private to your user"),
    [SIGNAL_VALUE] = INT("value", false, 1, EVENT_VALUE_MAX, 1,
			 "raise the event to at least this value"),
};

const struct vgpu_kernel_spec vgpu_spec_signal = {
    .name = "signal",
    .id = VGPU_K_SIGNAL,
    .nargs = SIGNAL_NARGS,
    .args = signal_args,
    .extents = no_extents,
    .control = true,
    .summary = "raises a named event once every earlier command of this "
	       "context has completed",
    .semantics =
	"When the commands written before it on this context have all "
	"completed, sets event NAME to max(its value, VALUE) and releases "
	"the waits it satisfies. Events start at 0, belong to the user who "
	"names them (another user's event of the same name is another "
	"event), and are forgotten when that user has no context open. A "
	"context that has written a signal for NAME is one of its "
	"signallers until it is closed and its commands are done.",
    .example = "signal event=weights-ready",
};

static const struct vgpu_arg_spec wait_args[WAIT_NARGS] = {
    [WAIT_EVENT] = EVENT_ARG("the event's name, private to your user"),
    [WAIT_VALUE] = INT("value", false, 1, EVENT_VALUE_MAX, 1,
		       "wait until the event is at least this value"),
    [WAIT_TIMEOUT_MS] = INT("timeout_ms", false, 0, TIMEOUT_MS_MAX, 0,
			    "fail with ETIMEDOUT after this long; 0: never"),
};

const struct vgpu_kernel_spec vgpu_spec_wait = {
    .name = "wait",
    .id = VGPU_K_WAIT,
    .nargs = WAIT_NARGS,
    .args = wait_args,
    .extents = no_extents,
    .control = true,
    .summary = "holds this context until a named event reaches a value",
    .semantics =
	"Commands written after it on this context start only once event "
	"NAME is at least VALUE; it completes then (at once if it already "
	"is). It fails with ECANCELED when the last context that signalled "
	"NAME closes with the event still below VALUE, or when this context "
	"is closed while no context has signalled NAME; with ETIMEDOUT "
	"after timeout_ms. Either way later commands of the context still "
	"run, as after any error.",
    .example = "wait event=weights-ready timeout_ms=5000",
};
