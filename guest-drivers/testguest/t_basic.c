// SPDX-License-Identifier: GPL-2.0
/*
 * Test programs for the passage, console, timer, interrupts, page faults
 * and the deliberate ends of the VM.
 */
#include "tg.h"

void tg_passage_probe(uint64_t out[8]);
extern const uint8_t __kernel_start[], __kernel_end[];

/* ---- abi ------------------------------------------------------------------ */

static void abi_memory_map(void)
{
	uint64_t end = tg_boot.ram_base + tg_boot.ram_size;
	uint64_t kstart = tg_virt_to_phys(__kernel_start);
	bool inside = true, disjoint = true, kernel = false, boot = false;
	unsigned int i, j;

	for (i = 0; i < tg_boot.nr_mem; i++) {
		const struct co_mem_region *m = &tg_boot.mem[i];

		if (m->base < tg_boot.ram_base || m->base + m->size > end)
			inside = false;
		for (j = 0; j < i; j++) {
			const struct co_mem_region *o = &tg_boot.mem[j];

			if (m->base < o->base + o->size && o->base < m->base + m->size)
				disjoint = false;
		}
		if (m->type == CO_MEM_KERNEL && kstart >= m->base &&
		    kstart < m->base + m->size)
			kernel = true;
		if (m->type == CO_MEM_BOOT)
			boot = true;
	}
	tg_check(tg_boot.ram_size && !(tg_boot.ram_size & ((2ULL << 20) - 1)),
		 "RAM size %llu MiB is a multiple of 2 MiB",
		 (unsigned long long)(tg_boot.ram_size >> 20));
	tg_check(inside, "%u memory regions lie inside RAM", tg_boot.nr_mem);
	tg_check(disjoint, "memory regions do not overlap");
	tg_check(kernel, "a CO_MEM_KERNEL region holds the kernel (gpa 0x%llx)",
		 (unsigned long long)kstart);
	tg_check(boot, "a CO_MEM_BOOT region exists");
}

static void abi_devices(void)
{
	const struct co_dev_info *t = tg_dev_find(CO_DEV_TIMER, 0);
	const struct co_dev_info *p = tg_dev_find(CO_DEV_POWER, 0);
	const struct co_dev_info *c = tg_dev_find(CO_DEV_COCON, 0);
	bool ok = true;
	unsigned int i;

	tg_check(t && t->irq == CO_IRQ_TIMER && !t->nr_queues,
		 "timer device on line %u, no queues", CO_IRQ_TIMER);
	tg_check(p && p->irq == CO_IRQ_POWER && !p->nr_queues,
		 "power device on line %u, no queues", CO_IRQ_POWER);
	tg_check(c && c->irq == CO_IRQ_COCON && c->first_queue == CO_QUEUE_COCON_OUT &&
		 c->nr_queues == 2 && c->cocon.cols && c->cocon.rows,
		 "console on line %u, queues 0-1, %ux%u", CO_IRQ_COCON,
		 c ? c->cocon.cols : 0, c ? c->cocon.rows : 0);
	for (i = 0; i < tg_boot.nr_devices; i++) {
		const struct co_dev_info *d = &tg_boot.dev[i];

		if (d->dev_class == CO_DEV_COBD)
			ok &= d->irq == CO_IRQ_COBD(d->unit) &&
			      d->first_queue == CO_QUEUE_COBD(d->unit) &&
			      d->nr_queues == 1 && d->cobd.sectors;
		else if (d->dev_class == CO_DEV_CONET)
			ok &= d->irq == CO_IRQ_CONET(d->unit) &&
			      d->first_queue == CO_QUEUE_CONET_TX(d->unit) &&
			      d->nr_queues == 2 && !(d->conet.mac[0] & 1) &&
			      d->conet.mtu == 1500;
	}
	tg_check(ok, "every cobd/conet entry has the documented lines, queues, size/MAC/MTU");
}

