/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test support: a scripted guest. Instead of running guest code, the
 * "CPU" calls a C step function at every entry; the step plays the guest
 * for one switch (reads results, touches guest memory and rings, sets the
 * next operation) exactly as guest code would through the shared page.
 * Everything else (monitor, run loop, devices, sim-host) is the real thing.
 */
#ifndef CO_TEST_H
#define CO_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <colinux/monitor.h>
#include <colinux/abi/boot.h>
#include <colinux/abi/ring.h>

struct co_test_guest;
/* @entry counts from 0; set the next op with co_test_op before returning. */
typedef void co_test_step_fn(struct co_test_guest *g, unsigned int entry);

struct co_test_guest {
	struct co_vm *vm;
	struct co_passage_shared *sh;
	co_test_step_fn *step;
	void *ctx;
	unsigned int entries;
	unsigned int max_entries;	/* budget: past it, CO_TERM_HUNG */
	bool attached;
	/* The next operation of a co_test_one_op_step guest. */
	uint32_t next_op;
	uint64_t next_p[3];
};

/* The CPU back-end tests hand to co_vm_create. */
extern const struct co_cpu_ops co_test_cpu_ops;

/*
 * Parse @args (NULL-terminated, config syntax; "kernel=" may be omitted:
 * a small built-in ELF is used), create the VM, load and start it.
 * Returns 0 or the first error (the VM is then destroyed).
 */
int co_test_boot(const char *const *args, co_test_step_fn *step, void *ctx,
		 struct co_test_guest **out);
/* Same, but stops after co_vm_create (state CREATED). */
int co_test_create(const char *const *args, co_test_step_fn *step, void *ctx,
		   struct co_test_guest **out);
void co_test_destroy(struct co_test_guest *g);
/* Run to the end; returns the exit reason. */
int co_test_run(struct co_test_guest *g, struct co_vm_exit *exit);

/*
 * A guest that performs one operation per co_vm_run, so a test plays it
 * in plain sequential code: boot with co_test_one_op_step as the step;
 * co_test_guest_op sets the operation, runs the VM until the guest kicks
 * it back, and returns the result. For an operation that stops the VM,
 * set next_op and next_p and call co_vm_run.
 */
void co_test_one_op_step(struct co_test_guest *g, unsigned int entry);
int32_t co_test_guest_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
			 uint64_t p1, uint64_t p2);

/* Guest-side helpers for step functions. */
void co_test_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
		uint64_t p1, uint64_t p2);
void co_test_terminate(struct co_test_guest *g, int reason, int code,
		       const char *text);
void co_test_doorbell(struct co_test_guest *g, unsigned int queue);
void co_test_unmask(struct co_test_guest *g, unsigned int line);
bool co_test_irq_take(struct co_test_guest *g, unsigned int line);
/* Boot parameters as the guest finds them (param[0] of CO_OP_START). */
const struct co_boot_params *co_test_boot_params(struct co_test_guest *g);
/*
 * A host pointer to guest-physical memory. In contiguous mode
 * (memwindow=contiguous) it is valid across all of RAM; in paged mode only
 * to the end of the page.
 */
void *co_test_gpa_ptr(struct co_test_guest *g, uint64_t gpa);
/* Free guest RAM for a test's rings and buffers: [base, base + size). */
uint64_t co_test_scratch_gpa(struct co_test_guest *g, uint64_t size);

/*
 * A minimal valid kernel image: one PT_LOAD of @code_len bytes at physical
 * offset 0x200000 (virtual @vaddr, 0 = 0xffffffff80200000, linked high
 * like Linux so it never collides with the identity map), entry at its
 * start, and a symbol table with "co_start". Caller frees with free().
 */
void *co_test_make_elf(uint64_t vaddr, const void *code, size_t code_len,
		       size_t *len);

/* Seeded randomness: CO_SEED from the environment, else time; printed. */
uint64_t co_test_seed(const char *test);
uint64_t co_test_rand(uint64_t *state);

/* A path under $CO_TEST_TMPDIR (or /tmp); unique per process. */
void co_test_tmp_path(char *buf, size_t size, const char *name);
/* Create a file of @size bytes filled from @seed (0 = zeros). */
void co_test_make_file(const char *path, uint64_t size, uint64_t seed);

#endif
