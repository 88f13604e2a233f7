// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: per class, a count of calls and an optional plan "fail
 * calls nth..nth+count-1 from now" or "shorten the next N transfers".
 */
#include <limits.h>
#include <pthread.h>

#include "internal.h"

struct fault_plan {
	unsigned long calls;
	unsigned long injected;
	unsigned long skip;	/* calls to let through before failing */
	unsigned long fail;	/* calls to fail after that */
	int err;		/* positive co_err; 0: class default */
	size_t short_max;
	unsigned long short_calls;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault_plan plans[CO_SIM_FAULT_NR];

static bool valid_class(enum co_sim_fault_class cls)
{
	return (unsigned int)cls < CO_SIM_FAULT_NR;
}

static bool is_alloc_class(enum co_sim_fault_class cls)
{
	return cls == CO_SIM_FAULT_PAGE_ALLOC ||
	       cls == CO_SIM_FAULT_HEAP_ALLOC ||
	       cls == CO_SIM_FAULT_OBJECT ||
	       cls == CO_SIM_FAULT_NET_OPEN;
}

static int default_err(enum co_sim_fault_class cls)
{
	switch (cls) {
	case CO_SIM_FAULT_PAGE_ALLOC:
	case CO_SIM_FAULT_HEAP_ALLOC:
	case CO_SIM_FAULT_OBJECT:
	case CO_SIM_FAULT_ANY_ALLOC:
		return CO_ENOMEM;
	default:
		return CO_EIO;
	}
}

void co_sim_fault_fail_range(enum co_sim_fault_class cls, unsigned long nth,
			     unsigned long count, int err)
{
	struct fault_plan *p;

	if (!valid_class(cls))
		return;
	if (err < 0)
		err = -err;
	p = &plans[cls];
	pthread_mutex_lock(&fault_lock);
	p->skip = nth ? nth - 1 : 0;
	p->fail = count;
	p->err = err;
	pthread_mutex_unlock(&fault_lock);
}

void co_sim_fault_fail_nth(enum co_sim_fault_class cls, unsigned long nth,
			   int err)
{
	co_sim_fault_fail_range(cls, nth, 1, err);
}

void co_sim_fault_short(enum co_sim_fault_class cls, size_t max,
			unsigned long calls)
{
	if (!valid_class(cls))
		return;
	pthread_mutex_lock(&fault_lock);
	plans[cls].short_max = max;
	plans[cls].short_calls = calls;
	pthread_mutex_unlock(&fault_lock);
}

unsigned long co_sim_fault_calls(enum co_sim_fault_class cls)
{
	unsigned long n;

	if (!valid_class(cls))
		return 0;
	pthread_mutex_lock(&fault_lock);
	n = plans[cls].calls;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

unsigned long co_sim_fault_injected(enum co_sim_fault_class cls)
{
	unsigned long n;

	if (!valid_class(cls))
		return 0;
	pthread_mutex_lock(&fault_lock);
	n = plans[cls].injected;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

void co_sim_fault_reset(void)
{
	pthread_mutex_lock(&fault_lock);
	__builtin_memset(plans, 0, sizeof(plans));
	pthread_mutex_unlock(&fault_lock);
}

/* One call of @cls: does its plan say fail? Called with the lock held. */
static int step(enum co_sim_fault_class cls)
{
	struct fault_plan *p = &plans[cls];

	p->calls++;
	if (!p->fail)
		return 0;
	if (p->skip) {
		p->skip--;
		return 0;
	}
	if (p->fail != ULONG_MAX)
		p->fail--;
	p->injected++;
	return -(p->err ? p->err : default_err(cls));
}

int co_sim_fault_check(enum co_sim_fault_class cls)
{
	int err, any = 0;

	if (!valid_class(cls))
		return 0;
	pthread_mutex_lock(&fault_lock);
	err = step(cls);
	if (is_alloc_class(cls))
		any = step(CO_SIM_FAULT_ANY_ALLOC);
	pthread_mutex_unlock(&fault_lock);
	return err ? err : any;
}

size_t co_sim_fault_clamp(enum co_sim_fault_class cls, size_t len)
{
	struct fault_plan *p;

	if (!valid_class(cls))
		return len;
	p = &plans[cls];
	pthread_mutex_lock(&fault_lock);
	if (p->short_calls) {
		p->short_calls--;
		if (len > p->short_max)
			len = p->short_max;
	}
	pthread_mutex_unlock(&fault_lock);
	return len;
}
