// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: for a bounded time, readers check every byte they get (pread,
 * mmap, splice, AIO) while writers create, load (write and mmap + COMMIT),
 * seal and delete videos under a small memory limit, so that the cache
 * evicts all along. Each video has a unique name and content that is a
 * function of its number and the offset (vc_byte), so any byte out of place
 * is a mismatch; there must be none.
 *
 * Between rounds the module is unloaded and loaded again: while a
 * descriptor or a mapping is open, unloading must fail (the kernel answers
 * delete_module(2) with EWOULDBLOCK, rmmod(8) says "in use"); once all is
 * closed it must succeed, and a fresh module starts empty. The reload needs
 * the module's path: vm-run exports VCACHE_KO (without it the rounds run
 * without reloading).
 *
 * VCACHE_STRESS_SECS (default 60) is the whole run's length;
 * VCACHE_STRESS_ROUNDS (default 3) the number of rounds.
 *
 * The pressure round (issue 18) runs the same readers and writers while
 * the system is short of memory and reclaim runs all along: "echo 3 >
 * drop_caches" (every shrinker, ours too), "echo 1 > compact_memory" (pages
 * moved under the readers, though ours are not movable) and a child that
 * takes all the memory available, over and over. VCACHE_PRESSURE_SECS
 * (default 20) is its length.
 */
#include <linux/aio_abi.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define STRESS_MAX_MB	16
#define NVIDEOS		64
#define NREADERS	4
#define NWRITERS	2

struct entry {
	char name[VCACHE_NAME_MAX];
	uint64_t seed, size;
	bool valid;
};

static struct {
	pthread_mutex_t lock;
	struct entry e[NVIDEOS];
	int stop;		/* __atomic: the threads poll it */
	long mismatches, reads, bytes_checked, created, deleted, enospc, gone;
	long unexpected;
	char why[256];
	unsigned int next_id;
	int round;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void note_unexpected(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st.lock);
	if (!st.unexpected++) {
		va_start(ap, fmt);
		vsnprintf(st.why, sizeof(st.why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&st.lock);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A copy of a random sealed video's entry; false if there is none. */
static bool pick(uint64_t *r, struct entry *out)
{
	int i, start = rnd(r) % NVIDEOS;
	bool found = false;

	pthread_mutex_lock(&st.lock);
	for (i = 0; i < NVIDEOS && !found; i++)
		if (st.e[(start + i) % NVIDEOS].valid) {
			*out = st.e[(start + i) % NVIDEOS];
			found = true;
		}
	pthread_mutex_unlock(&st.lock);
	return found;
}

static void check_bytes(const uint8_t *b, size_t n, const struct entry *e, uint64_t off,
			const char *how)
{
	long bad = vc_verify(b, n, e->seed, off);

	__atomic_add_fetch(&st.bytes_checked, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st.reads, 1, __ATOMIC_RELAXED);
	if (bad >= 0) {
		__atomic_add_fetch(&st.mismatches, 1, __ATOMIC_RELAXED);
		note_unexpected("%s: %s byte %llu differs", how, e->name,
				(unsigned long long)(off + bad));
	}
}

static void *reader(void *arg)
{
	long kind = (long)arg;
	uint64_t r = 0x1234567 + kind * 7919;
	uint8_t *buf = malloc(2 << 20);
	aio_context_t ctx = 0;
	int pfd[2] = { -1, -1 };

	if (kind == 2 && (pipe(pfd) || fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20) < 0))
		note_unexpected("pipe: %s", strerror(errno));
	if (kind == 3 && syscall(SYS_io_setup, 4, &ctx))
		note_unexpected("io_setup: %s", strerror(errno));
	while (!__atomic_load_n(&st.stop, __ATOMIC_RELAXED)) {
		struct vcache_info info;
		struct entry e;
		uint64_t off, len;
		int fd, err;

		if (!pick(&r, &e)) {
			usleep(1000);
			continue;
		}
		fd = open(VCACHE_DEV, O_RDONLY);
		err = vc_open_name(fd, e.name);
		if (err == -ENOENT) {	/* deleted or evicted meanwhile */
			__atomic_add_fetch(&st.gone, 1, __ATOMIC_RELAXED);
			close(fd);
			continue;
		}
		if (err) {
			note_unexpected("OPEN %s: %s", e.name, strerror(-err));
			close(fd);
			continue;
		}
		info = vc_info(fd);
		if (info.state != VCACHE_STATE_SEALED || info.size != e.size) {
			__atomic_add_fetch(&st.mismatches, 1, __ATOMIC_RELAXED);
			note_unexpected("INFO %s: state %u size %llu, expected sealed, %llu",
					e.name, info.state, (unsigned long long)info.size,
					(unsigned long long)e.size);
		}
		off = rnd(&r) % e.size;
		len = 1 + rnd(&r) % (e.size - off);
		if (len > (1 << 20))
			len = 1 << 20;
		switch (kind) {
		case 0: {	/* pread */
			ssize_t n = pread(fd, buf, len, off);

			if (n != (ssize_t)len)
				note_unexpected("pread %s: %zd of %llu", e.name, n,
						(unsigned long long)len);
			else
				check_bytes(buf, n, &e, off, "pread");
			break;
		}
		case 1: {	/* mmap */
			size_t mlen = (e.size + 4095) & ~4095ULL;
			uint8_t *m = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, 0);

			if (m == MAP_FAILED) {
				note_unexpected("mmap %s: %s", e.name, strerror(errno));
				break;
			}
			check_bytes(m + off, len, &e, off, "mmap");
			munmap(m, mlen);
			break;
		}
		case 2: {	/* splice */
			loff_t o = off;
			ssize_t n = splice(fd, &o, pfd[1], NULL, len, SPLICE_F_NONBLOCK), got = 0;

			if (n <= 0) {
				note_unexpected("splice %s: %zd (%s)", e.name, n, strerror(errno));
				break;
			}
			while (got < n) {
				ssize_t k = read(pfd[0], buf + got, n - got);

				if (k <= 0)
					break;
				got += k;
			}
			check_bytes(buf, got, &e, off, "splice");
			break;
		}
		default: {	/* AIO */
			struct iocb cb = { 0 }, *l[1] = { &cb };
			struct io_event ev;
			struct timespec ts = { 10, 0 };

			cb.aio_fildes = fd;
			cb.aio_lio_opcode = IOCB_CMD_PREAD;
			cb.aio_buf = (uintptr_t)buf;
			cb.aio_nbytes = len;
			cb.aio_offset = off;
			if (syscall(SYS_io_submit, ctx, 1, l) != 1 ||
			    syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts) != 1 ||
			    ev.res != (long long)len) {
				note_unexpected("AIO read %s failed", e.name);
				break;
			}
			check_bytes(buf, len, &e, off, "aio");
			break;
		}
		}
		close(fd);
	}
	if (ctx)
		syscall(SYS_io_destroy, ctx);
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	free(buf);
	return NULL;
}

