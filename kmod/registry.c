// SPDX-License-Identifier: GPL-2.0
/*
 * Names to videos. Lookups (OPEN, the read side) walk an RCU hash table and
 * take no lock; CREATE, DELETE and eviction serialise on one mutex, which is
 * fine since they are rare next to lookups and need a consistent view anyway
 * (a name must not be created twice). Netlink dumps take it only between
 * videos, not while they format one.
 *
 * Eviction order is least recently released first: the idle list holds the
 * named sealed (or ended) videos that no descriptor and no mapping uses, in
 * the order their last user let go. Not the order of their last read: a
 * video held open is in use however long ago it was read, and a read needs
 * a descriptor anyway, whose close then puts the video at the tail. A video
 * is added when it becomes unused (vcache_registry_idle()) and is not taken
 * off when it is used again, which would put a lock on every OPEN and mmap;
 * eviction drops the entries it finds in use instead, and they come back at
 * their next release. Each entry is added once per release and looked at
 * once, so an eviction costs O(1) amortised, however many videos there are.
 * A pinned video is never on the list.
 *
 * The shrinker (shrink.c) asks how many pages the list holds: a counter
 * kept with the list, not a walk. It counts the entries found in use again
 * too, until eviction drops them: an estimate, as a count_objects is. Its
 * evictions take the registry lock with a trylock: reclaim may come from an
 * allocation made by a thread that holds it, or that waits behind one that
 * does (see vcache_registry_taint_reclaim()).
 */
#include <linux/hashtable.h>
#include <linux/sched/mm.h>
#include <linux/stringhash.h>
#include "netlink.h"
#include "vcache.h"

#define VCACHE_HASH_BITS	10

static DEFINE_HASHTABLE(vcache_hash, VCACHE_HASH_BITS);
static LIST_HEAD(vcache_list);		/* every named video, in id order */
static DEFINE_MUTEX(vcache_registry_lock);
/*
 * The idle list, by v->idle. Nested inside the registry lock; on the list
 * implies named (v->unlinked is set under this lock too), so the registry's
 * reference keeps every entry alive.
 */
static LIST_HEAD(vcache_idle);
static DEFINE_SPINLOCK(vcache_idle_lock);
static atomic_long_t vcache_idle_pages = ATOMIC_LONG_INIT(0);
static u32 vcache_count;
static u64 vcache_evictions;
/* By enum vcache_evict_reason, under the registry lock. */
static u64 vcache_evictions_by[VCACHE_EVICT_ADMIN + 1];
static u64 vcache_unlinks;		/* invalidates walk cursors */

static u32 vcache_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct vcache_video *vcache_find_locked(const char *name, u32 hash)
{
	struct vcache_video *v;

	lockdep_assert_held(&vcache_registry_lock);
	hash_for_each_possible(vcache_hash, v, hnode, hash)
		if (v->hash == hash && !strcmp(v->name, name))
			return v;
	return NULL;
}

/**
 * vcache_registry_add() - name a video
 * @v: the video, named by v->name; the registry takes its own reference
 *
 * Context: process context, may sleep; takes the registry lock, then sends
 * the event without it.
 * Return: 0, or -EEXIST if the name is taken.
 */
int vcache_registry_add(struct vcache_video *v)
{
	struct vcache_video *pos;
	int err = 0;

	v->hash = vcache_name_hash(v->name);
	mutex_lock(&vcache_registry_lock);
	if (vcache_find_locked(v->name, v->hash)) {
		err = -EEXIST;
	} else {
		vcache_video_get(v);
		hash_add_rcu(vcache_hash, &v->hnode, v->hash);
		/*
		 * Walks resume by id (vcache_registry_walk()): keep the list
		 * in id order. Ids are taken before the lock, so a racing
		 * CREATE may have to go just before the tail.
		 */
		list_for_each_entry_reverse(pos, &vcache_list, lnode)
			if (pos->id < v->id)
				break;
		list_add(&v->lnode, &pos->lnode);
		vcache_count++;
	}
	mutex_unlock(&vcache_registry_lock);
	if (!err)
		vcache_nl_event(VCACHE_EVENT_CREATED, v);
	return err;
}

/**
 * vcache_registry_lookup() - find a video by name
 * @name: the name
 *
 * Context: any; RCU, no lock.
 * Return: the video, referenced, or NULL.
 */
struct vcache_video *vcache_registry_lookup(const char *name)
{
	u32 hash = vcache_name_hash(name);
	struct vcache_video *v;

