// SPDX-License-Identifier: GPL-2.0
/*
 * load: a regular file into a LOADING video with kernel AIO (see load.h).
 *
 * Kernel AIO through user/lib/aio.c rather than a thread or io_uring: it is the
 * engine the rest of vcache uses, it is asynchronous for real with O_DIRECT
 * (buffered AIO reads run inside io_submit(), which costs nothing here: the
 * copy has to happen anyway), and it falls back to synchronous preadv2()
 * where the kernel has no AIO, with the same code path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vcache.h>
#include "aio.h"
#include "load.h"

/* --- the plan and its bookkeeping (pure) ---------------------------------- */

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + !!(a % b);
}

int load_plan_init(struct load_plan *p, uint64_t total, uint64_t chunk,
		   uint64_t window, uint64_t align)
{
	memset(p, 0, sizeof(*p));
	if (!chunk || !window || window % chunk)
		return -EINVAL;
	if (align && ((align & (align - 1)) || chunk % align))
		return -EINVAL;
	p->total = total;
	p->chunk = chunk;
	p->window = window;
	p->align = align;
	p->direct_end = align ? total & ~(align - 1) : 0;
	/*
	 * Whole chunks up to direct_end, then the rest: the tail, shorter
	 * than a block, in one buffered read; or everything, when buffered.
	 */
	p->nchunks = div_up(p->direct_end, chunk) +
		     (align ? total > p->direct_end : div_up(total, chunk));
	return 0;
}

void load_plan_chunk(const struct load_plan *p, uint64_t i, struct load_chunk *c)
{
	uint64_t nd = div_up(p->direct_end, p->chunk);

	memset(c, 0, sizeof(*c));
	if (i < nd) {
		c->off = i * p->chunk;
		c->len = min64(p->chunk, p->direct_end - c->off);
		c->direct = true;
	} else {
		c->off = p->direct_end + (i - nd) * p->chunk;
		c->len = min64(p->chunk, p->total - c->off);
	}
	c->win = c->off / p->window;
	/* Reads tile the file from 0, so each window's first starts it. */
	c->map_first = c->off % p->window == 0;
}

void load_track_init(struct load_track *t, const struct load_plan *p,
		     unsigned int depth)
{
	memset(t, 0, sizeof(*t));
	t->plan = *p;
	t->depth = depth ? depth : 1;
	t->direct = p->align != 0;
	t->eof = p->total;
}

/* No read is left to hand out; *@c is the next one otherwise. */
static bool exhausted(const struct load_track *t, struct load_chunk *c)
{
	if (t->stopped || t->next >= t->plan.nchunks)
		return true;
	load_plan_chunk(&t->plan, t->next, c);
	return c->off >= t->eof;
}

/* Where the reads handed out so far end: windows below it were mapped. */
static uint64_t handed_end(const struct load_track *t)
{
	struct load_chunk c;

	if (!t->next)
		return 0;
	load_plan_chunk(&t->plan, t->next - 1, &c);
	return c.off + c.len;
}

bool load_track_next(struct load_track *t, struct load_chunk *c)
{
	if (exhausted(t, c) || t->in_flight >= t->depth ||
	    c->win >= t->lo + LOAD_WINDOWS)
		return false;
	if (!t->direct)
		c->direct = false;
	t->next++;
	t->in_flight++;
	t->pending[c->win % LOAD_WINDOWS]++;
	return true;
}

bool load_track_done(struct load_track *t, struct load_chunk *c, uint64_t got)
{
	if (got && got < c->len) {
		/* Not at an aligned offset any more: the rest goes buffered. */
		c->off += got;
		c->len -= got;
		c->direct = false;
		c->map_first = false;
		return true;
	}
	if (!got && c->len && c->off < t->eof)
		t->eof = c->off;	/* the file shrank since its fstat() */
	t->in_flight--;
	t->pending[c->win % LOAD_WINDOWS]--;
	return false;
}

void load_track_no_direct(struct load_track *t)
{
	t->direct = false;
}

bool load_track_finished(const struct load_track *t, uint64_t *win, uint64_t *commit)
{
	const struct load_plan *p = &t->plan;
	struct load_chunk c;

	if (t->lo * p->window >= handed_end(t) || t->pending[t->lo % LOAD_WINDOWS])
		return false;
	if (!exhausted(t, &c) && c.win <= t->lo)
		return false;
	*win = t->lo;
	/* After a failure nothing more is published: the load is lost. */
	*commit = t->stopped ? t->committed :
		  min64(min64((t->lo + 1) * p->window, p->total), t->eof);
	return true;
}

