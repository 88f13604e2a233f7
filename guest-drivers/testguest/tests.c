// SPDX-License-Identifier: GPL-2.0
/*
 * The table of test programs and the runner.
 *
 * Each program reports through result.c and ends with a summary line; the
 * VM's exit code is the number of failures. A few programs end the VM on
 * purpose ("end" says how): the host harness checks those by the exit
 * status and the stop reason's text.
 *
 * Groups: "all" is every program that ends with a summary and can share
 * one boot with the others (each skips the devices it does not find);
 * "quick", "cobd", "conet", "cpu" select by subject; "fatal" are the ones
 * that stop the VM; "bench" are load for the benchmarks and "selftest"
 * checks the test guest itself (neither in "all").
 *
 * Set-up: each row says what the host gives the program (tg.h, struct
 * tg_setup); test=list prints it and the harnesses build it from there
 * (testguest/README.md describes the format). "all" runs in one boot with
 * the union of its programs' set-ups, so their disks must agree place by
 * place.
 *
 * Tiers: TG_TIER_UNICORN is the simulator (sim-host + Unicorn 2.0.1),
 * TG_TIER_QEMU the full-system rig. Unicorn cannot remap a virtual address
 * to another physical page once used (its aliases are static), which the
 * page-fault program respects; every program runs on both, except those
 * that end through the bare host's state check or need its XSAVE set-up
 * (the rig only).
 */
#include "tg.h"

#define BOTH		(TG_TIER_UNICORN | TG_TIER_QEMU)
/* A disk to write, and a read-only one whose content the host knows. */
#define DISK_RW		{ 4096, 0, NULL }
#define DISK_RW_STAMP	{ 4096, TG_DISK_STAMP, NULL }
#define DISK_RO		{ 1024, TG_DISK_RO, "RO-IMAGE" }
#define NETS_ALL	(TG_NET_SLIRP | TG_NET_PCAP | TG_NET_LOOP)

