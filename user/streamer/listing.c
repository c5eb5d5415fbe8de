// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: below the handlers. The list of the cache as
 * JSON, for GET /v/ (list.c answers with it).
 *
 * The list comes from the module's netlink VIDEO_GET dump: every video that
 * has a name, in creation order, complete. The dump is O(videos) and a
 * round trip to the kernel, so a worker never makes it: a job thread does
 * (jobs.c), and the JSON it builds is one shared, reference-counted
 * snapshot that every response sends from, whatever the number of clients
 * reading it (slowly). A snapshot younger than LIST_FRESH_MS is served at
 * once; an older one is rebuilt, once per worker however many requests
 * wait for it. So the memory the lists take is one snapshot, plus the
 * older ones that slow clients are still reading.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "streamer.h"

#define LIST_FRESH_MS	500

struct listing {
	atomic_uint refs;
	uint64_t made_ms;
	int err;		/* the dump failed: a 503 */
	size_t len;
	char *body;
};

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct listing *cur;

const char *list_body(const struct listing *ls)
{
	return ls->body;
}

void list_put(struct listing *ls)
{
	if (ls && atomic_fetch_sub(&ls->refs, 1) == 1) {
		free(ls->body);
		free(ls);
	}
}

size_t list_len(const struct listing *ls)
{
	return ls->len;
}

int list_err(const struct listing *ls)
{
	return ls->err;
}

void list_get(struct listing *ls)
{
	atomic_fetch_add(&ls->refs, 1);
}

struct listing *list_fresh(uint64_t now)
{
	struct listing *ls = NULL;

	pthread_mutex_lock(&cur_lock);
	if (cur && now - cur->made_ms < LIST_FRESH_MS) {
		ls = cur;
		atomic_fetch_add(&ls->refs, 1);
	}
	pthread_mutex_unlock(&cur_lock);
	return ls;
}

/* --- building it, on a job thread ------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (sb->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(sb->p ? sb->p + sb->len : NULL, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->failed = true;
			return;
		}
		if (sb->len + n < sb->cap) {
			sb->len += n;
			return;
		}
		size_t cap = sb->cap ? sb->cap * 2 : 4096;
		char *p;

		while (cap <= sb->len + n)
			cap *= 2;
		p = realloc(sb->p, cap);
		if (!p) {
			sb->failed = true;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
}

struct list_build {
	struct sbuf sb;
	unsigned int n;
};

static int list_one(const struct vcache_info *in, void *arg)
{
	struct list_build *lb = arg;
	char name[6 * VCACHE_NAME_MAX + 1], fps[64], *sp;

	json_escape(name, sizeof(name), in->name, strnlen(in->name, sizeof(in->name)));
	/* "29.97 (30000/1001)": the number alone is JSON; the exact rate follows. */
	format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
	sp = strchr(fps, ' ');
	if (sp)
		*sp = '\0';
	sb_printf(&lb->sb, "%s\n  {\"name\": \"%s\", \"size\": %" PRIu64
		  ", \"duration\": %" PRIu64 ".%03u, \"fps\": %s, \"fps_num\": %" PRIu32
		  ", \"fps_den\": %" PRIu32 ", \"state\": \"%s\", \"id\": %" PRIu64
		  ", \"mem_bytes\": %" PRIu64 "}",
		  lb->n ? "," : "", name, (uint64_t)in->size,
		  (uint64_t)in->duration / 90000, (unsigned int)(in->duration % 90000 / 90),
		  in->fps_den ? fps : "null", (uint32_t)in->fps_num, (uint32_t)in->fps_den,
		  state_name(in->state), (uint64_t)in->id, (uint64_t)in->mem_bytes);
	if (lb->sb.failed)
		return -ENOMEM;
	lb->n++;
	return 0;
}

/* Each job thread keeps its own netlink socket. */
static __thread struct vcnl *thread_nl;

static void list_build(struct listing *ls)
{
	struct list_build lb;
	int err = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		memset(&lb, 0, sizeof(lb));
		sb_printf(&lb.sb, "{\"complete\": true, \"videos\": [");
		err = thread_nl ? 0 : vcnl_open(&thread_nl);
		if (!err)
			err = vcnl_video_dump(thread_nl, list_one, &lb);
		if (!err || err == -ENOENT)
			break;
		/* A socket that failed once is not trusted again: reconnect. */
		free(lb.sb.p);
		lb.sb.p = NULL;
		if (thread_nl)
			vcnl_close(thread_nl);
		thread_nl = NULL;
	}
	if (!err) {
		sb_printf(&lb.sb, "%s]}\n", lb.n ? "\n" : "");
		if (lb.sb.failed)
			err = -ENOMEM;
	}
	if (err) {
		free(lb.sb.p);
		ls->err = -err;
		return;
	}
	ls->body = lb.sb.p;
	ls->len = lb.sb.len;
}

static void list_job_run(struct job *j)
{
	struct list_job *lj = (struct list_job *)j;
	struct listing *old;

	list_build(lj->ls);
	lj->ls->made_ms = now_ms();
	if (lj->ls->err)
		return;
	/* The newest for everyone, the older one to its last reader. */
	atomic_fetch_add(&lj->ls->refs, 1);
	pthread_mutex_lock(&cur_lock);
	old = cur;
	cur = lj->ls;
	pthread_mutex_unlock(&cur_lock);
	list_put(old);
}

/* A job that makes a new snapshot; NULL without memory. */
struct list_job *list_job_new(void (*done)(struct worker *w, struct job *j))
{
	struct list_job *lj = calloc(1, sizeof(*lj));

	if (lj)
		lj->ls = calloc(1, sizeof(*lj->ls));
	if (!lj || !lj->ls) {
		free(lj);
		return NULL;
	}
	atomic_init(&lj->ls->refs, 1);
	lj->job.run = list_job_run;
	lj->job.done = done;
	return lj;
}
