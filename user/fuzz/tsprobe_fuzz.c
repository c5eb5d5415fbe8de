// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what HLS reads from an untrusted video (make
 * fuzz-tsprobe): user/lib/tsprobe.c (streams and codecs from a file's
 * head, PAT+PMT before a keyframe, the first PAT+PMT) and user/lib/sps.c
 * (H.264 and HEVC SPS). The sanitizers judge the reads; the checks below,
 * the results: a PSI start within the bytes given, a size that is one.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "sps.h"
#include "tsprobe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_streams st;
	struct sps_info info;
	uint64_t off, len;
	size_t back;
	char s[64];

	if (!ts_probe(data, size, &st)) {
		assert(st.video_pid);
		assert(strlen(st.codecs) < sizeof(st.codecs));
		if (st.have_sps)
			assert(st.sps.width && st.sps.height);
	}
	if (!ts_psi_before(data, size, &back))
		assert(back >= 2 * TS_PACKET && back <= size && !(back % TS_PACKET));
	if (!ts_psi_head(data, size, &off, &len))
		assert(off + len <= size && len >= 2 * TS_PACKET);
	if (!sps_parse_h264(data, size, &info)) {
		assert(info.width && info.height);
		assert(sps_codec_string(&info, s, sizeof(s)) == 11);
	}
	if (!sps_parse_hevc(data, size, &info)) {
		assert(info.width && info.height);
		assert(sps_codec_string(&info, s, sizeof(s)) < sizeof(s));
	}
	return 0;
}
