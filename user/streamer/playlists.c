// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. The HLS playlists of sealed
 * videos (user/lib/hls.h), for hls_vod.c: computed once per video
 * generation and kept, shared by every worker.
 *
 * Making them reads the whole index back from the kernel
 * (VCACHE_IOC_INDEX_READ: O(frames), 16 bytes each), looks at the bytes
 * before every keyframe for a PAT and a PMT (a page of the video each),
 * and renders O(segments) of text. A worker does none of that: a job
 * thread does (jobs.c), through a descriptor of its own (the connection
 * that asked may close, and drop its video, before the job is done), and
 * leaves the result here. A worker only looks a text up and copies it,
 * under a mutex held for that alone.
 *
 * What is kept, per video generation (its name, kernel id and seal time:
 * a name deleted and loaded again is another generation, and a request
 * for it makes its playlists afresh): the keyframes with where each
 * segment can start (hls_keys(), hls_keys_psi()), the codecs and picture
 * size (ts_probe()), and each text rendered so far, one per (playlist,
 * target). ?seg= takes any value, so a client must not grow the cache
 * without bound: PL_TEXTS texts a video (the oldest goes), PL_VIDEOS
 * videos (the least recently used goes). A video that cannot have
 * playlists (no keyframe) is kept too, with its error, so that asking
 * again costs no job. Two requests that miss at once make a job each: the
 * second waits for the first's keys (pl_make()), renders the text too,
 * and keeps the first's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "hls.h"
#include "tsprobe.h"
#include "vindex.h"
#include "streamer.h"

#define PL_VIDEOS	32
#define PL_TEXTS	8
/* The head of a video ts_probe() and ts_psi_head() look at. */
#define PL_PROBE	(512u << 10)

struct pl_text {
	enum pl_kind kind;
	uint64_t target;
	char *body;		/* NULL: free slot */
	size_t len;
};

struct pl_video {
	struct pl_video *next;
	atomic_uint refs;	/* the cache's, and each job's rendering from it */
	char name[VCACHE_NAME_MAX];
	uint64_t id, seal_ns;
	uint64_t used_ms;
	int err;		/* no playlists: -ENOENT (no keyframe), ... */
	struct hls_key *keys;
	struct hls_vod vod;
	char uri[3 * VCACHE_NAME_MAX + 16];
	struct ts_streams st;
	bool have_st;
	struct pl_text texts[PL_TEXTS];
	unsigned int next_text;	/* the slot the next text takes */
};

static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_video *pl_head;
static unsigned int pl_count;

static void pl_video_put(struct pl_video *pv)
{
	unsigned int i;

	if (!pv || atomic_fetch_sub(&pv->refs, 1) != 1)
		return;
	for (i = 0; i < PL_TEXTS; i++)
		free(pv->texts[i].body);
	free(pv->keys);
	free(pv);
}

/* Under pl_lock: the entry of this generation, or NULL. Older ones go. */
static struct pl_video *pl_find(const char *name, uint64_t id, uint64_t seal_ns)
{
	struct pl_video **pp, *pv;

	for (pp = &pl_head; (pv = *pp); ) {
		if (strcmp(pv->name, name)) {
			pp = &pv->next;
			continue;
		}
		if (pv->id == id && pv->seal_ns == seal_ns)
			return pv;
		/* Deleted and loaded again since: its playlists are of the old bytes. */
		*pp = pv->next;
		pl_count--;
		pl_video_put(pv);
	}
	return NULL;
}

int pl_lookup(const struct pl_req *rq, uint64_t now,
	      void (*use)(void *arg, const char *body, size_t len), void *arg)
{
	struct pl_video *pv;
	int ret = -EAGAIN;
	unsigned int i;

	pthread_mutex_lock(&pl_lock);
	pv = pl_find(rq->name, rq->id, rq->seal_ns);
	if (pv) {
		pv->used_ms = now;
		if (pv->err) {
			ret = pv->err;
		} else {
			for (i = 0; i < PL_TEXTS; i++) {
				const struct pl_text *t = &pv->texts[i];

				if (t->body && t->kind == rq->kind && t->target == rq->target) {
					use(arg, t->body, t->len);
					ret = 0;
					break;
				}
			}
		}
	}
	pthread_mutex_unlock(&pl_lock);
	return ret;
}

/* ---- making them: on a job thread ---- */

struct map_reader {
	const uint8_t *d;
	uint64_t size;
};

static int map_read(void *arg, uint64_t off, void *buf, size_t len)
{
	const struct map_reader *m = arg;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(buf, m->d + off, len);
	return 0;
}

/*
 * The keys, codecs and size of the video @pv names, through a descriptor
 * of our own. 0, or a negative errno: -ESTALE (not that generation any
 * more, or not sealed), -ENODATA (no index), -ENOENT (no keyframe; also
 * no such video), another.
 */
