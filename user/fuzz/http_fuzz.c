// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for vcache-streamer's request parser and everything the
 * server feeds a parsed request to: Range and If-Range, entity tags, dates,
 * the query (timecodes, loop counts) and names. `make fuzz-http`.
 *
 * The first input byte picks the head size limit, so that the 414/431 edges
 * get as much attention as the grammar; the rest is the request stream,
 * parsed request after request as a pipelining connection would. Besides
 * the sanitizers, the invariants the server relies on are checked.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "tcparse.h"
#include "range.h"

static void check_ranges(const struct http_request *req, uint64_t size)
{
	struct byte_range r[RANGE_MAX];
	enum range_result res;
	unsigned int n, i, j;

	res = range_parse(req->range, size, r, &n);
	if (res != RANGE_PARTIAL) {
		assert(n == 0);
		return;
	}
	assert(n >= 1 && n <= RANGE_MAX);
	for (i = 0; i < n; i++) {
		assert(r[i].first <= r[i].last);
		assert(r[i].last < size);
		for (j = i + 1; j < n; j++)
			assert(r[i].last < r[j].first || r[j].last < r[i].first);
	}
}

static void check_request(const struct http_request *req, const char *buf, size_t len)
{
	const struct http_span *spans[] = {
		&req->method_name, &req->target, &req->path, &req->query, &req->host,
		&req->range, &req->if_range, &req->if_modified_since,
	};
	char field[64], date[64];
	struct http_query q;
	const char *why;
	time_t t;
	size_t i;

	/* Every span lies inside the head (but "/" for an absolute-form target without a path). */
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
		if (spans[i]->len && !(spans[i] == &req->path && spans[i]->len == 1 &&
				       spans[i]->p[0] == '/'))
			assert(spans[i]->p >= buf && spans[i]->p + spans[i]->len <= buf + len);
	assert(req->minor <= 1);
	assert(req->n_inm <= HTTP_MAX_INM);

	check_ranges(req, 0);
	check_ranges(req, 1);
	check_ranges(req, 1000);
	check_ranges(req, UINT64_MAX);
	if_range_allows(req->if_range, "\"1-2-3\"", 784111777);
	if_range_allows(req->if_range, NULL, -1);
	for (i = 0; i < req->n_inm; i++) {
		http_etag_match(req->if_none_match[i], "\"1-2-3\"", true);
		http_etag_match(req->if_none_match[i], "\"1-2-3\"", false);
	}
	if (!http_parse_date(req->if_modified_since.p, req->if_modified_since.len, &t)) {
		/* What parses formats; a fixdate read back is the same instant. */
		assert(t >= 0);
		if (t <= 253402300799LL) {
			http_format_date(date, sizeof(date), t);
			assert(strlen(date) == HTTP_DATE_LEN);
		}
	}
	why = NULL;
	if (http_parse_query(req->query, &q, &why))
		assert(why);
	else if (q.has_loop)
		assert(q.loop <= HTTP_LOOP_MAX);
	if (req->path.len > 3) {
		struct http_span seg = { req->path.p + 3, req->path.len - 3 };
		size_t n = http_decode_name(seg, field, sizeof(field));

		assert(n < sizeof(field));
		assert(!field[sizeof(field) - 1]);
		if (n)
			assert(!memchr(field, '/', n) && strlen(field) == n);
	}
	http_content_type(field);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 8192, 64, 256, 1024 };
	struct http_request req;
	size_t max_head, off = 0;
	char *buf;

	if (!size)
		return 0;
	max_head = limits[data[0] % 4];
	size--;
	/* A copy of exactly the input, so that ASan sees any overread. */
	buf = malloc(size ? size : 1);
	memcpy(buf, data + 1, size);
	while (off < size) {
		ssize_t n = http_parse_request(buf + off, size - off, max_head, &req);

		if (n <= 0) {
			assert(n == 0 || n == -400 || n == -414 || n == -431 ||
			       n == -501 || n == -505);
			/* "Need more" only while the limit is not reached. */
			assert(n || size - off < max_head);
			break;
		}
		assert((size_t)n <= size - off && (size_t)n <= max_head);
		assert((size_t)n == req.head_len);
		check_request(&req, buf + off, n);
		off += n;
	}
	free(buf);
	return 0;
}
