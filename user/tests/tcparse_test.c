// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/tcparse.c: the TIMECODE grammar of "vcachectl
 * seek" and "cat --at", the LOOKUP requests it makes and the labels printed.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <vcache/timecode.h>
#include "tcparse.h"
#include "kselftest_harness.h"

/* Parses @s and checks it is the label hh:mm:ss:ff, drop-frame or not. */
static bool is_label(const char *s, unsigned int hh, unsigned int mm, unsigned int ss,
		     unsigned int ff, bool drop)
{
	struct tc_spec t;

	if (tc_parse(s, &t))
		return false;
	return t.form == TC_LABEL && t.drop == drop && t.tc.hh == hh && t.tc.mm == mm &&
	       t.tc.ss == ss && t.tc.ff == ff;
}

/* The error tc_parse() gives, checking that it left the output alone. */
static int parse_err(const char *s)
{
	struct tc_spec t, before;
	int err;

	memset(&t, 0xa5, sizeof(t));
	before = t;
	err = tc_parse(s, &t);
	if (err && memcmp(&t, &before, sizeof(t)))
		return -1;
	return err;
}

/* Ticks for a time argument, or -1. */
static long long ticks(const char *s, enum tc_form form)
{
	struct tc_spec t;

	if (tc_parse(s, &t) || t.form != form)
		return -1;
	return (long long)t.pts;
}

TEST(labels_non_drop)
{
	EXPECT_TRUE(is_label("00:00:00:00", 0, 0, 0, 0, false));
	EXPECT_TRUE(is_label("01:09:14:28", 1, 9, 14, 28, false));
	EXPECT_TRUE(is_label("23:59:59:24", 23, 59, 59, 24, false));
	EXPECT_TRUE(is_label("1:02:03:04", 1, 2, 3, 4, false));
	/* Three-digit frames for rates over 100 fps. */
	EXPECT_TRUE(is_label("00:00:01:119", 0, 0, 1, 119, false));
	/* Out of range for any rate, but well-formed: the kernel says EINVAL. */
	EXPECT_TRUE(is_label("99:99:99:99", 99, 99, 99, 99, false));
}

TEST(labels_drop_frame)
{
	EXPECT_TRUE(is_label("00:01:00;02", 0, 1, 0, 2, true));
	EXPECT_TRUE(is_label("00:01:00.02", 0, 1, 0, 2, true));
	EXPECT_TRUE(is_label("00;01;00;02", 0, 1, 0, 2, true));
	/* Syntax only: the label the drop skips is the kernel's to refuse. */
	EXPECT_TRUE(is_label("00:01:00;00", 0, 1, 0, 0, true));
}

TEST(labels_malformed)
{
	static const char * const bad[] = {
		"", ":", "1:2", "00:00:00", "00:00:00:", "00:00:00:0", "000:00:00:00",
		"00:0:00:00", "00:00:0:00", "00:00:00:0000", "00:00:00:00:00",
		"00:00;00:00", "00;00:00;00", "00;00;00:00", "00;00;00.00",
		"00.00.00.00", "00:00:00,00", " 00:00:00:00", "00:00:00:00 ",
		"-1:00:00:00", "+1:00:00:00", "0x:00:00:00", "00:00:00:aa",
		"00:00:00;", "00:00:00:00t", "00:00:00:00s", "1:2:3:4",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, parse_err(bad[i])) TH_LOG("case %u", i);
	/* The ioctl carries a byte per field. */
	EXPECT_EQ(-ERANGE, parse_err("00:00:00:256"));
	EXPECT_TRUE(is_label("00:00:00:255", 0, 0, 0, 255, false));
}

TEST(seconds_and_ticks)
{
	EXPECT_EQ(0, ticks("0", TC_SECONDS));
	EXPECT_EQ(90000, ticks("1", TC_SECONDS));
	EXPECT_EQ(90000, ticks("1s", TC_SECONDS));
	EXPECT_EQ(11106000, ticks("123.4", TC_SECONDS));
	EXPECT_EQ(3600, ticks("0.04", TC_SECONDS));
	EXPECT_EQ(3600, ticks("0.04s", TC_SECONDS));
	/* 1/29.97 s is 3003 ticks; 0.0333667 s rounds down to 3003. */
	EXPECT_EQ(3003, ticks("0.0333667", TC_SECONDS));
	/* Below a tick: rounded down. */
	EXPECT_EQ(0, ticks("0.000001", TC_SECONDS));
	EXPECT_EQ(90000 + 89999, ticks("1.999999999", TC_SECONDS));
	EXPECT_EQ(0, ticks("0t", TC_TICKS));
	EXPECT_EQ(90000, ticks("90000t", TC_TICKS));
	EXPECT_EQ((long long)(UINT64_MAX >> 1), ticks("9223372036854775807t", TC_TICKS));
}

