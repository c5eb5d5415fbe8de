// SPDX-License-Identifier: GPL-2.0
/*
 * Timecode seeking end to end, against ffprobe's ground truth: real
 * MPEG-TS videos made by ffmpeg are loaded with "vcachectl load" (which
 * indexes them), then every keyframe ffprobe reports is sought with
 * "vcachectl seek" at its timecode and must come back at exactly ffprobe's
 * byte position, every frame between keyframes at the keyframe before it,
 * and "vcachectl cat --at" must hand ffprobe a chunk that decodes from that
 * keyframe.
 *
 * The media are two minutes long and made on the host before the VM boots
 * (make selftests runs scripts/make-test-media -d 120 build/media-long):
 * ffmpeg under TCG takes fifteen times as long. Without them the tests
 * skip, saying so. Runs as root from the repository root, with the module
 * loaded and ./build/user/vcachectl built.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <vcache/timecode.h>
#include "vcache_util.h"
#include "run_util.h"
#include "kselftest_harness.h"

#define MEDIA		"build/media-long"
#define PTS_WRAP	(1ULL << 33)

/* --- running vcachectl ---------------------------------------------------- */

static void rm_video(const char *name)
{
	struct run r;

	run(&r, "rm", name, NULL);
	run_free(&r);
}

/* --- the ground truth ------------------------------------------------------ */

/* A keyframe as ffprobe sees it, in the index's terms. */
struct key {
	uint64_t pos;		/* ffprobe's pos: the TS packet starting its PES */
	uint64_t pts;		/* after the first keyframe, 90 kHz */
	uint64_t frame;		/* its frame number at the video's rate */
};

struct truth {
	struct key *keys;
	size_t nkeys;
	size_t frames;		/* frames indexed: from the first keyframe on */
	long long base;		/* ffprobe's pts of the first keyframe */
	uint64_t last_pts;	/* the last frame shown, after the first key */
};

/*
 * Reads NAME.csv (pts,pos,flags per video packet, stream order). The index
 * starts at the first keyframe: its pts is time 0, and frames before it in
 * stream order are not indexed (the media have no leading pictures shown
 * before it; tsindex_test checks that).
 */
static int load_truth(const char *path, uint32_t num, uint32_t den, struct truth *t)
{
	FILE *f = fopen(path, "r");
	unsigned long long pos;
	bool started = false;
	long long pts;
	char flags[16];
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	if (!f)
		return -1;
	while (fscanf(f, "%lld,%llu,%15s", &pts, &pos, flags) == 3) {
		bool key = flags[0] == 'K';
		uint64_t rel;

		if (!started && !key)
			continue;
		if (!started) {
			started = true;
			t->base = pts;
		}
		rel = pts - t->base;
		t->frames++;
		if (rel > t->last_pts)
			t->last_pts = rel;
		if (!key)
			continue;
		if (t->nkeys == cap) {
			cap = cap ? 2 * cap : 256;
			t->keys = realloc(t->keys, cap * sizeof(*t->keys));
			if (!t->keys)
				abort();
		}
		t->keys[t->nkeys++] = (struct key){
			.pos = pos, .pts = rel, .frame = vcache_pts_to_frame(rel, num, den),
		};
	}
	fclose(f);
	return t->nkeys ? 0 : -1;
}

/* The keyframe playback of frame @frame starts at: the last at or before it. */
static const struct key *key_for(const struct truth *t, uint64_t frame)
{
	size_t i = 0;

	while (i + 1 < t->nkeys && t->keys[i + 1].frame <= frame)
		i++;
	return &t->keys[i];
}

/* "HH:MM:SS:FF" (or ";FF") of @frame; asserts the label exists. */
static const char *label(uint64_t frame, uint32_t num, uint32_t den, bool drop)
{
	static char bufs[4][32];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	struct vcache_tc tc;

	if (vcache_frame_to_tc(frame, vcache_tc_fps(num, den),
			       drop ? vcache_tc_drop(num, den) : 0, &tc))
		abort();
	snprintf(buf, 32, "%02u:%02u:%02u%c%02u", tc.hh, tc.mm, tc.ss, drop ? ';' : ':', tc.ff);
	return buf;
}

