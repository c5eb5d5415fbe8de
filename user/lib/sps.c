// SPDX-License-Identifier: GPL-2.0
/*
 * H.264 (ITU-T H.264 7.3.2.1.1, E.1.1) and HEVC (ITU-T H.265 7.3.2.2, 7.3.3)
 * sequence parameter sets; see sps.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"
#include "sps.h"

struct bitreader {
	uint8_t rbsp[SPS_MAX];
	size_t bits;
	size_t pos;
	bool err;	/* ran off the end: every later read returns 0 */
};

/* 00 00 03 is an escape so that 00 00 0x never occurs by accident. */
static void br_init(struct bitreader *br, const uint8_t *nal, size_t len)
{
	size_t n = 0, zeros = 0;

	if (len > SPS_MAX)
		len = SPS_MAX;
	for (size_t i = 0; i < len; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] ? 0 : zeros + 1;
		br->rbsp[n++] = nal[i];
	}
	br->bits = n * 8;
	br->pos = 0;
	br->err = false;
}

static uint32_t br_bits(struct bitreader *br, unsigned int n)
{
	uint32_t v = 0;

	while (n--) {
		if (br->pos >= br->bits) {
			br->err = true;
			return 0;
		}
		v = v << 1 | ((br->rbsp[br->pos >> 3] >> (7 - (br->pos & 7))) & 1);
		br->pos++;
	}
	return v;
}

/* Exp-Golomb; anything wider than 32 bits is corrupt (and would overflow). */
static uint32_t br_ue(struct bitreader *br)
{
	unsigned int lz = 0;

	while (!br_bits(br, 1)) {
		if (br->err || ++lz > 31) {
			br->err = true;
			return 0;
		}
	}
	return ((1u << lz) - 1) + br_bits(br, lz);
}

static int32_t br_se(struct bitreader *br)
{
	uint32_t k = br_ue(br);

	return k & 1 ? (int32_t)((k >> 1) + 1) : -(int32_t)(k >> 1);
}

static bool skip_scaling_list(struct bitreader *br, int size)
{
	int last = 8, next = 8;

	for (int j = 0; j < size && !br->err; j++) {
		if (next) {
			int32_t delta = br_se(br);

			if (delta < -128 || delta > 127)
				return false;
			next = (last + delta + 256) % 256;
		}
		/* next == 0 means "repeat the last value to the end". */
		if (next)
			last = next;
		else
			break;
	}
	return !br->err;
}

static bool high_profile(uint32_t profile_idc)
{
	switch (profile_idc) {
	case 100: case 110: case 122: case 244: case 44: case 83:
	case 86: case 118: case 128: case 138: case 139: case 134: case 135:
		return true;
	default:
		return false;
	}
}

/*
 * The displayed size from the coded size and the cropping window, in the
 * crop units of the chroma format; -EINVAL if the window eats the picture.
 */
static int crop(struct sps_info *out, uint64_t w, uint64_t h, uint32_t ux,
		uint32_t uy, const uint32_t win[4])
{
	uint64_t cw = ((uint64_t)win[0] + win[1]) * ux;
	uint64_t ch = ((uint64_t)win[2] + win[3]) * uy;

	if (cw >= w || ch >= h || w - cw > 65535 || h - ch > 65535)
		return -EINVAL;
	out->width = w - cw;
	out->height = h - ch;
	return 0;
}

/* VUI up to timing_info; fps stays 0/0 without a usable one. */
static void h264_vui_timing(struct bitreader *br, struct sps_info *out)
{
	uint32_t nut, scale;
	uint64_t fnum, fden, g;

	if (!br_bits(br, 1))			/* vui_parameters_present */
		return;
	if (br_bits(br, 1)) {			/* aspect_ratio_info_present */
		if (br_bits(br, 8) == 255)	/* Extended_SAR */
			br_bits(br, 32);
	}
	if (br_bits(br, 1))			/* overscan_info_present */
		br_bits(br, 1);
	if (br_bits(br, 1)) {			/* video_signal_type_present */
		br_bits(br, 4);
		if (br_bits(br, 1))		/* colour_description_present */
			br_bits(br, 24);
	}
	if (br_bits(br, 1)) {			/* chroma_loc_info_present */
		br_ue(br);
		br_ue(br);
	}
	if (!br_bits(br, 1))			/* timing_info_present */
		return;
	nut = br_bits(br, 32);
	scale = br_bits(br, 32);
	if (br->err || !nut || !scale)
		return;
	/* A frame is two ticks: the tick is a field period. */
	fnum = scale;
	fden = 2ULL * nut;
	g = gcd64(fnum, fden);
	fnum /= g;
	fden /= g;
	/* 1..1000 fps, as the cache accepts; anything else is not a rate. */
	if (fnum < fden || fnum > 1000 * fden)
		return;
	out->fps_num = fnum;
	out->fps_den = fden;
}

