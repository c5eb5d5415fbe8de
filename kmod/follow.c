// SPDX-License-Identifier: GPL-2.0
/*
 * Readers that wait for data: FOLLOW descriptors of a video still loading.
 *
 * A plain read(2) sleeps on the video's wait queue. An AIO read cannot
 * sleep in read_iter: it is queued on the video and completed from a
 * workqueue once a writer brings the data (or the video can no longer grow),
 * copying into the submitter's buffer under kthread_use_mm(), as f_fs does.
 * io_cancel() takes a queued read off the queue; its completion is deferred
 * to the workqueue too, because the cancel callback runs under the AIO
 * context's lock, which completion takes as well.
 *
 * Once a read is cancellable it completes only through the workqueue, even
 * if its data arrived while it was being queued: io_cancel() may call the
 * cancel callback until the completion, so the request must live until
 * then. Only kernel AIO is queued (IOCB_AIO_RW): kiocb_set_cancel_fn()
 * ignores other kiocbs, io_uring's, which therefore wait in io_uring's own
 * poll of the descriptor or in its io-wq worker, interruptibly, where
 * io_uring can cancel them.
 *
 * Queued reads wait in a tree ordered by position, so that a writer's
 * publish (with interrupts off, under aio_lock) looks only at the reads its
 * bytes made ready, never at those further on; and a descriptor may have
 * at most VCACHE_AIO_MAX_QUEUED of them (one more completes at once with
 * -EAGAIN), each charged to the submitter's memory cgroup.
 *
 * poll() uses the same single wait queue, so IOCB_CMD_POLL works.
 */
#include <linux/aio.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include "vcache.h"

/* Where a queued read is; v->aio_lock. */
enum vcache_aio_state {
	VCACHE_AIO_NEW,		/* cancellable, not yet on the queue */
	VCACHE_AIO_WAITING,	/* on v->aio_waiting */
	VCACHE_AIO_RUNNING,	/* handed to the workqueue */
};

struct vcache_aio {
	struct kiocb *iocb;
	struct vcache_video *v;
	struct rb_node node;		/* in v->aio_waiting, v->aio_lock */
	struct vcache_file *vf;		/* counts it in aio_queued */
	struct work_struct work;
	struct iov_iter iter;		/* the submitter's buffers */
	const void *iov;		/* dup_iter's copy of the iovecs */
	struct mm_struct *mm;
	loff_t pos;
	enum vcache_aio_state state;	/* v->aio_lock */
	bool cancelled;			/* v->aio_lock, then the work's */
};

static struct workqueue_struct *vcache_aio_wq;
static atomic64_t vcache_aio_queued = ATOMIC64_INIT(0);
static atomic64_t vcache_aio_completed = ATOMIC64_INIT(0);
static atomic64_t vcache_aio_cancelled = ATOMIC64_INIT(0);

/**
 * vcache_may_grow() - whether more data can still arrive
 * @v: the video
 *
 * Loading, and someone can still write: a writer descriptor or a writable
 * mapping. A live stream grows while its writer is there.
 *
 * Context: any; takes no lock.
 * Return: true if a reader at the end should wait rather than see EOF.
 */
bool vcache_may_grow(struct vcache_video *v)
{
	u32 state = vcache_state(v);

	/* A live stream's writable mappings die with its writer's commits. */
	if (state == VCACHE_STATE_LIVE)
		return atomic_read(&v->writers);
	return state == VCACHE_STATE_LOADING &&
	       (atomic_read(&v->writers) || atomic_read(&v->wmaps));
}

/* A read at @pos can complete now: with data, or with end of file. */
static bool vcache_data_ready(struct vcache_video *v, loff_t pos)
{
	return pos < vcache_size(v) || !vcache_may_grow(v);
}

/* Hands @req to the workqueue, which completes it; v->aio_lock held. */
static void vcache_aio_run(struct vcache_aio *req)
{
	lockdep_assert_held(&req->v->aio_lock);
	req->state = VCACHE_AIO_RUNNING;
	queue_work(vcache_aio_wq, &req->work);
}

/**
 * vcache_wake() - tell waiting readers that something changed
 * @v: the video
 *
 * Called after the size grew, the video was sealed, or its last writer
 * went: wakes sleeping readers and hands ready AIO reads to the workqueue.
 *
 * Context: process context, any of v->lock, map_lock or mmap_lock may be
 * held; takes v->wq's lock and v->aio_lock (IRQs off), one after the other.
 */
