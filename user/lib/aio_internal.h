/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's seams, for aio.c and its unit test only: the test replaces
 * io_setup() to walk the engine through ENOSYS and friends without a
 * kernel that fails that way, and reads the sysctl the engine quotes.
 */
#ifndef VCACHE_USER_AIO_INTERNAL_H
#define VCACHE_USER_AIO_INTERNAL_H

#include <stddef.h>
#include <linux/aio_abi.h>
#include "aio.h"

/* io_setup() as the engine calls it; the raw syscall unless a test says. */
extern long (*vaio_io_setup)(unsigned int nr, aio_context_t *id);

/* The first line of a /proc/sys file, or "?". */
void read_sysctl(const char *path, char *buf, size_t len);

#endif
