// SPDX-License-Identifier: GPL-2.0
/*
 * Installing the x86-64 switch in a VM's passage pages: the code blob goes
 * into the code page, and a transit address space is built from host
 * frames. The transit space maps the code page at both addresses the
 * switch runs at (the host's VA of it and CO_PASSAGE_CODE_VA), plus the
 * shared and host-state pages after the guest copy, so that the switch can
 * read the other side's CR3 before it enters that side's space.
 */
#include <stddef.h>
#include <colinux/abi/passage.h>
#include <colinux/lib.h>
#include "internal/passage.h"
#include "internal/pgtable.h"
#include "internal/vm.h"
#include "switch.h"

/* The layout rules the generated offsets (asm-offsets.c) must meet. */
CO_ABI_ASSERT((CO_SHARED_GUEST + CO_XSAVE_GUEST_OFF) % CO_XSAVE_ALIGN == 0);
CO_ABI_ASSERT(CO_XSAVE_HOST_OFF >= sizeof(struct co_cpu_state));
CO_ABI_ASSERT(CO_XSAVE_HOST_OFF % CO_XSAVE_ALIGN == 0);
CO_ABI_ASSERT(CO_PD_END <= CO_PAGE_SIZE && CO_PD_OFFSET % 8 == 0);
CO_ABI_ASSERT(CO_PASSAGE_PRIV_OFFSET >= CO_XSAVE_HOST_OFF + CO_XSAVE_MIN);
CO_ABI_ASSERT(CO_PASSAGE_PRIV_OFFSET + sizeof(struct co_passage_priv) <=
	      CO_HOST_SCRATCH);
CO_ABI_ASSERT(CO_HOST_SCRATCH + sizeof(struct co_switch_scratch) ==
	      CO_PAGE_SIZE);
CO_ABI_ASSERT(CO_PASSAGE_SHARED_VA == CO_PASSAGE_CODE_VA + CO_PAGE_SIZE);
CO_ABI_ASSERT(CO_PASSAGE_TRANSIT_MAX == CO_TRANSIT_TABLES);

#define PRIV_MAGIC	0x7672705f7373ULL	/* "ss_prv" */
#define TABLE_FLAGS	(CO_PTE_P | CO_PTE_W | CO_PTE_A)
#define LEAF_FLAGS	(CO_PTE_P | CO_PTE_A)

struct transit {
	uint64_t *table[CO_TRANSIT_TABLES];
	const uint64_t *pfn;
	unsigned int used;
};

static struct co_passage_priv *priv_of(const struct co_vm *vm)
{
	return (struct co_passage_priv *)((uint8_t *)vm->host_state +
					  CO_PASSAGE_PRIV_OFFSET);
}

size_t co_passage_code_size(void)
{
	return (size_t)(co_passage_code_end - co_passage_code_start);
}

static uint64_t entry_offset(const uint8_t *entry)
{
	return (uint64_t)(entry - co_passage_code_start);
}

static uint64_t *table_of(struct transit *t, uint64_t entry)
{
	unsigned int i;

	for (i = 0; i < t->used; i++) {
		if (t->pfn[i] == (entry & CO_PTE_ADDR) >> CO_PAGE_SHIFT)
			return t->table[i];
	}
	return NULL;
}

/* Map the 4 KiB page at @va to frame @pfn, read-only. */
static int transit_map(struct transit *t, uint64_t va, uint64_t pfn)
{
	uint64_t *tab = t->table[0];
	unsigned int idx;
	int level;

	for (level = 4; level > 1; level--) {
		idx = CO_PT_INDEX(va, level);
		if (!(tab[idx] & CO_PTE_P)) {
			if (t->used == CO_TRANSIT_TABLES)
				return -CO_ENOMEM;
			tab[idx] = (t->pfn[t->used] << CO_PAGE_SHIFT) |
				   TABLE_FLAGS;
			t->used++;
		}
		tab = table_of(t, tab[idx]);
		if (!tab)
			return -CO_EINVAL;
	}
	idx = CO_PT_INDEX(va, 1);
	if (tab[idx] & CO_PTE_P)
		return (tab[idx] & CO_PTE_ADDR) == pfn << CO_PAGE_SHIFT ?
		       0 : -CO_EBUSY;
	tab[idx] = (pfn << CO_PAGE_SHIFT) | LEAF_FLAGS;
	return 0;
}

static int transit_build(struct co_vm *vm, struct co_passage_priv *p)
{
	struct transit t = { .pfn = p->transit_pfn, .used = 1 };
	uint64_t code_hva = (uint64_t)(uintptr_t)p->code;
	unsigned int i;
	int err = 0;

	for (i = 0; i < CO_TRANSIT_TABLES; i++) {
		t.table[i] = co_host_map(p->transit_pfn[i]);
		if (!t.table[i])
			err = -CO_EFAULT;
	}
	for (i = 0; !err && i < CO_TRANSIT_PAGES_MAPPED; i++)
		err = transit_map(&t, CO_PASSAGE_CODE_VA + i * CO_PAGE_SIZE,
				  vm->passage_pfn[i]);
	if (!err)
		err = transit_map(&t, code_hva, vm->passage_pfn[0]);
	if (err == -CO_EBUSY)
		co_err("passage: the host maps the code page at 0x%llx, which the transit space needs for another page",
		       (unsigned long long)code_hva);
	for (i = 0; i < CO_TRANSIT_TABLES; i++) {
		if (t.table[i])
			co_host_unmap(t.table[i], p->transit_pfn[i]);
	}
	p->transit_cr3 = p->transit_pfn[0] << CO_PAGE_SHIFT;
	return err;
}

