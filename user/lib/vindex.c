// SPDX-License-Identifier: GPL-2.0
/*
 * Indexing a video as it is loaded; see vindex.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "parse.h"
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

bool vindex_fps_ok(uint32_t num, uint32_t den)
{
	return num && den && num <= 1000000 && den <= 1000000 &&
	       num >= (uint64_t)den * FPS_MIN && num <= (uint64_t)den * FPS_MAX;
}

enum tsindex_fps_source vindex_rate(const struct tsindex *p, uint32_t *num, uint32_t *den)
{
	if (p && p->fps_source != TSINDEX_FPS_NONE && vindex_fps_ok(p->fps_num, p->fps_den)) {
		*num = p->fps_num;
		*den = p->fps_den;
		return p->fps_source;
	}
	*num = VINDEX_FPS_NUM;
	*den = VINDEX_FPS_DEN;
	return TSINDEX_FPS_NONE;
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

/* Makes room for @more entries after the @n in *@buf of *@cap. */
static int vindex_grow(struct vcache_index_entry **buf, size_t *cap, size_t n, size_t more)
{
	struct vcache_index_entry *p;
	/* A first allocation of just what is asked: all entries' exact count. */
	size_t want = *cap ? *cap : more > 64 ? more : 64;

	if (more <= *cap - n)
		return 0;
	if (more > SIZE_MAX / sizeof(*p) - n)
		return -ENOMEM;
	while (want < n + more)
		want = want > SIZE_MAX / sizeof(*p) / 2 ? n + more : 2 * want;
	p = realloc(*buf, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

/* One pass over [first, end) of the index as the first call sees it. */
static int vindex_read_pass(vindex_reader rd, void *ctx, uint32_t flags,
			    struct vindex_copy *out, size_t *cap)
{
	struct vcache_index_read req;
	uint64_t pos, stop;
	int err;

	memset(&req, 0, sizeof(req));
	req.flags = flags;
	err = rd(ctx, &req);		/* capacity 0: the bounds only */
	if (err)
		return err;
	out->first = pos = req.first;
	stop = req.end;
	while (pos < stop) {
		uint64_t left = stop - pos;
		size_t room;

		/* All entries: exactly what is left; keyframes: grow as they come. */
		err = vindex_grow(&out->entries, cap, out->count,
				  flags & VCACHE_INDEX_READ_KEYS ? 1 :
				  left > SIZE_MAX ? SIZE_MAX : (size_t)left);
		if (err)
			return err;
		room = *cap - out->count;
		memset(&req, 0, sizeof(req));
		req.position = pos;
		req.entries = (uintptr_t)(out->entries + out->count);
		req.capacity = room > UINT32_MAX ? UINT32_MAX : room;
		req.flags = flags;
		err = rd(ctx, &req);
		if (err)
			return err;
		if (req.first > pos)
			return -EAGAIN;		/* the window dropped what we had not read */
		if (req.count > req.capacity || req.next <= pos)
			return -EIO;		/* no progress: never loop for good */
		out->count += req.count;
		pos = req.next;
	}
	out->end = pos;
	return 0;
}

int vindex_read_from(vindex_reader rd, void *ctx, uint32_t flags,
		     struct vindex_copy *out)
{
	int tries, err = -EAGAIN;

	memset(out, 0, sizeof(*out));
	for (tries = 0; tries < VINDEX_READ_TRIES && err == -EAGAIN; tries++) {
		size_t cap = 0;

		free(out->entries);
		memset(out, 0, sizeof(*out));
		err = vindex_read_pass(rd, ctx, flags, out, &cap);
	}
	if (err) {
		free(out->entries);
		memset(out, 0, sizeof(*out));
	} else if (!out->count) {
		free(out->entries);
		out->entries = NULL;
	}
	return err;
}

static int vindex_ioctl_read(void *ctx, struct vcache_index_read *req)
{
	return ioctl(*(int *)ctx, VCACHE_IOC_INDEX_READ, req) ? -errno : 0;
}

int vindex_read_all(int vfd, uint32_t flags, struct vindex_copy *out)
{
	return vindex_read_from(vindex_ioctl_read, &vfd, flags, out);
}

int vindex_read_name(const char *dev, const char *name, uint32_t flags,
		     struct vindex_copy *out)
{
	struct vcache_open req;
	int fd, err;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	if (strlen(name) >= sizeof(req.name))
		return -EINVAL;
	strcpy(req.name, name);
	fd = open(dev ? dev : "/dev/vcache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, VCACHE_IOC_OPEN, &req) ? -errno : vindex_read_all(fd, flags, out);
	close(fd);
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