void vcache_wake(struct vcache_video *v)
{
	struct vcache_aio *req;
	struct rb_node *node;
	unsigned long flags;

	wake_up_interruptible_all(&v->wq);
	spin_lock_irqsave(&v->aio_lock, flags);
	while ((node = rb_first_cached(&v->aio_waiting))) {
		req = rb_entry(node, struct vcache_aio, node);
		/* In order of position: the rest waits for more. */
		if (!vcache_data_ready(v, req->pos))
			break;
		rb_erase_cached(node, &v->aio_waiting);
		vcache_aio_run(req);
	}
	spin_unlock_irqrestore(&v->aio_lock, flags);
}

static void vcache_aio_work(struct work_struct *work)
{
	struct vcache_aio *req = container_of(work, struct vcache_aio, work);
	struct kiocb *iocb = req->iocb;
	bool have_mm = false;
	ssize_t ret;

	if (req->cancelled) {
		ret = -ECANCELED;
		atomic64_inc(&vcache_aio_cancelled);
	} else if (!mmget_not_zero(req->mm)) {
		/* The submitter's address space is being torn down. */
		ret = -EFAULT;
	} else {
		have_mm = true;
		kthread_use_mm(req->mm);
		ret = vcache_read_at(req->v, req->pos, &req->iter);
		kthread_unuse_mm(req->mm);
		atomic64_inc(&vcache_aio_completed);
	}
	atomic_dec(&req->vf->aio_queued);
	/*
	 * Complete before mmput(): if ours is the last reference, tearing
	 * the mm down waits for the AIO context's requests, ours included.
	 * The iocb pins the file, and so the video, until this call.
	 */
	iocb->ki_complete(iocb, ret);
	if (have_mm)
		mmput(req->mm);
	mmdrop(req->mm);
	kfree(req->iov);
	kfree(req);
}

static bool vcache_aio_before(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct vcache_aio, node)->pos <
	       rb_entry(b, struct vcache_aio, node)->pos;
}

/* Queues @req behind every read at its position or before; aio_lock held. */
static void vcache_aio_insert(struct vcache_video *v, struct vcache_aio *req)
{
	lockdep_assert_held(&v->aio_lock);
	rb_add_cached(&req->node, &v->aio_waiting, vcache_aio_before);
}

/*
 * io_cancel(), under the AIO context's lock: the request (iocb->private)
 * lives until its completion, which waits for that lock, so it is valid here.
 */
static int vcache_aio_cancel(struct kiocb *iocb)
{
	struct vcache_aio *req = iocb->private;
	struct vcache_video *v = req->v;
	unsigned long flags;

	spin_lock_irqsave(&v->aio_lock, flags);
	switch (req->state) {
	case VCACHE_AIO_NEW:
		/* Being queued: vcache_aio_queue() sees the flag. */
		req->cancelled = true;
		break;
	case VCACHE_AIO_WAITING:
		rb_erase_cached(&req->node, &v->aio_waiting);
		req->cancelled = true;
		vcache_aio_run(req);
		break;
	case VCACHE_AIO_RUNNING:
		/* Too late: the read completes as it is. */
		break;
	}
	spin_unlock_irqrestore(&v->aio_lock, flags);
	return 0;
}

/*
 * Queues an AIO read at @pos that has to wait. Returns -EIOCBQUEUED: from
 * the moment it is cancellable, the request completes through the
 * workqueue, whether its data arrives meanwhile or it is cancelled first.
 */
static ssize_t vcache_aio_queue(struct vcache_video *v, struct kiocb *iocb,
				struct iov_iter *to, loff_t pos)
{
	struct vcache_file *vf = iocb->ki_filp->private_data;
	struct vcache_aio *req;
	unsigned long flags;

