// SPDX-License-Identifier: GPL-2.0
/*
 * cobd test programs.
 *
 * Data written at a sector is always tg_cobd_pattern(seed, unit, gen,
 * sector, word): a misplaced, dropped or shuffled sector shows. The last
 * pass of cobd_rw "stamps" sectors [0, stamp) with gen STAMP_GEN and
 * prints what it did, so the host can check the image file with the same
 * function (tests/e2e/colinux_e2e.py: cobd_pattern).
 *
 * Buffers are split into segments placed with gaps between them; the gaps
 * hold poison that must survive a read, which catches a host that writes
 * past a segment or ignores the segment list.
 */
#include "tg.h"

#define SECTOR		CO_COBD_SECTOR_SIZE
#define STAMP_GEN	0xffffULL
#define MAX_SECTORS	128	/* per request in cobd_rw */
#define GAP		512
#define POISON		0xa5
#define IO_TIMEOUT	(30 * NS_PER_S)

uint64_t tg_cobd_pattern(uint64_t seed, unsigned int unit, uint64_t gen,
			 uint64_t sector, unsigned int w)
{
	return tg_mix64(seed ^ ((uint64_t)unit << 56) ^ (gen << 40) ^
			((sector << 6) | w));
}

static void fill(uint8_t *p, uint64_t seed, unsigned int unit, uint64_t gen,
		 uint64_t sector, uint64_t nsec)
{
	uint64_t s;
	unsigned int w;

	for (s = 0; s < nsec; s++) {
		for (w = 0; w < SECTOR / 8; w++) {
			uint64_t v = tg_cobd_pattern(seed, unit, gen, sector + s, w);

			memcpy(p + s * SECTOR + w * 8, &v, 8);
		}
	}
}

/* One request of cobd_rw: its extent, buffer and segment layout. */
struct rw_req {
	struct tg_bio bio;
	uint64_t sector, nsec;
	uint8_t *buf;		/* len + nseg * GAP bytes */
	uint32_t cut[TG_BIO_MAX_SEGS + 1];	/* data offsets of segments */
};

/* Split @len bytes into segments at random byte offsets, gaps between. */
static void layout(struct tg_rng *rng, struct rw_req *r, uint16_t op)
{
	uint32_t len = (uint32_t)r->nsec * SECTOR;
	unsigned int kind = (unsigned int)tg_rand_below(rng, 3), n, i;

	n = kind == 0 ? 1 : kind == 1 ? 2 : 2 + (unsigned int)tg_rand_below(rng, 7);
	if (n > len)
		n = 1;
	r->cut[0] = 0;
	r->cut[n] = len;
	for (i = 1; i < n; i++) {
		/* Increasing cuts, each segment at least one byte. */
		uint32_t lo = r->cut[i - 1] + 1, hi = len - (n - i);

		r->cut[i] = lo + (uint32_t)tg_rand_below(rng, hi - lo + 1);
	}
	memset(&r->bio, 0, sizeof(r->bio));
	r->bio.op = op;
	r->bio.sector = r->sector;
	r->bio.nseg = n;
	r->bio.indirect = kind == 2;
	for (i = 0; i < n; i++) {
		r->bio.seg[i].gpa = tg_virt_to_phys(r->buf + r->cut[i] + i * GAP);
		r->bio.seg[i].len = r->cut[i + 1] - r->cut[i];
	}
}

/* Gather the data of @r's segments into @out; false if a gap was hit. */
static bool gather(const struct rw_req *r, uint8_t *out)
{
	unsigned int i, k;

	for (i = 0; i < r->bio.nseg; i++) {
		const uint8_t *s = r->buf + r->cut[i] + i * GAP;

		memcpy(out + r->cut[i], s, r->cut[i + 1] - r->cut[i]);
		for (k = 0; k < GAP; k++) {
			if (s[r->cut[i + 1] - r->cut[i] + k] != POISON)
				return false;
		}
	}
	return true;
}

static void scatter(const struct rw_req *r, const uint8_t *in)
{
	unsigned int i;

	for (i = 0; i < r->bio.nseg; i++)
		memcpy(r->buf + r->cut[i] + i * GAP, in + r->cut[i],
		       r->cut[i + 1] - r->cut[i]);
}

struct rw_ctx {
	struct tg_rng rng;
	uint64_t seed;
	unsigned int unit;
	struct tg_cobd *d;
	uint8_t *want, *got;	/* MAX_SECTORS sectors each */
};

