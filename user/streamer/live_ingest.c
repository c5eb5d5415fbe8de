// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). A live stream's
 * writer (see "Live streams" in linux/vcache.h; the viewers' half is
 * live_view.c, what both stand on live.h):
 *
 *   PUT|POST /live/NAME   ingest: the request body (Content-Length or
 *                         chunked) becomes the live stream NAME
 *
 * Ingest is zero-copy: the streamer creates the stream (a ring of
 * --live-capacity bytes, at --live-fps or ?fps=), maps the ring writable
 * and recv(2)s the body straight into the landing zone at the head, then
 * VCACHE_IOC_COMMITs the new head once the socket runs dry (or the zone is
 * full): one commit per burst, not per recv. Chunked framing is read
 * through a 32-byte buffer (user/lib/chunked.c says how many data bytes come
 * next, and those are received into the ring), so only the framing and the
 * few data bytes that share its recv are copied, and the body bytes that
 * came with the request head. The committed bytes are indexed in place
 * (user/lib/tsindex.c reads the mapping) and their keyframes appended to the
 * stream's live index, so that viewers can join at a keyframe and ?t= can
 * rewind. The end of the body seals the stream (201 Created); a client
 * that goes away, or a malformed chunked body (400), closes the writer,
 * which ends the stream as well: viewers get the last chunk either way.
 *
 * A name is taken if it is a VOD video or a live stream still being written
 * (409: the kernel allows one writer). A live stream that has ended is
 * replaced by a new PUT. A body needs a length: neither Content-Length nor
 * chunked is a 411. Appending to a live stream after its writer is gone is
 * not possible: the kernel ends a stream when its writer closes.
 *
 * The plan: PLAN_WAIT while a job creates the stream (ingest_open.c),
 * then PLAN_INGEST, the body through ext_ops->ingest (ingest_run()), and
 * the 201 once the job that seals the stream is done.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "chunked.h"
#include "handler.h"
#include "live.h"
#include "parse.h"
#include "tsindex.h"

#define FRAMING_RECV	32

/* A writer's state on its connection (conn->ext). */
struct live_ingest {
	struct conn *c;
	char name[VCACHE_NAME_MAX];
	struct ingest_open open;	/* the job that makes the stream */
	struct live_ring r;		/* fd -1 while the job runs: the worker keeps off */
	int ring_slot;			/* in rings.c's table, or -1 */
	uint64_t head;			/* committed */
	uint64_t landed;		/* head + bytes received but not committed */
	bool chunked;
	struct chunked ck;
	uint64_t body_left;		/* Content-Length bodies */
	const char *pre;		/* body bytes that came with the head */
	size_t pre_len;
	char fb[FRAMING_RECV];		/* chunk framing, received */
	size_t fb_off, fb_len;
	uint64_t copied;		/* bytes that did not land by recv */
	uint64_t commits;
	struct tsindex *ix;
	struct vcache_index_entry *batch;
	size_t batch_cap;
	uint64_t last_key;		/* offset of the last keyframe sent */
	uint64_t last_pts;
	uint64_t keys;			/* keyframes appended */
	uint64_t keys_refused;
};

