// SPDX-License-Identifier: GPL-2.0
/*
 * Host physical pages and the non-paged heap on NT.
 *
 * Pages come in chunks: one MDL from MmAllocatePagesForMdlEx (zeroed,
 * fully required), mapped once into system space read-write and
 * no-execute, and kept mapped until the chunk is freed, so co_host_map is
 * a lookup and co_host_unmap has nothing to undo. Requests of a few pages
 * (the passage, page-table pages) get one chunk per page so that the
 * passage code page alone can be made executable (co_nt_page_set_exec).
 *
 * Every frame handed out is in a hash table: co_host_map answers NULL for
 * a frame this host does not own, and the free functions find the chunk.
 *
 * Without MmAllocatePagesForMdlEx (resolved at run time; Wine's ntoskrnl
 * lacks it) pages come from NonPagedPoolNx, with the frame numbers from
 * MmGetPhysicalAddress. Such pages cannot be made executable.
 */
#include "nt_host.h"

#define CHUNK_PAGES	512		/* 2 MiB per MDL */
#define SMALL_REQUEST	8		/* up to this many: a chunk per page */
#define HASH_BITS	16

enum chunk_kind { CHUNK_MDL, CHUNK_POOL, CHUNK_CONTIG };

struct chunk {
	enum chunk_kind kind;
	PMDL mdl;
	uint8_t *va;
	size_t npages;			/* mapped at va */
	size_t live;			/* pages not yet freed */
	void *alloc_base;		/* CHUNK_CONTIG: what to free */
	size_t alloc_bytes;
};

struct page {
	struct page *next;
	uint64_t pfn;
	struct chunk *chunk;
	size_t index;
};

typedef PMDL (NTAPI *alloc_mdl_ex_fn)(PHYSICAL_ADDRESS, PHYSICAL_ADDRESS,
				      PHYSICAL_ADDRESS, SIZE_T,
				      MEMORY_CACHING_TYPE, ULONG);
typedef PVOID (NTAPI *pool2_fn)(ULONG64, SIZE_T, ULONG);
#define POOL_FLAG_NON_PAGED_NX	0x40ULL	/* POOL_FLAG_NON_PAGED */

static alloc_mdl_ex_fn alloc_mdl_ex;
static pool2_fn pool2;
static struct page **hash;
static KSPIN_LOCK hash_lock;
static volatile LONG nr_pages, nr_heap;

static unsigned int hash_of(uint64_t pfn)
{
	return (unsigned int)((pfn * 0x9e3779b97f4a7c15ULL) >> (64 - HASH_BITS));
}

/* ---- heap --------------------------------------------------------------- */

void *co_host_alloc(size_t size)
{
	void *p;

	if (!size)
		size = 1;
	if (pool2)
		p = pool2(POOL_FLAG_NON_PAGED_NX, size, CO_NT_POOL_TAG);
	else
		p = ExAllocatePoolWithTag(NonPagedPoolNx, size, CO_NT_POOL_TAG);
	if (p)
		InterlockedIncrement(&nr_heap);
	return p;
}

void *co_host_zalloc(size_t size)
{
	void *p = co_host_alloc(size);

	if (p)
		RtlZeroMemory(p, size);
	return p;
}

void co_host_free(void *p)
{
	if (!p)
		return;
	InterlockedDecrement(&nr_heap);
	ExFreePoolWithTag(p, CO_NT_POOL_TAG);
}

/* ---- the frame table ---------------------------------------------------- */

static struct page *lookup_locked(uint64_t pfn)
{
	struct page *p;

	for (p = hash[hash_of(pfn)]; p; p = p->next)
		if (p->pfn == pfn)
			return p;
	return NULL;
}

static struct page *lookup(uint64_t pfn)
{
	struct page *p;
	KIRQL irql;

	KeAcquireSpinLock(&hash_lock, &irql);
	p = lookup_locked(pfn);
	KeReleaseSpinLock(&hash_lock, irql);
	return p;
}

