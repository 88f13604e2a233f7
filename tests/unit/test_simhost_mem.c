// SPDX-License-Identifier: GPL-2.0
/* sim-host memory: frame allocator, guard pages, heap, leak accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <colinux/host.h>
#include <sim/sim.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#endif
#ifdef ASAN
#include <sanitizer/asan_interface.h>
#endif

#define PAGE		4096
/* 16 usable frames above the never-used first megabyte. */
#define SMALL_PHYS	((CO_SIM_FIRST_PFN + 16ULL) * PAGE)

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_alloc_shuffled(void **state)
{
	uint64_t pfns[64];
	unsigned int i, j, adjacent = 0;
	uint8_t *p;

	assert_int_equal(co_sim_init(64ULL << 20), 0);
	assert_int_equal(co_host_pages_alloc(64, pfns), 0);
	assert_int_equal(co_sim_pages_in_use(), 64);
	for (i = 0; i < 64; i++) {
		assert_true(pfns[i] >= CO_SIM_FIRST_PFN);
		assert_true(pfns[i] < (64ULL << 20) / PAGE);
		for (j = 0; j < i; j++)
			assert_true(pfns[i] != pfns[j]);
		if (i && pfns[i] == pfns[i - 1] + 1)
			adjacent++;
		p = co_host_map(pfns[i]);
		assert_ptr_equal(p, (uint8_t *)co_sim_phys_base() +
				    pfns[i] * PAGE);
		assert_true(all_zero(p, PAGE));
		memset(p, 0x5a, PAGE);
		co_host_unmap(p, pfns[i]);
	}
	/* Handed out shuffled: nowhere near one contiguous run. */
	assert_true(adjacent < 32);
	co_host_pages_free(64, pfns);
	assert_int_equal(co_sim_pages_in_use(), 0);
	for (i = 0; i < 64; i++)
		assert_null(co_host_map(pfns[i]));
}

static void test_two_pages_never_in_order(void **state)
{
	uint64_t pfns[2];
	unsigned int i;

	assert_int_equal(co_sim_init(64ULL << 20), 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(co_host_pages_alloc(2, pfns), 0);
		assert_true(pfns[1] != pfns[0] + 1);
		co_host_pages_free(2, pfns);
	}
}

static void alloc_with_seed(uint64_t seed, uint64_t *pfns, size_t n)
{
	assert_int_equal(co_sim_init(64ULL << 20), 0);
	co_sim_set_seed(seed);
	assert_int_equal(co_host_pages_alloc(n, pfns), 0);
	co_host_pages_free(n, pfns);
}

static void test_seed_deterministic(void **state)
{
	uint64_t a[32], b[32], c[32];

	alloc_with_seed(42, a, 32);
	alloc_with_seed(42, b, 32);
	alloc_with_seed(43, c, 32);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
}

static void test_contig_aligned(void **state)
{
	uint64_t first, second, pad[3];
	uint8_t *p;
	unsigned int i;

	assert_int_equal(co_sim_init(64ULL << 20), 0);
	/* Something in the way, so alignment has to skip frames. */
	assert_int_equal(co_host_pages_alloc(3, pad), 0);
	assert_int_equal(co_host_pages_alloc_contig(10, 8, &first), 0);
	assert_int_equal(first % 8, 0);
	assert_true(first >= CO_SIM_FIRST_PFN);
	assert_int_equal(co_host_pages_alloc_contig(3, 512, &second), 0);
	assert_int_equal(second % 512, 0);
	assert_true(second + 3 <= first || second >= first + 10);
	/* One run: the whole range is mapped and zeroed, back to back. */
	p = co_sim_phys_ptr(first * PAGE);
	assert_non_null(p);
	assert_true(all_zero(p, 10 * PAGE));
	for (i = 0; i < 10; i++)
		assert_ptr_equal(co_host_map(first + i), p + i * PAGE);
	memset(p, 1, 10 * PAGE);
	assert_int_equal(co_sim_pages_in_use(), 16);
	co_host_pages_free_contig(first, 10);
	co_host_pages_free_contig(second, 3);
	co_host_pages_free(3, pad);
}