const struct tg_test tg_tests[] = {
	/* First: the programs after it show that a leak is taken back. */
	{ .name = "result_api", .run = tg_test_result_api, .groups = "selftest", .tiers = BOTH,
	  .timeout_s = 30, .args = "leak=PAGES|all unbalanced=push|pop",
	  .desc = "the result API: prefixes nest and unwind; leaks and unpopped prefixes fail a program" },
	{ .name = "abi", .run = tg_test_abi, .groups = "all,quick,cpu", .tiers = BOTH,
	  .timeout_s = 30,
	  /* Every kind of device, so that the device table has each kind. */
	  .setup = { .disks = { DISK_RW, DISK_RO }, .nets = NETS_ALL },
	  .desc = "shared page, boot parameters, memory map and device table are consistent" },
	{ .name = "console", .run = tg_test_console, .groups = "all,quick", .tiers = BOTH,
	  .timeout_s = 30, .args = "input=WORD",
	  /* Typed input needs a terminal (tests/e2e/test_user.py, tests/qemu). */
	  .setup = { .skips = "keyboard input: no input=WORD" },
	  .desc = "console output (long, multi-chunk, control chars); keyboard input when input= is given" },
	{ .name = "timer", .run = tg_test_timer, .groups = "all,quick,cpu", .tiers = BOTH,
	  .timeout_s = 30,
	  .desc = "one-shot timer, deadline mirror, sleeps with IDLE, cancel, past deadlines" },
	{ .name = "host_irq", .run = tg_test_host_irq, .groups = "all,cpu", .tiers = BOTH,
	  .timeout_s = 60, .args = "host_irqs=N loops=N",
	  .setup = { .needs = TG_NEED_HOST_IRQ },
	  .desc = "host interrupts arriving while the guest computes are forwarded; results unaffected" },
	{ .name = "pagefault", .run = tg_test_pagefault, .groups = "all,quick,cpu", .tiers = BOTH,
	  .timeout_s = 30, .args = "pages=N",
	  .desc = "page faults handled in the guest: demand mapping, write-protect, aliasing, error codes" },
	{ .name = "cobd_info", .run = tg_test_cobd_info, .groups = "all,quick,cobd", .tiers = BOTH,
	  .timeout_s = 30,
	  .setup = { .disks = { DISK_RW, DISK_RO } },
	  .desc = "INFO on every cobd unit agrees with the device table" },
	{ .name = "cobd_rw", .run = tg_test_cobd_rw, .groups = "all,cobd", .tiers = BOTH,
	  .timeout_s = 120, .args = "seed=N rounds=N span=SECTORS stamp=SECTORS",
	  /* The read-only unit is there to be left alone. */
	  .setup = { .disks = { DISK_RW_STAMP, DISK_RO }, .skips = "unit *: read-only" },
	  .desc = "random write-then-read over all units, offsets, sizes, segment layouts and queue depths; final stamp the host checks" },
	{ .name = "cobd_errors", .run = tg_test_cobd_errors, .groups = "all,quick,cobd",
	  .tiers = BOTH, .timeout_s = 30,
	  .setup = { .disks = { DISK_RW, DISK_RO } },
	  .desc = "bad requests get error completions: range, sizes, read-only, ops, descriptors" },
	{ .name = "conet_arp", .run = tg_test_conet_arp, .groups = "all,quick,conet", .tiers = BOTH,
	  .timeout_s = 30, .args = "slirp=UNIT",
	  .setup = { .nets = TG_NET_SLIRP },
	  .desc = "ARP request for the slirp gateway 10.0.2.2 is answered" },
	{ .name = "conet_ping", .run = tg_test_conet_ping, .groups = "all,quick,conet",
	  .tiers = BOTH, .timeout_s = 30, .args = "slirp=UNIT",
	  .setup = { .nets = TG_NET_SLIRP },
	  .desc = "ICMP echo to the slirp gateway, several sizes" },
	{ .name = "conet_udp", .run = tg_test_conet_udp, .groups = "all,conet", .tiers = BOTH,
	  .timeout_s = 60, .args = "slirp=UNIT udp_port=N count=N seed=N",
	  .setup = { .nets = TG_NET_SLIRP, .needs = TG_NEED_UDP_ECHO },
	  .desc = "UDP through slirp NAT to a host loopback server on udp_port and back" },
	{ .name = "conet_pcap", .run = tg_test_conet_pcap, .groups = "all,quick,conet",
	  .tiers = BOTH, .timeout_s = 30, .args = "pcap=UNIT count=N seed=N",
	  .setup = { .nets = TG_NET_PCAP },
	  .desc = "frames sent on a pcap unit (the host reads the capture)" },
	{ .name = "conet_loop", .run = tg_test_conet_loop, .groups = "all,quick,conet",
	  .tiers = BOTH, .timeout_s = 30, .args = "loop=UNIT,UNIT count=N",
	  .setup = { .nets = TG_NET_LOOP },
	  .desc = "frames across a loopback pair arrive intact and in order" },
	{ .name = "conet_errors", .run = tg_test_conet_errors, .groups = "all,quick,conet",
	  .tiers = BOTH, .timeout_s = 30,
	  .setup = { .nets = TG_NET_SLIRP },
	  .desc = "short, oversized and multicast-source frames are refused" },
	/*
	 * The rig only: its host ticks all along (Unicorn's injected
	 * interrupts are a fixed few), so not in "all".
	 */
	{ .name = "conet_busy", .run = tg_test_conet_busy, .groups = "conet",
	  .tiers = TG_TIER_QEMU, .timeout_s = 60,
	  .args = "slirp=UNIT udp_port=N count=N rounds=N ticks=N",
	  .setup = { .nets = TG_NET_SLIRP, .needs = TG_NEED_UDP_ECHO },
	  .desc = "UDP echoes reach the RX ring while the guest computes without a call of its own" },
	{ .name = "bench_cobd", .run = tg_test_bench_cobd, .groups = "bench", .tiers = BOTH,
	  .timeout_s = 300, .args = "count=N size=BYTES depth=N op=read|write",
	  /* bench/ asks for more; a harness run only shows that it works. */
	  .setup = { .disks = { DISK_RW }, .words = "count=256" },
	  .desc = "load for bench/: random requests on cobd0 at a fixed queue depth" },
	{ .name = "panic", .run = tg_test_panic, .groups = "fatal", .tiers = BOTH,
	  .end = TG_END_PANIC, .timeout_s = 30,
	  .desc = "a deliberate guest panic: VM stops with CO_TERM_PANIC and the message" },
	{ .name = "crash", .run = tg_test_crash, .groups = "fatal", .tiers = BOTH,
	  .end = TG_END_PANIC, .timeout_s = 30,
	  .desc = "an unhandled page fault: the guest reports vector, RIP, CR2 and panics" },
	{ .name = "triple", .run = tg_test_triple, .groups = "fatal", .tiers = BOTH,
	  .end = TG_END_CPU_FAULT, .timeout_s = 30,
	  .desc = "an exception with no usable IDT: the host stops the VM (triple fault)" },
	{ .name = "audit_bad", .run = tg_test_audit_bad, .groups = "audit",
	  .tiers = TG_TIER_QEMU, .timeout_s = 30,
	  .desc = "out to port 0x80 and wrmsr of two host MSRs: qemu-rig/run --audit must fail it" },
	{ .name = "rogdt", .run = tg_test_rogdt, .groups = "all,cpu", .tiers = BOTH,
	  .timeout_s = 30,
	  .desc = "operations on a read-only alias of the GDT: the switch writes no GDT; TR and the TSS descriptor stay" },
	/* One register a run; tests/qemu/test_qemu_host_state.py goes through them all. */
	{ .name = "host_state", .run = tg_test_host_state, .groups = "fatal",
	  .tiers = TG_TIER_QEMU, .end = TG_END_HOST_CHECK, .timeout_s = 30,
	  .args = "which=sysenter_cs|sysenter_esp|sysenter_eip|tsc_aux|pat|misc_enable|mtrr_def_type|mcg_ctl|dr0|dr1|dr2|dr3|dr6 value=N",
	  .setup = { .words = "which=sysenter_cs" },
	  .desc = "writes one host register the switch does not load: the bare host's state check stops the VM naming it" },
	{ .name = "xcr0_rule", .run = tg_test_xcr0_rule, .groups = "fatal",
	  .tiers = TG_TIER_QEMU, .end = TG_END_PROTOCOL, .timeout_s = 30,
	  .setup = { .needs = TG_NEED_XSAVE },
	  .desc = "operations with the host's XCR0 keep it; another XCR0 makes the monitor stop the VM (CO_TERM_PROTOCOL)" },
};

