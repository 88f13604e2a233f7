// SPDX-License-Identifier: GPL-2.0
/*
 * Boot set-up as the guest will find it: boot parameters and memory map,
 * the page tables (walked for every page), GDT, p2m and the initial CPU
 * context, in both RAM modes.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/boot.h"
#include "elf_image.h"
#include "internal/vm.h"
#include <sim/sim.h>

#define KBASE	0xffffffff80000000ULL
#define MiB	(1ULL << 20)
#define LEAF	(CO_PTE_P | CO_PTE_A | CO_PTE_D)
#define WALL	(1712345678ULL * 1000000000ULL + 42)

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	co_sim_fault_reset();
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static void step_none(struct co_test_guest *g, unsigned int entry)
{
	co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
}

struct booted {
	struct co_test_guest *g;
	struct co_vm *vm;
	struct eb_spec spec;
	struct co_boot_layout l;
	struct co_boot_params bp;
	uint8_t *initrd;
	size_t initrd_len;
};

/* Create, load a kernel (and initrd), start. */
static void boot(struct booted *b, bool contiguous, bool with_initrd)
{
	const char *args[] = { "mem=32", "root=/dev/cobd0", "quiet",
		contiguous ? "memwindow=contiguous" : NULL, NULL };
	struct eb_layout el;
	char err[256];
	uint8_t *img;

	memset(b, 0, sizeof(*b));
	assert_int_equal(co_test_create(args, step_none, NULL, &b->g), 0);
	b->vm = b->g->vm;
	eb_kernel_spec(&b->spec, KBASE);
	img = eb_build(&b->spec, &el);
	assert_int_equal(co_vm_load_kernel(b->vm, img, el.len, err, sizeof(err)), 0);
	free(img);
	if (with_initrd) {
		b->initrd_len = 2 * MiB + 17;
		b->initrd = malloc(b->initrd_len);
		memset(b->initrd, 0x3c, b->initrd_len);
		assert_int_equal(co_vm_load_initrd(b->vm, b->initrd,
						   b->initrd_len, err,
						   sizeof(err)), 0);
	}
	co_sim_clock_set_wall(WALL);
	assert_int_equal(co_vm_start(b->vm), 0);
	assert_int_equal(co_boot_layout(&b->vm->ram, &b->vm->elf, &b->l), 0);
	assert_int_equal(co_vm_read_gpa(b->vm, b->vm->boot_gpa, &b->bp,
					sizeof(b->bp)), 0);
}

static void unboot(struct booted *b)
{
	co_test_destroy(b->g);
	free(b->initrd);
}

static uint64_t up(uint64_t x)
{
	return (x + 4095) & ~4095ULL;
}

static void check_params(struct booted *b, bool contiguous)
{
	const struct co_boot_params *bp = &b->bp;
	struct co_vm *vm = b->vm;

	assert_int_equal(vm->boot_gpa, b->l.params_gpa);
	assert_int_equal(bp->magic, CO_BOOT_MAGIC);
	assert_int_equal(bp->abi_version, CO_ABI_VERSION);
	assert_int_equal(bp->size, sizeof(*bp));
	assert_int_equal(bp->flags, contiguous ? CO_BOOT_F_CONTIGUOUS : 0);
	assert_int_equal(bp->ram_base, vm->ram.base);
	assert_int_equal(bp->ram_size, 32 * MiB);
	if (contiguous)
		assert_int_equal(bp->ram_base % (2 * MiB), 0);
	else
		assert_int_equal(bp->ram_base, 0);
	assert_int_equal(bp->initrd_gpa, vm->initrd_gpa);
	assert_int_equal(bp->initrd_size, b->initrd_len);
	assert_int_equal(bp->passage_va, CO_PASSAGE_GUEST_VA);
	assert_int_equal(bp->boot_time_ns, WALL);
	assert_int_equal(bp->pt_root, vm->pt_root_hpa);
	assert_int_equal(bp->pt_root, vm->shared->guest.cr3);
	assert_string_equal(bp->cmdline, vm->cfg.cmdline);
	assert_non_null(strstr(bp->cmdline, "root=/dev/cobd0"));
	assert_non_null(strstr(bp->cmdline, "quiet"));
	assert_int_equal(bp->cmdline_len, strlen(bp->cmdline));
	assert_int_equal(bp->nr_devices, vm->nr_dev);
	assert_true(vm->nr_dev >= 3);	/* timer, power, console */
	for (unsigned int i = 0; i < vm->nr_dev; i++)
		assert_memory_equal(&bp->dev[i], &vm->dev[i]->info,
				    sizeof(bp->dev[i]));
}

