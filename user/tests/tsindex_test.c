// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/tsindex.c: hand-built streams for each corner
 * case (a small TS muxer below writes them), then real ffmpeg output checked
 * against ffprobe. The code under test comes from the library built with
 * the sanitizers (build/unit/libvcache-user.a).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "tsindex.h"
#include "kselftest_harness.h"
#include "media.h"

#ifndef VCACHE_ROOT
#define VCACHE_ROOT "."
#endif

#define PKT		TSINDEX_PACKET
#define PMT_PID		0x1000
#define VID_PID		0x0100
#define AUD_PID		0x0101
#define TICKS_25	3600		/* one frame at 25 fps, 90 kHz */

#define ST_H264		0x1b
#define ST_HEVC		0x24
#define ST_MPEG2	0x02

/* ---- a minimal TS muxer ---- */

struct ts {
	uint8_t *d;
	size_t len, cap;
	uint8_t cc[8192];	/* next continuity_counter of each PID */
};

static struct ts *ts_new(void)
{
	struct ts *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	return t;
}

static void ts_del(struct ts *t)
{
	free(t->d);
	free(t);
}

static uint8_t *ts_grow(struct ts *t, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->d = realloc(t->d, t->cap);
		if (!t->d)
			abort();
	}
	t->len += n;
	return t->d + t->len - n;
}

static void ts_bytes(struct ts *t, const void *p, size_t n)
{
	memcpy(ts_grow(t, n), p, n);
}

/* Removes @n bytes at @at (to simulate loss). */
static void ts_cut(struct ts *t, size_t at, size_t n)
{
	memmove(t->d + at, t->d + at + n, t->len - at - n);
	t->len -= n;
}

/* Inserts @n bytes at @at (to simulate garbage). */
static void ts_insert(struct ts *t, size_t at, const uint8_t *p, size_t n)
{
	ts_grow(t, n);
	memmove(t->d + at + n, t->d + at, t->len - n - at);
	memcpy(t->d + at, p, n);
}

#define AF_DISC		0x80
#define AF_RAI		0x40
#define AF_NONE		0x100	/* an adaptation field with no flags */

/*
 * Appends one packet carrying up to @n bytes of @pl (padded with adaptation
 * field stuffing); @af is 0 for no adaptation field unless padding needs
 * one, or its flags byte. Returns how many payload bytes went in.
 */
static size_t put_packet(struct ts *t, uint16_t pid, bool pusi, unsigned int af,
			 const uint8_t *pl, size_t n)
{
	uint8_t *p = ts_grow(t, PKT);
	size_t take, aflen;

	p[0] = 0x47;
	p[1] = (pusi ? 0x40 : 0) | pid >> 8;
	p[2] = pid & 0xff;
	if (!n) {	/* adaptation field only: the counter stays */
		p[3] = 0x20 | ((t->cc[pid] - 1) & 0x0f);
		p[4] = 183;
		p[5] = af & 0xff;
		memset(p + 6, 0xff, PKT - 6);
		return 0;
	}
	p[3] = t->cc[pid]++ & 0x0f;
	if (!af && n >= 184) {
		p[3] |= 0x10;
		memcpy(p + 4, pl, 184);
		return 184;
	}
	if (!af && n == 183) {
		take = 183;
		aflen = 0;
	} else {
		take = n < 182 ? n : 182;
		aflen = 183 - take;
	}
	p[3] |= 0x30;
	p[4] = aflen;
	if (aflen) {
		p[5] = af & 0xff;
		memset(p + 6, 0xff, aflen - 1);
	}
	memcpy(p + 5 + aflen, pl, take);
	return take;
}

/* CRC-32/MPEG-2, so that ffprobe would take these streams too. */
static uint32_t crc32_mpeg(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	while (n--) {
		crc ^= (uint32_t)*p++ << 24;
		for (int i = 0; i < 8; i++)
			crc = crc & 0x80000000 ? crc << 1 ^ 0x04c11db7 : crc << 1;
	}
	return crc;
}

/* Fills in section_length and the CRC of a section of @len bytes + CRC. */
static size_t seal_section(uint8_t *s, size_t len)
{
	uint32_t crc;

	s[1] = (s[1] & 0xf0) | ((len + 4 - 3) >> 8 & 0x0f);
	s[2] = (len + 4 - 3) & 0xff;
	crc = crc32_mpeg(s, len);
	s[len] = crc >> 24;
	s[len + 1] = crc >> 16;
	s[len + 2] = crc >> 8;
	s[len + 3] = crc;
	return len + 4;
}

static size_t mk_pat(uint8_t *s, uint16_t pmt_pid, bool current)
{
	const uint8_t h[] = {
		0x00, 0xb0, 0, 0x00, 0x01, 0xc0 | current, 0, 0,
		0x00, 0x01, 0xe0 | pmt_pid >> 8, pmt_pid & 0xff,
	};

	memcpy(s, h, sizeof(h));
	return seal_section(s, sizeof(h));
}

struct es_info {
	uint8_t type;
	uint16_t pid;
};

/* A PMT with @pil bytes of program descriptors and the streams given. */
static size_t mk_pmt(uint8_t *s, const struct es_info *es, int n, size_t pil)
{
	size_t i = 12;

	s[0] = 0x02;
	s[1] = 0xb0;
	s[3] = 0x00;
	s[4] = 0x01;
	s[5] = 0xc1;
	s[6] = 0;
	s[7] = 0;
	s[8] = 0xe0 | VID_PID >> 8;
	s[9] = VID_PID & 0xff;
	s[10] = 0xf0 | pil >> 8;
	s[11] = pil & 0xff;
	for (size_t k = 0; k < pil; k += 2) {	/* private descriptors */
		s[i++] = 0x80;
		s[i++] = 0;
	}
	for (int k = 0; k < n; k++) {
		s[i++] = es[k].type;
		s[i++] = 0xe0 | es[k].pid >> 8;
		s[i++] = es[k].pid & 0xff;
		s[i++] = 0xf0;
		s[i++] = 0;
	}
	return seal_section(s, i);
}

/* One section on @pid, pointer_field 0, over as many packets as it takes. */
static void put_section(struct ts *t, uint16_t pid, const uint8_t *s,
			size_t len)
{
	uint8_t buf[1 + TSINDEX_SECTION_MAX + 4];
	size_t n = len + 1, at = 0;

	buf[0] = 0;
	memcpy(buf + 1, s, len);
	while (at < n) {
		uint8_t pkt[184];
		size_t k = n - at < 184 ? n - at : 184;

		/* 0xff-stuffed, as PSI packets are */
		memset(pkt, 0xff, sizeof(pkt));
		memcpy(pkt, buf + at, k);
		put_packet(t, pid, at == 0, 0, pkt, 184);
		at += k;
	}
}

static void put_head(struct ts *t, uint8_t stream_type)
{
	const struct es_info es[] = { { stream_type, VID_PID } };
	uint8_t s[TSINDEX_SECTION_MAX];

	put_section(t, 0, s, mk_pat(s, PMT_PID, true));
	put_section(t, PMT_PID, s, mk_pmt(s, es, 1, 0));
}

#define NO_PTS	(-1LL)

/*
 * Appends a PES with @es on @pid; @first, if not 0, is how many bytes of
 * the PES (header included) go in the first packet, to put a packet
 * boundary where a test wants it. Returns the PUSI packet's offset.
 */
