// SPDX-License-Identifier: GPL-2.0
/* Test support: the scripted-guest CPU back-end and small helpers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sim/sim.h>

#include "co_kernel_elf.h"
#include "co_test.h"
#include <colinux/lib.h>
#include "internal/vm.h"

#define MAX_GUESTS 8

struct guest_slot {
	struct co_test_guest g;
	uint64_t scratch_next;
	bool used;
};

static struct guest_slot slots[MAX_GUESTS];

static struct guest_slot *slot_of(struct co_test_guest *g)
{
	return (struct guest_slot *)g;
}

static int test_attach(struct co_vm *vm, void **priv)
{
	unsigned int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		if (slots[i].used && slots[i].g.vm == vm) {
			slots[i].g.sh = co_vm_shared(vm);
			slots[i].g.attached = true;
			*priv = &slots[i].g;
			return 0;
		}
	}
	return -CO_ENOENT;
}

static int test_enter(void *priv, struct co_vm_exit *exit)
{
	struct co_test_guest *g = priv;

	if (g->entries >= g->max_entries) {
		exit->reason = CO_TERM_HUNG;
		exit->code = 0;
		snprintf(exit->text, sizeof(exit->text),
			 "scripted guest used its budget of %u entries",
			 g->max_entries);
		return -CO_EIO;
	}
	g->step(g, g->entries++);
	return 0;
}

static void test_detach(void *priv)
{
	struct co_test_guest *g = priv;

	g->attached = false;
}

static struct co_cpu_host test_host;

void co_test_set_host(const struct co_cpu_host *h)
{
	if (h)
		test_host = *h;
	else
		memset(&test_host, 0, sizeof(test_host));
}

static void test_host_info(struct co_cpu_host *h)
{
	*h = test_host;
}

const struct co_cpu_ops co_test_cpu_ops = {
	.name = "scripted",
	.host_info = test_host_info,
	.attach = test_attach,
	.enter = test_enter,
	.detach = test_detach,
};

static struct guest_slot *slot_alloc(void)
{
	unsigned int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		if (!slots[i].used) {
			memset(&slots[i], 0, sizeof(slots[i]));
			slots[i].used = true;
			return &slots[i];
		}
	}
	return NULL;
}

static int parse_args(struct co_config *cfg, const char *const *args)
{
	char err[256];
	int rc;

	co_config_init(cfg);
	for (; args && *args; args++) {
		rc = co_config_parse_arg(cfg, *args, err, sizeof(err));
		if (rc) {
			print_message("config: %s\n", err);
			return rc;
		}
	}
	return 0;
}

int co_test_create(const char *const *args, co_test_step_fn *step, void *ctx,
		   struct co_test_guest **out)
{
	struct guest_slot *s;
	struct co_config cfg;
	int err;

	*out = NULL;
	s = slot_alloc();
	if (!s)
		return -CO_ENOMEM;
	err = parse_args(&cfg, args);
	if (!err)
		err = co_vm_create(&cfg, &co_test_cpu_ops, &s->g.vm);
	co_config_free(&cfg);
	if (err) {
		s->used = false;
		return err;
	}
	s->g.step = step;
	s->g.ctx = ctx;
	s->g.max_entries = 100000;
	*out = &s->g;
	return 0;
}

static const uint8_t default_code[] = { 0xf4, 0xeb, 0xfd };	/* hlt; jmp */

int co_test_boot(const char *const *args, co_test_step_fn *step, void *ctx,
		 struct co_test_guest **out)
{
	struct co_test_guest *g;
	char msg[256] = "";
	void *elf = NULL;
	size_t len;
	int err;

	err = co_test_create(args, step, ctx, &g);
	if (err)
		return err;
	if (g->vm->cfg.kernel) {
		err = co_vm_load_files(g->vm, msg, sizeof(msg));
	} else {
		/* No kernel= given: use the built-in image. */
		elf = co_test_make_elf(0, default_code, sizeof(default_code), &len);
		err = co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg));
	}
	if (!err)
		err = co_vm_start(g->vm);
	free(elf);
	if (err) {
		print_message("boot: %s (%s)\n", co_strerror(err), msg);
		co_test_destroy(g);
		return err;
	}
	*out = g;
	return 0;
}

void co_test_destroy(struct co_test_guest *g)
{
	if (!g)
		return;
	co_vm_destroy(g->vm);
	slot_of(g)->used = false;
}

int co_test_run(struct co_test_guest *g, struct co_vm_exit *exit)
{
	int err = co_vm_run(g->vm, exit);

	assert_int_equal(err, 0);
	return exit->reason;
}

