// SPDX-License-Identifier: GPL-2.0
/* sim-host time: the virtual clock, timers and event waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include <colinux/host.h>
#include <sim/sim.h>

#define MS	1000000ULL

static int setup(void **state)
{
	co_sim_reset();
	assert_int_equal(co_host_monotonic_ns(), CO_SIM_MONO_START);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

/* What timer callbacks saw: who ran, and when. */
struct log {
	unsigned int n;
	int who[16];
	uint64_t when[16];
};

struct tick {
	struct log *log;
	int id;
	struct co_host_timer *timer;
	struct co_host_event *signal;	/* signal this, if set */
	unsigned int rearm;		/* times left to re-arm */
	uint64_t period;
};

static void tick_fn(void *arg)
{
	struct tick *t = arg;
	struct log *l = t->log;

	if (l->n < 16) {
		l->who[l->n] = t->id;
		l->when[l->n] = co_host_monotonic_ns();
		l->n++;
	}
	if (t->signal)
		co_host_event_signal(t->signal);
	if (t->rearm) {
		t->rearm--;
		co_host_timer_arm(t->timer, co_host_monotonic_ns() + t->period);
	}
}

static void tick_init(struct tick *t, struct log *l, int id)
{
	*t = (struct tick){ .log = l, .id = id };
	t->timer = co_host_timer_create(tick_fn, t);
	assert_non_null(t->timer);
}

static void test_start_values(void **state)
{
	assert_int_equal(co_host_wallclock_ns(), CO_SIM_WALL_START);
	co_sim_clock_advance(5 * MS);
	assert_int_equal(co_host_monotonic_ns(), CO_SIM_MONO_START + 5 * MS);
	assert_int_equal(co_host_wallclock_ns(), CO_SIM_WALL_START + 5 * MS);
	co_sim_clock_set_wall(42);
	assert_int_equal(co_host_wallclock_ns(), 42);
	co_sim_clock_advance(1);
	assert_int_equal(co_host_wallclock_ns(), 43);
	/* Advancing to the past does nothing. */
	co_sim_clock_advance_to(CO_SIM_MONO_START);
	assert_int_equal(co_host_monotonic_ns(), CO_SIM_MONO_START + 5 * MS + 1);
	assert_false(co_sim_clock_is_real());
}

static void test_timers_in_deadline_order(void **state)
{
	uint64_t t0 = co_host_monotonic_ns();
	struct tick a, b, c, d;
	struct log l = { 0 };

	tick_init(&a, &l, 1);
	tick_init(&b, &l, 2);
	tick_init(&c, &l, 3);
	tick_init(&d, &l, 4);
	co_host_timer_arm(a.timer, t0 + 30 * MS);
	co_host_timer_arm(b.timer, t0 + 10 * MS);
	co_host_timer_arm(c.timer, t0 + 20 * MS);
	co_host_timer_arm(d.timer, t0 + 10 * MS);	/* tie: armed after b */
	co_sim_clock_advance(25 * MS);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.who[0], 2);
	assert_int_equal(l.who[1], 4);
	assert_int_equal(l.who[2], 3);
	/* Each callback sees the clock at its own deadline. */
	assert_int_equal(l.when[0], t0 + 10 * MS);
	assert_int_equal(l.when[1], t0 + 10 * MS);
	assert_int_equal(l.when[2], t0 + 20 * MS);
	assert_int_equal(co_host_monotonic_ns(), t0 + 25 * MS);
	co_sim_clock_advance(5 * MS);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.who[3], 1);
	/* One-shot: nothing more. */
	co_sim_clock_advance(100 * MS);
	assert_int_equal(l.n, 4);
	co_host_timer_destroy(a.timer);
	co_host_timer_destroy(b.timer);
	co_host_timer_destroy(c.timer);
	co_host_timer_destroy(d.timer);
}

static void test_rearm_cancel_periodic(void **state)
{
	uint64_t t0 = co_host_monotonic_ns();
	struct tick a, p;
	struct log l = { 0 };

	tick_init(&a, &l, 1);
	tick_init(&p, &l, 2);
	co_host_timer_arm(a.timer, t0 + 10 * MS);
	co_host_timer_arm(a.timer, t0 + 50 * MS);	/* moves it */
	p.rearm = 3;
	p.period = 10 * MS;
	co_host_timer_arm(p.timer, t0 + 5 * MS);
	co_sim_clock_advance(40 * MS);
	/* The periodic one: 5, 15, 25, 35 ms; the moved one not yet. */
	assert_int_equal(l.n, 4);
	assert_int_equal(l.when[3], t0 + 35 * MS);
	co_host_timer_cancel(a.timer);
	co_sim_clock_advance(40 * MS);
	assert_int_equal(l.n, 4);
	co_host_timer_destroy(a.timer);
	co_host_timer_destroy(p.timer);
}

static void test_armed_in_the_past(void **state)
{
	uint64_t t0 = co_host_monotonic_ns();
	struct log l = { 0 };
	struct tick a;

	tick_init(&a, &l, 1);
	co_host_timer_arm(a.timer, t0 - 1);
	co_sim_clock_advance(0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.when[0], t0);	/* time never runs backwards */
	co_host_timer_destroy(a.timer);
}

static void test_wait_signalled(void **state)
{
	struct co_host_event *e = co_host_event_create();
	uint64_t t0 = co_host_monotonic_ns();

	assert_non_null(e);
	co_host_event_signal(e);
	co_host_event_signal(e);	/* coalesces */
	assert_int_equal(co_host_event_wait(e, t0 + 10 * MS), 0);
	assert_int_equal(co_host_monotonic_ns(), t0);
	/* Auto-reset: the second wait finds nothing. */
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), -CO_EBUSY);
	co_host_event_destroy(e);
}

