// SPDX-License-Identifier: GPL-2.0
/*
 * cobd driver: one request ring per unit. Requests (struct tg_bio) are
 * queued with tg_cobd_submit, go to the host on tg_cobd_kick (doorbell +
 * NOTIFY), and complete through the unit's interrupt line, in whatever
 * order the host finishes them (matched by id).
 *
 * Indirect requests get their segment table from a per-slot page.
 */
#include "tg.h"

#define RING_LOG2	5
#define RING_SIZE	(1u << RING_LOG2)

struct tg_cobd {
	bool open;
	const struct co_dev_info *info;
	unsigned int queue;
	struct co_gring ring;
	struct tg_bio *slot[RING_SIZE];		/* by id */
	struct co_seg *tables;			/* RING_SIZE pages */
	unsigned int inflight;
};

static struct tg_cobd units[CO_COBD_UNITS];

static void on_irq(void *ctx, unsigned int line)
{
	struct tg_cobd *d = ctx;
	struct co_cpl c;

	(void)line;
	while (co_gring_reap(&d->ring, &c)) {
		struct tg_bio *b = c.id < RING_SIZE ? d->slot[c.id] : NULL;

		if (!b) {
			tg_printf("cobd%u: completion for unknown id %llu\n",
				  d->info->unit, (unsigned long long)c.id);
			continue;
		}
		d->slot[c.id] = NULL;
		b->status = c.status;
		b->len = c.len;
		b->done = true;
		d->inflight--;
	}
	/* Requests the host left for lack of completion room: ring again. */
	if (co_gring_host_behind(&d->ring))
		co_guest_doorbell(&tg_g, d->queue);
}

unsigned int tg_cobd_units(unsigned int *list, unsigned int max)
{
	unsigned int u, n = 0;

	for (u = 0; u < CO_COBD_UNITS && n < max; u++) {
		if (tg_dev_find(CO_DEV_COBD, u))
			list[n++] = u;
	}
	return n;
}

struct tg_cobd *tg_cobd_open(unsigned int unit)
{
	const struct co_dev_info *info = tg_dev_find(CO_DEV_COBD, unit);
	struct tg_cobd *d;
	void *mem;

	if (!info || unit >= CO_COBD_UNITS || info->nr_queues < 1)
		return NULL;
	d = &units[unit];
	if (d->open)
		return d;
	d->info = info;
	d->queue = info->first_queue;
	mem = tg_page_alloc_perm(ALIGN_UP(co_gring_bytes(RING_LOG2), PAGE_SIZE) / PAGE_SIZE);
	d->tables = tg_page_alloc_perm(RING_SIZE);
	if (!mem || !d->tables ||
	    co_gring_init(&d->ring, mem, tg_virt_to_phys(mem), RING_LOG2) ||
	    co_guest_queue_setup(&tg_g, d->queue, d->ring.gpa, RING_LOG2) != CO_ST_OK)
		return NULL;
	co_guest_irq_handler(&tg_g, info->irq, on_irq, d);
	d->open = true;
	return d;
}

const struct co_dev_info *tg_cobd_info(const struct tg_cobd *d)
{
	return d->info;
}

uint32_t tg_cobd_depth(const struct tg_cobd *d)
{
	return RING_SIZE;
}

static unsigned int free_id(const struct tg_cobd *d)
{
	unsigned int i;

	for (i = 0; i < RING_SIZE; i++) {
		if (!d->slot[i])
			return i;
	}
	return RING_SIZE;
}

int tg_cobd_submit(struct tg_cobd *d, struct tg_bio *b)
{
	unsigned int id = free_id(d), i;
	struct co_desc *desc;

	if (id == RING_SIZE || !co_gring_free(&d->ring) || b->nseg > TG_BIO_MAX_SEGS)
		return -1;
	desc = co_gring_reserve(&d->ring);
	co_gring_desc_init(desc, id, b->op, b->sector);
	desc->arg2 = b->arg2;
	if (b->indirect) {
		struct co_seg *t = (struct co_seg *)((uint8_t *)d->tables + id * PAGE_SIZE);

		memcpy(t, b->seg, b->nseg * sizeof(*t));
		co_gring_desc_indirect(desc, tg_virt_to_phys(t), b->nseg);
	} else if (b->inline_over) {
		/* Deliberately malformed: more inline segments than fit. */
		desc->nseg = (uint16_t)b->nseg;
		for (i = 0; i < CO_DESC_INLINE_SEGS; i++)
			desc->seg[i] = b->seg[i];
	} else {
		for (i = 0; i < b->nseg; i++) {
			if (co_gring_desc_add_seg(desc, b->seg[i].gpa, b->seg[i].len))
				return -1;
			/* Tests of bad descriptors set the reserved word. */
			desc->seg[i].reserved = b->seg[i].reserved;
		}
	}
	b->done = false;
	b->status = 1;
	b->len = 0;
	d->slot[id] = b;
	d->inflight++;
	return 0;
}

void tg_cobd_kick(struct tg_cobd *d)
{
	co_gring_publish(&d->ring);
	co_guest_doorbell(&tg_g, d->queue);
	co_guest_notify(&tg_g);
}

static bool all_done(void *ctx)
{
	const struct tg_cobd *d = ctx;

	return !d->inflight;
}

int tg_cobd_wait_all(struct tg_cobd *d, uint64_t timeout_ns)
{
	return co_guest_wait_for(&tg_g, all_done, d, timeout_ns);
}

int32_t tg_cobd_io(struct tg_cobd *d, uint16_t op, uint64_t sector,
		   void *buf, uint32_t len)
{
	struct tg_bio b;

	memset(&b, 0, sizeof(b));
	b.op = op;
	b.sector = sector;
	if (buf && len) {
		b.nseg = 1;
		b.seg[0].gpa = tg_virt_to_phys(buf);
		b.seg[0].len = len;
	}
	if (tg_cobd_submit(d, &b))
		return CO_ST_NOMEM;
	tg_cobd_kick(d);
	if (tg_cobd_wait_all(d, 30 * NS_PER_S))
		return CO_ST_IOERR;
	return b.status;
}
