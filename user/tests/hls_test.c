// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/hls.c, tsprobe.c and sps.c: every playlist
 * generated is read back by a small RFC 8216 checker (below) that knows
 * nothing of how it was made; then the real ffmpeg media of
 * scripts/make-test-media: codecs and sizes against ffprobe, PAT+PMT found
 * before every keyframe, playlists over the real index.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include "hls.h"
#include "sps.h"
#include "tsindex.h"
#include "tsprobe.h"
#include "vindex.h"
#include "kselftest_harness.h"
#include "media.h"

#ifndef VCACHE_ROOT
#define VCACHE_ROOT "."
#endif

#define HZ	HLS_HZ
#define KEY	VCACHE_INDEX_KEY
/* ticks to microseconds, rounded (small values only) */
#define US(t)	(((t) * 100 + 4) / 9)

#include "hls_checker.h"

/* ---- a synthetic index ---- */

/*
 * @frames frames at @step ticks, a keyframe every @gop frames, two
 * B-frames between anchors (so index order, by pts, is not stream order),
 * each frame @fsize bytes plus two packets of PSI before each keyframe.
 * Returns the entries in pts order and the stream size.
 */
static struct vcache_index_entry *synth(size_t frames, size_t gop, uint64_t step,
					uint64_t fsize, uint64_t *size)
{
	struct vcache_index_entry *e = calloc(frames, sizeof(*e));
	uint64_t off = 0;

	/* decode order: I P B B P B B ...; display k for decode slot d */
	for (size_t d = 0; d < frames; d++) {
		size_t g = d / gop * gop, r = d - g, disp;

		if (r == 0)
			disp = d;
		else if (r % 3 == 1)
			disp = g + r + 2 < g + gop && g + r + 2 < frames ? g + r + 2 : g + r;
		else
			disp = g + r - 1;
		if (r == 0)
			off += 2 * 188;
		e[disp].pts = disp * step;
		e[disp].offset = off;
		e[disp].flags = r == 0 ? KEY : 0;
		off += fsize;
	}
	*size = off;
	return e;
}

static int vod_from(const struct vcache_index_entry *e, size_t n, uint64_t size,
		    struct hls_key **keys, struct hls_vod *v)
{
	size_t nk;
	int err = hls_keys(e, n, 0, size, keys, &nk);

	if (err)
		return err;
	*v = (struct hls_vod){
		.keys = *keys, .nkeys = nk, .size = size,
		.duration = hls_index_duration(e, n, 0), .uri = "video.ts",
	};
	return 0;
}

/* ---- tests ---- */

TEST(seg_argument)
{
	static const struct { const char *s; int err; uint64_t t; } c[] = {
		{ "6", 0, 6 * HZ }, { "2.5", 0, 225000 }, { "600", 0, 600 * HZ },
		{ "0.5", 0, 45000 }, { "00010", 0, 10 * HZ },
		{ "0", -ERANGE, 0 }, { "0.0", -ERANGE, 0 }, { "0.000001", -ERANGE, 0 },
		{ "600.001", -ERANGE, 0 }, { "601", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "NaN", -EINVAL, 0 }, { "nan", -EINVAL, 0 }, { "inf", -EINVAL, 0 },
		{ "1e2", -EINVAL, 0 }, { "0x10", -EINVAL, 0 }, { "6.", -EINVAL, 0 },
		{ ".5", -EINVAL, 0 }, { "6 ", -EINVAL, 0 }, { " 6", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t t = 12345;

		EXPECT_EQ(c[i].err, hls_parse_seg(c[i].s, &t)) TH_LOG("\"%s\"", c[i].s);
		EXPECT_EQ(c[i].err ? 12345 : c[i].t, t) TH_LOG("\"%s\"", c[i].s);
	}
}

TEST(keys_next_frame_in_stream_order)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(100, 25, 3600, 1000, &size);
	struct hls_key *k;
	size_t nk;

	ASSERT_EQ(0, hls_keys(e, 100, 7, size, &k, &nk));
	ASSERT_EQ(4, nk);
	for (size_t i = 0; i < nk; i++) {
		EXPECT_EQ(i * 25 * 3600, k[i].pts);
		EXPECT_EQ(7 + i * 25, k[i].pos);
		/* the P-frame right after it in the stream, not the B after it on screen */
		EXPECT_EQ(k[i].offset + 1000, k[i].frame_end);
		EXPECT_EQ(k[i].offset, k[i].start);
	}
	free(k);
	/* an offset past the end, no keyframe at all */
	{
		uint64_t top = 0;

		for (size_t i = 0; i < 100; i++)
			top = e[i].offset > top ? e[i].offset : top;
		EXPECT_EQ(-EINVAL, hls_keys(e, 100, 0, top, &k, &nk));
		ASSERT_EQ(0, hls_keys(e, 100, 0, top + 1, &k, &nk));
		free(k);
	}
	for (size_t i = 0; i < 100; i++)
		e[i].flags = 0;
	EXPECT_EQ(-ENOENT, hls_keys(e, 100, 0, size, &k, &nk));
	EXPECT_EQ(-ENOENT, hls_keys(e, 0, 0, size, &k, &nk));
	free(e);
}

/*
 * Offsets out of pts order: the next frame in the stream is still found,
 * whichever way they are sorted: a few frames out of place (B-frames: the
 * insertion sort), or blocks of 1000 reversed (past its budget: qsort()).
 */
