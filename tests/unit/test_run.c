// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop as a guest sees it: operations, their results, protocol
 * violations, idling, interrupts, and the lifecycle around a run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>
#include "co_test.h"
#include "internal/vm.h"

static const char *const base_args[] = { "mem=16", NULL };

static void step_terminate(struct co_test_guest *g, unsigned int entry)
{
	assert_int_equal(entry, 0);
	assert_int_equal(g->sh->op, CO_OP_START);
	co_test_terminate(g, CO_TERM_POWEROFF, 42, "bye from the guest");
}

static void poweroff_with_code_and_text(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_terminate, NULL, &g), 0);
	assert_int_equal(co_vm_state(g->vm), CO_VM_STARTED);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 42);
	assert_string_equal(exit.text, "bye from the guest");
	assert_int_equal(co_vm_state(g->vm), CO_VM_STOPPED);
	/* A stopped VM does not run again without a reset. */
	assert_int_equal(co_vm_run(g->vm, &exit), -CO_ESTATE);
	co_test_destroy(g);
}

struct time_ctx {
	uint64_t mono[2], wall[2];
};

static void step_time(struct co_test_guest *g, unsigned int entry)
{
	struct time_ctx *t = g->ctx;

	if (entry > 0) {
		assert_int_equal(g->sh->op, CO_OP_RETURN);
		assert_int_equal(g->sh->result, CO_ST_OK);
		t->mono[entry - 1] = g->sh->param[0];
		t->wall[entry - 1] = g->sh->param[1];
	}
	if (entry < 2)
		co_test_op(g, CO_OP_GET_TIME, 0, 0, 0);
	else
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
}

