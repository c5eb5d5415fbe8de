// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl monitor: the cache's netlink events, one line each.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "ctl.h"
#include "parse.h"

struct monitor {
	bool json;
	uint64_t last_seq;	/* 0 before the first event */
	uint64_t seen;
	uint64_t count;		/* --count, 0 for no end */
};

/* Events the kernel numbered but we never got: @n of them, 0 if unknown. */
static void monitor_lost(const struct monitor *m, uint64_t n)
{
	if (m->json && n)
		printf("{\"event\": \"lost\", \"count\": %" PRIu64 "}\n", n);
	else if (m->json)
		fputs("{\"event\": \"lost\"}\n", stdout);
	else if (n)
		printf("lost %" PRIu64 " event%s (rate limit)\n", n, n == 1 ? "" : "s");
	else
		fputs("lost events (receive buffer overrun)\n", stdout);
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case VCACHE_EVENT_CREATED:
		return "created";
	case VCACHE_EVENT_SEALED:
		return "sealed";
	case VCACHE_EVENT_DELETED:
		return "deleted";
	case VCACHE_EVENT_EVICTED:
		return "evicted";
	case VCACHE_EVENT_LIVE_STARTED:
		return "started";
	case VCACHE_EVENT_LIVE_ENDED:
		return "ended";
	case VCACHE_EVENT_VIEWER_BEHIND:
		return "behind";
	default:
		return NULL;
	}
}

/* Why a video was evicted: the limit, memory pressure, or a lower limit. */
static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case VCACHE_EVICT_LIMIT:
		return "limit";
	case VCACHE_EVICT_PRESSURE:
		return "pressure";
	case VCACHE_EVICT_ADMIN:
		return "admin";
	default:
		return NULL;
	}
}

static void monitor_human(const struct vcnl_event *ev)
{
	const struct vcache_info *in = &ev->video;
	const struct vcnl_live *live = &ev->live;
	const char *what = event_name(ev->type);
	char when[64], fps[64], type[32];

	format_time(when, sizeof(when), ev->time_ns);
	if (!what) {
		snprintf(type, sizeof(type), "event %" PRIu32, ev->type);
		what = type;
	}
	printf("%s %-8s %s id %" PRIu64, when, what, show(in->name), (uint64_t)in->id);
	switch (ev->type) {
	case VCACHE_EVENT_CREATED:
		format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
		printf(", capacity %s, %s fps", hsize(in->capacity), fps);
		break;
	case VCACHE_EVENT_SEALED:
		printf(", size %s, %" PRIu64 " index entries", hsize(in->size),
		       (uint64_t)in->index_entries);
		break;
	case VCACHE_EVENT_DELETED:
		if (in->state == VCACHE_STATE_LOADING)
			fputs(", while loading", stdout);
		break;
	case VCACHE_EVENT_EVICTED:
		format_time(when, sizeof(when), in->access_time_ns);
		printf(", size %s, last read %s", hsize(in->size), when);
		if (reason_name(ev->reason))
			printf(", %s", reason_name(ev->reason));
		break;
	case VCACHE_EVENT_LIVE_STARTED:
		format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
		printf(", ring %s, window %s, %s fps", hsize(live->ring), hsize(in->window),
		       fps);
		break;
	case VCACHE_EVENT_LIVE_ENDED:
		printf(", head %s, %" PRIu32 " viewer%s", hsize(in->size),
		       (uint32_t)in->viewers, in->viewers == 1 ? "" : "s");
		break;
	case VCACHE_EVENT_VIEWER_BEHIND:
		printf(", tail %s, head %s, %" PRIu64 " read%s behind so far", hsize(in->tail),
		       hsize(in->size), live->behind, live->behind == 1 ? "" : "s");
		break;
	}
	putchar('\n');
}

