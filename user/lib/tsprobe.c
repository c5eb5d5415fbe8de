// SPDX-License-Identifier: GPL-2.0
/*
 * MPEG-TS streams, codecs and PSI positions for HLS; see tsprobe.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "tsprobe.h"

#define TS_SYNC		0x47
#define PID_PAT		0x0000
#define PID_NULL	0x1fff
#define TID_PAT		0x00
#define TID_PMT		0x02
#define PMT_MAX		16	/* programs followed in one PAT */
/* Bytes of the first video PES searched for the SPS. */
#define VPES_MAX	(16 * 1024)

struct pkt {
	uint16_t pid;
	bool pusi;
	const uint8_t *pl;	/* payload, NULL if none */
	size_t len;
};

/* false if @p is not a sane packet (sync, TEI, adaptation field length). */
static bool pkt_parse(const uint8_t *p, struct pkt *k)
{
	unsigned int afc = p[3] >> 4 & 3;
	size_t off = 4;

	if (p[0] != TS_SYNC || p[1] & 0x80)
		return false;
	k->pid = (p[1] & 0x1f) << 8 | p[2];
	k->pusi = p[1] & 0x40;
	k->pl = NULL;
	k->len = 0;
	if (afc & 2) {
		off += 1 + p[4];
		if (off > TS_PACKET)
			return false;
	}
	if ((afc & 1) && off < TS_PACKET) {
		k->pl = p + off;
		k->len = TS_PACKET - off;
	}
	return true;
}

/*
 * The section that starts in a PUSI packet, if it is whole inside it;
 * its table_id must be @tid. Returns its length (header to CRC) or 0.
 */
static size_t psi_section(const struct pkt *k, uint8_t tid,
			  const uint8_t **sec)
{
	size_t ptr, slen;
	const uint8_t *s;

	if (!k->pusi || !k->pl || k->len < 1)
		return 0;
	ptr = k->pl[0];
	if (1 + ptr + 3 > k->len)
		return 0;
	s = k->pl + 1 + ptr;
	slen = 3 + ((s[1] & 0x0f) << 8 | s[2]);
	/* 8 bytes of header, 4 of CRC */
	if (s[0] != tid || slen < 12 || 1 + ptr + slen > k->len)
		return 0;
	*sec = s;
	return slen;
}

/* The PMT PIDs of a PAT packet; returns how many (0: not a PAT). */
static int pat_pmts(const struct pkt *k, uint16_t *pids, int max)
{
	const uint8_t *s;
	size_t slen = psi_section(k, TID_PAT, &s);
	int n = 0;

	if (k->pid != PID_PAT)
		return 0;
	for (size_t i = 8; slen && i + 4 <= slen - 4 && n < max; i += 4) {
		uint16_t prog = s[i] << 8 | s[i + 1];

		if (prog)	/* program 0 names the NIT */
			pids[n++] = (s[i + 2] & 0x1f) << 8 | s[i + 3];
	}
	return n;
}

static bool is_video(uint8_t t)
{
	return t == 0x1b || t == 0x24 || t == 0x01 || t == 0x02;
}

static bool is_audio(uint8_t t)
{
	/* MPEG-1/2 audio, AAC (ADTS, LATM), AC-3, E-AC-3 */
	return t == 0x03 || t == 0x04 || t == 0x0f || t == 0x11 ||
	       t == 0x81 || t == 0x87;
}

static bool pmt_parse(const struct pkt *k, struct ts_streams *st)
{
	const uint8_t *s;
	size_t slen = psi_section(k, TID_PMT, &s), i, end;

	if (!slen)
		return false;
	end = slen - 4;
	i = 12 + ((s[10] & 0x0f) << 8 | s[11]);	/* after program_info */
	for (; i + 5 <= end; i += 5 + ((s[i + 3] & 0x0f) << 8 | s[i + 4])) {
		uint8_t type = s[i];
		uint16_t pid = (s[i + 1] & 0x1f) << 8 | s[i + 2];

		if (is_video(type) && !st->video_pid) {
			st->video_pid = pid;
			st->video_type = type;
		} else if (type == 0x0f && !st->audio_pid) {
			st->audio_pid = pid;
		} else if (is_audio(type)) {
			st->other_audio = true;
		}
	}
	return st->video_pid != 0;
}

/* The PES payload after its header, or NULL. */
static const uint8_t *pes_payload(const uint8_t *p, size_t len, size_t *out)
{
	size_t h;

	if (len < 9 || p[0] || p[1] || p[2] != 1)
		return NULL;
	h = 9 + p[8];
	if (h > len)
		return NULL;
	*out = len - h;
	return p + h;
}

/* Looks for an SPS NAL in Annex B bytes; true when one parsed. */
static bool find_sps(const uint8_t *p, size_t len, uint8_t type,
		     struct sps_info *sps)
{
	size_t i = 0;

	while (i + 3 < len) {
		size_t s, e, hdr = type == 0x24 ? 2 : 1;
		unsigned int nut;

		if (p[i] || p[i + 1] || p[i + 2] != 1) {
			i++;
			continue;
		}
		s = i + 3;
		for (e = s; e + 2 < len; e++)
			if (!p[e] && !p[e + 1] && p[e + 2] <= 1)
				break;
		if (e + 2 >= len)
			e = len;
		while (e > s && !p[e - 1])
			e--;	/* the next start code's leading zero */
		if (e > s + hdr) {
			nut = type == 0x24 ? p[s] >> 1 & 0x3f : p[s] & 0x1f;
			if (type == 0x1b && nut == 7 &&
			    !sps_parse_h264(p + s + 1, e - s - 1, sps))
				return true;
			if (type == 0x24 && nut == 33 &&
			    !sps_parse_hevc(p + s + 2, e - s - 2, sps))
				return true;
		}
		i = s;
	}
	return false;
}

