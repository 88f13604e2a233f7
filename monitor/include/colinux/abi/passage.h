/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The passage: the two pages through which host and guest hand the CPU to
 * each other. Specified in docs/protocol.md, section "Passage".
 *
 * The guest sees the code page at CO_PASSAGE_GUEST_VA and the shared page
 * right after it. The host maps both wherever its allocator put them; a
 * transit address space maps them at both addresses (see the switch code).
 * The host's own saved context lives in a third page that the guest never
 * maps.
 */
#ifndef COLINUX_ABI_PASSAGE_H
#define COLINUX_ABI_PASSAGE_H

#include "types.h"

#define CO_ABI_VERSION		1

/* PML4 slot 256: the "guard hole, reserved for hypervisor" of Linux x86-64. */
#define CO_PASSAGE_GUEST_VA	0xffff800000000000ULL
#define CO_PASSAGE_CODE_VA	CO_PASSAGE_GUEST_VA
/* The guest switches to the host with a plain "call" here (no arguments). */
#define CO_PASSAGE_TO_HOST_VA	CO_PASSAGE_CODE_VA
#define CO_PASSAGE_SHARED_VA	(CO_PASSAGE_GUEST_VA + CO_PAGE_SIZE)

#define CO_PASSAGE_MAGIC	0x53504f43u	/* "COPS" */

/*
 * A descriptor-table register as sgdt/sidt store it: the pad puts the limit
 * right before the 8-byte-aligned base, so "sgdt 6(%reg)" fills both.
 */
struct co_dtr {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};
CO_ABI_SIZE(co_dtr, 16);
CO_ABI_OFFSET(co_dtr, limit, 6);

/*
 * One side's CPU context as the passage saves it. The passage is a
 * coroutine switch: rip is where the side resumes, and the caller-saved
 * registers are not kept. rdi/rsi are loaded on entry so the first entry
 * into a guest can pass arguments (rsi = boot parameters, as in Linux's
 * 64-bit boot protocol).
 */
struct co_cpu_state {
	uint64_t rbx, rbp, r12, r13, r14, r15;		/* 0x000 */
	uint64_t rsp, rip, rflags;			/* 0x030 */
	uint64_t rdi, rsi;				/* 0x048 */
	uint64_t cr0, cr2, cr3, cr4;			/* 0x058 */
	uint64_t efer;		/* 0x078: recorded, never written */
	struct co_dtr gdtr;				/* 0x080 */
	struct co_dtr idtr;				/* 0x090 */
	uint16_t cs, ss, ds, es, fs, gs, tr, ldtr;	/* 0x0a0 */
	uint64_t fs_base, gs_base, kernel_gs_base;	/* 0x0b0 */
	uint64_t star, lstar, cstar, sfmask;		/* 0x0c8 */
	uint64_t dr7;					/* 0x0e8 */
	uint64_t xcr0;		/* 0x0f0: 0 = fxsave path, else xsave mask */
	uint64_t xsave_off;	/* 0x0f8: XSAVE area, from this struct */
	uint8_t fxsave[512] __attribute__((aligned(16)));	/* 0x100 */
};
CO_ABI_SIZE(co_cpu_state, 0x300);
CO_ABI_OFFSET(co_cpu_state, rsp, 0x30);
CO_ABI_OFFSET(co_cpu_state, rip, 0x38);
CO_ABI_OFFSET(co_cpu_state, rflags, 0x40);
CO_ABI_OFFSET(co_cpu_state, rdi, 0x48);
CO_ABI_OFFSET(co_cpu_state, cr0, 0x58);
CO_ABI_OFFSET(co_cpu_state, cr3, 0x68);
CO_ABI_OFFSET(co_cpu_state, efer, 0x78);
CO_ABI_OFFSET(co_cpu_state, gdtr, 0x80);
CO_ABI_OFFSET(co_cpu_state, idtr, 0x90);
CO_ABI_OFFSET(co_cpu_state, cs, 0xa0);
CO_ABI_OFFSET(co_cpu_state, ldtr, 0xae);
CO_ABI_OFFSET(co_cpu_state, fs_base, 0xb0);
CO_ABI_OFFSET(co_cpu_state, star, 0xc8);
CO_ABI_OFFSET(co_cpu_state, dr7, 0xe8);
CO_ABI_OFFSET(co_cpu_state, xcr0, 0xf0);
CO_ABI_OFFSET(co_cpu_state, xsave_off, 0xf8);
CO_ABI_OFFSET(co_cpu_state, fxsave, 0x100);

