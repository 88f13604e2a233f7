// SPDX-License-Identifier: GPL-2.0
/*
 * Mutexes (KMUTEX), spinlocks (KSPIN_LOCK) and the VM's auto-reset wake-up
 * event (KEVENT).
 */
#include "nt_host.h"

struct co_host_mutex {
	KMUTEX m;
};

/* The IRQL to go back to is the holder's, kept with the lock. */
struct co_host_spinlock {
	KSPIN_LOCK lock;
	KIRQL irql;
};

struct co_host_event {
	KEVENT ev;
};

struct co_host_mutex *co_host_mutex_create(void)
{
	struct co_host_mutex *m = co_host_alloc(sizeof(*m));

	if (m)
		KeInitializeMutex(&m->m, 0);
	return m;
}

void co_host_mutex_lock(struct co_host_mutex *m)
{
	KeWaitForSingleObject(&m->m, Executive, KernelMode, FALSE, NULL);
}

void co_host_mutex_unlock(struct co_host_mutex *m)
{
	KeReleaseMutex(&m->m, FALSE);
}

void co_host_mutex_destroy(struct co_host_mutex *m)
{
	co_host_free(m);
}

struct co_host_spinlock *co_host_spinlock_create(void)
{
	struct co_host_spinlock *s = co_host_alloc(sizeof(*s));

	if (s)
		KeInitializeSpinLock(&s->lock);
	return s;
}

void co_host_spin_lock(struct co_host_spinlock *s)
{
	KIRQL irql;

	KeAcquireSpinLock(&s->lock, &irql);
	s->irql = irql;
}

void co_host_spin_unlock(struct co_host_spinlock *s)
{
	KeReleaseSpinLock(&s->lock, s->irql);
}

void co_host_spinlock_destroy(struct co_host_spinlock *s)
{
	co_host_free(s);
}

struct co_host_event *co_host_event_create(void)
{
	struct co_host_event *e = co_host_alloc(sizeof(*e));

	if (e)
		KeInitializeEvent(&e->ev, SynchronizationEvent, FALSE);
	return e;
}

/*
 * Timers run as DPCs and network frames arrive through IOCTLs on other
 * threads, all of which signal the event themselves, so waiting is all
 * there is to do. Something can always wake a VM on NT (the daemon's
 * RUN timeout kicks it), so -CO_EBUSY is never the answer.
 */
int co_host_event_wait(struct co_host_event *e, uint64_t deadline_ns)
{
	LARGE_INTEGER timeout;
	uint64_t now;
	NTSTATUS st;

	now = co_host_monotonic_ns();
	/* Centuries away is forever, and keeps the 100 ns count in range. */
	if (deadline_ns == CO_NO_DEADLINE ||
	    (deadline_ns > now && deadline_ns - now > (1ULL << 62))) {
		st = KeWaitForSingleObject(&e->ev, Executive, KernelMode,
					   FALSE, NULL);
	} else {
		/* Relative, in 100 ns units, rounded up; 0 only polls. */
		timeout.QuadPart = deadline_ns <= now ? 0 :
			-(LONGLONG)((deadline_ns - now + 99) / 100);
		st = KeWaitForSingleObject(&e->ev, Executive, KernelMode,
					   FALSE, &timeout);
	}
	return st == STATUS_TIMEOUT ? -CO_ETIMEDOUT : 0;
}

void co_host_event_signal(struct co_host_event *e)
{
	KeSetEvent(&e->ev, IO_NO_INCREMENT, FALSE);
}

void co_host_event_destroy(struct co_host_event *e)
{
	co_host_free(e);
}
