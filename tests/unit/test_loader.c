// SPDX-License-Identifier: GPL-2.0
/*
 * Loading kernels and initrds into a real VM: bytes at the right guest
 * addresses, bss zeroed, placement of the initrd, files taken through the
 * host's view of them or, where it has none, read (short reads, errors),
 * state rules and allocation failures.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "co_test.h"
#include "internal/boot.h"
#include "elf_image.h"
#include "internal/vm.h"
#include <sim/sim.h>

#define KBASE	0xffffffff80000000ULL
#define MiB	(1ULL << 20)

static const char *const paged_args[] = { "mem=16", NULL };
static const char *const contig_args[] = { "mem=16", "memwindow=contiguous", NULL };

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	co_sim_fault_reset();
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

/* The host has no views from now on: the loader must read the files. */
static void no_views(void)
{
	co_sim_fault_fail_range(CO_SIM_FAULT_FILE_VIEW, 1, ULONG_MAX, CO_ENOTSUP);
}

static struct co_test_guest *create(const char *const *args)
{
	struct co_test_guest *g;

	assert_int_equal(co_test_create(args, NULL, NULL, &g), 0);
	return g;
}

static uint8_t ram_byte(struct co_vm *vm, uint64_t gpa)
{
	uint8_t b;

	assert_int_equal(co_vm_read_gpa(vm, gpa, &b, 1), 0);
	return b;
}

static void segments_land_and_bss_is_zeroed(void **state)
{
	struct eb_spec s;
	struct eb_layout l;
	struct co_test_guest *g;
	struct co_vm *vm;
	uint8_t *img, *fill, *got;
	char err[256];
	uint64_t v, base;

	for (int m = 0; m < 2; m++) {
		g = create(m ? contig_args : paged_args);
		vm = g->vm;
		base = vm->ram.base;
		/* Dirty RAM, so zeroing and untouched bytes both show. */
		fill = malloc(8 * MiB);
		memset(fill, 0xaa, 8 * MiB);
		assert_int_equal(co_vm_write_gpa(vm, base, fill, 8 * MiB), 0);
		free(fill);

		eb_kernel_spec(&s, KBASE);
		img = eb_build(&s, &l);
		assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)), 0);
		memset(img, 0, l.len);	/* the VM must have its own copy */
		free(img);
		assert_int_equal(co_vm_state(vm), CO_VM_LOADED);
		assert_int_equal(vm->entry_va, KBASE + 0x200010);
		assert_int_equal(vm->kernel_len, l.len);

		for (unsigned int i = 0; i < s.nseg; i++) {
			uint64_t gpa = base + s.seg[i].paddr;

			got = malloc(s.seg[i].memsz);
			assert_int_equal(co_vm_read_gpa(vm, gpa, got,
							s.seg[i].memsz), 0);
			for (uint64_t j = 0; j < s.seg[i].filesz; j++)
				if (got[j] != eb_byte(i, j))
					fail_msg("seg %u byte 0x%llx", i,
						 (unsigned long long)j);
			for (uint64_t j = s.seg[i].filesz; j < s.seg[i].memsz; j++)
				if (got[j])
					fail_msg("seg %u bss byte 0x%llx not zero",
						 i, (unsigned long long)j);
			free(got);
			/* Neighbours untouched. */
			assert_int_equal(ram_byte(vm, gpa - 1), 0xaa);
			assert_int_equal(ram_byte(vm, gpa + s.seg[i].memsz), 0xaa);
		}
		assert_int_equal(co_vm_symbol(vm, "co_start", &v), 0);
		assert_int_equal(v, KBASE + 0x200010);
		assert_int_equal(co_vm_symbol(vm, "some_data", &v), 0);
		assert_int_equal(co_vm_symbol(vm, "nope", &v), -CO_ENOENT);
		co_test_destroy(g);
	}
}

static void state_rules(void **state)
{
	struct co_test_guest *g = create(paged_args);
	struct eb_spec s;
	struct eb_layout l;
	char err[256];
	uint8_t *img;
	uint64_t v;

	assert_int_equal(co_vm_symbol(g->vm, "co_start", &v), -CO_ENOENT);
	assert_int_equal(co_vm_load_initrd(g->vm, "x", 1, err, sizeof(err)),
			 -CO_ESTATE);
	assert_non_null(strstr(err, "load the kernel first"));
	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(g->vm, img, l.len, err, sizeof(err)), 0);
	assert_int_equal(co_vm_load_kernel(g->vm, img, l.len, err, sizeof(err)),
			 -CO_ESTATE);
	assert_non_null(strstr(err, "VM is loaded, not created"));
	/* After a reset the VM takes a kernel again. */
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_int_equal(co_vm_symbol(g->vm, "co_start", &v), -CO_ENOENT);
	assert_int_equal(co_vm_load_kernel(g->vm, img, l.len, err, sizeof(err)), 0);
	free(img);
	co_test_destroy(g);
}

