// SPDX-License-Identifier: GPL-2.0
/*
 * co_host_net on QEMU's e1000 (82540EM), polled. A "slirp" back-end of the
 * monitor gets the next free NIC, which qemu-rig/run connects to QEMU's
 * user-mode network (the same libslirp the sim-host uses, with port
 * forwards set on QEMU's command line). The NIC runs promiscuous: the
 * guest's own MAC is in its frames.
 *
 * The receive ring is polled from the VM thread only ([vm]: the frames go
 * straight into conet): after every trip back from the guest, each host
 * tick the guest forwards included, so frames reach a guest that computes
 * with interrupts on within a tick (conet_busy checks it), and while the
 * guest idles (co_host_event_wait). The tick's interrupt handler leaves
 * the ring alone: it may interrupt the VM thread inside conet.
 */
#include "bare.h"
#include <colinux/lib.h>

#define MAX_NICS	4
#define NR_DESC		32		/* 512 bytes of ring: one page */
#define BUF_SIZE	2048

#define REG_CTRL	0x0000
#define REG_STATUS	0x0008
#define REG_IMC		0x00d8
#define REG_RCTL	0x0100
#define REG_TCTL	0x0400
#define REG_TIPG	0x0410
#define REG_RDBAL	0x2800
#define REG_RDBAH	0x2804
#define REG_RDLEN	0x2808
#define REG_RDH		0x2810
#define REG_RDT		0x2818
#define REG_TDBAL	0x3800
#define REG_TDBAH	0x3804
#define REG_TDLEN	0x3808
#define REG_TDH		0x3810
#define REG_TDT		0x3818
#define REG_MTA		0x5200
#define REG_RAL0	0x5400
#define REG_RAH0	0x5404

#define CTRL_SLU	(1u << 6)
#define CTRL_RST	(1u << 26)
#define RCTL_EN		(1u << 1)
#define RCTL_UPE	(1u << 3)
#define RCTL_MPE	(1u << 4)
#define RCTL_BAM	(1u << 15)
#define RCTL_SECRC	(1u << 26)
#define TCTL_EN		(1u << 1)
#define TCTL_PSP	(1u << 3)
#define TX_EOP		0x01
#define TX_IFCS		0x02
#define TX_RS		0x08
#define DESC_DD		0x01
#define RX_EOP		0x02
#define MAX_FRAME	1518

struct rx_desc {
	uint64_t addr;
	uint16_t length, csum;
	uint8_t status, errors;
	uint16_t special;
};

struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};

struct co_host_net {
	volatile uint8_t *mmio;
	uint8_t mac[6];
	struct rx_desc *rx;
	struct tx_desc *tx;
	uint64_t rx_buf_pa[NR_DESC], tx_buf_pa[NR_DESC];
	unsigned int rx_next, tx_next;
	bool open;
	co_net_rx_fn *rx_fn;
	void *ctx;
	uint64_t rx_frames, tx_frames, rx_errors;
};

static struct co_host_net nics[MAX_NICS];
static unsigned int nr_nics;
extern bool bare_net_is_source;

static uint32_t rd(struct co_host_net *n, unsigned int reg)
{
	return *(volatile uint32_t *)(n->mmio + reg);
}

static void wr(struct co_host_net *n, unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(n->mmio + reg) = v;
}

static uint64_t page_pa(void)
{
	uint64_t pfn = pmm_alloc();

	if (!pfn)
		bare_panic("e1000: out of memory");
	__builtin_memset(phys_to_virt(pfn << PAGE_SHIFT), 0, PAGE_SIZE);
	return pfn << PAGE_SHIFT;
}

static void rings_init(struct co_host_net *n)
{
	uint64_t rx_pa = page_pa(), tx_pa = page_pa();
	unsigned int i;

	n->rx = phys_to_virt(rx_pa);
	n->tx = phys_to_virt(tx_pa);
	for (i = 0; i < NR_DESC; i += 2) {
		uint64_t pa = page_pa();

		n->rx_buf_pa[i] = pa;
		n->rx_buf_pa[i + 1] = pa + BUF_SIZE;
		pa = page_pa();
		n->tx_buf_pa[i] = pa;
		n->tx_buf_pa[i + 1] = pa + BUF_SIZE;
	}
	for (i = 0; i < NR_DESC; i++)
		n->rx[i].addr = n->rx_buf_pa[i];
	wr(n, REG_RDBAL, (uint32_t)rx_pa);
	wr(n, REG_RDBAH, (uint32_t)(rx_pa >> 32));
	wr(n, REG_RDLEN, NR_DESC * sizeof(struct rx_desc));
	wr(n, REG_RDH, 0);
	wr(n, REG_RDT, NR_DESC - 1);
	wr(n, REG_TDBAL, (uint32_t)tx_pa);
	wr(n, REG_TDBAH, (uint32_t)(tx_pa >> 32));
	wr(n, REG_TDLEN, NR_DESC * sizeof(struct tx_desc));
	wr(n, REG_TDH, 0);
	wr(n, REG_TDT, 0);
}

