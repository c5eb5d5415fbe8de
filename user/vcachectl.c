// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl: load, read, describe and delete the videos of /dev/vcache.
 *
 * Every failure prints exactly one line to stderr, so that scripts and humans
 * both get the whole story from "vcachectl ... 2>err": usage errors point at
 * the command's --help and exit 2; failures of the operation itself carry the
 * errno text and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vcache.h>
#include <vcache/name.h>
#include "cmd.h"
#include "load.h"
#include "nl.h"
#include "parse.h"
#include "tcparse.h"
#include "vindex.h"

#define PROG		"vcachectl"
#define DEFAULT_DEVICE	"/dev/vcache"
#define MiB		(1024 * 1024ULL)

/*
 * cat maps the video this much at a time rather than whole, as load does
 * (LOAD_WINDOW): the pages of a mapping count in our RSS, and a process
 * whose RSS is the size of the video is the first thing the OOM killer
 * picks. 8 MiB keeps the mmap/munmap cost per byte negligible.
 */
#define MAP_WINDOW	(8 * MiB)
/* pwrite size when loading from a pipe. */
#define STREAM_CHUNK	(1 * MiB)
/* Smaller loads finish before a progress bar would be any use. */
#define PROGRESS_MIN	(64 * MiB)

static const char size_help[] =
	"SIZE and N are byte counts with an optional binary unit: 4096, 64K,\n"
	"20M, 20MiB, 1.5G (K = 1024; a fraction must give whole bytes).\n";

/* A progress bar is on the last line of stderr: a message must clear it. */
static bool progress_shown;

/* A signal that asks a load to stop; the handler only records it. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/*
 * A string from the command line or the kernel, escaped and quoted for a
 * one-line message: a name with a newline or an escape sequence in it must
 * neither split the line nor drive the terminal. Long strings are cut.
 * Four rotating buffers let one message show a few strings.
 */
static const char *show(const char *s)
{
	static char bufs[4][512];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	size_t len = strlen(s), cut = len > 80 ? 80 : len, n;

	buf[0] = '"';
	n = c_escape(buf + 1, sizeof(bufs[0]) - 5, s, cut);
	n = 1 + (n < sizeof(bufs[0]) - 5 ? n : sizeof(bufs[0]) - 6);
	snprintf(buf + n, sizeof(bufs[0]) - n, "%s\"", cut < len ? "..." : "");
	return buf;
}

/* "20.0 MiB", from one of four rotating buffers. */
static const char *hsize(uint64_t bytes)
{
	static char bufs[4][32];
	static unsigned int next;
	char *buf = bufs[next++ % 4];

	format_size(buf, sizeof(bufs[0]), bytes);
	return buf;
}

static int usage_error(const struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "vcachectl: CMD: <what> (see vcachectl CMD --help)". */
static int usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs(progress_shown ? "\r\033[K" PROG ": " : PROG ": ", stderr);
	progress_shown = false;
	if (ctx->cmd)
		fprintf(stderr, "%s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctx->cmd)
		fprintf(stderr, " (see " PROG " %s --help)\n", ctx->cmd->name);
	else
		fputs(" (see " PROG " help)\n", stderr);
	return EXIT_USAGE;
}

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "vcachectl: <what>: <errno text>". */
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs(progress_shown ? "\r\033[K" PROG ": " : PROG ": ", stderr);
	progress_shown = false;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return EXIT_FAIL;
}

/*
 * Fills a name field for the kernel, after the very check the kernel makes,
 * so that a bad name is a usage error with a reason rather than a bare
 * EINVAL from the ioctl. Returns EXIT_OK or EXIT_USAGE.
 */
static int name_field(const struct ctx *ctx, const char *name, char field[VCACHE_NAME_MAX])
{
	size_t len = strlen(name);

	memset(field, 0, VCACHE_NAME_MAX);
	if (!len)
		return usage_error(ctx, "empty video name");
	if (len >= VCACHE_NAME_MAX)
		return usage_error(ctx, "video name %s is too long (%zu bytes, at most %d)",
				   show(name), len, VCACHE_NAME_MAX - 1);
	memcpy(field, name, len);
	if (!vcache_name_check(field, VCACHE_NAME_MAX))
		return usage_error(ctx, "bad video name %s: %s", show(name),
				   "want UTF-8 without '/' or control characters, not \".\" or \"..\"");
	return EXIT_OK;
}

/* Opens the device; -1 after a message. */
static int dev_open(const struct ctx *ctx, int flags)
{
	int fd = open(ctx->device, flags | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		fprintf(stderr, PROG ": open %s: %s%s\n", ctx->device, strerror(err),
			err == ENOENT && !strcmp(ctx->device, DEFAULT_DEVICE) ?
			" (is the vcache module loaded?)" : "");
	}
	return fd;
}

