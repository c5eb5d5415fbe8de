// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer: live streams (see "Live streams" in linux/vcache.h).
 *
 *   PUT|POST /live/NAME   ingest: the request body (Content-Length or
 *                         chunked) becomes the live stream NAME
 *   GET|HEAD /live/NAME   follow it from its latest keyframe, chunked
 *   GET /live/NAME?t=TC   from the keyframe at or before timecode TC, as
 *                         long as the ring still holds it
 *   GET|HEAD /live/       JSON: the streamer's live counters
 *
 * Ingest is zero-copy: the streamer creates the stream (a ring of
 * --live-capacity bytes, at --live-fps or ?fps=), maps the ring writable
 * and recv(2)s the body straight into the landing zone at the head, then
 * VCACHE_IOC_COMMITs the new head once the socket runs dry (or the zone is
 * full): one commit per burst, not per recv. Chunked framing is read
 * through a 32-byte buffer (user/lib/chunked.c says how many data bytes come
 * next, and those are received into the ring), so only the framing and the
 * few data bytes that share its recv are copied, and the body bytes that
 * came with the request head. The committed bytes are indexed in place
 * (user/lib/tsindex.c reads the mapping) and their keyframes appended to the
 * stream's live index, so that viewers can join at a keyframe and ?t= can
 * rewind. The end of the body seals the stream (201 Created); a client
 * that goes away, or a malformed chunked body (400), closes the writer,
 * which ends the stream as well: viewers get the last chunk either way.
 *
 * A name is taken if it is a VOD video or a live stream still being written
 * (409: the kernel allows one writer). A live stream that has ended is
 * replaced by a new PUT. A body needs a length: neither Content-Length nor
 * chunked is a 411. Appending to a live stream after its writer is gone is
 * not possible: the kernel ends a stream when its writer closes.
 *
 * Viewers map the stream's control page and ring read-only on a descriptor
 * of their own and send each chunk from the ring. The control page says
 * where the head is, so no system call is needed to learn of new data. A
 * byte at offset p is the stream's as long as p >= head - window, with the
 * head read after the byte was copied: the writer lands up to a zone past
 * the head, which is the ring's bytes below head - window. A byte handed
 * to the socket cannot be taken back, so a viewer must never send a byte
 * first and find out afterwards that it was overwritten: the part of a
 * chunk near the window's tail (within VIEW_SLACK of it: the writer could
 * get there during one send) is copied aside, checked, then sent from the
 * copy ("aside" in GET /live/); if it was overwritten meanwhile nothing went
 * out and the viewer is re-joined as if it had fallen behind. The rest of
 * the chunk goes straight from the ring, the socket's copy the only one,
 * and is checked after the send; only a writer that moved more than the
 * slack during one sendmsg() can fail that check, and the connection is
 * then reset (SO_LINGER 0), never closed cleanly: a clean end (the last
 * chunk, or the close of an HTTP/1.0 response) says that every byte before
 * it was the stream's. Resets are counted ("torn_resets"). Every other
 * failure of a viewer's response resets it too, for the same reason.
 *
 * A chunk, once announced, must go out whole while the ring moves on, so
 * what the socket does not take at once is copied to a buffer of the
 * connection's, while it is still in the window; the buffer is sized to
 * what is pending and freed once it is out: a viewer waiting at the head
 * holds no buffer. The control page also says the rest: at the head of a
 * stream that goes on, EPOLLIN|EPOLLONESHOT is armed on the descriptor (the
 * module's poll, at its file position); at the head of an ended stream the
 * last chunk goes out; a viewer behind the window is re-joined at the
 * latest keyframe (or at the head, without an index) and counted, in the
 * access log ("rejoins=N"), in GET /live/ and in the totals at exit.
 * --live-sndbuf bounds a viewer's socket buffer, and with it how far behind
 * the head a viewer may be before it notices. A viewer waiting at a quiet
 * head notices nothing of its socket but its events: on one, the socket is
 * read (what a viewer sends is dropped, its response is all there will
 * be), and EOF or an error there closes the connection. That is also what
 * a client's half-close means to a live viewer, as it does to nginx.
 * HTTP/1.0 viewers get the raw stream, ended by the
 * close. Range, If-Range and conditionals are ignored on live streams (200,
 * Accept-Ranges: none): their bytes are not a fixed representation.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vcache/name.h>
#include "chunked.h"
#include "parse.h"
#include "streamer.h"
#include "tsindex.h"

/* A viewer's chunk: framing room, then up to LIVE_BUF bytes, then CRLF. */
#define LIVE_HDR	24
#define LIVE_BUF	(256 * 1024)
#define FRAMING_RECV	32
/* Bytes this close to the window's tail are copied aside before they are sent. */
#define VIEW_SLACK(l)	((l)->window / 2)

struct live {
	enum ep_kind kind;		/* EP_LIVE: first member */
	struct conn *c;
	bool ingest;
	char name[VCACHE_NAME_MAX];
	int fd;

	/* ingest */
	struct job open_job;		/* ingest_open() on a job thread */
	bool opening;			/* it runs: the worker keeps off */
	uint32_t fps_num, fps_den;
	int fail_status;		/* ingest_open() failed: answer this */
	char fail_msg[4 * VCACHE_NAME_MAX + 320];
	int ring_slot;			/* in rings.c's table, or -1 */
	const struct vcache_live_ctrl *ctrl;
	uint8_t *data;			/* the ring, twice */
	size_t ps;
	uint64_t ring, zone, window;
	uint64_t head;			/* committed */
	uint64_t landed;		/* head + bytes received but not committed */
	bool chunked;
	struct chunked ck;
	uint64_t body_left;		/* Content-Length bodies */
	const char *pre;		/* body bytes that came with the head */
	size_t pre_len;
	char fb[FRAMING_RECV];		/* chunk framing, received */
	size_t fb_off, fb_len;
	uint64_t copied;		/* bytes that did not land by recv */
	uint64_t commits;
	struct tsindex *ix;
	struct vcache_index_entry *batch;
	size_t batch_cap;
	uint64_t last_key;		/* offset of the last keyframe sent */
	uint64_t last_pts;
	uint64_t keys;			/* keyframes appended */
	uint64_t keys_refused;

	/* viewer */
	uint64_t start;
	uint64_t pos;
	uint64_t rejoins;
	uint64_t rejoined_at;		/* the last re-join's offset */
	bool in_ep;
	bool waiting;			/* for data, not for the socket */
	bool ended;
	bool final_out;
	bool head_out;
	bool framed;			/* HTTP/1.1: chunked */
	bool counted;			/* in g_viewers_now */
	bool ring_woke;			/* live_event() runs the connection */
	const char *out;		/* pending bytes: conn->buf, or the last chunk */
	size_t out_off, out_len;
	uint64_t aside;			/* bytes copied aside before their send */
};

static atomic_uint_fast64_t g_rejoins, g_viewers, g_ingests, g_ingest_bytes;
static atomic_uint_fast64_t g_copied, g_commits;
static atomic_uint_fast64_t g_refused_auth, g_refused_limit;
static atomic_uint_fast64_t g_viewers_now, g_aside, g_torn_resets;

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * The stream state of @c, a writer's if @ingest. The connection closes
 * after the response either way: a live body has no end to wait for, and
 * a viewer's response ends with the stream. NULL after a 503.
 */
static struct live *live_new(struct worker *w, struct conn *c, bool ingest,
			     const char *name)
{
	struct live *l = calloc(1, sizeof(*l));

	c->close_after = true;
	if (!l) {
		respond_text(w, c, 503, NULL, "out of memory");
		return NULL;
	}
	l->kind = EP_LIVE;
	l->c = c;
	l->ingest = ingest;
	l->fd = -1;
	l->ring_slot = -1;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->ps = sysconf(_SC_PAGESIZE);
	c->live = l;
	return l;
}

static const char *shown(const char *name, char *buf, size_t size)
{
	c_escape(buf, size, name, strlen(name));
	return buf;
}

/* "fps=30000/1001" in the query, percent-encoding not needed for it. */
static int query_fps(struct http_span q, uint32_t *num, uint32_t *den)
{
	size_t i = 0;

	while (i < q.len) {
		size_t end = i;
		char v[32];

		while (end < q.len && q.p[end] != '&')
			end++;
		if (end - i > 4 && !memcmp(q.p + i, "fps=", 4)) {
			if (end - i - 4 >= sizeof(v))
				return -1;
			memcpy(v, q.p + i + 4, end - i - 4);
			v[end - i - 4] = '\0';
			return parse_fps(v, num, den) ? -1 : 1;
		}
		i = end + 1;
	}
	return 0;
}

/* --- ingest ---------------------------------------------------------------- */

/* The name's current owner, for a CREATE that found it taken: 409 or retry. */
static int taken_by(int wfd, const char *name, char *why, size_t size)
{
	struct vcache_open op;
	struct vcache_info in;
	struct vcache_delete del;
	int fd = open(cfg.device, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	memset(&op, 0, sizeof(op));
	snprintf(op.name, sizeof(op.name), "%s", name);
	if (ioctl(fd, VCACHE_IOC_OPEN, &op) || ioctl(fd, VCACHE_IOC_INFO, &in)) {
		err = errno == ENOENT ? 0 : -errno;	/* gone meanwhile: retry */
		close(fd);
		return err;
	}
	close(fd);
	if (in.state == VCACHE_STATE_ENDED) {
		/* An ended stream is replaced; its viewers keep the old one. */
		memset(&del, 0, sizeof(del));
		memcpy(del.name, op.name, sizeof(del.name));
		if (ioctl(wfd, VCACHE_IOC_DELETE, &del) && errno != ENOENT)
			return -errno;
		return 0;
	}
	snprintf(why, size, in.state == VCACHE_STATE_LIVE ?
		 "live stream is being written by another client (one writer at a time)" :
		 "is a video on demand, not a live stream");
	return 1;
}

/* A failure of ingest_open(), for the worker to answer with. */
static int open_fail(struct live *l, int status, const char *fmt, const char *arg)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];

	l->fail_status = status;
	snprintf(l->fail_msg, sizeof(l->fail_msg), fmt,
		 shown(l->name, shown_name, sizeof(shown_name)), arg);
	return -1;
}

