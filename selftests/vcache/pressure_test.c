// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure (issue 18): the cache gives memory back to the system.
 *
 * Sealed videos nobody uses are a cache, not the kernel's own memory: when a
 * process needs more anonymous memory than is free, reclaim must take those
 * videos (least recently released first) before the OOM killer takes a
 * process. Videos in use and pinned ones stay, byte for byte.
 *
 * Sized from the machine: about 400 MiB of videos (less if the cache's
 * limit is lower), then a child that allocates and touches more anonymous
 * memory than is available, at least 500 MiB, short of what the videos
 * could give back. Meant for scripts/vm-run --mem 768M --modparams
 * "max_mb=512"; it works the same in the 1 GiB VM with the default limit
 * (a quarter of RAM: fewer videos, a child sized to match), and skips, with
 * the reason, where the numbers leave no room for the scenario.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define MiB		(1024ULL * 1024)
#define VID_SIZE	(16 * MiB)
#define VID_MAX		25		/* 400 MiB */
#define PAGE		4096

static uint64_t meminfo_get(const char *key)
{
	char line[256];
	uint64_t kb = 0;
	size_t len = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb * 1024;
}

static uint64_t vmstat_get(const char *key)
{
	char name[128];
	unsigned long long val;
	uint64_t ret = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%127s %llu", name, &val) == 2)
		if (!strcmp(name, key)) {
			ret = val;
			break;
		}
	fclose(f);
	return ret;
}

/* Cheap content a function of (seed, offset), 64 bits at a time. */
static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t x = (seed << 40) + i + 1;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* Loads a sealed video of @size bytes; returns its checksum. */
static uint64_t load(struct __test_metadata *_metadata, int fd,
		     const char *name, uint64_t seed, uint32_t flags)
{
	static uint64_t buf[MiB / 8];
	struct vcache_create c;
	uint64_t sum = 0, off, i;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.capacity = VID_SIZE;
	c.fps_num = 25;
	c.fps_den = 1;
	c.flags = flags;
	EXPECT_EQ(0, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	for (off = 0; off < VID_SIZE; off += sizeof(buf)) {
		for (i = 0; i < MiB / 8; i++) {
			buf[i] = word(seed, off / 8 + i);
			sum += buf[i] * (off / 8 + i + 1);
		}
		EXPECT_EQ(sizeof(buf), pwrite(fd, buf, sizeof(buf), off));
	}
	EXPECT_EQ(0, vc_seal(fd));
	return sum;
}

static uint64_t checksum(int fd)
{
	static uint64_t buf[MiB / 8];
	uint64_t sum = 0, off, i;

	for (off = 0; off < VID_SIZE; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), off) != sizeof(buf))
			return 0;
		for (i = 0; i < MiB / 8; i++)
			sum += buf[i] * (off / 8 + i + 1);
	}
	return sum;
}

