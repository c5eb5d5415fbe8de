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
 * memory than the machine has without them (avail_max()), at least
 * 500 MiB, short of what the videos could give back. Meant for
 * scripts/vm-run --mem 768M --modparams "max_mb=512"; it works the same in
 * the 1 GiB VM with the default limit (a quarter of RAM: fewer videos, a
 * child sized to match), and skips, with the reason, where the numbers
 * leave no room for the scenario. hog_oom_killed_with_shrinker_off is the
 * same run with the shrinker off: the child is OOM-killed, which shows
 * that hog_evicts_lru_without_oom completes thanks to the shrinker.
 *
 * The memcg_limit_* tests: a loader in a memory cgroup of 16 MiB loads a
 * video of 64 MiB (pwrite, a writable mapping, vcachectl load from stdin)
 * and is stopped at the cgroup's limit without an OOM kill. They mount cgroup2
 * and enable the memory controller if need be, and skip without them.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/magic.h>
#include "vcache_util.h"
#include "run_util.h"
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

/*
 * What an anonymous hog can get without the videos, at most: free pages,
 * those on the per-CPU lists too, the page cache and reclaimable slab, less
 * the zones' min watermarks, below which the allocator calls the OOM
 * killer. Not MemAvailable: it leaves out the per-CPU lists (tens of MiB
 * after a hog's exit: up to a zone's low watermark per CPU) and takes the
 * high watermarks off. In the 1 GiB VM a hog got 703 MiB where
 * MemAvailable said 634, enough to swallow the margin a child sized from
 * it had over the machine, and the shrinker-off test's hog completed.
 */
static uint64_t avail_max(void)
{
	uint64_t pages = meminfo_get("MemFree") + meminfo_get("Active(file)") +
			 meminfo_get("Inactive(file)") + meminfo_get("KReclaimable");
	unsigned long long val, min = 0, reserve = 0, pcp = 0;
	char key[64], line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return meminfo_get("MemAvailable");
	/* A zone's "min" comes before its "managed"; empty zones have none. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %63s %llu", key, &val) != 2)
			continue;
		if (!strcmp(key, "min"))
			min = val;
		else if (!strcmp(key, "managed") && val)
			reserve += min;
		else if (!strcmp(key, "count:"))
			pcp += val;
	}
	fclose(f);
	pages = pages / PAGE + pcp;
	return pages > reserve ? (pages - reserve) * PAGE : 0;
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
	/*
	 * Its own code stays in memory: without swap, reclaim would take its
	 * text (page cache) and the hog fault it back at once, progress that
	 * keeps the OOM killer away for minutes on a kernel without MGLRU
	 * (the debug kernel: 10 minutes when the shrinker is off).
	 */
	mlockall(MCL_CURRENT);
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
 * The scenario of both hog tests: video 0 stays open, video 1 is pinned;
 * the others are released in order 2, 3, ... and the child's need evicts
 * from the front of that line.
 */
struct scene {
	char names[VID_MAX][VCACHE_NAME_MAX];
	uint64_t sums[VID_MAX], mem[VID_MAX];
	uint64_t limit, avail, hogsz, evictable;
	unsigned int n;
	int open_fd;
};

/* Loads the videos and sizes the hog: NULL, or why not here (a skip). */
static const char *scene_load(struct __test_metadata *_metadata,
			      struct scene *s, unsigned int saved_mb)
{
	static char why[256];
	struct vcache_stats st;
	unsigned int i;
	int fd;

	/* No unused video of an earlier test in the way, then our limit. */
	ASSERT_EQ(0, vc_set_max_mb(1));
	ASSERT_EQ(0, vc_set_max_mb(saved_mb));
	st = vc_stats();
	s->limit = st.mem_limit;
	s->open_fd = -1;
	s->n = 0;
	if ((int64_t)(s->limit - st.mem_used) < (int64_t)(32 * MiB + 6 * VID_SIZE)) {
		snprintf(why, sizeof(why), "cache limit %llu MiB too small for 6 videos",
			 (unsigned long long)(s->limit / MiB));
		return why;
	}
	s->n = (s->limit - st.mem_used - 32 * MiB) / VID_SIZE;
	if (s->n > VID_MAX)
		s->n = VID_MAX;

	for (i = 0; i < s->n; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "p%02u", i);
		snprintf(s->names[i], VCACHE_NAME_MAX, "%s", vc_name(tag));
		fd = open(VCACHE_DEV, O_RDWR);
		ASSERT_LE(0, fd);
		s->sums[i] = load(_metadata, fd, s->names[i], i + 1,
				  i == 1 ? VCACHE_CREATE_PINNED : 0);
		s->mem[i] = vc_info(fd).mem_bytes;
		if (i == 0)
			s->open_fd = fd;
		else
			close(fd);
	}

	s->evictable = (uint64_t)(s->n - 2) * VID_SIZE;
	s->avail = avail_max();
	/*
	 * Past what the machine has without the videos by half the evictable
	 * ones, 500 MiB at least; 64 MiB short of all they could give.
	 */
	s->hogsz = s->avail + s->evictable / 2;
	if (s->hogsz < 500 * MiB)
		s->hogsz = 500 * MiB;
	if (s->hogsz > s->avail + s->evictable - 64 * MiB)
		s->hogsz = s->avail + s->evictable - 64 * MiB;
	if (s->hogsz <= s->avail + 32 * MiB) {
		snprintf(why, sizeof(why),
			 "%llu MiB available and %llu MiB of videos: no room to press (MemTotal %llu MiB)",
			 (unsigned long long)(s->avail / MiB),
			 (unsigned long long)(s->evictable / MiB),
			 (unsigned long long)(meminfo_get("MemTotal") / MiB));
		return why;
	}
	TH_LOG("%u videos, %llu MiB cached (limit %llu MiB), %llu MiB available (MemAvailable %llu), child takes %llu MiB",
	       s->n, (unsigned long long)(vc_stats().mem_used / MiB),
	       (unsigned long long)(s->limit / MiB),
	       (unsigned long long)(s->avail / MiB),
	       (unsigned long long)(meminfo_get("MemAvailable") / MiB),
	       (unsigned long long)(s->hogsz / MiB));
	return NULL;
}

