// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts and exceptions around the passage under Unicorn: host
 * interrupts that hit the guest are forwarded and re-raised in the host,
 * guest exceptions go through the guest's IDT, and CPU-level failures end
 * the entry with a diagnostic instead of a hang.
 */
#include <stdio.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"

#define setup	tg_setup
#define teardown	tg_teardown

/*
 * Run the guest until it yields, re-raising every forwarded interrupt in
 * the host. Returns how many were forwarded; their vectors go to @vec.
 */
static unsigned int run_to_yield(struct tg *t, unsigned int *vec,
				 unsigned int max)
{
	unsigned int n = 0;

	for (;;) {
		tg_enter_ok(t);
		if (t->sh->op == CO_OP_YIELD)
			return n;
		assert_int_equal(t->sh->op, CO_OP_FORWARD_IRQ);
		assert_true(n < max);
		vec[n++] = (unsigned int)t->sh->param[0];
		assert_int_equal(co_uc_host_irq(t->uc, vec[n - 1]), 0);
		t->sh->op = CO_OP_RETURN;
	}
}

static void check_sum(struct tg *t, uint64_t n)
{
	struct co_cpu_state rec;
	uint64_t want = n * (n + 1) / 2, lanes[2];

	memcpy(&rec, tg_ptr(t, tg_rec), sizeof(rec));
	assert_int_equal(rec.rbx, want);
	memcpy(lanes, rec.fxsave + 160, sizeof(lanes));
	assert_int_equal(lanes[0], want);
	assert_int_equal(lanes[1], want);
}

static void test_forward(void **state)
{
	const unsigned int want[] = { 0x31, 0x45, 0xee };
	struct co_cpu_state g, host0, host1;
	unsigned int vec[8], n, v;
	struct tg t;

	(void)state;
	tg_create(&t);
	assert_int_equal(co_uc_host_save(t.uc, &host0), 0);
	tg_guest_default(&t, &g, tg_work);
	g.rdi = 30000;
	t.sh->guest = g;
	assert_int_equal(co_uc_inject(t.uc, want[0], 2000), 0);
	assert_int_equal(co_uc_inject(t.uc, want[1], 50000), 0);
	assert_int_equal(co_uc_inject(t.uc, want[2], 120000), 0);
	n = run_to_yield(&t, vec, 8);
	assert_int_equal(n, 3);
	for (v = 0; v < 3; v++)
		assert_int_equal(vec[v], want[v]);
	for (v = 0; v < 256; v++)
		assert_int_equal(co_uc_host_irq_count(t.uc, v),
				 v == 0x31 || v == 0x45 || v == 0xee);
	assert_int_equal(tg_u64(&t, tg_irqs), 3);
	/* The interrupted loop came out right, registers and XMM alike. */
	check_sum(&t, 30000);
	/* And the host is exactly as it was, handlers and all. */
	assert_int_equal(co_uc_host_save(t.uc, &host1), 0);
	tg_assert_state("host after irqs", &host0, &host1, true, false);
	tg_destroy(&t);
}

/* An interrupt waits while the guest runs with IF clear. */
static void test_inject_waits_for_if(void **state)
{
	struct co_cpu_state g;
	unsigned int vec[4], i;
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_bounce);
	t.sh->guest = g;
	assert_int_equal(co_uc_inject(t.uc, 0x40, 0), 0);
	for (i = 0; i < 20; i++) {
		tg_enter_ok(&t);
		assert_int_not_equal(t.sh->op, CO_OP_FORWARD_IRQ);
	}
	assert_int_equal(tg_u64(&t, tg_irqs), 0);
	/* Now a guest that enables interrupts takes it at once. */
	tg_guest_default(&t, &g, tg_work);
	g.rdi = 100;
	t.sh->guest = g;
	assert_int_equal(run_to_yield(&t, vec, 4), 1);
	assert_int_equal(vec[0], 0x40);
	check_sum(&t, 100);
	tg_destroy(&t);
}