	rcu_read_lock();
	hash_for_each_possible_rcu(vcache_hash, v, hnode, hash) {
		if (v->hash == hash && !strcmp(v->name, name) &&
		    kref_get_unless_zero(&v->ref)) {
			rcu_read_unlock();
			return v;
		}
	}
	rcu_read_unlock();
	return NULL;
}

/* Takes @v off the idle list, if it is on it; under the idle lock. */
static void vcache_idle_del(struct vcache_video *v)
{
	lockdep_assert_held(&vcache_idle_lock);
	if (list_empty(&v->idle))
		return;
	list_del_init(&v->idle);
	atomic_long_sub(v->idle_pages, &vcache_idle_pages);
}

/* The caller then drops the registry's reference, outside the lock. */
static void vcache_unlink_locked(struct vcache_video *v)
{
	lockdep_assert_held(&vcache_registry_lock);
	hash_del_rcu(&v->hnode);
	list_del_init(&v->lnode);
	/* A release racing with us sees the flag or is undone here. */
	spin_lock(&vcache_idle_lock);
	WRITE_ONCE(v->unlinked, true);
	vcache_idle_del(v);
	spin_unlock(&vcache_idle_lock);
	vcache_count--;
	vcache_unlinks++;
}

/**
 * vcache_registry_delete() - DELETE: remove a name
 * @name: the name
 *
 * The video lives on for its users; the registry's reference goes.
 *
 * Context: process context, may sleep (registry lock; the put may free).
 * Return: 0, or -ENOENT.
 */
int vcache_registry_delete(const char *name)
{
	struct vcache_video *v;

	mutex_lock(&vcache_registry_lock);
	v = vcache_find_locked(name, vcache_name_hash(name));
	if (v)
		vcache_unlink_locked(v);
	mutex_unlock(&vcache_registry_lock);
	if (!v)
		return -ENOENT;
	vcache_nl_event(VCACHE_EVENT_DELETED, v);
	vcache_video_put(v);
	return 0;
}

/**
 * vcache_registry_unlink() - remove @v's name if it still has one
 * @v: the video, referenced by the caller
 *
 * By pointer, not by name: a new video of the same name stays.
 *
 * Context: process context, may sleep (registry lock).
 */
void vcache_registry_unlink(struct vcache_video *v)
{
	bool linked;

	mutex_lock(&vcache_registry_lock);
	linked = !v->unlinked;
	if (linked)
		vcache_unlink_locked(v);
	mutex_unlock(&vcache_registry_lock);
	if (linked) {
		vcache_nl_event(VCACHE_EVENT_DELETED, v);
		vcache_video_put(v);
	}
}

/* Under the idle lock, which orders it against vcache_registry_idle(). */
static bool vcache_evictable(struct vcache_video *v)
{
	u32 state = READ_ONCE(v->state);

	lockdep_assert_held(&vcache_idle_lock);
	return (state == VCACHE_STATE_SEALED || state == VCACHE_STATE_ENDED) &&
	       !v->pinned && !atomic_read(&v->opens) && !atomic_read(&v->maps);
}

/**
 * vcache_registry_idle() - put a video that lost its last user in line
 * @v: a video, referenced by the caller
 *
 * Called after a descriptor or mapping of @v let go of it. If nothing uses
 * @v any more and it may be evicted, it becomes the most recently released
 * video. A video that is unnamed (deleted, or being evicted) is not added:
 * nothing would take it off again before it is freed.
 *
 * Context: process context; takes the idle list's spinlock.
 */
void vcache_registry_idle(struct vcache_video *v)
{
	spin_lock(&vcache_idle_lock);
	/* Read under the lock: an eviction that dropped @v used it, see there. */
	if (!v->unlinked && vcache_evictable(v)) {
		vcache_idle_del(v);
		/* Sealed or ended: the video's memory changes no more. */
		v->idle_pages = atomic_long_read(&v->mem_pages);
		atomic_long_add(v->idle_pages, &vcache_idle_pages);
		list_add_tail(&v->idle, &vcache_idle);
	}
	spin_unlock(&vcache_idle_lock);
}

/**
 * vcache_registry_pin() - pin or unpin a video
 * @v: a video, referenced by the caller
 * @pin: true to pin
 *
 * A pinned video leaves the idle list, so that neither eviction nor the
 * shrinker (which counts the list's pages) sees it; unpinned and unused, it
 * becomes the most recently released video.
 *
 * Context: process context; takes the idle list's spinlock.
 */
