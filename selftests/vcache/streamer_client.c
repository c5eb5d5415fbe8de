// SPDX-License-Identifier: GPL-2.0
/*
 * The programs streamer_test.sh drives, in one binary:
 *
 *   streamer_client mkvideo NAME SIZE SEED [--fps N/D] [--index BPF:KEYEVERY]
 *                   [--loading SECONDS]
 *	A video of SIZE pattern bytes (vc_byte(SEED, offset)), sealed. With
 *	--index, a synthetic keyframe index: one entry per BPF bytes, frame i
 *	at time i / fps and offset i * BPF, every KEYEVERY-th a keyframe.
 *	With --loading, not sealed: capacity 2 * SIZE, held open for SECONDS
 *	(prints "ready" once written), then abandoned, which deletes it.
 *	--rewrite-when FILE (with --loading): once FILE exists, rewrites all
 *	SIZE bytes with the pattern of SEED + 1 and prints "rewritten".
 *   streamer_client fetch PORT NAME SIZE SEED CLIENTS REQUESTS MAXLEN
 *	CLIENTS threads, each REQUESTS keep-alive GETs of a random range of at
 *	most MAXLEN bytes; every body is checked against the pattern.
 *   streamer_client idle PORT N SECONDS
 *	N connections that send nothing, held SECONDS; prints how many were
 *	opened and how many the server still holds open at the end.
 *   streamer_client mkmany PREFIX N [--rm]
 *	N small sealed videos, PREFIX00000 on, 100 pattern bytes each; with
 *	--rm, deletes them instead.
 *   streamer_client slowget PORT PATH N SECONDS
 *	N connections that each send GET PATH with a 4 KiB receive buffer and
 *	read nothing, held SECONDS; prints "held N".
 *   streamer_client heldget PORT PATH SEED GOFILE
 *	GET PATH with a 4 KiB receive buffer; reads nothing until GOFILE
 *	exists, then the whole response. Prints "body=N a_until=X b_after=Y":
 *	the body's first X bytes are the pattern of SEED, and Y of the bytes
 *	after them are the pattern of SEED + 1 (Y = N - X: nothing else).
 *   streamer_client probe PORT PATH N
 *	N requests for PATH one after the other, each on a new connection
 *	(Connection: close), each timed from connect to the server's close;
 *	prints "n=N p50_us=.. p99_us=.. max_us=.. errors=.." (errors: a
 *	failed connect or a response other than 200/206).
 *   streamer_client raw PORT [--shut] [--head] [--wait SECONDS] < BYTES
 *	Sends BYTES, optionally shuts down its side, then reads until the
 *	server closes or SECONDS (default 3) pass; prints the status of each
 *	response ("200 404") and "closed" or "open". --head: the responses
 *	have no body whatever their Content-Length (they answer HEADs).
 *	--trickle USEC: BYTES go a byte per send(2), TCP_NODELAY, USEC
 *	microseconds apart, so that the server reads them about a byte at a
 *	time; says on stderr how long that took.
 *
 * The server is on 127.0.0.1. Exit 0 on success, 1 on a failure, after
 * one line saying what.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include "vcache_util.h"

static int die(const char *what)
{
	fprintf(stderr, "streamer_client: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Until @path exists (a test's go-ahead), at most @secs seconds. */
static int wait_file(const char *path, int secs)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(10000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int connect_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 60 };	/* a hung server fails, not hangs */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* --- mkvideo, mkts ------------------------------------------------------- */