static size_t put_pes(struct ts *t, uint16_t pid, long long pts,
		      const uint8_t *es, size_t n, unsigned int af, size_t first)
{
	size_t off = t->len, hl = pts == NO_PTS ? 9 : 14, len = hl + n, at = 0;
	uint8_t *buf = malloc(len);

	if (!buf)
		abort();
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 1;
	buf[3] = 0xe0;
	buf[4] = 0;		/* unbounded, as video PES usually are */
	buf[5] = 0;
	buf[6] = 0x80;
	buf[7] = pts == NO_PTS ? 0 : 0x80;
	buf[8] = hl - 9;
	if (pts != NO_PTS) {
		uint64_t v = pts;

		buf[9] = 0x21 | (v >> 29 & 0x0e);
		buf[10] = v >> 22;
		buf[11] = (v >> 14 & 0xfe) | 1;
		buf[12] = v >> 7;
		buf[13] = (v << 1 & 0xfe) | 1;
	}
	memcpy(buf + hl, es, n);
	while (at < len) {
		size_t k = len - at;

		if (!at && first && first < k)
			k = first;
		at += put_packet(t, pid, !at, at ? 0 : af, buf + at, k);
	}
	free(buf);
	return off;
}

/* ---- elementary streams ---- */

struct es {
	uint8_t b[4096];
	size_t n;
};

/* A NAL unit after a 4-byte start code. */
static void es_nal(struct es *e, const uint8_t *nal, size_t n)
{
	static const uint8_t sc[] = { 0, 0, 0, 1 };

	memcpy(e->b + e->n, sc, 4);
	memcpy(e->b + e->n + 4, nal, n);
	e->n += 4 + n;
}

/* Slice data: no 00 00 in it, so no accidental start codes. */
static void es_slice(struct es *e, const uint8_t *hdr, size_t hn, size_t body)
{
	uint8_t nal[2048];

	memcpy(nal, hdr, hn);
	for (size_t i = 0; i < body; i++)
		nal[hn + i] = 0x80 | (i * 37 & 0x7f);
	es_nal(e, nal, hn + body);
}

enum { H264_NONIDR = 1, H264_IDR = 5 };

/* An H.264 access unit: AUD, [SPS, PPS,] SEI, one slice of @type. */
static void es_h264(struct es *e, int type, const uint8_t *sps, size_t sps_len,
		    size_t body)
{
	static const uint8_t aud[] = { 0x09, 0xf0 };
	static const uint8_t pps[] = { 0x68, 0xce, 0x38, 0x80 };
	static const uint8_t sei[] = { 0x06, 0x05, 0x02, 0xaa, 0xbb, 0x80 };
	uint8_t hdr[] = { type == H264_IDR ? 0x65 : 0x41, 0x88 };

	e->n = 0;
	es_nal(e, aud, sizeof(aud));
	if (sps) {
		es_nal(e, sps, sps_len);
		es_nal(e, pps, sizeof(pps));
	}
	es_nal(e, sei, sizeof(sei));
	es_slice(e, hdr, sizeof(hdr), body);
}

/* An HEVC access unit: AUD, one slice of NAL @type. */
static void es_hevc(struct es *e, int type, size_t body)
{
	static const uint8_t aud[] = { 0x46, 0x01, 0x50 };
	uint8_t hdr[] = { type << 1, 0x01, 0xaf };

	e->n = 0;
	es_nal(e, aud, sizeof(aud));
	es_slice(e, hdr, sizeof(hdr), body);
}

/* An MPEG-2 picture: picture_start_code and some bytes. */
static void es_mpeg2(struct es *e, size_t body)
{
	static const uint8_t pic[] = { 0, 0, 1, 0, 0x00, 0x0f, 0xff, 0xf8 };

	memcpy(e->b, pic, sizeof(pic));
	memset(e->b + sizeof(pic), 0x55, body);
	e->n = sizeof(pic) + body;
}

static size_t put_h264(struct ts *t, long long pts, int type, unsigned int af)
{
	struct es e;

	es_h264(&e, type, NULL, 0, 100);
	return put_pes(t, VID_PID, pts, e.b, e.n, af, 0);
}

/* ---- H.264 SPS writer ---- */

struct bw {
	uint8_t b[512];
	size_t bits;
};

static void bw_put(struct bw *w, int n, uint32_t v)
{
	while (n--) {
		if (v >> n & 1)
			w->b[w->bits >> 3] |= 0x80 >> (w->bits & 7);
		w->bits++;
	}
}

static void bw_ue(struct bw *w, uint32_t v)
{
	uint64_t x = (uint64_t)v + 1;
	int len = 64 - __builtin_clzll(x);

	bw_put(w, len - 1, 0);
	bw_put(w, len, x);
}

static void bw_se(struct bw *w, int32_t v)
{
	bw_ue(w, v > 0 ? 2 * v - 1 : -2 * v);
}

struct sps_opts {
	int profile;
	bool scaling;		/* seq_scaling_matrix with explicit lists */
	int poc_type;
	bool vui;
	bool sar;		/* Extended_SAR: 32 more bits before timing */
	bool timing;
	uint32_t nut, scale;
};

/* Writes an SPS NAL (header byte, escaped payload); returns its length. */
static size_t mk_sps(uint8_t *out, const struct sps_opts *o)
{
	struct bw w = { .bits = 0 };
	size_t n = 0, zeros = 0;

	memset(w.b, 0, sizeof(w.b));
	bw_put(&w, 8, o->profile);
	bw_put(&w, 8, 0);
	bw_put(&w, 8, 30);
	bw_ue(&w, 0);
	if (o->profile == 100) {
		bw_ue(&w, 1);			/* 4:2:0 */
		bw_ue(&w, 0);
		bw_ue(&w, 0);
		bw_put(&w, 1, 0);
		bw_put(&w, 1, o->scaling);
		for (int i = 0; o->scaling && i < 8; i++) {
			int size = i < 6 ? 16 : 64;

			bw_put(&w, 1, i % 3 != 2);
			if (i % 3 == 2)
				continue;
			if (i == 4) {		/* useDefaultScalingMatrix */
				bw_se(&w, -8);
				continue;
			}
			for (int j = 0; j < size; j++)
				bw_se(&w, j % 7 - 3);
		}
	}
	bw_ue(&w, 0);				/* log2_max_frame_num - 4 */
	bw_ue(&w, o->poc_type);
	if (o->poc_type == 0) {
		bw_ue(&w, 2);
	} else if (o->poc_type == 1) {
		bw_put(&w, 1, 0);
		bw_se(&w, -1);
		bw_se(&w, 2);
		bw_ue(&w, 3);
		bw_se(&w, 1);
		bw_se(&w, -2);
		bw_se(&w, 5);
	}
	bw_ue(&w, 4);				/* max_num_ref_frames */
	bw_put(&w, 1, 0);
	bw_ue(&w, 19);				/* 320 wide */
	bw_ue(&w, 11);				/* 192 high ... */
	bw_put(&w, 1, 1);
	bw_put(&w, 1, 1);
	bw_put(&w, 1, 1);			/* ... cropped to 180 */
	bw_ue(&w, 0);
	bw_ue(&w, 0);
	bw_ue(&w, 0);
	bw_ue(&w, 6);
	bw_put(&w, 1, o->vui);
	if (o->vui) {
		bw_put(&w, 1, o->sar);
		if (o->sar) {
			bw_put(&w, 8, 255);
			bw_put(&w, 16, 4);
			bw_put(&w, 16, 3);
		}
		bw_put(&w, 1, 0);		/* overscan */
		bw_put(&w, 1, 1);		/* video_signal_type */
		bw_put(&w, 3, 5);
		bw_put(&w, 1, 0);
		bw_put(&w, 1, 1);
		bw_put(&w, 24, 0x010101);
		bw_put(&w, 1, 1);		/* chroma_loc */
		bw_ue(&w, 0);
		bw_ue(&w, 0);
		bw_put(&w, 1, o->timing);
		if (o->timing) {
			bw_put(&w, 32, o->nut);
			bw_put(&w, 32, o->scale);
			bw_put(&w, 1, 1);
		}
		bw_put(&w, 4, 0);		/* no HRD, no restrictions */
	}
	bw_put(&w, 1, 1);			/* rbsp_stop_one_bit */

	out[n++] = 0x67;
	for (size_t i = 0; i < (w.bits + 7) / 8; i++) {
		if (zeros >= 2 && w.b[i] <= 3) {
			out[n++] = 3;	/* emulation_prevention_three_byte */
			zeros = 0;
		}
		zeros = w.b[i] ? 0 : zeros + 1;
		out[n++] = w.b[i];
	}
	return n;
}

