// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/vindex.c: the entries handed to the kernel, the
 * damage line, and indexing through read-only mappings window by window
 * (a memfd stands in for the video: mmap(2) of it works the same way).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Many windows even over the small test media, and one page exactly. */
#define VINDEX_WINDOW	(64u << 10)

#include "tsindex.h"
#include "vindex.h"
#include "kselftest_harness.h"
#include "media.h"

#ifndef VCACHE_ROOT
#define VCACHE_ROOT "."
#endif

#define E(p, o, f)	((struct tsindex_entry){ .pts = (p), .offset = (o), .flags = (f) })

TEST(convert_flags_and_order)
{
	const struct tsindex_entry in[] = {
		E(0, 0, TSINDEX_KEY | TSINDEX_RAI), E(3600, 940, 0), E(7200, 564, 0),
		E(10800, 1880, TSINDEX_RAI), E(14400, 2256, TSINDEX_KEY),
	};
	struct vcache_index_entry out[5];
	struct vindex_sent sent = { 0 };
	uint64_t last = UINT64_MAX;
	size_t i;

	memset(out, 0xff, sizeof(out));
	vindex_convert(out, in, 5, &last, &sent);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(in[i].pts, out[i].pts);
		EXPECT_EQ(in[i].offset, out[i].offset);
		/* RAI alone is not a keyframe; only the KEY flag goes through. */
		EXPECT_EQ(in[i].flags & TSINDEX_KEY ? VCACHE_INDEX_KEY : 0, out[i].flags);
		EXPECT_EQ(0, out[i].__pad);
	}
	EXPECT_EQ(5, sent.entries);
	EXPECT_EQ(2, sent.keys);
	EXPECT_EQ(0, sent.demoted);
	EXPECT_EQ(2256, last);
}

/* A keyframe shown later but stored earlier is sent as a plain frame. */
TEST(convert_demotes_keys_out_of_byte_order)
{
	const struct tsindex_entry a[] = { E(0, 5000, TSINDEX_KEY), E(100, 6000, 0) };
	const struct tsindex_entry b[] = {
		E(200, 188, TSINDEX_KEY), E(300, 5000, TSINDEX_KEY), E(400, 7000, TSINDEX_KEY),
	};
	struct vcache_index_entry out[3];
	struct vindex_sent sent = { 0 };
	uint64_t last = UINT64_MAX;

	vindex_convert(out, a, 2, &last, &sent);
	/* The state carries over from one batch to the next. */
	vindex_convert(out, b, 3, &last, &sent);
	EXPECT_EQ(0, out[0].flags);
	EXPECT_EQ(VCACHE_INDEX_KEY, out[1].flags);	/* equal offsets are fine */
	EXPECT_EQ(VCACHE_INDEX_KEY, out[2].flags);
	EXPECT_EQ(5, sent.entries);
	EXPECT_EQ(3, sent.keys);
	EXPECT_EQ(1, sent.demoted);
	EXPECT_EQ(7000, last);
}

TEST(damage_line)
{
	struct tsindex_stats st = { 0 };
	char buf[256];

	EXPECT_EQ(0, vindex_damage(buf, sizeof(buf), &st));
	EXPECT_STREQ("", buf);
	/* Counts that are not damage stay out of it. */
	st.packets = 1000;
	st.frames = 50;
	st.dropped = 2;
	EXPECT_EQ(0, vindex_damage(buf, sizeof(buf), &st));
	st.bytes_skipped = 1880;
	st.sync_losses = 1;
	st.pes_errors = 2;
	vindex_damage(buf, sizeof(buf), &st);
	EXPECT_STREQ("1880 bytes skipped, 1 sync loss, 2 bad PES headers", buf);
	st.no_pts = 1;
	st.cc_errors = 3;
	EXPECT_EQ(strlen("1880 bytes skipped, 1 sync loss, 3 continuity errors, "
			 "2 bad PES headers, 1 frame without PTS"),
		  vindex_damage(buf, 10, &st));
	EXPECT_STREQ("1880 byte", buf);		/* cut, and terminated */
}

