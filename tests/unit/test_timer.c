// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's one-shot timer on sim-host's virtual clock: it fires at the
 * first poll at or after its deadline and not before, exactly once; it
 * moves, cancels, and fires at once when already late; and the host
 * timer behind it only ever wakes the VM thread.
 *
 * The scripted guest does one operation per co_vm_run (its step kicks the
 * VM), except IDLE, after which it kicks on the next entry.
 */
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include <colinux/lib.h>
#include "internal/vm.h"

struct env {
	struct co_test_guest *g;
	struct co_device *timer;
	uint32_t op;
	uint64_t p0, p1;
	bool idling;
	uint64_t woke_at;	/* clock when IDLE returned */
};

static const char *const base_args[] = { "mem=16", NULL };

static void step(struct co_test_guest *g, unsigned int entry)
{
	struct env *e = g->ctx;

	if (e->idling) {
		/* Back from IDLE: report in, and hand control to the test. */
		e->idling = false;
		e->woke_at = co_host_monotonic_ns();
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
		co_vm_kick(g->vm);
		return;
	}
	co_test_op(g, e->op, e->p0, e->p1, 0);
	if (e->op == CO_OP_IDLE)
		e->idling = true;
	else
		co_vm_kick(g->vm);
}

static void guest_op(struct env *e, uint32_t op, uint64_t p0)
{
	struct co_vm_exit exit;

	e->op = op;
	e->p0 = p0;
	assert_int_equal(co_vm_run(e->g->vm, &exit), -CO_EBUSY);
	assert_int_equal(e->g->sh->result, CO_ST_OK);
}

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(co_test_boot(base_args, step, e, &e->g), 0);
	e->timer = co_vm_device(e->g->vm, CO_DEV_TIMER, 0);
	assert_non_null(e->timer);
	assert_int_equal(e->timer->info.irq, CO_IRQ_TIMER);
	assert_int_equal(e->timer->info.nr_queues, 0);
	return e;
}

static void env_free(struct env *e)
{
	co_test_destroy(e->g);
	free(e);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

static bool fired(struct env *e)
{
	return co_test_irq_take(e->g, CO_IRQ_TIMER);
}

static uint64_t next_deadline(struct env *e)
{
	return e->timer->ops->next_deadline(e->timer);
}

static void test_fires_at_deadline(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns(), dl = t0 + 1000;

	guest_op(e, CO_OP_SET_TIMER, dl);
	assert_int_equal(e->g->sh->timer_deadline, dl);
	assert_int_equal(next_deadline(e), dl);
	assert_false(fired(e));

	co_sim_clock_advance(999);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	assert_int_equal(e->g->sh->timer_deadline, dl);

	co_sim_clock_advance(1);	/* exactly the deadline */
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));
	assert_int_equal(e->g->sh->timer_deadline, 0);
	assert_int_equal(next_deadline(e), CO_NO_DEADLINE);

	/* One shot: no second interrupt. */
	co_sim_clock_advance(1000000);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	env_free(e);
}

static void test_rearm_and_order(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns();

	/* Moved earlier: fires at the new deadline. */
	guest_op(e, CO_OP_SET_TIMER, t0 + 1000);
	guest_op(e, CO_OP_SET_TIMER, t0 + 500);
	assert_int_equal(next_deadline(e), t0 + 500);
	co_sim_clock_advance_to(t0 + 499);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	co_sim_clock_advance_to(t0 + 500);
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));

	/* Moved later: the old deadline passes quietly. */
	guest_op(e, CO_OP_SET_TIMER, t0 + 2000);
	guest_op(e, CO_OP_SET_TIMER, t0 + 5000);
	co_sim_clock_advance_to(t0 + 4999);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	assert_int_equal(e->g->sh->timer_deadline, t0 + 5000);
	co_sim_clock_advance_to(t0 + 7000);
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));

	/* Three deadlines set one after another fire in order. */
	guest_op(e, CO_OP_SET_TIMER, t0 + 8000);
	co_sim_clock_advance_to(t0 + 8000);
	guest_op(e, CO_OP_SET_TIMER, t0 + 9000);
	/* The poll after that SET sees the new, future deadline only. */
	assert_false(fired(e));
	co_sim_clock_advance_to(t0 + 9000);
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));
	guest_op(e, CO_OP_SET_TIMER, t0 + 9500);
	co_sim_clock_advance_to(t0 + 9500);
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));
	env_free(e);
}