static __thread sigjmp_buf bus_jmp;

/* A writable mapping's page past the memory limit: SIGBUS, as documented. */
static void on_bus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* Creates, loads, seals one video; deletes one now and then. */
static void *writer(void *arg)
{
	long id = (long)arg;
	uint64_t r = 0xabcdef + id * 104729;
	uint8_t *buf = malloc(2 << 20);

	while (!__atomic_load_n(&st.stop, __ATOMIC_RELAXED)) {
		struct entry e = { 0 };
		uint64_t off = 0;
		int fd, err = 0, slot;

		e.seed = __atomic_add_fetch(&st.next_id, 1, __ATOMIC_RELAXED);
		snprintf(e.name, sizeof(e.name), "st%d-%d-%llu", getpid(), st.round,
			 (unsigned long long)e.seed);
		e.size = 1 + rnd(&r) % (2 << 20);
		fd = open(VCACHE_DEV, O_RDWR);
		err = vc_create(fd, e.name, e.size);
		if (err) {
			if (err != -ENOSPC)
				note_unexpected("CREATE %s: %s", e.name, strerror(-err));
			close(fd);
			continue;
		}
		if (rnd(&r) % 4 == 0) {
			/* Through a writable mapping, then COMMIT. */
			/* volatile: they must survive the SIGBUS longjmp. */
			volatile size_t mlen = (e.size + 4095) & ~4095ULL;
			uint8_t *volatile m = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED,
						   fd, 0);
			struct vcache_commit c = { .size = e.size };

			if (m == MAP_FAILED) {
				note_unexpected("mmap rw %s: %s", e.name, strerror(errno));
				close(fd);
				continue;
			}
			vc_fill(buf, e.size, e.seed, 0);
			if (sigsetjmp(bus_jmp, 1)) {
				munmap((void *)m, mlen);
				__atomic_add_fetch(&st.enospc, 1, __ATOMIC_RELAXED);
				close(fd);
				continue;
			}
			memcpy((void *)m, buf, e.size);
			munmap((void *)m, mlen);
			err = vc_ioctl(fd, VCACHE_IOC_COMMIT, &c);
		} else {
			while (off < e.size && !err) {
				size_t n = 1 + rnd(&r) % (256 << 10);
				ssize_t w;

				if (n > e.size - off)
					n = e.size - off;
				vc_fill(buf, n, e.seed, off);
				w = pwrite(fd, buf, n, off);
				if (w <= 0)
					err = w < 0 ? -errno : -EIO;
				else
					off += w;
			}
		}
		if (!err)
			err = vc_seal(fd);
		if (err) {
			if (err == -ENOSPC)
				__atomic_add_fetch(&st.enospc, 1, __ATOMIC_RELAXED);
			else
				note_unexpected("loading %s: %s", e.name, strerror(-err));
			close(fd);	/* abandoned: the cache drops it */
			continue;
		}
		e.valid = true;
		__atomic_add_fetch(&st.created, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&st.lock);
		slot = rnd(&r) % NVIDEOS;
		if (st.e[slot].valid && rnd(&r) % 2) {
			/* Delete the video this one replaces in the table. */
			struct entry old = st.e[slot];

			st.e[slot] = e;
			pthread_mutex_unlock(&st.lock);
			err = vc_delete(fd, old.name);
			if (err && err != -ENOENT)
				note_unexpected("DELETE %s: %s", old.name, strerror(-err));
			__atomic_add_fetch(&st.deleted, 1, __ATOMIC_RELAXED);
		} else {
			st.e[slot] = e;	/* the old one stays until evicted */
			pthread_mutex_unlock(&st.lock);
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "vcache", O_NONBLOCK) ? -errno : 0;
}

