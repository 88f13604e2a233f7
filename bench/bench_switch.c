// SPDX-License-Identifier: GPL-2.0
/*
 * The world switch under Unicorn: instructions and time per round trip
 * (host -> guest -> host through the real passage code, with a guest that
 * switches straight back). Figures for docs/performance.md; asserts
 * nothing about speed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

#include "cpu_harness.h"

#define TRIPS	50000

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double w0, c0, wall, cpu;
	struct co_uc_stats s0, s1;
	struct co_cpu_state g;
	struct tg t;
	unsigned int i;

	tg_create(&t);
	tg_guest_default(&t, &g, tg_bounce);
	t.sh->guest = g;
	tg_enter_ok(&t);
	co_uc_stats(t.uc, &s0);
	w0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < TRIPS; i++)
		tg_enter_ok(&t);
	wall = clock_s(CLOCK_MONOTONIC) - w0;
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	co_uc_stats(t.uc, &s1);
	printf("unicorn round trip: %llu instructions (host stub 2 + guest 4 + passage both ways)\n",
	       (unsigned long long)((s1.insns - s0.insns) / TRIPS));
	printf("unicorn round trip: %.2f us wall, %.2f us process CPU (%u trips, %.0f trips/s)\n",
	       wall * 1e6 / TRIPS, cpu * 1e6 / TRIPS, TRIPS, TRIPS / wall);
	tg_destroy(&t);
	return 0;
}
