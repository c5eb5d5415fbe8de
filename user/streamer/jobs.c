// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the bottom. Work a worker hands off because it
 * may block.
 *
 * A worker's loop must never wait on anything but epoll: creating a live
 * stream allocates its whole ring in the kernel, ending one unmaps and
 * seals it, and GET /v/ walks the whole cache over netlink. Those run here,
 * on JOB_THREADS threads of their own, and come back to the worker that
 * asked through its job eventfd (EP_JOB), where job->done() runs in the
 * worker's loop like any other event. A connection waiting for a job is
 * in ST_WAIT and is not freed before its job is done (conn->jobs); the
 * done() that answers it gives it back through job_resume(), that is the
 * callback the connection layer set (worker->resume): nothing here, nor in
 * a done(), calls the connection layer by name.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "streamer.h"

#define JOB_THREADS	2

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *head, *tail;
	bool stop;
	pthread_t threads[JOB_THREADS];
	unsigned int started;
} jq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
};

static void *job_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&jq.lock);
	for (;;) {
		struct job *j;
		struct worker *w;
		uint64_t one = 1;

		while (!jq.head && !jq.stop)
			pthread_cond_wait(&jq.more, &jq.lock);
		if (!jq.head)
			break;
		j = jq.head;
		jq.head = j->next;
		if (!jq.head)
			jq.tail = NULL;
		pthread_mutex_unlock(&jq.lock);

		j->run(j);

		w = j->w;
		pthread_mutex_lock(&w->jobs_lock);
		j->next = w->jobs_done;
		w->jobs_done = j;
		pthread_mutex_unlock(&w->jobs_lock);
		if (write(w->jobfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			fprintf(stderr, PROG ": cannot wake worker %u: %s\n", w->id,
				strerror(errno));
		pthread_mutex_lock(&jq.lock);
	}
	pthread_mutex_unlock(&jq.lock);
	return NULL;
}

int jobs_start(void)
{
	for (jq.started = 0; jq.started < JOB_THREADS; jq.started++) {
		if (pthread_create(&jq.threads[jq.started], NULL, job_main, NULL)) {
			fprintf(stderr, PROG ": cannot start a job thread\n");
			return -1;
		}
	}
	return 0;
}

/* After the workers: they wait for their jobs before they stop. */
void jobs_stop(void)
{
	unsigned int i;

	pthread_mutex_lock(&jq.lock);
	jq.stop = true;
	pthread_cond_broadcast(&jq.more);
	pthread_mutex_unlock(&jq.lock);
	for (i = 0; i < jq.started; i++)
		pthread_join(jq.threads[i], NULL);
}

void job_submit(struct worker *w, struct job *j)
{
	j->w = w;
	j->next = NULL;
	w->jobs_pending++;
	pthread_mutex_lock(&jq.lock);
	if (jq.tail)
		jq.tail->next = j;
	else
		jq.head = j;
	jq.tail = j;
	pthread_cond_signal(&jq.more);
	pthread_mutex_unlock(&jq.lock);
}

/* EP_JOB: the worker's jobs that are done, in the worker's loop. */
void jobs_reap(struct worker *w)
{
	struct job *list, *j;
	uint64_t n;

	if (read(w->jobfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->jobs_lock);
	list = w->jobs_done;
	w->jobs_done = NULL;
	pthread_mutex_unlock(&w->jobs_lock);
	while (list) {
		j = list;
		list = j->next;
		w->jobs_pending--;
		j->done(w, j);
	}
}

/* A done() has planned @c's response: the connection layer goes on with it. */
void job_resume(struct worker *w, struct conn *c)
{
	w->resume(w, c);
}
