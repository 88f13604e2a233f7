// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of a device request ring. See co_gring.h.
 *
 * The guest owns req_prod and cpl_cons; it keeps private copies of them
 * and only ever writes the shared ones. The host's cpl_prod is read with
 * acquire semantics so the completion slots it covers are read after it.
 */
#include "co_gring.h"

static uint32_t load_shared(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_shared(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

uint64_t co_gring_bytes(unsigned int log2)
{
	return co_ring_bytes(log2);
}

int co_gring_init(struct co_gring *r, void *va, uint64_t gpa,
		  unsigned int log2)
{
	uint8_t *base = va;

	if (!va || log2 > CO_RING_MAX_LOG2)
		return -1;
	__builtin_memset(va, 0, co_ring_bytes(log2));
	r->ctl = va;
	r->req = (struct co_desc *)(base + co_ring_req_offset(0));
	r->cpl = (struct co_cpl *)(base + co_ring_cpl_offset(log2, 0));
	r->gpa = gpa;
	r->log2 = log2;
	r->size = 1u << log2;
	r->req_prod = 0;
	r->req_pub = 0;
	r->cpl_cons = 0;
	return 0;
}

uint32_t co_gring_free(const struct co_gring *r)
{
	return r->size - (r->req_prod - r->cpl_cons);
}

struct co_desc *co_gring_reserve(struct co_gring *r)
{
	struct co_desc *d;

	if (!co_gring_free(r))
		return NULL;
	d = &r->req[r->req_prod & (r->size - 1)];
	__builtin_memset(d, 0, sizeof(*d));
	r->req_prod++;
	return d;
}

int co_gring_push(struct co_gring *r, const struct co_desc *d)
{
	struct co_desc *slot = co_gring_reserve(r);

	if (!slot)
		return -1;
	*slot = *d;
	return 0;
}

void co_gring_publish(struct co_gring *r)
{
	if (r->req_pub == r->req_prod)
		return;
	/* Descriptors before the index that covers them. */
	CO_GRING_WMB();
	store_shared(&r->ctl->req_prod, r->req_prod);
	r->req_pub = r->req_prod;
}

uint32_t co_gring_cpl_ready(const struct co_gring *r)
{
	uint32_t n = load_shared(&r->ctl->cpl_prod) - r->cpl_cons;

	/* A host never runs ahead of what we reserved; be safe anyway. */
	if (n > r->req_prod - r->cpl_cons)
		return 0;
	return n;
}

int co_gring_reap(struct co_gring *r, struct co_cpl *out)
{
	if (!co_gring_cpl_ready(r))
		return 0;
	CO_GRING_RMB();
	*out = r->cpl[r->cpl_cons & (r->size - 1)];
	r->cpl_cons++;
	/* Release: the slot was read before the host may reuse it. */
	store_shared(&r->ctl->cpl_cons, r->cpl_cons);
	return 1;
}

bool co_gring_host_behind(const struct co_gring *r)
{
	return load_shared(&r->ctl->req_cons) != r->req_pub;
}

void co_gring_desc_init(struct co_desc *d, uint64_t id, uint16_t op,
			uint64_t arg)
{
	__builtin_memset(d, 0, sizeof(*d));
	d->id = id;
	d->op = op;
	d->arg = arg;
}

int co_gring_desc_add_seg(struct co_desc *d, uint64_t gpa, uint32_t len)
{
	if ((d->flags & CO_DESC_F_INDIRECT) || d->nseg >= CO_DESC_INLINE_SEGS)
		return -1;
	d->seg[d->nseg].gpa = gpa;
	d->seg[d->nseg].len = len;
	d->seg[d->nseg].reserved = 0;
	d->nseg++;
	return 0;
}

int co_gring_desc_indirect(struct co_desc *d, uint64_t table_gpa,
			   unsigned int nseg)
{
	if (!nseg || nseg > CO_DESC_MAX_SEGS)
		return -1;
	d->flags |= CO_DESC_F_INDIRECT;
	d->nseg = (uint16_t)nseg;
	d->seg[0].gpa = table_gpa;
	d->seg[0].len = nseg * (uint32_t)sizeof(struct co_seg);
	d->seg[0].reserved = 0;
	d->seg[1].gpa = 0;
	d->seg[1].len = 0;
	d->seg[1].reserved = 0;
	return 0;
}
