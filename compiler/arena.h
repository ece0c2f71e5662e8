/* Bump allocation for one compiler run, freed all at once, with a cap on
 * its total size so hostile input cannot take unbounded memory. */
#ifndef VCL_ARENA_H
#define VCL_ARENA_H

#include <stddef.h>

struct vcl_arena_chunk;

struct vcl_arena {
	struct vcl_arena_chunk *head;
	size_t total; /* bytes allocated from the system */
	size_t cap;
};

void vcl_arena_init(struct vcl_arena *a, size_t cap);
/* NULL when the cap is reached or the system refuses. 16-byte aligned. */
void *vcl_arena_alloc(struct vcl_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *vcl_arena_strndup(struct vcl_arena *a, const char *s, size_t n);
void vcl_arena_free(struct vcl_arena *a);

#endif
