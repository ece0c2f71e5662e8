/*
 * Kernels run under a guard against SIGBUS. A buffer's page can fail to
 * appear under a running kernel: a client punched a hole into it (madvise
 * MADV_REMOVE through its passthrough mapping) and the tier filled up
 * before the kernel touched it. The handler then puts private zero memory
 * in place of the daemon's whole mapping of that buffer and returns, so the
 * kernel (OpenBLAS, FFTW or ours) finishes its call normally on memory
 * that goes nowhere; the mapping is marked lost, which fails every command
 * that used it with EFAULT, and is never handed out again (bufmap.h).
 */
#ifndef VGPUFSD_FAULT_GUARD_H
#define VGPUFSD_FAULT_GUARD_H

struct bufmap;

/* Installs the SIGBUS handler for the whole process; 0 or -errno. */
int fault_guard_install(void);

/*
 * FN(ARG) as it returns, with the N mappings MAPS (NULL entries allowed)
 * guarded on this thread: -EFAULT instead if one of them is lost, before
 * or after FN (then FN is not run, or its work went nowhere). A SIGBUS
 * outside these mappings is a bug and kills the daemon.
 */
int fault_guard_call(int (*fn)(void *arg), void *arg,
		     struct bufmap *const maps[], unsigned n);

#endif
