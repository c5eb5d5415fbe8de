// SPDX-License-Identifier: GPL-2.0
/* splice(2) and sendfile(2) from /dev/vcache, without copies. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define LEN	(3 * 1024 * 1024 + 5)

static int make_sealed(const char *name, uint64_t len, uint64_t seed)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd < 0 || vc_create(fd, name, len) || vc_write_pattern(fd, len, seed) ||
	    vc_seal(fd))
		return -1;
	return fd;
}

/* Splices [off, off + len) through a pipe and checks every byte. */
static long splice_check(int fd, loff_t off, size_t len, uint64_t seed, int pipe_size)
{
	static uint8_t buf[1 << 20];
	int p[2], bad = 0;
	size_t done = 0;

	if (pipe(p))
		return -1;
	if (pipe_size)
		fcntl(p[1], F_SETPIPE_SZ, pipe_size);
	while (done < len) {
		loff_t at = off + done;
		ssize_t n = splice(fd, &at, p[1], NULL, len - done, 0), got = 0;

		if (n <= 0)
			break;
		while (got < n) {
			ssize_t r = read(p[0], buf, n - got > (ssize_t)sizeof(buf) ?
					 sizeof(buf) : n - got);

			if (r <= 0)
				return -1;
			if (vc_verify(buf, r, seed, off + done + got) != -1)
				bad++;
			got += r;
		}
		done += n;
	}
	close(p[0]);
	close(p[1]);
	return bad ? -1 : (long)done;
}

TEST(splice_whole_and_windows)
{
	const char *name = vc_name("splice");
	int fd = make_sealed(name, LEN, 11);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(LEN, splice_check(fd, 0, LEN, 11, 0));
	EXPECT_EQ(LEN - 4097, splice_check(fd, 4097, LEN, 11, 0));
	EXPECT_EQ(10, splice_check(fd, 4090, 10, 11, 0));
	/* A big pipe takes more than 16 pages in one call. */
	EXPECT_EQ(LEN, splice_check(fd, 0, LEN, 11, 1 << 20));
	EXPECT_EQ(5, splice_check(fd, LEN - 5, 100, 11, 0));
	close(fd);
	vc_cleanup(name);
}

TEST(splice_edges)
{
	const char *name = vc_name("edges");
	int fd = make_sealed(name, 10000, 2), ufd = open(VCACHE_DEV, O_RDONLY);
	loff_t off;
	int p[2];

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pipe(p));
	off = 10000;
	EXPECT_EQ(0, splice(fd, &off, p[1], NULL, 100, 0));
	off = 1LL << 62;
	EXPECT_EQ(0, splice(fd, &off, p[1], NULL, 100, 0));
	off = 0;
	EXPECT_EQ(-1, splice(ufd, &off, p[1], NULL, 100, 0));
	EXPECT_EQ(EBADFD, errno);
	/* Without an offset pointer the file position moves. */
	ASSERT_EQ(100, lseek(fd, 100, SEEK_SET));
	EXPECT_EQ(50, splice(fd, NULL, p[1], NULL, 50, 0));
	EXPECT_EQ(150, lseek(fd, 0, SEEK_CUR));
	/* The bytes served count splices. */
	EXPECT_GE(vc_info(fd).bytes_served, 50);
	close(p[0]);
	close(p[1]);
	close(ufd);
	close(fd);
	vc_cleanup(name);
}

/*
 * The pipe holds the video's own page: bytes written into the video after
 * the splice, but before the pipe is read, show up in the pipe. A copy
 * would show the old bytes.
 */
/*
 * A loading video's bytes may still be rewritten, and SEAL must know that
 * nobody else holds its pages: splice copies them, so the pipe keeps the
 * bytes as they were when spliced. (A sealed video's pages go by
 * reference: pipe_outlives_video.)
 */
