/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Timecodes on the command line: what "vcachectl seek" and "cat --at" take,
 * and the labels they print. Pure code (no I/O, no allocation), unit-tested
 * on the host (user/tests/tcparse_test.c); the arithmetic itself is the
 * kernel's, include/vcache/timecode.h.
 *
 * Grammar (no spaces, no signs):
 *
 *   HH:MM:SS:FF   a non-drop-frame label
 *   HH:MM:SS;FF   a drop-frame label; HH:MM:SS.FF and HH;MM;SS;FF are the
 *                 other spellings tools use for it
 *   SECONDS       "123", "123.4", "0.04s": seconds from the first keyframe,
 *                 up to 9 decimals, rounded down to a whole 90 kHz tick
 *   TICKSt        "90000t": 90 kHz ticks from the first keyframe
 *
 * HH is one or two digits, MM and SS exactly two, FF two or three (rates
 * above 100 fps have three-digit frame fields). Whether a label exists at
 * the video's rate (hh < 24, mm and ss < 60, ff below the rate, a label
 * that drop-frame does not skip) is not a matter of syntax: the kernel
 * decides, and tc_invalid_reason() says why it would refuse.
 */
#ifndef VCACHECTL_TCPARSE_H
#define VCACHECTL_TCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vcache.h>

enum tc_form {
	TC_LABEL,	/* a timecode label: VCACHE_LOOKUP_TIMECODE */
	TC_SECONDS,	/* seconds: VCACHE_LOOKUP_PTS */
	TC_TICKS,	/* ticks: VCACHE_LOOKUP_PTS */
};

/**
 * struct tc_spec - a parsed TIMECODE argument
 * @form: what was given.
 * @drop: TC_LABEL: a drop-frame label.
 * @tc:   TC_LABEL: its fields, as typed.
 * @pts:  TC_SECONDS, TC_TICKS: the time in 90 kHz ticks.
 */
struct tc_spec {
	enum tc_form form;
	bool drop;
	struct vcache_timecode tc;
	uint64_t pts;
};

/*
 * Parses @s. Returns 0, -EINVAL (not in the grammar) or -ERANGE (a frame
 * field above 255, the most the ioctl carries, or a time past 2^64 ticks);
 * @out is left alone on failure.
 */
int tc_parse(const char *s, struct tc_spec *out);

/*
 * Fills a VCACHE_IOC_LOOKUP request for @spec on a video at @num/@den fps.
 * A label keeps its own style; the answer to a time comes as a drop-frame
 * label where the rate has them (29.97, 59.94), since those follow the
 * wall clock that the seconds were counted in.
 */
void tc_lookup_init(struct vcache_lookup *req, const struct tc_spec *spec,
		    uint32_t num, uint32_t den);

/*
 * Why LOOKUP fails with EINVAL for @spec at @num/@den fps, in a few words
 * ("ff must be below 25"), or NULL if it should not.
 */
const char *tc_invalid_reason(const struct tc_spec *spec, uint32_t num, uint32_t den,
			      char *buf, size_t size);

/* "01:02:03:04", or "01:02:03;04" if @drop; like snprintf(). */
size_t tc_format(char *buf, size_t size, const struct vcache_timecode *tc, bool drop);

/*
 * The label of frame @frame at @num/@den fps, drop-frame if @drop and the
 * rate has it; "-" if the hours do not fit. Like snprintf().
 */
size_t tc_format_frame(char *buf, size_t size, uint64_t frame, uint32_t num,
		       uint32_t den, bool drop);

/* The label of the frame showing at @pts (ticks), as tc_format_frame(). */
size_t tc_format_pts(char *buf, size_t size, uint64_t pts, uint32_t num,
		     uint32_t den, bool drop);

/* 90 kHz ticks as seconds to the millisecond, rounded down: "58.026". */
size_t tc_format_seconds(char *buf, size_t size, uint64_t pts);

#endif /* VCACHECTL_TCPARSE_H */
