/* Live counters behind the stats file; updated lock-free by every thread. */
#ifndef VGPUFSD_STATS_H
#define VGPUFSD_STATS_H

#include <stddef.h>
#include <stdint.h>

struct job;
struct ram_tier;

void stats_init(void);
struct vgpu_kernel_spec;
/* A command completed: K is NULL for a line that named no kernel. */
void stats_command(const struct vgpu_kernel_spec *k, int err, uint64_t ns);
void stats_command_done(const struct job *job);
void stats_worker_busy(uint64_t ns);
void stats_context_opened(void);
void stats_context_closed(void);
void stats_parked_readers(int delta);

/* The stats file's text ("key value" lines); malloc'ed, *LEN set. */
char *stats_render(const struct ram_tier *ram, size_t *len);

#endif
