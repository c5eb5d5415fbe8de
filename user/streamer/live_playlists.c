// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. The HLS media playlist of a
 * live stream (user/lib/hls.h's live segmenter), for hls_vod.c: a sliding
 * window of keyframe-aligned segments, each a byte range of /live/NAME in
 * the stream's absolute offsets, which live_view.c serves from the ring.
 *
 * A segmenter is kept per stream generation (name and kernel id) and
 * target (?seg=), shared by the workers, so that the media sequence only
 * grows from one request to the next whichever worker answers. A request
 * makes a job (jobs.c): on a descriptor of its own it reads the index
 * entries appended since the last request (VCACHE_IOC_INDEX_READ from the
 * segmenter's next position: a few per second of video), looks for a PAT
 * and PMT before each new keyframe with pread(2) (EOVERFLOW: the bytes left
 * the window), feeds the segmenter, ends it once the stream ENDED (then
 * EXT-X-ENDLIST), and renders. Entries that left the window before a
 * request read them restart the segmenter past them (hls_live_feed()).
 *
 * Which segments are listed is hls_live_avail()'s: a playlist of three
 * target durations, none of whose segments the writer can overwrite within
 * a playlist and a target duration of time (RFC 8216 6.2.2), as long as the
 * ring holds both. EXT-X-PROGRAM-DATE-TIME counts from the stream's
 * creation (the wall clock of its first bytes) by the index's times.
 *
 * LPL_STREAMS segmenters at most; the least recently used goes, as does
 * one whose name now names another stream. Each is used by one job at a
 * time (its mutex); the list's lock is held only to find it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "hls.h"
#include "streamer.h"

#define LPL_STREAMS	64
#define LPL_BATCH	4096
/* Batches one request reads at most: a writer cannot keep it busy. */
#define LPL_BATCHES	256

struct lpl_stream {
	struct lpl_stream *next;
	unsigned int refs;		/* under lpl_lock: the list's and each job's */
	pthread_mutex_t lock;		/* the segmenter, one job at a time */
	char name[VCACHE_NAME_MAX];
	uint64_t id, target, used_ms;
	struct hls_live live;
};

static pthread_mutex_t lpl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lpl_stream *lpl_head;
static unsigned int lpl_count;

/* Under lpl_lock. */
static void lpl_put_locked(struct lpl_stream *s)
{
	if (--s->refs)
		return;
	hls_live_free(&s->live);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void lpl_put(struct lpl_stream *s)
{
	pthread_mutex_lock(&lpl_lock);
	lpl_put_locked(s);
	pthread_mutex_unlock(&lpl_lock);
}

/* The segmenter of (@name, @id, @target), made if need be, with a reference. */
static struct lpl_stream *lpl_get(const char *name, uint64_t id, uint64_t target, uint64_t now)
{
	struct lpl_stream **pp, **lru = NULL, *s, *found = NULL;

	pthread_mutex_lock(&lpl_lock);
	for (pp = &lpl_head; (s = *pp); ) {
		if (!strcmp(s->name, name) && s->id != id) {
			*pp = s->next;		/* the name's old stream */
			lpl_count--;
			lpl_put_locked(s);
			continue;
		}
		if (!strcmp(s->name, name) && s->target == target)
			found = s;
		pp = &s->next;
	}
	/* Full: the least recently used goes (found after the removals above). */
	for (pp = &lpl_head; !found && lpl_count >= LPL_STREAMS && *pp; pp = &(*pp)->next)
		if (!lru || (*pp)->used_ms <= (*lru)->used_ms)
			lru = pp;
	if (!found) {
		found = calloc(1, sizeof(*found));
		if (!found || hls_live_init(&found->live, target)) {
			free(found);
			pthread_mutex_unlock(&lpl_lock);
			return NULL;
		}
		pthread_mutex_init(&found->lock, NULL);
		snprintf(found->name, sizeof(found->name), "%s", name);
		found->id = id;
		found->target = target;
		found->refs = 1;
		if (lpl_count >= LPL_STREAMS && lru) {
			s = *lru;
			*lru = s->next;
			lpl_count--;
			lpl_put_locked(s);
		}
		found->next = lpl_head;
		lpl_head = found;
		lpl_count++;
	}
	found->used_ms = now;
	found->refs++;
	pthread_mutex_unlock(&lpl_lock);
	return found;
}

static int lpl_pread(void *arg, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(*(int *)arg, buf, len, off);

	if (n < 0)
		return errno == EOVERFLOW ? -ERANGE : -errno;
	return (size_t)n == len ? 0 : -ERANGE;
}

/* The index entries appended since @l last read, fed to it. */
static int lpl_feed(int fd, struct hls_live *l, uint64_t tail)
{
	struct vcache_index_entry *e = malloc(LPL_BATCH * sizeof(*e));
	int err = 0;

	if (!e)
		return -ENOMEM;
	for (int i = 0; i < LPL_BATCHES && !err; i++) {
		struct vcache_index_read rd = {
			.position = l->next_pos, .entries = (uintptr_t)e, .capacity = LPL_BATCH,
		};
		struct hls_key *k = NULL;
		uint64_t from;
		size_t nk = 0;

		if (ioctl(fd, VCACHE_IOC_INDEX_READ, &rd)) {
			err = errno == ENODATA ? 0 : -errno;	/* no index yet */
			break;
		}
		from = rd.position > rd.first ? rd.position : rd.first;
		if (!rd.count)
			break;
		err = hls_keys(e, rd.count, from, UINT64_MAX, &k, &nk);
		if (!err)
			err = hls_keys_psi(k, nk, tail, lpl_pread, &fd);
		else if (err == -ENOENT)
			err = 0;		/* no keyframe among them */
		if (!err)
			err = hls_live_feed(l, from, from + rd.count, k, nk);
		free(k);
		if (rd.next >= rd.end)
			break;
	}
	free(e);
	return err;
}

/*
 * Where an ended stream's last segment ends in time. A live index holds
 * keyframes only (live_ingest.c), so the stream's duration is its last
 * keyframe's time and a frame: the time of the bytes after it is not in
 * the index. It is taken from their length at the rate of the segments
 * before (bytes per tick), which a stream of steady GOPs keeps to a frame
 * or two.
 */
static uint64_t lpl_end_pts(const struct hls_live *l, const struct vcache_info *in)
{
	uint64_t bytes = 0, ticks = 0, est;

	for (size_t i = 0; i < l->nsegs; i++) {
		bytes += l->segs[i].len;
		ticks += l->segs[i].dur;
	}
	if (!l->have_open || !bytes || in->size <= l->open_key.start)
		return in->duration;
	est = l->open_key.pts + (uint64_t)((unsigned __int128)(in->size - l->open_key.start) *
					    ticks / bytes);
	return est > in->duration ? est : in->duration;
}

/* The segmenter brought up to the stream's index, ended if the stream has. */
static int lpl_update(int fd, struct hls_live *l, struct vcache_info *in)
{
	int err;

	if (l->ended)
		return 0;
	err = lpl_feed(fd, l, in->tail);
	if (err)
		return err;
	/* The head after the entries: it is past all of them. */
	if (ioctl(fd, VCACHE_IOC_INFO, in))
		return -errno;
	if (in->state != VCACHE_STATE_ENDED)
		return 0;
	/* Ended: the index is final; what came after the first read, then the end. */
	err = lpl_feed(fd, l, in->tail);
	return err ? err : hls_live_end(l, in->size, lpl_end_pts(l, in));
}

static void lpl_job_run(struct job *j)
{
	struct lpl_job *lj = (struct lpl_job *)j;
	struct vcache_open op = { 0 };
	struct vcache_info in = { 0 };
	struct hls_buf b = { 0 };
	char uri[3 * VCACHE_NAME_MAX + 16] = "../../live/";
	struct hls_live_view view = { .uri = uri };
	struct lpl_stream *s;
	int fd, err;

	fd = open(cfg.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		lj->err = -errno;
		return;
	}
	memcpy(op.name, lj->name, sizeof(op.name));
	if (ioctl(fd, VCACHE_IOC_OPEN, &op) || ioctl(fd, VCACHE_IOC_INFO, &in)) {
		err = errno == ENOENT ? -ENOENT : -errno;
		goto out;
	}
	err = -ESTALE;		/* a video on demand by that name now */
	if (in.state != VCACHE_STATE_LIVE && in.state != VCACHE_STATE_ENDED)
		goto out;
	s = lpl_get(lj->name, in.id, lj->target, now_ms());
	err = -ENOMEM;
	if (!s)
		goto out;
	hls_escape_uri(uri + 11, sizeof(uri) - 11, lj->name);
	pthread_mutex_lock(&s->lock);
	err = lpl_update(fd, &s->live, &in);
	if (!err) {
		view.avail_start = hls_live_avail(&s->live, in.tail, 0);
		view.pdt_base_ms = in.create_time_ns / 1000000;
		err = hls_live_media(&s->live, &view, &b);
	}
	pthread_mutex_unlock(&s->lock);
	lpl_put(s);
out:
	close(fd);
	lj->err = err;
	if (!err) {
		lj->body = b.s;
		lj->len = b.len;
	} else {
		hls_buf_free(&b);
	}
}

struct lpl_job *lpl_job_new(const char *name, uint64_t target,
			    void (*done)(struct worker *w, struct job *j))
{
	struct lpl_job *lj = calloc(1, sizeof(*lj));

	if (!lj)
		return NULL;
	lj->job.run = lpl_job_run;
	lj->job.done = done;
	lj->target = target;
	snprintf(lj->name, sizeof(lj->name), "%s", name);
	return lj;
}

void lpl_job_free(struct lpl_job *lj)
{
	free(lj->body);
	free(lj);
}

/* At exit: the segmenters go (for leak checkers). */
void lpl_drop_all(void)
{
	struct lpl_stream *s;

	pthread_mutex_lock(&lpl_lock);
	while ((s = lpl_head)) {
		lpl_head = s->next;
		lpl_put_locked(s);
	}
	lpl_count = 0;
	pthread_mutex_unlock(&lpl_lock);
}
