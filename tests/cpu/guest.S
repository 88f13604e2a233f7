/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny guest for the CPU-level tests: copied into guest memory at an
 * identity-mapped address, position independent. Each entry point is a
 * loop that does its job and calls the passage's guest->host entry
 * (CO_PASSAGE_CODE_VA, offset 0).
 */
#include <colinux/cpu.h>
#include "arch/x86_64/switch.h"

#define PASSAGE		0xffff800000000000
#define SHARED		0xffff800000001000
#define SH_OP		0x10
#define SH_PARAM0	0x18
#define OP_FORWARD_IRQ	19
#define OP_YIELD	24

#define REC(off)	tg_rec + (off)(%rip)

.macro TO_HOST
	movabsq	$PASSAGE, %rax
	call	*%rax
.endm

.macro REC_MSR msr, off
	movl	$\msr, %ecx
	rdmsr
	movl	%eax, REC(\off)
	movl	%edx, REC(\off + 4)
.endm

	.text
	.balign	4096
	.globl	tg_start, tg_end, tg_record, tg_bounce, tg_work, tg_vectors
	.globl	tg_pf_test, tg_pf_handler, tg_spin, tg_ud, tg_rec, tg_count
	.globl	tg_irqs, tg_pf_log, tg_valid
tg_start:

/* Write everything the CPU holds into tg_rec (a struct co_cpu_state). */
tg_record:
	movq	%rbx, REC(CO_ST_RBX)
	movq	%rbp, REC(CO_ST_RBP)
	movq	%r12, REC(CO_ST_R12)
	movq	%r13, REC(CO_ST_R13)
	movq	%r14, REC(CO_ST_R14)
	movq	%r15, REC(CO_ST_R15)
	movq	%rdi, REC(CO_ST_RDI)
	movq	%rsi, REC(CO_ST_RSI)
	movq	%rsp, REC(CO_ST_RSP)
	pushfq
	popq	REC(CO_ST_RFLAGS)
	movq	%cr0, %rax
	movq	%rax, REC(CO_ST_CR0)
	movq	%cr2, %rax
	movq	%rax, REC(CO_ST_CR2)
	movq	%cr3, %rax
	movq	%rax, REC(CO_ST_CR3)
	movq	%cr4, %rax
	movq	%rax, REC(CO_ST_CR4)
	sgdt	REC(CO_ST_GDTR + 6)
	sidt	REC(CO_ST_IDTR + 6)
	str	REC(CO_ST_TR)
	sldt	REC(CO_ST_LDTR)
	movw	%cs, REC(CO_ST_CS)
	movw	%ss, REC(CO_ST_SS)
	movw	%ds, REC(CO_ST_DS)
	movw	%es, REC(CO_ST_ES)
	movw	%fs, REC(CO_ST_FS)
	movw	%gs, REC(CO_ST_GS)
	REC_MSR	CO_MSR_EFER, CO_ST_EFER
	REC_MSR	CO_MSR_FS_BASE, CO_ST_FS_BASE
	REC_MSR	CO_MSR_GS_BASE, CO_ST_GS_BASE
	REC_MSR	CO_MSR_KGS_BASE, CO_ST_KGS_BASE
	REC_MSR	CO_MSR_STAR, CO_ST_STAR
	REC_MSR	CO_MSR_LSTAR, CO_ST_LSTAR
	REC_MSR	CO_MSR_CSTAR, CO_ST_CSTAR
	REC_MSR	CO_MSR_SFMASK, CO_ST_SFMASK
	movq	%dr7, %rax
	movq	%rax, REC(CO_ST_DR7)
	leaq	tg_record(%rip), %rax
	movq	%rax, REC(CO_ST_RIP)
	movq	%cr0, %rax
	testb	$CO_CR0_TS_EM, %al
	jz	1f
	andq	$~CO_CR0_TS_EM, %rax
	movq	%rax, %cr0
1:	fxsave64 REC(CO_ST_FXSAVE)
	incq	tg_count(%rip)
	TO_HOST
	jmp	tg_record

/* The shortest trip: count and go back. */
tg_bounce:
	incq	tg_count(%rip)
	TO_HOST
	jmp	tg_bounce

/*
 * Work with interrupts on: rbx = 1 + 2 + ... + rdi, and xmm0 accumulates
 * the same in both lanes. Then report with CO_OP_YIELD.
 */
tg_work:
	sti
	xorl	%ebx, %ebx
	pxor	%xmm0, %xmm0
	movq	%rdi, %rcx
	testq	%rcx, %rcx
	jz	2f
1:	addq	%rcx, %rbx
	movq	%rcx, %xmm1
	punpcklqdq %xmm1, %xmm1
	paddq	%xmm1, %xmm0
	decq	%rcx
	jnz	1b
2:	cli
	movq	%rbx, REC(CO_ST_RBX)
	movdqu	%xmm0, REC(CO_ST_FXSAVE + 160)
	movabsq	$SHARED, %rdx
	movl	$OP_YIELD, SH_OP(%rdx)
	TO_HOST
	jmp	tg_work

/* External vectors: forward to the host, as a coLinux guest does. */
.Lirq_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	72(%rsp), %rax
	movabsq	$SHARED, %rdx
	movq	%rax, SH_PARAM0(%rdx)
	movl	$OP_FORWARD_IRQ, SH_OP(%rdx)
	incq	tg_irqs(%rip)
	TO_HOST
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$8, %rsp
	iretq

/*
 * Page faults: read (%rdi), then write (%rsi), then read (%rbx); the #PF
 * handler logs CR2 and the error code and points the faulting register
 * at tg_valid.
 */
tg_pf_test:
	movq	(%rdi), %rax
	movq	%rax, (%rsi)
	movq	(%rbx), %rax
	movabsq	$SHARED, %rcx
	movl	$OP_YIELD, SH_OP(%rcx)
	TO_HOST
	jmp	tg_pf_test

tg_pf_handler:
	pushq	%rax
	pushq	%rcx
	movq	tg_pf_log(%rip), %rax
	cmpq	$3, %rax
	jae	1f
	shlq	$4, %rax
	leaq	tg_pf_log + 8(%rip), %rcx
	addq	%rax, %rcx
	movq	%cr2, %rax
	movq	%rax, (%rcx)
	movq	16(%rsp), %rax		/* error code */
	movq	%rax, 8(%rcx)
1:	incq	tg_pf_log(%rip)
	movq	%cr2, %rax
	leaq	tg_valid(%rip), %rcx
	cmpq	%rax, %rdi
	jne	2f
	movq	%rcx, %rdi
2:	cmpq	%rax, %rsi
	jne	3f
	movq	%rcx, %rsi
3:	cmpq	%rax, %rbx
	jne	4f
	movq	%rcx, %rbx
4:	popq	%rcx
	popq	%rax
	addq	$8, %rsp
	iretq

tg_spin:
	jmp	tg_spin

tg_ud:
	ud2

	.balign	16
tg_vectors:
	.set	vec, 0
	.rept	256
	.balign	16
	pushq	$vec
	jmp	.Lirq_common
	.set	vec, vec + 1
	.endr

	/* Data on its own page: stores next to code make QEMU retranslate. */
	.balign	4096
tg_rec:
	.fill	0x300, 1, 0
tg_count:
	.quad	0
tg_irqs:
	.quad	0
tg_valid:
	.quad	0x1122334455667788
tg_pf_log:
	.fill	7, 8, 0		/* count, then (cr2, error) x 3 */
tg_end:

#ifdef __ELF__
	.section .note.GNU-stack, "", @progbits
#endif
