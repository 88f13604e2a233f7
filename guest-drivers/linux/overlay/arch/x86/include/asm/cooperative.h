/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cooperative platform (CONFIG_X86_COOPERATIVE): Linux as a guest that
 * takes turns on the CPU with a host kernel through the coLinux passage.
 * These are the few names the hooks in generic x86 code need.
 */
#ifndef _ASM_X86_COOPERATIVE_H
#define _ASM_X86_COOPERATIVE_H

#include <asm/pgtable_types.h>

struct pt_regs;

#ifdef CONFIG_X86_COOPERATIVE

/* PML4 slot 256: the passage (CO_PASSAGE_GUEST_VA), the same in every pgd. */
#define COOP_PASSAGE_PGD_INDEX	256

extern pgd_t coop_passage_pgd;

void __init x86_coop_early_setup(void);
/* process.c: the idle routine, which only the platform may choose. */
void __init x86_coop_set_idle(void (*idle)(void));
/* A host interrupt that hit the guest: give it back, then run our lines. */
void coop_forward_irq(struct pt_regs *regs, unsigned int vector);

/* Running as a coLinux guest: the platform has found the passage. */
static inline bool x86_coop(void)
{
	return native_pgd_val(coop_passage_pgd) != 0;
}

/*
 * Put the passage slot into a top-level table that was just cleared or
 * made (the early tables, each process's pgd): zero before the platform
 * has found it, and on other platforms.
 */
static inline void coop_set_passage_pgd(pgd_t *pgd)
{
	if (x86_coop())
		pgd[COOP_PASSAGE_PGD_INDEX] = coop_passage_pgd;
}

#else

static inline bool x86_coop(void)
{
	return false;
}

static inline void coop_set_passage_pgd(pgd_t *pgd)
{
}

static inline void coop_forward_irq(struct pt_regs *regs, unsigned int vector)
{
}

#endif

#endif
