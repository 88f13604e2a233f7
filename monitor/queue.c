// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the shared-memory request rings (see abi/ring.h).
 *
 * The ring lives in guest RAM, so the guest may change any byte of it at
 * any time. The host therefore keeps its own indices (req_cons, cpl_prod)
 * and only ever reads the guest's two (req_prod, cpl_cons), each once per
 * decision, into a local that is checked against the ring size before use.
 * Descriptors and indirect tables are copied out of guest memory once and
 * only the copy is validated and used.
 *
 * Set-up contract: CO_OP_QUEUE_SETUP zeroes the ring's control block and
 * starts both host indices at 0. A guest must therefore not publish
 * requests before the set-up has returned; it starts with req_prod and
 * cpl_cons at 0, like the host. Descriptor and completion slots are the
 * guest's and are left alone.
 *
 * Flow control: a request is taken only while the completion ring has room
 * for every request taken and not yet consumed by the guest, so a taken
 * request can always be completed. When the guest stops consuming, the host
 * stops taking; the guest rings the doorbell again after it has made room.
 */
#include <colinux/lib.h>
#include "internal/queue.h"
#include "internal/vm.h"

#define CTL_OFF(field)	__builtin_offsetof(struct co_ring_ctl, field)

static struct co_ram *queue_ram(struct co_queue *q)
{
	return &q->vm->ram;
}

static int broken(struct co_queue *q, const char *what)
{
	co_vm_terminate(q->vm, CO_TERM_PROTOCOL, 0, "queue %u: %s", q->id, what);
	return -CO_EPROTO;
}

static int bad_index(struct co_queue *q, const char *name, uint32_t val,
		     const char *ref_name, uint32_t ref)
{
	co_vm_terminate(q->vm, CO_TERM_PROTOCOL, 0,
			"queue %u: %s %u is not within %u entries ahead of %s %u",
			q->id, name, val, q->size, ref_name, ref);
	return -CO_EPROTO;
}

/*
 * The control block is 64 bytes at a page-aligned address, so each index
 * sits inside one mapped page and is accessed with a single aligned load or
 * store.
 */
static bool ctl_peek(struct co_queue *q, size_t off, uint32_t *val)
{
	uint64_t gpa = q->gpa + off;
	size_t avail = 0;
	uint32_t *p;

	p = co_ram_map(queue_ram(q), gpa, sizeof(*p), &avail);
	if (!p || avail < sizeof(*p))
		return false;
	/* Acquire: the slots the index covers are read after it. */
	*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	co_ram_unmap(queue_ram(q), p, gpa);
	return true;
}

static int ctl_load(struct co_queue *q, size_t off, uint32_t *val)
{
	if (!ctl_peek(q, off, val))
		return broken(q, "ring control block not mappable");
	return 0;
}

static int ctl_store(struct co_queue *q, size_t off, uint32_t val)
{
	uint64_t gpa = q->gpa + off;
	size_t avail = 0;
	uint32_t *p;

	p = co_ram_map(queue_ram(q), gpa, sizeof(*p), &avail);
	if (!p || avail < sizeof(*p))
		return broken(q, "ring control block not mappable");
	/* Release: the slots written before are visible first. */
	__atomic_store_n(p, val, __ATOMIC_RELEASE);
	co_ram_unmap(queue_ram(q), p, gpa);
	return 0;
}

void co_queue_reset(struct co_queue *q)
{
	q->ready = false;
	q->gpa = 0;
	q->log2 = 0;
	q->size = 0;
	q->req_cons = 0;
	q->cpl_prod = 0;
}

int co_queue_setup(struct co_queue *q, uint64_t gpa, unsigned int log2)
{
	int err;

	if (!gpa && !log2) {
		co_queue_reset(q);
		return 0;
	}
	if (!CO_IS_ALIGNED(gpa, CO_PAGE_SIZE))
		return -CO_EINVAL;
	if (log2 > CO_RING_MAX_LOG2 || (int)log2 < CO_RING_MIN_LOG2)
		return -CO_EINVAL;
	if (!co_ram_contains(queue_ram(q), gpa, co_ring_bytes(log2)))
		return -CO_EFAULT;

	err = co_ram_fill(queue_ram(q), gpa, 0, sizeof(struct co_ring_ctl));
	if (err)
		return err;
	q->gpa = gpa;
	q->log2 = log2;
	q->size = 1u << log2;
	q->req_cons = 0;
	q->cpl_prod = 0;
	q->ready = true;
	return 0;
}

