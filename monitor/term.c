// SPDX-License-Identifier: GPL-2.0
/*
 * Why a guest stopped, in words and as a process exit status: one table
 * for every front end (colinux-sim, colinux-daemon.exe, the QEMU rig).
 */
#include <colinux/monitor.h>

static const char *const reason_names[CO_TERM_MAX] = {
	[CO_TERM_POWEROFF]	= "power off",
	[CO_TERM_REBOOT]	= "reboot",
	[CO_TERM_HALT]		= "halt",
	[CO_TERM_PANIC]		= "guest panic",
	[CO_TERM_BUG]		= "guest BUG",
	[CO_TERM_PROTOCOL]	= "protocol violation by the guest",
	[CO_TERM_CPU_FAULT]	= "fatal CPU fault in the guest",
	[CO_TERM_HUNG]		= "guest stopped yielding",
	[CO_TERM_DEADLOCK]	= "guest idle with nothing to wake it",
	[CO_TERM_HOST]		= "stopped by the host",
};

const char *co_term_reason_name(int reason)
{
	if (reason < 0 || reason >= CO_TERM_MAX || !reason_names[reason])
		return "unknown reason";
	return reason_names[reason];
}

int co_term_exit_status(int reason, int code)
{
	switch (reason) {
	case CO_TERM_POWEROFF:
		return code & 0xff;
	case CO_TERM_REBOOT:
	case CO_TERM_HALT:
	case CO_TERM_HOST:
		return 0;
	case CO_TERM_PANIC:
	case CO_TERM_BUG:
		return CO_EXIT_GUEST_ERROR;
	case CO_TERM_PROTOCOL:
		return CO_EXIT_PROTOCOL;
	case CO_TERM_CPU_FAULT:
		return CO_EXIT_CPU_FAULT;
	case CO_TERM_HUNG:
		return CO_EXIT_HUNG;
	}
	return CO_EXIT_DEADLOCK;
}
