// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU back-end of the bare-metal host: the guest gets the real CPU.
 * enter() disables interrupts and calls the passage's host entry at the
 * host's mapping of the code page; the call returns when the guest
 * switches back. In a checking build (host.check=1, the default) every
 * return is followed by a comparison of everything the passage promises
 * to restore with what it was before the call; a difference stops the
 * machine with a report naming the register. Besides what the switch
 * loads, the check covers the host registers it leaves alone and a guest
 * kernel could write (SYSENTER, TSC_AUX, PAT, MISC_ENABLE, MTRRdefType,
 * MCG_CTL, DR0-DR3, DR6), each where this CPU has it.
 */
#include <colinux/monitor.h>

#include "bare.h"
#include <colinux/lib.h>
#include <colinux/cpu.h>

#define RFLAGS_ARITH	0x8d5ULL		/* CF PF AF ZF SF OF */

#ifdef CO_BARE_NO_CHECKS
bool bare_check_state;
#else
bool bare_check_state = true;
#endif
/*
 * host.break=N: on trip N, change the host's STAR between the snapshot
 * and the switch, as a passage that lost it would. Proves the check.
 */
uint64_t bare_break_trip;
/*
 * host.xsave=1|2: where CPUID shows XSAVE and AVX, the host turns on
 * CR4.OSXSAVE and XCR0 = x87|SSE|AVX and asks the monitor for the
 * passage's xsave path, the guest with the same XCR0 (1) or x87|SSE only
 * (2: every trip switches XCR0). The check then also covers XCR0, the
 * upper halves of ymm0-3 (loaded with per-trip values before each trip)
 * and the host's XSAVE area. host.xbreak=N spoils ymm2 on trip N.
 */
uint64_t bare_xsave_mode;
uint64_t bare_xbreak_trip;

#define CR4_OSXSAVE	(1ULL << CO_CR4_OSXSAVE_BIT)
#define XCR0_AVX	7ULL		/* x87, SSE, AVX */
#define XCR0_SSE	3ULL
#define XSTATE_BV	512
#define YMM_CHECKED	4

static struct {
	bool on;
	uint64_t guest_xcr0;
	uint32_t host_size, guest_size;
	uint32_t ymm_off;		/* YMM_Hi128 in the standard format */
} xs;

/* Read by qemu-rig/gdb/colinux.py: where the CPU is and what it did. */
struct bare_cpu {
	struct co_vm *vm;
	struct co_passage_info pi;
	void (*to_guest)(void);
	uint64_t entries;
	uint64_t checks;
	uint64_t forwarded[256];
	uint64_t first_entry_ns;
};

struct bare_cpu bare_cpu;
/* 0 host, 1 the guest has (or is getting) the CPU. For the debugger. */
volatile int bare_cpu_in_guest;
/* Break here (gdb: "co-break-guest") to stop right before each entry. */
void bare_guest_entry_hook(void);
void __attribute__((noinline)) bare_guest_entry_hook(void)
{
	__asm__ volatile("" : : : "memory");
}

/*
 * Host registers the switch does not load, which a guest kernel can write
 * (docs/protocol.md, "Passage rules"): the passage must leave them alone,
 * so they must be the same after every trip. A rdmsr of an MSR the CPU
 * does not have is a #GP here, in the host: extra_init() asks CPUID once
 * which ones exist, and snap() reads only those.
 */
enum extra_reg {
	X_SYSENTER_CS, X_SYSENTER_ESP, X_SYSENTER_EIP, X_TSC_AUX, X_PAT,
	X_MISC_ENABLE, X_MTRR_DEF_TYPE, X_MCG_CTL,
	X_DR0, X_DR1, X_DR2, X_DR3, X_DR6,
	X_NR
};