/* Requests published and not taken; -CO_EPROTO if the index is absurd. */
static int ring_pending(struct co_queue *q, uint32_t *pending)
{
	uint32_t req_prod;
	int err;

	err = ctl_load(q, CTL_OFF(req_prod), &req_prod);
	if (err)
		return err;
	if (req_prod - q->req_cons > q->size)
		return bad_index(q, "req_prod", req_prod, "req_cons",
				 q->req_cons);
	*pending = req_prod - q->req_cons;
	return 0;
}

/* May one more request be taken: will its completion have a slot? */
static int ring_room(struct co_queue *q, bool *room)
{
	uint32_t cpl_cons;
	int err;

	err = ctl_load(q, CTL_OFF(cpl_cons), &cpl_cons);
	if (err)
		return err;
	if (q->cpl_prod - cpl_cons > q->size)
		return bad_index(q, "cpl_prod", q->cpl_prod, "cpl_cons",
				 cpl_cons);
	/*
	 * Taken-but-unconsumed requests, counted from the guest's cpl_cons;
	 * a guest that moved cpl_cons backwards just gets no more service.
	 */
	*room = q->req_cons - cpl_cons < q->size;
	return 0;
}

uint32_t co_queue_pending(struct co_queue *q)
{
	uint32_t req_prod;

	if (!q->ready || !ctl_peek(q, CTL_OFF(req_prod), &req_prod))
		return 0;
	if (req_prod - q->req_cons > q->size)
		return 0;
	return req_prod - q->req_cons;
}

static int32_t check_segs(struct co_queue *q, struct co_request *r)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < r->nseg; i++) {
		const struct co_seg *s = &r->seg[i];

		if (!s->len || s->reserved)
			return CO_ST_INVAL;
		if (!co_ram_contains(queue_ram(q), s->gpa, s->len))
			return CO_ST_FAULT;
		total += s->len;	/* <= 256 * 4 GiB: no overflow */
	}
	if (total > CO_DESC_MAX_BYTES)
		return CO_ST_TOOBIG;
	r->total = total;
	return CO_ST_OK;
}

/* Resolve the segment list of descriptor @d into @r. */
static int32_t load_segs(struct co_queue *q, const struct co_desc *d,
			 struct co_request *r)
{
	uint64_t table_len;

	if (d->nseg > CO_DESC_MAX_SEGS)
		return CO_ST_TOOBIG;
	r->nseg = d->nseg;
	if (!(d->flags & CO_DESC_F_INDIRECT)) {
		if (d->nseg > CO_DESC_INLINE_SEGS)
			return CO_ST_INVAL;
		co_memcpy(r->seg, d->seg, d->nseg * sizeof(d->seg[0]));
		return check_segs(q, r);
	}

	table_len = (uint64_t)d->nseg * sizeof(struct co_seg);
	if (!d->nseg || d->seg[0].len != table_len)
		return CO_ST_INVAL;
	if (!co_ram_contains(queue_ram(q), d->seg[0].gpa, table_len))
		return CO_ST_FAULT;
	if (co_ram_read(queue_ram(q), d->seg[0].gpa, r->seg, table_len))
		return CO_ST_FAULT;
	return check_segs(q, r);
}

/* Copy descriptor @slot out of guest memory and validate the copy. */
static int32_t fetch(struct co_queue *q, uint32_t slot, struct co_request *r)
{
	struct co_desc d;

	if (co_ram_read(queue_ram(q), q->gpa + co_ring_req_offset(slot), &d,
			sizeof(d))) {
		r->id = 0;	/* cannot happen: checked at set-up */
		return CO_ST_FAULT;
	}
	r->id = d.id;
	r->op = d.op;
	r->flags = d.flags;
	r->arg = d.arg;
	r->arg2 = d.arg2;
	r->nseg = 0;
	r->total = 0;
	if (d.flags & ~(uint32_t)CO_DESC_F_INDIRECT)
		return CO_ST_INVAL;
	return load_segs(q, &d, r);
}

