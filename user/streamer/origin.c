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

struct origin_counters origin_count;

/*
 * The frame rate a fill CREATEs with: CREATE needs one before any byte is
 * read, and reading the head first (as vcachectl load does) would be a
 * read the loop waits for. ?t= timecodes count in it.
 */
#define FILL_FPS_NUM	25
#define FILL_FPS_DEN	1

/* O_DIRECT reads of a bypass: offsets, lengths and buffers aligned to it. */
#define BYPASS_ALIGN	4096

struct fill {
	enum ep_kind kind;		/* EP_FILL: first member */
	struct worker *w;
	struct fill *next;		/* the worker's fills */
	char name[VCACHE_NAME_MAX];
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
	if (err) {
		atomic_fetch_add(&origin_count.fill_errors, 1);
		worker_warn(w, "origin fill of %s failed after %" PRIu64 " of %" PRIu64
			    " bytes: %s", f->name, f->published, f->job.total, strerror(err));
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

void origin_event(struct worker *w, enum ep_kind *k)
{
	struct fill *f = (struct fill *)k;

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
static int fill_create(const char *name, uint64_t size)
{
	struct vcache_create req;
	int fd, err;

	fd = open(cfg.device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	memset(&req, 0, sizeof(req));
	memcpy(req.name, name, strlen(name));
	req.capacity = size;
	req.fps_num = FILL_FPS_NUM;
	req.fps_den = FILL_FPS_DEN;
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
 * A miss of @name: fill it from the origin if it is there. Returns
 * ORIGIN_FOUND when the video now exists (*@created: we started the fill;
 * else someone else fills it), ORIGIN_BYPASS when the cache cannot take
 * it (*@bypass: the file, open, *@bst its stat), or why not, with *@err.
 */
static enum origin_verdict origin_fill(struct worker *w, const char *name, bool *created,
				       int *err, int *bypass, struct stat *bst,
				       unsigned int *bdir)
{
	struct vcache_info info;
	enum origin_verdict v;
	unsigned int dir;
	struct fill *f;
	struct stat st;
	int in, vfd;

	*created = false;
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
	vfd = fill_create(name, st.st_size);
	if (vfd == -EEXIST) {
		close(in);
		return ORIGIN_FOUND;
	}
	if (vfd == -EFBIG || vfd == -ENOSPC || vfd == -ENOMEM) {
		/* Larger than the cache, or nothing left to evict: not cached. */
		*bypass = in;
		*bst = st;
		*bdir = dir;
		*err = -vfd;
		return ORIGIN_BYPASS;
	}
	if (vfd < 0) {
		close(in);
		*err = -vfd;
		return ORIGIN_ERROR;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(vfd);	/* the video is abandoned: the kernel deletes it */
		close(in);
		atomic_fetch_add(&origin_count.fill_errors, 1);
		*err = ENOMEM;
		return ORIGIN_ERROR;
	}
	f->kind = EP_FILL;
	f->w = w;
	f->vfd = vfd;
	f->in = in;
	f->dirfd = cfg.origin_fds[dir];
	memcpy(f->name, name, strlen(name));
	f->next = w->fills;
	w->fills = f;
	w->nfills++;
	*err = -fill_begin(w, f, st.st_size);
	if (*err) {
		fill_free(f);	/* closes vfd and in */
		atomic_fetch_add(&origin_count.fill_errors, 1);
		return ORIGIN_ERROR;
	}
	*created = true;
	atomic_fetch_add(&origin_count.fills, 1);
	if (!ioctl(vfd, VCACHE_IOC_INFO, &info))
		origin_fresh_record(info.id, &st);
	fill_run(f);
	return ORIGIN_FOUND;
}

/* The worker stops: fills under way are given up (and deleted). */
void origin_stop_all(struct worker *w)
{
	while (w->fills) {
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
	bool created;

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
	v = origin_fill(w, name, &created, &err, &bypass, &bst, &bdir);
	switch (v) {
	case ORIGIN_FOUND:
		break;
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
	atomic_fetch_add(&origin_count.misses, 1);
	c->r.v = video_get(w, name, &err);
	if (!c->r.v) {
		/* Someone else's fill failed already (or ours, at once). */
		respond_text(w, c, 502, NULL, "the fill of \"%s\" from the origin failed",
			     shown_name);
		return false;
	}
	if (created) {
		c->r.cache = "miss";
	} else {
		atomic_fetch_add(&origin_count.coalesced, 1);
		c->r.cache = "fill";
	}
	return true;
}