static void get_time_is_host_time(void **state)
{
	struct time_ctx t = { 0 };
	struct co_test_guest *g;
	struct co_vm_exit exit;
	uint64_t before = co_host_monotonic_ns();

	assert_int_equal(co_test_boot(base_args, step_time, &t, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	assert_true(t.mono[0] >= before);
	assert_true(t.mono[1] >= t.mono[0]);
	assert_true(t.mono[1] <= co_host_monotonic_ns());
	/* Wall clock: after 2020, and consistent with the host's. */
	assert_true(t.wall[0] > 1577836800ULL * 1000000000ULL);
	assert_true(t.wall[1] >= t.wall[0]);
	co_test_destroy(g);
}

struct op_case {
	uint32_t op;
	uint64_t p[3];
	const char *expect;	/* in the diagnostic */
};

static void step_bad_op(struct co_test_guest *g, unsigned int entry)
{
	const struct op_case *c = g->ctx;

	assert_int_equal(entry, 0);
	co_test_op(g, c->op, c->p[0], c->p[1], c->p[2]);
}

static void protocol_violations_stop_the_vm(void **state)
{
	static const struct op_case cases[] = {
		{ 999, { 0 }, "unknown operation 999" },
		{ CO_OP_START, { 0 }, "unknown operation 1" },
		{ CO_OP_RETURN, { 0 }, "unknown operation 2" },
		{ CO_OP_TERMINATE, { CO_TERM_PROTOCOL, 0, 0 }, "only the host may use" },
		{ CO_OP_TERMINATE, { 12345, 0, 0 }, "only the host may use" },
		{ CO_OP_TERMINATE, { CO_TERM_PANIC, 0, CO_TEXT_SIZE }, "exceeds" },
		{ CO_OP_TERMINATE, { CO_TERM_PANIC, 0, ~0ULL }, "exceeds" },
		{ CO_OP_DEBUG_PRINT, { 1ULL << 40, 0, 0 }, "exceeds" },
		{ CO_OP_FORWARD_IRQ, { 14, 0, 0 }, "not an external interrupt" },
		{ CO_OP_FORWARD_IRQ, { 256, 0, 0 }, "not an external interrupt" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct co_test_guest *g;
		struct co_vm_exit exit;

		assert_int_equal(co_test_boot(base_args, step_bad_op,
					      (void *)&cases[i], &g), 0);
		assert_int_equal(co_test_run(g, &exit), CO_TERM_PROTOCOL);
		if (!strstr(exit.text, cases[i].expect))
			fail_msg("case %u: \"%s\" lacks \"%s\"", i, exit.text,
				 cases[i].expect);
		co_test_destroy(g);
	}
}

static void step_panic_max_text(struct co_test_guest *g, unsigned int entry)
{
	memset(g->sh->text, 'x', CO_TEXT_SIZE);
	co_test_op(g, CO_OP_TERMINATE, CO_TERM_PANIC, 7, CO_TEXT_SIZE - 1);
}

static void panic_text_at_the_limit(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_panic_max_text, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_PANIC);
	assert_int_equal(strlen(exit.text), CO_TEXT_SIZE - 1);
	co_test_destroy(g);
}

/* Three lines, an empty one, and a line longer than a log line holds. */
static void step_debug_print(struct co_test_guest *g, unsigned int entry)
{
	char *t = (char *)g->sh->text;
	size_t n;

	if (entry) {
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	n = (size_t)sprintf(t, "one\ntwo\n\nthree ");
	memset(t + n, 'x', 900);
	n += 900;
	t[n++] = '\n';
	co_test_op(g, CO_OP_DEBUG_PRINT, n, 0, 0);
}

static void debug_print_logs_each_line(void **state)
{
	static char log[8192];
	static const char *const want[] = {
		"info: guest: one\n", "info: guest: two\n", "info: guest: \n",
	};
	struct co_test_guest *g;
	struct co_vm_exit exit;
	const char *p;
	size_t xs = 0, pieces = 0, i;

	co_sim_log_capture(log, sizeof(log));
	assert_int_equal(co_test_boot(base_args, step_debug_print, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	co_sim_log_capture(NULL, 0);
	co_test_destroy(g);
	p = log;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_memory_equal(p, want[i], strlen(want[i]));
		p += strlen(want[i]);
	}
	/*
	 * The long line: in pieces that each fit a log line (co_log's 512
	 * bytes), nothing lost, no empty line after the final newline.
	 */
	assert_memory_equal(p, "info: guest: three xxx", 22);
	while (!strncmp(p, "info: guest: ", 13)) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_true(nl - p < 512);
		for (p += 13; p < nl; p++)
			xs += *p == 'x';
		p = nl + 1;
		pieces++;
	}
	assert_int_equal(xs, 900);
	assert_true(pieces >= 2);
	assert_null(strstr(p, "info: guest:"));
}

static void step_forward(struct co_test_guest *g, unsigned int entry)
{
	if (entry < 5)
		co_test_op(g, CO_OP_FORWARD_IRQ, 32 + entry, 0, 0);
	else
		co_test_terminate(g, CO_TERM_HALT, 0, "");
}

static void forwarded_irqs_are_counted(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;
	struct co_vm_stats st;

	assert_int_equal(co_test_boot(base_args, step_forward, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_HALT);
	co_vm_stats(g->vm, &st);
	assert_int_equal(st.host_irqs, 5);
	assert_int_equal(st.switches, 6);
	assert_int_equal(st.ops[CO_OP_FORWARD_IRQ], 5);
	co_test_destroy(g);
}

static void step_spin(struct co_test_guest *g, unsigned int entry)
{
	co_test_op(g, CO_OP_YIELD, 0, 0, 0);
}

static void a_guest_that_never_stops_is_reported(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_spin, NULL, &g), 0);
	g->max_entries = 1000;
	assert_int_equal(co_test_run(g, &exit), CO_TERM_HUNG);
	assert_non_null(strstr(exit.text, "budget"));
	co_test_destroy(g);
}

static void step_idle_forever(struct co_test_guest *g, unsigned int entry)
{
	assert_int_equal(entry, 0);
	co_test_op(g, CO_OP_IDLE, 0, 0, 0);
}

static void idle_with_nothing_to_wake_is_a_deadlock(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_idle_forever, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_DEADLOCK);
	co_test_destroy(g);
}

struct sleep_ctx {
	uint64_t start, woke;
};

static void step_sleep(struct co_test_guest *g, unsigned int entry)
{
	struct sleep_ctx *s = g->ctx;

	switch (entry) {
	case 0:
		co_test_unmask(g, CO_IRQ_TIMER);
		co_test_op(g, CO_OP_GET_TIME, 0, 0, 0);
		break;
	case 1:
		s->start = g->sh->param[0];
		co_test_op(g, CO_OP_SET_TIMER, s->start + 5000000, 0, 0);
		break;
	case 2:
		co_test_op(g, CO_OP_IDLE, 0, 0, 0);
		break;
	case 3:
		assert_true(co_test_irq_take(g, CO_IRQ_TIMER));
		co_test_op(g, CO_OP_GET_TIME, 0, 0, 0);
		break;
	default:
		s->woke = g->sh->param[0];
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
	}
}

static void idle_sleeps_until_the_timer(void **state)
{
	struct sleep_ctx s = { 0 };
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_sleep, &s, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	/* Virtual time: exactly the deadline, not "about 5 ms". */
	assert_true(s.woke >= s.start + 5000000);
	assert_true(s.woke < s.start + 5000000 + 1000000);
	co_test_destroy(g);
}

static void step_masked_timer(struct co_test_guest *g, unsigned int entry)
{
	/* The timer line stays masked: its interrupt must not end the idle. */
	if (entry == 0)
		co_test_op(g, CO_OP_SET_TIMER, co_host_monotonic_ns() + 1000, 0, 0);
	else
		co_test_op(g, CO_OP_IDLE, 0, 0, 0);
}

static void a_masked_interrupt_does_not_wake(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_masked_timer, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_DEADLOCK);
	assert_true(g->sh->irq_pending[0] & (1ULL << CO_IRQ_TIMER));
	co_test_destroy(g);
}

