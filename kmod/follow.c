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
 * poll() uses the same single wait queue, so IOCB_CMD_POLL works.
 */
#include <linux/aio.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include "vcache.h"

struct vcache_aio {
	struct kiocb *iocb;
	struct vcache_video *v;
	struct list_head node;		/* on v->aio_waiting, v->aio_lock */
	struct work_struct work;
	struct iov_iter iter;		/* the submitter's buffers */
	const void *iov;		/* dup_iter's copy of the iovecs */
	struct mm_struct *mm;
	loff_t pos;
	bool cancelled;			/* v->aio_lock */
};

static struct workqueue_struct *vcache_aio_wq;
static atomic64_t vcache_aio_queued = ATOMIC64_INIT(0);
static atomic64_t vcache_aio_completed = ATOMIC64_INIT(0);
static atomic64_t vcache_aio_cancelled = ATOMIC64_INIT(0);

/* More data can still arrive: loading, and someone can still write. */
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

/*
 * Called after the size grew, the video was sealed, or its last writer
 * went: wakes sleeping readers and hands ready AIO reads to the workqueue.
 */
void vcache_wake(struct vcache_video *v)
{
	struct vcache_aio *req, *tmp;
	unsigned long flags;

	wake_up_interruptible_all(&v->wq);
	spin_lock_irqsave(&v->aio_lock, flags);
	list_for_each_entry_safe(req, tmp, &v->aio_waiting, node) {
		if (!vcache_data_ready(v, req->pos))
			continue;
		list_del_init(&req->node);
		queue_work(vcache_aio_wq, &req->work);
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

static int vcache_aio_cancel(struct kiocb *iocb)
{
	struct vcache_aio *req = iocb->private;
	struct vcache_video *v = req->v;
	unsigned long flags;

	spin_lock_irqsave(&v->aio_lock, flags);
	if (!list_empty(&req->node)) {
		list_del_init(&req->node);
		req->cancelled = true;
		queue_work(vcache_aio_wq, &req->work);
	}
	spin_unlock_irqrestore(&v->aio_lock, flags);
	return 0;
}

/*
 * Queues an AIO read at @pos that has to wait. Returns -EIOCBQUEUED, or 1
 * if the data arrived meanwhile and the caller should read at once.
 */
static ssize_t vcache_aio_queue(struct vcache_video *v, struct kiocb *iocb,
				struct iov_iter *to, loff_t pos)
{
	struct vcache_aio *req;
	unsigned long flags;
	bool ready;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	/* ITER_UBUF needs no copy, and dup_iter() returns NULL for it. */
	req->iov = dup_iter(&req->iter, to, GFP_KERNEL);
	if (!req->iov && !iter_is_ubuf(to)) {
		kfree(req);
		return -ENOMEM;
	}
	req->iocb = iocb;
	req->v = v;
	req->pos = pos;
	req->mm = current->mm;
	mmgrab(req->mm);
	INIT_LIST_HEAD(&req->node);
	INIT_WORK(&req->work, vcache_aio_work);

	/* Before the request is visible to writers, who may complete it. */
	iocb->private = req;
	kiocb_set_cancel_fn(iocb, vcache_aio_cancel);

	spin_lock_irqsave(&v->aio_lock, flags);
	ready = vcache_data_ready(v, pos);
	if (!ready)
		list_add_tail(&req->node, &v->aio_waiting);
	spin_unlock_irqrestore(&v->aio_lock, flags);
	if (ready) {
		mmdrop(req->mm);
		kfree(req->iov);
		kfree(req);
		return 1;
	}
	atomic64_inc(&vcache_aio_queued);
	return -EIOCBQUEUED;
}

/* Sleeps until a read at @pos can complete: 0, -EAGAIN or -ERESTARTSYS. */
int vcache_wait_ready(struct vcache_video *v, loff_t pos, bool nonblock)
{
	if (vcache_data_ready(v, pos))
		return 0;
	if (nonblock)
		return -EAGAIN;
	return wait_event_interruptible(v->wq, vcache_data_ready(v, pos));
}

/*
 * Waits, as the request allows, until a read at @pos can complete.
 * Returns 0 when it can, -EIOCBQUEUED when an AIO read was queued, or an
 * error (-EAGAIN for non-blocking requests).
 */
ssize_t vcache_wait_data(struct vcache_video *v, struct kiocb *iocb,
			 struct iov_iter *to, loff_t pos)
{
	bool nonblock = (iocb->ki_flags & IOCB_NOWAIT) ||
			(iocb->ki_filp->f_flags & O_NONBLOCK);
	ssize_t ret;

	if (!nonblock && !is_sync_kiocb(iocb) && !vcache_data_ready(v, pos)) {
		ret = vcache_aio_queue(v, iocb, to, pos);
		return ret == 1 ? 0 : ret;
	}
	return vcache_wait_ready(v, pos, nonblock);
}

__poll_t vcache_poll(struct file *file, poll_table *pt)
{
	struct vcache_file *vf = file->private_data;
	struct vcache_video *v = vcache_file_video(file);
	loff_t pos = READ_ONCE(file->f_pos);
	__poll_t mask = 0;
	bool follow;
	u32 state;

	if (!v)
		return EPOLLERR;
	poll_wait(file, &v->wq, pt);
	follow = (vf->flags & VCACHE_OPEN_FOLLOW) || v->live;
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

void vcache_aio_stats(struct vcache_stats *st)
{
	st->aio_queued = atomic64_read(&vcache_aio_queued);
	st->aio_completed = atomic64_read(&vcache_aio_completed);
	st->aio_cancelled = atomic64_read(&vcache_aio_cancelled);
}

int vcache_follow_init(void)
{
	vcache_aio_wq = alloc_workqueue("vcache_aio", WQ_UNBOUND, 0);
	return vcache_aio_wq ? 0 : -ENOMEM;
}

void vcache_follow_exit(void)
{
	destroy_workqueue(vcache_aio_wq);
}
