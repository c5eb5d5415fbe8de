// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer: an HTTP/1.1 server for the videos of /dev/vcache.
 *
 * One worker thread per CPU by default, each with its own listening socket
 * (SO_REUSEPORT lets the kernel spread connections over them) and its own
 * epoll loop over non-blocking sockets; no thread per connection. A
 * connection is a small state machine (read a head, send a response,
 * linger before close) driven by edge-triggered epoll: whenever it runs it
 * goes on until the socket would block, so no edge is ever lost.
 *
 * The main thread only waits for signals: SIGINT/SIGTERM stop the workers,
 * which finish the responses under way (for at most --drain-timeout) and
 * close everything else; SIGHUP reopens the --log file, for logrotate.
 *
 * See streamer.h for how the files split the work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "parse.h"
#include "streamer.h"

#define DEFAULT_LISTEN	"127.0.0.1:8080"
#define DEFAULT_DEVICE	"/dev/vcache"

/* How often timeouts are checked, and how long a closing connection drains. */
#define SWEEP_MS	250
#define LINGER_MS	2000
#define ACCEPT_BATCH	64
#define AIO_DEPTH	256

struct config cfg = {
	.send = SEND_SPLICE,
	.device = DEFAULT_DEVICE,
	.max_header = 8192,
	.header_timeout_ms = 10000,
	.idle_timeout_ms = 60000,
	.send_timeout_ms = 30000,
	.drain_timeout_ms = 10000,
	.max_conns = 10000,
	.live_capacity = 64 << 20,
	.live_fps_num = 30000,
	.live_fps_den = 1001,
	.live_max_streams = 8,
};

static atomic_uint total_conns;
static void listen_resume(struct worker *w);

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/* --- connections ----------------------------------------------------------- */

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
static void run_ready(struct worker *w)
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
	live_free(c);
	free(c->in);
	free(c->out);
	free(c->buf);
	free(c);
}

static void aio_unwait(struct worker *w, struct conn *c)
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
	resp_release(w, c);
	if (c->aio_waiting)
		aio_unwait(w, c);
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
	/* Descriptors came free: listen again if we had stopped. */
	if (w->listen_paused)
		listen_resume(w);
}

/* End of a loop turn: free the dead, except those an AIO read still fills. */
static void bury(struct worker *w)
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

static void conn_new(struct worker *w, int fd, const struct sockaddr_storage *sa)
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

static const char *parse_error_text(int status)
{
	switch (status) {
	case 414:
		return "the request line is longer than --max-header-bytes";
	case 431:
		return "the request head is larger than --max-header-bytes";
	case 501:
		return "only the chunked Transfer-Encoding is taken";
	case 505:
		return "only HTTP/1.0 and HTTP/1.1 are served";
	default:
		return "malformed request";
	}
}

