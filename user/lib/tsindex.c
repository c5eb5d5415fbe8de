// SPDX-License-Identifier: GPL-2.0
/*
 * MPEG-TS keyframe indexer; see tsindex.h for the interface.
 *
 * The input is untrusted (any file can be loaded into the cache), so every
 * length read from the stream is checked against the bytes actually there,
 * and anything that does not add up is skipped and counted in ix->stats
 * rather than trusted. The fuzz target in user/fuzz/ holds us to that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "sps.h"
#include "tsindex.h"

#define TS_SYNC		0x47
#define PID_PAT		0x0000
#define PID_NULL	0x1fff
#define PTS_MASK	((1ULL << 33) - 1)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* How many sync bytes, one packet apart, it takes to (re)gain sync. */
#define SYNC_CONFIRM	3

enum { CC_PAT, CC_PMT, CC_VIDEO };

enum pes_state {
	PES_NONE,	/* no PES started yet on the video PID */
	PES_HDR,	/* gathering the PES header */
	PES_BODY,	/* scanning the elementary stream for start codes */
	PES_DONE,	/* frame known; ignore the rest of the PES */
	PES_SKIP,	/* broken; ignore until the next PUSI */
};

enum codec { CODEC_OTHER, CODEC_H264, CODEC_HEVC };

static enum codec codec_of(uint8_t stream_type)
{
	switch (stream_type) {
	case 0x1b:
		return CODEC_H264;
	case 0x24:
		return CODEC_HEVC;
	default:
		return CODEC_OTHER;
	}
}

static bool is_video_type(uint8_t stream_type)
{
	/* MPEG-1/2 video has no NAL units: keyframes come from RAI alone. */
	return stream_type == 0x1b || stream_type == 0x24 ||
	       stream_type == 0x01 || stream_type == 0x02;
}

/* ---- frames ---- */

/*
 * Undoes the 33-bit wrap: of all the values congruent to @pts, takes the one
 * nearest to the previous frame's. Decode order is not presentation order,
 * so a step may be backwards; anything within 2^32 ticks (13 hours) either
 * way is read as the step it is.
 */
static int64_t unwrap_pts(struct tsindex *ix, uint64_t pts)
{
	uint64_t d;

	if (!ix->have_ref) {
		ix->have_ref = true;
		ix->ref_pts = pts;
		return ix->ref_pts;
	}
	d = (pts - (uint64_t)ix->ref_pts) & PTS_MASK;
	if (d >= 1ULL << 32)
		ix->ref_pts -= (int64_t)((1ULL << 33) - d);
	else
		ix->ref_pts += (int64_t)d;
	return ix->ref_pts;
}

