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
#include <colinux/cpu.h>

struct co_vm;

/* Allocate and initialise the pages; fills vm->passage_pfn/shared/host_state. */
int co_passage_create(struct co_vm *vm);
void co_passage_destroy(struct co_vm *vm);
/* Back to the state after create (guest reset). */
void co_passage_reset(struct co_vm *vm);
/* After each switch back: the rules the guest must keep (XCR0). [vm] */
void co_passage_check_exit(struct co_vm *vm);

/* co_passage_info and co_passage_set_xsave: <colinux/cpu.h>. */

/* The arch part (monitor/arch/x86_64/transit.c). */
int co_arch_passage_install(struct co_vm *vm);
void co_arch_passage_remove(struct co_vm *vm);
size_t co_passage_code_size(void);

#endif
