// SPDX-License-Identifier: GPL-2.0
/*
 * The xsave path's set-up (co_passage_set_xsave) and its guard: the switch
 * takes the path only with CR4.OSXSAVE, so a side whose xcr0 is set but
 * whose CR4 lacks OSXSAVE still goes through fxsave (Unicorn 2.0.1 has no
 * XSAVE: an xsave there would be #UD). The path itself runs on the QEMU
 * tier (tests/qemu/test_qemu_xsave.py).
 */
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"
#include "internal/vm.h"
#include "arch/x86_64/switch.h"
#include "internal/passage.h"

#define OSXSAVE		(1ULL << CO_CR4_OSXSAVE_BIT)

static uint64_t u64_at(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void boot_like_guest(struct co_vm *vm)
{
	struct co_cpu_state *g = &vm->shared->guest;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(g, 0, sizeof(*g));
	g->cr4 = 0x620;
	memcpy(g->fxsave, &fcw, sizeof(fcw));
	memcpy(g->fxsave + 24, &mxcsr, sizeof(mxcsr));
}

static void expect_fxsave(const struct co_vm *vm)
{
	assert_int_equal(vm->host_state->xcr0, 0);
	assert_int_equal(vm->host_state->xsave_off, 0);
	assert_int_equal(vm->shared->guest.xcr0, 0);
	assert_int_equal(vm->shared->guest.xsave_off, 0);
	assert_int_equal(vm->shared->guest.cr4, 0x620);
}

static void test_set_xsave(void **state)
{
	struct co_vm *vm = calloc(1, sizeof(*vm));
	struct co_passage_info pi;
	const uint8_t *garea, *harea;
	size_t i;

	(void)state;
	assert_non_null(vm);
	assert_int_equal(co_passage_set_xsave(vm, 7, 832, 7, 832), -CO_ESTATE);
	assert_int_equal(co_passage_create(vm), 0);
	boot_like_guest(vm);
	memset(vm->shared->reserved3, 0xa5, sizeof(vm->shared->reserved3));
	memset((uint8_t *)vm->host_state + CO_XSAVE_HOST_OFF, 0x5a,
	       CO_XSAVE_HOST_MAX);
	expect_fxsave(vm);

	/* Refused, and nothing changed: no x87/SSE, or areas too big. */
	assert_int_equal(co_passage_set_xsave(vm, 1, 832, 7, 832), -CO_EINVAL);
	assert_int_equal(co_passage_set_xsave(vm, 7, 832, 6, 832), -CO_EINVAL);
	assert_int_equal(co_passage_set_xsave(vm, 7, 575, 7, 832), -CO_ERANGE);
	assert_int_equal(co_passage_set_xsave(vm, 7, CO_XSAVE_HOST_MAX + 1, 7, 832),
			 -CO_ERANGE);
	assert_int_equal(co_passage_set_xsave(vm, 7, 832, 7, 2049), -CO_ERANGE);
	assert_int_equal(co_passage_set_xsave(vm, 7, 832, 7, 575), -CO_ERANGE);
	expect_fxsave(vm);
	assert_int_equal(vm->shared->reserved3[0], 0xa5);

	/* The largest areas there is room for. */
	assert_int_equal(co_passage_set_xsave(vm, 0xe7, CO_XSAVE_HOST_MAX,
					      7, CO_XSAVE_GUEST_MAX), 0);
	assert_int_equal(vm->host_state->xcr0, 0xe7);
	assert_int_equal(vm->host_state->xsave_off, 0x300);
	assert_int_equal(vm->shared->guest.xcr0, 7);
	assert_int_equal(vm->shared->guest.xsave_off, 0x700);
	assert_int_equal(vm->shared->guest.cr4, 0x620 | OSXSAVE);
	garea = (const uint8_t *)&vm->shared->guest + 0x700;
	assert_ptr_equal(garea, vm->shared->reserved3);
	assert_int_equal((uintptr_t)garea % 64, 0);
	/* The boot image as an XSAVE area: x87 and SSE present, rest init. */
	assert_memory_equal(garea, vm->shared->guest.fxsave, 512);
	assert_int_equal(u64_at(garea, 512), 3);
	for (i = 520; i < CO_XSAVE_GUEST_MAX; i++)
		assert_int_equal(garea[i], 0);
	harea = (const uint8_t *)vm->host_state + 0x300;
	assert_int_equal(u64_at(harea, 512), 3);
	for (i = 520; i < CO_XSAVE_HOST_MAX; i++)
		assert_int_equal(harea[i], 0);
	/* The area stops short of the arch bookkeeping. */
	assert_int_equal(co_passage_info(vm, &pi), 0);

	/* Only the guest on xsave; then back to fxsave. */
	assert_int_equal(co_passage_set_xsave(vm, 0, 0, 3, 576), 0);
	assert_int_equal(vm->host_state->xcr0, 0);
	assert_int_equal(vm->host_state->xsave_off, 0);
	assert_int_equal(vm->shared->guest.xcr0, 3);
	assert_int_equal(co_passage_set_xsave(vm, 0, 0, 0, 0), 0);
	assert_int_equal(vm->shared->guest.xcr0, 0);
	assert_int_equal(vm->shared->guest.xsave_off, 0);

	/* A reset puts the host back on fxsave. */
	assert_int_equal(co_passage_set_xsave(vm, 7, 832, 7, 832), 0);
	co_passage_reset(vm);
	assert_int_equal(vm->host_state->xcr0, 0);
	assert_int_equal(vm->shared->guest.xcr0, 0);

	co_passage_destroy(vm);
	free(vm);
	assert_int_equal(co_sim_pages_in_use(), 0);
}

/*
 * xcr0 set on both sides, OSXSAVE on neither: fxsave both ways, the areas
 * untouched, the fields as the monitor left them.
 */
static void test_no_osxsave_means_fxsave(void **state)
{
	struct co_cpu_state g, before, after;
	struct co_cpu_state *hs;
	uint8_t harea[CO_XSAVE_HOST_MAX];
	struct tg t;
	uint64_t rng = 0x5eed;
	unsigned int i;

	(void)state;
	tg_create(&t);
	hs = t.vm->host_state;
	assert_int_equal(co_uc_host_save(t.uc, &before), 0);
	assert_int_equal(before.cr4 & OSXSAVE, 0);
	hs->xcr0 = 7;
	hs->xsave_off = CO_XSAVE_HOST_OFF;
	memset((uint8_t *)hs + CO_XSAVE_HOST_OFF, 0x5a, sizeof(harea));
	memcpy(harea, (uint8_t *)hs + CO_XSAVE_HOST_OFF, sizeof(harea));
	memset(t.sh->reserved3, 0xa5, sizeof(t.sh->reserved3));
	for (i = 0; i < 3; i++) {
		tg_guest_default(&t, &g, tg_record);
		tg_fx_random(g.fxsave, &rng);
		g.xcr0 = 7;
		g.xsave_off = CO_XSAVE_GUEST_OFF;
		assert_int_equal(g.cr4 & OSXSAVE, 0);
		t.sh->guest = g;
		tg_enter_ok(&t);
		assert_int_equal(co_uc_host_save(t.uc, &after), 0);
		tg_assert_state("host after trip", &before, &after, true, false);
		/* The guest's own save went to fxsave[], as it was loaded. */
		assert_memory_equal(t.sh->guest.fxsave + 160, g.fxsave + 160, 256);
		assert_int_equal(t.sh->guest.xcr0, 7);
		assert_int_equal(t.sh->guest.xsave_off, CO_XSAVE_GUEST_OFF);
		assert_int_equal(hs->xcr0, 7);
		assert_int_equal(hs->xsave_off, CO_XSAVE_HOST_OFF);
	}
	for (i = 0; i < sizeof(t.sh->reserved3); i++)
		assert_int_equal(t.sh->reserved3[i], 0xa5);
	assert_memory_equal((uint8_t *)hs + CO_XSAVE_HOST_OFF, harea, sizeof(harea));
	tg_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_xsave, tg_setup,
						tg_teardown),
		cmocka_unit_test_setup_teardown(test_no_osxsave_means_fxsave,
						tg_setup, tg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