/* Run @n requests at once; false on a bad completion. */
static bool run_batch(struct rw_ctx *c, struct rw_req *req, unsigned int n,
		      const char *what)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (tg_cobd_submit(c->d, &req[i].bio)) {
			tg_fail("cannot queue %s %u of %u", what, i, n);
			return false;
		}
	}
	tg_cobd_kick(c->d);
	if (tg_cobd_wait_all(c->d, IO_TIMEOUT)) {
		tg_fail("%s batch of %u timed out", what, n);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (req[i].bio.status != CO_ST_OK ||
		    req[i].bio.len != req[i].nsec * SECTOR) {
			tg_fail("%s of sectors %llu+%llu: status %d, len %u",
				what, (unsigned long long)req[i].sector,
				(unsigned long long)req[i].nsec, req[i].bio.status,
				req[i].bio.len);
			return false;
		}
	}
	return true;
}

static bool alloc_bufs(struct rw_req *req, unsigned int n)
{
	unsigned int i;
	size_t bytes = MAX_SECTORS * SECTOR + (TG_BIO_MAX_SEGS + 1) * GAP;

	for (i = 0; i < n; i++) {
		req[i].buf = tg_page_alloc(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
		if (!req[i].buf)
			return false;
		memset(req[i].buf, POISON, bytes);
	}
	return true;
}

/* Write then read back @n requests of generation @gen. */
static bool rw_batch(struct rw_ctx *c, struct rw_req *req, unsigned int n,
		     uint64_t gen)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		fill(c->want, c->seed, c->unit, gen, req[i].sector, req[i].nsec);
		layout(&c->rng, &req[i], CO_COBD_WRITE);
		scatter(&req[i], c->want);
	}
	if (!run_batch(c, req, n, "write"))
		return false;
	for (i = 0; i < n; i++) {
		memset(req[i].buf, POISON, MAX_SECTORS * SECTOR + (TG_BIO_MAX_SEGS + 1) * GAP);
		layout(&c->rng, &req[i], CO_COBD_READ);
	}
	if (!run_batch(c, req, n, "read"))
		return false;
	for (i = 0; i < n; i++) {
		fill(c->want, c->seed, c->unit, gen, req[i].sector, req[i].nsec);
		if (!gather(&req[i], c->got)) {
			tg_fail("read of sectors %llu+%llu wrote outside its segments",
				(unsigned long long)req[i].sector,
				(unsigned long long)req[i].nsec);
			return false;
		}
		if (memcmp(c->want, c->got, req[i].nsec * SECTOR)) {
			tg_fail("sectors %llu+%llu read back differ (gen %llu)",
				(unsigned long long)req[i].sector,
				(unsigned long long)req[i].nsec,
				(unsigned long long)gen);
			return false;
		}
	}
	return true;
}

static void rw_round(struct rw_ctx *c, struct rw_req *req, unsigned int round,
		     uint64_t span)
{
	static const unsigned int depths[] = { 1, 2, 3, 4, 8, 16, 32 };
	unsigned int qd = depths[tg_rand_below(&c->rng, ARRAY_SIZE(depths))], i;
	uint64_t slot, total = 0;

	qd = MIN(qd, tg_cobd_depth(c->d));
	slot = span / qd;
	if (!slot) {
		qd = 1;
		slot = span;
	}
	for (i = 0; i < qd; i++) {
		uint64_t max = MIN(slot, (uint64_t)MAX_SECTORS);

		req[i].nsec = 1 + tg_rand_below(&c->rng, max);
		req[i].sector = i * slot + tg_rand_below(&c->rng, slot - req[i].nsec + 1);
		total += req[i].nsec;
	}
	if (rw_batch(c, req, qd, round + 1))
		tg_pass("round %u: %u writes then %u reads at queue depth %u, %llu sectors",
			round, qd, qd, qd, (unsigned long long)total);
}

/* Sectors [0, stamp) with STAMP_GEN, in random pieces, then FLUSH. */
static void rw_stamp(struct rw_ctx *c, struct rw_req *req, uint64_t stamp)
{
	uint64_t next = 0;
	unsigned int n = 0, batches = 0;
	int32_t st;

	while (next < stamp) {
		n = 0;
		while (next < stamp && n < tg_cobd_depth(c->d)) {
			req[n].sector = next;
			req[n].nsec = MIN(stamp - next, 1 + tg_rand_below(&c->rng, 64));
			next += req[n].nsec;
			n++;
		}
		if (!rw_batch(c, req, n, STAMP_GEN))
			return;
		batches++;
	}
	st = tg_cobd_io(c->d, CO_COBD_FLUSH, 0, NULL, 0);
	if (!tg_check(st == CO_ST_OK, "FLUSH after the stamp: status %d", st))
		return;
	tg_pass("stamp of sectors 0-%llu in %u batches read back",
		(unsigned long long)(stamp - 1), batches);
	tg_printf("cobd_rw: stamp unit=%u sectors=%llu seed=%llu gen=%llu\n",
		  c->unit, (unsigned long long)stamp, (unsigned long long)c->seed,
		  STAMP_GEN);
}

