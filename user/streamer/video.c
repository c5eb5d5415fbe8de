// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers.
 *
 * Each worker's table of videos it has open.
 *
 * A descriptor bound to a sealed video is kept across requests, and so is
 * the mapping the mmap path sends from, but only while it is used: see
 * VIDEO_IDLE_MS in streamer.h. Every request checks its entry with one
 * VCACHE_IOC_INFO, which is also how a loading video's growing size is
 * learnt: a name deleted (and perhaps created again) since the entry was
 * opened shows VCACHE_INFO_DELETED there, and the name is opened afresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "streamer.h"

static void video_free(struct worker *w, struct video *v)
{
	struct video **pp;

	for (pp = &w->videos; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	if (v->map)
		munmap((void *)v->map, v->map_len);
	close(v->fd);
	w->nvideos--;
	free(v);
}

/* Opens @name afresh: 0, or a positive errno. */
static int video_open(struct worker *w, const char *name, struct video **out)
{
	struct vcache_open req;
	struct video *v;
	int fd, err;

	fd = open(cfg.device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ENODEV : errno;	/* no device, not no video */
	memset(&req, 0, sizeof(req));
	strncpy(req.name, name, sizeof(req.name) - 1);
	/*
	 * With --origin, a loading video is served whole as it fills: reads
	 * past what is committed wait in the kernel (by AIO, see vod.c).
	 */
	if (cfg.norigins)
		req.flags = VCACHE_OPEN_FOLLOW;
	v = calloc(1, sizeof(*v));
	if (!v) {
		close(fd);
		return ENOMEM;
	}
	if (ioctl(fd, VCACHE_IOC_OPEN, &req) || ioctl(fd, VCACHE_IOC_INFO, &v->info)) {
		err = errno;
		close(fd);
		free(v);
		return err;
	}
	memcpy(v->name, req.name, sizeof(v->name));
	v->fd = fd;
	v->follow = req.flags & VCACHE_OPEN_FOLLOW;
	v->next = w->videos;
	w->videos = v;
	w->nvideos++;
	*out = v;
	return 0;
}

struct video *video_get(struct worker *w, const char *name, int *err)
{
	struct video *v, *next;

	for (v = w->videos; v; v = next) {
		next = v->next;
		if (v->stale || strcmp(v->name, name))
			continue;
		if (ioctl(v->fd, VCACHE_IOC_INFO, &v->info) ||
		    (v->info.flags & VCACHE_INFO_DELETED)) {
			/* Responses under way keep their (old) video. */
			v->stale = true;
			if (!v->refs)
				video_free(w, v);
			break;
		}
		v->refs++;
		v->last_used_ms = w->now_ms;
		return v;
	}
	/* Make room before opening: unused entries, least recently used first. */
	if (w->nvideos >= VIDEO_CACHE_MAX)
		video_sweep(w, true);
	*err = video_open(w, name, &v);
	if (*err)
		return NULL;
	v->refs = 1;
	v->last_used_ms = w->now_ms;
	return v;
}

/*
 * A loading video is not kept once unused: our descriptor would keep it
 * alive after its loader gave up, when the kernel deletes it.
 */
void video_put(struct worker *w, struct video *v)
{
	v->last_used_ms = w->now_ms;
	if (!--v->refs && (v->stale || v->info.state != VCACHE_STATE_SEALED))
		video_free(w, v);
}

/*
 * Maps a sealed video whole, once: its size can no longer change. A loading
 * video is not mapped (its pages past the size would SIGBUS, and its size
 * moves); the caller sends it another way. Returns 0 or a negative errno.
 */
int video_map(struct video *v)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t len;
	void *map;

	if (v->map)
		return 0;
	if (v->info.state != VCACHE_STATE_SEALED || !v->info.size)
		return -EAGAIN;
	len = (v->info.size + ps - 1) & ~(uint64_t)(ps - 1);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, v->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	v->map = map;
	v->map_len = len;
	return 0;
}

/*
 * Closes the entries nobody has used for VIDEO_IDLE_MS, or, with @all,
 * every unused one (the table is full, or the worker stops).
 */
void video_sweep(struct worker *w, bool all)
{
	struct video *v, *next;

	for (v = w->videos; v; v = next) {
		next = v->next;
		if (!v->refs && (all || v->stale || w->now_ms - v->last_used_ms >= VIDEO_IDLE_MS))
			video_free(w, v);
	}
}