static int add_entry(struct tsindex *ix, uint64_t pts, uint64_t offset,
		     uint32_t flags)
{
	if (ix->count == ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 256;
		struct tsindex_entry *e;

		if (cap > SIZE_MAX / 2 / sizeof(*e))
			return -ENOMEM;
		e = realloc(ix->entries, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		ix->entries = e;
		ix->cap = cap;
	}
	ix->entries[ix->count++] = (struct tsindex_entry){
		.pts = pts, .offset = offset, .flags = flags,
	};
	return 0;
}

static void end_sps(struct tsindex *ix)
{
	struct tsindex_pes *pes = &ix->pes;

	pes->in_sps = false;
	/* Trailing zeros are the next start code (or padding), not the SPS. */
	while (pes->sps_len && !pes->sps[pes->sps_len - 1])
		pes->sps_len--;
	if (!ix->sps_num) {
		struct sps_info info;

		/* Without timing_info (0/0) the PTS decide the rate. */
		if (!sps_parse_h264(pes->sps, pes->sps_len, &info)) {
			ix->sps_num = info.fps_num;
			ix->sps_den = info.fps_den;
		}
	}
}

/* The PES is over: its frame goes into the index if it can. */
static void end_pes(struct tsindex *ix)
{
	struct tsindex_pes *pes = &ix->pes;
	enum codec codec = codec_of(ix->stream_type);
	uint32_t flags = 0;
	int64_t pts;
	int err;

	if (pes->state == PES_HDR)
		ix->stats.pes_errors++;	/* cut short */
	if (pes->state != PES_BODY && pes->state != PES_DONE) {
		pes->state = PES_NONE;
		return;
	}
	pes->state = PES_NONE;
	if (pes->in_sps)
		end_sps(ix);
	if (!pes->has_pts) {
		ix->stats.no_pts++;
		return;
	}
	if (pes->rai)
		flags |= TSINDEX_RAI;
	/*
	 * The slice type is the truth for H.264/HEVC: encoders set RAI on
	 * non-IDR I-frames too, and a decoder cannot start at those. Only if
	 * no slice was found (a damaged PES) does RAI stand in for it.
	 */
	if ((codec != CODEC_OTHER && pes->vcl_seen) ? pes->key_nal : pes->rai)
		flags |= TSINDEX_KEY;

	pts = unwrap_pts(ix, pes->pts);
	if (!ix->have_base) {
		if (!(flags & TSINDEX_KEY)) {
			ix->stats.dropped++;
			return;
		}
		ix->have_base = true;
		ix->base_pts = pts;
	}
	/*
	 * Leading pictures of an open GOP come after the first keyframe in
	 * decode order but before it on screen; they reference what came
	 * before the start, so they cannot be shown either.
	 */
	if (pts < ix->base_pts) {
		ix->stats.dropped++;
		return;
	}
	err = add_entry(ix, pts - ix->base_pts, pes->offset, flags);
	if (err) {
		ix->err = err;
		return;
	}
	ix->stats.frames++;
	if (flags & TSINDEX_KEY)
		ix->stats.keyframes++;
	if (flags & TSINDEX_RAI)
		ix->stats.rai++;
}

static void start_pes(struct tsindex *ix, uint64_t offset)
{
	struct tsindex_pes *pes = &ix->pes;

	pes->state = PES_HDR;
	pes->offset = offset;
	pes->hdr_len = 0;
	pes->hdr_need = 9;
	pes->bounded = false;
	pes->body_left = 0;
	pes->has_pts = false;
	pes->pts = 0;
	pes->rai = ix->rai_pending;
	ix->rai_pending = false;
	pes->zeros = 0;
	pes->want_nal_hdr = false;
	pes->vcl_seen = false;
	pes->key_nal = false;
	pes->in_sps = false;
	pes->sps_len = 0;
}

static void nal_header(struct tsindex *ix, uint8_t h)
{
	struct tsindex_pes *pes = &ix->pes;
	unsigned int type;

	if (h & 0x80)		/* forbidden_zero_bit: not a NAL unit */
		return;
	if (codec_of(ix->stream_type) == CODEC_H264) {
		type = h & 0x1f;
		if (type >= 1 && type <= 5) {
			pes->vcl_seen = true;
			pes->key_nal = type == 5;		/* IDR */
		} else if (type == 7 && !ix->sps_num) {
			pes->in_sps = true;
			pes->sps_len = 0;
		}
	} else {
		type = h >> 1 & 0x3f;
		if (type <= 31) {
			pes->vcl_seen = true;
			pes->key_nal = type >= 16 && type <= 23;	/* IRAP */
		}
	}
}

/*
 * Looks for the first slice of the access unit. All slices of a picture are
 * of one kind, so the first one settles it and the rest is not looked at.
 * The scanner's state lives in ix->pes, so a start code or NAL header split
 * across TS packets is found all the same.
 */
static void scan_es(struct tsindex *ix, const uint8_t *p, size_t n)
{
	struct tsindex_pes *pes = &ix->pes;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];

		if (pes->want_nal_hdr) {
			pes->want_nal_hdr = false;
			nal_header(ix, b);
			if (pes->vcl_seen) {
				pes->state = PES_DONE;
				return;
			}
			pes->zeros = !b;
			continue;
		}
		if (pes->in_sps && pes->sps_len < TSINDEX_SPS_MAX)
			pes->sps[pes->sps_len++] = b;
		if (!b) {
			if (pes->zeros < 2)
				pes->zeros++;
		} else if (b == 1 && pes->zeros == 2) {
			pes->want_nal_hdr = true;
			pes->zeros = 0;
			if (pes->in_sps) {
				/* The 01 of the start code is not SPS either. */
				if (pes->sps_len && pes->sps[pes->sps_len - 1] == 1)
					pes->sps_len--;
				end_sps(ix);
			}
		} else {
			pes->zeros = 0;
		}
	}
}

