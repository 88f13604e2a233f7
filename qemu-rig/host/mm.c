// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of the bare-metal host: a frame allocator (a bitmap over the
 * multiboot memory map), the host's own page tables (the image at -2 GiB
 * and a direct map of the first 4 GiB, both global), a small heap, and
 * the contract's page, map and heap primitives on top.
 */
#include "bare.h"

#define MAX_PFN		(BARE_DIRECT_BYTES >> PAGE_SHIFT)
#define PTE_P		0x001ULL
#define PTE_W		0x002ULL
#define PTE_PWT		0x008ULL
#define PTE_PCD		0x010ULL
#define PTE_PS		0x080ULL
#define PTE_G		0x100ULL
#define CR4_PGE		0x080ULL

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device;
	uint32_t cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

extern const uint8_t __kernel_end[];
extern const uint8_t __alias_pa[];

struct bare_module bare_modules[BARE_MAX_MODULES];
unsigned int bare_nr_modules;
char bare_cmdline[2048];

static uint64_t frame_map[MAX_PFN / 64];	/* 1 = in use */
static uint64_t nr_free, top_pfn, search_hint;
/* RAM pages, module pages, and the fewest free pages seen: peak use. */
static uint64_t nr_ram, nr_module, low_free = ~0ULL;
static uint64_t host_cr3;

static bool frame_used(uint64_t pfn)
{
	return frame_map[pfn / 64] & (1ULL << (pfn % 64));
}

static void frame_set(uint64_t pfn, bool used)
{
	if (used)
		frame_map[pfn / 64] |= 1ULL << (pfn % 64);
	else
		frame_map[pfn / 64] &= ~(1ULL << (pfn % 64));
}

static void range_reserve(uint64_t start, uint64_t end)
{
	uint64_t pfn;

	for (pfn = start >> PAGE_SHIFT; pfn < MIN(ALIGN_UP(end, PAGE_SIZE) >> PAGE_SHIFT, MAX_PFN); pfn++) {
		if (!frame_used(pfn)) {
			frame_set(pfn, true);
			nr_free--;
		}
	}
}

static void copy_string(char *dst, size_t size, uint32_t pa)
{
	const char *s = (const char *)(uintptr_t)pa;	/* boot identity map */
	size_t i;

	for (i = 0; pa && s[i] && i + 1 < size; i++)
		dst[i] = s[i];
	dst[i] = '\0';
}

static void add_ram(uint64_t base, uint64_t len)
{
	uint64_t pfn = ALIGN_UP(base, PAGE_SIZE) >> PAGE_SHIFT;
	uint64_t end = (base + len) >> PAGE_SHIFT;

	/* Low memory stays the firmware's (and the multiboot data's). */
	if (pfn < 0x100)
		pfn = 0x100;
	for (; pfn < end && pfn < MAX_PFN; pfn++) {
		if (frame_used(pfn)) {
			frame_set(pfn, false);
			nr_free++;
			nr_ram++;
		}
		top_pfn = MAX(top_pfn, pfn + 1);
	}
}

/*
 * Runs on the boot tables (identity map of the first GiB), before the
 * first allocation: copies what we keep of the multiboot data.
 */
