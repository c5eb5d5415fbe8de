/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache-streamer's types, shared by its files in user/streamer/ (main.c
 * says which layer each is), and the declarations of the files at the
 * bottom that every layer may call. What both programs share is in
 * user/lib/ (HTTP parsing, ranges, chunked bodies, timecodes, the TS
 * indexer, AIO, netlink).
 *
 * Each worker thread owns everything it touches: its listening socket
 * (SO_REUSEPORT), its epoll set, its connections, its video table, its AIO
 * context. Nothing is shared between workers but the read-only config and
 * a few atomic counters, so there are no locks on the request path.
 */
#ifndef VCACHE_STREAMER_H
#define VCACHE_STREAMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/vcache.h>
#include "aio.h"
#include "http.h"
#include "ingest_auth.h"
#include "nl.h"
#include "origin.h"
#include "plan.h"

#define PROG	"vcache-streamer"
#define DEFAULT_DEVICE	"/dev/vcache"

extern const char * const send_mode_names[SEND_NR];

struct config {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	enum send_mode send;
	unsigned int threads;
	const char *device;
	const char *log_path;
	bool quiet;
	size_t max_header;
	uint64_t header_timeout_ms;	/* a request head must arrive within */
	uint64_t idle_timeout_ms;	/* a kept-alive connection may idle */
	uint64_t send_timeout_ms;	/* a response may make no progress */
	uint64_t drain_timeout_ms;	/* SIGTERM: in-flight responses get */
	unsigned int max_conns;
	uint64_t live_capacity;		/* ring of a live stream a PUT creates */
	uint32_t live_fps_num, live_fps_den;
	unsigned int live_sndbuf;	/* SO_SNDBUF of live viewers, 0: the kernel's */
	unsigned int live_max_streams;	/* streams being written at once */
	uint64_t live_budget;		/* bytes of live rings, written or ended */
	struct ingest_auth ingest;	/* who may publish (ingest_auth.h) */
	const char *web_dir;		/* --web: the player page's files */
	int origin_fds[ORIGIN_DIRS_MAX];		/* --origin DIRs, opened O_PATH (origin.h) */
	unsigned int norigins;
	const char *node_name;		/* --node-name: X-Vcache-Node, /health */
	uint64_t origin_ttl_ms;		/* --origin-ttl: re-check a filled file after */
};

#define NODE_NAME_MAX	63

extern struct config cfg;

/* options.c: the command line into cfg; 0, -1 (--help: exit 0) or 2. */
int options_parse(int argc, char **argv);

/*
 * One video, open in one worker: a descriptor bound to it and, for the
 * mmap path, a read-only mapping of all of it once it is sealed. Entries
 * nobody uses are closed after VIDEO_IDLE_MS: an open descriptor or a
 * mapping keeps the kernel from evicting the video, and the cache must stay
 * free to evict what we no longer serve.
 */
struct video {
	struct video *next;
	char name[VCACHE_NAME_MAX];
	int fd;
	struct vcache_info info;	/* as of the last video_get() */
	const char *map;		/* NULL until video_map() */
	size_t map_len;
	unsigned int refs;		/* responses using it */
	uint64_t last_used_ms;
	bool stale;			/* deleted: close once unused */
	bool follow;			/* opened VCACHE_OPEN_FOLLOW (--origin) */
	uint64_t fresh_next_ms;		/* --origin-ttl: no check due before (now_ms) */
	/*
	 * vod.c: the ETag and Last-Modified of the sealed video, formatted
	 * once (val_seal_ns: the seal they are of; 0: not yet), not per request.
	 */
	uint64_t val_seal_ns;
	char etag[HTTP_ETAG_MAX];
	char lastmod[HTTP_DATE_LEN + 1];
	/*
	 * --origin bypass (origin.c): not a video but the origin file, not in
	 * the table; @fd is O_DIRECT when this is its alignment, and is
	 * sent by AIO only.
	 */
	unsigned int dio_align;
};

#define VIDEO_IDLE_MS	2000
#define VIDEO_CACHE_MAX	64

/* What an epoll event's data points at: the first member of each owner. */
enum ep_kind {
	EP_LISTEN,
	EP_WAKE,
	EP_AIO,
	EP_CONN,
	EP_SRC,		/* a connection's source (conn->src_kind): a live viewer's stream */
	EP_JOB,		/* jobs done: jobs.c */
	EP_FILL,	/* an origin fill's AIO completions: origin.c */
};

