// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 4-level page tables: a builder whose tables live in a pool in
 * guest RAM, and a walker that reads tables through a callback.
 *
 * Intermediate entries are P|W|U|A: x86 ANDs W and U over all levels and
 * ORs NX, so with permissive upper levels the leaf alone decides what a
 * mapping allows. Leaves get P|A|D plus the caller's flags; A and D are
 * preset so the CPU never has to write them back during early boot.
 */
#include "internal/pgtable.h"
#include <colinux/abi/types.h>
#include <colinux/lib.h>

#define PT_4K		CO_PAGE_SIZE
#define PT_2M		(1ULL << 21)
#define PT_1G		(1ULL << 30)
#define PT_512G		(1ULL << 39)
#define PT_ENTRIES	512
#define PT_TABLE_FLAGS	(CO_PTE_P | CO_PTE_W | CO_PTE_U | CO_PTE_A)
#define PT_LEAF_FLAGS	(CO_PTE_P | CO_PTE_A | CO_PTE_D)
#define PT_USER_FLAGS	(CO_PTE_W | CO_PTE_U | CO_PTE_G | CO_PTE_NX)
#define PT_MAX_PA	(1ULL << 52)
/* 2 MiB and 1 GiB leaves: address bits below the page size, minus PAT. */
#define PT_2M_RSVD	(0x1fe000ULL)
#define PT_1G_RSVD	(0x3fffe000ULL)

static bool pt_canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

static uint64_t *pt_table_map(uint64_t table_hpa)
{
	return co_host_map(table_hpa >> CO_PAGE_SHIFT);
}

static void pt_table_unmap(uint64_t *t, uint64_t table_hpa)
{
	co_host_unmap(t, table_hpa >> CO_PAGE_SHIFT);
}

static int pt_alloc_table(struct co_pt *pt, uint64_t *hpa)
{
	uint64_t gpa;
	int err;

	if (pt->used >= pt->pool_pages)
		return -CO_ENOMEM;
	gpa = pt->pool_gpa + pt->used * PT_4K;
	err = co_ram_fill(pt->ram, gpa, 0, PT_4K);
	if (!err)
		err = co_ram_gpa_to_hpa(pt->ram, gpa, hpa);
	if (err)
		return err;
	pt->used++;
	return 0;
}

int co_pt_init(struct co_pt *pt, const struct co_ram *ram, uint64_t pool_gpa,
	       uint64_t pool_pages)
{
	int err;

	co_memset(pt, 0, sizeof(*pt));
	if (!CO_IS_ALIGNED(pool_gpa, PT_4K) || !pool_pages ||
	    pool_pages > ram->npages ||
	    !co_ram_contains(ram, pool_gpa, pool_pages * PT_4K))
		return -CO_EINVAL;
	pt->ram = ram;
	pt->pool_gpa = pool_gpa;
	pt->pool_pages = pool_pages;
	err = pt_alloc_table(pt, &pt->root_hpa);
	if (err)
		return err;
	pt->root_gpa = pool_gpa;
	return 0;
}

/*
 * The next-level table under entry @idx of @table, made if absent.
 * -CO_EBUSY if the entry is a large-page leaf.
 */
static int pt_descend(struct co_pt *pt, uint64_t table_hpa, unsigned int idx,
		      uint64_t *next_hpa)
{
	uint64_t *t, e, hpa;
	int err = 0;

	t = pt_table_map(table_hpa);
	if (!t)
		return -CO_EFAULT;
	e = t[idx];
	if (!(e & CO_PTE_P)) {
		err = pt_alloc_table(pt, &hpa);
		if (!err)
			t[idx] = hpa | PT_TABLE_FLAGS;
	} else if (e & CO_PTE_PS) {
		err = -CO_EBUSY;
	} else {
		hpa = e & CO_PTE_ADDR;
	}
	pt_table_unmap(t, table_hpa);
	if (!err)
		*next_hpa = hpa;
	return err;
}

/* Install a leaf; an existing identical one is fine, any other is a clash. */
static int pt_set_leaf(uint64_t table_hpa, unsigned int idx, uint64_t entry)
{
	uint64_t *t, e;
	int err = 0;

	t = pt_table_map(table_hpa);
	if (!t)
		return -CO_EFAULT;
	e = t[idx];
	if (!(e & CO_PTE_P))
		t[idx] = entry;
	else if (e != entry)
		err = -CO_EBUSY;
	pt_table_unmap(t, table_hpa);
	return err;
}