static bool have_ffprobe(void)
{
	return !system("command -v ffprobe >/dev/null 2>&1");
}

/* --- per video ------------------------------------------------------------- */

FIXTURE(media) {
	char name[VCACHE_NAME_MAX];
	char path[256];
	struct truth t;
	bool drop;		/* the rate has drop-frame labels */
	char summary[512];	/* what load printed */
};

/*
 * A vcachectl run costs some 40 ms under TCG, so only the two rates of the
 * issue (25 fps, and 29.97 with both label styles) have every keyframe
 * sought through vcachectl; the other codecs have every keyframe (and every
 * frame) through the ioctl, and every fifth keyframe through vcachectl.
 */
FIXTURE_VARIANT(media) {
	const char *file;
	uint32_t num, den;
	const char *fps_from;	/* what load says about the rate */
	bool every_key;		/* seek every keyframe with vcachectl */
};

FIXTURE_VARIANT_ADD(media, h264_25) {
	.file = "h264_25", .num = 25, .den = 1, .fps_from = "25 fps from the SPS",
	.every_key = true,
};

FIXTURE_VARIANT_ADD(media, h264_2997) {
	.file = "h264_2997", .num = 30000, .den = 1001,
	.fps_from = "29.97 fps from the SPS", .every_key = true,
};

/* PTS crossing the 33-bit wrap 8.7 s in. */
FIXTURE_VARIANT_ADD(media, h264_wrap) {
	.file = "h264_wrap", .num = 25, .den = 1, .fps_from = "25 fps from the SPS",
};

/* Open GOP: CRA keyframes with leading pictures; the rate from the PTS. */
FIXTURE_VARIANT_ADD(media, hevc_25) {
	.file = "hevc_25", .num = 25, .den = 1, .fps_from = "25 fps from the PTS steps",
};

FIXTURE_VARIANT_ADD(media, mpeg2_25) {
	.file = "mpeg2_25", .num = 25, .den = 1, .fps_from = "25 fps from the PTS steps",
};

FIXTURE_SETUP(media)
{
	char csv[256];
	struct run r;

	VC_NEED_TREE_FILE(CTL, X_OK, "build " CTL " first (make user)");
	snprintf(self->path, sizeof(self->path), MEDIA "/%s.ts", variant->file);
	snprintf(csv, sizeof(csv), MEDIA "/%s.csv", variant->file);
	if (access(self->path, R_OK) || access(csv, R_OK))
		SKIP(return,
		     "no %s: make selftests makes it on the host (scripts/make-test-media -d 120 "
		     MEDIA "; needs ffmpeg with libx264%s)",
		     self->path, strstr(variant->file, "hevc") ? " and libx265" : "");
	ASSERT_EQ(0, load_truth(csv, variant->num, variant->den, &self->t));
	ASSERT_GE(self->t.nkeys, 30) TH_LOG("%s: too short for this test", csv);
	self->drop = vcache_tc_drop(variant->num, variant->den);
	snprintf(self->name, sizeof(self->name), "%s", vc_name(variant->file));
	ASSERT_EQ(0, run(&r, "load", self->name, self->path, NULL)) TH_LOG("%s", r.err);
	/* Clean media: a summary line and not a word on stderr. */
	EXPECT_EQ(0, r.err_len) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, variant->fps_from)) TH_LOG("%s", r.out);
	snprintf(self->summary, sizeof(self->summary), "%s", r.out);
	run_free(&r);
}

FIXTURE_TEARDOWN(media)
{
	rm_video(self->name);
	free(self->t.keys);
}

/* The load's summary line and INFO agree with ffprobe. */
TEST_F(media, load_summary)
{
	uint64_t dur = self->t.last_pts +
		       (VCACHE_PTS_HZ * variant->den + variant->num - 1) / variant->num;
	char want[128];
	struct run r;

	ASSERT_EQ(0, run(&r, "info", "-j", self->name, NULL));
	EXPECT_EQ((long long)self->t.frames, json_num(r.out, "index_entries"));
	EXPECT_EQ((long long)dur, json_num(r.out, "duration"));
	EXPECT_EQ(variant->num, json_num(r.out, "fps_num"));
	EXPECT_EQ(variant->den, json_num(r.out, "fps_den"));
	run_free(&r);

	snprintf(want, sizeof(want), ", %zu frames, %zu keyframes, %s, duration ",
		 self->t.frames, self->t.nkeys, variant->fps_from);
	EXPECT_NE(NULL, strstr(self->summary, want))
		TH_LOG("want \"%s\" in %s", want, self->summary);
	/* One line. */
	EXPECT_EQ(strlen(self->summary) - 1, strchr(self->summary, '\n') - self->summary);
}

