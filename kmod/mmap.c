// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy access: the video's own pages mapped into userspace.
 *
 * Mappings are VM_MIXEDMAP with struct pages, so every PTE holds a page
 * reference and the pages outlive the video if need be. A fault maps a whole
 * run of present pages at once with vm_insert_pages(), so reading a 20 MiB
 * chunk costs a handful of faults rather than one per page.
 */
#include <linux/mm.h>
#include "compat.h"
#include "vcache.h"

/* Most pages one fault maps: one page table's worth. */
#define VCACHE_FAULT_BATCH	512UL

/*
 * Holes of sealed videos map this page of zeros, read-only, shared by every
 * mapping and charged to nobody: a reader must not fill a hole that stays a
 * hole for good, nor fail at the cache's limit where read(2) returns zeros.
 * Not the kernel's ZERO_PAGE: on 6.1, vm_insert_pages() takes a reference
 * and a mapcount on it that zapping does not give back (the zero pfn is no
 * "normal" page there), and 6.12 refuses it in most mappings. Each PTE holds
 * a reference of its own, as for the data pages. vcache_zero_run is the
 * page as often as one fault may map it.
 */
static struct page *vcache_zero_page;
static struct page *vcache_zero_run[VCACHE_FAULT_BATCH];

static bool vcache_vma_may_write(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_MAYWRITE;
}

static void vcache_vm_open(struct vm_area_struct *vma)
{
	struct vcache_video *v = vma->vm_private_data;

	vcache_video_get(v);
	atomic_inc(&v->maps);
	if (vcache_vma_may_write(vma))
		atomic_inc(&v->wmaps);
}

static void vcache_vm_close(struct vm_area_struct *vma)
{
	struct vcache_video *v = vma->vm_private_data;

	/* The last writable mapping gone: followers may be at the end. */
	if (vcache_vma_may_write(vma) && atomic_dec_and_test(&v->wmaps))
		vcache_wake(v);
	atomic_dec(&v->maps);
	vcache_video_unuse(v);
	vcache_video_put(v);
}

static vm_fault_t vcache_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vcache_video *v = vma->vm_private_data;
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long idx = vmf->pgoff, n, left;
	bool may_write = vcache_vma_may_write(vma);
	struct page *page, **pages;
	int err;

	left = min((vma->vm_end - addr) >> PAGE_SHIFT, VCACHE_FAULT_BATCH);
	if (v->live) {
		/* Against the end replacing ring pages (vcache_live_close()). */
		down_read(&v->ring_lock);
		/* All a ring's pages exist; runs end at the wrap. */
		page = vcache_live_map_page(v, idx, &n);
		if (n) {
			pages = &v->pages[v->nr_pages - n];
			n = min(n, left);
		} else {
			pages = &v->ctrl;
			n = 1;
		}
		err = vm_insert_pages(vma, addr, pages, &n);
		up_read(&v->ring_lock);
		goto inserted;
	}
	if (idx >= v->nr_pages)
		return VM_FAULT_SIGBUS;
	page = vcache_video_page(v, idx, VCACHE_PAGE_FIND);
	if (!page) {
		/* The state first: once sealed, the size read after is final. */
		bool sealed = vcache_state(v) == VCACHE_STATE_SEALED;
		unsigned long end = DIV_ROUND_UP_ULL(vcache_size(v), PAGE_SIZE);

		/* Readers get holes below the size, never new data. */
		if (!may_write && idx >= end)
			return VM_FAULT_SIGBUS;
		/*
		 * A sealed video's hole stays one: zeros, as far as it goes.
		 * (Its mappings cannot write: SEAL refused writable ones and
		 * mmap makes no more.) A loading video's hole gets a page of
		 * its own, which a later write must land in.
		 */
		if (!may_write && sealed) {
			left = min(left, end - idx);
			for (n = 1; n < left; n++)
				if (vcache_video_page(v, idx + n, VCACHE_PAGE_FIND))
					break;
			pages = vcache_zero_run;
			goto insert;
		}
		page = vcache_video_page(v, idx, VCACHE_PAGE_ALLOC);
		if (IS_ERR(page))
			return PTR_ERR(page) == -ENOMEM ? VM_FAULT_OOM :
							  VM_FAULT_SIGBUS;
	}

	/* Extend to the run of present pages after this one. */
	left = min(left, v->nr_pages - idx);
	for (n = 1; n < left; n++)
		if (!vcache_video_page(v, idx + n, VCACHE_PAGE_FIND))
			break;
	pages = &v->pages[idx];