int sps_parse_h264(const uint8_t *nal, size_t len, struct sps_info *out)
{
	struct bitreader br;
	struct sps_info info = { .codec = SPS_H264 };
	uint32_t chroma = 1, v, wmbs, hmu, win[4] = { 0 };
	bool separate = false, frame_mbs_only;
	uint32_t sub_w, sub_h, ux, uy;

	br_init(&br, nal, len);
	info.profile_idc = br_bits(&br, 8);
	info.constraints = br_bits(&br, 8);
	info.level_idc = br_bits(&br, 8);
	if (br_ue(&br) > 31)			/* seq_parameter_set_id */
		return -EINVAL;
	if (high_profile(info.profile_idc)) {
		chroma = br_ue(&br);
		if (chroma > 3)
			return -EINVAL;
		if (chroma == 3)
			separate = br_bits(&br, 1);
		if (br_ue(&br) > 6 || br_ue(&br) > 6)	/* bit depths - 8 */
			return -EINVAL;
		br_bits(&br, 1);		/* qpprime_y_zero_transform_bypass */
		if (br_bits(&br, 1)) {		/* seq_scaling_matrix_present */
			int lists = chroma == 3 ? 12 : 8;

			for (int i = 0; i < lists; i++)
				if (br_bits(&br, 1) &&
				    !skip_scaling_list(&br, i < 6 ? 16 : 64))
					return -EINVAL;
		}
	}
	if (br_ue(&br) > 12)			/* log2_max_frame_num_minus4 */
		return -EINVAL;
	v = br_ue(&br);				/* pic_order_cnt_type */
	if (v == 0) {
		if (br_ue(&br) > 12)		/* log2_max_poc_lsb_minus4 */
			return -EINVAL;
	} else if (v == 1) {
		uint32_t cycle;

		br_bits(&br, 1);		/* delta_pic_order_always_zero */
		br_se(&br);			/* offset_for_non_ref_pic */
		br_se(&br);			/* offset_for_top_to_bottom_field */
		cycle = br_ue(&br);
		if (cycle > 255)
			return -EINVAL;
		for (uint32_t i = 0; i < cycle && !br.err; i++)
			br_se(&br);		/* offset_for_ref_frame */
	} else if (v != 2) {
		return -EINVAL;
	}
	br_ue(&br);				/* max_num_ref_frames */
	br_bits(&br, 1);			/* gaps_in_frame_num_allowed */
	wmbs = br_ue(&br) + 1ULL;		/* pic_width_in_mbs_minus1 */
	hmu = br_ue(&br) + 1ULL;		/* pic_height_in_map_units_minus1 */
	frame_mbs_only = br_bits(&br, 1);
	if (!frame_mbs_only)
		br_bits(&br, 1);		/* mb_adaptive_frame_field */
	br_bits(&br, 1);			/* direct_8x8_inference */
	if (br_bits(&br, 1))			/* frame_cropping_flag */
		for (int i = 0; i < 4; i++)
			win[i] = br_ue(&br);
	if (br.err || !wmbs || !hmu || wmbs > 4096 || hmu > 4096)
		return -EINVAL;

	/* Crop units (7-19 .. 7-22): ChromaArrayType 0 crops in luma samples. */
	sub_w = chroma == 1 || chroma == 2 ? 2 : 1;
	sub_h = chroma == 1 ? 2 : 1;
	if (chroma == 0 || separate) {
		ux = 1;
		uy = 2 - frame_mbs_only;
	} else {
		ux = sub_w;
		uy = sub_h * (2 - frame_mbs_only);
	}
	if (crop(&info, wmbs * 16ULL, (2 - frame_mbs_only) * hmu * 16ULL,
		 ux, uy, win))
		return -EINVAL;
	h264_vui_timing(&br, &info);
	*out = info;
	return 0;
}