void co_test_finish(struct co_test_guest *g)
{
	co_test_destroy(g);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

void co_test_step_one_op(struct co_test_guest *g, unsigned int entry)
{
	co_test_op(g, g->next_op, g->next_p[0], g->next_p[1], g->next_p[2]);
	co_vm_kick(g->vm);
}

int32_t co_test_one_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
		       uint64_t p1, uint64_t p2)
{
	struct co_vm_exit exit;

	g->next_op = op;
	g->next_p[0] = p0;
	g->next_p[1] = p1;
	g->next_p[2] = p2;
	assert_int_equal(co_vm_run(g->vm, &exit), -CO_EBUSY);
	assert_int_equal(g->sh->op, CO_OP_RETURN);
	return g->sh->result;
}

void co_test_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
		uint64_t p1, uint64_t p2)
{
	g->sh->param[0] = p0;
	g->sh->param[1] = p1;
	g->sh->param[2] = p2;
	g->sh->op = op;
}

void co_test_terminate(struct co_test_guest *g, int reason, int code,
		       const char *text)
{
	size_t len = strlen(text);

	memcpy(g->sh->text, text, len);
	co_test_op(g, CO_OP_TERMINATE, reason, code, len);
}

void co_test_doorbell(struct co_test_guest *g, unsigned int queue)
{
	__atomic_fetch_or(&g->sh->doorbell[queue / 64], 1ULL << (queue % 64),
			  __ATOMIC_SEQ_CST);
}

void co_test_unmask(struct co_test_guest *g, unsigned int line)
{
	__atomic_fetch_and(&g->sh->irq_mask[line / 64], ~(1ULL << (line % 64)),
			   __ATOMIC_SEQ_CST);
}

bool co_test_irq_take(struct co_test_guest *g, unsigned int line)
{
	uint64_t bit = 1ULL << (line % 64);

	return __atomic_fetch_and(&g->sh->irq_pending[line / 64], ~bit,
				  __ATOMIC_SEQ_CST) & bit;
}

void *co_test_gpa_ptr(struct co_test_guest *g, uint64_t gpa)
{
	uint64_t hpa;
	uint8_t *page;

	if (co_vm_gpa_to_hpa(g->vm, gpa, &hpa))
		return NULL;
	page = co_host_map(hpa >> 12);
	return page ? page + (hpa & 0xfff) : NULL;
}

const struct co_boot_params *co_test_boot_params(struct co_test_guest *g)
{
	struct co_vm *vm = g->vm;
	const struct co_boot_params *bp = NULL;
	uint64_t gpa = vm->boot_gpa;

	if (gpa)
		bp = co_test_gpa_ptr(g, gpa);
	return bp;
}

/* Scratch memory: the largest free RAM region of the memory map. */
uint64_t co_test_scratch_gpa(struct co_test_guest *g, uint64_t size)
{
	struct guest_slot *s = slot_of(g);
	const struct co_boot_params *bp = co_test_boot_params(g);
	uint64_t best = 0, best_size = 0, gpa;
	unsigned int i;

	assert_non_null(bp);
	for (i = 0; i < bp->nr_mem && i < CO_BOOT_MAX_MEM; i++) {
		if (bp->mem[i].type == CO_MEM_RAM && bp->mem[i].size > best_size) {
			best = bp->mem[i].base;
			best_size = bp->mem[i].size;
		}
	}
	if (!s->scratch_next || s->scratch_next < best)
		s->scratch_next = best;
	gpa = (s->scratch_next + 4095) & ~4095ULL;
	assert_true(gpa + size <= best + best_size);
	s->scratch_next = gpa + size;
	return gpa;
}

void *co_test_make_elf(uint64_t vaddr, const void *code, size_t code_len,
		       size_t *len)
{
	void *img = co_kernel_elf(vaddr, code, code_len, len);

	assert_non_null(img);
	return img;
}

uint64_t co_test_seed(const char *test)
{
	const char *env = getenv("CO_SEED");
	uint64_t seed;

	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	print_message("%s: seed %llu (replay with CO_SEED=%llu)\n", test,
		      (unsigned long long)seed, (unsigned long long)seed);
	return seed ? seed : 1;
}

uint64_t co_test_rand(uint64_t *state)
{
	/* xorshift64* */
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void co_test_tmp_path(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("CO_TEST_TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(buf, size, "%s/%d-%s", dir, (int)getpid(), name);
}

void co_test_make_file(const char *path, uint64_t size, uint64_t seed)
{
	FILE *f = fopen(path, "wb");
	uint64_t state = seed, i;

	assert_non_null(f);
	for (i = 0; i < size; i += 8) {
		uint64_t v = seed ? co_test_rand(&state) : 0;
		size_t n = size - i < 8 ? size - i : 8;

		assert_int_equal(fwrite(&v, 1, n, f), n);
	}
	assert_int_equal(fclose(f), 0);
}

int co_test_fixture_setup(void **state)
{
	co_sim_reset();
	co_test_set_host(NULL);
	return 0;
}

int co_test_fixture_teardown(void **state)
{
	co_test_set_host(NULL);
	co_sim_fault_reset();
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
	return 0;
}
