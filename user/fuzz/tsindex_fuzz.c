// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for user/lib/tsindex.c: make fuzz-tsindex. Besides what the
 * sanitizers catch, it holds the indexer to its promises: the same index
 * whatever the chunking, entries sorted and pointing at whole packets
 * inside the input, the first one the keyframe that pts count from, and
 * every input byte either in a packet or counted as skipped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tsindex.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Feeds @data in pseudo-random pieces drawn from @seed (0: all at once). */
static int run(struct tsindex *ix, const uint8_t *data, size_t size,
	       uint32_t seed)
{
	size_t at = 0;
	int err;

	tsindex_init(ix);
	while (at < size) {
		size_t k = size - at;

		if (seed) {
			seed = seed * 1103515245 + 12345;
			/* mostly small pieces, sometimes big ones */
			k = seed >> 28 ? 1 + (seed >> 8) % 400 : 1 + (seed >> 8) % 20000;
			if (k > size - at)
				k = size - at;
		}
		err = tsindex_feed(ix, data + at, k);
		if (err)
			return err;
		at += k;
	}
	return tsindex_finish(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tsindex a, b;	/* 10 KB each: not on the stack */
	uint32_t seed = 2166136261u;
	int ra, rb;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	ra = run(&a, data, size, 0);
	rb = run(&b, data, size, seed | 1);

	CHECK(ra == 0 || ra == -EINVAL);
	CHECK(ra == rb);
	CHECK(a.count == b.count);
	CHECK(!a.count || !memcmp(a.entries, b.entries,
				  a.count * sizeof(*a.entries)));
	CHECK(!memcmp(&a.stats, &b.stats, sizeof(a.stats)));
	CHECK(a.fps_num == b.fps_num && a.fps_den == b.fps_den &&
	      a.fps_source == b.fps_source);

	CHECK(a.stats.packets * TSINDEX_PACKET + a.stats.bytes_skipped == size);
	CHECK(a.count == a.stats.frames);
	CHECK(a.stats.keyframes <= a.stats.frames);
	CHECK(ra == 0 || a.count == 0);
	if (a.count) {
		CHECK(a.entries[0].pts == 0);
		CHECK(a.entries[0].flags & TSINDEX_KEY);
	}
	for (size_t i = 0; i < a.count; i++) {
		CHECK(a.entries[i].offset + TSINDEX_PACKET <= size);
		CHECK(!(a.entries[i].flags & ~(TSINDEX_KEY | TSINDEX_RAI)));
		CHECK(a.entries[i].offset >= a.entries[0].offset);
		if (i)
			CHECK(a.entries[i - 1].pts < a.entries[i].pts ||
			      (a.entries[i - 1].pts == a.entries[i].pts &&
			       a.entries[i - 1].offset < a.entries[i].offset));
	}
	if (a.fps_source != TSINDEX_FPS_NONE)
		CHECK(a.fps_num && a.fps_den && a.fps_num >= a.fps_den &&
		      a.fps_num <= 1000ULL * a.fps_den);

	tsindex_free(&a);
	tsindex_free(&b);
	return 0;
}