int sps_parse_hevc(const uint8_t *nal, size_t len, struct sps_info *out)
{
	struct bitreader br;
	struct sps_info info = { .codec = SPS_HEVC };
	uint32_t max_sub, chroma, w, h, win[4] = { 0 }, sub_w, sub_h;
	bool prof[8], lvl[8];

	br_init(&br, nal, len);
	br_bits(&br, 4);			/* sps_video_parameter_set_id */
	max_sub = br_bits(&br, 3);		/* sps_max_sub_layers_minus1 */
	br_bits(&br, 1);			/* sps_temporal_id_nesting */
	if (max_sub > 6)
		return -EINVAL;
	/* profile_tier_level(1, sps_max_sub_layers_minus1) */
	info.profile_space = br_bits(&br, 2);
	info.tier = br_bits(&br, 1);
	info.profile_idc = br_bits(&br, 5);
	info.compat = br_bits(&br, 32);
	for (int i = 0; i < 6; i++)
		info.cons[i] = br_bits(&br, 8);
	info.level_idc = br_bits(&br, 8);
	for (uint32_t i = 0; i < max_sub; i++) {
		prof[i] = br_bits(&br, 1);
		lvl[i] = br_bits(&br, 1);
	}
	if (max_sub)
		for (uint32_t i = max_sub; i < 8; i++)
			br_bits(&br, 2);	/* reserved_zero_2bits */
	for (uint32_t i = 0; i < max_sub; i++) {
		if (prof[i]) {			/* 2+1+5+32+48 bits */
			br_bits(&br, 24);
			br_bits(&br, 32);
			br_bits(&br, 32);
		}
		if (lvl[i])
			br_bits(&br, 8);
	}
	if (br_ue(&br) > 15)			/* sps_seq_parameter_set_id */
		return -EINVAL;
	chroma = br_ue(&br);
	if (chroma > 3)
		return -EINVAL;
	if (chroma == 3 && br_bits(&br, 1))	/* separate_colour_plane_flag */
		chroma = 0;			/* ChromaArrayType 0 */
	w = br_ue(&br);				/* pic_width_in_luma_samples */
	h = br_ue(&br);
	if (br_bits(&br, 1))			/* conformance_window_flag */
		for (int i = 0; i < 4; i++)
			win[i] = br_ue(&br);
	if (br.err || !w || !h)
		return -EINVAL;
	/* Table 6-1: SubWidthC, SubHeightC */
	sub_w = chroma == 1 || chroma == 2 ? 2 : 1;
	sub_h = chroma == 1 ? 2 : 1;
	if (crop(&info, w, h, sub_w, sub_h, win))
		return -EINVAL;
	*out = info;
	return 0;
}

static uint32_t reverse32(uint32_t v)
{
	uint32_t r = 0;

	for (int i = 0; i < 32; i++, v >>= 1)
		r = r << 1 | (v & 1);
	return r;
}

size_t sps_codec_string(const struct sps_info *info, char *buf, size_t size)
{
	char tmp[64];
	int n, last;

	if (info->codec == SPS_H264) {
		n = snprintf(tmp, sizeof(tmp), "avc1.%02x%02x%02x",
			     info->profile_idc, info->constraints,
			     info->level_idc);
	} else if (info->codec == SPS_HEVC) {
		n = snprintf(tmp, sizeof(tmp), "hvc1.%s%u.%X.%c%u",
			     info->profile_space ?
				(const char *[]){ "", "A", "B", "C" }
					[info->profile_space & 3] : "",
			     info->profile_idc, reverse32(info->compat),
			     info->tier ? 'H' : 'L', info->level_idc);
		for (last = 5; last >= 0 && !info->cons[last]; last--)
			;
		for (int i = 0; i <= last; i++)
			n += snprintf(tmp + n, sizeof(tmp) - n, ".%X",
				      info->cons[i]);
	} else {
		n = 0;
		tmp[0] = '\0';
	}
	if (size) {
		size_t c = (size_t)n < size ? (size_t)n : size - 1;

		memcpy(buf, tmp, c);
		buf[c] = '\0';
	}
	return n;
}
