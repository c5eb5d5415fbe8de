// SPDX-License-Identifier: GPL-2.0
/*
 * request_chunk(video, offset, 20 MiB) in C: how much
 * does handing out a 20 MiB chunk cost when it is copied (pread into a
 * buffer) versus when a pointer into a mapping is handed out?
 *
 * Methods, interleaved round-robin in one run so that they share machine
 * conditions; each result is the median of --reps runs:
 *   pread        pread(2) of the chunk into a user buffer (a copy)
 *   mmap-window  mmap(2) of the chunk's pages + munmap (no access)
 *   mmap-touch   mmap(2) of the chunk + read one byte a page + munmap
 *   pointer      pointer arithmetic into a mapping of the whole video
 *   splice       splice(2) of the chunk into a pipe, drained by splice(2)
 *                into /dev/null, a pipe's worth at a time (what a server
 *                does on its way to a socket; /dev/vcache hands the video's
 *                own pages to the pipe, tmpfs its page-cache pages)
 * for /dev/vcache and, when --tmpfs DIR is given, for a file on tmpfs.
 *
 * Output: a Markdown table, then lines "RATIO name value" for scripts;
 * --csv FILE also writes the medians as CSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vcache.h>

#define BENCH_NAME	"chunk_bench"
#include "bench_util.h"

#define MiB (1024 * 1024UL)

enum { M_PREAD, M_WINDOW, M_TOUCH, M_POINTER, M_SPLICE, M_COUNT };
static const char * const method_names[M_COUNT] = {
	"pread", "mmap-window", "mmap-touch", "pointer", "splice",
};

/* The pipe and /dev/null the splice method goes through. */
static struct null_pipe np = { .fd = { -1, -1 }, .null_fd = -1 };

struct target {
	const char *name;
	int fd;
	size_t len;
	uint8_t *whole;		/* mapping of everything, for "pointer" */
	double ns[M_COUNT];
};

static volatile uint64_t sink;

/* One chunk request by method @m at @off; returns elapsed ns. */
static double request_chunk(struct target *t, int m, off_t off, size_t chunk,
			    uint8_t *buf)
{
	long ps = sysconf(_SC_PAGESIZE);
	double t0 = now_ns();
	uint8_t *p;
	size_t i;

	switch (m) {
	case M_PREAD:
		if (pread(t->fd, buf, chunk, off) != (ssize_t)chunk)
			die("pread");
		sink += buf[chunk - 1];
		break;
	case M_WINDOW:
	case M_TOUCH:
		p = mmap(NULL, chunk, PROT_READ, MAP_SHARED, t->fd, off);
		if (p == MAP_FAILED)
			die("mmap");
		if (m == M_TOUCH)
			for (i = 0; i < chunk; i += ps)
				sink += p[i];
		munmap(p, chunk);
		break;
	case M_POINTER:
		p = t->whole + off;
		sink += (uintptr_t)p;
		break;
	case M_SPLICE:
		splice_to_null(&np, t->fd, off, chunk, "the source");
		break;
	}
	return now_ns() - t0;
}

static int open_vcache(const char *name, size_t len)
{
	uint8_t *buf = malloc(MiB);
	int fd;

	if (!buf)
		die("malloc");
	fd = create_video(name, len, 25);
	fill_and_seal(fd, len, buf, 0);
	free(buf);
	return fd;
}

static int open_tmpfs(const char *dir, size_t len)
{
	char path[4096];
	uint8_t *buf = malloc(MiB);
	size_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/chunk_bench.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf)
		die(path);
	unlink(path);
	for (off = 0; off < len; off += MiB) {
		memset(buf, (int)(off / MiB), MiB);
		if (pwrite(fd, buf, MiB, off) != MiB)
			die("pwrite tmpfs");
	}
	free(buf);
	return fd;
}

