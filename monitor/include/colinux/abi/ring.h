/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared-memory request rings, one per device queue. docs/protocol.md,
 * section "Rings".
 *
 * A ring lives in guest RAM at a page-aligned guest-physical address the
 * guest hands over with CO_OP_QUEUE_SETUP:
 *
 *	struct co_ring_ctl			64 bytes
 *	struct co_desc req[n]			64 bytes each
 *	struct co_cpl  cpl[n]			16 bytes each
 *
 * n is a power of two. All four indices run freely and wrap at 2^32; slot
 * = index & (n - 1). The guest publishes requests by writing req[] and
 * then req_prod; it rings the queue's doorbell bit and, when it wants the
 * host to look now, switches with CO_OP_NOTIFY. The host consumes any
 * number of requests per switch, writes cpl[] and then cpl_prod, and raises
 * the device's interrupt line.
 */
#ifndef COLINUX_ABI_RING_H
#define COLINUX_ABI_RING_H

#include "types.h"

#define CO_RING_MIN_LOG2	0
#define CO_RING_MAX_LOG2	10	/* 1024 entries */

struct co_ring_ctl {
	uint32_t req_prod;	/* guest: requests published */
	uint32_t req_cons;	/* host: requests taken */
	uint32_t cpl_prod;	/* host: completions published */
	uint32_t cpl_cons;	/* guest: completions consumed */
	uint32_t flags;
	uint32_t reserved[11];
};
CO_ABI_SIZE(co_ring_ctl, 64);
CO_ABI_OFFSET(co_ring_ctl, req_prod, 0);
CO_ABI_OFFSET(co_ring_ctl, req_cons, 4);
CO_ABI_OFFSET(co_ring_ctl, cpl_prod, 8);
CO_ABI_OFFSET(co_ring_ctl, cpl_cons, 12);

/* A piece of a guest buffer. Must lie inside guest RAM. */
struct co_seg {
	uint64_t gpa;
	uint32_t len;
	uint32_t reserved;
};
CO_ABI_SIZE(co_seg, 16);

#define CO_DESC_INLINE_SEGS	2
#define CO_DESC_MAX_SEGS	256
#define CO_DESC_MAX_BYTES	(4u << 20)	/* all segments together */

/* co_desc.flags */
#define CO_DESC_F_INDIRECT	0x1	/* seg[0] = table of nseg co_seg */

struct co_desc {
	uint64_t id;		/* guest cookie, echoed in the completion */
	uint16_t op;		/* device operation */
	uint16_t nseg;
	uint32_t flags;
	uint64_t arg;		/* device argument (cobd: first sector) */
	struct co_seg seg[CO_DESC_INLINE_SEGS];
	uint64_t arg2;		/* second argument (cobd discard: sectors) */
};
CO_ABI_SIZE(co_desc, 64);
CO_ABI_OFFSET(co_desc, op, 8);
CO_ABI_OFFSET(co_desc, nseg, 10);
CO_ABI_OFFSET(co_desc, flags, 12);
CO_ABI_OFFSET(co_desc, arg, 16);
CO_ABI_OFFSET(co_desc, seg, 24);
CO_ABI_OFFSET(co_desc, arg2, 56);

struct co_cpl {
	uint64_t id;
	int32_t status;		/* enum co_status */
	uint32_t len;		/* bytes transferred */
};
CO_ABI_SIZE(co_cpl, 16);

static inline uint64_t co_ring_bytes(unsigned int log2)
{
	return sizeof(struct co_ring_ctl) +
	       ((uint64_t)1 << log2) * (sizeof(struct co_desc) + sizeof(struct co_cpl));
}

static inline uint64_t co_ring_req_offset(uint32_t slot)
{
	return sizeof(struct co_ring_ctl) + (uint64_t)slot * sizeof(struct co_desc);
}

static inline uint64_t co_ring_cpl_offset(unsigned int log2, uint32_t slot)
{
	return sizeof(struct co_ring_ctl) +
	       ((uint64_t)1 << log2) * sizeof(struct co_desc) +
	       (uint64_t)slot * sizeof(struct co_cpl);
}

#endif