static int create_video(const char *name, uint64_t size, uint32_t num, uint32_t den)
{
	struct vcache_create c;
	int fd = open(VCACHE_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	strncpy(c.name, name, sizeof(c.name) - 1);
	c.capacity = size ? size : 1;
	c.fps_num = num;
	c.fps_den = den;
	if (ioctl(fd, VCACHE_IOC_CREATE, &c)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int append(int fd, struct vcache_index_entry *e, size_t n)
{
	while (n) {
		struct vcache_index_append a;
		size_t k = n < VCACHE_INDEX_BATCH_MAX ? n : VCACHE_INDEX_BATCH_MAX;

		memset(&a, 0, sizeof(a));
		a.entries = (uintptr_t)e;
		a.count = k;
		if (ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a))
			return -1;
		e += k;
		n -= k;
	}
	return 0;
}

static int cmd_mkvideo(int argc, char **argv)
{
	uint64_t size = strtoull(argv[3], NULL, 0), seed = strtoull(argv[4], NULL, 0);
	unsigned int num = 25, den = 1, bpf = 0, keyevery = 0, loading = 0;
	const char *rewrite_when = NULL;
	struct vcache_index_entry *e;
	size_t i, frames;
	int fd, a;

	for (a = 5; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--fps"))
			sscanf(argv[a + 1], "%u/%u", &num, &den);
		else if (!strcmp(argv[a], "--index"))
			sscanf(argv[a + 1], "%u:%u", &bpf, &keyevery);
		else if (!strcmp(argv[a], "--loading"))
			loading = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--rewrite-when"))
			rewrite_when = argv[a + 1];
	}
	fd = create_video(argv[2], loading ? 2 * size : size, num, den);
	if (fd < 0)
		return die("create");
	if (vc_write_pattern(fd, size, seed))
		return die("write");
	if (bpf && keyevery) {
		frames = size / bpf;
		e = calloc(frames, sizeof(*e));
		if (!e)
			return die("calloc");
		for (i = 0; i < frames; i++) {
			/* 90 kHz ticks of frame i: i * 90000 * den / num. */
			e[i].pts = i * 90000ULL * den / num;
			e[i].offset = i * (uint64_t)bpf;
			e[i].flags = i % keyevery ? 0 : VCACHE_INDEX_KEY;
		}
		if (append(fd, e, frames))
			return die("index append");
		free(e);
	}
	if (loading) {
		printf("ready\n");
		fflush(stdout);
		if (rewrite_when) {
			if (wait_file(rewrite_when, loading))
				return die("--rewrite-when: no go-ahead file");
			if (vc_write_pattern(fd, size, seed + 1))
				return die("rewrite");
			printf("rewritten\n");
			fflush(stdout);
		}
		sleep(loading);
		return 0;
	}
	if (vc_seal(fd)) {
		errno = -vc_seal(fd);
		return die("seal");
	}
	close(fd);
	return 0;
}

/* --- heldget ------------------------------------------------------------- */

static int cmd_heldget(int argc, char **argv)
{
	int port = atoi(argv[2]), rcv = 4096, fd;
	uint64_t seed = strtoull(argv[4], NULL, 0), body = 0, a_until = 0, b_after = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[65536];
	char req[512], head[8192];
	size_t head_len = 0;
	bool in_head = true, in_a = true;
	ssize_t r;

	(void)argc;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 argv[3]);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("socket");
	/* The small buffer before connect(), so the window is small too. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || write_all(fd, req, strlen(req)))
		return die("connect");
	printf("sent\n");
	fflush(stdout);
	if (wait_file(argv[5], 60))
		return die("heldget: no go-ahead file");
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		if (in_head) {
			size_t take = (size_t)r < sizeof(head) - 1 - head_len ?
				      (size_t)r : sizeof(head) - 1 - head_len;
			char *end;

			memcpy(head + head_len, buf, take);
			head_len += take;
			head[head_len] = 0;
			end = strstr(head, "\r\n\r\n");
			if (!end) {
				if (head_len == sizeof(head) - 1) {
					errno = E2BIG;
					return die("heldget: head");
				}
				continue;
			}
			/* The body starts in this read, after the head's end. */
			p = buf + (end + 4 - head) - (head_len - take);
			r -= p - buf;
			in_head = false;
		}
		for (ssize_t i = 0; i < r; i++, body++) {
			uint8_t b = (uint8_t)p[i];

			if (in_a && b == vc_byte(seed, body)) {
				a_until++;
				continue;
			}
			in_a = false;
			b_after += b == vc_byte(seed + 1, body);
		}
	}
	if (r < 0)
		return die("read");
	close(fd);
	printf("body=%" PRIu64 " a_until=%" PRIu64 " b_after=%" PRIu64 "\n", body, a_until,
	       b_after);
	return 0;
}

