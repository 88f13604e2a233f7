/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 4-level page tables for the guest's first address space, and a
 * software walker that reads any such tables (to verify what the builder
 * made, and to translate guest virtual addresses for the back-ends).
 *
 * Table pages are taken from a guest-physical pool the caller reserves in
 * guest RAM, so the guest can keep using them. Entries hold host-physical
 * addresses, as the MMU wants.
 */
#ifndef CO_MONITOR_PGTABLE_H
#define CO_MONITOR_PGTABLE_H

#include <colinux/cpu.h>
#include "internal/ram.h"

struct co_pt {
	const struct co_ram *ram;
	uint64_t pool_gpa;	/* where table pages come from */
	uint64_t pool_pages;
	uint64_t used;		/* pages handed out so far */
	uint64_t root_gpa;	/* the PML4 */
	uint64_t root_hpa;	/* what goes into CR3 */
};

/* Take the PML4 from the pool. */
int co_pt_init(struct co_pt *pt, const struct co_ram *ram, uint64_t pool_gpa,
	       uint64_t pool_pages);

/*
 * Map [va, va + size) to host-physical [hpa, ...), with 2 MiB pages where
 * va, hpa and the remaining size allow and 4 KiB pages elsewhere.
 * @flags: CO_PTE_W, CO_PTE_U, CO_PTE_G, CO_PTE_NX (P, A and D are implied).
 * va and hpa must be 4 KiB aligned and va canonical; remapping a present
 * page with a different target is -CO_EBUSY. -CO_ENOMEM when the pool is
 * used up.
 */
int co_pt_map(struct co_pt *pt, uint64_t va, uint64_t hpa, uint64_t size,
	      uint64_t flags);
/* Map guest-physical memory: each guest page to its own host frame. */
int co_pt_map_gpa(struct co_pt *pt, uint64_t va, uint64_t gpa, uint64_t size,
		  uint64_t flags);

/* How many pool pages mapping @size bytes can need at worst. */
uint64_t co_pt_pages_needed(uint64_t size);

/* The walker (co_pt_walk) is in <colinux/cpu.h>, for the back-ends too. */
/* A reader for tables that live in guest RAM. */
co_pt_read_fn co_pt_read_ram;	/* ctx = const struct co_ram * */

#endif