enum conn_state {
	ST_READ,	/* waiting for (the rest of) a request head */
	ST_INGEST,	/* taking a live stream's request body */
	ST_SEND,	/* sending a response */
	ST_LINGER,	/* response sent, closing: draining what the client sends */
	ST_WAIT,	/* a job works for it (jobs.c): nothing to do */
};

struct worker;

/*
 * Work that may block, handed to the job threads (jobs.c): run()
 * there, then done() in the loop of the worker that submitted it.
 */
struct job {
	void (*run)(struct job *j);
	void (*done)(struct worker *w, struct job *j);
	struct worker *w;
	struct job *next;
};

struct conn {
	enum ep_kind kind;		/* EP_CONN: first member */
	int fd;
	struct worker *w;
	struct conn *prev, *next;	/* the worker's list */
	char peer[64];
	struct sockaddr_storage peer_addr;
	enum conn_state state;
	bool rd_eof;			/* the client sent FIN */
	/*
	 * A recv() may find bytes: false after one that did not fill its
	 * room (the socket had no more then; anything after that brings an
	 * EPOLLIN, which sets it again), so that the recv() after each
	 * response, which would only say EAGAIN, is not made. rd_hup: the
	 * peer's FIN (or an error) came, which a short read does not
	 * consume: recv() again, to see it.
	 */
	bool rd_ready, rd_hup;
	bool close_after;		/* close once this response is out */
	bool dead;			/* closed, freed when its AIO completes */
	unsigned int jobs;		/* jobs working for it: not freed before */
	bool origin_checked;		/* routed again after its origin check */
	/*
	 * park.c: waiting (ST_WAIT) for a loading video to grow or seal, by
	 * an AIO read of one byte (cb) into park_byte; park_cache is what
	 * the request found when it came (for the counters and the log).
	 */
	bool parked;
	char park_byte;
	const char *park_cache;
	/*
	 * origin.c: waiting (ST_WAIT) on fill_wait, a fill that reads its
	 * file's head for the frame rate before CREATE, on its list by
	 * fill_next; origin_woke: routed again after that wait (ORIGIN_WOKE_*).
	 */
	struct fill *fill_wait;
	struct conn *fill_next;
	unsigned char origin_woke;

	char *in;			/* cfg.max_header bytes, while needed */
	size_t in_len;
	struct http_scan scan;		/* how far the pending head was parsed */
	struct http_request req;	/* valid in ST_SEND, for the log */
	bool have_req;

	char *out;			/* headers and framing of the response */
	size_t out_len, out_cap;
	/*
	 * out could not grow (ENOMEM) since resp_init(): what the plan says
	 * of it is cut short, a head without its fields or a body shorter
	 * than its Content-Length, and must not go out (conn.c, send.c).
	 */
	bool out_failed;
	struct resp r;

	uint64_t active_ms;		/* last progress either way */
	uint64_t head_start_ms;		/* first byte of the pending head */
	uint64_t resp_start_ns;

	/* splice: the connection's pipe and the bytes in it. */
	int pipe[2];
	size_t pipe_len, pipe_cap;
	/* copy and aio: a buffer holding video bytes [pos, pos + buf_len - buf_off). */
	char *buf;
	size_t buf_len, buf_off;
	size_t buf_want;		/* next read's size, 0: the largest */
	struct vaio_iocb cb;
	bool aio_busy;			/* cb is in flight */
	size_t aio_len;			/* of buf, being read */
	size_t aio_skip;		/* O_DIRECT: bytes of buf before r.pos */
	bool aio_waiting;		/* on the worker's list for a free slot */
	int aio_err;
	struct conn *aio_next;
	/* A handler's state (a live ingest or viewer) and its callbacks: plan.h. */
	void *ext;
	const struct conn_ext_ops *ext_ops;
	/*
	 * EP_SRC: a descriptor the body waits on (a live viewer's stream),
	 * registered by the handler with data.ptr = &src_kind. parked: it
	 * waits for that, not for the client; woke: that woke it, this run.
	 */
	enum ep_kind src_kind;
	bool src_parked, src_woke;