int co_queue_pop(struct co_queue *q, struct co_request *req)
{
	uint32_t budget, pending, slot;
	int32_t status;
	bool room;
	int err;

	if (!q->ready)
		return 0;
	/* Each pass consumes a slot, so a ring of bad requests ends. */
	for (budget = q->size; budget; budget--) {
		err = ring_pending(q, &pending);
		if (err)
			return err;
		if (!pending)
			return 0;
		err = ring_room(q, &room);
		if (err)
			return err;
		if (!room)
			return 0;

		slot = q->req_cons & (q->size - 1);
		status = fetch(q, slot, req);
		q->req_cons++;
		err = ctl_store(q, CTL_OFF(req_cons), q->req_cons);
		if (err)
			return err;
		if (status == CO_ST_OK)
			return 1;

		q->rejected++;
		err = co_queue_complete(q, req->id, status, 0);
		if (err)
			return err;
	}
	return 0;
}

int co_queue_complete(struct co_queue *q, uint64_t id, int32_t status,
		      uint32_t len)
{
	struct co_cpl cpl = { .id = id, .status = status, .len = len };
	uint32_t slot;
	int err;

	/* Only requests that were taken can complete. */
	if (!q->ready || q->cpl_prod == q->req_cons)
		return -CO_ESTATE;
	slot = q->cpl_prod & (q->size - 1);
	err = co_ram_write(queue_ram(q), q->gpa + co_ring_cpl_offset(q->log2, slot),
			   &cpl, sizeof(cpl));
	if (err)
		return broken(q, "completion slot not writable");
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->cpl_prod++;
	err = ctl_store(q, CTL_OFF(cpl_prod), q->cpl_prod);
	if (err)
		return err;
	q->completed++;
	q->vm->stats.requests++;
	if (q->dev)
		co_vm_raise_irq(q->vm, q->dev->info.irq);
	return 0;
}

/* Find the segment holding byte @off of the buffer; *@skip = offset in it. */
static int seek(const struct co_request *r, uint64_t off, unsigned int *idx,
		uint64_t *skip)
{
	unsigned int i;

	for (i = 0; i < r->nseg; i++) {
		if (off < r->seg[i].len) {
			*idx = i;
			*skip = off;
			return 0;
		}
		off -= r->seg[i].len;
	}
	return -CO_ERANGE;
}

/*
 * Walk [off, off + len) of the request's buffer page by page, calling
 * @fn on each mapped piece. @fn gets the byte offset from @off.
 */
static int walk(struct co_queue *q, const struct co_request *r, uint64_t off,
		uint64_t len, co_request_chunk_fn *fn, void *ctx)
{
	uint64_t skip, done = 0;
	unsigned int i;
	int err;

	if (off > r->total || len > r->total - off)
		return -CO_ERANGE;
	if (!len)
		return 0;
	err = seek(r, off, &i, &skip);
	if (err)
		return err;
	for (; done < len; i++, skip = 0) {
		uint64_t left = CO_MIN(r->seg[i].len - skip, len - done);
		uint64_t gpa = r->seg[i].gpa + skip;

		while (left) {
			size_t avail = 0;
			void *p = co_ram_map(queue_ram(q), gpa, left, &avail);

			if (!p || !avail)
				return -CO_EFAULT;
			avail = CO_MIN(avail, left);
			err = fn(ctx, p, avail, done);
			co_ram_unmap(queue_ram(q), p, gpa);
			if (err)
				return err;
			gpa += avail;
			left -= avail;
			done += avail;
		}
	}
	return 0;
}

struct copy_ctx {
	uint8_t *buf;
	bool to_guest;
};

static int copy_chunk(void *ctx, void *host, size_t len, uint64_t off)
{
	struct copy_ctx *c = ctx;

	if (c->to_guest)
		co_memcpy(host, c->buf + off, len);
	else
		co_memcpy(c->buf + off, host, len);
	return 0;
}

int co_request_read(struct co_queue *q, const struct co_request *r,
		    uint64_t off, void *dst, size_t len)
{
	struct copy_ctx c = { .buf = dst, .to_guest = false };

	return walk(q, r, off, len, copy_chunk, &c);
}

int co_request_write(struct co_queue *q, const struct co_request *r,
		     uint64_t off, const void *src, size_t len)
{
	struct copy_ctx c = { .buf = (uint8_t *)src, .to_guest = true };

	return walk(q, r, off, len, copy_chunk, &c);
}

int co_request_for_each(struct co_queue *q, const struct co_request *r,
			co_request_chunk_fn *fn, void *ctx)
{
	return walk(q, r, 0, r->total, fn, ctx);
}
