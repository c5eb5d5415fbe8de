// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the connection, a state machine below the event
 * loop (loop.c) and above everything that answers: it reads a request head,
 * hands it to worker->respond (the route table, which main.c gives the
 * loop), then does what the plan (plan.h) says: take a body through the
 * handler's ext_ops->ingest, send it (send.c), or wait for a job; then
 * lingers before close. It knows no handler. The layers below resume a
 * connection only through worker->resume, which conn_attach() sets.
 *
 *   ST_READ -> (respond) -> ST_SEND | ST_INGEST | ST_WAIT
 *   ST_INGEST -> ST_SEND | ST_WAIT,  ST_WAIT -> (resume) -> by the plan
 *   ST_SEND -> ST_READ (keep-alive) | ST_LINGER -> closed
 *
 * Edge-triggered epoll: whenever a connection runs it goes on until the
 * socket would block (or its turn is spent, see TURN_BYTES), so no edge is
 * ever lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "streamer.h"

/* How long a closing connection drains. */
#define LINGER_MS	2000

static atomic_uint total_conns;

/* The state a plan (plan.h) puts its connection in. */
static enum conn_state plan_state(const struct conn *c)
{
	switch (c->r.next) {
	case PLAN_INGEST:
		return ST_INGEST;
	case PLAN_WAIT:
		return ST_WAIT;
	default:
		return ST_SEND;
	}
}

static void conn_link(struct conn **head, struct conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void conn_unlink(struct conn **head, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* A connection whose turn was spent: the loop comes back to it. */
static void ready_add(struct worker *w, struct conn *c)
{
	if (c->ready)
		return;
	c->ready = true;
	c->ready_prev = NULL;
	c->ready_next = w->ready_head;
	if (w->ready_head)
		w->ready_head->ready_prev = c;
	w->ready_head = c;
}

static void ready_del(struct worker *w, struct conn *c)
{
	if (!c->ready)
		return;
	if (c->ready_prev)
		c->ready_prev->ready_next = c->ready_next;
	else
		w->ready_head = c->ready_next;
	if (c->ready_next)
		c->ready_next->ready_prev = c->ready_prev;
	c->ready = false;
}

/* Each connection whose turn was spent gets one more turn. */
void conn_run_ready(struct worker *w)
{
	struct conn *list = w->ready_head, *c;

	w->ready_head = NULL;
	for (c = list; c; c = c->ready_next)
		c->ready = false;
	/* conn_run() may put them back on w->ready_head: take each first. */
	while (list) {
		c = list;
		list = c->ready_next;
		c->ready_prev = c->ready_next = NULL;
		if (!c->dead)
			conn_run(w, c);
	}
}

static void conn_free(struct worker *w, struct conn *c)
{
	if (c->ext && c->ext_ops->free)
		c->ext_ops->free(c);
	free(c->in);
	free(c->out);
	free(c->buf);
	free(c);
}

/*
 * Closed connections are freed at the end of the loop turn, not at once:
 * the same epoll batch may still hold an event naming them, and an AIO
 * read may still be writing into their buffer.
 */
static void conn_close(struct worker *w, struct conn *c)
{
	if (c->dead)
		return;
	if (c->state == ST_SEND || c->state == ST_INGEST)
		log_request(w, c, true);
	park_cancel(w, c);	/* its completion comes, then bury() frees it */
	origin_unwait(c);
	resp_release(w, c);
	if (c->aio_waiting)
		send_unwait(w, c);
	ready_del(w, c);
	close(c->fd);
	if (c->pipe[0] >= 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	conn_unlink(&w->conns, c);
	w->nconns--;
	atomic_fetch_sub(&total_conns, 1);
	c->dead = true;
	conn_link(&w->graveyard, c);
	/* Descriptors came free: the loop listens again if it had stopped. */
	w->fds_freed = true;
}

/* End of a loop turn: free the dead, except those an AIO read still fills. */
void conn_bury(struct worker *w)
{
	struct conn *c, *next;

	for (c = w->graveyard; c; c = next) {
		next = c->next;
		if (c->aio_busy || c->jobs)
			continue;
		conn_unlink(&w->graveyard, c);
		conn_free(w, c);
	}
}

void conn_new(struct worker *w, int fd, const struct sockaddr_storage *sa)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	char host[INET6_ADDRSTRLEN] = "?";
	struct conn *c;
	int one = 1, port = 0;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		atomic_fetch_sub(&total_conns, 1);
		return;
	}
	c->kind = EP_CONN;
	c->fd = fd;
	c->w = w;
	c->pipe[0] = c->pipe[1] = -1;
	c->state = ST_READ;
	c->rd_ready = true;
	c->active_ms = w->now_ms;
	c->peer_addr = *sa;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d", host, port);
	} else {
		strcpy(c->peer, "-");
	}
	/* MSG_MORE does the batching; what is left must go out at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		free(c);
		atomic_fetch_sub(&total_conns, 1);
		return;
	}
	conn_link(&w->conns, c);
	w->nconns++;
}

/*
 * A connection over --max-conns is not taken: false, and the caller turns
 * it away. Each one taken is given back when conn_new() fails or it closes.
 */
bool conn_admit(void)
{
	if (atomic_fetch_add(&total_conns, 1) >= cfg.max_conns) {
		atomic_fetch_sub(&total_conns, 1);
		return false;
	}
	return true;
}

/* A response is out: log it, let go of the video, drop its request. */
static void resp_done(struct worker *w, struct conn *c)
{
	log_request(w, c, false);
	resp_release(w, c);
	if (c->have_req) {
		c->in_len -= c->req.head_len;
		memmove(c->in, c->in + c->req.head_len, c->in_len);
		c->have_req = false;
	}
	/* A pipelined request waiting already: its head started now, as far as we care. */
	c->head_start_ms = w->now_ms;
}

/*
 * The plan just made is cut short: conn->out could not grow (ENOMEM), so
 * its head lacks fields or its text body falls short of its
 * Content-Length. A short 503 instead, then the close. out already holds
 * the OUT_MIN bytes reply.c allocates first, so the 503 fits without more
 * memory (if even those could not be had, resp_send() closes instead).
 * Not while the plan waits for a job, or a job still works for the
 * connection: what the job brings back is a new plan, checked when it
 * resumes the connection, and resp_send() sends no cut plan, whatever
 * path it came by.
 */
static void plan_check_out(struct worker *w, struct conn *c)
{
	if (!c->out_failed || c->r.next == PLAN_WAIT || c->jobs)
		return;
	plan_drop_ext(w, c);
	c->close_after = true;
	respond_error(w, c, 503, "out of memory");
}

/* @n: http_parse_request()'s answer, a head length or a negative status. */
static void start_response(struct worker *w, struct conn *c, ssize_t n)
{
	c->resp_start_ns = now_ns();
	w->requests++;
	if (n > 0) {
		c->have_req = true;
		w->respond(w, c);
	} else {
		/* After a framing error nothing more on the connection can be trusted. */
		c->have_req = false;
		c->close_after = true;
		respond_parse_error(w, c, -n);
	}
	plan_check_out(w, c);
	c->state = plan_state(c);
}

/*
 * Closing after a response: shut our side, then read and drop what the
 * client still sends until it closes too (or LINGER_MS pass). Closing with
 * unread bytes would make the kernel send a reset, which can destroy the
 * response before the client has read it.
 */
static void linger_start(struct worker *w, struct conn *c)
{
	c->state = ST_LINGER;
	c->in_len = 0;
	c->active_ms = w->now_ms;
	shutdown(c->fd, SHUT_WR);
	if (c->rd_eof)
		conn_close(w, c);
}

static void linger_read(struct worker *w, struct conn *c)
{
	char scratch[16384];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break;
	}
	/* EOF, an error, or a client that keeps sending: enough. */
	conn_close(w, c);
}