static void scene_cleanup(struct scene *s)
{
	unsigned int i;

	if (s->open_fd >= 0)
		close(s->open_fd);
	s->open_fd = -1;
	for (i = 0; i < s->n; i++)
		vc_cleanup(s->names[i]);
}

#define HOG_SECS	240

/*
 * Runs the hog in a child; its wait status, and its time in @secs. A hog
 * that neither completes nor is OOM-killed in HOG_SECS (reclaim thrashing
 * where the OOM killer should have come) is killed here and fails the
 * test: that is a finding, not something to wait out to the harness's
 * timeout, which would leave the test's videos behind.
 */
static int hog_run(struct __test_metadata *_metadata, uint64_t bytes,
		   double *secs)
{
	struct pollfd pfd = { .events = POLLIN };
	double t0 = now();
	int status, n;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		hog(bytes);
	pfd.fd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pfd.fd);
	do
		n = poll(&pfd, 1, HOG_SECS * 1000);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		kill(pid, SIGKILL);
		TH_LOG("the child neither completed nor was OOM-killed in %d s: killed",
		       HOG_SECS);
	}
	close(pfd.fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	*secs = now() - t0;
	EXPECT_LT(0, n);
	return status;
}

TEST_F_TIMEOUT(pressure, hog_evicts_lru_without_oom, 600)
{
	uint64_t used0, used1, oom0, gone_mem = 0;
	struct vcache_stats st0, st1;
	unsigned int i, gone = 0, first_kept = 0;
	struct scene s;
	const char *why;
	bool order_ok = true;
	int fd, status;
	double secs;

	why = scene_load(_metadata, &s, self->saved_mb);
	if (why) {
		scene_cleanup(&s);
		SKIP(return, "%s", why);
	}
	st0 = vc_stats();
	used0 = st0.mem_used;

	oom0 = vmstat_get("oom_kill");
	status = hog_run(_metadata, s.hogsz, &secs);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the child did not complete: %s %d",
		       WIFSIGNALED(status) ? "signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	EXPECT_EQ(oom0, vmstat_get("oom_kill"))
		TH_LOG("the OOM killer ran (see the kernel log: \"Out of memory\")");

	/* The open video, byte for byte. */
	EXPECT_EQ(s.sums[0], checksum(s.open_fd));
	close(s.open_fd);
	s.open_fd = -1;
	/* Evicted: a prefix of the release order 2, 3, ... */
	/* The pinned one, byte for byte; released before all the others. */
	fd = vc_reopen(s.names[1], O_RDONLY);
	EXPECT_LE(0, fd) TH_LOG("the pinned video was evicted");
	if (fd >= 0) {
		EXPECT_EQ(s.sums[1], checksum(fd));
		EXPECT_TRUE(vc_info(fd).flags & VCACHE_INFO_PINNED);
		close(fd);
	}
	for (i = 2; i < s.n; i++) {
		fd = vc_reopen(s.names[i], O_RDONLY);
		if (fd < 0) {
			gone++;
			gone_mem += s.mem[i];
			if (first_kept)
				order_ok = false;
			continue;
		}
		if (!first_kept)
			first_kept = i;
		EXPECT_EQ(s.sums[i], checksum(fd)) TH_LOG("video %u changed", i);
		close(fd);
	}
	st1 = vc_stats();
	used1 = st1.mem_used;
	TH_LOG("child done in %.1f s; %u of %u evictable videos evicted (%llu MiB), mem_used %llu -> %llu MiB",
	       secs, gone, s.n - 2, (unsigned long long)(gone_mem / MiB),
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

	scene_cleanup(&s);
}

/*
 * scripts/vm-stage2 counts an OOM report in the kernel log as a splat,
 * except between these two lines (see there): the OOM kill below is this
 * test's purpose, any other splat in between still counts.
 */
#define OOM_MARK_BEGIN	"vm-run: OOM kills expected (pressure_test: the hog, shrink=N)\n"
#define OOM_MARK_END	"vm-run: OOM kills no longer expected\n"

/*
 * The same run with the shrinker off (shrink=N): the videos are no longer
 * the system's to take back, so the child's need ends in an OOM kill, as
 * it would for a cache that does not take part in reclaim. That is what
 * hog_evicts_lru_without_oom proves does not happen with the shrinker on:
 * the same hog, the same videos, the one knob between them.
 *
 * The pressure has to be the whole machine's. vcache's pages are charged
 * (__GFP_ACCOUNT) to the loader's memory cgroup, this test's, and the
 * shrinker is not memcg-aware, so the kernel calls it for global (root)
 * reclaim only. A hog confined to a cgroup with memory.max would be
 * OOM-killed in its cgroup with the shrinker on or off: its cgroup's
 * reclaim never asks vcache, whose pages are not even charged there. That
 * test could not fail. So the hog runs beside the test, and the damage is
 * confined by choice, not by a limit: the hog's oom_score_adj is 1000,
 * which puts it above every other task of the machine whatever their
 * size, and the test's own is -1000. The test checks that the hog died
 * of SIGKILL, that the kernel counted exactly one OOM kill (/proc/vmstat
 * oom_kill: nobody else died), that the cache lost nothing (no eviction,
 * every video byte for byte), and then that with the shrinker back on the
 * same unused videos are the system's again ("echo 2 > drop_caches").
 *
 * Runs only in a throw-away VM (VCACHE_VM=1, which scripts/vm-run sets):
 * an OOM kill on purpose is not a test's to make on whatever machine runs
 * the suite.
 */
TEST_F_TIMEOUT(pressure, hog_oom_killed_with_shrinker_off, 600)
{
	uint64_t oom0, oom1;
	struct vcache_stats st0, st1, st2;
	struct scene s;
	const char *why, *vm = getenv("VCACHE_VM");
	unsigned int i;
	int fd, status;
	double secs;

	if (!vm || strcmp(vm, "1"))
		SKIP(return, "an OOM kill on purpose: runs in a throw-away VM only (VCACHE_VM=1, scripts/vm-run)");
	/* Never the OOM killer's choice, whatever it holds. */
	ASSERT_EQ(0, write_file("/proc/self/oom_score_adj", "-1000\n"));
	why = scene_load(_metadata, &s, self->saved_mb);
	if (why) {
		scene_cleanup(&s);
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, write_file(SHRINK_PARAM, "N\n"));
	st0 = vc_stats();

	ASSERT_EQ(0, write_file("/dev/kmsg", OOM_MARK_BEGIN));
	oom0 = vmstat_get("oom_kill");
	status = hog_run(_metadata, s.hogsz, &secs);
	oom1 = vmstat_get("oom_kill");
	ASSERT_EQ(0, write_file("/dev/kmsg", OOM_MARK_END));
	TH_LOG("shrink=N: the child %s %d after %.1f s; oom_kill %llu -> %llu",
	       WIFSIGNALED(status) ? "died of signal" : "exited with status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), secs,
	       (unsigned long long)oom0, (unsigned long long)oom1);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the child was not OOM-killed: the videos gave memory back with the shrinker off?");
	EXPECT_EQ(oom0 + 1, oom1)
		TH_LOG("not exactly one OOM kill (the hog's)");

	/* The cache lost nothing: no eviction, every video byte for byte. */
	st1 = vc_stats();
	EXPECT_EQ(st0.evictions, st1.evictions);
	EXPECT_EQ(st0.shrink_pages, st1.shrink_pages);
	EXPECT_EQ(st0.mem_used, st1.mem_used);
	EXPECT_EQ(s.sums[0], checksum(s.open_fd));
	for (i = 1; i < s.n; i++) {
		fd = vc_reopen(s.names[i], O_RDONLY);
		EXPECT_LE(0, fd) TH_LOG("video %u is gone", i);
		if (fd < 0)
			continue;
		EXPECT_EQ(s.sums[i], checksum(fd)) TH_LOG("video %u changed", i);
		close(fd);
	}

	/* The shrinker back on: the unused videos are reclaim's again. */
	ASSERT_EQ(0, write_file(SHRINK_PARAM, "Y\n"));
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2\n"));
	st2 = vc_stats();
	TH_LOG("shrink=Y: drop_caches evicted %llu of %u unused videos",
	       (unsigned long long)(st2.evictions_pressure - st1.evictions_pressure),
	       s.n - 2);
	EXPECT_EQ(s.n - 2, st2.evictions_pressure - st1.evictions_pressure);
	EXPECT_EQ(s.sums[0], checksum(s.open_fd));
	fd = vc_reopen(s.names[1], O_RDONLY);
	EXPECT_LE(0, fd) TH_LOG("the pinned video was evicted");
	if (fd >= 0)
		close(fd);
	scene_cleanup(&s);
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

/*
 * Item 4, memory cgroups: a loader in a cgroup whose memory.max is below
 * the video's size. The video's pages are charged to the loader's cgroup,
 * so the load stops at that limit, cleanly: pwrite(2) fails with ENOMEM, a
 * store into the writable mapping gets SIGBUS, vcachectl says so in one
 * line. Nobody is OOM-killed (memory.events: oom_kill 0), the abandoned
 * video leaves the cache and its pages leave both mem_used and the
 * cgroup's charge.
 */
#define CG_MAX		(16 * MiB)
#define CG_VIDEO	(64 * MiB)
#define CG_FIRST	(4 * MiB)	/* written before the charge is measured */

struct memcg {
	char root[64];		/* a cgroup2 mount */
	char dir[128];		/* our cgroup in it */
	bool mounted;		/* root is a mount of our own, to undo */
	bool enabled;		/* we enabled +memory in root */
};

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* A cgroup file's value, or of "KEY value" in it; UINT64_MAX if none. */
static uint64_t cg_value(const struct memcg *cg, const char *file, const char *key)
{
	char path[192], buf[1024], *p;

	snprintf(path, sizeof(path), "%s/%s", cg->dir, file);
	if (read_str(path, buf, sizeof(buf)))
		return UINT64_MAX;
	if (!key)
		return strtoull(buf, NULL, 10);
	for (p = buf; p; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtoull(p + strlen(key) + 1, NULL, 10);
	}
	return UINT64_MAX;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (!p[len] || (p[len] == ' ' || p[len] == '\n')))
			return true;
	return false;
}

/*
 * A memory cgroup of @max bytes, without swap. cgroup2 where it is
 * (/sys/fs/cgroup), else mounted: there when nothing is (the VM), else on
 * a directory of our own. NULL, or why there can be none (a skip).
 */
static const char *memcg_make(struct memcg *cg, uint64_t max)
{
	static char why[512];
	char path[192], buf[256];
	struct statfs sfs;

	memset(cg, 0, sizeof(*cg));
	snprintf(cg->root, sizeof(cg->root), "/sys/fs/cgroup");
	if (statfs(cg->root, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		if (!statfs(cg->root, &sfs) && sfs.f_type != SYSFS_MAGIC) {
			snprintf(cg->root, sizeof(cg->root), "/tmp/vcache-cg-XXXXXX");
			if (!mkdtemp(cg->root))
				return "no directory to mount cgroup2 on";
			cg->mounted = true;
		}
		if (mount("none", cg->root, "cgroup2", 0, NULL)) {
			snprintf(why, sizeof(why), "cannot mount cgroup2: %s", strerror(errno));
			if (cg->mounted)
				rmdir(cg->root);
			cg->mounted = false;
			return why;
		}
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg->root);
	if (read_str(path, buf, sizeof(buf)) || !has_word(buf, "memory")) {
		snprintf(why, sizeof(why), "no memory controller in cgroup2 (%s)", buf);
		return why;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->root);
	if (!read_str(path, buf, sizeof(buf)) && !has_word(buf, "memory")) {
		if (write_file(path, "+memory")) {
			snprintf(why, sizeof(why), "cannot enable +memory in %s", cg->root);
			return why;
		}
		cg->enabled = true;
	}
	snprintf(cg->dir, sizeof(cg->dir), "%s/vcache-pressure-%d", cg->root, getpid());
	if (mkdir(cg->dir, 0755) && errno != EEXIST) {
		snprintf(why, sizeof(why), "mkdir %s: %s", cg->dir, strerror(errno));
		return why;
	}
	snprintf(path, sizeof(path), "%s/memory.max", cg->dir);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)max);
	if (write_file(path, buf)) {
		snprintf(why, sizeof(why), "cannot set %s", path);
		return why;
	}
	/* The loader's own memory stays put: the limit is the video's. */
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg->dir);
	write_file(path, "0");
	return NULL;
}

