/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emulated host kernel's code (Unicorn back-end, docs/passage.md).
 * Copied into the emulated host's memory and run at an identity-mapped
 * address; every routine ends in a hlt whose address tells the back-end
 * where the CPU stopped.
 */
#include <colinux/cpu.h>

#ifdef __ELF__
#define FUNC(name)	.type name, @function
#else
#define FUNC(name)
#endif

	.text
	.balign	4096
	.globl	co_uc_stub_start, co_uc_stub_end
	.globl	co_uc_stub_load, co_uc_stub_loaded
	.globl	co_uc_stub_call, co_uc_stub_ret, co_uc_stub_irq_ret
	.globl	co_uc_stub_fxsave, co_uc_stub_fxsaved
	.globl	co_uc_stub_vectors, co_uc_stub_fault, co_uc_stub_entry
	.globl	co_uc_stub_counts

co_uc_stub_start:

/*
 * Load the whole system state at %r15 (a struct co_cpu_state): CR4 first
 * so that the first run can turn paging on, then CR3, CR0 without TS/EM
 * until the FPU image is in.
 */
	FUNC(co_uc_stub_load)
co_uc_stub_load:
	movq	CO_ST_CR4(%r15), %rax
	movq	%rax, %cr4
	movq	CO_ST_CR3(%r15), %rax
	movq	%rax, %cr3
	movq	CO_ST_CR0(%r15), %rax
	andq	$~CO_CR0_TS_EM, %rax
	movq	%rax, %cr0
	lgdt	CO_ST_GDTR + 6(%r15)
	lidt	CO_ST_IDTR + 6(%r15)
	movzwl	CO_ST_TR(%r15), %eax
	andl	$0xfff8, %eax
	jz	1f
	movq	CO_ST_GDTR + 8(%r15), %rcx
	andb	$0xfd, 5(%rcx,%rax)
	ltr	CO_ST_TR(%r15)
1:	lldt	CO_ST_LDTR(%r15)
	movw	CO_ST_DS(%r15), %ds
	movw	CO_ST_ES(%r15), %es
	movw	CO_ST_FS(%r15), %fs
	movw	CO_ST_GS(%r15), %gs
	fxrstor64 CO_ST_FXSAVE(%r15)
	movq	CO_ST_CR0(%r15), %rax
	movq	%rax, %cr0
	movq	CO_ST_CR2(%r15), %rax
	movq	%rax, %cr2
	movq	CO_ST_DR7(%r15), %rax
	movq	%rax, %dr7
	movq	CO_ST_RSP(%r15), %rsp
	movzwl	CO_ST_SS(%r15), %eax
	pushq	%rax
	pushq	CO_ST_RSP(%r15)
	pushq	CO_ST_RFLAGS(%r15)
	movzwl	CO_ST_CS(%r15), %eax
	pushq	%rax
	leaq	.Lloaded(%rip), %rax
	pushq	%rax
	iretq
co_uc_stub_loaded:
.Lloaded:
	hlt

/* One trip into the guest: the monitor's host side, reduced to a call. */
	FUNC(co_uc_stub_call)
co_uc_stub_call:
	call	*.Lentry(%rip)
co_uc_stub_ret:
	hlt
/* A host interrupt handled after the trip returns here. */
co_uc_stub_irq_ret:
	hlt

/* fxsave64 to %r15 whatever CR0 says; clobbers rax, rcx. */
	FUNC(co_uc_stub_fxsave)
co_uc_stub_fxsave:
	movq	%cr0, %rax
	testb	$CO_CR0_TS_EM, %al
	jz	1f
	movq	%rax, %rcx
	andq	$~CO_CR0_TS_EM, %rcx
	movq	%rcx, %cr0
1:	fxsave64 (%r15)
	movq	%cr0, %rcx
	cmpq	%rax, %rcx
	je	co_uc_stub_fxsaved
	movq	%rax, %cr0
co_uc_stub_fxsaved:
	hlt

/*
 * The host's interrupt handlers: vectors 32..255 count themselves and
 * return; an exception (0..31) in host context stops at co_uc_stub_fault
 * with the vector on the stack.
 */
.Lirq_common:
	cmpq	$32, (%rsp)
	jb	co_uc_stub_fault
	pushq	%rax
	pushq	%rcx
	movq	16(%rsp), %rax
	leaq	.Lcounts(%rip), %rcx
	incq	(%rcx,%rax,8)
	popq	%rcx
	popq	%rax
	addq	$8, %rsp
	iretq
co_uc_stub_fault:
	hlt

	.balign	16
co_uc_stub_vectors:
	.set	vec, 0
	.rept	256
	.balign	16
	pushq	$vec
	jmp	.Lirq_common
	.set	vec, vec + 1
	.endr

	/* Data on its own page: stores next to code make QEMU retranslate. */
	.balign	4096
co_uc_stub_entry:
.Lentry:
	.quad	0
co_uc_stub_counts:
.Lcounts:
	.fill	256, 8, 0
co_uc_stub_end:

#ifdef __ELF__
	.section .note.GNU-stack, "", @progbits
#endif
