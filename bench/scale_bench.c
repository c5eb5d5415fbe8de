// SPDX-License-Identifier: GPL-2.0
/*
 * Does serving a chunk cost the same whatever the size of the cache?
 *
 * The cache is filled step by step with sealed videos of --video-mb MiB
 * (256 MiB, then doubling, then as much as fits: --max-mb, by default
 * MemTotal less 1 GiB for the rest of the system, in whole 256 MiB). At
 * each step, --chunks requests each pick a random video and a random
 * page-aligned 20 MiB window in it and serve it the way a server would:
 *   open+splice  open /dev/vcache, VCACHE_IOC_OPEN by name, splice(2) the
 *                chunk into a pipe drained into /dev/null, close
 *   open+pread   the same with pread(2) into a buffer (a copy)
 *   open         open, VCACHE_IOC_OPEN by name, close: the name lookup
 *   memcpy       a control that does not involve the cache: memcpy(3) of
 *                20 MiB between two buffers of the bench's own
 * the methods taking turns request by request. The steps run one after the
 * other, so a change in the machine's speed (other jobs on the host of a
 * VM) would look like a cache effect: the control tells, and the ratios
 * are also given relative to it. Pages the kernel scanned for reclaim
 * during each step (/proc/vmstat pgscan_*) show memory pressure. A step's result is the
 * median per method. The cache's memory limit is raised to the largest
 * size first (the max_mb parameter); no video may be evicted meanwhile
 * (checked with VCACHE_IOC_STATS), or the step would measure eviction.
 *
 * Output: a Markdown table, "RATIO name value" lines (largest cache over
 * smallest, per method: flat is 1.0), and with --csv FILE the table as CSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vcache.h>

#define BENCH_NAME	"scale_bench"
#include "bench_util.h"

#define MiB		(1024 * 1024UL)
#define CHUNK		(20 * MiB)
#define MAX_STEPS	32
#define MAX_PARAM	"/sys/module/vcache/parameters/max_mb"

enum { M_SPLICE, M_PREAD, M_OPEN, M_MEMCPY, M_COUNT };
static const char * const method_names[M_COUNT] = {
	"open+splice", "open+pread", "open", "memcpy",
};
static uint8_t *copy_src;

static struct null_pipe np;
static volatile uint64_t sink;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static void video_name(char *name, unsigned int i)
{
	memset(name, 0, VCACHE_NAME_MAX);
	snprintf(name, VCACHE_NAME_MAX, "scale-bench-%u", i);
}

static void add_video(unsigned int i, size_t bytes, uint8_t *buf)
{
	char name[VCACHE_NAME_MAX];
	int fd;

	video_name(name, i);
	fd = create_video(name, bytes, 25);
	fill_and_seal(fd, bytes, buf, i);
	close(fd);
}

static int open_video(unsigned int i)
{
	struct vcache_open o;
	int fd = open("/dev/vcache", O_RDONLY);

	if (fd < 0)
		die("open /dev/vcache");
	memset(&o, 0, sizeof(o));
	video_name(o.name, i);
	if (ioctl(fd, VCACHE_IOC_OPEN, &o))
		die("VCACHE_IOC_OPEN (was the video evicted?)");
	return fd;
}

/* One request by method @m for a chunk of video @v at @off; ns. */
static double request(int m, unsigned int v, off_t off, uint8_t *buf)
{
	double t0 = now_ns();
	int fd;

	if (m == M_MEMCPY) {
		memcpy(buf, copy_src + off % (CHUNK / 2), CHUNK / 2);
		memcpy(buf + CHUNK / 2, copy_src, CHUNK / 2);
		sink += buf[CHUNK - 1];
		return now_ns() - t0;
	}
	fd = open_video(v);
	switch (m) {
	case M_SPLICE:
		splice_to_null(&np, fd, off, CHUNK, "/dev/vcache");
		break;
	case M_PREAD:
		if (pread(fd, buf, CHUNK, off) != (ssize_t)CHUNK)
			die("pread");
		/* The pattern says which video and MiB the bytes are from. */
		if (buf[0] != (uint8_t)(v + off / MiB)) {
			fprintf(stderr, "scale_bench: video %u at %lld: wrong bytes\n",
				v, (long long)off);
			exit(1);
		}
		sink += buf[CHUNK - 1];
		break;
	}
	close(fd);
	return now_ns() - t0;
}

static struct vcache_stats stats(void)
{
	struct vcache_stats st;
	int fd = open("/dev/vcache", O_RDONLY);

	if (fd < 0 || ioctl(fd, VCACHE_IOC_STATS, &st))
		die("VCACHE_IOC_STATS");
	close(fd);
	return st;
}

/* Pages scanned for reclaim so far (kswapd and direct). */
static unsigned long long pgscan(void)
{
	FILE *f = fopen("/proc/vmstat", "r");
	unsigned long long total = 0, v;
	char name[64];

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		if (!strncmp(name, "pgscan_", 7) && strcmp(name, "pgscan_anon") &&
		    strcmp(name, "pgscan_file"))
			total += v;
	fclose(f);
	return total;
}

static unsigned long mem_total_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long kb = 0;
	char line[256];

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