/* Removes the cgroup, once its last task has left, and what we set up. */
static void memcg_remove(struct memcg *cg)
{
	char path[192];
	int i;

	for (i = 0; cg->dir[0] && rmdir(cg->dir) && errno == EBUSY && i < 100; i++)
		usleep(10000);
	if (cg->enabled) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->root);
		write_file(path, "-memory");
	}
	if (cg->mounted) {
		umount2(cg->root, MNT_DETACH);
		rmdir(cg->root);
	}
}

/* Moves @pid into the cgroup: 0 or -errno. */
static int memcg_enter(const struct memcg *cg, pid_t pid)
{
	char path[192], buf[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dir);
	snprintf(buf, sizeof(buf), "%d", pid);
	return write_file(path, buf);
}

/* What the loader in the cgroup saw, in memory shared with the test. */
struct memcg_report {
	int stage;		/* how far it got: 1 in the cgroup, 2 created, 3 done */
	int create_err;		/* CREATE: 0 or -errno */
	int err;		/* the errno that stopped pwrite(2) */
	int sigbus;		/* a store into the mapping got SIGBUS */
	uint64_t written;	/* bytes in the video when it stopped */
	uint64_t charged;	/* the cgroup's growth over the first CG_FIRST */
};

static sigjmp_buf memcg_jmp;

