// SPDX-License-Identifier: GPL-2.0
/*
 * Indexing a video as it is loaded; see vindex.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vindex.h"

/*
 * As load and cat do, map a window at a time rather than the whole video:
 * mapped pages count in our RSS until unmapped. A multiple of the page
 * size; the unit test makes it small to cross many windows.
 */
#ifndef VINDEX_WINDOW
#define VINDEX_WINDOW	(8u << 20)
#endif

int vindex_probe(struct tsindex *ix, const void *buf, size_t len)
{
	int err;

	tsindex_init(ix);
	err = tsindex_feed(ix, buf, len);
	if (!err)
		err = tsindex_finish(ix);
	/* No video stream is an answer here, not a failure. */
	return err == -EINVAL ? 0 : err;
}

int vindex_scan(struct tsindex *ix, int vfd, uint64_t size,
		const volatile sig_atomic_t *stop)
{
	uint64_t off = 0, ps = sysconf(_SC_PAGESIZE);
	int err = 0;

	tsindex_init(ix);
	while (off < size && !err) {
		uint64_t span = size - off < VINDEX_WINDOW ? size - off : VINDEX_WINDOW;
		void *map;

		if (stop && *stop)
			return -EINTR;
		/* off stays page-aligned: every window but the last is whole. */
		map = mmap(NULL, (span + ps - 1) & ~(ps - 1), PROT_READ, MAP_SHARED, vfd, off);
		if (map == MAP_FAILED)
			return -errno;
		err = tsindex_feed(ix, map, span);
		munmap(map, (span + ps - 1) & ~(ps - 1));
		off += span;
	}
	if (!err)
		err = tsindex_finish(ix);
	return err == -EINVAL ? 0 : err;
}

void vindex_convert(struct vcache_index_entry *out, const struct tsindex_entry *in,
		    size_t n, uint64_t *last_key, struct vindex_sent *sent)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool key = in[i].flags & TSINDEX_KEY;

		if (key && *last_key != UINT64_MAX && in[i].offset < *last_key) {
			key = false;
			sent->demoted++;
		}
		if (key) {
			*last_key = in[i].offset;
			sent->keys++;
		}
		out[i] = (struct vcache_index_entry){
			.pts = in[i].pts,
			.offset = in[i].offset,
			.flags = key ? VCACHE_INDEX_KEY : 0,
		};
	}
	sent->entries += n;
}

int vindex_append(int vfd, const struct tsindex *ix, struct vindex_sent *sent)
{
	size_t total = ix->count, done = 0, batch;
	struct vcache_index_entry *buf;
	uint64_t last_key = UINT64_MAX;
	int err = 0;

	memset(sent, 0, sizeof(*sent));
	if (total > VCACHE_INDEX_MAX) {
		sent->left_out = total - VCACHE_INDEX_MAX;
		total = VCACHE_INDEX_MAX;
	}
	batch = total < VCACHE_INDEX_BATCH_MAX ? total : VCACHE_INDEX_BATCH_MAX;
	if (!batch)
		return 0;
	buf = malloc(batch * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	while (done < total) {
		size_t n = total - done < batch ? total - done : batch;
		struct vcache_index_append req;

		vindex_convert(buf, ix->entries + done, n, &last_key, sent);
		memset(&req, 0, sizeof(req));
		req.entries = (uintptr_t)buf;
		req.count = n;
		if (ioctl(vfd, VCACHE_IOC_INDEX_APPEND, &req)) {
			err = -errno;
			break;
		}
		done += n;
	}
	free(buf);
	return err;
}

size_t vindex_damage(char *buf, size_t size, const struct tsindex_stats *st)
{
	static const struct {
		size_t off;
		const char *one, *many;
	} what[] = {
#define D(f, one, many) { offsetof(struct tsindex_stats, f), one, many }
		D(bytes_skipped, "byte skipped", "bytes skipped"),
		D(sync_losses, "sync loss", "sync losses"),
		D(bad_packets, "bad packet", "bad packets"),
		D(cc_errors, "continuity error", "continuity errors"),
		D(psi_errors, "bad PAT/PMT section", "bad PAT/PMT sections"),
		D(pes_errors, "bad PES header", "bad PES headers"),
		D(no_pts, "frame without PTS", "frames without PTS"),
#undef D
	};
	size_t len = 0, i;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)st + what[i].off, sizeof(v));
		if (!v)
			continue;
		len += snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
				"%s%" PRIu64 " %s", len ? ", " : "", v,
				v == 1 ? what[i].one : what[i].many);
	}
	return len;
}
