// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of user/streamer/ingest_auth.c: who may publish a live stream. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "http.h"
#include "tcparse.h"
#include "ingest_auth.h"
#include "kselftest_harness.h"

#define TOK_A	"abcdefghijklmnop0123"
#define TOK_B	"QUJDREVGR0hJSktMTU5PUA=="

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	return ss;
}

static enum ingest_verdict check(const struct ingest_auth *a, const char *peer,
				 const char *name, const char *authz)
{
	struct sockaddr_storage ss = addr(peer);
	struct http_span h = { authz, authz ? strlen(authz) : 0 };

	return ingest_auth_check(a, &ss, name, h);
}

static int tokens(struct ingest_auth *a, const char *text, char *why, size_t size)
{
	return ingest_auth_parse_tokens(a, text, strlen(text), why, size);
}

TEST(default_is_loopback_only)
{
	struct ingest_auth a = { 0 };

	EXPECT_EQ(INGEST_OK, check(&a, "127.0.0.1", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "127.8.9.10", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "::1", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "::ffff:127.0.0.1", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "10.0.0.1", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "::ffff:10.0.0.1", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "2001:db8::1", "s", NULL));
}

TEST(allow_list)
{
	struct ingest_auth a = { 0 };
	const char *why = NULL;

	ASSERT_EQ(0, ingest_auth_add_net(&a, "10.1.0.0/16", &why));
	ASSERT_EQ(0, ingest_auth_add_net(&a, "192.0.2.7", &why));
	ASSERT_EQ(0, ingest_auth_add_net(&a, "2001:db8::/33", &why));
	ASSERT_EQ(0, ingest_auth_add_net(&a, "172.16.0.0/12", &why));
	EXPECT_EQ(INGEST_OK, check(&a, "10.1.255.3", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "::ffff:10.1.0.1", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "10.2.0.1", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "192.0.2.7", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "192.0.2.8", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "2001:db8:7fff::1", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "2001:db8:8000::1", "s", NULL));
	EXPECT_EQ(INGEST_OK, check(&a, "172.31.255.255", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "172.32.0.0", "s", NULL));
	/* A list replaces the loopback default. */
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "127.0.0.1", "s", NULL));
}

TEST(bad_networks)
{
	struct ingest_auth a = { 0 };
	const char *why = NULL;

	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "10.0.0.1/8", &why));
	EXPECT_STREQ("host bits set after the prefix", why);
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "10.0.0.0/33", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "10.0.0.0/", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "10.0.0.0/-1", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "10.0.0.0/8x", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "example.com", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "", &why));
	EXPECT_EQ(-EINVAL, ingest_auth_add_net(&a, "/8", &why));
	EXPECT_EQ(0, a.nnets);
	EXPECT_EQ(0, ingest_auth_add_net(&a, "0.0.0.0/0", &why));
	EXPECT_EQ(INGEST_OK, check(&a, "203.0.113.9", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "::2", "s", NULL));
}

TEST(tokens_for_all_and_for_one)
{
	struct ingest_auth a = { 0 };
	char why[64] = "";

	ASSERT_EQ(0, tokens(&a, "# ingest tokens\n\n" TOK_A "\r\n  news  " TOK_B "\n", why,
			    sizeof(why)));
	ASSERT_EQ(2, a.ntokens);
	/* With tokens and no allow-list, any address; the token decides. */
	EXPECT_EQ(INGEST_OK, check(&a, "203.0.113.9", "any", "Bearer " TOK_A));
	EXPECT_EQ(INGEST_OK, check(&a, "203.0.113.9", "any", "bearer   " TOK_A));
	EXPECT_EQ(INGEST_OK, check(&a, "127.0.0.1", "news", "Bearer " TOK_B));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "sport", "Bearer " TOK_B));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news", NULL));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news", "Basic " TOK_A));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news", "Bearer"));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news", "Bearer "));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news", "Bearer " TOK_A "x"));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news",
					     "Bearer abcdefghijklmnop012"));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "127.0.0.1", "news",
					     "Bearer abcdefghijklmnop0124"));
	ingest_auth_free(&a);
	EXPECT_EQ(0, a.ntokens);
}

TEST(address_checked_before_token)
{
	struct ingest_auth a = { 0 };
	const char *w = NULL;
	char why[64] = "";

	ASSERT_EQ(0, tokens(&a, TOK_A "\n", why, sizeof(why)));
	ASSERT_EQ(0, ingest_auth_add_net(&a, "10.0.0.0/8", &w));
	EXPECT_EQ(INGEST_OK, check(&a, "10.9.9.9", "s", "Bearer " TOK_A));
	EXPECT_EQ(INGEST_UNAUTHORIZED, check(&a, "10.9.9.9", "s", NULL));
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "11.0.0.1", "s", "Bearer " TOK_A));
	ingest_auth_free(&a);
}

TEST(bad_token_files)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "short\n", "line 1: a token is 16 to 256 characters" },
		{ "# c\n" TOK_A " x y\n", "line 2: want TOKEN or NAME TOKEN" },
		{ "abcdefghijklmnop\"123\n", "line 1: a token is letters, digits and -._~+/ "
		  "(then '=' padding)" },
		{ "abcdefghij==klmnop\n", "line 1: a token is letters, digits and -._~+/ "
		  "(then '=' padding)" },
		{ "===============================\n", "line 1: a token is letters, digits and "
		  "-._~+/ (then '=' padding)" },
		{ "bad/name " TOK_A "\n", "line 1: not a valid stream name" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ingest_auth a = { 0 };
		char why[96] = "";

		EXPECT_EQ(-EINVAL, tokens(&a, bad[i].text, why, sizeof(why)));
		EXPECT_STREQ(bad[i].why, why);
		EXPECT_EQ(0, a.ntokens);
		ingest_auth_free(&a);
	}
}

TEST(no_trailing_newline_and_empty)
{
	struct ingest_auth a = { 0 };
	char why[64] = "";

	ASSERT_EQ(0, tokens(&a, TOK_B, why, sizeof(why)));
	EXPECT_EQ(1, a.ntokens);
	ingest_auth_free(&a);
	ASSERT_EQ(0, tokens(&a, "# nothing\n\n", why, sizeof(why)));
	EXPECT_EQ(0, a.ntokens);
	/* No tokens read: the loopback default still holds. */
	EXPECT_EQ(INGEST_FORBIDDEN, check(&a, "10.0.0.1", "s", NULL));
}

TEST_HARNESS_MAIN