/* Opens the device and binds it to the video named @field; -1 after a message. */
static int video_open(const struct ctx *ctx, const char *field, int flags)
{
	struct vcache_open req;
	int fd = dev_open(ctx, flags);

	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	memcpy(req.name, field, sizeof(req.name));
	if (ioctl(fd, VCACHE_IOC_OPEN, &req)) {
		fail(errno, "open video %s", show(field));
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes all of @buf to @fd; 0 or an errno. Copes with a non-blocking @fd. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno;
			poll(&pfd, 1, -1);
			continue;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t page_up(uint64_t n)
{
	uint64_t ps = sysconf(_SC_PAGESIZE);

	return (n + ps - 1) & ~(ps - 1);
}

/* --- load -------------------------------------------------------------- */

struct progress {
	bool on;
	int shown;		/* percentage drawn last, -1 before the first */
	uint64_t total;
	char label[96];
};

static void progress_start(struct progress *p, const char *name, uint64_t total)
{
	p->on = total > PROGRESS_MIN && isatty(STDERR_FILENO);
	p->shown = -1;
	p->total = total;
	snprintf(p->label, sizeof(p->label), "%s", show(name));
}

static void progress_update(struct progress *p, uint64_t done)
{
	static const char hashes[] = "##############################";
	int pct, width = sizeof(hashes) - 1;

	if (!p->on)
		return;
	pct = done * 100 / p->total;
	if (pct == p->shown)
		return;
	p->shown = pct;
	progress_shown = true;
	/* \033[K: the line may have been longer the last time. */
	fprintf(stderr, "\rloading %s [%-*.*s] %3d%% %s / %s\033[K", p->label, width,
		pct * width / 100, hashes, pct, hsize(done), hsize(p->total));
}

/* Leaves a full bar on success; on failure, fail() has wiped it already. */
static void progress_end(struct progress *p, bool ok)
{
	if (!p->on || !ok)
		return;
	progress_update(p, p->total);
	fputc('\n', stderr);
	progress_shown = false;
}

/* What a load is working with: the video's descriptor and where bytes come from. */
struct load {
	int vfd;
	int in;
	const char *name;	/* the video's, as a name field */
	const char *file;	/* FILE as given, "-" for stdin */
	bool verbose;		/* -v: say how FILE was read */
	uint64_t capacity;
	struct progress progress;
	/*
	 * A stream's first bytes, read before CREATE to find the frame rate:
	 * load_stream() takes them first. head_eof: they were all there was.
	 */
	char *head;
	size_t head_len, head_used;
	bool head_eof;
};

static const char *file_label(const struct load *ld)
{
	return strcmp(ld->file, "-") ? show(ld->file) : "stdin";
}

/* Reads into @buf, retrying EINTR unless a signal asked us to stop. */
static ssize_t read_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n;

		if (stop_signal) {
			errno = EINTR;
			return -1;
		}
		n = read(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Reads a stream to load: what the rate probe took first, then the rest. */
static ssize_t stream_read(struct load *ld, char *buf, size_t len)
{
	size_t n = ld->head_len - ld->head_used;

	if (!n)
		return ld->head_eof ? 0 : read_some(ld->in, buf, len);
	n = min_u64(n, len);
	memcpy(buf, ld->head + ld->head_used, n);
	ld->head_used += n;
	return n;
}

static void load_progress(void *arg, uint64_t done)
{
	progress_update(arg, done);
}

/*
 * Copies @total bytes of a regular file with no buffer of our own, with
 * kernel AIO straight into writable mappings of the video (user/load.c).
 * A file that shrank meanwhile just makes a shorter video: it is what the
 * file holds now. Returns 0 or EXIT_FAIL after a message.
 */
static int load_mapped(struct load *ld, uint64_t total)
{
	struct load_job job = {
		.vfd = ld->vfd, .in = ld->in, .path = ld->file, .total = total,
		.stop = &stop_signal, .progress = load_progress, .arg = &ld->progress,
	};
	char how[640];
	int err = load_file(&job);

	if (ld->verbose) {
		load_describe(&job, how, sizeof(how));
		if (progress_shown)
			fputc('\n', stderr);
		progress_shown = false;
		fprintf(stderr, PROG ": read %s with %s\n", file_label(ld), how);
	}
	switch (err ? job.step : LOAD_STEP_NONE) {
	case LOAD_STEP_NONE:
	case LOAD_STEP_STOP:		/* cmd_load() says it */
		return 0;
	case LOAD_STEP_SETUP:
		return fail(err, "load video %s%s%s", show(ld->name), job.why[0] ? ": " : "",
			    job.why);
	case LOAD_STEP_MAP:
		return fail(err, "map video %s for writing", show(ld->name));
	case LOAD_STEP_COMMIT:
		return fail(err, "commit to video %s", show(ld->name));
	case LOAD_STEP_FULL:
		return fail(ENOSPC, "read %s into video %s", file_label(ld), show(ld->name));
	case LOAD_STEP_READ:
		break;
	}
	return fail(err, "read %s", file_label(ld));
}

/*
 * Copies a stream of unknown length with pwrite(2): a mapping would have to
 * cover the whole capacity for bytes that may never come. Data beyond the
 * capacity is an error, not a truncation: the video would be silently cut.
 */
static int load_stream(struct load *ld)
{
	uint64_t off = 0;
	bool eof = false;
	char *buf;
	int ret = 0;

	if (ld->verbose)
		fprintf(stderr, PROG ": read %s with read(2) and pwrite(2), through a buffer: "
			"not a regular file\n", file_label(ld));
	buf = malloc(STREAM_CHUNK);
	if (!buf)
		return fail(ENOMEM, "load video %s", show(ld->name));
	while (!eof) {
		size_t len = 0;
		int err;

		/* Fill the chunk: pipes hand over 64 KiB at a time. */
		while (len < STREAM_CHUNK) {
			ssize_t n = stream_read(ld, buf + len, STREAM_CHUNK - len);

			if (n < 0) {
				ret = fail(errno, "read %s", file_label(ld));
				goto out;
			}
			if (!n) {
				eof = true;
				break;
			}
			len += n;
		}
		if (len > ld->capacity - off) {
			ret = fail(EFBIG, "read %s: more than --capacity %s", file_label(ld),
				   hsize(ld->capacity));
			goto out;
		}
		for (size_t done = 0; done < len;) {
			ssize_t n = pwrite(ld->vfd, buf + done, len - done, off + done);

			if (n <= 0) {
				err = n ? errno : EIO;
				if (err == EINTR && !stop_signal)
					continue;
				ret = fail(err, "write to video %s", show(ld->name));
				goto out;
			}
			done += n;
		}
		off += len;
	}
out:
	free(buf);
	return ret;
}

/* Creates the video, saying why the cache refused a capacity if it did. */
static int load_create(struct load *ld, uint32_t num, uint32_t den)
{
	struct vcache_create req;
	struct vcache_stats st;
	int err;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, ld->name, sizeof(req.name));
	req.capacity = ld->capacity;
	req.fps_num = num;
	req.fps_den = den;
	if (!ioctl(ld->vfd, VCACHE_IOC_CREATE, &req))
		return 0;
	err = errno;
	if (err == EFBIG && !ioctl(ld->vfd, VCACHE_IOC_STATS, &st))
		return fail(err, "create video %s: capacity %s, but the cache holds at most %s",
			    show(ld->name), hsize(ld->capacity), hsize(st.mem_limit));
	return fail(err, "create video %s", show(ld->name));
}

static void fps_short(char *buf, size_t size, uint32_t num, uint32_t den);

/* What a load learns about the video, besides its bytes. */
struct load_info {
	const char *fps_from;		/* where the rate came from, for people */
	struct tsindex probe;		/* the first VINDEX_PROBE bytes */
	struct tsindex ix;		/* the whole video, from its pages */
	struct vindex_sent sent;	/* what of it the kernel got */
	struct vcache_info info;	/* the video after its index */
};

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "vcachectl: <what>" for what is worth knowing but no failure. */
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * CREATE needs the frame rate, so the first VINDEX_PROBE bytes are indexed
 * before the video exists, for the stream's SPS timing or PTS steps (with
 * --fps too, for a regular file: the summary says when the stream
 * disagrees). A regular file's first bytes are read again by the load,
 * from the page cache by then; a stream's are kept for load_stream().
 * Returns 0 or EXIT_FAIL after a message.
 */
static int load_probe(struct load *ld, struct load_info *li, bool stream)
{
	char *buf = malloc(VINDEX_PROBE);
	size_t len = 0;
	int err;

	if (!buf)
		return fail(ENOMEM, "load video %s", show(ld->name));
	if (!stream) {
		uint64_t got;

		/* Kernel AIO, as the load: no read(2) of FILE anywhere. */
		err = load_read_head(ld->in, buf, VINDEX_PROBE, &got);
		if (err) {
			free(buf);
			return fail(err, "read %s", file_label(ld));
		}
		len = got;
	}
	while (stream && len < VINDEX_PROBE) {
		ssize_t n = read_some(ld->in, buf + len, VINDEX_PROBE - len);

		if (n < 0) {
			err = errno;
			free(buf);
			return fail(err, "read %s", file_label(ld));
		}
		if (!n) {
			ld->head_eof = true;
			break;
		}
		len += n;
	}
	err = vindex_probe(&li->probe, buf, len);
	if (stream) {
		ld->head = buf;
		ld->head_len = len;
	} else {
		free(buf);
	}
	return err ? fail(-err, "index %s", file_label(ld)) : 0;
}

/* Within what CREATE accepts (see struct vcache_create). */
static bool fps_ok(uint32_t num, uint32_t den)
{
	return num && den && num <= 1000000 && den <= 1000000 &&
	       num >= (uint64_t)den * FPS_MIN && num <= (uint64_t)den * FPS_MAX;
}

/* --fps wins; then what the probe found; then 25, the tool's default. */
static void load_rate(struct load_info *li, bool given, uint32_t *num, uint32_t *den)
{
	const struct tsindex *p = &li->probe;

	if (given) {
		li->fps_from = "from --fps";
	} else if (p->fps_source != TSINDEX_FPS_NONE && fps_ok(p->fps_num, p->fps_den)) {
		*num = p->fps_num;
		*den = p->fps_den;
		li->fps_from = p->fps_source == TSINDEX_FPS_SPS ? "from the SPS" :
			       "from the PTS steps";
	} else {
		li->fps_from = "by default";
	}
}

/*
 * Indexes the loaded video from its own pages, through a read-only
 * mapping (FILE is not read twice), and hands the index to the kernel
 * before the seal. A video without an MPEG-TS video stream is left without
 * one. Returns 0 or EXIT_FAIL after a message.
 */
static int load_index(struct load *ld, struct load_info *li)
{
	int err;

	if (ioctl(ld->vfd, VCACHE_IOC_INFO, &li->info))
		return fail(errno, "describe video %s", show(ld->name));
	err = vindex_scan(&li->ix, ld->vfd, li->info.size, &stop_signal);
	if (!err && li->ix.count)
		err = vindex_append(ld->vfd, &li->ix, &li->sent);
	if (err)
		return fail(-err, "index video %s", show(ld->name));
	if (ioctl(ld->vfd, VCACHE_IOC_INFO, &li->info))
		return fail(errno, "describe video %s", show(ld->name));
	return 0;
}

/*
 * One line on stdout says what was loaded. Each thing worth a warning
 * gets one line on stderr; none of them fails the load, since the bytes
 * are what FILE holds: no index, a damaged stream, a rate found wrong.
 */
static void load_report(const struct load *ld, const struct load_info *li, bool given)
{
	const struct vcache_info *in = &li->info;
	const struct tsindex *ix = &li->ix;
	char rate[32], found[32] = "", said[64] = "", end[32], secs[32], damage[320];
	bool differs = false;
	size_t n;

	fps_short(rate, sizeof(rate), in->fps_num, in->fps_den);
	if (ix->fps_source != TSINDEX_FPS_NONE && fps_ok(ix->fps_num, ix->fps_den)) {
		fps_short(found, sizeof(found), ix->fps_num, ix->fps_den);
		differs = (uint64_t)ix->fps_num * in->fps_den !=
			  (uint64_t)in->fps_num * ix->fps_den;
	}
	if (given && differs)
		snprintf(said, sizeof(said), " (the stream says %s)", found);
	if (!li->sent.keys) {
		printf("loaded %s: %s, no index, %s fps %s%s\n", show(ld->name),
		       hsize(in->size), rate, li->fps_from, said);
		if (!ix->stream_type)
			warn("no MPEG-TS video stream in %s: loaded without an index, so seek "
			     "and cat --at will not work%s", file_label(ld),
			     given ? "" : "; 25 fps assumed (set it with --fps)");
		else
			warn("no keyframe with a time stamp in the video stream of %s: "
			     "loaded without an index", file_label(ld));
		return;
	}
	tc_format_pts(end, sizeof(end), in->duration, in->fps_num, in->fps_den, true);
	tc_format_seconds(secs, sizeof(secs), in->duration);
	printf("loaded %s: %s, %" PRIu64 " frames, %" PRIu64 " keyframes, %s fps %s%s, "
	       "duration %s (%s s)\n", show(ld->name), hsize(in->size), li->sent.entries,
	       li->sent.keys, rate, li->fps_from, said, end, secs);

	n = vindex_damage(damage, sizeof(damage), &ix->stats);
	if (li->sent.demoted && n < sizeof(damage))
		n += snprintf(damage + n, sizeof(damage) - n, "%s%" PRIu64 " keyframes "
			      "out of order left unmarked", n ? ", " : "", li->sent.demoted);
	if (li->sent.left_out && n < sizeof(damage))
		n += snprintf(damage + n, sizeof(damage) - n, "%s%" PRIu64 " frames past "
			      "the index's limit left out", n ? ", " : "", li->sent.left_out);
	if (n)
		warn("damaged stream in %s, indexed around it: %s", file_label(ld), damage);

	/* The probe saw too little to tell, or told wrong: say so, with the fix. */
	if (!given && differs)
		warn("the video in %s is %s fps, but its first %s did not say so: %s was "
		     "made at %s fps (load it again with --fps %" PRIu32 "/%" PRIu32 ")",
		     file_label(ld), found, hsize(VINDEX_PROBE), show(ld->name), rate,
		     ix->fps_num, ix->fps_den);
	else if (!given && !found[0])
		warn("no frame rate in %s (no SPS timing, too few frames): %s fps assumed "
		     "(set it with --fps)", file_label(ld), rate);
}

static int cmd_load(struct ctx *ctx)
{
	const char *fps = ctx->optval[0], *cap = ctx->optval[1];
	char name[VCACHE_NAME_MAX];
	struct load ld = { .vfd = -1, .in = -1, .name = name, .file = ctx->argv[1],
			   .verbose = ctx->verbose };
	struct load_info li = { 0 };
	uint32_t num = 25, den = 1;
	struct sigaction sa, old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	bool stream;
	uint64_t total = 0;
	struct stat st;
	int ret, err, i;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	if (fps && parse_fps(fps, &num, &den))
		return usage_error(ctx, "bad --fps %s: want N, N/D or a decimal such as 29.97, %s",
				   show(fps), "from 1 to 1000 frames a second");
	if (cap) {
		err = parse_size(cap, &ld.capacity);
		if (err)
			return usage_error(ctx, "bad --capacity %s: %s", show(cap),
					   err == -ERANGE ? "too large" :
					   "want a byte count such as 4096, 64K, 20MiB or 1.5G");
		if (!ld.capacity)
			return usage_error(ctx, "--capacity must be at least 1 byte");
	}

	stream = !strcmp(ld.file, "-");
	if (stream) {
		ld.in = STDIN_FILENO;
	} else {
		ld.in = open(ld.file, O_RDONLY | O_CLOEXEC);
		if (ld.in < 0)
			return fail(errno, "open %s", show(ld.file));
		if (fstat(ld.in, &st)) {
			ret = fail(errno, "stat %s", show(ld.file));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = fail(EISDIR, "load %s", show(ld.file));
			goto out;
		}
		/* FIFOs, character devices, /dev/stdin: no size to go by. */
		stream = !S_ISREG(st.st_mode);
		total = stream ? 0 : st.st_size;
	}
	if (stream && !cap) {
		ret = usage_error(ctx, "--capacity is needed when FILE is %s (%s)",
				  strcmp(ld.file, "-") ? "not a regular file" : "-",
				  "its size is not known up front");
		goto out;
	}
	if (!cap)
		ld.capacity = total ? total : 1;	/* the kernel wants >= 1 */
	if (total > ld.capacity) {
		ret = fail(EFBIG, "load %s (%s) into --capacity %s", show(ld.file),
			   hsize(total), hsize(ld.capacity));
		goto out;
	}
	/* A stream with --fps goes straight in: nothing to wait for. */
	if (!fps || !stream) {
		ret = load_probe(&ld, &li, stream);
		if (ret)
			goto out;
	}
	load_rate(&li, fps, &num, &den);

	ld.vfd = dev_open(ctx, O_RDWR);
	if (ld.vfd < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	/*
	 * From CREATE on, the name is visible: a ^C must not leave half a
	 * video behind, so the signals that usually end us only stop the copy.
	 * No SA_RESTART, so that a read from a quiet pipe returns EINTR.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);

	ret = load_create(&ld, num, den);
	if (ret)
		goto restore;
	progress_start(&ld.progress, name, total);
	ret = stream ? load_stream(&ld) : load_mapped(&ld, total);
	if (!ret && stop_signal)
		ret = fail(EINTR, "load video %s", show(name));
	if (!ret)
		ret = load_index(&ld, &li);
	if (!ret && ioctl(ld.vfd, VCACHE_IOC_SEAL, 0))
		ret = fail(errno, "seal video %s", show(name));
	progress_end(&ld.progress, !ret);
	if (!ret)
		load_report(&ld, &li, fps);

restore:
	/*
	 * Nothing to undo on failure: the kernel deletes a video that is still
	 * loading when its last descriptor closes, below.
	 */
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
out:
	if (ld.vfd >= 0)
		close(ld.vfd);
	if (ld.in > STDIN_FILENO)
		close(ld.in);
	free(ld.head);
	tsindex_free(&li.probe);
	tsindex_free(&li.ix);
	return ret;
}

/* --- seek -------------------------------------------------------------- */

static const char tc_syntax[] =
	"want HH:MM:SS:FF, HH:MM:SS;FF (drop-frame), seconds (12.5) or ticks (90000t)";

/* Parses a TIMECODE argument; a malformed one is a usage error. */
static int timecode_arg(const struct ctx *ctx, const char *what, const char *arg,
			struct tc_spec *spec)
{
	int err = tc_parse(arg, spec);

	if (err == -ERANGE)
		return usage_error(ctx, "bad %s %s: too large", what, show(arg));
	if (err)
		return usage_error(ctx, "bad %s %s: %s", what, show(arg), tc_syntax);
	return EXIT_OK;
}

/*
 * Asks the kernel for the keyframe where playback of @spec (@arg as typed)
 * starts in video @name, bound to @fd; fills @info and @req. Returns
 * EXIT_OK, or EXIT_FAIL after one line saying why in the request's terms:
 * the kernel only says EINVAL, ERANGE or ENODATA.
 */
static int seek_lookup(int fd, const char *name, const char *arg, const struct tc_spec *spec,
		       struct vcache_info *info, struct vcache_lookup *req)
{
	char why[128], end[32], secs[32], rate[32];
	const char *reason;
	int err;

	if (ioctl(fd, VCACHE_IOC_INFO, info))
		return fail(errno, "describe video %s", show(name));
	tc_lookup_init(req, spec, info->fps_num, info->fps_den);
	if (!ioctl(fd, VCACHE_IOC_LOOKUP, req))
		return EXIT_OK;
	err = errno;
	switch (err) {
	case ENODATA:
		return fail(err, "video %s has no index (it was not loaded from MPEG-TS video)",
			    show(name));
	case ERANGE:
		tc_format_pts(end, sizeof(end), info->duration, info->fps_num, info->fps_den,
			      req->flags & VCACHE_LOOKUP_DROP_FRAME);
		tc_format_seconds(secs, sizeof(secs), info->duration);
		return fail(err, "%s is past the end of video %s, %s (%s s)", show(arg),
			    show(name), end, secs);
	case EINVAL:
		reason = tc_invalid_reason(spec, info->fps_num, info->fps_den, why, sizeof(why));
		if (!reason)
			break;
		fps_short(rate, sizeof(rate), info->fps_num, info->fps_den);
		return fail(err, "timecode %s in video %s at %s fps: %s", show(arg), show(name),
			    rate, reason);
	}
	return fail(err, "seek to %s in video %s", show(arg), show(name));
}

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cmd_seek(struct ctx *ctx)
{
	const char *arg = ctx->argv[1];
	char name[VCACHE_NAME_MAX], tc[32], secs[32];
	struct vcache_lookup req;
	struct vcache_info info;
	struct tc_spec spec;
	bool drop;
	int ret, fd;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	ret = timecode_arg(ctx, "TIMECODE", arg, &spec);
	if (ret)
		return ret;
	fd = video_open(ctx, name, O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	ret = seek_lookup(fd, name, arg, &spec, &info, &req);
	close(fd);
	if (ret)
		return ret;
	drop = req.flags & VCACHE_LOOKUP_DROP_FRAME;
	tc_format(tc, sizeof(tc), &req.key_tc, drop);
	if (ctx->json) {
		printf("{\"offset\": %" PRIu64 ", \"timecode\": \"%s\", \"drop_frame\": %s, "
		       "\"frame\": %" PRIu64 ", \"pts\": %" PRIu64 ", "
		       "\"target_frame\": %" PRIu64 "}\n",
		       (uint64_t)req.key_offset, tc, drop ? "true" : "false",
		       (uint64_t)req.key_frame, (uint64_t)req.key_pts, (uint64_t)req.frame);
		return EXIT_OK;
	}
	tc_format_seconds(secs, sizeof(secs), req.key_pts);
	kv("offset", "%" PRIu64, (uint64_t)req.key_offset);
	kv("timecode", "%s", tc);
	kv("frame", "%" PRIu64, (uint64_t)req.key_frame);
	kv("pts", "%" PRIu64 " (%s s)", (uint64_t)req.key_pts, secs);
	kv("target frame", "%" PRIu64, (uint64_t)req.frame);
	return EXIT_OK;
}

/* --- cat --------------------------------------------------------------- */

/*
 * request_chunk: bytes [start, end) of the video go to stdout straight from
 * a read-only mapping of its pages, a window at a time, with no copy of
 * ours. Returns 0, or EXIT_FAIL after a message. A reader that went away
 * (EPIPE) is not an error: like head(1) it simply had enough.
 */
static int request_chunk(int vfd, const char *name, uint64_t start, uint64_t end)
{
	uint64_t ps = sysconf(_SC_PAGESIZE), pos = start;

	while (pos < end) {
		uint64_t base = pos & ~(ps - 1);
		uint64_t span = min_u64(end - base, MAP_WINDOW);
		char *map;
		int err;

		map = mmap(NULL, page_up(span), PROT_READ, MAP_SHARED, vfd, base);
		if (map == MAP_FAILED)
			return fail(errno, "map video %s", show(name));
		err = write_all(STDOUT_FILENO, map + (pos - base), span - (pos - base));
		munmap(map, page_up(span));
		if (err == EPIPE)
			return 0;
		if (err)
			return fail(err, "write to stdout");
		pos = base + span;
	}
	return 0;
}

static int cmd_cat(struct ctx *ctx)
{
	const char *offset = ctx->optval[0], *size = ctx->optval[1], *at = ctx->optval[2];
	uint64_t start = 0, len = UINT64_MAX;
	char name[VCACHE_NAME_MAX];
	struct vcache_lookup req;
	struct vcache_info info;
	struct tc_spec spec;
	int ret, fd;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	if (offset && parse_size(offset, &start))
		return usage_error(ctx, "bad --offset %s: want a byte count such as 0, 4096 or 20M",
				   show(offset));
	if (size && parse_size(size, &len))
		return usage_error(ctx, "bad --size %s: want a byte count such as 4096 or 20M",
				   show(size));
	if (offset && at)
		return usage_error(ctx, "--offset and --at both say where to start: give one");
	if (at) {
		ret = timecode_arg(ctx, "--at", at, &spec);
		if (ret)
			return ret;
	}
	fd = video_open(ctx, name, O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	/* request_chunk(video, timecode_to_index(at), size) */
	if (at) {
		ret = seek_lookup(fd, name, at, &spec, &info, &req);
		if (!ret)
			start = req.key_offset;
	} else if (ioctl(fd, VCACHE_IOC_INFO, &info)) {
		ret = fail(errno, "describe video %s", show(name));
	}
	if (!ret && start < info.size) {
		/* A window past the end is cut at the end, as dd(1) does. */
		ret = request_chunk(fd, name, start, start + min_u64(len, info.size - start));
	}
	close(fd);
	return ret;
}

/* --- info, rm, stats ----------------------------------------------------- */

/* One "key:  value" line of human output, values aligned. */
static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%*s", key, (int)(15 - strlen(key)), "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A byte count for humans: "3.0 MiB (3145735 bytes)", or "512 B". */
static void kv_bytes(const char *key, uint64_t bytes)
{
	if (bytes < 1024)
		kv(key, "%s", hsize(bytes));
	else
		kv(key, "%s (%" PRIu64 " bytes)", hsize(bytes), bytes);
}

static void kv_time(const char *key, uint64_t ns)
{
	char buf[64];

	if (!ns) {
		kv(key, "-");
		return;
	}
	format_time(buf, sizeof(buf), ns);
	kv(key, "%s", buf);
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case VCACHE_STATE_LOADING:
		return "loading";
	case VCACHE_STATE_SEALED:
		return "sealed";
	case VCACHE_STATE_LIVE:
		return "live";
	case VCACHE_STATE_ENDED:
		return "ended";
	default:
		return "unknown";
	}
}

static bool is_live(const struct vcache_info *in)
{
	return in->state == VCACHE_STATE_LIVE || in->state == VCACHE_STATE_ENDED;
}

/*
 * One JSON object, on one line and without a newline, for info, ls and
 * monitor. A live stream's has a "live" object too.
 */
static void put_info_json(const struct vcache_info *in, const struct vcnl_live *live)
{
	char name[6 * VCACHE_NAME_MAX + 1];

	json_escape(name, sizeof(name), in->name, strnlen(in->name, sizeof(in->name)));
	printf("{\"name\": \"%s\", \"id\": %" PRIu64 ", \"state\": \"%s\", "
	       "\"deleted\": %s, \"flags\": %" PRIu32 ", "
	       "\"size\": %" PRIu64 ", \"capacity\": %" PRIu64 ", "
	       "\"fps_num\": %" PRIu32 ", \"fps_den\": %" PRIu32 ", "
	       "\"open_count\": %" PRIu32 ", \"map_count\": %" PRIu32 ", "
	       "\"index_entries\": %" PRIu64 ", \"bytes_served\": %" PRIu64 ", "
	       "\"mem_bytes\": %" PRIu64 ", \"create_time_ns\": %" PRIu64 ", "
	       "\"seal_time_ns\": %" PRIu64 ", \"access_time_ns\": %" PRIu64 ", "
	       "\"duration\": %" PRIu64,
	       name, (uint64_t)in->id, state_name(in->state),
	       in->flags & VCACHE_INFO_DELETED ? "true" : "false", (uint32_t)in->flags,
	       (uint64_t)in->size, (uint64_t)in->capacity,
	       (uint32_t)in->fps_num, (uint32_t)in->fps_den,
	       (uint32_t)in->open_count, (uint32_t)in->map_count,
	       (uint64_t)in->index_entries, (uint64_t)in->bytes_served,
	       (uint64_t)in->mem_bytes, (uint64_t)in->create_time_ns,
	       (uint64_t)in->seal_time_ns, (uint64_t)in->access_time_ns,
	       (uint64_t)in->duration);
	if (is_live(in))
		printf(", \"live\": {\"head\": %" PRIu64 ", \"tail\": %" PRIu64 ", "
		       "\"ring\": %" PRIu64 ", \"window\": %" PRIu64 ", "
		       "\"viewers\": %" PRIu32 ", \"behind\": %" PRIu64 "}",
		       (uint64_t)in->size, (uint64_t)in->tail, live->ring,
		       (uint64_t)in->window, (uint32_t)in->viewers, live->behind);
	putchar('}');
}

static void print_info_json(const struct vcache_info *in, const struct vcnl_live *live)
{
	put_info_json(in, live);
	putchar('\n');
}

static void print_info(const struct vcache_info *in, const struct vcnl_live *live)
{
	char name[VCACHE_NAME_MAX + 1], fps[64];

	memcpy(name, in->name, VCACHE_NAME_MAX);
	name[VCACHE_NAME_MAX] = '\0';
	format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
	kv("name", "%s", show(name));
	kv("id", "%" PRIu64, (uint64_t)in->id);
	kv("state", "%s%s", state_name(in->state),
	   in->flags & VCACHE_INFO_DELETED ? ", deleted" : "");
	kv_bytes("size", in->size);
	kv_bytes("capacity", in->capacity);
	if (is_live(in)) {
		/* Offsets in the stream, and the ring that holds [tail, head). */
		kv_bytes("head", in->size);
		kv_bytes("tail", in->tail);
		kv_bytes("ring", live->ring);
		kv_bytes("window", in->window);
		kv("viewers", "%" PRIu32, (uint32_t)in->viewers);
		kv("fell behind", "%" PRIu64 " read%s", live->behind,
		   live->behind == 1 ? "" : "s");
	}
	kv_bytes("memory", in->mem_bytes);
	kv("fps", "%s", fps);
	kv("descriptors", "%" PRIu32, (uint32_t)in->open_count);
	kv("mappings", "%" PRIu32, (uint32_t)in->map_count);
	kv("index entries", "%" PRIu64, (uint64_t)in->index_entries);
	/* 90 kHz ticks, to the millisecond. */
	if (in->duration)
		kv("duration", "%" PRIu64 ".%03u s", (uint64_t)in->duration / 90000,
		   (unsigned int)(in->duration % 90000 / 90));
	else
		kv("duration", "-");
	kv_bytes("bytes served", in->bytes_served);
	kv_time("created", in->create_time_ns);
	kv_time(is_live(in) ? "ended" : "sealed", in->seal_time_ns);
	kv_time("accessed", in->access_time_ns);
}

/*
 * info, rm, stats, ls, limit and monitor talk to the module over generic
 * netlink (user/nl.c), not the device: INFO no longer has to OPEN the video,
 * and a listing or the counters need no access to /dev/vcache.
 */

/* Connects to the module's netlink family; NULL after a message. */
static struct vcnl *nl_connect(void)
{
	struct vcnl *nl;
	int err = vcnl_open(&nl);

	if (err)
		fprintf(stderr, PROG ": connect to the %s netlink family: %s%s\n",
			VCACHE_GENL_NAME, strerror(-err),
			err == -ENOENT ? " (is the vcache module loaded?)" : "");
	return err ? NULL : nl;
}

static int nl_fail(const struct vcnl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like fail(), with the kernel's reason (extended ack) when it gave one. */
static int nl_fail(const struct vcnl *nl, int err, const char *fmt, ...)
{
	const char *why = vcnl_ext_msg(nl);
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(err));
	if (why)
		fprintf(stderr, " (%s)", why);
	else if (err == EPERM)
		fputs(" (needs CAP_NET_ADMIN)", stderr);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int cmd_info(struct ctx *ctx)
{
	char name[VCACHE_NAME_MAX];
	struct vcache_info info;
	struct vcnl_live live;
	struct vcnl *nl;
	int ret, err;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_video_get(nl, name, &info, &live);
	if (err)
		ret = nl_fail(nl, -err, "describe video %s", show(name));
	else if (ctx->json)
		print_info_json(&info, &live);
	else
		print_info(&info, &live);
	vcnl_close(nl);
	return ret;
}

static int cmd_rm(struct ctx *ctx)
{
	char name[VCACHE_NAME_MAX];
	struct vcnl *nl;
	int ret, err;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_video_del(nl, name);
	if (err)
		ret = nl_fail(nl, -err, "delete video %s", show(name));
	vcnl_close(nl);
	return ret;
}

static int cmd_stats(struct ctx *ctx)
{
	struct vcnl_stats st;
	struct vcnl *nl;
	int ret = EXIT_OK, err;

	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_stats_get(nl, &st);
	if (err) {
		ret = nl_fail(nl, -err, "read the cache's counters");
	} else if (ctx->json) {
		printf("{\"videos\": %" PRIu32 ", \"mem_used\": %" PRIu64 ", "
		       "\"mem_limit\": %" PRIu64 ", \"evictions\": %" PRIu64 ", "
		       "\"bytes_served\": %" PRIu64 ", \"events_dropped\": %" PRIu64 ", "
		       "\"aio_queued\": %" PRIu64 ", \"aio_completed\": %" PRIu64 ", "
		       "\"aio_cancelled\": %" PRIu64 "}\n",
		       st.videos, st.mem_used, st.mem_limit, st.evictions, st.bytes_served,
		       st.events_dropped, st.aio_queued, st.aio_completed, st.aio_cancelled);
	} else {
		kv("videos", "%" PRIu32, st.videos);
		kv_bytes("memory used", st.mem_used);
		kv_bytes("memory limit", st.mem_limit);
		kv("evictions", "%" PRIu64, st.evictions);
		kv_bytes("bytes served", st.bytes_served);
		kv("events dropped", "%" PRIu64, st.events_dropped);
		kv("aio queued", "%" PRIu64, st.aio_queued);
		kv("aio completed", "%" PRIu64, st.aio_completed);
		kv("aio cancelled", "%" PRIu64, st.aio_cancelled);
	}
	vcnl_close(nl);
	return ret;
}

/* --- ls, limit, monitor -------------------------------------------------- */

struct listed {
	struct vcache_info info;
	struct vcnl_live live;
};

struct listing {
	struct listed *v;
	size_t n, cap;
	bool live;		/* a live stream is among them */
};

static int listing_add(const struct vcache_info *info, const struct vcnl_live *live,
		       void *arg)
{
	struct listing *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct listed *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].info = *info;
	l->v[l->n++].live = *live;
	l->live |= is_live(info);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->info.name,
		      ((const struct listed *)b)->info.name);
}

/* "25", "29.97", "23.976", "12.5": a table has no room for the exact N/D. */
static void fps_short(char *buf, size_t size, uint32_t num, uint32_t den)
{
	size_t len;

	if (!den || num % den == 0) {
		snprintf(buf, size, "%" PRIu32, den ? num / den : 0);
		return;
	}
	len = snprintf(buf, size, "%.3f", (double)num / den);
	while (len > 1 && len < size && buf[len - 1] == '0')
		buf[--len] = '\0';
}

/* Columns on screen: UTF-8 code points, as names are UTF-8. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

enum { LS_NAME, LS_STATE, LS_SIZE, LS_CAPACITY, LS_FPS, LS_INDEX, LS_OPEN, LS_MAPS,
       LS_SERVED, LS_HEAD, LS_TAIL, LS_VIEWERS, LS_ACCESSED, LS_COLS };

static const char *const ls_head[LS_COLS] = {
	"NAME", "STATE", "SIZE", "CAPACITY", "FPS", "INDEX", "OPEN", "MAPS", "SERVED",
	"HEAD", "TAIL", "VIEWERS", "ACCESSED",
};

/* Columns of live streams only, shown when the listing has one. */
static bool ls_live_col(int c)
{
	return c == LS_HEAD || c == LS_TAIL || c == LS_VIEWERS;
}

/* Numbers right-aligned, words left-aligned; the last column unpadded. */
static void ls_row(const char *const cell[LS_COLS], const size_t w[LS_COLS], bool live)
{
	int c;

	for (c = 0; c < LS_COLS; c++) {
		bool left = c == LS_NAME || c == LS_STATE || c == LS_ACCESSED;
		int pad = (int)(w[c] - width(cell[c]));

		if (!live && ls_live_col(c))
			continue;
		if (c)
			fputs("  ", stdout);
		if (!left)
			printf("%*s", pad, "");
		fputs(cell[c], stdout);
		if (left && c != LS_COLS - 1)
			printf("%*s", pad, "");
	}
	putchar('\n');
}

static void ls_table(const struct listing *l)
{
	char (*text)[LS_COLS][40] = calloc(l->n ? l->n : 1, sizeof(*text));
	const char *cell[LS_COLS];
	size_t w[LS_COLS], i;
	int c;

	for (c = 0; c < LS_COLS; c++)
		w[c] = width(ls_head[c]);
	for (i = 0; text && i < l->n; i++) {
		const struct vcache_info *in = &l->v[i].info;

		snprintf(text[i][LS_STATE], 40, "%s", state_name(in->state));
		format_size(text[i][LS_SIZE], 40, in->size);
		format_size(text[i][LS_CAPACITY], 40, in->capacity);
		fps_short(text[i][LS_FPS], 40, in->fps_num, in->fps_den);
		snprintf(text[i][LS_INDEX], 40, "%" PRIu64, (uint64_t)in->index_entries);
		snprintf(text[i][LS_OPEN], 40, "%" PRIu32, (uint32_t)in->open_count);
		snprintf(text[i][LS_MAPS], 40, "%" PRIu32, (uint32_t)in->map_count);
		format_size(text[i][LS_SERVED], 40, in->bytes_served);
		if (is_live(in)) {
			format_size(text[i][LS_HEAD], 40, in->size);
			format_size(text[i][LS_TAIL], 40, in->tail);
			snprintf(text[i][LS_VIEWERS], 40, "%" PRIu32, (uint32_t)in->viewers);
		} else {
			strcpy(text[i][LS_HEAD], "-");
			strcpy(text[i][LS_TAIL], "-");
			strcpy(text[i][LS_VIEWERS], "-");
		}
		if (in->access_time_ns)
			format_time(text[i][LS_ACCESSED], 40, in->access_time_ns);
		else
			snprintf(text[i][LS_ACCESSED], 40, "-");
		if (width(in->name) > w[LS_NAME])
			w[LS_NAME] = width(in->name);
		for (c = 1; c < LS_COLS; c++)
			if (width(text[i][c]) > w[c])
				w[c] = width(text[i][c]);
	}
	ls_row(ls_head, w, l->live);
	for (i = 0; text && i < l->n; i++) {
		cell[LS_NAME] = l->v[i].info.name;
		for (c = 1; c < LS_COLS; c++)
			cell[c] = text[i][c];
		ls_row(cell, w, l->live);
	}
	free(text);
}

static int cmd_ls(struct ctx *ctx)
{
	struct listing l = { 0 };
	struct vcnl *nl;
	int ret = EXIT_OK, err;
	size_t i;

	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_video_dump_live(nl, listing_add, &l);
	if (err) {
		ret = nl_fail(nl, -err, "list the videos");
		goto out;
	}
	qsort(l.v, l.n, sizeof(*l.v), by_name);
	if (ctx->json) {
		/* One video a line, so that line tools work on it too. */
		fputs(l.n ? "[\n" : "[", stdout);
		for (i = 0; i < l.n; i++) {
			put_info_json(&l.v[i].info, &l.v[i].live);
			fputs(i + 1 < l.n ? ",\n" : "\n", stdout);
		}
		fputs("]\n", stdout);
	} else {
		ls_table(&l);
	}
out:
	free(l.v);
	vcnl_close(nl);
	return ret;
}

static int cmd_limit(struct ctx *ctx)
{
	const char *arg = ctx->argv[0];
	struct vcnl *nl;
	uint64_t bytes;
	int ret = EXIT_OK, err;

	err = parse_size(arg, &bytes);
	if (err)
		return usage_error(ctx, "bad SIZE %s: %s", show(arg),
				   err == -ERANGE ? "too large" :
				   "want a byte count such as 512M or 2G, or 0");
	if (bytes % MiB)
		return usage_error(ctx, "SIZE %s is not a whole number of MiB", show(arg));
	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_limit_set(nl, bytes);
	if (err)
		ret = nl_fail(nl, -err, "set the memory limit to %s",
			      bytes ? hsize(bytes) : "the default");
	vcnl_close(nl);
	return ret;
}

struct monitor {
	bool json;
	uint64_t last_seq;	/* 0 before the first event */
	uint64_t seen;
	uint64_t count;		/* --count, 0 for no end */
};

/* Events the kernel numbered but we never got: @n of them, 0 if unknown. */
static void monitor_lost(const struct monitor *m, uint64_t n)
{
	if (m->json && n)
		printf("{\"event\": \"lost\", \"count\": %" PRIu64 "}\n", n);
	else if (m->json)
		fputs("{\"event\": \"lost\"}\n", stdout);
	else if (n)
		printf("lost %" PRIu64 " event%s (rate limit)\n", n, n == 1 ? "" : "s");
	else
		fputs("lost events (receive buffer overrun)\n", stdout);
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case VCACHE_EVENT_CREATED:
		return "created";
	case VCACHE_EVENT_SEALED:
		return "sealed";
	case VCACHE_EVENT_DELETED:
		return "deleted";
	case VCACHE_EVENT_EVICTED:
		return "evicted";
	case VCACHE_EVENT_LIVE_STARTED:
		return "started";
	case VCACHE_EVENT_LIVE_ENDED:
		return "ended";
	case VCACHE_EVENT_VIEWER_BEHIND:
		return "behind";
	default:
		return NULL;
	}
}

static void monitor_human(const struct vcnl_event *ev)
{
	const struct vcache_info *in = &ev->video;
	const struct vcnl_live *live = &ev->live;
	const char *what = event_name(ev->type);
	char when[64], fps[64], type[32];

	format_time(when, sizeof(when), ev->time_ns);
	if (!what) {
		snprintf(type, sizeof(type), "event %" PRIu32, ev->type);
		what = type;
	}
	printf("%s %-8s %s id %" PRIu64, when, what, show(in->name), (uint64_t)in->id);
	switch (ev->type) {
	case VCACHE_EVENT_CREATED:
		format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
		printf(", capacity %s, %s fps", hsize(in->capacity), fps);
		break;
	case VCACHE_EVENT_SEALED:
		printf(", size %s, %" PRIu64 " index entries", hsize(in->size),
		       (uint64_t)in->index_entries);
		break;
	case VCACHE_EVENT_DELETED:
		if (in->state == VCACHE_STATE_LOADING)
			fputs(", while loading", stdout);
		break;
	case VCACHE_EVENT_EVICTED:
		format_time(when, sizeof(when), in->access_time_ns);
		printf(", size %s, last read %s", hsize(in->size), when);
		break;
	case VCACHE_EVENT_LIVE_STARTED:
		format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
		printf(", ring %s, window %s, %s fps", hsize(live->ring), hsize(in->window),
		       fps);
		break;
	case VCACHE_EVENT_LIVE_ENDED:
		printf(", head %s, %" PRIu32 " viewer%s", hsize(in->size),
		       (uint32_t)in->viewers, in->viewers == 1 ? "" : "s");
		break;
	case VCACHE_EVENT_VIEWER_BEHIND:
		printf(", tail %s, head %s, %" PRIu64 " read%s behind so far", hsize(in->tail),
		       hsize(in->size), live->behind, live->behind == 1 ? "" : "s");
		break;
	}
	putchar('\n');
}

static int on_event(const struct vcnl_event *ev, void *arg)
{
	struct monitor *m = arg;
	const char *what = event_name(ev->type);

	if (m->last_seq && ev->seq > m->last_seq + 1)
		monitor_lost(m, ev->seq - m->last_seq - 1);
	if (ev->seq > m->last_seq)
		m->last_seq = ev->seq;
	if (m->json) {
		if (what)
			printf("{\"event\": \"%s\", ", what);
		else
			printf("{\"event\": \"unknown\", \"type\": %" PRIu32 ", ", ev->type);
		printf("\"seq\": %" PRIu64 ", \"time_ns\": %" PRIu64 ", \"video\": ",
		       ev->seq, ev->time_ns);
		put_info_json(&ev->video, &ev->live);
		fputs("}\n", stdout);
	} else {
		monitor_human(ev);
	}
	/* Whoever reads us wants each event as it happens. */
	if (fflush(stdout))
		return -EPIPE;
	if (m->count && ++m->seen == m->count)
		return -ECANCELED;
	return 0;
}

/*
 * Prints events until SIGINT or SIGTERM, or --count of them. The signals
 * come through a signalfd polled with the socket: a handler could strike
 * between a check of its flag and poll(2), and libnl retries EINTR anyway.
 */
static int cmd_monitor(struct ctx *ctx)
{
	struct monitor m = { .json = ctx->json };
	const char *count = ctx->optval[0];
	struct pollfd pfd[2];
	sigset_t sigs;
	struct vcnl *nl;
	int ret = EXIT_OK, err = 0, sfd;

	if (count) {
		char *end;

		errno = 0;
		m.count = strtoull(count, &end, 10);
		if (errno || end == count || *end || count[0] < '0' || count[0] > '9' ||
		    !m.count)
			return usage_error(ctx, "bad --count %s: want a number of events, 1 or more",
					   show(count));
	}
	nl = nl_connect();
	if (!nl)
		return EXIT_FAIL;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		ret = fail(errno, "watch for signals");
		goto out;
	}
	err = vcnl_monitor_join(nl);
	if (err) {
		ret = nl_fail(nl, -err, "listen to the %s events", VCACHE_GENL_NAME);
		goto out;
	}
	pfd[0] = (struct pollfd){ .fd = vcnl_fd(nl), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = fail(errno, "wait for events");
			break;
		}
		if (pfd[1].revents)
			break;		/* asked to stop: a normal end */
		do
			err = vcnl_monitor_read(nl, on_event, &m);
		while (!err);
		if (err == -ENOBUFS) {
			monitor_lost(&m, 0);
			m.last_seq = 0;		/* the gap is explained */
			continue;
		}
		if (err == -ECANCELED || err == -EPIPE)
			break;		/* --count reached, or no one reads */
		if (err != -EAGAIN) {
			ret = nl_fail(nl, -err, "read the %s events", VCACHE_GENL_NAME);
			break;
		}
	}
