/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer, layer: below the live handlers. What the two halves of
 * a live stream share (see "Live streams" in linux/vcache.h): the writer
 * (live_ingest.c, PUT|POST /live/NAME) and a viewer (live_view.c, GET|HEAD
 * /live/NAME) each map the stream's control page and its ring (twice, so
 * that a chunk never wraps) on a descriptor of their own; live_ring.c maps
 * them and lets them go, and keeps the counters GET /live/ shows
 * (live_stats.c).
 */
#ifndef VCACHE_STREAMER_LIVE_H
#define VCACHE_STREAMER_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vcache.h>
#include "streamer.h"

/* A stream's descriptor and mappings, the writer's or a viewer's. */
struct live_ring {
	int fd;				/* -1: none */
	size_t ps;
	const struct vcache_live_ctrl *ctrl;
	uint8_t *data;			/* the ring, twice */
	uint64_t ring, zone, window;
};

/* Counters of all workers: GET /live/ and the totals at exit. */
struct live_counters {
	atomic_uint_fast64_t rejoins, viewers, viewers_now, aside, torn_resets;
	atomic_uint_fast64_t ingests, ingest_bytes, copied, commits;
	atomic_uint_fast64_t refused_auth, refused_limit;
};

extern struct live_counters live_count;

/*
 * A live handler's state (@size bytes, zeroed) on @c, with its @ops. The
 * connection closes after the response either way: a live body has no end
 * to wait for, and a viewer's response ends with the stream. NULL after
 * a 503.
 */
void *live_new(struct worker *w, struct conn *c, size_t size, const struct conn_ext_ops *ops);

static inline uint64_t live_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The latest keyframe of @fd's stream, or its head without an index (yet). */
int live_latest(int fd, uint64_t *pos);

/*
 * live_range.c: a Range on GET /live/NAME against the stream as @in has
 * it. live_range_plan(): 0 no range to honour (follow the stream), 1 the
 * bytes [*@first, *@stop) to send, -1 refused (a 416 is planned).
 * live_range_head() plans the 206's head.
 */
int live_range_plan(struct worker *w, struct conn *c, const struct vcache_info *in,
		    uint64_t *first, uint64_t *stop);
void live_range_head(struct worker *w, struct conn *c, const struct vcache_info *in,
		     uint64_t first, uint64_t stop, const char *type);

/* Whether @c's client has gone: EOF or an error on its socket (what it sends is dropped). */
bool live_client_gone(struct conn *c);

/* Maps @r's control page and ring (@r->fd is open): 0, or -1 with errno. */
int live_ring_map(struct live_ring *r, bool writable);

/*
 * Hands @r (then empty, fd -1) to a job that unmaps it, SEALs it first if
 * @seal, closes it and gives rings.c's @slot back (-1: none): unmapping a
 * ring of --live-capacity zaps a page table entry per page, under the
 * process's mmap lock, which waits for every other thread's page faults;
 * SEAL refuses while a writable mapping exists. done() runs in the
 * worker's loop and frees the job (live_ring_done_free() if nothing
 * else); @c waits for it (NULL: nobody). Returns -1 if there was no
 * memory for the job: then it was all done here, and done() is not run.
 */
struct live_ring_drop {
	struct job job;
	struct live_ring r;
	int slot;
	bool seal;
	int seal_err;
	struct conn *c;
	char name[VCACHE_NAME_MAX];
};

int live_ring_drop(struct worker *w, struct live_ring *r, int slot, bool seal,
		   struct conn *c, const char *name, void (*done)(struct worker *w, struct job *j));
void live_ring_done_free(struct worker *w, struct job *j);

/*
 * ingest_open.c, on a job thread: creates the stream @name (ring of
 * --live-capacity, at @fps_num/@fps_den) and maps it writable. What it
 * made goes into @o (the worker takes it over in done()), or, on failure,
 * the status and message to answer with.
 */
struct ingest_open {
	struct job job;
	const char *name;
	uint32_t fps_num, fps_den;
	struct live_ring r;
	int slot;			/* in rings.c's table, or -1 */
	struct tsindex *ix;
	int fail_status;
	char fail_msg[4 * VCACHE_NAME_MAX + 320];
};

void ingest_open_run(struct job *j);
/* "fps=30000/1001" in @q: 1 and the rate, 0 without one, -1 if malformed. */
int ingest_query_fps(struct http_span q, uint32_t *num, uint32_t *den);

#endif /* VCACHE_STREAMER_LIVE_H */
