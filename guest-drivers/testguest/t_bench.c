// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark programs: load for the host to measure (colinux-sim --stats
 * prints wall time, switches and requests), and their own rate by the
 * guest's clock. They check only that every request succeeded.
 */
#include "tg.h"

/*
 * bench_cobd: "count" requests of "size" bytes on cobd0 at random aligned
 * sectors, "depth" in flight per notify; "op=write" writes instead of
 * reading.
 */
void tg_test_bench_cobd(void)
{
	uint64_t count = tg_arg_u64("count", 10000);
	uint64_t size = tg_arg_u64("size", 4096);
	uint64_t depth = tg_arg_u64("depth", 32);
	char op[8] = "read";
	struct tg_bio *bio;
	struct tg_cobd *d;
	struct tg_rng rng;
	uint64_t done = 0, sectors, failed = 0, i, mark, t0, ns;
	uint8_t *buf;

	tg_arg("op", op, sizeof(op));
	d = tg_cobd_open(0);
	if (!d) {
		tg_skip("no cobd0");
		return;
	}
	if (!depth || depth > tg_cobd_depth(d) || !size || size % 512 ||
	    size > 64 * 1024) {
		tg_fail("depth 1..%u and size 512..65536 in sectors, please",
			tg_cobd_depth(d));
		return;
	}
	sectors = tg_cobd_info(d)->cobd.sectors;
	mark = tg_mm_mark();
	buf = tg_page_alloc(depth * size / PAGE_SIZE + 1);
	bio = tg_page_alloc(ALIGN_UP(depth * sizeof(*bio), PAGE_SIZE) / PAGE_SIZE);
	if (!buf || !bio || sectors < size / 512 * 2) {
		tg_fail("no memory for %llu buffers, or a disk too small",
			(unsigned long long)depth);
		goto out;
	}
	tg_rng_seed(&rng, 1);
	t0 = co_guest_now(&tg_g);
	while (done < count) {
		uint64_t n = count - done < depth ? count - done : depth;

		for (i = 0; i < n; i++) {
			struct tg_bio *b = &bio[i];

			memset(b, 0, sizeof(*b));
			b->op = op[0] == 'w' ? CO_COBD_WRITE : CO_COBD_READ;
			b->sector = tg_rand_below(&rng, sectors / (size / 512)) * (size / 512);
			b->nseg = 1;
			b->seg[0].gpa = tg_virt_to_phys(buf + i * size);
			b->seg[0].len = (uint32_t)size;
			if (tg_cobd_submit(d, b))
				tg_panic("bench_cobd: ring full at %llu", (unsigned long long)i);
		}
		tg_cobd_kick(d);
		if (tg_cobd_wait_all(d, 60 * NS_PER_S)) {
			tg_fail("timed out after %llu requests", (unsigned long long)done);
			goto out;
		}
		for (i = 0; i < n; i++)
			failed += bio[i].status != CO_ST_OK;
		done += n;
	}
	/*
	 * The guest's own clock: boot and set-up stay out of the figure.
	 * colinux-sim's virtual clock stands still here (no line) unless
	 * --real-time.
	 */
	ns = co_guest_now(&tg_g) - t0;
	if (ns)
		tg_printf("bench_cobd: %llu %s requests of %llu bytes at depth %llu in %llu us: %llu requests/s, %llu KB/s\n",
			  (unsigned long long)count, op, (unsigned long long)size,
			  (unsigned long long)depth, (unsigned long long)(ns / 1000),
			  (unsigned long long)(count * NS_PER_S / ns),
			  (unsigned long long)(count * size * (NS_PER_S / 1000) / ns));
	tg_check(!failed, "%llu %s requests of %llu bytes at depth %llu, %llu failed",
		 (unsigned long long)count, op, (unsigned long long)size,
		 (unsigned long long)depth, (unsigned long long)failed);
out:
	tg_mm_release(mark);
}
