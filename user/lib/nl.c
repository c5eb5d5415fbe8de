// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl's client of the "vcache" generic netlink family, over
 * libnl-genl-3: one request at a time, each waited for until its ack, its
 * error or the end of its dump, as iw does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Room in an attribute table for any reply's attributes. */
#define TB_SIZE		(VCACHE_A_VIDEO_MAX > VCACHE_A_STATS_MAX ? \
			 VCACHE_A_VIDEO_MAX + 1 : VCACHE_A_STATS_MAX + 1)

/* Events come in bursts (an eviction storm): room for a few hundred. */
#define MONITOR_RCVBUF	(1024 * 1024)

struct vcnl {
	struct nl_sock *sk;
	int family;
	char ext_msg[256];
};

/* One request in flight. */
struct req {
	struct vcnl *nl;
	int status;		/* 1 while waiting, then 0 or -errno */
	int (*fn)(struct nlattr **tb, void *arg);
	void *arg;
};

static struct nla_policy video_policy[VCACHE_A_VIDEO_MAX + 1] = {
	[VCACHE_A_VIDEO_NAME] = { .type = NLA_STRING, .maxlen = VCACHE_NAME_MAX },
	[VCACHE_A_VIDEO_ID] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_STATE] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_FLAGS] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_SIZE] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_CAPACITY] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_FPS_NUM] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_FPS_DEN] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_OPEN_COUNT] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_MAP_COUNT] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_INDEX_ENTRIES] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_DURATION] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_BYTES_SERVED] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_MEM_BYTES] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_CREATE_TIME] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_SEAL_TIME] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_ACCESS_TIME] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_LIVE_HEAD] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_LIVE_TAIL] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_LIVE_RING] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_LIVE_WINDOW] = { .type = NLA_U64 },
	[VCACHE_A_VIDEO_LIVE_VIEWERS] = { .type = NLA_U32 },
	[VCACHE_A_VIDEO_LIVE_BEHIND] = { .type = NLA_U64 },
};

static struct nla_policy stats_policy[VCACHE_A_STATS_MAX + 1] = {
	[VCACHE_A_STATS_MEM_USED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_MEM_LIMIT] = { .type = NLA_U64 },
	[VCACHE_A_STATS_VIDEOS] = { .type = NLA_U32 },
	[VCACHE_A_STATS_EVICTIONS] = { .type = NLA_U64 },
	[VCACHE_A_STATS_BYTES_SERVED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_EVENTS_DROPPED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_AIO_QUEUED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_AIO_COMPLETED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_AIO_CANCELLED] = { .type = NLA_U64 },
	[VCACHE_A_STATS_EVICTIONS_LIMIT] = { .type = NLA_U64 },
	[VCACHE_A_STATS_EVICTIONS_PRESSURE] = { .type = NLA_U64 },
	[VCACHE_A_STATS_EVICTIONS_ADMIN] = { .type = NLA_U64 },
	[VCACHE_A_STATS_SHRINK_PAGES] = { .type = NLA_U64 },
};

static struct nla_policy event_policy[VCACHE_A_EVENT_MAX + 1] = {
	[VCACHE_A_EVENT_TYPE] = { .type = NLA_U32 },
	[VCACHE_A_EVENT_SEQ] = { .type = NLA_U64 },
	[VCACHE_A_EVENT_TIME] = { .type = NLA_U64 },
	[VCACHE_A_EVENT_VIDEO] = { .type = NLA_NESTED },
	[VCACHE_A_EVENT_REASON] = { .type = NLA_U32 },
};

