// SPDX-License-Identifier: GPL-2.0
/*
 * Host physical memory: one PROT_NONE reservation whose offsets are
 * physical addresses, and a bitmap allocator over it. Only allocated pages
 * are readable and writable; freeing a page drops its contents (so a new
 * allocation reads zeros) and makes it fault again, or, in the fuzzers'
 * ASan mode (co_sim_keep_freed_mapped), only poisons it.
 *
 * co_host_pages_alloc takes a run of free frames and hands them out in a
 * shuffled order: the set stays compact (few kernel mappings) but the
 * caller never sees contiguous frames, so gpa->hpa translation is really
 * exercised. One frame is skipped between allocations as a guard.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_SIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CO_SIM_ASAN 1
#endif
#ifdef CO_SIM_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define PAGE		CO_SIM_PAGE_SIZE

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *base;
static uint64_t nr_pages;	/* frames in the reservation */
static uint64_t *bitmap;	/* bit set: allocated */
static uint64_t *poisoned;	/* ASan: bit set: shadow marks it poisoned */
static uint64_t *mapped;	/* bit set: readable and writable now */
static bool keep_mapped;	/* see co_sim_keep_freed_mapped */
static uint64_t nr_poisoned;
static uint64_t nr_free;
static uint64_t cursor = CO_SIM_FIRST_PFN;
static uint64_t rng = CO_SIM_DEFAULT_SEED;

