// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/parse.c, linked from the library built with the
 * sanitizers (build/unit/libvcache-user.a).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "parse.h"
#include "kselftest_harness.h"

static uint64_t size_of(const char *s)
{
	uint64_t v = 0xdeadbeef;

	return parse_size(s, &v) ? 0xbad : v;
}

static int size_err(const char *s)
{
	uint64_t v = 0xdeadbeef;
	int err = parse_size(s, &v);

	/* A failed parse leaves the output alone. */
	return err && v != 0xdeadbeef ? -1 : err;
}

TEST(size_plain_and_units)
{
	EXPECT_EQ(0, size_of("0"));
	EXPECT_EQ(4096, size_of("4096"));
	EXPECT_EQ(4096, size_of("004096"));
	EXPECT_EQ(64 * 1024, size_of("64K"));
	EXPECT_EQ(64 * 1024, size_of("64k"));
	EXPECT_EQ(64 * 1024, size_of("64KiB"));
	EXPECT_EQ(20 << 20, size_of("20M"));
	EXPECT_EQ(20 << 20, size_of("20MiB"));
	EXPECT_EQ(20 << 20, size_of("20m"));
	EXPECT_EQ(3ULL << 30, size_of("3G"));
	EXPECT_EQ(1ULL << 40, size_of("1T"));
	EXPECT_EQ(1ULL << 50, size_of("1P"));
	EXPECT_EQ(1ULL << 60, size_of("1EiB"));
	EXPECT_EQ(UINT64_MAX, size_of("18446744073709551615"));
}

TEST(size_fractions)
{
	EXPECT_EQ(1536, size_of("1.5K"));
	EXPECT_EQ(3ULL << 29, size_of("1.5G"));
	EXPECT_EQ(3ULL << 29, size_of("1.50GiB"));
	EXPECT_EQ(512, size_of("0.5K"));
	EXPECT_EQ(1024 + 256, size_of("1.25K"));
	EXPECT_EQ(1ULL << 20, size_of("1.000000000000000000M"));	/* 18 digits */
	EXPECT_EQ(15ULL << 59, size_of("7.5E"));			/* near the top */
	/* Fractions that are no whole number of bytes. */
	EXPECT_EQ(-EINVAL, size_err("0.3K"));
	EXPECT_EQ(-EINVAL, size_err("1.1K"));
	EXPECT_EQ(-EINVAL, size_err("0.0001K"));
	/* A fraction of a byte is never meant. */
	EXPECT_EQ(-EINVAL, size_err("1.5"));
	EXPECT_EQ(-EINVAL, size_err("1.0"));
}

TEST(size_junk)
{
	static const char * const bad[] = {
		"", " 1", "1 ", "+1", "-1", "-0", "0x10", "1e3", "K", "1KK", "1KB",
		"1MB", "1Mi", "1MiBx", "1iB", "1B", "1.", ".5K", "1..5K", "1.5.K",
		"1,5K", "1X", "1/2", "1.0000000000000000000K", "\xc3\xa9",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, size_err(bad[i])) TH_LOG("bad[%u]", i);
	/* Out-of-range digits in junk are still junk. */
	EXPECT_EQ(-EINVAL, size_err("99999999999999999999x"));
}

TEST(size_overflow)
{
	EXPECT_EQ(-ERANGE, size_err("18446744073709551616"));
	EXPECT_EQ(-ERANGE, size_err("99999999999999999999999999"));
	EXPECT_EQ(-ERANGE, size_err("16E"));
	EXPECT_EQ(-ERANGE, size_err("16EiB"));
	EXPECT_EQ(-ERANGE, size_err("18014398509481984K"));	/* 2^54 K */
	EXPECT_EQ(-ERANGE, size_err("16.5E"));
	EXPECT_EQ(-ERANGE, size_err("16.0E"));
	EXPECT_EQ(15ULL << 60, size_of("15E"));
	EXPECT_EQ(31ULL << 59, size_of("15.5E"));
	EXPECT_EQ(UINT64_MAX - (1ULL << 56) + 1, size_of("15.9375E"));
	EXPECT_EQ(UINT64_MAX - 1023, size_of("18014398509481983K"));
}

static int fps(const char *s, uint32_t *num, uint32_t *den)
{
	*num = 0xdead;
	*den = 0xbeef;
	return parse_fps(s, num, den);
}

#define EXPECT_FPS(s, n, d) do {				\
	uint32_t _n, _d;					\
	EXPECT_EQ(0, fps(s, &_n, &_d)) TH_LOG("\"%s\"", s);	\
	EXPECT_EQ(n, _n) TH_LOG("\"%s\"", s);			\
	EXPECT_EQ(d, _d) TH_LOG("\"%s\"", s);			\
} while (0)

