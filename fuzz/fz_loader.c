// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target body: the kernel image and initrd loader.
 *
 * Input: flags byte, u32 kernel length, kernel bytes, the rest = initrd.
 *   flags & 0x01  contiguous RAM
 *   flags & 0x02  load through files (co_vm_load_files, kernel=/initrd=)
 *   flags & 0x04  start the VM after loading (boot set-up, page tables)
 *   flags & 0x08  load an initrd (the rest of the input)
 *   flags >> 4    a sim-host fault on the way (see fault_plan), nth from
 *                 the kernel length's top byte
 *
 * Oracles: the parser's description of the image (co_kernel_image_info)
 * is self-consistent, is the one the loaded VM reports, and agrees with
 * what the loader put in RAM (segments byte for byte, bss zeroed); the
 * initrd lands in RAM between the kernel and the boot area, intact; after
 * start, the boot page tables map every upper-half segment at its link
 * address onto its load address, and a Linux kernel's zero page is right;
 * no leak after destroy. The parser reads
 * a heap copy of exactly the image's size, so ASan sees any over-read.
 * The harness sees the VM through <colinux/inspect.h> only.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <colinux/inspect.h>
#include <sim/sim.h>
#include "fz.h"

#define MAX_IMAGE	(1u << 20)

static char kpath[600], ipath[600];

static void cfg_add(struct co_config *c, const char *fmt, const char *s)
{
	char arg[700], err[256];

	snprintf(arg, sizeof(arg), fmt, s);
	if (co_config_parse_arg(c, arg, err, sizeof(err)))
		fz_fail("harness config %s: %s", arg, err);
}

static void setup_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	fz_sim_setup();
	fz_guard_setup();
	snprintf(kpath, sizeof(kpath), "%s/vmlinux", fz_tmpdir());
	snprintf(ipath, sizeof(ipath), "%s/initrd", fz_tmpdir());
}

/*
 * Built per input (its strings are on the counted host heap). @files: 0
 * none, 1 kernel=, 2 kernel= and initrd=.
 */
static void build_config(struct co_config *c, bool contig, unsigned int files)
{
	co_config_init(c);
	cfg_add(c, "mem=%s", "16");
	if (contig)
		cfg_add(c, "memwindow=%s", "contiguous");
	if (files)
		cfg_add(c, "kernel=%s", kpath);
	if (files == 2)
		cfg_add(c, "initrd=%s", ipath);
}

#define SYM_SIZE	24	/* an ELF64 symbol */

static void check_parse(const struct co_kernel_info *e, size_t len)
{
	unsigned int i;

	if (!e->nr_seg || e->nr_seg > CO_KERNEL_MAX_SEGMENTS)
		fz_fail("elf: %u segments accepted", e->nr_seg);
	for (i = 0; i < e->nr_seg; i++) {
		const struct co_kernel_segment *s = &e->seg[i];

		if (s->offset > len || s->filesz > len - s->offset)
			fz_fail("elf: segment %u [%#llx +%#llx) past the %zu-byte file",
				i, (unsigned long long)s->offset,
				(unsigned long long)s->filesz, len);
		if (s->memsz < s->filesz)
			fz_fail("elf: segment %u memsz < filesz", i);
		if (s->paddr < e->lowest_paddr ||
		    s->paddr + s->memsz > e->highest_paddr ||
		    s->paddr + s->memsz < s->paddr)
			fz_fail("elf: segment %u outside [lowest, highest)", i);
	}
	/* Offsets: a table before the image would wrap to a huge one. */
	if (e->symtab_off > len || e->nr_syms > len / SYM_SIZE ||
	    e->symtab_off + e->nr_syms * SYM_SIZE > len)
		fz_fail("elf: symbol table outside the image");
	if (e->strtab_off > len || e->strtab_size > len ||
	    e->strtab_off + e->strtab_size > len)
		fz_fail("elf: string table outside the image");
}

