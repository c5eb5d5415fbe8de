// SPDX-License-Identifier: GPL-2.0
/*
 * Device fuzzer: seeded, reproducible random operations on /dev/vcache.
 *
 * Each thread draws its operations from its own generator (seed, thread):
 * every ioctl of the uapi header with random and boundary arguments (sizes
 * near 0, 2^31, 2^63, 2^64 - 1; NULL, kernel, unmapped, read-only,
 * misaligned and page-straddling argument pointers), unknown ioctls,
 * read/pread/preadv2/write/pwrite/lseek, mmap/munmap/mprotect/mremap with
 * odd ranges (live streams' control page and ring included) and touches of
 * the mapped bytes, splice both ways, sendfile, kernel AIO submissions
 * (reads, writes, polls) with cancels, poll, descriptors closed with
 * mappings and AIO still in flight, and a descriptor shared by all threads.
 * Names come from a small pool, so the threads collide on them.
 *
 * Every call must succeed or fail with an errno its documentation allows
 * (the table ops[] below: the uapi header for the device, the man pages for
 * the VFS and mm around it); anything else fails the test with the seed,
 * thread and operation number. Reads that may wait are cut short by a
 * per-thread timer (EINTR is allowed where the call may sleep). At the end
 * every descriptor, mapping and AIO context is gone and the cache must hold
 * exactly what it held before: no video and no page left over. The kernel
 * log is vm-run's to judge (KASAN, lockdep, kmemleak on the debug kernel).
 *
 * Environment:
 *   VCACHE_FUZZ_SEED     seed of the random run (default 20261130)
 *   VCACHE_FUZZ_OPS      operations in the random run, all threads (20000)
 *   VCACHE_FUZZ_THREADS  threads (4); with 1 the run repeats exactly
 *   VCACHE_FUZZ_VERBOSE  1: print every operation
 * regression_seeds runs the seeds of fuzz_seeds[] (failing seeds go there).
 */
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

/*
 * Seeds run on every suite run, with their operations and threads: two
 * fixed ones (single-threaded, so exactly repeatable, and threaded), then
 * every seed that ever failed, as it failed (none has yet).
 */
static const struct { uint64_t seed; long ops; int threads; } fuzz_seeds[] = {
	{ 1, 3000, 1 },
	{ 2, 3000, 4 },
};

#define NSLOT	6
#define NMAP	24
#define NIOCB	16
#define NNAMES	8
#define BUFSZ	(1 << 20)
#define AIOBUF	(64 << 10)
#define FUZZ_MAX_MB	32

static long page_size;

/* ---- the operations and the errnos each may fail with ------------------ */

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP_SHARED, OP_SHARE,
	OP_CREATE, OP_OPEN_NAME, OP_SEAL, OP_INFO, OP_DELETE, OP_COMMIT,
	OP_STATS, OP_INDEX_APPEND, OP_LOOKUP, OP_BAD_IOCTL,
	OP_READ, OP_PREAD, OP_PREADV2, OP_WRITE, OP_PWRITE, OP_PWRITEV2,
	OP_LSEEK, OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_TOUCH,
	OP_SPLICE_READ, OP_SPLICE_WRITE, OP_SENDFILE,
	OP_AIO_SUBMIT, OP_AIO_CANCEL, OP_AIO_REAP, OP_AIO_EVENT, OP_POLL,
	OP_MAX
};

#define E(...) { __VA_ARGS__, 0 }
/* read(2) and its variants on the device. */
#define READ_ERRS EBADFD, EBADF, EINVAL, EFAULT, EAGAIN, EOVERFLOW, EINTR, EOPNOTSUPP
/* write(2) and its variants. */
#define WRITE_ERRS EBADFD, EBADF, EINVAL, EFAULT, EAGAIN, EPERM, EFBIG, ENOSPC, \
	ENOMEM, EINTR, EOPNOTSUPP

static const struct {
	const char *name;
	int weight;
	int errs[32];
} ops[OP_MAX] = {
	[OP_OPEN] = { "open", 4, E(ENOMEM) },
	[OP_CLOSE] = { "close", 3, E(0) },
	[OP_DUP_SHARED] = { "dup-shared", 2, E(0) },
	[OP_SHARE] = { "share", 1, E(0) },
	[OP_CREATE] = { "CREATE", 8, E(EBADF, EFAULT, EINVAL, EEXIST, EBUSY, ENOMEM, EFBIG,
				    ENOSPC) },
	[OP_OPEN_NAME] = { "OPEN", 6, E(EFAULT, EINVAL, ENOENT, EBUSY) },
	[OP_SEAL] = { "SEAL", 3, E(EINVAL, EBADFD, EBADF, EBUSY) },
	[OP_INFO] = { "INFO", 4, E(EFAULT, EBADFD) },
	[OP_DELETE] = { "DELETE", 3, E(EBADF, EFAULT, EINVAL, ENOENT) },
	[OP_COMMIT] = { "COMMIT", 3, E(EBADFD, EBADF, EFAULT, EINVAL, EPERM, EFBIG) },
	[OP_STATS] = { "STATS", 2, E(EFAULT) },
	[OP_INDEX_APPEND] = { "INDEX_APPEND", 5, E(EBADFD, EBADF, EFAULT, EINVAL, E2BIG, EPERM,
					       ENOSPC, ENOMEM, EINTR) },
	[OP_LOOKUP] = { "LOOKUP", 5, E(EBADFD, EFAULT, EINVAL, ENODATA, ERANGE, EINTR) },
	[OP_BAD_IOCTL] = { "unknown-ioctl", 2, E(ENOTTY) },
	[OP_READ] = { "read", 4, E(READ_ERRS) },
	[OP_PREAD] = { "pread", 5, E(READ_ERRS) },
	[OP_PREADV2] = { "preadv2", 3, E(READ_ERRS) },
	[OP_WRITE] = { "write", 5, E(WRITE_ERRS) },
	[OP_PWRITE] = { "pwrite", 6, E(WRITE_ERRS) },
	[OP_PWRITEV2] = { "pwritev2", 2, E(WRITE_ERRS) },
	[OP_LSEEK] = { "lseek", 3, E(EBADFD, EINVAL, ENXIO) },
	[OP_MMAP] = { "mmap", 6, E(EBADFD, EINVAL, EPERM, EACCES, ENOMEM, EOVERFLOW, ENODEV) },
	[OP_MUNMAP] = { "munmap", 3, E(EINVAL) },
	[OP_MPROTECT] = { "mprotect", 3, E(EACCES, EINVAL, ENOMEM) },
	[OP_MREMAP] = { "mremap", 2, E(EFAULT, EINVAL, ENOMEM) },
	[OP_TOUCH] = { "touch", 6, E(0) },
	[OP_SPLICE_READ] = { "splice-read", 3, E(READ_ERRS, ENOMEM, ESPIPE) },
	[OP_SPLICE_WRITE] = { "splice-write", 2, E(WRITE_ERRS, ESPIPE) },
	[OP_SENDFILE] = { "sendfile", 2, E(READ_ERRS, ENOMEM) },
	[OP_AIO_SUBMIT] = { "io_submit", 5, E(EAGAIN, EBADF, EINVAL, EFAULT, ENOMEM,
					       EOPNOTSUPP) },
	[OP_AIO_CANCEL] = { "io_cancel", 2, E(EINVAL, EINPROGRESS, EAGAIN) },
	[OP_AIO_REAP] = { "io_getevents", 3, E(EINTR) },
	/* The result of a completed AIO request (not drawn: reaped). */
	[OP_AIO_EVENT] = { "aio-result", 0, E(READ_ERRS, WRITE_ERRS, ECANCELED, ENOMEM) },
	[OP_POLL] = { "poll", 2, E(0) },
};

