// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vcache": describe videos and the cache without
 * a descriptor, delete and pin videos and change the memory limit as an
 * administrator, and tell listeners what happens to videos. See the uapi
 * header for the protocol.
 *
 * Plain struct genl_ops with a policy each: that much of the genl API is the
 * same on every kernel we build for, where split ops and pre_doit are not.
 * Documentation/netlink/specs/vcache.yaml describes the family; the policies
 * and ops here are written by hand rather than generated from it, because
 * the generator's split ops need 6.2 and its plain per-op ops have no dump
 * start callback nor a command without a policy. scripts/ynl-check (make
 * check) fails when they and the spec disagree.
 * The handlers take the locks of what they touch (registry, parameter lock),
 * so they run in parallel rather than under genl's global mutex, which would
 * put them in line behind every other family's requests.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>
#include <vcache/name.h>
#include "compat.h"
#include "netlink.h"
#include "vcache.h"

/*
 * The events group's token bucket: a busy loader (or an eviction storm)
 * must not flood the listeners, so events beyond a burst are dropped and
 * counted. Listeners see the drops as gaps in VCACHE_A_EVENT_SEQ and can
 * dump the videos to catch up.
 */
#define VCACHE_EVENT_RATE	1000	/* events a second, sustained */
#define VCACHE_EVENT_BURST	256
#define VCACHE_EVENT_COST_NS	(NSEC_PER_SEC / VCACHE_EVENT_RATE)

/*
 * A viewer that keeps reading below the window fails every read: one
 * VIEWER_BEHIND event per stream this often at most, so that it cannot
 * take the whole bucket from the other events. The count in the event
 * says how many reads it stands for.
 */
#define VCACHE_BEHIND_GAP_NS	(NSEC_PER_SEC / 10)

enum vcache_nl_group {
	VCACHE_NLGRP_EVENTS,
};

static struct genl_family vcache_nl_family;

/* Set once the family is registered: events before that go nowhere. */
static bool vcache_nl_ready;

static DEFINE_SPINLOCK(vcache_event_lock);
static u64 vcache_event_seq;		/* the last event's number */
static u64 vcache_event_credit;		/* ns of tokens in the bucket */
static u64 vcache_event_stamp;		/* when the credit was last topped up */
static atomic64_t vcache_events_dropped = ATOMIC64_INIT(0);

/* Bytes of the attributes vcache_nl_put_video() writes, at most. */
static size_t vcache_nl_video_size(void)
{
	return nla_total_size(VCACHE_NAME_MAX) +
	       8 * nla_total_size(sizeof(u32)) +
	       14 * nla_total_size_64bit(sizeof(u64));
}

/* Head and tail come from one snapshot of the head, as INFO's do. */
static int vcache_nl_put_live(struct sk_buff *skb, struct vcache_video *v,
			      const struct vcache_info *in)
{
	if (nla_put_u64_64bit(skb, VCACHE_A_VIDEO_LIVE_HEAD, in->size,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_LIVE_TAIL, in->tail,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_LIVE_RING, v->ring,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_LIVE_WINDOW, in->window,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_LIVE_VIEWERS, in->viewers) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_LIVE_BEHIND,
			      atomic64_read(&v->behind), VCACHE_A_VIDEO_PAD))
		return -EMSGSIZE;
	return 0;
}