/* libnl's error codes, for failures that are not the kernel's refusal. */
static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_MSG_TRUNC:
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_PARSE_ERR:
	case NLE_MSG_TOOSHORT:
		return -EBADMSG;
	case NLE_PROTO_MISMATCH:
	case NLE_SEQ_MISMATCH:
		return -EPROTO;
	default:
		return -EIO;
	}
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static void fill_info(struct nlattr **tb, struct vcache_info *in)
{
	memset(in, 0, sizeof(*in));
	if (tb[VCACHE_A_VIDEO_NAME])
		/* The policy checked the NUL; the field keeps one of its own. */
		strncpy(in->name, nla_get_string(tb[VCACHE_A_VIDEO_NAME]),
			sizeof(in->name) - 1);
	in->id = get_u64(tb[VCACHE_A_VIDEO_ID]);
	in->state = get_u32(tb[VCACHE_A_VIDEO_STATE]);
	in->flags = get_u32(tb[VCACHE_A_VIDEO_FLAGS]);
	in->size = get_u64(tb[VCACHE_A_VIDEO_SIZE]);
	in->capacity = get_u64(tb[VCACHE_A_VIDEO_CAPACITY]);
	in->fps_num = get_u32(tb[VCACHE_A_VIDEO_FPS_NUM]);
	in->fps_den = get_u32(tb[VCACHE_A_VIDEO_FPS_DEN]);
	in->open_count = get_u32(tb[VCACHE_A_VIDEO_OPEN_COUNT]);
	in->map_count = get_u32(tb[VCACHE_A_VIDEO_MAP_COUNT]);
	in->index_entries = get_u32(tb[VCACHE_A_VIDEO_INDEX_ENTRIES]);
	in->duration = get_u64(tb[VCACHE_A_VIDEO_DURATION]);
	in->bytes_served = get_u64(tb[VCACHE_A_VIDEO_BYTES_SERVED]);
	in->mem_bytes = get_u64(tb[VCACHE_A_VIDEO_MEM_BYTES]);
	in->create_time_ns = get_u64(tb[VCACHE_A_VIDEO_CREATE_TIME]);
	in->seal_time_ns = get_u64(tb[VCACHE_A_VIDEO_SEAL_TIME]);
	in->access_time_ns = get_u64(tb[VCACHE_A_VIDEO_ACCESS_TIME]);
	in->tail = get_u64(tb[VCACHE_A_VIDEO_LIVE_TAIL]);
	in->window = get_u64(tb[VCACHE_A_VIDEO_LIVE_WINDOW]);
	in->viewers = get_u32(tb[VCACHE_A_VIDEO_LIVE_VIEWERS]);
}

static void fill_live(struct nlattr **tb, struct vcnl_live *live)
{
	memset(live, 0, sizeof(*live));
	live->ring = get_u64(tb[VCACHE_A_VIDEO_LIVE_RING]);
	live->behind = get_u64(tb[VCACHE_A_VIDEO_LIVE_BEHIND]);
}

/* The extended ack's message, when the kernel explained a refusal. */
static void save_ext_msg(struct vcnl *nl, struct nlmsghdr *nlh, struct nlmsgerr *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	struct nlattr *attrs;
	int len;

	nl->ext_msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* The request comes back after the error unless it was capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	len = (int)nlmsg_datalen(nlh) - (int)off;
	if (len <= 0)
		return;
	attrs = (struct nlattr *)((char *)e + off);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL) ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%.*s",
		 (int)strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
			      nla_len(tb[NLMSGERR_ATTR_MSG])),
		 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	r->status = e->error < 0 ? e->error : -EPROTO;
	save_ext_msg(r->nl, nlh, e);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	r->status = 0;
	return NL_STOP;
}

/* NLMSG_DONE: the dump's end, carrying an error if it failed half-way. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int err = 0;

	if (nlmsg_datalen(nlh) >= (int)sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	r->status = err < 0 ? err : 0;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[TB_SIZE];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = genlmsg_hdr(nlh);
	struct req *r = arg;
	struct nla_policy *policy;
	int max, err;

	if (nlh->nlmsg_type != r->nl->family)
		return NL_SKIP;
	switch (gh->cmd) {
	case VCACHE_CMD_VIDEO_GET:
		policy = video_policy;
		max = VCACHE_A_VIDEO_MAX;
		break;
	case VCACHE_CMD_STATS_GET:
		policy = stats_policy;
		max = VCACHE_A_STATS_MAX;
		break;
	default:
		return NL_SKIP;
	}
	err = genlmsg_parse(nlh, 0, tb, max, policy);
	if (err < 0)
		err = -EBADMSG;
	else
		err = r->fn ? r->fn(tb, r->arg) : 0;
	if (err < 0) {
		r->status = err;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * Sends @msg (consumed) and reads until its ack, error or dump end, handing
 * each reply's attributes to @fn.
 */
