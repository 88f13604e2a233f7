// SPDX-License-Identifier: GPL-2.0
/*
 * Test programs for the passage rules (docs/protocol.md, "Passage rules"):
 * CPU state a Linux guest has and the switch must cope with, or must
 * leave to the host.
 *
 * rogdt: operations on a read-only GDT; the switch must write no GDT.
 * host_state: one host register the switch does not load, written on
 * purpose: the bare host's per-trip state check must stop the VM.
 * xcr0_rule: the guest runs with the host's XCR0, then changes it: the
 * monitor must stop the VM with CO_TERM_PROTOCOL.
 */
#include "tg.h"

#define CO_CPU_CONSTANTS_ONLY
#include <colinux/cpu.h>

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

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

/* ---- host_state ------------------------------------------------------------- */

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((uint64_t)hi << 32);
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

enum hs_need { HS_ANY, HS_SEP, HS_TSC_AUX, HS_PAT, HS_MISC_ENABLE, HS_MTRR, HS_MCG_CTL };

/*
 * The registers the bare host's check covers besides the switch's own
 * (qemu-rig/host/cpuops.c, extra_regs: the same names), what the CPU
 * needs to have them, and a different legal value for each.
 */
struct hs_reg {
	const char *name;
	uint32_t msr;		/* 0: debug register dr */
	unsigned int dr;
	enum hs_need need;
	uint64_t (*next)(uint64_t old);
};

/* Canonical stays canonical: bit 12 is below the sign-extended bits. */
static uint64_t hs_flip_bit12(uint64_t old)
{
	return old ^ 0x1000;
}

static uint64_t hs_flip_bit0(uint64_t old)
{
	return old ^ 1;
}

/* SYSENTER_CS: a selector, bits 15:0. */
static uint64_t hs_selector(uint64_t old)
{
	return (old ^ 0x8) & 0xffff;
}

/* TSC_AUX: bits 31:0, the rest reserved. */
static uint64_t hs_tsc_aux(uint64_t old)
{
	return (old ^ 1) & 0xffffffff;
}

/* PAT entry 7 (unused by the host) between UC (0) and WC (1). */
static uint64_t hs_pat(uint64_t old)
{
	uint64_t e7 = (old >> 56) & 7;

	return (old & ~(0xffULL << 56)) | ((uint64_t)(e7 == 0) << 56);
}

/* MTRRdefType.FE where fixed ranges exist, else the default type WB <-> UC. */
static uint64_t hs_mtrr_def_type(uint64_t old)
{
	if (rdmsr(CO_MSR_MTRR_CAP) & (1u << 8))
		return old ^ (1u << 10);
	return (old & ~0xffULL) | ((old & 0xff) == 6 ? 0 : 6);
}

/* MCG_CTL takes all-ones or 0 (QEMU refuses anything else). */
static uint64_t hs_mcg_ctl(uint64_t old)
{
	return old == ~0ULL ? 0 : ~0ULL;
}

static const struct hs_reg hs_regs[] = {
	{ "sysenter_cs", CO_MSR_SYSENTER_CS, 0, HS_SEP, hs_selector },
	{ "sysenter_esp", CO_MSR_SYSENTER_ESP, 0, HS_SEP, hs_flip_bit12 },
	{ "sysenter_eip", CO_MSR_SYSENTER_EIP, 0, HS_SEP, hs_flip_bit12 },
	{ "tsc_aux", CO_MSR_TSC_AUX, 0, HS_TSC_AUX, hs_tsc_aux },
	{ "pat", CO_MSR_PAT, 0, HS_PAT, hs_pat },
	/* Bit 0, fast strings: legal to clear and set. */
	{ "misc_enable", CO_MSR_MISC_ENABLE, 0, HS_MISC_ENABLE, hs_flip_bit0 },
	{ "mtrr_def_type", CO_MSR_MTRR_DEF_TYPE, 0, HS_MTRR, hs_mtrr_def_type },
	{ "mcg_ctl", CO_MSR_MCG_CTL, 0, HS_MCG_CTL, hs_mcg_ctl },
	/* DR7 is 0x400 (no breakpoint enabled): the addresses are inert. */
	{ "dr0", 0, 0, HS_ANY, hs_flip_bit12 },
	{ "dr1", 0, 1, HS_ANY, hs_flip_bit12 },
	{ "dr2", 0, 2, HS_ANY, hs_flip_bit12 },
	{ "dr3", 0, 3, HS_ANY, hs_flip_bit12 },
	/* DR6.B0, a status bit that software clears and may set. */
	{ "dr6", 0, 6, HS_ANY, hs_flip_bit0 },
};

