/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86-64 world switch between host and guest (docs/passage.md).
 *
 * A coroutine switch: each entry saves the calling side into its struct
 * co_cpu_state and resumes the other side from its own. The host calls
 * co_passage_to_guest at the host's VA of the code page, the guest calls
 * co_passage_to_host at CO_PASSAGE_CODE_VA; either call returns when the
 * other side switches back. Both are plain calls without arguments, so the
 * SysV and the Microsoft ABI are both served (rdi, rsi and all of XMM are
 * saved too).
 *
 * Position independent and never written to: the monitor copies the bytes
 * between co_passage_code_start and co_passage_code_end into the code page
 * and fills the data block at CO_PD_OFFSET. Only local labels are used for
 * RIP-relative references, so the assembler resolves them and no
 * relocation refers into the blob.
 *
 * Between the two address spaces the switch runs in the transit space
 * (switch.h), where only the passage pages are mapped: nothing in transit
 * touches the stack.
 */
#include <colinux/cpu.h>
#include "switch.h"

#ifdef __ELF__
#define FUNC(name)	.type name, @function
#define ENDFUNC(name)	.size name, . - name
#else
#define FUNC(name)
#define ENDFUNC(name)
#endif

/* Read MSR \msr into the state at %r8. Clobbers eax, ecx, edx. */
.macro SAVE_MSR msr, off
	movl	$\msr, %ecx
	rdmsr
	movl	%eax, \off(%r8)
	movl	%edx, \off+4(%r8)
.endm

.macro LOAD_MSR msr, off
	movl	$\msr, %ecx
	movl	\off(%r8), %eax
	movl	\off+4(%r8), %edx
	wrmsr
.endm

/*
 * %eax = a selector (from the state at %r8): jump to \skip unless it is
 * non-null and names a present system descriptor within the GDT whose
 * type byte, masked with \mask, is \want. Leaves %eax = its offset in the GDT
 * and %rcx = the GDT base. Clobbers edx.
 */
.macro DESC_CHECK mask, want, skip
	andl	$0xfff8, %eax
	jz	\skip
	leal	15(%rax), %edx
	cmpw	CO_ST_GDTR + 6(%r8), %dx
	ja	\skip
	movq	CO_ST_GDTR + 8(%r8), %rcx
	movb	5(%rcx,%rax), %dl
	andb	$\mask, %dl
	cmpb	$\want, %dl
	jne	\skip
.endm

/*
 * Save the calling side into the state at %r8. On the stack: the caller's
 * RFLAGS (pushed on entry) above its return address. Leaves the CPU quiet
 * for transit: no breakpoints, FPU usable, no global TLB entries.
 */
.macro SAVE_SIDE
	popq	CO_ST_RFLAGS(%r8)
	popq	CO_ST_RIP(%r8)
	movq	%rsp, CO_ST_RSP(%r8)
	movq	%rbx, CO_ST_RBX(%r8)
	movq	%rbp, CO_ST_RBP(%r8)
	movq	%r12, CO_ST_R12(%r8)
	movq	%r13, CO_ST_R13(%r8)
	movq	%r14, CO_ST_R14(%r8)
	movq	%r15, CO_ST_R15(%r8)
	movq	%rdi, CO_ST_RDI(%r8)
	movq	%rsi, CO_ST_RSI(%r8)
	movq	%cr0, %rax
	movq	%rax, CO_ST_CR0(%r8)
	movq	%cr2, %rax
	movq	%rax, CO_ST_CR2(%r8)
	movq	%cr3, %rax
	movq	%rax, CO_ST_CR3(%r8)
	movq	%cr4, %rax
	movq	%rax, CO_ST_CR4(%r8)
	sgdt	CO_ST_GDTR + 6(%r8)
	sidt	CO_ST_IDTR + 6(%r8)
	str	CO_ST_TR(%r8)
	sldt	CO_ST_LDTR(%r8)
	movw	%cs, CO_ST_CS(%r8)
	movw	%ss, CO_ST_SS(%r8)
	movw	%ds, CO_ST_DS(%r8)
	movw	%es, CO_ST_ES(%r8)
	movw	%fs, CO_ST_FS(%r8)
	movw	%gs, CO_ST_GS(%r8)
	SAVE_MSR CO_MSR_EFER, CO_ST_EFER
	SAVE_MSR CO_MSR_FS_BASE, CO_ST_FS_BASE
	SAVE_MSR CO_MSR_GS_BASE, CO_ST_GS_BASE
	SAVE_MSR CO_MSR_KGS_BASE, CO_ST_KGS_BASE
	SAVE_MSR CO_MSR_STAR, CO_ST_STAR
	SAVE_MSR CO_MSR_LSTAR, CO_ST_LSTAR
	SAVE_MSR CO_MSR_CSTAR, CO_ST_CSTAR
	SAVE_MSR CO_MSR_SFMASK, CO_ST_SFMASK
	movq	%dr7, %rax
	movq	%rax, CO_ST_DR7(%r8)
	/* fxsave and xsave fault with CR0.TS or CR0.EM set: clear them first. */
	movq	CO_ST_CR0(%r8), %rax
	testb	$CO_CR0_TS_EM, %al
	jz	.Lsave_fpu\@
	andq	$~CO_CR0_TS_EM, %rax
	movq	%rax, %cr0
	/*
	 * The xsave path is this side's choice (xcr0, set by the monitor),
	 * taken only with CR4.OSXSAVE, without which xsave is #UD. The load
	 * makes the same test on the same CR4.
	 */
