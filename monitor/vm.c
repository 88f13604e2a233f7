// SPDX-License-Identifier: GPL-2.0
/*
 * The VM object: creation, lifecycle states and teardown. Teardown is one
 * function that copes with a half-built VM, so every error path of
 * co_vm_create unwinds through it and nothing leaks.
 */
#include <colinux/monitor.h>
#include <colinux/cpu.h>
#include <colinux/lib.h>
#include "internal/passage.h"
#include "internal/vm.h"

static const char *const state_names[] = {
	[CO_VM_CREATED]	= "created",
	[CO_VM_LOADED]	= "loaded",
	[CO_VM_STARTED]	= "started",
	[CO_VM_RUNNING]	= "running",
	[CO_VM_STOPPED]	= "stopped",
};

const char *co_vm_state_name(enum co_vm_state s)
{
	if ((unsigned int)s >= CO_ARRAY_SIZE(state_names))
		return "invalid";
	return state_names[s];
}

enum co_vm_state co_vm_state(const struct co_vm *vm)
{
	return vm->state;
}

void co_device_init(struct co_device *dev, struct co_vm *vm,
		    const struct co_device_ops *ops, unsigned int dev_class,
		    unsigned int unit, unsigned int irq,
		    unsigned int first_queue, unsigned int nr_queues)
{
	unsigned int i;

	dev->vm = vm;
	dev->ops = ops;
	co_memset(&dev->info, 0, sizeof(dev->info));
	dev->info.dev_class = dev_class;
	dev->info.unit = unit;
	dev->info.irq = irq;
	dev->info.first_queue = first_queue;
	dev->info.nr_queues = nr_queues;
	for (i = 0; i < nr_queues && i < CO_DEV_MAX_QUEUES; i++) {
		co_memset(&dev->queue[i], 0, sizeof(dev->queue[i]));
		dev->queue[i].vm = vm;
		dev->queue[i].dev = dev;
		dev->queue[i].id = first_queue + i;
	}
}

static int add_device(struct co_vm *vm, struct co_device *dev)
{
	unsigned int i;

	if (vm->nr_dev >= CO_BOOT_MAX_DEVICES) {
		dev->ops->destroy(dev);
		return -CO_ERANGE;
	}
	vm->dev[vm->nr_dev++] = dev;
	for (i = 0; i < dev->info.nr_queues; i++)
		vm->queue[dev->queue[i].id] = &dev->queue[i];
	return 0;
}

/* Create, then register; a failed registration destroys the device. */
#define ADD_DEVICE(vm, call, slot)					\
	({								\
		struct co_device *__d = NULL;				\
		int __err = (call);					\
		if (!__err)						\
			__err = add_device((vm), __d);			\
		if (!__err && (slot))					\
			*(struct co_device **)(slot) = __d;		\
		__err;							\
	})

static int devices_create(struct co_vm *vm)
{
	const struct co_config *cfg = &vm->cfg;
	unsigned int i;
	int err;

	err = ADD_DEVICE(vm, co_timer_create(vm, &__d), &vm->timer);
	if (err)
		return err;
	err = ADD_DEVICE(vm, co_power_create(vm, &__d), &vm->power);
	if (err)
		return err;
	err = ADD_DEVICE(vm, co_cocon_create(vm, cfg->cocon_cols,
					     cfg->cocon_rows, &__d),
			 &vm->console);
	if (err)
		return err;
	for (i = 0; i < CO_COBD_UNITS; i++) {
		if (!cfg->cobd[i].present)
			continue;
		err = ADD_DEVICE(vm, co_cobd_create(vm, i, &cfg->cobd[i], &__d),
				 NULL);
		if (err)
			return err;
	}
	for (i = 0; i < CO_CONET_UNITS; i++) {
		if (cfg->eth[i].kind == CO_NET_NONE)
			continue;
		err = ADD_DEVICE(vm, co_conet_create(vm, i, &cfg->eth[i], &__d),
				 NULL);
		if (err)
			return err;
	}
	return 0;
}

