// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table builder and walker: for random layouts, the walker must agree
 * with what was asked for on every mapped page (and find nothing
 * elsewhere); 2 MiB pages wherever they fit; pool limits and conflicts.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/pgtable.h"
#include <sim/sim.h>

#define KiB	1024ULL
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define LEAF	(CO_PTE_P | CO_PTE_A | CO_PTE_D)

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

struct rec {
	uint64_t va, hpa, size, flags;
};

static int walk(const struct co_ram *ram, const struct co_pt *pt, uint64_t va,
		struct co_pt_walk *w)
{
	return co_pt_walk(co_pt_read_ram, (void *)ram, pt->root_hpa, va, w);
}

/* Every page of @r must translate as co_pt_map promises. */
static void check_rec(const struct co_ram *ram, const struct co_pt *pt,
		      const struct rec *r, uint64_t *big)
{
	struct co_pt_walk w;
	uint64_t pos = 0, chunk, off;

	while (pos < r->size) {
		chunk = 4 * KiB;
		if (!((r->va + pos) & (2 * MiB - 1)) &&
		    !((r->hpa + pos) & (2 * MiB - 1)) && r->size - pos >= 2 * MiB)
			chunk = 2 * MiB;
		for (off = 0; off < chunk; off += 4 * KiB) {
			uint64_t va = r->va + pos + off;

			assert_int_equal(walk(ram, pt, va + 0x7b8, &w), 0);
			if (w.hpa != r->hpa + pos + off + 0x7b8)
				fail_msg("va 0x%llx -> 0x%llx, want 0x%llx",
					 (unsigned long long)va,
					 (unsigned long long)w.hpa,
					 (unsigned long long)(r->hpa + pos + off));
			assert_int_equal(w.page_size, chunk);
			assert_int_equal(w.level, chunk == 4 * KiB ? 1 : 2);
			assert_int_equal(w.flags, LEAF | r->flags);
		}
		if (chunk == 2 * MiB)
			(*big)++;
		pos += chunk;
	}
}

static bool overlaps(const struct rec *recs, unsigned int n, uint64_t va,
		     uint64_t size)
{
	for (unsigned int i = 0; i < n; i++)
		if (va < recs[i].va + recs[i].size && recs[i].va < va + size)
			return true;
	return false;
}

static uint64_t rand_va(uint64_t *r)
{
	uint64_t va = co_test_rand(r) & 0x00007fffffe00000ULL;

	/* A few clustered areas, so tables get shared; both halves. */
	switch (co_test_rand(r) % 4) {
	case 0: va = va % (64 * MiB); break;
	case 1: va = 0xffffffff80000000ULL + va % (256 * MiB); break;
	case 2: va = 0xffff880000000000ULL + va % (4 * GiB); break;
	default: break;
	}
	if (co_test_rand(r) % 2)
		va += (co_test_rand(r) % 512) * 4 * KiB;
	return va;
}

