// SPDX-License-Identifier: GPL-2.0
/*
 * Linux's 64-bit boot protocol: how a Linux kernel is recognised, what
 * the zero page holds, byte for byte at the offsets of Linux 6.1's
 * arch/x86/include/uapi/asm/bootparam.h (the numbers are copied here on
 * purpose, not taken from abi/linux.h, so a drift of the header fails),
 * and the configurations that cannot boot Linux.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/boot.h"
#include "elf_image.h"
#include "internal/vm.h"
#include <colinux/abi/linux.h>
#include <sim/sim.h>

#define MiB		(1ULL << 20)
#define KBASE		0xffffffff80000000ULL
#define LINUX_PHYS	(16 * MiB)	/* CONFIG_PHYSICAL_START */

/* Linux 6.1 bootparam.h, as numbers. */
#define ZP_EXT_RAMDISK_IMAGE	0x0c0
#define ZP_EXT_RAMDISK_SIZE	0x0c4
#define ZP_EXT_CMD_LINE_PTR	0x0c8
#define ZP_E820_ENTRIES		0x1e8
#define ZP_SENTINEL		0x1ef
#define ZP_BOOT_FLAG		0x1fe
#define ZP_HEADER		0x202
#define ZP_VERSION		0x206
#define ZP_TYPE_OF_LOADER	0x210
#define ZP_LOADFLAGS		0x211
#define ZP_RAMDISK_IMAGE	0x218
#define ZP_RAMDISK_SIZE		0x21c
#define ZP_CMD_LINE_PTR		0x228
#define ZP_CMDLINE_SIZE		0x238
#define ZP_HARDWARE_SUBARCH	0x23c
#define ZP_SUBARCH_DATA		0x240
#define ZP_E820_TABLE		0x2d0
#define E820_ENTRY_SIZE		20

static void step_none(struct co_test_guest *g, unsigned int entry)
{
	co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
}

enum note_kind {
	NOTE_NONE,
	NOTE_LINUX,		/* the build-salt note every vmlinux has */
	NOTE_GNU_THEN_LINUX,	/* a build-id note first */
	NOTE_HUGE_NAMESZ,	/* malformed: the scan must stop, not read on */
	NOTE_HUGE_DESCSZ,
	NOTE_TRUNCATED,
	NOTE_LINUX_PREFIX,	/* "Linuxx": not the owner */
};

static size_t put_note(uint8_t *p, const char *name, uint32_t namesz,
		       uint32_t descsz, uint32_t type)
{
	size_t n = 12;

	eb_put32(p, namesz);
	eb_put32(p + 4, descsz);
	eb_put32(p + 8, type);
	memcpy(p + 12, name, strlen(name) + 1);
	n += (strlen(name) + 1 + 3) & ~3u;
	memset(p + n, 0x5a, descsz < 64 ? descsz : 0);
	return n + ((descsz + 3) & ~3u);
}

static void write_notes(uint8_t *p, size_t room, enum note_kind kind)
{
	size_t n = 0;

	memset(p, 0, room);
	switch (kind) {
	case NOTE_NONE:
		break;
	case NOTE_LINUX:
		put_note(p, "Linux", 6, 4, 0x100);
		break;
	case NOTE_GNU_THEN_LINUX:
		n = put_note(p, "GNU", 4, 20, 3);
		put_note(p + n, "Linux", 6, 4, 0x100);
		break;
	case NOTE_HUGE_NAMESZ:
		put_note(p, "Linux", 0xfffffff0u, 4, 0x100);
		break;
	case NOTE_HUGE_DESCSZ:
		n = put_note(p, "GNU", 4, 0, 3);
		eb_put32(p + 4, 0xfffffffdu);
		put_note(p + n, "Linux", 6, 4, 0x100);
		break;
	case NOTE_TRUNCATED:
		/* The name runs past the segment by one byte. */
		put_note(p, "Linux", (uint32_t)room - 11, 0, 0x100);
		break;
	case NOTE_LINUX_PREFIX:
		put_note(p, "Linuxx", 7, 4, 0x100);
		break;
	}
}

/* A kernel shaped like a vmlinux: text at 16 MiB, linked high, a PT_NOTE. */
static uint8_t *linux_image(enum note_kind kind, uint64_t phys, size_t *len)
{
	struct eb_spec s;
	struct eb_layout l;
	uint8_t *img;

	eb_kernel_spec(&s, KBASE);
	for (unsigned int i = 0; i < 3; i++) {
		s.seg[i].paddr += phys - 0x200000;
		s.seg[i].vaddr = KBASE + s.seg[i].paddr;
	}
	s.entry = s.seg[0].paddr;	/* physical, like phys_startup_64 */
	s.seg[3] = (struct eb_seg){ .type = EB_PT_NOTE, .flags = 4,
		.vaddr = s.seg[1].vaddr + 0x1000, .paddr = 0,
		.filesz = 0x60, .memsz = 0x60 };
	s.nseg = 4;
	img = eb_build(&s, &l);
	write_notes(img + l.seg_off[3], 0x60, kind);
	*len = l.len;
	return img;
}

