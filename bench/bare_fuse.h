/*
 * The smallest useful FUSE file system, as the latency baseline: one file
 * whose write() stores a few bytes and whose read() returns them at once.
 * It runs in a process of its own (as vgpufsd does) with the same libfuse
 * and transport, so the difference to a nop round trip through the device
 * is vgpufs's own overhead.
 */
#ifndef VGPUFS_BENCH_BARE_FUSE_H
#define VGPUFS_BENCH_BARE_FUSE_H

#include <stdbool.h>
#include <sys/types.h>

/* Serves MNT/echo from a child process; returns its pid, or -1. */
pid_t bare_fuse_start(const char *mnt, bool uring);
/* Stops it; returns whether requests really arrived over io_uring. */
bool bare_fuse_stop(pid_t pid);

#endif