/* Checks "seek NAME @tc -j" against keyframe @k. */
static void check_seek(struct __test_metadata *_metadata, const char *name, const char *tc,
		       const struct key *k, long long target)
{
	struct run r;

	ASSERT_EQ(0, run(&r, "seek", name, tc, "-j", NULL)) TH_LOG("%s: %s", tc, r.err);
	EXPECT_EQ((long long)k->pos, json_num(r.out, "offset")) TH_LOG("%s", tc);
	EXPECT_EQ((long long)k->frame, json_num(r.out, "frame")) TH_LOG("%s", tc);
	EXPECT_EQ((long long)k->pts, json_num(r.out, "pts")) TH_LOG("%s", tc);
	if (target >= 0)
		EXPECT_EQ(target, json_num(r.out, "target_frame")) TH_LOG("%s", tc);
	EXPECT_EQ(0, r.err_len);
	run_free(&r);
}

/* Every keyframe ffprobe reports, at its own label: exactly its pos. */
TEST_F_TIMEOUT(media, seek_every_keyframe, 180)
{
	uint32_t num = variant->num, den = variant->den;
	char want[64];
	struct run r;
	size_t i;

	for (i = 0; i < self->t.nkeys; i += variant->every_key ? 1 : 5) {
		const struct key *k = &self->t.keys[i];

		check_seek(_metadata, self->name, label(k->frame, num, den, false), k, k->frame);
		if (self->drop)
			check_seek(_metadata, self->name, label(k->frame, num, den, true), k,
				   k->frame);
	}
	/* The label comes back in the style asked. */
	ASSERT_EQ(0, run(&r, "seek", self->name, label(self->t.keys[7].frame, num, den, false),
			 "-j", NULL));
	snprintf(want, sizeof(want), "\"timecode\": \"%s\"",
		 label(self->t.keys[7].frame, num, den, false));
	EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("%s", r.out);
	run_free(&r);
	if (self->drop) {
		ASSERT_EQ(0, run(&r, "seek", self->name,
				 label(self->t.keys[7].frame, num, den, true), NULL));
		EXPECT_NE(NULL, strstr(r.out, label(self->t.keys[7].frame, num, den, true)));
		EXPECT_NE(NULL, strstr(r.out, "offset:"));
		run_free(&r);
	}
}

/*
 * Between keyframes: the one before. Every frame, keyframes included,
 * through the ioctl (a process per frame would take minutes under TCG);
 * through vcachectl, the frames next to the keyframes of every tenth GOP,
 * in each label style, and as seconds and ticks.
 */