static void memcg_on_sigbus(int sig)
{
	siglongjmp(memcg_jmp, 1);
}

static uint64_t memcg_current_fd(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

/*
 * The loader, in the cgroup: CREATE a video of CG_VIDEO bytes and fill it
 * through a writable mapping (@mapped) or pwrite(2) until the cache says
 * no. At the limit its cgroup is full to the page and any new charge
 * would call the OOM killer on it for reasons of its own (a stack page, a
 * page table): everything it touches after the limit is touched before,
 * and it gives the video up (close, unmap) before anything else.
 */
static void memcg_loader(const char *dir, const char *name, bool mapped,
			 struct memcg_report *rep)
{
	static uint8_t buf[MiB];
	volatile uint64_t off = 0;
	uint64_t before = 0;
	struct sigaction sa;
	char path[192];
	stack_t ss;
	uint8_t *map = MAP_FAILED;
	int fd, cur;
	ssize_t n;

	rep->stage = 1;
	snprintf(path, sizeof(path), "%s/memory.current", dir);
	cur = open(path, O_RDONLY);
	fd = open(VCACHE_DEV, O_RDWR);
	if (fd < 0 || cur < 0)
		_exit(3);
	memset(buf, 0x5a, sizeof(buf));
	/* SIGBUS lands on a stack touched now. */
	ss.ss_size = 64 * 1024;
	ss.ss_flags = 0;
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL))
		_exit(4);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = memcg_on_sigbus;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	rep->create_err = vc_create(fd, name, CG_VIDEO);
	if (rep->create_err)
		_exit(0);
	rep->stage = 2;
	if (mapped) {
		map = mmap(NULL, CG_VIDEO, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			_exit(5);
		/*
		 * The page tables first, a page in each 2 MiB: a page table
		 * allocated at the limit is charged without __GFP_RETRY_MAYFAIL
		 * and would call the OOM killer, the kernel's doing, not ours.
		 */
		for (off = 0; off < CG_VIDEO; off += 2 * MiB)
			map[off] = 0x5a;
		off = 0;
	}
	errno = 0;
	before = memcg_current_fd(cur);
	if (!sigsetjmp(memcg_jmp, 1)) {
		while (off < CG_VIDEO) {
			if (off == CG_FIRST)
				rep->charged = memcg_current_fd(cur) - before;
			if (mapped) {
				memset(map + off, 0x5a, PAGE);
				off += PAGE;
				continue;
			}
			n = pwrite(fd, buf, sizeof(buf), off);
			if (n <= 0) {
				rep->err = n ? errno : EIO;
				break;
			}
			off += n;
		}
	} else {
		rep->sigbus = 1;
	}
	/* Give the cgroup's memory back first, then say what happened. */
	if (map != MAP_FAILED)
		munmap(map, CG_VIDEO);
	close(fd);
	rep->written = off;
	rep->stage = 3;
	_exit(0);
}

