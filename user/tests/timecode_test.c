// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of include/vcache/timecode.h against known values. */
#include <vcache/timecode.h>
#include "kselftest_harness.h"

#define TC(h, m, s, f)	((struct vcache_tc){ h, m, s, f })

static long long frame_of(struct vcache_tc tc, __u32 fps, __u32 drop)
{
	__u64 n;

	return vcache_tc_to_frame(&tc, fps, drop, &n) ? -1 : (long long)n;
}

static int tc_eq(__u64 frame, __u32 fps, __u32 drop, struct vcache_tc want)
{
	struct vcache_tc tc;

	if (vcache_frame_to_tc(frame, fps, drop, &tc))
		return 0;
	return tc.hh == want.hh && tc.mm == want.mm && tc.ss == want.ss &&
	       tc.ff == want.ff;
}

TEST(nominal_rate_and_drop)
{
	EXPECT_EQ(30, vcache_tc_fps(30000, 1001));
	EXPECT_EQ(60, vcache_tc_fps(60000, 1001));
	EXPECT_EQ(24, vcache_tc_fps(24000, 1001));
	EXPECT_EQ(25, vcache_tc_fps(25, 1));
	EXPECT_EQ(2, vcache_tc_drop(30000, 1001));
	EXPECT_EQ(4, vcache_tc_drop(60000, 1001));
	EXPECT_EQ(0, vcache_tc_drop(24000, 1001));
	EXPECT_EQ(0, vcache_tc_drop(30, 1));
}

TEST(non_drop_known_values)
{
	/* The seed's example at 30 fps. */
	EXPECT_EQ(124648, frame_of(TC(1, 9, 14, 28), 30, 0));
	EXPECT_EQ(0, frame_of(TC(0, 0, 0, 0), 25, 0));
	EXPECT_EQ(25, frame_of(TC(0, 0, 1, 0), 25, 0));
	EXPECT_EQ(90000, frame_of(TC(1, 0, 0, 0), 25, 0));
	EXPECT_EQ(86400LL * 24 - 1, frame_of(TC(23, 59, 59, 23), 24, 0));
	EXPECT_EQ(216000 - 1, frame_of(TC(0, 59, 59, 59), 60, 0));
	EXPECT_EQ(180000, frame_of(TC(1, 0, 0, 0), 50, 0));
	EXPECT_TRUE(tc_eq(124648, 30, 0, TC(1, 9, 14, 28)));
	EXPECT_TRUE(tc_eq(90000, 25, 0, TC(1, 0, 0, 0)));
	/* Hours count on past a day instead of wrapping. */
	EXPECT_TRUE(tc_eq(86400ULL * 25, 25, 0, TC(24, 0, 0, 0)));
}

TEST(out_of_range_fields)
{
	EXPECT_EQ(-1, frame_of(TC(1, 9, 14, 28), 25, 0));	/* ff >= 25 */
	EXPECT_EQ(-1, frame_of(TC(0, 60, 0, 0), 25, 0));
	EXPECT_EQ(-1, frame_of(TC(0, 0, 60, 0), 25, 0));
	EXPECT_EQ(-1, frame_of(TC(24, 0, 0, 0), 25, 0));
	EXPECT_EQ(-1, frame_of(TC(0, 0, 0, 30), 30, 2));
	EXPECT_EQ(-1, frame_of(TC(0, 0, 0, 0), 0, 0));
}

TEST(drop_frame_2997_known_values)
{
	EXPECT_EQ(1799, frame_of(TC(0, 0, 59, 29), 30, 2));
	EXPECT_EQ(1800, frame_of(TC(0, 1, 0, 2), 30, 2));
	EXPECT_EQ(17982, frame_of(TC(0, 10, 0, 0), 30, 2));
	EXPECT_EQ(107892, frame_of(TC(1, 0, 0, 0), 30, 2));
	EXPECT_EQ(124522, frame_of(TC(1, 9, 14, 28), 30, 2));
	EXPECT_EQ(2589407, frame_of(TC(23, 59, 59, 29), 30, 2));
	/* Labels drop-frame skips. */
	EXPECT_EQ(-1, frame_of(TC(0, 1, 0, 0), 30, 2));
	EXPECT_EQ(-1, frame_of(TC(0, 1, 0, 1), 30, 2));
	EXPECT_EQ(-1, frame_of(TC(0, 9, 0, 1), 30, 2));
	EXPECT_EQ(-1, frame_of(TC(1, 1, 0, 0), 30, 2));
	/* ...but not at minutes divisible by ten, nor at other seconds. */
	EXPECT_EQ(17982, frame_of(TC(0, 10, 0, 0), 30, 2));
	EXPECT_EQ(1828, frame_of(TC(0, 1, 1, 0), 30, 2));
	EXPECT_TRUE(tc_eq(1800, 30, 2, TC(0, 1, 0, 2)));
	EXPECT_TRUE(tc_eq(17982, 30, 2, TC(0, 10, 0, 0)));
	EXPECT_TRUE(tc_eq(107892, 30, 2, TC(1, 0, 0, 0)));
	EXPECT_TRUE(tc_eq(124522, 30, 2, TC(1, 9, 14, 28)));
}