void load_track_retire(struct load_track *t, uint64_t commit)
{
	if (commit > t->committed)
		t->committed = commit;
	t->lo++;
}

bool load_track_over(const struct load_track *t)
{
	struct load_chunk c;

	return !t->in_flight && exhausted(t, &c) &&
	       t->lo * t->plan.window >= handed_end(t);
}

/* --- the I/O ---------------------------------------------------------------- */

struct load_req {
	struct vaio_iocb cb;
	struct load_chunk c;
	struct load_req *next;
};

struct loader {
	struct load_job *job;
	struct load_track t;
	struct vaio aio;
	int dfd;			/* the O_DIRECT descriptor, or -1 */
	char *map[LOAD_WINDOWS];
	uint64_t map_len[LOAD_WINDOWS];
	struct load_req reqs[LOAD_DEPTH];
	struct load_req *free;
	struct load_req *again;		/* rests and retries to submit */
	int err;
	bool direct_ok;			/* an O_DIRECT read succeeded */
};

static const char *load_errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "?";
}

static uint64_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static void fail_at(struct loader *l, int err, enum load_step step)
{
	if (!l->err) {
		l->err = err;
		l->job->step = step;
	}
	l->t.stopped = true;
}

/*
 * Opens a second descriptor with O_DIRECT if the file system takes it;
 * returns the alignment its reads need, or 0 (buffered) with the reason in
 * job->why. statx() tells the alignment on 6.1 and later, where the file
 * system reports it; elsewhere a page is enough for any usual logical block
 * size, and the open itself tells whether O_DIRECT is there at all.
 */
static uint64_t open_direct(struct loader *l)
{
	struct load_job *job = l->job;
	uint64_t align = page_size();
	struct statx sx;
	struct stat a, b;
	int fd;

	if (!statx(job->in, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
	    (sx.stx_mask & STATX_DIOALIGN)) {
		uint32_t oa = sx.stx_dio_offset_align, ma = sx.stx_dio_mem_align;

		if (!oa) {
			snprintf(job->why, sizeof(job->why),
				 "statx: the file system does not support O_DIRECT");
			return 0;
		}
		/* Mappings are page-aligned, and reads are LOAD_CHUNK apart. */
		if ((oa & (oa - 1)) || oa > LOAD_CHUNK || ma > page_size()) {
			snprintf(job->why, sizeof(job->why),
				 "O_DIRECT wants %" PRIu32 "-byte offsets and %" PRIu32
				 "-byte buffers", oa, ma);
			return 0;
		}
		align = oa;
	}
	fd = job->open_direct ? job->open_direct(job->arg) :
	     open(job->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		int err = job->open_direct ? -fd : errno;

		snprintf(job->why, sizeof(job->why), "open with O_DIRECT: %s%s",
			 load_errname(err), err == EINVAL ?
			 " (the file system does not support it)" : "");
		return 0;
	}
	/* The path names what we opened before, not a file put there since. */
	if (fstat(job->in, &a) || fstat(fd, &b) || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close(fd);
		snprintf(job->why, sizeof(job->why),
			 "the path names another file now");
		return 0;
	}
	l->dfd = fd;
	return align;
}

static void put_req(struct loader *l, struct load_req *r)
{
	r->next = l->free;
	l->free = r;
}

static void on_done(struct vaio *ctx, struct vaio_iocb *cb, void *cookie,
		    long res, void *arg)
{
	struct loader *l = arg;
	struct load_req *r = cookie;
	struct load_job *job = l->job;

	if (res == -EINVAL && r->c.direct && !l->t.stopped) {
		/*
		 * The open took O_DIRECT but the read does not (a file system
		 * that checks late, or alignment statx did not tell): read
		 * it all through the page cache instead, this one included.
		 */
		if (l->t.direct) {
			load_track_no_direct(&l->t);
			job->mode = LOAD_AIO_BUFFERED;
			snprintf(job->why, sizeof(job->why),
				 "O_DIRECT read at %" PRIu64 ": EINVAL%s", r->c.off,
				 l->direct_ok ? "" : " (the first one)");
		}
		r->c.direct = false;
		r->next = l->again;
		l->again = r;
		return;
	}
	if (res < 0) {
		/*
		 * The video's pages are allocated as the read touches them:
		 * when the cache is out of memory that fault fails, and the
		 * read reports EFAULT (a copy) or ENOMEM (O_DIRECT pinning).
		 */
		fail_at(l, -res, res == -EFAULT || res == -ENOMEM ? LOAD_STEP_FULL :
			LOAD_STEP_READ);
		load_track_done(&l->t, &r->c, r->c.len);
		put_req(l, r);
		return;
	}
	if (r->c.direct && res)
		l->direct_ok = true;
	if ((uint64_t)res > r->c.len)
		res = r->c.len;		/* cannot happen; never trust it */
	if (load_track_done(&l->t, &r->c, res)) {
		r->next = l->again;
		l->again = r;
		return;
	}
	put_req(l, r);
}

static void prep_read(struct loader *l, struct load_req *r)
{
	const struct load_plan *p = &l->t.plan;
	char *base = l->map[r->c.win % LOAD_WINDOWS];
	int fd = r->c.direct ? l->dfd : l->job->in;

	vaio_prep_pread(&r->cb, fd, base + (r->c.off - r->c.win * p->window),
			r->c.len, r->c.off, r);
}

static int map_window(struct loader *l, uint64_t win)
{
	const struct load_plan *p = &l->t.plan;
	unsigned int slot = win % LOAD_WINDOWS;
	uint64_t off = win * p->window;
	uint64_t len = min64(p->window, p->total - off);
	void *m;

	len = (len + page_size() - 1) & ~(page_size() - 1);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, l->job->vfd, off);
	if (m == MAP_FAILED)
		return errno;
	l->map[slot] = m;
	l->map_len[slot] = len;
	return 0;
}