	/* This turn of the loop: see TURN_BYTES. */
	uint64_t turn_bytes;
	unsigned int turn_requests;
	bool ready;			/* on the worker's ready list */
	struct conn *list_next;		/* waiting for the worker's GET /v/ job */
	struct conn *ready_prev, *ready_next;
};

/*
 * A connection moves at most TURN_BYTES (sent or ingested) and answers at
 * most TURN_REQUESTS pipelined requests in one turn of its worker's loop;
 * then it goes on the worker's ready list and the loop serves the others
 * (and its timers) before it comes back. Without the bound a fast peer
 * (?loop=0, a fast PUT) keeps its socket from ever saying EAGAIN and the
 * worker from serving anyone else. The loops that move bytes check
 * turn_spent() and return as if the socket were full.
 */
#define TURN_BYTES	(512 * 1024)
#define TURN_REQUESTS	8

static inline void turn_add(struct conn *c, uint64_t n)
{
	c->turn_bytes += n;
}

static inline bool turn_spent(const struct conn *c)
{
	return c->turn_bytes >= TURN_BYTES;
}

struct worker {
	unsigned int id;
	pthread_t thread;
	int ep;
	int lfd;
	int wakefd;
	int spare_fd;			/* given up when out of descriptors */
	bool listen_paused;		/* out of descriptors, no spare: not polled */
	struct conn *ready_head;	/* connections whose turn was spent */
	enum ep_kind k_listen, k_wake, k_aio, k_job;
	int jobfd;			/* eventfd: jobs of ours are done */
	pthread_mutex_t jobs_lock;	/* jobs_done, with the job threads */
	struct job *jobs_done;
	unsigned int jobs_pending;	/* submitted, done() not run yet */
	struct vaio aio;
	bool aio_ok;
	struct conn *aio_wait_head, *aio_wait_tail;
	size_t aio_bytes;		/* being read for our connections */
	struct conn *conns;
	unsigned int nconns;
	struct conn *graveyard;		/* closed, freed at the end of the turn */
	struct video *videos;
	unsigned int nvideos;
	struct fill *fills;		/* origin fills this worker runs */
	unsigned int nfills;
	bool stopping;
	uint64_t stop_deadline_ms;
	uint64_t now_ms;
	time_t date_sec;
	char date[HTTP_DATE_LEN + 1];
	uint64_t rng;
	bool splice_broken;		/* the device cannot splice: copy instead */
	struct conn *list_waiting;	/* the GET /v/ job of ours will answer them */
	uint64_t emfile_warned_ms;	/* out of descriptors: said so then */
	bool fds_freed;			/* connections closed this turn */
	/* The route table (set by main.c through the loop), for conn.c. */
	void (*respond)(struct worker *w, struct conn *c);
	/* conn.c's, for the layers below: a job or AIO read gives @c back. */
	void (*resume)(struct worker *w, struct conn *c);
	/* Counters, summed at exit. */
	uint64_t requests;
	uint64_t bytes[SEND_NR];
	uint64_t live_in;		/* bytes ingested into live streams */
	/* Access log lines waiting for one write(2). */
	char logbuf[4096];
	size_t loglen;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * loop.c, the top of a worker: worker_init() (an error message on
 * failure), then worker_main() on the worker's thread, worker_destroy()
 * after it. open_listener() binds a worker's socket; budget_nofile() fits
 * --max-conns to RLIMIT_NOFILE.
 */
int worker_init(struct worker *w, unsigned int id, int lfd,
		void (*respond)(struct worker *w, struct conn *c));
void *worker_main(void *arg);
void worker_destroy(struct worker *w);
int open_listener(struct sockaddr_storage *addr, socklen_t len);
int budget_nofile(void);

/*
 * conn.c, below the loop: a connection's state machine. conn_admit()
 * before conn_new() (false: over --max-conns); conn_run() runs it until
 * it would block; conn_sweep() its timeouts, conn_stop() at SIGTERM;
 * conn_bury() frees the closed at the end of a turn, conn_run_ready()
 * gives the connections whose turn was spent another; conn_attach() sets
 * worker->resume; conn_src_event() is EP_SRC's.
 */
bool conn_admit(void);
void conn_new(struct worker *w, int fd, const struct sockaddr_storage *sa);
void conn_run(struct worker *w, struct conn *c);
void conn_sweep(struct worker *w, struct conn *c);
void conn_stop(struct worker *w, struct conn *c);
void conn_bury(struct worker *w);
void conn_run_ready(struct worker *w);
void conn_attach(struct worker *w);
void conn_src_event(struct worker *w, enum ep_kind *k);

/*
 * send.c, below the handlers: executes the plan of @c. resp_send(): 1
 * done, 0 blocked (socket full or AIO pending), -1 failed; it reports an
 * AIO read that completed through worker->resume. resp_release() lets go
 * of what a response holds (the handler's through ext_ops->release);
 * send_unwait() takes a closing connection off the AIO wait list.
 */
int resp_send(struct worker *w, struct conn *c);
void resp_release(struct worker *w, struct conn *c);
void send_aio_done(struct vaio *ctx, struct vaio_iocb *cb, void *cookie, long res, void *arg);
void send_aio_retry(struct worker *w);
void send_unwait(struct worker *w, struct conn *c);

/*
 * listing.c: the shared, reference-counted snapshot GET /v/ sends from
 * (list.c answers). list_fresh() takes a reference to one young enough,
 * or NULL; list_job_new() a job that makes a new one (done() is the
 * caller's); list_put() lets go of a reference.
 */
struct listing *list_fresh(uint64_t now);
struct list_job {
	struct job job;
	struct listing *ls;
};

struct list_job *list_job_new(void (*done)(struct worker *w, struct job *j));
void list_put(struct listing *ls);
const char *list_body(const struct listing *ls);
size_t list_len(const struct listing *ls);
int list_err(const struct listing *ls);
void list_get(struct listing *ls);

/*
 * log.c: the access log, written by a thread of its own. Workers
 * add lines with log_request() and hand them over with log_flush(), once a
 * loop turn; neither ever blocks on the log's reader. log_start() opens
 * --log (a one-line error and -1 if it cannot), log_stop() writes what is
 * left, log_reopen() is SIGHUP's.
 */
int log_start(void);
void log_stop(void);
void log_reopen(void);
void log_request(struct worker *w, struct conn *c, bool aborted);
void log_flush(struct worker *w);
/* A warning of worker @w on stderr, one line. */
void worker_warn(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * jobs.c. job_submit() hands @j to a job thread: run() there, then
 * done() in @w's loop; a done() that answers a connection gives it back
 * with job_resume() (worker->resume, conn.c's).
 */
int jobs_start(void);
void jobs_stop(void);
void job_submit(struct worker *w, struct job *j);
void jobs_reap(struct worker *w);
void job_resume(struct worker *w, struct conn *c);

/* live_stats.c: the live counters at exit. */
void live_totals(void);

/*
 * rings.c: the live rings this server made (--live-max-streams,
 * --live-budget). rings_claim() before a CREATE returns a slot, or
 * -EEXIST (the name is being written through us), -EBUSY (too many
 * streams), -ENOSPC (over the budget once every ended ring is gone),
 * -ENOMEM; then rings_created() with the kernel's id, or rings_release()
 * if the CREATE failed; rings_ended() once the writer let go.
 */
int rings_claim(int wfd, const char *name, uint64_t capacity);
void rings_created(int slot, uint64_t id);
void rings_ended(int slot);
void rings_release(int slot);
uint64_t rings_deleted(void);

/*
 * playlists.c: the HLS playlists of sealed videos (hls_vod.c answers with
 * them), made by a job thread and kept per video generation, shared by
 * the workers. pl_lookup() calls @use with the text of @rq under the
 * cache's lock: 0, -EAGAIN (not made yet: submit pl_job_new()'s job, whose
 * run() makes it), or the negative errno the video's playlists cannot be
 * made for (-ENOENT: no keyframe). After run(), pl_job::err is that or
 * -ESTALE (the video changed or went meanwhile), else pl_job::body holds
 * the text (pl_job_free() frees both). pl_seg_text() writes a target as
 * the seconds of ?seg=; pl_drop_all() empties the cache at exit.
 */
enum pl_kind { PL_MASTER, PL_MEDIA, PL_IFRAMES };

struct pl_req {
	const char *name;
	uint64_t id, seal_ns;	/* the generation: vcache_info's */
	enum pl_kind kind;
	uint64_t target;	/* ticks; 0 for PL_IFRAMES */
};

struct pl_job {
	struct job job;
	struct pl_req rq;
	char name[VCACHE_NAME_MAX];
	struct conn *c;		/* the caller's */
	int err;
	char *body;
	size_t len;
};

int pl_lookup(const struct pl_req *rq, uint64_t now,
	      void (*use)(void *arg, const char *body, size_t len), void *arg);
struct pl_job *pl_job_new(const struct pl_req *rq, void (*done)(struct worker *w, struct job *j));
void pl_job_free(struct pl_job *pj);
void pl_seg_text(char *buf, size_t size, uint64_t ticks);
void pl_drop_all(void);

/*
 * live_playlists.c: the media playlist of a live stream (hls_vod.c answers
 * with it), from a segmenter kept per stream and target. lpl_job_new()'s
 * job renders it in run(): lpl_job::err 0 with the text in body
 * (lpl_job_free() frees both), or -EAGAIN (no whole segment yet), -ENOENT
 * (no such stream), -ESTALE (not a live stream any more), another errno.
 * lpl_drop_all() (pl_drop_all()'s) empties the segmenters at exit.
 */
struct lpl_job {
	struct job job;
	char name[VCACHE_NAME_MAX];
	uint64_t target;	/* ticks */
	struct conn *c;		/* the caller's */
	int err;
	char *body;
	size_t len;
};

struct lpl_job *lpl_job_new(const char *name, uint64_t target,
			    void (*done)(struct worker *w, struct job *j));
void lpl_job_free(struct lpl_job *lj);
void lpl_drop_all(void);

/*
 * origin.c: read-through from --origin (origin.h). plan_video_fill() is
 * plan_video_get() that fills a miss from the origin (403 for a name the
 * origin refuses, 502 when the fill failed at once). origin_event() is
 * EP_FILL's; origin_unwait() takes a closing connection off the fill it
 * waits on (the head read); origin_nofit() says a name's last fill ran out
 * of the cache's memory, within --origin-ttl (it is sent from the origin);
 * origin_stop_all() gives up a stopping worker's fills;
 * origin_totals() prints the counters at exit.
 */
bool plan_video_fill(struct worker *w, struct conn *c, const char *name);
void origin_event(struct worker *w, enum ep_kind *k);
void origin_unwait(struct conn *c);
bool origin_nofit(const char *name);
void origin_stop_all(struct worker *w);
void origin_totals(void);

/*
 * origin_fresh.c: true when @c's video (found sealed) is due for its
 * --origin-ttl check: a job checks the origin file, then routes @c again.
 */
bool origin_fresh_check(struct worker *w, struct conn *c, const char *name);

/*
 * park.c: plan_park() parks @c (its video loading, opened FOLLOW) until the
 * video has byte @off, or is sealed or given up (@off at its capacity);
 * then @c is routed again, or answered 502 if the fill failed. 0, or a
 * negative errno (EOPNOTSUPP: no kernel AIO or no FOLLOW; EAGAIN: no
 * AIO slot) and the caller answers. park_done() is the read's completion
 * (send_aio_done() hands it over); park_cancel() a closing connection's.
 */
int plan_park(struct worker *w, struct conn *c, uint64_t off);
void park_done(struct worker *w, struct conn *c, long res);
void park_cancel(struct worker *w, struct conn *c);

/* video.c */
struct video *video_get(struct worker *w, const char *name, int *err);
void video_put(struct worker *w, struct video *v);
int video_map(struct video *v);
void video_sweep(struct worker *w, bool all);

/*
 * seek.c: ?t= by LOOKUP on @fd, a video or live stream at @in's
 * rate. Returns 0 with @lk answered, or the errno: ENODATA (no keyframe
 * index), ERANGE (past the end, or the newest keyframe), EINVAL (no such
 * timecode: @why says why, for a 400), another for a 503.
 */
int stream_lookup(int fd, const struct vcache_info *in, const struct http_query *q,
		  struct vcache_lookup *lk, char *why, size_t size);
/* X-Vcache-Timecode and X-Vcache-Frame of the keyframe found; as snprintf(). */
size_t stream_lookup_headers(char *buf, size_t size, const struct vcache_lookup *lk);

#endif /* VCACHE_STREAMER_H */
