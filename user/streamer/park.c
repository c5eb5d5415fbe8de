// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. A request parked on a video
 * that is still loading (--origin, origin.h), until the video has the byte
 * it needs or has reached its end: an HLS playlist needs the whole index
 * (the seal), a ?t= its keyframe indexed (the next COMMIT, after which the
 * filler indexes what it published).
 *
 * The wait is one kernel AIO read of one byte, on the video's FOLLOW
 * descriptor, through the worker's own AIO context: the kernel queues it
 * and completes it when a COMMIT brings that byte, or with 0 (end of file)
 * once the video is sealed or its loader gave up (the writer gone). That
 * is how the ranges of a filling video wait for their bytes (vod.c), it
 * works whoever fills (another worker, another process, vcachectl load),
 * and nothing polls: the connection sleeps in ST_WAIT, holding its video,
 * and one completion through the loop's AIO eventfd wakes it. Then the
 * request is routed again from the start, as origin_fresh.c's check does,
 * and finds the video as it is now: it is answered, or parks again.
 *
 * A fill that failed (the video deleted, or given up unsealed) gets a 502
 * here: nothing of the response was sent yet. The request is not routed
 * again, which would start a new fill behind the client's back; the next
 * request does that. Unless the cache ran out of memory under the fill
 * (origin_nofit()): then it is routed again, and sent from the origin file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "streamer.h"

int plan_park(struct worker *w, struct conn *c, uint64_t off)
{
	struct vaio_iocb *cbs[1] = { &c->cb };
	int ret;

	/*
	 * The synchronous engine would wait inside io_submit(2), in the
	 * loop; a descriptor that does not follow never waits at all.
	 */
	if (!w->aio_ok || vaio_is_sync(&w->aio) || !c->r.v->follow)
		return -EOPNOTSUPP;
	vaio_prep_pread(&c->cb, c->r.v->fd, &c->park_byte, 1, off, c);
	ret = vaio_submit(&w->aio, cbs, 1);
	if (ret < 1)
		return ret < 0 ? ret : -EAGAIN;
	c->aio_busy = true;
	c->aio_len = 0;
	c->parked = true;
	/* What the request found when it came is what its log line says. */
	if (!c->park_cache)
		c->park_cache = c->r.cache ? c->r.cache : "fill";
	c->r.next = PLAN_WAIT;
	return 0;
}

/* The fill of @v failed under a parked request: 502, not a retry. */
static bool fill_failed(struct video *v, long res)
{
	if (ioctl(v->fd, VCACHE_IOC_INFO, &v->info) || (v->info.flags & VCACHE_INFO_DELETED))
		return true;
	/* End of file short of the seal: no writer is left to bring more. */
	return !res && v->info.state == VCACHE_STATE_LOADING;
}

void park_done(struct worker *w, struct conn *c, long res)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];
	struct video *v = c->r.v;

	c->aio_busy = false;
	c->parked = false;
	if (c->dead)
		return;		/* closed meanwhile: bury() frees it now */
	if (res >= 0 && fill_failed(v, res) && !origin_nofit(v->name)) {
		resp_init(c);
		c->r.cache = c->park_cache;
		c->park_cache = NULL;
		respond_text(w, c, 502, NULL, "the fill of \"%s\" from the origin failed",
			     shown(v->name, shown_name, sizeof(shown_name)));
	} else if (res < 0) {
		/* The kernel's queue of the descriptor is full (EAGAIN): later. */
		resp_init(c);
		c->r.cache = c->park_cache;
		c->park_cache = NULL;
		respond_text(w, c, 503, "Retry-After: 1\r\n", "cannot wait for \"%s\" to "
			     "load: %s", shown(v->name, shown_name, sizeof(shown_name)),
			     strerror(-res));
	} else {
		/* Routed again: the video is looked up afresh, as it is now. */
		video_put(w, v);
		c->r.v = NULL;
		c->origin_checked = true;
		w->respond(w, c);
		c->origin_checked = false;
		if (!c->parked)
			c->park_cache = NULL;
	}
	w->resume(w, c);
}

void park_cancel(struct worker *w, struct conn *c)
{
	if (c->parked)
		vaio_cancel(&w->aio, &c->cb);
}