insert:
	err = vm_insert_pages(vma, addr, pages, &n);
inserted:
	/* -EBUSY: a racing fault mapped the first page already. */
	if (err && err != -EBUSY)
		return vmf_error(err);
	vcache_touch(v);
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct vcache_vm_ops = {
	.open = vcache_vm_open,
	.close = vcache_vm_close,
	.fault = vcache_vm_fault,
};

/**
 * vcache_mmap_init() - allocate the page that maps sealed holes
 *
 * Context: module init.
 * Return: 0, or -ENOMEM.
 */
int vcache_mmap_init(void)
{
	unsigned long i;

	vcache_zero_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vcache_zero_page)
		return -ENOMEM;
	for (i = 0; i < VCACHE_FAULT_BATCH; i++)
		vcache_zero_run[i] = vcache_zero_page;
	return 0;
}

/**
 * vcache_mmap_exit() - drop the module's reference to the zero page
 *
 * No mapping is left (each holds the device file, which holds the module),
 * so this frees it.
 *
 * Context: module exit.
 */
void vcache_mmap_exit(void)
{
	put_page(vcache_zero_page);
}

/**
 * vcache_mmap() - mmap of a descriptor
 * @file: the descriptor, bound
 * @vma: the new mapping
 *
 * Context: process context, mmap_lock held for writing; takes v->map_lock
 * (not v->lock, which is outside mmap_lock).
 * Return: 0, -EBADFD unbound, -EINVAL beyond the video or not shared, or
 * -EPERM for a writable mapping of what may not be written.
 */
int vcache_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vcache_video *v = vcache_file_video(file);
	unsigned long limit;
	bool read_only;
	int err = 0;

	if (!v)
		return -EBADFD;
	/* A read-only fd's MAP_SHARED loses VM_SHARED but keeps VM_MAYSHARE. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	/*
	 * map_lock, not v->lock (see struct vcache_video); a spinlock, so the
	 * VMA's flags, whose update may sleep, are set after it.
	 */
	spin_lock(&v->map_lock);
	if (v->live) {
		/* The control page, then the ring twice in a row. */
		limit = VCACHE_LIVE_DATA_PGOFF + 2 * v->nr_pages;
		read_only = vma->vm_pgoff < VCACHE_LIVE_DATA_PGOFF ||
			    !(file->f_mode & FMODE_WRITE) ||
			    READ_ONCE(v->state) != VCACHE_STATE_LIVE;
	} else if (vcache_state(v) == VCACHE_STATE_SEALED) {
		limit = DIV_ROUND_UP_ULL(v->size, PAGE_SIZE);
		read_only = true;
	} else {
		limit = v->nr_pages;
		read_only = !(file->f_mode & FMODE_WRITE);
	}
	/* (mmap(2) refused PROT_WRITE to a read-only descriptor already.) */
	if (read_only && (vma->vm_flags & VM_WRITE)) {
		err = -EPERM;
		goto out;
	}
	/* vm_pgoff can be near ULONG_MAX: compare without adding to it. */
	if (vma->vm_pgoff >= limit || vma_pages(vma) > limit - vma->vm_pgoff) {
		err = -EINVAL;
		goto out;
	}
	/* What vcache_vm_open() counts, with VM_MAYWRITE as it will be. */
	vcache_video_get(v);
	atomic_inc(&v->maps);
	if (!read_only && vcache_vma_may_write(vma)) {
		atomic_inc(&v->wmaps);
		/* SEAL looks at the pages without map_lock: tell it. */
		v->wmap_gen++;
	}
out:
	spin_unlock(&v->map_lock);
	if (err)
		return err;
	if (read_only)
		vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vcache_vm_ops;
	vma->vm_private_data = v;
	return 0;
}
