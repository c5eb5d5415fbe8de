// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl load reads FILE with kernel AIO straight into the video's
 * writable mapping (user/lib/load.c): O_DIRECT where the file system takes it,
 * buffered AIO where it does not, read(2) for what is not a regular file.
 *
 * O_DIRECT needs a file system on a block device: the fixture makes an ext4
 * image on tmpfs and mounts it through a loop device (the loop and ext4
 * modules of the running kernel), and a ramfs, which refuses O_DIRECT, for
 * the buffered path. Odd sizes are loaded and compared byte for byte with
 * the file; strace(1) shows that the O_DIRECT path submits with io_submit(2)
 * and never read(2)s the file; the keyframe index is made from the loaded
 * pages just the same. Runs as root from the repository root, with the
 * module loaded and ./build/user/vcachectl built.
 */
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

#define CTL		"./build/user/vcachectl"
#define MiB		(1024 * 1024ULL)
#define MEDIA		"build/media/h264_25.ts"

struct run {
	int status;
	char out[4096];
	char err[4096];
};

/* Runs a shell command line, capturing the ends of stdout and stderr. */
static int sh(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sh(struct run *r, const char *fmt, ...)
{
	char cmd[1024], line[1200];
	char ofile[] = "/tmp/load-aio-out-XXXXXX", efile[] = "/tmp/load-aio-err-XXXXXX";
	int ofd = mkstemp(ofile), efd = mkstemp(efile), st;
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "( %s ) >%s 2>%s", cmd, ofile, efile);
	st = system(line);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	n = pread(ofd, r->out, sizeof(r->out) - 1, 0);
	r->out[n > 0 ? n : 0] = '\0';
	n = pread(efd, r->err, sizeof(r->err) - 1, 0);
	r->err[n > 0 ? n : 0] = '\0';
	close(ofd);
	close(efd);
	unlink(ofile);
	unlink(efile);
	return r->status;
}

static int make_file(const char *path, uint64_t len, uint64_t seed)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	int err;

	if (fd < 0)
		return -errno;
	err = vc_write_pattern(fd, len, seed);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* The video's bytes equal the file's, and there are as many. */
static void check_same(struct __test_metadata *_metadata, const char *name,
		       const char *path)
{
	static uint8_t a[1 << 20], b[1 << 20];
	int vfd = open(VCACHE_DEV, O_RDONLY), ffd = open(path, O_RDONLY);
	struct vcache_info info;
	struct stat st;
	uint64_t off = 0;

	ASSERT_LE(0, vfd);
	ASSERT_LE(0, ffd);
	ASSERT_EQ(0, vc_open_name(vfd, name));
	ASSERT_EQ(0, fstat(ffd, &st));
	info = vc_info(vfd);
	EXPECT_EQ((uint64_t)st.st_size, info.size);
	EXPECT_EQ(VCACHE_STATE_SEALED, info.state);
	while (off < (uint64_t)st.st_size) {
		ssize_t n = pread(ffd, a, sizeof(a), off);

		ASSERT_LT(0, n);
		ASSERT_EQ(n, pread(vfd, b, n, off));
		ASSERT_EQ(0, memcmp(a, b, n)) TH_LOG("%s differs in [%llu, +%zd)", path,
						     (unsigned long long)off, n);
		off += n;
	}
	/* Nothing past the end. */
	EXPECT_EQ(0, pread(vfd, b, 1, off));
	close(vfd);
	close(ffd);
}

static void rm_video(const char *name)
{
	int fd = open(VCACHE_DEV, O_RDWR);

	if (fd >= 0) {
		vc_delete(fd, name);
		close(fd);
	}
}