/* ---- running the indexer ---- */

static int index_all(struct tsindex *ix, const uint8_t *d, size_t n)
{
	int err;

	tsindex_init(ix);
	err = tsindex_feed(ix, d, n);
	return err ? err : tsindex_finish(ix);
}

/* Feeds in pieces of the sizes in @sizes, round robin (0: pseudo-random). */
static int index_chunked(struct tsindex *ix, const uint8_t *d, size_t n,
			 const size_t *sizes, int nsizes, uint32_t seed)
{
	size_t at = 0;
	int i = 0, err;

	tsindex_init(ix);
	while (at < n) {
		size_t k = sizes[i++ % nsizes];

		if (!k) {
			seed = seed * 1103515245 + 12345;
			k = 1 + (seed >> 8) % 5000;
		}
		if (k > n - at)
			k = n - at;
		err = tsindex_feed(ix, d + at, k);
		if (err)
			return err;
		at += k;
	}
	return tsindex_finish(ix);
}

static bool same_index(const struct tsindex *a, const struct tsindex *b)
{
	return a->count == b->count &&
	       (!a->count || !memcmp(a->entries, b->entries,
				     a->count * sizeof(*a->entries))) &&
	       a->fps_num == b->fps_num && a->fps_den == b->fps_den &&
	       a->fps_source == b->fps_source &&
	       a->video_pid == b->video_pid &&
	       a->stream_type == b->stream_type &&
	       !memcmp(&a->stats, &b->stats, sizeof(a->stats));
}

#define EXPECT_ENTRY(ix, i, p, off, fl) do {				\
	ASSERT_LT((size_t)(i), (ix)->count);				\
	EXPECT_EQ((uint64_t)(p), (ix)->entries[i].pts);			\
	EXPECT_EQ((uint64_t)(off), (ix)->entries[i].offset);		\
	EXPECT_EQ((uint32_t)(fl), (ix)->entries[i].flags);		\
} while (0)

/* ---- PSI ---- */

TEST(pat_pmt_basic)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[3];

	put_head(t, ST_H264);
	off[0] = put_h264(t, 1000, H264_IDR, 0);
	off[1] = put_h264(t, 1000 + TICKS_25, H264_NONIDR, 0);
	off[2] = put_h264(t, 1000 + 2 * TICKS_25, H264_NONIDR, 0);

	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(VID_PID, ix.video_pid);
	EXPECT_EQ(ST_H264, ix.stream_type);
	ASSERT_EQ(3, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off[0], TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, TICKS_25, off[1], 0);
	EXPECT_ENTRY(&ix, 2, 2 * TICKS_25, off[2], 0);
	EXPECT_EQ(2 * PKT, off[0]);
	EXPECT_EQ(t->len / PKT, ix.stats.packets);
	EXPECT_EQ(3, ix.stats.frames);
	EXPECT_EQ(1, ix.stats.keyframes);
	EXPECT_EQ(0, ix.stats.psi_errors);
	EXPECT_EQ(0, ix.stats.bytes_skipped);
	/* no SPS in the stream: the PTS step says 25 fps */
	EXPECT_EQ(TSINDEX_FPS_PTS, ix.fps_source);
	EXPECT_EQ(25, ix.fps_num);
	EXPECT_EQ(1, ix.fps_den);
	tsindex_free(&ix);
	ts_del(t);
}

/*
 * The PMT before the PAT (not known yet: ignored), a PAT packet whose
 * pointer_field skips the tail of a section never seen, holding a
 * not-yet-current PAT and then the real one, and a PMT spread over two
 * packets that lists audio before video.
 */
