// SPDX-License-Identifier: GPL-2.0
/*
 * One entry into the guest under Unicorn: the emulated host calls the
 * passage, the guest runs in bounded chunks (an instruction budget per
 * entry), host interrupts are injected between chunks, and the entry ends
 * when the emulated host is back at the hlt after its call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uc_internal.h"

#define RFLAGS_IF	0x200ULL
#define INJECT_RETRY	16	/* instructions between delivery attempts */

static int fail(struct co_uc *u, struct co_vm_exit *exit, int reason,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct co_uc *u, struct co_vm_exit *exit, int reason,
		const char *fmt, ...)
{
	va_list ap;

	u->broken = true;
	memset(exit, 0, sizeof(*exit));
	exit->reason = reason;
	va_start(ap, fmt);
	vsnprintf(exit->text, sizeof(exit->text), fmt, ap);
	va_end(ap);
	return -CO_EIO;
}

static bool in_host(const struct co_uc *u, uint64_t rip)
{
	return rip >= u->run_hpa && rip < u->run_hpa + HOST_PAGES * CO_PAGE_SIZE;
}

static void inject_remove(struct co_uc *u, unsigned int i)
{
	u->inj[i] = u->inj[--u->nr_inj];
}

/* Raise the first injection that is due, if the guest can take it now. */
static int inject(struct co_uc *u)
{
	unsigned int i;
	uint64_t rflags, rip;
	unsigned int vector;

	for (i = 0; i < u->nr_inj; i++) {
		if (u->inj[i].at > u->clock)
			continue;
		rflags = co_uc_rd(u, UC_X86_REG_RFLAGS);
		rip = co_uc_rd(u, UC_X86_REG_RIP);
		if (!(rflags & RFLAGS_IF) || in_host(u, rip))
			return 0;
		vector = u->inj[i].vector;
		inject_remove(u, i);
		u->st.injected++;
		return co_uc_raise(u, vector, false, 0, "host interrupt");
	}
	return 0;
}

/* Up to the next injection; in small steps while one waits for IF. */
static uint64_t next_chunk(const struct co_uc *u, uint64_t executed)
{
	uint64_t c = u->budget - executed;
	unsigned int i;

	for (i = 0; i < u->nr_inj; i++) {
		uint64_t at = u->inj[i].at;

		if (at <= u->clock && c > INJECT_RETRY)
			c = INJECT_RETRY;
		else if (at > u->clock && at - u->clock < c)
			c = at - u->clock;
	}
	return c ? c : 1;
}

/* The run stopped with an error: turn it into what the CPU would do. */
static int run_error(struct co_uc *u, uc_err e, struct co_vm_exit *exit)
{
	uint64_t rip = co_uc_rd(u, UC_X86_REG_RIP);
	uint64_t code;

	if (u->unmapped && !u->unmapped_present) {
		code = u->unmapped_type == UC_MEM_WRITE_UNMAPPED ? 0x2 : 0;
		if (u->unmapped_type == UC_MEM_FETCH_UNMAPPED)
			code |= 0x10;
		co_uc_wr(u, UC_X86_REG_CR2, u->unmapped_addr);
		u->st.exceptions++;
		if (!co_uc_raise(u, 14, true, code, "page fault"))
			return 0;
		return fail(u, exit, CO_TERM_CPU_FAULT, "%s", u->fault);
	}
	if (u->unmapped)
		return fail(u, exit, CO_TERM_CPU_FAULT,
			    "access to 0x%llx at RIP 0x%llx: the page tables (CR3 0x%llx) point outside host RAM",
			    (unsigned long long)u->unmapped_addr,
			    (unsigned long long)rip,
			    (unsigned long long)co_uc_rd(u, UC_X86_REG_CR3));
	if (e == UC_ERR_INSN_INVALID) {
		u->st.exceptions++;
		if (!co_uc_raise(u, 6, false, 0, "invalid opcode"))
			return 0;
		return fail(u, exit, CO_TERM_CPU_FAULT, "%s", u->fault);
	}
	return fail(u, exit, CO_TERM_CPU_FAULT,
		    "emulation stopped at RIP 0x%llx: %s",
		    (unsigned long long)rip, uc_strerror(e));
}

static int host_fault(struct co_uc *u, struct co_vm_exit *exit)
{
	uint64_t rsp = co_uc_rd(u, UC_X86_REG_RSP), frame[3] = { 0 };
	bool has_error;

	co_uc_vread(u, rsp, frame, sizeof(frame));
	has_error = co_uc_vector_has_error((unsigned int)frame[0]);
	return fail(u, exit, CO_TERM_CPU_FAULT,
		    "exception %llu in the emulated host at RIP 0x%llx (error 0x%llx), CR2 0x%llx",
		    (unsigned long long)frame[0],
		    (unsigned long long)frame[has_error ? 2 : 1],
		    (unsigned long long)(has_error ? frame[1] : 0),
		    (unsigned long long)co_uc_rd(u, UC_X86_REG_CR2));
}

int co_uc_enter(struct co_uc *u, struct co_vm_exit *exit)
{
	uint64_t start = u->clock, rip = u->a_call, chunk;
	uc_err e;

	if (u->broken)
		return fail(u, exit, CO_TERM_CPU_FAULT,
			    "the CPU is stopped after an earlier fault");
	u->st.entries++;
	for (;;) {
		chunk = next_chunk(u, u->clock - start);
		u->unmapped = false;
		u->triple = false;
		u->stop_at = u->clock + chunk;
		e = uc_emu_start(u->uc, rip, 0, 0, 0);
		rip = co_uc_rd(u, UC_X86_REG_RIP);
		if (u->triple)
			return fail(u, exit, CO_TERM_CPU_FAULT, "%s", u->fault);
		if (e != UC_ERR_OK) {
			if (run_error(u, e, exit))
				return -CO_EIO;
			rip = co_uc_rd(u, UC_X86_REG_RIP);
			continue;
		}
		if (rip == u->a_ret + 1)
			break;
		if (rip == u->a_fault + 1)
			return host_fault(u, exit);
		if (u->clock - start >= u->budget)
			return fail(u, exit, CO_TERM_HUNG,
				    "the guest ran %llu instructions without switching back (RIP 0x%llx)",
				    (unsigned long long)(u->clock - start),
				    (unsigned long long)rip);
		if (inject(u))
			return fail(u, exit, CO_TERM_CPU_FAULT, "%s", u->fault);
		rip = co_uc_rd(u, UC_X86_REG_RIP);
	}
	return 0;
}

int co_uc_inject(struct co_uc *u, unsigned int vector, uint64_t after)
{
	if (vector >= 256 || vector == CO_UC_VIRQ_VECTOR ||
	    u->nr_inj == MAX_INJECT)
		return -CO_EINVAL;
	u->inj[u->nr_inj].vector = vector;
	u->inj[u->nr_inj].at = u->clock + after;
	u->nr_inj++;
	return 0;
}

int co_uc_host_irq(struct co_uc *u, unsigned int vector)
{
	if (u->broken)
		return -CO_ESTATE;
	if (vector < 32 || vector > 255)
		return -CO_EINVAL;
	co_uc_wr(u, UC_X86_REG_RIP, u->a_irq_ret);
	u->triple = false;
	if (co_uc_raise(u, vector, false, 0, "host interrupt")) {
		u->broken = true;
		co_log(CO_LOG_ERROR, "unicorn: %s", u->fault);
		return -CO_EIO;
	}
	if (co_uc_run_stub(u, co_uc_rd(u, UC_X86_REG_RIP), u->a_irq_ret + 1)) {
		u->broken = true;
		return -CO_EIO;
	}
	return 0;
}