/*
 * Creates the stream and maps its ring: on a job thread (CREATE allocates
 * the whole ring), so it touches only @l, never the connection.
 */
static int ingest_open(struct live *l)
{
	struct vcache_create cr;
	struct vcache_info in;
	char why[128];
	void *p;
	int tries, err;

	l->fd = open(cfg.device, O_RDWR | O_CLOEXEC);
	if (l->fd < 0)
		return open_fail(l, 503, "cannot open the device for %s: %s", strerror(errno));
	err = rings_claim(l->fd, l->name, cfg.live_capacity);
	if (err < 0) {
		atomic_fetch_add(&g_refused_limit, err != -EEXIST);
		snprintf(why, sizeof(why), "%u", cfg.live_max_streams);
		if (err == -EEXIST)
			return open_fail(l, 409, "\"%s\" %s", "live stream is being written by "
					 "another client (one writer at a time)");
		if (err == -EBUSY)
			return open_fail(l, 503, "cannot start \"%s\": %s live streams are "
					 "being written (--live-max-streams)", why);
		if (err == -ENOSPC)
			return open_fail(l, 507, "cannot start \"%s\": %s", "the live rings "
					 "being written fill --live-budget");
		return open_fail(l, 503, "cannot start \"%s\": %s", strerror(-err));
	}
	l->ring_slot = err;
	memset(&cr, 0, sizeof(cr));
	memcpy(cr.name, l->name, sizeof(cr.name));
	cr.capacity = cfg.live_capacity;
	cr.fps_num = l->fps_num;
	cr.fps_den = l->fps_den;
	cr.flags = VCACHE_CREATE_LIVE;
	for (tries = 0;; tries++) {
		if (!ioctl(l->fd, VCACHE_IOC_CREATE, &cr))
			break;
		err = errno;
		if (err == EEXIST && tries < 2) {
			err = taken_by(l->fd, l->name, why, sizeof(why));
			if (!err)
				continue;
			if (err > 0) {
				rings_release(l->ring_slot);
				l->ring_slot = -1;
				return open_fail(l, 409, "\"%s\" %s", why);
			}
			err = -err;
		}
		rings_release(l->ring_slot);
		l->ring_slot = -1;
		return open_fail(l, err == EFBIG || err == ENOSPC || err == ENOMEM ? 507 : 503,
				 "cannot create live stream \"%s\": %s", strerror(err));
	}
	if (!ioctl(l->fd, VCACHE_IOC_INFO, &in))
		rings_created(l->ring_slot, in.id);
	p = mmap(NULL, l->ps, PROT_READ, MAP_SHARED, l->fd, 0);
	if (p == MAP_FAILED)
		goto map_fail;
	l->ctrl = p;
	l->ring = l->ctrl->ring_size;
	l->zone = l->ctrl->zone;
	l->window = l->ctrl->window;
	p = mmap(NULL, 2 * l->ring, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd,
		 (off_t)l->ps * VCACHE_LIVE_DATA_PGOFF);
	if (p == MAP_FAILED)
		goto map_fail;
	l->data = p;
	l->ix = malloc(sizeof(*l->ix));
	if (!l->ix) {
		errno = ENOMEM;
		goto map_fail;
	}
	tsindex_init(l->ix);
	l->last_key = 0;
	return 0;
map_fail:
	return open_fail(l, 503, "cannot map live stream \"%s\": %s", strerror(errno));
}