static void unmap_window(struct loader *l, uint64_t win)
{
	unsigned int slot = win % LOAD_WINDOWS;

	if (l->map[slot])
		munmap(l->map[slot], l->map_len[slot]);
	l->map[slot] = NULL;
}

/* Publishes and unmaps the windows that are done. */
static void retire(struct loader *l)
{
	struct load_job *job = l->job;
	uint64_t win, size;

	while (load_track_finished(&l->t, &win, &size)) {
		if (size > l->t.committed && !l->t.stopped) {
			struct vcache_commit commit;

			memset(&commit, 0, sizeof(commit));
			commit.size = size;
			if (ioctl(job->vfd, VCACHE_IOC_COMMIT, &commit)) {
				fail_at(l, errno, LOAD_STEP_COMMIT);
				size = l->t.committed;
			}
		}
		unmap_window(l, win);
		load_track_retire(&l->t, size);
		if (job->progress)
			job->progress(job->arg, l->t.committed);
	}
}

/* Hands out what may go now (rests first) and submits it in one call. */
static void submit(struct loader *l)
{
	struct vaio_iocb *cbs[LOAD_DEPTH];
	struct load_req *batch[LOAD_DEPTH], *r;
	struct load_chunk c;
	unsigned int n = 0, i;
	int got, err;

	while (l->again && n < LOAD_DEPTH) {
		r = l->again;
		l->again = r->next;
		if (l->t.stopped) {
			load_track_done(&l->t, &r->c, r->c.len);
			put_req(l, r);
			continue;
		}
		batch[n++] = r;
	}
	while (l->free && n < LOAD_DEPTH && load_track_next(&l->t, &c)) {
		err = c.map_first ? map_window(l, c.win) : 0;

		if (err) {
			fail_at(l, err, LOAD_STEP_MAP);
			load_track_done(&l->t, &c, c.len);
			break;
		}
		r = l->free;
		l->free = r->next;
		r->c = c;
		batch[n++] = r;
	}
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		prep_read(l, batch[i]);
		cbs[i] = &batch[i]->cb;
	}
	l->job->submits++;
	got = vaio_submit(&l->aio, cbs, n);
	for (i = 0; got > 0 && i < (unsigned int)got; i++) {
		l->job->requests++;
		l->job->direct += batch[i]->c.direct;
	}
	/*
	 * EAGAIN is the kernel's (or the engine's) ring being full, not a
	 * request's fault: once completions are reaped there is room again.
	 * It can only be waited out while something is in flight.
	 */
	if (got == -EAGAIN && vaio_in_flight(&l->aio))
		got = 0;
	/*
	 * A short count says nothing about the rest: io_submit() stops at
	 * EAGAIN as at a bad request. They all go again, after the reap;
	 * a request the kernel refuses is then the first of a submission,
	 * and its own error comes back (got < 0).
	 */
	err = got < 0 ? -got : 0;
	for (i = n; i-- > (got < 0 ? 1U : (unsigned int)got);) {
		r = batch[i];
		r->next = l->again;	/* in order: batch[got] first */
		l->again = r;
	}
	if (got >= 0)
		return;
	r = batch[0];
	if (err == EINVAL && r->c.direct) {
		/* The synchronous engine's O_DIRECT refusal: as on_done(). */
		on_done(&l->aio, &r->cb, r, -EINVAL, l);
	} else {
		/* A bad descriptor or offset, or EAGAIN with nothing in flight. */
		fail_at(l, err, LOAD_STEP_READ);
		load_track_done(&l->t, &r->c, r->c.len);
		put_req(l, r);
	}
}

