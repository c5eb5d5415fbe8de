// SPDX-License-Identifier: GPL-2.0
/*
 * Timecode arguments for vcachectl; see tcparse.h for the grammar. The
 * frame and label arithmetic is include/vcache/timecode.h, the very code
 * the kernel's LOOKUP runs, so that what we print matches what it answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <vcache/timecode.h>
#include "tcparse.h"

static bool tc_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Consumes @min to @max digits at *p into *v. Returns false if there are
 * fewer, or more: "1:000:00:00" is not a label with a leading zero.
 */
static bool tc_field(const char **p, size_t min, size_t max, unsigned int *v)
{
	const char *s = *p;
	unsigned int x = 0;
	size_t n = 0;

	while (tc_digit(*s)) {
		if (++n > max)
			return false;
		x = x * 10 + (*s++ - '0');
	}
	if (n < min)
		return false;
	*v = x;
	*p = s;
	return true;
}

static int tc_parse_label(const char *s, struct tc_spec *out)
{
	unsigned int hh, mm, ss, ff;
	const char *p = s;
	char sep, last;

	if (!tc_field(&p, 1, 2, &hh))
		return -EINVAL;
	/* ':' throughout, or ';' throughout (Adobe's drop-frame spelling). */
	sep = *p++;
	if (sep != ':' && sep != ';')
		return -EINVAL;
	if (!tc_field(&p, 2, 2, &mm) || *p++ != sep || !tc_field(&p, 2, 2, &ss))
		return -EINVAL;
	last = *p++;
	if (sep == ';' ? last != ';' : last != ':' && last != ';' && last != '.')
		return -EINVAL;
	if (!tc_field(&p, 2, 3, &ff) || *p)
		return -EINVAL;
	if (ff > UINT8_MAX)
		return -ERANGE;
	out->form = TC_LABEL;
	out->drop = last != ':';
	out->tc = (struct vcache_timecode){ .hh = hh, .mm = mm, .ss = ss, .ff = ff };
	out->pts = 0;
	return 0;
}

/* Seconds "S[.F]" with an optional "s", or ticks "Nt". */
static int tc_parse_time(const char *s, struct tc_spec *out)
{
	uint64_t whole = 0, frac = 0, scale = 1, pts;
	const char *p = s;
	bool over = false;
	size_t n = 0;

	for (; tc_digit(*p); p++, n++) {
		unsigned int d = *p - '0';

		if (whole > (UINT64_MAX - d) / 10)
			over = true;
		else
			whole = whole * 10 + d;
	}
	if (!n)
		return -EINVAL;
	if (*p == 't' && !p[1]) {
		if (over)
			return -ERANGE;
		out->form = TC_TICKS;
		out->pts = whole;
		goto done;
	}
	if (*p == '.') {
		/* 10^9 is finer than a tick, and keeps frac * 90000 in range. */
		for (p++, n = 0; tc_digit(*p); p++, n++) {
			if (n == 9)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
		if (!n)
			return -EINVAL;
	}
	if (*p == 's')
		p++;
	if (*p)
		return -EINVAL;
	if (over || whole > (UINT64_MAX - VCACHE_PTS_HZ) / VCACHE_PTS_HZ)
		return -ERANGE;
	pts = whole * VCACHE_PTS_HZ + frac * VCACHE_PTS_HZ / scale;
	out->form = TC_SECONDS;
	out->pts = pts;
done:
	out->drop = false;
	memset(&out->tc, 0, sizeof(out->tc));
	return 0;
}

int tc_parse(const char *s, struct tc_spec *out)
{
	struct tc_spec spec;
	int err;

	/* A label has a separator where a time has at most a '.'. */
	if (strpbrk(s, ":;"))
		err = tc_parse_label(s, &spec);
	else
		err = tc_parse_time(s, &spec);
	if (!err)
		*out = spec;
	return err;
}

void tc_lookup_init(struct vcache_lookup *req, const struct tc_spec *spec,
		    uint32_t num, uint32_t den)
{
	memset(req, 0, sizeof(*req));
	if (spec->form == TC_LABEL) {
		req->mode = VCACHE_LOOKUP_TIMECODE;
		req->tc = spec->tc;
		req->flags = spec->drop ? VCACHE_LOOKUP_DROP_FRAME : 0;
	} else {
		req->mode = VCACHE_LOOKUP_PTS;
		req->pts = spec->pts;
		req->flags = vcache_tc_drop(num, den) ? VCACHE_LOOKUP_DROP_FRAME : 0;
	}
}

const char *tc_invalid_reason(const struct tc_spec *spec, uint32_t num, uint32_t den,
			      char *buf, size_t size)
{
	const struct vcache_timecode *t = &spec->tc;
	uint32_t fps = den ? vcache_tc_fps(num, den) : 0, drop = 0;

	if (spec->form != TC_LABEL || !fps)
		return NULL;
	if (spec->drop) {
		drop = vcache_tc_drop(num, den);
		if (!drop)
			return "drop-frame timecode needs 29.97 or 59.94 fps";
	}
	if (t->hh >= 24)
		return "hours must be below 24";
	if (t->mm >= 60)
		return "minutes must be below 60";
	if (t->ss >= 60)
		return "seconds must be below 60";
	if (t->ff >= fps) {
		snprintf(buf, size, "frames must be below %" PRIu32, fps);
		return buf;
	}
	if (drop && !t->ss && t->ff < drop && t->mm % 10) {
		snprintf(buf, size, "drop-frame skips frames 00 to %02" PRIu32
			 " of minutes not divisible by ten", drop - 1);
		return buf;
	}
	return NULL;
}

size_t tc_format(char *buf, size_t size, const struct vcache_timecode *tc, bool drop)
{
	return snprintf(buf, size, "%02u:%02u:%02u%c%02u", tc->hh, tc->mm, tc->ss,
			drop ? ';' : ':', tc->ff);
}

size_t tc_format_frame(char *buf, size_t size, uint64_t frame, uint32_t num,
		       uint32_t den, bool drop)
{
	uint32_t fps = den ? vcache_tc_fps(num, den) : 0;
	uint32_t d = drop ? vcache_tc_drop(num, den) : 0;
	struct vcache_tc tc;

	if (vcache_frame_to_tc(frame, fps, d, &tc))
		return snprintf(buf, size, "-");
	return snprintf(buf, size, "%02" PRIu32 ":%02" PRIu32 ":%02" PRIu32 "%c%02" PRIu32,
			tc.hh, tc.mm, tc.ss, d ? ';' : ':', tc.ff);
}

size_t tc_format_pts(char *buf, size_t size, uint64_t pts, uint32_t num,
		     uint32_t den, bool drop)
{
	if (!den)
		return snprintf(buf, size, "-");
	return tc_format_frame(buf, size, vcache_pts_to_frame(pts, num, den), num, den, drop);
}

size_t tc_format_seconds(char *buf, size_t size, uint64_t pts)
{
	return snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, pts / 90000,
			pts % 90000 / 90);
}
