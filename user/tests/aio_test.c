// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of user/lib/aio.c: real kernel AIO on tmpfs and on the disk's
 * filesystem, the synchronous fallback on the same workloads (it must give
 * the same results), io_setup() failures (injected through the engine's
 * io_setup hook, or provoked for real with sizes the kernel refuses), and
 * the eventfd's corner cases. The test links the library built with the
 * sanitizers (build/unit/libvcache-user.a); aio_internal.h gives it the
 * engine's io_setup hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aio_internal.h"
#include "kselftest_harness.h"

#define LOG_MAX 1024

/* What vaio_reap() handed out, in order. */
struct log {
	unsigned int n;
	long res[LOG_MAX];
	uintptr_t cookie[LOG_MAX];
	struct vaio_iocb *cb[LOG_MAX];
};

static void record(struct vaio *ctx, struct vaio_iocb *cb, void *cookie,
		   long res, void *arg)
{
	struct log *l = arg;

	if (l->n < LOG_MAX) {
		l->res[l->n] = res;
		l->cookie[l->n] = (uintptr_t)cookie;
		l->cb[l->n] = cb;
	}
	l->n++;
}

/* The result recorded for @cookie, or LONG_MIN if none (or several). */
static long res_of(const struct log *l, uintptr_t cookie)
{
	long res = LONG_MIN;
	unsigned int i, seen = 0;

	for (i = 0; i < l->n && i < LOG_MAX; i++) {
		if (l->cookie[i] == cookie) {
			res = l->res[i];
			seen++;
		}
	}
	return seen == 1 ? res : LONG_MIN;
}

static uint8_t pattern(uint64_t off, unsigned int seed)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return x >> 56;
}

static void fill(uint8_t *buf, size_t len, uint64_t off, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(off + i, seed);
}

static bool matches(const uint8_t *buf, size_t len, uint64_t off,
		    unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(off + i, seed))
			return false;
	return true;
}

/* An unlinked file in @dir ("/dev/shm" is tmpfs), @len bytes of pattern. */
static int scratch_file(const char *dir, size_t len, unsigned int seed)
{
	char path[256];
	uint8_t *buf = malloc(len ? len : 1);
	int fd;

	snprintf(path, sizeof(path), "%s/vaio-test-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || !buf) {
		free(buf);
		return -1;
	}
	unlink(path);
	fill(buf, len, 0, seed);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* Reap until @l holds @want completions; false after a second without. */
static bool reap_until(struct vaio *ctx, struct log *l, unsigned int want)
{
	while (l->n < want) {
		if (!readable(vaio_eventfd(ctx), 1000))
			return false;
		if (vaio_reap(ctx, record, l) < 0)
			return false;
	}
	return true;
}

FIXTURE(aio) {
	struct vaio ctx;
	struct log *log;
	const char *dir;
};

FIXTURE_VARIANT(aio) {
	unsigned int flags;
	const char *dir;
};

/* Kernel AIO reaped from the mapped ring, on tmpfs. */
FIXTURE_VARIANT_ADD(aio, ring_tmpfs) {
	.flags = 0,
	.dir = "/dev/shm",
};

/* Kernel AIO reaped with io_getevents(). */
FIXTURE_VARIANT_ADD(aio, getevents_tmpfs) {
	.flags = VAIO_NO_USER_REAP,
	.dir = "/dev/shm",
};

/* Kernel AIO on the filesystem holding /tmp (a disk here). */
FIXTURE_VARIANT_ADD(aio, ring_tmp) {
	.flags = 0,
	.dir = "/tmp",
};

/* The synchronous fallback. */
FIXTURE_VARIANT_ADD(aio, sync_tmpfs) {
	.flags = VAIO_SYNC,
	.dir = "/dev/shm",
};

FIXTURE_VARIANT_ADD(aio, sync_tmp) {
	.flags = VAIO_SYNC,
	.dir = "/tmp",
};

FIXTURE_SETUP(aio)
{
	struct stat st;

	self->dir = variant->dir;
	if (stat(self->dir, &st) || !S_ISDIR(st.st_mode))
		self->dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	ASSERT_EQ(0, vaio_init(&self->ctx, 256, variant->flags | VAIO_QUIET));
	if (!(variant->flags & VAIO_SYNC) && vaio_is_sync(&self->ctx))
		SKIP(return, "no kernel AIO: %s", vaio_reason(&self->ctx));
	ASSERT_EQ(!!(variant->flags & VAIO_SYNC), vaio_is_sync(&self->ctx));
	/* The ring is there to read on any kernel this project supports. */
	if (!variant->flags)
		ASSERT_NE(NULL, self->ctx.ring);
}

FIXTURE_TEARDOWN(aio)
{
	vaio_destroy(&self->ctx);
	free(self->log);
}

/* 16 pwrites of 4 KiB, an fsync, 16 preads: every byte where it belongs. */
TEST_F(aio, pwrite_pread_exact)
{
	enum { N = 16, SZ = 4096 };
	struct vaio_iocb cbs[N + 1], *ptrs[N + 1];
	uint8_t *wr = malloc(N * SZ), *rd = calloc(N, SZ), *back = calloc(N, SZ);
	int fd = scratch_file(self->dir, 0, 0);
	int i;

	ASSERT_LE(0, fd);
	fill(wr, N * SZ, 0, 7);
	for (i = 0; i < N; i++) {
		vaio_prep_pwrite(&cbs[i], fd, wr + i * SZ, SZ, i * SZ,
				 (void *)(uintptr_t)(100 + i));
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(N, vaio_submit(&self->ctx, ptrs, N));
	ASSERT_EQ(N, vaio_in_flight(&self->ctx));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, N));
	for (i = 0; i < N; i++)
		EXPECT_EQ(SZ, res_of(self->log, 100 + i));
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));

	vaio_prep_fsync(&cbs[N], fd, false, (void *)200);
	ptrs[0] = &cbs[N];
	ASSERT_EQ(1, vaio_submit(&self->ctx, ptrs, 1));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, N + 1));
	EXPECT_EQ(0, res_of(self->log, 200));

	/* Read back in reverse order, into separate places. */
	for (i = 0; i < N; i++) {
		vaio_prep_pread(&cbs[i], fd, rd + (N - 1 - i) * SZ, SZ, i * SZ,
				(void *)(uintptr_t)(300 + i));
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(N, vaio_submit(&self->ctx, ptrs, N));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 2 * N + 1));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(SZ, res_of(self->log, 300 + i));
		EXPECT_TRUE(matches(rd + (N - 1 - i) * SZ, SZ, i * SZ, 7));
	}
	/* And the file itself, through plain pread(2). */
	ASSERT_EQ(N * SZ, pread(fd, back, N * SZ, 0));
	EXPECT_EQ(0, memcmp(wr, back, N * SZ));
	close(fd);
	free(wr);
	free(rd);
	free(back);
}