/* Keyframes of what was just committed, into the stream's live index. */
static void ingest_index(struct worker *w, struct live_ingest *l, uint64_t from, uint64_t to,
			 bool finish)
{
	struct vcache_index_append req;
	uint64_t tail = to > l->r.window ? to - l->r.window : 0;
	size_t i, n = 0;

	if (!l->ix)
		return;
	if (to > from && tsindex_feed(l->ix, l->r.data + from % l->r.ring, to - from))
		goto drop;
	if (finish)
		tsindex_finish(l->ix);
	if (!l->ix->count)
		return;
	if (l->batch_cap < l->ix->count) {
		struct vcache_index_entry *b = realloc(l->batch, l->ix->count * sizeof(*b));

		if (!b)
			goto drop;
		l->batch = b;
		l->batch_cap = l->ix->count;
	}
	for (i = 0; i < l->ix->count; i++) {
		const struct tsindex_entry *e = &l->ix->entries[i];

		if (!(e->flags & TSINDEX_KEY))
			continue;
		/* The kernel wants them in the window, in time and byte order. */
		if (e->offset < tail || e->offset >= to ||
		    (l->keys && (e->pts < l->last_pts || e->offset < l->last_key))) {
			l->keys_refused++;
			continue;
		}
		l->batch[n++] = (struct vcache_index_entry){
			.pts = e->pts, .offset = e->offset, .flags = VCACHE_INDEX_KEY,
		};
		l->last_pts = e->pts;
		l->last_key = e->offset;
		l->keys++;
	}
	/* Only the keyframes matter here: the rest are let go, memory too. */
	l->ix->count = 0;
	for (i = 0; i < n; i += VCACHE_INDEX_BATCH_MAX) {
		memset(&req, 0, sizeof(req));
		req.entries = (uintptr_t)(l->batch + i);
		req.count = live_min(n - i, VCACHE_INDEX_BATCH_MAX);
		if (ioctl(l->r.fd, VCACHE_IOC_INDEX_APPEND, &req)) {
			l->keys -= req.count;
			l->keys_refused += req.count;
		}
	}
	return;
drop:
	/* Out of memory: the stream goes on without an index. */
	worker_warn(w, "live %s: indexing stopped: out of memory", l->name);
	tsindex_free(l->ix);
	free(l->ix);
	l->ix = NULL;
}

/* Makes the landed bytes the stream's: one ioctl for a burst of recvs. */
static int ingest_commit(struct worker *w, struct live_ingest *l, bool finish)
{
	struct vcache_commit cm;
	uint64_t from = l->head;

	if (l->landed > l->head) {
		memset(&cm, 0, sizeof(cm));
		cm.size = l->landed;
		if (ioctl(l->r.fd, VCACHE_IOC_COMMIT, &cm))
			return -1;
		l->head = l->landed;
		l->commits++;
		atomic_fetch_add(&live_count.commits, 1);
	}
	ingest_index(w, l, from, l->head, finish);
	return 0;
}

/* Room in the landing zone before a commit is needed. */
static uint64_t room(const struct live_ingest *l)
{
	return l->r.zone - (l->landed - l->head);
}

static uint64_t data_wanted(const struct live_ingest *l)
{
	return l->chunked ? chunked_data_left(&l->ck) : l->body_left;
}

static void took(struct live_ingest *l, uint64_t n)
{
	l->landed += n;
	if (l->chunked)
		chunked_data(&l->ck, n);
	else
		l->body_left -= n;
}

static bool body_done(const struct live_ingest *l)
{
	return l->chunked ? chunked_done(&l->ck) : !l->body_left;
}

/*
 * Bytes already received elsewhere (with the head, or with framing): data
 * is copied into the zone, framing parsed. Returns the bytes used, which
 * is less than @len when the zone is full or the body is over, or -1 for a
 * malformed body.
 */
static ssize_t ingest_bytes(struct live_ingest *l, const char *p, size_t len)
{
	size_t used = 0;

	while (used < len && !body_done(l)) {
		uint64_t want = data_wanted(l);
		ssize_t n;

		if (want) {
			uint64_t take = live_min(live_min(want, len - used), room(l));

			if (!take)
				break;
			memcpy(l->r.data + l->landed % l->r.ring, p + used, take);
			took(l, take);
			l->copied += take;
			used += take;
			continue;
		}
		n = chunked_parse(&l->ck, p + used, len - used);
		if (n < 0)
			return -1;
		used += n;
	}
	return used;
}

static void ingest_done(struct worker *w, struct conn *c, struct live_ingest *l)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1], loc[VCACHE_NAME_MAX * 3 + 32];
	size_t i, o;

	/* /live/NAME, the name percent-encoded where a path needs it. */
	o = snprintf(loc, sizeof(loc), "Location: /live/");
	for (i = 0; l->name[i] && o + 4 < sizeof(loc); i++) {
		unsigned char ch = l->name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			loc[o++] = ch;
		else
			o += snprintf(loc + o, sizeof(loc) - o, "%%%02X", ch);
	}
	snprintf(loc + o, sizeof(loc) - o, "\r\n");
	respond_text(w, c, 201, loc, "live stream \"%s\" ended after %" PRIu64
		     " bytes, %" PRIu64 " keyframes indexed",
		     shown(l->name, shown_name, sizeof(shown_name)), l->head, l->keys);
}

