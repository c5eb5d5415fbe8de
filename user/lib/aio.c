// SPDX-License-Identifier: GPL-2.0
/*
 * vaio: kernel AIO behind an eventfd, or its synchronous stand-in (aio.h).
 *
 * Raw system calls rather than libaio: nothing to link or install, and the
 * iocb fields libaio has no setters for in every version (aio_rw_flags, the
 * RESFD flag on each request) are simply ours to fill.
 *
 * Reaping reads the completion ring that the kernel maps at the context's
 * address, when its header is the one fs/aio.c has always written (struct
 * aio_ring, magic AIO_RING_MAGIC 0xa10a10a1: the same in Linux 6.1 and
 * 6.12), as fio and Seastar do: the kernel supports consumers that move the
 * ring's head themselves (fs/aio.c's user_refill_reqs_available() gives
 * back their slots), and it saves an io_getevents() call per reap, which
 * matters in a loop that reaps after every tick.
 * VAIO_NO_USER_REAP, or an unknown header, keeps to io_getevents().
 *
 * The eventfd counter is only a doorbell: how many completions there are is
 * what the ring (or io_getevents()) says, never the counter, so a saturated
 * counter, a failed write to it, or a reap that stopped half-way loses
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include "aio_internal.h"

/* struct vaio_iocb and struct vaio_event are the kernel's, renamed. */
#define VAIO_SAME(a, b) \
	_Static_assert(offsetof(struct vaio_iocb, a) == offsetof(struct iocb, b), #a)
VAIO_SAME(aio_data, aio_data);
VAIO_SAME(aio_key, aio_key);
VAIO_SAME(aio_rw_flags, aio_rw_flags);
VAIO_SAME(aio_lio_opcode, aio_lio_opcode);
VAIO_SAME(aio_reqprio, aio_reqprio);
VAIO_SAME(aio_fildes, aio_fildes);
VAIO_SAME(aio_buf, aio_buf);
VAIO_SAME(aio_nbytes, aio_nbytes);
VAIO_SAME(aio_offset, aio_offset);
VAIO_SAME(aio_reserved2, aio_reserved2);
VAIO_SAME(aio_flags, aio_flags);
VAIO_SAME(aio_resfd, aio_resfd);
_Static_assert(sizeof(struct vaio_iocb) == sizeof(struct iocb), "iocb size");
_Static_assert(sizeof(struct vaio_event) == sizeof(struct io_event), "event size");
_Static_assert(offsetof(struct vaio_event, res) == offsetof(struct io_event, res), "res");
_Static_assert(VAIO_CMD_PREAD == IOCB_CMD_PREAD && VAIO_CMD_PWRITE == IOCB_CMD_PWRITE &&
	       VAIO_CMD_FSYNC == IOCB_CMD_FSYNC && VAIO_CMD_FDSYNC == IOCB_CMD_FDSYNC &&
	       VAIO_CMD_POLL == IOCB_CMD_POLL && VAIO_CMD_PREADV == IOCB_CMD_PREADV &&
	       VAIO_CMD_PWRITEV == IOCB_CMD_PWRITEV, "opcodes");

#define VAIO_ALL_FLAGS	(VAIO_SYNC | VAIO_NO_FALLBACK | VAIO_QUIET | VAIO_NO_USER_REAP)

/* Completions fetched per io_getevents() or ring pass. */
#define VAIO_BATCH	256

/* Header of the completion ring (struct aio_ring in fs/aio.c). */
struct vaio_ring {
	unsigned int id;
	unsigned int nr;		/* slots */
	unsigned int head;		/* next to consume: ours to move */
	unsigned int tail;		/* next the kernel fills */
	unsigned int magic;
	unsigned int compat_features;
	unsigned int incompat_features;
	unsigned int header_length;
	struct vaio_event events[];
};

#define VAIO_RING_MAGIC	0xa10a10a1

/* Synchronous engine: a POLL request waiting for its descriptor. */
struct vaio_poll {
	struct vaio_poll *next;
	struct vaio_iocb *cb;
	int fd;		/* our duplicate of cb->aio_fildes, in ctx->epfd */
	uint32_t events;
};

static long sys_io_setup(unsigned int nr, aio_context_t *id)
{
	return syscall(SYS_io_setup, nr, id);
}

/*
 * io_setup() as the engine calls it: a test replaces it to see the engine
 * through ENOSYS and friends without a kernel that fails that way.
 */
long (*vaio_io_setup)(unsigned int nr, aio_context_t *id) = sys_io_setup;

static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "unknown error";
}