static int on_event(const struct vcnl_event *ev, void *arg)
{
	struct monitor *m = arg;
	const char *what = event_name(ev->type);

	if (m->last_seq && ev->seq > m->last_seq + 1)
		monitor_lost(m, ev->seq - m->last_seq - 1);
	if (ev->seq > m->last_seq)
		m->last_seq = ev->seq;
	if (m->json) {
		if (what)
			printf("{\"event\": \"%s\", ", what);
		else
			printf("{\"event\": \"unknown\", \"type\": %" PRIu32 ", ", ev->type);
		printf("\"seq\": %" PRIu64 ", \"time_ns\": %" PRIu64 ", ",
		       ev->seq, ev->time_ns);
		if (ev->type == VCACHE_EVENT_EVICTED && reason_name(ev->reason))
			printf("\"reason\": \"%s\", ", reason_name(ev->reason));
		fputs("\"video\": ", stdout);
		put_info_json(&ev->video, &ev->live);
		fputs("}\n", stdout);
	} else {
		monitor_human(ev);
	}
	/* Whoever reads us wants each event as it happens. */
	if (fflush(stdout))
		return -EPIPE;
	if (m->count && ++m->seen == m->count)
		return -ECANCELED;
	return 0;
}

/* Where ctx->optval holds each of monitor's options. */
enum {
	MONITOR_OPT_COUNT,
	MONITOR_OPTS
};

static const struct cmd_opt monitor_opts[] = {
	[MONITOR_OPT_COUNT] = { "--count", "COUNT", "exit after COUNT events (default: at SIGINT or SIGTERM)" },
	[MONITOR_OPTS] = { 0 }
};

_Static_assert(MONITOR_OPTS <= CMD_MAX_OPTS, "ctx->optval");

/*
 * Prints events until SIGINT or SIGTERM, or --count of them. The signals
 * come through a signalfd polled with the socket: a handler could strike
 * between a check of its flag and poll(2), and libnl retries EINTR anyway.
 */
static int cmd_monitor(struct ctx *ctx)
{
	struct monitor m = { .json = ctx->json };
	const char *count = ctx->optval[MONITOR_OPT_COUNT];
	struct pollfd pfd[2];
	sigset_t sigs;
	struct vcnl *nl;
	int ret = EXIT_OK, err = 0, sfd;

	if (count) {
		char *end;

		errno = 0;
		m.count = strtoull(count, &end, 10);
		if (errno || end == count || *end || count[0] < '0' || count[0] > '9' ||
		    !m.count)
			return usage_error(ctx, "bad --count %s: want a number of events, 1 or more",
					   show(count));
	}
	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		ret = fail(errno, "watch for signals");
		goto out;
	}
	err = vcnl_monitor_join(nl);
	if (err) {
		ret = netlink_fail(nl, -err, "listen to the %s events", VCACHE_GENL_NAME);
		goto out;
	}
	pfd[0] = (struct pollfd){ .fd = vcnl_fd(nl), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = fail(errno, "wait for events");
			break;
		}
		if (pfd[1].revents)
			break;		/* asked to stop: a normal end */
		do
			err = vcnl_monitor_read(nl, on_event, &m);
		while (!err);
		if (err == -ENOBUFS) {
			monitor_lost(&m, 0);
			m.last_seq = 0;		/* the gap is explained */
			continue;
		}
		if (err == -ECANCELED || err == -EPIPE)
			break;		/* --count reached, or no one reads */
		if (err != -EAGAIN) {
			ret = netlink_fail(nl, -err, "read the %s events", VCACHE_GENL_NAME);
			break;
		}
	}
out:
	if (sfd >= 0)
		close(sfd);
	vcnl_close(nl);
	return ret;
}

const struct cmd monitor_cmd = {
	.name = "monitor",
	.opts = monitor_opts,
	.json = true,
	.summary = "Print what happens to videos as it happens.",
	.help =
		"One line per event: created, sealed, deleted, evicted; for live\n"
		"streams started, ended, and behind (a viewer fell behind the\n"
		"window; at most one a stream every 100 ms). With -j,\n"
		"one JSON object per line. Events beyond the kernel's rate limit\n"
		"are dropped; a \"lost\" line says how many.\n",
	.handler = cmd_monitor,
};
