// SPDX-License-Identifier: GPL-2.0
/* sim-host fault injection: classes, counting, ranges, "any allocation". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include <colinux/host.h>
#include <sim/sim.h>

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

static void test_nth_heap_alloc(void **state)
{
	void *p[4];
	unsigned int i;

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 3, 0);
	for (i = 0; i < 4; i++)
		p[i] = co_host_alloc(16);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_null(p[2]);
	assert_non_null(p[3]);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_HEAP_ALLOC), 4);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_HEAP_ALLOC), 1);
	/* Heap calls are allocations too. */
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_ANY_ALLOC), 4);
	assert_int_equal(co_sim_heap_in_use(), 3);
	for (i = 0; i < 4; i++)
		co_host_free(p[i]);
}

static void test_zalloc_counts_once(void **state)
{
	void *p;

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_null(co_host_zalloc(8));
	p = co_host_zalloc(8);
	assert_non_null(p);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_HEAP_ALLOC), 2);
	co_host_free(p);
}

static void test_page_alloc_class(void **state)
{
	uint64_t pfns[2], first;

	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 2, 0);
	assert_int_equal(co_host_pages_alloc(2, pfns), 0);
	assert_int_equal(co_host_pages_alloc_contig(4, 4, &first), -CO_ENOMEM);
	assert_int_equal(co_sim_pages_in_use(), 2);
	assert_int_equal(co_host_pages_alloc_contig(4, 4, &first), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_PAGE_ALLOC), 3);
	co_host_pages_free(2, pfns);
	co_host_pages_free_contig(first, 4);
}

static void test_object_class(void **state)
{
	struct co_host_mutex *m;
	struct co_host_event *e;
	struct co_host_timer *t;

	co_sim_fault_fail_range(CO_SIM_FAULT_OBJECT, 1, 3, 0);
	assert_null(co_host_mutex_create());
	assert_null(co_host_event_create());
	assert_null(co_host_timer_create(co_host_free, NULL));
	m = co_host_mutex_create();
	e = co_host_event_create();
	t = co_host_timer_create(co_host_free, NULL);
	assert_non_null(m);
	assert_non_null(e);
	assert_non_null(t);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_OBJECT), 3);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_ANY_ALLOC), 6);
	co_host_mutex_destroy(m);
	co_host_event_destroy(e);
	co_host_timer_destroy(t);
}

/* Spinlocks are objects too; taking and releasing one leaves nothing. */
static void test_spinlock(void **state)
{
	struct co_host_spinlock *s;

	co_sim_fault_fail_nth(CO_SIM_FAULT_OBJECT, 1, 0);
	assert_null(co_host_spinlock_create());
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_OBJECT), 1);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_SPINLOCKS), 0);
	s = co_host_spinlock_create();
	assert_non_null(s);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_SPINLOCKS), 1);
	co_host_spin_lock(s);
	co_host_spin_unlock(s);
	co_host_spin_lock(s);
	co_host_spin_unlock(s);
	co_host_spinlock_destroy(s);
	co_host_spinlock_destroy(NULL);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_SPINLOCKS), 0);
}

static void test_range_forever(void **state)
{
	unsigned int i;
	void *p;

	co_sim_fault_fail_range(CO_SIM_FAULT_HEAP_ALLOC, 2, ULONG_MAX, 0);
	p = co_host_alloc(1);
	assert_non_null(p);
	for (i = 0; i < 100; i++)
		assert_null(co_host_alloc(1));
	co_sim_fault_reset();
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_HEAP_ALLOC), 0);
	co_host_free(p);
	p = co_host_alloc(1);
	assert_non_null(p);
	co_host_free(p);
}

/* A toy constructor with the usual goto unwinding, to loop over. */
struct widget {
	void *buf;
	struct co_host_mutex *lock;
	struct co_host_event *wake;
	uint64_t pages[3];
};

static int widget_create(struct widget **out)
{
	struct widget *w;
	int err = -CO_ENOMEM;

	w = co_host_zalloc(sizeof(*w));
	if (!w)
		return err;
	w->buf = co_host_alloc(64);
	if (!w->buf)
		goto fail_w;
	w->lock = co_host_mutex_create();
	if (!w->lock)
		goto fail_buf;
	err = co_host_pages_alloc(3, w->pages);
	if (err)
		goto fail_lock;
	err = -CO_ENOMEM;
	w->wake = co_host_event_create();
	if (!w->wake)
		goto fail_pages;
	*out = w;
	return 0;
fail_pages:
	co_host_pages_free(3, w->pages);
fail_lock:
	co_host_mutex_destroy(w->lock);
fail_buf:
	co_host_free(w->buf);
fail_w:
	co_host_free(w);
	return err;
}

static void widget_destroy(struct widget *w)
{
	co_host_event_destroy(w->wake);
	co_host_pages_free(3, w->pages);
	co_host_mutex_destroy(w->lock);
	co_host_free(w->buf);
	co_host_free(w);
}

static void test_any_alloc_loop(void **state)
{
	struct widget *w;
	unsigned long n;
	int err;

	for (n = 1;; n++) {
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_ANY_ALLOC, n, 0);
		err = widget_create(&w);
		if (!err)
			break;
		assert_int_equal(err, -CO_ENOMEM);
		assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_ANY_ALLOC),
				 1);
		assert_int_equal(co_sim_leak_check(), 0);
	}
	/* Five allocations of three kinds: the sixth plan misses. */
	assert_int_equal(n, 6);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_ANY_ALLOC), 5);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_ANY_ALLOC), 0);
	widget_destroy(w);
}

static void test_custom_error(void **state)
{
	uint64_t pfn;

	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, -CO_EBUSY);
	assert_int_equal(co_host_pages_alloc(1, &pfn), -CO_EBUSY);
	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, CO_EIO);
	assert_int_equal(co_host_pages_alloc(1, &pfn), -CO_EIO);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_PAGE_ALLOC), 2);
}

static void test_replan_replaces(void **state)
{
	void *p;

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 2, 0);
	p = co_host_alloc(1);
	assert_non_null(p);
	assert_null(co_host_alloc(1));
	co_host_free(p);
}

static void test_bad_class_ignored(void **state)
{
	co_sim_fault_fail_nth(CO_SIM_FAULT_NR, 1, 0);
	co_sim_fault_short(CO_SIM_FAULT_NR + 3, 1, 1);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_NR), 0);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_NR), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nth_heap_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zalloc_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_alloc_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spinlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_forever, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_alloc_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replan_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_class_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