#define EXPECT_FPS_ERR(s, err) do {				\
	uint32_t _n, _d;					\
	EXPECT_EQ(err, fps(s, &_n, &_d)) TH_LOG("\"%s\"", s);	\
	EXPECT_EQ(0xdead, _n);					\
	EXPECT_EQ(0xbeef, _d);					\
} while (0)

TEST(fps_integers_and_ratios)
{
	EXPECT_FPS("25", 25, 1);
	EXPECT_FPS("1", 1, 1);
	EXPECT_FPS("1000", 1000, 1);
	EXPECT_FPS("30000/1001", 30000, 1001);
	EXPECT_FPS("60/2", 60, 2);		/* as written, not reduced */
	EXPECT_FPS("1001/1001", 1001, 1001);
	EXPECT_FPS("4294967295/4294968", 4294967295U, 4294968);
}

TEST(fps_ntsc_decimals)
{
	EXPECT_FPS("29.97", 30000, 1001);
	EXPECT_FPS("29.970", 30000, 1001);
	EXPECT_FPS("59.94", 60000, 1001);
	EXPECT_FPS("23.976", 24000, 1001);
	EXPECT_FPS("23.98", 24000, 1001);
	EXPECT_FPS("119.88", 120000, 1001);
	EXPECT_FPS("47.952", 48000, 1001);
	EXPECT_FPS("14.985", 15000, 1001);
	EXPECT_FPS("29.97003", 30000, 1001);
	EXPECT_FPS("999.00", 999, 1);		/* 1000/1.001 is 999.000999 */
	EXPECT_FPS("999.001", 1000000, 1001);
	EXPECT_FPS("1.00", 1, 1);
}

TEST(fps_exact_decimals)
{
	EXPECT_FPS("12.5", 25, 2);
	EXPECT_FPS("25.0", 25, 1);
	EXPECT_FPS("25.00", 25, 1);
	EXPECT_FPS("30.00", 30, 1);
	EXPECT_FPS("29.9", 299, 10);		/* one digit: never snapped */
	EXPECT_FPS("29.96", 749, 25);		/* close, but not 29.97 */
	EXPECT_FPS("29.971", 29971, 1000);
	EXPECT_FPS("1.000000001", 1000000001, 1000000000);
	EXPECT_FPS("1000.0", 1000, 1);
}

TEST(fps_bad)
{
	static const char * const junk[] = {
		"", "x", "25fps", " 25", "25 ", "+25", "-25", "25/", "/25", "25/0",
		"25/-1", "1/2/3", "2.5/2", "29.", ".97", "29..97", "1e2",
		"1.0000000001", "0x19",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(junk); i++)
		EXPECT_FPS_ERR(junk[i], -EINVAL);
	EXPECT_FPS_ERR("0", -ERANGE);
	EXPECT_FPS_ERR("0/1", -ERANGE);
	EXPECT_FPS_ERR("0.5", -ERANGE);
	EXPECT_FPS_ERR("0.99", -ERANGE);
	EXPECT_FPS_ERR("1001", -ERANGE);
	EXPECT_FPS_ERR("1000.001", -ERANGE);
	EXPECT_FPS_ERR("1001/1", -ERANGE);
	EXPECT_FPS_ERR("1/1001", -ERANGE);
	EXPECT_FPS_ERR("1001000/1000", -ERANGE);
	EXPECT_FPS_ERR("4294967295/4294967", -ERANGE);	/* 1000.00008 */
	EXPECT_FPS_ERR("0.999", -ERANGE);		/* 1000/1001 */
	EXPECT_FPS_ERR("4294967296", -ERANGE);
	EXPECT_FPS_ERR("25/4294967296", -ERANGE);
	EXPECT_FPS_ERR("99999999999999999999", -ERANGE);
	EXPECT_FPS_ERR("999.123456789", -ERANGE);	/* no u32 ratio */
}

static const char *fmt_size(uint64_t b)
{
	static char buf[32];

	format_size(buf, sizeof(buf), b);
	return buf;
}

TEST(human_sizes)
{
	EXPECT_STREQ("0 B", fmt_size(0));
	EXPECT_STREQ("1023 B", fmt_size(1023));
	EXPECT_STREQ("1.0 KiB", fmt_size(1024));
	EXPECT_STREQ("1.5 KiB", fmt_size(1536));
	EXPECT_STREQ("20.0 MiB", fmt_size(20 << 20));
	EXPECT_STREQ("3.0 MiB", fmt_size((3 << 20) + 7));
	EXPECT_STREQ("1023.9 KiB", fmt_size(1048473));
	EXPECT_STREQ("1.0 MiB", fmt_size(1048575));	/* rounds up a unit */
	EXPECT_STREQ("1.5 GiB", fmt_size(3ULL << 29));
	EXPECT_STREQ("16.0 EiB", fmt_size(UINT64_MAX));
	EXPECT_STREQ("1.0 EiB", fmt_size(1ULL << 60));
}