/* @n: http_parse_request()'s answer, a head length or a negative status. */
static void start_response(struct worker *w, struct conn *c, ssize_t n)
{
	c->resp_start_ns = now_ns();
	w->requests++;
	/* A live ingest switches to ST_INGEST, to take the body first. */
	c->state = ST_SEND;
	if (n > 0) {
		c->have_req = true;
		http_respond(w, c);
	} else {
		/* After a framing error nothing more on the connection can be trusted. */
		c->have_req = false;
		c->close_after = true;
		http_respond_error(w, c, -n, parse_error_text(-n));
	}
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
	ssize_t n;

	if (!c->in) {
		c->in = malloc(cfg.max_header);
		if (!c->in)
			return -1;
	}
	n = recv(c->fd, c->in + c->in_len, cfg.max_header - c->in_len, 0);
	if (n > 0) {
		if (!c->in_len)
			c->head_start_ms = w->now_ms;
		c->in_len += n;
		c->active_ms = w->now_ms;
		return 1;
	}
	if (!n) {
		c->rd_eof = true;
		return c->in_len ? 1 : -1;
	}
	if (errno == EINTR)
		return 1;
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
			ret = live_ingest_run(w, c);
			if (ret < 0)
				conn_close(w, c);
			else if (!ret && turn_spent(c))
				ready_add(w, c);
			if (ret <= 0)
				return;
			c->state = ST_SEND;
			break;
		case ST_SEND:
			ret = c->live ? live_send(w, c) : resp_send(w, c);
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
 * A connection over the limit gets this and the door. Its Content-Length
 * is written by hand (the reply is sent before anything is allocated for
 * the connection), so the compiler checks it against the body.
 */
#define BUSY_BODY	"503 Service Unavailable: too many connections\n"
#define BUSY_BODY_LEN	46
#define STR_(x)		#x
#define STR(x)		STR_(x)
_Static_assert(sizeof(BUSY_BODY) - 1 == BUSY_BODY_LEN, "the 503's Content-Length");
static const char busy_503[] =
	"HTTP/1.1 503 Service Unavailable\r\nServer: " PROG "\r\nConnection: close\r\n"
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: " STR(BUSY_BODY_LEN)
	"\r\nRetry-After: 1\r\n\r\n" BUSY_BODY;

/*
 * Out of descriptors: a pending connection would make the listening socket
 * readable forever. Give up the spare descriptor, take the connection and
 * close it, and take the spare back.
 */
static void listen_pause(struct worker *w)
{
	struct epoll_event ev = { .events = 0, .data.ptr = &w->k_listen };

	if (!w->listen_paused && !epoll_ctl(w->ep, EPOLL_CTL_MOD, w->lfd, &ev))
		w->listen_paused = true;
}

/*
 * Listening again after a pause: once the spare descriptor is back, as
 * the shedding needs it. Called when a connection closes and from the
 * sweep, so a pause lasts SWEEP_MS at most after descriptors come free.
 */
static void listen_resume(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->k_listen };

	if (w->lfd < 0)
		return;
	if (w->spare_fd < 0)
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (w->spare_fd >= 0 && !epoll_ctl(w->ep, EPOLL_CTL_MOD, w->lfd, &ev))
		w->listen_paused = false;
}