static void check_memory_map(struct booted *b, bool contiguous)
{
	const struct co_boot_params *bp = &b->bp;
	uint64_t cur = bp->ram_base, seen[6] = { 0 };
	uint64_t kb = bp->ram_base + 0x200000, ke = bp->ram_base + up(0x40b123);

	assert_true(bp->nr_mem >= 4 && bp->nr_mem <= CO_BOOT_MAX_MEM);
	for (unsigned int i = 0; i < bp->nr_mem; i++) {
		const struct co_mem_region *r = &bp->mem[i];

		/* Sorted, touching, non-empty, page-granular. */
		assert_int_equal(r->base, cur);
		assert_true(r->size > 0);
		assert_int_equal(r->base % 4096, 0);
		assert_int_equal(r->size % 4096, 0);
		assert_true(r->type >= CO_MEM_RAM && r->type <= CO_MEM_P2M);
		if (i && r->type == CO_MEM_RAM)
			assert_int_not_equal(bp->mem[i - 1].type, CO_MEM_RAM);
		seen[r->type]++;
		switch (r->type) {
		case CO_MEM_KERNEL:
			assert_int_equal(r->base, kb);
			assert_int_equal(r->base + r->size, ke);
			break;
		case CO_MEM_INITRD:
			assert_int_equal(r->base, bp->initrd_gpa);
			assert_int_equal(r->size, up(bp->initrd_size));
			break;
		case CO_MEM_BOOT:
			assert_int_equal(r->base, b->l.start);
			assert_true(b->vm->shared->guest.rsp > r->base);
			assert_true(b->vm->shared->guest.rsp < r->base + r->size);
			break;
		case CO_MEM_P2M:
			assert_int_equal(r->base, bp->p2m_gpa);
			assert_int_equal(r->size, up(32 * MiB / 4096 * 8));
			break;
		}
		cur = r->base + r->size;
	}
	assert_int_equal(cur, bp->ram_base + bp->ram_size);
	assert_int_equal(seen[CO_MEM_KERNEL], 1);
	assert_int_equal(seen[CO_MEM_INITRD], bp->initrd_size ? 1 : 0);
	assert_int_equal(seen[CO_MEM_BOOT], 1);
	assert_int_equal(seen[CO_MEM_P2M], contiguous ? 0 : 1);
	assert_int_equal(bp->p2m_gpa != 0, !contiguous);
}

static void check_p2m(struct booted *b)
{
	struct co_vm *vm = b->vm;
	uint64_t *p2m;

	if (vm->ram.contiguous)
		return;
	p2m = malloc(vm->ram.npages * 8);
	assert_int_equal(co_vm_read_gpa(vm, b->bp.p2m_gpa, p2m,
					vm->ram.npages * 8), 0);
	assert_memory_equal(p2m, vm->ram.pfn, vm->ram.npages * 8);
	free(p2m);
}

static int twalk(struct co_vm *vm, uint64_t va, struct co_pt_walk *w)
{
	return co_pt_walk(co_pt_read_ram, &vm->ram, vm->pt_root_hpa, va, w);
}

