// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the request rings (monitor/queue.c), driven the way a
 * guest drives it: the guest half (co_gring) builds requests in guest RAM,
 * the host half pops, validates, completes. Checked: what the host hands
 * the device, what the guest reaps, the interrupt, the indices in shared
 * memory, and the VM stop on a broken ring.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "co_gring.h"
#include "internal/queue.h"
#include "internal/vm.h"
#include <sim/sim.h>

#define TEST_IRQ	200
#define TEST_QID	250
#define MEM		(16ULL << 20)

struct fx {
	struct co_test_guest *g;
	struct co_vm *vm;
	struct co_device dev;
	struct co_queue *q;
	struct co_gring ring;
	uint64_t base;
	uint64_t ring_gpa;
	/* Where generated segments go: [data_lo, data_lo + data_size). */
	uint64_t data_lo, data_size;
	struct co_request req;
};

static const struct co_device_ops fake_ops = { .name = "fake" };

static void fx_vm(struct fx *f, bool contiguous)
{
	const char *args[] = {
		"mem=16",
		contiguous ? "memwindow=contiguous" : "memwindow=paged",
		NULL
	};

	memset(f, 0, sizeof(*f));
	co_sim_reset();
	assert_int_equal(co_test_create(args, NULL, NULL, &f->g), 0);
	f->vm = f->g->vm;
	f->base = co_vm_ram_base(f->vm);
	f->data_lo = f->base;
	f->data_size = MEM;
	assert_int_equal(co_vm_ram_size(f->vm), MEM);
	co_device_init(&f->dev, f->vm, &fake_ops, CO_DEV_NONE, 0, TEST_IRQ,
		       TEST_QID, 1);
	f->q = &f->dev.queue[0];
}

static void *gptr(struct fx *f, uint64_t gpa)
{
	void *p = co_test_gpa_ptr(f->g, gpa);

	assert_non_null(p);
	return p;
}

/* Guest ring at @off into RAM (paged mode: it must fit in one page). */
static void fx_ring(struct fx *f, uint64_t off, unsigned int log2)
{
	f->ring_gpa = f->base + off;
	assert_int_equal(co_gring_init(&f->ring, gptr(f, f->ring_gpa),
				       f->ring_gpa, log2), 0);
	assert_int_equal(co_queue_setup(f->q, f->ring_gpa, log2), 0);
}

static void fx_open(struct fx *f, bool contiguous, unsigned int log2)
{
	fx_vm(f, contiguous);
	fx_ring(f, 0x10000, log2);
}

static void fx_close(struct fx *f)
{
	co_test_destroy(f->g);
	assert_int_equal(co_sim_leak_check(), 0);
}

static bool irq_pending(struct fx *f, unsigned int line)
{
	return f->vm->shared->irq_pending[line / 64] & (1ULL << (line % 64));
}

static void irq_clear(struct fx *f, unsigned int line)
{
	f->vm->shared->irq_pending[line / 64] &= ~(1ULL << (line % 64));
}

static void push(struct fx *f, const struct co_desc *d)
{
	assert_int_equal(co_gring_push(&f->ring, d), 0);
}

static void push_simple(struct fx *f, uint64_t id, uint64_t gpa, uint32_t len)
{
	struct co_desc d;

	co_gring_desc_init(&d, id, 1, id * 10);
	if (len)
		assert_int_equal(co_gring_desc_add_seg(&d, gpa, len), 0);
	push(f, &d);
}

static void reap_expect(struct fx *f, uint64_t id, int32_t status,
			uint32_t len)
{
	struct co_cpl c;

	assert_int_equal(co_gring_reap(&f->ring, &c), 1);
	assert_int_equal(c.id, id);
	assert_int_equal(c.status, status);
	assert_int_equal(c.len, len);
}

static void expect_stopped(struct fx *f, const char *needle)
{
	assert_true(f->vm->stopping);
	assert_int_equal(f->vm->exit.reason, CO_TERM_PROTOCOL);
	print_message("diagnostic: %s\n", f->vm->exit.text);
	assert_non_null(strstr(f->vm->exit.text, "queue 250"));
	assert_non_null(strstr(f->vm->exit.text, needle));
}

/* ---- set-up --------------------------------------------------------- */