/* Stream ids whose PES has no optional header (so no PTS): 2.4.3.7. */
static bool pes_has_header(uint8_t sid)
{
	switch (sid) {
	case 0xbc: case 0xbe: case 0xbf: case 0xf0:
	case 0xf1: case 0xf2: case 0xf8: case 0xff:
		return false;
	default:
		return true;
	}
}

/* The fixed 9 bytes are in: are they a PES header we can use? */
static bool check_pes_fixed(struct tsindex_pes *pes)
{
	const uint8_t *h = pes->hdr;
	unsigned int plen = h[4] << 8 | h[5], hdl = h[8];
	unsigned int ptsdts = h[7] >> 6;

	if (h[0] || h[1] || h[2] != 1 || !pes_has_header(h[3]))
		return false;
	if ((h[6] & 0xc0) != 0x80)	/* '10' marks the MPEG-2 syntax */
		return false;
	if (plen && plen < 3 + hdl)	/* the header would not fit */
		return false;
	/* '01' is forbidden; PTS needs 5 header bytes, PTS+DTS 10. */
	if (ptsdts == 1 || (ptsdts == 2 && hdl < 5) || (ptsdts == 3 && hdl < 10))
		return false;
	pes->bounded = plen != 0;
	pes->body_left = plen ? plen - 3 - hdl : 0;
	pes->hdr_need = 9 + hdl;
	return true;
}

static void pes_data(struct tsindex *ix, const uint8_t *p, size_t n)
{
	struct tsindex_pes *pes = &ix->pes;

	while (n) {
		switch (pes->state) {
		case PES_HDR: {
			size_t k = pes->hdr_need - pes->hdr_len;

			if (k > n)
				k = n;
			memcpy(pes->hdr + pes->hdr_len, p, k);
			pes->hdr_len += k;
			p += k;
			n -= k;
			if (pes->hdr_len < pes->hdr_need)
				return;
			if (pes->hdr_len == 9 && !check_pes_fixed(pes)) {
				ix->stats.pes_errors++;
				pes->state = PES_SKIP;
				return;
			}
			if (pes->hdr_len < pes->hdr_need)
				continue;
			if (pes->hdr[7] & 0x80) {
				const uint8_t *t = pes->hdr + 9;

				pes->has_pts = true;
				pes->pts = (uint64_t)(t[0] >> 1 & 7) << 30 |
					   (uint64_t)t[1] << 22 |
					   (uint64_t)(t[2] >> 1) << 15 |
					   (uint64_t)t[3] << 7 | t[4] >> 1;
			}
			pes->state = codec_of(ix->stream_type) == CODEC_OTHER ?
				     PES_DONE : PES_BODY;
			if (pes->bounded && !pes->body_left)
				pes->state = PES_DONE;
			break;
		}
		case PES_BODY: {
			size_t k = n;

			/* Past PES_packet_length is not this frame's. */
			if (pes->bounded && k > pes->body_left)
				k = pes->body_left;
			scan_es(ix, p, k);
			if (pes->bounded) {
				pes->body_left -= k;
				if (!pes->body_left)
					pes->state = PES_DONE;
			}
			return;
		}
		default:
			return;
		}
	}
}

/* ---- PSI: PAT and PMT ---- */

static void parse_pat(struct tsindex *ix, const uint8_t *s, size_t len)
{
	if (ix->pmt_pid)	/* the first program found is the one */
		return;
	/* table_id 0, section_syntax_indicator, 5 header bytes, CRC */
	if (len < 12 || s[0] != 0x00 || !(s[1] & 0x80)) {
		ix->stats.psi_errors++;
		return;
	}
	if (!(s[5] & 1))	/* current_next_indicator: not yet valid */
		return;
	for (size_t i = 8; i + 4 <= len - 4; i += 4) {
		uint16_t program = s[i] << 8 | s[i + 1];
		uint16_t pid = (s[i + 2] & 0x1f) << 8 | s[i + 3];

		/* Program 0 points at the NIT, not at a PMT. */
		if (!program || pid == PID_PAT || pid == PID_NULL)
			continue;
		ix->pmt_pid = pid;
		return;
	}
}

