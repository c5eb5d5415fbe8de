/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcachectl's command table. As in iw, each subcommand is one record naming
 * its handler, arguments and help, and main() only dispatches: the usage
 * text, the argument count checks and the option parsing are all derived
 * from the records, so they cannot drift apart from what a handler expects.
 * Each record sits beside its handler in ctl_*.c, as iw's COMMAND() does,
 * with its options and an enum naming their slots in ctx->optval; a plain
 * array of pointers in vcachectl.c rather than iw's linker section keeps
 * "vcachectl help" in a chosen order.
 */
#ifndef VCACHECTL_CMD_H
#define VCACHECTL_CMD_H

#include <stdbool.h>

#define CMD_MAX_ARGS	4
#define CMD_MAX_OPTS	4

/* Exit statuses: scripts tell "you called me wrong" from "it failed". */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/**
 * struct cmd_opt - an option of one command, always taking a value
 * @name:    the long name, with its dashes ("--fps").
 * @metavar: what the value looks like in the usage ("N[/D]").
 * @help:    one line.
 */
struct cmd_opt {
	const char *name;
	const char *metavar;
	const char *help;
};

struct ctx;

/**
 * struct cmd - one subcommand
 * @name:     as typed.
 * @args:     positional arguments, required ones first, NULL-terminated;
 *            "[FOO]" marks an optional one.
 * @opts:     options, terminated by an entry with a NULL name; may be NULL.
 *            At most CMD_MAX_OPTS.
 * @json:     the command prints data and honours -j.
 * @summary:  one line for "vcachectl help".
 * @help:     more text for "vcachectl CMD --help"; may be NULL.
 * @handler:  runs the command once the arguments are counted and the
 *            options collected; returns an EXIT_* status.
 */
struct cmd {
	const char *name;
	const char *args[CMD_MAX_ARGS + 1];
	const struct cmd_opt *opts;
	bool json;
	const char *summary;
	const char *help;
	int (*handler)(struct ctx *ctx);
};

/**
 * struct ctx - one invocation, as parsed by main()
 * @cmd:    the command being run.
 * @device: the device node (--device).
 * @json:   -j was given.
 * @verbose: -v was given.
 * @argc:   number of positional arguments in @argv.
 * @argv:   the positional arguments.
 * @optval: value of each of @cmd->opts, by its index in @cmd->opts (the
 *          command's enum of option slots), or NULL if not given.
 */
struct ctx {
	const struct cmd *cmd;
	const char *device;
	bool json;
	bool verbose;
	int argc;
	char *argv[CMD_MAX_ARGS];
	const char *optval[CMD_MAX_OPTS];
};

#endif /* VCACHECTL_CMD_H */
