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
	/* What co_test_step_one_op issues next (set by co_test_one_op). */
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
/*
 * What the scripted back-end reports as the host CPU (struct co_cpu_host,
 * host_info); NULL: nothing known (the default).
 */
struct co_cpu_host;
void co_test_set_host(const struct co_cpu_host *h);
/* Run to the end; returns the exit reason. */
int co_test_run(struct co_test_guest *g, struct co_vm_exit *exit);
/* co_test_destroy, then assert that nothing leaked; resets the sim-host. */
void co_test_finish(struct co_test_guest *g);
/*
 * CMocka fixtures for a test that makes its own VMs: a reset sim-host and
 * scripted back-end before; afterwards no fault plan left, nothing
 * leaked.
 */
int co_test_fixture_setup(void **state);
int co_test_fixture_teardown(void **state);
#define CO_TEST(fn) cmocka_unit_test_setup_teardown(fn, co_test_fixture_setup, \
						     co_test_fixture_teardown)

/*
 * One guest operation per co_vm_run, for tests that play the guest in
 * plain sequential code between runs: boot with co_test_step_one_op as
 * the step, then co_test_one_op issues one operation, kicks the VM back
 * out and returns the operation's result. For an operation that stops
 * the VM, set next_op and next_p and call co_vm_run.
 */
void co_test_step_one_op(struct co_test_guest *g, unsigned int entry);
int32_t co_test_one_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
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