static int weight_total;

static bool errno_allowed(enum op op, int err)
{
	const int *e;

	for (e = ops[op].errs; *e; e++)
		if (*e == err)
			return true;
	return false;
}

/* ---- per-thread state ---------------------------------------------------- */

struct slot {
	int fd;			/* -1: free */
	int oflags;
	bool bound, follow, live, created;
	uint64_t last_pts;	/* for sane index entries */
};

struct map {
	char *addr;		/* NULL: free */
	size_t len;
	int prot;
};

struct fuzzer {
	uint64_t seed;
	uint64_t rng;
	int id;
	long ops, done;
	int verbose;
	struct slot slots[NSLOT];
	struct map maps[NMAP];
	aio_context_t ctx;
	struct iocb iocbs[NIOCB];
	bool iocb_busy[NIOCB];
	char *aiobuf;
	int pipefd[2];
	int devnull;
	char *buf;		/* BUFSZ, read-write */
	char *arena;		/* [read-write][read-only][no access] pages */
	timer_t timer;
	long count[OP_MAX], fails[OP_MAX];
	char failure[512];
};

/* Names shared by every thread, so that they race on them. */
static char names[NNAMES][VCACHE_NAME_MAX];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static int shared_fd = -1;
/* Names outside the pool that CREATE took (random bytes can be valid). */
static char extra_names[64][VCACHE_NAME_MAX];
static int nr_extra;

static void note_name(const char *name)
{
	int i;

	pthread_mutex_lock(&shared_lock);
	for (i = 0; i < nr_extra; i++)
		if (!memcmp(extra_names[i], name, VCACHE_NAME_MAX))
			break;
	if (i == nr_extra && nr_extra < 64)
		memcpy(extra_names[nr_extra++], name, VCACHE_NAME_MAX);
	pthread_mutex_unlock(&shared_lock);
}

static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t touching;
static __thread volatile int touch_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	if (touching) {
		touch_sig = sig;
		siglongjmp(touch_jmp, 1);
	}
	/* A fault outside a touch is the fuzzer's own bug: die loudly. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_timer(int sig)
{
}

/* ---- random numbers -------------------------------------------------------- */

static uint64_t next(struct fuzzer *f)
{
	/* splitmix64 */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct fuzzer *f, uint64_t n)
{
	return n ? next(f) % n : 0;
}

static bool chance(struct fuzzer *f, int percent)
{
	return below(f, 100) < (uint64_t)percent;
}

static const uint64_t boundaries[] = {
	0, 1, 2, 3, 187, 188, 4095, 4096, 4097, 16384, 65535, 65536, 65537,
	(1ULL << 20), (1ULL << 20) + 1, (1ULL << 31) - 1, 1ULL << 31, (1ULL << 32) - 1,
	1ULL << 32, (1ULL << 62), (1ULL << 63) - 1, 1ULL << 63, (1ULL << 63) + 1,
	~0ULL - 4095, ~0ULL - 1, ~0ULL,
};

/* A size or offset: boundaries, small, page multiples or anything. */
static uint64_t pick_u64(struct fuzzer *f)
{
	switch (below(f, 8)) {
	case 0: case 1: case 2:
		return boundaries[below(f, sizeof(boundaries) / sizeof(boundaries[0]))];
	case 3: case 4:
		return below(f, 1 << 20);
	case 5:
		return below(f, 256) * page_size;
	case 6:
		return below(f, 64 << 20);
	default:
		return next(f);
	}
}

/* An offset into a video: mostly small, where its data is. */
static uint64_t pick_off(struct fuzzer *f)
{
	return chance(f, 80) ? below(f, 512 << 10) : pick_u64(f);
}

static size_t pick_len(struct fuzzer *f)
{
	switch (below(f, 6)) {
	case 0:
		return below(f, 16);
	case 1:
		return page_size * (1 + below(f, 4));
	case 2:
		return below(f, BUFSZ) + 1;
	default:
		return below(f, 16384) + 1;
	}
}

/* ---- argument pointers ------------------------------------------------------ */

enum ptr_kind { P_GOOD, P_MISALIGNED, P_NULL, P_ONE, P_KERNEL, P_NOACCESS,
		P_RO, P_STRADDLE_RO, P_STRADDLE_NONE };

/*
 * Where an ioctl argument of @size bytes goes: mostly a good buffer, or a
 * bad one. *@fill says whether the caller may write the argument there.
 */
static void *arg_ptr(struct fuzzer *f, size_t size, bool *fill, bool *good)
{
	char *rw = f->arena, *ro = f->arena + page_size, *none = f->arena + 2 * page_size;
	enum ptr_kind k = chance(f, 85) ? (chance(f, 80) ? P_GOOD : P_MISALIGNED) :
				  (enum ptr_kind)(2 + below(f, 7));

	*fill = k == P_GOOD || k == P_MISALIGNED;
	*good = *fill;
	switch (k) {
	case P_GOOD:
		return rw;
	case P_MISALIGNED:
		return rw + 1 + below(f, 7);
	case P_NULL:
		return NULL;
	case P_ONE:
		return (void *)1;
	case P_KERNEL:
		return (void *)0xffff888000000000ULL;
	case P_NOACCESS:
		return none;
	case P_RO:
		/* Readable zeros: fine as input, EFAULT as output. */
		return ro;
	case P_STRADDLE_RO:
		return ro - size / 2;
	default:
		return none - size / 2;
	}
}

/* Places @arg (of @size) at a random argument pointer; returns it. */
static void *place_arg(struct fuzzer *f, const void *arg, size_t size)
{
	bool fill, good;
	void *p = arg_ptr(f, size, &fill, &good);

	if (fill)
		memcpy(p, arg, size);
	else if (p == f->arena + page_size - size / 2)
		/* Straddling into the read-only page: the first half is ours. */
		memcpy(p, arg, size / 2);
	return p;
}

/* A buffer for read/write: good, or bad in one of several ways. */
static char *io_buf(struct fuzzer *f, size_t len)
{
	switch (below(f, 20)) {
	case 0:
		return NULL;
	case 1:
		return (char *)0xffff888000000000ULL;
	case 2:
		return f->arena + page_size;		/* read-only */
	case 3:
		return f->arena + 2 * page_size;	/* no access */
	case 4:
		return f->arena + page_size - 100;	/* runs into read-only */
	default:
		return f->buf + (chance(f, 20) ? below(f, 64) : 0) * (len < BUFSZ - 64);
	}
}

/* ---- names ------------------------------------------------------------------ */

