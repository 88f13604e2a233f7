// SPDX-License-Identifier: GPL-2.0
/*
 * The source of <colinux/cpu-offsets.h>: the offsets into C structures
 * that the switch (passage.S) and the back-ends' assembly use. Compiled
 * to assembly only, never linked: each CO_GEN leaves a marker line in the
 * compiler's output, which cmake/asm-offsets.cmake turns into a #define.
 * The compiler computes every value from the structures themselves, so
 * the assembly can never disagree with the C (the technique of Linux's
 * asm-offsets.c).
 */
#include <stddef.h>
#include <colinux/abi/passage.h>
#include "switch.h"

#define CO_GEN(sym, val) \
	__asm__ volatile("\n.ascii \"@co-offset@ " #sym " %c0\"" \
			 : : "i" ((unsigned long)(val)))
#define ST(sym, member) \
	CO_GEN(CO_ST_##sym, offsetof(struct co_cpu_state, member))
#define PD(sym, member)	CO_GEN(CO_PD_##sym, CO_PD_OFFSET + \
			       offsetof(struct co_passage_data, member))
#define SHARED(member)	offsetof(struct co_passage_shared, member)

void co_asm_offsets(void);

void co_asm_offsets(void)
{
	ST(RBX, rbx);
	ST(RBP, rbp);
	ST(R12, r12);
	ST(R13, r13);
	ST(R14, r14);
	ST(R15, r15);
	ST(RSP, rsp);
	ST(RIP, rip);
	ST(RFLAGS, rflags);
	ST(RDI, rdi);
	ST(RSI, rsi);
	ST(CR0, cr0);
	ST(CR2, cr2);
	ST(CR3, cr3);
	ST(CR4, cr4);
	ST(EFER, efer);
	ST(GDTR, gdtr);		/* limit at +6, base at +8 (struct co_dtr) */
	ST(IDTR, idtr);
	ST(CS, cs);
	ST(SS, ss);
	ST(DS, ds);
	ST(ES, es);
	ST(FS, fs);
	ST(GS, gs);
	ST(TR, tr);
	ST(LDTR, ldtr);
	ST(FS_BASE, fs_base);
	ST(GS_BASE, gs_base);
	ST(KGS_BASE, kernel_gs_base);
	ST(STAR, star);
	ST(LSTAR, lstar);
	ST(CSTAR, cstar);
	ST(SFMASK, sfmask);
	ST(DR7, dr7);
	ST(XCR0, xcr0);
	ST(XSAVE_OFF, xsave_off);
	ST(FXSAVE, fxsave);
	CO_GEN(CO_ST_SIZE, sizeof(struct co_cpu_state));

	/* The guest's saved state inside the shared page, and its XSAVE area. */
	CO_GEN(CO_SHARED_GUEST, SHARED(guest));
	CO_GEN(CO_XSAVE_GUEST_OFF, SHARED(reserved3) - SHARED(guest));
	CO_GEN(CO_XSAVE_GUEST_MAX,
	       sizeof(((struct co_passage_shared *)0)->reserved3));

	/* The switch's scratch (struct co_switch_scratch), on either side. */
	CO_GEN(CO_SHARED_SCRATCH, SHARED(scratch));
	CO_GEN(CO_SCR_TR_DESC, offsetof(struct co_switch_scratch, tr_desc));
	CO_GEN(CO_SCR_XCR0, offsetof(struct co_switch_scratch, xcr0));
	CO_GEN(CO_SCR_GDTR, offsetof(struct co_switch_scratch, gdtr));

	PD(TRANSIT_CR3, transit_cr3);
	PD(HOST_CODE_VA, host_code_va);
	PD(HOST_STATE_VA, host_state_va);
	PD(GUEST_CODE_VA, guest_code_va);
	PD(MAGIC, magic);
	CO_GEN(CO_PD_END, CO_PD_OFFSET + sizeof(struct co_passage_data));
}