static void step_queue_setup_bad(struct co_test_guest *g, unsigned int entry)
{
	switch (entry) {
	case 0:	/* no device owns queue 200 */
		co_test_op(g, CO_OP_QUEUE_SETUP, 200, 0x400000, 4);
		break;
	case 1:
		assert_int_equal(g->sh->result, CO_ST_INVAL);
		co_test_op(g, CO_OP_QUEUE_SETUP, 100000, 0x400000, 4);
		break;
	case 2:
		assert_int_equal(g->sh->result, CO_ST_INVAL);
		/* the console's queue, a ring larger than allowed */
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, 0x400000,
			   CO_RING_MAX_LOG2 + 1);
		break;
	case 3:
		assert_int_equal(g->sh->result, CO_ST_INVAL);
		/* a ring outside guest RAM */
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT,
			   co_vm_ram_base(g->vm) + co_vm_ram_size(g->vm), 4);
		break;
	case 4:
		assert_int_not_equal(g->sh->result, CO_ST_OK);
		/* doorbells of queues nobody owns are ignored */
		co_test_doorbell(g, 200);
		co_test_doorbell(g, 255);
		co_test_op(g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	default:
		assert_int_equal(g->sh->result, CO_ST_OK);
		assert_int_equal(g->sh->doorbell[3], 0);
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
	}
}

static void queue_setup_is_validated(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_queue_setup_bad, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	co_test_destroy(g);
}

/*
 * A doorbell served before the operation finds a broken ring: the VM
 * stops there, and the operation of the same switch is not carried out.
 */
static void step_bell_then_setup(struct co_test_guest *g, unsigned int entry)
{
	uint64_t *gpa = g->ctx;
	struct co_ring_ctl *ctl;

	switch (entry) {
	case 0:
		gpa[0] = co_test_scratch_gpa(g, 3 * CO_PAGE_SIZE);
		gpa[1] = gpa[0] + 2 * CO_PAGE_SIZE;
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, gpa[0], 2);
		break;
	case 1:
		assert_int_equal(g->sh->result, CO_ST_OK);
		ctl = co_test_gpa_ptr(g, gpa[0]);
		ctl->req_prod = 9;	/* 4 entries */
		co_test_doorbell(g, CO_QUEUE_COCON_OUT);
		/* Set-up would zero this control block. */
		memset(co_test_gpa_ptr(g, gpa[1]), 0xa5, sizeof(*ctl));
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, gpa[1], 2);
		break;
	default:
		fail_msg("entered again after a protocol violation");
	}
}