static void pick_name(struct fuzzer *f, char *name)
{
	size_t i, n;

	memset(name, 0, VCACHE_NAME_MAX);
	if (chance(f, 85)) {
		memcpy(name, names[below(f, NNAMES)], VCACHE_NAME_MAX);
		return;
	}
	switch (below(f, 10)) {
	case 0:		/* empty */
		break;
	case 1:		/* no NUL at all */
		memset(name, 'a', VCACHE_NAME_MAX);
		break;
	case 2:
		strcpy(name, ".");
		break;
	case 3:
		strcpy(name, "..");
		break;
	case 4:
		strcpy(name, "a/b");
		break;
	case 5:		/* a control character */
		strcpy(name, "ctl\x01x");
		break;
	case 6:		/* bad UTF-8 */
		strcpy(name, "\xc3\x28 bad");
		break;
	case 7:		/* junk after the NUL */
		strcpy(name, names[0]);
		name[VCACHE_NAME_MAX - 1] = 'x';
		break;
	case 8:		/* longest valid */
		memset(name, 'n', VCACHE_NAME_MAX - 1);
		break;
	default:	/* random bytes */
		n = below(f, VCACHE_NAME_MAX);
		for (i = 0; i < n; i++)
			name[i] = (char)next(f);
		break;
	}
}

/* ---- bookkeeping ---------------------------------------------------------- */

