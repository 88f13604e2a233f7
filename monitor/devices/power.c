// SPDX-License-Identifier: GPL-2.0
/*
 * Power events for the guest: the host front end asks for Ctrl-Alt-Del or
 * an orderly shutdown; the guest finds the event in the shared page when
 * CO_IRQ_POWER arrives. A newer event replaces one the guest has not read.
 */
#include <colinux/lib.h>
#include "internal/vm.h"

static const struct co_device_ops power_ops;

bool co_power_event_valid(unsigned int event)
{
	return event == CO_POWER_CTRL_ALT_DEL || event == CO_POWER_SHUTDOWN;
}

/* [vm]: other threads post through the mailbox (co_vm_post_power). */
void co_power_send(struct co_device *power, unsigned int event)
{
	struct co_vm *vm;

	if (!power || power->ops != &power_ops)
		return;
	if (!co_power_event_valid(event)) {
		co_warn("power: ignoring unknown event %u", event);
		return;
	}
	vm = power->vm;
	if (!vm || !vm->shared) {
		co_warn("power: no guest to send event %u to", event);
		return;
	}
	CO_WRITE_ONCE(vm->shared->power_event, event);
	co_vm_raise_irq(vm, CO_IRQ_POWER);
}

static int power_process(struct co_device *dev, struct co_queue *q)
{
	return -CO_ENOTSUP;	/* no queues */
}

static void power_poll(struct co_device *dev)
{
}

static uint64_t power_next_deadline(struct co_device *dev)
{
	return CO_NO_DEADLINE;
}

static void power_reset(struct co_device *dev)
{
	if (dev->vm && dev->vm->shared)
		CO_WRITE_ONCE(dev->vm->shared->power_event, CO_POWER_NONE);
}

static void power_destroy(struct co_device *dev)
{
	co_host_free(dev);
}

static const struct co_device_ops power_ops = {
	.name		= "power",
	.process	= power_process,
	.poll		= power_poll,
	.next_deadline	= power_next_deadline,
	.reset		= power_reset,
	.destroy	= power_destroy,
};

int co_power_create(struct co_vm *vm, struct co_device **out)
{
	struct co_device *dev;

	dev = co_host_zalloc(sizeof(*dev));
	if (!dev)
		return -CO_ENOMEM;
	co_device_init(dev, vm, &power_ops, CO_DEV_POWER, 0, CO_IRQ_POWER, 0, 0);
	*out = dev;
	return 0;
}