static void parse_pmt(struct tsindex *ix, const uint8_t *s, size_t len)
{
	size_t i, end;

	/* Other tables may share the PID; they are none of our business. */
	if (ix->video_pid || s[0] != 0x02)
		return;
	if (len < 16 || !(s[1] & 0x80)) {
		ix->stats.psi_errors++;
		return;
	}
	if (!(s[5] & 1))
		return;
	end = len - 4;
	i = 12 + ((s[10] & 0x0f) << 8 | s[11]);	/* program_info_length */
	while (i + 5 <= end) {
		uint8_t type = s[i];
		uint16_t pid = (s[i + 1] & 0x1f) << 8 | s[i + 2];
		size_t info = (s[i + 3] & 0x0f) << 8 | s[i + 4];

		if (i + 5 + info > end) {
			ix->stats.psi_errors++;
			return;
		}
		if (is_video_type(type) && pid != PID_PAT && pid != PID_NULL &&
		    pid != ix->pmt_pid) {
			ix->video_pid = pid;
			ix->stream_type = type;
			return;
		}
		i += 5 + info;
	}
	if (i != end)
		ix->stats.psi_errors++;
}

static void psi_section(struct tsindex *ix, struct tsindex_psi *psi)
{
	if (psi == &ix->pat)
		parse_pat(ix, psi->buf, psi->len);
	else
		parse_pmt(ix, psi->buf, psi->len);
}

/*
 * Adds bytes to the section being gathered; returns how many it took. A
 * complete section is parsed at once and psi->active cleared.
 */
static size_t psi_append(struct tsindex *ix, struct tsindex_psi *psi,
			 const uint8_t *p, size_t n)
{
	size_t used = 0;

	while (used < n) {
		size_t want = psi->len < 3 ? 3 : psi->total;
		size_t k = want - psi->len;

		if (k > n - used)
			k = n - used;
		memcpy(psi->buf + psi->len, p + used, k);
		psi->len += k;
		used += k;
		if (psi->len == 3 && want == 3) {
			psi->total = 3 + ((psi->buf[1] & 0x0f) << 8 | psi->buf[2]);
			if (psi->total > TSINDEX_SECTION_MAX) {
				ix->stats.psi_errors++;
				psi->active = false;
				return n;	/* the rest is not a section */
			}
		}
		if (psi->len >= 3 && psi->len == psi->total) {
			psi_section(ix, psi);
			psi->active = false;
			return used;
		}
	}
	return used;
}

static void psi_packet(struct tsindex *ix, struct tsindex_psi *psi, bool pusi,
		       const uint8_t *p, size_t n)
{
	size_t ptr;

	if (!pusi) {
		if (psi->active)
			psi_append(ix, psi, p, n);
		return;
	}
	/* pointer_field: where the first new section starts */
	if (!n || p[0] >= n) {
		ix->stats.psi_errors++;
		psi->active = false;
		return;
	}
	ptr = p[0];
	p++;
	n--;
	if (psi->active) {
		psi_append(ix, psi, p, ptr);
		if (psi->active) {	/* the section ended short */
			ix->stats.psi_errors++;
			psi->active = false;
		}
	}
	p += ptr;
	n -= ptr;
	/* Sections may follow one another; 0xff stuffing ends them. */
	while (n && p[0] != 0xff) {
		size_t used;

		psi->active = true;
		psi->len = 0;
		psi->total = 0;
		used = psi_append(ix, psi, p, n);
		p += used;
		n -= used;
		if (psi->active)	/* continues in the next packet */
			return;
	}
}

/* ---- TS packets ---- */

/*
 * Returns false for a packet to ignore: a duplicate (the standard allows
 * sending a packet twice). A gap is counted and reported through *gap.
 */
static bool check_cc(struct tsindex *ix, int which, uint8_t cc, bool payload,
		     bool discontinuity, bool *gap)
{
	int8_t *last = &ix->cc[which];

	*gap = false;
	/* Only packets with payload advance the counter. */
	if (!payload)
		return true;
	if (*last >= 0 && !discontinuity) {
		if (cc == *last)
			return false;
		if (cc != ((*last + 1) & 0x0f)) {
			ix->stats.cc_errors++;
			*gap = true;
		}
	}
	*last = cc;
	return true;
}