TEST(psi_pointer_field_and_split_sections)
{
	const struct es_info es[] = {
		{ 0x0f, AUD_PID }, { 0x06, 0x200 }, { ST_H264, VID_PID },
	};
	uint8_t s[TSINDEX_SECTION_MAX], pl[184];
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t n, a, off;

	n = mk_pmt(s, es, 3, 300);
	ASSERT_GT(n, 184);
	put_section(t, PMT_PID, s, n);

	memset(pl, 0xff, sizeof(pl));
	pl[0] = 5;			/* pointer_field */
	memset(pl + 1, 0x42, 5);	/* end of an earlier section */
	a = mk_pat(pl + 6, 0x0999, false);
	mk_pat(pl + 6 + a, PMT_PID, true);
	put_packet(t, 0, true, 0, pl, sizeof(pl));

	put_section(t, PMT_PID, s, n);
	off = put_h264(t, 5000, H264_IDR, 0);

	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(PMT_PID, ix.pmt_pid);
	EXPECT_EQ(VID_PID, ix.video_pid);
	EXPECT_EQ(ST_H264, ix.stream_type);
	EXPECT_EQ(0, ix.stats.psi_errors);
	ASSERT_EQ(1, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off, TSINDEX_KEY);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(psi_absurd_lengths)
{
	const struct es_info es[] = { { ST_H264, VID_PID } };
	uint8_t s[TSINDEX_SECTION_MAX], pl[184];
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t n;

	/* pointer_field past the end of the packet */
	memset(pl, 0xff, sizeof(pl));
	pl[0] = 200;
	put_packet(t, 0, true, 0, pl, sizeof(pl));
	/* section_length 0xfff > 1021 */
	n = mk_pat(s, PMT_PID, true);
	s[1] |= 0x0f;
	s[2] = 0xff;
	put_section(t, 0, s, n);
	/* a PAT that is all header */
	memcpy(pl, (uint8_t[]){ 0, 0x00, 0xb0, 0x01, 0x00 }, 5);
	put_packet(t, 0, true, 0, pl, sizeof(pl));
	/* now a good PAT, and a PMT whose ES_info_length runs past the end */
	put_section(t, 0, s, mk_pat(s, PMT_PID, true));
	n = mk_pmt(s, es, 1, 0);
	s[12 + 3] = 0xf3;
	s[12 + 4] = 0xff;
	seal_section(s, n - 4);
	put_section(t, PMT_PID, s, n);
	put_h264(t, 0, H264_IDR, 0);

	EXPECT_EQ(-EINVAL, index_all(&ix, t->d, t->len));
	EXPECT_EQ(0, ix.video_pid);
	EXPECT_EQ(0, ix.count);
	EXPECT_EQ(4, ix.stats.psi_errors);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(no_video)
{
	uint8_t junk[1000];
	struct ts *t = ts_new();
	struct tsindex ix;

	EXPECT_EQ(-EINVAL, index_all(&ix, NULL, 0));
	EXPECT_EQ(0, ix.count);
	tsindex_free(&ix);

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = i * 7 % 251 == 0x47 ? 0 : i * 7 % 251;
	EXPECT_EQ(-EINVAL, index_all(&ix, junk, sizeof(junk)));
	EXPECT_EQ(sizeof(junk), ix.stats.bytes_skipped);
	EXPECT_EQ(0, ix.stats.packets);
	tsindex_free(&ix);

	/* a program with audio only */
	put_head(t, 0x0f);
	put_h264(t, 0, H264_IDR, 0);
	EXPECT_EQ(-EINVAL, index_all(&ix, t->d, t->len));
	EXPECT_EQ(0, ix.count);
	tsindex_free(&ix);
	ts_del(t);
}

/* ---- frames ---- */

/* Frames of several packets among audio and null packets. */
TEST(pusi_offsets_interleaved)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	uint8_t aud[184];
	size_t off[4];
	struct es e;

	memset(aud, 0x47, sizeof(aud));	/* sync bytes in payloads: harmless */
	put_head(t, ST_H264);
	for (int i = 0; i < 4; i++) {
		put_packet(t, AUD_PID, true, 0, aud, sizeof(aud));
		put_packet(t, 0x1fff, false, 0, aud, sizeof(aud));
		es_h264(&e, i ? H264_NONIDR : H264_IDR, NULL, 0, 400 + 300 * i);
		off[i] = put_pes(t, VID_PID, 90000 + i * TICKS_25, e.b, e.n, 0, 0);
		put_packet(t, AUD_PID, false, 0, aud, sizeof(aud));
	}
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	ASSERT_EQ(4, ix.count);
	for (int i = 0; i < 4; i++)
		EXPECT_ENTRY(&ix, i, i * TICKS_25, off[i], i ? 0 : TSINDEX_KEY);
	EXPECT_EQ(t->len / PKT, ix.stats.packets);
	tsindex_free(&ix);
	ts_del(t);
}

/* Decode order I P B B P B B: presentation order comes out, offsets kept. */
TEST(bframes_sorted)
{
	static const int order[] = { 0, 3, 1, 2, 6, 4, 5 };
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[7];

	put_head(t, ST_H264);
	for (int i = 0; i < 7; i++)
		off[order[i]] = put_h264(t, 7200 + order[i] * TICKS_25,
					 i ? H264_NONIDR : H264_IDR, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	ASSERT_EQ(7, ix.count);
	for (int i = 0; i < 7; i++)
		EXPECT_ENTRY(&ix, i, i * TICKS_25, off[i], i ? 0 : TSINDEX_KEY);
	tsindex_free(&ix);
	ts_del(t);
}

/* Equal pts keep stream order (the sort is stable). */
TEST(equal_pts_stable)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[4];

	put_head(t, ST_H264);
	off[0] = put_h264(t, 0, H264_IDR, 0);
	off[1] = put_h264(t, TICKS_25, H264_NONIDR, 0);
	off[2] = put_h264(t, TICKS_25, H264_NONIDR, 0);
	off[3] = put_h264(t, TICKS_25, H264_NONIDR, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	ASSERT_EQ(4, ix.count);
	for (int i = 1; i < 4; i++)
		EXPECT_ENTRY(&ix, i, TICKS_25, off[i], 0);
	tsindex_free(&ix);
	ts_del(t);
}

/* The NAL type decides for H.264; RAI is reported alongside. */
TEST(rai_and_nal_type)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[5];

	put_head(t, ST_H264);
	off[0] = put_h264(t, 0, H264_IDR, 0);
	/* an I-frame that is not IDR, with RAI: not a keyframe */
	off[1] = put_h264(t, 1 * TICKS_25, H264_NONIDR, AF_RAI);
	off[2] = put_h264(t, 2 * TICKS_25, H264_IDR, AF_RAI);
	/* RAI in an adaptation-field-only packet: for the next PES */
	put_packet(t, VID_PID, false, AF_RAI, NULL, 0);
	off[3] = put_h264(t, 3 * TICKS_25, H264_IDR, 0);
	off[4] = put_h264(t, 4 * TICKS_25, H264_NONIDR, AF_NONE);

	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	ASSERT_EQ(5, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off[0], TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, 1 * TICKS_25, off[1], TSINDEX_RAI);
	EXPECT_ENTRY(&ix, 2, 2 * TICKS_25, off[2], TSINDEX_KEY | TSINDEX_RAI);
	EXPECT_ENTRY(&ix, 3, 3 * TICKS_25, off[3], TSINDEX_KEY | TSINDEX_RAI);
	EXPECT_ENTRY(&ix, 4, 4 * TICKS_25, off[4], 0);
	EXPECT_EQ(3, ix.stats.keyframes);
	EXPECT_EQ(3, ix.stats.rai);
	tsindex_free(&ix);
	ts_del(t);
}

/* MPEG-2 video has no NAL types: RAI alone marks keyframes. */
TEST(mpeg2_rai_only)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[4];
	struct es e;

	put_head(t, ST_MPEG2);
	es_mpeg2(&e, 300);
	put_pes(t, VID_PID, 0, e.b, e.n, 0, 0);		/* before a key */
	for (int i = 0; i < 4; i++)
		off[i] = put_pes(t, VID_PID, (i + 1) * TICKS_25, e.b, e.n,
				 i % 2 ? 0 : AF_RAI, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(ST_MPEG2, ix.stream_type);
	EXPECT_EQ(1, ix.stats.dropped);
	ASSERT_EQ(4, ix.count);
	for (int i = 0; i < 4; i++)
		EXPECT_ENTRY(&ix, i, i * TICKS_25, off[i],
			     i % 2 ? 0 : TSINDEX_KEY | TSINDEX_RAI);
	tsindex_free(&ix);
	ts_del(t);
}

/* HEVC: IRAP is NAL types 16..23 (BLA, IDR, CRA). */
TEST(hevc_irap)
{
	static const int types[] = { 8, 19, 1, 21, 0, 16, 20, 9, 22 };
	static const uint32_t want[] = { 1, 0, 1, 0, 1, 1, 0, 1 };
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[9];
	struct es e;

	put_head(t, ST_HEVC);
	for (int i = 0; i < 9; i++) {
		es_hevc(&e, types[i], 200);
		off[i] = put_pes(t, VID_PID, i * 3003, e.b, e.n, 0, 0);
	}
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(ST_HEVC, ix.stream_type);
	EXPECT_EQ(1, ix.stats.dropped);		/* the RASL before the IDR */
	ASSERT_EQ(8, ix.count);
	for (int i = 0; i < 8; i++)
		EXPECT_ENTRY(&ix, i, i * 3003, off[i + 1], want[i]);
	EXPECT_EQ(TSINDEX_FPS_PTS, ix.fps_source);
	EXPECT_EQ(30000, ix.fps_num);
	EXPECT_EQ(1001, ix.fps_den);
	tsindex_free(&ix);
	ts_del(t);
}

/*
 * Nothing before the first keyframe, in decode order or (open-GOP leading
 * pictures) on screen.
 */
TEST(drop_before_first_keyframe)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[2];

	put_head(t, ST_H264);
	put_h264(t, 10 * TICKS_25, H264_NONIDR, 0);
	put_h264(t, 11 * TICKS_25, H264_NONIDR, AF_RAI);
	off[0] = put_h264(t, 14 * TICKS_25, H264_IDR, 0);
	off[1] = put_h264(t, 15 * TICKS_25, H264_NONIDR, 0);
	put_h264(t, 13 * TICKS_25, H264_NONIDR, 0);	/* leading */
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(3, ix.stats.dropped);
	ASSERT_EQ(2, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off[0], TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, TICKS_25, off[1], 0);
	tsindex_free(&ix);
	ts_del(t);
}