struct lboot {
	struct co_test_guest *g;
	struct co_vm *vm;
	uint8_t zp[4096];
	struct co_boot_params bp;
	struct co_boot_layout l;
	uint64_t rsi;
};

static int load(struct lboot *b, const char *const *args, enum note_kind kind,
		uint64_t phys, char *err, size_t errlen)
{
	size_t len;
	uint8_t *img = linux_image(kind, phys, &len);
	int rc;

	memset(b, 0, sizeof(*b));
	assert_int_equal(co_test_create(args, step_none, NULL, &b->g), 0);
	b->vm = b->g->vm;
	rc = co_vm_load_kernel(b->vm, img, len, err, errlen);
	free(img);
	return rc;
}

static void start(struct lboot *b, const void *initrd, size_t initrd_len)
{
	char err[256];

	if (initrd)
		assert_int_equal(co_vm_load_initrd(b->vm, initrd, initrd_len,
						   err, sizeof(err)), 0);
	assert_int_equal(co_vm_start(b->vm), 0);
	assert_int_equal(co_boot_layout(&b->vm->ram, &b->vm->elf, &b->l), 0);
	b->rsi = b->vm->shared->guest.rsi;
	assert_int_equal(co_vm_read_gpa(b->vm, b->vm->boot_gpa, &b->bp,
					sizeof(b->bp)), 0);
	if (b->vm->linux_boot)
		assert_int_equal(co_vm_read_gpa(b->vm, b->rsi, b->zp,
						sizeof(b->zp)), 0);
}

static uint64_t zp_get(const struct lboot *b, unsigned int off, size_t size)
{
	uint64_t v = 0;

	memcpy(&v, b->zp + off, size);
	return v;
}

/* Every byte of the zero page not named in @fields[] must be zero. */
static void assert_rest_zero(const struct lboot *b)
{
	static const struct { unsigned int off, size; } fields[] = {
		{ ZP_EXT_RAMDISK_IMAGE, 4 }, { ZP_EXT_RAMDISK_SIZE, 4 },
		{ ZP_EXT_CMD_LINE_PTR, 4 }, { ZP_E820_ENTRIES, 1 },
		{ ZP_BOOT_FLAG, 2 }, { ZP_HEADER, 4 }, { ZP_VERSION, 2 },
		{ ZP_TYPE_OF_LOADER, 1 }, { ZP_LOADFLAGS, 1 },
		{ ZP_RAMDISK_IMAGE, 4 }, { ZP_RAMDISK_SIZE, 4 },
		{ ZP_CMD_LINE_PTR, 4 }, { ZP_CMDLINE_SIZE, 4 },
		{ ZP_HARDWARE_SUBARCH, 4 }, { ZP_SUBARCH_DATA, 8 },
		{ ZP_E820_TABLE, 2 * E820_ENTRY_SIZE },
	};
	uint8_t mask[4096] = { 0 };
	unsigned int i;

	for (i = 0; i < CO_ARRAY_SIZE(fields); i++)
		memset(mask + fields[i].off, 1, fields[i].size);
	for (i = 0; i < sizeof(mask); i++) {
		if (!mask[i] && b->zp[i])
			fail_msg("zero page byte 0x%x is 0x%02x, want 0", i,
				 b->zp[i]);
	}
}

