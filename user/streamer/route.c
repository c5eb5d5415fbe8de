// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the router (route.h). From a parsed request to
 * the handler of the first matching route; below the handlers, above the
 * plan. It calls no handler by name: the table says which.
 */
#include <string.h>
#include <vcache/name.h>
#include "route.h"
#include "streamer.h"

static bool route_matches(const struct route *rt, const struct http_request *req,
			  char *name, size_t size)
{
	size_t plen = strlen(rt->prefix);

	if (!(rt->methods & ROUTE_METHOD(req->method)))
		return false;
	if (req->path.len < plen || memcmp(req->path.p, rt->prefix, plen))
		return false;
	switch (rt->match) {
	case ROUTE_EXACT:
		return req->path.len == plen;
	case ROUTE_NAME:
		return req->path.len > plen &&
		       http_decode_name((struct http_span){ req->path.p + plen,
							    req->path.len - plen }, name, size) &&
		       vcache_name_check(name, size);
	default:
		return true;
	}
}

void route_request(struct worker *w, struct conn *c, const struct route *table, size_t n)
{
	const struct http_request *req = &c->req;
	char name[VCACHE_NAME_MAX];
	size_t i;

	resp_init(c);
	/* A body we do not read would be taken for the next request. */
	c->close_after = !req->keep_alive || (req->has_length && req->length) || req->chunked;
	for (i = 0; i < n; i++) {
		if (route_matches(&table[i], req, name, sizeof(name))) {
			table[i].handler(w, c, table[i].match == ROUTE_NAME ? name : NULL);
			break;
		}
	}
	/* Refused: the response is plain text, and nothing of the handler's stays open. */
	if (c->r.status >= 300)
		plan_drop_ext(w, c);
}
