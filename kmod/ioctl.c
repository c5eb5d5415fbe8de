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

/* Binds @file to @v, consuming the caller's reference to @v. */
static int vcache_bind(struct file *file, struct vcache_video *v, u32 flags)
{
	struct vcache_file *vf = file->private_data;

	if (file->f_mode & FMODE_WRITE) {
		/* A live stream has one writer: the descriptor that made it. */
		if (v->live && atomic_cmpxchg(&v->writers, 0, 1)) {
			vcache_video_put(v);
			return -EBUSY;
		}
		if (!v->live)
			atomic_inc(&v->writers);
	}
	vf->flags = flags;
	atomic_inc(&v->opens);
	/* Pairs with vcache_file_video(). */
	smp_store_release(&vf->video, v);
	return 0;
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
	if ((req.flags & ~VCACHE_CREATE_LIVE) || req.__pad ||
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
	v = vcache_video_alloc(&req);
	if (IS_ERR(v)) {
		err = PTR_ERR(v);
		goto out;
	}
	err = vcache_registry_add(v);
	if (err) {
		vcache_video_put(v);
		goto out;
	}
	err = vcache_bind(file, v, 0);
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
	err = v ? vcache_bind(file, v, req.flags) : -ENOENT;
out:
	mutex_unlock(&vf->bind_lock);
	return err;
}

static long vcache_ioc_seal(struct file *file, unsigned long arg)
{
	struct vcache_video *v = vcache_file_video(file);
	bool sealed = false, ended = false;
	int err = 0;

	if (arg)
		return -EINVAL;
	if (!v)
		return -EBADFD;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	mutex_lock(&v->lock);
	if (v->live) {
		ended = vcache_live_end(v);
	} else if (v->state == VCACHE_STATE_LOADING) {
		/* A writable mapping could change the data after the seal. */
		spin_lock(&v->map_lock);
		if (atomic_read(&v->wmaps)) {
			err = -EBUSY;
		} else {
			WRITE_ONCE(v->seal_time, ktime_get_real_ns());
			/* Pairs with vcache_state(): the index is final. */
			smp_store_release(&v->state, VCACHE_STATE_SEALED);
			sealed = true;
		}
		spin_unlock(&v->map_lock);
		if (sealed)
			vcache_wake(v);
	}
	mutex_unlock(&v->lock);
	/* Only the seal itself is news: sealing again changes nothing. */
	if (sealed)
		vcache_nl_event(VCACHE_EVENT_SEALED, v);
	if (ended)
		vcache_nl_event(VCACHE_EVENT_LIVE_ENDED, v);
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
	mutex_lock(&v->lock);
	if (v->live) {
		err = v->state == VCACHE_STATE_LIVE ?
		      vcache_live_commit(v, req.size) : -EPERM;
	} else if (v->state != VCACHE_STATE_LOADING) {
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

static long vcache_ioc_stats(void __user *argp)
{
	struct vcache_stats st;

	vcache_stats_fill(&st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

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
	case VCACHE_IOC_COMMIT:
		return vcache_ioc_commit(file, argp);
	case VCACHE_IOC_STATS:
		return vcache_ioc_stats(argp);
	case VCACHE_IOC_INDEX_APPEND:
		return vcache_ioc_index_append(file, argp);
	case VCACHE_IOC_LOOKUP:
		return vcache_ioc_lookup(file, argp);
	default:
		return -ENOTTY;
	}
}