static void test_setup_validation(void **state)
{
	struct fx f;
	uint64_t last = 0;

	fx_vm(&f, false);
	assert_int_equal(co_queue_setup(f.q, f.base + 0x10010, 2), -CO_EINVAL);
	assert_int_equal(co_queue_setup(f.q, f.base + 0x10000,
					CO_RING_MAX_LOG2 + 1), -CO_EINVAL);
	assert_int_equal(co_queue_setup(f.q, f.base + 0x10000, 1000),
			 -CO_EINVAL);
	assert_int_equal(co_queue_setup(f.q, f.base + MEM, 0), -CO_EFAULT);
	assert_int_equal(co_queue_setup(f.q, 0xfffffffffffff000ULL, 3),
			 -CO_EFAULT);
	/* The whole ring must be RAM: 64 + 80 * 1024 bytes do not fit here. */
	assert_int_equal(co_queue_setup(f.q, f.base + MEM - 0x4000,
					CO_RING_MAX_LOG2), -CO_EFAULT);
	assert_false(f.q->ready);
	/* The same ring, small enough, at the very end of RAM is fine. */
	last = f.base + MEM - 0x1000;
	assert_int_equal(co_queue_setup(f.q, last, 5), 0);
	assert_true(f.q->ready);
	assert_int_equal(f.q->size, 32);
	assert_int_equal(f.q->log2, 5);
	assert_int_equal(f.q->gpa, last);
	/* A failed set-up leaves a working queue alone. */
	assert_int_equal(co_queue_setup(f.q, last + 8, 5), -CO_EINVAL);
	assert_true(f.q->ready);
	assert_int_equal(f.q->gpa, last);
	assert_false(f.vm->stopping);
	fx_close(&f);
}

