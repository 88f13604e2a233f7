// SPDX-License-Identifier: GPL-2.0
/*
 * The Unicorn engine and the emulated host kernel it starts with.
 *
 * Unicorn 2.0.1 does not translate virtual to physical addresses: after
 * its page walk (which does produce #PF, CR2 and A/D bits) it accesses the
 * address as if it were physical. So the whole sim-host physical memory is
 * one region at address 0 (identity-mapped addresses just work), and each
 * other virtual address in use gets an alias region backed by the same
 * host memory as the physical page behind it: statically for the passage
 * pages, lazily for the rest (uc_deliver.c). See docs/passage.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "uc_internal.h"

extern const uint8_t co_uc_stub_start[], co_uc_stub_end[];
extern const uint8_t co_uc_stub_load[], co_uc_stub_loaded[];
extern const uint8_t co_uc_stub_call[], co_uc_stub_ret[], co_uc_stub_irq_ret[];
extern const uint8_t co_uc_stub_fxsave[], co_uc_stub_fxsaved[];
extern const uint8_t co_uc_stub_vectors[], co_uc_stub_fault[];
extern const uint8_t co_uc_stub_entry[], co_uc_stub_counts[];

#define PAGE		4096ULL
#define PTE_TABLE	(CO_PTE_P | CO_PTE_W | CO_PTE_A)
#define PTE_LEAF	(CO_PTE_P | CO_PTE_W | CO_PTE_A | CO_PTE_D)

#define GDT_CODE64	0x00af9b000000ffffULL
#define GDT_DATA	0x00cf93000000ffffULL
#define SYS_TSS		0x9
#define SYS_LDT		0x2
#define GATE_INTR	0xe

uint64_t co_uc_rd(struct co_uc *u, int reg)
{
	uint64_t v = 0;

	uc_reg_read(u->uc, reg, &v);
	return v;
}

void co_uc_wr(struct co_uc *u, int reg, uint64_t v)
{
	uc_reg_write(u->uc, reg, &v);
}

static uint64_t page_hpa(const struct co_uc *u, unsigned int page)
{
	return u->run_hpa + page * PAGE;
}

static void *page_ptr(const struct co_uc *u, unsigned int page)
{
	return u->phys + page_hpa(u, page);
}

static uint64_t stub_addr(const struct co_uc *u, const uint8_t *sym)
{
	return page_hpa(u, PG_STUB) + (uint64_t)(sym - co_uc_stub_start);
}

/* Map @va in the host's tables: level 1 = 4 KiB page, 2 = 2 MiB page. */
static int host_map(struct co_uc *u, uint64_t va, uint64_t pa, int leaf,
		    uint64_t flags)
{
	uint64_t *t = (uint64_t *)(u->phys + u->cr3[0]);
	uint64_t next;
	int level;

	for (level = 4; level > leaf; level--) {
		unsigned int idx = CO_PT_INDEX(va, level);

		if (!(t[idx] & CO_PTE_P)) {
			if (u->pool_used == NR_POOL)
				return -CO_ENOMEM;
			next = page_hpa(u, PG_POOL + u->pool_used++);
			t[idx] = next | PTE_TABLE;
		}
		if (t[idx] & CO_PTE_PS)
			return -CO_EBUSY;
		t = (uint64_t *)(u->phys + (t[idx] & CO_PTE_ADDR));
	}
	t[CO_PT_INDEX(va, leaf)] = pa | flags | (leaf == 2 ? CO_PTE_PS : 0);
	return 0;
}

static void sys_desc(uint64_t *gdt, unsigned int sel, uint64_t base,
		     uint32_t limit, unsigned int type)
{
	gdt[sel / 8] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
		       ((uint64_t)type << 40) | (1ULL << 47) |
		       ((uint64_t)((limit >> 16) & 0xf) << 48) |
		       (((base >> 24) & 0xffULL) << 56);
	gdt[sel / 8 + 1] = base >> 32;
}