TEST(human_sizes_truncate_like_snprintf)
{
	char buf[5];

	EXPECT_EQ(8, format_size(buf, sizeof(buf), 20 << 20));
	EXPECT_STREQ("20.0", buf);
	EXPECT_EQ(8, format_size(NULL, 0, 20 << 20));
}

static const char *fmt_fps(uint32_t num, uint32_t den)
{
	static char buf[64];

	format_fps(buf, sizeof(buf), num, den);
	return buf;
}

TEST(fps_display)
{
	EXPECT_STREQ("25", fmt_fps(25, 1));
	EXPECT_STREQ("29.97 (30000/1001)", fmt_fps(30000, 1001));
	EXPECT_STREQ("59.94 (60000/1001)", fmt_fps(60000, 1001));
	EXPECT_STREQ("23.976 (24000/1001)", fmt_fps(24000, 1001));
	EXPECT_STREQ("12.5 (25/2)", fmt_fps(25, 2));
	EXPECT_STREQ("30 (60/2)", fmt_fps(60, 2));
	EXPECT_STREQ("1000 (4294967295/4294967)", fmt_fps(4294967295U, 4294967));
	EXPECT_STREQ("7/0", fmt_fps(7, 0));	/* never from the kernel */
}

TEST(iso_times)
{
	char buf[64];

	format_time(buf, sizeof(buf), 0);
	EXPECT_STREQ("1970-01-01T00:00:00Z", buf);
	format_time(buf, sizeof(buf), 1700000000123456789ULL);
	EXPECT_STREQ("2023-11-14T22:13:20Z", buf);
	format_time(buf, sizeof(buf), 951782400ULL * 1000000000);
	EXPECT_STREQ("2000-02-29T00:00:00Z", buf);
}

static const char *json(const char *s, size_t len)
{
	static char buf[256];

	json_escape(buf, sizeof(buf), s, len);
	return buf;
}

static const char *cesc(const char *s)
{
	static char buf[256];

	c_escape(buf, sizeof(buf), s, strlen(s));
	return buf;
}

TEST(json_strings)
{
	EXPECT_STREQ("movie-1.mp4", json("movie-1.mp4", 11));
	EXPECT_STREQ("a\\\"b\\\\c", json("a\"b\\c", 5));
	EXPECT_STREQ("\\n\\t\\r\\b\\f", json("\n\t\r\b\f", 5));
	EXPECT_STREQ("\\u0001\\u001f\\u007f", json("\x01\x1f\x7f", 3));
	EXPECT_STREQ("a\\u0000b", json("a\0b", 3));
	EXPECT_STREQ("caf\xc3\xa9 \xf0\x9f\x8e\xac", json("caf\xc3\xa9 \xf0\x9f\x8e\xac", 10));
	EXPECT_STREQ("\\u0085\\u009b", json("\xc2\x85\xc2\x9b", 4));	/* C1 */
	EXPECT_STREQ("\xc2\xa0", json("\xc2\xa0", 2));			/* NBSP is text */
	/* Not UTF-8: replaced, never passed on raw. */
	EXPECT_STREQ("\\ufffd", json("\xff", 1));
	EXPECT_STREQ("\\ufffd\\ufffd", json("\xc0\xaf", 2));
	EXPECT_STREQ("a\\ufffd", json("a\xc3", 2));			/* cut short */
	EXPECT_STREQ("\\ufffd\\ufffd\\ufffd", json("\xed\xa0\x80", 3));	/* surrogate */
	EXPECT_STREQ("", json("", 0));
}

TEST(json_length_and_truncation)
{
	char buf[4];

	EXPECT_EQ(6, json_escape(NULL, 0, "\x01", 1));
	EXPECT_EQ(12, json_escape(buf, sizeof(buf), "\"\"\"\"\"\"", 6));
	EXPECT_STREQ("\\\"\\", buf);
}

TEST(c_strings)
{
	EXPECT_STREQ("a/b", cesc("a/b"));
	EXPECT_STREQ("tab\\there", cesc("tab\there"));
	EXPECT_STREQ("\\x1b[31m", cesc("\x1b[31m"));
	EXPECT_STREQ("\\xc3", cesc("\xc3"));
	EXPECT_STREQ("\\xc0\\xaf", cesc("\xc0\xaf"));
	EXPECT_STREQ("\\x7f\\\"", cesc("\x7f\""));
	EXPECT_STREQ("\xe2\x82\xac", cesc("\xe2\x82\xac"));
	EXPECT_STREQ("\\u009b", cesc("\xc2\x9b"));
}

TEST_HARNESS_MAIN
