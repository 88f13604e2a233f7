// SPDX-License-Identifier: GPL-2.0
/*
 * The table of test programs and the runner.
 *
 * Each program reports through result.c and ends with a summary line; the
 * VM's exit code is the number of failures. A few programs end the VM on
 * purpose ("expect" says how): the host harness checks those by the stop
 * reason and its text.
 *
 * Groups: "all" is every program that ends with a summary and needs no
 * special set-up beyond the devices it finds (it skips what is missing);
 * "quick", "cobd", "conet", "cpu" select by subject; "fatal" are the ones
 * that stop the VM; "bench" are load for the benchmarks (not in "all").
 *
 * Tiers: TG_TIER_UNICORN is the simulator (sim-host + Unicorn 2.0.1),
 * TG_TIER_QEMU the full-system rig. Unicorn cannot remap a virtual address
 * to another physical page once used (its aliases are static), which the
 * page-fault program respects; every program runs on both.
 */
#include "tg.h"

#define BOTH	(TG_TIER_UNICORN | TG_TIER_QEMU)

const struct tg_test tg_tests[] = {
	{ "abi", tg_test_abi, "", 30, "all,quick,cpu", BOTH, "summary",
	  "shared page, boot parameters, memory map and device table are consistent" },
	{ "console", tg_test_console, "input=WORD", 30, "all,quick", BOTH, "summary",
	  "console output (long, multi-chunk, control chars); keyboard input when input= is given" },
	{ "timer", tg_test_timer, "", 30, "all,quick,cpu", BOTH, "summary",
	  "one-shot timer, deadline mirror, sleeps with IDLE, cancel, past deadlines" },
	{ "host_irq", tg_test_host_irq, "host_irqs=N loops=N", 60, "all,cpu", BOTH, "summary",
	  "host interrupts arriving while the guest computes are forwarded; results unaffected" },
	{ "pagefault", tg_test_pagefault, "pages=N", 30, "all,quick,cpu", BOTH, "summary",
	  "page faults handled in the guest: demand mapping, write-protect, aliasing, error codes" },
	{ "cobd_info", tg_test_cobd_info, "", 30, "all,quick,cobd", BOTH, "summary",
	  "INFO on every cobd unit agrees with the device table" },
	{ "cobd_rw", tg_test_cobd_rw, "seed=N rounds=N span=SECTORS stamp=SECTORS", 120,
	  "all,cobd", BOTH, "summary",
	  "random write-then-read over all units, offsets, sizes, segment layouts and queue depths; final stamp the host checks" },
	{ "cobd_errors", tg_test_cobd_errors, "", 30, "all,quick,cobd", BOTH, "summary",
	  "bad requests get error completions: range, sizes, read-only, ops, descriptors" },
	{ "conet_arp", tg_test_conet_arp, "slirp=UNIT", 30, "all,quick,conet", BOTH, "summary",
	  "ARP request for the slirp gateway 10.0.2.2 is answered" },
	{ "conet_ping", tg_test_conet_ping, "slirp=UNIT", 30, "all,quick,conet", BOTH, "summary",
	  "ICMP echo to the slirp gateway, several sizes" },
	{ "conet_udp", tg_test_conet_udp, "slirp=UNIT udp_port=N count=N seed=N", 60,
	  "all,conet", BOTH, "summary",
	  "UDP through slirp NAT to a host loopback server on udp_port and back" },
	{ "conet_pcap", tg_test_conet_pcap, "pcap=UNIT count=N seed=N", 30, "all,quick,conet",
	  BOTH, "summary", "frames sent on a pcap unit (the host reads the capture)" },
	{ "conet_loop", tg_test_conet_loop, "loop=UNIT,UNIT count=N", 30, "all,quick,conet",
	  BOTH, "summary", "frames across a loopback pair arrive intact and in order" },
	{ "conet_errors", tg_test_conet_errors, "", 30, "all,quick,conet", BOTH, "summary",
	  "short, oversized and multicast-source frames are refused" },
	{ "bench_cobd", tg_test_bench_cobd, "count=N size=BYTES depth=N op=read|write", 300,
	  "bench", BOTH, "summary",
	  "load for bench/: random requests on cobd0 at a fixed queue depth" },
	{ "panic", tg_test_panic, "", 30, "fatal", BOTH, "panic",
	  "a deliberate guest panic: VM stops with CO_TERM_PANIC and the message" },
	{ "crash", tg_test_crash, "", 30, "fatal", BOTH, "panic",
	  "an unhandled page fault: the guest reports vector, RIP, CR2 and panics" },
	{ "triple", tg_test_triple, "", 30, "fatal", BOTH, "cpu-fault",
	  "an exception with no usable IDT: the host stops the VM (triple fault)" },
	{ "audit_bad", tg_test_audit_bad, "", 30, "audit", TG_TIER_QEMU, "summary",
	  "out to port 0x80 and wrmsr of two host MSRs: qemu-rig/run --audit must fail it" },
};

const unsigned int tg_nr_tests = ARRAY_SIZE(tg_tests);

void tg_list_tests(void)
{
	unsigned int i;

	for (i = 0; i < tg_nr_tests; i++) {
		const struct tg_test *t = &tg_tests[i];

		tg_printf("TEST %s timeout=%u groups=%s tiers=%s%s%s expect=%s args=\"%s\" -- %s\n",
			  t->name, t->timeout_s, t->groups,
			  t->tiers & TG_TIER_UNICORN ? "unicorn" : "",
			  (t->tiers & TG_TIER_UNICORN) && (t->tiers & TG_TIER_QEMU) ? "," : "",
			  t->tiers & TG_TIER_QEMU ? "qemu" : "",
			  t->expect, t->args, t->desc);
	}
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
