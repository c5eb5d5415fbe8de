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
 * io_uring: each thread has a ring, set up with raw system calls (the
 * selftests link no liburing), on which it submits IORING_OP_READ/WRITE
 * (IOSQE_ASYNC or not, at random offsets and past the head of a video that
 * grows, where the read waits in io_uring's worker), READ_FIXED/WRITE_FIXED
 * into buffers registered from one of its own mappings of a video (writable
 * or not: pinned pages are what makes SEAL refuse with EBUSY) or from plain
 * memory, unregisters them, cancels requests in flight
 * (IORING_OP_ASYNC_CANCEL: one, any, all on a descriptor) and reaps the
 * completions, each result checked as a read's or write's; now and then it
 * closes its ring with everything in flight (io_uring's exit cancels it).
 * At the end every request still in flight is cancelled and must complete
 * within seconds, and the ring is closed.
 *
 * userfaultfd: a share of the buffers of read/write, AIO and io_uring (and
 * of the registered ones) lies in an anonymous area registered with a
 * userfaultfd, whose handler thread resolves each page fault after a short
 * random delay (bounded: 1 ms). So kernel copies stall in the middle, with
 * whatever the copying path holds, while the other threads SEAL, DELETE,
 * close, munmap and cancel; an operation drops the area's pages now and then
 * (MADV_DONTNEED) so that it faults again. Without userfaultfd (ENOSYS,
 * EPERM) those buffers are ordinary ones; without io_uring (ENOSYS, EPERM:
 * kernel.io_uring_disabled) its operations do nothing.
 *
 * Every call must succeed or fail with an errno its documentation allows
 * (the table ops[] below: the uapi header for the device, the man pages for
 * the VFS and mm around it); anything else fails the test with the seed,
 * thread and operation number. Reads that may wait are cut short by a
 * per-thread timer (EINTR is allowed where the call may sleep). At the end
 * every descriptor, mapping, AIO context and ring is gone (the userfaultfd
 * handler stops last) and the cache must hold
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
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
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
#define NUREQ	16		/* io_uring reads and writes in flight, per thread */
#define URING_SQ	32	/* ring entries; the CQ ring has twice as many */
#define UCANCEL	(1ULL << 32)	/* user_data of a cancel, which takes no slot */
#define UFFDSZ	(2 * BUFSZ)	/* the userfaultfd area: any buffer of ours fits */

static long page_size;

/* ---- the operations and the errnos each may fail with ------------------ */

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP_SHARED, OP_SHARE,
	OP_CREATE, OP_OPEN_NAME, OP_SEAL, OP_INFO, OP_DELETE, OP_COMMIT,
	OP_STATS, OP_INDEX_APPEND, OP_LOOKUP, OP_INDEX_READ, OP_BAD_IOCTL,
	OP_READ, OP_PREAD, OP_PREADV2, OP_WRITE, OP_PWRITE, OP_PWRITEV2,
	OP_LSEEK, OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_TOUCH,
	OP_SPLICE_READ, OP_SPLICE_WRITE, OP_SENDFILE,
	OP_AIO_SUBMIT, OP_AIO_CANCEL, OP_AIO_REAP, OP_AIO_EVENT, OP_POLL,
	OP_URING_RW, OP_URING_REG, OP_URING_CANCEL, OP_URING_REAP, OP_URING_RESULT,
	OP_URING_EXIT, OP_UFFD_DROP, OP_PIN,
	OP_MAX
};

#define E(...) { __VA_ARGS__, 0 }
/* read(2) and its variants on the device, and the errnos a use adds. */
#define E_READ(...) E(EBADFD, EBADF, EINVAL, EFAULT, EAGAIN, EOVERFLOW, EINTR, EOPNOTSUPP, \
		      ##__VA_ARGS__)
/* write(2) and its variants. */
#define E_WRITE(...) E(EBADFD, EBADF, EINVAL, EFAULT, EAGAIN, EPERM, EFBIG, ENOSPC, ENOMEM, \
		       EINTR, EOPNOTSUPP, ##__VA_ARGS__)
/* A read's or a write's: the union of the two lists above. */
#define E_RW(...) E(EBADFD, EBADF, EINVAL, EFAULT, EAGAIN, EOVERFLOW, EINTR, EOPNOTSUPP, \
		    EPERM, EFBIG, ENOSPC, ENOMEM, ##__VA_ARGS__)

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
	[OP_INDEX_READ] = { "INDEX_READ", 4, E(EBADFD, EFAULT, EINVAL, ENODATA, ENOMEM, EINTR) },
	[OP_BAD_IOCTL] = { "unknown-ioctl", 2, E(ENOTTY) },
	[OP_READ] = { "read", 4, E_READ() },
	[OP_PREAD] = { "pread", 5, E_READ() },
	[OP_PREADV2] = { "preadv2", 3, E_READ() },
	[OP_WRITE] = { "write", 5, E_WRITE() },
	[OP_PWRITE] = { "pwrite", 6, E_WRITE() },
	[OP_PWRITEV2] = { "pwritev2", 2, E_WRITE() },
	[OP_LSEEK] = { "lseek", 3, E(EBADFD, EINVAL, ENXIO) },
	[OP_MMAP] = { "mmap", 6, E(EBADFD, EINVAL, EPERM, EACCES, ENOMEM, EOVERFLOW, ENODEV) },
	[OP_MUNMAP] = { "munmap", 3, E(EINVAL) },
	[OP_MPROTECT] = { "mprotect", 3, E(EACCES, EINVAL, ENOMEM) },
	[OP_MREMAP] = { "mremap", 2, E(EFAULT, EINVAL, ENOMEM) },
	[OP_TOUCH] = { "touch", 6, E(0) },
	[OP_SPLICE_READ] = { "splice-read", 3, E_READ(ENOMEM, ESPIPE) },
	[OP_SPLICE_WRITE] = { "splice-write", 2, E_WRITE(ESPIPE) },
	[OP_SENDFILE] = { "sendfile", 2, E_READ(ENOMEM) },
	[OP_AIO_SUBMIT] = { "io_submit", 5, E(EAGAIN, EBADF, EINVAL, EFAULT, ENOMEM,
					       EOPNOTSUPP) },
	[OP_AIO_CANCEL] = { "io_cancel", 2, E(EINVAL, EINPROGRESS, EAGAIN) },
	[OP_AIO_REAP] = { "io_getevents", 3, E(EINTR) },
	/* The result of a completed AIO request (not drawn: reaped). */
	[OP_AIO_EVENT] = { "aio-result", 0, E_RW(ECANCELED, ENOMEM) },
	[OP_POLL] = { "poll", 2, E(0) },
	/*
	 * io_uring_enter(2) submitting: no memory, or completions not reaped yet
	 * (EBUSY); a request's own failure comes as its result.
	 */
	[OP_URING_RW] = { "io_uring-rw", 3, E(EAGAIN, EBUSY, EINTR, ENOMEM) },
	/*
	 * REGISTER_BUFFERS: a range that cannot be pinned (EFAULT: not mapped,
	 * not writable, past a video's data), file-backed memory on 6.1
	 * (EOPNOTSUPP), buffers already registered (EBUSY); UNREGISTER: none
	 * registered (ENXIO), or, on 6.1, a wait for requests in flight cut
	 * short by the timer (EINTR).
	 */
	[OP_URING_REG] = { "io_uring-register", 1, E(EFAULT, EOPNOTSUPP, ENOMEM, EBUSY, EINVAL,
						      ENXIO, EINTR, EOVERFLOW, EAGAIN) },
	/* Submitting, as above; the cancel's result: nothing found, too late. */
	[OP_URING_CANCEL] = { "io_uring-cancel", 1, E(EAGAIN, EBUSY, EINTR, ENOMEM, ENOENT,
						    EALREADY, EINVAL, EBADF) },
	/* Waiting for a completion: for at most a millisecond, or a signal. */
	[OP_URING_REAP] = { "io_uring-reap", 1, E(ETIME, EINTR, EBUSY) },
	/*
	 * The result of a read or write (not drawn: reaped): a read's or a
	 * write's errors, cancelled (ECANCELED; EINTR when io_uring's worker
	 * was woken from its wait), no such registered buffer or outside it
	 * (EFAULT), a random descriptor (EBADF), IOSQE_BUFFER_SELECT without
	 * buffers (ENOBUFS).
	 */
	[OP_URING_RESULT] = { "io_uring-result", 0, E_RW(ECANCELED, ENOMEM,
							 ENOBUFS, ENOSPC) },
	/* io_uring_setup(2) again after closing the ring with all in flight. */
	[OP_URING_EXIT] = { "io_uring-exit", 1, E(ENOMEM, EMFILE) },
	[OP_UFFD_DROP] = { "uffd-drop", 1, E(0) },
	[OP_PIN] = { "PIN", 2, E(EBADFD, EBADF, EINVAL) },
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

/* A thread's io_uring: its three mappings, and what it has in flight. */
struct uring {
	int fd;			/* -1: none (no io_uring here, or setup failed) */
	char *sq, *cq;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_sqe *sqes;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array, sq_entries;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	bool busy[NUREQ];	/* user_data is the index */
	uint32_t len[NUREQ];	/* bytes asked: the result's bound */
	struct io_uring_sqe sent[NUREQ];	/* what was asked, for a failure */
	int nbufs;		/* buffers registered, as far as we know */
	struct iovec bufs[2];
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
	struct uring ring;
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

/*
 * The userfaultfd area, shared by the threads: a copy into or out of a page
 * of it that is not there stalls until the handler thread resolves it.
 */
static struct {
	int fd;			/* -1: no userfaultfd here */
	char *area;		/* UFFDSZ bytes, then a page of no access */
	pthread_t thread;
	bool stop;
	uint64_t rng;		/* the handler's delays: not the threads' draws */
	long faults;
} uffd = { .fd = -1 };

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
static __thread volatile sig_atomic_t touch_sig;

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
		return boundaries[below(f, ARRAY_SIZE(boundaries))];
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

/*
 * A buffer of @len bytes in the userfaultfd area (an ordinary one without
 * userfaultfd). The draw is the same either way, so that a seed runs the
 * same operations on kernels with and without it.
 */
static char *uffd_buf(struct fuzzer *f, size_t len)
{
	uint64_t off = below(f, UFFDSZ - BUFSZ);

	if (uffd.fd < 0 || len > BUFSZ)
		return f->buf;
	return uffd.area + off;
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
	case 5:
		return uffd_buf(f, len);		/* the copy stalls */
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
static int check(struct fuzzer *f, enum op which, long ret, int err, const char *what)
{
	if (ret >= 0)
		return 0;
	f->fails[which]++;
	if (errno_allowed(which, err))
		return 0;
	return fail(f, "%s (%s): unexpected errno %d (%s)", ops[which].name, what, err,
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
	i = chance(f, 80) ? below(f, 3) : below(f, ARRAY_SIZE(rates));
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
	/*
	 * Unknown flags are refused with the other fields, after only the
	 * descriptor's mode and the copy of the argument, never later.
	 */
	if ((c.flags & ~VCACHE_CREATE_FLAGS) &&
	    !(r == -1 && (errno == EINVAL || errno == EBADF || errno == EFAULT)))
		return fail(f, "CREATE with flags %#x outside %#x gave %d (%s)",
			    c.flags, VCACHE_CREATE_FLAGS, r, r ? strerror(errno) : "ok");
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

/* Pinned videos stay through eviction: the cache fills, loads get ENOSPC. */
static int do_pin(struct fuzzer *f)
{
	struct slot *s = open_slot(f, true);
	unsigned long arg = chance(f, 95) ? below(f, 2) : pick_u64(f);
	int r;

	if (!s)
		return 0;
	r = ioctl(s->fd, VCACHE_IOC_PIN, arg);
	return check(f, OP_PIN, r, errno, "");
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
	if (st->__pad || !zeroed(&st->reserved, sizeof(st->reserved)))
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

static int do_index_read(struct fuzzer *f)
{
	static const uint32_t caps[] = { 0, 1, 169, 170, 171, 4096, VCACHE_INDEX_BATCH_MAX,
					 VCACHE_INDEX_BATCH_MAX + 1, 0xffffffff };
	struct slot *s = open_slot(f, chance(f, 95));
	struct vcache_index_entry *e;
	struct vcache_index_read q, *out;
	uint64_t from, max;
	bool fill, good, own;
	uint32_t i;
	void *p;
	int r;

	if (!s)
		return 0;
	memset(&q, 0, sizeof(q));
	q.position = chance(f, 80) ? below(f, 1 << 12) : pick_u64(f);
	q.capacity = chance(f, 75) ? below(f, 400) : caps[below(f, 9)];
	q.flags = chance(f, 90) ? below(f, 2) : (uint32_t)next(f);
	max = q.capacity < VCACHE_INDEX_BATCH_MAX ? q.capacity : VCACHE_INDEX_BATCH_MAX;
	/* What the kernel may write must fit where it goes: else a bad pointer. */
	if (max * sizeof(*e) <= BUFSZ - 64)
		e = (void *)io_buf(f, max * sizeof(*e));
	else
		e = chance(f, 50) ? NULL : (void *)(f->arena + 2 * page_size);
	own = (char *)e >= f->buf && (char *)e < f->buf + BUFSZ;
	q.entries = (uintptr_t)e;
	if (chance(f, 3))
		q.__pad = 1;
	if (chance(f, 3))
		q.reserved[below(f, 4)] = 1;
	if (chance(f, 5)) {
		/* Output fields on input are ignored. */
		q.count = next(f);
		q.next = next(f);
	}
	p = arg_ptr(f, sizeof(q), &fill, &good);
	if (fill)
		memcpy(p, &q, sizeof(q));
	arm(f);
	r = ioctl(s->fd, VCACHE_IOC_INDEX_READ, p);
	disarm(f);
	if (r)
		return check(f, OP_INDEX_READ, r, errno, "");
	if (!good)
		return fail(f, "INDEX_READ: succeeded with a bad pointer %p", p);
	out = p;
	if (out->__pad || !zeroed(out->reserved, sizeof(out->reserved)))
		return fail(f, "INDEX_READ: __pad or reserved not zeroed");
	from = q.position > out->first ? q.position : out->first;
	if (out->count > max || out->first > out->end ||
	    (from < out->end && out->next < from + out->count) ||
	    (from >= out->end && out->next != q.position) ||
	    (!(q.flags & VCACHE_INDEX_READ_KEYS) && from < out->end &&
	     out->next != from + out->count))
		return fail(f,
			    "INDEX_READ: position %llu capacity %u flags %u gave count %u first %llu end %llu next %llu",
			    (unsigned long long)q.position, q.capacity, q.flags, out->count,
			    (unsigned long long)out->first, (unsigned long long)out->end,
			    (unsigned long long)out->next);
	/* Entries in our own buffer: well-formed, sorted, keyframes if asked. */
	for (i = 0; own && i < out->count; i++) {
		if ((e[i].flags & ~VCACHE_INDEX_KEY) || e[i].__pad ||
		    ((q.flags & VCACHE_INDEX_READ_KEYS) && !e[i].flags) ||
		    (i && e[i].pts < e[i - 1].pts))
			return fail(f, "INDEX_READ: entry %u of %u malformed", i, out->count);
	}
	return 0;
}

static int do_bad_ioctl(struct fuzzer *f)
{
	static const unsigned long good[] = {
		VCACHE_IOC_CREATE, VCACHE_IOC_OPEN, VCACHE_IOC_SEAL, VCACHE_IOC_INFO,
		VCACHE_IOC_DELETE, VCACHE_IOC_COMMIT, VCACHE_IOC_STATS,
		VCACHE_IOC_INDEX_APPEND, VCACHE_IOC_LOOKUP, VCACHE_IOC_INDEX_READ,
		VCACHE_IOC_PIN,
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
		cmd = good[below(f, ARRAY_SIZE(good))] ^ (1UL << (16 + below(f, 16)));
		break;
	default:
		cmd = _IOC(below(f, 4), VCACHE_IOC_MAGIC, below(f, 256), below(f, 1 << 14));
		break;
	}
	for (i = 0; i < ARRAY_SIZE(good); i++)
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
		cb->aio_buf = (uintptr_t)(chance(f, 85) ? b : chance(f, 40) ?
					  uffd_buf(f, cb->aio_nbytes) : io_buf(f, cb->aio_nbytes));
		if (cb->aio_lio_opcode == IOCB_CMD_PREADV ||
		    cb->aio_lio_opcode == IOCB_CMD_PWRITEV) {
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

/* ---- io_uring -------------------------------------------------------------- */

static void uring_close(struct uring *u)
{
	if (u->sqes && u->sqes != MAP_FAILED)
		munmap(u->sqes, u->sqes_len);
	if (u->cq && u->cq != MAP_FAILED)
		munmap(u->cq, u->cq_len);
	if (u->sq && u->sq != MAP_FAILED)
		munmap(u->sq, u->sq_len);
	if (u->fd >= 0)
		close(u->fd);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

/*
 * A new ring: 0, or -1 with errno (the ring is then none). Its SQ and CQ
 * rings are mapped apart, which every kernel allows (with
 * IORING_FEAT_SINGLE_MMAP both offsets map the same pages).
 */
static int uring_setup(struct uring *u)
{
	struct io_uring_params p;
	int err;

	memset(u, 0, sizeof(*u));
	memset(&p, 0, sizeof(p));
	u->fd = syscall(__NR_io_uring_setup, URING_SQ, &p);
	if (u->fd < 0) {
		u->fd = -1;
		return -1;
	}
	u->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sq = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		     IORING_OFF_SQ_RING);
	u->cq = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		     IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       u->fd, IORING_OFF_SQES);
	if (u->sq == MAP_FAILED || u->cq == MAP_FAILED || u->sqes == MAP_FAILED) {
		err = errno;
		uring_close(u);
		errno = err;
		return -1;
	}
	u->sq_head = (unsigned int *)(u->sq + p.sq_off.head);
	u->sq_tail = (unsigned int *)(u->sq + p.sq_off.tail);
	u->sq_mask = (unsigned int *)(u->sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)(u->sq + p.sq_off.array);
	u->sq_entries = p.sq_entries;
	u->cq_head = (unsigned int *)(u->cq + p.cq_off.head);
	u->cq_tail = (unsigned int *)(u->cq + p.cq_off.tail);
	u->cq_mask = (unsigned int *)(u->cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(u->cq + p.cq_off.cqes);
	return 0;
}

/*
 * Queues @sqe and submits whatever the SQ ring holds: io_uring_enter()'s
 * result. An entry it did not take (EAGAIN, EINTR) stays queued and goes
 * with the next submission, so its request is in flight all the same.
 */
static long uring_push(struct uring *u, const struct io_uring_sqe *sqe)
{
	unsigned int tail = *u->sq_tail, idx;

	if (tail - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE) >= u->sq_entries) {
		errno = EBUSY;	/* cannot happen: at most NUREQ + a cancel queued */
		return -1;
	}
	idx = tail & *u->sq_mask;
	u->sqes[idx] = *sqe;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return syscall(__NR_io_uring_enter, u->fd, u->sq_entries, 0, 0, NULL, 0);
}

static int uring_result(struct fuzzer *f, uint64_t data, int res)
{
	struct uring *u = &f->ring;

	if (data & UCANCEL)
		/* A cancel's own result: how many it cancelled, or why none. */
		return check(f, OP_URING_CANCEL, res < 0 ? -1 : 0, -res, "result");
	if (data >= NUREQ || !u->busy[data])
		return fail(f, "io_uring completion for an unknown request %llu",
			    (unsigned long long)data);
	u->busy[data] = false;
	f->count[OP_URING_RESULT]++;
	if (res > (long)u->len[data])
		return fail(f, "io_uring result %d for %u bytes", res, u->len[data]);
	return check(f, OP_URING_RESULT, res < 0 ? -1 : 0, -res, "result");
}

/* Checks every completion the CQ ring holds, without a system call. */
static int uring_reap(struct fuzzer *f)
{
	struct uring *u = &f->ring;
	unsigned int head = *u->cq_head, tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
	int rc = 0;

	for (; head != tail && !rc; head++) {
		struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];

		rc = uring_result(f, c->user_data, c->res);
	}
	__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
	return rc;
}

/* Waits up to @ms for one completion (flushing the SQ ring too). */
static long uring_wait(struct uring *u, long ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	struct io_uring_getevents_arg arg = { .ts = (uintptr_t)&ts };

	return syscall(__NR_io_uring_enter, u->fd, u->sq_entries, 1,
		       IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
}

static int uring_busy(struct uring *u)
{
	int i, n = 0;

	for (i = 0; i < NUREQ; i++)
		n += u->busy[i];
	return n;
}

static int do_uring_cancel(struct fuzzer *f);

/*
 * A descriptor on which a read past the head waits: it follows a video
 * still loading, or a live stream, and is not O_NONBLOCK (io_uring would
 * then fail the read with EAGAIN). NULL if none; *@info is its video.
 */
static struct slot *waiting_slot(struct fuzzer *f, struct vcache_info *info)
{
	int i, start = below(f, NSLOT);

	for (i = 0; i < NSLOT; i++) {
		struct slot *s = &f->slots[(start + i) % NSLOT];

		if (s->fd >= 0 && s->bound && (s->follow || s->live) &&
		    !(s->oflags & O_NONBLOCK) && !ioctl(s->fd, VCACHE_IOC_INFO, info) &&
		    (info->state == VCACHE_STATE_LOADING || info->state == VCACHE_STATE_LIVE))
			return s;
	}
	return NULL;
}

/*
 * No such descriptor among ours: a new one, following a video of the pool
 * that is still loading or live, which the caller closes once its read is
 * in flight. -1 if there is none.
 */
static int follow_fd(struct fuzzer *f, struct vcache_info *info)
{
	struct vcache_open o = { .flags = VCACHE_OPEN_FOLLOW };
	int fd = open(VCACHE_DEV, O_RDONLY | O_CLOEXEC);

	memcpy(o.name, names[below(f, NNAMES)], VCACHE_NAME_MAX);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VCACHE_IOC_OPEN, &o) || ioctl(fd, VCACHE_IOC_INFO, info) ||
	    (info->state != VCACHE_STATE_LOADING && info->state != VCACHE_STATE_LIVE)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int do_uring_rw(struct fuzzer *f)
{
	static const uint8_t opcodes[] = { IORING_OP_READ, IORING_OP_READ, IORING_OP_WRITE,
					   IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED };
	struct uring *u = &f->ring;
	struct slot *s = open_slot(f, true), *w = NULL;
	struct io_uring_sqe sqe;
	struct vcache_info info;
	/* Mostly short: a copy of a megabyte is slow on the debug kernel. */
	size_t len = chance(f, 90) ? below(f, 65536) + 1 : pick_len(f);
	int k, i, own = -1;
	long r;
	char *b;

	if (u->fd < 0 || !s)
		return 0;
	if (uring_reap(f))
		return -1;
	for (k = 0; k < NUREQ && u->busy[k]; k++)
		;
	if (k == NUREQ)
		/* All waiting, most likely past some head: make room. */
		return do_uring_cancel(f);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = opcodes[below(f, 5)];
	sqe.fd = chance(f, 97) ? s->fd : (int)(uint32_t)next(f);
	/*
	 * Past the head of a video that grows, the read waits in io_uring's
	 * worker (or on its poll) until the data comes, a cancel or the ring's
	 * exit; INFO tells where the head is (an unbound shared one: no).
	 */
	if (chance(f, 30)) {
		w = waiting_slot(f, &info);
		if (!w)
			own = follow_fd(f, &info);
	}
	if (w || own >= 0) {
		/* A good read there, so that it does wait. */
		sqe.fd = w ? w->fd : own;
		sqe.opcode = u->nbufs && chance(f, 30) ? IORING_OP_READ_FIXED : IORING_OP_READ;
		sqe.off = info.size + (chance(f, 50) ? 0 : below(f, 65536));
	} else {
		sqe.off = chance(f, 5) ? ~0ULL : pick_off(f);	/* -1: the file position */
		/* Without buffers registered, mostly the plain ones. */
		if (!u->nbufs && chance(f, 80))
			sqe.opcode = sqe.opcode == IORING_OP_READ_FIXED ? IORING_OP_READ :
				     sqe.opcode == IORING_OP_WRITE_FIXED ? IORING_OP_WRITE :
				     sqe.opcode;
	}
	if (sqe.opcode == IORING_OP_READ_FIXED || sqe.opcode == IORING_OP_WRITE_FIXED) {
		/* One past the buffers registered, or none: EFAULT. */
		i = below(f, u->nbufs + 1);
		sqe.buf_index = i;
		if (i < u->nbufs && chance(f, 90)) {
			size_t o = below(f, u->bufs[i].iov_len);

			b = (char *)u->bufs[i].iov_base + o;
			if (len > u->bufs[i].iov_len - o)
				len = u->bufs[i].iov_len - o;
		} else {
			b = io_buf(f, len);
		}
	} else {
		b = chance(f, 15) || own >= 0 ? uffd_buf(f, len) : io_buf(f, len);
	}
	sqe.addr = (uintptr_t)b;
	sqe.len = len;
	/*
	 * Forced async, io_uring's worker looks the descriptor up only when it
	 * issues the read: not on our own one, which is closed right away.
	 */
	if (chance(f, 30) && own < 0)
		sqe.flags |= IOSQE_ASYNC;
	if (chance(f, 3))
		/* No fixed files, no provided buffers: EBADF, ENOBUFS, EINVAL. */
		sqe.flags |= chance(f, 50) ? IOSQE_FIXED_FILE : IOSQE_BUFFER_SELECT;
	if (chance(f, 5))
		sqe.rw_flags = chance(f, 70) ? RWF_NOWAIT : (int)(1U << below(f, 31));
	sqe.user_data = k;
	u->busy[k] = true;
	u->len[k] = len;
	u->sent[k] = sqe;
	r = uring_push(u, &sqe);
	if (own >= 0)
		/* The read in flight holds the only reference to the file. */
		close(own);
	return check(f, OP_URING_RW, r, errno, "enter");
}

/* One of our writable mappings (of a video still loading), or any. */
static struct map *writable_map(struct fuzzer *f)
{
	int i, start = below(f, NMAP);

	for (i = 0; i < NMAP; i++) {
		struct map *m = &f->maps[(start + i) % NMAP];

		if (m->addr && (m->prot & PROT_WRITE))
			return m;
	}
	return used_map(f);
}

static int do_uring_register(struct fuzzer *f)
{
	struct uring *u = &f->ring;
	struct iovec iov[2];
	struct map *m;
	int i, n;
	long r;

	if (u->fd < 0)
		return 0;
	if ((u->nbufs && chance(f, 50)) || chance(f, 5)) {
		/* 6.1 waits for every request in flight first: not for long. */
		struct itimerspec its = { .it_value = { .tv_nsec = 20 * 1000 * 1000 } };

		timer_settime(f->timer, 0, &its, NULL);
		r = syscall(__NR_io_uring_register, u->fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
		disarm(f);
		if (!r)
			u->nbufs = 0;
		return check(f, OP_URING_REG, r, errno, "unregister");
	}
	n = 1 + below(f, 2);
	for (i = 0; i < n; i++) {
		size_t off;

		switch (below(f, 4)) {
		case 0:
		case 1:
			/*
			 * One of our mappings of a video, writable or not: its
			 * pages stay pinned after munmap and close, and
			 * READ_FIXED writes into them behind the video's back.
			 */
			m = chance(f, 70) ? writable_map(f) : used_map(f);
			if (m) {
				off = below(f, m->len / page_size) * page_size;
				iov[i].iov_base = m->addr + off;
				iov[i].iov_len = chance(f, 80) ? m->len - off :
						 below(f, m->len - off) + 1;
				if (iov[i].iov_len > 64 * page_size)
					iov[i].iov_len = 64 * page_size;
				break;
			}
			/* fall through */
		case 2:
			/* Pinning is slow on the debug kernel: 64 KiB at most. */
			off = below(f, BUFSZ / 2);
			iov[i].iov_base = f->buf + off;
			iov[i].iov_len = below(f, 65536) + 1;
			break;
		default:
			/* Pinning it faults it in: through the handler. */
			iov[i].iov_base = uffd_buf(f, BUFSZ);
			iov[i].iov_len = below(f, 65536) + 1;
			break;
		}
	}
	arm(f);
	r = syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_BUFFERS, iov, n);
	disarm(f);
	if (r)
		return check(f, OP_URING_REG, r, errno, "register");
	u->nbufs = n;
	memcpy(u->bufs, iov, sizeof(iov));
	return 0;
}

static int do_uring_cancel(struct fuzzer *f)
{
	struct uring *u = &f->ring;
	struct io_uring_sqe sqe;
	int i, k = -1, start = below(f, NUREQ);
	struct slot *s;

	if (u->fd < 0)
		return 0;
	if (uring_reap(f))
		return -1;
	for (i = 0; i < NUREQ && k < 0; i++)
		if (u->busy[(start + i) % NUREQ])
			k = (start + i) % NUREQ;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_ASYNC_CANCEL;
	sqe.fd = -1;
	sqe.addr = k >= 0 ? k : below(f, NUREQ);
	switch (below(f, 10)) {
	case 0:
		sqe.cancel_flags = IORING_ASYNC_CANCEL_ANY;
		break;
	case 1:
		sqe.cancel_flags = IORING_ASYNC_CANCEL_ALL;
		break;
	case 2:
		/* Whatever is in flight on one of our descriptors. */
		s = open_slot(f, false);
		sqe.fd = s ? s->fd : -1;
		sqe.cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
		break;
	case 3:
		/* Nothing of ours, or flags no kernel knows. */
		sqe.addr = next(f);
		if (chance(f, 30))
			sqe.cancel_flags = 1U << below(f, 32);
		break;
	default:
		break;
	}
	sqe.user_data = UCANCEL;
	return check(f, OP_URING_CANCEL, uring_push(u, &sqe), errno, "enter");
}

static int do_uring_reap(struct fuzzer *f)
{
	struct uring *u = &f->ring;
	long r;

	if (u->fd < 0)
		return 0;
	if (chance(f, 30)) {
		arm(f);
		r = uring_wait(u, 1);
		disarm(f);
		if (r < 0 && check(f, OP_URING_REAP, r, errno, "wait"))
			return -1;
	}
	return uring_reap(f);
}

/*
 * Closes the ring with whatever is in flight: io_uring's exit cancels it
 * (a read waiting past a head included) and lets go of its descriptors and
 * pinned pages, in the background. Then a new ring.
 */
static int do_uring_exit(struct fuzzer *f)
{
	/* A new ring and its workers cost tens of ms on the debug kernel. */
	if (chance(f, 90))
		return 0;
	if (f->ring.fd >= 0)
		uring_close(&f->ring);
	if (uring_setup(&f->ring))
		return check(f, OP_URING_EXIT, -1, errno, "setup");
	return 0;
}

/*
 * The end of a thread: everything in flight is cancelled and must complete
 * within 5 s, a read waiting past a head included; then the ring goes. The
 * cancels are paced by the clock: a wait for "one completion" ends at once
 * with the cancel's own, and a count of such waits once gave a read that
 * io_uring had just handed to its worker a millisecond, not seconds.
 */
static int uring_teardown(struct fuzzer *f)
{
	struct uring *u = &f->ring;
	struct io_uring_sqe sqe;
	struct timespec t;
	long start, now, sent = -1000;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t);
	start = t.tv_sec * 1000 + t.tv_nsec / 1000000;
	for (now = start; u->fd >= 0 && now - start < 5000;) {
		rc = uring_reap(f);
		if (rc || !uring_busy(u))
			break;
		/*
		 * A cancel every 100 ms: its own completion comes at once
		 * and ends the wait, so the wait alone would not pace it.
		 */
		if (now - sent >= 100) {
			memset(&sqe, 0, sizeof(sqe));
			sqe.opcode = IORING_OP_ASYNC_CANCEL;
			sqe.fd = -1;
			sqe.cancel_flags = IORING_ASYNC_CANCEL_ANY;
			sqe.user_data = UCANCEL;
			uring_push(u, &sqe);
			sent = now;
		}
		uring_wait(u, 100);
		clock_gettime(CLOCK_MONOTONIC, &t);
		now = t.tv_sec * 1000 + t.tv_nsec / 1000000;
	}
	if (!rc && u->fd >= 0 && uring_busy(u)) {
		struct io_uring_sqe *q;
		int k;

		for (k = 0; !u->busy[k]; k++)
			;
		q = &u->sent[k];
		rc = fail(f, "%d io_uring requests never completed after cancel, one: opcode %u flags %#x fd %d off %llu len %u rw_flags %#x",
			  uring_busy(u), q->opcode, q->flags, q->fd, (unsigned long long)q->off,
			  q->len, q->rw_flags);
	}
	uring_close(u);
	return rc;
}

/* ---- userfaultfd ------------------------------------------------------------ */

/*
 * Resolves every fault on the area after a delay of up to 1 ms: one page of
 * a pattern (a quarter of the time), or zeros for up to 64 pages from the
 * faulting one.
 */
static void *uffd_handler(void *arg)
{
	char *src = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	struct pollfd pfd = { .fd = uffd.fd, .events = POLLIN };
	struct uffd_msg msg;

	if (src == MAP_FAILED)
		return NULL;	/* the faults are resolved by closing uffd.fd */
	memset(src, 0x5a, page_size);
	while (!__atomic_load_n(&uffd.stop, __ATOMIC_ACQUIRE)) {
		uint64_t addr, r;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if (read(uffd.fd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(uint64_t)(page_size - 1);
		uffd.rng = uffd.rng * 6364136223846793005ULL + 1442695040888963407ULL;
		r = uffd.rng >> 33;
		/*
		 * Mostly at once, now and then up to a millisecond: every
		 * stall holds up whatever waits on the copying thread, and
		 * the debug kernel's run must stay short.
		 */
		usleep(r % 4 ? r % 50 : r % 1000);
		uffd.faults++;
		if (!(r & 3)) {
			struct uffdio_copy c = { .dst = addr, .src = (uintptr_t)src,
						 .len = page_size };

			if (!ioctl(uffd.fd, UFFDIO_COPY, &c))
				continue;
		} else {
			uint64_t end = (uintptr_t)uffd.area + UFFDSZ;
			struct uffdio_zeropage z = { .range = { addr, 64 * page_size } };

			if (addr + z.range.len > end)
				z.range.len = end - addr;
			if (!ioctl(uffd.fd, UFFDIO_ZEROPAGE, &z))
				continue;
		}
		/*
		 * Already there (two faults on a page, or a range that ran into
		 * a resolved one): the resolving ioctl woke no one, so wake.
		 */
		{
			struct uffdio_range w = { addr, page_size };

			ioctl(uffd.fd, UFFDIO_WAKE, &w);
		}
	}
	munmap(src, page_size);
	return NULL;
}

/* The area and its handler; without userfaultfd (ENOSYS, EPERM), none. */
static void uffd_start(uint64_t seed)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	uffd.fd = -1;
	uffd.stop = false;
	uffd.rng = seed;
	uffd.faults = 0;
	uffd.area = mmap(NULL, UFFDSZ + page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd.area == MAP_FAILED || mprotect(uffd.area + UFFDSZ, page_size, PROT_NONE))
		return;
	reg.range.start = (uintptr_t)uffd.area;
	reg.range.len = UFFDSZ;
	uffd.fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd.fd >= 0 && (ioctl(uffd.fd, UFFDIO_API, &api) ||
			     ioctl(uffd.fd, UFFDIO_REGISTER, &reg) ||
			     pthread_create(&uffd.thread, NULL, uffd_handler, NULL))) {
		close(uffd.fd);
		uffd.fd = -1;
	}
}

/*
 * After everything else: closing the userfaultfd wakes any fault still
 * waiting (it then fails), and the area goes.
 */
static void uffd_stop(void)
{
	if (uffd.fd >= 0) {
		__atomic_store_n(&uffd.stop, true, __ATOMIC_RELEASE);
		pthread_join(uffd.thread, NULL);
		printf("# userfaultfd: %ld faults resolved\n", uffd.faults);
		close(uffd.fd);
		uffd.fd = -1;
	}
	if (uffd.area && uffd.area != MAP_FAILED)
		munmap(uffd.area, UFFDSZ + page_size);
	uffd.area = NULL;
}

/* Drops some of the area's pages, so that the next copies fault again. */
static int do_uffd_drop(struct fuzzer *f)
{
	size_t off = below(f, UFFDSZ / page_size) * page_size;
	size_t len = chance(f, 10) ? UFFDSZ - off :
		     (1 + below(f, 16)) * page_size;

	/* Not too often: each fault costs every thread on the debug kernel. */
	if (uffd.fd < 0 || chance(f, 50))
		return 0;
	if (off + len > UFFDSZ)
		len = UFFDSZ - off;
	if (madvise(uffd.area + off, len, MADV_DONTNEED))
		return fail(f, "MADV_DONTNEED of the userfaultfd area: %s", strerror(errno));
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
	case OP_PIN: return do_pin(f);
	case OP_COMMIT: return do_commit(f);
	case OP_STATS: return do_stats(f);
	case OP_INDEX_APPEND: return do_index_append(f);
	case OP_LOOKUP: return do_lookup(f);
	case OP_INDEX_READ: return do_index_read(f);
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
	case OP_URING_RW: return do_uring_rw(f);
	case OP_URING_REG: return do_uring_register(f);
	case OP_URING_CANCEL: return do_uring_cancel(f);
	case OP_URING_REAP: return do_uring_reap(f);
	case OP_URING_EXIT: return do_uring_exit(f);
	case OP_UFFD_DROP: return do_uffd_drop(f);
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
	if (uring_setup(&f->ring) && errno != ENOSYS && errno != EPERM)
		return (void *)(long)fail(f, "io_uring_setup: %s", strerror(errno));
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
				rc = fail(f, "%ld AIO requests never completed after io_cancel",
					  busy);
				break;
			}
			for (k = 0; k < n && !rc; k++)
				rc = aio_result(f, &ev[k]);
		}
	}
	if (!rc)
		rc = uring_teardown(f);
	uring_close(&f->ring);
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
		total += ops[op].weight ? t : 0;	/* results are not operations */
		printf("#   %-14s %8ld calls, %8ld failed as allowed\n", ops[op].name, t, e);
	}
	printf("# %ld operations\n", total);
}

/*
 * The rest of a fuzzer's setup once its buffers are mapped, each step only
 * if the ones before it worked; 0, or -1 with errno set.
 */
static int fuzzer_setup(struct fuzzer *f)
{
	if (f->buf == MAP_FAILED || f->aiobuf == MAP_FAILED || f->arena == MAP_FAILED ||
	    mprotect(f->arena + page_size, page_size, PROT_READ) ||
	    mprotect(f->arena + 2 * page_size, page_size, PROT_NONE) ||
	    pipe2(f->pipefd, O_NONBLOCK | O_CLOEXEC))
		return -1;
	f->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (f->devnull < 0 || syscall(SYS_io_setup, NIOCB, &f->ctx))
		return -1;
	return 0;
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
		if (fuzzer_setup(f)) {
			printf("# fuzz: setup: %s\n", strerror(errno));
			return -1;
		}
	}
	uffd_start(seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, fuzz_thread, &fz[i])) {
			printf("# fuzz: pthread_create failed\n");
			return -1;
		}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], &ret);
		if (ret)
			rc = -1;
		else
			fz[i].failure[0] = '\0';
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_counts(fz, threads);
	printf("# %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* After the counts: a log cut to its tail still says why. */
	for (i = 0; i < threads; i++)
		if (fz[i].failure[0])
			printf("# FAIL: %s\n", fz[i].failure);
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
	uffd_stop();
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

	for (i = 0; i < ARRAY_SIZE(fuzz_seeds); i++)
		if (fuzz_run(fuzz_seeds[i].seed, fuzz_seeds[i].ops, fuzz_seeds[i].threads, 0))
			bad++;
	ASSERT_EQ(0, bad);
}

TEST_HARNESS_MAIN
