// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl interface: one handler per command, all arguments validated in
 * full before anything changes.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <vcache/name.h>
#include "netlink.h"
#include "vcache.h"

static bool vcache_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static bool vcache_name_ok(const char *name)
{
	return vcache_name_check(name, VCACHE_NAME_MAX) != 0;
}

static bool vcache_fps_ok(u32 num, u32 den)
{
	/*
	 * 1 to 1000 frames a second, num and den at most 10^6 so that the
	 * timecode arithmetic cannot overflow.
	 */
	return den && num >= den && num <= 1000ULL * den &&
	       num <= 1000000 && den <= 1000000;
}

/*
 * Counts @file among @v's users, as a writer too if it may write, before
 * vcache_bind() makes it visible. A live stream has one writer, the
 * descriptor that @created it: a writable OPEN of a live stream is EBUSY,
 * whether its writer is still there or the stream ended. Under the
 * descriptor's bind_lock, as vcache_bind() that follows.
 */
static int vcache_claim(struct file *file, struct vcache_video *v, bool created)
{
	struct vcache_file *vf = file->private_data;

	lockdep_assert_held(&vf->bind_lock);
	if (file->f_mode & FMODE_WRITE) {
		if (v->live && !created)
			return -EBUSY;
		atomic_inc(&v->writers);
	}
	atomic_inc(&v->opens);
	return 0;
}

/* Binds @file to @v, claimed, consuming the caller's reference to @v. */
static void vcache_bind(struct file *file, struct vcache_video *v, u32 flags)
{
	struct vcache_file *vf = file->private_data;

	lockdep_assert_held(&vf->bind_lock);
	vf->flags = flags;
	/* Pairs with vcache_file_video(). */
	smp_store_release(&vf->video, v);
}

static long vcache_ioc_create(struct file *file, void __user *argp)
{
	struct vcache_file *vf = file->private_data;
	struct vcache_create req;
	struct vcache_video *v;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~VCACHE_CREATE_FLAGS) ||
	    req.__pad ||
	    !vcache_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (!vcache_name_ok(req.name) || !req.capacity ||
	    !vcache_fps_ok(req.fps_num, req.fps_den))
		return -EINVAL;
	/* A ring needs room for a window and a landing zone. */
	if ((req.flags & VCACHE_CREATE_LIVE) && req.capacity < 4 * PAGE_SIZE)
		return -EINVAL;

	mutex_lock(&vf->bind_lock);
	if (vf->video) {
		err = -EBUSY;
		goto out;
	}
	if (req.flags & VCACHE_CREATE_LIVE)
		v = vcache_live_alloc(&req);
	else
		v = vcache_video_alloc(&req);
	if (IS_ERR(v)) {
		err = PTR_ERR(v);
		goto out;
	}
	/*
	 * Counted before the name is published: an OPEN for writing that
	 * finds the name at once must not take a live stream's writer slot,
	 * and an OPEN and close must not leave the new video looking
	 * abandoned (no user while LOADING), which would delete it.
	 */
	err = vcache_claim(file, v, true);
	if (!err)
		err = vcache_registry_add(v);
	if (err) {
		/* Never visible: nothing else counted on it. */
		vcache_video_put(v);
		goto out;
	}
	vcache_bind(file, v, 0);
out:
	mutex_unlock(&vf->bind_lock);
	/* Bound: the event shows the writer among the stream's users. */
	if (!err && (req.flags & VCACHE_CREATE_LIVE))
		vcache_nl_event(VCACHE_EVENT_LIVE_STARTED, vf->video);
	return err;
}

static long vcache_ioc_open(struct file *file, void __user *argp)
{
	struct vcache_file *vf = file->private_data;
	struct vcache_open req;
	struct vcache_video *v;
	int err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~VCACHE_OPEN_FOLLOW) || req.__pad ||
	    !vcache_zeroed(req.reserved, sizeof(req.reserved)) ||
	    !vcache_name_ok(req.name))
		return -EINVAL;

	mutex_lock(&vf->bind_lock);
	if (vf->video) {
		err = -EBUSY;
		goto out;
	}
	v = vcache_registry_lookup(req.name);
	if (!v) {
		err = -ENOENT;
		goto out;
	}
	err = vcache_claim(file, v, false);
	if (err)
		vcache_video_put(v);
	else
		vcache_bind(file, v, req.flags);
