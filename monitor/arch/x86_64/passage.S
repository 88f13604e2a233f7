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
 *
 * The switch in steps, each a numbered comment at the code that does it,
 * in the order they run: 1 entry; 2 save the leaving side (SAVE_SIDE,
 * defined above its two uses); 3 transit; 4 enter the other side (.Lload,
 * one path for both directions). These comments are the description of
 * the switch; docs/passage.md section 4 gives the overview and points
 * here.
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
 * %eax = a selector (from the state at %r8): jump to \skip unless its
 * index (TI and RPL are dropped) is non-null and names a system
 * descriptor wholly within the GDT limit whose byte 5 (P, DPL, S, type),
 * masked with \mask, is \want. Leaves %eax = its offset in the GDT
 * and %rcx = the GDT base. Clobbers edx.
 */
.macro DESC_CHECK mask, want, skip
	testl	$4, %eax		/* TI: an LDT selector, never loadable */
	jnz	\skip
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
 * Step 2: save the leaving side into the state at %r8, and its XCR0 into
 * its struct co_switch_scratch at %r10 (both set up by the entry). On the
 * stack: the caller's RFLAGS (pushed in step 1) above its return address. Leaves the CPU quiet for transit: no breakpoints, FPU
 * usable, no global or PCID-tagged TLB entries. The state's xcr0 and
 * xsave_off are read, never written.
 */
.macro SAVE_SIDE
	/*
	 * Step 2.1: RFLAGS and the return address come off the stack, which
	 * leaves RSP as the caller sees it after the call returns.
	 */
	popq	CO_ST_RFLAGS(%r8)
	popq	CO_ST_RIP(%r8)
	movq	%rsp, CO_ST_RSP(%r8)
	/* Step 2.2: what either ABI's callee keeps (xmm6-15: step 2.6). */
	movq	%rbx, CO_ST_RBX(%r8)
	movq	%rbp, CO_ST_RBP(%r8)
	movq	%r12, CO_ST_R12(%r8)
	movq	%r13, CO_ST_R13(%r8)
	movq	%r14, CO_ST_R14(%r8)
	movq	%r15, CO_ST_R15(%r8)
	movq	%rdi, CO_ST_RDI(%r8)
	movq	%rsi, CO_ST_RSI(%r8)
	/* Step 2.3: control registers, descriptor tables, selectors. */
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
	/*
	 * Step 2.4: the MSRs, and DR7. EFER is recorded only: step 4 never
	 * writes it, so both sides run on the EFER the CPU has.
	 */
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
	/*
	 * Step 2.4b: XCR0, which belongs to each side as much as CR4 does,
	 * readable only with CR4.OSXSAVE (else 0: this side had none to lose).
	 * Step 4.9 gives it back; the monitor checks the guest's against the
	 * rule (docs/protocol.md, "XCR0").
	 */
	xorl	%eax, %eax
	xorl	%edx, %edx
	btq	$CO_CR4_OSXSAVE_BIT, CO_ST_CR4(%r8)
	jnc	.Lsave_xcr0\@
	xorl	%ecx, %ecx
	xgetbv
.Lsave_xcr0\@:
	movl	%eax, CO_SCR_XCR0(%r10)
	movl	%edx, CO_SCR_XCR0 + 4(%r10)
	/*
	 * Step 2.5: fxsave and xsave fault with CR0.TS or CR0.EM set: clear
	 * them first (the saved CR0 keeps them). They stay clear until step
	 * 4.10, so that step 4.9 can restore too.
	 */
	movq	CO_ST_CR0(%r8), %rax
	testb	$CO_CR0_TS_EM, %al
	jz	.Lsave_fpu\@
	andq	$~CO_CR0_TS_EM, %rax
	movq	%rax, %cr0
	/*
	 * Step 2.6: the FPU, SSE (and more) state. The xsave path is this
	 * side's choice (xcr0, set by the monitor), taken only with
	 * CR4.OSXSAVE, without which xsave is #UD; step 4.9 makes the same
	 * test on the same CR4, so a side is restored the way it was saved.
	 * Otherwise fxsave64 into fxsave[].
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
	/*
	 * Step 2.7: DR7 = 0x400, no breakpoints (unless it is already): a
	 * breakpoint in transit would find no IDT.
	 */