static void check_tables(struct booted *b)
{
	struct co_vm *vm = b->vm;
	struct co_pt_walk w;
	uint64_t gpa, hpa, big = 0, e;

	/* Identity map of all RAM, writable, supervisor, executable. */
	for (gpa = vm->ram.base; gpa < vm->ram.base + vm->ram.size; gpa += 4096) {
		assert_int_equal(twalk(vm, gpa + 0x10, &w), 0);
		assert_int_equal(co_ram_gpa_to_hpa(&vm->ram, gpa + 0x10, &hpa), 0);
		assert_int_equal(w.hpa, hpa);
		assert_int_equal(w.flags, LEAF | CO_PTE_W);
		big += w.page_size == 2 * MiB;
	}
	if (vm->ram.contiguous)
		assert_int_equal(big, vm->ram.npages);
	/* Kernel segments at their virtual addresses. */
	for (unsigned int i = 0; i < b->spec.nseg; i++) {
		const struct eb_seg *s = &b->spec.seg[i];
		uint64_t va = s->vaddr & ~0xfffULL;
		uint64_t pa = vm->ram.base + (s->paddr & ~0xfffULL);

		for (; va < s->vaddr + s->memsz; va += 4096, pa += 4096) {
			assert_int_equal(twalk(vm, va, &w), 0);
			assert_int_equal(co_ram_gpa_to_hpa(&vm->ram, pa, &hpa), 0);
			assert_int_equal(w.hpa, hpa);
			assert_int_equal(w.flags, LEAF | CO_PTE_W);
		}
		/* Nothing right past the last segment. */
		if (i == b->spec.nseg - 1)
			assert_int_equal(twalk(vm, up(s->vaddr + s->memsz), &w),
					 -CO_ENOENT);
	}
	/* The passage: code read-only, shared page writable. */
	assert_int_equal(twalk(vm, CO_PASSAGE_CODE_VA + 0x123, &w), 0);
	assert_int_equal(w.hpa, (vm->passage_pfn[0] << 12) + 0x123);
	assert_int_equal(w.flags, LEAF);
	assert_int_equal(twalk(vm, CO_PASSAGE_SHARED_VA, &w), 0);
	assert_int_equal(w.hpa, vm->passage_pfn[1] << 12);
	assert_int_equal(w.flags, LEAF | CO_PTE_W);
	assert_int_equal(twalk(vm, CO_PASSAGE_SHARED_VA + 4096, &w), -CO_ENOENT);

	/* No NX (reserved without EFER.NXE) and no G anywhere in the pool. */
	for (gpa = b->l.pool_gpa; gpa < b->l.pool_gpa + b->l.pool_pages * 4096;
	     gpa += 8) {
		assert_int_equal(co_vm_read_gpa(vm, gpa, &e, 8), 0);
		if (e & (CO_PTE_NX | CO_PTE_G))
			fail_msg("entry 0x%llx at gpa 0x%llx has NX or G",
				 (unsigned long long)e, (unsigned long long)gpa);
		/* The host-state page is never mapped for the guest. */
		if ((e & CO_PTE_P) && (e & CO_PTE_ADDR) == vm->passage_pfn[2] << 12)
			fail_msg("host state page mapped by entry at gpa 0x%llx",
				 (unsigned long long)gpa);
	}
	/* The root is the first pool page. */
	assert_int_equal(co_ram_gpa_to_hpa(&vm->ram, b->l.pool_gpa, &hpa), 0);
	assert_int_equal(vm->pt_root_hpa, hpa);
}