static void shed_one(struct worker *w)
{
	int fd;

	/*
	 * Without a spare (another thread took the descriptor this one gave
	 * up), a pending connection would wake the level-triggered listener
	 * forever: stop polling it until descriptors come free.
	 */
	if (w->spare_fd < 0) {
		listen_pause(w);
		return;
	}
	close(w->spare_fd);
	fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		send(fd, busy_503, sizeof(busy_503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
	}
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (w->spare_fd < 0)
		listen_pause(w);
	/* Once a second at most: a flood must not flood stderr too. */
	if (!w->emfile_warned_ms || w->now_ms - w->emfile_warned_ms >= 1000) {
		w->emfile_warned_ms = w->now_ms;
		worker_warn(w, "out of file descriptors: connections refused (raise "
			    "RLIMIT_NOFILE or lower --max-conns)");
	}
}

static void accept_some(struct worker *w)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(sa);
		fd = accept4(w->lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				shed_one(w);
			return;
		}
		if (atomic_fetch_add(&total_conns, 1) >= cfg.max_conns) {
			atomic_fetch_sub(&total_conns, 1);
			send(fd, busy_503, sizeof(busy_503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		conn_new(w, fd, &sa);
	}
}

/* --- timeouts and stopping ------------------------------------------------- */

static void sweep(struct worker *w)
{
	struct conn *c, *next;
	char why[96];

	for (c = w->conns; c; c = next) {
		uint64_t idle = w->now_ms - c->active_ms;

		next = c->next;
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
				http_respond_error(w, c, 408, why);
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
			/* A live viewer waiting for the broadcaster is not idle. */
			if (live_waiting(c))
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
			/* Its job finishes, then its own timeouts apply. */
			c->active_ms = w->now_ms;
			break;
		}
	}
	video_sweep(w, false);
	if (w->listen_paused)
		listen_resume(w);
}

/*
 * SIGINT/SIGTERM: stop listening, close what waits for a request, and let
 * the responses under way finish, each connection closing after its own.
 */
static void begin_stop(struct worker *w)
{
	struct conn *c, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	w->stop_deadline_ms = w->now_ms + cfg.drain_timeout_ms;
	close(w->lfd);
	w->lfd = -1;
	for (c = w->conns; c; c = next) {
		next = c->next;
		if (c->state == ST_READ)
			conn_close(w, c);
		else
			c->close_after = true;
	}
}

/* --- workers --------------------------------------------------------------- */

static void update_clock(struct worker *w)
{
	time_t t = time(NULL);

	w->now_ms = now_ms();
	if (t != w->date_sec) {
		w->date_sec = t;
		http_format_date(w->date, sizeof(w->date), t);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	uint64_t next_sweep = 0;
	int i, n;

	for (;;) {
		update_clock(w);
		if (w->stopping && !w->nconns && !w->graveyard && !w->jobs_pending)
			break;
		if (w->now_ms >= next_sweep) {
			sweep(w);
			next_sweep = w->now_ms + SWEEP_MS;
		}
		bury(w);
		log_flush(w);
		/* Connections whose turn was spent: do not sleep on them. */
		n = epoll_wait(w->ep, evs, 256, w->ready_head ? 0 : SWEEP_MS);
		update_clock(w);
		for (i = 0; i < n; i++) {
			enum ep_kind *k = evs[i].data.ptr;
			uint64_t v;

			switch (*k) {
			case EP_LISTEN:
				if (!w->stopping)
					accept_some(w);
				break;
			case EP_WAKE:
				if (read(w->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					break;
				begin_stop(w);
				break;
			case EP_AIO:
				vaio_reap(&w->aio, send_aio_done, w);
				send_aio_retry(w);
				break;
			case EP_CONN:
				if (!((struct conn *)k)->dead)
					conn_run(w, (struct conn *)k);
				break;
			case EP_LIVE:
				live_event(w, k);
				break;
			case EP_JOB:
				jobs_reap(w);
				break;
			}
		}
		run_ready(w);
	}
	log_flush(w);
	video_sweep(w, true);
	return NULL;
}

static int add_ep(struct worker *w, int fd, enum ep_kind *k, enum ep_kind kind)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = k };

	*k = kind;
	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Everything a worker needs but its thread; an error message on failure. */
static int worker_init(struct worker *w, unsigned int id, int lfd)
{
	int err;

	w->id = id;
	w->lfd = lfd;
	w->rng = (now_ns() ^ ((uint64_t)id << 32) ^ (uint64_t)getpid()) | 1;
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->jobfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&w->jobs_lock, NULL);
	if (w->ep < 0 || w->wakefd < 0 || w->jobfd < 0 ||
	    add_ep(w, lfd, &w->k_listen, EP_LISTEN) ||
	    add_ep(w, w->wakefd, &w->k_wake, EP_WAKE) ||
	    add_ep(w, w->jobfd, &w->k_job, EP_JOB)) {
		fprintf(stderr, PROG ": worker %u: %s\n", id, strerror(errno));
		return -1;
	}
	if (cfg.send == SEND_AIO) {
		err = vaio_init(&w->aio, AIO_DEPTH, 0);
		if (err) {
			fprintf(stderr, PROG ": worker %u: AIO: %s\n", id,
				vaio_reason(&w->aio) ? vaio_reason(&w->aio) : strerror(-err));
			return -1;
		}
		w->aio_ok = true;
		if (add_ep(w, vaio_eventfd(&w->aio), &w->k_aio, EP_AIO)) {
			fprintf(stderr, PROG ": worker %u: %s\n", id, strerror(errno));
			return -1;
		}
	}
	update_clock(w);
	return 0;
}

static void worker_destroy(struct worker *w)
{
	if (w->aio_ok)
		vaio_destroy(&w->aio);
	if (w->lfd >= 0)
		close(w->lfd);
	close(w->ep);
	close(w->wakefd);
	close(w->jobfd);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
}

/* --- options and main ------------------------------------------------------ */

static int usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n\n"
		"Serves the videos of /dev/vcache over HTTP/1.1: GET/HEAD /v/NAME (Range,\n"
		"If-Range, If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since),\n"
		"/v/NAME?t=HH:MM:SS:FF (from the keyframe at or before; HH:MM:SS;FF for\n"
		"drop-frame, or seconds \"12.5\", or 90 kHz ticks \"1125000t\", as vcachectl\n"
		"seek), /v/NAME?loop=N (N passes, 0 for ever, chunked), and GET /v/ (a JSON\n"
		"list of the cache).\n"
		"Live: PUT or POST /live/NAME[?fps=RATE] ingests a stream (Content-Length or\n"
		"chunked); GET /live/NAME follows it from its latest keyframe (chunked),\n"
		"/live/NAME?t=TC from a timecode still in the ring; GET /live/ has counters.\n\n"
		"Options:\n"
		"  --listen ADDR:PORT     where to listen (default " DEFAULT_LISTEN
		"; [::1]:8080 for IPv6)\n"
		"  --send PATH            splice (default), mmap, copy or aio: how video bytes\n"
		"                         reach the socket\n"
		"  --threads N            worker threads, each with its own socket and epoll\n"
		"                         loop (default: one per CPU)\n"
		"  --device PATH          the vcache device (default " DEFAULT_DEVICE ")\n"
		"  --log FILE             access log to FILE (reopened on SIGHUP), not stdout\n"
		"  --quiet                no access log\n"
		"  --max-header-bytes N   largest request head (default 8K): 431 beyond\n"
		"  --header-timeout SEC   a request head must arrive within (default 10): 408\n"
		"  --idle-timeout SEC     a kept-alive connection may idle (default 60)\n"
		"  --send-timeout SEC     a response may make no progress (default 30)\n"
		"  --drain-timeout SEC    on SIGINT/SIGTERM, responses under way get (default 10)\n"
		"  --max-conns N          open connections, all threads (default 10000): 503\n"
		"  --live-capacity SIZE   ring of a live stream PUT /live/NAME creates\n"
		"                         (default 64M; the last quarter is the landing zone)\n"
		"  --live-fps RATE        its frame rate unless the PUT says ?fps= (default\n"
		"                         30000/1001): timecodes of ?t= count in it\n"
		"  --live-sndbuf SIZE     socket send buffer of live viewers (default: the\n"
		"                         kernel's autotuning); bounds their lag\n"
		"  --live-max-streams N   live streams being written at once (default 8): 503\n"
		"  --live-budget SIZE     live rings, written or ended, kept in the cache\n"
		"                         (default: --live-max-streams rings); ended streams\n"
		"                         are deleted oldest first to make room, so live\n"
		"                         rings never push videos on demand out: 507 if full\n"
		"  --ingest-allow NET     who may publish: an address or NET/BITS, repeatable\n"
		"                         (default: the loopback only, unless tokens are set)\n"
		"  --ingest-token-file F  publishing needs Authorization: Bearer TOKEN, the\n"
		"                         tokens in F: lines TOKEN (any stream) or NAME TOKEN\n"
		"                         (16+ characters; 401 without)\n"
		"  -h, --help             this help\n\n"
		"SIGINT/SIGTERM: finish the responses under way, then exit 0. SIGHUP: reopen\n"
		"the log. On exit, the bytes sent by each send path go to stderr.\n");
	return f == stderr ? 2 : 0;
}

