/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the conet tests: a scripted guest driving conet units through
 * the guest ring library, and frame builders.
 */
#ifndef TEST_CONET_COMMON_H
#define TEST_CONET_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "co_gring.h"
#include "internal/vm.h"
#include "devices/conet.h"
#include <sim/sim.h>

#define RIG_LOG2	5
#define RIG_SLOTS	(1u << RIG_LOG2)
#define RIG_UNITS	3
#define RX_FILL		0xee	/* RX buffers start with this, to see overruns */

struct gnet {
	unsigned int unit;
	struct co_gring tx, rx;
	uint64_t tx_buf[RIG_SLOTS];	/* one page per slot */
	uint64_t rx_buf[RIG_SLOTS];
	uint64_t tx_seq;
};

struct rig;
/* One guest entry after the rings are set up; must set the next op. */
typedef void rig_body_fn(struct rig *r, unsigned int step);

struct rig {
	struct co_test_guest *g;
	unsigned int nr;
	struct gnet net[RIG_UNITS];
	rig_body_fn *body;
	void *ctx;
};

static inline void rig_step(struct co_test_guest *g, unsigned int entry)
{
	struct rig *r = g->ctx;
	unsigned int nsetup = 2 * r->nr;
	struct gnet *n;

	if (entry >= 1 && entry <= nsetup)
		assert_int_equal(g->sh->result, CO_ST_OK);
	if (entry >= nsetup) {
		r->body(r, entry - nsetup);
		return;
	}
	n = &r->net[entry / 2];
	if (entry % 2 == 0) {
		co_test_unmask(g, CO_IRQ_CONET(n->unit));
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_CONET_TX(n->unit),
			   n->tx.gpa, RIG_LOG2);
	} else {
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_CONET_RX(n->unit),
			   n->rx.gpa, RIG_LOG2);
	}
}

static inline void gnet_init(struct co_test_guest *g, struct gnet *n,
			     unsigned int unit)
{
	uint64_t gpa;
	unsigned int i;

	n->unit = unit;
	gpa = co_test_scratch_gpa(g, 4096);
	assert_int_equal(co_gring_init(&n->tx, co_test_gpa_ptr(g, gpa), gpa,
				       RIG_LOG2), 0);
	gpa = co_test_scratch_gpa(g, 4096);
	assert_int_equal(co_gring_init(&n->rx, co_test_gpa_ptr(g, gpa), gpa,
				       RIG_LOG2), 0);
	for (i = 0; i < RIG_SLOTS; i++) {
		n->tx_buf[i] = co_test_scratch_gpa(g, 4096);
		n->rx_buf[i] = co_test_scratch_gpa(g, 4096);
	}
}

/* Boot a VM with @args whose first @nr conet units the guest drives. */
static inline int rig_boot(struct rig *r, const char *const *args,
			   unsigned int nr, rig_body_fn *body, void *ctx)
{
	unsigned int i;
	int err;

	memset(r, 0, sizeof(*r));
	r->nr = nr;
	r->body = body;
	r->ctx = ctx;
	err = co_test_boot(args, rig_step, r, &r->g);
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		gnet_init(r->g, &r->net[i], i);
	return 0;
}

static inline struct co_device *rig_dev(struct rig *r, unsigned int unit)
{
	struct co_device *d = co_vm_device(r->g->vm, CO_DEV_CONET, unit);

	assert_non_null(d);
	return d;
}

/* Queue one TX request carrying @frame (no segment when @len is 0). */
static inline uint64_t g_tx(struct rig *r, unsigned int u, const void *frame,
			    size_t len)
{
	struct gnet *n = &r->net[u];
	uint32_t slot = n->tx.req_prod & (RIG_SLOTS - 1);
	struct co_desc *d = co_gring_reserve(&n->tx);

	assert_non_null(d);
	assert_true(len <= 4096);
	co_gring_desc_init(d, ++n->tx_seq, CO_CONET_TX, 0);
	if (len) {
		memcpy(co_test_gpa_ptr(r->g, n->tx_buf[slot]), frame, len);
		assert_int_equal(co_gring_desc_add_seg(d, n->tx_buf[slot],
						       (uint32_t)len), 0);
	}
	return n->tx_seq;
}

