// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts, exceptions and lazy aliases for the Unicorn back-end.
 *
 * Unicorn 2.0.1 tells a UC_HOOK_INTR hook about an exception but does not
 * deliver it, so the hook does what the CPU would: read the gate from the
 * IDT, push the frame, jump to the handler. It also never clears QEMU's
 * env->old_exception, which would turn the next independent #PF into a
 * #DF; the hook resets it through the saved context blob. Where that field
 * sits in the blob is measured once per process, as is the error code's.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sim/sim.h>

#include "uc_internal.h"

#define RFLAGS_TF	0x100ULL
#define RFLAGS_IF	0x200ULL
#define RFLAGS_NT	0x4000ULL
#define RFLAGS_RF	0x10000ULL
#define RFLAGS_VM	0x20000ULL
#define CR0_PG		0x80000000ULL

/* ---- Calibration of the context blob -------------------------------- */

static struct {
	bool ok;
	size_t size;
	size_t old_exception;
	size_t error_code;
} calib;
static pthread_once_t calib_once = PTHREAD_ONCE_INIT;

struct calib_run {
	uc_context *after;
	bool hit;
};

static void calib_hook(uc_engine *uc, uint32_t intno, void *data)
{
	struct calib_run *r = data;

	if (intno == 13 && !r->hit) {
		uc_context_save(uc, r->after);
		r->hit = true;
	}
	uc_emu_stop(uc);
}

static int32_t blob_i32(const void *blob, size_t off)
{
	int32_t v;

	memcpy(&v, (const uint8_t *)blob + off, sizeof(v));
	return v;
}

/*
 * "mov $0x1234, %ax; mov %ax, %ds" with an empty GDT raises #GP(0x1234):
 * old_exception goes from -1 to 13 and error_code from 0 to 0x1234.
 */
static void calibrate(void)
{
	static const uint8_t code[] = { 0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8,
					0xf4 };
	struct calib_run r = { 0 };
	uc_context *before = NULL;
	unsigned int n_old = 0, n_err = 0;
	uc_engine *uc;
	uc_hook h;
	size_t off;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return;
	if (uc_mem_map(uc, 0x1000, 0x1000, UC_PROT_ALL) ||
	    uc_mem_write(uc, 0x1000, code, sizeof(code)) ||
	    uc_context_alloc(uc, &before) || uc_context_alloc(uc, &r.after) ||
	    uc_hook_add(uc, &h, UC_HOOK_INTR, calib_hook, &r, 1, 0))
		goto out;
	calib.size = uc_context_size(uc);
	uc_context_save(uc, before);
	uc_emu_start(uc, 0x1000, 0, 0, 10);
	if (!r.hit)
		goto out;
	for (off = 0; off + 4 <= calib.size; off += 4) {
		if (blob_i32(before, off) == -1 && blob_i32(r.after, off) == 13) {
			calib.old_exception = off;
			n_old++;
		}
	}
	/*
	 * 0x1234 also lands in the segment cache; env->error_code is the one
	 * just below old_exception in CPUX86State.
	 */
	for (off = 0; n_old == 1 && off < calib.old_exception; off += 4) {
		if (calib.old_exception - off <= 256 &&
		    blob_i32(before, off) == 0 &&
		    blob_i32(r.after, off) == 0x1234) {
			calib.error_code = off;
			n_err++;
		}
	}
	calib.ok = n_old == 1 && n_err == 1;
out:
	if (!calib.ok)
		co_log(CO_LOG_WARN,
		       "unicorn: cannot find old_exception in the context (%u/%u candidates): a second #PF will look like #DF",
		       n_old, n_err);
	if (before)
		uc_context_free(before);
	if (r.after)
		uc_context_free(r.after);
	uc_close(uc);
}

bool co_uc_vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	       v == 29 || v == 30;
}

/* ---- Virtual memory of the current address space ------------------- */

static int phys_read(void *ctx, uint64_t hpa, uint64_t *entry)
{
	const uint8_t *p = co_sim_phys_ptr(hpa);

	(void)ctx;
	if (!p)
		return -CO_EFAULT;
	memcpy(entry, p, sizeof(*entry));
	return 0;
}

static int translate(struct co_uc *u, uint64_t va, struct co_pt_walk *w)
{
	uint64_t cr0 = co_uc_rd(u, UC_X86_REG_CR0);
	uint64_t cr3 = co_uc_rd(u, UC_X86_REG_CR3);

	if (!(cr0 & CR0_PG)) {
		w->hpa = va;
		w->page_size = CO_PAGE_SIZE;
		w->flags = CO_PTE_W;
		return 0;
	}
	return co_pt_walk(phys_read, u, cr3 & CO_PTE_ADDR, va, w);
}