static void test_cancel(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns();

	guest_op(e, CO_OP_SET_TIMER, t0 + 1000);
	guest_op(e, CO_OP_SET_TIMER, 0);
	assert_int_equal(e->g->sh->timer_deadline, 0);
	assert_int_equal(next_deadline(e), CO_NO_DEADLINE);
	co_sim_clock_advance(10000);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	/* Cancelling nothing is harmless. */
	guest_op(e, CO_OP_SET_TIMER, 0);
	assert_false(fired(e));
	env_free(e);
}

static void test_past_deadline(void **state)
{
	struct env *e = env_new();
	uint64_t now = co_host_monotonic_ns();

	/* The poll that follows the operation itself fires it. */
	guest_op(e, CO_OP_SET_TIMER, now - 1);
	assert_true(fired(e));
	guest_op(e, CO_OP_SET_TIMER, 1);
	assert_true(fired(e));
	guest_op(e, CO_OP_SET_TIMER, now);
	assert_true(fired(e));
	assert_int_equal(e->g->sh->timer_deadline, 0);
	/* No time passed in any of this. */
	assert_int_equal(co_host_monotonic_ns(), now);
	env_free(e);
}

/* One SET_TIMER with p1 flags; returns its result. */
static int32_t guest_timer(struct env *e, uint64_t p0, uint64_t flags)
{
	struct co_vm_exit exit;

	e->op = CO_OP_SET_TIMER;
	e->p0 = p0;
	e->p1 = flags;
	assert_int_equal(co_vm_run(e->g->vm, &exit), -CO_EBUSY);
	e->p1 = 0;
	return e->g->sh->result;
}

/* CO_TIMER_RELATIVE: ns from the moment of the operation, one switch. */
static void test_relative(void **state)
{
	struct env *e = env_new();
	uint64_t now = co_host_monotonic_ns();

	assert_int_equal(guest_timer(e, 5000, CO_TIMER_RELATIVE), CO_ST_OK);
	assert_int_equal(e->g->sh->timer_deadline, now + 5000);
	co_sim_clock_advance(4999);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	co_sim_clock_advance(1);
	guest_op(e, CO_OP_YIELD, 0);
	assert_true(fired(e));

	/* Relative 0 is due at once, not "off". */
	assert_int_equal(guest_timer(e, 0, CO_TIMER_RELATIVE), CO_ST_OK);
	assert_true(fired(e));

	/* A delta past the end of time saturates instead of wrapping. */
	assert_int_equal(guest_timer(e, UINT64_MAX - 3, CO_TIMER_RELATIVE),
			 CO_ST_OK);
	assert_int_equal(e->g->sh->timer_deadline, UINT64_MAX);
	assert_false(fired(e));

	/* Absolute 0 still turns it off. */
	assert_int_equal(guest_timer(e, 0, 0), CO_ST_OK);
	assert_int_equal(e->g->sh->timer_deadline, 0);
	env_free(e);
}

/* Flags it does not know: an error completion, the timer as it was. */
static void test_unknown_flags(void **state)
{
	struct env *e = env_new();
	uint64_t now = co_host_monotonic_ns();

	guest_op(e, CO_OP_SET_TIMER, now + 700);
	assert_int_equal(guest_timer(e, 10, 0x2), CO_ST_INVAL);
	assert_int_equal(guest_timer(e, 10, CO_TIMER_RELATIVE | (1ULL << 63)),
			 CO_ST_INVAL);
	assert_int_equal(e->g->sh->timer_deadline, now + 700);
	assert_int_equal(next_deadline(e), now + 700);
	env_free(e);
}