/* Vectors of odd sizes, written and read at an odd offset. */
TEST_F(aio, pwritev_preadv_exact)
{
	uint8_t src[5101], a[2000], b[3000], c[101], dst[5101];
	struct iovec wv[3] = {
		{ src, 100 }, { src + 100, 5000 }, { src + 5100, 1 },
	};
	struct iovec rv[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct vaio_iocb cb, *p = &cb;
	int fd = scratch_file(self->dir, 0, 0);

	ASSERT_LE(0, fd);
	fill(src, sizeof(src), 777, 3);
	vaio_prep_pwritev(&cb, fd, wv, 3, 777, (void *)1);
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	/* The iovec array is read at submission: scribbling on it is safe. */
	memset(wv, 0, sizeof(wv));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 1));
	EXPECT_EQ(sizeof(src), res_of(self->log, 1));
	EXPECT_EQ(&cb, self->log->cb[0]);

	vaio_prep_preadv(&cb, fd, rv, 3, 777, (void *)2);
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 2));
	EXPECT_EQ(sizeof(dst), res_of(self->log, 2));
	memcpy(dst, a, sizeof(a));
	memcpy(dst + sizeof(a), b, sizeof(b));
	memcpy(dst + sizeof(a) + sizeof(b), c, sizeof(c));
	EXPECT_EQ(0, memcmp(src, dst, sizeof(src)));
	/* The hole before offset 777 reads as zeros. */
	ASSERT_EQ(777, pread(fd, dst, 777, 0));
	EXPECT_EQ(0, dst[0]);
	EXPECT_EQ(0, dst[776]);
	close(fd);
}

/* 256 reads in flight, reaped through epoll; the 257th waits for room. */
TEST_F(aio, many_in_flight_epoll)
{
	enum { N = 256, SZ = 4096, FILE_SZ = 1 << 20 };
	struct vaio_iocb *cbs = calloc(N + 44, sizeof(*cbs));
	struct vaio_iocb **ptrs = calloc(N + 44, sizeof(*ptrs));
	uint8_t *bufs = malloc((size_t)(N + 44) * SZ);
	int fd = scratch_file(self->dir, FILE_SZ, 11);
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	unsigned int i, rounds = 0;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, vaio_eventfd(&self->ctx), &ev));
	for (i = 0; i < N + 44; i++) {
		/* Scattered, overlapping, unaligned offsets. */
		off_t off = (i * 7919ULL * 13) % (FILE_SZ - SZ);

		vaio_prep_pread(&cbs[i], fd, bufs + (size_t)i * SZ, SZ, off,
				(void *)(uintptr_t)i);
		ptrs[i] = &cbs[i];
	}
	/* More than max_events: the engine takes what fits. */
	ASSERT_EQ(N, vaio_submit(&self->ctx, ptrs, N + 44));
	EXPECT_EQ(-EAGAIN, vaio_submit(&self->ctx, ptrs + N, 44));
	while (self->log->n < N + 44) {
		int n = epoll_wait(ep, out, 4, 1000);

		ASSERT_LT(0, n);
		ASSERT_LE(0, vaio_reap(&self->ctx, record, self->log));
		if (self->log->n >= N && vaio_in_flight(&self->ctx) == 0 &&
		    self->log->n < N + 44)
			ASSERT_EQ(44, vaio_submit(&self->ctx, ptrs + N, 44));
		ASSERT_GT(1000, ++rounds);
	}
	EXPECT_EQ(N + 44, self->log->n);
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));
	for (i = 0; i < N + 44; i++) {
		off_t off = (i * 7919ULL * 13) % (FILE_SZ - SZ);

		EXPECT_EQ(SZ, res_of(self->log, i));
		EXPECT_TRUE(matches(bufs + (size_t)i * SZ, SZ, off, 11));
	}
	/* All reaped: the loop must not wake again. */
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	close(ep);
	close(fd);
	free(cbs);
	free(ptrs);
	free(bufs);
}

