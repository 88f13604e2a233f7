// SPDX-License-Identifier: GPL-2.0
/*
 * The structure-aware VM fuzzer: a scripted guest CPU back-end that plays
 * the input as guest actions, plus the oracles checked after every switch.
 *
 * One input = one fresh VM (16 MiB RAM, the profile's devices). The
 * harness is the guest: each co_cpu_ops.enter runs actions until one of
 * them issues an operation, then returns to the monitor's run loop, which
 * decodes the operation, serves doorbells and polls devices exactly as with
 * a real guest. When the VM stops and input is left, it is reset and
 * started again (up to FZ_LIVES times).
 *
 * Oracles, on top of ASan/UBSan and the sim-host's PROT_NONE/poisoned
 * frames around guest RAM (any stray access by the monitor faults):
 *  - every request the host took has been completed (req_cons == cpl_prod)
 *    at every entry of a running VM; ring geometry stays sane;
 *  - per switch, no queue completes more than its ring can hold (bounded
 *    work per notification);
 *  - the ring control block in guest memory mirrors the host's indices,
 *    and completion i carries the id of request i, with a known status and
 *    a length within the request's buffer (unless the guest itself
 *    overwrote the ring);
 *  - a read-only cobd unit never completes a write or discard, and its
 *    image's bytes never change; no image changes size;
 *  - frames reaching the outside are 14..1518 bytes with a unicast source;
 *  - after destroy, the sim-host holds no page, heap block, file, mutex,
 *    event or timer, and saw no API misuse;
 *  - each input finishes: switches are bounded by the input's length.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <colinux/inspect.h>
#include <colinux/abi/ring.h>
#include <sim/sim.h>
#include "fz.h"

#define FZ_LIVES	2		/* VM lifetimes per input (CO_SCRIPT_F_RESET) */
#define FZ_MAX_ENTRIES	(1u << 16)
#define RING_SLOTS	(1u << CO_RING_MAX_LOG2)
#define IMG_SIZE	(64 * 1024)
#define FZ_MAX_BUFS	512

const struct fz_profile fz_profile_cobd = {
	.name = "cobd", .nslots = 3,
	.slot = { CO_QUEUE_COBD(0), CO_QUEUE_COBD(1), CO_QUEUE_COBD(2) },
	.cobd = true,
};
const struct fz_profile fz_profile_conet = {
	.name = "conet", .nslots = 4,
	.slot = { CO_QUEUE_CONET_TX(0), CO_QUEUE_CONET_RX(0),
		  CO_QUEUE_CONET_TX(1), CO_QUEUE_CONET_RX(1) },
	.conet = true,
};
const struct fz_profile fz_profile_cocon = {
	.name = "cocon", .nslots = 2,
	.slot = { CO_QUEUE_COCON_OUT, CO_QUEUE_COCON_IN },
	.cocon_only = true,
};
const struct fz_profile fz_profile_ops = {
	.name = "ops", .nslots = 9,
	.slot = { CO_QUEUE_COCON_OUT, CO_QUEUE_COCON_IN,
		  CO_QUEUE_COBD(0), CO_QUEUE_COBD(1), CO_QUEUE_COBD(2),
		  CO_QUEUE_CONET_TX(0), CO_QUEUE_CONET_RX(0),
		  CO_QUEUE_CONET_TX(1), CO_QUEUE_CONET_RX(1) },
	.cobd = true, .conet = true,
};

/* What the guest knows about a request it published with CO_SCRIPT_A_DESC. */
struct shadow {
	uint32_t idx;		/* request index (req_prod at publication) */
	bool valid;
	uint16_t op;
	uint64_t id;
	uint64_t total;		/* sum of segment lengths as published */
};

/* The guest's view of one queue. */
struct gring {
	bool up;
	uint64_t gpa;
	unsigned int log2;
	uint32_t req_prod;	/* the guest's own copy */
	uint32_t cpl_seen;	/* completions checked so far */
	bool clobbered;		/* the guest scribbled over it: no mirror check */
	uint64_t completed0;	/* the queue's completed at the start of a step */
	uint32_t size0;
	struct shadow *sh;	/* RING_SLOTS entries, for profile slots */
};

struct fz {
	const struct fz_profile *prof;
	struct co_vm *vm;
	struct co_device *console;
	struct co_passage_shared *shp;
	struct fz_in in;
	uint8_t flags;
	unsigned int entries;
	bool final_sent;
	bool op_pending;	/* an op was issued: check its result */
	uint32_t last_op;
	uint64_t last_p[CO_PARAMS];
	uint64_t next_id;
	uint64_t table_next;
	bool faults;		/* a host fault was planned in this life */
	/*
	 * The guest published requests the harness did not build (moved
	 * req_prod by hand, or wrote into a ring): their buffers may overlap
	 * any ring, so the mirror and completion checks are off.
	 */
	bool wild;
	/* Buffers and tables of published requests, to spot rings set up
	 * over them later. */
	unsigned int nbuf;
	struct { uint64_t gpa, len; } buf[FZ_MAX_BUFS];
	struct gring ring[CO_MAX_QUEUES];
	struct co_conet_port *peer;
	uint64_t peer_frames;
};

