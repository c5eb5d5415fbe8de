// SPDX-License-Identifier: GPL-2.0
/* The keyframe index: INDEX_APPEND rules and LOOKUP answers. */
#include <sys/mman.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define GOP		50		/* a keyframe every 2 s at 25 fps */
#define FRAME_BYTES	(188 * 20)

/* Bytes a frame in the videos make_indexed() builds. */
static __u32 frame_bytes = FRAME_BYTES;

static int append(int fd, const struct vcache_index_entry *e, __u32 count)
{
	struct vcache_index_append a;

	memset(&a, 0, sizeof(a));
	a.entries = (uintptr_t)e;
	a.count = count;
	return vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a);
}

static int lookup_tc(int fd, int h, int m, int s, int f, __u32 flags,
		     struct vcache_lookup *out)
{
	memset(out, 0, sizeof(*out));
	out->mode = VCACHE_LOOKUP_TIMECODE;
	out->flags = flags;
	out->tc.hh = h;
	out->tc.mm = m;
	out->tc.ss = s;
	out->tc.ff = f;
	return vc_ioctl(fd, VCACHE_IOC_LOOKUP, out);
}

/*
 * A video of @frames frames at num/den with one entry a frame, a keyframe
 * every @gop frames starting at frame @first_key, frame i at byte
 * i * frame_bytes and time i * 90000 * den / num.
 */
static int make_indexed(const char *name, __u32 num, __u32 den, __u32 frames,
			__u32 gop, __u32 first_key, int seal)
{
	struct vcache_create c;
	struct vcache_index_entry *e = calloc(frames, sizeof(*e));
	int fd = open(VCACHE_DEV, O_RDWR);
	__u32 i;

	if (fd < 0 || !e)
		return -1;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	c.capacity = (uint64_t)frames * frame_bytes;
	c.fps_num = num;
	c.fps_den = den;
	if (vc_ioctl(fd, VCACHE_IOC_CREATE, &c) || vc_write_pattern(fd, c.capacity, 1))
		goto fail;
	for (i = 0; i < frames; i++) {
		e[i].pts = (uint64_t)i * 90000 * den / num;
		e[i].offset = (uint64_t)i * frame_bytes;
		e[i].flags = i >= first_key && (i - first_key) % gop == 0 ?
			     VCACHE_INDEX_KEY : 0;
	}
	for (i = 0; i < frames; i += VCACHE_INDEX_BATCH_MAX) {
		__u32 n = frames - i < VCACHE_INDEX_BATCH_MAX ? frames - i : VCACHE_INDEX_BATCH_MAX;

		if (append(fd, e + i, n))
			goto fail;
	}
	if (seal && vc_seal(fd))
		goto fail;
	free(e);
	return fd;
fail:
	free(e);
	close(fd);
	return -1;
}

TEST(lookup_timecode_25fps)
{
	const char *name = vc_name("tc25");
	struct vcache_lookup l;
	int fd = make_indexed(name, 25, 1, 25 * 600, GOP, 0, 1);	/* 10 min */

	ASSERT_GE(fd, 0);
	EXPECT_EQ(25 * 600, vc_info(fd).index_entries);
	EXPECT_EQ(25 * 600 * 3600, vc_info(fd).duration);

	/* Exactly on a keyframe: 00:01:00:00 is frame 1500 = 30 GOPs. */
	ASSERT_EQ(0, lookup_tc(fd, 0, 1, 0, 0, 0, &l));
	EXPECT_EQ(1500, l.frame);
	EXPECT_EQ(1500, l.key_frame);
	EXPECT_EQ(1500ULL * FRAME_BYTES, l.key_offset);
	EXPECT_EQ(1500ULL * 3600, l.key_pts);
	EXPECT_EQ(1, l.key_tc.mm);
	EXPECT_EQ(0, l.key_tc.ss);
	/* Between keyframes: the one before. 00:01:01:24 = frame 1549. */
	ASSERT_EQ(0, lookup_tc(fd, 0, 1, 1, 24, 0, &l));
	EXPECT_EQ(1549, l.frame);
	EXPECT_EQ(1500, l.key_frame);
	/* The last frame, and one past it. */
	ASSERT_EQ(0, lookup_tc(fd, 0, 9, 59, 24, 0, &l));
	EXPECT_EQ(14999, l.frame);
	EXPECT_EQ(14950, l.key_frame);
	EXPECT_EQ(-ERANGE, lookup_tc(fd, 0, 10, 0, 0, 0, &l));
	EXPECT_EQ(-ERANGE, lookup_tc(fd, 23, 59, 59, 24, 0, &l));
	/* Out-of-range fields. */
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 0, 0, 25, 0, &l));
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 60, 0, 0, 0, &l));
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 0, 60, 0, 0, &l));
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 24, 0, 0, 0, 0, &l));
	/* Drop-frame makes no sense at 25 fps. */
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 0, 1, 0, VCACHE_LOOKUP_DROP_FRAME, &l));
	close(fd);
	vc_cleanup(name);
}