static int wait_and_reap(struct loader *l)
{
	struct pollfd pfd = { .fd = vaio_eventfd(&l->aio), .events = POLLIN };
	int n;

	/*
	 * Completions that came inside io_submit() (buffered reads do) are
	 * in the ring already: look before sleeping.
	 */
	n = vaio_reap(&l->aio, on_done, l);
	if (n)
		return n < 0 ? -n : 0;
	if (poll(&pfd, 1, -1) < 0) {
		if (errno != EINTR)
			return errno;
		if (l->job->stop && *l->job->stop)
			fail_at(l, EINTR, LOAD_STEP_STOP);
		return 0;
	}
	n = vaio_reap(&l->aio, on_done, l);
	return n < 0 ? -n : 0;
}

/*
 * The AIO context's size: LOAD_DEPTH, or less for the tests, through
 * VCACHE_AIO_DEPTH (1 to LOAD_DEPTH). Smaller than the batches submit()
 * hands it, it makes io_submit() come back short and EAGAIN, as a busy
 * kernel does, deterministically.
 */
static unsigned int aio_depth(void)
{
	const char *e = getenv("VCACHE_AIO_DEPTH");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return LOAD_DEPTH;
	v = strtoul(e, &end, 10);
	return !*end && v >= 1 && v <= LOAD_DEPTH ? v : LOAD_DEPTH;
}

int load_begin(struct load_job *job, struct loader **out)
{
	struct loader *l;
	struct load_plan plan;
	uint64_t align;
	unsigned int i;
	int err;

	*out = NULL;
	job->size = 0;
	job->why[0] = '\0';
	job->requests = job->direct = job->submits = 0;
	job->step = LOAD_STEP_NONE;
	l = calloc(1, sizeof(*l));
	if (!l) {
		job->step = LOAD_STEP_SETUP;
		return -ENOMEM;
	}
	l->job = job;
	l->dfd = -1;
	for (i = 0; i < LOAD_DEPTH; i++)
		put_req(l, &l->reqs[i]);

	err = vaio_init(&l->aio, aio_depth(), VAIO_QUIET);
	if (err) {
		job->step = LOAD_STEP_SETUP;
		snprintf(job->why, sizeof(job->why), "%s", vaio_reason(&l->aio));
		free(l);
		return err;
	}
	align = job->total ? open_direct(l) : 0;
	job->align = align;
	if (vaio_is_sync(&l->aio)) {
		job->mode = LOAD_SYNC;
		snprintf(job->why, sizeof(job->why), "%s", vaio_reason(&l->aio));
	} else {
		job->mode = align ? LOAD_AIO_DIRECT : LOAD_AIO_BUFFERED;
	}
	load_plan_init(&plan, job->total, LOAD_CHUNK, LOAD_WINDOW, align);
	load_track_init(&l->t, &plan, LOAD_DEPTH);
	*out = l;
	return 0;
}

int load_eventfd(const struct loader *l)
{
	return vaio_eventfd(&l->aio);
}

bool load_step(struct loader *l)
{
	struct load_job *job = l->job;

	if (job->stop && *job->stop && !l->t.stopped)
		fail_at(l, EINTR, LOAD_STEP_STOP);
	retire(l);
	if (load_track_over(&l->t))
		return true;
	submit(l);
	/* A failure at submission with nothing in flight ends it now. */
	retire(l);
	return load_track_over(&l->t);
}