out:
	if (sfd >= 0)
		close(sfd);
	vcnl_close(nl);
	return ret;
}

/* --- live ---------------------------------------------------------------- */

/* The ring of a live stream: at least four pages (see struct vcache_create). */
static int live_capacity(const struct ctx *ctx, const char *arg, uint64_t *cap)
{
	uint64_t min = 4 * (uint64_t)sysconf(_SC_PAGESIZE);
	int err;

	if (!arg)
		return usage_error(ctx, "--capacity is needed: the size of the stream's ring");
	err = parse_size(arg, cap);
	if (err)
		return usage_error(ctx, "bad --capacity %s: %s", show(arg),
				   err == -ERANGE ? "too large" :
				   "want a byte count such as 256K, 64M or 1.5G");
	if (*cap < min)
		return usage_error(ctx, "--capacity %s is too small: a ring holds at least %s",
				   show(arg), hsize(min));
	return EXIT_OK;
}

/* The stream being fed: our descriptor is its writer. */
struct live {
	int fd;
	const char *name;
	char *data;		/* the ring, mapped twice in a row, writable */
	uint64_t ring;
	uint64_t zone;		/* the landing zone ahead of the head */
	uint64_t head;
};

/*
 * Lands what stdin has straight in the ring at the head, with no buffer of
 * our own (the zone ahead of the head is the writer's, and contiguous even
 * across the wrap), then commits it. Returns 0 to go on, -1 at the end of
 * stdin, or EXIT_FAIL after a message.
 */
