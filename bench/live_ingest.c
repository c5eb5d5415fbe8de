// SPDX-License-Identifier: GPL-2.0
/*
 * Live ingest, three ways (issue "live broadcast", numbers to report): a
 * loopback TCP sender (a child process) pushes N MiB in 1 MiB writes; the
 * receiver lands them in a live stream of /dev/vcache by
 *
 *   write   recv(2) into a 1 MiB buffer, then write(2) it to the stream:
 *           the socket's bytes are copied to user space and back;
 *   ring    recv(2) straight into the stream's ring, mapped writable, at
 *           the head, then VCACHE_IOC_COMMIT (the recv_into pattern): one
 *           copy, socket to ring;
 *   splice  splice(2) socket -> pipe -> stream: no user-space copy, the
 *           module copies from the pipe's pages.
 *
 * CPU per MiB is the receiver's getrusage(RUSAGE_SELF) user + system time
 * over the transfer (the sender is another process, not counted), the
 * median of --reps rounds, the variants interleaved round by round so that
 * drift hits them alike. Each round checks that the stream's head is N MiB
 * and that the last bytes in the window are the sender's pattern.
 *
 *   live_ingest [--mib N] [--reps R] [--ring SIZE] [--label TEXT]
 *
 * Prints a Markdown table, then one line for scripts:
 *   RATIO live_ingest write/ring=X splice/ring=Y (cpu per MiB)
 * Under QEMU TCG the times are not real: compare the rows of one run.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vcache.h>

#define MIB		(1u << 20)
#define CHUNK		MIB
#define MAX_REPS	15

enum { V_WRITE, V_RING, V_SPLICE, V_NR };
static const char * const vname[V_NR] = { "write", "ring", "splice" };
static const char * const vdesc[V_NR] = {
	"recv into a buffer + write(2)",
	"recv into the mapped ring + COMMIT",
	"splice socket -> pipe -> device",
};

static unsigned int mib = 128, reps = 5;
static uint64_t ring_cap = 16 * MIB;

struct result {
	double cpu_us;		/* user + sys */
	double sys_us;
	double wall_us;
	uint64_t syscalls;	/* recv/splice/write/commit calls */
};

/*
 * The stream's bytes: a table with a period that is no multiple of a page
 * or a chunk, so that a byte landed at the wrong place shows.
 */
#define PERIOD		(3 * MIB + 4099)
static uint8_t *table;		/* PERIOD + CHUNK bytes */

static void make_table(void)
{
	uint64_t i;

	table = malloc(PERIOD + CHUNK);
	if (!table)
		exit(1);
	for (i = 0; i < PERIOD + CHUNK; i++)
		table[i] = (uint8_t)((i % PERIOD) * 131 + ((i % PERIOD) >> 13) * 7 + 1);
}

static uint8_t pattern(uint64_t off)
{
	return table[off % PERIOD];
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double tv_us(struct timeval tv)
{
	return tv.tv_sec * 1e6 + tv.tv_usec;
}

/* The sender: @total bytes of pattern in 1 MiB writes, then close. */
static void sender(int port, uint64_t total)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t off = 0;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	/* Straight from the table: the sender shares the machine, keep it cheap. */
	while (off < total) {
		size_t n = total - off < CHUNK ? total - off : CHUNK, done = 0;
		const uint8_t *buf = table + off % PERIOD;

		while (done < n) {
			ssize_t w = write(fd, buf + done, n - done);

			if (w <= 0)
				_exit(1);
			done += w;
		}
		off += n;
	}
	close(fd);
	_exit(0);
}

