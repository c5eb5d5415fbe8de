// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of user/lib/range.c: Range, If-Range, Content-Range. */
#include <stdint.h>
#include <string.h>
#include "http.h"
#include "tcparse.h"
#include "range.h"
#include "kselftest_harness.h"

struct parsed {
	enum range_result res;
	unsigned int n;
	struct byte_range r[RANGE_MAX];
};

static struct parsed rp(const char *s, uint64_t size)
{
	struct http_span v = { s, s ? strlen(s) : 0 };
	struct parsed p;

	memset(&p, 0xaa, sizeof(p));
	p.res = range_parse(v, size, p.r, &p.n);
	return p;
}

#define EXPECT_ONE(s, size, a, b) do {					\
	struct parsed _p = rp(s, size);					\
	EXPECT_EQ(RANGE_PARTIAL, _p.res);				\
	EXPECT_EQ(1, _p.n);						\
	EXPECT_EQ((uint64_t)(a), _p.r[0].first);			\
	EXPECT_EQ((uint64_t)(b), _p.r[0].last);				\
} while (0)

TEST(single_ranges)
{
	EXPECT_ONE("bytes=0-99", 1000, 0, 99);
	EXPECT_ONE("bytes=0-0", 1000, 0, 0);
	EXPECT_ONE("bytes=999-999", 1000, 999, 999);
	EXPECT_ONE("bytes=500-", 1000, 500, 999);
	EXPECT_ONE("bytes=-100", 1000, 900, 999);
	EXPECT_ONE("bytes=-1", 1000, 999, 999);
	/* A last byte past the end is cut to it; so is a suffix. */
	EXPECT_ONE("bytes=900-5000", 1000, 900, 999);
	EXPECT_ONE("bytes=-5000", 1000, 0, 999);
	EXPECT_ONE("bytes=0-18446744073709551615", 1000, 0, 999);
	/* Case and whitespace. */
	EXPECT_ONE("Bytes=1-2", 1000, 1, 2);
	EXPECT_ONE(" bytes=1-2 ", 1000, 1, 2);
	EXPECT_ONE("bytes= 1-2", 1000, 1, 2);
	EXPECT_ONE("bytes=1-2,", 1000, 1, 2);
	EXPECT_ONE("bytes=,1-2", 1000, 1, 2);
}

TEST(unsatisfiable)
{
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=1000-", 1000).res);
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=1000-2000", 1000).res);
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=-0", 1000).res);
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=0-", 0).res);
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=-5", 0).res);
	EXPECT_EQ(RANGE_UNSATISFIABLE, rp("bytes=2000-3000, 4000-", 1000).res);
	/* Unsatisfiable ones are dropped when another one is fine. */
	EXPECT_ONE("bytes=2000-3000, 10-19", 1000, 10, 19);
}