static int vcache_nl_put_video(struct sk_buff *skb, struct vcache_video *v)
{
	struct vcache_info in;

	vcache_video_info(v, &in);
	if (nla_put_string(skb, VCACHE_A_VIDEO_NAME, in.name) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_ID, in.id, VCACHE_A_VIDEO_PAD) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_STATE, in.state) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_FLAGS, in.flags) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_SIZE, in.size,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_CAPACITY, in.capacity,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_FPS_NUM, in.fps_num) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_FPS_DEN, in.fps_den) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_OPEN_COUNT, in.open_count) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_MAP_COUNT, in.map_count) ||
	    nla_put_u32(skb, VCACHE_A_VIDEO_INDEX_ENTRIES, in.index_entries) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_DURATION, in.duration,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_BYTES_SERVED, in.bytes_served,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_MEM_BYTES, in.mem_bytes,
			      VCACHE_A_VIDEO_PAD) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_CREATE_TIME, in.create_time_ns,
			      VCACHE_A_VIDEO_PAD) ||
	    ((in.state == VCACHE_STATE_SEALED || in.state == VCACHE_STATE_ENDED) &&
	     nla_put_u64_64bit(skb, VCACHE_A_VIDEO_SEAL_TIME, in.seal_time_ns,
			       VCACHE_A_VIDEO_PAD)) ||
	    nla_put_u64_64bit(skb, VCACHE_A_VIDEO_ACCESS_TIME, in.access_time_ns,
			      VCACHE_A_VIDEO_PAD) ||
	    (v->live && vcache_nl_put_live(skb, v, &in)))
		return -EMSGSIZE;
	return 0;
}

/*
 * Copies the request's name into @name after the checks the ioctls make.
 * The policy has bounded it to VCACHE_NAME_MAX bytes with a NUL among them;
 * what the policy cannot say is that bytes after that NUL must be zero too.
 */
static int vcache_nl_get_name(struct genl_info *info,
			      char name[VCACHE_NAME_MAX])
{
	struct nlattr *attr = info->attrs[VCACHE_A_VIDEO_NAME];

	if (GENL_REQ_ATTR_CHECK(info, VCACHE_A_VIDEO_NAME))
		return -EINVAL;
	memset(name, 0, VCACHE_NAME_MAX);
	memcpy(name, nla_data(attr), min_t(int, nla_len(attr), VCACHE_NAME_MAX));
	if (!vcache_name_check(name, VCACHE_NAME_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "invalid video name");
		return -EINVAL;
	}
	return 0;
}

static int vcache_nl_video_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[VCACHE_NAME_MAX];
	struct vcache_video *v;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = vcache_nl_get_name(info, name);
	if (err)
		return err;
	v = vcache_registry_lookup(name);
	if (!v) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VCACHE_A_VIDEO_NAME],
				    "no video has this name");
		return -ENOENT;
	}
	err = -ENOMEM;
	msg = genlmsg_new(vcache_nl_video_size(), GFP_KERNEL);
	if (!msg)
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &vcache_nl_family, 0,
				VCACHE_CMD_VIDEO_GET);
	if (!hdr || vcache_nl_put_video(msg, v)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
out:
	vcache_video_put(v);
	return err;
}

/* A dump lists everything: a filter it ignored would mislead. */
static int vcache_nl_video_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_info_dump(cb)->attrs;

	if (attrs && attrs[VCACHE_A_VIDEO_NAME]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[VCACHE_A_VIDEO_NAME],
				    "a dump takes no name");
		return -EINVAL;
	}
	return 0;
}

