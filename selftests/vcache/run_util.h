/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running programs from selftests the way scripts run them: judged by the
 * exit status, the bytes on stdout and the lines on stderr. Captured output
 * goes through memfds, so a test never depends on a writable directory.
 */
#ifndef VCACHE_RUN_UTIL_H
#define VCACHE_RUN_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define CTL		"./build/user/vcachectl"
#define MAX_ARGS	16

struct run {
	int status;		/* exit status, or 128 + signal */
	char *out;		/* stdout, NUL-terminated */
	size_t out_len;
	char *err;		/* stderr, NUL-terminated */
	size_t err_len;
};

/* The whole of a memfd, NUL-terminated; *len gets its size. */
static inline char *slurp(int fd, size_t *len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = malloc(size > 0 ? size + 1 : 1);
	ssize_t n = 0;

	if (!buf)
		return NULL;
	if (size > 0)
		n = pread(fd, buf, size, 0);
	*len = n > 0 ? n : 0;
	buf[*len] = '\0';
	return buf;
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Starts @argv with stdin, stdout, stderr from @in, @out, @err (-1: /dev/null). */
static inline pid_t spawn(const char *const *argv, int in, int out, int err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(in >= 0 ? in : nul, 0);
		dup2(out >= 0 ? out : nul, 1);
		dup2(err >= 0 ? err : nul, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

static inline int wait_status(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Runs @argv to the end with stdin from @in (-1: /dev/null); stdout goes to
 * @out if >= 0, else it is captured; stderr is captured. Returns the status.
 */
static inline int run_cmd(struct run *r, int in, int out, const char *const *argv)
{
	int ofd = memfd_create("out", 0), efd = memfd_create("err", 0);

	memset(r, 0, sizeof(*r));
	if (ofd < 0 || efd < 0)
		return -1;
	r->status = wait_status(spawn(argv, in, out >= 0 ? out : ofd, efd));
	r->out = slurp(ofd, &r->out_len);
	r->err = slurp(efd, &r->err_len);
	close(ofd);
	close(efd);
	return r->status;
}

/* vcachectl with @args (NULL-terminated, at most MAX_ARGS), as run_cmd(). */
static inline int run_ctl(struct run *r, int in, int out, const char *const *args)
{
	const char *argv[MAX_ARGS + 2] = { CTL };
	int i;

	for (i = 0; args[i] && i < MAX_ARGS; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	return run_cmd(r, in, out, argv);
}

/* run(r, "info", name, NULL) runs ./build/user/vcachectl info NAME. */
static inline int run(struct run *r, ...)
{
	const char *args[MAX_ARGS + 1];
	va_list ap;
	int i = 0;

	va_start(ap, r);
	while (i < MAX_ARGS && (args[i] = va_arg(ap, const char *)))
		i++;
	va_end(ap);
	args[i] = NULL;
	return run_ctl(r, -1, -1, args);
}

/* Lines on stderr; a last line without its newline counts too. */
static inline int err_lines(const struct run *r)
{
	int n = 0;
	size_t i;

	for (i = 0; i < r->err_len; i++)
		n += r->err[i] == '\n';
	return n + (r->err_len && r->err[r->err_len - 1] != '\n');
}

/* The number after "key": in one-line JSON, or -1. */
static inline long long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = json ? strstr(json, pat) : NULL;
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

#endif /* VCACHE_RUN_UTIL_H */
