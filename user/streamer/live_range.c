// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the live handlers (live.h). A Range on
 * GET|HEAD /live/NAME: the bytes of an HLS segment (a live playlist's
 * EXT-X-BYTERANGE, in the stream's absolute offsets), served by the viewer
 * (live_view.c) from the ring while they are in its window.
 *
 * Which fields are a range there is live_range_parse()'s (range.h): one
 * closed range. The current length of a live stream is its head, so a
 * last byte past it is cut there (RFC 9110 14.1.2) and a first byte at or
 * past it is unsatisfiable: 416 at once, nothing waits for bytes to come.
 * A first byte below the ring's tail has left the window for good: 416
 * too (the range is not satisfiable by what the stream holds), with
 * Content-Range "bytes *\/HEAD", as for any 416. An If-Range cannot match
 * (a live stream has no validator), so with one the Range is ignored.
 */
#include <inttypes.h>
#include <stdio.h>
#include "live.h"
#include "range.h"

int live_range_plan(struct worker *w, struct conn *c, const struct vcache_info *in,
		    uint64_t *first, uint64_t *stop)
{
	uint64_t tail = in->tail, head = in->size;
	struct byte_range r;
	char cr[64];

	if (c->req.if_range.p)
		return 0;
	snprintf(cr, sizeof(cr), "Content-Range: bytes */%" PRIu64 "\r\n", head);
	switch (live_range_parse(c->req.range, tail, head, &r)) {
	case LIVE_RANGE_OK:
		*first = r.first;
		*stop = r.last + 1;
		return 1;
	case LIVE_RANGE_AHEAD:
		respond_text(w, c, 416, cr, "not written yet: the live stream holds bytes %"
			     PRIu64 " to %" PRIu64, tail, head);
		return -1;
	case LIVE_RANGE_GONE:
		respond_text(w, c, 416, cr, "gone from the live window: the stream holds bytes %"
			     PRIu64 " to %" PRIu64, tail, head);
		return -1;
	default:
		return 0;
	}
}

void live_range_head(struct worker *w, struct conn *c, const struct vcache_info *in,
		     uint64_t first, uint64_t stop, const char *type)
{
	char total[24] = "*";

	/* An ended stream's length is final; a live one's is not known yet. */
	if (in->state == VCACHE_STATE_ENDED)
		snprintf(total, sizeof(total), "%" PRIu64, (uint64_t)in->size);
	head_start(w, c, 206);
	out_printf(c, "Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n"
		   "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%s\r\n", type, stop - first,
		   first, stop - 1, total);
	head_end(c, 0);
}
