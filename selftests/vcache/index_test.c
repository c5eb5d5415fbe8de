// SPDX-License-Identifier: GPL-2.0
/* The keyframe index: INDEX_APPEND rules, LOOKUP answers, INDEX_READ. */
#include <pthread.h>
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
	/* key offset back */
	e[1] = (struct vcache_index_entry){ 14400, 1500, VCACHE_INDEX_KEY, 0 };
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

/* INDEX_READ from @pos into @e (room for @cap); fills @r. */
static int index_read(int fd, __u64 pos, struct vcache_index_entry *e, __u32 cap,
		      __u32 flags, struct vcache_index_read *r)
{
	memset(r, 0, sizeof(*r));
	r->position = pos;
	r->entries = (uintptr_t)e;
	r->capacity = cap;
	r->flags = flags;
	return vc_ioctl(fd, VCACHE_IOC_INDEX_READ, r);
}

/* The entry make_indexed() appended at position @i. */
static struct vcache_index_entry expected(__u32 i, __u32 num, __u32 den, __u32 gop,
					  __u32 first_key)
{
	return (struct vcache_index_entry){
		.pts = (uint64_t)i * 90000 * den / num,
		.offset = (uint64_t)i * frame_bytes,
		.flags = i >= first_key && (i - first_key) % gop == 0 ? VCACHE_INDEX_KEY : 0,
	};
}

static int same(const struct vcache_index_entry *a, const struct vcache_index_entry *b)
{
	return !memcmp(a, b, sizeof(*a));
}

TEST(read_all_sealed)
{
	const char *name = vc_name("rdall");
	__u32 frames = 70000, i, caps[] = { 1, 7, 170, 171, 1000, 200000 }, c;
	struct vcache_index_entry *e = calloc(frames + 1, sizeof(*e)), want;
	struct vcache_index_read r;
	int fd;

	ASSERT_NE(NULL, e);
	frame_bytes = 16;
	fd = make_indexed(name, 25, 1, frames, GOP, 0, 1);
	ASSERT_GE(fd, 0);
	/* One call copies at most VCACHE_INDEX_BATCH_MAX, whatever the room. */
	ASSERT_EQ(0, index_read(fd, 0, e, frames + 1, 0, &r));
	EXPECT_EQ(VCACHE_INDEX_BATCH_MAX, r.count);
	EXPECT_EQ(0, r.first);
	EXPECT_EQ(frames, r.end);
	EXPECT_EQ(VCACHE_INDEX_BATCH_MAX, r.next);
	/* Whole, in calls of every size, around the kernel's own batch. */
	for (c = 0; c < ARRAY_SIZE(caps); c++) {
		__u64 pos = 0;

		memset(e, 0xa5, (size_t)frames * sizeof(*e));
		while (pos < frames) {
			__u32 room = caps[c] < frames + 1 - pos ? caps[c] : frames + 1 - pos;

			ASSERT_EQ(0, index_read(fd, pos, e + pos, room, 0, &r));
			ASSERT_EQ(pos + r.count, r.next);
			ASSERT_EQ(frames, r.end);
			ASSERT_LT(0, r.count);
			pos = r.next;
		}
		for (i = 0; i < frames; i++) {
			want = expected(i, 25, 1, GOP, 0);
			ASSERT_TRUE(same(&want, &e[i])) TH_LOG("cap %u, entry %u", caps[c], i);
		}
	}
	/* A read-only descriptor reads too. */
	close(fd);
	fd = vc_reopen(name, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, index_read(fd, 0, e, 10, 0, &r));
	EXPECT_EQ(10, r.count);
	free(e);
	close(fd);
	vc_cleanup(name);
	frame_bytes = FRAME_BYTES;
}

