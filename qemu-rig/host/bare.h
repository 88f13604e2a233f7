/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bare-metal host: a small x86-64 kernel that QEMU boots through
 * multiboot and that implements the host-primitives contract in ring 0
 * (docs/debugging.md describes the layout). Internal interfaces only.
 */
#ifndef CO_BARE_H
#define CO_BARE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <colinux/host.h>
#include <colinux/monitor.h>

/* Virtual layout. */
/*
 * -1 GiB: PA 0..1 GiB. Not -2 GiB, where the test guest (and Linux) link
 * their kernels: the debugger loads both symbol tables side by side.
 */
#define BARE_KERNEL_VMA		0xffffffffc0000000ULL
#define BARE_DIRECT_MAP		0xffff888000000000ULL	/* PA 0..4 GiB */
#define BARE_DIRECT_BYTES	(4ULL << 30)
/*
 * The host maps one page of its own (a marker, no symbol) at the VA where
 * the test guest links its kernel: the same VA names different pages in
 * the two address spaces, and a global TLB entry that survived the switch
 * would show the wrong one.
 */
#define BARE_ALIAS_VA		0xffffffff80200000ULL
#define BARE_ALIAS_MAGIC	0x5341494c4174736fULL	/* "ostALIAS" */

#define PAGE_SIZE		4096ULL
#define PAGE_SHIFT		12

#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* Exit statuses: the guest's own code, or these (as colinux-sim). */
enum {
	/* The guest's statuses are co_term_exit_status's (CO_EXIT_*). */
	BARE_EXIT_STATE		= 75,	/* the passage broke host state */
	BARE_EXIT_USAGE		= CO_EXIT_USAGE,
	BARE_EXIT_BAD_IMAGE	= CO_EXIT_BAD_IMAGE,
	BARE_EXIT_HOST		= CO_EXIT_HOST,	/* host fault, out of memory */
};

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(BARE_DIRECT_MAP + pa);
}

static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;

	if (v >= BARE_KERNEL_VMA)
		return v - BARE_KERNEL_VMA;
	return v - BARE_DIRECT_MAP;
}

/* ---- io.h-like helpers ------------------------------------------------ */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((uint64_t)hi << 32);
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((uint64_t)hi << 32);
}

static inline uint64_t irq_save(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f;
}

static inline void irq_restore(uint64_t f)
{
	if (f & 0x200)
		__asm__ volatile("sti" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/* ---- console.c (formatting is the monitor's co_vsnprintf, fmt.c) ------- */

int co_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void serial_init(void);
void serial_write(const char *s, size_t len);
/* Received bytes, left in the buffer until consumed. */
size_t serial_peek(char *buf, size_t max);
void serial_consume(size_t n);
/*
 * Drain the UART and post what came to the VM (bare_console_input); take
 * the control line's requests (bare_power_event).
 */
void serial_poll(void);
/* main.c: a power request for the running VM (none running: dropped). */
void bare_power_event(unsigned int event);
/* Input can arrive that the guest waits for (an interactive console). */
extern bool bare_console_is_source;
void bare_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print, then leave QEMU through isa-debug-exit with @status. */
__attribute__((noreturn)) void bare_exit(int status);
__attribute__((noreturn, format(printf, 1, 2))) void bare_panic(const char *fmt, ...);
extern int bare_log_level;

/* ---- mm.c --------------------------------------------------------------- */

void pmm_init(uint64_t mb_info_pa);
/* One free frame (not zeroed), or 0 if none. */
uint64_t pmm_alloc(void);
void pmm_free(uint64_t pfn);
int pmm_alloc_run(size_t count, size_t align, uint64_t *first);
void pmm_free_run(uint64_t first, size_t count);
bool pmm_owned(uint64_t pfn);
uint64_t pmm_free_pages(void);
/* In pages: usable RAM, the multiboot modules in it, free now and at the lowest. */
struct pmm_usage {
	uint64_t ram, modules, free, lowest_free;
};
void pmm_usage(struct pmm_usage *u);
void paging_init(void);
uint64_t bare_host_cr3(void);
void heap_stats(uint64_t *blocks, uint64_t *bytes);
uint64_t pages_outstanding(void);

/* The multiboot modules and command line, copied at boot. */
/* The kernel, an initrd and up to four RAM disks, with room to spare. */
#define BARE_MAX_MODULES	8
struct bare_module {
	uint64_t start, end;		/* physical */
	char name[256];
};
extern struct bare_module bare_modules[BARE_MAX_MODULES];
extern unsigned int bare_nr_modules;
extern char bare_cmdline[2048];

/* ---- cpu.c -------------------------------------------------------------- */

#define BARE_CS		0x08
#define BARE_DS		0x10
#define BARE_TSS	0x28
#define IRQ_BASE	32
#define VEC_TIMER	(IRQ_BASE + 0)

struct irq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void cpu_init(void);
/*
 * The vector the guest may use for its own virtual-interrupt delivery:
 * the PIC is programmed to raise IRQ0 only, so no device ever sends it.
 */
#define BARE_VIRQ_VECTOR	0xf0

/* Run @vector's handler in host context, as a hardware interrupt would. */
void bare_raise_vector(unsigned int vector);
uint64_t bare_vector_count(unsigned int vector);

/* ---- time.c ------------------------------------------------------------- */

void time_init(unsigned int hz);
void timer_tick(void);		/* from the interrupt handler */
uint64_t bare_ticks(void);
/* Sleep until the next interrupt (or return at once if one is pending). */
void bare_wait_interrupt(void);
bool bare_timers_armed(void);

/* ---- pci.c, ata.c, e1000.c --------------------------------------------- */

uint32_t pci_read(unsigned int bus, unsigned int dev, unsigned int fn,
		  unsigned int off);
void pci_write(unsigned int bus, unsigned int dev, unsigned int fn,
	       unsigned int off, uint32_t v);
/* First function with @vendor:@device; false if none. */
bool pci_find(uint16_t vendor, uint16_t device, unsigned int nth,
	      unsigned int *bus, unsigned int *dev, unsigned int *fn);

#define ATA_SECTOR	512
void ata_init(void);
/* Sectors of drive @n (0-3), 0 if absent. */
uint64_t ata_sectors(unsigned int n);
int ata_read(unsigned int n, uint64_t lba, unsigned int count, void *buf);
int ata_write(unsigned int n, uint64_t lba, unsigned int count,
	      const void *buf);
int ata_flush(unsigned int n);

void e1000_init(void);
/* Poll every NIC's receive ring; delivers to co_host_net. */
void net_poll_all(void);

/* ---- file.c -------------------------------------------------------------- */

/* "host.disk=N:raw|file:PATH" from the command line. */
int file_add_disk(const char *spec);
/* "host.ramdisk=PATH": the module PATH is a writable cobd image. */
int file_add_ramdisk(const char *path);
void file_report(void);

/* ---- cpuops.c -------------------------------------------------------------- */

extern const struct co_cpu_ops bare_cpu_ops;
extern bool bare_check_state;
extern uint64_t bare_break_trip;
/* host.xsave=1|2 and host.xbreak=N (cpuops.c). */
extern uint64_t bare_xsave_mode;
extern uint64_t bare_xbreak_trip;
/* Trips, checks, ticks and forwarded interrupts, on the console. */
void bare_cpu_report(void);

/* The console's receive side: post waiting bytes to the running VM. */
void bare_console_input(void);

#endif
