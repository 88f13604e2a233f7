// SPDX-License-Identifier: GPL-2.0
/*
 * The traffic recorder (<sim/record.h>): turns a real run (colinux-sim
 * --record FILE) into a guest script (<sim/script.h>), an input of the VM
 * fuzz targets, so real device traffic seeds the fuzzers.
 *
 * It sits on the monitor's operation trace (co_vm_set_op_trace), which
 * sees every guest operation before the monitor processes it, and reads
 * the VM through the public API only (queues from <colinux/inspect.h>,
 * guest RAM, the shared page). At each operation it writes what the guest
 * did since the previous one, as the guest actions that reproduce it:
 *  - frames and keystrokes the devices delivered meanwhile (read back from
 *    the RX / console-input buffers they completed) become
 *    CO_SCRIPT_A_FRAME and CO_SCRIPT_A_KEYS, so the replay gets them from
 *    outside too;
 *  - changed interrupt-mask words become CO_SCRIPT_A_SHARED;
 *  - payloads of new requests that carry data to the host (conet TX,
 *    console output; not cobd writes, whose bytes the monitor never
 *    looks at) and indirect segment tables become CO_SCRIPT_A_WRITE;
 *  - changed bytes of every ring's guest-owned part (req_prod, cpl_cons,
 *    the descriptors) become CO_SCRIPT_A_WRITE;
 *  - rung doorbells become CO_SCRIPT_A_BELL, the text area
 *    CO_SCRIPT_A_TEXT when the operation reads it, and the operation
 *    itself CO_SCRIPT_A_OP.
 * Writes use RAM-relative offsets; operation parameters and the
 * addresses inside descriptors are raw guest-physical addresses, so a
 * recording replays as recorded only in a VM whose RAM starts where the
 * recorded one's did. The replay VM has CO_SCRIPT_MEM_MB of RAM: run the
 * recorded guest with mem=16 so its rings fit. Recording stops at REC_MAX
 * bytes (the fuzzers' -max_len is set to match in ci/fuzz-short and
 * fuzz/README.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <colinux/inspect.h>
#include <colinux/abi/ring.h>
#include <sim/record.h>
#include <sim/script.h>

#define REC_MAX		(256 * 1024)
#define DATA_MAX	4096	/* payload bytes kept per request */

struct rec_ring {
	bool up;
	uint64_t gpa;
	unsigned int log2;
	uint8_t *shadow;	/* guest-owned bytes as last recorded */
	uint32_t req_seen;
	uint32_t cpl_seen;
};

struct co_sim_recorder {
	struct co_vm *vm;
	char *path;
	FILE *file;
	struct co_script out;
	bool full;
	uint64_t irq_mask[CO_IRQ_LINES / 64];
	struct rec_ring ring[CO_MAX_QUEUES];
	/* Scratch of one step, per recorder: VMs may record on two threads. */
	struct co_seg segs[CO_DESC_MAX_SEGS];
	uint8_t buf[CO_CONET_MAX_FRAME > DATA_MAX ? CO_CONET_MAX_FRAME : DATA_MAX];
};

static uint64_t ram_off(const struct co_sim_recorder *r, uint64_t gpa)
{
	return gpa - co_vm_ram_base(r->vm);
}

static void emit_ram(struct co_sim_recorder *r, uint64_t gpa,
		     const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		size_t n = len > 0xffff ? 0xffff : len;

		co_script_put_u8(&r->out, CO_SCRIPT_A_WRITE);
		co_script_put_u8(&r->out, CO_SCRIPT_W_RAM);
		co_script_put_u32(&r->out, (uint32_t)ram_off(r, gpa));
		co_script_put_u16(&r->out, (uint16_t)n);
		co_script_put_bytes(&r->out, b, n);
		gpa += n;
		b += n;
		len -= n;
	}
}

static bool is_tx_queue(unsigned int qn)
{
	return qn == CO_QUEUE_COCON_OUT ||
	       (qn >= CO_QUEUE_CONET_TX(0) &&
		qn < CO_QUEUE_CONET_TX(CO_CONET_UNITS) && !((qn - 40) & 1));
}