static void rejected_kernels_leave_vm_created(void **state)
{
	struct co_test_guest *g = create(paged_args);
	struct co_vm *vm = g->vm;
	struct eb_spec s;
	struct eb_layout l;
	char err[512];
	uint8_t *img;
	uint64_t area, area_size;

	/* Malformed. */
	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	img[4] = 1;
	assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)),
			 -CO_EINVAL);
	assert_non_null(strstr(err, "kernel image: ELF class 1"));
	free(img);

	/* Past the end of RAM. */
	s.seg[2].paddr = 16 * MiB - 0x1000 + 0x123;
	s.seg[2].vaddr = KBASE + s.seg[2].paddr;
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)),
			 -CO_ERANGE);
	assert_non_null(strstr(err, "kernel image: segment 2 (paddr 0xfff123, memsz 0x9000) ends past the end of the 0x1000000-byte RAM"));
	free(img);

	/* Inside RAM but over the boot area at its top. */
	s.seg[2].paddr = 16 * MiB - 0x9000 + 0x123;
	s.seg[2].vaddr = KBASE + s.seg[2].paddr;
	s.seg[2].memsz = 0x8000;
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)),
			 -CO_ERANGE);
	assert_non_null(strstr(err, "inside the boot area"));
	free(img);

	/*
	 * Ending exactly where the boot area begins is fine (the area grows
	 * with the kernel's aliases, so find that size by iterating).
	 */
	eb_kernel_spec(&s, KBASE);
	s.seg[2].memsz = 16 * MiB;
	for (;;) {
		struct co_elf elf;
		struct co_boot_layout bl;
		uint64_t end;

		img = eb_build(&s, &l);
		assert_int_equal(co_elf_parse(&elf, img, l.len, err, sizeof(err)), 0);
		free(img);
		assert_int_equal(co_boot_layout(&vm->ram, &elf, &bl), 0);
		area = bl.start;
		area_size = bl.size;
		end = vm->ram.base + s.seg[2].paddr + s.seg[2].memsz;
		if (end == area)
			break;
		s.seg[2].memsz -= end - area;
	}
	assert_int_equal(area + area_size, vm->ram.base + vm->ram.size);
	s.seg[2].memsz += 0x1000;
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)),
			 -CO_ERANGE);
	assert_non_null(strstr(err, "inside the boot area"));
	free(img);
	s.seg[2].memsz -= 0x1000;
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(vm, img, l.len, err, sizeof(err)), 0);
	free(img);
	assert_int_equal(co_vm_state(vm), CO_VM_LOADED);
	co_test_destroy(g);

	/* No memory for the copy. */
	g = create(paged_args);
	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_int_equal(co_vm_load_kernel(g->vm, img, l.len, err, sizeof(err)),
			 -CO_ENOMEM);
	assert_non_null(strstr(err, "kernel image: no memory"));
	assert_int_equal(co_vm_state(g->vm), CO_VM_CREATED);
	assert_null(g->vm->kernel);
	free(img);
	co_test_destroy(g);
}

static struct co_test_guest *loaded(const char *const *args)
{
	struct co_test_guest *g = create(args);
	struct eb_spec s;
	struct eb_layout l;
	char err[256];
	uint8_t *img;

	eb_kernel_spec(&s, KBASE);
	img = eb_build(&s, &l);
	assert_int_equal(co_vm_load_kernel(g->vm, img, l.len, err, sizeof(err)), 0);
	free(img);
	return g;
}

