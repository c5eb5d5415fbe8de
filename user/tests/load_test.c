// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of user/lib/load.c's pure part: how a file is cut into reads
 * (O_DIRECT chunks, the buffered tail), and the bookkeeping that maps and
 * retires windows, publishes only bytes that were read, and copes with
 * reads completing out of order, short reads, a file that shrank, a switch
 * from O_DIRECT to buffered, and a stop. The I/O itself needs the module:
 * selftests/vcache/load_test.c. load_read_head() runs here, on real files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aio.h"
#include "load.h"
#include "kselftest_harness.h"

#define KiB 1024ULL
#define MiB LOAD_MiB

static const uint64_t sizes[] = {
	0, 1, 511, 512, 513, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1,
	8 * MiB - 1, 8 * MiB, 8 * MiB + 3, 20 * MiB + 3, 33 * MiB + 4097,
};
static const uint64_t aligns[] = { 0, 512, 4096 };

#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define NALIGNS (sizeof(aligns) / sizeof(aligns[0]))

TEST(plan_rejects_bad_geometry)
{
	struct load_plan p;

	EXPECT_EQ(-EINVAL, load_plan_init(&p, 10, 0, MiB, 0));
	EXPECT_EQ(-EINVAL, load_plan_init(&p, 10, MiB, 0, 0));
	EXPECT_EQ(-EINVAL, load_plan_init(&p, 10, MiB, MiB + 1, 0));
	EXPECT_EQ(-EINVAL, load_plan_init(&p, 10, MiB, 8 * MiB, 3 * 512));
	EXPECT_EQ(-EINVAL, load_plan_init(&p, 10, 4096, 8 * MiB, 8192));
	EXPECT_EQ(0, load_plan_init(&p, 10, MiB, 8 * MiB, 512));
}

/* Reads tile [0, total): O_DIRECT ones aligned, one short buffered tail. */
TEST(plan_tiles_the_file)
{
	unsigned int i, j;

	for (i = 0; i < NSIZES; i++) {
		for (j = 0; j < NALIGNS; j++) {
			uint64_t total = sizes[i], align = aligns[j], off = 0, k, buffered = 0;
			struct load_plan p;
			struct load_chunk c;

			ASSERT_EQ(0, load_plan_init(&p, total, LOAD_CHUNK, LOAD_WINDOW, align));
			EXPECT_EQ(align ? total / align * align : 0, p.direct_end);
			for (k = 0; k < p.nchunks; k++) {
				load_plan_chunk(&p, k, &c);
				ASSERT_EQ(off, c.off) TH_LOG("total %llu align %llu read %llu",
					(unsigned long long)total, (unsigned long long)align,
					(unsigned long long)k);
				ASSERT_GT(c.len, 0);
				ASSERT_LE(c.len, LOAD_CHUNK);
				/* Never across a window: one mapping holds it. */
				ASSERT_EQ(c.off / LOAD_WINDOW, (c.off + c.len - 1) / LOAD_WINDOW);
				EXPECT_EQ(c.off / LOAD_WINDOW, c.win);
				EXPECT_EQ(c.off % LOAD_WINDOW == 0, c.map_first);
				if (c.direct) {
					ASSERT_NE(0, align);
					EXPECT_EQ(0, c.off % align);
					EXPECT_EQ(0, c.len % align);
					EXPECT_EQ(0, buffered) TH_LOG("direct after the tail");
				} else {
					buffered++;
					if (align) {
						EXPECT_LT(c.len, align);
					}
				}
				off += c.len;
			}
			EXPECT_EQ(total, off);
			/* Buffered: every read; O_DIRECT: at most the tail. */
			if (align) {
				EXPECT_EQ(total % align != 0, buffered);
			} else {
				EXPECT_EQ(p.nchunks, buffered);
			}
		}
	}
}

/* A cheap, repeatable shuffle. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct sim {
	uint64_t file_size;	/* what the "file" holds when read */
	int einval_direct;	/* fail this many O_DIRECT reads with EINVAL */
	uint64_t stop_after;	/* stop after this many completions (0: never) */
	uint64_t seed;
	/* out */
	uint64_t committed, commits, reads, rests, direct_reads, max_mapped;
	bool mapped_ok, commit_ok, window_ok;
};

#define SIM_MAX 64
#define SIM_BYTES (40 * MiB)

/*
 * Drives a tracker as load_file() does, completing reads in a random
 * order, and checks every commit against the bytes read so far.
 */