/* --- fetch --------------------------------------------------------------- */

struct fetcher {
	pthread_t thread;
	int port;
	const char *name;
	uint64_t size, seed, maxlen;
	unsigned int requests;
	uint64_t rng;
	uint64_t bytes;
	char error[200];
};

static uint64_t rnd(struct fetcher *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

/* Reads one response head into @buf; returns its length, leftover after it. */
static ssize_t read_head(int fd, char *buf, size_t size, size_t *have)
{
	char *end;

	for (;;) {
		ssize_t n;

		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			return end + 4 - buf;
		if (*have + 1 >= size)
			return -1;
		n = read(fd, buf + *have, size - 1 - *have);
		if (n <= 0)
			return -1;
		*have += n;
	}
}

static void *fetch_main(void *arg)
{
	static __thread uint8_t body[1 << 16];
	struct fetcher *f = arg;
	char req[256], head[4096];
	unsigned int i;
	int fd;

	fd = connect_port(f->port);
	if (fd < 0) {
		snprintf(f->error, sizeof(f->error), "connect: %s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < f->requests; i++) {
		uint64_t len = 1 + rnd(f) % f->maxlen, first, got = 0, clen;
		size_t have = 0;
		ssize_t hl;
		char *cl;

		if (len > f->size)
			len = f->size;
		first = rnd(f) % (f->size - len + 1);
		snprintf(req, sizeof(req), "GET /v/%s HTTP/1.1\r\nHost: t\r\n"
			 "Range: bytes=%" PRIu64 "-%" PRIu64 "\r\n\r\n", f->name, first,
			 first + len - 1);
		if (write_all(fd, req, strlen(req))) {
			snprintf(f->error, sizeof(f->error), "write: %s", strerror(errno));
			break;
		}
		hl = read_head(fd, head, sizeof(head), &have);
		if (hl < 0 || strncmp(head, "HTTP/1.1 206 ", 13)) {
			snprintf(f->error, sizeof(f->error), "bad response to %" PRIu64 "+%"
				 PRIu64 ": %.40s", first, len, hl < 0 ? "(none)" : head);
			break;
		}
		cl = strcasestr(head, "\r\nContent-Length: ");
		clen = cl ? strtoull(cl + 18, NULL, 10) : 0;
		if (clen != len) {
			snprintf(f->error, sizeof(f->error), "Content-Length %" PRIu64
				 " for %" PRIu64 " bytes", clen, len);
			break;
		}
		/* What came with the head is the start of the body. */
		if (have > (size_t)hl) {
			long bad = vc_verify((uint8_t *)head + hl, have - hl, f->seed, first);

			if (bad >= 0) {
				snprintf(f->error, sizeof(f->error), "wrong byte at %" PRIu64,
					 first + bad);
				break;
			}
			got = have - hl;
		}
		while (got < len) {
			size_t want = len - got < sizeof(body) ? len - got : sizeof(body);
			ssize_t n = read(fd, body, want);
			long bad;

			if (n <= 0) {
				snprintf(f->error, sizeof(f->error), "body cut at %" PRIu64
					 " of %" PRIu64, got, len);
				goto out;
			}
			bad = vc_verify(body, n, f->seed, first + got);
			if (bad >= 0) {
				snprintf(f->error, sizeof(f->error), "wrong byte at %" PRIu64,
					 first + got + bad);
				goto out;
			}
			got += n;
		}
		f->bytes += len;
	}
out:
	close(fd);
	return NULL;
}

static int cmd_fetch(int argc, char **argv)
{
	unsigned int clients = atoi(argv[6]), i, failed = 0;
	struct fetcher *f = calloc(clients, sizeof(*f));
	struct timespec t0, t1;
	uint64_t bytes = 0;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < clients; i++) {
		f[i].port = atoi(argv[2]);
		f[i].name = argv[3];
		f[i].size = strtoull(argv[4], NULL, 0);
		f[i].seed = strtoull(argv[5], NULL, 0);
		f[i].requests = atoi(argv[7]);
		f[i].maxlen = strtoull(argv[8], NULL, 0);
		f[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ t0.tv_nsec;
		if (pthread_create(&f[i].thread, NULL, fetch_main, &f[i]))
			return die("pthread_create");
	}
	for (i = 0; i < clients; i++) {
		pthread_join(f[i].thread, NULL);
		bytes += f[i].bytes;
		if (f[i].error[0]) {
			if (!failed)
				fprintf(stderr, "client %u: %s\n", i, f[i].error);
			failed++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%u clients, %u failed, %" PRIu64 " bytes checked in %.2f s (%.1f MB/s)\n",
	       clients, failed, bytes, secs, bytes / secs / 1e6);
	return failed ? 1 : 0;
}

/* --- idle ---------------------------------------------------------------- */

static int cmd_idle(int argc, char **argv)
{
	int port = atoi(argv[2]), n = atoi(argv[3]), secs = atoi(argv[4]);
	int *fds = calloc(n, sizeof(int)), opened = 0, alive = 0, i;
	struct rlimit rl;
	char c;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < n; i++) {
		fds[i] = connect_port(port);
		if (fds[i] < 0)
			break;
		opened++;
	}
	printf("opened %d\n", opened);
	fflush(stdout);
	sleep(secs);
	for (i = 0; i < opened; i++) {
		ssize_t r = recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT);

		if (r < 0 && errno == EAGAIN)
			alive++;
		close(fds[i]);
	}
	printf("alive %d\n", alive);
	return 0;
}

/* --- mkmany, slowget ------------------------------------------------------ */

static int cmd_mkmany(int argc, char **argv)
{
	int n = atoi(argv[3]), i, fd;
	char name[VCACHE_NAME_MAX];

	if (argc == 5) {
		fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return die("open");
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s%05d", argv[2], i);
			vc_delete(fd, name);
		}
		close(fd);
		return 0;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%05d", argv[2], i);
		fd = create_video(name, 100, 25, 1);
		if (fd < 0)
			return die("create");
		if (vc_write_pattern(fd, 100, i) || vc_seal(fd))
			return die("write");
		close(fd);
	}
	return 0;
}