static void video_packet(struct tsindex *ix, bool pusi, bool rai, bool gap,
			 const uint8_t *p, size_t n, uint64_t offset)
{
	struct tsindex_pes *pes = &ix->pes;

	/* RAI promises that the next PES to start here is an entry point. */
	if (rai)
		ix->rai_pending = true;
	if (gap) {
		if (pes->state == PES_HDR) {
			ix->stats.pes_errors++;
			pes->state = PES_SKIP;
		} else if (pes->state == PES_BODY) {
			/* Bytes are missing: no start code spans the hole. */
			pes->zeros = 0;
			pes->want_nal_hdr = false;
			pes->in_sps = false;
		}
	}
	if (pusi) {
		end_pes(ix);
		start_pes(ix, offset);
	}
	pes_data(ix, p, n);
}

static void ts_packet(struct tsindex *ix, const uint8_t *p, uint64_t offset)
{
	uint16_t pid = (p[1] & 0x1f) << 8 | p[2];
	bool pusi, rai = false, disc = false, gap;
	unsigned int afc = p[3] >> 4 & 3;
	size_t start = 4;
	int which;

	ix->stats.packets++;
	if (pid == PID_PAT && !ix->pmt_pid)
		which = CC_PAT;
	else if (ix->pmt_pid && pid == ix->pmt_pid && !ix->video_pid)
		which = CC_PMT;
	else if (ix->video_pid && pid == ix->video_pid)
		which = CC_VIDEO;
	else
		return;

	/* transport_error_indicator, or the reserved adaptation_field_control */
	if (p[1] & 0x80 || !afc) {
		ix->stats.bad_packets++;
		return;
	}
	if (afc & 2) {
		unsigned int aflen = p[4];

		if (aflen > TSINDEX_PACKET - 5) {
			ix->stats.bad_packets++;
			return;
		}
		if (aflen) {
			disc = p[5] & 0x80;
			rai = p[5] & 0x40;
		}
		start = 5 + aflen;
	}
	if (afc & 1 && p[3] & 0xc0) {	/* scrambled: the payload is noise */
		ix->stats.bad_packets++;
		return;
	}
	if (!check_cc(ix, which, p[3] & 0x0f, afc & 1, disc, &gap))
		return;
	if (!(afc & 1))
		start = TSINDEX_PACKET;
	/* A PUSI with no payload starts nothing. */
	pusi = p[1] & 0x40 && start < TSINDEX_PACKET;

	switch (which) {
	case CC_PAT:
	case CC_PMT: {
		struct tsindex_psi *psi = which == CC_PAT ? &ix->pat : &ix->pmt;

		if (gap)
			psi->active = false;
		if (start < TSINDEX_PACKET)
			psi_packet(ix, psi, pusi, p + start,
				   TSINDEX_PACKET - start);
		break;
	}
	case CC_VIDEO:
		video_packet(ix, pusi, rai, gap, p + start,
			     TSINDEX_PACKET - start, offset);
		break;
	}
}

/*
 * A packet followed by something other than a sync byte was held back when
 * sync was lost; now that the next good packet is at stream offset @next,
 * it can be judged. If they overlap, bytes were lost and the held packet has
 * the next one's head glued on: drop it. If not, bytes were inserted after
 * it and it is whole.
 */
static void release_held(struct tsindex *ix, uint64_t next)
{
	if (!ix->holding)
		return;
	ix->holding = false;
	if (next < ix->held_off + TSINDEX_PACKET)
		return;
	ix->stats.bytes_skipped -= TSINDEX_PACKET;	/* counted as skipped */
	ts_packet(ix, ix->held, ix->held_off);
}

/*
 * Out of sync: skips bytes from *pos until SYNC_CONFIRM sync bytes stand one
 * packet apart (at the very end, until those that are there do). Returns
 * false if it has to wait for more bytes to decide.
 */