/* Keyframes of what was just committed, into the stream's live index. */
static void ingest_index(struct worker *w, struct live *l, uint64_t from, uint64_t to,
			 bool finish)
{
	struct vcache_index_append req;
	uint64_t tail = to > l->window ? to - l->window : 0;
	size_t i, n = 0;

	if (!l->ix)
		return;
	if (to > from && tsindex_feed(l->ix, l->data + from % l->ring, to - from))
		goto drop;
	if (finish)
		tsindex_finish(l->ix);
	if (!l->ix->count)
		return;
	if (l->batch_cap < l->ix->count) {
		struct vcache_index_entry *b = realloc(l->batch, l->ix->count * sizeof(*b));

		if (!b)
			goto drop;
		l->batch = b;
		l->batch_cap = l->ix->count;
	}
	for (i = 0; i < l->ix->count; i++) {
		const struct tsindex_entry *e = &l->ix->entries[i];

		if (!(e->flags & TSINDEX_KEY))
			continue;
		/* The kernel wants them in the window, in time and byte order. */
		if (e->offset < tail || e->offset >= to ||
		    (l->keys && (e->pts < l->last_pts || e->offset < l->last_key))) {
			l->keys_refused++;
			continue;
		}
		l->batch[n++] = (struct vcache_index_entry){
			.pts = e->pts, .offset = e->offset, .flags = VCACHE_INDEX_KEY,
		};
		l->last_pts = e->pts;
		l->last_key = e->offset;
		l->keys++;
	}
	/* Only the keyframes matter here: the rest are let go, memory too. */
	l->ix->count = 0;
	for (i = 0; i < n; i += VCACHE_INDEX_BATCH_MAX) {
		memset(&req, 0, sizeof(req));
		req.entries = (uintptr_t)(l->batch + i);
		req.count = min_u64(n - i, VCACHE_INDEX_BATCH_MAX);
		if (ioctl(l->fd, VCACHE_IOC_INDEX_APPEND, &req)) {
			l->keys -= req.count;
			l->keys_refused += req.count;
		}
	}
	return;
drop:
	/* Out of memory: the stream goes on without an index. */
	worker_warn(w, "live %s: indexing stopped: out of memory", l->name);
	tsindex_free(l->ix);
	free(l->ix);
	l->ix = NULL;
}

/* Makes the landed bytes the stream's: one ioctl for a burst of recvs. */
static int ingest_commit(struct worker *w, struct live *l, bool finish)
{
	struct vcache_commit cm;
	uint64_t from = l->head;

	if (l->landed > l->head) {
		memset(&cm, 0, sizeof(cm));
		cm.size = l->landed;
		if (ioctl(l->fd, VCACHE_IOC_COMMIT, &cm))
			return -1;
		l->head = l->landed;
		l->commits++;
		atomic_fetch_add(&g_commits, 1);
	}
	ingest_index(w, l, from, l->head, finish);
	return 0;
}

/* Room in the landing zone before a commit is needed. */
static uint64_t room(const struct live *l)
{
	return l->zone - (l->landed - l->head);
}

static uint64_t data_wanted(const struct live *l)
{
	return l->chunked ? chunked_data_left(&l->ck) : l->body_left;
}

static void took(struct live *l, uint64_t n)
{
	l->landed += n;
	if (l->chunked)
		chunked_data(&l->ck, n);
	else
		l->body_left -= n;
}

static bool body_done(const struct live *l)
{
	return l->chunked ? chunked_done(&l->ck) : !l->body_left;
}

/*
 * Bytes already received elsewhere (with the head, or with framing): data
 * is copied into the zone, framing parsed. Returns the bytes used, which
 * is less than @len when the zone is full or the body is over, or -1 for a
 * malformed body.
 */
static ssize_t ingest_bytes(struct live *l, const char *p, size_t len)
{
	size_t used = 0;

	while (used < len && !body_done(l)) {
		uint64_t want = data_wanted(l);
		ssize_t n;

		if (want) {
			uint64_t take = min_u64(min_u64(want, len - used), room(l));

			if (!take)
				break;
			memcpy(l->data + l->landed % l->ring, p + used, take);
			took(l, take);
			l->copied += take;
			used += take;
			continue;
		}
		n = chunked_parse(&l->ck, p + used, len - used);
		if (n < 0)
			return -1;
		used += n;
	}
	return used;
}

