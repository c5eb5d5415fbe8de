// SPDX-License-Identifier: GPL-2.0
/*
 * A live viewer for live_http_test.sh that curl cannot be:
 *
 *   live_client slow PORT PATH PAUSE_MS OUT
 *	GET PATH with a 4 KiB receive buffer, then reads nothing for
 *	PAUSE_MS (so that the server's copy of the stream falls behind the
 *	ring), then reads the response to its end, undoing the chunked
 *	framing, into OUT. Prints "STATUS OFFSET complete" when the body
 *	ended with the last chunk, "STATUS OFFSET cut" otherwise.
 *
 *   live_client torn PORT NAME RING SECONDS VIEWERS
 *	Creates the live stream NAME (a RING-byte ring) on /dev/vcache and
 *	writes it as fast as it can for SECONDS, in 24-byte records that
 *	carry their own offset (offset, then two check words), while VIEWERS
 *	threads follow it over HTTP, half HTTP/1.0 and half HTTP/1.1, each
 *	with a tiny receive buffer, reading slowly so that the server sends
 *	from near the tail of the window, again and again (a new GET after
 *	each response) until the stream ended. Every byte a viewer gets is
 *	checked against its offset: it must be the stream's byte there,
 *	bytes follow each other, and a jump forward is a re-join only where a
 *	whole record starts (a ring is a power of two, not a multiple of 24,
 *	so bytes overwritten by the writer's next lap are out of step and
 *	never look like one). A response may end cleanly (the last chunk,
 *	or EOF for HTTP/1.0) only once the stream ended, after good bytes; a
 *	reset is fine anywhere, also after bad bytes. Prints the totals and
 *	one line per failure; exit 1 on any failure.
 *   live_client hold NAME RING BYTES
 *	Creates the live stream NAME (a RING-byte ring), writes BYTES, makes
 *	offset 0 a keyframe (viewers join there and get all BYTES at once),
 *	prints "ready" and keeps the stream live and quiet until killed.
 *   live_client crowd PORT PATH N BYTES
 *	N HTTP/1.0 viewers of PATH with 4 KiB receive buffers, each read
 *	until it has BYTES of the body; then prints "ready N" and holds the
 *	connections, reading nothing more, until killed (their close is a
 *	FIN each, at a quiet head).
 *
 * The server is on 127.0.0.1. Exit 0 when it could ask (torn: when nothing
 * failed), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vcache.h>

static char buf[1 << 22];

static int cmd_slow(int port, const char *path, int pause_ms, const char *out_path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000 };
	char req[512], *hend, *p;
	int fd, rcv = 4096, status = 0;
	size_t len = 0, pos;
	unsigned long long offset = 0;
	bool complete = false;
	FILE *out;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	/* Before connect(), so that the window is small from the start. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, n) != n) {
		perror("write");
		return 1;
	}
	/* The head. */
	for (;;) {
		n = read(fd, buf + len, 4096);
		if (n <= 0) {
			fprintf(stderr, "no response head\n");
			return 1;
		}
		len += n;
		buf[len] = '\0';
		hend = strstr(buf, "\r\n\r\n");
		if (hend)
			break;
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	p = strcasestr(buf, "\r\nX-Vcache-Offset: ");
	if (p)
		offset = strtoull(p + 19, NULL, 10);
	nanosleep(&ts, NULL);
	/* All the rest, then the framing is undone. */
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += n;
	out = fopen(out_path, "w");
	if (!out) {
		perror(out_path);
		return 1;
	}
	pos = hend + 4 - buf;
	while (pos < len) {
		char *e;
		unsigned long long sz = strtoull(buf + pos, &e, 16);

		if (e == buf + pos || e + 2 > buf + len || memcmp(e, "\r\n", 2))
			break;
		pos = e + 2 - buf;
		if (!sz) {
			complete = pos + 2 <= len && !memcmp(buf + pos, "\r\n", 2);
			break;
		}
		if (pos + sz + 2 > len)
			break;
		fwrite(buf + pos, 1, sz, out);
		pos += sz + 2;
	}
	fclose(out);
	printf("%d %llu %s\n", status, offset, complete ? "complete" : "cut");
	close(fd);
	return 0;
}

/* --- torn ----------------------------------------------------------------- */

