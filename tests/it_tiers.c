/*
 * The RAM and disk tiers: placement by user.vgpu.tier and by a full RAM
 * tier, migration, capacity, kernels on disk-tier buffers, and the disk
 * tier's survival of a restart and of a SIGKILL. Each test starts its own
 * daemon with a disk tier in a fresh temporary directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vgpu/vgpu.h>

#include "harness.h"

#define TIER "user.vgpu.tier"
#define MiB  (1u << 20)

static struct daemon_proc d;
static char disk[64];
static bool running;

enum { ALICE = 4001, BOB = 4002 };

/* Starts the daemon on the test's disk directory with EXTRA options. */
static void start(const char *vram, const char *disk_size,
		  const char *const extra[])
{
	if (!disk[0]) {
		snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(disk));
	}
	const char *args[16] = {"--vram", vram,		 "--disk",
				disk,	  "--disk-size", disk_size};
	int n = 6;
	for (int i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	running = true;
}

static void stop(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	running = false;
}

static void crash(void)
{
	daemon_kill(&d);
	running = false;
}

static void teardown(void)
{
	int status = running ? daemon_stop(&d) : 0;
	running = false;
	if (disk[0]) {
		umount2(disk, MNT_DETACH); /* holes_on_a_full_disk's, if left */
		remove_tree(disk);
	}
	disk[0] = '\0';
	ck_assert_int_eq(status, 0); /* a clean stop: no leaks, no crash */
}

static const char *mem(const char *name)
{
	return mem_path(&d, name);
}

/* The tier of mem/NAME as getfattr shows it ("" if it has none). */
static const char *tier_of(const char *name)
{
	static char v[32];
	ssize_t n = getxattr(mem(name), TIER, v, sizeof(v) - 1);
	v[n > 0 ? n : 0] = '\0';
	return v;
}

static int set_tier(const char *name, const char *tier)
{
	return setxattr(mem(name), TIER, tier, strlen(tier), 0) < 0 ? -errno
								    : 0;
}

