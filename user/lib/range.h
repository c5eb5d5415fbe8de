/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Range and If-Range for vcache-streamer (RFC 9110 sections 14.1-14.4 and
 * 13.1.5). Pure code, unit-tested in user/tests/range_test.c.
 *
 * Multiple ranges. A Range with several ranges gets one
 * multipart/byteranges response with the parts in the order asked, as long
 * as there are at most RANGE_MAX of them and no two overlap. Otherwise the
 * Range field is ignored and the whole video is sent with 200, which RFC
 * 9110 section 14.2 allows ("MAY ignore or reject ... ranges that ...
 * overlap, or many small ranges"): that is the cheap answer to the
 * "overlapping ranges" amplification attack, and no video player sends such
 * requests. Video players send one range; that is the common case and
 * always a plain 206.
 */
#ifndef VCACHE_RANGE_H
#define VCACHE_RANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "http.h"

#define RANGE_MAX	16

/* A range of bytes, first and last included, within the representation. */
struct byte_range {
	uint64_t first;
	uint64_t last;
};

enum range_result {
	RANGE_WHOLE,		/* no usable Range: 200 with the whole body */
	RANGE_PARTIAL,		/* 206 with the ranges given */
	RANGE_UNSATISFIABLE,	/* 416, Content-Range: bytes * / size */
};

/*
 * range_parse() - a Range field's value against a representation of @size
 * bytes.
 *
 * Grammar: "bytes=" 1#( first "-" [ last ] / "-" suffix ), OWS around the
 * commas, the unit case-insensitive. A field that does not parse, has a
 * range with last < first, or names another unit is ignored (RANGE_WHOLE),
 * as a server must (RFC 9110 section 14.2). Ranges starting at or past the
 * end, and "-0", are unsatisfiable and dropped; if none is left the result
 * is RANGE_UNSATISFIABLE. A last byte past the end is cut to the end. On
 * RANGE_PARTIAL, @out holds *@n (1..RANGE_MAX) ranges that do not overlap,
 * in the order given.
 */
enum range_result range_parse(struct http_span value, uint64_t size,
			      struct byte_range out[RANGE_MAX], unsigned int *n);

/*
 * if_range_allows() - whether the If-Range field @value lets a Range apply
 * (RFC 9110 section 13.1.5). An entity tag must match @etag by the strong
 * comparison (a weak tag never does); a date must equal @last_modified
 * exactly. @etag NULL and @last_modified < 0 mean the representation has
 * no such validator, so nothing matches. An absent If-Range (@value.p
 * NULL) allows the Range.
 */
bool if_range_allows(struct http_span value, const char *etag, time_t last_modified);

/*
 * "bytes 0-499/1234" (or "bytes * / 1234" without the spaces, for a 416,
 * when @r is NULL). Formats like snprintf().
 */
size_t range_format_content_range(char *buf, size_t size, const struct byte_range *r,
				  uint64_t total);

/*
 * A Range on a live stream (GET /live/NAME), whose bytes are addressed by
 * absolute offset and held while in the ring's window [@tail, @head). Only
 * one closed range "bytes=FIRST-LAST" is a range there (what an HLS player
 * asks for a segment): LIVE_RANGE_OK with @out cut to the head, as a
 * last byte past a representation's current length is (RFC 9110 14.1.2).
 * FIRST at or past the head is LIVE_RANGE_AHEAD (not written yet), FIRST
 * below the tail LIVE_RANGE_GONE (the window moved on): both a 416. Any
 * other field (none, open "N-" as players send by habit, a suffix, several
 * ranges, another unit, garbage) is LIVE_RANGE_NONE: the stream is followed
 * as without a Range.
 */
enum live_range {
	LIVE_RANGE_NONE,
	LIVE_RANGE_OK,
	LIVE_RANGE_AHEAD,
	LIVE_RANGE_GONE,
};

enum live_range live_range_parse(struct http_span value, uint64_t tail, uint64_t head,
				 struct byte_range *out);

#endif /* VCACHE_RANGE_H */
