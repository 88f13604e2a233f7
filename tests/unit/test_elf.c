// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF parser against images built here: a good one in all its
 * details, and bad ones each rejected with a message naming the problem.
 * Images live in exactly-sized heap blocks so ASan catches any overread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "co_test.h"
#include "internal/elf.h"
#include "elf_image.h"
#include <sim/sim.h>

#define KBASE	0xffffffff80000000ULL

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

/* A copy of exactly @len bytes of @img. */
static uint8_t *dup_len(const uint8_t *img, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	memcpy(p, img, len);
	return p;
}

/* Parse must fail with -CO_EINVAL (or @want) and a message holding @needle. */
static void expect_reject(const uint8_t *img, size_t len, int want,
			  const char *needle)
{
	struct co_elf elf;
	char err[256] = "";
	uint8_t *copy = dup_len(img, len);
	int ret;

	ret = co_elf_parse(&elf, copy, len, err, sizeof(err));
	if (ret != want || !strstr(err, needle))
		fail_msg("len %zu: got %d \"%s\", want %d with \"%s\"", len, ret,
			 err, want, needle);
	free(copy);
}

static void good_image_described(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img;
	uint64_t v;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
	assert_int_equal(elf.nr_seg, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(elf.seg[i].offset, l.seg_off[i]);
		assert_int_equal(elf.seg[i].filesz, s.seg[i].filesz);
		assert_int_equal(elf.seg[i].memsz, s.seg[i].memsz);
		assert_int_equal(elf.seg[i].paddr, s.seg[i].paddr);
		assert_int_equal(elf.seg[i].vaddr, s.seg[i].vaddr);
		assert_int_equal(elf.seg[i].flags, s.seg[i].flags);
	}
	assert_int_equal(elf.lowest_paddr, 0x200000);
	assert_int_equal(elf.highest_paddr, 0x402123 + 0x9000);
	assert_int_equal(elf.entry, KBASE + 0x200010);
	assert_int_equal(elf.nr_syms, 4);
	assert_int_equal(co_elf_entry_va(&elf, 0x40000000, &v), 0);
	assert_int_equal(v, KBASE + 0x200010);
	assert_int_equal(co_elf_check_fits(&elf, 16 << 20, err, sizeof(err)), 0);
	free(img);
}

static void entry_by_physical_address(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img;
	uint64_t v;

	eb_kernel_spec(&s, KBASE);
	s.entry = 0x200020;	/* physical, as some linkers write it */
	img = eb_build(&s, &l);
	assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
	assert_int_equal(co_elf_entry_va(&elf, 0x40000000, &v), 0);
	assert_int_equal(v, 0x40200020);
	free(img);

	/* In no segment at all: rejected, and the message says so. */
	s.entry = 0x300000;
	img = eb_build(&s, &l);
	expect_reject(img, l.len, -CO_EINVAL, "entry point 0x300000");
	free(img);
}

static void truncation_at_every_header_byte(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	uint8_t *img;
	size_t cut, end_ph;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	end_ph = l.phoff + 56 * s.nseg;
	for (cut = 0; cut < end_ph; cut++) {
		if (cut < 64)
			expect_reject(img, cut, -CO_EINVAL,
				      "truncated ELF header");
		else
			expect_reject(img, cut, -CO_EINVAL,
				      "program headers (offset 0x40, 3 entries) run past the end");
	}
	/* Cut inside segment data: that segment is named. */
	for (cut = end_ph; cut < l.seg_off[0] + s.seg[0].filesz; cut += 97)
		expect_reject(img, cut, -CO_EINVAL,
			      "segment 0 (offset 0x1000, filesz 0x3456) runs past the end");
	cut = l.seg_off[2] + 1;
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "segment 2 (offset 0x%llx, filesz 0x2100) runs past the end of the 0x%zx-byte file",
			 (unsigned long long)l.seg_off[2], cut);
		expect_reject(img, cut, -CO_EINVAL, want);
	}
	free(img);
}

/* Build the kernel image, let @edit break it, check the message. */
static void reject_edited(void (*edit)(uint8_t *img, struct eb_layout *l),
			  const char *needle)
{
	struct eb_spec s;
	struct eb_layout l;
	uint8_t *img;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	edit(img, &l);
	expect_reject(img, l.len, -CO_EINVAL, needle);
	free(img);
}

