// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and formatting for vcachectl; see parse.h for the grammars. Every
 * piece of arithmetic on user input is overflow-checked: a typo must come
 * back as an error, never as a wrapped-around capacity or offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/vcache.h>
#include <vcache/name.h>
#include "parse.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Consumes the digits at *p into *v; *over is set if the value passes @max
 * (the scan goes on, so that "99999999999999999999x" is still a syntax error
 * rather than a range error). Returns how many digits there were.
 */
static size_t scan_digits(const char **p, uint64_t *v, uint64_t max, bool *over)
{
	const char *start = *p, *s = *p;
	uint64_t x = 0;

	while (is_digit(*s)) {
		unsigned int d = *s++ - '0';

		if (x > (max - d) / 10)
			*over = true;
		else
			x = x * 10 + d;
	}
	*v = x;
	*p = s;
	return s - start;
}

uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	uint64_t whole, frac = 0, scale = 1, mult = 1, part, g, v;
	bool over = false, fover = false;
	const char *p = s, *u;
	size_t fdigits = 0;

	if (!scan_digits(&p, &whole, UINT64_MAX, &over))
		return -EINVAL;
	if (*p == '.') {
		p++;
		/* 10^19 would not fit the scale: 18 digits are plenty. */
		fdigits = scan_digits(&p, &frac, UINT64_MAX, &fover);
		if (!fdigits || fdigits > 18)
			return -EINVAL;
		while (fdigits--)
			scale *= 10;
	}
	if (*p) {
		u = strchr(units, *p & ~0x20);	/* upper case */
		if (!u || !*u)
			return -EINVAL;
		mult = 1ULL << (10 * (u - units + 1));
		p++;
		if (p[0] == 'i' && p[1] == 'B')
			p += 2;
		if (*p)
			return -EINVAL;
	} else if (scale > 1) {
		return -EINVAL;		/* "1.5" bytes */
	}
	if (over)
		return -ERANGE;

	/*
	 * frac / scale of a unit is a whole number of bytes only if, reduced,
	 * its denominator divides the unit, a power of two.
	 */
	g = gcd64(frac, scale);
	frac /= g;
	scale /= g;
	if (mult % scale)
		return -EINVAL;
	part = frac * (mult / scale);		/* < mult: cannot overflow */
	if (__builtin_mul_overflow(whole, mult, &v) ||
	    __builtin_add_overflow(v, part, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* Whether num/den frames a second is a rate the kernel takes. */
static bool fps_in_range(uint64_t num, uint64_t den)
{
	return den && num >= FPS_MIN * den && num <= FPS_MAX * den;
}

/* N/1.001 rounded to @scale (10^digits) matches @v / @scale: returns N. */
static uint64_t ntsc_rate(uint64_t v, uint64_t scale)
{
	uint64_t k = (v * 1001 + 500 * scale) / (1000 * scale);

	/* 1001 is odd: adding 500 rounds half up without ties. */
	if (k && (k * 1000 * scale + 500) / 1001 == v)
		return k;
	return 0;
}

int parse_fps(const char *s, uint32_t *num, uint32_t *den)
{
	uint64_t a, b = 1, frac, scale = 1, k, g;
	bool over = false;
	const char *p = s;
	size_t fdigits;

	if (!scan_digits(&p, &a, UINT32_MAX, &over))
		return -EINVAL;
	if (*p == '/') {
		p++;
		if (!scan_digits(&p, &b, UINT32_MAX, &over) || *p)
			return -EINVAL;
		if (!b)
			return -EINVAL;
	} else if (*p == '.') {
		p++;
		/* 10^9: enough for any real rate, and v * 1001 stays small. */
		fdigits = scan_digits(&p, &frac, UINT64_MAX, &over);
		if (!fdigits || fdigits > 9 || *p)
			return -EINVAL;
		if (over || a > FPS_MAX)
			return -ERANGE;
		for (k = 0; k < fdigits; k++)
			scale *= 10;
		a = a * scale + frac;
		/* "999.00" means 999, though 1000/1.001 rounds to it. */
		k = fdigits >= 2 && frac ? ntsc_rate(a, scale) : 0;
		if (k) {
			a = k * 1000;
			b = 1001;
		} else {
			g = gcd64(a, scale);
			a /= g;
			b = scale / g;
			if (a > UINT32_MAX || b > UINT32_MAX)
				return -ERANGE;
		}
	} else if (*p) {
		return -EINVAL;
	}
	if (over || !fps_in_range(a, b))
		return -ERANGE;
	*num = a;
	*den = b;
	return 0;
}

size_t format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char * const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	uint64_t unit = 1024, whole, tenths;
	unsigned int i = 0;

	if (bytes < 1024)
		return snprintf(buf, size, "%" PRIu64 " B", bytes);
	/* Round to a tenth first: 1023.96 KiB must print as 1.0 MiB. */
	for (;;) {
		whole = bytes / unit;
		tenths = ((bytes % unit) * 10 + unit / 2) / unit;
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
		if (whole < 1024 || i == 5)
			break;
		i++;
		unit <<= 10;
	}
	return snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, units[i]);
}