/* "N requests (M O_DIRECT)" from -v. */
static int counts(const char *err, long long *req, long long *direct)
{
	const char *p = strstr(err, " requests (");

	while (p && p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p && sscanf(p, "%lld requests (%lld O_DIRECT)", req, direct) == 2 ? 0 : -1;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

FIXTURE(fs) {
	char dir[64];		/* ext4 on a loop device: O_DIRECT */
	char ram[64];		/* ramfs: no O_DIRECT */
	char img[64];
	bool ext4, ramfs;
	uint64_t align;		/* ext4's O_DIRECT alignment */
};

FIXTURE_SETUP(fs)
{
	struct run r;
	struct statx sx;
	char probe[96];
	int fd;

	if (getuid())
		SKIP(return, "needs root (mount)");
	VC_NEED_TREE_FILE(CTL, X_OK, "build " CTL " first (make user)");
	snprintf(self->img, sizeof(self->img), "/tmp/load-aio-%d.img", getpid());
	snprintf(self->dir, sizeof(self->dir), "/tmp/load-aio-%d.ext4", getpid());
	snprintf(self->ram, sizeof(self->ram), "/tmp/load-aio-%d.ram", getpid());
	mkdir(self->dir, 0755);
	mkdir(self->ram, 0755);
	self->ramfs = !mount("none", self->ram, "ramfs", 0, NULL);
	if (sh(&r,
	       "modprobe -q loop; modprobe -q ext4; truncate -s 96M %s && mkfs.ext4 -q -F -E nodiscard %s && mount -o loop %s %s",
	       self->img, self->img, self->img, self->dir)) {
		TH_LOG("no ext4 on a loop device here: %s", r.err);
		SKIP(return, "no file system with O_DIRECT (ext4 on loop)");
	}
	self->ext4 = true;
	/* What the loader will find, asked the same way. */
	snprintf(probe, sizeof(probe), "%s/probe", self->dir);
	ASSERT_EQ(0, make_file(probe, 1, 0));
	fd = open(probe, O_RDONLY);
	ASSERT_LE(0, fd);
	self->align = 4096;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
	    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align)
		self->align = sx.stx_dio_offset_align;
	close(fd);
	TH_LOG("ext4 on loop, O_DIRECT alignment %llu", (unsigned long long)self->align);
}

FIXTURE_TEARDOWN(fs)
{
	struct run r;

	if (self->ext4)
		sh(&r, "umount %s", self->dir);
	if (self->ramfs)
		umount(self->ram);
	rmdir(self->dir);
	rmdir(self->ram);
	unlink(self->img);
}

/* Sizes around every boundary: empty, one byte, a page, and 20 MiB + 3. */
TEST_F(fs, direct_odd_sizes)
{
	static const uint64_t sizes[] = { 0, 1, 4095, 4097, 20 * MiB + 3 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t len = sizes[i], dend = len / self->align * self->align;
		const char *name = vc_name("direct");
		long long req, direct;
		char path[128];
		struct run r;

		snprintf(path, sizeof(path), "%s/f%u", self->dir, i);
		ASSERT_EQ(0, make_file(path, len, 7 + i));
		/* From the disk, not from the page cache the writes filled. */
		sh(&r, "echo 1 > /proc/sys/vm/drop_caches");
		ASSERT_EQ(0, sh(&r, CTL " -v load %s %s", name, path)) TH_LOG("%s", r.err);
		TH_LOG("%llu bytes: %s", (unsigned long long)len, r.err);
		if (len) {
			ASSERT_EQ(0, counts(r.err, &req, &direct)) TH_LOG("%s", r.err);
			EXPECT_NE(NULL, strstr(r.err, "kernel AIO with O_DIRECT"))
				TH_LOG("%s", r.err);
			/* A read per MiB of whole blocks, O_DIRECT; the tail buffered. */
			EXPECT_EQ((long long)div_up(dend, MiB), direct);
			EXPECT_EQ((long long)(div_up(dend, MiB) + (len > dend)), req);
		} else {
			EXPECT_NE(NULL, strstr(r.err, "the file is empty")) TH_LOG("%s", r.err);
		}
		check_same(_metadata, name, path);
		rm_video(name);
		unlink(path);
	}
}

/*
 * The O_DIRECT path under strace: every read of the file is an
 * io_submit(2), none a read(2) of any kind, the frame-rate probe's included.
 */
TEST_F(fs, direct_reads_only_by_io_submit)
{
	const char *name = vc_name("strace");
	char path[128], log[96];
	struct run r;

	if (sh(&r, "command -v strace"))
		SKIP(return, "no strace");
	snprintf(path, sizeof(path), "%s/traced", self->dir);
	snprintf(log, sizeof(log), "/tmp/load-aio-%d.strace", getpid());
	ASSERT_EQ(0, make_file(path, 20 * MiB + 3, 3));
	ASSERT_EQ(0, sh(&r,
			"strace -f -y -o %s -e trace=read,pread64,readv,preadv,preadv2,io_submit,io_getevents "
			CTL " -v load %s %s", log, name, path))
		TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "kernel AIO with O_DIRECT")) TH_LOG("%s", r.err);
	check_same(_metadata, name, path);

	/* strace -y names each descriptor's file: <.../traced>. */
	ASSERT_EQ(0, sh(&r,
			"grep -cE '^[0-9]+ +(read|pread64|readv|preadv|preadv2)\\([0-9]+<%s>' %s || true",
			path, log));
	EXPECT_EQ(0, atoi(r.out)) TH_LOG("read(2)s of the file:\n%s", r.out);
	ASSERT_EQ(0, sh(&r, "grep -cE '^[0-9]+ +io_submit\\(' %s", log));
	/* 21 MiB in 1 MiB reads, 8 a call at most, plus the probe's. */
	EXPECT_LE(1 + 3, atoi(r.out)) TH_LOG("io_submit calls: %s", r.out);
	TH_LOG("io_submit calls: %d", atoi(r.out));
	unlink(log);
	rm_video(name);
	unlink(path);
}

