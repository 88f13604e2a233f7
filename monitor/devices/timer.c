// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's one-shot timer (CO_OP_SET_TIMER). The guest sets a deadline
 * on the monotonic clock; once the clock reaches it, the next poll raises
 * CO_IRQ_TIMER and disarms. A host timer backs the deadline only to wake
 * the VM thread if it sleeps: its callback runs in any context, so it
 * signals the VM's event and touches nothing else. All guest-visible work
 * happens in poll, on the VM thread.
 */
#include <colinux/lib.h>
#include "internal/vm.h"

struct co_timer {
	struct co_device dev;
	struct co_host_timer *host;
	uint64_t deadline;		/* 0: not armed */
};

static const struct co_device_ops timer_ops;

/* [any] */
static void timer_fired(void *arg)
{
	struct co_timer *t = arg;
	struct co_host_event *wake = t->dev.vm ? t->dev.vm->wake : NULL;

	if (wake)
		co_host_event_signal(wake);
}

static void set_deadline(struct co_timer *t, uint64_t deadline)
{
	struct co_vm *vm = t->dev.vm;

	t->deadline = deadline;
	if (vm && vm->shared)
		CO_WRITE_ONCE(vm->shared->timer_deadline, deadline);
	if (deadline)
		co_host_timer_arm(t->host, deadline);
	else
		co_host_timer_cancel(t->host);
}

void co_timer_set(struct co_device *timer, uint64_t deadline_ns)
{
	if (!timer || timer->ops != &timer_ops)
		return;
	/* A deadline already past is armed all the same: the next poll fires. */
	set_deadline(timer->priv, deadline_ns);
}

static int timer_process(struct co_device *dev, struct co_queue *q)
{
	return -CO_ENOTSUP;	/* no queues */
}

static void timer_poll(struct co_device *dev)
{
	struct co_timer *t = dev->priv;

	if (!t->deadline || co_host_monotonic_ns() < t->deadline)
		return;
	set_deadline(t, 0);
	co_vm_raise_irq(dev->vm, CO_IRQ_TIMER);
}

static uint64_t timer_next_deadline(struct co_device *dev)
{
	struct co_timer *t = dev->priv;

	return t->deadline ? t->deadline : CO_NO_DEADLINE;
}

static void timer_reset(struct co_device *dev)
{
	set_deadline(dev->priv, 0);
}

static void timer_destroy(struct co_device *dev)
{
	struct co_timer *t = dev->priv;

	co_host_timer_destroy(t->host);
	co_host_free(t);
}

static const struct co_device_ops timer_ops = {
	.name		= "timer",
	.process	= timer_process,
	.poll		= timer_poll,
	.next_deadline	= timer_next_deadline,
	.reset		= timer_reset,
	.destroy	= timer_destroy,
};

int co_timer_create(struct co_vm *vm, struct co_device **out)
{
	struct co_timer *t;

	t = co_host_zalloc(sizeof(*t));
	if (!t)
		return -CO_ENOMEM;
	t->host = co_host_timer_create(timer_fired, t);
	if (!t->host) {
		co_host_free(t);
		return -CO_ENOMEM;
	}
	co_device_init(&t->dev, vm, &timer_ops, CO_DEV_TIMER, 0, CO_IRQ_TIMER,
		       0, 0);
	t->dev.priv = t;
	*out = &t->dev;
	return 0;
}
