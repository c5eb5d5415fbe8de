/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "vcache": queries, management and the events
 * group (see the uapi header).
 */
#ifndef _VCACHE_NETLINK_H
#define _VCACHE_NETLINK_H

#include <linux/types.h>

struct vcache_video;

int vcache_nl_init(void);
void vcache_nl_exit(void);

/*
 * Tells the events group that @v was created, sealed, deleted, evicted,
 * started or ended (VCACHE_EVENT_*), as it is now. May sleep: call it
 * without spinlocks, and after dropping the registry lock.
 */
void vcache_nl_event(u32 type, struct vcache_video *v);

/*
 * VCACHE_EVENT_EVICTED for @v with the reason (enum vcache_evict_reason),
 * allocating with @gfp: GFP_NOWAIT from the shrinker. Not under a
 * spinlock nor the registry lock.
 */
void vcache_nl_evicted(struct vcache_video *v, u32 reason, gfp_t gfp);

/*
 * VCACHE_EVENT_VIEWER_BEHIND for @v, at most one per stream every so
 * often. Never sleeps: for the read path.
 */
void vcache_nl_viewer_behind(struct vcache_video *v);

#endif /* _VCACHE_NETLINK_H */
