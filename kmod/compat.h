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

#ifndef VCACHE_HAVE_VM_FLAGS_SET
/* vma->vm_flags became read-only in 6.3 and gained these accessors. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* _VCACHE_COMPAT_H */
