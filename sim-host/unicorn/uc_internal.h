/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the Unicorn back-end: the engine and its emulated host. */
#ifndef CO_UC_INTERNAL_H
#define CO_UC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "co_unicorn.h"
#include <colinux/lib.h>


/*
 * The emulated host's memory: one 2 MiB-aligned run of sim-host pages,
 * identity mapped (host VA = host PA) with one 2 MiB page.
 */
#define HOST_PAGES	512
#define PG_STUB		0	/* 4 pages of hoststub.S */
#define PG_PML4		4	/* and PG_PML4 + 1: a second root */
#define PG_POOL		6
#define NR_POOL		16
#define PG_GDT		22
#define PG_IDT		23
#define PG_TSS		24
#define PG_STATE	25	/* co_cpu_state for load/save */
#define PG_FXBUF	26
#define PG_STACK	32
#define NR_STACK	16
#define PG_SCRATCH	48

#define MAX_INJECT	16
#define IRQ_HANDLER_BUDGET	100000
#define STUB_BUDGET	10000

struct co_uc_inject {
	unsigned int vector;
	uint64_t at;		/* on the clock */
};

struct co_uc {
	uc_engine *uc;
	struct co_passage_info pass;
	uint8_t *phys;			/* host physical address 0 */
	uint64_t phys_bytes;
	uint64_t run_pfn, run_hpa;
	uint64_t cr3[2];
	unsigned int pool_used;
	uint64_t budget;
	uint64_t clock;			/* instructions run so far */
	uint64_t stop_at;		/* the code hook stops the run here */

	/* Host VAs (= PAs) of the stub's routines. */
	uint64_t a_load, a_loaded, a_call, a_ret, a_irq_ret;
	uint64_t a_fxsave, a_fxsaved, a_vectors, a_fault, a_counts, a_entry;

	struct co_uc_inject inj[MAX_INJECT];
	unsigned int nr_inj;

	/* Set by the hooks during a run. */
	bool triple;
	bool unmapped;
	bool unmapped_present;	/* mapped, but not to host RAM */
	int unmapped_type;
	uint64_t unmapped_addr;
	char fault[512];

	bool broken;			/* a CPU fault ended the guest */
	uc_context *ctx;		/* for the old_exception repair */
	uc_hook h_intr, h_unmapped, h_code;
	struct co_uc_stats st;
};

uint64_t co_uc_rd(struct co_uc *u, int reg);
void co_uc_wr(struct co_uc *u, int reg, uint64_t v);
/* Run emulated code at @rip until @stop (the address after a hlt). */
int co_uc_run_stub(struct co_uc *u, uint64_t rip, uint64_t stop);

/* uc_deliver.c */
int co_uc_hooks_add(struct co_uc *u);
/*
 * Deliver @vector through the current IDT as the CPU would (frame on the
 * current or IST stack). On failure escalates to #DF, then to a triple
 * fault (u->triple, u->fault). Returns 0 if some handler got control.
 */
int co_uc_raise(struct co_uc *u, unsigned int vector, bool has_error,
		uint64_t error, const char *why);
bool co_uc_vector_has_error(unsigned int vector);
/* Read/write virtual memory of the current address space. */
int co_uc_vread(struct co_uc *u, uint64_t va, void *buf, size_t len);
int co_uc_vwrite(struct co_uc *u, uint64_t va, const void *buf, size_t len);

#endif
