/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vaio: a small engine for Linux kernel AIO (io_setup, io_submit,
 * io_getevents) made to sit in an epoll loop.
 *
 * Every request signals one eventfd when it completes (IOCB_FLAG_RESFD); the
 * loop polls vaio_eventfd() and calls vaio_reap(), which never blocks. When
 * the kernel refuses an AIO context (no CONFIG_AIO, a seccomp filter, the
 * system-wide fs.aio-max-nr used up), the engine falls back to doing each
 * operation synchronously inside vaio_submit() and delivers its completion
 * through the same descriptor and the same vaio_reap(), so callers have one
 * code path; vaio_reason() says what was given up and why.
 *
 * Usage:
 *	struct vaio aio;
 *	struct vaio_iocb cb, *cbs[] = { &cb };
 *
 *	vaio_init(&aio, 64, 0);
 *	epoll_ctl(ep, EPOLL_CTL_ADD, vaio_eventfd(&aio), &(struct epoll_event){
 *		.events = EPOLLIN });
 *	vaio_prep_pread(&cb, fd, buf, len, off, my_cookie);
 *	vaio_submit(&aio, cbs, 1);
 *	... epoll_wait() says the descriptor is readable ...
 *	vaio_reap(&aio, done, arg);	// done(&aio, &cb, my_cookie, res, arg)
 *	vaio_destroy(&aio);
 *
 * A struct vaio_iocb belongs to the engine from a successful vaio_submit()
 * until its completion has been passed to the callback: it must stay in
 * place (the kernel reports it by address) and must not be reused, and so
 * must the buffers it names. An iovec array is read during vaio_submit()
 * and may be reused once it returns.
 *
 * One thread at a time per struct vaio. Functions return 0 (or a count) on
 * success and a negative errno on failure, as the kernel does.
 */
#ifndef VCACHE_USER_AIO_H
#define VCACHE_USER_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * One request, laid out exactly as the kernel's struct iocb (aio.c checks
 * this at compile time) and handed to io_submit() as is. It has a name of its
 * own, and this header does not include <linux/aio_abi.h>, so that a program
 * can use it next to libaio.h, which defines a different struct iocb.
 */
struct vaio_iocb {
	uint64_t aio_data;		/* the caller's cookie */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t aio_key;		/* written by the kernel */
	int32_t aio_rw_flags;		/* RWF_*, as for preadv2() */
#else
	int32_t aio_rw_flags;
	uint32_t aio_key;
#endif
	uint16_t aio_lio_opcode;	/* VAIO_CMD_* */
	int16_t aio_reqprio;
	uint32_t aio_fildes;
	uint64_t aio_buf;		/* buffer, iovec array or poll events */
	uint64_t aio_nbytes;		/* length or iovec count */
	int64_t aio_offset;
	uint64_t aio_reserved2;
	uint32_t aio_flags;		/* IOCB_FLAG_RESFD, set by the engine */
	uint32_t aio_resfd;
};

/* The kernel's struct io_event (checked in aio.c too). */
struct vaio_event {
	uint64_t data;
	uint64_t obj;
	int64_t res;
	int64_t res2;
};

/* Opcodes: the kernel's IOCB_CMD_* values. */
#define VAIO_CMD_PREAD		0
#define VAIO_CMD_PWRITE		1
#define VAIO_CMD_FSYNC		2
#define VAIO_CMD_FDSYNC		3
#define VAIO_CMD_POLL		5
#define VAIO_CMD_PREADV		7
#define VAIO_CMD_PWRITEV	8

/* vaio_init() flags */
#define VAIO_SYNC		(1U << 0)	/* synchronous engine from the start */
#define VAIO_NO_FALLBACK	(1U << 1)	/* fail instead of falling back */
#define VAIO_QUIET		(1U << 2)	/* no fallback notice on stderr */
#define VAIO_NO_USER_REAP	(1U << 3)	/* always reap with io_getevents */

#define VAIO_REASON_MAX		256

struct vaio_poll;