out:
	mutex_unlock(&vf->bind_lock);
	return err;
}

/*
 * Ends writing to @v for good (SEAL of a video, end of a live stream) if
 * nobody can write to its pages any more: no writable mapping, and no page
 * held from outside by a mapping that may be gone already (pinned for DMA,
 * O_DIRECT, io_uring fixed buffers). @end makes the change under map_lock,
 * where new writable mappings look at the state. Returns -EBUSY otherwise.
 */
static int vcache_seal_locked(struct vcache_video *v,
			      bool (*end)(struct vcache_video *v))
{
	unsigned int gen;
	bool busy;

	lockdep_assert_held(&v->lock);
	spin_lock(&v->map_lock);
	busy = atomic_read(&v->wmaps);
	gen = v->wmap_gen;
	spin_unlock(&v->map_lock);
	/* Outside the spinlock: a long video has many pages to look at. */
	if (busy || vcache_video_pages_held(v))
		return -EBUSY;
	spin_lock(&v->map_lock);
	/* No writable mapping came (and maybe went) while we looked. */
	busy = atomic_read(&v->wmaps) || gen != v->wmap_gen;
	if (!busy)
		busy = !end(v);
	spin_unlock(&v->map_lock);
	return busy ? -EBUSY : 0;
}

/* SEAL of a video: the end callback of vcache_seal_locked(), under map_lock. */
static bool vcache_seal_vod(struct vcache_video *v)
{
	lockdep_assert_held(&v->lock);
	lockdep_assert_held(&v->map_lock);
	WRITE_ONCE(v->seal_time, ktime_get_real_ns());
	/* Pairs with vcache_state(): the index is final. */
	smp_store_release(&v->state, VCACHE_STATE_SEALED);
	vcache_wake(v);
	return true;
}

static long vcache_ioc_seal(struct file *file, unsigned long arg)
{
	struct vcache_video *v = vcache_file_video(file);
	u32 state;
	int err = 0;

	if (arg)
		return -EINVAL;
	if (!v)
		return -EBADFD;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	mutex_lock(&v->lock);
	state = v->state;
	/* Only the seal itself is news: sealing again changes nothing. */
	if (state == VCACHE_STATE_LIVE)
		err = vcache_seal_locked(v, vcache_live_end);
	else if (state == VCACHE_STATE_LOADING)
		err = vcache_seal_locked(v, vcache_seal_vod);
	mutex_unlock(&v->lock);
	if (!err && state == VCACHE_STATE_LIVE)
		vcache_nl_event(VCACHE_EVENT_LIVE_ENDED, v);
	if (!err && state == VCACHE_STATE_LOADING)
		vcache_nl_event(VCACHE_EVENT_SEALED, v);
	return err;
}

static long vcache_ioc_info(struct file *file, void __user *argp)
{
	struct vcache_video *v = vcache_file_video(file);
	struct vcache_info info;

	if (!v)
		return -EBADFD;
	vcache_video_info(v, &info);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vcache_ioc_delete(struct file *file, void __user *argp)
{
	struct vcache_delete req;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.__pad || !vcache_zeroed(req.reserved, sizeof(req.reserved)) ||
	    !vcache_name_ok(req.name))
		return -EINVAL;
	return vcache_registry_delete(req.name);
}

/* Anyone who may delete a video may keep it: a writable descriptor. */
static long vcache_ioc_pin(struct file *file, unsigned long arg)
{
	struct vcache_video *v = vcache_file_video(file);

	if (arg > 1)
		return -EINVAL;
	if (!v)
		return -EBADFD;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	vcache_registry_pin(v, arg);
	return 0;
}

