// SPDX-License-Identifier: GPL-2.0
/*
 * VOD videos: create, load, seal, read, mmap, delete, limits, permissions.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define MiB (1024 * 1024ULL)

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Creates NAME of LEN pattern bytes, sealed; returns the bound fd. */
static int make_sealed(const char *name, uint64_t len, uint64_t seed)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd < 0)
		return -errno;
	if (vc_create(fd, name, len ? len : 1) || vc_write_pattern(fd, len, seed) ||
	    vc_seal(fd)) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return fd;
}

TEST(round_trip_odd_sizes)
{
	static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, 20 * MiB + 3 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t len = sizes[i], seed = 1000 + i;
		const char *name = vc_name("rt");
		struct vcache_info info;
		uint8_t *buf, *map;
		int fd = make_sealed(name, len, seed);
		int rfd;

		ASSERT_GE(fd, 0) TH_LOG("size %llu", (unsigned long long)len);
		close(fd);
		rfd = vc_reopen(name, O_RDONLY);
		ASSERT_GE(rfd, 0);
		info = vc_info(rfd);
		EXPECT_EQ(len, info.size);
		EXPECT_EQ(VCACHE_STATE_SEALED, info.state);

		buf = malloc(len + 10);
		ASSERT_NE(NULL, buf);
		/* pread asks for more than there is: gets exactly the size. */
		ASSERT_EQ((ssize_t)len, pread(rfd, buf, len + 10, 0));
		EXPECT_EQ(-1, vc_verify(buf, len, seed, 0));
		EXPECT_EQ(0, pread(rfd, buf, 10, len));

		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_SHARED, rfd, 0);
			ASSERT_NE(MAP_FAILED, map);
			EXPECT_EQ(-1, vc_verify(map, len, seed, 0));
			/* The tail of the last page reads as zeros. */
			if (len % page_size())
				EXPECT_EQ(0, map[len]);
			munmap(map, len);
		} else {
			EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0));
			EXPECT_EQ(EINVAL, errno);
		}
		free(buf);
		close(rfd);
		vc_cleanup(name);
	}
}

