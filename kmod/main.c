// SPDX-License-Identifier: GPL-2.0
/*
 * vcache: videos kept in kernel memory, served without copies.
 *
 * The character device /dev/vcache, module init and exit; see
 * include/uapi/linux/vcache.h for the interface and README.md ("The module,
 * file by file") for which file does what.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "netlink.h"
#include "vcache.h"

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
			if (vf->video->live)
				ended = vcache_live_close(vf->video,
							  file->f_mapping);
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

	err = vcache_mem_init();
	if (err)
		return err;
	err = vcache_mmap_init();
	if (err)
		return err;
	err = vcache_follow_init();
	if (err)
		goto err_mmap;
	err = misc_register(&vcache_misc);
	if (err)
		goto err_follow;
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
	vcache_mem_exit();
	vcache_mmap_exit();
}

module_init(vcache_init);
module_exit(vcache_exit);

MODULE_DESCRIPTION("In-kernel video cache with zero-copy access");
MODULE_LICENSE("GPL");
