/*
 * Replies held back until the virtual bus (bus.h) would have finished the
 * transfer they stand for: an open of a buffer waits for its copy to the
 * host, a close for its copy to the device. A held reply holds no FUSE
 * thread and no lock: one thread of its own answers it when due, so other
 * requests, and other clients, go on meanwhile.
 */
#ifndef VGPUFSD_BUS_PACE_H
#define VGPUFSD_BUS_PACE_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Undoes an open whose caller is gone before its held answer was sent
 * (fuse_reply_open() failed): as a release of INO with handle FH would.
 */
typedef void bus_pace_cancel_fn(struct fuse_session *se, fuse_ino_t ino,
				uint64_t fh);

/* Starts the thread (only with a bus); 0 or -errno. */
int bus_pace_start(struct fuse_session *se, bus_pace_cancel_fn *cancel);
/*
 * Answers REQ with fuse_reply_open(FI) at DUE_NS (now_ns() clock), or
 * with fuse_reply_err(REQ, 0) when FI is NULL. False when it cannot be
 * held (not started, stopping, out of memory, or due already): then the
 * caller answers at once.
 */
bool bus_pace_reply(fuse_req_t req, const struct fuse_file_info *fi,
		    fuse_ino_t ino, uint64_t due_ns);
/*
 * At shutdown, while the FUSE loop still runs: answers what is held at
 * once, and holds nothing from then on.
 */
void bus_pace_drain(void);
/*
 * After the loop has ended: what is still held (the loop ended by an
 * unmount, without a drain) is dropped unanswered, its opens undone.
 */
void bus_pace_stop(void);
/*
 * Ends the thread; after the session is destroyed, as the ring entries
 * it answered wait for their next request on its behalf (reply.h).
 */
void bus_pace_join(void);

#endif