static void no_operation_after_a_doorbell_stopped_the_vm(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;
	uint64_t gpa[2];
	uint8_t *p;
	unsigned int i;

	assert_int_equal(co_test_boot(base_args, step_bell_then_setup, gpa, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_PROTOCOL);
	assert_non_null(strstr(exit.text, "req_prod 9"));
	assert_int_equal(co_vm_queue(g->vm, CO_QUEUE_COCON_OUT)->gpa, gpa[0]);
	p = co_test_gpa_ptr(g, gpa[1]);
	for (i = 0; i < sizeof(struct co_ring_ctl); i++)
		assert_int_equal(p[i], 0xa5);
	/* Not answered either. */
	assert_int_equal(g->sh->op, CO_OP_QUEUE_SETUP);
	co_test_destroy(g);
}

static void step_kick(struct co_test_guest *g, unsigned int entry)
{
	if (entry == 2)
		co_vm_kick(g->vm);
	if (entry < 4)
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
	else
		co_test_terminate(g, CO_TERM_POWEROFF, 3, "");
}

static void kick_returns_and_run_resumes(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_kick, NULL, &g), 0);
	assert_int_equal(co_vm_run(g->vm, &exit), -CO_EBUSY);
	assert_int_equal(g->entries, 3);
	assert_int_equal(co_vm_state(g->vm), CO_VM_RUNNING);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 3);
	assert_int_equal(g->entries, 5);
	co_test_destroy(g);
}

static void step_power(struct co_test_guest *g, unsigned int entry)
{
	switch (entry) {
	case 0:
		co_test_unmask(g, CO_IRQ_POWER);
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
		assert_int_equal(co_vm_post_power(g->vm, CO_POWER_CTRL_ALT_DEL), 0);
		break;
	case 1:
		assert_true(co_test_irq_take(g, CO_IRQ_POWER));
		assert_int_equal(g->sh->power_event, CO_POWER_CTRL_ALT_DEL);
		co_test_terminate(g, CO_TERM_REBOOT, 0, "");
		break;
	}
}

static void power_events_reach_the_guest(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_power, NULL, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_REBOOT);
	co_test_destroy(g);
}

static void lifecycle_states_are_enforced(void **state)
{
	struct co_test_guest *g;
	struct co_vm_exit exit;
	size_t len;
	void *elf;
	char msg[128];

	assert_int_equal(co_test_create(base_args, step_terminate, NULL, &g), 0);
	assert_int_equal(co_vm_state(g->vm), CO_VM_CREATED);
	assert_int_equal(co_vm_start(g->vm), -CO_ESTATE);
	assert_int_equal(co_vm_run(g->vm, &exit), -CO_ESTATE);

	elf = co_test_make_elf(0, "\xf4", 1, &len);
	assert_int_equal(co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg)), 0);
	assert_int_equal(co_vm_state(g->vm), CO_VM_LOADED);
	assert_int_equal(co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg)),
			 -CO_ESTATE);
	assert_int_equal(co_vm_run(g->vm, &exit), -CO_ESTATE);
	assert_int_equal(co_vm_start(g->vm), 0);
	assert_int_equal(co_vm_start(g->vm), -CO_ESTATE);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);

	/* Reset: back to CREATED, RAM zeroed, and the VM boots again. */
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_int_equal(co_vm_state(g->vm), CO_VM_CREATED);
	assert_false(g->attached);
	assert_int_equal(co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg)), 0);
	assert_int_equal(co_vm_start(g->vm), 0);
	g->entries = 0;
	assert_int_equal(co_test_run(g, &exit), CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 42);
	free(elf);
	co_test_destroy(g);
}

/*
 * A device whose deadline stays in the past while its poll does nothing
 * (a monitor bug): the idle loop must stop the VM, not spin forever.
 */