static bool is_rx_queue(unsigned int qn)
{
	return qn == CO_QUEUE_COCON_IN ||
	       (qn > CO_QUEUE_CONET_TX(0) &&
		qn <= CO_QUEUE_CONET_RX(CO_CONET_UNITS - 1) && ((qn - 40) & 1));
}

/* The segments of descriptor @d, from the guest's memory; count or -1. */
static int desc_segs(struct co_sim_recorder *r, const struct co_desc *d,
		     struct co_seg *segs)
{
	uint64_t n = d->nseg;

	if (!(d->flags & CO_DESC_F_INDIRECT)) {
		if (n > CO_DESC_INLINE_SEGS)
			return -1;
		memcpy(segs, d->seg, n * sizeof(*segs));
		return (int)n;
	}
	if (!n || n > CO_DESC_MAX_SEGS ||
	    co_vm_read_gpa(r->vm, d->seg[0].gpa, segs, n * sizeof(*segs)))
		return -1;
	return (int)n;
}

/* Up to @max bytes of a request's buffer into r->buf; how many. */
static size_t gather(struct co_sim_recorder *r, const struct co_seg *segs,
		     int n, size_t max)
{
	size_t done = 0;
	int i;

	for (i = 0; i < n && done < max; i++) {
		size_t len = segs[i].len < max - done ? segs[i].len : max - done;

		if (co_vm_read_gpa(r->vm, segs[i].gpa, r->buf + done, len))
			break;
		done += len;
	}
	return done;
}

static struct co_desc *shadow_desc(struct rec_ring *rr, uint32_t idx)
{
	uint32_t slot = idx & ((1u << rr->log2) - 1);

	return (struct co_desc *)(rr->shadow + co_ring_req_offset(slot));
}

/* Frames and keys the devices handed the guest since the last operation. */
static void record_deliveries(struct co_sim_recorder *r, unsigned int qn,
			      const struct co_queue_info *q,
			      struct rec_ring *rr)
{
	struct co_seg *segs = r->segs;

	for (; rr->cpl_seen != q->cpl_prod; rr->cpl_seen++) {
		struct co_cpl c;
		size_t len;
		int n;

		if (co_vm_read_gpa(r->vm, q->gpa + co_ring_cpl_offset(q->log2,
				   rr->cpl_seen & (q->size - 1)), &c, sizeof(c)) ||
		    c.status != CO_ST_OK || !c.len)
			continue;
		n = desc_segs(r, shadow_desc(rr, rr->cpl_seen), segs);
		if (n <= 0)
			continue;
		len = gather(r, segs, n, c.len < sizeof(r->buf) ? c.len :
			     sizeof(r->buf));
		if (qn == CO_QUEUE_COCON_IN)
			co_script_keys(&r->out, r->buf, len);
		else
			co_script_frame(&r->out, r->buf, len);
	}
}

/* Payloads and indirect tables of requests published since last time. */
static void record_requests(struct co_sim_recorder *r, unsigned int qn,
			    const struct co_queue_info *q, struct rec_ring *rr)
{
	struct co_seg *segs = r->segs;
	uint32_t prod, i;

	if (co_vm_read_gpa(r->vm, q->gpa, &prod, sizeof(prod)))
		return;
	if (prod - rr->req_seen > q->size)
		rr->req_seen = prod - q->size;
	for (i = rr->req_seen; i != prod; i++) {
		struct co_desc d;
		int n, k;

		if (co_vm_read_gpa(r->vm, q->gpa + co_ring_req_offset(i & (q->size - 1)),
				   &d, sizeof(d)))
			continue;
		n = desc_segs(r, &d, segs);
		if (n <= 0)
			continue;
		if (d.flags & CO_DESC_F_INDIRECT)
			emit_ram(r, d.seg[0].gpa, segs, (size_t)n * sizeof(segs[0]));
		if (!is_tx_queue(qn))
			continue;
		for (k = 0; k < n; k++) {
			size_t len = segs[k].len < DATA_MAX ? segs[k].len : DATA_MAX;

			if (!co_vm_read_gpa(r->vm, segs[k].gpa, r->buf, len))
				emit_ram(r, segs[k].gpa, r->buf, len);
		}
	}
	rr->req_seen = prod;
}

