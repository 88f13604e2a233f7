// SPDX-License-Identifier: GPL-2.0
/*
 * The real CPU back-end on NT, and the checks that decide at load time
 * whether it may be used at all (docs/windows.md).
 *
 * The guest runs on the CPU that calls co_vm_run, inside the RUN request:
 * enter() raises to DISPATCH_LEVEL (no preemption, no migration), turns
 * interrupts off and calls the passage. A host interrupt that hits while
 * the guest runs lands in the guest's IDT, which switches back with
 * CO_OP_FORWARD_IRQ; the vector is re-raised here, before interrupts come
 * back on, on the CPU whose local APIC holds it in service.
 */
#include "driver.h"

#define CR4_VMXE	(1ULL << 13)
#define CR4_CET		(1ULL << 23)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)
#define EFER_SVME	(1ULL << 12)

#define SYSTEM_CODE_INTEGRITY_INFORMATION	103
#define CODEINTEGRITY_OPTION_TESTSIGN		0x02
#define CODEINTEGRITY_OPTION_HVCI_KMCI_ENABLED	0x400

NTSYSAPI NTSTATUS NTAPI ZwQuerySystemInformation(ULONG cls, PVOID info,
						 ULONG len, PULONG ret);

struct nt_cpu {
	struct co_vm *vm;
	void (*to_guest)(void);
	uint64_t code_pfn;
};

static struct co_nt_info info;

const struct co_nt_info *co_nt_info(void)
{
	return &info;
}

/* ---- privileged reads (CPL 0 only) -------------------------------------- */

