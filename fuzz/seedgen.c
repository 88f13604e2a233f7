// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_seedgen DIR: write the scripted seed inputs of every target into
 * DIR/<target>/seed-*, the way the unit tests drive the devices (valid
 * traffic first, then the error cases each device documents). Recordings
 * of real runs (colinux-sim --record) complement them; see fuzz/README.md.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <colinux/host.h>
#include <colinux/abi/devices.h>
#include <colinux/abi/passage.h>
#include <colinux/abi/ring.h>
#include "fz.h"

static const char *outdir;

static void save(struct co_script *o, const char *target, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, target, name);
	if (co_script_save(o, path)) {
		fprintf(stderr, "seedgen: cannot write %s\n", path);
		exit(1);
	}
	co_script_free(o);
}

/* ---- structured actions ------------------------------------------------ */

static void setup(struct co_script *o, unsigned int slot, unsigned int log2)
{
	co_script_put_u8(o, CO_SCRIPT_A_SETUP);
	co_script_put_u8(o, (uint8_t)slot);
	co_script_put_u8(o, (uint8_t)log2);
	co_script_put_u8(o, 0);		/* default place */
}

/* Bytes into the data area at @off. */
static void data(struct co_script *o, uint32_t off, const void *p, size_t len)
{
	co_script_put_u8(o, CO_SCRIPT_A_WRITE);
	co_script_put_u8(o, CO_SCRIPT_W_DATA);
	co_script_put_u32(o, off);
	co_script_put_u16(o, (uint16_t)len);
	co_script_put_bytes(o, p, len);
}

struct seg {
	uint32_t off;		/* in the data area, a multiple of 64 */
	uint32_t len;
};

static void desc(struct co_script *o, unsigned int slot, uint8_t op,
		 uint64_t arg, uint64_t arg2, const struct seg *segs,
		 unsigned int nseg, bool indirect)
{
	unsigned int i;

	co_script_put_u8(o, CO_SCRIPT_A_DESC);
	co_script_put_u8(o, (uint8_t)slot);
	co_script_put_u8(o, op);
	co_script_put_u8(o, (uint8_t)nseg);
	co_script_put_u8(o, indirect ? 1 : 0);
	co_script_put_value(o, arg);
	co_script_put_value(o, arg2);
	/* Inline: the harness reads at most CO_DESC_INLINE_SEGS of them. */
	if (!indirect && nseg > CO_DESC_INLINE_SEGS)
		nseg = CO_DESC_INLINE_SEGS;
	for (i = 0; i < nseg; i++) {
		co_script_put_u8(o, 0);
		co_script_put_u16(o, (uint16_t)(segs[i].off / 64));
		co_script_put_value(o, segs[i].len);
	}
}

static void bell(struct co_script *o, unsigned int slot)
{
	co_script_put_u8(o, CO_SCRIPT_A_BELL);
	co_script_put_u8(o, (uint8_t)slot);
}

static void op(struct co_script *o, uint32_t code, uint64_t p0, uint64_t p1,
	       uint64_t p2)
{
	uint64_t p[3] = { p0, p1, p2 };

	co_script_op(o, code, p, 3);
}

static void notify(struct co_script *o)
{
	op(o, CO_OP_NOTIFY, 0, 0, 0);
}

static void unmask(struct co_script *o, unsigned int line)
{
	co_script_put_u8(o, CO_SCRIPT_A_UNMASK);
	co_script_put_u8(o, (uint8_t)line);
}

static void fault(struct co_script *o, unsigned int cls, unsigned int nth,
		  unsigned int arg)
{
	co_script_put_u8(o, CO_SCRIPT_A_FAULT);
	co_script_put_u8(o, (uint8_t)cls);
	co_script_put_u8(o, (uint8_t)(nth - 1));
	co_script_put_u8(o, (uint8_t)arg);
}

static void prod(struct co_script *o, unsigned int slot, unsigned int what,
		 uint64_t v)
{
	co_script_put_u8(o, CO_SCRIPT_A_PROD);
	co_script_put_u8(o, (uint8_t)slot);
	co_script_put_u8(o, (uint8_t)what);
	co_script_put_value(o, v);
}

static void poweroff(struct co_script *o, int code)
{
	op(o, CO_OP_TERMINATE, CO_TERM_POWEROFF, (uint64_t)code, 0);
}

