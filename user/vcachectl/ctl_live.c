// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl live: broadcast stdin as a live stream, landing it straight
 * in the stream's ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "ctl.h"
#include "parse.h"

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

/* Where ctx->optval holds each of live's options. */
enum {
	LIVE_OPT_CAPACITY,
	LIVE_OPT_FPS,
	LIVE_OPTS
};

static const struct cmd_opt live_opts[] = {
	[LIVE_OPT_CAPACITY] = { "--capacity", "SIZE", "bytes in the stream's ring (required; at least 16K)" },
	[LIVE_OPT_FPS] = { "--fps", "N[/D]", "frame rate: 30000/1001, 29.97, 12.5 ... (default 25)" },
	[LIVE_OPTS] = { 0 }
};

_Static_assert(LIVE_OPTS <= CMD_MAX_OPTS, "ctx->optval");

/*
 * Creates live stream NAME and feeds it from stdin until the end of stdin
 * or SIGINT/SIGTERM/SIGHUP, then ends it; it keeps its window, for
 * viewers, until rm. The signals come through a signalfd polled with
 * stdin, blocked from before CREATE on, so that no signal can leave the
 * stream without its end.
 */
static int cmd_live(struct ctx *ctx)
{
	const char *cap = ctx->optval[LIVE_OPT_CAPACITY], *fps = ctx->optval[LIVE_OPT_FPS];
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
	/*
	 * Ends the stream even after a failure: viewers get their end of file.
	 * The ring's writable mapping first: SEAL refuses while it exists.
	 */
	if (lv.data)
		munmap(lv.data, 2 * lv.ring);
	lv.data = NULL;
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

const struct cmd live_cmd = {
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
};
