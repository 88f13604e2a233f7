/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guest kernel: a small freestanding x86-64 kernel in the spirit
 * of kvm-unit-tests that drives the coLinux devices through the ABI and
 * reports results on its console.
 *
 * Addresses: the kernel image runs at its link address (higher half,
 * KERNEL_VMA_BASE + offset) and all of guest RAM is identity mapped, so
 * memory from the page allocator has VA == gpa. Devices get gpas.
 */
#ifndef TG_H
#define TG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <colinux/abi/boot.h>
#include <colinux/abi/devices.h>
#include <colinux/abi/passage.h>
#include <colinux/abi/ring.h>
#include <colinux/abi/x86.h>

#include "co_gring.h"
#include "co_guest.h"

#define KERNEL_VMA_BASE		0xffffffff80000000ULL
#define PAGE_SIZE		4096ULL
#define ARRAY_SIZE(a)		CO_ARRAY_SIZE(a)	/* abi/types.h */
#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
/* Each argument evaluated once (they may be calls with side effects). */
#define MIN(a, b)		({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define MAX(a, b)		({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })
#define NS_PER_MS		1000000ULL
#define NS_PER_S		1000000000ULL

/* ---- main.c ------------------------------------------------------------ */

extern struct co_guest tg_g;
extern struct co_boot_params tg_boot;	/* a copy */

/* The gpa of kernel or identity-mapped memory. */
uint64_t tg_virt_to_phys(const void *p);
void *tg_phys_to_virt(uint64_t gpa);
const struct co_dev_info *tg_dev_find(unsigned int dev_class,
				      unsigned int unit);
/* The value of "key=value" on the command line, NUL-terminated in @buf. */
bool tg_arg(const char *key, char *buf, size_t size);
uint64_t tg_arg_u64(const char *key, uint64_t def);
bool tg_arg_flag(const char *word);
__attribute__((noreturn)) void tg_poweroff(int code);
__attribute__((noreturn, format(printf, 1, 2)))
void tg_panic(const char *fmt, ...);

/* ---- lib.c -------------------------------------------------------------- */

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int tg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4)))
int tg_snprintf(char *buf, size_t size, const char *fmt, ...);
bool tg_parse_u64(const char *s, size_t len, uint64_t *out);

/* splitmix64: the patterns the host side recomputes (tests/e2e). */
uint64_t tg_mix64(uint64_t x);
struct tg_rng {
	uint64_t state;
};
void tg_rng_seed(struct tg_rng *r, uint64_t seed);
uint64_t tg_rand(struct tg_rng *r);
/* Uniform in [0, n) (n > 0). */
uint64_t tg_rand_below(struct tg_rng *r, uint64_t n);

/* ---- console.c -------------------------------------------------------- */

void tg_console_init(void);
bool tg_console_ready(void);
void tg_write(const char *s, size_t len);
void tg_puts(const char *s);
__attribute__((format(printf, 1, 2))) int tg_printf(const char *fmt, ...);
int tg_vprintf(const char *fmt, va_list ap);
/*
 * Next keyboard byte, -1 at the monotonic @deadline (0 = wait), -2 when a
 * power event came instead (tg_g.power_event).
 */
int tg_getc(uint64_t deadline);
uint64_t tg_console_bytes_out(void);

/* ---- cpu.c ---------------------------------------------------------------- */

/* The frame head.S builds on an interrupt. */
struct tg_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Return true if the fault was handled (the instruction is retried). */
typedef bool tg_fault_fn(struct tg_regs *r);

void tg_cpu_init(void);
void tg_set_fault_handler(unsigned int vector, tg_fault_fn *fn);
uint64_t tg_host_irq_count(unsigned int vector);
uint64_t tg_read_cr2(void);
uint64_t tg_read_cr3(void);
void tg_invlpg(uint64_t va);
void tg_sti(void);
void tg_cli(void);
/* Make the next exception impossible to deliver (a triple fault). */
void tg_cpu_break_idt(void);

/* head.S */
void tg_passage_enter(void);
unsigned long tg_irq_save(void);
void tg_irq_restore(unsigned long flags);

/* ---- mm.c ------------------------------------------------------------------ */

void tg_mm_init(void);
/* @n zeroed, physically contiguous pages (VA == gpa); NULL if none. */
void *tg_page_alloc(unsigned int n);
/* Pages that are never given back (rings, tables). */
void *tg_page_alloc_perm(unsigned int n);
/* Everything allocated since @mark goes back (not the permanent ones). */
uint64_t tg_mm_mark(void);
void tg_mm_release(uint64_t mark);
/* Bytes taken by tg_page_alloc since @mark and not released. */
uint64_t tg_mm_since(uint64_t mark);
uint64_t tg_mm_free_bytes(void);
/* 4 KiB mappings in the current page tables (contiguous RAM mode only). */
bool tg_mm_can_map(void);
#define TG_PTE_P	CO_PTE_P
#define TG_PTE_W	CO_PTE_W
int tg_map_page(uint64_t va, uint64_t gpa, uint64_t flags);
/* The leaf entry of @va, NULL if no table reaches it. */
uint64_t *tg_pte(uint64_t va);