/* A file system without O_DIRECT: buffered AIO, and -v says why. */
TEST_F(fs, buffered_without_o_direct)
{
	static const uint64_t sizes[] = { 1, 4097, 9 * MiB + 5 };
	unsigned int i;

	if (!self->ramfs)
		SKIP(return, "no ramfs");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		const char *name = vc_name("buffered");
		long long req, direct;
		char path[128];
		struct run r;

		snprintf(path, sizeof(path), "%s/f%u", self->ram, i);
		ASSERT_EQ(0, make_file(path, sizes[i], 11 + i));
		ASSERT_EQ(0, sh(&r, CTL " -v load %s %s", name, path)) TH_LOG("%s", r.err);
		EXPECT_NE(NULL, strstr(r.err, "buffered kernel AIO (open with O_DIRECT: EINVAL"))
			TH_LOG("%s", r.err);
		ASSERT_EQ(0, counts(r.err, &req, &direct));
		EXPECT_EQ(0, direct);
		EXPECT_EQ((long long)div_up(sizes[i], MiB), req);
		check_same(_metadata, name, path);
		rm_video(name);
	}
}

/*
 * No kernel AIO to be had (fs.aio-max-nr at 0: io_setup() fails with
 * EAGAIN): the engine's synchronous stand-in reads into the mapping with
 * preadv2(), O_DIRECT still, and -v says so.
 */
TEST_F(fs, no_kernel_aio_falls_back)
{
	const char *name = vc_name("sync");
	char path[128], old[32] = "";
	long long req, direct;
	struct run r;
	FILE *f;

	f = fopen("/proc/sys/fs/aio-max-nr", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	snprintf(path, sizeof(path), "%s/sync", self->dir);
	ASSERT_EQ(0, make_file(path, 9 * MiB + 3, 13));
	ASSERT_EQ(0, sh(&r, "echo 0 > /proc/sys/fs/aio-max-nr"));
	sh(&r, CTL " -v load %s %s", name, path);
	f = fopen("/proc/sys/fs/aio-max-nr", "w");
	ASSERT_NE(NULL, f);
	fputs(old, f);
	fclose(f);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "preadv2(2) with O_DIRECT (io_setup(8): EAGAIN"))
		TH_LOG("%s", r.err);
	ASSERT_EQ(0, counts(r.err, &req, &direct));
	EXPECT_EQ(9, direct);
	EXPECT_EQ(10, req);
	check_same(_metadata, name, path);
	rm_video(name);
}

/*
 * io_submit() may take fewer requests than it is given, and say EAGAIN for
 * the rest, when its ring is full: the loader must submit the rest again
 * once completions are reaped, not fail the load with EIO. VCACHE_AIO_DEPTH
 * makes the loader's AIO context smaller than the batches it submits (8),
 * so that every batch comes back short; the load must succeed and be the
 * file byte for byte, through O_DIRECT and buffered.
 *
 * Four loads of 20 MiB, each read back and compared: on the debug kernel
 * (KASAN) this test once ran past the harness's default 30 s (the whole
 * suite took 107 s there, 17-20 s on the stock kernels), hence its own
 * bound.
 */
