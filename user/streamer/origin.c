// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. Read-through fill from
 * --origin directories (origin.h): a miss of GET|HEAD /v/NAME becomes a
 * CREATE and a fill run by the worker's epoll loop, and the request (with
 * every other one meanwhile) is served from the loading video.
 *
 * A fill is user/lib/load.c's steps: its AIO eventfd sits in the worker's
 * epoll set (EP_FILL), each completion reaped there moves it on, and each
 * window it publishes (COMMIT) is indexed then, keyframes only, as live
 * ingest does, so that nothing scans the video at the end. No thread and
 * no read(2) of the origin: the file's bytes go from the disk to the
 * video's pages by kernel AIO (O_DIRECT where the file system has it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "load.h"
#include "origin.h"
#include "streamer.h"
#include "tsindex.h"
#include "vindex.h"

struct origin_counters origin_count;

/* Names whose fill ran out of the cache's memory (origin_nofit.c), all workers'. */
static struct nofit_table nofit;
static pthread_mutex_t nofit_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool origin_nofit(const char *name)
{
	bool has;

	pthread_mutex_lock(&nofit_lock);
	has = nofit_has(&nofit, name, mono_ns());
	pthread_mutex_unlock(&nofit_lock);
	return has;
}

/* O_DIRECT reads of a bypass: offsets, lengths and buffers aligned to it. */
#define BYPASS_ALIGN	4096

/*
 * Before CREATE, a fill reads its file's head (min(VINDEX_PROBE, size)
 * bytes) for the frame rate: one kernel AIO read, O_DIRECT where the file
 * system has it (a buffered AIO read of a file is done inside io_submit(2),
 * in the loop), on an engine of its own whose eventfd is the fill's EP_FILL
 * descriptor until the loader's replaces it. Requests for the name that
 * come meanwhile to this worker wait on the fill (its waiters), so that one
 * worker reads one head; another worker's or process's head read of the
 * same name ends in a CREATE that finds the name taken, and joins.
 */
struct fill_head {
	struct vaio aio;
	struct vaio_iocb cb;
	bool aio_ok;			/* @aio is set up */
	int fd;				/* O_DIRECT descriptor, or -1: f->in */
	char *buf;			/* HEAD_ALIGN-aligned, @want rounded up */
	uint64_t want;			/* min(VINDEX_PROBE, the file's size) */
	uint64_t len, got;		/* asked (rounded up for O_DIRECT), read */
	long res;			/* the last completion */
	bool done;			/* it came */
};

#define HEAD_ALIGN	4096

struct fill {
	enum ep_kind kind;		/* EP_FILL: first member */
	struct worker *w;
	struct fill *next;		/* the worker's fills */
	char name[VCACHE_NAME_MAX];
	struct fill_head *head;		/* reading the head: not CREATEd yet */
	struct conn *waiters;		/* requests waiting for the head read */
	struct conn *starter;		/* of which the one that missed first */
	struct stat st;			/* the file, as looked up */
	int vfd;			/* the device, CREATEd: the writer */
	int in;				/* the origin file */
	int dirfd;			/* its --origin directory */
	struct load_job job;
	struct loader *l;
	uint64_t published;		/* bytes committed, counted and indexed */
	struct tsindex *ix;		/* NULL: no index (out of memory) */
	struct vcache_index_entry *batch;
	size_t batch_cap;
	uint64_t keys, last_key, last_pts;
};

/* load.c's open_direct: the same name beneath the same directory, O_DIRECT. */
static int fill_open_direct(void *arg)
{
	struct fill *f = arg;
	int fd = origin_openat(f->dirfd, f->name, O_RDONLY | O_DIRECT | O_NONBLOCK);
	int fl;

	if (fd < 0)
		return fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return fd;
}

static void drop_index(struct fill *f)
{
	if (!f->ix)
		return;
	tsindex_free(f->ix);
	free(f->ix);
	f->ix = NULL;
}