/* The first line of a /proc/sys file, or "?". */
void read_sysctl(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	else
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void explain_setup_failure(struct vaio *ctx, unsigned int nr, int err,
				  bool fallback)
{
	const char *then = fallback ?
		"; falling back to synchronous I/O in the submitting call" : "";
	char cur[32], max[32];

	switch (err) {
	case ENOSYS:
	case EPERM:
		snprintf(ctx->reason, sizeof(ctx->reason),
			 "io_setup: %s: no kernel AIO here (kernel built without CONFIG_AIO, or a seccomp filter denies it)%s",
			 errname(err), then);
		break;
	case EINVAL:
		snprintf(ctx->reason, sizeof(ctx->reason),
			 "io_setup(%u): EINVAL: more events than one kernel AIO context can hold%s",
			 nr, then);
		break;
	case EAGAIN:
		/*
		 * Both values, so that the fix (sysctl fs.aio-max-nr, or
		 * fewer events) is obvious: every context's events count
		 * against the system-wide limit.
		 */
		read_sysctl("/proc/sys/fs/aio-nr", cur, sizeof(cur));
		read_sysctl("/proc/sys/fs/aio-max-nr", max, sizeof(max));
		snprintf(ctx->reason, sizeof(ctx->reason),
			 "io_setup(%u): EAGAIN: %s (fs.aio-nr %s, fs.aio-max-nr %s)%s",
			 nr, nr > strtoull(max, NULL, 10) && max[0] != '?' ?
			 "more events than fs.aio-max-nr allows in all" :
			 "fs.aio-max-nr exhausted by other AIO contexts",
			 cur, max, then);
		break;
	default:
		snprintf(ctx->reason, sizeof(ctx->reason), "io_setup(%u): %s: %s%s",
			 nr, errname(err), strerror(err), then);
		break;
	}
}

/* The kernel's ring, if it looks as this code expects. */
static struct vaio_ring *user_ring(aio_context_t id)
{
	struct vaio_ring *r = (struct vaio_ring *)(uintptr_t)id;

	if (r->magic != VAIO_RING_MAGIC || r->incompat_features ||
	    r->header_length != sizeof(*r) || !r->nr)
		return NULL;
	return r;
}

static void signal_efd(struct vaio *ctx)
{
	uint64_t one = 1;

	/*
	 * EAGAIN means the counter is saturated, which is a doorbell ringing
	 * already; anything else (a descriptor closed under us) is counted.
	 * Either way the completion stays queued for the next reap.
	 */
	if (write(ctx->efd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		ctx->signal_failures++;
}

/* Room in the done queue for @need completions; it grows by doubling. */
static int done_reserve(struct vaio *ctx, unsigned int need)
{
	unsigned int cap = ctx->done_cap, i;
	struct vaio_event *q;

	if (need <= cap)
		return 0;
	while (cap < need)
		cap = cap ? cap * 2 : 16;
	q = calloc(cap, sizeof(*q));
	if (!q)
		return -ENOMEM;
	/* Unwrap the old ring into the new one. */
	for (i = 0; i < ctx->done_count; i++)
		q[i] = ctx->done[(ctx->done_head + i) % ctx->done_cap];
	free(ctx->done);
	ctx->done = q;
	ctx->done_cap = cap;
	ctx->done_head = 0;
	return 0;
}

/* Callers reserved the slot: see done_reserve(). */
static void done_push(struct vaio *ctx, struct vaio_iocb *cb, long res)
{
	struct vaio_event *ev;

	ev = &ctx->done[(ctx->done_head + ctx->done_count) % ctx->done_cap];
	ev->data = cb->aio_data;
	ev->obj = (uintptr_t)cb;
	ev->res = res;
	ev->res2 = 0;
	ctx->done_count++;
}

static unsigned int done_pop(struct vaio *ctx, struct vaio_event *ev,
			     unsigned int want)
{
	unsigned int n = 0;

	while (n < want && ctx->done_count) {
		ev[n++] = ctx->done[ctx->done_head];
		ctx->done_head = (ctx->done_head + 1) % ctx->done_cap;
		ctx->done_count--;
	}
	return n;
}

static void notice_once(const char *reason)
{
	static bool told;

	if (!told) {
		told = true;
		fprintf(stderr, "vaio: %s\n", reason);
	}
}

int vaio_init(struct vaio *ctx, unsigned int nr, unsigned int flags)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	aio_context_t id = 0;
	int err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->efd = -1;
	ctx->epfd = -1;
	if (!nr || (flags & ~VAIO_ALL_FLAGS)) {
		snprintf(ctx->reason, sizeof(ctx->reason),
			 "vaio_init: %s", nr ? "unknown flags" : "nr must be > 0");
		return -EINVAL;
	}
	ctx->max_events = nr;
	ctx->flags = flags;
	ctx->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctx->efd < 0) {
		err = -errno;
		snprintf(ctx->reason, sizeof(ctx->reason), "eventfd: %s",
			 strerror(-err));
		return err;
	}
	/* A reap fetches in batches: no need for @nr slots. */
	ctx->events = calloc(nr < VAIO_BATCH ? nr : VAIO_BATCH,
			     sizeof(*ctx->events));
	if (!ctx->events)
		goto nomem;

	if (!(flags & VAIO_SYNC)) {
		if (vaio_io_setup(nr, &id) == 0) {
			ctx->ctx_id = id;
			if (!(flags & VAIO_NO_USER_REAP))
				ctx->ring = user_ring(id);
			return 0;
		}
		err = errno;
		explain_setup_failure(ctx, nr, err, !(flags & VAIO_NO_FALLBACK));
		if (flags & VAIO_NO_FALLBACK) {
			vaio_destroy(ctx);
			return -err;
		}
		ctx->setup_err = err;
	} else {
		snprintf(ctx->reason, sizeof(ctx->reason),
			 "synchronous I/O in the submitting call, as asked (VAIO_SYNC)");
	}

	/*
	 * The synchronous engine answers POLL requests whose descriptor is
	 * not ready yet by parking them in an epoll set; the caller watches
	 * that set, which holds the eventfd too.
	 */
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->epfd < 0 || epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->efd, &ev)) {
		err = -errno;
		snprintf(ctx->reason, sizeof(ctx->reason), "epoll: %s",
			 strerror(-err));
		vaio_destroy(ctx);
		return err;
	}
	ctx->sync = true;
	if (!(flags & (VAIO_QUIET | VAIO_SYNC)))
		notice_once(ctx->reason);
	return 0;