static int live_land(struct live *lv)
{
	struct vcache_commit commit;
	ssize_t n = read(STDIN_FILENO, lv->data + lv->head % lv->ring, lv->zone);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return fail(errno, "read stdin");
	if (!n)
		return -1;
	memset(&commit, 0, sizeof(commit));
	commit.size = lv->head + n;
	if (ioctl(lv->fd, VCACHE_IOC_COMMIT, &commit))
		return fail(errno, "commit to live stream %s", show(lv->name));
	lv->head += n;
	return 0;
}

/* Maps the control page for the ring's geometry, then the ring writable. */
static int live_map(struct live *lv)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct vcache_live_ctrl *ctrl;

	ctrl = mmap(NULL, ps, PROT_READ, MAP_SHARED, lv->fd, 0);
	if (ctrl == MAP_FAILED)
		return fail(errno, "map live stream %s", show(lv->name));
	lv->ring = ctrl->ring_size;
	lv->zone = ctrl->zone;
	munmap(ctrl, ps);
	lv->data = mmap(NULL, 2 * lv->ring, PROT_READ | PROT_WRITE, MAP_SHARED, lv->fd,
			(off_t)ps * VCACHE_LIVE_DATA_PGOFF);
	if (lv->data == MAP_FAILED) {
		lv->data = NULL;
		return fail(errno, "map live stream %s for writing", show(lv->name));
	}
	return EXIT_OK;
}

