// SPDX-License-Identifier: GPL-2.0
/*
 * The two halves of bench/reclaim-bench.sh that a shell cannot do well.
 *
 * reclaim_hog gen BYTES SEED
 *	Writes BYTES of pseudo-random data (xorshift64 from SEED) to stdout:
 *	the same incompressible bytes for every holder, made fast (in a TCG
 *	guest /dev/urandom costs more than the copy it feeds).
 *
 * reclaim_hog hog BYTES [TIMEOUT_S]
 *	Forks a child that maps BYTES of private anonymous memory (no huge
 *	pages: 4 KiB faults, the same work whoever gives the memory back) and
 *	writes one byte in every page, publishing its progress in a shared
 *	page. The child asks to be the OOM killer's first choice
 *	(oom_score_adj 1000), so a machine that cannot find the memory kills
 *	it, not the bench. The parent waits (pidfd + poll, up to TIMEOUT_S,
 *	default 300, then SIGKILL) and prints one line of key=value:
 *	result=completed|oom-killed|killed-SIGNAME|exit-N|timeout, secs (from
 *	fork to the last page touched; to the child's death when it did not
 *	get there), touched_mib, and the /proc/vmstat counters' deltas over
 *	the run (pgscan/pgsteal kswapd+direct, their file and anon parts,
 *	allocstalls, slabs_scanned (shrinkers' objects), compact_stall,
 *	pgmajfault, oom_kill: the last), and marks_s: the seconds at which
 *	each 64 MiB had been touched. oom-killed means killed by SIGKILL with
 *	oom_kill up; killed by our own timeout is "timeout".
 */
#define BENCH_NAME "reclaim_hog"
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "bench_util.h"

#define PAGE	4096UL
#define MIB	(1024UL * 1024)

static const char *const keys[] = {
	"pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
	"pgscan_file", "pgscan_anon", "pgsteal_file", "pgsteal_anon",
	"allocstall_normal", "allocstall_movable", "slabs_scanned",
	"compact_stall", "pgmajfault", "oom_kill",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void vmstat(unsigned long long *v)
{
	char name[128];
	unsigned long long val;
	size_t i;
	FILE *f = fopen("/proc/vmstat", "r");

	memset(v, 0, NKEYS * sizeof(*v));
	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%127s %llu", name, &val) == 2)
		for (i = 0; i < NKEYS; i++)
			if (!strcmp(name, keys[i]))
				v[i] = val;
	fclose(f);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || !v) {
		fprintf(stderr, BENCH_NAME ": bad byte count: %s\n", s);
		exit(2);
	}
	return v;
}

static int gen(uint64_t bytes, uint64_t seed)
{
	static uint64_t buf[MIB / 8];
	uint64_t st = seed * 0x9e3779b97f4a7c15ULL + 1, done = 0;
	size_t i, n;
	ssize_t w;

	while (done < bytes) {
		for (i = 0; i < MIB / 8; i++)
			buf[i] = xorshift64(&st);
		n = bytes - done < MIB ? bytes - done : MIB;
		for (i = 0; i < n; i += w) {
			w = write(1, (char *)buf + i, n - i);
			if (w <= 0)
				die("write");
		}
		done += n;
	}
	return 0;
}

#define MARK_MIB	64
#define MARKS		64

/*
 * What the child publishes: pages touched so far, when it finished, and
 * when it had touched each MARK_MIB (where the time went: the part that
 * was free, then the part reclaim had to find).
 */
struct progress {
	volatile uint64_t pages;
	volatile double done_ns;
	volatile double mark_ns[MARKS];
};

static void child(uint64_t bytes, struct progress *pr)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	uint64_t off, n = 0;
	char *p;

	if (f) {
		fputs("1000\n", f);
		fclose(f);
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	madvise(p, bytes, MADV_NOHUGEPAGE);
	for (off = 0; off < bytes; off += PAGE) {
		p[off] = 1;
		/* Every 1 MiB: cheap enough, and fine enough for a report. */
		if (!(++n & 255)) {
			pr->pages = n;
			if (!(n % (MARK_MIB * MIB / PAGE)) &&
			    n / (MARK_MIB * MIB / PAGE) <= MARKS)
				pr->mark_ns[n / (MARK_MIB * MIB / PAGE) - 1] = now_ns();
		}
	}
	pr->pages = n;
	pr->done_ns = now_ns();
	_exit(0);
}

static int hog(uint64_t bytes, int timeout_s)
{
	unsigned long long v0[NKEYS], v1[NKEYS];
	struct progress *pr;
	const char *result;
	char res[64];
	struct pollfd pfd;
	double t0, t1, secs;
	int pidfd, status, ret;
	size_t i;
	pid_t pid;

	pr = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pr == MAP_FAILED)
		die("mmap");
	vmstat(v0);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid)
		child(bytes, pr);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die("pidfd_open");
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, timeout_s * 1000);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		die("poll");
	if (!ret)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	t1 = now_ns();
	vmstat(v1);

	if (!ret) {
		result = "timeout";
	} else if (WIFEXITED(status)) {
		snprintf(res, sizeof(res), WEXITSTATUS(status) ? "exit-%d" : "completed",
			 WEXITSTATUS(status));
		result = res;
	} else if (WTERMSIG(status) == SIGKILL && v1[NKEYS - 1] > v0[NKEYS - 1]) {
		result = "oom-killed";
	} else {
		snprintf(res, sizeof(res), "killed-%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
		result = res;
	}
	secs = (pr->done_ns > 0 ? pr->done_ns - t0 : t1 - t0) / 1e9;
	printf("result=%s secs=%.3f touched_mib=%.1f", result, secs,
	       pr->pages * (double)PAGE / MIB);
	for (i = 0; i < NKEYS; i++)
		printf(" %s=%llu", keys[i], v1[i] - v0[i]);
	printf(" marks_s=");
	for (i = 0; i < MARKS && pr->mark_ns[i] > 0; i++)
		printf("%s%.2f", i ? "," : "", (pr->mark_ns[i] - t0) / 1e9);
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(parse_size(argv[2]), strtoull(argv[3], NULL, 0));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hog"))
		return hog(parse_size(argv[2]), argc == 4 ? (int)parse_size(argv[3]) : 300);
	fputs("usage: reclaim_hog gen BYTES SEED | hog BYTES [TIMEOUT_S]\n", stderr);
	return 2;
}
