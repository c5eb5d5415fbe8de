// SPDX-License-Identifier: GPL-2.0
/*
 * read_iter, write_iter and llseek of a bound descriptor.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/uio.h>
#include "vcache.h"

/* Copies [pos, pos + count) of @v, all below its size, to @to. */
static size_t vcache_copy_to_iter(struct vcache_video *v, u64 pos,
				  size_t count, struct iov_iter *to)
{
	size_t done = 0;

	while (done < count) {
		unsigned long idx = (pos + done) >> PAGE_SHIFT;
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, false);
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

ssize_t vcache_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vcache_video *v = vcache_file_video(iocb->ki_filp);
	size_t count = iov_iter_count(to);
	loff_t pos = iocb->ki_pos;
	u64 size;
	size_t done;

	if (!v)
		return -EBADFD;
	if (pos < 0)
		return -EINVAL;
	size = vcache_size(v);
	if (!count || pos >= size)
		return 0;
	count = min_t(u64, count, size - pos);
	done = vcache_copy_to_iter(v, pos, count, to);
	if (!done)
		return -EFAULT;
	iocb->ki_pos = pos + done;
	vcache_count_served(v, done);
	vcache_touch(v);
	return done;
}

/* Copies @count bytes from @from to @v at @pos; v->lock is held. */
static ssize_t vcache_copy_from_iter(struct vcache_video *v, u64 pos,
				     size_t count, struct iov_iter *from)
{
	size_t done = 0;

	while (done < count) {
		unsigned long idx = (pos + done) >> PAGE_SHIFT;
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, true);
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
	ret = vcache_copy_from_iter(v, pos, count, from);
	if (ret > 0) {
		iocb->ki_pos = pos + ret;
		if (iocb->ki_pos > v->size)
			vcache_set_size(v, iocb->ki_pos);
	}
out:
	mutex_unlock(&v->lock);
	return ret;
}

loff_t vcache_llseek(struct file *file, loff_t offset, int whence)
{
	struct vcache_video *v = vcache_file_video(file);

	if (!v)
		return -EBADFD;
	return generic_file_llseek_size(file, offset, whence, v->capacity,
					vcache_size(v));
}
