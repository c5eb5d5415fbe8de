// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD /live/, the
 * live counters (live.h) as JSON; and the same at exit.
 */
#include <inttypes.h>
#include <stdio.h>
#include "handler.h"
#include "live.h"

/* A counter's value now. */
#define N(name)		((uint64_t)atomic_load(&live_count.name))

void live_stats_respond(struct worker *w, struct conn *c, const char *name)
{
	c->out_len = 0;
	out_printf(c, "{\"viewers\": %" PRIu64 ", \"viewers_now\": %" PRIu64 ", \"rejoins\": %"
		   PRIu64 ", \"aside\": %" PRIu64 ", \"torn_resets\": %" PRIu64
		   ", \"ingests\": %" PRIu64 ", \"ingest_bytes\": %" PRIu64
		   ", \"ingest_copied\": %" PRIu64 ", \"commits\": %" PRIu64
		   ", \"refused_auth\": %" PRIu64 ", \"refused_limit\": %" PRIu64
		   ", \"rings_deleted\": %" PRIu64 "}\n",
		   N(viewers), N(viewers_now), N(rejoins), N(aside), N(torn_resets), N(ingests),
		   N(ingest_bytes), N(copied), N(commits), N(refused_auth), N(refused_limit),
		   rings_deleted());
	plan_json(w, c, 200);
}

void live_totals(void)
{
	fprintf(stderr, PROG ": live: %" PRIu64 " ingests, %" PRIu64 " bytes in (%" PRIu64
		" not by recv into the ring), %" PRIu64 " commits; %" PRIu64 " viewers, %"
		PRIu64 " re-joined after falling behind, %" PRIu64 " bytes copied aside near "
		"the window's tail, %" PRIu64 " torn_resets; %" PRIu64 " ingests refused by "
		"--ingest-allow/--ingest-token-file, %" PRIu64 " by the limits, %" PRIu64
		" ended rings deleted for --live-budget\n", N(ingests), N(ingest_bytes), N(copied),
		N(commits), N(viewers), N(rejoins), N(aside), N(torn_resets), N(refused_auth),
		N(refused_limit), rings_deleted());
}
