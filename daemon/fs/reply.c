#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fs/reply.h"
#include "observe/log.h"

static _Thread_local bool ours;
static _Thread_local unsigned holding; /* reply_hold_begin() depth */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct reply *head, **tail;
	pthread_cond_t idle; /* the queue is empty and nothing is being sent */
	pthread_t thread;
	bool running, stop, exit, defer, sending;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER,
       .idle = PTHREAD_COND_INITIALIZER,
       .tail = &R.head};

void reply_init(struct reply *r, fuse_req_t req, bool write)
{
	*r =
	    (struct reply){.req = req, .owner = pthread_self(), .write = write};
}

void reply_push(struct reply_list *list, struct reply *r)
{
	r->next = NULL;
	*list->tail = r;
	list->tail = &r->next;
}

static void send_one(struct reply *r)
{
	if (r->err)
		fuse_reply_err(r->req, r->err);
	else if (r->write)
		fuse_reply_write(r->req, r->count);
	else
		fuse_reply_buf(r->req, r->data, r->len);
	free(r->data);
	free(r);
}

static void send_all(struct reply *list)
{
	while (list) {
		struct reply *r = list;
		list = r->next;
		if (!R.defer || (ours && !holding) ||
		    pthread_equal(r->owner, pthread_self())) {
			send_one(r);
			continue;
		}
		pthread_mutex_lock(&R.lock);
		bool queued = R.running && !R.stop;
		if (queued) {
			r->next = NULL;
			*R.tail = r;
			R.tail = &r->next;
			pthread_cond_signal(&R.cv);
		}
		pthread_mutex_unlock(&R.lock);
		if (!queued) /* the FUSE loop has ended: nobody to deadlock */
			send_one(r);
	}
}

void reply_send(struct reply_list *list)
{
	send_all(list->head);
	list->head = NULL;
	list->tail = &list->head;
}

void reply_thread_is_ours(void)
{
	ours = true;
}

void reply_hold_begin(void)
{
	holding++;
}

void reply_hold_end(void)
{
	holding--;
}

static void *reply_main(void *arg)
{
	(void)arg;
	ours = true;
	pthread_mutex_lock(&R.lock);
	for (;;) {
		struct reply *list = R.head;
		R.head = NULL;
		R.tail = &R.head;
		if (list) {
			R.sending = true;
			pthread_mutex_unlock(&R.lock);
			send_all(list);
			pthread_mutex_lock(&R.lock);
			R.sending = false;
			continue;
		}
		pthread_cond_broadcast(&R.idle);
		if (R.exit)
			break;
		pthread_cond_wait(&R.cv, &R.lock);
	}
	pthread_mutex_unlock(&R.lock);
	return NULL;
}

int reply_start(bool defer)
{
	R.defer = defer;
	if (!defer)
		return 0;
	int rc = pthread_create(&R.thread, NULL, reply_main, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(R.thread, "vgpu-reply");
	R.running = true;
	return 0;
}

void reply_stop(void)
{
	pthread_mutex_lock(&R.lock);
	R.stop = true;
	while (R.running && (R.head || R.sending))
		pthread_cond_wait(&R.idle, &R.lock);
	pthread_mutex_unlock(&R.lock);
}

void reply_join(void)
{
	pthread_mutex_lock(&R.lock);
	R.stop = R.exit = true;
	pthread_cond_signal(&R.cv);
	bool running = R.running;
	pthread_mutex_unlock(&R.lock);
	if (running)
		pthread_join(R.thread, NULL);
	R.running = false;
}
