/* Sizes as people read them, shared by the tools. */
#ifndef VGPU_HUMAN_SIZE_H
#define VGPU_HUMAN_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* BYTES with a K, M, G... suffix (powers of 1024): "4.0M", "512". */
void human_size(uint64_t bytes, char *out, size_t len);

#endif
