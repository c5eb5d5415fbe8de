// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. Freshness of what --origin
 * filled (origin.h): at most every --origin-ttl seconds, a request for a
 * sealed video re-checks the origin file it came from; a changed file is
 * deleted from the cache and the request (re-routed) fills it again. A new
 * fill is a new video id, so the ETag changes with it.
 *
 * What is compared. A fill records the file as its lookup saw it (device,
 * inode, size, mtime, ctime) under the new video's id; a check compares
 * the file with that record. A video nobody recorded here (filled by
 * another streamer, loaded with vcachectl, or before this process started)
 * is compared with the video itself: the file is changed if its size is
 * not the video's, or if its mtime or ctime is later than the video's
 * creation (a fill reads the file after it CREATEs: any write, rename into
 * place or cp -p since then moves the ctime past it). Such a check that
 * finds the file unchanged records it, so that a file whose timestamps
 * are in the future (a skewed network mount) is refilled once, not at
 * every check. A file gone from the origin, or refused now, leaves the
 * cached copy alone: the cache may hold names the origin never had.
 *
 * Where the stat runs. The lookup (openat2 and fstat) may wait on a slow
 * mount, so it runs on the job threads (jobs.c); the request waits for it
 * in ST_WAIT, then is routed again from the start, in the worker's loop.
 * Requests that arrive while a check is under way are served the cached
 * copy: one check per video at a time.
 *
 * The records are the process's, behind one lock: a table of FRESH_SLOTS
 * slots by video id; a video whose slot was taken by another is simply
 * checked as a video nobody recorded. The hits between two checks do not
 * take it: each worker notes in its own video entry when the next check
 * is due (video.fresh_next_ms, on the worker's clock), so the lock is
 * taken about once a TTL per worker and video, when a fill starts and when
 * a check ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "streamer.h"

#define FRESH_SLOTS	1024

struct fresh {
	uint64_t id;			/* the video's; 0: free */
	uint64_t checked_ns;		/* CLOCK_REALTIME of the fill or the last check */
	bool checking;			/* a job checks it now */
	bool known;			/* the file as the fill (or a check) saw it: */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

static struct fresh fresh[FRESH_SLOTS];
static pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;

struct fresh_job {
	struct job job;			/* first member */
	struct conn *c;
	char name[VCACHE_NAME_MAX];
	uint64_t id, size, create_ns;
	enum origin_verdict verdict;
	struct stat st;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec < 0 ? 0 : (uint64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The slot of @id, taken for it (the caller holds the lock). */
static struct fresh *slot_of(uint64_t id, uint64_t create_ns)
{
	struct fresh *s = &fresh[id % FRESH_SLOTS];

	if (s->id != id) {
		memset(s, 0, sizeof(*s));
		s->id = id;
		/* Filled then, from the file as it was then. */
		s->checked_ns = create_ns;
	}
	return s;
}

static void record(struct fresh *s, const struct stat *st)
{
	s->known = true;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
	s->ctime = st->st_ctim;
}

void origin_fresh_record(uint64_t id, const struct stat *st)
{
	struct fresh *s;

	pthread_mutex_lock(&fresh_lock);
	s = slot_of(id, realtime_ns());
	record(s, st);
	pthread_mutex_unlock(&fresh_lock);
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The file now (@st) against the record, or against the video (@fj). */
static bool changed(const struct fresh *s, const struct fresh_job *fj)
{
	const struct stat *st = &fj->st;

	if (s->known)
		return st->st_dev != s->dev || st->st_ino != s->ino || st->st_size != s->size ||
		       !ts_eq(&st->st_mtim, &s->mtime) || !ts_eq(&st->st_ctim, &s->ctime);
	return (uint64_t)st->st_size != fj->size || ts_ns(&st->st_mtim) > fj->create_ns ||
	       ts_ns(&st->st_ctim) > fj->create_ns;
}

static void fresh_run(struct job *j)
{
	struct fresh_job *fj = (struct fresh_job *)j;
	unsigned int dir;
	int fd, err;

	fj->verdict = origin_lookup(cfg.origin_fds, cfg.norigins, fj->name, &fd, &fj->st,
				    &dir, &err);
	if (fj->verdict == ORIGIN_FOUND)
		close(fd);
}

/*
 * Deletes @name from the cache. By name: were it deleted and filled again
 * meanwhile (by another streamer), that new copy goes too, and is filled
 * once more; no harm but the work.
 */
static void delete_name(struct worker *w, const char *name)
{
	struct vcache_delete del;
	int fd = open(cfg.device, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	memset(&del, 0, sizeof(del));
	memcpy(del.name, name, strlen(name));
	if (ioctl(fd, VCACHE_IOC_DELETE, &del) && errno != ENOENT)
		worker_warn(w, "origin: cannot delete the stale copy of %s: %s", name,
			    strerror(errno));
	close(fd);
}

static void fresh_done(struct worker *w, struct job *j)
{
	struct fresh_job *fj = (struct fresh_job *)j;
	struct conn *c = fj->c;
	bool stale = false;
	struct fresh *s;

	pthread_mutex_lock(&fresh_lock);
	s = slot_of(fj->id, fj->create_ns);
	if (fj->verdict == ORIGIN_FOUND)
		stale = changed(s, fj);
	s->checking = false;
	s->checked_ns = realtime_ns();
	if (fj->verdict == ORIGIN_FOUND && !stale)
		record(s, &fj->st);
	pthread_mutex_unlock(&fresh_lock);
	atomic_fetch_add(&origin_count.revalidated, 1);
	if (stale) {
		atomic_fetch_add(&origin_count.stale, 1);
		delete_name(w, fj->name);
	}
	c->jobs--;
	if (!c->dead) {
		/* Routed again: the video is looked up afresh (gone if stale). */
		video_put(w, c->r.v);
		c->r.v = NULL;
		c->origin_checked = true;
		w->respond(w, c);
		c->origin_checked = false;
		job_resume(w, c);
	}
	free(fj);
}

bool origin_fresh_check(struct worker *w, struct conn *c, const char *name)
{
	const struct vcache_info *in = &c->r.v->info;
	uint64_t now, ttl = cfg.origin_ttl_ms * 1000000;
	struct fresh_job *fj;
	struct fresh *s;
	bool due;

	/* Checked already (this is the request, routed again), or filling. */
	if (c->origin_checked || in->state != VCACHE_STATE_SEALED)
		return false;
	/* Not due yet, as this worker last saw: no lock. */
	if (w->now_ms < c->r.v->fresh_next_ms)
		return false;
	now = realtime_ns();
	pthread_mutex_lock(&fresh_lock);
	s = slot_of(in->id, in->create_time_ns);
	due = !s->checking && now >= s->checked_ns && now - s->checked_ns >= ttl;
	if (due)
		s->checking = true;
	else if (!s->checking)
		c->r.v->fresh_next_ms = w->now_ms +
			(now >= s->checked_ns ? ttl - (now - s->checked_ns) : ttl) / 1000000;
	pthread_mutex_unlock(&fresh_lock);
	if (!due)
		return false;
	fj = calloc(1, sizeof(*fj));
	if (!fj) {
		/* Served as it is; checked by a later request. */
		pthread_mutex_lock(&fresh_lock);
		slot_of(in->id, in->create_time_ns)->checking = false;
		pthread_mutex_unlock(&fresh_lock);
		return false;
	}
	fj->job.run = fresh_run;
	fj->job.done = fresh_done;
	fj->c = c;
	memcpy(fj->name, name, strlen(name));
	fj->id = in->id;
	fj->size = in->size;
	fj->create_ns = in->create_time_ns;
	c->jobs++;
	c->r.next = PLAN_WAIT;
	job_submit(w, &fj->job);
	return true;
}
