// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel AIO on /dev/vcache: io_submit reads and writes, eventfd
 * completions, reads queued until a writer brings data, io_cancel, poll.
 */
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "aio_util.h"
#include "vcache_util.h"
#include "kselftest_harness.h"

static void prep(struct iocb *cb, int fd, int op, void *buf, size_t len,
		 long long off, int efd)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = op;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
	cb->aio_data = (uintptr_t)cb;
	if (efd >= 0) {
		cb->aio_flags = IOCB_FLAG_RESFD;
		cb->aio_resfd = efd;
	}
}

/* Reaps exactly @n events, waiting up to 10 s. */
static int reap(aio_context_t ctx, struct io_event *ev, int n)
{
	struct timespec ts = { 10, 0 };
	int got = 0;

	while (got < n) {
		int r = io_getevents(ctx, 1, n - got, ev + got, &ts);

		if (r <= 0)
			return got;
		got += r;
	}
	return got;
}

static int pending(aio_context_t ctx)
{
	struct timespec zero = { 0, 0 };
	struct io_event ev;

	return io_getevents(ctx, 0, 1, &ev, &zero);
}

/*
 * Opens @name until it is gone, for up to 5 s; returns the last result.
 * A read completed by the device's work item drops its kiocb's file
 * reference in that kworker, after the event is posted, and a kworker's
 * fput() is deferred (delayed_fput): the reader can reap the event and
 * close its descriptor before the release that ends the video has run.
 */
static int gone_after_last_fput(const char *name)
{
	int i, fd, r = 0;

	for (i = 0; i < 100; i++) {
		fd = open(VCACHE_DEV, O_RDONLY);
		if (fd < 0)
			return -errno;
		r = vc_open_name(fd, name);
		close(fd);
		if (r == -ENOENT)
			break;
		usleep(50000);
	}
	return r;
}

FIXTURE(aio)
{
	aio_context_t ctx;
	char name[VCACHE_NAME_MAX];
	int wfd;	/* the loader */
	int ffd;	/* a FOLLOW reader */
	int efd;
};

FIXTURE_SETUP(aio)
{
	struct vcache_open o;

	self->ctx = 0;
	ASSERT_EQ(0, io_setup(1024, &self->ctx));
	strcpy(self->name, vc_name(_metadata->name));
	self->wfd = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(self->wfd, 0);
	ASSERT_EQ(0, vc_create(self->wfd, self->name, 4 << 20));
	self->ffd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_GE(self->ffd, 0);
	memset(&o, 0, sizeof(o));
	strcpy(o.name, self->name);
	o.flags = VCACHE_OPEN_FOLLOW;
	ASSERT_EQ(0, vc_ioctl(self->ffd, VCACHE_IOC_OPEN, &o));
	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(self->efd, 0);
}

FIXTURE_TEARDOWN(aio)
{
	io_destroy(self->ctx);
	close(self->ffd);
	close(self->wfd);
	close(self->efd);
}