/* The same rules as the bare host's extra_init(): NULL if the CPU has it. */
static const char *hs_missing(enum hs_need need)
{
	uint32_t r[4], max, max_ext, edx1;

	cpuid(0, 0, r);
	max = r[0];
	cpuid(1, 0, r);
	edx1 = r[3];
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	switch (need) {
	case HS_SEP:
		return edx1 & CO_CPUID1_EDX_SEP ? NULL : "no SEP";
	case HS_TSC_AUX:
		if (max_ext >= 0x80000001) {
			cpuid(0x80000001, 0, r);
			if (r[3] & CO_CPUID81_EDX_RDTSCP)
				return NULL;
		}
		if (max >= 7) {
			cpuid(7, 0, r);
			if (r[2] & CO_CPUID7_ECX_RDPID)
				return NULL;
		}
		return "no RDTSCP or RDPID";
	case HS_PAT:
		return edx1 & CO_CPUID1_EDX_PAT ? NULL : "no PAT";
	case HS_MISC_ENABLE:
		/* Intel's architectural MSR, which QEMU models on every CPU model. */
		cpuid(0, 0, r);
		if (!memcmp(&r[1], "Genu", 4) && !memcmp(&r[3], "ineI", 4) &&
		    !memcmp(&r[2], "ntel", 4))
			return NULL;
		if (max_ext >= 0x80000002) {
			cpuid(0x80000002, 0, r);
			if (!memcmp(r, "QEMU", 4))
				return NULL;
		}
		return "not an Intel CPU, nor QEMU's";
	case HS_MTRR:
		return edx1 & CO_CPUID1_EDX_MTRR ? NULL : "no MTRR";
	case HS_MCG_CTL:
		if (!(edx1 & CO_CPUID1_EDX_MCA))
			return "no MCA";
		return rdmsr(CO_MSR_MCG_CAP) & CO_MCG_CAP_CTL_P ? NULL :
		       "MCG_CAP without MCG_CTL_P";
	case HS_ANY:
		break;
	}
	return NULL;
}

static uint64_t hs_read(const struct hs_reg *h)
{
	uint64_t v = 0;

	if (h->msr)
		return rdmsr(h->msr);
	switch (h->dr) {
	case 0:
		__asm__ volatile("mov %%dr0, %0" : "=r"(v));
		break;
	case 1:
		__asm__ volatile("mov %%dr1, %0" : "=r"(v));
		break;
	case 2:
		__asm__ volatile("mov %%dr2, %0" : "=r"(v));
		break;
	case 3:
		__asm__ volatile("mov %%dr3, %0" : "=r"(v));
		break;
	case 6:
		__asm__ volatile("mov %%dr6, %0" : "=r"(v));
		break;
	}
	return v;
}

static void hs_write(const struct hs_reg *h, uint64_t v)
{
	if (h->msr) {
		wrmsr(h->msr, v);
		return;
	}
	switch (h->dr) {
	case 0:
		__asm__ volatile("mov %0, %%dr0" : : "r"(v));
		break;
	case 1:
		__asm__ volatile("mov %0, %%dr1" : : "r"(v));
		break;
	case 2:
		__asm__ volatile("mov %0, %%dr2" : : "r"(v));
		break;
	case 3:
		__asm__ volatile("mov %0, %%dr3" : : "r"(v));
		break;
	case 6:
		__asm__ volatile("mov %0, %%dr6" : : "r"(v));
		break;
	}
}

static const struct hs_reg *hs_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hs_regs); i++)
		if (!strcmp(hs_regs[i].name, name))
			return &hs_regs[i];
	return NULL;
}

/*
 * value=N instead of the register's next legal value: one the CPU drops
 * (QEMU keeps MCG_CTL only at 0 or all-ones) shows the report of a write
 * that did not stick.
 */
static uint64_t hs_value(const struct hs_reg *h, uint64_t old)
{
	char buf[32];
	uint64_t v;

	if (tg_arg("value", buf, sizeof(buf)) && tg_parse_u64(buf, strlen(buf), &v))
		return v;
	return h->next(old);
}

