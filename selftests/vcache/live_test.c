// SPDX-License-Identifier: GPL-2.0
/*
 * Live streams: one writer, many viewers through read, AIO and the mapped
 * ring; the window, EOVERFLOW for the slow, end of stream, zero-copy ingest.
 */
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define RING	(64 * 1024)		/* 16 pages: window 48 KiB, zone 16 KiB */
#define SEED	99

static int create_live(const char *name, uint64_t ring)
{
	struct vcache_create c;
	int fd = open(VCACHE_DEV, O_RDWR);

	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	c.capacity = ring;
	c.fps_num = 30000;
	c.fps_den = 1001;
	c.flags = VCACHE_CREATE_LIVE;
	if (fd < 0 || vc_ioctl(fd, VCACHE_IOC_CREATE, &c)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes the stream's bytes [from, from + len) in chunks of varied size. */
static int write_stream(int fd, uint64_t from, uint64_t len, int pace_us)
{
	static uint8_t buf[20000];
	uint64_t off = from;
	unsigned int r = 1;

	while (off < from + len) {
		size_t n = 1 + (r = r * 1103515245 + 12345) % sizeof(buf);

		if (n > from + len - off)
			n = from + len - off;
		vc_fill(buf, n, SEED, off);
		if (write(fd, buf, n) != (ssize_t)n)
			return -errno;
		off += n;
		if (pace_us)
			usleep(pace_us);
	}
	return 0;
}

TEST(create_and_info)
{
	const char *name = vc_name("info");
	struct vcache_create c;
	struct vcache_info info;
	unsigned int bit;
	int fd = create_live(name, RING), fd2;

	ASSERT_GE(fd, 0);
	info = vc_info(fd);
	EXPECT_EQ(VCACHE_STATE_LIVE, info.state);
	EXPECT_EQ(RING - RING / 4, info.window);
	EXPECT_EQ(0, info.tail);
	EXPECT_EQ(0, info.viewers);
	/* One writer only; viewers are welcome. */
	fd2 = open(VCACHE_DEV, O_RDWR);
	EXPECT_EQ(-EBUSY, vc_open_name(fd2, name));
	close(fd2);
	fd2 = vc_reopen(name, O_RDONLY);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(1, vc_info(fd).viewers);
	close(fd2);
	/* A ring needs at least four pages. */
	memset(&c, 0, sizeof(c));
	strcpy(c.name, vc_name("tiny"));
	c.capacity = 3 * 4096;
	c.fps_num = 25;
	c.fps_den = 1;
	c.flags = VCACHE_CREATE_LIVE;
	fd2 = open(VCACHE_DEV, O_RDWR);
	EXPECT_EQ(-EINVAL, vc_ioctl(fd2, VCACHE_IOC_CREATE, &c));
	c.flags = 1U << 31;	/* not a CREATE flag */
	EXPECT_EQ(-EINVAL, vc_ioctl(fd2, VCACHE_IOC_CREATE, &c));
	/* Nor any bit outside the mask, live or not. */
	for (bit = 0; bit < 32; bit++) {
		if (VCACHE_CREATE_FLAGS & (1U << bit))
			continue;
		c.flags = VCACHE_CREATE_LIVE | (1U << bit);
		c.capacity = 1 << 20;
		EXPECT_EQ(-EINVAL, vc_ioctl(fd2, VCACHE_IOC_CREATE, &c))
			TH_LOG("bit %u", bit);
		c.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, vc_ioctl(fd2, VCACHE_IOC_CREATE, &c))
			TH_LOG("bit %u", bit);
	}
	/* Exactly the flags the header defines. */
	EXPECT_EQ(VCACHE_CREATE_LIVE | VCACHE_CREATE_PINNED, VCACHE_CREATE_FLAGS);
	close(fd2);
	close(fd);
	EXPECT_EQ(VCACHE_STATE_ENDED, vc_info(vc_reopen(name, O_RDONLY)).state);
	vc_cleanup(name);
}

TEST(window_and_slow_viewer)
{
	const char *name = vc_name("slow");
	uint8_t buf[4096];
	uint64_t window = RING - RING / 4;
	int fd = create_live(name, RING), v;
	struct vcache_info info;

	ASSERT_GE(fd, 0);
	v = vc_reopen(name, O_RDONLY);
	ASSERT_GE(v, 0);
	ASSERT_EQ(0, write_stream(fd, 0, 3 * RING + 123, 0));
	info = vc_info(fd);
	EXPECT_EQ(3 * RING + 123, info.size);
	EXPECT_EQ(3 * RING + 123 - window, info.tail);
	/* Offset 0 is long gone. */
	EXPECT_EQ(-1, pread(v, buf, sizeof(buf), 0));
	EXPECT_EQ(EOVERFLOW, errno);
	EXPECT_EQ(-1, pread(v, buf, sizeof(buf), info.tail - 1));
	EXPECT_EQ(EOVERFLOW, errno);
	/* Re-joined at the tail: every byte right. */
	ASSERT_EQ(sizeof(buf), pread(v, buf, sizeof(buf), info.tail));
	EXPECT_EQ(-1, vc_verify(buf, sizeof(buf), SEED, info.tail));
	ASSERT_EQ(100, pread(v, buf, 100, info.size - 100));
	EXPECT_EQ(-1, vc_verify(buf, 100, SEED, info.size - 100));
	close(v);
	close(fd);
	vc_cleanup(name);
}

struct viewer {
	const char *name;
	int kind;		/* 0 read, 1 AIO, 2 mmap */
	uint64_t bytes, rejoins, bad;
};

static uint64_t current_tail(int fd)
{
	return vc_info(fd).tail;
}

static void *view_read(struct viewer *w, int fd)
{
	static __thread uint8_t buf[16384];
	uint64_t pos = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), pos);

		if (n == 0)
			break;
		if (n < 0 && errno == EOVERFLOW) {
			w->rejoins++;
			pos = current_tail(fd) + 4096;
			continue;
		}
		if (n < 0) {
			w->bad++;
			break;
		}
		if (vc_verify(buf, n, SEED, pos) != -1)
			w->bad++;
		w->bytes += n;
		pos += n;
	}
	return NULL;
}