static bool find_sync(struct tsindex *ix, size_t *pos, bool at_end)
{
	const uint8_t *b = ix->buf;
	size_t len = ix->buf_len;

	while (*pos < len) {
		const uint8_t *q = memchr(b + *pos, TS_SYNC, len - *pos);
		size_t c;
		bool ok = true;

		if (!q)
			break;
		c = q - b;
		ix->stats.bytes_skipped += c - *pos;
		*pos = c;
		if (!at_end && c + (SYNC_CONFIRM - 1) * TSINDEX_PACKET >= len)
			return false;
		if (c + TSINDEX_PACKET > len)
			return false;	/* a cut-off last packet */
		for (int k = 1; k < SYNC_CONFIRM; k++) {
			size_t at = c + k * TSINDEX_PACKET;

			if (at < len && b[at] != TS_SYNC)
				ok = false;
		}
		if (ok) {
			ix->locked = true;
			release_held(ix, ix->buf_off + c);
			return true;
		}
		ix->stats.bytes_skipped++;
		(*pos)++;
	}
	/* Not a single 0x47 left: none of these bytes can start a packet. */
	ix->stats.bytes_skipped += len - *pos;
	*pos = len;
	return false;
}

/*
 * Takes the whole packets at the front of ix->buf and returns how many bytes
 * it is done with. Every decision looks at a fixed window of bytes, and
 * until the stream ends it waits for the window to be there rather than
 * guess, which is what makes the result independent of the chunking.
 *
 * In sync, a packet is taken if it starts with 0x47 and so does the next
 * one. If the next one does not, the packet is held until sync is found
 * again, since only then is it known whether it is whole.
 */
static size_t ts_sync(struct tsindex *ix, bool at_end)
{
	const uint8_t *b = ix->buf;
	size_t len = ix->buf_len, pos = 0;

	while (pos < len && !ix->err) {
		size_t avail = len - pos;

		if (!ix->locked) {
			if (!find_sync(ix, &pos, at_end))
				break;
			continue;
		}
		if (avail < (at_end ? TSINDEX_PACKET : TSINDEX_PACKET + 1))
			break;
		/*
		 * b[pos] is a sync byte: find_sync() locked onto one, or the
		 * check below saw it as the byte after the previous packet.
		 */
		if (avail > TSINDEX_PACKET && b[pos + TSINDEX_PACKET] != TS_SYNC) {
			memcpy(ix->held, b + pos, TSINDEX_PACKET);
			ix->held_off = ix->buf_off + pos;
			ix->holding = true;
			ix->locked = false;
			ix->stats.sync_losses++;
			/* skipped, unless release_held() takes it after all */
			ix->stats.bytes_skipped++;
			pos++;
			continue;
		}
		ts_packet(ix, b + pos, ix->buf_off + pos);
		pos += TSINDEX_PACKET;
	}
	if (at_end && pos < len) {
		ix->stats.bytes_skipped += len - pos;
		pos = len;
	}
	/* The stream ended before sync came back: nothing overlapped it. */
	if (at_end)
		release_held(ix, UINT64_MAX);
	return pos;
}

static void consume(struct tsindex *ix, size_t n)
{
	memmove(ix->buf, ix->buf + n, ix->buf_len - n);
	ix->buf_len -= n;
	ix->buf_off += n;
}

int tsindex_init(struct tsindex *ix)
{
	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < sizeof(ix->cc); i++)
		ix->cc[i] = -1;
	return 0;
}

void tsindex_free(struct tsindex *ix)
{
	free(ix->entries);
	ix->entries = NULL;
	ix->count = 0;
	ix->cap = 0;
}

int tsindex_feed(struct tsindex *ix, const uint8_t *data, size_t len)
{
	if (ix->err)
		return ix->err;
	if (ix->finished || (!data && len))
		return -EINVAL;
	while (len) {
		size_t k = sizeof(ix->buf) - ix->buf_len;

		if (k > len)
			k = len;
		memcpy(ix->buf + ix->buf_len, data, k);
		ix->buf_len += k;
		data += k;
		len -= k;
		/* A full buffer always makes progress: it holds > 3 packets. */
		consume(ix, ts_sync(ix, false));
		if (ix->err)
			return ix->err;
	}
	return 0;
}