TEST(read_keys_only)
{
	const char *name = vc_name("rdkeys");
	/* Keyframes from frame 10 on, every 50: 10, 60, ..., 9960. */
	__u32 frames = 10000, keys = 200, got = 0, k;
	struct vcache_index_entry e[8], want;
	struct vcache_index_read r;
	__u64 pos = 0;
	int fd = make_indexed(name, 25, 1, frames, GOP, 10, 1);

	ASSERT_GE(fd, 0);
	while (pos < frames) {
		ASSERT_EQ(0, index_read(fd, pos, e, 3, VCACHE_INDEX_READ_KEYS, &r));
		ASSERT_GT(r.next, pos);
		for (k = 0; k < r.count; k++, got++) {
			want = expected(10 + got * GOP, 25, 1, GOP, 10);
			ASSERT_TRUE(same(&want, &e[k])) TH_LOG("key %u", got);
		}
		/* Full: next is the keyframe after the last copied. */
		if (r.count == 3 && got < keys)
			ASSERT_EQ(10 + got * GOP, r.next);
		pos = r.next;
	}
	EXPECT_EQ(keys, got);
	EXPECT_EQ(frames, pos);
	/* From the middle of a GOP: the next keyframe. */
	ASSERT_EQ(0, index_read(fd, 61, e, 1, VCACHE_INDEX_READ_KEYS, &r));
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(110ULL * FRAME_BYTES, e[0].offset);
	EXPECT_EQ(160, r.next);
	/* After the last keyframe: none, and the end looked at. */
	ASSERT_EQ(0, index_read(fd, 9961, e, 8, VCACHE_INDEX_READ_KEYS, &r));
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(frames, r.next);
	close(fd);
	vc_cleanup(name);
}

TEST(read_middle_and_past_end)
{
	const char *name = vc_name("rdmid");
	struct vcache_index_entry e[16], want;
	struct vcache_index_read r;
	int fd = make_indexed(name, 30000, 1001, 1000, 30, 0, 1);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, index_read(fd, 567, e, 16, 0, &r));
	EXPECT_EQ(16, r.count);
	EXPECT_EQ(583, r.next);
	want = expected(567, 30000, 1001, 30, 0);
	EXPECT_TRUE(same(&want, &e[0]));
	want = expected(582, 30000, 1001, 30, 0);
	EXPECT_TRUE(same(&want, &e[15]));
	/* Across the end: cut short. */
	ASSERT_EQ(0, index_read(fd, 995, e, 16, 0, &r));
	EXPECT_EQ(5, r.count);
	EXPECT_EQ(1000, r.next);
	EXPECT_EQ(1000, r.end);
	/* At and past the end: nothing, like read(2), and next stays. */
	ASSERT_EQ(0, index_read(fd, 1000, e, 16, 0, &r));
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(1000, r.next);
	ASSERT_EQ(0, index_read(fd, UINT64_MAX, e, 16, VCACHE_INDEX_READ_KEYS, &r));
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(UINT64_MAX, r.next);
	EXPECT_EQ(1000, r.end);
	/* Capacity 0: only the bounds, the pointer not looked at. */
	ASSERT_EQ(0, index_read(fd, 0, NULL, 0, 0, &r));
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(0, r.first);
	EXPECT_EQ(1000, r.end);
	close(fd);
	vc_cleanup(name);
}