TEST_F(aio, pread_pwrite_vectored_with_eventfd)
{
	static uint8_t a[5000], b[3000], head[100], r1[8000], ra[1000], rb[7000];
	struct iovec wv[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec rv[2] = { { ra, sizeof(ra) }, { rb, sizeof(rb) } };
	struct iocb cb[4], *cbs[4] = { &cb[0], &cb[1], &cb[2], &cb[3] };
	struct io_event ev[4];
	uint64_t count = 0;
	int i;

	vc_fill(a, sizeof(a), 3, 100);
	vc_fill(b, sizeof(b), 3, 5100);
	prep(&cb[0], self->wfd, IOCB_CMD_PWRITEV, wv, 2, 100, self->efd);
	vc_fill(head, sizeof(head), 3, 0);
	prep(&cb[1], self->wfd, IOCB_CMD_PWRITE, head, sizeof(head), 0, self->efd);
	ASSERT_EQ(2, io_submit(self->ctx, 2, cbs));
	ASSERT_EQ(2, reap(self->ctx, ev, 2));
	for (i = 0; i < 2; i++) {
		struct iocb *c = (struct iocb *)(uintptr_t)ev[i].data;

		EXPECT_EQ(c == &cb[0] ? 8000 : 100, ev[i].res);
	}
	ASSERT_EQ(sizeof(count), read(self->efd, &count, sizeof(count)));
	EXPECT_EQ(2, count);
	EXPECT_EQ(8100, vc_info(self->wfd).size);

	prep(&cb[2], self->wfd, IOCB_CMD_PREAD, r1, sizeof(r1), 100, self->efd);
	prep(&cb[3], self->wfd, IOCB_CMD_PREADV, rv, 2, 100, self->efd);
	ASSERT_EQ(2, io_submit(self->ctx, 2, &cbs[2]));
	ASSERT_EQ(2, reap(self->ctx, ev, 2));
	EXPECT_EQ(8000, ev[0].res);
	EXPECT_EQ(8000, ev[1].res);
	EXPECT_EQ(-1, vc_verify(r1, sizeof(r1), 3, 100));
	EXPECT_EQ(-1, vc_verify(ra, sizeof(ra), 3, 100));
	ASSERT_EQ(100, pread(self->wfd, r1, 100, 0));
	EXPECT_EQ(-1, vc_verify(r1, 100, 3, 0));
	EXPECT_EQ(-1, vc_verify(rb, sizeof(rb), 3, 1100));
	/* Past the end of a non-FOLLOW descriptor: 0 at once. */
	prep(&cb[2], self->wfd, IOCB_CMD_PREAD, r1, 10, 8100, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, &cbs[2]));
	ASSERT_EQ(1, reap(self->ctx, ev, 1));
	EXPECT_EQ(0, ev[0].res);
}

TEST_F(aio, queued_read_completed_by_later_write)
{
	static uint8_t buf[4096], data[6000];
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	uint64_t count;

	vc_fill(data, sizeof(data), 8, 0);
	ASSERT_EQ(1000, pwrite(self->wfd, data, 1000, 0));
	/* Wants bytes [1000, 5096): not there yet, so it waits. */
	prep(&cb, self->ffd, IOCB_CMD_PREAD, buf, sizeof(buf), 1000, self->efd);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	usleep(100000);
	EXPECT_EQ(0, pending(self->ctx));
	pfd.fd = self->efd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(1, vc_stats().aio_queued >= 1);

	ASSERT_EQ(5000, pwrite(self->wfd, data + 1000, 5000, 1000));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(sizeof(buf), ev.res);
	EXPECT_EQ(-1, vc_verify(buf, sizeof(buf), 8, 1000));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_EQ(sizeof(count), read(self->efd, &count, sizeof(count)));
	EXPECT_EQ(1, count);
}

TEST_F(aio, seal_and_last_writer_end_the_wait)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	char buf[16];

	ASSERT_EQ(3, pwrite(self->wfd, "abc", 3, 0));
	prep(&cb, self->ffd, IOCB_CMD_PREAD, buf, sizeof(buf), 3, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	usleep(50000);
	EXPECT_EQ(0, pending(self->ctx));
	ASSERT_EQ(0, vc_seal(self->wfd));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(0, ev.res);		/* end of file */
	/* Sealed: no more waiting. */
	EXPECT_EQ(0, pread(self->ffd, buf, sizeof(buf), 3));
	EXPECT_EQ(3, pread(self->ffd, buf, sizeof(buf), 0));
}

TEST_F(aio, loader_gives_up)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	char buf[16];

	prep(&cb, self->ffd, IOCB_CMD_PREAD, buf, sizeof(buf), 0, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	usleep(50000);
	EXPECT_EQ(0, pending(self->ctx));
	/* The only writer closes without sealing: the reader gets EOF. */
	close(self->wfd);
	self->wfd = -1;
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(0, ev.res);
	/* The abandoned video goes when its last user, the reader, goes. */
	close(self->ffd);
	self->ffd = -1;
	EXPECT_EQ(-ENOENT, gone_after_last_fput(self->name));
}

