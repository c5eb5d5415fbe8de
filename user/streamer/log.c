// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the bottom. The access log; a handler adds its
 * own fields to a line through its connection's ext_ops->log.
 *
 * Workers never write the log themselves: a write(2) to a full pipe, a
 * stalled terminal or a disk that hangs would stop the worker and every
 * connection on it. Each worker gathers its lines (log_request()) and, once
 * a loop turn, hands them to the log thread's buffer (log_flush()), under a
 * mutex held for a memcpy; the log thread does the blocking writes. If the
 * buffer is full the worker's lines are dropped and counted, never waited
 * for: the count goes to stderr once a second while it grows, and at exit.
 * The buffer holds LOG_RING bytes, so the log costs at most that much
 * memory however slow its reader. Lines stay whole: workers add whole
 * lines, and the thread writes what it took in one write(2) at a time.
 *
 * SIGHUP reopens the --log file onto the same descriptor (log_reopen()),
 * for logrotate. What is not a request (warnings) goes to stderr, a line
 * each, through worker_warn().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "parse.h"
#include "streamer.h"

#define LOG_RING	(1 << 20)
#define LOG_STOP_MS	2000

void worker_warn(struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": worker %u: %s\n", w->id, msg);
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;		/* lines came, or the end */
	char *buf;			/* [0, len): taken, waiting for the writer */
	size_t len;
	bool stop;
	bool running;
	pthread_t thread;
	int fd;
	uint64_t dropped;		/* lines */
	uint64_t said_ms;
} lg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.fd = STDOUT_FILENO,
};

static void write_all(const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(lg.fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* a full disk must not stop the serving */
		p += n;
		len -= n;
	}
}

static char *spare_buf;

static void *log_main(void *arg)
{
	char *mine = spare_buf;

	(void)arg;
	pthread_mutex_lock(&lg.lock);
	for (;;) {
		size_t len;
		char *t;

		while (!lg.len && !lg.stop)
			pthread_cond_wait(&lg.more, &lg.lock);
		if (!lg.len && lg.stop)
			break;
		/* Swap buffers: the workers fill the other while this one is written. */
		len = lg.len;
		t = lg.buf;
		lg.buf = mine;
		mine = t;
		lg.len = 0;
		pthread_mutex_unlock(&lg.lock);
		write_all(mine, len);
		pthread_mutex_lock(&lg.lock);
	}
	pthread_mutex_unlock(&lg.lock);
	free(mine);
	return NULL;
}

int log_start(void)
{
	int fd;

	if (cfg.log_path) {
		fd = open(cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, PROG ": open %s: %s\n", cfg.log_path, strerror(errno));
			return -1;
		}
		lg.fd = fd;
	}
	if (cfg.quiet)
		return 0;
	lg.buf = malloc(LOG_RING);
	spare_buf = malloc(LOG_RING);
	if (!lg.buf || !spare_buf || pthread_create(&lg.thread, NULL, log_main, NULL)) {
		fprintf(stderr, PROG ": cannot start the log thread\n");
		return -1;
	}
	lg.running = true;
	return 0;
}

void log_stop(void)
{
	struct timespec until;

	if (!lg.running)
		return;
	pthread_mutex_lock(&lg.lock);
	lg.stop = true;
	pthread_cond_signal(&lg.more);
	pthread_mutex_unlock(&lg.lock);
	/*
	 * A reader that stopped reading must not keep us from exiting: what
	 * the log thread has not written within LOG_STOP_MS is lost, and said.
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LOG_STOP_MS / 1000;
	if (pthread_timedjoin_np(lg.thread, NULL, &until)) {
		fprintf(stderr, PROG ": the access log is stalled: exiting without the lines "
			"it still holds\n");
		return;
	}
	lg.running = false;
	free(lg.buf);
	if (lg.dropped)
		fprintf(stderr, PROG ": %" PRIu64 " access log lines dropped: the log was not "
			"written fast enough\n", lg.dropped);
}

void log_reopen(void)
{
	int fd;

	if (!cfg.log_path)
		return;
	fd = open(cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, PROG ": reopen %s: %s (still logging to the old file)\n",
			cfg.log_path, strerror(errno));
		return;
	}
	dup3(fd, lg.fd, O_CLOEXEC);	/* atomic for the thread writing to it */
	close(fd);
}

void log_flush(struct worker *w)
{
	const char *p;

	if (!w->loglen)
		return;
	pthread_mutex_lock(&lg.lock);
	if (lg.len + w->loglen <= LOG_RING) {
		memcpy(lg.buf + lg.len, w->logbuf, w->loglen);
		lg.len += w->loglen;
		pthread_cond_signal(&lg.more);
	} else {
		for (p = w->logbuf; (p = memchr(p, '\n', w->logbuf + w->loglen - p)); p++)
			lg.dropped++;
		/* Said once a second at most, by whichever worker sees it. */
		if (w->now_ms - lg.said_ms >= 1000) {
			lg.said_ms = w->now_ms;
			worker_warn(w, "access log stalled: %" PRIu64 " lines dropped so far",
				    lg.dropped);
		}
	}
	pthread_mutex_unlock(&lg.lock);
	w->loglen = 0;
}

/*
 * 2025-01-22T10:00:00.123Z 127.0.0.1:40000 "GET /v/a HTTP/1.1" 206 1048576
 *   "bytes=0-1048575" 3.214ms splice [aborted] [cache=hit|miss|fill]
 * Method, target and range are escaped: they come from the client. cache=
 * (--origin only): found sealed, filled by this request, or served from a
 * fill under way.
 */
void log_request(struct worker *w, struct conn *c, bool aborted)
{
	const struct resp *r = &c->r;
	char line[1024], method[64], target[512], request[600] = "-", range[160] = "-";
	char when[32], live[160] = "", cache[16] = "";
	struct timespec ts;
	struct tm tm;
	uint64_t dur = now_ns() - c->resp_start_ns;
	size_t n;

	if (cfg.quiet)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (c->have_req) {
		c_escape(method, sizeof(method), c->req.method_name.p, c->req.method_name.len);
		c_escape(target, sizeof(target), c->req.target.p, c->req.target.len);
		snprintf(request, sizeof(request), "%s %s HTTP/1.%u", method, target,
			 c->req.minor);
		if (c->req.range.p)
			c_escape(range, sizeof(range), c->req.range.p, c->req.range.len);
	}
	if (c->ext && c->ext_ops->log)
		c->ext_ops->log(c, live, sizeof(live));
	if (r->cache)
		snprintf(cache, sizeof(cache), " cache=%s", r->cache);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s \"%s\" %d %" PRIu64
		     " \"%s\" %" PRIu64 ".%03ums %s%s%s%s\n", when, ts.tv_nsec / 1000000, c->peer,
		     request, r->status, r->sent > r->head_bytes ? r->sent - r->head_bytes : 0,
		     range, dur / 1000000, (unsigned int)(dur / 1000 % 1000),
		     r->file_sent ? send_mode_names[r->mode] : "-",
		     aborted ? " aborted" : "", cache, live);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (w->loglen + n > sizeof(w->logbuf))
		log_flush(w);
	memcpy(w->logbuf + w->loglen, line, n);
	w->loglen += n;
}