static struct fz fz;
static struct shadow shadow_store[FZ_MAX_SLOTS][RING_SLOTS];
static uint8_t scratch[65536 + 4096];

/* ---- files and configuration -------------------------------------------- */

static char img_rw[600], img_ro[600], img_one[600], pcap_path[600];
static char loop_name[64];
static uint8_t img_pattern[IMG_SIZE];
static void *kernel;
static size_t kernel_len;

static void cfg_arg(struct co_config *c, const char *fmt, const char *s)
{
	char arg[700], err[256];

	snprintf(arg, sizeof(arg), fmt, s);
	if (co_config_parse_arg(c, arg, err, sizeof(err)))
		fz_fail("harness config %s: %s", arg, err);
}

/* Built per input: its strings live on the host heap, which is counted. */
static void build_config(const struct fz_profile *p, bool contig,
			 struct co_config *c)
{
	co_config_init(c);
	cfg_arg(c, "mem=%s", "16");
	if (contig)
		cfg_arg(c, "memwindow=%s", "contiguous");
	if (p->cocon_only)
		cfg_arg(c, "cocon=%s", "40x10");
	if (p->cobd) {
		cfg_arg(c, "cobd0=%s", img_rw);
		cfg_arg(c, "cobd1=%s,ro", img_ro);
		cfg_arg(c, "cobd2=%s", img_one);
	}
	if (p->conet) {
		cfg_arg(c, "eth0=loop,%s", loop_name);
		cfg_arg(c, "eth1=pcap,%s", pcap_path);
	}
}

static void setup_once(void)
{
	static bool done;
	const char *dir;
	unsigned int i;

	if (done)
		return;
	done = true;
	fz_sim_setup();
	fz_guard_setup();
	dir = fz_tmpdir();
	snprintf(img_rw, sizeof(img_rw), "%s/rw.img", dir);
	snprintf(img_ro, sizeof(img_ro), "%s/ro.img", dir);
	snprintf(img_one, sizeof(img_one), "%s/one.img", dir);
	snprintf(pcap_path, sizeof(pcap_path), "%s/tx.pcap", dir);
	snprintf(loop_name, sizeof(loop_name), "fuzz-%d", (int)getpid());
	for (i = 0; i < IMG_SIZE; i++)
		img_pattern[i] = (uint8_t)(i * 7 + (i >> 9));
	fz_write_file(img_ro, img_pattern, IMG_SIZE);
	kernel = fz_make_elf(&kernel_len);
}

static void file_expect(const char *path, const uint8_t *want, size_t len,
			const char *what)
{
	static uint8_t buf[IMG_SIZE];
	struct stat st;
	FILE *f;

	if (stat(path, &st) || (size_t)st.st_size != len)
		fz_fail("%s image %s changed size to %lld (was %zu)", what,
			path, (long long)st.st_size, len);
	if (!want)
		return;
	f = fopen(path, "rb");
	if (!f || fread(buf, 1, len, f) != len)
		fz_fail("cannot read back %s", path);
	fclose(f);
	if (memcmp(buf, want, len))
		fz_fail("%s image %s was written", what, path);
}

/* ---- guest memory ------------------------------------------------------- */

static uint64_t ram_base(void)
{
	return co_vm_ram_base(fz.vm);
}

static uint64_t ram_size(void)
{
	return co_vm_ram_size(fz.vm);
}

/* The guest writes [gpa, gpa + len); what lies outside its RAM is lost. */
static void guest_write(uint64_t gpa, const void *p, size_t len)
{
	uint64_t lo = ram_base(), hi = lo + ram_size();
	const uint8_t *b = p;

	if (gpa >= hi || gpa + len <= lo || gpa + len < gpa)
		return;
	if (gpa < lo) {
		b += lo - gpa;
		len -= lo - gpa;
		gpa = lo;
	}
	if (gpa + len > hi)
		len = hi - gpa;
	if (co_vm_write_gpa(fz.vm, gpa, b, len))
		fz_fail("guest write of %zu bytes at %#llx inside RAM failed",
			len, (unsigned long long)gpa);
}

