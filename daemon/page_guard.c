#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "bufmap.h"
#include "job.h"
#include "page_guard.h"

static _Thread_local struct job *guarded;
static _Thread_local volatile sig_atomic_t lost;

/* The mapping of the running job that holds ADDR, or NULL. */
static struct bufmap *job_map_at(struct job *job, uintptr_t addr)
{
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++) {
		struct bufmap *m = job->maps[i];
		uintptr_t start = m ? (uintptr_t)m->addr : 0;
		if (m && addr >= start && addr - start < m->len)
			return m;
	}
	return NULL;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct bufmap *m = guarded ? job_map_at(guarded, addr) : NULL;
	void *page = (void *)(addr & ~(uintptr_t)4095);
	/* mmap is async-signal-safe: a zero page replaces the lost one. */
	if (!m || mmap(page, 4096, PROT_READ | PROT_WRITE,
		       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0) == MAP_FAILED) {
		/* A real bug: die of it, as without the guard. */
		signal(sig, SIG_DFL);
		errno = saved;
		return;
	}
	m->lost = 1;
	lost = 1;
	errno = saved;
}

int page_guard_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

void page_guard_enter(struct job *job)
{
	lost = 0;
	guarded = job;
}

bool page_guard_leave(void)
{
	/* another job's tile may have lost the pages of a shared mapping */
	bool gone = lost;
	for (unsigned i = 0; guarded && i < VGPU_MAX_ARGS; i++)
		gone |= guarded->maps[i] && guarded->maps[i]->lost;
	guarded = NULL;
	return gone;
}