TEST_F(aio, cancel_queued_read)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	uint64_t cancelled = vc_stats().aio_cancelled;
	char buf[16];
	int r;

	prep(&cb, self->ffd, IOCB_CMD_PREAD, buf, sizeof(buf), 100, self->efd);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	usleep(50000);
	r = io_cancel(self->ctx, &cb, &ev);
	/* Since 5.x the result always arrives as an event. */
	EXPECT_TRUE(r == 0 || (r == -1 && errno == EINPROGRESS))
		TH_LOG("io_cancel %d errno %d", r, errno);
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(-ECANCELED, ev.res);
	EXPECT_EQ(cancelled + 1, vc_stats().aio_cancelled);
	/* A write now completes nothing further. */
	ASSERT_EQ(sizeof(buf), pwrite(self->wfd, buf, sizeof(buf), 100));
	EXPECT_EQ(0, pending(self->ctx));
	/* Cancelling a completed request fails. */
	EXPECT_EQ(-1, io_cancel(self->ctx, &cb, &ev));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(aio, many_in_flight_from_one_thread)
{
	enum { N = 300, CHUNK = 4096 };
	static uint8_t bufs[N][CHUNK], data[N * CHUNK];
	static struct iocb cb[N];
	static struct iocb *cbs[N];
	static struct io_event ev[N];
	int i, bad = 0;

	for (i = 0; i < N; i++) {
		prep(&cb[i], self->ffd, IOCB_CMD_PREAD, bufs[i], CHUNK, (long long)i * CHUNK, -1);
		cbs[i] = &cb[i];
	}
	ASSERT_EQ(N, io_submit(self->ctx, N, cbs));
	usleep(50000);
	EXPECT_EQ(0, pending(self->ctx));
	/* One write satisfies all of them. */
	vc_fill(data, sizeof(data), 21, 0);
	ASSERT_EQ(sizeof(data), pwrite(self->wfd, data, sizeof(data), 0));
	ASSERT_EQ(N, reap(self->ctx, ev, N));
	for (i = 0; i < N; i++) {
		struct iocb *c = (struct iocb *)(uintptr_t)ev[i].data;
		int k = c - cb;

		if (ev[i].res != CHUNK || vc_verify(bufs[k], CHUNK, 21, (uint64_t)k * CHUNK) != -1)
			bad++;
	}
	EXPECT_EQ(0, bad);
}