static void devices_destroy(struct co_vm *vm)
{
	while (vm->nr_dev) {
		struct co_device *dev = vm->dev[--vm->nr_dev];

		dev->ops->destroy(dev);
		vm->dev[vm->nr_dev] = NULL;
	}
	co_memset(vm->queue, 0, sizeof(vm->queue));
	vm->timer = vm->power = vm->console = NULL;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = co_strdup(src);
	return *dst ? 0 : -CO_ENOMEM;
}

/* A deep copy, so the caller's configuration may go away. */
static int config_copy(struct co_config *dst, const struct co_config *src)
{
	unsigned int i;
	int err;

	*dst = *src;
	dst->kernel = dst->initrd = NULL;
	for (i = 0; i < CO_COBD_UNITS; i++)
		dst->cobd[i].path = NULL;
	for (i = 0; i < CO_CONET_UNITS; i++)
		dst->eth[i].path = NULL;

	err = dup_str(&dst->kernel, src->kernel);
	if (!err)
		err = dup_str(&dst->initrd, src->initrd);
	for (i = 0; !err && i < CO_COBD_UNITS; i++)
		err = dup_str(&dst->cobd[i].path, src->cobd[i].path);
	for (i = 0; !err && i < CO_CONET_UNITS; i++)
		err = dup_str(&dst->eth[i].path, src->eth[i].path);
	return err;
}

static void cpu_detach(struct co_vm *vm)
{
	if (vm->cpu_priv && vm->cpu->detach)
		vm->cpu->detach(vm->cpu_priv);
	vm->cpu_priv = NULL;
}

static void images_free(struct co_vm *vm)
{
	co_host_free(vm->kernel);
	vm->kernel = NULL;
	vm->kernel_len = 0;
	vm->kernel_loaded = false;
	co_memset(&vm->elf, 0, sizeof(vm->elf));
	vm->initrd_gpa = vm->initrd_size = 0;
	vm->entry_va = 0;
}

void co_vm_destroy(struct co_vm *vm)
{
	if (!vm)
		return;
	cpu_detach(vm);
	devices_destroy(vm);
	co_passage_destroy(vm);
	co_ram_free(&vm->ram);
	images_free(vm);
	if (vm->wake)
		co_host_event_destroy(vm->wake);
	if (vm->lock)
		co_host_spinlock_destroy(vm->lock);
	co_config_free(&vm->cfg);
	co_host_free(vm);
}

/*
 * A back-end that maps guest-physical as host-physical gets one window by
 * default; asked for paged RAM explicitly, it cannot run the guest at all.
 */
static int ram_window(struct co_vm *vm, const struct co_cpu_ops *cpu)
{
	if (!(cpu->caps & CO_CPU_CONTIGUOUS_RAM))
		return 0;
	if (!(vm->cfg.seen_keys & CO_CONFIG_SEEN_MEMWINDOW)) {
		vm->cfg.contiguous = true;
		return 0;
	}
	if (vm->cfg.contiguous)
		return 0;
	co_err("memwindow=paged: the %s CPU back-end needs guest RAM as one contiguous window (memwindow=contiguous)",
	       cpu->name);
	return -CO_ENOTSUP;
}

int co_vm_create(const struct co_config *cfg, const struct co_cpu_ops *cpu,
		 struct co_vm **out)
{
	struct co_vm *vm;
	int err;

	*out = NULL;
	if (!cpu || !cpu->enter)
		return -CO_EINVAL;
	vm = co_host_zalloc(sizeof(*vm));
	if (!vm)
		return -CO_ENOMEM;
	vm->cpu = cpu;
	vm->state = CO_VM_CREATED;

