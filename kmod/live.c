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
 *
 * The mmap layout maps the ring twice in a row, as kernel/bpf/ringbuf.c
 * does, so that any run of up to a ring's bytes is contiguous in userspace:
 *
 *   pgoff 0      1                     1 + N                 1 + 2N
 *        +------+---------------------+---------------------+
 *        | ctrl | v->pages[0..N-1]    | v->pages[0..N-1]    |
 *        +------+---------------------+---------------------+
 *
 *   stream offset X  ->  v->pages[(X % ring) >> PAGE_SHIFT]
 *   [head - window, head)   the window, what readers may see
 *   [head, head + zone)     the landing zone, where the writer writes
 *
 * vcache_live_map_pages() resolves a page offset of that layout.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/uio.h>
#include "netlink.h"
#include "vcache.h"

static struct vcache_live_ctrl *vcache_ctrl(struct vcache_video *v)
{
	return page_address(v->ctrl);
}

/* Allocates a new stream's ring and control page; the release frees them. */
static int vcache_live_init(struct vcache_video *v)
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

/**
 * vcache_live_alloc() - a new live stream, not yet named (CREATE)
 * @req: the CREATE request, checked, with VCACHE_CREATE_LIVE
 *
 * Context: process context, may sleep (may evict).
 * Return: the stream, with one reference, its ring whole; or an ERR_PTR as
 * vcache_video_alloc() returns.
 */
struct vcache_video *vcache_live_alloc(const struct vcache_create *req)
{
	struct vcache_video *v = vcache_video_alloc(req);
	int err;

	if (IS_ERR(v))
		return v;
	v->live = true;
	v->state = VCACHE_STATE_LIVE;
	err = vcache_live_init(v);
	if (err) {
		vcache_video_put(v);
		return ERR_PTR(err);
	}
	return v;
}

/*
 * Publishes a new head: the landed bytes first (release), then - before
 * the writer may land anything more - everyone must be able to see it.
 * v->lock held.
 */