int main(int argc, char **argv)
{
	size_t video = 256 * MiB, chunk = 20 * MiB;
	const char *tmpfs = NULL, *csv = NULL;
	int reps = 15, i, r, m, nt = 1;
	struct target t[2] = { { .name = "/dev/vcache" }, { .name = "tmpfs file" } };
	double *samples;
	uint8_t *buf;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--video-mb") && i + 1 < argc)
			video = strtoul(argv[++i], NULL, 0) * MiB;
		else if (!strcmp(argv[i], "--tmpfs") && i + 1 < argc)
			tmpfs = argv[++i];
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else {
			fprintf(stderr, "usage: chunk_bench [--reps N] [--video-mb N] [--tmpfs DIR] [--csv FILE]\n");
			return 2;
		}
	}
	if (reps < 1 || video < 2 * chunk) {
		fprintf(stderr, "chunk_bench: need --reps >= 1 and --video-mb >= 40\n");
		return 2;
	}

	t[0].fd = open_vcache("chunk-bench", video);
	if (tmpfs) {
		t[1].fd = open_tmpfs(tmpfs, video);
		nt = 2;
	}
	buf = malloc(chunk);
	samples = calloc(reps, sizeof(*samples));
	if (!buf || !samples)
		die("malloc");
	memset(buf, 1, chunk);
	if (null_pipe_open(&np))
		die("pipe");
	if (np.null_fd < 0 || (ssize_t)np.size <= 0)
		die("/dev/null or F_GETPIPE_SZ");

	for (i = 0; i < nt; i++) {
		double s[M_COUNT][reps];

		t[i].len = video;
		t[i].whole = mmap(NULL, video, PROT_READ, MAP_SHARED | MAP_POPULATE,
				  t[i].fd, 0);
		if (t[i].whole == MAP_FAILED)
			die("mmap whole");
		/* Chunk offsets walk forward and back, as a seeking viewer does. */
		for (r = 0; r < reps; r++) {
			off_t off = ((r * 7) % (video / chunk - 1)) * chunk;

			for (m = 0; m < M_COUNT; m++)
				s[m][r] = request_chunk(&t[i], m, off, chunk, buf);
		}
		for (m = 0; m < M_COUNT; m++) {
			memcpy(samples, s[m], reps * sizeof(double));
			t[i].ns[m] = median_sort(samples, reps);
		}
	}

	printf("| source | %s | %s | %s | %s | %s |\n", method_names[0], method_names[1],
	       method_names[2], method_names[3], method_names[4]);
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < nt; i++)
		printf("| %s | %.3f ms | %.1f us | %.3f ms | %.0f ns | %.3f ms |\n", t[i].name,
		       t[i].ns[M_PREAD] / 1e6, t[i].ns[M_WINDOW] / 1e3,
		       t[i].ns[M_TOUCH] / 1e6, t[i].ns[M_POINTER],
		       t[i].ns[M_SPLICE] / 1e6);
	printf("\n20 MiB chunk, median of %d, video %zu MiB, pipe %zu KiB\n", reps,
	       video / MiB, np.size / 1024);
	if (csv) {
		FILE *f = fopen(csv, "w");

		if (!f)
			die(csv);
		fprintf(f, "source,method,median_ns\n");
		for (i = 0; i < nt; i++)
			for (m = 0; m < M_COUNT; m++)
				fprintf(f, "%s,%s,%.0f\n", t[i].name, method_names[m],
					t[i].ns[m]);
		fclose(f);
	}
	printf("RATIO vcache_pread_over_pointer %.0f\n",
	       t[0].ns[M_PREAD] / (t[0].ns[M_POINTER] > 0 ? t[0].ns[M_POINTER] : 1));
	printf("RATIO vcache_pread_over_mmap_window %.1f\n",
	       t[0].ns[M_PREAD] / t[0].ns[M_WINDOW]);
	printf("RATIO vcache_pread_over_mmap_touch %.2f\n",
	       t[0].ns[M_PREAD] / t[0].ns[M_TOUCH]);
	printf("RATIO vcache_pread_over_splice %.2f\n",
	       t[0].ns[M_PREAD] / t[0].ns[M_SPLICE]);
	if (nt == 2) {
		printf("RATIO tmpfs_pread_over_vcache_pread %.2f\n",
		       t[1].ns[M_PREAD] / t[0].ns[M_PREAD]);
		printf("RATIO tmpfs_splice_over_vcache_splice %.2f\n",
		       t[1].ns[M_SPLICE] / t[0].ns[M_SPLICE]);
	}
	return 0;
}
