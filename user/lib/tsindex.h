/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MPEG-TS keyframe indexer: turns a stream of 188-byte transport packets into
 * one entry per video frame (presentation time, byte offset, keyframe flag),
 * so that a cached video can be entered at a keyframe without being decoded.
 *
 * Pure code: the caller reads the file and feeds the bytes, in chunks of any
 * size (the result does not depend on how the stream was cut). Nothing is
 * global and nothing is allocated except the entry array, which
 * tsindex_free() releases. struct tsindex is public so that it can live on
 * the stack (about 10 KB); the fields below "internal state" are not an
 * interface.
 *
 *	struct tsindex ix;
 *
 *	tsindex_init(&ix);
 *	while ((n = read(fd, buf, sizeof(buf))) > 0)
 *		if (tsindex_feed(&ix, buf, n))
 *			goto fail;
 *	if (tsindex_finish(&ix))
 *		goto fail;
 *	... ix.entries[0 .. ix.count), ix.fps_num / ix.fps_den ...
 *	tsindex_free(&ix);
 *
 * The video stream is the first H.264 (stream_type 0x1b), HEVC (0x24) or
 * MPEG-1/2 video (0x01, 0x02) elementary stream of the first program in the
 * PAT (the stream_type values are ISO/IEC 13818-1's assignments). Packets before the PAT and PMT have been seen are not indexed; later
 * PAT/PMT versions are ignored (the index follows one stream).
 *
 * A frame is one PES packet: broadcast rules (and ffmpeg's muxer) put
 * exactly one access unit in each video PES.
 *
 * Keyframes are decided by the first slice NAL unit in the PES: an IDR
 * (type 5) for H.264, an IRAP (types 16..23: BLA, IDR, CRA) for HEVC (the
 * nal_unit_type tables, Table 7-1 of ITU-T H.264 and of ITU-T H.265). The
 * adaptation field's random_access_indicator is reported alongside
 * (TSINDEX_RAI) and decides only where there is no NAL type to go by: MPEG-2
 * video, or a PES too damaged to hold a slice. An H.264 I-frame with a
 * recovery point SEI is not a keyframe here (ffprobe flags it K).
 *
 * Frames before the first keyframe in stream order are left out, as are the
 * leading pictures of an open GOP that are shown before it: a player cannot
 * start there. So are frames whose PES has no PTS (counted in stats).
 *
 * The frame rate comes from the first H.264 SPS with VUI timing_info
 * (time_scale / (2 * num_units_in_tick): ITU-T H.264 Annex E counts a clock
 * tick, num_units_in_tick / time_scale seconds, per field, two a frame). Without one, and always for HEVC
 * and MPEG-2, it is the median PTS step between consecutive frames on
 * screen, snapped to the nearest of 23.976, 24, 25, 29.97, 30, 50, 59.94 and
 * 60 when within 5% of it, else given as 90000 / step.
 */
#ifndef VCACHE_TSINDEX_H
#define VCACHE_TSINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSINDEX_PACKET		188

/* entry flags */
#define TSINDEX_KEY		1u	/* a decoder can start at this frame */
#define TSINDEX_RAI		2u	/* random_access_indicator was set */

struct tsindex_entry {
	/*
	 * 90 kHz ticks after the first keyframe's PTS, the 33-bit PTS wrap
	 * undone: it keeps growing across a wrap.
	 */
	uint64_t pts;
	/* Stream offset of the TS packet whose PUSI starts the frame's PES. */
	uint64_t offset;
	uint32_t flags;
};

enum tsindex_fps_source {
	TSINDEX_FPS_NONE,	/* unknown: too few frames, or absurd steps */
	TSINDEX_FPS_SPS,	/* H.264 SPS VUI timing_info */
	TSINDEX_FPS_PTS,	/* median PTS step, snapped to a standard rate */
};

struct tsindex_stats {
	/* Every byte fed is in one or the other: packets * 188 + skipped. */
	uint64_t packets;	/* TS packets taken in (in sync, whole) */
	uint64_t bytes_skipped;	/* out of sync, or a truncated last packet */
	uint64_t sync_losses;	/* times sync was lost once it had been found */
	uint64_t bad_packets;	/* TEI set, scrambled, bad adaptation field */
	uint64_t cc_errors;	/* continuity_counter gaps on the PIDs we follow */
	uint64_t psi_errors;	/* PAT/PMT sections that did not add up */
	uint64_t pes_errors;	/* video PES with a bad or cut-short header */
	uint64_t no_pts;	/* video PES without a PTS: not indexed */
	uint64_t dropped;	/* frames before the first keyframe */
	uint64_t frames;	/* frames indexed (== count) */
	uint64_t keyframes;	/* of which keyframes */
	uint64_t rai;		/* frames whose adaptation field set RAI */
};

/* internal state */
#define TSINDEX_BUF		(32 * TSINDEX_PACKET)
#define TSINDEX_SECTION_MAX	1024	/* 3 + section_length (<= 1021) */
#define TSINDEX_PES_HDR_MAX	(9 + 255)
#define TSINDEX_SPS_MAX		1024

struct tsindex_psi {
	uint8_t buf[TSINDEX_SECTION_MAX];
	uint16_t len;		/* bytes of the current section so far */
	uint16_t total;		/* its full size, once len >= 3 */
	bool active;		/* a section is being gathered */
};

struct tsindex_pes {
	int state;
	uint64_t offset;
	uint8_t hdr[TSINDEX_PES_HDR_MAX];
	uint16_t hdr_len;
	uint16_t hdr_need;
	bool bounded;		/* PES_packet_length was not 0 */
	uint32_t body_left;
	bool has_pts;
	uint64_t pts;
	bool rai;
	/* start code scanner, state kept across TS packets */
	uint8_t zeros;
	bool want_nal_hdr;
	bool vcl_seen;		/* the first slice decided the frame */
	bool key_nal;
	bool in_sps;
	uint16_t sps_len;
	uint8_t sps[TSINDEX_SPS_MAX];
};

struct tsindex {
	/* results, valid after tsindex_finish() */
	struct tsindex_entry *entries;
	size_t count;
	uint32_t fps_num;
	uint32_t fps_den;
	enum tsindex_fps_source fps_source;
	uint8_t stream_type;	/* of the video stream, 0 if none */
	uint16_t video_pid;
	struct tsindex_stats stats;

	/* internal state */
	size_t cap;
	int err;		/* sticky: -ENOMEM */
	bool finished;
	bool locked;		/* in sync with the 188-byte packet grid */
	bool holding;		/* held[] waits for the resync to judge it */
	uint64_t held_off;
	uint8_t held[TSINDEX_PACKET];
	uint64_t buf_off;	/* stream offset of buf[0] */
	size_t buf_len;
	uint8_t buf[TSINDEX_BUF];

	uint16_t pmt_pid;	/* 0 until the PAT named one */
	int8_t cc[3];		/* last continuity_counter: PAT, PMT, video */
	struct tsindex_psi pat;
	struct tsindex_psi pmt;

	bool rai_pending;	/* RAI seen, applies to the next PES start */
	struct tsindex_pes pes;

	bool have_ref;		/* PTS unwrapping: last PTS, 33-bit wrap undone */
	int64_t ref_pts;
	bool have_base;		/* the first keyframe has been seen */
	int64_t base_pts;
	uint32_t sps_num;	/* SPS timing_info, once found */
	uint32_t sps_den;
};

/* Returns 0. Sets up an empty index; nothing is allocated yet. */
int tsindex_init(struct tsindex *ix);

/*
 * Takes the next @len bytes of the stream; offsets count from the first byte
 * ever fed. Returns 0, -ENOMEM (sticky: the index is then incomplete and
 * every later call fails too) or -EINVAL after tsindex_finish().
 */
int tsindex_feed(struct tsindex *ix, const uint8_t *data, size_t len);

/*
 * Ends the stream: indexes the last frame, sorts the entries by pts (stable,
 * so equal pts keep stream order) and settles the frame rate. Returns 0,
 * -EINVAL if no video stream was found, or the sticky -ENOMEM. Calling it
 * again returns the same result.
 */
int tsindex_finish(struct tsindex *ix);

/* Frees the entries; the index is then empty (init again to reuse it). */
void tsindex_free(struct tsindex *ix);

/* "none", "sps" or "pts" */
const char *tsindex_fps_source_name(enum tsindex_fps_source src);

#endif /* VCACHE_TSINDEX_H */
