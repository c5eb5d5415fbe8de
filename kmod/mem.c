// SPDX-License-Identifier: GPL-2.0
/*
 * The cache's memory budget, counted in pages, and max_mb, the parameter
 * that sets it. Charging is one atomic add on the fast path; only when the
 * budget is exhausted do we take the registry lock to evict an unused
 * sealed video.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "vcache.h"

static atomic_long_t vcache_used_pages = ATOMIC_LONG_INIT(0);
static unsigned long vcache_limit_pages;

/*
 * Pages of freed videos that pipes, sockets or pins still hold: they stay
 * charged until the last of those lets go, so that mem_used tells what the
 * cache's data really occupies. Linked through page->lru, which belongs to
 * whoever allocated the page (us); a worker looks at them ten times a
 * second while there are any.
 */
static LIST_HEAD(vcache_held_pages);
static DEFINE_SPINLOCK(vcache_held_lock);
static void vcache_held_scan(struct work_struct *work);
static DECLARE_DELAYED_WORK(vcache_held_work, vcache_held_scan);

#define VCACHE_HELD_SCAN_DELAY	(HZ / 10)

/**
 * vcache_mem_release_page() - drop the cache's reference to a video's page
 * @page: a data page of a video being freed
 *
 * Frees and uncharges @page if nobody else holds it; otherwise keeps it,
 * charged, until they are done.
 *
 * Context: process context.
 * Return: true if @page was freed now, false if it is kept for its holders.
 */
bool vcache_mem_release_page(struct page *page)
{
	if (page_ref_count(page) == 1) {
		put_page(page);
		vcache_mem_uncharge(1);
		return true;
	}
	spin_lock(&vcache_held_lock);
	list_add_tail(&page->lru, &vcache_held_pages);
	spin_unlock(&vcache_held_lock);
	schedule_delayed_work(&vcache_held_work, VCACHE_HELD_SCAN_DELAY);
	return false;
}

/* Frees held pages whose other holders are gone; all of them with @all. */
static void vcache_held_release(bool all)
{
	struct page *page, *tmp;
	unsigned long freed = 0;
	LIST_HEAD(done);
	bool more;

	spin_lock(&vcache_held_lock);
	list_for_each_entry_safe(page, tmp, &vcache_held_pages, lru)
		if (all || page_ref_count(page) == 1)
			list_move(&page->lru, &done);
	more = !list_empty(&vcache_held_pages);
	spin_unlock(&vcache_held_lock);
	list_for_each_entry_safe(page, tmp, &done, lru) {
		list_del(&page->lru);
		put_page(page);
		freed++;
	}
	vcache_mem_uncharge(freed);
	if (more && !all)
		schedule_delayed_work(&vcache_held_work, VCACHE_HELD_SCAN_DELAY);
}

static void vcache_held_scan(struct work_struct *work)
{
	vcache_held_release(false);
}

/**
 * vcache_mem_exit() - let go of every held page at module exit
 *
 * The pages live on as long as their other holders need them; only the
 * cache's reference and charge go.
 *
 * Context: process context, after the last video was freed.
 */
void vcache_mem_exit(void)
{
	cancel_delayed_work_sync(&vcache_held_work);
	vcache_held_release(true);
}

/**
 * vcache_mem_set_limit() - set the cache's budget
 * @mb: the budget in MiB; 0: a quarter of RAM
 *
 * Lowering it below what is in use evicts unused sealed videos until the
 * cache fits, or nothing is left to evict; videos in use keep their memory.
 *
 * Context: process context, may sleep (registry lock).
 * Return: 0, or -EINVAL for a budget of none or more than all memory.
 */
static int vcache_mem_set_limit(unsigned int mb)
{
	unsigned long ram = totalram_pages(), limit;

	limit = mb ? (unsigned long)mb << (20 - PAGE_SHIFT) : ram / 4;
	if (!limit || limit > ram)
		return -EINVAL;
	WRITE_ONCE(vcache_limit_pages, limit);
	while (atomic_long_read(&vcache_used_pages) > limit &&
	       vcache_registry_evict_one(VCACHE_EVICT_ADMIN))
		;
	return 0;
}

static unsigned int max_mb;

static int vcache_max_mb_set(const char *val, const struct kernel_param *kp)
{
	unsigned int mb;
	int err;

	err = kstrtouint(val, 0, &mb);
	if (err)
		return err;
	err = vcache_mem_set_limit(mb);
	if (err)
		return err;
	*(unsigned int *)kp->arg = mb;
	return 0;
}

