// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back when the system runs short: the cache's shrinker.
 *
 * Unused sealed videos are a cache, as the page cache is: when reclaim
 * needs memory, the kernel asks every shrinker how much it could free
 * (count_objects) and then asks for some of it (scan_objects). Ours counts
 * the pages of the videos on the registry's idle list (sealed, no
 * descriptor, no mapping, not pinned), one atomic read, and evicts them
 * least recently released first, as the cache's own limit does. Objects
 * are pages: a video's pages go back together, so one eviction may free
 * more than asked, which the shrinker core allows.
 *
 * Reclaim runs in whatever thread allocates, holding whatever locks it
 * holds, so the scan never sleeps on a lock: the registry lock with a
 * trylock (SHRINK_STOP when taken), the idle list's and the held pages'
 * spinlocks, the events with GFP_NOWAIT. The pages of an evicted video go
 * with its last reference, as after any eviction: a reader that still
 * holds it keeps it, and pages lent to pipes stay until given back
 * (vcache_mem_release_page()). The scan reports only the pages its own
 * puts freed, and shrink_pages counts pages when they are freed: reclaim
 * and the stats get what really left, never what merely may leave later.
 *
 * Not memcg-aware, on purpose: see the uapi header.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include "compat.h"
#include "vcache.h"

static bool shrink = true;
module_param(shrink, bool, 0644);
MODULE_PARM_DESC(shrink, "Give unused sealed videos back under memory pressure (default Y). Writable at run time");

static unsigned int min_mb;
module_param(min_mb, uint, 0644);
MODULE_PARM_DESC(min_mb, "Floor in MiB the shrinker never takes the cache below (default 0). Writable at run time");

static struct shrinker *vcache_shrinker;
static atomic_long_t vcache_shrunk = ATOMIC_LONG_INIT(0);

/* Pages the shrinker may still take: above the floor, of idle videos. */
static unsigned long vcache_shrinkable(void)
{
	unsigned long floor = (unsigned long)READ_ONCE(min_mb) << (20 - PAGE_SHIFT);
	unsigned long used = vcache_mem_used();

	if (!READ_ONCE(shrink) || used <= floor)
		return 0;
	return min(vcache_registry_idle_pages(), used - floor);
}

static unsigned long vcache_shrink_count(struct shrinker *s,
					 struct shrink_control *sc)
{
	unsigned long n = vcache_shrinkable();

	return n ? n : SHRINK_EMPTY;
}

/*
 * Evicts until @sc->nr_to_scan pages are freed, the floor is reached, or
 * nothing is left. A floor never cuts a video in half: the last one
 * evicted may take the cache a little below it.
 */
static unsigned long vcache_shrink_scan(struct shrinker *s,
					struct shrink_control *sc)
{
	unsigned long freed = 0;
	long pages;

	while (freed < sc->nr_to_scan && vcache_shrinkable()) {
		pages = vcache_registry_shrink_one();
		if (pages == -EBUSY) {
			/* Someone holds the registry lock: try later. */
			if (!freed)
				return SHRINK_STOP;
			break;
		}
		if (pages < 0)
			break;
		/* 0: evicted, but a reader or pipe still holds the pages. */
		freed += pages;
	}
	/* Nothing freed, nothing scanned: the core would ask again at once. */
	if (!freed)
		return SHRINK_STOP;
	sc->nr_scanned = freed;
	return freed;
}

/**
 * vcache_shrink_freed() - count pages an eviction for pressure gave back
 * @nr_pages: pages freed and uncharged by the last put of such a video
 *
 * Counted there, not at the eviction: a video a reader still held when
 * the shrinker evicted it gives its pages back with that reader's put, and
 * pages lent to a pipe are not given back by either.
 *
 * Context: any.
 */
void vcache_shrink_freed(unsigned long nr_pages)
{
	atomic_long_add(nr_pages, &vcache_shrunk);
}

/**
 * vcache_shrink_pages() - pages the shrinker gave back so far
 *
 * Context: any.
 * Return: the count, for vcache_stats.shrink_pages.
 */
unsigned long vcache_shrink_pages(void)
{
	return atomic_long_read(&vcache_shrunk);
}

/**
 * vcache_shrink_init() - register the shrinker
 *
 * Context: module init, once the registry can evict.
 * Return: 0, or -ENOMEM.
 */
int vcache_shrink_init(void)
{
	vcache_registry_taint_reclaim();
	vcache_shrinker = shrinker_alloc(0, "vcache");
	if (!vcache_shrinker)
		return -ENOMEM;
	vcache_shrinker->count_objects = vcache_shrink_count;
	vcache_shrinker->scan_objects = vcache_shrink_scan;
	vcache_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(vcache_shrinker);
	return 0;
}

/**
 * vcache_shrink_exit() - unregister the shrinker
 *
 * Waits for scans under way to finish.
 *
 * Context: module exit, process context, may sleep.
 */
void vcache_shrink_exit(void)
{
	shrinker_free(vcache_shrinker);
}
