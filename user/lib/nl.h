/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcachectl's client of the "vcache" generic netlink family (see the netlink
 * section of include/uapi/linux/vcache.h), over libnl-genl-3.
 *
 * Every function returns 0 or a negative errno. A request the kernel refused
 * gives the kernel's own errno, not libnl's paraphrase of it, so that
 * messages read "Operation not permitted" as they would for an ioctl; the
 * kernel's explanation, if it sent one, is then in vcnl_ext_msg().
 */
#ifndef VCACHECTL_NL_H
#define VCACHECTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vcache.h>

struct vcnl;

/* STATS_GET: the cache's counters. */
struct vcnl_stats {
	uint64_t mem_used;
	uint64_t mem_limit;
	uint32_t videos;
	uint64_t evictions;
	uint64_t bytes_served;
	uint64_t events_dropped;
	uint64_t aio_queued;
	uint64_t aio_completed;
	uint64_t aio_cancelled;
	uint64_t evictions_limit;	/* by reason: VCACHE_EVICT_* */
	uint64_t evictions_pressure;
	uint64_t evictions_admin;
	uint64_t shrink_pages;		/* given back by the shrinker */
};

/*
 * What VIDEO_GET says of a live stream beyond struct vcache_info, whose
 * size (the head), tail, window and viewers it fills too. All 0 for a
 * video that is not live.
 */
struct vcnl_live {
	uint64_t ring;			/* bytes in the ring */
	uint64_t behind;		/* reads refused with EOVERFLOW */
};

/* One message of the events group. */
struct vcnl_event {
	uint32_t type;			/* VCACHE_EVENT_* or one we do not know */
	uint64_t seq;
	uint64_t time_ns;
	uint32_t reason;		/* evicted: VCACHE_EVICT_*, else 0 */
	struct vcache_info video;	/* as VIDEO_GET would describe it */
	struct vcnl_live live;
};

/* Connects to the family: -ENOENT when the module is not loaded. */
int vcnl_open(struct vcnl **nlp);
void vcnl_close(struct vcnl *nl);

/* The kernel's message about the last refused request, or NULL. */
const char *vcnl_ext_msg(const struct vcnl *nl);

/*
 * VIDEO_GET. The struct vcache_info is filled as VCACHE_IOC_INFO fills it;
 * what netlink does not carry stays 0. @live may be NULL.
 */
int vcnl_video_get(struct vcnl *nl, const char *name, struct vcache_info *info,
		   struct vcnl_live *live);

/* VIDEO_GET dump: @fn once per video, in id order; a negative return stops. */
int vcnl_video_dump(struct vcnl *nl,
		    int (*fn)(const struct vcache_info *info, void *arg), void *arg);
/* The same, with what only live streams have. */
int vcnl_video_dump_live(struct vcnl *nl,
			 int (*fn)(const struct vcache_info *info,
				   const struct vcnl_live *live, void *arg),
			 void *arg);

int vcnl_video_del(struct vcnl *nl, const char *name);
int vcnl_video_pin(struct vcnl *nl, const char *name, bool pin);
int vcnl_stats_get(struct vcnl *nl, struct vcnl_stats *st);
int vcnl_limit_set(struct vcnl *nl, uint64_t bytes);

/*
 * Joins the events group and makes the socket non-blocking: poll
 * vcnl_fd() for POLLIN, then call vcnl_monitor_read(), which hands each
 * event that arrived to @fn (a negative return stops) and returns 0,
 * -EAGAIN when nothing was there, or -ENOBUFS when events were lost
 * because the socket's buffer overflowed.
 */
int vcnl_monitor_join(struct vcnl *nl);
int vcnl_fd(const struct vcnl *nl);
int vcnl_monitor_read(struct vcnl *nl,
		      int (*fn)(const struct vcnl_event *ev, void *arg), void *arg);

#endif /* VCACHECTL_NL_H */