static void code_install(struct co_vm *vm, struct co_passage_priv *p)
{
	uint8_t *page = p->code;
	struct co_passage_data *d = (void *)(page + CO_PD_OFFSET);

	co_memset(page, 0, CO_PAGE_SIZE);
	co_memcpy(page, co_passage_code_start, co_passage_code_size());
	d->transit_cr3 = p->transit_cr3;
	d->host_code_va = (uint64_t)(uintptr_t)p->code;
	d->host_state_va = (uint64_t)(uintptr_t)vm->host_state;
	d->guest_code_va = CO_PASSAGE_CODE_VA;
	d->magic = CO_PD_MAGIC_VALUE;
}

int co_arch_passage_install(struct co_vm *vm)
{
	struct co_passage_priv *p = priv_of(vm);
	int err;

	if (co_passage_code_size() > CO_PD_OFFSET ||
	    entry_offset(co_passage_to_host) != 0) {
		co_err("passage: switch code is %zu bytes, room for %u",
		       co_passage_code_size(), CO_PD_OFFSET);
		return -CO_ERANGE;
	}
	co_memset(p, 0, sizeof(*p));
	p->code = co_host_map(vm->passage_pfn[0]);
	if (!p->code)
		return -CO_EFAULT;
	err = co_host_pages_alloc(CO_TRANSIT_TABLES, p->transit_pfn);
	if (err)
		goto fail_unmap;
	err = transit_build(vm, p);
	if (err)
		goto fail_free;
	code_install(vm, p);
	/* fxsave until the host asks for more (co_passage_set_xsave). */
	vm->host_state->xcr0 = 0;
	vm->host_state->xsave_off = 0;
	p->magic = PRIV_MAGIC;
	return 0;
fail_free:
	co_host_pages_free(CO_TRANSIT_TABLES, p->transit_pfn);
fail_unmap:
	co_host_unmap(p->code, vm->passage_pfn[0]);
	co_memset(p, 0, sizeof(*p));
	return err;
}

void co_arch_passage_remove(struct co_vm *vm)
{
	struct co_passage_priv *p;

	if (!vm->host_state)
		return;
	p = priv_of(vm);
	if (p->magic != PRIV_MAGIC)
		return;
	co_host_pages_free(CO_TRANSIT_TABLES, p->transit_pfn);
	co_host_unmap(p->code, vm->passage_pfn[0]);
	co_memset(p, 0, sizeof(*p));
}

int co_passage_info(const struct co_vm *vm, struct co_passage_info *pi)
{
	const struct co_passage_priv *p;
	unsigned int i;

	co_memset(pi, 0, sizeof(*pi));
	if (!vm->host_state)
		return -CO_ESTATE;
	p = priv_of(vm);
	if (p->magic != PRIV_MAGIC)
		return -CO_ESTATE;
	for (i = 0; i < 3; i++)
		pi->pfn[i] = vm->passage_pfn[i];
	pi->code_hva = (uint64_t)(uintptr_t)p->code;
	pi->shared_hva = (uint64_t)(uintptr_t)vm->shared;
	pi->state_hva = (uint64_t)(uintptr_t)vm->host_state;
	pi->to_guest_hva = pi->code_hva + entry_offset(co_passage_to_guest);
	pi->to_host_gva = CO_PASSAGE_CODE_VA + entry_offset(co_passage_to_host);
	pi->transit_cr3 = p->transit_cr3;
	for (i = 0; i < CO_TRANSIT_TABLES; i++)
		pi->transit_pfn[i] = p->transit_pfn[i];
	pi->nr_transit = CO_TRANSIT_TABLES;
	return 0;
}

#define XSAVE_XSTATE_BV	512
#define XCR0_X87_SSE	3ULL

static int xsave_check(uint64_t xcr0, uint32_t size, uint32_t room)
{
	if (!xcr0)
		return 0;
	if ((xcr0 & XCR0_X87_SSE) != XCR0_X87_SSE)
		return -CO_EINVAL;
	if (size < CO_XSAVE_MIN || size > room)
		return -CO_ERANGE;
	return 0;
}

/*
 * Point @s at a fresh XSAVE area @off bytes on, holding its fxsave image
 * (x87 and SSE marked present, everything else in its initial state): the
 * xrstor of the first entry must find a valid header.
 */
static void xsave_setup(struct co_cpu_state *s, uint64_t xcr0, uint32_t off,
			uint32_t size)
{
	uint8_t *area = (uint8_t *)s + off;
	uint64_t bv = XCR0_X87_SSE;

	s->xcr0 = xcr0;
	s->xsave_off = xcr0 ? off : 0;
	if (!xcr0)
		return;
	co_memset(area, 0, size);
	co_memcpy(area, s->fxsave, sizeof(s->fxsave));
	co_memcpy(area + XSAVE_XSTATE_BV, &bv, sizeof(bv));
}

int co_passage_set_xsave(struct co_vm *vm, uint64_t host_xcr0,
			 uint32_t host_size, uint64_t guest_xcr0,
			 uint32_t guest_size)
{
	int err;

	if (!vm->host_state || priv_of(vm)->magic != PRIV_MAGIC)
		return -CO_ESTATE;
	err = xsave_check(host_xcr0, host_size, CO_XSAVE_HOST_MAX);
	if (!err)
		err = xsave_check(guest_xcr0, guest_size, CO_XSAVE_GUEST_MAX);
	if (err)
		return err;
	xsave_setup(vm->host_state, host_xcr0, CO_XSAVE_HOST_OFF, host_size);
	xsave_setup(&vm->shared->guest, guest_xcr0, CO_XSAVE_GUEST_OFF,
		    guest_size);
	if (guest_xcr0)
		vm->shared->guest.cr4 |= 1ULL << CO_CR4_OSXSAVE_BIT;
	/* The monitor's own copy: the guest can write its state's field. */
	vm->guest_xcr0 = guest_xcr0;
	return 0;
}