static void check_context(struct booted *b)
{
	struct co_vm *vm = b->vm;
	const struct co_cpu_state *c = &vm->shared->guest;
	uint64_t gdt[6];
	uint16_t fcw;
	uint32_t mxcsr;

	assert_int_equal(vm->shared->op, CO_OP_START);
	assert_int_equal(vm->shared->param[0], vm->boot_gpa);
	assert_int_equal(c->rip, KBASE + 0x200010);
	assert_int_equal(c->rip, vm->entry_va);
	assert_int_equal(c->rsp, b->l.stack_top - 8);
	assert_int_equal((c->rsp + 8) % 16, 0);
	assert_true(c->rsp > b->l.stack_gpa);
	assert_int_equal(c->rsi, vm->boot_gpa);
	assert_int_equal(c->rdi, 0);
	assert_int_equal(c->rflags, 0x2);
	assert_int_equal(c->cr0, 0x80050033);
	assert_int_equal(c->cr4, 0x620);
	assert_int_equal(c->cr3, vm->pt_root_hpa);
	assert_int_equal(c->efer, 0x500);
	assert_int_equal(c->cs, CO_BOOT_CS);
	assert_int_equal(c->ss, CO_BOOT_DS);
	assert_int_equal(c->ds, CO_BOOT_DS);
	assert_int_equal(c->es, CO_BOOT_DS);
	assert_int_equal(c->fs | c->gs | c->ldtr, 0);
	assert_int_equal(c->tr, CO_BOOT_TR);
	assert_int_equal(c->fs_base | c->gs_base | c->kernel_gs_base, 0);
	assert_int_equal(c->dr7, 0x400);
	assert_int_equal(c->idtr.base | c->idtr.limit, 0);
	assert_int_equal(c->gdtr.limit, 47);
	assert_int_equal(c->gdtr.base, b->l.gdt_gpa);
	memcpy(&fcw, &c->fxsave[0], 2);
	memcpy(&mxcsr, &c->fxsave[24], 4);
	assert_int_equal(fcw, 0x37f);
	assert_int_equal(mxcsr, 0x1f80);

	/* The GDT, read at its (identity-mapped) address. */
	assert_int_equal(co_vm_read_gpa(vm, c->gdtr.base, gdt, sizeof(gdt)), 0);
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[1], 0);
	assert_int_equal(gdt[CO_BOOT_CS / 8], 0x00af9a000000ffffULL);
	assert_int_equal(gdt[CO_BOOT_DS / 8], 0x00cf92000000ffffULL);
	/* An available 64-bit TSS, limit 0x67, at GDT + 0x100. */
	{
		uint64_t tss = b->l.gdt_gpa + 0x100;
		uint64_t lo = gdt[CO_BOOT_TR / 8], hi = gdt[CO_BOOT_TR / 8 + 1];

		assert_int_equal(lo & 0xffff, 0x67);
		assert_int_equal((lo >> 40) & 0xff, 0x89);
		assert_int_equal(((lo >> 16) & 0xffffff) | ((lo >> 56) << 24) |
				 (hi << 32), tss);
	}
}

static void boot_paged(void **state)
{
	struct booted b;

	boot(&b, false, true);
	check_params(&b, false);
	check_memory_map(&b, false);
	check_p2m(&b);
	check_tables(&b);
	check_context(&b);
	unboot(&b);
}

static void boot_contiguous(void **state)
{
	struct booted b;

	boot(&b, true, true);
	check_params(&b, true);
	check_memory_map(&b, true);
	check_tables(&b);
	check_context(&b);
	unboot(&b);
}

static void boot_without_initrd(void **state)
{
	struct booted b;

	boot(&b, false, false);
	assert_int_equal(b.bp.initrd_gpa, 0);
	check_memory_map(&b, false);
	check_context(&b);
	unboot(&b);
}

/* The boot runs and the guest finds everything through param[0]. */
static void step_reads_params(struct co_test_guest *g, unsigned int entry)
{
	const struct co_boot_params *bp = co_test_boot_params(g);

	assert_int_equal(g->sh->op, CO_OP_START);
	assert_non_null(bp);
	assert_int_equal(bp->magic, CO_BOOT_MAGIC);
	co_test_terminate(g, CO_TERM_POWEROFF, (int)bp->nr_mem, "");
}

