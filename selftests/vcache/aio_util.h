/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel AIO by raw system calls, for the selftests that drive it (libaio
 * is not what the kernel's selftests link). Each returns what the system
 * call does, with errno set.
 */
#ifndef VCACHE_AIO_UTIL_H
#define VCACHE_AIO_UTIL_H

#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline int io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static inline int io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static inline int io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static inline int io_getevents(aio_context_t ctx, long min, long max,
			       struct io_event *ev, struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, ts);
}

static inline int io_cancel(aio_context_t ctx, struct iocb *iocb, struct io_event *ev)
{
	return syscall(SYS_io_cancel, ctx, iocb, ev);
}

#endif /* VCACHE_AIO_UTIL_H */
