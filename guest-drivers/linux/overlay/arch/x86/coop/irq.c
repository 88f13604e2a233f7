// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts on the cooperative platform.
 *
 * Every vector from 32 up belongs to the host: one that arrives while
 * Linux runs is the host's device or timer, and goes straight back with
 * the forward operation; the host re-raises it in its own context. The
 * guest's own interrupts are the passage's 256 virtual lines (pending and
 * mask bitmaps in the shared page), here an irq_domain with one irq_chip
 * whose mask and unmask are the mask bitmap.
 *
 * Pending lines are looked at whenever the CPU comes back, and run in
 * interrupt context: after a forward (already inside the entry code), or
 * through the one vector the host promised never to raise, virq_vector,
 * which the guest raises itself with "int" after it idled or after an
 * operation made with interrupts enabled. Entering through a real IDT
 * entry keeps RCU, nohz and the irq-time accounting right.
 */
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kernel.h>

#include <asm/apic.h>
#include <asm/cooperative.h>
#include <asm/desc.h>
#include <asm/i8259.h>
#include <asm/idtentry.h>
#include <asm/irq_regs.h>
#include <asm/x86_init.h>

#include "coop.h"

static struct irq_domain *coop_domain;
static unsigned int coop_virq_vector;

static void coop_irq_mask(struct irq_data *d)
{
	co_guest_irq_mask(&coop_guest, irqd_to_hwirq(d), true);
}

static void coop_line(void *ctx, unsigned int line)
{
	if (generic_handle_domain_irq(coop_domain, line))
		pr_warn_ratelimited("cooperative: line %u has no handler\n", line);
}

/* The guest library dispatches the line to Linux's handler from now on. */
static void coop_irq_unmask(struct irq_data *d)
{
	co_guest_irq_handler(&coop_guest, irqd_to_hwirq(d), coop_line, NULL);
}

static struct irq_chip coop_irq_chip = {
	.name		= "coop",
	.irq_mask	= coop_irq_mask,
	.irq_unmask	= coop_irq_unmask,
};

static int coop_domain_map(struct irq_domain *d, unsigned int irq,
			   irq_hw_number_t hw)
{
	irq_set_chip_and_handler(irq, &coop_irq_chip, handle_simple_irq);
	/*
	 * Mask at once on disable: a masked line stays pending in the
	 * shared page and is taken when it is unmasked, so nothing is
	 * lost and no resend is needed.
	 */
	irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY | IRQ_LEVEL);
	return 0;
}

static const struct irq_domain_ops coop_domain_ops = {
	.map	= coop_domain_map,
	.xlate	= irq_domain_xlate_onecell,
};

/* The Linux interrupt of virtual line @line, mapped on first use. */
int coop_line_irq(unsigned int line)
{
	unsigned int irq;

	if (!coop_domain || line >= CO_IRQ_LINES)
		return -EINVAL;
	irq = irq_create_mapping(coop_domain, line);
	return irq ? irq : -ENOMEM;
}

static u64 coop_live_word(unsigned int w)
{
	struct co_passage_shared *sh = coop_guest.sh;

	return READ_ONCE(sh->irq_pending[w]) & ~READ_ONCE(sh->irq_mask[w]);
}

static bool coop_lines_pending(void)
{
	unsigned int w;

	for (w = 0; w < CO_IRQ_LINES / 64; w++)
		if (coop_live_word(w))
			return true;
	return false;
}

/*
 * Run every pending unmasked line, in interrupt context: the guest
 * library takes the lines (co_guest_dispatch) and calls coop_line().
 */
static void coop_dispatch(void)
{
	co_guest_dispatch(&coop_guest);
}

DEFINE_IDTENTRY_SYSVEC(sysvec_coop_virq)
{
	struct pt_regs *old_regs = set_irq_regs(regs);

	coop_dispatch();
	set_irq_regs(old_regs);
}