static int request(struct vcnl *nl, struct nl_msg *msg,
		   int (*fn)(struct nlattr **tb, void *arg), void *arg)
{
	struct req r = { .nl = nl, .status = 1, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	nl->ext_msg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		r.status = nle_errno(err);
	while (r.status > 0) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && r.status > 0)
			r.status = nle_errno(err);
	}
	nl_cb_put(cb);
	return r.status;
}

/* A request message for @cmd, or NULL. */
static struct nl_msg *new_msg(struct vcnl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, VCACHE_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int vcnl_open(struct vcnl **nlp)
{
	struct vcnl *nl = calloc(1, sizeof(*nl));
	int one = 1, err;

	*nlp = NULL;
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err < 0)
		goto fail;
	/* Older kernels do not know it, and then just do not explain. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	err = genl_ctrl_resolve(nl->sk, VCACHE_GENL_NAME);
	if (err < 0)
		goto fail;
	nl->family = err;
	*nlp = nl;
	return 0;

fail:
	nl_socket_free(nl->sk);
	free(nl);
	return nle_errno(err);
}

void vcnl_close(struct vcnl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *vcnl_ext_msg(const struct vcnl *nl)
{
	return nl->ext_msg[0] ? nl->ext_msg : NULL;
}

static int put_name(struct nl_msg *msg, const char *name)
{
	return nla_put_string(msg, VCACHE_A_VIDEO_NAME, name) < 0 ? -EMSGSIZE : 0;
}

struct got {
	struct vcache_info *info;
	struct vcnl_live *live;
};

static int got_info(struct nlattr **tb, void *arg)
{
	struct got *g = arg;

	fill_info(tb, g->info);
	if (g->live)
		fill_live(tb, g->live);
	return 0;
}

int vcnl_video_get(struct vcnl *nl, const char *name, struct vcache_info *info,
		   struct vcnl_live *live)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_VIDEO_GET, 0);
	struct got g = { .info = info, .live = live };

	memset(info, 0, sizeof(*info));
	if (live)
		memset(live, 0, sizeof(*live));
	if (!msg)
		return -ENOMEM;
	if (put_name(msg, name)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(nl, msg, got_info, &g);
}

/* One of the two callbacks is set. */
struct dump {
	int (*fn)(const struct vcache_info *info, void *arg);
	int (*fn_live)(const struct vcache_info *info, const struct vcnl_live *live,
		       void *arg);
	void *arg;
};

static int got_dumped(struct nlattr **tb, void *arg)
{
	struct dump *d = arg;
	struct vcache_info info;
	struct vcnl_live live;

	fill_info(tb, &info);
	if (!d->fn_live)
		return d->fn(&info, d->arg);
	fill_live(tb, &live);
	return d->fn_live(&info, &live, d->arg);
}

static int dump_videos(struct vcnl *nl, struct dump *d)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_VIDEO_GET, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return request(nl, msg, got_dumped, d);
}

int vcnl_video_dump(struct vcnl *nl,
		    int (*fn)(const struct vcache_info *info, void *arg), void *arg)
{
	struct dump d = { .fn = fn, .arg = arg };

	return dump_videos(nl, &d);
}

int vcnl_video_dump_live(struct vcnl *nl,
			 int (*fn)(const struct vcache_info *info,
				   const struct vcnl_live *live, void *arg),
			 void *arg)
{
	struct dump d = { .fn_live = fn, .arg = arg };

	return dump_videos(nl, &d);
}

int vcnl_video_del(struct vcnl *nl, const char *name)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_VIDEO_DEL, 0);

	if (!msg)
		return -ENOMEM;
	if (put_name(msg, name)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(nl, msg, NULL, NULL);
}

int vcnl_video_pin(struct vcnl *nl, const char *name, bool pin)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_VIDEO_PIN, 0);

	if (!msg)
		return -ENOMEM;
	if (put_name(msg, name) ||
	    nla_put_u32(msg, VCACHE_A_VIDEO_PINNED, pin) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(nl, msg, NULL, NULL);
}

