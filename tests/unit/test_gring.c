// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the ring protocol (guest-drivers/lib/co_gring.c) on its
 * own: a ring in plain memory, with the test playing the host by hand.
 * test_queue.c runs it against the real host side.
 */
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "co_gring.h"

struct ring_mem {
	void *va;
	struct co_gring r;
};

static void ring_new(struct ring_mem *m, unsigned int log2)
{
	size_t bytes = (co_gring_bytes(log2) + 4095) & ~4095UL;

	m->va = aligned_alloc(4096, bytes);
	assert_non_null(m->va);
	memset(m->va, 0xa5, bytes);
	assert_int_equal(co_gring_init(&m->r, m->va, 0x123000, log2), 0);
}

/* The host's view: what it would read at the ring's offsets. */
static struct co_ring_ctl *ctl_of(struct ring_mem *m)
{
	return m->va;
}

static struct co_desc *hreq(struct ring_mem *m, uint32_t idx)
{
	return (struct co_desc *)((uint8_t *)m->va +
				  co_ring_req_offset(idx & (m->r.size - 1)));
}

static struct co_cpl *hcpl(struct ring_mem *m, uint32_t idx)
{
	return (struct co_cpl *)((uint8_t *)m->va +
				 co_ring_cpl_offset(m->r.log2, idx & (m->r.size - 1)));
}

/* The host completes request @idx (as the monitor would). */
static void host_complete(struct ring_mem *m, uint32_t idx, int32_t status)
{
	struct co_cpl *c = hcpl(m, ctl_of(m)->cpl_prod);

	c->id = hreq(m, idx)->id;
	c->status = status;
	c->len = (uint32_t)hreq(m, idx)->arg;
	ctl_of(m)->cpl_prod++;
	ctl_of(m)->req_cons = idx + 1;
}

static void test_init_layout(void **state)
{
	struct ring_mem m;
	unsigned int log2;
	uint8_t *p;
	uint64_t i;

	for (log2 = CO_RING_MIN_LOG2; log2 <= CO_RING_MAX_LOG2; log2++) {
		ring_new(&m, log2);
		assert_int_equal(m.r.size, 1u << log2);
		assert_int_equal(co_gring_bytes(log2),
				 64 + (80ULL << log2));
		assert_ptr_equal(m.r.ctl, m.va);
		assert_ptr_equal(m.r.req, (uint8_t *)m.va + 64);
		assert_ptr_equal(m.r.cpl,
				 (uint8_t *)m.va + 64 + (64ULL << log2));
		assert_int_equal(m.r.gpa, 0x123000);
		p = m.va;
		for (i = 0; i < co_gring_bytes(log2); i++)
			assert_int_equal(p[i], 0);
		/* Zeroing stops at the ring's end. */
		assert_int_equal(p[co_gring_bytes(log2)], 0xa5);
		assert_int_equal(co_gring_free(&m.r), 1u << log2);
		free(m.va);
	}
	ring_new(&m, 0);
	assert_int_equal(co_gring_init(&m.r, m.va, 0, CO_RING_MAX_LOG2 + 1), -1);
	assert_int_equal(co_gring_init(&m.r, NULL, 0, 2), -1);
	free(m.va);
}

static void test_reserve_publish(void **state)
{
	struct ring_mem m;
	struct co_desc d, *slot;
	unsigned int i;

	ring_new(&m, 3);
	for (i = 0; i < 8; i++) {
		co_gring_desc_init(&d, 100 + i, CO_COBD_READ, i);
		assert_int_equal(co_gring_push(&m.r, &d), 0);
		/* Not visible to the host before publishing. */
		assert_int_equal(ctl_of(&m)->req_prod, 0);
		assert_int_equal(co_gring_free(&m.r), 7 - i);
	}
	assert_int_equal(co_gring_push(&m.r, &d), -1);
	assert_null(co_gring_reserve(&m.r));
	co_gring_publish(&m.r);
	assert_int_equal(ctl_of(&m)->req_prod, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(hreq(&m, i)->id, 100 + i);
		assert_int_equal(hreq(&m, i)->op, CO_COBD_READ);
		assert_int_equal(hreq(&m, i)->arg, i);
	}
	assert_true(co_gring_host_behind(&m.r));

	/* The host took and completed them all: still full until reaped. */
	for (i = 0; i < 8; i++)
		host_complete(&m, i, CO_ST_OK);
	assert_false(co_gring_host_behind(&m.r));
	assert_int_equal(co_gring_free(&m.r), 0);
	assert_int_equal(co_gring_cpl_ready(&m.r), 8);

	/* Reserve hands out a zeroed slot in place. */
	{
		struct co_cpl c;

		assert_int_equal(co_gring_reap(&m.r, &c), 1);
		assert_int_equal(c.id, 100);
		assert_int_equal(ctl_of(&m)->cpl_cons, 1);
	}
	slot = co_gring_reserve(&m.r);
	assert_non_null(slot);
	assert_ptr_equal(slot, hreq(&m, 8));
	assert_int_equal(slot->id, 0);
	assert_int_equal(slot->arg, 0);
	free(m.va);
}