static void *view_aio(struct viewer *w, int fd)
{
	static __thread uint8_t buf[16384];
	aio_context_t ctx = 0;
	uint64_t pos = 0;

	if (syscall(SYS_io_setup, 4, &ctx)) {
		w->bad++;
		return NULL;
	}
	for (;;) {
		struct iocb cb = { .aio_fildes = fd, .aio_lio_opcode = IOCB_CMD_PREAD,
				   .aio_buf = (uintptr_t)buf, .aio_nbytes = sizeof(buf),
				   .aio_offset = pos };
		struct iocb *cbs[1] = { &cb };
		struct io_event ev;

		if (syscall(SYS_io_submit, ctx, 1, cbs) != 1 ||
		    syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1) {
			w->bad++;
			break;
		}
		if (ev.res == 0)
			break;
		if (ev.res == -EOVERFLOW) {
			w->rejoins++;
			pos = current_tail(fd) + 4096;
			continue;
		}
		if (ev.res < 0) {
			w->bad++;
			break;
		}
		if (vc_verify(buf, ev.res, SEED, pos) != -1)
			w->bad++;
		w->bytes += ev.res;
		pos += ev.res;
	}
	syscall(SYS_io_destroy, ctx);
	return NULL;
}

static void *view_mmap(struct viewer *w, int fd)
{
	static __thread uint8_t buf[16384];
	long ps = sysconf(_SC_PAGESIZE);
	struct vcache_live_ctrl *ctrl;
	uint8_t *map, *data;
	uint64_t pos = 0;

	map = mmap(NULL, ps + 2 * RING, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		w->bad++;
		return NULL;
	}
	ctrl = (struct vcache_live_ctrl *)map;
	data = map + ps * VCACHE_LIVE_DATA_PGOFF;
	for (;;) {
		uint64_t head = __atomic_load_n(&ctrl->head, __ATOMIC_ACQUIRE);
		uint64_t n;

		if (head < ctrl->window ? 0 : pos < head - ctrl->window) {
			w->rejoins++;
			pos = head - ctrl->window + 4096;
			continue;
		}
		if (pos >= head) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (__atomic_load_n(&ctrl->flags, __ATOMIC_ACQUIRE) & VCACHE_LIVE_ENDED &&
			    pos >= __atomic_load_n(&ctrl->head, __ATOMIC_ACQUIRE))
				break;
			lseek(fd, pos, SEEK_SET);
			poll(&p, 1, 100);
			continue;
		}
		n = head - pos < sizeof(buf) ? head - pos : sizeof(buf);
		/* The double mapping makes the range contiguous across the wrap. */
		memcpy(buf, data + pos % ctrl->ring_size, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		head = __atomic_load_n(&ctrl->head, __ATOMIC_ACQUIRE);
		if (head > ctrl->window && pos < head - ctrl->window) {
			w->rejoins++;
			continue;	/* maybe torn: discard, re-join above */
		}
		if (vc_verify(buf, n, SEED, pos) != -1)
			w->bad++;
		w->bytes += n;
		pos += n;
	}
	munmap(map, ps + 2 * RING);
	return NULL;
}