/* 1: bytes came (or EINTR), 0: would block, -1: the connection is over. */
static int conn_read(struct worker *w, struct conn *c)
{
	size_t room;
	ssize_t n;

	if (!c->rd_ready && !c->rd_hup) {
		errno = EAGAIN;
		goto idle;
	}
	if (!c->in) {
		c->in = malloc(cfg.max_header);
		if (!c->in)
			return -1;
	}
	room = cfg.max_header - c->in_len;
	n = recv(c->fd, c->in + c->in_len, room, 0);
	if (n > 0) {
		if (!c->in_len)
			c->head_start_ms = w->now_ms;
		c->in_len += n;
		c->active_ms = w->now_ms;
		if ((size_t)n < room)
			c->rd_ready = false;
		return 1;
	}
	if (!n) {
		c->rd_eof = true;
		return c->in_len ? 1 : -1;
	}
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN)
		c->rd_ready = false;
idle:
	if (errno == EAGAIN) {
		/* Idle between requests: hold no buffers (think 10,000 of us). */
		if (!c->in_len) {
			free(c->in);
			c->in = NULL;
			free(c->out);
			c->out = NULL;
			c->out_cap = c->out_len = 0;
			free(c->buf);
			c->buf = NULL;
		}
		return 0;
	}
	return -1;
}