TEST(lookup_drop_frame_2997)
{
	const char *name = vc_name("df");
	struct vcache_lookup l;
	/* 12 minutes, a keyframe every 30 frames. */
	int fd = make_indexed(name, 30000, 1001, 17982 + 2 * 1798, 30, 0, 1), m;

	ASSERT_GE(fd, 0);
	/* 00:01:00;02 is frame 1800, a keyframe, and its label comes back. */
	ASSERT_EQ(0, lookup_tc(fd, 0, 1, 0, 2, VCACHE_LOOKUP_DROP_FRAME, &l));
	EXPECT_EQ(1800, l.frame);
	EXPECT_EQ(1800, l.key_frame);
	EXPECT_EQ(1800ULL * 3003, l.key_pts);
	EXPECT_EQ(0, l.key_tc.hh);
	EXPECT_EQ(1, l.key_tc.mm);
	EXPECT_EQ(0, l.key_tc.ss);
	EXPECT_EQ(2, l.key_tc.ff);
	/* The same instant in non-drop labels is 00:01:00:00. */
	ASSERT_EQ(0, lookup_tc(fd, 0, 1, 0, 0, 0, &l));
	EXPECT_EQ(1800, l.frame);
	/* Labels drop-frame skips. */
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 1, 0, 0, VCACHE_LOOKUP_DROP_FRAME, &l));
	EXPECT_EQ(-EINVAL, lookup_tc(fd, 0, 1, 0, 1, VCACHE_LOOKUP_DROP_FRAME, &l));
	ASSERT_EQ(0, lookup_tc(fd, 0, 10, 0, 0, VCACHE_LOOKUP_DROP_FRAME, &l));
	EXPECT_EQ(17982, l.frame);
	EXPECT_EQ(17982 - 17982 % 30, l.key_frame);
	/* Every minute boundary of the first ten, each the frame after :59;29. */
	for (m = 1; m < 10; m++) {
		__u64 first;

		ASSERT_EQ(0, lookup_tc(fd, 0, m, 0, 2, VCACHE_LOOKUP_DROP_FRAME, &l));
		first = l.frame;
		EXPECT_EQ(1798ULL * m + 2, first);
		ASSERT_EQ(0, lookup_tc(fd, 0, m - 1, 59, 29, VCACHE_LOOKUP_DROP_FRAME, &l));
		EXPECT_EQ(first - 1, l.frame);
	}
	close(fd);
	vc_cleanup(name);
}

TEST(lookup_pts_and_offset_modes)
{
	const char *name = vc_name("modes");
	struct vcache_lookup l;
	/* Keyframes start at frame 10: earlier requests get the first one. */
	int fd = make_indexed(name, 25, 1, 1000, GOP, 10, 1);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, lookup_tc(fd, 0, 0, 0, 0, 0, &l));
	EXPECT_EQ(0, l.frame);
	EXPECT_EQ(10, l.key_frame);

	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_PTS;
	l.pts = 60 * 3600 - 1;			/* just before frame 60 */
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(10, l.key_frame);
	EXPECT_EQ(60, l.frame);			/* nearest frame start */
	l.pts = 60 * 3600;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(60, l.key_frame);
	l.pts = 1000 * 3600;			/* the duration: past the end */
	EXPECT_EQ(-ERANGE, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));

	/* Reverse: byte offset to the keyframe at or before it. */
	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_OFFSET;
	l.offset = 110ULL * FRAME_BYTES + 5;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(110, l.key_frame);
	EXPECT_EQ(110, l.frame);
	EXPECT_EQ(110ULL * FRAME_BYTES, l.key_offset);
	EXPECT_EQ(4, l.key_tc.ss);
	EXPECT_EQ(10, l.key_tc.ff);
	l.offset = 109ULL * FRAME_BYTES;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(60, l.key_frame);
	l.offset = 3;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(10, l.key_frame);
	l.offset = 1000ULL * FRAME_BYTES;
	EXPECT_EQ(-ERANGE, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	l.offset = UINT64_MAX;
	EXPECT_EQ(-ERANGE, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));

	/* Bad requests. */
	memset(&l, 0, sizeof(l));
	l.mode = 99;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	l.mode = VCACHE_LOOKUP_PTS;
	l.reserved[2] = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	l.reserved[2] = 0;
	l.flags = 2;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	l.flags = 0;
	l.__pad = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(-EFAULT, vc_ioctl(fd, VCACHE_IOC_LOOKUP, NULL));
	close(fd);
	vc_cleanup(name);
}

