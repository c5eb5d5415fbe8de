// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl end to end: the tool is run as a program, as scripts run it, and
 * judged by its exit status, its stdout bytes and the number of lines on
 * stderr. Needs the module loaded and ./build/user/vcachectl built (make user);
 * runs from the repository root.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "vcache_util.h"
#include "run_util.h"
#include "kselftest_harness.h"

VC_PROGRAM_NEEDS_TREE_FILE(CTL, X_OK);

#define MiB		(1024 * 1024ULL)

/* A temporary file of @len pattern bytes; its path goes to @path. */
static int make_file(char *path, size_t size, uint64_t len, uint64_t seed)
{
	static uint8_t buf[65537];
	uint64_t off = 0;
	int fd;

	snprintf(path, size, "/tmp/vcachectl-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		vc_fill(buf, n, seed, off);
		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		off += n;
	}
	close(fd);
	return 0;
}

static void rm_video(const char *name)
{
	struct run r;

	run(&r, "rm", name, NULL);
	run_free(&r);
}

/* Checks "cat NAME [--offset OFF] [--size SIZE]" against the pattern. */
static void check_cat(struct __test_metadata *_metadata, const char *name,
		      uint64_t len, uint64_t seed, const char *offset, const char *size)
{
	uint64_t off = offset ? strtoull(offset, NULL, 10) : 0;
	uint64_t want = off >= len ? 0 : len - off;
	const char *args[7] = { "cat", name };
	struct run r;
	int i = 2;

	if (offset) {
		args[i++] = "--offset";
		args[i++] = offset;
	}
	if (size) {
		args[i++] = "--size";
		args[i++] = size;
		if (strtoull(size, NULL, 10) < want)
			want = strtoull(size, NULL, 10);
	}
	args[i] = NULL;
	EXPECT_EQ(0, run_ctl(&r, -1, -1, args)) TH_LOG("%s", r.err);
	EXPECT_EQ(0, r.err_len);
	EXPECT_EQ(want, r.out_len) TH_LOG("offset %s size %s", offset, size);
	if (r.out_len == want)
		EXPECT_EQ(-1, vc_verify((uint8_t *)r.out, want, seed, off))
			TH_LOG("offset %s size %s", offset, size);
	run_free(&r);
}

FIXTURE(loaded) {
	char path[64];
	char name[VCACHE_NAME_MAX];
	uint64_t len;
	uint64_t seed;
};

/* An odd-sized video: not a whole number of pages, nor of anything else. */
FIXTURE_SETUP(loaded)
{
	struct run r;

	VC_NEED_TREE_FILE(CTL, X_OK, "build " CTL " first (make user)");
	self->len = 3 * MiB + 7;
	self->seed = 42;
	snprintf(self->name, sizeof(self->name), "%s", vc_name("loaded"));
	ASSERT_EQ(0, make_file(self->path, sizeof(self->path), self->len, self->seed));
	ASSERT_EQ(0, run(&r, "load", self->name, self->path, NULL)) TH_LOG("%s", r.err);
	/* Not MPEG-TS: a summary line, and one line of warning that says so. */
	EXPECT_NE(NULL, strstr(r.out, "no index")) TH_LOG("%s", r.out);
	EXPECT_EQ(r.out + r.out_len - 1, strchr(r.out, '\n'));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "no MPEG-TS video stream"));
	run_free(&r);
}

FIXTURE_TEARDOWN(loaded)
{
	rm_video(self->name);
	unlink(self->path);
}

TEST_F(loaded, cat_whole)
{
	check_cat(_metadata, self->name, self->len, self->seed, NULL, NULL);
}

TEST_F(loaded, cat_windows)
{
	static const char * const win[][2] = {
		{ "0", "1" }, { "0", "4096" }, { "1", "4095" }, { "4095", "2" },
		{ "4097", "100000" }, { "12345", NULL }, { "1048576", "1048576" },
		{ "3145734", NULL },		/* the last 9 bytes */
		{ "3145742", NULL },		/* the last byte */
		{ "3145735", "1" },		/* crosses the end */
		{ "3000000", "999999999" },	/* way past the end */
		{ "3145743", NULL },		/* at the end: nothing */
		{ "99999999", "10" },		/* past the end: nothing */
		{ "100", "0" },			/* nothing asked */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(win); i++)
		check_cat(_metadata, self->name, self->len, self->seed, win[i][0], win[i][1]);
}

TEST_F(loaded, cat_with_units)
{
	struct run r;

	ASSERT_EQ(0, run(&r, "cat", self->name, "--offset", "1M", "--size=0.5K", NULL));
	EXPECT_EQ(512, r.out_len);
	EXPECT_EQ(-1, vc_verify((uint8_t *)r.out, r.out_len, self->seed, MiB));
	run_free(&r);
}

