/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86-64 world switch: the layout of the passage pages as the switch
 * sees them, shared by passage.S and the C code that installs it
 * (docs/passage.md). Included from assembly, so only #defines outside the
 * __ASSEMBLER__ block. Offsets into C structures are not kept here: they
 * are generated (asm-offsets.c -> <colinux/cpu-offsets.h>), and the
 * architectural constants are in <colinux/cpu.h>; this header includes
 * neither, so that asm-offsets.c can include it before the offsets exist.
 */
#ifndef CO_ARCH_X86_64_SWITCH_H
#define CO_ARCH_X86_64_SWITCH_H

/*
 * The code page: the switch from offset 0 (the guest->host entry is at
 * offset 0, part of the ABI), then the data block (struct
 * co_passage_data, the CO_PD_* offsets), which the monitor fills when it
 * installs the page. The guest can read it.
 */
#define CO_PD_OFFSET		0xfc0
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
/* The host's struct co_switch_scratch, at the end of the host-state page. */
#define CO_HOST_SCRATCH		0xfd0

/*
 * XSAVE areas (standard format). The guest's is reserved3 of the shared
 * page (CO_XSAVE_GUEST_OFF, CO_XSAVE_GUEST_MAX, generated); the host's
 * follows struct co_cpu_state in the host-state page, up to the arch
 * bookkeeping.
 */
#define CO_XSAVE_ALIGN		64
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

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The data block at CO_PD_OFFSET of the code page. */
struct co_passage_data {
	uint64_t transit_cr3;		/* the transit address space */
	uint64_t host_code_va;		/* the host's VA of this page */
	uint64_t host_state_va;		/* ... and of the host-state page */
	uint64_t guest_code_va;		/* CO_PASSAGE_CODE_VA */
	uint64_t magic;			/* CO_PD_MAGIC_VALUE */
};

/*
 * The blob in passage.S; never executed where it is linked, only in the
 * copy in the code page. Entries as offsets from co_passage_code_start.
 */
extern const uint8_t co_passage_code_start[];
extern const uint8_t co_passage_code_end[];
extern const uint8_t co_passage_to_host[];
extern const uint8_t co_passage_to_guest[];

/* Page-table pages the transit space can need: PML4 + 2 x (PT, PD, PDPT). */
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
#endif

#endif
