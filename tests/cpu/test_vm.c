// SPDX-License-Identifier: GPL-2.0
/*
 * The whole path under Unicorn: co_vm_create with the Unicorn CPU,
 * load a minimal ELF guest, co_vm_start (boot page tables, initial context
 * in the shared page, attach), co_vm_run. The guest prints, takes one
 * forwarded host interrupt and powers off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"
#include "internal/vm.h"

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

static struct co_vm *boot(bool contiguous, int *start_err)
{
	struct co_config cfg;
	struct co_vm *vm;
	char err[256];
	size_t len;
	void *image = read_file(CO_CPU_GUEST_ELF, &len);

	co_config_init(&cfg);
	cfg.mem_bytes = 32ULL << 20;
	cfg.contiguous = contiguous;
	assert_int_equal(co_vm_create(&cfg, &co_unicorn_cpu_ops, &vm), 0);
	co_config_free(&cfg);
	assert_int_equal(co_vm_load_kernel(vm, image, len, err, sizeof(err)),
			 0);
	free(image);
	*start_err = co_vm_start(vm);
	return vm;
}

static void test_boot_print_irq_poweroff(void **state)
{
	char log[8192];
	struct co_vm_exit exit;
	struct co_vm_stats st;
	struct co_uc_stats ust;
	struct co_vm *vm;
	struct co_uc *u;
	int err;

	(void)state;
	co_sim_log_level(CO_LOG_INFO);
	co_sim_log_capture(log, sizeof(log));
	vm = boot(true, &err);
	assert_int_equal(err, 0);
	/* The back-end's handle: the VM's CPU private data. */
	u = vm->cpu_priv;
	assert_non_null(u);
	assert_int_equal(co_uc_inject(u, 0x50, 20000), 0);
	assert_int_equal(co_vm_run(vm, &exit), 0);
	co_sim_log_capture(NULL, 0);
	co_sim_log_level(CO_LOG_WARN);
	if (exit.reason != CO_TERM_POWEROFF)
		print_error("exit %d: %s\n", exit.reason, exit.text);
	assert_int_equal(exit.reason, CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 42);
	assert_string_equal(exit.text, "bye");
	assert_non_null(strstr(log, "guest: hello from the guest"));
	co_vm_stats(vm, &st);
	assert_int_equal(st.ops[CO_OP_DEBUG_PRINT], 1);
	assert_int_equal(st.ops[CO_OP_FORWARD_IRQ], 1);
	assert_int_equal(st.host_irqs, 1);
	assert_int_equal(co_uc_host_irq_count(u, 0x50), 1);
	co_uc_stats(u, &ust);
	assert_int_equal(ust.entries, 3);
	/* The kernel's own mapping (0xffffffff80200000) needed an alias. */
	assert_true(ust.aliases >= 1);
	co_vm_destroy(vm);
}

/* A guest that never yields ends the run as hung, not the test. */
static void test_hung_guest(void **state)
{
	struct co_vm_exit exit;
	struct co_vm *vm;
	int err;

	(void)state;
	vm = boot(true, &err);
	assert_int_equal(err, 0);
	/* No interrupt comes: the guest waits for one forever. */
	co_uc_set_budget(vm->cpu_priv, 2000000);
	co_sim_log_level(CO_LOG_ERROR - 1);
	assert_int_equal(co_vm_run(vm, &exit), 0);
	co_sim_log_level(CO_LOG_WARN);
	assert_int_equal(exit.reason, CO_TERM_HUNG);
	assert_non_null(strstr(exit.text, "without switching back"));
	co_vm_destroy(vm);
}

/*
 * Unicorn 2.0.1 runs identity-mapped RAM only (CO_CPU_CONTIGUOUS_RAM):
 * without memwindow= the monitor picks one window, and memwindow=paged is
 * refused when the VM is created, with the key named.
 */
static void test_paged_ram_refused(void **state)
{
	struct co_config cfg;
	struct co_vm *vm;
	char log[1024];
	int err;

	(void)state;
	vm = boot(false, &err);
	assert_int_equal(err, 0);
	assert_true(co_vm_config(vm)->contiguous);
	co_vm_destroy(vm);

	co_config_init(&cfg);
	cfg.mem_bytes = 32ULL << 20;
	assert_int_equal(co_config_parse_arg(&cfg, "memwindow=paged", log,
					     sizeof(log)), 0);
	co_sim_log_capture(log, sizeof(log));
	assert_int_equal(co_vm_create(&cfg, &co_unicorn_cpu_ops, &vm),
			 -CO_ENOTSUP);
	co_sim_log_capture(NULL, 0);
	assert_null(vm);
	assert_non_null(strstr(log, "memwindow=paged: the unicorn CPU back-end"));
	co_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boot_print_irq_poweroff,
						tg_setup, tg_teardown),
		cmocka_unit_test_setup_teardown(test_hung_guest, tg_setup,
						tg_teardown),
		cmocka_unit_test_setup_teardown(test_paged_ram_refused,
						tg_setup, tg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
