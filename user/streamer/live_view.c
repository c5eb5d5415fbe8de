// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). A live stream's
 * viewers (see "Live streams" in linux/vcache.h; the writer's half is
 * live_ingest.c, what both stand on live.h):
 *
 *   GET|HEAD /live/NAME   follow it from its latest keyframe, chunked
 *   GET /live/NAME?t=TC   from the keyframe at or before timecode TC, as
 *                         long as the ring still holds it
 *
 * Viewers map the stream's control page and ring read-only on a descriptor
 * of their own and send each chunk from the ring. The control page says
 * where the head is, so no system call is needed to learn of new data. A
 * byte at offset p is the stream's as long as p >= head - window, with the
 * head read after the byte was copied: the writer lands up to a zone past
 * the head, which is the ring's bytes below head - window. A byte handed
 * to the socket cannot be taken back, so a viewer must never send a byte
 * first and find out afterwards that it was overwritten: the part of a
 * chunk near the window's tail (within VIEW_SLACK of it: the writer could
 * get there during one send) is copied aside, checked, then sent from the
 * copy ("aside" in GET /live/); if it was overwritten meanwhile nothing went
 * out and the viewer is re-joined as if it had fallen behind. The rest of
 * the chunk goes straight from the ring, the socket's copy the only one,
 * and is checked after the send; only a writer that moved more than the
 * slack during one sendmsg() can fail that check, and the connection is
 * then reset (SO_LINGER 0), never closed cleanly: a clean end (the last
 * chunk, or the close of an HTTP/1.0 response) says that every byte before
 * it was the stream's. Resets are counted ("torn_resets"). Every other
 * failure of a viewer's response resets it too, for the same reason.
 *
 * A chunk, once announced, must go out whole while the ring moves on, so
 * what the socket does not take at once is copied to a buffer of the
 * connection's, while it is still in the window; the buffer is sized to
 * what is pending and freed once it is out: a viewer waiting at the head
 * holds no buffer. The control page also says the rest: at the head of a
 * stream that goes on, EPOLLIN|EPOLLONESHOT is armed on the descriptor (the
 * module's poll, at its file position); at the head of an ended stream the
 * last chunk goes out; a viewer behind the window is re-joined at the
 * latest keyframe (or at the head, without an index) and counted, in the
 * access log ("rejoins=N"), in GET /live/ and in the totals at exit.
 * --live-sndbuf bounds a viewer's socket buffer, and with it how far behind
 * the head a viewer may be before it notices. A viewer waiting at a quiet
 * head notices nothing of its socket but its events: on one, the socket is
 * read (what a viewer sends is dropped, its response is all there will
 * be), and EOF or an error there closes the connection. That is also what
 * a client's half-close means to a live viewer, as it does to nginx.
 * HTTP/1.0 viewers get the raw stream, ended by the close. One closed
 * Range "bytes=A-B" (an HLS segment of a live playlist) is sent the same
 * way from the ring and ends at B, with 206 or 416 (live_range.c); a range
 * that leaves the window while it is sent resets. Other ranges, If-Range
 * and conditionals are ignored (200, Accept-Ranges: none).
 *
 * The plan is the head; the body follows the ring through ext_ops->body
 * (view_body()), which send.c calls after the head. Waiting at the head,
 * the stream's descriptor is the connection's EP_SRC source.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "handler.h"
#include "live.h"
#include "parse.h"

/* A viewer's chunk: framing room, then up to LIVE_BUF bytes, then CRLF. */
#define LIVE_HDR	24
#define LIVE_BUF	(256 * 1024)
/* Bytes this close to the window's tail are copied aside before they are sent. */
#define VIEW_SLACK(l)	((l)->r.window / 2)

static const struct conn_ext_ops view_ops;

/* A viewer's state on its connection (conn->ext). */
struct live_view {
	struct conn *c;
	char name[VCACHE_NAME_MAX];
	struct live_ring r;
	uint64_t start;
	uint64_t pos;
	uint64_t stop;			/* a Range's end; 0: follow the stream */
	uint64_t rejoins;
	uint64_t rejoined_at;		/* the last re-join's offset */
	bool in_ep;
	bool ended;
	bool final_out;
	bool head_out;
	bool framed;			/* HTTP/1.1: chunked */
	bool counted;			/* in live_count.viewers_now */
	const char *out;		/* pending bytes: conn->buf, or the last chunk */
	size_t out_off, out_len;
	uint64_t aside;			/* bytes copied aside before their send */
};

/* The viewer's descriptor and mappings go, on a job (live_ring_drop()). */
static void view_drop(struct worker *w, struct live_view *l)
{
	/* Off this worker's epoll set now: the job closes the descriptor later. */
	if (l->in_ep)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, l->r.fd, NULL);
	l->in_ep = false;
	l->c->src_parked = false;
	live_ring_drop(w, &l->r, -1, false, NULL, l->name, live_ring_done_free);
}

