// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's own descriptor tables: a GDT with the boot selectors and a
 * TSS (IST stack for #DF), an IDT whose 256 gates lead to tg_trap.
 *
 * Exceptions (0-31) go to a test's handler if one is installed, else they
 * are reported (vector, error code, RIP, CR2) and end the VM with a panic.
 * Vectors 32-255 are host interrupts that hit while the guest ran: they
 * are forwarded to the host (CO_OP_FORWARD_IRQ), as coLinux does.
 */
#include "tg.h"

#define SEL_CODE	CO_BOOT_CS
#define SEL_DATA	CO_BOOT_DS
#define SEL_TSS		0x20
#define GDT_CODE64	0x00af9a000000ffffULL
#define GDT_DATA	0x00cf92000000ffffULL
#define GATE_INTR	0xeULL
#define IST_DF		1
#define IST_STACK	8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap;
} __attribute__((packed));

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[8] __attribute__((aligned(16)));
static uint64_t idt[512] __attribute__((aligned(4096)));
static struct tss tss __attribute__((aligned(16)));
static uint8_t df_stack[IST_STACK] __attribute__((aligned(16)));
static tg_fault_fn *fault_handler[32];
static uint64_t host_irqs[256];
static unsigned int trap_depth;

extern const uint8_t tg_vectors[];
void tg_load_segments(unsigned int cs, unsigned int ds);
void tg_trap(struct tg_regs *r);

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

static void tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

static void set_gate(unsigned int v, uint64_t handler, unsigned int ist)
{
	idt[2 * v] = (handler & 0xffff) | ((uint64_t)SEL_CODE << 16) |
		     ((uint64_t)ist << 32) | ((0x80 | GATE_INTR) << 40) |
		     (((handler >> 16) & 0xffff) << 48);
	idt[2 * v + 1] = handler >> 32;
}

static void load_dtr(bool gdtr, void *base, size_t size)
{
	struct dtr d = { (uint16_t)(size - 1), (uint64_t)base };

	if (gdtr)
		__asm__ volatile("lgdt %0" : : "m"(d) : "memory");
	else
		__asm__ volatile("lidt %0" : : "m"(d) : "memory");
}

void tg_cpu_init(void)
{
	unsigned int v;

	gdt[SEL_CODE / 8] = GDT_CODE64;
	gdt[SEL_DATA / 8] = GDT_DATA;
	tss.ist[IST_DF - 1] = (uint64_t)(df_stack + sizeof(df_stack));
	tss.iomap = sizeof(tss);
	tss_descriptor();
	load_dtr(true, gdt, sizeof(gdt));
	tg_load_segments(SEL_CODE, SEL_DATA);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
	for (v = 0; v < 256; v++)
		set_gate(v, (uint64_t)(tg_vectors + 16 * v), v == 8 ? IST_DF : 0);
	load_dtr(false, idt, 256 * 16);
}

void tg_cpu_break_idt(void)
{
	load_dtr(false, idt, 1);
}

void tg_set_fault_handler(unsigned int vector, tg_fault_fn *fn)
{
	if (vector < 32)
		fault_handler[vector] = fn;
}

uint64_t tg_host_irq_count(unsigned int vector)
{
	return vector < 256 ? __atomic_load_n(&host_irqs[vector], __ATOMIC_RELAXED) : 0;
}

uint64_t tg_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

uint64_t tg_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

void tg_invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void tg_sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

void tg_cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* Return addresses along the frame-pointer chain, kernel text only. */
static void backtrace(uint64_t rbp)
{
	extern const uint8_t __kernel_start[], __kernel_end[];
	unsigned int i;

	if (!tg_console_ready())
		return;
	tg_puts("backtrace:");
	for (i = 0; i < 12 && rbp >= (uint64_t)__kernel_start &&
	     rbp < (uint64_t)__kernel_end && !(rbp & 7); i++) {
		const uint64_t *f = (const uint64_t *)rbp;

		tg_printf(" 0x%llx", (unsigned long long)f[1]);
		rbp = f[0];
	}
	tg_puts("\n");
}

static void __attribute__((noreturn)) unhandled(struct tg_regs *r)
{
	const char *name = r->vector < 32 && names[r->vector] ?
			   names[r->vector] : "exception";

	backtrace(r->rbp);
	tg_panic("unhandled %s (vector %llu), error 0x%llx at RIP 0x%llx, CR2 0x%llx, RSP 0x%llx",
		 name, (unsigned long long)r->vector,
		 (unsigned long long)r->error, (unsigned long long)r->rip,
		 (unsigned long long)tg_read_cr2(),
		 (unsigned long long)r->rsp);
}

void tg_trap(struct tg_regs *r)
{
	static const char again[] = "exception while handling an exception";

	if (r->vector >= 32) {
		host_irqs[r->vector]++;
		co_guest_forward_irq(&tg_g, (unsigned int)r->vector);
		return;
	}
	if (trap_depth > 1)
		co_guest_terminate(&tg_g, CO_TERM_PANIC, 0, again,
				   sizeof(again) - 1);
	trap_depth++;
	if (fault_handler[r->vector] && fault_handler[r->vector](r)) {
		trap_depth--;
		return;
	}
	unhandled(r);
}
