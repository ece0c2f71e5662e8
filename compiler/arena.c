#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct vcl_arena_chunk {
	struct vcl_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

enum { CHUNK_MIN = 64 * 1024 };

void vcl_arena_init(struct vcl_arena *a, size_t cap)
{
	a->head = NULL;
	a->total = 0;
	a->cap = cap;
}

void *vcl_arena_alloc(struct vcl_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct vcl_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
		if (size > a->cap || a->total > a->cap - size)
			return NULL;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		/* A big block goes behind the current chunk, whose free
		 * space stays usable. */
		if (a->head && n > CHUNK_MIN) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->total += size;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

char *vcl_arena_strndup(struct vcl_arena *a, const char *s, size_t n)
{
	char *p = vcl_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void vcl_arena_free(struct vcl_arena *a)
{
	while (a->head) {
		struct vcl_arena_chunk *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	a->total = 0;
}