static void abi_passage(void)
{
	uint64_t out[8];
	static const uint64_t want[8] = {
		0x1111111111111111ULL, 0x2222222222222222ULL,
		0x3333333333333333ULL, 0x4444444444444444ULL,
		0x5555555555555555ULL, 0x6666666666666666ULL,
		0x7777777777777777ULL, 0x8888888888888888ULL,
	};
	static const char *const reg[8] = { "rbx", "r12", "r13", "r14", "r15",
					    "rdi", "rsi", "xmm0" };
	unsigned int i;
	bool ok = true;

	tg_check(tg_g.sh->magic == CO_PASSAGE_MAGIC &&
		 tg_g.sh->abi_version == CO_ABI_VERSION &&
		 tg_g.sh->size == 4096, "shared page magic, version 1, size 4096");
	tg_check(tg_boot.passage_va == CO_PASSAGE_GUEST_VA,
		 "boot parameters name the passage at 0x%llx",
		 (unsigned long long)tg_boot.passage_va);
	tg_check((tg_read_cr3() & ~0xfffULL) == tg_boot.pt_root,
		 "CR3 is the boot pt_root 0x%llx", (unsigned long long)tg_boot.pt_root);
	tg_g.sh->op = CO_OP_YIELD;
	tg_passage_probe(out);
	tg_check(tg_g.sh->op == CO_OP_RETURN && tg_g.sh->result == CO_ST_OK,
		 "YIELD returns CO_OP_RETURN / CO_ST_OK");
	for (i = 0; i < 8; i++) {
		if (out[i] != want[i]) {
			tg_fail("%s changed across the switch: 0x%llx", reg[i],
				(unsigned long long)out[i]);
			ok = false;
		}
	}
	if (ok)
		tg_pass("rbx, r12-r15, rdi, rsi and xmm0 survive a switch");
}

void tg_test_abi(void)
{
	abi_passage();
	abi_memory_map();
	abi_devices();
}

/* ---- console ------------------------------------------------------------- */

static void console_input(const char *word)
{
	char line[128];
	size_t n = 0;
	uint64_t deadline = co_guest_now(&tg_g) + 60 * NS_PER_S;
	int c;

	tg_printf("console: type \"%s\" and Enter\n", word);
	while (n < sizeof(line) - 1) {
		c = tg_getc(deadline);
		if (c < 0 || c == '\r' || c == '\n')
			break;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	if (c < 0 && !n) {
		tg_fail("no keyboard input within 60 s");
		return;
	}
	tg_check(!strcmp(line, word), "keyboard input \"%s\" read back", line);
}

#define DEBUG_TEXT	"debug print DEBUG-PRINT-4417\nits second line\n"

void tg_test_console(void)
{
	static char big[5000];
	uint64_t before = tg_console_bytes_out();
	char word[64];
	size_t i;

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (i + 1) % 100 ? "0123456789"[i % 10] : '\n';
	big[sizeof(big) - 1] = '\n';
	tg_puts("console: 5000 bytes in one write follow\n");
	tg_write(big, sizeof(big));
	tg_puts("console: tab\there, back\bspace, \033[1mbold\033[0m done\n");
	tg_check(tg_console_bytes_out() - before >= sizeof(big),
		 "%llu bytes written and completed",
		 (unsigned long long)(tg_console_bytes_out() - before));
	tg_pass("console: marker CONSOLE-OK-7391");
	/* The host shows it in its log; two lines, as an early console writes. */
	co_guest_debug_print(&tg_g, DEBUG_TEXT, sizeof(DEBUG_TEXT) - 1);
	tg_pass("debug print sent (DEBUG-PRINT-4417)");
	if (tg_arg("input", word, sizeof(word)))
		console_input(word);
	else
		tg_skip("keyboard input: no input=WORD on the command line");
}

/* ---- timer ------------------------------------------------------------------ */

static bool timer_pending(void *ctx)
{
	(void)ctx;
	return tg_g.timer_fired;
}

void tg_test_timer(void)
{
	static const uint64_t ms[] = { 1, 10, 100, 1000 };
	uint64_t t0, t1, wall, last, fired;
	unsigned int i;
	bool mono = true;

	co_guest_time(&tg_g, &t0, &wall);
	tg_check(wall >= tg_boot.boot_time_ns, "wall clock %llu >= boot time %llu",
		 (unsigned long long)wall, (unsigned long long)tg_boot.boot_time_ns);
	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		t0 = co_guest_now(&tg_g);
		co_guest_sleep_ns(&tg_g, ms[i] * NS_PER_MS);
		t1 = co_guest_now(&tg_g);
		tg_check(t1 >= t0 + ms[i] * NS_PER_MS, "sleep %llu ms: %llu ns passed",
			 (unsigned long long)ms[i], (unsigned long long)(t1 - t0));
	}
	t0 = co_guest_now(&tg_g);
	co_guest_set_timer(&tg_g, t0 + 50 * NS_PER_MS);
	tg_check(tg_g.sh->timer_deadline == t0 + 50 * NS_PER_MS,
		 "timer_deadline mirrors the armed deadline");
	co_guest_set_timer(&tg_g, 0);
	tg_check(tg_g.sh->timer_deadline == 0, "SET_TIMER 0 disarms");

	fired = tg_g.irqs[CO_IRQ_TIMER];
	co_guest_set_timer(&tg_g, t0 > 1 ? t0 - 1 : 1);
	for (i = 0; i < 100 && !tg_g.timer_fired; i++)
		co_guest_yield(&tg_g);
	tg_check(tg_g.timer_fired && tg_g.irqs[CO_IRQ_TIMER] == fired + 1,
		 "a deadline in the past fires at once (after %u yields)", i);

	t0 = co_guest_now(&tg_g);
	co_guest_set_timer(&tg_g, t0 + 20 * NS_PER_MS);
	co_guest_wait(&tg_g, timer_pending, NULL, 0);
	t1 = co_guest_now(&tg_g);
	tg_check(t1 >= t0 + 20 * NS_PER_MS && !tg_g.sh->timer_deadline,
		 "IDLE wakes on the timer line; the deadline is cleared");

	last = co_guest_now(&tg_g);
	for (i = 0; i < 100; i++) {
		uint64_t now = co_guest_now(&tg_g);

		mono &= now >= last;
		last = now;
	}
	tg_check(mono, "monotonic clock never goes back over 100 reads");
}

