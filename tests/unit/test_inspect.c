// SPDX-License-Identifier: GPL-2.0
/*
 * The inspection API (<colinux/inspect.h>), the operation trace and the
 * public end of a loopback pair: what harnesses and debuggers see of a VM
 * without the private struct co_vm. Each answer is checked against what
 * the guest did (rings it set up, requests it posted) or, where only the
 * monitor knows, against the VM object itself.
 */
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "co_gring.h"
#include <colinux/inspect.h>
#include "internal/vm.h"

#define RING_LOG2	3
#define KERNEL_PADDR	0x200000ULL
#define KERNEL_HIGH_VA	0xffffffff80200000ULL

/* What the operation trace saw. */
struct trace_log {
	unsigned int traced;
	uint32_t op[16];
	uint64_t p0[16];
	struct co_vm *vm;
};

static const char *const base_args[] = { "mem=16", NULL };

static struct co_test_guest *boot(const char *const *args)
{
	struct co_test_guest *g;

	assert_int_equal(co_test_boot(args ? args : base_args,
				      co_test_step_one_op, NULL, &g), 0);
	return g;
}

/* Destroy @g; nothing of the sim-host's may be left. */
static void done(struct co_test_guest *g)
{
	co_test_destroy(g);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

/* ---- queues ------------------------------------------------------------- */

static void test_queue_info_bad_ids(void **state)
{
	struct co_test_guest *g = boot(NULL);
	struct co_queue_info qi;

	memset(&qi, 0x5a, sizeof(qi));
	assert_int_equal(co_vm_queue_info(g->vm, CO_MAX_QUEUES, &qi), -CO_EINVAL);
	assert_int_equal(co_vm_queue_info(g->vm, ~0u, &qi), -CO_EINVAL);
	/* No cobd unit is configured: nobody owns its queue. */
	assert_int_equal(co_vm_queue_info(g->vm, CO_QUEUE_COBD(0), &qi),
			 -CO_ENOENT);
	assert_int_equal(co_vm_queue_info(g->vm, CO_MAX_QUEUES - 1, &qi),
			 -CO_ENOENT);
	/* Nothing was written on the way out. */
	assert_int_equal(qi.unit, 0x5a5a5a5a);
	done(g);
}

static void test_queue_info_follows_the_guest(void **state)
{
	static const char text[] = "hello";
	struct co_test_guest *g = boot(NULL);
	struct co_vm *vm = g->vm;
	uint64_t ring = co_test_scratch_gpa(g, 4096);
	uint64_t buf = co_test_scratch_gpa(g, 4096);
	struct co_queue_info qi;
	struct co_gring r;
	struct co_desc d;

	/* Owned by the console, not set up yet. */
	assert_int_equal(co_vm_queue_info(vm, CO_QUEUE_COCON_OUT, &qi), 0);
	assert_int_equal(qi.dev_class, CO_DEV_COCON);
	assert_int_equal(qi.unit, 0);
	assert_false(qi.up);
	assert_int_equal(qi.completed, 0);

	assert_int_equal(co_gring_init(&r, co_test_gpa_ptr(g, ring), ring,
				       RING_LOG2), 0);
	assert_int_equal(co_test_one_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT,
				  ring, RING_LOG2), CO_ST_OK);
	assert_int_equal(co_vm_queue_info(vm, CO_QUEUE_COCON_OUT, &qi), 0);
	assert_true(qi.up);
	assert_int_equal(qi.gpa, ring);
	assert_int_equal(qi.log2, RING_LOG2);
	assert_int_equal(qi.size, 1u << RING_LOG2);
	assert_int_equal(qi.req_cons, 0);
	assert_int_equal(qi.cpl_prod, 0);

	/* One good request, one with its buffer outside RAM. */
	assert_int_equal(co_vm_write_gpa(vm, buf, text, 5), 0);
	co_gring_desc_init(&d, 1, CO_COCON_WRITE, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, buf, 5), 0);
	assert_int_equal(co_gring_push(&r, &d), 0);
	co_gring_desc_init(&d, 2, CO_COCON_WRITE, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, co_vm_ram_size(vm) + 4096, 5), 0);
	assert_int_equal(co_gring_push(&r, &d), 0);
	co_gring_publish(&r);
	co_test_doorbell(g, CO_QUEUE_COCON_OUT);
	assert_int_equal(co_test_one_op(g, CO_OP_NOTIFY, 0, 0, 0), CO_ST_OK);

	assert_int_equal(co_vm_queue_info(vm, CO_QUEUE_COCON_OUT, &qi), 0);
	assert_int_equal(qi.req_cons, 2);
	assert_int_equal(qi.cpl_prod, 2);
	assert_int_equal(qi.completed, 2);
	assert_int_equal(qi.rejected, 1);

	/* Torn down: still owned, no longer up. */
	assert_int_equal(co_test_one_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, 0, 0),
			 CO_ST_OK);
	assert_int_equal(co_vm_queue_info(vm, CO_QUEUE_COCON_OUT, &qi), 0);
	assert_false(qi.up);
	assert_int_equal(qi.dev_class, CO_DEV_COCON);
	done(g);
}