/* PTS wrapping at 2^33 in the middle of a B-frame group, twice. */
TEST(pts_wrap)
{
	static const int order[] = { 0, 3, 1, 2, 6, 4, 5, 9, 7, 8 };
	const long long wrap = 1LL << 33;
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[22];

	put_head(t, ST_H264);
	for (int i = 0; i < 10; i++) {
		long long p = wrap - 2 * TICKS_25 + order[i] * TICKS_25;

		off[order[i]] = put_h264(t, p % wrap, i ? H264_NONIDR : H264_IDR,
					 0);
	}
	/* a second wrap, 2^33 ticks (26.5 hours) later, in big steps */
	for (int i = 10; i < 22; i++) {
		long long p = (i - 9) * (wrap / 10) - 2 * TICKS_25;

		off[i] = put_h264(t, p % wrap, H264_NONIDR, 0);
	}
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	ASSERT_EQ(22, ix.count);
	for (int i = 0; i < 10; i++)
		EXPECT_ENTRY(&ix, i, i * TICKS_25, off[i], i ? 0 : TSINDEX_KEY);
	for (int i = 10; i < 22; i++)
		EXPECT_ENTRY(&ix, i, (i - 9) * (wrap / 10), off[i], 0);
	/* base + pts passed 2 * 2^33 */
	EXPECT_GT(ix.entries[21].pts + wrap - 2 * TICKS_25, 2 * wrap);
	tsindex_free(&ix);
	ts_del(t);
}

/*
 * A packet boundary at every byte of the PES header and of the start codes
 * and NAL headers (H.264 and HEVC) that decide the frame's kind.
 */
TEST(split_across_packets)
{
	for (int codec = 0; codec < 2; codec++) {
		struct es e;

		if (codec)
			es_hevc(&e, 19, 300);
		else
			es_h264(&e, H264_IDR, NULL, 0, 300);
		for (size_t first = 1; first < 14 + 30; first++) {
			struct ts *t = ts_new();
			struct tsindex ix;
			size_t off;

			put_head(t, codec ? ST_HEVC : ST_H264);
			off = put_pes(t, VID_PID, 1234, e.b, e.n, 0, first);
			ASSERT_EQ(0, index_all(&ix, t->d, t->len));
			ASSERT_EQ(1, ix.count)
				TH_LOG("codec %d first %zu", codec, first);
			EXPECT_ENTRY(&ix, 0, 0, off, TSINDEX_KEY);
			EXPECT_EQ(0, ix.stats.pes_errors);
			tsindex_free(&ix);
			ts_del(t);
		}
	}
}

/* ---- frame rate ---- */

static void check_sps(struct __test_metadata *_metadata,
		      const struct sps_opts *o, size_t first,
		      enum tsindex_fps_source src, uint32_t num, uint32_t den)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	uint8_t sps[256];
	size_t n = mk_sps(sps, o);
	struct es e;

	put_head(t, ST_H264);
	es_h264(&e, H264_IDR, sps, n, 200);
	put_pes(t, VID_PID, 0, e.b, e.n, 0, first);
	/* The PTS say 30 fps, so that a rate from the SPS stands out. */
	for (int i = 1; i < 5; i++)
		put_h264(t, i * 3000, H264_NONIDR, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(5, ix.count);
	EXPECT_EQ(src, ix.fps_source);
	EXPECT_EQ(num, ix.fps_num);
	EXPECT_EQ(den, ix.fps_den);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(sps_timing_25)
{
	struct sps_opts o = {
		.profile = 100, .poc_type = 0, .vui = true, .timing = true,
		.nut = 1, .scale = 50,
	};
	uint8_t sps[256];
	size_t n = mk_sps(sps, &o);
	bool escaped = false;

	/* 0x00000001 in num_units_in_tick needs emulation prevention. */
	for (size_t i = 2; i < n; i++)
		escaped |= !sps[i - 2] && !sps[i - 1] && sps[i] == 3;
	EXPECT_TRUE(escaped);
	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 25, 1);
	/* SPS split between two packets */
	for (size_t first = 14 + 20; first < 14 + 20 + n; first += 3)
		check_sps(_metadata, &o, first, TSINDEX_FPS_SPS, 25, 1);
}

TEST(sps_timing_30000_1001)
{
	struct sps_opts o = {
		.profile = 100, .poc_type = 0, .vui = true, .timing = true,
		.nut = 1001, .scale = 60000,
	};

	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 30000, 1001);
	/* scaling lists, explicit and "use default", skipped correctly */
	o.scaling = true;
	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 30000, 1001);
	o.sar = true;
	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 30000, 1001);
	/* baseline profile, pic_order_cnt_type 1 with its cycle */
	o = (struct sps_opts){
		.profile = 66, .poc_type = 1, .vui = true, .timing = true,
		.nut = 1001, .scale = 48000,
	};
	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 24000, 1001);
	o.poc_type = 2;
	o.scale = 120000;
	check_sps(_metadata, &o, 0, TSINDEX_FPS_SPS, 60000, 1001);
}

TEST(sps_without_timing)
{
	struct sps_opts o = { .profile = 100, .vui = true, .timing = false };

	check_sps(_metadata, &o, 0, TSINDEX_FPS_PTS, 30, 1);
	o.vui = false;
	check_sps(_metadata, &o, 0, TSINDEX_FPS_PTS, 30, 1);
	/* nonsense timing: 0 ticks, or 5000 fps */
	o = (struct sps_opts){
		.profile = 100, .vui = true, .timing = true, .nut = 0,
		.scale = 50,
	};
	check_sps(_metadata, &o, 0, TSINDEX_FPS_PTS, 30, 1);
	o.nut = 1;
	o.scale = 10000;
	check_sps(_metadata, &o, 0, TSINDEX_FPS_PTS, 30, 1);
}

static void check_pts_rate(struct __test_metadata *_metadata,
			   const uint32_t *steps, int nsteps, int frames,
			   uint32_t num, uint32_t den)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	uint64_t pts = 0;

	put_head(t, ST_H264);
	for (int i = 0; i < frames; i++) {
		put_h264(t, pts, i ? H264_NONIDR : H264_IDR, 0);
		pts += steps[i % nsteps];
	}
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(TSINDEX_FPS_PTS, ix.fps_source);
	EXPECT_EQ(num, ix.fps_num);
	EXPECT_EQ(den, ix.fps_den);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(fps_from_pts_step)
{
	static const uint32_t ntsc_film[] = { 3753, 3754, 3754, 3754 };
	static const uint32_t film[] = { 3750 };
	static const uint32_t ntsc[] = { 3003 };
	static const uint32_t ntsc_hd[] = { 1501, 1502 };
	static const uint32_t p50_drop[] = { 1800, 1800, 3600, 1800, 1800 };
	static const uint32_t slow[] = { 7200 };	/* 12.5 fps */
	struct tsindex ix;

	check_pts_rate(_metadata, ntsc_film, 4, 40, 24000, 1001);
	check_pts_rate(_metadata, film, 1, 40, 24, 1);
	check_pts_rate(_metadata, ntsc, 1, 40, 30000, 1001);
	check_pts_rate(_metadata, ntsc_hd, 2, 40, 60000, 1001);
	/* the median ignores the odd dropped frame */
	check_pts_rate(_metadata, p50_drop, 5, 40, 50, 1);
	/* far from every standard rate: reported as it is */
	check_pts_rate(_metadata, slow, 1, 40, 25, 2);
	/* more frames than the median samples */
	check_pts_rate(_metadata, ntsc, 1, 1000, 30000, 1001);

	/* one frame: no rate */
	{
		struct ts *t = ts_new();

		put_head(t, ST_H264);
		put_h264(t, 0, H264_IDR, 0);
		ASSERT_EQ(0, index_all(&ix, t->d, t->len));
		EXPECT_EQ(TSINDEX_FPS_NONE, ix.fps_source);
		EXPECT_EQ(0, ix.fps_num);
		EXPECT_STREQ("none", tsindex_fps_source_name(ix.fps_source));
		tsindex_free(&ix);
		ts_del(t);
	}
}

