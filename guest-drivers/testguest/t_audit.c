// SPDX-License-Identifier: GPL-2.0
/*
 * test=audit_bad: what the instruction audit must catch (qemu-rig/run
 * --audit, docs/audit.md). The guest executes an out to a port and two
 * wrmsr of MSRs the passage does not switch: exactly what a guest must
 * not do to its host. tests/qemu/test_qemu_audit.py checks that the
 * audit fails naming each site, its address and its MSR.
 *
 * The writes put back the values they read, so the host loses nothing on
 * the rig (it does not use either MSR), and port 0x80 (the POST port) has
 * no device behind it. The program itself passes: the audit is the judge.
 *
 * The first wrmsr has its MSR number as an immediate right before it,
 * which the plugin reads from the code. The second takes ECX from memory
 * (a volatile), which no look at the code can resolve: the runner's gdb
 * fallback must find it, or the audit must fail closed.
 */
#include "tg.h"

#define MSR_SYSENTER_CS	0x174
#define MSR_TSC_AUX	0xc0000103

static volatile uint32_t audit_msr = MSR_TSC_AUX;

void tg_test_audit_bad(void)
{
	uint32_t lo, hi, msr;

	__asm__ volatile("outb %%al, $0x80" : : "a"(0x42));
	tg_pass("out to port 0x80");

	__asm__ volatile("rdmsr\n\twrmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_SYSENTER_CS)
			 : "memory");
	tg_pass("wrmsr 0x%x (SYSENTER_CS) with its own value 0x%x", MSR_SYSENTER_CS, lo);

	msr = audit_msr;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	msr = audit_msr;
	__asm__ volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi) : "memory");
	tg_pass("wrmsr 0x%x (TSC_AUX) with its own value 0x%x, MSR number from memory",
		msr, lo);
}
