/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The chunked transfer coding of HTTP/1.1 request bodies (RFC 9112 section
 * 7.1), decoded incrementally, for vcache-streamer's live ingest.
 *
 * Pure code, as user/lib/http.c: no I/O, no allocation, no global state (see
 * user/tests/chunked_test.c). The decoder never touches the data bytes: it
 * reads the framing and says how many data bytes come next, so the caller
 * can recv(2) those straight to where they belong (the live ring) and only
 * the few framing bytes pass through a buffer.
 *
 * Errors, as everywhere in user/lib/: a negative errno (-EINVAL for a
 * malformed body).
 *
 *	struct chunked ck;
 *
 *	chunked_init(&ck);
 *	while (!chunked_done(&ck)) {
 *		uint64_t n = chunked_data_left(&ck);
 *		if (n) {
 *			... take up to n data bytes, then chunked_data(&ck, taken);
 *		} else {
 *			... get framing bytes into buf;
 *			used = chunked_parse(&ck, buf, len);
 *			if (used < 0) -> 400
 *			... buf + used, if anything is left there, is data (or more framing)
 *		}
 *	}
 *
 * Strict, as the request parser is: lines end in CRLF only (a bare LF or
 * CR is an error), the chunk size is 1 to 16 hex digits, chunk extensions
 * (";name=value") are skipped after a check of their characters, trailer
 * fields are skipped likewise. A chunk-size line or a trailer line longer
 * than CHUNKED_LINE_MAX is an error, so a client cannot make us scan
 * forever without progress.
 */
#ifndef VCACHE_CHUNKED_H
#define VCACHE_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHUNKED_LINE_MAX	4096

enum chunked_state {
	CK_SIZE,	/* hex digits of a chunk size */
	CK_EXT,		/* after the size: extensions up to CR */
	CK_SIZE_LF,	/* the LF of the size line */
	CK_DATA,	/* data bytes: chunked_data_left() of them */
	CK_DATA_CR,	/* the CRLF after the data */
	CK_DATA_LF,
	CK_TRAILER,	/* at the start of a trailer line (or the final CRLF) */
	CK_TRAILER_LINE,/* inside a trailer field line */
	CK_TRAILER_LF,	/* the LF of a trailer line */
	CK_END_LF,	/* the LF of the final empty line */
	CK_DONE,
	CK_ERROR,
};

struct chunked {
	enum chunked_state state;
	uint64_t size;		/* the chunk being read */
	uint64_t left;		/* data bytes of it not yet taken */
	unsigned int digits;	/* hex digits of the size so far */
	size_t line;		/* bytes of the current line */
	bool ext_ws;		/* whitespace after the size: ';' must follow */
	uint64_t body;		/* data bytes taken in all */
	const char *why;	/* what went wrong, for a 400 */
};

void chunked_init(struct chunked *ck);

/*
 * Reads framing from @buf. Stops at the first data byte (the state is then
 * CK_DATA with chunked_data_left() > 0), at the end of the body (CK_DONE:
 * bytes after it belong to whatever follows the body), or at the end of
 * @buf. Returns the bytes used, or -EINVAL on a malformed body (ck->why
 * says why; every later call fails too).
 */
ssize_t chunked_parse(struct chunked *ck, const char *buf, size_t len);

/* Data bytes that come next, before more framing: 0 unless in CK_DATA. */
uint64_t chunked_data_left(const struct chunked *ck);

/* The caller took @n <= chunked_data_left() data bytes. */
void chunked_data(struct chunked *ck, uint64_t n);

static inline bool chunked_done(const struct chunked *ck)
{
	return ck->state == CK_DONE;
}

/*
 * Decodes a whole chunked body in @buf in place, the data moved to the
 * front: returns the data length and sets *@used to the bytes of @buf the
 * body took; 0 with *@used 0 if the body is not complete; -EINVAL if
 * malformed.
 * For tests and small bodies.
 */
ssize_t chunked_decode(char *buf, size_t len, size_t *used);

#endif /* VCACHE_CHUNKED_H */
