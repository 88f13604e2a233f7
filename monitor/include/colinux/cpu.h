/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPU back-end contract: what a back-end that gives the guest the CPU
 * (the bare-metal host's and the NT driver's real passage, the Unicorn
 * emulator, the tests' scripted guests) sees of the monitor, and nothing
 * more. docs/passage.md explains the switch these names describe.
 *
 * Usable from assembly: the constants come first, and the offsets of
 * struct co_cpu_state that the switch code and the back-ends' stubs use
 * are generated from the C structure at build time (cpu-offsets.h, made
 * from monitor/arch/x86_64/asm-offsets.c), so no copy is kept by hand.
 *
 * A guest kernel that wants the architectural numbers only (the test
 * guest writes the MSRs below on purpose) defines CO_CPU_CONSTANTS_ONLY
 * first: it then gets the constants and nothing of the monitor.
 */
#ifndef COLINUX_CPU_H
#define COLINUX_CPU_H

#include <colinux/abi/x86.h>

/* The MSRs the switch and its back-ends save, restore or check. */
#define CO_MSR_EFER		0xc0000080
#define CO_MSR_STAR		0xc0000081
#define CO_MSR_LSTAR		0xc0000082
#define CO_MSR_CSTAR		0xc0000083
#define CO_MSR_SFMASK		0xc0000084
#define CO_MSR_FS_BASE		0xc0000100
#define CO_MSR_GS_BASE		0xc0000101
#define CO_MSR_KGS_BASE		0xc0000102
#define CO_MSR_PAT		0x277

/*
 * MSRs the switch does not load, which belong to the host and which a
 * guest kernel could write (docs/protocol.md, "Passage rules"): the bare
 * host compares them after every trip where the CPU has them.
 */
#define CO_MSR_SYSENTER_CS	0x174
#define CO_MSR_SYSENTER_ESP	0x175
#define CO_MSR_SYSENTER_EIP	0x176
#define CO_MSR_MCG_CAP		0x179	/* read only: bit 8, MCG_CTL_P */
#define CO_MSR_MCG_CTL		0x17b
#define CO_MSR_MISC_ENABLE	0x1a0
#define CO_MSR_MTRR_CAP		0xfe	/* read only: bit 8, fixed ranges */
#define CO_MSR_MTRR_DEF_TYPE	0x2ff
#define CO_MSR_TSC_AUX		0xc0000103

/* CPUID bits that say whether those MSRs exist. */
#define CO_CPUID1_EDX_SEP	(1u << 11)	/* SYSENTER_* */
#define CO_CPUID1_EDX_MTRR	(1u << 12)	/* MTRR_CAP, MTRR_DEF_TYPE */
#define CO_CPUID1_EDX_MCA	(1u << 14)	/* MCG_CAP (MCG_CTL if MCG_CTL_P) */
#define CO_CPUID1_EDX_PAT	(1u << 16)
#define CO_CPUID1_ECX_XSAVE	(1u << 26)
#define CO_CPUID7_ECX_RDPID	(1u << 22)	/* TSC_AUX */
#define CO_CPUID81_EDX_RDTSCP	(1u << 27)	/* TSC_AUX */
#define CO_MCG_CAP_CTL_P	(1ULL << 8)

/* Control-register bits the switch cares about. */
#define CO_CR0_TS_EM		0xc
#define CO_CR4_PGE_PCIDE	0x20080
#define CO_CR4_OSXSAVE_BIT	18
#define CO_CR3_ADDR_MASK	0x7ffffffffffff000
#define CO_DR7_QUIET		0x400
#define CO_EFER_NXE		0x800

#ifndef CO_CPU_CONSTANTS_ONLY
#include <colinux/cpu-offsets.h>

#ifndef __ASSEMBLER__
#include <colinux/monitor.h>

/* What a back-end declares about itself (struct co_cpu_ops.caps). */
enum co_cpu_caps {
	/*
	 * Guest RAM must be one host-contiguous window: the back-end maps
	 * guest-physical as host-physical (Unicorn 2.0.1 cannot translate
	 * through the guest's tables). co_vm_create then picks
	 * memwindow=contiguous by default and refuses memwindow=paged.
	 */
	CO_CPU_CONTIGUOUS_RAM	= 1u << 0,
};

/*
 * What the host CPU's state means for a guest (the boot parameters'
 * host_* fields and virq_vector): @valid says which fields the back-end
 * knows, as CO_BOOT_FEAT_HOST_XCR0, _HOST_CR4, _HOST_PAT and
 * _VIRQ_VECTOR bits.
 */
struct co_cpu_host {
	uint64_t valid;
	uint64_t xcr0;		/* the host's XCR0; 0: the host has no XSAVE on */
	uint64_t cr4_required;	/* CR4 bits the guest must keep set */
	uint64_t pat;		/* IA32_PAT, not switched by the passage */
	uint32_t virq_vector;	/* never raised as a hardware interrupt */
};

/*
 * The CPU back-end: how the guest gets the CPU.
 */
struct co_cpu_ops {
	const char *name;
	unsigned int caps;		/* enum co_cpu_caps */
	/*
	 * Describe the host CPU for the guest's boot parameters (may be
	 * NULL: nothing known). Called before attach, once per start.
	 */
	void (*host_info)(struct co_cpu_host *host);
	/*
	 * Called by co_vm_start once RAM, passage pages and the guest's
	 * initial context exist.
	 */
	int (*attach)(struct co_vm *vm, void **priv);
	/*
	 * Give the CPU to the guest until it switches back. The operation it
	 * asks for is in the shared page. A non-zero return is a CPU-level
	 * failure (triple fault, budget exhausted): fill @exit (reason
	 * CO_TERM_CPU_FAULT or CO_TERM_HUNG, text) and return -CO_EIO.
	 */
	int (*enter)(void *priv, struct co_vm_exit *exit);
	/* Re-raise a host interrupt the guest forwarded (may be NULL). */
	void (*host_irq)(void *priv, unsigned int vector);
	void (*detach)(void *priv);
};

/* The shared page of a VM's passage (the guest's view of it is the ABI). */
struct co_passage_shared *co_vm_shared(struct co_vm *vm);

/*
 * Where the passage is (docs/passage.md). Host virtual addresses are the
 * monitor's own mappings of the pages (co_host_map): the host calls
 * to_guest_hva with interrupts off and no arguments; the guest calls
 * to_host_gva (CO_PASSAGE_CODE_VA, offset 0).
 */
#define CO_PASSAGE_TRANSIT_MAX	7
struct co_passage_info {
	uint64_t pfn[3];		/* code, shared, host state */
	uint64_t code_hva, shared_hva, state_hva;
	uint64_t to_guest_hva;
	uint64_t to_host_gva;
	uint64_t transit_cr3;
	uint64_t transit_pfn[CO_PASSAGE_TRANSIT_MAX];
	unsigned int nr_transit;
};
/* -CO_ESTATE unless the passage is installed (after co_vm_start). */
int co_passage_info(const struct co_vm *vm, struct co_passage_info *pi);

/*
 * XSAVE areas (standard format): the smallest one, and the room each side
 * has for its own (the guest's in the shared page, the host's in the
 * host-state page).
 */
#define CO_XSAVE_MIN		576	/* legacy region + header */
/*
 * Put a VM's passage on the xsave path (docs/passage.md), for a host that
 * has made sure the CPU has XSAVE and the components asked for: host_xcr0
 * is the host's XCR0 (its CR4 has OSXSAVE), guest_xcr0 what the guest
 * gets; the sizes are the standard-format XSAVE sizes of those component
 * sets (CPUID 0xd). 0 keeps a side on fxsave. Call after co_vm_start and
 * before the first entry (a reset puts both sides back on fxsave): it sets
 * the guest's CR4.OSXSAVE and converts its boot FPU image. -CO_EINVAL for
 * a mask without x87 and SSE, -CO_ERANGE for an area too big for its page,
 * -CO_ESTATE before install.
 */
int co_passage_set_xsave(struct co_vm *vm, uint64_t host_xcr0,
			 uint32_t host_size, uint64_t guest_xcr0,
			 uint32_t guest_size);

/*
 * A software walk of x86-64 4-level tables, for back-ends that translate
 * guest virtual addresses themselves. Table pages are read through @read,
 * so the same walker serves any host; -CO_ENOENT if not present,
 * -CO_EINVAL for a reserved-bit or non-canonical case.
 */
struct co_pt_walk {
	uint64_t hpa;		/* translation of the address walked */
	uint64_t page_size;	/* 4 KiB, 2 MiB or 1 GiB */
	uint64_t flags;		/* effective: W and U only if set at all levels, NX if at any */
	int level;		/* 1 = PTE, 2 = PDE, 3 = PDPTE */
};
typedef int co_pt_read_fn(void *ctx, uint64_t hpa, uint64_t *entry);
int co_pt_walk(co_pt_read_fn *read, void *ctx, uint64_t root_hpa, uint64_t va,
	       struct co_pt_walk *w);

#endif /* __ASSEMBLER__ */

#endif /* CO_CPU_CONSTANTS_ONLY */

#endif