static void test_idle_until_timer(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns(), dl = t0 + 3000000;

	co_test_unmask(e->g, CO_IRQ_TIMER);
	guest_op(e, CO_OP_SET_TIMER, dl);
	guest_op(e, CO_OP_IDLE, 0);
	/* Virtual time jumped to the deadline, not past it. */
	assert_int_equal(e->woke_at, dl);
	assert_true(fired(e));
	assert_int_equal(next_deadline(e), CO_NO_DEADLINE);

	/* Masked line, no other wake-up: the monitor calls it deadlock. */
	__atomic_fetch_or(&e->g->sh->irq_mask[0], 1ULL << CO_IRQ_TIMER,
			  __ATOMIC_SEQ_CST);
	guest_op(e, CO_OP_SET_TIMER, dl + 1000);
	{
		struct co_vm_exit exit;

		e->op = CO_OP_IDLE;
		assert_int_equal(co_vm_run(e->g->vm, &exit), 0);
		assert_int_equal(exit.reason, CO_TERM_DEADLOCK);
	}
	/* The timer did fire on the way, it just could not be delivered. */
	assert_true(co_host_monotonic_ns() >= dl + 1000);
	assert_true(fired(e));
	env_free(e);
}

/* The host timer's callback only wakes the VM thread. */
static void test_host_callback_only_wakes(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns();
	struct co_host_event *wake = e->g->vm->wake;

	guest_op(e, CO_OP_SET_TIMER, t0 + 1000);
	/* Drain whatever signal is pending, then nothing is. */
	co_host_event_wait(wake, 0);
	assert_int_equal(co_host_event_wait(wake, 0), -CO_ETIMEDOUT);
	co_sim_clock_advance(1000);	/* the host timer runs here */
	assert_false(e->g->sh->irq_pending[0] & (1ULL << CO_IRQ_TIMER));
	assert_int_equal(e->g->sh->timer_deadline, t0 + 1000);
	assert_int_equal(co_host_event_wait(wake, 0), 0);
	/* The interrupt comes from the VM thread's poll. */
	e->timer->ops->poll(e->timer);
	assert_true(fired(e));
	env_free(e);
}

static void test_reset(void **state)
{
	struct env *e = env_new();
	uint64_t t0 = co_host_monotonic_ns();

	guest_op(e, CO_OP_SET_TIMER, t0 + 1000);
	e->timer->ops->reset(e->timer);
	assert_int_equal(next_deadline(e), CO_NO_DEADLINE);
	assert_int_equal(e->g->sh->timer_deadline, 0);
	co_sim_clock_advance(5000);
	guest_op(e, CO_OP_YIELD, 0);
	assert_false(fired(e));
	env_free(e);
}

static void test_create_errors(void **state)
{
	struct env *e = env_new();
	struct co_device *d = NULL;

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_int_equal(co_timer_create(e->g->vm, &d), -CO_ENOMEM);
	co_sim_fault_fail_nth(CO_SIM_FAULT_OBJECT, 1, 0);
	assert_int_equal(co_timer_create(e->g->vm, &d), -CO_ENOMEM);
	co_sim_fault_reset();
	assert_null(d);
	assert_int_equal(co_timer_create(e->g->vm, &d), 0);
	d->ops->destroy(d);
	/* Not a timer, or none: ignored. */
	co_timer_set(NULL, 5);
	co_timer_set(co_vm_device(e->g->vm, CO_DEV_POWER, 0), 5);
	assert_int_equal(next_deadline(e), CO_NO_DEADLINE);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_at_deadline),
		cmocka_unit_test(test_rearm_and_order),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_past_deadline),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_unknown_flags),
		cmocka_unit_test(test_idle_until_timer),
		cmocka_unit_test(test_host_callback_only_wakes),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
