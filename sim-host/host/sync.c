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

static void check(int err, const char *what)
{
	if (!err)
		return;
	/* Recursion or unlocking someone else's mutex: a monitor bug. */
	co_sim_logf(CO_LOG_ERROR, "sim: mutex %s failed (%d)", what, err);
	abort();
}

/* Memory of @size for a lock object, or NULL (a planned fault, too). */
static void *lock_alloc(size_t size)
{
	if (co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	return malloc(size);
}

/* Set up @m, counted as @kind; false if it cannot be. */
static bool lock_init(pthread_mutex_t *m, enum co_sim_obj kind)
{
	pthread_mutexattr_t attr;
	int err;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	if (!err)
		co_sim_count(kind, 1);
	return !err;
}

static void lock_fini(pthread_mutex_t *m, enum co_sim_obj kind)
{
	check(pthread_mutex_destroy(m), "destroy");
	co_sim_count(kind, -1);
}

struct co_host_mutex *co_host_mutex_create(void)
{
	struct co_host_mutex *m = lock_alloc(sizeof(*m));

	if (m && !lock_init(&m->m, CO_SIM_OBJ_MUTEXES)) {
		free(m);
		m = NULL;
	}
	return m;
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
	lock_fini(&m->m, CO_SIM_OBJ_MUTEXES);
	free(m);
}

struct co_host_spinlock *co_host_spinlock_create(void)
{
	struct co_host_spinlock *s = lock_alloc(sizeof(*s));

	if (s && !lock_init(&s->m, CO_SIM_OBJ_SPINLOCKS)) {
		free(s);
		s = NULL;
	}
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
	lock_fini(&s->m, CO_SIM_OBJ_SPINLOCKS);
	free(s);
}
