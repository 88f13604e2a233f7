// SPDX-License-Identifier: GPL-2.0
/*
 * Mutexes and spinlocks: error-checking pthread mutexes, so misuse aborts
 * loudly. User space has no interrupt to mask, so a spinlock is a mutex
 * too; taking it twice on one thread (which would hang a real host) aborts.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct co_host_mutex {
	pthread_mutex_t m;
};

struct co_host_spinlock {
	pthread_mutex_t m;
};

static int errorcheck_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int err;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return err;
}

struct co_host_mutex *co_host_mutex_create(void)
{
	struct co_host_mutex *m;

	if (co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	if (errorcheck_init(&m->m)) {
		free(m);
		return NULL;
	}
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

struct co_host_spinlock *co_host_spinlock_create(void)
{
	struct co_host_spinlock *s;

	if (co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	if (errorcheck_init(&s->m)) {
		free(s);
		return NULL;
	}
	co_sim_count(CO_SIM_OBJ_SPINLOCKS, 1);
	return s;
}

void co_host_spin_lock(struct co_host_spinlock *s)
{
	check(pthread_mutex_lock(&s->m), "lock");
}

void co_host_spin_unlock(struct co_host_spinlock *s)
{
	check(pthread_mutex_unlock(&s->m), "unlock");
}

void co_host_spinlock_destroy(struct co_host_spinlock *s)
{
	if (!s)
		return;
	check(pthread_mutex_destroy(&s->m), "destroy");
	co_sim_count(CO_SIM_OBJ_SPINLOCKS, -1);
	free(s);
}
