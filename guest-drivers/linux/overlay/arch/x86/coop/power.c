// SPDX-License-Identifier: GPL-2.0
/*
 * Power on the cooperative platform: every way out of Linux is the
 * terminate operation, with the reason the host reports; a panic stops
 * the VM at once (a guest spinning with interrupts off would stall the
 * host's CPU), and the host's power events become an orderly reboot or
 * power-off.
 *
 * The exit code of a power-off is coop.exit_code, which user space may
 * set first: echo 3 > /sys/module/coop/parameters/exit_code.
 */
#include <linux/console.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/pm.h>
#include <linux/reboot.h>

#include <asm/reboot.h>

#include "coop.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "coop."

static int coop_exit_code;
module_param_named(exit_code, coop_exit_code, int, 0644);
MODULE_PARM_DESC(exit_code, "exit status the host reports after power-off");

static void coop_power_off(void)
{
	coop_terminate(CO_TERM_POWEROFF, coop_exit_code, "power off");
}

static void coop_halt(void)
{
	coop_terminate(CO_TERM_HALT, 0, "halt");
}

static void coop_restart(char *cmd)
{
	coop_terminate(CO_TERM_REBOOT, 0, cmd ? cmd : "restart");
}

static void coop_emergency_restart(void)
{
	coop_terminate(CO_TERM_REBOOT, 0, "emergency restart");
}

static void coop_shutdown(void)
{
}

static int coop_panic(struct notifier_block *nb, unsigned long ev, void *msg)
{
	/* What the oops printed must reach the host before the VM stops. */
	console_flush_on_panic(CONSOLE_FLUSH_PENDING);
	coop_terminate(CO_TERM_PANIC, 0, msg ? msg : "panic");
	return NOTIFY_DONE;
}

static struct notifier_block coop_panic_nb = {
	.notifier_call	= coop_panic,
	.priority	= INT_MAX,
};

static irqreturn_t coop_power_irq(int irq, void *dev)
{
	u32 ev = xchg(&coop_guest.sh->power_event, CO_POWER_NONE);

	switch (ev) {
	case CO_POWER_CTRL_ALT_DEL:
		pr_info("cooperative: the host asks for a reboot\n");
		ctrl_alt_del();
		break;
	case CO_POWER_SHUTDOWN:
		pr_info("cooperative: the host asks for a power-off\n");
		orderly_poweroff(true);
		break;
	}
	return IRQ_HANDLED;
}

static int __init coop_power_init(void)
{
	int irq = coop_line_irq(CO_IRQ_POWER);

	if (irq < 0)
		return irq;
	return request_irq(irq, coop_power_irq, 0, "coop-power", NULL);
}
device_initcall(coop_power_init);

void __init coop_power_setup(void)
{
	machine_ops.power_off = coop_power_off;
	machine_ops.halt = coop_halt;
	machine_ops.restart = coop_restart;
	machine_ops.emergency_restart = coop_emergency_restart;
	machine_ops.shutdown = coop_shutdown;
	pm_power_off = coop_power_off;
	atomic_notifier_chain_register(&panic_notifier_list, &coop_panic_nb);
}