void pmm_init(uint64_t mb_info_pa)
{
	const struct mb_info *mb = (const void *)(uintptr_t)mb_info_pa;
	unsigned int i;

	for (i = 0; i < CO_ARRAY_SIZE(frame_map); i++)
		frame_map[i] = ~0ULL;
	if (mb->flags & (1 << 2))
		copy_string(bare_cmdline, sizeof(bare_cmdline), mb->cmdline);
	if (!(mb->flags & (1 << 6)))
		bare_panic("multiboot: no memory map");
	for (uint32_t off = 0; off + sizeof(struct mb_mmap) <= mb->mmap_length;) {
		const struct mb_mmap *e = (const void *)(uintptr_t)(mb->mmap_addr + off);

		if (e->type == 1)
			add_ram(e->base, e->len);
		off += e->size + 4;
	}
	range_reserve(0x100000, (uint64_t)(uintptr_t)__alias_pa + PAGE_SIZE);
	if (mb->flags & (1 << 3)) {
		const struct mb_module *m = (const void *)(uintptr_t)mb->mods_addr;

		/* Past the table's end a module has no name, but still its RAM. */
		for (i = 0; i < mb->mods_count; i++) {
			range_reserve(m[i].start, m[i].end);
			nr_module += (ALIGN_UP(m[i].end, PAGE_SIZE) - m[i].start) >> PAGE_SHIFT;
			if (i >= BARE_MAX_MODULES)
				continue;
			bare_modules[i].start = m[i].start;
			bare_modules[i].end = m[i].end;
			copy_string(bare_modules[i].name,
				    sizeof(bare_modules[i].name), m[i].string);
		}
		bare_nr_modules = MIN(i, BARE_MAX_MODULES);
	}
	search_hint = 0x100;
}

uint64_t pmm_alloc(void)
{
	uint64_t pfn;

	for (pfn = search_hint; pfn < top_pfn; pfn++) {
		if (frame_map[pfn / 64] == ~0ULL) {
			pfn |= 63;
			continue;
		}
		if (!frame_used(pfn)) {
			frame_set(pfn, true);
			nr_free--;
			low_free = MIN(low_free, nr_free);
			search_hint = pfn + 1;
			return pfn;
		}
	}
	if (search_hint != 0x100) {
		search_hint = 0x100;
		return pmm_alloc();
	}
	return 0;
}

void pmm_free(uint64_t pfn)
{
	if (pfn >= MAX_PFN || !frame_used(pfn))
		bare_panic("pmm: freeing frame 0x%llx that is not allocated",
			   (unsigned long long)pfn);
	frame_set(pfn, false);
	nr_free++;
	if (pfn < search_hint)
		search_hint = pfn;
}

int pmm_alloc_run(size_t count, size_t align, uint64_t *first)
{
	uint64_t pfn, i;

	if (!count || !align || (align & (align - 1)))
		return -CO_EINVAL;
	/* From the top down, so single pages and runs keep apart. */
	for (pfn = (top_pfn - count) & ~(uint64_t)(align - 1);
	     pfn >= 0x100 && pfn + count <= top_pfn; pfn -= align) {
		for (i = 0; i < count && !frame_used(pfn + i); i++)
			;
		if (i == count) {
			for (i = 0; i < count; i++)
				frame_set(pfn + i, true);
			nr_free -= count;
			low_free = MIN(low_free, nr_free);
			*first = pfn;
			return 0;
		}
		if (pfn < align)
			break;
	}
	return -CO_ENOMEM;
}

void pmm_free_run(uint64_t first, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		pmm_free(first + i);
}

bool pmm_owned(uint64_t pfn)
{
	return pfn >= 0x100 && pfn < top_pfn;
}

uint64_t pmm_free_pages(void)
{
	return nr_free;
}

void pmm_usage(struct pmm_usage *u)
{
	u->ram = nr_ram;
	u->modules = nr_module;
	u->free = nr_free;
	u->lowest_free = MIN(low_free, nr_free);
}

static uint64_t *table_alloc(void)
{
	uint64_t pfn = pmm_alloc();
	uint64_t *t;
	unsigned int i;

	if (!pfn)
		bare_panic("paging: out of memory");
	/* Still on the boot tables: the page is reached by identity. */
	t = (uint64_t *)(uintptr_t)(pfn << PAGE_SHIFT);
	for (i = 0; i < 512; i++)
		t[i] = 0;
	return t;
}

/*
 * The host's own tables: no identity map (a stray low pointer faults),
 * everything global so that the passage's flush of global entries is
 * needed and tested.
 */