static void test_contig_bad_args(void **state)
{
	uint64_t first;

	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_host_pages_alloc_contig(1, 3, &first), -CO_EINVAL);
	assert_int_equal(co_host_pages_alloc_contig(1, 0, &first), -CO_EINVAL);
	assert_int_equal(co_host_pages_alloc_contig(0, 1, &first), -CO_EINVAL);
	assert_int_equal(co_host_pages_alloc_contig(17, 1, &first),
			 -CO_ENOMEM);
	/* 16 frames from pfn 256: a 16-aligned run of 16 fits exactly. */
	assert_int_equal(co_host_pages_alloc_contig(16, 16, &first), 0);
	assert_int_equal(first, CO_SIM_FIRST_PFN);
	co_host_pages_free_contig(first, 16);
	assert_int_equal(co_host_pages_alloc_contig(8, 512, &first),
			 -CO_ENOMEM);
}

static void test_realloc_is_zeroed(void **state)
{
	uint64_t pfns[16], again[16];
	unsigned int i;

	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_host_pages_alloc(16, pfns), 0);
	for (i = 0; i < 16; i++)
		memset(co_host_map(pfns[i]), 0xff, PAGE);
	co_host_pages_free(16, pfns);
	/* Only 16 frames exist: the same ones must come back, clean. */
	assert_int_equal(co_host_pages_alloc(16, again), 0);
	for (i = 0; i < 16; i++)
		assert_true(all_zero(co_host_map(again[i]), PAGE));
	co_host_pages_free(16, again);
}

static void test_zero_drops_only_the_given_pages(void **state)
{
	uint64_t pfns[8], bogus = CO_SIM_FIRST_PFN + 15;
	unsigned int i;
	uint8_t *p;

	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_host_pages_alloc(8, pfns), 0);
	for (i = 0; i < 8; i++)
		memset(co_host_map(pfns[i]), 0xa5, PAGE);
	/* Out of order on purpose: the host sorts them into runs. */
	co_host_pages_zero(4, &pfns[2]);
	for (i = 0; i < 8; i++) {
		p = co_host_map(pfns[i]);
		assert_non_null(p);
		if (i >= 2 && i < 6) {
			assert_true(all_zero(p, PAGE));
			/* Still allocated, still writable. */
			p[PAGE - 1] = 7;
			assert_int_equal(p[PAGE - 1], 7);
		} else {
			assert_int_equal(p[0], 0xa5);
			assert_int_equal(p[PAGE - 1], 0xa5);
		}
	}
	assert_int_equal(co_sim_pages_in_use(), 8);
	assert_int_equal(co_sim_misuse_count(), 0);
	co_sim_log_level(-1);
	co_host_pages_zero(1, &bogus);
	assert_int_equal(co_sim_misuse_count(), 1);
	co_sim_misuse_clear();
	co_sim_log_level(CO_LOG_WARN);
	co_host_pages_zero(0, NULL);
	co_host_pages_free(8, pfns);
}

static void test_all_or_nothing(void **state)
{
	uint64_t a[10], b[10], c[6];

	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_host_pages_alloc(10, a), 0);
	assert_int_equal(co_host_pages_alloc(10, b), -CO_ENOMEM);
	assert_int_equal(co_sim_pages_in_use(), 10);
	co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, 1, 0);
	assert_int_equal(co_host_pages_alloc(6, c), -CO_ENOMEM);
	assert_int_equal(co_sim_pages_in_use(), 10);
	/* The rest, exactly, still fits: the failures took nothing. */
	assert_int_equal(co_host_pages_alloc(6, c), 0);
	assert_int_equal(co_sim_pages_in_use(), 16);
	assert_int_equal(co_host_pages_alloc(1, b), -CO_ENOMEM);
	co_host_pages_free(10, a);
	co_host_pages_free(6, c);
	assert_int_equal(co_host_pages_alloc(0, NULL), 0);
}

static void test_double_free_detected(void **state)
{
	char log[512];
	uint64_t pfn, bogus = 3;

	co_sim_log_level(-1);
	co_sim_log_capture(log, sizeof(log));
	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_host_pages_alloc(1, &pfn), 0);
	co_host_pages_free(1, &pfn);
	assert_int_equal(co_sim_misuse_count(), 0);
	co_host_pages_free(1, &pfn);
	assert_int_equal(co_sim_misuse_count(), 1);
	co_host_pages_free(1, &bogus);
	assert_int_equal(co_sim_misuse_count(), 2);
	assert_true(co_sim_log_contains("not allocated"));
	/* The leak check counts misuse too. */
	assert_int_equal(co_sim_leak_check(), 2);
	co_sim_misuse_clear();
	assert_int_equal(co_sim_pages_in_use(), 0);
	co_sim_log_level(CO_LOG_WARN);
}