/* An empty buffer, created and closed. */
static void make_empty(const char *name)
{
	int fd = open(mem(name), O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	close(fd);
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* Fills mem/NAME (SIZE bytes, made by truncate(2)) with a pattern. */
static uint64_t write_pattern(const char *name, size_t size, unsigned seed)
{
	unsigned char *p = malloc(size);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
	int fd = open(mem(name), O_RDWR | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, p, size, 0), (ssize_t)size);
	close(fd);
	uint64_t h = fnv(p, size);
	free(p);
	return h;
}

static uint64_t checksum(const char *name, size_t *size)
{
	struct stat st;
	ck_assert_int_eq(stat(mem(name), &st), 0);
	unsigned char *p = malloc((size_t)st.st_size + 1);
	int fd = open(mem(name), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	uint64_t h = fnv(p, (size_t)st.st_size);
	free(p);
	if (size)
		*size = (size_t)st.st_size;
	return h;
}

/* The value of "KEY VALUE" in the stats file. */
static unsigned long long stat_value(const char *key)
{
	const char *s = slurp(dpath(&d, "stats"));
	char pat[80];
	snprintf(pat, sizeof(pat), "\n%s ", key);
	const char *p = strstr(s, pat);
	ck_assert_msg(p, "stats has no %s", key);
	return strtoull(p + strlen(pat), NULL, 10);
}

/*
 * Removes mem/NAME and waits until the tier's use (stats KEY) drops: the
 * space is freed when the kernel forgets the file, a little later.
 */
static void unlink_and_wait(const char *name, const char *key)
{
	unsigned long long used = stat_value(key);
	ck_assert_int_eq(unlink(mem(name)), 0);
	for (int i = 0; i < 300 && stat_value(key) >= used; i++)
		usleep(10000);
	ck_assert_uint_lt(stat_value(key), used);
}

static void expect_ok(const char *line)
{
	char out[512];
	run_line(&d, line, out, sizeof(out));
	ck_assert_msg(strstr(out, " ok "), "%s -> %s", line, out);
}

START_TEST(placement_by_xattr_on_buffer)
{
	start("4M", "16M", NULL);
	ck_assert_ptr_nonnull(
	    strstr(slurp(dpath(&d, "info")), "tiers: ram disk\n"));
	ck_assert_ptr_nonnull(
	    strstr(slurp(dpath(&d, "info")), "tier.disk.capacity: 16777216\n"));
	make_empty("a");
	ck_assert_str_eq(tier_of("a"), "ram");
	ck_assert_int_eq(set_tier("a", "disk"), 0);
	ck_assert_str_eq(tier_of("a"), "disk");
	uint64_t h = write_pattern("a", 100000, 1);
	ck_assert_uint_eq(checksum("a", NULL), h);
	ck_assert_uint_eq(stat_value("vram_disk_buffers"), 1);
	ck_assert_uint_eq(stat_value("vram_ram_buffers"), 0);
	/* listxattr names it; other names are not the device's */
	char list[64];
	ck_assert_int_eq(listxattr(mem("a"), list, sizeof(list)),
			 (ssize_t)sizeof(TIER));
	ck_assert_str_eq(list, TIER);
	ck_assert_int_eq(setxattr(mem("a"), "user.other", "x", 1, 0), -1);
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_int_eq(set_tier("a", "tape"), -EINVAL);
	/* hostile values: empty, too long, binary, a prefix */
	ck_assert_int_eq(set_tier("a", ""), -EINVAL);
	ck_assert_int_eq(set_tier("a", "diskdiskdiskdiskdisk"), -EINVAL);
	ck_assert_int_eq(setxattr(mem("a"), TIER, "dis\0k", 5, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(set_tier("a", "dis"), -EINVAL);
	ck_assert_int_eq(set_tier("a", "disk\n"), 0); /* echo's newline */
	ck_assert_int_eq(setxattr(mem("a"), TIER, "ram", 3, XATTR_CREATE), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(tier_of("a"), "disk");
	/* the fixed files have no tier */
	ck_assert_int_eq(setxattr(dpath(&d, "queue"), TIER, "disk", 4, 0), -1);
	ck_assert_int_eq(getxattr(dpath(&d, "info"), TIER, list, 8), -1);
	ck_assert_int_eq(errno, ENODATA);
	/* the backing file is in DIR, named by the inode number */
	struct stat st;
	ck_assert_int_eq(stat(mem("a"), &st), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/b%016llx", disk,
		 (unsigned long long)st.st_ino);
	ck_assert_int_eq(access(path, F_OK), 0);
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert_ptr_nonnull(
	    strstr(m, "vgpu_tier_buffers{tier=\"disk\"} 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(m, "vgpu_vram_capacity_bytes{tier=\"disk\"} 16777216\n"));
}
END_TEST

START_TEST(placement_by_directory)
{
	start("4M", "16M", NULL);
	ck_assert_int_eq(mkdir(mem("d"), 0755), 0);
	ck_assert_str_eq(tier_of("d"), ""); /* no default yet */
	ck_assert_int_eq(set_tier("d", "disk"), 0);
	ck_assert_str_eq(tier_of("d"), "disk");
	make_empty("d/x");
	ck_assert_str_eq(tier_of("d/x"), "disk");
	/* subdirectories made later inherit the default */
	ck_assert_int_eq(mkdir(mem("d/sub"), 0755), 0);
	ck_assert_str_eq(tier_of("d/sub"), "disk");
	make_empty("d/sub/y");
	ck_assert_str_eq(tier_of("d/sub/y"), "disk");
	/* without the default, buffers go to RAM again */
	ck_assert_int_eq(removexattr(mem("d"), TIER), 0);
	make_empty("d/z");
	ck_assert_str_eq(tier_of("d/z"), "ram");
	/* mem/ itself is everyone's: no default there */
	ck_assert_int_eq(setxattr(dpath(&d, "mem"), TIER, "disk", 4, 0), -1);
	ck_assert_int_eq(errno, EPERM);
}
END_TEST

static int list_tiers(const vgpu_entry *e, void *arg)
{
	char *seen = arg;
	snprintf(seen + strlen(seen), 128 - strlen(seen), "%s=%s ", e->name,
		 e->tier);
	return 0;
}

START_TEST(full_ram_spills_to_disk)
{
	start("1M", "16M", NULL);
	make_empty("big");
	ck_assert_int_eq(truncate(mem("big"), 3 * MiB), 0);
	ck_assert_str_eq(tier_of("big"), "disk");
	/* a buffer that fits stays in RAM */
	make_empty("small");
	ck_assert_int_eq(truncate(mem("small"), 64 * 1024), 0);
	ck_assert_str_eq(tier_of("small"), "ram");
	/* pinned by the xattr: no spilling, ENOSPC */
	make_empty("pinned");
	ck_assert_int_eq(set_tier("pinned", "ram"), 0);
	ck_assert_int_eq(truncate(mem("pinned"), 3 * MiB), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(tier_of("pinned"), "ram");
	/* RAM full: new buffers are placed on disk at once */
	ck_assert_int_eq(truncate(mem("small"), MiB), 0);
	make_empty("later");
	ck_assert_str_eq(tier_of("later"), "disk");
}
END_TEST

START_TEST(libvgpu_allocations_spill)
{
	start("1M", "16M", NULL);
	vgpu_device *dev;
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
	vgpu_buffer *b;
	ck_assert_int_eq(vgpu_buffer_create(dev, "big", 3 * MiB, 0600, &b), 0);
	ck_assert_str_eq(tier_of("big"), "disk");
	vgpu_buffer_close(b);
	/* vgpu_list shows each entry's tier */
	ck_assert_int_eq(mkdir(mem("d"), 0755), 0);
	ck_assert_int_eq(set_tier("d", "disk"), 0);
	char seen[128] = "";
	ck_assert_int_eq(vgpu_list(dev, NULL, list_tiers, seen), 0);
	ck_assert_str_eq(seen, "big=disk d=disk ");
	vgpu_close(dev);
}
END_TEST

/* Grows mem/NAME to SIZE through an open descriptor: 0 or -errno. */
static int grow_open(const char *name, off_t size)
{
	int fd = open(mem(name), O_RDWR | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	int rc = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

START_TEST(auto_tier_demotes_and_promotes)
{
	const char *extra[] = {"--auto-tier", NULL};
	start("4M", "16M", extra);
	uint64_t ha = write_pattern("a", 1536 * 1024, 1); /* oldest */
	usleep(2000);
	uint64_t hb = write_pattern("b", 1536 * 1024, 2);
	make_empty("pinned");
	ck_assert_int_eq(set_tier("pinned", "ram"), 0);
	ck_assert_int_eq(truncate(mem("pinned"), 512 * 1024), 0);
	/* an open buffer cannot move, but others make room for it */
	ck_assert_int_eq(grow_open("c", 1536 * 1024), 0);
	ck_assert_str_eq(tier_of("c"), "ram");
	ck_assert_str_eq(tier_of("a"), "disk"); /* least recently used */
	ck_assert_str_eq(tier_of("b"), "ram");
	ck_assert_str_eq(tier_of("pinned"), "ram");
	/* no room to come back: opened from disk, data intact */
	ck_assert_uint_eq(checksum("a", NULL), ha);
	ck_assert_str_eq(tier_of("a"), "disk");
	/* room again: the next open brings it back */
	unlink_and_wait("c", "vram_ram_used_bytes");
	ck_assert_uint_eq(checksum("a", NULL), ha);
	ck_assert_str_eq(tier_of("a"), "ram");
	ck_assert_uint_eq(checksum("b", NULL), hb);
	/* a mapped buffer is not demoted (b is now the oldest) */
	int fd = open(mem("b"), O_RDWR);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ck_assert_int_eq(grow_open("d", 1536 * 1024), 0);
	ck_assert_str_eq(tier_of("b"), "ram");
	ck_assert_str_eq(tier_of("a"), "disk");
	munmap(p, 4096);
	/* without room even so: ENOSPC as before */
	ck_assert_int_eq(grow_open("e", 8 * MiB), -ENOSPC);
	ck_assert_str_eq(tier_of("d"), "ram"); /* nobody moved for nothing */
}
END_TEST

START_TEST(full_ram_enospc_mode)
{
	const char *extra[] = {"--ram-full", "enospc", NULL};
	start("1M", "16M", extra);
	make_empty("big");
	ck_assert_int_eq(truncate(mem("big"), 3 * MiB), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(tier_of("big"), "ram");
	struct stat st;
	ck_assert_int_eq(stat(mem("big"), &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

START_TEST(migration_both_ways)
{
	start("8M", "16M", NULL);
	uint64_t h = write_pattern("m", 3 * MiB + 123, 7);
	ck_assert_int_eq(chmod(mem("m"), 0640), 0);
	ck_assert_int_eq(chown(mem("m"), ALICE, ALICE), 0);
	struct stat before, after;
	ck_assert_int_eq(stat(mem("m"), &before), 0);
	ck_assert_str_eq(tier_of("m"), "ram");
	unsigned long long ram_used = stat_value("vram_ram_used_bytes");
	ck_assert_int_eq(set_tier("m", "disk"), 0);
	ck_assert_str_eq(tier_of("m"), "disk");
	ck_assert_uint_lt(stat_value("vram_ram_used_bytes"), ram_used);
	ck_assert_uint_ge(stat_value("vram_disk_used_bytes"), 3 * MiB);
	size_t size;
	ck_assert_uint_eq(checksum("m", &size), h);
	ck_assert_uint_eq(size, 3 * MiB + 123);
	ck_assert_int_eq(stat(mem("m"), &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	ck_assert_uint_eq(after.st_mode, before.st_mode);
	ck_assert_uint_eq(after.st_uid, ALICE);
	ck_assert_int_eq(set_tier("m", "ram"), 0);
	ck_assert_str_eq(tier_of("m"), "ram");
	ck_assert_uint_eq(checksum("m", NULL), h);
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 0);
	ck_assert_int_eq(stat(mem("m"), &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	/* the disk file went with it */
	char path[128];
	snprintf(path, sizeof(path), "%s/b%016llx", disk,
		 (unsigned long long)after.st_ino);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(migration_busy)
{
	start("8M", "16M", NULL);
	write_pattern("b", 64 * 1024, 3);
	int fd = open(mem("b"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(set_tier("b", "disk"), -EBUSY);
	void *p =
	    mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	ck_assert_int_eq(set_tier("b", "disk"), -EBUSY); /* still mapped */
	munmap(p, 64 * 1024);
	/* a queued command holds it too: one waiting behind an event */
	int q = queue_open(&d, 0), sig = queue_open(&d, 0);
	queue_send(sig, "signal event=go value=1");
	char out[256];
	queue_recv(sig, out, sizeof(out));
	queue_send(q, "wait event=go value=2 timeout_ms=20000");
	queue_send(q, "fill buf=b value=2 n=16384");
	usleep(100000);
	ck_assert_int_eq(set_tier("b", "disk"), -EBUSY);
	queue_send(sig, "signal event=go value=2");
	queue_recv(sig, out, sizeof(out));
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, " ok "), "wait: %s", out);
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, " ok "), "fill: %s", out);
	close(q);
	close(sig);
	ck_assert_int_eq(set_tier("b", "disk"), 0);
	float v[4];
	buf_read(&d, "b", v, sizeof(v));
	ck_assert(v[0] == 2 && v[3] == 2);
}
END_TEST

static void *move_to_disk(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)set_tier("huge", "disk");
}

/*
 * A long move does not hold up the tree, and whatever tries to use the
 * buffer meanwhile is turned away with EBUSY or comes after the move.
 */
START_TEST(migration_while_used)
{
	start("160M", "160M", NULL);
	uint64_t h = write_pattern("huge", 96 * MiB, 11);
	make_empty("other");
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, move_to_disk, NULL), 0);
	unsigned opened = 0, refused = 0, failed_cmds = 0;
	for (int i = 0; i < 200; i++) {
		struct stat st;
		ck_assert_int_eq(stat(mem("other"), &st), 0);
		int fd = open(mem("huge"), O_RDONLY);
		if (fd >= 0) {
			opened++;
			close(fd);
		} else {
			ck_assert_int_eq(errno, EBUSY);
			refused++;
		}
		char out[256];
		run_line(&d, "fill buf=huge value=1 n=0", out, sizeof(out));
		if (!strstr(out, " ok ")) {
			ck_assert_msg(strstr(out, "EBUSY"), "fill: %s", out);
			failed_cmds++;
		}
	}
	void *rc;
	pthread_join(t, &rc);
	/* the move lost the race to an open (EBUSY), or won it whole */
	if ((intptr_t)rc == 0) {
		ck_assert_str_eq(tier_of("huge"), "disk");
	} else {
		ck_assert_int_eq((intptr_t)rc, -EBUSY);
		ck_assert_str_eq(tier_of("huge"), "ram");
	}
	ck_assert_uint_eq(checksum("huge", NULL), h);
	ck_assert_uint_eq(opened + refused, 200);
	fprintf(stderr, "move %s: %u opens, %u refused, %u commands refused\n",
		(intptr_t)rc ? "refused" : "done", opened, refused,
		failed_cmds);
}
END_TEST

/* A buffer of N floats f(i) in TIER, made by mmap. */
static float *map_floats(const char *name, const char *tier, size_t n,
			 float (*f)(size_t))
{
	make_empty(name);
	ck_assert_int_eq(set_tier(name, tier), 0);
	ck_assert_int_eq(truncate(mem(name), (off_t)(n * 4)), 0);
	int fd = open(mem(name), O_RDWR);
	float *p = mmap(NULL, n * 4, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (size_t i = 0; i < n && f; i++)
		p[i] = f(i);
	return p;
}

static float ramp(size_t i)
{
	return (float)(i % 17) - 8;
}

static float two(size_t i)
{
	(void)i;
	return 2;
}

START_TEST(kernels_on_disk_and_mixed)
{
	start("64M", "64M", NULL);
	enum { M = 70, K = 50, N = 40, L = 300000 };
	const char *tiers[][3] = {{"disk", "disk", "disk"},
				  {"ram", "disk", "ram"},
				  {"disk", "ram", "disk"}};
	for (int t = 0; t < 3; t++) {
		float *a = map_floats("A", tiers[t][0], M * K, ramp);
		float *b = map_floats("B", tiers[t][1], K * N, two);
		float *c = map_floats("C", tiers[t][2], M * N, NULL);
		expect_ok("gemm a=A b=B c=C m=70 n=40 k=50");
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				double s = 0;
				for (int p = 0; p < K; p++)
					s += a[i * K + p] * 2.0;
				ck_assert_msg(fabs(c[i * N + j] - s) < 1e-3,
					      "gemm %d: C[%d,%d]", t, i, j);
			}
		float *x = map_floats("x", tiers[t][0], L, ramp);
		float *y = map_floats("y", tiers[t][1], L, two);
		float *o = map_floats("o", tiers[t][2], 1, NULL);
		expect_ok("axpy x=x y=y alpha=3 n=300000");
		for (size_t i = 0; i < L; i += 997)
			ck_assert(y[i] == 3 * ramp(i) + 2);
		expect_ok("sum x=y out=o rows=1 cols=300000 axis=1");
		double s = 0;
		for (size_t i = 0; i < L; i++)
			s += 3 * ramp(i) + 2;
		ck_assert_msg(fabs(o[0] - s) < 1e-3 * (1 + fabs(s)),
			      "sum %g want %g", o[0], s);
		munmap(a, M * K * 4);
		munmap(b, K * N * 4);
		munmap(c, M * N * 4);
		munmap(x, L * 4);
		munmap(y, L * 4);
		munmap(o, 4);
		const char *names[] = {"A", "B", "C", "x", "y", "o"};
		for (int i = 0; i < 6; i++)
			ck_assert_int_eq(unlink(mem(names[i])), 0);
	}
	/* freed, once the kernel has forgotten the files */
	for (int i = 0; i < 300 && stat_value("vram_disk_used_bytes"); i++)
		usleep(10000);
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 0);
}
END_TEST

START_TEST(disk_capacity)
{
	start("1M", "4M", NULL);
	ck_assert_int_eq(mkdir(mem("d"), 0755), 0);
	ck_assert_int_eq(set_tier("d", "disk"), 0);
	make_empty("d/a");
	ck_assert_int_eq(truncate(mem("d/a"), 3 * MiB), 0);
	make_empty("d/b");
	ck_assert_int_eq(truncate(mem("d/b"), 2 * MiB), -1);
	ck_assert_int_eq(errno, ENOSPC);
	struct stat st;
	ck_assert_int_eq(stat(mem("d/b"), &st), 0);
	ck_assert_int_eq(st.st_size, 0);		/* as it was */
	ck_assert_int_eq(truncate(mem("d/b"), MiB), 0); /* exactly full */
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 4 * MiB);
	ck_assert_int_eq(truncate(mem("d/b"), MiB + 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	/* freeing makes room; migration into a full tier fails cleanly */
	unlink_and_wait("d/a", "vram_disk_used_bytes");
	write_pattern("r", 512 * 1024, 5);
	ck_assert_int_eq(truncate(mem("d/b"), 3 * MiB + 768 * 1024), 0);
	ck_assert_int_eq(set_tier("r", "disk"), -ENOSPC);
	ck_assert_str_eq(tier_of("r"), "ram");
}
END_TEST

/* Files, directories, owners, modes and a tier default to survive. */
static uint64_t make_tree(void)
{
	ck_assert_int_eq(mkdir(mem("proj"), 0750), 0);
	ck_assert_int_eq(chown(mem("proj"), ALICE, ALICE), 0);
	ck_assert_int_eq(set_tier("proj", "disk"), 0);
	ck_assert_int_eq(mkdir(mem("proj/run1"), 0700), 0);
	uint64_t h = write_pattern("proj/run1/w", 2 * MiB + 5, 9);
	ck_assert_int_eq(chmod(mem("proj/run1/w"), 0600), 0);
	ck_assert_int_eq(chown(mem("proj/run1/w"), ALICE, ALICE), 0);
	/* renamed after creation: the record follows */
	write_pattern("proj/tmp", 4096, 2);
	ck_assert_int_eq(rename(mem("proj/tmp"), mem("proj/run1/bias")), 0);
	write_pattern("volatile", 4096, 4); /* RAM */
	/* a rename over another disk buffer: one file, the mover's data */
	write_pattern("proj/victim", 8192, 5);
	write_pattern("proj/mover", 4096, 6);
	ck_assert_int_eq(rename(mem("proj/mover"), mem("proj/victim")), 0);
	return h;
}

static void check_tree(uint64_t h, unsigned disk_buffers)
{
	struct stat st;
	ck_assert_int_eq(stat(mem("proj"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_uint_eq(st.st_uid, ALICE);
	ck_assert_str_eq(tier_of("proj"), "disk");
	ck_assert_str_eq(tier_of("proj/run1"), "disk");
	ck_assert_int_eq(stat(mem("proj/run1/w"), &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0600);
	ck_assert_uint_eq(st.st_uid, ALICE);
	ck_assert_uint_eq(st.st_gid, ALICE);
	size_t size;
	ck_assert_uint_eq(checksum("proj/run1/w", &size), h);
	ck_assert_uint_eq(size, 2 * MiB + 5);
	ck_assert_int_eq(access(mem("proj/run1/bias"), F_OK), 0);
	ck_assert_int_eq(access(mem("proj/tmp"), F_OK), -1);
	ck_assert_int_eq(access(mem("proj/mover"), F_OK), -1);
	ck_assert_int_eq(stat(mem("proj/victim"), &st), 0);
	ck_assert_int_eq(st.st_size, 4096);
	/* RAM buffers are volatile, like a GPU's memory */
	ck_assert_int_eq(access(mem("volatile"), F_OK), -1);
	ck_assert_uint_eq(stat_value("vram_disk_buffers"), disk_buffers);
	/* new buffers do not reuse restored inode numbers */
	struct stat w, n;
	ck_assert_int_eq(stat(mem("proj/run1/w"), &w), 0);
	make_empty("new");
	ck_assert_int_eq(stat(mem("new"), &n), 0);
	ck_assert_uint_gt(n.st_ino, w.st_ino);
}

START_TEST(survives_restart)
{
	start("8M", "16M", NULL);
	uint64_t h = make_tree();
	stop();
	start("8M", "16M", NULL);
	check_tree(h, 3);
	/* and once more, after changes made on the restored tree */
	ck_assert_int_eq(chmod(mem("proj/run1/w"), 0640), 0);
	ck_assert_int_eq(unlink(mem("proj/run1/bias")), 0);
	stop();
	start("8M", "16M", NULL);
	struct stat st;
	ck_assert_int_eq(stat(mem("proj/run1/w"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(access(mem("proj/run1/bias"), F_OK), -1);
}
END_TEST

START_TEST(survives_sigkill)
{
	start("8M", "16M", NULL);
	uint64_t h = make_tree();
	/* a command's result, completed just before the crash */
	ck_assert_int_eq(mkdir(mem("k"), 0755), 0);
	ck_assert_int_eq(set_tier("k", "disk"), 0);
	make_empty("k/out");
	ck_assert_int_eq(truncate(mem("k/out"), 4 * 100000), 0);
	expect_ok("fill buf=k/out value=3.5 n=100000");
	crash();
	start("8M", "16M", NULL);
	check_tree(h, 4);
	float *want = malloc(4 * 100000);
	for (int i = 0; i < 100000; i++)
		want[i] = 3.5f;
	size_t size;
	ck_assert_uint_eq(checksum("k/out", &size),
			  fnv((unsigned char *)want, 4 * 100000));
	ck_assert_uint_eq(size, 4 * 100000);
	free(want);
}
END_TEST

/* Without syncing at completions, a SIGKILL still loses nothing. */
START_TEST(disk_sync_none_survives_sigkill)
{
	const char *extra[] = {"--disk-sync", "none", NULL};
	start("8M", "16M", extra);
	make_empty("out");
	ck_assert_int_eq(set_tier("out", "disk"), 0);
	ck_assert_int_eq(truncate(mem("out"), 4 * 1000), 0);
	expect_ok("fill buf=out value=-2 n=1000");
	crash();
	start("8M", "16M", extra);
	float v[1000];
	buf_read(&d, "out", v, sizeof(v));
	for (int i = 0; i < 1000; i++)
		ck_assert(v[i] == -2);
}
END_TEST

/* As BOB: reading ALICE's private restored buffer must fail both ways. */
static int bob_reads(void)
{
	int fd = open(mem("proj/run1/w"), O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 1;
	/* a command naming it is refused too (proj is 0750: not searchable) */
	int q = open(dpath(&d, "queue"), O_RDWR);
	if (q < 0)
		return 2;
	const char *line = "copy src=proj/run1/w dst=mine bytes=4\n";
	if (write(q, line, strlen(line)) != (ssize_t)strlen(line))
		return 3;
	char out[256];
	ssize_t r = read(q, out, sizeof(out) - 1);
	close(q);
	out[r > 0 ? r : 0] = '\0';
	return strstr(out, " err EACCES") ? 0 : 4;
}

START_TEST(restored_permissions_enforced)
{
	start("8M", "16M", NULL);
	make_tree();
	stop();
	start("8M", "16M", NULL);
	make_empty("mine");
	ck_assert_int_eq(chmod(mem("mine"), 0666), 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(BOB, BOB, BOB) < 0 ||
		    setresuid(BOB, BOB, BOB) < 0)
			_exit(100);
		_exit(bob_reads());
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Plants DIR/<KIND><INO> with RECORD as its record. */
static void plant(char kind, unsigned long long ino, const char *record)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%c%016llx", disk, kind, ino);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(
	    setxattr(path, "user.vgpufs.node", record, strlen(record), 0), 0);
}

#define REC(kind, parent, mode, name)                                          \
	"vgpufs-node 1\nkind=" kind "\nparent=" parent                         \
	"\nuid=0\ngid=0\nmode=" mode "\ndefault=-\npinned=0\nname=" name

START_TEST(bad_entries_skipped)
{
	start("8M", "16M", NULL);
	write_pattern("keep", 8192, 1);
	write_pattern("bad", 8192, 2);
	ck_assert_int_eq(set_tier("keep", "disk"), 0);
	ck_assert_int_eq(set_tier("bad", "disk"), 0);
	uint64_t h = checksum("keep", NULL);
	struct stat st;
	ck_assert_int_eq(stat(mem("bad"), &st), 0);
	stop();
	/* a garbled record, a file without one, and a stranger's file */
	char path[128];
	snprintf(path, sizeof(path), "%s/b%016llx", disk,
		 (unsigned long long)st.st_ino);
	ck_assert_int_eq(setxattr(path, "user.vgpufs.node", "garbage", 7, 0),
			 0);
	snprintf(path, sizeof(path), "%s/b%016llx", disk, 0x7777ULL);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/d%016llx", disk, 0x7778ULL);
	ck_assert_int_eq(mkfifo(path, 0600), 0); /* must not block the start */
	/* well-formed records that lie */
	plant('b', 0x8001, REC("buf", "3", "100644", "a/b"));	/* a slash */
	plant('b', 0x8002, REC("dir", "3", "40755", "kind"));	/* not a b */
	plant('b', 0x8003, REC("buf", "3", "40755", "mode"));	/* a dir mode */
	plant('b', 0x8004, REC("buf", "3", "1100644", "bits")); /* extra bits */
	plant('b', 0x8005, REC("buf", "3", "100644", ".."));
	plant('b', 0x8006, REC("buf", "3", "100644", "keep"));	   /* taken */
	plant('d', 0x8007, REC("dir", "32776", "40755", "loop1")); /* 0x8008 */
	plant('d', 0x8008, REC("dir", "32775", "40755", "loop2")); /* 0x8007 */
	plant('d', 0x8009, REC("dir", "1001", "40755", "under")); /* a buffer */
	plant('d', 0x800a, REC("dir", "3", "40700", "fine"));	  /* good */
	snprintf(path, sizeof(path), "%s/README", disk);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	start("8M", "16M", NULL);
	/* only the honest one is there */
	const char *names[] = {"a", "kind", "mode", "bits", "loop1", "under"};
	for (int i = 0; i < 6; i++)
		ck_assert_msg(access(mem(names[i]), F_OK) < 0, "%s", names[i]);
	ck_assert_int_eq(stat(mem("fine"), &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0700);
	ck_assert_uint_eq(checksum("keep", NULL), h);
	ck_assert_int_eq(access(mem("bad"), F_OK), -1);
	ck_assert_uint_eq(stat_value("vram_disk_buffers"), 1);
	/* skipped files are left alone, and their numbers are not reused */
	ck_assert_int_eq(access(path, F_OK), 0);
	make_empty("fresh");
	ck_assert_int_eq(stat(mem("fresh"), &st), 0);
	ck_assert_uint_gt(st.st_ino, 0x800a);
}
END_TEST

START_TEST(docs_example)
{
	start("16M", "64M", NULL);
	const char *docs = getenv("VGPUFS_DOCS");
	ck_assert_msg(docs, "VGPUFS_DOCS is not set");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sh %s/examples/tiers.sh %s", docs, d.mnt);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(writes_past_the_end_counted)
{
	start("8M", "16M", NULL);
	make_empty("w");
	ck_assert_int_eq(set_tier("w", "disk"), 0);
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 0);
	write_pattern("w", 100000, 1); /* write() grows it, not the daemon */
	ck_assert_uint_ge(stat_value("vram_disk_used_bytes"), 100000);
}
END_TEST

/* A second daemon on the same disk directory is refused. */
START_TEST(disk_dir_in_use)
{
	start("8M", "16M", NULL);
	char mnt[] = "/tmp/vgpufs-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(mnt));
	pid_t pid = fork();
	if (pid == 0) {
		execl(getenv("VGPUFSD"), "vgpufsd", "--foreground",
		      "--log-level", "error", "--disk", disk, mnt,
		      (char *)NULL);
		_exit(127);
	}
	int status = 0;
	bool exited = false;
	for (int i = 0; i < 500 && !exited; i++, usleep(10000))
		exited = waitpid(pid, &status, WNOHANG) == pid;
	if (!exited) { /* it serves: stop it, leave no mount behind */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		umount2(mnt, MNT_DETACH);
	}
	rmdir(mnt);
	ck_assert_msg(exited, "a second daemon started on the same --disk");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
}
END_TEST

START_TEST(missing_disk_dir_created)
{
	snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(disk));
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/a/vgpu7", disk);
	const char *args[] = {"--disk", sub, NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	running = true;
	struct stat st;
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_ptr_nonnull(
	    strstr(slurp(dpath(&d, "info")), "tiers: ram disk\n"));
}
END_TEST

/* fallocate(MODE, OFF, LEN) on mem/NAME: 0 or -errno. */
static int falloc(const char *name, int mode, off_t off, off_t len)
{
	int fd = open(mem(name), O_RDWR);
	ck_assert_int_ge(fd, 0);
	int rc = fallocate(fd, mode, off, len) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* fallocate on the disk tier is counted against --disk-size like truncate. */
START_TEST(disk_fallocate_counted)
{
	start("1M", "4M", NULL);
	ck_assert_int_eq(mkdir(mem("d"), 0755), 0);
	ck_assert_int_eq(set_tier("d", "disk"), 0);
	make_empty("d/a");
	ck_assert_int_eq(falloc("d/a", 0, MiB, 2 * MiB), 0);
	struct stat st;
	ck_assert_int_eq(stat(mem("d/a"), &st), 0);
	ck_assert_int_eq(st.st_size, 3 * MiB);
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 3 * MiB);
	ck_assert_int_eq(falloc("d/a", 0, 0, 5 * MiB), -ENOSPC);
	ck_assert_int_eq(stat(mem("d/a"), &st), 0);
	ck_assert_int_eq(st.st_size, 3 * MiB); /* as it was */
	/* space kept past the end would go uncounted: only within the size */
	ck_assert_int_eq(falloc("d/a", FALLOC_FL_KEEP_SIZE, 0, 8 * MiB), 0);
	ck_assert_int_eq(stat(mem("d/a"), &st), 0);
	ck_assert_int_eq(st.st_size, 3 * MiB);
	ck_assert_int_le(st.st_blocks * 512, 3 * MiB + 64 * 1024);
	ck_assert_uint_eq(stat_value("vram_disk_used_bytes"), 3 * MiB);
}
END_TEST

/*
 * Mounts a small ext4 file system of its own (a loop device) on the disk
 * directory; false when this machine cannot (no loop devices, no mkfs).
 */
static bool small_disk(const char *img)
{
	snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(disk));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 24M %s && mkfs.ext4 -q -F -m 0 %s && "
		 "mount -o loop %s %s",
		 img, img, img, disk);
	return system(cmd) == 0;
}

/* Waits until the disk tier's file system has BYTES free. */
static void wait_disk_room(uint64_t bytes)
{
	struct statvfs sv;
	for (int i = 0; i < 300; i++) {
		ck_assert_int_eq(statvfs(disk, &sv), 0);
		if ((uint64_t)sv.f_bavail * sv.f_frsize >= bytes)
			return;
		usleep(10000);
	}
	ck_abort_msg("the disk tier's space did not come back");
}

/* Writes to a new disk-tier buffer NAME until the file system is full. */
static int fill_disk(const char *name)
{
	make_empty(name);
	ck_assert_int_eq(set_tier(name, "disk"), 0);
	int fd = open(mem(name), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ssize_t last;
	write_until_full(fd, 0, &last);
	ck_assert_int_eq(errno, ENOSPC);
	return fd;
}

/*
 * The disk tier's file system itself full (not --disk-size): a command
 * writing a hole of a disk-tier buffer is refused before it runs, and a
 * hole punched under a queued one (a write into a hole of a full ext4
 * faults) fails it with EFAULT, not the daemon.
 */
START_TEST(holes_on_a_full_disk)
{
	char img[] = "/tmp/vgpufs-img-XXXXXX";
	int ifd = mkstemp(img);
	ck_assert_int_ge(ifd, 0);
	close(ifd);
	if (!small_disk(img)) {
		fprintf(stderr, "holes_on_a_full_disk: skipped, no loop "
				"mount of ext4 here\n");
		unlink(img);
		return;
	}
	start("64M", "1G", NULL);
	/* 1 MiB of holes but its last element, on the disk tier (mapped) */
	make_empty("h");
	ck_assert_int_eq(set_tier("h", "disk"), 0);
	int fd = open(mem("h"), O_RDWR);
	ck_assert_int_eq(pwrite(fd, "\0\0\0\0", 4, MiB - 4), 4);
	int hog = fill_disk("hog");
	char out[512];
	run_line(&d, "fill buf=h value=1 n=256K", out, sizeof(out));
	ck_assert_str_eq(out, "1 err ENOSPC: fill: buf: the disk tier is full "
			      "(the buffer has unallocated pages: it was "
			      "written sparsely, grown by writing past its "
			      "end or had a hole punched into it)");
	close(hog);
	ck_assert_int_eq(unlink(mem("hog")), 0);
	wait_disk_room(2 * MiB);
	/* populated when queued, the hole punched and the disk full after */
	int q = queue_open(&d, 0);
	queue_send(q, "wait event=go timeout_ms=20000");
	queue_send(q, "fill buf=h value=2 n=256K");
	float *m = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(madvise(m, MiB, MADV_REMOVE), 0);
	hog = fill_disk("hog");
	run_line(&d, "signal event=go", out, sizeof(out));
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok wait"), "%s", out);
	queue_recv(q, out, sizeof(out));
	ck_assert_str_eq(out,
			 "2 err EFAULT: fill: a page of a buffer could not "
			 "be provided (a hole punched into it, and the "
			 "tier full)");
	/* with room again the same command works */
	close(hog);
	ck_assert_int_eq(unlink(mem("hog")), 0);
	wait_disk_room(2 * MiB);
	queue_send(q, "fill buf=h value=3 n=256K");
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, "3 ok fill"), "%s", out);
	ck_assert(m[0] == 3 && m[MiB / 4 - 1] == 3);
	munmap(m, MiB);
	close(fd);
	close(q);
	stop();
	ck_assert_int_eq(umount(disk), 0);
	unlink(img);
}
END_TEST

/* Field FIELD= of the stats line of user UID; -1 if there is none. */
static long long user_field(unsigned uid, const char *field)
{
	const char *s = slurp(dpath(&d, "stats"));
	char pat[64];
	snprintf(pat, sizeof(pat), "\nuser.%u ", uid);
	const char *line = strstr(s, pat);
	if (!line)
		return -1;
	const char *end = strchr(line + 1, '\n');
	snprintf(pat, sizeof(pat), " %s=", field);
	const char *p = strstr(line, pat);
	return p && p < end ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static int alice_overfills(void)
{
	int fd = open(mem("over"), O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	/* her quota is full: EDQUOT, not a spill to the disk tier */
	if (truncate(mem("over"), 5 * MiB) == 0 || errno != EDQUOT)
		return 2;
	return strcmp(tier_of("over"), "ram") != 0 ? 3 : 0;
}

/*
 * --user-quota is the RAM tier's: a buffer moved into RAM lands in its
 * owner's part and must fit in it, one moved out gives it back, and a
 * full quota is EDQUOT without spilling. The disk tier has no quotas.
 */
START_TEST(quota_and_tiers)
{
	const char *extra[] = {"--user-quota", "4M", NULL};
	start("32M", "64M", extra);
	uint64_t h = write_pattern("m", 3 * MiB, 5);
	write_pattern("n", 2 * MiB, 6);
	ck_assert_int_eq(set_tier("m", "disk"), 0);
	ck_assert_int_eq(set_tier("n", "disk"), 0);
	/* on disk, full buffers change owner freely (no quota there) */
	ck_assert_int_eq(chown(mem("m"), ALICE, ALICE), 0);
	ck_assert_int_eq(chown(mem("n"), ALICE, ALICE), 0);
	ck_assert_int_eq(user_field(ALICE, "quota_used"), 0);
	ck_assert_int_eq(user_field(ALICE, "quota"), 4 * MiB);
	ck_assert_int_eq(user_field(0, "quota"), -1); /* root has none */
	/* into RAM: alice's part */
	ck_assert_int_eq(set_tier("m", "ram"), 0);
	ck_assert_int_eq(user_field(ALICE, "quota_used"), 3 * MiB);
	ck_assert_uint_eq(checksum("m", NULL), h);
	/* the next one does not fit her quota: EDQUOT, left on disk */
	ck_assert_int_eq(set_tier("n", "ram"), -EDQUOT);
	ck_assert_str_eq(tier_of("n"), "disk");
	ck_assert_int_eq(user_field(ALICE, "quota_used"), 3 * MiB);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_overfills), 0);
	/* out of RAM: her part is free again */
	ck_assert_int_eq(set_tier("m", "disk"), 0);
	ck_assert_int_eq(user_field(ALICE, "quota_used"), 0);
	ck_assert_int_eq(set_tier("n", "ram"), 0);
	ck_assert_int_eq(user_field(ALICE, "quota_used"), 2 * MiB);
	ck_assert_uint_eq(checksum("m", NULL), h);
}
END_TEST

START_TEST(no_disk_tier)
{
	/* a mount point not named vgpuN has no default disk tier */
	const char *plain[] = {"--vram", "4M", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, plain);
	running = true;
	ck_assert_ptr_nonnull(strstr(slurp(dpath(&d, "info")), "tiers: ram\n"));
	stop();
	const char *args[] = {"--vram", "4M", "--disk", "none", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	running = true;
	ck_assert_ptr_nonnull(strstr(slurp(dpath(&d, "info")), "tiers: ram\n"));
	make_empty("a");
	ck_assert_int_eq(set_tier("a", "disk"), -ENODEV);
	ck_assert_str_eq(tier_of("a"), "ram");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {placement_by_xattr_on_buffer,
				placement_by_directory,
				full_ram_spills_to_disk,
				libvgpu_allocations_spill,
				auto_tier_demotes_and_promotes,
				full_ram_enospc_mode,
				migration_both_ways,
				migration_busy,
				migration_while_used,
				kernels_on_disk_and_mixed,
				disk_capacity,
				survives_restart,
				survives_sigkill,
				disk_sync_none_survives_sigkill,
				restored_permissions_enforced,
				bad_entries_skipped,
				docs_example,
				writes_past_the_end_counted,
				disk_dir_in_use,
				missing_disk_dir_created,
				quota_and_tiers,
				disk_fallocate_counted,
				holes_on_a_full_disk,
				no_disk_tier};
	return run_suite(suite_with_daemon("tiers", NULL, teardown, 120, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
