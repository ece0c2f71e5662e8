#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "sched/fault_guard.h"

/* The guarded call running on this thread, if any. */
static _Thread_local sigjmp_buf *guard;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
	(void)info, (void)uctx;
	if (guard)
		siglongjmp(*guard, 1);
	/* A fault outside a kernel is a bug: die of it as usual. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int fault_guard_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/* NODEFER: leaving by siglongjmp keeps SIGBUS unblocked, so the
	 * jump needs not save and restore the signal mask (a system call a
	 * tile otherwise). */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

int fault_guard_call(int (*fn)(void *arg), void *arg)
{
	sigjmp_buf env;
	if (sigsetjmp(env, 0)) {
		guard = NULL;
		return -EFAULT;
	}
	guard = &env;
	int rc = fn(arg);
	guard = NULL;
	return rc;
}