TEST(ignored)
{
	/* Not parsing, last < first, other units: the whole body. */
	EXPECT_EQ(RANGE_WHOLE, rp(NULL, 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=,", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=5-1", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=a-b", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=1", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=-", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=--1", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=1-2-3", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=1 -2", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=1-2 3-4", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=+1-2", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0x1-2", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes 0-1", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("items=0-1", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=99999999999999999999-", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0-99999999999999999999", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=-99999999999999999999", 1000).res);
	/* Even an invalid one among valid ones spoils the field. */
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0-1, 5-2", 1000).res);
}

TEST(multiple_ranges)
{
	struct parsed p = rp("bytes=500-599, 0-99,-10", 1000);

	ASSERT_EQ(RANGE_PARTIAL, p.res);
	ASSERT_EQ(3, p.n);
	/* In the order asked, not sorted. */
	EXPECT_EQ(500, p.r[0].first);
	EXPECT_EQ(599, p.r[0].last);
	EXPECT_EQ(0, p.r[1].first);
	EXPECT_EQ(99, p.r[1].last);
	EXPECT_EQ(990, p.r[2].first);
	EXPECT_EQ(999, p.r[2].last);
	/* Adjacent is fine; overlapping is not served as multipart. */
	EXPECT_EQ(2, rp("bytes=0-9,10-19", 1000).n);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0-10,10-19", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0-,5-6", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=-500,600-700", 1000).res);
	EXPECT_EQ(RANGE_WHOLE, rp("bytes=0-0,0-0", 1000).res);
}

TEST(range_count_limit)
{
	char buf[512] = "bytes=";
	unsigned int i;

	for (i = 0; i < RANGE_MAX; i++)
		sprintf(buf + strlen(buf), "%u-%u,", i * 10, i * 10 + 1);
	EXPECT_EQ(RANGE_MAX, rp(buf, 1000).n);
	strcat(buf, "900-901");
	EXPECT_EQ(RANGE_WHOLE, rp(buf, 1000).res);
}

static bool ifr(const char *v, const char *etag, time_t lm)
{
	struct http_span s = { v, v ? strlen(v) : 0 };

	return if_range_allows(s, etag, lm);
}

TEST(if_range)
{
	const char *tag = "\"7-64-1\"";

	EXPECT_TRUE(ifr(NULL, tag, 784111777));
	EXPECT_TRUE(ifr("\"7-64-1\"", tag, 784111777));
	EXPECT_TRUE(ifr(" \"7-64-1\" ", tag, 784111777));
	EXPECT_FALSE(ifr("\"7-64-2\"", tag, 784111777));
	/* Strong comparison: a weak tag never matches. */
	EXPECT_FALSE(ifr("W/\"7-64-1\"", tag, 784111777));
	EXPECT_FALSE(ifr("\"7-64-1\", \"x\"", tag, 784111777));
	EXPECT_FALSE(ifr("*", tag, 784111777));
	/* No entity tag: nothing matches one. */
	EXPECT_FALSE(ifr("\"7-64-1\"", NULL, 784111777));
	/* Dates: an exact match only, in any of the three forms. */
	EXPECT_TRUE(ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, 784111777));
	EXPECT_TRUE(ifr("Sunday, 06-Nov-94 08:49:37 GMT", tag, 784111777));
	EXPECT_FALSE(ifr("Sun, 06 Nov 1994 08:49:38 GMT", tag, 784111777));
	EXPECT_FALSE(ifr("Sun, 06 Nov 1994 08:49:36 GMT", tag, 784111777));
	EXPECT_FALSE(ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, -1));
	/* A weekday starting with W is a date, not a weak tag. */
	EXPECT_TRUE(ifr("Wed, 09 Nov 1994 08:49:37 GMT", tag, 784111777 + 3 * 86400));
	EXPECT_FALSE(ifr("garbage", tag, 784111777));
	EXPECT_FALSE(ifr("", tag, 784111777));
}

TEST(content_range)
{
	struct byte_range r = { 0, 499 };
	char buf[80];

	range_format_content_range(buf, sizeof(buf), &r, 1234);
	EXPECT_STREQ("bytes 0-499/1234", buf);
	range_format_content_range(buf, sizeof(buf), NULL, 1234);
	EXPECT_STREQ("bytes */1234", buf);
}

static enum live_range lr(const char *s, uint64_t tail, uint64_t head, struct byte_range *r)
{
	struct http_span v = { s, s ? strlen(s) : 0 };

	*r = (struct byte_range){ 7, 7 };
	return live_range_parse(v, tail, head, r);
}

/* A live stream holding [1000, 5000): what a segment's Range gets. */
TEST(live_ranges)
{
	struct byte_range r;

	EXPECT_EQ(LIVE_RANGE_OK, lr("bytes=1000-1999", 1000, 5000, &r));
	EXPECT_EQ(1000, r.first);
	EXPECT_EQ(1999, r.last);
	EXPECT_EQ(LIVE_RANGE_OK, lr(" BYTES= 4999-4999 ", 1000, 5000, &r));
	EXPECT_EQ(4999, r.first);
	EXPECT_EQ(4999, r.last);
	/* Past the head: cut to what was written. */
	EXPECT_EQ(LIVE_RANGE_OK, lr("bytes=4000-99999999999", 1000, 5000, &r));
	EXPECT_EQ(4000, r.first);
	EXPECT_EQ(4999, r.last);
	/* Not written yet, or gone from the window. */
	EXPECT_EQ(LIVE_RANGE_AHEAD, lr("bytes=5000-5999", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_AHEAD, lr("bytes=0-9", 0, 0, &r));
	EXPECT_EQ(LIVE_RANGE_GONE, lr("bytes=999-1999", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_GONE, lr("bytes=0-0", 1000, 5000, &r));
	/* Followed as without a Range: none, open, suffix, several, junk. */
	EXPECT_EQ(LIVE_RANGE_NONE, lr(NULL, 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=0-", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=2000-", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=-100", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=1000-1099,2000-2099", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=2000-1999", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("items=1000-1999", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=1000-1999x", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=1000-99999999999999999999", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("bytes=", 1000, 5000, &r));
	EXPECT_EQ(LIVE_RANGE_NONE, lr("", 1000, 5000, &r));
}

TEST_HARNESS_MAIN