TEST(seconds_malformed)
{
	static const char * const bad[] = {
		"s", "t", ".5", "5.", "5.s", "1.0000000001", "1e3", "-1", "+1", "1,5",
		"1.5t", "5ts", "5st", "5 s", "0x10", "1..2", "1.2.3", "ss", "5S",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, parse_err(bad[i])) TH_LOG("case %u", i);
	EXPECT_EQ(-ERANGE, parse_err("18446744073709551616t"));
	EXPECT_EQ(-ERANGE, parse_err("99999999999999999999"));
	/* The largest whole seconds that fit, and one more. */
	EXPECT_EQ(0, parse_err("204963823041216"));
	EXPECT_EQ(-ERANGE, parse_err("204963823041217"));
	/* A syntax error wins over an overflow before it. */
	EXPECT_EQ(-EINVAL, parse_err("99999999999999999999x"));
}

TEST(lookup_requests)
{
	struct vcache_lookup req;
	struct tc_spec t;

	ASSERT_EQ(0, tc_parse("00:01:00;02", &t));
	memset(&req, 0xff, sizeof(req));
	tc_lookup_init(&req, &t, 30000, 1001);
	EXPECT_EQ(VCACHE_LOOKUP_TIMECODE, req.mode);
	EXPECT_EQ(VCACHE_LOOKUP_DROP_FRAME, req.flags);
	EXPECT_EQ(1, req.tc.mm);
	EXPECT_EQ(2, req.tc.ff);
	EXPECT_EQ(0, req.__pad);
	EXPECT_EQ(0, req.reserved[3]);

	/* A label keeps its style even where the kernel will refuse it. */
	tc_lookup_init(&req, &t, 25, 1);
	EXPECT_EQ(VCACHE_LOOKUP_DROP_FRAME, req.flags);

	ASSERT_EQ(0, tc_parse("00:00:10:00", &t));
	tc_lookup_init(&req, &t, 30000, 1001);
	EXPECT_EQ(0, req.flags);

	/* Times answer in drop-frame labels where the rate has them. */
	ASSERT_EQ(0, tc_parse("10.5", &t));
	tc_lookup_init(&req, &t, 30000, 1001);
	EXPECT_EQ(VCACHE_LOOKUP_PTS, req.mode);
	EXPECT_EQ(945000, req.pts);
	EXPECT_EQ(VCACHE_LOOKUP_DROP_FRAME, req.flags);
	tc_lookup_init(&req, &t, 60000, 1001);
	EXPECT_EQ(VCACHE_LOOKUP_DROP_FRAME, req.flags);
	tc_lookup_init(&req, &t, 25, 1);
	EXPECT_EQ(0, req.flags);
	tc_lookup_init(&req, &t, 24000, 1001);
	EXPECT_EQ(0, req.flags);
}

static const char *reason(const char *s, uint32_t num, uint32_t den)
{
	static char buf[128];
	struct tc_spec t;

	if (tc_parse(s, &t))
		return "parse error";
	return tc_invalid_reason(&t, num, den, buf, sizeof(buf));
}

TEST(invalid_reasons)
{
	EXPECT_EQ(NULL, reason("00:00:00:24", 25, 1));
	EXPECT_EQ(NULL, reason("00:01:00;02", 30000, 1001));
	EXPECT_EQ(NULL, reason("00:10:00;00", 30000, 1001));
	EXPECT_EQ(NULL, reason("00:01:00:00", 30000, 1001));
	EXPECT_EQ(NULL, reason("00:01:00;04", 60000, 1001));
	EXPECT_EQ(NULL, reason("12.5", 25, 1));
	EXPECT_STREQ("frames must be below 25", reason("00:00:00:25", 25, 1));
	EXPECT_STREQ("frames must be below 30", reason("00:00:00;30", 30000, 1001));
	EXPECT_STREQ("hours must be below 24", reason("24:00:00:00", 25, 1));
	EXPECT_STREQ("minutes must be below 60", reason("00:60:00:00", 25, 1));
	EXPECT_STREQ("seconds must be below 60", reason("00:00:60:00", 25, 1));
	EXPECT_STREQ("drop-frame timecode needs 29.97 or 59.94 fps",
		     reason("00:00:00;00", 25, 1));
	EXPECT_STREQ("drop-frame timecode needs 29.97 or 59.94 fps",
		     reason("00:00:00;00", 30, 1));
	EXPECT_STREQ("drop-frame skips frames 00 to 01 of minutes not divisible by ten",
		     reason("00:01:00;00", 30000, 1001));
	EXPECT_STREQ("drop-frame skips frames 00 to 01 of minutes not divisible by ten",
		     reason("00:01:00;01", 30000, 1001));
	EXPECT_STREQ("drop-frame skips frames 00 to 03 of minutes not divisible by ten",
		     reason("01:59:00;03", 60000, 1001));
}

