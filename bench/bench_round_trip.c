#include <unistd.h>

#include "bench_harness.h"
#include "bench_round_trip.h"

void round_trips(int fd, const struct message *m, double *lat, int n)
{
	char buf[256];
	size_t want = m->read_len < sizeof(buf) ? m->read_len : sizeof(buf);
	for (int i = 0; i < n; i++) {
		double t0 = now();
		if (write(fd, m->data, m->len) != (ssize_t)m->len ||
		    read(fd, buf, want) <= 0)
			die("round trip");
		lat[i] = (now() - t0) * 1e6;
	}
}

int alternate(int fa, const struct message *a, double *la, int fb,
	      const struct message *b, double *lb, int n)
{
	enum { BLOCKS = 20 };
	round_trips(fa, a, la, n / 10); /* warm-up */
	round_trips(fb, b, lb, n / 10);
	int per = n / BLOCKS;
	for (int k = 0; k < BLOCKS; k++) {
		round_trips(fa, a, la + k * per, per);
		round_trips(fb, b, lb + k * per, per);
	}
	return per * BLOCKS;
}
