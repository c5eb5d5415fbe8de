// SPDX-License-Identifier: GPL-2.0
/*
 * Timecode lookup cost against index size: is VCACHE_IOC_LOOKUP O(log n)?
 *
 * For each index size n (1e3 to 1e6 by half decades by default) a sealed
 * video at 25 fps gets n index entries, all keyframes (the kernel searches
 * its keyframe array, so n keyframes is the worst case for n entries),
 * through VCACHE_IOC_INDEX_APPEND in batches. Then rounds of --lookups
 * TIMECODE lookups of random labels inside the video are timed, the sizes
 * taking turns within each short round so that they share machine conditions;
 * a size's result is the median over --rounds rounds of the mean ns per
 * ioctl. The floor is the same ioctl on a video without an index (it fails
 * with ENODATA after the argument checks): syscall and copy-in/out cost, so
 * ns - floor is the search itself. "hot" repeats the same 16 labels over
 * and over, so that the index lines the search touches stay in the CPU's
 * caches: its growth is the number of search steps alone, where "random"
 * also pays a cache (and, under QEMU TCG, soft-TLB) miss per step once the
 * index outgrows them.
 *
 * Every lookup's answer is checked: with every frame a keyframe, the
 * keyframe for frame f is f, at the byte offset the bench appended for it.
 *
 * Output: a Markdown table, the least-squares slope of ns against log2(n),
 * "RATIO name value" lines, and with --csv FILE the table as CSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vcache.h>

#define BENCH_NAME	"lookup_bench"
#include "bench_util.h"

#define FPS		25
#define TICKS		(90000 / FPS)
#define VIDEO_BYTES	(4u << 20)
#define MAX_SIZES	16

struct size_run {
	uint32_t n;
	int fd;
	double *rounds;		/* mean ns per lookup, one a round */
	double *hot_rounds;	/* the same, 16 labels over and over */
	double median, hot;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t entry_offset(uint64_t i, uint32_t n)
{
	return i * (VIDEO_BYTES - 1) / n;
}

/* A sealed video of VIDEO_BYTES with @n keyframe entries (none if 0). */
static int make_video(uint32_t n)
{
	struct vcache_index_entry *e;
	char name[VCACHE_NAME_MAX], *buf;
	uint32_t i, at;
	int fd;

	snprintf(name, sizeof(name), "lookup-bench-%u", n);
	fd = create_video(name, VIDEO_BYTES, FPS);
	buf = calloc(1, VIDEO_BYTES);
	e = calloc(VCACHE_INDEX_BATCH_MAX, sizeof(*e));
	if (!buf || !e)
		die("calloc");
	if (pwrite(fd, buf, VIDEO_BYTES, 0) != VIDEO_BYTES)
		die("pwrite");
	for (at = 0; at < n; ) {
		struct vcache_index_append a;
		uint32_t batch = n - at < VCACHE_INDEX_BATCH_MAX ?
				 n - at : VCACHE_INDEX_BATCH_MAX;

		for (i = 0; i < batch; i++) {
			e[i].pts = (uint64_t)(at + i) * TICKS;
			e[i].offset = entry_offset(at + i, n);
			e[i].flags = VCACHE_INDEX_KEY;
		}
		memset(&a, 0, sizeof(a));
		a.entries = (uintptr_t)e;
		a.count = batch;
		if (ioctl(fd, VCACHE_IOC_INDEX_APPEND, &a))
			die("VCACHE_IOC_INDEX_APPEND");
		at += batch;
	}
	if (ioctl(fd, VCACHE_IOC_SEAL, 0))
		die("VCACHE_IOC_SEAL");
	free(buf);
	free(e);
	return fd;
}

static void frame_to_tc(uint64_t f, struct vcache_timecode *tc)
{
	tc->ff = f % FPS;
	f /= FPS;
	tc->ss = f % 60;
	f /= 60;
	tc->mm = f % 60;
	tc->hh = f / 60;
}

/*
 * Mean ns of @k lookups in a video of @n frames, answers checked: random
 * frames, or with @hot the same 16 over and over.
 */
static double time_lookups(int fd, uint32_t n, int k, int hot)
{
	struct vcache_lookup *req = calloc(k, sizeof(*req));
	uint64_t *want = calloc(k, sizeof(*want));
	double t0, t;
	int i;

	if (!req || !want)
		die("calloc");
	for (i = 0; i < k; i++) {
		want[i] = !n ? 0 : hot && i >= 16 ? want[i - 16] : xorshift64(&rng_state) % n;
		req[i].mode = VCACHE_LOOKUP_TIMECODE;
		frame_to_tc(want[i], &req[i].tc);
	}
	t0 = now_ns();
	for (i = 0; i < k; i++) {
		int r = ioctl(fd, VCACHE_IOC_LOOKUP, &req[i]);

		if (n && r)
			die("VCACHE_IOC_LOOKUP");
		if (!n && (r != -1 || errno != ENODATA))
			die("VCACHE_IOC_LOOKUP without an index: want ENODATA");
	}
	t = now_ns() - t0;
	for (i = 0; n && i < k; i++)
		if (req[i].key_frame != want[i] ||
		    req[i].key_offset != entry_offset(want[i], n)) {
			fprintf(stderr, "lookup_bench: n=%u frame %llu: got keyframe %llu at %llu\n",
				n, (unsigned long long)want[i],
				(unsigned long long)req[i].key_frame,
				(unsigned long long)req[i].key_offset);
			exit(1);
		}
	free(req);
	free(want);
	return t / k;
}