nomem:
	snprintf(ctx->reason, sizeof(ctx->reason), "vaio_init: out of memory");
	vaio_destroy(ctx);
	return -ENOMEM;
}

void vaio_destroy(struct vaio *ctx)
{
	struct vaio_poll *p, *next;

	/* Waits for what is in flight; POLLs are cancelled. */
	if (ctx->ctx_id)
		syscall(SYS_io_destroy, ctx->ctx_id);
	for (p = ctx->polls; p; p = next) {
		next = p->next;
		close(p->fd);
		free(p);
	}
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	if (ctx->efd >= 0)
		close(ctx->efd);
	free(ctx->events);
	free(ctx->done);
	ctx->ctx_id = 0;
	ctx->ring = NULL;
	ctx->polls = NULL;
	ctx->events = NULL;
	ctx->done = NULL;
	ctx->done_cap = 0;
	ctx->done_count = 0;
	ctx->efd = -1;
	ctx->epfd = -1;
	ctx->in_flight = 0;
}

static void prep(struct vaio_iocb *cb, unsigned int op, int fd, uint64_t buf,
		 uint64_t nbytes, off_t off, void *cookie)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_data = (uintptr_t)cookie;
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = buf;
	cb->aio_nbytes = nbytes;
	cb->aio_offset = off;
}