/* Emit the changed runs of [off, off + len) of the ring's guest part. */
static void diff_ring(struct co_sim_recorder *r, struct rec_ring *rr,
		      size_t off, size_t len)
{
	uint8_t *now = r->buf;
	size_t done, i, start;

	for (done = 0; done < len; done += sizeof(r->buf)) {
		size_t n = len - done < sizeof(r->buf) ? len - done : sizeof(r->buf);
		uint8_t *old = rr->shadow + off + done;

		if (co_vm_read_gpa(r->vm, rr->gpa + off + done, now, n))
			return;
		for (i = 0; i < n; ) {
			if (now[i] == old[i]) {
				i++;
				continue;
			}
			start = i;
			/* Merge runs closer than a small gap: fewer actions. */
			while (i < n && (now[i] != old[i] ||
					 (i + 8 < n && memcmp(now + i, old + i, 8))))
				i++;
			emit_ram(r, rr->gpa + off + done + start, now + start,
				 i - start);
			memcpy(old + start, now + start, i - start);
		}
	}
}

static void ring_follow(struct rec_ring *rr, const struct co_queue_info *q)
{
	size_t bytes = co_ring_bytes(q->log2);
	uint8_t *sh;

	if (rr->up && rr->gpa == q->gpa && rr->log2 == q->log2)
		return;
	free(rr->shadow);
	sh = calloc(1, bytes);
	*rr = (struct rec_ring){ .up = sh != NULL, .gpa = q->gpa,
				 .log2 = q->log2, .shadow = sh,
				 .req_seen = q->req_cons, .cpl_seen = q->cpl_prod };
}

/*
 * Frames and keys first, each batch followed by a YIELD: on replay they
 * then reach the guest in the same buffers as in the recorded run, before
 * the guest posts new ones.
 */
static void record_all_deliveries(struct co_sim_recorder *r)
{
	static const uint64_t none[CO_PARAMS];
	size_t before = r->out.len;
	unsigned int qn;

	for (qn = 0; qn < CO_MAX_QUEUES; qn++) {
		struct rec_ring *rr = &r->ring[qn];
		struct co_queue_info q;

		if (!co_vm_queue_info(r->vm, qn, &q) && q.up && rr->up &&
		    rr->gpa == q.gpa && rr->log2 == q.log2 && is_rx_queue(qn))
			record_deliveries(r, qn, &q, rr);
	}
	if (r->out.len != before)
		co_script_op(&r->out, CO_OP_YIELD, none, CO_PARAMS);
}

static void record_rings(struct co_sim_recorder *r)
{
	unsigned int qn;

	for (qn = 0; qn < CO_MAX_QUEUES; qn++) {
		struct rec_ring *rr = &r->ring[qn];
		struct co_queue_info q;
		size_t size;

		if (co_vm_queue_info(r->vm, qn, &q) || !q.up) {
			rr->up = false;
			continue;
		}
		ring_follow(rr, &q);
		if (!rr->up)
			continue;
		record_requests(r, qn, &q, rr);
		size = (size_t)q.size * sizeof(struct co_desc);
		diff_ring(r, rr, sizeof(struct co_ring_ctl), size);
		diff_ring(r, rr, __builtin_offsetof(struct co_ring_ctl, cpl_cons), 4);
		diff_ring(r, rr, __builtin_offsetof(struct co_ring_ctl, req_prod), 4);
	}
}