/* The keyframes found so far, to the kernel. */
static void append_keys(struct fill *f, uint64_t size)
{
	struct vcache_index_append req;
	size_t i, n = 0;

	if (!f->ix->count)
		return;
	if (f->batch_cap < f->ix->count) {
		struct vcache_index_entry *b = realloc(f->batch, f->ix->count * sizeof(*b));

		if (!b) {
			drop_index(f);
			return;
		}
		f->batch = b;
		f->batch_cap = f->ix->count;
	}
	for (i = 0; i < f->ix->count; i++) {
		const struct tsindex_entry *e = &f->ix->entries[i];

		/* The kernel wants them in time and byte order, below the size. */
		if (!(e->flags & TSINDEX_KEY) || e->offset >= size ||
		    (f->keys && (e->pts < f->last_pts || e->offset < f->last_key)))
			continue;
		f->batch[n++] = (struct vcache_index_entry){
			.pts = e->pts, .offset = e->offset, .flags = VCACHE_INDEX_KEY,
		};
		f->last_pts = e->pts;
		f->last_key = e->offset;
		f->keys++;
	}
	f->ix->count = 0;
	for (i = 0; i < n; i += VCACHE_INDEX_BATCH_MAX) {
		memset(&req, 0, sizeof(req));
		req.entries = (uintptr_t)(f->batch + i);
		req.count = n - i < VCACHE_INDEX_BATCH_MAX ? n - i : VCACHE_INDEX_BATCH_MAX;
		if (ioctl(f->vfd, VCACHE_IOC_INDEX_APPEND, &req))
			f->keys -= req.count;	/* the seek is coarser, the video fine */
	}
}

/*
 * Bytes [from, to) were just committed: index them from the video's own
 * pages (a read-only mapping of just them: the origin is read once).
 */
static void index_range(struct fill *f, uint64_t from, uint64_t to)
{
	uint64_t ps = sysconf(_SC_PAGESIZE), start = from & ~(ps - 1);
	size_t len = to - start;
	uint8_t *m;

	if (!f->ix || to <= from)
		return;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, f->vfd, start);
	if (m == MAP_FAILED) {
		drop_index(f);
		return;
	}
	if (tsindex_feed(f->ix, m + (from - start), to - from))
		drop_index(f);
	munmap(m, len);
	if (f->ix)
		append_keys(f, to);
}

/* load.c's progress: a window was published. */
static void fill_progress(void *arg, uint64_t done)
{
	struct fill *f = arg;

	if (done <= f->published)
		return;
	atomic_fetch_add(&origin_count.origin_bytes, done - f->published);
	index_range(f, f->published, done);
	f->published = done;
}

/* The head read is over (or given up): its engine waits for what is in flight. */
static void head_free(struct fill *f)
{
	struct fill_head *h = f->head;

	if (!h)
		return;
	if (h->aio_ok) {
		epoll_ctl(f->w->ep, EPOLL_CTL_DEL, vaio_eventfd(&h->aio), NULL);
		vaio_destroy(&h->aio);
	}
	if (h->fd >= 0)
		close(h->fd);
	free(h->buf);
	free(h);
	f->head = NULL;
}

static void fill_free(struct fill *f)
{
	struct fill **pp;

	for (pp = &f->w->fills; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			f->w->nfills--;
			break;
		}
	}
	head_free(f);
	drop_index(f);
	free(f->batch);
	if (f->in >= 0)
		close(f->in);
	if (f->vfd >= 0)
		close(f->vfd);
	free(f);
}

/*
 * The fill is over, all its reads back: SEAL it, or, after a failure,
 * delete it so that the next request starts afresh. (Closing our writer
 * alone would not do: readers' descriptors would keep a dead LOADING video
 * under the name.) Readers waiting at the end then get end of file and
 * close their connections.
 */