static long vcache_ioc_commit(struct file *file, void __user *argp)
{
	struct vcache_video *v = vcache_file_video(file);
	struct vcache_commit req;
	int err = 0;

	if (!v)
		return -EBADFD;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.__pad || !vcache_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (v->live)
		return vcache_live_commit(v, req.size);
	mutex_lock(&v->lock);
	if (v->state != VCACHE_STATE_LOADING) {
		err = -EPERM;
	} else if (req.size > v->capacity) {
		err = -EFBIG;
	} else if (req.size > v->size) {
		vcache_set_size(v, req.size);
		vcache_wake(v);
	}
	mutex_unlock(&v->lock);
	return err;
}

static long vcache_ioc_index_append(struct file *file, void __user *argp)
{
	struct vcache_video *v = vcache_file_video(file);
	struct vcache_index_append req;

	if (!v)
		return -EBADFD;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || !vcache_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	return vcache_index_append(v, &req);
}

static long vcache_ioc_lookup(struct file *file, void __user *argp)
{
	struct vcache_video *v = vcache_file_video(file);
	struct vcache_lookup req;
	int err;

	if (!v)
		return -EBADFD;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~VCACHE_LOOKUP_DROP_FRAME) || req.__pad || req.__pad2 ||
	    !vcache_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	/* Outputs start from zero: nothing stale or uninitialised goes back. */
	req.frame = 0;
	req.key_pts = 0;
	req.key_offset = 0;
	req.key_frame = 0;
	memset(&req.key_tc, 0, sizeof(req.key_tc));
	err = vcache_index_lookup(v, &req);
	if (err)
		return err;
	return copy_to_user(argp, &req, sizeof(req)) ? -EFAULT : 0;
}

static long vcache_ioc_index_read(struct file *file, void __user *argp)
{
	struct vcache_video *v = vcache_file_video(file);
	struct vcache_index_read req;
	int err;

	if (!v)
		return -EBADFD;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~VCACHE_INDEX_READ_KEYS) || req.__pad ||
	    !vcache_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	/* Outputs start from zero: nothing stale or uninitialised goes back. */
	req.count = 0;
	req.first = 0;
	req.end = 0;
	req.next = 0;
	err = vcache_index_read(v, &req);
	if (err)
		return err;
	return copy_to_user(argp, &req, sizeof(req)) ? -EFAULT : 0;
}

static long vcache_ioc_stats(void __user *argp)
{
	struct vcache_stats st;

	vcache_stats_fill(&st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

/**
 * vcache_ioctl() - the ioctls of a descriptor
 * @file: the descriptor
 * @cmd: VCACHE_IOC_*
 * @arg: its argument
 *
 * Context: process context, may sleep; each command takes its own locks
 * (CREATE and OPEN the descriptor's bind_lock, SEAL and COMMIT v->lock).
 * Return: 0 or what the command returns, -ENOTTY for an unknown one.
 */
long vcache_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VCACHE_IOC_CREATE:
		return vcache_ioc_create(file, argp);
	case VCACHE_IOC_OPEN:
		return vcache_ioc_open(file, argp);
	case VCACHE_IOC_SEAL:
		return vcache_ioc_seal(file, arg);
	case VCACHE_IOC_INFO:
		return vcache_ioc_info(file, argp);
	case VCACHE_IOC_DELETE:
		return vcache_ioc_delete(file, argp);
	case VCACHE_IOC_PIN:
		return vcache_ioc_pin(file, arg);
	case VCACHE_IOC_COMMIT:
		return vcache_ioc_commit(file, argp);
	case VCACHE_IOC_STATS:
		return vcache_ioc_stats(argp);
	case VCACHE_IOC_INDEX_APPEND:
		return vcache_ioc_index_append(file, argp);
	case VCACHE_IOC_LOOKUP:
		return vcache_ioc_lookup(file, argp);
	case VCACHE_IOC_INDEX_READ:
		return vcache_ioc_index_read(file, argp);
	default:
		return -ENOTTY;
	}
}