int load_reap(struct loader *l)
{
	int n = vaio_reap(&l->aio, on_done, l);

	if (n < 0)
		/* The engine is broken: what is in flight is lost to us. */
		fail_at(l, -n, LOAD_STEP_READ);
	return n < 0 ? n : 0;
}

void load_abort(struct loader *l, int err)
{
	fail_at(l, err, LOAD_STEP_STOP);
}

int load_end(struct loader *l)
{
	struct load_job *job = l->job;
	unsigned int i;
	int err;

	/* io_destroy() waits for anything still in flight before the unmap. */
	vaio_destroy(&l->aio);
	for (i = 0; i < LOAD_WINDOWS; i++)
		if (l->map[i])
			munmap(l->map[i], l->map_len[i]);
	if (l->dfd >= 0)
		close(l->dfd);
	job->size = l->t.committed;
	err = l->err;
	free(l);
	return -err;
}

int load_file(struct load_job *job)
{
	struct loader *l;
	int err;

	err = load_begin(job, &l);
	if (err)
		return err;
	while (!load_step(l)) {
		if (!l->t.in_flight)
			continue;
		err = wait_and_reap(l);
		if (err) {
			fail_at(l, err, LOAD_STEP_READ);
			break;
		}
	}
	return load_end(l);
}

static void head_done(struct vaio *ctx, struct vaio_iocb *cb, void *cookie,
		      long res, void *arg)
{
	*(long *)arg = res;
}

int load_read_head(int fd, void *buf, uint64_t len, uint64_t *got)
{
	struct vaio aio;
	struct vaio_iocb cb, *cbs[] = { &cb };
	int err;

	*got = 0;
	err = vaio_init(&aio, 1, VAIO_QUIET);
	if (err)
		return err;
	while (*got < len) {
		struct pollfd pfd = { .fd = vaio_eventfd(&aio), .events = POLLIN };
		long res = -EIO;
		int n;

		vaio_prep_pread(&cb, fd, (char *)buf + *got, len - *got, *got, NULL);
		n = vaio_submit(&aio, cbs, 1);
		if (n < 0) {
			err = n;
			break;
		}
		while (!(n = vaio_reap(&aio, head_done, &res))) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				break;
		}
		if (n < 0 || res < 0) {
			err = n < 0 ? n : res;
			break;
		}
		if (!res)
			break;
		*got += res;
	}
	vaio_destroy(&aio);
	return err;
}

static const char *hsize(uint64_t n, char *buf, size_t size)
{
	if (n >= LOAD_MiB && !(n % LOAD_MiB))
		snprintf(buf, size, "%" PRIu64 " MiB", (uint64_t)(n / LOAD_MiB));
	else
		snprintf(buf, size, "%" PRIu64 " bytes", n);
	return buf;
}

void load_describe(const struct load_job *job, char *buf, unsigned int size)
{
	char chunk[32], tail[64] = "", why[264] = "";
	size_t n;
	uint64_t rest = job->total % (job->align ? job->align : 1);

	if (!job->total) {
		snprintf(buf, size, "no request: the file is empty");
		return;
	}
	hsize(LOAD_CHUNK, chunk, sizeof(chunk));
	if (job->why[0])
		snprintf(why, sizeof(why), " (%s)", job->why);
	switch (job->mode) {
	case LOAD_AIO_DIRECT:
		if (rest)
			snprintf(tail, sizeof(tail), ", the last %" PRIu64
				 " bytes buffered", rest);
		snprintf(buf, size, "kernel AIO with O_DIRECT (%" PRIu64 "-byte blocks%s)",
			 job->align, tail);
		break;
	case LOAD_AIO_BUFFERED:
		snprintf(buf, size, "buffered kernel AIO%s", why);
		break;
	case LOAD_SYNC:
		snprintf(buf, size, "preadv2(2)%s%s", job->direct ? " with O_DIRECT" : "", why);
		break;
	}
	n = strlen(buf);
	snprintf(buf + n, size - n, ", straight into the video's mapping, %d x %s in flight: %" PRIu64
		 " requests (%" PRIu64 " O_DIRECT) in %" PRIu64 " submissions",
		 LOAD_DEPTH, chunk, job->requests, job->direct, job->submits);
}