TEST(append_rules)
{
	const char *name = vc_name("rules");
	struct vcache_index_entry e[4];
	struct vcache_index_append a;
	int fd = open(VCACHE_DEV, O_RDWR), ro;
	struct vcache_lookup l;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, 100000));
	ASSERT_EQ(0, vc_write_pattern(fd, 50000, 1));
	memset(&l, 0, sizeof(l));
	l.mode = VCACHE_LOOKUP_PTS;
	EXPECT_EQ(-ENODATA, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));

	memset(e, 0, sizeof(e));
	e[0] = (struct vcache_index_entry){ 0, 0, VCACHE_INDEX_KEY, 0 };
	e[1] = (struct vcache_index_entry){ 3600, 1000, 0, 0 };
	e[2] = (struct vcache_index_entry){ 7200, 2000, VCACHE_INDEX_KEY, 0 };
	ASSERT_EQ(0, append(fd, e, 3));
	EXPECT_EQ(3, vc_info(fd).index_entries);

	/* Each rule, and a failed batch appends nothing. */
	e[0] = (struct vcache_index_entry){ 10800, 3000, 0, 0 };
	e[1] = (struct vcache_index_entry){ 7000, 4000, 0, 0 };	/* time goes back */
	EXPECT_EQ(-EINVAL, append(fd, e, 2));
	e[1] = (struct vcache_index_entry){ 14400, 1500, VCACHE_INDEX_KEY, 0 };	/* key offset back */
	EXPECT_EQ(-EINVAL, append(fd, e, 2));
	e[1] = (struct vcache_index_entry){ 14400, 50000, 0, 0 };	/* at the size */
	EXPECT_EQ(-EINVAL, append(fd, e, 2));
	e[1] = (struct vcache_index_entry){ 14400, 4000, 2, 0 };	/* unknown flag */
	EXPECT_EQ(-EINVAL, append(fd, e, 2));
	e[1] = (struct vcache_index_entry){ 14400, 4000, 0, 1 };	/* pad */
	EXPECT_EQ(-EINVAL, append(fd, e, 2));
	EXPECT_EQ(3, vc_info(fd).index_entries);
	EXPECT_EQ(-EFAULT, append(fd, (void *)8, 2));
	EXPECT_EQ(-EINVAL, append(fd, e, VCACHE_INDEX_BATCH_MAX + 1));
	memset(&a, 0, sizeof(a));
	a.entries = (uintptr_t)e;
	a.count = 1;
	a.flags = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a));
	a.flags = 0;
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a));
	EXPECT_EQ(3, vc_info(fd).index_entries);

	/* Read-only descriptors look up but cannot append. */
	ro = open(VCACHE_DEV, O_RDONLY);
	ASSERT_GE(ro, 0);
	ASSERT_EQ(0, vc_open_name(ro, name));
	e[1] = (struct vcache_index_entry){ 14400, 4000, 0, 0 };
	EXPECT_EQ(-EBADF, append(ro, e, 2));
	l.pts = 7200;
	ASSERT_EQ(0, vc_ioctl(ro, VCACHE_IOC_LOOKUP, &l));
	EXPECT_EQ(2000, l.key_offset);

	ASSERT_EQ(0, append(fd, e, 2));
	ASSERT_EQ(0, vc_seal(fd));
	EXPECT_EQ(-EPERM, append(fd, e, 1));
	EXPECT_EQ(5, vc_info(fd).index_entries);
	close(ro);
	close(fd);
	vc_cleanup(name);
}

TEST(million_entries)
{
	const char *name = vc_name("big");
	uint64_t before = vc_stats().mem_used;
	__u32 frames = 1000000, i;
	struct vcache_lookup l;
	int fd;

	/* Small frames: the index is what this test is about. */
	frame_bytes = 16;
	fd = make_indexed(name, 30000, 1001, frames, 30, 0, 1);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(frames, vc_info(fd).index_entries);
	/* 24 + 4 bytes an entry count against the cache's limit. */
	EXPECT_GE(vc_info(fd).mem_bytes, (uint64_t)frames * frame_bytes + frames * 28ULL);
	EXPECT_GE(vc_stats().mem_used - before, (uint64_t)frames * 28);
	for (i = 0; i < frames; i += 9973) {
		memset(&l, 0, sizeof(l));
		l.mode = VCACHE_LOOKUP_PTS;
		l.pts = (uint64_t)i * 3003 + 1500;
		ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_LOOKUP, &l));
		ASSERT_EQ(i - i % 30, l.key_frame);
		ASSERT_EQ((uint64_t)(i - i % 30) * frame_bytes, l.key_offset);
	}
	close(fd);
	vc_cleanup(name);
	EXPECT_EQ(before, vc_stats().mem_used);
}

TEST(index_limit_is_e2big)
{
	const char *name = vc_name("e2big");
	struct vcache_index_entry *e = calloc(VCACHE_INDEX_BATCH_MAX, sizeof(*e));
	__u32 done = 0;
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_NE(NULL, e);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, 4096));
	ASSERT_EQ(0, vc_write_pattern(fd, 1, 1));
	/* Entries of one instant at offset 0 are dull but legal. */
	while (done < VCACHE_INDEX_MAX) {
		ASSERT_EQ(0, append(fd, e, VCACHE_INDEX_BATCH_MAX));
		done += VCACHE_INDEX_BATCH_MAX;
	}
	EXPECT_EQ(-E2BIG, append(fd, e, 1));
	EXPECT_EQ(VCACHE_INDEX_MAX, vc_info(fd).index_entries);
	free(e);
	close(fd);
	vc_cleanup(name);
}

TEST_HARNESS_MAIN