/* ---- host interrupts while computing ------------------------------------ */

static uint64_t compute(const uint8_t *buf, size_t len, unsigned int loops,
			bool yield)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int l;
	size_t i;

	for (l = 0; l < loops; l++) {
		for (i = 0; i < len; i++)
			h = (h ^ buf[i] ^ l) * 0x100000001b3ULL;
		/* The host's budget: switch now and then. */
		if (yield && !(l % 16))
			co_guest_yield(&tg_g);
	}
	return h;
}

static uint64_t host_irq_total(void)
{
	uint64_t n = 0;
	unsigned int v;

	for (v = 32; v < 256; v++)
		n += tg_host_irq_count(v);
	return n;
}

void tg_test_host_irq(void)
{
	uint64_t expect = tg_arg_u64("host_irqs", 0);
	unsigned int loops = (unsigned int)tg_arg_u64("loops", 400);
	uint64_t mark = tg_mm_mark(), ref, got, before, received, fwd0;
	uint8_t *buf = tg_page_alloc(1);
	unsigned int i;

	if (!buf) {
		tg_fail("no memory");
		goto out;
	}
	for (i = 0; i < PAGE_SIZE; i++)
		buf[i] = (uint8_t)tg_mix64(i);
	ref = compute(buf, PAGE_SIZE, loops, true);
	before = host_irq_total();
	fwd0 = tg_g.calls;
	tg_sti();
	got = compute(buf, PAGE_SIZE, loops, true);
	tg_cli();
	received = host_irq_total() - before;
	tg_check(got == ref, "the computation gives the same result with interrupts on (0x%llx)",
		 (unsigned long long)got);
	tg_printf("host_irq: %llu host interrupts arrived and were forwarded (%llu switches)\n",
		  (unsigned long long)received, (unsigned long long)(tg_g.calls - fwd0));
	if (expect)
		tg_check(received >= expect, "%llu host interrupts arrived, %llu expected",
			 (unsigned long long)received, (unsigned long long)expect);
	else if (!received)
		tg_skip("no host interrupt arrived (none injected; host_irqs=N makes it a failure)");
	else
		tg_pass("%llu host interrupts arrived and were forwarded",
			(unsigned long long)received);
out:
	tg_mm_release(mark);
}

/* ---- page faults ---------------------------------------------------------- */

#define PF_BASE		0xffffc90000000000ULL
#define PF_MAX_PAGES	64u

static struct {
	uint64_t base, pages;	/* demand region */
	uint64_t ro_va;		/* the write-protected page */
	unsigned int faults, wp_faults, bad;
	uint64_t last_cr2, last_error;
	uint64_t gpa[PF_MAX_PAGES];
} pf;
static uint64_t pf_next = PF_BASE;	/* never reused: Unicorn's aliases stay */

static bool pf_handler(struct tg_regs *r)
{
	uint64_t cr2 = tg_read_cr2();
	uint64_t page = cr2 & ~(PAGE_SIZE - 1);

	pf.last_cr2 = cr2;
	pf.last_error = r->error;
	if (page == pf.ro_va && (r->error & 3) == 3) {
		uint64_t *pte = tg_pte(page);

		if (!pte)
			return false;
		*pte |= TG_PTE_W;
		tg_invlpg(page);
		pf.wp_faults++;
		return true;
	}
	if (cr2 >= pf.base && cr2 < pf.base + pf.pages * PAGE_SIZE &&
	    !(r->error & 1)) {
		unsigned int i = (unsigned int)((page - pf.base) / PAGE_SIZE);
		void *p = tg_page_alloc_perm(1);

		if (!p || tg_map_page(page, tg_virt_to_phys(p), TG_PTE_P | TG_PTE_W))
			return false;
		pf.gpa[i] = tg_virt_to_phys(p);
		pf.faults++;
		return true;
	}
	pf.bad++;
	return false;
}

