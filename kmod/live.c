// SPDX-License-Identifier: GPL-2.0
/*
 * Live streams: a ring of pages that one writer fills and any number of
 * readers follow, addressed by absolute offsets that only grow.
 *
 * The ring's last quarter ahead of the head is the writer's landing zone;
 * readers see only the window behind the head. Landing bytes therefore
 * overwrite only data already older than the tail, and the writer never
 * waits for anyone. A reader checks its offset against the tail before and
 * after copying (the writer publishes the head before it lands more bytes),
 * so a copy that may have raced with an overwrite is refused, never
 * returned torn. The control page exports the head and tail so that mapped
 * readers can do the same without a syscall (after the perf ring buffer's
 * user page).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include "netlink.h"
#include "vcache.h"

static struct vcache_live_ctrl *vcache_ctrl(struct vcache_video *v)
{
	return page_address(v->ctrl);
}

/* Allocates the ring and the control page of a new live stream. */
int vcache_live_init(struct vcache_video *v)
{
	struct vcache_live_ctrl *ctrl;
	unsigned long i;

	v->ctrl = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_ACCOUNT);
	if (!v->ctrl)
		return -ENOMEM;
	for (i = 0; i < v->nr_pages; i++) {
		struct page *page = vcache_video_page(v, i, VCACHE_PAGE_ALLOC);

		if (IS_ERR(page))
			return PTR_ERR(page);	/* the release frees the rest */
	}
	v->ring = (u64)v->nr_pages << PAGE_SHIFT;
	v->zone = round_up(DIV_ROUND_UP_ULL(v->ring, 4), PAGE_SIZE);
	v->window = v->ring - v->zone;
	ctrl = vcache_ctrl(v);
	ctrl->ring_size = v->ring;
	ctrl->window = v->window;
	ctrl->zone = v->zone;
	return 0;
}

u64 vcache_live_tail(struct vcache_video *v, u64 head)
{
	return head > v->window ? head - v->window : 0;
}

/*
 * Publishes a new head: the landed bytes first (release), then - before
 * the writer may land anything more - everyone must be able to see it.
 */
static void vcache_live_publish(struct vcache_video *v, u64 head)
{
	struct vcache_live_ctrl *ctrl = vcache_ctrl(v);

	vcache_set_size(v, head);
	WRITE_ONCE(ctrl->tail, vcache_live_tail(v, head));
	WRITE_ONCE(ctrl->seq, ctrl->seq + 1);
	/* Pairs with the acquire that readers of the control page do. */
	smp_store_release(&ctrl->head, head);
	/* Landing bytes after this must not pass the head's publication. */
	smp_mb();
	vcache_wake(v);
}

/* A reader fell behind the window: count it, and tell listeners. */
static ssize_t vcache_live_behind(struct vcache_video *v)
{
	atomic64_inc(&v->behind);
	vcache_nl_viewer_behind(v);
	return -EOVERFLOW;
}

/*
 * Reads from a live stream at @pos without waiting. -EOVERFLOW when @pos
 * is (or, by the end of the copy, became) older than the window.
 */
ssize_t vcache_live_read(struct vcache_video *v, loff_t pos, struct iov_iter *to)
{
	size_t count = iov_iter_count(to), done;
	u64 head = vcache_size(v);

	if (pos < vcache_live_tail(v, head))
		return vcache_live_behind(v);
	if (!count || pos >= head)
		return 0;
	count = min_t(u64, count, head - pos);
	done = vcache_copy_to_iter(v, pos, count, to);
	/* Pairs with the barrier in vcache_live_publish(). */
	smp_rmb();
	if (pos < vcache_live_tail(v, READ_ONCE(v->size)))
		return vcache_live_behind(v);
	if (!done)
		return -EFAULT;
	vcache_count_served(v, done);
	vcache_touch(v);
	return done;
}

/* Appends @from at the head, a landing zone at a time; v->lock held. */
ssize_t vcache_live_write(struct vcache_video *v, struct iov_iter *from,
			  enum vcache_page_how how)
{
	size_t total = 0;

	lockdep_assert_held(&v->lock);
	while (iov_iter_count(from)) {
		u64 head = v->size;
		size_t n = min_t(size_t, iov_iter_count(from), v->zone);
		ssize_t got = vcache_copy_from_iter(v, head, n, from, how);

		if (got <= 0)
			return total ? total : got;
		vcache_live_publish(v, head + got);
		total += got;
		if (got < n)
			break;
	}
	return total;
}

/* COMMIT on a live stream: bytes landed through the mapping; v->lock held. */
int vcache_live_commit(struct vcache_video *v, u64 head)
{
	lockdep_assert_held(&v->lock);
	if (head < v->size || head - v->size > v->zone)
		return -EINVAL;
	if (head > v->size)
		vcache_live_publish(v, head);
	return 0;
}

/*
 * End of stream (SEAL, or the writer's close); v->lock held. True if the
 * stream ended now: the caller then sends VCACHE_EVENT_LIVE_ENDED, once
 * it dropped the lock.
 */
bool vcache_live_end(struct vcache_video *v)
{
	lockdep_assert_held(&v->lock);
	if (v->state != VCACHE_STATE_LIVE)
		return false;
	/* After the last head: a reader that sees the flag sees that head. */
	smp_store_release(&vcache_ctrl(v)->flags, VCACHE_LIVE_ENDED);
	WRITE_ONCE(v->seal_time, ktime_get_real_ns());
	/* Pairs with vcache_state(): readers then see the final head. */
	smp_store_release(&v->state, VCACHE_STATE_ENDED);
	vcache_wake(v);
	return true;
}

/*
 * The page at page offset @pgoff of a live stream's mmap layout: the
 * control page, then the ring twice. *run is set to how many pages from
 * there on are contiguous in v->pages (0 for the control page).
 */
struct page *vcache_live_map_page(struct vcache_video *v, unsigned long pgoff,
				  unsigned long *run)
{
	unsigned long idx;

	if (pgoff < VCACHE_LIVE_DATA_PGOFF) {
		*run = 0;
		return v->ctrl;
	}
	idx = (pgoff - VCACHE_LIVE_DATA_PGOFF) % v->nr_pages;
	*run = v->nr_pages - idx;
	return v->pages[idx];
}

void vcache_live_free(struct vcache_video *v)
{
	if (v->ctrl)
		__free_page(v->ctrl);
}