TEST(keys_next_frame_offsets_scrambled)
{
	enum { N = 4000 };
	static const size_t blocks[] = { 4, 1000 };
	struct vcache_index_entry *e = calloc(N, sizeof(*e));
	struct hls_key *k;
	size_t nk;

	ASSERT_NE(NULL, e);
	for (size_t b = 0; b < 2; b++) {
		size_t bs = blocks[b];

		/* pts order; each block's offsets reversed, its key the lowest */
		for (size_t i = 0; i < N; i++) {
			e[i].pts = i * 3600;
			e[i].offset = (i / bs * bs + (bs - 1 - i % bs)) * 100;
			e[i].flags = i % bs == bs - 1 ? KEY : 0;
		}
		ASSERT_EQ(0, hls_keys(e, N, 0, N * 100, &k, &nk));
		ASSERT_EQ(N / bs, nk);
		for (size_t i = 0; i < nk; i++) {
			EXPECT_EQ(i * bs * 100, k[i].offset);
			EXPECT_EQ(k[i].offset + 100, k[i].frame_end);
		}
		free(k);
	}
	free(e);
}

/* Plays the VOD rules over many shapes of index and targets. */
TEST(vod_media_rules)
{
	static const struct { size_t frames, gop; uint64_t step; } shapes[] = {
		{ 500, 50, 3600 }, { 500, 25, 3600 }, { 1799, 60, 3003 },
		{ 250, 250, 3600 }, { 7, 7, 3600 }, { 1, 1, 3600 },
		{ 3000, 13, 1800 }, { 400, 1, 3600 },
	};
	static const char * const targets[] = { "6", "2", "1", "0.5", "10", "3.3", "600" };

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
			uint64_t size, target, prev_end;
			struct vcache_index_entry *e = synth(shapes[s].frames,
				shapes[s].gop, shapes[s].step, 940, &size);
			struct hls_buf b = { 0 };
			struct hls_key *k;
			struct hls_seg *sg;
			struct hls_vod v;
			struct pl p;
			size_t ns;

			ASSERT_EQ(0, hls_parse_seg(targets[t], &target));
			ASSERT_EQ(0, vod_from(e, shapes[s].frames, size, &k, &v));
			ASSERT_EQ(0, hls_vod_media(&v, target, &b));
			EXPECT_EQ(0, check_media(_metadata, b.s, PL_VOD, size, &p))
				TH_LOG("shape %zu target %s:\n%s", s, targets[t], b.s);
			EXPECT_EQ(4, p.version);
			EXPECT_FALSE(p.map);	/* no map given: none written */
			/* the EXTINFs add up to the duration, to the microsecond */
			EXPECT_EQ(v.duration * 100 / 9, p.total_us);

			/* every segment ends at the keyframe nearest the target */
			ASSERT_EQ(0, hls_vod_segments(&v, target, &sg, &ns));
			ASSERT_EQ(ns, p.n);
			prev_end = 0;
			for (size_t i = 0; i < ns; i++) {
				uint64_t end = sg[i].t0 + sg[i].dur;
				int64_t miss = llabs((int64_t)sg[i].dur - (int64_t)target);

				EXPECT_EQ(prev_end, sg[i].t0);
				prev_end = end;
				/* a keyframe one GOP either way would not be nearer */
				for (size_t j = 0; j < v.nkeys; j++) {
					if (v.keys[j].pts <= sg[i].t0)
						continue;
					EXPECT_GE(llabs((int64_t)(v.keys[j].pts - sg[i].t0) -
							(int64_t)target), miss)
						TH_LOG("shape %zu target %s seg %zu", s, targets[t], i);
				}
				if (i + 1 < ns) {
					bool at_key = false;

					for (size_t j = 0; j < v.nkeys; j++)
						at_key |= v.keys[j].pts == end &&
							  v.keys[j].start == sg[i].off + sg[i].len;
					EXPECT_TRUE(at_key);
				}
			}
			free(sg);
			pl_free(&p);
			hls_buf_free(&b);
			free(k);
			free(e);
		}
	}
}

TEST(vod_one_keyframe_and_huge_seg)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(50, 50, 3600, 1000, &size);
	struct hls_buf b = { 0 };
	struct hls_key *k;
	struct hls_vod v;
	struct pl p;

	ASSERT_EQ(0, vod_from(e, 50, size, &k, &v));
	ASSERT_EQ(1, v.nkeys);
	ASSERT_EQ(0, hls_vod_media(&v, 6 * HZ, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_VOD, size, &p));
	ASSERT_EQ(1, p.n);
	EXPECT_EQ(0, p.segs[0].off);
	EXPECT_EQ(size, p.segs[0].len);
	EXPECT_EQ(2000000, p.segs[0].us);
	EXPECT_EQ(2, p.target);
	pl_free(&p);
	hls_buf_free(&b);
	/* the I-frame playlist of it: one I-frame over the whole duration */
	ASSERT_EQ(0, hls_vod_iframes(&v, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_IFRAMES, size, &p));
	ASSERT_EQ(1, p.n);
	EXPECT_EQ(1000, p.segs[0].len);
	pl_free(&p);
	hls_buf_free(&b);

	/* bad targets */
	EXPECT_EQ(-EINVAL, hls_vod_media(&v, 0, &b));
	EXPECT_EQ(-EINVAL, hls_vod_media(&v, 601ULL * HZ, &b));
	/* a duration that does not pass the last keyframe, a size too small */
	v.duration = 0;
	EXPECT_EQ(-EINVAL, hls_vod_media(&v, 6 * HZ, &b));
	v.duration = 50 * 3600;
	v.size = 376;
	EXPECT_EQ(-EINVAL, hls_vod_media(&v, 6 * HZ, &b));
	v.size = size;
	v.uri = "a\"b";
	EXPECT_EQ(-EINVAL, hls_vod_media(&v, 6 * HZ, &b));
	v.nkeys = 0;
	EXPECT_EQ(-ENOENT, hls_vod_media(&v, 6 * HZ, &b));
	EXPECT_EQ(-ENOENT, hls_vod_iframes(&v, &b));
	hls_buf_free(&b);
	free(k);
	free(e);

	/* 600 s asked of a 1000 s video with 2 s GOPs: segments of 600 and 400 */
	e = synth(25000, 50, 3600, 188, &size);
	ASSERT_EQ(0, vod_from(e, 25000, size, &k, &v));
	ASSERT_EQ(0, hls_vod_media(&v, 600ULL * HZ, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_VOD, size, &p));
	ASSERT_EQ(2, p.n);
	EXPECT_EQ(600000000, p.segs[0].us);
	EXPECT_EQ(600, p.target);
	pl_free(&p);
	hls_buf_free(&b);
	free(k);
	free(e);
}

