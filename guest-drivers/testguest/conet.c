// SPDX-License-Identifier: GPL-2.0
/*
 * conet driver: a TX ring whose slots each own a frame buffer, an RX ring
 * kept full of posted buffers. Received frames are copied into a small
 * software queue by the interrupt handler and the buffer posted again.
 */
#include "tg.h"

#define TX_LOG2		4
#define RX_LOG2		4
#define BUF_SIZE	2048	/* >= CO_CONET_MAX_FRAME */
#define RXQ_LEN		64

struct rx_frame {
	uint16_t len;
	uint8_t data[CO_CONET_MAX_FRAME];
};

struct tg_net {
	bool open;
	const struct co_dev_info *info;
	unsigned int q_tx, q_rx;
	struct co_gring tx, rx;
	uint8_t *tx_buf, *rx_buf;
	/* TX completions by slot id. */
	bool tx_done[1u << TX_LOG2];
	int32_t tx_status[1u << TX_LOG2];
	struct rx_frame q[RXQ_LEN];
	unsigned int head, tail;
	uint64_t rx_frames, rx_dropped, rx_errors;
};

static struct tg_net nets[CO_CONET_UNITS];

static void rx_post(struct tg_net *n, unsigned int slot)
{
	struct co_desc *d = co_gring_reserve(&n->rx);

	if (!d)
		return;
	co_gring_desc_init(d, slot, CO_CONET_RX, 0);
	co_gring_desc_add_seg(d, tg_virt_to_phys(n->rx_buf + slot * BUF_SIZE),
			      BUF_SIZE);
}

static void on_irq(void *ctx, unsigned int line)
{
	struct tg_net *n = ctx;
	struct co_cpl c;
	bool posted = false;

	(void)line;
	while (co_gring_reap(&n->tx, &c)) {
		unsigned int slot = (unsigned int)c.id & ((1u << TX_LOG2) - 1);

		n->tx_status[slot] = c.status;
		n->tx_done[slot] = true;
	}
	while (co_gring_reap(&n->rx, &c)) {
		unsigned int slot = (unsigned int)c.id & ((1u << RX_LOG2) - 1);

		if (c.status != CO_ST_OK || c.len > CO_CONET_MAX_FRAME) {
			n->rx_errors++;
		} else if (n->head - n->tail == RXQ_LEN) {
			n->rx_dropped++;
		} else {
			struct rx_frame *f = &n->q[n->head++ % RXQ_LEN];

			f->len = (uint16_t)c.len;
			memcpy(f->data, n->rx_buf + slot * BUF_SIZE, c.len);
			n->rx_frames++;
		}
		rx_post(n, slot);
		posted = true;
	}
	if (posted) {
		co_gring_publish(&n->rx);
		co_guest_doorbell(&tg_g, n->q_rx);
	}
}

static bool ring(struct co_gring *r, unsigned int queue, unsigned int log2)
{
	void *mem = tg_page_alloc_perm(ALIGN_UP(co_gring_bytes(log2), PAGE_SIZE) / PAGE_SIZE);

	if (!mem || co_gring_init(r, mem, tg_virt_to_phys(mem), log2))
		return false;
	return co_guest_queue_setup(&tg_g, queue, r->gpa, log2) == CO_ST_OK;
}

struct tg_net *tg_net_open(unsigned int unit)
{
	const struct co_dev_info *info = tg_dev_find(CO_DEV_CONET, unit);
	struct tg_net *n;
	unsigned int i;

	if (!info || unit >= CO_CONET_UNITS || info->nr_queues < 2)
		return NULL;
	n = &nets[unit];
	if (n->open)
		return n;
	n->info = info;
	n->q_tx = info->first_queue;
	n->q_rx = info->first_queue + 1;
	n->tx_buf = tg_page_alloc_perm((BUF_SIZE << TX_LOG2) / PAGE_SIZE);
	n->rx_buf = tg_page_alloc_perm((BUF_SIZE << RX_LOG2) / PAGE_SIZE);
	if (!n->tx_buf || !n->rx_buf || !ring(&n->tx, n->q_tx, TX_LOG2) ||
	    !ring(&n->rx, n->q_rx, RX_LOG2))
		return NULL;
	for (i = 0; i < (1u << RX_LOG2); i++)
		rx_post(n, i);
	co_gring_publish(&n->rx);
	co_guest_doorbell(&tg_g, n->q_rx);
	co_guest_irq_handler(&tg_g, info->irq, on_irq, n);
	co_guest_notify(&tg_g);
	n->open = true;
	return n;
}

const uint8_t *tg_net_mac(const struct tg_net *n)
{
	return n->info->conet.mac;
}

struct tx_wait {
	struct tg_net *n;
	unsigned int slot;
};

static bool tx_done(void *ctx)
{
	struct tx_wait *w = ctx;

	return w->n->tx_done[w->slot];
}

int32_t tg_net_send(struct tg_net *n, const void *frame, size_t len)
{
	struct tx_wait w = { n, n->tx.req_prod & ((1u << TX_LOG2) - 1) };
	struct co_desc *d;
	size_t copy = MIN(len, (size_t)BUF_SIZE);

	/* Synchronous: the previous user of the slot has completed. */
	d = co_gring_reserve(&n->tx);
	if (!d)
		return CO_ST_NOMEM;
	memcpy(n->tx_buf + w.slot * BUF_SIZE, frame, copy);
	co_gring_desc_init(d, w.slot, CO_CONET_TX, 0);
	if (len > BUF_SIZE) {
		/* Oversized on purpose: the rest from the next slot's buffer. */
		co_gring_desc_add_seg(d, tg_virt_to_phys(n->tx_buf + w.slot * BUF_SIZE), BUF_SIZE);
		co_gring_desc_add_seg(d, tg_virt_to_phys(n->tx_buf), (uint32_t)(len - BUF_SIZE));
	} else {
		co_gring_desc_add_seg(d, tg_virt_to_phys(n->tx_buf + w.slot * BUF_SIZE),
				      (uint32_t)len);
	}
	n->tx_done[w.slot] = false;
	co_gring_publish(&n->tx);
	co_guest_doorbell(&tg_g, n->q_tx);
	co_guest_notify(&tg_g);
	if (co_guest_wait_for(&tg_g, tx_done, &w, 10 * NS_PER_S))
		return CO_ST_IOERR;
	return n->tx_status[w.slot];
}

static bool have_frame(void *ctx)
{
	const struct tg_net *n = ctx;

	return n->head != n->tail;
}

int tg_net_recv(struct tg_net *n, void *buf, size_t size, uint64_t deadline)
{
	struct rx_frame *f;
	size_t len;

	if (co_guest_wait(&tg_g, have_frame, n, deadline))
		return -1;
	f = &n->q[n->tail++ % RXQ_LEN];
	len = MIN((size_t)f->len, size);
	memcpy(buf, f->data, len);
	return (int)len;
}

uint64_t tg_net_rx_count(const struct tg_net *n)
{
	return n->rx_frames;
}

/* Completions the host has put in the RX ring that are not reaped yet. */
uint32_t tg_net_rx_ready(const struct tg_net *n)
{
	return co_gring_cpl_ready(&n->rx);
}