#define REC	24		/* not a divisor of any power of two: see above */

static int t_port;
static const char *t_name;
static atomic_bool t_ending;		/* the writer is closing the stream */
static atomic_bool t_writer_done;
static atomic_uint_fast64_t t_final;	/* the stream's size, once done */

/* Totals over all viewers. */
static atomic_uint_fast64_t t_sessions, t_complete, t_resets, t_bad_resets, t_rejoins,
	t_bytes, t_failed;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* The record at byte offset @o (a multiple of REC). */
static void rec_at(uint64_t o, uint8_t r[REC])
{
	uint64_t w[3] = { o, mix(o), mix(o ^ 0x5555aaaa5555aaaaULL) };
	int i, b;

	for (i = 0; i < 3; i++)
		for (b = 0; b < 8; b++)
			r[i * 8 + b] = w[i] >> (8 * b);
}

/* Whether @p starts a record of the stream (a re-join's first bytes). */
static bool rec_valid(const uint8_t *p, uint64_t *o)
{
	uint8_t r[REC];
	int b;

	*o = 0;
	for (b = 0; b < 8; b++)
		*o |= (uint64_t)p[b] << (8 * b);
	if (*o % REC)
		return false;
	rec_at(*o, r);
	return !memcmp(p, r, REC);
}

/* How many of @len bytes at @p are the stream's from offset @e on. */
static size_t rec_match(const uint8_t *p, size_t len, uint64_t e)
{
	uint8_t r[REC];
	size_t i = 0;

	while (i < len) {
		size_t at = (e + i) % REC, n = REC - at, k;

		if (n > len - i)
			n = len - i;
		rec_at(e + i - at, r);
		for (k = 0; k < n; k++)
			if (p[i + k] != r[at + k])
				return i + k;
		i += n;
	}
	return len;
}

struct viewer {
	int id;
	bool framed;			/* HTTP/1.1 */
	unsigned int rnd;
	int fd;
	uint8_t *buf;			/* what came and is not checked yet */
	size_t len, cap;
	uint64_t e;			/* offset of the next byte */
	bool bad;			/* a byte that is not the stream's came */
	char why[160];
};

static unsigned int v_rand(struct viewer *v)
{
	v->rnd = v->rnd * 1103515245 + 12345;
	return v->rnd >> 8;
}

static void v_fail(struct viewer *v, const char *fmt, unsigned long long a, unsigned long long b)
{
	if (!v->bad) {
		snprintf(v->why, sizeof(v->why), fmt, a, b);
		v->bad = true;
	}
}

/*
 * Reads what the socket has (slowly): 1 bytes came, 0 EOF, -1 reset, -2
 * another error.
 */
static int v_read(struct viewer *v)
{
	ssize_t n;

	if (v->cap - v->len < 4096) {
		v->cap = v->cap * 2 + 65536;
		v->buf = realloc(v->buf, v->cap);
		if (!v->buf)
			return -2;
	}
	/* Slow: a short nap most times, a long one now and then. */
	if (v_rand(v) % 64 == 0)
		usleep(5000 + v_rand(v) % 30000);
	else
		usleep(v_rand(v) % 1500);
	n = read(v->fd, v->buf + v->len, 1024 + v_rand(v) % 3072);
	if (n > 0) {
		v->len += n;
		atomic_fetch_add(&t_bytes, n);
		return 1;
	}
	if (!n)
		return 0;
	return errno == ECONNRESET ? -1 : -2;
}

static void v_consume(struct viewer *v, size_t n)
{
	memmove(v->buf, v->buf + n, v->len - n);
	v->len -= n;
}

/*
 * @len bytes at @p that follow offset v->e, the start of a run that may
 * be a re-join (a jump forward to a whole record): an HTTP/1.1 chunk, or a
 * record's worth of the raw stream. Every chunk ends at a head, which the
 * writer's whole-record writes keep a multiple of REC (a chunk is cut at
 * 256 KiB, more than the window of the rings tested here).
 */
static void v_check(struct viewer *v, const uint8_t *p, size_t len)
{
	size_t ok = rec_match(p, len, v->e);
	uint64_t o = 0;

	if (ok == len) {
		v->e += len;
		return;
	}
	if (len < REC || !rec_valid(p, &o) || o <= v->e || rec_match(p, len, o) != len) {
		v_fail(v, "bytes at offset %llu are neither the stream's nor a re-join (%llu)",
		       v->e, o);
		return;
	}
	atomic_fetch_add(&t_rejoins, 1);
	v->e = o + len;
}