/* "10", "0.5", "2.25": seconds, to the millisecond, > 0. */
static int parse_secs(const char *s, uint64_t *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && whole < 10000000)
		whole = whole * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && scale > 1) {
			scale /= 10;
			frac += (*p++ - '0') * scale;
		}
	}
	if (*p || whole >= 10000000 || !(whole * 1000 + frac))
		return -1;
	*ms = whole * 1000 + frac;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_size(s, &v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080", ":8080" (every address), "localhost:0". */
static int parse_listen(const char *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	char host[256];
	const char *colon, *port;
	int err;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon || (size_t)(colon - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, colon - s - 1);
		host[colon - s - 1] = '\0';
		port = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
		port = colon + 1;
	}
	if (!*port)
		return -1;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": --listen %s: %s\n", s, gai_strerror(err));
		return -1;
	}
	memcpy(&cfg.addr, ai->ai_addr, ai->ai_addrlen);
	cfg.addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* --ingest-token-file: read once at start; a bad line is a startup error. */
static int read_tokens(const char *path)
{
	char *text, why[128];
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > (1 << 20)) {
		fprintf(stderr, PROG ": --ingest-token-file %s: larger than 1 MiB\n", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 0044)
		fprintf(stderr, PROG ": warning: --ingest-token-file %s is readable by other "
			"users\n", path);
	text = malloc(st.st_size + 1);
	n = text ? read(fd, text, st.st_size) : -1;
	close(fd);
	if (n < 0) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, strerror(errno));
		free(text);
		return -1;
	}
	err = ingest_auth_parse_tokens(&cfg.ingest, text, n, why, sizeof(why));
	memset(text, 0, n);
	free(text);
	if (err) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, why);
		return -1;
	}
	if (!cfg.ingest.ntokens) {
		fprintf(stderr, PROG ": --ingest-token-file %s: no token in it\n", path);
		return -1;
	}
	return 0;
}

