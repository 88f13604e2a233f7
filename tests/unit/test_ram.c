// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: both allocation modes, bytes landing in the right host frame,
 * bounds checks that cannot be wrapped around, and allocation failures.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/ram.h"
#include <sim/sim.h>

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static uint8_t *host_byte(const struct co_ram *ram, uint64_t gpa)
{
	uint64_t off = gpa - ram->base;
	uint8_t *p = co_sim_phys_ptr((ram->pfn[off >> 12] << 12) | (off & 0xfff));

	assert_non_null(p);
	return p;
}

static void sizes_checked(void **state)
{
	struct co_ram ram;

	assert_int_equal(co_ram_init(&ram, 0, false), -CO_EINVAL);
	assert_int_equal(co_ram_init(&ram, 1 * MiB, false), -CO_EINVAL);
	assert_int_equal(co_ram_init(&ram, 17 * MiB, true), -CO_EINVAL);
	assert_int_equal(co_ram_init(&ram, 16 * MiB + 4096, false), -CO_EINVAL);
	assert_null(ram.pfn);
	assert_int_equal(co_sim_pages_in_use(), 0);
}

static void paged_layout(void **state)
{
	struct co_ram ram;
	uint64_t i, hpa, shuffled = 0;

	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	assert_int_equal(ram.base, 0);
	assert_int_equal(ram.size, 16 * MiB);
	assert_int_equal(ram.npages, 4096);
	assert_false(ram.contiguous);
	assert_int_equal(co_sim_pages_in_use(), 4096);
	for (i = 0; i < ram.npages; i++) {
		assert_true(co_sim_page_allocated(ram.pfn[i]));
		assert_int_equal(co_ram_gpa_to_hpa(&ram, i * 4096 + 123, &hpa), 0);
		assert_int_equal(hpa, (ram.pfn[i] << 12) + 123);
		if (i && ram.pfn[i] != ram.pfn[i - 1] + 1)
			shuffled++;
	}
	/* The sim host shuffles frames: paged mode must cope with that. */
	assert_true(shuffled > 0);
	co_ram_free(&ram);
	assert_int_equal(co_sim_pages_in_use(), 0);
	assert_null(ram.pfn);
	co_ram_free(&ram);	/* twice is harmless */
}

static void contiguous_layout(void **state)
{
	struct co_ram ram;
	uint64_t i, hpa;

	assert_int_equal(co_ram_init(&ram, 32 * MiB, true), 0);
	assert_true(ram.contiguous);
	assert_int_equal(ram.base % (2 * MiB), 0);
	assert_int_equal(ram.base, ram.pfn[0] << 12);
	for (i = 0; i < ram.npages; i++)
		assert_int_equal(ram.pfn[i], ram.pfn[0] + i);
	for (i = 0; i < ram.size; i += 0x12345) {
		assert_int_equal(co_ram_gpa_to_hpa(&ram, ram.base + i, &hpa), 0);
		assert_int_equal(hpa, ram.base + i);	/* gpa == hpa */
	}
	assert_int_equal(co_ram_gpa_to_hpa(&ram, 0, &hpa), -CO_EFAULT);
	assert_false(co_ram_contains(&ram, ram.base - 1, 1));
	co_ram_free(&ram);
}

/* >= 1 GiB asks for a 1 GiB-aligned window first, then settles for 2 MiB. */
static void contiguous_gib_alignment_and_fallback(void **state)
{
	struct co_ram ram;

	co_sim_fault_reset();
	assert_int_equal(co_ram_init(&ram, 1 * GiB, true), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_PAGE_ALLOC), 1);
	assert_int_equal(ram.base % GiB, 0);
	co_ram_free(&ram);

	co_sim_fault_reset();
	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, CO_ENOMEM);
	assert_int_equal(co_ram_init(&ram, 1 * GiB, true), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_PAGE_ALLOC), 2);
	assert_int_equal(ram.base % (2 * MiB), 0);
	assert_int_equal(ram.npages, GiB / 4096);
	co_ram_free(&ram);

	/* Both fail: nothing left behind. */
	co_sim_fault_reset();
	co_sim_fault_fail_range(CO_SIM_FAULT_PAGE_ALLOC, 1, 2, CO_ENOMEM);
	assert_int_equal(co_ram_init(&ram, 1 * GiB, true), -CO_ENOMEM);
	assert_null(ram.pfn);
}

static void allocation_failures(void **state)
{
	struct co_ram ram;
	bool contiguous;

	for (int m = 0; m < 2; m++) {
		contiguous = m;
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
		assert_int_equal(co_ram_init(&ram, 16 * MiB, contiguous),
				 -CO_ENOMEM);
		assert_int_equal(co_sim_heap_in_use(), 0);
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, 0);
		assert_int_equal(co_ram_init(&ram, 16 * MiB, contiguous),
				 -CO_ENOMEM);
		assert_int_equal(co_sim_heap_in_use(), 0);
		assert_int_equal(co_sim_pages_in_use(), 0);
	}
	co_sim_fault_reset();
}