enum memcg_how { BY_PWRITE, BY_MMAP, BY_VCACHECTL };

/* Reads @path whole, into the page cache: 0 or -errno. */
static int precache(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n ? -EIO : 0;
}

/*
 * The files the test has mapped (its own program, libc, the loader) into
 * the page cache, charged here. The loader runs their code in the cgroup:
 * a page of it read back there is charged to the cgroup, which reclaim at
 * the limit takes again, and its refault, charged without
 * __GFP_RETRY_MAYFAIL, calls the OOM killer on the loader (as for
 * vcachectl above). hog_oom_killed_with_shrinker_off before this test
 * leaves the page cache all but empty.
 */
static void precache_maps(void)
{
	char line[512], last[512] = "", *path;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		path = strchr(line, '/');
		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, last))
			precache(path);
		snprintf(last, sizeof(last), "%s", path);
	}
	fclose(f);
}

/* A file of @len bytes in /tmp for vcachectl to load; its path in @path. */
static int make_file(char *path, size_t size, uint64_t len)
{
	static uint8_t buf[MiB];
	uint64_t off;
	int fd;

	snprintf(path, size, "/tmp/vcache-memcg-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	memset(buf, 0, sizeof(buf));
	for (off = 0; off < len; off += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != sizeof(buf)) {
			close(fd);
			unlink(path);
			return -EIO;
		}
	close(fd);
	return 0;
}

/*
 * Forks a loader into a cgroup of CG_MAX bytes, lets it load a video of
 * CG_VIDEO bytes as @how says, and checks that the load stopped at the
 * cgroup's limit, cleanly, leaving nothing behind.
 */
static void memcg_load(struct __test_metadata *_metadata, enum memcg_how how)
{
	static const char *const hows[] = { "pwrite", "mmap", "vcachectl load" };
	const char *name = vc_name(how == BY_MMAP ? "memcg-map" : "memcg-load");
	struct memcg_report *rep;
	uint64_t base, limit, kills, maxed, over, cur;
	char file[64] = "", c, *err = NULL;
	size_t err_len = 0;
	int status, go[2], errfd = -1;
	struct memcg cg;
	const char *why;
	pid_t pid;

	if (how == BY_VCACHECTL) {
		static const char *const help[] = { "--help", NULL };
		struct run r;

		VC_NEED_TREE_FILE(CTL, X_OK, "build " CTL " first (make user)");
		/*
		 * vcachectl's code in the page cache, charged here, not to the
		 * loader's cgroup: there, reclaim would evict it to make room
		 * for the video, and the refault after the limit (a charge
		 * without __GFP_RETRY_MAYFAIL: the page, 9p's request) would
		 * call the OOM killer on vcachectl. That is any program whose
		 * own pages live in the cgroup it fills with kernel memory, not
		 * the module's allocation, which this test is about.
		 */
		ASSERT_EQ(0, precache(CTL));
		ASSERT_EQ(0, run_ctl(&r, -1, -1, help));
		run_free(&r);
		errfd = memfd_create("vcachectl-stderr", 0);
		ASSERT_LE(0, errfd);
		ASSERT_EQ(0, make_file(file, sizeof(file), CG_VIDEO));
	}
	precache_maps();
	limit = vc_stats().mem_limit;
	base = vc_stats().mem_used;
	if (limit < base + CG_VIDEO + MiB)
		SKIP(goto out, "the cache's limit (%llu MiB) leaves no room for a %llu MiB video",
		     (unsigned long long)(limit / MiB), (unsigned long long)(CG_VIDEO / MiB));
	why = memcg_make(&cg, CG_MAX);
	if (why) {
		memcg_remove(&cg);
		SKIP(goto out, "%s", why);
	}
	rep = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, 0, PAGE);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		FILE *f = fopen("/proc/self/oom_score_adj", "w");

		/* Killable, whatever the test runs with: the bug shows. */
		if (f) {
			fputs("1000\n", f);
			fclose(f);
		}
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (how == BY_VCACHECTL) {
			const char *const argv[] = { CTL, "load", name, "-", "--capacity",
						     "64M", NULL };
			int nul = open("/dev/null", O_WRONLY), in = open(file, O_RDONLY);

			/*
			 * From stdin: read(2) and pwrite(2) through one buffer,
			 * so the first charge past the limit is the video's. A
			 * file's load maps window after window of the video,
			 * and a mapping's VMA, charged at the limit, would call
			 * the OOM killer on vcachectl: not the module's doing.
			 */
			dup2(in, 0);
			/* Its stdout is not the harness's TAP. */
			dup2(nul, 1);
			dup2(errfd, 2);
			execv(argv[0], (char **)argv);
			_exit(127);
		}
		memcg_loader(cg.dir, name, how == BY_MMAP, rep);
	}
	close(go[0]);
	ASSERT_EQ(0, memcg_enter(&cg, pid));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	kills = cg_value(&cg, "memory.events", "oom_kill");
	maxed = cg_value(&cg, "memory.events", "max");
	cur = cg_value(&cg, "memory.current", NULL);
	TH_LOG("%s: memory.events max %llu oom_kill %llu; memory.current %llu KiB after",
	       hows[how], (unsigned long long)maxed, (unsigned long long)kills,
	       (unsigned long long)(cur / 1024));
	if (how != BY_VCACHECTL)
		TH_LOG("%llu KiB in before the limit, %llu KiB charged for the first %llu KiB, err %d (%s), sigbus %d",
		       (unsigned long long)(rep->written / 1024),
		       (unsigned long long)(rep->charged / 1024),
		       (unsigned long long)(CG_FIRST / 1024), rep->err, strerror(rep->err),
		       rep->sigbus);
	EXPECT_EQ(0, kills) TH_LOG("the OOM killer ran in the cgroup");
	/* Stopped by the cgroup's limit, which the video's pages were charged to. */
	EXPECT_LT(0, maxed);
	if (how == BY_VCACHECTL) {
		err = slurp(errfd, &err_len);
		TH_LOG("vcachectl: exit %d, stderr: %s", WIFEXITED(status) ?
		       WEXITSTATUS(status) : 128 + WTERMSIG(status), err ? err : "");
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		ASSERT_NE(NULL, err);
		/* One line: text, then its only newline at the end. */
		EXPECT_LT(1, err_len);
		EXPECT_EQ(err + err_len - 1, strchr(err, '\n'));
		EXPECT_NE(NULL, strstr(err, "memory.max"));
		EXPECT_NE(NULL, strstr(err, strerror(ENOMEM)));
	} else {
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("the loader did not complete: %s %d",
			       WIFSIGNALED(status) ? "signal" : "exit status",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		EXPECT_EQ(0, rep->create_err);
		EXPECT_EQ(3, rep->stage);
		if (how == BY_MMAP) {
			EXPECT_EQ(1, rep->sigbus);
		} else {
			EXPECT_EQ(ENOMEM, rep->err);
		}
		EXPECT_LE(CG_FIRST, rep->written);
		EXPECT_GT(CG_MAX, rep->written);
		/* Less what the cgroup's per-CPU stock had charged before. */
		EXPECT_LE(CG_FIRST - MiB, rep->charged);
	}
	/* Nothing left: the video, its charge to the cache and to the cgroup. */
	EXPECT_EQ(-1, vc_reopen(name, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
	over = vc_settle_charged(base);
	EXPECT_EQ(0, over) TH_LOG("%llu bytes still charged to the cache",
				  (unsigned long long)over);
	cur = cg_value(&cg, "memory.current", NULL);
	EXPECT_GT(CG_FIRST, cur)
		TH_LOG("memory.current %llu after the loader", (unsigned long long)cur);
	munmap(rep, PAGE);
	vc_cleanup(name);
	memcg_remove(&cg);
out:
	free(err);
	if (errfd >= 0)
		close(errfd);
	if (file[0])
		unlink(file);
}

TEST_F(pressure, memcg_limit_pwrite_enomem)
{
	memcg_load(_metadata, BY_PWRITE);
}

TEST_F(pressure, memcg_limit_mmap_sigbus)
{
	memcg_load(_metadata, BY_MMAP);
}

TEST_F(pressure, memcg_limit_vcachectl_load)
{
	memcg_load(_metadata, BY_VCACHECTL);
}

TEST_HARNESS_MAIN