void vaio_prep_pread(struct vaio_iocb *cb, int fd, void *buf, size_t len,
		     off_t off, void *cookie)
{
	prep(cb, VAIO_CMD_PREAD, fd, (uintptr_t)buf, len, off, cookie);
}

void vaio_prep_pwrite(struct vaio_iocb *cb, int fd, const void *buf,
		      size_t len, off_t off, void *cookie)
{
	prep(cb, VAIO_CMD_PWRITE, fd, (uintptr_t)buf, len, off, cookie);
}

void vaio_prep_preadv(struct vaio_iocb *cb, int fd, const struct iovec *iov,
		      int iovcnt, off_t off, void *cookie)
{
	prep(cb, VAIO_CMD_PREADV, fd, (uintptr_t)iov, iovcnt, off, cookie);
}

void vaio_prep_pwritev(struct vaio_iocb *cb, int fd, const struct iovec *iov,
		       int iovcnt, off_t off, void *cookie)
{
	prep(cb, VAIO_CMD_PWRITEV, fd, (uintptr_t)iov, iovcnt, off, cookie);
}

void vaio_prep_fsync(struct vaio_iocb *cb, int fd, bool datasync, void *cookie)
{
	prep(cb, datasync ? VAIO_CMD_FDSYNC : VAIO_CMD_FSYNC, fd, 0, 0, 0,
	     cookie);
}

void vaio_prep_poll(struct vaio_iocb *cb, int fd, short events, void *cookie)
{
	/* The kernel takes the event mask in aio_buf. */
	prep(cb, VAIO_CMD_POLL, fd, (uint16_t)events, 0, 0, cookie);
}

/*
 * Errors the kernel returns from io_submit() for the request itself rather
 * than as its completion: a descriptor not open (or not for this), bad
 * arguments, unsupported RWF flags. The synchronous engine sees them from
 * the call and sorts them the same way. The split cannot be exact: a
 * driver's own EINVAL is a completion in the kernel, and EFAULT is a
 * submission error there only for an unreadable iovec array, while a bad
 * buffer, the usual case and the one kept here, fails the copy.
 */
static bool submit_time_error(long res)
{
	return res == -EBADF || res == -EINVAL || res == -EOPNOTSUPP;
}

/*
 * Park a POLL request in ctx->epfd until its descriptor is ready.
 *
 * A kernel POLL that waited completes, as a rule, with the mask its waker
 * passed, which names POLLRDNORM with POLLIN and POLLWRNORM with POLLOUT
 * whether asked for or not (a pipe's reader gets POLLIN | POLLRDNORM): so
 * the companions are watched too, and a wait here ends with the same mask.
 */
static long park_poll(struct vaio *ctx, struct vaio_iocb *cb, uint32_t events)
{
	struct epoll_event ev;
	struct vaio_poll *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	/*
	 * A duplicate, because the caller may poll one descriptor twice (an
	 * epoll set holds a descriptor once) and may close it meanwhile (the
	 * kernel's POLL holds the file, and so does the duplicate).
	 */
	p->fd = fcntl(cb->aio_fildes, F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0) {
		free(p);
		return -errno;
	}
	if (events & EPOLLIN)
		events |= EPOLLRDNORM;
	if (events & EPOLLOUT)
		events |= EPOLLWRNORM;
	ev.events = events | EPOLLONESHOT;
	ev.data.ptr = p;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
		long err = -errno;

		close(p->fd);
		free(p);
		return err;
	}
	p->cb = cb;
	p->events = events;
	p->next = ctx->polls;
	ctx->polls = p;
	return 0;
}