void vcache_registry_pin(struct vcache_video *v, bool pin)
{
	spin_lock(&vcache_idle_lock);
	WRITE_ONCE(v->pinned, pin);
	if (pin)
		vcache_idle_del(v);
	spin_unlock(&vcache_idle_lock);
	if (!pin)
		vcache_registry_idle(v);
}

/* Removes the least recently released unused video; registry lock held. */
static struct vcache_video *vcache_evict_locked(enum vcache_evict_reason why)
{
	struct vcache_video *v;

	lockdep_assert_held(&vcache_registry_lock);
	spin_lock(&vcache_idle_lock);
	/*
	 * Checked under the idle lock, as vcache_registry_idle() does after
	 * its user's count went down: if we see a user and drop the entry,
	 * that user's release comes after us and adds it back.
	 */
	while ((v = list_first_entry_or_null(&vcache_idle, struct vcache_video,
					     idle))) {
		vcache_idle_del(v);
		if (vcache_evictable(v))
			break;
	}
	spin_unlock(&vcache_idle_lock);
	if (v) {
		vcache_unlink_locked(v);
		vcache_evictions++;
		vcache_evictions_by[why]++;
	}
	return v;
}

/**
 * vcache_registry_evict_one() - evict the least recently released video
 * @why: VCACHE_EVICT_LIMIT or VCACHE_EVICT_ADMIN, for the event and stats
 *
 * Takes the first video of the idle list that is still unused and removes
 * its name; its memory goes with the last reference. Entries in use again
 * are dropped from the list on the way (their next release adds them back),
 * so the cost is O(1) amortised.
 *
 * Context: process context, may sleep (registry mutex).
 * Return: true if a video was evicted, false if none could be.
 */
bool vcache_registry_evict_one(enum vcache_evict_reason why)
{
	struct vcache_video *v;

	mutex_lock(&vcache_registry_lock);
	v = vcache_evict_locked(why);
	mutex_unlock(&vcache_registry_lock);
	if (!v)
		return false;
	vcache_nl_evicted(v, why, GFP_KERNEL);
	vcache_video_put(v);
	return true;
}

/**
 * vcache_registry_shrink_one() - evict a video for the shrinker
 *
 * As vcache_registry_evict_one() with VCACHE_EVICT_PRESSURE, but never
 * waits for the registry lock, and sends the event without sleeping:
 * reclaim runs in the allocating thread, which may hold any of the
 * module's sleeping locks but this one.
 *
 * Context: reclaim (a shrinker's scan_objects); does not sleep on a lock.
 * Return: the pages the eviction freed now (0 if a reader still holds the
 * video: its pages go with that reader's put, which counts them then), or
 * -EBUSY if the registry lock was taken, or -ENOENT if none could be
 * evicted.
 */
long vcache_registry_shrink_one(void)
{
	struct vcache_video *v;

	if (!mutex_trylock(&vcache_registry_lock))
		return -EBUSY;
	v = vcache_evict_locked(VCACHE_EVICT_PRESSURE);
	mutex_unlock(&vcache_registry_lock);
	if (!v)
		return -ENOENT;
	/* Ours is not the last reference maybe: the last put counts. */
	v->shrunk = true;
	vcache_nl_evicted(v, VCACHE_EVICT_PRESSURE, GFP_NOWAIT | __GFP_NOWARN);
	return vcache_video_put_freed(v);
}

/**
 * vcache_registry_idle_pages() - pages of the videos eviction could take
 *
 * Context: any; no lock, one atomic read.
 * Return: the pages of the idle list's videos, as of a recent moment.
 */
unsigned long vcache_registry_idle_pages(void)
{
	long pages = atomic_long_read(&vcache_idle_pages);

	return pages > 0 ? pages : 0;
}

/**
 * vcache_registry_taint_reclaim() - tell lockdep reclaim may take our lock
 *
 * The shrinker only tries the registry lock, so reclaim cannot deadlock on
 * it; but an allocation that may reclaim while the lock is held would make
 * the shrinker fail for as long as it runs, and a sleeping acquisition
 * added to the shrinker one day would deadlock. Recording once that the
 * lock nests inside fs_reclaim, as i915_gem_shrinker_taints_mutex() does,
 * makes lockdep (the debug kernel) report any such allocation at once,
 * whether or not reclaim happens to run then.
 *
 * Context: module init, process context.
 */