static void pattern(uint8_t *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + seed);
}

/* ---- cobd (slots: 0 rw 128 sectors, 1 read-only, 2 one sector) ------- */

static void cobd_seeds(const char *t, unsigned int s0, unsigned int s1,
		       unsigned int s2)
{
	static uint8_t buf[4096];
	struct co_script o;
	struct seg one = { 0, 512 }, two[2] = { { 0, 512 }, { 4096, 1024 } };
	struct seg info = { 8192, 16 }, runt8 = { 8192, 8 }, four[4] = {
		{ 0, 512 }, { 4096 - 64, 512 }, { 12288, 1024 }, { 16384, 2048 } };

	/* Every operation, valid. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS | CO_SCRIPT_F_PAGED);
	setup(&o, s0, 3);
	pattern(buf, sizeof(buf), 1);
	data(&o, 0, buf, 1536);
	desc(&o, s0, CO_COBD_INFO, 0, 0, &info, 1, false);
	desc(&o, s0, CO_COBD_WRITE, 3, 0, two, 2, false);
	desc(&o, s0, CO_COBD_READ, 3, 0, &one, 1, false);
	desc(&o, s0, CO_COBD_FLUSH, 0, 0, NULL, 0, false);
	desc(&o, s0, CO_COBD_DISCARD, 8, 4, NULL, 0, false);
	bell(&o, s0);
	notify(&o);
	desc(&o, s0, CO_COBD_READ, 120, 0, four, 4, true);
	desc(&o, s0, CO_COBD_WRITE, 124, 0, four, 4, true);
	bell(&o, s0);
	notify(&o);
	poweroff(&o, 0);
	save(&o, t, "rw");

	/* The read-only unit and the one-sector unit, ends and beyond. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS);
	setup(&o, s1, 2);
	setup(&o, s2, 1);
	desc(&o, s1, CO_COBD_READ, 127, 0, &one, 1, false);
	desc(&o, s1, CO_COBD_WRITE, 0, 0, &one, 1, false);
	desc(&o, s1, CO_COBD_DISCARD, 0, 1, NULL, 0, false);
	desc(&o, s1, CO_COBD_FLUSH, 0, 0, NULL, 0, false);
	bell(&o, s1);
	desc(&o, s2, CO_COBD_WRITE, 0, 0, &one, 1, false);
	bell(&o, s2);
	notify(&o);
	desc(&o, s2, CO_COBD_READ, 1, 0, &one, 1, false);
	bell(&o, s2);
	notify(&o);
	desc(&o, s2, CO_COBD_READ, 0, 0, two, 2, false);
	desc(&o, s2, CO_COBD_INFO, 0, 0, &info, 1, false);
	bell(&o, s2);
	notify(&o);
	desc(&o, s2, CO_COBD_DISCARD, 0, 1, NULL, 0, false);
	bell(&o, s2);
	op(&o, CO_OP_YIELD, 0, 0, 0);
	poweroff(&o, 0);
	save(&o, t, "ro");

	/* Malformed requests: each one gets an error completion. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS | CO_SCRIPT_F_PAGED);
	setup(&o, s0, 4);
	desc(&o, s0, CO_COBD_READ, 0, 0, four, 3, false);	/* 3 inline */
	desc(&o, s0, CO_COBD_READ, 0, 0, &info, 1, false);	/* not sectors */
	desc(&o, s0, CO_COBD_READ, 1ULL << 40, 0, &one, 1, false);
	desc(&o, s0, CO_COBD_READ, UINT64_MAX, 0, &one, 1, false);
	desc(&o, s0, CO_COBD_DISCARD, 100, UINT64_MAX, NULL, 0, false);
	desc(&o, s0, CO_COBD_DISCARD, 0, 0, NULL, 0, false);
	desc(&o, s0, CO_COBD_FLUSH, 0, 0, &one, 1, false);
	desc(&o, s0, 77, 0, 0, &one, 1, false);
	desc(&o, s0, CO_COBD_INFO, 0, 0, &runt8, 1, false);	/* too small */
	bell(&o, s0);
	notify(&o);
	/* 300 segments (over CO_DESC_MAX_SEGS); a wrong table length. */
	co_script_put_u8(&o, CO_SCRIPT_A_DESC);
	co_script_put_u8(&o, (uint8_t)s0);
	co_script_put_u8(&o, CO_COBD_READ);
	co_script_put_u8(&o, 0xff);
	co_script_put_u16(&o, 300);
	co_script_put_u8(&o, 0);		/* inline: the harness writes 2 */
	co_script_put_value(&o, 0);
	co_script_put_value(&o, 0);
	co_script_put_u8(&o, 0);
	co_script_put_u16(&o, 0);
	co_script_put_value(&o, 512);
	co_script_put_u8(&o, 0);
	co_script_put_u16(&o, 8);
	co_script_put_value(&o, 512);
	co_script_put_u8(&o, CO_SCRIPT_A_DESC);
	co_script_put_u8(&o, (uint8_t)s0);
	co_script_put_u8(&o, CO_COBD_READ);
	co_script_put_u8(&o, 1);
	co_script_put_u8(&o, 0x41);
	co_script_put_value(&o, 0);
	co_script_put_value(&o, 0);
	co_script_put_u8(&o, 0);
	co_script_put_u16(&o, 0);
	co_script_put_value(&o, 512);
	co_script_put_value(&o, 32);
	bell(&o, s0);
	notify(&o);
	/* A segment outside RAM, one with reserved bits, a zero length. */
	co_script_put_u8(&o, CO_SCRIPT_A_DESC);
	co_script_put_u8(&o, (uint8_t)s0);
	co_script_put_u8(&o, CO_COBD_READ);
	co_script_put_u8(&o, 2);
	co_script_put_u8(&o, 0);
	co_script_put_value(&o, 0);
	co_script_put_value(&o, 0);
	co_script_put_u8(&o, 3);
	co_script_put_u64(&o, (uint64_t)CO_SCRIPT_MEM_MB << 20);
	co_script_put_value(&o, 512);
	co_script_put_u8(&o, 0x80);
	co_script_put_u16(&o, 0);
	co_script_put_value(&o, 512);
	bell(&o, s0);
	notify(&o);
	/* Flow control: stop consuming, fill the ring, then a broken index. */
	prod(&o, s0, 3, 0);
	desc(&o, s0, CO_COBD_READ, 0, 0, &one, 1, false);
	bell(&o, s0);
	notify(&o);
	prod(&o, s0, 1, 1000);
	bell(&o, s0);
	notify(&o);
	save(&o, t, "errors");

	/* Host I/O errors and short transfers under requests. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS | CO_SCRIPT_F_RESET);
	setup(&o, s0, 3);
	fault(&o, 0, 1, CO_EIO - 1);
	desc(&o, s0, CO_COBD_READ, 0, 0, two, 2, false);
	fault(&o, 6, 2, 3);
	desc(&o, s0, CO_COBD_WRITE, 0, 0, two, 2, false);
	bell(&o, s0);
	notify(&o);
	fault(&o, 2, 1, CO_EIO - 1);
	desc(&o, s0, CO_COBD_FLUSH, 0, 0, NULL, 0, false);
	fault(&o, 3, 1, CO_ENOTSUP - 1);
	desc(&o, s0, CO_COBD_DISCARD, 0, 8, NULL, 0, false);
	fault(&o, 3, 2, CO_EIO - 1);
	desc(&o, s0, CO_COBD_DISCARD, 16, 8, NULL, 0, false);
	fault(&o, 4, 1, 0);
	desc(&o, s0, CO_COBD_READ, 0, 0, &one, 1, false);
	bell(&o, s0);
	notify(&o);
	poweroff(&o, 3);
	/* Second life after co_vm_reset. */
	setup(&o, s0, 1);
	desc(&o, s0, CO_COBD_READ, 0, 0, &one, 1, false);
	bell(&o, s0);
	notify(&o);
	save(&o, t, "faults");
}

