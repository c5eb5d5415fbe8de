// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl: load, read, describe and delete the videos of /dev/vcache.
 *
 * Every failure prints exactly one line to stderr, so that scripts and humans
 * both get the whole story from "vcachectl ... 2>err": usage errors point at
 * the command's --help and exit 2; failures of the operation itself carry the
 * errno text and exit 1.
 *
 * This file holds the order of the commands, the help derived from their
 * records and the dispatch; each command's record, options and handler are
 * in its ctl_*.c (see ctl.h).
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

static const struct cmd help_cmd = {
	.name = "help",
	.args = { "[COMMAND]" },
	.summary = "Show this help, or COMMAND's.",
	.handler = cmd_help,
};

/*
 * The commands, in the order "vcachectl help" lists them. Each record, its
 * options and the names of their slots in ctx->optval sit beside the
 * handler, in ctl_*.c, as iw's COMMAND() does; only help is here.
 */
static const struct cmd *const cmds[] = {
	&load_cmd,
	&cat_cmd,
	&seek_cmd,
	&live_cmd,
	&ls_cmd,
	&info_cmd,
	&rm_cmd,
	&pin_cmd,
	&unpin_cmd,
	&stats_cmd,
	&limit_cmd,
	&monitor_cmd,
	&help_cmd,
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
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
		print_synopsis(stdout, cmds[i]);
		printf("\n      %s\n", cmds[i]->summary);
	}
	fputs("\nOptions (anywhere on the line):\n"
	      "  --device PATH  the vcache device (default " DEFAULT_DEVICE "); ls, info,\n"
	      "                 rm, pin, unpin, stats, limit and monitor use netlink\n"
	      "                 instead\n"
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
