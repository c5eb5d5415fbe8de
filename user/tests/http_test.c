// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/http.c: the request parser (grammar, limits,
 * smuggling guards), dates, entity tags, names, timecodes and the query.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "../http.c"
#include "../tcparse.c"
#include "kselftest_harness.h"

#define MAXH	8192

static ssize_t parse(const char *s, struct http_request *req)
{
	return http_parse_request(s, strlen(s), MAXH, req);
}

static ssize_t status_of(const char *s)
{
	struct http_request req;

	return parse(s, &req);
}

static bool span_is(struct http_span s, const char *want)
{
	return s.p && s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

TEST(simple_get)
{
	const char *s = "GET /v/movie.ts HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_request req;

	ASSERT_EQ(strlen(s), parse(s, &req));
	EXPECT_EQ(HTTP_GET, req.method);
	EXPECT_TRUE(span_is(req.path, "/v/movie.ts"));
	EXPECT_EQ(0, req.query.len);
	EXPECT_EQ(1, req.minor);
	EXPECT_TRUE(req.keep_alive);
	EXPECT_TRUE(span_is(req.host, "x"));
	EXPECT_FALSE(req.has_length);
}

TEST(head_query_and_fields)
{
	const char *s = "HEAD /v/a?t=00:00:01:00&loop=2 HTTP/1.1\r\n"
			"host:  example  \r\n"
			"Range: bytes=0-99\r\n"
			"If-Range: \"abc\"\r\n"
			"If-None-Match: \"x\"\r\n"
			"if-none-match: W/\"y\", \"z\"\r\n"
			"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			"If-Match: \"m\"\r\n"
			"If-Unmodified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n"
			"X-Other: anything \x80\xff goes\r\n"
			"\r\n";
	struct http_request req;

	ASSERT_EQ(strlen(s), parse(s, &req));
	EXPECT_EQ(HTTP_HEAD, req.method);
	EXPECT_TRUE(span_is(req.path, "/v/a"));
	EXPECT_TRUE(span_is(req.query, "t=00:00:01:00&loop=2"));
	EXPECT_TRUE(span_is(req.host, "example"));
	EXPECT_TRUE(span_is(req.range, "bytes=0-99"));
	EXPECT_TRUE(span_is(req.if_range, "\"abc\""));
	EXPECT_EQ(2, req.n_inm);
	EXPECT_TRUE(span_is(req.if_none_match[1], "W/\"y\", \"z\""));
	EXPECT_TRUE(span_is(req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
	EXPECT_EQ(1, req.n_im);
	EXPECT_TRUE(span_is(req.if_match[0], "\"m\""));
	EXPECT_TRUE(span_is(req.if_unmodified_since, "Sun, 06 Nov 1994 08:49:38 GMT"));
}

TEST(incomplete_needs_more)
{
	const char *s = "GET /v/a HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t i;

	/* Every proper prefix asks for more; none is an error. */
	for (i = 0; i < strlen(s); i++) {
		struct http_request req;

		EXPECT_EQ(0, http_parse_request(s, i, MAXH, &req)) {
			TH_LOG("prefix of %zu bytes", i);
		}
	}
}

TEST(pipelined_heads)
{
	const char *s = "GET /v/a HTTP/1.1\r\nHost: x\r\n\r\nGET /v/b HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_request req;
	ssize_t n;

	n = parse(s, &req);
	ASSERT_GT(n, 0);
	EXPECT_TRUE(span_is(req.path, "/v/a"));
	ASSERT_EQ(strlen(s) - n, parse(s + n, &req));
	EXPECT_TRUE(span_is(req.path, "/v/b"));
}

TEST(leading_empty_lines_skipped)
{
	const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_request req;

	EXPECT_EQ(strlen(s), parse(s, &req));
	EXPECT_TRUE(span_is(req.path, "/"));
}

TEST(keep_alive_rules)
{
	struct http_request req;

	ASSERT_GT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &req), 0);
	EXPECT_FALSE(req.keep_alive);
	ASSERT_GT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", &req), 0);
	EXPECT_FALSE(req.keep_alive);
	ASSERT_GT(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
	EXPECT_FALSE(req.keep_alive);
	EXPECT_EQ(0, req.minor);
	ASSERT_GT(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req), 0);
	EXPECT_TRUE(req.keep_alive);
	/* 1.x, x > 1, is 1.1. */
	ASSERT_GT(parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(1, req.minor);
}

TEST(absolute_form)
{
	struct http_request req;

	ASSERT_GT(parse("GET http://h:8080/v/a?t=1 HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	EXPECT_TRUE(span_is(req.path, "/v/a"));
	EXPECT_TRUE(span_is(req.query, "t=1"));
	ASSERT_GT(parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	EXPECT_TRUE(span_is(req.path, "/"));
	EXPECT_EQ(-400, status_of("GET http:///v/a HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET ftp://h/v/a HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(other_methods_parse)
{
	struct http_request req;

	ASSERT_GT(parse("POST /v/a HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(HTTP_POST, req.method);
	EXPECT_TRUE(span_is(req.method_name, "POST"));
	ASSERT_GT(parse("PUT /live/a HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(HTTP_PUT, req.method);
	EXPECT_TRUE(span_is(req.path, "/live/a"));
	ASSERT_GT(parse("DELETE /v/a HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(HTTP_OTHER, req.method);
	ASSERT_GT(parse("put /v/a HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(HTTP_OTHER, req.method);
	ASSERT_GT(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	ASSERT_GT(parse("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	/* Methods are case-sensitive: "get" is some other method. */
	ASSERT_GT(parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	EXPECT_EQ(HTTP_OTHER, req.method);
}

TEST(malformed_request_lines)
{
	EXPECT_EQ(-400, status_of("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of(" GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET /\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / http/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.10\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/11\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET /a\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET a HTTP/1.1\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-505, status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
	EXPECT_EQ(-505, status_of("GET / HTTP/0.9\r\n\r\n"));
}

TEST(line_endings)
{
	/* A bare LF or CR is refused, so that no two parsers disagree. */
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\nHost: x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\n\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\r\nHost: x\r\n\r\n"));
}

TEST(nul_bytes)
{
	static const char s1[] = "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s2[] = "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n";
	static const char s3[] = "GET / HTTP/1.1\r\nHost: x\r\nA\0";	/* incomplete */
	struct http_request req;

	EXPECT_EQ(-400, http_parse_request(s1, sizeof(s1) - 1, MAXH, &req));
	EXPECT_EQ(-400, http_parse_request(s2, sizeof(s2) - 1, MAXH, &req));
	EXPECT_EQ(-400, http_parse_request(s3, sizeof(s3) - 1, MAXH, &req));
}

TEST(bad_fields)
{
	/* Whitespace before the colon, obs-fold, no colon, empty name. */
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost : x\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nA: b\x01\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nA: \x7f\r\n\r\n"));
	/* Host: required in 1.1, once. */
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
	/* Singletons. */
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
				  "Range: bytes=0-1\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"a\"\r\n"
				  "If-None-Match: \"a\"\r\nIf-None-Match: \"a\"\r\n"
				  "If-None-Match: \"a\"\r\nIf-None-Match: \"a\"\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: a\r\nIf-Match: *\r\n"
				  "If-Match: *\r\nIf-Match: *\r\nIf-Match: *\r\n"
				  "If-Match: *\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: a\r\n"
				  "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				  "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"));
}

TEST(smuggling_guards)
{
	struct http_request req;

	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				  "Content-Length: 5\r\n\r\n"));
	/* chunked alone is taken (live ingest); other codings are not. */
	ASSERT_GT(parse("PUT /live/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n",
			&req), 0);
	EXPECT_TRUE(req.chunked);
	EXPECT_FALSE(req.has_length);
	ASSERT_GT(parse("PUT /live/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", &req), 0);
	EXPECT_FALSE(req.chunked);
	EXPECT_EQ(-501, status_of("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"));
	EXPECT_EQ(-501, status_of("PUT / HTTP/1.1\r\nHost: x\r\n"
				  "Transfer-Encoding: gzip, chunked\r\n\r\n"));
	EXPECT_EQ(-400, status_of("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
				  "Content-Length: 6\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"));
	EXPECT_EQ(-400, status_of("GET / HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 99999999999999999999\r\n\r\n"));
	ASSERT_GT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
			"content-length: 7\r\n\r\n", &req), 0);
	EXPECT_TRUE(req.has_length);
	EXPECT_EQ(7, req.length);
}

TEST(size_limits)
{
	char buf[MAXH * 2];
	struct http_request req;
	size_t n;

	/* A request line that does not end within the limit: 414. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', sizeof(buf) - 5);
	EXPECT_EQ(-414, http_parse_request(buf, sizeof(buf), MAXH, &req));
	EXPECT_EQ(0, http_parse_request(buf, MAXH - 1, MAXH, &req));

	/* Fields that do not end within it: 431. */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\nX: ");
	memset(buf + n, 'b', sizeof(buf) - n);
	EXPECT_EQ(-431, http_parse_request(buf, sizeof(buf), MAXH, &req));
	EXPECT_EQ(-431, http_parse_request(buf, MAXH, MAXH, &req));
	EXPECT_EQ(0, http_parse_request(buf, MAXH - 1, MAXH, &req));

	/* A head of exactly the limit is fine; one byte over is not. */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\nX: ");
	memset(buf + n, 'c', MAXH - n - 4);
	memcpy(buf + MAXH - 4, "\r\n\r\n", 4);
	EXPECT_EQ(MAXH, http_parse_request(buf, MAXH, MAXH, &req));
	EXPECT_EQ(-431, http_parse_request(buf, MAXH, MAXH - 1, &req));
}

TEST(early_rejection)
{
	struct http_request req;

	/* A TLS ClientHello, or any binary junk, is refused at once. */
	EXPECT_EQ(-400, http_parse_request("\x16\x03\x01\x02", 4, MAXH, &req));
	EXPECT_EQ(-400, http_parse_request("GET / HTTP/1.1\r\n Host", 22, MAXH, &req));
	EXPECT_EQ(-400, http_parse_request("GET / HTTP/1.1\r\nHo st", 21, MAXH, &req));
	EXPECT_EQ(0, http_parse_request("GET / HTTP/1.1\r\nHost: x\r", 24, MAXH, &req));
}

TEST(tokens)
{
	struct http_span s = { "foo, Keep-Alive ,close", 22 };

	EXPECT_TRUE(http_has_token(s, "keep-alive"));
	EXPECT_TRUE(http_has_token(s, "CLOSE"));
	EXPECT_FALSE(http_has_token(s, "foo,"));
	EXPECT_FALSE(http_has_token(s, "upgrade"));
}

TEST(date_format)
{
	char buf[64];

	EXPECT_EQ(HTTP_DATE_LEN, http_format_date(buf, sizeof(buf), 784111777));
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", buf);
	http_format_date(buf, sizeof(buf), 0);
	EXPECT_STREQ("Thu, 01 Jan 1970 00:00:00 GMT", buf);
	http_format_date(buf, sizeof(buf), 951782400);	/* a leap day */
	EXPECT_STREQ("Tue, 29 Feb 2000 00:00:00 GMT", buf);
	http_format_date(buf, sizeof(buf), 4102444799LL);
	EXPECT_STREQ("Thu, 31 Dec 2099 23:59:59 GMT", buf);
}

static long long date_of(const char *s)
{
	time_t t;

	return http_parse_date(s, strlen(s), &t) ? -1 : (long long)t;
}

TEST(date_parse_three_forms)
{
	EXPECT_EQ(784111777, date_of("Sun, 06 Nov 1994 08:49:37 GMT"));
	EXPECT_EQ(784111777, date_of("Sunday, 06-Nov-94 08:49:37 GMT"));
	EXPECT_EQ(784111777, date_of("Sun Nov  6 08:49:37 1994"));
	EXPECT_EQ(784111777, date_of("  Sun, 06 Nov 1994 08:49:37 GMT "));
	EXPECT_EQ(1104537600, date_of("Saturday, 01-Jan-05 00:00:00 GMT"));
	EXPECT_EQ(951782400, date_of("Tue, 29 Feb 2000 00:00:00 GMT"));
	EXPECT_EQ(1737504000, date_of("Wed Jan 22 00:00:00 2025"));
}

TEST(date_parse_rejects)
{
	EXPECT_EQ(-1, date_of(""));
	EXPECT_EQ(-1, date_of("Sun, 06 Nov 1994 08:49:37 UTC"));
	EXPECT_EQ(-1, date_of("Sun, 6 Nov 1994 08:49:37 GMT"));
	EXPECT_EQ(-1, date_of("Sun, 06 Nov 94 08:49:37 GMT"));
	EXPECT_EQ(-1, date_of("Sun, 31 Nov 1994 08:49:37 GMT"));
	EXPECT_EQ(-1, date_of("Mon, 29 Feb 1900 00:00:00 GMT"));
	EXPECT_EQ(-1, date_of("Sun, 06 Nov 1994 24:00:00 GMT"));
	EXPECT_EQ(-1, date_of("Sun, 06 Nov 1994 08:60:00 GMT"));
	EXPECT_EQ(-1, date_of("Sun, 06 Nov 1994 08:49:37 GMTx"));
	EXPECT_EQ(-1, date_of("Sun, 06 Foo 1994 08:49:37 GMT"));
	EXPECT_EQ(-1, date_of("Sun Nov 6 08:49:37 1994"));
	EXPECT_EQ(-1, date_of("1994-11-06T08:49:37Z"));
	EXPECT_EQ(-1, date_of("\"etag\""));
	EXPECT_EQ(-1, date_of("Thu, 01 Jan 1900 00:00:00 GMT"));	/* before 1970 */
}

TEST(date_round_trip)
{
	time_t t, back;
	char buf[64];

	for (t = 0; t < 4102444800LL; t += 86400 * 37 + 3607) {
		http_format_date(buf, sizeof(buf), t);
		ASSERT_EQ(0, http_parse_date(buf, strlen(buf), &back));
		ASSERT_EQ(t, back);
	}
}

static bool inm(const char *list, const char *etag, bool weak)
{
	struct http_span s = { list, strlen(list) };

	return http_etag_match(s, etag, weak);
}

TEST(etags)
{
	char tag[HTTP_ETAG_MAX];

	http_format_etag(tag, sizeof(tag), 7, 1048576, 1700000000123456789ULL);
	EXPECT_STREQ("\"7-100000-17979cfe3d85cd15\"", tag);
	EXPECT_GT(HTTP_ETAG_MAX, http_format_etag(tag, sizeof(tag), UINT64_MAX,
						  UINT64_MAX, UINT64_MAX));

	EXPECT_TRUE(inm("\"a\"", "\"a\"", true));
	EXPECT_TRUE(inm("\"b\", \"a\"", "\"a\"", true));
	EXPECT_TRUE(inm("W/\"a\"", "\"a\"", true));
	EXPECT_FALSE(inm("W/\"a\"", "\"a\"", false));
	EXPECT_TRUE(inm("*", "\"a\"", true));
	EXPECT_TRUE(inm(" * ", "\"a\"", true));
	EXPECT_FALSE(inm("*", NULL, true));
	EXPECT_FALSE(inm("\"b\"", "\"a\"", true));
	EXPECT_FALSE(inm("\"a", "\"a\"", true));
	EXPECT_FALSE(inm("a", "\"a\"", true));
	EXPECT_FALSE(inm("\"a\" \"a\"", "\"a\"", true));
	EXPECT_TRUE(inm("\"b\",,  \"a\",", "\"a\"", true));
	EXPECT_FALSE(inm("\"a\", *", "\"a\"", true));
	EXPECT_FALSE(inm("", "\"a\"", true));
}

TEST(content_types)
{
	EXPECT_STREQ("video/mp2t", http_content_type("movie"));
	EXPECT_STREQ("video/mp2t", http_content_type("movie.ts"));
	EXPECT_STREQ("video/mp2t", http_content_type("a.b.TS"));
	EXPECT_STREQ("video/mp2t", http_content_type("x.m2ts"));
	EXPECT_STREQ("video/mp4", http_content_type("movie.mp4"));
	EXPECT_STREQ("video/mp4", http_content_type("movie.M4V"));
	EXPECT_STREQ("application/octet-stream", http_content_type("movie.mkv"));
	EXPECT_STREQ("application/octet-stream", http_content_type("movie."));
	EXPECT_STREQ("video/mp2t", http_content_type(".hidden"));
}

static const char *name_of(const char *seg)
{
	static char field[64];
	struct http_span s = { seg, strlen(seg) };

	return http_decode_name(s, field, sizeof(field)) ? field : NULL;
}

TEST(names)
{
	char field[64];
	struct http_span s = { "ab", 2 };

	EXPECT_STREQ("movie.ts", name_of("movie.ts"));
	EXPECT_STREQ("a b", name_of("a%20b"));
	EXPECT_STREQ("\xc3\xa9t\xc3\xa9", name_of("%C3%A9t%c3%a9"));
	EXPECT_STREQ("a+b", name_of("a+b"));
	EXPECT_EQ(NULL, name_of(""));
	EXPECT_EQ(NULL, name_of("a/b"));
	EXPECT_EQ(NULL, name_of("a%2Fb"));
	EXPECT_EQ(NULL, name_of("a%00b"));
	EXPECT_EQ(NULL, name_of("a%2"));
	EXPECT_EQ(NULL, name_of("a%"));
	EXPECT_EQ(NULL, name_of("a%zz"));
	/* 63 bytes fit a 64-byte field; 64 do not. */
	EXPECT_NE(NULL, name_of("123456789012345678901234567890123456789012345678901234567890123"));
	EXPECT_EQ(NULL, name_of("1234567890123456789012345678901234567890123456789012345678901234"));
	/* The field is NUL-padded to the end, as the kernel wants. */
	memset(field, 'x', sizeof(field));
	ASSERT_EQ(2, http_decode_name(s, field, sizeof(field)));
	EXPECT_EQ(0, field[63]);
}

static int query_of(const char *s, struct http_query *q)
{
	struct http_span sp = { s, strlen(s) };
	const char *why = NULL;
	int err = http_parse_query(sp, q, &why);

	/* Every refusal comes with a reason for the client. */
	return err && !why ? -999 : err;
}

TEST(queries)
{
	struct http_query q;

	ASSERT_EQ(0, query_of("", &q));
	EXPECT_FALSE(q.has_t);
	EXPECT_FALSE(q.has_loop);
	ASSERT_EQ(0, query_of("t=00:00:10:00", &q));
	EXPECT_TRUE(q.has_t);
	EXPECT_EQ(TC_LABEL, q.t.form);
	EXPECT_EQ(10, q.t.tc.ss);
	EXPECT_FALSE(q.t.drop);
	EXPECT_STREQ("00:00:10:00", q.t_text);
	ASSERT_EQ(0, query_of("t=00%3A00%3A10%3B05&loop=3", &q));
	EXPECT_TRUE(q.t.drop);
	EXPECT_EQ(5, q.t.tc.ff);
	EXPECT_STREQ("00:00:10;05", q.t_text);
	EXPECT_TRUE(q.has_loop);
	EXPECT_EQ(3, q.loop);
	/* The forms "vcachectl seek" takes: seconds and 90 kHz ticks. */
	ASSERT_EQ(0, query_of("t=12.5", &q));
	EXPECT_EQ(TC_SECONDS, q.t.form);
	EXPECT_EQ(1125000, q.t.pts);
	ASSERT_EQ(0, query_of("t=90", &q));
	EXPECT_EQ(8100000, q.t.pts);
	ASSERT_EQ(0, query_of("t=1125000t", &q));
	EXPECT_EQ(TC_TICKS, q.t.form);
	EXPECT_EQ(1125000, q.t.pts);
	/* Three-digit frames, up to what the ioctl's field carries. */
	ASSERT_EQ(0, query_of("t=23:59:59:255", &q));
	EXPECT_EQ(255, q.t.tc.ff);
	ASSERT_EQ(0, query_of("loop=0&_=12345&x&&y=", &q));
	EXPECT_TRUE(q.has_loop);
	EXPECT_EQ(0, q.loop);
	ASSERT_EQ(0, query_of("loop=1000000", &q));

	EXPECT_EQ(-EINVAL, query_of("t=", &q));
	EXPECT_EQ(-EINVAL, query_of("t", &q));
	/* (t=1 is a second now, as "vcachectl seek v 1" is.) */
	EXPECT_EQ(-EINVAL, query_of("t=1x", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:01:00&t=00:00:01:00", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=-1", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=1000001", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=99999999999999999999999", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=3x", &q));
	EXPECT_EQ(-EINVAL, query_of("loop=1&loop=1", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:01:00%", &q));
	/* A NUL must not cut the value short. */
	EXPECT_EQ(-EINVAL, query_of("t=00:00:01:00%00junk", &q));
	EXPECT_EQ(-EINVAL, query_of("t=1%00", &q));
	EXPECT_EQ(-EINVAL, query_of("t=1:02:03", &q));
	EXPECT_EQ(-EINVAL, query_of("t=-1", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:00:5", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:00,00", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:00:00%20", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:00:256", &q));
	EXPECT_EQ(-EINVAL, query_of("t=00:00:00:1000", &q));
	EXPECT_FALSE(q.has_t);
}

TEST(reasons)
{
	EXPECT_STREQ("Range Not Satisfiable", http_reason(416));
	EXPECT_STREQ("Request Header Fields Too Large", http_reason(431));
	EXPECT_STREQ("Unknown", http_reason(299));
}

TEST_HARNESS_MAIN