TEST_F(loaded, info_json_and_human)
{
	char want[128];
	struct run r;

	ASSERT_EQ(0, run(&r, "info", "-j", self->name, NULL)) TH_LOG("%s", r.err);
	EXPECT_EQ(0, r.err_len);
	EXPECT_EQ((long long)self->len, json_num(r.out, "size"));
	EXPECT_EQ((long long)self->len, json_num(r.out, "capacity"));
	EXPECT_EQ(25, json_num(r.out, "fps_num"));
	EXPECT_EQ(1, json_num(r.out, "fps_den"));
	EXPECT_NE(NULL, strstr(r.out, "\"state\": \"sealed\""));
	snprintf(want, sizeof(want), "\"name\": \"%s\"", self->name);
	EXPECT_NE(NULL, strstr(r.out, want));
	EXPECT_EQ('{', r.out[0]);
	EXPECT_EQ('\n', r.out[r.out_len - 1]);
	EXPECT_EQ(r.out + r.out_len - 1, strchr(r.out, '\n'));	/* one line */
	run_free(&r);

	/* -j may come before the command too. */
	ASSERT_EQ(0, run(&r, "--json", "info", self->name, NULL));
	EXPECT_EQ((long long)self->len, json_num(r.out, "size"));
	run_free(&r);

	ASSERT_EQ(0, run(&r, "info", self->name, NULL));
	EXPECT_NE(NULL, strstr(r.out, "sealed"));
	EXPECT_NE(NULL, strstr(r.out, "3.0 MiB (3145735 bytes)"));
	EXPECT_NE(NULL, strstr(r.out, "fps:"));
	run_free(&r);
}

TEST_F(loaded, rm_then_info_fails)
{
	struct run r;

	ASSERT_EQ(0, run(&r, "rm", self->name, NULL));
	EXPECT_EQ(0, r.out_len);
	EXPECT_EQ(0, r.err_len);
	run_free(&r);

	EXPECT_EQ(1, run(&r, "info", self->name, NULL));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "No such file or directory"));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);

	EXPECT_EQ(1, run(&r, "cat", self->name, NULL));
	EXPECT_EQ(1, err_lines(&r));
	run_free(&r);
	EXPECT_EQ(1, run(&r, "rm", self->name, NULL));
	EXPECT_EQ(1, err_lines(&r));
	run_free(&r);
}

/* A failed load must not delete someone else's video of that name. */
TEST_F(loaded, load_over_existing_name_keeps_it)
{
	struct run r;

	EXPECT_EQ(1, run(&r, "load", self->name, self->path, NULL));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "File exists"));
	run_free(&r);
	check_cat(_metadata, self->name, self->len, self->seed, "3145000", NULL);
}

TEST(usage_errors)
{
	static const char * const cases[][6] = {
		{ NULL },
		{ "frobnicate" },
		{ "load" },
		{ "load", "x" },
		{ "load", "x", "y", "z" },
		{ "load", "x", "-" },				/* stdin: capacity needed */
		{ "load", "x", "f", "--fps", "0" },
		{ "load", "x", "f", "--fps", "1001" },
		{ "load", "x", "f", "--fps", "25/0" },
		{ "load", "x", "f", "--capacity", "0" },
		{ "load", "x", "f", "--capacity", "12MB" },
		{ "load", "x", "f", "--capacity", "-5" },
		{ "load", "x", "f", "--capacity" },
		{ "cat", "x", "--offset", "abc" },
		{ "cat", "x", "--offset", "-1" },
		{ "cat", "x", "--size", "99999999999999999999" },
		{ "cat", "x", "--size", "1.5" },
		{ "cat", "x", "--fps", "25" },
		{ "info" },
		{ "info", "a", "b" },
		{ "info", "x", "--bogus" },
		{ "rm" },
		{ "stats", "extra" },
		{ "help", "frobnicate" },
		{ "--device" },
		{ "-x", "stats" },
	};
	unsigned int i;
	struct run r;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(2, run_ctl(&r, -1, -1, cases[i])) TH_LOG("case %u: %s", i, r.err);
		EXPECT_EQ(1, err_lines(&r)) TH_LOG("case %u: %s", i, r.err);
		EXPECT_EQ(0, r.out_len) TH_LOG("case %u", i);
		run_free(&r);
	}
}