TEST(vod_map_when_no_psi)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(500, 50, 3600, 940, &size);
	struct hls_buf b = { 0 };
	struct hls_key *k;
	struct hls_vod v;
	struct pl p;

	ASSERT_EQ(0, vod_from(e, 500, size, &k, &v));
	v.map_off = 0;
	v.map_len = 376;	/* the PSI before the first keyframe */
	/* Keys found with PSI but the third: MAP, version 6 (5 for I-frames) */
	for (size_t i = 0; i < v.nkeys; i++) {
		k[i].psi = i != 2;
		k[i].start = k[i].psi ? k[i].offset - 376 : k[i].offset;
	}
	ASSERT_EQ(0, hls_vod_media(&v, 2 * HZ, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_VOD, size, &p)) TH_LOG("%s", b.s);
	EXPECT_TRUE(p.map);
	EXPECT_EQ(6, p.version);
	EXPECT_EQ(376, p.map_len);
	pl_free(&p);
	hls_buf_free(&b);
	ASSERT_EQ(0, hls_vod_iframes(&v, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_IFRAMES, size, &p)) TH_LOG("%s", b.s);
	EXPECT_TRUE(p.map);
	EXPECT_EQ(5, p.version);
	/* the I-frames with PSI start at their PAT */
	EXPECT_EQ(k[1].offset - 376, p.segs[1].off);
	EXPECT_EQ(k[2].offset, p.segs[2].off);
	pl_free(&p);
	hls_buf_free(&b);

	/* all with PSI: no map at all */
	k[2].psi = true;
	k[2].start = k[2].offset - 376;
	ASSERT_EQ(0, hls_vod_media(&v, 2 * HZ, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_VOD, size, &p));
	EXPECT_FALSE(p.map);
	EXPECT_EQ(4, p.version);
	/* segments start at the PAT before their keyframe */
	for (size_t i = 1; i < p.n; i++) {
		bool found = false;

		for (size_t j = 0; j < v.nkeys; j++)
			found |= p.segs[i].off == k[j].offset - 376;
		EXPECT_TRUE(found);
	}
	pl_free(&p);
	hls_buf_free(&b);
	free(k);
	free(e);
}

TEST(iframes_rules)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(1000, 30, 3003, 700, &size);
	struct hls_buf b = { 0 };
	struct hls_key *k;
	struct hls_vod v;
	struct pl p;

	ASSERT_EQ(0, vod_from(e, 1000, size, &k, &v));
	ASSERT_EQ(0, hls_vod_iframes(&v, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_IFRAMES, size, &p)) TH_LOG("%s", b.s);
	ASSERT_EQ(v.nkeys, p.n);
	EXPECT_EQ(4, p.version);
	EXPECT_EQ(US(v.duration), p.total_us);
	for (size_t i = 0; i < p.n; i++) {
		EXPECT_EQ(k[i].offset, p.segs[i].off);
		EXPECT_EQ(700, p.segs[i].len);	/* its own bytes */
		/* the time to the next keyframe (the first from 0) */
		if (i + 1 < p.n) {
			EXPECT_EQ(US(k[i + 1].pts) - (i ? US(k[i].pts) : 0),
				  p.segs[i].us);
		}
	}
	pl_free(&p);
	hls_buf_free(&b);
	free(k);
	free(e);
}

/* BANDWIDTH checked against the media playlist's own segments. */
static void check_master(struct __test_metadata *_metadata, const char *master,
			 const char *media, uint64_t size, const char *codecs,
			 const char *vcodec, unsigned int w, unsigned int h)
{
	unsigned long long bw = 0, avg = 0, ibw = 0;
	uint64_t peak = 0;
	char want[256], *l2;
	struct pl p;

	ASSERT_EQ(0, strncmp(master, "#EXTM3U\n#EXT-X-STREAM-INF:", 26)) TH_LOG("%s", master);
	ASSERT_EQ(2, sscanf(master, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=%llu,AVERAGE-BANDWIDTH=%llu",
			    &bw, &avg));
	ASSERT_EQ(0, check_media(_metadata, media, PL_VOD, size, &p));
	for (size_t i = 0; i < p.n; i++) {
		uint64_t r = (p.segs[i].len * 8 * 1000000 + p.segs[i].us - 1) / p.segs[i].us;

		peak = r > peak ? r : peak;
	}
	EXPECT_EQ(peak, bw);
	EXPECT_EQ((size * 8 * 1000000 + p.total_us - 1) / p.total_us, avg);
	EXPECT_GE(bw, avg);
	pl_free(&p);
	if (codecs && *codecs) {
		snprintf(want, sizeof(want), ",CODECS=\"%s\"", codecs);
		EXPECT_NE(NULL, strstr(master, want)) TH_LOG("%s", master);
	} else {
		EXPECT_EQ(NULL, strstr(master, "CODECS")) TH_LOG("%s", master);
	}
	snprintf(want, sizeof(want), ",RESOLUTION=%ux%u\n", w, h);
	EXPECT_NE(NULL, strstr(master, want)) TH_LOG("%s", master);
	/* the media URI on the line after STREAM-INF, then the I-frame stream */
	l2 = strchr(master + 8, '\n');
	ASSERT_NE(NULL, l2);
	EXPECT_EQ(0, strncmp(l2 + 1, "index.m3u8?seg=6\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=", 53));
	ASSERT_EQ(1, sscanf(strstr(master, "I-FRAME-STREAM-INF:"),
			    "I-FRAME-STREAM-INF:BANDWIDTH=%llu", &ibw));
	EXPECT_GT(ibw, 0);
	if (vcodec && *vcodec) {
		snprintf(want, sizeof(want), ",CODECS=\"%s\",RESOLUTION=%ux%u,URI=\"iframes.m3u8\"\n",
			 vcodec, w, h);
		EXPECT_NE(NULL, strstr(strstr(master, "I-FRAME"), want)) TH_LOG("%s", master);
	}
}

