/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an HLS playlist needs to know about an MPEG-TS video beyond its
 * keyframe index: the codecs and picture size (for the master playlist) and
 * where a segment can begin so that it decodes on its own.
 *
 * Pure functions over bytes the caller read from the video: no I/O, no
 * allocation. The input is untrusted; a PSI section is taken only when it
 * is whole inside one packet (as every muxer writes a PAT and a small PMT),
 * and anything that does not add up is "not found", never a read past @len.
 */
#ifndef VCACHE_TSPROBE_H
#define VCACHE_TSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sps.h"

#define TS_PACKET	188

struct ts_streams {
	uint16_t pmt_pid;
	uint16_t video_pid;	/* first H.264/HEVC/MPEG-2 video stream */
	uint8_t video_type;	/* its stream_type */
	uint16_t audio_pid;	/* first ADTS AAC stream (0x0f), 0 if none */
	bool other_audio;	/* an audio stream we cannot name */
	bool have_sps;		/* sps holds the first SPS of the video */
	struct sps_info sps;
	uint8_t aac_aot;	/* AAC audio object type from ADTS (2: LC) */
	/*
	 * The RFC 6381 codecs of the video alone ("avc1.64000d") and of the
	 * whole stream ("avc1.64000d,mp4a.40.2"); empty when a stream cannot
	 * be named (no SPS, MPEG-2, audio that is not AAC): a master
	 * playlist then leaves CODECS out, as RFC 8216 4.3.4.2 allows.
	 */
	char video_codec[48];
	char codecs[64];
};

/*
 * ts_probe() - the programs and codecs from the head of a video (the first
 * few hundred KiB, enough to hold the first keyframe and audio frame).
 * Returns 0 when the PAT, the PMT and a video stream were found (the
 * codec strings may still be empty), -ENOENT otherwise.
 */
int ts_probe(const uint8_t *buf, size_t len, struct ts_streams *out);

/*
 * ts_psi_before() - does a PAT and a PMT immediately precede a keyframe?
 *
 * @buf holds the bytes just before the keyframe's first packet (its last
 * byte is the one before it), a few packets' worth. ffmpeg writes an SDT
 * (sometimes), the PAT and the PMT right before every keyframe's PES; a
 * segment that starts at that PAT decodes on its own (RFC 8216 3.2). Only
 * the PMTs named by the PAT, the other SI tables (PIDs 0x10..0x1f), null
 * packets and packets without payload may stand between the PAT and the
 * keyframe, and one of them must be a PMT. Returns 0 and sets *@back to how
 * many bytes before the keyframe the PAT starts, or -ENOENT.
 */
int ts_psi_before(const uint8_t *buf, size_t len, size_t *back);

/*
 * ts_psi_head() - the byte range of a video's first PAT through the packet
 * that starts the PMT it names: what EXT-X-MAP points to when segments do
 * not start with their own. @buf is the video's head. Returns 0 or -ENOENT.
 */
int ts_psi_head(const uint8_t *buf, size_t len, uint64_t *off, uint64_t *plen);

#endif /* VCACHE_TSPROBE_H */