static void test_wait_deadline(void **state)
{
	struct co_host_event *e = co_host_event_create();
	uint64_t t0 = co_host_monotonic_ns();

	assert_int_equal(co_host_event_wait(e, t0 + 7 * MS), -CO_ETIMEDOUT);
	assert_int_equal(co_host_monotonic_ns(), t0 + 7 * MS);
	/* A deadline already past: straight back. */
	assert_int_equal(co_host_event_wait(e, t0), -CO_ETIMEDOUT);
	assert_int_equal(co_host_monotonic_ns(), t0 + 7 * MS);
	co_host_event_destroy(e);
}

static void test_wait_timer_signals(void **state)
{
	struct co_host_event *e = co_host_event_create();
	uint64_t t0 = co_host_monotonic_ns();
	struct log l = { 0 };
	struct tick quiet, loud;

	tick_init(&quiet, &l, 1);
	tick_init(&loud, &l, 2);
	loud.signal = e;
	co_host_timer_arm(quiet.timer, t0 + 2 * MS);
	co_host_timer_arm(loud.timer, t0 + 3 * MS);
	/* Time jumps to the timers, not to the far deadline. */
	assert_int_equal(co_host_event_wait(e, t0 + 1000 * MS), 0);
	assert_int_equal(co_host_monotonic_ns(), t0 + 3 * MS);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.who[0], 1);
	assert_int_equal(l.who[1], 2);
	/* No deadline, a timer armed that will signal: it waits for it. */
	co_host_timer_arm(loud.timer, t0 + 50 * MS);
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), 0);
	assert_int_equal(co_host_monotonic_ns(), t0 + 50 * MS);
	co_host_timer_destroy(quiet.timer);
	co_host_timer_destroy(loud.timer);
	co_host_event_destroy(e);
}

static void test_wait_ebusy_after_last_timer(void **state)
{
	struct co_host_event *e = co_host_event_create();
	uint64_t t0 = co_host_monotonic_ns();
	struct log l = { 0 };
	struct tick quiet;

	tick_init(&quiet, &l, 1);
	co_host_timer_arm(quiet.timer, t0 + 9 * MS);
	/* The timer runs, signals nothing; then nothing can: -CO_EBUSY. */
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), -CO_EBUSY);
	assert_int_equal(l.n, 1);
	assert_int_equal(co_host_monotonic_ns(), t0 + 9 * MS);
	/* A deadline that comes before the timer wins. */
	co_host_timer_arm(quiet.timer, t0 + 30 * MS);
	assert_int_equal(co_host_event_wait(e, t0 + 20 * MS), -CO_ETIMEDOUT);
	assert_int_equal(l.n, 1);
	co_host_timer_destroy(quiet.timer);
	co_host_event_destroy(e);
}

static void test_clock_reset_busy(void **state)
{
	struct log l = { 0 };
	struct tick a;

	tick_init(&a, &l, 1);
	co_sim_clock_advance(MS);
	assert_int_equal(co_sim_clock_reset(), -CO_EBUSY);
	co_host_timer_arm(a.timer, co_host_monotonic_ns() + MS);
	assert_int_equal(co_sim_clock_real(true), -CO_EBUSY);
	assert_false(co_sim_clock_is_real());
	co_host_timer_destroy(a.timer);
	assert_int_equal(co_sim_clock_reset(), 0);
	assert_int_equal(co_host_monotonic_ns(), CO_SIM_MONO_START);
}

static void *signaller(void *arg)
{
	co_host_event_signal(arg);
	return NULL;
}

static void test_external_source(void **state)
{
	struct co_host_event *e = co_host_event_create();
	pthread_t th;

	/* Another thread may signal: the wait must sleep, not give up. */
	co_sim_external_source(true);
	assert_int_equal(pthread_create(&th, NULL, signaller, e), 0);
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), 0);
	pthread_join(th, NULL);
	co_sim_external_source(false);
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), -CO_EBUSY);
	co_host_event_destroy(e);
}

static void test_real_time(void **state)
{
	struct co_host_event *e = co_host_event_create();
	struct log l = { 0 };
	uint64_t t0, dl;
	struct tick a;

	assert_int_equal(co_sim_clock_real(true), 0);
	assert_true(co_sim_clock_is_real());
	tick_init(&a, &l, 1);
	a.signal = e;
	t0 = co_host_monotonic_ns();
	/* A real wall clock is well past 2020. */
	assert_true(co_host_wallclock_ns() > 1577836800ULL * 1000000000ULL);
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), -CO_EBUSY);
	dl = co_host_monotonic_ns() + 2 * MS;
	assert_int_equal(co_host_event_wait(e, dl), -CO_ETIMEDOUT);
	assert_true(co_host_monotonic_ns() >= dl);
	/* The timer thread fires it; the wait sees the signal. */
	co_host_timer_arm(a.timer, co_host_monotonic_ns() + MS);
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.when[0] >= t0 + MS);
	co_host_timer_destroy(a.timer);
	assert_int_equal(co_sim_clock_real(false), 0);
	assert_false(co_sim_clock_is_real());
	co_host_event_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers_in_deadline_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_cancel_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_in_the_past, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_signalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_timer_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_ebusy_after_last_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_reset_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_time, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
