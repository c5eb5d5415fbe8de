// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/lib/http.c: the request parser (grammar, limits,
 * smuggling guards), dates, entity tags, names, timecodes and the query.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_internal.h"
#include "tcparse.h"
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

/* --- the resumed parse (http_scan_request) ------------------------------- */

/*
 * The parser before it could resume, kept as the reference the resumed one
 * must agree with: it parsed from byte 0 on every call. @work counts the
 * bytes it examined, as struct http_scan's work does (a memchr() and a
 * check per byte of the line not yet whole, a scan and a check per byte of
 * each whole line).
 */
static bool ref_partial_line_ok(const char *p, size_t len, bool reqline)
{
	size_t i = 0;

	if (len == 1 && p[0] == '\r')
		return true;
	if (!reqline && len && is_ows(p[0]))
		return false;
	while (i < len && is_tchar(p[i]))
		i++;
	if (i == len)
		return true;
	if (!i || p[i] != (reqline ? ' ' : ':'))
		return false;
	for (i++; i < len; i++) {
		if (p[i] == '\r' && i + 1 == len)
			break;
		if (!is_field_char(p[i]))
			return false;
	}
	return true;
}

static ssize_t ref_parse(const char *buf, size_t len, size_t max_head,
			 struct http_request *req, uint64_t *work)
{
	size_t limit = len < max_head ? len : max_head, pos = 0;
	struct http_framing hs = { 0 };
	bool reqline = true;
	int err;