TEST(master_synthetic)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(500, 50, 3600, 940, &size);
	struct hls_buf b = { 0 }, m = { 0 };
	struct hls_master ms = {
		.media_uri = "index.m3u8?seg=6", .iframes_uri = "iframes.m3u8",
		.codecs = "avc1.64000c,mp4a.40.2", .video_codec = "avc1.64000c",
		.width = 320, .height = 180,
	};
	struct hls_key *k;
	struct hls_vod v;

	ASSERT_EQ(0, vod_from(e, 500, size, &k, &v));
	ASSERT_EQ(0, hls_vod_media(&v, 6 * HZ, &b));
	ASSERT_EQ(0, hls_vod_master(&v, 6 * HZ, &ms, &m));
	check_master(_metadata, m.s, b.s, size, ms.codecs, ms.video_codec, 320, 180);
	hls_buf_free(&m);
	/* no codec known: no CODECS at all */
	ms.codecs = "";
	ms.video_codec = NULL;
	ASSERT_EQ(0, hls_vod_master(&v, 6 * HZ, &ms, &m));
	check_master(_metadata, m.s, b.s, size, NULL, NULL, 320, 180);
	hls_buf_free(&m);
	ms.media_uri = "a\nb";
	EXPECT_EQ(-EINVAL, hls_vod_master(&v, 6 * HZ, &ms, &m));
	hls_buf_free(&m);
	hls_buf_free(&b);
	free(k);
	free(e);
}

/* ---- live ---- */

struct live_run {
	uint64_t seq_off[4096];	/* per sequence number: offset + 1, 0 unknown */
	uint64_t seq_len[4096];
	uint64_t seq_us[4096];
	uint64_t last_media_seq;
};

/* One playlist of a live run: valid, and consistent with the earlier ones. */
static void live_check(struct __test_metadata *_metadata, struct hls_live *l,
		       struct hls_live_view *view, struct live_run *r, bool ended)
{
	struct hls_buf b = { 0 };
	struct pl p;
	int err = hls_live_media(l, view, &b);

	if (err == -EAGAIN)
		return;
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_LIVE, 0, &p)) TH_LOG("%s", b.s);
	EXPECT_EQ(ended, p.endlist);
	EXPECT_EQ(4, p.version);
	/* 6.2.1: the media sequence only grows; a number names one segment */
	EXPECT_GE(p.media_seq, r->last_media_seq);
	r->last_media_seq = p.media_seq;
	for (size_t i = 0; i < p.n; i++) {
		uint64_t s = p.segs[i].seq % 4096;

		EXPECT_EQ(view->pdt_base_ms >= 0, p.segs[i].pdt_ms >= 0);
		EXPECT_GE(p.segs[i].off, view->avail_start);
		if (r->seq_off[s]) {
			EXPECT_EQ(r->seq_off[s], p.segs[i].off + 1);
			EXPECT_EQ(r->seq_len[s], p.segs[i].len);
			EXPECT_EQ(r->seq_us[s], p.segs[i].us);
		}
		r->seq_off[s] = p.segs[i].off + 1;
		r->seq_len[s] = p.segs[i].len;
		r->seq_us[s] = p.segs[i].us;
	}
	/* 6.2.2: at least three target durations, unless not held */
	if (!view->short_window && !ended) {
		EXPECT_GE(p.total_us, 3ULL * p.target * 1000000) TH_LOG("%s", b.s);
	}
	pl_free(&p);
	hls_buf_free(&b);
}

/*
 * A stream with GOPs of 1 to 3 s fed in batches of any size, read again
 * from before what was read (as a reader that lost its place), the ring
 * holding its last @ring bytes.
 */
TEST(live_sliding_window)
{
	const size_t frames = 30000;	/* 20 min at 25 fps */
	struct vcache_index_entry *e = calloc(frames, sizeof(*e));
	struct live_run *r = calloc(1, sizeof(*r));
	struct hls_live l;
	uint64_t off = 0, ring = 3 << 20, pos = 0;
	unsigned int seed = 7;
	size_t next_key = 0, nsegs_max = 0;
	struct hls_live_view end_view = { .uri = "x", .pdt_base_ms = -1 };

	ASSERT_NE(NULL, e);
	for (size_t i = 0; i < frames; i++) {
		bool key = i == next_key;

		if (key) {
			off += 376;
			next_key = i + 25 + rand_r(&seed) % 51;
		}
		e[i] = (struct vcache_index_entry){ .pts = i * 3600, .offset = off,
						    .flags = key ? KEY : 0 };
		off += 188 * (1 + rand_r(&seed) % 10);
	}
	ASSERT_EQ(0, hls_live_init(&l, 4 * HZ));
	while (pos < frames) {
		size_t n = 1 + rand_r(&seed) % 300;
		size_t back = rand_r(&seed) % 3 ? 0 : rand_r(&seed) % 50;
		uint64_t from = pos > back ? pos - back : 0, end;
		struct hls_live_view view = {
			.uri = "../live/cam", .pdt_base_ms = 1764900000000LL,
		};
		struct hls_key *k;
		size_t nk;

		if (from + n > frames)
			n = frames - from;
		end = from + n < frames ? e[from + n].offset : off;
		if (!hls_keys(e + from, n, from, end, &k, &nk)) {
			ASSERT_EQ(0, hls_live_feed(&l, from, from + n, k, nk));
			free(k);
		} else {
			ASSERT_EQ(0, hls_live_feed(&l, from, from + n, NULL, 0));
		}
		pos = from + n;
		view.avail_start = end > ring ? end - ring : 0;
		/* no window asked: three target durations (6.2.2) */
		view.window = rand_r(&seed) % 2 ? 20 * HZ : 0;
		live_check(_metadata, &l, &view, r, false);
		nsegs_max = l.nsegs > nsegs_max ? l.nsegs : nsegs_max;
	}
	EXPECT_EQ(0, l.gaps);
	/* segments near the 4 s target, cut at the keyframe nearest to it */
	for (size_t i = 0; i < l.nsegs; i++) {
		EXPECT_GE(l.segs[i].dur, 2 * HZ);
		EXPECT_LE(l.segs[i].dur, 7 * HZ);
	}
	/* the ring bounds what is held */
	EXPECT_LT(nsegs_max, 200);
	ASSERT_EQ(0, hls_live_end(&l, off, frames * 3600));
	end_view.window = 20 * HZ;
	live_check(_metadata, &l, &end_view, r, true);
	EXPECT_EQ(-EINVAL, hls_live_feed(&l, frames, frames, NULL, 0));
	hls_live_free(&l);
	free(r);
	free(e);
}