static void fill_end(struct fill *f)
{
	struct worker *w = f->w;
	struct vcache_delete del;
	int err;

	epoll_ctl(w->ep, EPOLL_CTL_DEL, load_eventfd(f->l), NULL);
	err = -load_end(f->l);
	f->l = NULL;
	if (!err && f->job.size != f->job.total)
		err = EIO;	/* the file changed size under us: its bytes are not all there */
	if (!err && f->ix) {
		tsindex_finish(f->ix);
		append_keys(f, f->job.size);
	}
	if (!err && ioctl(f->vfd, VCACHE_IOC_SEAL, 0))
		err = errno;
	if (err && f->job.step == LOAD_STEP_FULL) {
		/*
		 * The cache's memory ran out under the fill (its pages are
		 * allocated as they are written: ENOSPC, or the memory
		 * cgroup's ENOMEM, as EFAULT from the read). Requests not
		 * answered yet, and the next ones until --origin-ttl, are sent
		 * from the origin file instead (park.c, plan_video_fill()).
		 */
		pthread_mutex_lock(&nofit_lock);
		nofit_add(&nofit, f->name, mono_ns(), cfg.origin_ttl_ms * 1000000);
		pthread_mutex_unlock(&nofit_lock);
	}
	if (err) {
		atomic_fetch_add(&origin_count.fill_errors, 1);
		worker_warn(w, "origin fill of %s failed after %" PRIu64 " of %" PRIu64
			    " bytes: %s%s", f->name, f->published, f->job.total, strerror(err),
			    f->job.step == LOAD_STEP_FULL ? " (the cache is full: it is sent "
			    "from the origin for --origin-ttl)" : "");
		memset(&del, 0, sizeof(del));
		memcpy(del.name, f->name, sizeof(del.name));
		ioctl(f->vfd, VCACHE_IOC_DELETE, &del);
	}
	fill_free(f);
}

/* Runs the fill on until it waits for completions; ends it when done. */
static void fill_run(struct fill *f)
{
	if (load_step(f->l))
		fill_end(f);
}

static void head_event(struct fill *f);

void origin_event(struct worker *w, enum ep_kind *k)
{
	struct fill *f = (struct fill *)k;

	if (f->head) {
		head_event(f);
		return;
	}
	/*
	 * A broken engine: what is in flight will never be reaped here, so
	 * the fill ends now (load_end() waits for those reads) and fails.
	 */
	if (load_reap(f->l))
		fill_end(f);
	else
		fill_run(f);
}

/* CREATE @name of @size on a writable descriptor: it or a negative errno. */
static int fill_create(const char *name, uint64_t size, uint32_t num, uint32_t den)
{
	struct vcache_create req;
	int fd, err;

	fd = open(cfg.device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	memset(&req, 0, sizeof(req));
	memcpy(req.name, name, strlen(name));
	req.capacity = size;
	req.fps_num = num;
	req.fps_den = den;
	if (ioctl(fd, VCACHE_IOC_CREATE, &req)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Starts the loader on a created video; 0 or a negative errno. */
static int fill_begin(struct worker *w, struct fill *f, uint64_t size)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &f->kind };
	int err;

	f->job = (struct load_job){
		.vfd = f->vfd, .in = f->in, .total = size,
		.progress = fill_progress, .open_direct = fill_open_direct, .arg = f,
	};
	err = load_begin(&f->job, &f->l);
	if (err)
		return err;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, load_eventfd(f->l), &ev)) {
		err = -errno;
		load_end(f->l);
		f->l = NULL;
		return err;
	}
	f->ix = calloc(1, sizeof(*f->ix));
	if (f->ix)
		tsindex_init(f->ix);
	return 0;
}

/*
 * The rate vcachectl load picks for the same file without --fps
 * (vindex_rate()): the head's SPS timing or PTS steps, else 25. ?t=
 * timecodes count in the rate, so a ?t= of a filled video lands where
 * vcachectl seek of the loaded file does.
 */
static void head_rate(struct fill *f, uint32_t *num, uint32_t *den)
{
	struct tsindex ix;

	vindex_rate(vindex_probe(&ix, f->head->buf, f->head->got) ? NULL : &ix, num, den);
	tsindex_free(&ix);
}