TEST_F_TIMEOUT(media, seek_between_keyframes, 180)
{
	uint32_t num = variant->num, den = variant->den;
	uint64_t last = vcache_pts_to_frame(self->t.last_pts, num, den), f;
	char secs[32], ticks[32];
	int fd, d;
	size_t i;

	fd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vc_open_name(fd, self->name));
	for (d = 0; d <= self->drop; d++) {
		for (f = 0; f <= last; f++) {
			const struct key *k = key_for(&self->t, f);
			struct vcache_lookup req;
			struct vcache_tc tc;

			ASSERT_EQ(0, vcache_frame_to_tc(f, vcache_tc_fps(num, den),
							d ? vcache_tc_drop(num, den) : 0, &tc));
			memset(&req, 0, sizeof(req));
			req.mode = VCACHE_LOOKUP_TIMECODE;
			req.flags = d ? VCACHE_LOOKUP_DROP_FRAME : 0;
			req.tc = (struct vcache_timecode){ tc.hh, tc.mm, tc.ss, tc.ff };
			ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &req))
				TH_LOG("frame %llu", (unsigned long long)f);
			ASSERT_EQ(k->pos, req.key_offset)
				TH_LOG("frame %llu", (unsigned long long)f);
			ASSERT_EQ(f, req.frame);
		}
	}
	close(fd);

	for (i = 0; i < self->t.nkeys; i += 10) {
		const struct key *k = &self->t.keys[i];
		uint64_t next = i + 1 < self->t.nkeys ? self->t.keys[i + 1].frame : last + 1;

		f = k->frame + 1;
		check_seek(_metadata, self->name, label(f, num, den, false),
			   key_for(&self->t, f), f);
		f = next - 1;
		check_seek(_metadata, self->name, label(f, num, den, self->drop),
			   key_for(&self->t, f), f);
		/* Seconds (to the millisecond, rounded down) and ticks mid-GOP. */
		f = (k->frame + next) / 2;
		snprintf(secs, sizeof(secs), "%llu.%03llu",
			 (unsigned long long)(vcache_frame_to_pts(f, num, den) / 90000),
			 (unsigned long long)(vcache_frame_to_pts(f, num, den) % 90000 / 90));
		check_seek(_metadata, self->name, secs, key_for(&self->t, f - 1), -1);
		snprintf(ticks, sizeof(ticks), "%llut",
			 (unsigned long long)vcache_frame_to_pts(f, num, den));
		check_seek(_metadata, self->name, ticks, key_for(&self->t, f), f);
	}
}

/* The last frame is the last one; the one after it is past the end. */
TEST_F(media, seek_past_the_end)
{
	uint32_t num = variant->num, den = variant->den;
	uint64_t last = vcache_pts_to_frame(self->t.last_pts, num, den);
	struct run r;

	check_seek(_metadata, self->name, label(last, num, den, false),
		   &self->t.keys[self->t.nkeys - 1], last);
	EXPECT_EQ(1, run(&r, "seek", self->name, label(last + 1, num, den, false), NULL));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "past the end"));
	EXPECT_NE(NULL, strstr(r.err, strerror(ERANGE)));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
	EXPECT_EQ(1, run(&r, "seek", self->name, "23:59:59:00", NULL));
	EXPECT_NE(NULL, strstr(r.err, strerror(ERANGE)));
	run_free(&r);
	EXPECT_EQ(1, run(&r, "cat", self->name, "--at", "100000", NULL));
	EXPECT_EQ(1, err_lines(&r));
	EXPECT_NE(NULL, strstr(r.err, strerror(ERANGE)));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
}

/* The bytes cat --at writes are the file's, from the keyframe's pos on. */
static void check_chunk_bytes(struct __test_metadata *_metadata, const char *name,
			      const char *path, const char *tc, uint64_t pos, uint64_t size)
{
	uint64_t want;
	struct stat st;
	struct run r;
	uint8_t *file;
	int fd;

	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	file = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	close(fd);
	want = (uint64_t)st.st_size - pos < size ? (uint64_t)st.st_size - pos : size;
	ASSERT_EQ(0, run(&r, "cat", name, "--at", tc, "--size", "20M", NULL)) TH_LOG("%s", r.err);
	EXPECT_EQ(want, r.out_len);
	if (r.out_len == want)
		EXPECT_EQ(0, memcmp(file + pos, r.out, want)) TH_LOG("%s", tc);
	run_free(&r);
	munmap(file, st.st_size);
}

/*
 * "vcachectl cat --at T --size 20M | ffprobe -": the chunk decodes, and
 * its first frame is the keyframe, at the keyframe's time. The chunk's
 * PTS are the original stream's: the first keyframe's plus the key's time
 * after it, modulo the 33-bit wrap.
 */
