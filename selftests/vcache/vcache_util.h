/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the vcache selftests. */
#ifndef VCACHE_UTIL_H
#define VCACHE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/vcache.h>

#define VCACHE_DEV	"/dev/vcache"
#define MAX_MB_PARAM	"/sys/module/vcache/parameters/max_mb"

/*
 * The programs and media some tests drive are the vcache tree's build/
 * (./build/user/vcachectl, build/media), named from the tree's root, where
 * scripts/run-tests runs the tests. run_kselftest.sh runs each test from
 * its own directory instead: from there, the tree is VCACHE_PROJECT
 * (scripts/vm-run sets it). Without it, what needs the tree skips
 * (VC_NEED_TREE_FILE) and the rest runs.
 */
static void __attribute__((constructor(101))) vc_find_tree(void)
{
	const char *tree = getenv("VCACHE_PROJECT");

	if (access("kmod/Kbuild", F_OK) && tree && chdir(tree))
		fprintf(stderr, "# VCACHE_PROJECT=%s: %s\n", tree, strerror(errno));
}

/*
 * A program all of whose tests drive one of the tree's files (vcachectl_test):
 * outside any tree, skipped whole, before the harness starts; after
 * vc_find_tree() has looked for the tree.
 */
#define VC_PROGRAM_NEEDS_TREE_FILE(path, mode)					\
static void __attribute__((constructor(102))) vc_program_needs(void)		\
{										\
	const char *need_path_ = (path);					\
										\
	if (access(need_path_, (mode)) && access("kmod/Kbuild", F_OK)) {	\
		printf("TAP version 13\n1..0 # SKIP no %s: not run in a vcache tree (VCACHE_PROJECT)\n" \
		       "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\n", need_path_); \
		exit(4);							\
	}									\
}

/*
 * A file of the tree's build/ a test needs: missing in the tree, a failure
 * (make builds it); outside any tree, a skip.
 */
#define VC_NEED_TREE_FILE(path, mode, how) do {					\
	const char *need_path_ = (path);					\
	int need_mode_ = (mode);						\
										\
	if (access(need_path_, need_mode_) && access("kmod/Kbuild", F_OK))	\
		SKIP(return, "no %s: not run in a vcache tree (VCACHE_PROJECT)", \
		     need_path_);						\
	ASSERT_EQ(0, access(need_path_, need_mode_)) TH_LOG("%s", (how));	\
} while (0)

/* ioctl result as 0 or -errno, so tests can compare in one expression. */
static inline int vc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vc_create(int fd, const char *name, uint64_t capacity)
{
	struct vcache_create c;

	memset(&c, 0, sizeof(c));
	memcpy(c.name, name, strnlen(name, sizeof(c.name)));
	c.capacity = capacity;
	c.fps_num = 25;
	c.fps_den = 1;
	return vc_ioctl(fd, VCACHE_IOC_CREATE, &c);
}

static inline int vc_open_name(int fd, const char *name)
{
	struct vcache_open o;

	memset(&o, 0, sizeof(o));
	memcpy(o.name, name, strnlen(name, sizeof(o.name)));
	return vc_ioctl(fd, VCACHE_IOC_OPEN, &o);
}

static inline int vc_delete(int fd, const char *name)
{
	struct vcache_delete d;

	memset(&d, 0, sizeof(d));
	memcpy(d.name, name, strnlen(name, sizeof(d.name)));
	return vc_ioctl(fd, VCACHE_IOC_DELETE, &d);
}

/* A new descriptor bound to video @name, or -1. */
static inline int vc_reopen(const char *name, int flags)
{
	int fd = open(VCACHE_DEV, flags);

	if (fd >= 0 && vc_open_name(fd, name)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Deletes @name if it exists: a test's cleanup, whatever state it left. */
static inline void vc_cleanup(const char *name)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd >= 0) {
		vc_delete(fd, name);
		close(fd);
	}
}

static inline int vc_seal(int fd)
{
	return ioctl(fd, VCACHE_IOC_SEAL, 0) ? -errno : 0;
}

static inline struct vcache_info vc_info(int fd)
{
	struct vcache_info info;

	memset(&info, 0xff, sizeof(info));
	if (ioctl(fd, VCACHE_IOC_INFO, &info))
		info.state = 0;
	return info;
}

