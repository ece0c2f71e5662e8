/*
 * The Game of Life of docs/examples/opencl/life.sh against the real daemon:
 * the script's frames (PGM files) checked against a plain C step of the
 * same rule on the same torus, a glider's walk, and a script that fails
 * cleanly on a bad start.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;
static char out[64];

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
	strcpy(out, "/tmp/vgpufs-life-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(out));
}

static void teardown(void)
{
	remove_tree(out);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* life.sh OPTIONS on the device, frames into OUT, from START (NULL: none);
 * its exit status. */
static int run_life(const char *options, const char *start)
{
	const char *docs = getenv("VGPUFS_DOCS");
	ck_assert_msg(docs, "VGPUFS_DOCS is not set");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "sh %s/examples/opencl/life.sh %s %s %s/frames %s >&2", docs,
		 options, d.mnt, out, start ? start : "");
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether the script left nothing in mem/. */
static bool mem_empty(void)
{
	DIR *dir = opendir(mem_path(&d, ""));
	ck_assert_ptr_nonnull(dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n == 0;
}

/* The W x H image START as a PGM file in OUT; its path. */
static const char *write_start(int w, int h, const unsigned char *px)
{
	static char p[128];
	snprintf(p, sizeof(p), "%s/start.pgm", out);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "P5\n%d %d\n255\n", w, h);
	ck_assert_uint_eq(fwrite(px, 1, (size_t)(w * h), f), (size_t)(w * h));
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

/* Frame GEN's pixels (W x H, checked), malloc'd; NULL if there is none. */
static unsigned char *read_frame(int gen, int w, int h)
{
	char p[128], head[64];
	snprintf(p, sizeof(p), "%s/frames/frame-%04d.pgm", out, gen);
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	int hl = snprintf(head, sizeof(head), "P5\n%d %d\n255\n", w, h);
	char got[64] = "";
	ck_assert_uint_eq(fread(got, 1, (size_t)hl, f), (size_t)hl);
	ck_assert_msg(memcmp(got, head, (size_t)hl) == 0, "%s: bad header", p);
	unsigned char *px = malloc((size_t)(w * h) + 1);
	ck_assert_uint_eq(fread(px, 1, (size_t)(w * h) + 1, f),
			  (size_t)(w * h));
	fclose(f);
	return px;
}

/* The reference: cells live at 128 and up, written 255 and 0. */
static void ref_start(const unsigned char *img, unsigned char *b, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = img[i] >= 128 ? 255 : 0;
}

/* One generation of B (0/255) into NEXT on a W x H torus. */
static void ref_step(const unsigned char *b, unsigned char *next, int w, int h)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int n = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++)
					if (dx || dy)
						n += b[(y + dy + h) % h * w +
						       (x + dx + w) % w] != 0;
			bool live = b[y * w + x] != 0;
			next[y * w + x] = n == 3 || (live && n == 2) ? 255 : 0;
		}
}

static void expect_frame(int gen, const unsigned char *want, int w, int h)
{
	unsigned char *got = read_frame(gen, w, h);
	ck_assert_msg(got, "no frame %d", gen);
	for (int i = 0; i < w * h; i++)
		ck_assert_msg(got[i] == want[i],
			      "frame %d: cell (%d, %d) is %u, want %u", gen,
			      i % w, i / w, got[i], want[i]);
	free(got);
}

/* A glider at (X, Y) on a W x H board of gray 90 (dead), live cells 200. */
static void glider(unsigned char *b, int w, int h, int x, int y)
{
	static const int cells[5][2] = {{1, 0}, {2, 1}, {0, 2}, {1, 2}, {2, 2}};
	memset(b, 90, (size_t)(w * h));
	for (int i = 0; i < 5; i++)
		b[(y + cells[i][1]) % h * w + (x + cells[i][0]) % w] = 200;
}