static void head_reaped(struct vaio *ctx, struct vaio_iocb *cb, void *cookie, long res,
			void *arg)
{
	struct fill_head *h = arg;

	h->res = res;
	h->done = true;
}

/* (Re)submits the head read for bytes [got, len): 0 or a negative errno. */
static int head_submit(struct fill *f)
{
	struct fill_head *h = f->head;
	struct vaio_iocb *cbs[] = { &h->cb };
	int n;

	h->done = false;
	vaio_prep_pread(&h->cb, h->fd >= 0 ? h->fd : f->in, h->buf + h->got, h->len - h->got,
			h->got, f);
	n = vaio_submit(&h->aio, cbs, 1);
	return n < 0 ? n : n == 1 ? 0 : -EAGAIN;
}

static int probe_start(struct fill *f)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &f->kind };
	struct fill_head *h = f->head;
	uint64_t room;
	int err;

	h->want = (uint64_t)f->st.st_size < VINDEX_PROBE ? (uint64_t)f->st.st_size : VINDEX_PROBE;
	room = (h->want + HEAD_ALIGN - 1) & ~(uint64_t)(HEAD_ALIGN - 1);
	if (posix_memalign((void **)&h->buf, HEAD_ALIGN, room))
		return -ENOMEM;
	h->fd = fill_open_direct(f);
	if (h->fd < 0)
		h->fd = -1;	/* no O_DIRECT here: buffered, as load.c falls back */
	h->len = h->fd >= 0 ? room : h->want;
	err = vaio_init(&h->aio, 1, VAIO_QUIET);
	if (err)
		return err;
	h->aio_ok = true;
	if (epoll_ctl(f->w->ep, EPOLL_CTL_ADD, vaio_eventfd(&h->aio), &ev))
		return -errno;
	return head_submit(f);
}

enum fill_wake {
	WAKE_CREATED,	/* the fill runs: served from the loading video */
	WAKE_JOINED,	/* someone else CREATEd it first: the same */
	WAKE_BYPASS,	/* the cache cannot take it: from the origin file */
	WAKE_FAILED,	/* the head read failed: 502 */
	WAKE_ERROR,	/* CREATE or the loader's setup failed: 503, as at once */
};

/*
 * The requests that waited for the head read of @name go on: routed again
 * from the start (they find the video, or know to bypass), or answered.
 * @starter, the request that missed first, is the miss; the others
 * joined.
 */
static void wake(struct worker *w, struct conn *c, struct conn *starter, const char *name,
		 enum fill_wake why, int err)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];
	struct conn *next;

	shown(name, shown_name, sizeof(shown_name));
	for (; c; c = next) {
		next = c->fill_next;
		c->fill_next = NULL;
		c->fill_wait = NULL;
		if (c->dead)
			continue;
		switch (why) {
		case WAKE_FAILED:
			resp_init(c);
			respond_text(w, c, 502, NULL, "the fill of \"%s\" from the origin failed",
				     shown_name);
			break;
		case WAKE_ERROR:
			resp_init(c);
			respond_text(w, c, 503, NULL, "cannot fill \"%s\" from the origin: %s",
				     shown_name, strerror(err));
			break;
		default:
			if (why != WAKE_BYPASS) {
				atomic_fetch_add(&origin_count.misses, 1);
				if (why == WAKE_CREATED && c == starter) {
					c->park_cache = "miss";
				} else {
					atomic_fetch_add(&origin_count.coalesced, 1);
					c->park_cache = "fill";
				}
			}
			c->origin_woke = why == WAKE_BYPASS ? ORIGIN_WOKE_BYPASS :
				ORIGIN_WOKE_FILL;
			c->origin_checked = true;
			w->respond(w, c);
			c->origin_checked = false;
			c->origin_woke = 0;
			if (!c->parked)
				c->park_cache = NULL;
		}
		w->resume(w, c);
	}
}

/*
 * The head read is over (@err: how it failed): CREATE with the rate it
 * told, start the loader, and let the waiting requests go on.
 */