static ssize_t sync_rw(const struct vaio_iocb *cb, const struct iovec *iov,
		       int iovcnt, off_t off)
{
	if (cb->aio_lio_opcode == VAIO_CMD_PREAD ||
	    cb->aio_lio_opcode == VAIO_CMD_PREADV)
		return preadv2(cb->aio_fildes, iov, iovcnt, off, cb->aio_rw_flags);
	return pwritev2(cb->aio_fildes, iov, iovcnt, off, cb->aio_rw_flags);
}

/*
 * Run @cb now. Returns its result, or sets *@parked for a POLL left waiting;
 * *@at_submit says whether the result is a submission error.
 */
static long sync_op(struct vaio *ctx, struct vaio_iocb *cb, bool *parked,
		    bool *at_submit)
{
	int fd = cb->aio_fildes;
	struct iovec one = {
		.iov_base = (void *)(uintptr_t)cb->aio_buf,
		.iov_len = cb->aio_nbytes,
	};
	const struct iovec *iov = &one;
	int iovcnt = 1;
	struct pollfd pfd;
	ssize_t ret;

	*parked = false;
	*at_submit = false;
	if (cb->aio_reserved2 || (cb->aio_flags & ~IOCB_FLAG_RESFD))
		goto inval;
	switch (cb->aio_lio_opcode) {
	case VAIO_CMD_PREADV:
	case VAIO_CMD_PWRITEV:
		iov = (const struct iovec *)(uintptr_t)cb->aio_buf;
		iovcnt = cb->aio_nbytes;
		if (cb->aio_nbytes > IOV_MAX)
			goto inval;
		/* fall through */
	case VAIO_CMD_PREAD:
	case VAIO_CMD_PWRITE:
		/* preadv2() would take -1 as "the file position"; AIO refuses it. */
		if (cb->aio_offset < 0)
			goto inval;
		ret = sync_rw(cb, iov, iovcnt, cb->aio_offset);
		/* AIO ignores the offset of a pipe or socket; so must we. */
		if (ret < 0 && errno == ESPIPE)
			ret = sync_rw(cb, iov, iovcnt, -1);
		break;
	case VAIO_CMD_FSYNC:
	case VAIO_CMD_FDSYNC:
		if (cb->aio_buf || cb->aio_nbytes || cb->aio_offset ||
		    cb->aio_rw_flags)
			goto inval;
		ret = cb->aio_lio_opcode == VAIO_CMD_FSYNC ? fsync(fd) :
							       fdatasync(fd);
		break;
	case VAIO_CMD_POLL:
		if ((uint16_t)cb->aio_buf != cb->aio_buf || cb->aio_nbytes ||
		    cb->aio_offset || cb->aio_rw_flags)
			goto inval;
		pfd.fd = fd;
		pfd.events = cb->aio_buf;
		if (poll(&pfd, 1, 0) < 0) {
			*at_submit = true;
			return -errno;
		}
		if (pfd.revents & POLLNVAL) {
			*at_submit = true;
			return -EBADF;
		}
		/* As the kernel: errors and hangups are always reported. */
		ret = pfd.revents & (cb->aio_buf | POLLERR | POLLHUP);
		if (ret)
			return ret;
		ret = park_poll(ctx, cb, cb->aio_buf);
		if (ret) {
			*at_submit = true;
			return ret;
		}
		*parked = true;
		return 0;
	default:
		goto inval;
	}
	if (ret < 0) {
		ret = -errno;
		*at_submit = submit_time_error(ret);
	}
	return ret;
inval:
	*at_submit = true;
	return -EINVAL;
}

