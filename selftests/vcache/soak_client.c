// SPDX-License-Identifier: GPL-2.0
/*
 * soak_client: every hostile load of issue 23's soak at once, against one
 * vcache-streamer, while a well-behaved client measures its latency.
 *
 *   soak_client --port P [--addr A] --duration SEC [LOADS] [--probe NAME]
 *
 * LOADS (any mix; all run from one epoll loop, non-blocking sockets):
 *   --idle N          N connections that send nothing; whenever the server
 *                     closes one (header or idle timeout), it is reopened,
 *                     so that N stay open
 *   --slow N          N GETs of --slow-video NAME with a tiny SO_RCVBUF,
 *                     reading --slow-chunk bytes (4 KiB) once a second
 *   --slowloris N     N request heads sent a byte every --loris-every SEC
 *                     (2), never finished; reopened on 408 or close
 *   --fast-loop NAME  GET /v/NAME?loop=0, read as fast as it comes
 *   --put-flood       PUT /live/PREFIXn (distinct n) with Content-Length: 0
 *                     and no token or a wrong one, --put-conns (4) at once,
 *                     as fast as answered; every status counted
 * The probe (a thread of its own, blocking sockets, so that the loads'
 * loop does not add to what it measures): GET /v/NAME with Range: bytes=
 * 0-(--probe-bytes - 1), every --probe-interval-ms (5), in turn on
 * --probe-conns (4) kept-alive connections and on a new connection. With
 * --watch-pid PID (the server) and --workers W, the kept-alive ones are
 * chosen so that every worker holds as many: a connection's worker is the
 * epoll instance its server-side socket is registered with, read from
 * /proc/PID/fdinfo; each is reported by that epoll's descriptor number,
 * which is the same for two runs against one server.
 *
 * The loads are opened first ("ramp", --ramp-timeout SEC, 60); --duration
 * counts from when all of them are up, and the probe records only then.
 * Alone (--probe only) it is the unloaded baseline. --watch-pid samples
 * the server's VmRSS once a second.
 *
 * Output: one line on stdout, "soak key=value ..." (see summary()); what
 * happens on the way on stderr. Exit 0 when it ran (the numbers are for the
 * caller to judge), 1 when it could not (descriptors, no server), 2 usage.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include "vcache_util.h"

#define NSEC		1000000000LL
#define MAX_WORKERS	16
#define PENDING_MAX	256	/* connects in flight: a burst of 2,000 overruns the backlog */
#define FAST_BUF	(256 * 1024)
#define FAST_TURNS	4	/* reads per wakeup: the loop stays fair to the rest */

static struct {
	struct sockaddr_in sa;
	int port;
	double duration;
	double ramp_timeout;
	int idle, slow, loris, put_conns;
	bool put_flood;
	const char *slow_video, *fast_video, *probe_video, *put_prefix;
	int slow_chunk, slow_rcvbuf;
	double loris_every;
	int probe_bytes, probe_conns, probe_interval_ms, workers;
	long long probe_seed;	/* -1: bodies not checked */
	pid_t watch;
} opt = {
	.duration = 60, .ramp_timeout = 60, .put_conns = 4, .slow_video = "big",
	.put_prefix = "f", .slow_chunk = 4096, .slow_rcvbuf = 4096, .loris_every = 2,
	.probe_bytes = 4096, .probe_conns = 4, .probe_interval_ms = 5, .probe_seed = -1,
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC };

	if (ns > 0)
		nanosleep(&ts, NULL);
}