static void vcache_live_publish(struct vcache_video *v, u64 head)
{
	struct vcache_live_ctrl *ctrl = vcache_ctrl(v);

	lockdep_assert_held(&v->lock);
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

/**
 * vcache_live_read() - read from a live stream at @pos without waiting
 * @v: the stream
 * @pos: where to read
 * @to: where to
 *
 * Context: process context or the AIO workqueue; takes no vcache lock and
 * does not block (the event of a reader behind does not sleep).
 * Return: the bytes read, 0 at the head, -EFAULT, or -EOVERFLOW when @pos
 * is (or, by the end of the copy, became) older than the window.
 */
ssize_t vcache_live_read(struct vcache_video *v, loff_t pos, struct iov_iter *to)
{
	size_t count = iov_iter_count(to), done;
	bool live = vcache_state(v) == VCACHE_STATE_LIVE;
	u64 head = vcache_size(v);

	if (pos < vcache_live_tail(v, head))
		return vcache_live_behind(v);
	if (!count || pos >= head)
		return 0;
	count = min_t(u64, count, head - pos);
	done = vcache_copy_to_iter(v, pos, count, to);
	/* Pairs with the barrier in vcache_live_publish(). */
	smp_rmb();
	/*
	 * The stream ended during the copy, which may have read a page that
	 * the end replaced (vcache_live_close()): copy again, from the final
	 * pages. A read that sees the end sees only the final bytes.
	 */
	if (live && vcache_state(v) != VCACHE_STATE_LIVE) {
		iov_iter_revert(to, done);
		done = vcache_copy_to_iter(v, pos, count, to);
	}
	if (pos < vcache_live_tail(v, READ_ONCE(v->size)))
		return vcache_live_behind(v);
	if (!done)
		return -EFAULT;
	vcache_count_served(v, done);
	vcache_touch(v);
	return done;
}

/*
 * Appends to a live stream at its head, a zone's worth at a time, each
 * published before the next. The ring is whole: @how never allocates.
 * Returns the bytes written, or an error if none was; v->lock held.
 */
static ssize_t vcache_live_write(struct vcache_video *v, struct iov_iter *from,
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

/**
 * vcache_live_write_iter() - write_iter of a live stream's descriptor
 * @v: the stream
 * @iocb: the request; the bytes land at the head, whatever its offset
 * @from: the bytes
 *
 * Context: process context, may sleep (not for IOCB_NOWAIT); takes v->lock,
 * under which the fault of @from takes mmap_lock.
 * Return: the bytes written, or an error (-EPERM once ended, -EAGAIN,
 * -ERESTARTSYS, -EFAULT).
 */
ssize_t vcache_live_write_iter(struct vcache_video *v, struct kiocb *iocb,
			       struct iov_iter *from)
{
	ssize_t ret = vcache_write_lock(v, iocb);

	if (ret)
		return ret;
	ret = -EPERM;
	if (v->state == VCACHE_STATE_LIVE) {
		ret = vcache_live_write(v, from, vcache_write_how(iocb));
		if (ret > 0)
			iocb->ki_pos = v->size;
	}
	mutex_unlock(&v->lock);
	return ret;
}

/**
 * vcache_live_llseek() - llseek of a live stream's descriptor
 * @v: the stream
 * @file: the descriptor
 * @offset: as llseek(2)
 * @whence: as llseek(2)
 *
 * A live stream's offsets grow for as long as it runs, past its ring.
 *
 * Context: process context; takes no vcache lock.
 * Return: the new offset, or an error.
 */
loff_t vcache_live_llseek(struct vcache_video *v, struct file *file,
			  loff_t offset, int whence)
{
	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE,
					vcache_size(v));
}

/**
 * vcache_live_commit() - COMMIT: publish bytes landed through the mapping
 * @v: the stream
 * @head: the new head
 *
 * Context: process context, may sleep; takes v->lock.
 * Return: 0, -EPERM once ended, or -EINVAL for a head behind or beyond the
 * landing zone.
 */
int vcache_live_commit(struct vcache_video *v, u64 head)
{
	int err = -EPERM;

	mutex_lock(&v->lock);
	if (v->state == VCACHE_STATE_LIVE) {
		err = head < v->size || head - v->size > v->zone ? -EINVAL : 0;
		if (!err && head > v->size)
			vcache_live_publish(v, head);
	}
	mutex_unlock(&v->lock);
	return err;
}

/**
 * vcache_live_end() - end a live stream (SEAL, or the writer's close)
 * @v: the stream
 *
 * The caller sends VCACHE_EVENT_LIVE_ENDED when this returns true, once it
 * dropped its locks.
 *
 * Context: process context, does not sleep; v->lock held, and v->map_lock
 * too from SEAL (the writer's close needs not: no writable mapping can come).
 * Return: true if the stream ended now, false if it had ended already.
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
 * Replaces each ring page that something beyond the cache and its page
 * tables still holds by a copy of it; v->lock held, the writer gone.
 *
 * The writer's close ends the stream and cannot be refused, yet a ring page
 * pinned through the writer's mapping outlives the mapping and the close
 * (io_uring fixed buffers, O_DIRECT or process_vm_writev(2) under way, any
 * get_user_pages() user), and its holder can write it at any time. Nothing
 * makes a pin go away, so the pinned page leaves the stream instead: the
 * final window is the copy, taken now, and the old page belongs to its
 * pinner. Copying the whole ring would do too, at the cost of a ring per
 * ended stream; only held pages are copied, which is none at all for a
 * writer that does not pin.
 *
 * The viewers' page tables may map the old pages: they are zapped (all the
 * device's mappings of the data area's offsets in @mapping, the one
 * address_space every descriptor shares; other streams' mappings at those offsets just fault
 * again) under ring_lock, which the ring's faults take, so that no fault
 * maps an old page afterwards. A read(2) that copied from an old page
 * copies again once it sees the end (vcache_live_read()). The old pages
 * stay in v->retired until the video is freed: readers use v->pages'
 * pages without a reference.
 *
 * The copies are charged to the cache like the ring (evicting if need be)
 * and to the closing task's memory cgroup; they may not fail, or the end
 * would break its promise, so past the cache's limit they are charged
 * anyway (vcache_mem_charge_over()). That is at most one ring per stream,
 * once, and only for pages someone pinned.
 */
static void vcache_live_copy_held(struct vcache_video *v,
				  struct address_space *mapping)
{
	bool locked = false;
	unsigned long i;

	lockdep_assert_held(&v->lock);
	for (i = 0; i < v->nr_pages; i++) {
		struct page *old = v->pages[i], *copy;

		if (!vcache_page_held(old))
			continue;
		vcache_mem_charge_over(1);
		copy = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NOFAIL);
		atomic_long_inc(&v->mem_pages);
		if (!locked) {
			down_write(&v->ring_lock);
			locked = true;
		}
		/* What the holder wrote up to now is part of the stream. */
		copy_highpage(copy, old);
		/* Pairs with vcache_video_page(): readers see the copy whole. */
		smp_store_release(&v->pages[i], copy);
		list_add_tail(&old->lru, &v->retired);
	}
	if (!locked)
		return;
	unmap_mapping_range(mapping,
			    (loff_t)VCACHE_LIVE_DATA_PGOFF << PAGE_SHIFT,
			    (loff_t)(2 * v->nr_pages) << PAGE_SHIFT, 0);
	up_write(&v->ring_lock);
}