/* A memfd holding @len bytes of @d. */
static int memfd_of(const void *d, size_t len)
{
	int fd = memfd_create("video", 0);

	if (fd >= 0 && write(fd, d, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The mapped scan, window by window, gives what one big feed gives. */
/* CREATE's bounds (kmod/ioctl.c vcache_fps_ok()): 1 to 1000 fps, terms to 10^6. */
TEST(fps_ok_bounds)
{
	/* In range: the common rates, drop-frame ones, and both ends. */
	EXPECT_TRUE(vindex_fps_ok(25, 1));
	EXPECT_TRUE(vindex_fps_ok(30000, 1001));
	EXPECT_TRUE(vindex_fps_ok(60000, 1001));
	EXPECT_TRUE(vindex_fps_ok(24000, 1001));
	EXPECT_TRUE(vindex_fps_ok(25, 2));
	EXPECT_TRUE(vindex_fps_ok(1, 1));
	EXPECT_TRUE(vindex_fps_ok(1000, 1));
	EXPECT_TRUE(vindex_fps_ok(1000000, 1000));
	EXPECT_TRUE(vindex_fps_ok(1000000, 1000000));

	/* Zero in either term. */
	EXPECT_FALSE(vindex_fps_ok(25, 0));
	EXPECT_FALSE(vindex_fps_ok(0, 1));
	EXPECT_FALSE(vindex_fps_ok(0, 0));

	/* Just under 1 fps, just over 1000. */
	EXPECT_FALSE(vindex_fps_ok(999, 1000));
	EXPECT_FALSE(vindex_fps_ok(1001, 1));
	EXPECT_FALSE(vindex_fps_ok(1000001, 1000));
	EXPECT_FALSE(vindex_fps_ok(1000000, 1000001));

	/* A rate in range, but a term past 10^6: the kernel refuses it too. */
	EXPECT_FALSE(vindex_fps_ok(1000001, 1000001));
	EXPECT_FALSE(vindex_fps_ok(2000002, 80000));
	/* The 32-bit extremes. */
	EXPECT_FALSE(vindex_fps_ok(UINT32_MAX, UINT32_MAX));
	EXPECT_FALSE(vindex_fps_ok(UINT32_MAX, 4294968));
}

/* A probe that found rate @num/@den by @src. */
static struct tsindex probe_of(enum tsindex_fps_source src, uint32_t num, uint32_t den)
{
	struct tsindex ix;

	tsindex_init(&ix);
	ix.fps_source = src;
	ix.fps_num = num;
	ix.fps_den = den;
	return ix;
}

TEST(rate_from_probe_else_25)
{
	static const struct {
		enum tsindex_fps_source src;
		uint32_t num, den;		/* what the probe says */
		enum tsindex_fps_source want;
		uint32_t want_num, want_den;	/* what CREATE gets */
	} c[] = {
		{ TSINDEX_FPS_SPS, 30000, 1001, TSINDEX_FPS_SPS, 30000, 1001 },
		{ TSINDEX_FPS_PTS, 30000, 1001, TSINDEX_FPS_PTS, 30000, 1001 },
		{ TSINDEX_FPS_SPS, 60000, 1001, TSINDEX_FPS_SPS, 60000, 1001 },
		{ TSINDEX_FPS_PTS, 50, 1, TSINDEX_FPS_PTS, 50, 1 },
		{ TSINDEX_FPS_SPS, 25, 2, TSINDEX_FPS_SPS, 25, 2 },
		/* Nothing found: whatever the fields hold, 25. */
		{ TSINDEX_FPS_NONE, 0, 0, TSINDEX_FPS_NONE, 25, 1 },
		{ TSINDEX_FPS_NONE, 30000, 1001, TSINDEX_FPS_NONE, 25, 1 },
		/* Found, but not a rate CREATE takes: 25, not a failed CREATE. */
		{ TSINDEX_FPS_SPS, 30000, 0, TSINDEX_FPS_NONE, 25, 1 },
		{ TSINDEX_FPS_SPS, 0, 1, TSINDEX_FPS_NONE, 25, 1 },
		{ TSINDEX_FPS_SPS, 2000, 1, TSINDEX_FPS_NONE, 25, 1 },
		{ TSINDEX_FPS_PTS, 1, 2, TSINDEX_FPS_NONE, 25, 1 },
		{ TSINDEX_FPS_SPS, 180000000, 6006000, TSINDEX_FPS_NONE, 25, 1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct tsindex ix = probe_of(c[i].src, c[i].num, c[i].den);
		uint32_t num = 7, den = 7;

		EXPECT_EQ(c[i].want, vindex_rate(&ix, &num, &den)) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].want_num, num) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].want_den, den) TH_LOG("case %u", i);
		tsindex_free(&ix);
	}
}

