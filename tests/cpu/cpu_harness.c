// SPDX-License-Identifier: GPL-2.0
/* CPU-level test harness (cpu_harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "cpu_harness.h"
#include "internal/passage.h"
#include "internal/ram.h"
#include "internal/vm.h"
#include "internal/pgtable.h"

#define PAGE		4096ULL
#define GUEST_MEM	(2ULL << 20)
#define PG_POOL		4
#define NR_POOL		8
#define PG_PML4_B	12
#define PG_GDT		13	/* and 14 */
#define PG_IDT		15
#define PG_TSS		16
#define PG_LDT		17
#define PG_STACK	32
#define NR_STACK	32

#define GDT_CODE64	0x00af9b000000ffffULL
#define GDT_DATA	0x00cf93000000ffffULL

static uint64_t gpa(const struct tg *t, unsigned int page)
{
	return t->ram_base + page * PAGE;
}

static void *gptr(const struct tg *t, uint64_t pa)
{
	return (uint8_t *)co_sim_phys_base() + pa;
}

uint64_t tg_va(const struct tg *t, const uint8_t *sym)
{
	return t->ram_base + (uint64_t)(sym - tg_start);
}

void *tg_ptr(const struct tg *t, const uint8_t *sym)
{
	return gptr(t, tg_va(t, sym));
}

uint64_t tg_u64(const struct tg *t, const uint8_t *sym)
{
	uint64_t v;

	memcpy(&v, tg_ptr(t, sym), sizeof(v));
	return v;
}

static void sys_desc(uint64_t *gdt, unsigned int sel, uint64_t base,
		     uint32_t limit, unsigned int type)
{
	gdt[sel / 8] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
		       ((uint64_t)type << 40) | (1ULL << 47) |
		       (((base >> 24) & 0xffULL) << 56);
	gdt[sel / 8 + 1] = base >> 32;
}

