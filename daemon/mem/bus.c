#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpufs/text_proto.h>

#include "mem/bus.h"

/*
 * Effective rates, not raw signalling rates: what a large pinned copy
 * reaches in practice (docs/bus.md gives the sources and the arithmetic).
 */
static const struct bus_profile {
	const char *name;
	uint64_t bandwidth; /* bytes per second */
	uint64_t latency_ns;
} bus_profiles[] = {
    {"pcie3x16", 12000000000ull, 1000}, /* 15.75 GB/s raw */
    {"pcie4x16", 25000000000ull, 1000}, /* 31.5 GB/s raw */
    {"pcie5x16", 50000000000ull, 1000}, /* 63 GB/s raw */
    {"usb3", 400000000ull, 50000},	/* 5 Gbit/s, 8b/10b: 500 MB/s */
    {"nvme", 3000000000ull, 80000},	/* PCIe 3.0 x4 SSD, flash read */
};

static struct {
	pthread_mutex_t lock;
	bool on;
	char profile[32];
	uint64_t bandwidth, latency_ns;
	uint64_t free_at[BUS_DIR_COUNT]; /* the link is busy until then */
	struct bus_dir_stats dir[BUS_DIR_COUNT];
} B = {.lock = PTHREAD_MUTEX_INITIALIZER, .profile = "none"};

static const char *const dir_names[BUS_DIR_COUNT] = {"h2d", "d2h", "tier_in",
						     "tier_out"};

const char *bus_dir_name(enum bus_dir dir)
{
	return dir < BUS_DIR_COUNT ? dir_names[dir] : "-";
}

/* "250us", "1ms", "0", "2s", "100ns": a unit is needed but for 0. */
static int parse_duration(const char *s, size_t len, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
	    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
	size_t digits = 0;
	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits > 12)
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	const char *u = s + digits;
	size_t ulen = len - digits;
	if (ulen == 0 && v == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].unit) == ulen &&
		    memcmp(u, units[i].unit, ulen) == 0) {
			if (v > 60ull * 1000000000 / units[i].ns)
				return -EINVAL; /* over a minute: a typo */
			*out = v * units[i].ns;
			return 0;
		}
	return -EINVAL;
}

/* "custom:bw=SIZE[/s],lat=DURATION", both keys, in either order. */
static int parse_custom(const char *s, uint64_t *bw, uint64_t *lat)
{
	bool have_bw = false, have_lat = false;
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *eq = memchr(s, '=', len);
		if (!eq)
			return -EINVAL;
		size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
		const char *v = eq + 1;
		if (klen == 2 && memcmp(s, "bw", 2) == 0 && !have_bw) {
			int64_t b;
			if (vlen > 2 && memcmp(v + vlen - 2, "/s", 2) == 0)
				vlen -= 2;
			if (vgpu_parse_int(v, vlen, &b) < 0 || b <= 0)
				return -EINVAL;
			*bw = (uint64_t)b;
			have_bw = true;
		} else if (klen == 3 && memcmp(s, "lat", 3) == 0 && !have_lat) {
			if (parse_duration(v, vlen, lat) < 0)
				return -EINVAL;
			have_lat = true;
		} else {
			return -EINVAL;
		}
		s += len;
		if (*s == ',' && *++s == '\0')
			return -EINVAL; /* a trailing comma */
	}
	return have_bw && have_lat ? 0 : -EINVAL;
}

int bus_init(const char *spec)
{
	const char *name = spec;
	uint64_t bw = 0, lat = 0;
	if (!spec || strcmp(spec, "none") == 0) {
		pthread_mutex_lock(&B.lock);
		B.on = false;
		snprintf(B.profile, sizeof(B.profile), "none");
		B.bandwidth = B.latency_ns = 0;
		pthread_mutex_unlock(&B.lock);
		return 0;
	}
	if (strncmp(spec, "custom:", 7) == 0) {
		if (parse_custom(spec + 7, &bw, &lat) < 0)
			return -EINVAL;
		name = "custom";
	} else {
		size_t i = 0,
		       n = sizeof(bus_profiles) / sizeof(bus_profiles[0]);
		while (i < n && strcmp(spec, bus_profiles[i].name) != 0)
			i++;
		if (i == n)
			return -EINVAL;
		bw = bus_profiles[i].bandwidth;
		lat = bus_profiles[i].latency_ns;
	}
	pthread_mutex_lock(&B.lock);
	B.on = true;
	snprintf(B.profile, sizeof(B.profile), "%s", name);
	B.bandwidth = bw;
	B.latency_ns = lat;
	memset(B.free_at, 0, sizeof(B.free_at));
	memset(B.dir, 0, sizeof(B.dir));
	pthread_mutex_unlock(&B.lock);
	return 0;
}

const char *bus_profile_names(void)
{
	return "pcie3x16, pcie4x16, pcie5x16, usb3, nvme";
}

bool bus_enabled(void)
{
	return B.on; /* set once at start, before the threads */
}

uint64_t bus_schedule(enum bus_dir dir, uint64_t bytes, uint64_t start_ns)
{
	if (!B.on || dir >= BUS_DIR_COUNT)
		return start_ns;
	/* latency + bytes / bandwidth, rounded to the nearest ns */
	unsigned __int128 x = (unsigned __int128)bytes * 1000000000u;
	uint64_t service =
	    B.latency_ns + (uint64_t)((x + B.bandwidth / 2) / B.bandwidth);
	pthread_mutex_lock(&B.lock);
	uint64_t begin = B.free_at[dir] > start_ns ? B.free_at[dir] : start_ns;
	uint64_t end = begin + service;
	B.free_at[dir] = end;
	struct bus_dir_stats *d = &B.dir[dir];
	d->bytes += bytes;
	d->transfers++;
	d->modelled_ns += service;
	d->waited_ns += end - start_ns;
	pthread_mutex_unlock(&B.lock);
	return end;
}

void bus_account_real(enum bus_dir dir, uint64_t real_ns)
{
	if (!B.on || dir >= BUS_DIR_COUNT)
		return;
	pthread_mutex_lock(&B.lock);
	B.dir[dir].real_ns += real_ns;
	pthread_mutex_unlock(&B.lock);
}

static _Thread_local struct {
	bool on;
	uint64_t until;
} deferred;

void bus_defer_begin(void)
{
	deferred.on = true;
	deferred.until = 0;
}

uint64_t bus_defer_end(void)
{
	deferred.on = false;
	return deferred.until;
}

void bus_wait_until(uint64_t t_ns)
{
	if (deferred.on) {
		if (t_ns > deferred.until)
			deferred.until = t_ns;
		return;
	}
	struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u),
			      .tv_nsec = (long)(t_ns % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bus_stats_read(struct bus_stats *s)
{
	pthread_mutex_lock(&B.lock);
	s->enabled = B.on;
	snprintf(s->profile, sizeof(s->profile), "%s", B.profile);
	s->bandwidth = B.bandwidth;
	s->latency_ns = B.latency_ns;
	memcpy(s->dir, B.dir, sizeof(s->dir));
	pthread_mutex_unlock(&B.lock);
}