static int load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r;
	char params[32];

	if (fd < 0)
		return -errno;
	snprintf(params, sizeof(params), "max_mb=%d", STRESS_MAX_MB);
	r = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return r;
}

static bool module_loaded(void)
{
	return !access("/sys/module/vcache", F_OK);
}

/* Unloading fails while @fd or a mapping is open, then works; load again. */
static void reload(struct __test_metadata *_metadata, const char *ko)
{
	int fd, i, err;
	void *m;

	fd = open(VCACHE_DEV, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, vc_name("reload"), 8192));
	ASSERT_EQ(0, vc_write_pattern(fd, 8192, 3));
	err = unload();
	ASSERT_TRUE(err == -EWOULDBLOCK || err == -EBUSY) TH_LOG("unload with an fd open: %d", err);
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(8192, vc_info(fd).size);	/* still works */
	/* A mapping alone keeps it too. */
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	close(fd);
	err = unload();
	ASSERT_TRUE(err == -EWOULDBLOCK || err == -EBUSY) TH_LOG("unload with a mapping: %d", err);
	ASSERT_EQ(-1, vc_verify(m, 8192, 3, 0));
	munmap(m, 8192);
	/* Deferred AIO completions may hold the last references briefly. */
	for (i = 0; i < 100; i++) {
		err = unload();
		if (err != -EWOULDBLOCK && err != -EBUSY)
			break;
		usleep(20000);
	}
	ASSERT_EQ(0, err) TH_LOG("unload with nothing open: %s", strerror(-err));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(0, load(ko));
	/* devtmpfs makes the node again; give udev-less /dev a moment. */
	for (i = 0; i < 100 && access(VCACHE_DEV, F_OK); i++)
		usleep(10000);
	ASSERT_EQ(0, vc_stats().videos);
	ASSERT_EQ(0, vc_stats().mem_used);
}

FIXTURE(stress) {
	unsigned int old_mb;
};