static int sync_submit(struct vaio *ctx, struct vaio_iocb **cbs, unsigned int n)
{
	unsigned int i, completed = 0;
	bool parked, at_submit;
	long res = 0;

	for (i = 0; i < n; i++) {
		/* A slot for its completion now, so that none is ever lost. */
		if (done_reserve(ctx, ctx->in_flight + 1)) {
			res = -ENOMEM;
			break;
		}
		res = sync_op(ctx, cbs[i], &parked, &at_submit);
		if (at_submit)
			break;
		ctx->in_flight++;
		if (!parked) {
			done_push(ctx, cbs[i], res);
			completed++;
		}
	}
	/* One ring for the batch: the counter's value means nothing here. */
	if (completed)
		signal_efd(ctx);
	return i ? (int)i : (int)res;
}

int vaio_submit(struct vaio *ctx, struct vaio_iocb **cbs, unsigned int n)
{
	unsigned int room = ctx->max_events - ctx->in_flight;
	unsigned int i, done = 0;
	int err = 0;

	if (!n)
		return 0;
	if (!room)
		return -EAGAIN;
	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		cbs[i]->aio_flags |= IOCB_FLAG_RESFD;
		cbs[i]->aio_resfd = ctx->efd;
	}
	if (ctx->sync)
		return sync_submit(ctx, cbs, n);

	/*
	 * io_submit() stops at the first request it refuses and says how
	 * many went before it; asking again for the rest returns that
	 * request's error, which we hand back only if nothing was started.
	 */
	while (done < n) {
		long ret = syscall(SYS_io_submit, ctx->ctx_id, (long)(n - done),
				   cbs + done);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			err = ret < 0 ? -errno : -EAGAIN;
			break;
		}
		done += ret;
		ctx->in_flight += ret;
	}
	return done ? (int)done : err;
}

/* Up to @want completions from the kernel, without waiting. */
static int kernel_fetch(struct vaio *ctx, struct vaio_event *ev,
			unsigned int want)
{
	struct vaio_ring *r = ctx->ring;
	struct timespec zero = { 0 };
	long got;

	if (r) {
		unsigned int nr = r->nr;
		unsigned int head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		/* Pairs with the kernel's barrier between event and tail. */
		unsigned int tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		unsigned int n = 0;

		if (head < nr && tail < nr) {
			while (n < want && head != tail) {
				ev[n++] = r->events[head];
				if (++head == nr)
					head = 0;
			}
			/* The slots are free once head has moved past them. */
			__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
			return n;
		}
		/* Not a ring we understand after all. */
		ctx->ring = NULL;
	}
	do {
		got = syscall(SYS_io_getevents, ctx->ctx_id, 0L, (long)want, ev,
			      &zero);
	} while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : (int)got;
}

/* Synchronous engine: move the POLL requests now ready to the done queue. */
static void harvest_polls(struct vaio *ctx)
{
	struct epoll_event evs[16];
	int n, i;

	do {
		n = epoll_wait(ctx->epfd, evs, 16, 0);
		for (i = 0; i < n; i++) {
			struct vaio_poll *p = evs[i].data.ptr, **pp;
			/* epoll reports only what it was asked to watch. */
			uint32_t mask = evs[i].events;

			if (!p)
				continue;	/* the eventfd */
			if (!mask) {
				struct epoll_event again = {
					.events = p->events | EPOLLONESHOT,
					.data.ptr = p,
				};

				epoll_ctl(ctx->epfd, EPOLL_CTL_MOD, p->fd, &again);
				continue;
			}
			for (pp = &ctx->polls; *pp != p; pp = &(*pp)->next)
				;
			*pp = p->next;
			/* Explicitly: the caller's descriptor keeps the file registered. */
			epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, p->fd, NULL);
			close(p->fd);
			done_push(ctx, p->cb, mask);
			free(p);
		}
	} while (n == 16);
}

/* Are completions known to be waiting (after a reap that hit its limit)? */
static bool more_waiting(struct vaio *ctx)
{
	struct vaio_ring *r = ctx->ring;

	if (ctx->done_count)
		return true;
	if (ctx->sync || !ctx->in_flight)
		return false;
	if (r)
		return __atomic_load_n(&r->head, __ATOMIC_RELAXED) !=
		       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	return true;	/* cannot tell: a spurious wakeup is cheap */
}