	if (atomic_inc_return(&vf->aio_queued) > VCACHE_AIO_MAX_QUEUED) {
		atomic_dec(&vf->aio_queued);
		return -EAGAIN;
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		goto nomem;
	/* ITER_UBUF needs no copy, and dup_iter() returns NULL for it. */
	req->iov = dup_iter(&req->iter, to, GFP_KERNEL_ACCOUNT);
	if (!req->iov && !iter_is_ubuf(to)) {
		kfree(req);
		goto nomem;
	}
	req->vf = vf;
	req->iocb = iocb;
	req->v = v;
	req->pos = pos;
	req->mm = current->mm;
	mmgrab(req->mm);
	RB_CLEAR_NODE(&req->node);
	INIT_WORK(&req->work, vcache_aio_work);

	req->state = VCACHE_AIO_NEW;
	atomic64_inc(&vcache_aio_queued);

	/* Before the request is visible to io_cancel(). */
	iocb->private = req;
	kiocb_set_cancel_fn(iocb, vcache_aio_cancel);

	/* Not a field of @req after the unlock: it may be complete and gone. */
	spin_lock_irqsave(&v->aio_lock, flags);
	if (req->cancelled || vcache_data_ready(v, pos)) {
		vcache_aio_run(req);
	} else {
		req->state = VCACHE_AIO_WAITING;
		vcache_aio_insert(v, req);
	}
	spin_unlock_irqrestore(&v->aio_lock, flags);
	return -EIOCBQUEUED;

nomem:
	atomic_dec(&vf->aio_queued);
	return -ENOMEM;
}

/**
 * vcache_wait_ready() - sleep until a read at @pos can complete
 * @v: the video
 * @pos: where the read starts
 * @nonblock: fail with -EAGAIN rather than sleep
 *
 * Context: process context, may sleep; no vcache lock held.
 * Return: 0 when data or end of file is there, -EAGAIN, or -ERESTARTSYS.
 */
int vcache_wait_ready(struct vcache_video *v, loff_t pos, bool nonblock)
{
	if (vcache_data_ready(v, pos))
		return 0;
	if (nonblock)
		return -EAGAIN;
	return wait_event_interruptible(v->wq, vcache_data_ready(v, pos));
}

/**
 * vcache_wait_data() - wait, as the request allows, for data at @pos
 * @v: the video
 * @iocb: the read request
 * @to: its buffers, copied if the read is queued
 * @pos: where the read starts
 *
 * A kernel AIO read that has to wait is queued and completes from the
 * workqueue; other reads sleep, unless non-blocking.
 *
 * Context: process context, may sleep; no vcache lock held.
 * Return: 0 when the read can complete now, -EIOCBQUEUED when an AIO read
 * was queued, or an error (-EAGAIN for non-blocking requests).
 */
ssize_t vcache_wait_data(struct vcache_video *v, struct kiocb *iocb,
			 struct iov_iter *to, loff_t pos)
{
	bool nonblock = (iocb->ki_flags & IOCB_NOWAIT) ||
			(iocb->ki_filp->f_flags & O_NONBLOCK);

	if (!nonblock && (iocb->ki_flags & IOCB_AIO_RW) && !vcache_data_ready(v, pos))
		return vcache_aio_queue(v, iocb, to, pos);
	return vcache_wait_ready(v, pos, nonblock);
}

/**
 * vcache_poll() - poll of a descriptor
 * @file: the descriptor
 * @pt: the poll table
 *
 * Context: process context; takes no vcache lock.
 * Return: the events ready, EPOLLERR for an unbound descriptor.
 */
__poll_t vcache_poll(struct file *file, poll_table *pt)
{
	struct vcache_video *v = vcache_file_video(file);
	loff_t pos = READ_ONCE(file->f_pos);
	__poll_t mask = 0;
	bool follow;
	u32 state;

	if (!v)
		return EPOLLERR;
	poll_wait(file, &v->wq, pt);
	follow = vcache_follows(file, v);
	if (!follow || vcache_data_ready(v, pos))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (follow && !vcache_may_grow(v) && pos >= vcache_size(v))
		mask |= EPOLLHUP;
	state = vcache_state(v);
	if ((file->f_mode & FMODE_WRITE) &&
	    (state == VCACHE_STATE_LOADING || state == VCACHE_STATE_LIVE))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/**
 * vcache_aio_stats() - fill in the AIO counters
 * @st: the statistics being filled
 *
 * Context: any.
 */
void vcache_aio_stats(struct vcache_stats *st)
{
	st->aio_queued = atomic64_read(&vcache_aio_queued);
	st->aio_completed = atomic64_read(&vcache_aio_completed);
	st->aio_cancelled = atomic64_read(&vcache_aio_cancelled);
}

/**
 * vcache_follow_init() - create the workqueue that completes AIO reads
 *
 * Context: module init.
 * Return: 0, or -ENOMEM.
 */
int vcache_follow_init(void)
{
	vcache_aio_wq = alloc_workqueue("vcache_aio", WQ_UNBOUND, 0);
	return vcache_aio_wq ? 0 : -ENOMEM;
}

/**
 * vcache_follow_exit() - destroy the AIO workqueue, completing what it holds
 *
 * Context: module exit, process context, may sleep.
 */
void vcache_follow_exit(void)
{
	destroy_workqueue(vcache_aio_wq);
}