void conn_run(struct worker *w, struct conn *c)
{
	ssize_t n;
	int ret;

	c->turn_bytes = 0;
	c->turn_requests = 0;
	while (!c->dead) {
		switch (c->state) {
		case ST_INGEST:
			ret = c->ext_ops->ingest(w, c);
			if (ret < 0)
				conn_close(w, c);
			else if (!ret && turn_spent(c))
				ready_add(w, c);
			if (ret <= 0)
				return;
			c->state = plan_state(c);
			break;
		case ST_SEND:
			ret = resp_send(w, c);
			if (ret < 0) {
				conn_close(w, c);
				return;
			}
			if (!ret) {
				if (turn_spent(c))
					ready_add(w, c);
				return;
			}
			resp_done(w, c);
			if (c->close_after || w->stopping)
				linger_start(w, c);
			else
				c->state = ST_READ;
			break;
		case ST_LINGER:
			linger_read(w, c);
			return;
		case ST_WAIT:
			return;
		case ST_READ:
			if (c->in_len) {
				/* Resumed where the last read's parse stopped: O(head), not O(head^2). */
				n = http_scan_request(&c->scan, c->in, c->in_len, cfg.max_header,
						      &c->req);
				/* Pipelined requests: the rest next turn (scanned again then). */
				if (n && c->turn_requests++ == TURN_REQUESTS) {
					ready_add(w, c);
					return;
				}
				if (n) {
					start_response(w, c, n);
					break;
				}
			}
			/* The client is done and left no whole request. */
			if (c->rd_eof) {
				conn_close(w, c);
				return;
			}
			ret = conn_read(w, c);
			if (ret < 0)
				conn_close(w, c);
			if (ret <= 0)
				return;
			break;
		}
	}
}

/*
 * worker->resume: the layers below (a job's done(), an AIO completion)
 * give a connection back here. One that waited goes where its plan says.
 */
static void conn_resume(struct worker *w, struct conn *c)
{
	if (c->dead)
		return;
	if (c->state == ST_WAIT) {
		plan_check_out(w, c);
		c->state = plan_state(c);
	}
	conn_run(w, c);
}

/* The connection layer's part of a worker: how it is called back. */
void conn_attach(struct worker *w)
{
	w->resume = conn_resume;
}

/*
 * EP_SRC: the descriptor a handler's body waits on (conn->src_kind; a live
 * viewer's stream at its position) has news.
 */
void conn_src_event(struct worker *w, enum ep_kind *k)
{
	struct conn *c = (struct conn *)((char *)k - offsetof(struct conn, src_kind));

	if (c->dead)
		return;
	c->src_parked = false;
	c->src_woke = true;
	conn_run(w, c);
	c->src_woke = false;	/* the connection is freed after the loop turn only */
}

/* The sweep, for one connection: its timeouts. */
void conn_sweep(struct worker *w, struct conn *c)
{
	uint64_t idle = w->now_ms - c->active_ms;
	char why[96];

	switch (c->state) {
	case ST_READ:
		if (!c->in_len) {
			if (idle >= cfg.idle_timeout_ms)
				conn_close(w, c);
		} else if (w->now_ms - c->head_start_ms >= cfg.header_timeout_ms) {
			/* A slow (or slowloris) client: 408, then the door. */
			snprintf(why, sizeof(why), "no whole request head within %" PRIu64
				 " ms", cfg.header_timeout_ms);
			c->resp_start_ns = now_ns();
			c->have_req = false;
			c->close_after = true;
			respond_error(w, c, 408, why);
			c->state = ST_SEND;
			conn_run(w, c);
		}
		break;
	case ST_INGEST:
		/* A broadcaster that sends nothing: the stream ends. */
		if (idle >= cfg.idle_timeout_ms ||
		    (w->stopping && w->now_ms >= w->stop_deadline_ms))
			conn_close(w, c);
		break;
	case ST_SEND:
		/* A body waiting for its source (a live viewer, its broadcaster) is not idle. */
		if (c->src_parked)
			c->active_ms = w->now_ms;
		/* The client reads nothing (or the drain is over): nothing to say. */
		if (idle >= cfg.send_timeout_ms ||
		    (w->stopping && w->now_ms >= w->stop_deadline_ms))
			conn_close(w, c);
		break;
	case ST_LINGER:
		if (idle >= LINGER_MS)
			conn_close(w, c);
		break;
	case ST_WAIT:
		/*
		 * Its job finishes, then its own timeouts apply. A request
		 * parked on a loading video (park.c) waits as long as the fill
		 * lasts, but not past the drain of a stopping server.
		 */
		if ((c->parked || c->fill_wait) && w->stopping &&
		    w->now_ms >= w->stop_deadline_ms)
			conn_close(w, c);
		else
			c->active_ms = w->now_ms;
		break;
	}
}

/* Stopping: what waits for a request closes, the rest closes after its response. */
void conn_stop(struct worker *w, struct conn *c)
{
	if (c->state == ST_READ)
		conn_close(w, c);
	else
		c->close_after = true;
}
