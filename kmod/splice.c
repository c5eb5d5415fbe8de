// SPDX-License-Identifier: GPL-2.0
/*
 * splice_read without a copy: pipe buffers point at the video's own pages,
 * each holding a page reference, so a splice to a socket (or sendfile(2),
 * which splices through an internal pipe) hands the cache's pages to the
 * network stack. Nothing may steal them (no try_steal): they are shared.
 * Modelled on smc_rx_splice() in net/smc/smc_rx.c.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include "vcache.h"

static const struct pipe_buf_operations vcache_pipe_buf_ops = {
	.release = generic_pipe_buf_release,
	.get = generic_pipe_buf_get,
};

/* Drops the references splice_to_pipe() could not hand to the pipe. */
static void vcache_spd_release(struct splice_pipe_desc *spd, unsigned int i)
{
	put_page(spd->pages[i]);
}

ssize_t vcache_splice_read(struct file *in, loff_t *ppos,
			   struct pipe_inode_info *pipe, size_t len,
			   unsigned int flags)
{
	struct vcache_file *vf = in->private_data;
	struct vcache_video *v = vcache_file_video(in);
	struct page *stack_pages[PIPE_DEF_BUFFERS];
	struct partial_page stack_partial[PIPE_DEF_BUFFERS];
	struct splice_pipe_desc spd = {
		.pages = stack_pages,
		.partial = stack_partial,
		.nr_pages_max = PIPE_DEF_BUFFERS,
		.ops = &vcache_pipe_buf_ops,
		.spd_release = vcache_spd_release,
	};
	loff_t pos = *ppos;
	unsigned int max;
	ssize_t ret;
	u64 size;

	if (!v)
		return -EBADFD;
	if (pos < 0)
		return -EINVAL;
	if ((vf->flags & VCACHE_OPEN_FOLLOW) && len) {
		ret = vcache_wait_ready(v, pos, (flags & SPLICE_F_NONBLOCK) ||
					(in->f_flags & O_NONBLOCK));
		if (ret)
			return ret;
	}
	size = vcache_size(v);
	if (!len || pos >= size)
		return 0;
	len = min_t(u64, len, size - pos);

	/* No more pages than the pipe can take at once. */
	max = min_t(unsigned long, DIV_ROUND_UP(offset_in_page(pos) + len, PAGE_SIZE),
		    max_t(unsigned int, READ_ONCE(pipe->max_usage), 1));
	if (max > PIPE_DEF_BUFFERS) {
		spd.pages = kmalloc_array(max, sizeof(*spd.pages), GFP_KERNEL);
		spd.partial = kmalloc_array(max, sizeof(*spd.partial), GFP_KERNEL);
		if (!spd.pages || !spd.partial) {
			ret = -ENOMEM;
			goto out;
		}
		spd.nr_pages_max = max;
	}

	while (spd.nr_pages < spd.nr_pages_max && len) {
		size_t off = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - off, len);
		/* Holes below the size get a zeroed page, as mmap does. */
		struct page *page = vcache_video_page(v, pos >> PAGE_SHIFT,
						      VCACHE_PAGE_ALLOC);

		if (IS_ERR(page))
			break;
		get_page(page);
		spd.pages[spd.nr_pages] = page;
		spd.partial[spd.nr_pages].offset = off;
		spd.partial[spd.nr_pages].len = n;
		spd.partial[spd.nr_pages].private = 0;
		spd.nr_pages++;
		pos += n;
		len -= n;
	}
	ret = spd.nr_pages ? splice_to_pipe(pipe, &spd) : -ENOMEM;
	if (ret > 0) {
		*ppos += ret;
		vcache_count_served(v, ret);
		vcache_touch(v);
	}
out:
	if (spd.pages != stack_pages) {
		kfree(spd.pages);
		kfree(spd.partial);
	}
	return ret;
}