enum {
	OPT_MAX_HEADER = 256,
	OPT_HEADER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_LIVE_CAPACITY,
	OPT_LIVE_FPS,
	OPT_LIVE_SNDBUF,
	OPT_LIVE_MAX_STREAMS,
	OPT_LIVE_BUDGET,
	OPT_INGEST_ALLOW,
	OPT_INGEST_TOKEN_FILE,
};

static int parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "send", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-header-bytes", required_argument, NULL, OPT_MAX_HEADER },
		{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "live-capacity", required_argument, NULL, OPT_LIVE_CAPACITY },
		{ "live-fps", required_argument, NULL, OPT_LIVE_FPS },
		{ "live-sndbuf", required_argument, NULL, OPT_LIVE_SNDBUF },
		{ "live-max-streams", required_argument, NULL, OPT_LIVE_MAX_STREAMS },
		{ "live-budget", required_argument, NULL, OPT_LIVE_BUDGET },
		{ "ingest-allow", required_argument, NULL, OPT_INGEST_ALLOW },
		{ "ingest-token-file", required_argument, NULL, OPT_INGEST_TOKEN_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *listen_at = DEFAULT_LISTEN;
	unsigned int u;
	uint64_t v;
	int opt, i;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_at = optarg;
			break;
		case 's':
			for (i = 0; i < SEND_NR && strcmp(optarg, send_mode_names[i]); i++)
				;
			if (i == SEND_NR) {
				fprintf(stderr, PROG ": bad --send %s: want splice, mmap, copy "
					"or aio\n", optarg);
				return 2;
			}
			cfg.send = i;
			break;
		case 't':
			if (parse_uint(optarg, 1, 1024, &cfg.threads)) {
				fprintf(stderr, PROG ": bad --threads %s: want 1 to 1024\n", optarg);
				return 2;
			}
			break;
		case 'd':
			cfg.device = optarg;
			break;
		case 'L':
			cfg.log_path = optarg;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case OPT_MAX_HEADER:
			if (parse_size(optarg, &v) || v < 256 || v > (1 << 20)) {
				fprintf(stderr, PROG ": bad --max-header-bytes %s: want 256 to 1M\n",
					optarg);
				return 2;
			}
			cfg.max_header = v;
			break;
		case OPT_HEADER_TIMEOUT:
		case OPT_IDLE_TIMEOUT:
		case OPT_SEND_TIMEOUT:
		case OPT_DRAIN_TIMEOUT:
			if (parse_secs(optarg, opt == OPT_HEADER_TIMEOUT ? &cfg.header_timeout_ms :
					       opt == OPT_IDLE_TIMEOUT ? &cfg.idle_timeout_ms :
					       opt == OPT_SEND_TIMEOUT ? &cfg.send_timeout_ms :
					       &cfg.drain_timeout_ms)) {
				fprintf(stderr, PROG ": bad %s %s: want seconds, such as 10 or 0.5\n",
					argv[optind - 1][1] == '-' ? argv[optind - 1] : "timeout",
					optarg);
				return 2;
			}
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(optarg, 1, 10000000, &u)) {
				fprintf(stderr, PROG ": bad --max-conns %s\n", optarg);
				return 2;
			}
			cfg.max_conns = u;
			break;
		case OPT_LIVE_CAPACITY:
			if (parse_size(optarg, &v) || v < 16384 || v > (1ULL << 40)) {
				fprintf(stderr, PROG ": bad --live-capacity %s: want 16K to 1T\n",
					optarg);
				return 2;
			}
			cfg.live_capacity = v;
			break;
		case OPT_LIVE_SNDBUF:
			if (parse_size(optarg, &v) || v < 4096 || v > (1 << 30)) {
				fprintf(stderr, PROG ": bad --live-sndbuf %s: want 4K to 1G\n",
					optarg);
				return 2;
			}
			cfg.live_sndbuf = v;
			break;
		case OPT_LIVE_FPS:
			if (parse_fps(optarg, &cfg.live_fps_num, &cfg.live_fps_den)) {
				fprintf(stderr, PROG ": bad --live-fps %s: want N, N/D or a decimal "
					"such as 29.97\n", optarg);
				return 2;
			}
			break;
		case OPT_LIVE_MAX_STREAMS:
			if (parse_uint(optarg, 1, 100000, &cfg.live_max_streams)) {
				fprintf(stderr, PROG ": bad --live-max-streams %s: want 1 to 100000\n",
					optarg);
				return 2;
			}
			break;
		case OPT_LIVE_BUDGET:
			if (parse_size(optarg, &cfg.live_budget) || cfg.live_budget < 16384) {
				fprintf(stderr, PROG ": bad --live-budget %s: want a size such as "
					"512M\n", optarg);
				return 2;
			}
			break;
		case OPT_INGEST_ALLOW: {
			const char *why = "?";

			if (ingest_auth_add_net(&cfg.ingest, optarg, &why)) {
				fprintf(stderr, PROG ": bad --ingest-allow %s: %s\n", optarg, why);
				return 2;
			}
			break;
		}
		case OPT_INGEST_TOKEN_FILE:
			if (read_tokens(optarg))
				return 2;
			break;
		case 'h':
			return usage(stdout) - 1;
		default:
			return usage(stderr);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument %s (see " PROG " --help)\n",
			argv[optind]);
		return 2;
	}
	if (parse_listen(listen_at)) {
		fprintf(stderr, PROG ": bad --listen %s: want ADDR:PORT\n", listen_at);
		return 2;
	}
	if (!cfg.live_budget)
		cfg.live_budget = cfg.live_capacity * cfg.live_max_streams;
	if (cfg.live_budget < cfg.live_capacity) {
		fprintf(stderr, PROG ": --live-budget is smaller than one --live-capacity ring\n");
		return 2;
	}
	if (!cfg.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.threads = n > 0 ? (n < 1024 ? n : 1024) : 1;
	}
	return 0;
}

