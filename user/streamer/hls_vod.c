// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). The HLS playlists
 * (RFC 8216) of a sealed video with a keyframe index, from playlists.c:
 *
 *   GET|HEAD /hls/NAME/master.m3u8[?seg=S]   the variant, its I-frame stream
 *   GET|HEAD /hls/NAME/index.m3u8[?seg=S]    the media playlist: segments of
 *                                            whole GOPs near S seconds (6)
 *   GET|HEAD /hls/NAME/iframes.m3u8          every keyframe's own bytes
 *
 * and, when NAME is a live stream (live_playlists.c), index.m3u8 only: a
 * live media playlist whose segments are byte ranges of ../../live/NAME in
 * the stream's absolute offsets (live_view.c serves them from the ring),
 * EXT-X-ENDLIST once the stream ended; no ETag (it changes as the stream
 * goes), 503 with Retry-After until the first segment is whole.
 *
 * Every URI in them is relative (../../v/NAME, index.m3u8?seg=S), so they
 * work behind a proxy that moves the tree; every segment and I-frame is an
 * EXT-X-BYTERANGE of /v/NAME, which vod.c serves from the cache's pages
 * like any Range. A playlist is the same bytes as long as the video is the
 * same generation: its ETag is the generation's and the target's, and
 * If-None-Match gets a 304 without the playlist being looked at. The
 * first request for a playlist waits for a job (playlists.c); the next
 * are answered from the cache at once.
 *
 * With --origin, a name the cache does not have is filled from the origin
 * as /v/NAME is (origin.c), and a video that is loading (that fill, or
 * anyone's) parks the request until it is sealed (park.c): a playlist
 * needs the whole index. It is then routed again and answered as here.
 *
 * Errors: 400 (?seg= not a number of seconds above 0 and at most
 * HLS_SEG_MAX), 404 (no such video, no such playlist), 409 (the video is
 * loading without --origin, has no keyframe index or no keyframe, is sent
 * from the origin uncached, or is a live stream and the playlist is not
 * index.m3u8: it exists, its state does not allow it), 502 (the fill it
 * waited for failed), 503 (the device cannot be used, or the video
 * changed while its playlists were made: try again).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <vcache/name.h>
#include "handler.h"
#include "hls.h"
#include "streamer.h"

#define M3U8_TYPE	"application/vnd.apple.mpegurl"

static const struct {
	const char *file;
	enum pl_kind kind;
} files[] = {
	{ "master.m3u8", PL_MASTER },
	{ "index.m3u8", PL_MEDIA },
	{ "iframes.m3u8", PL_IFRAMES },
};

/* "/hls/NAME/FILE": the name (decoded) and the playlist. false: a 404. */
static bool parse_path(struct http_span path, char *name, size_t size, enum pl_kind *kind)
{
	const char *p = path.p + 5, *end = path.p + path.len, *slash;
	size_t i, flen;

	slash = memchr(p, '/', end - p);
	if (!slash || !http_decode_name((struct http_span){ p, slash - p }, name, size) ||
	    !vcache_name_check(name, size))
		return false;
	flen = end - slash - 1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (flen == strlen(files[i].file) && !memcmp(slash + 1, files[i].file, flen)) {
			*kind = files[i].kind;
			return true;
		}
	}
	return false;
}

/*
 * ?seg=SECONDS into @target (HLS_SEG_DEFAULT without it). Other
 * parameters are ignored (players add cache busters). false: a 400, with
 * @why.
 */
static bool parse_seg(struct http_span q, uint64_t *target, const char **why)
{
	const char *p = q.p, *end = q.p + q.len, *amp;
	char val[32];
	bool seen = false;
	size_t vlen;

	*target = (uint64_t)HLS_SEG_DEFAULT * HLS_HZ;
	for (; p && p < end; p = amp ? amp + 1 : NULL) {
		amp = memchr(p, '&', end - p);
		vlen = (amp ? amp : end) - p;
		if (vlen < 3 || memcmp(p, "seg", 3) || (vlen > 3 && p[3] != '='))
			continue;
		if (seen) {
			*why = "seg= is given twice";
			return false;
		}
		seen = true;
		vlen = vlen > 4 ? vlen - 4 : 0;
		if (vlen >= sizeof(val)) {
			*why = "seg= must be seconds, more than 0 and at most 600 (\"6\", \"2.5\")";
			return false;
		}
		memcpy(val, p + 4, vlen);
		val[vlen] = '\0';
		if (!vlen || hls_parse_seg(val, target)) {
			*why = "seg= must be seconds, more than 0 and at most 600 (\"6\", \"2.5\")";
			return false;
		}
	}
	return true;
}

