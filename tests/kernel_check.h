/*
 * What the kernel unit tests share: a fixed-seed random source, typed
 * element access for every dtype, guarded operands whose surroundings must
 * come out unchanged, and runners that execute a launch three ways (the
 * serial runner, tiles in reverse order, tiles on several threads at once)
 * so that a tile depending on another's work or order shows up.
 */
#ifndef VGPUFS_TESTS_KERNEL_CHECK_H
#define VGPUFS_TESTS_KERNEL_CHECK_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/kernel_impl.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>

/* Elements around each operand that no kernel may touch. */
#define GUARD 9

/*
 * ck_assert in a loop over millions of elements is slow: every passing
 * check reports to the parent process. Only failures do here.
 */
#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Random numbers from a fixed seed: a failure must reproduce. */
uint64_t rnd(void);
double urand(void); /* uniform in [-1, 1) */
uint64_t irand(uint64_t lo, uint64_t hi);
/* A random value of type DT: floats in [-SCALE, SCALE), ints anywhere. */
double rand_value(int dt, double scale);

size_t esz(int dt);
const char *dtname(int dt);
double eps(int dt); /* machine epsilon of a float type */
/* Element I of an array of type DT; every value is exact in a double. */
double get(const void *p, int dt, size_t i);
/* V must be representable (tests only store values of the type), except
 * for bf16, which rounds V to nearest even. */
void put(void *p, int dt, size_t i, double v);
/* Rounds a double result to what the dtype can hold, like a store (f32
 * and bf16 to nearest even). */
double to_dt(double v, int dt);
/* Equal, both NaN, or within TOL (inf only equals itself). */
bool close_to(double got, double want, double tol);

/*
 * An operand of N elements at element offset OFF in an array with GUARD
 * more elements after it, all random, and a snapshot of the initial state.
 */
struct arr {
	int dt;
	size_t total; /* elements */
	void *base, *snap;
	void *p; /* the operand */
};

void arr_init(struct arr *a, int dt, size_t off, size_t n, double scale);
void arr_snap(struct arr *a);
void arr_free(struct arr *a);
/* Element index within the whole array of the operand's element I. */
size_t arr_index(const struct arr *a, size_t i);
/* Initial value of element I of the operand. */
double arr_old(const struct arr *a, size_t i);
/* Whether element J of the whole array still holds its initial bits. */
bool arr_elem_same(const struct arr *a, size_t j);
/* Whether the whole array, or all of it outside the operand's first N
 * elements, still holds its initial bits. */
bool arr_same(const struct arr *a);
bool arr_outside_same(const struct arr *a, size_t n);
/* Sets special values (NaN, infinities, zeros, ...) at a few places of a
 * float operand of N elements. */
void sprinkle_specials(struct arr *a, size_t n);

/* A command of kernel ID with its defaults. */
struct vgpu_cmd mkcmd(unsigned id);

enum mode { RUN_SERIAL, RUN_REVERSE, RUN_THREADS, RUN_MODES };
extern const char *const mode_name[RUN_MODES];
#define THREADS 4

/* Tiles the kernel plans for C over PTR with WORKERS workers. */
uint32_t ntiles_for(const struct vgpu_cmd *c, void *const *ptr,
		    unsigned workers);
/*
 * Tiles planned with WORKERS workers for gemm (ID VGPU_K_GEMM; BATCH
 * ignored) or gemm_batched of that shape and dtype.
 */
uint32_t gemm_tiles_of(unsigned id, size_t m, size_t n, size_t k, size_t batch,
		       int dt, unsigned workers);
/* Runs C over PTR in MODE; returns 0 or the kernel's -errno. */
int run(const struct vgpu_cmd *c, void *const *ptr, enum mode mode);
void run_ok(const struct vgpu_cmd *c, void *const *ptr, enum mode mode);
/*
 * Runs C planned for WORKERS workers on THREADS threads at once (more than
 * WORKERS: as no scheduler would), or in reverse order with THREADS 0.
 */
int run_on(const struct vgpu_cmd *c, void *const *ptr, unsigned workers,
	   unsigned threads);

/*
 * Text lines through the parser and the validator: the last line parsed,
 * its error and the message of the parser or the validator.
 */
extern struct vgpu_cmd line_cmd;
extern int line_err;
extern char line_msg[VGPU_MSG_MAX];

enum vgpu_line_kind parse(const char *line);
void expect_parse_error(const char *line, int want_err, const char *want_msg);
/*
 * Parses LINE and validates it against buffers of SIZE bytes each, all one
 * buffer when SAME (else each its own). Returns the validator's result.
 */
int validate(const char *line, uint64_t size, bool same);
void expect_valid(const char *line, uint64_t size, bool same);
void expect_invalid(const char *line, uint64_t size, bool same, int want_err,
		    const char *want_msg);

/*
 * Kernels NAMES[0..COUNT) have consecutive ids from FIRST, an
 * implementation, "dtypes: DTYPES" in their description and an example that
 * parses.
 */
void check_catalog(const char *const names[], size_t count, unsigned first,
		   const char *dtypes);

/* Runs TC as the one case of a suite NAME; the exit status for main(). */
int run_tcase(const char *name, TCase *tc);

#endif