	memset(req, 0, sizeof(*req));
	while (pos + 2 <= limit && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	*work += pos;
	for (;;) {
		const char *eol = memchr(buf + pos, '\n', limit - pos);
		size_t n = eol ? (size_t)(eol - (buf + pos)) : limit - pos;

		*work += 2 * n + !!eol;
		if (memchr(buf + pos, '\0', n))
			return -400;
		if (!eol) {
			if (!ref_partial_line_ok(buf + pos, limit - pos, reqline))
				return -400;
			if (len >= max_head)
				return reqline ? -414 : -431;
			return 0;
		}
		if (!n || buf[pos + n - 1] != '\r' || memchr(buf + pos, '\r', n - 1))
			return -400;
		n--;
		if (!reqline && !n) {
			err = finish_head(req, &hs);
			if (err)
				return err;
			req->head_len = eol + 1 - buf;
			return req->head_len;
		}
		if (reqline)
			err = parse_request_line(buf + pos, n, req);
		else
			err = parse_field(buf + pos, n, req, &hs);
		reqline = false;
		if (err)
			return err;
		pos = eol + 1 - buf;
	}
}

struct head {
	const char *s;
	size_t len;
};

#define H(lit)	{ lit, sizeof(lit) - 1 }

/* Every head the tests above parse, good and bad, and a few more. */
static const struct head corpus[] = {
	H("GET /v/movie.ts HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("HEAD /v/a?t=00:00:01:00&loop=2 HTTP/1.1\r\nhost:  example  \r\n"
	  "Range: bytes=0-99\r\nIf-Range: \"abc\"\r\nIf-None-Match: \"x\"\r\n"
	  "if-none-match: W/\"y\", \"z\"\r\n"
	  "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Match: \"m\"\r\n"
	  "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n"
	  "X-Other: anything \x80\xff goes\r\n\r\n"),
	H("GET /v/a HTTP/1.1\r\nHost: x\r\n\r\nGET /v/b HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("\r\n\n"),
	H("\r\r\n"),
	H("\rGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n"),
	H("GET / HTTP/1.0\r\n\r\n"),
	H("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	H("GET / HTTP/1.7\r\nHost: x\r\n\r\n"),
	H("GET http://h:8080/v/a?t=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("GET http:///v/a HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("GET ftp://h/v/a HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("POST /v/a HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("PUT /live/a HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("DELETE /v/a HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("put /v/a HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"),
	H("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"),
	H(" GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET /\r\nHost: x\r\n\r\n"),
	H("GET / http/1.1\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/1.10\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/11\r\nHost: x\r\n\r\n"),
	H("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET /a\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET a HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/0.9\r\n\r\n"),
	H("GET / HTTP/1.1\nHost: x\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\n\n"),
	H("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"),
	H("GET / HTTP/1.1\r\r\nHost: x\r\n\r\n"),
	H("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nA\0"),
	H("GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nA: b\x01\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nA: \x7f\r\n\r\n"),
	H("GET / HTTP/1.1\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=0-1\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"a\"\r\n"
	  "If-None-Match: \"a\"\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"a\"\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: a\r\nIf-Match: *\r\nIf-Match: *\r\nIf-Match: *\r\n"
	  "If-Match: *\r\nIf-Match: *\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	  "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
	H("PUT /live/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"),
	H("PUT /live/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
	H("PUT /live/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
	H("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
	H("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
	H("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"),
	H("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n"),
	H("\x16\x03\x01\x02"),
	H("GET / HTTP/1.1\r\n Host"),
	H("GET / HTTP/1.1\r\nHo st"),
	H("GET / HTTP/1.1\r\nHost: x\r"),
	H("GET / HTTP/1.1\r\nHost: x\r\nX: a\tb \r\n\r\n"),
	H("GET / HTTP/1.1\r\nHost: x\r\nX:\r\n\r\n"),
	H("GET\r\n\r\n"),
	H("GET \r\n\r\n"),
};

static bool same_span(struct http_span a, const char *abuf, struct http_span b,
		      const char *bbuf)
{
	if (a.len != b.len || !a.p != !b.p)
		return false;
	if (!a.p || !a.len)
		return true;
	/* Inside the buffers, at the same offset; "/" for a path-less target. */
	if (a.len == 1 && a.p[0] == '/' && b.p[0] == '/')
		return true;
	return a.p - abuf == b.p - bbuf;
}

static bool same_req(const struct http_request *a, const char *abuf,
		     const struct http_request *b, const char *bbuf)
{
	unsigned int i;

	if (a->method != b->method || a->minor != b->minor ||
	    a->keep_alive != b->keep_alive || a->has_length != b->has_length ||
	    a->length != b->length || a->chunked != b->chunked ||
	    a->expect_continue != b->expect_continue || a->n_inm != b->n_inm ||
	    a->n_im != b->n_im || a->head_len != b->head_len)
		return false;
	for (i = 0; i < a->n_inm; i++)
		if (!same_span(a->if_none_match[i], abuf, b->if_none_match[i], bbuf))
			return false;
	for (i = 0; i < a->n_im; i++)
		if (!same_span(a->if_match[i], abuf, b->if_match[i], bbuf))
			return false;
	return same_span(a->method_name, abuf, b->method_name, bbuf) &&
	       same_span(a->target, abuf, b->target, bbuf) &&
	       same_span(a->path, abuf, b->path, bbuf) &&
	       same_span(a->query, abuf, b->query, bbuf) &&
	       same_span(a->host, abuf, b->host, bbuf) &&
	       same_span(a->range, abuf, b->range, bbuf) &&
	       same_span(a->if_range, abuf, b->if_range, bbuf) &&
	       same_span(a->if_modified_since, abuf, b->if_modified_since, bbuf) &&
	       same_span(a->if_unmodified_since, abuf, b->if_unmodified_since, bbuf);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Feeds @h into a buffer the way reads would, @step bytes at a time (0:
 * random steps of 1 to 7), as the server does: one http_scan_request() per
 * read on the same buffer. After every read its answer must be exactly what
 * a parse of the whole buffer from byte 0 says (the reference, and
 * http_parse_request()), until the first answer that is not 0. Returns
 * false, with what differed logged, if they disagree.
 */
static bool feed_matches(struct __test_metadata *_metadata, const struct head *h,
			 size_t max_head, size_t step)
{
	char *buf = malloc(h->len + 1);
	struct http_request got, want, whole;
	struct http_scan s;
	size_t len = 0;
	uint64_t w = 0;
	bool ok = true;

	http_scan_init(&s);
	while (len < h->len) {
		size_t k = step ? step : 1 + rnd() % 7;
		ssize_t n, r, p;

		if (k > h->len - len)
			k = h->len - len;
		memcpy(buf + len, h->s + len, k);
		len += k;
		memset(&got, 0, sizeof(got));
		n = http_scan_request(&s, buf, len, max_head, &got);
		r = ref_parse(buf, len, max_head, &want, &w);
		p = http_parse_request(buf, len, max_head, &whole);
		if (n != r || p != r || (r > 0 && (!same_req(&got, buf, &want, buf) ||
						   !same_req(&whole, buf, &want, buf)))) {
			TH_LOG("head %.40s... (%zu bytes), max %zu, step %zu: after %zu bytes "
			       "resumed %zd, whole %zd, reference %zd", h->s, h->len,
			       max_head, step, len, n, p, r);
			ok = false;
			break;
		}
		if (n)
			break;
	}
	free(buf);
	return ok;
}

TEST(resumed_parse_matches_whole)
{
	size_t i, j, k;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct head *h = &corpus[i];
		/* The limits, around the head's own size and its first line's. */
		size_t maxes[] = { MAXH, h->len, h->len + 1, h->len > 1 ? h->len - 1 : 1,
				   1, 2, 3, 15, 16, 17, 20, 30 };

		for (j = 0; j < sizeof(maxes) / sizeof(maxes[0]); j++)
			for (k = 0; k < 4; k++)
				EXPECT_TRUE(feed_matches(_metadata, h, maxes[j], k == 3 ? 0 : k + 1));
	}
}

/* Corpus heads with random bytes changed, dropped or doubled, cut at random. */
TEST(resumed_parse_matches_whole_mutated)
{
	static const char alphabet[] = "\r\n\r\n :\t\0\x7f\x80" "aA/?#%,\"GET HTTP/1.1";
	char m[512];
	unsigned int iter, fails = 0;

	for (iter = 0; iter < 20000 && fails < 5; iter++) {
		const struct head *h = &corpus[rnd() % (sizeof(corpus) / sizeof(corpus[0]))];
		struct head mh = { m, 0 };
		unsigned int edits = 1 + rnd() % 3, e;
		size_t max_head = rnd() % 2 ? MAXH : 1 + rnd() % 80;

		memcpy(m, h->s, h->len);
		mh.len = h->len;
		for (e = 0; e < edits && mh.len; e++) {
			size_t at = rnd() % mh.len;

			switch (rnd() % 3) {
			case 0:
				m[at] = alphabet[rnd() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				memmove(m + at, m + at + 1, mh.len - at - 1);
				mh.len--;
				break;
			default:
				if (mh.len < sizeof(m)) {
					memmove(m + at + 1, m + at, mh.len - at);
					mh.len++;
				}
			}
		}
		if (!feed_matches(_metadata, &mh, max_head, rnd() % 4))
			fails++;
	}
	EXPECT_EQ(0, fails);
}

/* A head of @n bytes: the request line, then fields of about @field bytes. */
static char *big_head(size_t n, size_t field)
{
	char *s = malloc(n + 1);
	size_t len;

	len = snprintf(s, n + 1, "GET /v/a HTTP/1.1\r\nHost: x\r\n");
	while (len + field + 2 <= n) {
		size_t start = len;

		len += snprintf(s + len, n + 1 - len, "X-%zu: ", len);
		memset(s + len, 'v', start + field - len);
		len = start + field;
		memcpy(s + len, "\r\n", 2);
		len += 2;
	}
	memset(s + len, 0, n + 1 - len);
	memcpy(s + len, "\r\n", 2);
	s[len + 2] = '\0';
	return s;
}

/*
 * A head that comes a byte per read: the bytes examined in all are
 * bounded by 4 per byte of the head, however long it is, where the parse
 * from byte 0 on every read examined O(n^2) of them. Also for the heads
 * that end in a 414 or a 431, and for one long field line.
 */
TEST(resumed_parse_is_linear)
{
	static const struct {
		size_t n, field, max;
		ssize_t want;
	} cases[] = {
		{ 60 * 1024, 60, 1 << 20, 0 },		/* many fields: the head */
		{ 60 * 1024, 30000, 1 << 20, 0 },	/* two long ones */
		{ 200 * 1024, 100, 1 << 20, 0 },
		{ 32 * 1024, 60, 16 * 1024, -431 },	/* too large */
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = big_head(cases[i].n, cases[i].field);
		size_t n = strlen(s), len;
		struct http_request req;
		struct http_scan sc;
		ssize_t r = 0;

		http_scan_init(&sc);
		for (len = 1; len <= n && !r; len++)
			r = http_scan_request(&sc, s, len, cases[i].max, &req);
		EXPECT_EQ(cases[i].want ? cases[i].want : (ssize_t)n, r);
		EXPECT_GT(4 * (uint64_t)n, sc.work) {
			TH_LOG("%zu-byte head a byte per read: %" PRIu64 " bytes examined",
			       n, sc.work);
		}
		TH_LOG("%zu-byte head, a byte per read: %" PRIu64 " bytes examined (%.2f per byte)",
		       n, sc.work, (double)sc.work / n);
		free(s);
	}

	/* A request line that never ends: 414 at the limit, linearly too. */
	{
		size_t max = 64 * 1024, len;
		char *s = malloc(max);
		struct http_request req;
		struct http_scan sc;
		ssize_t r = 0;

		memcpy(s, "GET /", 5);
		memset(s + 5, 'a', max - 5);
		http_scan_init(&sc);
		for (len = 1; len <= max && !r; len++)
			r = http_scan_request(&sc, s, len, max, &req);
		EXPECT_EQ(-414, r);
		EXPECT_GT(4 * (uint64_t)max, sc.work);
		free(s);
	}
}

/*
 * Pipelining: once a head is parsed, the server moves the bytes after it to
 * the front of the same buffer and goes on with the same scan state; the
 * second head may have come in part with the first.
 */
TEST(resumed_parse_pipelined)
{
	static const char two[] = "GET /v/a HTTP/1.1\r\nHost: x\r\n\r\n"
				  "\r\nGET /v/b?t=1 HTTP/1.1\r\nHost: y\r\nRange: bytes=1-2\r\n\r\n"
				  "GET /v/c HTTP/1.0\r\n\r\n";
	size_t cut, total = sizeof(two) - 1;

	/* Reads of any size cut the stream anywhere. */
	for (cut = 1; cut <= 40; cut++) {
		char buf[sizeof(two)];
		struct http_request req;
		struct http_scan s;
		size_t len = 0, fed = 0;
		unsigned int heads = 0;

		http_scan_init(&s);
		while (heads < 3) {
			ssize_t n;
			size_t k = cut;

			if (k > total - fed)
				k = total - fed;
			memcpy(buf + len, two + fed, k);
			len += k;
			fed += k;
			while ((n = http_scan_request(&s, buf, len, MAXH, &req)) > 0) {
				heads++;
				if (heads == 1)
					EXPECT_TRUE(span_is(req.path, "/v/a"));
				if (heads == 2) {
					EXPECT_TRUE(span_is(req.path, "/v/b"));
					EXPECT_TRUE(span_is(req.range, "bytes=1-2"));
					EXPECT_TRUE(span_is(req.host, "y"));
				}
				if (heads == 3)
					EXPECT_EQ(0, req.minor);
				len -= n;
				memmove(buf, buf + n, len);
			}
			ASSERT_EQ(0, n);
			if (fed == total)
				break;
		}
		EXPECT_EQ(3, heads);
		EXPECT_EQ(0, len);
	}
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
	EXPECT_STREQ("Bad Gateway", http_reason(502));
	EXPECT_STREQ("Unknown", http_reason(299));
}

TEST_HARNESS_MAIN