/*
 * Truly asynchronous requests, many at once: POLLs on 64 pipes, completed
 * in an order of our choosing, reaped through epoll; a few cancelled.
 */
TEST_F(aio, many_polls_in_flight)
{
	enum { N = 64 };
	struct vaio_iocb cbs[N], *ptrs[N];
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	int pipes[N][2], ep = epoll_create1(EPOLL_CLOEXEC), i, rounds = 0;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, vaio_eventfd(&self->ctx), &ev));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, pipe2(pipes[i], O_CLOEXEC | O_NONBLOCK));
		vaio_prep_poll(&cbs[i], pipes[i][0], POLLIN, (void *)(uintptr_t)i);
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(N, vaio_submit(&self->ctx, ptrs, N));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 20));
	EXPECT_EQ(N, vaio_in_flight(&self->ctx));

	/* Odd pipes first, backwards; then cancel four even ones. */
	for (i = N - 1; i > 0; i -= 2)
		ASSERT_EQ(1, write(pipes[i][1], "x", 1));
	while (self->log->n < N / 2) {
		ASSERT_LT(0, epoll_wait(ep, out, 4, 1000));
		ASSERT_LE(0, vaio_reap(&self->ctx, record, self->log));
		ASSERT_GT(100, ++rounds);
	}
	EXPECT_EQ(N / 2, self->log->n);
	for (i = 0; i < 8; i += 2)
		EXPECT_EQ(0, vaio_cancel(&self->ctx, &cbs[i]));
	for (i = 8; i < N; i += 2)
		ASSERT_EQ(1, write(pipes[i][1], "x", 1));
	while (self->log->n < N) {
		ASSERT_LT(0, epoll_wait(ep, out, 4, 1000));
		ASSERT_LE(0, vaio_reap(&self->ctx, record, self->log));
		ASSERT_GT(200, ++rounds);
	}
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));
	for (i = 0; i < N; i++) {
		long res = res_of(self->log, i);

		/* The harness's EXPECTs are if-statements: braces needed. */
		if (i % 2 == 0 && i < 8) {
			EXPECT_EQ(0, res);
		} else {
			EXPECT_EQ(POLLIN, res & ~POLLRDNORM);
		}
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	close(ep);
}

/* A reap that stops early leaves the descriptor readable for the rest. */
TEST_F(aio, reap_max_rearms)
{
	enum { N = 10 };
	struct vaio_iocb cbs[N], *ptrs[N];
	uint8_t buf[N][64];
	int fd = scratch_file(self->dir, 4096, 5);
	int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		vaio_prep_pread(&cbs[i], fd, buf[i], 64, i * 64, (void *)(uintptr_t)i);
		ptrs[i] = &cbs[i];
	}
	/* Buffered reads of cached data complete inside io_submit(). */
	ASSERT_EQ(N, vaio_submit(&self->ctx, ptrs, N));
	ASSERT_TRUE(readable(vaio_eventfd(&self->ctx), 1000));
	ASSERT_EQ(3, vaio_reap_max(&self->ctx, 3, record, self->log));
	ASSERT_TRUE(readable(vaio_eventfd(&self->ctx), 0));
	ASSERT_EQ(4, vaio_reap_max(&self->ctx, 4, record, self->log));
	ASSERT_TRUE(readable(vaio_eventfd(&self->ctx), 0));
	ASSERT_EQ(3, vaio_reap(&self->ctx, record, self->log));
	EXPECT_EQ(N, self->log->n);
	/* Drained: no wakeup left behind, and a spurious reap returns 0. */
	EXPECT_FALSE(readable(vaio_eventfd(&self->ctx), 0));
	EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(64, res_of(self->log, i));
		EXPECT_TRUE(matches(buf[i], 64, i * 64, 5));
	}
	close(fd);
}

