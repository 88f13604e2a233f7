// SPDX-License-Identifier: GPL-2.0
/*
 * Installing the switch: the code page holds the blob and the data block,
 * the transit space maps exactly the passage pages at the addresses the
 * switch uses, and failures unwind without leaks.
 */
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"
#include "internal/vm.h"
#include "arch/x86_64/switch.h"
#include "internal/passage.h"
#include "internal/pgtable.h"

static int phys_read(void *ctx, uint64_t hpa, uint64_t *entry)
{
	const void *p = co_sim_phys_ptr(hpa);

	(void)ctx;
	if (!p)
		return -CO_EFAULT;
	memcpy(entry, p, sizeof(*entry));
	return 0;
}

static void expect_map(uint64_t cr3, uint64_t va, uint64_t pfn)
{
	struct co_pt_walk w;

	assert_int_equal(co_pt_walk(phys_read, NULL, cr3, va, &w), 0);
	assert_int_equal(w.hpa, pfn * CO_PAGE_SIZE + (va & 0xfff));
	assert_int_equal(w.page_size, CO_PAGE_SIZE);
	/* Read-only, supervisor, executable: nothing else is needed. */
	assert_int_equal(w.flags & (CO_PTE_W | CO_PTE_U | CO_PTE_NX), 0);
}

static uint64_t u64_at(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void test_layout(void **state)
{
	struct co_vm *vm = calloc(1, sizeof(*vm));
	struct co_passage_info pi;
	struct co_pt_walk w;
	const uint8_t *code;
	size_t size = co_passage_code_size();

	(void)state;
	assert_non_null(vm);
	assert_int_equal(co_passage_info(vm, &pi), -CO_ESTATE);
	assert_int_equal(co_passage_create(vm), 0);
	assert_int_equal(co_passage_info(vm, &pi), 0);
	assert_true(size > 0 && size <= CO_PD_OFFSET);
	print_message("switch code: %zu bytes\n", size);

	/* The guest->host entry is at offset 0: part of the ABI. */
	assert_int_equal(pi.to_host_gva, CO_PASSAGE_CODE_VA);
	assert_int_equal(pi.to_guest_hva - pi.code_hva,
			 co_passage_to_guest - co_passage_code_start);
	assert_int_equal(pi.shared_hva, (uintptr_t)vm->shared);
	assert_int_equal(pi.state_hva, (uintptr_t)vm->host_state);

	code = (const uint8_t *)(uintptr_t)pi.code_hva;
	assert_memory_equal(code, co_passage_code_start, size);
	for (size_t i = size; i < CO_PD_OFFSET; i++)
		assert_int_equal(code[i], 0);
	assert_int_equal(u64_at(code, CO_PD_TRANSIT_CR3), pi.transit_cr3);
	assert_int_equal(u64_at(code, CO_PD_HOST_CODE_VA), pi.code_hva);
	assert_int_equal(u64_at(code, CO_PD_HOST_STATE_VA), pi.state_hva);
	assert_int_equal(u64_at(code, CO_PD_GUEST_CODE_VA), CO_PASSAGE_CODE_VA);
	assert_int_equal(u64_at(code, CO_PD_MAGIC), CO_PD_MAGIC_VALUE);

	/* Transit: the code page twice, shared and host state after it. */
	assert_int_equal(pi.transit_cr3 & 0xfff, 0);
	expect_map(pi.transit_cr3, pi.code_hva + 0x123, pi.pfn[0]);
	expect_map(pi.transit_cr3, CO_PASSAGE_CODE_VA, pi.pfn[0]);
	expect_map(pi.transit_cr3, CO_PASSAGE_SHARED_VA + 8, pi.pfn[1]);
	expect_map(pi.transit_cr3, CO_PASSAGE_CODE_VA + 2 * CO_PAGE_SIZE,
		   pi.pfn[2]);
	/* ... and nothing else: not the neighbours, not the host's stack. */
	assert_int_equal(co_pt_walk(phys_read, NULL, pi.transit_cr3,
				    CO_PASSAGE_CODE_VA + 3 * CO_PAGE_SIZE, &w),
			 -CO_ENOENT);
	assert_int_equal(co_pt_walk(phys_read, NULL, pi.transit_cr3,
				    pi.code_hva + CO_PAGE_SIZE, &w),
			 -CO_ENOENT);
	assert_int_equal(co_pt_walk(phys_read, NULL, pi.transit_cr3,
				    (uintptr_t)&w, &w), -CO_ENOENT);

	/* A reset keeps the code page and the transit space. */
	co_passage_reset(vm);
	assert_memory_equal(code, co_passage_code_start, size);
	assert_int_equal(co_passage_info(vm, &pi), 0);

	co_passage_destroy(vm);
	assert_int_equal(co_passage_info(vm, &pi), -CO_ESTATE);
	free(vm);
}

/* Every allocation the passage makes can fail; nothing leaks. */
static void test_alloc_failures(void **state)
{
	struct co_vm *vm = calloc(1, sizeof(*vm));
	unsigned long n;

	(void)state;
	assert_non_null(vm);
	for (n = 1; n <= 2; n++) {
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, n, 0);
		assert_int_equal(co_passage_create(vm), -CO_ENOMEM);
		assert_int_equal(vm->passage_pfn[0], 0);
		assert_null(vm->shared);
		assert_int_equal(co_sim_pages_in_use(), 0);
	}
	co_sim_fault_reset();
	assert_int_equal(co_passage_create(vm), 0);
	/* Two allocations: the three pages and the transit tables. */
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_PAGE_ALLOC), 2);
	co_passage_destroy(vm);
	/* Destroying twice is harmless. */
	co_passage_destroy(vm);
	free(vm);
}

/* The back-end unwinds too when its own allocation fails. */
static void test_backend_alloc_failure(void **state)
{
	struct co_vm *vm = calloc(1, sizeof(*vm));
	struct co_passage_info pi;
	struct co_uc *u = (struct co_uc *)1;

	(void)state;
	assert_non_null(vm);
	assert_int_equal(co_passage_create(vm), 0);
	assert_int_equal(co_passage_info(vm, &pi), 0);
	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, 0);
	assert_int_equal(co_uc_create(&pi, &u), -CO_ENOMEM);
	assert_null(u);
	co_sim_fault_reset();
	co_passage_destroy(vm);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, tg_setup,
						tg_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures, tg_setup,
						tg_teardown),
		cmocka_unit_test_setup_teardown(test_backend_alloc_failure,
						tg_setup, tg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