static inline void g_tx_kick(struct rig *r, unsigned int u)
{
	co_gring_publish(&r->net[u].tx);
	co_test_doorbell(r->g, CO_QUEUE_CONET_TX(r->net[u].unit));
}

/* Post an empty RX buffer of @size bytes; its id is its address. */
static inline uint64_t g_rx_post_op(struct rig *r, unsigned int u,
				    uint32_t size, uint16_t op)
{
	struct gnet *n = &r->net[u];
	uint32_t slot = n->rx.req_prod & (RIG_SLOTS - 1);
	struct co_desc *d = co_gring_reserve(&n->rx);

	assert_non_null(d);
	memset(co_test_gpa_ptr(r->g, n->rx_buf[slot]), RX_FILL, 4096);
	co_gring_desc_init(d, n->rx_buf[slot], op, 0);
	assert_int_equal(co_gring_desc_add_seg(d, n->rx_buf[slot], size), 0);
	return n->rx_buf[slot];
}

static inline uint64_t g_rx_post(struct rig *r, unsigned int u, uint32_t size)
{
	return g_rx_post_op(r, u, size, CO_CONET_RX);
}

static inline void g_rx_kick(struct rig *r, unsigned int u)
{
	co_gring_publish(&r->net[u].rx);
	co_test_doorbell(r->g, CO_QUEUE_CONET_RX(r->net[u].unit));
}

static inline unsigned int g_reap(struct co_gring *ring, struct co_cpl *out,
				  unsigned int max)
{
	unsigned int n = 0;

	while (n < max && co_gring_reap(ring, &out[n]))
		n++;
	return n;
}

/* The frame an RX completion delivered must be @frame, and no more. */
static inline void g_rx_check(struct rig *r, const struct co_cpl *c,
			      const void *frame, size_t len)
{
	uint8_t *got = co_test_gpa_ptr(r->g, c->id);

	assert_int_equal(c->status, CO_ST_OK);
	assert_int_equal(c->len, len);
	assert_memory_equal(got, frame, len);
	if (len < 4096)
		assert_int_equal(got[len], RX_FILL);
}

/* ---- frames ----------------------------------------------------------- */

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* An Ethernet frame of @len bytes (>= 14) with a seeded payload. */
static inline void make_frame(uint8_t *f, size_t len, const uint8_t dst[6],
			      const uint8_t src[6], uint16_t type,
			      unsigned int seed)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = type >> 8;
	f[13] = type & 0xff;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static inline void mac_of_unit(unsigned int unit, uint8_t mac[6])
{
	co_config_default_mac(unit, mac);
}

/* ---- a test-owned loop end: the far side of a unit's wire ------------- */

#define WIRE_MAX	160

struct wire {
	struct co_conet_port *port;
	unsigned int nframes;
	unsigned int notified;
	size_t len[WIRE_MAX];
	uint8_t frame[WIRE_MAX][CO_CONET_MAX_FRAME];
};

static inline void wire_rx(void *ctx, const void *frame, size_t len)
{
	struct wire *w = ctx;

	assert_true(w->nframes < WIRE_MAX);
	assert_true(len <= CO_CONET_MAX_FRAME);
	memcpy(w->frame[w->nframes], frame, len);
	w->len[w->nframes++] = len;
}

static inline void wire_notify(void *ctx)
{
	struct wire *w = ctx;

	__atomic_add_fetch(&w->notified, 1, __ATOMIC_SEQ_CST);
}

static inline struct wire *wire_open(const char *name)
{
	struct wire *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	assert_int_equal(co_conet_loop_open(name, wire_rx, wire_notify, w,
					    &w->port), 0);
	return w;
}

static inline int wire_send(struct wire *w, const void *frame, size_t len)
{
	return w->port->ops->send(w->port, frame, len);
}

static inline void wire_poll(struct wire *w)
{
	w->port->ops->poll(w->port);
}

static inline void wire_close(struct wire *w)
{
	w->port->ops->close(w->port);
	free(w);
}

static inline int conet_test_setup(void **state)
{
	co_sim_reset();
	return 0;
}

static inline int conet_test_teardown(void **state)
{
	uint64_t leaks = co_sim_leak_check();

	co_sim_reset();
	return leaks ? -1 : 0;
}

#endif