struct chain {
	struct log log;
	int left;
	int fd;
	uint8_t buf[16];
};

static void resubmit(struct vaio *ctx, struct vaio_iocb *cb, void *cookie,
		     long res, void *arg)
{
	struct chain *c = arg;

	record(ctx, cb, cookie, res, &c->log);
	if (--c->left > 0) {
		vaio_prep_pread(cb, c->fd, c->buf, sizeof(c->buf), c->left, cookie);
		vaio_submit(ctx, &cb, 1);
	}
}

/* A callback that always resubmits must not keep vaio_reap() looping. */
TEST_F(aio, resubmit_from_callback)
{
	struct chain *c = calloc(1, sizeof(*c));
	struct vaio_iocb cb, *p = &cb;
	int calls = 0;

	ASSERT_NE(NULL, c);
	c->fd = scratch_file(self->dir, 4096, 1);
	ASSERT_LE(0, c->fd);
	c->left = 50;
	vaio_prep_pread(&cb, c->fd, c->buf, sizeof(c->buf), 0, (void *)9);
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	while (c->left > 0) {
		ASSERT_TRUE(readable(vaio_eventfd(&self->ctx), 1000));
		/* One in flight when it starts: at most one per call. */
		ASSERT_GE(1, vaio_reap(&self->ctx, resubmit, c));
		ASSERT_GT(200, ++calls);
	}
	EXPECT_EQ(50, c->log.n);
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));
	close(c->fd);
	free(c);
}

/* POLL waits for real; a waiting POLL is cancellable, a done read is not. */
TEST_F(aio, poll_and_cancel)
{
	struct vaio_iocb pa, pb, pc, rd, *p;
	int fd = scratch_file(self->dir, 100, 2);
	int pipefd[2];
	uint8_t buf[100];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));

	/* Two POLLs on one descriptor (the fallback must cope), nothing ready. */
	vaio_prep_poll(&pa, pipefd[0], POLLIN, (void *)1);
	vaio_prep_poll(&pb, pipefd[0], POLLIN, (void *)2);
	p = &pa;
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	p = &pb;
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	EXPECT_FALSE(readable(vaio_eventfd(&self->ctx), 50));
	EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
	EXPECT_EQ(2, vaio_in_flight(&self->ctx));

	/*
	 * The kernel completes a waiting POLL with its waker's mask (for a
	 * pipe POLLIN | POLLRDNORM), or with the asked-for events when the
	 * completion had to be deferred to a worker.
	 */
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 2));
	EXPECT_EQ(POLLIN, res_of(self->log, 1) & ~POLLRDNORM);
	EXPECT_EQ(POLLIN, res_of(self->log, 2) & ~POLLRDNORM);
	TH_LOG("waited POLLIN completed with %#lx", res_of(self->log, 1));

	/* Drain the pipe; a new POLL waits; cancelling it completes it empty. */
	ASSERT_EQ(1, read(pipefd[0], buf, 1));
	vaio_prep_poll(&pc, pipefd[0], POLLIN, (void *)3);
	p = &pc;
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
	EXPECT_EQ(0, vaio_cancel(&self->ctx, &pc));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 3));
	EXPECT_EQ(0, res_of(self->log, 3));
	/* Gone now: a second cancel finds nothing. */
	EXPECT_EQ(-EINVAL, vaio_cancel(&self->ctx, &pc));

	/* POLL of an already-ready descriptor completes at once. */
	ASSERT_EQ(1, write(pipefd[1], "y", 1));
	vaio_prep_poll(&pc, pipefd[0], POLLIN | POLLOUT, (void *)4);
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 4));
	EXPECT_EQ(POLLIN, res_of(self->log, 4));

	/* A hangup is reported though nobody asked for it. */
	ASSERT_EQ(1, read(pipefd[0], buf, 1));
	vaio_prep_poll(&pc, pipefd[0], POLLIN, (void *)5);
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	close(pipefd[1]);
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 5));
	EXPECT_EQ(POLLHUP, res_of(self->log, 5));

	/* Reads of regular files cannot be cancelled, done or not. */
	vaio_prep_pread(&rd, fd, buf, sizeof(buf), 0, (void *)6);
	p = &rd;
	ASSERT_EQ(1, vaio_submit(&self->ctx, &p, 1));
	EXPECT_EQ(-EINVAL, vaio_cancel(&self->ctx, &rd));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 6));
	EXPECT_EQ(100, res_of(self->log, 6));
	EXPECT_EQ(-EINVAL, vaio_cancel(&self->ctx, &rd));
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));
	close(pipefd[0]);
	close(fd);
}

