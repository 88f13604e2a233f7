// SPDX-License-Identifier: GPL-2.0
/*
 * The cooperative platform: Linux as a coLinux guest on x86-64.
 *
 * The host kernel keeps the hardware; this kernel runs in ring 0 with its
 * own page tables, GDT and IDT, and hands the CPU back through the passage
 * (a code page and a shared page at CO_PASSAGE_GUEST_VA, PML4 slot 256)
 * whenever it needs the host: to print, to wait, to stop. The monitor
 * enters it through Linux's 64-bit boot protocol with hardware_subarch =
 * X86_SUBARCH_COOPERATIVE; hardware_subarch_data is the guest-physical
 * address of the coLinux boot parameters (docs/protocol.md in the
 * colinux tree, "Boot" and "Linux boot").
 *
 * This file is the early part, run from x86_64_start_reservations()
 * before start_kernel(): the boot parameters, the passage in Linux's own
 * page tables, the CPU features a guest must leave to the host, and the
 * x86_init hooks that keep Linux away from a PC it does not have.
 */
#include <linux/console.h>
#include <linux/cpu.h>
#include <linux/cpufeature.h>
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/pgtable.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include <linux/string.h>

#include <asm/bootparam.h>
#include <asm/cmdline.h>
#include <asm/cooperative.h>
#include <asm/processor-flags.h>
#include <asm/reboot.h>
#include <asm/setup.h>
#include <asm/x86_init.h>

#include <colinux/abi/boot.h>
#include <colinux/abi/passage.h>

#include "coop.h"

pgd_t coop_passage_pgd;
struct co_boot_params coop_boot __ro_after_init;
struct co_guest coop_guest;

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "coop."

/* Switches to the host so far: what idling and work cost, seen inside. */
module_param_named(switches, coop_guest.calls, ullong, 0444);
MODULE_PARM_DESC(switches, "switches to the host since boot");

/*
 * The switch keeps rbx, rbp, r12-r15, rdi and rsi, RFLAGS and the FPU
 * state; everything else a call may clobber is declared so.
 */
static void coop_enter(void)
{
	asm volatile("call *%0"
		     : : "r"(CO_PASSAGE_TO_HOST_VA)
		     : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11",
		       "memory", "cc");
}

static unsigned long coop_irq_save(void)
{
	unsigned long flags;

	raw_local_irq_save(flags);
	return flags;
}

/*
 * An operation made with interrupts enabled may come back with lines
 * pending: take them now, as they would have arrived.
 */
static void coop_irq_restore(unsigned long flags)
{
	raw_local_irq_restore(flags);
	if (flags & X86_EFLAGS_IF)
		coop_deliver_pending();
}

/*
 * x86_idle, entered with interrupts disabled and RCU idle: the host
 * sleeps until a line is pending, then the lines come in through the
 * IDT as after hlt.
 */
static void __cpuidle coop_idle(void)
{
	co_guest_call(&coop_guest, CO_OP_IDLE, NULL, 0, NULL, 0);
	raw_local_irq_enable();
	coop_deliver_pending();
}

const struct co_dev_info *coop_find_dev(unsigned int dev_class,
					unsigned int unit)
{
	unsigned int i, n = min_t(u32, coop_boot.nr_devices,
				  CO_BOOT_MAX_DEVICES);

	for (i = 0; i < n; i++)
		if (coop_boot.dev[i].dev_class == dev_class &&
		    coop_boot.dev[i].unit == unit)
			return &coop_boot.dev[i];
	return NULL;
}

/*
 * Nowhere to go: spin without hlt, which a host core would sleep on with
 * interrupts off (and which the instruction audit forbids the guest).
 */
static void __noreturn coop_spin(void)
{
	for (;;)
		cpu_relax();
}

void __noreturn coop_terminate(unsigned int reason, int code, const char *text)
{
	co_guest_terminate(&coop_guest, reason, code, text, strlen(text));
	/* Only a host that broke the protocol comes back. */
	coop_spin();
}

/*
 * coop_stop=WHERE on the command line: power off at that point of the
 * boot with exit code 0, for tests that boot this far and no further.
 */
static bool __init coop_stop_at(const char *where)
{
	char buf[16];

	return cmdline_find_option(boot_command_line, "coop_stop", buf,
				   sizeof(buf)) > 0 && !strcmp(buf, where);
}

/* ---- the boot console: the debug-print operation --------------------- */

static void coop_boot_write(struct console *con, const char *s,
			    unsigned int n)
{
	co_guest_debug_print(&coop_guest, s, n);
}

static struct console coop_boot_console = {
	.name	= "coopboot",
	.write	= coop_boot_write,
	.flags	= CON_PRINTBUFFER | CON_BOOT | CON_ANYTIME,
	.index	= -1,
};

/* ---- what a guest leaves to the host ------------------------------------ */

/*
 * Features whose use would reach state the host owns: the local APIC
 * and its timer, MWAIT, virtualisation, the TSC's adjust and aux MSRs,
 * the PMU, machine checks, supervisor XSAVE state, split-lock and user
 * wait controls, resource monitoring, SGX, IBT, PCID (the passage flushes
 * everything on every switch, so tagging buys nothing), 5-level paging
 * (the passage slot is the 4-level guard hole), TSX control. XSAVE stays
 * only where the host's XCR0 is known and on, for the passage's rule.
 */
