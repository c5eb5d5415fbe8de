// SPDX-License-Identifier: GPL-2.0
/*
 * Names to videos. Lookups (OPEN, the read side) walk an RCU hash table and
 * take no lock; CREATE, DELETE and eviction serialise on one mutex, which is
 * fine since they are rare next to lookups and need a consistent view anyway
 * (a name must not be created twice; eviction compares all videos).
 */
#include <linux/hashtable.h>
#include <linux/stringhash.h>
#include "netlink.h"
#include "vcache.h"

#define VCACHE_HASH_BITS	10

static DEFINE_HASHTABLE(vcache_hash, VCACHE_HASH_BITS);
static LIST_HEAD(vcache_list);		/* every named video, in id order */
static DEFINE_MUTEX(vcache_registry_lock);
static u32 vcache_count;
static u64 vcache_evictions;
static u64 vcache_unlinks;		/* invalidates walk cursors */

static u32 vcache_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct vcache_video *vcache_find_locked(const char *name, u32 hash)
{
	struct vcache_video *v;

	hash_for_each_possible(vcache_hash, v, hnode, hash)
		if (v->hash == hash && !strcmp(v->name, name))
			return v;
	return NULL;
}

/* Names @v; the registry takes its own reference. */
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

/* Returns a referenced video, or NULL. */
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

/* The caller then drops the registry's reference, outside the lock. */
static void vcache_unlink_locked(struct vcache_video *v)
{
	hash_del_rcu(&v->hnode);
	list_del_init(&v->lnode);
	WRITE_ONCE(v->unlinked, true);
	vcache_count--;
	vcache_unlinks++;
}

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

/* Removes @v's name if it still has one (by pointer, not by name). */
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

static bool vcache_evictable(struct vcache_video *v)
{
	u32 state = READ_ONCE(v->state);

	return (state == VCACHE_STATE_SEALED || state == VCACHE_STATE_ENDED) &&
	       !atomic_read(&v->opens) && !atomic_read(&v->maps);
}

/*
 * Evicts the least recently used sealed video that no descriptor or mapping
 * uses. A linear scan: eviction is rare, and keeping an ordered LRU list
 * would put a lock on every read instead.
 */
bool vcache_registry_evict_one(void)
{
	struct vcache_video *v, *victim = NULL;

	mutex_lock(&vcache_registry_lock);
	list_for_each_entry(v, &vcache_list, lnode) {
		if (!vcache_evictable(v))
			continue;
		if (!victim ||
		    READ_ONCE(v->access_time) < READ_ONCE(victim->access_time))
			victim = v;
	}
	if (victim) {
		vcache_unlink_locked(victim);
		vcache_evictions++;
	}
	mutex_unlock(&vcache_registry_lock);
	if (!victim)
		return false;
	vcache_nl_event(VCACHE_EVENT_EVICTED, victim);
	vcache_video_put(victim);
	return true;
}

/*
 * Calls @fn on each named video after @cur, in id order, until @fn returns
 * non-zero, and returns that (0 at the end). @cur then holds the last video
 * @fn accepted, so that the next call resumes right after it: a dump in many
 * parts costs one pass over the list, plus one scan for each part that
 * follows a removal. @fn runs under the registry lock: it must be quick and
 * must not call into the registry.
 */
int vcache_registry_walk(struct vcache_registry_cursor *cur,
			 int (*fn)(struct vcache_video *v, void *arg), void *arg)
{
	struct vcache_video *v;
	int ret = 0;

	mutex_lock(&vcache_registry_lock);
	/* Nothing left the list since: cur->v is still on it. */
	if (cur->v && cur->unlinks == vcache_unlinks) {
		v = list_next_entry(cur->v, lnode);
	} else {
		v = list_first_entry(&vcache_list, struct vcache_video, lnode);
		while (!list_entry_is_head(v, &vcache_list, lnode) &&
		       v->id <= cur->id)
			v = list_next_entry(v, lnode);
	}
	list_for_each_entry_from(v, &vcache_list, lnode) {
		ret = fn(v, arg);
		if (ret)
			break;
		cur->v = v;
		cur->id = v->id;
		cur->unlinks = vcache_unlinks;
	}
	mutex_unlock(&vcache_registry_lock);
	return ret;
}

/* Module exit: no descriptor or mapping can exist any more. */
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

u32 vcache_registry_count(void)
{
	return READ_ONCE(vcache_count);
}

u64 vcache_registry_evictions(void)
{
	return READ_ONCE(vcache_evictions);
}