.Lsave_dr7\@:
	cmpq	$CO_DR7_QUIET, CO_ST_DR7(%r8)
	je	.Lsave_cr4\@
	movl	$CO_DR7_QUIET, %eax
	movq	%rax, %dr7
	/*
	 * Step 2.8: CR4.PGE and PCIDE off (if either is on). Global and
	 * PCID-tagged entries survive a CR3 load; turning the bits off
	 * flushes them, so that no translation of this side survives into
	 * the other.
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
	/*
	 * Step 1: keep the caller's RFLAGS (IF included) for step 4.13, then
	 * run the switch with RFLAGS = 2, everything off: IF and TF (an
	 * interrupt or a trap in transit would find no IDT), NT (the closing
	 * iretq would #GP), DF and AC.
	 */
	pushfq
	pushq	$2
	popfq
	/* The guest's state: co_passage_shared.guest, the next page. */
	leaq	.Lstart + 0x1000 + CO_SHARED_GUEST(%rip), %r8
	leaq	.Lstart + 0x1000 + CO_SHARED_SCRATCH(%rip), %r10
	SAVE_SIDE
	/*
	 * Step 3, guest -> host: into the transit space, which maps this
	 * page where it runs now. Only from CO_PASSAGE_CODE_VA does
	 * RIP-relative addressing reach the host-state page (mapped two
	 * pages above us; the guest's space does not map it): read the host's
	 * CR3 there before leaving for the host's VA of this page. %r8 is
	 * the host state at the host's VA, valid once step 4.1 is done.
	 */
	movq	.Lstart + CO_PD_TRANSIT_CR3(%rip), %rdx
	movq	%rdx, %cr3
	movq	.Lstart + CO_TRANSIT_HOST_STATE + CO_ST_CR3(%rip), %rdx
	movq	.Lstart + CO_PD_HOST_STATE_VA(%rip), %r8
	leaq	CO_HOST_SCRATCH(%r8), %r10
	movq	.Lstart + CO_PD_HOST_CODE_VA(%rip), %rcx
	addq	$(.Lload - .Lstart), %rcx
	jmp	*%rcx
	ENDFUNC(co_passage_to_host)

/* Host -> guest: runs at the host's VA of the code page. */
	FUNC(co_passage_to_guest)
co_passage_to_guest:
	/* Step 1, as above. */
	pushfq
	pushq	$2
	popfq
	/* The host's state: the host-state page, at its host VA. */
	movq	.Lstart + CO_PD_HOST_STATE_VA(%rip), %r8
	leaq	CO_HOST_SCRATCH(%r8), %r10
	SAVE_SIDE
	/*
	 * Step 3, host -> guest: into the transit space, which maps this
	 * page at the host's VA too, and on to the same code at
	 * CO_PASSAGE_CODE_VA, from where the shared page is the next one.
	 */
	movq	.Lstart + CO_PD_TRANSIT_CR3(%rip), %rdx
	movq	.Lstart + CO_PD_GUEST_CODE_VA(%rip), %rcx
	addq	$(.Lat_guest_va - .Lstart), %rcx
	movq	%rdx, %cr3
	jmp	*%rcx
.Lat_guest_va:
	/* The guest's CR3, and its state at a VA valid in both spaces. */
	movq	.Lstart + 0x1000 + CO_SHARED_GUEST + CO_ST_CR3(%rip), %rdx
	leaq	.Lstart + 0x1000 + CO_SHARED_GUEST(%rip), %r8
	leaq	.Lstart + 0x1000 + CO_SHARED_SCRATCH(%rip), %r10

/*
 * Step 4: enter the other side, from either direction: %rdx = its CR3,
 * %r8 = its state and %r10 its scratch at addresses valid in its own
 * space (for the host, ones the transit space does not map), so CR3 goes
 * first and everything that reads memory of that side after it.
 */
