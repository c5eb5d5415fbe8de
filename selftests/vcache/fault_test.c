// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every memory allocation vcache makes on the way of an
 * operation fails in turn, and the operation must fail cleanly.
 *
 * /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION) makes the Nth
 * allocation of this thread fail; failslab and fail_page_alloc are set to
 * count only allocations with vcache's code on the stack (their
 * require-start/require-end stack filter, CONFIG_FAULT_INJECTION_STACKTRACE_
 * FILTER), to fail sleeping ones too, and to stay quiet. For N = 1, 2, ...
 * each case runs its operation until one run no longer reaches the Nth
 * allocation. After every injected failure:
 *   - the call failed with ENOMEM, or coped (a shorter write, a kmalloc
 *     falling back to vmalloc) and then did exactly what it reports;
 *   - no half-built video is visible: a failed CREATE leaves no name
 *     (OPEN fails with ENOENT) and the video count as it was; a failed
 *     INDEX_APPEND leaves the index as it was (all or nothing);
 *   - once everything is closed the cache's memory (STATS mem_used) is
 *     back where it was: nothing charged and forgotten.
 * Leaks of kernel memory are kmemleak's to find (vm-run -k debug scans after
 * the run). Kernels without fault injection (Debian's) skip.
 */
#include <linux/aio_abi.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define DBG		"/sys/kernel/debug"
#define MAX_NTH		400
#define KMSG_MARK	"vcache-fault-test: injecting allocation failures"

static const char *const attr_dirs[] = { DBG "/failslab", DBG "/fail_page_alloc" };
/* Attribute settings, and the values they had (restored at the end). */
static const char *const attr_names[] = {
	"ignore-gfp-wait", "verbose", "require-start", "require-end", "stacktrace-depth",
	"ignore-gfp-highmem", "min-order",
};

static char saved[2][7][64];

static int nth_fd = -1;
static long faults;	/* injected failures, all cases */

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The range of vcache's code: from its text's start, its whole size. */
static int module_range(unsigned long long *start, unsigned long long *end)
{
	char line[256], name[64], state[32];
	unsigned long long size, addr;
	FILE *f = fopen("/proc/modules", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %*d %*s %31s %llx", name, &size, state, &addr) == 4 &&
		    !strcmp(name, "vcache") && addr) {
			*start = addr;
			*end = addr + size;
			found = 0;
		}
	fclose(f);
	return found;
}

static void nth_set(int n)
{
	char b[16];

	snprintf(b, sizeof(b), "%d", n);
	if (pwrite(nth_fd, b, strlen(b), 0) < 0)
		abort();
}

/* Stops injecting; true if the Nth allocation was reached (and failed). */
static bool nth_fired(void)
{
	char b[16] = "";
	int left;

	if (pread(nth_fd, b, sizeof(b) - 1, 0) < 0)
		abort();
	left = atoi(b);
	nth_set(0);
	if (!left)
		faults++;
	return !left;
}

static struct vcache_stats base;

static void pattern_buf(uint8_t *b, size_t n, uint64_t seed)
{
	vc_fill(b, n, seed, 0);
}

/* What must hold once all is closed: the cache as it was. */
static int settled(struct __test_metadata *_metadata, int n, const char *what)
{
	struct vcache_stats now;
	int i;

	for (i = 0; i < 50; i++) {
		now = vc_stats();
		if (now.mem_used == base.mem_used && now.videos == base.videos)
			return 0;
		usleep(20000);	/* deferred AIO completions let go */
	}
	TH_LOG("%s, fault %d: cache not back: videos %u -> %u, mem_used %llu -> %llu", what, n,
	       base.videos, now.videos, (unsigned long long)base.mem_used,
	       (unsigned long long)now.mem_used);
	return -1;
}

FIXTURE(fi) {
	char name[VCACHE_NAME_MAX];
	uint8_t *buf;
};

FIXTURE_SETUP(fi)
{
	unsigned long long start, end;
	char path[128], val[64];
	int i, j;

	if (access(DBG "/failslab", F_OK) || access(DBG "/fail_page_alloc", F_OK) ||
	    access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no fault injection in this kernel (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	if (access(DBG "/failslab/require-start", F_OK))
		SKIP(return, "no CONFIG_FAULT_INJECTION_STACKTRACE_FILTER: cannot aim at vcache");
	ASSERT_EQ(0, module_range(&start, &end));
	for (i = 0; i < 2; i++)
		for (j = 0; j < 7; j++) {
			snprintf(path, sizeof(path), "%s/%s", attr_dirs[i], attr_names[j]);
			saved[i][j][0] = 0;
			if (read_str(path, saved[i][j], sizeof(saved[i][j])) < 0)
				continue;	/* not every attribute is in both */
			switch (j) {
			case 0:
				strcpy(val, "N");
				break;
			case 1:
				strcpy(val, "0");
				break;
			case 2:
				snprintf(val, sizeof(val), "%llu", start);
				break;
			case 3:
				snprintf(val, sizeof(val), "%llu", end);
				break;
			case 4:
				strcpy(val, "32");
				break;
			case 5:
				strcpy(val, "N");
				break;
			default:
				strcpy(val, "0");
				break;
			}
			ASSERT_EQ(0, write_str(path, val)) TH_LOG("cannot set %s", path);
		}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_GE(nth_fd, 0);
	/* vm-stage2 lets allocation-failure reports through after this. */
	write_str("/dev/kmsg", KMSG_MARK);
	snprintf(self->name, sizeof(self->name), "%s", vc_name("fi"));
	self->buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	base = vc_stats();
}

FIXTURE_TEARDOWN(fi)
{
	char path[128];
	int i, j;

	if (nth_fd < 0)
		return;
	nth_set(0);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 7; j++) {
			if (!saved[i][j][0])
				continue;
			snprintf(path, sizeof(path), "%s/%s", attr_dirs[i], attr_names[j]);
			/* require-* read back in hex ("0x..."), which they accept. */
			write_str(path, saved[i][j]);
		}
	TH_LOG("%ld allocation failures injected", faults);
}

/* A writable descriptor bound to a new LOADING video of @cap bytes. */
static int new_video(const char *name, uint64_t cap)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd < 0 || vc_create(fd, name, cap)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

TEST_F_TIMEOUT(fi, open, 300)
{
	int n, fd;

	for (n = 1; n < MAX_NTH; n++) {
		nth_set(n);
		fd = open(VCACHE_DEV, O_RDWR);
		if (!nth_fired()) {
			ASSERT_GE(fd, 0);
			close(fd);
			break;
		}
		if (fd < 0) {
			ASSERT_EQ(ENOMEM, errno);
		} else {
			close(fd);
		}
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_EQ(0, settled(_metadata, n, "open"));
}

static void create_case(struct __test_metadata *_metadata, const char *name, bool live)
{
	struct vcache_create c;
	int n, fd, fd2, r;

	for (n = 1; n < MAX_NTH; n++) {
		fd = open(VCACHE_DEV, O_RDWR);
		ASSERT_GE(fd, 0);
		memset(&c, 0, sizeof(c));
		strcpy(c.name, name);
		c.capacity = live ? 64 * 4096 : 1 << 20;
		c.fps_num = 25;
		c.fps_den = 1;
		c.flags = live ? VCACHE_CREATE_LIVE : 0;
		nth_set(n);
		r = vc_ioctl(fd, VCACHE_IOC_CREATE, &c);
		if (!nth_fired()) {
			ASSERT_EQ(0, r);
			close(fd);
			break;
		}
		fd2 = open(VCACHE_DEV, O_RDONLY);
		ASSERT_GE(fd2, 0);
		if (r) {
			ASSERT_EQ(-ENOMEM, r) TH_LOG("fault %d", n);
			/* Nothing half-built under the name. */
			ASSERT_EQ(-ENOENT, vc_open_name(fd2, name)) TH_LOG("fault %d", n);
			ASSERT_EQ(base.videos, vc_stats().videos);
			/* The descriptor is still unbound and usable. */
			ASSERT_EQ(0, vc_create(fd, vc_name("fi-after"), 4096));
		} else {
			struct vcache_info info;

			/* It coped: the video is whole. */
			ASSERT_EQ(0, vc_open_name(fd2, name));
			info = vc_info(fd2);
			ASSERT_EQ(live ? VCACHE_STATE_LIVE : VCACHE_STATE_LOADING, info.state);
		}
		close(fd2);
		close(fd);	/* a loading or live video with no user goes away */
		if (!live) {
			ASSERT_EQ(0, settled(_metadata, n, "create"));
		} else {
			/* An ended live stream keeps its name: delete it. */
			fd2 = open(VCACHE_DEV, O_RDWR);
			vc_delete(fd2, name);
			vc_delete(fd2, vc_name("fi-after"));
			close(fd2);
			ASSERT_EQ(0, settled(_metadata, n, "live create"));
		}
	}
	ASSERT_LT(n, MAX_NTH);
	TH_LOG("%d allocations on the way", n - 1);
}

TEST_F_TIMEOUT(fi, create, 300)
{
	create_case(_metadata, self->name, false);
}

TEST_F_TIMEOUT(fi, create_live, 300)
{
	create_case(_metadata, self->name, true);
}

/* Loading: a 256 KiB pwrite into a fresh video, each page's allocation failing in turn. */
TEST_F_TIMEOUT(fi, load_write, 600)
{
	const size_t len = 256 << 10;
	struct vcache_info info;
	uint8_t *back = self->buf + len;
	int n, fd;
	ssize_t w;

	pattern_buf(self->buf, len, 7);
	for (n = 1; n < MAX_NTH; n++) {
		fd = new_video(self->name, 1 << 20);
		ASSERT_GE(fd, 0);
		nth_set(n);
		w = pwrite(fd, self->buf, len, 0);
		if (!nth_fired()) {
			ASSERT_EQ((ssize_t)len, w);
			close(fd);
			break;
		}
		if (w < 0) {
			ASSERT_EQ(ENOMEM, errno) TH_LOG("fault %d: %s", n, strerror(errno));
		} else {
			ASSERT_LE(w, (ssize_t)len);
		}
		info = vc_info(fd);
		/* The size is what the write reported, the bytes are ours. */
		ASSERT_EQ(w < 0 ? 0 : (uint64_t)w, info.size) TH_LOG("fault %d", n);
		if (w > 0) {
			ASSERT_EQ(w, pread(fd, back, w, 0));
			ASSERT_EQ(-1, vc_verify(back, w, 7, 0));
		}
		close(fd);
		ASSERT_EQ(0, settled(_metadata, n, "write"));
	}
	ASSERT_LT(n, MAX_NTH);
	TH_LOG("%d allocations on the way", n - 1);
}

/* Index append: all entries or none, on an empty and on a grown index. */
TEST_F_TIMEOUT(fi, index_append, 600)
{
	struct vcache_index_entry *e = (void *)self->buf;
	struct vcache_index_append a;
	uint64_t before;
	int n, fd, r, i, round;

	for (i = 0; i < 5000; i++) {
		e[i].pts = (uint64_t)i * 3600;
		e[i].offset = (uint64_t)i * 188;
		e[i].flags = i % 25 ? 0 : VCACHE_INDEX_KEY;
		e[i].__pad = 0;
	}
	for (round = 0; round < 2; round++) {
		for (n = 1; n < MAX_NTH; n++) {
			fd = new_video(self->name, 1 << 20);
			ASSERT_GE(fd, 0);
			/* Offsets must lie below the size. */
			ASSERT_EQ(1, pwrite(fd, "x", 1, 5000 * 188));
			memset(&a, 0, sizeof(a));
			if (round) {
				/* An index to grow: 100 entries first. */
				a.entries = (uintptr_t)e;
				a.count = 100;
				ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a));
			}
			before = vc_info(fd).index_entries;
			a.entries = (uintptr_t)(e + before);
			a.count = 4000;
			nth_set(n);
			r = vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a);
			if (!nth_fired()) {
				ASSERT_EQ(0, r);
				close(fd);
				break;
			}
			if (r) {
				ASSERT_EQ(-ENOMEM, r) TH_LOG("fault %d", n);
				ASSERT_EQ(before, vc_info(fd).index_entries);
			} else {
				ASSERT_EQ(before + 4000, vc_info(fd).index_entries);
			}
			close(fd);
			ASSERT_EQ(0, settled(_metadata, n, "index append"));
		}
		ASSERT_LT(n, MAX_NTH);
		TH_LOG("round %d: %d allocations on the way", round, n - 1);
	}
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* mmap and first touches of a writable mapping: pages come from faults. */
TEST_F_TIMEOUT(fi, mmap_touch, 600)
{
	const int pages = 16;
	volatile uint8_t *m;
	struct sigaction sa = { .sa_handler = on_bus }, old;
	volatile int touched;	/* survives the SIGBUS longjmp */
	int n, fd, p;
	bool fired;

	sigaction(SIGBUS, &sa, &old);
	for (n = 1; n < MAX_NTH; n++) {
		fd = new_video(self->name, 1 << 20);
		ASSERT_GE(fd, 0);
		touched = 0;
		nth_set(n);
		m = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED && !sigsetjmp(bus_jmp, 1))
			for (; touched < pages; touched++)
				m[touched * 4096 + 5] = (uint8_t)(touched + 1);
		fired = nth_fired();
		if (m == MAP_FAILED) {
			ASSERT_TRUE(fired);
			ASSERT_EQ(ENOMEM, errno);
		} else {
			/* What was written reads back, through the descriptor too. */
			for (p = 0; p < touched; p++) {
				ASSERT_EQ(p + 1, m[p * 4096 + 5]);
			}
			munmap((void *)m, pages * 4096);
			if (touched) {
				struct vcache_commit c = { .size = touched * 4096 };
				uint8_t b;

				ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_COMMIT, &c));
				ASSERT_EQ(1, pread(fd, &b, 1, (touched - 1) * 4096 + 5));
				ASSERT_EQ(touched, b);
			}
		}
		close(fd);
		ASSERT_EQ(0, settled(_metadata, n, "mmap"));
		if (!fired) {
			ASSERT_EQ(pages, touched);
			break;
		}
	}
	sigaction(SIGBUS, &old, NULL);
	ASSERT_LT(n, MAX_NTH);
	TH_LOG("%d allocations on the way", n - 1);
}

