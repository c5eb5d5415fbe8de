// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl load: create a video from a file or a stream, index its
 * MPEG-TS video from its own pages, and seal it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl.h"
#include "load.h"
#include "parse.h"
#include "tcparse.h"
#include "vindex.h"

/* pwrite size when loading from a pipe. */
#define STREAM_CHUNK	(1 * MiB)
/* Smaller loads finish before a progress bar would be any use. */
#define PROGRESS_MIN	(64 * MiB)

/* A signal that asks a load to stop; the handler only records it. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

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
 * Which memory limit stopped a load, said in the message: ENOSPC is the
 * cache's own (max_mb), ENOMEM the memory cgroup's memory.max or the
 * machine's (include/uapi/linux/vcache.h, "Memory cgroups").
 */
static const char *limit_why(int err)
{
	if (err == ENOSPC)
		return ": the cache's limit (max_mb) is reached";
	if (err == ENOMEM)
		return ": the memory cgroup's memory.max (or the system's memory) is reached";
	return "";
}

/*
 * A read into the video's mapping failed because the page it touched could
 * not be allocated: the fault says only SIGBUS (EFAULT or ENOMEM to the
 * read). At the cache's limit the cache is full to the page; with room
 * left in it, the memory cgroup's (or the system's) memory ran out.
 */
static int load_full_errno(int vfd)
{
	struct vcache_stats st;

	if (!ioctl(vfd, VCACHE_IOC_STATS, &st) && st.mem_used + MiB <= st.mem_limit)
		return ENOMEM;
	return ENOSPC;
}

/*
 * Gives the video up before saying why: at its memory cgroup's limit the
 * loader's cgroup is full to the page, and the message's own page (a
 * pipe's, a file's) would be charged there and call the OOM killer on us.
 * The video, still loading, is deleted with its last descriptor, and its
 * pages are uncharged.
 */
static void load_give_up(struct load *ld)
{
	close(ld->vfd);
	ld->vfd = -1;
}

/*
 * Copies @total bytes of a regular file with no buffer of our own, with
 * kernel AIO straight into writable mappings of the video (user/lib/load.c).
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
	int err = -load_file(&job);	/* fail() takes a positive errno */

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
		err = load_full_errno(ld->vfd);
		load_give_up(ld);
		return fail(err, "read %s into video %s%s", file_label(ld), show(ld->name),
			    limit_why(err));
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
				if (err == ENOMEM || err == ENOSPC)
					load_give_up(ld);
				ret = fail(err, "write to video %s%s", show(ld->name),
					   limit_why(err));
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
	return fail(err, "create video %s%s", show(ld->name), limit_why(err));
}

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
			return fail(-err, "read %s", file_label(ld));
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

/* --fps wins; then what the probe found; then 25, the tool's default. */
static void load_rate(struct load_info *li, bool given, uint32_t *num, uint32_t *den)
{
	enum tsindex_fps_source src;

	if (given) {
		li->fps_from = "from --fps";
		return;
	}
	src = vindex_rate(&li->probe, num, den);
	li->fps_from = src == TSINDEX_FPS_NONE ? "by default" :
		       src == TSINDEX_FPS_SPS ? "from the SPS" : "from the PTS steps";
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
	if (ix->fps_source != TSINDEX_FPS_NONE && vindex_fps_ok(ix->fps_num, ix->fps_den)) {
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

/* Where ctx->optval holds each of load's options. */
enum {
	LOAD_OPT_FPS,
	LOAD_OPT_CAPACITY,
	LOAD_OPTS
};

static const struct cmd_opt load_opts[] = {
	[LOAD_OPT_FPS] = { "--fps", "N[/D]", "frame rate: 30000/1001, 29.97, 12.5 ... (default: the stream's)" },
	[LOAD_OPT_CAPACITY] = { "--capacity", "SIZE", "most bytes the video may hold (default: FILE's size)" },
	[LOAD_OPTS] = { 0 }
};

_Static_assert(LOAD_OPTS <= CMD_MAX_OPTS, "ctx->optval");

static int cmd_load(struct ctx *ctx)
{
	const char *fps = ctx->optval[LOAD_OPT_FPS], *cap = ctx->optval[LOAD_OPT_CAPACITY];
	char name[VCACHE_NAME_MAX];
	struct load ld = { .vfd = -1, .in = -1, .name = name, .file = ctx->argv[1],
			   .verbose = ctx->verbose };
	struct load_info li = { 0 };
	uint32_t num = VINDEX_FPS_NUM, den = VINDEX_FPS_DEN;
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

const struct cmd load_cmd = {
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
};
