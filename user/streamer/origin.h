/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer, below the handlers: read-through from --origin DIR.
 *
 * A GET/HEAD of /v/NAME (or of its playlists, /hls/NAME/...) that misses
 * the cache looks for DIR/NAME in each --origin directory, first match
 * wins (origin_lookup(), origin_open.c:
 * no streamer state, unit-tested on the host). The lookup never leaves
 * DIR: NAME is a cache name (the router percent-decoded it once and checked
 * it: no '/', not "." or ".."), it must not start with '.', and it is
 * opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to
 * the directory opened at start, so ".." and symlinks that lead out fail
 * in the kernel. Without openat2 (ENOSYS) nothing is served: there is no
 * equally safe fallback. The open is O_NONBLOCK (a FIFO never blocks the
 * loop), then only a regular file is taken.
 *
 * The fill (origin.c) runs in the worker's own epoll loop: one kernel AIO
 * read of the file's head (VINDEX_PROBE bytes) for the frame rate, as
 * vcachectl load probes it (?t= timecodes count in it), CREATE with that
 * rate and the file's size as capacity, then user/lib/load.c's steps (kernel AIO,
 * O_DIRECT where the file system has it, into the video's writable
 * mapping, COMMIT a window at a time), the keyframes indexed as windows
 * are published, SEAL at the end. Requests are served from the loading
 * video meanwhile: its descriptors are opened with VCACHE_OPEN_FOLLOW and
 * read by kernel AIO, whose reads past the committed size wait in the
 * kernel for the COMMIT that brings their bytes. Requests that need more
 * than bytes (an HLS playlist: the seal; a ?t=: its keyframe indexed)
 * wait the same way, parked on one such read (park.c).
 *
 * One fill per name, across workers and processes: the CREATE is the
 * lock. EEXIST means someone fills it (or it just arrived): serve from it.
 * While a worker reads a head, its other requests for the name wait on
 * that fill rather than reading the head again.
 */
#ifndef VCACHE_STREAMER_ORIGIN_H
#define VCACHE_STREAMER_ORIGIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/vcache.h>

#define ORIGIN_DIRS_MAX	16
/*
 * Fills one worker runs at once; a miss over it gets 503. Each holds four
 * descriptors (the writer, the file twice, the AIO eventfd; reading the
 * head before CREATE: the file twice and the head read's eventfd), counted in
 * loop.c's descriptor budget, and LOAD_DEPTH reads in flight.
 */
#define ORIGIN_FILLS_MAX	8

enum origin_verdict {
	ORIGIN_FOUND,		/* *fd is a regular file beneath one of the dirs */
	ORIGIN_MISSING,		/* in none of them: 404 */
	/* There, but not servable (a directory, a FIFO, a symlink out, no openat2): 403 */
	ORIGIN_REFUSED,
	ORIGIN_ERROR,		/* the lookup failed (EMFILE...): 503 */
	ORIGIN_BYPASS,		/* found, but the cache cannot take it: served from the file */
};

/* A name the origin may be asked for: a cache name, and not a dotfile. */
bool origin_name_ok(const char *name);

/*
 * Looks @name up in @dirs (descriptors of directories, @n of them), in
 * order. ORIGIN_FOUND: *@fd is open O_RDONLY (blocking reads), *@st its
 * fstat(), *@dir the index of its directory. Otherwise *@err says why
 * (a positive errno: ENOENT, EXDEV for an escape, ELOOP, ENOSYS, EISDIR,
 * EINVAL for a FIFO or device, ...).
 */
enum origin_verdict origin_lookup(const int *dirs, unsigned int n, const char *name,
				  int *fd, struct stat *st, unsigned int *dir, int *err);

/* openat2() of @name beneath @dirfd with @flags, as origin_lookup() does. */
int origin_openat(int dirfd, const char *name, int flags);

/* conn->origin_woke: a request routed again after a fill's head read. */
#define ORIGIN_WOKE_FILL	1	/* the video was CREATEd: a miss now means it failed */
#define ORIGIN_WOKE_BYPASS	2	/* the cache could not take it: send the file */

/* Counters of all workers: GET /origin/ and the totals at exit. */
struct origin_counters {
	atomic_uint_fast64_t hits, misses, fills, coalesced, fill_errors, origin_bytes;
	atomic_uint_fast64_t refused, revalidated, stale, bypassed;
};

extern struct origin_counters origin_count;

/*
 * origin_nofit.c: names whose fill failed because the cache ran out of
 * memory under it (ENOSPC after CREATE: its pages are allocated as the
 * fill writes them). Until --origin-ttl has passed, their requests are
 * sent from the origin file (bypass) rather than filled again. NOFIT_MAX
 * names; past that the one that expires first is forgotten.
 */
#define NOFIT_MAX	64

struct nofit {
	char name[VCACHE_NAME_MAX];	/* "" : a free slot */
	uint64_t until_ns;
};

struct nofit_table {
	struct nofit e[NOFIT_MAX];
};

/* @name does not fit until @now_ns + @ttl_ns. */
void nofit_add(struct nofit_table *t, const char *name, uint64_t now_ns, uint64_t ttl_ns);
/* @name does not fit at @now_ns (an expired entry is dropped). */
bool nofit_has(struct nofit_table *t, const char *name, uint64_t now_ns);

/* origin_fresh.c: the file a fill of video @id read, as its lookup saw it. */
void origin_fresh_record(uint64_t id, const struct stat *st);

#endif /* VCACHE_STREAMER_ORIGIN_H */
