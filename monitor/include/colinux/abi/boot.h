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
	uint8_t reserved[736];				/* 0xd20 */
};
CO_ABI_SIZE(co_boot_params, 4096);
CO_ABI_OFFSET(co_boot_params, ram_base, 0x18);
CO_ABI_OFFSET(co_boot_params, passage_va, 0x40);
CO_ABI_OFFSET(co_boot_params, nr_devices, 0x58);
CO_ABI_OFFSET(co_boot_params, mem, 0x60);
CO_ABI_OFFSET(co_boot_params, dev, 0x120);
CO_ABI_OFFSET(co_boot_params, cmdline, 0x920);

/* Selectors of the GDT the monitor builds for the first entry (Linux's). */
#define CO_BOOT_CS		0x10
#define CO_BOOT_DS		0x18
#define CO_BOOT_TR		0x20	/* 64-bit TSS, in the GDT's page */

#endif