static void *viewer_main(void *arg)
{
	struct viewer *w = arg;
	int fd = vc_reopen(w->name, O_RDONLY);

	if (fd < 0) {
		w->bad++;
		return NULL;
	}
	if (w->kind == 0)
		view_read(w, fd);
	else if (w->kind == 1)
		view_aio(w, fd);
	else
		view_mmap(w, fd);
	close(fd);
	return NULL;
}

TEST(writer_and_sixteen_viewers)
{
	const char *name = vc_name("sixteen");
	uint64_t total = 4 << 20;	/* 64 trips round the ring */
	struct viewer w[16];
	pthread_t th[16];
	uint64_t bytes = 0, rejoins = 0;
	int fd = create_live(name, RING), i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < 16; i++) {
		w[i] = (struct viewer){ .name = name, .kind = i % 3 };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, viewer_main, &w[i]));
	}
	usleep(200000);
	ASSERT_EQ(0, write_stream(fd, 0, total, 200));
	ASSERT_EQ(0, vc_seal(fd));	/* end of stream */
	for (i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, w[i].bad) TH_LOG("viewer %d kind %d", i, w[i].kind);
		EXPECT_GT(w[i].bytes, 0) TH_LOG("viewer %d kind %d", i, w[i].kind);
		bytes += w[i].bytes;
		rejoins += w[i].rejoins;
	}
	TH_LOG("%llu bytes verified by 16 viewers, %llu re-joins, %llu wraps",
	       (unsigned long long)bytes, (unsigned long long)rejoins,
	       (unsigned long long)(total / RING));
	EXPECT_EQ(VCACHE_STATE_ENDED, vc_info(fd).state);
	close(fd);
	vc_cleanup(name);
}

TEST(zero_copy_ingest_from_socket)
{
	const char *name = vc_name("ingest");
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t zone = RING / 4, head = 0, total = 5 * RING + 77;
	struct vcache_commit cm;
	uint8_t *map, *data, buf[9000];
	int fd = create_live(name, RING), sv[2], v;
	pid_t pid;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {		/* the broadcaster on the other end */
		if (write_stream(sv[1], 0, total, 0))
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	/* The control page is read-only; the writer maps the data writable. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * RING + ps, PROT_READ, MAP_SHARED, fd, ps));
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 2 * RING, PROT_READ | PROT_WRITE, MAP_SHARED, fd, ps);
	ASSERT_NE(MAP_FAILED, map);
	data = map;
	v = vc_reopen(name, O_RDONLY);
	ASSERT_GE(v, 0);
	memset(&cm, 0, sizeof(cm));
	while (head < total) {
		/* recv straight into the landing zone: the recv_into pattern. */
		ssize_t n = recv(sv[0], data + head % RING, zone, 0);

		ASSERT_GT(n, 0);
		cm.size = head + n;
		ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
		head += n;
		if (head > sizeof(buf)) {
			ASSERT_EQ(sizeof(buf), pread(v, buf, sizeof(buf), head - sizeof(buf)));
			ASSERT_EQ(-1, vc_verify(buf, sizeof(buf), SEED, head - sizeof(buf)));
		}
	}
	/* Commits past the zone, or backwards, are refused. */
	cm.size = head + zone + 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	cm.size = head - 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	cm.size = head;
	EXPECT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	EXPECT_EQ(total, vc_info(v).size);
	waitpid(pid, NULL, 0);
	/* A viewer cannot map the ring writable, nor commit. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, RING, PROT_READ | PROT_WRITE, MAP_SHARED, v, ps));
	EXPECT_EQ(-EBADF, vc_ioctl(v, VCACHE_IOC_COMMIT, &cm));
	munmap(map, 2 * RING);
	close(sv[0]);
	close(v);
	close(fd);
	vc_cleanup(name);
}

TEST(splice_ingest_and_splice_out)
{
	const char *name = vc_name("spl");
	uint8_t buf[20000];
	int fd = create_live(name, RING), v, p[2], q[2];
	loff_t off = 0;
	ssize_t n;

	ASSERT_GE(fd, 0);
	v = vc_reopen(name, O_RDONLY);
	ASSERT_GE(v, 0);
	ASSERT_EQ(0, pipe(p));
	vc_fill(buf, sizeof(buf), SEED, 0);
	ASSERT_EQ(sizeof(buf), write(p[1], buf, sizeof(buf)));
	/* Pipe to device: lands at the head. */
	ASSERT_EQ(sizeof(buf), splice(p[0], NULL, fd, NULL, sizeof(buf), 0));
	EXPECT_EQ(sizeof(buf), vc_info(fd).size);
	/* Device to pipe, from a live stream: a checked copy. */
	ASSERT_EQ(0, pipe(q));
	n = splice(v, &off, q[1], NULL, sizeof(buf), 0);
	ASSERT_GT(n, 0);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(n, read(q[0], buf, n));
	EXPECT_EQ(-1, vc_verify(buf, n, SEED, 0));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(v);
	close(fd);
	vc_cleanup(name);
}