static void probe_end(struct fill *f, int err)
{
	struct worker *w = f->w;
	struct conn *waiters = f->waiters, *starter = f->starter;
	char name[VCACHE_NAME_MAX];
	struct vcache_info info;
	enum fill_wake why;
	uint32_t num, den;
	int vfd;

	f->waiters = f->starter = NULL;
	memcpy(name, f->name, sizeof(name));
	if (err) {
		atomic_fetch_add(&origin_count.fill_errors, 1);
		worker_warn(w, "origin fill of %s failed: reading its first %" PRIu64 " bytes: %s",
			    f->name, f->head->want, strerror(-err));
		fill_free(f);
		wake(w, waiters, starter, name, WAKE_FAILED, 0);
		return;
	}
	head_rate(f, &num, &den);
	head_free(f);
	vfd = fill_create(f->name, f->st.st_size, num, den);
	if (vfd < 0) {
		if (vfd == -EEXIST)
			why = WAKE_JOINED;
		else if (vfd == -EFBIG || vfd == -ENOSPC || vfd == -ENOMEM)
			why = WAKE_BYPASS;	/* larger than the cache, or nothing to evict */
		else
			why = WAKE_ERROR;
		fill_free(f);
		wake(w, waiters, starter, name, why, -vfd);
		return;
	}
	f->vfd = vfd;
	err = fill_begin(w, f, f->st.st_size);
	if (err) {
		fill_free(f);	/* the video is abandoned: the kernel deletes it */
		atomic_fetch_add(&origin_count.fill_errors, 1);
		wake(w, waiters, starter, name, WAKE_ERROR, -err);
		return;
	}
	atomic_fetch_add(&origin_count.fills, 1);
	if (!ioctl(vfd, VCACHE_IOC_INFO, &info))
		origin_fresh_record(info.id, &f->st);
	/* They find it LOADING, and wait in the kernel for its bytes. */
	wake(w, waiters, starter, name, WAKE_CREATED, 0);
	fill_run(f);
}

/* EP_FILL while the head is read: its completion. */
static void head_event(struct fill *f)
{
	struct fill_head *h = f->head;
	int err = vaio_reap(&h->aio, head_reaped, h);

	if (err < 0) {
		probe_end(f, err);	/* a broken engine: head_free() waits for the read */
		return;
	}
	if (!h->done)
		return;
	if (h->res == -EINVAL && h->fd >= 0) {
		/* O_DIRECT refused after all (a larger logical block): buffered. */
		close(h->fd);
		h->fd = -1;
		h->len = h->want;
		err = head_submit(f);
	} else if (h->res < 0) {
		err = (int)h->res;
	} else {
		h->got += h->res;
		if (h->got > h->want)
			h->got = h->want;
		/* Short: O_DIRECT only at the end of the file; buffered, read on. */
		if (h->res && h->fd < 0 && h->got < h->want) {
			err = head_submit(f);
		} else {
			probe_end(f, 0);
			return;
		}
	}
	if (err)
		probe_end(f, err);
}

static void wait_on(struct fill *f, struct conn *c)
{
	c->fill_wait = f;
	c->fill_next = f->waiters;
	f->waiters = c;
	c->r.next = PLAN_WAIT;
}

void origin_unwait(struct conn *c)
{
	struct fill *f = c->fill_wait;
	struct conn **pp;

	if (!f)
		return;
	for (pp = &f->waiters; *pp; pp = &(*pp)->fill_next) {
		if (*pp == c) {
			*pp = c->fill_next;
			break;
		}
	}
	if (f->starter == c)
		f->starter = NULL;
	c->fill_wait = NULL;
	c->fill_next = NULL;
}

/*
 * A miss of @name by @c: fill it from the origin if it is there. Returns
 * ORIGIN_FOUND when @c waits (PLAN_WAIT) for a head read of @name, ours
 * just started or one under way in this worker; or why not, with *@err.
 */
