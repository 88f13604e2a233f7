// SPDX-License-Identifier: GPL-2.0
/*
 * The world switch, round trip by round trip: random host and guest
 * states go through the real passage code under Unicorn, and every
 * register of struct co_cpu_state must come out as it went in.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"

#define RANDOM_TRIPS	3000
/* CF PF AF ZF SF OF: the guest's own instructions change these. */
#define ARITH_FLAGS	0x8d5ULL
#define DRIFT_TRIPS	100000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define setup	tg_setup
#define teardown	tg_teardown

/*
 * What the guest was given and what it recorded; the recorder clears
 * CR0.TS/EM for its fxsave and cannot see its own rip.
 */
static void check_guest_saw(struct tg *t, const struct co_cpu_state *given)
{
	struct co_cpu_state want = *given, rec;

	memcpy(&rec, tg_ptr(t, tg_rec), sizeof(rec));
	want.rip = rec.rip;
	tg_assert_state("guest saw", &want, &rec, false, false);
}

static void test_random_states(void **state)
{
	uint64_t rng = co_test_seed("random_states");
	struct co_cpu_state host, before, after, guest, saved;
	struct tg t;
	unsigned int i;

	(void)state;
	tg_create(&t);
	for (i = 0; i < RANDOM_TRIPS; i++) {
		bool resume = i % 3 == 2;

		tg_host_random(&t, &host, &rng);
		assert_int_equal(co_uc_host_load(t.uc, &host), 0);
		assert_int_equal(co_uc_host_save(t.uc, &before), 0);
		/* The harness itself: what was loaded is what is there. */
		tg_assert_state("host load", &host, &before, false, false);
		if (resume) {
			/* Let the guest go on from its call into the passage. */
			guest = t.sh->guest;
			guest.cr0 &= ~0xcULL;
		} else {
			tg_guest_random(&t, &guest, tg_record, &rng);
			t.sh->guest = guest;
		}
		tg_enter_ok(&t);
		assert_int_equal(tg_u64(&t, tg_count), i + 1);
		assert_int_equal(co_uc_host_save(t.uc, &after), 0);
		tg_assert_state("host after trip", &before, &after, true, false);
		check_guest_saw(&t, &guest);
		/* The guest's own save: as it was at its call, rip after it. */
		saved = t.sh->guest;
		guest.cr0 &= ~0xcULL;
		guest.rip = saved.rip;
		guest.rflags = (guest.rflags & ~ARITH_FLAGS) |
			       (saved.rflags & ARITH_FLAGS);
		tg_assert_state("guest saved", &guest, &saved, false, false);
		assert_int_equal(saved.rsp, guest.rsp);
		assert_true(saved.rip > tg_va(&t, tg_record) &&
			    saved.rip < tg_va(&t, tg_bounce));
		assert_int_equal(saved.xcr0, 0);
	}
	tg_destroy(&t);
}

/* The guest's saved rsp is its rsp at the call, i.e. after the return. */
static void test_saved_rsp_and_rip(void **state)
{
	struct co_cpu_state g, rec;
	struct tg t;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_record);
	t.sh->guest = g;
	tg_enter_ok(&t);
	memcpy(&rec, tg_ptr(&t, tg_rec), sizeof(rec));
	assert_int_equal(t.sh->guest.rsp, rec.rsp);
	assert_int_equal(rec.rsp, g.rsp);
	/* Resuming goes through the recorder again: rsp unchanged. */
	tg_enter_ok(&t);
	memcpy(&rec, tg_ptr(&t, tg_rec), sizeof(rec));
	assert_int_equal(rec.rsp, g.rsp);
	assert_int_equal(tg_u64(&t, tg_count), 2);
	tg_destroy(&t);
}

/*
 * A guest that has not loaded its own TR (the boot state has none) saves
 * whatever TR it ran with; the switch must not ltr a selector that is no
 * TSS in the guest's GDT, or an LDT selector that is no LDT.
 */
