/* The file tree: fixed files, buffers under mem/ as ordinary files. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", "--workers", "2", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/*
 * Whether stats shows WANT within 2 s: the kernel drops its references to
 * removed buffers lazily, and a buffer is counted until it does.
 */
static bool stats_soon(const char *want)
{
	for (int i = 0; i < 200; i++) {
		if (strstr(slurp(dpath(&d, "stats")), want))
			return true;
		usleep(10000);
	}
	return false;
}

START_TEST(fixed_files)
{
	const char *info = slurp(dpath(&d, "info"));
	ck_assert_msg(strstr(info, "name: vgpufs-test-"), "%s", info);
	ck_assert(strstr(info, "protocol: 1\n"));
	ck_assert(strstr(info, "workers: 2\n"));
	ck_assert(strstr(info, "tier.ram.capacity: 67108864\n"));
	ck_assert(strstr(info, "passthrough: yes\n"));
	/* catalogue order: the first kernels, then each family's */
	ck_assert(strstr(info, "kernels: nop fill copy axpy dot gemm "));
	const char *gemm = slurp(dpath(&d, "kernels/gemm"));
	ck_assert(strstr(gemm, "name: gemm\n"));
	ck_assert(strstr(gemm, "transa"));
	ck_assert(strstr(gemm, "example: gemm a=A b=B c=C"));
	const char *stats = slurp(dpath(&d, "stats"));
	ck_assert(strstr(stats, "workers 2\n"));
	ck_assert(strstr(stats, "vram_ram_total_bytes 67108864\n"));
	ck_assert(strstr(stats, "worker.1.busy_seconds "));
	ck_assert(strstr(stats, "worker.0.kernel -\n"));
	const char *metrics = slurp(dpath(&d, "metrics"));
	ck_assert(
	    strstr(metrics, "# TYPE vgpu_workers gauge\nvgpu_workers 2\n"));
	ck_assert(strstr(metrics, "vgpu_vram_capacity_bytes{tier=\"ram\"} "
				  "67108864\n"));
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 01777);
	ck_assert_int_eq(stat(dpath(&d, "queue"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0666);
	/* fixed files cannot be written, removed or created next to */
	ck_assert_int_eq(open(dpath(&d, "info"), O_WRONLY), -1);
	ck_assert_int_eq(unlink(dpath(&d, "info")), -1);
	ck_assert_int_eq(open(dpath(&d, "newfile"), O_CREAT | O_RDWR, 0644),
			 -1);
	ck_assert_int_eq(mkdir(dpath(&d, "kernels/x"), 0755), -1);
}
END_TEST

static int count_entries(const char *path, const char *want, int *found)
{
	DIR *dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	int n = 0;
	struct dirent *e;
	*found = 0;
	while ((e = readdir(dir))) {
		n++;
		if (want && strcmp(e->d_name, want) == 0)
			*found = 1;
	}
	closedir(dir);
	return n;
}

START_TEST(buffer_lifecycle)
{
	/* create, size by truncate and by writing */
	ck_assert_int_eq(buf_create(&d, "a", 10000), 0);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/a"), &st), 0);
	ck_assert_int_eq(st.st_size, 10000);
	ck_assert_int_eq(st.st_uid, getuid());
	int fd = open(dpath(&d, "mem/b"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello, vram", 11), 11);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 11);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	close(fd);
	char back[16] = {0};
	buf_read(&d, "b", back, 11);
	ck_assert_str_eq(back, "hello, vram");
	/* shell-style '>' truncates */
	fd = open(dpath(&d, "mem/b"), O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	/* mkdir, nested buffer, rename across dirs, readdir */
	ck_assert_int_eq(mkdir(dpath(&d, "mem/dir"), 0750), 0);
	ck_assert_int_eq(buf_create(&d, "dir/c", 4096), 0);
	ck_assert_int_eq(rename(dpath(&d, "mem/a"), dpath(&d, "mem/dir/a2")),
			 0);
	ck_assert_int_eq(access(dpath(&d, "mem/a"), F_OK), -1);
	int found;
	ck_assert_int_eq(count_entries(dpath(&d, "mem/dir"), "a2", &found), 4);
	ck_assert(found);
	ck_assert_int_eq(stat(dpath(&d, "mem/dir/a2"), &st), 0);
	ck_assert_int_eq(st.st_size, 10000);
	/* rename over an existing buffer replaces it */
	ck_assert_int_eq(
	    rename(dpath(&d, "mem/dir/a2"), dpath(&d, "mem/dir/c")), 0);
	ck_assert_int_eq(stat(dpath(&d, "mem/dir/c"), &st), 0);
	ck_assert_int_eq(st.st_size, 10000);
	/* a directory cannot move into itself; non-empty dirs stay */
	ck_assert_int_eq(mkdir(dpath(&d, "mem/dir/sub"), 0755), 0);
	ck_assert_int_eq(
	    rename(dpath(&d, "mem/dir"), dpath(&d, "mem/dir/sub/x")), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(rmdir(dpath(&d, "mem/dir")), -1);
	ck_assert_int_eq(errno, ENOTEMPTY);
	/* chmod / chown */
	ck_assert_int_eq(chmod(dpath(&d, "mem/b"), 0640), 0);
	ck_assert_int_eq(chown(dpath(&d, "mem/b"), 1234, 4321), 0);
	ck_assert_int_eq(stat(dpath(&d, "mem/b"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_uid, 1234);
	ck_assert_int_eq(st.st_gid, 4321);
	/* unlink and rmdir */
	ck_assert_int_eq(unlink(dpath(&d, "mem/dir/c")), 0);
	ck_assert_int_eq(rmdir(dpath(&d, "mem/dir/sub")), 0);
	ck_assert_int_eq(rmdir(dpath(&d, "mem/dir")), 0);
	ck_assert_int_eq(unlink(dpath(&d, "mem/b")), 0);
	ck_assert_int_eq(count_entries(dpath(&d, "mem"), NULL, &found), 2);
	ck_assert(stats_soon("buffers 0\n"));
}
END_TEST

/* Data written through one path is seen through every other. */
START_TEST(mmap_and_io_coherent)
{
	const size_t size = 1 << 20;
	ck_assert_int_eq(buf_create(&d, "m", size), 0);
	int fd = open(dpath(&d, "mem/m"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	unsigned char *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7);
	unsigned char *back = malloc(size);
	buf_read(&d, "m", back, size);
	ck_assert(memcmp(back, p, size) == 0);
	memset(back, 0x5a, 4096);
	ck_assert_int_eq(pwrite(fd, back, 4096, 8192), 4096);
	ck_assert_int_eq(p[8192], 0x5a);
	ck_assert_int_eq(p[8192 + 4095], 0x5a);
	munmap(p, size);
	close(fd);
	free(back);
}
END_TEST

START_TEST(vram_limit)
{
	struct statvfs sv;
	ck_assert_int_eq(statvfs(dpath(&d, "mem"), &sv), 0);
	ck_assert_int_eq((unsigned long long)sv.f_blocks * sv.f_frsize,
			 64ull << 20);
	ck_assert_int_eq(buf_create(&d, "big", 40 << 20), 0);
	/* beyond the tier's capacity: ENOSPC, and the buffer keeps its size */
	ck_assert_int_eq(buf_create(&d, "big2", 30 << 20), -ENOSPC);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/big2"), &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	int fd = open(dpath(&d, "mem/big"), O_RDWR);
	ck_assert_int_eq(ftruncate(fd, 70 << 20), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 40 << 20);
	/* a passthrough write past the end is bounded by the tier too */
	ssize_t n;
	off_t total = write_until_full(fd, 40 << 20, &n);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_le(total, 24 << 20);
	/* shrinking gives the memory back */
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	ck_assert_int_eq(buf_create(&d, "big2", 30 << 20), 0);
	ck_assert(strstr(slurp(dpath(&d, "stats")), "buffers 2\n"));
}
END_TEST

/* rm of a buffer that is still open or mapped frees it only at the end. */
START_TEST(deferred_free)
{
	const size_t size = 8 << 20;
	ck_assert_int_eq(buf_create(&d, "keep", size), 0);
	int fd = open(dpath(&d, "mem/keep"), O_RDWR);
	unsigned char *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	memset(p, 0xab, size);
	ck_assert_int_eq(unlink(dpath(&d, "mem/keep")), 0);
	ck_assert_int_eq(access(dpath(&d, "mem/keep"), F_OK), -1);
	/* the name is free again at once, the memory is not */
	ck_assert_int_eq(buf_create(&d, "keep", 4096), 0);
	ck_assert(strstr(slurp(dpath(&d, "stats")), "buffers 2\n"));
	for (size_t i = 0; i < size; i += 4096)
		ck_assert_int_eq(p[i], 0xab);
	munmap(p, size);
	ck_assert(stats_soon("buffers 1\n"));
}
END_TEST

/* Work is counted: per kernel and in total, flops and bytes spanned. */
START_TEST(stats_count_work)
{
	ck_assert_int_eq(buf_create(&d, "A", 16 * 16 * 4), 0);
	char out[256];
	run_line(&d, "gemm a=A b=A+0 c=A+0 m=16 n=16 k=16", out, sizeof(out));
	ck_assert_msg(strstr(out, "err EINVAL"), "%s", out); /* C aliases */
	ck_assert_int_eq(buf_create(&d, "B", 16 * 16 * 4), 0);
	ck_assert_int_eq(buf_create(&d, "C", 16 * 16 * 4), 0);
	run_line(&d, "gemm a=A b=B c=C m=16 n=16 k=16", out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok gemm"), "%s", out);
	run_line(&d, "bogus", out, sizeof(out));
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert_msg(strstr(st, "kernel.gemm.count 2\n"), "%s", st);
	ck_assert(strstr(st, "kernel.gemm.failed 1\n"));
	ck_assert(strstr(st, "kernel.gemm.flops 8192\n")); /* 2*16^3 */
	ck_assert(strstr(st, "kernel.gemm.bytes 3072\n")); /* 3*16*16*4 */
	ck_assert(strstr(st, "flops_total 8192\n"));
	ck_assert(strstr(st, "commands_total 3\n"));
	ck_assert(strstr(st, "commands_failed 2\n"));
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert(strstr(m, "vgpu_kernel_flops_total{kernel=\"gemm\"} 8192\n"));
	ck_assert(
	    strstr(m, "vgpu_command_failures_total{kernel=\"gemm\"} 1\n"));
	ck_assert(strstr(m, "vgpu_input_errors_total 1\n"));
}
END_TEST

/*
 * Memory is counted by owner (user lines) and by the process that created
 * the buffers (mem_bytes of its contexts); a process cannot forge fields
 * of its context line through its name.
 */
START_TEST(stats_memory)
{
	ck_assert_int_eq(buf_create(&d, "mine", 1 << 20), 0);
	int fd = open(dpath(&d, "mem/mine"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 3 << 20), 0); /* grown: 3 MiB */
	close(fd);
	pid_t other = fork(); /* makes a buffer of another process */
	if (other == 0)
		_exit(buf_create(&d, "theirs", 1 << 20) ? 1 : 0);
	int status;
	ck_assert_int_eq(waitpid(other, &status, 0), other);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char name[16];
	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, "x running=gemm");
	int q = queue_open(&d, 0);
	prctl(PR_SET_NAME, name);
	const char *st = slurp(dpath(&d, "stats"));
	char want[128];
	snprintf(want, sizeof(want), " pid=%d uid=0 comm=x_running_gemm ",
		 (int)getpid());
	const char *ctx = strstr(st, "\ncontext.");
	ck_assert_msg(strstr(st, want), "%s", ctx ? ctx : "no context");
	ck_assert_msg(strstr(st, " running=- mem_bytes=3145728\n"), "%s", ctx);
	ck_assert_msg(strstr(st, "\nuser.0 buffers=2 bytes=4194304\n"), "%s",
		      ctx);
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert(strstr(m, "vgpu_user_buffers{uid=\"0\"} 2\n"));
	ck_assert(strstr(m, "vgpu_user_buffer_bytes{uid=\"0\"} 4194304\n"));
	close(q);
}
END_TEST

/* The worker stats text ST shows running KERNEL, or -1. */
static int worker_running(const char *st, const char *kernel)
{
	for (const char *p = st; (p = strstr(p, "\nworker.")); p++) {
		unsigned w;
		char k[32];
		if (sscanf(p, "\nworker.%u.kernel %31s", &w, k) == 2 &&
		    strcmp(k, kernel) == 0)
			return (int)w;
	}
	return -1;
}

/* Worker W's busy_seconds in stats text ST. */
static double worker_busy(const char *st, int w)
{
	char key[64];
	snprintf(key, sizeof(key), "\nworker.%d.busy_seconds ", w);
	const char *p = strstr(st, key);
	ck_assert_msg(p, "no %s in\n%s", key + 1, st);
	return strtod(p + strlen(key), NULL);
}

/*
 * A worker's busy time includes the tile it runs now: read again and again
 * during one long tile (log_softmax of one 14M-element row is one tile), it
 * grows with the time the tile has run, and never goes back.
 */
START_TEST(stats_busy_while_tile_runs)
{
	ck_assert_int_eq(buf_create(&d, "row", (14 << 20) * 4), 0);
	int q = queue_open(&d, 0);
	queue_send(q, "log_softmax x=row out=row rows=1 cols=14M");
	double first = 0, last = 0, t_first = 0, t_last = 0;
	int reads = 0;
	for (double until = now_seconds() + 30; now_seconds() < until;) {
		char *st = strdup(slurp(dpath(&d, "stats")));
		double t = now_seconds();
		int w = worker_running(st, "log_softmax");
		if (w >= 0) {
			double b = worker_busy(st, w);
			ck_assert_msg(reads == 0 || b >= last,
				      "busy went back from %.6f to %.6f", last,
				      b);
			if (reads++ == 0)
				first = b, t_first = t;
			last = b, t_last = t;
		}
		free(st);
		if (w < 0 && reads)
			break; /* the tile ended */
		usleep(2000);
	}
	char out[256];
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok log_softmax"), "%s", out);
	close(q);
	ck_assert_msg(reads >= 3, "saw the tile running %d times", reads);
	/* busy time is wall time in the tile: it grows as the clock does */
	ck_assert_msg(last - first >= (t_last - t_first) / 2 - 0.005,
		      "busy grew %.6f s in %.6f s of one tile (%d reads)",
		      last - first, t_last - t_first, reads);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    fixed_files,	  buffer_lifecycle,
	    mmap_and_io_coherent, vram_limit,
	    deferred_free,	  stats_count_work,
	    stats_memory,	  stats_busy_while_tile_runs,
	};
	return run_suite(suite_with_daemon("tree", setup, teardown, 60, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