TEST(pipe_holds_loading_bytes_as_spliced)
{
	const char *name = vc_name("share");
	char buf[4096];
	int fd = open(VCACHE_DEV, O_RDWR), p[2];
	loff_t off = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, 8192));
	memset(buf, 'A', sizeof(buf));
	ASSERT_EQ(4096, pwrite(fd, buf, 4096, 0));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(4096, splice(fd, &off, p[1], NULL, 4096, 0));
	memset(buf, 'B', sizeof(buf));
	ASSERT_EQ(4096, pwrite(fd, buf, 4096, 0));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(4096, read(p[0], buf, sizeof(buf)));
	EXPECT_EQ('A', buf[0]);
	EXPECT_EQ('A', buf[4095]);
	/* And the video can be sealed: the pipe holds none of its pages. */
	EXPECT_EQ(0, vc_seal(fd));
	close(p[0]);
	close(p[1]);
	close(fd);
	vc_cleanup(name);
}

TEST(pipe_outlives_video)
{
	const char *name = vc_name("outlive");
	uint8_t buf[8192];
	int fd = make_sealed(name, sizeof(buf), 4), p[2];
	loff_t off = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(sizeof(buf), splice(fd, &off, p[1], NULL, sizeof(buf), 0));
	close(fd);
	vc_cleanup(name);
	/* The video is gone; the pipe's page references keep the bytes. */
	ASSERT_EQ(sizeof(buf), read(p[0], buf, sizeof(buf)));
	EXPECT_EQ(-1, vc_verify(buf, sizeof(buf), 4, 0));
	close(p[0]);
	close(p[1]);
}

struct sink {
	int lfd;
	uint64_t seed, off, len;
	long bad, got;
};

static void *tcp_sink(void *arg)
{
	static uint8_t buf[65536];
	struct sink *s = arg;
	int c = accept(s->lfd, NULL, NULL);
	ssize_t n;

	while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0) {
		if (vc_verify(buf, n, s->seed, s->off + s->got) != -1)
			s->bad++;
		s->got += n;
	}
	close(c);
	return NULL;
}

TEST(sendfile_to_tcp)
{
	const char *name = vc_name("sendfile");
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sink s = { .seed = 6, .off = 12345, .len = LEN - 12345 };
	socklen_t alen = sizeof(a);
	int fd = make_sealed(name, LEN, 6), c;
	off_t off = 12345;
	uint64_t sent = 0;
	pthread_t th;

	ASSERT_GE(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, bind(s.lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(s.lfd, 1));
	ASSERT_EQ(0, getsockname(s.lfd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, pthread_create(&th, NULL, tcp_sink, &s));
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	while (sent < s.len) {
		ssize_t n = sendfile(c, fd, &off, s.len - sent);

		ASSERT_GT(n, 0);
		sent += n;
	}
	EXPECT_EQ(LEN, off);
	close(c);
	pthread_join(th, NULL);
	EXPECT_EQ(s.len, s.got);
	EXPECT_EQ(0, s.bad);
	close(s.lfd);
	close(fd);
	vc_cleanup(name);
}

static void *late_write(void *arg)
{
	int fd = *(int *)arg;

	usleep(200000);
	return pwrite(fd, "live!", 5, 0) == 5 ? NULL : (void *)1;
}

TEST(splice_follow_waits)
{
	const char *name = vc_name("follow");
	struct vcache_open o;
	int wfd = open(VCACHE_DEV, O_RDWR), ffd = open(VCACHE_DEV, O_RDONLY), p[2];
	char buf[8];
	loff_t off = 0;
	pthread_t th;

	ASSERT_GE(wfd, 0);
	ASSERT_EQ(0, vc_create(wfd, name, 4096));
	memset(&o, 0, sizeof(o));
	strcpy(o.name, name);
	o.flags = VCACHE_OPEN_FOLLOW;
	ASSERT_EQ(0, vc_ioctl(ffd, VCACHE_IOC_OPEN, &o));
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, splice(ffd, &off, p[1], NULL, 5, SPLICE_F_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, pthread_create(&th, NULL, late_write, &wfd));
	EXPECT_EQ(5, splice(ffd, &off, p[1], NULL, 5, 0));
	pthread_join(th, NULL);
	ASSERT_EQ(5, read(p[0], buf, 5));
	EXPECT_EQ(0, memcmp(buf, "live!", 5));
	/* Sealed: end of file, no wait. */
	ASSERT_EQ(0, vc_seal(wfd));
	EXPECT_EQ(0, splice(ffd, &off, p[1], NULL, 5, 0));
	close(p[0]);
	close(p[1]);
	close(ffd);
	close(wfd);
	vc_cleanup(name);
}

TEST_HARNESS_MAIN