static int cmd_slowget(int argc, char **argv)
{
	int port = atoi(argv[2]), n = atoi(argv[4]), secs = atoi(argv[5]), i, held = 0;
	int *fds = calloc(n > 0 ? n : 1, sizeof(*fds)), rcv = 4096;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[512];

	if (!fds)
		return die("calloc");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", argv[3]);
	for (i = 0; i < n; i++) {
		/* The small buffer before connect(), so the window is small too. */
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			break;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) ||
		    write_all(fds[i], req, strlen(req))) {
			close(fds[i]);
			break;
		}
		held++;
	}
	printf("held %d\n", held);
	fflush(stdout);
	sleep(secs);
	for (i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/* --- probe --------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int cmd_probe(int argc, char **argv)
{
	int port = atoi(argv[2]), n = atoi(argv[4]), i, errors = 0, done = 0;
	uint64_t *lat = calloc(n > 0 ? n : 1, sizeof(*lat));
	char req[512], buf[65536];

	if (!lat || n <= 0)
		return die("probe count");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 argv[3]);
	for (i = 0; i < n; i++) {
		uint64_t t0 = usec_now();
		bool good = false, first = true;
		ssize_t r;
		int fd = connect_port(port);

		if (fd < 0 || write_all(fd, req, strlen(req))) {
			errors++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			if (first && r >= 12)
				good = !strncmp(buf + 9, "200", 3) || !strncmp(buf + 9, "206", 3);
			first = false;
		}
		close(fd);
		if (r < 0 || !good) {
			errors++;
			continue;
		}
		lat[done++] = usec_now() - t0;
	}
	if (!done) {
		printf("n=0 errors=%d\n", errors);
		return 1;
	}
	qsort(lat, done, sizeof(*lat), cmp_u64);
	printf("n=%d p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64 " errors=%d\n",
	       done, lat[done / 2], lat[(done * 99) / 100 < done ? (done * 99) / 100 : done - 1],
	       lat[done - 1], errors);
	free(lat);
	return 0;
}

/* --- raw ----------------------------------------------------------------- */

static int cmd_raw(int argc, char **argv)
{
	static char in[1 << 20], out[1 << 20];
	int port = atoi(argv[2]), wait_ms = 3000, fd, a;
	size_t inlen = 0, outlen = 0, pos = 0;
	bool shut = false, closed = false, head = false;
	long trickle_us = -1;
	ssize_t n;

	for (a = 3; a < argc; a++) {
		if (!strcmp(argv[a], "--shut"))
			shut = true;
		else if (!strcmp(argv[a], "--head"))
			head = true;
		else if (!strcmp(argv[a], "--wait") && a + 1 < argc)
			wait_ms = atof(argv[++a]) * 1000;
		else if (!strcmp(argv[a], "--trickle") && a + 1 < argc)
			trickle_us = atol(argv[++a]);
	}
	while ((n = read(STDIN_FILENO, in + inlen, sizeof(in) - inlen)) > 0)
		inlen += n;
	fd = connect_port(port);
	if (fd < 0)
		return die("connect");
	/* The server may answer and close before all is sent: that is fine. */
	signal(SIGPIPE, SIG_IGN);
	if (trickle_us >= 0) {
		struct timespec t0, t1, gap = { trickle_us / 1000000,
						 trickle_us % 1000000 * 1000 };
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (pos = 0; pos < inlen; pos++) {
			if (send(fd, in + pos, 1, 0) != 1)
				break;
			if (trickle_us)
				nanosleep(&gap, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "trickled %zu of %zu bytes in %.3f s\n", pos, inlen,
			t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		pos = 0;
	} else {
		write_all(fd, in, inlen);
	}
	if (shut)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, wait_ms) <= 0)
			break;
		n = read(fd, out + outlen, sizeof(out) - 1 - outlen);
		if (n <= 0) {
			closed = true;	/* EOF, or a reset: the server closed */
			break;
		}
		outlen += n;
	}
	out[outlen] = '\0';
	/* Each response: its status, then skip its Content-Length of body. */
	while (pos < outlen && !strncmp(out + pos, "HTTP/1.1 ", 9)) {
		char *end = strstr(out + pos, "\r\n\r\n"), *cl;
		uint64_t clen = 0;

		printf("%.3s ", out + pos + 9);
		if (!end)
			break;
		*end = '\0';
		cl = strcasestr(out + pos, "\r\nContent-Length: ");
		if (cl && !head)
			clen = strtoull(cl + 18, NULL, 10);
		pos = end + 4 - out + clen;
	}
	printf("%s\n", closed ? "closed" : "open");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "mkvideo"))
		return cmd_mkvideo(argc, argv);
	if (argc == 9 && !strcmp(argv[1], "fetch"))
		return cmd_fetch(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return cmd_idle(argc, argv);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "mkmany"))
		return cmd_mkmany(argc, argv);
	if (argc == 6 && !strcmp(argv[1], "slowget"))
		return cmd_slowget(argc, argv);
	if (argc == 6 && !strcmp(argv[1], "heldget"))
		return cmd_heldget(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "probe"))
		return cmd_probe(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "raw"))
		return cmd_raw(argc, argv);
	fprintf(stderr, "usage: see the comment at the top of streamer_client.c\n");
	return 2;
}