/* Operations. Values below 16 go host -> guest, the rest guest -> host. */
enum co_op {
	CO_OP_NONE		= 0,
	CO_OP_START		= 1,	/* param[0] = boot parameters gpa */
	CO_OP_RETURN		= 2,	/* result of the guest's last op */

	CO_OP_IDLE		= 16,	/* sleep until an unmasked irq is pending */
	CO_OP_TERMINATE		= 17,	/* p0 reason, p1 code, p2 text length */
	CO_OP_NOTIFY		= 18,	/* process the doorbells */
	CO_OP_FORWARD_IRQ	= 19,	/* p0 = host vector that hit the guest */
	CO_OP_GET_TIME		= 20,	/* ret p0 monotonic ns, p1 wall ns */
	CO_OP_SET_TIMER		= 21,	/* p0 deadline, monotonic ns; 0 = off; p1 flags */
	CO_OP_DEBUG_PRINT	= 22,	/* p0 = text length */
	CO_OP_QUEUE_SETUP	= 23,	/* p0 queue, p1 ring gpa, p2 log2 size */
	CO_OP_YIELD		= 24,	/* nothing; lets the host run */
	CO_OP_MAX
};

/* Results of an operation (co_passage_shared.result). */
enum co_status {
	CO_ST_OK	= 0,
	CO_ST_IOERR	= -5,
	CO_ST_NOMEM	= -12,
	CO_ST_FAULT	= -14,	/* an address outside guest RAM */
	CO_ST_INVAL	= -22,
	CO_ST_RANGE	= -34,	/* outside the device (sectors, sizes) */
	CO_ST_RDONLY	= -30,
	CO_ST_NOTSUP	= -95,
	CO_ST_TOOBIG	= -90,
};

/* Why the guest (or the monitor on its behalf) stopped. */
enum co_term_reason {
	CO_TERM_POWEROFF	= 0,	/* p1 = exit code */
	CO_TERM_REBOOT		= 1,
	CO_TERM_HALT		= 2,
	CO_TERM_PANIC		= 3,	/* text = panic message */
	CO_TERM_BUG		= 4,	/* text = file:line */
	/* Set by the monitor, never by the guest: */
	CO_TERM_PROTOCOL	= 16,	/* the guest broke the ABI */
	CO_TERM_CPU_FAULT	= 17,	/* triple-fault class CPU error */
	CO_TERM_HUNG		= 18,	/* exceeded its instruction budget */
	CO_TERM_DEADLOCK	= 19,	/* idle with nothing that can wake it */
	CO_TERM_HOST		= 20,	/* host asked the VM to stop */
	CO_TERM_MAX
};

#define CO_PARAMS		8
#define CO_TEXT_SIZE		1024
#define CO_IRQ_LINES		256
#define CO_MAX_QUEUES		256

/* Fixed virtual interrupt lines; device lines are in the device table. */
#define CO_IRQ_TIMER		0
#define CO_IRQ_POWER		1

/* co_passage_shared.power_event, host -> guest on CO_IRQ_POWER. */
enum co_power_event {
	CO_POWER_NONE		= 0,
	CO_POWER_CTRL_ALT_DEL	= 1,
	CO_POWER_SHUTDOWN	= 2,
};

/*
 * The time record (CO_BOOT_FEAT_TIME_RECORD), laid out as Linux's
 * struct pvclock_vcpu_time_info so that its arithmetic applies: host
 * monotonic ns = system_time + (((tsc - tsc_timestamp) << tsc_shift) *
 * tsc_to_system_mul >> 32), with a right shift for a negative tsc_shift.
 * The host writes it; version is odd while it does, so a reader retries
 * until it reads the same even version before and after.
 *
 * With CO_TIME_TSC_STABLE the record is TSC-linear and written once at
 * start (the host's clock is the TSC: the bare-metal host). Otherwise
 * (CO_TIME_ENTRY_ONLY, tsc_to_system_mul 0) system_time is the host's
 * monotonic time at the latest entry into the guest, rewritten on each
 * entry (a host whose clock is not the TSC, such as the sim-host's
 * virtual clock).
 */
