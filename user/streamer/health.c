// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD /health,
 * for a load balancer's health check (HAProxy's option httpchk): 200 when
 * this node can serve, 503 when it cannot, with the device's numbers as
 * JSON either way:
 *   {"status": "ok", "node": "n1", "mem_used": ..., "mem_limit": ...,
 *    "videos": ..., "evictions": ...}
 *   {"status": "fail", "node": "n1", "why": "..."}
 *
 * "Can serve" is checked the way a request would: the device is opened
 * and asked for its numbers (VCACHE_IOC_STATS), which fails if the module
 * is gone or the node lost its /dev/vcache. Neither blocks: the open binds
 * nothing and STATS reads counters. That the loop answered at all says the
 * worker is not stuck. A load balancer that checks every second costs one
 * open, one ioctl and one close a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vcache.h>
#include "handler.h"
#include "streamer.h"

void health_respond(struct worker *w, struct conn *c, const char *name)
{
	struct vcache_stats st;
	const char *node = cfg.node_name ? cfg.node_name : "";
	int fd, err = 0;

	memset(&st, 0, sizeof(st));
	fd = open(cfg.device, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, VCACHE_IOC_STATS, &st))
		err = errno;
	if (fd >= 0)
		close(fd);

	c->out_len = 0;
	if (err) {
		out_printf(c, "{\"status\": \"fail\", \"node\": \"%s\", \"why\": \"the device: %s\"}\n",
			   node, strerror(err));
		plan_json(w, c, 503);
		return;
	}
	out_printf(c, "{\"status\": \"ok\", \"node\": \"%s\", \"mem_used\": %" PRIu64
		   ", \"mem_limit\": %" PRIu64 ", \"videos\": %" PRIu32 ", \"evictions\": %"
		   PRIu64 "}\n", node, (uint64_t)st.mem_used, (uint64_t)st.mem_limit,
		   (uint32_t)st.videos, (uint64_t)st.evictions);
	plan_json(w, c, 200);
}
