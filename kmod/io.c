// SPDX-License-Identifier: GPL-2.0
/*
 * read_iter, write_iter and llseek of a bound descriptor.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/uio.h>
#include "vcache.h"

/**
 * vcache_read_at() - read what a video holds at @pos, without waiting
 * @v: the video
 * @pos: where to read
 * @to: where to
 *
 * Every read comes here once it may complete: read(2), the copy of a
 * splice, a queued AIO read from the workqueue. A live stream's go to
 * vcache_live_read().
 *
 * Context: process context (also the AIO workqueue, under
 * kthread_use_mm()); takes no vcache lock.
 * Return: the bytes read, 0 at the end, -EFAULT, or -EOVERFLOW for a live
 * reader behind the window.
 */
ssize_t vcache_read_at(struct vcache_video *v, loff_t pos, struct iov_iter *to)
{
	size_t count = iov_iter_count(to), done;
	u64 size = vcache_size(v);

	if (v->live)
		return vcache_live_read(v, pos, to);
	if (!count || pos >= size)
		return 0;
	count = min_t(u64, count, size - pos);
	done = vcache_copy_to_iter(v, pos, count, to);
	if (!done)
		return -EFAULT;
	vcache_count_served(v, done);
	vcache_touch(v);
	return done;
}

/**
 * vcache_read_iter() - read_iter of a descriptor
 * @iocb: the request
 * @to: where to
 *
 * Followers (and live viewers) wait for data as the request allows.
 *
 * Context: process context, may sleep; no vcache lock held or taken.
 * Return: the bytes read, 0 at the end, -EIOCBQUEUED, or an error.
 */
ssize_t vcache_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vcache_video *v = vcache_file_video(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (!v)
		return -EBADFD;
	if (pos < 0)
		return -EINVAL;
	if (vcache_follows(iocb->ki_filp, v) && iov_iter_count(to)) {
		ret = vcache_wait_data(v, iocb, to, pos);
		if (ret)
			return ret;
	}
	ret = vcache_read_at(v, pos, to);
	if (ret > 0)
		iocb->ki_pos = pos + ret;
	return ret;
}

/**
 * vcache_write_iter() - write_iter of a descriptor
 * @iocb: the request
 * @from: the bytes
 *
 * Context: process context, may sleep (not for IOCB_NOWAIT); takes v->lock,
 * under which the fault of @from takes mmap_lock.
 * Return: the bytes written, or an error (-EPERM once sealed or ended,
 * -EFBIG past the capacity, -EAGAIN, -ERESTARTSYS, ...).
 */
ssize_t vcache_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vcache_video *v = vcache_file_video(iocb->ki_filp);
	size_t count = iov_iter_count(from);
	ssize_t ret;
	loff_t pos;

	if (!v)
		return -EBADFD;
	if (v->live)
		return vcache_live_write_iter(v, iocb, from);
	ret = vcache_write_lock(v, iocb);
	if (ret)
		return ret;
	if (v->state != VCACHE_STATE_LOADING) {
		ret = -EPERM;
		goto out;
	}
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = v->size;
	pos = iocb->ki_pos;
	if (pos < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (!count) {
		ret = 0;
		goto out;
	}
	if (pos >= v->capacity) {
		ret = -EFBIG;
		goto out;
	}
	count = min_t(u64, count, v->capacity - pos);
	ret = vcache_copy_from_iter(v, pos, count, from, vcache_write_how(iocb));
	if (ret > 0) {
		iocb->ki_pos = pos + ret;
		if (iocb->ki_pos > v->size) {
			vcache_set_size(v, iocb->ki_pos);
			vcache_wake(v);
		}
	}
out:
	mutex_unlock(&v->lock);
	return ret;
}

/**
 * vcache_llseek() - llseek of a descriptor
 * @file: the descriptor
 * @offset: as llseek(2)
 * @whence: as llseek(2)
 *
 * Context: process context; takes no vcache lock.
 * Return: the new offset, or an error.
 */
loff_t vcache_llseek(struct file *file, loff_t offset, int whence)
{
	struct vcache_video *v = vcache_file_video(file);

	if (!v)
		return -EBADFD;
	if (v->live)
		return vcache_live_llseek(v, file, offset, whence);
	return generic_file_llseek_size(file, offset, whence, v->capacity,
					vcache_size(v));
}
