/*
 * The fft plan cache: a few slots, reused least-recently-used first. A slot
 * in use by a tile is never evicted; when all are in use the plan made is
 * not cached and is destroyed on release. Every FFTW planner call (make,
 * destroy, forget) happens under one lock.
 */
#include <pthread.h>
#include <stdlib.h>

#include "fft_plans.h"

/* Distinct transforms a program typically alternates between. */
#define SLOTS 16

struct slot {
	struct vgpu_fft_key key;
	fftwf_plan plan; /* NULL: the slot is free */
	unsigned users;	 /* acquired and not yet released */
	uint64_t last_used;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];
static uint64_t clock_ticks, made;

struct vgpu_fft_key vgpu_fft_key_for(int rows, int n, int sign,
				     fftwf_complex *in, fftwf_complex *out)
{
	return (struct vgpu_fft_key){
	    .rows = rows,
	    .n = n,
	    .sign = sign,
	    .inplace = in == out,
	    .align_in = fftwf_alignment_of((float *)in),
	    .align_out = fftwf_alignment_of((float *)out),
	};
}

static bool key_eq(const struct vgpu_fft_key *a, const struct vgpu_fft_key *b)
{
	return a->rows == b->rows && a->n == b->n && a->sign == b->sign &&
	       a->inplace == b->inplace && a->align_in == b->align_in &&
	       a->align_out == b->align_out;
}

static fftwf_plan make_plan(const struct vgpu_fft_key *k, fftwf_complex *in,
			    fftwf_complex *out)
{
	/*
	 * ESTIMATE: planning takes microseconds, never writes the arrays and
	 * gives the same plan every time (MEASURE would time trial runs on
	 * the user's memory, which x may not be writable for).
	 */
	unsigned flags = FFTW_ESTIMATE | (k->inplace ? 0 : FFTW_PRESERVE_INPUT);
	made++;
	return k->rows == 1
		   ? fftwf_plan_dft_1d(k->n, in, out, k->sign, flags)
		   : fftwf_plan_dft_2d(k->rows, k->n, in, out, k->sign, flags);
}

/* A free slot, else the least recently used idle one emptied; or NULL. */
static struct slot *slot_to_fill(void)
{
	struct slot *best = NULL;
	for (unsigned i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (!s->plan)
			return s;
		if (s->users == 0 && (!best || s->last_used < best->last_used))
			best = s;
	}
	if (best) {
		fftwf_destroy_plan(best->plan);
		best->plan = NULL;
		/*
		 * FFTW remembers every problem it planned; forgetting them
		 * here bounds that memory however many shapes come along.
		 */
		fftwf_forget_wisdom();
	}
	return best;
}

fftwf_plan vgpu_fft_plan_acquire(const struct vgpu_fft_key *key,
				 fftwf_complex *in, fftwf_complex *out)
{
	pthread_mutex_lock(&lock);
	fftwf_plan p = NULL;
	for (unsigned i = 0; i < SLOTS && !p; i++) {
		struct slot *s = &slots[i];
		if (s->plan && key_eq(&s->key, key)) {
			s->users++;
			s->last_used = ++clock_ticks;
			p = s->plan;
		}
	}
	if (!p) {
		p = make_plan(key, in, out);
		struct slot *s = p ? slot_to_fill() : NULL;
		if (s)
			*s = (struct slot){.key = *key,
					   .plan = p,
					   .users = 1,
					   .last_used = ++clock_ticks};
	}
	pthread_mutex_unlock(&lock);
	return p;
}

void vgpu_fft_plan_release(fftwf_plan plan)
{
	pthread_mutex_lock(&lock);
	unsigned i = 0;
	while (i < SLOTS && slots[i].plan != plan)
		i++;
	if (i < SLOTS)
		slots[i].users--;
	else /* made while every slot was busy: not cached */
		fftwf_destroy_plan(plan);
	pthread_mutex_unlock(&lock);
}

void vgpu_fft_plans_free(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < SLOTS; i++) {
		if (slots[i].plan)
			fftwf_destroy_plan(slots[i].plan);
		slots[i] = (struct slot){0};
	}
	fftwf_cleanup();
	pthread_mutex_unlock(&lock);
}

uint64_t vgpu_fft_plans_made(void)
{
	pthread_mutex_lock(&lock);
	uint64_t n = made;
	pthread_mutex_unlock(&lock);
	return n;
}