TEST(readv_and_lseek)
{
	const char *name = vc_name("readv");
	uint8_t a[1000], b[3000];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int fd = make_sealed(name, 10000, 7);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(10000, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(9000, lseek(fd, -1000, SEEK_END));
	EXPECT_EQ(100, lseek(fd, 100, SEEK_SET));
	EXPECT_EQ(4000, readv(fd, iov, 2));
	EXPECT_EQ(-1, vc_verify(a, sizeof(a), 7, 100));
	EXPECT_EQ(-1, vc_verify(b, sizeof(b), 7, 1100));
	EXPECT_EQ(4100, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(-1, lseek(fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	/* Beyond the capacity is not a position this video can have. */
	EXPECT_EQ(-1, lseek(fd, 20000, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	vc_cleanup(name);
}

TEST(bad_names)
{
	static const char * const bad[] = { "", ".", "..", "a/b", "tab\t", "\xc3", "\xc0\xaf" };
	struct vcache_create c;
	unsigned int i;
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, vc_create(fd, bad[i], 4096)) TH_LOG("name %u", i);
	memset(&c, 0, sizeof(c));
	memset(c.name, 'a', sizeof(c.name));	/* no NUL */
	c.capacity = 4096;
	c.fps_num = 25;
	c.fps_den = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	memset(c.name, 0, sizeof(c.name));
	strcpy(c.name, "ok");
	c.name[40] = 'x';			/* garbage after the NUL */
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	EXPECT_EQ(-EINVAL, vc_open_name(fd, "a/b"));
	EXPECT_EQ(-ENOENT, vc_open_name(fd, vc_name("missing")));
	EXPECT_EQ(-ENOENT, vc_delete(fd, vc_name("missing")));
	/* Still unbound after all that. */
	EXPECT_EQ(-EBADFD, vc_seal(fd));
	close(fd);
}

TEST(flags_reserved_fps_capacity)
{
	const char *name = vc_name("args");
	struct vcache_create c, base;
	struct vcache_open o;
	struct vcache_delete d;
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	memset(&base, 0, sizeof(base));
	strcpy(base.name, name);
	base.capacity = 4096;
	base.fps_num = 30000;
	base.fps_den = 1001;

	c = base; c.flags = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.__pad = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.fps_den = 0;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.fps_num = 0;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.fps_num = 1001; c.fps_den = 30000;	/* 0.03 fps */
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.fps_num = 1001; c.fps_den = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.capacity = 0;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.capacity = UINT64_MAX;
	EXPECT_EQ(-EFBIG, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.capacity = 1ULL << 63;
	EXPECT_EQ(-EFBIG, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	c = base; c.capacity = vc_stats().mem_limit + 1;
	EXPECT_EQ(-EFBIG, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	EXPECT_EQ(-EFAULT, vc_ioctl(fd, VCACHE_IOC_CREATE, (void *)16));

	memset(&o, 0, sizeof(o));
	strcpy(o.name, name);
	o.flags = 4;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_OPEN, &o));
	memset(&d, 0, sizeof(d));
	strcpy(d.name, name);
	d.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_DELETE, &d));

	/* None of the rejected calls bound or created anything. */
	EXPECT_EQ(-ENOENT, vc_open_name(fd, name));
	c = base;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	EXPECT_EQ(30000, vc_info(fd).fps_num);
	EXPECT_EQ(1001, vc_info(fd).fps_den);
	EXPECT_EQ(-EINVAL, ioctl(fd, VCACHE_IOC_SEAL, 1) ? -errno : 0);
	close(fd);
	vc_cleanup(name);
}

TEST(double_bind_and_exists)
{
	const char *name = vc_name("bind");
	int fd = open(VCACHE_DEV, O_RDWR), fd2 = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, vc_create(fd, name, 4096));
	EXPECT_EQ(-EBUSY, vc_create(fd, vc_name("bind2"), 4096));
	EXPECT_EQ(-EBUSY, vc_open_name(fd, name));
	EXPECT_EQ(-EEXIST, vc_create(fd2, name, 4096));
	ASSERT_EQ(0, vc_open_name(fd2, name));
	EXPECT_EQ(-EBUSY, vc_open_name(fd2, name));
	EXPECT_EQ(2, vc_info(fd).open_count);
	close(fd2);
	EXPECT_EQ(1, vc_info(fd).open_count);
	/* The failed CREATE did not leave a video behind. */
	EXPECT_EQ(-ENOENT, vc_delete(fd, vc_name("bind2")));
	close(fd);
	vc_cleanup(name);
}

TEST(write_after_seal_and_capacity)
{
	const char *name = vc_name("seal");
	struct vcache_commit cm;
	char buf[8192];
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, 10000));
	memset(buf, 'x', sizeof(buf));
	/* Crossing the capacity is cut short; starting past it fails. */
	EXPECT_EQ(10000 - 5000, pwrite(fd, buf, sizeof(buf), 5000));
	EXPECT_EQ(-1, pwrite(fd, buf, 1, 10000));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(-1, pwrite(fd, buf, 1, 1ULL << 62));
	EXPECT_EQ(EFBIG, errno);
	/* pos + count past 2^63 - 1: the VFS refuses it before the driver. */
	EXPECT_EQ(-1, pwrite(fd, buf, 2, (1ULL << 63) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(fd, buf, 1, -4096));
	EXPECT_EQ(EINVAL, errno);
	/* A hole below the size reads as zeros. */
	EXPECT_EQ(10000, vc_info(fd).size);
	EXPECT_EQ(1, pread(fd, buf, 1, 100));
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0, pread(fd, buf, 1, 1ULL << 62));

	EXPECT_EQ(0, vc_seal(fd));
	EXPECT_EQ(0, vc_seal(fd));	/* idempotent */
	EXPECT_NE(0, vc_info(fd).seal_time_ns);
	EXPECT_EQ(-1, pwrite(fd, buf, 1, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, write(fd, buf, 0) < 0 ? -1 : 0) TH_LOG("zero-length write");
	memset(&cm, 0, sizeof(cm));
	cm.size = 1;
	EXPECT_EQ(-EPERM, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	close(fd);
	vc_cleanup(name);
}

TEST(mmap_rules_sealed)
{
	const char *name = vc_name("mmap");
	long ps = page_size();
	void *p;
	int fd = make_sealed(name, 3 * ps + 100, 3);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The size rounded up to a page is the limit. */
	p = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, vc_info(fd).map_count);
	EXPECT_EQ(-1, mprotect(p, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, 4 * ps);
	EXPECT_EQ(0, vc_info(fd).map_count);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 5 * ps, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 4 * ps));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ, MAP_SHARED, fd,
				   0x7ffffffffffff000LL));
	EXPECT_EQ(EINVAL, errno);
	/* A window in the middle. */
	p = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, vc_verify(p, 2 * ps, 3, ps));
	/* mremap cannot grow it past what mmap allowed. */
	EXPECT_EQ(MAP_FAILED, mremap(p, 2 * ps, 8 * ps, 0));
	munmap(p, 2 * ps);
	close(fd);
	vc_cleanup(name);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