static void ring_closed(struct worker *w, struct job *j);

/*
 * The writer lets go: the stream ends (with SEAL, or by the close), on a
 * job (live_ring_drop()). With @wait_c, that connection waits for the seal
 * and its 201 (PLAN_WAIT). Returns -1 if the job could not be had (then
 * everything was done here).
 */
static int ingest_close(struct worker *w, struct live_ingest *l, bool seal, struct conn *wait_c)
{
	int ret;

	if (l->r.fd < 0)
		return 0;
	ret = live_ring_drop(w, &l->r, l->ring_slot, seal, wait_c, l->name, ring_closed);
	l->ring_slot = -1;
	if (l->ix) {
		tsindex_free(l->ix);
		free(l->ix);
		l->ix = NULL;
	}
	free(l->batch);
	l->batch = NULL;
	atomic_fetch_add(&live_count.ingest_bytes, l->head);
	atomic_fetch_add(&live_count.copied, l->copied);
	w->live_in += l->head;
	if (ret)
		return -1;
	if (wait_c) {
		wait_c->jobs++;
		wait_c->r.next = PLAN_WAIT;
	}
	return 0;
}

/* The stream is sealed (or closed): a connection that waits gets its 201. */
static void ring_closed(struct worker *w, struct job *j)
{
	struct live_ring_drop *d = (struct live_ring_drop *)j;
	struct conn *c = d->c;

	if (d->seal_err)
		worker_warn(w, "live %s: seal: %s", d->name, strerror(d->seal_err));
	free(d);
	if (!c)
		return;
	c->jobs--;
	if (c->dead)
		return;
	ingest_done(w, c, c->ext);
	job_resume(w, c);
}

static int ingest_run(struct worker *w, struct conn *c)
{
	struct live_ingest *l = c->ext;
	ssize_t n;

	for (;;) {
		if (turn_spent(c) && !body_done(l)) {
			/* The rest next turn; what came is the viewers' now. */
			return ingest_commit(w, l, false) ? -1 : 0;
		}
		if (body_done(l)) {
			if (ingest_commit(w, l, true))
				goto failed;
			/* The 201 once sealed: ring_closed() plans it. */
			if (!ingest_close(w, l, true, c))
				return 1;
			ingest_done(w, c, l);
			return 1;
		}
		if (!room(l)) {
			if (ingest_commit(w, l, false))
				goto failed;
			continue;
		}
		if (l->pre_len) {
			n = ingest_bytes(l, l->pre, l->pre_len);
			if (n < 0)
				goto malformed;
			l->pre += n;
			l->pre_len -= n;
			continue;
		}
		if (l->fb_off < l->fb_len) {
			n = ingest_bytes(l, l->fb + l->fb_off, l->fb_len - l->fb_off);
			if (n < 0)
				goto malformed;
			l->fb_off += n;
			continue;
		}
		if (data_wanted(l)) {
			/* The zero-copy part: the socket's bytes land in the ring. */
			n = recv(c->fd, l->r.data + l->landed % l->r.ring,
				 live_min(data_wanted(l), room(l)), 0);
			if (n > 0)
				took(l, n);
		} else {
			n = recv(c->fd, l->fb, sizeof(l->fb), 0);
			if (n > 0) {
				l->fb_off = 0;
				l->fb_len = n;
			}
		}
		if (n > 0) {
			c->active_ms = w->now_ms;
			turn_add(c, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Dry: what came is the viewers' now. */
			if (ingest_commit(w, l, false))
				goto failed;
			return 0;
		}
		/* The client went away mid-body: the writer's close ends the stream. */
		ingest_commit(w, l, false);
		return -1;
	}
malformed:
	ingest_commit(w, l, false);
	ingest_close(w, l, false, NULL);
	c->close_after = true;
	respond_text(w, c, 400, NULL, "malformed chunked body: %s",
		     l->ck.why ? l->ck.why : "?");
	return 1;
failed:
	worker_warn(w, "live %s: commit: %s", l->name, strerror(errno));
	return -1;
}

static void ingest_release(struct worker *w, struct conn *c)
{
	/* Still ingesting: the close ends the stream for the viewers. */
	ingest_close(w, c->ext, false, NULL);
}

static void ingest_free(struct conn *c)
{
	struct live_ingest *l = c->ext;

	free(l->batch);
	free(l);
}

static size_t ingest_log(const struct conn *c, char *buf, size_t size)
{
	const struct live_ingest *l = c->ext;

	if (!size)
		return 0;
	return snprintf(buf, size, " in=%" PRIu64 " copied=%" PRIu64 " commits=%" PRIu64
			" keys=%" PRIu64, l->landed, l->copied, l->commits, l->keys);
}

static const struct conn_ext_ops ingest_ops = {
	.ingest = ingest_run,
	.release = ingest_release,
	.free = ingest_free,
	.log = ingest_log,
};

/* The stream is made (or not): take the body, or answer why not. */
static void ingest_opened(struct worker *w, struct job *j)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct live_ingest *l = (struct live_ingest *)((char *)j -
						       offsetof(struct live_ingest, open));
	struct conn *c = l->c;

	/* The worker's now: what the job made, to let go of on any path. */
	l->r = l->open.r;
	l->ring_slot = l->open.slot;
	l->ix = l->open.ix;
	c->jobs--;
	if (c->dead) {
		/* Gone meanwhile: the stream ends at once. */
		ingest_close(w, l, false, NULL);
		return;
	}
	if (l->open.fail_status) {
		respond_text(w, c, l->open.fail_status, NULL, "%s", l->open.fail_msg);
		plan_drop_ext(w, c);
		job_resume(w, c);
		return;
	}
	/* Everything after the head is the body's (we close after it). */
	if (c->req.expect_continue && !l->pre_len)
		send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	atomic_fetch_add(&live_count.ingests, 1);
	c->r.next = PLAN_INGEST;
	job_resume(w, c);
}

