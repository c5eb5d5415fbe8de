/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Video name validation, shared by the module and the user tools so that
 * both agree on what a name is (see VCACHE_NAME_MAX in the uapi header).
 * Pure code: no allocation, no locking; unit-tested on the host.
 */
#ifndef _VCACHE_NAME_H
#define _VCACHE_NAME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#endif

/*
 * Decodes one UTF-8 sequence at s (at most n bytes, n >= 1) into *cp.
 * Returns its length, or 0 for an invalid, overlong or truncated sequence, a
 * UTF-16 surrogate or a value past U+10FFFF.
 */
static inline size_t vcache_utf8_decode(const unsigned char *s, size_t n,
					unsigned int *cp)
{
	unsigned int c, min;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* Length of one valid UTF-8 sequence at s (at most n bytes), or 0. */
static inline size_t vcache_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int cp;

	return vcache_utf8_decode(s, n, &cp);
}

/*
 * Checks a name field of @size bytes: 1..size-1 bytes of UTF-8 without '/'
 * or control characters (U+0000-U+001F, U+007F-U+009F: terminals act on
 * them), not "." or "..", then a NUL and only NULs after it.
 * Returns the name's length, or 0 if the field is not a valid name.
 */
static inline size_t vcache_name_check(const char *field, size_t size)
{
	const unsigned char *s = (const unsigned char *)field;
	size_t len = 0, i, n;
	unsigned int cp;

	while (len < size && s[len])
		len++;
	if (len == 0 || len == size)
		return 0;
	for (i = len; i < size; i++)
		if (s[i])
			return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < len; i += n) {
		n = vcache_utf8_decode(s + i, len - i, &cp);
		if (!n || cp == '/' || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
	}
	return len;
}

#endif /* _VCACHE_NAME_H */