static void nic_init(unsigned int bus, unsigned int dev, unsigned int fn)
{
	struct co_host_net *n = &nics[nr_nics];
	uint32_t bar0 = pci_read(bus, dev, fn, 0x10), ral, rah;
	unsigned int i;

	if (bar0 & 1)
		return;		/* expected memory BAR */
	pci_write(bus, dev, fn, 0x04, pci_read(bus, dev, fn, 0x04) | 0x6);
	n->mmio = phys_to_virt(bar0 & ~0xfu);
	wr(n, REG_IMC, ~0u);
	wr(n, REG_CTRL, rd(n, REG_CTRL) | CTRL_RST);
	for (i = 0; i < 1000000 && (rd(n, REG_CTRL) & CTRL_RST); i++)
		cpu_relax();
	wr(n, REG_IMC, ~0u);
	wr(n, REG_CTRL, rd(n, REG_CTRL) | CTRL_SLU);
	ral = rd(n, REG_RAL0);
	rah = rd(n, REG_RAH0);
	for (i = 0; i < 4; i++)
		n->mac[i] = (uint8_t)(ral >> (8 * i));
	n->mac[4] = (uint8_t)rah;
	n->mac[5] = (uint8_t)(rah >> 8);
	for (i = 0; i < 128; i++)
		wr(n, REG_MTA + 4 * i, 0);
	rings_init(n);
	wr(n, REG_RCTL, RCTL_EN | RCTL_UPE | RCTL_MPE | RCTL_BAM | RCTL_SECRC);
	wr(n, REG_TIPG, 10 | (8 << 10) | (6 << 20));
	wr(n, REG_TCTL, TCTL_EN | TCTL_PSP | (0x10 << 4) | (0x40 << 12));
	bare_printf("colinux-bare: e1000 %u at %02x:%02x.%u, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s\n",
		    nr_nics, bus, dev, fn, n->mac[0], n->mac[1], n->mac[2],
		    n->mac[3], n->mac[4], n->mac[5],
		    rd(n, REG_STATUS) & 2 ? "up" : "down");
	nr_nics++;
}

void e1000_init(void)
{
	unsigned int bus, dev, fn;

	while (nr_nics < MAX_NICS && pci_find(0x8086, 0x100e, nr_nics, &bus, &dev, &fn))
		nic_init(bus, dev, fn);
}

static void rx_poll(struct co_host_net *n)
{
	unsigned int budget = NR_DESC;

	while (budget--) {
		struct rx_desc *d = &n->rx[n->rx_next];
		uint8_t status = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

		if (!(status & DESC_DD))
			break;
		if ((status & RX_EOP) && !d->errors && d->length <= BUF_SIZE) {
			n->rx_frames++;
			n->rx_fn(n->ctx, phys_to_virt(n->rx_buf_pa[n->rx_next]),
				 d->length);
		} else {
			n->rx_errors++;
		}
		d->status = 0;
		wr(n, REG_RDT, n->rx_next);
		n->rx_next = (n->rx_next + 1) % NR_DESC;
	}
}

void net_poll_all(void)
{
	unsigned int i;

	for (i = 0; i < nr_nics; i++) {
		if (nics[i].open)
			rx_poll(&nics[i]);
	}
}

int co_host_net_open(const struct co_host_net_config *cfg, co_net_rx_fn *rx,
		     void *ctx, struct co_host_net **out)
{
	unsigned int i;

	if (co_strcmp(cfg->kind, "slirp"))
		return -CO_ENOTSUP;
	for (i = 0; i < nr_nics; i++) {
		if (!nics[i].open)
			break;
	}
	if (i == nr_nics) {
		co_err("net: no e1000 left for eth%u (qemu-rig/run adds one per slirp unit)",
		       cfg->unit);
		return -CO_ENOENT;
	}
	nics[i].open = true;
	nics[i].rx_fn = rx;
	nics[i].ctx = ctx;
	bare_net_is_source = true;
	*out = &nics[i];
	return 0;
}

int co_host_net_send(struct co_host_net *n, const void *frame, size_t len)
{
	struct tx_desc *d = &n->tx[n->tx_next];
	unsigned int spins = 0;

	if (len > MAX_FRAME)
		return -CO_EINVAL;
	/* The slot's last use must be done before we reuse its buffer. */
	while (d->cmd && !(__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & DESC_DD)) {
		if (++spins > 10000000)
			return -CO_EIO;
		cpu_relax();
	}
	co_memcpy(phys_to_virt(n->tx_buf_pa[n->tx_next]), frame, len);
	d->addr = n->tx_buf_pa[n->tx_next];
	d->length = (uint16_t)len;
	d->status = 0;
	d->cmd = TX_EOP | TX_IFCS | TX_RS;
	n->tx_next = (n->tx_next + 1) % NR_DESC;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(n, REG_TDT, n->tx_next);
	n->tx_frames++;
	return 0;
}

void co_host_net_poll(struct co_host_net *n)
{
	rx_poll(n);
}

void co_host_net_close(struct co_host_net *n)
{
	unsigned int i;

	n->open = false;
	n->rx_fn = NULL;
	bare_net_is_source = false;
	for (i = 0; i < nr_nics; i++)
		bare_net_is_source |= nics[i].open;
}
