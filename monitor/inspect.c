// SPDX-License-Identifier: GPL-2.0
/*
 * The inspection API (<colinux/inspect.h>): copies of what the VM object
 * holds, for harnesses and debuggers, so that none of them needs the
 * private struct co_vm. Each function checks its arguments and the VM's
 * state itself: a debugger calls them at any moment.
 */
#include <colinux/inspect.h>
#include <colinux/lib.h>
#include "internal/boot.h"
#include "internal/vm.h"

int co_vm_queue_info(const struct co_vm *vm, unsigned int id,
		     struct co_queue_info *qi)
{
	const struct co_queue *q;

	if (id >= CO_MAX_QUEUES)
		return -CO_EINVAL;
	q = vm->queue[id];
	if (!q)
		return -CO_ENOENT;
	*qi = (struct co_queue_info){
		.dev_class = q->dev->info.dev_class, .unit = q->dev->info.unit,
		.up = q->ready, .gpa = q->gpa, .log2 = q->log2,
		.size = q->size, .req_cons = q->req_cons,
		.cpl_prod = q->cpl_prod, .completed = q->completed,
		.rejected = q->rejected,
	};
	return 0;
}

bool co_vm_ram_contains(const struct co_vm *vm, uint64_t gpa, uint64_t len)
{
	return co_ram_contains(&vm->ram, gpa, len);
}

bool co_vm_stopping(const struct co_vm *vm)
{
	return vm->stopping;
}

/* A kernel is in RAM from co_vm_load_kernel until reset or destroy. */
static bool kernel_loaded(const struct co_vm *vm)
{
	return vm->kernel_loaded;
}

int co_vm_kernel_info(const struct co_vm *vm, struct co_kernel_info *ki)
{
	if (!kernel_loaded(vm))
		return -CO_ESTATE;
	co_elf_describe(&vm->elf, ki);
	return 0;
}

int co_vm_initrd(const struct co_vm *vm, uint64_t *gpa, uint64_t *size)
{
	if (!kernel_loaded(vm) || !vm->initrd_size)
		return -CO_ENOENT;
	*gpa = vm->initrd_gpa;
	*size = vm->initrd_size;
	return 0;
}

/* The boot fields are written by co_vm_start and stale after a reset. */
static bool started(const struct co_vm *vm)
{
	return vm->state == CO_VM_STARTED || vm->state == CO_VM_RUNNING ||
	       vm->state == CO_VM_STOPPED;
}

int co_vm_boot_info(const struct co_vm *vm, struct co_boot_info *bi)
{
	int err;

	if (!kernel_loaded(vm))
		return -CO_ESTATE;
	co_memset(bi, 0, sizeof(*bi));
	err = co_boot_area(vm, &bi->area_gpa, &bi->area_size);
	if (err)
		return err;
	if (started(vm)) {
		bi->params_gpa = vm->boot_gpa;
		bi->pt_root_hpa = vm->pt_root_hpa;
		bi->entry_va = vm->entry_va;
		bi->zero_page_gpa = vm->zero_page_gpa;
	}
	return 0;
}

int co_vm_boot_walk(const struct co_vm *vm, uint64_t va, struct co_pt_walk *w)
{
	if (!started(vm))
		return -CO_ESTATE;
	/* co_pt_read_ram only reads: the cast drops const for the callback. */
	return co_pt_walk(co_pt_read_ram, (void *)&vm->ram, vm->pt_root_hpa,
			  va, w);
}
