// SPDX-License-Identifier: GPL-2.0
/*
 * seek_client: the client of bench/seek-bench.sh. Asks for random start
 * times and reads the first --bytes of each response body, then closes the
 * connection, as a player that seeks does.
 *
 *   seek_client --port P --path FMT --max-start S [--addr A] [--conns C]
 *               [--duration SEC] [--bytes N] [--seed N]
 *
 * FMT is the request path with one %u for the start time in whole seconds,
 * drawn uniformly from 0..S: "/v/NAME?t=%u" (vcache-streamer) or
 * "/NAME.mp4?start=%u" (nginx's mp4 module). C threads, each with one
 * blocking connection at a time (a new one per request: the rest of the
 * response is not wanted) and its own random sequence, the same for every
 * server (--seed + thread number).
 *
 * Why not wrk: wrk reads every response to its end, and a ?t= response of
 * vcache-streamer runs to the end of the video (it ignores Range, being a
 * view computed per request): for a 4 h video wrk would measure bulk
 * transfer, not seeking.
 *
 * Output: one line "WRK {json}" in the format of bench/wrk-range.lua
 * (requests, body bytes, duration_us, p50_us, p99_us, err_*), plus p90_us
 * and mean_us. A request counts as completed when --bytes of body arrived
 * after a 200; anything else is an error (err_status: not 200, err_read:
 * the connection ended first, err_connect, err_timeout: 60 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t tid;
	unsigned int id;
	uint64_t rng;
	uint64_t *lat;		/* microseconds, one per completed request */
	size_t n, cap;
	uint64_t bytes;
	unsigned long err_connect, err_read, err_status, err_timeout;
};

static struct sockaddr_in addr;
static const char *path_fmt;
static unsigned int max_start;
static size_t want_bytes = 1 << 20;
static uint64_t deadline_us;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t next_rng(uint64_t *s)
{
	/* xorshift64*: a repeatable sequence, not a secret one. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* One request: 0 completed, else which error it counts as. */
enum outcome { DONE, E_CONNECT, E_READ, E_STATUS, E_TIMEOUT };

static enum outcome one_request(struct worker *w, unsigned int start, uint64_t *body)
{
	struct timeval tv = { .tv_sec = 60 };
	char req[512], path[256], buf[65536];
	size_t head = 0;
	bool in_body = false;
	int fd, len, one = 1;
	enum outcome ret = E_READ;

	*body = 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return E_CONNECT;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return E_CONNECT;
	}
	snprintf(path, sizeof(path), path_fmt, start);
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n"
		       "Connection: close\r\n\r\n", path);
	if (write(fd, req, len) != len)
		goto out;
	while (*body < want_bytes) {
		char *end;
		ssize_t r;

		if (in_body) {
			size_t left = want_bytes - *body;

			r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		} else {
			r = read(fd, buf + head, sizeof(buf) - 1 - head);
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ret = E_TIMEOUT;
			goto out;
		}
		if (r <= 0)
			goto out;
		if (in_body) {
			*body += r;
			continue;
		}
		head += r;
		buf[head] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end) {
			if (head == sizeof(buf) - 1)
				goto out;
			continue;
		}
		if (strncmp(buf, "HTTP/1.1 200 ", 13)) {
			ret = E_STATUS;
			goto out;
		}
		in_body = true;
		*body = head - (end + 4 - buf);
	}
	ret = DONE;
out:
	close(fd);
	return ret;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	while (now_us() < deadline_us) {
		unsigned int start = next_rng(&w->rng) % ((uint64_t)max_start + 1);
		uint64_t t0 = now_us(), body;
		enum outcome o = one_request(w, start, &body);

		w->bytes += body;
		switch (o) {
		case DONE:
			if (w->n == w->cap) {
				w->cap = w->cap ? 2 * w->cap : 1024;
				w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
				if (!w->lat) {
					perror("seek_client: realloc");
					exit(1);
				}
			}
			w->lat[w->n++] = now_us() - t0;
			break;
		case E_CONNECT:
			w->err_connect++;
			break;
		case E_READ:
			w->err_read++;
			break;
		case E_STATUS:
			w->err_status++;
			break;
		case E_TIMEOUT:
			w->err_timeout++;
			break;
		}
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return -1;
	i = (size_t)(p / 100 * (n - 1) + 0.5);
	return v[i];
}

static void usage(void)
{
	fprintf(stderr, "usage: seek_client --port P --path FMT --max-start S [--addr A] "
		"[--conns C] [--duration SEC] [--bytes N] [--seed N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' },
		{ "max-start", required_argument, NULL, 'm' },
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = "127.0.0.1";
	unsigned int conns = 4, seed = 4242, port = 0, i;
	double duration = 5;
	struct worker *w;
	uint64_t t0, t1, *all, bytes = 0, sum = 0;
	unsigned long ec = 0, er = 0, es = 0, et = 0;
	size_t n = 0;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			host = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'P':
			path_fmt = optarg;
			break;
		case 'm':
			max_start = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			conns = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'b':
			want_bytes = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !port || port > 65535 || !path_fmt || !strstr(path_fmt, "%u") ||
	    !conns || conns > 1024 || duration <= 0 || !want_bytes)
		usage();
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "seek_client: bad address %s\n", host);
		return 2;
	}
	w = calloc(conns, sizeof(*w));
	if (!w)
		return 1;
	t0 = now_us();
	deadline_us = t0 + (uint64_t)(duration * 1e6);
	for (i = 0; i < conns; i++) {
		w[i].id = i;
		w[i].rng = 0x9e3779b97f4a7c15ULL * (seed + i + 1);
		if (pthread_create(&w[i].tid, NULL, run, &w[i])) {
			fprintf(stderr, "seek_client: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < conns; i++) {
		pthread_join(w[i].tid, NULL);
		n += w[i].n;
	}
	t1 = now_us();
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!all)
		return 1;
	n = 0;
	for (i = 0; i < conns; i++) {
		memcpy(all + n, w[i].lat, w[i].n * sizeof(*all));
		n += w[i].n;
		bytes += w[i].bytes;
		ec += w[i].err_connect;
		er += w[i].err_read;
		es += w[i].err_status;
		et += w[i].err_timeout;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	for (i = 0; i < n; i++)
		sum += all[i];
	printf("WRK {\"requests\":%zu,\"bytes\":%llu,\"duration_us\":%llu,\"p50_us\":%.0f,"
	       "\"p90_us\":%.0f,\"p99_us\":%.0f,\"mean_us\":%.0f,\"err_connect\":%lu,"
	       "\"err_read\":%lu,\"err_write\":0,\"err_status\":%lu,\"err_timeout\":%lu}\n",
	       n, (unsigned long long)bytes, (unsigned long long)(t1 - t0),
	       pct(all, n, 50), pct(all, n, 90), pct(all, n, 99),
	       n ? (double)sum / n : -1.0, ec, er, es, et);
	return 0;
}
