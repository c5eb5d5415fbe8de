// SPDX-License-Identifier: GPL-2.0
/*
 * HLS playlist generation time against index size (issue 16 point 5).
 *
 * What vcache-streamer does once per sealed video and playlist kind (then
 * serves from its cache): the keyframes from the kernel's index entries
 * (hls_keys()), then the media playlist at ?seg=6, the I-frame playlist
 * and the master playlist (user/lib/hls.c, the code the streamer runs).
 * The index is synthetic and shaped like the test media's: 25 fps, an entry
 * per frame, a keyframe every 2 s, 4,000 bytes a frame; its sizes are
 * 10 min, 1 h and 10 h of video (15,000 to 900,000 entries). Reading the
 * index out of the kernel (VCACHE_IOC_INDEX_READ) is not in it: that is a
 * copy of 32 bytes an entry, measured by the module's own benches.
 *
 * Pure user-space work, so it runs on the host (no TCG distortion): each
 * size is built --reps times, the sizes taking turns within a round; the
 * result is the median, with the spread (min..max). Each playlist is also
 * checked for its segment count, so that a fast wrong answer cannot pass.
 *
 * Output: a Markdown table, and "RATIO name value" lines: ns per entry at
 * 10 h over 10 min (1.0 = linear, as it should be).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hls.h"

#define FPS		25
#define GOP		(2 * FPS)
#define FRAME_BYTES	4000
#define TICKS		(90000 / FPS)

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct vcache_index_entry *make_index(size_t n)
{
	struct vcache_index_entry *e = calloc(n, sizeof(*e));
	size_t i;

	if (!e)
		return NULL;
	for (i = 0; i < n; i++) {
		e[i].pts = (uint64_t)i * TICKS;
		e[i].offset = (uint64_t)i * FRAME_BYTES;
		e[i].flags = i % GOP ? 0 : VCACHE_INDEX_KEY;
	}
	return e;
}

static size_t count_lines(const struct hls_buf *b, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = b->s, *end = b->s + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (!strncmp(p, prefix, plen))
			n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* One build of the three playlists; its time in ms, or < 0 on an error. */
static double build(const struct vcache_index_entry *e, size_t n, size_t *bytes)
{
	struct hls_master m = { "index.m3u8?seg=6", "iframes.m3u8", "avc1.64000d",
				"avc1.64000d", 160, 90 };
	struct hls_buf media = { 0 }, iframes = { 0 }, master = { 0 };
	uint64_t size = (uint64_t)n * FRAME_BYTES, target = 6 * 90000ULL;
	struct hls_key *keys = NULL;
	struct hls_vod v = { 0 };
	double t0, t;
	size_t nkeys;
	int err;

	t0 = now_ms();
	err = hls_keys(e, n, 0, size, &keys, &nkeys);
	if (!err) {
		v.keys = keys;
		v.nkeys = nkeys;
		v.size = size;
		v.duration = hls_index_duration(e, n, TICKS);
		v.uri = "../../v/video.ts";
		err = hls_vod_media(&v, target, &media) ?:
		      hls_vod_iframes(&v, &iframes) ?:
		      hls_vod_master(&v, target, &m, &master);
	}
	t = now_ms() - t0;
	/* 2 s GOPs at a 6 s target: three GOPs a segment; every GOP an I-frame. */
	if (!err && (count_lines(&media, "#EXTINF:") != (n / GOP + 2) / 3 ||
		     count_lines(&iframes, "#EXTINF:") != n / GOP)) {
		fprintf(stderr, "hls_bench: %zu entries: %zu segments, %zu I-frames\n", n,
			count_lines(&media, "#EXTINF:"), count_lines(&iframes, "#EXTINF:"));
		err = -EINVAL;
	}
	*bytes = media.len + iframes.len + master.len;
	free(keys);
	free(media.s);
	free(iframes.s);
	free(master.s);
	return err ? err : t;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *label;
		size_t secs;
	} sizes[] = { { "10 min", 600 }, { "1 h", 3600 }, { "10 h", 36000 } };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	int reps = argc > 1 ? atoi(argv[1]) : 7, r, s;
	struct vcache_index_entry *idx[NS];
	double *ms[NS], med[NS], per[NS];
	size_t bytes[NS];

	if (reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: hls_bench [REPS (1..1000, default 7)]\n");
		return 2;
	}
	for (s = 0; s < NS; s++) {
		idx[s] = make_index(sizes[s].secs * FPS);
		ms[s] = calloc(reps, sizeof(double));
		if (!idx[s] || !ms[s])
			return 1;
	}
	for (r = 0; r < reps; r++) {
		for (s = 0; s < NS; s++) {
			ms[s][r] = build(idx[s], sizes[s].secs * FPS, &bytes[s]);
			if (ms[s][r] < 0) {
				fprintf(stderr, "hls_bench: %s: %s\n", sizes[s].label,
					strerror((int)-ms[s][r]));
				return 1;
			}
		}
	}
	printf("| video | index entries | playlists (bytes) | build, median ms (min..max) | ns per entry |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (s = 0; s < NS; s++) {
		size_t n = sizes[s].secs * FPS;

		qsort(ms[s], reps, sizeof(double), cmp_double);
		med[s] = ms[s][reps / 2];
		per[s] = med[s] * 1e6 / n;
		printf("| %s | %zu | %zu | %.2f (%.2f..%.2f) | %.0f |\n", sizes[s].label, n,
		       bytes[s], med[s], ms[s][0], ms[s][reps - 1], per[s]);
	}
	printf("\n%d builds of each, sizes interleaved; keys, media (?seg=6), I-frame and "
	       "master playlists, as the streamer builds them once per sealed video.\n", reps);
	printf("RATIO hls_playlists_10h_ms %.2f\n", med[NS - 1]);
	printf("RATIO hls_ns_per_entry_10h_over_10min %.2f\n", per[NS - 1] / per[0]);
	for (s = 0; s < NS; s++) {
		free(idx[s]);
		free(ms[s]);
	}
	return 0;
}