static int fail(struct fuzzer *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(f->failure, sizeof(f->failure), "seed %llu thread %d op %ld: ",
		     (unsigned long long)f->seed, f->id, f->done);
	va_start(ap, fmt);
	vsnprintf(f->failure + n, sizeof(f->failure) - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Checks a call's outcome: 0 if fine, -1 (with f->failure) if not. */
static int check(struct fuzzer *f, enum op op, long ret, int err, const char *what)
{
	if (ret >= 0)
		return 0;
	f->fails[op]++;
	if (errno_allowed(op, err))
		return 0;
	return fail(f, "%s (%s): unexpected errno %d (%s)", ops[op].name, what, err,
		    strerror(err));
}

static struct slot *any_slot(struct fuzzer *f)
{
	return &f->slots[below(f, NSLOT)];
}

/* A slot with a descriptor (bound ones preferred), or NULL. */
static struct slot *open_slot(struct fuzzer *f, bool want_bound)
{
	int i, start = below(f, NSLOT);

	for (i = 0; i < NSLOT; i++) {
		struct slot *s = &f->slots[(start + i) % NSLOT];

		if (s->fd >= 0 && (!want_bound || s->bound))
			return s;
	}
	if (want_bound)
		return open_slot(f, false);
	return NULL;
}

static void slot_reset(struct slot *s, int fd, int oflags)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->oflags = oflags;
}

/* Learns what the descriptor is bound to after a successful CREATE/OPEN. */
static void slot_learn(struct slot *s)
{
	struct vcache_info info;

	s->bound = true;
	if (!ioctl(s->fd, VCACHE_IOC_INFO, &info))
		s->live = info.state == VCACHE_STATE_LIVE || info.state == VCACHE_STATE_ENDED;
}

static void arm(struct fuzzer *f)
{
	struct itimerspec its = { .it_value = { .tv_nsec = 200 * 1000 * 1000 } };

	timer_settime(f->timer, 0, &its, NULL);
}

static void disarm(struct fuzzer *f)
{
	struct itimerspec its = { 0 };

	timer_settime(f->timer, 0, &its, NULL);
}

/* ---- the operations ----------------------------------------------------------- */

static int do_open(struct fuzzer *f)
{
	static const int modes[] = { O_RDONLY, O_RDWR, O_RDWR, O_RDWR, O_WRONLY };
	struct slot *s = any_slot(f);
	int oflags = modes[below(f, 5)] | O_CLOEXEC, fd;

	if (chance(f, 50))
		oflags |= O_NONBLOCK;
	if (chance(f, 10))
		oflags |= O_APPEND;
	if (s->fd >= 0)
		close(s->fd);	/* close mid-way: mappings and AIO may be in flight */
	s->fd = -1;
	fd = open(VCACHE_DEV, oflags);
	if (fd < 0)
		return check(f, OP_OPEN, -1, errno, "");
	slot_reset(s, fd, oflags);
	return 0;
}

static int do_close(struct fuzzer *f)
{
	struct slot *s = open_slot(f, false);

	if (!s)
		return 0;
	if (close(s->fd))
		return fail(f, "close: %s", strerror(errno));
	s->fd = -1;
	return 0;
}

/* A descriptor every thread may use at the same time. */
static int do_dup_shared(struct fuzzer *f)
{
	struct slot *s = any_slot(f);
	int fd;

	pthread_mutex_lock(&shared_lock);
	fd = shared_fd >= 0 ? dup(shared_fd) : -1;
	pthread_mutex_unlock(&shared_lock);
	if (fd < 0)
		return 0;
	if (s->fd >= 0)
		close(s->fd);
	slot_reset(s, fd, O_RDWR | O_NONBLOCK);
	/* Another thread may bind it at any time: assume the worst. */
	s->bound = true;
	s->follow = true;
	return 0;
}

static int do_share(struct fuzzer *f)
{
	int fd = open(VCACHE_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC), old;

	if (fd < 0)
		return check(f, OP_SHARE, -1, errno, "open");
	pthread_mutex_lock(&shared_lock);
	old = shared_fd;
	shared_fd = fd;
	pthread_mutex_unlock(&shared_lock);
	if (old >= 0)
		close(old);
	return 0;
}

static int do_create(struct fuzzer *f)
{
	static const uint32_t rates[][2] = {
		{ 25, 1 }, { 30000, 1001 }, { 60000, 1001 }, { 0, 1 }, { 1, 0 },
		{ 1000, 1 }, { 1001, 1 }, { 1000000, 1000000 }, { 1000001, 1 },
		{ 0xffffffff, 0xffffffff }, { 1, 1000000 },
	};
	struct slot *s = open_slot(f, false);
	struct vcache_create c;
	int r, i;
	void *p;

	if (!s)
		return 0;
	memset(&c, 0, sizeof(c));
	pick_name(f, c.name);
	i = chance(f, 80) ? below(f, 3) : below(f, sizeof(rates) / sizeof(rates[0]));
	c.fps_num = rates[i][0];
	c.fps_den = rates[i][1];
	if (chance(f, 25)) {
		c.flags = VCACHE_CREATE_LIVE;
		c.capacity = chance(f, 80) ? page_size * (4 + below(f, 60)) : pick_u64(f);
	} else {
		c.capacity = chance(f, 70) ? below(f, 2 << 20) + 1 : pick_u64(f);
	}
	if (chance(f, 4))
		c.flags |= 1U << below(f, 32);
	if (chance(f, 3))
		c.__pad = 1;
	if (chance(f, 3))
		c.reserved[below(f, 4)] = next(f);
	p = place_arg(f, &c, sizeof(c));
	r = ioctl(s->fd, VCACHE_IOC_CREATE, p);
	if (!r) {
		slot_learn(s);
		s->created = true;
		note_name(c.name);
		return 0;
	}
	return check(f, OP_CREATE, r, errno, c.name);
}

static int do_open_name(struct fuzzer *f)
{
	struct slot *s = open_slot(f, false);
	struct vcache_open o;
	int r;

	if (!s)
		return 0;
	memset(&o, 0, sizeof(o));
	pick_name(f, o.name);
	o.flags = chance(f, 30) ? VCACHE_OPEN_FOLLOW : 0;
	if (chance(f, 4))
		o.flags |= 1U << below(f, 32);
	if (chance(f, 3))
		o.__pad = 1;
	if (chance(f, 3))
		o.reserved[below(f, 3)] = 1;
	r = ioctl(s->fd, VCACHE_IOC_OPEN, place_arg(f, &o, sizeof(o)));
	if (!r) {
		slot_learn(s);
		s->follow = o.flags & VCACHE_OPEN_FOLLOW;
		return 0;
	}
	return check(f, OP_OPEN_NAME, r, errno, o.name);
}

static int do_seal(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	unsigned long arg = chance(f, 90) ? 0 : pick_u64(f);
	int r;

	if (!s)
		return 0;
	r = ioctl(s->fd, VCACHE_IOC_SEAL, arg);
	return check(f, OP_SEAL, r, errno, "");
}

static bool zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static int do_info(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	struct vcache_info *info = (void *)f->arena;
	bool fill, good;
	void *p;
	int r;

	if (!s)
		return 0;
	p = arg_ptr(f, sizeof(*info), &fill, &good);
	if (fill)
		memset(p, 0xa5, sizeof(*info));
	r = ioctl(s->fd, VCACHE_IOC_INFO, p);
	if (r)
		return check(f, OP_INFO, r, errno, "");
	if (!good)
		return fail(f, "INFO: succeeded with a bad pointer %p", p);
	info = p;
	/* Every field is written: nothing of the 0xa5 fill may show through. */
	if (info->__pad || !zeroed(info->reserved, sizeof(info->reserved)))
		return fail(f, "INFO: padding or reserved bytes not zeroed");
	if (info->state < VCACHE_STATE_LOADING || info->state > VCACHE_STATE_ENDED)
		return fail(f, "INFO: state %u", info->state);
	if (strnlen(info->name, VCACHE_NAME_MAX) == VCACHE_NAME_MAX ||
	    !zeroed(info->name + strlen(info->name), VCACHE_NAME_MAX - strlen(info->name)))
		return fail(f, "INFO: name not NUL-padded");
	if (info->state <= VCACHE_STATE_SEALED && info->size > info->capacity)
		return fail(f, "INFO: size %llu > capacity %llu",
			    (unsigned long long)info->size, (unsigned long long)info->capacity);
	if (info->tail > info->size)
		return fail(f, "INFO: tail %llu > size %llu",
			    (unsigned long long)info->tail, (unsigned long long)info->size);
	return 0;
}

static int do_delete(struct fuzzer *f)
{
	struct slot *s = open_slot(f, false);
	struct vcache_delete d;
	int r;

	if (!s)
		return 0;
	memset(&d, 0, sizeof(d));
	pick_name(f, d.name);
	if (chance(f, 3))
		d.flags = 1U << below(f, 32);
	if (chance(f, 3))
		d.reserved[below(f, 3)] = 1;
	r = ioctl(s->fd, VCACHE_IOC_DELETE, place_arg(f, &d, sizeof(d)));
	return check(f, OP_DELETE, r, errno, d.name);
}

static int do_commit(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	struct vcache_commit c;
	int r;

	if (!s)
		return 0;
	memset(&c, 0, sizeof(c));
	c.size = chance(f, 70) ? below(f, 1 << 20) : pick_u64(f);
	if (chance(f, 3))
		c.flags = 1;
	if (chance(f, 3))
		c.reserved[below(f, 2)] = 1;
	r = ioctl(s->fd, VCACHE_IOC_COMMIT, place_arg(f, &c, sizeof(c)));
	return check(f, OP_COMMIT, r, errno, "");
}

static int do_stats(struct fuzzer *f)
{
	struct slot *s = open_slot(f, false);
	struct vcache_stats *st;
	bool fill, good;
	void *p;
	int r;

	if (!s)
		return 0;
	p = arg_ptr(f, sizeof(*st), &fill, &good);
	if (fill)
		memset(p, 0xa5, sizeof(*st));
	r = ioctl(s->fd, VCACHE_IOC_STATS, p);
	if (r)
		return check(f, OP_STATS, r, errno, "");
	if (!good)
		return fail(f, "STATS: succeeded with a bad pointer %p", p);
	st = p;
	if (st->__pad || !zeroed(st->reserved, sizeof(st->reserved)))
		return fail(f, "STATS: padding or reserved bytes not zeroed");
	if (!st->mem_limit || st->videos > 1000000)
		return fail(f, "STATS: odd values (limit %llu, videos %u)",
			    (unsigned long long)st->mem_limit, st->videos);
	return 0;
}

static int do_index_append(struct fuzzer *f)
{
	static const uint32_t counts[] = { 0, 1, 2, 7, 100, VCACHE_INDEX_BATCH_MAX,
					   VCACHE_INDEX_BATCH_MAX + 1, 0x7fffffff, 0xffffffff };
	struct slot *s = open_slot(f, true);
	struct vcache_index_entry *e = (void *)f->buf;
	struct vcache_index_append a;
	uint32_t i, n, room = BUFSZ / sizeof(*e);
	bool sane = chance(f, 60);
	int r;

	if (!s)
		return 0;
	memset(&a, 0, sizeof(a));
	a.count = chance(f, 75) ? below(f, 64) + 1 : counts[below(f, 9)];
	n = a.count < room ? a.count : room;
	for (i = 0; i < n && i < 4096; i++) {
		if (sane) {
			/* Sorted, below a small size: often what the video has. */
			s->last_pts += below(f, 7200);
			e[i].pts = s->last_pts;
			e[i].offset = (uint64_t)i * 188 * below(f, 64);
			e[i].flags = chance(f, 30) ? VCACHE_INDEX_KEY : 0;
			e[i].__pad = 0;
		} else {
			e[i].pts = pick_u64(f);
			e[i].offset = pick_u64(f);
			e[i].flags = (uint32_t)next(f) & (chance(f, 80) ? 1 : ~0U);
			e[i].__pad = chance(f, 90) ? 0 : 1;
		}
	}
	/* Entries past the first 4096 (when count is huge) are what buf holds. */
	a.entries = (uintptr_t)(chance(f, 90) ? (char *)e :
				(char *)io_buf(f, (size_t)n * sizeof(*e)));
	if (chance(f, 3))
		a.flags = 1;
	if (chance(f, 3))
		a.reserved[below(f, 2)] = 1;
	arm(f);
	r = ioctl(s->fd, VCACHE_IOC_INDEX_APPEND, place_arg(f, &a, sizeof(a)));
	disarm(f);
	return check(f, OP_INDEX_APPEND, r, errno, "");
}

static int do_lookup(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	struct vcache_lookup l, *out;
	bool fill, good;
	void *p;
	int r;

	if (!s)
		return 0;
	memset(&l, 0, sizeof(l));
	l.mode = chance(f, 90) ? 1 + below(f, 4) : (uint32_t)next(f);
	l.flags = chance(f, 80) ? below(f, 2) : (uint32_t)next(f);
	l.tc.hh = chance(f, 80) ? below(f, 2) : (uint8_t)next(f);
	l.tc.mm = chance(f, 80) ? below(f, 60) : (uint8_t)next(f);
	l.tc.ss = chance(f, 80) ? below(f, 60) : (uint8_t)next(f);
	l.tc.ff = chance(f, 80) ? below(f, 30) : (uint8_t)next(f);
	l.pts = chance(f, 60) ? below(f, 1 << 22) : pick_u64(f);
	l.offset = pick_off(f);
	if (chance(f, 3))
		l.__pad = 1;
	if (chance(f, 3))
		l.__pad2 = 1;
	if (chance(f, 3))
		l.reserved[below(f, 4)] = 1;
	if (chance(f, 5)) {
		/* Output fields on input are ignored. */
		l.frame = next(f);
		l.key_offset = next(f);
	}
	p = arg_ptr(f, sizeof(l), &fill, &good);
	if (fill)
		memcpy(p, &l, sizeof(l));
	arm(f);
	r = ioctl(s->fd, VCACHE_IOC_LOOKUP, p);
	disarm(f);
	if (r)
		return check(f, OP_LOOKUP, r, errno, "");
	if (!good)
		return fail(f, "LOOKUP: succeeded with a bad pointer %p", p);
	out = p;
	if (out->__pad2 || !zeroed(out->reserved, sizeof(out->reserved)))
		return fail(f, "LOOKUP: __pad2 or reserved not zeroed");
	return 0;
}

static int do_bad_ioctl(struct fuzzer *f)
{
	static const unsigned long good[] = {
		VCACHE_IOC_CREATE, VCACHE_IOC_OPEN, VCACHE_IOC_SEAL, VCACHE_IOC_INFO,
		VCACHE_IOC_DELETE, VCACHE_IOC_COMMIT, VCACHE_IOC_STATS,
		VCACHE_IOC_INDEX_APPEND, VCACHE_IOC_LOOKUP,
	};
	struct slot *s = open_slot(f, false);
	unsigned long cmd;
	size_t i;
	int r;

	if (!s)
		return 0;
	switch (below(f, 4)) {
	case 0:		/* a tty's question: isatty() asks it */
		cmd = 0x5401;	/* TCGETS */
		break;
	case 1:		/* a real command number with the wrong size or direction */
		cmd = good[below(f, 9)] ^ (1UL << (16 + below(f, 16)));
		break;
	default:
		cmd = _IOC(below(f, 4), VCACHE_IOC_MAGIC, below(f, 256), below(f, 1 << 14));
		break;
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cmd == good[i])
			return 0;
	r = ioctl(s->fd, cmd, chance(f, 50) ? (void *)f->arena : NULL);
	if (!r)
		return fail(f, "ioctl %#lx: succeeded", cmd);
	return check(f, OP_BAD_IOCTL, r, errno, "");
}

/* Would a read on @s wait? Then make it not wait, mostly. */
static int read_flags(struct fuzzer *f, struct slot *s)
{
	if ((s->follow || s->live) && !(s->oflags & O_NONBLOCK) && chance(f, 95))
		return RWF_NOWAIT;
	return 0;
}

static int do_read(struct fuzzer *f, enum op op)
{
	struct slot *s = open_slot(f, true);
	size_t len = pick_len(f);
	char *b = io_buf(f, len);
	struct iovec iov[3];
	int flags;
	long r;

	if (!s)
		return 0;
	flags = read_flags(f, s);
	if (len > BUFSZ)
		len = BUFSZ;
	arm(f);
	if (op == OP_READ && !flags) {
		r = read(s->fd, b, len);
	} else if (op == OP_PREAD && !flags) {
		r = pread(s->fd, b, len, (off_t)pick_off(f));
	} else {
		iov[0].iov_base = b;
		iov[0].iov_len = len / 2;
		iov[1].iov_base = f->buf + BUFSZ / 2;
		iov[1].iov_len = len - len / 2;
		iov[2].iov_base = io_buf(f, 16);
		iov[2].iov_len = chance(f, 80) ? 0 : 16;
		if (chance(f, 5))
			flags |= chance(f, 50) ? RWF_HIPRI : (int)(1U << below(f, 31));
		r = preadv2(s->fd, iov, 1 + below(f, 3), chance(f, 20) ? -1 : (off_t)pick_off(f),
			    flags);
		op = OP_PREADV2;
	}
	disarm(f);
	if (r > (long)len + 16)
		return fail(f, "%s returned %ld for %zu bytes", ops[op].name, r, len);
	return check(f, op, r, errno, "");
}

static int do_write(struct fuzzer *f, enum op op)
{
	struct slot *s = open_slot(f, true);
	size_t len = pick_len(f) / (chance(f, 80) ? 4 : 1);
	char *b = io_buf(f, len);
	struct iovec iov[2];
	long r;

	if (!s)
		return 0;
	if (b == f->buf)
		vc_fill((uint8_t *)b, len < 4096 ? len : 4096, f->seed, 0);
	arm(f);
	if (op == OP_WRITE) {
		r = write(s->fd, b, len);
	} else if (op == OP_PWRITE) {
		r = pwrite(s->fd, b, len, (off_t)pick_off(f));
	} else {
		int flags = chance(f, 30) ? RWF_NOWAIT : 0;

		if (chance(f, 10))
			flags |= chance(f, 50) ? RWF_APPEND | RWF_DSYNC : (int)(1U << below(f, 31));
		iov[0].iov_base = b;
		iov[0].iov_len = len;
		iov[1].iov_base = f->buf;
		iov[1].iov_len = below(f, 5000);
		r = pwritev2(s->fd, iov, 1 + below(f, 2), (off_t)pick_off(f), flags);
	}
	disarm(f);
	return check(f, op, r, errno, "");
}

static int do_lseek(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	off_t r;

	if (!s)
		return 0;
	r = lseek(s->fd, (off_t)(chance(f, 50) ? pick_off(f) : pick_u64(f)),
		  chance(f, 90) ? (int)below(f, 5) : (int)next(f));
	return check(f, OP_LSEEK, r < 0 ? -1 : 0, errno, "");
}

static struct map *free_map(struct fuzzer *f)
{
	int i;

	for (i = 0; i < NMAP; i++)
		if (!f->maps[i].addr)
			return &f->maps[i];
	return NULL;
}

static struct map *used_map(struct fuzzer *f)
{
	int i, start = below(f, NMAP);

	for (i = 0; i < NMAP; i++)
		if (f->maps[(start + i) % NMAP].addr)
			return &f->maps[(start + i) % NMAP];
	return NULL;
}

static int do_mmap(struct fuzzer *f)
{
	static const int prots[] = { PROT_READ, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC };
	struct slot *s = open_slot(f, true);
	struct map *m = free_map(f);
	uint64_t pages, pgoff;
	int prot, flags;
	size_t len;
	void *a;

	if (!s)
		return 0;
	if (!m) {
		/* Full: drop one, keeping the table's churn going. */
		m = used_map(f);
		munmap(m->addr, m->len);
		m->addr = NULL;
	}
	pages = chance(f, 85) ? 1 + below(f, 32) : pick_u64(f) / page_size;
	len = chance(f, 95) ? pages * page_size : pick_u64(f);
	switch (below(f, 6)) {
	case 0:		/* a live stream's control page */
		pgoff = 0;
		break;
	case 1:		/* its ring's first copy */
		pgoff = VCACHE_LIVE_DATA_PGOFF;
		break;
	case 2:
		pgoff = below(f, 64);
		break;
	case 3:
		pgoff = pick_u64(f) / page_size;
		break;
	default:
		pgoff = below(f, 8);
		break;
	}
	prot = prots[below(f, 6)];
	flags = chance(f, 90) ? MAP_SHARED : (chance(f, 50) ? MAP_PRIVATE : MAP_SHARED_VALIDATE);
	a = mmap(NULL, len, prot, flags, s->fd,
		 chance(f, 97) ? (off_t)(pgoff * page_size) : (off_t)pick_u64(f));
	if (a == MAP_FAILED)
		return check(f, OP_MMAP, -1, errno, "");
	m->addr = a;
	m->len = (len + page_size - 1) & ~(page_size - 1);
	m->prot = prot;
	return 0;
}

/* Replaces [m) by what is left of it around [a, a + len): up to two maps. */
static void map_cut(struct fuzzer *f, struct map *m, char *a, size_t len, int prot,
		    bool keep_middle)
{
	char *s = m->addr, *e = m->addr + m->len, *b = a + len;
	struct map *n;
	int oldprot = m->prot;

	if (a < s)
		a = s;
	if (b > e)
		b = e;
	m->addr = NULL;
	if (a > s) {
		m->addr = s;
		m->len = a - s;
		m->prot = oldprot;
	}
	if (keep_middle && b > a) {
		n = m->addr ? free_map(f) : m;
		if (n) {
			n->addr = a;
			n->len = b - a;
			n->prot = prot;
		} else {
			munmap(a, b - a);
		}
	}
	if (b < e) {
		n = m->addr ? free_map(f) : m;
		if (n) {
			n->addr = b;
			n->len = e - b;
			n->prot = oldprot;
		} else {
			munmap(b, e - b);
		}
	}
}

static int do_munmap(struct fuzzer *f)
{
	struct map *m = used_map(f);
	size_t off, len;

	if (!m)
		return 0;
	if (chance(f, 50)) {
		if (munmap(m->addr, m->len))
			return fail(f, "munmap of a whole mapping: %s", strerror(errno));
		m->addr = NULL;
		return 0;
	}
	/* Inside the mapping only: anything else would unmap our own memory. */
	off = below(f, m->len / page_size) * page_size;
	len = (1 + below(f, (m->len - off) / page_size)) * page_size;
	if (chance(f, 10))
		len -= 1 + below(f, page_size - 1);	/* rounds up to the page */
	if (chance(f, 5))
		off += 1 + below(f, 64);		/* EINVAL */
	if (munmap(m->addr + off, len))
		return check(f, OP_MUNMAP, -1, errno, "");
	if (off % page_size)
		return fail(f, "munmap at a misaligned address succeeded");
	map_cut(f, m, m->addr + off, (len + page_size - 1) & ~(page_size - 1), 0, false);
	return 0;
}

static int do_mprotect(struct fuzzer *f)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE };
	struct map *m = used_map(f);
	size_t off, len;
	int prot;

	if (!m)
		return 0;
	off = below(f, m->len / page_size) * page_size;
	len = (1 + below(f, (m->len - off) / page_size)) * page_size;
	if (chance(f, 5))
		off += 1;
	prot = prots[below(f, 4)];
	if (mprotect(m->addr + off, len, prot))
		return check(f, OP_MPROTECT, -1, errno, "");
	/* PROT_WRITE alone reads too on x86. */
	map_cut(f, m, m->addr + off, len, prot, true);
	return 0;
}