FIXTURE_SETUP(stress)
{
	struct sigaction sa = { .sa_handler = on_bus, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
	self->old_mb = vc_get_max_mb();
	ASSERT_EQ(0, vc_set_max_mb(STRESS_MAX_MB));
}

FIXTURE_TEARDOWN(stress)
{
	if (module_loaded())
		vc_set_max_mb(self->old_mb);
}

TEST_F_TIMEOUT(stress, readers_writers_reload, 7200)
{
	const char *ko = getenv("VCACHE_KO");
	long secs = getenv("VCACHE_STRESS_SECS") ? atol(getenv("VCACHE_STRESS_SECS")) : 60;
	long rounds = getenv("VCACHE_STRESS_ROUNDS") ? atol(getenv("VCACHE_STRESS_ROUNDS")) : 3;
	struct vcache_stats s0 = vc_stats();
	unsigned int first_id, id;
	long evictions = 0;
	int round, i;

	ASSERT_GT(secs, 0);
	ASSERT_GT(rounds, 0);
	if (!ko || access(ko, R_OK))
		TH_LOG("no VCACHE_KO: rounds without unloading the module");
	for (round = 0; round < rounds; round++) {
		pthread_t t[NREADERS + NWRITERS];
		struct vcache_stats s;
		int ctl;

		__atomic_store_n(&st.stop, 0, __ATOMIC_RELAXED);
		st.round = round;
		first_id = st.next_id;
		memset(st.e, 0, sizeof(st.e));
		for (i = 0; i < NWRITERS; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, writer, (void *)(long)i));
		for (i = 0; i < NREADERS; i++)
			ASSERT_EQ(0, pthread_create(&t[NWRITERS + i], NULL, reader,
						    (void *)(long)i));
		usleep(secs * 1000000 / rounds);
		__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
		for (i = 0; i < NREADERS + NWRITERS; i++)
			pthread_join(t[i], NULL);
		s = vc_stats();
		evictions += s.evictions - (round ? 0 : s0.evictions);
		TH_LOG("round %d: %ld videos sealed, %ld deleted, %ld ENOSPC, %ld reads (%ld MiB) checked, %ld gone before OPEN, %llu evictions so far",
		       round, st.created, st.deleted, st.enospc, st.reads, st.bytes_checked >> 20,
		       st.gone, (unsigned long long)evictions);
		ASSERT_EQ(0, st.mismatches) TH_LOG("%s", st.why);
		ASSERT_EQ(0, st.unexpected) TH_LOG("%s", st.why);
		ASSERT_GT(st.reads, 0);
		/*
		 * Empty the cache: every page it charged must come back. The
		 * table forgets videos it replaced without deleting them: go
		 * by the numbers this round handed out.
		 */
		ctl = open(VCACHE_DEV, O_RDWR);
		for (id = first_id + 1; id <= st.next_id; id++) {
			char name[VCACHE_NAME_MAX];

			snprintf(name, sizeof(name), "st%d-%d-%u", getpid(), round, id);
			vc_delete(ctl, name);
		}
		close(ctl);
		for (i = 0; i < 100; i++) {
			s = vc_stats();
			if (s.videos <= s0.videos && s.mem_used <= s0.mem_used)
				break;
			usleep(20000);
		}
		/* (Older videos of other tests may have been evicted too.) */
		ASSERT_LE(s.videos, s0.videos);
		ASSERT_LE(s.mem_used, s0.mem_used);
		if (ko && !access(ko, R_OK)) {
			reload(_metadata, ko);
			s0 = vc_stats();
		}
	}
	/* The point of a small limit: eviction happened under the readers. */
	ASSERT_GT(evictions, 0);
}

static int write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = -errno;
	close(fd);
	return err;
}

static uint64_t mem_available(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", (unsigned long long *)&kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

static struct {
	long drops, compactions, hogs, hog_kills;
	uint64_t hog_bytes;
} pr;

/*
 * The hog, in a fresh program: this binary run again with VCACHE_HOG_BYTES
 * set. Not a fork: a forked child would keep, for as long as it lives, the
 * writable mapping a writer thread had at that moment (and SEAL of that
 * video is EBUSY while it exists), and every descriptor the threads had.
 */
__attribute__((constructor)) static void hog_main(void)
{
	const char *env = getenv("VCACHE_HOG_BYTES");
	uint64_t bytes, off;
	uint8_t *p;

	if (!env)
		return;
	bytes = strtoull(env, NULL, 0);
	/* The threads' descriptors came along (not O_CLOEXEC): let go. */
	syscall(SYS_close_range, 3, ~0U, 0);
	/* If anything is killed for memory, this process. */
	write_proc("/proc/self/oom_score_adj", "1000\n");
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	for (off = 0; off < bytes; off += 4096)
		p[off] = 1;
	_exit(0);
}

/*
 * scripts/vm-stage2 counts an OOM report in the kernel log as a splat,
 * except between these two lines: the hog asks for more than is
 * available, so the OOM killer may take it (counted in hog_kills), and
 * that is no failure. Any other splat in between still counts.
 */
#define OOM_MARK_BEGIN	"vm-run: OOM kills expected (stress_test: the hog)\n"
#define OOM_MARK_END	"vm-run: OOM kills no longer expected\n"

/* Runs the hog for @bytes of anonymous memory and waits for it. */
static int run_hog(uint64_t bytes)
{
	static char *const argv[] = { "stress_test-hog", NULL };
	char env[64];
	char *const envp[] = { env, NULL };
	int status, err;
	pid_t pid;

	snprintf(env, sizeof(env), "VCACHE_HOG_BYTES=%llu", (unsigned long long)bytes);
	/* Not every machine lets it write there: the marks are for the VM's. */
	write_proc("/dev/kmsg", OOM_MARK_BEGIN);
	err = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, envp);
	if (err) {
		write_proc("/dev/kmsg", OOM_MARK_END);
		return -err;
	}
	if (waitpid(pid, &status, 0) != pid) {
		err = errno;
		write_proc("/dev/kmsg", OOM_MARK_END);
		return -err;
	}
	write_proc("/dev/kmsg", OOM_MARK_END);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		pr.hog_kills++;
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		note_unexpected("hog: status %#x", status);
	return 0;
}