TEST_F_TIMEOUT(media, cat_at_decodes, 120)
{
	uint32_t num = variant->num, den = variant->den;
	const struct key *picks[2] = {
		&self->t.keys[self->t.nkeys / 2], &self->t.keys[self->t.nkeys - 1],
	};
	unsigned int i;

	if (!have_ffprobe())
		SKIP(return, "no ffprobe");
	for (i = 0; i < 2; i++) {
		/* Past the keyframe: cat starts at the one before. */
		uint64_t f = picks[i]->frame + (i ? 1 : 3);
		const struct key *k = key_for(&self->t, f);
		const char *tc = label(f, num, den, self->drop && !i);
		long long got_pts = -1, key_frame = -1;
		uint64_t want = ((uint64_t)(self->t.base + (long long)k->pts)) % PTS_WRAP;
		char cmd[512], line[256];
		FILE *p;
		int status;

		check_chunk_bytes(_metadata, self->name, self->path, tc, k->pos, 20 << 20);
		/* ffprobe takes over a second under TCG: once per video. */
		if (i)
			continue;
		snprintf(cmd, sizeof(cmd),
			 CTL
			 " cat '%s' --at '%s' --size 20M | ffprobe -v error -select_streams v:0 -show_entries frame=pts,key_frame -read_intervals %%+#5 -of flat -",
			 self->name, tc);
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		while (fgets(line, sizeof(line), p)) {
			if (!strncmp(line, "frames.frame.0.pts=", 19))
				got_pts = strtoll(line + 19, NULL, 10);
			if (!strncmp(line, "frames.frame.0.key_frame=", 25))
				key_frame = strtoll(line + 25, NULL, 10);
		}
		status = pclose(p);
		EXPECT_EQ(0, status) TH_LOG("%s", cmd);
		EXPECT_EQ(1, key_frame) TH_LOG("%s", cmd);
		EXPECT_EQ((long long)want, got_pts)
			TH_LOG("%s: keyframe %s at pos %llu", cmd,
			       label(k->frame, num, den, false), (unsigned long long)k->pos);
		/* To the frame, in the index's terms. */
		if (got_pts >= 0)
			EXPECT_EQ(k->frame, vcache_pts_to_frame(((uint64_t)got_pts - self->t.base) %
								PTS_WRAP, num, den));
	}
}

/*
 * Labels the video's rate does not have: EINVAL from the ioctl, so exit 1
 * with its text and a reason; malformed ones never reach it (exit 2).
 */
TEST_F(media, bad_timecodes)
{
	uint32_t fps = vcache_tc_fps(variant->num, variant->den);
	const char *einval[8] = { "00:60:00:00", "00:00:60:00", "24:00:00:00" };
	char ff[32];
	unsigned int i, n = 3;
	struct vcache_lookup req;
	struct run r;
	int fd;

	snprintf(ff, sizeof(ff), "00:00:01:%02u", fps);
	einval[n++] = ff;
	if (self->drop) {
		einval[n++] = "00:01:00;00";
		einval[n++] = "00:01:00;01";
		einval[n++] = "00:09:00.00";
	} else {
		einval[n++] = "00:00:01;00";	/* no drop-frame at this rate */
	}
	for (i = 0; i < n; i++) {
		EXPECT_EQ(1, run(&r, "seek", self->name, einval[i], NULL)) TH_LOG("%s", einval[i]);
		EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s: %s", einval[i], r.err);
		EXPECT_NE(NULL, strstr(r.err, strerror(EINVAL))) TH_LOG("%s: %s", einval[i], r.err);
		EXPECT_EQ(0, r.out_len);
		run_free(&r);
	}
	EXPECT_EQ(1, run(&r, "cat", self->name, "--at", einval[n - 1], NULL));
	EXPECT_EQ(1, err_lines(&r));
	EXPECT_NE(NULL, strstr(r.err, strerror(EINVAL)));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
	/* The same straight through the ioctl. */
	fd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vc_open_name(fd, self->name));
	memset(&req, 0, sizeof(req));
	req.mode = VCACHE_LOOKUP_TIMECODE;
	req.tc.ff = fps;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &req));
	req.tc.ff = 0;
	req.tc.mm = 1;
	req.flags = VCACHE_LOOKUP_DROP_FRAME;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &req));
	close(fd);

	{
		static const char * const malformed[] = {
			"1:2", "00:00:00:0", "00:00;00:00", "-1",
		};

		for (i = 0; i < ARRAY_SIZE(malformed); i++) {
			EXPECT_EQ(2, run(&r, "seek", self->name, "--", malformed[i], NULL))
				TH_LOG("case %u", i);
			EXPECT_EQ(1, err_lines(&r));
			EXPECT_NE(NULL, strstr(r.err, "TIMECODE"));
			run_free(&r);
		}
	}
}

/* --- beyond the media's own keyframes -------------------------------------- */

static bool media_missing(const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), MEDIA "/%s", file);
	return access(path, R_OK) != 0;
}

