/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU-level test harness: a passage installed by the monitor's own code
 * (co_passage_create on a bare struct co_vm), the Unicorn back-end with
 * its emulated host, and the tiny guest of guest.S in 2 MiB of guest
 * memory with its own page tables, GDT, IDT and TSS.
 */
#ifndef CO_CPU_HARNESS_H
#define CO_CPU_HARNESS_H

#include <stdint.h>

#include "co_unicorn.h"

struct co_ram;

/* Guest GDT layout (different from the emulated host's on purpose). */
#define TG_CS		0x10	/* CO_BOOT_CS */
#define TG_DS		0x18	/* CO_BOOT_DS */
#define TG_DS2		0x20
#define TG_CS2		0x28
#define TG_DS3		0x30
#define TG_TR		0x70
#define TG_TR2		0x80
#define TG_LDT		0x90

extern const uint8_t tg_start[], tg_end[], tg_record[], tg_bounce[];
extern const uint8_t tg_work[], tg_vectors[], tg_pf_test[], tg_pf_handler[];
extern const uint8_t tg_spin[], tg_ud[], tg_rec[], tg_count[], tg_irqs[];
extern const uint8_t tg_pf_log[], tg_valid[];

struct tg {
	struct co_vm *vm;		/* passage fields only */
	struct co_passage_info pi;
	struct co_uc *uc;
	struct co_ram *ram;		/* guest memory, gpa == hpa */
	uint64_t ram_base;
	uint64_t cr3[2];
	uint64_t gdt[2], idt, tss, stack_lo, stack_hi;
	struct co_passage_shared *sh;
};

/* Everything set up; the guest state is tg_guest_default(tg_record). */
void tg_create(struct tg *t);
void tg_destroy(struct tg *t);

uint64_t tg_va(const struct tg *t, const uint8_t *sym);
void *tg_ptr(const struct tg *t, const uint8_t *sym);
uint64_t tg_u64(const struct tg *t, const uint8_t *sym);

/* A plain guest state that starts at @entry. */
void tg_guest_default(const struct tg *t, struct co_cpu_state *s,
		      const uint8_t *entry);
/* Random but valid states (seeded by @rng). */
void tg_guest_random(const struct tg *t, struct co_cpu_state *s,
		     const uint8_t *entry, uint64_t *rng);
void tg_host_random(struct tg *t, struct co_cpu_state *s, uint64_t *rng);
void tg_fx_random(uint8_t *fx, uint64_t *rng);

/*
 * Compare two states field by field and fail the test naming the first
 * field that differs. @fx_all: all 512 bytes of the FPU image (both came
 * from fxsave), else the architectural fields only.
 */
void tg_assert_state(const char *what, const struct co_cpu_state *want,
		     const struct co_cpu_state *got, bool fx_all,
		     bool check_rip);

/*
 * CMocka fixtures: reset the sim-host; afterwards nothing may be left
 * over (measured against what a failed earlier test leaked, so that one
 * failure is reported once).
 */
int tg_setup(void **state);
int tg_teardown(void **state);

/* Enter and expect a normal switch back. */
void tg_enter_ok(struct tg *t);

#endif