struct vcache_nl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int vcache_nl_dump_one(struct vcache_video *v, void *arg)
{
	struct vcache_nl_dump *d = arg;
	void *hdr;

	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &vcache_nl_family,
			  NLM_F_MULTI, VCACHE_CMD_VIDEO_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (vcache_nl_put_video(d->skb, v)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

/*
 * One part of the dump: as many videos as fit, resuming after the cursor
 * kept in cb->ctx. Resuming by position instead would skip or repeat videos
 * when others are created or deleted between parts.
 */
static int vcache_nl_video_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct vcache_registry_cursor *cur = (void *)cb->ctx;
	struct vcache_nl_dump d = { .skb = skb, .cb = cb };
	int err;

	BUILD_BUG_ON(sizeof(*cur) > sizeof(cb->ctx));
	err = vcache_registry_walk(cur, vcache_nl_dump_one, &d);
	/* The skb is full: netlink calls again once the reader made room. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}

static int vcache_nl_video_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[VCACHE_NAME_MAX];
	int err;

	err = vcache_nl_get_name(info, name);
	if (err)
		return err;
	err = vcache_registry_delete(name);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VCACHE_A_VIDEO_NAME],
				    "no video has this name");
	return err;
}

static int vcache_nl_video_pin_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[VCACHE_NAME_MAX];
	struct vcache_video *v;
	int err;

	err = vcache_nl_get_name(info, name);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, VCACHE_A_VIDEO_PINNED))
		return -EINVAL;
	v = vcache_registry_lookup(name);
	if (!v) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VCACHE_A_VIDEO_NAME],
				    "no video has this name");
		return -ENOENT;
	}
	/* The policy bounded it to 0 or 1. */
	vcache_registry_pin(v, nla_get_u32(info->attrs[VCACHE_A_VIDEO_PINNED]));
	vcache_video_put(v);
	return 0;
}

static int vcache_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vcache_stats st;
	struct sk_buff *msg;
	void *hdr;

	vcache_stats_fill(&st);

	msg = genlmsg_new(nla_total_size(sizeof(u32)) +
			  12 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vcache_nl_family, 0,
				VCACHE_CMD_STATS_GET);
	if (!hdr ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_MEM_USED, st.mem_used,
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_MEM_LIMIT, st.mem_limit,
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u32(msg, VCACHE_A_STATS_VIDEOS, st.videos) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_EVICTIONS, st.evictions,
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_BYTES_SERVED, st.bytes_served,
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_EVENTS_DROPPED,
			      atomic64_read(&vcache_events_dropped),
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_AIO_QUEUED, st.aio_queued,
			      VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_AIO_COMPLETED,
			      st.aio_completed, VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_AIO_CANCELLED,
			      st.aio_cancelled, VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_EVICTIONS_LIMIT,
			      st.evictions_limit, VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_EVICTIONS_PRESSURE,
			      st.evictions_pressure, VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_EVICTIONS_ADMIN,
			      st.evictions_admin, VCACHE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_STATS_SHRINK_PAGES,
			      st.shrink_pages, VCACHE_A_STATS_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int vcache_nl_limit_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VCACHE_A_STATS_MEM_LIMIT];
	u64 bytes;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VCACHE_A_STATS_MEM_LIMIT))
		return -EINVAL;
	bytes = nla_get_u64(attr);
	/* max_mb counts MiB, and the parameter file must show the limit. */
	if (bytes & (SZ_1M - 1)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the limit must be a whole number of MiB");
		return -EINVAL;
	}
	err = bytes / SZ_1M > UINT_MAX ? -EINVAL : vcache_set_max_mb(bytes / SZ_1M);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the limit is larger than the RAM");
	return err;
}

static const struct nla_policy vcache_nl_name_policy[VCACHE_A_VIDEO_NAME + 1] = {
	[VCACHE_A_VIDEO_NAME] = { .type = NLA_NUL_STRING,
				  .len = VCACHE_NAME_MAX - 1 },
};

static const struct nla_policy vcache_nl_pin_policy[VCACHE_A_VIDEO_PINNED + 1] = {
	[VCACHE_A_VIDEO_NAME] = { .type = NLA_NUL_STRING,
				  .len = VCACHE_NAME_MAX - 1 },
	[VCACHE_A_VIDEO_PINNED] = NLA_POLICY_MAX(NLA_U32, 1),
};

static const struct nla_policy vcache_nl_limit_policy[VCACHE_A_STATS_MEM_LIMIT + 1] = {
	[VCACHE_A_STATS_MEM_LIMIT] = { .type = NLA_U64 },
};

/*
 * STATS_GET has no policy: for a family with resv_start_op 0, genl then
 * rejects every attribute, which an empty policy would not (with maxattr 0
 * genl does not parse at all).
 */
