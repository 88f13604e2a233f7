// SPDX-License-Identifier: GPL-2.0
/*
 * conet as a scripted guest drives it through its rings: TX checks, the
 * pcap writer (parsed back here and by tshark), RX into posted buffers,
 * the RX backlog, loopback pairs within a VM and between VMs on two
 * threads, and the error paths (write and allocation failures).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_conet_common.h"

/* ---- pcap files, read back -------------------------------------------- */

struct pcap_rec {
	uint32_t sec, usec, incl, orig;
	const uint8_t *data;
};

struct pcap_file {
	uint8_t *buf;
	size_t size;
	unsigned int n;
	struct pcap_rec rec[64];
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

/* Parse a whole capture strictly: header, then records to the very end. */
static void pcap_load(const char *path, struct pcap_file *pf)
{
	FILE *f = fopen(path, "rb");
	size_t off;
	long sz;

	memset(pf, 0, sizeof(*pf));
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 24);
	rewind(f);
	pf->size = (size_t)sz;
	pf->buf = malloc(pf->size);
	assert_non_null(pf->buf);
	assert_int_equal(fread(pf->buf, 1, pf->size, f), pf->size);
	fclose(f);

	assert_int_equal(le32(pf->buf), 0xa1b2c3d4);
	assert_int_equal(le16(pf->buf + 4), 2);
	assert_int_equal(le16(pf->buf + 6), 4);
	assert_int_equal(le32(pf->buf + 8), 0);
	assert_int_equal(le32(pf->buf + 16), 65535);
	assert_int_equal(le32(pf->buf + 20), 1);	/* LINKTYPE_ETHERNET */
	for (off = 24; off < pf->size; ) {
		struct pcap_rec *r = &pf->rec[pf->n++];

		assert_true(pf->n <= 64);
		assert_true(off + 16 <= pf->size);
		r->sec = le32(pf->buf + off);
		r->usec = le32(pf->buf + off + 4);
		r->incl = le32(pf->buf + off + 8);
		r->orig = le32(pf->buf + off + 12);
		assert_int_equal(r->incl, r->orig);
		assert_true(r->usec < 1000000);
		off += 16;
		assert_true(off + r->incl <= pf->size);
		r->data = pf->buf + off;
		off += r->incl;
	}
}

static void fmt_mac(char *buf, const uint8_t *m)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
}

/* tshark must read the capture and see exactly these frames. */
static void tshark_check(const char *path, const uint8_t *const *frames,
			 const size_t *lens, unsigned int n)
{
	char cmd[1024], line[256], want[256], src[32], dst[32];
	unsigned int i = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -T fields -e eth.src -e eth.dst -e frame.len",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (i >= n)
			fail_msg("tshark reports an extra frame: %s", line);
		fmt_mac(src, frames[i] + 6);
		fmt_mac(dst, frames[i]);
		snprintf(want, sizeof(want), "%s\t%s\t%zu\n", src, dst,
			 lens[i]);
		assert_string_equal(line, want);
		i++;
	}
	st = pclose(p);
	/* No tshark (exit 127) or a capture it rejects: a failure, not a skip. */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(i, n);
}

/* ---- TX checks, through the pcap back-end ----------------------------- */

#define WALL_NS	(1700000123ULL * 1000000000ULL + 456789321ULL)

struct tx_ctx {
	uint8_t f[4][CO_CONET_MAX_FRAME + 1];
	size_t len[4];
	uint8_t junk[CO_CONET_MAX_FRAME + 1];
};