/* ---- conet (slots: 0 TX0, 1 RX0, 2 TX1 pcap, 3 RX1) --------------------- */

static size_t frame(uint8_t *f, size_t len, unsigned int seed)
{
	static const uint8_t dst[6] = { 0x02, 0x43, 0x4f, 0, 0, 0 };
	static const uint8_t src[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

	pattern(f, len, seed);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	return len;
}

static void conet_seeds(const char *t, unsigned int tx, unsigned int rx,
			unsigned int tx1)
{
	static uint8_t f[2048];
	struct co_script o;
	struct seg rxbuf[4] = { { 0, 1518 }, { 2048, 1518 }, { 4096, 1518 },
				{ 6144, 60 } };
	struct seg txf = { 16384, 60 }, big[2] = { { 16384, 1500 },
						    { 20480, 100 } };
	struct seg runt = { 16384, 13 };
	unsigned int i;

	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS | CO_SCRIPT_F_PAGED);
	setup(&o, tx, 3);
	setup(&o, rx, 3);
	for (i = 0; i < 4; i++)
		desc(&o, rx, CO_CONET_RX, 0, 0, &rxbuf[i], 1, false);
	bell(&o, rx);
	unmask(&o, CO_IRQ_CONET(0));
	co_script_frame(&o, f, frame(f, 60, 1));
	co_script_frame(&o, f, frame(f, 1514, 2));
	op(&o, CO_OP_IDLE, 0, 0, 0);
	data(&o, 16384, f, frame(f, 1600, 3));
	desc(&o, tx, CO_CONET_TX, 0, 0, &txf, 1, false);
	desc(&o, tx, CO_CONET_TX, 0, 0, big, 2, false);
	desc(&o, tx, CO_CONET_TX, 0, 0, &runt, 1, false);
	desc(&o, tx, CO_CONET_RX, 0, 0, &txf, 1, false);
	bell(&o, tx);
	notify(&o);
	co_script_put_u8(&o, CO_SCRIPT_A_PEER);
	/* Group source address; a frame too big for a 60-byte buffer. */
	f[6] = 0x01;
	data(&o, 16384 + 6, f + 6, 1);
	desc(&o, tx, CO_CONET_TX, 0, 0, &txf, 1, false);
	bell(&o, tx);
	co_script_frame(&o, f, frame(f, 1000, 4));
	co_script_frame(&o, f, frame(f, 10, 5));
	co_script_frame(&o, f, frame(f, 1600, 6));
	notify(&o);
	poweroff(&o, 0);
	save(&o, t, "txrx");

	/* Frames with no buffer posted: the backlog, then its overflow. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS);
	setup(&o, rx, 2);
	setup(&o, tx1, 1);
	for (i = 0; i < 70; i++)
		co_script_frame(&o, f, frame(f, 60 + i, (unsigned int)i));
	op(&o, CO_OP_YIELD, 0, 0, 0);
	for (i = 0; i < 4; i++)
		desc(&o, rx, CO_CONET_RX, 0, 0, &rxbuf[i], 1, false);
	bell(&o, rx);
	notify(&o);
	data(&o, 16384, f, frame(f, 100, 9));
	desc(&o, tx1, CO_CONET_TX, 0, 0, &txf, 1, false);
	bell(&o, tx1);
	notify(&o);
	poweroff(&o, 0);
	save(&o, t, "backlog");
}

/* ---- cocon (slots: 0 OUT, 1 IN) ------------------------------------------ */

static void cocon_seeds(const char *t, unsigned int out, unsigned int in)
{
	static const char text[] =
		"\x1b[2J\x1b[H" "colinux console\r\n"
		"\x1b[1;31mred\x1b[0m\tTab\bX\r\n"
		"\x1b[5;10Hmoved\x1b[K\x1b[2K\x1b[A\x1b[B\x1b[C\x1b[D\r\n"
		"line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n"
		"line 8\nline 9\nline 10\nline 11\nline 12\r\n"
		"a very long line that wraps around the forty-column screen of "
		"the fuzzing console, twice over, to reach the scrollback\r\n"
		"\x1b[99;99H\x1b[0J\x1b[1J\x1b[?25l\x1b[s\x1b[u\x1b[m\x1b[";
	static const char keys[] = "ls -l /\r";
	struct co_script o;
	struct seg txt = { 0, sizeof(text) - 1 }, kb[2] = { { 8192, 4 },
							      { 12288, 64 } };
	struct seg split[2] = { { 0, 100 }, { 100, sizeof(text) - 101 } };

	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_AUTOCONS | CO_SCRIPT_F_PAGED);
	setup(&o, out, 2);
	setup(&o, in, 2);
	data(&o, 0, text, sizeof(text) - 1);
	desc(&o, out, CO_COCON_WRITE, 0, 0, &txt, 1, false);
	desc(&o, out, CO_COCON_WRITE, 0, 0, split, 2, true);
	desc(&o, out, CO_COCON_READ, 0, 0, &txt, 1, false);
	bell(&o, out);
	notify(&o);
	co_script_put_u8(&o, CO_SCRIPT_A_SNAP);
	co_script_put_u16(&o, 4096);
	co_script_put_u8(&o, 1);
	co_script_keys(&o, keys, sizeof(keys) - 1);
	desc(&o, in, CO_COCON_READ, 0, 0, &kb[0], 1, false);
	desc(&o, in, CO_COCON_READ, 0, 0, &kb[1], 1, false);
	desc(&o, in, CO_COCON_WRITE, 0, 0, &kb[1], 1, false);
	bell(&o, in);
	unmask(&o, CO_IRQ_COCON);
	op(&o, CO_OP_IDLE, 0, 0, 0);
	co_script_keys(&o, keys, sizeof(keys) - 1);
	co_script_put_u8(&o, CO_SCRIPT_A_SNAP);
	co_script_put_u16(&o, 10);
	co_script_put_u8(&o, 0);
	poweroff(&o, 0);
	save(&o, t, "console");
}