/* The names are the guest's too (test=host_state which=NAME). */
static const struct {
	const char *name;
	uint32_t msr;		/* 0: a debug register */
} extra_regs[X_NR] = {
	[X_SYSENTER_CS] = { "sysenter_cs", CO_MSR_SYSENTER_CS },
	[X_SYSENTER_ESP] = { "sysenter_esp", CO_MSR_SYSENTER_ESP },
	[X_SYSENTER_EIP] = { "sysenter_eip", CO_MSR_SYSENTER_EIP },
	[X_TSC_AUX] = { "tsc_aux", CO_MSR_TSC_AUX },
	[X_PAT] = { "pat", CO_MSR_PAT },
	[X_MISC_ENABLE] = { "misc_enable", CO_MSR_MISC_ENABLE },
	[X_MTRR_DEF_TYPE] = { "mtrr_def_type", CO_MSR_MTRR_DEF_TYPE },
	[X_MCG_CTL] = { "mcg_ctl", CO_MSR_MCG_CTL },
	[X_DR0] = { "dr0", 0 },
	[X_DR1] = { "dr1", 0 },
	[X_DR2] = { "dr2", 0 },
	[X_DR3] = { "dr3", 0 },
	[X_DR6] = { "dr6", 0 },
};

static struct {
	bool init;
	bool on[X_NR];
	const char *why[X_NR];	/* why a register is not checked */
} extra;

/* Host state the passage must give back. */
struct host_snap {
	uint64_t cr0, cr2, cr3, cr4, rflags;
	uint64_t efer, star, lstar, cstar, sfmask;
	uint64_t fs_base, gs_base, kgs_base, dr7;
	uint8_t gdtr[10], idtr[10];
	uint16_t cs, ss, ds, es, fs, gs, tr, ldtr;
	uint32_t mxcsr;
	uint16_t fcw;
	uint8_t tss_type;
	uint64_t alias;
	uint64_t xcr0;
	uint64_t ymm_hi[YMM_CHECKED][2];
	uint64_t extra[X_NR];
};

/* The alias page's contents: no symbol, so no name over guest addresses. */
__asm__(".pushsection .alias, \"a\"\n\t.quad 0x5341494c4174736f\n\t.popsection");
_Static_assert(BARE_ALIAS_MAGIC == 0x5341494c4174736fULL, "alias marker");

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The standard-format XSAVE size of the components in @mask. */
static uint32_t xsave_size(uint64_t mask)
{
	uint32_t r[4], size = 576;
	unsigned int i;

	for (i = 2; i < 63; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		cpuid(0xd, i, r);
		if (r[0] + r[1] > size)
			size = r[0] + r[1];
	}
	return size;
}

static void xsave_init(void)
{
	uint32_t r[4];
	uint64_t cr4;

	if (xs.on)
		return;
	cpuid(0, 0, r);
	if (r[0] < 0xd)
		goto none;
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 26)) || !(r[2] & (1u << 28)))	/* XSAVE, AVX */
		goto none;
	cpuid(0xd, 0, r);
	if ((r[0] & XCR0_AVX) != XCR0_AVX)
		goto none;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
	__asm__ volatile("xsetbv" : : "a"((uint32_t)XCR0_AVX), "d"(0), "c"(0));
	xs.guest_xcr0 = bare_xsave_mode == 2 ? XCR0_SSE : XCR0_AVX;
	xs.host_size = xsave_size(XCR0_AVX);
	xs.guest_size = xsave_size(xs.guest_xcr0);
	cpuid(0xd, 2, r);
	xs.ymm_off = r[1];
	xs.on = true;
	bare_printf("colinux-bare: xsave path: host XCR0 0x%llx (%u bytes), guest XCR0 0x%llx (%u bytes)\n",
		    (unsigned long long)XCR0_AVX, xs.host_size,
		    (unsigned long long)xs.guest_xcr0, xs.guest_size);
	return;
none:
	bare_printf("colinux-bare: host.xsave: this CPU has no XSAVE with AVX; the passage stays on fxsave\n");
}

static void ymm_pattern(uint64_t trip, unsigned int i, uint64_t out[2])
{
	out[0] = 0x594d4d0000000000ULL | (trip & 0xffffffffffULL) << 8 | i;
	out[1] = ~out[0];
}