/* The first packet boundary: three sync bytes a packet apart. */
static size_t sync_start(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < TS_PACKET && i + 2 * TS_PACKET < len; i++)
		if (buf[i] == TS_SYNC && buf[i + TS_PACKET] == TS_SYNC &&
		    buf[i + 2 * TS_PACKET] == TS_SYNC)
			return i;
	return 0;
}

int ts_probe(const uint8_t *buf, size_t len, struct ts_streams *out)
{
	uint8_t vpes[VPES_MAX];
	size_t vlen = 0;
	bool in_vpes = false, have_pmt = false, audio_done = false;
	uint16_t pmts[PMT_MAX];
	int npmt = 0;
	struct ts_streams st = { 0 };
	struct pkt k;

	for (size_t off = sync_start(buf, len); off + TS_PACKET <= len;
	     off += TS_PACKET) {
		if (!pkt_parse(buf + off, &k))
			continue;
		if (!npmt) {
			npmt = pat_pmts(&k, pmts, PMT_MAX);
			continue;
		}
		if (!have_pmt) {
			/* The first program with a video stream. */
			for (int i = 0; i < npmt; i++)
				if (k.pid == pmts[i] && pmt_parse(&k, &st)) {
					st.pmt_pid = k.pid;
					have_pmt = true;
				}
			continue;
		}
		if (k.pid == st.video_pid && !st.have_sps && k.pl) {
			if (k.pusi) {
				const uint8_t *es;
				size_t n;

				es = in_vpes ? pes_payload(vpes, vlen, &n) : NULL;
				if (es)
					st.have_sps = find_sps(es, n,
							       st.video_type,
							       &st.sps);
				in_vpes = true;
				vlen = 0;
			}
			if (in_vpes && !st.have_sps) {
				size_t n = k.len < VPES_MAX - vlen ?
					   k.len : VPES_MAX - vlen;

				memcpy(vpes + vlen, k.pl, n);
				vlen += n;
			}
		}
		if (k.pid == st.audio_pid && k.pusi && k.pl && !audio_done) {
			const uint8_t *a;
			size_t n;

			a = pes_payload(k.pl, k.len, &n);
			/* ADTS: 12-bit sync, then ID, layer, protection_absent */
			if (a && n >= 3 && a[0] == 0xff && (a[1] & 0xf6) == 0xf0) {
				st.aac_aot = (a[2] >> 6) + 1;
				audio_done = true;
			}
		}
		if (st.have_sps && (audio_done || !st.audio_pid))
			break;
	}
	if (!have_pmt)
		return -ENOENT;
	if (!st.have_sps && in_vpes) {
		const uint8_t *es;
		size_t n;

		es = pes_payload(vpes, vlen, &n);
		if (es)
			st.have_sps = find_sps(es, n, st.video_type, &st.sps);
	}
	if (st.have_sps)
		sps_codec_string(&st.sps, st.video_codec,
				 sizeof(st.video_codec));
	/* CODECS must name every format in the stream, or be left out. */
	if (st.video_codec[0] && !st.other_audio &&
	    (!st.audio_pid || st.aac_aot)) {
		if (st.audio_pid)
			snprintf(st.codecs, sizeof(st.codecs), "%s,mp4a.40.%u",
				 st.video_codec, st.aac_aot);
		else
			snprintf(st.codecs, sizeof(st.codecs), "%s",
				 st.video_codec);
	}
	*out = st;
	return 0;
}

int ts_psi_before(const uint8_t *buf, size_t len, size_t *back)
{
	size_t n = len / TS_PACKET;
	const uint8_t *end = buf + len;
	struct pkt k;

	for (size_t i = 1; i <= n; i++) {
		uint16_t pmts[PMT_MAX];
		int npmt;
		bool pmt = false;

		if (!pkt_parse(end - i * TS_PACKET, &k))
			return -ENOENT;
		npmt = pat_pmts(&k, pmts, PMT_MAX);
		if (!npmt)
			continue;
		/* The PAT: judge every packet between it and the keyframe. */
		for (size_t j = 1; j < i; j++) {
			struct pkt m;
			bool ok = false;

			if (!pkt_parse(end - j * TS_PACKET, &m))
				return -ENOENT;
			for (int p = 0; p < npmt; p++) {
				if (m.pid == pmts[p]) {
					const uint8_t *s;

					ok = true;
					if (psi_section(&m, TID_PMT, &s))
						pmt = true;
				}
			}
			if (m.pid == PID_PAT || m.pid == PID_NULL || !m.pl ||
			    (m.pid >= 0x10 && m.pid <= 0x1f))
				ok = true;
			if (!ok)
				return -ENOENT;
		}
		if (!pmt)
			return -ENOENT;
		*back = i * TS_PACKET;
		return 0;
	}
	return -ENOENT;
}

int ts_psi_head(const uint8_t *buf, size_t len, uint64_t *off, uint64_t *plen)
{
	uint16_t pmts[PMT_MAX];
	int npmt = 0;
	size_t pat = 0;
	struct pkt k;

	for (size_t o = sync_start(buf, len); o + TS_PACKET <= len;
	     o += TS_PACKET) {
		const uint8_t *s;

		if (!pkt_parse(buf + o, &k))
			continue;
		if (!npmt) {
			npmt = pat_pmts(&k, pmts, PMT_MAX);
			pat = o;
			continue;
		}
		for (int i = 0; i < npmt; i++) {
			if (k.pid == pmts[i] && psi_section(&k, TID_PMT, &s)) {
				*off = pat;
				*plen = o + TS_PACKET - pat;
				return 0;
			}
		}
	}
	return -ENOENT;
}