static void test_zero_page_fields(void **state)
{
	const char *args[] = { "mem=64", "memwindow=contiguous",
			       "console=hvc0", "root=/dev/cobd0", NULL };
	uint8_t initrd[5000];
	struct lboot b;
	char err[256], cmdline[64] = "";
	uint64_t gpa, end;

	memset(initrd, 0x77, sizeof(initrd));
	assert_int_equal(load(&b, args, NOTE_LINUX, LINUX_PHYS, err,
			      sizeof(err)), 0);
	assert_true(b.vm->linux_boot);
	start(&b, initrd, sizeof(initrd));
	end = b.vm->ram.base + b.vm->ram.size;

	/* rsi is the zero page, in the boot area; param[0] the coLinux one. */
	assert_int_equal(b.rsi, b.l.zero_page_gpa);
	assert_int_equal(b.vm->shared->param[0], b.vm->boot_gpa);
	assert_true(b.rsi >= b.l.start && b.rsi + 4096 <= end);

	assert_int_equal(zp_get(&b, ZP_BOOT_FLAG, 2), 0xaa55);
	assert_int_equal(zp_get(&b, ZP_HEADER, 4), 0x53726448);
	assert_int_equal(zp_get(&b, ZP_VERSION, 2), 0x020f);
	assert_int_equal(zp_get(&b, ZP_TYPE_OF_LOADER, 1), 0xff);
	assert_int_equal(zp_get(&b, ZP_LOADFLAGS, 1), 0x01);
	assert_int_equal(zp_get(&b, ZP_SENTINEL, 1), 0);
	assert_int_equal(zp_get(&b, ZP_HARDWARE_SUBARCH, 4), 5);
	assert_int_equal(zp_get(&b, ZP_SUBARCH_DATA, 8), b.vm->boot_gpa);

	gpa = zp_get(&b, ZP_RAMDISK_IMAGE, 4) |
	      zp_get(&b, ZP_EXT_RAMDISK_IMAGE, 4) << 32;
	assert_int_equal(gpa, b.vm->initrd_gpa);
	assert_int_equal(zp_get(&b, ZP_RAMDISK_SIZE, 4) |
			 zp_get(&b, ZP_EXT_RAMDISK_SIZE, 4) << 32,
			 sizeof(initrd));

	gpa = zp_get(&b, ZP_CMD_LINE_PTR, 4) |
	      zp_get(&b, ZP_EXT_CMD_LINE_PTR, 4) << 32;
	assert_int_equal(co_vm_read_gpa(b.vm, gpa, cmdline, sizeof(cmdline) - 1), 0);
	assert_string_equal(cmdline, "console=hvc0 root=/dev/cobd0");
	assert_int_equal(zp_get(&b, ZP_CMDLINE_SIZE, 4), CO_CMDLINE_SIZE - 1);

	/* Two entries: RAM up to the boot area, the boot area reserved. */
	assert_int_equal(zp_get(&b, ZP_E820_ENTRIES, 1), 2);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE, 8), b.vm->ram.base);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE + 8, 8),
			 b.l.start - b.vm->ram.base);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE + 16, 4), 1);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE + 20, 8), b.l.start);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE + 28, 8), end - b.l.start);
	assert_int_equal(zp_get(&b, ZP_E820_TABLE + 36, 4), 2);
	/* The kernel and the initrd lie in the RAM entry. */
	assert_true(b.vm->ram.base + LINUX_PHYS >= b.vm->ram.base);
	assert_true(b.vm->initrd_gpa + sizeof(initrd) <= b.l.start);
	assert_rest_zero(&b);

	assert_true(b.bp.flags & CO_BOOT_F_LINUX);
	assert_true(b.bp.flags & CO_BOOT_F_CONTIGUOUS);
	co_test_destroy(b.g);
}