.Lload:
	/*
	 * Step 4.1: CR3 without bits 11:0 and 63. Step 4.2 may set
	 * CR4.PCIDE, which #GPs unless CR3[11:0] = 0, and bit 63 is reserved
	 * while PCIDE is off (as step 2.8 left it).
	 */
	movabsq	$CO_CR3_ADDR_MASK, %rcx
	andq	%rdx, %rcx
	movq	%rcx, %cr3
	/* Step 4.2: CR4, only if it differs (the write serialises). */
	movq	CO_ST_CR4(%r8), %rax
	movq	%cr4, %rcx
	cmpq	%rax, %rcx
	je	.Lload_cr3_again
	movq	%rax, %cr4
	/*
	 * Step 4.3: CR3 again if it has low bits (PWT/PCD, or a PCID now
	 * that PCIDE may be on). Bit 63 is cleared first. It is no bit of
	 * CR3 (reads give 0, so a saved CR3 never has it) but an order to
	 * the mov: with PCIDE, "keep this PCID's translations"; without it,
	 * a reserved bit, a #GP here in the middle of the switch. A state
	 * written by hand (the guest's is in its shared page) could carry
	 * it. Nothing is lost: CR3 reads back the same, and the flush it
	 * would have spared drops at most what steps 4.1-4.2 cached from
	 * these same tables.
	 */
.Lload_cr3_again:
	movq	CO_ST_CR3(%r8), %rax
	testl	$0xfff, %eax
	jz	.Lload_tables
	btrq	$63, %rax
	movq	%rax, %cr3
	/* Step 4.4: the descriptor tables, which steps 4.5 to 4.7 read. */
.Lload_tables:
	lgdt	CO_ST_GDTR + 6(%r8)
	lidt	CO_ST_IDTR + 6(%r8)
	/*
	 * Step 4.5: TR, only if the selector (RPL dropped, TI clear) names
	 * a present TSS descriptor, busy or available, wholly inside this
	 * side's GDT limit. A guest entered with a TR this refuses (0, in a
	 * state built by hand: the monitor's boot state has CO_BOOT_TR)
	 * keeps running on the TSS that is loaded, the host's; when it
	 * switches back it saves the host's selector, and an unchecked ltr
	 * of that in the guest's GDT would fault here, in the middle of the
	 * switch (on hardware: a host triple fault).
	 *
	 * ltr faults on a busy TSS, this side's was busy when it left, and
	 * ltr writes the busy bit itself: but the side's GDT may be
	 * read-only (Linux runs on one, its fixmap copy in the cpu entry
	 * area). So the descriptor is copied, available, into this side's
	 * scratch, and ltr runs on a GDTR whose entry at TR's index is that
	 * copy (base = copy - index; ltr reads no other entry); then the
	 * side's own GDTR comes back. TR keeps the base and limit it loaded.
	 * Neither side's GDT is ever written.
	 */
	movzwl	CO_ST_TR(%r8), %eax
	DESC_CHECK CO_DESC_TSS_MASK, CO_DESC_TSS, .Lload_ldtr
	movq	(%rcx,%rax), %rdx
	movq	%rdx, CO_SCR_TR_DESC(%r10)
	movq	8(%rcx,%rax), %rdx
	movq	%rdx, CO_SCR_TR_DESC + 8(%r10)
	andb	$0xfd, CO_SCR_TR_DESC + 5(%r10)
	leaq	CO_SCR_TR_DESC(%r10), %rdx
	subq	%rax, %rdx
	movq	%rdx, CO_SCR_GDTR + 8(%r10)
	addl	$15, %eax
	movw	%ax, CO_SCR_GDTR + 6(%r10)
	lgdt	CO_SCR_GDTR + 6(%r10)
	ltr	CO_ST_TR(%r8)
	lgdt	CO_ST_GDTR + 6(%r8)
	/* Step 4.6: LDTR, the same check for an LDT descriptor, else null. */
.Lload_ldtr:
	movzwl	CO_ST_LDTR(%r8), %eax
	DESC_CHECK CO_DESC_LDT_MASK, CO_DESC_LDT, .Lload_no_ldt
	lldt	CO_ST_LDTR(%r8)
	jmp	.Lload_segments
.Lload_no_ldt:
	xorl	%eax, %eax
	lldt	%ax
	/* Step 4.7: DS, ES, FS, GS; CS and SS come with step 4.13. */