/* Exercise the symbol lookup with the names the image itself holds. */
static void lookup_symbols(const uint8_t *img, size_t len,
			   const struct co_kernel_info *e)
{
	const char *strtab = (const char *)img + e->strtab_off;
	uint64_t i, v;
	char name[64];

	co_kernel_image_symbol(img, len, "co_start", &v);
	co_kernel_image_symbol(img, len, "", &v);
	if (!e->strtab_size)
		return;
	for (i = 0; i < 8 && i < e->strtab_size; i++) {
		uint64_t off = (i * 7919) % e->strtab_size;
		size_t n = strnlen(strtab + off, e->strtab_size - off);

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, strtab + off, n);
		name[n] = '\0';
		co_kernel_image_symbol(img, len, name, &v);
	}
}

static void check_ram(struct co_vm *vm, uint64_t gpa, const uint8_t *want,
		      uint64_t len, bool zeros, const char *what)
{
	static uint8_t buf[4096];
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done > sizeof(buf) ? sizeof(buf) : len - done;
		size_t i;

		if (co_vm_read_gpa(vm, gpa + done, buf, n))
			fz_fail("%s: [%#llx +%zu) not in RAM", what,
				(unsigned long long)(gpa + done), n);
		if (zeros) {
			for (i = 0; i < n; i++)
				if (buf[i])
					fz_fail("%s: byte at %#llx not zero", what,
						(unsigned long long)(gpa + done + i));
		} else if (memcmp(buf, want + done, n)) {
			fz_fail("%s: RAM at %#llx differs from the image", what,
				(unsigned long long)(gpa + done));
		}
		done += n;
	}
}

static bool same_segment(const struct co_kernel_segment *a,
			 const struct co_kernel_segment *b)
{
	return a->offset == b->offset && a->filesz == b->filesz &&
	       a->memsz == b->memsz && a->paddr == b->paddr &&
	       a->vaddr == b->vaddr && a->flags == b->flags &&
	       a->mapped == b->mapped;
}

/* Field by field: padding bytes of the structures carry no meaning. */
static bool same_kernel(const struct co_kernel_info *a,
			const struct co_kernel_info *b)
{
	unsigned int i;

	if (a->entry != b->entry || a->entry_va != b->entry_va ||
	    a->nr_seg != b->nr_seg || a->lowest_paddr != b->lowest_paddr ||
	    a->highest_paddr != b->highest_paddr ||
	    a->symtab_off != b->symtab_off || a->nr_syms != b->nr_syms ||
	    a->strtab_off != b->strtab_off || a->strtab_size != b->strtab_size)
		return false;
	for (i = 0; i < a->nr_seg && i < CO_KERNEL_MAX_SEGMENTS; i++)
		if (!same_segment(&a->seg[i], &b->seg[i]))
			return false;
	return true;
}

/*
 * The loaded kernel as the VM reports it: the parser's description of
 * the image it was given, placed in RAM below the boot area.
 */
static void check_loaded(struct co_vm *vm, const uint8_t *img, size_t len,
			 struct co_kernel_info *e)
{
	struct co_kernel_info parsed;
	struct co_boot_info bi;
	uint64_t base = co_vm_ram_base(vm);
	unsigned int i;

	if (co_vm_kernel_info(vm, e))
		fz_fail("loaded kernel, but the VM reports none");
	if (co_kernel_image_info(img, len, &parsed, NULL, 0) ||
	    !same_kernel(&parsed, e))
		fz_fail("the VM describes its kernel otherwise than the parser");
	check_parse(e, len);
	if (co_vm_boot_info(vm, &bi))
		fz_fail("loaded kernel but no boot area");
	if (base + e->highest_paddr > bi.area_gpa)
		fz_fail("kernel ends at %#llx inside the boot area at %#llx",
			(unsigned long long)(base + e->highest_paddr),
			(unsigned long long)bi.area_gpa);
	for (i = 0; i < e->nr_seg; i++) {
		const struct co_kernel_segment *s = &e->seg[i];

		check_ram(vm, base + s->paddr, img + s->offset, s->filesz,
			  false, "segment");
		check_ram(vm, base + s->paddr + s->filesz, NULL,
			  s->memsz - s->filesz, true, "bss");
	}
}