TEST(live_sequence_across_gap_and_restart)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(3000, 50, 3600, 940, &size);
	struct hls_key *k;
	struct hls_live l, l2;
	struct hls_buf b = { 0 };
	struct hls_live_view view = { .uri = "s", .pdt_base_ms = 0, .window = 1000 * HZ };
	struct pl p;
	uint64_t last_seq;
	size_t nk;

	ASSERT_EQ(0, hls_live_init(&l, 6 * HZ));
	ASSERT_EQ(-EAGAIN, hls_live_media(&l, &view, &b));
	/* positions 0..999, then 2000.. (1000 entries lost) */
	ASSERT_EQ(0, hls_keys(e, 1000, 0, size, &k, &nk));
	ASSERT_EQ(0, hls_live_feed(&l, 0, 1000, k, nk));
	free(k);
	ASSERT_EQ(0, hls_live_media(&l, &view, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_LIVE, 0, &p));
	EXPECT_EQ(0, p.media_seq);
	EXPECT_FALSE(view.short_window);
	last_seq = p.segs[p.n - 1].seq;
	pl_free(&p);
	hls_buf_free(&b);

	ASSERT_EQ(0, hls_keys(e + 2000, 1000, 2000, size, &k, &nk));
	ASSERT_EQ(0, hls_live_feed(&l, 2000, 3000, k, nk));
	EXPECT_EQ(1, l.gaps);
	ASSERT_EQ(0, hls_live_media(&l, &view, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_LIVE, 0, &p));
	/* numbered from the position of the first keyframe after the gap */
	EXPECT_EQ(2000, p.media_seq);
	EXPECT_GT(p.media_seq, last_seq);
	pl_free(&p);
	hls_buf_free(&b);

	/* a second segmenter (a restarted streamer) from position 2500 */
	ASSERT_EQ(0, hls_live_init(&l2, 6 * HZ));
	ASSERT_EQ(2800, k[16].pos);
	ASSERT_EQ(0, hls_live_feed(&l2, 2800, 3000, k + 16, nk - 16));
	ASSERT_EQ(0, hls_live_media(&l2, &view, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_LIVE, 0, &p));
	EXPECT_EQ(2800, p.media_seq);
	EXPECT_EQ(1, p.n);
	EXPECT_GT(p.media_seq, l.segs[l.nsegs - 1].seq);
	/* too little held for three targets: said so */
	EXPECT_TRUE(view.short_window);
	pl_free(&p);
	hls_buf_free(&b);
	free(k);
	hls_live_free(&l);
	hls_live_free(&l2);
	free(e);
	EXPECT_EQ(-EINVAL, hls_live_init(&l, 0));
}

/*
 * avail_start for a ring's tail (6.2.2): 2 s GOPs of 100376 bytes, a 2 s
 * target. A segment is listed while the writer has a playlist and a
 * target duration of bytes to write before the tail reaches it, unless
 * that would list less than three target durations.
 */
TEST(live_avail)
{
	uint64_t size, seg = 50 * 2000 + 2 * 188, end;
	struct vcache_index_entry *e = synth(1500, 50, 3600, 2000, &size);
	struct hls_live_view view = { .uri = "x", .pdt_base_ms = -1 };
	struct hls_buf b = { 0 };
	struct hls_key *k;
	struct hls_live l;
	struct pl p;
	size_t nk;

	ASSERT_EQ(0, hls_keys(e, 1500, 0, size, &k, &nk));
	ASSERT_EQ(0, hls_live_init(&l, 2 * HZ));
	EXPECT_EQ(1234, hls_live_avail(&l, 1234, 0));	/* nothing closed */
	ASSERT_EQ(0, hls_live_feed(&l, 0, 150, k, 3));	/* two segments */
	ASSERT_EQ(2, l.nsegs);
	EXPECT_EQ(10, hls_live_avail(&l, 10, 0));	/* under 3 targets: all */
	ASSERT_EQ(0, hls_live_feed(&l, 150, 1500, k + 3, nk - 3));
	ASSERT_EQ(29, l.nsegs);
	EXPECT_EQ(seg, l.segs[5].len);
	EXPECT_EQ(2 * HZ, l.segs[5].dur);
	end = l.segs[28].start + seg;
	/* 3 targets (6 s) and one more: 4 segments of bytes before the tail */
	EXPECT_EQ(end - 20 * seg + 4 * seg, hls_live_avail(&l, end - 20 * seg, 0));
	/* 20 s asked: 11 segments of margin */
	EXPECT_EQ(end - 25 * seg + 11 * seg, hls_live_avail(&l, end - 25 * seg, 20 * HZ));
	/* a ring of 6 segments: the margin would leave 2; the newest 3 stay */
	EXPECT_EQ(end - 3 * seg, hls_live_avail(&l, end - 6 * seg, 0));
	EXPECT_EQ(end - 15 * seg + 11 * seg, hls_live_avail(&l, end - 15 * seg, 20 * HZ));
	/* that window listed: 4 segments, the oldest 11 of bytes from the tail */
	view.window = 20 * HZ;
	view.avail_start = hls_live_avail(&l, end - 15 * seg, 20 * HZ);
	ASSERT_EQ(0, hls_live_media(&l, &view, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_LIVE, 0, &p));
	EXPECT_EQ(4, p.n);
	EXPECT_EQ(end - 4 * seg, p.segs[0].off);
	EXPECT_FALSE(view.short_window);
	pl_free(&p);
	hls_buf_free(&b);
	hls_live_free(&l);
	free(k);
	free(e);
}