static int pl_build(struct pl_video *pv)
{
	struct vcache_info in = { 0 };
	struct vcache_open op = { 0 };
	struct vindex_copy ix = { 0 };
	struct map_reader m;
	uint64_t frame = 0;
	size_t nkeys = 0;
	void *map;
	int fd, err;

	fd = open(cfg.device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(op.name, pv->name, sizeof(op.name));
	if (ioctl(fd, VCACHE_IOC_OPEN, &op) || ioctl(fd, VCACHE_IOC_INFO, &in)) {
		err = errno == ENOENT ? -ESTALE : -errno;	/* gone meanwhile */
		goto out;
	}
	err = -ESTALE;
	if (in.id != pv->id || in.seal_time_ns != pv->seal_ns ||
	    in.state != VCACHE_STATE_SEALED)
		goto out;
	err = vindex_read_all(fd, 0, &ix);
	if (err)
		goto out;
	err = hls_keys(ix.entries, ix.count, 0, in.size, &pv->keys, &nkeys);
	if (err)
		goto out;
	if (in.fps_num)
		frame = (uint64_t)HLS_HZ * in.fps_den / in.fps_num;
	map = mmap(NULL, in.size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	m = (struct map_reader){ map, in.size };
	err = hls_keys_psi(pv->keys, nkeys, 0, map_read, &m);
	if (!err) {
		size_t head = in.size < PL_PROBE ? in.size : PL_PROBE;

		pv->have_st = !ts_probe(map, head, &pv->st);
		if (ts_psi_head(map, head, &pv->vod.map_off, &pv->vod.map_len))
			pv->vod.map_len = 0;
	}
	munmap(map, in.size);
	if (err)
		goto out;
	memcpy(pv->uri, "../../v/", 8);
	hls_escape_uri(pv->uri + 8, sizeof(pv->uri) - 8, pv->name);
	pv->vod.keys = pv->keys;
	pv->vod.nkeys = nkeys;
	pv->vod.size = in.size;
	pv->vod.duration = hls_index_duration(ix.entries, ix.count, frame);
	pv->vod.uri = pv->uri;
out:
	free(ix.entries);
	close(fd);
	return err;
}

/* "6", "2.5": @ticks as seconds that hls_parse_seg() reads back the same. */
void pl_seg_text(char *buf, size_t size, uint64_t ticks)
{
	uint64_t us = (ticks % HLS_HZ * 1000000 + HLS_HZ / 2) / HLS_HZ;
	int n = snprintf(buf, size, "%" PRIu64, ticks / HLS_HZ);

	if (!us || n < 0 || (size_t)n >= size)
		return;
	snprintf(buf + n, size - n, ".%06" PRIu64, us);
	for (n = strlen(buf); buf[n - 1] == '0'; n--)
		buf[n - 1] = '\0';
}

static int pl_render(const struct pl_video *pv, enum pl_kind kind, uint64_t target,
		     struct hls_buf *b)
{
	char media[48], seg[32];
	struct hls_master ms = { 0 };

	switch (kind) {
	case PL_MEDIA:
		return hls_vod_media(&pv->vod, target, b);
	case PL_IFRAMES:
		return hls_vod_iframes(&pv->vod, b);
	default:
		pl_seg_text(seg, sizeof(seg), target);
		snprintf(media, sizeof(media), "index.m3u8?seg=%s", seg);
		ms.media_uri = media;
		ms.iframes_uri = "iframes.m3u8";
		if (pv->have_st) {
			ms.codecs = pv->st.codecs;
			ms.video_codec = pv->st.video_codec;
			if (pv->st.have_sps) {
				ms.width = pv->st.sps.width;
				ms.height = pv->st.sps.height;
			}
		}
		return hls_vod_master(&pv->vod, target, &ms, b);
	}
}

/* Under pl_lock: @pv in the cache, the least recently used out if full. */
static void pl_insert(struct pl_video *pv)
{
	struct pl_video **pp, **lru = NULL, *old;

	if (pl_count >= PL_VIDEOS) {
		for (pp = &pl_head; *pp; pp = &(*pp)->next)
			if (!lru || (*pp)->used_ms <= (*lru)->used_ms)
				lru = pp;
		old = *lru;
		*lru = old->next;
		pl_count--;
		pl_video_put(old);
	}
	atomic_fetch_add(&pv->refs, 1);
	pv->next = pl_head;
	pl_head = pv;
	pl_count++;
}

/* Under pl_lock: a copy of @body as @pv's text of (@kind, @target). */
static void pl_keep(struct pl_video *pv, enum pl_kind kind, uint64_t target,
		    const char *body, size_t len)
{
	struct pl_text *t;
	unsigned int i;
	char *copy;

	for (i = 0; i < PL_TEXTS; i++)
		if (pv->texts[i].body && pv->texts[i].kind == kind &&
		    pv->texts[i].target == target)
			return;		/* another job made it meanwhile */
	copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, body, len + 1);
	t = &pv->texts[pv->next_text];
	pv->next_text = (pv->next_text + 1) % PL_TEXTS;
	free(t->body);
	*t = (struct pl_text){ kind, target, copy, len };
}

/*
 * The generations being built, by a job each: a second job for one of
 * them waits for the first (on pl_built) rather than read the same index
 * again; it would have kept its job thread as long.
 */
struct pl_building {
	struct pl_building *next;
	const struct pl_req *rq;
};

static pthread_cond_t pl_built = PTHREAD_COND_INITIALIZER;
static struct pl_building *pl_busy;

/* Under pl_lock: is a job building @rq's generation? */
static bool pl_is_busy(const struct pl_req *rq)
{
	const struct pl_building *b;

	for (b = pl_busy; b; b = b->next)
		if (b->rq->id == rq->id && b->rq->seal_ns == rq->seal_ns &&
		    !strcmp(b->rq->name, rq->name))
			return true;
	return false;
}

/* A new entry for @rq's generation, built; in the cache unless it failed. */
static struct pl_video *pl_make(const struct pl_req *rq, uint64_t now)
{
	struct pl_building me = { NULL, rq }, **pp;
	struct pl_video *pv = calloc(1, sizeof(*pv));

	if (!pv)
		return NULL;
	atomic_init(&pv->refs, 1);
	snprintf(pv->name, sizeof(pv->name), "%s", rq->name);
	pv->id = rq->id;
	pv->seal_ns = rq->seal_ns;
	pv->used_ms = now;
	pthread_mutex_lock(&pl_lock);
	me.next = pl_busy;
	pl_busy = &me;
	pthread_mutex_unlock(&pl_lock);

	pv->err = pl_build(pv);

	pthread_mutex_lock(&pl_lock);
	/* A video changed or gone under us is no one's generation: not kept. */
	if (pv->err != -ESTALE && pv->err != -ENOMEM && !pl_find(rq->name, rq->id, rq->seal_ns))
		pl_insert(pv);
	for (pp = &pl_busy; *pp != &me; pp = &(*pp)->next)
		;
	*pp = me.next;
	pthread_cond_broadcast(&pl_built);
	pthread_mutex_unlock(&pl_lock);
	return pv;
}

/* run(): the video's keys if not cached yet, then the text asked for. */
static void pl_job_run(struct job *j)
{
	struct pl_job *pj = (struct pl_job *)j;
	struct pl_video *pv;
	struct hls_buf b = { 0 };

	pthread_mutex_lock(&pl_lock);
	while (!(pv = pl_find(pj->rq.name, pj->rq.id, pj->rq.seal_ns)) && pl_is_busy(&pj->rq))
		pthread_cond_wait(&pl_built, &pl_lock);
	if (pv)
		atomic_fetch_add(&pv->refs, 1);
	pthread_mutex_unlock(&pl_lock);
	if (!pv)
		pv = pl_make(&pj->rq, now_ms());
	if (!pv) {
		pj->err = -ENOMEM;
		return;
	}
	pj->err = pv->err;
	if (!pj->err)
		pj->err = pl_render(pv, pj->rq.kind, pj->rq.target, &b);
	if (!pj->err) {
		pthread_mutex_lock(&pl_lock);
		pl_keep(pv, pj->rq.kind, pj->rq.target, b.s, b.len);
		pthread_mutex_unlock(&pl_lock);
		pj->body = b.s;
		pj->len = b.len;
	} else {
		hls_buf_free(&b);
	}
	pl_video_put(pv);
}

struct pl_job *pl_job_new(const struct pl_req *rq, void (*done)(struct worker *w, struct job *j))
{
	struct pl_job *pj = calloc(1, sizeof(*pj));

	if (!pj)
		return NULL;
	pj->job.run = pl_job_run;
	pj->job.done = done;
	pj->rq = *rq;
	snprintf(pj->name, sizeof(pj->name), "%s", rq->name);
	pj->rq.name = pj->name;
	return pj;
}

void pl_job_free(struct pl_job *pj)
{
	free(pj->body);
	free(pj);
}

/* At exit: what the cache holds goes (for leak checkers). */
void pl_drop_all(void)
{
	struct pl_video *pv;

	pthread_mutex_lock(&pl_lock);
	while ((pv = pl_head)) {
		pl_head = pv->next;
		pl_video_put(pv);
	}
	pl_count = 0;
	pthread_mutex_unlock(&pl_lock);
	lpl_drop_all();		/* the live ones too */
}