/* ---- cobd.c ---------------------------------------------------------------- */

#define TG_BIO_MAX_SEGS	16

struct tg_bio {
	uint16_t op;
	uint64_t sector;
	uint64_t arg2;
	unsigned int nseg;
	bool indirect;
	bool inline_over;		/* deliberately malformed: 3 inline */
	struct co_seg seg[TG_BIO_MAX_SEGS];
	/* Results. */
	bool done;
	int32_t status;
	uint32_t len;
};

struct tg_cobd;
struct tg_cobd *tg_cobd_open(unsigned int unit);
unsigned int tg_cobd_units(unsigned int *units, unsigned int max);
const struct co_dev_info *tg_cobd_info(const struct tg_cobd *d);
uint32_t tg_cobd_depth(const struct tg_cobd *d);
/* Queue @b; -1 if the ring is full. Nothing moves before tg_cobd_kick. */
int tg_cobd_submit(struct tg_cobd *d, struct tg_bio *b);
void tg_cobd_kick(struct tg_cobd *d);
/* Wait for every submitted request; -1 on timeout. */
int tg_cobd_wait_all(struct tg_cobd *d, uint64_t timeout_ns);
/* One request on one buffer, synchronously; the status. */
int32_t tg_cobd_io(struct tg_cobd *d, uint16_t op, uint64_t sector,
		   void *buf, uint32_t len);

/* ---- conet.c ------------------------------------------------------------- */

struct tg_net;
struct tg_net *tg_net_open(unsigned int unit);
const uint8_t *tg_net_mac(const struct tg_net *n);
/* Send one frame and wait for its completion; the status. */
int32_t tg_net_send(struct tg_net *n, const void *frame, size_t len);
/* The next received frame into @buf; its length, or -1 at @deadline. */
int tg_net_recv(struct tg_net *n, void *buf, size_t size, uint64_t deadline);
uint64_t tg_net_rx_count(const struct tg_net *n);
/* RX completions in the ring that the interrupt handler has not taken. */
uint32_t tg_net_rx_ready(const struct tg_net *n);

/* ---- net.c (Ethernet/ARP/IPv4/ICMP/UDP over a tg_net) ------------------- */

#define TG_IP(a, b, c, d)	(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define TG_GUEST_IP		TG_IP(10, 0, 2, 15)
#define TG_GATEWAY_IP		TG_IP(10, 0, 2, 2)

int tg_arp_resolve(struct tg_net *n, uint32_t ip, uint8_t mac[6],
		   uint64_t timeout_ns);
/* Echo request with @len payload bytes; 0 when the matching reply came. */
int tg_ping(struct tg_net *n, const uint8_t gw_mac[6], uint32_t ip,
	    uint16_t seq, size_t len, uint64_t timeout_ns);
size_t tg_udp_frame(uint8_t *frame, const uint8_t src_mac[6],
		    const uint8_t dst_mac[6], uint32_t src_ip, uint32_t dst_ip,
		    uint16_t sport, uint16_t dport, const void *data,
		    size_t len);
/*
 * The UDP payload of @frame if it is an IPv4/UDP datagram to @dport (with
 * correct checksums), else NULL.
 */
const uint8_t *tg_udp_parse(const uint8_t *frame, size_t len,
			    uint16_t dport, size_t *plen);

/* ---- result.c ------------------------------------------------------------ */

/*
 * Around each program. The end fails the program if it left prefixes
 * pushed or memory from tg_page_alloc unreleased (and takes it back).
 */
