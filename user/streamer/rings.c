// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers.
 *
 * The live rings this server created, for the limits of
 * --live-max-streams (streams being written at once) and --live-budget
 * (bytes of rings, written or ended, the server keeps in the cache).
 *
 * A live stream keeps its ring in the cache after it ends: late viewers get
 * its last bytes and ?t= still finds its keyframes. Left alone, ended rings
 * are the newest entries of the kernel's LRU, so every new one would push
 * out the oldest videos on demand, and a client that PUTs empty streams in
 * a loop would empty the VOD catalogue. So the server counts its rings and,
 * when a new stream would pass the budget, deletes its own ended streams,
 * oldest first; if that is not enough (every ring is being written) the
 * PUT gets a 503 and nothing is allocated. Live rings thus take at most
 * --live-budget of the cache, and VOD videos are only evicted by the
 * kernel's limit if VOD alone needs more than the rest.
 *
 * The table is shared by the workers under one mutex: it is touched once
 * when a stream starts and once when it ends, never per byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "streamer.h"

enum ring_state {
	RING_FREE,
	RING_CLAIMED,		/* being created, or written */
	RING_ENDED,
};

struct ring {
	enum ring_state state;
	char name[VCACHE_NAME_MAX];
	uint64_t capacity;
	uint64_t id;		/* the kernel's, once created; 0 before */
	uint64_t ended_seq;	/* the order streams ended in */
};

static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ring *rings;
static unsigned int nrings;
static uint64_t ended_seq;
static atomic_uint_fast64_t g_ring_deletes;

uint64_t rings_deleted(void)
{
	return atomic_load(&g_ring_deletes);
}

/*
 * Deletes the ended stream of @r if the name still holds it (the kernel
 * may have evicted it, or a client replaced it); the slot is free after.
 */
static void ring_delete(int wfd, struct ring *r)
{
	struct vcache_delete del;
	struct vcache_open op;
	struct vcache_info in;
	int fd = open(cfg.device, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		memset(&op, 0, sizeof(op));
		memcpy(op.name, r->name, sizeof(op.name));
		if (!ioctl(fd, VCACHE_IOC_OPEN, &op) && !ioctl(fd, VCACHE_IOC_INFO, &in) &&
		    in.id == r->id && in.state == VCACHE_STATE_ENDED) {
			memset(&del, 0, sizeof(del));
			memcpy(del.name, r->name, sizeof(del.name));
			if (!ioctl(wfd, VCACHE_IOC_DELETE, &del))
				atomic_fetch_add(&g_ring_deletes, 1);
		}
		close(fd);
	}
	r->state = RING_FREE;
}

int rings_claim(int wfd, const char *name, uint64_t capacity)
{
	uint64_t used = 0, writing = 0;
	unsigned int i, free_slot = nrings;
	int ret;

	pthread_mutex_lock(&rings_lock);
	for (i = 0; i < nrings; i++) {
		struct ring *r = &rings[i];

		if (r->state != RING_FREE && !strcmp(r->name, name)) {
			if (r->state == RING_CLAIMED) {
				ret = -EEXIST;
				goto out;
			}
			/* Replaced by this PUT: the old ring goes now. */
			ring_delete(wfd, r);
		}
		if (r->state == RING_FREE) {
			free_slot = free_slot < nrings ? free_slot : i;
			continue;
		}
		used += r->capacity;
		writing += r->state == RING_CLAIMED;
	}
	if (writing >= cfg.live_max_streams) {
		ret = -EBUSY;
		goto out;
	}
	/* Over the budget: the oldest ended streams make room. */
	while (used + capacity > cfg.live_budget) {
		struct ring *oldest = NULL;

		for (i = 0; i < nrings; i++)
			if (rings[i].state == RING_ENDED &&
			    (!oldest || rings[i].ended_seq < oldest->ended_seq))
				oldest = &rings[i];
		if (!oldest) {
			ret = -ENOSPC;
			goto out;
		}
		used -= oldest->capacity;
		ring_delete(wfd, oldest);
		free_slot = free_slot < nrings ? free_slot : (unsigned int)(oldest - rings);
	}
	if (free_slot == nrings) {
		struct ring *more = realloc(rings, (nrings + 1) * sizeof(*more));

		if (!more) {
			ret = -ENOMEM;
			goto out;
		}
		rings = more;
		nrings++;
	}
	rings[free_slot] = (struct ring){ .state = RING_CLAIMED, .capacity = capacity };
	snprintf(rings[free_slot].name, sizeof(rings[free_slot].name), "%s", name);
	ret = free_slot;
out:
	pthread_mutex_unlock(&rings_lock);
	return ret;
}

void rings_created(int slot, uint64_t id)
{
	pthread_mutex_lock(&rings_lock);
	rings[slot].id = id;
	pthread_mutex_unlock(&rings_lock);
}

void rings_ended(int slot)
{
	pthread_mutex_lock(&rings_lock);
	rings[slot].state = RING_ENDED;
	rings[slot].ended_seq = ++ended_seq;
	pthread_mutex_unlock(&rings_lock);
}

void rings_release(int slot)
{
	pthread_mutex_lock(&rings_lock);
	rings[slot].state = RING_FREE;
	pthread_mutex_unlock(&rings_lock);
}