static void test_setup_zeroes_ctl_and_teardown(void **state)
{
	struct co_ring_ctl *ctl;
	struct co_desc *d0;
	struct fx f;

	fx_vm(&f, false);
	f.ring_gpa = f.base + 0x20000;
	ctl = gptr(&f, f.ring_gpa);
	d0 = (struct co_desc *)(ctl + 1);
	memset(ctl, 0x5a, 4096);
	assert_int_equal(co_queue_setup(f.q, f.ring_gpa, 4), 0);
	/* The control block is the host's to reset; slots are the guest's. */
	assert_int_equal(ctl->req_prod, 0);
	assert_int_equal(ctl->req_cons, 0);
	assert_int_equal(ctl->cpl_prod, 0);
	assert_int_equal(ctl->cpl_cons, 0);
	assert_int_equal(ctl->reserved[10], 0);
	assert_int_equal(d0->id, 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(f.q->req_cons, 0);
	assert_int_equal(f.q->cpl_prod, 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_int_equal(co_queue_pending(f.q), 0);

	/* Tear down: nothing is read from the ring any more. */
	assert_int_equal(co_queue_setup(f.q, 0, 0), 0);
	assert_false(f.q->ready);
	ctl->req_prod = 0xdeadbeef;
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_int_equal(co_queue_pending(f.q), 0);
	assert_int_equal(co_queue_complete(f.q, 1, 0, 0), -CO_ESTATE);
	assert_false(f.vm->stopping);

	/* Set up again after use: indices restart at zero. */
	assert_int_equal(co_queue_setup(f.q, f.ring_gpa, 4), 0);
	assert_int_equal(ctl->req_prod, 0);
	co_queue_reset(f.q);
	assert_false(f.q->ready);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	fx_close(&f);
}

/* ---- the normal path ------------------------------------------------- */

static void roundtrip(bool contiguous)
{
	uint64_t buf;
	struct fx f;
	unsigned int i;

	fx_open(&f, contiguous, 3);
	buf = f.base + 0x100000;
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	for (i = 0; i < 5; i++)
		push_simple(&f, 1000 + i, buf + i * 0x1000, 512 * (i + 1));
	/* Not published: the host sees nothing. */
	assert_int_equal(co_queue_pending(f.q), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pending(f.q), 5);
	assert_true(co_gring_host_behind(&f.ring));

	for (i = 0; i < 5; i++) {
		memset(&f.req, 0xee, sizeof(f.req));
		assert_int_equal(co_queue_pop(f.q, &f.req), 1);
		assert_int_equal(f.req.id, 1000 + i);
		assert_int_equal(f.req.op, 1);
		assert_int_equal(f.req.flags, 0);
		assert_int_equal(f.req.arg, (1000 + i) * 10);
		assert_int_equal(f.req.arg2, 0);
		assert_int_equal(f.req.nseg, 1);
		assert_int_equal(f.req.seg[0].gpa, buf + i * 0x1000);
		assert_int_equal(f.req.seg[0].len, 512 * (i + 1));
		assert_int_equal(f.req.total, 512 * (i + 1));
		/* req_cons reaches the guest, informational. */
		assert_int_equal(f.ring.ctl->req_cons, i + 1);
		assert_int_equal(co_queue_pending(f.q), 4 - i);
		assert_false(irq_pending(&f, TEST_IRQ));
		assert_int_equal(co_queue_complete(f.q, f.req.id, -(int)i, i * 7), 0);
		assert_true(irq_pending(&f, TEST_IRQ));
		irq_clear(&f, TEST_IRQ);
		assert_int_equal(f.ring.ctl->cpl_prod, i + 1);
	}
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_false(co_gring_host_behind(&f.ring));
	assert_int_equal(f.q->completed, 5);
	assert_int_equal(f.q->rejected, 0);
	assert_int_equal(f.vm->stats.requests, 5);
	for (i = 0; i < 5; i++)
		reap_expect(&f, 1000 + i, -(int)i, i * 7);
	assert_int_equal(co_gring_reap(&f.ring, &(struct co_cpl){ 0 }), 0);
	assert_int_equal(co_gring_free(&f.ring), 8);
	/* Only taken requests complete. */
	assert_int_equal(co_queue_complete(f.q, 1, 0, 0), -CO_ESTATE);
	assert_false(f.vm->stopping);
	fx_close(&f);
}

static void test_roundtrip_paged(void **state)
{
	roundtrip(false);
}

static void test_roundtrip_contiguous(void **state)
{
	roundtrip(true);
}

/* Segment-less requests (flush-like) and 2 inline segments. */
static void test_inline_forms(void **state)
{
	struct co_desc d;
	struct fx f;

	fx_open(&f, false, 2);
	co_gring_desc_init(&d, 1, 3, 0);
	d.arg2 = 0x1122334455667788ULL;
	push(&f, &d);
	co_gring_desc_init(&d, 2, 2, 77);
	co_gring_desc_add_seg(&d, f.base + 0x5000, 100);
	co_gring_desc_add_seg(&d, f.base + 0x3ff0, 0x20);
	push(&f, &d);
	co_gring_publish(&f.ring);

	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(f.req.nseg, 0);
	assert_int_equal(f.req.total, 0);
	assert_int_equal(f.req.arg2, 0x1122334455667788ULL);
	assert_int_equal(co_queue_complete(f.q, f.req.id, 0, 0), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(f.req.nseg, 2);
	assert_int_equal(f.req.total, 0x84);
	assert_int_equal(f.req.seg[1].gpa, f.base + 0x3ff0);
	assert_int_equal(co_queue_complete(f.q, f.req.id, 0, 0), 0);
	reap_expect(&f, 1, 0, 0);
	reap_expect(&f, 2, 0, 0);
	fx_close(&f);
}

/* ---- broken rings ----------------------------------------------------- */

static void test_protocol_req_prod(void **state)
{
	struct fx f;

	fx_open(&f, false, 2);
	push_simple(&f, 1, f.base + 0x1000, 16);
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_complete(f.q, 1, 0, 0), 0);
	/* One more than the ring holds past what the host took. */
	f.ring.ctl->req_prod = 1 + 4 + 1;
	assert_int_equal(co_queue_pending(f.q), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), -CO_EPROTO);
	expect_stopped(&f, "req_prod");
	fx_close(&f);

	/* Behind the host's own consumer index (wraps to huge). */
	fx_open(&f, true, 4);
	push_simple(&f, 1, f.base + 0x1000, 16);
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	f.ring.ctl->req_prod = 0;
	assert_int_equal(co_queue_pop(f.q, &f.req), -CO_EPROTO);
	expect_stopped(&f, "req_prod");
	fx_close(&f);
}

static void test_protocol_cpl_cons(void **state)
{
	struct fx f;

	fx_open(&f, false, 2);
	push_simple(&f, 1, f.base + 0x1000, 16);
	push_simple(&f, 2, f.base + 0x1000, 16);
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_complete(f.q, 1, 0, 0), 0);
	/* Consumed a completion that was never produced. */
	f.ring.ctl->cpl_cons = 2;
	assert_int_equal(co_queue_pop(f.q, &f.req), -CO_EPROTO);
	expect_stopped(&f, "cpl_cons");
	/* The first reason wins; the VM stays stopped. */
	f.ring.ctl->cpl_cons = 0;
	fx_close(&f);
}

/* ---- malformed descriptors ------------------------------------------- */