static int do_mremap(struct fuzzer *f)
{
	struct map *m = used_map(f);
	size_t nlen = (1 + below(f, 40)) * page_size;
	void *a;

	if (!m)
		return 0;
	a = mremap(m->addr, m->len, nlen, chance(f, 50) ? MREMAP_MAYMOVE : 0);
	if (a == MAP_FAILED)
		return check(f, OP_MREMAP, -1, errno, "");
	m->addr = a;
	m->len = nlen;
	return 0;
}

static int do_touch(struct fuzzer *f)
{
	struct map *m = used_map(f);
	volatile char *p;
	bool wr;

	if (!m || m->prot == PROT_NONE)
		return 0;
	p = m->addr + below(f, m->len);
	wr = (m->prot & PROT_WRITE) && chance(f, 40);
	touch_sig = 0;
	if (sigsetjmp(touch_jmp, 1) == 0) {
		touching = 1;
		if (wr)
			*p = (char)next(f);
		else
			(void)*p;
		touching = 0;
	} else {
		touching = 0;
		/* SIGBUS: past the data, or no memory left for the page. */
		if (touch_sig != SIGBUS)
			return fail(f, "touch %s at %p (prot %d): signal %d",
				    wr ? "write" : "read", p, m->prot, touch_sig);
		f->fails[OP_TOUCH]++;
	}
	return 0;
}

