/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real test media (scripts/make-test-media, into build/media), for the
 * unit tests that check code against ffmpeg's output. Included after
 * kselftest_harness.h; VCACHE_ROOT is the tree (tests run from its root).
 */
#ifndef VCACHE_TEST_MEDIA_H
#define VCACHE_TEST_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#ifndef VCACHE_ROOT
#define VCACHE_ROOT "."
#endif

/* A whole file in memory (free() it), or NULL. */
static inline uint8_t *media_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d = NULL;
	long n = -1;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END))
		n = ftell(f);
	if (n >= 0 && !fseek(f, 0, SEEK_SET)) {
		d = malloc(n ? n : 1);
		if (d && fread(d, 1, n, f) != (size_t)n) {
			free(d);
			d = NULL;
		}
		*len = n;
	}
	fclose(f);
	return d;
}

/* Builds the media on first use; false if the tools are missing. */
static inline bool media_dir(struct __test_metadata *_metadata, char *dir, size_t n)
{
	char cmd[2048];
	int rc;

	snprintf(dir, n, "%s/build/media", VCACHE_ROOT);
	snprintf(cmd, sizeof(cmd), "'%s/scripts/make-test-media' '%s'",
		 VCACHE_ROOT, dir);
	rc = system(cmd);
	if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
		return false;
	EXPECT_EQ(0, rc) TH_LOG("%s failed", cmd);
	return rc == 0;
}

/*
 * In a test body: loads build/media/NAME.ts into *@d (length *@len), the
 * media directory into @dir; skips the test (or fails it, if making the
 * media failed) when that is not possible. @path is scratch of @dir's size
 * plus a name.
 */
#define MEDIA_LOAD_TS(dir, path, name, d, len) do {				\
	if (!media_dir(_metadata, dir, sizeof(dir))) {				\
		if (!_metadata->exit_code)					\
			SKIP(return, "no ffmpeg/ffprobe/libx264 to make test media"); \
		return;								\
	}									\
	snprintf(path, sizeof(path), "%s/%s.ts", dir, name);			\
	d = media_load(path, len);						\
	if (!d)									\
		SKIP(return, "%s.ts was not made (encoder missing?)", name);	\
} while (0)

#endif /* VCACHE_TEST_MEDIA_H */
