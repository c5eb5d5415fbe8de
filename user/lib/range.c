// SPDX-License-Identifier: GPL-2.0
/*
 * Range and If-Range; see range.h for the policy on multiple ranges.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "range.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* 1*DIGIT at *i; false if none, or past UINT64_MAX. */
static bool scan_u64(struct http_span v, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t x = 0;

	while (*i < v.len && v.p[*i] >= '0' && v.p[*i] <= '9') {
		unsigned int d = v.p[*i] - '0';

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		(*i)++;
	}
	*out = x;
	return *i > start;
}

static bool overlap(const struct byte_range *a, const struct byte_range *b)
{
	return a->first <= b->last && b->first <= a->last;
}

enum range_result range_parse(struct http_span value, uint64_t size,
			      struct byte_range out[RANGE_MAX], unsigned int *n)
{
	struct http_span v = value;
	unsigned int count = 0, specs = 0, a, b;
	size_t i = 0;

	*n = 0;
	if (!v.p)
		return RANGE_WHOLE;
	while (i < v.len && is_ws(v.p[i]))
		i++;
	if (v.len - i < 6 || !http_span_eq((struct http_span){ v.p + i, 6 }, "bytes="))
		return RANGE_WHOLE;	/* another unit, or no unit */
	i += 6;

	for (;;) {
		uint64_t first, last;
		bool suffix = false, has_last = false;

		while (i < v.len && (is_ws(v.p[i]) || v.p[i] == ','))
			i++;	/* empty list elements are allowed */
		if (i == v.len)
			break;
		if (v.p[i] == '-') {
			i++;
			suffix = true;
			if (!scan_u64(v, &i, &last))
				return RANGE_WHOLE;
		} else {
			if (!scan_u64(v, &i, &first) || i == v.len || v.p[i++] != '-')
				return RANGE_WHOLE;
			has_last = scan_u64(v, &i, &last);
			if (!has_last && i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
				return RANGE_WHOLE;	/* overflowed */
			if (has_last && last < first)
				return RANGE_WHOLE;
		}
		while (i < v.len && is_ws(v.p[i]))
			i++;
		if (i < v.len && v.p[i] != ',')
			return RANGE_WHOLE;
		/* Too many to be a player: ignored before any work is done. */
		if (++specs > RANGE_MAX)
			return RANGE_WHOLE;

		if (suffix) {
			/* The last N bytes; -0 is unsatisfiable. */
			if (!last || !size)
				continue;
			first = last >= size ? 0 : size - last;
			last = size - 1;
		} else {
			if (first >= size)
				continue;
			if (!has_last || last >= size)
				last = size - 1;
		}
		out[count].first = first;
		out[count].last = last;
		count++;
	}
	if (!specs)
		return RANGE_WHOLE;	/* "bytes=" alone does not parse */
	if (!count)
		return RANGE_UNSATISFIABLE;
	for (a = 0; a < count; a++)
		for (b = a + 1; b < count; b++)
			if (overlap(&out[a], &out[b]))
				return RANGE_WHOLE;
	*n = count;
	return RANGE_PARTIAL;
}

bool if_range_allows(struct http_span value, const char *etag, time_t last_modified)
{
	struct http_span v = value;
	time_t t;

	if (!v.p)
		return true;
	while (v.len && is_ws(v.p[0])) {
		v.p++;
		v.len--;
	}
	/* An entity tag starts with a quote, or W/ for a weak one. */
	if (v.len && (v.p[0] == '"' || (v.len >= 2 && v.p[0] == 'W' && v.p[1] == '/'))) {
		/* One tag, not a list: a comma makes it something else. */
		if (memchr(v.p, ',', v.len))
			return false;
		return http_etag_match(v, etag, false);
	}
	if (last_modified < 0 || http_parse_date(v.p, v.len, &t))
		return false;
	return t == last_modified;
}

size_t range_format_content_range(char *buf, size_t size, const struct byte_range *r,
				  uint64_t total)
{
	if (!r)
		return snprintf(buf, size, "bytes */%" PRIu64, total);
	return snprintf(buf, size, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
			r->first, r->last, total);
}

enum live_range live_range_parse(struct http_span value, uint64_t tail, uint64_t head,
				 struct byte_range *out)
{
	struct http_span v = value;
	uint64_t first, last;
	size_t i = 0;

	if (!v.p)
		return LIVE_RANGE_NONE;
	while (i < v.len && is_ws(v.p[i]))
		i++;
	if (v.len - i < 6 || !http_span_eq((struct http_span){ v.p + i, 6 }, "bytes="))
		return LIVE_RANGE_NONE;
	i += 6;
	while (i < v.len && is_ws(v.p[i]))
		i++;
	/* Exactly "first-last": open, suffix and several ranges are followed. */
	if (!scan_u64(v, &i, &first) || i == v.len || v.p[i++] != '-' ||
	    !scan_u64(v, &i, &last))
		return LIVE_RANGE_NONE;
	while (i < v.len && is_ws(v.p[i]))
		i++;
	if (i != v.len || last < first)
		return LIVE_RANGE_NONE;
	if (first >= head)
		return LIVE_RANGE_AHEAD;
	if (first < tail)
		return LIVE_RANGE_GONE;
	out->first = first;
	out->last = last < head ? last : head - 1;
	return LIVE_RANGE_OK;
}
