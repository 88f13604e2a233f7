/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 facts both sides use when they build or walk page tables: not a
 * wire format of their own, but kept with the ABI so that the host, the
 * test guest and the Linux guest share one definition.
 */
#ifndef COLINUX_ABI_X86_H
#define COLINUX_ABI_X86_H

/* Page-table entry bits (4-level paging). */
#define CO_PTE_P	0x001ULL
#define CO_PTE_W	0x002ULL
#define CO_PTE_U	0x004ULL
#define CO_PTE_PWT	0x008ULL
#define CO_PTE_PCD	0x010ULL
#define CO_PTE_A	0x020ULL
#define CO_PTE_D	0x040ULL
#define CO_PTE_PS	0x080ULL
#define CO_PTE_G	0x100ULL
#define CO_PTE_NX	(1ULL << 63)
#define CO_PTE_ADDR	0x000ffffffffff000ULL

/* The index of @va's entry in its level-@level table (1 = PT, 4 = PML4). */
#define CO_PT_INDEX(va, level) \
	((unsigned int)((va) >> (12 + 9 * ((level) - 1))) & 511)

#endif
