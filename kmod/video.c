// SPDX-License-Identifier: GPL-2.0
/*
 * A video's storage: a capacity-sized array of page pointers whose pages are
 * allocated on first write, charged both to the cache's budget and to the
 * writer's memory cgroup.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include "compat.h"
#include "vcache.h"

static atomic64_t vcache_next_id = ATOMIC64_INIT(0);
static DEFINE_PER_CPU(u64, vcache_served);

/* Pages of bookkeeping a video of nr_pages costs: struct and page array. */
static unsigned long vcache_meta_pages(unsigned long nr_pages)
{
	return DIV_ROUND_UP(sizeof(struct vcache_video) +
			    nr_pages * sizeof(struct page *), PAGE_SIZE);
}

/**
 * vcache_video_alloc() - a new video, not yet named
 * @req: the CREATE request, checked
 *
 * Context: process context, may sleep (may evict).
 * Return: the video, with one reference, or an ERR_PTR (-EFBIG beyond
 * the cache's limit, -ENOSPC, -ENOMEM).
 */
struct vcache_video *vcache_video_alloc(const struct vcache_create *req)
{
	struct vcache_video *v;
	unsigned long nr_pages, meta;
	int err;

	/* The limit is far below what the page array size could overflow. */
	if (req->capacity > (u64)vcache_mem_limit() << PAGE_SHIFT)
		return ERR_PTR(-EFBIG);
	nr_pages = DIV_ROUND_UP_ULL(req->capacity, PAGE_SIZE);
	/* A live stream's control page counts as bookkeeping. */
	meta = vcache_meta_pages(nr_pages) + !!(req->flags & VCACHE_CREATE_LIVE);
	err = vcache_mem_charge(meta);
	if (err)
		return ERR_PTR(err);

	/*
	 * Charged to the creator's memory cgroup; past its memory.max CREATE
	 * fails with ENOMEM rather than OOM-kill the loader (see
	 * VCACHE_GFP_DATA): the page array of a large video is large.
	 */
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!v)
		goto nomem;
	v->pages = kvcalloc(nr_pages, sizeof(*v->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!v->pages) {
		kfree(v);
		goto nomem;
	}
	kref_init(&v->ref);
	INIT_HLIST_NODE(&v->hnode);
	INIT_LIST_HEAD(&v->lnode);
	INIT_LIST_HEAD(&v->idle);
	strscpy(v->name, req->name, sizeof(v->name));
	v->id = atomic64_inc_return(&vcache_next_id);
	v->capacity = req->capacity;
	v->nr_pages = nr_pages;
	v->fps_num = req->fps_num;
	v->fps_den = req->fps_den;
	/* Loading, so on no idle list yet: nothing else to do. */
	v->pinned = req->flags & VCACHE_CREATE_PINNED;
	mutex_init(&v->lock);
	init_waitqueue_head(&v->wq);
	spin_lock_init(&v->aio_lock);
	spin_lock_init(&v->map_lock);
	init_rwsem(&v->ring_lock);
	INIT_LIST_HEAD(&v->retired);
	v->aio_waiting = RB_ROOT_CACHED;
	v->state = VCACHE_STATE_LOADING;
	atomic_long_set(&v->mem_pages, meta);
	v->create_time = ktime_get_real_ns();
	v->access_time = v->create_time;
	return v;

nomem:
	vcache_mem_uncharge(meta);
	return ERR_PTR(-ENOMEM);
}

/*
 * Frees @v, whose last reference went. Returns the pages given back now:
 * its bookkeeping and the data pages nobody else holds. Those pipes,
 * sockets or pins still hold stay charged until given back (mem.c).
 */