static void record_shared(struct co_sim_recorder *r, uint32_t op,
			  const uint64_t *p)
{
	struct co_passage_shared *sh = co_vm_shared(r->vm);
	unsigned int w, b;
	uint64_t len = 0;

	for (w = 0; w < CO_IRQ_LINES / 64; w++) {
		uint64_t m = sh->irq_mask[w];

		if (m != r->irq_mask[w])
			co_script_shared(&r->out, (unsigned int)__builtin_offsetof(
				struct co_passage_shared, irq_mask[w]), &m, 8);
		r->irq_mask[w] = m;
	}
	for (w = 0; w < CO_MAX_QUEUES / 64; w++) {
		uint64_t bits = sh->doorbell[w];

		for (; bits; bits &= bits - 1) {
			b = (unsigned int)__builtin_ctzll(bits);
			co_script_bell(&r->out, w * 64 + b);
		}
	}
	if (op == CO_OP_TERMINATE)
		len = p[2];
	else if (op == CO_OP_DEBUG_PRINT)
		len = p[0];
	if (len)
		co_script_text(&r->out, sh->text, len < CO_TEXT_SIZE ? len : CO_TEXT_SIZE);
}

/* The operation trace: [vm], the guest off the CPU. */
static void trace_op(void *ctx, struct co_vm *vm, uint32_t op,
		     const uint64_t *p)
{
	struct co_sim_recorder *r = ctx;

	if (r->full)
		return;
	record_all_deliveries(r);
	record_rings(r);
	record_shared(r, op, p);
	co_script_op(&r->out, op, p, CO_PARAMS);
	if (r->out.len > REC_MAX || r->out.failed)
		r->full = true;
}

static void set_err(char *err, size_t errlen, const char *path, int errnum)
{
	if (errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(errnum));
}

int co_sim_recorder_open(const char *path, struct co_sim_recorder **out,
			 char *err, size_t errlen)
{
	struct co_sim_recorder *r;
	int errnum;

	r = calloc(1, sizeof(*r));
	if (r)
		r->path = strdup(path);
	if (!r || !r->path) {
		errnum = ENOMEM;
		goto fail;
	}
	/* Now, not at the end of the run: a bad path must cost no guest run. */
	r->file = fopen(path, "wb");
	if (!r->file) {
		errnum = errno;
		goto fail;
	}
	co_script_init(&r->out);
	*out = r;
	return 0;

fail:
	if (r)
		free(r->path);
	free(r);
	set_err(err, errlen, path, errnum);
	errno = errnum;
	return -1;
}

int co_sim_recorder_attach(struct co_sim_recorder *r, struct co_vm *vm)
{
	if (r->vm)
		return -1;
	r->vm = vm;
	co_script_put_u8(&r->out, co_vm_config(vm)->contiguous ? 0 :
			 CO_SCRIPT_F_PAGED);
	/* The guest starts with every line masked (co_guest_init). */
	memcpy(r->irq_mask, co_vm_shared(vm)->irq_mask, sizeof(r->irq_mask));
	co_vm_set_op_trace(vm, trace_op, r);
	return 0;
}

/* Write the recording into the file opened for it; 0 or an errno. */
static int write_out(struct co_sim_recorder *r)
{
	int errnum = 0;

	if (r->out.failed)
		errnum = ENOMEM;
	else if (fwrite(r->out.buf, 1, r->out.len, r->file) != r->out.len)
		errnum = errno ? errno : EIO;
	if (fclose(r->file) && !errnum)
		errnum = errno;
	r->file = NULL;
	return errnum;
}

int co_sim_recorder_close(struct co_sim_recorder *r, size_t *bytes,
			  bool *truncated, char *err, size_t errlen)
{
	unsigned int i;
	int errnum;

	if (!r)
		return 0;
	if (r->vm) {
		co_vm_set_op_trace(r->vm, NULL, NULL);
		errno = 0;
		errnum = write_out(r);
	} else {
		/* Nothing ran: leave no empty recording behind. */
		fclose(r->file);
		unlink(r->path);
		errnum = 0;
	}
	if (errnum)
		set_err(err, errlen, r->path, errnum);
	if (bytes)
		*bytes = r->out.len;
	if (truncated)
		*truncated = r->full;
	for (i = 0; i < CO_MAX_QUEUES; i++)
		free(r->ring[i].shadow);
	co_script_free(&r->out);
	free(r->path);
	free(r);
	return errnum ? -1 : 0;
}
