/*
 * Answers to parked FUSE requests (blocked reads and writes of queue),
 * sent where they cannot deadlock.
 *
 * Over io_uring, libfuse's thread for a queue holds that queue's ring lock
 * while it runs our handlers, and an answer sent from any other thread
 * takes the ring lock of the request's queue. Hence two rules:
 *   - no answer to another request while holding a lock of ours that a
 *     handler takes (the handler waits for our lock under the ring lock,
 *     we wait for the ring lock under ours): answers are decided under the
 *     lock, collected in a list, and sent with reply_send() after it;
 *   - a handler does not answer a request that another queue's thread
 *     received (two handlers doing so to each other wait for each other's
 *     ring lock): such answers go to the reply thread, which holds nothing.
 * Answers from our own threads (workers, timer, signal threads) and to a
 * request the same thread received are sent at once.
 */
#ifndef VGPUFSD_REPLY_H
#define VGPUFSD_REPLY_H

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* The first member of a parked request; freed with it after the answer. */
struct reply {
	struct reply *next;
	fuse_req_t req;
	pthread_t owner; /* the thread that received req */
	bool write;	 /* fuse_reply_write(count), else fuse_reply_buf */
	int err;	 /* not 0: fuse_reply_err(err) instead */
	size_t count;	 /* write: bytes taken */
	char *data;	 /* read: the bytes (malloc'ed), len of them */
	size_t len;
};

/* Answers to send, in order. */
struct reply_list {
	struct reply *head, **tail;
};
#define REPLY_LIST(name) struct reply_list name = {NULL, &name.head}

/* Fills the request part of R, received by the calling thread. */
void reply_init(struct reply *r, fuse_req_t req, bool write);
void reply_push(struct reply_list *list, struct reply *r);
/* Sends and frees every reply of LIST; no lock of ours may be held. */
void reply_send(struct reply_list *list);

/* The calling thread is one of ours (not a FUSE thread). */
void reply_thread_is_ours(void);
/*
 * Around a section that holds a lock a handler takes and may complete
 * commands (a context's submission lock: a command that fails at once is
 * answered to a blocked reader right away): replies to requests other
 * threads received go to the reply thread meanwhile, even from our own
 * threads. Nests.
 */
void reply_hold_begin(void);
void reply_hold_end(void);
/* Starts the reply thread; DEFER: whether handlers' answers need it (io_uring).
 */
int reply_start(bool defer);
/*
 * Sends what is queued; replies are sent at once from then on (the FUSE
 * loop has ended). Before the session is destroyed: queued requests
 * belong to it.
 */
void reply_stop(void);
/*
 * Ends the thread; after the session is destroyed, as the ring entries it
 * answered wait for their next request on its behalf (see the workers in
 * scheduler.h).
 */
void reply_join(void);

#endif