/*
 * Regular 3 s GOPs and a 4 s target: a segment closes at the keyframe
 * nearest the target (3 s: 1 s short), not at the first one past it (6 s:
 * 2 s over), as the VOD segments of the same keys do.
 */
TEST(live_cuts_nearest)
{
	uint64_t size;
	struct vcache_index_entry *e = synth(1500, 75, 3600, 940, &size);
	struct hls_key *k;
	struct hls_seg *sg;
	struct hls_vod v;
	struct hls_live l;
	size_t nk, ns;

	ASSERT_EQ(0, hls_keys(e, 1500, 0, size, &k, &nk));
	ASSERT_EQ(0, hls_live_init(&l, 4 * HZ));
	ASSERT_EQ(0, hls_live_feed(&l, 0, 1500, k, nk));
	ASSERT_EQ(nk - 1, l.nsegs);
	for (size_t i = 0; i < l.nsegs; i++)
		EXPECT_EQ(3 * HZ, l.segs[i].dur);
	v = (struct hls_vod){ .keys = k, .nkeys = nk, .size = size,
			      .duration = 1500 * 3600, .uri = "x" };
	ASSERT_EQ(0, hls_vod_segments(&v, 4 * HZ, &sg, &ns));
	EXPECT_EQ(nk, ns);
	for (size_t i = 0; i < ns; i++)
		EXPECT_EQ(3 * HZ, sg[i].dur);
	free(sg);
	hls_live_free(&l);
	free(k);
	free(e);
}

/* ---- SPS ---- */

TEST(sps_h264_handmade)
{
	/*
	 * x264's 1920x1080 High@4.0 SPS: 1088 coded lines cropped by 8, with
	 * an emulation-prevention byte in the VUI.
	 */
	static const uint8_t sps[] = {
		0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5,
		0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00,
		0xc8, 0x3c, 0x60, 0xc6, 0x58,
	};
	struct sps_info info;
	char s[32];

	ASSERT_EQ(0, sps_parse_h264(sps, sizeof(sps), &info));
	EXPECT_EQ(100, info.profile_idc);
	EXPECT_EQ(40, info.level_idc);
	EXPECT_EQ(1920, info.width);
	EXPECT_EQ(1080, info.height);
	EXPECT_EQ(25, info.fps_num);
	EXPECT_EQ(1, info.fps_den);
	EXPECT_EQ(11, sps_codec_string(&info, s, sizeof(s)));
	EXPECT_STREQ("avc1.640028", s);
	/* cut short anywhere before the cropping: refused, never overread */
	for (size_t n = 0; n < 9; n++) {
		EXPECT_EQ(-EINVAL, sps_parse_h264(sps, n, &info)) TH_LOG("%zu", n);
	}
}

TEST(sps_hevc_codec_string)
{
	struct sps_info info = {
		.codec = SPS_HEVC, .profile_idc = 1, .compat = 0x60000000,
		.tier = 0, .level_idc = 93, .cons = { 0xb0 },
	};
	char s[64];

	sps_codec_string(&info, s, sizeof(s));
	EXPECT_STREQ("hvc1.1.6.L93.B0", s);	/* 14496-15 E.3's example */
	info = (struct sps_info){
		.codec = SPS_HEVC, .profile_space = 0, .profile_idc = 2,
		.compat = 0x20000000, .tier = 1, .level_idc = 120,
		.cons = { 0x90, 0, 0, 0, 0, 0 },
	};
	sps_codec_string(&info, s, sizeof(s));
	EXPECT_STREQ("hvc1.2.4.H120.90", s);
	info.cons[0] = 0;
	info.profile_space = 1;
	sps_codec_string(&info, s, sizeof(s));
	EXPECT_STREQ("hvc1.A2.4.H120", s);
	/* truncated output, like snprintf */
	EXPECT_EQ(14, sps_codec_string(&info, s, 5));
	EXPECT_STREQ("hvc1", s);
}

/* ---- real media ---- */

/* One "key=value" of ffprobe's first stream of @sel; "" if none. */
static void probe(const char *path, const char *sel, const char *key, char *out, size_t n)
{
	char cmd[2048], line[256];
	size_t kl = strlen(key);
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "ffprobe -v error -select_streams %s -show_entries stream=%s -of default=nw=1 '%s'",
		 sel, key, path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!out[0] && !strncmp(line, key, kl) && line[kl] == '=') {
			snprintf(out, n, "%s", line + kl + 1);
			out[strcspn(out, "\n")] = '\0';
		}
	pclose(f);
}

struct mem {
	const uint8_t *d;
	size_t len;
	uint64_t lowest;	/* a live ring's window: -ERANGE below */
	unsigned long reads;
};

static int mem_read(void *arg, uint64_t off, void *buf, size_t len)
{
	struct mem *m = arg;

	m->reads++;
	if (off < m->lowest)
		return -ERANGE;
	if (off + len > m->len)
		return -EIO;
	memcpy(buf, m->d + off, len);
	return 0;
}

