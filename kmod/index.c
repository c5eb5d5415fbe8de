// SPDX-License-Identifier: GPL-2.0
/*
 * The keyframe index and LOOKUP: timecode, time or byte offset to the
 * keyframe where playback can start.
 *
 * Entries are kept in one array sorted by time, and the positions of the
 * keyframes in a second one, so a lookup is one binary search over the
 * keyframes whatever the share of non-key entries. While a video loads, the
 * arrays grow (and move) under v->lock, which lookups then take too; once
 * sealed they are frozen and lookups take no lock at all.
 *
 * INDEX_READ copies entries out by absolute position, a small batch at a
 * time into a kernel buffer under v->lock and from there to userspace
 * without it: a reader whose buffer faults slowly (or never, through
 * userfaultfd) must not hold up the writer, and the arrays may move
 * between two batches.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <vcache/timecode.h>
#include "vcache.h"

static unsigned long vcache_index_pages(u32 cap)
{
	return DIV_ROUND_UP((size_t)cap * sizeof(struct vcache_index_entry), PAGE_SIZE) +
	       DIV_ROUND_UP((size_t)cap * sizeof(u32), PAGE_SIZE);
}

/* Makes room for @need entries; v->lock held. */
static int vcache_index_reserve(struct vcache_video *v, u32 need)
{
	struct vcache_index_entry *entries;
	unsigned long more;
	u32 cap, *keys;
	int err;

	lockdep_assert_held(&v->lock);
	if (need <= v->index_cap)
		return 0;
	cap = clamp_t(u32, 2 * v->index_cap, 1024, VCACHE_INDEX_MAX);
	cap = max(cap, need);
	more = vcache_index_pages(cap) - vcache_index_pages(v->index_cap);
	err = vcache_mem_charge(more);
	if (err)
		return err;
	/* At the memory cgroup's limit: ENOMEM, not the OOM killer. */
	entries = kvmalloc_array(cap, sizeof(*entries),
				 GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	keys = kvmalloc_array(cap, sizeof(*keys),
			      GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!entries || !keys) {
		kvfree(entries);
		kvfree(keys);
		vcache_mem_uncharge(more);
		return -ENOMEM;
	}
	if (v->index_count)
		memcpy(entries, v->index, v->index_count * sizeof(*entries));
	if (v->index_keys)
		memcpy(keys, v->index_key, v->index_keys * sizeof(*keys));
	kvfree(v->index);
	kvfree(v->index_key);
	v->index = entries;
	v->index_key = keys;
	v->index_cap = cap;
	atomic_long_add(more, &v->mem_pages);
	return 0;
}

/* Checks the @n entries at @first against the ones before; v->lock held. */
static int vcache_index_check(struct vcache_video *v, u32 first, u32 n)
{
	const struct vcache_index_entry *prev_key = NULL, *e;
	u64 prev_pts = 0, size = v->size;
	/* A live stream's entries must point into its window. */
	u64 low = v->live ? vcache_live_tail(v, size) : 0;
	u32 i;

	lockdep_assert_held(&v->lock);
	if (first)
		prev_pts = v->index[first - 1].pts;
	if (v->index_keys)
		prev_key = &v->index[v->index_key[v->index_keys - 1]];
	for (i = first; i < first + n; i++) {
		e = &v->index[i];
		if ((e->flags & ~VCACHE_INDEX_KEY) || e->__pad ||
		    e->offset >= size || e->offset < low || e->pts < prev_pts ||
		    e->pts > VCACHE_PTS_MAX)
			return -EINVAL;
		if (e->flags & VCACHE_INDEX_KEY) {
			if (prev_key && e->offset < prev_key->offset)
				return -EINVAL;
			prev_key = e;
		}
		prev_pts = e->pts;
	}
	return 0;
}

/* Position of the first keyframe at or after byte @offset; v->lock held. */
static u32 vcache_index_key_from(struct vcache_video *v, u64 offset)
{
	u32 lo = 0, hi = v->index_keys;

	lockdep_assert_held(&v->lock);
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (v->index[v->index_key[mid]].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Drops what a live stream's window has left behind: everything before the
 * first keyframe still in the window (a GOP without its keyframe cannot be
 * played from). v->lock held.
 */
static void vcache_index_trim(struct vcache_video *v)
{
	u32 k = vcache_index_key_from(v, vcache_live_tail(v, v->size)), drop, i;

	lockdep_assert_held(&v->lock);
	drop = k < v->index_keys ? v->index_key[k] : v->index_count;
	if (!drop)
		return;
	memmove(v->index, v->index + drop,
		(v->index_count - drop) * sizeof(*v->index));
	for (i = k; i < v->index_keys; i++)
		v->index_key[i - k] = v->index_key[i] - drop;
	v->index_keys -= k;
	WRITE_ONCE(v->index_count, v->index_count - drop);
	v->index_dropped += drop;
}

/**
 * vcache_index_append() - INDEX_APPEND: add entries to a video's index
 * @v: a video loading, or a live stream
 * @req: the request, its entries still in userspace
 *
 * A live stream's index first drops what its window left behind.
 *
 * Context: process context, may sleep; takes v->lock (the entries are
 * copied from userspace under it: mmap_lock nests inside).
 * Return: 0, -EPERM once sealed or ended, -E2BIG past VCACHE_INDEX_MAX,
 * -EINVAL for a bad entry, -EFAULT, -ENOSPC/-ENOMEM, or -ERESTARTSYS.
 */
int vcache_index_append(struct vcache_video *v,
			const struct vcache_index_append *req)
{
	void __user *src = u64_to_user_ptr(req->entries);
	u32 first, i;
	int err;

	if (req->count > VCACHE_INDEX_BATCH_MAX)
		return -EINVAL;
	if (mutex_lock_interruptible(&v->lock))
		return -ERESTARTSYS;
	if (v->state != VCACHE_STATE_LOADING && v->state != VCACHE_STATE_LIVE) {
		err = -EPERM;
		goto out;
	}
	if (v->live)
		vcache_index_trim(v);
	first = v->index_count;
	if (req->count > VCACHE_INDEX_MAX - first) {
		err = -E2BIG;
		goto out;
	}
	err = vcache_index_reserve(v, first + req->count);
	if (err)
		goto out;
	/* Straight into the spare room: nothing counts until checked. */
	if (copy_from_user(&v->index[first], src,
			   (size_t)req->count * sizeof(*v->index))) {
		err = -EFAULT;
		goto out;
	}
	err = vcache_index_check(v, first, req->count);
	if (err)
		goto out;
	for (i = first; i < first + req->count; i++)
		if (v->index[i].flags & VCACHE_INDEX_KEY)
			v->index_key[v->index_keys++] = i;
	if (req->count) {
		WRITE_ONCE(v->index_count, first + req->count);
		WRITE_ONCE(v->duration, v->index[first + req->count - 1].pts +
			   DIV_ROUND_UP_ULL(VCACHE_PTS_HZ * v->fps_den, v->fps_num));
	}
out:
	mutex_unlock(&v->lock);
	return err;
}

/**
 * vcache_index_free() - free a video's index at its release
 * @v: the video, unreferenced
 *
 * Context: process context.
 */
void vcache_index_free(struct vcache_video *v)
{
	kvfree(v->index);
	kvfree(v->index_key);
}

/* Last keyframe whose time is below @bound (or offset, with @by_offset). */
static const struct vcache_index_entry *
vcache_index_find(struct vcache_video *v, u64 bound, bool by_offset)
{
	u32 lo = 0, hi = v->index_keys;

	/* Invariant: keys below lo are below bound, keys from hi are not. */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct vcache_index_entry *e = &v->index[v->index_key[mid]];

		if ((by_offset ? e->offset : e->pts) < bound)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Before the first keyframe: playback starts at the first. */
	return &v->index[v->index_key[lo ? lo - 1 : 0]];
}

/* LOOKUP itself; v->lock held, unless the video is sealed (index frozen). */
static int vcache_index_lookup_locked(struct vcache_video *v,
				      struct vcache_lookup *req)
{
	u32 num = v->fps_num, den = v->fps_den, fps = vcache_tc_fps(num, den);
	const struct vcache_index_entry *key;
	u32 drop = 0;
	struct vcache_tc tc;
	u64 n = 0;
	int err;

	lockdep_assert(vcache_state(v) == VCACHE_STATE_SEALED ||
		       lockdep_is_held(&v->lock));
	if (req->flags & VCACHE_LOOKUP_DROP_FRAME) {
		drop = vcache_tc_drop(num, den);
		if (!drop)
			return -EINVAL;
	}
	if (req->mode < VCACHE_LOOKUP_TIMECODE || req->mode > VCACHE_LOOKUP_LATEST)
		return -EINVAL;
	if (!v->index_keys)
		return -ENODATA;

	switch (req->mode) {
	case VCACHE_LOOKUP_TIMECODE:
		tc.hh = req->tc.hh;
		tc.mm = req->tc.mm;
		tc.ss = req->tc.ss;
		tc.ff = req->tc.ff;
		err = vcache_tc_to_frame(&tc, fps, drop, &n);
		if (err)
			return err;
		if (vcache_frame_to_pts(n, num, den) >= v->duration)
			return -ERANGE;
		key = vcache_index_find(v, vcache_frame_end_pts(n, num, den), false);
		break;
	case VCACHE_LOOKUP_PTS:
		if (req->pts >= v->duration)
			return -ERANGE;
		n = vcache_pts_to_frame(req->pts, num, den);
		key = vcache_index_find(v, req->pts + 1, false);
		break;
	case VCACHE_LOOKUP_OFFSET:
		if (req->offset >= v->size)
			return -ERANGE;
		key = vcache_index_find(v, req->offset + 1, true);
		break;
	case VCACHE_LOOKUP_LATEST:
		key = &v->index[v->index_key[v->index_keys - 1]];
		break;
	default:
		return -EINVAL;
	}

	req->key_pts = key->pts;
	req->key_offset = key->offset;
	req->key_frame = vcache_pts_to_frame(key->pts, num, den);
	req->frame = req->mode == VCACHE_LOOKUP_OFFSET ||
		     req->mode == VCACHE_LOOKUP_LATEST ? req->key_frame : n;
	err = vcache_frame_to_tc(req->key_frame, fps, drop, &tc);
	if (err)
		return err;
	req->key_tc.hh = tc.hh;
	req->key_tc.mm = tc.mm;
	req->key_tc.ss = tc.ss;
	req->key_tc.ff = tc.ff;
	return 0;
}

/**
 * vcache_index_lookup() - LOOKUP: the keyframe to start playback at
 * @v: the video
 * @req: the request; its outputs are filled in
 *
 * Context: process context, may sleep; takes v->lock unless @v is sealed.
 * Return: 0, -EINVAL, -ENODATA with no keyframe, -ERANGE beyond the
 * video, or -ERESTARTSYS.
 */
int vcache_index_lookup(struct vcache_video *v, struct vcache_lookup *req)
{
	int err;

	/* Sealed is final, and the index was frozen before it was set. */
	if (vcache_state(v) == VCACHE_STATE_SEALED)
		return vcache_index_lookup_locked(v, req);
	if (mutex_lock_interruptible(&v->lock))
		return -ERESTARTSYS;
	if (v->live)
		vcache_index_trim(v);
	err = vcache_index_lookup_locked(v, req);
	mutex_unlock(&v->lock);
	return err;
}

/* Entries one INDEX_READ batch copies under v->lock: a page's worth. */
#define VCACHE_INDEX_READ_BATCH	(PAGE_SIZE / sizeof(struct vcache_index_entry))

/* Rank of the first keyframe at or after array position @at. */
static u32 vcache_index_key_at(struct vcache_video *v, u32 at)
{
	u32 lo = 0, hi = v->index_keys;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (v->index_key[mid] < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Copies to @buf up to @room entries (keyframes only with @keys) from
 * absolute position *@pos, which lies in [index_dropped, @end), not past
 * @end, and moves *@pos past the entries looked at. v->lock held, unless
 * the video is sealed. Returns the entries copied.
 */
static u32 vcache_index_fill(struct vcache_video *v,
			     struct vcache_index_entry *buf, u32 room,
			     u64 *pos, u64 end, bool keys)
{
	u32 at = *pos - v->index_dropped, stop = end - v->index_dropped;
	u32 k, n = 0;

	lockdep_assert(vcache_state(v) == VCACHE_STATE_SEALED ||
		       lockdep_is_held(&v->lock));
	if (!keys) {
		n = min(room, stop - at);
		memcpy(buf, &v->index[at], n * sizeof(*buf));
		*pos += n;
		return n;
	}
	for (k = vcache_index_key_at(v, at); k < v->index_keys; k++) {
		at = v->index_key[k];
		if (at >= stop)
			break;
		if (n == room) {
			/* Full: the next call starts at this keyframe. */
			*pos = v->index_dropped + at;
			return n;
		}
		buf[n++] = v->index[at];
	}
	/* Every keyframe before @end was looked at. */
	*pos = end;
	return n;
}

/**
 * vcache_index_read() - INDEX_READ: copy index entries out
 * @v: the video
 * @req: the request, checked; its outputs start zeroed and are filled in
 *
 * Copies batches of VCACHE_INDEX_READ_BATCH entries, each taken under
 * v->lock (no lock once @v is sealed) into a kernel buffer and copied to
 * userspace after. A live stream's index first drops what its window left
 * behind, so that @req->first is the oldest entry a reader can use.
 *
 * Context: process context, may sleep; takes v->lock unless @v is sealed,
 * never across a copy to userspace.
 * Return: 0, -ENODATA if nothing was ever appended, -EFAULT, -ENOMEM, or
 * -ERESTARTSYS before anything was copied.
 */
int vcache_index_read(struct vcache_video *v, struct vcache_index_read *req)
{
	struct vcache_index_entry __user *dst = u64_to_user_ptr(req->entries);
	u32 want = min_t(u32, req->capacity, VCACHE_INDEX_BATCH_MAX);
	bool keys = req->flags & VCACHE_INDEX_READ_KEYS;
	/* Sealed is final, and the index was frozen before it was set. */
	bool sealed = vcache_state(v) == VCACHE_STATE_SEALED;
	struct vcache_index_entry *buf = NULL;
	u64 pos = req->position;
	bool started = false;
	int err = 0;

	if (want) {
		buf = kmalloc_array(VCACHE_INDEX_READ_BATCH, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	for (;;) {
		u32 n = 0;

		if (!sealed && mutex_lock_interruptible(&v->lock)) {
			/* What was copied stands; a retry would redo it. */
			if (!req->count)
				err = -ERESTARTSYS;
			break;
		}
		if (!started) {
			/* First batch: what the call reads from. */
			started = true;
			if (v->live)
				vcache_index_trim(v);
			if (!v->index_count && !v->index_dropped)
				err = -ENODATA;
			req->first = v->index_dropped;
			req->end = v->index_dropped + v->index_count;
			if (pos < req->first)
				pos = req->first;
		} else if (pos < v->index_dropped) {
			/* The window moved past us: stop, the next call says so. */
			if (!sealed)
				mutex_unlock(&v->lock);
			break;
		}
		if (!err && pos < req->end && req->count < want)
			n = vcache_index_fill(v, buf,
					      min_t(u32, VCACHE_INDEX_READ_BATCH,
						    want - req->count),
					      &pos, req->end, keys);
		if (!sealed)
			mutex_unlock(&v->lock);
		if (err)
			break;
		if (n && copy_to_user(dst + req->count, buf, n * sizeof(*buf))) {
			err = -EFAULT;
			break;
		}
		req->count += n;
		if (req->count == want || pos >= req->end)
			break;
		cond_resched();
	}
	req->next = pos;
	kfree(buf);
	return err;
}