/* Hands @got fetched completions (ctx->events) to @fn; they leave flight. */
static void deliver(struct vaio *ctx, int got, vaio_done_fn *fn, void *arg)
{
	int i;

	ctx->in_flight -= got;
	for (i = 0; i < got; i++) {
		struct vaio_event *ev = &ctx->events[i];

		fn(ctx, (struct vaio_iocb *)(uintptr_t)ev->obj,
		   (void *)(uintptr_t)ev->data, (long)ev->res, arg);
	}
}

int vaio_reap_max(struct vaio *ctx, unsigned int max, vaio_done_fn *fn,
		  void *arg)
{
	unsigned int limit = ctx->in_flight, reaped = 0;
	unsigned int batch = ctx->max_events < VAIO_BATCH ? ctx->max_events :
							    VAIO_BATCH;
	uint64_t count;
	int err = 0;

	if (max && max < limit)
		limit = max;
	/*
	 * Clear the doorbell before looking: a completion that lands after
	 * this read rings it again, so none can be missed. A failed read
	 * (someone closed the descriptor) does not stop the reap.
	 */
	if (read(ctx->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		err = -errno;
	if (ctx->sync)
		harvest_polls(ctx);
	while (reaped < limit) {
		unsigned int want = limit - reaped < batch ? limit - reaped : batch;
		int got;

		/* Completions the engine holds (sync, or a cancel's) first. */
		got = done_pop(ctx, ctx->events, want);
		if (!got && !ctx->sync)
			got = kernel_fetch(ctx, ctx->events, want);
		if (got < 0 && !reaped)
			return got;
		if (got <= 0)
			break;
		deliver(ctx, got, fn, arg);
		reaped += got;
	}
	/* Stopped by the limit: ring again so that the loop comes back. */
	if (reaped == limit && more_waiting(ctx))
		signal_efd(ctx);
	return reaped ? (int)reaped : err;
}

int vaio_reap_ring(struct vaio *ctx, vaio_done_fn *fn, void *arg)
{
	unsigned int limit = ctx->in_flight, reaped = 0;
	unsigned int batch = ctx->max_events < VAIO_BATCH ? ctx->max_events :
							    VAIO_BATCH;

	if (ctx->sync || !ctx->ring)
		return -EOPNOTSUPP;
	while (reaped < limit) {
		unsigned int want = limit - reaped < batch ? limit - reaped : batch;
		int got;

		got = done_pop(ctx, ctx->events, want);
		if (!got)
			got = kernel_fetch(ctx, ctx->events, want);
		if (got <= 0)
			break;
		deliver(ctx, got, fn, arg);
		reaped += got;
	}
	return reaped;
}

int vaio_reap(struct vaio *ctx, vaio_done_fn *fn, void *arg)
{
	return vaio_reap_max(ctx, 0, fn, arg);
}

int vaio_cancel(struct vaio *ctx, struct vaio_iocb *cb)
{
	struct vaio_poll **pp, *p;
	struct io_event ev;

	if (!ctx->sync) {
		if (!syscall(SYS_io_cancel, ctx->ctx_id, cb, &ev)) {
			/*
			 * Kernels before 3.11 handed the result back here
			 * instead of through the ring: queue it, so that it
			 * arrives through vaio_reap() like everywhere else.
			 */
			if (done_reserve(ctx, ctx->done_count + 1))
				return -ENOMEM;
			done_push(ctx, cb, ev.res);
			signal_efd(ctx);
			return 0;
		}
		return errno == EINPROGRESS ? 0 : -errno;
	}
	for (pp = &ctx->polls; *pp; pp = &(*pp)->next) {
		p = *pp;
		if (p->cb != cb)
			continue;
		*pp = p->next;
		epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		free(p);
		/* A cancelled kernel POLL completes with no events: so here. */
		done_push(ctx, cb, 0);
		signal_efd(ctx);
		return 0;
	}
	return -EINVAL;
}