static enum origin_verdict origin_fill(struct worker *w, struct conn *c, const char *name,
				       int *err)
{
	enum origin_verdict v;
	struct fill_head *h;
	unsigned int dir;
	struct fill *f;
	struct stat st;
	int in;

	for (f = w->fills; f; f = f->next) {
		if (f->head && !strcmp(f->name, name)) {
			wait_on(f, c);
			return ORIGIN_FOUND;
		}
	}
	if (w->nfills >= ORIGIN_FILLS_MAX) {
		*err = EBUSY;
		return ORIGIN_ERROR;
	}
	v = origin_lookup(cfg.origin_fds, cfg.norigins, name, &in, &st, &dir, err);
	if (v != ORIGIN_FOUND)
		return v;
	if (!st.st_size) {
		/* CREATE takes no empty video; there is nothing to serve either. */
		close(in);
		*err = ENODATA;
		return ORIGIN_REFUSED;
	}
	f = calloc(1, sizeof(*f));
	h = f ? calloc(1, sizeof(*h)) : NULL;
	if (!h) {
		free(f);
		close(in);
		*err = ENOMEM;
		return ORIGIN_ERROR;
	}
	f->kind = EP_FILL;
	f->w = w;
	f->vfd = -1;
	f->in = in;
	f->st = st;
	f->dirfd = cfg.origin_fds[dir];
	memcpy(f->name, name, strlen(name));
	h->fd = -1;
	f->head = h;
	f->next = w->fills;
	w->fills = f;
	w->nfills++;
	*err = -probe_start(f);
	if (*err) {
		fill_free(f);	/* closes in */
		atomic_fetch_add(&origin_count.fill_errors, 1);
		return ORIGIN_ERROR;
	}
	f->starter = c;
	wait_on(f, c);
	return ORIGIN_FOUND;
}

/* The worker stops: fills under way are given up (and deleted). */
void origin_stop_all(struct worker *w)
{
	while (w->fills) {
		if (w->fills->head) {
			/* Not CREATEd: nothing to delete; its waiters close with the worker. */
			while (w->fills->waiters)
				origin_unwait(w->fills->waiters);
			fill_free(w->fills);
			continue;
		}
		load_abort(w->fills->l, ESHUTDOWN);
		/* load_end() in fill_end() waits for the reads in flight. */
		fill_end(w->fills);
	}
}

void origin_totals(void)
{
	fprintf(stderr, PROG ": origin: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
		" fills, %" PRIu64 " coalesced, %" PRIu64 " fill errors, %" PRIu64
		" bytes read from the origin, %" PRIu64 " refused, %" PRIu64 " revalidated, %"
		PRIu64 " stale, %" PRIu64 " bypassed\n",
		(uint64_t)origin_count.hits, (uint64_t)origin_count.misses,
		(uint64_t)origin_count.fills, (uint64_t)origin_count.coalesced,
		(uint64_t)origin_count.fill_errors, (uint64_t)origin_count.origin_bytes,
		(uint64_t)origin_count.refused, (uint64_t)origin_count.revalidated,
		(uint64_t)origin_count.stale, (uint64_t)origin_count.bypassed);
}

/* What the request found, for the counters and the access log. */
static void count_found(struct conn *c)
{
	uint32_t st = c->r.v->info.state;

	if (c->park_cache) {
		/* Parked (park.c), routed again: counted when it came. */
		c->r.cache = c->park_cache;
		return;
	}
	/* A live stream (its playlist asked) is not the origin's. */
	if (st == VCACHE_STATE_LIVE || st == VCACHE_STATE_ENDED)
		return;
	if (st == VCACHE_STATE_SEALED) {
		atomic_fetch_add(&origin_count.hits, 1);
		c->r.cache = "hit";
	} else {
		atomic_fetch_add(&origin_count.coalesced, 1);
		c->r.cache = "fill";
	}
}

