// SPDX-License-Identifier: GPL-2.0
/*
 * conet: a paravirtual Ethernet device. Queue TX carries frames from the
 * guest, queue RX carries empty buffers the host fills with frames for the
 * guest. The back-end (slirp from the host, or the portable pcap writer
 * and loopback pair) sits behind struct co_conet_port.
 *
 * Frames for the guest that find no posted buffer wait in a small backlog
 * and go out when the guest rings the RX doorbell; past its bound they are
 * dropped, as a real NIC drops on a full receive ring.
 */
#include "internal/device.h"
#include <colinux/lib.h>
#include "internal/vm.h"
#include "conet.h"

#define CONET_MTU	1500
#define CONET_BACKLOG	64
#define CONET_TXQ	0
#define CONET_RXQ	1

struct conet_frame {
	uint16_t len;
	uint8_t data[CO_CONET_MAX_FRAME];
};

struct conet {
	struct co_device dev;
	struct co_conet_port *port;
	struct co_conet_stats st;
	struct co_conet_xstats xst;
	/* Separate scratch for each direction: slirp may answer a frame
	 * (ARP) from inside send, re-entering rx while TX is busy. */
	struct co_request tx_req;
	struct co_request rx_req;
	uint8_t tx_buf[CO_CONET_MAX_FRAME];
	unsigned int bl_head;
	unsigned int bl_count;
	struct conet_frame backlog[CONET_BACKLOG];
};

static const struct co_device_ops conet_ops;

static struct conet *to_conet(struct co_device *dev)
{
	return dev->priv;
}

/*
 * Put one frame into the next posted RX buffer. Returns -CO_EBUSY when
 * the guest has posted none (the frame is still the caller's), 0 when the
 * frame is gone (delivered or dropped).
 */
static int rx_deliver(struct conet *c, const void *frame, size_t len)
{
	struct co_queue *q = &c->dev.queue[CONET_RXQ];
	struct co_request *r = &c->rx_req;
	int ret;

	for (;;) {
		if (!q->ready)
			return -CO_EBUSY;
		ret = co_queue_pop(q, r);
		if (ret == 0)
			return -CO_EBUSY;
		if (ret < 0) {
			/* Broken ring: the VM is stopping. */
			c->st.rx_dropped_nobuf++;
			return 0;
		}
		if (r->op == CO_CONET_RX)
			break;
		co_queue_complete(q, r->id, CO_ST_NOTSUP, 0);
	}
	if (r->total < len) {
		c->xst.rx_dropped_toobig++;
		co_queue_complete(q, r->id, CO_ST_TOOBIG, 0);
		return 0;
	}
	ret = co_request_write(q, r, 0, frame, len);
	if (ret) {
		c->xst.rx_dropped_toobig++;
		co_queue_complete(q, r->id, CO_ST_FAULT, 0);
		return 0;
	}
	c->st.rx_frames++;
	c->st.rx_bytes += len;
	co_queue_complete(q, r->id, CO_ST_OK, (uint32_t)len);
	return 0;
}

static void rx_flush_backlog(struct conet *c)
{
	struct conet_frame *f;

	while (c->bl_count) {
		f = &c->backlog[c->bl_head];
		if (rx_deliver(c, f->data, f->len))
			return;
		c->bl_head = (c->bl_head + 1) % CONET_BACKLOG;
		c->bl_count--;
	}
}

/* A frame for the guest, from the back-end. [vm] */
static void conet_rx(void *ctx, const void *frame, size_t len)
{
	struct conet *c = ctx;
	struct conet_frame *f;

	if (len < CO_CONET_MIN_FRAME || len > CO_CONET_MAX_FRAME) {
		c->xst.rx_dropped_bad++;
		return;
	}
	/*
	 * Older frames go first: drain the backlog into whatever the guest
	 * has posted (it may not have rung), and bypass it only when empty.
	 */
	rx_flush_backlog(c);
	if (!c->bl_count && !rx_deliver(c, frame, len))
		return;
	if (c->bl_count == CONET_BACKLOG) {
		c->st.rx_dropped_nobuf++;
		return;
	}
	f = &c->backlog[(c->bl_head + c->bl_count) % CONET_BACKLOG];
	f->len = (uint16_t)len;
	co_memcpy(f->data, frame, len);
	c->bl_count++;
}

