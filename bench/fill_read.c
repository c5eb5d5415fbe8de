// SPDX-License-Identifier: GPL-2.0
/*
 * fill_read: the plain way to fill a vcache video from a file, for
 * bench/fill-bench.sh to set against the streamer's fill (kernel AIO,
 * O_DIRECT, user/lib/load.c): one blocking, buffered read(2) after another,
 * through the page cache, straight into a writable mapping of the video (so
 * one copy, page cache to video, as the fill's one DMA or copy into it), a
 * COMMIT per window, SEAL at the end. No kernel AIO, no O_DIRECT, no
 * indexing (the streamer's fill indexes keyframes as it goes: with a file
 * that is no MPEG-TS, as the bench's, that is a scan for sync bytes).
 *
 * usage: fill_read FILE NAME
 *   Creates video NAME (deleting one left by an earlier run) with the
 *   file's size as capacity, fills it and seals it. Prints one line:
 *   bytes=B secs=S reads=R commits=C utime=U stime=S (its own CPU seconds,
 *   getrusage). Reads of 1 MiB (LOAD_CHUNK), windows of 8 MiB (LOAD_WINDOW),
 *   the streamer's sizes.
 */
#define BENCH_NAME "fill_read"
#include "bench_util.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define MiB		(1024 * 1024ULL)
#define READ_LEN	(1 * MiB)
#define WINDOW		(8 * MiB)

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	uint64_t size, off, reads = 0, commits = 0;
	struct vcache_commit cm;
	struct rusage ru;
	struct stat st;
	double t0, t1;
	int in, vfd;

	if (argc != 3) {
		fprintf(stderr, "usage: fill_read FILE NAME\n");
		return 2;
	}
	t0 = now_ns();
	in = open(argv[1], O_RDONLY);
	if (in < 0)
		die(argv[1]);
	if (fstat(in, &st))
		die("fstat");
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		fprintf(stderr, BENCH_NAME ": %s: not a regular file with data\n", argv[1]);
		return 1;
	}
	size = st.st_size;
	vfd = create_video(argv[2], size, 25);
	for (off = 0; off < size; off += WINDOW) {
		uint64_t len = size - off < WINDOW ? size - off : WINDOW, done = 0;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, off);

		if (m == MAP_FAILED)
			die("mmap the video");
		while (done < len) {
			uint64_t want = len - done < READ_LEN ? len - done : READ_LEN;
			ssize_t n = read(in, m + done, want);

			if (n < 0)
				die("read");
			if (n == 0) {
				fprintf(stderr, BENCH_NAME ": %s shrank while read\n", argv[1]);
				return 1;
			}
			reads++;
			done += n;
		}
		if (munmap(m, len))
			die("munmap");
		memset(&cm, 0, sizeof(cm));
		cm.size = off + len;
		if (ioctl(vfd, VCACHE_IOC_COMMIT, &cm))
			die("VCACHE_IOC_COMMIT");
		commits++;
	}
	if (ioctl(vfd, VCACHE_IOC_SEAL, 0))
		die("VCACHE_IOC_SEAL");
	t1 = now_ns();
	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage");
	printf("bytes=%llu secs=%.3f reads=%llu commits=%llu utime=%.3f stime=%.3f\n",
	       (unsigned long long)size, (t1 - t0) / 1e9, (unsigned long long)reads,
	       (unsigned long long)commits, tv_s(ru.ru_utime), tv_s(ru.ru_stime));
	close(vfd);
	close(in);
	return 0;
}