/* Errors at submission, errors as completions, partial batches. */
TEST_F(aio, submit_errors)
{
	struct vaio_iocb cbs[3], *ptrs[3] = { &cbs[0], &cbs[1], &cbs[2] };
	int fd = scratch_file(self->dir, 100, 4);
	int wronly, closed;
	uint8_t buf[3][200];

	ASSERT_LE(0, fd);
	closed = dup(fd);
	ASSERT_LE(0, closed);
	close(closed);

	/* [good, bad descriptor, good]: one goes, then the bad one's error. */
	vaio_prep_pread(&cbs[0], fd, buf[0], 10, 0, (void *)1);
	vaio_prep_pread(&cbs[1], closed, buf[1], 10, 0, (void *)2);
	vaio_prep_pread(&cbs[2], fd, buf[2], 10, 0, (void *)3);
	EXPECT_EQ(1, vaio_submit(&self->ctx, ptrs, 3));
	EXPECT_EQ(-EBADF, vaio_submit(&self->ctx, ptrs + 1, 2));
	EXPECT_EQ(1, vaio_in_flight(&self->ctx));
	EXPECT_EQ(1, vaio_submit(&self->ctx, ptrs + 2, 1));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 2));
	EXPECT_EQ(10, res_of(self->log, 1));
	EXPECT_EQ(10, res_of(self->log, 3));

	/* Reading a write-only descriptor, writing a read-only one. */
	wronly = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wronly);
	vaio_prep_pread(&cbs[0], wronly, buf[0], 10, 0, NULL);
	EXPECT_EQ(-EBADF, vaio_submit(&self->ctx, ptrs, 1));
	close(wronly);

	/* A negative offset, an unknown opcode, reserved bits. */
	vaio_prep_pread(&cbs[0], fd, buf[0], 10, -1, NULL);
	EXPECT_EQ(-EINVAL, vaio_submit(&self->ctx, ptrs, 1));
	vaio_prep_pread(&cbs[0], fd, buf[0], 10, 0, NULL);
	cbs[0].aio_lio_opcode = 99;
	EXPECT_EQ(-EINVAL, vaio_submit(&self->ctx, ptrs, 1));
	vaio_prep_pread(&cbs[0], fd, buf[0], 10, 0, NULL);
	cbs[0].aio_reserved2 = 1;
	EXPECT_EQ(-EINVAL, vaio_submit(&self->ctx, ptrs, 1));
	vaio_prep_fsync(&cbs[0], fd, true, NULL);
	cbs[0].aio_offset = 5;
	EXPECT_EQ(-EINVAL, vaio_submit(&self->ctx, ptrs, 1));
	EXPECT_EQ(0, vaio_in_flight(&self->ctx));

	/* Completions: past the end reads 0 bytes, a bad buffer faults. */
	vaio_prep_pread(&cbs[0], fd, buf[0], 10, 5000, (void *)4);
	vaio_prep_pread(&cbs[1], fd, (void *)8, 10, 0, (void *)5);
	vaio_prep_pread(&cbs[2], fd, buf[2], 200, 50, (void *)6);
	EXPECT_EQ(3, vaio_submit(&self->ctx, ptrs, 3));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 5));
	EXPECT_EQ(0, res_of(self->log, 4));
	EXPECT_EQ(-EFAULT, res_of(self->log, 5));
	EXPECT_EQ(50, res_of(self->log, 6));
	EXPECT_TRUE(matches(buf[2], 50, 50, 4));
	EXPECT_EQ(0, vaio_submit(&self->ctx, ptrs, 0));
	close(fd);
}

/*
 * A counter at its ceiling: the engine's own doorbell writes fail with
 * EAGAIN, the kernel's saturate, and the reap still counts by the ring.
 */
