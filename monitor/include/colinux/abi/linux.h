/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux's 64-bit boot protocol, the part a cooperative boot uses: the
 * zero page ("struct boot_params") the monitor writes for a Linux kernel
 * and passes in rsi. docs/protocol.md, section "Linux boot".
 *
 * Only the fields the monitor writes have names; the rest is padding that
 * stays zero. Offsets and values are Linux's (Documentation/x86/boot.rst,
 * zero-page.rst, arch/x86/include/uapi/asm/bootparam.h of Linux 6.1); the
 * structure is written here, not copied, and tests/unit/test_linux_boot.c
 * pins every offset against the numbers in Linux's header.
 */
#ifndef COLINUX_ABI_LINUX_H
#define COLINUX_ABI_LINUX_H

#include "types.h"

/* hdr.hardware_subarch: the cooperative platform (5 is the first free). */
#define CO_LINUX_SUBARCH_COOPERATIVE	5

#define CO_LINUX_BOOT_FLAG	0xaa55		/* hdr.boot_flag */
#define CO_LINUX_HDRS		0x53726448	/* hdr.header, "HdrS" */
#define CO_LINUX_BOOT_VERSION	0x020f		/* boot protocol 2.15 */
#define CO_LINUX_LOADER_UNDEF	0xff		/* type_of_loader: no ID */
#define CO_LINUX_LOADED_HIGH	0x01		/* loadflags: kernel at 1 MiB+ */
/* Linux ignores a map with fewer entries (e820__memory_setup_default). */
#define CO_LINUX_E820_MIN	2
#define CO_LINUX_E820_MAX	128		/* entries in the zero page */
#define CO_LINUX_E820_RAM	1
#define CO_LINUX_E820_RESERVED	2
/* Linux copies at most this much of the command line (COMMAND_LINE_SIZE). */
#define CO_LINUX_CMDLINE_MAX	2048
/* The kernel's physical load address must be a multiple of this. */
#define CO_LINUX_ALIGN		(2ULL << 20)

struct co_linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
CO_ABI_SIZE(co_linux_e820_entry, 20);

struct co_linux_boot_params {
	uint8_t pad0[0xc0];				/* 0x000 */
	uint32_t ext_ramdisk_image;			/* 0x0c0 */
	uint32_t ext_ramdisk_size;			/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;			/* 0x0c8 */
	uint8_t pad1[0x1e8 - 0xcc];			/* 0x0cc */
	uint8_t e820_entries;				/* 0x1e8 */
	uint8_t pad2[6];				/* 0x1e9 */
	uint8_t sentinel;	/* must stay 0 */	/* 0x1ef */
	uint8_t pad3[0x1fe - 0x1f0];			/* 0x1f0 */
	/* The setup header (struct setup_header) starts at 0x1f1. */
	uint16_t boot_flag;				/* 0x1fe */
	uint16_t jump;					/* 0x200 */
	uint32_t header;				/* 0x202 */
	uint16_t version;				/* 0x206 */
	uint8_t pad4[0x210 - 0x208];			/* 0x208 */
	uint8_t type_of_loader;				/* 0x210 */
	uint8_t loadflags;				/* 0x211 */
	uint8_t pad5[0x218 - 0x212];			/* 0x212 */
	uint32_t ramdisk_image;				/* 0x218 */
	uint32_t ramdisk_size;				/* 0x21c */
	uint8_t pad6[0x228 - 0x220];			/* 0x220 */
	uint32_t cmd_line_ptr;				/* 0x228 */
	uint8_t pad7[0x238 - 0x22c];			/* 0x22c */
	uint32_t cmdline_size;				/* 0x238 */
	uint32_t hardware_subarch;			/* 0x23c */
	uint64_t hardware_subarch_data;			/* 0x240 */
	uint8_t pad8[0x2d0 - 0x248];			/* 0x248 */
	struct co_linux_e820_entry e820_table[CO_LINUX_E820_MAX]; /* 0x2d0 */
	uint8_t pad9[0x1000 - 0xcd0];			/* 0xcd0 */
} __attribute__((packed));
CO_ABI_SIZE(co_linux_boot_params, 4096);
CO_ABI_OFFSET(co_linux_boot_params, ext_ramdisk_image, 0x0c0);
CO_ABI_OFFSET(co_linux_boot_params, ext_cmd_line_ptr, 0x0c8);
CO_ABI_OFFSET(co_linux_boot_params, e820_entries, 0x1e8);
CO_ABI_OFFSET(co_linux_boot_params, sentinel, 0x1ef);
CO_ABI_OFFSET(co_linux_boot_params, boot_flag, 0x1fe);
CO_ABI_OFFSET(co_linux_boot_params, header, 0x202);
CO_ABI_OFFSET(co_linux_boot_params, version, 0x206);
CO_ABI_OFFSET(co_linux_boot_params, type_of_loader, 0x210);
CO_ABI_OFFSET(co_linux_boot_params, ramdisk_image, 0x218);
CO_ABI_OFFSET(co_linux_boot_params, cmd_line_ptr, 0x228);
CO_ABI_OFFSET(co_linux_boot_params, hardware_subarch, 0x23c);
CO_ABI_OFFSET(co_linux_boot_params, hardware_subarch_data, 0x240);
CO_ABI_OFFSET(co_linux_boot_params, e820_table, 0x2d0);

#endif