/* The compiler never touches vector registers here (-mgeneral-regs-only). */
static void ymm_load(uint64_t trip, unsigned int only)
{
	uint64_t p[YMM_CHECKED][2];
	unsigned int i;

	for (i = 0; i < YMM_CHECKED; i++)
		ymm_pattern(trip, i, p[i]);
	if (only == 0 || only == 4)
		__asm__ volatile("vinsertf128 $1, %0, %%ymm0, %%ymm0" : : "m"(p[0]));
	if (only == 1 || only == 4)
		__asm__ volatile("vinsertf128 $1, %0, %%ymm1, %%ymm1" : : "m"(p[1]));
	if (only == 2 || only == 4)
		__asm__ volatile("vinsertf128 $1, %0, %%ymm2, %%ymm2" : : "m"(p[2]));
	if (only == 3 || only == 4)
		__asm__ volatile("vinsertf128 $1, %0, %%ymm3, %%ymm3" : : "m"(p[3]));
}

/*
 * MISC_ENABLE is architectural on Intel CPUs only (an AMD CPU has no MSR
 * 0x1a0), but QEMU's TCG models it on every CPU model, AMD-branded ones
 * included (qemu64 and max, measured on QEMU 7.2: it reads back what was
 * written). QEMU names itself in the brand string of its own models.
 */
static bool cpu_has_misc_enable(void)
{
	static const char intel[12] = "GenuineIntel";
	uint32_t r[4], vendor[3];

	cpuid(0, 0, r);
	vendor[0] = r[1];
	vendor[1] = r[3];
	vendor[2] = r[2];
	if (!__builtin_memcmp(vendor, intel, sizeof(intel)))
		return true;
	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000002)
		return false;
	cpuid(0x80000002, 0, r);
	return !__builtin_memcmp(r, "QEMU", 4);
}

static void extra_off(enum extra_reg i, const char *why)
{
	extra.on[i] = false;
	extra.why[i] = why;
}

/* One line, so that nothing else printed can split it. */
static void extra_report(void)
{
	char line[256];
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < X_NR; i++)
		if (extra.on[i] && n < sizeof(line))
			n += co_snprintf(line + n, sizeof(line) - n, " %s",
					   extra_regs[i].name);
	bare_printf("colinux-bare: state check: also%s\n", n ? line : " nothing");
	for (i = 0; i < X_NR; i++)
		if (!extra.on[i])
			bare_printf("colinux-bare: state check: not %s (%s)\n",
				    extra_regs[i].name, extra.why[i]);
}

/*
 * Values of our own in the registers of extra_regs this host does not use,
 * so that a guest writing the usual zeros over them shows: their
 * power-on values are zeros as well, and zero over zero would pass the
 * check unseen (a real host's are rarely zero: Windows runs 32-bit
 * programs through SYSENTER). Harmless here: nothing in this host uses
 * SYSENTER or reads TSC_AUX, and DR7 enables none of DR0-3.
 */
static void extra_mark(void)
{
	static const uint64_t dr[4] = {
		0xffffffffc0de0000ULL, 0xffffffffc0de1000ULL,
		0xffffffffc0de2000ULL, 0xffffffffc0de3000ULL,
	};

	if (extra.on[X_SYSENTER_CS]) {
		wrmsr(CO_MSR_SYSENTER_CS, 0x10);
		/* 32 bits: AMD CPUs keep no more. */
		wrmsr(CO_MSR_SYSENTER_ESP, 0xc0de4000);
		wrmsr(CO_MSR_SYSENTER_EIP, 0xc0de5000);
	}
	if (extra.on[X_TSC_AUX])
		wrmsr(CO_MSR_TSC_AUX, 0x2a);
	__asm__ volatile("mov %0, %%dr0" : : "r"(dr[0]));
	__asm__ volatile("mov %0, %%dr1" : : "r"(dr[1]));
	__asm__ volatile("mov %0, %%dr2" : : "r"(dr[2]));
	__asm__ volatile("mov %0, %%dr3" : : "r"(dr[3]));
}