static inline struct vcache_stats vc_stats(void)
{
	struct vcache_stats st;
	int fd = open(VCACHE_DEV, O_RDONLY);

	memset(&st, 0xff, sizeof(st));
	if (fd >= 0) {
		ioctl(fd, VCACHE_IOC_STATS, &st);
		close(fd);
	}
	return st;
}

/* Deterministic bytes: the video's content is a function of the offset. */
static inline uint8_t vc_byte(uint64_t seed, uint64_t off)
{
	uint64_t x = (off + seed) * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(x >> 56);
}

static inline void vc_fill(uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = vc_byte(seed, off + i);
}

/* Index of the first byte that differs from the pattern, or -1. */
static inline long vc_verify(const uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != vc_byte(seed, off + i))
			return (long)i;
	return -1;
}

/* Writes len pattern bytes at 0 in odd-sized pieces; returns 0 or -errno. */
static inline int vc_write_pattern(int fd, uint64_t len, uint64_t seed)
{
	static uint8_t buf[70001];
	uint64_t off = 0;

	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t w;

		vc_fill(buf, n, seed, off);
		w = pwrite(fd, buf, n, off);
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		off += w;
	}
	return 0;
}

/*
 * A name unique to this process and tag, in one of 16 rotating buffers:
 * copy it if it must outlive 15 more calls.
 */
static inline const char *vc_name(const char *tag)
{
	static char names[16][VCACHE_NAME_MAX];
	static unsigned int next;
	char *name = names[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % 16];

	snprintf(name, VCACHE_NAME_MAX, "t%d-%s", getpid(), tag);
	return name;
}

static inline unsigned int vc_get_max_mb(void)
{
	unsigned int mb = 0;
	FILE *f = fopen(MAX_MB_PARAM, "r");

	if (f) {
		if (fscanf(f, "%u", &mb) != 1)
			mb = 0;
		fclose(f);
	}
	return mb;
}

static inline int vc_set_max_mb(unsigned int mb)
{
	FILE *f = fopen(MAX_MB_PARAM, "w");
	int err;

	if (!f)
		return -errno;
	fprintf(f, "%u\n", mb);
	err = fclose(f) ? -errno : 0;
	return err;
}

/* A byte through a loopback TCP connection and back; errors ignored. */
static inline void vc_loopback_ping(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l, c = -1, s = -1;
	char b = 'p';

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return;
	if (!bind(l, (struct sockaddr *)&a, sizeof(a)) && !listen(l, 1) &&
	    !getsockname(l, (struct sockaddr *)&a, &alen)) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c >= 0 && !connect(c, (struct sockaddr *)&a, sizeof(a)))
			s = accept(l, NULL, NULL);
		if (s >= 0 && write(c, &b, 1) == 1 && read(s, &b, 1) == 1 &&
		    write(s, &b, 1) == 1 && read(c, &b, 1) == 1)
			b = 0;
	}
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	close(l);
}

/*
 * Waits until the cache charges nothing but the videos it holds: pages of
 * freed videos that the network stack still holds stay charged until it
 * lets go (mem.c), and since 6.0 a socket's buffers are freed on the CPU
 * that allocated them (skb_attempt_defer_free()), at that CPU's next
 * network softirq: on an idle machine, never. A loopback exchange on each
 * CPU runs those softirqs. Tests of a small budget call this first, so that
 * what an earlier test sent with sendfile(2) is not counted against them.
 * Returns the bytes still charged beyond @videos_bytes after about 5 s
 * (0 when settled): a test fails on that, a leak shows as such.
 */
static inline uint64_t vc_settle_charged(uint64_t videos_bytes)
{
	uint64_t over = 0;
	int round, cpu, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t all, one;

	if (sched_getaffinity(0, sizeof(all), &all))
		CPU_ZERO(&all);
	for (round = 0; round < 50; round++) {
		struct vcache_stats st = vc_stats();

		over = st.mem_used > videos_bytes ? st.mem_used - videos_bytes : 0;
		if (!over)
			break;
		for (cpu = 0; cpu < ncpu; cpu++) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			if (!sched_setaffinity(0, sizeof(one), &one))
				vc_loopback_ping();
		}
		if (CPU_COUNT(&all))
			sched_setaffinity(0, sizeof(all), &all);
		usleep(100000);
	}
	return over;
}

#endif /* VCACHE_UTIL_H */