static void random_layouts_walk_back(void **state)
{
	uint64_t seed = co_test_seed("pgtable_random"), r = seed;
	const uint64_t all_flags[] = { 0, CO_PTE_W, CO_PTE_U, CO_PTE_W | CO_PTE_U,
		CO_PTE_NX, CO_PTE_W | CO_PTE_NX, CO_PTE_G | CO_PTE_W };
	struct rec recs[48];
	struct co_ram ram;
	struct co_pt pt;
	uint64_t needed, big = 0, pool = 3072;
	unsigned int layout, n, i;

	assert_int_equal(co_ram_init(&ram, 32 * MiB, false), 0);
	for (layout = 0; layout < 6; layout++) {
		co_ram_clear(&ram);
		assert_int_equal(co_pt_init(&pt, &ram, 16 * MiB, pool), 0);
		needed = 0;
		for (n = 0; n < CO_ARRAY_SIZE(recs);) {
			struct rec *c = &recs[n];

			c->size = (1 + co_test_rand(&r) % 2048) * 4 * KiB;
			if (co_test_rand(&r) % 3 == 0)
				c->size = (1 + co_test_rand(&r) % 4) * 2 * MiB;
			c->va = rand_va(&r);
			c->hpa = (co_test_rand(&r) % (1ULL << 28)) << 12;
			if (co_test_rand(&r) % 2) {
				c->va &= ~(2 * MiB - 1);
				c->hpa &= ~(2 * MiB - 1);
			}
			c->flags = all_flags[co_test_rand(&r) %
					     CO_ARRAY_SIZE(all_flags)];
			if (overlaps(recs, n, c->va, c->size) ||
			    (c->va >> 47) != ((c->va + c->size - 1) >> 47))
				continue;
			assert_int_equal(co_pt_map(&pt, c->va, c->hpa, c->size,
						   c->flags), 0);
			needed += co_pt_pages_needed(c->size);
			n++;
		}
		assert_true(pt.used <= needed);
		for (i = 0; i < n; i++)
			check_rec(&ram, &pt, &recs[i], &big);
		/* Addresses nobody mapped are not present. */
		for (i = 0; i < 3000; i++) {
			uint64_t va = rand_va(&r) + (co_test_rand(&r) % 4096) * 4096;
			struct co_pt_walk w;

			if ((va >> 47) && (va >> 47) != 0x1ffff)
				continue;
			if (overlaps(recs, n, va & ~0xfffULL, 4096))
				continue;
			assert_int_equal(walk(&ram, &pt, va, &w), -CO_ENOENT);
		}
		/* The tables live in the pool, as host frames of guest RAM. */
		assert_int_equal(pt.root_gpa, 16 * MiB);
	}
	assert_true(big > 0);
	print_message("seed %llu: %llu 2 MiB pages checked\n",
		      (unsigned long long)seed, (unsigned long long)big);
	co_ram_free(&ram);
}

/* pages_needed is a true worst case for single mappings anywhere. */
static void pages_needed_is_enough(void **state)
{
	uint64_t seed = co_test_seed("pgtable_needed"), r = seed;
	struct co_ram ram;
	struct co_pt pt;

	assert_int_equal(co_pt_pages_needed(0), 1);
	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	for (int i = 0; i < 200; i++) {
		uint64_t size = (1 + co_test_rand(&r) % 3000) * 4 * KiB;
		uint64_t va = (co_test_rand(&r) & 0x7ffffffff000ULL);
		uint64_t need = co_pt_pages_needed(size);

		if ((va + size - 1) >> 47)
			continue;
		/* An odd hpa forces 4 KiB pages: the most tables. */
		assert_int_equal(co_pt_init(&pt, &ram, 8 * MiB, need), 0);
		assert_int_equal(co_pt_map(&pt, va, 0x1000, size, 0), 0);
		assert_true(pt.used <= need);
	}
	/* Straddling every boundary at once uses every page of the bound. */
	assert_int_equal(co_pt_init(&pt, &ram, 8 * MiB, 64), 0);
	assert_int_equal(co_pt_map(&pt, (1ULL << 39) - 4096, 0x1000, 8192, 0), 0);
	assert_int_equal(pt.used, co_pt_pages_needed(8192));
	co_ram_free(&ram);
}

static void pool_exhaustion(void **state)
{
	struct co_ram ram;
	struct co_pt pt;
	struct co_pt_walk w;

	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 1), 0);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0x5000, 4096, 0), -CO_ENOMEM);
	assert_int_equal(pt.used, 1);

	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 4), 0);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0x5000, 4096, CO_PTE_W), 0);
	assert_int_equal(pt.used, 4);
	/* Same 2 MiB region: no new table needed. */
	assert_int_equal(co_pt_map(&pt, 0x2000, 0x9000, 4096, 0), 0);
	/* Another 1 GiB region needs a directory and a table. */
	assert_int_equal(co_pt_map(&pt, 0x40000000, 0x9000, 4096, 0),
			 -CO_ENOMEM);
	assert_int_equal(pt.used, 4);
	/* What was there still works. */
	assert_int_equal(walk(&ram, &pt, 0x1000, &w), 0);
	assert_int_equal(w.hpa, 0x5000);
	assert_int_equal(walk(&ram, &pt, 0x2000, &w), 0);
	assert_int_equal(w.hpa, 0x9000);

	/* Tables taken from a dirty pool are zeroed first. */
	assert_int_equal(co_ram_fill(&ram, 4 * MiB, 0xff, 64 * KiB), 0);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 16), 0);
	assert_int_equal(co_pt_map(&pt, 0x200000, 0x200000, 4096, 0), 0);
	assert_int_equal(walk(&ram, &pt, 0x201000, &w), -CO_ENOENT);
	assert_int_equal(walk(&ram, &pt, 0x40000000, &w), -CO_ENOENT);
	co_ram_free(&ram);
}