/* No probe (it failed): the default, as when it found nothing. */
TEST(rate_without_probe)
{
	uint32_t num = 7, den = 7;

	EXPECT_EQ(TSINDEX_FPS_NONE, vindex_rate(NULL, &num, &den));
	EXPECT_EQ(VINDEX_FPS_NUM, num);
	EXPECT_EQ(VINDEX_FPS_DEN, den);
	EXPECT_EQ(25, num);
	EXPECT_EQ(1, den);
}

/* The test media's first bytes give their own rates; junk gives 25. */
TEST(rate_of_media_heads)
{
	static const struct {
		const char *name;
		uint32_t num, den;
	} m[] = {
		{ "h264_25", 25, 1 }, { "h264_2997", 30000, 1001 },
		{ "hevc_25", 25, 1 }, { "mpeg2_25", 25, 1 },
	};
	static uint8_t junk[200000];
	unsigned int i, found = 0;
	struct tsindex ix;
	uint32_t num, den;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		char path[1024];
		size_t len = 0;
		uint8_t *d;

		snprintf(path, sizeof(path), "%s/build/media/%s.ts", VCACHE_ROOT, m[i].name);
		d = media_load(path, &len);
		if (!d)
			continue;
		found++;
		ASSERT_EQ(0, vindex_probe(&ix, d, len < VINDEX_PROBE ? len : VINDEX_PROBE));
		EXPECT_NE(TSINDEX_FPS_NONE, vindex_rate(&ix, &num, &den)) TH_LOG("%s", m[i].name);
		EXPECT_EQ(m[i].num, num) TH_LOG("%s", m[i].name);
		EXPECT_EQ(m[i].den, den) TH_LOG("%s", m[i].name);
		tsindex_free(&ix);
		free(d);
	}
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 2654435761u >> 13);
	ASSERT_EQ(0, vindex_probe(&ix, junk, sizeof(junk)));
	EXPECT_EQ(TSINDEX_FPS_NONE, vindex_rate(&ix, &num, &den));
	EXPECT_EQ(25, num);
	EXPECT_EQ(1, den);
	tsindex_free(&ix);
	if (!found)
		SKIP(return, "no media in %s/build/media (make unit makes them)", VCACHE_ROOT);
}

TEST(scan_equals_whole_feed)
{
	static const char * const names[] = { "h264_25", "h264_2997", "hevc_25", "mpeg2_25" };
	unsigned int i, found = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct tsindex whole, scan, probe;
		char path[1024];
		size_t len = 0;
		uint8_t *d;
		int fd;

		snprintf(path, sizeof(path), "%s/build/media/%s.ts", VCACHE_ROOT, names[i]);
		d = media_load(path, &len);
		if (!d)
			continue;
		found++;
		ASSERT_GT(len, 3 * VINDEX_WINDOW);
		fd = memfd_of(d, len);
		ASSERT_LE(0, fd);

		tsindex_init(&whole);
		ASSERT_EQ(0, tsindex_feed(&whole, d, len));
		ASSERT_EQ(0, tsindex_finish(&whole));
		ASSERT_EQ(0, vindex_scan(&scan, fd, len, NULL));
		EXPECT_EQ(whole.count, scan.count);
		EXPECT_EQ(0, memcmp(whole.entries, scan.entries,
				    whole.count * sizeof(*whole.entries)));
		EXPECT_EQ(whole.fps_num, scan.fps_num);
		EXPECT_EQ(whole.fps_den, scan.fps_den);
		EXPECT_EQ(whole.fps_source, scan.fps_source);
		EXPECT_EQ(0, memcmp(&whole.stats, &scan.stats, sizeof(whole.stats)));

		/* The first 4 MiB tell the rate of these small videos too. */
		ASSERT_EQ(0, vindex_probe(&probe, d, len < VINDEX_PROBE ? len : VINDEX_PROBE));
		EXPECT_EQ(whole.fps_num, probe.fps_num) TH_LOG("%s", names[i]);
		EXPECT_EQ(whole.fps_den, probe.fps_den) TH_LOG("%s", names[i]);
		EXPECT_NE(0, probe.stream_type);

		tsindex_free(&whole);
		tsindex_free(&scan);
		tsindex_free(&probe);
		close(fd);
		free(d);
	}
	if (!found)
		SKIP(return, "no media in %s/build/media (make unit makes them)", VCACHE_ROOT);
}

