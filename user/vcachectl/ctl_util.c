// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl: what every command uses to complain and to connect. The
 * messages (one line each, see ctl.h), strings made safe and short for
 * them, video names checked as the kernel checks them, and opening the
 * device or the netlink family with a message that says what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vcache/name.h>
#include "ctl.h"
#include "parse.h"

/* A progress bar is on the last line of stderr: a message must clear it. */
bool progress_shown;

/*
 * A string from the command line or the kernel, escaped and quoted for a
 * one-line message: a name with a newline or an escape sequence in it must
 * neither split the line nor drive the terminal. Long strings are cut.
 * Four rotating buffers let one message show a few strings.
 */
const char *show(const char *s)
{
	static char bufs[4][512];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	size_t len = strlen(s), cut = len > 80 ? 80 : len, n;

	buf[0] = '"';
	n = c_escape(buf + 1, sizeof(bufs[0]) - 5, s, cut);
	n = 1 + (n < sizeof(bufs[0]) - 5 ? n : sizeof(bufs[0]) - 6);
	snprintf(buf + n, sizeof(bufs[0]) - n, "%s\"", cut < len ? "..." : "");
	return buf;
}

/* "20.0 MiB", from one of four rotating buffers. */
const char *hsize(uint64_t bytes)
{
	static char bufs[4][32];
	static unsigned int next;
	char *buf = bufs[next++ % 4];

	format_size(buf, sizeof(bufs[0]), bytes);
	return buf;
}

/* "25", "29.97", "23.976", "12.5": a table has no room for the exact N/D. */
void fps_short(char *buf, size_t size, uint32_t num, uint32_t den)
{
	size_t len;

	if (!den || num % den == 0) {
		snprintf(buf, size, "%" PRIu32, den ? num / den : 0);
		return;
	}
	len = snprintf(buf, size, "%.3f", (double)num / den);
	while (len > 1 && len < size && buf[len - 1] == '0')
		buf[--len] = '\0';
}

/* Prints "vcachectl: CMD: <what> (see vcachectl CMD --help)". */
int usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs(progress_shown ? "\r\033[K" PROG ": " : PROG ": ", stderr);
	progress_shown = false;
	if (ctx->cmd)
		fprintf(stderr, "%s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctx->cmd)
		fprintf(stderr, " (see " PROG " %s --help)\n", ctx->cmd->name);
	else
		fputs(" (see " PROG " help)\n", stderr);
	return EXIT_USAGE;
}

/* Prints "vcachectl: <what>: <errno text>". */
int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs(progress_shown ? "\r\033[K" PROG ": " : PROG ": ", stderr);
	progress_shown = false;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return EXIT_FAIL;
}

/*
 * Fills a name field for the kernel, after the very check the kernel makes,
 * so that a bad name is a usage error with a reason rather than a bare
 * EINVAL from the ioctl. Returns EXIT_OK or EXIT_USAGE.
 */
int name_field(const struct ctx *ctx, const char *name, char field[VCACHE_NAME_MAX])
{
	size_t len = strlen(name);

	memset(field, 0, VCACHE_NAME_MAX);
	if (!len)
		return usage_error(ctx, "empty video name");
	if (len >= VCACHE_NAME_MAX)
		return usage_error(ctx, "video name %s is too long (%zu bytes, at most %d)",
				   show(name), len, VCACHE_NAME_MAX - 1);
	memcpy(field, name, len);
	if (!vcache_name_check(field, VCACHE_NAME_MAX))
		return usage_error(ctx, "bad video name %s: %s", show(name),
				   "want UTF-8 without '/' or control characters, not \".\" or \"..\"");
	return EXIT_OK;
}

/* Opens the device; -1 after a message. */
int dev_open(const struct ctx *ctx, int flags)
{
	int fd = open(ctx->device, flags | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		fprintf(stderr, PROG ": open %s: %s%s\n", ctx->device, strerror(err),
			err == ENOENT && !strcmp(ctx->device, DEFAULT_DEVICE) ?
			" (is the vcache module loaded?)" : "");
	}
	return fd;
}

/*
 * info, rm, stats, ls, limit and monitor talk to the module over generic
 * netlink (user/lib/nl.c), not the device: INFO no longer has to OPEN the
 * video, and a listing or the counters need no access to /dev/vcache.
 */

/* Connects to the module's netlink family; NULL after a message. */
struct vcnl *netlink_connect(void)
{
	struct vcnl *nl;
	int err = vcnl_open(&nl);

	if (err)
		fprintf(stderr, PROG ": connect to the %s netlink family: %s%s\n",
			VCACHE_GENL_NAME, strerror(-err),
			err == -ENOENT ? " (is the vcache module loaded?)" : "");
	return err ? NULL : nl;
}

/* Like fail(), with the kernel's reason (extended ack) when it gave one. */
int netlink_fail(const struct vcnl *nl, int err, const char *fmt, ...)
{
	const char *why = vcnl_ext_msg(nl);
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(err));
	if (why)
		fprintf(stderr, " (%s)", why);
	else if (err == EPERM)
		fputs(" (needs CAP_NET_ADMIN)", stderr);
	fputc('\n', stderr);
	return EXIT_FAIL;
}