static void simulate(struct __test_metadata *_metadata, struct sim *s,
		     uint64_t total, uint64_t align)
{
	static uint8_t have[SIM_BYTES];	/* a byte was read */
	struct load_chunk fly[SIM_MAX];
	bool mapped[SIM_MAX] = { 0 };
	unsigned int nfly = 0, nmapped = 0;
	uint64_t done = 0, win, commit, i;
	struct load_track t;
	struct load_plan p;
	int guard = 0;

	ASSERT_LE(total, SIM_BYTES);
	memset(have, 0, total);
	s->mapped_ok = s->commit_ok = s->window_ok = true;
	ASSERT_EQ(0, load_plan_init(&p, total, LOAD_CHUNK, LOAD_WINDOW, align));
	load_track_init(&t, &p, LOAD_DEPTH);
	for (;;) {
		ASSERT_LT(guard++, 100000);
		while (load_track_finished(&t, &win, &commit)) {
			ASSERT_LT(win, SIM_MAX);
			if (!mapped[win])
				s->mapped_ok = false;
			mapped[win] = false;
			nmapped--;
			if (commit > t.committed) {
				s->commits++;
				for (i = 0; i < commit; i++)
					if (!have[i])
						s->commit_ok = false;
			}
			if (commit < t.committed)
				s->commit_ok = false;
			load_track_retire(&t, commit);
		}
		if (load_track_over(&t))
			break;
		if (s->stop_after && done >= s->stop_after)
			t.stopped = true;
		while (nfly < SIM_MAX && load_track_next(&t, &fly[nfly])) {
			struct load_chunk *c = &fly[nfly++];

			if (c->map_first) {
				ASSERT_FALSE(mapped[c->win]);
				mapped[c->win] = true;
				nmapped++;
				if (nmapped > s->max_mapped)
					s->max_mapped = nmapped;
			}
			if (!mapped[c->win])
				s->window_ok = false;
		}
		ASSERT_LE(t.in_flight, LOAD_DEPTH);
		ASSERT_LE(nmapped, LOAD_WINDOWS);
		if (!nfly)
			continue;
		/* Complete one read in flight, at random. */
		i = rnd(&s->seed) % nfly;
		{
			struct load_chunk c = fly[i];
			uint64_t got;

			fly[i] = fly[--nfly];
			s->reads++;
			s->direct_reads += c.direct;
			if (c.direct && s->einval_direct > 0) {
				s->einval_direct--;
				load_track_no_direct(&t);
				c.direct = false;
				fly[nfly++] = c;	/* again, buffered */
				continue;
			}
			got = c.off >= s->file_size ? 0 : c.off + c.len > s->file_size ?
			      s->file_size - c.off : c.len;
			/* Now and then a short read, as a signal might make. */
			if (got > 1 && !(rnd(&s->seed) % 7))
				got /= 2;
			memset(have + c.off, 1, got);
			done++;
			if (load_track_done(&t, &c, got)) {
				s->rests++;
				ASSERT_FALSE(c.direct);
				fly[nfly++] = c;
			}
		}
	}
	EXPECT_EQ(0, t.in_flight);
	EXPECT_EQ(0, nmapped);
	s->committed = t.committed;
}

TEST(track_reads_out_of_order)
{
	unsigned int i, j;

	for (i = 0; i < NSIZES; i++) {
		for (j = 0; j < NALIGNS; j++) {
			struct sim s = { .file_size = sizes[i], .seed = 88172645463325252ULL + i };

			simulate(_metadata, &s, sizes[i], aligns[j]);
			EXPECT_EQ(sizes[i], s.committed) TH_LOG("total %llu align %llu",
				(unsigned long long)sizes[i], (unsigned long long)aligns[j]);
			EXPECT_TRUE(s.commit_ok);
			EXPECT_TRUE(s.mapped_ok);
			EXPECT_TRUE(s.window_ok);
			EXPECT_LE(s.max_mapped, LOAD_WINDOWS);
			/* A commit per window, no more. */
			EXPECT_LE(s.commits, (sizes[i] + LOAD_WINDOW - 1) / LOAD_WINDOW);
			if (aligns[j] && sizes[i] >= aligns[j]) {
				EXPECT_GT(s.direct_reads, 0);
			}
		}
	}
}