/* Random bytes and nothing at all: no video stream, and no error. */
TEST(scan_without_video)
{
	static uint8_t junk[200000];
	struct tsindex ix;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 2654435761u >> 13);
	fd = memfd_of(junk, sizeof(junk));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vindex_scan(&ix, fd, sizeof(junk), NULL));
	EXPECT_EQ(0, ix.stream_type);
	EXPECT_EQ(0, ix.count);
	tsindex_free(&ix);
	ASSERT_EQ(0, vindex_scan(&ix, fd, 0, NULL));
	EXPECT_EQ(0, ix.stream_type);
	tsindex_free(&ix);
	ASSERT_EQ(0, vindex_probe(&ix, junk, 0));
	EXPECT_EQ(0, ix.stream_type);
	EXPECT_EQ(TSINDEX_FPS_NONE, ix.fps_source);
	tsindex_free(&ix);
	close(fd);
}

TEST(scan_stops_on_signal)
{
	static const volatile sig_atomic_t stop = 1;
	static uint8_t junk[4096];
	int fd = memfd_of(junk, sizeof(junk)), wfd;
	struct tsindex ix;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINTR, vindex_scan(&ix, fd, sizeof(junk), &stop));
	tsindex_free(&ix);
	close(fd);
	/* A descriptor that cannot be mapped: its errno comes back. */
	wfd = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(-EACCES, vindex_scan(&ix, wfd, 4096, NULL));
	tsindex_free(&ix);
	close(wfd);
}

/*
 * A stand-in for the kernel's INDEX_READ, by its uapi text: entry p of
 * @total has pts p, a keyframe every @gop; positions below @dropped are
 * gone; a call copies at most @per_call. After call number @drop_at, the
 * window drops @drop_more more entries (the writer racing the reader).
 */
struct fake_index {
	uint64_t total, dropped, gop;
	uint32_t per_call;
	int calls, drop_at, err_at, err;
	uint64_t drop_more;
};

static struct vcache_index_entry fake_entry(const struct fake_index *f, uint64_t p)
{
	return (struct vcache_index_entry){
		.pts = p, .offset = p * 188, .flags = p % f->gop ? 0 : VCACHE_INDEX_KEY,
	};
}

static int fake_read(void *ctx, struct vcache_index_read *req)
{
	struct fake_index *f = ctx;
	struct vcache_index_entry *dst = (void *)(uintptr_t)req->entries;
	uint32_t want = req->capacity < f->per_call ? req->capacity : f->per_call;
	uint64_t pos = req->position;

	if (++f->calls == f->err_at)
		return f->err;
	if (f->calls == f->drop_at)
		f->dropped += f->drop_more;
	if (req->flags & ~VCACHE_INDEX_READ_KEYS || req->__pad)
		return -EINVAL;
	if (!f->total)
		return -ENODATA;
	req->first = f->dropped;
	req->end = f->total;
	req->count = 0;
	if (pos < f->dropped)
		pos = f->dropped;
	if (pos >= f->total) {
		req->next = req->position > pos ? req->position : pos;
		return 0;
	}
	for (; pos < f->total && req->count < want; pos++)
		if (!(req->flags & VCACHE_INDEX_READ_KEYS) || !(pos % f->gop))
			dst[req->count++] = fake_entry(f, pos);
	if (req->flags & VCACHE_INDEX_READ_KEYS)
		while (pos < f->total && pos % f->gop)
			pos++;
	req->next = pos;
	return 0;
}

