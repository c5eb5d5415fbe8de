/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HLS playlists (RFC 8216) computed from a video's keyframe index: every
 * segment is a byte range of the cached MPEG-TS file (EXT-X-BYTERANGE), so
 * nothing is remuxed or copied, and the segment length is whatever the
 * request asks for (?seg=SECONDS).
 *
 * Pure code: the index comes in as struct vcache_index_entry (as the kernel
 * hands it back), the few TS bytes looked at through a read callback, and
 * the text goes into a growing string. Times are 90 kHz ticks.
 *
 * VOD, for a sealed video:
 *
 *	hls_keys(entries, n, 0, size, &keys, &nkeys);	  (the keyframes)
 *	hls_keys_psi(keys, nkeys, 0, read_fn, fd);	  (segment starts)
 *	ts_psi_head(head, head_len, &v.map_off, &v.map_len);  (tsprobe.h)
 *	v = (struct hls_vod){ keys, nkeys, size, duration, "../NAME" ... };
 *	hls_vod_media(&v, target, &out);   hls_vod_iframes(&v, &out);
 *	hls_vod_master(&v, target, &master, &out);
 *
 * Live: one struct hls_live per stream, kept across requests, fed the new
 * index entries of each request (see below), and rendered.
 *
 * Errors: -EINVAL (bad argument: a target out of range, a duration or size
 * that does not cover the keyframes: a 400 when it came from the request),
 * -ENOENT (no keyframe: nothing a player could start at; a 409 for the
 * request), -EAGAIN (live: no whole segment yet), -ENOMEM.
 */
#ifndef VCACHE_HLS_H
#define VCACHE_HLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vcache.h>

#define HLS_HZ			90000
#define HLS_SEG_DEFAULT		6	/* seconds, when ?seg= is not given */
/*
 * The longest segment asked for: ten minutes is already a whole short
 * video in one segment, and longer targets only make players stall.
 */
#define HLS_SEG_MAX		600
/* How far before a keyframe its PAT and PMT are looked for (8 packets). */
#define HLS_PSI_LOOKBACK	(8 * 188)

/* A growing string; zero it before the first use, free it after. */
struct hls_buf {
	char *s;		/* NUL-terminated once anything was written */
	size_t len;
	size_t cap;
	int err;		/* sticky -ENOMEM */
};

