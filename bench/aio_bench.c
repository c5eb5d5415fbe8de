// SPDX-License-Identifier: GPL-2.0
/*
 * How do ways of reading files asynchronously compare when a server issues
 * small reads on a fixed schedule? The workload: 1000 reads at 1 ms
 * intervals of files of 1 to 100 KB, 1, 6, 12 or 24 files at once; what is
 * measured: wall time, peak threads, peak RSS and VSZ, and CPU%. Precisely:
 * 1000 ticks, 1 ms apart on an absolute schedule (a late tick does not push
 * the later ones back; missed ticks are issued at once), and at every tick
 * one whole-file read of each of the N files: 1000 x N reads. If nothing
 * queues up, the last reads complete one read's latency after the last tick,
 * so the ideal wall time is ticks x interval + one read's latency (the
 * median measured), 1.0 s + a few microseconds here.
 *
 * Methods, each run in a child process of its own (fork) so that threads,
 * RSS, VSZ and CPU are its alone:
 *   blocking    pread(2) in the loop
 *   threadpool  one worker thread per request in flight (a pool that grows
 *               whenever every worker is busy), as Python's and
 *               Node's thread-pool file I/O do; completions come back through an eventfd
 *   posix-aio   glibc's aio_read() (a user-space thread pool), completions
 *               as real-time signals read from a signalfd
 *   libaio      kernel AIO through libaio, eventfd + epoll
 *   kaio        kernel AIO through user/lib/aio.c, eventfd + epoll; completions
 *               taken from the ring, the eventfd armed only while reads
 *               are in flight (see "kaio" below)
 *   kaio-sync   user/lib/aio.c's synchronous fallback, for comparison
 *   io_uring    liburing, eventfd + epoll
 * All of them run the same loop: epoll_pwait2() with a timeout to the next
 * tick's absolute deadline (as an asyncio loop sleeps), issue, reap. The
 * event-driven methods whose completions may already be there when the
 * submission returns (kaio, kaio-sync, libaio, io_uring) look once right
 * after submitting, without a system call for libaio's and io_uring's ring.
 *
 * Measured in the child over the timed loop: wall time (first deadline
 * minus one interval to the last completion), CPU% = (utime + stime) / wall
 * from getrusage(RUSAGE_SELF), which includes every thread; at its end the
 * child reads Threads, VmHWM and VmPeak from /proc/self/status. The parent
 * samples the child's thread count every millisecond meanwhile, so that
 * threads that come and go are counted; "threads" is the peak of all that.
 * Every read's byte count is checked, and the first and last tick's data of
 * every file is checksummed against what was written.
 *
 * Targets: a directory (--dir, tmpfs /dev/shm by default; files created
 * and removed by the bench) or, with --vcache, sealed videos in /dev/vcache
 * read through descriptors bound read-only.
 *
 * Output: a Markdown table, then "RATIO name value" and "TARGET name
 * PASS|FAIL ..." lines for scripts.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/vcache.h>
#include "../user/lib/aio.h"

#define MAX_FILES	64
#define MAX_COUNTS	8
#define MAX_REPS	15
#define MIN_SIZE	1024
#define MAX_SIZE	(100 * 1024)
#define POOL_MAX	4096	/* threadpool workers, at most */
#define QUEUE_DEPTH	4096	/* kaio, libaio, io_uring slots */
#define STALL_NS	(20 * 1000000000LL)

static const char *prog = "aio_bench";

/* ---- the files ------------------------------------------------------- */

struct fileset {
	int n;
	size_t size[MAX_FILES];
	uint64_t sum[MAX_FILES];
	char path[MAX_FILES][160];	/* --dir */
	char name[MAX_FILES][VCACHE_NAME_MAX];	/* --vcache */
	bool vcache;
	const char *dir;
};

static struct fileset files;

/* Sizes spread over 1-100 KB, the same on every run. */
static size_t file_size(int i)
{
	uint32_t x = (uint32_t)(i + 1) * 2654435761u;

	x ^= x >> 15;
	return MIN_SIZE + x % (MAX_SIZE - MIN_SIZE + 1);
}

static uint8_t file_byte(int i, size_t off)
{
	return (uint8_t)(((off + 1) * 0x9e3779b1u + (uint32_t)i * 0x85ebca6bu) >> 13);
}

/* A quick 64-bit checksum: word at a time, so that it costs little. */
static uint64_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static void make_files(int n)
{
	/* mmap, not malloc: unmapped afterwards, it leaves no RSS to fork. */
	uint8_t *buf = mmap(NULL, MAX_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i, fd, ctl = -1;
	size_t j;

	if (buf == MAP_FAILED)
		die("mmap");
	if (files.vcache) {
		ctl = open("/dev/vcache", O_RDWR | O_CLOEXEC);
		if (ctl < 0)
			die("/dev/vcache");
		close(ctl);
	}
	files.n = n;
	for (i = 0; i < n; i++) {
		files.size[i] = file_size(i);
		for (j = 0; j < files.size[i]; j++)
			buf[j] = file_byte(i, j);
		files.sum[i] = checksum(buf, files.size[i]);
		if (files.vcache) {
			struct vcache_create c = {
				.capacity = files.size[i], .fps_num = 25, .fps_den = 1,
			};

			snprintf(files.name[i], sizeof(files.name[i]),
				 "aio-bench-%d-%d", (int)getpid(), i);
			memcpy(c.name, files.name[i], sizeof(c.name));
			fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);
			if (fd < 0 || ioctl(fd, VCACHE_IOC_CREATE, &c))
				die("VCACHE_IOC_CREATE");
		} else {
			snprintf(files.path[i], sizeof(files.path[i]),
				 "%s/aio-bench-%d-%d", files.dir, (int)getpid(), i);
			fd = open(files.path[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0600);
			if (fd < 0)
				die(files.path[i]);
		}
		if (pwrite(fd, buf, files.size[i], 0) != (ssize_t)files.size[i])
			die("write");
		if (files.vcache && ioctl(fd, VCACHE_IOC_SEAL, 0))
			die("VCACHE_IOC_SEAL");
		close(fd);
	}
	munmap(buf, MAX_SIZE);
}

static void remove_files(void)
{
	int i, fd = -1;

	if (files.vcache)
		fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);
	for (i = 0; i < files.n; i++) {
		if (files.vcache) {
			struct vcache_delete d = { 0 };

			memcpy(d.name, files.name[i], sizeof(d.name));
			if (fd >= 0)
				ioctl(fd, VCACHE_IOC_DELETE, &d);
		} else {
			unlink(files.path[i]);
		}
	}
	if (fd >= 0)
		close(fd);
}

