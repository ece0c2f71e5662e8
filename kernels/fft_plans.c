/*
 * The fft plan cache: a few slots, reused least-recently-used first, and a
 * bound on the transform sizes they hold together (a plan keeps tables
 * about as large as its transform). A slot in use by a tile is never
 * evicted; a plan that finds no room is not cached and is destroyed on
 * release. Every FFTW planner call (make, destroy, forget) happens under
 * one lock.
 */
#include <pthread.h>
#include <stdlib.h>

#include "fft_plans.h"

/* Distinct transforms a program typically alternates between. */
#define SLOTS 16
/*
 * Complex elements of the cached transforms together (64M: 512 MiB of
 * data). Bigger transforms are planned anew each time, which takes little
 * beside running them.
 */
#define CACHE_ELEMS_DEFAULT (UINT64_C(1) << 26)

struct slot {
	struct vgpu_fft_key key;
	fftwf_plan plan; /* NULL: the slot is free */
	unsigned users;	 /* acquired and not yet released */
	uint64_t last_used;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];
static uint64_t clock_ticks, made;
static uint64_t cached_elems, cache_elems_max = CACHE_ELEMS_DEFAULT;

static uint64_t key_elems(const struct vgpu_fft_key *k)
{
	return (uint64_t)k->rows * (uint64_t)k->n;
}

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

static struct slot *free_slot(void)
{
	for (unsigned i = 0; i < SLOTS; i++)
		if (!slots[i].plan)
			return &slots[i];
	return NULL;
}

static struct slot *least_recent_idle(void)
{
	struct slot *best = NULL;
	for (unsigned i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (s->plan && s->users == 0 &&
		    (!best || s->last_used < best->last_used))
			best = s;
	}
	return best;
}

/*
 * A free slot with room for a plan of ELEMS, made by evicting idle plans
 * least recently used first; NULL when there is no such room.
 */
static struct slot *make_room(uint64_t elems)
{
	if (elems > cache_elems_max)
		return NULL;
	struct slot *s;
	bool evicted = false;
	while (!(s = free_slot()) || cached_elems + elems > cache_elems_max) {
		struct slot *old = least_recent_idle();
		if (!old)
			break;
		fftwf_destroy_plan(old->plan);
		cached_elems -= key_elems(&old->key);
		*old = (struct slot){0};
		evicted = true;
	}
	/*
	 * FFTW remembers every problem it planned; forgetting them with the
	 * plans bounds that memory however many shapes come along.
	 */
	if (evicted)
		fftwf_forget_wisdom();
	return s && cached_elems + elems <= cache_elems_max ? s : NULL;
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
		struct slot *s = p ? make_room(key_elems(key)) : NULL;
		if (s) {
			*s = (struct slot){.key = *key,
					   .plan = p,
					   .users = 1,
					   .last_used = ++clock_ticks};
			cached_elems += key_elems(key);
		}
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
	else /* found no room in the cache */
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
	cached_elems = 0;
	fftwf_cleanup();
	pthread_mutex_unlock(&lock);
}

void vgpu_fft_plans_set_limit(uint64_t elems)
{
	pthread_mutex_lock(&lock);
	cache_elems_max = elems ? elems : CACHE_ELEMS_DEFAULT;
	pthread_mutex_unlock(&lock);
}

uint64_t vgpu_fft_plans_made(void)
{
	pthread_mutex_lock(&lock);
	uint64_t n = made;
	pthread_mutex_unlock(&lock);
	return n;
}