static const struct genl_ops vcache_nl_ops[] = {
	{
		.cmd = VCACHE_CMD_VIDEO_GET,
		.doit = vcache_nl_video_get_doit,
		.start = vcache_nl_video_get_start,
		.dumpit = vcache_nl_video_get_dumpit,
		.policy = vcache_nl_name_policy,
		.maxattr = VCACHE_A_VIDEO_NAME,
	},
	{
		.cmd = VCACHE_CMD_VIDEO_DEL,
		.doit = vcache_nl_video_del_doit,
		.policy = vcache_nl_name_policy,
		.maxattr = VCACHE_A_VIDEO_NAME,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VCACHE_CMD_STATS_GET,
		.doit = vcache_nl_stats_get_doit,
	},
	{
		.cmd = VCACHE_CMD_LIMIT_SET,
		.doit = vcache_nl_limit_set_doit,
		.policy = vcache_nl_limit_policy,
		.maxattr = VCACHE_A_STATS_MEM_LIMIT,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VCACHE_CMD_VIDEO_PIN,
		.doit = vcache_nl_video_pin_doit,
		.policy = vcache_nl_pin_policy,
		.maxattr = VCACHE_A_VIDEO_PINNED,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group vcache_nl_mcgrps[] = {
	[VCACHE_NLGRP_EVENTS] = { .name = VCACHE_GENL_MCGRP_EVENTS },
};

/* Not netnsok: the cache is the machine's, not a network namespace's. */
static struct genl_family vcache_nl_family __ro_after_init = {
	.name = VCACHE_GENL_NAME,
	.version = VCACHE_GENL_VERSION,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = vcache_nl_ops,
	.n_ops = ARRAY_SIZE(vcache_nl_ops),
	.mcgrps = vcache_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vcache_nl_mcgrps),
};

/* Numbers an event and takes a token for it; false: over the rate. */
static bool vcache_event_admit(u64 *seq)
{
	const u64 cap = (u64)VCACHE_EVENT_BURST * VCACHE_EVENT_COST_NS;
	u64 now = ktime_get_ns(), idle;
	bool ok;

	spin_lock(&vcache_event_lock);
	*seq = ++vcache_event_seq;
	idle = now - vcache_event_stamp;
	vcache_event_credit = idle >= cap ? cap :
			      min(vcache_event_credit + idle, cap);
	vcache_event_stamp = now;
	ok = vcache_event_credit >= VCACHE_EVENT_COST_NS;
	if (ok)
		vcache_event_credit -= VCACHE_EVENT_COST_NS;
	spin_unlock(&vcache_event_lock);
	return ok;
}

static bool vcache_nl_listened(void)
{
	/* Pairs with vcache_nl_init(): the family's groups are set up. */
	return smp_load_acquire(&vcache_nl_ready) &&
	       genl_has_listeners(&vcache_nl_family, &init_net,
				  VCACHE_NLGRP_EVENTS);
}

/*
 * Sends one event, if the bucket has a token for it; @gfp as the caller may.
 * @reason: an eviction's, or 0 for none.
 */
static void vcache_nl_send(u32 type, struct vcache_video *v, u32 reason,
			   gfp_t gfp)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	u64 seq;

	if (!vcache_event_admit(&seq))
		goto drop;
	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)) +
			  2 * nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(vcache_nl_video_size()), gfp);
	if (!msg)
		goto drop;
	hdr = genlmsg_put(msg, 0, 0, &vcache_nl_family, 0, VCACHE_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, VCACHE_A_EVENT_TYPE, type) ||
	    nla_put_u64_64bit(msg, VCACHE_A_EVENT_SEQ, seq, VCACHE_A_EVENT_PAD) ||
	    nla_put_u64_64bit(msg, VCACHE_A_EVENT_TIME, ktime_get_real_ns(),
			      VCACHE_A_EVENT_PAD) ||
	    (reason && nla_put_u32(msg, VCACHE_A_EVENT_REASON, reason)))
		goto free;
	nest = nla_nest_start(msg, VCACHE_A_EVENT_VIDEO);
	if (!nest || vcache_nl_put_video(msg, v))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	/*
	 * Errors are not ours to count: ESRCH means the last listener just
	 * left, and a listener whose buffer overflows gets ENOBUFS itself.
	 */
	genlmsg_multicast(&vcache_nl_family, msg, 0, VCACHE_NLGRP_EVENTS, gfp);
	return;