static void rw_unit(struct rw_ctx *c, unsigned int rounds, uint64_t span,
		    uint64_t stamp)
{
	struct rw_req *req;
	uint64_t mark = tg_mm_mark();
	unsigned int r, depth = tg_cobd_depth(c->d);

	req = tg_page_alloc(ALIGN_UP(depth * sizeof(*req), PAGE_SIZE) / PAGE_SIZE);
	c->want = tg_page_alloc(MAX_SECTORS * SECTOR / PAGE_SIZE);
	c->got = tg_page_alloc(MAX_SECTORS * SECTOR / PAGE_SIZE);
	if (!req || !c->want || !c->got || !alloc_bufs(req, depth)) {
		tg_fail("out of memory for %u buffers", depth);
		goto out;
	}
	for (r = 0; r < rounds; r++)
		rw_round(c, req, r, span);
	rw_stamp(c, req, stamp);
out:
	tg_mm_release(mark);
}

/* One unit of cobd_rw, its lines prefixed "unit N". */
static void rw_one(struct rw_ctx *c, unsigned int unit, uint64_t seed,
		   unsigned int rounds)
{
	const struct co_dev_info *info;
	uint64_t span, stamp;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->unit = unit;
	tg_rng_seed(&c->rng, seed * 1000003 + unit);
	tg_prefix_push("unit %u", unit);
	c->d = tg_cobd_open(unit);
	if (!c->d) {
		tg_fail("cannot set up its queue");
		goto out;
	}
	info = tg_cobd_info(c->d);
	if (info->flags & CO_COBD_F_READONLY) {
		tg_skip("read-only, not written");
		goto out;
	}
	span = MIN(tg_arg_u64("span", 4096), info->cobd.sectors);
	stamp = MIN(tg_arg_u64("stamp", 256), span);
	rw_unit(c, rounds, span, stamp);
out:
	tg_prefix_pop();
}

void tg_test_cobd_rw(void)
{
	unsigned int list[CO_COBD_UNITS], n = tg_cobd_units(list, CO_COBD_UNITS), i;
	uint64_t seed = tg_arg_u64("seed", 1);
	unsigned int rounds = (unsigned int)tg_arg_u64("rounds", 12);
	struct rw_ctx c;

	if (!n) {
		tg_skip("no cobd unit configured (cobdN=FILE)");
		return;
	}
	for (i = 0; i < n; i++)
		rw_one(&c, list[i], seed, rounds);
}

/* ---- cobd_info ------------------------------------------------------------- */

static void info_unit(unsigned int unit, struct co_cobd_info *ci)
{
	struct tg_cobd *d = tg_cobd_open(unit);
	const struct co_dev_info *info;
	int32_t st;

	if (!tg_check(d != NULL, "queue set up"))
		return;
	info = tg_cobd_info(d);
	memset(ci, 0xff, sizeof(*ci));
	st = tg_cobd_io(d, CO_COBD_INFO, 0, ci, sizeof(*ci));
	tg_check(st == CO_ST_OK && ci->sectors == info->cobd.sectors &&
		 ci->sector_size == SECTOR && ci->flags == info->flags,
		 "INFO %llu sectors of %u bytes, flags 0x%x (table: %llu, 0x%x)",
		 (unsigned long long)ci->sectors, ci->sector_size,
		 ci->flags, (unsigned long long)info->cobd.sectors, info->flags);
}

void tg_test_cobd_info(void)
{
	unsigned int list[CO_COBD_UNITS], n = tg_cobd_units(list, CO_COBD_UNITS), i;
	struct co_cobd_info *ci;
	uint64_t mark;

	if (!n) {
		tg_skip("no cobd unit configured (cobdN=FILE)");
		return;
	}
	mark = tg_mm_mark();
	ci = tg_page_alloc(1);
	if (!ci) {
		tg_fail("no memory for the INFO buffer");
		goto out;
	}
	for (i = 0; i < n; i++) {
		tg_prefix_push("unit %u", list[i]);
		info_unit(list[i], ci);
		tg_prefix_pop();
	}
out:
	tg_mm_release(mark);
}

