/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest scripts: a byte format that describes what a guest does at the
 * guest <-> host boundary (writes to its RAM, ring indices, descriptors,
 * doorbells, the shared page, operations) and what reaches the VM from
 * outside (frames, keystrokes, clock, power). colinux-sim --record FILE
 * writes a run as one (<sim/record.h>); the fuzz targets' scripted guest
 * plays them back (fuzz/fz_vm.c), so a recording is a seed input. The
 * format is specified byte by byte in fuzz/README.md ("The guest-script
 * input format"); this header is its one definition in C, and the writer.
 *
 * Layout: one flags byte (CO_SCRIPT_F_*), then actions to the end. Each
 * action is a code byte (taken modulo CO_SCRIPT_A_NR) and its operands.
 * Integers are little-endian; a "value" is a tag byte: tag & 3 = 0: the
 * value is tag >> 2; 1: a u16 follows; 2: a u32; 3: a u64.
 */
#ifndef CO_SIM_SCRIPT_H
#define CO_SIM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the format ------------------------------------------------------- */

/* Byte 0. */
/*
 * Both bits: paged guest RAM (memwindow=paged), else contiguous. Two bits,
 * because creating and destroying a paged VM between the fuzzers' guard
 * frames costs several times a contiguous one: a quarter is paged.
 */
#define CO_SCRIPT_F_PAGED	0x11
/* The guest consumes every completion at each entry. */
#define CO_SCRIPT_F_AUTOCONS	0x02
/*
 * Both bits: after a stop, co_vm_reset and go on with the rest of the
 * script. Two bits, because a reset clears all of RAM and costs several
 * inputs' worth of time: a quarter of the fuzzers' inputs is plenty.
 */
#define CO_SCRIPT_F_RESET	0x0c

/* Action codes: the first byte of an action, taken modulo CO_SCRIPT_A_NR. */
enum co_script_action {
	CO_SCRIPT_A_OP		= 0,	/* sel [u32 op] mask value*popcount(mask) */
	CO_SCRIPT_A_SETUP	= 1,	/* qsel log2 where addr */
	CO_SCRIPT_A_WRITE	= 2,	/* where addr u16 len bytes */
	CO_SCRIPT_A_DESC	= 3,	/* qsel op nseg flags value value segs */
	CO_SCRIPT_A_PROD	= 4,	/* qsel what value */
	CO_SCRIPT_A_BELL	= 5,	/* sel [u8 raw queue] */
	CO_SCRIPT_A_SHARED	= 6,	/* u16 off u8 len bytes */
	CO_SCRIPT_A_TEXT	= 7,	/* u16 len bytes */
	CO_SCRIPT_A_CLOCK	= 8,	/* value ns */
	CO_SCRIPT_A_FRAME	= 9,	/* u16 len bytes */
	CO_SCRIPT_A_KEYS	= 10,	/* u8 len bytes */
	CO_SCRIPT_A_FAULT	= 11,	/* cls nth arg */
	CO_SCRIPT_A_POWER	= 12,	/* event */
	CO_SCRIPT_A_UNMASK	= 13,	/* line */
	CO_SCRIPT_A_KICK	= 14,
	CO_SCRIPT_A_PEER	= 15,	/* the outside reads what it got */
	CO_SCRIPT_A_SNAP	= 16,	/* read the console screen, scrollback */
	CO_SCRIPT_A_NR
};

/* CO_SCRIPT_A_OP: this selector is followed by a raw u32 operation. */
#define CO_SCRIPT_OP_RAW	0xff
/* CO_SCRIPT_A_BELL: selectors from here on are followed by a raw queue. */
#define CO_SCRIPT_BELL_RAW	0x80

/* Where an address points (CO_SCRIPT_A_WRITE, _SETUP, segments). */
enum co_script_where {
	CO_SCRIPT_W_RING	= 0,	/* u8 qsel, u32 offset into its ring */
	CO_SCRIPT_W_DATA	= 1,	/* u32 offset into the data area */
	CO_SCRIPT_W_RAM		= 2,	/* u32 offset from the start of RAM */
	CO_SCRIPT_W_RAW		= 3,	/* u64 guest-physical address */
};

/* The guest RAM layout scripts assume: a 16 MiB VM. */
#define CO_SCRIPT_MEM_MB	16
#define CO_SCRIPT_RING_BASE	0x400000ULL
#define CO_SCRIPT_RING_STRIDE	0x20000ULL	/* > co_ring_bytes(10) */
#define CO_SCRIPT_TABLE_BASE	0x500000ULL	/* indirect segment tables */
#define CO_SCRIPT_TABLE_SIZE	0x40000ULL
#define CO_SCRIPT_DATA_BASE	0x600000ULL
#define CO_SCRIPT_DATA_SIZE	0x400000ULL

/* ---- writing a script -------------------------------------------------- */

/* A script being built in memory. */
struct co_script {
	uint8_t *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the script is useless */
};

void co_script_init(struct co_script *s);
void co_script_free(struct co_script *s);

/* The encodings. After an allocation failure every call does nothing. */
void co_script_put_u8(struct co_script *s, uint8_t v);
void co_script_put_u16(struct co_script *s, uint16_t v);
void co_script_put_u32(struct co_script *s, uint32_t v);
void co_script_put_u64(struct co_script *s, uint64_t v);
void co_script_put_value(struct co_script *s, uint64_t v);
void co_script_put_bytes(struct co_script *s, const void *p, size_t len);

/* Whole actions. */
/* An operation with raw parameters (the first @nparams, at most 8). */
void co_script_op(struct co_script *s, uint32_t op, const uint64_t *param,
		  unsigned int nparams);
/* A raw-gpa write, in pieces of at most 0xffff bytes. */
void co_script_write(struct co_script *s, uint64_t gpa, const void *p,
		     size_t len);
void co_script_bell(struct co_script *s, unsigned int queue);
void co_script_shared(struct co_script *s, unsigned int off, const void *p,
		      size_t len);
void co_script_text(struct co_script *s, const void *p, size_t len);
void co_script_frame(struct co_script *s, const void *p, size_t len);
void co_script_keys(struct co_script *s, const void *p, size_t len);
void co_script_clock(struct co_script *s, uint64_t ns);

/*
 * Write the script to @path (created or truncated): 0, or -1 with errno
 * set (ENOMEM if building it failed).
 */
int co_script_save(const struct co_script *s, const char *path);

#endif
