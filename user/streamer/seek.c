// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers.
 *
 * ?t= on a video or a live stream, answered by the
 * kernel's keyframe index (VCACHE_IOC_LOOKUP) with what "vcachectl seek"
 * would answer, since both fill the request with user/lib/tcparse.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include "streamer.h"
#include "tcparse.h"

int stream_lookup(int fd, const struct vcache_info *in, const struct http_query *q,
		  struct vcache_lookup *lk, char *why, size_t size)
{
	const char *reason;
	char buf[96];

	tc_lookup_init(lk, &q->t, in->fps_num, in->fps_den);
	if (!ioctl(fd, VCACHE_IOC_LOOKUP, lk))
		return 0;
	if (errno != EINVAL)
		return errno;
	reason = tc_invalid_reason(&q->t, in->fps_num, in->fps_den, buf, sizeof(buf));
	snprintf(why, size, "timecode %s does not exist at %" PRIu32 "/%" PRIu32
		 " frames a second%s%s", q->t_text, in->fps_num, in->fps_den,
		 reason ? ": " : "", reason ? reason : "");
	return EINVAL;
}

size_t stream_lookup_headers(char *buf, size_t size, const struct vcache_lookup *lk)
{
	char tc[32];

	tc_format(tc, sizeof(tc), &lk->key_tc, lk->flags & VCACHE_LOOKUP_DROP_FRAME);
	return snprintf(buf, size, "X-Vcache-Timecode: %s\r\nX-Vcache-Frame: %" PRIu64 "\r\n",
			tc, (uint64_t)lk->key_frame);
}