TEST_F(aio, eventfd_saturated)
{
	struct vaio_iocb cbs[5], *ptrs[5];
	uint64_t top = 0xfffffffffffffffeULL;
	int fd = scratch_file(self->dir, 4096, 8);
	uint8_t buf[5][32];
	int i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(8, write(self->ctx.efd, &top, sizeof(top)));
	for (i = 0; i < 5; i++) {
		vaio_prep_pread(&cbs[i], fd, buf[i], 32, i * 32, (void *)(uintptr_t)i);
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(5, vaio_submit(&self->ctx, ptrs, 5));
	ASSERT_TRUE(reap_until(&self->ctx, self->log, 5));
	EXPECT_EQ(5, self->log->n);
	EXPECT_EQ(0, self->ctx.signal_failures);
	EXPECT_FALSE(readable(vaio_eventfd(&self->ctx), 0));
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(matches(buf[i], 32, i * 32, 8));
	close(fd);
}

/* A doorbell rung with nothing behind it: the reap clears it, finds none. */
TEST_F(aio, spurious_doorbell)
{
	uint64_t one = 1;

	EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
	ASSERT_EQ(8, write(self->ctx.efd, &one, sizeof(one)));
	EXPECT_TRUE(readable(vaio_eventfd(&self->ctx), 0));
	EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
	EXPECT_FALSE(readable(vaio_eventfd(&self->ctx), 0));
	EXPECT_EQ(0, self->log->n);
}

/*
 * vaio_reap_ring(): completions of reads done inside io_submit() come out of
 * the ring with the doorbell left alone; only engines with a ring have it.
 */
TEST_F(aio, reap_ring)
{
	struct vaio_iocb cbs[4], *ptrs[4];
	int fd = scratch_file(self->dir, 4096, 9);
	uint8_t buf[4][64];
	int i, n;

	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		vaio_prep_pread(&cbs[i], fd, buf[i], 64, i * 100, (void *)(uintptr_t)(i + 1));
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(4, vaio_submit(&self->ctx, ptrs, 4));
	n = vaio_reap_ring(&self->ctx, record, self->log);
	if (!self->ctx.ring) {
		EXPECT_EQ(-EOPNOTSUPP, n);
		ASSERT_TRUE(reap_until(&self->ctx, self->log, 4));
	} else {
		/* tmpfs and disk-file buffered reads complete inside io_submit(). */
		EXPECT_EQ(4, n);
		EXPECT_EQ(0, vaio_in_flight(&self->ctx));
		EXPECT_TRUE(readable(vaio_eventfd(&self->ctx), 0));
		/* The doorbell, read now, has nothing behind it. */
		EXPECT_EQ(0, vaio_reap(&self->ctx, record, self->log));
		EXPECT_FALSE(readable(vaio_eventfd(&self->ctx), 0));
	}
	EXPECT_EQ(4, self->log->n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(64, res_of(self->log, i + 1));
		EXPECT_TRUE(matches(buf[i], 64, i * 100, 9));
	}
	close(fd);
}

/* The eventfd is non-blocking (the reap must never block) and CLOEXEC. */
TEST(eventfd_flags)
{
	struct vaio ctx;

	ASSERT_EQ(0, vaio_init(&ctx, 4, VAIO_QUIET));
	EXPECT_TRUE(fcntl(ctx.efd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(ctx.efd, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(vaio_eventfd(&ctx), F_GETFD) & FD_CLOEXEC);
	vaio_destroy(&ctx);
	ASSERT_EQ(0, vaio_init(&ctx, 4, VAIO_SYNC));
	EXPECT_TRUE(fcntl(ctx.efd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(vaio_eventfd(&ctx), F_GETFD) & FD_CLOEXEC);
	vaio_destroy(&ctx);
}

/*
 * The fallback's doorbell write fails for real (its descriptor was replaced
 * by a read-only one): counted, and the completions are reaped anyway.
 */
TEST(sync_doorbell_write_fails)
{
	struct vaio_iocb cbs[3], *ptrs[3];
	struct log *l = calloc(1, sizeof(*l));
	int fd = scratch_file("/dev/shm", 64, 6), null;
	struct vaio ctx;
	uint8_t buf[3][8];
	int i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vaio_init(&ctx, 8, VAIO_SYNC));
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null);
	ASSERT_EQ(ctx.efd, dup2(null, ctx.efd));
	close(null);
	for (i = 0; i < 3; i++) {
		vaio_prep_pread(&cbs[i], fd, buf[i], 8, i * 8, (void *)(uintptr_t)i);
		ptrs[i] = &cbs[i];
	}
	ASSERT_EQ(3, vaio_submit(&ctx, ptrs, 3));
	EXPECT_EQ(1, ctx.signal_failures);
	EXPECT_EQ(3, vaio_reap(&ctx, record, l));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(8, res_of(l, i));
	vaio_destroy(&ctx);
	free(l);
	close(fd);
}

TEST(init_bad_arguments)
{
	struct vaio ctx;

	EXPECT_EQ(-EINVAL, vaio_init(&ctx, 0, 0));
	EXPECT_NE(NULL, vaio_reason(&ctx));
	EXPECT_EQ(-EINVAL, vaio_init(&ctx, 8, 1U << 30));
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), "flags"));
	/* A failed init leaves nothing to destroy, but destroy is harmless. */
	vaio_destroy(&ctx);
}

static int fake_errno;

static long fake_io_setup(unsigned int nr, aio_context_t *id)
{
	errno = fake_errno;
	return -1;
}