static void ingest_done(struct worker *w, struct conn *c, struct live *l)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1], loc[VCACHE_NAME_MAX * 3 + 32];
	size_t i, o;

	/* /live/NAME, the name percent-encoded where a path needs it. */
	o = snprintf(loc, sizeof(loc), "Location: /live/");
	for (i = 0; l->name[i] && o + 4 < sizeof(loc); i++) {
		unsigned char ch = l->name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			loc[o++] = ch;
		else
			o += snprintf(loc + o, sizeof(loc) - o, "%%%02X", ch);
	}
	snprintf(loc + o, sizeof(loc) - o, "\r\n");
	respond_text(w, c, 201, loc, "live stream \"%s\" ended after %" PRIu64
		     " bytes, %" PRIu64 " keyframes indexed",
		     shown(l->name, shown_name, sizeof(shown_name)), l->head, l->keys);
}

/*
 * The end of a writer, on a job thread: unmapping a ring of --live-capacity
 * and SEAL take time the worker does not have. The worker hands over the
 * mappings and the descriptor; if a connection waits for the 201 (the body
 * came whole), it gets it once the stream is sealed.
 */
struct ring_close {
	struct job job;
	struct conn *c;			/* waits for the seal, or NULL */
	void *data;
	size_t data_len;
	void *ctrl;
	size_t ps;
	int fd;
	int slot;
	bool seal;
	int seal_err;
	char name[VCACHE_NAME_MAX];
};

static void ring_close_run(struct job *j)
{
	struct ring_close *rc = (struct ring_close *)j;

	/* The ring's writable mapping first: SEAL refuses while it exists. */
	if (rc->data)
		munmap(rc->data, rc->data_len);
	if (rc->seal && ioctl(rc->fd, VCACHE_IOC_SEAL, 0))
		rc->seal_err = errno;
	if (rc->ctrl)
		munmap(rc->ctrl, rc->ps);
	close(rc->fd);
	if (rc->slot >= 0)
		rings_ended(rc->slot);
}

static void ingest_done(struct worker *w, struct conn *c, struct live *l);

static void ring_close_done(struct worker *w, struct job *j)
{
	struct ring_close *rc = (struct ring_close *)j;
	struct conn *c = rc->c;

	if (rc->seal_err)
		worker_warn(w, "live %s: seal: %s", rc->name, strerror(rc->seal_err));
	free(rc);
	if (!c)
		return;
	c->jobs--;
	if (c->dead)
		return;
	ingest_done(w, c, c->live);
	c->state = ST_SEND;
	conn_run(w, c);
}

/*
 * The writer lets go: the stream ends (with SEAL, or by the close). With
 * @wait_c, that connection waits in ST_WAIT for the seal and its 201.
 * Returns -1 if the job could not be had (then everything was done here).
 */
static int ingest_close(struct worker *w, struct live *l, bool seal, struct conn *wait_c)
{
	struct ring_close *rc;

	if (l->fd < 0 || l->opening)
		return 0;
	rc = calloc(1, sizeof(*rc));
	if (rc) {
		rc->job.run = ring_close_run;
		rc->job.done = ring_close_done;
		rc->c = wait_c;
		rc->data = l->data;
		rc->data_len = 2 * l->ring;
		rc->ctrl = (void *)l->ctrl;
		rc->ps = l->ps;
		rc->fd = l->fd;
		rc->slot = l->ring_slot;
		rc->seal = seal;
		memcpy(rc->name, l->name, sizeof(rc->name));
	} else {
		/* Out of memory: the worker does it, once. */
		struct ring_close tmp = {
			.data = l->data, .data_len = 2 * l->ring, .ctrl = (void *)l->ctrl,
			.ps = l->ps, .fd = l->fd, .slot = l->ring_slot, .seal = seal,
		};

		ring_close_run(&tmp.job);
	}
	l->data = NULL;
	l->ctrl = NULL;
	l->fd = -1;
	l->ring_slot = -1;
	if (l->ix) {
		tsindex_free(l->ix);
		free(l->ix);
		l->ix = NULL;
	}
	free(l->batch);
	l->batch = NULL;
	atomic_fetch_add(&g_ingest_bytes, l->head);
	atomic_fetch_add(&g_copied, l->copied);
	w->live_in += l->head;
	if (!rc)
		return -1;
	if (wait_c) {
		wait_c->jobs++;
		wait_c->state = ST_WAIT;
	}
	job_submit(w, &rc->job);
	return 0;
}

int live_ingest_run(struct worker *w, struct conn *c)
{
	struct live *l = c->live;
	ssize_t n;

	for (;;) {
		if (turn_spent(c) && !body_done(l)) {
			/* The rest next turn; what came is the viewers' now. */
			return ingest_commit(w, l, false) ? -1 : 0;
		}
		if (body_done(l)) {
			if (ingest_commit(w, l, true))
				goto failed;
			/* The 201 once sealed: ring_close_done() sends it. */
			if (!ingest_close(w, l, true, c))
				return 0;
			ingest_done(w, c, l);
			return 1;
		}
		if (!room(l)) {
			if (ingest_commit(w, l, false))
				goto failed;
			continue;
		}
		if (l->pre_len) {
			n = ingest_bytes(l, l->pre, l->pre_len);
			if (n < 0)
				goto malformed;
			l->pre += n;
			l->pre_len -= n;
			continue;
		}
		if (l->fb_off < l->fb_len) {
			n = ingest_bytes(l, l->fb + l->fb_off, l->fb_len - l->fb_off);
			if (n < 0)
				goto malformed;
			l->fb_off += n;
			continue;
		}
		if (data_wanted(l)) {
			/* The zero-copy part: the socket's bytes land in the ring. */
			n = recv(c->fd, l->data + l->landed % l->ring,
				 min_u64(data_wanted(l), room(l)), 0);
			if (n > 0)
				took(l, n);
		} else {
			n = recv(c->fd, l->fb, sizeof(l->fb), 0);
			if (n > 0) {
				l->fb_off = 0;
				l->fb_len = n;
			}
		}
		if (n > 0) {
			c->active_ms = w->now_ms;
			turn_add(c, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Dry: what came is the viewers' now. */
			if (ingest_commit(w, l, false))
				goto failed;
			return 0;
		}
		/* The client went away mid-body: the writer's close ends the stream. */
		ingest_commit(w, l, false);
		return -1;
	}
malformed:
	ingest_commit(w, l, false);
	ingest_close(w, l, false, NULL);
	c->close_after = true;
	respond_text(w, c, 400, NULL, "malformed chunked body: %s",
		     l->ck.why ? l->ck.why : "?");
	return 1;
failed:
	worker_warn(w, "live %s: commit: %s", l->name, strerror(errno));
	return -1;
}

static void ingest_open_run(struct job *j)
{
	struct live *l = (struct live *)((char *)j - offsetof(struct live, open_job));

	ingest_open(l);
}

static void ingest_opened(struct worker *w, struct job *j)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct live *l = (struct live *)((char *)j - offsetof(struct live, open_job));
	struct conn *c = l->c;

	l->opening = false;
	c->jobs--;
	if (c->dead) {
		/* Gone meanwhile: the stream ends at once. */
		ingest_close(w, l, false, NULL);
		return;
	}
	if (l->fail_status) {
		c->state = ST_SEND;
		respond_text(w, c, l->fail_status, NULL, "%s", l->fail_msg);
		live_release(w, c);
		live_free(c);
		conn_run(w, c);
		return;
	}
	/* Everything after the head is the body's (we close after it). */
	if (c->req.expect_continue && !l->pre_len)
		send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	atomic_fetch_add(&g_ingests, 1);
	c->state = ST_INGEST;
	conn_run(w, c);
}