void tg_result_begin(const char *program);
__attribute__((format(printf, 1, 2))) void tg_pass(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void tg_fail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void tg_skip(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void tg_xfail(const char *fmt, ...);
/* pass if @ok, else fail; returns @ok. */
__attribute__((format(printf, 2, 3))) bool tg_check(bool ok, const char *fmt, ...);
/*
 * Message prefixes, pushed and popped around a part of a program:
 * tg_prefix_push("unit %u", 3) makes the next lines "PASS  prog: unit 3:
 * what" until the matching tg_prefix_pop(). A program must pop what it
 * pushed; tg_result_end fails it otherwise.
 */
#define TG_PREFIX_DEPTH	4
__attribute__((format(printf, 1, 2))) void tg_prefix_push(const char *fmt, ...);
void tg_prefix_pop(void);
/* Prints the program's summary line; the number of failures. */
unsigned int tg_result_end(void);
struct tg_totals {
	unsigned int pass, fail, skip, xfail;
};
void tg_result_totals(struct tg_totals *t);

/* ---- tests.c: the table of test programs -------------------------------- */

/*
 * One row per program: what it is, and everything the host must set up
 * for it. The host harnesses (tests/e2e, tests/qemu) read the rows through
 * test=list and build the set-up from them, so a new program is a row
 * and a function here and nothing on the host side (testguest/README.md).
 */
#define TG_TIER_UNICORN	0x1
#define TG_TIER_QEMU	0x2

/* How a program ends; the host checks the exit status it implies. */
enum tg_end {
	TG_END_SUMMARY,		/* its summary line; exit status = failures */
	TG_END_PANIC,		/* a guest panic on purpose: 70 */
	TG_END_CPU_FAULT,	/* a triple fault on purpose: 72 */
	TG_END_HOST_CHECK,	/* the bare host's state check fires on purpose: 75 */
	TG_END_PROTOCOL,	/* the monitor stops a protocol violation: 71 */
};

/* A disk the host attaches as cobdN (N = its place in the row). */
#define TG_DISK_RO	0x1	/* cobdN=FILE,ro; the host checks it stays as it was */
#define TG_DISK_STAMP	0x2	/* the program stamps it; the host checks the stamp */
#define TG_MAX_DISKS	4

struct tg_disk {
	unsigned int kib;	/* 0 ends the list */
	unsigned int flags;	/* TG_DISK_* */
	const char *fill;	/* repeated over the image (no space, comma or quote); NULL: zeros */
};

/*
 * Network units, one of each kind set, numbered in this order from eth0;
 * the host also passes the word that names them: slirp=U, pcap=U,
 * loop=U,V (the conet programs read it).
 */
#define TG_NET_SLIRP	0x1
#define TG_NET_PCAP	0x2
#define TG_NET_LOOP	0x4	/* a loopback pair: two units */

/* What the tier itself must provide; a tier without it skips the program. */
#define TG_NEED_HOST_IRQ	0x1	/* host interrupts while the guest computes */
#define TG_NEED_UDP_ECHO	0x2	/* a UDP echo server; the host adds udp_port=N */
#define TG_NEED_XSAVE		0x4	/* a host with XSAVE on, the passage on its xsave path */

struct tg_setup {
	struct tg_disk disks[TG_MAX_DISKS];
	unsigned int nets;	/* TG_NET_* */
	unsigned int needs;	/* TG_NEED_* */
	const char *words;	/* more command-line words, space-separated */
	/* SKIP reasons this set-up leaves on purpose: '|'-separated patterns, '*' any text */
	const char *skips;
};

struct tg_test {
	const char *name;
	void (*run)(void);
	const char *groups;	/* comma-separated */
	unsigned int tiers;	/* TG_TIER_*: where it is meant to run */
	enum tg_end end;
	unsigned int timeout_s;	/* for the host harness */
	const char *args;	/* the arguments it reads */
	struct tg_setup setup;
	const char *desc;
};

extern const struct tg_test tg_tests[];
extern const unsigned int tg_nr_tests;
/* Run the programs the command line names; returns the failure count. */
unsigned int tg_run_tests(const char *spec);
void tg_list_tests(void);

/* The programs, by file. */
void tg_test_console(void);
void tg_test_timer(void);
void tg_test_host_irq(void);
void tg_test_pagefault(void);
void tg_test_panic(void);
void tg_test_crash(void);
void tg_test_triple(void);
void tg_test_abi(void);
void tg_test_cobd_info(void);
void tg_test_cobd_rw(void);
void tg_test_cobd_errors(void);
void tg_test_conet_arp(void);
void tg_test_conet_ping(void);
void tg_test_conet_udp(void);
void tg_test_conet_pcap(void);
void tg_test_conet_loop(void);
void tg_test_conet_errors(void);
void tg_test_conet_busy(void);
void tg_test_bench_cobd(void);
void tg_test_result_api(void);
void tg_test_audit_bad(void);
void tg_test_rogdt(void);
void tg_test_host_state(void);
void tg_test_xcr0_rule(void);

/* The pattern cobd writes: word @w of @sector (host side recomputes it). */
uint64_t tg_cobd_pattern(uint64_t seed, unsigned int unit, uint64_t gen,
			 uint64_t sector, unsigned int w);

/* ---- shell.c ------------------------------------------------------------- */

__attribute__((noreturn)) void tg_shell(void);
__attribute__((noreturn)) void tg_demo(void);

#endif
