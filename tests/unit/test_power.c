// SPDX-License-Identifier: GPL-2.0
/*
 * Power events: what the guest finds in the shared page and on its
 * interrupt line, and what happens to events that do not exist.
 */
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include <colinux/lib.h>
#include "internal/vm.h"

struct env {
	struct co_test_guest *g;
	struct co_device *power;
	uint32_t op;
	bool idling;
	uint32_t seen_event;	/* what the guest read after IDLE */
	bool seen_irq;
};

static const char *const base_args[] = { "mem=16", NULL };

static void step(struct co_test_guest *g, unsigned int entry)
{
	struct env *e = g->ctx;

	if (e->idling) {
		e->idling = false;
		e->seen_irq = co_test_irq_take(g, CO_IRQ_POWER);
		e->seen_event = g->sh->power_event;
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
		co_vm_kick(g->vm);
		return;
	}
	co_test_op(g, e->op, 0, 0, 0);
	if (e->op == CO_OP_IDLE)
		e->idling = true;
	else
		co_vm_kick(g->vm);
}

static void guest_op(struct env *e, uint32_t op)
{
	struct co_vm_exit exit;

	e->op = op;
	assert_int_equal(co_vm_run(e->g->vm, &exit), -CO_EBUSY);
	assert_int_equal(e->g->sh->result, CO_ST_OK);
}

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(co_test_boot(base_args, step, e, &e->g), 0);
	e->power = co_vm_device(e->g->vm, CO_DEV_POWER, 0);
	assert_non_null(e->power);
	assert_int_equal(e->power->info.irq, CO_IRQ_POWER);
	assert_int_equal(e->power->info.nr_queues, 0);
	return e;
}

static void env_free(struct env *e)
{
	co_test_destroy(e->g);
	free(e);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

static void test_events_reach_guest(void **state)
{
	struct env *e = env_new();

	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->g->sh->power_event, CO_POWER_NONE);
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));

	/* Posted: it waits in the mailbox until the VM runs. */
	assert_int_equal(co_vm_post_power(e->g->vm, CO_POWER_CTRL_ALT_DEL), 0);
	assert_int_equal(e->g->sh->power_event, CO_POWER_NONE);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->g->sh->power_event, CO_POWER_CTRL_ALT_DEL);
	assert_true(co_test_irq_take(e->g, CO_IRQ_POWER));

	/* An idle guest with the line unmasked wakes up and sees it. */
	co_test_unmask(e->g, CO_IRQ_POWER);
	assert_int_equal(co_vm_post_power(e->g->vm, CO_POWER_SHUTDOWN), 0);
	guest_op(e, CO_OP_IDLE);
	assert_true(e->seen_irq);
	assert_int_equal(e->seen_event, CO_POWER_SHUTDOWN);
	env_free(e);
}

static void test_newer_event_replaces(void **state)
{
	struct env *e = env_new();

	co_power_send(e->power, CO_POWER_CTRL_ALT_DEL);
	co_power_send(e->power, CO_POWER_SHUTDOWN);
	assert_int_equal(e->g->sh->power_event, CO_POWER_SHUTDOWN);
	assert_true(co_test_irq_take(e->g, CO_IRQ_POWER));
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));
	env_free(e);
}

static void test_invalid_events(void **state)
{
	static const unsigned int bad[] = { CO_POWER_NONE, 3, 0x100, ~0u };
	struct env *e = env_new();
	struct co_device *timer = co_vm_device(e->g->vm, CO_DEV_TIMER, 0);
	char log[4096];
	unsigned int i;

	co_sim_log_capture(log, sizeof(log));
	co_power_send(e->power, CO_POWER_CTRL_ALT_DEL);
	co_test_irq_take(e->g, CO_IRQ_POWER);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Refused at the mailbox, and ignored by the device. */
		assert_int_equal(co_vm_post_power(e->g->vm, bad[i]), -CO_EINVAL);
		guest_op(e, CO_OP_YIELD);
		co_power_send(e->power, bad[i]);
		/* Nothing changes for the guest... */
		assert_int_equal(e->g->sh->power_event, CO_POWER_CTRL_ALT_DEL);
		assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));
	}
	/* ...and each was logged. */
	assert_true(co_sim_log_contains("unknown event 0"));
	assert_true(co_sim_log_contains("unknown event 3"));
	assert_true(co_sim_log_contains("unknown event 256"));
	assert_true(co_sim_log_contains("unknown event 4294967295"));
	/* Not a power device, or none: ignored. */
	co_power_send(NULL, CO_POWER_SHUTDOWN);
	co_power_send(timer, CO_POWER_SHUTDOWN);
	assert_int_equal(e->g->sh->power_event, CO_POWER_CTRL_ALT_DEL);
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));
	co_sim_log_capture(NULL, 0);
	env_free(e);
}

static void test_reset_and_create(void **state)
{
	struct env *e = env_new();
	struct co_device *d = NULL;

	co_power_send(e->power, CO_POWER_SHUTDOWN);
	e->power->ops->reset(e->power);
	assert_int_equal(e->g->sh->power_event, CO_POWER_NONE);
	assert_int_equal(e->power->ops->next_deadline(e->power),
			 CO_NO_DEADLINE);

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_int_equal(co_power_create(e->g->vm, &d), -CO_ENOMEM);
	co_sim_fault_reset();
	assert_null(d);
	assert_int_equal(co_power_create(e->g->vm, &d), 0);
	d->ops->destroy(d);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_reach_guest),
		cmocka_unit_test(test_newer_event_replaces),
		cmocka_unit_test(test_invalid_events),
		cmocka_unit_test(test_reset_and_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
