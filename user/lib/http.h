/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.1 for vcache-streamer: the request parser and the small pieces of
 * response text (dates, entity tags, reasons, content types, timecodes).
 *
 * Pure code, as user/lib/parse.c: no I/O, no allocation, no global state, so
 * that the host unit tests (user/tests/http_test.c) and the fuzzer
 * (user/fuzz/http_fuzz.c) see exactly what the server runs.
 *
 * The parser is strict where leniency lets two parsers disagree about where
 * a message ends (RFC 9112 section 11.2, request smuggling): lines end with
 * CRLF only, obsolete line folding, whitespace before a colon, a NUL or a
 * bare CR anywhere, a Transfer-Encoding other than exactly "chunked" (once),
 * and an invalid or ambiguous Content-Length are all refused. Everything the
 * server does not use is skipped after it has been checked against the
 * grammar.
 *
 * Errors: a negative errno (-EINVAL), as everywhere in user/lib/, except
 * where the caller needs an HTTP status, not an errno: the request parsers
 * return a negative status (-400, -414, ...), which the server sends as is.
 */
#ifndef VCACHE_HTTP_H
#define VCACHE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "tcparse.h"

/* A piece of the request buffer; not NUL-terminated. len 0: absent or empty. */
struct http_span {
	const char *p;
	size_t len;
};

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_PUT,		/* live ingest only */
	HTTP_POST,		/* live ingest only */
	HTTP_OTHER,		/* a valid method token we do not serve: 405 */
};

/* If-None-Match and If-Match may come on several lines; more is a 400. */
#define HTTP_MAX_INM	4

/**
 * struct http_request - one parsed request head
 * @method:      GET, HEAD or another method.
 * @method_name: the method as sent.
 * @target:      the request-target as sent.
 * @path:        its path, also when the target was in absolute form.
 * @query:       what follows '?', without it; len 0 if none.
 * @minor:       HTTP/1.@minor (0 or 1).
 * @keep_alive:  the connection may stay open after the response.
 * @has_length:  a Content-Length was sent; @length is its value.
 * @length:      see @has_length.
 * @chunked:     the body comes in the chunked coding (Transfer-Encoding:
 *               chunked, the only coding taken; see user/lib/chunked.h).
 * @expect_continue: Expect: 100-continue was sent.
 * @host:        the Host field (required in HTTP/1.1).
 * @range:       the Range field, if any.
 * @if_range:    the If-Range field, if any.
 * @if_modified_since: the If-Modified-Since field, if any.
 * @if_none_match: the If-None-Match lines, @n_inm of them.
 * @n_inm:       see @if_none_match.
 * @if_match:    the If-Match lines, @n_im of them.
 * @n_im:        see @if_match.
 * @if_unmodified_since: the If-Unmodified-Since field, if any.
 * @authorization: the Authorization field, if any (live ingest's token);
 *               two of them are a 400.
 * @head_len:    bytes of the head, leading empty lines and the final empty
 *               line included: the next request starts here.
 */
struct http_request {
	enum http_method method;
	struct http_span method_name;
	struct http_span target;
	struct http_span path;
	struct http_span query;
	unsigned int minor;
	bool keep_alive;
	bool has_length;
	uint64_t length;
	bool chunked;
	bool expect_continue;
	struct http_span host;
	struct http_span range;
	struct http_span if_range;
	struct http_span if_modified_since;
	struct http_span if_none_match[HTTP_MAX_INM];
	unsigned int n_inm;
	struct http_span if_match[HTTP_MAX_INM];
	unsigned int n_im;
	struct http_span if_unmodified_since;
	struct http_span authorization;
	size_t head_len;
};

/*
 * http_parse_request() - parse the request head at the start of @buf.
 *
 * Returns the head's length (also in req->head_len) once it is whole; 0 when
 * more bytes are needed and nothing seen so far is wrong; or a negative HTTP
 * status: -400 (malformed, or a smuggling risk), -414 (the request line
 * alone passes @max_head), -431 (the head passes @max_head), -501 (a
 * Transfer-Encoding other than "chunked"), -505 (not HTTP/1.x). Both a
 * Transfer-Encoding and a Content-Length, a Transfer-Encoding in HTTP/1.0,
 * or two Transfer-Encoding fields are a 400.
 * A head may be refused before it is complete, as soon as it cannot be
 * valid any more, so that garbage is answered at once. @req is only
 * meaningful after a positive return.
 */
ssize_t http_parse_request(const char *buf, size_t len, size_t max_head,
			   struct http_request *req);

/* What the field lines so far said about the framing; http.c reads it. */
struct http_framing {
	bool te;		/* a Transfer-Encoding was sent */
	bool te_twice;		/* ...more than once */
	bool te_chunked;	/* ...and it said exactly "chunked" */
	bool close;		/* Connection: close */
	bool keep_alive;	/* Connection: keep-alive */
};