/* Fork, touch one byte at @p, report whether the child survived. */
static bool touch_survives(volatile uint8_t *p)
{
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/*
		 * Die for real: CMocka's handler would turn the fault into a
		 * failed test and carry on. Quiet, or ASan reports at length.
		 */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		close(2);
		p[0] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_guard_pages(void **state)
{
	uint8_t *base;
	uint64_t pfns[4];

	assert_int_equal(co_sim_init(64ULL << 20), 0);
	base = co_sim_phys_base();
	assert_int_equal(co_host_pages_alloc(4, pfns), 0);
	/* The control: an allocated page is fine. */
	assert_true(touch_survives(base + pfns[2] * PAGE + 100));
	/* Never allocated, below 1 MiB, and physical address 0. */
	assert_false(touch_survives(base + 5000 * PAGE));
	assert_false(touch_survives(base + 10 * PAGE));
	assert_false(touch_survives(base));
	/* Freed. */
	co_host_pages_free(1, &pfns[2]);
	assert_false(touch_survives(base + pfns[2] * PAGE + 100));
	assert_null(co_sim_phys_ptr(pfns[2] * PAGE));
#ifdef ASAN
	/* Poisoned too, so ASan names the culprit; the live ones are not. */
	assert_true(__asan_address_is_poisoned(base + pfns[2] * PAGE + 100));
	assert_false(__asan_address_is_poisoned(base + pfns[3] * PAGE + 100));
#endif
	co_host_pages_free(1, &pfns[0]);
	co_host_pages_free(1, &pfns[1]);
	co_host_pages_free(1, &pfns[3]);
}

/* The fuzzers' mode: freed frames stay mapped, and ASan guards them. */
static void test_keep_freed_mapped(void **state)
{
#ifndef ASAN
	assert_int_equal(co_sim_keep_freed_mapped(false), 0);
	/* Nothing would catch a stray access: refused. */
	assert_int_equal(co_sim_keep_freed_mapped(true), -CO_ENOTSUP);
#else
	uint64_t pfns[4], again[4];
	uint8_t *base;
	unsigned int i;

	assert_int_equal(co_sim_init(SMALL_PHYS), 0);
	assert_int_equal(co_sim_keep_freed_mapped(true), 0);
	base = co_sim_phys_base();
	assert_int_equal(co_host_pages_alloc(4, pfns), 0);
	for (i = 0; i < 4; i++)
		memset(co_host_map(pfns[i]), 0x5a, PAGE);
	co_host_pages_free(4, pfns);
	for (i = 0; i < 4; i++) {
		assert_null(co_host_map(pfns[i]));
		assert_true(__asan_address_is_poisoned(base + pfns[i] * PAGE));
		assert_true(__asan_address_is_poisoned(base + pfns[i] * PAGE + PAGE - 1));
	}
	/* A write to a freed frame still kills the process (ASan). */
	assert_false(touch_survives(base + pfns[1] * PAGE + 100));
	/* Never-allocated frames are still unmapped. */
	assert_false(touch_survives(base + (CO_SIM_FIRST_PFN + 12) * PAGE));
	/* Back again: zeroed, usable. */
	co_sim_reset();
	assert_int_equal(co_host_pages_alloc(4, again), 0);
	for (i = 0; i < 4; i++) {
		assert_true(all_zero(co_host_map(again[i]), PAGE));
		assert_true(touch_survives(co_host_map(again[i])));
	}
	co_host_pages_free(4, again);
	assert_int_equal(co_sim_keep_freed_mapped(false), 0);
	/* Off again: freeing unmaps. */
	assert_int_equal(co_host_pages_alloc(1, again), 0);
	co_host_pages_free(1, again);
	assert_false(touch_survives(base + again[0] * PAGE));
#endif
}

static void test_phys_ptr(void **state)
{
	uint64_t pfn;
	uint8_t *p;

	assert_int_equal(co_sim_init(64ULL << 20), 0);
	assert_int_equal(co_sim_phys_bytes(), 64ULL << 20);
	assert_int_equal(co_host_pages_alloc(1, &pfn), 0);
	p = co_host_map(pfn);
	assert_ptr_equal(co_sim_phys_ptr(pfn * PAGE + 123), p + 123);
	assert_true(co_sim_page_allocated(pfn));
	assert_false(co_sim_page_allocated(pfn + 1));
	assert_null(co_sim_phys_ptr(0));
	assert_null(co_sim_phys_ptr(64ULL << 20));
	assert_null(co_host_map(0));
	assert_null(co_host_map(1ULL << 40));
	/* No re-initialising under allocated pages. */
	assert_int_equal(co_sim_init(32ULL << 20), -CO_EBUSY);
	co_host_pages_free(1, &pfn);
	assert_int_equal(co_sim_init(0), 0);
	assert_int_equal(co_sim_phys_bytes(), CO_SIM_DEFAULT_PHYS);
	assert_int_equal(co_sim_init(PAGE), -CO_EINVAL);
	assert_int_equal(co_sim_init(64ULL << 20), 0);
}

static void test_heap_counted(void **state)
{
	uint8_t *a, *b, *z;

	a = co_host_alloc(100);
	b = co_host_alloc(0);
	z = co_host_zalloc(4096);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(z);
	assert_true(all_zero(z, 4096));
	memset(a, 1, 100);
	assert_int_equal(co_sim_heap_in_use(), 3);
	co_host_free(a);
	co_host_free(b);
	co_host_free(NULL);
	assert_int_equal(co_sim_heap_in_use(), 1);
	co_host_free(z);
	assert_int_equal(co_sim_heap_in_use(), 0);
}

static void test_leak_check_reports(void **state)
{
	struct co_host_spinlock *s;
	struct co_host_mutex *m;
	struct co_host_event *e;
	char log[512];
	void *p;

	co_sim_log_level(-1);
	co_sim_log_capture(log, sizeof(log));
	m = co_host_mutex_create();
	e = co_host_event_create();
	s = co_host_spinlock_create();
	p = co_host_alloc(8);
	assert_non_null(m);
	assert_non_null(e);
	assert_non_null(s);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_MUTEXES), 1);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_EVENTS), 1);
	assert_int_equal(co_sim_leak_check(), 4);
	assert_true(co_sim_log_contains("leaked 1 mutexes"));
	assert_true(co_sim_log_contains("leaked 1 events"));
	assert_true(co_sim_log_contains("leaked 1 spinlocks"));
	assert_true(co_sim_log_contains("leaked 1 heap blocks"));
	co_host_mutex_lock(m);
	co_host_mutex_unlock(m);
	co_host_mutex_destroy(m);
	co_host_spinlock_destroy(s);
	co_host_event_destroy(e);
	co_host_free(p);
	co_sim_log_level(CO_LOG_WARN);
}