TEST(read_bad_requests)
{
	const char *name = vc_name("rdbad");
	struct vcache_index_entry e[4];
	struct vcache_index_read r;
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	/* Unbound. */
	EXPECT_EQ(-EBADFD, index_read(fd, 0, e, 4, 0, &r));
	ASSERT_EQ(0, vc_create(fd, name, 100000));
	ASSERT_EQ(0, vc_write_pattern(fd, 50000, 1));
	/* Nothing appended yet. */
	EXPECT_EQ(-ENODATA, index_read(fd, 0, e, 4, 0, &r));
	EXPECT_EQ(-ENODATA, index_read(fd, 0, NULL, 0, VCACHE_INDEX_READ_KEYS, &r));
	e[0] = (struct vcache_index_entry){ 0, 0, VCACHE_INDEX_KEY, 0 };
	e[1] = (struct vcache_index_entry){ 3600, 1000, 0, 0 };
	ASSERT_EQ(0, append(fd, e, 2));

	memset(&r, 0, sizeof(r));
	r.entries = (uintptr_t)e;
	r.capacity = 4;
	r.flags = 2;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_READ, &r));
	r.flags = 0;
	r.__pad = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_READ, &r));
	r.__pad = 0;
	r.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, vc_ioctl(fd, VCACHE_IOC_INDEX_READ, &r));
	r.reserved[3] = 0;
	/* Outputs in the request are ignored and come back rewritten. */
	r.count = 77;
	r.first = 77;
	r.end = 77;
	r.next = 77;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_INDEX_READ, &r));
	EXPECT_EQ(2, r.count);
	EXPECT_EQ(0, r.first);
	EXPECT_EQ(2, r.end);
	EXPECT_EQ(2, r.next);
	EXPECT_EQ(0, r.__pad);
	/* Bad pointers. */
	EXPECT_EQ(-EFAULT, index_read(fd, 0, NULL, 1, 0, &r));
	EXPECT_EQ(-EFAULT, index_read(fd, 0, (void *)8, 4, VCACHE_INDEX_READ_KEYS, &r));
	EXPECT_EQ(-EFAULT, vc_ioctl(fd, VCACHE_IOC_INDEX_READ, NULL));
	/* While LOADING, a read sees what was appended so far. */
	e[2] = (struct vcache_index_entry){ 7200, 2000, VCACHE_INDEX_KEY, 0 };
	ASSERT_EQ(0, append(fd, e + 2, 1));
	ASSERT_EQ(0, index_read(fd, 2, e + 3, 1, 0, &r));
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(3, r.end);
	EXPECT_EQ(2000, e[3].offset);
	close(fd);
	vc_cleanup(name);
}

#define LRING	(64 * 1024)		/* window 48 KiB */
#define LGOP	8192			/* bytes a GOP */
#define LPER	4			/* entries a GOP: a key, 3 frames */

/* Live entry at absolute position @p: GOP p / LPER. */
static struct vcache_index_entry live_entry(__u64 p)
{
	return (struct vcache_index_entry){
		.pts = p * 3003,
		.offset = p / LPER * LGOP + p % LPER * 1000,
		.flags = p % LPER ? 0 : VCACHE_INDEX_KEY,
	};
}

static int live_gop(int fd, __u64 g)
{
	static __u8 buf[LGOP];
	struct vcache_index_entry e[LPER];
	int i;

	if (write(fd, buf, LGOP) != LGOP)
		return -1;
	for (i = 0; i < LPER; i++)
		e[i] = live_entry(g * LPER + i);
	return append(fd, e, LPER);
}

TEST(read_live_window)
{
	const char *name = vc_name("rdlive");
	struct vcache_index_entry e[64], want;
	struct vcache_create c;
	struct vcache_index_read r;
	__u64 first, i;
	int fd = open(VCACHE_DEV, O_RDWR), ro;

	ASSERT_GE(fd, 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	c.capacity = LRING;
	c.fps_num = 30000;
	c.fps_den = 1001;
	c.flags = VCACHE_CREATE_LIVE;
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_CREATE, &c));
	ASSERT_EQ(-ENODATA, index_read(fd, 0, e, 64, 0, &r));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, live_gop(fd, i));
	/* 32 KiB written, all in the window. */
	ASSERT_EQ(0, index_read(fd, 0, e, 64, 0, &r));
	EXPECT_EQ(0, r.first);
	EXPECT_EQ(16, r.end);
	EXPECT_EQ(16, r.count);
	for (i = 4; i < 24; i++)
		ASSERT_EQ(0, live_gop(fd, i));
	/* Entries dropped with the window: the first held grows... */
	ro = vc_reopen(name, O_RDONLY);
	ASSERT_GE(ro, 0);
	ASSERT_EQ(0, index_read(ro, 0, e, 64, 0, &r));
	first = r.first;
	EXPECT_GT(first, 0);
	EXPECT_EQ(0, first % LPER);		/* from a keyframe on */
	EXPECT_EQ(24 * LPER, r.end);
	EXPECT_EQ(r.end - first, r.count);
	EXPECT_EQ(r.end, r.next);
	EXPECT_EQ(r.end - first, vc_info(ro).index_entries);
	/* ...the oldest held is in the window, and positions did not shift. */
	EXPECT_GE(e[0].offset, vc_info(ro).tail);
	for (i = 0; i < r.count; i++) {
		want = live_entry(first + i);
		ASSERT_TRUE(same(&want, &e[i])) TH_LOG("position %llu",
						       (unsigned long long)(first + i));
	}
	/* A read from the middle gets the same entry for the same position. */
	ASSERT_EQ(0, index_read(ro, first + 5, e, 1, 0, &r));
	want = live_entry(first + 5);
	EXPECT_TRUE(same(&want, &e[0]));
	/* Keyframes only, from below the window: the first held keyframe. */
	ASSERT_EQ(0, index_read(ro, 1, e, 64, VCACHE_INDEX_READ_KEYS, &r));
	EXPECT_EQ(first, r.first);
	EXPECT_EQ((r.end - first) / LPER, r.count);
	want = live_entry(first);
	EXPECT_TRUE(same(&want, &e[0]));
	/* More GOPs: the first held grows again, positions stay. */
	for (i = 24; i < 30; i++)
		ASSERT_EQ(0, live_gop(fd, i));
	ASSERT_EQ(0, index_read(ro, first, e, 64, 0, &r));
	EXPECT_GT(r.first, first);
	want = live_entry(r.first);
	EXPECT_TRUE(same(&want, &e[0]));
	EXPECT_EQ(30 * LPER, r.end);
	/* After the end, the index stays as it was. */
	first = r.first;
	ASSERT_EQ(0, vc_seal(fd));
	EXPECT_EQ(VCACHE_STATE_ENDED, vc_info(ro).state);
	ASSERT_EQ(0, index_read(ro, 0, e, 64, 0, &r));
	EXPECT_EQ(first, r.first);
	EXPECT_EQ(30 * LPER, r.end);
	close(ro);
	close(fd);
	vc_cleanup(name);
}