TEST(bad_names)
{
	static const char * const bad[] = {
		"", ".", "..", "a/b", "/", "tab\there", "new\nline", "esc\x1b[2J",
		"del\x7f", "\xc3", "\xc0\xaf", "\xed\xa0\x80",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	unsigned int i;
	struct run r;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(2, run(&r, "info", bad[i], NULL)) TH_LOG("name %u", i);
		EXPECT_EQ(1, err_lines(&r)) TH_LOG("name %u: %s", i, r.err);
		/* The terminal never sees the raw control bytes. */
		EXPECT_EQ(NULL, strchr(r.err, '\x1b'));
		EXPECT_EQ(NULL, strchr(r.err, '\t'));
		run_free(&r);
		EXPECT_EQ(2, run(&r, "load", bad[i], "/dev/null", NULL));
		EXPECT_EQ(1, err_lines(&r));
		run_free(&r);
		EXPECT_EQ(2, run(&r, "rm", bad[i], NULL));
		run_free(&r);
		EXPECT_EQ(2, run(&r, "cat", bad[i], NULL));
		run_free(&r);
	}
}

TEST(help)
{
	static const char * const cmds[] = { "load", "cat", "info", "rm", "stats" };
	unsigned int i;
	struct run r;

	ASSERT_EQ(0, run(&r, "help", NULL));
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		EXPECT_NE(NULL, strstr(r.out, cmds[i]));
	EXPECT_EQ(0, r.err_len);
	run_free(&r);
	ASSERT_EQ(0, run(&r, "--help", NULL));
	EXPECT_NE(NULL, strstr(r.out, "stats"));
	run_free(&r);
	ASSERT_EQ(0, run(&r, "load", "--help", NULL));
	EXPECT_NE(NULL, strstr(r.out, "--capacity"));
	run_free(&r);
	/* --help wins over missing arguments. */
	ASSERT_EQ(0, run(&r, "cat", "-h", NULL));
	EXPECT_NE(NULL, strstr(r.out, "--offset"));
	run_free(&r);
	ASSERT_EQ(0, run(&r, "help", "info", NULL));
	EXPECT_NE(NULL, strstr(r.out, "info NAME"));
	run_free(&r);
}

TEST(missing_video_and_device)
{
	const char *name = vc_name("missing");
	struct run r;

	EXPECT_EQ(1, run(&r, "cat", name, NULL));
	EXPECT_EQ(1, err_lines(&r));
	EXPECT_NE(NULL, strstr(r.err, "No such file or directory"));
	run_free(&r);
	/* cat uses the device (stats and info use netlink and ignore it). */
	EXPECT_EQ(1, run(&r, "--device", "/nonexistent", "cat", name, NULL));
	EXPECT_EQ(1, err_lines(&r));
	run_free(&r);
	EXPECT_EQ(1, run(&r, "--device=/dev/null", "cat", name, NULL));
	EXPECT_EQ(1, err_lines(&r));
	run_free(&r);
}

TEST(stats)
{
	struct vcache_stats st = vc_stats();
	struct run r;

	ASSERT_EQ(0, run(&r, "stats", "-j", NULL));
	EXPECT_EQ((long long)st.mem_limit, json_num(r.out, "mem_limit"));
	EXPECT_LE(0, json_num(r.out, "videos"));
	EXPECT_LE(0, json_num(r.out, "evictions"));
	EXPECT_EQ((long long)st.evictions_pressure, json_num(r.out, "evictions_pressure"));
	EXPECT_LE(0, json_num(r.out, "shrink_pages"));
	run_free(&r);
	ASSERT_EQ(0, run(&r, "stats", NULL));
	EXPECT_NE(NULL, strstr(r.out, "memory limit:"));
	EXPECT_NE(NULL, strstr(r.out, ", pressure "));
	EXPECT_NE(NULL, strstr(r.out, "reclaimed:"));
	run_free(&r);
}

/* Feeds @len pattern bytes through a pipe to "vcachectl ARGS...". */
static int run_piped(struct run *r, uint64_t len, uint64_t seed, const char *const *args)
{
	int p[2], ret;
	pid_t writer;

	if (pipe(p))
		return -1;
	writer = fork();
	if (writer == 0) {
		static uint8_t buf[50001];	/* odd pieces */
		uint64_t off = 0;

		close(p[0]);
		while (off < len) {
			size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

			vc_fill(buf, n, seed, off);
			if (write(p[1], buf, n) != (ssize_t)n)
				_exit(1);	/* the reader gave up: fine */
			off += n;
		}
		_exit(0);
	}
	close(p[1]);
	ret = run_ctl(r, p[0], -1, args);
	close(p[0]);
	waitpid(writer, NULL, 0);
	return ret;
}

