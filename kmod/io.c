// SPDX-License-Identifier: GPL-2.0
/*
 * read_iter, write_iter and llseek of a bound descriptor.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/uio.h>
#include "vcache.h"

/**
 * vcache_copy_to_iter() - copy bytes of a video out
 * @v: the video
 * @pos: first byte, below the size
 * @count: how many, all below the size
 * @to: where to
 *
 * Holes read as zeros.
 *
 * Context: process context, may fault on @to; takes no vcache lock.
 * Return: the bytes copied, short if @to faulted.
 */
size_t vcache_copy_to_iter(struct vcache_video *v, u64 pos, size_t count,
			   struct iov_iter *to)
{
	size_t done = 0;

	while (done < count) {
		unsigned long idx = vcache_page_index(v, pos + done);
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, VCACHE_PAGE_FIND);
		size_t got;

		if (page)
			got = copy_page_to_iter(page, off, n, to);
		else
			got = iov_iter_zero(n, to);	/* a hole */
		done += got;
		if (got < n)
			break;
	}
	return done;
}

/**
 * vcache_read_at() - read what a video holds at @pos, without waiting
 * @v: the video
 * @pos: where to read
 * @to: where to
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
	struct vcache_file *vf = iocb->ki_filp->private_data;
	struct vcache_video *v = vcache_file_video(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (!v)
		return -EBADFD;
	if (pos < 0)
		return -EINVAL;
	/* Live streams are always followed. */
	if (((vf->flags & VCACHE_OPEN_FOLLOW) || v->live) && iov_iter_count(to)) {
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
 * vcache_copy_from_iter() - copy bytes into a video
 * @v: the video
 * @pos: first byte
 * @count: how many, all below the capacity
 * @from: the source, maybe a mapping of @v itself
 * @how: how to allocate missing pages
 *
 * Context: process context, may sleep and fault on @from; v->lock held.
 * Return: the bytes copied, or an error if none was.
 */
ssize_t vcache_copy_from_iter(struct vcache_video *v, u64 pos, size_t count,
			      struct iov_iter *from, enum vcache_page_how how)
{
	size_t done = 0;

	lockdep_assert_held(&v->lock);
	while (done < count) {
		unsigned long idx = vcache_page_index(v, pos + done);
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, how);
		size_t got;

		if (IS_ERR(page))
			return done ? done : PTR_ERR(page);
		got = copy_page_from_iter(page, off, n, from);
		done += got;
		if (got < n)
			return done ? done : -EFAULT;
	}
	return done;
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
	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (!mutex_trylock(&v->lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&v->lock)) {
		return -ERESTARTSYS;
	}
	if (v->live) {
		ret = -EPERM;
		if (v->state == VCACHE_STATE_LIVE) {
			/* Appends at the head, whatever the offset. */
			ret = vcache_live_write(v, from, iocb->ki_flags & IOCB_NOWAIT ?
						VCACHE_PAGE_ALLOC_NOWAIT : VCACHE_PAGE_ALLOC);
			if (ret > 0)
				iocb->ki_pos = v->size;
		}
		goto out;
	}
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
	ret = vcache_copy_from_iter(v, pos, count, from,
				    iocb->ki_flags & IOCB_NOWAIT ?
				    VCACHE_PAGE_ALLOC_NOWAIT : VCACHE_PAGE_ALLOC);
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
	/* A live stream's offsets grow for as long as it runs. */
	return generic_file_llseek_size(file, offset, whence,
					v->live ? MAX_LFS_FILESIZE : v->capacity,
					vcache_size(v));
}