static void test_queue_info_names_every_owner(void **state)
{
	static const char *const args[] = { "mem=16", "eth1=loop,inspect-own",
					    NULL };
	struct co_test_guest *g = boot(args);
	struct co_queue_info qi;

	assert_int_equal(co_vm_queue_info(g->vm, CO_QUEUE_CONET_RX(1), &qi), 0);
	assert_int_equal(qi.dev_class, CO_DEV_CONET);
	assert_int_equal(qi.unit, 1);
	assert_int_equal(co_vm_queue_info(g->vm, CO_QUEUE_COCON_IN, &qi), 0);
	assert_int_equal(qi.dev_class, CO_DEV_COCON);
	assert_int_equal(co_vm_queue_info(g->vm, CO_QUEUE_CONET_TX(0), &qi),
			 -CO_ENOENT);
	done(g);
}

/* ---- memory and state --------------------------------------------------- */

static void test_ram_contains(void **state)
{
	struct co_test_guest *g = boot(NULL);
	struct co_vm *vm = g->vm;
	uint64_t base = co_vm_ram_base(vm), size = co_vm_ram_size(vm);

	assert_true(co_vm_ram_contains(vm, base, size));
	assert_true(co_vm_ram_contains(vm, base + size - 1, 1));
	assert_true(co_vm_ram_contains(vm, base + size, 0));
	assert_false(co_vm_ram_contains(vm, base + size, 1));
	assert_false(co_vm_ram_contains(vm, base, size + 1));
	assert_false(co_vm_ram_contains(vm, base + 4096, ~0ULL));
	assert_false(co_vm_ram_contains(vm, ~0ULL, 2));
	if (base)
		assert_false(co_vm_ram_contains(vm, base - 1, 1));
	done(g);
}

static void test_stopping(void **state)
{
	struct co_test_guest *g = boot(NULL);
	struct co_vm_exit exit;

	assert_false(co_vm_stopping(g->vm));
	assert_int_equal(co_test_one_op(g, CO_OP_YIELD, 0, 0, 0), CO_ST_OK);
	assert_false(co_vm_stopping(g->vm));
	g->next_op = CO_OP_TERMINATE;
	g->next_p[0] = CO_TERM_POWEROFF;
	assert_int_equal(co_vm_run(g->vm, &exit), 0);
	assert_true(co_vm_stopping(g->vm));
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_false(co_vm_stopping(g->vm));
	done(g);
}

/* ---- images ----------------------------------------------------------- */

static const uint8_t code[] = { 0xf4, 0xeb, 0xfd };	/* hlt; jmp */

/* The test kernel linked at @vaddr (0: high, like Linux); free() it. */
static uint8_t *kernel_image(uint64_t vaddr, size_t *len)
{
	uint8_t *img = co_test_make_elf(vaddr, code, sizeof(code), len);

	assert_non_null(img);
	return img;
}

