#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mem/bufmap.h"
#include "sched/fault_guard.h"

/* The mappings of the command running on this thread, if any. */
static _Thread_local struct bufmap *const *guarded;
static _Thread_local unsigned nguarded;

/* The guarded mapping holding ADDR, or NULL. */
static struct bufmap *guarded_at(const char *addr)
{
	for (unsigned i = 0; i < nguarded; i++) {
		struct bufmap *m = guarded[i];
		if (m && addr >= (char *)m->addr &&
		    addr < (char *)m->addr + m->len)
			return m;
	}
	return NULL;
}

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	int saved = errno;
	struct bufmap *m = guarded_at(info->si_addr);
	if (m) {
		/* Lost before replaced: a command that still finds the flag
		 * clear afterwards did all its work on the file. */
		atomic_store(&m->lost, true);
		/*
		 * The raw system call: no libc or sanitizer state in a
		 * handler. The same range in place of the same one: no
		 * mapping is split, none can be left over.
		 */
		long p =
		    syscall(SYS_mmap, m->addr, m->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == (long)m->addr) {
			errno = saved;
			return; /* the faulting access runs again, on zeros */
		}
	}
	/* A fault outside a kernel's buffers is a bug: die of it as usual. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int fault_guard_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

/* Whether one of the N mappings MAPS is lost. */
static bool lost(struct bufmap *const maps[], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (maps[i] && atomic_load(&maps[i]->lost))
			return true;
	return false;
}

int fault_guard_call(int (*fn)(void *arg), void *arg,
		     struct bufmap *const maps[], unsigned n)
{
	if (lost(maps, n))
		return -EFAULT; /* no need to compute what goes nowhere */
	guarded = maps;
	nguarded = n;
	int rc = fn(arg);
	nguarded = 0;
	guarded = NULL;
	return lost(maps, n) ? -EFAULT : rc;
}