static void initrd_goes_high(void **state)
{
	uint64_t seed = co_test_seed("loader_initrd"), r = seed;
	struct co_test_guest *g;
	struct co_vm *vm;
	uint64_t area, area_size, kend, free_bytes;
	uint8_t *data, *back;
	char err[512];
	size_t len;

	for (int m = 0; m < 2; m++) {
		g = loaded(m ? contig_args : paged_args);
		vm = g->vm;
		assert_int_equal(co_boot_area(vm, &area, &area_size), 0);
		kend = vm->ram.base + ((0x40b123 + 0xfff) & ~0xfffULL);
		free_bytes = area - kend;

		len = 3 * MiB + co_test_rand(&r) % 4096;
		data = malloc(len);
		back = malloc(len);
		for (size_t i = 0; i < len; i++)
			data[i] = (uint8_t)co_test_rand(&r);
		assert_int_equal(co_vm_load_initrd(vm, data, len, err, sizeof(err)), 0);
		assert_int_equal(vm->initrd_size, len);
		assert_int_equal(vm->initrd_gpa % 4096, 0);
		assert_int_equal(vm->initrd_gpa, (area - len) & ~0xfffULL);
		assert_true(vm->initrd_gpa + len <= area);
		assert_true(vm->initrd_gpa >= kend);
		assert_int_equal(co_vm_read_gpa(vm, vm->initrd_gpa, back, len), 0);
		assert_memory_equal(back, data, len);

		/* A second one replaces it; the old bytes are gone. */
		uint64_t old = vm->initrd_gpa;

		assert_int_equal(co_vm_load_initrd(vm, data, 100, err, sizeof(err)), 0);
		assert_int_equal(ram_byte(vm, old), 0);
		assert_int_equal(ram_byte(vm, vm->initrd_gpa + 99), data[99]);

		/* Exactly the free space fits; a byte more does not. */
		free(data);
		free(back);
		data = calloc(1, free_bytes + 1);
		assert_int_equal(co_vm_load_initrd(vm, data, free_bytes, err,
						   sizeof(err)), 0);
		assert_int_equal(vm->initrd_gpa, kend);
		assert_int_equal(co_vm_load_initrd(vm, data, free_bytes + 1, err,
						   sizeof(err)), -CO_ERANGE);
		assert_non_null(strstr(err, "do not fit between the kernel's end"));
		assert_int_equal(co_vm_load_initrd(vm, data, 0, err, sizeof(err)),
				 -CO_EINVAL);
		assert_non_null(strstr(err, "initrd: image is empty"));
		free(data);
		co_test_destroy(g);
	}
}

struct files {
	char kernel[256], initrd[256], empty[256], missing[256], huge[256];
	size_t klen;
	uint8_t *kimg;
};

static void make_files(struct files *f)
{
	struct eb_spec s;
	struct eb_layout l;
	FILE *fp;

	co_test_tmp_path(f->kernel, sizeof(f->kernel), "loader-vmlinux");
	co_test_tmp_path(f->initrd, sizeof(f->initrd), "loader-initrd");
	co_test_tmp_path(f->empty, sizeof(f->empty), "loader-empty");
	co_test_tmp_path(f->missing, sizeof(f->missing), "loader-missing");
	co_test_tmp_path(f->huge, sizeof(f->huge), "loader-huge");
	eb_kernel_spec(&s, KBASE);
	f->kimg = eb_build(&s, &l);
	f->klen = l.len;
	fp = fopen(f->kernel, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f->kimg, 1, l.len, fp), l.len);
	fclose(fp);
	co_test_make_file(f->initrd, 1234567, 99);
	co_test_make_file(f->empty, 0, 0);
	fp = fopen(f->huge, "wb");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), (1LL << 30) + 1), 0);
	fclose(fp);
	unlink(f->missing);
}

static void remove_files(struct files *f)
{
	unlink(f->kernel);
	unlink(f->initrd);
	unlink(f->empty);
	unlink(f->huge);
	free(f->kimg);
}

/*
 * Every byte of the file's segments is in guest RAM (the VM keeps no copy
 * of the image, only its symbols).
 */
static void check_segments_loaded(struct co_test_guest *g,
				  const struct files *f)
{
	struct co_elf elf;
	char err[256];
	unsigned int i;
	uint8_t *buf;

	assert_int_equal(co_elf_parse(&elf, f->kimg, f->klen, err,
				      sizeof(err)), 0);
	for (i = 0; i < elf.nr_seg; i++) {
		const struct co_elf_segment *s = &elf.seg[i];

		buf = malloc(s->filesz);
		assert_non_null(buf);
		assert_int_equal(co_vm_read_gpa(g->vm, co_vm_ram_base(g->vm) +
						s->paddr, buf, s->filesz), 0);
		assert_memory_equal(buf, f->kimg + s->offset, s->filesz);
		free(buf);
	}
	assert_true(g->vm->kernel_loaded);
	assert_int_equal(g->vm->kernel_len, f->klen);
}