/* Without an initrd the ramdisk fields stay zero. */
static void test_zero_page_no_initrd(void **state)
{
	const char *args[] = { "mem=64", NULL };
	struct lboot b;
	char err[256];

	assert_int_equal(load(&b, args, NOTE_LINUX, LINUX_PHYS, err,
			      sizeof(err)), 0);
	start(&b, NULL, 0);
	assert_int_equal(zp_get(&b, ZP_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(zp_get(&b, ZP_RAMDISK_SIZE, 4), 0);
	assert_int_equal(zp_get(&b, ZP_EXT_RAMDISK_IMAGE, 4), 0);
	assert_rest_zero(&b);
	co_test_destroy(b.g);
}

/* Which kernels boot=auto takes for Linux, and what boot= forces. */
static void test_detection(void **state)
{
	static const struct {
		enum note_kind kind;
		const char *boot;
		bool linux_boot;
	} cases[] = {
		{ NOTE_LINUX, NULL, true },
		{ NOTE_GNU_THEN_LINUX, NULL, true },
		{ NOTE_NONE, NULL, false },
		{ NOTE_HUGE_NAMESZ, NULL, false },
		{ NOTE_HUGE_DESCSZ, NULL, false },
		{ NOTE_TRUNCATED, NULL, false },
		{ NOTE_LINUX_PREFIX, NULL, false },
		{ NOTE_LINUX, "boot=auto", true },
		{ NOTE_LINUX, "boot=colinux", false },
		{ NOTE_NONE, "boot=linux", true },
	};
	unsigned int i;

	for (i = 0; i < CO_ARRAY_SIZE(cases); i++) {
		const char *args[] = { "mem=64", "memwindow=contiguous",
				       cases[i].boot, NULL };
		struct lboot b;
		char err[256];

		assert_int_equal(load(&b, args, cases[i].kind, LINUX_PHYS,
				      err, sizeof(err)), 0);
		start(&b, NULL, 0);
		if (b.vm->linux_boot != cases[i].linux_boot)
			fail_msg("case %u: linux_boot %d, want %d", i,
				 b.vm->linux_boot, cases[i].linux_boot);
		if (cases[i].linux_boot) {
			assert_int_equal(b.rsi, b.l.zero_page_gpa);
			assert_int_equal(zp_get(&b, ZP_HEADER, 4), 0x53726448);
			assert_true(b.bp.flags & CO_BOOT_F_LINUX);
		} else {
			assert_int_equal(b.rsi, b.vm->boot_gpa);
			assert_false(b.bp.flags & CO_BOOT_F_LINUX);
		}
		co_test_destroy(b.g);
	}
}

/* No memwindow=: a Linux kernel gets one window; the coLinux one does not. */
static void test_ram_made_contiguous(void **state)
{
	const char *args[] = { "mem=64", NULL };
	struct lboot b;
	char err[256];

	assert_int_equal(load(&b, args, NOTE_LINUX, LINUX_PHYS, err,
			      sizeof(err)), 0);
	assert_true(b.vm->ram.contiguous);
	assert_true(co_vm_config(b.vm)->contiguous);
	start(&b, NULL, 0);
	assert_true(b.bp.flags & CO_BOOT_F_CONTIGUOUS);
	assert_int_equal(b.vm->ram.base % CO_LINUX_ALIGN, 0);
	co_test_destroy(b.g);

	assert_int_equal(load(&b, args, NOTE_NONE, LINUX_PHYS, err,
			      sizeof(err)), 0);
	assert_false(b.vm->ram.contiguous);
	co_test_destroy(b.g);
}

static void test_paged_refused(void **state)
{
	const char *args[] = { "mem=64", "memwindow=paged", NULL };
	struct lboot b;
	char err[256];

	assert_int_equal(load(&b, args, NOTE_LINUX, LINUX_PHYS, err,
			      sizeof(err)), -CO_ENOTSUP);
	assert_non_null(strstr(err, "memwindow=paged"));
	assert_non_null(strstr(err, "Linux kernel"));
	assert_int_equal(co_vm_state(b.vm), CO_VM_CREATED);
	co_test_destroy(b.g);
}

/* No contiguous run for the window: the error says so, nothing leaks. */
static void test_no_contiguous_window(void **state)
{
	const char *args[] = { "mem=64", NULL };
	struct co_test_guest *g;
	uint8_t *img;
	size_t len;
	char err[256];

	assert_int_equal(co_test_create(args, step_none, NULL, &g), 0);
	img = linux_image(NOTE_LINUX, LINUX_PHYS, &len);
	co_sim_fault_fail_range(CO_SIM_FAULT_PAGE_ALLOC, 1, ULONG_MAX, 0);
	assert_int_equal(co_vm_load_kernel(g->vm, img, len, err, sizeof(err)),
			 -CO_ENOMEM);
	co_sim_fault_reset();
	free(img);
	assert_non_null(strstr(err, "no contiguous"));
	/* The paged RAM the VM had is still there and still paged. */
	assert_false(g->vm->ram.contiguous);
	assert_int_equal(g->vm->ram.size, 64 * MiB);
	assert_int_equal(co_vm_state(g->vm), CO_VM_CREATED);
	co_test_destroy(g);
}

static void test_misaligned_refused(void **state)
{
	const char *args[] = { "mem=64", "memwindow=contiguous", NULL };
	struct lboot b;
	char err[256];

	assert_int_equal(load(&b, args, NOTE_LINUX, LINUX_PHYS + 0x1000, err,
			      sizeof(err)), -CO_EINVAL);
	assert_non_null(strstr(err, "2 MiB-aligned"));
	co_test_destroy(b.g);
	/* The same layout is fine for a coLinux kernel. */
	assert_int_equal(load(&b, args, NOTE_NONE, LINUX_PHYS + 0x1000, err,
			      sizeof(err)), 0);
	co_test_destroy(b.g);
}

static void test_boot_key(void **state)
{
	struct co_config c;
	char err[256];

	co_config_init(&c);
	assert_int_equal(c.boot, CO_BOOT_AUTO);
	assert_int_equal(co_config_parse_arg(&c, "boot=linux", err,
					     sizeof(err)), 0);
	assert_int_equal(c.boot, CO_BOOT_LINUX);
	assert_int_equal(co_config_parse_arg(&c, "boot=colinux", err,
					     sizeof(err)), -CO_EINVAL);
	assert_non_null(strstr(err, "boot"));
	co_config_free(&c);

	co_config_init(&c);
	assert_int_equal(co_config_parse_arg(&c, "boot=bios", err,
					     sizeof(err)), -CO_EINVAL);
	assert_non_null(strstr(err, "\"bios\""));
	assert_int_equal(c.boot, CO_BOOT_AUTO);
	co_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CO_TEST(test_zero_page_fields),
		CO_TEST(test_zero_page_no_initrd),
		CO_TEST(test_detection),
		CO_TEST(test_ram_made_contiguous),
		CO_TEST(test_paged_refused),
		CO_TEST(test_no_contiguous_window),
		CO_TEST(test_misaligned_refused),
		CO_TEST(test_boot_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