static unsigned long vcache_video_free(struct vcache_video *v)
{
	unsigned long i, data = 0, freed = 0;
	struct page *page, *tmp;

	for (i = 0; i < v->nr_pages; i++) {
		if (v->pages[i]) {
			freed += vcache_mem_release_page(v->pages[i]);
			data++;
		}
	}
	/* Replaced at a live stream's end; charged like the rest. */
	list_for_each_entry_safe(page, tmp, &v->retired, lru) {
		list_del(&page->lru);
		freed += vcache_mem_release_page(page);
		data++;
	}
	kvfree(v->pages);
	vcache_index_free(v);
	/* A live stream's control page, counted with the bookkeeping. */
	if (v->ctrl)
		__free_page(v->ctrl);
	/* The data pages were uncharged (or are, once let go) one by one. */
	vcache_mem_uncharge(atomic_long_read(&v->mem_pages) - data);
	freed += atomic_long_read(&v->mem_pages) - data;
	/*
	 * Whoever put it last, the shrinker's eviction gave these back:
	 * shrink_pages counts what really left, as mem_used does.
	 */
	if (v->shrunk)
		vcache_shrink_freed(freed);
	mutex_destroy(&v->lock);
	/* Registry lookups may still be reading the name under RCU. */
	kfree_rcu(v, rcu);
	return freed;
}

static void vcache_video_release(struct kref *ref)
{
	vcache_video_free(container_of(ref, struct vcache_video, ref));
}

/**
 * vcache_video_put() - drop a reference to a video
 * @v: the video
 *
 * The last put frees the pages (those still lent out stay charged until
 * given back).
 *
 * Context: process context; may come under v->lock, mmap_lock or ring_lock
 * (eviction), never under a spinlock or the registry lock; takes the held
 * pages' lock.
 */
void vcache_video_put(struct vcache_video *v)
{
	kref_put(&v->ref, vcache_video_release);
}

/**
 * vcache_video_put_freed() - drop a reference, saying what it gave back
 * @v: the video
 *
 * As vcache_video_put(), for the shrinker, which must report the pages it
 * freed, not those it merely made free-able: a reader that still holds
 * @v keeps all of them, a pipe that holds a page keeps that one.
 *
 * Context: as vcache_video_put().
 * Return: the pages freed and uncharged now; 0 if not the last reference.
 */
unsigned long vcache_video_put_freed(struct vcache_video *v)
{
	if (!refcount_dec_and_test(&v->ref.refcount))
		return 0;
	return vcache_video_free(v);
}

/*
 * A video's data pages are charged to the memory cgroup of the task that
 * allocates them, the loader (its write(2), or its fault on a writable
 * mapping; a live stream's ring: its CREATE), by __GFP_ACCOUNT: kernel
 * memory of that cgroup ("kernel" in memory.stat), not through an
 * address_space, as they are no page cache of any file. __GFP_RETRY_MAYFAIL
 * makes a charge past the cgroup's memory.max fail once the cgroup's
 * reclaim could not make room, instead of calling the OOM killer
 * (try_charge_memcg(), alike in 6.1 and 6.12): a load at its cgroup's
 * limit fails cleanly (write(2) with ENOMEM, a fault with SIGBUS) and
 * nothing is killed for the sake of a cache. The same holds when the
 * whole machine is short: the page allocator reclaims hard (the shrinker
 * gives back unused videos then) and fails rather than OOM-kill. NOWARN:
 * a failure is the caller's errno, not a splat in the kernel log.
 */
