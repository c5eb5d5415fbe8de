// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl stats, ls and limit: the whole cache, over netlink.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "parse.h"

static int cmd_stats(struct ctx *ctx)
{
	struct vcnl_stats st;
	struct vcnl *nl;
	int ret = EXIT_OK, err;

	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_stats_get(nl, &st);
	if (err) {
		ret = netlink_fail(nl, -err, "read the cache's counters");
	} else if (ctx->json) {
		printf("{\"videos\": %" PRIu32 ", \"mem_used\": %" PRIu64 ", "
		       "\"mem_limit\": %" PRIu64 ", \"evictions\": %" PRIu64 ", "
		       "\"bytes_served\": %" PRIu64 ", \"events_dropped\": %" PRIu64 ", "
		       "\"aio_queued\": %" PRIu64 ", \"aio_completed\": %" PRIu64 ", "
		       "\"aio_cancelled\": %" PRIu64 ", \"evictions_limit\": %" PRIu64 ", "
		       "\"evictions_pressure\": %" PRIu64 ", \"evictions_admin\": %" PRIu64 ", "
		       "\"shrink_pages\": %" PRIu64 "}\n",
		       st.videos, st.mem_used, st.mem_limit, st.evictions, st.bytes_served,
		       st.events_dropped, st.aio_queued, st.aio_completed, st.aio_cancelled,
		       st.evictions_limit, st.evictions_pressure, st.evictions_admin,
		       st.shrink_pages);
	} else {
		kv("videos", "%" PRIu32, st.videos);
		kv_bytes("memory used", st.mem_used);
		kv_bytes("memory limit", st.mem_limit);
		kv("evictions", "%" PRIu64 " (limit %" PRIu64 ", pressure %" PRIu64
		   ", admin %" PRIu64 ")", st.evictions, st.evictions_limit,
		   st.evictions_pressure, st.evictions_admin);
		kv_bytes("reclaimed", st.shrink_pages * (uint64_t)sysconf(_SC_PAGESIZE));
		kv_bytes("bytes served", st.bytes_served);
		kv("events dropped", "%" PRIu64, st.events_dropped);
		kv("aio queued", "%" PRIu64, st.aio_queued);
		kv("aio completed", "%" PRIu64, st.aio_completed);
		kv("aio cancelled", "%" PRIu64, st.aio_cancelled);
	}
	vcnl_close(nl);
	return ret;
}

const struct cmd stats_cmd = {
	.name = "stats",
	.json = true,
	.summary = "Show the cache's counters.",
	.handler = cmd_stats,
};

struct listed {
	struct vcache_info info;
	struct vcnl_live live;
};

struct listing {
	struct listed *v;
	size_t n, cap;
	bool live;		/* a live stream is among them */
};

static int listing_add(const struct vcache_info *info, const struct vcnl_live *live,
		       void *arg)
{
	struct listing *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct listed *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].info = *info;
	l->v[l->n++].live = *live;
	l->live |= is_live(info);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->info.name,
		      ((const struct listed *)b)->info.name);
}

/* Columns on screen: UTF-8 code points, as names are UTF-8. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

enum { LS_NAME, LS_STATE, LS_SIZE, LS_CAPACITY, LS_FPS, LS_INDEX, LS_OPEN, LS_MAPS,
       LS_SERVED, LS_HEAD, LS_TAIL, LS_VIEWERS, LS_ACCESSED, LS_COLS };

static const char *const ls_head[LS_COLS] = {
	"NAME", "STATE", "SIZE", "CAPACITY", "FPS", "INDEX", "OPEN", "MAPS", "SERVED",
	"HEAD", "TAIL", "VIEWERS", "ACCESSED",
};

/* Columns of live streams only, shown when the listing has one. */
static bool ls_live_col(int c)
{
	return c == LS_HEAD || c == LS_TAIL || c == LS_VIEWERS;
}

/* Numbers right-aligned, words left-aligned; the last column unpadded. */
static void ls_row(const char *const cell[LS_COLS], const size_t w[LS_COLS], bool live)
{
	int c;

	for (c = 0; c < LS_COLS; c++) {
		bool left = c == LS_NAME || c == LS_STATE || c == LS_ACCESSED;
		int pad = (int)(w[c] - width(cell[c]));

		if (!live && ls_live_col(c))
			continue;
		if (c)
			fputs("  ", stdout);
		if (!left)
			printf("%*s", pad, "");
		fputs(cell[c], stdout);
		if (left && c != LS_COLS - 1)
			printf("%*s", pad, "");
	}
	putchar('\n');
}

