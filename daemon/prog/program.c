#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "prog/program.h"
#include "prog/program_compile.h"
#include "prog/program_sig.h"

static struct {
	pthread_mutex_t lock;
	struct program *head; /* most recently used first */
	unsigned count;
	size_t bytes;
	_Atomic uint64_t compiled, hits;
	_Atomic uint64_t compile_ns, last_compile_ns;
} C = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* FNV-1a, 64 bits: only to find candidates, which are then compared. */
static uint64_t hash_bytes(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void program_free(struct program *p)
{
	vjit_program_free(p->native); /* before the IR it points into */
	vcl_ir_free(p->ir);
	free(p->sigs);
	free(p->bytes);
	free(p);
}

void program_put(struct program *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		program_free(p);
}

/* The cached program with these bytes, moved to the front; lock held. */
static struct program *lookup(uint64_t h, const void *bytes, size_t len)
{
	for (struct program **pp = &C.head; *pp; pp = &(*pp)->next) {
		struct program *p = *pp;
		if (p->hash != h || p->len != len ||
		    memcmp(p->bytes, bytes, len) != 0)
			continue;
		*pp = p->next;
		p->next = C.head;
		C.head = p;
		return p;
	}
	return NULL;
}

/* Drops the least recently used programs beyond the bounds; lock held. */
static void evict(void)
{
	while (C.head && C.head->next &&
	       (C.count > PROGRAM_CACHE_MAX || C.bytes > PROGRAM_CACHE_BYTES)) {
		struct program **pp = &C.head;
		while ((*pp)->next)
			pp = &(*pp)->next;
		struct program *last = *pp;
		*pp = NULL;
		C.count--;
		C.bytes -= last->len;
		program_put(last);
	}
}

/* Counts a compile's time, and passes ERR on. */
static int compile_timed(struct program_compile_time *t, uint64_t start,
			 uint64_t front_end, int err)
{
	uint64_t end = now_ns();
	if (!front_end)
		front_end = end;
	*t = (struct program_compile_time){.compiled = true,
					   .front_ns = front_end - start,
					   .codegen_ns = end - front_end};
	atomic_fetch_add_explicit(&C.compile_ns, end - start,
				  memory_order_relaxed);
	atomic_store_explicit(&C.last_compile_ns, end - start,
			      memory_order_relaxed);
	return err;
}

/* With a reference taken: the cached program with BYTES (LEN, hash H),
 * moved to the front, or with BYTES NULL the front one (the last used). */
static struct program *referenced(const void *bytes, size_t len, uint64_t h)
{
	pthread_mutex_lock(&C.lock);
	struct program *p = bytes ? lookup(h, bytes, len) : C.head;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&C.lock);
	return p;
}

/* A launch found P (referenced) in the cache. */
static int hit(struct program *p, struct program **out)
{
	atomic_fetch_add_explicit(&C.hits, 1, memory_order_relaxed);
	*out = p;
	return 0;
}

int program_get(const void *bytes, size_t len, const char *name,
		struct program **out, struct program_compile_time *time,
		char *msg, size_t msglen)
{
	*time = (struct program_compile_time){0};
	/* The user's buffer is read with the cache's lock free: a fault there
	 * (the buffer cut under the read) must not leave the lock held.
	 * Launches repeat the last program: compared first without a hash
	 * (FNV, a multiply a byte: 130 us and more for 100 KB). */
	struct program *p = referenced(NULL, 0, 0);
	if (p && p->len == len && memcmp(p->bytes, bytes, len) == 0)
		return hit(p, out);
	program_put(p);
	/* Else looked up by a copy, which a compile keeps. */
	uint8_t *copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, bytes, len);
	uint64_t h = copy ? hash_bytes(copy, len) : 0;
	if (copy && (p = referenced(copy, len, h))) {
		free(copy);
		return hit(p, out);
	}
	int err = -ENOMEM;
	p = copy ? calloc(1, sizeof(*p)) : NULL;
	if (!p) {
		free(copy);
		snprintf(msg, msglen, "%s: out of memory for the program",
			 name);
		return -ENOMEM;
	}
	p->bytes = copy;
	p->len = len;
	p->hash = h;
	uint64_t start = now_ns(), front_end = 0;
	p->ir = program_compile(p->bytes, len, name, &err, msg, msglen);
	char jmsg[VJIT_MSG_MAX];
	if (p->ir) {
		front_end = now_ns();
		err = vjit_compile(p->ir, &p->native, jmsg);
		if (err < 0)
			snprintf(msg, msglen, "%s: code generation: %s", name,
				 jmsg);
		else if ((err = program_signatures(p->ir, &p->sigs,
						   &p->sigs_len)) < 0)
			snprintf(msg, msglen,
				 "%s: out of memory for its signatures", name);
	}
	if (!p->ir || err < 0) {
		program_free(p);
		return compile_timed(time, start, front_end, err);
	}
	compile_timed(time, start, front_end, 0);
	atomic_fetch_add_explicit(&C.compiled, 1, memory_order_relaxed);
	atomic_init(&p->refs, 2); /* the cache's and the caller's */
	pthread_mutex_lock(&C.lock);
	p->next = C.head;
	C.head = p;
	C.count++;
	C.bytes += len;
	evict();
	pthread_mutex_unlock(&C.lock);
	*out = p;
	return 0;
}

const struct vcl_ir_function *program_kernel(const struct program *p,
					     const char *name)
{
	for (uint32_t i = 0; i < p->ir->nfuncs; i++) {
		const struct vcl_ir_function *f = &p->ir->funcs[i];
		if (f->is_kernel && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

struct program_counts program_counts(void)
{
	return (struct program_counts){
	    atomic_load_explicit(&C.compiled, memory_order_relaxed),
	    atomic_load_explicit(&C.hits, memory_order_relaxed),
	    atomic_load_explicit(&C.compile_ns, memory_order_relaxed),
	    atomic_load_explicit(&C.last_compile_ns, memory_order_relaxed)};
}

void program_cache_clear(void)
{
	pthread_mutex_lock(&C.lock);
	while (C.head) {
		struct program *p = C.head;
		C.head = p->next;
		program_put(p);
	}
	C.count = 0;
	C.bytes = 0;
	pthread_mutex_unlock(&C.lock);
}
