/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt entry of the bare-metal host: one stub per vector pushes a
 * dummy error code where the CPU pushes none, then the vector, and joins
 * the common path, which saves the registers as struct irq_frame (bare.h)
 * and calls bare_trap(frame). And bare_raise_table: "int $n; ret" per
 * vector, for re-raising a forwarded interrupt through our own IDT.
 */
.macro VECTOR n
	.balign	16
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	pushq	$\n
	.else
	pushq	$0
	pushq	$\n
	.endif
	jmp	irq_common
.endm

	.cfi_sections .debug_frame
	.text
	.balign	16
	.globl	bare_vectors
bare_vectors:
	.altmacro
	.set	vec, 0
	.rept	256
	VECTOR	%vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

	.type	irq_common, @function
irq_common:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 16
	.cfi_offset %rip, 0
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
	.cfi_adjust_cfa_offset 120
	cld
	movq	%rsp, %rdi
	movq	%rsp, %rbx
	andq	$~0xf, %rsp
	call	bare_trap
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
	.cfi_endproc
	.size	irq_common, . - irq_common

/* Entry n at bare_raise_table + 4n: int $n; ret */
	.balign	16
	.globl	bare_raise_table
bare_raise_table:
	.set	vec, 0
	.rept	256
	.byte	0xcd, vec, 0xc3, 0x90
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