/* What the PD entry for @va holds now (0 if absent), tables made on the way. */
static int pt_get_pd(struct co_pt *pt, uint64_t va, uint64_t *pd_hpa,
		     uint64_t *pde)
{
	uint64_t pdpt, *t;
	int err;

	err = pt_descend(pt, pt->root_hpa, CO_PT_INDEX(va, 4), &pdpt);
	if (!err)
		err = pt_descend(pt, pdpt, CO_PT_INDEX(va, 3), pd_hpa);
	if (err)
		return err;
	t = pt_table_map(*pd_hpa);
	if (!t)
		return -CO_EFAULT;
	*pde = t[CO_PT_INDEX(va, 2)];
	pt_table_unmap(t, *pd_hpa);
	return 0;
}

static int pt_map_4k(struct co_pt *pt, uint64_t va, uint64_t hpa,
		     uint64_t flags)
{
	uint64_t pd, pde, ptab, leaf;
	int err;

	err = pt_get_pd(pt, va, &pd, &pde);
	if (err)
		return err;
	if ((pde & CO_PTE_P) && (pde & CO_PTE_PS)) {
		/* Already inside a 2 MiB page: fine only if it says the same. */
		leaf = ((pde & CO_PTE_ADDR & ~(PT_2M - 1)) | (va & (PT_2M - 1)));
		leaf |= pde & (CO_PTE_NX | (PT_4K - 1));
		leaf &= ~CO_PTE_PS;
		return leaf == (hpa | flags | PT_LEAF_FLAGS) ? 0 : -CO_EBUSY;
	}
	err = pt_descend(pt, pd, CO_PT_INDEX(va, 2), &ptab);
	if (err)
		return err;
	return pt_set_leaf(ptab, CO_PT_INDEX(va, 1), hpa | flags | PT_LEAF_FLAGS);
}

static int pt_map_2m(struct co_pt *pt, uint64_t va, uint64_t hpa,
		     uint64_t flags)
{
	uint64_t pd, pde, off;
	int err;

	err = pt_get_pd(pt, va, &pd, &pde);
	if (err)
		return err;
	if ((pde & CO_PTE_P) && !(pde & CO_PTE_PS)) {
		/* A page table is already there: fill it instead. */
		for (off = 0; off < PT_2M; off += PT_4K) {
			err = pt_map_4k(pt, va + off, hpa + off, flags);
			if (err)
				return err;
		}
		return 0;
	}
	return pt_set_leaf(pd, CO_PT_INDEX(va, 2),
			   hpa | flags | PT_LEAF_FLAGS | CO_PTE_PS);
}

static int pt_check_range(uint64_t va, uint64_t hpa, uint64_t size,
			  uint64_t flags)
{
	if (!CO_IS_ALIGNED(va | hpa | size, PT_4K) || (flags & ~PT_USER_FLAGS))
		return -CO_EINVAL;
	if (!size)
		return 0;
	/* The range may neither wrap nor leave its canonical half. */
	if (va + (size - 1) < va || !pt_canonical(va) ||
	    (va >> 47) != ((va + (size - 1)) >> 47))
		return -CO_EINVAL;
	if (hpa >= PT_MAX_PA || size > PT_MAX_PA - hpa)
		return -CO_EINVAL;
	return 0;
}

int co_pt_map(struct co_pt *pt, uint64_t va, uint64_t hpa, uint64_t size,
	      uint64_t flags)
{
	int err;

	err = pt_check_range(va, hpa, size, flags);
	while (!err && size) {
		if (CO_IS_ALIGNED(va | hpa, PT_2M) && size >= PT_2M) {
			err = pt_map_2m(pt, va, hpa, flags);
			va += PT_2M;
			hpa += PT_2M;
			size -= PT_2M;
		} else {
			err = pt_map_4k(pt, va, hpa, flags);
			va += PT_4K;
			hpa += PT_4K;
			size -= PT_4K;
		}
	}
	return err;
}

/* True if the 512 frames from guest page @idx are one aligned host run. */
static bool pt_run_2m(const struct co_ram *ram, uint64_t idx)
{
	uint64_t first = ram->pfn[idx], i;

	if (!CO_IS_ALIGNED(first, PT_ENTRIES) || ram->npages - idx < PT_ENTRIES)
		return false;
	for (i = 1; i < PT_ENTRIES; i++)
		if (ram->pfn[idx + i] != first + i)
			return false;
	return true;
}

int co_pt_map_gpa(struct co_pt *pt, uint64_t va, uint64_t gpa, uint64_t size,
		  uint64_t flags)
{
	const struct co_ram *ram = pt->ram;
	uint64_t idx, hpa, step;
	int err;

	if (!CO_IS_ALIGNED(gpa | size, PT_4K) ||
	    !co_ram_contains(ram, gpa, size))
		return -CO_EINVAL;
	if (ram->contiguous)
		return co_pt_map(pt, va, gpa - ram->base +
				 (ram->pfn[0] << CO_PAGE_SHIFT), size, flags);
	err = pt_check_range(va, 0, size, flags);
	while (!err && size) {
		idx = (gpa - ram->base) >> CO_PAGE_SHIFT;
		hpa = ram->pfn[idx] << CO_PAGE_SHIFT;
		step = PT_4K;
		if (CO_IS_ALIGNED(va, PT_2M) && size >= PT_2M &&
		    pt_run_2m(ram, idx))
			step = PT_2M;
		err = co_pt_map(pt, va, hpa, step, flags);
		va += step;
		gpa += step;
		size -= step;
	}
	return err;
}

