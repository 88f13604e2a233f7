// SPDX-License-Identifier: GPL-2.0
/*
 * VM creation and teardown: every allocation and every file open on the
 * way can fail, and each failure must unwind completely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sim/sim.h>
#include "co_test.h"
#include "internal/vm.h"

static char disk0[256], disk1[256], pcap[256];

static int setup(void **state)
{
	co_test_tmp_path(disk0, sizeof(disk0), "vm-disk0.img");
	co_test_tmp_path(disk1, sizeof(disk1), "vm-disk1.img");
	co_test_tmp_path(pcap, sizeof(pcap), "vm-eth1.pcap");
	co_test_make_file(disk0, 1 << 20, 1);
	co_test_make_file(disk1, 64 << 10, 2);
	return 0;
}

static int teardown(void **state)
{
	unlink(disk0);
	unlink(disk1);
	unlink(pcap);
	return 0;
}

static void build_config(struct co_config *cfg, bool contiguous)
{
	char arg[300], err[256];
	const char *const fixed[] = {
		"mem=32", "cocon=100x30", "eth0=loop,vmtest", "root=/dev/cobd0",
		contiguous ? "memwindow=contiguous" : "memwindow=paged",
	};
	unsigned int i;

	co_config_init(cfg);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_int_equal(co_config_parse_arg(cfg, fixed[i], err, sizeof(err)), 0);
	snprintf(arg, sizeof(arg), "cobd0=%s", disk0);
	assert_int_equal(co_config_parse_arg(cfg, arg, err, sizeof(err)), 0);
	snprintf(arg, sizeof(arg), "cobd5=%s,ro", disk1);
	assert_int_equal(co_config_parse_arg(cfg, arg, err, sizeof(err)), 0);
	snprintf(arg, sizeof(arg), "eth1=pcap,%s", pcap);
	assert_int_equal(co_config_parse_arg(cfg, arg, err, sizeof(err)), 0);
}

static void create_has_every_device(void **state)
{
	struct co_config cfg;
	struct co_vm *vm;

	build_config(&cfg, false);
	assert_int_equal(co_vm_create(&cfg, &co_test_cpu_ops, &vm), 0);
	co_config_free(&cfg);	/* the VM keeps its own copy */
	assert_int_equal(co_vm_state(vm), CO_VM_CREATED);
	assert_int_equal(co_vm_ram_size(vm), 32 << 20);
	assert_non_null(co_vm_device(vm, CO_DEV_TIMER, 0));
	assert_non_null(co_vm_device(vm, CO_DEV_POWER, 0));
	assert_non_null(co_vm_device(vm, CO_DEV_COCON, 0));
	assert_non_null(co_vm_device(vm, CO_DEV_COBD, 0));
	assert_non_null(co_vm_device(vm, CO_DEV_COBD, 5));
	assert_null(co_vm_device(vm, CO_DEV_COBD, 1));
	assert_non_null(co_vm_device(vm, CO_DEV_CONET, 0));
	assert_non_null(co_vm_device(vm, CO_DEV_CONET, 1));
	assert_null(co_vm_device(vm, CO_DEV_CONET, 2));
	assert_ptr_equal(co_vm_queue(vm, CO_QUEUE_COBD(5))->dev,
			 co_vm_device(vm, CO_DEV_COBD, 5));
	assert_ptr_equal(co_vm_queue(vm, CO_QUEUE_CONET_RX(1))->dev,
			 co_vm_device(vm, CO_DEV_CONET, 1));
	assert_null(co_vm_queue(vm, 200));
	assert_null(co_vm_queue(vm, 100000));
	assert_non_null(co_vm_shared(vm));
	assert_int_equal(co_vm_shared(vm)->magic, CO_PASSAGE_MAGIC);
	assert_int_equal(co_vm_shared(vm)->abi_version, CO_ABI_VERSION);
	co_vm_destroy(vm);
	assert_int_equal(co_sim_leak_check(), 0);
}

static void create_rejects_a_missing_backend(void **state)
{
	struct co_config cfg;
	struct co_vm *vm = (void *)1;
	char err[256];

	co_config_init(&cfg);
	assert_int_equal(co_config_parse_arg(&cfg, "cobd3=/nonexistent/disk.img",
					     err, sizeof(err)), 0);
	co_sim_log_capture(NULL, 0);
	assert_int_not_equal(co_vm_create(&cfg, &co_test_cpu_ops, &vm), 0);
	assert_null(vm);
	co_config_free(&cfg);
	assert_int_equal(co_sim_leak_check(), 0);
	assert_int_not_equal(co_vm_create(&cfg, NULL, &vm), 0);
	co_sim_reset();
}