/* splitmix64: small, good enough, and the same everywhere. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void co_sim_set_seed(uint64_t seed)
{
	pthread_mutex_lock(&mem_lock);
	rng = seed;
	cursor = CO_SIM_FIRST_PFN;
	pthread_mutex_unlock(&mem_lock);
}

static bool test_bit(uint64_t pfn)
{
	uint64_t w = __atomic_load_n(&bitmap[pfn / 64], __ATOMIC_ACQUIRE);

	return w & (1ULL << (pfn % 64));
}

static void set_bit(uint64_t pfn)
{
	__atomic_fetch_or(&bitmap[pfn / 64], 1ULL << (pfn % 64),
			  __ATOMIC_RELEASE);
}

static void clear_bit(uint64_t pfn)
{
	__atomic_fetch_and(&bitmap[pfn / 64], ~(1ULL << (pfn % 64)),
			   __ATOMIC_RELEASE);
}

/* Called with the lock held. */
static int reserve(uint64_t phys_bytes)
{
	void *p;
	uint64_t *map, *pmap, *mmap_bits;
	uint64_t pages;

	if (!phys_bytes)
		phys_bytes = CO_SIM_DEFAULT_PHYS;
	pages = phys_bytes / PAGE;
	if (pages <= CO_SIM_FIRST_PFN)
		return -CO_EINVAL;
	map = calloc((pages + 63) / 64, sizeof(*map));
	pmap = calloc((pages + 63) / 64, sizeof(*pmap));
	mmap_bits = calloc((pages + 63) / 64, sizeof(*mmap_bits));
	if (!map || !pmap || !mmap_bits)
		goto fail;
	p = mmap(NULL, pages * PAGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto fail;
	base = p;
	bitmap = map;
	poisoned = pmap;
	mapped = mmap_bits;
	nr_pages = pages;
	nr_free = pages - CO_SIM_FIRST_PFN;
	cursor = CO_SIM_FIRST_PFN;
	return 0;
fail:
	free(map);
	free(pmap);
	free(mmap_bits);
	return -CO_ENOMEM;
}

static void unpoison(uint64_t pfn, uint64_t n);

static void unreserve(void)
{
	/* The address range may be reused by anyone: leave it clean. */
	unpoison(0, nr_pages);
	munmap(base, nr_pages * PAGE);
	free(bitmap);
	free(poisoned);
	free(mapped);
	base = NULL;
	bitmap = NULL;
	poisoned = NULL;
	mapped = NULL;
	nr_poisoned = 0;
	nr_pages = 0;
	nr_free = 0;
}

int co_sim_init(uint64_t phys_bytes)
{
	int err;

	pthread_mutex_lock(&mem_lock);
	err = -CO_EBUSY;
	if (base && co_sim_in_use(CO_SIM_OBJ_PAGES))
		goto out;
	if (base)
		unreserve();
	err = reserve(phys_bytes);
out:
	pthread_mutex_unlock(&mem_lock);
	return err;
}

/* Called with the lock held. */
static int ensure_reserved(void)
{
	return base ? 0 : reserve(0);
}

uint64_t co_sim_phys_bytes(void)
{
	uint64_t n;

	pthread_mutex_lock(&mem_lock);
	ensure_reserved();
	n = nr_pages * PAGE;
	pthread_mutex_unlock(&mem_lock);
	return n;
}

void *co_sim_phys_base(void)
{
	void *p;

	pthread_mutex_lock(&mem_lock);
	ensure_reserved();
	p = base;
	pthread_mutex_unlock(&mem_lock);
	return p;
}

bool co_sim_page_allocated(uint64_t pfn)
{
	return base && pfn < nr_pages && test_bit(pfn);
}

void *co_host_map(uint64_t pfn)
{
	if (!co_sim_page_allocated(pfn))
		return NULL;
	return base + pfn * PAGE;
}

void co_host_unmap(void *va, uint64_t pfn)
{
	if (va && va != co_host_map(pfn))
		co_sim_misuse("unmap of %p, not the mapping of pfn %#llx", va,
			      (unsigned long long)pfn);
}

void *co_sim_phys_ptr(uint64_t hpa)
{
	uint8_t *p = co_host_map(hpa / PAGE);

	return p ? p + hpa % PAGE : NULL;
}

/*
 * ASan: freed pages are poisoned as well as PROT_NONE, for a clearer
 * report. Only pages poisoned before are unpoisoned: the shadow of a
 * never-used page is clean, and touching it for a 4 GiB guest would cost
 * half a gigabyte. For the same reason poisoning stops at a budget; past
 * it, PROT_NONE alone catches stray accesses.
 */
#define POISON_BUDGET	65536	/* pages: 256 MiB, 32 MiB of shadow */
#define MADV_MIN_RUN	64	/* pages: shorter kept-mapped runs are written */

static void unpoison(uint64_t pfn, uint64_t n)
{
#ifdef CO_SIM_ASAN
	uint64_t i, m;

	for (i = 0; i < n; i++, pfn++) {
		m = 1ULL << (pfn % 64);
		if (!(poisoned[pfn / 64] & m))
			continue;
		poisoned[pfn / 64] &= ~m;
		nr_poisoned--;
		ASAN_UNPOISON_MEMORY_REGION(base + pfn * PAGE, PAGE);
	}
#endif
}

static void poison(uint64_t pfn, uint64_t n)
{
#ifdef CO_SIM_ASAN
	uint64_t i;

	if (nr_poisoned + n > POISON_BUDGET)
		return;
	ASAN_POISON_MEMORY_REGION(base + pfn * PAGE, n * PAGE);
	nr_poisoned += n;
	for (i = 0; i < n; i++, pfn++)
		poisoned[pfn / 64] |= 1ULL << (pfn % 64);
#endif
}

static void set_mapped(uint64_t pfn, uint64_t n, bool on)
{
	for (; n; n--, pfn++) {
		if (on)
			mapped[pfn / 64] |= 1ULL << (pfn % 64);
		else
			mapped[pfn / 64] &= ~(1ULL << (pfn % 64));
	}
}

static bool all_mapped(uint64_t pfn, uint64_t n)
{
	for (; n; n--, pfn++)
		if (!(mapped[pfn / 64] & (1ULL << (pfn % 64))))
			return false;
	return true;
}

int co_sim_keep_freed_mapped(bool on)
{
#ifdef CO_SIM_ASAN
	pthread_mutex_lock(&mem_lock);
	keep_mapped = on;
	pthread_mutex_unlock(&mem_lock);
	return 0;
#else
	/* Without ASan nothing would catch an access to a freed frame. */
	return on ? -CO_ENOTSUP : 0;
#endif
}

/* Make [pfn, pfn+n) usable; the pages read as zeros already. */
static int open_run(uint64_t pfn, uint64_t n)
{
	uint8_t *p = base + pfn * PAGE;

	if (!keep_mapped || !all_mapped(pfn, n)) {
		if (mprotect(p, n * PAGE, PROT_READ | PROT_WRITE))
			return -CO_ENOMEM;
		set_mapped(pfn, n, true);
	}
	unpoison(pfn, n);
	return 0;
}

/* Drop the contents of [pfn, pfn+n) and make it fault again. */
static void close_run(uint64_t pfn, uint64_t n)
{
	uint8_t *p = base + pfn * PAGE;
	/* Kept mapped only while poisoned: past the budget, unmap. */
	bool keep = keep_mapped && nr_poisoned + n <= POISON_BUDGET;

	/*
	 * MADV_DONTNEED zero-fills private anonymous memory on next use,
	 * and costs nothing for pages never touched, where a memset would
	 * fault every one of them in first; but a system call per page
	 * costs more than that, so short runs kept mapped are written.
	 */
	if (keep && n < MADV_MIN_RUN)
		memset(p, 0, n * PAGE);
	else if (madvise(p, n * PAGE, MADV_DONTNEED) && keep)
		memset(p, 0, n * PAGE);
	poison(pfn, n);
	if (keep)
		return;
	mprotect(p, n * PAGE, PROT_NONE);
	set_mapped(pfn, n, false);
}

/*
 * Apply fn to every maximal run of consecutive frames in @pfns (in array
 * order). Stops at the first error and reports how many frames were done.
 */
static int for_each_run(size_t count, const uint64_t *pfns, size_t *done,
			int (*fn)(uint64_t pfn, uint64_t n))
{
	size_t i = 0, j;
	int err;

	while (i < count) {
		for (j = i + 1; j < count && pfns[j] == pfns[j - 1] + 1; j++)
			;
		err = fn(pfns[i], j - i);
		if (err) {
			*done = i;
			return err;
		}
		i = j;
	}
	*done = count;
	return 0;
}

static int close_run_fn(uint64_t pfn, uint64_t n)
{
	close_run(pfn, n);
	return 0;
}

/* Collect @count free frames from the cursor on, wrapping once. */
static void take_free(size_t count, uint64_t *pfns)
{
	uint64_t pfn = cursor;
	size_t got = 0;

	if (pfn < CO_SIM_FIRST_PFN || pfn >= nr_pages)
		pfn = CO_SIM_FIRST_PFN;
	while (got < count) {
		if (pfn >= nr_pages)
			pfn = CO_SIM_FIRST_PFN;
		if (pfn % 64 == 0 && bitmap[pfn / 64] == ~0ULL) {
			pfn += 64;
			continue;
		}
		if (!test_bit(pfn))
			pfns[got++] = pfn;
		pfn++;
	}
	/* Leave one frame between this allocation and the next. */
	cursor = pfn + 1;
}

static void shuffle(size_t count, uint64_t *pfns)
{
	uint64_t t;
	size_t i, j;

	for (i = count; i > 1; i--) {
		j = rng_next() % i;
		t = pfns[i - 1];
		pfns[i - 1] = pfns[j];
		pfns[j] = t;
	}
	/* A shuffle that happens to come out in order would defeat the point. */
	for (i = 1; i < count && pfns[i] == pfns[i - 1] + 1; i++)
		;
	if (count > 1 && i == count) {
		t = pfns[0];
		pfns[0] = pfns[1];
		pfns[1] = t;
	}
}

static void account(size_t count, bool used)
{
	if (used) {
		nr_free -= count;
		co_sim_count(CO_SIM_OBJ_PAGES, (int64_t)count);
	} else {
		nr_free += count;
		co_sim_count(CO_SIM_OBJ_PAGES, -(int64_t)count);
	}
}

int co_host_pages_alloc(size_t count, uint64_t *pfns)
{
	size_t done;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_PAGE_ALLOC);
	if (err)
		return err;
	if (!count)
		return 0;
	if (!pfns)
		return -CO_EINVAL;
	pthread_mutex_lock(&mem_lock);
	err = ensure_reserved();
	if (err)
		goto out;
	err = -CO_ENOMEM;
	if (count > nr_free)
		goto out;
	take_free(count, pfns);
	err = for_each_run(count, pfns, &done, open_run);
	if (err)
		goto undo;
	for (done = 0; done < count; done++)
		set_bit(pfns[done]);
	account(count, true);
	shuffle(count, pfns);
	goto out;
undo:
	/* The kernel ran out of mappings: give back what was opened. */
	for_each_run(done, pfns, &done, close_run_fn);
out:
	pthread_mutex_unlock(&mem_lock);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Called with the lock held: frames that can be freed go to @out. */
static size_t check_frees(size_t count, const uint64_t *pfns, uint64_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < count; i++) {
		if (pfns[i] < CO_SIM_FIRST_PFN || pfns[i] >= nr_pages ||
		    !test_bit(pfns[i])) {
			co_sim_misuse("free of pfn %#llx, which is not allocated",
				      (unsigned long long)pfns[i]);
			continue;
		}
		/* Clear now, so a duplicate in the same array is caught. */
		clear_bit(pfns[i]);
		out[n++] = pfns[i];
	}
	return n;
}