/* Reads run on into the next window while the last ones of one are out. */
TEST(track_two_windows_in_flight)
{
	struct load_plan p;
	struct load_track t;
	struct load_chunk c[LOAD_DEPTH + 1];
	unsigned int n = 0;

	ASSERT_EQ(0, load_plan_init(&p, 40 * MiB, LOAD_CHUNK, LOAD_WINDOW, 512));
	load_track_init(&t, &p, LOAD_DEPTH);
	while (load_track_next(&t, &c[n]))
		n++;
	ASSERT_EQ(LOAD_DEPTH, n);
	/* The first seven done: the eighth holds window 0 open. */
	for (n = 0; n < LOAD_DEPTH - 1; n++)
		EXPECT_FALSE(load_track_done(&t, &c[n], c[n].len));
	EXPECT_FALSE(load_track_finished(&t, &(uint64_t){ 0 }, &(uint64_t){ 0 }));
	for (n = 0; n < LOAD_DEPTH - 1; n++) {
		ASSERT_TRUE(load_track_next(&t, &c[n]));
		EXPECT_EQ(1, c[n].win);
		EXPECT_EQ(n == 0, c[n].map_first);
	}
	/* A third window must wait for the first to retire. */
	EXPECT_FALSE(load_track_next(&t, &c[LOAD_DEPTH]));
}

/* The file shrank after its fstat(): the video is what it holds now. */
TEST(track_file_shrank)
{
	static const uint64_t now[] = { 0, 1, 4095, 5 * MiB + 7, 8 * MiB, 9 * MiB + 1 };
	unsigned int i;

	for (i = 0; i < sizeof(now) / sizeof(now[0]); i++) {
		struct sim s = { .file_size = now[i], .seed = 0x9e3779b97f4a7c15ULL + i };

		simulate(_metadata, &s, 20 * MiB + 3, 512);
		EXPECT_EQ(now[i], s.committed) TH_LOG("file now %llu", (unsigned long long)now[i]);
		EXPECT_TRUE(s.commit_ok);
		EXPECT_TRUE(s.mapped_ok);
	}
}

/* O_DIRECT refused at the first reads: the rest goes buffered, all of it. */
TEST(track_direct_refused)
{
	struct sim s = { .file_size = 20 * MiB + 3, .einval_direct = 3, .seed = 7 };

	simulate(_metadata, &s, 20 * MiB + 3, 4096);
	EXPECT_EQ(20 * MiB + 3, s.committed);
	EXPECT_TRUE(s.commit_ok);
	/* Only what was in flight when the first EINVAL came went direct. */
	EXPECT_LE(s.direct_reads, LOAD_DEPTH);
}

/* A stop hands out nothing more, publishes nothing more, and drains. */
TEST(track_stop)
{
	struct sim s = { .file_size = 30 * MiB, .stop_after = 12, .seed = 99 };

	simulate(_metadata, &s, 30 * MiB, 512);
	EXPECT_LT(s.committed, 30 * MiB);
	EXPECT_TRUE(s.commit_ok);
	EXPECT_TRUE(s.mapped_ok);
	EXPECT_LE(s.reads, 12 + 2 * LOAD_DEPTH + 8);
}

static int temp_file(char *path, size_t size, uint64_t len)
{
	uint8_t buf[4096];
	uint64_t off = 0;
	int fd;

	snprintf(path, size, "/tmp/load-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf), i;

		for (i = 0; i < n; i++)
			buf[i] = (off + i) * 131 + ((off + i) >> 9);
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
		off += n;
	}
	return fd;
}

TEST(read_head)
{
	static const uint64_t lens[] = { 0, 5, 4096, 4 * MiB + 1 };
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint64_t want = 4 * MiB, got = 1234, k;
		char path[64];
		uint8_t *buf = malloc(want);
		int fd = temp_file(path, sizeof(path), lens[i]);

		ASSERT_NE(NULL, buf);
		ASSERT_LE(0, fd);
		unlink(path);
		EXPECT_EQ(0, load_read_head(fd, buf, want, &got));
		EXPECT_EQ(lens[i] < want ? lens[i] : want, got);
		for (k = 0; k < got; k++)
			if (buf[k] != (uint8_t)(k * 131 + (k >> 9)))
				break;
		EXPECT_EQ(got, k);
		close(fd);
		free(buf);
	}
	/* Not open for reading: the error, not a short head. */
	{
		uint64_t got;
		char c;
		int fd = open("/dev/null", O_WRONLY);

		EXPECT_EQ(-EBADF, load_read_head(fd, &c, 1, &got));
		close(fd);
	}
}

TEST_HARNESS_MAIN
