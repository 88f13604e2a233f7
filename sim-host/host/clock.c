// SPDX-License-Identifier: GPL-2.0
/*
 * Time and one-shot timers. In virtual mode (the default) time stands
 * still until co_sim_clock_advance or an idle co_host_event_wait moves it,
 * and timers run on the thread that moves it, in deadline order. In real
 * mode the clocks are CLOCK_MONOTONIC / CLOCK_REALTIME and a timer thread
 * runs the callbacks (the host.h "[any]" context, like an NT DPC).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

struct co_host_timer {
	struct co_host_timer *next, *prev;
	void (*fn)(void *arg);
	void *arg;
	uint64_t deadline;
	uint64_t seq;		/* arming order, to break deadline ties */
	bool armed;
};

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t clock_cond;
static pthread_once_t cond_once = PTHREAD_ONCE_INIT;
static struct co_host_timer *timers;
static unsigned long nr_timers;
static uint64_t arm_seq;
static uint64_t vnow = CO_SIM_MONO_START;
static uint64_t wall_off = CO_SIM_WALL_START - CO_SIM_MONO_START;
static bool real_mode;
/* Real mode: the timer thread, and the timer whose callback it runs. */
static pthread_t tthread;
static bool tthread_stop;
static const struct co_host_timer *running;

static void cond_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&clock_cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void lock(void)
{
	pthread_once(&cond_once, cond_init);
	pthread_mutex_lock(&clock_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&clock_lock);
}

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t co_host_monotonic_ns(void)
{
	if (__atomic_load_n(&real_mode, __ATOMIC_ACQUIRE))
		return read_clock(CLOCK_MONOTONIC);
	return __atomic_load_n(&vnow, __ATOMIC_ACQUIRE);
}

uint64_t co_host_wallclock_ns(void)
{
	if (__atomic_load_n(&real_mode, __ATOMIC_ACQUIRE))
		return read_clock(CLOCK_REALTIME);
	return __atomic_load_n(&vnow, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&wall_off, __ATOMIC_ACQUIRE);
}

bool co_sim_clock_is_real(void)
{
	return __atomic_load_n(&real_mode, __ATOMIC_ACQUIRE);
}

void co_sim_clock_set_wall(uint64_t ns)
{
	lock();
	__atomic_store_n(&wall_off, ns - vnow, __ATOMIC_RELEASE);
	unlock();
}

/* The armed timer due first, if due by @limit. Called with the lock held. */
static struct co_host_timer *earliest(uint64_t limit)
{
	struct co_host_timer *t, *best = NULL;

	for (t = timers; t; t = t->next) {
		if (!t->armed || t->deadline > limit)
			continue;
		if (!best || t->deadline < best->deadline ||
		    (t->deadline == best->deadline && t->seq < best->seq))
			best = t;
	}
	return best;
}

/* Virtual mode: run every timer due by @limit, moving time to each. */
static void run_due(uint64_t limit)
{
	struct co_host_timer *t;
	void (*fn)(void *arg);
	void *arg;

	for (;;) {
		lock();
		t = real_mode ? NULL : earliest(limit);
		if (!t) {
			unlock();
			return;
		}
		if (t->deadline > vnow)
			__atomic_store_n(&vnow, t->deadline, __ATOMIC_RELEASE);
		t->armed = false;
		fn = t->fn;
		arg = t->arg;
		unlock();
		/* The callback may re-arm or destroy @t: do not touch it. */
		fn(arg);
	}
}

void co_sim_timers_run_due(void)
{
	if (!co_sim_clock_is_real())
		run_due(co_host_monotonic_ns());
}

void co_sim_clock_advance_to(uint64_t mono_ns)
{
	if (co_sim_clock_is_real()) {
		co_sim_misuse("virtual clock advanced in real-time mode");
		return;
	}
	run_due(mono_ns);
	lock();
	if (vnow < mono_ns)
		__atomic_store_n(&vnow, mono_ns, __ATOMIC_RELEASE);
	unlock();
}

void co_sim_clock_advance(uint64_t ns)
{
	co_sim_clock_advance_to(co_host_monotonic_ns() + ns);
}

uint64_t co_sim_timer_next(void)
{
	struct co_host_timer *t;
	uint64_t d;

	lock();
	t = earliest(UINT64_MAX);
	d = t ? t->deadline : UINT64_MAX;
	unlock();
	return d;
}

bool co_sim_timers_armed(void)
{
	return co_sim_timer_next() != UINT64_MAX;
}

struct co_host_timer *co_host_timer_create(void (*fn)(void *arg), void *arg)
{
	struct co_host_timer *t;