static void test_reap_order_and_wrap(void **state)
{
	uint64_t seed = co_test_seed("gring wrap"), rs = seed;
	uint32_t start = 0xfffffff0u, issued = 0, reaped = 0;
	struct ring_mem m;
	struct co_cpl c;
	unsigned int round;

	ring_new(&m, 2);
	/* Start just below the 2^32 wrap on both sides. */
	m.r.req_prod = m.r.req_pub = m.r.cpl_cons = start;
	ctl_of(&m)->req_prod = ctl_of(&m)->req_cons = start;
	ctl_of(&m)->cpl_prod = ctl_of(&m)->cpl_cons = start;

	for (round = 0; round < 200; round++) {
		unsigned int n = co_test_rand(&rs) % 5, k;
		struct co_desc d;

		for (k = 0; k < n; k++) {
			co_gring_desc_init(&d, issued, CO_COBD_WRITE, issued * 3);
			if (co_gring_push(&m.r, &d)) {
				assert_int_equal(co_gring_free(&m.r), 0);
				break;
			}
			issued++;
		}
		co_gring_publish(&m.r);
		assert_int_equal(ctl_of(&m)->req_prod, start + issued);
		/* The host completes some of what is published. */
		n = co_test_rand(&rs) % 5;
		while (n-- && ctl_of(&m)->req_cons != ctl_of(&m)->req_prod)
			host_complete(&m, ctl_of(&m)->req_cons, -(int32_t)reaped);
		n = co_test_rand(&rs) % 5;
		while (n--) {
			if (!co_gring_reap(&m.r, &c))
				break;
			assert_int_equal(c.id, reaped);
			assert_int_equal(c.len, (uint32_t)(reaped * 3));
			reaped++;
		}
		assert_int_equal(ctl_of(&m)->cpl_cons, start + reaped);
		assert_int_equal(co_gring_free(&m.r), 4 - (issued - reaped));
	}
	assert_true(issued > 50);
	assert_true(start + issued < start);	/* we did wrap */
	free(m.va);
}

static void test_reap_ignores_runaway_host(void **state)
{
	struct ring_mem m;
	struct co_cpl c;
	struct co_desc d;

	ring_new(&m, 2);
	co_gring_desc_init(&d, 1, 1, 0);
	assert_int_equal(co_gring_push(&m.r, &d), 0);
	co_gring_publish(&m.r);
	/* A host claiming more completions than requests exist. */
	ctl_of(&m)->cpl_prod = 3;
	assert_int_equal(co_gring_cpl_ready(&m.r), 0);
	assert_int_equal(co_gring_reap(&m.r, &c), 0);
	ctl_of(&m)->cpl_prod = 1;
	assert_int_equal(co_gring_reap(&m.r, &c), 1);
	assert_int_equal(co_gring_reap(&m.r, &c), 0);
	free(m.va);
}

static void test_desc_helpers(void **state)
{
	struct co_desc d;

	memset(&d, 0xff, sizeof(d));
	co_gring_desc_init(&d, 7, CO_COBD_WRITE, 99);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.op, CO_COBD_WRITE);
	assert_int_equal(d.arg, 99);
	assert_int_equal(d.nseg, 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.arg2, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, 0x1000, 512), 0);
	assert_int_equal(co_gring_desc_add_seg(&d, 0x3000, 1024), 0);
	assert_int_equal(co_gring_desc_add_seg(&d, 0x5000, 1), -1);
	assert_int_equal(d.nseg, 2);
	assert_int_equal(d.seg[1].gpa, 0x3000);
	assert_int_equal(d.seg[1].len, 1024);

	co_gring_desc_init(&d, 8, CO_COBD_READ, 0);
	assert_int_equal(co_gring_desc_indirect(&d, 0x9000, 0), -1);
	assert_int_equal(co_gring_desc_indirect(&d, 0x9000, CO_DESC_MAX_SEGS + 1), -1);
	assert_int_equal(co_gring_desc_indirect(&d, 0x9000, 17), 0);
	assert_int_equal(d.flags, CO_DESC_F_INDIRECT);
	assert_int_equal(d.nseg, 17);
	assert_int_equal(d.seg[0].gpa, 0x9000);
	assert_int_equal(d.seg[0].len, 17 * 16);
	assert_int_equal(co_gring_desc_add_seg(&d, 0x5000, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_layout),
		cmocka_unit_test(test_reserve_publish),
		cmocka_unit_test(test_reap_order_and_wrap),
		cmocka_unit_test(test_reap_ignores_runaway_host),
		cmocka_unit_test(test_desc_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