static void drain_pipe(struct fuzzer *f)
{
	while (read(f->pipefd[0], f->buf, BUFSZ) > 0)
		;
}

static int do_splice_read(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	loff_t off = (loff_t)pick_off(f), *offp = chance(f, 80) ? &off : NULL;
	long r;

	if (!s)
		return 0;
	arm(f);
	r = splice(s->fd, offp, f->pipefd[1], NULL, pick_len(f),
		   chance(f, 90) ? SPLICE_F_NONBLOCK : 0);
	disarm(f);
	drain_pipe(f);
	return check(f, OP_SPLICE_READ, r, errno, "");
}

static int do_splice_write(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	loff_t off = (loff_t)pick_off(f), *offp = chance(f, 80) ? &off : NULL;
	size_t len = below(f, 65536) + 1;
	long r, w;

	if (!s)
		return 0;
	vc_fill((uint8_t *)f->buf, len, f->seed, off);
	w = write(f->pipefd[1], f->buf, len);
	if (w < 0)
		w = 0;
	arm(f);
	r = splice(f->pipefd[0], NULL, s->fd, offp, chance(f, 90) ? (size_t)w : pick_len(f),
		   SPLICE_F_NONBLOCK);
	disarm(f);
	drain_pipe(f);
	return check(f, OP_SPLICE_WRITE, r, errno, "");
}

static int do_sendfile(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	off_t off = (off_t)pick_off(f);
	long r;

	if (!s)
		return 0;
	arm(f);
	r = sendfile(f->devnull, s->fd, chance(f, 80) ? &off : NULL, pick_len(f));
	disarm(f);
	return check(f, OP_SENDFILE, r, errno, "");
}

static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long sys_io_cancel(aio_context_t ctx, struct iocb *iocb, struct io_event *ev)
{
	return syscall(SYS_io_cancel, ctx, iocb, ev);
}

static long sys_io_getevents(aio_context_t ctx, long min, long n, struct io_event *ev,
			     struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, n, ev, ts);
}

static int aio_result(struct fuzzer *f, struct io_event *ev)
{
	long i = (long)ev->data;

	if (i < 0 || i >= NIOCB || !f->iocb_busy[i])
		return fail(f, "AIO event for an unknown request %ld", i);
	f->iocb_busy[i] = false;
	f->count[OP_AIO_EVENT]++;
	if (f->iocbs[i].aio_lio_opcode == IOCB_CMD_POLL)
		return 0;
	if (ev->res > (long long)f->iocbs[i].aio_nbytes && f->iocbs[i].aio_lio_opcode < 7)
		return fail(f, "AIO result %lld for %llu bytes", (long long)ev->res,
			    (unsigned long long)f->iocbs[i].aio_nbytes);
	return check(f, OP_AIO_EVENT, ev->res < 0 ? -1 : 0, (int)-ev->res, "event");
}