/*
 * The origin file @in (@st) as the video a response sends from: not in
 * the worker's table, freed by video_put() once sent. Its body goes by
 * kernel AIO (SEND_AIO) only, so that no disk read blocks the worker's
 * loop: the other paths would fault pages in (mmap), splice or pread in
 * the loop. Through a second descriptor opened O_DIRECT where the file
 * system has it, because kernel AIO of a buffered file does its read
 * inside io_submit(2): O_DIRECT reads are queued to the disk and complete
 * through the AIO eventfd. Where O_DIRECT is refused (tmpfs before Linux
 * 6.6, some FUSE mounts) the buffered descriptor is read, synchronously
 * in io_submit; for tmpfs that is a copy from memory. The validators are
 * the file's: ETag of (inode, size, mtime), Last-Modified its mtime.
 */
static struct video *bypass_video(struct worker *w, const char *name, int in,
				  const struct stat *st, unsigned int dir)
{
	struct video *v = calloc(1, sizeof(*v));
	int fd, fl;

	if (!v) {
		close(in);
		return NULL;
	}
	fd = origin_openat(cfg.origin_fds[dir], name, O_RDONLY | O_DIRECT | O_NONBLOCK);
	fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (fl >= 0 && !fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		close(in);
		v->fd = fd;
		v->dio_align = BYPASS_ALIGN;
	} else {
		if (fd >= 0)
			close(fd);
		v->fd = in;
	}
	memcpy(v->name, name, strlen(name));
	v->info.size = st->st_size;
	v->info.capacity = st->st_size;
	v->info.state = VCACHE_STATE_SEALED;
	v->info.id = st->st_ino;
	v->info.seal_time_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	v->refs = 1;
	v->stale = true;	/* video_put() frees it */
	w->nvideos++;		/* video_free() counts it out */
	return v;
}

bool plan_video_fill(struct worker *w, struct conn *c, const char *name)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];
	enum origin_verdict v;
	unsigned int bdir = 0;
	int err, bypass = -1;
	struct stat bst = { 0 };

	c->r.v = video_get(w, name, &err);
	if (c->r.v) {
		if (origin_fresh_check(w, c, name))
			return false;	/* routed again once checked */
		count_found(c);
		return true;
	}
	if (err != ENOENT)
		return plan_video_get(w, c, name);	/* its 503 */
	shown(name, shown_name, sizeof(shown_name));
	if (c->origin_woke == ORIGIN_WOKE_FILL) {
		/* Routed again after the head read: the fill failed at once. */
		respond_text(w, c, 502, NULL, "the fill of \"%s\" from the origin failed",
			     shown_name);
		return false;
	}
	if (c->origin_woke == ORIGIN_WOKE_BYPASS || origin_nofit(name)) {
		/* The cache could not take it: the file is sent, not filled again. */
		v = origin_lookup(cfg.origin_fds, cfg.norigins, name, &bypass, &bst, &bdir, &err);
		if (v == ORIGIN_FOUND)
			v = ORIGIN_BYPASS;
	} else {
		v = origin_fill(w, c, name, &err);
	}
	switch (v) {
	case ORIGIN_FOUND:
		return false;	/* waits for the head read (PLAN_WAIT), then routed again */
	case ORIGIN_BYPASS:
		c->r.v = bypass_video(w, name, bypass, &bst, bdir);
		if (!c->r.v) {
			respond_text(w, c, 503, NULL, "out of memory");
			return false;
		}
		atomic_fetch_add(&origin_count.misses, 1);
		atomic_fetch_add(&origin_count.bypassed, 1);
		c->r.cache = "bypass";
		c->r.mode = SEND_AIO;
		return true;
	case ORIGIN_MISSING:
		respond_text(w, c, 404, NULL, "no video named \"%s\", in the cache or the origin",
			     shown_name);
		return false;
	case ORIGIN_REFUSED:
		atomic_fetch_add(&origin_count.refused, 1);
		respond_text(w, c, 403, NULL, "\"%s\" is not served from the origin: %s",
			     shown_name, strerror(err));
		return false;
	default:
		respond_text(w, c, 503, NULL, "cannot fill \"%s\" from the origin: %s",
			     shown_name, strerror(err));
		return false;
	}
}