.Lsave_fpu\@:
	movq	CO_ST_XCR0(%r8), %rax
	testq	%rax, %rax
	jz	.Lsave_fxsave\@
	btq	$CO_CR4_OSXSAVE_BIT, CO_ST_CR4(%r8)
	jnc	.Lsave_fxsave\@
	movq	%rax, %rdx
	shrq	$32, %rdx
	movq	CO_ST_XSAVE_OFF(%r8), %rcx
	xsave64	(%r8,%rcx)
	jmp	.Lsave_dr7\@
.Lsave_fxsave\@:
	fxsave64 CO_ST_FXSAVE(%r8)
.Lsave_dr7\@:
	/* A breakpoint in transit would find no IDT. */
	cmpq	$CO_DR7_QUIET, CO_ST_DR7(%r8)
	je	.Lsave_cr4\@
	movl	$CO_DR7_QUIET, %eax
	movq	%rax, %dr7
	/*
	 * Global (and PCID-tagged) entries survive a CR3 load: drop them so
	 * that the other side sees none of this side's translations.
	 */
.Lsave_cr4\@:
	movq	CO_ST_CR4(%r8), %rax
	testl	$CO_CR4_PGE_PCIDE, %eax
	jz	.Lsave_done\@
	andq	$~CO_CR4_PGE_PCIDE, %rax
	movq	%rax, %cr4
.Lsave_done\@:
.endm

	.text
	.balign	64
	.globl	co_passage_code_start
	.globl	co_passage_code_end
	.globl	co_passage_to_host
	.globl	co_passage_to_guest

co_passage_code_start:
.Lstart:

/*
 * Guest -> host, at offset 0 of the code page. Runs at CO_PASSAGE_CODE_VA,
 * where the shared page follows the code page.
 */
	FUNC(co_passage_to_host)
co_passage_to_host:
	pushfq
	pushq	$2			/* IF, DF, TF, NT, AC off */
	popfq
	leaq	.Lstart + 0x1000 + CO_SHARED_GUEST(%rip), %r8
	SAVE_SIDE
	movq	.Lstart + CO_PD_TRANSIT_CR3(%rip), %rdx
	movq	%rdx, %cr3
	/* Transit: the host-state page is mapped two pages above us. */
	movq	.Lstart + CO_TRANSIT_HOST_STATE + CO_ST_CR3(%rip), %rdx
	movq	.Lstart + CO_PD_HOST_STATE_VA(%rip), %r8
	movq	.Lstart + CO_PD_HOST_CODE_VA(%rip), %rcx
	addq	$(.Lload - .Lstart), %rcx
	jmp	*%rcx
	ENDFUNC(co_passage_to_host)

/* Host -> guest: runs at the host's VA of the code page. */
	FUNC(co_passage_to_guest)
co_passage_to_guest:
	pushfq
	pushq	$2
	popfq
	movq	.Lstart + CO_PD_HOST_STATE_VA(%rip), %r8
	SAVE_SIDE
	movq	.Lstart + CO_PD_TRANSIT_CR3(%rip), %rdx
	movq	.Lstart + CO_PD_GUEST_CODE_VA(%rip), %rcx
	addq	$(.Lat_guest_va - .Lstart), %rcx
	movq	%rdx, %cr3
	jmp	*%rcx
.Lat_guest_va:
	/* Transit, at CO_PASSAGE_CODE_VA: the shared page is the next one. */
	movq	.Lstart + 0x1000 + CO_SHARED_GUEST + CO_ST_CR3(%rip), %rdx
	leaq	.Lstart + 0x1000 + CO_SHARED_GUEST(%rip), %r8

/*
 * Enter the other side: %rdx = its CR3, %r8 = its state at the address
 * valid in its own space. CR3 goes first (without the PCID bits, which
 * need CR4.PCIDE), then everything that reads memory of that side.
 */
.Lload:
	movabsq	$CO_CR3_ADDR_MASK, %rcx
	andq	%rdx, %rcx
	movq	%rcx, %cr3
	movq	CO_ST_CR4(%r8), %rax
	movq	%cr4, %rcx
	cmpq	%rax, %rcx
	je	.Lload_cr3_again
	movq	%rax, %cr4