/* A frame seen twice would mean the allocator handed out a page twice. */
static int insert(struct page *p)
{
	unsigned int h = hash_of(p->pfn);
	KIRQL irql;
	int err = 0;

	KeAcquireSpinLock(&hash_lock, &irql);
	if (lookup_locked(p->pfn)) {
		err = -CO_EBUSY;
	} else {
		p->next = hash[h];
		hash[h] = p;
	}
	KeReleaseSpinLock(&hash_lock, irql);
	return err;
}

static struct page *take(uint64_t pfn)
{
	struct page **pp, *p = NULL;
	KIRQL irql;

	KeAcquireSpinLock(&hash_lock, &irql);
	for (pp = &hash[hash_of(pfn)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->pfn == pfn) {
			p = *pp;
			*pp = p->next;
			break;
		}
	}
	KeReleaseSpinLock(&hash_lock, irql);
	return p;
}

/* ---- chunks ------------------------------------------------------------- */

static void chunk_release(struct chunk *c)
{
	switch (c->kind) {
	case CHUNK_MDL:
		if (c->va)
			MmUnmapLockedPages(c->va, c->mdl);
		MmFreePagesFromMdl(c->mdl);
		ExFreePool(c->mdl);
		break;
	case CHUNK_POOL:
		ExFreePoolWithTag(c->alloc_base, CO_NT_POOL_TAG);
		break;
	case CHUNK_CONTIG:
		MmFreeContiguousMemorySpecifyCache(c->alloc_base, c->alloc_bytes,
						   MmCached);
		break;
	}
	ExFreePoolWithTag(c, CO_NT_POOL_TAG);
}

static struct chunk *chunk_new(enum chunk_kind kind)
{
	struct chunk *c = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*c),
						CO_NT_POOL_TAG);

	if (c) {
		RtlZeroMemory(c, sizeof(*c));
		c->kind = kind;
	}
	return c;
}

static struct chunk *chunk_mdl(size_t npages)
{
	PHYSICAL_ADDRESS low, high, skip;
	struct chunk *c = chunk_new(CHUNK_MDL);

	if (!c)
		return NULL;
	low.QuadPart = 0;
	high.QuadPart = -1;
	skip.QuadPart = 0;
	c->mdl = alloc_mdl_ex(low, high, skip, npages * PAGE_SIZE, MmCached,
			      MM_ALLOCATE_FULLY_REQUIRED);
	if (!c->mdl)
		goto fail;
	if (MmGetMdlByteCount(c->mdl) != npages * PAGE_SIZE) {
		MmFreePagesFromMdl(c->mdl);
		ExFreePool(c->mdl);
		goto fail;
	}
	c->va = MmMapLockedPagesSpecifyCache(c->mdl, KernelMode, MmCached,
					     NULL, FALSE,
					     NormalPagePriority |
					     MdlMappingNoExecute);
	c->npages = npages;
	if (!c->va) {
		chunk_release(c);
		return NULL;
	}
	return c;
fail:
	ExFreePoolWithTag(c, CO_NT_POOL_TAG);
	return NULL;
}

/*
 * Pool blocks of a page or more start on a page boundary in Windows; a
 * pool that does not promise it (Wine's is a heap) gets a page of slack.
 */
static struct chunk *chunk_pool(size_t npages)
{
	struct chunk *c = chunk_new(CHUNK_POOL);
	size_t bytes = npages * PAGE_SIZE;
	uint8_t *p;

	if (!c)
		return NULL;
	p = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, CO_NT_POOL_TAG);
	if (p && ((uintptr_t)p & (PAGE_SIZE - 1))) {
		ExFreePoolWithTag(p, CO_NT_POOL_TAG);
		bytes += PAGE_SIZE;
		p = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, CO_NT_POOL_TAG);
	}
	if (!p) {
		ExFreePoolWithTag(c, CO_NT_POOL_TAG);
		return NULL;
	}
	c->alloc_base = p;
	c->alloc_bytes = bytes;
	c->va = (uint8_t *)(((uintptr_t)p + PAGE_SIZE - 1) &
			    ~(uintptr_t)(PAGE_SIZE - 1));
	RtlZeroMemory(c->va, npages * PAGE_SIZE);
	c->npages = npages;
	return c;
}

