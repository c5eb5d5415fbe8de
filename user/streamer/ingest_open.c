// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the live handlers (live.h). The start of
 * a live stream's writer, on a job thread: CREATE allocates the whole
 * ring, which the worker's loop has no time for. It touches only its
 * struct ingest_open, never the connection; live_ingest.c takes over what
 * it made once the job is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "live.h"
#include "parse.h"
#include "tsindex.h"

/* "fps=30000/1001" in the query, percent-encoding not needed for it. */
int ingest_query_fps(struct http_span q, uint32_t *num, uint32_t *den)
{
	size_t i = 0;

	while (i < q.len) {
		size_t end = i;
		char v[32];

		while (end < q.len && q.p[end] != '&')
			end++;
		if (end - i > 4 && !memcmp(q.p + i, "fps=", 4)) {
			if (end - i - 4 >= sizeof(v))
				return -1;
			memcpy(v, q.p + i + 4, end - i - 4);
			v[end - i - 4] = '\0';
			return parse_fps(v, num, den) ? -1 : 1;
		}
		i = end + 1;
	}
	return 0;
}

/* The name's current owner, for a CREATE that found it taken: 409 or retry. */
static int taken_by(int wfd, const char *name, char *why, size_t size)
{
	struct vcache_open op;
	struct vcache_info in;
	struct vcache_delete del;
	int fd = open(cfg.device, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	memset(&op, 0, sizeof(op));
	snprintf(op.name, sizeof(op.name), "%s", name);
	if (ioctl(fd, VCACHE_IOC_OPEN, &op) || ioctl(fd, VCACHE_IOC_INFO, &in)) {
		err = errno == ENOENT ? 0 : -errno;	/* gone meanwhile: retry */
		close(fd);
		return err;
	}
	close(fd);
	if (in.state == VCACHE_STATE_ENDED) {
		/* An ended stream is replaced; its viewers keep the old one. */
		memset(&del, 0, sizeof(del));
		memcpy(del.name, op.name, sizeof(del.name));
		if (ioctl(wfd, VCACHE_IOC_DELETE, &del) && errno != ENOENT)
			return -errno;
		return 0;
	}
	snprintf(why, size, in.state == VCACHE_STATE_LIVE ?
		 "live stream is being written by another client (one writer at a time)" :
		 "is a video on demand, not a live stream");
	return 1;
}

/* A failure of ingest_open(), for the worker to answer with. */
static int open_fail(struct ingest_open *o, int status, const char *fmt, const char *arg)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];

	o->fail_status = status;
	snprintf(o->fail_msg, sizeof(o->fail_msg), fmt,
		 shown(o->name, shown_name, sizeof(shown_name)), arg);
	return -1;
}

static int ingest_open(struct ingest_open *o)
{
	struct vcache_create cr;
	struct vcache_info in;
	char why[128];
	int tries, err;

	o->r.fd = open(cfg.device, O_RDWR | O_CLOEXEC);
	if (o->r.fd < 0)
		return open_fail(o, 503, "cannot open the device for %s: %s", strerror(errno));
	err = rings_claim(o->r.fd, o->name, cfg.live_capacity);
	if (err < 0) {
		atomic_fetch_add(&live_count.refused_limit, err != -EEXIST);
		snprintf(why, sizeof(why), "%u", cfg.live_max_streams);
		if (err == -EEXIST)
			return open_fail(o, 409, "\"%s\" %s", "live stream is being written by "
					 "another client (one writer at a time)");
		if (err == -EBUSY)
			return open_fail(o, 503, "cannot start \"%s\": %s live streams are "
					 "being written (--live-max-streams)", why);
		if (err == -ENOSPC)
			return open_fail(o, 507, "cannot start \"%s\": %s", "the live rings "
					 "being written fill --live-budget");
		return open_fail(o, 503, "cannot start \"%s\": %s", strerror(-err));
	}
	o->slot = err;
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.name, sizeof(cr.name), "%s", o->name);
	cr.capacity = cfg.live_capacity;
	cr.fps_num = o->fps_num;
	cr.fps_den = o->fps_den;
	cr.flags = VCACHE_CREATE_LIVE;
	for (tries = 0;; tries++) {
		if (!ioctl(o->r.fd, VCACHE_IOC_CREATE, &cr))
			break;
		err = errno;
		if (err == EEXIST && tries < 2) {
			err = taken_by(o->r.fd, o->name, why, sizeof(why));
			if (!err)
				continue;
			if (err > 0) {
				rings_release(o->slot);
				o->slot = -1;
				return open_fail(o, 409, "\"%s\" %s", why);
			}
			err = -err;
		}
		rings_release(o->slot);
		o->slot = -1;
		return open_fail(o, err == EFBIG || err == ENOSPC || err == ENOMEM ? 507 : 503,
				 "cannot create live stream \"%s\": %s", strerror(err));
	}
	if (!ioctl(o->r.fd, VCACHE_IOC_INFO, &in))
		rings_created(o->slot, in.id);
	if (live_ring_map(&o->r, true))
		goto map_fail;
	o->ix = malloc(sizeof(*o->ix));
	if (!o->ix) {
		errno = ENOMEM;
		goto map_fail;
	}
	tsindex_init(o->ix);
	return 0;
map_fail:
	return open_fail(o, 503, "cannot map live stream \"%s\": %s", strerror(errno));
}

void ingest_open_run(struct job *j)
{
	struct ingest_open *o = (struct ingest_open *)j;

	o->r.ps = sysconf(_SC_PAGESIZE);
	ingest_open(o);
}
