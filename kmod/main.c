// SPDX-License-Identifier: GPL-2.0
/*
 * vcache: videos kept in kernel memory, served without copies.
 *
 * The character device /dev/vcache and the module's parameters; see
 * include/uapi/linux/vcache.h for the interface and README.md ("The module,
 * file by file") for which file does what.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include "netlink.h"
#include "vcache.h"

static unsigned int max_mb;

static int vcache_max_mb_set(const char *val, const struct kernel_param *kp)
{
	unsigned int mb;
	int err;

	err = kstrtouint(val, 0, &mb);
	if (err)
		return err;
	err = vcache_mem_set_limit(mb);
	if (err)
		return err;
	*(unsigned int *)kp->arg = mb;
	return 0;
}

static const struct kernel_param_ops vcache_max_mb_ops = {
	.set = vcache_max_mb_set,
	.get = param_get_uint,
};

module_param_cb(max_mb, &vcache_max_mb_ops, &max_mb, 0644);
MODULE_PARM_DESC(max_mb, "Memory limit for cached videos in MiB; 0 (default): a quarter of RAM. Writable at run time");

/**
 * vcache_set_max_mb() - set the cache's limit as netlink does
 * @mb: the new limit in MiB, 0 for the default
 *
 * Under the lock that writes of the parameter file take too, so that
 * max_mb always reads as the limit in force.
 *
 * Context: process context, may sleep; takes kernel_param_lock, then the
 * registry lock to evict down to the limit.
 * Return: 0, or -EINVAL for a limit of no or more than all memory.
 */
int vcache_set_max_mb(unsigned int mb)
{
	int err;

	kernel_param_lock(THIS_MODULE);
	err = vcache_mem_set_limit(mb);
	if (!err)
		max_mb = mb;
	kernel_param_unlock(THIS_MODULE);
	return err;
}

/*
 * One address_space for every mapping of the device, whichever device node
 * it was opened through (as DRM does): unmap_mapping_range() on it reaches
 * all of them, so the end of a live stream can take ring pages away from
 * its viewers' page tables (vcache_live_close()).
 */
#define VCACHE_FS_MAGIC	0x76636163	/* "vcac" */

static struct vfsmount *vcache_mnt;
static struct inode *vcache_inode;
struct address_space *vcache_mapping;

static int vcache_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VCACHE_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Never registered, so nobody else mounts it; no .owner, or our own mount
 * would hold the module and rmmod could never unload it.
 */
static struct file_system_type vcache_fs_type = {
	.name = "vcache",
	.init_fs_context = vcache_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int vcache_fs_init(void)
{
	vcache_mnt = kern_mount(&vcache_fs_type);
	if (IS_ERR(vcache_mnt))
		return PTR_ERR(vcache_mnt);
	vcache_inode = alloc_anon_inode(vcache_mnt->mnt_sb);
	if (IS_ERR(vcache_inode)) {
		kern_unmount(vcache_mnt);
		return PTR_ERR(vcache_inode);
	}
	vcache_mapping = vcache_inode->i_mapping;
	return 0;
}

static void vcache_fs_exit(void)
{
	iput(vcache_inode);
	kern_unmount(vcache_mnt);
}

static int vcache_open(struct inode *inode, struct file *file)
{
	struct vcache_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	mutex_init(&vf->bind_lock);
	file->private_data = vf;
	/* read_iter/write_iter honour IOCB_NOWAIT: RWF_NOWAIT and io_uring. */
	file->f_mode |= FMODE_NOWAIT;
	/* Before any mmap() can link a VMA to it. */
	file->f_mapping = vcache_mapping;
	return 0;
}

static int vcache_release(struct inode *inode, struct file *file)
{
	struct vcache_file *vf = file->private_data;

	if (vf->video) {
		bool ended = false;

		/*
		 * The last writer gone: followers waiting at the end get
		 * EOF, and a live stream ends.
		 */
		if ((file->f_mode & FMODE_WRITE) &&
		    atomic_dec_and_test(&vf->video->writers)) {
			if (vf->video->live) {
				mutex_lock(&vf->video->lock);
				ended = vcache_live_close(vf->video);
				mutex_unlock(&vf->video->lock);
			}
			vcache_wake(vf->video);
		}
		atomic_dec(&vf->video->opens);
		/* After the writer left the counts: it is no viewer. */
		if (ended)
			vcache_nl_event(VCACHE_EVENT_LIVE_ENDED, vf->video);
		vcache_video_unuse(vf->video);
		vcache_video_put(vf->video);
	}
	mutex_destroy(&vf->bind_lock);
	kfree(vf);
	return 0;
}

static const struct file_operations vcache_fops = {
	.owner = THIS_MODULE,
	.open = vcache_open,
	.release = vcache_release,
	.read_iter = vcache_read_iter,
	.write_iter = vcache_write_iter,
	.llseek = vcache_llseek,
	.mmap = vcache_mmap,
	.splice_read = vcache_splice_read,
	.splice_write = iter_file_splice_write,
	.poll = vcache_poll,
	.unlocked_ioctl = vcache_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vcache_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vcache",
	.fops = &vcache_fops,
	.mode = 0600,
};

static int __init vcache_init(void)
{
	int err;

	/* Covers the default; a max_mb given at load was checked when set. */
	err = vcache_mem_set_limit(max_mb);
	if (err)
		return err;
	err = vcache_mmap_init();
	if (err)
		return err;
	err = vcache_follow_init();
	if (err)
		goto err_mmap;
	err = vcache_fs_init();
	if (err)
		goto err_follow;
	err = misc_register(&vcache_misc);
	if (err)
		goto err_fs;
	err = vcache_nl_init();
	if (err)
		goto err_misc;
	err = vcache_shrink_init();
	if (err)
		goto err_nl;
	return 0;
err_nl:
	vcache_nl_exit();
err_misc:
	misc_deregister(&vcache_misc);
	vcache_registry_clear();
err_fs:
	vcache_fs_exit();
err_follow:
	vcache_follow_exit();
err_mmap:
	vcache_mmap_exit();
	return err;
}

static void __exit vcache_exit(void)
{
	vcache_shrink_exit();
	misc_deregister(&vcache_misc);
	vcache_registry_clear();
	/* After the registry: no video is left to send an event about. */
	vcache_nl_exit();
	/* AIO completions may hold the last references to videos. */
	vcache_follow_exit();
	/* No file is left open: each held the module. */
	vcache_fs_exit();
	vcache_mem_exit();
	vcache_mmap_exit();
}

module_init(vcache_init);
module_exit(vcache_exit);

MODULE_DESCRIPTION("In-kernel video cache with zero-copy access");
MODULE_LICENSE("GPL");