/**
 * struct http_scan - a request head's parse, resumed as its bytes arrive
 * @buf:     the buffer of the last call: another one starts the scan over.
 * @pos:     bytes of it examined; the next call goes on from here.
 * @line:    where the line that is not whole yet starts.
 * @phase:   how far that line got (http.c's enum line_phase).
 * @reqline: that line is the request line.
 * @req:     what the whole lines said so far.
 * @fr:      ditto, the framing.
 * @work:    bytes examined since http_scan_init(), every call and every
 *           head included: the tests check that a head costs O(its length)
 *           however it is cut into reads.
 *
 * A head that comes a byte per recv() would cost O(n^2) if every read
 * re-parsed it from its first byte (a 1 MiB --max-header-bytes: 5e11 byte
 * visits); with this, every byte is looked at a bounded number of times.
 */
struct http_scan {
	const char *buf;
	size_t pos;
	size_t line;
	unsigned int phase;
	bool reqline;
	struct http_request req;
	struct http_framing fr;
	uint64_t work;
};

/* Ready for a connection's first head; a zeroed struct http_scan is too. */
void http_scan_init(struct http_scan *s);

/*
 * http_scan_request() - http_parse_request(), resumed where the last call
 * on @s stopped. Call it with the same @buf and @max_head after each read
 * that appended to @buf; the answer is exactly http_parse_request()'s on
 * @buf and @len. Once it is not 0 (a head or an error), @s is ready for the
 * next head, which the caller moves to the start of @buf. A call with
 * another @buf, or with fewer bytes than were examined, starts over.
 */
ssize_t http_scan_request(struct http_scan *s, const char *buf, size_t len,
			  size_t max_head, struct http_request *req);

/* The reason phrase of a status code we send, "Unknown" otherwise. */
const char *http_reason(int status);

/* Whether @s equals @lit, ignoring ASCII case. */
bool http_span_eq(struct http_span s, const char *lit);

/* Whether the comma-separated list @s holds @token, ignoring case. */
bool http_has_token(struct http_span s, const char *token);

/*
 * IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters. Formats like
 * snprintf(); times before 1970 or after 9999 come out as the epoch.
 */
#define HTTP_DATE_LEN	29
size_t http_format_date(char *buf, size_t size, time_t t);

/*
 * http_parse_date() - an HTTP-date in any of the three forms a recipient must
 * accept (RFC 9110 section 5.6.7): IMF-fixdate, RFC 850 ("Sunday,
 * 06-Nov-94 08:49:37 GMT"; years 70-99 are 19xx, 00-69 20xx) and asctime
 * ("Sun Nov  6 08:49:37 1994"). Surrounding whitespace is allowed. Returns
 * 0 with the time in *out, or -EINVAL.
 */
int http_parse_date(const char *s, size_t len, time_t *out);

/*
 * A strong entity tag, quotes included, for a sealed video: the id tells a
 * video from one that later took its name, the size and the seal time are
 * there so that a tag never survives a change even if ids were reused (they
 * restart when the module is reloaded). Formats like snprintf().
 */
#define HTTP_ETAG_MAX	64
size_t http_format_etag(char *buf, size_t size, uint64_t id, uint64_t vsize,
			uint64_t seal_ns);

/*
 * http_etag_match() - does the If-None-Match (@weak) or If-Range list @s
 * name @etag? "*" matches any current representation. Weak comparison
 * (If-None-Match) ignores a W/ prefix; strong comparison (If-Range) never
 * matches a weak tag. A list that does not parse matches nothing.
 */
bool http_etag_match(struct http_span s, const char *etag, bool weak);

/* video/mp2t for names without an extension and .ts/.m2ts/.mts; see .c */
const char *http_content_type(const char *name);

/*
 * http_decode_name() - the video name in a path segment, percent-decoded,
 * into a NUL-padded name field of @size bytes. Returns the name's length,
 * or 0 if it cannot be a name: empty, too long, a bad %XX, or a '/' (raw
 * or %2F). Whether the kernel would take it is vcache_name_check()'s call.
 */
size_t http_decode_name(struct http_span seg, char *field, size_t size);

/* Longest decoded query parameter name or value looked at. */
#define HTTP_QUERY_ITEM_MAX	64

/**
 * struct http_query - the query parameters the server knows
 * @has_t:    t= was given; @t holds it, @t_text as given (decoded).
 * @t:        see @has_t.
 * @t_text:   see @has_t.
 * @has_loop: loop= was given; @loop holds it (0: forever).
 * @loop:     see @has_loop.
 */
struct http_query {
	bool has_t;
	struct tc_spec t;
	char t_text[HTTP_QUERY_ITEM_MAX];
	bool has_loop;
	uint64_t loop;
};

/* Most passes of ?loop=N; a typo should not mean years of streaming. */
#define HTTP_LOOP_MAX	1000000

/*
 * http_parse_query() - "t=01:00:00:00&loop=3", percent-encoding allowed in
 * values ("t=00%3A00%3A10%3B00"). t= takes what "vcachectl seek" takes
 * (user/lib/tcparse.h): a label, HH:MM:SS:FF or HH:MM:SS;FF for drop-frame,
 * seconds from the first keyframe ("t=90", "t=12.5"), or 90 kHz ticks
 * ("t=900000t"). Unknown parameters are ignored (players
 * add cache busters); a known one that is repeated, empty or malformed is
 * an error. Returns 0, or -EINVAL with a message for the client in *why.
 */
int http_parse_query(struct http_span query, struct http_query *q, const char **why);

#endif /* VCACHE_HTTP_H */