static void *presser(void *arg)
{
	int err;

	while (!__atomic_load_n(&st.stop, __ATOMIC_RELAXED)) {
		err = write_proc("/proc/sys/vm/drop_caches", "3\n");
		if (err)
			note_unexpected("drop_caches: %s", strerror(-err));
		pr.drops++;
		/* Not every kernel config has it (CONFIG_COMPACTION). */
		err = write_proc("/proc/sys/vm/compact_memory", "1\n");
		if (err && err != -ENOENT)
			note_unexpected("compact_memory: %s", strerror(-err));
		pr.compactions += !err;
		/*
		 * All that is available and a little more: reclaim has to
		 * take the page cache and call the shrinkers to find it.
		 */
		pr.hog_bytes = mem_available() + (8 << 20);
		err = run_hog(pr.hog_bytes);
		if (err)
			note_unexpected("hog: %s", strerror(-err));
		pr.hogs++;
	}
	return NULL;
}

/*
 * Readers and writers as above while reclaim runs all along: no byte out
 * of place, nothing unexpected, and the shrinker evicted under them.
 */
TEST_F_TIMEOUT(stress, pressure_hog_drop_compact, 600)
{
	long secs = getenv("VCACHE_PRESSURE_SECS") ? atol(getenv("VCACHE_PRESSURE_SECS")) : 20;
	pthread_t t[NREADERS + NWRITERS + 1];
	struct vcache_stats s0, s;
	int i, ctl;
	unsigned int id;

	ASSERT_GT(secs, 0);
	s0 = vc_stats();
	__atomic_store_n(&st.stop, 0, __ATOMIC_RELAXED);
	for (i = 0; i < NWRITERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer, (void *)(long)i));
	for (i = 0; i < NREADERS; i++)
		ASSERT_EQ(0, pthread_create(&t[NWRITERS + i], NULL, reader, (void *)(long)i));
	ASSERT_EQ(0, pthread_create(&t[NWRITERS + NREADERS], NULL, presser, NULL));
	usleep(secs * 1000000);
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NREADERS + NWRITERS + 1; i++)
		pthread_join(t[i], NULL);
	s = vc_stats();
	TH_LOG("%ld videos sealed, %ld deleted, %ld ENOSPC, %ld reads (%ld MiB) checked, %ld gone before OPEN",
	       st.created, st.deleted, st.enospc, st.reads, st.bytes_checked >> 20, st.gone);
	TH_LOG("%ld drop_caches, %ld compact_memory, %ld hogs of ~%llu MiB (%ld killed); evictions: %llu pressure, %llu limit; shrinker gave back %llu MiB",
	       pr.drops, pr.compactions, pr.hogs, (unsigned long long)(pr.hog_bytes >> 20),
	       pr.hog_kills,
	       (unsigned long long)(s.evictions_pressure - s0.evictions_pressure),
	       (unsigned long long)(s.evictions_limit - s0.evictions_limit),
	       (unsigned long long)((s.shrink_pages - s0.shrink_pages) >> 8));
	EXPECT_EQ(0, st.mismatches) TH_LOG("%s", st.why);
	EXPECT_EQ(0, st.unexpected) TH_LOG("%s", st.why);
	EXPECT_GT(st.reads, 0);
	EXPECT_GT(pr.hogs, 0);
	EXPECT_GT(s.evictions_pressure - s0.evictions_pressure, 0)
		TH_LOG("the shrinker never evicted: no pressure reached the cache");

	ctl = open(VCACHE_DEV, O_RDWR);
	for (id = 1; id <= st.next_id; id++) {
		char name[VCACHE_NAME_MAX];

		snprintf(name, sizeof(name), "st%d-%d-%u", getpid(), st.round, id);
		vc_delete(ctl, name);
	}
	close(ctl);
}

TEST_HARNESS_MAIN
