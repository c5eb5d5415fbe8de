// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl seek, cat, info and rm: one video, by name. seek and cat read
 * it through the device; info and rm go through netlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ctl.h"
#include "parse.h"
#include "tcparse.h"

/*
 * cat maps the video this much at a time rather than whole, as load does
 * (LOAD_WINDOW): the pages of a mapping count in our RSS, and a process
 * whose RSS is the size of the video is the first thing the OOM killer
 * picks. 8 MiB keeps the mmap/munmap cost per byte negligible.
 */
#define MAP_WINDOW	(8 * MiB)

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

static uint64_t page_up(uint64_t n)
{
	uint64_t ps = sysconf(_SC_PAGESIZE);

	return (n + ps - 1) & ~(ps - 1);
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

const struct cmd seek_cmd = {
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
};

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

/* Where ctx->optval holds each of cat's options. */
enum {
	CAT_OPT_OFFSET,
	CAT_OPT_SIZE,
	CAT_OPT_AT,
	CAT_OPTS
};

static const struct cmd_opt cat_opts[] = {
	[CAT_OPT_OFFSET] = { "--offset", "N", "first byte to write (default 0)" },
	[CAT_OPT_SIZE] = { "--size", "N", "bytes to write (default: up to the end)" },
	[CAT_OPT_AT] = { "--at", "TIMECODE", "start at the keyframe for TIMECODE (see seek)" },
	[CAT_OPTS] = { 0 }
};

_Static_assert(CAT_OPTS <= CMD_MAX_OPTS, "ctx->optval");

static int cmd_cat(struct ctx *ctx)
{
	const char *offset = ctx->optval[CAT_OPT_OFFSET], *size = ctx->optval[CAT_OPT_SIZE];
	const char *at = ctx->optval[CAT_OPT_AT];
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

const struct cmd cat_cmd = {
	.name = "cat",
	.args = { "NAME" },
	.opts = cat_opts,
	.summary = "Write the bytes of video NAME to stdout.",
	.help =
		"A window reaching past the end stops at the end; one starting\n"
		"there writes nothing. --at starts at the keyframe seek finds for\n"
		"TIMECODE, so that the bytes written decode from their first frame.\n",
	.handler = cmd_cat,
};

/* --- info, rm ------------------------------------------------------------ */

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
	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	err = vcnl_video_get(nl, name, &info, &live);
	if (err)
		ret = netlink_fail(nl, -err, "describe video %s", show(name));
	else if (ctx->json)
		print_info_json(&info, &live);
	else
		print_info(&info, &live);
	vcnl_close(nl);
	return ret;
}

const struct cmd info_cmd = {
	.name = "info",
	.args = { "NAME" },
	.json = true,
	.summary = "Describe video NAME.",
	.help =
		"With -j, one JSON object with every field of struct vcache_info;\n"
		"a live stream's has a \"live\" object too: head, tail, ring, window,\n"
		"viewers, and behind (reads refused because the viewer fell behind).\n",
	.handler = cmd_info,
};

/* rm, pin, unpin: one name, one netlink request, one line if it fails. */
enum name_op { NAME_DELETE, NAME_PIN, NAME_UNPIN };

static int name_request(struct ctx *ctx, enum name_op op)
{
	static const char *const verbs[] = { "delete", "pin", "unpin" };
	char name[VCACHE_NAME_MAX];
	struct vcnl *nl;
	int ret, err;

	ret = name_field(ctx, ctx->argv[0], name);
	if (ret)
		return ret;
	nl = netlink_connect();
	if (!nl)
		return EXIT_FAIL;
	err = op == NAME_DELETE ? vcnl_video_del(nl, name) :
				  vcnl_video_pin(nl, name, op == NAME_PIN);
	if (err)
		ret = netlink_fail(nl, -err, "%s video %s", verbs[op], show(name));
	vcnl_close(nl);
	return ret;
}

static int cmd_rm(struct ctx *ctx)
{
	return name_request(ctx, NAME_DELETE);
}

const struct cmd rm_cmd = {
	.name = "rm",
	.args = { "NAME" },
	.summary = "Delete video NAME (needs CAP_NET_ADMIN).",
	.help = "Readers that have it open or mapped keep it until they let go.\n",
	.handler = cmd_rm,
};

static int cmd_pin(struct ctx *ctx)
{
	return name_request(ctx, NAME_PIN);
}

static int cmd_unpin(struct ctx *ctx)
{
	return name_request(ctx, NAME_UNPIN);
}

const struct cmd pin_cmd = {
	.name = "pin",
	.args = { "NAME" },
	.summary = "Pin video NAME: never evicted (needs CAP_NET_ADMIN).",
	.help = "Neither the cache's limit nor the shrinker under memory pressure\n"
		"evicts a pinned video; it still counts against the limit.\n"
		"\"info\" and \"ls\" show it. Pinning a pinned video changes nothing.\n",
	.handler = cmd_pin,
};

const struct cmd unpin_cmd = {
	.name = "unpin",
	.args = { "NAME" },
	.summary = "Unpin video NAME: evictable again (needs CAP_NET_ADMIN).",
	.help = "Unused and sealed, it becomes the most recently released video.\n",
	.handler = cmd_unpin,
};
