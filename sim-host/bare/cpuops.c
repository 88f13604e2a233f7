// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU back-end of the bare-metal host: the guest gets the real CPU.
 * enter() disables interrupts and calls the passage's host entry at the
 * host's mapping of the code page; the call returns when the guest
 * switches back. In a checking build (host.check=1, the default) every
 * return is followed by a comparison of everything the passage promises
 * to restore with what it was before the call; a difference stops the
 * machine with a report naming the register.
 */
#include <colinux/monitor.h>

#include "bare.h"
#include "../../monitor/lib.h"
#include "../../monitor/passage.h"
#include "../../monitor/arch/x86_64/switch.h"

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
};

/* The alias page's contents: no symbol, so no name over guest addresses. */
__asm__(".pushsection .alias, \"a\"\n\t.quad 0x5341494c4174736f\n\t.popsection");
_Static_assert(BARE_ALIAS_MAGIC == 0x5341494c4174736fULL, "alias marker");

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
}

static unsigned int compare(const struct host_snap *a, const struct host_snap *b)
{
	unsigned int bad = 0;

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
	CHECK(alias);
#undef CHECK
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
	*priv = c;
	return 0;
}

static int ops_enter(void *priv, struct co_vm_exit *exit)
{
	struct bare_cpu *c = priv;
	struct host_snap before, after;
	uint64_t flags;

	flags = irq_save();
	if (!c->entries) {
		c->first_entry_ns = co_host_monotonic_ns();
		bare_printf("colinux-bare: first entry into the guest at %llu us\n",
			    (unsigned long long)(c->first_entry_ns / 1000));
	}
	if (bare_check_state)
		snap(&before);
	if (bare_break_trip && c->entries + 1 == bare_break_trip)
		wrmsr(CO_MSR_STAR, rdmsr(CO_MSR_STAR) ^ (0x18ULL << 32));
	bare_guest_entry_hook();
	bare_cpu_in_guest = 1;
	c->to_guest();
	bare_cpu_in_guest = 0;
	c->entries++;
	if (bare_check_state) {
		snap(&after);
		c->checks++;
		if (compare(&before, &after))
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

const struct co_cpu_ops bare_cpu_ops = {
	.name = "bare",
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