static void host_tables(struct co_uc *u)
{
	uint64_t *gdt = page_ptr(u, PG_GDT), *idt = page_ptr(u, PG_IDT);
	uint8_t *tss = page_ptr(u, PG_TSS);
	uint64_t rsp0 = page_hpa(u, PG_STACK + NR_STACK);
	unsigned int v;

	gdt[CO_UC_HOST_CS / 8] = GDT_CODE64;
	gdt[CO_UC_HOST_CS2 / 8] = GDT_CODE64;
	gdt[CO_UC_HOST_DS / 8] = GDT_DATA;
	gdt[CO_UC_HOST_DS2 / 8] = GDT_DATA;
	gdt[CO_UC_HOST_DS3 / 8] = GDT_DATA;
	sys_desc(gdt, CO_UC_HOST_TR, page_hpa(u, PG_TSS), 0x67, SYS_TSS);
	sys_desc(gdt, CO_UC_HOST_TR2, page_hpa(u, PG_TSS) + 0x100, 0x67,
		 SYS_TSS);
	sys_desc(gdt, CO_UC_HOST_LDT, page_hpa(u, PG_GDT) + 0x800, 0xf,
		 SYS_LDT);
	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 0x100 + 4, &rsp0, 8);
	for (v = 0; v < 256; v++) {
		uint64_t off = u->a_vectors + 16 * v;

		idt[2 * v] = (off & 0xffff) | ((uint64_t)CO_UC_HOST_CS << 16) |
			     ((uint64_t)(0x80 | GATE_INTR) << 40) |
			     (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
}

static int host_memory(struct co_uc *u)
{
	uint64_t code = co_uc_stub_end - co_uc_stub_start;
	const uint64_t *pfn = u->pass.pfn;
	const uint64_t hva[3] = { u->pass.code_hva, u->pass.shared_hva,
				  u->pass.state_hva };
	unsigned int i;
	int err;

	if (code > (PG_PML4 - PG_STUB) * PAGE)
		return -CO_ERANGE;
	err = co_host_pages_alloc_contig(HOST_PAGES, HOST_PAGES, &u->run_pfn);
	if (err)
		return err;
	u->run_hpa = u->run_pfn * PAGE;
	memcpy(page_ptr(u, PG_STUB), co_uc_stub_start, code);
	u->a_load = stub_addr(u, co_uc_stub_load);
	u->a_loaded = stub_addr(u, co_uc_stub_loaded);
	u->a_call = stub_addr(u, co_uc_stub_call);
	u->a_ret = stub_addr(u, co_uc_stub_ret);
	u->a_irq_ret = stub_addr(u, co_uc_stub_irq_ret);
	u->a_fxsave = stub_addr(u, co_uc_stub_fxsave);
	u->a_fxsaved = stub_addr(u, co_uc_stub_fxsaved);
	u->a_vectors = stub_addr(u, co_uc_stub_vectors);
	u->a_fault = stub_addr(u, co_uc_stub_fault);
	u->a_counts = stub_addr(u, co_uc_stub_counts);
	u->a_entry = stub_addr(u, co_uc_stub_entry);
	memcpy(u->phys + u->a_entry, &u->pass.to_guest_hva, 8);

	u->cr3[0] = page_hpa(u, PG_PML4);
	u->cr3[1] = page_hpa(u, PG_PML4 + 1);
	err = host_map(u, u->run_hpa, u->run_hpa, 2, PTE_LEAF);
	for (i = 0; !err && i < 3; i++)
		err = host_map(u, hva[i], pfn[i] * PAGE, 1,
			       i ? PTE_LEAF : PTE_LEAF & ~CO_PTE_W);
	if (err)
		return err;
	memcpy(page_ptr(u, PG_PML4 + 1), page_ptr(u, PG_PML4), PAGE);
	host_tables(u);
	return 0;
}

/* A region at @va backed by the physical page @pfn. */
static int alias(struct co_uc *u, uint64_t va, uint64_t pfn)
{
	uc_err e = uc_mem_map_ptr(u->uc, va, PAGE, UC_PROT_ALL,
				  u->phys + pfn * PAGE);

	if (e != UC_ERR_OK) {
		co_log(CO_LOG_ERROR, "unicorn: cannot alias 0x%llx: %s",
		       (unsigned long long)va, uc_strerror(e));
		return -CO_EBUSY;
	}
	return 0;
}

/*
 * The passage at the host's VAs, at the guest's, and the host-state page
 * where the transit space has it (so, in this tier, also visible to a
 * guest that looks there).
 */
static int passage_aliases(struct co_uc *u)
{
	const struct co_passage_info *p = &u->pass;
	int err;

	err = alias(u, p->code_hva, p->pfn[0]);
	if (!err && p->shared_hva != p->code_hva)
		err = alias(u, p->shared_hva, p->pfn[1]);
	if (!err)
		err = alias(u, p->state_hva, p->pfn[2]);
	if (!err && p->code_hva != CO_PASSAGE_CODE_VA)
		err = alias(u, CO_PASSAGE_CODE_VA, p->pfn[0]);
	if (!err)
		err = alias(u, CO_PASSAGE_SHARED_VA, p->pfn[1]);
	if (!err)
		err = alias(u, CO_PASSAGE_CODE_VA + 2 * PAGE, p->pfn[2]);
	return err;
}

int co_uc_run_stub(struct co_uc *u, uint64_t rip, uint64_t stop)
{
	uc_err e;

	u->triple = false;
	u->stop_at = u->clock + STUB_BUDGET;
	e = uc_emu_start(u->uc, rip, 0, 0, 0);
	if (e != UC_ERR_OK || u->triple || co_uc_rd(u, UC_X86_REG_RIP) != stop) {
		co_log(CO_LOG_ERROR,
		       "unicorn: host stub at 0x%llx stopped at 0x%llx: %s %s",
		       (unsigned long long)rip,
		       (unsigned long long)co_uc_rd(u, UC_X86_REG_RIP),
		       uc_strerror(e), u->fault);
		return -CO_EIO;
	}
	return 0;
}

static const int gpr_regs[] = {
	UC_X86_REG_RBX, UC_X86_REG_RBP, UC_X86_REG_R12, UC_X86_REG_R13,
	UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_RDI, UC_X86_REG_RSI,
};

static uint64_t *gpr_field(struct co_cpu_state *s, unsigned int i)
{
	uint64_t *f[] = { &s->rbx, &s->rbp, &s->r12, &s->r13, &s->r14,
			  &s->r15, &s->rdi, &s->rsi };

	return f[i];
}

static const struct {
	uint32_t msr;
	size_t off;
} msr_fields[] = {
	{ CO_MSR_FS_BASE, offsetof(struct co_cpu_state, fs_base) },
	{ CO_MSR_GS_BASE, offsetof(struct co_cpu_state, gs_base) },
	{ CO_MSR_KGS_BASE, offsetof(struct co_cpu_state, kernel_gs_base) },
	{ CO_MSR_STAR, offsetof(struct co_cpu_state, star) },
	{ CO_MSR_LSTAR, offsetof(struct co_cpu_state, lstar) },
	{ CO_MSR_CSTAR, offsetof(struct co_cpu_state, cstar) },
	{ CO_MSR_SFMASK, offsetof(struct co_cpu_state, sfmask) },
};

static uint64_t msr_read(struct co_uc *u, uint32_t msr)
{
	uc_x86_msr m = { .rid = msr };

	uc_reg_read(u->uc, UC_X86_REG_MSR, &m);
	return m.value;
}

static void msr_write(struct co_uc *u, uint32_t msr, uint64_t v)
{
	uc_x86_msr m = { .rid = msr, .value = v };

	uc_reg_write(u->uc, UC_X86_REG_MSR, &m);
}

int co_uc_host_load(struct co_uc *u, const struct co_cpu_state *s)
{
	unsigned int i;
	int err;

	memcpy(page_ptr(u, PG_STATE), s, sizeof(*s));
	co_uc_wr(u, UC_X86_REG_R15, page_hpa(u, PG_STATE));
	/* The stub ends in iretq, which faults with NT set. */
	co_uc_wr(u, UC_X86_REG_RFLAGS, 0x2);
	err = co_uc_run_stub(u, u->a_load, u->a_loaded + 1);
	if (err)
		return err;
	for (i = 0; i < CO_ARRAY_SIZE(msr_fields); i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)s + msr_fields[i].off, 8);
		msr_write(u, msr_fields[i].msr, v);
	}
	for (i = 0; i < CO_ARRAY_SIZE(gpr_regs); i++)
		co_uc_wr(u, gpr_regs[i], *gpr_field((struct co_cpu_state *)s, i));
	return 0;
}

