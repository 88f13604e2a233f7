// SPDX-License-Identifier: GPL-2.0
/*
 * The host's descriptor tables and interrupts: a GDT with a TSS (IST
 * stacks for #DF and NMI), an IDT whose 256 gates lead to bare_trap, and
 * the 8259 PICs remapped to vectors 32-47 with only the timer line open.
 *
 * An exception in host context is a host bug: it is reported with the
 * registers and QEMU exits. Vectors 32 and up are interrupts, counted per
 * vector; the same handlers run when the guest forwards an interrupt that
 * hit it (bare_raise_vector: "int $n" through this IDT).
 */
#include "bare.h"

#define PIC1		0x20
#define PIC2		0xa0
#define PIC_EOI		0x20
#define GATE_INTR	0xeULL
#define IST_DF		1
#define IST_NMI		2
#define IST_SIZE	8192

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
static uint8_t ist_stack[2][IST_SIZE] __attribute__((aligned(16)));
static uint64_t vector_count[256];

extern const uint8_t bare_vectors[];
extern const uint8_t bare_raise_table[];
void bare_trap(struct irq_frame *f);

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error",
};

static void set_gate(unsigned int v, uint64_t handler, unsigned int ist)
{
	idt[2 * v] = (handler & 0xffff) | ((uint64_t)BARE_CS << 16) |
		     ((uint64_t)ist << 32) | ((0x80 | GATE_INTR) << 40) |
		     (((handler >> 16) & 0xffff) << 48);
	idt[2 * v + 1] = handler >> 32;
}

static void pic_init(void)
{
	outb(PIC1, 0x11);
	outb(PIC2, 0x11);
	outb(PIC1 + 1, IRQ_BASE);
	outb(PIC2 + 1, IRQ_BASE + 8);
	outb(PIC1 + 1, 4);
	outb(PIC2 + 1, 2);
	outb(PIC1 + 1, 0x01);
	outb(PIC2 + 1, 0x01);
	/* Only IRQ0 (the PIT); everything else is polled. */
	outb(PIC1 + 1, 0xfe);
	outb(PIC2 + 1, 0xff);
}

static void load_segments(void)
{
	__asm__ volatile(
		"movw %w0, %%ds\n\tmovw %w0, %%es\n\tmovw %w0, %%ss\n\t"
		"xorl %%eax, %%eax\n\tmovw %%ax, %%fs\n\tmovw %%ax, %%gs\n\t"
		"pushq %1\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:"
		: : "r"(BARE_DS), "i"(BARE_CS) : "rax", "memory");
}

/* FPU and SSE on, as any OS has them: the guest may use them. */
static void fpu_init(void)
{
	uint64_t cr0, cr4;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~0x4ULL) | 0x22;		/* -EM, +MP, +NE */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 0x600;				/* OSFXSR, OSXMMEXCPT */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
}

/*
 * The MSRs a host OS has set: the passage must hand them back, and values
 * that are not zero make a lost one show.
 */
static uint64_t percpu[8] __attribute__((aligned(64)));

static void syscall_entry(void)
{
	bare_panic("syscall instruction in host context");
}

static void msr_init(void)
{
	wrmsr(0xc0000081, ((uint64_t)(BARE_DS | 3) << 48) | ((uint64_t)BARE_CS << 32));
	wrmsr(0xc0000082, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(0xc0000083, (uint64_t)(uintptr_t)syscall_entry + 1);
	wrmsr(0xc0000084, 0x47700);
	wrmsr(0xc0000101, (uint64_t)(uintptr_t)percpu);
	wrmsr(0xc0000102, 0x00007fffdeadb000ULL);
}

void cpu_init(void)
{
	struct dtr d;
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	unsigned int v;

	gdt[BARE_CS / 8] = 0x00af9a000000ffffULL;
	gdt[BARE_DS / 8] = 0x00cf92000000ffffULL;
	tss.ist[IST_DF - 1] = (uint64_t)(uintptr_t)(ist_stack[0] + IST_SIZE);
	tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(ist_stack[1] + IST_SIZE);
	tss.iomap = sizeof(tss);
	gdt[BARE_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			    (((base >> 24) & 0xff) << 56);
	gdt[BARE_TSS / 8 + 1] = base >> 32;
	d.limit = sizeof(gdt) - 1;
	d.base = (uint64_t)(uintptr_t)gdt;
	__asm__ volatile("lgdt %0" : : "m"(d) : "memory");
	load_segments();
	__asm__ volatile("ltr %w0" : : "r"(BARE_TSS) : "memory");

	for (v = 0; v < 256; v++)
		set_gate(v, (uint64_t)(uintptr_t)(bare_vectors + 16 * v),
			 v == 8 ? IST_DF : v == 2 ? IST_NMI : 0);
	d.limit = sizeof(uint64_t) * 512 - 1;
	d.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(d) : "memory");
	pic_init();
	fpu_init();
	msr_init();
}

static void host_fault(const struct irq_frame *f)
{
	uint64_t cr2, cr3;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	bare_printf("\ncolinux-bare: host exception %s (vector %llu), error 0x%llx\n"
		    "  rip 0x%llx cs 0x%llx rflags 0x%llx rsp 0x%llx ss 0x%llx\n"
		    "  cr2 0x%llx cr3 0x%llx\n"
		    "  rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx\n"
		    "  rsi 0x%llx rdi 0x%llx rbp 0x%llx\n",
		    names[f->vector] ? names[f->vector] : "exception",
		    (unsigned long long)f->vector, (unsigned long long)f->error,
		    (unsigned long long)f->rip, (unsigned long long)f->cs,
		    (unsigned long long)f->rflags, (unsigned long long)f->rsp,
		    (unsigned long long)f->ss, (unsigned long long)cr2,
		    (unsigned long long)cr3, (unsigned long long)f->rax,
		    (unsigned long long)f->rbx, (unsigned long long)f->rcx,
		    (unsigned long long)f->rdx, (unsigned long long)f->rsi,
		    (unsigned long long)f->rdi, (unsigned long long)f->rbp);
	bare_exit(BARE_EXIT_HOST);
}

static bool pic_spurious(unsigned int irq)
{
	uint16_t port = irq < 8 ? PIC1 : PIC2;

	outb(port, 0x0b);		/* read the in-service register */
	if (inb(port) & (1 << (irq & 7)))
		return false;
	if (irq >= 8)
		outb(PIC1, PIC_EOI);	/* the cascade line was real */
	return true;
}

void bare_trap(struct irq_frame *f)
{
	unsigned int v = (unsigned int)f->vector;

	if (v < 32)
		host_fault(f);
	vector_count[v]++;
	if (v >= IRQ_BASE && v < IRQ_BASE + 16) {
		unsigned int irq = v - IRQ_BASE;

		if ((irq == 7 || irq == 15) && pic_spurious(irq))
			return;
		if (v == VEC_TIMER) {
			timer_tick();
			serial_poll();
		}
		if (irq >= 8)
			outb(PIC2, PIC_EOI);
		outb(PIC1, PIC_EOI);
	}
}

void bare_raise_vector(unsigned int vector)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)(bare_raise_table +
						       4 * (vector & 255));

	fn();
}

uint64_t bare_vector_count(unsigned int vector)
{
	return vector < 256 ? vector_count[vector] : 0;
}