/* splice_read of a sealed video into a big pipe (page array allocations). */
TEST_F_TIMEOUT(fi, splice_read, 600)
{
	const size_t len = 512 << 10;
	int n, fd, rd, pfd[2];
	ssize_t r, got;
	bool fired;
	loff_t off;

	fd = new_video(self->name, len);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_write_pattern(fd, len, 9));
	ASSERT_EQ(0, vc_seal(fd));
	rd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_EQ(0, vc_open_name(rd, self->name));
	for (n = 1; n < MAX_NTH; n++) {
		ASSERT_EQ(0, pipe(pfd));
		ASSERT_GE(fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20), (int)len);
		off = 0;
		nth_set(n);
		r = splice(rd, &off, pfd[1], NULL, len, SPLICE_F_NONBLOCK);
		fired = nth_fired();
		if (!fired) {
			ASSERT_EQ((ssize_t)len, r);
		} else if (r < 0) {
			ASSERT_EQ(ENOMEM, errno) TH_LOG("fault %d: %s", n, strerror(errno));
		}
		if (r > 0) {
			got = read(pfd[0], self->buf, len);
			ASSERT_EQ(r, got);
			ASSERT_EQ(-1, vc_verify(self->buf, got, 9, 0));
			ASSERT_EQ(r, off);
		}
		close(pfd[0]);
		close(pfd[1]);
		if (!fired)
			break;
	}
	close(rd);
	vc_delete(fd, self->name);
	close(fd);
	ASSERT_EQ(0, settled(_metadata, n, "splice"));
	ASSERT_LT(n, MAX_NTH);
}