static int create_live(const char *name)
{
	struct vcache_create c;
	int fd = open("/dev/vcache", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("/dev/vcache");
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.capacity = ring_cap;
	c.fps_num = 25;
	c.fps_den = 1;
	c.flags = VCACHE_CREATE_LIVE;
	if (ioctl(fd, VCACHE_IOC_CREATE, &c))
		die("VCACHE_IOC_CREATE");
	return fd;
}

static void delete_live(int fd, const char *name)
{
	struct vcache_delete d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	if (ioctl(fd, VCACHE_IOC_DELETE, &d))
		die("VCACHE_IOC_DELETE");
}

/*
 * A whole 1 MiB chunk from @s, as a broadcaster's buffer would take it,
 * into @buf of @size bytes from @at on, wrapping at @size; less only at
 * the end of the stream.
 */
static uint64_t recv_chunk(int s, uint8_t *buf, uint64_t size, uint64_t at,
			   uint64_t *calls)
{
	uint64_t got = 0;

	while (got < CHUNK) {
		ssize_t n = recv(s, buf + (at + got) % size, CHUNK - got, 0);

		(*calls)++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv");
		if (!n)
			break;
		got += n;
	}
	return got;
}

static uint64_t recv_write(int s, int vfd, uint64_t *calls)
{
	static uint8_t buf[CHUNK];
	uint64_t total = 0;

	for (;;) {
		size_t got = recv_chunk(s, buf, CHUNK, 0, calls);
		ssize_t n;

		if (!got)
			return total;
		for (size_t off = 0; off < got;) {
			n = write(vfd, buf + off, got - off);
			(*calls)++;
			if (n <= 0)
				die("write");
			off += n;
		}
		total += got;
		if (got < CHUNK)
			return total;
	}
}

static uint64_t recv_ring(int s, int vfd, uint64_t *calls)
{
	long ps = sysconf(_SC_PAGESIZE);
	const struct vcache_live_ctrl *ctrl;
	struct vcache_commit cm;
	uint64_t head = 0, ring, zone;
	uint8_t *data;

	ctrl = mmap(NULL, ps, PROT_READ, MAP_SHARED, vfd, 0);
	if (ctrl == MAP_FAILED)
		die("mmap control page");
	ring = ctrl->ring_size;
	zone = ctrl->zone;
	if (zone < CHUNK) {
		fprintf(stderr, "the landing zone (%llu) is below 1 MiB: raise --ring\n",
			(unsigned long long)zone);
		exit(1);
	}
	data = mmap(NULL, 2 * ring, PROT_READ | PROT_WRITE, MAP_SHARED, vfd,
		    (off_t)ps * VCACHE_LIVE_DATA_PGOFF);
	if (data == MAP_FAILED)
		die("mmap ring");
	for (;;) {
		/* 1 MiB lands at the head, contiguous across the wrap, then commits. */
		uint64_t got = recv_chunk(s, data, ring, head, calls);

		if (got) {
			memset(&cm, 0, sizeof(cm));
			cm.size = head + got;
			if (ioctl(vfd, VCACHE_IOC_COMMIT, &cm))
				die("VCACHE_IOC_COMMIT");
			(*calls)++;
			head += got;
		}
		if (got < CHUNK)
			break;
	}
	munmap(data, 2 * ring);
	munmap((void *)ctrl, ps);
	return head;
}

static uint64_t recv_splice(int s, int vfd, uint64_t *calls)
{
	uint64_t total = 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	/* A pipe of 1 MiB: one chunk per round trip (needs pipe-max-size >= 1M). */
	if (fcntl(p[1], F_SETPIPE_SZ, CHUNK) < 0)
		fprintf(stderr, "F_SETPIPE_SZ 1M: %s (using the default)\n", strerror(errno));
	for (;;) {
		ssize_t n = splice(s, NULL, p[1], NULL, CHUNK, SPLICE_F_MOVE);

		(*calls)++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("splice socket -> pipe");
		if (!n)
			break;
		while (n > 0) {
			ssize_t m = splice(p[0], NULL, vfd, NULL, n, SPLICE_F_MOVE);

			(*calls)++;
			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0)
				die("splice pipe -> device");
			n -= m;
			total += m;
		}
	}
	close(p[0]);
	close(p[1]);
	return total;
}

/* The head is all of it, and the window's last bytes are the sender's. */
static void verify(int vfd, uint64_t total, const char *what)
{
	struct vcache_info in;
	uint64_t len = 256 * 1024, off;
	uint8_t *buf = malloc(len);
	ssize_t n;

	if (ioctl(vfd, VCACHE_IOC_INFO, &in))
		die("VCACHE_IOC_INFO");
	if (in.size != total) {
		fprintf(stderr, "%s: head %llu, want %llu\n", what,
			(unsigned long long)in.size, (unsigned long long)total);
		exit(1);
	}
	off = total - len;
	n = pread(vfd, buf, len, off);
	if (n != (ssize_t)len) {
		fprintf(stderr, "%s: pread: %zd %s\n", what, n, strerror(errno));
		exit(1);
	}
	for (uint64_t i = 0; i < len; i++) {
		if (buf[i] != pattern(off + i)) {
			fprintf(stderr, "%s: byte %llu is %u, want %u\n", what,
				(unsigned long long)(off + i), buf[i], pattern(off + i));
			exit(1);
		}
	}
	free(buf);
}

