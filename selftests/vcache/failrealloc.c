// SPDX-License-Identifier: GPL-2.0
/*
 * An LD_PRELOAD shim for the streamer tests: realloc() that grows a block
 * past a size fails, so that what a server does when a buffer cannot grow
 * (ENOMEM in the middle of a response) can be tested.
 *
 *   LD_PRELOAD=build/selftests/failrealloc.so VCACHE_FAIL_REALLOC_OVER=1024 \
 *	vcache-streamer ...
 *
 * realloc(p, n) with p != NULL and n > VCACHE_FAIL_REALLOC_OVER returns
 * NULL with errno ENOMEM and leaves p as it was; everything else (the
 * first allocation, realloc(NULL, n), a shrink, malloc, free) goes to the
 * real realloc. Without the variable (or with one that is not a number)
 * nothing fails. Only realloc: a server's start and its small buffers
 * stay as they are, and the first block of a growing buffer is still had.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

static void *(*real_realloc)(void *, size_t);
static size_t fail_over;	/* 0: never fail */

__attribute__((constructor)) static void failrealloc_init(void)
{
	const char *s = getenv("VCACHE_FAIL_REALLOC_OVER");
	char *end;

	real_realloc = dlsym(RTLD_NEXT, "realloc");
	if (s && *s) {
		fail_over = strtoull(s, &end, 10);
		if (*end)
			fail_over = 0;
	}
}

void *realloc(void *p, size_t n)
{
	if (p && fail_over && n > fail_over) {
		errno = ENOMEM;
		return NULL;
	}
	/* Called before the constructor ran (another library's): look it up now. */
	if (!real_realloc)
		real_realloc = dlsym(RTLD_NEXT, "realloc");
	return real_realloc(p, n);
}