static void body_tx_checks(struct rig *r, unsigned int step)
{
	struct tx_ctx *t = r->ctx;
	struct gnet *n = &r->net[0];
	struct co_cpl c[16];
	struct co_desc *d;
	uint32_t slot;
	uint8_t *p;

	switch (step) {
	case 0:
		g_tx(r, 0, t->f[0], t->len[0]);			/* 1 */
		/* 2: one frame in two segments, gathered. */
		slot = n->tx.req_prod & (RIG_SLOTS - 1);
		d = co_gring_reserve(&n->tx);
		assert_non_null(d);
		p = co_test_gpa_ptr(r->g, n->tx_buf[slot]);
		memcpy(p, t->f[1], 100);
		memcpy(p + 2048, t->f[1] + 100, t->len[1] - 100);
		co_gring_desc_init(d, ++n->tx_seq, CO_CONET_TX, 0);
		co_gring_desc_add_seg(d, n->tx_buf[slot], 100);
		co_gring_desc_add_seg(d, n->tx_buf[slot] + 2048,
				      (uint32_t)t->len[1] - 100);
		g_tx(r, 0, t->junk, 13);			/* 3: runt */
		g_tx(r, 0, NULL, 0);				/* 4: empty */
		g_tx(r, 0, t->junk, CO_CONET_MAX_FRAME + 1);	/* 5: oversize */
		g_tx(r, 0, t->junk, 100);			/* 6: group source */
		/* 7: the RX op on the TX queue. */
		g_tx(r, 0, t->f[0], t->len[0]);
		d = &n->tx.req[(n->tx.req_prod - 1) & (RIG_SLOTS - 1)];
		d->op = CO_CONET_RX;
		g_tx(r, 0, t->f[2], t->len[2]);			/* 8: max */
		g_tx(r, 0, t->f[3], t->len[3]);			/* 9: header only */
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	case 1: {
		static const int32_t want_st[9] = {
			CO_ST_OK, CO_ST_OK, CO_ST_INVAL, CO_ST_INVAL,
			CO_ST_TOOBIG, CO_ST_INVAL, CO_ST_NOTSUP, CO_ST_OK,
			CO_ST_OK,
		};
		uint32_t want_len[9] = {
			t->len[0], t->len[1], 0, 0, 0, 0, 0, t->len[2],
			t->len[3],
		};
		unsigned int i;

		assert_int_equal(g_reap(&n->tx, c, 16), 9);
		for (i = 0; i < 9; i++) {
			assert_int_equal(c[i].id, i + 1);
			assert_int_equal(c[i].status, want_st[i]);
			assert_int_equal(c[i].len, want_len[i]);
		}
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
		break;
	}
	default:
		fail();
	}
}