/* An AIO read that has to wait: its queue entry's allocation fails. */
TEST_F_TIMEOUT(fi, aio_queued_read, 300)
{
	struct io_event ev;
	struct timespec ts = { 10, 0 };
	struct iocb cb, *list[1] = { &cb };
	aio_context_t ctx = 0;
	struct vcache_open o;
	int n, fd, rd;
	bool fired;
	long r;

	ASSERT_EQ(0, syscall(SYS_io_setup, 4, &ctx));
	for (n = 1; n < MAX_NTH; n++) {
		fd = new_video(self->name, 1 << 20);
		ASSERT_GE(fd, 0);
		rd = open(VCACHE_DEV, O_RDONLY);
		ASSERT_GE(rd, 0);
		memset(&o, 0, sizeof(o));
		o.flags = VCACHE_OPEN_FOLLOW;
		strcpy(o.name, self->name);
		ASSERT_EQ(0, vc_ioctl(rd, VCACHE_IOC_OPEN, &o));
		memset(&cb, 0, sizeof(cb));
		cb.aio_fildes = rd;
		cb.aio_lio_opcode = IOCB_CMD_PREAD;
		cb.aio_buf = (uintptr_t)self->buf;
		cb.aio_nbytes = 100;
		nth_set(n);
		r = syscall(SYS_io_submit, ctx, 1, list);
		fired = nth_fired();
		if (fired) {
			/* Failed at once, or queued anyway: either way it completes. */
			if (r < 0) {
				ASSERT_EQ(ENOMEM, errno);
			}
		} else {
			ASSERT_EQ(1, r);
		}
		ASSERT_EQ(100, pwrite(fd, self->buf + 4096, 100, 0));
		if (r == 1) {
			ASSERT_EQ(1, syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts));
			ASSERT_TRUE(ev.res == 100 || ev.res == -ENOMEM)
				TH_LOG("fault %d: result %lld", n, (long long)ev.res);
		}
		close(rd);
		close(fd);
		ASSERT_EQ(0, settled(_metadata, n, "aio"));
		if (!fired)
			break;
	}
	syscall(SYS_io_destroy, ctx);
	ASSERT_LT(n, MAX_NTH);
}

TEST_HARNESS_MAIN
