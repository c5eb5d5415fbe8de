// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD /origin/,
 * the --origin counters (origin.h) as JSON:
 *   hits          requests that found the video sealed in the cache
 *   misses        requests that found it in neither and in the origin
 *   fills         fills started (CREATEs that won)
 *   coalesced     requests served from a fill under way (ours or another's)
 *   fill_errors   fills that failed (the video deleted again)
 *   origin_bytes  bytes read from the origin into the cache
 *   refused       names the origin would not serve (403)
 *   revalidated   --origin-ttl checks of a cached video's origin file
 *   stale         of those, files found changed (deleted, filled again)
 *   bypassed      responses sent from the origin file, not cached (too big)
 */
#include <inttypes.h>
#include <stdio.h>
#include "handler.h"
#include "streamer.h"

#define N(name)		((uint64_t)atomic_load(&origin_count.name))

void origin_stats_respond(struct worker *w, struct conn *c, const char *name)
{
	c->out_len = 0;
	out_printf(c, "{\"origins\": %u, \"hits\": %" PRIu64 ", \"misses\": %" PRIu64
		   ", \"fills\": %" PRIu64 ", \"coalesced\": %" PRIu64 ", \"fill_errors\": %"
		   PRIu64 ", \"origin_bytes\": %" PRIu64 ", \"refused\": %" PRIu64
		   ", \"revalidated\": %" PRIu64 ", \"stale\": %" PRIu64 ", \"bypassed\": %"
		   PRIu64 "}\n", cfg.norigins, N(hits), N(misses), N(fills), N(coalesced),
		   N(fill_errors), N(origin_bytes), N(refused), N(revalidated), N(stale),
		   N(bypassed));
	plan_json(w, c, 200);
}