/* Which of extra_regs this CPU has; said once, at the first attach. */
static void extra_init(void)
{
	uint32_t r[4], edx1, max, max_ext, ecx7 = 0, edx81 = 0;
	unsigned int i;

	if (extra.init)
		return;
	extra.init = true;
	for (i = 0; i < X_NR; i++)
		extra.on[i] = true;
	cpuid(0, 0, r);
	max = r[0];
	cpuid(1, 0, r);
	edx1 = r[3];
	if (max >= 7) {
		cpuid(7, 0, r);
		ecx7 = r[2];
	}
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		edx81 = r[3];
	}
	if (!(edx1 & CO_CPUID1_EDX_SEP)) {
		extra_off(X_SYSENTER_CS, "no SEP");
		extra_off(X_SYSENTER_ESP, "no SEP");
		extra_off(X_SYSENTER_EIP, "no SEP");
	}
	if (!(edx81 & CO_CPUID81_EDX_RDTSCP) && !(ecx7 & CO_CPUID7_ECX_RDPID))
		extra_off(X_TSC_AUX, "no RDTSCP or RDPID");
	if (!(edx1 & CO_CPUID1_EDX_PAT))
		extra_off(X_PAT, "no PAT");
	if (!cpu_has_misc_enable())
		extra_off(X_MISC_ENABLE, "not an Intel CPU, nor QEMU's");
	if (!(edx1 & CO_CPUID1_EDX_MTRR))
		extra_off(X_MTRR_DEF_TYPE, "no MTRR");
	if (!(edx1 & CO_CPUID1_EDX_MCA))
		extra_off(X_MCG_CTL, "no MCA");
	else if (!(rdmsr(CO_MSR_MCG_CAP) & CO_MCG_CAP_CTL_P))
		extra_off(X_MCG_CTL, "MCG_CAP without MCG_CTL_P");
	extra_mark();
	extra_report();
}

/* mov from a debug register needs the register in the instruction. */
static uint64_t read_dr(enum extra_reg i)
{
	uint64_t v = 0;

	switch (i) {
	case X_DR0:
		__asm__ volatile("mov %%dr0, %0" : "=r"(v));
		break;
	case X_DR1:
		__asm__ volatile("mov %%dr1, %0" : "=r"(v));
		break;
	case X_DR2:
		__asm__ volatile("mov %%dr2, %0" : "=r"(v));
		break;
	case X_DR3:
		__asm__ volatile("mov %%dr3, %0" : "=r"(v));
		break;
	case X_DR6:
		__asm__ volatile("mov %%dr6, %0" : "=r"(v));
		break;
	default:
		break;
	}
	return v;
}

static void snap_extra(struct host_snap *s)
{
	unsigned int i;

	for (i = 0; i < X_NR; i++) {
		if (!extra.on[i])
			s->extra[i] = 0;
		else if (extra_regs[i].msr)
			s->extra[i] = rdmsr(extra_regs[i].msr);
		else
			s->extra[i] = read_dr(i);
	}
}

/* Only where AVX is enabled: otherwise the reads would be #UD. */
static void snap_xstate(struct host_snap *s)
{
	s->xcr0 = 0;
	__builtin_memset(s->ymm_hi, 0, sizeof(s->ymm_hi));
	if (!(s->cr4 & CR4_OSXSAVE))
		return;
	s->xcr0 = xgetbv0();
	if (!(s->xcr0 & 4))
		return;
	__asm__ volatile("vextractf128 $1, %%ymm0, %0" : "=m"(s->ymm_hi[0]));
	__asm__ volatile("vextractf128 $1, %%ymm1, %0" : "=m"(s->ymm_hi[1]));
	__asm__ volatile("vextractf128 $1, %%ymm2, %0" : "=m"(s->ymm_hi[2]));
	__asm__ volatile("vextractf128 $1, %%ymm3, %0" : "=m"(s->ymm_hi[3]));
}