static void test_page_faults(void **state)
{
	struct co_cpu_state g;
	struct co_uc_stats st;
	uint64_t log[7];
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_pf_test);
	/*
	 * Not mapped by the guest's tables. The first two lie in host RAM
	 * (Unicorn walks the tables and reports #PF to the hook); the third
	 * is not even a Unicorn region (the back-end walks and raises #PF).
	 * The second #PF would be a #DF without the old_exception repair.
	 */
	g.rdi = t.ram_base + (2ULL << 20) + 0x123;
	g.rsi = t.ram_base + (4ULL << 20) + 0x10;
	g.rbx = 0x500000000000ULL;
	t.sh->guest = g;
	tg_enter_ok(&t);
	assert_int_equal(t.sh->op, CO_OP_YIELD);
	memcpy(log, tg_ptr(&t, tg_pf_log), sizeof(log));
	assert_int_equal(log[0], 3);
	assert_int_equal(log[1], g.rdi);
	assert_int_equal(log[2], 0);		/* read, not present */
	assert_int_equal(log[3], g.rsi);
	assert_int_equal(log[4], 2);		/* write, not present */
	assert_int_equal(log[5], g.rbx);
	assert_int_equal(log[6], 0);
	co_uc_stats(t.uc, &st);
	assert_int_equal(st.exceptions, 3);
	tg_destroy(&t);
}

static void expect_fault(struct tg *t, int reason, const char *const *needles)
{
	struct co_vm_exit exit;

	memset(&exit, 0, sizeof(exit));
	assert_int_equal(co_uc_enter(t->uc, &exit), -CO_EIO);
	assert_int_equal(exit.reason, reason);
	for (; *needles; needles++) {
		if (!strstr(exit.text, *needles))
			print_error("\"%s\" not in \"%s\"\n", *needles,
				    exit.text);
		assert_non_null(strstr(exit.text, *needles));
	}
	/* The CPU stays stopped. */
	assert_int_equal(co_uc_enter(t->uc, &exit), -CO_EIO);
	assert_int_equal(exit.reason, CO_TERM_CPU_FAULT);
}

/* A #PF with nowhere to go: triple fault, named with vector, RIP, CR2. */
static void test_triple_fault(void **state)
{
	char rip[64], cr2[64];
	const char *needles[] = { "triple fault", "vector 14", rip, cr2,
				  NULL };
	struct co_cpu_state g;
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_pf_test);
	g.idtr.limit = 0;
	g.rdi = 0x500000000000ULL;
	t.sh->guest = g;
	snprintf(rip, sizeof(rip), "RIP 0x%llx",
		 (unsigned long long)tg_va(&t, tg_pf_test));
	snprintf(cr2, sizeof(cr2), "CR2 0x%llx", (unsigned long long)g.rdi);
	expect_fault(&t, CO_TERM_CPU_FAULT, needles);
	tg_destroy(&t);
}

/* #UD without a handler (Unicorn reports it as an error, not a hook). */
static void test_invalid_opcode(void **state)
{
	char rip[64];
	const char *needles[] = { "vector 6", rip, NULL };
	struct co_cpu_state g;
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_ud);
	t.sh->guest = g;
	snprintf(rip, sizeof(rip), "RIP 0x%llx",
		 (unsigned long long)tg_va(&t, tg_ud));
	expect_fault(&t, CO_TERM_CPU_FAULT, needles);
	tg_destroy(&t);
}

/* A guest that never switches back runs out of its budget. */
static void test_hung(void **state)
{
	const char *needles[] = { "100000 instructions", NULL };
	struct co_cpu_state g;
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_spin);
	t.sh->guest = g;
	co_uc_set_budget(t.uc, 100000);
	expect_fault(&t, CO_TERM_HUNG, needles);
	tg_destroy(&t);
}

static void test_host_irq_args(void **state)
{
	struct tg t;

	(void)state;
	tg_create(&t);
	assert_int_equal(co_uc_host_irq(t.uc, 5), -CO_EINVAL);
	assert_int_equal(co_uc_host_irq(t.uc, 256), -CO_EINVAL);
	assert_int_equal(co_uc_inject(t.uc, 256, 0), -CO_EINVAL);
	/* The vector the boot parameters promise the host never raises. */
	assert_int_equal(co_uc_inject(t.uc, CO_UC_VIRQ_VECTOR, 0), -CO_EINVAL);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(co_uc_inject(t.uc, 0x20 + i, 1 << 30), 0);
	assert_int_equal(co_uc_inject(t.uc, 0x40, 0), -CO_EINVAL);
	/* Handled in the host, counted once. */
	assert_int_equal(co_uc_host_irq(t.uc, 0x99), 0);
	assert_int_equal(co_uc_host_irq_count(t.uc, 0x99), 1);
	tg_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_waits_for_if, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_page_faults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_opcode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hung, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_irq_args, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
