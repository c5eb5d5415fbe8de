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
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vcache.h>
#include <vcache/name.h>
#include "cmd.h"
#include "parse.h"

#define PROG		"vcachectl"
#define DEFAULT_DEVICE	"/dev/vcache"
#define MiB		(1024 * 1024ULL)

/*
 * load and cat map the video this much at a time rather than whole: the
 * pages of a mapping count in our RSS, and a loader whose RSS is the size of
 * the video is the first thing the OOM killer picks. 8 MiB keeps the
 * mmap/munmap cost per byte negligible.
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
	uint64_t capacity;
	struct progress progress;
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

/*
 * Copies @total bytes of a regular file with no buffer of our own: each
 * window of the video is mapped writable and read(2) fills it, so the data
 * goes from the page cache straight into the video's pages. COMMIT then
 * publishes the window's bytes. A file that shrank meanwhile just makes a
 * shorter video: it is what the file holds now. Returns 0 or EXIT_FAIL
 * after a message.
 */
static int load_mapped(struct load *ld, uint64_t total)
{
	uint64_t off = 0;

	while (off < total) {
		uint64_t span = min_u64(total - off, MAP_WINDOW), got = 0;
		struct vcache_commit commit;
		int err = 0;
		char *map;

		map = mmap(NULL, page_up(span), PROT_READ | PROT_WRITE, MAP_SHARED, ld->vfd, off);
		if (map == MAP_FAILED)
			return fail(errno, "map video %s for writing", show(ld->name));
		while (got < span) {
			ssize_t n = read_some(ld->in, map + got, span - got);

			if (n <= 0) {
				err = n ? errno : 0;
				break;
			}
			got += n;
			progress_update(&ld->progress, off + got);
		}
		memset(&commit, 0, sizeof(commit));
		commit.size = off + got;
		if (!err && got && ioctl(ld->vfd, VCACHE_IOC_COMMIT, &commit)) {
			err = errno;
			munmap(map, page_up(span));
			return fail(err, "commit to video %s", show(ld->name));
		}
		munmap(map, page_up(span));
		/*
		 * The kernel fills our mapping's pages on fault while read(2)
		 * copies; when the cache is out of memory that fault fails and
		 * read(2) reports EFAULT. Say what it means.
		 */
		if (err == EFAULT)
			return fail(ENOSPC, "read %s into video %s", file_label(ld), show(ld->name));
		if (err)
			return fail(err, "read %s", file_label(ld));
		if (got < span)
			break;		/* end of file */
		off += got;
	}
	return 0;
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

	buf = malloc(STREAM_CHUNK);
	if (!buf)
		return fail(ENOMEM, "load video %s", show(ld->name));
	while (!eof) {
		size_t len = 0;
		int err;

		/* Fill the chunk: pipes hand over 64 KiB at a time. */
		while (len < STREAM_CHUNK) {
			ssize_t n = read_some(ld->in, buf + len, STREAM_CHUNK - len);

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

static int cmd_load(struct ctx *ctx)
{
	const char *fps = ctx->optval[0], *cap = ctx->optval[1];
	char name[VCACHE_NAME_MAX];
	struct load ld = { .vfd = -1, .in = -1, .name = name, .file = ctx->argv[1] };
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
	if (!ret && ioctl(ld.vfd, VCACHE_IOC_SEAL, 0))
		ret = fail(errno, "seal video %s", show(name));
	progress_end(&ld.progress, !ret);

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
	return ret;
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
	const char *offset = ctx->optval[0], *size = ctx->optval[1];
	uint64_t start = 0, len = UINT64_MAX;
	char name[VCACHE_NAME_MAX];
	struct vcache_info info;
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
	fd = video_open(ctx, name, O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	if (ioctl(fd, VCACHE_IOC_INFO, &info)) {
		ret = fail(errno, "describe video %s", show(name));
	} else if (start < info.size) {
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
	default:
		return "unknown";
	}
}

static void print_info_json(const struct vcache_info *in)
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
	       "\"seal_time_ns\": %" PRIu64 ", \"access_time_ns\": %" PRIu64 "}\n",
	       name, (uint64_t)in->id, state_name(in->state),
	       in->flags & VCACHE_INFO_DELETED ? "true" : "false", (uint32_t)in->flags,
	       (uint64_t)in->size, (uint64_t)in->capacity,
	       (uint32_t)in->fps_num, (uint32_t)in->fps_den,
	       (uint32_t)in->open_count, (uint32_t)in->map_count,
	       (uint64_t)in->index_entries, (uint64_t)in->bytes_served,
	       (uint64_t)in->mem_bytes, (uint64_t)in->create_time_ns,
	       (uint64_t)in->seal_time_ns, (uint64_t)in->access_time_ns);
}

static void print_info(const struct vcache_info *in)
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
	kv_bytes("memory", in->mem_bytes);
	kv("fps", "%s", fps);
	/* Our own descriptor is one of them: INFO needs a bound one. */
	kv("descriptors", "%" PRIu32, (uint32_t)in->open_count);
	kv("mappings", "%" PRIu32, (uint32_t)in->map_count);
	kv("index entries", "%" PRIu64, (uint64_t)in->index_entries);
	kv_bytes("bytes served", in->bytes_served);
	kv_time("created", in->create_time_ns);
	kv_time("sealed", in->seal_time_ns);
	kv_time("accessed", in->access_time_ns);
}

static int cmd_info(struct ctx *ctx)
{
	char name[VCACHE_NAME_MAX];
	struct vcache_info info;
	int ret, fd;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	fd = video_open(ctx, name, O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	if (ioctl(fd, VCACHE_IOC_INFO, &info))
		ret = fail(errno, "describe video %s", show(name));
	else if (ctx->json)
		print_info_json(&info);
	else
		print_info(&info);
	close(fd);
	return ret;
}

static int cmd_rm(struct ctx *ctx)
{
	char name[VCACHE_NAME_MAX];
	struct vcache_delete req;
	int ret, fd;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	fd = dev_open(ctx, O_RDWR);
	if (fd < 0)
		return EXIT_FAIL;
	memset(&req, 0, sizeof(req));
	memcpy(req.name, name, sizeof(req.name));
	if (ioctl(fd, VCACHE_IOC_DELETE, &req))
		ret = fail(errno, "delete video %s", show(name));
	close(fd);
	return ret;
}

static int cmd_stats(struct ctx *ctx)
{
	struct vcache_stats st;
	int ret = EXIT_OK, fd;

	fd = dev_open(ctx, O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	if (ioctl(fd, VCACHE_IOC_STATS, &st)) {
		ret = fail(errno, "read the cache's counters");
	} else if (ctx->json) {
		printf("{\"videos\": %" PRIu32 ", \"mem_used\": %" PRIu64 ", "
		       "\"mem_limit\": %" PRIu64 ", \"evictions\": %" PRIu64 ", "
		       "\"bytes_served\": %" PRIu64 "}\n",
		       (uint32_t)st.videos, (uint64_t)st.mem_used, (uint64_t)st.mem_limit,
		       (uint64_t)st.evictions, (uint64_t)st.bytes_served);
	} else {
		kv("videos", "%" PRIu32, (uint32_t)st.videos);
		kv_bytes("memory used", st.mem_used);
		kv_bytes("memory limit", st.mem_limit);
		kv("evictions", "%" PRIu64, (uint64_t)st.evictions);
		kv_bytes("bytes served", st.bytes_served);
	}
	close(fd);
	return ret;
}

/* --- the table, help and dispatch ---------------------------------------- */

static int cmd_help(struct ctx *ctx);

static const struct cmd_opt load_opts[] = {
	{ "--fps", "N[/D]", "frame rate: 25 (the default), 30000/1001, 29.97, 12.5 ..." },
	{ "--capacity", "SIZE", "most bytes the video may hold (default: FILE's size)" },
	{ 0 }
};

static const struct cmd_opt cat_opts[] = {
	{ "--offset", "N", "first byte to write (default 0)" },
	{ "--size", "N", "bytes to write (default: up to the end)" },
	{ 0 }
};

_Static_assert(sizeof(load_opts) / sizeof(load_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");
_Static_assert(sizeof(cat_opts) / sizeof(cat_opts[0]) <= CMD_MAX_OPTS + 1, "ctx->optval");

static const struct cmd cmds[] = {
	{
		.name = "load",
		.args = { "NAME", "FILE" },
		.opts = load_opts,
		.summary = "Create video NAME from FILE (- for stdin) and seal it.",
		.help =
			"FILE is read straight into a writable mapping of the video. From\n"
			"stdin, a pipe or a device, --capacity is required and the video\n"
			"holds what arrives, up to it. If anything fails, the video is\n"
			"deleted again. Shows progress on a terminal for files over 64 MiB.\n",
		.handler = cmd_load,
	},
	{
		.name = "cat",
		.args = { "NAME" },
		.opts = cat_opts,
		.summary = "Write the bytes of video NAME to stdout.",
		.help =
			"A window reaching past the end stops at the end; one starting\n"
			"there writes nothing.\n",
		.handler = cmd_cat,
	},
	{
		.name = "info",
		.args = { "NAME" },
		.json = true,
		.summary = "Describe video NAME.",
		.help = "With -j, one JSON object with every field of struct vcache_info.\n",
		.handler = cmd_info,
	},
	{
		.name = "rm",
		.args = { "NAME" },
		.summary = "Delete video NAME.",
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
		printf("\n%s", size_help);
	}
}

static void print_help(void)
{
	size_t i;

	fputs("usage: " PROG " [--device PATH] [-j] COMMAND [ARG...]\n\n"
	      "Commands:\n", stdout);
	for (i = 0; i < NR_CMDS; i++) {
		fputs("  ", stdout);
		print_synopsis(stdout, &cmds[i]);
		printf("\n      %s\n", cmds[i].summary);
	}
	fputs("\nOptions (anywhere on the line):\n"
	      "  --device PATH  the vcache device (default " DEFAULT_DEVICE ")\n"
	      "  -j, --json     print JSON, for commands that print data\n"
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
