/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fuzzing harness: shared pieces of the fuzz targets, the corpus replay
 * driver and the traffic recorder.
 *
 * The VM targets (cobd, conet, cocon, ops) read their input as a script
 * for a guest: one flags byte, then actions (fz_action). The harness is the
 * guest's CPU back-end: at every entry it performs actions (writing guest
 * RAM, ring indices, descriptors, doorbells, injecting host-side events)
 * until an action issues an operation, which ends the entry. The monitor,
 * devices and sim-host underneath are the real ones. The format is also
 * what the recorder (record.c) writes, so a recorded end-to-end run is a
 * seed input. fuzz/README.md documents it byte by byte.
 */
#ifndef CO_FUZZ_FZ_H
#define CO_FUZZ_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the input format ------------------------------------------------ */

/* Byte 0 of a VM-target input. */
/*
 * Both bits: paged guest RAM (memwindow=paged), else contiguous. Two bits,
 * because creating and destroying a paged VM between guard frames costs
 * several times a contiguous one (fz_guard_setup): a quarter is paged.
 */
#define FZ_F_PAGED	0x11
#define FZ_F_AUTOCONS	0x02	/* guest consumes completions at each entry */
/*
 * Both bits: after a stop, co_vm_reset and go on with the rest of the
 * input. Two bits, because a reset clears all of RAM and costs several
 * inputs' worth of time: a quarter of the inputs is plenty.
 */
#define FZ_F_RESET	0x0c

/* Action codes: the first byte of an action, taken modulo FZ_A_NR. */
enum fz_action {
	FZ_A_OP		= 0,	/* sel [u32 op] mask value*popcount(mask) */
	FZ_A_SETUP	= 1,	/* qsel log2 where addr */
	FZ_A_WRITE	= 2,	/* where addr u16 len bytes */
	FZ_A_DESC	= 3,	/* qsel op nseg flags value(arg) value(arg2) segs */
	FZ_A_PROD	= 4,	/* qsel what value */
	FZ_A_BELL	= 5,	/* sel [u8 raw queue] */
	FZ_A_SHARED	= 6,	/* u16 off u8 len bytes */
	FZ_A_TEXT	= 7,	/* u16 len bytes */
	FZ_A_CLOCK	= 8,	/* value ns */
	FZ_A_FRAME	= 9,	/* u16 len bytes */
	FZ_A_KEYS	= 10,	/* u8 len bytes */
	FZ_A_FAULT	= 11,	/* cls nth arg */
	FZ_A_POWER	= 12,	/* event */
	FZ_A_UNMASK	= 13,	/* line */
	FZ_A_KICK	= 14,
	FZ_A_PEER	= 15,	/* the outside drains the frames it got */
	FZ_A_SNAP	= 16,	/* read the console screen and scrollback */
	FZ_A_NR
};

/* FZ_A_OP: a selector below this picks a guest op; FZ_OP_RAW: u32 follows. */
#define FZ_OP_RAW	0xff
/* FZ_A_BELL: selectors from here on are followed by a raw queue number. */
#define FZ_BELL_RAW	0x80

/* Where an address points (FZ_A_WRITE, FZ_A_SETUP, segments). */
enum fz_where {
	FZ_W_RING	= 0,	/* u8 qsel, u32 offset into that queue's ring */
	FZ_W_DATA	= 1,	/* u32 offset into the data area */
	FZ_W_RAM	= 2,	/* u32 offset from the start of RAM */
	FZ_W_RAW	= 3,	/* u64 guest-physical address */
};

/* Guest RAM layout the generated scripts use (16 MiB VM). */
#define FZ_MEM_MB	16
#define FZ_RING_BASE	0x400000ULL
#define FZ_RING_STRIDE	0x20000ULL	/* > co_ring_bytes(10) */
#define FZ_TABLE_BASE	0x500000ULL	/* indirect segment tables */
#define FZ_TABLE_SIZE	0x40000ULL
#define FZ_DATA_BASE	0x600000ULL
#define FZ_DATA_SIZE	0x400000ULL
#define FZ_MAX_SLOTS	16

/* ---- reading an input -------------------------------------------------- */

struct fz_in {
	const uint8_t *p;
	size_t len, pos;
};

static inline bool fz_more(const struct fz_in *in)
{
	return in->pos < in->len;
}
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);
/* Tagged integer: tag&3 = 0: tag>>2; 1: u16; 2: u32; 3: u64 follows. */
uint64_t fz_value(struct fz_in *in);
/* Up to @len bytes; returns how many were left in the input. */
size_t fz_bytes(struct fz_in *in, void *dst, size_t len);

/* ---- writing an input (recorder, seed generator) --------------------- */

struct fz_out {
	uint8_t *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the output is useless */
};

void fz_out_init(struct fz_out *o);
void fz_out_free(struct fz_out *o);
void fz_put_u8(struct fz_out *o, uint8_t v);
void fz_put_u16(struct fz_out *o, uint16_t v);
void fz_put_u32(struct fz_out *o, uint32_t v);
void fz_put_u64(struct fz_out *o, uint64_t v);
void fz_put_value(struct fz_out *o, uint64_t v);
void fz_put_bytes(struct fz_out *o, const void *p, size_t len);

/* Encoders for whole actions. */
void fz_emit_op(struct fz_out *o, uint32_t op, const uint64_t *param,
		unsigned int nparams);
/* Raw-gpa write, split into 64 KiB pieces. */
void fz_emit_write(struct fz_out *o, uint64_t gpa, const void *p, size_t len);
void fz_emit_bell(struct fz_out *o, unsigned int queue);
void fz_emit_shared(struct fz_out *o, unsigned int off, const void *p,
		    size_t len);
void fz_emit_text(struct fz_out *o, const void *p, size_t len);
void fz_emit_frame(struct fz_out *o, const void *p, size_t len);
void fz_emit_keys(struct fz_out *o, const void *p, size_t len);
void fz_emit_clock(struct fz_out *o, uint64_t ns);
int fz_save(const struct fz_out *o, const char *path);

/* ---- the VM targets ------------------------------------------------------ */

struct fz_profile {
	const char *name;
	/* Queue numbers the qsel of actions map to. */
	unsigned int nslots;
	unsigned int slot[FZ_MAX_SLOTS];
	bool cobd, conet, cocon_only;
};

extern const struct fz_profile fz_profile_cobd, fz_profile_conet,
	fz_profile_cocon, fz_profile_ops;

/* Run one input against a fresh VM of @prof; aborts on a finding. */
int fz_vm_one(const struct fz_profile *prof, const uint8_t *data,
	      size_t size);

/* The other targets' bodies (fz_loader.c, fz_config.c). */
int fz_loader_one(const uint8_t *data, size_t size);
int fz_config_one(const uint8_t *data, size_t size);

/* Every target defines this (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- helpers ----------------------------------------------------------- */

/* A per-process scratch directory (removed at exit). */
const char *fz_tmpdir(void);
/* Write @len bytes to @path (created/truncated); aborts on failure. */
void fz_write_file(const char *path, const void *p, size_t len);
/* A small valid kernel image (malloc'd); see co_test_make_elf. */
void *fz_make_elf(size_t *len);
/* Quiet sim-host logs unless $FZ_LOG is set; once per process. */
void fz_sim_setup(void);
/* Abort with a message: the finding. */
void fz_fail(const char *fmt, ...) __attribute__((noreturn,
						  format(printf, 1, 2)));
/* Interleave the host frames the VM gets with PROT_NONE guard frames. */
void fz_guard_setup(void);
/* Every sim-host object released, no API misuse; aborts otherwise. */
void fz_leak_check(const char *when);

#endif
