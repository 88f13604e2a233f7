/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The passage pages of one VM: [0] code (the switch, copied in; host RX,
 * guest RX), [1] shared page (struct co_passage_shared, guest RW), [2]
 * host state (struct co_cpu_state, host only). The arch code adds the
 * transit address space the switch runs through.
 */
#ifndef CO_MONITOR_PASSAGE_H
#define CO_MONITOR_PASSAGE_H

#include <stddef.h>
#include <colinux/abi/passage.h>

struct co_vm;

/* Allocate and initialise the pages; fills vm->passage_pfn/shared/host_state. */
int co_passage_create(struct co_vm *vm);
void co_passage_destroy(struct co_vm *vm);
/* Back to the state after create (guest reset). */
void co_passage_reset(struct co_vm *vm);

/*
 * Where the passage is, for CPU back-ends (docs/passage.md). Host virtual
 * addresses are the monitor's own mappings of the pages (co_host_map):
 * the host calls to_guest_hva with interrupts off and no arguments; the
 * guest calls to_host_gva (CO_PASSAGE_CODE_VA, offset 0).
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
/* -CO_ESTATE unless the passage is installed. */
int co_passage_info(const struct co_vm *vm, struct co_passage_info *pi);

/* The arch part (monitor/arch/x86_64/transit.c). */
int co_arch_passage_install(struct co_vm *vm);
void co_arch_passage_remove(struct co_vm *vm);
size_t co_passage_code_size(void);

#endif
