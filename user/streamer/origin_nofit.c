// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, below the handlers: the names whose fill ran out of the
 * cache's memory (origin.h). The table is pure (the caller gives the time
 * and holds the lock), for host tests; origin.c keeps one for the process.
 */
#include <string.h>
#include "origin.h"

void nofit_add(struct nofit_table *t, const char *name, uint64_t now_ns, uint64_t ttl_ns)
{
	struct nofit *e = NULL, *x;
	unsigned int i;

	/* The name's own slot; else a free or expired one; else the one expiring first. */
	for (i = 0; i < NOFIT_MAX; i++) {
		x = &t->e[i];
		if (x->name[0] && !strncmp(x->name, name, sizeof(x->name))) {
			e = x;
			break;
		}
	}
	for (i = 0; !e && i < NOFIT_MAX; i++) {
		x = &t->e[i];
		if (!x->name[0] || x->until_ns <= now_ns)
			e = x;
	}
	if (!e) {
		e = &t->e[0];
		for (i = 1; i < NOFIT_MAX; i++)
			if (t->e[i].until_ns < e->until_ns)
				e = &t->e[i];
	}
	memset(e->name, 0, sizeof(e->name));
	strncpy(e->name, name, sizeof(e->name) - 1);
	e->until_ns = now_ns + ttl_ns;
}

bool nofit_has(struct nofit_table *t, const char *name, uint64_t now_ns)
{
	unsigned int i;

	for (i = 0; i < NOFIT_MAX; i++) {
		struct nofit *x = &t->e[i];

		if (!x->name[0] || strncmp(x->name, name, sizeof(x->name)))
			continue;
		if (x->until_ns > now_ns)
			return true;
		x->name[0] = '\0';	/* expired: the next request fills it again */
		return false;
	}
	return false;
}