TEST(read_all_batches)
{
	struct fake_index f = { .total = 10007, .gop = 30, .per_call = 333 };
	struct vindex_copy c;
	size_t i;

	ASSERT_EQ(0, vindex_read_from(fake_read, &f, 0, &c));
	ASSERT_EQ(10007, c.count);
	EXPECT_EQ(0, c.first);
	EXPECT_EQ(10007, c.end);
	for (i = 0; i < c.count; i++)
		ASSERT_EQ(i, c.entries[i].pts);
	EXPECT_EQ(1 + (10007 + 332) / 333, f.calls);	/* the bounds, then batches */
	free(c.entries);

	/* Keyframes only: the buffer grows as they come. */
	f.calls = 0;
	ASSERT_EQ(0, vindex_read_from(fake_read, &f, VCACHE_INDEX_READ_KEYS, &c));
	ASSERT_EQ((10007 + 29) / 30, c.count);
	for (i = 0; i < c.count; i++) {
		ASSERT_EQ(i * 30, c.entries[i].pts);
		ASSERT_EQ(VCACHE_INDEX_KEY, c.entries[i].flags);
	}
	EXPECT_EQ(10007, c.end);
	free(c.entries);
}

TEST(read_live_and_races)
{
	struct fake_index f = { .total = 5000, .dropped = 1200, .gop = 50, .per_call = 100 };
	struct vindex_copy c;
	size_t i;

	/* Live: from the oldest held, positions absolute. */
	ASSERT_EQ(0, vindex_read_from(fake_read, &f, 0, &c));
	EXPECT_EQ(1200, c.first);
	ASSERT_EQ(3800, c.count);
	EXPECT_EQ(1200, c.entries[0].pts);
	free(c.entries);

	/* The window moves mid-read: it starts over, and the copy has no hole. */
	f.calls = 0;
	f.drop_at = 5;
	f.drop_more = 500;		/* read so far: up to 1500 */
	ASSERT_EQ(0, vindex_read_from(fake_read, &f, 0, &c));
	EXPECT_EQ(1700, c.first);
	ASSERT_EQ(3300, c.count);
	for (i = 0; i < c.count; i++)
		ASSERT_EQ(1700 + i, c.entries[i].pts);
	/* 5 calls in the pass that saw the hole, 1 + 33 in the next. */
	EXPECT_EQ(5 + 1 + 33, f.calls);
	free(c.entries);
}

/* Drops an entry on every call but the bounds query: the reader never wins. */
static int outrun_read(void *ctx, struct vcache_index_read *req)
{
	struct fake_index *f = ctx;

	if (req->capacity)
		f->dropped += 1;
	return fake_read(ctx, req);
}

TEST(read_errors)
{
	struct fake_index f = { .total = 5000, .gop = 50, .per_call = 10 };
	struct fake_index none = { .total = 0, .gop = 1, .per_call = 10 };
	struct vindex_copy c;

	/* A window that always outruns the reader: EAGAIN, not forever. */
	EXPECT_EQ(-EAGAIN, vindex_read_from(outrun_read, &f, 0, &c));
	EXPECT_EQ(NULL, c.entries);
	EXPECT_EQ(0, c.count);
	EXPECT_EQ(-ENODATA, vindex_read_from(fake_read, &none, 0, &c));
	/* An error in the middle: nothing kept (ASan sees no leak). */
	f.dropped = 0;
	f.calls = 0;
	f.err_at = 7;
	f.err = -EFAULT;
	EXPECT_EQ(-EFAULT, vindex_read_from(fake_read, &f, 0, &c));
	EXPECT_EQ(NULL, c.entries);
	/* Bad flags reach the kernel, which says so. */
	f.err_at = 0;
	EXPECT_EQ(-EINVAL, vindex_read_from(fake_read, &f, 2, &c));
	/* No such device, no such name. */
	EXPECT_EQ(-ENOENT, vindex_read_name("/nonexistent/vcache", "x", 0, &c));
	EXPECT_EQ(-EINVAL, vindex_read_name("/dev/null",
					    "a-name-longer-than-sixty-four-bytes-"
					    "is-refused-before-any-call-is-made", 0, &c));
}

TEST_HARNESS_MAIN
