// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the event loop, the top of a worker thread.
 * One epoll loop per worker over its listening socket (SO_REUSEPORT spreads
 * connections over the workers), its wake and job eventfds, its AIO
 * eventfd and its connections; it accepts, sweeps timeouts and stops. A
 * connection's events go to conn.c, AIO completions to send.c, finished
 * jobs to jobs.c; it knows no handler (main.c gives it worker->respond).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "streamer.h"

/* How often timeouts are checked. */
#define SWEEP_MS	250
#define ACCEPT_BATCH	64
#define AIO_DEPTH	256

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
		if (!conn_admit()) {
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

	for (c = w->conns; c; c = next) {
		next = c->next;
		conn_sweep(w, c);
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
		conn_stop(w, c);
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

void *worker_main(void *arg)
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
		conn_bury(w);
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
				if (evs[i].events & EPOLLIN)
					((struct conn *)k)->rd_ready = true;
				if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					((struct conn *)k)->rd_hup = true;
				if (!((struct conn *)k)->dead)
					conn_run(w, (struct conn *)k);
				break;
			case EP_SRC:
				conn_src_event(w, k);
				break;
			case EP_JOB:
				jobs_reap(w);
				break;
			case EP_FILL:
				origin_event(w, k);
				break;
			}
		}
		conn_run_ready(w);
		/* Connections closed: descriptors came free, listen again if we had stopped. */
		if (w->fds_freed) {
			w->fds_freed = false;
			if (w->listen_paused)
				listen_resume(w);
		}
	}
	origin_stop_all(w);
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
int worker_init(struct worker *w, unsigned int id, int lfd,
		void (*respond)(struct worker *w, struct conn *c))
{
	int err;

	w->id = id;
	w->respond = respond;
	conn_attach(w);
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
	/* --origin: loading videos are sent by AIO reads that wait for their bytes. */
	if (cfg.send == SEND_AIO || cfg.norigins) {
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

void worker_destroy(struct worker *w)
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

/*
 * Every worker's socket, bound before any thread starts, so that a taken
 * port is an error here. With port 0 the kernel picks one for the first and
 * the others join it.
 */
int open_listener(struct sockaddr_storage *addr, socklen_t len)
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
 * open videos, and with --origin four for each of up to ORIGIN_FILLS_MAX
 * fills; a few more come and go (the log, a lookup). If the limit
 * cannot hold --max-conns such connections, --max-conns comes down to
 * what it can: over it, a connection gets the 503 rather than a server
 * that runs out of descriptors in the middle of a response.
 */
#define FDS_PER_WORKER	(7 + VIDEO_CACHE_MAX + (cfg.norigins ? 4 * ORIGIN_FILLS_MAX : 0))
#define FDS_RESERVED	32

int budget_nofile(void)
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