	co_config_init(&vm->cfg);
	err = config_copy(&vm->cfg, cfg);
	if (err)
		goto fail;
	err = ram_window(vm, cpu);
	if (err)
		goto fail;
	err = co_ram_init(&vm->ram, cfg->mem_bytes, vm->cfg.contiguous);
	if (err) {
		co_err("cannot allocate %llu MiB of guest RAM: %s",
		       (unsigned long long)(cfg->mem_bytes >> 20),
		       co_strerror(err));
		goto fail;
	}
	err = -CO_ENOMEM;
	vm->wake = co_host_event_create();
	if (!vm->wake)
		goto fail;
	vm->lock = co_host_spinlock_create();
	if (!vm->lock)
		goto fail;
	err = co_passage_create(vm);
	if (err)
		goto fail;
	err = devices_create(vm);
	if (err)
		goto fail;
	*out = vm;
	return 0;
fail:
	co_vm_destroy(vm);
	return err;
}

int co_vm_start(struct co_vm *vm)
{
	int err;

	if (vm->state != CO_VM_LOADED)
		return -CO_ESTATE;
	err = co_boot_setup(vm);
	if (err)
		return err;
	if (vm->cpu->attach) {
		err = vm->cpu->attach(vm, &vm->cpu_priv);
		if (err)
			return err;
	}
	vm->state = CO_VM_STARTED;
	return 0;
}

int co_vm_reset(struct co_vm *vm)
{
	unsigned int i;

	/* Posted for the old guest, or refused because it stopped. */
	co_mailbox_reset(vm);
	if (vm->state == CO_VM_CREATED)
		return 0;
	cpu_detach(vm);
	for (i = 0; i < vm->nr_dev; i++) {
		struct co_device *dev = vm->dev[i];
		unsigned int q;

		for (q = 0; q < dev->info.nr_queues; q++)
			co_queue_reset(&dev->queue[q]);
		if (dev->ops->reset)
			dev->ops->reset(dev);
	}
	co_passage_reset(vm);
	co_ram_clear(&vm->ram);
	images_free(vm);
	co_memset(&vm->exit, 0, sizeof(vm->exit));
	co_memset(&vm->stats, 0, sizeof(vm->stats));
	vm->stopping = false;
	vm->kicked = false;
	vm->state = CO_VM_CREATED;
	return 0;
}

const struct co_config *co_vm_config(const struct co_vm *vm)
{
	return &vm->cfg;
}

struct co_passage_shared *co_vm_shared(struct co_vm *vm)
{
	return vm->shared;
}

int co_vm_read_gpa(struct co_vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return co_ram_read(&vm->ram, gpa, buf, len);
}

int co_vm_write_gpa(struct co_vm *vm, uint64_t gpa, const void *buf,
		    size_t len)
{
	return co_ram_write(&vm->ram, gpa, buf, len);
}

int co_vm_gpa_to_hpa(const struct co_vm *vm, uint64_t gpa, uint64_t *hpa)
{
	return co_ram_gpa_to_hpa(&vm->ram, gpa, hpa);
}

uint64_t co_vm_ram_base(const struct co_vm *vm)
{
	return vm->ram.base;
}

uint64_t co_vm_ram_size(const struct co_vm *vm)
{
	return vm->ram.size;
}

void co_vm_stats(const struct co_vm *vm, struct co_vm_stats *st)
{
	*st = vm->stats;
}

struct co_device *co_vm_device(struct co_vm *vm, unsigned int dev_class,
			       unsigned int unit)
{
	unsigned int i;

	for (i = 0; i < vm->nr_dev; i++) {
		if (vm->dev[i]->info.dev_class == dev_class &&
		    vm->dev[i]->info.unit == unit)
			return vm->dev[i];
	}
	return NULL;
}

struct co_queue *co_vm_queue(struct co_vm *vm, unsigned int id)
{
	if (id >= CO_MAX_QUEUES)
		return NULL;
	return vm->queue[id];
}

void co_vm_kick(struct co_vm *vm)
{
	__atomic_store_n(&vm->kicked, true, __ATOMIC_SEQ_CST);
	co_host_event_signal(vm->wake);
}