static void ingest_start(struct worker *w, struct conn *c, const char *name)
{
	const struct http_request *req = &c->req;
	uint32_t num = cfg.live_fps_num, den = cfg.live_fps_den;
	struct live *l;
	int q;

	/* Before anything else: a stranger learns nothing and costs nothing. */
	switch (ingest_auth_check(&cfg.ingest, &c->peer_addr, name, req->authorization)) {
	case INGEST_OK:
		break;
	case INGEST_FORBIDDEN:
		atomic_fetch_add(&g_refused_auth, 1);
		respond_text(w, c, 403, NULL, "this address may not publish live streams "
			     "(--ingest-allow)");
		return;
	case INGEST_UNAUTHORIZED:
		atomic_fetch_add(&g_refused_auth, 1);
		respond_text(w, c, 401, req->authorization.len ?
			     "WWW-Authenticate: Bearer realm=\"vcache-ingest\", "
			     "error=\"invalid_token\"\r\n" :
			     "WWW-Authenticate: Bearer realm=\"vcache-ingest\"\r\n",
			     "publishing a live stream needs Authorization: Bearer TOKEN");
		return;
	}
	if (!req->chunked && !req->has_length) {
		respond_text(w, c, 411, NULL, "a live stream's body needs a Content-Length or "
			     "Transfer-Encoding: chunked");
		return;
	}
	q = query_fps(req->query, &num, &den);
	if (q < 0) {
		respond_text(w, c, 400, NULL, "bad fps=: want N, N/D or a decimal such as 29.97");
		return;
	}
	l = live_new(w, c, true, name);
	if (!l)
		return;
	l->fps_num = num;
	l->fps_den = den;
	l->chunked = req->chunked;
	l->body_left = req->has_length ? req->length : 0;
	if (l->chunked)
		chunked_init(&l->ck);
	l->pre = c->in + req->head_len;
	l->pre_len = c->in_len - req->head_len;
	/* The stream is made on a job thread; ingest_opened() goes on. */
	l->opening = true;
	l->open_job.run = ingest_open_run;
	l->open_job.done = ingest_opened;
	c->jobs++;
	c->state = ST_WAIT;
	job_submit(w, &l->open_job);
}

/* --- viewers --------------------------------------------------------------- */

/* The latest keyframe, or the head if the stream has no index (yet). */
static int latest(struct live *l, uint64_t *pos)
{
	struct vcache_lookup lk;
	struct vcache_info in;

	memset(&lk, 0, sizeof(lk));
	lk.mode = VCACHE_LOOKUP_LATEST;
	if (!ioctl(l->fd, VCACHE_IOC_LOOKUP, &lk)) {
		*pos = lk.key_offset;
		return 0;
	}
	if (errno != ENODATA && errno != ERANGE)
		return -1;
	if (ioctl(l->fd, VCACHE_IOC_INFO, &in))
		return -1;
	*pos = in.size;
	return 0;
}

/* The control page and the ring (twice), read-only: viewers send from them. */
static int view_map(struct live *l)
{
	void *p = mmap(NULL, l->ps, PROT_READ, MAP_SHARED, l->fd, 0);

	if (p == MAP_FAILED)
		return -1;
	l->ctrl = p;
	l->ring = l->ctrl->ring_size;
	l->window = l->ctrl->window;
	p = mmap(NULL, 2 * l->ring, PROT_READ, MAP_SHARED, l->fd,
		 (off_t)l->ps * VCACHE_LIVE_DATA_PGOFF);
	if (p == MAP_FAILED)
		return -1;
	l->data = p;
	return 0;
}

/*
 * A viewer's mapping and descriptor, let go on a job thread: unmapping a
 * ring a viewer went through zaps a page table entry per page (32,768 for
 * a 64 MiB ring), under the process's mmap lock for writing, which waits
 * for every other thread's page faults.
 */
struct view_drop {
	struct job job;
	void *data;
	size_t data_len;
	void *ctrl;
	size_t ps;
	int fd;
};

static void view_drop_run(struct job *j)
{
	struct view_drop *d = (struct view_drop *)j;

	if (d->data)
		munmap(d->data, d->data_len);
	if (d->ctrl)
		munmap(d->ctrl, d->ps);
	close(d->fd);
}

static void view_drop_done(struct worker *w, struct job *j)
{
	(void)w;
	free(j);
}