/* The whole index of a TS file, as the kernel would hand it back. */
static struct vcache_index_entry *index_of(const uint8_t *d, size_t len, size_t *n)
{
	struct vcache_index_entry *e;
	struct vindex_sent sent = { 0 };
	uint64_t last = UINT64_MAX;
	struct tsindex ix;

	tsindex_init(&ix);
	if (tsindex_feed(&ix, d, len) || tsindex_finish(&ix))
		return NULL;
	e = calloc(ix.count, sizeof(*e));
	vindex_convert(e, ix.entries, ix.count, &last, &sent);
	*n = ix.count;
	tsindex_free(&ix);
	return e;
}

static const char *profile_name(const struct sps_info *s)
{
	if (s->codec == SPS_HEVC)
		return s->profile_idc == 1 ? "Main" : s->profile_idc == 2 ? "Main 10" : "?";
	switch (s->profile_idc) {
	case 66:
		return s->constraints & 0x40 ? "Constrained Baseline" : "Baseline";
	case 77:
		return "Main";
	case 100:
		return "High";
	case 110:
		return "High 10";
	default:
		return "?";
	}
}

/* Writes @text to build/hls-samples/NAME.m3u8 for the record. */
static void keep_sample(const char *name, const char *text)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/build/hls-samples", VCACHE_ROOT);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/build/hls-samples/%s.m3u8", VCACHE_ROOT, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * @strip: every PAT and PMT after the first pair replaced by null packets,
 * as a muxer that does not repeat them would leave the stream.
 */
static void real_media(struct __test_metadata *_metadata, const char *name,
		       const char *codec_prefix, bool audio, bool strip)
{
	char dir[1024], path[1200], want[64], sample[128];
	struct ts_streams st;
	struct vcache_index_entry *e;
	struct hls_key *k;
	struct hls_vod v = { 0 };
	struct hls_buf b = { 0 }, m = { 0 };
	struct mem mem = { 0 };
	struct pl p;
	size_t len, n, nk, psi = 0;
	uint8_t *d;

	MEDIA_LOAD_TS(dir, path, name, d, &len);

	/* codecs and size, against ffprobe */
	ASSERT_EQ(0, ts_probe(d, 512 << 10, &st));
	ASSERT_TRUE(st.have_sps);
	probe(path, "v:0", "width", want, sizeof(want));
	EXPECT_EQ(atoi(want), st.sps.width);
	probe(path, "v:0", "height", want, sizeof(want));
	EXPECT_EQ(atoi(want), st.sps.height);
	probe(path, "v:0", "level", want, sizeof(want));
	EXPECT_EQ(atoi(want), st.sps.level_idc);
	probe(path, "v:0", "profile", want, sizeof(want));
	EXPECT_STREQ(want, profile_name(&st.sps));
	EXPECT_EQ(0, strncmp(st.video_codec, codec_prefix, strlen(codec_prefix)))
		TH_LOG("%s", st.video_codec);
	if (audio) {
		probe(path, "a:0", "profile", want, sizeof(want));
		EXPECT_STREQ("LC", want);
		EXPECT_EQ(2, st.aac_aot);
		snprintf(want, sizeof(want), "%s,mp4a.40.2", st.video_codec);
		EXPECT_STREQ(want, st.codecs);
	} else {
		EXPECT_EQ(0, st.audio_pid);
		EXPECT_STREQ(st.video_codec, st.codecs);
	}

	if (strip) {
		uint16_t pmt = st.pmt_pid;
		int kept = 0;

		for (size_t o = 0; o + 188 <= len; o += 188) {
			uint16_t pid = (d[o + 1] & 0x1f) << 8 | d[o + 2];

			if ((pid == 0 || pid == pmt) && kept++ >= 2) {
				d[o + 1] = 0x1f;
				d[o + 2] = 0xff;
			}
		}
	}

	e = index_of(d, len, &n);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, hls_keys(e, n, 0, len, &k, &nk));
	mem = (struct mem){ .d = d, .len = len };
	ASSERT_EQ(0, hls_keys_psi(k, nk, 0, mem_read, &mem));
	EXPECT_EQ(nk, mem.reads);
	for (size_t i = 0; i < nk; i++) {
		if (!k[i].psi)
			continue;
		psi++;
		/* the start is a PAT, the packet after it a PMT */
		EXPECT_EQ(0x47, d[k[i].start]);
		EXPECT_EQ(0x40, d[k[i].start + 1]);
		EXPECT_EQ(0x00, d[k[i].start + 2]);
		EXPECT_LE(k[i].offset - k[i].start, 3 * 188);
	}
	/* ffmpeg writes PAT and PMT before every keyframe; stripped: none */
	EXPECT_EQ(strip ? 1 : nk, psi) TH_LOG("%zu of %zu keyframes with PSI", psi, nk);
	EXPECT_TRUE(k[0].psi);
	/* ffmpeg's first packets: SDT, PAT, PMT */
	ASSERT_EQ(0, ts_psi_head(d, len, &v.map_off, &v.map_len));
	EXPECT_EQ(188, v.map_off);
	EXPECT_EQ(376, v.map_len);
	EXPECT_EQ(0x40, d[v.map_off + 1]);
	EXPECT_EQ(0x00, d[v.map_off + 2]);

	v.keys = k;
	v.nkeys = nk;
	v.size = len;
	v.duration = hls_index_duration(e, n, 0);
	v.uri = "../../v/video.ts";
	ASSERT_EQ(0, hls_vod_media(&v, 6 * HZ, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_VOD, len, &p)) TH_LOG("%s", b.s);
	EXPECT_EQ(strip, p.map);
	EXPECT_EQ(strip ? 6 : 4, p.version);
	/* 20 s of video */
	EXPECT_LT(llabs((long long)p.total_us - 20000000), 100000);
	snprintf(sample, sizeof(sample), "%s%s-media", name, strip ? "-stripped" : "");
	keep_sample(sample, b.s);
	pl_free(&p);
	{
		struct hls_master ms = {
			.media_uri = "index.m3u8?seg=6", .iframes_uri = "iframes.m3u8",
			.codecs = st.codecs, .video_codec = st.video_codec,
			.width = st.sps.width, .height = st.sps.height,
		};

		ASSERT_EQ(0, hls_vod_master(&v, 6 * HZ, &ms, &m));
		check_master(_metadata, m.s, b.s, len, st.codecs, st.video_codec,
			     st.sps.width, st.sps.height);
		snprintf(sample, sizeof(sample), "%s%s-master", name, strip ? "-stripped" : "");
		keep_sample(sample, m.s);
		hls_buf_free(&m);
	}
	hls_buf_free(&b);
	ASSERT_EQ(0, hls_vod_iframes(&v, &b));
	ASSERT_EQ(0, check_media(_metadata, b.s, PL_IFRAMES, len, &p)) TH_LOG("%s", b.s);
	EXPECT_EQ(nk, p.n);
	EXPECT_EQ(strip ? 5 : 4, p.version);
	snprintf(sample, sizeof(sample), "%s%s-iframes", name, strip ? "-stripped" : "");
	keep_sample(sample, b.s);
	/* each I-frame range: PSI, the keyframe's PES, up to the next frame */
	for (size_t i = 0; i < p.n; i++) {
		const uint8_t *q = d + k[i].offset;

		EXPECT_EQ(0x47, q[0]);
		EXPECT_TRUE(q[1] & 0x40);	/* PUSI */
		EXPECT_EQ(k[i].frame_end, p.segs[i].off + p.segs[i].len);
	}
	pl_free(&p);
	hls_buf_free(&b);
	free(k);
	free(e);
	free(d);
}

