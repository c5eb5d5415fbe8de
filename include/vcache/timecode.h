/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMPTE timecode arithmetic, shared by the module (LOOKUP) and the tools.
 * Integer only; unit-tested on the host (user/tests/timecode_test.c).
 *
 * A frame rate is the rational num/den. Timecode labels count frames at the
 * nominal rate, the rate rounded up (30 for 30000/1001). Drop-frame labels
 * (SMPTE ST 12-1, "Time and Control Code") exist only at 30000/1001 and
 * 60000/1001: they skip labels 0-1 (0-3 at 59.94) at second 0 of every
 * minute not divisible by ten, so that labels keep up with the wall clock.
 * Why those: an hour of 30000/1001 fps is 107892 frames, 108 fewer than the
 * 108000 labels of 30 a second; skipping 2 labels in each of the 54 minutes
 * that are not tens leaves out exactly those 108 (4 x 54 = 216 at 59.94).
 *
 * Times are in 90 kHz ticks: the unit of MPEG presentation time stamps
 * (ISO/IEC 13818-1, PES packet semantics: a PTS counts the 27 MHz system
 * clock divided by 300, in 33 bits).
 */
#ifndef _VCACHE_TIMECODE_H
#define _VCACHE_TIMECODE_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/math64.h>
#define vcache_div64(a, b)	div64_u64((a), (b))
#else
#include <errno.h>
#define vcache_div64(a, b)	((__u64)(a) / (__u64)(b))
#endif

#define VCACHE_PTS_HZ		90000ULL

struct vcache_tc {
	__u32 hh, mm, ss, ff;
};

/* The rate in timecode labels: num/den rounded up. */
static inline __u32 vcache_tc_fps(__u32 num, __u32 den)
{
	return (__u32)(((__u64)num + den - 1) / den);
}

/* Labels dropped per minute in drop-frame timecode, 0 where there is none. */
static inline __u32 vcache_tc_drop(__u32 num, __u32 den)
{
	if (den == 1001 && num == 30000)
		return 2;
	if (den == 1001 && num == 60000)
		return 4;
	return 0;
}

/*
 * Frame number of a timecode label. @drop is vcache_tc_drop() for a
 * drop-frame label, 0 for a non-drop one. Returns 0, or -EINVAL for a field
 * out of range (hh >= 24, mm or ss >= 60, ff >= fps) or a label that
 * drop-frame timecode skips.
 */
static inline int vcache_tc_to_frame(const struct vcache_tc *tc, __u32 fps,
				     __u32 drop, __u64 *frame)
{
	__u64 tm;

	if (!fps || tc->hh >= 24 || tc->mm >= 60 || tc->ss >= 60 || tc->ff >= fps)
		return -EINVAL;
	if (drop && tc->ss == 0 && tc->ff < drop && tc->mm % 10)
		return -EINVAL;
	tm = 60ULL * tc->hh + tc->mm;
	*frame = ((__u64)tc->hh * 3600 + tc->mm * 60 + tc->ss) * fps + tc->ff -
		 drop * (tm - tm / 10);
	return 0;
}

/*
 * The label of frame @frame; hours count on past 23 rather than wrap (a
 * video longer than a day keeps distinct labels). Returns 0, or -ERANGE if
 * the hours do not fit in 0..255.
 */
static inline int vcache_frame_to_tc(__u64 frame, __u32 fps, __u32 drop,
				     struct vcache_tc *tc)
{
	__u64 n = frame, hh;

	if (!fps)
		return -EINVAL;
	if (drop) {
		/* Frames in ten minutes, and in each minute after the first. */
		__u64 f10 = 600ULL * fps - 9ULL * drop;
		__u64 f1 = 60ULL * fps - drop;
		__u64 d = vcache_div64(n, f10), m = n - d * f10;

		n += 9 * drop * d;
		if (m >= drop)
			n += drop * vcache_div64(m - drop, f1);
	}
	hh = vcache_div64(n, 3600ULL * fps);
	if (hh > 255)
		return -ERANGE;
	n -= hh * 3600 * fps;
	tc->hh = (__u32)hh;
	tc->mm = (__u32)vcache_div64(n, 60ULL * fps);
	n -= (__u64)tc->mm * 60 * fps;
	tc->ss = (__u32)vcache_div64(n, fps);
	tc->ff = (__u32)(n - (__u64)tc->ss * fps);
	return 0;
}

/*
 * Presentation time where frame @frame starts, in ticks, rounded down. The
 * rate's num and den are at most 10^6 (checked at creation), so nothing
 * here overflows for frames below 2^40.
 */
static inline __u64 vcache_frame_to_pts(__u64 frame, __u32 num, __u32 den)
{
	return vcache_div64(frame * VCACHE_PTS_HZ * den, num);
}

/* The frame showing at time @pts: the one whose start is nearest. */
static inline __u64 vcache_pts_to_frame(__u64 pts, __u32 num, __u32 den)
{
	return vcache_div64(pts * num + VCACHE_PTS_HZ / 2 * den,
			    VCACHE_PTS_HZ * den);
}

/*
 * First time that belongs to frame @frame + 1 under nearest-start rounding:
 * a stamp below it shows frame @frame or earlier. Muxers round stamps to
 * whole ticks, so comparing against this rather than the exact start keeps
 * a keyframe stamped a tick late from being missed.
 */
static inline __u64 vcache_frame_end_pts(__u64 frame, __u32 num, __u32 den)
{
	__u64 twice = (2 * frame + 1) * VCACHE_PTS_HZ * den;

	return vcache_div64(twice + 2ULL * num - 1, 2ULL * num);
}

#endif /* _VCACHE_TIMECODE_H */
