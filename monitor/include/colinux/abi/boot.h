/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Boot parameters: one page the monitor writes into guest RAM before the
 * first entry; its guest-physical address arrives in rsi and in param[0]
 * of CO_OP_START. docs/protocol.md, section "Boot".
 *
 * Guest-physical addresses: guest RAM is [ram_base, ram_base + ram_size).
 * With CO_BOOT_F_CONTIGUOUS the RAM is one host-physical window and
 * guest-physical equals host-physical (what page tables hold). Otherwise
 * ram_base is 0 and p2m_gpa points at an array of ram_size / 4096 host page
 * frame numbers, one per guest page, for the guest to put in its page
 * tables.
 */
#ifndef COLINUX_ABI_BOOT_H
#define COLINUX_ABI_BOOT_H

#include "types.h"
#include "devices.h"

#define CO_BOOT_MAGIC		0x544f4f42434fULL	/* "OCBOOT" */
#define CO_BOOT_F_CONTIGUOUS	0x1
/*
 * Entered through Linux's 64-bit boot protocol: rsi holds Linux's zero
 * page (abi/linux.h), whose hardware_subarch_data is this page's gpa;
 * param[0] of CO_OP_START still names this page.
 */
#define CO_BOOT_F_LINUX		0x2

#define CO_BOOT_MAX_MEM		8
#define CO_BOOT_MAX_DEVICES	64
#define CO_CMDLINE_SIZE		1024

enum co_mem_type {
	CO_MEM_RAM		= 1,	/* free for the guest */
	CO_MEM_KERNEL		= 2,	/* the loaded image */
	CO_MEM_INITRD		= 3,
	CO_MEM_BOOT		= 4,	/* boot params, stack, GDT, tables */
	CO_MEM_P2M		= 5,
};

struct co_mem_region {
	uint64_t base;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};
CO_ABI_SIZE(co_mem_region, 24);

struct co_boot_params {
	uint64_t magic;					/* 0x000 */
	uint32_t abi_version;				/* 0x008 */
	uint32_t size;					/* 0x00c */
	uint32_t flags;					/* 0x010 */
	uint32_t nr_mem;				/* 0x014 */
	uint64_t ram_base;				/* 0x018 */
	uint64_t ram_size;				/* 0x020 */
	uint64_t p2m_gpa;				/* 0x028 */
	uint64_t initrd_gpa;				/* 0x030 */
	uint64_t initrd_size;				/* 0x038 */
	uint64_t passage_va;				/* 0x040 */
	uint64_t boot_time_ns;	/* wall clock at start */	/* 0x048 */
	uint64_t pt_root;	/* initial CR3 */		/* 0x050 */
	uint32_t nr_devices;				/* 0x058 */
	uint32_t cmdline_len;				/* 0x05c */
	struct co_mem_region mem[CO_BOOT_MAX_MEM];	/* 0x060 */
	struct co_dev_info dev[CO_BOOT_MAX_DEVICES];	/* 0x120 */
	char cmdline[CO_CMDLINE_SIZE];			/* 0x920 */
	/* Additions of version 1, each valid if its CO_BOOT_FEAT_* is set. */
	uint64_t features;				/* 0xd20 */
	uint64_t passage_code_hpa;			/* 0xd28 */
	uint64_t passage_shared_hpa;			/* 0xd30 */
	uint32_t tsc_khz;				/* 0xd38 */
	uint32_t virq_vector;				/* 0xd3c */
	uint64_t host_xcr0;				/* 0xd40 */
	uint64_t host_cr4;				/* 0xd48 */
	uint64_t host_pat;				/* 0xd50 */
	uint8_t reserved[680];				/* 0xd58 */
};
CO_ABI_SIZE(co_boot_params, 4096);
CO_ABI_OFFSET(co_boot_params, ram_base, 0x18);
CO_ABI_OFFSET(co_boot_params, passage_va, 0x40);
CO_ABI_OFFSET(co_boot_params, nr_devices, 0x58);
CO_ABI_OFFSET(co_boot_params, mem, 0x60);
CO_ABI_OFFSET(co_boot_params, dev, 0x120);
CO_ABI_OFFSET(co_boot_params, cmdline, 0x920);
CO_ABI_OFFSET(co_boot_params, features, 0xd20);
CO_ABI_OFFSET(co_boot_params, tsc_khz, 0xd38);
CO_ABI_OFFSET(co_boot_params, host_pat, 0xd50);

/*
 * co_boot_params.features: which of the fields after cmdline[] the host
 * filled, and what else this host offers. A guest written for version 1
 * without them sees zeros and loses nothing.
 */
/* passage_code_hpa, passage_shared_hpa: the frames behind the passage,
 * for a guest that maps CO_PASSAGE_GUEST_VA in page tables of its own. */
#define CO_BOOT_FEAT_PASSAGE_FRAMES	(1ULL << 0)
/* tsc_khz: the TSC's frequency; the guest must not calibrate its own. */
#define CO_BOOT_FEAT_TSC_KHZ		(1ULL << 1)
/* virq_vector: a vector the host never raises as a hardware interrupt,
 * free for the guest's own delivery of virtual interrupts. */
#define CO_BOOT_FEAT_VIRQ_VECTOR	(1ULL << 2)
/* host_xcr0: the host's XCR0 (0: the host does not use XSAVE); the guest
 * runs with exactly this XCR0 or does not touch XCR0 at all. */
#define CO_BOOT_FEAT_HOST_XCR0		(1ULL << 3)
/* host_cr4: CR4 bits the guest must keep set while it runs. */
#define CO_BOOT_FEAT_HOST_CR4		(1ULL << 4)
/* host_pat: the host's IA32_PAT, which the passage does not switch. */
#define CO_BOOT_FEAT_HOST_PAT		(1ULL << 5)
/* co_passage_shared.time: the time record. */
#define CO_BOOT_FEAT_TIME_RECORD	(1ULL << 6)
/* CO_OP_SET_TIMER takes CO_TIMER_RELATIVE. */
#define CO_BOOT_FEAT_TIMER_RELATIVE	(1ULL << 7)

/* Selectors of the GDT the monitor builds for the first entry (Linux's). */
#define CO_BOOT_CS		0x10
#define CO_BOOT_DS		0x18
#define CO_BOOT_TR		0x20	/* 64-bit TSS, in the GDT's page */

#endif
