// SPDX-License-Identifier: GPL-2.0
/* The device node, and what an unbound descriptor may do. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "vcache_util.h"
#include "kselftest_harness.h"

static int misc_minor(const char *name)
{
	char line[128], n[64];
	int minor, found = -1;
	FILE *f = fopen("/proc/misc", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %63s", &minor, n) == 2 && !strcmp(n, name))
			found = minor;
	fclose(f);
	return found;
}

TEST(node_matches_proc_misc)
{
	struct stat st;
	int minor = misc_minor("vcache");

	ASSERT_GE(minor, 0);
	ASSERT_EQ(0, stat(VCACHE_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */
	EXPECT_EQ(minor, minor(st.st_rdev));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST(unbound_descriptor)
{
	struct vcache_info info;
	struct vcache_stats st;
	char buf[16];
	int fd = open(VCACHE_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-EBADFD, vc_ioctl(fd, VCACHE_IOC_INFO, &info));
	EXPECT_EQ(-EBADFD, vc_seal(fd));
	EXPECT_EQ(-ENOTTY, vc_ioctl(fd, _IO(VCACHE_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, vc_ioctl(fd, _IOR('x', 1, int), buf));
	EXPECT_EQ(-EFAULT, vc_ioctl(fd, VCACHE_IOC_STATS, NULL));
	ASSERT_EQ(0, vc_ioctl(fd, VCACHE_IOC_STATS, &st));
	EXPECT_GT(st.mem_limit, 0);
	EXPECT_EQ(0, st.__pad);
	close(fd);
}

TEST(module_parameter_described)
{
	struct stat st;

	/* The parameter exists and is writable by root only. */
	ASSERT_EQ(0, stat(MAX_MB_PARAM, &st));
	EXPECT_EQ(0644, st.st_mode & 0777);
}

TEST_HARNESS_MAIN