static uint16_t sel(struct co_uc *u, int reg)
{
	return (uint16_t)co_uc_rd(u, reg);
}

static void dtr(struct co_uc *u, int reg, struct co_dtr *d)
{
	uc_x86_mmr m = { 0 };

	uc_reg_read(u->uc, reg, &m);
	memset(d, 0, sizeof(*d));
	d->base = m.base;
	d->limit = (uint16_t)m.limit;
}

static uint16_t mmr_selector(struct co_uc *u, int reg)
{
	uc_x86_mmr m = { 0 };

	uc_reg_read(u->uc, reg, &m);
	return m.selector;
}

int co_uc_host_save(struct co_uc *u, struct co_cpu_state *s)
{
	uint64_t rax, rcx, r15;
	unsigned int i;
	int err;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < CO_ARRAY_SIZE(gpr_regs); i++)
		*gpr_field(s, i) = co_uc_rd(u, gpr_regs[i]);
	s->rsp = co_uc_rd(u, UC_X86_REG_RSP);
	s->rip = co_uc_rd(u, UC_X86_REG_RIP);
	s->rflags = co_uc_rd(u, UC_X86_REG_RFLAGS);
	s->cr0 = co_uc_rd(u, UC_X86_REG_CR0);
	s->cr2 = co_uc_rd(u, UC_X86_REG_CR2);
	s->cr3 = co_uc_rd(u, UC_X86_REG_CR3);
	s->cr4 = co_uc_rd(u, UC_X86_REG_CR4);
	s->efer = msr_read(u, CO_MSR_EFER);
	dtr(u, UC_X86_REG_GDTR, &s->gdtr);
	dtr(u, UC_X86_REG_IDTR, &s->idtr);
	s->cs = sel(u, UC_X86_REG_CS);
	s->ss = sel(u, UC_X86_REG_SS);
	s->ds = sel(u, UC_X86_REG_DS);
	s->es = sel(u, UC_X86_REG_ES);
	s->fs = sel(u, UC_X86_REG_FS);
	s->gs = sel(u, UC_X86_REG_GS);
	s->tr = mmr_selector(u, UC_X86_REG_TR);
	s->ldtr = mmr_selector(u, UC_X86_REG_LDTR);
	for (i = 0; i < CO_ARRAY_SIZE(msr_fields); i++) {
		uint64_t v = msr_read(u, msr_fields[i].msr);

		memcpy((uint8_t *)s + msr_fields[i].off, &v, 8);
	}
	s->dr7 = co_uc_rd(u, UC_X86_REG_DR7);

	/* The FPU image through fxsave, leaving the registers as they were. */
	rax = co_uc_rd(u, UC_X86_REG_RAX);
	rcx = co_uc_rd(u, UC_X86_REG_RCX);
	r15 = co_uc_rd(u, UC_X86_REG_R15);
	memset(page_ptr(u, PG_FXBUF), 0, sizeof(s->fxsave));
	co_uc_wr(u, UC_X86_REG_R15, page_hpa(u, PG_FXBUF));
	err = co_uc_run_stub(u, u->a_fxsave, u->a_fxsaved + 1);
	memcpy(s->fxsave, page_ptr(u, PG_FXBUF), sizeof(s->fxsave));
	co_uc_wr(u, UC_X86_REG_RAX, rax);
	co_uc_wr(u, UC_X86_REG_RCX, rcx);
	co_uc_wr(u, UC_X86_REG_R15, r15);
	co_uc_wr(u, UC_X86_REG_RFLAGS, s->rflags);
	co_uc_wr(u, UC_X86_REG_RIP, s->rip);
	return err;
}

