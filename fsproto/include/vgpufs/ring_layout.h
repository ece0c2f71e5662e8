/*
 * The submission ring's layout (docs/protocol.md, "Rings"), shared by the
 * daemon and libvgpu. A ring is a file the client creates under rings/ and
 * maps: a header page, a submission ring of binary-protocol packets, a
 * completion ring of compact completion records and, beside it, a message
 * slot for each record, written only when its command failed. Submitting
 * is copying packets in and advancing sq_tail; no system call while the
 * daemon's poller is awake.
 *
 * Version 2 made completion records 32 bytes (version 1 copied 256, the
 * message included, for every command: 5 GB/s at 20 M commands/s); a
 * version 1 client sees version 2 in the header and refuses the ring.
 * Version 3 rings the doorbell after consuming completions only when the
 * poller sleeps for room (VGPU_RING_SLEEPS_FOR_ROOM), and tells clients
 * when spinning would take a worker's CPU (workers_taken).
 *
 * Each index has one writer. The daemon keeps its own copy of what it
 * writes and never reads those fields back: the client may scribble over
 * the whole file, and hurts only its own ring.
 */
#ifndef VGPUFS_RING_LAYOUT_H
#define VGPUFS_RING_LAYOUT_H

#include <stdint.h>

#include "binary_proto.h"

#define VGPU_RING_MAGIC	     UINT64_C(0x31474e5255504756) /* "VGPURNG1" */
#define VGPU_RING_VERSION    3
#define VGPU_RING_HEADER     4096
#define VGPU_RING_SQ_BYTES   (64u * 1024) /* a power of two */
#define VGPU_RING_CQ_ENTRIES 1024u	  /* a power of two */
#define VGPU_RING_MSG_MAX    216	  /* a message slot, NUL included */
#define VGPU_RING_SQ_OFFSET  VGPU_RING_HEADER
#define VGPU_RING_CQ_OFFSET  (VGPU_RING_SQ_OFFSET + VGPU_RING_SQ_BYTES)
#define VGPU_RING_MSG_OFFSET                                                   \
	(VGPU_RING_CQ_OFFSET +                                                 \
	 VGPU_RING_CQ_ENTRIES * sizeof(struct vgpu_ring_completion))
/* The file's size, what a client maps. */
#define VGPU_RING_BYTES                                                        \
	(VGPU_RING_MSG_OFFSET + VGPU_RING_CQ_ENTRIES * VGPU_RING_MSG_MAX)

/*
 * A completion record of the completion ring. Record I (counting from 0)
 * is that of command I + 1 of the context, at slot I % cq_entries; when
 * STATUS is negative, message slot I % cq_entries holds why (a
 * NUL-terminated string), written before the record was posted.
 */
struct vgpu_ring_completion {
	uint64_t tag;	 /* the packet's */
	int32_t status;	 /* 0, or -errno */
	uint16_t kernel; /* the packet's kernel, or VGPU_BIN_NO_KERNEL */
	uint16_t reserved;
	/* CLOCK_MONOTONIC; both the same for commands that did no work */
	uint64_t t_start_ns, t_end_ns;
};
_Static_assert(sizeof(struct vgpu_ring_completion) == 32, "record");

/*
 * The header page. Indices are free-running 32-bit counters (bytes for the
 * submission ring, records for the completion ring), taken modulo the
 * ring's size. Fields are read and written with atomic operations; the
 * futex words are 32-bit and shared between processes (no
 * FUTEX_PRIVATE_FLAG).
 */
struct vgpu_ring_header {
	uint64_t magic;	   /* VGPU_RING_MAGIC, written by the daemon */
	uint32_t version;  /* VGPU_RING_VERSION */
	uint32_t sq_bytes; /* VGPU_RING_SQ_BYTES */
	uint32_t cq_entries;
	uint32_t pad0[11];

	/* Client: bytes of whole packets submitted. A packet is contiguous
	 * modulo sq_bytes (it may wrap). */
	_Alignas(64) uint32_t sq_tail;

	/* Daemon: bytes taken. */
	_Alignas(64) uint32_t sq_head;
	/* Daemon: nonzero while the ring's poller sleeps on doorbell:
	 * VGPU_RING_SLEEPS, or VGPU_RING_SLEEPS_FOR_ROOM when packets wait
	 * for room in the completion ring (a client that rings the doorbell
	 * may take it back to 0: one wake is enough). */
	uint32_t poller_sleeping;
	/* Futex word: after advancing sq_tail, a client that sees
	 * poller_sleeping (after advancing cq_head: that sees
	 * VGPU_RING_SLEEPS_FOR_ROOM) adds 1 here and calls FUTEX_WAKE on
	 * it. */
	uint32_t doorbell;
	/* Daemon: 0, or a negative errno once the ring is broken (a tail
	 * ahead of the ring, an impossible packet size); error_msg says
	 * why. A broken ring takes nothing more: close it. */
	int32_t error;
	/* Daemon: 1 while as many steps ran as the device has workers when
	 * the poller last looked (a hint: a waiting client that spins then
	 * takes a CPU from a worker, so it had better sleep at once). */
	uint32_t workers_taken;

	/* Daemon: completion records posted (a batch of them is made
	 * visible by one store). Futex word for clients. */
	_Alignas(64) uint32_t cq_tail;

	/* Client: records consumed; slots up to it may be written again. */
	_Alignas(64) uint32_t cq_head;
	/* Client: nonzero while a thread sleeps on cq_tail, and then
	 * vgpu_ring_waiter(the cq_tail it sleeps at). The daemon, after
	 * posting past that, takes it back to 0 (compare-and-swap) and calls
	 * FUTEX_WAKE: one wake for the records posted until the sleeper sets
	 * it again. (Any other nonzero value: woken at the next post.) */
	uint32_t cq_waiters;

	_Alignas(64) char error_msg[VGPU_RING_MSG_MAX];
};

/* poller_sleeping's values */
#define VGPU_RING_SLEEPS	  1u
#define VGPU_RING_SLEEPS_FOR_ROOM 2u

/*
 * What a client sleeping on cq_tail at value SEEN stores in cq_waiters:
 * its low 31 bits, and the top bit (so never 0). The daemon wakes it only
 * for a cq_tail past SEEN: a post it has already seen cannot take the
 * flag of its next sleep (the wake would come before that sleep and be
 * lost, the flag gone with it, and the sleeper woken only by its
 * timeout). Records the client has not taken are at most cq_entries, so
 * 31 bits tell SEEN from any cq_tail posted since.
 */
#define VGPU_RING_WAITING 0x80000000u
static inline uint32_t vgpu_ring_waiter(uint32_t seen)
{
	return VGPU_RING_WAITING | (seen & ~VGPU_RING_WAITING);
}

_Static_assert(sizeof(struct vgpu_ring_header) <= VGPU_RING_HEADER, "header");
_Static_assert((VGPU_RING_SQ_BYTES & (VGPU_RING_SQ_BYTES - 1)) == 0, "sq");
_Static_assert((VGPU_RING_CQ_ENTRIES & (VGPU_RING_CQ_ENTRIES - 1)) == 0, "cq");

#endif