/* ---- damage ---- */

/* A stream of @n frames of 3 packets each; offsets into @off. */
static struct ts *three_packet_frames(int n, size_t *off)
{
	struct ts *t = ts_new();
	struct es e;

	put_head(t, ST_H264);
	for (int i = 0; i < n; i++) {
		es_h264(&e, i % 4 ? H264_NONIDR : H264_IDR, NULL, 0, 450);
		off[i] = put_pes(t, VID_PID, i * TICKS_25, e.b, e.n, 0, 0);
	}
	return t;
}

TEST(leading_garbage)
{
	uint8_t junk[100];
	struct tsindex ix;
	size_t off[6];
	struct ts *t = three_packet_frames(6, off);

	/* sync bytes in the garbage, just not one packet apart */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = i % 10 ? i : 0x47;
	ts_insert(t, 0, junk, sizeof(junk));
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(100, ix.stats.bytes_skipped);
	EXPECT_EQ(0, ix.stats.sync_losses);
	ASSERT_EQ(6, ix.count);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(off[i] + 100, ix.entries[i].offset);
	tsindex_free(&ix);
	ts_del(t);
}

/* Garbage between two packets: the packets on both sides are whole. */
TEST(lost_sync_inserted_bytes)
{
	uint8_t junk[50], junk2[50];
	struct tsindex ix;
	size_t off[6];
	struct ts *t = three_packet_frames(6, off);

	/*
	 * Garbage that starts with a sync byte (taken for a packet, then
	 * found to overlap the next one) and garbage that does not (the
	 * packet before it is held back, then found whole).
	 */
	for (size_t i = 0; i < sizeof(junk); i++) {
		junk[i] = i % 7 ? 0xa5 : 0x47;
		junk2[i] = i % 7 == 3 ? 0x47 : 0x5a;
	}
	/* after the first packet of frame 2, then before frame 4's PUSI */
	ts_insert(t, off[2] + PKT, junk, sizeof(junk));
	ts_insert(t, off[4] + 50, junk2, sizeof(junk2));
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(2, ix.stats.sync_losses);
	EXPECT_EQ(100, ix.stats.bytes_skipped);
	EXPECT_EQ(0, ix.stats.cc_errors);
	EXPECT_EQ(t->len / PKT, ix.stats.packets);
	ASSERT_EQ(6, ix.count);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(off[i] + (i > 2) * 50 + (i > 3) * 50,
			  ix.entries[i].offset);
	EXPECT_EQ(2, ix.stats.keyframes);
	tsindex_free(&ix);
	ts_del(t);
}