static void guest_tables(struct tg *t)
{
	uint64_t *gdt = gptr(t, t->gdt[0]), *idt = gptr(t, t->idt);
	unsigned int v;

	gdt[TG_CS / 8] = GDT_CODE64;
	gdt[TG_CS2 / 8] = GDT_CODE64;
	gdt[TG_DS / 8] = GDT_DATA;
	gdt[TG_DS2 / 8] = GDT_DATA;
	gdt[TG_DS3 / 8] = GDT_DATA;
	sys_desc(gdt, TG_TR, t->tss, 0x67, 0x9);
	sys_desc(gdt, TG_TR2, t->tss + 0x100, 0x67, 0x9);
	sys_desc(gdt, TG_LDT, gpa(t, PG_LDT), 0xf, 0x2);
	memcpy(gptr(t, t->gdt[1]), gdt, PAGE);
	for (v = 0; v < 256; v++) {
		uint64_t off = tg_va(t, tg_vectors) + 16 * v;

		if (v < 32 && v != 14)
			continue;
		if (v == 14)
			off = tg_va(t, tg_pf_handler);
		idt[2 * v] = (off & 0xffff) | ((uint64_t)TG_CS << 16) |
			     (0x8eULL << 40) | (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
}

static void guest_memory(struct tg *t)
{
	struct co_pt pt;
	size_t image = (size_t)(tg_end - tg_start);	/* tg_end >= tg_start */

	t->ram = calloc(1, sizeof(*t->ram));
	assert_non_null(t->ram);
	assert_int_equal(co_ram_init(t->ram, GUEST_MEM, true), 0);
	t->ram_base = t->ram->base;
	assert_true(image <= PG_POOL * PAGE);
	memcpy(gptr(t, t->ram_base), tg_start, image);
	assert_int_equal(co_pt_init(&pt, t->ram, gpa(t, PG_POOL), NR_POOL), 0);
	assert_int_equal(co_pt_map_gpa(&pt, t->ram_base, t->ram_base,
				       GUEST_MEM, CO_PTE_W), 0);
	assert_int_equal(co_pt_map(&pt, CO_PASSAGE_CODE_VA,
				   t->pi.pfn[0] * PAGE, PAGE, 0), 0);
	assert_int_equal(co_pt_map(&pt, CO_PASSAGE_SHARED_VA,
				   t->pi.pfn[1] * PAGE, PAGE, CO_PTE_W), 0);
	t->cr3[0] = pt.root_hpa;
	t->cr3[1] = gpa(t, PG_PML4_B);
	memcpy(gptr(t, t->cr3[1]), gptr(t, t->cr3[0]), PAGE);
	t->gdt[0] = gpa(t, PG_GDT);
	t->gdt[1] = gpa(t, PG_GDT + 1);
	t->idt = gpa(t, PG_IDT);
	t->tss = gpa(t, PG_TSS);
	t->stack_lo = gpa(t, PG_STACK);
	t->stack_hi = gpa(t, PG_STACK + NR_STACK);
	guest_tables(t);
}

void tg_create(struct tg *t)
{
	struct co_cpu_state s;
	uint64_t hpa;

	memset(t, 0, sizeof(*t));
	t->vm = calloc(1, sizeof(*t->vm));
	assert_non_null(t->vm);
	assert_int_equal(co_passage_create(t->vm), 0);
	assert_int_equal(co_passage_info(t->vm, &t->pi), 0);
	t->sh = t->vm->shared;
	guest_memory(t);
	assert_int_equal(co_uc_create(&t->pi, &t->uc), 0);
	/* A second host GDT, for random host states. */
	memcpy(co_uc_host_scratch(t->uc, 0, &hpa),
	       (uint8_t *)co_sim_phys_base() + co_uc_host_gdt(t->uc), PAGE);
	tg_guest_default(t, &s, tg_record);
	t->sh->guest = s;
}

void tg_destroy(struct tg *t)
{
	co_uc_destroy(t->uc);
	co_ram_free(t->ram);
	free(t->ram);
	co_passage_destroy(t->vm);
	free(t->vm);
	memset(t, 0, sizeof(*t));
}

static void fx_default(uint8_t *fx)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(fx, 0, 512);
	memcpy(fx, &fcw, 2);
	memcpy(fx + 24, &mxcsr, 4);
}

void tg_guest_default(const struct tg *t, struct co_cpu_state *s,
		      const uint8_t *entry)
{
	memset(s, 0, sizeof(*s));
	s->rip = tg_va(t, entry);
	s->rsp = t->stack_hi - 64;
	s->rflags = 0x2;
	s->cr0 = 0x80050033;
	s->cr3 = t->cr3[0];
	s->cr4 = 0x620;
	s->efer = 0x500;
	s->gdtr.base = t->gdt[0];
	s->gdtr.limit = 0xff;
	s->idtr.base = t->idt;
	s->idtr.limit = 0xfff;
	s->cs = TG_CS;
	s->ss = s->ds = s->es = TG_DS;
	s->tr = TG_TR;
	s->dr7 = 0x400;
	fx_default(s->fxsave);
}

static uint64_t rnd(uint64_t *rng)
{
	return co_test_rand(rng);
}

static uint64_t pick(uint64_t *rng, const uint64_t *set, unsigned int n)
{
	return set[rnd(rng) % n];
}

static uint64_t canonical(uint64_t *rng)
{
	return (uint64_t)((int64_t)(rnd(rng) << 16) >> 16);
}

void tg_fx_random(uint8_t *fx, uint64_t *rng)
{
	uint16_t fcw = 0x7f | (rnd(rng) & 0xf00);
	uint16_t fsw = rnd(rng) & 0x7f00;
	uint32_t mxcsr = rnd(rng) & 0xffff;
	unsigned int i;

	memset(fx, 0, 512);
	memcpy(fx, &fcw, 2);
	memcpy(fx + 2, &fsw, 2);
	fx[4] = (uint8_t)rnd(rng);
	memcpy(fx + 24, &mxcsr, 4);
	for (i = 0; i < 8; i++) {
		uint64_t m = rnd(rng), e = rnd(rng);

		memcpy(fx + 32 + 16 * i, &m, 8);
		memcpy(fx + 40 + 16 * i, &e, 2);
	}
	for (i = 0; i < 32; i++) {
		uint64_t v = rnd(rng);

		memcpy(fx + 160 + 8 * i, &v, 8);
	}
}

/* Arithmetic flags, IF, DF, IOPL, NT, AC, ID: never TF. */
#define RFLAGS_RANDOM	0x246cd5ULL
#define CR0_FIXED	0x80000011ULL	/* PG ET PE */
#define CR0_RANDOM	0x5002eULL	/* AM WP NE TS EM MP */
#define CR4_FIXED	0x220ULL	/* OSFXSR PAE */
#define CR4_RANDOM	0x5dcULL	/* OSXMMEXCPT PCE PGE MCE PSE DE TSD */

static void random_common(struct co_cpu_state *s, uint64_t *rng)
{
	s->rbx = rnd(rng);
	s->rbp = rnd(rng);
	s->r12 = rnd(rng);
	s->r13 = rnd(rng);
	s->r14 = rnd(rng);
	s->r15 = rnd(rng);
	s->rdi = rnd(rng);
	s->rsi = rnd(rng);
	s->rflags = 0x2 | (rnd(rng) & RFLAGS_RANDOM);
	s->cr0 = CR0_FIXED | (rnd(rng) & CR0_RANDOM);
	s->cr2 = rnd(rng);
	s->cr4 = CR4_FIXED | (rnd(rng) & CR4_RANDOM);
	s->idtr.base = canonical(rng);
	s->idtr.limit = (uint16_t)rnd(rng);
	s->fs_base = canonical(rng);
	s->gs_base = canonical(rng);
	s->kernel_gs_base = canonical(rng);
	s->star = rnd(rng);
	s->lstar = canonical(rng);
	s->cstar = canonical(rng);
	s->sfmask = (uint32_t)rnd(rng);
	/* Enabled breakpoints make Unicorn 2.0.1 flush code it is running. */
	s->dr7 = 0x400 | (rnd(rng) & 0xffff0300);
	tg_fx_random(s->fxsave, rng);
}

void tg_guest_random(const struct tg *t, struct co_cpu_state *s,
		     const uint8_t *entry, uint64_t *rng)
{
	const uint64_t cs[] = { TG_CS, TG_CS2 };
	const uint64_t ss[] = { TG_DS, TG_DS2, TG_DS3, 0 };
	const uint64_t tr[] = { TG_TR, TG_TR2 };
	const uint64_t ldt[] = { 0, TG_LDT };
	const uint64_t lim[] = { 0xff, 0xfff };

	tg_guest_default(t, s, entry);
	random_common(s, rng);
	s->rsp = (t->stack_lo + 4096 +
		  rnd(rng) % (t->stack_hi - t->stack_lo - 8192)) & ~7ULL;
	s->cr3 = t->cr3[rnd(rng) & 1] | (rnd(rng) & 0x18);
	s->gdtr.base = t->gdt[rnd(rng) & 1];
	s->gdtr.limit = (uint16_t)pick(rng, lim, 2);
	s->cs = (uint16_t)pick(rng, cs, 2);
	s->ss = (uint16_t)pick(rng, ss, 4);
	s->ds = (uint16_t)pick(rng, ss, 4);
	s->es = (uint16_t)pick(rng, ss, 4);
	s->fs = (uint16_t)pick(rng, ss, 4);
	s->gs = (uint16_t)pick(rng, ss, 4);
	s->tr = (uint16_t)pick(rng, tr, 2);
	s->ldtr = (uint16_t)pick(rng, ldt, 2);
}

void tg_host_random(struct tg *t, struct co_cpu_state *s, uint64_t *rng)
{
	const uint64_t cs[] = { CO_UC_HOST_CS, CO_UC_HOST_CS2 };
	const uint64_t ss[] = { CO_UC_HOST_DS, CO_UC_HOST_DS2,
				CO_UC_HOST_DS3, 0 };
	const uint64_t tr[] = { CO_UC_HOST_TR, CO_UC_HOST_TR2 };
	const uint64_t ldt[] = { 0, CO_UC_HOST_LDT };
	const uint64_t lim[] = { 0xff, 0xfff };
	uint64_t gdt2;

	co_uc_host_default(t->uc, s);
	co_uc_host_scratch(t->uc, 0, &gdt2);
	random_common(s, rng);
	s->rsp -= (rnd(rng) % 0x8000) & ~7ULL;
	s->cr3 = co_uc_host_cr3(t->uc, rnd(rng) & 1) | (rnd(rng) & 0x18);
	s->gdtr.base = rnd(rng) & 1 ? gdt2 : co_uc_host_gdt(t->uc);
	s->gdtr.limit = (uint16_t)pick(rng, lim, 2);
	s->cs = (uint16_t)pick(rng, cs, 2);
	s->ss = (uint16_t)pick(rng, ss, 4);
	s->ds = (uint16_t)pick(rng, ss, 4);
	s->es = (uint16_t)pick(rng, ss, 4);
	s->fs = (uint16_t)pick(rng, ss, 4);
	s->gs = (uint16_t)pick(rng, ss, 4);
	s->tr = (uint16_t)pick(rng, tr, 2);
	s->ldtr = (uint16_t)pick(rng, ldt, 2);
}

#define CHECK(f)							\
	do {								\
		if (want->f != got->f) {				\
			print_error("%s: %s is 0x%llx, expected 0x%llx\n", \
				    what, #f, (unsigned long long)got->f, \
				    (unsigned long long)want->f);	\
			fail();						\
		}							\
	} while (0)

static void check_bytes(const char *what, const char *field,
			const uint8_t *want, const uint8_t *got, size_t off,
			size_t n)
{
	size_t i;

	for (i = off; i < off + n; i++) {
		if (want[i] != got[i]) {
			print_error("%s: %s byte %zu is 0x%02x, expected 0x%02x\n",
				    what, field, i, got[i], want[i]);
			fail();
		}
	}
}

static void check_fx(const char *what, const uint8_t *want,
		     const uint8_t *got, bool all)
{
	unsigned int i;

	if (all) {
		check_bytes(what, "fxsave", want, got, 0, 512);
		return;
	}
	check_bytes(what, "fxsave FCW/FSW/FTW", want, got, 0, 5);
	check_bytes(what, "fxsave MXCSR", want, got, 24, 4);
	for (i = 0; i < 8; i++)
		check_bytes(what, "fxsave ST", want, got, 32 + 16 * i, 10);
	check_bytes(what, "fxsave XMM", want, got, 160, 256);
}

void tg_assert_state(const char *what, const struct co_cpu_state *want,
		     const struct co_cpu_state *got, bool fx_all,
		     bool check_rip)
{
	CHECK(rbx); CHECK(rbp); CHECK(r12); CHECK(r13); CHECK(r14);
	CHECK(r15); CHECK(rdi); CHECK(rsi); CHECK(rsp); CHECK(rflags);
	if (check_rip)
		CHECK(rip);
	CHECK(cr0); CHECK(cr2); CHECK(cr3); CHECK(cr4); CHECK(efer);
	CHECK(gdtr.base); CHECK(gdtr.limit);
	CHECK(idtr.base); CHECK(idtr.limit);
	CHECK(cs); CHECK(ss); CHECK(ds); CHECK(es); CHECK(fs); CHECK(gs);
	CHECK(tr); CHECK(ldtr);
	CHECK(fs_base); CHECK(gs_base); CHECK(kernel_gs_base);
	CHECK(star); CHECK(lstar); CHECK(cstar); CHECK(sfmask);
	CHECK(dr7);
	check_fx(what, want->fxsave, got->fxsave, fx_all);
}

void tg_enter_ok(struct tg *t)
{
	struct co_vm_exit exit;
	int err = co_uc_enter(t->uc, &exit);

	if (err)
		print_error("enter failed: %s\n", exit.text);
	assert_int_equal(err, 0);
}

static uint64_t base_pages, base_heap;

int tg_setup(void **state)
{
	(void)state;
	co_sim_reset();
	base_pages = co_sim_pages_in_use();
	base_heap = co_sim_heap_in_use();
	return 0;
}

int tg_teardown(void **state)
{
	(void)state;
	if (!base_pages && !base_heap) {
		assert_int_equal(co_sim_leak_check(), 0);
		return 0;
	}
	assert_int_equal(co_sim_pages_in_use(), base_pages);
	assert_int_equal(co_sim_heap_in_use(), base_heap);
	return 0;
}