static void guest_sees_params(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(args, step_reads_params, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	assert_true(exit.code >= 4);
	co_test_destroy(g);
}

/* Reset and boot again: the same, fresh layout. */
static void reboot_after_reset(void **state)
{
	struct booted b;
	struct eb_layout el;
	char err[256];
	uint8_t *img;
	uint64_t root = 0;

	boot(&b, false, true);
	root = b.vm->pt_root_hpa;
	assert_int_equal(co_vm_reset(b.vm), 0);
	assert_int_equal(co_boot_setup(b.vm), -CO_ESTATE);
	img = eb_build(&b.spec, &el);
	assert_int_equal(co_vm_load_kernel(b.vm, img, el.len, err, sizeof(err)), 0);
	free(img);
	free(b.initrd);
	b.initrd = NULL;
	b.initrd_len = 0;
	co_sim_clock_set_wall(WALL);
	assert_int_equal(co_vm_start(b.vm), 0);
	assert_int_equal(b.vm->pt_root_hpa, root);
	assert_int_equal(co_vm_read_gpa(b.vm, b.vm->boot_gpa, &b.bp,
					sizeof(b.bp)), 0);
	check_params(&b, false);
	check_memory_map(&b, false);
	check_tables(&b);
	check_context(&b);
	unboot(&b);
}

static void boot_setup_needs_a_kernel(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;

	assert_int_equal(co_test_create(args, step_none, NULL, &g), 0);
	assert_int_equal(co_boot_setup(g->vm), -CO_ESTATE);
	assert_int_equal(co_vm_start(g->vm), -CO_ESTATE);
	co_test_destroy(g);
}

/* A segment whose alias would remap the passage pages. */
static void conflicting_alias_fails_start(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;
	struct eb_spec s;
	struct eb_layout el;
	char err[256], log[4096];
	uint8_t *img;

	assert_int_equal(co_test_create(args, step_none, NULL, &g), 0);
	memset(&s, 0, sizeof(s));
	s.nseg = 1;
	s.seg[0] = (struct eb_seg){ .paddr = 0x200000,
		.vaddr = CO_PASSAGE_GUEST_VA, .filesz = 0x100, .memsz = 0x100 };
	s.entry = CO_PASSAGE_GUEST_VA;
	img = eb_build(&s, &el);
	assert_int_equal(co_vm_load_kernel(g->vm, img, el.len, err, sizeof(err)), 0);
	free(img);
	co_sim_log_capture(log, sizeof(log));
	assert_int_equal(co_vm_start(g->vm), -CO_EBUSY);
	co_sim_log_capture(NULL, 0);
	assert_non_null(strstr(log, "cannot map kernel segment 0 at 0xffff800000000000"));
	assert_int_equal(co_vm_state(g->vm), CO_VM_LOADED);
	co_test_destroy(g);
}

/*
 * Lower-half link addresses are not mapped: the kernel is entered where
 * its bytes are, through the identity map (and may build its own tables).
 */
static void lower_half_link_address_enters_at_the_bytes(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;
	struct co_pt_walk w;
	struct eb_spec s;
	struct eb_layout el;
	char err[256];
	uint8_t *img;

	assert_int_equal(co_test_create(args, step_none, NULL, &g), 0);
	memset(&s, 0, sizeof(s));
	s.nseg = 1;
	s.seg[0] = (struct eb_seg){ .paddr = 0x200000, .vaddr = 0x600000,
		.filesz = 0x100, .memsz = 0x100 };
	s.entry = 0x600010;
	img = eb_build(&s, &el);
	assert_int_equal(co_vm_load_kernel(g->vm, img, el.len, err, sizeof(err)), 0);
	free(img);
	assert_int_equal(co_vm_start(g->vm), 0);
	assert_int_equal(g->vm->entry_va, co_vm_ram_base(g->vm) + 0x200010);
	assert_int_equal(co_vm_shared(g->vm)->guest.rip, g->vm->entry_va);
	/* 0x600000 is plain identity-mapped RAM, not the kernel. */
	assert_int_equal(co_pt_walk(co_pt_read_ram, &g->vm->ram,
				    g->vm->pt_root_hpa, 0x600000, &w), 0);
	co_test_destroy(g);
}

/* Every allocation on the way from nothing to a started VM may fail. */
static void allocation_failures_at_every_step(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;
	unsigned long n;
	int ret;

	for (n = 1;; n++) {
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_ANY_ALLOC, n, 0);
		ret = co_test_boot(args, step_none, NULL, &g);
		if (!co_sim_fault_injected(CO_SIM_FAULT_ANY_ALLOC)) {
			assert_int_equal(ret, 0);
			co_test_destroy(g);
			break;
		}
		assert_int_not_equal(ret, 0);
		co_sim_fault_reset();
		assert_int_equal(co_sim_leak_check(), 0);
	}
	assert_true(n > 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(boot_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_contiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_without_initrd, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_sees_params, setup, teardown),
		cmocka_unit_test_setup_teardown(reboot_after_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_setup_needs_a_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(lower_half_link_address_enters_at_the_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(conflicting_alias_fails_start, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures_at_every_step, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