enum defect {
	D_OK_INLINE, D_OK_INDIRECT, D_NSEG_MAX, D_INLINE_NSEG, D_FLAGS,
	D_ZERO_LEN, D_OUTSIDE, D_STRADDLE_END, D_TOO_BIG, D_TABLE_LEN,
	D_TABLE_OUTSIDE, D_SEG_RESERVED, D_GPA_WRAP, D_INDIRECT_ZERO,
	D_TABLE_SEG_OUTSIDE, D_NR
};

static const int32_t defect_status[D_NR] = {
	[D_OK_INLINE]		= CO_ST_OK,
	[D_OK_INDIRECT]		= CO_ST_OK,
	[D_NSEG_MAX]		= CO_ST_TOOBIG,
	[D_INLINE_NSEG]		= CO_ST_INVAL,
	[D_FLAGS]		= CO_ST_INVAL,
	[D_ZERO_LEN]		= CO_ST_INVAL,
	[D_OUTSIDE]		= CO_ST_FAULT,
	[D_STRADDLE_END]	= CO_ST_FAULT,
	[D_TOO_BIG]		= CO_ST_TOOBIG,
	[D_TABLE_LEN]		= CO_ST_INVAL,
	[D_TABLE_OUTSIDE]	= CO_ST_FAULT,
	[D_SEG_RESERVED]	= CO_ST_INVAL,
	[D_GPA_WRAP]		= CO_ST_FAULT,
	[D_INDIRECT_ZERO]	= CO_ST_INVAL,
	[D_TABLE_SEG_OUTSIDE]	= CO_ST_FAULT,
};

struct gen {
	struct co_desc d;
	unsigned int nseg;
	struct co_seg seg[CO_DESC_MAX_SEGS];
	uint64_t total;
	int32_t status;
};

static uint64_t rnd(uint64_t *rs, uint64_t n)
{
	return n ? co_test_rand(rs) % n : 0;
}

static struct co_seg rand_seg(struct fx *f, uint64_t *rs, uint32_t maxlen)
{
	struct co_seg s = { 0 };

	s.len = 1 + rnd(rs, maxlen);
	s.gpa = f->data_lo + rnd(rs, f->data_size - s.len + 1);
	return s;
}

/*
 * Build descriptor @id with defect @kind; its indirect table (if any) goes
 * to @table_gpa (one page).
 */
static void gen_desc(struct fx *f, uint64_t *rs, struct gen *g, uint64_t id,
		     enum defect kind, uint64_t table_gpa)
{
	unsigned int i, nseg;
	bool indirect;

	memset(g, 0, sizeof(*g));
	indirect = kind == D_OK_INDIRECT || kind == D_TABLE_LEN ||
		   kind == D_TABLE_OUTSIDE || kind == D_NSEG_MAX ||
		   kind == D_INDIRECT_ZERO || kind == D_TABLE_SEG_OUTSIDE ||
		   (kind != D_INLINE_NSEG && kind != D_OK_INLINE && rnd(rs, 2));
	nseg = indirect ? 1 + rnd(rs, CO_DESC_MAX_SEGS) : rnd(rs, 3);
	if (kind == D_INLINE_NSEG)
		nseg = 3 + rnd(rs, CO_DESC_MAX_SEGS - 2);
	if (kind == D_INDIRECT_ZERO)
		nseg = 0;
	if (kind >= D_ZERO_LEN && kind != D_INDIRECT_ZERO && !nseg)
		nseg = 1;
	for (i = 0; i < nseg; i++) {
		g->seg[i] = rand_seg(f, rs, 4 * CO_DESC_MAX_BYTES / 4 / nseg);
		g->total += g->seg[i].len;
	}
	g->nseg = nseg;
	i = nseg ? rnd(rs, nseg) : 0;
	switch (kind) {
	case D_ZERO_LEN:
		g->seg[i].len = 0;
		break;
	case D_OUTSIDE:
	case D_TABLE_SEG_OUTSIDE:
		g->seg[i].gpa = f->base + MEM + rnd(rs, 1ULL << 30);
		break;
	case D_STRADDLE_END:
		g->seg[i].len = 2 + rnd(rs, 4096);
		g->seg[i].gpa = f->base + MEM - 1 - rnd(rs, g->seg[i].len - 1);
		break;
	case D_TOO_BIG:
		g->seg[i].len = CO_DESC_MAX_BYTES + 1 - (g->total - g->seg[i].len);
		g->seg[i].gpa = f->base;
		if (g->seg[i].len > MEM) {	/* the others are too long */
			g->nseg = nseg = 1;
			g->seg[0] = (struct co_seg){ f->base, CO_DESC_MAX_BYTES + 1, 0 };
		}
		break;
	case D_SEG_RESERVED:
		g->seg[i].reserved = 1 + rnd(rs, 1000);
		break;
	case D_GPA_WRAP:
		g->seg[i].gpa = UINT64_MAX - rnd(rs, 100);
		g->seg[i].len = 200;
		break;
	default:
		break;
	}