/* Not MPEG-TS: loads, with one line saying so; cat works, seek says "no index". */
TEST(unindexed)
{
	const char *name = vc_name("plain");
	char path[] = "/tmp/timecode-test-XXXXXX";
	char buf[70001];
	struct run r;
	int fd;

	VC_NEED_TREE_FILE(CTL, X_OK, "build " CTL " first (make user)");
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	vc_fill((uint8_t *)buf, sizeof(buf), 3, 0);
	ASSERT_EQ(sizeof(buf), write(fd, buf, sizeof(buf)));
	close(fd);

	ASSERT_EQ(0, run(&r, "load", name, path, NULL)) TH_LOG("%s", r.err);
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "no MPEG-TS video stream"));
	EXPECT_NE(NULL, strstr(r.err, "25 fps assumed"));
	EXPECT_NE(NULL, strstr(r.out, "no index"));
	run_free(&r);

	EXPECT_EQ(1, run(&r, "seek", name, "00:00:00:00", NULL));
	EXPECT_EQ(1, err_lines(&r));
	EXPECT_NE(NULL, strstr(r.err, "no index"));
	EXPECT_NE(NULL, strstr(r.err, strerror(ENODATA)));
	run_free(&r);
	EXPECT_EQ(1, run(&r, "cat", name, "--at", "0", NULL));
	EXPECT_NE(NULL, strstr(r.err, "no index"));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
	ASSERT_EQ(0, run(&r, "cat", name, NULL));
	EXPECT_EQ(sizeof(buf), r.out_len);
	EXPECT_EQ(-1, vc_verify((uint8_t *)r.out, r.out_len, 3, 0));
	run_free(&r);
	rm_video(name);

	/* With --fps there is nothing to assume. */
	ASSERT_EQ(0, run(&r, "load", name, path, "--fps", "50", NULL));
	EXPECT_EQ(1, err_lines(&r));
	EXPECT_EQ(NULL, strstr(r.err, "assumed"));
	EXPECT_NE(NULL, strstr(r.out, "50 fps from --fps"));
	run_free(&r);
	rm_video(name);
	unlink(path);
}

/* From stdin the rate comes from the first bytes too, and seeks agree. */
TEST(load_from_stdin)
{
	const char *name = vc_name("stdin");
	const char *const args[] = { "load", name, "-", "--capacity", "64M", NULL };
	const char *const args_fps[] = { "load", name, "-", "--capacity", "64M", "--fps", "30000/1001",
					 NULL };
	struct truth t;
	struct run r;
	int in;

	if (media_missing("h264_2997.ts"))
		SKIP(return, "no " MEDIA "/h264_2997.ts (make selftests makes it)");
	ASSERT_EQ(0, load_truth(MEDIA "/h264_2997.csv", 30000, 1001, &t));
	in = open(MEDIA "/h264_2997.ts", O_RDONLY);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, run_ctl(&r, in, -1, args)) TH_LOG("%s", r.err);
	EXPECT_EQ(0, r.err_len) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "29.97 fps from the SPS")) TH_LOG("%s", r.out);
	run_free(&r);
	check_seek(_metadata, name, label(t.keys[20].frame, 30000, 1001, true), &t.keys[20],
		   t.keys[20].frame);
	rm_video(name);

	/* With --fps, no probe: the stream goes straight in, and is indexed. */
	ASSERT_EQ(0, lseek(in, 0, SEEK_SET));
	ASSERT_EQ(0, run_ctl(&r, in, -1, args_fps)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "29.97 fps from --fps,")) TH_LOG("%s", r.out);
	run_free(&r);
	check_seek(_metadata, name, label(t.keys[21].frame, 30000, 1001, false), &t.keys[21],
		   t.keys[21].frame);
	rm_video(name);
	close(in);
	free(t.keys);
}