static void ls_table(const struct listing *l)
{
	char (*text)[LS_COLS][40] = calloc(l->n ? l->n : 1, sizeof(*text));
	const char *cell[LS_COLS];
	size_t w[LS_COLS], i;
	int c;

	for (c = 0; c < LS_COLS; c++)
		w[c] = width(ls_head[c]);
	for (i = 0; text && i < l->n; i++) {
		const struct vcache_info *in = &l->v[i].info;

		snprintf(text[i][LS_STATE], 40, "%s%s", state_name(in->state),
			 in->flags & VCACHE_INFO_PINNED ? ",pinned" : "");
		format_size(text[i][LS_SIZE], 40, in->size);
		format_size(text[i][LS_CAPACITY], 40, in->capacity);
		fps_short(text[i][LS_FPS], 40, in->fps_num, in->fps_den);
		snprintf(text[i][LS_INDEX], 40, "%" PRIu64, (uint64_t)in->index_entries);
		snprintf(text[i][LS_OPEN], 40, "%" PRIu32, (uint32_t)in->open_count);
		snprintf(text[i][LS_MAPS], 40, "%" PRIu32, (uint32_t)in->map_count);
		format_size(text[i][LS_SERVED], 40, in->bytes_served);
		if (is_live(in)) {
			format_size(text[i][LS_HEAD], 40, in->size);
			format_size(text[i][LS_TAIL], 40, in->tail);
			snprintf(text[i][LS_VIEWERS], 40, "%" PRIu32, (uint32_t)in->viewers);
		} else {
			strcpy(text[i][LS_HEAD], "-");
			strcpy(text[i][LS_TAIL], "-");
			strcpy(text[i][LS_VIEWERS], "-");
		}
		if (in->access_time_ns)
			format_time(text[i][LS_ACCESSED], 40, in->access_time_ns);
		else
			snprintf(text[i][LS_ACCESSED], 40, "-");
		if (width(in->name) > w[LS_NAME])
			w[LS_NAME] = width(in->name);
		for (c = 1; c < LS_COLS; c++)
			if (width(text[i][c]) > w[c])
				w[c] = width(text[i][c]);
	}
	ls_row(ls_head, w, l->live);
	for (i = 0; text && i < l->n; i++) {
		cell[LS_NAME] = l->v[i].info.name;
		for (c = 1; c < LS_COLS; c++)
			cell[c] = text[i][c];
		ls_row(cell, w, l->live);
	}
	free(text);
}

static int cmd_ls(struct ctx *ctx)
{
	struct listing l = { 0 };
	struct vcnl *nl;
	int ret = EXIT_OK, err;
	size_t i;

	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_video_dump_live(nl, listing_add, &l);
	if (err) {
		ret = netlink_fail(nl, -err, "list the videos");
		goto out;
	}
	qsort(l.v, l.n, sizeof(*l.v), by_name);
	if (ctx->json) {
		/* One video a line, so that line tools work on it too. */
		fputs(l.n ? "[\n" : "[", stdout);
		for (i = 0; i < l.n; i++) {
			put_info_json(&l.v[i].info, &l.v[i].live);
			fputs(i + 1 < l.n ? ",\n" : "\n", stdout);
		}
		fputs("]\n", stdout);
	} else {
		ls_table(&l);
	}
out:
	free(l.v);
	vcnl_close(nl);
	return ret;
}

const struct cmd ls_cmd = {
	.name = "ls",
	.json = true,
	.summary = "List the videos, by name.",
	.help =
		"With -j, a JSON array of the objects info -j prints, one a line.\n",
	.handler = cmd_ls,
};

static int cmd_limit(struct ctx *ctx)
{
	const char *arg = ctx->argv[0];
	struct vcnl *nl;
	uint64_t bytes;
	int ret = EXIT_OK, err;

	err = parse_size(arg, &bytes);
	if (err)
		return usage_error(ctx, "bad SIZE %s: %s", show(arg),
				   err == -ERANGE ? "too large" :
				   "want a byte count such as 512M or 2G, or 0");
	if (bytes % MiB)
		return usage_error(ctx, "SIZE %s is not a whole number of MiB", show(arg));
	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_limit_set(nl, bytes);
	if (err)
		ret = netlink_fail(nl, -err, "set the memory limit to %s",
			      bytes ? hsize(bytes) : "the default");
	vcnl_close(nl);
	return ret;
}

const struct cmd limit_cmd = {
	.name = "limit",
	.args = { "SIZE" },
	.summary = "Set the cache's memory limit (needs CAP_NET_ADMIN).",
	.help =
		"SIZE is a whole number of MiB (512M, 2G, 1.5G), or 0 for the\n"
		"default, a quarter of RAM; the module parameter max_mb follows.\n"
		"Lowering the limit evicts unused sealed videos, least recently\n"
		"released first, until the cache fits.\n",
	.handler = cmd_limit,
};