static struct result run(int variant, int lfd, int port)
{
	uint64_t total = (uint64_t)mib * MIB, got = 0, calls = 0;
	struct rusage r0, r1;
	struct result res;
	double t0, t1;
	char name[32];
	pid_t pid;
	int s, vfd, st;

	snprintf(name, sizeof(name), "bench-%s-%d", vname[variant], getpid());
	vfd = create_live(name);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid)
		sender(port, total);
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_us();
	switch (variant) {
	case V_WRITE:
		got = recv_write(s, vfd, &calls);
		break;
	case V_RING:
		got = recv_ring(s, vfd, &calls);
		break;
	case V_SPLICE:
		got = recv_splice(s, vfd, &calls);
		break;
	}
	t1 = now_us();
	getrusage(RUSAGE_SELF, &r1);
	close(s);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s: the sender failed\n", vname[variant]);
		exit(1);
	}
	if (got != total) {
		fprintf(stderr, "%s: received %llu of %llu\n", vname[variant],
			(unsigned long long)got, (unsigned long long)total);
		exit(1);
	}
	verify(vfd, total, vname[variant]);
	delete_live(vfd, name);
	close(vfd);
	res.cpu_us = tv_us(r1.ru_utime) - tv_us(r0.ru_utime) +
		     tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
	res.sys_us = tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
	res.wall_us = t1 - t0;
	res.syscalls = calls;
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double cpu[V_NR][MAX_REPS], sys[V_NR][MAX_REPS], wall[V_NR][MAX_REPS];
	double mcpu[V_NR], msys[V_NR], mwall[V_NR];
	uint64_t calls[V_NR] = { 0 };
	const char *label = "this machine";
	socklen_t len = sizeof(sa);
	unsigned int r, v;
	int lfd, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ring") && i + 1 < argc)
			ring_cap = strtoull(argv[++i], NULL, 0) * MIB;
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--mib N] [--reps R] [--ring MIB] "
				"[--label TEXT]\n", argv[0]);
			return 2;
		}
	}
	if (!mib || mib > 65536 || !reps || reps > MAX_REPS || ring_cap < 8 * MIB) {
		fprintf(stderr, "%s: --mib 1..65536, --reps 1..%d, --ring >= 8\n", argv[0],
			MAX_REPS);
		return 2;
	}
	make_table();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len))
		die("listen");

	/* Warm up (page tables, TCP autotuning), not counted. */
	for (v = 0; v < V_NR; v++)
		run(v, lfd, ntohs(sa.sin_port));
	for (r = 0; r < reps; r++) {
		for (v = 0; v < V_NR; v++) {
			/* Rotate the order too: none is always first after the sender starts. */
			unsigned int k = (v + r) % V_NR;
			struct result res = run(k, lfd, ntohs(sa.sin_port));

			cpu[k][r] = res.cpu_us / mib;
			sys[k][r] = res.sys_us / mib;
			wall[k][r] = res.wall_us / mib;
			calls[k] = res.syscalls;
		}
	}
	for (v = 0; v < V_NR; v++) {
		mcpu[v] = median(cpu[v], reps);
		msys[v] = median(sys[v], reps);
		mwall[v] = median(wall[v], reps);
	}

	printf("## Live ingest: %u MiB in 1 MiB chunks over loopback TCP (%s)\n\n", mib, label);
	printf("Receiver CPU (getrusage user + sys) per MiB, median of %u rounds, variants\n"
	       "interleaved; ring of %llu MiB. Syscalls: receiver calls per transfer.\n\n",
	       reps, (unsigned long long)(ring_cap / MIB));
	printf("| receiver | CPU µs/MiB | of which sys | wall µs/MiB | syscalls | CPU vs ring |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (v = 0; v < V_NR; v++)
		printf("| %s (%s) | %.0f | %.0f | %.0f | %llu | %.2f |\n", vname[v], vdesc[v],
		       mcpu[v], msys[v], mwall[v], (unsigned long long)calls[v],
		       mcpu[v] / mcpu[V_RING]);
	printf("\nEvery round checked: the head is %u MiB and the last 256 KiB in the\n"
	       "window are the sender's bytes.\n\n", mib);
	printf("RATIO live_ingest write/ring=%.2f splice/ring=%.2f (cpu per MiB; ring %.0f us/MiB)\n",
	       mcpu[V_WRITE] / mcpu[V_RING], mcpu[V_SPLICE] / mcpu[V_RING], mcpu[V_RING]);
	return 0;
}