static void usage(void)
{
	fprintf(stderr, "usage: lookup_bench [--sizes N,N,...] [--lookups K] [--rounds R] [--csv FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const uint32_t default_sizes[] = {
		1000, 3162, 10000, 31623, 100000, 316228, 1000000,
	};
	struct size_run s[MAX_SIZES + 1];
	int ns = 0, lookups = 1000, rounds = 61, i, j, r;
	const char *csv = NULL;
	double floor_ns, sx = 0, sy = 0, sxx = 0, sxy = 0, slope, icept;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			char *p = argv[++i], *end;

			while (*p) {
				unsigned long v = strtoul(p, &end, 10);

				if (end == p || !v || v > VCACHE_INDEX_MAX || ns == MAX_SIZES)
					usage();
				s[ns++].n = v;
				p = *end == ',' ? end + 1 : end;
				if (*end && *end != ',')
					usage();
			}
		} else if (!strcmp(argv[i], "--lookups") && i + 1 < argc) {
			lookups = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
			csv = argv[++i];
		} else {
			usage();
		}
	}
	if (lookups < 1 || rounds < 1)
		usage();
	if (!ns)
		for (ns = 0; ns < (int)(sizeof(default_sizes) / sizeof(*default_sizes)); ns++)
			s[ns].n = default_sizes[ns];
	/* Entry @ns is the floor: a video without an index. */
	s[ns].n = 0;
	for (i = 0; i <= ns; i++) {
		s[i].fd = make_video(s[i].n);
		s[i].rounds = calloc(rounds, sizeof(double));
		s[i].hot_rounds = calloc(rounds, sizeof(double));
		if (!s[i].rounds || !s[i].hot_rounds)
			die("calloc");
	}
	/* Warm up: the first touches of a big index fault in nothing, but
	 * the caches and TLB start cold.
	 */
	for (i = 0; i <= ns; i++)
		time_lookups(s[i].fd, s[i].n, lookups / 10 + 1, 0);
	/*
	 * Short rounds, the sizes in turn, forward then backward: drifts of
	 * the machine's speed (other guests, other jobs on the host) hit every
	 * size alike.
	 */
	for (r = 0; r < rounds; r++)
		for (j = 0; j <= ns; j++) {
			i = r % 2 ? ns - j : j;
			s[i].rounds[r] = time_lookups(s[i].fd, s[i].n, lookups, 0);
			s[i].hot_rounds[r] = time_lookups(s[i].fd, s[i].n, lookups, 1);
		}
	for (i = 0; i <= ns; i++) {
		s[i].median = median_sort(s[i].rounds, rounds);
		s[i].hot = median_sort(s[i].hot_rounds, rounds);
	}
	floor_ns = s[ns].median;

	for (i = 0; i < ns; i++) {
		double x = log2(s[i].n), y = s[i].median;

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	slope = ns > 1 ? (ns * sxy - sx * sy) / (ns * sxx - sx * sx) : 0;
	icept = (sy - slope * sx) / ns;

	printf("| index entries | log2 n | ns per LOOKUP | minus floor | fit a + b log2 n | hot | hot minus floor |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < ns; i++)
		printf("| %u | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", s[i].n,
		       log2(s[i].n), s[i].median, s[i].median - floor_ns,
		       icept + slope * log2(s[i].n), s[i].hot, s[i].hot - floor_ns);
	printf("\nfloor (LOOKUP on a video without an index, ENODATA): %.0f ns (hot: %.0f ns)\n",
	       floor_ns, s[ns].hot);
	printf("%d random TIMECODE lookups a size a round, median of %d rounds;"
	       " fit: %.0f ns + %.1f ns x log2(n)\n", lookups, rounds, icept, slope);
	if (csv) {
		FILE *f = fopen(csv, "w");

		if (!f)
			die(csv);
		fprintf(f, "entries,log2_entries,ns_per_lookup,floor_ns,fit_ns,hot_ns\n");
		for (i = 0; i < ns; i++)
			fprintf(f, "%u,%.3f,%.1f,%.1f,%.1f,%.1f\n", s[i].n, log2(s[i].n),
				s[i].median, floor_ns, icept + slope * log2(s[i].n),
				s[i].hot);
		fclose(f);
	}
	/*
	 * O(log n) says: going from the smallest index to the largest costs
	 * the search (ns - floor) log2(max)/log2(min) times as much, where a
	 * linear search would cost max/min times as much.
	 */
	printf("RATIO lookup_largest_over_smallest %.2f\n", s[ns - 1].median / s[0].median);
	printf("RATIO lookup_search_largest_over_smallest %.2f (log ratio %.2f, linear %.0f)\n",
	       (s[ns - 1].median - floor_ns) / (s[0].median - floor_ns),
	       log2(s[ns - 1].n) / log2(s[0].n), (double)s[ns - 1].n / s[0].n);
	printf("RATIO lookup_hot_search_largest_over_smallest %.2f\n",
	       (s[ns - 1].hot - s[ns].hot) / (s[0].hot - s[ns].hot));
	printf("RATIO lookup_ns_per_doubling %.1f\n", slope);
	for (i = 0; i <= ns; i++) {
		struct vcache_delete d;

		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "lookup-bench-%u", s[i].n);
		ioctl(s[i].fd, VCACHE_IOC_DELETE, &d);
		close(s[i].fd);
		free(s[i].rounds);
		free(s[i].hot_rounds);
	}
	return 0;
}
