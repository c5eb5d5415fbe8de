/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer, layer: the handlers, each in a file of its own, each
 * planning a response (plan.h) for a route of handlers.c. None calls
 * another, nor anything above the plan.
 */
#ifndef VCACHE_STREAMER_HANDLER_H
#define VCACHE_STREAMER_HANDLER_H

struct worker;
struct conn;

/* handlers.c: the route table, for the connection layer (worker->respond). */
void handlers_respond(struct worker *w, struct conn *c);

/* vod.c: GET|HEAD /v/NAME */
void vod_respond(struct worker *w, struct conn *c, const char *name);
/* list.c: GET|HEAD /v/, the cache as JSON */
void list_respond(struct worker *w, struct conn *c, const char *name);
/* live_view.c: GET|HEAD /live/NAME, a viewer following the head */
void live_view_respond(struct worker *w, struct conn *c, const char *name);
/* live_ingest.c: PUT|POST /live/NAME, a live stream's writer */
void live_ingest_respond(struct worker *w, struct conn *c, const char *name);
/* hls_vod.c: GET|HEAD /hls/NAME/{master,index,iframes}.m3u8 */
void hls_vod_respond(struct worker *w, struct conn *c, const char *name);
/* live_stats.c: GET|HEAD /live/, the live counters as JSON */
void live_stats_respond(struct worker *w, struct conn *c, const char *name);
/* origin_stats.c: GET|HEAD /origin/, the --origin counters as JSON */
void origin_stats_respond(struct worker *w, struct conn *c, const char *name);
/* health.c: GET|HEAD /health, for a load balancer's checks */
void health_respond(struct worker *w, struct conn *c, const char *name);
/* web.c: GET|HEAD / (the player page) and /web/FILE, from --web DIR */
int web_load(const char *dir);
void web_respond(struct worker *w, struct conn *c, const char *name);
void web_index_respond(struct worker *w, struct conn *c, const char *name);

#endif /* VCACHE_STREAMER_HANDLER_H */
