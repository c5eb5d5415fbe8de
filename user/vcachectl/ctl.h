/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcachectl's insides, shared by its files:
 *   vcachectl.c    the commands' order, help, argument parsing, main()
 *   ctl_util.c     messages, names, the device and the netlink connection
 *   ctl_print.c    how a video and counters print: key/value lines, JSON
 *   ctl_load.c     load
 *   ctl_video.c    seek, cat, info, rm
 *   ctl_stats.c    stats, ls, limit
 *   ctl_monitor.c  monitor
 *   ctl_live.c     live
 * Each command's file holds its struct cmd, its options and the enum that
 * names their slots in ctx->optval, beside its handler.
 *
 * A failure is one line on stderr (see vcachectl.c): usage_error() for a
 * command called wrong (exit 2), fail() or netlink_fail() for one that
 * failed (exit 1).
 */
#ifndef VCACHECTL_CTL_H
#define VCACHECTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vcache.h>
#include "cmd.h"
#include "nl.h"

#define PROG		"vcachectl"
#define DEFAULT_DEVICE	"/dev/vcache"
#define MiB		(1024 * 1024ULL)

/* A progress bar (load) is on the last line of stderr: messages clear it. */
extern bool progress_shown;

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ctl_util.c */
const char *show(const char *s);
const char *hsize(uint64_t bytes);
void fps_short(char *buf, size_t size, uint32_t num, uint32_t den);
int usage_error(const struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int name_field(const struct ctx *ctx, const char *name, char field[VCACHE_NAME_MAX]);
int dev_open(const struct ctx *ctx, int flags);
/* Not nl_*(): libnl has nl_connect(), and ours would replace it. */
struct vcnl *netlink_connect(void);
int netlink_fail(const struct vcnl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ctl_print.c */
void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kv_bytes(const char *key, uint64_t bytes);
bool is_live(const struct vcache_info *in);
void put_info_json(const struct vcache_info *in, const struct vcnl_live *live);
void print_info_json(const struct vcache_info *in, const struct vcnl_live *live);
void print_info(const struct vcache_info *in, const struct vcnl_live *live);

/* The commands' records, each beside its handler, for vcachectl.c's list. */
extern const struct cmd load_cmd;		/* ctl_load.c */
extern const struct cmd cat_cmd, seek_cmd, info_cmd, rm_cmd;	/* ctl_video.c */
extern const struct cmd pin_cmd, unpin_cmd;			/* ctl_video.c */
extern const struct cmd stats_cmd, ls_cmd, limit_cmd;	/* ctl_stats.c */
extern const struct cmd monitor_cmd;		/* ctl_monitor.c */
extern const struct cmd live_cmd;		/* ctl_live.c */

#endif /* VCACHECTL_CTL_H */