const unsigned int tg_nr_tests = ARRAY_SIZE(tg_tests);

/* ---- test=list ------------------------------------------------------------ */

struct flag_name {
	unsigned int flag;
	const char *name;
	const char *desc;
};

static const struct flag_name tier_names[] = {
	{ .flag = TG_TIER_UNICORN, .name = "unicorn" },
	{ .flag = TG_TIER_QEMU, .name = "qemu" },
};

static const struct flag_name net_names[] = {
	{ .flag = TG_NET_SLIRP, .name = "slirp" },
	{ .flag = TG_NET_PCAP, .name = "pcap" },
	{ .flag = TG_NET_LOOP, .name = "loop" },
};

static const struct flag_name need_names[] = {
	{ TG_NEED_HOST_IRQ, "host-irq",
	  "host interrupts arrive while the guest computes with interrupts on" },
	{ TG_NEED_UDP_ECHO, "udp-echo",
	  "a UDP echo server the guest reaches through slirp (udp_port=N)" },
	{ TG_NEED_XSAVE, "xsave",
	  "a host with XSAVE on (host_xcr0 in the boot parameters) and the passage on its xsave path" },
};

/* The exit status of each end, as colinux-sim and qemu-rig/run report it. */
static const struct {
	const char *name;
	unsigned int exit;
} ends[] = {
	[TG_END_SUMMARY] = { "summary", 0 },
	[TG_END_PANIC] = { "panic", 70 },
	[TG_END_CPU_FAULT] = { "cpu-fault", 72 },
	[TG_END_HOST_CHECK] = { "host-check", 75 },
	[TG_END_PROTOCOL] = { "protocol", 71 },
};

/*
 * A row is built in one buffer and written at once: a host that prints
 * between two of the guest's writes (the QEMU rig shares the serial port)
 * cannot split it.
 */
struct line {
	char buf[768];
	size_t len;
};

static __attribute__((format(printf, 2, 3))) void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tg_vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
}

/*
 * " key=a,b" for the flags set in @mask, in table order; a flag without a
 * name shows as "?0x..", which the harness refuses, so a row cannot ask
 * for something the list does not say.
 */