/* Granules of @g bytes an arbitrary range of @size bytes can touch. */
static uint64_t pt_span(uint64_t size, uint64_t g)
{
	return size / g + (size % g ? 1 : 0) + 1;
}

uint64_t co_pt_pages_needed(uint64_t size)
{
	if (!size)
		return 1;
	/* The PML4, then page tables, directories and pointer tables. */
	return 1 + pt_span(size, PT_2M) + pt_span(size, PT_1G) +
	       pt_span(size, PT_512G);
}

int co_pt_walk(co_pt_read_fn *read, void *ctx, uint64_t root_hpa, uint64_t va,
	       struct co_pt_walk *w)
{
	uint64_t table = root_hpa & CO_PTE_ADDR, e = 0, size;
	uint64_t rw_us = CO_PTE_W | CO_PTE_U, nx = 0;
	int level, err;

	co_memset(w, 0, sizeof(*w));
	if (!pt_canonical(va))
		return -CO_EINVAL;
	for (level = 4; level >= 1; level--) {
		err = read(ctx, table + CO_PT_INDEX(va, level) * 8, &e);
		if (err)
			return err;
		if (!(e & CO_PTE_P))
			return -CO_ENOENT;
		rw_us &= e;
		nx |= e & CO_PTE_NX;
		size = 1ULL << (12 + 9 * (level - 1));
		if (level == 1 || (e & CO_PTE_PS))
			break;
		table = e & CO_PTE_ADDR;
	}
	if ((e & CO_PTE_PS) && level == 4)
		return -CO_EINVAL;
	if ((e & CO_PTE_PS) && level == 3 && (e & PT_1G_RSVD))
		return -CO_EINVAL;
	if ((e & CO_PTE_PS) && level == 2 && (e & PT_2M_RSVD))
		return -CO_EINVAL;
	w->level = level;
	w->page_size = size;
	w->hpa = (e & CO_PTE_ADDR & ~(size - 1)) | (va & (size - 1));
	w->flags = CO_PTE_P | rw_us | nx |
		   (e & (CO_PTE_PWT | CO_PTE_PCD | CO_PTE_A | CO_PTE_D |
			 CO_PTE_G));
	return 0;
}

/*
 * Where the last lookups of a frame found it, by frame number: walks touch
 * the same few table pages over and over. Only a hint, checked before use,
 * so VMs sharing it (or racing on it) cost speed, never correctness.
 */
#define PT_HINTS	64
static uint64_t pt_hint[PT_HINTS];

/* The guest page holding host frame @pfn, or -1: tables may be guest-made. */
static int64_t pt_ram_index(const struct co_ram *ram, uint64_t pfn)
{
	uint64_t *hint = &pt_hint[pfn % PT_HINTS];
	uint64_t i;

	if (!ram->npages)
		return -1;
	/* Frames often come in order: try the obvious slot first. */
	i = pfn - ram->pfn[0];
	if (pfn >= ram->pfn[0] && i < ram->npages && ram->pfn[i] == pfn)
		return i;
	if (ram->contiguous)
		return -1;
	i = __atomic_load_n(hint, __ATOMIC_RELAXED);
	if (i < ram->npages && ram->pfn[i] == pfn)
		return i;
	for (i = 0; i < ram->npages; i++) {
		if (ram->pfn[i] == pfn) {
			__atomic_store_n(hint, i, __ATOMIC_RELAXED);
			return i;
		}
	}
	return -1;
}

int co_pt_read_ram(void *ctx, uint64_t hpa, uint64_t *entry)
{
	const struct co_ram *ram = ctx;
	uint64_t *page;
	int64_t idx;

	if (!CO_IS_ALIGNED(hpa, 8))
		return -CO_EINVAL;
	idx = pt_ram_index(ram, hpa >> CO_PAGE_SHIFT);
	if (idx < 0)
		return -CO_EFAULT;
	page = co_host_map(hpa >> CO_PAGE_SHIFT);
	if (!page)
		return -CO_EFAULT;
	*entry = CO_READ_ONCE(page[(hpa & (PT_4K - 1)) / 8]);
	co_host_unmap(page, hpa >> CO_PAGE_SHIFT);
	return 0;
}