/* ---- ops ------------------------------------------------------------------ */

static void ops_seeds(const char *t)
{
	static const char msg[] = "hello from the fuzz guest";
	struct co_script o;

	co_script_init(&o);
	co_script_put_u8(&o, 0);
	op(&o, CO_OP_GET_TIME, 0, 0, 0);
	co_script_text(&o, msg, sizeof(msg) - 1);
	op(&o, CO_OP_DEBUG_PRINT, sizeof(msg) - 1, 0, 0);
	op(&o, CO_OP_SET_TIMER, 1000001000000ULL, 0, 0);
	unmask(&o, CO_IRQ_TIMER);
	op(&o, CO_OP_IDLE, 0, 0, 0);
	op(&o, CO_OP_FORWARD_IRQ, 32, 0, 0);
	op(&o, CO_OP_YIELD, 0, 0, 0);
	op(&o, CO_OP_QUEUE_SETUP, CO_QUEUE_COBD(0), CO_SCRIPT_RING_BASE + 0x1000, 2);
	op(&o, CO_OP_QUEUE_SETUP, CO_QUEUE_COBD(0), 0, 0);
	op(&o, CO_OP_QUEUE_SETUP, 300, CO_SCRIPT_RING_BASE, 2);
	op(&o, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, CO_SCRIPT_RING_BASE + 1, 2);
	op(&o, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, CO_SCRIPT_RING_BASE, 11);
	op(&o, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_OUT, 15ULL << 20, 10);
	op(&o, CO_OP_SET_TIMER, 0, 0, 0);
	co_script_put_u8(&o, CO_SCRIPT_A_POWER);
	co_script_put_u8(&o, CO_POWER_CTRL_ALT_DEL);
	unmask(&o, CO_IRQ_POWER);
	op(&o, CO_OP_IDLE, 0, 0, 0);
	co_script_put_u8(&o, CO_SCRIPT_A_CLOCK);
	co_script_put_value(&o, 5000000);
	op(&o, CO_OP_NOTIFY, 0, 0, 0);
	co_script_text(&o, "bye", 3);
	op(&o, CO_OP_TERMINATE, CO_TERM_PANIC, 0, 3);
	save(&o, t, "ops");

	/* Protocol violations, one per life. */
	co_script_init(&o);
	co_script_put_u8(&o, CO_SCRIPT_F_RESET);
	op(&o, 99, 0, 0, 0);
	op(&o, CO_OP_DEBUG_PRINT, CO_TEXT_SIZE, 0, 0);
	save(&o, t, "violations");
	co_script_init(&o);
	co_script_put_u8(&o, 0);
	op(&o, CO_OP_FORWARD_IRQ, 3, 0, 0);
	save(&o, t, "forward");
	co_script_init(&o);
	co_script_put_u8(&o, 0);
	op(&o, CO_OP_TERMINATE, CO_TERM_PROTOCOL, 0, 0);
	save(&o, t, "terminate");
	co_script_init(&o);
	co_script_put_u8(&o, 0);
	op(&o, CO_OP_IDLE, 0, 0, 0);
	save(&o, t, "deadlock");
}