static uint64_t chunk_pfn(const struct chunk *c, size_t i)
{
	if (c->kind == CHUNK_MDL)
		return MmGetMdlPfnArray(c->mdl)[i];
	return (uint64_t)MmGetPhysicalAddress(c->va + i * PAGE_SIZE).QuadPart >>
	       PAGE_SHIFT;
}

/*
 * Enter the chunk's pages into the table, their frames into @pfns. On a
 * failure nothing of the chunk stays in the table and the chunk is freed.
 */
static int chunk_register(struct chunk *c, uint64_t *pfns)
{
	struct page *pg;
	size_t i;
	int err = 0;

	for (i = 0; i < c->npages; i++) {
		pg = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*pg),
					   CO_NT_POOL_TAG);
		if (!pg) {
			err = -CO_ENOMEM;
			break;
		}
		pg->pfn = chunk_pfn(c, i);
		pg->chunk = c;
		pg->index = i;
		err = insert(pg);
		if (err) {
			co_host_log(CO_LOG_ERROR, "pages: a frame was handed out twice");
			ExFreePoolWithTag(pg, CO_NT_POOL_TAG);
			break;
		}
		pfns[i] = pg->pfn;
	}
	if (!err) {
		c->live = c->npages;
		InterlockedExchangeAdd(&nr_pages, (LONG)c->npages);
		return 0;
	}
	while (i--)
		ExFreePoolWithTag(take(pfns[i]), CO_NT_POOL_TAG);
	chunk_release(c);
	return err;
}

/* One page of a chunk goes; the last one takes the chunk with it. */
static void page_put(uint64_t pfn)
{
	struct page *pg = take(pfn);
	struct chunk *c;

	if (!pg) {
		co_host_log(CO_LOG_ERROR, "pages: freeing a frame this host does not own");
		return;
	}
	c = pg->chunk;
	ExFreePoolWithTag(pg, CO_NT_POOL_TAG);
	InterlockedDecrement(&nr_pages);
	if (--c->live == 0)
		chunk_release(c);
}

int co_host_pages_alloc(size_t count, uint64_t *pfns)
{
	size_t done = 0, n;
	struct chunk *c;
	int err;

	while (done < count) {
		n = count - done;
		if (count <= SMALL_REQUEST)
			n = 1;
		else if (n > CHUNK_PAGES)
			n = CHUNK_PAGES;
		c = alloc_mdl_ex ? chunk_mdl(n) : chunk_pool(n);
		if (!c) {
			err = -CO_ENOMEM;
			goto fail;
		}
		err = chunk_register(c, pfns + done);
		if (err)
			goto fail;
		done += n;
	}
	return 0;
fail:
	co_host_pages_free(done, pfns);
	return err;
}

void co_host_pages_free(size_t count, const uint64_t *pfns)
{
	size_t i;

	for (i = 0; i < count; i++)
		page_put(pfns[i]);
}

int co_host_pages_alloc_contig(size_t count, size_t align_pages,
			       uint64_t *first_pfn)
{
	PHYSICAL_ADDRESS low, high, boundary;
	struct chunk *c;
	uint64_t *pfns, pfn0;
	size_t extra, skip, i;
	int err;

	if (!count || !align_pages || (align_pages & (align_pages - 1)))
		return -CO_EINVAL;
	extra = align_pages - 1;
	if (count > (SIZE_MAX / PAGE_SIZE) - extra)
		return -CO_ENOMEM;
	c = chunk_new(CHUNK_CONTIG);
	pfns = co_host_alloc(count * sizeof(*pfns));
	if (!c || !pfns) {
		err = -CO_ENOMEM;
		goto fail;
	}
	low.QuadPart = 0;
	high.QuadPart = -1;
	boundary.QuadPart = 0;
	c->alloc_bytes = (count + extra) * PAGE_SIZE;
	c->alloc_base = MmAllocateContiguousMemorySpecifyCache(c->alloc_bytes,
							       low, high,
							       boundary,
							       MmCached);
	if (!c->alloc_base) {
		err = -CO_ENOMEM;
		goto fail;
	}
	pfn0 = (uint64_t)MmGetPhysicalAddress(c->alloc_base).QuadPart >>
	       PAGE_SHIFT;
	skip = (size_t)((align_pages - (pfn0 & (align_pages - 1))) &
			(align_pages - 1));
	c->va = (uint8_t *)c->alloc_base + skip * PAGE_SIZE;
	c->npages = count;
	RtlZeroMemory(c->va, count * PAGE_SIZE);
	err = chunk_register(c, pfns);	/* frees the chunk on failure */
	c = NULL;
	if (err)
		goto fail;
	for (i = 1; i < count; i++) {
		if (pfns[i] != pfns[0] + i) {
			co_host_log(CO_LOG_ERROR, "pages: contiguous memory is not contiguous");
			co_host_pages_free(count, pfns);
			err = -CO_ENOMEM;
			goto fail;
		}
	}
	*first_pfn = pfns[0];
	co_host_free(pfns);
	return 0;
fail:
	if (c && c->alloc_base)
		MmFreeContiguousMemorySpecifyCache(c->alloc_base, c->alloc_bytes,
						   MmCached);
	if (c)
		ExFreePoolWithTag(c, CO_NT_POOL_TAG);
	co_host_free(pfns);
	return err;
}

