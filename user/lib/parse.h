/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing and formatting for vcachectl: pure functions (no I/O, no
 * allocation, no global state) so that every corner case can be unit-tested
 * on the host, away from the device (see user/tests/parse_test.c).
 *
 * Parsers return 0, -EINVAL (not in the grammar) or -ERANGE (in the grammar
 * but out of range), and leave *out alone on failure. Formatters work like
 * snprintf(): they return the length the full text needs and always
 * NUL-terminate a buffer of non-zero size.
 */
#ifndef VCACHECTL_PARSE_H
#define VCACHECTL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The frame rates the kernel accepts, in frames a second (see vcache.h). */
#define FPS_MIN		1
#define FPS_MAX		1000

/*
 * parse_size() - a byte count: "4096", "64K", "20M", "20MiB", "1.5G".
 *
 * Grammar: DIGITS [ "." DIGITS UNIT ] | DIGITS UNIT, UNIT being one of
 * K M G T P E (either case) optionally followed by "iB". Every unit is
 * binary (K = 1024): "MB" is refused rather than guessed at, since half the
 * world reads it as 10^6. A fraction needs a unit and must come out as a
 * whole number of bytes ("1.5K" is 1536, "0.3K" is refused), because these
 * are offsets and capacities where a silently rounded value is a wrong one.
 * No sign, no spaces, no hex. Returns -ERANGE past UINT64_MAX.
 */
int parse_size(const char *s, uint64_t *out);

/* The greatest common divisor of @a and @b (gcd64(0, 0) is 0). */
uint64_t gcd64(uint64_t a, uint64_t b);

/*
 * parse_fps() - a frame rate: "25", "30000/1001", or a decimal "12.5".
 *
 * A decimal with two or more fractional digits, not all zero, that matches
 * some N/1.001 when rounded to the digits given is taken as the NTSC-style
 * rate N*1000/1001, as video tools mean it: "29.97" is 30000/1001, "59.94"
 * 60000/1001, "23.976" 24000/1001. Other decimals are exact ("12.5" is
 * 25/2, "999.00" is 999). N/D is kept as written, not reduced, as the kernel reports it back
 * as created. The rate must be within [FPS_MIN, FPS_MAX] (-ERANGE).
 */
int parse_fps(const char *s, uint32_t *num, uint32_t *den);

/* "512 B", "1.5 KiB", "20.0 MiB": binary units, one decimal from KiB up. */
size_t format_size(char *buf, size_t size, uint64_t bytes);

/* "25" for N/1, else "29.97 (30000/1001)": up to 3 decimals, then exact. */
size_t format_fps(char *buf, size_t size, uint32_t num, uint32_t den);

/* CLOCK_REALTIME nanoseconds as ISO 8601 UTC to the second, "...T...Z". */
size_t format_time(char *buf, size_t size, uint64_t ns);

/*
 * json_escape() - the body of a JSON string (no quotes) for @len bytes.
 *
 * '"', '\\', C0 and C1 controls and DEL are escaped; valid UTF-8 otherwise
 * passes through; a byte that is not valid UTF-8 becomes U+FFFD, as JSON
 * cannot carry raw bytes. Names are checked UTF-8 already, but the output
 * must be valid JSON whatever the kernel hands back.
 */
size_t json_escape(char *buf, size_t size, const char *src, size_t len);

/*
 * c_escape() - like json_escape() but for messages to a terminal: bytes that
 * are not valid UTF-8 show as \xNN, so that a bad name is shown as typed.
 */
size_t c_escape(char *buf, size_t size, const char *src, size_t len);

/* "loading", "sealed", "live", "ended" (VCACHE_STATE_*), else "unknown". */
const char *state_name(uint32_t state);

#endif /* VCACHECTL_PARSE_H */