static int touch(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int got_sigbus = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		got_sigbus = 1;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return got_sigbus;
}

TEST(mmap_loader_commit)
{
	const char *name = vc_name("loader");
	long ps = page_size();
	uint64_t len = 5 * ps + 77, cap = 8 * ps;
	struct vcache_commit cm;
	uint8_t *w, *r, buf[64];
	int fd = open(VCACHE_DEV, O_RDWR), rfd;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, cap));
	w = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cap + ps, PROT_READ, MAP_SHARED, fd, 0));
	vc_fill(w, len, 9, 0);
	EXPECT_EQ(0, vc_info(fd).size);
	memset(&cm, 0, sizeof(cm));
	cm.size = len - 100;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	EXPECT_EQ(len - 100, vc_info(fd).size);
	cm.size = len;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));	/* idempotent */
	EXPECT_EQ(len, vc_info(fd).size);
	cm.size = 10;		/* never shrinks */
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	EXPECT_EQ(len, vc_info(fd).size);
	cm.size = cap + 1;	/* past the capacity */
	EXPECT_EQ(-EFBIG, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	cm.size = UINT64_MAX;
	EXPECT_EQ(-EFBIG, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	cm.size = 0;
	cm.flags = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));

	/* Readers see the committed bytes through read(2)... */
	ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), len - sizeof(buf)));
	EXPECT_EQ(-1, vc_verify(buf, sizeof(buf), 9, len - sizeof(buf)));

	/* ...and a read-only mapping gets SIGBUS past unwritten data. */
	rfd = vc_reopen(name, O_RDONLY);
	ASSERT_GE(rfd, 0);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0));
	EXPECT_EQ(EACCES, errno);
	r = mmap(NULL, cap, PROT_READ, MAP_SHARED, rfd, 0);
	ASSERT_NE(MAP_FAILED, r);
	EXPECT_EQ(0, touch(r + 5 * ps));
	EXPECT_EQ(1, touch(r + 7 * ps));
	EXPECT_EQ(-1, mprotect(r, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(r, cap);
	close(rfd);

	/* The writable mapping blocks the seal. */
	EXPECT_EQ(-EBUSY, vc_seal(fd));
	munmap(w, cap);
	EXPECT_EQ(0, vc_seal(fd));
	r = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, r);
	EXPECT_EQ(-1, vc_verify(r, len, 9, 0));
	munmap(r, len);
	close(fd);
	vc_cleanup(name);
}

