// SPDX-License-Identifier: GPL-2.0
/*
 * calibrate: four kinds of work a benchmark's time is made of, measured
 * the same way wherever it runs, so that the VM's numbers can be set
 * against the host's (bench/calibrate runs this on both and divides):
 *
 *   syscall   a null system call, getppid(2) through syscall(2) (glibc
 *             cannot answer it from a cache): ns per call
 *   memcpy    1 MiB copied between two buffers already faulted in: GB/s
 *   fault     a write to each 4 KiB page of fresh anonymous memory
 *             (MADV_NOHUGEPAGE, so each touch is one fault): ns per fault
 *   tcp       64 MiB through a loopback TCP connection, 1 MiB writes, to a
 *             child process that reads it all and answers a byte: GB/s
 *
 * Each is run --runs times (5), one kind after the other in each round so
 * that a slow moment of the machine spreads over all four; a run of the
 * small ones repeats until it has taken --min-ms (100 ms). Output: one line
 * a kind, "CAL KIND UNIT MEDIAN MIN MAX RUNS SAMPLE...", after a "#" line
 * naming the machine (--label, kernel, CPU, whether the CPU says it runs
 * under a hypervisor, the load average when the runs began).
 *
 * usage: calibrate [--runs N] [--min-ms MS] [--label TEXT]
 */
#define BENCH_NAME "calibrate"
#include "bench_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define MIB		(1024UL * 1024)
#define FAULT_BYTES	(64 * MIB)
#define TCP_BYTES	(64 * MIB)
#define MAX_RUNS	101

enum { K_SYSCALL, K_MEMCPY, K_FAULT, K_TCP, K_COUNT };

static const struct {
	const char *name, *unit;
} kinds[K_COUNT] = {
	[K_SYSCALL] = { "syscall", "ns/call" },
	[K_MEMCPY] = { "memcpy", "GB/s" },
	[K_FAULT] = { "fault", "ns/fault" },
	[K_TCP] = { "tcp", "GB/s" },
};

static double min_ns = 100e6;

/* ns per getppid(2), over batches of 1000 until min_ns has passed. */
static double run_syscall(void)
{
	double t0 = now_ns(), t;
	unsigned long n = 0;
	int i;

	do {
		for (i = 0; i < 1000; i++)
			syscall(SYS_getppid);
		n += 1000;
		t = now_ns() - t0;
	} while (t < min_ns);
	return t / n;
}

/* GB/s of 1 MiB memcpy(3)s, until min_ns has passed. */
static double run_memcpy(char *dst, char *src)
{
	double t0 = now_ns(), t;
	unsigned long n = 0;

	do {
		memcpy(dst, src, MIB);
		/* The copy's result is used: the compiler must make it. */
		__asm__ volatile("" : : "r"(dst) : "memory");
		n++;
		t = now_ns() - t0;
	} while (t < min_ns);
	return (double)n * MIB / t;
}

/* ns per first write to a page of a fresh 64 MiB anonymous mapping. */
static double run_fault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t off;
	double t0, t;
	char *p;

	p = mmap(NULL, FAULT_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	/* A huge page would take 512 pages' worth in one fault. */
	if (madvise(p, FAULT_BYTES, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	t0 = now_ns();
	for (off = 0; off < FAULT_BYTES; off += page)
		((volatile char *)p)[off] = 1;
	t = now_ns() - t0;
	munmap(p, FAULT_BYTES);
	return t / (FAULT_BYTES / page);
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write (tcp)");
		buf += n;
		len -= n;
	}
}

/*
 * GB/s of 64 MiB sent over loopback TCP to a child that reads it all, then
 * answers one byte: the time runs from the first write to that answer, so
 * it covers every byte received, not only handed to the kernel.
 */
static double run_tcp(char *buf)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int ls, s, c, one = 1;
	size_t got = 0;
	double t0, t;
	ssize_t n;
	pid_t pid;
	int st;
	char b;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&a, &alen))
		die("bind/listen on 127.0.0.1");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		c = accept(ls, NULL, NULL);
		if (c < 0)
			die("accept");
		while (got < TCP_BYTES) {
			n = read(c, buf, MIB);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("read (tcp)");
			got += n;
		}
		write_all(c, "k", 1);
		_exit(0);
	}
	close(ls);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		die("connect to 127.0.0.1");
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = now_ns();
	for (got = 0; got < TCP_BYTES; got += MIB)
		write_all(s, buf, MIB);
	if (read(s, &b, 1) != 1)
		die("read of the receiver's answer");
	t = now_ns() - t0;
	close(s);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the receiving child failed");
	return TCP_BYTES / t;
}