static void conflicting_remaps(void **state)
{
	struct co_ram ram;
	struct co_pt pt;
	struct co_pt_walk w;

	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 64), 0);

	assert_int_equal(co_pt_map(&pt, 0x10000, 0x80000, 0x3000, CO_PTE_W), 0);
	/* The very same again is fine, anything else is not. */
	assert_int_equal(co_pt_map(&pt, 0x10000, 0x80000, 0x3000, CO_PTE_W), 0);
	assert_int_equal(co_pt_map(&pt, 0x11000, 0x90000, 0x1000, CO_PTE_W),
			 -CO_EBUSY);
	assert_int_equal(co_pt_map(&pt, 0x11000, 0x81000, 0x1000, 0), -CO_EBUSY);
	assert_int_equal(walk(&ram, &pt, 0x11000, &w), 0);
	assert_int_equal(w.hpa, 0x81000);
	assert_true(w.flags & CO_PTE_W);

	/* A 2 MiB page, then 4 KiB pages inside it. */
	assert_int_equal(co_pt_map(&pt, 0x40000000, 0x600000, 2 * MiB, 0), 0);
	assert_int_equal(walk(&ram, &pt, 0x40000000, &w), 0);
	assert_int_equal(w.page_size, 2 * MiB);
	assert_int_equal(co_pt_map(&pt, 0x40005000, 0x605000, 0x2000, 0), 0);
	assert_int_equal(co_pt_map(&pt, 0x40005000, 0x606000, 0x1000, 0),
			 -CO_EBUSY);
	assert_int_equal(co_pt_map(&pt, 0x40005000, 0x605000, 0x1000,
				   CO_PTE_W), -CO_EBUSY);
	assert_int_equal(co_pt_map(&pt, 0x40000000, 0x800000, 2 * MiB, 0),
			 -CO_EBUSY);

	/* A 2 MiB mapping over a table: fills it, if nothing clashes. */
	assert_int_equal(co_pt_map(&pt, 0x80000000 + 0x3000, 0xa03000, 0x1000, 0), 0);
	assert_int_equal(co_pt_map(&pt, 0x80000000, 0xa00000, 2 * MiB, 0), 0);
	for (uint64_t off = 0; off < 2 * MiB; off += 4096) {
		assert_int_equal(walk(&ram, &pt, 0x80000000 + off, &w), 0);
		assert_int_equal(w.hpa, 0xa00000 + off);
		assert_int_equal(w.page_size, 4096);
	}
	assert_int_equal(co_pt_map(&pt, 0xc0000000 + 0x3000, 0xa04000, 0x1000, 0), 0);
	assert_int_equal(co_pt_map(&pt, 0xc0000000, 0xa00000, 2 * MiB, 0),
			 -CO_EBUSY);
	co_ram_free(&ram);
}

static void bad_arguments(void **state)
{
	struct co_ram ram;
	struct co_pt pt;

	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB + 8, 4), -CO_EINVAL);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 0), -CO_EINVAL);
	assert_int_equal(co_pt_init(&pt, &ram, 16 * MiB - 4096, 2), -CO_EINVAL);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, UINT64_MAX / 2048),
			 -CO_EINVAL);
	assert_int_equal(co_pt_init(&pt, &ram, 4 * MiB, 64), 0);

	assert_int_equal(co_pt_map(&pt, 0x1001, 0x1000, 4096, 0), -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0x1010, 4096, 0), -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0x1000, 100, 0), -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0x1000, 4096, CO_PTE_PS),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x0000800000000000ULL, 0, 4096, 0),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x00007ffffffff000ULL, 0, 8192, 0),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0xfffffffffffff000ULL, 0, 8192, 0),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0x1000, 0xffffffffff000ULL, 8192, 0),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map(&pt, 0xfffffffffffff000ULL, 0x3000, 4096, 0), 0);
	assert_int_equal(co_pt_map(&pt, 0x5000, 0x3000, 0, 0), 0);
	assert_int_equal(co_pt_map_gpa(&pt, 0x1000, 16 * MiB - 4096, 8192, 0),
			 -CO_EINVAL);
	assert_int_equal(co_pt_map_gpa(&pt, 0x1000, 0x800, 4096, 0), -CO_EINVAL);
	assert_int_equal(pt.used, 4);	/* the valid one at the very top */
	co_ram_free(&ram);
}