void paging_init(void)
{
	uint64_t *pml4 = table_alloc(), *pdpt_k = table_alloc();
	uint64_t *pdpt_d = table_alloc(), *pd_k = table_alloc();
	uint64_t *pd_a = table_alloc(), *pt_a = table_alloc();
	uint64_t ram_top = top_pfn << PAGE_SHIFT, pa, cr4;
	unsigned int i, j;

	for (i = 0; i < 512; i++)
		pd_k[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS | PTE_G;
	pdpt_k[(BARE_KERNEL_VMA >> 30) & 511] = (uint64_t)(uintptr_t)pd_k | PTE_P | PTE_W;
	/* The alias page: one 4 KiB read-only global mapping. */
	pt_a[(BARE_ALIAS_VA >> 12) & 511] = (uint64_t)(uintptr_t)__alias_pa | PTE_P | PTE_G;
	pd_a[(BARE_ALIAS_VA >> 21) & 511] = (uint64_t)(uintptr_t)pt_a | PTE_P | PTE_W;
	pdpt_k[(BARE_ALIAS_VA >> 30) & 511] = (uint64_t)(uintptr_t)pd_a | PTE_P | PTE_W;
	pml4[511] = (uint64_t)(uintptr_t)pdpt_k | PTE_P | PTE_W;

	for (j = 0; j < BARE_DIRECT_BYTES >> 30; j++) {
		uint64_t *pd = table_alloc();

		for (i = 0; i < 512; i++) {
			pa = ((uint64_t)j << 30) | ((uint64_t)i << 21);
			pd[i] = pa | PTE_P | PTE_W | PTE_PS | PTE_G;
			if (pa >= ram_top)	/* device memory */
				pd[i] |= PTE_PCD | PTE_PWT;
		}
		pdpt_d[j] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W;
	}
	pml4[(BARE_DIRECT_MAP >> 39) & 511] = (uint64_t)(uintptr_t)pdpt_d |
					      PTE_P | PTE_W;
	host_cr3 = (uint64_t)(uintptr_t)pml4;
	__asm__ volatile("mov %0, %%cr3" : : "r"(host_cr3) : "memory");
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PGE) : "memory");
}

uint64_t bare_host_cr3(void)
{
	return host_cr3;
}

/* ---- The contract: pages ---------------------------------------------- */

static uint64_t pages_out;

uint64_t pages_outstanding(void)
{
	return pages_out;
}

static void zero_page(uint64_t pfn)
{
	uint64_t *p = phys_to_virt(pfn << PAGE_SHIFT);
	size_t n = PAGE_SIZE / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ULL) : "memory");
}

int co_host_pages_alloc(size_t count, uint64_t *pfns)
{
	size_t i;

	for (i = 0; i < count; i++) {
		pfns[i] = pmm_alloc();
		if (!pfns[i]) {
			while (i--)
				pmm_free(pfns[i]);
			return -CO_ENOMEM;
		}
		zero_page(pfns[i]);
	}
	pages_out += count;
	return 0;
}

void co_host_pages_free(size_t count, const uint64_t *pfns)
{
	size_t i;

	for (i = 0; i < count; i++)
		pmm_free(pfns[i]);
	pages_out -= count;
}

void co_host_pages_zero(size_t count, const uint64_t *pfns)
{
	size_t i;

	for (i = 0; i < count; i++)
		zero_page(pfns[i]);
}

int co_host_pages_alloc_contig(size_t count, size_t align_pages,
			       uint64_t *first_pfn)
{
	size_t i;
	int err;

	err = pmm_alloc_run(count, align_pages ? align_pages : 1, first_pfn);
	if (err)
		return err;
	for (i = 0; i < count; i++)
		zero_page(*first_pfn + i);
	pages_out += count;
	return 0;
}

void co_host_pages_free_contig(uint64_t first_pfn, size_t count)
{
	pmm_free_run(first_pfn, count);
	pages_out -= count;
}

