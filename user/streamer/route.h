/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer, layer: the router. A route table (handlers.c has the
 * streamer's) maps a method and a path to the handler that plans the
 * response; route.c walks it and knows no handler by name.
 */
#ifndef VCACHE_STREAMER_ROUTE_H
#define VCACHE_STREAMER_ROUTE_H

#include <stddef.h>
#include "http.h"

struct worker;
struct conn;

enum route_match {
	ROUTE_EXACT,	/* the path is the prefix */
	ROUTE_NAME,	/* the prefix, then a valid name (percent-decoded) */
	ROUTE_PREFIX,	/* anything that starts with the prefix */
};

#define ROUTE_METHOD(m)	(1u << (m))
#define M_GET		ROUTE_METHOD(HTTP_GET)
#define M_HEAD		ROUTE_METHOD(HTTP_HEAD)
#define M_PUT		ROUTE_METHOD(HTTP_PUT)
#define M_POST		ROUTE_METHOD(HTTP_POST)
#define M_ANY		(~0u)

/* A handler plans a response (plan.h); @name is ROUTE_NAME's, else NULL. */
typedef void route_fn(struct worker *w, struct conn *c, const char *name);

struct route {
	const char *prefix;
	enum route_match match;
	unsigned int methods;	/* M_* */
	route_fn *handler;
};

/*
 * The first route of @table that matches the request of @c plans its
 * response. A refused request (status 300 or more) keeps nothing of the
 * handler's state.
 */
void route_request(struct worker *w, struct conn *c, const struct route *table, size_t n);

#endif /* VCACHE_STREAMER_ROUTE_H */