free:
	nlmsg_free(msg);
drop:
	atomic64_inc(&vcache_events_dropped);
}

/**
 * vcache_nl_event() - tell the events group about a video
 * @type: VCACHE_EVENT_*
 * @v: the video, referenced by the caller
 *
 * Context: process context, may sleep (GFP_KERNEL): no spinlock held, nor
 * the registry lock; takes vcache_event_lock.
 */
void vcache_nl_event(u32 type, struct vcache_video *v)
{
	/* GFP_KERNEL below; every caller may sleep, and must keep doing so. */
	might_sleep();
	if (vcache_nl_listened())
		vcache_nl_send(type, v, 0, GFP_KERNEL);
}

/**
 * vcache_nl_evicted() - VCACHE_EVENT_EVICTED, with its reason
 * @v: the video, referenced by the caller
 * @reason: enum vcache_evict_reason
 * @gfp: GFP_KERNEL, or GFP_NOWAIT from reclaim (the shrinker), where the
 *	event is dropped and counted rather than dig into reserves
 *
 * Context: process context or reclaim; sleeps only if @gfp allows; no
 * spinlock held, nor the registry lock; takes vcache_event_lock.
 */
void vcache_nl_evicted(struct vcache_video *v, u32 reason, gfp_t gfp)
{
	might_alloc(gfp);
	if (vcache_nl_listened())
		vcache_nl_send(VCACHE_EVENT_EVICTED, v, reason, gfp);
}

/**
 * vcache_nl_viewer_behind() - VCACHE_EVENT_VIEWER_BEHIND for @v, now and then
 * @v: the live stream a reader fell behind in
 *
 * Called from the read path, which must not block (RWF_NOWAIT and
 * io_uring's inline attempts come through it), so the allocation does not
 * sleep; and which a viewer may hammer: with no listener this is one check,
 * and the per-stream stamp folds a retry loop into an event per gap. A
 * reader that loses the race for the stamp leaves the event to the winner.
 *
 * Context: process context or the AIO workqueue; does not sleep; takes
 * vcache_event_lock.
 */
void vcache_nl_viewer_behind(struct vcache_video *v)
{
	u64 now, last;

	if (!vcache_nl_listened())
		return;
	now = ktime_get_ns();
	last = atomic64_read(&v->behind_event);
	if (last && now - last < VCACHE_BEHIND_GAP_NS)
		return;
	if (atomic64_cmpxchg(&v->behind_event, last, now) != last)
		return;
	vcache_nl_send(VCACHE_EVENT_VIEWER_BEHIND, v, 0,
		       GFP_NOWAIT | __GFP_NOWARN);
}

/**
 * vcache_nl_init() - register the generic netlink family
 *
 * Context: module init.
 * Return: 0, or what genl_register_family() returned.
 */
int vcache_nl_init(void)
{
	int err;

	err = genl_register_family(&vcache_nl_family);
	if (err)
		return err;
	/* Pairs with vcache_nl_event(): events see the groups' ids. */
	smp_store_release(&vcache_nl_ready, true);
	return 0;
}

/**
 * vcache_nl_exit() - unregister the family
 *
 * Called once the registry is empty and the device gone: no video is left
 * to send an event about, and genl waits for requests in flight.
 *
 * Context: module exit, may sleep.
 */
void vcache_nl_exit(void)
{
	WRITE_ONCE(vcache_nl_ready, false);
	genl_unregister_family(&vcache_nl_family);
}