/* Bytes lost inside a packet: that packet goes, the rest stays. */
TEST(lost_sync_missing_bytes)
{
	struct tsindex ix;
	size_t off[6];
	struct ts *t = three_packet_frames(6, off);

	/* 100 bytes out of the middle packet of frame 1 */
	ts_cut(t, off[1] + PKT + 40, 100);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(1, ix.stats.sync_losses);
	EXPECT_EQ(PKT - 100, ix.stats.bytes_skipped);
	EXPECT_EQ(1, ix.stats.cc_errors);
	ASSERT_EQ(6, ix.count);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(off[i] - (i > 1) * 100, ix.entries[i].offset);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(truncated_tail)
{
	struct tsindex ix;
	size_t off[6];
	struct ts *t = three_packet_frames(6, off);

	/* the last frame keeps its first packet: still indexed */
	t->len -= 100;
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(PKT - 100, ix.stats.bytes_skipped);
	EXPECT_EQ(0, ix.stats.sync_losses);
	EXPECT_EQ(6, ix.count);
	tsindex_free(&ix);

	/* cut inside the last frame's PUSI packet: the frame is gone */
	t->len = off[5] + 100;
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(100, ix.stats.bytes_skipped);
	EXPECT_EQ(5, ix.count);
	EXPECT_EQ(0, ix.stats.pes_errors);
	tsindex_free(&ix);
	ts_del(t);
}

/* Overwrites PES header bytes of the frame whose PUSI packet is at @off. */
static void poke_pes(struct ts *t, size_t off, int at, uint8_t v)
{
	uint8_t *p = t->d + off;
	size_t start = p[3] & 0x20 ? 5 + p[4] : 4;

	p[start + at] = v;
}

TEST(corrupted_pes)
{
	struct tsindex ix;
	size_t off[12];
	struct ts *t = ts_new();
	struct es e;
	uint8_t pl[5] = { 0, 0, 1, 0xe0, 0 };

	put_head(t, ST_H264);
	es_h264(&e, H264_IDR, NULL, 0, 100);
	for (int i = 0; i < 11; i++) {
		off[i] = put_pes(t, VID_PID, i * TICKS_25, e.b, e.n, 0, 0);
		es_h264(&e, H264_NONIDR, NULL, 0, 100);
		if (i == 9)	/* a PES header cut short by the next PUSI */
			put_packet(t, VID_PID, true, 0, pl, sizeof(pl));
	}
	poke_pes(t, off[1], 2, 2);		/* start code 00 00 02 */
	poke_pes(t, off[2], 7, 0x40);		/* PTS_DTS_flags '01' */
	poke_pes(t, off[3], 8, 2);		/* PTS in a 2-byte header */
	poke_pes(t, off[4], 5, 4);		/* PES_packet_length 4 < 3 + 5 */
	poke_pes(t, off[5], 6, 0x00);		/* not '10': MPEG-1 syntax */
	poke_pes(t, off[6], 3, 0xbe);		/* padding_stream: no header */
	poke_pes(t, off[7], 7, 0x00);		/* no PTS */
	poke_pes(t, off[8], 8, 0xff);		/* 255-byte header: eats it */
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(8, ix.stats.pes_errors);
	EXPECT_EQ(1, ix.stats.no_pts);
	ASSERT_EQ(3, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off[0], TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, 9 * TICKS_25, off[9], 0);
	EXPECT_ENTRY(&ix, 2, 10 * TICKS_25, off[10], 0);
	tsindex_free(&ix);
	ts_del(t);
}

/* A PES header that is longer than the first packet's payload is fine. */
TEST(long_pes_header)
{
	/* PTS 31, then 250 bytes of stuffing */
	static const uint8_t hdr[] = {
		0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 255, 0x21, 0, 1, 0, 0x3f,
	};
	struct ts *t = ts_new();
	struct tsindex ix;
	uint8_t pes[600];
	size_t off, at = 0;
	struct es e;

	put_head(t, ST_H264);
	es_h264(&e, H264_IDR, NULL, 0, 100);
	memcpy(pes, hdr, sizeof(hdr));
	memset(pes + 14, 0xff, 9 + 255 - 14);
	memcpy(pes + 9 + 255, e.b, e.n);
	off = t->len;
	while (at < 9 + 255 + e.n)
		at += put_packet(t, VID_PID, !at, 0, pes + at,
				 at ? 9 + 255 + e.n - at : 100);
	put_h264(t, 31 + TICKS_25, H264_NONIDR, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(0, ix.stats.pes_errors);
	ASSERT_EQ(2, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off, TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, TICKS_25, off + 3 * PKT, 0);
	tsindex_free(&ix);
	ts_del(t);
}

/*
 * A PES_packet_length that is not 0 bounds the frame: bytes after it (here
 * an IDR slice) are not the frame's.
 */
TEST(bounded_pes)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[3];
	struct es e, idr;

	put_head(t, ST_H264);
	es_h264(&idr, H264_IDR, NULL, 0, 300);
	off[0] = put_pes(t, VID_PID, 0, idr.b, idr.n, 0, 0);
	/* the length covers AUD and SEI of a non-IDR frame, then an IDR */
	es_h264(&e, H264_NONIDR, NULL, 0, 0);
	memcpy(e.b + e.n - 6, idr.b + idr.n - 306, 306);
	e.n += 300;
	off[1] = put_pes(t, VID_PID, TICKS_25, e.b, e.n, 0, 0);
	t->d[off[1] + 4 + 5] = 3 + 5 + 6 + 10;
	/* exactly the right length */
	off[2] = put_pes(t, VID_PID, 2 * TICKS_25, idr.b, idr.n, 0, 0);
	t->d[off[2] + 4 + 4] = (3 + 5 + idr.n) >> 8;
	t->d[off[2] + 4 + 5] = (3 + 5 + idr.n) & 0xff;

	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(0, ix.stats.pes_errors);
	ASSERT_EQ(3, ix.count);
	EXPECT_ENTRY(&ix, 0, 0, off[0], TSINDEX_KEY);
	EXPECT_ENTRY(&ix, 1, TICKS_25, off[1], 0);
	EXPECT_ENTRY(&ix, 2, 2 * TICKS_25, off[2], TSINDEX_KEY);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(continuity)
{
	struct tsindex ix;
	size_t off[6];
	struct ts *t = ts_new();
	uint8_t dup[PKT];
	struct es e;

	put_head(t, ST_H264);
	for (int i = 0; i < 6; i++) {
		unsigned int af = 0;

		es_h264(&e, i % 4 ? H264_NONIDR : H264_IDR, NULL, 0, 450);
		if (i == 5) {
			/* a CC jump announced by discontinuity_indicator */
			t->cc[VID_PID] += 5;
			af = AF_DISC;
		}
		off[i] = put_pes(t, VID_PID, i * TICKS_25, e.b, e.n, af, 0);
	}
	/* a lost packet in the middle of frame 1 */
	ts_cut(t, off[1] + PKT, PKT);
	for (int i = 2; i < 6; i++)
		off[i] -= PKT;
	/* frame 3's PUSI packet sent twice (allowed): still one frame */
	memcpy(dup, t->d + off[3], PKT);
	ts_insert(t, off[3] + PKT, dup, PKT);
	for (int i = 4; i < 6; i++)
		off[i] += PKT;

	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(1, ix.stats.cc_errors);
	ASSERT_EQ(6, ix.count);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(off[i], ix.entries[i].offset);
	tsindex_free(&ix);
	ts_del(t);
}

/* A PES header spread over two packets, the second one lost. */
TEST(continuity_in_pes_header)
{
	struct ts *t = ts_new();
	struct tsindex ix;
	size_t off[3];
	struct es e;

	put_head(t, ST_H264);
	es_h264(&e, H264_IDR, NULL, 0, 100);
	off[0] = put_pes(t, VID_PID, 0, e.b, e.n, 0, 0);
	off[1] = put_pes(t, VID_PID, TICKS_25, e.b, e.n, 0, 6);
	off[2] = put_pes(t, VID_PID, 2 * TICKS_25, e.b, e.n, 0, 0);
	ts_cut(t, off[1] + PKT, PKT);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(1, ix.stats.cc_errors);
	EXPECT_EQ(1, ix.stats.pes_errors);
	ASSERT_EQ(2, ix.count);
	EXPECT_EQ(off[0], ix.entries[0].offset);
	EXPECT_EQ(off[2] - PKT, ix.entries[1].offset);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(bad_packets)
{
	struct tsindex ix;
	size_t off[4];
	struct ts *t = three_packet_frames(4, off);

	t->d[off[1] + 1] |= 0x80;		/* transport_error_indicator */
	t->d[off[2] + 3] |= 0x80;		/* scrambled */
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(2, ix.stats.bad_packets);
	EXPECT_EQ(2, ix.stats.cc_errors);
	ASSERT_EQ(2, ix.count);
	EXPECT_EQ(off[0], ix.entries[0].offset);
	EXPECT_EQ(off[3], ix.entries[1].offset);
	tsindex_free(&ix);
	ts_del(t);
}

TEST(api_misuse)
{
	struct ts *t = ts_new();
	struct tsindex ix;

	put_head(t, ST_H264);
	put_h264(t, 0, H264_IDR, 0);
	ASSERT_EQ(0, index_all(&ix, t->d, t->len));
	EXPECT_EQ(0, tsindex_finish(&ix));
	EXPECT_EQ(1, ix.count);
	EXPECT_EQ(-EINVAL, tsindex_feed(&ix, t->d, t->len));
	EXPECT_EQ(1, ix.count);
	tsindex_free(&ix);
	tsindex_free(&ix);
	EXPECT_EQ(0, ix.count);

	tsindex_init(&ix);
	EXPECT_EQ(-EINVAL, tsindex_feed(&ix, NULL, 1));
	EXPECT_EQ(0, tsindex_feed(&ix, NULL, 0));
	EXPECT_EQ(-EINVAL, tsindex_finish(&ix));
	EXPECT_EQ(-EINVAL, tsindex_finish(&ix));
	tsindex_free(&ix);
	ts_del(t);
}

/* ---- chunking ---- */

/* Everything above in one stream. */
static struct ts *messy_stream(void)
{
	static const int order[] = { 0, 3, 1, 2, 6, 4, 5 };
	struct sps_opts o = {
		.profile = 100, .scaling = true, .vui = true, .timing = true,
		.nut = 1001, .scale = 60000,
	};
	uint8_t junk[300], sps[256];
	struct ts *t = ts_new();
	size_t n = mk_sps(sps, &o), at;
	struct es e;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = i % 9 ? i * 13 : 0x47;
	ts_bytes(t, junk, 77);
	put_head(t, ST_H264);
	for (int g = 0; g < 30; g++) {
		for (int i = 0; i < 7; i++) {
			long long pts = ((1LL << 33) - 40 * 3003 +
					 (g * 7 + order[i]) * 3003) % (1LL << 33);

			es_h264(&e, i ? H264_NONIDR : H264_IDR, i ? NULL : sps,
				n, 100 + (g * 7 + i) * 37 % 900);
			put_pes(t, VID_PID, pts, e.b, e.n,
				i ? 0 : AF_RAI, 1 + (g * 7 + i) % 60);
		}
		if (g % 5 == 1) {
			at = t->len - 2 * PKT + 17;
			ts_insert(t, at, junk, g * 9 % sizeof(junk));
		}
		if (g % 5 == 3)
			ts_cut(t, t->len - 3 * PKT + 11, 40 + g);
		if (g % 7 == 2)	/* a broken PES header */
			t->d[t->len - 4 * PKT + 4 + 20] ^= 0xff;
	}
	t->len -= 61;
	return t;
}

TEST(chunked_equals_whole)
{
	static const size_t sizes[][3] = {
		{ 1 }, { 2 }, { 3 }, { 187 }, { 188 }, { 189 }, { 376 },
		{ 377 }, { 1000 }, { TSINDEX_BUF - 1 }, { TSINDEX_BUF },
		{ TSINDEX_BUF + 1 }, { 1, 188, 4000 }, { 0 },
	};
	struct ts *t = messy_stream();
	struct tsindex whole, ix;

	ASSERT_EQ(0, index_all(&whole, t->d, t->len));
	/* the stream has some of everything */
	EXPECT_GT(whole.count, 150);
	EXPECT_GT(whole.stats.sync_losses, 5);
	EXPECT_GT(whole.stats.bytes_skipped, 500);
	EXPECT_GT(whole.stats.cc_errors, 3);
	EXPECT_GT(whole.stats.pes_errors, 0);
	EXPECT_EQ(TSINDEX_FPS_SPS, whole.fps_source);
	EXPECT_EQ(30000, whole.fps_num);
	for (size_t i = 1; i < whole.count; i++)
		EXPECT_LT(whole.entries[i - 1].pts, whole.entries[i].pts);

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		int n = sizes[s][1] ? 3 : 1;

		ASSERT_EQ(0, index_chunked(&ix, t->d, t->len, sizes[s], n, s));
		EXPECT_TRUE(same_index(&whole, &ix))
			TH_LOG("chunk size %zu", sizes[s][0]);
		tsindex_free(&ix);
	}
	tsindex_free(&whole);
	ts_del(t);
}

/* ---- real media, checked against ffprobe ---- */

struct probe_row {
	long long pts;
	uint64_t pos;
	bool key;
};

static struct probe_row *load_probe(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	struct probe_row *rows = NULL;
	size_t n = 0, cap = 0;
	long long pts;
	unsigned long long pos;
	char flags[16];

	if (!f)
		return NULL;
	while (fscanf(f, "%lld,%llu,%15s", &pts, &pos, flags) == 3) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			rows = realloc(rows, cap * sizeof(*rows));
			if (!rows)
				abort();
		}
		rows[n++] = (struct probe_row){ pts, pos, flags[0] == 'K' };
	}
	fclose(f);
	*count = n;
	return rows;
}