static int do_aio_reap(struct fuzzer *f)
{
	struct io_event ev[NIOCB];
	struct timespec ts = { 0 };
	long n, i;

	arm(f);
	n = sys_io_getevents(f->ctx, 0, NIOCB, ev, &ts);
	disarm(f);
	if (n < 0)
		return check(f, OP_AIO_REAP, -1, errno, "");
	for (i = 0; i < n; i++)
		if (aio_result(f, &ev[i]))
			return -1;
	return 0;
}

static int do_aio_submit(struct fuzzer *f)
{
	static const int cmds[] = { IOCB_CMD_PREAD, IOCB_CMD_PREAD, IOCB_CMD_PWRITE,
				    IOCB_CMD_PREADV, IOCB_CMD_PWRITEV, IOCB_CMD_POLL,
				    IOCB_CMD_FSYNC, IOCB_CMD_NOOP };
	struct slot *s = open_slot(f, true);
	struct iocb *list[4];
	struct iovec *iov;
	int i, n = 0, want = 1 + below(f, 4);
	long r;

	if (!s)
		return 0;
	for (i = 0; i < NIOCB && n < want; i++) {
		struct iocb *cb = &f->iocbs[i];
		char *b = f->aiobuf + (size_t)i * AIOBUF;

		if (f->iocb_busy[i])
			continue;
		memset(cb, 0, sizeof(*cb));
		cb->aio_data = i;
		cb->aio_fildes = chance(f, 97) ? s->fd : (uint32_t)next(f);
		cb->aio_lio_opcode = cmds[below(f, 8)];
		cb->aio_offset = (int64_t)pick_off(f);
		cb->aio_nbytes = below(f, AIOBUF / 2) + 1;
		cb->aio_buf = (uintptr_t)(chance(f, 90) ? b : io_buf(f, cb->aio_nbytes));
		if (cb->aio_lio_opcode == IOCB_CMD_PREADV || cb->aio_lio_opcode == IOCB_CMD_PWRITEV) {
			/* Two pieces; the vector lives at the end of the buffer. */
			iov = (struct iovec *)(b + AIOBUF - 2 * sizeof(*iov));
			iov[0].iov_base = b;
			iov[0].iov_len = cb->aio_nbytes / 2;
			iov[1].iov_base = b + AIOBUF / 2;
			iov[1].iov_len = cb->aio_nbytes - cb->aio_nbytes / 2;
			cb->aio_buf = (uintptr_t)(chance(f, 95) ? (char *)iov : io_buf(f, 32));
			cb->aio_nbytes = 2;
		} else if (cb->aio_lio_opcode == IOCB_CMD_POLL) {
			cb->aio_buf = chance(f, 90) ? POLLIN | POLLOUT : next(f) & 0xffff;
			cb->aio_nbytes = 0;
			cb->aio_offset = 0;
		}
		if (chance(f, 10))
			cb->aio_rw_flags = chance(f, 70) ? RWF_NOWAIT : (int)(1U << below(f, 31));
		if (chance(f, 3))
			cb->aio_reqprio = 1;
		list[n++] = cb;
		f->iocb_busy[i] = true;
	}
	if (!n)
		return do_aio_reap(f);
	r = sys_io_submit(f->ctx, n, list);
	if (r < 0) {
		for (i = 0; i < n; i++)
			f->iocb_busy[list[i]->aio_data] = false;
		return check(f, OP_AIO_SUBMIT, -1, errno, "");
	}
	/* Those not submitted (the first failed one and after) are free. */
	for (i = r; i < n; i++)
		f->iocb_busy[list[i]->aio_data] = false;
	return 0;
}

static int do_aio_cancel(struct fuzzer *f)
{
	struct io_event ev;
	int i, start = below(f, NIOCB);
	long r;

	for (i = 0; i < NIOCB; i++) {
		int k = (start + i) % NIOCB;

		if (!f->iocb_busy[k])
			continue;
		r = sys_io_cancel(f->ctx, &f->iocbs[k], &ev);
		return check(f, OP_AIO_CANCEL, r, errno, "");
	}
	return 0;
}

static int do_poll(struct fuzzer *f)
{
	struct slot *s = open_slot(f, false);
	struct pollfd p;

	if (!s)
		return 0;
	p.fd = s->fd;
	p.events = POLLIN | POLLOUT | POLLPRI;
	if (poll(&p, 1, 0) < 0)
		return fail(f, "poll: %s", strerror(errno));
	if (p.revents & POLLNVAL)
		return fail(f, "poll: POLLNVAL on an open descriptor");
	return 0;
}

static int run_op(struct fuzzer *f, enum op op)
{
	switch (op) {
	case OP_OPEN: return do_open(f);
	case OP_CLOSE: return do_close(f);
	case OP_DUP_SHARED: return do_dup_shared(f);
	case OP_SHARE: return do_share(f);
	case OP_CREATE: return do_create(f);
	case OP_OPEN_NAME: return do_open_name(f);
	case OP_SEAL: return do_seal(f);
	case OP_INFO: return do_info(f);
	case OP_DELETE: return do_delete(f);
	case OP_COMMIT: return do_commit(f);
	case OP_STATS: return do_stats(f);
	case OP_INDEX_APPEND: return do_index_append(f);
	case OP_LOOKUP: return do_lookup(f);
	case OP_BAD_IOCTL: return do_bad_ioctl(f);
	case OP_READ: case OP_PREAD: case OP_PREADV2: return do_read(f, op);
	case OP_WRITE: case OP_PWRITE: case OP_PWRITEV2: return do_write(f, op);
	case OP_LSEEK: return do_lseek(f);
	case OP_MMAP: return do_mmap(f);
	case OP_MUNMAP: return do_munmap(f);
	case OP_MPROTECT: return do_mprotect(f);
	case OP_MREMAP: return do_mremap(f);
	case OP_TOUCH: return do_touch(f);
	case OP_SPLICE_READ: return do_splice_read(f);
	case OP_SPLICE_WRITE: return do_splice_write(f);
	case OP_SENDFILE: return do_sendfile(f);
	case OP_AIO_SUBMIT: return do_aio_submit(f);
	case OP_AIO_CANCEL: return do_aio_cancel(f);
	case OP_AIO_REAP: return do_aio_reap(f);
	case OP_POLL: return do_poll(f);
	default: return 0;
	}
}

static enum op pick_op(struct fuzzer *f)
{
	int w = below(f, weight_total), i;

	for (i = 0; i < OP_MAX; i++) {
		w -= ops[i].weight;
		if (w < 0)
			return i;
	}
	return OP_POLL;
}