TEST_F(aio, nowait_and_nonblock)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct iovec iov;
	struct io_event ev;
	char buf[16];
	int r, fl;

	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	/* RWF_NOWAIT where the read would wait. */
	EXPECT_EQ(-1, preadv2(self->ffd, &iov, 1, 0, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	prep(&cb, self->ffd, IOCB_CMD_PREAD, buf, sizeof(buf), 0, -1);
	cb.aio_rw_flags = RWF_NOWAIT;
	r = io_submit(self->ctx, 1, cbs);
	if (r == 1) {
		ASSERT_EQ(1, reap(self->ctx, &ev, 1));
		EXPECT_EQ(-EAGAIN, ev.res);
	} else {
		EXPECT_EQ(EAGAIN, errno);
	}
	/* O_NONBLOCK too. */
	fl = fcntl(self->ffd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->ffd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, pread(self->ffd, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	/* Once there is data, RWF_NOWAIT reads it. */
	ASSERT_EQ(3, pwrite(self->wfd, "xyz", 3, 0));
	EXPECT_EQ(3, preadv2(self->ffd, &iov, 1, 0, RWF_NOWAIT));
	/* A write with RWF_NOWAIT works as well. */
	iov.iov_len = 3;
	EXPECT_EQ(3, pwritev2(self->wfd, &iov, 1, 3, RWF_NOWAIT));
}

static void *late_writer(void *arg)
{
	int fd = *(int *)arg;

	usleep(200000);
	if (pwrite(fd, "hello", 5, 0) != 5)
		return (void *)1;
	return NULL;
}

TEST_F(aio, blocking_read_sleeps_until_data)
{
	pthread_t th;
	char buf[16];
	void *ret;

	ASSERT_EQ(0, pthread_create(&th, NULL, late_writer, &self->wfd));
	EXPECT_EQ(5, read(self->ffd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	pthread_join(th, &ret);
	EXPECT_EQ(NULL, ret);
}

TEST_F(aio, poll_iocb_and_poll)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct pollfd pfd = { .fd = self->ffd, .events = POLLIN };
	struct io_event ev;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = self->ffd;
	cb.aio_lio_opcode = IOCB_CMD_POLL;
	cb.aio_buf = POLLIN;
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	usleep(50000);
	EXPECT_EQ(0, pending(self->ctx));
	ASSERT_EQ(4, pwrite(self->wfd, "data", 4, 0));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_TRUE(ev.res & POLLIN);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	/* The writer may write while loading. */
	pfd.fd = self->wfd;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	/* At end of file after the seal: POLLIN and POLLHUP. */
	ASSERT_EQ(0, vc_seal(self->wfd));
	ASSERT_EQ(4, lseek(self->ffd, 4, SEEK_SET));
	pfd.fd = self->ffd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
}

TEST_F(aio, bad_iocbs)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	char buf[64];
	int ufd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(ufd, 0);
	ASSERT_EQ(64, pwrite(self->wfd, buf, 64, 0));
	prep(&cb, 12345, IOCB_CMD_PREAD, buf, 10, 0, -1);
	EXPECT_EQ(-1, io_submit(self->ctx, 1, cbs));
	EXPECT_EQ(EBADF, errno);
	/* A bad buffer completes with EFAULT. */
	prep(&cb, self->wfd, IOCB_CMD_PREAD, (void *)8, 10, 0, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(-EFAULT, ev.res);
	/* Huge and misaligned requests are just short or refused. */
	prep(&cb, self->wfd, IOCB_CMD_PREAD, buf + 1, 1ULL << 62, 3, -1);
	if (io_submit(self->ctx, 1, cbs) == 1) {
		ASSERT_EQ(1, reap(self->ctx, &ev, 1));
		EXPECT_TRUE(ev.res == 61 || ev.res == -EFAULT || ev.res == -EINVAL);
	}
	prep(&cb, self->wfd, IOCB_CMD_PREAD, buf, 10, -1, -1);
	if (io_submit(self->ctx, 1, cbs) == 1) {
		ASSERT_EQ(1, reap(self->ctx, &ev, 1));
		EXPECT_EQ(-EINVAL, ev.res);
	} else {
		EXPECT_EQ(EINVAL, errno);
	}
	/* An unbound descriptor. */
	prep(&cb, ufd, IOCB_CMD_PREAD, buf, 10, 0, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(-EBADFD, ev.res);
	/* Writes after the seal fail through AIO too. */
	ASSERT_EQ(0, vc_seal(self->wfd));
	prep(&cb, self->wfd, IOCB_CMD_PWRITE, buf, 10, 0, -1);
	ASSERT_EQ(1, io_submit(self->ctx, 1, cbs));
	ASSERT_EQ(1, reap(self->ctx, &ev, 1));
	EXPECT_EQ(-EPERM, ev.res);
	close(ufd);
}

TEST_F(aio, submitter_dies_with_reads_queued)
{
	uint64_t before = vc_stats().aio_cancelled;
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		static char buf[64][64];
		struct iocb cb[64], *cbs[64];
		aio_context_t ctx = 0;
		int i;

		if (io_setup(64, &ctx))
			_exit(1);
		for (i = 0; i < 64; i++) {
			prep(&cb[i], self->ffd, IOCB_CMD_PREAD, buf[i], 64, 1000 + i, -1);
			cbs[i] = &cb[i];
		}
		if (io_submit(ctx, 64, cbs) != 64)
			_exit(2);
		kill(getpid(), SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* Exit cancels them; the cancellations complete asynchronously. */
	for (int i = 0; i < 100 && vc_stats().aio_cancelled < before + 64; i++)
		usleep(20000);
	EXPECT_EQ(before + 64, vc_stats().aio_cancelled);
}

TEST_HARNESS_MAIN