size_t format_fps(char *buf, size_t size, uint32_t num, uint32_t den)
{
	uint64_t milli;
	char dec[32];
	size_t n;

	if (den == 1)
		return snprintf(buf, size, "%" PRIu32, num);
	if (!den)
		return snprintf(buf, size, "%" PRIu32 "/0", num);
	milli = ((uint64_t)num * 1000 + den / 2) / den;
	n = snprintf(dec, sizeof(dec), "%" PRIu64 ".%03" PRIu64, milli / 1000, milli % 1000);
	while (dec[n - 1] == '0')
		dec[--n] = '\0';
	if (dec[n - 1] == '.')
		dec[--n] = '\0';
	return snprintf(buf, size, "%s (%" PRIu32 "/%" PRIu32 ")", dec, num, den);
}

size_t format_time(char *buf, size_t size, uint64_t ns)
{
	time_t sec = ns / 1000000000;
	char tmp[64];
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || !strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return snprintf(buf, size, "@%" PRIu64, ns);
	return snprintf(buf, size, "%s", tmp);
}

/* An output buffer that counts what would not fit, as snprintf() does. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void sb_putc(struct sbuf *sb, char c)
{
	if (sb->len + 1 < sb->size)
		sb->buf[sb->len] = c;
	sb->len++;
}

/* @prefix, then @x in @digits lowercase hex digits: "\\u00e9", "\\xc3". */
static void sb_hex(struct sbuf *sb, const char *prefix, unsigned int x, int digits)
{
	while (*prefix)
		sb_putc(sb, *prefix++);
	while (digits--)
		sb_putc(sb, "0123456789abcdef"[(x >> (4 * digits)) & 0xf]);
}

static size_t escape(char *buf, size_t size, const char *src, size_t len, bool json)
{
	static const char ctl[] = "\b\f\n\r\t", ctl_name[] = "bfnrt";
	const unsigned char *s = (const unsigned char *)src;
	struct sbuf sb = { buf, size, 0 };
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = s[i];
		const char *named = c ? strchr(ctl, c) : NULL;

		if (c >= 0x80) {
			n = vcache_utf8_seq(s + i, len - i);
			if (!n) {
				if (json)
					sb_hex(&sb, "\\u", 0xfffd, 4);
				else
					sb_hex(&sb, "\\x", c, 2);
				i++;
			} else if (c == 0xc2 && s[i + 1] < 0xa0) {
				/* C1 controls: some terminals act on U+009B (CSI). */
				sb_hex(&sb, "\\u", s[i + 1], 4);
				i += 2;
			} else {
				while (n--)
					sb_putc(&sb, s[i++]);
			}
		} else if (c == '"' || c == '\\') {
			sb_putc(&sb, '\\');
			sb_putc(&sb, c);
			i++;
		} else if (named) {
			sb_putc(&sb, '\\');
			sb_putc(&sb, ctl_name[named - ctl]);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			if (json)
				sb_hex(&sb, "\\u", c, 4);
			else
				sb_hex(&sb, "\\x", c, 2);
			i++;
		} else {
			sb_putc(&sb, c);
			i++;
		}
	}
	if (size)
		buf[sb.len < size ? sb.len : size - 1] = '\0';
	return sb.len;
}

size_t json_escape(char *buf, size_t size, const char *src, size_t len)
{
	return escape(buf, size, src, len, true);
}

size_t c_escape(char *buf, size_t size, const char *src, size_t len)
{
	return escape(buf, size, src, len, false);
}

const char *state_name(uint32_t state)
{
	switch (state) {
	case VCACHE_STATE_LOADING:
		return "loading";
	case VCACHE_STATE_SEALED:
		return "sealed";
	case VCACHE_STATE_LIVE:
		return "live";
	case VCACHE_STATE_ENDED:
		return "ended";
	default:
		return "unknown";
	}
}