static bool entry_less(const struct tsindex_entry *a,
		       const struct tsindex_entry *b)
{
	/* Offsets grow in stream order, so this makes the sort stable. */
	return a->pts < b->pts || (a->pts == b->pts && a->offset < b->offset);
}

static void sift_down(struct tsindex_entry *e, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct tsindex_entry t;

		if (child >= n)
			return;
		if (child + 1 < n && entry_less(&e[child], &e[child + 1]))
			child++;
		if (!entry_less(&e[root], &e[child]))
			return;
		t = e[root];
		e[root] = e[child];
		e[child] = t;
		root = child;
	}
}

/* Heapsort: in place, no allocation, O(n log n) whatever the input. */
static void sort_entries(struct tsindex_entry *e, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(e, i, n);
	for (size_t i = n; i-- > 1;) {
		struct tsindex_entry t = e[0];

		e[0] = e[i];
		e[i] = t;
		sift_down(e, 0, i);
	}
}

/* Frame durations in 90 kHz ticks are 90000 * den / num. */
static const struct { uint32_t num, den; } std_rates[] = {
	{ 24000, 1001 }, { 24, 1 }, { 25, 1 }, { 30000, 1001 },
	{ 30, 1 }, { 50, 1 }, { 60000, 1001 }, { 60, 1 },
};

#define FPS_SAMPLES	255

/*
 * The median step between frames on screen, snapped to the nearest
 * standard rate. The median shrugs off dropped frames and PTS glitches; a
 * sample spread over the whole stream keeps it allocation-free. A step more
 * than 5% away from every standard rate is reported as it is (12.5 fps is
 * not 23.976), and one outside 1..1000 fps not at all.
 */
static void fps_from_pts(struct tsindex *ix)
{
	uint64_t s[FPS_SAMPLES], med, best_err = 0, best_dur = 1, g;
	size_t steps = ix->count - 1, m = 0, best = 0;

	for (size_t i = 0; i < FPS_SAMPLES && i < steps; i++) {
		size_t k = steps <= FPS_SAMPLES ? i : i * steps / FPS_SAMPLES;
		uint64_t d = ix->entries[k + 1].pts - ix->entries[k].pts;
		size_t j;

		if (!d)
			continue;
		/* insertion sort: a few hundred values */
		for (j = m++; j && s[j - 1] > d; j--)
			s[j] = s[j - 1];
		s[j] = d;
	}
	if (!m)
		return;
	med = s[m / 2];
	if (med < 90 || med > 90000)
		return;

	/*
	 * Relative error |med - dur| / dur with dur = 90000 * den / num,
	 * compared by cross-multiplying; med <= 90000 keeps it in 64 bits.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(std_rates); i++) {
		uint64_t a = med * std_rates[i].num;
		uint64_t b = 90000ULL * std_rates[i].den;
		uint64_t err = a > b ? a - b : b - a;

		if (!i || err * best_dur < best_err * b) {
			best = i;
			best_err = err;
			best_dur = b;
		}
	}
	ix->fps_source = TSINDEX_FPS_PTS;
	if (best_err * 20 <= best_dur) {
		ix->fps_num = std_rates[best].num;
		ix->fps_den = std_rates[best].den;
		return;
	}
	g = gcd64(90000, med);
	ix->fps_num = 90000 / g;
	ix->fps_den = med / g;
}

int tsindex_finish(struct tsindex *ix)
{
	if (ix->err)
		return ix->err;
	if (!ix->finished) {
		ix->finished = true;
		consume(ix, ts_sync(ix, true));
		if (!ix->err)
			end_pes(ix);
		if (ix->err)
			return ix->err;
		sort_entries(ix->entries, ix->count);
		if (ix->sps_num) {
			ix->fps_num = ix->sps_num;
			ix->fps_den = ix->sps_den;
			ix->fps_source = TSINDEX_FPS_SPS;
		} else if (ix->count >= 2) {
			fps_from_pts(ix);
		}
	}
	return ix->video_pid ? 0 : -EINVAL;
}

const char *tsindex_fps_source_name(enum tsindex_fps_source src)
{
	switch (src) {
	case TSINDEX_FPS_SPS:
		return "sps";
	case TSINDEX_FPS_PTS:
		return "pts";
	default:
		return "none";
	}
}