void co_uc_host_default(const struct co_uc *u, struct co_cpu_state *s)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(s, 0, sizeof(*s));
	s->rsp = page_hpa(u, PG_STACK + NR_STACK) - 0x100;
	s->rflags = 0x2;
	s->cr0 = 0x80050033;	/* PG AM WP NE ET MP PE */
	s->cr3 = u->cr3[0];
	s->cr4 = 0x6a0;		/* OSXMMEXCPT OSFXSR PGE PAE */
	s->efer = 0x500;	/* what Unicorn's long mode has; never written */
	s->gdtr.base = page_hpa(u, PG_GDT);
	s->gdtr.limit = 0xff;
	s->idtr.base = page_hpa(u, PG_IDT);
	s->idtr.limit = 0xfff;
	s->cs = CO_UC_HOST_CS;
	s->ss = s->ds = s->es = CO_UC_HOST_DS;
	s->tr = CO_UC_HOST_TR;
	s->gs_base = page_hpa(u, PG_SCRATCH);
	s->dr7 = 0x400;
	memcpy(&s->fxsave[0], &fcw, sizeof(fcw));
	memcpy(&s->fxsave[24], &mxcsr, sizeof(mxcsr));
}

void *co_uc_host_scratch(struct co_uc *u, unsigned int n, uint64_t *hpa)
{
	if (n >= CO_UC_SCRATCH_PAGES)
		return NULL;
	if (hpa)
		*hpa = page_hpa(u, PG_SCRATCH + n);
	return page_ptr(u, PG_SCRATCH + n);
}