static void view_drop(struct worker *w, struct live *l)
{
	struct view_drop *d = malloc(sizeof(*d)), here;

	/* Off this worker's epoll set now: the job closes the descriptor later. */
	if (l->in_ep)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, l->fd, NULL);
	l->in_ep = false;
	l->waiting = false;
	*(d ? d : &here) = (struct view_drop) {
		.job = { .run = view_drop_run, .done = view_drop_done },
		.data = l->data,
		.data_len = 2 * l->ring,
		.ctrl = (void *)l->ctrl,
		.ps = l->ps,
		.fd = l->fd,
	};
	if (d)
		job_submit(w, &d->job);
	else
		view_drop_run(&here.job);	/* no memory for a job: here, only slower */
	l->data = NULL;
	l->ctrl = NULL;
	l->fd = -1;
}

/* Whether [@pos, ...) is still inside the window, by the head as it is now. */
static bool view_intact(const struct live *l, uint64_t pos)
{
	uint64_t head;

	/* Orders the reads of the ring before the head's (a read barrier). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = __atomic_load_n(&l->ctrl->head, __ATOMIC_ACQUIRE);
	return head <= l->window || pos >= head - l->window;
}

/* Where the bytes at risk end: below it, the writer is within the slack. */
static uint64_t view_risk_end(const struct live *l, uint64_t head)
{
	uint64_t edge = head + VIEW_SLACK(l);

	return edge > l->window ? edge - l->window : 0;
}

/*
 * The next chunk, [pos, head) up to LIVE_BUF bytes: its part near the
 * window's tail copied aside and checked first, the rest straight from the
 * ring, checked after the send. What the socket does not take is copied to
 * a buffer of its size, c->buf. Returns 1 when the chunk is out or queued,
 * 0 when the socket is full and nothing was sent, 2 when the bytes were
 * overwritten before anything was sent (a re-join), -1 to reset.
 */
static int view_chunk(struct worker *w, struct conn *c, struct live *l, uint64_t head)
{
	size_t len = min_u64(head - l->pos, LIVE_BUF), risk = 0, pending, i, off, left;
	uint64_t risk_end = view_risk_end(l, head);
	char hdr[LIVE_HDR], *aside = NULL, *rest;
	struct iovec iov[3];
	struct msghdr msg;
	int h = 0;
	ssize_t n;

	if (l->framed)
		h = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
	if (risk_end > l->pos)
		risk = min_u64(len, risk_end - l->pos);
	iov[0] = (struct iovec){ hdr, h };
	if (risk) {
		aside = malloc(h + risk);
		if (!aside)
			return -1;
		memcpy(aside, hdr, h);
		memcpy(aside + h, l->data + l->pos % l->ring, risk);
		if (!view_intact(l, l->pos)) {
			free(aside);
			return 2;
		}
		iov[0] = (struct iovec){ aside, h + risk };
		l->aside += risk;
		atomic_fetch_add(&g_aside, risk);
	}
	iov[1] = (struct iovec){ l->data + (l->pos + risk) % l->ring, len - risk };
	iov[2] = (struct iovec){ "\r\n", l->framed ? 2 : 0 };
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 3;
	do {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		free(aside);
		return errno == EAGAIN ? 0 : -1;
	}
	c->r.sent += n;
	c->r.file_sent += n;
	turn_add(c, n);
	w->bytes[SEND_MMAP] += n;
	c->active_ms = w->now_ms;
	/* The rest of the chunk, from the ring while it is still there. */
	pending = iov[0].iov_len + iov[1].iov_len + iov[2].iov_len - n;
	rest = pending ? malloc(pending) : NULL;
	if (pending && !rest) {
		free(aside);
		return -1;
	}
	for (i = 0, off = 0, left = 0; i < 3; off += iov[i].iov_len, i++) {
		size_t skip = (size_t)n > off ? (size_t)n - off : 0;

		if (skip >= iov[i].iov_len)
			continue;
		memcpy(rest + left, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
		left += iov[i].iov_len - skip;
	}
	free(aside);
	free(c->buf);
	c->buf = rest;
	l->out = rest;
	l->out_off = 0;
	l->out_len = pending;
	/* Sent or copied from the ring: were those bytes still the stream's? */
	if (len > risk && !view_intact(l, l->pos + risk)) {
		atomic_fetch_add(&g_torn_resets, 1);
		worker_warn(w, "live %s: the writer overtook a viewer's send at %" PRIu64
			    "; reset", l->name, l->pos + risk);
		return -1;
	}
	l->pos += len;
	return 1;
}

static void view_start(struct worker *w, struct conn *c, const char *name)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1], extra[256] = "", bad_tc[160];
	const char *why = NULL;
	struct vcache_lookup lk;
	struct vcache_open op;
	struct vcache_info in;
	struct http_query q;
	struct live *l;

	if (http_parse_query(c->req.query, &q, &why)) {
		respond_text(w, c, 400, NULL, "%s", why);
		return;
	}
	if (q.has_loop) {
		respond_text(w, c, 400, NULL, "loop= is for videos on demand, not live streams");
		return;
	}
	l = live_new(w, c, false, name);
	if (!l)
		return;
	l->fd = open(cfg.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (l->fd < 0) {
		respond_text(w, c, 503, NULL, "cannot open %s: %s", cfg.device, strerror(errno));
		return;
	}
	memset(&op, 0, sizeof(op));
	memcpy(op.name, l->name, sizeof(op.name));
	if (ioctl(l->fd, VCACHE_IOC_OPEN, &op) || ioctl(l->fd, VCACHE_IOC_INFO, &in)) {
		if (errno == ENOENT)
			respond_text(w, c, 404, NULL, "no live stream named \"%s\"",
				     shown(name, shown_name, sizeof(shown_name)));
		else
			respond_text(w, c, 503, NULL, "cannot open \"%s\": %s",
				     shown(name, shown_name, sizeof(shown_name)), strerror(errno));
		return;
	}
	if (in.state != VCACHE_STATE_LIVE && in.state != VCACHE_STATE_ENDED) {
		respond_text(w, c, 404, NULL, "\"%s\" is not a live stream: videos on demand "
			     "are at /v/NAME", shown(name, shown_name, sizeof(shown_name)));
		return;
	}
	if (q.has_t) {
		int err = stream_lookup(l->fd, &in, &q, &lk, bad_tc, sizeof(bad_tc));

		if (err == ENODATA)
			respond_text(w, c, 409, NULL, "live stream has no keyframe in its "
				     "window (yet): t= needs one");
		else if (err == ERANGE)
			respond_text(w, c, 416, NULL, "timecode %s is past the newest "
				     "keyframe of the live stream", q.t_text);
		else if (err == EINVAL)
			respond_text(w, c, 400, NULL, "%s", bad_tc);
		else if (err)
			respond_text(w, c, 503, NULL, "timecode lookup failed: %s",
				     strerror(err));
		if (err)
			return;
		l->start = lk.key_offset;
		stream_lookup_headers(extra, sizeof(extra), &lk);
	} else if (latest(l, &l->start)) {
		respond_text(w, c, 503, NULL, "cannot find where to join: %s", strerror(errno));
		return;
	}
	if (c->req.method != HTTP_HEAD && view_map(l)) {
		respond_text(w, c, 503, NULL, "cannot map live stream \"%s\": %s",
			     shown(name, shown_name, sizeof(shown_name)), strerror(errno));
		return;
	}
	l->pos = l->start;
	l->framed = c->req.minor >= 1;
	head_start(w, c, 200);
	out_printf(c, "Content-Type: %s\r\nCache-Control: no-cache\r\nAccept-Ranges: none\r\n"
		   "X-Vcache-Offset: %" PRIu64 "\r\n%s%s", http_content_type(name), l->start,
		   extra, l->framed ? "Transfer-Encoding: chunked\r\n" : "");
	head_end(c, 0);
	c->r.mode = SEND_MMAP;
	if (c->req.method == HTTP_HEAD) {
		l->final_out = true;	/* nothing follows the head */
		close(l->fd);
		l->fd = -1;
		return;
	}
	/*
	 * A bounded socket buffer bounds how stale a slow viewer's bytes get
	 * before it is seen to fall behind (and re-joined).
	 */
	if (cfg.live_sndbuf) {
		int sz = cfg.live_sndbuf;

		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	atomic_fetch_add(&g_viewers, 1);
	atomic_fetch_add(&g_viewers_now, 1);
	l->counted = true;
}

static int rejoin(struct live *l)
{
	if (latest(l, &l->pos))
		return -1;
	l->rejoined_at = l->pos;
	l->rejoins++;
	atomic_fetch_add(&g_rejoins, 1);
	return 0;
}

/* Waits for data past the position: the module's poll, once. */
static int view_wait(struct worker *w, struct live *l)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = &l->kind };

	if (lseek(l->fd, l->pos, SEEK_SET) < 0)
		return -1;
	if (epoll_ctl(w->ep, l->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, l->fd, &ev))
		return -1;
	l->in_ep = true;
	l->waiting = true;
	return 0;
}

