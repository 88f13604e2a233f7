/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Unicorn CPU back-end (docs/passage.md): runs the real passage code
 * and the guest in an emulated x86-64 CPU (Unicorn 2.0.1) over the
 * sim-host's physical memory, with a small emulated "host kernel" that
 * calls the passage like the real host would.
 *
 * co_unicorn_cpu_ops plugs it into the monitor (co_vm_create); the rest is
 * for CPU-level tests that drive a passage without a whole VM.
 */
#ifndef CO_UNICORN_H
#define CO_UNICORN_H

#include <stdint.h>
#include <unicorn/unicorn.h>

#include <colinux/monitor.h>
#include <colinux/cpu.h>

/* Instructions one entry may run before the guest counts as hung. */
#define CO_UC_DEFAULT_BUDGET	(500ULL * 1000 * 1000)
/*
 * The emulated host's GDT: alternatives for each kind of selector, so that
 * tests can give the host states that differ from one trip to the next.
 */
#define CO_UC_HOST_CS		0x08
#define CO_UC_HOST_DS		0x10
#define CO_UC_HOST_DS2		0x18
#define CO_UC_HOST_CS2		0x20
#define CO_UC_HOST_DS3		0x28
#define CO_UC_HOST_TR		0x40
#define CO_UC_HOST_TR2		0x50
#define CO_UC_HOST_LDT		0x60

/*
 * The vector the emulated host promises never to raise (co_uc_inject
 * refuses it), offered to the guest in the boot parameters; and the PAT
 * it reports (the architectural power-on value).
 */
#define CO_UC_VIRQ_VECTOR	0xf0
#define CO_UC_HOST_PAT		0x0007040600070406ULL

/* Pages of the emulated host's memory a test may use (identity mapped). */
#define CO_UC_SCRATCH_PAGES	16

extern const struct co_cpu_ops co_unicorn_cpu_ops;

struct co_uc;

int co_uc_create(const struct co_passage_info *pi, struct co_uc **out);
void co_uc_destroy(struct co_uc *u);

/* One trip: the host calls the passage; returns when the guest is back. */
int co_uc_enter(struct co_uc *u, struct co_vm_exit *exit);
/* Re-raise @vector in the emulated host (through its IDT). */
int co_uc_host_irq(struct co_uc *u, unsigned int vector);

/* 0 restores the default. */
void co_uc_set_budget(struct co_uc *u, uint64_t insns);
/*
 * Assert host interrupt @vector once @after more instructions have been
 * emulated (over any number of entries), delivered through the guest's
 * IDT as soon as the guest runs with IF set, as a real interrupt arrives
 * while the guest owns the CPU. At most 16 pending; -CO_EINVAL for
 * CO_UC_VIRQ_VECTOR, which the host never raises.
 */
int co_uc_inject(struct co_uc *u, unsigned int vector, uint64_t after);
/* How many times the emulated host's handler for @vector ran. */
uint64_t co_uc_host_irq_count(struct co_uc *u, unsigned int vector);

struct co_uc_stats {
	uint64_t entries;
	uint64_t insns;		/* emulated, host stubs included */
	uint64_t exceptions;	/* delivered through an IDT */
	uint64_t injected;
	uint64_t aliases;	/* lazily created VA regions */
};
void co_uc_stats(const struct co_uc *u, struct co_uc_stats *st);

/* ---- For tests ---------------------------------------------------------- */

uc_engine *co_uc_engine(struct co_uc *u);
/* The state the emulated host starts with. */
void co_uc_host_default(const struct co_uc *u, struct co_cpu_state *s);
/*
 * Load every register of struct co_cpu_state into the emulated host (rip
 * is ignored: the host always resumes in its call stub), or read them
 * back. Descriptor tables and page tables named in @s must exist.
 */
int co_uc_host_load(struct co_uc *u, const struct co_cpu_state *s);
int co_uc_host_save(struct co_uc *u, struct co_cpu_state *s);
/*
 * Page @n (< CO_UC_SCRATCH_PAGES) of host memory for a test; identity
 * mapped in the host, so *@hpa is also its host virtual address.
 */
void *co_uc_host_scratch(struct co_uc *u, unsigned int n, uint64_t *hpa);
/* The host's two page-table roots (same mappings) and its GDT's address. */
uint64_t co_uc_host_cr3(const struct co_uc *u, unsigned int which);
uint64_t co_uc_host_gdt(const struct co_uc *u);

#endif
