// SPDX-License-Identifier: GPL-2.0
/*
 * Time on the cooperative platform.
 *
 * The clock is the TSC, at the frequency the host measured (the guest
 * must not calibrate against the host's PIT or HPET, and could not
 * write them without harm). The one timer is the host's one-shot
 * deadline on virtual line 0, armed relative to now so that a clock
 * event costs one switch. The wall clock is the host's, read once at
 * boot.
 */
#include <linux/clockchips.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kernel.h>
#include <linux/time64.h>

#include <asm/cpufeature.h>
#include <asm/time.h>
#include <asm/x86_init.h>

#include "coop.h"

static int coop_timer_arm(u64 ns, u64 flags)
{
	u64 p[2] = { ns, flags };

	return co_guest_call(&coop_guest, CO_OP_SET_TIMER, p, 2, NULL, 0) ?
	       -EINVAL : 0;
}

static int coop_timer_next(unsigned long delta,
			   struct clock_event_device *ced)
{
	return coop_timer_arm(delta, CO_TIMER_RELATIVE);
}

static int coop_timer_shutdown(struct clock_event_device *ced)
{
	return coop_timer_arm(0, 0);
}

static struct clock_event_device coop_clockevent = {
	.name			= "coop",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.rating			= 400,
	.set_next_event		= coop_timer_next,
	.set_state_shutdown	= coop_timer_shutdown,
	.set_state_oneshot_stopped = coop_timer_shutdown,
};

static irqreturn_t coop_timer_irq(int irq, void *dev)
{
	struct clock_event_device *ced = dev;

	if (ced->event_handler)
		ced->event_handler(ced);
	return IRQ_HANDLED;
}

/* x86_init.timers.timer_init, from late_time_init (IRQs are set up). */
static void __init coop_timer_init(void)
{
	int irq = coop_line_irq(CO_IRQ_TIMER);

	if (irq < 0 ||
	    request_irq(irq, coop_timer_irq, IRQF_TIMER | IRQF_NOBALANCING,
			"coop-timer", &coop_clockevent))
		coop_terminate(CO_TERM_BUG, 1,
			       "cooperative: cannot take the timer line");
	coop_clockevent.cpumask = cpumask_of(0);
	coop_clockevent.irq = irq;
	/* Ticks are nanoseconds; the host saturates anything past 2^64. */
	clockevents_config_and_register(&coop_clockevent, NSEC_PER_SEC,
					1000, LONG_MAX);
}

static unsigned long coop_tsc_khz(void)
{
	return coop_boot.tsc_khz;
}

static void coop_get_wallclock(struct timespec64 *ts)
{
	u64 t[2];

	co_guest_call(&coop_guest, CO_OP_GET_TIME, NULL, 0, t, 2);
	*ts = ns_to_timespec64(t[1]);
}

static int coop_set_wallclock(const struct timespec64 *ts)
{
	return -ENODEV;
}

static void __init coop_noop(void)
{
}

void __init coop_time_setup(void)
{
	const u64 need = CO_BOOT_FEAT_TSC_KHZ | CO_BOOT_FEAT_TIMER_RELATIVE;

	if ((coop_boot.features & need) != need || !coop_boot.tsc_khz)
		coop_terminate(CO_TERM_BUG, 1,
			       "cooperative: the host gave no TSC frequency or no relative timer");
	x86_platform.calibrate_tsc = coop_tsc_khz;
	x86_platform.calibrate_cpu = coop_tsc_khz;
	setup_force_cpu_cap(X86_FEATURE_TSC_KNOWN_FREQ);
	setup_force_cpu_cap(X86_FEATURE_TSC_RELIABLE);
	x86_platform.get_wallclock = coop_get_wallclock;
	x86_platform.set_wallclock = coop_set_wallclock;
	x86_init.timers.timer_init = coop_timer_init;
	x86_init.timers.setup_percpu_clockev = coop_noop;
}