/* Check one TX request and pass its frame on; returns the status. */
static int32_t tx_one(struct conet *c, struct co_queue *q,
		      const struct co_request *r, uint32_t *done)
{
	uint64_t total = r->total;
	size_t len;

	*done = 0;
	if (r->op != CO_CONET_TX)
		return CO_ST_NOTSUP;
	if (total < CO_CONET_MIN_FRAME) {
		c->st.tx_dropped_malformed++;
		return CO_ST_INVAL;
	}
	if (total > CO_CONET_MAX_FRAME) {
		c->st.tx_dropped_oversize++;
		return CO_ST_TOOBIG;
	}
	len = (size_t)total;
	if (co_request_read(q, r, 0, c->tx_buf, len)) {
		c->st.tx_dropped_malformed++;
		return CO_ST_FAULT;
	}
	/* A group address is never a valid source (802.3 clause 3.2.3). */
	if (c->tx_buf[6] & 1) {
		c->st.tx_dropped_malformed++;
		return CO_ST_INVAL;
	}
	c->st.tx_frames++;
	c->st.tx_bytes += len;
	/* Ethernet is lossy: a back-end failure is counted, not reported. */
	if (c->port->ops->send(c->port, c->tx_buf, len) < 0)
		c->xst.tx_lost++;
	*done = (uint32_t)len;
	return CO_ST_OK;
}

static int tx_process(struct conet *c, struct co_queue *q)
{
	struct co_request *r = &c->tx_req;
	uint32_t len;
	int32_t st;
	int ret;

	while ((ret = co_queue_pop(q, r)) == 1) {
		st = tx_one(c, q, r, &len);
		co_queue_complete(q, r->id, st, len);
	}
	return ret < 0 ? ret : 0;
}

static int conet_process(struct co_device *dev, struct co_queue *q)
{
	struct conet *c = to_conet(dev);

	if (q == &dev->queue[CONET_TXQ])
		return tx_process(c, q);
	if (q == &dev->queue[CONET_RXQ])
		rx_flush_backlog(c);
	return 0;
}

static void conet_poll(struct co_device *dev)
{
	struct conet *c = to_conet(dev);

	if (c->port->ops->poll)
		c->port->ops->poll(c->port);
}

static uint64_t conet_next_deadline(struct co_device *dev)
{
	struct conet *c = to_conet(dev);

	if (c->port->ops->pending && c->port->ops->pending(c->port))
		return 0;
	return CO_NO_DEADLINE;
}

static void conet_reset(struct co_device *dev)
{
	struct conet *c = to_conet(dev);

	/* Frames for the old guest mean nothing to the new one. */
	c->bl_head = 0;
	c->bl_count = 0;
}

static void conet_destroy(struct co_device *dev)
{
	struct conet *c = to_conet(dev);

	c->port->ops->close(c->port);
	co_host_free(c);
}

static const struct co_device_ops conet_ops = {
	.name		= "conet",
	.process	= conet_process,
	.poll		= conet_poll,
	.next_deadline	= conet_next_deadline,
	.reset		= conet_reset,
	.destroy	= conet_destroy,
};

/* ---- slirp: the host's user-mode NAT behind the port seam ------------ */

struct slirp_port {
	struct co_conet_port port;
	struct co_host_net *net;
};

static int slirp_send(struct co_conet_port *p, const void *frame, size_t len)
{
	struct slirp_port *s = (struct slirp_port *)p;

	return co_host_net_send(s->net, frame, len);
}

static void slirp_poll(struct co_conet_port *p)
{
	struct slirp_port *s = (struct slirp_port *)p;

	co_host_net_poll(s->net);
}

static void slirp_close(struct co_conet_port *p)
{
	struct slirp_port *s = (struct slirp_port *)p;

	co_host_net_close(s->net);
	co_host_free(s);
}

static const struct co_conet_port_ops slirp_port_ops = {
	.send	= slirp_send,
	.poll	= slirp_poll,
	.close	= slirp_close,
};