#define VCACHE_GFP_DATA	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/**
 * vcache_video_page() - the page at @idx of a video, allocated if need be
 * @v: the video
 * @idx: the index in v->pages
 * @how: what to do if no page was written there
 *
 * Allocation takes no video lock, so that a page fault on a writable
 * mapping can fill a hole while a write(2) from that same mapping holds
 * v->lock.
 *
 * Context: any process context for VCACHE_PAGE_FIND; may sleep and evict
 * for VCACHE_PAGE_ALLOC; does not sleep for VCACHE_PAGE_ALLOC_NOWAIT.
 * Return: the page; NULL when @how is VCACHE_PAGE_FIND and there is none;
 * else a new zeroed page, or an ERR_PTR (-EAGAIN for
 * VCACHE_PAGE_ALLOC_NOWAIT, -ENOSPC at the cache's limit, -ENOMEM at the
 * memory cgroup's or when the system has none).
 */
struct page *vcache_video_page(struct vcache_video *v, unsigned long idx,
			       enum vcache_page_how how)
{
	gfp_t gfp = VCACHE_GFP_DATA;
	struct page *page, *old;
	int err;

	/* Pairs with the cmpxchg_release below: the page arrives zeroed. */
	page = smp_load_acquire(&v->pages[idx]);
	if (page || how == VCACHE_PAGE_FIND)
		return page;

	if (how == VCACHE_PAGE_ALLOC_NOWAIT) {
		err = vcache_mem_charge_nowait(1);
		gfp &= ~__GFP_DIRECT_RECLAIM;
	} else {
		err = vcache_mem_charge(1);
	}
	if (err)
		return ERR_PTR(err);
	page = alloc_page(gfp);
	if (!page) {
		vcache_mem_uncharge(1);
		return ERR_PTR(how == VCACHE_PAGE_ALLOC_NOWAIT ? -EAGAIN : -ENOMEM);
	}
	old = cmpxchg_release(&v->pages[idx], NULL, page);
	if (old) {
		__free_page(page);
		vcache_mem_uncharge(1);
		return old;
	}
	atomic_long_inc(&v->mem_pages);
	return page;
}

/**
 * vcache_copy_to_iter() - copy bytes of a video out
 * @v: the video
 * @pos: first byte, below the size
 * @count: how many, all below the size
 * @to: where to
 *
 * Holes read as zeros.
 *
 * Context: process context, may fault on @to; takes no vcache lock.
 * Return: the bytes copied, short if @to faulted.
 */
size_t vcache_copy_to_iter(struct vcache_video *v, u64 pos, size_t count,
			   struct iov_iter *to)
{
	size_t done = 0;

	while (done < count) {
		unsigned long idx = vcache_page_index(v, pos + done);
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, VCACHE_PAGE_FIND);
		size_t got;

		if (page)
			got = copy_page_to_iter(page, off, n, to);
		else
			got = iov_iter_zero(n, to);	/* a hole */
		done += got;
		if (got < n)
			break;
	}
	return done;
}

/**
 * vcache_copy_from_iter() - copy bytes into a video
 * @v: the video
 * @pos: first byte
 * @count: how many, all below the capacity
 * @from: the source, maybe a mapping of @v itself
 * @how: how to allocate missing pages
 *
 * Context: process context, may sleep and fault on @from; v->lock held.
 * Return: the bytes copied, or an error if none was.
 */
ssize_t vcache_copy_from_iter(struct vcache_video *v, u64 pos, size_t count,
			      struct iov_iter *from, enum vcache_page_how how)
{
	size_t done = 0;

