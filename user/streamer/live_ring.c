// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the live handlers (live.h). A stream's
 * mappings, made and let go, for the writer and the viewers alike; and the
 * live counters.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "live.h"

struct live_counters live_count;

void *live_new(struct worker *w, struct conn *c, size_t size, const struct conn_ext_ops *ops)
{
	void *l = calloc(1, size);

	c->close_after = true;
	if (!l) {
		respond_text(w, c, 503, NULL, "out of memory");
		return NULL;
	}
	c->ext = l;
	c->ext_ops = ops;
	return l;
}

int live_ring_map(struct live_ring *r, bool writable)
{
	void *p = mmap(NULL, r->ps, PROT_READ, MAP_SHARED, r->fd, 0);

	if (p == MAP_FAILED)
		return -1;
	r->ctrl = p;
	r->ring = r->ctrl->ring_size;
	r->zone = r->ctrl->zone;
	r->window = r->ctrl->window;
	p = mmap(NULL, 2 * r->ring, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, r->fd,
		 (off_t)r->ps * VCACHE_LIVE_DATA_PGOFF);
	if (p == MAP_FAILED)
		return -1;
	r->data = p;
	return 0;
}

/* The latest keyframe, or the head if the stream has no index (yet). */
int live_latest(int fd, uint64_t *pos)
{
	struct vcache_lookup lk;
	struct vcache_info in;

	memset(&lk, 0, sizeof(lk));
	lk.mode = VCACHE_LOOKUP_LATEST;
	if (!ioctl(fd, VCACHE_IOC_LOOKUP, &lk)) {
		*pos = lk.key_offset;
		return 0;
	}
	if (errno != ENODATA && errno != ERANGE)
		return -1;
	if (ioctl(fd, VCACHE_IOC_INFO, &in))
		return -1;
	*pos = in.size;
	return 0;
}

bool live_client_gone(struct conn *c)
{
	char scratch[1024];
	int i;

	for (i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		return !(n < 0 && errno == EAGAIN);
	}
	return false;	/* it keeps sending: still there */
}

static void ring_drop_run(struct job *j)
{
	struct live_ring_drop *d = (struct live_ring_drop *)j;

	/* The ring's (writable) mapping first: SEAL refuses while it exists. */
	if (d->r.data)
		munmap(d->r.data, 2 * d->r.ring);
	if (d->seal && ioctl(d->r.fd, VCACHE_IOC_SEAL, 0))
		d->seal_err = errno;
	if (d->r.ctrl)
		munmap((void *)d->r.ctrl, d->r.ps);
	close(d->r.fd);
	if (d->slot >= 0)
		rings_ended(d->slot);
}

void live_ring_done_free(struct worker *w, struct job *j)
{
	(void)w;
	free(j);
}

int live_ring_drop(struct worker *w, struct live_ring *r, int slot, bool seal,
		   struct conn *c, const char *name, void (*done)(struct worker *w, struct job *j))
{
	struct live_ring_drop *d = calloc(1, sizeof(*d)), here;

	*(d ? d : &here) = (struct live_ring_drop) {
		.job = { .run = ring_drop_run, .done = done },
		.r = *r, .slot = slot, .seal = seal, .c = c,
	};
	r->data = NULL;
	r->ctrl = NULL;
	r->fd = -1;
	if (!d) {
		ring_drop_run(&here.job);	/* no memory for a job: here, only slower */
		return -1;
	}
	memcpy(d->name, name, sizeof(d->name));
	job_submit(w, &d->job);
	return 0;
}
