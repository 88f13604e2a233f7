// SPDX-License-Identifier: GPL-2.0
/* Mutexes: error-checking pthread mutexes, so misuse aborts loudly. */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct co_host_mutex {
	pthread_mutex_t m;
};

struct co_host_mutex *co_host_mutex_create(void)
{
	struct co_host_mutex *m;
	pthread_mutexattr_t attr;

	if (co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	if (pthread_mutex_init(&m->m, &attr)) {
		pthread_mutexattr_destroy(&attr);
		free(m);
		return NULL;
	}
	pthread_mutexattr_destroy(&attr);
	co_sim_count(CO_SIM_OBJ_MUTEXES, 1);
	return m;
}

static void check(int err, const char *what)
{
	if (!err)
		return;
	/* Recursion or unlocking someone else's mutex: a monitor bug. */
	co_sim_logf(CO_LOG_ERROR, "sim: mutex %s failed (%d)", what, err);
	abort();
}

void co_host_mutex_lock(struct co_host_mutex *m)
{
	check(pthread_mutex_lock(&m->m), "lock");
}

void co_host_mutex_unlock(struct co_host_mutex *m)
{
	check(pthread_mutex_unlock(&m->m), "unlock");
}

void co_host_mutex_destroy(struct co_host_mutex *m)
{
	if (!m)
		return;
	check(pthread_mutex_destroy(&m->m), "destroy");
	co_sim_count(CO_SIM_OBJ_MUTEXES, -1);
	free(m);
}