/* Runs vaio_init() with stderr captured; returns what it printed. */
static char *init_capturing(struct vaio *ctx, unsigned int nr,
			    unsigned int flags, int *ret)
{
	static char text[1024];
	int saved = dup(2), tmp = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
	ssize_t n;

	if (tmp < 0)
		tmp = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	fflush(stderr);
	dup2(tmp, 2);
	*ret = vaio_init(ctx, nr, flags);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(tmp, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(tmp);
	return text;
}

/* No AIO in the kernel: fall back, say so once, or fail if asked to. */
TEST(setup_enosys)
{
	struct vaio a, b;
	int ret;
	char *said;

	vaio_io_setup = fake_io_setup;
	fake_errno = ENOSYS;
	said = init_capturing(&a, 16, 0, &ret);
	ASSERT_EQ(0, ret);
	EXPECT_TRUE(vaio_is_sync(&a));
	EXPECT_EQ(ENOSYS, a.setup_err);
	EXPECT_NE(NULL, strstr(vaio_reason(&a), "ENOSYS"));
	EXPECT_NE(NULL, strstr(vaio_reason(&a), "synchronous"));
	EXPECT_NE(NULL, strstr(said, "ENOSYS"));
	/* Once per process, not once per engine. */
	said = init_capturing(&b, 16, 0, &ret);
	ASSERT_EQ(0, ret);
	EXPECT_STREQ("", said);
	vaio_destroy(&b);
	vaio_destroy(&a);

	said = init_capturing(&a, 16, VAIO_NO_FALLBACK, &ret);
	EXPECT_EQ(-ENOSYS, ret);
	EXPECT_NE(NULL, strstr(vaio_reason(&a), "CONFIG_AIO"));
	EXPECT_EQ(NULL, strstr(vaio_reason(&a), "falling back"));
	EXPECT_EQ(-1, a.efd);
	vaio_destroy(&a);
	/* seccomp filters answer EPERM as often as ENOSYS. */
	fake_errno = EPERM;
	EXPECT_EQ(-EPERM, vaio_init(&a, 16, VAIO_NO_FALLBACK));
	EXPECT_NE(NULL, strstr(vaio_reason(&a), "seccomp"));
}

/* aio-max-nr used up: the message carries both sysctls. */
TEST(setup_eagain_message)
{
	char max[32], want[64];
	struct vaio ctx;

	vaio_io_setup = fake_io_setup;
	fake_errno = EAGAIN;
	EXPECT_EQ(-EAGAIN, vaio_init(&ctx, 16, VAIO_NO_FALLBACK));
	read_sysctl("/proc/sys/fs/aio-max-nr", max, sizeof(max));
	snprintf(want, sizeof(want), "fs.aio-max-nr %s", max);
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), want));
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), "fs.aio-nr "));
	TH_LOG("%s", vaio_reason(&ctx));
	/* Falling back works the same with any reason. */
	ASSERT_EQ(0, vaio_init(&ctx, 16, VAIO_QUIET));
	EXPECT_TRUE(vaio_is_sync(&ctx));
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), "falling back"));
	vaio_destroy(&ctx);
}

/* The kernel's own refusals, provoked: too many events for one context. */
TEST(setup_real_einval)
{
	struct vaio ctx;
	int ret = vaio_init(&ctx, 1U << 24, VAIO_NO_FALLBACK);

	if (ret == -ENOSYS)
		SKIP(return, "no kernel AIO");
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), "EINVAL"));
	TH_LOG("%s", vaio_reason(&ctx));
	/* The fallback needs no memory for a size it never reaches. */
	ASSERT_EQ(0, vaio_init(&ctx, 1U << 24, VAIO_QUIET));
	EXPECT_TRUE(vaio_is_sync(&ctx));
	EXPECT_EQ(EINVAL, ctx.setup_err);
	vaio_destroy(&ctx);
}

/* ... and more events than fs.aio-max-nr allows at all. */
TEST(setup_real_eagain)
{
	char max[32];
	unsigned long lim;
	struct vaio ctx;
	int ret;

	read_sysctl("/proc/sys/fs/aio-max-nr", max, sizeof(max));
	lim = strtoul(max, NULL, 10);
	if (!lim || lim >= (1UL << 22))
		SKIP(return, "fs.aio-max-nr is %s", max);
	ret = vaio_init(&ctx, lim + 1, VAIO_NO_FALLBACK);
	if (ret == -ENOSYS)
		SKIP(return, "no kernel AIO");
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_NE(NULL, strstr(vaio_reason(&ctx), max));
	TH_LOG("%s", vaio_reason(&ctx));
}

/* One workload of every operation, and what came of it. */
struct outcome {
	int step[8];
	struct log log;
	uint8_t file[3000];
	uint8_t r1[700], r2[500], r3[1000], r4[10];
};