static int vcopy(struct co_uc *u, uint64_t va, void *buf, size_t len,
		 bool write)
{
	uint8_t *b = buf;

	while (len) {
		size_t n = CO_PAGE_SIZE - (va & (CO_PAGE_SIZE - 1));
		struct co_pt_walk w;
		uint8_t *p;

		if (n > len)
			n = len;
		if (translate(u, va, &w))
			return -CO_EFAULT;
		p = co_sim_phys_ptr(w.hpa);
		if (!p || (w.hpa & (CO_PAGE_SIZE - 1)) + n > CO_PAGE_SIZE)
			return -CO_EFAULT;
		if (write)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

int co_uc_vread(struct co_uc *u, uint64_t va, void *buf, size_t len)
{
	return vcopy(u, va, buf, len, false);
}

int co_uc_vwrite(struct co_uc *u, uint64_t va, const void *buf, size_t len)
{
	return vcopy(u, va, (void *)buf, len, true);
}

/* ---- Delivery through the IDT ----------------------------------------- */

struct gate {
	uint64_t offset;
	uint16_t selector;
	unsigned int ist, type;
	bool present;
};

static int read_gate(struct co_uc *u, unsigned int vector, struct gate *g)
{
	uc_x86_mmr idtr = { 0 };
	uint64_t raw[2];

	uc_reg_read(u->uc, UC_X86_REG_IDTR, &idtr);
	if (vector * 16 + 15 > idtr.limit)
		return -CO_ERANGE;
	if (co_uc_vread(u, idtr.base + vector * 16, raw, sizeof(raw)))
		return -CO_EFAULT;
	g->offset = (raw[0] & 0xffff) | ((raw[0] >> 32) & 0xffff0000ULL) |
		    (raw[1] << 32);
	g->selector = (uint16_t)(raw[0] >> 16);
	g->ist = (raw[0] >> 32) & 7;
	g->type = (raw[0] >> 40) & 0xf;
	g->present = (raw[0] >> 47) & 1;
	return g->present && (g->type == 0xe || g->type == 0xf) ? 0 : -CO_EINVAL;
}

static int ist_stack(struct co_uc *u, unsigned int ist, uint64_t *rsp)
{
	uc_x86_mmr tr = { 0 };

	uc_reg_read(u->uc, UC_X86_REG_TR, &tr);
	if (tr.limit < 0x24 + 8 * ist - 1)
		return -CO_ERANGE;
	return co_uc_vread(u, tr.base + 0x24 + 8 * (ist - 1), rsp, 8);
}

/* One delivery attempt; nothing is changed unless it succeeds. */
static int deliver(struct co_uc *u, unsigned int vector, bool has_error,
		   uint64_t error)
{
	uint64_t rip = co_uc_rd(u, UC_X86_REG_RIP);
	uint64_t rsp = co_uc_rd(u, UC_X86_REG_RSP);
	uint64_t rflags = co_uc_rd(u, UC_X86_REG_RFLAGS);
	uint64_t cs = co_uc_rd(u, UC_X86_REG_CS);
	uint64_t ss = co_uc_rd(u, UC_X86_REG_SS);
	uint64_t frame[6], sp;
	unsigned int n = 0;
	struct gate g;

	if (read_gate(u, vector, &g))
		return -CO_EINVAL;
	/* Only ring 0 runs in this tier: no stack switch on privilege. */
	if (cs & 3)
		return -CO_ENOTSUP;
	sp = rsp;
	if (g.ist && ist_stack(u, g.ist, &sp))
		return -CO_EFAULT;
	sp &= ~0xfULL;
	if (has_error)
		frame[n++] = error;
	frame[n++] = rip;
	frame[n++] = cs;
	frame[n++] = rflags;
	frame[n++] = rsp;
	frame[n++] = ss;
	sp -= n * 8;
	if (co_uc_vwrite(u, sp, frame, n * 8))
		return -CO_EFAULT;
	rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (g.type == 0xe)
		rflags &= ~RFLAGS_IF;
	co_uc_wr(u, UC_X86_REG_RSP, sp);
	co_uc_wr(u, UC_X86_REG_RFLAGS, rflags);
	/* In 64-bit mode the API sets the selector only: same-CS handlers. */
	if (g.selector != cs)
		co_uc_wr(u, UC_X86_REG_CS, g.selector);
	co_uc_wr(u, UC_X86_REG_RIP, g.offset);
	return 0;
}

int co_uc_raise(struct co_uc *u, unsigned int vector, bool has_error,
		uint64_t error, const char *why)
{
	uint64_t rip = co_uc_rd(u, UC_X86_REG_RIP);

	if (!deliver(u, vector, has_error, error))
		return 0;
	if (vector != 8 && !deliver(u, 8, true, 0))
		return 0;
	u->triple = true;
	snprintf(u->fault, sizeof(u->fault),
		 "triple fault: %s vector %u (error 0x%llx) at RIP 0x%llx, CR2 0x%llx, CR3 0x%llx: neither it nor #DF could be delivered through the IDT",
		 why, vector, (unsigned long long)error,
		 (unsigned long long)rip,
		 (unsigned long long)co_uc_rd(u, UC_X86_REG_CR2),
		 (unsigned long long)co_uc_rd(u, UC_X86_REG_CR3));
	return -CO_EIO;
}

/* Context blob fields, through a save and (for writes) a restore. */
static uint64_t error_code(struct co_uc *u)
{
	if (!calib.ok || uc_context_save(u->uc, u->ctx) != UC_ERR_OK)
		return 0;
	return (uint32_t)blob_i32(u->ctx, calib.error_code);
}

static void forget_old_exception(struct co_uc *u)
{
	int32_t none = -1;

	if (!calib.ok || uc_context_save(u->uc, u->ctx) != UC_ERR_OK)
		return;
	memcpy((uint8_t *)u->ctx + calib.old_exception, &none, sizeof(none));
	uc_context_restore(u->uc, u->ctx);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *data)
{
	struct co_uc *u = data;
	bool has_error = co_uc_vector_has_error(intno);
	uint64_t err = has_error ? error_code(u) : 0;

	(void)uc;
	u->st.exceptions++;
	if (co_uc_raise(u, intno, has_error, err, "exception")) {
		uc_emu_stop(u->uc);
		return;
	}
	forget_old_exception(u);
}

/* ---- Lazy aliases -------------------------------------------------------- */

static bool frames_allocated(uint64_t pa, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += CO_PAGE_SIZE) {
		if (!co_sim_page_allocated((pa + off) / CO_PAGE_SIZE))
			return false;
	}
	return true;
}

static int alias_try(struct co_uc *u, uint64_t va, uint64_t pa, uint64_t size)
{
	va &= ~(size - 1);
	pa &= ~(size - 1);
	if (pa + size > u->phys_bytes || !frames_allocated(pa, size))
		return -CO_EFAULT;
	if (uc_mem_map_ptr(u->uc, va, size, UC_PROT_ALL, u->phys + pa))
		return -CO_EBUSY;
	u->st.aliases++;
	return 0;
}

/*
 * An address with no region: if the current page tables map it, add an
 * alias for its page (the whole large page if possible) and retry.
 */
static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr,
			  int size, int64_t value, void *data)
{
	struct co_uc *u = data;
	struct co_pt_walk w;

	(void)uc;
	(void)size;
	(void)value;
	u->unmapped_present = !translate(u, addr, &w);
	if (u->unmapped_present &&
	    (!alias_try(u, addr, w.hpa, w.page_size) ||
	     !alias_try(u, addr, w.hpa, CO_PAGE_SIZE)))
		return true;
	u->unmapped = true;
	u->unmapped_type = type;
	u->unmapped_addr = addr;
	return false;
}

/*
 * Counting instructions ourselves, rather than with uc_emu_start's count,
 * gives exact numbers for runs that end early; and Unicorn flushes all
 * translations whenever runs with and without a count alternate.
 */
static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	struct co_uc *u = data;

	(void)addr;
	(void)size;
	if (u->clock >= u->stop_at) {
		uc_emu_stop(uc);
		return;
	}
	u->clock++;
}

int co_uc_hooks_add(struct co_uc *u)
{
	pthread_once(&calib_once, calibrate);
	if (uc_hook_add(u->uc, &u->h_intr, UC_HOOK_INTR, hook_intr, u, 1, 0) ||
	    uc_hook_add(u->uc, &u->h_code, UC_HOOK_CODE, hook_code, u, 1, 0) ||
	    uc_hook_add(u->uc, &u->h_unmapped, UC_HOOK_MEM_UNMAPPED,
			hook_unmapped, u, 1, 0))
		return -CO_EIO;
	return 0;
}