uint64_t co_uc_host_cr3(const struct co_uc *u, unsigned int which)
{
	return u->cr3[which & 1];
}

uint64_t co_uc_host_gdt(const struct co_uc *u)
{
	return page_hpa(u, PG_GDT);
}

uc_engine *co_uc_engine(struct co_uc *u)
{
	return u->uc;
}

void co_uc_set_budget(struct co_uc *u, uint64_t insns)
{
	u->budget = insns ? insns : CO_UC_DEFAULT_BUDGET;
}

void co_uc_stats(const struct co_uc *u, struct co_uc_stats *st)
{
	*st = u->st;
	st->insns = u->clock;
}

uint64_t co_uc_host_irq_count(struct co_uc *u, unsigned int vector)
{
	uint64_t n = 0;

	if (vector < 256)
		memcpy(&n, u->phys + u->a_counts + 8 * vector, 8);
	return n;
}

static int engine_open(struct co_uc *u)
{
	uc_err e;

	e = uc_open(UC_ARCH_X86, UC_MODE_64, &u->uc);
	if (e != UC_ERR_OK)
		goto fail;
	e = uc_mem_map_ptr(u->uc, 0, u->phys_bytes, UC_PROT_ALL, u->phys);
	if (e != UC_ERR_OK)
		goto fail;
	e = uc_context_alloc(u->uc, &u->ctx);
	if (e != UC_ERR_OK)
		goto fail;
	return 0;
fail:
	co_log(CO_LOG_ERROR, "unicorn: cannot set up the engine: %s",
	       uc_strerror(e));
	return -CO_EIO;
}

int co_uc_create(const struct co_passage_info *pi, struct co_uc **out)
{
	struct co_cpu_state s;
	struct co_uc *u;
	int err;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -CO_ENOMEM;
	u->pass = *pi;
	u->phys = co_sim_phys_base();
	u->phys_bytes = co_sim_phys_bytes();
	u->budget = CO_UC_DEFAULT_BUDGET;
	err = host_memory(u);
	if (!err)
		err = engine_open(u);
	if (!err)
		err = passage_aliases(u);
	if (!err)
		err = co_uc_hooks_add(u);
	if (err)
		goto fail;
	co_uc_host_default(u, &s);
	err = co_uc_host_load(u, &s);
	if (err)
		goto fail;
	*out = u;
	return 0;
fail:
	co_uc_destroy(u);
	return err;
}

void co_uc_destroy(struct co_uc *u)
{
	if (!u)
		return;
	if (u->ctx)
		uc_context_free(u->ctx);
	if (u->uc)
		uc_close(u->uc);
	if (u->run_pfn)
		co_host_pages_free_contig(u->run_pfn, HOST_PAGES);
	free(u);
}
