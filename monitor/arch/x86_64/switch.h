/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86-64 world switch: constants shared by passage.S and the C code
 * that installs it (docs/passage.md). Included from assembly, so only
 * #defines outside the __ASSEMBLER__ block.
 */
#ifndef CO_ARCH_X86_64_SWITCH_H
#define CO_ARCH_X86_64_SWITCH_H

/* struct co_cpu_state (abi/passage.h); checked against it in transit.c. */
#define CO_ST_RBX		0x000
#define CO_ST_RBP		0x008
#define CO_ST_R12		0x010
#define CO_ST_R13		0x018
#define CO_ST_R14		0x020
#define CO_ST_R15		0x028
#define CO_ST_RSP		0x030
#define CO_ST_RIP		0x038
#define CO_ST_RFLAGS		0x040
#define CO_ST_RDI		0x048
#define CO_ST_RSI		0x050
#define CO_ST_CR0		0x058
#define CO_ST_CR2		0x060
#define CO_ST_CR3		0x068
#define CO_ST_CR4		0x070
#define CO_ST_EFER		0x078
#define CO_ST_GDTR		0x080	/* limit at +6, base at +8 */
#define CO_ST_IDTR		0x090
#define CO_ST_CS		0x0a0
#define CO_ST_SS		0x0a2
#define CO_ST_DS		0x0a4
#define CO_ST_ES		0x0a6
#define CO_ST_FS		0x0a8
#define CO_ST_GS		0x0aa
#define CO_ST_TR		0x0ac
#define CO_ST_LDTR		0x0ae
#define CO_ST_FS_BASE		0x0b0
#define CO_ST_GS_BASE		0x0b8
#define CO_ST_KGS_BASE		0x0c0
#define CO_ST_STAR		0x0c8
#define CO_ST_LSTAR		0x0d0
#define CO_ST_CSTAR		0x0d8
#define CO_ST_SFMASK		0x0e0
#define CO_ST_DR7		0x0e8
#define CO_ST_XCR0		0x0f0
#define CO_ST_XSAVE_OFF		0x0f8
#define CO_ST_FXSAVE		0x100

/* The guest's saved state inside the shared page (co_passage_shared.guest). */
#define CO_SHARED_GUEST		0x100

/*
 * The code page: the switch from offset 0 (the guest->host entry is at
 * offset 0, part of the ABI), then this data block, which the monitor
 * fills when it installs the page. The guest can read it.
 */
#define CO_PD_OFFSET		0xfc0
#define CO_PD_TRANSIT_CR3	(CO_PD_OFFSET + 0x00)
#define CO_PD_HOST_CODE_VA	(CO_PD_OFFSET + 0x08)
#define CO_PD_HOST_STATE_VA	(CO_PD_OFFSET + 0x10)
#define CO_PD_GUEST_CODE_VA	(CO_PD_OFFSET + 0x18)
#define CO_PD_MAGIC		(CO_PD_OFFSET + 0x20)
#define CO_PD_MAGIC_VALUE	0x54495352544f43ULL	/* "COTRSIT" */

/*
 * The transit address space maps, at CO_PASSAGE_GUEST_VA: the code page,
 * the shared page, the host-state page (in that order), and the code page
 * once more at the host's VA of it. Nothing else.
 */
#define CO_TRANSIT_PAGES_MAPPED	3
#define CO_TRANSIT_HOST_STATE	0x2000	/* from the code page, in transit */

/* The arch bookkeeping's place in the host-state page (struct below). */
#define CO_PASSAGE_PRIV_OFFSET	0xf80

/* Control-register bits the switch cares about. */
#define CO_CR0_TS_EM		0xc
#define CO_CR4_PGE_PCIDE	0x20080
#define CO_CR3_ADDR_MASK	0x7ffffffffffff000
#define CO_DR7_QUIET		0x400
#define CO_CR4_OSXSAVE_BIT	18

/*
 * XSAVE areas (standard format). The guest's is reserved3 of the shared
 * page; the host's follows struct co_cpu_state in the host-state page, up
 * to the arch bookkeeping.
 */
#define CO_XSAVE_ALIGN		64
#define CO_XSAVE_MIN		576	/* legacy region + header */
#define CO_XSAVE_GUEST_OFF	(0x800 - CO_SHARED_GUEST)
#define CO_XSAVE_GUEST_MAX	0x800
#define CO_XSAVE_HOST_OFF	0x300
#define CO_XSAVE_HOST_MAX	(CO_PASSAGE_PRIV_OFFSET - CO_XSAVE_HOST_OFF)

/*
 * Descriptor byte 5 (P, DPL, S, type) of what TR and LDTR may name: a
 * present 64-bit TSS, available or busy, and a present LDT.
 */
#define CO_DESC_TSS_MASK	0x9d
#define CO_DESC_TSS		0x89
#define CO_DESC_LDT_MASK	0x9f
#define CO_DESC_LDT		0x82

#define CO_MSR_EFER		0xc0000080
#define CO_MSR_STAR		0xc0000081
#define CO_MSR_LSTAR		0xc0000082
#define CO_MSR_CSTAR		0xc0000083
#define CO_MSR_SFMASK		0xc0000084
#define CO_MSR_FS_BASE		0xc0000100
#define CO_MSR_GS_BASE		0xc0000101
#define CO_MSR_KGS_BASE		0xc0000102

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * The blob in passage.S; never executed where it is linked, only in the
 * copy in the code page. Entries as offsets from co_passage_code_start.
 */
extern const uint8_t co_passage_code_start[];
extern const uint8_t co_passage_code_end[];
extern const uint8_t co_passage_to_host[];
extern const uint8_t co_passage_to_guest[];

/* Page-table pages the transit space can need: PML4 + 2 x (PDPT, PD, PT). */
#define CO_TRANSIT_TABLES	7

/*
 * Arch bookkeeping of one VM, kept at the end of the host-state page (the
 * guest never maps that page); between it and the struct co_cpu_state is
 * the host's XSAVE area.
 */
struct co_passage_priv {
	uint64_t magic;
	void *code;			/* host mapping of the code page */
	uint64_t transit_pfn[CO_TRANSIT_TABLES];
	uint64_t transit_cr3;
};

struct co_vm;
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
#endif

#endif
