/* SPDX-License-Identifier: GPL-2.0 */
/*
 * load: copy a regular file into a video that is LOADING, with kernel AIO,
 * from the disk straight into the video's pages.
 *
 * The video is mapped writable a window at a time (see LOAD_WINDOW), and
 * IOCB_CMD_PREAD requests of LOAD_CHUNK bytes, LOAD_DEPTH of them in flight,
 * read the file into the mapping: with O_DIRECT where the file system
 * supports it, the device DMAs into the video's pages and the page cache is
 * not involved; otherwise buffered AIO copies from the page cache into them.
 * Either way there is no buffer of ours in between. O_DIRECT needs lengths
 * that are whole logical blocks, so the file's last partial block is read
 * with one buffered AIO request. VCACHE_IOC_COMMIT publishes each window once
 * every byte of it (and below it) is in.
 *
 * The chunk planning and the bookkeeping of windows, short reads and the end
 * of the file (struct load_plan, struct load_track) are pure, for host tests.
 *
 * Errors, as everywhere in user/lib/: 0 on success, a negative errno on
 * failure. (Inside load.c, the loader keeps the first error as a positive
 * errno, as errno itself is, and load_file() negates it on the way out.)
 */
#ifndef VCACHE_USER_LOAD_H
#define VCACHE_USER_LOAD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define LOAD_MiB	(1024 * 1024ULL)
/* Bytes per read request. */
#define LOAD_CHUNK	(1 * LOAD_MiB)
/* Requests in flight: enough to keep a disk's queue busy. */
#define LOAD_DEPTH	8
/*
 * The video is mapped this much at a time rather than whole: the pages of
 * a mapping count in our RSS, and a loader whose RSS is the size of the
 * video is the first thing the OOM killer picks. LOAD_WINDOWS of them may be
 * mapped at once, so that the requests run on into the next window while
 * the last ones of the current window are in flight.
 */
#define LOAD_WINDOW	(8 * LOAD_MiB)
#define LOAD_WINDOWS	2

/* One read: [off, off + len) of the file at the same offset in the video. */
struct load_chunk {
	uint64_t off;
	uint64_t len;
	bool direct;		/* through the O_DIRECT descriptor */
	bool map_first;		/* the first read into its window: map it */
	uint64_t win;		/* off / window */
};

/**
 * struct load_plan - how a file of @total bytes is cut into reads
 * @total:      bytes to read.
 * @chunk:      bytes per read, a multiple of @align.
 * @window:     bytes per mapping window, a multiple of @chunk.
 * @align:      O_DIRECT offset and length alignment; 0 for buffered reads.
 * @direct_end: reads below it go through O_DIRECT: @total rounded down to
 *              @align (0 when buffered). [direct_end, total) is the tail.
 * @nchunks:    reads in all.
 */
struct load_plan {
	uint64_t total;
	uint64_t chunk;
	uint64_t window;
	uint64_t align;
	uint64_t direct_end;
	uint64_t nchunks;
};

/*
 * Returns 0, or -EINVAL if @chunk or @window is 0, @window is not a
 * multiple of @chunk, or @align (if not 0) is not a power of two dividing
 * @chunk.
 */
int load_plan_init(struct load_plan *p, uint64_t total, uint64_t chunk,
		   uint64_t window, uint64_t align);
/* Read number @i (< nchunks) of the plan. */
void load_plan_chunk(const struct load_plan *p, uint64_t i, struct load_chunk *c);

/**
 * struct load_track - reads in flight, windows mapped, what is committed
 * @plan:      the plan.
 * @depth:     most reads in flight.
 * @direct:    reads of the plan's direct part still go through O_DIRECT
 *             (cleared by load_track_no_direct()).
 * @next:      the next read of the plan to hand out.
 * @in_flight: reads handed out and not yet done.
 * @eof:       where the file turned out to end (a read returned 0 there);
 *             @plan.total until then.
 * @lo:        the lowest window not yet retired.
 * @pending:   reads in flight per window, by window % LOAD_WINDOWS.
 * @committed: bytes published so far.
 * @stopped:   hand out no more reads (an error or a signal).
 */
struct load_track {
	struct load_plan plan;
	unsigned int depth;
	bool direct;
	uint64_t next;
	unsigned int in_flight;
	uint64_t eof;
	uint64_t lo;
	unsigned int pending[LOAD_WINDOWS];
	uint64_t committed;
	bool stopped;
};

void load_track_init(struct load_track *t, const struct load_plan *p,
		     unsigned int depth);
/*
 * The next read to submit, if the depth, the windows and the end of the
 * file allow one now. Its window is mapped when c->map_first.
 */
bool load_track_next(struct load_track *t, struct load_chunk *c);
/*
 * @c completed with @got bytes (0 <= got <= c->len). Returns true if a
 * rest is left to read: @c then describes it (buffered, since it is no
 * longer aligned) and stays in flight; submit it again.
 */