	co_gring_desc_init(&g->d, id, 1 + rnd(rs, 5), co_test_rand(rs));
	g->d.arg2 = co_test_rand(rs);
	if (indirect) {
		assert_int_equal(co_vm_write_gpa(f->vm, table_gpa, g->seg,
						 nseg * sizeof(g->seg[0])), 0);
		g->d.flags = CO_DESC_F_INDIRECT;
		g->d.nseg = nseg;
		g->d.seg[0].gpa = table_gpa;
		g->d.seg[0].len = nseg * sizeof(struct co_seg);
	} else {
		g->d.nseg = nseg;
		memcpy(g->d.seg, g->seg, (nseg < 2 ? nseg : 2) * sizeof(g->seg[0]));
	}
	if (kind == D_NSEG_MAX) {
		g->d.nseg = CO_DESC_MAX_SEGS + 1 + rnd(rs, 1000);
		g->d.seg[0].len = g->d.nseg * sizeof(struct co_seg);
	}
	if (kind == D_FLAGS)
		g->d.flags |= 2u << rnd(rs, 31);
	if (kind == D_TABLE_LEN)
		g->d.seg[0].len += rnd(rs, 2) ? 16 : -1;
	if (kind == D_TABLE_OUTSIDE)
		g->d.seg[0].gpa = f->base + MEM - g->d.seg[0].len + 8;
	g->status = defect_status[kind];
}

static void check_req(const struct gen *g, const struct co_request *r)
{
	unsigned int i;

	assert_int_equal(r->id, g->d.id);
	assert_int_equal(r->op, g->d.op);
	assert_int_equal(r->flags, g->d.flags);
	assert_int_equal(r->arg, g->d.arg);
	assert_int_equal(r->arg2, g->d.arg2);
	assert_int_equal(r->nseg, g->nseg);
	assert_int_equal(r->total, g->total);
	for (i = 0; i < g->nseg; i++) {
		assert_int_equal(r->seg[i].gpa, g->seg[i].gpa);
		assert_int_equal(r->seg[i].len, g->seg[i].len);
	}
}

/* Every defect, each followed by a good request the host must still get. */
static void test_bad_descriptors(void **state)
{
	uint64_t seed = co_test_seed("bad descriptors"), rs = seed;
	uint64_t tables = 0x200000;
	struct gen *g = malloc(2 * D_NR * sizeof(*g));
	unsigned int k, n = 0, rejected = 0;
	struct fx f;

	assert_non_null(g);
	fx_open(&f, false, 5);
	for (k = 0; k < D_NR; k++) {
		gen_desc(&f, &rs, &g[n], n, k, f.base + tables + n * 4096);
		push(&f, &g[n].d);
		n++;
		gen_desc(&f, &rs, &g[n], n, D_OK_INLINE, 0);
		push(&f, &g[n].d);
		n++;
	}
	co_gring_publish(&f.ring);

	for (k = 0; k < n; k++) {
		if (g[k].status != CO_ST_OK) {
			rejected++;
			continue;
		}
		assert_int_equal(co_queue_pop(f.q, &f.req), 1);
		check_req(&g[k], &f.req);
		assert_int_equal(co_queue_complete(f.q, f.req.id, CO_ST_OK,
						   (uint32_t)f.req.total), 0);
	}
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_int_equal(f.q->rejected, rejected);
	assert_int_equal(f.q->completed, n);
	for (k = 0; k < n; k++)
		reap_expect(&f, k, g[k].status,
			    g[k].status ? 0 : (uint32_t)g[k].total);
	assert_false(f.vm->stopping);
	free(g);
	fx_close(&f);
}

