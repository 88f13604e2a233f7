/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fuzzing harness: shared pieces of the fuzz targets, the corpus replay
 * driver and the seed generator.
 *
 * The VM targets (cobd, conet, cocon, ops) read their input as a guest
 * script (<sim/script.h>: one flags byte, then actions). The harness is
 * the guest's CPU back-end: at every entry it performs actions (writing
 * guest RAM, ring indices, descriptors, doorbells, injecting host-side
 * events) until an action issues an operation, which ends the entry. The
 * monitor, devices and sim-host underneath are the real ones. The format
 * is the sim-host's, which colinux-sim --record writes, so a recorded
 * end-to-end run is a seed input. fuzz/README.md documents it byte by
 * byte.
 */
#ifndef CO_FUZZ_FZ_H
#define CO_FUZZ_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sim/script.h>

/* The most queues a VM target's profile drives (struct fz_profile). */
#define FZ_MAX_SLOTS	16

/* ---- reading a script -------------------------------------------------- */

/*
 * The reader is the harness's own: past the end every read yields zeros,
 * so any byte string is a valid input (the fuzzers' need, not a
 * recording's).
 */
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
/* The same shaped like a Linux vmlinux (co_kernel_elf_linux). */
void *fz_make_linux_elf(size_t *len);
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