/* Map all RAM at its guest-physical address and check each page. */
static uint64_t identity_check(const struct co_ram *ram, struct co_pt *pt)
{
	struct co_pt_walk w;
	uint64_t gpa, hpa, big = 0;

	for (gpa = ram->base; gpa < ram->base + ram->size; gpa += 4096) {
		assert_int_equal(walk(ram, pt, gpa + 8, &w), 0);
		assert_int_equal(co_ram_gpa_to_hpa(ram, gpa + 8, &hpa), 0);
		assert_int_equal(w.hpa, hpa);
		assert_int_equal(w.flags, LEAF | CO_PTE_W);
		if (w.page_size == 2 * MiB)
			big++;
	}
	return big;
}

static void map_gpa_paged_finds_runs(void **state)
{
	struct co_ram ram;
	struct co_pt pt;
	uint64_t first, saved[512], i, big;

	assert_int_equal(co_ram_init(&ram, 16 * MiB, false), 0);
	/* Make guest pages [1024, 1536) one aligned host run. */
	assert_int_equal(co_host_pages_alloc_contig(512, 512, &first), 0);
	memcpy(saved, &ram.pfn[1024], sizeof(saved));
	for (i = 0; i < 512; i++)
		ram.pfn[1024 + i] = first + i;
	/* And [2048, 2560) a run that is not aligned. */
	uint64_t first2, saved2[512];

	assert_int_equal(co_host_pages_alloc_contig(1024, 512, &first2), 0);
	memcpy(saved2, &ram.pfn[2048], sizeof(saved2));
	for (i = 0; i < 512; i++)
		ram.pfn[2048 + i] = first2 + 1 + i;

	assert_int_equal(co_pt_init(&pt, &ram, 12 * MiB, 64), 0);
	assert_int_equal(co_pt_map_gpa(&pt, 0, 0, ram.size, CO_PTE_W), 0);
	big = identity_check(&ram, &pt);
	assert_int_equal(big, 512);	/* exactly the aligned run */
	assert_true(pt.used <= co_pt_pages_needed(ram.size));

	/* At a va that is not 2 MiB aligned the run gets 4 KiB pages. */
	assert_int_equal(co_pt_init(&pt, &ram, 12 * MiB, 64), 0);
	assert_int_equal(co_pt_map_gpa(&pt, 0x1000, 4 * MiB, 2 * MiB, 0), 0);
	{
		struct co_pt_walk w;

		assert_int_equal(walk(&ram, &pt, 0x1000, &w), 0);
		assert_int_equal(w.page_size, 4096);
		assert_int_equal(w.hpa, first << 12);
	}

	memcpy(&ram.pfn[1024], saved, sizeof(saved));
	memcpy(&ram.pfn[2048], saved2, sizeof(saved2));
	co_host_pages_free_contig(first, 512);
	co_host_pages_free_contig(first2, 1024);
	co_ram_free(&ram);
}

static void map_gpa_contiguous_uses_2m(void **state)
{
	struct co_ram ram;
	struct co_pt pt;

	assert_int_equal(co_ram_init(&ram, 64 * MiB, true), 0);
	assert_int_equal(co_pt_init(&pt, &ram, ram.base + 60 * MiB, 64), 0);
	assert_int_equal(co_pt_map_gpa(&pt, ram.base, ram.base, ram.size,
				       CO_PTE_W), 0);
	assert_int_equal(identity_check(&ram, &pt), ram.npages);
	/* One PML4, one PDPT, one or two directories: no page tables. */
	assert_true(pt.used <= 4);
	co_ram_free(&ram);
}

/* Hand-made tables in a fake memory, for what the builder never makes. */
static uint64_t fake[8][512];