/*
 * Every worker's socket, bound before any thread starts, so that a taken
 * port is an error here. With port 0 the kernel picks one for the first and
 * the others join it.
 */
static int open_listener(struct sockaddr_storage *addr, socklen_t len)
{
	int fd, one = 1;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)addr, len) || listen(fd, SOMAXCONN)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)addr, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Descriptors, counted honestly: a connection holds its socket, plus its
 * pipe (two) once it has spliced, or the device descriptor of the live
 * stream it writes or follows; each worker holds its epoll set, two eventfds,
 * listener, spare, AIO eventfd, netlink socket and up to VIDEO_CACHE_MAX
 * open videos; a few more come and go (the log, a lookup). If the limit
 * cannot hold --max-conns such connections, --max-conns comes down to
 * what it can: over it, a connection gets the 503 rather than a server
 * that runs out of descriptors in the middle of a response.
 */
#define FDS_PER_WORKER	(7 + VIDEO_CACHE_MAX)
#define FDS_RESERVED	32

static int budget_nofile(void)
{
	unsigned int per_conn = cfg.send == SEND_SPLICE ? 3 : 2;
	uint64_t fixed = FDS_RESERVED + (uint64_t)FDS_PER_WORKER * cfg.threads, fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	fit = rl.rlim_cur > fixed ? (rl.rlim_cur - fixed) / per_conn : 0;
	if (!fit) {
		fprintf(stderr, PROG ": %llu file descriptors are too few for %u threads "
			"(raise RLIMIT_NOFILE)\n", (unsigned long long)rl.rlim_cur, cfg.threads);
		return -1;
	}
	if (fit < cfg.max_conns) {
		fprintf(stderr, PROG ": note: %llu file descriptors hold %llu connections: "
			"--max-conns %u lowered to that\n", (unsigned long long)rl.rlim_cur,
			(unsigned long long)fit, cfg.max_conns);
		cfg.max_conns = fit;
	}
	return 0;
}