static int got_stats(struct nlattr **tb, void *arg)
{
	struct vcnl_stats *st = arg;

	st->mem_used = get_u64(tb[VCACHE_A_STATS_MEM_USED]);
	st->mem_limit = get_u64(tb[VCACHE_A_STATS_MEM_LIMIT]);
	st->videos = get_u32(tb[VCACHE_A_STATS_VIDEOS]);
	st->evictions = get_u64(tb[VCACHE_A_STATS_EVICTIONS]);
	st->bytes_served = get_u64(tb[VCACHE_A_STATS_BYTES_SERVED]);
	st->events_dropped = get_u64(tb[VCACHE_A_STATS_EVENTS_DROPPED]);
	st->aio_queued = get_u64(tb[VCACHE_A_STATS_AIO_QUEUED]);
	st->aio_completed = get_u64(tb[VCACHE_A_STATS_AIO_COMPLETED]);
	st->aio_cancelled = get_u64(tb[VCACHE_A_STATS_AIO_CANCELLED]);
	st->evictions_limit = get_u64(tb[VCACHE_A_STATS_EVICTIONS_LIMIT]);
	st->evictions_pressure = get_u64(tb[VCACHE_A_STATS_EVICTIONS_PRESSURE]);
	st->evictions_admin = get_u64(tb[VCACHE_A_STATS_EVICTIONS_ADMIN]);
	st->shrink_pages = get_u64(tb[VCACHE_A_STATS_SHRINK_PAGES]);
	return 0;
}

int vcnl_stats_get(struct vcnl *nl, struct vcnl_stats *st)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_STATS_GET, 0);

	memset(st, 0, sizeof(*st));
	if (!msg)
		return -ENOMEM;
	return request(nl, msg, got_stats, st);
}

int vcnl_limit_set(struct vcnl *nl, uint64_t bytes)
{
	struct nl_msg *msg = new_msg(nl, VCACHE_CMD_LIMIT_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, VCACHE_A_STATS_MEM_LIMIT, bytes) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(nl, msg, NULL, NULL);
}

int vcnl_monitor_join(struct vcnl *nl)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(nl->sk, VCACHE_GENL_NAME, VCACHE_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return nle_errno(grp);
	/* Events carry no request's sequence number. */
	nl_socket_disable_seq_check(nl->sk);
	err = nl_socket_set_buffer_size(nl->sk, MONITOR_RCVBUF, 0);
	if (!err)
		err = nl_socket_add_membership(nl->sk, grp);
	if (!err)
		err = nl_socket_set_nonblocking(nl->sk);
	return nle_errno(err);
}

int vcnl_fd(const struct vcnl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct monitor {
	struct vcnl *nl;
	int (*fn)(const struct vcnl_event *ev, void *arg);
	void *arg;
	int err;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VCACHE_A_EVENT_MAX + 1], *vtb[VCACHE_A_VIDEO_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct monitor *m = arg;
	struct vcnl_event ev;
	int err;

	if (nlh->nlmsg_type != m->nl->family ||
	    genlmsg_hdr(nlh)->cmd != VCACHE_CMD_EVENT)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, VCACHE_A_EVENT_MAX, event_policy) < 0)
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	ev.type = get_u32(tb[VCACHE_A_EVENT_TYPE]);
	ev.seq = get_u64(tb[VCACHE_A_EVENT_SEQ]);
	ev.time_ns = get_u64(tb[VCACHE_A_EVENT_TIME]);
	ev.reason = get_u32(tb[VCACHE_A_EVENT_REASON]);
	if (tb[VCACHE_A_EVENT_VIDEO] &&
	    !nla_parse_nested(vtb, VCACHE_A_VIDEO_MAX, tb[VCACHE_A_EVENT_VIDEO],
			      video_policy)) {
		fill_info(vtb, &ev.video);
		fill_live(vtb, &ev.live);
	}
	err = m->fn(&ev, m->arg);
	if (err < 0) {
		m->err = err;
		return NL_STOP;
	}
	return NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

int vcnl_monitor_read(struct vcnl *nl,
		      int (*fn)(const struct vcnl_event *ev, void *arg), void *arg)
{
	struct monitor m = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (m.err)
		return m.err;
	/* libnl reports the socket's ENOBUFS as running out of memory. */
	if (err == -NLE_NOMEM)
		return -ENOBUFS;
	return err < 0 ? nle_errno(err) : 0;
}