static const u16 coop_cleared_caps[] __initconst = {
	X86_FEATURE_APIC, X86_FEATURE_X2APIC, X86_FEATURE_TSC_DEADLINE_TIMER,
	X86_FEATURE_MWAIT, X86_FEATURE_VMX, X86_FEATURE_SVM,
	X86_FEATURE_TSC_ADJUST, X86_FEATURE_RDTSCP, X86_FEATURE_RDPID,
	X86_FEATURE_ARCH_PERFMON, X86_FEATURE_PDCM, X86_FEATURE_MCE,
	X86_FEATURE_MCA, X86_FEATURE_XSAVES, X86_FEATURE_SPLIT_LOCK_DETECT,
	X86_FEATURE_WAITPKG, X86_FEATURE_RDT_A, X86_FEATURE_CQM_LLC,
	X86_FEATURE_SGX, X86_FEATURE_IBT,
	X86_FEATURE_PCID, X86_FEATURE_INVPCID, X86_FEATURE_LA57,
	X86_FEATURE_ARCH_CAPABILITIES, X86_FEATURE_RTM_ALWAYS_ABORT,
	X86_FEATURE_TSX_FORCE_ABORT, X86_FEATURE_HYPERVISOR,
	X86_FEATURE_HWP, X86_FEATURE_EPB, X86_FEATURE_PKU,
};

static void __init coop_clear_caps(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(coop_cleared_caps); i++)
		setup_clear_cpu_cap(coop_cleared_caps[i]);
	if (!(coop_boot.features & CO_BOOT_FEAT_HOST_XCR0) ||
	    !coop_boot.host_xcr0)
		setup_clear_cpu_cap(X86_FEATURE_XSAVE);
}

/* ---- a platform with no PC around it -------------------------------------- */

static void __init coop_noop(void)
{
}

static void __init coop_arch_setup(void)
{
	register_console(&coop_boot_console);
	/* hvc0 unless the command line names another console. */
	if (!strstr(boot_command_line, "console="))
		add_preferred_console("hvc", 0, NULL);
	pr_info("cooperative: RAM 0x%llx-0x%llx (%llu MiB), passage at 0x%llx (host frames 0x%llx, 0x%llx)\n",
		coop_boot.ram_base, coop_boot.ram_base + coop_boot.ram_size - 1,
		coop_boot.ram_size >> 20, coop_boot.passage_va,
		coop_boot.passage_code_hpa, coop_boot.passage_shared_hpa);
	if (coop_stop_at("setup"))
		coop_terminate(CO_TERM_POWEROFF, 0,
			       "coop_stop=setup: stopped in setup_arch");
}

static void __init coop_set_x86_init(void)
{
	x86_init.oem.arch_setup = coop_arch_setup;
	/* The host's ROMs, DMI tables and MP tables are not the guest's. */
	x86_init.resources.probe_roms = coop_noop;
	x86_init.resources.dmi_setup = coop_noop;
	x86_init.resources.reserve_resources = coop_noop;
	x86_init.mpparse.find_smp_config = coop_noop;
	x86_init.mpparse.get_smp_config = (void (*)(unsigned int))coop_noop;
	x86_platform.legacy.reserve_bios_regions = 0;
	x86_platform.legacy.rtc = 0;
	x86_platform.legacy.i8042 = X86_LEGACY_I8042_PLATFORM_ABSENT;
	x86_platform.legacy.warm_reset = 0;
	/* No RAM below 1 MiB: no real-mode trampoline (UP needs none). */
	x86_platform.realmode_reserve = coop_noop;
	x86_platform.realmode_init = coop_noop;
	coop_irq_setup();
	coop_time_setup();
	coop_power_setup();
	x86_coop_set_idle(coop_idle);
}

/* ---- entry from head64.c ------------------------------------------------ */

/*
 * The monitor's boot tables map the passage in PML4 slot 256; the same
 * entry (its lower tables are in the boot area, which the e820 map keeps
 * reserved) goes into every top-level table Linux uses.
 */
static void __init coop_map_passage(void)
{
	pgd_t *boot_pgd = __va(coop_boot.pt_root & PTE_PFN_MASK);

	coop_passage_pgd = boot_pgd[COOP_PASSAGE_PGD_INDEX];
	coop_set_passage_pgd(early_top_pgt);
	coop_set_passage_pgd(init_top_pgt);
}

void __init x86_coop_early_setup(void)
{
	const struct co_boot_params *bp =
		__va(boot_params.hdr.hardware_subarch_data);

	/* Without the passage there is no one to tell: stop here. */
	if (bp->magic != CO_BOOT_MAGIC || bp->abi_version != CO_ABI_VERSION ||
	    !(bp->flags & CO_BOOT_F_LINUX))
		coop_spin();
	memcpy(&coop_boot, bp, sizeof(coop_boot));
	coop_map_passage();
	if (co_guest_init(&coop_guest, (void *)CO_PASSAGE_SHARED_VA,
			  coop_enter))
		coop_spin();
	co_guest_set_irq_ops(&coop_guest, coop_irq_save, coop_irq_restore);
	if (coop_stop_at("early"))
		coop_terminate(CO_TERM_POWEROFF, 0,
			       "coop_stop=early: stopped before start_kernel");
	coop_clear_caps();
	coop_set_x86_init();
}