static void add_flags(struct line *l, const char *key, const struct flag_name *names,
		      unsigned int n, unsigned int mask)
{
	const char *sep = "";
	unsigned int i;

	add(l, " %s=", key);
	for (i = 0; i < n; i++) {
		if (mask & names[i].flag) {
			add(l, "%s%s", sep, names[i].name);
			sep = ",";
			mask &= ~names[i].flag;
		}
	}
	if (mask)
		add(l, "%s?0x%x", sep, mask);
}

static void add_disks(struct line *l, const struct tg_disk *d)
{
	const char *sep = "";
	unsigned int i;

	add(l, " disks=\"");
	for (i = 0; i < TG_MAX_DISKS && d[i].kib; i++) {
		add(l, "%s%uK%s%s%s%s", sep, d[i].kib,
		    d[i].flags & TG_DISK_RO ? ",ro" : "",
		    d[i].flags & TG_DISK_STAMP ? ",stamp" : "",
		    d[i].fill ? ",fill=" : "", d[i].fill ? d[i].fill : "");
		sep = " ";
	}
	add(l, "\"");
}

static const char *str(const char *s)
{
	return s ? s : "";
}

static void list_one(const struct tg_test *t)
{
	const struct tg_setup *s = &t->setup;
	struct line l = { .len = 0 };

	add(&l, "TEST %s timeout=%u groups=%s", t->name, t->timeout_s, t->groups);
	add_flags(&l, "tiers", tier_names, ARRAY_SIZE(tier_names), t->tiers);
	add(&l, " expect=%s exit=%u args=\"%s\"", ends[t->end].name, ends[t->end].exit,
	    str(t->args));
	add_disks(&l, s->disks);
	add_flags(&l, "nets", net_names, ARRAY_SIZE(net_names), s->nets);
	add_flags(&l, "needs", need_names, ARRAY_SIZE(need_names), s->needs);
	add(&l, " words=\"%s\" skips=\"%s\" -- %s\n", str(s->words), str(s->skips),
	    t->desc);
	tg_write(l.buf, l.len);
}

void tg_list_tests(void)
{
	unsigned int i;

	for (i = 0; i < tg_nr_tests; i++)
		list_one(&tg_tests[i]);
	for (i = 0; i < ARRAY_SIZE(need_names); i++)
		tg_printf("NEED %s -- %s\n", need_names[i].name, need_names[i].desc);
	tg_printf("== list: %u programs ==\n", tg_nr_tests);
}

/* Is @name one of the comma-separated words of @list? */
static bool in_list(const char *list, const char *name, size_t len)
{
	while (*list) {
		size_t n = 0;

		while (list[n] && list[n] != ',')
			n++;
		if (n == len && !strncmp(list, name, len))
			return true;
		list += n;
		if (*list == ',')
			list++;
	}
	return false;
}

static unsigned int run_one(const struct tg_test *t)
{
	tg_result_begin(t->name);
	t->run();
	return tg_result_end();
}

/* @spec: names and groups, comma-separated; each program runs once. */
unsigned int tg_run_tests(const char *spec)
{
	bool chosen[ARRAY_SIZE(tg_tests)] = { false };
	unsigned int i, nr = 0, failures = 0;
	const char *w = spec;
	struct tg_totals t;

	while (*w) {
		size_t len = 0;
		bool matched = false;

		while (w[len] && w[len] != ',')
			len++;
		for (i = 0; i < tg_nr_tests; i++) {
			if ((strlen(tg_tests[i].name) == len &&
			     !strncmp(tg_tests[i].name, w, len)) ||
			    in_list(tg_tests[i].groups, w, len)) {
				chosen[i] = true;
				matched = true;
			}
		}
		if (!matched && len) {
			tg_printf("FAIL  %.*s: no such test program or group (test=list shows them)\n",
				  (int)len, w);
			failures++;
		}
		w += len;
		if (*w == ',')
			w++;
	}
	for (i = 0; i < tg_nr_tests; i++) {
		if (chosen[i]) {
			failures += run_one(&tg_tests[i]);
			nr++;
		}
	}
	tg_result_totals(&t);
	tg_printf("== summary: %u programs, %u passed, %u failed, %u skipped, %u xfailed ==\n",
		  nr, t.pass, failures, t.skip, t.xfail);
	return failures;
}
