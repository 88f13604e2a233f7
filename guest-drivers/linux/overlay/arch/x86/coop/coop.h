/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the cooperative platform (arch/x86/coop/). */
#ifndef _ARCH_X86_COOP_H
#define _ARCH_X86_COOP_H

#include <linux/init.h>

#include <colinux/abi/boot.h>
#include "lib/co_guest.h"

/* The coLinux boot parameters, copied out of the boot area at entry. */
extern struct co_boot_params coop_boot;
/* The guest end of the passage (one CPU, operations with IRQs off). */
extern struct co_guest coop_guest;

void coop_terminate(unsigned int reason, int code,
		    const char *text);
/* The device table's entry for @dev_class unit @unit, or NULL. */
const struct co_dev_info *coop_find_dev(unsigned int dev_class,
					unsigned int unit);

/* irq.c: virtual lines as Linux interrupts. */
void __init coop_irq_setup(void);
int coop_line_irq(unsigned int line);
void coop_deliver_pending(void);

/* time.c, power.c: installed from the early set-up. */
void __init coop_time_setup(void);
void __init coop_power_setup(void);

#endif
