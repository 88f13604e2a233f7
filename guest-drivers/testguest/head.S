/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guest's entry, its way into the passage and its interrupt
 * entry points.
 *
 * The monitor enters co_start in long mode on its boot page tables and
 * boot stack with rsi = boot parameters (gpa, identity mapped) and
 * interrupts off (docs/protocol.md, "Initial CPU state").
 */
/* CO_PASSAGE_TO_HOST_VA (abi/passage.h; checked in main.c) */
#define PASSAGE_CODE_VA	0xffff800000000000

/* kernel.lds drops .eh_frame: keep the unwind info where gdb finds it. */
	.cfi_sections .debug_frame

	.section .text.head, "ax"
	.globl	co_start
	.type	co_start, @function
co_start:
	.cfi_startproc
	/* Nothing called us: stop unwinders here. */
	.cfi_undefined rip
	cli
	cld
	leaq	tg_boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movq	%rsi, %rdi
	call	tg_main
1:	ud2
	jmp	1b
	.cfi_endproc
	.size	co_start, . - co_start

	.text
/*
 * void tg_passage_enter(void): the guest -> host switch. The switch keeps
 * rdi, rsi, the callee-saved registers and the FPU state; the C caller
 * already assumes the other registers are lost across a call. Interrupts
 * stay off while the host has the CPU.
 */
	.globl	tg_passage_enter
	.type	tg_passage_enter, @function
tg_passage_enter:
	pushfq
	cli
	movabsq	$PASSAGE_CODE_VA, %rax
	call	*%rax
	popfq
	ret
	.size	tg_passage_enter, . - tg_passage_enter

/*
 * void tg_passage_probe(uint64_t out[8]): one switch (the caller has put
 * the operation in the shared page) with known values in the registers
 * the switch must keep; out = rbx, r12-r15, rdi, rsi, xmm0 afterwards.
 */
	.globl	tg_passage_probe
	.type	tg_passage_probe, @function
tg_passage_probe:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi
	pushfq
	cli
	movabsq	$0x1111111111111111, %rbx
	movabsq	$0x2222222222222222, %r12
	movabsq	$0x3333333333333333, %r13
	movabsq	$0x4444444444444444, %r14
	movabsq	$0x5555555555555555, %r15
	movabsq	$0x6666666666666666, %rdi
	movabsq	$0x7777777777777777, %rsi
	movabsq	$0x8888888888888888, %rax
	movq	%rax, %xmm0
	movabsq	$PASSAGE_CODE_VA, %rax
	call	*%rax
	movq	%xmm0, %rax
	movq	8(%rsp), %rcx
	movq	%rbx, 0(%rcx)
	movq	%r12, 8(%rcx)
	movq	%r13, 16(%rcx)
	movq	%r14, 24(%rcx)
	movq	%r15, 32(%rcx)
	movq	%rdi, 40(%rcx)
	movq	%rsi, 48(%rcx)
	movq	%rax, 56(%rcx)
	popfq
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	tg_passage_probe, . - tg_passage_probe

/* unsigned long tg_irq_save(void) / void tg_irq_restore(unsigned long) */
	.globl	tg_irq_save
	.type	tg_irq_save, @function
tg_irq_save:
	pushfq
	popq	%rax
	cli
	ret
	.size	tg_irq_save, . - tg_irq_save

	.globl	tg_irq_restore
	.type	tg_irq_restore, @function
tg_irq_restore:
	testl	$0x200, %edi
	jz	1f
	sti
1:	ret
	.size	tg_irq_restore, . - tg_irq_restore

/* void tg_load_segments(unsigned cs, unsigned ds): reload after lgdt. */
	.globl	tg_load_segments
	.type	tg_load_segments, @function
tg_load_segments:
	movw	%si, %ds
	movw	%si, %es
	movw	%si, %ss
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs
	popq	%rax
	pushq	%rdi
	pushq	%rax
	lretq
	.size	tg_load_segments, . - tg_load_segments

/*
 * Interrupt entry: one stub per vector pushes a dummy error code where
 * the CPU pushed none, then the vector, and joins tg_trap_common, which
 * saves the general registers as struct tg_regs (cpu.h) and calls
 * tg_trap(regs). Handlers may change the saved registers (rip to skip an
 * instruction, for example).
 */
.macro VECTOR n
	.balign	16
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	pushq	$\n
	.else
	pushq	$0
	pushq	$\n
	.endif
	jmp	tg_trap_common
.endm

	.balign	16
	.globl	tg_vectors
tg_vectors:
	.altmacro
	.set	vec, 0
	.rept	256
	VECTOR	%vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

tg_trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	movq	%rsp, %rdi
	/* Align the stack for C whatever it was. */
	movq	%rsp, %rbx
	andq	$~0xf, %rsp
	call	tg_trap
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.bss
	.balign	16
	.globl	tg_boot_stack_top
tg_boot_stack:
	.skip	65536
tg_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
