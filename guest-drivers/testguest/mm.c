// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: a bump allocator over the boot parameters' CO_MEM_RAM
 * regions (VA == gpa through the identity map), with mark/release so a
 * test program gives back what it took (result.c checks that it did); a
 * second one from the top of the last region down for what lives on
 * (driver rings and buffers, page tables), which a release never touches;
 * and 4 KiB mappings added to the monitor's boot page tables.
 *
 * Mappings only in contiguous RAM mode, where gpa == hpa and so the
 * tables' own pages and entries are plain gpas. (Paged mode would need
 * the p2m for every entry; the test guest does not need it.)
 */
#include "tg.h"

#define PTE_ADDR	0x000ffffffffff000ULL
#define PTE_PS		0x80ULL

struct region {
	uint64_t start, end;	/* page aligned */
};

static struct region ram[CO_BOOT_MAX_MEM];
static unsigned int nr_ram;
/* Allocation cursor: region index and address, packed for marks. */
static unsigned int cur_region;
static uint64_t cur;
/* The permanent allocator's floor, in the last region. */
static uint64_t perm;

void tg_mm_init(void)
{
	unsigned int i;

	for (i = 0; i < tg_boot.nr_mem; i++) {
		const struct co_mem_region *m = &tg_boot.mem[i];
		uint64_t s = ALIGN_UP(m->base, PAGE_SIZE);
		uint64_t e = (m->base + m->size) & ~(PAGE_SIZE - 1);

		if (m->type != CO_MEM_RAM || e <= s)
			continue;
		/* Keep the page at gpa 0 out: a NULL buffer must stay a bug. */
		if (s == 0)
			s = PAGE_SIZE;
		ram[nr_ram].start = s;
		ram[nr_ram].end = e;
		nr_ram++;
	}
	if (!nr_ram)
		tg_panic("no RAM region in the boot parameters");
	cur_region = 0;
	cur = ram[0].start;
	perm = ram[nr_ram - 1].end;
}

/* Where the bump allocator must stop in region @i. */
static uint64_t region_end(unsigned int i)
{
	return i == nr_ram - 1 ? perm : ram[i].end;
}

void *tg_page_alloc_perm(unsigned int n)
{
	uint64_t bytes = (uint64_t)n * PAGE_SIZE;
	uint64_t floor = cur_region == nr_ram - 1 ? cur : ram[nr_ram - 1].start;
	void *p;

	if (perm - floor < bytes)
		return NULL;
	perm -= bytes;
	p = tg_phys_to_virt(perm);
	memset(p, 0, bytes);
	return p;
}

void *tg_page_alloc(unsigned int n)
{
	uint64_t bytes = (uint64_t)n * PAGE_SIZE;

	while (cur_region < nr_ram) {
		if (cur + bytes <= region_end(cur_region)) {
			void *p = tg_phys_to_virt(cur);

			cur += bytes;
			memset(p, 0, bytes);
			return p;
		}
		if (++cur_region < nr_ram)
			cur = ram[cur_region].start;
	}
	return NULL;
}

uint64_t tg_mm_mark(void)
{
	return cur | cur_region;
}

void tg_mm_release(uint64_t mark)
{
	cur_region = (unsigned int)(mark & (PAGE_SIZE - 1));
	cur = mark & ~(PAGE_SIZE - 1);
}

/*
 * From the mark's place to the cursor. Allocations that did not fit the
 * rest of a region moved to the next one; that rest counts as taken.
 */
uint64_t tg_mm_since(uint64_t mark)
{
	unsigned int r = (unsigned int)(mark & (PAGE_SIZE - 1));
	uint64_t at = mark & ~(PAGE_SIZE - 1), total = 0;

	for (; r < cur_region && r < nr_ram; r++) {
		total += region_end(r) - at;
		if (r + 1 < nr_ram)
			at = ram[r + 1].start;
	}
	/* cur_region == nr_ram: an allocation failed, nothing is left. */
	if (cur_region < nr_ram)
		total += cur - at;
	return total;
}

uint64_t tg_mm_free_bytes(void)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = cur_region; i < nr_ram; i++)
		total += region_end(i) - (i == cur_region ? cur : ram[i].start);
	return total;
}

bool tg_mm_can_map(void)
{
	return tg_boot.flags & CO_BOOT_F_CONTIGUOUS;
}

static uint64_t *table(uint64_t entry)
{
	return tg_phys_to_virt(entry & PTE_ADDR);
}

/* Walk to the leaf table of @va, creating tables when @create. */
static uint64_t *walk(uint64_t va, bool create)
{
	uint64_t *t = table(tg_read_cr3());
	int level;

	for (level = 4; level > 1; level--) {
		unsigned int idx = CO_PT_INDEX(va, level);

		if (!(t[idx] & TG_PTE_P)) {
			void *page;

			if (!create || !(page = tg_page_alloc_perm(1)))
				return NULL;
			t[idx] = tg_virt_to_phys(page) | TG_PTE_P | TG_PTE_W;
		}
		if (t[idx] & PTE_PS)
			return NULL;
		t = table(t[idx]);
	}
	return &t[(va >> 12) & 511];
}

uint64_t *tg_pte(uint64_t va)
{
	if (!tg_mm_can_map())
		return NULL;
	return walk(va, false);
}

int tg_map_page(uint64_t va, uint64_t gpa, uint64_t flags)
{
	uint64_t *pte;

	if (!tg_mm_can_map())
		return -1;
	pte = walk(va, true);
	if (!pte)
		return -1;
	*pte = (gpa & PTE_ADDR) | flags;
	tg_invlpg(va);
	return 0;
}