TEST_F_TIMEOUT(fs, short_submissions_resubmitted, 180)
{
	static const unsigned int depths[] = { 1, 3 };
	unsigned int d, f;

	for (f = 0; f < 2; f++) {
		const char *dir = f ? self->ram : self->dir;

		if (!(f ? self->ramfs : self->ext4))
			continue;
		for (d = 0; d < ARRAY_SIZE(depths); d++) {
			const char *name = vc_name("short");
			long long req, direct, submits = 0;
			char path[128];
			const char *p;
			struct run r;

			snprintf(path, sizeof(path), "%s/short%u", dir, d);
			ASSERT_EQ(0, make_file(path, 20 * MiB + 3, 17 + d));
			ASSERT_EQ(0, sh(&r, "VCACHE_AIO_DEPTH=%u " CTL " -v load %s %s",
					depths[d], name, path))
				TH_LOG("depth %u: %s", depths[d], r.err);
			TH_LOG("%s, depth %u: %s", f ? "ramfs" : "ext4", depths[d], r.err);
			ASSERT_EQ(0, counts(r.err, &req, &direct)) TH_LOG("%s", r.err);
			p = strstr(r.err, " submissions");
			while (p && p > r.err && p[-1] >= '0' && p[-1] <= '9')
				p--;
			ASSERT_NE(NULL, p);
			submits = atoll(p);
			/* 21 reads, at most depth a submission. */
			EXPECT_EQ(21, req);
			EXPECT_LE((long long)div_up(21, depths[d]), submits);
			check_same(_metadata, name, path);
			EXPECT_EQ(0, sh(&r, CTL " cat %s | cmp - %s", name, path))
				TH_LOG("%s%s", r.out, r.err);
			rm_video(name);
			unlink(path);
		}
	}
}

/* Pipes and stdin cannot be read that way: read(2), and -v says so. */
TEST_F(fs, stream_says_read)
{
	const char *name = vc_name("pipe");
	char path[128];
	struct run r;

	snprintf(path, sizeof(path), "%s/piped", self->dir);
	ASSERT_EQ(0, make_file(path, 3 * MiB + 1, 5));
	ASSERT_EQ(0, sh(&r, "cat %s | " CTL " -v load %s - --capacity 4M", path, name))
		TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "read stdin with read(2)")) TH_LOG("%s", r.err);
	check_same(_metadata, name, path);
	rm_video(name);
}

/* MPEG-TS loaded with O_DIRECT is indexed as when loaded buffered. */
TEST_F(fs, direct_load_is_indexed)
{
	char a[VCACHE_NAME_MAX], b[VCACHE_NAME_MAX], path[128], sum[2][128];
	struct vcache_info ia, ib;
	struct run r;
	int fd;

	if (access(MEDIA, R_OK))
		SKIP(return, "no " MEDIA " (make unit makes it)");
	if (!self->ramfs)
		SKIP(return, "no ramfs");
	snprintf(a, sizeof(a), "%s", vc_name("ts-direct"));
	snprintf(b, sizeof(b), "%s", vc_name("ts-buffered"));
	snprintf(path, sizeof(path), "%s/v.ts", self->dir);
	ASSERT_EQ(0, sh(&r, "cp " MEDIA " %s && cp " MEDIA " %s/v.ts", path, self->ram));
	ASSERT_EQ(0, sh(&r, CTL " -v load %s %s", a, path)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "kernel AIO with O_DIRECT")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "keyframes")) TH_LOG("%s", r.out);
	ASSERT_EQ(0, sh(&r, CTL " -v load %s %s/v.ts", b, self->ram)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "buffered kernel AIO")) TH_LOG("%s", r.err);
	check_same(_metadata, a, path);

	fd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vc_open_name(fd, a));
	ia = vc_info(fd);
	close(fd);
	fd = open(VCACHE_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vc_open_name(fd, b));
	ib = vc_info(fd);
	close(fd);
	EXPECT_LT(0, ia.index_entries);
	EXPECT_EQ(ib.index_entries, ia.index_entries);
	EXPECT_EQ(ib.duration, ia.duration);
	EXPECT_EQ(ib.fps_num, ia.fps_num);

	/* And byte for byte, by sha256sum of cat, as a user would check. */
	ASSERT_EQ(0, sh(&r, CTL " cat %s | sha256sum", a));
	snprintf(sum[0], sizeof(sum[0]), "%.64s", r.out);
	ASSERT_EQ(0, sh(&r, "sha256sum < %s", path));
	snprintf(sum[1], sizeof(sum[1]), "%.64s", r.out);
	EXPECT_STREQ(sum[1], sum[0]);
	rm_video(a);
	rm_video(b);
}

TEST_HARNESS_MAIN
