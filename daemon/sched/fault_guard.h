/*
 * Kernels run under a guard against SIGBUS. A buffer's page can fail to
 * appear under a running kernel: a client punched a hole into it (madvise
 * MADV_REMOVE through its passthrough mapping) and the tier filled up
 * before the kernel wrote there. The fault then fails that one command
 * instead of killing the daemon, and every client with it.
 */
#ifndef VGPUFSD_FAULT_GUARD_H
#define VGPUFSD_FAULT_GUARD_H

/* Installs the SIGBUS handler for the whole process; 0 or -errno. */
int fault_guard_install(void);

/*
 * FN(ARG) as it returns, or -EFAULT if it touched memory that could not be
 * provided (it is left at that point: FN must hold no lock and own no
 * resource that only its end would release, as kernels do).
 */
int fault_guard_call(int (*fn)(void *arg), void *arg);

#endif
