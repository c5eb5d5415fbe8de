/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where vcache bridges kernel API differences between the
 * kernels it is built for (Debian's 6.1 and 6.12 today). The code calls the
 * current kernel's API; for an older kernel, this file provides it on top
 * of what that kernel has. Features are detected from the kernel's headers
 * by Kbuild (VCACHE_HAVE_* below), not from version numbers, because
 * distributions backport. On 6.12 every VCACHE_HAVE_* is defined and
 * nothing below is compiled: scripts/in-tree-build drops this file (unifdef
 * leaves it empty) when it lays the driver into a kernel tree.
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

#ifndef VCACHE_HAVE_INLINE_FOLIO_MAPCOUNT
/*
 * How many page table entries map a folio. 6.1 has folio_mapcount() out of
 * line and not exported, and page_mapcount() inline; since 6.9
 * folio_mapcount() is inline and page_mapcount() is gone (both in
 * include/linux/mm.h of Debian's 6.1.0 and 6.12.118 headers). vcache maps
 * order-0 pages only, whose folio's mapcount is its page's.
 */
#define folio_mapcount(folio)	page_mapcount(&(folio)->page)
#endif

#ifndef VCACHE_HAVE_GENL_INFO_DUMP
/*
 * The attributes of a dump request, as genl parsed them with the op's policy
 * before calling .start, are genl_info_dump(cb)->attrs: a struct genl_info
 * inside struct genl_dumpit_info since 6.6 (include/net/genetlink.h of
 * 6.12). 6.1's struct genl_dumpit_info has the attrs itself.
 */
static inline const struct genl_dumpit_info *
genl_info_dump(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb);
}
#endif

#ifndef VCACHE_HAVE_SHRINKER_ALLOC
/*
 * 6.7 made shrinkers allocated by the core: shrinker_alloc(),
 * shrinker_register(), shrinker_free() (freed after an RCU grace period, so
 * that the lockless walk of the list may run on). Before, the caller owned
 * the struct and called register_shrinker() / unregister_shrinker(), which
 * can fail. So that only shrinker_alloc() fails, as it does on 6.7, it
 * registers the shrinker here, with callbacks that find nothing until
 * the caller sets its own (a pointer store: reclaim sees the one or the
 * other), and shrinker_register() has nothing left to do.
 */
static inline unsigned long vcache_compat_shrink_none(struct shrinker *s,
						      struct shrink_control *sc)
{
	return 0;
}

static inline struct shrinker *shrinker_alloc(unsigned int flags,
					      const char *name)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->flags = flags;
	s->count_objects = vcache_compat_shrink_none;
	s->scan_objects = vcache_compat_shrink_none;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static inline void shrinker_register(struct shrinker *s)
{
}

static inline void shrinker_free(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(s);
}
#endif

#endif /* _VCACHE_COMPAT_H */
