/*
 * libvgpu's side of a submission ring (vgpufs/ring_layout.h): created
 * under the device's rings/, mapped, filled with packets; completions are
 * taken from its completion ring, spinning briefly and then sleeping on a
 * futex. A stream uses one when the device has rings/.
 */
#ifndef VGPU_RING_H
#define VGPU_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/ring_layout.h>

struct ring_client;

/*
 * How long a waiting client spins before it sleeps, by default, on a
 * machine of two CPUs or more: at least RING_CLIENT_SPIN_NS, up to
 * RING_CLIENT_SPIN_MAX_NS when the daemon's answers come later than that
 * (its poller's wake-up, a worker's: vgpufs/ring_spin.h).
 */
#define RING_CLIENT_SPIN_NS	(20 * 1000)
#define RING_CLIENT_SPIN_MAX_NS (100 * 1000)

/* Creates a ring on the device at DIRFD: 0 or -errno. */
int ring_client_open(int dirfd, struct ring_client **out);
void ring_client_close(struct ring_client *rc);
int ring_client_fd(const struct ring_client *rc);
/* The default spin (VGPU_WAIT_AUTO): RING_CLIENT_SPIN_NS, or 0 on one CPU. */
uint64_t ring_client_auto_spin(void);
/*
 * How a waiting thread waits: spin for at least SPIN_NS (up to
 * RING_CLIENT_SPIN_MAX_NS as it adapts), then sleep (0: sleep at once;
 * UINT64_MAX: never sleep), calling sched_yield() in the spin with YIELD.
 */
void ring_client_set_wait(struct ring_client *rc, uint64_t spin_ns, bool yield);

/*
 * Copies the packets of DATA (LEN bytes of whole packets) into the ring
 * while it has room and makes them visible; returns the bytes taken (0
 * when full).
 */
size_t ring_client_submit(struct ring_client *rc, const char *data, size_t len);
/*
 * Takes up to MAX completion records into OUT (copied in bulk: record I
 * is that of the command after the one of record I - 1), and the message
 * of each failed one into MSGS[I], waiting up to TIMEOUT_MS for one (-1:
 * as long as it takes; 0: not at all). Returns how many, or -EPROTO (the
 * ring is broken: ring_client_error() says why), -ENOTCONN (the daemon is
 * gone).
 */
int ring_client_take(struct ring_client *rc, struct vgpu_ring_completion *out,
		     char (*msgs)[VGPU_RING_MSG_MAX], int max, int timeout_ms);
const char *ring_client_error(const struct ring_client *rc);

#endif
