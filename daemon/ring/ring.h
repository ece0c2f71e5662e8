/*
 * A context's submission ring (vgpufs/ring_layout.h, docs/protocol.md):
 * shared memory the client fills with binary packets, and a poller thread
 * that takes them into the context as if they had been written to queue.
 * Completions go to the ring's completion ring instead of read().
 *
 * The ring lives in a sealed memfd (it can be neither shrunk nor grown)
 * that the daemon maps once: a client that unmaps, truncates or scribbles
 * over its ring can only hurt its own context.
 */
#ifndef VGPUFSD_RING_H
#define VGPUFSD_RING_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpufs/ring_layout.h>

#include "fs/cred.h"

struct context;

struct ring {
	struct context *ctx;
	struct vgpu_ring_header *hdr; /* the shared page: hostile */
	unsigned char *sq;
	struct vgpu_ring_completion *cq;
	char (*msgs)[VGPU_RING_MSG_MAX]; /* a message slot per record */
	struct cred cred;		 /* the creator's, for every packet */
	int backing_id;			 /* its passthrough registration */
	uint32_t head;		 /* bytes taken: the daemon's own count */
	_Atomic uint64_t posted; /* completion records posted */
	uint32_t published;	 /* ...and made visible (the context's lock) */
	_Atomic bool stop;	 /* the file is closed: the poller ends */
	bool drain;		 /* ...once it took what was submitted */
	_Atomic bool sleeping;	 /* the poller waits on the doorbell */
	/* packets wait for room (in the completion ring or the context):
	 * what is consumed or completed rings the doorbell */
	_Atomic bool stalled;
	bool taken_shown;  /* the header's workers_taken, our copy */
	bool broken;	   /* the ring cannot be read on */
	bool publish_late; /* held up after storing cq_tail (a test) */
};

/*
 * A new ring for CTX (binary from now on), its memfd in *FD (the caller
 * owns it). CRED is whom its packets act for. 0 or -errno.
 */
int ring_create(struct context *ctx, struct cred cred, int *fd,
		struct ring **out);
/* Starts its poller, which holds a reference to the context. 0 or -errno. */
int ring_start(struct ring *r);
/*
 * The file was closed: the poller ends soon (it never blocks long), with
 * DRAIN once it has taken the packets submitted before (as a write()
 * before close() was taken), else at once.
 */
void ring_stop(struct ring *r, bool drain);
/* Frees R (with its context, after the poller ended). */
void ring_free(struct ring *r);

/* A completion as ring_post() takes it: a record, then a message if any. */
#define RING_LINE_MAX (sizeof(struct vgpu_ring_completion) + VGPU_RING_MSG_MAX)
/* Formats a completion into LINE (RING_LINE_MAX bytes); returns its length. */
size_t ring_line(void *line, uint64_t tag, int err, uint16_t kernel,
		 uint64_t t_start_ns, uint64_t t_end_ns, const char *msg);
/*
 * Writes the completion LINE (LEN bytes, from ring_line()) of command SEQ
 * into its slot (in sequence order, the context's lock held); the client
 * sees it after ring_publish().
 */
void ring_post(struct ring *r, uint64_t seq, const void *line, size_t len);
/*
 * Writes the records of N commands FIRST_SEQ... that succeeded at time T
 * without doing any work (TAGS, KERNELS their tags and kernel ids), in
 * sequence order after the ones before (the context's lock held).
 */
void ring_post_run(struct ring *r, uint64_t first_seq, const uint64_t *tags,
		   const uint16_t *kernels, unsigned n, uint64_t t);
/*
 * Makes the records posted so far visible (one store of cq_tail) and wakes
 * a client sleeping for them (the context's lock held): once per batch.
 */
void ring_publish(struct ring *r);
/* Whether completions are posted that the client has not taken (poll). */
bool ring_unread(struct ring *r);
/* Room may have come free in the context: wakes a sleeping poller. */
void ring_kick(struct ring *r);

#endif
