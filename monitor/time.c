// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's time record (co_passage_shared.time, docs/protocol.md
 * "Time"): where the host's clock is the TSC, its parameters once, so a
 * guest reads the time with rdtsc and no switch; where it is not, the
 * host's time at each entry. The version the host writes is its own
 * counter, never read back from the guest-writable page.
 */
#include <colinux/lib.h>
#include "internal/vm.h"

static void record_write(struct co_vm *vm, uint64_t tsc_timestamp,
			 uint64_t system_time, uint32_t mul, int8_t shift,
			 uint8_t flags)
{
	struct co_time_record *t = &vm->shared->time;

	/* Odd while it changes: a reader that sees it retries. */
	CO_WRITE_ONCE(t->version, ++vm->time_version);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	CO_WRITE_ONCE(t->tsc_timestamp, tsc_timestamp);
	CO_WRITE_ONCE(t->system_time, system_time);
	CO_WRITE_ONCE(t->tsc_to_system_mul, mul);
	CO_WRITE_ONCE(t->tsc_shift, shift);
	CO_WRITE_ONCE(t->flags, flags);
	CO_WRITE_ONCE(t->pad0, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	CO_WRITE_ONCE(t->version, ++vm->time_version);
}

void co_time_record_init(struct co_vm *vm)
{
	uint64_t tsc0;
	uint32_t mult;
	int8_t shift;

	vm->time_version = 0;
	co_memset(&vm->shared->time, 0, sizeof(vm->shared->time));
	vm->time_linear = !co_host_clock_tsc(&tsc0, &mult, &shift) && mult;
	if (vm->time_linear)
		record_write(vm, tsc0, 0, mult, shift, CO_TIME_TSC_STABLE);
	else
		co_time_record_entry(vm);
}

void co_time_record_entry(struct co_vm *vm)
{
	if (vm->time_linear)
		return;
	record_write(vm, 0, co_host_monotonic_ns(), 0, 0, CO_TIME_ENTRY_ONLY);
}