/* Create a VM with these files, load them; returns the error. */
static int load_with(const char *kernel, const char *initrd, char *err,
		     size_t errlen, struct co_test_guest **out)
{
	char karg[300], iarg[300];
	const char *args[4] = { "mem=16", NULL, NULL, NULL };
	struct co_test_guest *g;
	int n = 1, ret;

	if (kernel) {
		snprintf(karg, sizeof(karg), "kernel=%s", kernel);
		args[n++] = karg;
	}
	if (initrd) {
		snprintf(iarg, sizeof(iarg), "initrd=%s", initrd);
		args[n++] = iarg;
	}
	g = create(args);
	ret = co_vm_load_files(g->vm, err, errlen);
	if (out)
		*out = g;
	else
		co_test_destroy(g);
	return ret;
}

static void check_initrd_file(struct co_test_guest *g)
{
	uint64_t state = 99, v;
	uint8_t *back = malloc(1234567);

	assert_int_equal(g->vm->initrd_size, 1234567);
	assert_int_equal(co_vm_read_gpa(g->vm, g->vm->initrd_gpa, back, 1234567), 0);
	for (size_t i = 0; i < 1234567; i += 8) {
		v = co_test_rand(&state);
		size_t n = 1234567 - i < 8 ? 1234567 - i : 8;

		assert_memory_equal(back + i, &v, n);
	}
	free(back);
}

static void files_loaded(void **state)
{
	struct co_test_guest *g;
	struct files f;
	char err[512];
	uint64_t v;

	make_files(&f);
	/* Through views: nothing is read into a buffer. */
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), &g), 0);
	assert_int_equal(co_vm_state(g->vm), CO_VM_LOADED);
	check_segments_loaded(g, &f);
	assert_int_equal(co_vm_symbol(g->vm, "co_start", &v), 0);
	check_initrd_file(g);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_VIEW), 2);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ), 0);
	co_test_destroy(g);

	/* A host without views: the same bytes, read. */
	co_sim_fault_reset();
	no_views();
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), &g), 0);
	assert_true(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ) >= 2);
	check_segments_loaded(g, &f);
	assert_int_equal(co_vm_symbol(g->vm, "co_start", &v), 0);
	check_initrd_file(g);
	co_test_destroy(g);

	/* Short reads everywhere still load every byte. */
	co_sim_fault_reset();
	no_views();
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 777, 100000);
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), &g), 0);
	assert_true(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ) > 1000);
	check_segments_loaded(g, &f);
	check_initrd_file(g);
	co_test_destroy(g);

	/* Only the initrd has no view. */
	co_sim_fault_reset();
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_VIEW, 2, CO_ENOTSUP);
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), &g), 0);
	check_segments_loaded(g, &f);
	check_initrd_file(g);
	co_test_destroy(g);
	co_sim_fault_reset();
	remove_files(&f);
}

