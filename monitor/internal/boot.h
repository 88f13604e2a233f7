/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boot area: the top of guest RAM, reserved for what co_boot_setup
 * writes before the first entry. From low to high addresses:
 *
 *   boot parameters (1 page) | GDT (1 page) | Linux zero page (1 page) |
 *   stack (16 KiB) |
 *   page-table pool | p2m table (paged RAM only)
 *
 * Its size depends on the RAM and on the kernel's segments (each segment
 * mapped away from its physical address needs its own tables), so the
 * loader asks for it with the kernel it is about to load.
 */
#ifndef CO_MONITOR_BOOT_H
#define CO_MONITOR_BOOT_H

#include "internal/elf.h"
#include "internal/ram.h"

struct co_vm;

#define CO_BOOT_STACK_SIZE	(16 * 1024ULL)

struct co_boot_layout {
	uint64_t start;		/* first gpa of the boot area */
	uint64_t size;		/* to the end of RAM */
	uint64_t params_gpa;
	uint64_t gdt_gpa;
	uint64_t zero_page_gpa;	/* written for Linux kernels only */
	uint64_t stack_gpa, stack_top;
	uint64_t pool_gpa, pool_pages;
	uint64_t p2m_gpa, p2m_size;	/* 0 with contiguous RAM */
};

/*
 * The layout for @ram with kernel @elf (NULL: none yet). -CO_ENOMEM if RAM
 * is too small to hold it.
 */
int co_boot_layout(const struct co_ram *ram, const struct co_elf *elf,
		   struct co_boot_layout *l);
/* [*gpa, *gpa + *size): the boot area for the VM's loaded kernel. */
int co_boot_area(const struct co_vm *vm, uint64_t *gpa, uint64_t *size);

#endif