static void test_tx_checks_and_pcap(void **state)
{
	const char *args[] = { "mem=16", NULL, NULL };
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_vm_exit exit;
	struct pcap_file pf;
	struct tx_ctx *t;
	char path[512], arg[600];
	uint8_t me[6], peer[6] = { 0x02, 0, 0, 0, 0, 9 };
	const uint8_t *frames[4];
	struct rig r;
	unsigned int i;

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	co_test_tmp_path(path, sizeof(path), "tx.pcap");
	snprintf(arg, sizeof(arg), "eth0=pcap,%s", path);
	args[1] = arg;
	mac_of_unit(0, me);
	t->len[0] = 60;
	t->len[1] = 1514;
	t->len[2] = CO_CONET_MAX_FRAME;
	t->len[3] = CO_CONET_MIN_FRAME;
	make_frame(t->f[0], t->len[0], mac_bcast, me, 0x0806, 1);
	make_frame(t->f[1], t->len[1], peer, me, 0x0800, 2);
	make_frame(t->f[2], t->len[2], peer, me, 0x8100, 3);
	make_frame(t->f[3], t->len[3], peer, me, 0x88b5, 4);
	/* Junk: its source address is a group address. */
	make_frame(t->junk, sizeof(t->junk), peer, mac_bcast, 0x0800, 5);
	co_sim_clock_set_wall(WALL_NS);

	assert_int_equal(rig_boot(&r, args, 1, body_tx_checks, t), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	co_conet_stats(rig_dev(&r, 0), &st);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(st.tx_frames, 4);
	assert_int_equal(st.tx_bytes, 60 + 1514 + 1518 + 14);
	assert_int_equal(st.tx_dropped_malformed, 3);
	assert_int_equal(st.tx_dropped_oversize, 1);
	assert_int_equal(st.rx_frames, 0);
	assert_int_equal(xs.tx_lost, 0);
	co_test_destroy(r.g);

	/* Exactly the four good frames, byte for byte, nothing else. */
	pcap_load(path, &pf);
	assert_int_equal(pf.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pf.rec[i].incl, t->len[i]);
		assert_memory_equal(pf.rec[i].data, t->f[i], t->len[i]);
		assert_int_equal(pf.rec[i].sec, 1700000123);
		assert_int_equal(pf.rec[i].usec, 456789);
		frames[i] = t->f[i];
	}
	free(pf.buf);
	tshark_check(path, frames, t->len, 4);
	unlink(path);
	free(t);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- pcap write errors --------------------------------------------------- */

struct werr_ctx {
	uint8_t f[5][200];
	unsigned int warn_lines;
};

static void count_pcap_warnings(void *ctx, int level, const char *line)
{
	struct werr_ctx *w = ctx;

	if (strstr(line, "conet pcap: write failed"))
		w->warn_lines++;
}

static void body_write_errors(struct rig *r, unsigned int step)
{
	struct werr_ctx *w = r->ctx;
	struct co_cpl c[4];
	unsigned int i, n;

	/* Everything sent before this step has completed OK. */
	n = g_reap(&r->net[0].tx, c, 4);
	for (i = 0; i < n; i++)
		assert_int_equal(c[i].status, CO_ST_OK);
	switch (step) {
	case 0:
		g_tx(r, 0, w->f[0], 100);		/* A: lands */
		break;
	case 1:
		assert_int_equal(n, 1);
		co_sim_fault_eio(CO_SIM_FAULT_FILE_WRITE, 1);
		g_tx(r, 0, w->f[1], 110);		/* B: EIO */
		break;
	case 2:
		assert_int_equal(n, 1);
		co_sim_fault_short(CO_SIM_FAULT_FILE_WRITE, 10, 1);
		g_tx(r, 0, w->f[2], 120);		/* C: 10 bytes of it */
		break;
	case 3:
		assert_int_equal(n, 1);
		g_tx(r, 0, w->f[3], 130);		/* D: over C's remains */
		g_tx(r, 0, w->f[4], 140);		/* E */
		break;
	default:
		assert_int_equal(n, 2);
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	g_tx_kick(r, 0);
	co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
}

static void test_pcap_write_errors(void **state)
{
	const char *args[] = { "mem=16", NULL, NULL };
	static const size_t want_len[3] = { 100, 130, 140 };
	const uint8_t *frames[3];
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_vm_exit exit;
	struct werr_ctx *w;
	struct pcap_file pf;
	char path[512], arg[600];
	uint8_t me[6];
	struct rig r;
	unsigned int i;

	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	mac_of_unit(0, me);
	for (i = 0; i < 5; i++)
		make_frame(w->f[i], sizeof(w->f[i]), mac_bcast, me, 0x0800,
			   10 + i);
	co_test_tmp_path(path, sizeof(path), "werr.pcap");
	snprintf(arg, sizeof(arg), "eth0=pcap,%s", path);
	args[1] = arg;
	co_sim_log_hook(count_pcap_warnings, w);

	assert_int_equal(rig_boot(&r, args, 1, body_write_errors, w), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	co_conet_stats(rig_dev(&r, 0), &st);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(st.tx_frames, 5);
	assert_int_equal(xs.tx_lost, 2);
	/* Logged once, however many frames are lost. */
	assert_int_equal(w->warn_lines, 1);
	co_sim_log_hook(NULL, NULL);
	co_test_destroy(r.g);

	/* The lost frames left no trace; the file is whole. */
	pcap_load(path, &pf);
	assert_int_equal(pf.n, 3);
	assert_int_equal(pf.size, 24 + 3 * 16 + 100 + 130 + 140);
	frames[0] = w->f[0];
	frames[1] = w->f[3];
	frames[2] = w->f[4];
	for (i = 0; i < 3; i++) {
		assert_int_equal(pf.rec[i].incl, want_len[i]);
		assert_memory_equal(pf.rec[i].data, frames[i], want_len[i]);
	}
	free(pf.buf);
	tshark_check(path, frames, want_len, 3);
	unlink(path);
	free(w);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* The capture cannot be created: the VM cannot be either. */
static void test_pcap_create_errors(void **state)
{
	const char *args[] = { "mem=16", NULL, NULL };
	struct co_test_guest *g;
	char path[512], arg[600];
	struct stat sb;

	co_test_tmp_path(path, sizeof(path), "no-such-dir/x.pcap");
	snprintf(arg, sizeof(arg), "eth0=pcap,%s", path);
	args[1] = arg;
	assert_true(co_test_create(args, rig_step, NULL, &g) < 0);
	assert_int_equal(co_sim_leak_check(), 0);

	co_test_tmp_path(path, sizeof(path), "hdr.pcap");
	snprintf(arg, sizeof(arg), "eth0=pcap,%s", path);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_OPEN, 1);
	assert_int_equal(co_test_create(args, rig_step, NULL, &g), -CO_EIO);
	assert_int_equal(co_sim_leak_check(), 0);

	co_sim_fault_eio(CO_SIM_FAULT_FILE_WRITE, 1);
	assert_int_equal(co_test_create(args, rig_step, NULL, &g), -CO_EIO);
	assert_int_equal(co_sim_leak_check(), 0);

	co_sim_fault_short(CO_SIM_FAULT_FILE_WRITE, 5, 1);
	assert_int_equal(co_test_create(args, rig_step, NULL, &g), -CO_EIO);
	assert_int_equal(co_sim_leak_check(), 0);

	/* And with nothing failing, the header is all there is. */
	co_sim_fault_reset();
	assert_int_equal(co_test_create(args, rig_step, NULL, &g), 0);
	co_test_destroy(g);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 24);
	unlink(path);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* Every allocation (and net open) of creation failing in turn. */
static void test_create_alloc_failures(void **state)
{
	const char *args[] = { "mem=16", NULL, "eth1=loop,allocs",
			       "eth2=loop,allocs", "eth3=slirp", NULL };
	struct co_test_guest *g;
	char path[512], arg[600];
	unsigned long nth;
	int err, failures = 0;

	co_test_tmp_path(path, sizeof(path), "alloc.pcap");
	snprintf(arg, sizeof(arg), "eth0=pcap,%s", path);
	args[1] = arg;
	for (nth = 1; nth < 100000; nth++) {
		co_sim_fault_fail_nth(CO_SIM_FAULT_ANY_ALLOC, nth, 0);
		err = co_test_create(args, rig_step, NULL, &g);
		co_sim_fault_reset();
		if (!err)
			break;
		assert_true(err < 0);
		assert_int_equal(co_sim_leak_check(), 0);
		failures++;
	}
	assert_int_equal(err, 0);
	/* All four conet units are built by now. */
	assert_non_null(co_vm_device(g->vm, CO_DEV_CONET, 3));
	co_test_destroy(g);
	assert_true(failures > 8);
	unlink(path);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- RX into posted buffers, through a test-owned wire ----------------- */

struct rx_ctx {
	struct wire *w;
	uint8_t f[5][CO_CONET_MAX_FRAME];
	size_t len[5];
	uint64_t id[5];
};

static void body_rx_posted(struct rig *r, unsigned int step)
{
	struct rx_ctx *x = r->ctx;
	struct co_cpl c[8];
	unsigned int i;

	switch (step) {
	case 0:
		/* A wrong op first: refused, and the frame takes the next. */
		x->id[0] = g_rx_post_op(r, 0, 1518, CO_CONET_TX);
		x->id[1] = g_rx_post(r, 0, 1518);
		x->id[2] = g_rx_post(r, 0, 1518);
		x->id[3] = g_rx_post(r, 0, 199);	/* one byte short */
		x->id[4] = g_rx_post(r, 0, 64);		/* just right */
		g_rx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	case 1:
		/* Nothing arrived yet: the buffers are all still ours. */
		assert_int_equal(g_reap(&r->net[0].rx, c, 8), 0);
		for (i = 0; i < 4; i++)
			assert_int_equal(wire_send(x->w, x->f[i], x->len[i]), 0);
		/* A runt from outside never reaches the guest. */
		assert_int_equal(wire_send(x->w, x->f[4], 10), 0);
		co_test_op(r->g, CO_OP_YIELD, 0, 0, 0);
		break;
	case 2:
		assert_int_equal(g_reap(&r->net[0].rx, c, 8), 5);
		assert_int_equal(c[0].id, x->id[0]);
		assert_int_equal(c[0].status, CO_ST_NOTSUP);
		assert_int_equal(c[1].id, x->id[1]);
		g_rx_check(r, &c[1], x->f[0], x->len[0]);
		assert_int_equal(c[2].id, x->id[2]);
		g_rx_check(r, &c[2], x->f[1], x->len[1]);
		assert_int_equal(c[3].id, x->id[3]);
		assert_int_equal(c[3].status, CO_ST_TOOBIG);
		assert_int_equal(c[3].len, 0);
		assert_int_equal(c[4].id, x->id[4]);
		g_rx_check(r, &c[4], x->f[3], x->len[3]);
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		/* And the other way: guest to wire. */
		g_tx(r, 0, x->f[4], x->len[4]);
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	default:
		assert_int_equal(g_reap(&r->net[0].tx, c, 8), 1);
		assert_int_equal(c[0].status, CO_ST_OK);
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
	}
}

static void test_rx_posted_buffers(void **state)
{
	const char *args[] = { "mem=16", "eth0=loop,wire-rx", NULL };
	static const uint8_t far[6] = { 0x02, 0xfa, 0, 0, 0, 1 };
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_vm_exit exit;
	struct rx_ctx *x;
	uint8_t me[6];
	struct rig r;
	unsigned int i;

	x = calloc(1, sizeof(*x));
	assert_non_null(x);
	mac_of_unit(0, me);
	x->len[0] = 60;
	x->len[1] = CO_CONET_MAX_FRAME;
	x->len[2] = 200;
	x->len[3] = 64;
	x->len[4] = 98;
	for (i = 0; i < 4; i++)
		make_frame(x->f[i], x->len[i], me, far, 0x0800, 20 + i);
	make_frame(x->f[4], x->len[4], far, me, 0x0800, 24);
	x->w = wire_open("wire-rx");

	assert_int_equal(rig_boot(&r, args, 1, body_rx_posted, x), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	co_conet_stats(rig_dev(&r, 0), &st);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(st.rx_frames, 3);
	assert_int_equal(st.rx_bytes, 60 + 1518 + 64);
	assert_int_equal(st.rx_dropped_nobuf, 0);
	assert_int_equal(xs.rx_dropped_toobig, 1);
	assert_int_equal(xs.rx_dropped_bad, 1);
	assert_int_equal(st.tx_frames, 1);

	/* The guest's frame crossed the wire intact. */
	assert_true(x->w->notified >= 1);
	wire_poll(x->w);
	assert_int_equal(x->w->nframes, 1);
	assert_int_equal(x->w->len[0], x->len[4]);
	assert_memory_equal(x->w->frame[0], x->f[4], x->len[4]);
	co_test_destroy(r.g);
	wire_close(x->w);
	free(x);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- RX backlog ---------------------------------------------------------- */

#define BL_FRAMES	70

struct bl_ctx {
	struct wire *w;
	uint8_t f[BL_FRAMES][256];
	size_t len[BL_FRAMES];
};

static void bl_check_stats(struct rig *r, uint64_t backlog, uint64_t nobuf,
			   uint64_t frames)
{
	struct co_conet_stats st;
	struct co_conet_xstats xs;

	co_conet_stats(rig_dev(r, 0), &st);
	co_conet_xstats(rig_dev(r, 0), &xs);
	assert_int_equal(xs.rx_backlog, backlog);
	assert_int_equal(st.rx_dropped_nobuf, nobuf);
	assert_int_equal(st.rx_frames, frames);
}

static void body_backlog(struct rig *r, unsigned int step)
{
	struct bl_ctx *b = r->ctx;
	struct co_cpl c[RIG_SLOTS];
	unsigned int i, base;

	switch (step) {
	case 0:
		for (i = 0; i < 40; i++)
			assert_int_equal(wire_send(b->w, b->f[i], b->len[i]), 0);
		co_test_op(r->g, CO_OP_YIELD, 0, 0, 0);
		break;
	case 1:
		bl_check_stats(r, 40, 0, 0);
		for (i = 40; i < BL_FRAMES; i++)
			assert_int_equal(wire_send(b->w, b->f[i], b->len[i]), 0);
		co_test_op(r->g, CO_OP_YIELD, 0, 0, 0);
		break;
	case 2:
		/* 64 kept, the 6 newest dropped; no interrupt without buffers. */
		bl_check_stats(r, 64, 6, 0);
		assert_false(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		/* fallthrough */
	case 3:
		if (step == 3) {
			assert_int_equal(g_reap(&r->net[0].rx, c, RIG_SLOTS),
					 RIG_SLOTS);
			for (i = 0; i < RIG_SLOTS; i++)
				g_rx_check(r, &c[i], b->f[i], b->len[i]);
			bl_check_stats(r, 32, 6, 32);
		}
		for (i = 0; i < RIG_SLOTS; i++)
			g_rx_post(r, 0, 1518);
		g_rx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	case 4:
		base = RIG_SLOTS;
		assert_int_equal(g_reap(&r->net[0].rx, c, RIG_SLOTS),
				 RIG_SLOTS);
		for (i = 0; i < RIG_SLOTS; i++)
			g_rx_check(r, &c[i], b->f[base + i], b->len[base + i]);
		bl_check_stats(r, 0, 6, 64);
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		/* The wire's own bound: 64 frames wait for our poll. */
		for (i = 0; i < BL_FRAMES; i++)
			assert_int_equal(wire_send(b->w, b->f[i], b->len[i]),
					 i < 64 ? 0 : -CO_EBUSY);
		co_test_op(r->g, CO_OP_YIELD, 0, 0, 0);
		break;
	case 5:
		bl_check_stats(r, 64, 6, 64);
		/*
		 * Buffers posted without a doorbell, then a new frame: the
		 * oldest waiting frames take the buffers, the new one queues.
		 */
		g_rx_post(r, 0, 1518);
		g_rx_post(r, 0, 1518);
		co_gring_publish(&r->net[0].rx);
		assert_int_equal(wire_send(b->w, b->f[69], b->len[69]), 0);
		co_test_op(r->g, CO_OP_YIELD, 0, 0, 0);
		break;
	default:
		assert_int_equal(g_reap(&r->net[0].rx, c, RIG_SLOTS), 2);
		g_rx_check(r, &c[0], b->f[0], b->len[0]);
		g_rx_check(r, &c[1], b->f[1], b->len[1]);
		bl_check_stats(r, 63, 6, 66);
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
	}
}

static void test_rx_backlog(void **state)
{
	const char *args[] = { "mem=16", "eth0=loop,wire-bl", NULL };
	static const uint8_t far[6] = { 0x02, 0xfa, 0, 0, 0, 2 };
	struct co_conet_xstats xs;
	struct co_vm_exit exit;
	struct bl_ctx *b;
	uint8_t me[6];
	struct rig r;
	unsigned int i;

	b = calloc(1, sizeof(*b));
	assert_non_null(b);
	mac_of_unit(0, me);
	for (i = 0; i < BL_FRAMES; i++) {
		b->len[i] = 60 + i * 2;
		make_frame(b->f[i], b->len[i], me, far, 0x0800, 100 + i);
	}
	b->w = wire_open("wire-bl");

	assert_int_equal(rig_boot(&r, args, 1, body_backlog, b), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	/* A reset forgets frames meant for the old guest. */
	assert_int_equal(co_vm_reset(r.g->vm), 0);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(xs.rx_backlog, 0);
	co_test_destroy(r.g);
	wire_close(b->w);
	free(b);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- loopback between two units of one VM ------------------------------ */

struct pair_ctx {
	uint8_t f[4][CO_CONET_MAX_FRAME];
	size_t len[4];
};

static void body_pair(struct rig *r, unsigned int step)
{
	struct pair_ctx *p = r->ctx;
	struct co_cpl c[8];
	unsigned int i;

	switch (step) {
	case 0:
		for (i = 0; i < 3; i++) {
			g_rx_post(r, 1, 1518);
			g_tx(r, 0, p->f[i], p->len[i]);
		}
		g_rx_kick(r, 1);
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	case 1:
		assert_int_equal(g_reap(&r->net[0].tx, c, 8), 3);
		for (i = 0; i < 3; i++)
			assert_int_equal(c[i].status, CO_ST_OK);
		assert_int_equal(g_reap(&r->net[1].rx, c, 8), 3);
		for (i = 0; i < 3; i++)
			g_rx_check(r, &c[i], p->f[i], p->len[i]);
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(1)));
		/* Back from unit 1 to unit 0. */
		g_rx_post(r, 0, 1518);
		g_rx_kick(r, 0);
		g_tx(r, 1, p->f[3], p->len[3]);
		g_tx_kick(r, 1);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	default:
		assert_int_equal(g_reap(&r->net[0].rx, c, 8), 1);
		g_rx_check(r, &c[0], p->f[3], p->len[3]);
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
	}
}

static const struct co_dev_info *boot_dev(struct co_test_guest *g,
					  unsigned int unit)
{
	const struct co_boot_params *bp = co_test_boot_params(g);
	unsigned int i;

	for (i = 0; i < bp->nr_devices; i++) {
		if (bp->dev[i].dev_class == CO_DEV_CONET &&
		    bp->dev[i].unit == unit)
			return &bp->dev[i];
	}
	fail_msg("conet%u missing from the device table", unit);
	return NULL;
}

static void test_loop_two_units(void **state)
{
	const char *args[] = { "mem=16", "eth0=loop,pair",
			       "eth1=loop,pair,02:11:22:33:44:55", NULL };
	static const uint8_t mac1[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const struct co_dev_info *di;
	struct co_conet_stats st0, st1;
	struct co_vm_exit exit;
	struct pair_ctx *p;
	uint8_t mac0[6];
	struct rig r;
	unsigned int i;

	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	mac_of_unit(0, mac0);
	p->len[0] = 60;
	p->len[1] = 1518;
	p->len[2] = 777;
	p->len[3] = 1000;
	for (i = 0; i < 3; i++)
		make_frame(p->f[i], p->len[i], mac1, mac0, 0x0800, 40 + i);
	make_frame(p->f[3], p->len[3], mac0, mac1, 0x86dd, 43);

	assert_int_equal(rig_boot(&r, args, 2, body_pair, p), 0);
	/* What the guest is told: MACs (default and configured), MTU, wiring. */
	di = boot_dev(r.g, 0);
	assert_memory_equal(di->conet.mac, mac0, 6);
	assert_int_equal(di->conet.mtu, 1500);
	assert_int_equal(di->irq, CO_IRQ_CONET(0));
	assert_int_equal(di->first_queue, CO_QUEUE_CONET_TX(0));
	assert_int_equal(di->nr_queues, 2);
	di = boot_dev(r.g, 1);
	assert_memory_equal(di->conet.mac, mac1, 6);
	assert_int_equal(di->irq, CO_IRQ_CONET(1));
	assert_int_equal(di->first_queue, CO_QUEUE_CONET_TX(1));

	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	co_conet_stats(rig_dev(&r, 0), &st0);
	co_conet_stats(rig_dev(&r, 1), &st1);
	assert_int_equal(st0.tx_frames, 3);
	assert_int_equal(st0.tx_bytes, 60 + 1518 + 777);
	assert_int_equal(st1.rx_frames, 3);
	assert_int_equal(st1.rx_bytes, 60 + 1518 + 777);
	assert_int_equal(st1.tx_frames, 1);
	assert_int_equal(st0.rx_frames, 1);
	assert_int_equal(st0.rx_bytes, 1000);
	co_test_destroy(r.g);
	free(p);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- pairing rules: third end, absent peer, name reuse ----------------- */

static void body_lonely(struct rig *r, unsigned int step)
{
	struct wire **w = r->ctx;
	uint8_t f[64], me[6];
	struct co_cpl c[4];

	mac_of_unit(0, me);
	make_frame(f, sizeof(f), mac_bcast, me, 0x0800, step);
	switch (step) {
	case 0:
		g_tx(r, 0, f, sizeof(f));		/* the peer is there */
		break;
	case 1:
		assert_int_equal(g_reap(&r->net[0].tx, c, 4), 1);
		wire_poll(*w);
		assert_int_equal((*w)->nframes, 1);
		assert_memory_equal((*w)->frame[0], f, 14);
		wire_close(*w);				/* ... and gone */
		*w = NULL;
		g_tx(r, 0, f, sizeof(f));
		g_tx(r, 0, f, sizeof(f));
		break;
	default:
		/* Lost on the wire, but sent as far as the guest knows. */
		assert_int_equal(g_reap(&r->net[0].tx, c, 4), 2);
		assert_int_equal(c[0].status, CO_ST_OK);
		assert_int_equal(c[1].status, CO_ST_OK);
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	g_tx_kick(r, 0);
	co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
}

static void test_loop_pairing_rules(void **state)
{
	const char *three[] = { "mem=16", "eth0=loop,tri", "eth1=loop,tri",
				"eth2=loop,tri", NULL };
	const char *args[] = { "mem=16", "eth0=loop,lonely", NULL };
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_conet_port *port;
	struct co_test_guest *g;
	struct co_vm_exit exit;
	struct wire *w, *w2;
	struct rig r;

	/* A third end is refused, and the VM with it. */
	assert_int_equal(co_test_create(three, rig_step, NULL, &g), -CO_EBUSY);
	assert_int_equal(co_sim_leak_check(), 0);
	w = wire_open("tri");
	w2 = wire_open("tri");
	assert_int_equal(co_conet_loop_open("tri", wire_rx, wire_notify, w,
					    &port), -CO_EBUSY);
	/* Names are exact: a prefix is another pair. */
	assert_int_equal(co_conet_loop_open("tr", wire_rx, wire_notify, w,
					    &port), 0);
	port->ops->close(port);
	wire_close(w2);
	wire_close(w);
	assert_int_equal(co_sim_leak_check(), 0);

	/* A peer that goes away: its frames are lost and counted. */
	w = wire_open("lonely");
	assert_int_equal(rig_boot(&r, args, 1, body_lonely, &w), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	assert_null(w);
	co_conet_stats(rig_dev(&r, 0), &st);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(st.tx_frames, 3);
	assert_int_equal(xs.tx_lost, 2);
	/* A new end takes the free side of the surviving pair. */
	w = wire_open("lonely");
	wire_close(w);
	co_test_destroy(r.g);
	/* Everything closed: the registry and its lock are gone too. */
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_MUTEXES), 0);
	assert_int_equal(co_sim_leak_check(), 0);

	/* Bad names. */
	assert_int_equal(co_conet_loop_open("", wire_rx, wire_notify, NULL,
					    &port), -CO_EINVAL);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* ---- loopback between two VMs on two threads ---------------------------- */

#define X_FRAMES	3

struct xvm_ctx {
	uint8_t f[X_FRAMES][CO_CONET_MAX_FRAME];
	size_t len[X_FRAMES];
	/* What VM B saw (checked on the main thread). */
	unsigned int got;
	int32_t status[X_FRAMES];
	uint32_t got_len[X_FRAMES];
	uint8_t got_frame[X_FRAMES][CO_CONET_MAX_FRAME];
	bool gave_up;
	struct co_vm_exit exit_b;
};

static void body_xvm_a(struct rig *r, unsigned int step)
{
	struct xvm_ctx *x = r->ctx;
	struct co_cpl c[X_FRAMES];
	unsigned int i;

	if (step == 0) {
		for (i = 0; i < X_FRAMES; i++)
			g_tx(r, 0, x->f[i], x->len[i]);
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		return;
	}
	assert_int_equal(g_reap(&r->net[0].tx, c, X_FRAMES), X_FRAMES);
	co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
}

/* VM B idles until all frames are in; no cmocka asserts on this thread. */
static void body_xvm_b(struct rig *r, unsigned int step)
{
	struct xvm_ctx *x = r->ctx;
	struct co_cpl c;
	unsigned int i;

	if (step == 0) {
		for (i = 0; i < X_FRAMES; i++)
			g_rx_post(r, 0, 1518);
		g_rx_kick(r, 0);
		co_test_op(r->g, CO_OP_IDLE, 0, 0, 0);
		return;
	}
	co_test_irq_take(r->g, CO_IRQ_CONET(0));
	while (x->got < X_FRAMES && co_gring_reap(&r->net[0].rx, &c)) {
		x->status[x->got] = c.status;
		x->got_len[x->got] = c.len;
		if (c.len <= CO_CONET_MAX_FRAME)
			co_vm_read_gpa(r->g->vm, c.id, x->got_frame[x->got],
				       c.len);
		x->got++;
	}
	if (x->got == X_FRAMES || step > 1000) {
		x->gave_up = x->got < X_FRAMES;
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	co_test_op(r->g, CO_OP_IDLE, 0, 0, 0);
}

static void *run_b(void *arg)
{
	struct rig *b = arg;
	struct xvm_ctx *x = b->ctx;

	co_vm_run(b->g->vm, &x->exit_b);
	return NULL;
}

static void test_loop_two_vms(void **state)
{
	const char *args_a[] = { "mem=16", "eth0=loop,xvm", NULL };
	const char *args_b[] = { "mem=16", "eth0=loop,xvm,02:00:00:00:0b:0b",
				 NULL };
	const char *args_c[] = { "mem=16", "eth0=loop,xvm", NULL };
	static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0x0b, 0x0b };
	struct co_conet_stats st;
	struct co_test_guest *gc;
	struct co_vm_exit exit;
	struct xvm_ctx *x;
	struct rig a, b;
	pthread_t th;
	uint8_t mac_a[6];
	unsigned int i;

	x = calloc(1, sizeof(*x));
	assert_non_null(x);
	mac_of_unit(0, mac_a);
	for (i = 0; i < X_FRAMES; i++) {
		x->len[i] = 300 + 500 * i;
		make_frame(x->f[i], x->len[i], mac_b, mac_a, 0x0800, 60 + i);
	}
	assert_int_equal(rig_boot(&a, args_a, 1, body_xvm_a, x), 0);
	assert_int_equal(rig_boot(&b, args_b, 1, body_xvm_b, x), 0);
	/* A third VM cannot join the pair. */
	assert_int_equal(co_test_create(args_c, rig_step, NULL, &gc),
			 -CO_EBUSY);

	/* B idles on its own thread; only A's frames can wake it. */
	co_sim_external_source(true);
	assert_int_equal(pthread_create(&th, NULL, run_b, &b), 0);
	assert_int_equal(co_test_run(a.g, &exit), CO_TERM_POWEROFF);
	assert_int_equal(pthread_join(th, NULL), 0);
	co_sim_external_source(false);

	assert_int_equal(x->exit_b.reason, CO_TERM_POWEROFF);
	assert_false(x->gave_up);
	assert_int_equal(x->got, X_FRAMES);
	for (i = 0; i < X_FRAMES; i++) {
		assert_int_equal(x->status[i], CO_ST_OK);
		assert_int_equal(x->got_len[i], x->len[i]);
		assert_memory_equal(x->got_frame[i], x->f[i], x->len[i]);
	}
	co_conet_stats(rig_dev(&a, 0), &st);
	assert_int_equal(st.tx_frames, X_FRAMES);
	co_conet_stats(rig_dev(&b, 0), &st);
	assert_int_equal(st.rx_frames, X_FRAMES);
	assert_int_equal(st.rx_dropped_nobuf, 0);
	co_test_destroy(b.g);
	co_test_destroy(a.g);
	free(x);
	assert_int_equal(co_sim_leak_check(), 0);
}

static void test_stats_of_other_devices(void **state)
{
	const char *args[] = { "mem=16", NULL };
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_test_guest *g;

	assert_int_equal(co_test_create(args, rig_step, NULL, &g), 0);
	memset(&st, 0xff, sizeof(st));
	co_conet_stats(co_vm_device(g->vm, CO_DEV_COCON, 0), &st);
	assert_int_equal(st.tx_frames, 0);
	assert_int_equal(st.rx_dropped_nobuf, 0);
	memset(&xs, 0xff, sizeof(xs));
	co_conet_xstats(NULL, &xs);
	assert_int_equal(xs.tx_lost, 0);
	co_test_destroy(g);
	assert_int_equal(co_sim_leak_check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tx_checks_and_pcap,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_pcap_write_errors,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_pcap_create_errors,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_create_alloc_failures,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_rx_posted_buffers,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_rx_backlog,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_loop_two_units,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_loop_pairing_rules,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_loop_two_vms,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_stats_of_other_devices,
						conet_test_setup, conet_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