static void pf_demand(unsigned int n)
{
	volatile uint64_t *w;
	bool zero = true, cr2_ok = true, err_ok = true, kept = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		w = (volatile uint64_t *)(pf.base + i * PAGE_SIZE + 8 * (i + 1));
		zero &= *w == 0;
		/* The handler ran behind the compiler's back. */
		__asm__ volatile("" : : : "memory");
		cr2_ok &= pf.last_cr2 == (uint64_t)w;
		err_ok &= !(pf.last_error & 3);
	}
	tg_check(pf.faults == n, "%u reads of unmapped pages: %u faults mapped them",
		 n, pf.faults);
	tg_check(zero, "demand pages read as zero");
	tg_check(cr2_ok, "CR2 holds the exact faulting address");
	tg_check(err_ok, "read faults: error code without P and W");
	for (i = 0; i < n; i++) {
		w = (volatile uint64_t *)(pf.base + i * PAGE_SIZE);
		*w = tg_mix64(i);
	}
	for (i = 0; i < n; i++) {
		w = (volatile uint64_t *)(pf.base + i * PAGE_SIZE);
		kept &= *w == tg_mix64(i);
		/* The same frame through the identity map. */
		kept &= *(volatile uint64_t *)tg_phys_to_virt(pf.gpa[i]) == tg_mix64(i);
	}
	tg_check(pf.faults == n && kept,
		 "writes to mapped pages: no further faults, data seen through both mappings");
}

static void pf_write_fault(unsigned int n)
{
	volatile uint64_t *w = (volatile uint64_t *)(pf.base + n * PAGE_SIZE + 0x80);

	*w = 0x5eed;
	__asm__ volatile("" : : : "memory");
	tg_check(pf.faults == n + 1 && (pf.last_error & 3) == 2 && *w == 0x5eed,
		 "write to an unmapped page: error 0x%llx (W, not P), then mapped",
		 (unsigned long long)pf.last_error);
}

static void pf_write_protect(void)
{
	uint8_t *frame = tg_page_alloc_perm(1);
	volatile uint64_t *w;

	pf.ro_va = pf_next;
	pf_next += PAGE_SIZE;
	if (!frame || tg_map_page(pf.ro_va, tg_virt_to_phys(frame), TG_PTE_P)) {
		tg_fail("cannot map the read-only page");
		return;
	}
	*(uint64_t *)frame = 0xabcdef;
	w = (volatile uint64_t *)pf.ro_va;
	tg_check(*w == 0xabcdef && !pf.wp_faults, "read of a read-only page: no fault");
	*w = 0x1234;
	__asm__ volatile("" : : : "memory");
	tg_check(pf.wp_faults == 1 && (pf.last_error & 3) == 3 &&
		 *(uint64_t *)frame == 0x1234,
		 "write to a read-only page: error 0x%llx (P, W), handler made it writable",
		 (unsigned long long)pf.last_error);
}

void tg_test_pagefault(void)
{
	unsigned int n = (unsigned int)MIN(tg_arg_u64("pages", 8), PF_MAX_PAGES - 1);

	if (!tg_mm_can_map()) {
		tg_skip("page tables: paged RAM mode (needs memwindow=contiguous)");
		return;
	}
	memset(&pf, 0, sizeof(pf));
	pf.base = pf_next;
	pf.pages = n + 1;
	pf_next += (n + 1) * PAGE_SIZE;
	tg_set_fault_handler(14, pf_handler);
	pf_demand(n);
	pf_write_fault(n);
	pf_write_protect();
	tg_set_fault_handler(14, NULL);
	tg_check(!pf.bad, "no unexpected faults");
}

/* ---- deliberate ends -------------------------------------------------------- */

void tg_test_panic(void)
{
	tg_panic("deliberate panic (test=panic)");
}

static unsigned int bp_hits;

static bool bp_handler(struct tg_regs *r)
{
	bp_hits++;
	return true;
}

void tg_test_crash(void)
{
	unsigned int before = bp_hits;

	tg_set_fault_handler(3, bp_handler);
	__asm__ volatile("int3" : : : "memory");
	tg_set_fault_handler(3, NULL);
	tg_printf("crash: a breakpoint was handled and returned (%u)\n", bp_hits - before);
	tg_puts("crash: reading an unmapped address\n");
	(void)*(volatile uint64_t *)0xffffc8ffdead0000ULL;
	tg_fail("the read of an unmapped address did not fault");
}

void tg_test_triple(void)
{
	tg_puts("triple: no usable IDT, then an invalid opcode\n");
	tg_cpu_break_idt();
	__asm__ volatile("ud2");
	tg_fail("ud2 without an IDT came back");
}