/* Host objects outstanding now, of every kind. */
static uint64_t outstanding(void)
{
	uint64_t n = 0;
	int obj;

	for (obj = 0; obj < CO_SIM_OBJ_NR; obj++)
		n += co_sim_in_use(obj);
	return n;
}

/* Fail call n of @cls for n = 1, 2, ... until creation succeeds. */
static void create_fails_cleanly(enum co_sim_fault_class cls, bool contiguous)
{
	struct co_config cfg;
	unsigned long n;
	int err = -1;

	uint64_t base;

	build_config(&cfg, contiguous);
	base = outstanding();
	co_sim_log_level(-1);
	for (n = 1; err; n++) {
		struct co_vm *vm = NULL;

		assert_true(n < 10000);
		co_sim_fault_reset();
		co_sim_fault_fail_nth(cls, n, 0);
		err = co_vm_create(&cfg, &co_test_cpu_ops, &vm);
		if (err) {
			assert_null(vm);
			assert_int_equal(co_sim_fault_injected(cls), 1);
		} else {
			/* Success only once no failure was injected. */
			assert_int_equal(co_sim_fault_injected(cls), 0);
			co_vm_destroy(vm);
		}
		if (outstanding() != base)
			fail_msg("leak after failing call %lu", n);
	}
	print_message("creation survived %lu injected failures\n", n - 2);
	assert_true(n > 3);
	co_sim_fault_reset();
	co_sim_log_level(CO_LOG_WARN);
	co_config_free(&cfg);
}

static void every_allocation_can_fail_paged(void **state)
{
	create_fails_cleanly(CO_SIM_FAULT_ANY_ALLOC, false);
}

static void every_allocation_can_fail_contiguous(void **state)
{
	create_fails_cleanly(CO_SIM_FAULT_ANY_ALLOC, true);
}

static void every_file_open_can_fail(void **state)
{
	create_fails_cleanly(CO_SIM_FAULT_FILE_OPEN, false);
}

static void step_off(struct co_test_guest *g, unsigned int entry)
{
	co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
}

/* Load and start allocate too (kernel copy, boot tables, CPU attach). */
static void load_and_start_fail_cleanly(void **state)
{
	static const char code[] = "\xf4";
	unsigned long n;
	size_t len;
	void *elf = co_test_make_elf(0, code, 1, &len);
	uint64_t base = outstanding();
	int err = -1;

	co_sim_log_level(-1);
	for (n = 1; err; n++) {
		struct co_test_guest *g;
		struct co_vm_exit exit;
		char msg[256];

		assert_true(n < 10000);
		co_sim_fault_reset();
		assert_int_equal(co_test_create(NULL, step_off, NULL, &g), 0);
		co_sim_fault_fail_nth(CO_SIM_FAULT_ANY_ALLOC, n, 0);
		err = co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg));
		if (!err)
			err = co_vm_start(g->vm);
		if (!err) {
			assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_ANY_ALLOC), 0);
			assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
		}
		co_test_destroy(g);
		if (outstanding() != base)
			fail_msg("leak after failing call %lu", n);
	}
	co_sim_fault_reset();
	co_sim_log_level(CO_LOG_WARN);
	free(elf);
}

static void ram_size_limits(void **state)
{
	static const struct { uint64_t mb; bool ok; } cases[] = {
		{ 16, true }, { 18, true }, { 1024, true },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct co_config cfg;
		struct co_vm *vm;
		int err;

		co_config_init(&cfg);
		cfg.mem_bytes = cases[i].mb << 20;
		err = co_vm_create(&cfg, &co_test_cpu_ops, &vm);
		assert_int_equal(err == 0, cases[i].ok);
		if (!err) {
			assert_int_equal(co_vm_ram_size(vm), cases[i].mb << 20);
			co_vm_destroy(vm);
		}
		co_config_free(&cfg);
		assert_int_equal(co_sim_leak_check(), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_has_every_device),
		cmocka_unit_test(create_rejects_a_missing_backend),
		cmocka_unit_test(every_allocation_can_fail_paged),
		cmocka_unit_test(every_allocation_can_fail_contiguous),
		cmocka_unit_test(every_file_open_can_fail),
		cmocka_unit_test(load_and_start_fail_cleanly),
		cmocka_unit_test(ram_size_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