static void test_log_levels(void **state)
{
	char log[256];

	co_sim_log_level(CO_LOG_WARN);
	co_sim_log_capture(log, sizeof(log));
	co_host_log(CO_LOG_DEBUG, "quiet detail");
	co_sim_log_level(-1);
	co_host_log(CO_LOG_ERROR, "loud problem");
	co_sim_log_level(CO_LOG_WARN);
	assert_true(co_sim_log_contains("debug: quiet detail"));
	assert_true(co_sim_log_contains("error: loud problem"));
	assert_false(co_sim_log_contains("never said"));
	assert_int_equal(co_sim_log_level(CO_LOG_DEBUG), CO_LOG_WARN);
	assert_int_equal(co_sim_log_level(CO_LOG_WARN), CO_LOG_DEBUG);
	co_sim_log_capture(NULL, 0);
	assert_false(co_sim_log_contains("loud problem"));
}

static void test_log_capture_truncates(void **state)
{
	char log[16];

	co_sim_log_level(-1);
	co_sim_log_capture(log, sizeof(log));
	co_host_log(CO_LOG_ERROR, "a rather long line that cannot fit");
	co_host_log(CO_LOG_ERROR, "second");
	assert_int_equal(strlen(log), sizeof(log) - 1);
	assert_memory_equal(log, "error: a rather", 15);
	co_sim_log_level(CO_LOG_WARN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_shuffled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_pages_never_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contig_aligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contig_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_is_zeroed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_drops_only_the_given_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_free_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_freed_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phys_ptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_check_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_capture_truncates, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
