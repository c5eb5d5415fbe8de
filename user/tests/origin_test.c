// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of user/streamer/origin_open.c: the --origin lookup never
 * opens anything outside its directories. A scratch tree:
 *
 *   TMP/outside/decoy          the file an escape would reach
 *   TMP/o1/a.ts                a regular file
 *   TMP/o1/up -> ../outside/decoy, TMP/o1/abs -> TMP/outside/decoy
 *   TMP/o1/in -> a.ts          a symlink that stays inside: fine
 *   TMP/o1/dir/, TMP/o1/fifo, TMP/o1/.hidden
 *   TMP/o2/a.ts, TMP/o2/b.ts   the second directory: first match wins
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "origin.h"
#include "kselftest_harness.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

FIXTURE(tree) {
	char root[64];
	int dirs[2];
};

FIXTURE_SETUP(tree)
{
	char p[256], q[256];

	strcpy(self->root, "/tmp/origin_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
#define P(s)	(snprintf(p, sizeof(p), "%s/%s", self->root, s), p)
	ASSERT_EQ(0, mkdir(P("outside"), 0755));
	put(P("outside/decoy"), "decoy");
	ASSERT_EQ(0, mkdir(P("o1"), 0755));
	ASSERT_EQ(0, mkdir(P("o2"), 0755));
	put(P("o1/a.ts"), "one");
	put(P("o2/a.ts"), "two");
	put(P("o2/b.ts"), "bee");
	put(P("o1/.hidden"), "dot");
	ASSERT_EQ(0, symlink("../outside/decoy", P("o1/up")));
	snprintf(q, sizeof(q), "%s/outside/decoy", self->root);
	ASSERT_EQ(0, symlink(q, P("o1/abs")));
	ASSERT_EQ(0, symlink("a.ts", P("o1/in")));
	ASSERT_EQ(0, symlink("/proc/self/cwd", P("o1/magic")));
	ASSERT_EQ(0, mkdir(P("o1/dir"), 0755));
	ASSERT_EQ(0, mkfifo(P("o1/fifo"), 0644));
	self->dirs[0] = open(P("o1"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	self->dirs[1] = open(P("o2"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->dirs[0]);
	ASSERT_LE(0, self->dirs[1]);
#undef P
}

FIXTURE_TEARDOWN(tree)
{
	char cmd[128];

	close(self->dirs[0]);
	close(self->dirs[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->root);
	if (system(cmd))
		TH_LOG("could not remove %s", self->root);
}

/* The verdict for @name, and what the file found holds ("" if none). */
static enum origin_verdict look(const int *dirs, const char *name, char *got, int *err)
{
	enum origin_verdict v;
	unsigned int dir = 99;
	struct stat st;
	ssize_t n;
	int fd;

	got[0] = '\0';
	v = origin_lookup(dirs, 2, name, &fd, &st, &dir, err);
	if (v == ORIGIN_FOUND) {
		n = read(fd, got, 15);
		got[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return v;
}

TEST_F(tree, regular_files_first_match_wins)
{
	char got[16];
	int err;

	ASSERT_EQ(ORIGIN_FOUND, look(self->dirs, "a.ts", got, &err));
	EXPECT_STREQ("one", got);
	ASSERT_EQ(ORIGIN_FOUND, look(self->dirs, "b.ts", got, &err));
	EXPECT_STREQ("bee", got);
	ASSERT_EQ(ORIGIN_FOUND, look(self->dirs, "in", got, &err));
	EXPECT_STREQ("one", got);
	EXPECT_EQ(ORIGIN_MISSING, look(self->dirs, "nope.ts", got, &err));
	EXPECT_EQ(ENOENT, err);
}

TEST_F(tree, escapes_are_refused)
{
	static const char * const bad[] = { "up", "abs", "magic" };
	char got[16];
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(ORIGIN_REFUSED, look(self->dirs, bad[i], got, &err)) {
			TH_LOG("%s: errno %d", bad[i], err);
		}
		EXPECT_STREQ("", got);
	}
}

TEST_F(tree, not_names_are_refused)
{
	static const char * const bad[] = {
		"..", ".", "../outside/decoy", "/etc/passwd", "x/../a.ts", ".hidden", "",
	};
	char got[16];
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(ORIGIN_REFUSED, look(self->dirs, bad[i], got, &err)) {
			TH_LOG("\"%s\"", bad[i]);
		}
		EXPECT_EQ(EINVAL, err);
		EXPECT_STREQ("", got);
	}
}

TEST_F(tree, only_regular_files)
{
	char got[16];
	int err;

	/* The FIFO has no writer: a blocking open would hang the test here. */
	EXPECT_EQ(ORIGIN_REFUSED, look(self->dirs, "fifo", got, &err));
	EXPECT_EQ(EINVAL, err);
	EXPECT_EQ(ORIGIN_REFUSED, look(self->dirs, "dir", got, &err));
	EXPECT_EQ(EISDIR, err);
}

TEST(name_check)
{
	EXPECT_TRUE(origin_name_ok("movie.ts"));
	EXPECT_TRUE(origin_name_ok("caf\xc3\xa9.ts"));
	EXPECT_FALSE(origin_name_ok(".."));
	EXPECT_FALSE(origin_name_ok(".x"));
	EXPECT_FALSE(origin_name_ok("a/b"));
	EXPECT_FALSE(origin_name_ok("a\nb"));
	EXPECT_FALSE(origin_name_ok("\xff"));
}

/* origin_nofit.c: a name does not fit until its TTL, then is filled again. */
TEST(nofit_expires)
{
	static struct nofit_table t;

	ASSERT_FALSE(nofit_has(&t, "a.ts", 100));
	nofit_add(&t, "a.ts", 100, 50);
	ASSERT_TRUE(nofit_has(&t, "a.ts", 100));
	ASSERT_TRUE(nofit_has(&t, "a.ts", 149));
	ASSERT_FALSE(nofit_has(&t, "b.ts", 120));
	ASSERT_FALSE(nofit_has(&t, "a.t", 120));
	ASSERT_FALSE(nofit_has(&t, "a.ts", 150));
	/* Dropped when seen expired: still gone later. */
	ASSERT_FALSE(nofit_has(&t, "a.ts", 120));
	/* Added again: the TTL counts from then. */
	nofit_add(&t, "a.ts", 200, 50);
	nofit_add(&t, "a.ts", 240, 50);
	ASSERT_TRUE(nofit_has(&t, "a.ts", 280));
}

/* Full: a new name takes the slot that expires first; the others stay. */
TEST(nofit_full)
{
	static struct nofit_table t;
	char name[16];
	unsigned int i, n = 0;

	for (i = 0; i < NOFIT_MAX; i++) {
		snprintf(name, sizeof(name), "v%u", i);
		nofit_add(&t, name, 0, 1000 + (i == 7 ? 0 : 100 + i));
	}
	nofit_add(&t, "new", 10, 1000);
	ASSERT_TRUE(nofit_has(&t, "new", 20));
	ASSERT_FALSE(nofit_has(&t, "v7", 20));
	for (i = 0; i < NOFIT_MAX; i++) {
		snprintf(name, sizeof(name), "v%u", i);
		n += nofit_has(&t, name, 20);
	}
	ASSERT_EQ(NOFIT_MAX - 1, n);
	/* An expired slot is taken before any live one. */
	nofit_add(&t, "v3", 0, 5);
	nofit_add(&t, "late", 30, 1000);
	ASSERT_FALSE(nofit_has(&t, "v3", 30));
	ASSERT_TRUE(nofit_has(&t, "v4", 30));
	ASSERT_TRUE(nofit_has(&t, "late", 30));
}

TEST_HARNESS_MAIN
