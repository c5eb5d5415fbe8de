// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl: load, read, describe and delete the videos of /dev/vcache.
 *
 * Every failure prints exactly one line to stderr, so that scripts and humans
 * both get the whole story from "vcachectl ... 2>err": usage errors point at
 * the command's --help and exit 2; failures of the operation itself carry the
 * errno text and exit 1.
 *
 * This file holds the command table, the help derived from it and the
 * dispatch; the commands are in ctl_*.c (see ctl.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "ctl.h"

static const char size_help[] =
	"SIZE and N are byte counts with an optional binary unit: 4096, 64K,\n"
	"20M, 20MiB, 1.5G (K = 1024; a fraction must give whole bytes).\n";

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
			"released first, until the cache fits.\n",
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