/*
 * "CPU MODEL, hypervisor" or "CPU MODEL, bare metal" from /proc/cpuinfo:
 * the x86 "hypervisor" flag says the kernel runs in a virtual machine, so
 * a "host" that has it is not a real machine's measure either.
 */
static void cpu_desc(char *out, size_t size)
{
	char line[4096], model[256] = "CPU ?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	int hv = -1;
	char *p;

	while (f && fgets(line, sizeof(line), f)) {
		p = strchr(line, ':');
		if (!p)
			continue;
		if (!strncmp(line, "model name", 10) && !strcmp(model, "CPU ?"))
			snprintf(model, sizeof(model), "%.*s", (int)strcspn(p + 2, "\n"), p + 2);
		else if (!strncmp(line, "flags", 5) && hv < 0)
			hv = strstr(p, " hypervisor") != NULL;
	}
	if (f)
		fclose(f);
	snprintf(out, size, "%s, %s", model,
		 hv < 0 ? "hypervisor flag unknown" : hv ? "hypervisor flag set" : "bare metal");
}

/* The 1, 5 and 15 minute load averages, "?" if /proc/loadavg is not there. */
static void load_avg(char *out, size_t size)
{
	float a = 0, b = 0, c = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f && fscanf(f, "%f %f %f", &a, &b, &c) == 3)
		snprintf(out, size, "%.2f %.2f %.2f", a, b, c);
	else
		snprintf(out, size, "?");
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	double v[K_COUNT][MAX_RUNS];
	const char *label = NULL;
	struct utsname u;
	char cpu[300], load[64];
	char *src, *dst;
	int runs = 5, r, k;

	for (r = 1; r < argc; r++) {
		if (!strcmp(argv[r], "--runs") && r + 1 < argc) {
			runs = atoi(argv[++r]);
		} else if (!strcmp(argv[r], "--min-ms") && r + 1 < argc) {
			min_ns = atof(argv[++r]) * 1e6;
		} else if (!strcmp(argv[r], "--label") && r + 1 < argc) {
			label = argv[++r];
		} else {
			fprintf(stderr,
				"usage: calibrate [--runs N] [--min-ms MS] [--label TEXT]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || !(min_ns > 0)) {
		fprintf(stderr, "calibrate: --runs is 1..%d, --min-ms above 0\n", MAX_RUNS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	src = malloc(MIB);
	dst = malloc(MIB);
	if (!src || !dst)
		die("malloc");
	memset(src, 0x5a, MIB);
	memset(dst, 0, MIB);

	/* The machine's load when the runs began: a shared host's varies. */
	load_avg(load, sizeof(load));
	/* One round unmeasured: caches, the TCP stack's first connection. */
	run_syscall();
	run_memcpy(dst, src);
	run_fault();
	run_tcp(src);
	for (r = 0; r < runs; r++) {
		v[K_SYSCALL][r] = run_syscall();
		v[K_MEMCPY][r] = run_memcpy(dst, src);
		v[K_FAULT][r] = run_fault();
		v[K_TCP][r] = run_tcp(src);
	}

	uname(&u);
	cpu_desc(cpu, sizeof(cpu));
	printf("# calibrate: %s, kernel %s, %ld CPUs online (%s), %d runs, load average %s\n",
	       label ? label : u.nodename, u.release, sysconf(_SC_NPROCESSORS_ONLN), cpu, runs,
	       load);
	for (k = 0; k < K_COUNT; k++) {
		double med = median_sort(v[k], runs);

		printf("CAL %s %s %.3f %.3f %.3f %d", kinds[k].name, kinds[k].unit,
		       med, v[k][0], v[k][runs - 1], runs);
		for (r = 0; r < runs; r++)
			printf(" %.3f", v[k][r]);
		putchar('\n');
	}
	free(src);
	free(dst);
	return 0;
}
