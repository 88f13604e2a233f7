/* SPDX-License-Identifier: GPL-2.0 */
/* The VM object, internal to the monitor. */
#ifndef CO_MONITOR_VM_H
#define CO_MONITOR_VM_H

#include <colinux/monitor.h>
#include <colinux/abi/boot.h>
#include "internal/device.h"
#include "internal/elf.h"
#include "internal/pgtable.h"
#include "internal/ram.h"

struct co_vm {
	enum co_vm_state state;
	struct co_config cfg;		/* our own copy */
	const struct co_cpu_ops *cpu;
	void *cpu_priv;

	struct co_ram ram;

	/* Passage: [0] code (RX), [1] shared, [2] host state (host only). */
	uint64_t passage_pfn[3];
	struct co_passage_shared *shared;
	struct co_cpu_state *host_state;

	struct co_device *dev[CO_BOOT_MAX_DEVICES];
	unsigned int nr_dev;
	struct co_queue *queue[CO_MAX_QUEUES];	/* by queue id */
	struct co_device *timer, *power, *console;

	struct co_host_event *wake;
	struct co_host_mutex *lock;
	bool kicked;

	/* Loaded images. */
	uint8_t *kernel;		/* our copy, for symbols */
	size_t kernel_len;
	struct co_elf elf;
	uint64_t initrd_gpa, initrd_size;

	/* Boot layout, filled by co_boot_setup. */
	uint64_t boot_gpa;		/* co_boot_params */
	uint64_t pt_root_hpa;
	uint64_t entry_va;

	struct co_vm_exit exit;
	bool stopping;			/* exit is final */
	struct co_vm_stats stats;

	/* co_vm_set_op_trace: NULL, or called with every guest operation. */
	co_vm_op_trace_fn *op_trace;
	void *op_trace_ctx;
};

/* Raise a virtual interrupt line for the guest's next entry. [vm] */
void co_vm_raise_irq(struct co_vm *vm, unsigned int line);
/* Stop the VM; the first reason wins. printf-style text. */
void co_vm_terminate(struct co_vm *vm, int reason, int code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A device queue by id, if set up and owned by a device. */
struct co_queue *co_vm_queue(struct co_vm *vm, unsigned int id);

/*
 * Boot set-up (boot.c): lay out the boot area at the top of RAM (boot
 * params, GDT, stack, page-table pool), build the page tables (identity
 * map of RAM at guest-physical addresses, kernel segments at p_vaddr, the
 * passage at CO_PASSAGE_GUEST_VA), write the boot parameters and the
 * guest's initial context into the shared page.
 */
int co_boot_setup(struct co_vm *vm);

#endif
