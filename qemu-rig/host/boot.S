/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot entry of the bare-metal host. QEMU's multiboot loader starts
 * us in 32-bit protected mode without paging (eax = magic, ebx = the
 * information block). This file switches to long mode on boot page tables
 * that map the first GiB both at 0 and at -1 GiB, then calls bare_main at
 * its higher-half address. mm.c replaces these tables with the real ones.
 *
 * Everything in .boot runs at its physical address (VMA = LMA).
 */
#include <colinux/cpu.h>

#define KERNEL_VMA	0xffffffffc0000000
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory map */
#define CR0_PE		0x00000001
#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define EFER_SCE_LME_NXE 0x00000901

	/* Unwind info where the linker keeps it (.eh_frame is discarded). */
	.cfi_sections .debug_frame

	.section .boot, "ax"
	.code32
	.balign	4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.globl	_start
	.type	_start, @function
_start:
	cli
	cld
	movl	%eax, %edi
	movl	%ebx, %esi
	movl	$boot_stack_top, %esp

	/* PD: 512 x 2 MiB, the first GiB. */
	movl	$boot_pd, %ebx
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax		/* P, W, PS */
	movl	%eax, (%ebx,%ecx,8)
	movl	$0, 4(%ebx,%ecx,8)
	incl	%ecx
	cmpl	$512, %ecx
	jb	1b
	/* PDPT low[0] and high[511] -> PD; PML4[0] -> low, [511] -> high. */
	movl	$boot_pd + 3, boot_pdpt_lo
	movl	$boot_pd + 3, boot_pdpt_hi + 511 * 8
	movl	$boot_pdpt_lo + 3, boot_pml4
	movl	$boot_pdpt_hi + 3, boot_pml4 + 511 * 8

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$CO_MSR_EFER, %ecx
	rdmsr
	orl	$EFER_SCE_LME_NXE, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PE | CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	lgdt	boot_gdtr
	ljmp	$0x08, $long_entry
	.size	_start, . - _start

	.code64
long_entry:
	.cfi_startproc
	.cfi_undefined rip
	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs
	/* Clear .bss (the loader may not have). */
	movabsq	$__bss_start, %rdx
	movabsq	$__bss_end, %rcx
	subq	%rdx, %rcx
	shrq	$3, %rcx
	movq	%rdi, %r8
	movq	%rdx, %rdi
	xorl	%eax, %eax
	rep stosq
	movq	%r8, %rdi
	movabsq	$bare_stack_top, %rsp
	xorl	%ebp, %ebp
	/* A zero return address ends every backtrace here. */
	pushq	$0
	movabsq	$bare_main, %rax
	jmp	*%rax
	.cfi_endproc

	.balign	8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdtr:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	.section .boot.data, "aw"
	.balign	4096
/* Initialised data, not .bss: the tables must be zero before we run. */
boot_pml4:	.fill	4096, 1, 0
boot_pdpt_lo:	.fill	4096, 1, 0
boot_pdpt_hi:	.fill	4096, 1, 0
boot_pd:	.fill	4096, 1, 0
		.fill	1024, 1, 0
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