/* Interrupted: leave no files or videos behind, then die of the signal. */
static void on_signal(int sig)
{
	remove_files();
	raise(sig);	/* SA_RESETHAND: the default action now */
}

static void cleanup_on_signals(bool on)
{
	struct sigaction sa = {
		.sa_handler = on ? on_signal : SIG_DFL,
		.sa_flags = SA_RESETHAND,
	};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* In the child: the files opened read-only (for vcache, bound to videos). */
static int open_file(int i)
{
	struct vcache_open o = { 0 };
	int fd;

	if (!files.vcache)
		return open(files.path[i], O_RDONLY | O_CLOEXEC);
	fd = open("/dev/vcache", O_RDONLY | O_CLOEXEC);
	memcpy(o.name, files.name[i], sizeof(o.name));
	if (fd >= 0 && ioctl(fd, VCACHE_IOC_OPEN, &o)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- one run: the loop every method shares --------------------------- */

struct run;

struct req {
	struct req *next;		/* free list, queues */
	int file;
	unsigned int tick;
	int64_t t_issue;
	long res;			/* threadpool: the worker's result */
	size_t slot;			/* posix-aio: index in its in-flight array */
	uint8_t *buf;
	union {
		struct aiocb acb;
		struct iocb liocb;
		struct vaio_iocb viocb;
	} u;
};

struct method {
	const char *name;
	/* Returns 0, or -errno with r->note saying what failed. */
	int (*setup)(struct run *r);
	void (*issue)(struct run *r, struct req **q, int n);
	void (*reap)(struct run *r);
	void (*teardown)(struct run *r);
	/*
	 * Called when the loop, every tick issued, waited a second for
	 * nothing: find completions whose notification was lost.
	 */
	void (*sweep)(struct run *r);
};

/* What the child reports to the parent. */
struct result {
	int ok;
	double wall;			/* seconds */
	double cpu;			/* seconds, user + system */
	double lat_p50, lat_p99;	/* microseconds */
	double lag_max;			/* microseconds a tick was issued late */
	uint64_t reads, bytes, bad, sums;
	uint64_t in_submit;		/* completions seen before issue() returned */
	long threads_end;		/* Threads at the end of the loop */
	long threads_counted;		/* threadpool: workers + 1 */
	long hwm_kb, peak_kb;
	char note[300];
};

struct run {
	const struct method *m;
	int nfiles;
	int fds[MAX_FILES];
	unsigned int ticks;
	int64_t interval;		/* ns */
	int epfd;
	struct req *free[MAX_FILES];
	uint64_t issued, completed, total;
	int64_t t0, last_done;
	float *lat;
	struct result *res;
	void *priv;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct req *get_req(struct run *r, int file)
{
	struct req *q = r->free[file];

	if (q) {
		r->free[file] = q->next;
		return q;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		die("calloc");
	q->buf = malloc(files.size[file]);
	if (!q->buf)
		die("malloc");
	q->file = file;
	return q;
}

/* Every method reports each read here, in the loop's thread. */
static void complete(struct run *r, struct req *q, long res)
{
	int64_t t = now_ns();
	struct result *s = r->res;
	size_t want = files.size[q->file];

	if (res != (long)want) {
		if (!s->bad++)
			snprintf(s->note, sizeof(s->note),
				 "file %d tick %u: read returned %ld, expected %zu",
				 q->file, q->tick, res, want);
	} else {
		s->bytes += res;
		/* Checksum the first and the last tick: every file, twice. */
		if (q->tick == 0 || q->tick == r->ticks - 1) {
			s->sums++;
			if (checksum(q->buf, want) != files.sum[q->file] && !s->bad++)
				snprintf(s->note, sizeof(s->note),
					 "file %d tick %u: checksum mismatch",
					 q->file, q->tick);
		}
	}
	r->lat[r->completed++] = (t - q->t_issue) / 1e3;
	r->last_done = t;
	q->next = r->free[q->file];
	r->free[q->file] = q;
}

static int add_fd(struct run *r, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* ---- blocking -------------------------------------------------------- */

static void blocking_issue(struct run *r, struct req **q, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ssize_t got = pread(r->fds[q[i]->file], q[i]->buf,
				    files.size[q[i]->file], 0);

		complete(r, q[i], got < 0 ? -errno : got);
	}
}

/* ---- threadpool: a worker per request in flight ---------------------- */

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct req *head, **tail;	/* waiting for a worker */
	struct req *done;		/* finished, for the loop */
	int queued, idle, nthreads;
	int starting;			/* created, not yet in the loop */
	bool stop;
	int efd;
	struct run *r;
	pthread_t tid[POOL_MAX];
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct req *q;
	uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	p->starting--;
	for (;;) {
		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->idle--;
		}
		if (!p->head)
			break;
		q = p->head;
		p->head = q->next;
		if (!p->head)
			p->tail = &p->head;
		p->queued--;
		pthread_mutex_unlock(&p->lock);

		q->res = pread(p->r->fds[q->file], q->buf, files.size[q->file], 0);
		if (q->res < 0)
			q->res = -errno;

		pthread_mutex_lock(&p->lock);
		q->next = p->done;
		p->done = q;
		pthread_mutex_unlock(&p->lock);
		if (write(p->efd, &one, sizeof(one)) < 0)
			abort();	/* a lost completion would hang the run */
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int pool_setup(struct run *r)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->tail = &p->head;
	p->r = r;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->priv = p;
	return p->efd < 0 ? -errno : add_fd(r, p->efd);
}

static void pool_issue(struct run *r, struct req **q, int n)
{
	struct pool *p = r->priv;
	int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++) {
		q[i]->next = NULL;
		*p->tail = q[i];
		p->tail = &q[i]->next;
	}
	p->queued += n;
	/*
	 * Grow until every waiting request has a worker of its own: idle
	 * ones (woken below) or ones just started.
	 */
	while (p->queued > p->idle + p->starting && p->nthreads < POOL_MAX) {
		if (pthread_create(&p->tid[p->nthreads], NULL, pool_worker, p))
			break;
		p->nthreads++;
		p->starting++;
	}
	pthread_cond_broadcast(&p->cond);
	if (p->nthreads + 1 > r->res->threads_counted)
		r->res->threads_counted = p->nthreads + 1;
	pthread_mutex_unlock(&p->lock);
}

static void pool_reap(struct run *r)
{
	struct pool *p = r->priv;
	struct req *q, *next;
	uint64_t count;

	if (read(p->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		die("eventfd");
	pthread_mutex_lock(&p->lock);
	q = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->lock);
	for (; q; q = next) {
		next = q->next;
		complete(r, q, q->res);
	}
}

static void pool_teardown(struct run *r)
{
	struct pool *p = r->priv;
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tid[i], NULL);
	close(p->efd);
	free(p);
}

/* ---- posix-aio: glibc aio_read() ------------------------------------- */

struct posix {
	int sfd;
	struct req **inflight;
	size_t n, cap;
	uint64_t swept;
};

static void posix_done(struct run *r, struct req *q)
{
	struct posix *p = r->priv;
	int err = aio_error(&q->u.acb);

	/* Swap-remove from the in-flight array, then report. */
	p->inflight[q->slot] = p->inflight[--p->n];
	p->inflight[q->slot]->slot = q->slot;
	complete(r, q, err ? -err : aio_return(&q->u.acb));
}

static bool posix_in_flight(struct posix *p, struct req *q)
{
	return q->slot < p->n && p->inflight[q->slot] == q;
}

static int posix_setup(struct run *r)
{
	struct posix *p = calloc(1, sizeof(*p));
	sigset_t set;

	struct rlimit rl;

	if (!p)
		return -ENOMEM;
	p->sfd = -1;
	r->priv = p;
	/*
	 * Every completion queues a real-time signal, and past
	 * RLIMIT_SIGPENDING (a few thousand) glibc's sigqueue fails and the
	 * notification is lost: a loop that falls behind (under TCG) would
	 * wait for it forever. Lift the limit as far as we may; the sweep
	 * below catches what is lost anyway.
	 */
	if (!getrlimit(RLIMIT_SIGPENDING, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_SIGPENDING,
			      &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY }))
			setrlimit(RLIMIT_SIGPENDING, &rl);
	}
	/* Blocked before glibc starts its threads, so they inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	p->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return p->sfd < 0 ? -errno : add_fd(r, p->sfd);
}

static void posix_issue(struct run *r, struct req **q, int n)
{
	struct posix *p = r->priv;
	int i;

	for (i = 0; i < n; i++) {
		struct aiocb *a = &q[i]->u.acb;

		memset(a, 0, sizeof(*a));
		a->aio_fildes = r->fds[q[i]->file];
		a->aio_buf = q[i]->buf;
		a->aio_nbytes = files.size[q[i]->file];
		a->aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		a->aio_sigevent.sigev_signo = SIGRTMIN;
		a->aio_sigevent.sigev_value.sival_ptr = q[i];
		if (aio_read(a)) {
			complete(r, q[i], -errno);
			continue;
		}
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 256;
			p->inflight = realloc(p->inflight, p->cap * sizeof(*p->inflight));
			if (!p->inflight)
				die("realloc");
		}
		q[i]->slot = p->n;
		p->inflight[p->n++] = q[i];
	}
}

static void posix_reap(struct run *r)
{
	struct posix *p = r->priv;
	struct signalfd_siginfo si[32];
	ssize_t got;
	int i, n;

	while ((got = read(p->sfd, si, sizeof(si))) > 0) {
		n = got / sizeof(si[0]);
		for (i = 0; i < n; i++) {
			struct req *q = (struct req *)(uintptr_t)si[i].ssi_ptr;

			/* A late signal of a request the sweep took: ignore. */
			if (posix_in_flight(p, q) &&
			    aio_error(&q->u.acb) != EINPROGRESS)
				posix_done(r, q);
		}
		if (n < 32)
			break;
	}
}