/* A ring full of garbage ends: each bad slot is completed once. */
static void test_all_bad_ring(void **state)
{
	struct co_desc d;
	unsigned int i;
	struct fx f;

	fx_open(&f, true, 10);
	for (i = 0; i < 1024; i++) {
		co_gring_desc_init(&d, i, 1, 0);
		d.flags = 0x80;
		push(&f, &d);
	}
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_int_equal(f.q->rejected, 1024);
	assert_int_equal(f.ring.ctl->req_cons, 1024);
	assert_int_equal(f.ring.ctl->cpl_prod, 1024);
	for (i = 0; i < 1024; i++)
		reap_expect(&f, i, CO_ST_INVAL, 0);
	assert_true(irq_pending(&f, TEST_IRQ));
	fx_close(&f);
}

/* ---- flow control ------------------------------------------------------- */

/*
 * The guest stops reaping: once every slot is taken-and-unconsumed, the
 * host takes nothing more, even from a guest that publishes past its own
 * free-slot count; no unconsumed completion is ever overwritten.
 */
static void test_completion_ring_full(void **state)
{
	struct co_desc d;
	unsigned int i;
	struct fx f;

	fx_open(&f, false, 2);
	for (i = 0; i < 4; i++)
		push_simple(&f, i, f.base + 0x1000, 8);
	co_gring_publish(&f.ring);
	/* Two in flight (taken, not completed) count too. */
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_complete(f.q, 0, 0, 0), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	for (i = 1; i < 4; i++)
		assert_int_equal(co_queue_complete(f.q, i, 0, i), 0);

	/* A pushy guest writes four more without reaping anything. */
	for (i = 4; i < 8; i++) {
		co_gring_desc_init(&d, i, 1, 0);
		f.ring.req[i & 3] = d;
	}
	f.ring.ctl->req_prod = 8;
	assert_int_equal(co_queue_pending(f.q), 4);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_int_equal(f.q->req_cons, 4);
	assert_false(f.vm->stopping);

	/* Consuming two completions lets exactly two more in. */
	f.ring.req_prod = 8;	/* keep the library's view in step */
	f.ring.req_pub = 8;
	reap_expect(&f, 0, 0, 0);
	reap_expect(&f, 1, 0, 1);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(f.req.id, 4);
	assert_int_equal(co_queue_complete(f.q, 4, 0, 0), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(f.req.id, 5);
	assert_int_equal(co_queue_complete(f.q, 5, 0, 0), 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 0);
	assert_true(co_gring_host_behind(&f.ring));
	reap_expect(&f, 2, 0, 2);
	reap_expect(&f, 3, 0, 3);
	reap_expect(&f, 4, 0, 0);
	reap_expect(&f, 5, 0, 0);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	assert_int_equal(f.req.id, 6);
	fx_close(&f);
}

/* Indices that wrap at 2^32 on both sides. */
static void test_index_wrap(void **state)
{
	uint32_t start = 0xfffffffdu;
	unsigned int i;
	struct fx f;

	fx_open(&f, false, 2);
	f.q->req_cons = f.q->cpl_prod = start;
	f.ring.ctl->req_prod = f.ring.ctl->req_cons = start;
	f.ring.ctl->cpl_prod = f.ring.ctl->cpl_cons = start;
	f.ring.req_prod = f.ring.req_pub = f.ring.cpl_cons = start;
	for (i = 0; i < 40; i++) {
		push_simple(&f, i, f.base + 0x1000, 1 + i);
		push_simple(&f, i + 100, f.base + 0x2000, 1 + i);
		co_gring_publish(&f.ring);
		assert_int_equal(co_queue_pending(f.q), 2);
		assert_int_equal(co_queue_pop(f.q, &f.req), 1);
		assert_int_equal(f.req.id, i);
		assert_int_equal(co_queue_complete(f.q, i, 0, 1 + i), 0);
		assert_int_equal(co_queue_pop(f.q, &f.req), 1);
		assert_int_equal(f.req.id, i + 100);
		assert_int_equal(co_queue_complete(f.q, i + 100, 0, 1 + i), 0);
		reap_expect(&f, i, 0, 1 + i);
		reap_expect(&f, i + 100, 0, 1 + i);
	}
	assert_int_equal(f.q->req_cons, (uint32_t)(start + 80));
	assert_int_equal(f.ring.ctl->cpl_prod, (uint32_t)(start + 80));
	assert_false(f.vm->stopping);
	fx_close(&f);
}

/* ---- buffer access ------------------------------------------------------ */

struct chunk_ctx {
	struct fx *f;
	uint64_t next_off;
	unsigned int calls;
	int fail_at;
};

/* Each piece must be the right bytes of guest memory, within one page. */
static int chunk_check(void *ctx, void *host, size_t len, uint64_t off)
{
	struct chunk_ctx *c = ctx;
	const struct co_request *r = &c->f->req;
	uint64_t o = off, gpa = 0;
	unsigned int i;

	assert_int_equal(off, c->next_off);
	assert_true(len > 0 && len <= 4096);
	for (i = 0; i < r->nseg; i++) {
		if (o < r->seg[i].len) {
			gpa = r->seg[i].gpa + o;
			assert_true(len <= r->seg[i].len - o);
			break;
		}
		o -= r->seg[i].len;
	}
	assert_true(i < r->nseg);
	assert_true((gpa & 4095) + len <= 4096);
	assert_ptr_equal(host, co_test_gpa_ptr(c->f->g, gpa));
	c->next_off += len;
	if (++c->calls == (unsigned int)c->fail_at)
		return -CO_EIO;
	return 0;
}

static void test_request_copy(bool contiguous)
{
	uint64_t seed = co_test_seed("request copy"), rs = seed;
	uint8_t *guest, *buf, *expect, *shadow, *area;
	struct co_desc d;
	struct gen g;
	unsigned int round;
	struct fx f;

	fx_open(&f, contiguous, 3);
	/* Data well away from the ring and the indirect table. */
	f.data_lo = f.base + (4ULL << 20);
	f.data_size = MEM - (4ULL << 20);
	guest = malloc(CO_DESC_MAX_BYTES);
	buf = malloc(CO_DESC_MAX_BYTES);
	expect = malloc(CO_DESC_MAX_BYTES);
	assert_non_null(guest);
	assert_non_null(buf);
	assert_non_null(expect);
	shadow = malloc(f.data_size);
	area = malloc(f.data_size);
	assert_non_null(shadow);
	assert_non_null(area);

	for (round = 0; round < 30; round++) {
		uint64_t off, len, o, i;
		struct chunk_ctx cc = { .f = &f };

		/* Segments anywhere, crossing pages; maybe overlapping. */
		gen_desc(&f, &rs, &g, round, round % 3 ? D_OK_INDIRECT : D_OK_INLINE,
			 f.base + 0x200000);
		if (!g.nseg)
			continue;
		push(&f, &g.d);
		co_gring_publish(&f.ring);
		assert_int_equal(co_queue_pop(f.q, &f.req), 1);
		check_req(&g, &f.req);

		/* read = the concatenation of guest memory at the segments. */
		for (i = 0, o = 0; i < g.nseg; i++) {
			assert_int_equal(co_vm_read_gpa(f.vm, g.seg[i].gpa,
							guest + o, g.seg[i].len), 0);
			o += g.seg[i].len;
		}
		off = rnd(&rs, g.total);
		len = rnd(&rs, g.total - off + 1);
		assert_int_equal(co_request_read(f.q, &f.req, off, buf, len), 0);
		assert_memory_equal(buf, guest + off, len);
		assert_int_equal(co_request_read(f.q, &f.req, g.total, buf, 0), 0);
		assert_int_equal(co_request_read(f.q, &f.req, off, buf,
						 g.total - off + 1), -CO_ERANGE);
		assert_int_equal(co_request_read(f.q, &f.req, g.total + 1, buf, 0),
				 -CO_ERANGE);
		assert_int_equal(co_request_read(f.q, &f.req, UINT64_MAX, buf, 2),
				 -CO_ERANGE);

		/*
		 * write lands at the right guest bytes. Segments may overlap
		 * (the later one wins), so compare against a shadow of the
		 * whole data area written in segment order.
		 */
		for (i = 0; i < g.total; i++)
			expect[i] = (uint8_t)co_test_rand(&rs);
		assert_int_equal(co_vm_read_gpa(f.vm, f.data_lo, shadow,
						f.data_size), 0);
		for (i = 0, o = 0; i < g.nseg; i++) {
			memcpy(shadow + (g.seg[i].gpa - f.data_lo), expect + o,
			       g.seg[i].len);
			o += g.seg[i].len;
		}
		assert_int_equal(co_request_write(f.q, &f.req, 0, expect, g.total), 0);
		assert_int_equal(co_vm_read_gpa(f.vm, f.data_lo, area,
						f.data_size), 0);
		assert_memory_equal(area, shadow, f.data_size);
		assert_int_equal(co_request_write(f.q, &f.req, 1, expect, g.total),
				 -CO_ERANGE);

		/* for_each walks every byte in order, page by page. */
		assert_int_equal(co_request_for_each(f.q, &f.req, chunk_check, &cc), 0);
		assert_int_equal(cc.next_off, g.total);
		if (cc.calls > 1) {
			struct chunk_ctx c2 = { .f = &f, .fail_at = 2 };

			assert_int_equal(co_request_for_each(f.q, &f.req, chunk_check,
							     &c2), -CO_EIO);
			assert_int_equal(c2.calls, 2);
		}
		assert_int_equal(co_queue_complete(f.q, round, 0, 0), 0);
		reap_expect(&f, round, 0, 0);
	}

	/* Two segments crossing page boundaries, inline. */
	co_gring_desc_init(&d, 99, 1, 0);
	co_gring_desc_add_seg(&d, f.base + 0x7ffe, 3);
	co_gring_desc_add_seg(&d, f.base + 0x9ff0, 0x2020);
	push(&f, &d);
	co_gring_publish(&f.ring);
	assert_int_equal(co_queue_pop(f.q, &f.req), 1);
	{
		struct chunk_ctx cc = { .f = &f };

		assert_int_equal(co_request_for_each(f.q, &f.req, chunk_check, &cc), 0);
		assert_int_equal(cc.calls, 2 + 4);
	}
	free(guest);
	free(buf);
	free(expect);
	free(shadow);
	free(area);
	fx_close(&f);
}

static void test_request_copy_paged(void **state)
{
	test_request_copy(false);
}

static void test_request_copy_contiguous(void **state)
{
	test_request_copy(true);
}

/* ---- random batches: a model of the whole protocol --------------------- */

static void test_random_batches(void **state)
{
	uint64_t seed = co_test_seed("queue random"), rs = seed;
	struct gen *g = malloc(1024 * sizeof(*g));
	uint64_t total_rejected = 0, total = 0;
	unsigned int round;
	struct fx f;

	assert_non_null(g);
	fx_vm(&f, true);
	for (round = 0; round < 40; round++) {
		unsigned int log2 = rnd(&rs, CO_RING_MAX_LOG2 + 1);
		unsigned int n, k, batches = 1 + rnd(&rs, 4), b;
		uint64_t rej0 = f.q->rejected;

		fx_ring(&f, 0x10000 + rnd(&rs, 16) * 0x1000, log2);
		for (b = 0; b < batches; b++) {
			n = rnd(&rs, co_gring_free(&f.ring) + 1);
			for (k = 0; k < n; k++) {
				enum defect kind = rnd(&rs, 3) ? rnd(&rs, 2) :
						   rnd(&rs, D_NR);

				gen_desc(&f, &rs, &g[k], k, kind,
					 f.base + 0x100000 + k * 4096ULL);
				push(&f, &g[k].d);
			}
			co_gring_publish(&f.ring);
			assert_int_equal(co_queue_pending(f.q), n);
			for (k = 0; k < n; k++) {
				if (g[k].status != CO_ST_OK)
					continue;
				assert_int_equal(co_queue_pop(f.q, &f.req), 1);
				check_req(&g[k], &f.req);
				assert_int_equal(co_queue_complete(f.q, f.req.id,
						-(int32_t)k, (uint32_t)~k), 0);
			}
			assert_int_equal(co_queue_pop(f.q, &f.req), 0);
			for (k = 0; k < n; k++) {
				if (g[k].status != CO_ST_OK) {
					total_rejected++;
					reap_expect(&f, k, g[k].status, 0);
				} else {
					reap_expect(&f, k, -(int32_t)k, ~k);
				}
			}
			total += n;
		}
		assert_true(f.q->rejected >= rej0);
	}
	assert_int_equal(f.q->rejected, total_rejected);
	assert_int_equal(f.q->completed, total);
	assert_int_equal(f.vm->stats.requests, total);
	assert_false(f.vm->stopping);
	free(g);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_validation),
		cmocka_unit_test(test_setup_zeroes_ctl_and_teardown),
		cmocka_unit_test(test_roundtrip_paged),
		cmocka_unit_test(test_roundtrip_contiguous),
		cmocka_unit_test(test_inline_forms),
		cmocka_unit_test(test_protocol_req_prod),
		cmocka_unit_test(test_protocol_cpl_cons),
		cmocka_unit_test(test_bad_descriptors),
		cmocka_unit_test(test_all_bad_ring),
		cmocka_unit_test(test_completion_ring_full),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_request_copy_paged),
		cmocka_unit_test(test_request_copy_contiguous),
		cmocka_unit_test(test_random_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