static uint64_t stuck_deadline(struct co_device *dev)
{
	return 0;
}

static void stuck_destroy(struct co_device *dev)
{
}

static const struct co_device_ops stuck_ops = {
	.name = "stuck",
	.next_deadline = stuck_deadline,
	.destroy = stuck_destroy,
};

static void a_stuck_deadline_does_not_spin_forever(void **state)
{
	struct co_device stuck = { .ops = &stuck_ops };
	struct co_test_guest *g;
	struct co_vm_exit exit;

	assert_int_equal(co_test_boot(base_args, step_idle_forever, NULL, &g), 0);
	stuck.vm = g->vm;
	g->vm->dev[g->vm->nr_dev++] = &stuck;
	assert_int_equal(co_test_run(g, &exit), CO_TERM_HOST);
	assert_non_null(strstr(exit.text, "deadline in the past"));
	g->vm->dev[--g->vm->nr_dev] = NULL;
	co_test_destroy(g);
}

/* One mapping for every front end: the guest's code, or a fixed status. */
static void exit_statuses_and_reason_names(void **state)
{
	assert_int_equal(co_term_exit_status(CO_TERM_POWEROFF, 0), 0);
	assert_int_equal(co_term_exit_status(CO_TERM_POWEROFF, 42), 42);
	assert_int_equal(co_term_exit_status(CO_TERM_POWEROFF, 0x1ff), 0xff);
	assert_int_equal(co_term_exit_status(CO_TERM_REBOOT, 9), 0);
	assert_int_equal(co_term_exit_status(CO_TERM_HALT, 9), 0);
	assert_int_equal(co_term_exit_status(CO_TERM_HOST, 9), 0);
	assert_int_equal(co_term_exit_status(CO_TERM_PANIC, 0), CO_EXIT_GUEST_ERROR);
	assert_int_equal(co_term_exit_status(CO_TERM_BUG, 0), CO_EXIT_GUEST_ERROR);
	assert_int_equal(co_term_exit_status(CO_TERM_PROTOCOL, 0), CO_EXIT_PROTOCOL);
	assert_int_equal(co_term_exit_status(CO_TERM_CPU_FAULT, 0), CO_EXIT_CPU_FAULT);
	assert_int_equal(co_term_exit_status(CO_TERM_HUNG, 0), CO_EXIT_HUNG);
	assert_int_equal(co_term_exit_status(CO_TERM_DEADLOCK, 0), CO_EXIT_DEADLOCK);
	assert_string_equal(co_term_reason_name(CO_TERM_PANIC), "guest panic");
	assert_string_equal(co_term_reason_name(CO_TERM_HOST), "stopped by the host");
	assert_string_equal(co_term_reason_name(5), "unknown reason");
	assert_string_equal(co_term_reason_name(-1), "unknown reason");
	assert_string_equal(co_term_reason_name(CO_TERM_MAX), "unknown reason");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(poweroff_with_code_and_text),
		cmocka_unit_test(get_time_is_host_time),
		cmocka_unit_test(protocol_violations_stop_the_vm),
		cmocka_unit_test(panic_text_at_the_limit),
		cmocka_unit_test(debug_print_logs_each_line),
		cmocka_unit_test(forwarded_irqs_are_counted),
		cmocka_unit_test(a_guest_that_never_stops_is_reported),
		cmocka_unit_test(idle_with_nothing_to_wake_is_a_deadlock),
		cmocka_unit_test(idle_sleeps_until_the_timer),
		cmocka_unit_test(a_masked_interrupt_does_not_wake),
		cmocka_unit_test(queue_setup_is_validated),
		cmocka_unit_test(no_operation_after_a_doorbell_stopped_the_vm),
		cmocka_unit_test(kick_returns_and_run_resumes),
		cmocka_unit_test(power_events_reach_the_guest),
		cmocka_unit_test(lifecycle_states_are_enforced),
		cmocka_unit_test(exit_statuses_and_reason_names),
		cmocka_unit_test(a_stuck_deadline_does_not_spin_forever),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
