// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy access: the video's own pages mapped into userspace.
 *
 * Mappings are VM_MIXEDMAP with struct pages, so every PTE holds a page
 * reference and the pages outlive the video if need be. A fault maps a whole
 * run of present pages at once with vm_insert_pages(), so reading a 20 MiB
 * chunk costs a handful of faults rather than one per page.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include "compat.h"
#include "vcache.h"

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

	if (v->live)
		return vcache_live_fault(vmf);
	left = min((vma->vm_end - addr) >> PAGE_SHIFT, VCACHE_FAULT_BATCH);
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
		/*
		 * Out of the cache's budget (-ENOSPC) or of the memory
		 * cgroup's (-ENOMEM): SIGBUS, as a file's mapping past the
		 * end of a full file system. Never VM_FAULT_OOM: the fault
		 * would be retried for ever (pagefault_out_of_memory() of 6.1
		 * and 6.12 only retries it), and the loader is better told
		 * than killed.
		 */
		page = vcache_video_page(v, idx, VCACHE_PAGE_ALLOC);
		if (IS_ERR(page))
			return VM_FAULT_SIGBUS;
	}

	/* Extend to the run of present pages after this one. */
	left = min(left, v->nr_pages - idx);
	for (n = 1; n < left; n++)
		if (!vcache_video_page(v, idx + n, VCACHE_PAGE_FIND))
			break;
	pages = &v->pages[idx];
insert:
	err = vm_insert_pages(vma, addr, pages, &n);
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

/*
 * One address_space for every mapping of the device, whichever device node
 * it was opened through (as DRM does): unmap_mapping_range() on it reaches
 * all of them, so the end of a live stream can take ring pages away from
 * its viewers' page tables (vcache_live_close()).
 */
#define VCACHE_FS_MAGIC	0x76636163	/* "vcac" */

static struct vfsmount *vcache_mnt;
static struct inode *vcache_inode;
struct address_space *vcache_mapping;

static int vcache_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VCACHE_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Never registered, so nobody else mounts it; no .owner, or our own mount
 * would hold the module and rmmod could never unload it.
 */
static struct file_system_type vcache_fs_type = {
	.name = "vcache",
	.init_fs_context = vcache_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int vcache_fs_init(void)
{
	vcache_mnt = kern_mount(&vcache_fs_type);
	if (IS_ERR(vcache_mnt))
		return PTR_ERR(vcache_mnt);
	vcache_inode = alloc_anon_inode(vcache_mnt->mnt_sb);
	if (IS_ERR(vcache_inode)) {
		kern_unmount(vcache_mnt);
		return PTR_ERR(vcache_inode);
	}
	vcache_mapping = vcache_inode->i_mapping;
	return 0;
}

static void vcache_fs_exit(void)
{
	iput(vcache_inode);
	kern_unmount(vcache_mnt);
}

/**
 * vcache_mmap_init() - set up the mappings' address_space and zero page
 *
 * Context: module init, before the device is registered.
 * Return: 0, or an error.
 */
int vcache_mmap_init(void)
{
	unsigned long i;
	int err;

	vcache_zero_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vcache_zero_page)
		return -ENOMEM;
	for (i = 0; i < VCACHE_FAULT_BATCH; i++)
		vcache_zero_run[i] = vcache_zero_page;
	err = vcache_fs_init();
	if (err)
		put_page(vcache_zero_page);
	return err;
}

/**
 * vcache_mmap_exit() - drop the mappings' address_space and zero page
 *
 * No mapping is left (each holds the device file, which holds the module),
 * so this frees them.
 *
 * Context: module exit.
 */
void vcache_mmap_exit(void)
{
	vcache_fs_exit();
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
		limit = vcache_live_map_limit(v, file, vma, &read_only);
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