	if (!fn || co_sim_fault_check(CO_SIM_FAULT_OBJECT))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	lock();
	t->next = timers;
	if (timers)
		timers->prev = t;
	timers = t;
	nr_timers++;
	unlock();
	co_sim_count(CO_SIM_OBJ_TIMERS, 1);
	return t;
}

void co_host_timer_arm(struct co_host_timer *t, uint64_t deadline_ns)
{
	lock();
	t->deadline = deadline_ns;
	t->seq = ++arm_seq;
	t->armed = true;
	if (real_mode)
		pthread_cond_broadcast(&clock_cond);
	unlock();
}

void co_host_timer_cancel(struct co_host_timer *t)
{
	lock();
	t->armed = false;
	unlock();
}

void co_host_timer_destroy(struct co_host_timer *t)
{
	if (!t)
		return;
	lock();
	if (t->prev)
		t->prev->next = t->next;
	else
		timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	nr_timers--;
	/* Like KeFlushQueuedDpcs: a running callback finishes first. */
	while (real_mode && running == t &&
	       !pthread_equal(pthread_self(), tthread))
		pthread_cond_wait(&clock_cond, &clock_lock);
	unlock();
	co_sim_count(CO_SIM_OBJ_TIMERS, -1);
	free(t);
}

/* Called with the lock held. */
static void sleep_until(uint64_t deadline)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline / 1000000000ULL);
	ts.tv_nsec = (long)(deadline % 1000000000ULL);
	pthread_cond_timedwait(&clock_cond, &clock_lock, &ts);
}

static void *timer_thread(void *unused)
{
	struct co_host_timer *t;
	void (*fn)(void *arg);
	void *arg;

	lock();
	while (!tthread_stop) {
		t = earliest(UINT64_MAX);
		if (!t) {
			pthread_cond_wait(&clock_cond, &clock_lock);
			continue;
		}
		if (t->deadline > read_clock(CLOCK_MONOTONIC)) {
			sleep_until(t->deadline);
			continue;
		}
		t->armed = false;
		running = t;
		fn = t->fn;
		arg = t->arg;
		unlock();
		fn(arg);
		lock();
		running = NULL;
		pthread_cond_broadcast(&clock_cond);
	}
	unlock();
	return NULL;
}

/* Called with the lock held; drops it while joining. */
static void stop_thread(void)
{
	tthread_stop = true;
	pthread_cond_broadcast(&clock_cond);
	unlock();
	pthread_join(tthread, NULL);
	lock();
	__atomic_store_n(&real_mode, false, __ATOMIC_RELEASE);
}

int co_sim_clock_real(bool on)
{
	int err = 0;

	lock();
	if (on == real_mode)
		goto out;
	err = -CO_EBUSY;
	if (earliest(UINT64_MAX))
		goto out;
	err = 0;
	if (!on) {
		stop_thread();
		goto out;
	}
	tthread_stop = false;
	if (pthread_create(&tthread, NULL, timer_thread, NULL)) {
		err = -CO_ENOMEM;
		goto out;
	}
	__atomic_store_n(&real_mode, true, __ATOMIC_RELEASE);
out:
	unlock();
	return err;
}

int co_sim_clock_reset(void)
{
	int err = -CO_EBUSY;

	lock();
	if (nr_timers)
		goto out;
	if (real_mode)
		stop_thread();
	__atomic_store_n(&vnow, CO_SIM_MONO_START, __ATOMIC_RELEASE);
	__atomic_store_n(&wall_off, CO_SIM_WALL_START - CO_SIM_MONO_START,
			 __ATOMIC_RELEASE);
	arm_seq = 0;
	err = 0;
out:
	unlock();
	return err;
}

static struct {
	uint32_t khz, mult;
	uint64_t tsc0;
	int8_t shift;
} tsc;

void co_sim_tsc_set(uint32_t khz, uint64_t tsc0, uint32_t mult, int8_t shift)
{
	lock();
	tsc.khz = khz;
	tsc.tsc0 = tsc0;
	tsc.mult = mult;
	tsc.shift = shift;
	unlock();
}

uint32_t co_host_tsc_khz(void)
{
	uint32_t khz;

	lock();
	khz = tsc.khz;
	unlock();
	return khz;
}

int co_host_clock_tsc(uint64_t *tsc0, uint32_t *mult, int8_t *shift)
{
	int err = -CO_ENOTSUP;

	lock();
	if (tsc.mult) {
		*tsc0 = tsc.tsc0;
		*mult = tsc.mult;
		*shift = tsc.shift;
		err = 0;
	}
	unlock();
	return err;
}