/* Each reason matches what the kernel's arithmetic refuses. */
TEST(reasons_agree_with_timecode_h)
{
	static const uint32_t rates[][2] = {
		{ 25, 1 }, { 30000, 1001 }, { 60000, 1001 }, { 24000, 1001 }, { 50, 1 },
	};
	unsigned int r, mm, ss, ff, d;
	char s[32], buf[128];

	for (r = 0; r < ARRAY_SIZE(rates); r++) {
		uint32_t num = rates[r][0], den = rates[r][1];
		uint32_t fps = vcache_tc_fps(num, den), drop = vcache_tc_drop(num, den);

		for (d = 0; d < 2; d++)
			for (mm = 0; mm < 12; mm++)
				for (ss = 0; ss < 2; ss++)
					for (ff = 0; ff <= fps; ff++) {
						struct vcache_tc tc = { 0, mm, ss, ff };
						struct tc_spec t;
						bool ok;
						__u64 n;

						snprintf(s, sizeof(s), "00:%02u:%02u%c%02u", mm, ss,
							 d ? ';' : ':', ff);
						ASSERT_EQ(0, tc_parse(s, &t));
						ok = (!d || drop) &&
						     !vcache_tc_to_frame(&tc, fps, d ? drop : 0, &n);
						EXPECT_EQ(ok, !tc_invalid_reason(&t, num, den, buf,
										 sizeof(buf)))
							TH_LOG("%s at %u/%u", s, num, den);
					}
	}
}

TEST(formats)
{
	struct vcache_timecode tc = { .hh = 1, .mm = 2, .ss = 3, .ff = 4 };
	char buf[64];

	tc_format(buf, sizeof(buf), &tc, false);
	EXPECT_STREQ("01:02:03:04", buf);
	tc_format(buf, sizeof(buf), &tc, true);
	EXPECT_STREQ("01:02:03;04", buf);

	tc_format_frame(buf, sizeof(buf), 3000, 25, 1, false);
	EXPECT_STREQ("00:02:00:00", buf);
	/* Drop-frame only where the rate has it. */
	tc_format_frame(buf, sizeof(buf), 3000, 25, 1, true);
	EXPECT_STREQ("00:02:00:00", buf);
	/* Drop-frame labels keep to the wall clock, non-drop ones fall behind. */
	tc_format_frame(buf, sizeof(buf), 3597, 30000, 1001, true);
	EXPECT_STREQ("00:01:59;29", buf);
	tc_format_frame(buf, sizeof(buf), 3598, 30000, 1001, true);
	EXPECT_STREQ("00:02:00;02", buf);
	tc_format_frame(buf, sizeof(buf), 3597, 30000, 1001, false);
	EXPECT_STREQ("00:01:59:27", buf);
	tc_format_frame(buf, sizeof(buf), 1800, 30000, 1001, true);
	EXPECT_STREQ("00:01:00;02", buf);
	tc_format_frame(buf, sizeof(buf), 256ULL * 3600 * 25, 25, 1, false);
	EXPECT_STREQ("-", buf);

	/* 120 s at 25 fps, and a stamp a tick early still names its frame. */
	tc_format_pts(buf, sizeof(buf), 120 * 90000, 25, 1, false);
	EXPECT_STREQ("00:02:00:00", buf);
	tc_format_pts(buf, sizeof(buf), 3599, 25, 1, false);
	EXPECT_STREQ("00:00:00:01", buf);
	tc_format_pts(buf, sizeof(buf), 1800 * 3003, 30000, 1001, true);
	EXPECT_STREQ("00:01:00;02", buf);

	tc_format_seconds(buf, sizeof(buf), 0);
	EXPECT_STREQ("0.000", buf);
	tc_format_seconds(buf, sizeof(buf), 5222400);
	EXPECT_STREQ("58.026", buf);
	tc_format_seconds(buf, sizeof(buf), 89);
	EXPECT_STREQ("0.000", buf);
	tc_format_seconds(buf, sizeof(buf), 90);
	EXPECT_STREQ("0.001", buf);
}

TEST_HARNESS_MAIN