TEST(abandoned_load_is_deleted)
{
	char name[VCACHE_NAME_MAX];
	uint64_t base = vc_stats().mem_used;
	int fd = open(VCACHE_DEV, O_RDWR), rfd, status;
	long ps = page_size();
	uint8_t *w;
	pid_t pid;

	strcpy(name, vc_name("abandoned"));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, MiB));
	ASSERT_EQ(0, vc_write_pattern(fd, 100000, 1));
	/* A second user keeps it alive; the last one to go deletes it. */
	rfd = vc_reopen(name, O_RDONLY);
	ASSERT_GE(rfd, 0);
	close(fd);
	EXPECT_EQ(0, vc_info(rfd).flags);
	close(rfd);
	fd = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOENT, vc_open_name(fd, name));
	EXPECT_EQ(base, vc_stats().mem_used);

	/* A mapping counts as a user too; a killed loader leaves nothing. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int cfd = open(VCACHE_DEV, O_RDWR);

		if (cfd < 0 || vc_create(cfd, name, MiB))
			_exit(1);
		w = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (w == MAP_FAILED)
			_exit(2);
		close(cfd);
		memset(w, 1, 10 * ps);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(-ENOENT, vc_open_name(fd, name));
	EXPECT_EQ(base, vc_stats().mem_used);

	/* A sealed video stays after its loader closes. */
	ASSERT_EQ(0, vc_create(fd, name, 10));
	ASSERT_EQ(0, vc_seal(fd));
	close(fd);
	rfd = vc_reopen(name, O_RDONLY);
	EXPECT_GE(rfd, 0);
	close(rfd);
	vc_cleanup(name);
}

TEST(info_fields)
{
	const char *name = vc_name("info");
	struct vcache_info info;
	uint8_t buf[5000];
	int fd = make_sealed(name, 12345, 4), i;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(5000, pread(fd, buf, sizeof(buf), 0));
	info = vc_info(fd);
	EXPECT_STREQ(name, info.name);
	EXPECT_EQ(0, info.name[VCACHE_NAME_MAX - 1]);
	EXPECT_EQ(12345, info.size);
	EXPECT_EQ(12345, info.capacity);
	EXPECT_EQ(VCACHE_STATE_SEALED, info.state);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(25, info.fps_num);
	EXPECT_EQ(1, info.fps_den);
	EXPECT_EQ(1, info.open_count);
	EXPECT_EQ(0, info.map_count);
	EXPECT_EQ(0, info.index_entries);
	EXPECT_EQ(5000, info.bytes_served);
	EXPECT_GE(info.mem_bytes, 4 * 4096);
	EXPECT_NE(0, info.id);
	EXPECT_LE(info.create_time_ns, info.seal_time_ns);
	EXPECT_LE(info.seal_time_ns, info.access_time_ns);
	/* OPEN and INFO are not accesses: they do not move the LRU clock. */
	i = vc_reopen(name, O_RDONLY);
	ASSERT_GE(i, 0);
	EXPECT_EQ(info.access_time_ns, vc_info(i).access_time_ns);
	close(i);
	EXPECT_EQ(0, info.duration);
	for (i = 0; i < (int)ARRAY_SIZE(info.reserved); i++)
		EXPECT_EQ(0, info.reserved[i]);
	close(fd);
	vc_cleanup(name);
}

TEST(delete_while_mapped_returns_memory)
{
	const char *name = vc_name("del");
	uint64_t len = 4 * MiB + 1, base = vc_stats().mem_used;
	struct vcache_info info;
	uint8_t *p;
	int fd = make_sealed(name, len, 5), other;

	ASSERT_GE(fd, 0);
	EXPECT_GE(vc_stats().mem_used, base + len);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);

	other = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(other, 0);
	ASSERT_EQ(0, vc_delete(other, name));
	EXPECT_EQ(-ENOENT, vc_open_name(other, name));
	/* The name is free again: a new video, with a new id. */
	ASSERT_EQ(0, vc_create(other, name, 4096));
	EXPECT_NE(vc_info(other).id, vc_info(fd).id);
	close(other);
	vc_cleanup(name);

	info = vc_info(fd);
	EXPECT_EQ(VCACHE_INFO_DELETED, info.flags);
	close(fd);
	/* Still mapped after delete and close: the data is all there. */
	EXPECT_EQ(-1, vc_verify(p, len, 5, 0));
	EXPECT_GE(vc_stats().mem_used, base + len);
	munmap(p, len);
	EXPECT_EQ(base, vc_stats().mem_used);
}

