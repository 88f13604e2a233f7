// SPDX-License-Identifier: GPL-2.0
/*
 * Test programs for the passage rules (docs/protocol.md, "Passage rules"):
 * CPU state a Linux guest has and the switch must cope with, or must
 * leave to the host.
 *
 * rogdt: operations on a read-only GDT; the switch must write no GDT.
 */
#include "tg.h"

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct dtr sgdt(void)
{
	struct dtr d;

	__asm__ volatile("sgdt %0" : "=m"(d));
	return d;
}

static void lgdt(const struct dtr *d)
{
	__asm__ volatile("lgdt %0" : : "m"(*d) : "memory");
}

static uint16_t str(void)
{
	uint16_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	return tr;
}

/* ---- rogdt ------------------------------------------------------------------ */

/* Where the aliases go: never reused (Unicorn's aliases stay). */
#define RO_BASE		0xffffca0000000000ULL
#define RO_MAX_PAGES	2u

static uint64_t ro_next = RO_BASE;

static struct {
	uint64_t va, len;	/* the alias mapping, page aligned */
	uint64_t fixup;		/* where a write fault on it resumes; 0: none expected */
	unsigned int faults;
	uint64_t error;
} ro;

static bool ro_pf(struct tg_regs *r)
{
	uint64_t cr2 = tg_read_cr2();

	if (!ro.fixup || cr2 < ro.va || cr2 >= ro.va + ro.len)
		return false;
	ro.faults++;
	ro.error = r->error;
	r->rip = ro.fixup;
	ro.fixup = 0;
	return true;
}

/*
 * Write @p's byte back to it: a no-op where the page is writable, a #PF
 * that ro_pf() skips (to label 1) where it is not.
 */
static void ro_write_probe(volatile uint8_t *p)
{
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, %0\n\t"
			 "movb (%1), %%cl\n\t"
			 "movb %%cl, (%1)\n"
			 "1:\n\t"
			 "movq $0, %0"
			 : "+m"(ro.fixup) : "r"(p) : "rax", "rcx", "memory");
}

/* Map the pages of the GDT @g read-only at a new VA; the alias's base. */
static uint64_t ro_map(const struct dtr *g)
{
	uint64_t first = g->base & ~(PAGE_SIZE - 1);
	uint64_t last = (g->base + g->limit) & ~(PAGE_SIZE - 1);
	unsigned int i, n = (unsigned int)((last - first) / PAGE_SIZE) + 1;

	if (n > RO_MAX_PAGES)
		return 0;
	ro.va = ro_next;
	ro.len = n * PAGE_SIZE;
	ro_next += ro.len;
	for (i = 0; i < n; i++) {
		void *page = (void *)(uintptr_t)(first + i * PAGE_SIZE);

		if (tg_map_page(ro.va + i * PAGE_SIZE, tg_virt_to_phys(page), TG_PTE_P))
			return 0;
	}
	return ro.va + (g->base & (PAGE_SIZE - 1));
}

static void ro_unmap(void)
{
	uint64_t va;

	for (va = ro.va; va < ro.va + ro.len; va += PAGE_SIZE)
		tg_map_page(va, 0, 0);
}

/* The tier must enforce the alias's protection, or nothing is proven. */
static bool ro_is_read_only(uint64_t alias, uint16_t tr)
{
	unsigned int before = ro.faults;

	ro_write_probe((volatile uint8_t *)(uintptr_t)(alias + tr + 5));
	return tg_check(ro.faults == before + 1 && (ro.error & 3) == 3,
			"a write to the alias faults (error 0x%llx, P and W): it is read-only",
			(unsigned long long)ro.error);
}

static bool ro_still(const char *op, uint64_t alias, const struct dtr *own, uint16_t tr)
{
	struct dtr now = sgdt();

	return tg_check(now.base == alias && now.limit == own->limit && str() == tr,
			"after %s: GDTR is still the alias (0x%llx, limit %u), TR 0x%x",
			op, (unsigned long long)now.base, now.limit, str());
}

/* One of each kind of operation, each checked, all on the alias. */
static void ro_operations(uint64_t alias, const struct dtr *own, uint16_t tr)
{
	static const char text[] = "rogdt: a debug print on a read-only GDT";

	co_guest_yield(&tg_g);
	ro_still("YIELD", alias, own, tr);
	co_guest_time(&tg_g, NULL, NULL);
	ro_still("GET_TIME", alias, own, tr);
	co_guest_debug_print(&tg_g, text, sizeof(text) - 1);
	ro_still("DEBUG_PRINT", alias, own, tr);
	co_guest_sleep_ns(&tg_g, 2 * NS_PER_MS);
	ro_still("IDLE with a 2 ms timer", alias, own, tr);
	co_guest_notify(&tg_g);
	ro_still("NOTIFY without a doorbell", alias, own, tr);
}

void tg_test_rogdt(void)
{
	struct dtr own = sgdt(), ro_gdtr;
	uint16_t tr = str();
	uint8_t desc[16];
	const uint8_t *mine = (const uint8_t *)(uintptr_t)own.base + tr;
	uint64_t alias;

	if (!tg_mm_can_map()) {
		tg_skip("page tables: paged RAM mode (needs memwindow=contiguous)");
		return;
	}
	if (!tr || tr + 15u > own.limit) {
		tg_fail("TR 0x%x is not a TSS in the GDT (limit %u)", tr, own.limit);
		return;
	}
	memset(&ro, 0, sizeof(ro));
	alias = ro_map(&own);
	if (!alias) {
		tg_fail("cannot map the GDT at 0x%llx read-only", (unsigned long long)own.base);
		goto out;
	}
	memcpy(desc, mine, sizeof(desc));
	tg_check(!memcmp((const void *)(uintptr_t)alias, (const void *)(uintptr_t)own.base,
			 own.limit + 1u),
		 "the alias at 0x%llx shows the GDT at 0x%llx", (unsigned long long)alias,
		 (unsigned long long)own.base);
	tg_set_fault_handler(14, ro_pf);
	if (!ro_is_read_only(alias, tr))
		goto out;
	ro_gdtr.limit = own.limit;
	ro_gdtr.base = alias;
	lgdt(&ro_gdtr);
	ro_operations(alias, &own, tr);
	ro_is_read_only(alias, tr);
	lgdt(&own);
	tg_check(!memcmp(desc, mine, sizeof(desc)) && (desc[5] & 0xf) == 0xb,
		 "the GDT's TSS descriptor is unchanged (busy TSS, type 0x%x)", mine[5] & 0xf);
	tg_check(str() == tr, "back on its own GDTR, TR 0x%x", str());
out:
	tg_set_fault_handler(14, NULL);
	ro_unmap();
}