static void ed_magic(uint8_t *b, struct eb_layout *l) { b[1] = 'X'; }
static void ed_class(uint8_t *b, struct eb_layout *l) { b[4] = 1; }
static void ed_data(uint8_t *b, struct eb_layout *l) { b[5] = 2; }
static void ed_identver(uint8_t *b, struct eb_layout *l) { b[6] = 0; }
static void ed_version(uint8_t *b, struct eb_layout *l) { eb_put32(b + 20, 2); }
static void ed_machine(uint8_t *b, struct eb_layout *l) { eb_put16(b + 18, 3); }
static void ed_dyn(uint8_t *b, struct eb_layout *l) { eb_put16(b + 16, 3); }
static void ed_rel(uint8_t *b, struct eb_layout *l) { eb_put16(b + 16, 1); }
static void ed_ehsize(uint8_t *b, struct eb_layout *l) { eb_put16(b + 52, 52); }
static void ed_phentsize(uint8_t *b, struct eb_layout *l) { eb_put16(b + 54, 32); }
static void ed_phnum0(uint8_t *b, struct eb_layout *l) { eb_put16(b + 56, 0); }
static void ed_phnum_big(uint8_t *b, struct eb_layout *l) { eb_put16(b + 56, 65); }
static void ed_phoff_wrap(uint8_t *b, struct eb_layout *l)
{
	eb_put64(b + 32, UINT64_MAX - 8);
}

static void *ph(uint8_t *b, struct eb_layout *l, unsigned int i)
{
	return b + l->phoff + 56 * i;
}

static void ed_memsz_small(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 40, 0x100);
}

static void ed_offset_wrap(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 8, UINT64_MAX - 0x10);
}

static void ed_filesz_huge(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 32, UINT64_MAX);
	eb_put64((uint8_t *)ph(b, l, 1) + 40, UINT64_MAX);
}

static void ed_memsz_absurd(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 2) + 40, (1ULL << 30) + 1);
}

static void ed_paddr_absurd(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 2) + 24, UINT64_MAX - 0xfff + 0x123);
	eb_put64((uint8_t *)ph(b, l, 2) + 16, 0x123);
}

static void ed_overlap(uint8_t *b, struct eb_layout *l)
{
	/* Segment 1 (0x1800 bytes) moved to end inside segment 0. */
	eb_put64((uint8_t *)ph(b, l, 1) + 24, 0x202000);
	eb_put64((uint8_t *)ph(b, l, 1) + 16, KBASE + 0x202000);
}

static void ed_misaligned(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 24, 0x400800);
}

static void ed_noncanonical(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 16, 0x0000800000000000ULL);
}

static void ed_crosses_hole(uint8_t *b, struct eb_layout *l)
{
	eb_put64((uint8_t *)ph(b, l, 1) + 16, 0x00007ffffffff000ULL);
}

static void ed_no_load(uint8_t *b, struct eb_layout *l)
{
	for (unsigned int i = 0; i < 3; i++)
		eb_put32(ph(b, l, i), EB_PT_NOTE);
}

static void bad_headers_named(void **state)
{
	reject_edited(ed_magic, "bad ELF magic 7f 58 4c 46");
	reject_edited(ed_class, "ELF class 1 is not ELFCLASS64");
	reject_edited(ed_data, "data encoding 2 is not little-endian");
	reject_edited(ed_identver, "ident version 0");
	reject_edited(ed_version, "ELF version 2 is not 1");
	reject_edited(ed_machine, "machine 3 is not x86-64");
	reject_edited(ed_dyn, "ELF type 3 (ET_DYN) is not ET_EXEC");
	reject_edited(ed_rel, "ELF type 1 is not ET_EXEC");
	reject_edited(ed_ehsize, "ELF header size 52");
	reject_edited(ed_phentsize, "program header entry size 32 is not 56");
	reject_edited(ed_phnum0, "0 program headers");
	reject_edited(ed_phnum_big, "65 program headers");
	reject_edited(ed_phoff_wrap, "program headers (offset 0xfffffffffffffff7");
}