static const struct kernel_param_ops vcache_max_mb_ops = {
	.set = vcache_max_mb_set,
	.get = param_get_uint,
};

module_param_cb(max_mb, &vcache_max_mb_ops, &max_mb, 0644);
MODULE_PARM_DESC(max_mb, "Memory limit for cached videos in MiB; 0 (default): a quarter of RAM. Writable at run time");

/**
 * vcache_set_max_mb() - set the cache's limit as netlink does
 * @mb: the new limit in MiB, 0 for the default
 *
 * Under the lock that writes of the parameter file take too, so that
 * max_mb always reads as the limit in force.
 *
 * Context: process context, may sleep; takes kernel_param_lock, then the
 * registry lock to evict down to the limit.
 * Return: 0, or -EINVAL for a limit of no or more than all memory.
 */
int vcache_set_max_mb(unsigned int mb)
{
	int err;

	kernel_param_lock(THIS_MODULE);
	err = vcache_mem_set_limit(mb);
	if (!err)
		max_mb = mb;
	kernel_param_unlock(THIS_MODULE);
	return err;
}

/**
 * vcache_mem_init() - set the budget max_mb gave at load, or the default
 *
 * Context: module init.
 * Return: 0, or -EINVAL for a budget of none or more than all memory.
 */
int vcache_mem_init(void)
{
	/* Covers the default; a max_mb given at load was checked when set. */
	return vcache_mem_set_limit(max_mb);
}

/**
 * vcache_mem_charge() - charge pages to the cache's budget, evicting if need be
 * @nr_pages: how many
 *
 * Context: process context, may sleep: eviction takes the registry lock, so
 * no spinlock may be held, nor the registry lock itself.
 * Return: 0, or -ENOSPC when nothing is left to evict.
 */
int vcache_mem_charge(unsigned long nr_pages)
{
	/* Eviction takes the registry mutex: callers must be able to sleep. */
	might_sleep();
	for (;;) {
		if (atomic_long_add_return(nr_pages, &vcache_used_pages) <=
		    READ_ONCE(vcache_limit_pages))
			return 0;
		atomic_long_sub(nr_pages, &vcache_used_pages);
		if (!vcache_registry_evict_one(VCACHE_EVICT_LIMIT))
			return -ENOSPC;
	}
}

/**
 * vcache_mem_charge_nowait() - charge pages without evicting
 * @nr_pages: how many
 *
 * For requests that must not block: no eviction (it sleeps on a mutex).
 *
 * Context: any.
 * Return: 0, or -EAGAIN over the budget.
 */
int vcache_mem_charge_nowait(unsigned long nr_pages)
{
	if (atomic_long_add_return(nr_pages, &vcache_used_pages) <=
	    READ_ONCE(vcache_limit_pages))
		return 0;
	atomic_long_sub(nr_pages, &vcache_used_pages);
	return -EAGAIN;
}

/**
 * vcache_mem_charge_over() - charge pages that must exist, limit or not
 * @nr_pages: how many
 *
 * Evicts what it can to make room, like vcache_mem_charge(), and charges
 * past the limit if that is not enough: for the few allocations that keep
 * a promise and may not fail (the copies of a live stream's held ring pages
 * at its end). The excess shows in mem_used, and the next charges evict
 * until the cache fits again.
 *
 * Context: process context, may sleep.
 */
void vcache_mem_charge_over(unsigned long nr_pages)
{
	if (vcache_mem_charge(nr_pages))
		atomic_long_add(nr_pages, &vcache_used_pages);
}

/**
 * vcache_mem_uncharge() - give pages back to the budget
 * @nr_pages: how many
 *
 * Context: any.
 */
void vcache_mem_uncharge(unsigned long nr_pages)
{
	atomic_long_sub(nr_pages, &vcache_used_pages);
}

/**
 * vcache_mem_used() - pages charged now
 *
 * Context: any.
 * Return: the pages charged to the cache.
 */
unsigned long vcache_mem_used(void)
{
	return atomic_long_read(&vcache_used_pages);
}

/**
 * vcache_mem_limit() - the budget
 *
 * Context: any.
 * Return: the budget in pages.
 */
unsigned long vcache_mem_limit(void)
{
	return READ_ONCE(vcache_limit_pages);
}