/*
 * Whether a viewer's client has gone: EOF or an error on its socket. What
 * it sends is read and dropped: the live response is all there will be.
 */
static bool view_gone(struct conn *c)
{
	char scratch[1024];
	int i;

	for (i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		return !(n < 0 && errno == EAGAIN);
	}
	return false;	/* it keeps sending: still there */
}

/* A viewer's response after its head, as live_send(). */
static int view_send(struct worker *w, struct conn *c, struct live *l)
{
	uint64_t head;
	ssize_t n;
	int ret;

	for (;;) {
		if (turn_spent(c))
			return 0;
		if (l->out_off < l->out_len) {
			n = send(c->fd, l->out + l->out_off, l->out_len - l->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return errno == EAGAIN ? 0 : -1;
			}
			l->out_off += n;
			c->r.sent += n;
			turn_add(c, n);
			c->r.file_sent += n;
			w->bytes[SEND_COPY] += n;
			c->active_ms = w->now_ms;
			continue;
		}
		/* Nothing pending: no buffer either (think 10,000 idle viewers). */
		l->out = NULL;
		l->out_off = l->out_len = 0;
		free(c->buf);
		c->buf = NULL;
		if (l->final_out)
			return 1;
		if (l->ended) {
			l->final_out = true;
			if (!l->framed)
				return 1;
			l->out = "0\r\n\r\n";
			l->out_len = 5;
			continue;
		}
		head = __atomic_load_n(&l->ctrl->head, __ATOMIC_ACQUIRE);
		/* New bytes still in the window: no system call but the send. */
		if (l->pos < head && (head <= l->window || l->pos >= head - l->window)) {
			ret = view_chunk(w, c, l, head);
			if (ret <= 0)
				return ret;
			if (ret == 2 && rejoin(l))
				return -1;
			continue;
		}
		/* Behind the window: what a read would say with EOVERFLOW. */
		if (l->pos < head) {
			if (rejoin(l))
				return -1;
			continue;
		}
		/*
		 * At the head. ENDED is set after the last commit, so a head
		 * read after it is final; until then the module's poll at the
		 * position says when to come back. Woken by its socket instead,
		 * a viewer may be one whose client has gone.
		 */
		if (!(__atomic_load_n(&l->ctrl->flags, __ATOMIC_ACQUIRE) & VCACHE_LIVE_ENDED)) {
			if (!l->ring_woke && view_gone(c))
				return -1;
			return view_wait(w, l) ? -1 : 0;
		}
		if (l->pos >= __atomic_load_n(&l->ctrl->head, __ATOMIC_ACQUIRE))
			l->ended = true;
	}
}

int live_send(struct worker *w, struct conn *c)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct live *l = c->live;
	int ret;

	if (!l->head_out || l->ingest) {
		ret = resp_send(w, c);
		if (ret <= 0 || l->ingest || l->final_out)
			return ret;
		l->head_out = true;
		/* The head is out: its buffer and the copy path's are not needed. */
		free(c->buf);
		c->buf = NULL;
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_cap = 0;
	}
	ret = view_send(w, c, l);
	/*
	 * Only the end of the stream ends a viewer's response cleanly: any
	 * other end is a reset, lest a client take it for the end (HTTP/1.0)
	 * or keep bytes it cannot trust.
	 */
	if (ret < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	return ret;
}