/*
 * A clean end: good bytes so far, and the stream had ended. (Not always
 * at its last byte: a viewer re-joined at the end gets no byte more.)
 */
static void v_clean_end(struct viewer *v, const char *how)
{
	bool ended = atomic_load(&t_ending);

	while (!atomic_load(&t_writer_done))
		usleep(1000);
	if (v->bad) {
		fprintf(stderr, "viewer %d (HTTP/1.%d): %s after bad bytes: %s\n", v->id,
			v->framed, how, v->why);
		atomic_fetch_add(&t_failed, 1);
	} else if (!ended || v->e > atomic_load(&t_final)) {
		fprintf(stderr,
			"viewer %d (HTTP/1.%d): %s at offset %llu while the stream went on (it ended at %llu)\n",
			v->id, v->framed, how,
			(unsigned long long)v->e, (unsigned long long)atomic_load(&t_final));
		atomic_fetch_add(&t_failed, 1);
	} else {
		atomic_fetch_add(&t_complete, 1);
	}
}

/* One GET, checked to its end. */
static void v_session(struct viewer *v)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(t_port) };
	struct timeval tv = { .tv_sec = 60 };
	int rcv = 2048 + v_rand(v) % 6144, status = 0, r;
	char req[256], *hend, *p;
	size_t pos;

	v->len = 0;
	v->bad = false;
	atomic_fetch_add(&t_sessions, 1);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(v->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (v->fd < 0 || connect(v->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "viewer %d: connect: %s\n", v->id, strerror(errno));
		goto failed;
	}
	r = snprintf(req, sizeof(req), "GET /live/%s HTTP/1.%d\r\nHost: x\r\n\r\n", t_name,
		     v->framed);
	if (write(v->fd, req, r) != r)
		goto failed;
	for (;;) {
		r = v_read(v);
		if (r <= 0) {
			fprintf(stderr, "viewer %d: no response head (%d)\n", v->id, r);
			goto failed;
		}
		v->buf[v->len] = '\0';
		hend = strstr((char *)v->buf, "\r\n\r\n");
		if (hend)
			break;
	}
	sscanf((char *)v->buf, "HTTP/1.%*d %d", &status);
	p = strcasestr((char *)v->buf, "\r\nX-Vcache-Offset: ");
	if (status != 200 || !p) {
		fprintf(stderr, "viewer %d: status %d\n", v->id, status);
		goto failed;
	}
	v->e = strtoull(p + 19, NULL, 10);
	v_consume(v, hend + 4 - (char *)v->buf);
	if (!v->framed) {
		/* The raw stream: a re-join may start anywhere. */
		for (;;) {
			for (pos = 0; !v->bad && v->len - pos >= REC; pos += REC)
				v_check(v, v->buf + pos, REC);
			v_consume(v, pos);
			if (v->bad)
				v->len = 0;	/* only the end matters now */
			r = v_read(v);
			if (r > 0)
				continue;
			if (!r) {
				if (v->len && !v->bad)
					v_fail(v, "%llu bytes at %llu: a record cut short", v->len,
					       v->e);
				v_clean_end(v, "EOF");
			}
			break;
		}
	} else {
		/* Chunked: a re-join starts a chunk, and only a whole chunk is checked. */
		for (;;) {
			unsigned long long sz = 0;
			char *e;

			pos = 0;
			while (!v->bad) {
				p = memchr(v->buf, '\n', v->len);
				if (!p)
					break;
				sz = strtoull((char *)v->buf, &e, 16);
				if (e == (char *)v->buf || memcmp(e, "\r\n", 2)) {
					v_fail(v, "bad chunk framing at offset %llu (chunk %llu)",
					       v->e, sz);
					break;
				}
				pos = e + 2 - (char *)v->buf;
				if (v->len < pos + sz + 2)
					break;
				if (memcmp(v->buf + pos + sz, "\r\n", 2)) {
					v_fail(v, "chunk of %llu at %llu not followed by CRLF", sz,
					       v->e);
					break;
				}
				if (!sz) {
					v_clean_end(v, "last chunk");
					goto out;
				}
				v_check(v, v->buf + pos, sz);
				v_consume(v, pos + sz + 2);
			}
			if (v->bad)
				v->len = 0;
			r = v_read(v);
			if (r > 0)
				continue;
			if (!r) {
				/* A FIN before the last chunk: cut, which is not a reset. */
				v_fail(v, "EOF before the last chunk, at offset %llu (%llu bytes unread)",
				       v->e,
				       (unsigned long long)v->len);
				atomic_fetch_add(&t_failed, 1);
				fprintf(stderr, "viewer %d (HTTP/1.1): %s\n", v->id, v->why);
			}
			break;
		}
	}
	if (r == -1) {
		/* A reset: the server said the response is not whole. */
		atomic_fetch_add(v->bad ? &t_bad_resets : &t_resets, 1);
	} else if (r < -1) {
		fprintf(stderr, "viewer %d: read: %s\n", v->id, strerror(errno));
		goto failed;
	}
out:
	close(v->fd);
	return;
failed:
	atomic_fetch_add(&t_failed, 1);
	if (v->fd >= 0)
		close(v->fd);
}