/**
 * struct vaio - one engine; the fields are private, read them through the
 * functions below.
 * @ctx_id:     the kernel AIO context (aio_context_t); 0 when synchronous.
 * @ring:       the kernel's completion ring mapped at @ctx_id, when its
 *              header is one this code knows; NULL otherwise.
 * @efd:        the eventfd every request signals.
 * @epfd:       synchronous engine only: an epoll set holding @efd and the
 *              descriptors of pending POLL requests.
 * @max_events: most requests in flight at once.
 * @in_flight:  requests submitted and not yet reaped.
 * @sync:       operations run synchronously in vaio_submit().
 * @setup_err:  the io_setup() error behind the fallback (positive errno).
 * @events:     @max_events slots: the batch being reaped.
 * @done:       completions the engine holds for vaio_reap() (all of the
 *              synchronous engine's; a cancel's on old kernels): a ring of
 *              @done_cap slots, @done_count of them used from @done_head.
 *              It grows before each submission, never at completion.
 * @polls:      synchronous engine: POLL requests whose descriptor was not
 *              ready at submission.
 * @signal_failures: eventfd writes that failed (the completion is kept and
 *              reaped all the same).
 * @reason:     why the engine is synchronous, or why vaio_init() failed.
 */
struct vaio {
	uint64_t ctx_id;
	void *ring;
	int efd;
	int epfd;
	unsigned int max_events;
	unsigned int in_flight;
	unsigned int flags;
	bool sync;
	int setup_err;
	struct vaio_event *events;
	struct vaio_event *done;
	unsigned int done_cap;
	unsigned int done_head;
	unsigned int done_count;
	struct vaio_poll *polls;
	uint64_t signal_failures;
	char reason[VAIO_REASON_MAX];
};

/*
 * Called once per completion by vaio_reap(): @res is what the synchronous
 * call would have returned (bytes, or the ready poll events) or a negative
 * errno. The callback may submit new requests and reuse @cb, and may cancel
 * others, but must not reap or destroy the engine.
 */
typedef void vaio_done_fn(struct vaio *ctx, struct vaio_iocb *cb,
			  void *cookie, long res, void *arg);

/*
 * vaio_init() - an engine for up to @nr requests in flight.
 *
 * Returns 0, with vaio_is_sync() telling which engine it got, or -EINVAL
 * (@nr is 0, unknown flags), -EMFILE/-ENFILE/-ENOMEM (no eventfd or
 * memory), or, with VAIO_NO_FALLBACK, io_setup()'s error: -ENOSYS (no kernel
 * AIO here, or seccomp denies it), -EINVAL (@nr above the kernel's cap of a
 * context), -EAGAIN (fs.aio-max-nr would be passed; the message gives
 * fs.aio-nr and fs.aio-max-nr). vaio_reason() explains either way.
 */
int vaio_init(struct vaio *ctx, unsigned int nr, unsigned int flags);

/*
 * vaio_destroy() - wait for kernel requests still in flight (POLLs are
 * cancelled; io_destroy() blocks until the rest complete), drop their
 * completions, free everything. Harmless after a failed vaio_init(). A
 * kernel AIO context does not survive fork(): the child must make its own.
 */
void vaio_destroy(struct vaio *ctx);

/* Fill @cb; nothing is checked until vaio_submit(). */
void vaio_prep_pread(struct vaio_iocb *cb, int fd, void *buf, size_t len,
		     off_t off, void *cookie);
void vaio_prep_pwrite(struct vaio_iocb *cb, int fd, const void *buf,
		      size_t len, off_t off, void *cookie);
void vaio_prep_preadv(struct vaio_iocb *cb, int fd, const struct iovec *iov,
		      int iovcnt, off_t off, void *cookie);
void vaio_prep_pwritev(struct vaio_iocb *cb, int fd, const struct iovec *iov,
		       int iovcnt, off_t off, void *cookie);
/* fsync(2), or fdatasync(2) when @datasync. */
void vaio_prep_fsync(struct vaio_iocb *cb, int fd, bool datasync,
		     void *cookie);
/* Completes when @fd has any of @events (POLLIN...); res is the ready set. */
void vaio_prep_poll(struct vaio_iocb *cb, int fd, short events, void *cookie);

