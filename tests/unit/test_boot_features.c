// SPDX-License-Identifier: GPL-2.0
/*
 * The version-1 additions for a Linux guest: the features word and the
 * fields it announces in the boot parameters (passage frames, TSC
 * frequency, the host CPU's XCR0, CR4, PAT and free vector), and the time
 * record in the shared page, TSC-linear or rewritten at each entry.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/vm.h"
#include <colinux/cpu.h>
#include <sim/sim.h>

/* Yields (one entry per co_vm_run, the clock moved between them). */
static void step_yield(struct co_test_guest *g, unsigned int entry)
{
	co_test_op(g, CO_OP_YIELD, 0, 0, 0);
	co_vm_kick(g->vm);
}

static struct co_test_guest *boot(void)
{
	const char *args[] = { "mem=16", NULL };
	struct co_test_guest *g;

	assert_int_equal(co_test_boot(args, step_yield, NULL, &g), 0);
	return g;
}

static const uint64_t always = CO_BOOT_FEAT_PASSAGE_FRAMES |
	CO_BOOT_FEAT_TIME_RECORD | CO_BOOT_FEAT_TIMER_RELATIVE;

/* A host that knows nothing: the fields the monitor knows itself only. */
static void test_features_minimal(void **state)
{
	struct co_test_guest *g = boot();
	const struct co_boot_params *bp = co_test_boot_params(g);

	assert_int_equal(bp->features, always);
	assert_int_equal(bp->passage_code_hpa,
			 g->vm->passage_pfn[0] << CO_PAGE_SHIFT);
	assert_int_equal(bp->passage_shared_hpa,
			 g->vm->passage_pfn[1] << CO_PAGE_SHIFT);
	assert_int_equal(bp->tsc_khz, 0);
	assert_int_equal(bp->virq_vector, 0);
	assert_int_equal(bp->host_xcr0, 0);
	assert_int_equal(bp->host_cr4, 0);
	assert_int_equal(bp->host_pat, 0);
	for (size_t i = 0; i < sizeof(bp->reserved); i++)
		assert_int_equal(bp->reserved[i], 0);
	co_test_destroy(g);
}

/* What the back-end and the host contract say reaches the guest. */
static void test_features_host(void **state)
{
	const struct co_cpu_host host = {
		.valid = CO_BOOT_FEAT_HOST_XCR0 | CO_BOOT_FEAT_HOST_CR4 |
			 CO_BOOT_FEAT_HOST_PAT | CO_BOOT_FEAT_VIRQ_VECTOR,
		.xcr0 = 0x7, .cr4_required = 1ULL << 13,
		.pat = 0x0007040600070406ULL, .virq_vector = 0xf0,
	};
	struct co_test_guest *g;
	const struct co_boot_params *bp;

	co_test_set_host(&host);
	co_sim_tsc_set(2100000, 0, 0, 0);
	g = boot();
	bp = co_test_boot_params(g);
	assert_int_equal(bp->features, always | host.valid |
			 CO_BOOT_FEAT_TSC_KHZ);
	assert_int_equal(bp->tsc_khz, 2100000);
	assert_int_equal(bp->host_xcr0, 0x7);
	assert_int_equal(bp->host_cr4, 1ULL << 13);
	assert_int_equal(bp->host_pat, host.pat);
	assert_int_equal(bp->virq_vector, 0xf0);
	co_test_destroy(g);
}

/* Only what the back-end marks valid; never an exception vector. */
static void test_features_partial(void **state)
{
	const struct co_cpu_host host = {
		.valid = CO_BOOT_FEAT_HOST_PAT | CO_BOOT_FEAT_VIRQ_VECTOR |
			 (1ULL << 40),
		.xcr0 = 0x7, .pat = 0x1234, .virq_vector = 14,
	};
	struct co_test_guest *g;
	const struct co_boot_params *bp;

	co_test_set_host(&host);
	g = boot();
	bp = co_test_boot_params(g);
	assert_int_equal(bp->features, always | CO_BOOT_FEAT_HOST_PAT);
	assert_int_equal(bp->host_pat, 0x1234);
	assert_int_equal(bp->host_xcr0, 0);
	assert_int_equal(bp->virq_vector, 0);
	co_test_destroy(g);
}

static void run_once(struct co_test_guest *g)
{
	struct co_vm_exit exit;

	assert_int_equal(co_vm_run(g->vm, &exit), -CO_EBUSY);
}

