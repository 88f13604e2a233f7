// SPDX-License-Identifier: GPL-2.0
/* Clocks (performance counter, system time) and one-shot KTIMER + DPC timers. */
#include "nt_host.h"

/* 100 ns intervals from 1601-01-01 to 1970-01-01. */
#define EPOCH_DIFF_100NS	116444736000000000ULL

struct co_host_timer {
	KTIMER timer;
	KDPC dpc;
	void (*fn)(void *arg);
	void *arg;
};

uint64_t co_host_monotonic_ns(void)
{
	LARGE_INTEGER freq, c = KeQueryPerformanceCounter(&freq);
	uint64_t f = (uint64_t)freq.QuadPart, v = (uint64_t)c.QuadPart;

	if (!f)
		return 0;
	return v / f * 1000000000ULL + v % f * 1000000000ULL / f;
}

/*
 * The performance counter is not necessarily the TSC (and not at the
 * TSC's rate): the NT host reports neither a frequency nor a TSC-linear
 * clock, and the guest's time record is rewritten at each entry.
 */
uint32_t co_host_tsc_khz(void)
{
	return 0;
}

int co_host_clock_tsc(uint64_t *tsc0, uint32_t *mult, int8_t *shift)
{
	return -CO_ENOTSUP;
}

uint64_t co_host_wallclock_ns(void)
{
	LARGE_INTEGER t;

	KeQuerySystemTime(&t);
	if ((uint64_t)t.QuadPart < EPOCH_DIFF_100NS)
		return 0;
	return ((uint64_t)t.QuadPart - EPOCH_DIFF_100NS) * 100;
}

static void timer_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct co_host_timer *t = ctx;

	t->fn(t->arg);
}

struct co_host_timer *co_host_timer_create(void (*fn)(void *arg), void *arg)
{
	struct co_host_timer *t = co_host_zalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	KeInitializeTimerEx(&t->timer, NotificationTimer);
	KeInitializeDpc(&t->dpc, timer_dpc, t);
	return t;
}

/* KeSetTimer on a set timer moves it: the contract's "arming moves it". */
void co_host_timer_arm(struct co_host_timer *t, uint64_t deadline_ns)
{
	uint64_t now = co_host_monotonic_ns();
	LARGE_INTEGER due;

	if (deadline_ns <= now)
		due.QuadPart = -1;
	else if ((deadline_ns - now) / 100 >= (uint64_t)INT64_MAX)
		due.QuadPart = INT64_MIN + 1;
	else
		due.QuadPart = -(LONGLONG)((deadline_ns - now + 99) / 100);
	KeSetTimer(&t->timer, due, &t->dpc);
}

void co_host_timer_cancel(struct co_host_timer *t)
{
	KeCancelTimer(&t->timer);
}

void co_host_timer_destroy(struct co_host_timer *t)
{
	if (!t)
		return;
	KeCancelTimer(&t->timer);
	/* A DPC already queued may still run: wait for it before freeing. */
	KeFlushQueuedDpcs();
	co_host_free(t);
}