void live_ingest_respond(struct worker *w, struct conn *c, const char *name)
{
	const struct http_request *req = &c->req;
	uint32_t num = cfg.live_fps_num, den = cfg.live_fps_den;
	struct live_ingest *l;
	int q;

	/* Before anything else: a stranger learns nothing and costs nothing. */
	switch (ingest_auth_check(&cfg.ingest, &c->peer_addr, name, req->authorization)) {
	case INGEST_OK:
		break;
	case INGEST_FORBIDDEN:
		atomic_fetch_add(&live_count.refused_auth, 1);
		respond_text(w, c, 403, NULL, "this address may not publish live streams "
			     "(--ingest-allow)");
		return;
	case INGEST_UNAUTHORIZED:
		atomic_fetch_add(&live_count.refused_auth, 1);
		respond_text(w, c, 401, req->authorization.len ?
			     "WWW-Authenticate: Bearer realm=\"vcache-ingest\", "
			     "error=\"invalid_token\"\r\n" :
			     "WWW-Authenticate: Bearer realm=\"vcache-ingest\"\r\n",
			     "publishing a live stream needs Authorization: Bearer TOKEN");
		return;
	}
	if (!req->chunked && !req->has_length) {
		respond_text(w, c, 411, NULL, "a live stream's body needs a Content-Length or "
			     "Transfer-Encoding: chunked");
		return;
	}
	q = ingest_query_fps(req->query, &num, &den);
	if (q < 0) {
		respond_text(w, c, 400, NULL, "bad fps=: want N, N/D or a decimal such as 29.97");
		return;
	}
	l = live_new(w, c, sizeof(*l), &ingest_ops);
	if (!l)
		return;
	l->c = c;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->r.fd = -1;
	l->ring_slot = -1;
	l->chunked = req->chunked;
	l->body_left = req->has_length ? req->length : 0;
	if (l->chunked)
		chunked_init(&l->ck);
	l->pre = c->in + req->head_len;
	l->pre_len = c->in_len - req->head_len;
	/* The stream is made on a job thread; ingest_opened() goes on. */
	l->open = (struct ingest_open){
		.job = { .run = ingest_open_run, .done = ingest_opened },
		.name = l->name, .fps_num = num, .fps_den = den,
		.r = { .fd = -1 }, .slot = -1,
	};
	c->jobs++;
	c->r.next = PLAN_WAIT;
	job_submit(w, &l->open.job);
}