void coop_forward_irq(struct pt_regs *regs, unsigned int vector)
{
	struct pt_regs *old_regs = set_irq_regs(regs);

	co_guest_forward_irq(&coop_guest, vector);
	coop_dispatch();
	set_irq_regs(old_regs);
}

/*
 * "int" takes its vector as an immediate: one case per vector the host
 * may give (coop_init_irq checks the range).
 */
static __always_inline void coop_int(const u8 vector)
{
	asm volatile("int %0" : : "i"(vector) : "memory");
}

static void coop_raise_virq(void)
{
	switch (coop_virq_vector) {
	case 0xec:
		coop_int(0xec);
		break;
	case 0xed:
		coop_int(0xed);
		break;
	case 0xee:
		coop_int(0xee);
		break;
	case 0xef:
		coop_int(0xef);
		break;
	case 0xf0:
		coop_int(0xf0);
		break;
	case 0xf1:
		coop_int(0xf1);
		break;
	case 0xf2:
		coop_int(0xf2);
		break;
	case 0xf3:
		coop_int(0xf3);
		break;
	case 0xf4:
		coop_int(0xf4);
		break;
	case 0xf5:
		coop_int(0xf5);
		break;
	case 0xf6:
		coop_int(0xf6);
		break;
	case 0xf7:
		coop_int(0xf7);
		break;
	case 0xf8:
		coop_int(0xf8);
		break;
	case 0xf9:
		coop_int(0xf9);
		break;
	case 0xfa:
		coop_int(0xfa);
		break;
	case 0xfb:
		coop_int(0xfb);
		break;
	case 0xfc:
		coop_int(0xfc);
		break;
	case 0xfd:
		coop_int(0xfd);
		break;
	case 0xfe:
		coop_int(0xfe);
		break;
	case 0xff:
		coop_int(0xff);
		break;
	}
}

/*
 * With interrupts enabled: take the lines the last operation left
 * pending, through the IDT, as a device interrupt would arrive.
 */
void coop_deliver_pending(void)
{
	if (coop_virq_vector && coop_lines_pending())
		coop_raise_virq();
}

/* x86_init.irqs.intr_init: the gates, with no APIC vector of Linux's. */
static void __init coop_init_irq(void)
{
	u64 feat = coop_boot.features;

	coop_virq_vector = coop_boot.virq_vector;
	if (!(feat & CO_BOOT_FEAT_VIRQ_VECTOR) ||
	    coop_virq_vector < FIRST_SYSTEM_VECTOR ||
	    coop_virq_vector >= NR_VECTORS)
		coop_terminate(CO_TERM_BUG, 1,
			       "cooperative: the host gave no virq vector in 0xec-0xff");
	alloc_intr_gate(coop_virq_vector, asm_sysvec_coop_virq);
	idt_setup_apic_and_irq_gates();
	lapic_assign_system_vectors();

	coop_domain = irq_domain_add_linear(NULL, CO_IRQ_LINES,
					    &coop_domain_ops, NULL);
	if (!coop_domain)
		coop_terminate(CO_TERM_BUG, 1,
			       "cooperative: no memory for the irq domain");
	irq_set_default_host(coop_domain);
	pr_info("cooperative: %u virtual interrupt lines, entered on vector 0x%x\n",
		CO_IRQ_LINES, coop_virq_vector);
}

static void __init coop_noop(void)
{
}

void __init coop_irq_setup(void)
{
	/* Linux's handlers take the timer and power lines when they want. */
	co_guest_irq_handler(&coop_guest, CO_IRQ_TIMER, NULL, NULL);
	co_guest_irq_handler(&coop_guest, CO_IRQ_POWER, NULL, NULL);
	legacy_pic = &null_legacy_pic;
	x86_init.irqs.pre_vector_init = coop_noop;
	x86_init.irqs.intr_init = coop_init_irq;
	x86_init.irqs.intr_mode_select = coop_noop;
	x86_init.irqs.intr_mode_init = coop_noop;
}
