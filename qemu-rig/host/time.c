// SPDX-License-Identifier: GPL-2.0
/*
 * Time on the bare-metal host: the PIT's channel 0 interrupts at a fixed
 * rate (the host's tick, which keeps firing while the guest runs), the
 * TSC calibrated against that tick gives the monotonic clock, the CMOS
 * clock read once gives the wall clock, and the contract's one-shot
 * timers run from the tick.
 */
#include "bare.h"

#define PIT_HZ		1193182ULL
#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define CALIB_TICKS	20

struct co_host_timer {
	void (*fn)(void *arg);
	void *arg;
	uint64_t deadline;
	bool armed;
	struct co_host_timer *next;	/* on the armed list */
};

static volatile uint64_t ticks;
static unsigned int tick_hz;
static uint64_t tsc0, ns_mult;		/* ns = (tsc - tsc0) * mult >> 32 */
static uint32_t tsc_khz;
static uint64_t wall0_ns;
static struct co_host_timer *armed_list;

static unsigned int bcd(unsigned int v, bool binary)
{
	return binary ? v : (v & 15) + (v >> 4) * 10;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(int y, unsigned int m, unsigned int d)
{
	int era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)(era * 146097 + (int)doe - 719468);
}

static uint64_t rtc_read_ns(void)
{
	unsigned int s, mi, h, d, mo, y;
	bool bin;

	while (cmos(0x0a) & 0x80)	/* update in progress */
		cpu_relax();
	bin = cmos(0x0b) & 0x04;
	s = bcd(cmos(0x00), bin);
	mi = bcd(cmos(0x02), bin);
	h = bcd(cmos(0x04) & 0x7f, bin);
	d = bcd(cmos(0x07), bin);
	mo = bcd(cmos(0x08), bin);
	y = bcd(cmos(0x09), bin) + 2000;
	return ((days_from_civil((int)y, mo, d) * 86400) + h * 3600 + mi * 60 + s) *
	       1000000000ULL;
}

void time_init(unsigned int hz)
{
	uint64_t t1, start, elapsed_ns;
	unsigned int div;

	if (hz < 19 || hz > 100000)
		hz = 1000;
	div = (unsigned int)((PIT_HZ + hz / 2) / hz);
	tick_hz = hz;
	outb(PIT_CMD, 0x34);		/* channel 0, lo/hi, rate generator */
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
	wall0_ns = rtc_read_ns();

	/* Calibrate the TSC against the tick. */
	__asm__ volatile("sti");
	start = ticks;
	while (ticks == start)
		__asm__ volatile("hlt");
	tsc0 = rdtsc();
	start = ticks;
	while (ticks - start < CALIB_TICKS)
		__asm__ volatile("hlt");
	t1 = rdtsc();
	__asm__ volatile("cli");
	elapsed_ns = CALIB_TICKS * div * 1000000000ULL / PIT_HZ;
	/* elapsed_ns stays far below 2^32 * 4: no 128-bit division. */
	ns_mult = (elapsed_ns << 32) / (t1 - tsc0);
	tsc_khz = (uint32_t)((t1 - tsc0) * 1000000 / elapsed_ns);
	bare_printf("colinux-bare: timer %u Hz, TSC %llu MHz\n", tick_hz,
		    (unsigned long long)((t1 - tsc0) * 1000 / elapsed_ns));
}

uint64_t co_host_monotonic_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_mult) >> 32);
}

uint32_t co_host_tsc_khz(void)
{
	return tsc_khz;
}

/* The clock above is the TSC's: hand its parameters to the time record. */
int co_host_clock_tsc(uint64_t *tsc0_out, uint32_t *mult, int8_t *shift)
{
	uint64_t m = ns_mult;
	int8_t s = 0;

	/* A TSC slower than 1 GHz needs more than 32 bits: shift instead. */
	while (m >> 32) {
		m >>= 1;
		s++;
	}
	*tsc0_out = tsc0;
	*mult = (uint32_t)m;
	*shift = s;
	return 0;
}

uint64_t co_host_wallclock_ns(void)
{
	return wall0_ns + co_host_monotonic_ns();
}

uint64_t bare_ticks(void)
{
	return ticks;
}

/* Run every due timer; interrupts are off. */
static void timers_run(void)
{
	uint64_t now = co_host_monotonic_ns();
	struct co_host_timer **pp = &armed_list;

	while (*pp) {
		struct co_host_timer *t = *pp;

		if (t->deadline > now) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		t->armed = false;
		t->fn(t->arg);
		pp = &armed_list;	/* the callback may have re-armed */
	}
}

void timer_tick(void)
{
	ticks++;
	timers_run();
}

void bare_wait_interrupt(void)
{
	uint64_t f = irq_save();

	timers_run();
	/* sti; hlt: no interrupt slips in between the two. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
	irq_restore(f);
}

bool bare_timers_armed(void)
{
	return armed_list != NULL;
}

struct co_host_timer *co_host_timer_create(void (*fn)(void *arg), void *arg)
{
	struct co_host_timer *t = co_host_zalloc(sizeof(*t));

	if (t) {
		t->fn = fn;
		t->arg = arg;
	}
	return t;
}

static void timer_unlink(struct co_host_timer *t)
{
	struct co_host_timer **pp;

	for (pp = &armed_list; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
}

void co_host_timer_arm(struct co_host_timer *t, uint64_t deadline_ns)
{
	uint64_t f = irq_save();

	if (t->armed)
		timer_unlink(t);
	t->deadline = deadline_ns;
	t->armed = true;
	t->next = armed_list;
	armed_list = t;
	irq_restore(f);
}

void co_host_timer_cancel(struct co_host_timer *t)
{
	uint64_t f = irq_save();

	if (t->armed)
		timer_unlink(t);
	irq_restore(f);
}

void co_host_timer_destroy(struct co_host_timer *t)
{
	if (!t)
		return;
	co_host_timer_cancel(t);
	co_host_free(t);
}
