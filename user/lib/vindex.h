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
#include <stdbool.h>
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
 * Whether @num / @den frames a second is a rate VCACHE_IOC_CREATE takes,
 * as vcache_fps_ok() in kmod/ioctl.c checks it (struct vcache_create in
 * include/uapi/linux/vcache.h): @num and @den from 1 to 1000000, the rate
 * from FPS_MIN to FPS_MAX (1 to 1000) frames a second. 0 in either is
 * refused.
 */
bool vindex_fps_ok(uint32_t num, uint32_t den);

/* The rate a video is created at when nothing tells it: 25 fps. */
#define VINDEX_FPS_NUM		25
#define VINDEX_FPS_DEN		1

/*
 * The rate to CREATE a video at when none is given (vcachectl load without
 * --fps, the streamer's origin fill): what vindex_probe() found in @p, its
 * SPS timing or PTS steps, if CREATE takes it; else VINDEX_FPS_NUM /
 * VINDEX_FPS_DEN. @p may be NULL (no probe, or it failed). Sets *@num and
 * *@den, and returns where they came from: TSINDEX_FPS_NONE for the
 * default. Both callers choosing alike is what makes a ?t= of a filled
 * video land where vcachectl seek of the loaded file does.
 */
enum tsindex_fps_source vindex_rate(const struct tsindex *p, uint32_t *num, uint32_t *den);

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
 * One VCACHE_IOC_INDEX_READ, as vindex_read_from() makes it: 0 or a
 * negative errno. vindex_read_all() passes the ioctl on a descriptor; the
 * unit test a stand-in for the kernel.
 */
typedef int (*vindex_reader)(void *ctx, struct vcache_index_read *req);

/**
 * struct vindex_copy - a video's index, read back
 * @entries: malloc'd array of @count entries (NULL when 0); free() it.
 * @count:   entries in it (keyframes only if asked).
 * @first:   absolute position of the first entry looked at: 0 for a VOD
 *           video, the oldest still held for a live stream.
 * @end:     position one past the last entry looked at.
 */
struct vindex_copy {
	struct vcache_index_entry *entries;
	size_t count;
	uint64_t first;
	uint64_t end;
};

/* Times vindex_read_from() starts over when a live window drops entries. */
#define VINDEX_READ_TRIES	8

/*
 * Reads the whole index of a video (its keyframes only with
 * VCACHE_INDEX_READ_KEYS in @flags) into @out, as it is when the call
 * starts: entries appended meanwhile may or may not be in it. Calls @rd
 * with @ctx as many times as it takes (the kernel copies a bounded batch a
 * call). If a live stream's window drops entries before they were read, it
 * starts over from the oldest still held, at most VINDEX_READ_TRIES times,
 * so that @out never has a hole. Returns 0, -ENODATA if the video has no
 * index, -EAGAIN if the window kept outrunning it, -ENOMEM, or the
 * reader's error; @out is then empty.
 */
int vindex_read_from(vindex_reader rd, void *ctx, uint32_t flags,
		     struct vindex_copy *out);

/* vindex_read_from() by VCACHE_IOC_INDEX_READ on @vfd, bound to a video. */
int vindex_read_all(int vfd, uint32_t flags, struct vindex_copy *out);

/*
 * vindex_read_all() of the video named @name, through a read-only
 * descriptor of @dev ("/dev/vcache" if NULL) opened for the call.
 * -ENOENT if no video has that name, or open(2)'s error.
 */
int vindex_read_name(const char *dev, const char *name, uint32_t flags,
		     struct vindex_copy *out);

/*
 * The damage the indexer saw, for one line: "1880 bytes skipped, 2 sync
 * losses, 1 bad PES header". Empty if none. Like snprintf().
 */
size_t vindex_damage(char *buf, size_t size, const struct tsindex_stats *st);

#endif /* VCACHECTL_VINDEX_H */