static int fake_read(void *ctx, uint64_t hpa, uint64_t *e)
{
	uint64_t page = hpa >> 12;

	if (page < 1 || page > 8 || (hpa & 7))
		return -CO_EFAULT;
	*e = fake[page - 1][(hpa & 0xfff) / 8];
	return 0;
}

static void walker_edge_cases(void **state)
{
	struct co_pt_walk w;
	const uint64_t T = CO_PTE_P | CO_PTE_W | CO_PTE_U;

	memset(fake, 0, sizeof(fake));
	fake[0][0] = 0x2000 | T;		/* PML4[0] -> PDPT at 0x2000 */
	fake[1][1] = 0x40000000 | CO_PTE_P | CO_PTE_W | CO_PTE_PS;	/* 1 GiB */
	fake[1][2] = 0x3000 | CO_PTE_P | CO_PTE_NX;	/* PD, read-only, NX */
	fake[2][0] = 0x200000 | T | CO_PTE_PS | CO_PTE_G;
	fake[2][1] = 0x400000 | T | CO_PTE_PS | 0x1000;	/* PAT bit: allowed */
	fake[2][2] = 0x600000 | T | CO_PTE_PS | 0x2000;	/* reserved bit */
	fake[1][3] = 0xc0000000 | T | CO_PTE_PS | 0x200000;	/* reserved */
	fake[0][1] = 0x4000 | T | CO_PTE_PS;	/* PS in a PML4E */
	fake[0][2] = 0x9000 | T;		/* outside the fake memory */

	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0x40012345, &w), 0);
	assert_int_equal(w.hpa, 0x40012345);
	assert_int_equal(w.page_size, GiB);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.flags, CO_PTE_P | CO_PTE_W);

	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0x80012345, &w), 0);
	assert_int_equal(w.hpa, 0x212345);
	assert_int_equal(w.page_size, 2 * MiB);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.flags, CO_PTE_P | CO_PTE_NX | CO_PTE_G);

	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0x80200010, &w), 0);
	assert_int_equal(w.hpa, 0x400010);

	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0x80400000, &w),
			 -CO_EINVAL);
	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0xc0000000, &w),
			 -CO_EINVAL);
	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 1ULL << 39, &w),
			 -CO_EINVAL);
	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 2ULL << 39, &w),
			 -CO_EFAULT);
	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000, 0x100000000ULL, &w),
			 -CO_ENOENT);
	assert_int_equal(co_pt_walk(fake_read, NULL, 0x1000,
				    0x0000800000000000ULL, &w), -CO_EINVAL);
}

/* The RAM reader refuses frames that are not guest RAM. */
static void ram_reader_bounds(void **state)
{
	struct co_ram ram, other;
	uint64_t e;

	for (int m = 0; m < 2; m++) {
		assert_int_equal(co_ram_init(&ram, 16 * MiB, m), 0);
		assert_int_equal(co_ram_init(&other, 16 * MiB, m), 0);
		assert_int_equal(co_ram_write(&ram, ram.base + 0x3008,
					      &(uint64_t){ 0x1234567 }, 8), 0);
		assert_int_equal(co_pt_read_ram(&ram, (ram.pfn[3] << 12) + 8, &e), 0);
		assert_int_equal(e, 0x1234567);
		assert_int_equal(co_pt_read_ram(&ram, (ram.pfn[3] << 12) + 4, &e),
				 -CO_EINVAL);
		assert_int_equal(co_pt_read_ram(&ram, other.pfn[5] << 12, &e),
				 -CO_EFAULT);
		assert_int_equal(co_pt_read_ram(&ram, 0, &e), -CO_EFAULT);
		assert_int_equal(co_pt_read_ram(&ram, 1ULL << 51, &e), -CO_EFAULT);
		co_ram_free(&other);
		co_ram_free(&ram);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(random_layouts_walk_back, setup, teardown),
		cmocka_unit_test_setup_teardown(pages_needed_is_enough, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(conflicting_remaps, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(map_gpa_paged_finds_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(map_gpa_contiguous_uses_2m, setup, teardown),
		cmocka_unit_test_setup_teardown(walker_edge_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_reader_bounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