TEST(read_only_descriptor)
{
	const char *name = vc_name("ro");
	struct vcache_commit cm;
	char buf[16] = "x";
	int wfd = open(VCACHE_DEV, O_RDWR), fd = open(VCACHE_DEV, O_RDONLY);

	ASSERT_GE(wfd, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EBADF, vc_create(fd, name, 4096));
	ASSERT_EQ(0, vc_create(wfd, name, 4096));
	ASSERT_EQ(0, vc_open_name(fd, name));
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, vc_seal(fd));
	memset(&cm, 0, sizeof(cm));
	EXPECT_EQ(-EBADF, vc_ioctl(fd, VCACHE_IOC_COMMIT, &cm));
	EXPECT_EQ(-EBADF, vc_delete(fd, name));
	EXPECT_EQ(VCACHE_STATE_LOADING, vc_info(fd).state);
	ASSERT_EQ(1, write(wfd, buf, 1));
	ASSERT_EQ(1, pread(fd, buf + 1, 1, 0));
	EXPECT_EQ('x', buf[1]);
	close(fd);
	close(wfd);
	vc_cleanup(name);
}

TEST(unprivileged_user_follows_device_mode)
{
	const char *name = vc_name("unpriv");
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");
	ASSERT_EQ(0, chmod(VCACHE_DEV, 0600));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		/* Mode 0600, owned by root: no access. */
		fd = open(VCACHE_DEV, O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Mode 0666 (what a udev rule could grant): full use, no capability needed. */
	ASSERT_EQ(0, chmod(VCACHE_DEV, 0666));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = open(VCACHE_DEV, O_RDWR);
		if (fd < 0 || vc_create(fd, name, 4096) || write(fd, "abc", 3) != 3 ||
		    vc_seal(fd) || vc_delete(fd, name))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, chmod(VCACHE_DEV, 0600));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

FIXTURE(limit)
{
	unsigned int saved_mb;
	int fds[8];
	int nfds;
};

FIXTURE_SETUP(limit)
{
	uint64_t over;

	self->saved_mb = vc_get_max_mb();
	self->nfds = 0;
	/* No unused video, nor pages lent out by earlier tests, in the 4 MiB. */
	ASSERT_EQ(0, vc_set_max_mb(1));
	over = vc_settle_charged(0);
	if (over)	/* the teardown does not run after a failed setup */
		vc_set_max_mb(self->saved_mb);
	ASSERT_EQ(0, over);
	ASSERT_EQ(0, vc_set_max_mb(4));
	ASSERT_EQ(4 * MiB, vc_stats().mem_limit);
}

FIXTURE_TEARDOWN(limit)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	vc_cleanup(vc_name("A"));
	vc_cleanup(vc_name("B"));
	vc_cleanup(vc_name("C"));
	vc_cleanup(vc_name("D"));
	vc_cleanup(vc_name("E"));
	vc_set_max_mb(self->saved_mb);
}