/* ---- cobd_errors ----------------------------------------------------------- */

static int32_t bio_run(struct tg_cobd *d, struct tg_bio *b)
{
	if (tg_cobd_submit(d, b))
		return CO_ST_NOMEM;
	tg_cobd_kick(d);
	if (tg_cobd_wait_all(d, IO_TIMEOUT))
		return CO_ST_IOERR;
	return b->status;
}

static void one_seg(struct tg_bio *b, uint16_t op, uint64_t sector,
		    uint64_t gpa, uint32_t len)
{
	memset(b, 0, sizeof(*b));
	b->op = op;
	b->sector = sector;
	b->nseg = 1;
	b->seg[0].gpa = gpa;
	b->seg[0].len = len;
}

static void expect(struct tg_cobd *d, struct tg_bio *b, int32_t want,
		   const char *what)
{
	int32_t st = bio_run(d, b);

	tg_check(st == want && (st != CO_ST_OK || b->len || b->op == CO_COBD_FLUSH ||
				b->op == CO_COBD_DISCARD),
		 "%s: status %d (want %d), len %u", what, st, want, b->len);
	if (st != CO_ST_OK && b->len)
		tg_fail("%s: an error completion with len %u", what, b->len);
}

static void errors_requests(struct tg_cobd *d, uint8_t *buf)
{
	uint64_t n = tg_cobd_info(d)->cobd.sectors, gpa = tg_virt_to_phys(buf);
	struct tg_bio b;

	one_seg(&b, CO_COBD_READ, n, gpa, SECTOR);
	expect(d, &b, CO_ST_RANGE, "READ at the first sector past the end");
	one_seg(&b, CO_COBD_READ, n - 1, gpa, 2 * SECTOR);
	expect(d, &b, CO_ST_RANGE, "READ across the end");
	one_seg(&b, CO_COBD_READ, UINT64_MAX - 1, gpa, 4 * SECTOR);
	expect(d, &b, CO_ST_RANGE, "READ at sector 2^64-2 (overflow)");
	one_seg(&b, CO_COBD_READ, n - 1, gpa, SECTOR);
	expect(d, &b, CO_ST_OK, "READ of the last sector");
	one_seg(&b, CO_COBD_READ, 0, gpa, 100);
	expect(d, &b, CO_ST_INVAL, "READ of 100 bytes");
	one_seg(&b, CO_COBD_READ, 0, gpa, SECTOR + 1);
	expect(d, &b, CO_ST_INVAL, "READ of 513 bytes");
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_READ;
	expect(d, &b, CO_ST_INVAL, "READ without a buffer");
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_FLUSH;
	expect(d, &b, CO_ST_OK, "FLUSH");
	one_seg(&b, CO_COBD_FLUSH, 0, gpa, SECTOR);
	expect(d, &b, CO_ST_INVAL, "FLUSH with a segment");
	one_seg(&b, CO_COBD_INFO, 0, gpa, 8);
	expect(d, &b, CO_ST_INVAL, "INFO into 8 bytes");
	one_seg(&b, 99, 0, gpa, SECTOR);
	expect(d, &b, CO_ST_NOTSUP, "unknown op 99");
}

static void errors_descriptors(struct tg_cobd *d, uint8_t *buf)
{
	uint64_t gpa = tg_virt_to_phys(buf);
	uint64_t end = tg_boot.ram_base + tg_boot.ram_size;
	struct tg_bio b;
	unsigned int i;

	one_seg(&b, CO_COBD_READ, 0, gpa, SECTOR);
	b.nseg = 3;
	b.seg[1] = b.seg[2] = b.seg[0];
	b.inline_over = true;
	expect(d, &b, CO_ST_INVAL, "3 inline segments");
	one_seg(&b, CO_COBD_READ, 0, gpa, 0);
	expect(d, &b, CO_ST_INVAL, "a segment of 0 bytes");
	one_seg(&b, CO_COBD_READ, 0, gpa, SECTOR);
	b.seg[0].reserved = 1;
	expect(d, &b, CO_ST_INVAL, "a segment with reserved != 0");
	one_seg(&b, CO_COBD_READ, 0, end, SECTOR);
	expect(d, &b, CO_ST_FAULT, "a segment at the end of RAM");
	one_seg(&b, CO_COBD_READ, 0, end - SECTOR / 2, SECTOR);
	expect(d, &b, CO_ST_FAULT, "a segment crossing the end of RAM");
	/* 9 x 512 KiB over the same buffer: 4.5 MiB > CO_DESC_MAX_BYTES. */
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_READ;
	b.indirect = true;
	b.nseg = 9;
	for (i = 0; i < 9; i++) {
		b.seg[i].gpa = gpa;
		b.seg[i].len = 512 << 10;
	}
	expect(d, &b, CO_ST_TOOBIG, "9 x 512 KiB in one request");
}

