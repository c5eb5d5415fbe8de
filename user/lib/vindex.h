/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The keyframe index of a video that "vcachectl load" brings in: the frame
 * rate guessed from the first bytes before the video is created, then the
 * whole video indexed by user/lib/tsindex.c from its own pages in the cache
 * (a read-only mapping, so the file is read once) and handed to the kernel
 * with VCACHE_IOC_INDEX_APPEND before the seal.
 *
 * Errors, as everywhere in user/lib/: 0 on success, a negative errno on
 * failure.
 */
#ifndef VCACHECTL_VINDEX_H
#define VCACHECTL_VINDEX_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vcache.h>
#include "tsindex.h"

/*
 * Bytes looked at to choose the frame rate before CREATE. An H.264 SPS is
 * in the first packets; a rate from PTS steps wants a few dozen frames,
 * which even a 20 Mbit/s stream has in 4 MiB.
 */
#define VINDEX_PROBE		(4u << 20)

/*
 * Indexes @len bytes of the start of a stream into @ix (tsindex_init()ed
 * here; tsindex_free() it). Returns 0, or -ENOMEM. @ix->stream_type is 0 if
 * no video stream turned up, @ix->fps_source TSINDEX_FPS_NONE if its rate
 * did not.
 */
int vindex_probe(struct tsindex *ix, const void *buf, size_t len);

/*
 * Indexes bytes [0, @size) of the video bound to @vfd, mapping them
 * read-only a window at a time. Stops with -EINTR once *@stop is set.
 * Returns 0 (with or without a video stream, as above), -ENOMEM, or the
 * errno of a failed mmap(2) as a negative number.
 */
int vindex_scan(struct tsindex *ix, int vfd, uint64_t size,
		const volatile sig_atomic_t *stop);

/**
 * struct vindex_sent - what vindex_append() gave the kernel
 * @entries:  index entries appended.
 * @keys:     of which keyframes.
 * @demoted:  keyframes sent as plain frames because their data lies before
 *            an earlier-shown keyframe's (PTS jumping back, as in two
 *            streams spliced together): the kernel wants keyframe offsets
 *            in time order, and a seek there would play the wrong part.
 * @left_out: frames past VCACHE_INDEX_MAX, not sent.
 */
struct vindex_sent {
	uint64_t entries;
	uint64_t keys;
	uint64_t demoted;
	uint64_t left_out;
};

/*
 * Appends @ix's entries to the index of the video bound to @vfd, in
 * batches of at most VCACHE_INDEX_BATCH_MAX. Returns 0, or the negative
 * errno of the ioctl that failed (the index then holds the batches before).
 */
int vindex_append(int vfd, const struct tsindex *ix, struct vindex_sent *sent);

/*
 * Converts up to @n entries from @in (sorted by pts) to @out. *@last_key is
 * the offset of the last keyframe sent so far, UINT64_MAX before the
 * first; keyframes below it are demoted and counted in @sent.
 */
void vindex_convert(struct vcache_index_entry *out, const struct tsindex_entry *in,
		    size_t n, uint64_t *last_key, struct vindex_sent *sent);

/*
 * The damage the indexer saw, for one line: "1880 bytes skipped, 2 sync
 * losses, 1 bad PES header". Empty if none. Like snprintf().
 */
size_t vindex_damage(char *buf, size_t size, const struct tsindex_stats *st);

#endif /* VCACHECTL_VINDEX_H */