void co_host_pages_free(size_t count, const uint64_t *pfns)
{
	uint64_t *sorted;
	uint64_t one;
	size_t n, done, i;

	if (!count)
		return;
	sorted = malloc(count * sizeof(*sorted));
	pthread_mutex_lock(&mem_lock);
	if (!base) {
		co_sim_misuse("page free before any allocation");
		goto out;
	}
	if (!sorted) {
		/* No memory for sorting: one frame at a time. */
		for (i = 0; i < count; i++) {
			if (!check_frees(1, &pfns[i], &one))
				continue;
			close_run(one, 1);
			account(1, false);
		}
		goto out;
	}
	n = check_frees(count, pfns, sorted);
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for_each_run(n, sorted, &done, close_run_fn);
	account(n, false);
out:
	pthread_mutex_unlock(&mem_lock);
	free(sorted);
}

static int zero_run(uint64_t pfn, uint64_t n)
{
	uint8_t *p = base + pfn * PAGE;

	/* The pages stay readable and writable, and read as zeros again. */
	if (madvise(p, n * PAGE, MADV_DONTNEED))
		memset(p, 0, n * PAGE);
	return 0;
}

void co_host_pages_zero(size_t count, const uint64_t *pfns)
{
	uint64_t *sorted;
	size_t i, n = 0, done;

	if (!count)
		return;
	/* Sorted, the frames of a VM's RAM make a few runs: a few madvises. */
	sorted = malloc(count * sizeof(*sorted));
	pthread_mutex_lock(&mem_lock);
	for (i = 0; i < count; i++) {
		if (!co_sim_page_allocated(pfns[i])) {
			co_sim_misuse("zeroing pfn %#llx, which is not allocated",
				      (unsigned long long)pfns[i]);
			continue;
		}
		if (sorted)
			sorted[n++] = pfns[i];
		else
			zero_run(pfns[i], 1);
	}
	if (sorted) {
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
		for_each_run(n, sorted, &done, zero_run);
	}
	pthread_mutex_unlock(&mem_lock);
	free(sorted);
}

