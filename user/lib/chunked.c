// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding the chunked transfer coding; see chunked.h.
 */
#include <errno.h>
#include <string.h>
#include "chunked.h"

void chunked_init(struct chunked *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->state = CK_SIZE;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* What may stand in an extension or a trailer line: VCHAR, SP, HTAB, obs-text. */
static bool line_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static ssize_t fail(struct chunked *ck, const char *why)
{
	ck->state = CK_ERROR;
	ck->why = why;
	return -EINVAL;
}

/* One more byte on the current line; too long a line is an error. */
static bool line_grow(struct chunked *ck)
{
	return ++ck->line <= CHUNKED_LINE_MAX;
}

ssize_t chunked_parse(struct chunked *ck, const char *buf, size_t len)
{
	size_t i = 0;
	int h;

	if (ck->state == CK_ERROR)
		return -EINVAL;
	while (i < len) {
		unsigned char c = buf[i];

		switch (ck->state) {
		case CK_SIZE:
			h = hexval(c);
			if (h >= 0) {
				if (ck->digits == 16)
					return fail(ck, "chunk size too large");
				ck->size = ck->size << 4 | h;
				ck->digits++;
			} else if (!ck->digits) {
				return fail(ck, "chunk size expected");
			} else if (c == '\r') {
				ck->state = CK_SIZE_LF;
			} else if (c == ';' || c == ' ' || c == '\t') {
				ck->ext_ws = c != ';';
				ck->state = CK_EXT;
			} else {
				return fail(ck, "bad character in chunk size");
			}
			if (!line_grow(ck))
				return fail(ck, "chunk size line too long");
			i++;
			break;
		case CK_EXT:
			if (c == '\r') {
				if (ck->ext_ws)
					return fail(ck, "whitespace after chunk size without extension");
				ck->state = CK_SIZE_LF;
			} else if (!line_char(c)) {
				return fail(ck, "bad character in chunk extension");
			} else if (ck->ext_ws) {
				if (c == ';')
					ck->ext_ws = false;
				else if (c != ' ' && c != '\t')
					return fail(ck, "whitespace after chunk size without extension");
			}
			if (!line_grow(ck))
				return fail(ck, "chunk size line too long");
			i++;
			break;
		case CK_SIZE_LF:
			if (c != '\n')
				return fail(ck, "chunk size line does not end in CRLF");
			i++;
			ck->line = 0;
			ck->digits = 0;
			if (!ck->size) {
				ck->state = CK_TRAILER;
				break;
			}
			ck->left = ck->size;
			ck->size = 0;
			ck->state = CK_DATA;
			return i;	/* data next: the caller takes it */
		case CK_DATA:
			return i;
		case CK_DATA_CR:
			if (c != '\r')
				return fail(ck, "chunk data longer than its size");
			ck->state = CK_DATA_LF;
			i++;
			break;
		case CK_DATA_LF:
			if (c != '\n')
				return fail(ck, "chunk data not followed by CRLF");
			ck->state = CK_SIZE;
			i++;
			break;
		case CK_TRAILER:
			if (c == '\r') {
				ck->state = CK_END_LF;
			} else if (c == ' ' || c == '\t' || c == ':' || !line_char(c)) {
				return fail(ck, "bad trailer field");
			} else {
				ck->state = CK_TRAILER_LINE;
				ck->line = 1;
			}
			i++;
			break;
		case CK_TRAILER_LINE:
			if (c == '\r')
				ck->state = CK_TRAILER_LF;
			else if (!line_char(c))
				return fail(ck, "bad character in trailer field");
			else if (!line_grow(ck))
				return fail(ck, "trailer field too long");
			i++;
			break;
		case CK_TRAILER_LF:
			if (c != '\n')
				return fail(ck, "trailer line does not end in CRLF");
			ck->state = CK_TRAILER;
			ck->line = 0;
			i++;
			break;
		case CK_END_LF:
			if (c != '\n')
				return fail(ck, "last chunk does not end in CRLF");
			ck->state = CK_DONE;
			return i + 1;
		case CK_DONE:
			return i;
		case CK_ERROR:
			return -1;
		}
	}
	return i;
}

uint64_t chunked_data_left(const struct chunked *ck)
{
	return ck->state == CK_DATA ? ck->left : 0;
}

void chunked_data(struct chunked *ck, uint64_t n)
{
	if (ck->state != CK_DATA || n > ck->left)
		return;
	ck->left -= n;
	ck->body += n;
	if (!ck->left)
		ck->state = CK_DATA_CR;
}

ssize_t chunked_decode(char *buf, size_t len, size_t *used)
{
	struct chunked ck;
	size_t in = 0, out = 0;

	chunked_init(&ck);
	*used = 0;
	while (!chunked_done(&ck)) {
		uint64_t left = chunked_data_left(&ck);
		ssize_t n;

		if (left) {
			size_t take = len - in < left ? len - in : left;

			if (!take)
				return 0;
			memmove(buf + out, buf + in, take);
			chunked_data(&ck, take);
			in += take;
			out += take;
			continue;
		}
		if (in == len)
			return 0;
		n = chunked_parse(&ck, buf + in, len - in);
		if (n < 0)
			return n;
		in += n;
	}
	*used = in;
	return out;
}
