/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcache internals shared by the module's files.
 *
 * Locking (outermost first; a lock is taken only under those above it on
 * its own branch, never under one below it):
 *
 * vf->bind_lock		(CREATE, OPEN: one binding per descriptor)
 *   vcache_registry_lock	(registry.c; also through eviction, below)
 *
 * kernel_param_lock		(max_mb writes, netlink LIMIT_SET)
 *   vcache_registry_lock	(eviction down to the new limit)
 *
 * nlk->cb_mutex		(a netlink dump, VIDEO_GET)
 *   vcache_registry_lock	(between videos only: vcache_registry_walk())
 *
 * pipe->mutex			(splice into a descriptor: iter_file_splice_write)
 *   v->lock			(write(2), COMMIT, SEAL, INDEX_APPEND, LOOKUP and
 *				 INDEX_READ of a video not sealed, the live
 *				 writer's close)
 *     mm->mmap_lock		(the user buffer of write(2) and INDEX_APPEND
 *				 faults, maybe on a vcache mapping; mmap(2) and
 *				 the faults come in here, per-VMA lock alike)
 *       v->ring_lock		(read: a live stream's faults; write: its end
 *				 replacing held ring pages, under v->lock)
 *         mapping->i_mmap_rwsem	(unmap_mapping_range() at that end)
 *         vcache_registry_lock	(eviction: any charge that may sleep,
 *				 vcache_mem_charge(), from write, fault, CREATE)
 *           vcache_idle_lock	(registry.c, spinlock)
 *       v->map_lock		(spinlock: mmap(2) against SEAL)
 *         v->wq.lock		(vcache_wake(), from SEAL's end callback)
 *         v->aio_lock		(spinlock, IRQs off: see below; vcache_wake()
 *				 takes it after the wait queue's, not inside)
 *           workqueue locks	(queue_work() of a ready AIO read)
 *
 * fs_reclaim			(lockdep's name for reclaim: any allocation
 *				 that may reclaim, under any lock above but
 *				 the registry lock and the spinlocks)
 *   vcache_registry_lock	(the shrinker: mutex_trylock only, SHRINK_STOP
 *				 when taken; vcache_registry_taint_reclaim()
 *				 has lockdep check nobody allocates under it)
 *     vcache_idle_lock		(the shrinker's pick)
 *   vcache_held_lock,		(the evicted video's last put)
 *   vcache_event_lock		(its event, GFP_NOWAIT)
 *
 * Leaves, taken under any of the sleeping locks above and nothing inside:
 * vcache_held_lock (mem.c: pages freed videos still lend out; the last
 * vcache_video_put() may come under v->lock, mmap_lock or ring_lock through
 * eviction, or from vm_close), vcache_event_lock (netlink.c: the events'
 * rate limit; never from IRQ), and RCU for registry lookups (OPEN, netlink
 * GET). Readers take none of v's locks: read(2), splice and AIO completion
 * see data through vcache_size() and v->pages' release/acquire pairs.
 *
 * What each protects: bind_lock, vf->video's one change; the registry
 * lock, the hash, the id-ordered list, the counts and v->unlinked (with the
 * idle lock); v->lock, everything a writer changes (size, state, index,
 * retired pages); ring_lock, a live ring's page pointers against its
 * faults; map_lock, the writable-mapping count and generation against
 * SEAL, and the state as mmap(2) sees it; aio_lock, v->aio_waiting and each
 * queued read's state.
 *
 * Contexts: all process context, but aio_lock is taken with IRQs off
 * (spin_lock_irqsave) because io_cancel() calls vcache_aio_cancel() under
 * the AIO context's ctx_lock, which aio takes from completion interrupts;
 * it nests inside that lock too. AIO reads complete on the vcache_aio
 * workqueue, holding none of these locks (the copy to the submitter's
 * buffer may fault: mmap_lock and what is under it). vcache_nl_event()
 * may sleep (GFP_KERNEL): never under a spinlock nor the registry lock;
 * vcache_nl_viewer_behind() never sleeps (the read path).
 *
 * v->lock is never taken under mmap_lock (hence map_lock for mmap(2)), and
 * page allocation for a video takes no video lock, so that a write(2) from
 * a vcache mapping can fault its own holes in.
 */
#ifndef _VCACHE_INTERNAL_H
#define _VCACHE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/math64.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/vcache.h>

/*
 * One cached video. Its lifetime is a kref: the registry holds one reference
 * while the video has a name, every bound descriptor and every mapping holds
 * one. The last put frees the pages, so data stays valid for users after
 * DELETE or eviction.
 */
struct vcache_video {
	struct kref ref;
	struct hlist_node hnode;	/* registry hash, RCU readers */
	struct list_head lnode;		/* registry list, registry lock */
	struct list_head idle;		/* idle list, its spinlock */
	long idle_pages;		/* counted while on it, idle lock */
	bool pinned;			/* never evicted; idle lock */
	bool shrunk;			/* evicted by the shrinker */
	struct rcu_head rcu;
	char name[VCACHE_NAME_MAX];
	u32 hash;
	u64 id;

	u64 capacity;
	unsigned long nr_pages;		/* capacity in pages */
	/*
	 * Data pages by page index. A slot goes from NULL to a page once
	 * (cmpxchg) and never changes again while the video lives, so readers
	 * use a page without taking a reference: the video's own reference
	 * keeps it. The one exception: a live stream's ring page still held
	 * from outside at its writer's close is replaced by a copy
	 * (vcache_live_close()); the page replaced goes to @retired and stays
	 * until the video is freed, so a reader's pointer to it stays valid.
	 */
	struct page **pages;
	struct list_head retired;	/* by page->lru, under lock */
	u32 fps_num;
	u32 fps_den;

	/*
	 * Live streams: pages holds a ring of @ring bytes; readers see the
	 * @window behind the head, the @zone ahead of it is the writer's.
	 * @ctrl is the control page mapped to userspace.
	 */
	bool live;
	u64 ring;
	u64 window;
	u64 zone;
	struct page *ctrl;
	/*
	 * Orders the ring's page faults (read) against the replacement of
	 * ring pages at the end (write), so that no fault maps a page after
	 * the end took it away.
	 */
	struct rw_semaphore ring_lock;
	atomic64_t behind;		/* reads refused with EOVERFLOW */
	atomic64_t behind_event;	/* ktime_get_ns() of the last such event */

	/* Serialises writers against SEAL and COMMIT; readers never take it. */
	struct mutex lock;
	u64 size;			/* smp_store_release after the data */
	u32 state;			/* VCACHE_STATE_*, changed under lock */
	bool unlinked;			/* registry and idle list locks */

	/*
	 * Keyframe index: appended under lock while loading, frozen once
	 * sealed. index_key holds the positions of the keyframe entries.
	 * A live stream's index drops what its window left behind: entry
	 * i of the array is then absolute position index_dropped + i
	 * (INDEX_READ's positions).
	 */
	struct vcache_index_entry *index;
	u32 *index_key;
	u32 index_count;		/* WRITE_ONCE, for INFO */
	u32 index_keys;
	u32 index_cap;
	u64 index_dropped;		/* under lock */
	u64 duration;			/* WRITE_ONCE: last entry + one frame */

	/* Readers waiting for data (FOLLOW): sleepers and queued AIO. */
	wait_queue_head_t wq;
	spinlock_t aio_lock;		/* guards aio_waiting */
	struct rb_root_cached aio_waiting; /* struct vcache_aio, by position */

	atomic_t opens;
	atomic_t writers;		/* bound descriptors open for writing */
	atomic_t maps;
	atomic_t wmaps;			/* mappings that may write */
	/*
	 * Orders SEAL against new writable mappings. Not v->lock: mmap runs
	 * under mmap_lock, and write(2) takes mmap_lock (faulting in its
	 * buffer) under v->lock.
	 */
	spinlock_t map_lock;
	unsigned int wmap_gen;		/* writable mmaps so far, map_lock */
	atomic_long_t mem_pages;	/* pages charged to the cache limit */
	atomic64_t bytes_served;
	u64 create_time;
	u64 seal_time;
	u64 access_time;		/* WRITE_ONCE, last read or fault */
};

/* Per-descriptor state: the video it is bound to, set once. */
struct vcache_file {
	struct mutex bind_lock;		/* serialises CREATE/OPEN on this fd */
	struct vcache_video *video;	/* NULL until bound, then constant */
	u32 flags;			/* VCACHE_OPEN_*, set before binding */
	atomic_t aio_queued;		/* AIO reads queued, at most: */
};

#define VCACHE_AIO_MAX_QUEUED	1024

static inline struct vcache_video *vcache_file_video(struct file *file)
{
	struct vcache_file *vf = file->private_data;

	/* Pairs with vcache_bind(): a bound video is seen fully set up. */
	return smp_load_acquire(&vf->video);
}

/*
 * A live stream is always followed: its readers wait at the head for as
 * long as its writer is there, as FOLLOW descriptors of a loading video do.
 */
static inline bool vcache_follows(struct file *file, struct vcache_video *v)
{
	struct vcache_file *vf = file->private_data;

	return (vf->flags & VCACHE_OPEN_FOLLOW) || v->live;
}

/* The video's size; the bytes below it are visible to the caller. */
static inline u64 vcache_size(struct vcache_video *v)
{
	/* Pairs with vcache_set_size(). */
	return smp_load_acquire(&v->size);
}

/* The video's state; once SEALED, everything set before the seal is seen. */
static inline u32 vcache_state(struct vcache_video *v)
{
	/* Pairs with the seal's smp_store_release(). */
	return smp_load_acquire(&v->state);
}

/* Grows the size after the bytes below it were written; v->lock held. */
static inline void vcache_set_size(struct vcache_video *v, u64 size)
{
	lockdep_assert_held(&v->lock);
	/* Pairs with vcache_size(): data first, then the size covering it. */
	smp_store_release(&v->size, size);
}

static inline void vcache_touch(struct vcache_video *v)
{
	WRITE_ONCE(v->access_time, ktime_get_real_ns());
}

/* The start of the window behind @head: the oldest byte readers may read. */
static inline u64 vcache_live_tail(struct vcache_video *v, u64 head)
{
	return head > v->window ? head - v->window : 0;
}

/* Index in v->pages of the page holding byte @pos. */
static inline unsigned long vcache_page_index(struct vcache_video *v, u64 pos)
{
	u32 rem;

	if (!v->live)
		return pos >> PAGE_SHIFT;
	div_u64_rem(pos >> PAGE_SHIFT, (u32)v->nr_pages, &rem);
	return rem;
}

/* mem.c: the global page budget, and max_mb that sets it */
int vcache_mem_init(void);
int vcache_set_max_mb(unsigned int mb);
int vcache_mem_charge(unsigned long nr_pages);
int vcache_mem_charge_nowait(unsigned long nr_pages);
void vcache_mem_charge_over(unsigned long nr_pages);
void vcache_mem_uncharge(unsigned long nr_pages);
bool vcache_mem_release_page(struct page *page);
void vcache_mem_exit(void);
unsigned long vcache_mem_used(void);
unsigned long vcache_mem_limit(void);

/* video.c */
struct vcache_video *vcache_video_alloc(const struct vcache_create *req);
void vcache_video_put(struct vcache_video *v);
unsigned long vcache_video_put_freed(struct vcache_video *v);
/* How vcache_video_page() treats a missing page. */
enum vcache_page_how {
	VCACHE_PAGE_FIND,		/* return NULL */
	VCACHE_PAGE_ALLOC,		/* allocate it, evicting if need be */
	VCACHE_PAGE_ALLOC_NOWAIT,	/* allocate without blocking, or -EAGAIN */
};

struct page *vcache_video_page(struct vcache_video *v, unsigned long idx,
			       enum vcache_page_how how);

/* How a write request allocates: without blocking for IOCB_NOWAIT. */
static inline enum vcache_page_how vcache_write_how(struct kiocb *iocb)
{
	return iocb->ki_flags & IOCB_NOWAIT ? VCACHE_PAGE_ALLOC_NOWAIT :
					      VCACHE_PAGE_ALLOC;
}

/* Takes v->lock for a write request, as the request allows: 0 or an error. */
static inline int vcache_write_lock(struct vcache_video *v, struct kiocb *iocb)
{
	if (iocb->ki_flags & IOCB_NOWAIT)
		return mutex_trylock(&v->lock) ? 0 : -EAGAIN;
	return mutex_lock_interruptible(&v->lock) ? -ERESTARTSYS : 0;
}

size_t vcache_copy_to_iter(struct vcache_video *v, u64 pos, size_t count,
			   struct iov_iter *to);
ssize_t vcache_copy_from_iter(struct vcache_video *v, u64 pos, size_t count,
			      struct iov_iter *from, enum vcache_page_how how);
void vcache_video_info(struct vcache_video *v, struct vcache_info *info);
void vcache_video_unuse(struct vcache_video *v);
bool vcache_page_held(struct page *page);
bool vcache_video_pages_held(struct vcache_video *v);

static inline void vcache_video_get(struct vcache_video *v)
{
	kref_get(&v->ref);
}

/* index.c */
int vcache_index_append(struct vcache_video *v,
			const struct vcache_index_append *req);
int vcache_index_lookup(struct vcache_video *v, struct vcache_lookup *req);
int vcache_index_read(struct vcache_video *v, struct vcache_index_read *req);
void vcache_index_free(struct vcache_video *v);

/* registry.c: names to videos */
int vcache_registry_add(struct vcache_video *v);
struct vcache_video *vcache_registry_lookup(const char *name);
int vcache_registry_delete(const char *name);
void vcache_registry_unlink(struct vcache_video *v);
void vcache_registry_idle(struct vcache_video *v);
bool vcache_registry_evict_one(enum vcache_evict_reason why);
long vcache_registry_shrink_one(void);
unsigned long vcache_registry_idle_pages(void);
void vcache_registry_taint_reclaim(void);
void vcache_registry_pin(struct vcache_video *v, bool pin);
void vcache_registry_clear(void);
u32 vcache_registry_count(void);
u64 vcache_registry_evictions(void);
u64 vcache_registry_evictions_by(enum vcache_evict_reason why);

/* Where a vcache_registry_walk() stopped; all zeroes to start. */
struct vcache_registry_cursor {
	struct vcache_video *v;		/* last visited, while still listed */
	u64 id;				/* its id */
	u64 unlinks;			/* removals counted when visited */
};

int vcache_registry_walk(struct vcache_registry_cursor *cur,
			 int (*fn)(struct vcache_video *v, void *arg), void *arg);
void vcache_stats_fill(struct vcache_stats *st);
void vcache_count_served(struct vcache_video *v, size_t bytes);

/* io.c */
ssize_t vcache_read_at(struct vcache_video *v, loff_t pos, struct iov_iter *to);
ssize_t vcache_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t vcache_write_iter(struct kiocb *iocb, struct iov_iter *from);
loff_t vcache_llseek(struct file *file, loff_t offset, int whence);

/* follow.c: readers that wait for data */
bool vcache_may_grow(struct vcache_video *v);
void vcache_wake(struct vcache_video *v);
int vcache_wait_ready(struct vcache_video *v, loff_t pos, bool nonblock);
ssize_t vcache_wait_data(struct vcache_video *v, struct kiocb *iocb,
			 struct iov_iter *to, loff_t pos);
__poll_t vcache_poll(struct file *file, struct poll_table_struct *pt);
void vcache_aio_stats(struct vcache_stats *st);
int vcache_follow_init(void);
void vcache_follow_exit(void);

/*
 * live.c: live streams. Each entry point above (read, write_iter, llseek,
 * mmap and its faults, CREATE, COMMIT, SEAL, the writer's close) tests
 * v->live once and hands a stream to these.
 */
struct vcache_video *vcache_live_alloc(const struct vcache_create *req);
ssize_t vcache_live_read(struct vcache_video *v, loff_t pos, struct iov_iter *to);
ssize_t vcache_live_write_iter(struct vcache_video *v, struct kiocb *iocb,
			       struct iov_iter *from);
loff_t vcache_live_llseek(struct vcache_video *v, struct file *file,
			  loff_t offset, int whence);
int vcache_live_commit(struct vcache_video *v, u64 head);
bool vcache_live_end(struct vcache_video *v);
bool vcache_live_close(struct vcache_video *v, struct address_space *mapping);
unsigned long vcache_live_map_limit(struct vcache_video *v, struct file *file,
				    struct vm_area_struct *vma, bool *read_only);
struct vm_fault;
vm_fault_t vcache_live_fault(struct vm_fault *vmf);

/* splice.c */
ssize_t vcache_splice_read(struct file *in, loff_t *ppos,
			   struct pipe_inode_info *pipe, size_t len,
			   unsigned int flags);

/* mmap.c: most pages one fault maps, one page table's worth */
#define VCACHE_FAULT_BATCH	512UL

/* mmap.c: the address_space of every descriptor's mappings */
extern struct address_space *vcache_mapping;
int vcache_mmap_init(void);
void vcache_mmap_exit(void);
int vcache_mmap(struct file *file, struct vm_area_struct *vma);

/* shrink.c: giving memory back under pressure */
int vcache_shrink_init(void);
void vcache_shrink_exit(void);
unsigned long vcache_shrink_pages(void);
void vcache_shrink_freed(unsigned long nr_pages);

/* ioctl.c */
long vcache_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _VCACHE_INTERNAL_H */
