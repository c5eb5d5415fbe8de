// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the route table, the one place that names the
 * handlers. Resources:
 *
 *   GET|HEAD /v/                 JSON list of the cache (list.c)
 *   GET|HEAD /v/NAME             a video on demand (vod.c)
 *   GET|HEAD /hls/NAME/F.m3u8    its HLS playlists, a live stream's
 *                                index.m3u8 too (hls_vod.c)
 *   GET|HEAD /live/              JSON: the live counters (live_stats.c)
 *   GET|HEAD /live/NAME          follow a live stream, or a Range of it
 *                                (live_view.c)
 *   PUT|POST /live/NAME          publish one (live_ingest.c)
 *   GET|HEAD /                   the player page (web.c, from --web DIR)
 *   GET|HEAD /web/FILE           the page's files: its script, hls.js (web.c)
 *   GET|HEAD /origin/            JSON: the --origin counters (origin_stats.c)
 *   GET|HEAD /health             200 or 503 for a load balancer (health.c)
 *
 * A new resource is a line here and a handler in a file of its own. The
 * first matching line answers, so the refusals come after the routes they
 * refuse for: 405 for a method a path does not take, 404 for the rest.
 */
#include "handler.h"
#include "route.h"
#include "streamer.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void live_read_only(struct worker *w, struct conn *c, const char *name)
{
	respond_text(w, c, 405, "Allow: GET, HEAD\r\n", "/live/ is read-only");
}

static void live_bad_method(struct worker *w, struct conn *c, const char *name)
{
	respond_text(w, c, 405, "Allow: GET, HEAD, PUT, POST\r\n",
		     "live streams take GET, HEAD, PUT and POST");
}

static void live_not_found(struct worker *w, struct conn *c, const char *name)
{
	respond_text(w, c, 404, NULL, "live streams are at /live/NAME");
}

static void get_head_only(struct worker *w, struct conn *c, const char *name)
{
	respond_text(w, c, 405, "Allow: GET, HEAD\r\n", "only GET and HEAD are served here");
}

static void not_found(struct worker *w, struct conn *c, const char *name)
{
	respond_text(w, c, 404, NULL, "videos are at /v/NAME, their list at /v/");
}

static const struct route routes[] = {
	{ "/live/",	ROUTE_EXACT,	M_GET | M_HEAD,		live_stats_respond },
	{ "/live/",	ROUTE_EXACT,	M_ANY,			live_read_only },
	{ "/live/",	ROUTE_NAME,	M_GET | M_HEAD,		live_view_respond },
	{ "/live/",	ROUTE_NAME,	M_PUT | M_POST,		live_ingest_respond },
	{ "/live/",	ROUTE_NAME,	M_ANY,			live_bad_method },
	{ "/live/",	ROUTE_PREFIX,	M_ANY,			live_not_found },
	{ "",		ROUTE_PREFIX,	~(M_GET | M_HEAD),	get_head_only },
	{ "/v/",	ROUTE_EXACT,	M_GET | M_HEAD,		list_respond },
	{ "/v/",	ROUTE_NAME,	M_GET | M_HEAD,		vod_respond },
	{ "/hls/",	ROUTE_PREFIX,	M_GET | M_HEAD,		hls_vod_respond },
	{ "/",		ROUTE_EXACT,	M_GET | M_HEAD,		web_index_respond },
	{ "/web/",	ROUTE_NAME,	M_GET | M_HEAD,		web_respond },
	{ "/web/",	ROUTE_PREFIX,	M_GET | M_HEAD,		web_respond },
	{ "/origin/",	ROUTE_EXACT,	M_GET | M_HEAD,		origin_stats_respond },
	{ "/health",	ROUTE_EXACT,	M_GET | M_HEAD,		health_respond },
	{ "",		ROUTE_PREFIX,	M_ANY,			not_found },
};

void handlers_respond(struct worker *w, struct conn *c)
{
	route_request(w, c, routes, ARRAY_SIZE(routes));
}
