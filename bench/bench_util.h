/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench programs share: dying with a message, a monotonic clock
 * in ns, the median of samples, a reproducible random stream, making a
 * sealed video of a known pattern in /dev/vcache, and serving a chunk
 * through a pipe into /dev/null with splice(2). Static inline, so each
 * program builds from its one .c file; define BENCH_NAME (the program's
 * name, for messages) before including this.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vcache.h>

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_util.h"
#endif

__attribute__((noreturn)) static inline void die(const char *what)
{
	fprintf(stderr, BENCH_NAME ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; its middle sample (of the two middle ones, the upper). */
static inline double median_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* xorshift64: the same stream from the same seed in *@state, run to run. */
static inline uint64_t xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/*
 * A new video @name of @capacity bytes at @fps frames a second, loading,
 * open for writing (a video left with that name by an earlier run is
 * deleted first).
 */
static inline int create_video(const char *name, uint64_t capacity, uint32_t fps)
{
	struct vcache_create c;
	struct vcache_delete d;
	int fd = open("/dev/vcache", O_RDWR);

	if (fd < 0)
		die("open /dev/vcache");
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	ioctl(fd, VCACHE_IOC_DELETE, &d);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.capacity = capacity;
	c.fps_num = fps;
	c.fps_den = 1;
	if (ioctl(fd, VCACHE_IOC_CREATE, &c))
		die("VCACHE_IOC_CREATE");
	return fd;
}

/*
 * @len bytes into the loading video @fd a MiB at a time through @buf (a
 * MiB), every byte of MiB k being @first + k (mod 256), then the seal.
 */
static inline void fill_and_seal(int fd, size_t len, uint8_t *buf, unsigned int first)
{
	const size_t mib = 1024 * 1024;
	size_t off;

	for (off = 0; off < len; off += mib) {
		memset(buf, (int)(first + off / mib), mib);
		if (pwrite(fd, buf, mib, off) != (ssize_t)mib)
			die("pwrite");
	}
	if (ioctl(fd, VCACHE_IOC_SEAL, 0))
		die("VCACHE_IOC_SEAL");
}

/* The pipe and /dev/null that splice_to_null() serves chunks through. */
struct null_pipe {
	int fd[2];
	int null_fd;
	size_t size;
};

/*
 * A pipe as big as an unprivileged server gets (pipe-max-size) and
 * /dev/null; -1 if pipe(2) fails. The caller checks null_fd and size.
 */
static inline int null_pipe_open(struct null_pipe *np)
{
	if (pipe(np->fd))
		return -1;
	fcntl(np->fd[1], F_SETPIPE_SZ, 1024 * 1024);
	np->size = fcntl(np->fd[1], F_GETPIPE_SZ);
	np->null_fd = open("/dev/null", O_WRONLY);
	return 0;
}

/*
 * @len bytes at @off of @fd through the pipe into /dev/null, a pipe's
 * worth at a time, as a server does on its way to a socket; @from names
 * @fd if splice(2) fails.
 */
static inline void splice_to_null(const struct null_pipe *np, int fd, off_t off,
				  size_t len, const char *from)
{
	loff_t pos = off;
	size_t done = 0;
	char what[128];

	while (done < len) {
		size_t want = len - done < np->size ? len - done : np->size;
		ssize_t in = splice(fd, &pos, np->fd[1], NULL, want, SPLICE_F_MOVE);
		ssize_t out = 0;

		if (in <= 0) {
			int err = errno;

			snprintf(what, sizeof(what), "splice from %s", from);
			errno = err;
			die(what);
		}
		while (out < in) {
			ssize_t n = splice(np->fd[0], NULL, np->null_fd, NULL, in - out,
					   SPLICE_F_MOVE);

			if (n <= 0)
				die("splice to /dev/null");
			out += n;
		}
		done += in;
	}
}

#endif /* BENCH_UTIL_H */
