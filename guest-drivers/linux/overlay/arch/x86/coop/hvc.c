// SPDX-License-Identifier: GPL-2.0
/*
 * hvc0 on the coLinux console (cocon): output on its OUT ring, keyboard
 * bytes from buffers kept posted on its IN ring.
 *
 * Output is synchronous: the text goes into a slot's buffer, the doorbell
 * and a notify switch hand it to the host, and the completion is there
 * when the switch returns, so printk works from any context once the
 * rings are up (console_initcall; before that the boot console prints
 * through the debug-print operation). Input is interrupt-driven: the
 * host completes an IN buffer and raises the console's line, hvc's
 * interrupt handler kicks its thread, which takes the bytes here.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <asm/page.h>

#include "../../../drivers/tty/hvc/hvc_console.h"
#include "coop.h"
#include "lib/co_gring.h"

#define OUT_LOG2	2
#define OUT_CHUNK	1024
#define IN_LOG2		4
#define IN_BUF		256

struct coop_con {
	unsigned int q_out, q_in, line;
	struct co_gring out, in;
	/* In-line from the last IN completion not yet given to hvc. */
	unsigned int in_slot, in_off, in_len;
	bool in_held;
	bool ready;
};

static struct coop_con con;
static DEFINE_SPINLOCK(coop_con_lock);

static u8 out_ring[PAGE_SIZE] __aligned(PAGE_SIZE);
static u8 in_ring[PAGE_SIZE] __aligned(PAGE_SIZE);
static u8 out_buf[OUT_CHUNK << OUT_LOG2] __aligned(PAGE_SIZE);
static u8 in_buf[IN_BUF << IN_LOG2] __aligned(PAGE_SIZE);

static void coop_con_notify(void)
{
	co_guest_call(&coop_guest, CO_OP_NOTIFY, NULL, 0, NULL, 0);
}

static void coop_con_post(unsigned int slot)
{
	struct co_desc *d = co_gring_reserve(&con.in);

	if (!d)
		return;
	co_gring_desc_init(d, slot, CO_COCON_READ, 0);
	co_gring_desc_add_seg(d, __pa(in_buf + slot * IN_BUF), IN_BUF);
}

static int coop_put_chars(u32 vt, const char *s, int count)
{
	unsigned long flags;
	unsigned int slot;
	struct co_desc *d;
	struct co_cpl c;
	int n = min(count, OUT_CHUNK);

	spin_lock_irqsave(&coop_con_lock, flags);
	while (co_gring_reap(&con.out, &c))
		;
	d = co_gring_reserve(&con.out);
	if (!d) {
		/* Cannot happen with synchronous completions; retry later. */
		spin_unlock_irqrestore(&coop_con_lock, flags);
		return 0;
	}
	slot = (con.out.req_prod - 1) & ((1u << OUT_LOG2) - 1);
	memcpy(out_buf + slot * OUT_CHUNK, s, n);
	co_gring_desc_init(d, slot, CO_COCON_WRITE, 0);
	co_gring_desc_add_seg(d, __pa(out_buf + slot * OUT_CHUNK), n);
	co_gring_publish(&con.out);
	co_guest_doorbell(&coop_guest, con.q_out);
	coop_con_notify();
	while (co_gring_reap(&con.out, &c))
		;
	spin_unlock_irqrestore(&coop_con_lock, flags);
	return n;
}

static int coop_get_chars(u32 vt, char *buf, int count)
{
	unsigned long flags;
	bool repost = false;
	int got = 0;

	spin_lock_irqsave(&coop_con_lock, flags);
	while (got < count) {
		struct co_cpl c;
		unsigned int n;

		if (!con.in_held) {
			if (!co_gring_reap(&con.in, &c))
				break;
			con.in_slot = c.id & ((1u << IN_LOG2) - 1);
			con.in_off = 0;
			con.in_len = c.status == CO_ST_OK ?
				     min_t(u32, c.len, IN_BUF) : 0;
			con.in_held = true;
		}
		n = min_t(unsigned int, count - got, con.in_len - con.in_off);
		memcpy(buf + got, in_buf + con.in_slot * IN_BUF + con.in_off, n);
		got += n;
		con.in_off += n;
		if (con.in_off == con.in_len) {
			coop_con_post(con.in_slot);
			con.in_held = false;
			repost = true;
		}
	}
	if (repost) {
		co_gring_publish(&con.in);
		co_guest_doorbell(&coop_guest, con.q_in);
	}
	spin_unlock_irqrestore(&coop_con_lock, flags);
	return got;
}

static const struct hv_ops coop_hv_ops = {
	.get_chars	= coop_get_chars,
	.put_chars	= coop_put_chars,
	.notifier_add	= notifier_add_irq,
	.notifier_del	= notifier_del_irq,
	.notifier_hangup = notifier_hangup_irq,
};

static int __init coop_con_ring(struct co_gring *r, void *mem,
				unsigned int queue, unsigned int log2)
{
	if (co_gring_bytes(log2) > PAGE_SIZE ||
	    co_gring_init(r, mem, __pa(mem), log2))
		return -EINVAL;
	return co_guest_queue_setup(&coop_guest, queue, r->gpa, log2) ?
	       -EIO : 0;
}

static int __init coop_con_console_init(void)
{
	const struct co_dev_info *d = coop_find_dev(CO_DEV_COCON, 0);
	unsigned int i;

	if (!d || d->nr_queues < 2)
		return -ENODEV;
	con.q_out = d->first_queue;
	con.q_in = d->first_queue + 1;
	con.line = d->irq;
	if (coop_con_ring(&con.out, out_ring, con.q_out, OUT_LOG2) ||
	    coop_con_ring(&con.in, in_ring, con.q_in, IN_LOG2)) {
		pr_err("cooperative: the host refused the console rings\n");
		return -EIO;
	}
	for (i = 0; i < (1u << IN_LOG2); i++)
		coop_con_post(i);
	co_gring_publish(&con.in);
	co_guest_doorbell(&coop_guest, con.q_in);
	coop_con_notify();
	con.ready = true;
	return hvc_instantiate(0, 0, &coop_hv_ops);
}
console_initcall(coop_con_console_init);

static int __init coop_con_init(void)
{
	struct hvc_struct *hp;
	int irq;

	if (!con.ready)
		return -ENODEV;
	irq = coop_line_irq(con.line);
	if (irq < 0)
		return irq;
	hp = hvc_alloc(0, irq, &coop_hv_ops, 256);
	return PTR_ERR_OR_ZERO(hp);
}
device_initcall(coop_con_init);