static void check_initrd(struct co_vm *vm, const uint8_t *img, size_t len)
{
	struct co_kernel_info e;
	struct co_boot_info bi;
	uint64_t base = co_vm_ram_base(vm), gpa, size;

	if (co_vm_initrd(vm, &gpa, &size))
		size = gpa = 0;
	if (size != len)
		fz_fail("initrd: %llu bytes recorded, %zu given",
			(unsigned long long)size, len);
	if (co_vm_kernel_info(vm, &e) || co_vm_boot_info(vm, &bi))
		fz_fail("initrd loaded, but no kernel or boot area");
	if (gpa < base + e.highest_paddr || gpa + len > bi.area_gpa ||
	    gpa % CO_PAGE_SIZE)
		fz_fail("initrd at [%#llx +%zu) overlaps the kernel or boot area",
			(unsigned long long)gpa, len);
	check_ram(vm, gpa, img, len, false, "initrd");
}

/* After start: upper-half segments are mapped at their link address. */
static void check_tables(struct co_vm *vm, const struct co_kernel_info *e)
{
	uint64_t base = co_vm_ram_base(vm);
	unsigned int i, k;

	for (i = 0; i < e->nr_seg; i++) {
		const struct co_kernel_segment *s = &e->seg[i];

		if (!s->mapped || !s->memsz)
			continue;
		for (k = 0; k < 2; k++) {
			uint64_t off = k ? s->memsz - 1 : 0, hpa;
			struct co_pt_walk w;

			if (co_vm_boot_walk(vm, s->vaddr + off, &w))
				fz_fail("segment %u: va %#llx not mapped", i,
					(unsigned long long)(s->vaddr + off));
			if (co_vm_gpa_to_hpa(vm, base + s->paddr + off, &hpa) ||
			    w.hpa != hpa)
				fz_fail("segment %u: va %#llx maps to %#llx, not %#llx",
					i, (unsigned long long)(s->vaddr + off),
					(unsigned long long)w.hpa,
					(unsigned long long)hpa);
		}
	}
}

static uint64_t zp64(const uint8_t *zp, unsigned int off, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, zp + off, size);
	return v;
}

/*
 * A Linux kernel's zero page (docs/protocol.md, "Linux boot"), at the
 * offsets of Linux's bootparam.h: the loader's word, the subarch and its
 * data, the command line in the boot parameters, the initrd, and an e820
 * map of two entries that is the RAM window with the boot area reserved.
 */
static void check_zero_page(struct co_vm *vm)
{
	struct co_boot_info bi;
	uint64_t base = co_vm_ram_base(vm), end, igpa = 0, isize = 0;
	uint8_t zp[4096];

	if (co_vm_boot_info(vm, &bi) || !bi.zero_page_gpa)
		return;
	end = base + co_vm_ram_size(vm);
	if (bi.zero_page_gpa < bi.area_gpa || bi.zero_page_gpa + 4096 > end ||
	    co_vm_read_gpa(vm, bi.zero_page_gpa, zp, sizeof(zp)))
		fz_fail("zero page at %#llx outside the boot area",
			(unsigned long long)bi.zero_page_gpa);
	co_vm_initrd(vm, &igpa, &isize);
	if (zp64(zp, 0x1fe, 2) != 0xaa55 || zp64(zp, 0x202, 4) != 0x53726448 ||
	    zp64(zp, 0x210, 1) != 0xff || zp64(zp, 0x1ef, 1) ||
	    zp64(zp, 0x23c, 4) != 5 || zp64(zp, 0x240, 8) != bi.params_gpa)
		fz_fail("zero page header wrong");
	if ((zp64(zp, 0x228, 4) | zp64(zp, 0xc8, 4) << 32) !=
	    bi.params_gpa + 0x920)
		fz_fail("zero page command line not the boot parameters'");
	if ((zp64(zp, 0x218, 4) | zp64(zp, 0xc0, 4) << 32) != igpa ||
	    (zp64(zp, 0x21c, 4) | zp64(zp, 0xc4, 4) << 32) != isize)
		fz_fail("zero page initrd %#llx+%#llx, VM has %#llx+%#llx",
			(unsigned long long)zp64(zp, 0x218, 4),
			(unsigned long long)zp64(zp, 0x21c, 4),
			(unsigned long long)igpa, (unsigned long long)isize);
	if (zp64(zp, 0x1e8, 1) != 2 ||
	    zp64(zp, 0x2d0, 8) != base ||
	    zp64(zp, 0x2d8, 8) != bi.area_gpa - base ||
	    zp64(zp, 0x2e0, 4) != 1 ||
	    zp64(zp, 0x2e4, 8) != bi.area_gpa ||
	    zp64(zp, 0x2ec, 8) != end - bi.area_gpa ||
	    zp64(zp, 0x2f4, 4) != 2)
		fz_fail("zero page e820 map is not RAM up to the boot area, then the boot area");
}