/* ---- loader ---------------------------------------------------------------- */

/* One seed per flags value: @elf, then a small initrd. */
static void loader_seeds_of(const uint8_t *elf, size_t len, const char *kind)
{
	static const uint8_t initrd[] = "070701 an initrd";
	static const uint8_t flags[] = { 0x00, 0x0c, 0x0e, 0x0f, 0x1e, 0x2e,
					 0x5e };
	struct co_script o;
	unsigned int i;
	char name[32];

	for (i = 0; i < sizeof(flags); i++) {
		co_script_init(&o);
		co_script_put_u8(&o, flags[i]);
		co_script_put_u32(&o, (uint32_t)len);
		co_script_put_bytes(&o, elf, len);
		co_script_put_bytes(&o, initrd, sizeof(initrd));
		snprintf(name, sizeof(name), "%s-%02x", kind, flags[i]);
		save(&o, "loader", name);
	}
}

static void loader_seeds(void)
{
	size_t len;
	uint8_t *elf = fz_make_elf(&len);

	loader_seeds_of(elf, len, "elf");
	free(elf);
	/* Shaped like Linux: the zero-page path of boot set-up. */
	elf = fz_make_linux_elf(&len);
	loader_seeds_of(elf, len, "linux");
	free(elf);
}

/* ---- config ------------------------------------------------------------------ */

