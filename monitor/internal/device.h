/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one small interface every device back-end implements. A device owns
 * some of the VM's queues and interrupt lines (published to the guest in
 * the boot parameters' device table).
 */
#ifndef CO_MONITOR_DEVICE_H
#define CO_MONITOR_DEVICE_H

#include <colinux/abi/devices.h>
#include <colinux/config.h>
#include "internal/queue.h"

#define CO_DEV_MAX_QUEUES	2

struct co_device;

struct co_device_ops {
	const char *name;
	/* The guest rang the doorbell of one of our queues. [vm] */
	int (*process)(struct co_device *dev, struct co_queue *q);
	/* Host-side work: due timers, frames and keys from outside. [vm] */
	void (*poll)(struct co_device *dev);
	/* The earliest monotonic time poll has work (CO_NO_DEADLINE). */
	uint64_t (*next_deadline)(struct co_device *dev);
	/* Guest reset: forget guest state, keep host resources. */
	void (*reset)(struct co_device *dev);
	void (*destroy)(struct co_device *dev);
};

struct co_device {
	struct co_vm *vm;
	const struct co_device_ops *ops;
	struct co_dev_info info;	/* as the guest sees it */
	struct co_queue queue[CO_DEV_MAX_QUEUES];
	void *priv;
};

/* Common set-up: fill info, bind info.nr_queues queues to the VM. */
void co_device_init(struct co_device *dev, struct co_vm *vm,
		    const struct co_device_ops *ops, unsigned int dev_class,
		    unsigned int unit, unsigned int irq,
		    unsigned int first_queue, unsigned int nr_queues);

/* Constructors. Each returns a device or a negative error. [passive] */
int co_cobd_create(struct co_vm *vm, unsigned int unit,
		   const struct co_cobd_config *cfg, struct co_device **out);
int co_conet_create(struct co_vm *vm, unsigned int unit,
		    const struct co_conet_config *cfg, struct co_device **out);
int co_cocon_create(struct co_vm *vm, unsigned int cols, unsigned int rows,
		    struct co_device **out);
int co_timer_create(struct co_vm *vm, struct co_device **out);
int co_power_create(struct co_vm *vm, struct co_device **out);

/* CO_OP_SET_TIMER lands here. */
void co_timer_set(struct co_device *timer, uint64_t deadline_ns);
/* The mailbox's power events land here. [vm] */
void co_power_send(struct co_device *power, unsigned int event);
/* CO_POWER_CTRL_ALT_DEL or CO_POWER_SHUTDOWN. [any] */
bool co_power_event_valid(unsigned int event);

#endif