/* Whether [@pos, ...) is still inside the window, by the head as it is now. */
static bool view_intact(const struct live_view *l, uint64_t pos)
{
	uint64_t head;

	/* Orders the reads of the ring before the head's (a read barrier). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = __atomic_load_n(&l->r.ctrl->head, __ATOMIC_ACQUIRE);
	return head <= l->r.window || pos >= head - l->r.window;
}

/* Where the bytes at risk end: below it, the writer is within the slack. */
static uint64_t view_risk_end(const struct live_view *l, uint64_t head)
{
	uint64_t edge = head + VIEW_SLACK(l);

	return edge > l->r.window ? edge - l->r.window : 0;
}

/*
 * The next chunk, [pos, head) up to LIVE_BUF bytes: its part near the
 * window's tail copied aside and checked first, the rest straight from the
 * ring, checked after the send. What the socket does not take is copied to
 * a buffer of its size, c->buf. Returns 1 when the chunk is out or queued,
 * 0 when the socket is full and nothing was sent, 2 when the bytes were
 * overwritten before anything was sent (a re-join), -1 to reset.
 */
static int view_chunk(struct worker *w, struct conn *c, struct live_view *l, uint64_t head)
{
	size_t len = live_min(head - l->pos, LIVE_BUF), risk = 0, pending, i, off, left;
	uint64_t risk_end = view_risk_end(l, head);
	char hdr[LIVE_HDR], *aside = NULL, *rest;
	struct iovec iov[3];
	struct msghdr msg;
	int h = 0;
	ssize_t n;

	if (l->framed)
		h = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
	if (risk_end > l->pos)
		risk = live_min(len, risk_end - l->pos);
	iov[0] = (struct iovec){ hdr, h };
	if (risk) {
		aside = malloc(h + risk);
		if (!aside)
			return -1;
		memcpy(aside, hdr, h);
		memcpy(aside + h, l->r.data + l->pos % l->r.ring, risk);
		if (!view_intact(l, l->pos)) {
			free(aside);
			return 2;
		}
		iov[0] = (struct iovec){ aside, h + risk };
		l->aside += risk;
		atomic_fetch_add(&live_count.aside, risk);
	}
	iov[1] = (struct iovec){ l->r.data + (l->pos + risk) % l->r.ring, len - risk };
	iov[2] = (struct iovec){ "\r\n", l->framed ? 2 : 0 };
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 3;
	do {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		free(aside);
		return errno == EAGAIN ? 0 : -1;
	}
	c->r.sent += n;
	c->r.file_sent += n;
	turn_add(c, n);
	w->bytes[SEND_MMAP] += n;
	c->active_ms = w->now_ms;
	/* The rest of the chunk, from the ring while it is still there. */
	pending = iov[0].iov_len + iov[1].iov_len + iov[2].iov_len - n;
	rest = pending ? malloc(pending) : NULL;
	if (pending && !rest) {
		free(aside);
		return -1;
	}
	for (i = 0, off = 0, left = 0; i < 3; off += iov[i].iov_len, i++) {
		size_t skip = (size_t)n > off ? (size_t)n - off : 0;

		if (skip >= iov[i].iov_len)
			continue;
		memcpy(rest + left, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
		left += iov[i].iov_len - skip;
	}
	free(aside);
	free(c->buf);
	c->buf = rest;
	l->out = rest;
	l->out_off = 0;
	l->out_len = pending;
	/* Sent or copied from the ring: were those bytes still the stream's? */
	if (len > risk && !view_intact(l, l->pos + risk)) {
		atomic_fetch_add(&live_count.torn_resets, 1);
		worker_warn(w, "live %s: the writer overtook a viewer's send at %" PRIu64
			    "; reset", l->name, l->pos + risk);
		return -1;
	}
	l->pos += len;
	return 1;
}

void live_view_respond(struct worker *w, struct conn *c, const char *name)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1], extra[256] = "", bad_tc[160];
	const char *why = NULL;
	struct vcache_lookup lk;
	struct vcache_open op;
	struct vcache_info in;
	struct http_query q;
	struct live_view *l;
	int err;

	if (http_parse_query(c->req.query, &q, &why)) {
		respond_text(w, c, 400, NULL, "%s", why);
		return;
	}
	if (q.has_loop) {
		respond_text(w, c, 400, NULL, "loop= is for videos on demand, not live streams");
		return;
	}
	l = live_new(w, c, sizeof(*l), &view_ops);
	if (!l)
		return;
	l->c = c;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->r.ps = sysconf(_SC_PAGESIZE);
	l->r.fd = open(cfg.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (l->r.fd < 0) {
		respond_text(w, c, 503, NULL, "cannot open %s: %s", cfg.device, strerror(errno));
		return;
	}
	memset(&op, 0, sizeof(op));
	memcpy(op.name, l->name, sizeof(op.name));
	if (ioctl(l->r.fd, VCACHE_IOC_OPEN, &op) || ioctl(l->r.fd, VCACHE_IOC_INFO, &in)) {
		if (errno == ENOENT)
			respond_text(w, c, 404, NULL, "no live stream named \"%s\"",
				     shown(name, shown_name, sizeof(shown_name)));
		else
			respond_text(w, c, 503, NULL, "cannot open \"%s\": %s",
				     shown(name, shown_name, sizeof(shown_name)), strerror(errno));
		return;
	}
	if (in.state != VCACHE_STATE_LIVE && in.state != VCACHE_STATE_ENDED) {
		respond_text(w, c, 404, NULL, "\"%s\" is not a live stream: videos on demand "
			     "are at /v/NAME", shown(name, shown_name, sizeof(shown_name)));
		return;
	}
	if (q.has_t) {
		err = stream_lookup(l->r.fd, &in, &q, &lk, bad_tc, sizeof(bad_tc));

		if (err == ENODATA)
			respond_text(w, c, 409, NULL, "live stream has no keyframe in its "
				     "window (yet): t= needs one");
		else if (err == ERANGE)
			respond_text(w, c, 416, NULL, "timecode %s is past the newest "
				     "keyframe of the live stream", q.t_text);
		else if (err == EINVAL)
			respond_text(w, c, 400, NULL, "%s", bad_tc);
		else if (err)
			respond_text(w, c, 503, NULL, "timecode lookup failed: %s",
				     strerror(err));
		if (err)
			return;
		l->start = lk.key_offset;
		stream_lookup_headers(extra, sizeof(extra), &lk);
	} else {
		err = live_range_plan(w, c, &in, &l->start, &l->stop);
		if (err < 0)
			return;
		if (!err && live_latest(l->r.fd, &l->start)) {
			respond_text(w, c, 503, NULL, "cannot find where to join: %s",
				     strerror(errno));
			return;
		}
	}
	if (c->req.method != HTTP_HEAD && live_ring_map(&l->r, false)) {
		respond_text(w, c, 503, NULL, "cannot map live stream \"%s\": %s",
			     shown(name, shown_name, sizeof(shown_name)), strerror(errno));
		return;
	}
	l->pos = l->start;
	l->framed = c->req.minor >= 1 && !l->stop;
	if (l->stop) {
		live_range_head(w, c, &in, l->start, l->stop, http_content_type(name));
	} else {
		head_start(w, c, 200);
		out_printf(c, "Content-Type: %s\r\nCache-Control: no-cache\r\nAccept-Ranges: "
			   "none\r\nX-Vcache-Offset: %" PRIu64 "\r\n%s%s", http_content_type(name),
			   l->start, extra, l->framed ? "Transfer-Encoding: chunked\r\n" : "");
		head_end(c, 0);
	}
	c->r.mode = SEND_MMAP;
	if (c->req.method == HTTP_HEAD) {
		l->final_out = true;	/* nothing follows the head */
		close(l->r.fd);
		l->r.fd = -1;
		return;
	}
	if (l->stop)
		return;		/* a range: not a viewer */
	/*
	 * A bounded socket buffer bounds how stale a slow viewer's bytes get
	 * before it is seen to fall behind (and re-joined).
	 */
	if (cfg.live_sndbuf) {
		int sz = cfg.live_sndbuf;

		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	atomic_fetch_add(&live_count.viewers, 1);
	atomic_fetch_add(&live_count.viewers_now, 1);
	l->counted = true;
}

static int rejoin(struct live_view *l)
{
	/* A range cannot go on elsewhere: its bytes left the window. */
	if (l->stop || live_latest(l->r.fd, &l->pos))
		return -1;
	l->rejoined_at = l->pos;
	l->rejoins++;
	atomic_fetch_add(&live_count.rejoins, 1);
	return 0;
}

/* Waits for data past the position: the module's poll, once. */
static int view_wait(struct worker *w, struct live_view *l)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = &l->c->src_kind };

	if (lseek(l->r.fd, l->pos, SEEK_SET) < 0)
		return -1;
	if (epoll_ctl(w->ep, l->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, l->r.fd, &ev))
		return -1;
	l->in_ep = true;
	l->c->src_kind = EP_SRC;
	l->c->src_parked = true;
	return 0;
}