/* First frame of a free run of @count at or after @pfn, or 0 past the end. */
static uint64_t find_run(uint64_t pfn, size_t count, uint64_t align)
{
	uint64_t i;

	pfn = (pfn + align - 1) & ~(align - 1);
	while (pfn + count <= nr_pages) {
		for (i = 0; i < count && !test_bit(pfn + i); i++)
			;
		if (i == count)
			return pfn;
		pfn = (pfn + i + 1 + align - 1) & ~(align - 1);
	}
	return 0;
}

int co_host_pages_alloc_contig(size_t count, size_t align_pages,
			       uint64_t *first_pfn)
{
	uint64_t pfn;
	size_t i;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_PAGE_ALLOC);
	if (err)
		return err;
	if (!count || !align_pages || (align_pages & (align_pages - 1)) ||
	    !first_pfn)
		return -CO_EINVAL;
	pthread_mutex_lock(&mem_lock);
	err = ensure_reserved();
	if (err)
		goto out;
	err = -CO_ENOMEM;
	pfn = find_run(CO_SIM_FIRST_PFN, count, align_pages);
	if (!pfn)
		goto out;
	err = open_run(pfn, count);
	if (err)
		goto out;
	for (i = 0; i < count; i++)
		set_bit(pfn + i);
	account(count, true);
	*first_pfn = pfn;
out:
	pthread_mutex_unlock(&mem_lock);
	return err;
}

void co_host_pages_free_contig(uint64_t first_pfn, size_t count)
{
	uint64_t *pfns;
	size_t i;

	if (!count)
		return;
	pfns = malloc(count * sizeof(*pfns));
	if (!pfns) {
		for (i = 0; i < count; i++) {
			uint64_t one = first_pfn + i;

			co_host_pages_free(1, &one);
		}
		return;
	}
	for (i = 0; i < count; i++)
		pfns[i] = first_pfn + i;
	co_host_pages_free(count, pfns);
	free(pfns);
}