void live_event(struct worker *w, enum ep_kind *k)
{
	struct live *l = (struct live *)k;

	if (l->c->dead)
		return;
	l->waiting = false;
	l->ring_woke = true;
	conn_run(w, l->c);
	l->ring_woke = false;	/* the connection is freed after the loop turn only */
}

bool live_waiting(const struct conn *c)
{
	return c->live && c->live->waiting;
}

/* --- the rest -------------------------------------------------------------- */

static void respond_counters(struct worker *w, struct conn *c)
{
	size_t body;

	c->out_len = 0;
	out_printf(c, "{\"viewers\": %" PRIu64 ", \"viewers_now\": %" PRIu64 ", \"rejoins\": %"
		   PRIu64 ", \"aside\": %" PRIu64 ", \"torn_resets\": %" PRIu64
		   ", \"ingests\": %" PRIu64 ", \"ingest_bytes\": %" PRIu64
		   ", \"ingest_copied\": %" PRIu64 ", \"commits\": %" PRIu64
		   ", \"refused_auth\": %" PRIu64 ", \"refused_limit\": %" PRIu64
		   ", \"rings_deleted\": %" PRIu64 "}\n",
		   (uint64_t)atomic_load(&g_viewers), (uint64_t)atomic_load(&g_viewers_now),
		   (uint64_t)atomic_load(&g_rejoins), (uint64_t)atomic_load(&g_aside),
		   (uint64_t)atomic_load(&g_torn_resets), (uint64_t)atomic_load(&g_ingests),
		   (uint64_t)atomic_load(&g_ingest_bytes), (uint64_t)atomic_load(&g_copied),
		   (uint64_t)atomic_load(&g_commits), (uint64_t)atomic_load(&g_refused_auth),
		   (uint64_t)atomic_load(&g_refused_limit), rings_deleted());
	body = c->out_len;
	head_start(w, c, 200);
	out_printf(c, "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-cache\r\n", body);
	head_end(c, body);
	if (c->req.method != HTTP_HEAD) {
		/* The body was written first: send it after the head. */
		c->r.seg[c->r.nseg++] = (struct seg){ SEG_OUT, 0, body };
	}
}

void live_respond(struct worker *w, struct conn *c, struct http_span rest)
{
	const struct http_request *req = &c->req;
	char name[VCACHE_NAME_MAX];

	if (!rest.len) {
		if (req->method == HTTP_GET || req->method == HTTP_HEAD)
			respond_counters(w, c);
		else
			respond_text(w, c, 405, "Allow: GET, HEAD\r\n", "/live/ is read-only");
		return;
	}
	if (!http_decode_name(rest, name, sizeof(name)) || !vcache_name_check(name, sizeof(name))) {
		respond_text(w, c, 404, NULL, "live streams are at /live/NAME");
		return;
	}
	switch (req->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		view_start(w, c, name);
		break;
	case HTTP_PUT:
	case HTTP_POST:
		ingest_start(w, c, name);
		break;
	default:
		respond_text(w, c, 405, "Allow: GET, HEAD, PUT, POST\r\n",
			     "live streams take GET, HEAD, PUT and POST");
	}
	/* Refused: the response is plain text, and nothing live stays open. */
	if (c->live && c->r.status >= 300) {
		live_release(w, c);
		live_free(c);
	}
}

void live_release(struct worker *w, struct conn *c)
{
	struct live *l = c->live;

	if (!l)
		return;
	if (l->ingest) {
		/* Still ingesting: the close ends the stream for the viewers. */
		ingest_close(w, l, false, NULL);
	} else if (l->fd >= 0) {
		view_drop(w, l);
	}
	if (l->counted) {
		atomic_fetch_sub(&g_viewers_now, 1);
		l->counted = false;
	}
}

void live_free(struct conn *c)
{
	if (c->live) {
		free(c->live->batch);
		free(c->live);
		c->live = NULL;
	}
}

size_t live_log(const struct conn *c, char *buf, size_t size)
{
	const struct live *l = c->live;

	if (!l || !size)
		return 0;
	if (l->ingest)
		return snprintf(buf, size, " in=%" PRIu64 " copied=%" PRIu64 " commits=%" PRIu64
				" keys=%" PRIu64, l->landed, l->copied, l->commits, l->keys);
	if (l->rejoins)
		return snprintf(buf, size, " from=%" PRIu64 " to=%" PRIu64 " rejoins=%" PRIu64
				" rejoined_at=%" PRIu64 " aside=%" PRIu64, l->start, l->pos,
				l->rejoins, l->rejoined_at, l->aside);
	return snprintf(buf, size, " from=%" PRIu64 " to=%" PRIu64 " rejoins=0 aside=%" PRIu64,
			l->start, l->pos, l->aside);
}

void live_totals(void)
{
	fprintf(stderr, PROG ": live: %" PRIu64 " ingests, %" PRIu64 " bytes in (%" PRIu64
		" not by recv into the ring), %" PRIu64 " commits; %" PRIu64 " viewers, %"
		PRIu64 " re-joined after falling behind, %" PRIu64 " bytes copied aside near "
		"the window's tail, %" PRIu64 " torn_resets; %" PRIu64 " ingests refused by "
		"--ingest-allow/--ingest-token-file, %" PRIu64 " by the limits, %" PRIu64
		" ended rings deleted for --live-budget\n", (uint64_t)atomic_load(&g_ingests),
		(uint64_t)atomic_load(&g_ingest_bytes), (uint64_t)atomic_load(&g_copied),
		(uint64_t)atomic_load(&g_commits), (uint64_t)atomic_load(&g_viewers),
		(uint64_t)atomic_load(&g_rejoins), (uint64_t)atomic_load(&g_aside),
		(uint64_t)atomic_load(&g_torn_resets), (uint64_t)atomic_load(&g_refused_auth),
		(uint64_t)atomic_load(&g_refused_limit), rings_deleted());
}