static void posix_sweep(struct run *r)
{
	struct posix *p = r->priv;
	size_t i;

	for (i = p->n; i-- > 0;) {
		if (aio_error(&p->inflight[i]->u.acb) == EINPROGRESS)
			continue;
		posix_done(r, p->inflight[i]);
		p->swept++;
	}
	if (p->swept && !r->res->bad)
		snprintf(r->res->note, sizeof(r->res->note),
			 "%llu completions found by the sweep: signals lost",
			 (unsigned long long)p->swept);
}

static void posix_teardown(struct run *r)
{
	struct posix *p = r->priv;

	if (!p)
		return;
	if (p->sfd >= 0)
		close(p->sfd);
	free(p->inflight);
	free(p);
}

/* ---- libaio ---------------------------------------------------------- */

struct laio {
	io_context_t ctx;
	int efd;
	struct io_event ev[64];
};

static int laio_setup(struct run *r)
{
	struct laio *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	r->priv = l;
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->efd < 0)
		return -errno;
	err = io_setup(QUEUE_DEPTH, &l->ctx);	/* libaio returns -errno */
	return err ? err : add_fd(r, l->efd);
}

static void laio_reap(struct run *r)
{
	struct laio *l = r->priv;
	struct timespec zero = { 0 };
	uint64_t count;
	int n, i;

	if (read(l->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		die("eventfd");
	do {
		n = io_getevents(l->ctx, 0, 64, l->ev, &zero);
		for (i = 0; i < n; i++)
			complete(r, l->ev[i].data, (long)l->ev[i].res);
	} while (n == 64);
}

static void laio_issue(struct run *r, struct req **q, int n)
{
	struct laio *l = r->priv;
	struct iocb *cbs[MAX_FILES];
	int i, done = 0, got;

	for (i = 0; i < n; i++) {
		io_prep_pread(&q[i]->u.liocb, r->fds[q[i]->file], q[i]->buf,
			      files.size[q[i]->file], 0);
		io_set_eventfd(&q[i]->u.liocb, l->efd);
		q[i]->u.liocb.data = q[i];
		cbs[i] = &q[i]->u.liocb;
	}
	while (done < n) {
		got = io_submit(l->ctx, n - done, cbs + done);
		if (got <= 0) {
			/* The first one left was refused: fail it, go on. */
			complete(r, q[done], got ? got : -EAGAIN);
			done++;
			continue;
		}
		done += got;
	}
	laio_reap(r);
}

static void laio_teardown(struct run *r)
{
	struct laio *l = r->priv;

	if (!l)
		return;
	if (l->ctx)
		io_destroy(l->ctx);
	if (l->efd >= 0)
		close(l->efd);
	free(l);
}

/* ---- kaio: user/lib/aio.c ------------------------------------------------ */

/*
 * Reads of tmpfs and of /dev/vcache complete inside io_submit(), so the
 * completions are in the ring when it returns: kaio takes them from there
 * (vaio_reap_ring(), no system call) and arms the eventfd in epoll
 * (EPOLLONESHOT) only while reads are still in flight. A tick whose reads
 * all completed costs io_submit() and the loop's wait: two system calls,
 * whatever the number of files, where blocking makes one pread() a file
 * and the wait. Without a ring to read (kaio-sync, or a kernel whose ring
 * this code does not know), the eventfd stays armed and every reap reads it.
 */
struct kaio {
	struct vaio v;			/* first: kaio_teardown() */
	int efd;
	bool lazy;			/* armed only while reads are in flight */
	bool armed;
};

static void kaio_done(struct vaio *ctx, struct vaio_iocb *cb, void *cookie,
		      long res, void *arg)
{
	complete(arg, cookie, res);
}

static int kaio_setup_flags(struct run *r, unsigned int flags)
{
	struct kaio *k = calloc(1, sizeof(*k));
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!k)
		return -ENOMEM;
	err = vaio_init(&k->v, QUEUE_DEPTH, flags | VAIO_QUIET);
	if (err) {
		snprintf(r->res->note, sizeof(r->res->note), "%s", vaio_reason(&k->v));
		free(k);
		return err;
	}
	r->priv = k;
	if (vaio_is_sync(&k->v) && !(flags & VAIO_SYNC))
		snprintf(r->res->note, sizeof(r->res->note), "fell back: %s",
			 vaio_reason(&k->v));
	k->efd = vaio_eventfd(&k->v);
	k->lazy = k->v.ring != NULL && !vaio_is_sync(&k->v);
	/* Lazy: registered disarmed (no event bits), armed when needed. */
	if (k->lazy)
		ev.events = EPOLLONESHOT;
	k->armed = !k->lazy;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, k->efd, &ev) ? -errno : 0;
}

