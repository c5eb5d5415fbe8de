// SPDX-License-Identifier: GPL-2.0
/*
 * The cache's memory budget, counted in pages. Charging is one atomic add on
 * the fast path; only when the budget is exhausted do we take the registry
 * lock to evict an unused sealed video.
 */
#include <linux/mm.h>
#include "vcache.h"

static atomic_long_t vcache_used_pages = ATOMIC_LONG_INIT(0);
static unsigned long vcache_limit_pages;

/*
 * Sets the budget (0: a quarter of RAM). Lowering it below what is in use
 * evicts unused sealed videos until the cache fits, or nothing is left to
 * evict; videos in use keep their memory.
 */
int vcache_mem_set_limit(unsigned int max_mb)
{
	unsigned long ram = totalram_pages(), limit;

	limit = max_mb ? (unsigned long)max_mb << (20 - PAGE_SHIFT) : ram / 4;
	if (!limit || limit > ram)
		return -EINVAL;
	WRITE_ONCE(vcache_limit_pages, limit);
	while (atomic_long_read(&vcache_used_pages) > limit &&
	       vcache_registry_evict_one())
		;
	return 0;
}

int vcache_mem_charge(unsigned long nr_pages)
{
	for (;;) {
		if (atomic_long_add_return(nr_pages, &vcache_used_pages) <=
		    READ_ONCE(vcache_limit_pages))
			return 0;
		atomic_long_sub(nr_pages, &vcache_used_pages);
		if (!vcache_registry_evict_one())
			return -ENOSPC;
	}
}

/* For requests that must not block: no eviction (it sleeps on a mutex). */
int vcache_mem_charge_nowait(unsigned long nr_pages)
{
	if (atomic_long_add_return(nr_pages, &vcache_used_pages) <=
	    READ_ONCE(vcache_limit_pages))
		return 0;
	atomic_long_sub(nr_pages, &vcache_used_pages);
	return -EAGAIN;
}

void vcache_mem_uncharge(unsigned long nr_pages)
{
	atomic_long_sub(nr_pages, &vcache_used_pages);
}

unsigned long vcache_mem_used(void)
{
	return atomic_long_read(&vcache_used_pages);
}

unsigned long vcache_mem_limit(void)
{
	return READ_ONCE(vcache_limit_pages);
}