static void fault_plan(unsigned int kind, unsigned int nth)
{
	switch (kind) {
	case 1:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_READ, nth, CO_EIO);
		break;
	case 2:
		co_sim_fault_short(CO_SIM_FAULT_FILE_READ, nth * 97 + 1, 1000);
		break;
	case 3:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_SIZE, nth, CO_EIO);
		break;
	case 4:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_OPEN, nth, CO_ENOENT);
		break;
	case 5:
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, nth, 0);
		break;
	case 6:
		co_sim_fault_fail_nth(CO_SIM_FAULT_PAGE_ALLOC, nth, 0);
		break;
	}
}

static const struct co_cpu_ops idle_cpu = { .name = "none" };

static int none_enter(void *priv, struct co_vm_exit *exit)
{
	return -CO_EIO;
}

int fz_loader_one(const uint8_t *data, size_t size)
{
	struct co_cpu_ops cpu = idle_cpu;
	struct fz_in in = { .p = data, .len = size };
	uint8_t flags = fz_u8(&in);
	uint32_t klen_raw = fz_u32(&in);
	size_t klen = klen_raw & (MAX_IMAGE - 1), ilen;
	bool files = flags & 0x02, start = flags & 0x04, initrd = flags & 0x08;
	uint8_t *kimg, *iimg;
	struct co_kernel_info ki;
	struct co_config cfg;
	struct co_vm *vm;
	uint64_t sym;
	char err[512];
	int rc;

	setup_once();
	co_sim_reset();
	cpu.enter = none_enter;
	if (klen > in.len - in.pos)
		klen = in.len - in.pos;
	kimg = malloc(klen ? klen : 1);
	fz_bytes(&in, kimg, klen);
	ilen = in.len - in.pos;
	iimg = malloc(ilen ? ilen : 1);
	fz_bytes(&in, iimg, ilen);

	/* The parser alone, on an exactly-sized copy. */
	rc = co_kernel_image_info(kimg, klen, &ki, err, sizeof(err));
	if (!rc) {
		check_parse(&ki, klen);
		lookup_symbols(kimg, klen, &ki);
		co_kernel_image_check(kimg, klen,
				      (uint64_t)CO_SCRIPT_MEM_MB << 20, err,
				      sizeof(err));
	} else if (!err[0]) {
		fz_fail("the ELF parser failed without a message");
	}

	if (files) {
		fz_write_file(kpath, kimg, klen);
		fz_write_file(ipath, iimg, initrd ? ilen : 0);
	}
	build_config(&cfg, flags & 1, files ? 1 + initrd : 0);
	rc = co_vm_create(&cfg, &cpu, &vm);
	co_config_free(&cfg);
	if (rc)
		fz_fail("co_vm_create failed");
	fault_plan(flags >> 4, (klen_raw >> 24) % 4 + 1);
	if (files) {
		rc = co_vm_load_files(vm, err, sizeof(err));
		if (!rc && initrd)
			check_initrd(vm, iimg, ilen);
	} else {
		rc = co_vm_load_kernel(vm, kimg, klen, err, sizeof(err));
		if (!rc && initrd &&
		    !co_vm_load_initrd(vm, iimg, ilen, err, sizeof(err)))
			check_initrd(vm, iimg, ilen);
	}
	if (rc && !err[0])
		fz_fail("load failed (%d) without a message", rc);
	if (!rc) {
		if (co_vm_state(vm) != CO_VM_LOADED)
			fz_fail("loaded, but state %s",
				co_vm_state_name(co_vm_state(vm)));
		check_loaded(vm, kimg, klen, &ki);
		if (start && !co_vm_start(vm)) {
			check_tables(vm, &ki);
			check_zero_page(vm);
		}
		co_vm_symbol(vm, "co_start", &sym);
	}
	co_sim_fault_reset();
	co_vm_destroy(vm);
	free(kimg);
	free(iimg);
	fz_leak_check("loader");
	return 0;
}
