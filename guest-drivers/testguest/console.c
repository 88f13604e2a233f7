// SPDX-License-Identifier: GPL-2.0
/*
 * cocon driver: output text on the OUT queue, keyboard bytes from buffers
 * posted on the IN queue.
 *
 * Output is synchronous: the text is copied into the slot's buffer, the
 * queue's doorbell rung and the host asked to look now; the completion is
 * there when the switch returns. Before the console is set up (and if it
 * fails) text goes out through CO_OP_DEBUG_PRINT.
 */
#include "tg.h"

#define OUT_LOG2	3
#define IN_LOG2		2
#define OUT_CHUNK	2048
#define IN_BUF		64
#define FIFO_SIZE	1024

static struct {
	bool ready;
	unsigned int q_out, q_in;
	struct co_gring out, in;
	uint8_t *out_buf;	/* OUT slots' buffers, OUT_CHUNK each */
	uint8_t *in_buf;	/* IN slots' buffers */
	uint8_t fifo[FIFO_SIZE];
	unsigned int head, tail;	/* of fifo, free-running */
	uint64_t bytes_out, out_errors;
} con;

static void in_post(unsigned int slot)
{
	struct co_desc *d = co_gring_reserve(&con.in);

	if (!d)
		return;
	co_gring_desc_init(d, slot, CO_COCON_READ, 0);
	co_gring_desc_add_seg(d, tg_virt_to_phys(con.in_buf + slot * IN_BUF),
			      IN_BUF);
}

static void on_irq(void *ctx, unsigned int line)
{
	struct co_cpl c;
	bool posted = false;

	(void)ctx;
	(void)line;
	while (co_gring_reap(&con.out, &c)) {
		if (c.status != CO_ST_OK)
			con.out_errors++;
	}
	while (co_gring_reap(&con.in, &c)) {
		unsigned int slot = (unsigned int)c.id % (1u << IN_LOG2);
		uint32_t i, n = c.status == CO_ST_OK ? MIN(c.len, (uint32_t)IN_BUF) : 0;

		for (i = 0; i < n && con.head - con.tail < FIFO_SIZE; i++)
			con.fifo[con.head++ % FIFO_SIZE] = con.in_buf[slot * IN_BUF + i];
		in_post(slot);
		posted = true;
	}
	if (posted) {
		co_gring_publish(&con.in);
		co_guest_doorbell(&tg_g, con.q_in);
	}
}

static bool setup_ring(struct co_gring *r, unsigned int queue,
		       unsigned int log2)
{
	void *mem = tg_page_alloc_perm(ALIGN_UP(co_gring_bytes(log2), PAGE_SIZE) / PAGE_SIZE);

	if (!mem || co_gring_init(r, mem, tg_virt_to_phys(mem), log2))
		return false;
	return co_guest_queue_setup(&tg_g, queue, r->gpa, log2) == CO_ST_OK;
}

void tg_console_init(void)
{
	const struct co_dev_info *d = tg_dev_find(CO_DEV_COCON, 0);
	unsigned int i;

	if (!d || d->nr_queues < 2)
		return;
	con.q_out = d->first_queue;
	con.q_in = d->first_queue + 1;
	con.out_buf = tg_page_alloc_perm((OUT_CHUNK << OUT_LOG2) / PAGE_SIZE);
	con.in_buf = tg_page_alloc_perm(1);
	if (!con.out_buf || !con.in_buf ||
	    !setup_ring(&con.out, con.q_out, OUT_LOG2) ||
	    !setup_ring(&con.in, con.q_in, IN_LOG2))
		return;
	for (i = 0; i < (1u << IN_LOG2); i++)
		in_post(i);
	co_gring_publish(&con.in);
	co_guest_doorbell(&tg_g, con.q_in);
	co_guest_irq_handler(&tg_g, d->irq, on_irq, NULL);
	con.ready = true;
}

bool tg_console_ready(void)
{
	return con.ready;
}

uint64_t tg_console_bytes_out(void)
{
	return con.bytes_out;
}

static void write_chunk(const char *s, size_t len)
{
	struct co_desc *d;
	unsigned int slot;

	while (!co_gring_free(&con.out))
		co_guest_notify(&tg_g);
	slot = con.out.req_prod & ((1u << OUT_LOG2) - 1);
	memcpy(con.out_buf + slot * OUT_CHUNK, s, len);
	d = co_gring_reserve(&con.out);
	co_gring_desc_init(d, slot, CO_COCON_WRITE, 0);
	co_gring_desc_add_seg(d, tg_virt_to_phys(con.out_buf + slot * OUT_CHUNK),
			      (uint32_t)len);
	co_gring_publish(&con.out);
	co_guest_doorbell(&tg_g, con.q_out);
	co_guest_notify(&tg_g);
	con.bytes_out += len;
}

void tg_write(const char *s, size_t len)
{
	unsigned long flags;

	if (!con.ready) {
		while (len) {
			size_t n = MIN(len, (size_t)CO_TEXT_SIZE - 1);

			co_guest_debug_print(&tg_g, s, n);
			s += n;
			len -= n;
		}
		return;
	}
	/* Host interrupts may print too: one writer at a time. */
	flags = tg_irq_save();
	while (len) {
		size_t n = MIN(len, (size_t)OUT_CHUNK);

		write_chunk(s, n);
		s += n;
		len -= n;
	}
	tg_irq_restore(flags);
}

void tg_puts(const char *s)
{
	tg_write(s, strlen(s));
}

int tg_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = tg_vsnprintf(buf, sizeof(buf), fmt, ap);

	tg_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	return n;
}

int tg_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tg_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

static bool have_input(void *ctx)
{
	(void)ctx;
	return con.head != con.tail || tg_g.power_event;
}

int tg_getc(uint64_t deadline)
{
	if (!con.ready)
		return -1;
	if (co_guest_wait(&tg_g, have_input, NULL, deadline))
		return -1;
	if (con.head == con.tail)
		return -2;	/* a power event */
	return con.fifo[con.tail++ % FIFO_SIZE];
}