static bool guest_read(uint64_t gpa, void *p, size_t len)
{
	return co_vm_read_gpa(fz.vm, gpa, p, len) == 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Anything written over a ring voids the mirror checks on it. Returns
 * whether it hit one.
 */
static bool note_write(uint64_t gpa, uint64_t len)
{
	bool hit = false;
	unsigned int q;

	for (q = 0; q < CO_MAX_QUEUES; q++) {
		struct gring *r = &fz.ring[q];

		if (r->up && overlaps(gpa, len, r->gpa, co_ring_bytes(r->log2))) {
			r->clobbered = true;
			hit = true;
		}
	}
	return hit;
}

/* A request's buffer: the device may write there later. */
static void note_buffer(uint64_t gpa, uint64_t len)
{
	note_write(gpa, len);
	if (fz.nbuf == FZ_MAX_BUFS) {
		fz.wild = true;		/* too many to follow */
		return;
	}
	fz.buf[fz.nbuf].gpa = gpa;
	fz.buf[fz.nbuf].len = len;
	fz.nbuf++;
}

static int slot_of_queue(unsigned int q)
{
	unsigned int i;

	for (i = 0; i < fz.prof->nslots; i++)
		if (fz.prof->slot[i] == q)
			return (int)i;
	return -1;
}

static unsigned int qsel(struct fz_in *in)
{
	return fz.prof->slot[fz_u8(in) % fz.prof->nslots];
}

/* Where the guest believes queue @q's ring is. */
static uint64_t ring_gpa(unsigned int q)
{
	int s;

	if (fz.ring[q].up)
		return fz.ring[q].gpa;
	s = slot_of_queue(q);
	return ram_base() + CO_SCRIPT_RING_BASE +
	       (uint64_t)(s < 0 ? 0 : s) * CO_SCRIPT_RING_STRIDE;
}

static unsigned int ring_log2(unsigned int q)
{
	return fz.ring[q].up ? fz.ring[q].log2 : 3;
}

static uint64_t where_addr(struct fz_in *in, unsigned int where)
{
	switch (where & 3) {
	case CO_SCRIPT_W_RING: {
		unsigned int q = qsel(in);

		return ring_gpa(q) + fz_u32(in) % CO_SCRIPT_RING_STRIDE;
	}
	case CO_SCRIPT_W_DATA:
		return ram_base() + CO_SCRIPT_DATA_BASE +
		       fz_u32(in) % CO_SCRIPT_DATA_SIZE;
	case CO_SCRIPT_W_RAM:
		return ram_base() + fz_u32(in);
	default:
		return fz_u64(in);
	}
}

static void ctl_write(unsigned int q, size_t off, uint32_t v)
{
	guest_write(ring_gpa(q) + off, &v, sizeof(v));
}

static uint32_t ctl_read(unsigned int q, size_t off)
{
	uint32_t v = 0;

	guest_read(ring_gpa(q) + off, &v, sizeof(v));
	return v;
}

#define CTL(field)	__builtin_offsetof(struct co_ring_ctl, field)

/* ---- the outside end of the loopback pair ------------------------------ */

static void peer_rx(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	if (len < CO_CONET_MIN_FRAME || len > CO_CONET_MAX_FRAME)
		fz_fail("a %zu-byte frame left the guest", len);
	if (f[6] & 1)
		fz_fail("a frame with a group source address left the guest");
	fz.peer_frames++;
}

static void peer_notify(void *ctx)
{
}

/* ---- actions ------------------------------------------------------------ */

static void issue(uint32_t op, const uint64_t *p)
{
	unsigned int i;

	for (i = 0; i < CO_PARAMS; i++)
		fz.shp->param[i] = p[i];
	fz.shp->op = op;
	fz.last_op = op;
	memcpy(fz.last_p, p, sizeof(fz.last_p));
	fz.op_pending = true;
}

static void act_op(struct fz_in *in)
{
	uint64_t p[CO_PARAMS] = { 0 };
	uint8_t sel = fz_u8(in), mask;
	uint32_t op;
	unsigned int i;

	if (sel == CO_SCRIPT_OP_RAW)
		op = fz_u32(in);
	else
		op = CO_OP_IDLE + sel % (CO_OP_MAX - CO_OP_IDLE);
	mask = fz_u8(in);
	for (i = 0; i < CO_PARAMS; i++)
		if (mask & (1u << i))
			p[i] = fz_value(in);
	issue(op, p);
}

static void act_setup(struct fz_in *in)
{
	uint64_t p[CO_PARAMS] = { 0 };
	unsigned int q = qsel(in), where;
	int s = slot_of_queue(q);

	p[0] = q;
	p[2] = fz_u8(in) % 12;
	where = fz_u8(in) % 4;
	if (where == 0)
		p[1] = ram_base() + CO_SCRIPT_RING_BASE +
		       (uint64_t)s * CO_SCRIPT_RING_STRIDE;
	else if (where == 1)
		p[1] = ram_base() + (uint64_t)fz_u16(in) * CO_PAGE_SIZE;
	else if (where == 2)
		p[1] = 0;	/* with log2 0: tear down */
	else
		p[1] = fz_u64(in);
	if (where == 2)
		p[2] = 0;
	issue(CO_OP_QUEUE_SETUP, p);
}

static void act_write(struct fz_in *in)
{
	unsigned int where = fz_u8(in);
	uint64_t gpa = where_addr(in, where);
	size_t len = fz_u16(in);

	len = fz_bytes(in, scratch, len);
	guest_write(gpa, scratch, len);
	/* Hand-made descriptors can point anywhere. */
	if (note_write(gpa, len))
		fz.wild = true;
}

static uint64_t seg_addr(struct fz_in *in, uint8_t w)
{
	switch (w & 3) {
	case 0:
		return ram_base() + CO_SCRIPT_DATA_BASE +
		       (uint64_t)fz_u16(in) * 64 % CO_SCRIPT_DATA_SIZE;
	case 1:
		return ram_base() + CO_SCRIPT_DATA_BASE +
		       (uint64_t)(fz_u8(in) & 0x3f) * 0x10000;
	case 2:
		return ram_base() + fz_u32(in);
	default:
		return fz_u64(in);
	}
}

static void read_seg(struct fz_in *in, struct co_seg *s)
{
	uint8_t w = fz_u8(in);

	s->gpa = seg_addr(in, w);
	s->len = (uint32_t)fz_value(in);
	s->reserved = (w & 0x80) ? 1 : 0;
	note_buffer(s->gpa, s->len);	/* reads land there */
}

static void act_desc(struct fz_in *in)
{
	static struct co_seg table[CO_DESC_MAX_SEGS];
	unsigned int q = qsel(in), n, i, log2 = ring_log2(q);
	struct co_desc d;
	uint8_t nseg, fl;
	uint64_t total = 0, slot, tgpa;
	int s = slot_of_queue(q);

	memset(&d, 0, sizeof(d));
	d.op = fz_u8(in);
	nseg = fz_u8(in);
	d.nseg = nseg == 0xff ? fz_u16(in) : nseg;
	fl = fz_u8(in);
	d.flags = (fl & 1) ? CO_DESC_F_INDIRECT : 0;
	if (fl & 0x80)
		d.flags |= fz_u32(in);
	d.arg = fz_value(in);
	d.arg2 = fz_value(in);
	d.id = ((uint64_t)q << 48) | ++fz.next_id;
	if (d.flags & CO_DESC_F_INDIRECT) {
		n = d.nseg < CO_DESC_MAX_SEGS ? d.nseg : CO_DESC_MAX_SEGS;
		for (i = 0; i < n && fz_more(in); i++)
			read_seg(in, &table[i]);
		for (; i < n; i++)
			table[i] = (struct co_seg){ 0 };
		tgpa = ram_base() + CO_SCRIPT_TABLE_BASE + fz.table_next;
		fz.table_next = (fz.table_next + n * sizeof(table[0]) + 15) & ~15ULL;
		if (fz.table_next + CO_DESC_MAX_SEGS * sizeof(table[0]) >
		    CO_SCRIPT_TABLE_SIZE)
			fz.table_next = 0;
		guest_write(tgpa, table, n * sizeof(table[0]));
		note_buffer(tgpa, n * sizeof(table[0]));
		d.seg[0].gpa = tgpa;
		d.seg[0].len = (fl & 0x40) ? (uint32_t)fz_value(in) :
			       (uint32_t)(d.nseg * sizeof(table[0]));
		for (i = 0; i < n; i++)
			total += table[i].len;
	} else {
		n = d.nseg < CO_DESC_INLINE_SEGS ? d.nseg : CO_DESC_INLINE_SEGS;
		for (i = 0; i < n; i++) {
			read_seg(in, &d.seg[i]);
			total += d.seg[i].len;
		}
	}
	slot = fz.ring[q].req_prod & ((1u << log2) - 1);
	guest_write(ring_gpa(q) + co_ring_req_offset((uint32_t)slot), &d,
		    sizeof(d));
	if (s >= 0 && fz.ring[q].sh) {
		struct shadow *sh = &fz.ring[q].sh[slot];

		sh->idx = fz.ring[q].req_prod;
		sh->valid = true;
		sh->op = d.op;
		sh->id = d.id;
		sh->total = total;
	}
	fz.ring[q].req_prod++;
	ctl_write(q, CTL(req_prod), fz.ring[q].req_prod);
}

static void act_prod(struct fz_in *in)
{
	unsigned int q = qsel(in), what = fz_u8(in) % 4;
	uint64_t v = fz_value(in);
	struct gring *r = &fz.ring[q];

	if (what < 2)
		fz.wild = true;		/* slots the harness did not fill */
	switch (what) {
	case 0:
		r->req_prod += (uint32_t)v;
		ctl_write(q, CTL(req_prod), r->req_prod);
		break;
	case 1:
		r->req_prod = (uint32_t)v;
		ctl_write(q, CTL(req_prod), r->req_prod);
		break;
	case 2:
		ctl_write(q, CTL(cpl_cons), ctl_read(q, CTL(cpl_prod)));
		break;
	default:
		ctl_write(q, CTL(cpl_cons), (uint32_t)v);
		break;
	}
}

static void act_bell(struct fz_in *in)
{
	uint8_t sel = fz_u8(in);
	unsigned int q = sel >= CO_SCRIPT_BELL_RAW ? fz_u8(in) :
			 fz.prof->slot[sel % fz.prof->nslots];

	__atomic_fetch_or(&fz.shp->doorbell[q / 64], 1ULL << (q % 64),
			  __ATOMIC_SEQ_CST);
}

static void act_shared(struct fz_in *in)
{
	unsigned int off = fz_u16(in) % CO_PAGE_SIZE;
	size_t len = fz_u8(in);

	len = fz_bytes(in, scratch, len);
	if (len > CO_PAGE_SIZE - off)
		len = CO_PAGE_SIZE - off;
	memcpy((uint8_t *)fz.shp + off, scratch, len);
}

static void act_text(struct fz_in *in)
{
	size_t len = fz_u16(in);

	len = fz_bytes(in, scratch, len);
	if (len > CO_TEXT_SIZE)
		len = CO_TEXT_SIZE;
	memcpy(fz.shp->text, scratch, len);
}

static void act_fault(struct fz_in *in)
{
	static const enum co_sim_fault_class fail[] = {
		CO_SIM_FAULT_FILE_READ, CO_SIM_FAULT_FILE_WRITE,
		CO_SIM_FAULT_FILE_SYNC, CO_SIM_FAULT_FILE_DISCARD,
		CO_SIM_FAULT_HEAP_ALLOC,
	};
	unsigned int cls = fz_u8(in) % 7, nth = fz_u8(in) % 8 + 1;
	uint8_t arg = fz_u8(in);

	fz.faults = true;
	if (cls < 5)
		co_sim_fault_fail_nth(fail[cls], nth, arg % (CO_ERR_MAX - 1) + 1);
	else
		co_sim_fault_short(cls == 5 ? CO_SIM_FAULT_FILE_READ :
				   CO_SIM_FAULT_FILE_WRITE,
				   (size_t)arg * 16 + 1, nth);
}

static void act_frame(struct fz_in *in)
{
	size_t len = fz_u16(in) % 2048;

	len = fz_bytes(in, scratch, len);
	if (fz.peer)
		co_conet_port_send(fz.peer, scratch, len);
}

static void act_keys(struct fz_in *in)
{
	size_t len = fz_u8(in);
	int n;

	len = fz_bytes(in, scratch, len);
	n = co_cocon_input(fz.console, scratch, len);
	if (n < 0 ? n != -CO_EBUSY : (size_t)n > len)
		fz_fail("co_cocon_input(%zu bytes) returned %d", len, n);
}

/* Posted as a front end would: the mailbox takes the two real events. */
static void act_power(struct fz_in *in)
{
	unsigned int event = fz_u8(in) % 4;
	bool valid = event == CO_POWER_CTRL_ALT_DEL ||
		     event == CO_POWER_SHUTDOWN;
	int err = co_vm_post_power(fz.vm, event);

	if (err != (valid ? 0 : -CO_EINVAL) && !(valid && err == -CO_ESTATE))
		fz_fail("co_vm_post_power(%u) returned %d", event, err);
}

static void act_snap(struct fz_in *in)
{
	static char buf[64 * 1024];
	struct co_device *con = fz.console;
	size_t size = fz_u16(in) % sizeof(buf), n;
	unsigned int lines = co_cocon_scrollback_lines(con), line;
	int err;

	n = co_cocon_snapshot(con, buf, size);
	if (size && strnlen(buf, size) != (n < size ? n : size - 1))
		fz_fail("console snapshot: %zu returned, %zu in the buffer",
			n, strnlen(buf, size));
	line = fz_u8(in) % (lines + 2);
	err = co_cocon_scrollback_line(con, line, buf, 256);
	if (line < lines ? err < 0 : err != -CO_ERANGE)
		fz_fail("scrollback line %u of %u: %d", line, lines, err);
}

static const char *const action_names[CO_SCRIPT_A_NR] = {
	"op", "setup", "write", "desc", "prod", "bell", "shared", "text",
	"clock", "frame", "keys", "fault", "power", "unmask", "kick", "peer",
	"snap",
};

/* $FZ_TRACE: what the guest does, one line per action (for debugging). */
static bool trace;

/* Run actions until one issues an operation; false at the end of input. */
static bool play(struct fz_in *in)
{
	while (fz_more(in)) {
		unsigned int a = fz_u8(in) % CO_SCRIPT_A_NR;

		if (trace)
			fprintf(stderr, "fz: @%zu %s%s\n", in->pos - 1,
				action_names[a], fz.wild ? " (wild)" : "");
		switch (a) {
		case CO_SCRIPT_A_OP:
			act_op(in);
			return true;
		case CO_SCRIPT_A_SETUP:
			act_setup(in);
			return true;
		case CO_SCRIPT_A_WRITE:
			act_write(in);
			break;
		case CO_SCRIPT_A_DESC:
			act_desc(in);
			break;
		case CO_SCRIPT_A_PROD:
			act_prod(in);
			break;
		case CO_SCRIPT_A_BELL:
			act_bell(in);
			break;
		case CO_SCRIPT_A_SHARED:
			act_shared(in);
			break;
		case CO_SCRIPT_A_TEXT:
			act_text(in);
			break;
		case CO_SCRIPT_A_CLOCK:
			co_sim_clock_advance(fz_value(in) & ((1ULL << 40) - 1));
			break;
		case CO_SCRIPT_A_FRAME:
			act_frame(in);
			break;
		case CO_SCRIPT_A_KEYS:
			act_keys(in);
			break;
		case CO_SCRIPT_A_FAULT:
			act_fault(in);
			break;
		case CO_SCRIPT_A_POWER:
			act_power(in);
			break;
		case CO_SCRIPT_A_UNMASK: {
			unsigned int line = fz_u8(in);

			__atomic_fetch_and(&fz.shp->irq_mask[line / 64],
					   ~(1ULL << (line % 64)), __ATOMIC_SEQ_CST);
			break;
		}
		case CO_SCRIPT_A_KICK:
			co_vm_kick(fz.vm);
			break;
		case CO_SCRIPT_A_PEER:
			if (fz.peer)
				co_conet_port_poll(fz.peer);
			break;
		case CO_SCRIPT_A_SNAP:
			act_snap(in);
			break;
		}
	}
	return false;
}

/* ---- oracles ------------------------------------------------------------ */

static bool known_status(int32_t st)
{
	switch (st) {
	case CO_ST_OK: case CO_ST_IOERR: case CO_ST_NOMEM: case CO_ST_FAULT:
	case CO_ST_INVAL: case CO_ST_RANGE: case CO_ST_RDONLY:
	case CO_ST_NOTSUP: case CO_ST_TOOBIG:
		return true;
	}
	return false;
}

/* Completions [r->cpl_seen, q->cpl_prod) of a ring the guest left alone. */
static void check_completions(unsigned int qn, const struct co_queue_info *q,
			      struct gring *r)
{
	uint32_t mask = q->size - 1;

	for (; r->cpl_seen != q->cpl_prod; r->cpl_seen++) {
		uint32_t k = r->cpl_seen, slot = k & mask;
		struct shadow *sh = r->sh ? &r->sh[slot] : NULL;
		struct co_cpl c;

		if (!guest_read(q->gpa + co_ring_cpl_offset(q->log2, slot), &c,
				sizeof(c)))
			fz_fail("queue %u: completion slot unreadable", qn);
		if (!known_status(c.status))
			fz_fail("queue %u: completion %u has status %d", qn, k,
				c.status);
		/*
		 * The images are healthy files: an I/O error with no fault
		 * injected means the monitor handed the host a bad buffer
		 * (the kernel answers EFAULT rather than crash).
		 */
		if (c.status == CO_ST_IOERR && !fz.faults &&
		    qn >= CO_QUEUE_COBD(0) && qn < CO_QUEUE_COBD(CO_COBD_UNITS))
			fz_fail("queue %u: request %u failed with an I/O error, no fault injected",
				qn, k);
		if (!sh || !sh->valid || sh->idx != k)
			continue;
		if (c.id != sh->id)
			fz_fail("queue %u: completion %u has id %#llx, request %u had %#llx",
				qn, k, (unsigned long long)c.id, k,
				(unsigned long long)sh->id);
		if (c.status == CO_ST_OK && c.len > sh->total)
			fz_fail("queue %u: request %u of %llu bytes completed with len %u",
				qn, k, (unsigned long long)sh->total, c.len);
		if (c.status != CO_ST_OK && c.len)
			fz_fail("queue %u: failed request %u reports %u bytes",
				qn, k, c.len);
		if (qn == CO_QUEUE_COBD(1) && c.status == CO_ST_OK &&
		    (sh->op == CO_COBD_WRITE || sh->op == CO_COBD_DISCARD))
			fz_fail("read-only cobd1 completed op %u with success",
				sh->op);
		sh->valid = false;
	}
}

static void check_queue(unsigned int qn, const struct co_queue_info *q,
			bool final)
{
	struct gring *r = &fz.ring[qn];
	uint64_t done = q->completed - r->completed0;

	if (done > (uint64_t)r->size0 + q->size)
		fz_fail("queue %u: %llu completions in one switch, ring of %u",
			qn, (unsigned long long)done, q->size);
	if (!q->up)
		return;
	if (q->log2 > CO_RING_MAX_LOG2 || q->size != 1u << q->log2 ||
	    q->gpa % CO_PAGE_SIZE ||
	    !co_vm_ram_contains(fz.vm, q->gpa, co_ring_bytes(q->log2)))
		fz_fail("queue %u: ring geometry gpa %#llx log2 %u size %u", qn,
			(unsigned long long)q->gpa, q->log2, q->size);
	if (co_vm_stopping(fz.vm) && !final)
		return;
	if (q->cpl_prod != q->req_cons)
		fz_fail("queue %u: %u requests taken, %u completed", qn,
			q->req_cons, q->cpl_prod);
	/* Only a set-up the harness saw succeed may move a ring. */
	if (r->up && (r->gpa != q->gpa || r->log2 != q->log2))
		fz_fail("queue %u: ring moved to gpa %#llx log2 %u without a set-up",
			qn, (unsigned long long)q->gpa, q->log2);
	if (!r->up || r->clobbered || fz.wild)
		return;
	if (ctl_read(qn, CTL(req_cons)) != q->req_cons ||
	    ctl_read(qn, CTL(cpl_prod)) != q->cpl_prod)
		fz_fail("queue %u: ring shows req_cons %u cpl_prod %u, host has %u %u",
			qn, ctl_read(qn, CTL(req_cons)),
			ctl_read(qn, CTL(cpl_prod)), q->req_cons, q->cpl_prod);
	check_completions(qn, q, r);
}

static void track_setup(void)
{
	unsigned int qn = (unsigned int)fz.last_p[0];
	struct co_queue_info qi, *q = &qi;
	struct gring *r;
	int s;

	if (fz.last_op != CO_OP_QUEUE_SETUP || fz.shp->result != CO_ST_OK)
		return;
	if (fz.last_p[0] >= CO_MAX_QUEUES)
		fz_fail("QUEUE_SETUP of queue %llu succeeded",
			(unsigned long long)fz.last_p[0]);
	r = &fz.ring[qn];
	if (co_vm_queue_info(fz.vm, qn, q))
		fz_fail("QUEUE_SETUP of absent queue %u succeeded", qn);
	if (!fz.last_p[1] && !fz.last_p[2]) {
		if (q->up)
			fz_fail("queue %u still ready after teardown", qn);
		r->up = false;
		return;
	}
	if (!q->up || q->gpa != fz.last_p[1] || q->log2 != fz.last_p[2])
		fz_fail("queue %u: set-up succeeded but host has ready %d gpa %#llx log2 %u",
			qn, q->up, (unsigned long long)q->gpa, q->log2);
	s = slot_of_queue(qn);
	r->up = true;
	r->gpa = q->gpa;
	r->log2 = q->log2;
	r->req_prod = 0;
	r->cpl_seen = 0;
	r->clobbered = false;
	r->sh = s >= 0 ? shadow_store[s] : NULL;
	if (r->sh)
		memset(r->sh, 0, sizeof(shadow_store[0]));
	/*
	 * Rings that share bytes write each other's indices and slots
	 * whenever the host serves either: both are void for the mirror
	 * checks. (Allowed: a guest that does this only hurts itself.)
	 */
	r->up = false;
	if (note_write(q->gpa, co_ring_bytes(q->log2)))
		r->clobbered = true;
	r->up = true;
	/* A ring over an earlier request's buffer may be written by it. */
	for (s = 0; s < (int)fz.nbuf; s++)
		if (overlaps(fz.buf[s].gpa, fz.buf[s].len, q->gpa,
			     co_ring_bytes(q->log2)))
			r->clobbered = true;
}

/*
 * At every entry: what did the last switch do? @final: the VM has
 * stopped; every request it took must still have been answered.
 */
static void check_step(bool final)
{
	struct co_vm *vm = fz.vm;
	unsigned int qn;

	if (trace && fz.op_pending)
		fprintf(stderr, "fz:   op %u (%#llx %#llx %#llx) -> %d%s\n",
			fz.last_op, (unsigned long long)fz.last_p[0],
			(unsigned long long)fz.last_p[1],
			(unsigned long long)fz.last_p[2], fz.shp->result,
			co_vm_stopping(vm) ? ", VM stopped" : "");
	/*
	 * An answered op was carried out, even if the VM stopped after it
	 * (a device polled later may stop it). Unanswered is only allowed
	 * for a VM that stopped first.
	 */
	if (fz.op_pending && fz.shp->op == CO_OP_RETURN)
		track_setup();
	else if (fz.op_pending && !co_vm_stopping(vm))
		fz_fail("op %u: host left op %u in the shared page",
			fz.last_op, fz.shp->op);
	fz.op_pending = false;
	for (qn = 0; qn < CO_MAX_QUEUES; qn++) {
		struct co_queue_info q;

		if (!co_vm_queue_info(vm, qn, &q))
			check_queue(qn, &q, final);
	}
}

/* The guest consumes every completion (CO_SCRIPT_F_AUTOCONS). */
static void consume_all(void)
{
	unsigned int qn;

	for (qn = 0; qn < CO_MAX_QUEUES; qn++)
		if (fz.ring[qn].up)
			ctl_write(qn, CTL(cpl_cons), ctl_read(qn, CTL(cpl_prod)));
}

/*
 * Counters as the monitor gets the CPU: host-side events during the
 * guest's turn (keystrokes) complete requests too, and are not the
 * switch's work.
 */
static void step_start(void)
{
	unsigned int qn;

	for (qn = 0; qn < CO_MAX_QUEUES; qn++) {
		struct co_queue_info q;

		if (co_vm_queue_info(fz.vm, qn, &q))
			continue;
		fz.ring[qn].completed0 = q.completed;
		fz.ring[qn].size0 = q.up ? q.size : 0;
	}
}

/* ---- the CPU back-end --------------------------------------------------- */

static int fz_attach(struct co_vm *vm, void **priv)
{
	fz.shp = co_vm_shared(vm);
	*priv = &fz;
	return 0;
}

/*
 * Every entry finds the time record consistent and current: the
 * sim-host's virtual clock is not the TSC, so the monitor rewrites it
 * with the time of this entry, whatever the script wrote there.
 */
static void check_time_record(void)
{
	const struct co_time_record *t = &co_vm_shared(fz.vm)->time;

	if (t->version % 2 || t->flags != CO_TIME_ENTRY_ONLY ||
	    t->tsc_to_system_mul || t->system_time != co_host_monotonic_ns())
		fz_fail("time record at entry: version %u flags %#x mul %u time %llu, now %llu",
			t->version, t->flags, t->tsc_to_system_mul,
			(unsigned long long)t->system_time,
			(unsigned long long)co_host_monotonic_ns());
}

static int fz_enter(void *priv, struct co_vm_exit *exit)
{
	uint64_t p[CO_PARAMS] = { CO_TERM_POWEROFF };

	if (++fz.entries > FZ_MAX_ENTRIES || fz.final_sent) {
		exit->reason = CO_TERM_HUNG;
		exit->code = 0;
		snprintf(exit->text, sizeof(exit->text),
			 "fuzz guest: %s", fz.final_sent ?
			 "still running after its power-off" : "out of budget");
		/* A power-off that does not stop the VM is a monitor bug. */
		if (fz.final_sent)
			fz_fail("the VM did not stop on CO_OP_TERMINATE");
		return -CO_EIO;
	}
	check_time_record();
	check_step(false);
	if (fz.flags & CO_SCRIPT_F_AUTOCONS)
		consume_all();
	if (!play(&fz.in)) {
		fz.final_sent = true;
		issue(CO_OP_TERMINATE, p);
	}
	step_start();
	return 0;
}

static const struct co_cpu_ops fz_cpu_ops = {
	.name = "fuzz",
	.attach = fz_attach,
	.enter = fz_enter,
};

/* ---- one input ---------------------------------------------------------- */

static void lifetime_reset(void)
{
	memset(fz.ring, 0, sizeof(fz.ring));
	fz.final_sent = false;
	fz.op_pending = false;
	fz.faults = false;
	fz.wild = false;
	fz.nbuf = 0;
	fz.table_next = 0;
}

static bool boot(void)
{
	char err[256];

	co_sim_fault_reset();
	if (co_vm_load_kernel(fz.vm, kernel, kernel_len, err, sizeof(err)))
		fz_fail("loading the harness kernel: %s", err);
	if (co_vm_start(fz.vm))
		fz_fail("co_vm_start failed");
	return true;
}

static void run(void)
{
	struct co_vm_exit exit;
	unsigned int kicks = 0;
	int err;

	for (;;) {
		err = co_vm_run(fz.vm, &exit);
		if (err != -CO_EBUSY)
			break;
		if (++kicks > FZ_MAX_ENTRIES)
			fz_fail("co_vm_run keeps returning busy");
	}
	if (err)
		fz_fail("co_vm_run: %s", co_strerror(err));
	if (exit.reason < 0 || exit.reason >= CO_TERM_MAX)
		fz_fail("exit reason %d", exit.reason);
	if (co_vm_state(fz.vm) != CO_VM_STOPPED)
		fz_fail("VM in state %s after run", co_vm_state_name(co_vm_state(fz.vm)));
	check_step(true);
}

int fz_vm_one(const struct fz_profile *prof, const uint8_t *data, size_t size)
{
	struct co_config cfg;
	int lives, err;

	setup_once();
	co_sim_reset();
	memset(&fz, 0, sizeof(fz));
	trace = getenv("FZ_TRACE") != NULL;
	fz.prof = prof;
	fz.in = (struct fz_in){ .p = data, .len = size };
	fz.flags = fz_u8(&fz.in);
	if (prof->cobd) {
		fz_write_file(img_rw, img_pattern, IMG_SIZE);
		fz_write_file(img_one, img_pattern, 512);
	}
	build_config(prof, (fz.flags & CO_SCRIPT_F_PAGED) != CO_SCRIPT_F_PAGED,
		     &cfg);
	err = co_vm_create(&cfg, &fz_cpu_ops, &fz.vm);
	co_config_free(&cfg);
	if (err)
		fz_fail("co_vm_create: %s", co_strerror(err));
	fz.console = co_vm_device(fz.vm, CO_DEV_COCON, 0);
	if (!fz.console)
		fz_fail("the VM has no console");
	if (prof->conet &&
	    co_conet_loop_open(loop_name, peer_rx, peer_notify, NULL, &fz.peer))
		fz_fail("cannot open the outside end of %s", loop_name);

	for (lives = 0; lives < FZ_LIVES; lives++) {
		lifetime_reset();
		if (!boot())
			break;
		step_start();
		run();
		/* co_vm_reset clears all of RAM: only when asked for. */
		if (!fz_more(&fz.in) ||
		    (fz.flags & CO_SCRIPT_F_RESET) != CO_SCRIPT_F_RESET)
			break;
		co_sim_fault_reset();
		if (co_vm_reset(fz.vm))
			fz_fail("co_vm_reset failed");
	}

	co_sim_fault_reset();
	if (fz.peer) {
		co_conet_port_poll(fz.peer);
		co_conet_port_close(fz.peer);
	}
	co_vm_destroy(fz.vm);
	fz.vm = NULL;
	if (prof->cobd) {
		file_expect(img_ro, img_pattern, IMG_SIZE, "read-only cobd1");
		file_expect(img_rw, NULL, IMG_SIZE, "cobd0");
		file_expect(img_one, NULL, 512, "cobd2");
	}
	fz_leak_check(prof->name);
	return 0;
}