static void *viewer_main(void *arg)
{
	struct viewer *v = arg;

	while (!atomic_load(&t_writer_done))
		v_session(v);
	free(v->buf);
	return NULL;
}

static int cmd_torn(int port, const char *name, uint64_t ring, int seconds, int nviewers)
{
	struct vcache_create cr;
	struct vcache_live_ctrl *ctrl;
	struct viewer *vs = calloc(nviewers, sizeof(*vs));
	pthread_t *th = calloc(nviewers, sizeof(*th));
	uint64_t off = 0, end_ns, batch;
	struct timespec ts;
	static uint8_t wbuf[65536];
	int fd, i;

	t_port = port;
	t_name = name;
	fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.name, sizeof(cr.name), "%s", name);
	cr.capacity = ring;
	cr.fps_num = 25;
	cr.fps_den = 1;
	cr.flags = VCACHE_CREATE_LIVE;
	if (fd < 0 || ioctl(fd, VCACHE_IOC_CREATE, &cr)) {
		perror("create live stream");
		return 1;
	}
	ctrl = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	if (ctrl == MAP_FAILED || !vs || !th) {
		perror("mmap");
		return 1;
	}
	/* One write is one publish only if it fits the landing zone. */
	batch = ctrl->zone < sizeof(wbuf) ? ctrl->zone : sizeof(wbuf);
	batch -= batch % REC;
	printf("# ring %llu, window %llu, zone %llu; writes of %llu\n",
	       (unsigned long long)ctrl->ring_size, (unsigned long long)ctrl->window,
	       (unsigned long long)ctrl->zone, (unsigned long long)batch);
	if (ctrl->ring_size % REC == 0) {
		fprintf(stderr, "a ring of a multiple of %d cannot tell a lap from a re-join\n",
			REC);
		return 1;
	}
	/* A little to join at, then the viewers. */
	for (i = 0; i < 4; i++) {
		size_t k;

		for (k = 0; k < batch; k += REC)
			rec_at(off + k, wbuf + k);
		if (write(fd, wbuf, batch) != (ssize_t)batch) {
			perror("write");
			return 1;
		}
		off += batch;
	}
	for (i = 0; i < nviewers; i++) {
		vs[i].id = i;
		vs[i].framed = i % 2;
		vs[i].rnd = 12345 + i;
		vs[i].fd = -1;
		pthread_create(&th[i], NULL, viewer_main, &vs[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec + seconds * 1000000000ULL;
	for (;;) {
		size_t k;

		for (k = 0; k < batch; k += REC)
			rec_at(off + k, wbuf + k);
		if (write(fd, wbuf, batch) != (ssize_t)batch) {
			perror("write");
			return 1;
		}
		off += batch;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000000000ULL + ts.tv_nsec >= end_ns)
			break;
	}
	/* The writer's close ends the stream: the viewers' clean end is here. */
	atomic_store(&t_final, off);
	atomic_store(&t_ending, true);
	munmap(ctrl, sysconf(_SC_PAGESIZE));
	close(fd);
	atomic_store(&t_writer_done, true);
	for (i = 0; i < nviewers; i++)
		pthread_join(th[i], NULL);
	printf("wrote %llu bytes; %llu responses: %llu to the end, %llu reset, %llu reset after bad bytes, %llu failed; %llu re-joins, %llu bytes checked\n",
	       (unsigned long long)off, (unsigned long long)t_sessions,
	       (unsigned long long)t_complete, (unsigned long long)t_resets,
	       (unsigned long long)t_bad_resets, (unsigned long long)t_failed,
	       (unsigned long long)t_rejoins, (unsigned long long)t_bytes);
	free(vs);
	free(th);
	return t_failed ? 1 : 0;
}

/* --- hold, crowd ------------------------------------------------------------ */

static int cmd_hold(const char *name, uint64_t ring, uint64_t bytes)
{
	struct vcache_index_entry key = { .pts = 0, .offset = 0, .flags = VCACHE_INDEX_KEY };
	struct vcache_index_append a = { .entries = (uintptr_t)&key, .count = 1 };
	struct vcache_create cr;
	uint64_t off;
	int fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);

	memset(&cr, 0, sizeof(cr));
	snprintf(cr.name, sizeof(cr.name), "%s", name);
	cr.capacity = ring;
	cr.fps_num = 25;
	cr.fps_den = 1;
	cr.flags = VCACHE_CREATE_LIVE;
	if (fd < 0 || ioctl(fd, VCACHE_IOC_CREATE, &cr)) {
		perror("create live stream");
		return 1;
	}
	for (off = 0; off < bytes; off += REC) {
		uint8_t r[REC];
		size_t n = bytes - off < REC ? bytes - off : REC;

		rec_at(off, r);
		if (write(fd, r, n) != (ssize_t)n) {
			perror("write");
			return 1;
		}
	}
	if (ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a)) {
		perror("index");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int cmd_crowd(int port, const char *path, int n, uint64_t bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pollfd *pf = calloc(n, sizeof(*pf));
	uint64_t *got = calloc(n, sizeof(*got));
	bool *in_body = calloc(n, sizeof(*in_body));
	int i, rcv = 4096, done = 0;
	char req[512];

	if (!pf || !got || !in_body)
		return 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	for (i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
			fprintf(stderr, "viewer %d: %s\n", i, strerror(errno));
			return 1;
		}
		pf[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	while (done < n) {
		if (poll(pf, n, 60000) <= 0) {
			fprintf(stderr, "%d of %d viewers got their bytes in time\n", done, n);
			return 1;
		}
		for (i = 0; i < n; i++) {
			ssize_t k;
			char *p;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(pf[i].fd, buf, sizeof(buf) - 1);
			if (k <= 0) {
				fprintf(stderr, "viewer %d: the response ended after %llu bytes\n",
					i, (unsigned long long)got[i]);
				return 1;
			}
			if (!in_body[i]) {
				/* The head comes in one read: it is small, and first. */
				buf[k] = '\0';
				p = strstr(buf, "\r\n\r\n");
				if (!p || strncmp(buf + 8, " 200 ", 5)) {
					fprintf(stderr, "viewer %d: no 200 head\n", i);
					return 1;
				}
				in_body[i] = true;
				k -= p + 4 - buf;
			}
			got[i] += k;
			if (got[i] >= bytes) {
				pf[i].fd = ~pf[i].fd;	/* done: poll no more */
				done++;
			}
		}
	}
	printf("ready %d\n", done);
	fflush(stdout);
	for (;;)
		pause();
}

/* 65536, 64K or 1M. */
static uint64_t size_arg(const char *s)
{
	char *e;
	uint64_t v = strtoull(s, &e, 0);

	return *e == 'K' ? v << 10 : *e == 'M' ? v << 20 : v;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "slow"))
		return cmd_slow(atoi(argv[2]), argv[3], atoi(argv[4]), argv[5]);
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], size_arg(argv[3]), size_arg(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "crowd"))
		return cmd_crowd(atoi(argv[2]), argv[3], atoi(argv[4]), size_arg(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "torn"))
		return cmd_torn(atoi(argv[2]), argv[3], size_arg(argv[4]), atoi(argv[5]),
				atoi(argv[6]));
	fprintf(stderr, "usage: see the comment at the top of live_client.c\n");
	return 2;
}