static void file_errors_name_the_path(void **state)
{
	struct files f;
	char err[512], want[400];

	make_files(&f);
	assert_int_equal(load_with(NULL, NULL, err, sizeof(err), NULL), -CO_EINVAL);
	assert_non_null(strstr(err, "no kernel= given"));

	assert_true(load_with(f.missing, NULL, err, sizeof(err), NULL) < 0);
	snprintf(want, sizeof(want), "%s: cannot open", f.missing);
	assert_non_null(strstr(err, want));

	assert_int_equal(load_with(f.empty, NULL, err, sizeof(err), NULL), -CO_EINVAL);
	snprintf(want, sizeof(want), "%s: size 0 is empty", f.empty);
	assert_non_null(strstr(err, want));

	assert_int_equal(load_with(f.huge, NULL, err, sizeof(err), NULL), -CO_EINVAL);
	snprintf(want, sizeof(want), "%s: size 1073741825 is over the 1 GiB limit", f.huge);
	assert_non_null(strstr(err, want));

	assert_int_equal(load_with(f.kernel, f.empty, err, sizeof(err), NULL), -CO_EINVAL);
	snprintf(want, sizeof(want), "%s: size 0 is empty", f.empty);
	assert_non_null(strstr(err, want));

	/* A kernel that is not one: the path and the problem. */
	assert_int_equal(load_with(f.initrd, NULL, err, sizeof(err), NULL), -CO_EINVAL);
	snprintf(want, sizeof(want), "%s: kernel image: bad ELF magic", f.initrd);
	assert_non_null(strstr(err, want));

	/* A view that fails for another reason than having none is an error. */
	co_sim_fault_eio(CO_SIM_FAULT_FILE_VIEW, 1);
	assert_int_equal(load_with(f.kernel, NULL, err, sizeof(err), NULL), -CO_EIO);
	snprintf(want, sizeof(want), "%s: cannot map it: input/output error", f.kernel);
	assert_non_null(strstr(err, want));
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ), 0);

	co_sim_fault_reset();
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_VIEW, 2, CO_ENOMEM);
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), NULL), -CO_ENOMEM);
	snprintf(want, sizeof(want), "%s: cannot map it: ", f.initrd);
	assert_non_null(strstr(err, want));

	co_sim_fault_reset();
	no_views();
	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 1);
	assert_int_equal(load_with(f.kernel, NULL, err, sizeof(err), NULL), -CO_EIO);
	snprintf(want, sizeof(want), "%s: read error at offset 0x0", f.kernel);
	assert_non_null(strstr(err, want));

	co_sim_fault_reset();
	co_sim_fault_eio(CO_SIM_FAULT_FILE_SIZE, 1);
	assert_int_equal(load_with(f.kernel, NULL, err, sizeof(err), NULL), -CO_EIO);
	snprintf(want, sizeof(want), "%s: cannot get its size", f.kernel);
	assert_non_null(strstr(err, want));

	co_sim_fault_reset();
	co_sim_fault_eio(CO_SIM_FAULT_FILE_OPEN, 2);
	assert_int_equal(load_with(f.kernel, f.initrd, err, sizeof(err), NULL), -CO_EIO);
	snprintf(want, sizeof(want), "%s: cannot open", f.initrd);
	assert_non_null(strstr(err, want));

	/* Every file read failing in turn, kernel and initrd. */
	for (unsigned long n = 1;; n++) {
		int ret;

		co_sim_fault_reset();
		no_views();
		co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 300000, 100);
		co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, n);
		ret = load_with(f.kernel, f.initrd, err, sizeof(err), NULL);
		if (!co_sim_fault_injected(CO_SIM_FAULT_FILE_READ)) {
			assert_int_equal(ret, 0);
			assert_true(n > 5);
			break;
		}
		assert_int_equal(ret, -CO_EIO);
		assert_non_null(strstr(err, "read error"));
	}
	co_sim_fault_reset();
	remove_files(&f);
}

/* The Nth heap allocation of loading fails, for every N; @views or not. */
static unsigned long alloc_failures(const struct files *f, bool views)
{
	struct co_test_guest *g;
	char err[512];
	unsigned long n, failed = 0;
	int ret;

	for (n = 1;; n++) {
		char karg[300], iarg[300];
		const char *args[] = { "mem=16", karg, iarg, NULL };

		snprintf(karg, sizeof(karg), "kernel=%s", f->kernel);
		snprintf(iarg, sizeof(iarg), "initrd=%s", f->initrd);
		g = create(args);
		co_sim_fault_reset();
		if (!views)
			no_views();
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, n, 0);
		ret = co_vm_load_files(g->vm, err, sizeof(err));
		if (!co_sim_fault_injected(CO_SIM_FAULT_HEAP_ALLOC)) {
			assert_int_equal(ret, 0);
			co_test_destroy(g);
			co_sim_fault_reset();
			break;
		}
		failed++;
		assert_int_equal(ret, -CO_ENOMEM);
		assert_true(strstr(err, "memory") != NULL);
		co_test_destroy(g);
		co_sim_fault_reset();
		assert_int_equal(co_sim_leak_check(), 0);
	}
	return failed;
}

static void allocation_failures_at_every_step(void **state)
{
	unsigned long viewed, read;
	struct files f;

	make_files(&f);
	/* The symbol table's copy; with reads also both files' buffers. */
	viewed = alloc_failures(&f, true);
	read = alloc_failures(&f, false);
	assert_true(viewed >= 1);
	assert_int_equal(read, viewed + 2);
	remove_files(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(segments_land_and_bss_is_zeroed, setup, teardown),
		cmocka_unit_test_setup_teardown(state_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(rejected_kernels_leave_vm_created, setup, teardown),
		cmocka_unit_test_setup_teardown(initrd_goes_high, setup, teardown),
		cmocka_unit_test_setup_teardown(files_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(file_errors_name_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures_at_every_step, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