/* A viewer's response after its head, as live_send(). */
static int view_send(struct worker *w, struct conn *c, struct live_view *l)
{
	uint64_t head;
	ssize_t n;
	int ret;

	for (;;) {
		if (turn_spent(c))
			return 0;
		if (l->out_off < l->out_len) {
			n = send(c->fd, l->out + l->out_off, l->out_len - l->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return errno == EAGAIN ? 0 : -1;
			}
			l->out_off += n;
			c->r.sent += n;
			turn_add(c, n);
			c->r.file_sent += n;
			w->bytes[SEND_COPY] += n;
			c->active_ms = w->now_ms;
			continue;
		}
		/* Nothing pending: no buffer either (think 10,000 idle viewers). */
		l->out = NULL;
		l->out_off = l->out_len = 0;
		free(c->buf);
		c->buf = NULL;
		if (l->final_out)
			return 1;
		if (l->stop && l->pos >= l->stop)
			l->ended = true;
		if (l->ended) {
			l->final_out = true;
			if (!l->framed)
				return 1;
			l->out = "0\r\n\r\n";
			l->out_len = 5;
			continue;
		}
		head = __atomic_load_n(&l->r.ctrl->head, __ATOMIC_ACQUIRE);
		if (l->stop)
			head = live_min(head, l->stop);
		/* New bytes still in the window: no system call but the send. */
		if (l->pos < head && (head <= l->r.window || l->pos >= head - l->r.window)) {
			ret = view_chunk(w, c, l, head);
			if (ret <= 0)
				return ret;
			if (ret == 2 && rejoin(l))
				return -1;
			continue;
		}
		/* Behind the window: what a read would say with EOVERFLOW. */
		if (l->pos < head) {
			if (rejoin(l))
				return -1;
			continue;
		}
		/*
		 * At the head. ENDED is set after the last commit, so a head
		 * read after it is final; until then the module's poll at the
		 * position says when to come back. Woken by its socket instead,
		 * a viewer may be one whose client has gone.
		 */
		if (!(__atomic_load_n(&l->r.ctrl->flags, __ATOMIC_ACQUIRE) & VCACHE_LIVE_ENDED)) {
			if (!c->src_woke && live_client_gone(c))
				return -1;
			return view_wait(w, l) ? -1 : 0;
		}
		if (l->pos >= __atomic_load_n(&l->r.ctrl->head, __ATOMIC_ACQUIRE))
			l->ended = true;
	}
}