static void expect_test_kernel(const struct co_kernel_info *ki, uint64_t vaddr,
			       size_t len)
{
	assert_int_equal(ki->entry, vaddr);
	assert_int_equal(ki->nr_seg, 1);
	assert_int_equal(ki->seg[0].offset, 0x1000);
	assert_int_equal(ki->seg[0].filesz, sizeof(code));
	assert_int_equal(ki->seg[0].memsz, sizeof(code) + 0x1000);
	assert_int_equal(ki->seg[0].paddr, KERNEL_PADDR);
	assert_int_equal(ki->seg[0].vaddr, vaddr);
	assert_int_equal(ki->seg[0].flags, 7);	/* R W X */
	assert_int_equal(ki->lowest_paddr, KERNEL_PADDR);
	assert_int_equal(ki->highest_paddr, KERNEL_PADDR + sizeof(code) + 0x1000);
	/* A null symbol and co_start; "\0co_start\0". */
	assert_int_equal(ki->nr_syms, 2);
	assert_true(ki->symtab_off + ki->nr_syms * 24 <= len);
	assert_int_equal(ki->strtab_size, 11);
	assert_true(ki->strtab_off + ki->strtab_size <= len);
}

static void test_image_info(void **state)
{
	struct co_kernel_info ki;
	char err[256];
	uint8_t *img;
	size_t len;

	img = kernel_image(0, &len);
	assert_int_equal(co_kernel_image_info(img, len, &ki, err, sizeof(err)), 0);
	expect_test_kernel(&ki, KERNEL_HIGH_VA, len);
	assert_true(ki.seg[0].mapped);
	assert_int_equal(ki.entry_va, KERNEL_HIGH_VA);
	assert_memory_equal(img + ki.strtab_off + 1, "co_start", 9);
	free(img);

	/* Linked low: run from the identity map, not mapped at its vaddr. */
	img = kernel_image(0x200000, &len);
	assert_int_equal(co_kernel_image_info(img, len, &ki, err, sizeof(err)), 0);
	assert_false(ki.seg[0].mapped);
	assert_int_equal(ki.entry_va, KERNEL_PADDR);
	free(img);
}

static void test_image_info_rejects(void **state)
{
	struct co_kernel_info ki;
	char err[256];
	uint8_t *img;
	size_t len;

	img = kernel_image(0, &len);
	assert_int_equal(co_kernel_image_info(img, 10, &ki, err, sizeof(err)),
			 -CO_EINVAL);
	assert_non_null(strstr(err, "truncated"));
	img[0] = 0;
	assert_int_not_equal(co_kernel_image_info(img, len, &ki, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "magic"));
	/* No room for a message is fine. */
	assert_int_not_equal(co_kernel_image_info(img, len, &ki, NULL, 0), 0);
	free(img);
}

static void test_image_symbol(void **state)
{
	uint64_t v = 0;
	uint8_t *img;
	size_t len;

	img = kernel_image(0, &len);
	assert_int_equal(co_kernel_image_symbol(img, len, "co_start", &v), 0);
	assert_int_equal(v, KERNEL_HIGH_VA);
	assert_int_equal(co_kernel_image_symbol(img, len, "co_stop", &v),
			 -CO_ENOENT);
	assert_int_equal(co_kernel_image_symbol(img, len, "", &v), -CO_ENOENT);
	assert_int_equal(co_kernel_image_symbol(img, 10, "co_start", &v),
			 -CO_EINVAL);
	free(img);
}