bool load_track_done(struct load_track *t, struct load_chunk *c, uint64_t got);
/* Reads of the direct part go buffered from now on. */
void load_track_no_direct(struct load_track *t);
/*
 * The lowest window, if it is finished: no read of it in flight and none
 * left to hand out. Returns true with @win (to unmap) and @commit (the size
 * to publish, which covers only bytes read); then call load_track_retire().
 */
bool load_track_finished(const struct load_track *t, uint64_t *win, uint64_t *commit);
void load_track_retire(struct load_track *t, uint64_t commit);
/* Every read done and every window retired. */
bool load_track_over(const struct load_track *t);

/* How load_file() read the file. */
enum load_mode {
	LOAD_AIO_DIRECT,	/* kernel AIO, O_DIRECT (tail buffered) */
	LOAD_AIO_BUFFERED,	/* kernel AIO through the page cache */
	LOAD_SYNC,		/* no kernel AIO: preadv2() into the mapping */
};

/* Which step failed, for the caller's message. */
enum load_step {
	LOAD_STEP_NONE,
	LOAD_STEP_SETUP,	/* no memory, no eventfd */
	LOAD_STEP_MAP,		/* mapping the video writable */
	LOAD_STEP_READ,		/* reading the file */
	LOAD_STEP_FULL,		/* the cache ran out of memory under a read */
	LOAD_STEP_COMMIT,
	LOAD_STEP_STOP,		/* *stop was set */
};

/**
 * struct load_job - one load_file()
 * @vfd:      descriptor of the video, bound, writable, LOADING.
 * @in:       the file, opened O_RDONLY.
 * @path:     its path, reopened with O_DIRECT.
 * @total:    bytes to load (the file's size).
 * @stop:     set by a signal handler to stop; may be NULL.
 * @progress: called with the bytes published so far; may be NULL.
 * @open_direct: opens the file again with O_DIRECT and returns the
 *            descriptor or a negative errno; NULL: open(@path). For a
 *            caller that must not open by path (the streamer's origin
 *            lookup stays beneath its directory).
 * @arg:      for @progress and @open_direct.
 *
 * Out:
 * @size:     bytes loaded: @total, or less if the file shrank meanwhile.
 * @mode:     how the file was read.
 * @why:      why O_DIRECT or kernel AIO was not used, "" if it was.
 * @align:    O_DIRECT alignment used (LOAD_AIO_DIRECT).
 * @requests: read requests submitted, resubmissions included...
 * @direct:   ...of which through O_DIRECT.
 * @submits:  io_submit(2) calls (or synchronous batches).
 * @step:     what failed.
 */
struct load_job {
	int vfd;
	int in;
	const char *path;
	uint64_t total;
	volatile sig_atomic_t *stop;
	void (*progress)(void *arg, uint64_t done);
	int (*open_direct)(void *arg);
	void *arg;

	uint64_t size;
	enum load_mode mode;
	char why[256];
	uint64_t align;
	uint64_t requests;
	uint64_t direct;
	uint64_t submits;
	enum load_step step;
};

/* Returns 0, or a negative errno with @job->step saying where. */
int load_file(struct load_job *job);

/*
 * load_file() a step at a time, for a caller with an event loop of its own
 * (vcache-streamer's origin fill): nothing here ever blocks but
 * load_end() while reads are still in flight.
 *
 *	load_begin(job, &l);			// 0 or a negative errno
 *	watch load_eventfd(l) for POLLIN;
 *	while (!load_step(l)) {			// true: every read is done
 *		... the descriptor polls readable ...
 *		load_reap(l);
 *	}
 *	err = load_end(l);			// load_file()'s result
 *
 * load_step() hands out the reads the windows allow and publishes
 * (COMMIT, then @job->progress) the windows that are complete.
 * load_abort() stops handing out reads (the caller's reason, reported as
 * LOAD_STEP_STOP); load_step() then returns true once what is in flight
 * has come back.
 */
struct loader;

int load_begin(struct load_job *job, struct loader **l);
int load_eventfd(const struct loader *l);
bool load_step(struct loader *l);
int load_reap(struct loader *l);
void load_abort(struct loader *l, int err);
int load_end(struct loader *l);

/*
 * Reads the first @len bytes of @fd (a regular file) into @buf with one
 * kernel AIO request (buffered), retrying short reads, so that the load
 * does no read(2) of the file at all. *@got is what was there. Returns 0
 * or a negative errno.
 */
int load_read_head(int fd, void *buf, uint64_t len, uint64_t *got);

/* A one-line description of how @job read the file, for -v. */
void load_describe(const struct load_job *job, char *buf, unsigned int size);

#endif /* VCACHE_USER_LOAD_H */