/**
 * vcache_live_close() - end a live stream at its writer's close
 * @v: the stream
 * @mapping: the address_space of the device's mappings (the closing
 *           descriptor's, which every descriptor shares)
 *
 * Unlike SEAL, the close cannot refuse to end the stream while a ring page
 * is held from outside: such pages are replaced by copies first, so the
 * window stays final whatever their holder writes afterwards.
 *
 * Context: process context, may sleep; takes v->lock.
 * Return: true if the stream ended now (see vcache_live_end()).
 */
bool vcache_live_close(struct vcache_video *v, struct address_space *mapping)
{
	bool ended = false;

	mutex_lock(&v->lock);
	if (v->state == VCACHE_STATE_LIVE) {
		vcache_live_copy_held(v, mapping);
		ended = vcache_live_end(v);
	}
	mutex_unlock(&v->lock);
	return ended;
}

/**
 * vcache_live_map_limit() - what mmap(2) of a live stream may map
 * @v: the stream
 * @file: the descriptor being mapped
 * @vma: the new mapping
 * @read_only: set when the mapping may not write
 *
 * The control page, then the ring twice in a row. Only the ring may be
 * written, only through the writer's descriptor, and only while the stream
 * is live.
 *
 * Context: process context, mmap_lock held; v->map_lock held (against SEAL).
 * Return: the page offset the mapping must end at or before.
 */
unsigned long vcache_live_map_limit(struct vcache_video *v, struct file *file,
				    struct vm_area_struct *vma, bool *read_only)
{
	lockdep_assert_held(&v->map_lock);
	*read_only = vma->vm_pgoff < VCACHE_LIVE_DATA_PGOFF ||
		     !(file->f_mode & FMODE_WRITE) ||
		     READ_ONCE(v->state) != VCACHE_STATE_LIVE;
	return VCACHE_LIVE_DATA_PGOFF + 2 * v->nr_pages;
}

/*
 * The pages at @pgoff of the mmap layout, and in *@run how many of them
 * are contiguous there: the control page alone, or a run of the ring up to
 * its wrap. v->ring_lock held (the end replaces ring pages).
 */
static struct page **vcache_live_map_pages(struct vcache_video *v,
					   unsigned long pgoff,
					   unsigned long *run)
{
	unsigned long idx;

	lockdep_assert_held(&v->ring_lock);
	if (pgoff < VCACHE_LIVE_DATA_PGOFF) {
		*run = 1;
		return &v->ctrl;
	}
	idx = (pgoff - VCACHE_LIVE_DATA_PGOFF) % v->nr_pages;
	*run = v->nr_pages - idx;
	return &v->pages[idx];
}

/**
 * vcache_live_fault() - fault of a live stream's mapping
 * @vmf: the fault
 *
 * All a ring's pages exist: maps the run from the faulting page up to the
 * ring's wrap, at most VCACHE_FAULT_BATCH pages and the mapping's end.
 *
 * Context: page fault; takes v->ring_lock for reading, against the end
 * replacing ring pages (vcache_live_close()).
 * Return: VM_FAULT_NOPAGE, or an error.
 */
vm_fault_t vcache_live_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vcache_video *v = vma->vm_private_data;
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long left = min((vma->vm_end - addr) >> PAGE_SHIFT,
				 VCACHE_FAULT_BATCH), n;
	struct page **pages;
	int err;

	down_read(&v->ring_lock);
	pages = vcache_live_map_pages(v, vmf->pgoff, &n);
	n = min(n, left);
	err = vm_insert_pages(vma, addr, pages, &n);
	up_read(&v->ring_lock);
	/* -EBUSY: a racing fault mapped the first page already. */
	if (err && err != -EBUSY)
		return vmf_error(err);
	vcache_touch(v);
	return VM_FAULT_NOPAGE;
}