/* The child: allocate and touch @bytes of anonymous memory, then exit 0. */
static void hog(uint64_t bytes)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	uint8_t *p;
	uint64_t off;

	/* If anyone is killed, the hog: not the test, not the VM's init. */
	if (f) {
		fputs("1000\n", f);
		fclose(f);
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	for (off = 0; off < bytes; off += PAGE)
		p[off] = 1;
	_exit(0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(pressure) {
	unsigned int saved_mb;
};

FIXTURE_SETUP(pressure)
{
	self->saved_mb = vc_get_max_mb();
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	fputs(val, f);
	err = fclose(f) ? -errno : 0;
	return err;
}

#define SHRINK_PARAM	"/sys/module/vcache/parameters/shrink"
#define MIN_MB_PARAM	"/sys/module/vcache/parameters/min_mb"

FIXTURE_TEARDOWN(pressure)
{
	vc_set_max_mb(self->saved_mb);
	write_file(SHRINK_PARAM, "Y\n");
	write_file(MIN_MB_PARAM, "0\n");
}

/*
 * Video 0 stays open, video 1 is pinned; the others are released in order
 * 2, 3, ... and the child's need evicts from the front of that line.
 */
TEST_F_TIMEOUT(pressure, hog_evicts_lru_without_oom, 600)
{
	char names[VID_MAX][VCACHE_NAME_MAX];
	uint64_t sums[VID_MAX], mem[VID_MAX];
	uint64_t limit, avail, hogsz, evictable, used0, used1, oom0, gone_mem = 0;
	struct vcache_stats st0, st1;
	unsigned int n, i, gone = 0, first_kept = 0;
	int open_fd, fd, status;
	bool order_ok = true;
	double t0, t1;
	pid_t pid;

	/* No unused video of an earlier test in the way, then our limit. */
	ASSERT_EQ(0, vc_set_max_mb(1));
	ASSERT_EQ(0, vc_set_max_mb(self->saved_mb));
	st0 = vc_stats();
	limit = st0.mem_limit;
	n = (limit - st0.mem_used - 32 * MiB) / VID_SIZE;
	if ((int64_t)(limit - st0.mem_used) < (int64_t)(32 * MiB + 6 * VID_SIZE))
		SKIP(return, "cache limit %llu MiB too small for 6 videos",
		     (unsigned long long)(limit / MiB));
	if (n > VID_MAX)
		n = VID_MAX;

	open_fd = -1;
	for (i = 0; i < n; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "p%02u", i);
		snprintf(names[i], VCACHE_NAME_MAX, "%s", vc_name(tag));
		fd = open(VCACHE_DEV, O_RDWR);
		ASSERT_LE(0, fd);
		sums[i] = load(_metadata, fd, names[i], i + 1,
			       i == 1 ? VCACHE_CREATE_PINNED : 0);
		mem[i] = vc_info(fd).mem_bytes;
		if (i == 0)
			open_fd = fd;
		else
			close(fd);
	}

	evictable = (uint64_t)(n - 2) * VID_SIZE;
	avail = meminfo_get("MemAvailable");
	/* Past what is free by half the evictable videos, 500 MiB at least. */
	hogsz = avail + evictable / 2;
	if (hogsz < 500 * MiB)
		hogsz = 500 * MiB;
	if (hogsz > avail + evictable - 64 * MiB)
		hogsz = avail + evictable - 64 * MiB;
	if (hogsz <= avail + 32 * MiB) {
		for (i = 0; i < n; i++)
			vc_cleanup(names[i]);
		close(open_fd);
		SKIP(return, "%llu MiB available and %llu MiB of videos: no room to press (MemTotal %llu MiB)",
		     (unsigned long long)(avail / MiB),
		     (unsigned long long)(evictable / MiB),
		     (unsigned long long)(meminfo_get("MemTotal") / MiB));
	}
	st0 = vc_stats();
	used0 = st0.mem_used;
	TH_LOG("%u videos, %llu MiB cached (limit %llu MiB), %llu MiB available, child takes %llu MiB",
	       n, (unsigned long long)(used0 / MiB),
	       (unsigned long long)(limit / MiB),
	       (unsigned long long)(avail / MiB),
	       (unsigned long long)(hogsz / MiB));

	oom0 = vmstat_get("oom_kill");
	t0 = now();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		hog(hogsz);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t1 = now();
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the child did not complete: %s %d",
		       WIFSIGNALED(status) ? "signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	EXPECT_EQ(oom0, vmstat_get("oom_kill"))
		TH_LOG("the OOM killer ran (see the kernel log: \"Out of memory\")");

	/* The open video, byte for byte. */
	EXPECT_EQ(sums[0], checksum(open_fd));
	close(open_fd);
	/* Evicted: a prefix of the release order 2, 3, ... */
	/* The pinned one, byte for byte; released before all the others. */
	fd = vc_reopen(names[1], O_RDONLY);
	EXPECT_LE(0, fd) TH_LOG("the pinned video was evicted");
	if (fd >= 0) {
		EXPECT_EQ(sums[1], checksum(fd));
		EXPECT_TRUE(vc_info(fd).flags & VCACHE_INFO_PINNED);
		close(fd);
	}
	for (i = 2; i < n; i++) {
		fd = vc_reopen(names[i], O_RDONLY);
		if (fd < 0) {
			gone++;
			gone_mem += mem[i];
			if (first_kept)
				order_ok = false;
			continue;
		}
		if (!first_kept)
			first_kept = i;
		EXPECT_EQ(sums[i], checksum(fd)) TH_LOG("video %u changed", i);
		close(fd);
	}
	st1 = vc_stats();
	used1 = st1.mem_used;
	TH_LOG("child done in %.1f s; %u of %u evictable videos evicted (%llu MiB), mem_used %llu -> %llu MiB",
	       t1 - t0, gone, n - 2, (unsigned long long)(gone_mem / MiB),
	       (unsigned long long)(used0 / MiB),
	       (unsigned long long)(used1 / MiB));
	EXPECT_LT(0, gone) TH_LOG("nothing was evicted");
	EXPECT_TRUE(order_ok) TH_LOG("a video released later was evicted before one released earlier");
	TH_LOG("evictions: pressure %llu, limit %llu, admin %llu; shrinker gave back %llu MiB",
	       (unsigned long long)(st1.evictions_pressure - st0.evictions_pressure),
	       (unsigned long long)(st1.evictions_limit - st0.evictions_limit),
	       (unsigned long long)(st1.evictions_admin - st0.evictions_admin),
	       (unsigned long long)((st1.shrink_pages - st0.shrink_pages) * PAGE / MiB));
	EXPECT_EQ(gone, st1.evictions - st0.evictions);
	EXPECT_EQ(gone, st1.evictions_pressure - st0.evictions_pressure);
	EXPECT_EQ(gone_mem / PAGE, st1.shrink_pages - st0.shrink_pages);
	/* Our videos are all the cache holds: it shrank by exactly theirs. */
	EXPECT_EQ(used0 - gone_mem, used1);

	for (i = 0; i < n; i++)
		vc_cleanup(names[i]);
}

/*
 * VCACHE_IOC_PIN: its errors, and a pinned video outlives the eviction of
 * a lowered limit, which says so (admin) in the stats.
 */
TEST_F(pressure, pin_ioctl_and_admin_eviction)
{
	const char *a = vc_name("pin-a"), *b = vc_name("pin-b");
	struct vcache_stats st0, st1;
	int fa, fb, ro;

	fa = open(VCACHE_DEV, O_RDWR);
	fb = open(VCACHE_DEV, O_RDWR);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	EXPECT_EQ(-EBADFD, vc_ioctl(fa, VCACHE_IOC_PIN, (void *)1));
	ASSERT_EQ(0, vc_create(fa, a, MiB));
	ASSERT_EQ(0, vc_write_pattern(fa, MiB, 1));
	ASSERT_EQ(0, vc_seal(fa));
	ASSERT_EQ(0, vc_create(fb, b, MiB));
	ASSERT_EQ(0, vc_write_pattern(fb, MiB, 2));
	ASSERT_EQ(0, vc_seal(fb));
	EXPECT_EQ(-EINVAL, vc_ioctl(fa, VCACHE_IOC_PIN, (void *)2));
	EXPECT_EQ(0, vc_ioctl(fa, VCACHE_IOC_PIN, (void *)1));
	EXPECT_EQ(0, vc_ioctl(fa, VCACHE_IOC_PIN, (void *)1));
	EXPECT_TRUE(vc_info(fa).flags & VCACHE_INFO_PINNED);
	ro = vc_reopen(a, O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, vc_ioctl(ro, VCACHE_IOC_PIN, 0));
	close(ro);
	close(fa);
	close(fb);
	/* A limit of 1 MiB evicts every unused video but the pinned one. */
	st0 = vc_stats();
	ASSERT_EQ(0, vc_set_max_mb(1));
	st1 = vc_stats();
	EXPECT_LE(1, st1.evictions_admin - st0.evictions_admin);
	EXPECT_EQ(st1.evictions - st0.evictions,
		  st1.evictions_admin - st0.evictions_admin);
	EXPECT_EQ(-1, vc_reopen(b, O_RDONLY));
	fa = vc_reopen(a, O_RDWR);
	ASSERT_LE(0, fa) TH_LOG("the pinned video was evicted");
	/* Unpinned while open: evicted once released, at the next need. */
	EXPECT_EQ(0, vc_ioctl(fa, VCACHE_IOC_PIN, 0));
	EXPECT_FALSE(vc_info(fa).flags & VCACHE_INFO_PINNED);
	close(fa);
	ASSERT_EQ(0, vc_set_max_mb(self->saved_mb));
	ASSERT_EQ(0, vc_set_max_mb(1));
	EXPECT_EQ(-1, vc_reopen(a, O_RDONLY));
	vc_cleanup(a);
	vc_cleanup(b);
}

/*
 * The knobs, through "echo 2 > drop_caches", which runs every shrinker:
 * shrink=N keeps every video, min_mb stops the shrinker near its floor
 * (the last video it takes may go a little below), and without a floor it
 * takes every unused video, oldest first.
 */
TEST_F(pressure, knobs_shrink_and_min_mb)
{
	char names[8][VCACHE_NAME_MAX];
	struct vcache_stats st0, st1;
	unsigned int i, kept;
	int fd;

	ASSERT_EQ(0, vc_set_max_mb(1));
	ASSERT_EQ(0, vc_set_max_mb(self->saved_mb));
	for (i = 0; i < 8; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "k%u", i);
		snprintf(names[i], VCACHE_NAME_MAX, "%s", vc_name(tag));
		fd = open(VCACHE_DEV, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, vc_create(fd, names[i], MiB));
		ASSERT_EQ(0, vc_write_pattern(fd, MiB, i));
		ASSERT_EQ(0, vc_seal(fd));
		close(fd);
	}
	st0 = vc_stats();
	ASSERT_EQ(0, write_file(SHRINK_PARAM, "N\n"));
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2\n"));
	st1 = vc_stats();
	EXPECT_EQ(st0.evictions, st1.evictions) TH_LOG("shrink=N evicted");

	ASSERT_EQ(0, write_file(SHRINK_PARAM, "Y\n"));
	ASSERT_EQ(0, write_file(MIN_MB_PARAM, "4\n"));
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2\n"));
	st1 = vc_stats();
	TH_LOG("min_mb=4: %llu evicted, mem_used %llu -> %llu KiB",
	       (unsigned long long)(st1.evictions_pressure - st0.evictions_pressure),
	       (unsigned long long)(st0.mem_used / 1024),
	       (unsigned long long)(st1.mem_used / 1024));
	EXPECT_LT(0, st1.evictions_pressure - st0.evictions_pressure);
	EXPECT_GE(4 * MiB, st1.mem_used);
	EXPECT_LT(3 * MiB - 2 * PAGE, st1.mem_used);
	/* The oldest went: the survivors are the newest. */
	kept = 0;
	for (i = 0; i < 8; i++) {
		fd = vc_reopen(names[i], O_RDONLY);
		if (fd >= 0) {
			kept++;
			close(fd);
		} else {
			EXPECT_EQ(0, kept) TH_LOG("%u evicted after a newer one", i);
		}
	}
	EXPECT_EQ(kept, 8 - (st1.evictions_pressure - st0.evictions_pressure));

	ASSERT_EQ(0, write_file(MIN_MB_PARAM, "0\n"));
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2\n"));
	st1 = vc_stats();
	EXPECT_EQ(0, st1.videos) TH_LOG("%u videos left", st1.videos);
	for (i = 0; i < 8; i++)
		vc_cleanup(names[i]);
}

