// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the sender, below the handlers and the
 * connection. It executes a response plan (plan.h), with one of five
 * paths for the video's bytes (--send):
 *
 *   splice  the video's pages go into the connection's pipe by reference
 *           (the module's splice_read), then from the pipe to the socket:
 *           no copy in user space, and none in the kernel before the NIC.
 *   sendfile the same pages by the same splice_read, through the kernel's
 *           own per-task pipe: sendfile(2) loops inside the kernel until
 *           the socket is full, one call per wakeup where splice makes two
 *           a pipe's worth, and the connection holds no pipe.
 *   mmap    send(2) straight from a read-only mapping of the whole video:
 *           one copy, into the socket buffer; no read(2).
 *   copy    pread(2) into a buffer, then send(2) it: two copies. The
 *           baseline the others are measured against.
 *   aio     as copy, but the read is kernel AIO (IOCB_CMD_PREAD,
 *           user/lib/aio.c) and its completion comes back through the
 *           epoll loop.
 *
 * Text (headers, multipart and chunk framing) always goes by send(2) with
 * MSG_MORE when bytes follow, so that it shares packets with the body.
 * A video still loading is sent by copy under mmap (its mapping would SIGBUS
 * past the size) and counted there; so is everything when the device cannot
 * splice, or when a pipe cannot be had (out of descriptors).
 *
 * What the segments do not say (a live viewer's body) the handler sends
 * through the connection's ext_ops->body, after them. An AIO read that
 * completes is reported through worker->resume, the one callback up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include "streamer.h"

/* copy and aio read at most this much at a time. */
#define BUF_SIZE	(256 * 1024)
/*
 * splice's pipe: a turn's worth (TURN_BYTES), one fill and one drain a
 * turn. At 256 KiB a 20 MiB range took 271 splices (bench/serve-count.sh),
 * where nginx's sendfile() took 14; else PIPE_SIZE_MIN.
 */
#define PIPE_SIZE	TURN_BYTES
#define PIPE_SIZE_MIN	(256 * 1024)
/*
 * Most bytes one send(2) from a mapping offers: a bound on time in the
 * call, within a turn's budget (TURN_BYTES), so that one call cannot hold
 * the worker longer than a turn may.
 */
#define MAP_SEND_MAX	TURN_BYTES

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Whether anything follows what is loaded now: decides MSG_MORE. */
static bool more_after(const struct resp *r)
{
	return r->cur < r->nseg || r->loop_file_next || (r->looping && !r->loop_done);
}

static void load_file(struct resp *r, uint64_t first, uint64_t end)
{
	r->file = true;
	r->pos = first;
	r->end = end;
}

static void load_text(struct resp *r, const char *text, size_t len)
{
	r->file = false;
	r->text = text;
	r->text_left = len;
}

/*
 * ?loop=N: each pass is [chunk header] + the bytes, then the last chunk.
 * An empty pass would be read as the last chunk, so an empty body sends
 * only that.
 */
static bool next_loop_seg(struct resp *r)
{
	bool empty = r->loop_end == r->loop_first;
	int n;

	if (r->loop_file_next) {
		r->loop_file_next = false;
		load_file(r, r->loop_first, r->loop_end);
		return true;
	}
	if (!empty && (r->loop_forever || r->loops_left)) {
		if (!r->loop_forever)
			r->loops_left--;
		if (!r->chunked) {
			load_file(r, r->loop_first, r->loop_end);
			return true;
		}
		n = snprintf(r->chunk, sizeof(r->chunk), "%s%llx\r\n",
			     r->loop_started ? "\r\n" : "",
			     (unsigned long long)(r->loop_end - r->loop_first));
		r->loop_started = true;
		r->loop_file_next = true;
		load_text(r, r->chunk, n);
		return true;
	}
	r->loop_done = true;
	if (!r->chunked)
		return false;
	n = snprintf(r->chunk, sizeof(r->chunk), "%s0\r\n\r\n", r->loop_started ? "\r\n" : "");
	load_text(r, r->chunk, n);
	return true;
}

/* Loads the next segment; false when the response is complete. */
static bool next_seg(struct conn *c)
{
	struct resp *r = &c->r;
	const struct seg *s;

	if (r->cur < r->nseg) {
		s = &r->seg[r->cur++];
		if (s->kind == SEG_OUT)
			load_text(r, c->out + s->first, s->end - s->first);
		else if (s->kind == SEG_LIST)
			load_text(r, list_body(r->list) + s->first, s->end - s->first);
		else if (s->kind == SEG_BLOB)
			load_text(r, r->blob + s->first, s->end - s->first);
		else
			load_file(r, s->first, s->end);
		return true;
	}
	if (r->looping && !r->loop_done)
		return next_loop_seg(r);
	return false;
}

/* Books @n bytes of the body sent by the current path. */
static void sent_file(struct worker *w, struct conn *c, size_t n)
{
	c->r.pos += n;
	c->r.sent += n;
	turn_add(c, n);
	c->r.file_sent += n;
	w->bytes[c->r.mode] += n;
	c->active_ms = w->now_ms;
}

/* What send(2) and splice(2) failing means: 0 blocked, 1 retry, -1 failed. */
static int send_error(void)
{
	if (errno == EAGAIN)
		return 0;
	if (errno == EINTR)
		return 1;
	return -1;
}

/*
 * copy and aio: how much to read next. A socket that takes whole buffers
 * gets BUF_SIZE reads; one that did not take the last one (a slow client)
 * gets BUF_SLOW reads until it takes them whole again, doubling back. When
 * the socket is full, the bytes it did not take are let go and read again
 * later (send_buf()), so a connection waiting for a slow client holds no
 * buffer at all, and what is read twice is one buffer a wait: 200
 * slow readers used to pin 50 MB of buffers. (The kernel's send buffer
 * holds what it took, within tcp_wmem.)
 */
#define BUF_SLOW	(16 * 1024)
/* aio: bytes being read for one worker's connections at most. */
#define AIO_INFLIGHT_MAX	(4 * 1024 * 1024)

/*
 * A buffer for the next read; its size, or 0 with no memory. @align (an
 * --origin bypass read O_DIRECT, origin.c; else 0): the read starts at
 * r->pos rounded down to it and its length is rounded up, as O_DIRECT
 * wants, in a buffer aligned to it; the bytes before r->pos
 * (c->aio_skip) are not sent.
 */
static size_t get_buf(struct conn *c, size_t align)
{
	struct resp *r = &c->r;
	size_t want = min_u64(r->end - r->pos, c->buf_want ? c->buf_want : BUF_SIZE);
	void *b = NULL;

	c->aio_skip = align ? r->pos % align : 0;
	if (align)
		want = (c->aio_skip + want + align - 1) / align * align;
	free(c->buf);
	c->buf = NULL;
	if (align ? posix_memalign(&b, align, want) != 0 : !(b = malloc(want)))
		return 0;
	c->buf = b;
	return want;
}

/* Sent: the buffer goes, so that a waiting connection holds none. */
static void put_buf(struct conn *c)
{
	if (c->buf_off == c->buf_len) {
		free(c->buf);
		c->buf = NULL;
		c->buf_off = c->buf_len = 0;
	}
}

/* The buffered bytes of copy and aio, to the socket. */
static int send_buf(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	size_t len = c->buf_len - c->buf_off;
	bool more = r->pos + len < r->end || more_after(r);
	ssize_t n;

	n = send(c->fd, c->buf + c->buf_off, len, MSG_NOSIGNAL | MSG_DONTWAIT |
		 (more ? MSG_MORE : 0));
	if (n < 0 && errno == EAGAIN) {
		/*
		 * The socket is full: let go of what it did not take (it starts
		 * at r->pos, and is read again once the socket has room), so
		 * that a connection waiting for a slow client holds no buffer.
		 */
		free(c->buf);
		c->buf = NULL;
		c->buf_off = c->buf_len = 0;
		c->buf_want = BUF_SLOW;
		return 0;
	}
	if (n < 0)
		return send_error();
	c->buf_off += n;
	sent_file(w, c, n);
	if ((size_t)n < len)
		c->buf_want = BUF_SLOW;		/* the socket is full: read less */
	else if (c->buf_want && c->buf_want < BUF_SIZE)
		c->buf_want *= 2;
	put_buf(c);
	return 1;
}

static int send_copy(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	ssize_t n;

	if (c->buf_off == c->buf_len) {
		size_t want = get_buf(c, 0);

		if (!want)
			return -1;
		n = pread(r->v->fd, c->buf, want, r->pos);
		if (n < 0 && errno == EINTR)
			return 1;
		if (n <= 0)
			return -1;	/* sizes never shrink: 0 is a failure too */
		c->buf_len = n;
		c->buf_off = 0;
	}
	return send_buf(w, c);
}

static int send_mmap(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	uint64_t len = min_u64(r->end - r->pos, MAP_SEND_MAX);
	bool more = r->pos + len < r->end || more_after(r);
	ssize_t n;

	if (video_map(r->v)) {
		r->mode = SEND_COPY;
		return send_copy(w, c);
	}
	n = send(c->fd, r->v->map + r->pos, len, MSG_NOSIGNAL | MSG_DONTWAIT |
		 (more ? MSG_MORE : 0));
	if (n < 0)
		return send_error();
	sent_file(w, c, n);
	return 1;
}

/* The connection's pipe, made on its first spliced response. */
static int pipe_open(struct conn *c)
{
	int sz;

	if (pipe2(c->pipe, O_NONBLOCK | O_CLOEXEC)) {
		c->pipe[0] = c->pipe[1] = -1;
		return -1;
	}
	/* Larger pipes mean fewer splices; past the user's quota, keep 64 KiB. */
	if (fcntl(c->pipe[1], F_SETPIPE_SZ, PIPE_SIZE) < 0)
		fcntl(c->pipe[1], F_SETPIPE_SZ, PIPE_SIZE_MIN);
	sz = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_cap = sz > 0 ? sz : 65536;
	c->pipe_len = 0;
	return 0;
}

/* A module without splice_read (EINVAL): say so once, then copy. */
static int splice_unsupported(struct worker *w, struct conn *c, const char *call)
{
	worker_warn(w, "%s from %s: %s; sending with copy instead", call, cfg.device,
		    strerror(errno));
	w->splice_broken = true;
	c->r.mode = SEND_COPY;
	return send_copy(w, c);
}

static int send_splice(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	bool more;
	ssize_t n;

	if (w->splice_broken || (c->pipe[0] < 0 && pipe_open(c))) {
		r->mode = SEND_COPY;
		return send_copy(w, c);
	}
	/* The pipe holds [pos, pos + pipe_len): fill it only once it is empty. */
	if (!c->pipe_len) {
		loff_t off = r->pos;

		n = splice(r->v->fd, &off, c->pipe[1], NULL,
			   min_u64(r->end - r->pos, c->pipe_cap), SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINVAL)
			return splice_unsupported(w, c, "splice");
		if (n < 0)
			return errno == EINTR ? 1 : -1;
		if (!n)
			return -1;
		c->pipe_len = n;
	}
	more = r->pos + c->pipe_len < r->end || more_after(r);
	n = splice(c->pipe[0], NULL, c->fd, NULL, c->pipe_len,
		   SPLICE_F_NONBLOCK | SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0));
	if (n < 0)
		return send_error();
	c->pipe_len -= n;
	sent_file(w, c, n);
	return 1;
}

/*
 * sendfile(2) cannot be told MSG_MORE: the kernel sets it on all but the
 * last piece of each call, so a call ends in a push. At most a turn's
 * bytes a call (as MAP_SEND_MAX) bounds both the pushes and the time.
 *
 * sendfile passes no SPLICE_F_NONBLOCK to the module, so a read past what
 * is committed would wait in the worker. None is asked for: a range ends
 * within the size the plan read (vod.c sends a video still filling by AIO
 * instead), and a video's size never shrinks.
 */
static int send_sendfile(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	off_t off = r->pos;
	ssize_t n;

	if (w->splice_broken) {
		r->mode = SEND_COPY;
		return send_copy(w, c);
	}
	n = sendfile(c->fd, r->v->fd, &off, min_u64(r->end - r->pos, MAP_SEND_MAX));
	if (n < 0 && errno == EINVAL)
		return splice_unsupported(w, c, "sendfile");
	if (n < 0)
		return send_error();
	if (!n)
		return -1;	/* sizes never shrink: end of file is a failure */
	sent_file(w, c, n);
	return 1;
}

static void aio_wait(struct worker *w, struct conn *c)
{
	c->aio_waiting = true;
	c->aio_next = NULL;
	if (w->aio_wait_tail)
		w->aio_wait_tail->aio_next = c;
	else
		w->aio_wait_head = c;
	w->aio_wait_tail = c;
}

static int send_aio(struct worker *w, struct conn *c)
{
	struct vaio_iocb *cbs[1] = { &c->cb };
	struct resp *r = &c->r;
	size_t want;
	int ret;

	if (c->aio_err)
		return -1;
	if (c->aio_busy || c->aio_waiting)
		return 0;
	if (c->buf_off < c->buf_len)
		return send_buf(w, c);
	/*
	 * Bytes in flight are bounded per worker: 200 connections starting at
	 * once would otherwise have 200 buffers being filled, and the arena
	 * keeps that peak resident. Over it, wait for completions.
	 */
	if (w->aio_bytes >= AIO_INFLIGHT_MAX) {
		aio_wait(w, c);
		return 0;
	}
	want = get_buf(c, r->v->dio_align);
	if (!want)
		return -1;
	vaio_prep_pread(&c->cb, r->v->fd, c->buf, want, r->pos - c->aio_skip, c);
	ret = vaio_submit(&w->aio, cbs, 1);
	if (ret == -EAGAIN) {
		/* Every slot is taken: retried when completions free one. */
		aio_wait(w, c);
		return 0;
	}
	if (ret < 1)
		return -1;
	c->aio_busy = true;
	c->aio_len = want;
	w->aio_bytes += want;
	return 0;
}

/* vaio_reap()'s callback: the read is done; carry on sending. */
void send_aio_done(struct vaio *ctx, struct vaio_iocb *cb, void *cookie, long res, void *arg)
{
	struct worker *w = arg;
	struct conn *c = cookie;

	if (c->parked) {
		park_done(w, c, res);	/* not a read of the body: a wait */
		return;
	}
	c->aio_busy = false;
	w->aio_bytes -= c->aio_len;
	c->aio_len = 0;
	if (c->dead)
		return;		/* closed meanwhile: bury() frees it now */
	if (res <= 0 || (size_t)res <= c->aio_skip) {
		c->aio_err = res < 0 ? -res : EIO;	/* short of r->pos: the file shrank */
	} else {
		/* Past r->end an O_DIRECT read brings bytes not asked for. */
		c->buf_off = c->aio_skip;
		c->buf_len = min_u64(res, c->aio_skip + (c->r.end - c->r.pos));
	}
	c->aio_skip = 0;
	w->resume(w, c);
}

/* After a reap: the connections that found every AIO slot taken try again. */
void send_aio_retry(struct worker *w)
{
	struct conn *c = w->aio_wait_head, *next;

	w->aio_wait_head = w->aio_wait_tail = NULL;
	for (; c; c = next) {
		next = c->aio_next;
		c->aio_waiting = false;
		w->resume(w, c);
	}
}

/* A connection closing while it waits for a free AIO slot. */
void send_unwait(struct worker *w, struct conn *c)
{
	struct conn **pp, *prev = NULL;

	for (pp = &w->aio_wait_head; *pp; prev = *pp, pp = &(*pp)->aio_next) {
		if (*pp == c) {
			*pp = c->aio_next;
			if (w->aio_wait_tail == c)
				w->aio_wait_tail = prev;
			break;
		}
	}
	c->aio_waiting = false;
}

static int send_file(struct worker *w, struct conn *c)
{
	switch (c->r.mode) {
	case SEND_SPLICE:
		return send_splice(w, c);
	case SEND_SENDFILE:
		return send_sendfile(w, c);
	case SEND_MMAP:
		return send_mmap(w, c);
	case SEND_AIO:
		return send_aio(w, c);
	default:
		return send_copy(w, c);
	}
}

int resp_send(struct worker *w, struct conn *c)
{
	struct resp *r = &c->r;
	ssize_t n;
	int ret;

	/*
	 * conn->out could not grow while the plan was made: a head cut
	 * short, or text shorter than its Content-Length, would leave the
	 * client waiting or misreading. conn.c answers 503 where it can;
	 * whatever came here by another path (a plan a job made, a body's
	 * framing) closes the connection instead.
	 */
	if (c->out_failed)
		return -1;
	for (;;) {
		if (turn_spent(c))
			return 0;
		if (r->text_left) {
			n = send(c->fd, r->text, r->text_left, MSG_NOSIGNAL | MSG_DONTWAIT |
				 (more_after(r) ? MSG_MORE : 0));
			if (n < 0) {
				ret = send_error();
				if (ret <= 0)
					return ret;
				continue;
			}
			r->text += n;
			r->text_left -= n;
			r->sent += n;
			turn_add(c, n);
			c->active_ms = w->now_ms;
			continue;
		}
		if (r->file && r->pos < r->end) {
			ret = send_file(w, c);
			if (ret <= 0)
				return ret;
			continue;
		}
		if (!next_seg(c))
			return c->ext && c->ext_ops->body ? c->ext_ops->body(w, c) : 1;
	}
}

/* The response is over, sent or not: let go of what it held. */
void resp_release(struct worker *w, struct conn *c)
{
	if (c->ext && c->ext_ops->release)
		c->ext_ops->release(w, c);
	list_put(c->r.list);
	c->r.list = NULL;
	if (c->r.v) {
		video_put(w, c->r.v);
		c->r.v = NULL;
	}
	c->buf_len = c->buf_off = 0;
	c->r.text_left = 0;
	c->r.file = false;
	c->r.looping = false;
}