static void test_guest_without_tr(void **state)
{
	struct co_cpu_state g, host0, host1, rec;
	struct tg t;
	unsigned int i;

	(void)state;
	tg_create(&t);
	assert_int_equal(co_uc_host_save(t.uc, &host0), 0);
	tg_guest_default(&t, &g, tg_record);
	g.tr = 0;
	t.sh->guest = g;
	tg_enter_ok(&t);
	/* It ran on the host's TR, and saved that selector. */
	memcpy(&rec, tg_ptr(&t, tg_rec), sizeof(rec));
	assert_int_equal(rec.tr, host0.tr);
	assert_int_equal(t.sh->guest.tr, host0.tr);
	for (i = 0; i < 3; i++)
		tg_enter_ok(&t);
	/* Selectors of the wrong kind, or past the GDT's limit. */
	t.sh->guest.tr = TG_DS;
	t.sh->guest.ldtr = TG_TR;
	tg_enter_ok(&t);
	memcpy(&rec, tg_ptr(&t, tg_rec), sizeof(rec));
	assert_int_equal(rec.ldtr, 0);
	t.sh->guest.tr = 0x1000;
	t.sh->guest.ldtr = 0x1000;
	tg_enter_ok(&t);
	assert_int_equal(co_uc_host_save(t.uc, &host1), 0);
	tg_assert_state("host", &host0, &host1, true, false);
	tg_destroy(&t);
}

/* Many trips in a row: nothing drifts, and how fast is it? */
static void test_no_drift(void **state)
{
	struct co_cpu_state host0, host, guest0;
	struct co_uc_stats st;
	struct tg t;
	uint64_t t0, t1;
	unsigned int i;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &guest0, tg_bounce);
	guest0.rbx = 0x1111;
	guest0.r15 = 0xffff;
	t.sh->guest = guest0;
	tg_enter_ok(&t);
	guest0 = t.sh->guest;
	assert_int_equal(co_uc_host_save(t.uc, &host0), 0);
	t0 = now_ns();
	for (i = 1; i < DRIFT_TRIPS; i++) {
		tg_enter_ok(&t);
		if (i % 10000 == 0) {
			assert_int_equal(co_uc_host_save(t.uc, &host), 0);
			tg_assert_state("host drift", &host0, &host, true,
					true);
			host = t.sh->guest;
			host.rflags = (host.rflags & ~ARITH_FLAGS) |
				      (guest0.rflags & ARITH_FLAGS);
			tg_assert_state("guest drift", &guest0, &host, true,
					true);
		}
	}
	t1 = now_ns();
	assert_int_equal(tg_u64(&t, tg_count), DRIFT_TRIPS);
	co_uc_stats(t.uc, &st);
	assert_int_equal(st.entries, DRIFT_TRIPS);
	print_message("%u round trips: %.2f us (process CPU time) per trip\n", DRIFT_TRIPS - 1,
		      (double)(t1 - t0) / 1000.0 / (DRIFT_TRIPS - 1));
	tg_destroy(&t);
}

static uint64_t code_count;

static void count_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *d)
{
	(void)uc;
	(void)addr;
	(void)size;
	(void)d;
	code_count++;
}

/*
 * Instructions per round trip (printed), by an independent counting hook
 * and by the back-end's own count, which must agree exactly: every trip of
 * the bounce guest runs the same instructions.
 */
static void test_instruction_count(void **state)
{
	struct co_uc_stats st0, st1;
	struct co_cpu_state g;
	struct tg t;
	uc_hook h;
	uint64_t per_trip;

	(void)state;
	tg_create(&t);
	tg_guest_default(&t, &g, tg_bounce);
	t.sh->guest = g;
	tg_enter_ok(&t);
	assert_int_equal(uc_hook_add(co_uc_engine(t.uc), &h, UC_HOOK_CODE,
				     count_insn, NULL, 1, 0), UC_ERR_OK);
	uc_ctl_flush_tlb(co_uc_engine(t.uc));
	code_count = 0;
	co_uc_stats(t.uc, &st0);
	for (unsigned int i = 0; i < 1000; i++)
		tg_enter_ok(&t);
	co_uc_stats(t.uc, &st1);
	uc_hook_del(co_uc_engine(t.uc), h);
	per_trip = code_count / 1000;
	print_message("instructions per round trip: %llu (host stub: 2, guest: 4)\n",
		      (unsigned long long)per_trip);
	assert_int_equal(code_count % 1000, 0);
	assert_int_equal(st1.insns - st0.insns, code_count);
	/* Both switches really ran: each is well over a hundred instructions. */
	assert_true(per_trip > 200);
	tg_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_saved_rsp_and_rip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_states, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_without_tr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_instruction_count, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_drift, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
