// SPDX-License-Identifier: GPL-2.0
/*
 * splice_read without a copy: pipe buffers point at a sealed video's own
 * pages, each holding a page reference, so a splice to a socket (or
 * sendfile(2), which splices through an internal pipe) hands the cache's
 * pages to the network stack. Nothing may steal them: they are shared.
 * Modelled on smc_rx_splice() in net/smc/smc_rx.c.
 *
 * The buffers use the kernel's own nosteal_pipe_buf_ops, never operations
 * of this module: a pipe can outlive the module (nothing stops rmmod while
 * pages sit in a pipe), and it would call through freed module memory.
 *
 * Only sealed bytes are handed out by reference. A live ring's pages are
 * overwritten as the stream moves on, and a loading video's bytes may still
 * be rewritten (and SEAL counts page references to know that nobody else
 * can write them): those are copied into fresh pages, charged to the
 * reader's memory cgroup like any pipe buffer.
 */
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include "vcache.h"

/* Drops the references splice_to_pipe() could not hand to the pipe. */
static void vcache_spd_release(struct splice_pipe_desc *spd, unsigned int i)
{
	put_page(spd->pages[i]);
}

/*
 * Copies into fresh pages (a live stream's bytes checked against the window
 * like any read) and hands those to the pipe.
 */
static ssize_t vcache_splice_copy(struct vcache_video *v, loff_t *ppos,
				  struct pipe_inode_info *pipe, size_t len)
{
	struct page *pages[PIPE_DEF_BUFFERS];
	struct partial_page partial[PIPE_DEF_BUFFERS];
	struct bio_vec bvec[PIPE_DEF_BUFFERS];
	struct splice_pipe_desc spd = {
		.pages = pages,
		.partial = partial,
		.nr_pages_max = PIPE_DEF_BUFFERS,
		.ops = &nosteal_pipe_buf_ops,
		.spd_release = vcache_spd_release,
	};
	unsigned int n, i;
	struct iov_iter it;
	ssize_t ret;

	n = min_t(size_t, DIV_ROUND_UP(len, PAGE_SIZE),
		  clamp_t(unsigned int, READ_ONCE(pipe->max_usage), 1, PIPE_DEF_BUFFERS));
	len = min_t(size_t, len, (size_t)n * PAGE_SIZE);
	for (i = 0; i < n; i++) {
		/* Charged to the reader; never the OOM killer for a pipe. */
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!pages[i])
			break;
		bvec_set_page(&bvec[i], pages[i], PAGE_SIZE, 0);
	}
	if (!i)
		return -ENOMEM;
	len = min_t(size_t, len, (size_t)i * PAGE_SIZE);
	iov_iter_bvec(&it, ITER_DEST, bvec, i, len);
	ret = vcache_read_at(v, *ppos, &it);
	for (n = 0; ret > 0 && n < i && (size_t)n * PAGE_SIZE < (size_t)ret; n++) {
		partial[n].offset = 0;
		partial[n].len = min_t(size_t, PAGE_SIZE, ret - (size_t)n * PAGE_SIZE);
		partial[n].private = 0;
	}
	spd.nr_pages = n;
	while (i > n)
		put_page(pages[--i]);
	if (ret <= 0)
		return ret;
	ret = splice_to_pipe(pipe, &spd);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/**
 * vcache_splice_read() - splice_read of a descriptor
 * @in: the descriptor
 * @ppos: where to read; advanced by what went into the pipe
 * @pipe: the pipe
 * @len: how much at most
 * @flags: SPLICE_F_*
 *
 * A sealed video's pages go into the pipe by reference; anything else is
 * copied into fresh pages.
 *
 * Context: process context, may sleep; the pipe's mutex held (splice(2),
 * not sendfile's private pipe); takes no vcache lock.
 * Return: the bytes spliced, 0 at the end, or an error.
 */
ssize_t vcache_splice_read(struct file *in, loff_t *ppos,
			   struct pipe_inode_info *pipe, size_t len,
			   unsigned int flags)
{
	struct vcache_video *v = vcache_file_video(in);
	struct page *stack_pages[PIPE_DEF_BUFFERS];
	struct partial_page stack_partial[PIPE_DEF_BUFFERS];
	struct splice_pipe_desc spd = {
		.pages = stack_pages,
		.partial = stack_partial,
		.nr_pages_max = PIPE_DEF_BUFFERS,
		.ops = &nosteal_pipe_buf_ops,
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
	if (vcache_follows(in, v) && len) {
		ret = vcache_wait_ready(v, pos, (flags & SPLICE_F_NONBLOCK) ||
					(in->f_flags & O_NONBLOCK));
		if (ret)
			return ret;
	}
	if (vcache_state(v) != VCACHE_STATE_SEALED)
		return vcache_splice_copy(v, ppos, pipe, len);
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
		struct page *page = vcache_video_page(v, pos >> PAGE_SHIFT,
						      VCACHE_PAGE_FIND);

		/* A hole of a sealed video reads as zeros for good. */
		if (!page)
			page = ZERO_PAGE(0);
		get_page(page);
		spd.pages[spd.nr_pages] = page;
		spd.partial[spd.nr_pages].offset = off;
		spd.partial[spd.nr_pages].len = n;
		spd.partial[spd.nr_pages].private = 0;
		spd.nr_pages++;
		pos += n;
		len -= n;
	}
	ret = splice_to_pipe(pipe, &spd);
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