/*
 * ext_ops->body: after the head, as resp_send(). Only the end of the
 * stream ends a viewer's response cleanly: any other end is a reset, lest
 * a client take it for the end (HTTP/1.0) or keep bytes it cannot trust.
 */
static int view_body(struct worker *w, struct conn *c)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct live_view *l = c->ext;
	int ret;

	if (!l->head_out) {
		if (l->final_out)
			return 1;	/* HEAD: nothing follows the head */
		l->head_out = true;
		/* The head is out: its buffer and the copy path's are not needed. */
		free(c->buf);
		c->buf = NULL;
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_cap = 0;
	}
	ret = view_send(w, c, l);
	if (ret < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	return ret;
}

static void view_release(struct worker *w, struct conn *c)
{
	struct live_view *l = c->ext;

	if (l->r.fd >= 0)
		view_drop(w, l);
	if (l->counted) {
		atomic_fetch_sub(&live_count.viewers_now, 1);
		l->counted = false;
	}
}

static void view_free(struct conn *c)
{
	free(c->ext);
}

static size_t view_log(const struct conn *c, char *buf, size_t size)
{
	const struct live_view *l = c->ext;

	if (!size)
		return 0;
	if (l->rejoins)
		return snprintf(buf, size, " from=%" PRIu64 " to=%" PRIu64 " rejoins=%" PRIu64
				" rejoined_at=%" PRIu64 " aside=%" PRIu64, l->start, l->pos,
				l->rejoins, l->rejoined_at, l->aside);
	return snprintf(buf, size, " from=%" PRIu64 " to=%" PRIu64 " rejoins=0 aside=%" PRIu64,
			l->start, l->pos, l->aside);
}

static const struct conn_ext_ops view_ops = {
	.body = view_body,
	.release = view_release,
	.free = view_free,
	.log = view_log,
};