static int row_cmp(const void *a, const void *b)
{
	const struct probe_row *x = a, *y = b;

	if (x->pts != y->pts)
		return x->pts < y->pts ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void check_media(struct __test_metadata *_metadata, const char *name,
			uint8_t stream_type, uint32_t num, uint32_t den,
			enum tsindex_fps_source src)
{
	static const size_t chunks[] = { 0 };
	char dir[1024], path[1200];
	struct probe_row *rows;
	struct tsindex ix, chunked;
	size_t len, nrows, first = 0, keys = 0;
	uint8_t *d;

	MEDIA_LOAD_TS(dir, path, name, d, &len);
	snprintf(path, sizeof(path), "%s/%s.csv", dir, name);
	rows = load_probe(path, &nrows);
	ASSERT_NE(NULL, rows);
	ASSERT_GT(nrows, 100);

	ASSERT_EQ(0, index_all(&ix, d, len));
	ASSERT_EQ(0, index_chunked(&chunked, d, len, chunks, 1, 42));
	EXPECT_TRUE(same_index(&ix, &chunked));
	tsindex_free(&chunked);
	EXPECT_EQ(stream_type, ix.stream_type);

	/*
	 * ffprobe's pos for MPEG-TS is the offset of the TS packet where the
	 * frame's PES starts: a video packet with PUSI and 00 00 01 at the
	 * start of its payload.
	 */
	for (size_t i = 0; i < nrows; i++) {
		const uint8_t *p = d + rows[i].pos;
		size_t start;

		ASSERT_LE(rows[i].pos + PKT, len);
		ASSERT_EQ(0, rows[i].pos % PKT);
		ASSERT_EQ(0x47, p[0]);
		ASSERT_EQ(0x40, p[1] & 0x40);
		ASSERT_EQ(ix.video_pid, (p[1] & 0x1f) << 8 | p[2]);
		start = p[3] & 0x20 ? 5 + p[4] : 4;
		ASSERT_EQ(0, memcmp(p + start, "\0\0\1", 3));
	}

	/* Stream order: frames before the first keyframe are not indexed. */
	while (first < nrows && !rows[first].key)
		first++;
	ASSERT_LT(first, nrows);
	for (size_t i = first + 1; i < nrows; i++)
		rows[i].pts -= rows[first].pts;
	rows[first].pts = 0;
	qsort(rows + first, nrows - first, sizeof(*rows), row_cmp);

	EXPECT_EQ(nrows - first, ix.count);
	EXPECT_EQ(first, ix.stats.dropped);
	ASSERT_LE(nrows - first, ix.count);
	for (size_t i = 0; i < nrows - first; i++) {
		const struct probe_row *r = &rows[first + i];
		const struct tsindex_entry *e = &ix.entries[i];

		ASSERT_EQ(r->pts, (long long)e->pts) TH_LOG("entry %zu", i);
		ASSERT_EQ(r->pos, e->offset) TH_LOG("entry %zu", i);
		ASSERT_EQ(r->key, !!(e->flags & TSINDEX_KEY))
			TH_LOG("entry %zu at %llu", i,
			       (unsigned long long)e->offset);
		keys += r->key;
	}
	EXPECT_GE(keys, 5);
	EXPECT_EQ(keys, ix.stats.keyframes);
	EXPECT_EQ(0, ix.stats.pes_errors);
	EXPECT_EQ(0, ix.stats.cc_errors);
	EXPECT_EQ(0, ix.stats.bytes_skipped);
	EXPECT_EQ(src, ix.fps_source);
	EXPECT_EQ(num, ix.fps_num);
	EXPECT_EQ(den, ix.fps_den);

	tsindex_free(&ix);
	free(rows);
	free(d);
}

TEST(media_h264_25)
{
	check_media(_metadata, "h264_25", ST_H264, 25, 1, TSINDEX_FPS_SPS);
}

TEST(media_h264_2997)
{
	check_media(_metadata, "h264_2997", ST_H264, 30000, 1001,
		    TSINDEX_FPS_SPS);
}

/* ffprobe unwraps too: its PTS run from negative to positive. */
TEST(media_h264_wrap)
{
	check_media(_metadata, "h264_wrap", ST_H264, 25, 1, TSINDEX_FPS_SPS);
}

/* HEVC: CRA keyframes, frame rate from the PTS. */
TEST(media_hevc_25)
{
	check_media(_metadata, "hevc_25", ST_HEVC, 25, 1, TSINDEX_FPS_PTS);
}

TEST(media_mpeg2_25)
{
	check_media(_metadata, "mpeg2_25", ST_MPEG2, 25, 1, TSINDEX_FPS_PTS);
}

TEST_HARNESS_MAIN