static void *fuzz_thread(void *arg)
{
	struct fuzzer *f = arg;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 1 };
	struct io_event ev[NIOCB];
	int i, rc = 0;

	sev._sigev_un._tid = syscall(SYS_gettid);	/* sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &sev, &f->timer))
		return (void *)(long)fail(f, "timer_create: %s", strerror(errno));
	for (f->done = 0; f->done < f->ops && !rc; f->done++) {
		enum op op = pick_op(f);

		if (f->verbose)
			fprintf(stderr, "# t%d %ld %s\n", f->id, f->done, ops[op].name);
		f->count[op]++;
		rc = run_op(f, op);
	}
	/* Tear down with everything possibly in flight. */
	for (i = 0; i < NSLOT; i++)
		if (f->slots[i].fd >= 0)
			close(f->slots[i].fd);
	for (i = 0; i < NMAP; i++)
		if (f->maps[i].addr)
			munmap(f->maps[i].addr, f->maps[i].len);
	if (!rc) {
		/* Queued reads of videos that no longer grow: cancel them. */
		for (i = 0; i < NIOCB; i++)
			if (f->iocb_busy[i])
				sys_io_cancel(f->ctx, &f->iocbs[i], &ev[0]);
		while (!rc) {
			struct timespec ts = { .tv_sec = 5 };
			long n, busy = 0, k;

			for (k = 0; k < NIOCB; k++)
				busy += f->iocb_busy[k];
			if (!busy)
				break;
			n = sys_io_getevents(f->ctx, 1, NIOCB, ev, &ts);
			if (n <= 0 && errno != EINTR) {
				rc = fail(f, "%ld AIO requests never completed after io_cancel", busy);
				break;
			}
			for (k = 0; k < n && !rc; k++)
				rc = aio_result(f, &ev[k]);
		}
	}
	timer_delete(f->timer);
	return (void *)(long)rc;
}

static void print_counts(struct fuzzer *fz, int threads)
{
	long total = 0, t, e;
	int op, i;

	for (op = 0; op < OP_MAX; op++) {
		for (t = 0, e = 0, i = 0; i < threads; i++) {
			t += fz[i].count[op];
			e += fz[i].fails[op];
		}
		total += op == OP_AIO_EVENT ? 0 : t;
		printf("#   %-14s %8ld calls, %8ld failed as allowed\n", ops[op].name, t, e);
	}
	printf("# %ld operations\n", total);
}

/* Runs one seed; 0 or -1 with the reason printed. */
static int fuzz_run(uint64_t seed, long nops, int threads, int verbose)
{
	struct fuzzer *fz = calloc(threads, sizeof(*fz));
	pthread_t *tid = calloc(threads, sizeof(*tid));
	struct vcache_stats before, after;
	unsigned int old_mb = vc_get_max_mb();
	struct timespec t0, t1;
	int i, j, rc = 0, ctl;
	void *ret;

	printf("# fuzz: seed %llu, %ld operations, %d threads\n",
	       (unsigned long long)seed, nops, threads);
	for (i = 0; i < NNAMES; i++)
		snprintf(names[i], VCACHE_NAME_MAX, "fz%d-%d", getpid(), i);
	before = vc_stats();
	/* A small cache: ENOSPC and eviction happen. */
	vc_set_max_mb(FUZZ_MAX_MB);
	for (i = 0; i < threads; i++) {
		struct fuzzer *f = &fz[i];

		f->seed = seed;
		f->rng = seed * 0x100000001b3ULL + i;
		f->id = i;
		f->ops = nops / threads + (i < nops % threads);
		f->verbose = verbose;
		for (j = 0; j < NSLOT; j++)
			f->slots[j].fd = -1;
		f->buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		f->aiobuf = mmap(NULL, NIOCB * AIOBUF, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		f->arena = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (f->buf == MAP_FAILED || f->aiobuf == MAP_FAILED || f->arena == MAP_FAILED ||
		    mprotect(f->arena + page_size, page_size, PROT_READ) ||
		    mprotect(f->arena + 2 * page_size, page_size, PROT_NONE) ||
		    pipe2(f->pipefd, O_NONBLOCK | O_CLOEXEC) ||
		    (f->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 ||
		    syscall(SYS_io_setup, NIOCB, &f->ctx)) {
			printf("# fuzz: setup: %s\n", strerror(errno));
			return -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, fuzz_thread, &fz[i])) {
			printf("# fuzz: pthread_create failed\n");
			return -1;
		}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], &ret);
		if (ret) {
			printf("# FAIL: %s\n", fz[i].failure);
			rc = -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_counts(fz, threads);
	printf("# %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < threads; i++) {
		syscall(SYS_io_destroy, fz[i].ctx);
		close(fz[i].pipefd[0]);
		close(fz[i].pipefd[1]);
		close(fz[i].devnull);
		munmap(fz[i].buf, BUFSZ);
		munmap(fz[i].aiobuf, NIOCB * AIOBUF);
		munmap(fz[i].arena, 3 * page_size);
	}
	if (shared_fd >= 0)
		close(shared_fd);
	shared_fd = -1;

	/* Everything let go: the cache holds what it held before. */
	ctl = open(VCACHE_DEV, O_RDWR);
	for (i = 0; i < NNAMES; i++)
		vc_delete(ctl, names[i]);
	for (i = 0; i < nr_extra; i++)
		vc_delete(ctl, extra_names[i]);
	nr_extra = 0;
	close(ctl);
	vc_set_max_mb(old_mb);
	/*
	 * Videos other tests left behind may have been evicted meanwhile (the
	 * run shrinks the cache): then the cache may hold less, never more.
	 */
	for (i = 0; i < 50; i++) {
		after = vc_stats();
		if (after.mem_used <= before.mem_used && after.videos <= before.videos)
			break;
		usleep(100 * 1000);	/* deferred AIO completions drop their refs */
	}
	if (after.videos > before.videos || after.mem_used > before.mem_used ||
	    (after.evictions == before.evictions &&
	     (after.videos != before.videos || after.mem_used != before.mem_used))) {
		printf("# FAIL: seed %llu: the cache did not return to its state: videos %u -> %u, mem_used %llu -> %llu\n",
		       (unsigned long long)seed, before.videos, after.videos,
		       (unsigned long long)before.mem_used, (unsigned long long)after.mem_used);
		rc = -1;
	}
	free(fz);
	free(tid);
	return rc;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoll(v, NULL, 0) : def;
}

static void fuzz_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct sigaction st = { .sa_handler = on_timer };	/* no SA_RESTART */
	int i;

	page_size = sysconf(_SC_PAGESIZE);
	weight_total = 0;
	for (i = 0; i < OP_MAX; i++)
		weight_total += ops[i].weight;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGRTMIN + 1, &st, NULL);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd < 0)
		SKIP(return, "no %s", VCACHE_DEV);
	close(fd);
	fuzz_init();
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The random run: VCACHE_FUZZ_SEED, VCACHE_FUZZ_OPS, VCACHE_FUZZ_THREADS. */
TEST_F_TIMEOUT(fuzz, random_ops, 3600)
{
	uint64_t seed = (uint64_t)env_long("VCACHE_FUZZ_SEED", 20261130);
	long nops = env_long("VCACHE_FUZZ_OPS", 20000);
	long threads = env_long("VCACHE_FUZZ_THREADS", 4);

	ASSERT_GT(nops, 0);
	ASSERT_GT(threads, 0);
	ASSERT_LE(threads, 64);
	ASSERT_EQ(0, fuzz_run(seed, nops, (int)threads, (int)env_long("VCACHE_FUZZ_VERBOSE", 0)))
		TH_LOG("rerun: make fuzz SEED=%llu OPS=%ld THREADS=%ld",
		       (unsigned long long)seed, nops, threads);
}

/* Seeds that once failed, each as it failed. */
TEST_F_TIMEOUT(fuzz, regression_seeds, 1800)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(fuzz_seeds) / sizeof(fuzz_seeds[0]); i++)
		if (fuzz_run(fuzz_seeds[i].seed, fuzz_seeds[i].ops, fuzz_seeds[i].threads, 0))
			bad++;
	ASSERT_EQ(0, bad);
}

TEST_HARNESS_MAIN
