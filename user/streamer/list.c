// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD /v/, the
 * list of the cache as JSON, from listing.c's shared snapshot: at once
 * from one younger than LIST_FRESH_MS, else once a job has made a new one
 * (one job per worker however many requests wait for it: the connections
 * wait in worker->list_waiting).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "handler.h"
#include "streamer.h"

static void respond_with(struct worker *w, struct conn *c, struct listing *ls)
{
	size_t head;
	int err = list_err(ls);

	c->r.next = PLAN_SEND;
	if (err) {
		respond_text(w, c, 503, NULL, "cannot list the cache over netlink: %s%s",
			     strerror(err), err == ENOENT ? " (is the vcache module loaded?)" : "");
		return;
	}
	head = c->out_len;
	head_start(w, c, 200);
	out_printf(c, "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-cache\r\n", list_len(ls));
	head_end(c, head);
	if (!plan_is_head(c)) {
		list_get(ls);
		c->r.list = ls;
		plan_add_seg(c, SEG_LIST, 0, list_len(ls));
	}
}

static void list_job_done(struct worker *w, struct job *j)
{
	struct list_job *lj = (struct list_job *)j;
	struct conn *waiting = w->list_waiting, *c;

	w->list_waiting = NULL;
	while (waiting) {
		c = waiting;
		waiting = c->list_next;
		c->list_next = NULL;
		c->jobs--;
		if (c->dead)
			continue;
		respond_with(w, c, lj->ls);
		job_resume(w, c);
	}
	list_put(lj->ls);
	free(lj);
}

void list_respond(struct worker *w, struct conn *c, const char *name)
{
	struct listing *ls = list_fresh(w->now_ms);
	struct list_job *lj;

	if (ls) {
		respond_with(w, c, ls);
		list_put(ls);
		return;
	}
	/* Nobody waits: no job of ours is making one. */
	if (!w->list_waiting) {
		lj = list_job_new(list_job_done);
		if (!lj) {
			respond_text(w, c, 503, NULL, "out of memory");
			return;
		}
		job_submit(w, &lj->job);
	}
	/* Answered when the job is done: list_job_done(). */
	c->list_next = w->list_waiting;
	w->list_waiting = c;
	c->jobs++;
	c->r.next = PLAN_WAIT;
}