void co_host_pages_free_contig(uint64_t first_pfn, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		page_put(first_pfn + i);
}

/* ---- mapping ------------------------------------------------------------ */

void *co_host_map(uint64_t pfn)
{
	struct page *pg = lookup(pfn);

	return pg ? pg->chunk->va + pg->index * PAGE_SIZE : NULL;
}

void co_host_unmap(void *va, uint64_t pfn)
{
	/* The mapping lives as long as the page. */
	if (va && co_host_map(pfn) != va)
		co_host_log(CO_LOG_ERROR, "pages: unmapping an address that is not the frame's mapping");
}

void co_host_pages_zero(size_t count, const uint64_t *pfns)
{
	size_t i;
	void *p;

	for (i = 0; i < count; i++) {
		p = co_host_map(pfns[i]);
		if (!p) {
			co_host_log(CO_LOG_ERROR, "pages: zeroing a frame this host does not own");
			continue;
		}
		RtlZeroMemory(p, PAGE_SIZE);
	}
}

int co_nt_page_set_exec(uint64_t pfn, bool exec)
{
	struct page *pg = lookup(pfn);
	NTSTATUS st;

	if (!pg)
		return -CO_EFAULT;
	if (pg->chunk->kind != CHUNK_MDL || pg->chunk->npages != 1)
		return -CO_ENOTSUP;
	st = MmProtectMdlSystemAddress(pg->chunk->mdl,
				       exec ? PAGE_EXECUTE_READ :
					      PAGE_READWRITE);
	return NT_SUCCESS(st) ? 0 : -CO_EACCES;
}

unsigned int co_nt_page_source(void)
{
	return alloc_mdl_ex ? 1 : 2;
}

void co_nt_host_counts(long *pages, long *heap)
{
	*pages = nr_pages;
	*heap = nr_heap;
}

/* ---- set-up ------------------------------------------------------------- */

static void *routine(const wchar_t *name)
{
	UNICODE_STRING u;

	RtlInitUnicodeString(&u, name);
	return MmGetSystemRoutineAddress(&u);
}

NTSTATUS co_nt_host_init(void)
{
	size_t bytes = sizeof(*hash) << HASH_BITS;

	KeInitializeSpinLock(&hash_lock);
	hash = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, CO_NT_POOL_TAG);
	if (!hash)
		return STATUS_INSUFFICIENT_RESOURCES;
	RtlZeroMemory(hash, bytes);
	alloc_mdl_ex = (alloc_mdl_ex_fn)routine(L"MmAllocatePagesForMdlEx");
	pool2 = (pool2_fn)routine(L"ExAllocatePool2");
	return STATUS_SUCCESS;
}

void co_nt_host_exit(void)
{
	if (nr_pages || nr_heap)
		DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
			   "colinux: unloading with %ld pages and %ld heap blocks outstanding\n",
			   (long)nr_pages, (long)nr_heap);
	/* Outstanding pages stay allocated: freeing them could free live data. */
	if (!nr_pages)
		ExFreePoolWithTag(hash, CO_NT_POOL_TAG);
	hash = NULL;
}
