// SPDX-License-Identifier: GPL-2.0
/*
 * Device-path figures for docs/performance.md: cobd throughput and IOPS at
 * queue depth 1 and 32, conet frames per second, and switches per request.
 *
 * The guest here is the tests' scripted guest (a C function playing the
 * guest at every switch), so the figures measure the monitor's side: ring
 * handling, validation, the back-end and the host file system, without an
 * emulated CPU in the way. Prints figures; asserts nothing about speed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sim/sim.h>
#include "co_gring.h"
#include "co_test.h"

struct io_bench {
	struct co_gring ring;
	unsigned int queue;
	uint64_t buf_gpa;
	unsigned int depth;
	uint32_t bytes;
	uint16_t op;
	uint64_t sectors;	/* of the disk */
	uint64_t total, done, issued;
	uint64_t rng;
	/* conet: a second ring on the receiving unit */
	struct co_gring rx;
	bool net;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup_ring(struct co_test_guest *g, struct co_gring *r,
		       unsigned int queue)
{
	uint64_t gpa = co_test_scratch_gpa(g, co_gring_bytes(6));

	co_gring_init(r, co_test_gpa_ptr(g, gpa), gpa, 6);
	co_test_op(g, CO_OP_QUEUE_SETUP, queue, gpa, 6);
}

static void issue(struct io_bench *b)
{
	while (b->issued < b->total && b->issued - b->done < b->depth) {
		struct co_desc *d = co_gring_reserve(&b->ring);
		uint64_t slot = b->issued % b->depth;
		uint64_t sector = 0;

		if (!d)
			break;
		if (!b->net)
			sector = (co_test_rand(&b->rng) % (b->sectors / 8 - 16)) * 8;
		co_gring_desc_init(d, b->issued, b->op, sector);
		co_gring_desc_add_seg(d, b->buf_gpa + slot * b->bytes, b->bytes);
		b->issued++;
	}
	co_gring_publish(&b->ring);
}

static void step(struct co_test_guest *g, unsigned int entry)
{
	struct io_bench *b = g->ctx;
	struct co_cpl c;

	if (entry == 0) {
		setup_ring(g, &b->ring, b->queue);
		return;
	}
	if (entry == 1 && b->net) {
		setup_ring(g, &b->rx, CO_QUEUE_CONET_RX(1));
		return;
	}
	while (co_gring_reap(&b->ring, &c)) {
		if (c.status != CO_ST_OK)
			fail_msg("request %llu failed: %d", (unsigned long long)c.id,
				 c.status);
		b->done++;
	}
	if (b->net) {
		/* Keep the receiver's buffers posted; count what arrived. */
		while (co_gring_reap(&b->rx, &c))
			;
		while (co_gring_free(&b->rx)) {
			struct co_desc *d = co_gring_reserve(&b->rx);

			co_gring_desc_init(d, 0, CO_CONET_RX, 0);
			co_gring_desc_add_seg(d, b->buf_gpa + (1 << 20), 2048);
		}
		co_gring_publish(&b->rx);
		co_test_doorbell(g, CO_QUEUE_CONET_RX(1));
	}
	if (b->done == b->total) {
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	issue(b);
	co_test_doorbell(g, b->queue);
	co_test_op(g, CO_OP_NOTIFY, 0, 0, 0);
}

static void run(const char *what, const char *const *args, struct io_bench *b)
{
	struct co_test_guest *g;
	struct co_vm_exit ex;
	struct co_vm_stats st;
	double t0, t;

	if (co_test_boot(args, step, b, &g)) {
		fprintf(stderr, "bench: cannot boot\n");
		exit(1);
	}
	g->max_entries = ~0u;
	b->buf_gpa = co_test_scratch_gpa(g, 4 << 20);
	t0 = now();
	if (co_test_run(g, &ex) != CO_TERM_POWEROFF) {
		fprintf(stderr, "bench: %s: %s\n", what, ex.text);
		exit(1);
	}
	t = now() - t0;
	co_vm_stats(g->vm, &st);
	printf("%-34s %9.0f req/s %9.1f MB/s  %.3f switches/request\n", what,
	       b->total / t, b->total * (double)b->bytes / t / 1e6,
	       (double)st.switches / b->total);
	co_test_destroy(g);
}

static void bench_cobd(const char *disk, unsigned int depth, uint16_t op,
		       uint32_t bytes, uint64_t total)
{
	char arg[300], what[80];
	const char *args[] = { "mem=64", "memwindow=contiguous", arg, NULL };
	struct io_bench b = {
		.queue = CO_QUEUE_COBD(0), .depth = depth, .bytes = bytes,
		.op = op, .sectors = (256 << 20) / 512, .total = total, .rng = 7,
	};

	snprintf(arg, sizeof(arg), "cobd0=%s", disk);
	snprintf(what, sizeof(what), "cobd %s %uK QD%u",
		 op == CO_COBD_READ ? "read " : "write", bytes >> 10, depth);
	run(what, args, &b);
}

static void bench_conet(unsigned int depth, uint64_t total)
{
	const char *args[] = { "mem=64", "memwindow=contiguous",
			       "eth0=loop,bench", "eth1=loop,bench", NULL };
	char what[80];
	struct io_bench b = {
		.queue = CO_QUEUE_CONET_TX(0), .depth = depth, .bytes = 1514,
		.op = CO_CONET_TX, .total = total, .net = true,
	};

	snprintf(what, sizeof(what), "conet loop 1514B frames, %u/notify", depth);
	run(what, args, &b);
}

int main(void)
{
	char disk[] = "/tmp/colinux-bench-XXXXXX";
	int fd = mkstemp(disk);

	if (fd < 0 || ftruncate(fd, 256 << 20)) {
		perror("bench: disk image");
		return 1;
	}
	close(fd);
	co_sim_log_level(CO_LOG_ERROR);
	bench_cobd(disk, 1, CO_COBD_READ, 4096, 20000);
	bench_cobd(disk, 32, CO_COBD_READ, 4096, 100000);
	bench_cobd(disk, 1, CO_COBD_WRITE, 4096, 20000);
	bench_cobd(disk, 32, CO_COBD_WRITE, 4096, 100000);
	bench_cobd(disk, 32, CO_COBD_READ, 65536, 10000);
	bench_cobd(disk, 32, CO_COBD_WRITE, 65536, 10000);
	bench_conet(1, 50000);
	bench_conet(32, 200000);
	unlink(disk);
	return 0;
}
