/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where vcache bridges kernel API differences between the
 * kernels it is built for (Debian's 6.1 and 6.12 today). Features are
 * detected from the kernel's headers by Kbuild (VCACHE_HAVE_* below), not
 * from version numbers, because distributions backport.
 */
#ifndef _VCACHE_COMPAT_H
#define _VCACHE_COMPAT_H

#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#ifndef VCACHE_HAVE_VM_FLAGS_SET
/*
 * vma->vm_flags became read-only in 6.3 and gained these accessors
 * (include/linux/mm.h; 6.1's has neither, 6.12's has them).
 */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * How many page table entries map an order-0 page. 6.1 has page_mapcount()
 * inline and folio_mapcount() out of line and not exported; since 6.9
 * folio_mapcount() is inline and page_mapcount() is gone (both in
 * include/linux/mm.h of Debian's 6.1.0 and 6.12.118 headers).
 */
#ifdef VCACHE_HAVE_INLINE_FOLIO_MAPCOUNT
static inline int vcache_page_mapcount(struct page *page)
{
	return folio_mapcount(page_folio(page));
}
#else
static inline int vcache_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/*
 * The attributes of a dump request, as genl parsed them with the op's policy
 * before calling .start. They moved into a struct genl_info inside struct
 * genl_dumpit_info (6.6), which genl_info_dump() returns
 * (include/net/genetlink.h of 6.12; absent from 6.1's).
 */
#ifdef VCACHE_HAVE_GENL_INFO_DUMP
static inline struct nlattr **vcache_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#else
static inline struct nlattr **vcache_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/*
 * A shrinker, registered under @name (/sys/kernel/debug/shrinker/ where
 * there is one). 6.7 made shrinkers allocated by the core (shrinker_alloc(),
 * shrinker_register(), shrinker_free(): freed after an RCU grace period, so
 * that the lockless walk of the list may run on); before, the caller owned
 * the struct and called register_shrinker() / unregister_shrinker(). Both
 * give the same thing here: a shrinker set up, running, or NULL.
 */
#ifdef VCACHE_HAVE_SHRINKER_ALLOC
static inline struct shrinker *
vcache_shrinker_create(const char *name,
		       unsigned long (*count)(struct shrinker *,
					      struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *,
					     struct shrink_control *))
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void vcache_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *
vcache_shrinker_create(const char *name,
		       unsigned long (*count)(struct shrinker *,
					      struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *,
					     struct shrink_control *))
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static inline void vcache_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(s);
}
#endif

#endif /* _VCACHE_COMPAT_H */