int main(int argc, char **argv)
{
	unsigned long max_mb = 0, video_mb = 64, steps[MAX_STEPS], mb;
	double med[MAX_STEPS][M_COUNT], *samples[M_COUNT];
	unsigned long long scanned[MAX_STEPS];
	int chunks = 30, nsteps = 0, i, m, k;
	unsigned int videos = 0;
	const char *csv = NULL;
	uint64_t evicted0;
	uint8_t *buf;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max-mb") && i + 1 < argc)
			max_mb = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--video-mb") && i + 1 < argc)
			video_mb = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--chunks") && i + 1 < argc)
			chunks = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else {
			fprintf(stderr, "usage: scale_bench [--max-mb N] [--video-mb N] [--chunks K] [--csv FILE]\n");
			return 2;
		}
	}
	if (!max_mb)
		max_mb = mem_total_mb() > 1024 + 256 ? (mem_total_mb() - 1024) / 256 * 256 : 256;
	if (video_mb * MiB < 2 * CHUNK || max_mb < 256 || chunks < 1 || max_mb % video_mb) {
		fprintf(stderr, "scale_bench: need --video-mb >= 40 dividing --max-mb >= 256, --chunks >= 1\n");
		return 2;
	}
	for (mb = 256; mb < max_mb && nsteps < MAX_STEPS - 1; mb *= 2)
		if (mb % video_mb == 0)
			steps[nsteps++] = mb;
	steps[nsteps++] = max_mb;

	/*
	 * Room for the largest step besides what others keep in the cache,
	 * and a little slack.
	 */
	f = fopen(MAX_PARAM, "w");
	if (!f || fprintf(f, "%llu\n", max_mb + 64 +
			  (unsigned long long)stats().mem_used / MiB) < 0 || fclose(f))
		die("raising " MAX_PARAM);

	if (null_pipe_open(&np))
		die("pipe");
	buf = malloc(CHUNK);
	copy_src = malloc(CHUNK);
	if (!copy_src)
		die("malloc");
	memset(copy_src, 7, CHUNK);
	for (m = 0; m < M_COUNT; m++)
		samples[m] = calloc(chunks, sizeof(double));
	if (np.null_fd < 0 || !buf || !samples[M_COUNT - 1] || (ssize_t)np.size <= 0)
		die("setup");
	evicted0 = stats().evictions;

	for (i = 0; i < nsteps; i++) {
		double t0 = now_ns();

		while (videos * video_mb < steps[i])
			add_video(videos++, video_mb * MiB, buf);
		fprintf(stderr, "scale_bench: %lu MiB in %u videos (loading took %.1f s)\n",
			steps[i], videos, (now_ns() - t0) / 1e9);
		scanned[i] = pgscan();
		for (k = 0; k < chunks; k++) {
			unsigned int v = xorshift64(&rng_state) % videos;
			off_t off = (xorshift64(&rng_state) %
				     ((video_mb * MiB - CHUNK) / MiB + 1)) * MiB;

			for (m = 0; m < M_COUNT; m++)
				samples[m][k] = request(m, v, off, buf);
		}
		scanned[i] = pgscan() - scanned[i];
		for (m = 0; m < M_COUNT; m++)
			med[i][m] = median_sort(samples[m], chunks);
		if (stats().evictions != evicted0) {
			fprintf(stderr, "scale_bench: videos were evicted at %lu MiB\n", steps[i]);
			return 1;
		}
	}

	printf("| cache | videos | %s | %s | %s | %s (control) | splice/memcpy | pages scanned |\n",
	       method_names[0], method_names[1], method_names[2], method_names[3]);
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < nsteps; i++)
		printf("| %lu MiB | %lu | %.3f ms | %.3f ms | %.1f us | %.3f ms | %.3f | %llu |\n",
		       steps[i], steps[i] / video_mb, med[i][M_SPLICE] / 1e6,
		       med[i][M_PREAD] / 1e6, med[i][M_OPEN] / 1e3, med[i][M_MEMCPY] / 1e6,
		       med[i][M_SPLICE] / med[i][M_MEMCPY], scanned[i]);
	printf("\n20 MiB chunks at random videos and offsets, median of %d per step;"
	       " videos of %lu MiB; no evictions\n", chunks, video_mb);
	if (csv) {
		f = fopen(csv, "w");
		if (!f)
			die(csv);
		fprintf(f, "cache_mb,videos,splice_ns,pread_ns,open_ns,memcpy_ns,pgscan\n");
		for (i = 0; i < nsteps; i++)
			fprintf(f, "%lu,%lu,%.0f,%.0f,%.0f,%.0f,%llu\n", steps[i],
				steps[i] / video_mb, med[i][M_SPLICE], med[i][M_PREAD],
				med[i][M_OPEN], med[i][M_MEMCPY], scanned[i]);
		fclose(f);
	}
	printf("RATIO scale_splice_largest_over_smallest %.2f (%lu MiB vs %lu MiB)\n",
	       med[nsteps - 1][M_SPLICE] / med[0][M_SPLICE], steps[nsteps - 1], steps[0]);
	printf("RATIO scale_pread_largest_over_smallest %.2f\n",
	       med[nsteps - 1][M_PREAD] / med[0][M_PREAD]);
	printf("RATIO scale_open_largest_over_smallest %.2f\n",
	       med[nsteps - 1][M_OPEN] / med[0][M_OPEN]);
	printf("RATIO scale_memcpy_control_largest_over_smallest %.2f\n",
	       med[nsteps - 1][M_MEMCPY] / med[0][M_MEMCPY]);
	printf("RATIO scale_splice_per_memcpy_largest_over_smallest %.2f\n",
	       (med[nsteps - 1][M_SPLICE] / med[nsteps - 1][M_MEMCPY]) /
	       (med[0][M_SPLICE] / med[0][M_MEMCPY]));

	for (i = 0; i < (int)videos; i++) {
		struct vcache_delete d;
		int fd = open("/dev/vcache", O_RDWR);

		memset(&d, 0, sizeof(d));
		video_name(d.name, i);
		if (fd >= 0) {
			ioctl(fd, VCACHE_IOC_DELETE, &d);
			close(fd);
		}
	}
	return 0;
}