static void config_seed(const char *name, uint8_t mode, const char *const *args,
			const char *const *files)
{
	struct co_script o;
	unsigned int i;

	co_script_init(&o);
	co_script_put_u8(&o, mode);
	co_script_put_u8(&o, 0);
	for (i = 0; args[i]; i++)
		co_script_put_bytes(&o, args[i], strlen(args[i]) + (args[i + 1] ? 1 : 0));
	for (i = 0; files && files[i]; i++) {
		co_script_put_u8(&o, 0xff);
		co_script_put_bytes(&o, files[i], strlen(files[i]));
	}
	save(&o, "config", name);
}

static void config_seeds(void)
{
	static const char *const full[] = {
		"kernel=vmlinux", "initrd=initrd.gz", "mem=128", "cocon=100x40",
		"memwindow=contiguous", "cobd0=root.img", "cobd1=data.img,ro",
		"cobd2=swap.img,rw", "eth0=slirp,02:00:00:00:00:01,tcp:2222:22,udp:5353:53",
		"eth1=pcap,out.pcap,02-00-00-00-00-02", "eth2=loop,pair,",
		"eth3=slirp,,tcp:8080:80", "eth4=slirp,tcp:1:2",
		"root=/dev/cobd0", "console=tty0", "quiet", NULL };
	static const char *const bad[] = {
		"mem=15", "mem=4097", "mem=33", "mem=1G", "mem=2G", "mem=x",
		"cocon=15x2", "cocon=80x", "cocon=513x25", "cobd32=x",
		"cobd=x", "cobd0=", "cobd0=a,rx", "eth16=slirp", "eth0=tap",
		"eth0=slirp,01:00:00:00:00:01", "eth0=slirp,00:00:00:00:00:00",
		"eth0=slirp,tcp:0:22", "eth0=slirp,tcp:70000:22", "eth0=pcap",
		"kernel=", "kernel=a", "kernel=b", "memwindow=huge", "@", "@9",
		NULL };
	static const char *const inc[] = { "@0", "extra", NULL };
	static const char *const files[] = {
		"# a config file\nmem=64 kernel=\"/path with spaces/vmlinux\"\n"
		"@1 cobd0=root.img # trailing comment\n\"quoted#word\" \n",
		"eth0=loop,x @2\n", "@0\n", "\"unterminated\n", NULL };
	static const char *const one[] = { "@3", NULL };

	config_seed("full", 0, full, NULL);
	config_seed("full-args", 1, full, NULL);
	config_seed("bad", 0, bad, NULL);
	config_seed("include", 0, inc, files);
	config_seed("include-args", 1, inc, files);
	config_seed("include-fault", 3 << 1, inc, files);
	config_seed("include-short", 3 << 1 | 1, inc, files);
	config_seed("unterminated", 0, one, files);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	cobd_seeds("cobd", 0, 1, 2);
	cobd_seeds("ops", 2, 3, 4);
	conet_seeds("conet", 0, 1, 2);
	conet_seeds("ops", 5, 6, 7);
	cocon_seeds("cocon", 0, 1);
	cocon_seeds("ops", 0, 1);
	ops_seeds("ops");
	loader_seeds();
	config_seeds();
	return 0;
}
