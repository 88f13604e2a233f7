// SPDX-License-Identifier: GPL-2.0
/* Outstanding-object counters and misuse reports, so tests can prove they leak nothing. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static int64_t live[CO_SIM_OBJ_NR];
static uint64_t misuses;

static const char *const obj_names[CO_SIM_OBJ_NR] = {
	[CO_SIM_OBJ_PAGES]	= "host pages",
	[CO_SIM_OBJ_HEAP]	= "heap blocks",
	[CO_SIM_OBJ_FILES]	= "open files",
	[CO_SIM_OBJ_MUTEXES]	= "mutexes",
	[CO_SIM_OBJ_EVENTS]	= "events",
	[CO_SIM_OBJ_TIMERS]	= "timers",
	[CO_SIM_OBJ_NETS]	= "network back-ends",
	[CO_SIM_OBJ_SPINLOCKS]	= "spinlocks",
};

void co_sim_count(enum co_sim_obj obj, int64_t delta)
{
	if ((unsigned int)obj < CO_SIM_OBJ_NR)
		__atomic_add_fetch(&live[obj], delta, __ATOMIC_RELAXED);
}

uint64_t co_sim_in_use(enum co_sim_obj obj)
{
	int64_t n;

	if ((unsigned int)obj >= CO_SIM_OBJ_NR)
		return 0;
	n = __atomic_load_n(&live[obj], __ATOMIC_RELAXED);
	return n < 0 ? 0 : (uint64_t)n;
}

void co_sim_misuse(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&misuses, 1, __ATOMIC_RELAXED);
	co_sim_logf(CO_LOG_ERROR, "sim: host API misuse: %s", line);
}

uint64_t co_sim_misuse_count(void)
{
	return __atomic_load_n(&misuses, __ATOMIC_RELAXED);
}

void co_sim_misuse_clear(void)
{
	__atomic_store_n(&misuses, 0, __ATOMIC_RELAXED);
}

uint64_t co_sim_leak_check(void)
{
	uint64_t total = 0, n;
	unsigned int i;

	for (i = 0; i < CO_SIM_OBJ_NR; i++) {
		n = co_sim_in_use(i);
		if (!n)
			continue;
		co_sim_logf(CO_LOG_ERROR, "sim: leaked %llu %s",
			    (unsigned long long)n, obj_names[i]);
		total += n;
	}
	n = co_sim_misuse_count();
	if (n)
		co_sim_logf(CO_LOG_ERROR, "sim: %llu host API misuse(s)",
			    (unsigned long long)n);
	return total + n;
}