static unsigned int cpl(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static uint64_t read_msr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/* ---- load-time checks ---------------------------------------------------- */

static bool refuse(const char *why)
{
	co_strlcpy(info.why, why, sizeof(info.why));
	info.run_ok = 0;
	return false;
}

/* Hyper-V as the root (VBS, Credential Guard, WSL2, Sandbox) owns the CPU. */
static bool check_hypervisor(void)
{
	uint32_t r[4];
	char vendor[13];

	cpuid(1, r);
	if (!(r[2] & (1u << 31)))
		return true;
	cpuid(0x40000000, r);
	co_memcpy(vendor, &r[1], 4);
	co_memcpy(vendor + 4, &r[2], 4);
	co_memcpy(vendor + 8, &r[3], 4);
	vendor[12] = '\0';
	if (!co_strcmp(vendor, "Microsoft Hv"))
		return refuse("Hyper-V is active (Virtualization-Based Security, Credential Guard, WSL2, Windows Sandbox or the Hyper-V role): the hypervisor guards the descriptor tables and MSRs the guest switch loads. Turn it off (docs/windows.md) to run guests.");
	co_info("running under the hypervisor \"%s\" (Windows itself is a VM guest)",
		vendor);
	return true;
}

static bool check_code_integrity(void)
{
	struct {
		ULONG length;
		ULONG options;
	} ci = { sizeof(ci), 0 };
	NTSTATUS st;

	st = ZwQuerySystemInformation(SYSTEM_CODE_INTEGRITY_INFORMATION, &ci,
				      sizeof(ci), NULL);
	if (!NT_SUCCESS(st)) {
		co_warn("code integrity state unknown (status 0x%lx)",
			(unsigned long)st);
		return true;
	}
	if (ci.options & CODEINTEGRITY_OPTION_HVCI_KMCI_ENABLED)
		return refuse("Memory integrity (HVCI) is on: no page outside signed driver images may execute in kernel mode, and the guest switch page must. Turn off Core isolation > Memory integrity to run guests.");
	if (ci.options & CODEINTEGRITY_OPTION_TESTSIGN)
		co_info("test signing is on");
	return true;
}

static bool check_registers(void)
{
	info.cr4 = read_cr4();
	info.efer = read_msr(CO_MSR_EFER);
	if (info.cr4 & CR4_VMXE)
		return refuse("another hypervisor is using VT-x (CR4.VMXE is set: VirtualBox, VMware or similar with a VM running?). Stop it before running guests.");
	if (info.efer & EFER_SVME)
		return refuse("another hypervisor is using AMD-V (EFER.SVME is set). Stop it before running guests.");
	if (info.cr4 & CR4_CET)
		return refuse("kernel shadow stacks (CET, \"Kernel-mode Hardware-enforced Stack Protection\") are on: the guest switch returns on another stack than it was called on. Turn the feature off to run guests.");
	if (!(info.efer & EFER_LMA) || !(info.efer & EFER_NXE))
		return refuse("the host does not run in long mode with no-execute pages enabled (EFER.LMA/NXE), which the guest switch assumes");
	return true;
}

void co_nt_checks(struct co_nt_info *out)
{
	co_memset(&info, 0, sizeof(info));
	info.ioctl_version = CO_NT_IOCTL_VERSION;
	info.abi_version = CO_ABI_VERSION;
	info.page_source = co_nt_page_source();
	info.cpl = cpl();
	info.run_ok = 1;
	/* Wine runs drivers in user space: reading CR4 there would fault. */
	if (info.cpl != 0)
		refuse("the driver is not running in kernel mode (CPL 3: a driver host such as Wine's winedevice.exe). VMs can be created and loaded, but not run.");
	else if (check_registers() && check_hypervisor())
		check_code_integrity();
	if (info.page_source != CO_NT_PAGES_MDL && info.run_ok)
		refuse("MmAllocatePagesForMdlEx is missing: guest pages come from pool and the switch page cannot be made executable");
	*out = info;
}

/* ---- the back-end -------------------------------------------------------- */

static int nt_attach(struct co_vm *vm, void **priv)
{
	struct co_passage_info pi;
	struct nt_cpu *c;
	int err;

	if (!info.run_ok) {
		co_err("this machine cannot run guests: %s", info.why);
		return -CO_ENOTSUP;
	}
	err = co_passage_info(vm, &pi);
	if (err)
		return err;
	c = co_host_zalloc(sizeof(*c));
	if (!c)
		return -CO_ENOMEM;
	err = co_nt_page_set_exec(pi.pfn[0], true);
	if (err) {
		co_err("cannot make the guest switch page executable: %s",
		       co_strerror(err));
		co_host_free(c);
		return err;
	}
	c->vm = vm;
	c->code_pfn = pi.pfn[0];
	c->to_guest = (void (*)(void))(uintptr_t)pi.to_guest_hva;
	*priv = c;
	return 0;
}

static void raise_vector(unsigned int v)
{
	void (*stub)(void) = (void (*)(void))(uintptr_t)
		(co_nt_int_table + (v - 32) * 4);

	stub();
}

static int nt_enter(void *priv, struct co_vm_exit *exit)
{
	struct nt_cpu *c = priv;
	struct co_passage_shared *sh = co_vm_shared(c->vm);
	KIRQL old;
	uint64_t v;

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	__asm__ volatile("cli" ::: "memory");
	c->to_guest();
	/* The monitor validates the same fields again for its statistics. */
	if (CO_READ_ONCE(sh->op) == CO_OP_FORWARD_IRQ) {
		v = CO_READ_ONCE(sh->param[0]);
		if (v >= 32 && v <= 255)
			raise_vector((unsigned int)v);
	}
	__asm__ volatile("sti" ::: "memory");
	KeLowerIrql(old);
	return 0;
}

static void nt_detach(void *priv)
{
	struct nt_cpu *c = priv;

	/* The code page goes back to read-write NX before it can be freed. */
	co_nt_page_set_exec(c->code_pfn, false);
	co_host_free(c);
}

const struct co_cpu_ops co_nt_cpu_ops = {
	.name = "nt-passage",
	.attach = nt_attach,
	.enter = nt_enter,
	.host_irq = NULL,	/* re-raised inside enter, see above */
	.detach = nt_detach,
};