/* RWF_* flags for a read or write, as preadv2()/pwritev2() take them. */
static inline void vaio_set_rw_flags(struct vaio_iocb *cb, int rw_flags)
{
	cb->aio_rw_flags = rw_flags;
}

static inline void *vaio_cookie(const struct vaio_iocb *cb)
{
	return (void *)(uintptr_t)cb->aio_data;
}

/*
 * vaio_submit() - start @n requests, in order.
 *
 * Returns how many were started (the first that many of @cbs), which may be
 * fewer than @n: when the engine is full (max_events in flight; reap and
 * submit the rest) or when the request after them was refused. Returns a
 * negative errno when none was started: -EAGAIN (full, or the kernel lacks
 * resources right now), or the first request's error at submission: -EBADF
 * (descriptor not open, or not open for that), -EINVAL (bad opcode, offset,
 * flags), -EOPNOTSUPP (RWF flags the file does not support), -EFAULT (an
 * unreadable iovec array; the synchronous engine reports that as the
 * completion's error). Errors of the operation itself, a bad buffer among
 * them, arrive as completions with a negative res, in both engines.
 */
int vaio_submit(struct vaio *ctx, struct vaio_iocb **cbs, unsigned int n);

/*
 * vaio_reap() - hand every completion available now to @fn; never blocks.
 *
 * Call it when vaio_eventfd() polls readable (a spurious call costs a read
 * of the eventfd). One call reaps at most as many completions as there were
 * requests in flight when it began, so that a callback that always
 * resubmits cannot keep the loop here; completions of what @fn submits
 * signal the descriptor again. Returns the number reaped or a negative
 * errno.
 *
 * vaio_reap_max() reaps at most @max; if more are left, it makes the
 * descriptor readable again so that a level- or edge-triggered loop comes
 * back for them.
 */
int vaio_reap(struct vaio *ctx, vaio_done_fn *fn, void *arg);
int vaio_reap_max(struct vaio *ctx, unsigned int max, vaio_done_fn *fn,
		  void *arg);

/*
 * vaio_reap_ring() - hand to @fn the completions already in the kernel's
 * completion ring, without a system call and without reading the eventfd.
 *
 * For a loop that looks right after vaio_submit() (buffered reads and reads
 * of /dev/vcache complete inside io_submit()) and so needs the eventfd only
 * while requests are still in flight: it can register the descriptor with
 * EPOLLONESHOT and arm it (vaio_reap() first, to clear it, then
 * EPOLL_CTL_MOD) only then. The counter keeps counting meanwhile; that is
 * harmless, since it is only a doorbell. Returns the number reaped, or
 * -EOPNOTSUPP when there is no ring to read (the synchronous engine,
 * VAIO_NO_USER_REAP, a ring layout this code does not know): use
 * vaio_reap() then.
 */
int vaio_reap_ring(struct vaio *ctx, vaio_done_fn *fn, void *arg);

/*
 * vaio_cancel() - ask that @cb, in flight, be cancelled.
 *
 * Returns 0 if cancellation is under way: the completion still arrives
 * through vaio_reap() (a cancelled POLL completes with res 0: nothing was
 * ready). -EINVAL when @cb cannot be cancelled, which is the case of reads
 * and writes of regular files and of requests that already completed: only
 * POLL requests and some drivers' queued reads can be.
 */
int vaio_cancel(struct vaio *ctx, struct vaio_iocb *cb);

/*
 * The descriptor to watch for POLLIN/EPOLLIN: the eventfd itself for kernel
 * AIO; an epoll descriptor holding it for the synchronous engine, which needs
 * it to wait for POLL requests on the caller's behalf.
 */
static inline int vaio_eventfd(const struct vaio *ctx)
{
	return ctx->sync ? ctx->epfd : ctx->efd;
}

static inline bool vaio_is_sync(const struct vaio *ctx)
{
	return ctx->sync;
}

static inline unsigned int vaio_in_flight(const struct vaio *ctx)
{
	return ctx->in_flight;
}

/* Why the engine is synchronous (or why vaio_init() failed); NULL if not. */
static inline const char *vaio_reason(const struct vaio *ctx)
{
	return ctx->reason[0] ? ctx->reason : NULL;
}

#endif /* VCACHE_USER_AIO_H */