static void print_totals(struct worker *workers)
{
	uint64_t bytes[SEND_NR] = { 0 }, requests = 0;
	unsigned int i, m;

	for (i = 0; i < cfg.threads; i++) {
		requests += workers[i].requests;
		for (m = 0; m < SEND_NR; m++)
			bytes[m] += workers[i].bytes[m];
	}
	fprintf(stderr, PROG ": %" PRIu64 " requests; video bytes sent by path:", requests);
	for (m = 0; m < SEND_NR; m++)
		fprintf(stderr, " %s %" PRIu64 "%s", send_mode_names[m], bytes[m],
			m + 1 < SEND_NR ? "," : "\n");
	live_totals();
}

int main(int argc, char **argv)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct worker *workers;
	sigset_t sigs;
	unsigned int i, started = 0;
	int ret, sig, fd;

	ret = parse_options(argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (budget_nofile())
		return 1;
	if (log_start() || jobs_start())
		return 1;
	fd = open(cfg.device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, PROG ": warning: open %s: %s (requests will get 503)\n",
			cfg.device, strerror(errno));
	else
		close(fd);

	/* Signals go to the main thread's sigwait() only: block them everywhere. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	workers = calloc(cfg.threads, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < cfg.threads; i++) {
		fd = open_listener(&cfg.addr, cfg.addrlen);
		if (fd < 0) {
			getnameinfo((struct sockaddr *)&cfg.addr, cfg.addrlen, host, sizeof(host),
				    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
			fprintf(stderr, PROG ": listen on %s port %s: %s\n", host, port,
				strerror(errno));
			return 1;
		}
		if (worker_init(&workers[i], i, fd))
			return 1;
	}
	getnameinfo((struct sockaddr *)&cfg.addr, cfg.addrlen, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(stderr, PROG ": listening on %s%s%s:%s, %u thread%s, --send %s%s\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
		cfg.threads, cfg.threads == 1 ? "" : "s", send_mode_names[cfg.send],
		cfg.send != SEND_AIO ? "" : vaio_is_sync(&workers[0].aio) ?
		" (synchronous: no kernel AIO here)" : " (kernel AIO)");

	for (i = 0; i < cfg.threads; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
			fprintf(stderr, PROG ": cannot start worker %u\n", i);
			break;
		}
		started++;
	}
	for (;;) {
		if (started < cfg.threads)
			break;
		sig = sigwaitinfo(&sigs, NULL);
		if (sig == SIGHUP)
			log_reopen();
		else if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(workers[i].wakefd, &one, sizeof(one)) < 0)
			fprintf(stderr, PROG ": cannot wake worker %u\n", i);
	}
	for (i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	jobs_stop();
	log_stop();
	print_totals(workers);
	for (i = 0; i < cfg.threads; i++)
		worker_destroy(&workers[i]);
	free(workers);
	return started == cfg.threads ? 0 : 1;
}
