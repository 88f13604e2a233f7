/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the cooperative platform (arch/x86/coop/). */
#ifndef _ARCH_X86_COOP_H
#define _ARCH_X86_COOP_H

#include <colinux/abi/boot.h>
#include "lib/co_guest.h"

/* The coLinux boot parameters, copied out of the boot area at entry. */
extern struct co_boot_params coop_boot;
/* The guest end of the passage (one CPU, operations with IRQs off). */
extern struct co_guest coop_guest;

void __noreturn coop_terminate(unsigned int reason, int code,
			       const char *text);

#endif