/*
 * Creates live stream NAME and feeds it from stdin until the end of stdin
 * or SIGINT/SIGTERM/SIGHUP, then ends it; it keeps its window, for
 * viewers, until rm. The signals come through a signalfd polled with
 * stdin, blocked from before CREATE on, so that no signal can leave the
 * stream without its end.
 */
static int cmd_live(struct ctx *ctx)
{
	const char *cap = ctx->optval[0], *fps = ctx->optval[1];
	char name[VCACHE_NAME_MAX];
	struct live lv = { .fd = -1, .name = name };
	struct vcache_create req;
	struct vcache_stats st;
	uint32_t num = 25, den = 1;
	struct pollfd pfd[2];
	sigset_t sigs, old;
	uint64_t capacity;
	int ret, err, sfd = -1;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	ret = live_capacity(ctx, cap, &capacity);
	if (ret)
		return ret;
	if (fps && parse_fps(fps, &num, &den))
		return usage_error(ctx, "bad --fps %s: want N, N/D or a decimal such as 29.97, %s",
				   show(fps), "from 1 to 1000 frames a second");
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		ret = fail(errno, "watch for signals");
		goto out;
	}
	lv.fd = dev_open(ctx, O_RDWR);
	if (lv.fd < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.name, name, sizeof(req.name));
	req.capacity = capacity;
	req.fps_num = num;
	req.fps_den = den;
	req.flags = VCACHE_CREATE_LIVE;
	if (ioctl(lv.fd, VCACHE_IOC_CREATE, &req)) {
		err = errno;
		if (err == EFBIG && !ioctl(lv.fd, VCACHE_IOC_STATS, &st))
			ret = fail(err, "create live stream %s: ring %s, but the cache holds at most %s",
				   show(name), hsize(capacity), hsize(st.mem_limit));
		else
			ret = fail(err, "create live stream %s", show(name));
		goto out;
	}
	ret = live_map(&lv);
	pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	while (!ret) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno != EINTR)
				ret = fail(errno, "wait for stdin");
			continue;
		}
		if (pfd[1].revents)
			break;		/* asked to stop: a normal end */
		if (!pfd[0].revents)
			continue;
		ret = live_land(&lv);
		if (ret < 0) {
			ret = EXIT_OK;
			break;		/* the end of stdin */
		}
	}
	/* Ends the stream even after a failure: viewers get their end of file. */
	if (ioctl(lv.fd, VCACHE_IOC_SEAL, 0) && !ret)
		ret = fail(errno, "end live stream %s", show(name));
	if (!ret)
		printf("ended %s: %s streamed\n", show(name), hsize(lv.head));
