/* What the fuzz targets check of a parsed command. */
#ifndef VGPUFS_FUZZ_CHECK_H
#define VGPUFS_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpufs/command.h>

/* Aborts (a finding) with WHY unless COND. */
void fuzz_expect(bool cond, const char *why);

/*
 * Validates CMD against buffers of BUFSIZE bytes each (all distinct) and,
 * when it passes, checks that every buffer argument's extent, from its
 * offset, lies inside its buffer without overflow.
 */
void fuzz_validate(const struct vgpu_cmd *cmd, uint64_t bufsize);

/*
 * Parses DATA as a stream of binary packets, as the daemon takes them,
 * until it ends or MAX packets; calls FN with each command and its
 * packet's tag, checks that each refusal has a message.
 */
void fuzz_packets(const uint8_t *data, size_t size, unsigned max,
		  void (*fn)(const struct vgpu_cmd *cmd, uint64_t tag,
			     void *arg),
		  void *arg);

#endif