/* "HTTP/1.x NNN" at the start of @p (@len bytes): NNN, or 0. */
static int status_of(const char *p, size_t len)
{
	if (len < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return 0;
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return 0;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* --- the server's workers, from /proc ------------------------------------ */

/* The inode of the server-side socket of 127.0.0.1:@cport -> :@sport. */
static unsigned long tcp_inode(pid_t pid, int sport, int cport)
{
	char path[64], line[512];
	unsigned long inode = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lport, rport, st;
		unsigned long ino;

		if (sscanf(line, " %*d: %*x:%x %*x:%x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
			   &lport, &rport, &st, &ino) == 4 &&
		    (int)lport == sport && (int)rport == cport && st == 1) {
			inode = ino;
			break;
		}
	}
	fclose(f);
	return inode;
}

/* The descriptor of socket @inode in @pid, or -1. */
static int fd_of_inode(pid_t pid, unsigned long inode)
{
	char path[64], want[64], link[64];
	struct dirent *d;
	int fd = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (fd < 0 && (d = readdir(dir))) {
		char p[400];
		ssize_t n;

		snprintf(p, sizeof(p), "%s/%s", path, d->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (!strcmp(link, want))
				fd = atoi(d->d_name);
		}
	}
	closedir(dir);
	return fd;
}

/* The epoll descriptor of @pid that watches its descriptor @fd, or -1. */
static int epoll_of_fd(pid_t pid, int fd)
{
	char path[64], line[256];
	struct dirent *d;
	int ep = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (ep < 0 && (d = readdir(dir))) {
		char p[400];
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, d->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			int t;

			if (sscanf(line, "tfd: %d", &t) == 1 && t == fd) {
				ep = atoi(d->d_name);
				break;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return ep;
}

/*
 * The worker (its epoll's descriptor number) serving our connection @s, or
 * -1. The server accepts and registers it a moment after connect()
 * returns: looked for during a second at most.
 */
static int worker_of(int s)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int64_t until = now_ns() + NSEC;

	if (!opt.watch || getsockname(s, (struct sockaddr *)&me, &len))
		return -1;
	do {
		unsigned long ino = tcp_inode(opt.watch, opt.port, ntohs(me.sin_port));
		int fd = ino ? fd_of_inode(opt.watch, ino) : -1;
		int ep = fd >= 0 ? epoll_of_fd(opt.watch, fd) : -1;

		if (ep >= 0)
			return ep;
		sleep_ns(10000000);
	} while (now_ns() < until);
	return -1;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- the probe ------------------------------------------------------------ */

struct sample {
	uint32_t us;
	int8_t worker;		/* index into probe.ep[], -1: a new connection */
};

static struct {
	atomic_bool ready, recording, stop;
	int fd[MAX_WORKERS * 4];
	int slot_worker[MAX_WORKERS * 4];	/* index into ep[] or -1 */
	int ep[MAX_WORKERS];			/* workers seen: their epoll fd */
	int nep;
	struct sample *s;
	size_t n, cap;
	uint64_t errors, bad_status, bad_body, timeouts, reconnects;
	char first_error[160];
} probe;

static int worker_index(int ep)
{
	int i;

	if (ep < 0)
		return -1;
	for (i = 0; i < probe.nep; i++)
		if (probe.ep[i] == ep)
			return i;
	if (probe.nep == MAX_WORKERS)
		return -1;
	probe.ep[probe.nep] = ep;
	return probe.nep++;
}

static int probe_connect(void)
{
	struct timeval tv = { .tv_sec = 10 };	/* a hung server: errors, not a hang */
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&opt.sa, sizeof(opt.sa))) {
		close(s);
		return -1;
	}
	return s;
}

static void probe_error(const char *fmt, ...)
{
	va_list ap;

	/* Before the measurement (the probe warming up): not counted. */
	if (!atomic_load(&probe.recording))
		return;
	probe.errors++;
	if (probe.first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(probe.first_error, sizeof(probe.first_error), fmt, ap);
	va_end(ap);
}

/* One Range GET on @s; 0 when a whole, right 206 came back. */
static int probe_get(int s, bool last)
{
	static char buf[65536];
	char req[512];
	size_t have = 0, head = 0, body = 0, want = opt.probe_bytes;
	int len, status;

	len = snprintf(req, sizeof(req),
		       "GET /v/%s HTTP/1.1\r\nHost: soak\r\nRange: bytes=0-%d\r\n%s\r\n",
		       opt.probe_video, opt.probe_bytes - 1, last ? "Connection: close\r\n" : "");
	if (send(s, req, len, MSG_NOSIGNAL) != len) {
		probe_error("send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = recv(s, buf + have, sizeof(buf) - have, 0);
		char *end;

		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				probe.timeouts++;
			probe_error("recv after %zu bytes: %s", have,
				    n ? strerror(errno) : "closed");
			return -1;
		}
		have += n;
		if (!head) {
			end = memmem(buf, have, "\r\n\r\n", 4);
			if (!end) {
				if (have == sizeof(buf)) {
					probe_error("head too long");
					return -1;
				}
				continue;
			}
			head = end + 4 - buf;
			status = status_of(buf, have);
			if (status != 206) {
				probe.bad_status++;
				probe_error("status %d", status);
				return -1;
			}
			end = memmem(buf, head, "Content-Length: ", 16);
			if (!end || strtoull(end + 16, NULL, 10) != want) {
				probe.bad_body++;
				probe_error("Content-Length is not %zu", want);
				return -1;
			}
		}
		body = have - head;
		if (body >= want)
			break;
		if (have == sizeof(buf)) {
			probe_error("response too long");
			return -1;
		}
	}
	if (body != want ||
	    (opt.probe_seed >= 0 &&
	     vc_verify((uint8_t *)buf + head, want, opt.probe_seed, 0) >= 0)) {
		probe.bad_body++;
		probe_error("wrong body (%zu bytes)", body);
		return -1;
	}
	return 0;
}

static void probe_record(int64_t t0, int worker)
{
	int64_t us = (now_ns() - t0) / 1000;

	if (!atomic_load(&probe.recording))
		return;
	if (probe.n == probe.cap) {
		size_t cap = probe.cap ? 2 * probe.cap : 65536;
		struct sample *s = realloc(probe.s, cap * sizeof(*s));

		if (!s)
			return;
		probe.s = s;
		probe.cap = cap;
	}
	probe.s[probe.n].us = us > UINT32_MAX ? UINT32_MAX : us;
	probe.s[probe.n].worker = worker;
	probe.n++;
}

/*
 * The kept-alive connections: with --workers, as many on each worker (a
 * connection lands on one by the hash of its ports; extras are closed).
 */
static void probe_open(void)
{
	int per = opt.workers > 0 ? (opt.probe_conns + opt.workers - 1) / opt.workers : 0;
	int count[MAX_WORKERS] = { 0 };
	int k = 0, tries;

	for (tries = 0; k < opt.probe_conns && tries < 20 * opt.probe_conns + 50; tries++) {
		int s = probe_connect(), w;

		if (s < 0) {
			sleep_ns(NSEC / 10);
			continue;
		}
		w = worker_index(worker_of(s));
		if (per && (w < 0 || count[w] >= per) && tries < 20 * opt.probe_conns) {
			close(s);
			continue;
		}
		if (w >= 0)
			count[w]++;
		probe.fd[k] = s;
		probe.slot_worker[k++] = w;
	}
	for (; k < opt.probe_conns; k++)
		probe.fd[k] = -1;
}

static void *probe_main(void *arg)
{
	int64_t interval = (int64_t)opt.probe_interval_ms * 1000000, next;
	int slot = 0, slots = opt.probe_conns + 1;

	probe_open();
	atomic_store(&probe.ready, true);
	next = now_ns();
	while (!atomic_load(&probe.stop)) {
		int64_t t0, wait = next - now_ns();
		bool fresh = slot == opt.probe_conns;
		int s, w, rc;

		/*
		 * Paced, not closed-loop: a slow answer does not lower the rate
		 * much, and lateness is not made up for with a burst.
		 */
		if (wait > 0)
			sleep_ns(wait);
		else if (-wait > interval)
			next = now_ns();
		next += interval;
		t0 = now_ns();
		if (fresh) {
			s = probe_connect();
			w = -1;
		} else {
			s = probe.fd[slot];
			w = probe.slot_worker[slot];
			if (s < 0) {
				s = probe_connect();
				w = s < 0 ? -1 : worker_index(worker_of(s));
				probe.fd[slot] = s;
				probe.slot_worker[slot] = w;
				probe.reconnects++;
				t0 = now_ns();	/* not the /proc walk */
			}
		}
		if (s < 0) {
			probe_error("connect: %s", strerror(errno));
		} else {
			rc = probe_get(s, fresh);
			if (!rc)
				probe_record(t0, w);
			if (fresh || rc) {
				close(s);
				if (!fresh)
					probe.fd[slot] = -1;
			}
		}
		slot = (slot + 1) % slots;
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles of the samples of worker @w (-2: all, -1: new). */
static void pct(int w, bool any, size_t *n, uint32_t *p50, uint32_t *p99, uint32_t *max)
{
	uint32_t *v = malloc((probe.n + 1) * sizeof(*v));
	size_t i, k = 0;

	for (i = 0; v && i < probe.n; i++)
		if (any || probe.s[i].worker == w)
			v[k++] = probe.s[i].us;
	*n = k;
	*p50 = *p99 = *max = 0;
	if (k) {
		qsort(v, k, sizeof(*v), cmp_u32);
		*p50 = v[(k * 50 + 99) / 100 - 1];
		*p99 = v[(k * 99 + 99) / 100 - 1];
		*max = v[k - 1];
	}
	free(v);
}

/* --- the loads -------------------------------------------------------------- */

enum kind { K_IDLE, K_SLOW, K_LORIS, K_FAST, K_PUT };
enum state { S_DOWN, S_CONNECTING, S_OPEN };

struct lconn {
	int fd;
	uint8_t kind, state;
	bool answered;		/* a status line was seen on this connection */
	int64_t due;		/* S_DOWN: reconnect; slow: next read; loris: next byte */
	uint32_t got;		/* PUT: bytes of the response head */
	char head[256];
};

static struct lconn *conns;
static int nconns, pending, ep;
static const char loris_head[] = "GET /v/tiny HTTP/1.1\r\nHost: soak\r\nX-Slow: ";

static struct {
	uint64_t put_sent, put_401, put_403, put_201, put_other, put_errors, put_other_code;
	uint64_t idle_reconnects, idle_408, slow_bytes, slow_reconnects, slow_stalls;
	uint64_t loris_408, loris_reconnects, loris_bytes, fast_bytes, fast_reconnects;
	uint64_t connect_errors;
	int open[K_PUT + 1];	/* connections open, by kind */
	int slow_answered, fast_answered;
} st;

static uint64_t put_seq;
static int64_t loris_every_ns;

static void set_events(struct lconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Closed (RST, no TIME_WAIT: a flood must not run out of ports), reopened at @when. */
static void drop(struct lconn *c, int64_t when)
{
	struct linger lg = { 1, 0 };

	if (c->fd >= 0) {
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
	}
	if (c->state == S_CONNECTING)
		pending--;
	if (c->state == S_OPEN)
		st.open[c->kind]--;
	if (c->answered && c->kind == K_SLOW)
		st.slow_answered--;
	if (c->answered && c->kind == K_FAST)
		st.fast_answered--;
	c->fd = -1;
	c->state = S_DOWN;
	c->answered = false;
	c->got = 0;
	c->due = when;
}

static void start_connect(struct lconn *c, int64_t now)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0) {
		st.connect_errors++;
		c->due = now + NSEC / 10;
		return;
	}
	if (c->kind == K_SLOW)	/* before connect: the window is set in the SYN */
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &opt.slow_rcvbuf, sizeof(opt.slow_rcvbuf));
	if (connect(s, (struct sockaddr *)&opt.sa, sizeof(opt.sa)) && errno != EINPROGRESS) {
		close(s);
		st.connect_errors++;
		c->due = now + NSEC / 10;
		return;
	}
	c->fd = s;
	c->state = S_CONNECTING;
	pending++;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
}

/* A small request on a fresh connection: all of it fits the socket buffer. */
static bool send_str(struct lconn *c, const char *p, size_t len)
{
	return send(c->fd, p, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static void connected(struct lconn *c, int64_t now)
{
	char req[512];
	int err = 0, len = 0;
	socklen_t el = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		st.connect_errors++;
		drop(c, now + NSEC / 10);
		return;
	}
	pending--;
	c->state = S_OPEN;
	st.open[c->kind]++;
	switch (c->kind) {
	case K_IDLE:
		set_events(c, EPOLLIN | EPOLLRDHUP);
		return;
	case K_SLOW:
		len = snprintf(req, sizeof(req), "GET /v/%s HTTP/1.1\r\nHost: soak\r\n\r\n",
			       opt.slow_video);
		/* Only errors until its next read (level-triggered: no spin). */
		set_events(c, 0);
		c->due = now + rand() % NSEC;
		break;
	case K_LORIS:
		c->got = 1;
		len = 1;
		memcpy(req, loris_head, 1);
		set_events(c, EPOLLIN | EPOLLRDHUP);
		c->due = now + loris_every_ns;
		break;
	case K_FAST:
		len = snprintf(req, sizeof(req), "GET /v/%s?loop=0 HTTP/1.1\r\nHost: soak\r\n\r\n",
			       opt.fast_video);
		set_events(c, EPOLLIN | EPOLLRDHUP);
		break;
	case K_PUT:
		/* Half without a token, half with a wrong one. */
		len = snprintf(req, sizeof(req),
			       "PUT /live/%s%" PRIu64 " HTTP/1.1\r\n"
			       "Host: soak\r\n%sContent-Length: 0\r\n\r\n", opt.put_prefix, put_seq,
			       put_seq & 1 ? "Authorization: Bearer wrong-soak-token\r\n" : "");
		put_seq++;
		st.put_sent++;
		set_events(c, EPOLLIN | EPOLLRDHUP);
		break;
	}
	if (!send_str(c, req, len)) {
		if (c->kind == K_PUT)
			st.put_errors++;
		drop(c, now + NSEC / 10);
	}
}

/* The status of the first response on @c, from @p (the start of it). */
static void saw_status(struct lconn *c, const char *p, size_t len)
{
	int status;

	if (c->answered)
		return;
	c->answered = true;
	status = status_of(p, len);
	if (c->kind == K_IDLE && status == 408)
		st.idle_408++;
	if (c->kind == K_LORIS && status == 408)
		st.loris_408++;
	if (c->kind == K_SLOW)
		st.slow_answered++;
	if (c->kind == K_FAST)
		st.fast_answered++;
}

static void put_answer(struct lconn *c, int64_t now)
{
	int status = status_of(c->head, c->got);

	if (status == 401) {
		st.put_401++;
	} else if (status == 403) {
		st.put_403++;
	} else if (status == 201) {
		st.put_201++;
	} else if (status) {
		st.put_other++;
		st.put_other_code = status;
	} else {
		st.put_errors++;
	}
	drop(c, now);	/* the next PUT at once */
}

static void readable(struct lconn *c, uint32_t events, int64_t now)
{
	static char buf[FAST_BUF];
	ssize_t n;
	int i;

	switch (c->kind) {
	case K_IDLE:
	case K_LORIS:
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			saw_status(c, buf, n);
			return;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (c->kind == K_IDLE)
			st.idle_reconnects++;
		else
			st.loris_reconnects++;
		/* Reopened at once, so that N stay open. */
		drop(c, now);
		return;
	case K_FAST:
		for (i = 0; i < FAST_TURNS; i++) {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n > 0) {
				if (!c->answered)
					saw_status(c, buf, n);
				st.fast_bytes += n;
				continue;
			}
			if (n < 0 && errno == EAGAIN)
				return;
			st.fast_reconnects++;
			drop(c, now + NSEC / 100);
			return;
		}
		return;
	case K_PUT:
		n = recv(c->fd, c->head + c->got, sizeof(c->head) - 1 - c->got, 0);
		if (n > 0) {
			c->got += n;
			c->head[c->got] = 0;
			if (strstr(c->head, "\r\n\r\n") || c->got == sizeof(c->head) - 1)
				put_answer(c, now);
			return;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		put_answer(c, now);
		return;
	case K_SLOW:
		/* Interest is 0 between reads: this is EPOLLERR or EPOLLHUP. */
		st.slow_reconnects++;
		drop(c, now + NSEC / 10);
		return;
	}
}

/* What is due on @c at @now: a reconnect, a slow read, a slowloris byte. */
static void tick(struct lconn *c, int64_t now)
{
	static char buf[65536];
	ssize_t n;

	if (c->due > now)
		return;
	if (c->state == S_DOWN) {
		if (pending < PENDING_MAX)
			start_connect(c, now);
		return;
	}
	if (c->state != S_OPEN)
		return;
	if (c->kind == K_SLOW) {
		c->due += NSEC;
		n = recv(c->fd, buf, opt.slow_chunk, MSG_DONTWAIT);
		if (n > 0) {
			saw_status(c, buf, n);
			st.slow_bytes += n;
		} else if (n < 0 && errno == EAGAIN) {
			st.slow_stalls++;
		} else {
			st.slow_reconnects++;
			drop(c, now + NSEC / 10);
		}
	} else if (c->kind == K_LORIS) {
		c->due += loris_every_ns;
		/* The fixed part, then 'a' for ever: a head that never ends. */
		if (!send_str(c, c->got < sizeof(loris_head) - 1 ? &loris_head[c->got] : "a", 1)) {
			st.loris_reconnects++;
			drop(c, now);
			return;
		}
		c->got++;
		st.loris_bytes++;
	}
}

static void add_conns(enum kind k, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct lconn *c = &conns[nconns++];

		c->fd = -1;
		c->kind = k;
		c->state = S_DOWN;
		/* Spread in time: slowloris bytes and slow reads do not all fall on one tick. */
		c->due = 0;
	}
}

static bool ramped(void)
{
	return st.open[K_IDLE] == opt.idle && st.open[K_SLOW] == opt.slow &&
	       st.slow_answered == opt.slow && st.open[K_LORIS] == opt.loris &&
	       (!opt.fast_video || st.fast_answered) &&
	       (!opt.put_flood || st.put_401 + st.put_403 + st.put_201 + st.put_other);
}

/* --- main ------------------------------------------------------------------- */

static int fd_limit(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
		struct rlimit up = { need, need };

		/* Root may raise the hard limit too. */
		if (!setrlimit(RLIMIT_NOFILE, &up))
			return 0;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
		fprintf(stderr,
			"soak_client: needs %d descriptors, RLIMIT_NOFILE allows %llu (raise ulimit -n, or ask for fewer connections)\n",
			need, (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static void usage_exit(void)
{
	fprintf(stderr,
		"usage: soak_client --port P [--addr A] [--duration SEC] [--ramp-timeout SEC]\n"
		"  [--idle N] [--slow N] [--slow-video NAME] [--slow-chunk B] [--slow-rcvbuf B]\n"
		"  [--slowloris N] [--loris-every SEC] [--fast-loop NAME]\n"
		"  [--put-flood] [--put-conns N] [--put-prefix P]\n"
		"  [--probe NAME] [--probe-bytes B] [--probe-conns N] [--probe-interval-ms MS]\n"
		"  [--probe-seed S] [--watch-pid PID] [--workers W]\n");
	exit(2);
}

static void summary(int64_t ramp_ns, bool ramp_ok, double secs, long rss_first, long rss_max,
		    long rss_last, int idle_min, double idle_avg, bool alive)
{
	size_t n;
	uint32_t p50, p99, max;
	int i;

	pct(0, true, &n, &p50, &p99, &max);
	printf("soak ramp_ms=%" PRId64
	       " ramp_ok=%d secs=%.1f probe_n=%zu probe_p50_us=%u probe_p99_us=%u probe_max_us=%u probe_errors=%"
	       PRIu64, ramp_ns / 1000000,
	       ramp_ok, secs, n, p50, p99, max, probe.errors);
	pct(-1, false, &n, &p50, &p99, &max);
	printf(" probe_new_n=%zu probe_new_p99_us=%u", n, p99);
	printf(" probe_workers=%d", probe.nep);
	for (i = 0; i < probe.nep; i++) {
		pct(i, false, &n, &p50, &p99, &max);
		printf(" probe_ep%d_n=%zu probe_ep%d_p50_us=%u probe_ep%d_p99_us=%u probe_ep%d_max_us=%u",
		       probe.ep[i], n, probe.ep[i], p50, probe.ep[i], p99,
		       probe.ep[i], max);
	}
	printf(" probe_timeouts=%" PRIu64 " probe_bad_status=%" PRIu64 " probe_bad_body=%" PRIu64,
	       probe.timeouts, probe.bad_status, probe.bad_body);
	printf(" put_sent=%" PRIu64 " put_401=%" PRIu64 " put_403=%" PRIu64 " put_201=%" PRIu64
	       " put_other=%" PRIu64 " put_other_code=%" PRIu64 " put_errors=%" PRIu64,
	       st.put_sent, st.put_401, st.put_403, st.put_201, st.put_other, st.put_other_code,
	       st.put_errors);
	printf(" idle=%d idle_open=%d idle_min=%d idle_avg=%.0f idle_408=%" PRIu64
	       " idle_reconnects=%" PRIu64, opt.idle, st.open[K_IDLE], idle_min, idle_avg,
	       st.idle_408, st.idle_reconnects);
	printf(" slow=%d slow_open=%d slow_bytes=%" PRIu64 " slow_stalls=%" PRIu64
	       " slow_reconnects=%" PRIu64, opt.slow, st.open[K_SLOW], st.slow_bytes,
	       st.slow_stalls, st.slow_reconnects);
	printf(" loris=%d loris_open=%d loris_bytes=%" PRIu64 " loris_408=%" PRIu64
	       " loris_reconnects=%" PRIu64, opt.loris, st.open[K_LORIS], st.loris_bytes,
	       st.loris_408, st.loris_reconnects);
	printf(" fast_bytes=%" PRIu64 " fast_reconnects=%" PRIu64 " connect_errors=%" PRIu64,
	       st.fast_bytes, st.fast_reconnects, st.connect_errors);
	printf(" rss_first_kb=%ld rss_max_kb=%ld rss_last_kb=%ld server_alive=%d\n", rss_first,
	       rss_max, rss_last, alive);
	if (probe.first_error[0])
		fprintf(stderr, "soak_client: first probe error: %s\n", probe.first_error);
}

int main(int argc, char **argv)
{
	enum {
		O_PORT = 256, O_ADDR, O_DURATION, O_RAMP, O_IDLE, O_SLOW, O_SLOW_VIDEO,
		O_SLOW_CHUNK, O_SLOW_RCVBUF, O_LORIS, O_LORIS_EVERY, O_FAST, O_PUT, O_PUT_CONNS,
		O_PUT_PREFIX, O_PROBE, O_PROBE_BYTES, O_PROBE_CONNS, O_PROBE_INTERVAL,
		O_PROBE_SEED, O_WATCH, O_WORKERS,
	};
	static const struct option lo[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "addr", required_argument, NULL, O_ADDR },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "ramp-timeout", required_argument, NULL, O_RAMP },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "slow", required_argument, NULL, O_SLOW },
		{ "slow-video", required_argument, NULL, O_SLOW_VIDEO },
		{ "slow-chunk", required_argument, NULL, O_SLOW_CHUNK },
		{ "slow-rcvbuf", required_argument, NULL, O_SLOW_RCVBUF },
		{ "slowloris", required_argument, NULL, O_LORIS },
		{ "loris-every", required_argument, NULL, O_LORIS_EVERY },
		{ "fast-loop", required_argument, NULL, O_FAST },
		{ "put-flood", no_argument, NULL, O_PUT },
		{ "put-conns", required_argument, NULL, O_PUT_CONNS },
		{ "put-prefix", required_argument, NULL, O_PUT_PREFIX },
		{ "probe", required_argument, NULL, O_PROBE },
		{ "probe-bytes", required_argument, NULL, O_PROBE_BYTES },
		{ "probe-conns", required_argument, NULL, O_PROBE_CONNS },
		{ "probe-interval-ms", required_argument, NULL, O_PROBE_INTERVAL },
		{ "probe-seed", required_argument, NULL, O_PROBE_SEED },
		{ "watch-pid", required_argument, NULL, O_WATCH },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct epoll_event evs[512];
	int64_t t_start, t_ramped = 0, t_end = 0, next_sample = 0, next_idle = 0, next_scan = 0;
	long rss_first = -1, rss_max = -1, rss_last = -1;
	int idle_min = -1, samples = 0, o, i;
	double idle_sum = 0;
	bool ramp_ok = false, alive = true;
	pthread_t pt;

	opt.sa.sin_family = AF_INET;
	opt.sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case O_PORT:
			opt.port = atoi(optarg);
			break;
		case O_ADDR:
			if (inet_pton(AF_INET, optarg, &opt.sa.sin_addr) != 1)
				usage_exit();
			break;
		case O_DURATION:
			opt.duration = atof(optarg);
			break;
		case O_RAMP:
			opt.ramp_timeout = atof(optarg);
			break;
		case O_IDLE:
			opt.idle = atoi(optarg);
			break;
		case O_SLOW:
			opt.slow = atoi(optarg);
			break;
		case O_SLOW_VIDEO:
			opt.slow_video = optarg;
			break;
		case O_SLOW_CHUNK:
			opt.slow_chunk = atoi(optarg);
			break;
		case O_SLOW_RCVBUF:
			opt.slow_rcvbuf = atoi(optarg);
			break;
		case O_LORIS:
			opt.loris = atoi(optarg);
			break;
		case O_LORIS_EVERY:
			opt.loris_every = atof(optarg);
			break;
		case O_FAST:
			opt.fast_video = optarg;
			break;
		case O_PUT:
			opt.put_flood = true;
			break;
		case O_PUT_CONNS:
			opt.put_conns = atoi(optarg);
			break;
		case O_PUT_PREFIX:
			opt.put_prefix = optarg;
			break;
		case O_PROBE:
			opt.probe_video = optarg;
			break;
		case O_PROBE_BYTES:
			opt.probe_bytes = atoi(optarg);
			break;
		case O_PROBE_CONNS:
			opt.probe_conns = atoi(optarg);
			break;
		case O_PROBE_INTERVAL:
			opt.probe_interval_ms = atoi(optarg);
			break;
		case O_PROBE_SEED:
			opt.probe_seed = atoll(optarg);
			break;
		case O_WATCH:
			opt.watch = atoi(optarg);
			break;
		case O_WORKERS:
			opt.workers = atoi(optarg);
			break;
		default:
			usage_exit();
		}
	}
	if (optind != argc || opt.port <= 0 || opt.port > 65535 || opt.duration <= 0 ||
	    opt.idle < 0 || opt.slow < 0 || opt.loris < 0 || opt.put_conns < 1 ||
	    opt.slow_chunk < 1 || opt.slow_chunk > 65536 || opt.loris_every <= 0 ||
	    opt.probe_bytes < 1 || opt.probe_bytes > 32768 || opt.probe_conns < 0 ||
	    opt.probe_conns > MAX_WORKERS * 4 || opt.probe_interval_ms < 1 ||
	    opt.workers < 0 || opt.workers > MAX_WORKERS)
		usage_exit();
	opt.sa.sin_port = htons(opt.port);
	loris_every_ns = opt.loris_every * NSEC;
	signal(SIGPIPE, SIG_IGN);
	srand(getpid());

	nconns = opt.idle + opt.slow + opt.loris + !!opt.fast_video +
		 (opt.put_flood ? opt.put_conns : 0);
	if (fd_limit(nconns + opt.probe_conns + 64))
		return 1;
	conns = calloc(nconns + 1, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0) {
		perror("soak_client");
		return 1;
	}
	nconns = 0;
	add_conns(K_IDLE, opt.idle);
	add_conns(K_SLOW, opt.slow);
	add_conns(K_LORIS, opt.loris);
	if (opt.fast_video)
		add_conns(K_FAST, 1);
	if (opt.put_flood)
		add_conns(K_PUT, opt.put_conns);

	/* The probe's connections first, so that it finds them on the workers it wants. */
	if (opt.probe_video) {
		if (pthread_create(&pt, NULL, probe_main, NULL)) {
			perror("soak_client: pthread_create");
			return 1;
		}
		while (!atomic_load(&probe.ready))
			sleep_ns(NSEC / 100);
	}
	if (opt.watch) {
		rss_first = rss_kb(opt.watch);
		rss_max = rss_first;
	}

	t_start = now_ns();
	next_sample = t_start;
	for (;;) {
		int64_t now;
		int n = epoll_wait(ep, evs, 512, 5);

		now = now_ns();
		for (i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;

			if (c->state == S_CONNECTING)
				connected(c, now);
			else if (c->state == S_OPEN)
				readable(c, evs[i].events, now);
		}
		if (now >= next_scan) {
			next_scan = now + NSEC / 100;
			for (i = 0; i < nconns; i++)
				tick(&conns[i], now);
		}
		if (!t_ramped && (ramped() || now - t_start > opt.ramp_timeout * NSEC)) {
			ramp_ok = ramped();
			t_ramped = now;
			t_end = now + opt.duration * NSEC;
			next_idle = now;
			fprintf(stderr,
				"soak_client: %s after %.1f s: idle %d, slow %d, slowloris %d open; soak for %.0f s\n",
				ramp_ok ? "all loads up" : "ramp timed out", (now - t_start) / 1e9,
				st.open[K_IDLE], st.open[K_SLOW], st.open[K_LORIS], opt.duration);
			atomic_store(&probe.recording, true);
		}
		/*
		 * RSS from the start (the ramp opens most connections), the
		 * idle count once all are up.
		 */
		if (now >= next_sample) {
			next_sample += NSEC;
			if (opt.watch) {
				rss_last = rss_kb(opt.watch);
				if (rss_last < 0)
					alive = false;
				if (rss_last > rss_max)
					rss_max = rss_last;
			}
		}
		if (t_ramped && now >= next_idle) {
			next_idle += NSEC;
			if (idle_min < 0 || st.open[K_IDLE] < idle_min)
				idle_min = st.open[K_IDLE];
			idle_sum += st.open[K_IDLE];
			samples++;
		}
		if (t_ramped && now >= t_end)
			break;
	}
	atomic_store(&probe.recording, false);
	atomic_store(&probe.stop, true);
	if (opt.probe_video)
		pthread_join(pt, NULL);
	summary(t_ramped - t_start, ramp_ok, (now_ns() - t_ramped) / 1e9, rss_first, rss_max,
		rss_last, idle_min, samples ? idle_sum / samples : 0, alive);
	return 0;
}