/* The sim-host's virtual clock is not the TSC: rewritten per entry. */
static void test_time_entry_only(void **state)
{
	struct co_test_guest *g = boot();
	const struct co_time_record *t = &g->sh->time;
	uint32_t v;

	assert_int_equal(t->flags, CO_TIME_ENTRY_ONLY);
	assert_int_equal(t->tsc_to_system_mul, 0);
	assert_int_equal(t->version % 2, 0);
	assert_int_equal(t->system_time, co_host_monotonic_ns());

	co_sim_clock_advance(12345);
	v = t->version;
	run_once(g);
	assert_int_equal(t->version % 2, 0);
	assert_true(t->version > v);
	assert_int_equal(t->system_time, co_host_monotonic_ns());
	assert_int_equal(t->tsc_timestamp, 0);

	/* A guest scribbling on the record changes nothing the host does. */
	g->sh->time.version = 7;
	g->sh->time.flags = 0;
	co_sim_clock_advance(5);
	run_once(g);
	assert_int_equal(t->version % 2, 0);
	assert_int_equal(t->flags, CO_TIME_ENTRY_ONLY);
	assert_int_equal(t->system_time, co_host_monotonic_ns());
	co_test_destroy(g);
}

/* A TSC-linear host clock: its parameters once, never rewritten. */
static void test_time_tsc_linear(void **state)
{
	struct co_test_guest *g;
	const struct co_time_record *t;

	co_sim_tsc_set(2500000, 123456789, 0x66666666, -1);
	g = boot();
	t = &g->sh->time;
	assert_int_equal(t->flags, CO_TIME_TSC_STABLE);
	assert_int_equal(t->tsc_timestamp, 123456789);
	assert_int_equal(t->system_time, 0);
	assert_int_equal(t->tsc_to_system_mul, 0x66666666);
	assert_int_equal(t->tsc_shift, -1);
	assert_int_equal(t->version, 2);
	co_sim_clock_advance(1000);
	run_once(g);
	run_once(g);
	assert_int_equal(t->version, 2);
	assert_int_equal(t->system_time, 0);
	co_test_destroy(g);
}

/* As the switch would record it when the guest leaves (struct co_switch_scratch). */
static uint64_t guest_xcr0_at_exit;

static void step_xcr0(struct co_test_guest *g, unsigned int entry)
{
	g->sh->scratch.xcr0 = guest_xcr0_at_exit;
	co_test_op(g, CO_OP_YIELD, 0, 0, 0);
	co_vm_kick(g->vm);
}

static int run_xcr0(uint64_t host_valid, uint64_t host_xcr0, uint64_t seen,
		    uint64_t xsave_guest, struct co_vm_exit *exit)
{
	const char *args[] = { "mem=16", NULL };
	const struct co_cpu_host host = { .valid = host_valid,
					  .xcr0 = host_xcr0 };
	struct co_test_guest *g;
	int rc;

	co_test_set_host(&host);
	guest_xcr0_at_exit = seen;
	assert_int_equal(co_test_boot(args, step_xcr0, NULL, &g), 0);
	if (xsave_guest)
		assert_int_equal(co_passage_set_xsave(g->vm, 7, 832, xsave_guest,
						      832), 0);
	co_sim_log_level(CO_LOG_ERROR + 1);
	rc = co_vm_run(g->vm, exit);
	co_sim_log_level(CO_LOG_WARN);
	co_test_destroy(g);
	return rc;
}

/* docs/protocol.md "XCR0": the guest keeps the XCR0 it was given. */
static void test_xcr0_rule(void **state)
{
	struct co_vm_exit exit;

	/* The host's XCR0, or OSXSAVE off (0): the guest goes on. */
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 7, 7, 0, &exit),
			 -CO_EBUSY);
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 7, 0, 0, &exit),
			 -CO_EBUSY);
	/* Another one: stopped at that switch, both values named. */
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 7, 3, 0, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	assert_non_null(strstr(exit.text, "XCR0 to 0x3"));
	assert_non_null(strstr(exit.text, "0x7"));
	/* A host with XSAVE off: the guest may not turn XCR0 on. */
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 0, 7, 0, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	/* On the xsave path the guest's own mask is the rule. */
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 7, 3, 3, &exit),
			 -CO_EBUSY);
	assert_int_equal(run_xcr0(CO_BOOT_FEAT_HOST_XCR0, 7, 7, 3, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	/* Nothing known of the host, fxsave path: nothing to check. */
	assert_int_equal(run_xcr0(0, 0, 0x3f, 0, &exit), -CO_EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CO_TEST(test_features_minimal),
		CO_TEST(test_features_host),
		CO_TEST(test_features_partial),
		CO_TEST(test_time_entry_only),
		CO_TEST(test_time_tsc_linear),
		CO_TEST(test_xcr0_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