/*
 * shrink_pages counts what really left: pages a pipe still holds when the
 * shrinker evicts their video stay charged (mem_used), so they are not
 * the shrinker's either; mem_used and shrink_pages move together.
 */
TEST_F(pressure, shrink_count_honest_with_pipe_holding_pages)
{
	const char *a = vc_name("held-a"), *b = vc_name("held-b");
	struct vcache_stats st0, st1, st2;
	uint64_t dropped, shrunk, held = 16;
	loff_t off = 0;
	int fa, fb, p[2], i;

	ASSERT_EQ(0, vc_set_max_mb(1));
	ASSERT_EQ(0, vc_set_max_mb(self->saved_mb));
	fa = open(VCACHE_DEV, O_RDWR);
	fb = open(VCACHE_DEV, O_RDWR);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, vc_create(fa, a, MiB));
	ASSERT_EQ(0, vc_write_pattern(fa, MiB, 1));
	ASSERT_EQ(0, vc_seal(fa));
	ASSERT_EQ(0, vc_create(fb, b, MiB));
	ASSERT_EQ(0, vc_write_pattern(fb, MiB, 2));
	ASSERT_EQ(0, vc_seal(fb));
	close(fb);
	/* The pipe holds @held of a's pages, by reference; a is then unused. */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ((ssize_t)(held * PAGE),
		  splice(fa, &off, p[1], NULL, held * PAGE, 0));
	close(fa);

	st0 = vc_stats();
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2\n"));
	st1 = vc_stats();
	EXPECT_EQ(-1, vc_reopen(a, O_RDONLY));
	EXPECT_EQ(-1, vc_reopen(b, O_RDONLY));
	dropped = (st0.mem_used - st1.mem_used) / PAGE;
	shrunk = st1.shrink_pages - st0.shrink_pages;
	TH_LOG("evicted %llu; mem_used down %llu pages, shrink_pages up %llu",
	       (unsigned long long)(st1.evictions_pressure - st0.evictions_pressure),
	       (unsigned long long)dropped, (unsigned long long)shrunk);
	EXPECT_LE(2, st1.evictions_pressure - st0.evictions_pressure);
	EXPECT_EQ(dropped, shrunk) TH_LOG("the shrinker claims pages that are still charged");

	/* The pipe lets go: its pages leave mem_used, not as the shrinker's. */
	close(p[0]);
	close(p[1]);
	for (i = 0; i < 100; i++) {
		st2 = vc_stats();
		if (st2.mem_used <= st1.mem_used - held * PAGE)
			break;
		usleep(50000);
	}
	EXPECT_EQ(st1.mem_used - held * PAGE, st2.mem_used);
	EXPECT_EQ(st1.shrink_pages, st2.shrink_pages);
	vc_cleanup(a);
	vc_cleanup(b);
}

TEST_HARNESS_MAIN