struct co_time_record {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
CO_ABI_SIZE(co_time_record, 32);
CO_ABI_OFFSET(co_time_record, system_time, 16);
CO_ABI_OFFSET(co_time_record, tsc_shift, 28);

#define CO_TIME_TSC_STABLE	0x01	/* pvclock's PVCLOCK_TSC_STABLE_BIT */
#define CO_TIME_ENTRY_ONLY	0x80	/* not TSC-linear: see above */

/*
 * The switch's own scratch, one per side (the guest's at the end of the
 * shared page, the host's at the end of the host-state page); the guest
 * must not write its copy. tr_desc: a copy of the side's TSS descriptor,
 * the one ltr marks busy, so that the switch never writes a GDT (Linux
 * runs on a read-only one). gdtr: the pseudo-descriptor that makes the
 * copy the entry at TR's index while ltr runs. xcr0: the side's XCR0 when
 * it last left (0: CR4.OSXSAVE was off), restored when it comes back.
 */
struct co_switch_scratch {
	uint8_t tr_desc[16];
	uint64_t xcr0;
	uint64_t reserved;
	struct co_dtr gdtr;
};
CO_ABI_SIZE(co_switch_scratch, 48);
CO_ABI_OFFSET(co_switch_scratch, xcr0, 16);
CO_ABI_OFFSET(co_switch_scratch, gdtr, 32);

/* CO_OP_SET_TIMER's param[1]: p0 is ns from now, not a deadline. */
#define CO_TIMER_RELATIVE	0x1

/*
 * The shared page. The host writes irq_pending and power_event, and the
 * results of an operation; the guest writes op/param/text, doorbell and
 * irq_mask. Bitmaps are updated with atomic or/and-not on both sides so
 * that an SMP guest stays possible.
 */
struct co_passage_shared {
	uint32_t magic;					/* 0x000 */
	uint32_t abi_version;				/* 0x004 */
	uint32_t size;					/* 0x008 */
	uint32_t flags;					/* 0x00c */
	uint32_t op;					/* 0x010 */
	int32_t result;					/* 0x014 */
	uint64_t param[CO_PARAMS];			/* 0x018 */
	uint64_t reserved0[3];				/* 0x058 */
	uint64_t irq_pending[CO_IRQ_LINES / 64];	/* 0x070 */
	uint64_t irq_mask[CO_IRQ_LINES / 64];		/* 0x090 */
	uint64_t doorbell[CO_MAX_QUEUES / 64];		/* 0x0b0 */
	uint32_t power_event;				/* 0x0d0 */
	uint32_t reserved1;				/* 0x0d4 */
	uint64_t timer_deadline;			/* 0x0d8 */
	struct co_time_record time;			/* 0x0e0 */
	struct co_cpu_state guest;			/* 0x100 */
	char text[CO_TEXT_SIZE];			/* 0x400 */
	uint8_t reserved3[2000];			/* 0x800 */
	struct co_switch_scratch scratch;		/* 0xfd0 */
};
CO_ABI_SIZE(co_passage_shared, 4096);
CO_ABI_OFFSET(co_passage_shared, op, 0x10);
CO_ABI_OFFSET(co_passage_shared, result, 0x14);
CO_ABI_OFFSET(co_passage_shared, param, 0x18);
CO_ABI_OFFSET(co_passage_shared, irq_pending, 0x70);
CO_ABI_OFFSET(co_passage_shared, irq_mask, 0x90);
CO_ABI_OFFSET(co_passage_shared, doorbell, 0xb0);
CO_ABI_OFFSET(co_passage_shared, power_event, 0xd0);
CO_ABI_OFFSET(co_passage_shared, timer_deadline, 0xd8);
CO_ABI_OFFSET(co_passage_shared, guest, 0x100);
CO_ABI_OFFSET(co_passage_shared, text, 0x400);
CO_ABI_OFFSET(co_passage_shared, scratch, 0xfd0);

#endif