static void test_vm_kernel_and_initrd(void **state)
{
	static const uint8_t initrd[5000] = { 1, 2, 3 };
	struct co_test_guest *g;
	struct co_kernel_info ki, parsed;
	uint64_t gpa = 1, size = 1;
	char err[256];
	uint8_t back[3];
	uint8_t *img;
	size_t len;

	assert_int_equal(co_test_create(base_args, co_test_step_one_op, NULL, &g), 0);
	assert_int_equal(co_vm_kernel_info(g->vm, &ki), -CO_ESTATE);
	assert_int_equal(co_vm_initrd(g->vm, &gpa, &size), -CO_ENOENT);
	img = kernel_image(0, &len);
	assert_int_equal(co_vm_load_kernel(g->vm, img, len, err, sizeof(err)), 0);
	assert_int_equal(co_vm_kernel_info(g->vm, &ki), 0);
	assert_int_equal(co_kernel_image_info(img, len, &parsed, NULL, 0), 0);
	expect_test_kernel(&ki, KERNEL_HIGH_VA, len);
	assert_int_equal(ki.entry_va, parsed.entry_va);
	assert_int_equal(co_vm_initrd(g->vm, &gpa, &size), -CO_ENOENT);
	assert_int_equal(gpa, 1);

	assert_int_equal(co_vm_load_initrd(g->vm, initrd, sizeof(initrd), err,
					   sizeof(err)), 0);
	assert_int_equal(co_vm_initrd(g->vm, &gpa, &size), 0);
	assert_int_equal(size, sizeof(initrd));
	assert_int_equal(gpa % CO_PAGE_SIZE, 0);
	assert_int_equal(co_vm_read_gpa(g->vm, gpa, back, sizeof(back)), 0);
	assert_memory_equal(back, initrd, sizeof(back));

	/* A reset forgets both. */
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_int_equal(co_vm_kernel_info(g->vm, &ki), -CO_ESTATE);
	assert_int_equal(co_vm_initrd(g->vm, &gpa, &size), -CO_ENOENT);
	free(img);
	co_test_destroy(g);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

/* ---- boot --------------------------------------------------------------- */

static void test_boot_info_and_walk(void **state)
{
	struct co_test_guest *g;
	struct co_boot_info bi;
	struct co_pt_walk w;
	uint64_t hpa, base;
	char err[256];
	uint8_t *img;
	size_t len;

	assert_int_equal(co_test_create(base_args, co_test_step_one_op, NULL, &g), 0);
	assert_int_equal(co_vm_boot_info(g->vm, &bi), -CO_ESTATE);
	assert_int_equal(co_vm_boot_walk(g->vm, KERNEL_HIGH_VA, &w), -CO_ESTATE);
	img = kernel_image(0, &len);
	assert_int_equal(co_vm_load_kernel(g->vm, img, len, err, sizeof(err)), 0);

	/* Loaded: the area is known, nothing is built yet. */
	base = co_vm_ram_base(g->vm);
	assert_int_equal(co_vm_boot_info(g->vm, &bi), 0);
	assert_true(bi.area_size > 0);
	assert_true(bi.area_gpa > base + KERNEL_PADDR);
	assert_int_equal(bi.area_gpa + bi.area_size, base + co_vm_ram_size(g->vm));
	assert_int_equal(bi.params_gpa, 0);
	assert_int_equal(bi.pt_root_hpa, 0);
	assert_int_equal(co_vm_boot_walk(g->vm, KERNEL_HIGH_VA, &w), -CO_ESTATE);

	assert_int_equal(co_vm_start(g->vm), 0);
	assert_int_equal(co_vm_boot_info(g->vm, &bi), 0);
	assert_int_equal(bi.params_gpa, g->vm->boot_gpa);
	assert_true(bi.params_gpa >= bi.area_gpa);
	assert_int_equal(bi.pt_root_hpa, g->vm->pt_root_hpa);
	assert_int_equal(bi.entry_va, KERNEL_HIGH_VA);

	/* The kernel at its link address, last byte of its bss included. */
	assert_int_equal(co_vm_boot_walk(g->vm, KERNEL_HIGH_VA + 0x1002, &w), 0);
	assert_int_equal(co_vm_gpa_to_hpa(g->vm, base + KERNEL_PADDR + 0x1002,
					  &hpa), 0);
	assert_int_equal(w.hpa, hpa);
	/* RAM at its identity address. */
	assert_int_equal(co_vm_boot_walk(g->vm, base + 0x5000, &w), 0);
	assert_int_equal(co_vm_gpa_to_hpa(g->vm, base + 0x5000, &hpa), 0);
	assert_int_equal(w.hpa, hpa);
	/* Nothing else. */
	assert_int_equal(co_vm_boot_walk(g->vm, 0x00007f0000000000ULL, &w),
			 -CO_ENOENT);
	assert_int_equal(co_vm_boot_walk(g->vm, 0x0000900000000000ULL, &w),
			 -CO_EINVAL);	/* not canonical */

	/* After a reset the tables are gone with the kernel. */
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_int_equal(co_vm_boot_info(g->vm, &bi), -CO_ESTATE);
	assert_int_equal(co_vm_boot_walk(g->vm, KERNEL_HIGH_VA, &w), -CO_ESTATE);
	free(img);
	co_test_destroy(g);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

/* A host frame that holds none of @vm's RAM. */
static uint64_t frame_outside_ram(struct co_vm *vm)
{
	uint64_t hpa, pfn, i;

	for (pfn = CO_SIM_FIRST_PFN;; pfn++) {
		for (i = 0; i < co_vm_ram_size(vm); i += CO_PAGE_SIZE) {
			assert_int_equal(co_vm_gpa_to_hpa(vm, co_vm_ram_base(vm) + i,
							  &hpa), 0);
			if (hpa >> CO_PAGE_SHIFT == pfn)
				break;
		}
		if (i == co_vm_ram_size(vm))
			return pfn << CO_PAGE_SHIFT;
	}
}

static void test_boot_walk_of_a_broken_table(void **state)
{
	struct co_test_guest *g = boot(NULL);
	struct co_vm *vm = g->vm;
	struct co_boot_info bi;
	struct co_pt_walk w;
	uint64_t root_gpa = 0, entry, i;

	/*
	 * The guest owns its tables: point the PML4's entry for the kernel
	 * at a frame that is not guest RAM.
	 */
	assert_int_equal(co_vm_boot_info(vm, &bi), 0);
	for (i = 0; i < co_vm_ram_size(vm); i += CO_PAGE_SIZE) {
		uint64_t hpa;

		if (!co_vm_gpa_to_hpa(vm, co_vm_ram_base(vm) + i, &hpa) &&
		    hpa == bi.pt_root_hpa) {
			root_gpa = co_vm_ram_base(vm) + i;
			break;
		}
	}
	assert_int_not_equal(root_gpa, 0);
	entry = frame_outside_ram(vm) | 3;	/* P | W */
	assert_int_equal(co_vm_write_gpa(vm, root_gpa + 511 * 8, &entry,
					 sizeof(entry)), 0);
	assert_int_equal(co_vm_boot_walk(vm, KERNEL_HIGH_VA, &w), -CO_EFAULT);
	done(g);
}

/* ---- the operation trace ------------------------------------------------ */

static void trace(void *ctx, struct co_vm *vm, uint32_t op,
		  const uint64_t *param)
{
	struct trace_log *log = ctx;

	log->vm = vm;
	/* Before processing: the guest's op is still in the shared page. */
	assert_int_equal(co_vm_shared(vm)->op, op);
	if (log->traced < 16) {
		log->op[log->traced] = op;
		log->p0[log->traced] = param[0];
	}
	log->traced++;
}

static void test_op_trace(void **state)
{
	struct co_test_guest *g = boot(NULL);
	struct trace_log log = { 0 };
	struct co_vm_exit exit;
	char err[256];
	uint8_t *img;
	size_t len;

	co_vm_set_op_trace(g->vm, trace, &log);
	assert_int_equal(co_test_one_op(g, CO_OP_YIELD, 7, 0, 0), CO_ST_OK);
	assert_int_equal(co_test_one_op(g, CO_OP_GET_TIME, 8, 0, 0), CO_ST_OK);
	assert_int_equal(log.traced, 2);
	assert_ptr_equal(log.vm, g->vm);
	assert_int_equal(log.op[0], CO_OP_YIELD);
	assert_int_equal(log.p0[0], 7);
	assert_int_equal(log.op[1], CO_OP_GET_TIME);
	assert_int_equal(log.p0[1], 8);

	/* Even an operation that stops the VM is seen, first. */
	g->next_op = 0x7777;
	g->next_p[0] = 9;
	assert_int_equal(co_vm_run(g->vm, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	assert_int_equal(log.traced, 3);
	assert_int_equal(log.op[2], 0x7777);
	assert_int_equal(log.p0[2], 9);

	/* It stays set across a reset. */
	assert_int_equal(co_vm_reset(g->vm), 0);
	img = kernel_image(0, &len);
	assert_int_equal(co_vm_load_kernel(g->vm, img, len, err, sizeof(err)), 0);
	free(img);
	assert_int_equal(co_vm_start(g->vm), 0);
	assert_int_equal(co_test_one_op(g, CO_OP_YIELD, 10, 0, 0), CO_ST_OK);
	assert_int_equal(log.traced, 4);
	assert_int_equal(log.p0[3], 10);

	/* NULL turns it off and forgets the context. */
	co_vm_set_op_trace(g->vm, NULL, &log);
	assert_null(g->vm->op_trace_ctx);
	assert_int_equal(co_test_one_op(g, CO_OP_YIELD, 0, 0, 0), CO_ST_OK);
	assert_int_equal(log.traced, 4);
	done(g);
}

/* ---- a loopback pair's public end --------------------------------------- */

struct port_env {
	unsigned int frames;
	size_t len;
	uint8_t first;
	unsigned int notified;
};

static void port_rx(void *ctx, const void *frame, size_t len)
{
	struct port_env *pe = ctx;

	pe->frames++;
	pe->len = len;
	pe->first = *(const uint8_t *)frame;
}

static void port_notify(void *ctx)
{
	struct port_env *pe = ctx;

	pe->notified++;
}

static void test_loop_port(void **state)
{
	struct port_env pa = { 0 }, pb = { 0 };
	struct co_conet_port *a, *b, *c;
	uint8_t frame[CO_CONET_MAX_FRAME + 1];
	unsigned int i;

	memset(frame, 0, sizeof(frame));
	assert_int_equal(co_conet_loop_open("inspect-port", port_rx, port_notify,
					    &pa, &a), 0);
	/* Nobody at the other end: the frame is lost. */
	assert_int_equal(co_conet_port_send(a, frame, 60), -CO_ENOENT);
	assert_int_equal(co_conet_loop_open("inspect-port", port_rx, port_notify,
					    &pb, &b), 0);
	assert_int_equal(co_conet_loop_open("inspect-port", port_rx, port_notify,
					    &pb, &c), -CO_EBUSY);

	frame[0] = 0x42;
	assert_int_equal(co_conet_port_send(a, frame, 60), 0);
	assert_int_equal(pb.notified, 1);
	assert_int_equal(pb.frames, 0);		/* until b polls */
	co_conet_port_poll(b);
	assert_int_equal(pb.frames, 1);
	assert_int_equal(pb.len, 60);
	assert_int_equal(pb.first, 0x42);
	co_conet_port_poll(a);
	assert_int_equal(pa.frames, 0);

	assert_int_equal(co_conet_port_send(b, frame, sizeof(frame)), -CO_ERANGE);
	for (i = 0; co_conet_port_send(b, frame, 64) == 0; i++)
		assert_true(i < 1000);
	assert_true(i > 0);
	assert_int_equal(co_conet_port_send(b, frame, 64), -CO_EBUSY);
	co_conet_port_poll(a);
	assert_int_equal(pa.frames, i);
	co_conet_port_close(a);
	co_conet_port_close(b);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_info_bad_ids),
		cmocka_unit_test(test_queue_info_follows_the_guest),
		cmocka_unit_test(test_queue_info_names_every_owner),
		cmocka_unit_test(test_ram_contains),
		cmocka_unit_test(test_stopping),
		cmocka_unit_test(test_image_info),
		cmocka_unit_test(test_image_info_rejects),
		cmocka_unit_test(test_image_symbol),
		cmocka_unit_test(test_vm_kernel_and_initrd),
		cmocka_unit_test(test_boot_info_and_walk),
		cmocka_unit_test(test_boot_walk_of_a_broken_table),
		cmocka_unit_test(test_op_trace),
		cmocka_unit_test(test_loop_port),
	};

	co_sim_log_level(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