TEST(load_from_stdin)
{
	const char *name = vc_name("stdin");
	const char *const args[] = { "load", name, "-", "--capacity", "3M", "--fps", "29.97",
				     NULL };
	uint64_t len = 2 * MiB + 13;
	struct run r;

	ASSERT_EQ(0, run_piped(&r, len, 5, args)) TH_LOG("%s", r.err);
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);	/* no MPEG-TS: no index */
	run_free(&r);
	ASSERT_EQ(0, run(&r, "info", name, "-j", NULL));
	EXPECT_EQ((long long)len, json_num(r.out, "size"));
	EXPECT_EQ((long long)(3 * MiB), json_num(r.out, "capacity"));
	EXPECT_EQ(30000, json_num(r.out, "fps_num"));
	EXPECT_EQ(1001, json_num(r.out, "fps_den"));
	EXPECT_NE(NULL, strstr(r.out, "\"state\": \"sealed\""));
	run_free(&r);
	ASSERT_EQ(0, run(&r, "info", name, NULL));
	EXPECT_NE(NULL, strstr(r.out, "29.97 (30000/1001)"));
	run_free(&r);
	check_cat(_metadata, name, len, 5, NULL, NULL);
	check_cat(_metadata, name, len, 5, "1048575", "3");
	rm_video(name);
}

/* More than the capacity: an error, and no half-loaded video stays. */
TEST(load_from_stdin_over_capacity)
{
	const char *name = vc_name("over");
	const char *const args[] = { "load", name, "-", "--capacity", "100000", NULL };
	struct run r;

	EXPECT_EQ(1, run_piped(&r, 100001, 6, args));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "File too large"));
	run_free(&r);
	EXPECT_EQ(1, run(&r, "info", name, NULL));
	run_free(&r);

	/* Exactly the capacity is fine. */
	EXPECT_EQ(0, run_piped(&r, 100000, 6, args)) TH_LOG("%s", r.err);
	run_free(&r);
	check_cat(_metadata, name, 100000, 6, NULL, NULL);
	rm_video(name);
}

TEST(load_file_over_capacity)
{
	const char *name = vc_name("fover");
	char path[64];
	struct run r;

	ASSERT_EQ(0, make_file(path, sizeof(path), 10000, 7));
	EXPECT_EQ(1, run(&r, "load", name, path, "--capacity", "4096", NULL));
	EXPECT_EQ(1, err_lines(&r)) TH_LOG("%s", r.err);
	run_free(&r);
	EXPECT_EQ(1, run(&r, "info", name, NULL));
	run_free(&r);

	/* Room to spare: the capacity is as asked, the size the file's. */
	EXPECT_EQ(0, run(&r, "load", name, path, "--capacity", "1M", "--fps", "60000/1001", NULL));
	run_free(&r);
	ASSERT_EQ(0, run(&r, "info", "-j", name, NULL));
	EXPECT_EQ(10000, json_num(r.out, "size"));
	EXPECT_EQ((long long)MiB, json_num(r.out, "capacity"));
	EXPECT_EQ(60000, json_num(r.out, "fps_num"));
	run_free(&r);
	check_cat(_metadata, name, 10000, 7, NULL, NULL);
	rm_video(name);
	unlink(path);
}

TEST(load_empty_file)
{
	const char *name = vc_name("empty");
	char path[64];
	struct run r;

	/* A character device is read as a stream. */
	ASSERT_EQ(0, run(&r, "load", name, "/dev/null", "--capacity", "1", NULL))
		TH_LOG("%s", r.err);
	run_free(&r);
	rm_video(name);

	ASSERT_EQ(0, make_file(path, sizeof(path), 0, 0));
	ASSERT_EQ(0, run(&r, "load", name, path, NULL)) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, run(&r, "info", "-j", name, NULL));
	EXPECT_EQ(0, json_num(r.out, "size"));
	run_free(&r);
	check_cat(_metadata, name, 0, 0, NULL, NULL);
	rm_video(name);
	unlink(path);
}

/* Larger than the tool's 8 MiB mapping window: several windows each way. */
TEST(load_and_cat_across_windows)
{
	const char *name = vc_name("big");
	uint64_t len = 17 * MiB + 4099;
	char path[64];
	struct run r;

	ASSERT_EQ(0, make_file(path, sizeof(path), len, 9));
	ASSERT_EQ(0, run(&r, "load", name, path, NULL)) TH_LOG("%s", r.err);
	run_free(&r);
	check_cat(_metadata, name, len, 9, NULL, NULL);
	check_cat(_metadata, name, len, 9, "8388603", "10");		/* 8M - 5 */
	check_cat(_metadata, name, len, 9, "4097", "16777217");	/* 3 windows */
	check_cat(_metadata, name, len, 9, "16777216", NULL);		/* last window */
	rm_video(name);
	unlink(path);
}

/* A reader that goes away is no error worth a message. */
TEST_F(loaded, cat_into_closed_pipe)
{
	const char *const args[] = { "cat", self->name, NULL };
	struct run r;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	close(p[0]);
	EXPECT_EQ(0, run_ctl(&r, -1, p[1], args));
	EXPECT_EQ(0, r.err_len) TH_LOG("%s", r.err);
	close(p[1]);
	run_free(&r);
}

TEST_HARNESS_MAIN
