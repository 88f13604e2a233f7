// SPDX-License-Identifier: GPL-2.0
/*
 * The serial console (COM1, polled), the host log, and the way out of
 * QEMU: isa-debug-exit at port 0xf4, which makes QEMU exit with
 * (value << 1) | 1. A line "colinux-bare: exit status N" always comes
 * first so that qemu-rig/run can tell our exit from QEMU's own.
 */
#include "bare.h"

#define COM1		0x3f8
#define COM2		0x2f8
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define DEBUG_EXIT_PORT	0xf4
#define RX_SIZE		4096

/*
 * Info by default, as the NT daemon: the guest's debug prints
 * (CO_OP_DEBUG_PRINT, a Linux guest's early console) are logged at info.
 */
int bare_log_level = CO_LOG_INFO;

static uint8_t rx_buf[RX_SIZE];
static volatile unsigned int rx_head, rx_tail;

static bool serial_drain(void);

/*
 * The FIFO control register is left alone: changing the FIFO's enable
 * bit flushes what the UART holds, and input typed before the host came
 * up is already arriving (QEMU hands the next byte over as soon as the
 * receive register is read, so a flush after any drain could lose it;
 * that was the lost keystroke of tests/qemu's console test). Polled at
 * the tick, a UART without a FIFO still takes a byte per read.
 */
void serial_init(void)
{
	outb(COM1 + 1, 0x00);		/* no interrupts: we poll */
	outb(COM1 + 3, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);		/* 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 4, 0x03);		/* DTR, RTS */
	serial_drain();
}

static void serial_putc(char c)
{
	unsigned int spins = 0;

	while (!(inb(COM1 + 5) & LSR_THRE) && ++spins < 100000)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

/*
 * Drain the UART into our buffer. Called from the timer interrupt and
 * from waits, so with interrupts off: a tick between reading a byte and
 * storing it would store its own bytes at the same place (seen as
 * duplicated and lost keystrokes under a Linux guest's typed-ahead
 * input). A byte is read only when there is room for it: reading it
 * first and then finding the buffer full dropped it. Returns true if
 * something new arrived.
 */
static bool serial_drain(void)
{
	uint64_t f = irq_save();
	bool got = false;

	while (inb(COM1 + 5) & LSR_DR) {
		unsigned int next = (rx_head + 1) % RX_SIZE;

		if (next == rx_tail)
			break;		/* full: the UART keeps the rest */
		rx_buf[rx_head] = inb(COM1);
		rx_head = next;
		got = true;
	}
	irq_restore(f);
	return got;
}

/*
 * COM2 is qemu-rig/run's control line, not a console: each byte it
 * receives is a request from the host's user, as a power button would
 * be (qemu-rig/run sends 'P' when it gets SIGTERM). Unknown bytes are
 * ignored. Without the runner's socket nothing ever arrives there.
 */
static void control_poll(void)
{
	while (inb(COM2 + 5) & LSR_DR) {
		switch (inb(COM2)) {
		case 'P':
			bare_power_event(CO_POWER_SHUTDOWN);
			break;
		case 'R':
			bare_power_event(CO_POWER_CTRL_ALT_DEL);
			break;
		}
	}
}

/* Bytes the mailbox had no room for last time are offered again. */
void serial_poll(void)
{
	serial_drain();
	bare_console_input();
	control_poll();
}

size_t serial_peek(char *buf, size_t max)
{
	uint64_t f = irq_save();
	unsigned int t = rx_tail;
	size_t n = 0;

	serial_drain();
	while (n < max && t != rx_head) {
		buf[n++] = (char)rx_buf[t];
		t = (t + 1) % RX_SIZE;
	}
	irq_restore(f);
	return n;
}

void serial_consume(size_t n)
{
	uint64_t f = irq_save();

	rx_tail = (unsigned int)((rx_tail + n) % RX_SIZE);
	irq_restore(f);
}

void bare_printf(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = co_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	serial_write(line, MIN((size_t)n, sizeof(line) - 1));
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void co_host_log(int level, const char *line)
{
	if (level > bare_log_level)
		return;
	bare_printf("[%s] %s\n", level >= 0 && level <= 3 ? level_names[level] : "?",
		    line);
}

void bare_exit(int status)
{
	__asm__ volatile("cli");
	bare_printf("colinux-bare: exit status %d\n", status);
	outb(DEBUG_EXIT_PORT, (uint8_t)(status & 0x7f));
	/* Without the exit device: stop here. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void bare_panic(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	co_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	bare_printf("\ncolinux-bare: HOST PANIC: %s\n", line);
	bare_exit(BARE_EXIT_HOST);
}

/* What the compiler may call. */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	dp += n - 1;
	sp += n - 1;
	__asm__ volatile("std; rep movsb; cld"
			 : "+D"(dp), "+S"(sp), "+c"(n) : : "memory");
	return d;
}

void *memset(void *d, int c, size_t n)
{
	void *ret = d;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}