.Lload_segments:
	movw	CO_ST_DS(%r8), %ds
	movw	CO_ST_ES(%r8), %es
	movw	CO_ST_FS(%r8), %fs
	movw	CO_ST_GS(%r8), %gs
	/*
	 * Step 4.8: the MSRs, EFER aside (step 2.4); the FS and GS bases
	 * after the selectors, whose loads overwrite them.
	 */
	LOAD_MSR CO_MSR_FS_BASE, CO_ST_FS_BASE
	LOAD_MSR CO_MSR_GS_BASE, CO_ST_GS_BASE
	LOAD_MSR CO_MSR_KGS_BASE, CO_ST_KGS_BASE
	LOAD_MSR CO_MSR_STAR, CO_ST_STAR
	LOAD_MSR CO_MSR_LSTAR, CO_ST_LSTAR
	LOAD_MSR CO_MSR_CSTAR, CO_ST_CSTAR
	LOAD_MSR CO_MSR_SFMASK, CO_ST_SFMASK
	/*
	 * Step 4.9: XCR0, then the FPU state the way step 2.6 saved it.
	 * Before CR0 (step 4.10), which may set TS or EM again. CR4 is this
	 * side's by now, so xgetbv and xsetbv run only where OSXSAVE is set.
	 * XCR0 becomes, if it differs (the other side left its own): on the
	 * xsave path this side's xcr0 (the monitor's choice), else what
	 * step 2.4b saw when this side left (0: it had none yet, and keeps
	 * whatever is there). Then xrstor64 with xcr0 as the mask (edx:eax),
	 * or fxrstor64.
	 */
	btq	$CO_CR4_OSXSAVE_BIT, CO_ST_CR4(%r8)
	jnc	.Lload_fxrstor
	movq	CO_ST_XCR0(%r8), %r9
	testq	%r9, %r9
	jnz	.Lload_xcr0
	movq	CO_SCR_XCR0(%r10), %r9
	testq	%r9, %r9
	jz	.Lload_fxrstor
.Lload_xcr0:
	xorl	%ecx, %ecx
	xgetbv
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%r9, %rdx
	shrq	$32, %rdx
	cmpq	%rax, %r9
	movl	%r9d, %eax
	je	.Lload_fpu
	xsetbv
.Lload_fpu:
	cmpq	$0, CO_ST_XCR0(%r8)
	je	.Lload_fxrstor
	movq	CO_ST_XCR0(%r8), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
.Lload_xrstor:
	movq	CO_ST_XSAVE_OFF(%r8), %rcx
	xrstor64 (%r8,%rcx)
	jmp	.Lload_cr0
.Lload_fxrstor:
	fxrstor64 CO_ST_FXSAVE(%r8)
	/* Step 4.10: CR0, only if it differs; TS and EM may come back. */
.Lload_cr0:
	movq	CO_ST_CR0(%r8), %rax
	movq	%cr0, %rcx
	cmpq	%rax, %rcx
	je	.Lload_cr2
	movq	%rax, %cr0
	/*
	 * Step 4.11: CR2, and DR7 unless it is 0x400 (what step 2.7 left):
	 * this side's breakpoints, armed only now that the address space is
	 * theirs. The reads below and this code still run with them, on the
	 * other side's RSP: a breakpoint on this state or this page would
	 * fire inside the switch.
	 */
.Lload_cr2:
	movq	CO_ST_CR2(%r8), %rax
	movq	%rax, %cr2
	movq	CO_ST_DR7(%r8), %rax
	cmpq	$CO_DR7_QUIET, %rax
	je	.Lload_regs
	movq	%rax, %dr7
	/* Step 4.12: the callee-saved registers of step 2.2. */
.Lload_regs:
	movq	CO_ST_RBX(%r8), %rbx
	movq	CO_ST_RBP(%r8), %rbp
	movq	CO_ST_R12(%r8), %r12
	movq	CO_ST_R13(%r8), %r13
	movq	CO_ST_R14(%r8), %r14
	movq	CO_ST_R15(%r8), %r15
	movq	CO_ST_RDI(%r8), %rdi
	movq	CO_ST_RSI(%r8), %rsi
	/*
	 * Step 4.13: CS, SS, RSP, RFLAGS (with IF) and RIP in one go, as an
	 * interrupt return, from a frame pushed on this side's stack just
	 * below its RSP: the 40 bytes there are written, which is safe
	 * because both sides are kernel code without a red zone. Nothing of
	 * the other side leaks through the scratch registers.
	 */
	movq	CO_ST_RSP(%r8), %rsp
	movzwl	CO_ST_SS(%r8), %eax
	pushq	%rax
	pushq	CO_ST_RSP(%r8)
	pushq	CO_ST_RFLAGS(%r8)
	movzwl	CO_ST_CS(%r8), %eax
	pushq	%rax
	pushq	CO_ST_RIP(%r8)
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