int hls_printf(struct hls_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hls_buf_free(struct hls_buf *b);

/*
 * hls_parse_seg() - the value of ?seg=SECONDS: a decimal number of seconds
 * ("6", "2.5"), more than 0 and at most HLS_SEG_MAX, into ticks. NaN, inf,
 * a sign, hex, exponents and trailing bytes are -EINVAL; 0, or over the
 * maximum, -ERANGE. Both mean 400 Bad Request.
 */
int hls_parse_seg(const char *s, uint64_t *ticks);

/* One keyframe: where a segment (or an I-frame) can begin. */
struct hls_key {
	uint64_t pos;		/* absolute index position of its entry */
	uint64_t pts;		/* 90 kHz ticks */
	uint64_t offset;	/* its first TS packet */
	/*
	 * Where a segment beginning with it starts: the PAT just before it
	 * when a PAT and PMT are there (@psi), else @offset.
	 */
	uint64_t start;
	/* The end of its own bytes: the next frame's offset in the stream. */
	uint64_t frame_end;
	bool psi;
};

/*
 * hls_keys() - the keyframes of @n index entries (in index order: by pts),
 * the first of them at absolute position @first_pos; @end is where the
 * data ends (the video's size, or a live stream's bytes so far). A
 * keyframe whose pts or offset does not move past the previous one's is
 * left out (it could only make an empty segment). Allocates *@keys (free()
 * it). Returns 0, -ENOENT (no keyframe), -EINVAL (an offset at or past
 * @end) or -ENOMEM.
 */
int hls_keys(const struct vcache_index_entry *e, size_t n, uint64_t first_pos,
	     uint64_t end, struct hls_key **keys, size_t *nkeys);

/*
 * The caller's reader: @len bytes at @off into @buf. Returns 0, or a
 * negative errno (-ERANGE when the bytes are no longer held: a live ring's
 * window moved on; the key then keeps its own offset as start).
 */
typedef int (*hls_read_fn)(void *arg, uint64_t off, void *buf, size_t len);

/*
 * hls_keys_psi() - moves each key's start back to the PAT before it when a
 * PAT and PMT immediately precede it (ts_psi_before()), reading up to
 * HLS_PSI_LOOKBACK bytes before each keyframe, none before @lowest (the
 * video's start, or the first byte a live ring still holds) nor before the
 * previous keyframe's own bytes. Returns 0 or the reader's error.
 */
int hls_keys_psi(struct hls_key *keys, size_t n, uint64_t lowest,
		 hls_read_fn rd, void *arg);

/*
 * hls_index_duration() - a video's duration from its index: the last pts
 * plus one frame: @frame ticks when known (90000 * den / num of the video's
 * frame rate), else the median step between the last frames, else 1/25 s.
 * 0 for no entry.
 */
uint64_t hls_index_duration(const struct vcache_index_entry *e, size_t n,
			    uint64_t frame);

/* ---- VOD ---- */

struct hls_vod {
	const struct hls_key *keys;
	size_t nkeys;
	uint64_t size;		/* bytes of the video */
	uint64_t duration;	/* ticks, past the last keyframe's pts */
	/*
	 * The video's URI relative to the playlists (percent-encoded, no
	 * '"'): every segment and I-frame is a byte range of it.
	 */
	const char *uri;
	/*
	 * The first PAT+PMT (ts_psi_head()), for EXT-X-MAP when a segment
	 * does not start with its own; map_len 0 if unknown (then no map).
	 */
	uint64_t map_off;
	uint64_t map_len;
};

/*
 * One media segment. The timeline starts at pts 0: the first segment
 * starts at byte 0 and time 0, so that it holds whatever comes before the
 * first keyframe and a time in the playlist is a pts in the index.
 */
struct hls_seg {
	uint64_t off;
	uint64_t len;
	uint64_t t0;		/* ticks */
	uint64_t dur;		/* ticks */
	bool psi;		/* starts with a PAT and PMT */
};

/*
 * hls_vod_segments() - the segments for a target of @target ticks (see
 * hls_parse_seg()): groups of whole GOPs, each ending at the keyframe (or
 * the video's end) that brings it closest to the target. Contiguous from
 * byte 0 to @size. Allocates *@segs (free() it).
 */
int hls_vod_segments(const struct hls_vod *v, uint64_t target,
		     struct hls_seg **segs, size_t *n);

/*
 * hls_vod_media() - the media playlist: EXT-X-VERSION 4 (EXT-X-BYTERANGE),
 * 6 with EXT-X-MAP; EXT-X-TARGETDURATION the longest EXTINF rounded to the
 * nearest second (RFC 8216 4.3.3.1; at least 1); EXT-X-PLAYLIST-TYPE:VOD;
 * EXTINF to the microsecond, each the difference of two rounded times so
 * that they add up to the exact duration; EXT-X-ENDLIST.
 */
int hls_vod_media(const struct hls_vod *v, uint64_t target, struct hls_buf *out);

/*
 * hls_vod_iframes() - the I-frame playlist (EXT-X-I-FRAMES-ONLY, version 4,
 * 5 with EXT-X-MAP): each keyframe's own bytes, from its start (the PAT and
 * PMT before it, so that the range decodes alone) to the next frame's
 * offset; its EXTINF the time to the next keyframe (the first one's from
 * time 0, the last one's to the end).
 */
int hls_vod_iframes(const struct hls_vod *v, struct hls_buf *out);

struct hls_master {
	const char *media_uri;	/* relative, e.g. "index.m3u8?seg=6" */
	const char *iframes_uri; /* relative; NULL: no I-frame stream */
	/* "avc1.64000d,mp4a.40.2" / "avc1.64000d"; "" or NULL: no CODECS */
	const char *codecs;
	const char *video_codec;
	uint32_t width;		/* 0: no RESOLUTION */
	uint32_t height;
};

/*
 * hls_vod_master() - EXT-X-STREAM-INF (BANDWIDTH the highest bit rate of
 * one media segment at @target, AVERAGE-BANDWIDTH size over duration,
 * CODECS, RESOLUTION) and EXT-X-I-FRAME-STREAM-INF (the same from the
 * I-frames, the video codec alone).
 */
int hls_vod_master(const struct hls_vod *v, uint64_t target,
		   const struct hls_master *m, struct hls_buf *out);

/* ---- live ---- */

/*
 * A live stream's segmenter. Segments are cut at keyframes as they arrive:
 * at a keyframe, the open segment is closed if that brings it nearer the
 * target than waiting one more GOP (of the last GOP's length) would.
 * Segments never change once closed, so a media sequence number always
 * names the same bytes.
 *
 * Sequence numbers: consecutive from the first segment a segmenter sees,
 * which takes the absolute index position of its keyframe as its number.
 * A segment holds at least one entry, so a number is never above the
 * position of its keyframe, and a segmenter started again (a restarted
 * streamer) or restarted after a gap (entries lost from the window before
 * it read them: all its segments are dropped) numbers from a position past
 * every number given before: EXT-X-MEDIA-SEQUENCE only grows.
 */
struct hls_lseg {
	uint64_t seq;
	uint64_t pos;		/* absolute index position of its keyframe */
	uint64_t pts;
	uint64_t start;		/* absolute stream offset */
	uint64_t len;
	uint64_t dur;		/* ticks */
	bool psi;
};

struct hls_live {
	uint64_t target;	/* ticks */
	struct hls_lseg *segs;	/* closed, oldest first */
	size_t nsegs;
	size_t cap;
	uint64_t next_seq;
	uint64_t next_pos;	/* the next index position expected */
	bool started;
	bool have_open;		/* a segment is open at open_key */
	struct hls_key open_key;
	uint64_t last_key_pts;
	uint64_t gop;		/* the last keyframe interval */
	uint64_t max_round;	/* longest rounded EXTINF so far (s) */
	bool ended;
	uint64_t gaps;		/* restarts after lost entries */
};

/* @target: ticks, as from hls_parse_seg(). Returns 0 or -EINVAL. */
int hls_live_init(struct hls_live *l, uint64_t target);
void hls_live_free(struct hls_live *l);

/*
 * hls_live_feed() - takes the keys (hls_keys(), hls_keys_psi()) of the
 * index entries at absolute positions [@first_pos, @end_pos). Entries
 * already seen are skipped, so the caller may read again from any
 * position not past hls_live::next_pos; a @first_pos past it means entries
 * were lost: the segmenter starts again (counted in hls_live::gaps).
 * Returns 0, -EINVAL (after hls_live_end()) or -ENOMEM.
 */
int hls_live_feed(struct hls_live *l, uint64_t first_pos, uint64_t end_pos,
		  const struct hls_key *keys, size_t n);

/*
 * hls_live_end() - the stream ended at byte @end_off and time @end_pts (the
 * last pts plus a frame): the open segment closes there, and the playlist
 * gets EXT-X-ENDLIST.
 */
int hls_live_end(struct hls_live *l, uint64_t end_off, uint64_t end_pts);

struct hls_live_view {
	const char *uri;	/* the stream's URI relative to the playlist */
	/*
	 * The first byte a segment may start at to be listed: the ring's
	 * oldest byte plus a margin for the clients still fetching (RFC
	 * 8216 6.2.2 wants a removed segment kept for its duration plus the
	 * playlist's). Older segments are dropped for good.
	 */
	uint64_t avail_start;
	/*
	 * How much to list: at least three target durations (6.2.2).
	 * Segments a playlist leaves out are dropped for good, so that the
	 * media sequence never goes back when a later call asks for more.
	 */
	uint64_t window;	/* ticks */
	/* Wall clock of pts 0, ms since the epoch; < 0: no PROGRAM-DATE-TIME */
	int64_t pdt_base_ms;
	bool short_window;	/* out: fewer than 3 targets were available */
};

/*
 * hls_live_media() - the live media playlist: the newest segments that make
 * up @view->window (never less than three target durations while that many
 * are held), EXT-X-MEDIA-SEQUENCE the first one's number,
 * EXT-X-PROGRAM-DATE-TIME on each segment, EXT-X-TARGETDURATION the
 * target or the longest rounded EXTINF the stream has had, EXT-X-ENDLIST
 * once ended. Returns 0, -EAGAIN (no segment to list yet) or -ENOMEM.
 *
 * 6.2.1 lets a live playlist change only by appending, removing from the
 * head, raising the sequence numbers and ending; the target duration then
 * stays, unless the stream's GOPs outgrow it: a segment cannot be shorter
 * than its GOP, and an EXTINF over the target (4.3.3.1) would make the
 * playlist invalid, so the target grows then, the lesser breach.
 */
int hls_live_media(struct hls_live *l, struct hls_live_view *view,
		   struct hls_buf *out);

/*
 * hls_live_avail() - hls_live_view::avail_start for a ring whose oldest
 * byte is @tail, for a playlist of @window ticks (at least three target
 * durations, as hls_live_media() makes it). RFC 8216 6.2.2 wants a segment
 * removed from the playlist still served for its duration plus the
 * playlist's: a segment is listed only while the writer has, at the
 * stream's recent rate (the newest closed segments' bytes over their
 * time), more than a playlist and a target duration of bytes to write
 * before the ring's tail reaches it. That rule gives way to the other
 * one, never less than three target durations listed: a ring too small
 * for both keeps the three (their segments then leave the ring sooner).
 * @tail while fewer than three target durations are held.
 */
uint64_t hls_live_avail(const struct hls_live *l, uint64_t tail, uint64_t window);

/*
 * hls_escape_uri() - @src percent-encoded for a URI path (RFC 3986
 * unreserved bytes and '/' pass), like snprintf().
 */
size_t hls_escape_uri(char *buf, size_t size, const char *src);

#endif /* VCACHE_HLS_H */
