/* SPDX-License-Identifier: GPL-2.0 */
/*
 * H.264 and HEVC sequence parameter sets: what a player needs to know
 * before it downloads a segment (the RFC 6381 codec string of an HLS master
 * playlist, the picture size) and what the TS indexer needs (the frame rate
 * of the H.264 VUI timing_info).
 *
 * Pure code. The input is one SPS NAL unit's payload after its NAL header
 * (one byte for H.264, two for HEVC), emulation-prevention bytes still in:
 * the parsers take them out. The input is untrusted: a field out of range
 * or an SPS cut short is -EINVAL, never a read past @len.
 */
#ifndef VCACHE_SPS_H
#define VCACHE_SPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of an SPS looked at; the rest (VUI extensions, HRD) is not needed. */
#define SPS_MAX		1024

enum sps_codec {
	SPS_H264 = 1,
	SPS_HEVC,
};

struct sps_info {
	enum sps_codec codec;
	/* H.264: profile_idc, the constraint_set flags byte, level_idc */
	uint8_t profile_idc;
	uint8_t constraints;
	uint8_t level_idc;
	/* HEVC: general_profile_tier_level() */
	uint8_t profile_space;
	uint8_t tier;
	uint32_t compat;	/* general_profile_compatibility_flag[0] is bit 31 */
	uint8_t cons[6];	/* the 48 bits of constraint flags after it */
	/* The displayed size: coded size less the cropping window. */
	uint32_t width;
	uint32_t height;
	/* H.264 VUI timing_info as a frame rate, 1..1000 fps; else 0/0. */
	uint32_t fps_num;
	uint32_t fps_den;
};

/* Returns 0 or -EINVAL. */
int sps_parse_h264(const uint8_t *nal, size_t len, struct sps_info *out);
int sps_parse_hevc(const uint8_t *nal, size_t len, struct sps_info *out);

/*
 * sps_codec_string() - the RFC 6381 codecs parameter of the stream:
 * "avc1.PPCCLL" (profile_idc, constraint flags, level_idc in hex) for
 * H.264, and for HEVC "hvc1." then the profile (space letter A-C when not
 * 0, then general_profile_idc), the compatibility flags bit-reversed in hex,
 * L or H (tier) then general_level_idc, then the six constraint bytes in
 * hex, trailing zero bytes left out (ISO/IEC 14496-15 Annex E). Like
 * snprintf(): returns the length the full text needs.
 */
size_t sps_codec_string(const struct sps_info *info, char *buf, size_t size);

#endif /* VCACHE_SPS_H */
