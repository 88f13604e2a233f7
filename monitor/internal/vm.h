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

/*
 * What other threads post for the VM (mailbox.c). Everything but @in's
 * waiting bytes is read and written under the VM lock; those bytes are
 * written before @len counts them and read by the VM thread only, so the
 * drain hands them to the console without holding the lock.
 */
struct co_mailbox {
	uint8_t in[CO_VM_MAILBOX_INPUT];
	unsigned int head;		/* oldest waiting byte */
	unsigned int len;
	unsigned int power;		/* CO_POWER_NONE: none waiting */
	bool refused;			/* a post was cut short: notify */
	bool closed;			/* the VM stopped: refuse posts */
	bool pending;			/* atomic: something to drain */
	co_vm_notify_fn *room_fn;
	void *room_ctx;
};

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
	struct co_host_spinlock *lock;	/* the VM lock: guards mbox */
	struct co_mailbox mbox;
	bool kicked;

	/* Loaded images. */
	bool kernel_loaded;
	uint8_t *kernel;		/* its symbol and string tables, or NULL */
	size_t kernel_len;		/* of the image that was loaded */
	struct co_elf elf;
	bool linux_boot;		/* Linux's boot protocol (zero page) */
	uint64_t initrd_gpa, initrd_size;

	/* Boot layout, filled by co_boot_setup. */
	uint64_t boot_gpa;		/* co_boot_params */
	uint64_t zero_page_gpa;		/* Linux's boot_params, if linux_boot */
	uint64_t pt_root_hpa;
	uint64_t entry_va;

	/* What the back-end said of the host CPU (boot.c), and the guest's
	 * XCR0 on the xsave path (co_passage_set_xsave; 0: fxsave). */
	struct co_cpu_host host_cpu;
	uint64_t guest_xcr0;

	/* The time record (time.c): host-side version, TSC-linear or not. */
	uint32_t time_version;
	bool time_linear;

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

/* The time record: written at boot set-up, and (not TSC-linear) per entry. */
void co_time_record_init(struct co_vm *vm);
void co_time_record_entry(struct co_vm *vm);

/*
 * The mailbox, VM side (mailbox.c). Drain: hand what was posted to the
 * devices; cheap when nothing was. Close: the VM stopped, refuse posts.
 * Reset: empty and open again. Each wakes a refused poster. [vm]
 */
void co_mailbox_drain(struct co_vm *vm);
void co_mailbox_close(struct co_vm *vm);
void co_mailbox_reset(struct co_vm *vm);

/*
 * Boot set-up (boot.c): lay out the boot area at the top of RAM (boot
 * params, GDT, stack, page-table pool), build the page tables (identity
 * map of RAM at guest-physical addresses, kernel segments at p_vaddr, the
 * passage at CO_PASSAGE_GUEST_VA), write the boot parameters and the
 * guest's initial context into the shared page.
 */
int co_boot_setup(struct co_vm *vm);

#endif