static void workload(struct vaio *ctx, const char *dir, struct outcome *o)
{
	static uint8_t src[3000];
	struct iovec wv[2] = { { src + 1000, 1200 }, { src + 2200, 800 } };
	struct iovec rv[2] = { { o->r2, sizeof(o->r2) }, { o->r3, sizeof(o->r3) } };
	struct vaio_iocb cb[16], *p[16], *q;
	int fd = scratch_file(dir, 0, 0), pipefd[2], s = 0, i;

	for (i = 0; i < 16; i++)
		p[i] = &cb[i];
	if (fd < 0 || pipe2(pipefd, O_CLOEXEC))
		return;
	fill(src, sizeof(src), 0, 21);
	vaio_prep_pwrite(&cb[0], fd, src, 1000, 0, (void *)1);
	vaio_prep_pwritev(&cb[1], fd, wv, 2, 1000, (void *)2);
	o->step[s++] = vaio_submit(ctx, p, 2);
	reap_until(ctx, &o->log, 2);
	vaio_prep_fsync(&cb[2], fd, false, (void *)3);
	vaio_prep_fsync(&cb[3], fd, true, (void *)4);
	vaio_prep_pread(&cb[4], fd, o->r1, sizeof(o->r1), 2500, (void *)5); /* short */
	vaio_prep_preadv(&cb[5], fd, rv, 2, 100, (void *)6);
	vaio_prep_pread(&cb[6], fd, o->r4, 10, 9000, (void *)7);	/* EOF */
	vaio_prep_pread(&cb[7], fd, (void *)8, 10, 0, (void *)8);	/* EFAULT */
	vaio_prep_pread(&cb[8], fd, o->r4, 10, 0, (void *)9);
	vaio_set_rw_flags(&cb[8], RWF_NOWAIT);
	vaio_prep_poll(&cb[9], pipefd[1], POLLOUT, (void *)10);	/* ready */
	vaio_prep_poll(&cb[10], pipefd[0], POLLIN, (void *)11);	/* waits */
	q = p[8];
	p[8] = p[10];
	o->step[s++] = vaio_submit(ctx, p + 2, 8);
	/* tmpfs takes RWF_NOWAIT on some kernels, refuses it on others. */
	o->step[s++] = vaio_submit(ctx, &q, 1);
	o->step[s++] = vaio_cancel(ctx, &cb[10]);
	reap_until(ctx, &o->log, 10 + (o->step[2] == 1));
	o->step[s++] = vaio_cancel(ctx, &cb[4]);
	/* Refused at submission: the read end written, unknown RWF flags. */
	vaio_prep_pwrite(&cb[11], pipefd[0], src, 1, 0, (void *)12);
	o->step[s++] = vaio_submit(ctx, p + 11, 1);
	vaio_prep_pread(&cb[12], fd, o->r4, 1, 0, (void *)13);
	vaio_set_rw_flags(&cb[12], 0x7fff0000);
	o->step[s++] = vaio_submit(ctx, p + 12, 1);
	o->step[s++] = vaio_in_flight(ctx);
	pread(fd, o->file, sizeof(o->file), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

/* The fallback gives what kernel AIO gives, result for result, byte for byte. */
TEST(fallback_identical)
{
	struct outcome *k = calloc(1, sizeof(*k)), *s = calloc(1, sizeof(*s));
	struct vaio kctx, sctx;
	uintptr_t c;

	ASSERT_EQ(0, vaio_init(&kctx, 32, VAIO_QUIET));
	if (vaio_is_sync(&kctx))
		SKIP(return, "no kernel AIO: %s", vaio_reason(&kctx));
	ASSERT_EQ(0, vaio_init(&sctx, 32, VAIO_SYNC));
	workload(&kctx, "/dev/shm", k);
	workload(&sctx, "/dev/shm", s);
	EXPECT_EQ(10 + (k->step[2] == 1), k->log.n);
	TH_LOG("RWF_NOWAIT on tmpfs: %d", k->step[2]);
	EXPECT_EQ(k->log.n, s->log.n);
	for (c = 1; c <= 13; c++) {
		EXPECT_EQ(res_of(&k->log, c), res_of(&s->log, c)) {
			TH_LOG("cookie %lu: kernel %ld, fallback %ld", (unsigned long)c,
			       res_of(&k->log, c), res_of(&s->log, c));
		}
	}
	/* Completion order may differ between engines: compared by cookie. */
	for (c = 0; c < 8; c++) {
		EXPECT_EQ(k->step[c], s->step[c]) {
			TH_LOG("step %lu: kernel %d, fallback %d", (unsigned long)c,
			       k->step[c], s->step[c]);
		}
	}
	EXPECT_EQ(0, memcmp(k->file, s->file, sizeof(k->file)));
	EXPECT_EQ(0, memcmp(k->r1, s->r1, sizeof(k->r1)));
	EXPECT_EQ(0, memcmp(k->r2, s->r2, sizeof(k->r2)));
	EXPECT_EQ(0, memcmp(k->r3, s->r3, sizeof(k->r3)));
	EXPECT_EQ(0, memcmp(k->r4, s->r4, sizeof(k->r4)));
	/* And they are the right bytes. */
	EXPECT_TRUE(matches(k->file, sizeof(k->file), 0, 21));
	EXPECT_TRUE(matches(k->r2, sizeof(k->r2), 100, 21));
	EXPECT_TRUE(matches(k->r3, sizeof(k->r3), 600, 21));
	vaio_destroy(&kctx);
	vaio_destroy(&sctx);
	free(k);
	free(s);
}

TEST_HARNESS_MAIN
