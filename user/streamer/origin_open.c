// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, below the handlers: the --origin lookup (origin.h).
 * No streamer state, so that user/tests/origin_test.c runs it on the host
 * against a directory with escapes in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <vcache/name.h>
#include <linux/vcache.h>
#include "origin.h"

bool origin_name_ok(const char *name)
{
	char field[VCACHE_NAME_MAX] = "";
	size_t len = strlen(name);

	/* The router checked it already; checked again: this opens files. */
	if (!len || len >= sizeof(field) || name[0] == '.' || strchr(name, '/'))
		return false;
	memcpy(field, name, len);
	return vcache_name_check(field, sizeof(field)) == len;
}

int origin_openat(int dirfd, const char *name, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC | O_NOCTTY,
		/*
		 * BENEATH: no absolute path, no ".." above dirfd, no symlink
		 * that leads out (EXDEV). NO_MAGICLINKS: no /proc/self/fd/N
		 * style jump through a link planted in the directory.
		 */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* What one directory says of @name: found, missing, or refused. */
static enum origin_verdict lookup_one(int dirfd, const char *name, int *fd,
				      struct stat *st, int *err)
{
	int f, fl;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	f = origin_openat(dirfd, name, O_RDONLY | O_NONBLOCK);
	if (f == -ENOENT || f == -ENOTDIR) {
		*err = -f;
		return ORIGIN_MISSING;
	}
	if (f == -EMFILE || f == -ENFILE || f == -ENOMEM) {
		*err = -f;
		return ORIGIN_ERROR;
	}
	if (f < 0) {
		/* EXDEV (escape), ELOOP, EACCES, ENOSYS (no openat2): never served. */
		*err = -f;
		return ORIGIN_REFUSED;
	}
	if (fstat(f, st)) {
		*err = errno;
		close(f);
		return ORIGIN_ERROR;
	}
	if (!S_ISREG(st->st_mode)) {
		*err = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		close(f);
		return ORIGIN_REFUSED;
	}
	/* A regular file: its reads block (or go through AIO), as load.c wants. */
	fl = fcntl(f, F_GETFL);
	if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK)) {
		*err = errno;
		close(f);
		return ORIGIN_ERROR;
	}
	*fd = f;
	return ORIGIN_FOUND;
}

enum origin_verdict origin_lookup(const int *dirs, unsigned int n, const char *name,
				  int *fd, struct stat *st, unsigned int *dir, int *err)
{
	enum origin_verdict v = ORIGIN_MISSING;
	unsigned int i;

	*fd = -1;
	*err = ENOENT;
	if (!origin_name_ok(name)) {
		*err = EINVAL;
		return ORIGIN_REFUSED;
	}
	/* First match wins: a name refused in one directory is not looked for further. */
	for (i = 0; i < n; i++) {
		v = lookup_one(dirs[i], name, fd, st, err);
		if (v != ORIGIN_MISSING) {
			*dir = i;
			return v;
		}
	}
	return v;
}