static void bytes_land_in_the_right_frames(void **state)
{
	uint64_t seed = co_test_seed("ram_bytes"), r = seed;
	struct co_ram ram;
	uint8_t buf[20000], back[20000];

	for (int m = 0; m < 2; m++) {
		assert_int_equal(co_ram_init(&ram, 16 * MiB, m), 0);
		for (int iter = 0; iter < 200; iter++) {
			size_t len = co_test_rand(&r) % sizeof(buf);
			uint64_t gpa = ram.base + co_test_rand(&r) % (ram.size - len);

			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)co_test_rand(&r);
			assert_int_equal(co_ram_write(&ram, gpa, buf, len), 0);
			for (size_t i = 0; i < len; i += 511)
				assert_int_equal(*host_byte(&ram, gpa + i), buf[i]);
			if (len)
				assert_int_equal(*host_byte(&ram, gpa + len - 1),
						 buf[len - 1]);
			assert_int_equal(co_ram_read(&ram, gpa, back, len), 0);
			assert_memory_equal(back, buf, len);
		}
		/* clear, fill, clear. */
		co_ram_clear(&ram);
		assert_int_equal(co_ram_fill(&ram, ram.base + 4000, 0x5a, 9000), 0);
		assert_int_equal(*host_byte(&ram, ram.base + 3999), 0);
		assert_int_equal(*host_byte(&ram, ram.base + 13000), 0);
		assert_int_equal(*host_byte(&ram, ram.base + 4000), 0x5a);
		assert_int_equal(*host_byte(&ram, ram.base + 12999), 0x5a);
		co_ram_clear(&ram);
		for (uint64_t g = 0; g < ram.size; g += 4093)
			assert_int_equal(*host_byte(&ram, ram.base + g), 0);
		assert_int_equal(*host_byte(&ram, ram.base + 4000), 0);
		co_ram_free(&ram);
	}
}

static void bounds_cannot_wrap(void **state)
{
	struct co_ram ram;
	uint8_t buf[64];
	uint64_t end;

	for (int m = 0; m < 2; m++) {
		assert_int_equal(co_ram_init(&ram, 16 * MiB, m), 0);
		end = ram.base + ram.size;
		assert_true(co_ram_contains(&ram, ram.base, ram.size));
		assert_true(co_ram_contains(&ram, end - 1, 1));
		assert_true(co_ram_contains(&ram, end, 0));
		assert_false(co_ram_contains(&ram, end, 1));
		assert_false(co_ram_contains(&ram, end - 1, 2));
		assert_false(co_ram_contains(&ram, ram.base, ram.size + 1));
		assert_false(co_ram_contains(&ram, UINT64_MAX, 2));
		assert_false(co_ram_contains(&ram, ram.base + 8, UINT64_MAX));
		assert_false(co_ram_contains(&ram, ram.base + 8, UINT64_MAX - 7));
		assert_false(co_ram_contains(&ram, UINT64_MAX - 3, 8));

		/* A straddling access copies nothing. */
		memset(buf, 0x77, sizeof(buf));
		assert_int_equal(co_ram_write(&ram, end - 32, buf, 64), -CO_EFAULT);
		assert_int_equal(*host_byte(&ram, end - 32), 0);
		memset(buf, 0x11, sizeof(buf));
		assert_int_equal(co_ram_read(&ram, end - 32, buf, 64), -CO_EFAULT);
		assert_int_equal(buf[0], 0x11);
		assert_int_equal(co_ram_fill(&ram, UINT64_MAX - 3, 1, 8), -CO_EFAULT);
		assert_int_equal(co_ram_read(&ram, ram.base + 100, buf,
					     SIZE_MAX - 50), -CO_EFAULT);
		assert_int_equal(co_ram_read(&ram, end, buf, 0), 0);
		co_ram_free(&ram);
	}
}

static void map_stops_at_page_end(void **state)
{
	struct co_ram ram;
	size_t avail;
	uint8_t *p;

	for (int m = 0; m < 2; m++) {
		assert_int_equal(co_ram_init(&ram, 16 * MiB, m), 0);
		p = co_ram_map(&ram, ram.base + 0x5ff0, 100, &avail);
		assert_non_null(p);
		assert_int_equal(avail, 16);
		assert_ptr_equal(p, host_byte(&ram, ram.base + 0x5ff0));
		p[15] = 0xab;
		co_ram_unmap(&ram, p, ram.base + 0x5ff0);
		assert_int_equal(*host_byte(&ram, ram.base + 0x5fff), 0xab);

		p = co_ram_map(&ram, ram.base + 0x7000, 5, &avail);
		assert_int_equal(avail, 5);
		co_ram_unmap(&ram, p, ram.base + 0x7000);
		p = co_ram_map(&ram, ram.base + 0x7000, 1 << 20, &avail);
		assert_int_equal(avail, 4096);
		co_ram_unmap(&ram, p, ram.base + 0x7000);

		avail = 99;
		assert_null(co_ram_map(&ram, ram.base + ram.size, 1, &avail));
		assert_int_equal(avail, 0);
		assert_null(co_ram_map(&ram, UINT64_MAX, 1, &avail));
		co_ram_free(&ram);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sizes_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(paged_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(contiguous_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(contiguous_gib_alignment_and_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(bytes_land_in_the_right_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(bounds_cannot_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(map_stops_at_page_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