static void format_etag(char *buf, size_t size, const struct pl_req *rq)
{
	snprintf(buf, size, "\"hls-%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", rq->id,
		 rq->seal_ns, rq->target);
}

struct answer {
	struct worker *w;
	struct conn *c;
	const char *etag;
};

/* pl_lookup()'s @use, and a job's: 200 with the playlist. */
static void send_playlist(void *arg, const char *body, size_t len)
{
	struct answer *a = arg;
	struct conn *c = a->c;
	size_t off;

	head_start(a->w, c, 200);
	out_printf(c, "Content-Type: " M3U8_TYPE "\r\nContent-Length: %zu\r\n"
		   "%s%s%sCache-Control: no-cache\r\n", len, a->etag ? "ETag: " : "",
		   a->etag ? a->etag : "", a->etag ? "\r\n" : "");
	head_end(c, 0);
	if (plan_is_head(c))
		return;
	off = c->out_len;
	out_printf(c, "%.*s", (int)len, body);
	plan_add_seg(c, SEG_OUT, off, c->out_len);
}

/* The playlists of a video that cannot have any: -err as a status. */
static void respond_cannot(struct worker *w, struct conn *c, int err, const char *name)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];

	shown(name, shown_name, sizeof(shown_name));
	switch (err) {
	case -ENOENT:
		respond_text(w, c, 409, NULL, "\"%s\" has no keyframe: no playlist can "
			     "start anywhere", shown_name);
		break;
	case -ENODATA:
		respond_text(w, c, 409, NULL, "\"%s\" has no keyframe index: playlists "
			     "need one (load it with an index)", shown_name);
		break;
	case -ESTALE:
		respond_text(w, c, 503, "Retry-After: 1\r\n", "\"%s\" changed while its "
			     "playlists were made: try again", shown_name);
		break;
	default:
		respond_text(w, c, 503, NULL, "cannot make the playlists of \"%s\": %s",
			     shown_name, strerror(-err));
	}
}

static void playlist_done(struct worker *w, struct job *j)
{
	struct pl_job *pj = (struct pl_job *)j;
	struct conn *c = pj->c;
	char etag[80];
	struct answer a = { w, c, etag };

	c->jobs--;
	if (!c->dead) {
		c->r.next = PLAN_SEND;
		format_etag(etag, sizeof(etag), &pj->rq);
		if (pj->err)
			respond_cannot(w, c, pj->err, pj->rq.name);
		else
			send_playlist(&a, pj->body, pj->len);
		job_resume(w, c);
	}
	pl_job_free(pj);
}

static void live_playlist_done(struct worker *w, struct job *j)
{
	struct lpl_job *lj = (struct lpl_job *)j;
	struct conn *c = lj->c;
	struct answer a = { w, c, NULL };
	char shown_name[4 * VCACHE_NAME_MAX + 1], retry[40];

	c->jobs--;
	if (!c->dead) {
		c->r.next = PLAN_SEND;
		shown(lj->name, shown_name, sizeof(shown_name));
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n",
			 (unsigned int)((lj->target + HLS_HZ - 1) / HLS_HZ));
		if (!lj->err)
			send_playlist(&a, lj->body, lj->len);
		else if (lj->err == -EAGAIN)
			respond_text(w, c, 503, retry, "live stream \"%s\" has no whole "
				     "segment yet", shown_name);
		else if (lj->err == -ENOENT)
			respond_text(w, c, 404, NULL, "no video named \"%s\"", shown_name);
		else if (lj->err == -ESTALE)
			respond_text(w, c, 503, "Retry-After: 1\r\n", "\"%s\" changed: try "
				     "again", shown_name);
		else
			respond_text(w, c, 503, NULL, "cannot make the playlist of \"%s\": %s",
				     shown_name, strerror(-lj->err));
		job_resume(w, c);
	}
	lpl_job_free(lj);
}

