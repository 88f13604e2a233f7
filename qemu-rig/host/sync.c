// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronisation on a single CPU with one thread: a mutex is a flag
 * (taking a held one is a bug, reported), a spinlock is the same flag with
 * interrupts off while it is held (so an interrupt handler may take it),
 * an event is a flag the waiter polls between interrupts. While it waits, the host runs due timers (on
 * the tick) and polls the NICs and the console.
 */
#include "bare.h"

struct co_host_mutex {
	bool held;
};

struct co_host_spinlock {
	bool held;
	uint64_t flags;		/* the holder's interrupt flag */
};

struct co_host_event {
	volatile bool signalled;
};

bool bare_console_is_source;
bool bare_net_is_source;

struct co_host_mutex *co_host_mutex_create(void)
{
	return co_host_zalloc(sizeof(struct co_host_mutex));
}

void co_host_mutex_lock(struct co_host_mutex *m)
{
	if (m->held)
		bare_panic("mutex %p taken twice on the only thread", (void *)m);
	m->held = true;
}

void co_host_mutex_unlock(struct co_host_mutex *m)
{
	if (!m->held)
		bare_panic("mutex %p released but not held", (void *)m);
	m->held = false;
}

void co_host_mutex_destroy(struct co_host_mutex *m)
{
	co_host_free(m);
}

struct co_host_spinlock *co_host_spinlock_create(void)
{
	return co_host_zalloc(sizeof(struct co_host_spinlock));
}

void co_host_spin_lock(struct co_host_spinlock *s)
{
	uint64_t f = irq_save();

	if (s->held)
		bare_panic("spinlock %p taken twice on the only CPU", (void *)s);
	s->held = true;
	s->flags = f;
}

void co_host_spin_unlock(struct co_host_spinlock *s)
{
	uint64_t f = s->flags;

	if (!s->held)
		bare_panic("spinlock %p released but not held", (void *)s);
	s->held = false;
	irq_restore(f);
}

void co_host_spinlock_destroy(struct co_host_spinlock *s)
{
	co_host_free(s);
}

struct co_host_event *co_host_event_create(void)
{
	return co_host_zalloc(sizeof(struct co_host_event));
}

void co_host_event_signal(struct co_host_event *e)
{
	e->signalled = true;
}

static bool take(struct co_host_event *e)
{
	return __atomic_exchange_n(&e->signalled, false, __ATOMIC_SEQ_CST);
}

int co_host_event_wait(struct co_host_event *e, uint64_t deadline_ns)
{
	for (;;) {
		net_poll_all();
		serial_poll();
		if (take(e))
			return 0;
		if (co_host_monotonic_ns() >= deadline_ns)
			return -CO_ETIMEDOUT;
		if (deadline_ns == CO_NO_DEADLINE && !bare_timers_armed() &&
		    !bare_console_is_source && !bare_net_is_source)
			return -CO_EBUSY;
		bare_wait_interrupt();
	}
}

void co_host_event_destroy(struct co_host_event *e)
{
	co_host_free(e);
}