void *co_host_map(uint64_t pfn)
{
	if (!pmm_owned(pfn))
		return NULL;
	return phys_to_virt(pfn << PAGE_SHIFT);
}

void co_host_unmap(void *va, uint64_t pfn)
{
}

/* ---- The contract: heap ------------------------------------------------ */

/*
 * Power-of-two size classes up to 2 KiB carved from pages, anything larger
 * a run of pages. A 16-byte header before every block says which.
 */
#define HEAP_MIN_SHIFT	5
#define HEAP_MAX_SHIFT	11
#define HEAP_MAGIC	0x6865617062617265ULL
#define HDR		16

struct heap_hdr {
	uint32_t shift;		/* class, or 0 for a page run */
	uint32_t size;		/* as asked for */
	uint64_t magic;
};

struct free_block {
	struct free_block *next;
};

static struct free_block *free_list[HEAP_MAX_SHIFT + 1];
static uint64_t heap_blocks, heap_bytes;

void heap_stats(uint64_t *blocks, uint64_t *bytes)
{
	*blocks = heap_blocks;
	*bytes = heap_bytes;
}

static bool class_refill(unsigned int shift)
{
	uint64_t pfn = pmm_alloc();
	uint8_t *page;
	size_t off;

	if (!pfn)
		return false;
	page = phys_to_virt(pfn << PAGE_SHIFT);
	for (off = 0; off < PAGE_SIZE; off += 1ULL << shift) {
		struct free_block *b = (void *)(page + off);

		b->next = free_list[shift];
		free_list[shift] = b;
	}
	return true;
}

void *co_host_alloc(size_t size)
{
	struct heap_hdr *h;
	unsigned int shift = HEAP_MIN_SHIFT;
	uint64_t flags, first;

	if (size >= (1ULL << 32) - PAGE_SIZE)
		return NULL;
	while (shift <= HEAP_MAX_SHIFT && (1ULL << shift) < size + HDR)
		shift++;
	flags = irq_save();
	if (shift <= HEAP_MAX_SHIFT) {
		if (!free_list[shift] && !class_refill(shift)) {
			irq_restore(flags);
			return NULL;
		}
		h = (struct heap_hdr *)free_list[shift];
		free_list[shift] = free_list[shift]->next;
		h->shift = shift;
	} else {
		size_t pages = ALIGN_UP(size + HDR, PAGE_SIZE) >> PAGE_SHIFT;

		if (pmm_alloc_run(pages, 1, &first)) {
			irq_restore(flags);
			return NULL;
		}
		h = phys_to_virt(first << PAGE_SHIFT);
		h->shift = 0;
	}
	h->size = (uint32_t)size;
	h->magic = HEAP_MAGIC;
	heap_blocks++;
	heap_bytes += size;
	irq_restore(flags);
	return (uint8_t *)h + HDR;
}

void *co_host_zalloc(size_t size)
{
	void *p = co_host_alloc(size);

	if (p)
		__builtin_memset(p, 0, size);
	return p;
}

void co_host_free(void *p)
{
	struct heap_hdr *h;
	uint64_t flags;

	if (!p)
		return;
	h = (struct heap_hdr *)((uint8_t *)p - HDR);
	if (h->magic != HEAP_MAGIC)
		bare_panic("heap: freeing %p, which is not a live block", p);
	h->magic = 0;
	flags = irq_save();
	heap_blocks--;
	heap_bytes -= h->size;
	if (h->shift) {
		/* The link overwrites the header: take the class first. */
		unsigned int shift = h->shift;
		struct free_block *b = (void *)h;

		b->next = free_list[shift];
		free_list[shift] = b;
	} else {
		pmm_free_run(virt_to_phys(h) >> PAGE_SHIFT,
			     ALIGN_UP(h->size + HDR, PAGE_SIZE) >> PAGE_SHIFT);
	}
	irq_restore(flags);
}