/* A live stream's media playlist, by a job (live_playlists.c). */
static void live_playlist(struct worker *w, struct conn *c, const char *name,
			  const struct pl_req *rq)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];
	struct lpl_job *lj;

	if (rq->kind != PL_MEDIA) {
		respond_text(w, c, 409, NULL, "\"%s\" is a live stream: its playlist is "
			     "index.m3u8", shown(name, shown_name, sizeof(shown_name)));
		return;
	}
	lj = lpl_job_new(name, rq->target, live_playlist_done);
	if (!lj) {
		respond_text(w, c, 503, NULL, "out of memory");
		return;
	}
	lj->c = c;
	c->jobs++;
	c->r.next = PLAN_WAIT;
	job_submit(w, &lj->job);
}

void hls_vod_respond(struct worker *w, struct conn *c, const char *unused)
{
	const struct vcache_info *in;
	char name[VCACHE_NAME_MAX], shown_name[4 * VCACHE_NAME_MAX + 1], etag[80];
	struct answer a = { w, c, etag };
	struct pl_req rq = { .name = name };
	const char *why = NULL;
	struct pl_job *pj;
	int err;

	if (!parse_path(c->req.path, name, sizeof(name), &rq.kind)) {
		respond_text(w, c, 404, NULL, "playlists are at /hls/NAME/master.m3u8, "
			     "index.m3u8 and iframes.m3u8");
		return;
	}
	if (!parse_seg(c->req.query, &rq.target, &why)) {
		respond_text(w, c, 400, NULL, "%s", why);
		return;
	}
	if (!(cfg.norigins ? plan_video_fill(w, c, name) : plan_video_get(w, c, name)))
		return;
	in = &c->r.v->info;
	if (in->state == VCACHE_STATE_LIVE || in->state == VCACHE_STATE_ENDED) {
		live_playlist(w, c, name, &rq);
		return;
	}
	if (c->r.cache && !strcmp(c->r.cache, "bypass")) {
		respond_text(w, c, 409, NULL, "\"%s\" is too large for the cache: it is sent "
			     "from the origin as it is, without playlists",
			     shown(name, shown_name, sizeof(shown_name)));
		return;
	}
	/*
	 * Loading (a fill from the origin, or anyone's load): a playlist
	 * needs the whole index, so the request waits for the seal (park.c)
	 * and is routed again then.
	 */
	if (in->state == VCACHE_STATE_LOADING) {
		err = plan_park(w, c, in->capacity);
		if (!err)
			return;
		if (err == -EAGAIN) {
			respond_text(w, c, 503, "Retry-After: 1\r\n", "\"%s\" is still "
				     "loading: try again",
				     shown(name, shown_name, sizeof(shown_name)));
			return;
		}
	}
	if (in->state != VCACHE_STATE_SEALED) {
		respond_text(w, c, 409, NULL, "\"%s\" is still loading: only sealed videos "
			     "and live streams have playlists",
			     shown(name, shown_name, sizeof(shown_name)));
		return;
	}
	if (!in->index_entries) {
		respond_cannot(w, c, -ENODATA, name);
		return;
	}
	rq.id = in->id;
	rq.seal_ns = in->seal_time_ns;
	if (rq.kind == PL_IFRAMES)
		rq.target = 0;		/* one I-frame playlist, whatever ?seg= */
	format_etag(etag, sizeof(etag), &rq);
	if (plan_not_modified(w, c, etag))
		return;
	err = pl_lookup(&rq, w->now_ms, send_playlist, &a);
	if (err != -EAGAIN) {
		if (err)
			respond_cannot(w, c, err, name);
		return;
	}
	/* Made by a job, answered by playlist_done(). */
	pj = pl_job_new(&rq, playlist_done);
	if (!pj) {
		respond_text(w, c, 503, NULL, "out of memory");
		return;
	}
	pj->c = c;
	c->jobs++;
	c->r.next = PLAN_WAIT;
	job_submit(w, &pj->job);
}