struct appender {
	int fd;
	__u32 total;
	int done;
	int err;
};

static void *append_thread(void *arg)
{
	struct appender *a = arg;
	struct vcache_index_entry e[97];
	__u32 i = 0, k;

	while (i < a->total && !a->err) {
		__u32 n = a->total - i < 97 ? a->total - i : 97;

		for (k = 0; k < n; k++)
			e[k] = expected(i + k, 25, 1, GOP, 0);
		a->err = append(a->fd, e, n);
		i += n;
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST(read_while_appending)
{
	const char *name = vc_name("rdrace");
	__u32 total = 200000, reads = 0, i;
	struct vcache_index_entry *e = calloc(total, sizeof(*e)), want;
	struct appender a = { .total = total };
	struct vcache_index_read r;
	__u64 pos = 0, ends = 0;
	pthread_t t;
	int fd = open(VCACHE_DEV, O_RDWR), err;

	ASSERT_NE(NULL, e);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vc_create(fd, name, (uint64_t)total * 16));
	ASSERT_EQ(0, vc_write_pattern(fd, (uint64_t)total * 16, 1));
	frame_bytes = 16;
	a.fd = fd;
	ASSERT_EQ(0, pthread_create(&t, NULL, append_thread, &a));
	/* Follow the index as it grows, until the appender is done and read. */
	for (;;) {
		int done = __atomic_load_n(&a.done, __ATOMIC_ACQUIRE);

		err = index_read(fd, pos, e + pos, 300, 0, &r);
		if (err == -ENODATA && !done)
			continue;
		ASSERT_EQ(0, err);
		ASSERT_EQ(pos + r.count, r.next);
		ASSERT_LE(r.next, r.end);
		ASSERT_GE(r.end, ends);		/* the end only grows */
		ends = r.end;
		pos = r.next;
		reads++;
		if (done && pos == r.end)
			break;
	}
	pthread_join(t, NULL);
	ASSERT_EQ(0, a.err);
	EXPECT_EQ(total, pos);
	for (i = 0; i < total; i++) {
		want = expected(i, 25, 1, GOP, 0);
		ASSERT_TRUE(same(&want, &e[i])) TH_LOG("entry %u", i);
	}
	TH_LOG("%u reads followed %u appends", reads, (total + 96) / 97);
	free(e);
	close(fd);
	vc_cleanup(name);
	frame_bytes = FRAME_BYTES;
}

TEST_HARNESS_MAIN