static void snap(struct host_snap *s)
{
	uint64_t gdt;

	__asm__ volatile("mov %%cr0, %0" : "=r"(s->cr0));
	__asm__ volatile("mov %%cr2, %0" : "=r"(s->cr2));
	__asm__ volatile("mov %%cr3, %0" : "=r"(s->cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(s->cr4));
	__asm__ volatile("pushfq; popq %0" : "=r"(s->rflags));
	s->rflags &= ~RFLAGS_ARITH;	/* the caller's to lose */
	__asm__ volatile("sgdt %0" : "=m"(s->gdtr));
	__asm__ volatile("sidt %0" : "=m"(s->idtr));
	__asm__ volatile("str %0" : "=m"(s->tr));
	__asm__ volatile("sldt %0" : "=m"(s->ldtr));
	__asm__ volatile("mov %%cs, %0" : "=m"(s->cs));
	__asm__ volatile("mov %%ss, %0" : "=m"(s->ss));
	__asm__ volatile("mov %%ds, %0" : "=m"(s->ds));
	__asm__ volatile("mov %%es, %0" : "=m"(s->es));
	__asm__ volatile("mov %%fs, %0" : "=m"(s->fs));
	__asm__ volatile("mov %%gs, %0" : "=m"(s->gs));
	__asm__ volatile("mov %%dr7, %0" : "=r"(s->dr7));
	__asm__ volatile("stmxcsr %0" : "=m"(s->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(s->fcw));
	s->efer = rdmsr(CO_MSR_EFER);
	s->star = rdmsr(CO_MSR_STAR);
	s->lstar = rdmsr(CO_MSR_LSTAR);
	s->cstar = rdmsr(CO_MSR_CSTAR);
	s->sfmask = rdmsr(CO_MSR_SFMASK);
	s->fs_base = rdmsr(CO_MSR_FS_BASE);
	s->gs_base = rdmsr(CO_MSR_GS_BASE);
	s->kgs_base = rdmsr(CO_MSR_KGS_BASE);
	__builtin_memcpy(&gdt, s->gdtr + 2, 8);
	s->tss_type = *(volatile uint8_t *)(uintptr_t)(gdt + (s->tr & ~7u) + 5) & 0xf;
	s->alias = *(const volatile uint64_t *)(uintptr_t)BARE_ALIAS_VA;
	snap_xstate(s);
	snap_extra(s);
}

static unsigned int compare(const struct host_snap *a, const struct host_snap *b)
{
	unsigned int bad = 0, i;

#define CHECK(f) do {							\
	if (a->f != b->f) {						\
		bare_printf("colinux-bare: STATE CHECK: %s was 0x%llx before the trip, 0x%llx after\n", \
			    #f, (unsigned long long)a->f, (unsigned long long)b->f); \
		bad++;							\
	}								\
} while (0)
	CHECK(cr0); CHECK(cr2); CHECK(cr3); CHECK(cr4); CHECK(rflags);
	CHECK(efer); CHECK(star); CHECK(lstar); CHECK(cstar); CHECK(sfmask);
	CHECK(fs_base); CHECK(gs_base); CHECK(kgs_base); CHECK(dr7);
	CHECK(cs); CHECK(ss); CHECK(ds); CHECK(es); CHECK(fs); CHECK(gs);
	CHECK(tr); CHECK(ldtr); CHECK(mxcsr); CHECK(fcw); CHECK(tss_type);
	CHECK(alias); CHECK(xcr0);
#undef CHECK
	for (i = 0; i < X_NR; i++) {
		if (a->extra[i] != b->extra[i]) {
			bare_printf("colinux-bare: STATE CHECK: %s was 0x%llx before the trip, 0x%llx after\n",
				    extra_regs[i].name, (unsigned long long)a->extra[i],
				    (unsigned long long)b->extra[i]);
			bad++;
		}
	}
	for (i = 0; i < YMM_CHECKED; i++) {
		if (__builtin_memcmp(a->ymm_hi[i], b->ymm_hi[i], 16)) {
			bare_printf("colinux-bare: STATE CHECK: ymm%u upper half was 0x%016llx%016llx before the trip, 0x%016llx%016llx after\n",
				    i, (unsigned long long)a->ymm_hi[i][1],
				    (unsigned long long)a->ymm_hi[i][0],
				    (unsigned long long)b->ymm_hi[i][1],
				    (unsigned long long)b->ymm_hi[i][0]);
			bad++;
		}
	}
	if (__builtin_memcmp(a->gdtr, b->gdtr, sizeof(a->gdtr))) {
		bare_printf("colinux-bare: STATE CHECK: GDTR changed\n");
		bad++;
	}
	if (__builtin_memcmp(a->idtr, b->idtr, sizeof(a->idtr))) {
		bare_printf("colinux-bare: STATE CHECK: IDTR changed\n");
		bad++;
	}
	return bad;
}

/* What the host's xsave left in its area: AVX state, this trip's values. */
static unsigned int check_area(const struct bare_cpu *c, uint64_t trip)
{
	const struct co_cpu_state *hs =
		(const struct co_cpu_state *)(uintptr_t)c->pi.state_hva;
	const uint8_t *area = (const uint8_t *)hs + hs->xsave_off;
	uint64_t bv, want[2];
	unsigned int i, bad = 0;

	if (!hs->xsave_off || hs->xcr0 != XCR0_AVX) {
		bare_printf("colinux-bare: STATE CHECK: the host is off the xsave path (xcr0 0x%llx)\n",
			    (unsigned long long)hs->xcr0);
		return 1;
	}
	__builtin_memcpy(&bv, area + XSTATE_BV, sizeof(bv));
	if (!(bv & 4)) {
		bare_printf("colinux-bare: STATE CHECK: the host's XSAVE area has no AVX state (XSTATE_BV 0x%llx)\n",
			    (unsigned long long)bv);
		return 1;
	}
	for (i = 0; i < YMM_CHECKED; i++) {
		ymm_pattern(trip, i, want);
		if (__builtin_memcmp(area + xs.ymm_off + 16 * i, want, 16)) {
			bare_printf("colinux-bare: STATE CHECK: the host's XSAVE area lacks ymm%u's upper half\n", i);
			bad++;
		}
	}
	return bad;
}

/* After create and after a reset the passage is back on fxsave. */
static void xsave_request(struct bare_cpu *c)
{
	const struct co_cpu_state *hs =
		(const struct co_cpu_state *)(uintptr_t)c->pi.state_hva;
	int err;

	if (hs->xcr0)
		return;
	err = co_passage_set_xsave(c->vm, XCR0_AVX, xs.host_size,
				   xs.guest_xcr0, xs.guest_size);
	if (err) {
		bare_printf("colinux-bare: the monitor refused the xsave path: %s\n",
			    co_strerror(err));
		bare_exit(BARE_EXIT_HOST);
	}
}

static void state_failed(struct bare_cpu *c)
{
	struct co_passage_shared *sh = co_vm_shared(c->vm);

	bare_printf("colinux-bare: the passage did not restore the host's state after trip %llu (guest op %u, guest rip 0x%llx)\n",
		    (unsigned long long)c->entries, sh->op,
		    (unsigned long long)sh->guest.rip);
	bare_exit(BARE_EXIT_STATE);
}

static int ops_attach(struct co_vm *vm, void **priv)
{
	struct bare_cpu *c = &bare_cpu;
	int err;

	if (c->vm)
		return -CO_EBUSY;
	err = co_passage_info(vm, &c->pi);
	if (err)
		return err;
	/* The whole point of this tier: the host sees the pages elsewhere. */
	if (c->pi.code_hva == CO_PASSAGE_CODE_VA) {
		co_err("bare: the host maps the passage at the guest's VA");
		return -CO_EINVAL;
	}
	c->vm = vm;
	c->to_guest = (void (*)(void))(uintptr_t)c->pi.to_guest_hva;
	if (bare_xsave_mode)
		xsave_init();
	if (bare_check_state)
		extra_init();
	*priv = c;
	return 0;
}

static int ops_enter(void *priv, struct co_vm_exit *exit)
{
	struct bare_cpu *c = priv;
	struct host_snap before, after;
	uint64_t flags, trip;
	unsigned int bad;

	flags = irq_save();
	if (!c->entries) {
		c->first_entry_ns = co_host_monotonic_ns();
		bare_printf("colinux-bare: first entry into the guest at %llu us\n",
			    (unsigned long long)(c->first_entry_ns / 1000));
	}
	trip = c->entries;
	if (xs.on) {
		xsave_request(c);
		if (bare_check_state)
			ymm_load(trip, 4);
	}
	if (bare_check_state)
		snap(&before);
	if (bare_break_trip && c->entries + 1 == bare_break_trip)
		wrmsr(CO_MSR_STAR, rdmsr(CO_MSR_STAR) ^ (0x18ULL << 32));
	if (xs.on && bare_xbreak_trip && c->entries + 1 == bare_xbreak_trip)
		ymm_load(trip ^ 0xff, 2);
	bare_guest_entry_hook();
	bare_cpu_in_guest = 1;
	c->to_guest();
	bare_cpu_in_guest = 0;
	c->entries++;
	if (bare_check_state) {
		snap(&after);
		c->checks++;
		bad = compare(&before, &after);
		if (xs.on)
			bad += check_area(c, trip);
		if (bad)
			state_failed(c);
	}
	irq_restore(flags);
	return 0;
}

static void ops_host_irq(void *priv, unsigned int vector)
{
	struct bare_cpu *c = priv;

	c->forwarded[vector & 255]++;
	bare_raise_vector(vector);
}

static void ops_detach(void *priv)
{
	struct bare_cpu *c = priv;

	c->vm = NULL;
}

/*
 * What the guest must respect of this host. The xsave path is set up
 * first, so that XCR0 is the one the host runs with; no VMX here, so no
 * CR4 bit is mandatory; the PIC delivers IRQ0 only (IRQ_BASE), so
 * BARE_VIRQ_VECTOR never arrives as a hardware interrupt.
 */
static void ops_host_info(struct co_cpu_host *h)
{
	uint64_t cr4, xcr0 = 0;
	uint32_t lo, hi;

	if (bare_xsave_mode)
		xsave_init();
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & CR4_OSXSAVE) {
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = (uint64_t)hi << 32 | lo;
	}
	h->valid = CO_BOOT_FEAT_HOST_XCR0 | CO_BOOT_FEAT_HOST_CR4 |
		   CO_BOOT_FEAT_HOST_PAT | CO_BOOT_FEAT_VIRQ_VECTOR;
	h->xcr0 = xcr0;
	h->cr4_required = 0;
	h->pat = rdmsr(CO_MSR_PAT);
	h->virq_vector = BARE_VIRQ_VECTOR;
}

const struct co_cpu_ops bare_cpu_ops = {
	.name = "bare",
	.host_info = ops_host_info,
	.attach = ops_attach,
	.enter = ops_enter,
	.host_irq = ops_host_irq,
	.detach = ops_detach,
};

void bare_cpu_report(void)
{
	struct bare_cpu *c = &bare_cpu;
	uint64_t fwd = 0, ticks, runs, flags;
	unsigned int v;

	for (v = 0; v < 256; v++)
		fwd += c->forwarded[v];
	/* Both counts at one instant: a tick in between would split them. */
	flags = irq_save();
	ticks = bare_ticks();
	runs = bare_vector_count(VEC_TIMER);
	irq_restore(flags);
	bare_printf("colinux-bare: %llu trips into the guest, %llu state checks passed; host ticks %llu (%llu forwarded by the guest), timer vector ran %llu times\n",
		    (unsigned long long)c->entries, (unsigned long long)c->checks,
		    (unsigned long long)ticks,
		    (unsigned long long)c->forwarded[VEC_TIMER],
		    (unsigned long long)runs);
	if (fwd != c->forwarded[VEC_TIMER])
		bare_printf("colinux-bare: %llu other vectors forwarded\n",
			    (unsigned long long)(fwd - c->forwarded[VEC_TIMER]));
}
