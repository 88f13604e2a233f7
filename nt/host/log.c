// SPDX-License-Identifier: GPL-2.0
/*
 * Logging through DbgPrintEx (component IHVDRIVER; see it with DebugView
 * or a kernel debugger, after enabling the level in the Debug Print
 * Filter key, docs/windows.md). The last error line is also kept so that
 * a failing IOCTL can hand the reason back to the daemon.
 */
#include "nt_host.h"

static KSPIN_LOCK last_lock;
static bool last_lock_ready;
static char last_error[256];

static ULONG dpfltr_level(int level)
{
	switch (level) {
	case CO_LOG_ERROR:
		return DPFLTR_ERROR_LEVEL;
	case CO_LOG_WARN:
		return DPFLTR_WARNING_LEVEL;
	case CO_LOG_INFO:
		return DPFLTR_INFO_LEVEL;
	}
	return DPFLTR_TRACE_LEVEL;
}

static void lock_ready(void)
{
	/* The first log line comes from DriverEntry, before any thread race. */
	if (!last_lock_ready) {
		KeInitializeSpinLock(&last_lock);
		last_lock_ready = true;
	}
}

void co_host_log(int level, const char *line)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	KIRQL irql;
	size_t i;

	DbgPrintEx(DPFLTR_IHVDRIVER_ID, dpfltr_level(level),
		   "colinux: %s: %s\n",
		   prefix[level >= 0 && level <= CO_LOG_DEBUG ? level : CO_LOG_DEBUG],
		   line);
	if (level != CO_LOG_ERROR)
		return;
	lock_ready();
	KeAcquireSpinLock(&last_lock, &irql);
	for (i = 0; i + 1 < sizeof(last_error) && line[i]; i++)
		last_error[i] = line[i];
	last_error[i] = '\0';
	KeReleaseSpinLock(&last_lock, irql);
}

void co_nt_log_mark(void)
{
	KIRQL irql;

	lock_ready();
	KeAcquireSpinLock(&last_lock, &irql);
	last_error[0] = '\0';
	KeReleaseSpinLock(&last_lock, irql);
}

void co_nt_log_last(char *buf, size_t size)
{
	KIRQL irql;
	size_t i;

	if (!size)
		return;
	lock_ready();
	KeAcquireSpinLock(&last_lock, &irql);
	for (i = 0; i + 1 < size && last_error[i]; i++)
		buf[i] = last_error[i];
	buf[i] = '\0';
	KeReleaseSpinLock(&last_lock, irql);
}