TEST(media_h264_25)
{
	real_media(_metadata, "h264_25", "avc1.64", false, false);
}

TEST(media_h264_2997)
{
	real_media(_metadata, "h264_2997", "avc1.64", false, false);
}

TEST(media_h264_wrap)
{
	real_media(_metadata, "h264_wrap", "avc1.64", false, false);
}

TEST(media_hevc_25)
{
	real_media(_metadata, "hevc_25", "hvc1.1.6.L", false, false);
}

TEST(media_h264_aac_25)
{
	real_media(_metadata, "h264_aac_25", "avc1.64", true, false);
}

TEST(media_h264_no_repeated_psi)
{
	real_media(_metadata, "h264_25", "avc1.64", false, true);
}

TEST(media_mpeg2_no_codec)
{
	char dir[1024], path[1200];
	struct ts_streams st;
	size_t len;
	uint8_t *d;

	if (!media_dir(_metadata, dir, sizeof(dir)))
		SKIP(return, "no test media");
	snprintf(path, sizeof(path), "%s/mpeg2_25.ts", dir);
	d = media_load(path, &len);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, ts_probe(d, len, &st));
	EXPECT_EQ(0x02, st.video_type);
	EXPECT_FALSE(st.have_sps);
	EXPECT_STREQ("", st.codecs);	/* the master leaves CODECS out */
	free(d);
}

/* The finder on hand-made packet runs around a keyframe. */
TEST(psi_before_rules)
{
	uint8_t pat[188], pmt[188], sdt[188], nul[188], vid[188], buf[188 * 6];
	size_t back;

	memset(pat, 0xff, 188);
	/* PAT: program 1 -> PMT PID 0x1000 */
	memcpy(pat, (uint8_t[]){ 0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01,
				 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00, 0, 0, 0, 0 }, 21);
	memset(pmt, 0xff, 188);
	memcpy(pmt, (uint8_t[]){ 0x47, 0x50, 0x00, 0x10, 0x00, 0x02, 0xb0, 0x12, 0x00, 0x01,
				 0xc1, 0x00, 0x00, 0xe1, 0x00, 0xf0, 0x00, 0x1b, 0xe1, 0x00,
				 0xf0, 0x00, 0, 0, 0, 0 }, 26);
	memset(sdt, 0xff, 188);
	memcpy(sdt, (uint8_t[]){ 0x47, 0x40, 0x11, 0x10 }, 4);
	memset(nul, 0xff, 188);
	memcpy(nul, (uint8_t[]){ 0x47, 0x1f, 0xff, 0x10 }, 4);
	memset(vid, 0, 188);
	memcpy(vid, (uint8_t[]){ 0x47, 0x01, 0x00, 0x10 }, 4);

#define RUN(...) do {							\
		const uint8_t *pk[] = { __VA_ARGS__ };			\
		size_t np = sizeof(pk) / sizeof(pk[0]);			\
		for (size_t i = 0; i < np; i++)				\
			memcpy(buf + i * 188, pk[i], 188);		\
		err = ts_psi_before(buf, np * 188, &back);		\
	} while (0)
	int err;

	RUN(vid, sdt, pat, pmt);
	EXPECT_EQ(0, err);
	EXPECT_EQ(376, back);
	RUN(vid, pat, sdt, pmt, nul);
	EXPECT_EQ(0, err);
	EXPECT_EQ(4 * 188, back);
	RUN(pat, pmt, vid);			/* video between: no */
	EXPECT_EQ(-ENOENT, err);
	RUN(vid, vid, pat);			/* no PMT after the PAT */
	EXPECT_EQ(-ENOENT, err);
	RUN(vid, pmt);				/* no PAT */
	EXPECT_EQ(-ENOENT, err);
	EXPECT_EQ(-ENOENT, ts_psi_before(buf, 100, &back));	/* under a packet */
	pat[0] = 0;				/* lost sync */
	RUN(pat, pmt);
	EXPECT_EQ(-ENOENT, err);
#undef RUN
}

TEST_HARNESS_MAIN