out:
	if (lv.data)
		munmap(lv.data, 2 * lv.ring);
	if (lv.fd >= 0)
		close(lv.fd);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* --- the table, help and dispatch ---------------------------------------- */

static int cmd_help(struct ctx *ctx);

static const struct cmd_opt load_opts[] = {
	{ "--fps", "N[/D]", "frame rate: 30000/1001, 29.97, 12.5 ... (default: the stream's)" },
	{ "--capacity", "SIZE", "most bytes the video may hold (default: FILE's size)" },
	{ 0 }
};

static const struct cmd_opt cat_opts[] = {
	{ "--offset", "N", "first byte to write (default 0)" },
	{ "--size", "N", "bytes to write (default: up to the end)" },
	{ "--at", "TIMECODE", "start at the keyframe for TIMECODE (see seek)" },
	{ 0 }
};

_Static_assert(sizeof(load_opts) / sizeof(load_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");
_Static_assert(sizeof(cat_opts) / sizeof(cat_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");

static const struct cmd_opt monitor_opts[] = {
	{ "--count", "COUNT", "exit after COUNT events (default: at SIGINT or SIGTERM)" },
	{ 0 }
};

_Static_assert(sizeof(monitor_opts) / sizeof(monitor_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");

static const struct cmd_opt live_opts[] = {
	{ "--capacity", "SIZE", "bytes in the stream's ring (required; at least 16K)" },
	{ "--fps", "N[/D]", "frame rate: 30000/1001, 29.97, 12.5 ... (default 25)" },
	{ 0 }
};

_Static_assert(sizeof(live_opts) / sizeof(live_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");

static const struct cmd cmds[] = {
	{
		.name = "load",
		.args = { "NAME", "FILE" },
		.opts = load_opts,
		.summary = "Create video NAME from FILE (- for stdin) and seal it.",
		.help =
			"FILE is read with kernel AIO, O_DIRECT where its file system\n"
			"supports it, straight into a writable mapping of the video (-v\n"
			"says how). From stdin, a pipe or a device, --capacity is required\n"
			"and the video holds what arrives, up to it. If anything fails, the\n"
			"video is deleted again. Shows progress on a terminal for files over\n"
			"64 MiB.\n"
			"\n"
			"MPEG-TS video (H.264, HEVC, MPEG-2) is indexed from the video's own\n"
			"pages before the seal, for seek and cat --at; one line then tells\n"
			"the frames, keyframes, rate and duration. The rate is --fps, else\n"
			"the stream's (H.264 SPS timing, or the PTS steps in the first\n"
			"4 MiB), else 25. Other files load without an index, with a note.\n"
			"A damaged stream is indexed around the damage, with a warning.\n",
		.handler = cmd_load,
	},
	{
		.name = "cat",
		.args = { "NAME" },
		.opts = cat_opts,
		.summary = "Write the bytes of video NAME to stdout.",
		.help =
			"A window reaching past the end stops at the end; one starting\n"
			"there writes nothing. --at starts at the keyframe seek finds for\n"
			"TIMECODE, so that the bytes written decode from their first frame.\n",
		.handler = cmd_cat,
	},
	{
		.name = "seek",
		.args = { "NAME", "TIMECODE" },
		.json = true,
		.summary = "Find the keyframe where playback of TIMECODE starts.",
		.help =
			"Prints the last keyframe at or before TIMECODE: its byte offset (where\n"
			"cat --at starts), its label, frame number, and time from the first\n"
			"keyframe in 90 kHz ticks; then the frame TIMECODE names. TIMECODE is\n"
			"HH:MM:SS:FF, or in drop-frame timecode (29.97 and 59.94 fps only)\n"
			"HH:MM:SS;FF, HH:MM:SS.FF or HH;MM;SS;FF; or a time from the first\n"
			"keyframe in seconds (12.5, 12.5s) or in ticks (1125000t). A time\n"
			"gets drop-frame labels back where the rate has them. A label the\n"
			"rate does not have (frames past the rate, a label drop-frame skips)\n"
			"fails with EINVAL, a time past the end with ERANGE.\n",
		.handler = cmd_seek,
	},
	{
		.name = "live",
		.args = { "NAME" },
		.opts = live_opts,
		.summary = "Broadcast stdin as live stream NAME, until its end.",
		.help =
			"Creates live stream NAME with a ring of --capacity bytes and feeds\n"
			"it from stdin, which lands straight in the ring (no copy of ours).\n"
			"Viewers read the most recent three quarters of the ring; info\n"
			"and ls show the head, the tail and the viewers. At the end of\n"
			"stdin, or at SIGINT, SIGTERM or SIGHUP, the stream ends (viewers\n"
			"get end of file) and keeps its window until rm. Prints one line\n"
			"then: how much was streamed.\n"
			"  ffmpeg -re -i in.ts -c copy -f mpegts - | vcachectl live cam1 --capacity 64M\n",
		.handler = cmd_live,
	},
	{
		.name = "ls",
		.json = true,
		.summary = "List the videos, by name.",
		.help =
			"With -j, a JSON array of the objects info -j prints, one a line.\n",
		.handler = cmd_ls,
	},
	{
		.name = "info",
		.args = { "NAME" },
		.json = true,
		.summary = "Describe video NAME.",
		.help =
			"With -j, one JSON object with every field of struct vcache_info;\n"
			"a live stream's has a \"live\" object too: head, tail, ring, window,\n"
			"viewers, and behind (reads refused because the viewer fell behind).\n",
		.handler = cmd_info,
	},
	{
		.name = "rm",
		.args = { "NAME" },
		.summary = "Delete video NAME (needs CAP_NET_ADMIN).",
		.help = "Readers that have it open or mapped keep it until they let go.\n",
		.handler = cmd_rm,
	},
	{
		.name = "stats",
		.json = true,
		.summary = "Show the cache's counters.",
		.handler = cmd_stats,
	},
	{
		.name = "limit",
		.args = { "SIZE" },
		.summary = "Set the cache's memory limit (needs CAP_NET_ADMIN).",
		.help =
			"SIZE is a whole number of MiB (512M, 2G, 1.5G), or 0 for the\n"
			"default, a quarter of RAM; the module parameter max_mb follows.\n"
			"Lowering the limit evicts unused sealed videos, least recently\n"
			"used first, until the cache fits.\n",
		.handler = cmd_limit,
	},
	{
		.name = "monitor",
		.opts = monitor_opts,
		.json = true,
		.summary = "Print what happens to videos as it happens.",
		.help =
			"One line per event: created, sealed, deleted, evicted; for live\n"
			"streams started, ended, and behind (a viewer fell behind the\n"
			"window; at most one a stream every 100 ms). With -j,\n"
			"one JSON object per line. Events beyond the kernel's rate limit\n"
			"are dropped; a \"lost\" line says how many.\n",
		.handler = cmd_monitor,
	},
	{
		.name = "help",
		.args = { "[COMMAND]" },
		.summary = "Show this help, or COMMAND's.",
		.handler = cmd_help,
	},
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static unsigned int nr_args(const struct cmd *cmd, bool required)
{
	unsigned int n = 0;

	while (cmd->args[n] && (!required || cmd->args[n][0] != '['))
		n++;
	return n;
}

/* "load NAME FILE [--fps N[/D]] [--capacity SIZE]" */
static void print_synopsis(FILE *f, const struct cmd *cmd)
{
	const struct cmd_opt *o;
	unsigned int i;

	fputs(cmd->name, f);
	for (i = 0; cmd->args[i]; i++)
		fprintf(f, " %s", cmd->args[i]);
	for (o = cmd->opts; o && o->name; o++)
		fprintf(f, " [%s %s]", o->name, o->metavar);
	if (cmd->json)
		fputs(" [-j]", f);
}

static void print_cmd_help(const struct cmd *cmd)
{
	const struct cmd_opt *o;

	fputs("usage: " PROG " [--device PATH] ", stdout);
	print_synopsis(stdout, cmd);
	printf("\n\n%s\n", cmd->summary);
	if (cmd->help)
		printf("\n%s", cmd->help);
	if (cmd->opts) {
		fputs("\nOptions:\n", stdout);
		for (o = cmd->opts; o->name; o++)
			printf("  %s %-*s %s\n", o->name,
			       (int)(16 - strlen(o->name)), o->metavar, o->help);
		/* Only where a value is a byte count. */
		for (o = cmd->opts; o->name; o++)
			if (!strcmp(o->metavar, "SIZE") || !strcmp(o->metavar, "N"))
				break;
		if (o->name)
			printf("\n%s", size_help);
	}
}

static void print_help(void)
{
	size_t i;

	fputs("usage: " PROG " [--device PATH] [-j] [-v] COMMAND [ARG...]\n\n"
	      "Commands:\n", stdout);
	for (i = 0; i < NR_CMDS; i++) {
		fputs("  ", stdout);
		print_synopsis(stdout, &cmds[i]);
		printf("\n      %s\n", cmds[i].summary);
	}
	fputs("\nOptions (anywhere on the line):\n"
	      "  --device PATH  the vcache device (default " DEFAULT_DEVICE "); ls, info,\n"
	      "                 rm, stats, limit and monitor use netlink instead\n"
	      "  -j, --json     print JSON, for commands that print data\n"
	      "  -v, --verbose  say how load reads FILE (kernel AIO, O_DIRECT...)\n"
	      "  -h, --help     this help; after COMMAND, COMMAND's help\n"
	      "\nExit status: 0 done, 1 failed, 2 usage error.\n", stdout);
}

static int cmd_help(struct ctx *ctx)
{
	const struct cmd *cmd;

	if (!ctx->argc) {
		print_help();
		return EXIT_OK;
	}
	cmd = find_cmd(ctx->argv[0]);
	if (!cmd)
		return usage_error(ctx, "unknown command %s", show(ctx->argv[0]));
	print_cmd_help(cmd);
	return EXIT_OK;
}

/*
 * Splits the command line into the command, its positional arguments and
 * option values. Options may come anywhere, before or after the command
 * ("--" ends them, "-" is an argument); an option of a command is only
 * known after that command. --help wins over a missing or extra argument or
 * value, so that "vcachectl load --help" always helps, but not over an
 * unknown command or option. Returns -1 to go on, or an exit status.
 */
static int parse_args(struct ctx *ctx, int argc, char **argv)
{
	char err[512] = "";
	bool help = false, dashdash = false;
	int i;

#define SET_ERR(...) do { if (!err[0]) snprintf(err, sizeof(err), __VA_ARGS__); } while (0)

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *val;
		const struct cmd_opt *o = NULL;
		size_t len;
		int k = 0;

		if (dashdash || a[0] != '-' || !a[1]) {
			if (!ctx->cmd) {
				ctx->cmd = find_cmd(a);
				if (!ctx->cmd)
					return usage_error(ctx, "unknown command %s", show(a));
			} else if (ctx->argc == (int)nr_args(ctx->cmd, false)) {
				SET_ERR("unexpected argument %s", show(a));
			} else {
				ctx->argv[ctx->argc++] = a;
			}
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			ctx->json = true;
			continue;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			ctx->verbose = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
			continue;
		}

		/* The rest take a value: "--opt VALUE" or "--opt=VALUE". */
		val = strchr(a, '=');
		len = val ? (size_t)(val - a) : strlen(a);
		if (len == strlen("--device") && !strncmp(a, "--device", len)) {
			k = -1;
		} else if (ctx->cmd && ctx->cmd->opts) {
			for (o = ctx->cmd->opts; o->name; o++, k++)
				if (strlen(o->name) == len && !strncmp(a, o->name, len))
					break;
			if (!o->name)
				o = NULL;
		}
		/* Not knowing whether it takes a value, we cannot go on. */
		if (k >= 0 && !o)
			return usage_error(ctx, "unknown option %.*s", (int)len, a);
		if (val) {
			val++;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			SET_ERR("missing value for %s", a);
			continue;
		}
		if (k < 0)
			ctx->device = val;
		else
			ctx->optval[k] = val;
	}
#undef SET_ERR

	if (help) {
		if (ctx->cmd && ctx->cmd->handler != cmd_help)
			print_cmd_help(ctx->cmd);
		else
			print_help();
		return EXIT_OK;
	}
	if (err[0])
		return usage_error(ctx, "%s", err);
	if (!ctx->cmd)
		return usage_error(ctx, "missing command");
	if (ctx->argc < (int)nr_args(ctx->cmd, true))
		return usage_error(ctx, "missing %s", ctx->cmd->args[ctx->argc]);
	return -1;
}

int main(int argc, char **argv)
{
	struct ctx ctx = { .device = DEFAULT_DEVICE };
	int ret;

	/* A reader that goes away is handled where we write, not by dying. */
	signal(SIGPIPE, SIG_IGN);
	ret = parse_args(&ctx, argc, argv);
	if (ret < 0)
		ret = ctx.cmd->handler(&ctx);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE && !ret)
			ret = fail(errno, "write to stdout");
	}
	return ret;
}
