/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer, layer: the response plan, what a handler hands down.
 *
 * A handler (vod.c, list.c, live_view.c, live_ingest.c, live_stats.c)
 * turns a request into a plan: a head and text in conn->out, and a body
 * as a list of segments: text, ranges of the video, the shared list. The
 * connection (conn.c) then lets send.c execute it, or first lets the
 * handler take a request body (PLAN_INGEST), or waits for a job of the
 * handler's (PLAN_WAIT). What a plan cannot say as segments (a live
 * viewer's body, which follows a ring as it moves) the handler leaves as
 * callbacks on the connection (struct conn_ext_ops), so that no layer
 * below calls a handler by name.
 */
#ifndef VCACHE_STREAMER_PLAN_H
#define VCACHE_STREAMER_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "range.h"

struct conn;
struct worker;
struct video;
struct listing;

enum send_mode {
	SEND_SPLICE,
	SEND_MMAP,
	SEND_COPY,
	SEND_AIO,
	SEND_SENDFILE,
	SEND_NR,
};

/*
 * A response is a list of segments: text (headers, multipart framing) and
 * ranges of the video. ?loop=N responses generate theirs as they go.
 */
enum seg_kind {
	SEG_OUT,	/* text: [off, off + len) of conn->out */
	SEG_FILE,	/* video bytes [first, end) */
	SEG_LIST,	/* text: [off, off + len) of resp->list's body */
	SEG_BLOB,	/* text: [off, off + len) of resp->blob (lives as the process) */
};

struct seg {
	enum seg_kind kind;
	uint64_t first;		/* SEG_OUT: offset; SEG_FILE: first byte */
	uint64_t end;		/* SEG_OUT: offset + length; SEG_FILE: end */
};

#define SEG_MAX		(2 * RANGE_MAX + 2)

/* What the connection does with a plan: the state it goes to. */
enum plan_next {
	PLAN_SEND,	/* send it (send.c) */
	PLAN_INGEST,	/* first take the request body: ext_ops->ingest() */
	PLAN_WAIT,	/* a job of the handler's answers; it resumes the connection */
};

struct resp {
	int status;
	enum plan_next next;
	struct video *v;	/* held while the response is sent */
	struct listing *list;	/* GET /v/'s, held while it is sent */
	const char *blob;	/* a --web file's body (web.c) */
	struct seg seg[SEG_MAX];
	unsigned int nseg;
	unsigned int cur;	/* next segment to load */
	/* The segment being sent: text, or video bytes [pos, end). */
	const char *text;
	size_t text_left;
	uint64_t pos;
	uint64_t end;
	bool file;		/* the loaded segment is video bytes */
	/* ?loop=N: passes over [loop_first, loop_end), chunked or not. */
	bool looping;
	bool chunked;
	bool loop_forever;
	uint64_t loops_left;
	uint64_t loop_first;
	uint64_t loop_end;
	bool loop_started;	/* a chunk went out: the next needs a CRLF first */
	bool loop_file_next;	/* the chunk header is out, the pass comes next */
	bool loop_done;
	char chunk[40];		/* chunk framing */
	/* What the access log says. */
	uint64_t head_bytes;
	uint64_t sent;		/* head and body */
	uint64_t file_sent;	/* of which video bytes */
	enum send_mode mode;	/* the path that sent the body */
	const char *cache;	/* --origin: "hit", "miss" or "fill"; NULL */
};

/*
 * A handler's state on a connection (conn->ext), and what the layers below
 * call back into it for. Every member may be NULL.
 *   ingest   PLAN_INGEST: take the request body; 1 done (and the next
 *            plan made), 0 blocked, -1 failed
 *   body     after the plan's segments, the rest of the body, as
 *            resp_send(): 1 done, 0 blocked, -1 failed
 *   release  the response is over, sent or not: let go of what it holds
 *   free     the connection is freed
 *   log      more fields for the access log line; as snprintf()
 */
struct conn_ext_ops {
	int (*ingest)(struct worker *w, struct conn *c);
	int (*body)(struct worker *w, struct conn *c);
	void (*release)(struct worker *w, struct conn *c);
	void (*free)(struct conn *c);
	size_t (*log)(const struct conn *c, char *buf, size_t size);
};

/* reply.c: making a plan. resp_init() forgets the last one, keeps the video. */
void resp_init(struct conn *c);
void plan_add_seg(struct conn *c, enum seg_kind kind, uint64_t first, uint64_t end);
bool plan_is_head(const struct conn *c);
bool out_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Without printf, for what every response has (reply.c): the bytes, a C string, a number. */
bool out_put(struct conn *c, const char *s, size_t n);
bool out_str(struct conn *c, const char *s);
bool out_u64(struct conn *c, uint64_t v);
void head_start(struct worker *w, struct conn *c, int status);
void head_end(struct conn *c, size_t start);
void respond_text(struct worker *w, struct conn *c, int status, const char *extra,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void respond_error(struct worker *w, struct conn *c, int status, const char *why);
void respond_parse_error(struct worker *w, struct conn *c, int status);
/* The handler's state goes: release, then free (after a refusal, say). */
void plan_drop_ext(struct worker *w, struct conn *c);
/* A name for a message: escaped, so that a client cannot forge lines. */
const char *shown(const char *name, char *buf, size_t size);
/* If-None-Match names @etag: true with a 304 planned. */
bool plan_not_modified(struct worker *w, struct conn *c, const char *etag);
/*
 * A response of @status with the JSON the handler wrote at the start of
 * c->out (c->out_len bytes): the head goes after it, the body is sent
 * after the head. For counters and health, never cached.
 */
void plan_json(struct worker *w, struct conn *c, int status);
/* c->r.v = the video NAME, or false with a 404 or 503 planned. */
bool plan_video_get(struct worker *w, struct conn *c, const char *name);

#endif /* VCACHE_STREAMER_PLAN_H */
