// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the bottom, with streamer.h (its types). The
 * configuration: its defaults here, set by main.c's options before any
 * thread starts, read-only after.
 */
#include "streamer.h"

struct config cfg = {
	.send = SEND_SPLICE,
	.device = DEFAULT_DEVICE,
	.max_header = 8192,
	.header_timeout_ms = 10000,
	.idle_timeout_ms = 60000,
	.send_timeout_ms = 30000,
	.drain_timeout_ms = 10000,
	.max_conns = 10000,
	.live_capacity = 64 << 20,
	.live_fps_num = 30000,
	.live_fps_den = 1001,
	.live_max_streams = 8,
	.origin_ttl_ms = 60000,
};