TEST(drop_frame_2997_every_minute_of_first_ten)
{
	int m;

	for (m = 1; m <= 10; m++) {
		/* Label mm:00;02 (mm:00;00 at m = 10) starts each minute. */
		long long first = m == 10 ? 17982 : 1798LL * m + 2;
		struct vcache_tc start = TC(0, m, 0, m % 10 ? 2 : 0);

		EXPECT_EQ(first, frame_of(start, 30, 2)) TH_LOG("minute %d", m);
		EXPECT_TRUE(tc_eq(first, 30, 2, start)) TH_LOG("minute %d", m);
		/* The frame before is the previous minute's :59;29. */
		EXPECT_EQ(first - 1, frame_of(TC(0, m - 1, 59, 29), 30, 2));
		EXPECT_TRUE(tc_eq(first - 1, 30, 2, TC(0, m - 1, 59, 29)));
		if (m % 10) {
			EXPECT_EQ(-1, frame_of(TC(0, m, 0, 0), 30, 2));
			EXPECT_EQ(-1, frame_of(TC(0, m, 0, 1), 30, 2));
		}
	}
}

TEST(drop_frame_5994_known_values)
{
	EXPECT_EQ(3600, frame_of(TC(0, 1, 0, 4), 60, 4));
	EXPECT_EQ(35964, frame_of(TC(0, 10, 0, 0), 60, 4));
	EXPECT_EQ(215784, frame_of(TC(1, 0, 0, 0), 60, 4));
	EXPECT_EQ(-1, frame_of(TC(0, 1, 0, 3), 60, 4));
	EXPECT_EQ(-1, frame_of(TC(0, 1, 0, 0), 60, 4));
	EXPECT_TRUE(tc_eq(3599, 60, 4, TC(0, 0, 59, 59)));
	EXPECT_TRUE(tc_eq(3600, 60, 4, TC(0, 1, 0, 4)));
	EXPECT_TRUE(tc_eq(35964, 60, 4, TC(0, 10, 0, 0)));
}

/* Label -> frame -> label is the identity over a day's worth of frames. */
TEST(round_trips)
{
	static const __u32 rates[][2] = { { 30, 2 }, { 60, 4 }, { 24, 0 }, { 25, 0 },
					   { 30, 0 }, { 50, 0 }, { 60, 0 } };
	unsigned int r;
	__u64 n;

	for (r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		__u32 fps = rates[r][0], drop = rates[r][1];
		__u64 day = drop ? (fps == 30 ? 2589408 : 5178816) : 86400ULL * fps;

		for (n = 0; n < day; n += (n < 40000 ? 1 : 997)) {
			struct vcache_tc tc;
			__u64 back;

			ASSERT_EQ(0, vcache_frame_to_tc(n, fps, drop, &tc));
			ASSERT_EQ(0, vcache_tc_to_frame(&tc, fps, drop, &back))
				TH_LOG("fps %u drop %u frame %llu", fps, drop,
				       (unsigned long long)n);
			ASSERT_EQ(n, back);
		}
	}
}

TEST(ticks)
{
	EXPECT_EQ(3003, vcache_frame_to_pts(1, 30000, 1001));
	EXPECT_EQ(3600, vcache_frame_to_pts(1, 25, 1));
	EXPECT_EQ(1501, vcache_frame_to_pts(1, 60000, 1001));	/* 1501.5 */
	EXPECT_EQ(3003, vcache_frame_to_pts(2, 60000, 1001));
	EXPECT_EQ(3753, vcache_frame_to_pts(1, 24000, 1001));	/* 3753.75 */
	EXPECT_EQ(3003ULL * 124522, vcache_frame_to_pts(124522, 30000, 1001));
	EXPECT_EQ(1, vcache_pts_to_frame(3754, 24000, 1001));
	EXPECT_EQ(1, vcache_pts_to_frame(3753, 24000, 1001));
	EXPECT_EQ(0, vcache_pts_to_frame(1799, 25, 1));
	EXPECT_EQ(1, vcache_pts_to_frame(1800, 25, 1));
	EXPECT_EQ(1800, vcache_frame_end_pts(0, 25, 1));
	EXPECT_EQ(5631, vcache_frame_end_pts(1, 24000, 1001));	/* 5630.625 */
	/* A stamp below frame_end_pts(n) rounds to frame n or before. */
	for (__u64 n = 0; n < 5000; n++) {
		__u64 end = vcache_frame_end_pts(n, 24000, 1001);

		ASSERT_EQ(n, vcache_pts_to_frame(end - 1, 24000, 1001));
		ASSERT_EQ(n + 1, vcache_pts_to_frame(end, 24000, 1001));
	}
}

TEST_HARNESS_MAIN