/*
 * Nothing is printed between the write and the switch that must be
 * caught: a console write is a switch itself, and the host checks before
 * it serves the doorbell, so its text would never be shown.
 */
void tg_test_host_state(void)
{
	const struct hs_reg *h;
	const char *why;
	uint64_t old, want, now;
	char name[32];

	if (!tg_arg("which", name, sizeof(name)) || !(h = hs_find(name))) {
		tg_fail("which=NAME: sysenter_cs, sysenter_esp, sysenter_eip, tsc_aux, pat, misc_enable, mtrr_def_type, mcg_ctl, dr0-dr3 or dr6");
		return;
	}
	why = hs_missing(h->need);
	if (why) {
		tg_skip("%s: not on this CPU (%s)", h->name, why);
		return;
	}
	old = hs_read(h);
	want = hs_value(h, old);
	tg_printf("host_state: %s is 0x%llx; writing 0x%llx, then YIELD: the host's check must stop the VM\n",
		  h->name, (unsigned long long)old, (unsigned long long)want);
	hs_write(h, want);
	now = hs_read(h);
	if (now == old) {
		tg_fail("%s: wrote 0x%llx, reads 0x%llx: this CPU drops the write, so no state check can see it (the instruction audit must)",
			h->name, (unsigned long long)want, (unsigned long long)now);
		return;
	}
	co_guest_yield(&tg_g);
	hs_write(h, old);
	tg_fail("%s: 0x%llx instead of the host's 0x%llx went unnoticed by the host",
		h->name, (unsigned long long)now, (unsigned long long)old);
}

/* ---- xcr0_rule -------------------------------------------------------------- */

#define XCR0_X87	0x1ULL
#define XCR0_SSE	0x2ULL

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

static void xsetbv0(uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static bool xcr0_still(const char *op, uint64_t want)
{
	uint64_t now = xgetbv0();

	return tg_check(now == want, "after %s: XCR0 is 0x%llx", op, (unsigned long long)now);
}

/* The host's XCR0 with CR4.OSXSAVE on, or 0 with a failure reported. */
static uint64_t xcr0_setup(void)
{
	uint64_t host = tg_boot.host_xcr0, cr4;
	uint32_t r[4];

	if (!(tg_boot.features & CO_BOOT_FEAT_HOST_XCR0) || !host) {
		tg_fail("the boot parameters give no host XCR0 (features 0x%llx, host_xcr0 0x%llx): the host has XSAVE off",
			(unsigned long long)tg_boot.features, (unsigned long long)host);
		return 0;
	}
	cpuid(1, 0, r);
	if (!(r[2] & CO_CPUID1_ECX_XSAVE)) {
		tg_fail("host XCR0 0x%llx, yet CPUID says no XSAVE", (unsigned long long)host);
		return 0;
	}
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (!(cr4 & (1ULL << CO_CR4_OSXSAVE_BIT))) {
		cr4 |= 1ULL << CO_CR4_OSXSAVE_BIT;
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
		tg_printf("xcr0_rule: CR4.OSXSAVE turned on\n");
	}
	return host;
}

void tg_test_xcr0_rule(void)
{
	static const char text[] = "xcr0_rule: a debug print with the host's XCR0";
	uint64_t host = xcr0_setup(), other;

	if (!host)
		return;
	xsetbv0(host);
	tg_check(xgetbv0() == host, "XCR0 = the host's 0x%llx (boot parameters)",
		 (unsigned long long)host);
	co_guest_yield(&tg_g);
	xcr0_still("YIELD", host);
	co_guest_now(&tg_g);
	xcr0_still("GET_TIME", host);
	co_guest_debug_print(&tg_g, text, sizeof(text) - 1);
	xcr0_still("DEBUG_PRINT", host);
	co_guest_notify(&tg_g);
	xcr0_still("NOTIFY", host);
	/* Legal either way: x87 alone, or x87 and SSE. */
	other = host == (XCR0_X87 | XCR0_SSE) ? XCR0_X87 : XCR0_X87 | XCR0_SSE;
	tg_printf("xcr0_rule: XCR0 0x%llx now, then YIELD: the monitor must stop the VM\n",
		  (unsigned long long)other);
	xsetbv0(other);
	co_guest_yield(&tg_g);
	xsetbv0(host);
	tg_fail("XCR0 0x%llx instead of 0x%llx went unnoticed by the monitor",
		(unsigned long long)other, (unsigned long long)host);
}