/* A glider moves one cell right and down every 4 generations. */
START_TEST(glider_moves_diagonally)
{
	enum { W = 16, H = 12 };
	unsigned char img[W * H], want[W * H];
	glider(img, W, H, 2, 3);
	ck_assert_int_eq(run_life("-n 8 -k 4", write_start(W, H, img)), 0);
	ck_assert(mem_empty());
	for (int gen = 0; gen <= 8; gen += 4) {
		glider(want, W, H, 2 + gen / 4, 3 + gen / 4);
		ref_start(want, want, W * H);
		expect_frame(gen, want, W, H);
	}
	ck_assert_ptr_null(read_frame(1, W, H)); /* every 4th only */
	ck_assert_ptr_null(read_frame(12, W, H));
}
END_TEST

/* The edges wrap: on an 8 x 8 torus a glider is back after 32. */
START_TEST(glider_wraps_around)
{
	enum { W = 8, H = 8 };
	unsigned char img[W * H], want[W * H];
	glider(img, W, H, 6, 5); /* across both edges from the start */
	ck_assert_int_eq(run_life("-n 32 -k 16", write_start(W, H, img)), 0);
	ref_start(img, want, W * H);
	expect_frame(0, want, W, H);
	expect_frame(32, want, W, H);
	unsigned char *mid = read_frame(16, W, H);
	ck_assert_ptr_nonnull(mid);
	ck_assert(memcmp(mid, want, W * H) != 0); /* it did move */
	free(mid);
}
END_TEST

/* A random gray image, 20 generations, each frame against the reference. */
START_TEST(random_board_matches_reference)
{
	enum { W = 61, H = 47, GENS = 20 };
	unsigned char img[W * H], b[W * H], next[W * H];
	unsigned s = 12345;
	for (int i = 0; i < W * H; i++) {
		s = s * 1103515245u + 12345u;
		img[i] = (unsigned char)(s >> 16);
	}
	ck_assert_int_eq(run_life("-n 20", write_start(W, H, img)), 0);
	ref_start(img, b, W * H);
	expect_frame(0, b, W, H);
	int live = 0;
	for (int gen = 1; gen <= GENS; gen++) {
		ref_step(b, next, W, H);
		memcpy(b, next, sizeof(b));
		expect_frame(gen, b, W, H);
	}
	for (int i = 0; i < W * H; i++)
		live += b[i] != 0;
	ck_assert_int_gt(live, 20); /* a board still alive: a real check */
	ck_assert(mem_empty());
}
END_TEST

/* Without a start, a random board of -s W x H: the rule holds from it. */
START_TEST(random_start_without_a_file)
{
	enum { W = 40, H = 30 };
	ck_assert_int_eq(run_life("-n 3 -s 40x30", NULL), 0);
	unsigned char *b = read_frame(0, W, H), next[W * H];
	ck_assert_ptr_nonnull(b);
	int live = 0;
	for (int i = 0; i < W * H; i++) {
		ck_assert(b[i] == 0 || b[i] == 255);
		live += b[i] != 0;
	}
	ck_assert_int_gt(live, W * H / 4); /* about half */
	for (int gen = 1; gen <= 3; gen++) {
		ref_step(b, next, W, H);
		memcpy(b, next, sizeof(next));
		expect_frame(gen, b, W, H);
	}
	free(b);
	ck_assert(mem_empty());
}
END_TEST

/* A start that is no 8-bit PGM: refused, nothing left behind. */
START_TEST(bad_start_refused)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/bad.ppm", out);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("P6\n2 2\n255\n012345678901", f);
	fclose(f);
	ck_assert_int_eq(run_life("-n 1", p), 2);
	ck_assert(mem_empty());
	ck_assert_ptr_null(read_frame(0, 2, 2));
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    glider_moves_diagonally,
	    glider_wraps_around,
	    random_board_matches_reference,
	    random_start_without_a_file,
	    bad_start_refused,
	};
	return run_suite(suite_with_daemon("life", setup, teardown, 120, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
