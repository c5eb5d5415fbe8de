// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of user/lib/chunked.c: the chunked request body decoder. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "chunked.h"
#include "kselftest_harness.h"

/* Decodes @s whole: the data, or "ERR", or "INCOMPLETE". */
static const char *dec(const char *s, size_t *used)
{
	static char buf[65536];
	size_t len = strlen(s), u;
	ssize_t n;

	memcpy(buf, s, len);
	n = chunked_decode(buf, len, &u);
	if (used)
		*used = u;
	if (n < 0)
		return "ERR";
	if (!n && !u)
		return "INCOMPLETE";
	buf[n] = '\0';
	return buf;
}

TEST(well_formed)
{
	size_t used;

	EXPECT_STREQ("hello world", dec("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &used));
	EXPECT_EQ(strlen("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), used);
	EXPECT_STREQ("", dec("0\r\n\r\n", &used));
	EXPECT_EQ(5, used);
	/* Upper and lower case hex, leading zeros. */
	EXPECT_STREQ("0123456789abcdef", dec("0010\r\n0123456789abcdef\r\n0\r\n\r\n", NULL));
	EXPECT_STREQ("0123456789", dec("A\r\n0123456789\r\n0\r\n\r\n", NULL));
	EXPECT_STREQ("0123456789", dec("a\r\n0123456789\r\n000\r\n\r\n", NULL));
	/* Extensions, with and without values and whitespace. */
	EXPECT_STREQ("abc", dec("3;x=1\r\nabc\r\n0;last\r\n\r\n", NULL));
	EXPECT_STREQ("abc", dec("3 ; x = \"q;\"\r\nabc\r\n0\r\n\r\n", NULL));
	/* Trailers are skipped. */
	EXPECT_STREQ("abc", dec("3\r\nabc\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", NULL));
	/* CRLF inside the data is data. */
	EXPECT_STREQ("\r\n\r\n", dec("4\r\n\r\n\r\n\r\n0\r\n\r\n", NULL));
	/* Bytes after the body are not taken. */
	EXPECT_STREQ("ab", dec("2\r\nab\r\n0\r\n\r\nGET / HTTP/1.1\r\n", &used));
	EXPECT_EQ(12, used);
}

TEST(incomplete)
{
	EXPECT_STREQ("INCOMPLETE", dec("", NULL));
	EXPECT_STREQ("INCOMPLETE", dec("5", NULL));
	EXPECT_STREQ("INCOMPLETE", dec("5\r\nhel", NULL));
	EXPECT_STREQ("INCOMPLETE", dec("5\r\nhello\r\n", NULL));
	EXPECT_STREQ("INCOMPLETE", dec("5\r\nhello\r\n0\r\n", NULL));
	EXPECT_STREQ("INCOMPLETE", dec("5\r\nhello\r\n0\r\nX: y\r\n", NULL));
}

TEST(malformed)
{
	static const char * const bad[] = {
		"\r\n",				/* no size */
		"x\r\nabc\r\n0\r\n\r\n",	/* not hex */
		"-1\r\n",
		"+5\r\nhello\r\n0\r\n\r\n",
		"0x5\r\nhello\r\n0\r\n\r\n",
		"5\nhello\r\n0\r\n\r\n",	/* bare LF */
		"5\r\rhello\r\n0\r\n\r\n",	/* CR CR */
		"5\r\nhelloX\r\n0\r\n\r\n",	/* data longer than the size */
		"5\r\nhello\n0\r\n\r\n",
		"5\r\nhello\r0\r\n\r\n",
		"5 \r\nhello\r\n0\r\n\r\n",	/* whitespace without extension */
		"5 x\r\nhello\r\n0\r\n\r\n",
		"5;a\x01\r\nhello\r\n0\r\n\r\n",	/* control in an extension */
		"5;a\x7f\r\nhello\r\n0\r\n\r\n",
		"10000000000000000\r\n",	/* 17 hex digits: past 64 bits */
		"0\r\n\n",			/* last chunk, bare LF */
		"0\r\n\rX",
		"0\r\n: x\r\n\r\n",		/* trailer without a name */
		" 0\r\n\r\n",
		"0\r\nX: \x01\r\n\r\n",
		"0\r\nX: y\n\r\n",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_STREQ("ERR", dec(bad[i], NULL)) {
			TH_LOG("case %u", i);
		}
	}
}

TEST(size_limits)
{
	struct chunked ck;
	char line[CHUNKED_LINE_MAX + 16];

	/* 16 hex digits are fine: the size is just very large. */
	chunked_init(&ck);
	ASSERT_EQ(18, chunked_parse(&ck, "ffffffffffffffff\r\nab", 20));
	EXPECT_EQ(UINT64_MAX, chunked_data_left(&ck));
	/* A chunk-size line longer than the limit fails, whatever its content. */
	memset(line, 0, sizeof(line));
	line[0] = '1';
	line[1] = ';';
	memset(line + 2, 'a', CHUNKED_LINE_MAX);
	chunked_init(&ck);
	EXPECT_EQ(-EINVAL, chunked_parse(&ck, line, strlen(line)));
	EXPECT_NE(NULL, ck.why);
	/* Sticky. */
	EXPECT_EQ(-EINVAL, chunked_parse(&ck, "0\r\n\r\n", 5));
	/* Trailer lines too. */
	chunked_init(&ck);
	ASSERT_EQ(3, chunked_parse(&ck, "0\r\n", 3));
	memset(line, 'b', CHUNKED_LINE_MAX + 8);
	line[CHUNKED_LINE_MAX + 8] = '\0';
	EXPECT_EQ(-EINVAL, chunked_parse(&ck, line, strlen(line)));
}

/* The decoder stops before data and at the end; data is the caller's. */
TEST(stops)
{
	struct chunked ck;
	const char *s = "3\r\nabc\r\n0\r\n\r\nNEXT";

	chunked_init(&ck);
	EXPECT_EQ(3, chunked_parse(&ck, s, strlen(s)));
	EXPECT_EQ(3, chunked_data_left(&ck));
	/* Parsing in CK_DATA takes nothing. */
	EXPECT_EQ(0, chunked_parse(&ck, s + 3, strlen(s) - 3));
	chunked_data(&ck, 2);
	EXPECT_EQ(1, chunked_data_left(&ck));
	chunked_data(&ck, 5);		/* more than left: ignored */
	EXPECT_EQ(1, chunked_data_left(&ck));
	chunked_data(&ck, 1);
	EXPECT_EQ(0, chunked_data_left(&ck));
	EXPECT_EQ(7, chunked_parse(&ck, s + 6, strlen(s) - 6));
	EXPECT_TRUE(chunked_done(&ck));
	EXPECT_EQ(3, ck.body);
	EXPECT_EQ(0, chunked_parse(&ck, "NEXT", 4));
}

/*
 * Random bodies cut at random places decode to the same data, whatever
 * the cuts: the state carries across calls.
 */
TEST(random_splits)
{
	static char enc[1 << 20], want[1 << 19], got[1 << 19];
	unsigned int seed = 7, round;

	for (round = 0; round < 200; round++) {
		size_t elen = 0, wlen = 0, glen = 0, pos = 0;
		struct chunked ck;
		int chunks = rand_r(&seed) % 20, k;

		for (k = 0; k < chunks; k++) {
			size_t n = 1 + rand_r(&seed) % 5000, j;

			elen += sprintf(enc + elen, rand_r(&seed) % 2 ? "%zx" : "%zX", n);
			if (rand_r(&seed) % 4 == 0)
				elen += sprintf(enc + elen, ";k%d=v", k);
			elen += sprintf(enc + elen, "\r\n");
			for (j = 0; j < n; j++) {
				char b = rand_r(&seed);

				enc[elen++] = b;
				want[wlen++] = b;
			}
			elen += sprintf(enc + elen, "\r\n");
		}
		elen += sprintf(enc + elen, "0\r\n%s\r\n", round % 3 ? "" : "T: x\r\n");

		chunked_init(&ck);
		while (!chunked_done(&ck)) {
			size_t cut = 1 + rand_r(&seed) % 700, end;
			uint64_t left = chunked_data_left(&ck);
			ssize_t n;

			ASSERT_LT(pos, elen);
			end = pos + cut < elen ? pos + cut : elen;
			if (left) {
				size_t take = end - pos < left ? end - pos : left;

				memcpy(got + glen, enc + pos, take);
				glen += take;
				pos += take;
				chunked_data(&ck, take);
				continue;
			}
			n = chunked_parse(&ck, enc + pos, end - pos);
			ASSERT_GE(n, 0);
			pos += n;
		}
		ASSERT_EQ(elen, pos);
		ASSERT_EQ(wlen, glen);
		ASSERT_EQ(0, memcmp(want, got, wlen));
		ASSERT_EQ(wlen, ck.body);
	}
}

TEST_HARNESS_MAIN