/* --fps wins over the stream, which the summary still mentions. */
TEST(fps_overrides_stream)
{
	const char *name = vc_name("fps");
	struct run r;

	if (media_missing("h264_25.ts"))
		SKIP(return, "no " MEDIA "/h264_25.ts (make selftests makes it)");
	ASSERT_EQ(0, run(&r, "load", name, MEDIA "/h264_25.ts", "--fps", "50", NULL));
	EXPECT_NE(NULL, strstr(r.out, "50 fps from --fps (the stream says 25)"))
		TH_LOG("%s", r.out);
	run_free(&r);
	/* At 50 fps, 00:00:02:00 is frame 100, two seconds in as ever. */
	ASSERT_EQ(0, run(&r, "seek", name, "00:00:02:00", "-j", NULL));
	EXPECT_EQ(100, json_num(r.out, "target_frame"));
	EXPECT_EQ(0, json_num(r.out, "pts") % 180000) TH_LOG("%s", r.out);
	run_free(&r);
	rm_video(name);
}

/*
 * Writes to a temporary file @pre bytes of @fill, then @src with @junk
 * bytes of @fill after its first @at bytes; its path goes to @path.
 */
static int spliced_copy(char *path, const char *src, size_t pre, size_t at, size_t junk,
			uint8_t fill)
{
	uint8_t *d, *z;
	struct stat st;
	int in, out, ok;

	in = open(src, O_RDONLY);
	if (in < 0 || fstat(in, &st))
		return -1;
	d = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, in, 0);
	close(in);
	z = malloc(pre > junk ? pre : junk);
	out = mkstemp(path);
	if (d == MAP_FAILED || !z || out < 0)
		return -1;
	memset(z, fill, pre > junk ? pre : junk);
	ok = write(out, z, pre) == (ssize_t)pre &&
	     write(out, d, at) == (ssize_t)at &&
	     write(out, z, junk) == (ssize_t)junk &&
	     write(out, d + at, st.st_size - at) == (ssize_t)(st.st_size - at);
	close(out);
	munmap(d, st.st_size);
	free(z);
	return ok ? 0 : -1;
}

/* Garbage in the middle: indexed around it, one line says how much. */
TEST(damaged_stream)
{
	const char *name = vc_name("damaged");
	char path[] = "/tmp/timecode-test-XXXXXX";
	struct truth t;
	struct run r;

	if (media_missing("h264_25.ts"))
		SKIP(return, "no " MEDIA "/h264_25.ts (make selftests makes it)");
	ASSERT_EQ(0, load_truth(MEDIA "/h264_25.csv", 25, 1, &t));
	/* 1000 bytes of 0xff at 1 MiB + 17: out of sync until the next packet. */
	ASSERT_EQ(0, spliced_copy(path, MEDIA "/h264_25.ts", 0, (1 << 20) + 17, 1000, 0xff));
	ASSERT_EQ(0, run(&r, "load", name, path, NULL)) TH_LOG("%s", r.err);
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "damaged stream")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "bytes skipped")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "25 fps from the SPS")) TH_LOG("%s", r.out);
	run_free(&r);
	/* Keyframes after the damage are found, 1000 bytes further on. */
	check_seek(_metadata, name, label(t.keys[40].frame, 25, 1, false),
		   &(struct key){ t.keys[40].pos + 1000, t.keys[40].pts, t.keys[40].frame },
		   t.keys[40].frame);
	rm_video(name);
	unlink(path);
	free(t.keys);
}

/*
 * No video in the first 4 MiB: the rate is not known at CREATE, 25 is
 * assumed, and once the whole video is indexed a line names the --fps
 * that would have been right.
 */
TEST(rate_found_too_late)
{
	const char *name = vc_name("late");
	char path[] = "/tmp/timecode-test-XXXXXX";
	struct run r;

	if (media_missing("h264_2997.ts"))
		SKIP(return, "no " MEDIA "/h264_2997.ts (make selftests makes it)");
	ASSERT_EQ(0, spliced_copy(path, MEDIA "/h264_2997.ts", 4 << 20, 0, 0, 0));
	ASSERT_EQ(0, run(&r, "load", name, path, NULL)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "25 fps by default")) TH_LOG("%s", r.out);
	EXPECT_EQ(2, err_lines(&r)) TH_LOG("%s", r.err);	/* the zeros, and the rate */
	EXPECT_NE(NULL, strstr(r.err, "4194304 bytes skipped")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "--fps 30000/1001")) TH_LOG("%s", r.err);
	run_free(&r);
	rm_video(name);
	unlink(path);
}

TEST_HARNESS_MAIN