static void bad_segments_named(void **state)
{
	reject_edited(ed_memsz_small,
		      "segment 1 memsz 0x100 is smaller than its filesz 0x1800");
	reject_edited(ed_offset_wrap,
		      "segment 1 (offset 0xffffffffffffffef, filesz 0x1800) runs past the end");
	reject_edited(ed_filesz_huge, "segment 1 memsz 0xffffffffffffffff is absurd");
	reject_edited(ed_memsz_absurd, "segment 2 memsz 0x40000001 is absurd");
	reject_edited(ed_paddr_absurd, "segment 2 physical range");
	reject_edited(ed_overlap,
		      "load segments 0 (paddr 0x200000+0x3456) and 1 (paddr 0x202000+0x1800) overlap");
	reject_edited(ed_misaligned,
		      "segment 1 is misaligned: paddr 0x400800 and vaddr 0xffffffff80400000");
	reject_edited(ed_noncanonical, "segment 1 virtual range 0x800000000000+0x1800 is not canonical");
	reject_edited(ed_crosses_hole, "segment 1 virtual range 0x7ffffffff000+0x1800 is not canonical");
	reject_edited(ed_no_load, "no PT_LOAD segment");
}

static void too_many_and_spanning(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	uint8_t *img;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	s.nseg = 17;
	for (i = 0; i < s.nseg; i++)
		s.seg[i] = (struct eb_seg){ .paddr = 0x100000 * (i + 1),
			.vaddr = 0x100000 * (i + 1), .filesz = 16, .memsz = 16 };
	s.entry = 0x100000;
	img = eb_build(&s, &l);
	expect_reject(img, l.len, -CO_EINVAL, "more than 16 PT_LOAD segments");
	free(img);

	/* 16 are fine, and other program headers do not count. */
	s.seg[16].type = EB_PT_NOTE;
	img = eb_build(&s, &l);
	{
		struct co_elf elf;
		char err[256];

		assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
		assert_int_equal(elf.nr_seg, 16);
	}
	free(img);

	/* Two small segments 2 GiB apart: the span is absurd. */
	memset(&s, 0, sizeof(s));
	s.nseg = 2;
	s.seg[0] = (struct eb_seg){ .paddr = 0x100000, .vaddr = 0x100000,
		.filesz = 16, .memsz = 16 };
	s.seg[1] = (struct eb_seg){ .paddr = 0x80100000, .vaddr = 0x80100000,
		.filesz = 16, .memsz = 16 };
	s.entry = 0x100000;
	img = eb_build(&s, &l);
	expect_reject(img, l.len, -CO_EINVAL,
		      "segments span 0x80000010 bytes of physical memory");
	free(img);
}

static void fits_in_ram(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
	assert_int_equal(co_elf_check_fits(&elf, 0x40b123, err, sizeof(err)), 0);
	assert_int_equal(co_elf_check_fits(&elf, 0x40b122, err, sizeof(err)),
			 -CO_ERANGE);
	assert_non_null(strstr(err,
		"segment 2 (paddr 0x402123, memsz 0x9000) ends past the end of the 0x40b122-byte RAM"));
	free(img);
}

static void symbols_found(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img;
	uint64_t v = 0;

	eb_kernel_spec(&s, KBASE);
	s.nsym = 5;
	s.sym[3] = (struct eb_sym){ "a_section", 0x1234, 3, 1 };	/* STT_SECTION */
	s.sym[4] = (struct eb_sym){ "plain", 0x5678, 0, 1 };		/* STT_NOTYPE */
	img = eb_build(&s, &l);
	assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
	assert_int_equal(co_elf_symbol(&elf, "co_start", &v), 0);
	assert_int_equal(v, KBASE + 0x200010);
	assert_int_equal(co_elf_symbol(&elf, "some_data", &v), 0);
	assert_int_equal(v, KBASE + 0x402123 + 8);
	assert_int_equal(co_elf_symbol(&elf, "plain", &v), 0);
	assert_int_equal(v, 0x5678);
	assert_int_equal(co_elf_symbol(&elf, "a_section", &v), -CO_ENOENT);
	assert_int_equal(co_elf_symbol(&elf, "undefined_one", &v), -CO_ENOENT);
	assert_int_equal(co_elf_symbol(&elf, "co_star", &v), -CO_ENOENT);
	assert_int_equal(co_elf_symbol(&elf, "co_start_", &v), -CO_ENOENT);
	assert_int_equal(co_elf_symbol(&elf, "", &v), -CO_ENOENT);
	free(img);

	s.no_sections = 1;
	img = eb_build(&s, &l);
	assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
	assert_null(elf.symtab);
	assert_int_equal(co_elf_symbol(&elf, "co_start", &v), -CO_ENOENT);
	free(img);
}