.Lload_cr3_again:
	movq	CO_ST_CR3(%r8), %rax
	testl	$0xfff, %eax
	jz	.Lload_tables
	btrq	$63, %rax
	movq	%rax, %cr3
.Lload_tables:
	lgdt	CO_ST_GDTR + 6(%r8)
	lidt	CO_ST_IDTR + 6(%r8)
	/*
	 * TR and LDTR: only a selector that names a descriptor of the right
	 * type inside this side's GDT is loaded. A guest that never loaded
	 * its own TR saved the host's selector, which must not become a
	 * #GP here, in the middle of the switch.
	 */
	movzwl	CO_ST_TR(%r8), %eax
	DESC_CHECK CO_DESC_TSS_MASK, CO_DESC_TSS, .Lload_ldtr
	/* ltr faults on a busy TSS: this side's TSS was busy when it left. */
	andb	$0xfd, 5(%rcx,%rax)
	ltr	CO_ST_TR(%r8)
.Lload_ldtr:
	movzwl	CO_ST_LDTR(%r8), %eax
	DESC_CHECK CO_DESC_LDT_MASK, CO_DESC_LDT, .Lload_no_ldt
	lldt	CO_ST_LDTR(%r8)
	jmp	.Lload_segments
.Lload_no_ldt:
	xorl	%eax, %eax
	lldt	%ax
.Lload_segments:
	movw	CO_ST_DS(%r8), %ds
	movw	CO_ST_ES(%r8), %es
	movw	CO_ST_FS(%r8), %fs
	movw	CO_ST_GS(%r8), %gs
	/* The bases after the selectors, which overwrite them. */
	LOAD_MSR CO_MSR_FS_BASE, CO_ST_FS_BASE
	LOAD_MSR CO_MSR_GS_BASE, CO_ST_GS_BASE
	LOAD_MSR CO_MSR_KGS_BASE, CO_ST_KGS_BASE
	LOAD_MSR CO_MSR_STAR, CO_ST_STAR
	LOAD_MSR CO_MSR_LSTAR, CO_ST_LSTAR
	LOAD_MSR CO_MSR_CSTAR, CO_ST_CSTAR
	LOAD_MSR CO_MSR_SFMASK, CO_ST_SFMASK
	/*
	 * Before CR0, which may set TS or EM again. CR4 is this side's by
	 * now, so xgetbv/xsetbv run only where OSXSAVE is set.
	 */
	movq	CO_ST_XCR0(%r8), %r9
	testq	%r9, %r9
	jz	.Lload_fxrstor
	btq	$CO_CR4_OSXSAVE_BIT, CO_ST_CR4(%r8)
	jnc	.Lload_fxrstor
	xorl	%ecx, %ecx
	xgetbv
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%r9, %rdx
	shrq	$32, %rdx
	cmpq	%rax, %r9
	movl	%r9d, %eax
	je	.Lload_xrstor
	/* The other side left its own XCR0. */
	xsetbv
.Lload_xrstor:
	movq	CO_ST_XSAVE_OFF(%r8), %rcx
	xrstor64 (%r8,%rcx)
	jmp	.Lload_cr0
.Lload_fxrstor:
	fxrstor64 CO_ST_FXSAVE(%r8)
.Lload_cr0:
	movq	CO_ST_CR0(%r8), %rax
	movq	%cr0, %rcx
	cmpq	%rax, %rcx
	je	.Lload_cr2
	movq	%rax, %cr0
.Lload_cr2:
	movq	CO_ST_CR2(%r8), %rax
	movq	%rax, %cr2
	movq	CO_ST_DR7(%r8), %rax
	cmpq	$CO_DR7_QUIET, %rax
	je	.Lload_regs
	movq	%rax, %dr7
.Lload_regs:
	movq	CO_ST_RBX(%r8), %rbx
	movq	CO_ST_RBP(%r8), %rbp
	movq	CO_ST_R12(%r8), %r12
	movq	CO_ST_R13(%r8), %r13
	movq	CO_ST_R14(%r8), %r14
	movq	CO_ST_R15(%r8), %r15
	movq	CO_ST_RDI(%r8), %rdi
	movq	CO_ST_RSI(%r8), %rsi
	/* CS, SS, RSP and RFLAGS (with IF) in one go, as an interrupt return. */
	movq	CO_ST_RSP(%r8), %rsp
	movzwl	CO_ST_SS(%r8), %eax
	pushq	%rax
	pushq	CO_ST_RSP(%r8)
	pushq	CO_ST_RFLAGS(%r8)
	movzwl	CO_ST_CS(%r8), %eax
	pushq	%rax
	pushq	CO_ST_RIP(%r8)
	/* Nothing of the other side leaks through the scratch registers. */
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	iretq
	ENDFUNC(co_passage_to_guest)

co_passage_code_end:

#ifdef __ELF__
	.section .note.GNU-stack, "", @progbits
#endif
