// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD /v/NAME, a
 * video on demand, as a response plan (plan.h):
 *
 *   GET|HEAD /v/NAME             the video; Range, If-Range, If-Match,
 *                                If-Unmodified-Since, If-None-Match,
 *                                If-Modified-Since
 *   GET|HEAD /v/NAME?t=TC        from the keyframe at or before timecode TC
 *   GET|HEAD /v/NAME?loop=N      N passes (0: forever), chunked
 *
 * ?t= and ?loop= responses are views computed per request: they carry no
 * validators, ignore Range and conditionals, and say Accept-Ranges: none.
 *
 * With --origin, a miss is filled from the origin (origin.c) and served
 * as it fills; a ?t= waits (park.c) until its keyframe is indexed; 403 for
 * a name the origin refuses, 502 for a fill that failed at once (or while
 * a ?t= waited).
 *
 * Errors: 400 (a bad query), 409 (?t= on a video without a keyframe index:
 * the video exists, its state does not allow the request), 412, 416 (a
 * range or ?t= past the end), 404 (no such video), 503 (the device cannot
 * be used).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "handler.h"
#include "streamer.h"

/* A random multipart boundary: binary video may hold any fixed string. */
static void make_boundary(struct worker *w, char *buf, size_t size)
{
	uint64_t x;

	/* xorshift64*: the boundary needs to be unlikely, not secret. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	x = w->rng * 0x2545f4914f6cdd1dULL;
	snprintf(buf, size, "vcache-%016" PRIx64, x);
}

/* The validators of a sealed video; a loading one has none. */
struct validators {
	char etag[HTTP_ETAG_MAX];
	char lastmod[HTTP_DATE_LEN + 1];
	time_t mtime;		/* -1: none */
	bool sealed;
};

/* A sealed video never changes: its validators are formatted once, in @v. */
static void validators_of(struct video *v, struct validators *val)
{
	const struct vcache_info *in = &v->info;

	memset(val, 0, sizeof(*val));
	val->mtime = -1;
	if (in->state != VCACHE_STATE_SEALED)
		return;
	val->sealed = true;
	val->mtime = in->seal_time_ns / 1000000000;
	if (v->val_seal_ns != in->seal_time_ns || !v->val_seal_ns) {
		http_format_etag(v->etag, sizeof(v->etag), in->id, in->size, in->seal_time_ns);
		http_format_date(v->lastmod, sizeof(v->lastmod), val->mtime);
		v->val_seal_ns = in->seal_time_ns;
	}
	memcpy(val->etag, v->etag, sizeof(val->etag));
	memcpy(val->lastmod, v->lastmod, sizeof(val->lastmod));
}

static void put_validators(struct conn *c, const struct validators *val)
{
	if (!val->sealed)
		return;
	out_str(c, "ETag: ");
	out_str(c, val->etag);
	out_str(c, "\r\nLast-Modified: ");
	out_str(c, val->lastmod);
	out_put(c, "\r\n", 2);
}

/*
 * If-Match, else If-Unmodified-Since (RFC 9110 sections 13.1.1, 13.1.4 and
 * 13.2.2): 412? A loading video has no ETag and no date yet: "*" matches
 * it (it exists) and no tag does, and If-Unmodified-Since is ignored.
 */
static bool precondition_failed(const struct http_request *req, const struct validators *val)
{
	unsigned int i;
	time_t ius;

	if (req->n_im) {
		/* "": no tag is empty, so only "*" matches a loading video. */
		for (i = 0; i < req->n_im; i++)
			if (http_etag_match(req->if_match[i], val->sealed ? val->etag : "", false))
				return false;
		return true;
	}
	if (!val->sealed || !req->if_unmodified_since.p ||
	    http_parse_date(req->if_unmodified_since.p, req->if_unmodified_since.len, &ius))
		return false;
	return val->mtime > ius;
}

/* If-None-Match, else If-Modified-Since (RFC 9110 section 13.2.2): 304? */
static bool not_modified(const struct http_request *req, const struct validators *val)
{
	unsigned int i;
	time_t ims;

	if (!val->sealed)
		return false;
	if (req->n_inm) {
		for (i = 0; i < req->n_inm; i++)
			if (http_etag_match(req->if_none_match[i], val->etag, true))
				return true;
		return false;
	}
	if (!req->if_modified_since.p ||
	    http_parse_date(req->if_modified_since.p, req->if_modified_since.len, &ims))
		return false;
	return val->mtime <= ims;
}

/* 206 with one part per range, as multipart/byteranges; see range.h. */
static void respond_multipart(struct worker *w, struct conn *c, const char *type,
			      const struct validators *val, const struct byte_range *r,
			      unsigned int n, uint64_t size)
{
	char boundary[40];
	uint64_t total = 0;
	size_t frame[RANGE_MAX + 1], head;
	unsigned int i;

	/* Framing first: the head needs its length. Segments name offsets. */
	make_boundary(w, boundary, sizeof(boundary));
	for (i = 0; i < n; i++) {
		frame[i] = c->out_len;
		out_printf(c, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %" PRIu64
			   "-%" PRIu64 "/%" PRIu64 "\r\n\r\n", boundary, type,
			   r[i].first, r[i].last, size);
		total += r[i].last - r[i].first + 1;
	}
	frame[n] = c->out_len;
	out_printf(c, "\r\n--%s--\r\n", boundary);
	total += c->out_len;
	head = c->out_len;
	head_start(w, c, 206);
	out_printf(c, "Content-Type: multipart/byteranges; boundary=%s\r\n"
		   "Content-Length: %" PRIu64 "\r\nAccept-Ranges: bytes\r\n", boundary, total);
	put_validators(c, val);
	head_end(c, head);
	/* The framings were written back to back: part i's ends where i + 1's starts. */
	for (i = 0; i < n; i++) {
		plan_add_seg(c, SEG_OUT, frame[i], frame[i + 1]);
		plan_add_seg(c, SEG_FILE, r[i].first, r[i].last + 1);
	}
	plan_add_seg(c, SEG_OUT, frame[n], head);
}

/* The whole video, one range of it, its ranges, a 416 or a 304. */
static void respond_plain(struct worker *w, struct conn *c, const char *type,
			  uint64_t size)
{
	const struct http_request *req = &c->req;
	struct byte_range r[RANGE_MAX];
	enum range_result res = RANGE_WHOLE;
	struct validators val;
	char cr[64], line[96];
	unsigned int n = 0;

	validators_of(c->r.v, &val);
	if (precondition_failed(req, &val)) {
		respond_text(w, c, 412, NULL, "the video is not the one asked for: its ETag is %s",
			     val.sealed ? val.etag : "none yet (still loading)");
		return;
	}
	if (not_modified(req, &val)) {
		head_start(w, c, 304);
		put_validators(c, &val);
		head_end(c, 0);
		return;
	}
	/* Range is defined for GET only (RFC 9110 section 14.2). */
	if (req->method == HTTP_GET && req->range.p &&
	    if_range_allows(req->if_range, val.sealed ? val.etag : NULL, val.mtime))
		res = range_parse(req->range, size, r, &n);

	if (res == RANGE_UNSATISFIABLE) {
		range_format_content_range(cr, sizeof(cr), NULL, size);
		snprintf(line, sizeof(line), "Content-Range: %s\r\n", cr);
		respond_text(w, c, 416, line, "no byte of the range is below the size, %" PRIu64,
			     size);
		return;
	}
	if (res == RANGE_PARTIAL && n > 1) {
		respond_multipart(w, c, type, &val, r, n, size);
		return;
	}
	/* Every response's head: copied, not printf'd (see out_put()). */
	if (res == RANGE_PARTIAL) {
		head_start(w, c, 206);
		out_str(c, "Content-Type: ");
		out_str(c, type);
		out_str(c, "\r\nContent-Length: ");
		out_u64(c, r[0].last - r[0].first + 1);
		out_str(c, "\r\nContent-Range: bytes ");
		out_u64(c, r[0].first);
		out_put(c, "-", 1);
		out_u64(c, r[0].last);
		out_put(c, "/", 1);
		out_u64(c, size);
		out_str(c, "\r\nAccept-Ranges: bytes\r\n");
	} else {
		r[0].first = 0;
		r[0].last = size - 1;
		head_start(w, c, 200);
		out_str(c, "Content-Type: ");
		out_str(c, type);
		out_str(c, "\r\nContent-Length: ");
		out_u64(c, size);
		out_str(c, "\r\nAccept-Ranges: bytes\r\n");
	}
	put_validators(c, &val);
	head_end(c, 0);
	if (!plan_is_head(c) && size)
		plan_add_seg(c, SEG_FILE, r[0].first, r[0].last + 1);
}

/*
 * ?loop=N: N passes over [first, size), back to back. HTTP/1.1 gets a
 * chunked body, one chunk a pass (send.c writes the framing);
 * HTTP/1.0 has no chunking: a Content-Length when N is finite, else the
 * end of the body is the end of the connection.
 */
static void respond_loop(struct worker *w, struct conn *c, const char *type,
			 uint64_t first, uint64_t size, uint64_t passes, const char *extra)
{
	struct resp *r = &c->r;
	uint64_t total = 0;
	bool chunked = c->req.minor >= 1, delimited = false;

	/* Without chunks or a length, only the close ends the body. */
	if (!chunked && (!passes || __builtin_mul_overflow(passes, size - first, &total)))
		delimited = c->close_after = true;
	head_start(w, c, 200);
	out_printf(c, "Content-Type: %s\r\nAccept-Ranges: none\r\n%s", type, extra);
	if (chunked)
		out_printf(c, "Transfer-Encoding: chunked\r\n");
	else if (!delimited)
		out_printf(c, "Content-Length: %" PRIu64 "\r\n", total);
	head_end(c, 0);
	if (plan_is_head(c))
		return;
	r->looping = true;
	r->chunked = chunked;
	r->loop_forever = !passes;
	r->loops_left = passes;
	r->loop_first = first;
	r->loop_end = size;
}

/* ?t=: the keyframe at or before the timecode, from the kernel's index. */
static int lookup(struct worker *w, struct conn *c, const struct http_query *q,
		  uint64_t *start, char *extra, size_t size)
{
	const struct vcache_info *in = &c->r.v->info;
	struct vcache_lookup lk;
	char cr[64], line[160];
	size_t n;
	int err;

	err = stream_lookup(c->r.v->fd, in, q, &lk, line, sizeof(line));
	if ((err == ENODATA || err == ERANGE) && in->state == VCACHE_STATE_LOADING) {
		/*
		 * Filling: the keyframe is not indexed yet (an answer found is
		 * final: the index grows in time order, and the timecode lies
		 * before its newest entry). Wait for the next COMMIT, after
		 * which the filler indexes what it published, or the seal
		 * (park.c), and look again. Without FOLLOW (no --origin) the
		 * index is answered as it is.
		 */
		int perr = plan_park(w, c, in->size);

		if (!perr)
			return -1;
		if (perr == -EAGAIN) {
			respond_text(w, c, 503, "Retry-After: 1\r\n", "the video is still "
				     "loading: try again");
			return -1;
		}
	}
	switch (err) {
	case 0:
		break;
	case ENODATA:
		respond_text(w, c, 409, NULL, "this video has no keyframe index: "
			     "t= needs one (load it with an index)");
		return -1;
	case ERANGE:
		range_format_content_range(cr, sizeof(cr), NULL, in->size);
		snprintf(line, sizeof(line), "Content-Range: %s\r\n", cr);
		respond_text(w, c, 416, line, "timecode %s is past the end of the video "
			     "(%" PRIu64 ".%03u s)", q->t_text, (uint64_t)in->duration / 90000,
			     (unsigned int)(in->duration % 90000 / 90));
		return -1;
	case EINVAL:
		respond_text(w, c, 400, NULL, "%s", line);
		return -1;
	default:
		respond_text(w, c, 503, NULL, "timecode lookup failed: %s", strerror(err));
		return -1;
	}
	*start = lk.key_offset < in->size ? lk.key_offset : in->size;
	n = snprintf(extra, size, "X-Vcache-Offset: %" PRIu64 "\r\n", (uint64_t)lk.key_offset);
	if (n < size)
		stream_lookup_headers(extra + n, size - n, &lk);
	return 0;
}

void vod_respond(struct worker *w, struct conn *c, const char *name)
{
	const char *type = http_content_type(name), *why = NULL;
	char extra[256] = "";
	struct http_query q;
	uint64_t start = 0, size;

	if (http_parse_query(c->req.query, &q, &why)) {
		respond_text(w, c, 400, NULL, "%s", why);
		return;
	}
	if (!(cfg.norigins ? plan_video_fill(w, c, name) : plan_video_get(w, c, name)))
		return;
	size = c->r.v->info.size;
	if (c->r.v->follow && c->r.v->info.state == VCACHE_STATE_LOADING &&
	    !vaio_is_sync(&w->aio)) {
		/*
		 * Filling: the whole video is promised now, and sent by AIO
		 * reads, which wait in the kernel for bytes not committed yet
		 * (splice and copy would fail or block there, and so would the
		 * synchronous AIO engine: without kernel AIO only what is
		 * there is sent, as without --origin). A fill that fails ends
		 * them early: the connection is closed.
		 */
		size = c->r.v->info.capacity;
		c->r.mode = SEND_AIO;
	}
	if (q.has_t && lookup(w, c, &q, &start, extra, sizeof(extra)))
		return;
	if (q.has_loop) {
		respond_loop(w, c, type, start, size, q.loop, extra);
	} else if (q.has_t) {
		head_start(w, c, 200);
		out_printf(c, "Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n"
			   "Accept-Ranges: none\r\n%s", type, size - start, extra);
		head_end(c, 0);
		if (!plan_is_head(c))
			plan_add_seg(c, SEG_FILE, start, size);
	} else {
		respond_plain(w, c, type, size);
	}
}