/* A broken symbol table means no symbols, never a rejected image. */
static void broken_symtab_ignored(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img, *copy;
	uint64_t v;
	int variant;

	eb_kernel_spec(&s, KBASE);
	for (variant = 0; variant < 9; variant++) {
		img = eb_build(&s, &l);
		uint8_t *sh1 = img + l.shoff + 64, *sh2 = img + l.shoff + 128;
		size_t len = l.len;
		int found = 0;

		switch (variant) {
		case 0: eb_put32(sh1 + 40, 7); break;		/* link out of range */
		case 1: eb_put64(sh1 + 24, l.len - 8); break;	/* symtab past end */
		case 2: eb_put64(sh2 + 32, 1ULL << 40); break;	/* strtab past end */
		case 3: eb_put64(sh1 + 56, 16); break;		/* entsize */
		case 4: eb_put32(sh2 + 4, 1); break;		/* link not STRTAB */
		case 5: eb_put16(img + 58, 40); break;		/* shentsize */
		case 6: eb_put64(img + 40, l.len - 64); break;	/* shdrs past end */
		case 7:
			/* Every name offset past the string table. */
			for (unsigned int i = 1; i <= s.nsym; i++)
				eb_put32(img + l.symtab_off + 24 * i, 0xfffffff0);
			break;
		case 8:
			/* A string table cut inside "co_start": no NUL in it. */
			eb_put64(sh2 + 32, 5);
			break;
		}
		copy = dup_len(img, len);
		assert_int_equal(co_elf_parse(&elf, copy, len, err, sizeof(err)), 0);
		found = co_elf_symbol(&elf, "co_start", &v) == 0;
		assert_false(found);
		free(copy);
		free(img);
	}
}

/* Random corruption of the headers: never a crash or an overread. */
static void mutations_never_crash(void **state)
{
	uint64_t seed = co_test_seed("elf_mutations"), r = seed;
	struct eb_spec s;
	struct eb_layout l;
	struct co_elf elf;
	char err[256];
	uint8_t *img, *copy;
	unsigned int iter, k, accepted = 0;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	for (iter = 0; iter < 3000; iter++) {
		size_t len = l.len;

		copy = dup_len(img, len);
		for (k = 0; k < 1 + co_test_rand(&r) % 4; k++) {
			uint64_t x = co_test_rand(&r);
			size_t at;

			/* Mostly the headers, sometimes the section tables. */
			if (x & 1)
				at = (x >> 8) % (l.phoff + 56 * s.nseg);
			else
				at = l.strtab_off + (x >> 8) % (len - l.strtab_off);
			copy[at] = (uint8_t)(x >> 40);
		}
		if (co_elf_parse(&elf, copy, len, err, sizeof(err)) == 0) {
			uint64_t v;

			accepted++;
			co_elf_symbol(&elf, "co_start", &v);
			co_elf_symbol(&elf, "some_data", &v);
			assert_true(elf.nr_seg >= 1 && elf.nr_seg <= 16);
			for (k = 0; k < elf.nr_seg; k++)
				assert_true(elf.seg[k].offset + elf.seg[k].filesz <= len);
		} else {
			assert_true(strlen(err) > 0);
		}
		free(copy);
	}
	print_message("seed %llu: %u of 3000 mutants accepted\n",
		      (unsigned long long)seed, accepted);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_image_described, setup, teardown),
		cmocka_unit_test_setup_teardown(entry_by_physical_address, setup, teardown),
		cmocka_unit_test_setup_teardown(truncation_at_every_header_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_headers_named, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_segments_named, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many_and_spanning, setup, teardown),
		cmocka_unit_test_setup_teardown(fits_in_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(symbols_found, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_symtab_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(mutations_never_crash, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
