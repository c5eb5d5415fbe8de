// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of include/vcache/name.h. */
#include <string.h>
#include <vcache/name.h>
#include <linux/vcache.h>
#include "kselftest_harness.h"

static size_t check(const char *s)
{
	char field[VCACHE_NAME_MAX];

	memset(field, 0, sizeof(field));
	memcpy(field, s, strnlen(s, sizeof(field)));
	return vcache_name_check(field, sizeof(field));
}

TEST(valid_names)
{
	EXPECT_EQ(3, check("abc"));
	EXPECT_EQ(11, check("movie-1.mp4"));
	EXPECT_EQ(1, check("x"));
	EXPECT_EQ(3, check("..."));
	EXPECT_EQ(2, check("\xc3\xa9"));		/* é */
	EXPECT_EQ(4, check("\xf0\x9f\x8e\xac"));	/* 🎬 */
	EXPECT_EQ(3, check("\xe2\x82\xac"));		/* € */
	EXPECT_EQ(4, check("a b!"));
}

TEST(longest_name)
{
	char s[VCACHE_NAME_MAX];

	memset(s, 'a', sizeof(s));
	s[VCACHE_NAME_MAX - 1] = '\0';
	EXPECT_EQ(VCACHE_NAME_MAX - 1, check(s));
}

TEST(unterminated_field)
{
	char field[VCACHE_NAME_MAX];

	memset(field, 'a', sizeof(field));
	EXPECT_EQ(0, vcache_name_check(field, sizeof(field)));
}

TEST(bad_names)
{
	EXPECT_EQ(0, check(""));
	EXPECT_EQ(0, check("."));
	EXPECT_EQ(0, check(".."));
	EXPECT_EQ(0, check("a/b"));
	EXPECT_EQ(0, check("/"));
	EXPECT_EQ(0, check("tab\there"));
	EXPECT_EQ(0, check("del\x7f"));
	EXPECT_EQ(0, check("\x80"));			/* lone continuation */
	EXPECT_EQ(0, check("\xc3"));			/* truncated */
	EXPECT_EQ(0, check("\xc0\xaf"));		/* overlong '/' */
	EXPECT_EQ(0, check("\xe0\x80\xaf"));		/* overlong */
	EXPECT_EQ(0, check("\xed\xa0\x80"));		/* surrogate */
	EXPECT_EQ(0, check("\xf4\x90\x80\x80"));	/* > U+10FFFF */
	EXPECT_EQ(0, check("\xff"));
	EXPECT_EQ(0, check("\xc2\x9b"));		/* U+009B, C1 CSI */
	EXPECT_EQ(0, check("\xc2\x80"));		/* U+0080 */
	EXPECT_EQ(2, check("\xc2\xa0"));		/* U+00A0 is fine */
}

TEST(garbage_after_nul)
{
	char field[VCACHE_NAME_MAX] = "abc";

	field[10] = 'x';
	EXPECT_EQ(0, vcache_name_check(field, sizeof(field)));
}

TEST_HARNESS_MAIN