TEST_F(limit, evicts_least_recently_used_unused)
{
	static const char * const tags[] = { "A", "B", "C" };
	uint64_t evictions = vc_stats().evictions;
	char buf[1];
	int i, fd;

	/* Three sealed 1 MiB videos, nobody using them. */
	for (i = 0; i < 3; i++) {
		fd = make_sealed(vc_name(tags[i]), MiB, i);
		ASSERT_GE(fd, 0);
		close(fd);
	}
	/* Touch A: B is now the least recently used. */
	fd = vc_reopen(vc_name("A"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, pread(fd, buf, 1, 0));
	close(fd);

	/* 1.5 MiB more does not fit in 4 MiB: B goes, A and C stay. */
	fd = make_sealed(vc_name("D"), MiB + MiB / 2, 9);
	ASSERT_GE(fd, 0);
	self->fds[self->nfds++] = fd;
	/* More if other tests left unused videos behind: those are older. */
	EXPECT_LE(evictions + 1, vc_stats().evictions);
	fd = vc_reopen(vc_name("B"), O_RDONLY);
	EXPECT_LT(fd, 0);
	fd = vc_reopen(vc_name("A"), O_RDONLY);
	EXPECT_GE(fd, 0);
	self->fds[self->nfds++] = fd;
	fd = vc_reopen(vc_name("C"), O_RDONLY);
	EXPECT_GE(fd, 0);
	self->fds[self->nfds++] = fd;
	EXPECT_LE(vc_stats().mem_used, 4 * MiB);
}

TEST_F(limit, enospc_when_all_in_use)
{
	int fd = open(VCACHE_DEV, O_RDWR), fd2;
	uint64_t used;

	ASSERT_GE(fd, 0);
	self->fds[self->nfds++] = fd;
	/* A loading video can never be evicted. */
	ASSERT_EQ(0, vc_create(fd, vc_name("A"), 3 * MiB));
	ASSERT_EQ(0, vc_write_pattern(fd, 3 * MiB, 1));
	fd2 = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(fd2, 0);
	self->fds[self->nfds++] = fd2;
	ASSERT_EQ(0, vc_create(fd2, vc_name("B"), 3 * MiB));
	EXPECT_EQ(-ENOSPC, vc_write_pattern(fd2, 3 * MiB, 2));
	used = vc_stats().mem_used;
	EXPECT_LE(used, 4 * MiB);
	/* The first video is intact. */
	EXPECT_EQ(3 * MiB, vc_info(fd).size);
	/* A capacity larger than the whole limit is refused outright. */
	fd2 = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(fd2, 0);
	self->fds[self->nfds++] = fd2;
	EXPECT_EQ(-EFBIG, vc_create(fd2, vc_name("E"), 5 * MiB));
}

struct hammer {
	const char *name;
	uint64_t len;
	int stop;		/* __atomic: the readers poll it */
	int errors;
	long reads;
};

static void *reader(void *arg)
{
	struct hammer *h = arg;
	int fd = vc_reopen(h->name, O_RDONLY);
	uint8_t *buf = malloc(65536), *map;
	unsigned int seed = (unsigned int)(uintptr_t)&fd;

	if (fd < 0 || !buf) {
		__atomic_add_fetch(&h->errors, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	map = mmap(NULL, h->len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		__atomic_add_fetch(&h->errors, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED) && map != MAP_FAILED) {
		uint64_t off = rand_r(&seed) % h->len;
		size_t n = rand_r(&seed) % 65536;
		ssize_t got;

		if (n > h->len - off)
			n = h->len - off;
		got = pread(fd, buf, n, off);
		if (got != (ssize_t)n || vc_verify(buf, n, 77, off) != -1 ||
		    vc_verify(map + off, n, 77, off) != -1)
			__atomic_add_fetch(&h->errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&h->reads, 1, __ATOMIC_RELAXED);
	}
	if (map != MAP_FAILED)
		munmap(map, h->len);
	free(buf);
	close(fd);
	return NULL;
}

TEST(eight_readers_while_others_churn)
{
	struct hammer h = { .name = strdup(vc_name("hammer")), .len = 3 * MiB + 5 };
	char name[2 * VCACHE_NAME_MAX];
	pthread_t th[8];
	int fd = make_sealed(h.name, h.len, 77), i, churn = 0;
	time_t end;

	ASSERT_GE(fd, 0);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader, &h));
	end = time(NULL) + 3;
	while (time(NULL) < end) {
		int c;

		snprintf(name, sizeof(name), "%s-%d", vc_name("churn"), churn++ % 4);
		c = make_sealed(name, 64 * 1024 + churn, churn);
		if (c < 0) {
			h.errors++;
			break;
		}
		close(c);
		vc_cleanup(name);
	}
	__atomic_store_n(&h.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, h.errors);
	EXPECT_GT(h.reads, 100);
	EXPECT_GT(churn, 10);
	TH_LOG("%ld verified reads, %d videos created and deleted", h.reads, churn);
	close(fd);
	vc_cleanup(h.name);
	free((void *)h.name);
}

TEST_HARNESS_MAIN
