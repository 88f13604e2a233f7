/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal guest kernel (ELF, linked at 0xffffffff80200000, loaded at
 * guest-physical 0x200000): sets up its own GDT with a TSS (the passage
 * saves and restores TR) and an IDT with one external vector, prints a
 * line, waits for one forwarded host interrupt, powers off with code 42.
 */
#define PASSAGE		0xffff800000000000
#define SHARED		0xffff800000001000
#define SH_OP		0x10
#define SH_RESULT	0x14
#define SH_PARAM	0x18
#define SH_TEXT		0x400
#define OP_RETURN	2
#define OP_TERMINATE	17
#define OP_FORWARD_IRQ	19
#define OP_DEBUG_PRINT	22
#define IRQ_VECTOR	0x50

	.text
	.globl	co_start
co_start:
	movq	%rsi, %r15			/* boot parameters */
	/* TSS descriptor at 0x20 of our GDT. */
	leaq	tss(%rip), %rax
	leaq	gdt + 0x20(%rip), %rdx
	movw	$0x67, (%rdx)
	movw	%ax, 2(%rdx)
	shrq	$16, %rax
	movb	%al, 4(%rdx)
	movb	$0x89, 5(%rdx)
	movb	$0, 6(%rdx)
	movb	%ah, 7(%rdx)
	shrq	$16, %rax
	movl	%eax, 8(%rdx)
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_ptr + 2(%rip)
	lgdt	gdt_ptr(%rip)
	movw	$0x20, %ax
	ltr	%ax
	/* Interrupt gate for IRQ_VECTOR. */
	leaq	irq_stub(%rip), %rax
	leaq	idt + IRQ_VECTOR * 16(%rip), %rdx
	movw	%ax, (%rdx)
	movw	$0x10, 2(%rdx)
	movw	$0x8e00, 4(%rdx)
	shrq	$16, %rax
	movw	%ax, 6(%rdx)
	shrq	$16, %rax
	movl	%eax, 8(%rdx)
	leaq	idt(%rip), %rax
	movq	%rax, idt_ptr + 2(%rip)
	lidt	idt_ptr(%rip)

	leaq	hello(%rip), %rsi
	movl	$hello_len, %ecx
	movl	$OP_DEBUG_PRINT, %edx
	call	op_text
	movabsq	$SHARED, %rax
	cmpl	$OP_RETURN, SH_OP(%rax)
	jne	broken
	cmpl	$0, SH_RESULT(%rax)
	jne	broken

	/* Wait for the host's interrupt with interrupts on. */
	sti
1:	cmpq	$0, irqs(%rip)
	je	1b
	cli

	movabsq	$SHARED, %rax
	movq	$0, SH_PARAM(%rax)		/* CO_TERM_POWEROFF */
	movq	$42, SH_PARAM + 8(%rax)
	leaq	bye(%rip), %rsi
	movl	$bye_len, %ecx
	movq	%rcx, SH_PARAM + 16(%rax)
	movl	$OP_TERMINATE, %edx
	call	op_text
broken:
	jmp	broken

/* Operation %edx with the %ecx bytes at %rsi as text (p0 = length). */
op_text:
	movabsq	$SHARED, %rdi
	movq	%rcx, SH_PARAM(%rdi)
	cmpl	$OP_TERMINATE, %edx
	jne	1f
	movq	$0, SH_PARAM(%rdi)
1:	movl	%edx, SH_OP(%rdi)
	addq	$SH_TEXT, %rdi
	rep movsb
	movabsq	$PASSAGE, %rax
	jmp	*%rax				/* returns to our caller */

irq_stub:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movabsq	$SHARED, %rax
	movq	$IRQ_VECTOR, SH_PARAM(%rax)
	movl	$OP_FORWARD_IRQ, SH_OP(%rax)
	movabsq	$PASSAGE, %rax
	call	*%rax
	incq	irqs(%rip)
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq

hello:	.ascii	"hello from the guest"
	.set	hello_len, . - hello
bye:	.ascii	"bye"
	.set	bye_len, . - bye

	.balign	4096
gdt:	.quad	0, 0, 0x00af9a000000ffff, 0x00cf92000000ffff, 0, 0
gdt_ptr:
	.word	0x2f
	.quad	0
	.balign	16
idt_ptr:
	.word	0xfff
	.quad	0
	.balign	16
tss:	.fill	0x68, 1, 0
irqs:	.quad	0
	.balign	4096
idt:	.fill	4096, 1, 0