static int slirp_open(struct conet *c, unsigned int unit,
		      const struct co_conet_config *cfg, const uint8_t mac[6],
		      struct co_conet_port **out)
{
	struct co_host_net_config hc;
	struct slirp_port *s;
	unsigned int i;
	int err;

	co_memset(&hc, 0, sizeof(hc));
	hc.kind = "slirp";
	hc.unit = unit;
	co_memcpy(hc.mac, mac, 6);
	hc.nr_forwards = CO_MIN(cfg->nr_forwards,
				(unsigned int)CO_ARRAY_SIZE(hc.forward));
	for (i = 0; i < hc.nr_forwards; i++) {
		hc.forward[i].udp = cfg->forward[i].udp;
		hc.forward[i].host_port = cfg->forward[i].host_port;
		hc.forward[i].guest_port = cfg->forward[i].guest_port;
	}
	s = co_host_zalloc(sizeof(*s));
	if (!s)
		return -CO_ENOMEM;
	s->port.ops = &slirp_port_ops;
	err = co_host_net_open(&hc, conet_rx, c, &s->net);
	if (err) {
		co_host_free(s);
		return err;
	}
	*out = &s->port;
	return 0;
}

/* ---- construction ---------------------------------------------------- */

/* The loop peer queued a frame: wake our VM so its poll runs. [any] */
static void conet_notify(void *ctx)
{
	struct conet *c = ctx;

	if (c->dev.vm && c->dev.vm->wake)
		co_host_event_signal(c->dev.vm->wake);
}

static int port_open(struct conet *c, unsigned int unit,
		     const struct co_conet_config *cfg, const uint8_t mac[6])
{
	switch (cfg->kind) {
	case CO_NET_SLIRP:
		return slirp_open(c, unit, cfg, mac, &c->port);
	case CO_NET_PCAP:
		if (!cfg->path || !cfg->path[0])
			return -CO_EINVAL;
		return co_conet_pcap_open(cfg->path, &c->port);
	case CO_NET_LOOP:
		if (!cfg->path || !cfg->path[0])
			return -CO_EINVAL;
		return co_conet_loop_open(cfg->path, conet_rx, conet_notify, c,
					  &c->port);
	default:
		return -CO_EINVAL;
	}
}

int co_conet_create(struct co_vm *vm, unsigned int unit,
		    const struct co_conet_config *cfg, struct co_device **out)
{
	uint8_t mac[6];
	struct conet *c;
	int err;

	if (!vm || !cfg || !out || unit >= CO_CONET_UNITS)
		return -CO_EINVAL;
	if (cfg->mac_set)
		co_memcpy(mac, cfg->mac, sizeof(mac));
	else
		co_config_default_mac(unit, mac);
	c = co_host_zalloc(sizeof(*c));
	if (!c)
		return -CO_ENOMEM;
	c->dev.vm = vm;
	/* The back-end first: nothing is bound to the VM until it works. */
	err = port_open(c, unit, cfg, mac);
	if (err) {
		co_err("conet%u: cannot open %s back-end: %s", unit,
		       cfg->kind == CO_NET_SLIRP ? "slirp" :
		       cfg->kind == CO_NET_PCAP ? "pcap" :
		       cfg->kind == CO_NET_LOOP ? "loop" : "unknown",
		       co_strerror(err));
		co_host_free(c);
		return err;
	}
	co_device_init(&c->dev, vm, &conet_ops, CO_DEV_CONET, unit,
		       CO_IRQ_CONET(unit), CO_QUEUE_CONET_TX(unit), 2);
	c->dev.priv = c;
	co_memcpy(c->dev.info.conet.mac, mac, sizeof(mac));
	c->dev.info.conet.mtu = CONET_MTU;
	*out = &c->dev;
	return 0;
}

void co_conet_stats(struct co_device *net, struct co_conet_stats *st)
{
	co_memset(st, 0, sizeof(*st));
	if (net && net->ops == &conet_ops)
		*st = to_conet(net)->st;
}

void co_conet_xstats(struct co_device *net, struct co_conet_xstats *st)
{
	struct conet *c;

	co_memset(st, 0, sizeof(*st));
	if (!net || net->ops != &conet_ops)
		return;
	c = to_conet(net);
	*st = c->xst;
	st->rx_backlog = c->bl_count;
}