static int kaio_setup(struct run *r)
{
	return kaio_setup_flags(r, 0);
}

static int kaio_sync_setup(struct run *r)
{
	return kaio_setup_flags(r, VAIO_SYNC);
}

/*
 * Reads still in flight: clear the doorbell (vaio_reap() reads it, and
 * reaps what came meanwhile), then arm it. A completion after the read
 * rings it again and the MOD sees that.
 */
static void kaio_arm(struct run *r, struct kaio *k)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

	if (vaio_reap(&k->v, kaio_done, r) < 0)
		die("vaio_reap");
	if (!vaio_in_flight(&k->v))
		return;
	if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, k->efd, &ev))
		die("epoll_ctl");
	k->armed = true;
}

static void kaio_reap(struct run *r)
{
	struct kaio *k = r->priv;

	if (!k->lazy) {
		if (vaio_reap(&k->v, kaio_done, r) < 0)
			die("vaio_reap");
		return;
	}
	/* EPOLLONESHOT disarmed it when it fired. */
	k->armed = false;
	kaio_arm(r, k);
}

static void kaio_issue(struct run *r, struct req **q, int n)
{
	struct kaio *k = r->priv;
	struct vaio_iocb *cbs[MAX_FILES];
	int i, done = 0, got;

	for (i = 0; i < n; i++) {
		vaio_prep_pread(&q[i]->u.viocb, r->fds[q[i]->file], q[i]->buf,
				files.size[q[i]->file], 0, q[i]);
		cbs[i] = &q[i]->u.viocb;
	}
	while (done < n) {
		got = vaio_submit(&k->v, cbs + done, n - done);
		if (got < 0) {
			complete(r, q[done], got);
			done++;
			continue;
		}
		done += got;
	}
	if (!k->lazy) {
		/* Reads that completed inside io_submit() are in the ring already. */
		kaio_reap(r);
		return;
	}
	if (vaio_reap_ring(&k->v, kaio_done, r) < 0)
		die("vaio_reap_ring");
	if (vaio_in_flight(&k->v) && !k->armed)
		kaio_arm(r, k);
}