/* DISCARD on a unit that offers it: the range reads back as zeros. */
static void errors_discard(struct tg_cobd *d, uint8_t *buf)
{
	const struct co_dev_info *info = tg_cobd_info(d);
	uint32_t len = 8 * SECTOR, i;
	struct tg_bio b;
	bool zero = true;

	if (!(info->flags & CO_COBD_F_DISCARD) || (info->flags & CO_COBD_F_READONLY) ||
	    info->cobd.sectors < 24) {
		tg_skip("DISCARD and WRITE checks need a writable unit offering DISCARD");
		return;
	}
	one_seg(&b, CO_COBD_WRITE, 0, tg_virt_to_phys(buf), 100);
	expect(d, &b, CO_ST_INVAL, "WRITE of 100 bytes");
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_DISCARD;
	expect(d, &b, CO_ST_INVAL, "DISCARD of 0 sectors");
	memset(buf, 0x5a, len);
	one_seg(&b, CO_COBD_WRITE, 16, tg_virt_to_phys(buf), len);
	expect(d, &b, CO_ST_OK, "WRITE of sectors 16-23 before DISCARD");
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_DISCARD;
	b.sector = 16;
	b.arg2 = 8;
	expect(d, &b, CO_ST_OK, "DISCARD of sectors 16-23");
	one_seg(&b, CO_COBD_READ, 16, tg_virt_to_phys(buf), len);
	expect(d, &b, CO_ST_OK, "READ of the discarded sectors");
	for (i = 0; i < len; i++)
		zero &= !buf[i];
	tg_check(zero, "discarded sectors read back as zeros");
	memset(&b, 0, sizeof(b));
	b.op = CO_COBD_DISCARD;
	b.sector = info->cobd.sectors - 1;
	b.arg2 = 2;
	expect(d, &b, CO_ST_RANGE, "DISCARD across the end");
}

static void errors_readonly(uint8_t *buf)
{
	unsigned int list[CO_COBD_UNITS], n = tg_cobd_units(list, CO_COBD_UNITS), i;

	for (i = 0; i < n; i++) {
		struct tg_cobd *d = tg_cobd_open(list[i]);
		struct tg_bio b;

		if (!d || !(tg_cobd_info(d)->flags & CO_COBD_F_READONLY))
			continue;
		tg_prefix_push("unit %u", list[i]);
		one_seg(&b, CO_COBD_WRITE, 0, tg_virt_to_phys(buf), SECTOR);
		expect(d, &b, CO_ST_RDONLY, "WRITE to a read-only unit");
		memset(&b, 0, sizeof(b));
		b.op = CO_COBD_FLUSH;
		expect(d, &b, CO_ST_OK, "FLUSH on a read-only unit");
		tg_prefix_pop();
		return;
	}
	tg_skip("read-only checks: no read-only unit (cobdN=FILE,ro)");
}

/* A writable unit if there is one: read-only is checked on its own. */
static struct tg_cobd *errors_unit(const unsigned int *list, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct tg_cobd *w = tg_cobd_open(list[i]);

		if (w && !(tg_cobd_info(w)->flags & CO_COBD_F_READONLY))
			return w;
	}
	return tg_cobd_open(list[0]);
}

void tg_test_cobd_errors(void)
{
	unsigned int list[CO_COBD_UNITS], n = tg_cobd_units(list, CO_COBD_UNITS);
	struct tg_cobd *d;
	uint64_t mark;
	uint8_t *buf;

	if (!n) {
		tg_skip("no cobd unit configured (cobdN=FILE)");
		return;
	}
	d = errors_unit(list, n);
	mark = tg_mm_mark();
	buf = tg_page_alloc((512 << 10) / PAGE_SIZE);
	if (!d || !buf) {
		tg_fail("cannot set up %s", d ? "a 512 KiB buffer" : "a unit's queue");
		goto out;
	}
	tg_prefix_push("unit %u", tg_cobd_info(d)->unit);
	errors_requests(d, buf);
	errors_descriptors(d, buf);
	errors_discard(d, buf);
	tg_prefix_pop();
	errors_readonly(buf);
out:
	tg_mm_release(mark);
}