TEST(writer_killed_mid_stream)
{
	const char *name = vc_name("killed");
	uint64_t base = vc_stats().mem_used;
	char buf[4096];
	int v = -1, status, i;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = create_live(name, RING);

		if (fd < 0)
			_exit(1);
		write_stream(fd, 0, 1ULL << 40, 1000);	/* until killed */
		_exit(2);
	}
	for (i = 0; i < 100 && v < 0; i++) {
		usleep(20000);
		v = vc_reopen(name, O_RDONLY);
	}
	ASSERT_GE(v, 0);
	usleep(100000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* The viewer follows to the end, then sees end of stream. */
	for (;;) {
		ssize_t n = read(v, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0 && errno == EOVERFLOW) {
			lseek(v, vc_info(v).tail, SEEK_SET);
			continue;
		}
		ASSERT_GT(n, 0);
	}
	EXPECT_EQ(VCACHE_STATE_ENDED, vc_info(v).state);
	ASSERT_EQ(0, vc_delete(open(VCACHE_DEV, O_RDWR), name));
	close(v);
	EXPECT_EQ(base, vc_stats().mem_used);
}

TEST(poll_and_end_of_stream)
{
	const char *name = vc_name("poll");
	int fd = create_live(name, RING), v;
	struct pollfd p;
	char buf[8];

	ASSERT_GE(fd, 0);
	v = vc_reopen(name, O_RDONLY);
	p = (struct pollfd){ .fd = v, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(5, write(fd, "frame", 5));
	EXPECT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(5, read(v, buf, sizeof(buf)));
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, vc_seal(fd));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(0, read(v, buf, sizeof(buf)));
	/* Ended: no more writes. */
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPERM, errno);
	close(v);
	close(fd);
	vc_cleanup(name);
}

TEST(live_index_follows_the_window)
{
	const char *name = vc_name("lindex");
	uint64_t gop = 8192;		/* a keyframe every 8 KiB, 30 frames */
	struct vcache_index_append a;
	struct vcache_index_entry e;
	struct vcache_lookup l;
	int fd = create_live(name, RING), k;

	ASSERT_GE(fd, 0);
	memset(&a, 0, sizeof(a));
	a.entries = (uintptr_t)&e;
	a.count = 1;
	for (k = 0; k < 40; k++) {	/* 320 KiB: five trips round */
		ASSERT_EQ(0, write_stream(fd, k * gop, gop, 0));
		e = (struct vcache_index_entry){ k * 30 * 3003ULL, k * gop, VCACHE_INDEX_KEY, 0 };
		ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a));
	}
	/* Entries outside the window are refused... */
	e = (struct vcache_index_entry){ 40 * 30 * 3003ULL, 0, VCACHE_INDEX_KEY, 0 };
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a));
	/* ...and old ones were dropped as the window moved. */
	EXPECT_LE(vc_info(fd).index_entries, (RING - RING / 4) / gop + 1);
	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_LATEST;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(39 * gop, l.key_offset);
	EXPECT_EQ(39 * 30, l.key_frame);
	/* A timecode before the window gets the oldest keyframe in it. */
	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_TIMECODE;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_GE(l.key_offset, vc_info(fd).tail);
	/* One inside it, the keyframe at or before. 00:00:37:05 = frame 1115. */
	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_TIMECODE;
	l.tc.ss = 37;
	l.tc.ff = 5;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(37 * 30, l.key_frame);
	EXPECT_EQ(37 * gop, l.key_offset);
	close(fd);
	vc_cleanup(name);
}

TEST_HARNESS_MAIN