void vcache_registry_taint_reclaim(void)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	fs_reclaim_acquire(GFP_KERNEL);
	mutex_acquire(&vcache_registry_lock.dep_map, 0, 0, _RET_IP_);
	mutex_release(&vcache_registry_lock.dep_map, _RET_IP_);
	spin_acquire(&vcache_idle_lock.dep_map, 0, 0, _RET_IP_);
	spin_release(&vcache_idle_lock.dep_map, _RET_IP_);
	fs_reclaim_release(GFP_KERNEL);
}

/* The first named video after @cur, or NULL. */
static struct vcache_video *vcache_walk_next(struct vcache_registry_cursor *cur)
{
	struct vcache_video *v;

	lockdep_assert_held(&vcache_registry_lock);
	/* Nothing left the list since: cur->v is still on it. */
	if (cur->v && cur->unlinks == vcache_unlinks) {
		v = list_next_entry(cur->v, lnode);
	} else {
		v = list_first_entry(&vcache_list, struct vcache_video, lnode);
		while (!list_entry_is_head(v, &vcache_list, lnode) &&
		       v->id <= cur->id)
			v = list_next_entry(v, lnode);
	}
	return list_entry_is_head(v, &vcache_list, lnode) ? NULL : v;
}

/**
 * vcache_registry_walk() - call a function on each named video, in id order
 * @cur: where the previous call stopped; all zeroes to start
 * @fn: called on each video after @cur until it returns non-zero
 * @arg: passed to @fn
 *
 * @cur then holds the last video @fn accepted, so that the next call
 * resumes right after it: a dump in many parts costs one pass over the
 * list, plus one scan for each video that left it meanwhile. @fn runs
 * without the registry lock, on a video the walk holds a reference to, so
 * that formatting a dump never stalls CREATE, DELETE or eviction; it may
 * sleep, and may see the video deleted while it looks.
 *
 * Context: process context, may sleep.
 * Return: what @fn returned non-zero, or 0 at the end of the list.
 */
int vcache_registry_walk(struct vcache_registry_cursor *cur,
			 int (*fn)(struct vcache_video *v, void *arg), void *arg)
{
	struct vcache_video *v, *prev = NULL;
	int ret = 0;

	mutex_lock(&vcache_registry_lock);
	while ((v = vcache_walk_next(cur))) {
		/* Named: the registry's reference is there to copy. */
		vcache_video_get(v);
		mutex_unlock(&vcache_registry_lock);
		if (prev)
			vcache_video_put(prev);
		ret = fn(v, arg);
		if (ret) {
			vcache_video_put(v);
			return ret;
		}
		mutex_lock(&vcache_registry_lock);
		/* Removed while @fn ran: the next call resumes by id. */
		cur->v = v->unlinked ? NULL : v;
		cur->id = v->id;
		cur->unlinks = vcache_unlinks;
		prev = v;
	}
	mutex_unlock(&vcache_registry_lock);
	/* The last put frees a deleted video: not under the mutex. */
	if (prev)
		vcache_video_put(prev);
	return 0;
}

/**
 * vcache_registry_clear() - remove every name at module exit
 *
 * No descriptor or mapping can exist any more.
 *
 * Context: module exit, process context, may sleep.
 */
void vcache_registry_clear(void)
{
	struct vcache_video *v;

	mutex_lock(&vcache_registry_lock);
	while ((v = list_first_entry_or_null(&vcache_list,
					     struct vcache_video, lnode))) {
		vcache_unlink_locked(v);
		mutex_unlock(&vcache_registry_lock);
		vcache_video_put(v);
		mutex_lock(&vcache_registry_lock);
	}
	mutex_unlock(&vcache_registry_lock);
}

/**
 * vcache_registry_count() - how many videos have a name
 *
 * Context: any.
 * Return: the count, as of a recent moment.
 */
u32 vcache_registry_count(void)
{
	return READ_ONCE(vcache_count);
}

/**
 * vcache_registry_evictions() - how many videos were evicted so far
 *
 * Context: any.
 * Return: the count.
 */
u64 vcache_registry_evictions(void)
{
	return READ_ONCE(vcache_evictions);
}

/**
 * vcache_registry_evictions_by() - evictions for one reason so far
 * @why: the reason
 *
 * Context: any.
 * Return: the count.
 */
u64 vcache_registry_evictions_by(enum vcache_evict_reason why)
{
	return READ_ONCE(vcache_evictions_by[why]);
}
