// SPDX-License-Identifier: GPL-2.0
/*
 * Auto-reset events on an eventfd: signalling is a write (safe from any
 * thread or callback), and a waiter can poll the event together with the
 * network back-ends' sockets.
 *
 * The wait loop: signalled? -> 0. Else service the back-ends and the due
 * timers. Still nothing: in virtual time, give the real world a short look
 * and jump the clock to the next deadline or timer; in real time, sleep on
 * everything at once. Nothing that could ever signal: -CO_EBUSY.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

#define NS_PER_MS		1000000LL
/* How long virtual time waits for the real world before jumping. */
#define VIRT_PEEK_NS		(1 * NS_PER_MS)
/* Nothing scheduled, only outside sources: how long one sleep lasts. */
#define IDLE_SLICE_NS		(100 * NS_PER_MS)

struct co_host_event {
	int fd;
};

static int nr_external;

void co_sim_external_source(bool add)
{
	__atomic_add_fetch(&nr_external, add ? 1 : -1, __ATOMIC_RELAXED);
}

bool co_sim_external_sources(void)
{
	return __atomic_load_n(&nr_external, __ATOMIC_RELAXED) > 0;
}

struct co_host_event *co_host_event_create(void)
{
	struct co_host_event *e;

	if (co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	e->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->fd < 0) {
		free(e);
		return NULL;
	}
	co_sim_count(CO_SIM_OBJ_EVENTS, 1);
	return e;
}

void co_host_event_destroy(struct co_host_event *e)
{
	if (!e)
		return;
	close(e->fd);
	co_sim_count(CO_SIM_OBJ_EVENTS, -1);
	free(e);
}

void co_host_event_signal(struct co_host_event *e)
{
	uint64_t one = 1;
	ssize_t n;

	/* Only fails when the counter would overflow: it is set anyway. */
	do {
		n = write(e->fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
}

/* Consume the signal, if there is one. */
static bool take(struct co_host_event *e)
{
	uint64_t v;
	ssize_t n;

	do {
		n = read(e->fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(v);
}

static bool outside_sources(void)
{
	return co_sim_net_count() || co_sim_external_sources();
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int wait_virtual(struct co_host_event *e, uint64_t deadline)
{
	unsigned int spins = 0;
	uint64_t target;
	bool outside;
	int busy;

	for (;;) {
		co_sim_net_wait(-1, 0);
		co_sim_timers_run_due();
		if (take(e))
			return 0;
		if (deadline != CO_NO_DEADLINE &&
		    co_host_monotonic_ns() >= deadline)
			return -CO_ETIMEDOUT;
		target = min_u64(deadline, co_sim_timer_next());
		target = min_u64(target, co_sim_net_next_deadline());
		outside = outside_sources();
		if (!outside && target == UINT64_MAX)
			return -CO_EBUSY;
		if (outside) {
			busy = co_sim_net_wait(e->fd, target == UINT64_MAX ?
					       IDLE_SLICE_NS : VIRT_PEEK_NS);
			if (take(e))
				return 0;
			/*
			 * The outside world moved: look again before jumping,
			 * but do not let a chatty socket stop time for good.
			 */
			if (busy && ++spins < 64)
				continue;
			spins = 0;
		}
		if (target != UINT64_MAX)
			co_sim_clock_advance_to(target);
	}
}

static int wait_real(struct co_host_event *e, uint64_t deadline)
{
	uint64_t now, until;
	int64_t timeout;

	for (;;) {
		co_sim_net_wait(-1, 0);
		if (take(e))
			return 0;
		now = co_host_monotonic_ns();
		if (deadline != CO_NO_DEADLINE && now >= deadline)
			return -CO_ETIMEDOUT;
		if (deadline == CO_NO_DEADLINE && !outside_sources() &&
		    !co_sim_timers_armed())
			return -CO_EBUSY;
		until = min_u64(deadline, co_sim_net_next_deadline());
		timeout = until == UINT64_MAX ? -1 :
			  until > now ? (int64_t)(until - now) : 0;
		co_sim_net_wait(e->fd, timeout);
	}
}

int co_host_event_wait(struct co_host_event *e, uint64_t deadline_ns)
{
	if (take(e))
		return 0;
	if (co_sim_clock_is_real())
		return wait_real(e, deadline_ns);
	return wait_virtual(e, deadline_ns);
}