	lockdep_assert_held(&v->lock);
	while (done < count) {
		unsigned long idx = vcache_page_index(v, pos + done);
		size_t off = offset_in_page(pos + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = vcache_video_page(v, idx, how);
		size_t got;

		if (IS_ERR(page))
			return done ? done : PTR_ERR(page);
		got = copy_page_from_iter(page, off, n, from);
		done += got;
		if (got < n)
			return done ? done : -EFAULT;
	}
	return done;
}

/**
 * vcache_video_unuse() - a descriptor or mapping let go of a video
 * @v: the video, still referenced by the caller
 *
 * Called after the caller's count in opens or maps went down. With no user
 * left, a sealed (or ended) video becomes the most recently released one,
 * for eviction. A video still loading was abandoned by its loader (killed,
 * or gave up): it never became whole, so it leaves the cache instead of
 * lingering half-built under its name.
 *
 * Context: process context.
 */
void vcache_video_unuse(struct vcache_video *v)
{
	if (atomic_read(&v->opens) || atomic_read(&v->maps))
		return;
	if (READ_ONCE(v->state) == VCACHE_STATE_LOADING)
		vcache_registry_unlink(v);
	else
		vcache_registry_idle(v);
}

/**
 * vcache_page_held() - whether a video's page is held from outside
 * @page: a data page of a video
 *
 * See vcache_video_pages_held(): pinned for DMA, or more references than
 * the cache's own and one per page table entry that maps it.
 *
 * Context: any.
 * Return: true if something beyond the cache and its mappings holds @page.
 */
bool vcache_page_held(struct page *page)
{
	return folio_maybe_dma_pinned(page_folio(page)) ||
	       page_ref_count(page) > 1 + folio_mapcount(page_folio(page));
}

/**
 * vcache_video_pages_held() - whether a page of @v is held from outside
 * @v: the video
 *
 * Each page holds the cache's reference and one for each page table entry
 * that maps it. Anything more is get_user_pages() or pin_user_pages()
 * through a mapping that may be gone by now (O_DIRECT, io_uring fixed
 * buffers, process_vm_writev()), and a writer of the page for as long as
 * it holds it. Splice hands out only sealed pages, so a pipe or socket is
 * never the reason for a video that may still change.
 *
 * Context: process context, may sleep.
 * Return: true if a page has a holder beyond the cache and its mappings.
 */
bool vcache_video_pages_held(struct vcache_video *v)
{
	unsigned long i;

	for (i = 0; i < v->nr_pages; i++) {
		struct page *page = vcache_video_page(v, i, VCACHE_PAGE_FIND);

		if (page && vcache_page_held(page))
			return true;
		if (!(i % 1024))
			cond_resched();
	}
	return false;
}

/**
 * vcache_count_served() - count bytes a reader got
 * @v: the video
 * @bytes: how many
 *
 * Context: any.
 */
void vcache_count_served(struct vcache_video *v, size_t bytes)
{
	atomic64_add(bytes, &v->bytes_served);
	this_cpu_add(vcache_served, bytes);
}

static u64 vcache_bytes_served(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(vcache_served, cpu);
	return sum;
}

/**
 * vcache_stats_fill() - the cache-wide counters
 * @st: filled in, for VCACHE_IOC_STATS and netlink's STATS_GET
 *
 * Context: process context; takes no lock.
 */
void vcache_stats_fill(struct vcache_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->mem_used = (u64)vcache_mem_used() << PAGE_SHIFT;
	st->mem_limit = (u64)vcache_mem_limit() << PAGE_SHIFT;
	st->videos = vcache_registry_count();
	st->evictions = vcache_registry_evictions();
	st->evictions_limit = vcache_registry_evictions_by(VCACHE_EVICT_LIMIT);
	st->evictions_pressure =
		vcache_registry_evictions_by(VCACHE_EVICT_PRESSURE);
	st->evictions_admin = vcache_registry_evictions_by(VCACHE_EVICT_ADMIN);
	st->shrink_pages = vcache_shrink_pages();
	st->bytes_served = vcache_bytes_served();
	vcache_aio_stats(st);
}

/**
 * vcache_video_info() - what INFO and netlink tell about a video
 * @v: the video
 * @info: filled in
 *
 * Context: any process context; takes no lock (a snapshot, each field as
 * of a recent moment).
 */
void vcache_video_info(struct vcache_video *v, struct vcache_info *info)
{
	memset(info, 0, sizeof(*info));
	strscpy_pad(info->name, v->name, sizeof(info->name));
	info->size = vcache_size(v);
	info->capacity = v->capacity;
	info->id = v->id;
	info->state = vcache_state(v);
	if (READ_ONCE(v->unlinked))
		info->flags |= VCACHE_INFO_DELETED;
	if (READ_ONCE(v->pinned))
		info->flags |= VCACHE_INFO_PINNED;
	info->fps_num = v->fps_num;
	info->fps_den = v->fps_den;
	info->open_count = atomic_read(&v->opens);
	info->map_count = atomic_read(&v->maps);
	info->bytes_served = atomic64_read(&v->bytes_served);
	info->mem_bytes = (u64)atomic_long_read(&v->mem_pages) << PAGE_SHIFT;
	info->create_time_ns = v->create_time;
	info->seal_time_ns = READ_ONCE(v->seal_time);
	info->access_time_ns = READ_ONCE(v->access_time);
	info->index_entries = READ_ONCE(v->index_count);
	info->duration = READ_ONCE(v->duration);
	if (v->live) {
		u32 writers = atomic_read(&v->writers);

		info->tail = vcache_live_tail(v, info->size);
		info->window = v->window;
		/* The writer leaves opens after writers, at its close. */
		info->viewers = info->open_count > writers ?
				info->open_count - writers : 0;
	}
}