static void kaio_teardown(struct run *r)
{
	if (r->priv)
		vaio_destroy(r->priv);
	free(r->priv);
}

/* ---- io_uring -------------------------------------------------------- */

struct uring {
	struct io_uring ring;
	bool ring_ok;
	int efd;
};

static int uring_setup(struct run *r)
{
	struct uring *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return -ENOMEM;
	r->priv = u;
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->efd < 0)
		return -errno;
	err = io_uring_queue_init(QUEUE_DEPTH, &u->ring, 0);
	if (err)
		return err;
	u->ring_ok = true;
	err = io_uring_register_eventfd(&u->ring, u->efd);
	return err ? err : add_fd(r, u->efd);
}

static void uring_reap(struct run *r)
{
	struct uring *u = r->priv;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	uint64_t count;

	if (read(u->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		die("eventfd");
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		complete(r, io_uring_cqe_get_data(cqe), cqe->res);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
}

static void uring_issue(struct run *r, struct req **q, int n)
{
	struct uring *u = r->priv;
	int i;

	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

		if (!sqe) {
			io_uring_submit(&u->ring);
			sqe = io_uring_get_sqe(&u->ring);
		}
		if (!sqe) {
			complete(r, q[i], -EAGAIN);
			continue;
		}
		io_uring_prep_read(sqe, r->fds[q[i]->file], q[i]->buf,
				   files.size[q[i]->file], 0);
		io_uring_sqe_set_data(sqe, q[i]);
	}
	io_uring_submit(&u->ring);
	/* Completions posted inline are in the CQ ring: no system call. */
	if (io_uring_cq_ready(&u->ring))
		uring_reap(r);
}

static void uring_teardown(struct run *r)
{
	struct uring *u = r->priv;

	if (!u)
		return;
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	if (u->efd >= 0)
		close(u->efd);
	free(u);
}

static const struct method methods[] = {
	{ .name = "blocking", .issue = blocking_issue },
	{ .name = "threadpool", .setup = pool_setup, .issue = pool_issue,
	  .reap = pool_reap, .teardown = pool_teardown },
	{ .name = "posix-aio", .setup = posix_setup, .issue = posix_issue,
	  .reap = posix_reap, .teardown = posix_teardown, .sweep = posix_sweep },
	{ .name = "libaio", .setup = laio_setup, .issue = laio_issue,
	  .reap = laio_reap, .teardown = laio_teardown },
	{ .name = "kaio", .setup = kaio_setup, .issue = kaio_issue,
	  .reap = kaio_reap, .teardown = kaio_teardown },
	{ .name = "kaio-sync", .setup = kaio_sync_setup, .issue = kaio_issue,
	  .reap = kaio_reap, .teardown = kaio_teardown },
	{ .name = "io_uring", .setup = uring_setup, .issue = uring_issue,
	  .reap = uring_reap, .teardown = uring_teardown },
};
#define NMETHODS ((int)(sizeof(methods) / sizeof(methods[0])))

/* ---- the child ------------------------------------------------------- */

static long status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/*
 * epoll_pwait2(): a nanosecond timeout, so that ticks land on time. Where
 * it is missing (valgrind 3.19 does not know it, for the callgrind counts
 * below) epoll_wait() with the timeout rounded up to a millisecond.
 */
static int wait_events(int epfd, struct epoll_event *ev, int n,
		       const struct timespec *ts)
{
	static bool no_pwait2;
	int r;

	if (!no_pwait2) {
		r = epoll_pwait2(epfd, ev, n, ts, NULL);
		if (r >= 0 || errno != ENOSYS)
			return r;
		no_pwait2 = true;
	}
	return epoll_wait(epfd, ev, n, ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
}

static void loop(struct run *r)
{
	struct req *q[MAX_FILES];
	struct epoll_event ev[8];
	unsigned int next = 0;
	int64_t deadline, t;
	uint64_t done;
	int i, n;

	r->t0 = now_ns();
	r->last_done = r->t0;
	while (r->completed < r->total) {
		t = now_ns();
		/* Every tick that is due, late ones included, in order. */
		while (next < r->ticks &&
		       t >= (deadline = r->t0 + (int64_t)(next + 1) * r->interval)) {
			if ((t - deadline) / 1e3 > r->res->lag_max)
				r->res->lag_max = (t - deadline) / 1e3;
			for (i = 0; i < r->nfiles; i++) {
				q[i] = get_req(r, i);
				q[i]->tick = next;
				q[i]->t_issue = t;
			}
			r->issued += r->nfiles;
			next++;
			done = r->completed;
			r->m->issue(r, q, r->nfiles);
			r->res->in_submit += r->completed - done;
			t = now_ns();
		}
		if (r->completed == r->total)
			break;
		if (next < r->ticks) {
			int64_t wait = r->t0 + (int64_t)(next + 1) * r->interval - t;
			struct timespec ts = {
				.tv_sec = wait > 0 ? wait / 1000000000 : 0,
				.tv_nsec = wait > 0 ? wait % 1000000000 : 0,
			};

			n = wait_events(r->epfd, ev, 8, &ts);
		} else {
			struct timespec ts = { .tv_sec = 1 };

			n = wait_events(r->epfd, ev, 8, &ts);
			if (!n && now_ns() - r->last_done > STALL_NS) {
				snprintf(r->res->note, sizeof(r->res->note),
					 "stalled: %llu of %llu reads completed",
					 (unsigned long long)r->completed,
					 (unsigned long long)r->total);
				return;
			}
		}
		if (n < 0 && errno != EINTR)
			die("epoll_pwait2");
		if (n > 0)
			r->m->reap(r);
		else if (!n && next == r->ticks && r->m->sweep)
			r->m->sweep(r);
	}
}

static void child(const struct method *m, int nfiles, unsigned int ticks,
		  int64_t interval, int out)
{
	struct result res = { 0 };
	struct run r = {
		.m = m, .nfiles = nfiles, .ticks = ticks, .interval = interval,
		.res = &res,
	};
	struct rusage ru0, ru1;
	char status[4096];
	int i, fd, err = 0;
	ssize_t len;

	r.total = (uint64_t)ticks * nfiles;
	r.lat = calloc(r.total, sizeof(*r.lat));
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r.lat || r.epfd < 0)
		die("setup");
	for (i = 0; i < nfiles; i++) {
		r.fds[i] = open_file(i);
		if (r.fds[i] < 0)
			die("open");
		/* Two buffers a file up front: the loop allocates only if needed. */
		r.free[i] = get_req(&r, i);
		r.free[i]->next = get_req(&r, i);
	}
	if (m->setup)
		err = m->setup(&r);
	if (err) {
		if (!res.note[0])
			snprintf(res.note, sizeof(res.note), "setup: %s",
				 strerror(-err));
	} else {
		getrusage(RUSAGE_SELF, &ru0);
		loop(&r);
		getrusage(RUSAGE_SELF, &ru1);
		res.wall = (r.last_done - r.t0) / 1e9;
		res.cpu = ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
			  (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
			  ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec +
			  (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
		res.reads = r.completed;
		if (r.completed) {
			qsort(r.lat, r.completed, sizeof(*r.lat), cmp_float);
			res.lat_p50 = r.lat[r.completed / 2];
			res.lat_p99 = r.lat[r.completed * 99 / 100];
		}
		res.ok = r.completed == r.total && !res.bad;
	}
	/* Peaks and threads before teardown, with every worker still there. */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	len = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
	status[len > 0 ? len : 0] = '\0';
	if (fd >= 0)
		close(fd);
	res.threads_end = status_field(status, "Threads:");
	res.hwm_kb = status_field(status, "VmHWM:");
	res.peak_kb = status_field(status, "VmPeak:");
	if (m->teardown)
		m->teardown(&r);
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(3);
	_exit(0);
}

/* num_threads, field 20 of /proc/PID/stat. */
static long stat_threads(int fd)
{
	char buf[1024], *p;
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	int field;

	if (len <= 0)
		return -1;
	buf[len] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* Field 3 starts two characters after the ')'. */
	for (field = 2; field < 20 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtol(p + 1, NULL, 10) : -1;
}

/* Fork, sample the child's threads while it runs, collect its result. */
static int run_one(const struct method *m, int nfiles, unsigned int ticks,
		   int64_t interval, struct result *res, long *threads_sampled)
{
	struct timespec tick = { 0, 1000000 };
	int pfd[2], status, sfd;
	char path[64];
	pid_t pid;
	long t;

	if (pipe2(pfd, O_CLOEXEC))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		/* The files are the parent's to remove. */
		cleanup_on_signals(false);
		close(pfd[0]);
		child(m, nfiles, ticks, interval, pfd[1]);
	}
	close(pfd[1]);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	sfd = open(path, O_RDONLY | O_CLOEXEC);
	*threads_sampled = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		t = stat_threads(sfd);
		if (t > *threads_sampled)
			*threads_sampled = t;
		nanosleep(&tick, NULL);
	}
	if (sfd >= 0)
		close(sfd);
	memset(res, 0, sizeof(*res));
	if (read(pfd[0], res, sizeof(*res)) != sizeof(*res)) {
		snprintf(res->note, sizeof(res->note), "child died (status %#x)",
			 status);
		res->ok = 0;
	}
	close(pfd[0]);
	return res->ok ? 0 : -1;
}

/* ---- the report ------------------------------------------------------ */

/* One method at one file count: every run's numbers, then the medians. */
struct cell {
	bool done;
	int good, failed;
	double wall[MAX_REPS], cpu[MAX_REPS], lat[MAX_REPS], lag[MAX_REPS];
	double wall_s, cpu_pct, cpu_min, cpu_max, ideal, lat_p50, lag_max;
	long threads;
	double rss_mb, vsz_mb;
	uint64_t reads, sums;
	uint64_t all_reads, in_submit;
	char note[300];
};

static struct cell cells[NMETHODS][MAX_COUNTS];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int method_index(const char *name)
{
	int i;

	for (i = 0; i < NMETHODS; i++)
		if (!strcmp(methods[i].name, name))
			return i;
	return -1;
}

static void usage(int status)
{
	int i;

	fprintf(status ? stderr : stdout,
		"usage: %s [--dir DIR | --vcache] [--ticks N] [--interval-us US]\n"
		"          [--files 1,6,12,24] [--methods a,b,...] [--reps R]\n"
		"          [--label TEXT]\n"
		"methods:", prog);
	for (i = 0; i < NMETHODS; i++)
		fprintf(status ? stderr : stdout, " %s", methods[i].name);
	fprintf(status ? stderr : stdout, "\n");
	exit(status);
}

static const char *fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf))
		return "?";
	switch (sf.f_type) {
	case TMPFS_MAGIC:
		return "tmpfs";
	case EXT4_SUPER_MAGIC:
		return "ext4";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	case V9FS_MAGIC:
		return "9p";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	int counts[MAX_COUNTS] = { 1, 6, 12, 24 }, ncounts = 4, maxn = 0;
	bool use[NMETHODS];
	unsigned int ticks = 1000, reps = 1, rep;
	int64_t interval = 1000000;
	const char *label = NULL;
	struct utsname un;
	size_t total_size = 0;
	int i, j, k, m, failures = 0;
	char *tok, *save;

	for (i = 0; i < NMETHODS; i++)
		use[i] = true;
	files.dir = "/dev/shm";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			usage(0);
		if (!strcmp(a, "--vcache")) {
			files.vcache = true;
			continue;
		}
		if (!v)
			usage(2);
		i++;
		if (!strcmp(a, "--dir")) {
			files.dir = v;
		} else if (!strcmp(a, "--ticks")) {
			ticks = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--interval-us")) {
			interval = strtoll(v, NULL, 10) * 1000;
		} else if (!strcmp(a, "--reps")) {
			reps = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--label")) {
			label = v;
		} else if (!strcmp(a, "--files")) {
			char *s = strdup(v);

			ncounts = 0;
			for (tok = strtok_r(s, ",", &save); tok && ncounts < MAX_COUNTS;
			     tok = strtok_r(NULL, ",", &save))
				counts[ncounts++] = atoi(tok);
			free(s);
		} else if (!strcmp(a, "--methods")) {
			char *s = strdup(v);

			for (j = 0; j < NMETHODS; j++)
				use[j] = false;
			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				m = method_index(tok);
				if (m < 0) {
					fprintf(stderr, "%s: unknown method %s\n", prog, tok);
					usage(2);
				}
				use[m] = true;
			}
			free(s);
		} else {
			usage(2);
		}
	}
	if (!ticks || interval <= 0 || !reps || reps > MAX_REPS || !ncounts)
		usage(2);
	for (i = 0; i < ncounts; i++) {
		if (counts[i] < 1 || counts[i] > MAX_FILES)
			usage(2);
		if (counts[i] > maxn)
			maxn = counts[i];
	}

	cleanup_on_signals(true);
	make_files(maxn);
	for (i = 0; i < maxn; i++)
		total_size += files.size[i];
	uname(&un);
	printf("### AIO bench: %s%s\n\n", label ? label : "",
	       label ? "" : (files.vcache ? "/dev/vcache" : files.dir));
	printf("Kernel %s, %ld CPUs. Target: %s. %u ticks x %.3f ms, "
	       "at each tick one whole-file read of each of N files "
	       "(%d files, %zu to %zu bytes, %zu in all); %u run(s) per cell, "
	       "medians shown.\n\n",
	       un.release, sysconf(_SC_NPROCESSORS_ONLN),
	       files.vcache ? "sealed videos in /dev/vcache, read-only descriptors" :
	       fs_name(files.dir),
	       ticks, interval / 1e6, maxn, (size_t)MIN_SIZE, (size_t)MAX_SIZE,
	       total_size, reps);
	fflush(stdout);

	/*
	 * Repetitions outermost, so that a burst of load elsewhere on the
	 * machine spreads over every cell instead of spoiling one.
	 */
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < ncounts; k++) {
			for (m = 0; m < NMETHODS; m++) {
				struct cell *c = &cells[m][k];
				struct result res;
				long sampled;

				if (!use[m])
					continue;
				c->done = true;
				if (run_one(&methods[m], counts[k], ticks, interval,
					    &res, &sampled)) {
					c->failed++;
					snprintf(c->note, sizeof(c->note), "%s", res.note);
					fprintf(stderr, "%s: %s, %d files: %s\n", prog,
						methods[m].name, counts[k], res.note);
					continue;
				}
				if (res.note[0] && !c->note[0])
					snprintf(c->note, sizeof(c->note), "%s", res.note);
				c->wall[c->good] = res.wall;
				c->cpu[c->good] = res.wall > 0 ? 100 * res.cpu / res.wall : 0;
				c->lat[c->good] = res.lat_p50;
				c->lag[c->good] = res.lag_max;
				c->good++;
				if (sampled > c->threads)
					c->threads = sampled;
				if (res.threads_end > c->threads)
					c->threads = res.threads_end;
				if (res.threads_counted > c->threads)
					c->threads = res.threads_counted;
				if (res.hwm_kb / 1024.0 > c->rss_mb)
					c->rss_mb = res.hwm_kb / 1024.0;
				if (res.peak_kb / 1024.0 > c->vsz_mb)
					c->vsz_mb = res.peak_kb / 1024.0;
				c->reads = res.reads;
				c->sums = res.sums;
				c->all_reads += res.reads;
				c->in_submit += res.in_submit;
				fprintf(stderr, "%s: run %u: %-10s %2d files: wall %.4f s, cpu %.1f%%, threads %ld\n",
					prog, rep + 1, methods[m].name, counts[k],
					res.wall, c->cpu[c->good - 1], c->threads);
			}
		}
	}
	for (k = 0; k < ncounts; k++) {
		for (m = 0; m < NMETHODS; m++) {
			struct cell *c = &cells[m][k];

			if (!c->done)
				continue;
			if (c->failed)
				failures++;
			if (!c->good)
				continue;
			c->cpu_min = c->cpu[0];
			c->cpu_max = c->cpu[0];
			for (j = 1; j < c->good; j++) {
				if (c->cpu[j] < c->cpu_min)
					c->cpu_min = c->cpu[j];
				if (c->cpu[j] > c->cpu_max)
					c->cpu_max = c->cpu[j];
			}
			c->wall_s = median(c->wall, c->good);
			c->cpu_pct = median(c->cpu, c->good);
			c->lat_p50 = median(c->lat, c->good);
			c->lag_max = median(c->lag, c->good);
			c->ideal = ticks * interval / 1e9 + c->lat_p50 / 1e6;
		}
	}
	remove_files();

	printf("| method | files | wall s | threads | RSS MB | VSZ MB | CPU%% | CPU%% range | ideal s | wall/ideal | read p50 us | worst tick lag ms | done in submit %% | reads (sums) |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n");
	for (k = 0; k < ncounts; k++) {
		for (m = 0; m < NMETHODS; m++) {
			struct cell *c = &cells[m][k];

			if (!c->done)
				continue;
			if (!c->good) {
				printf("| %s | %d | failed: %s | | | | | | | | | | | |\n",
				       methods[m].name, counts[k], c->note);
				continue;
			}
			printf("| %s | %d | %.3f | %ld | %.1f | %.1f | %.1f | %.1f-%.1f | %.4f | %.4f | %.1f | %.2f | %.0f | %llu (%llu)%s%s |\n",
			       methods[m].name, counts[k], c->wall_s, c->threads,
			       c->rss_mb, c->vsz_mb, c->cpu_pct, c->cpu_min,
			       c->cpu_max, c->ideal, c->wall_s / c->ideal,
			       c->lat_p50, c->lag_max / 1e3,
			       100.0 * c->in_submit / c->all_reads,
			       (unsigned long long)c->reads,
			       (unsigned long long)c->sums,
			       c->note[0] ? " " : "", c->note);
		}
	}
	printf("\n");

	/* Ratios within this run: each method against kernel AIO and blocking. */
	{
		int kb = method_index("kaio"), bl = method_index("blocking");
		int tp = method_index("threadpool"), px = method_index("posix-aio");
		int ur = method_index("io_uring"), la = method_index("libaio");
		bool t_threads = true, t_cpu = true, t_wall = true, any = false;

		for (k = 0; k < ncounts; k++) {
			struct cell *K = &cells[kb][k], *B = &cells[bl][k];

			if (!K->done || !K->good)
				continue;
			any = true;
			printf("RATIO kaio_wall_over_ideal_files%d %.4f\n", counts[k],
			       K->wall_s / K->ideal);
			printf("RATIO kaio_threads_files%d %ld\n", counts[k], K->threads);
			if (B->done && B->good && B->cpu_pct > 0)
				printf("RATIO kaio_cpu_over_blocking_files%d %.3f\n",
				       counts[k], K->cpu_pct / B->cpu_pct);
			if (B->done && B->good)
				printf("RATIO kaio_wall_over_blocking_files%d %.4f\n",
				       counts[k], K->wall_s / B->wall_s);
			if (cells[tp][k].good && K->cpu_pct > 0)
				printf("RATIO threadpool_cpu_over_kaio_files%d %.3f\n",
				       counts[k], cells[tp][k].cpu_pct / K->cpu_pct);
			if (cells[px][k].good && K->cpu_pct > 0)
				printf("RATIO posix_aio_cpu_over_kaio_files%d %.3f\n",
				       counts[k], cells[px][k].cpu_pct / K->cpu_pct);
			if (cells[la][k].good && K->cpu_pct > 0)
				printf("RATIO libaio_cpu_over_kaio_files%d %.3f\n",
				       counts[k], cells[la][k].cpu_pct / K->cpu_pct);
			if (cells[ur][k].good && K->cpu_pct > 0)
				printf("RATIO io_uring_cpu_over_kaio_files%d %.3f\n",
				       counts[k], cells[ur][k].cpu_pct / K->cpu_pct);
			if (K->threads != 1)
				t_threads = false;
			if (!B->good || K->cpu_pct > B->cpu_pct)
				t_cpu = false;
			if (K->wall_s > 1.05 * K->ideal || K->wall_s < 0.95 * K->ideal)
				t_wall = false;
		}
		if (any) {
			printf("TARGET kaio_one_thread %s\n", t_threads ? "PASS" : "FAIL");
			printf("TARGET kaio_cpu_not_above_blocking %s\n",
			       t_cpu ? "PASS" : "FAIL");
			printf("TARGET kaio_wall_within_5pct_of_ideal %s\n",
			       t_wall ? "PASS" : "FAIL");
		}
	}
	return failures ? 1 : 0;
}
