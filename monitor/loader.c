// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the kernel and the initrd into guest RAM. The kernel goes where
 * its segments' physical addresses say; the initrd as high as possible
 * below the boot area, so the guest's free RAM stays one block.
 */
#include <colinux/abi/linux.h>
#include <colinux/abi/types.h>
#include "internal/boot.h"
#include <colinux/lib.h>
#include "internal/vm.h"

#define PAGE		CO_PAGE_SIZE
#define MAX_FILE	(1ULL << 30)
#define X(v)		((unsigned long long)(v))

static void set_err(char *err, size_t errlen, const char *what,
		    const char *msg)
{
	if (errlen)
		co_snprintf(err, errlen, "%s: %s", what, msg);
}

static int check_room(struct co_vm *vm, const struct co_elf *elf,
		      char *err, size_t errlen)
{
	char msg[256];
	uint64_t start, size;
	struct co_boot_layout l;
	int ret;

	ret = co_elf_check_fits(elf, vm->ram.size, msg, sizeof(msg));
	if (ret) {
		set_err(err, errlen, "kernel image", msg);
		return ret;
	}
	ret = co_boot_layout(&vm->ram, elf, &l);
	if (ret) {
		co_snprintf(err, errlen,
			    "kernel image: no room for the boot area in 0x%llx bytes of RAM",
			    X(vm->ram.size));
		return -CO_ERANGE;
	}
	start = l.start;
	size = l.size;
	if (vm->ram.base + elf->highest_paddr > start) {
		co_snprintf(err, errlen,
			    "kernel image: ends at RAM offset 0x%llx, inside the boot area at 0x%llx (0x%llx bytes at the top of RAM)",
			    X(elf->highest_paddr), X(start - vm->ram.base),
			    X(size));
		return -CO_ERANGE;
	}
	return 0;
}

/*
 * A Linux kernel without memwindow= gets one window: nothing lives in
 * guest RAM before a kernel is loaded, so it can be swapped for a
 * contiguous one of the same size.
 */
static int ram_make_contiguous(struct co_vm *vm, char *err, size_t errlen)
{
	struct co_ram fresh;
	int ret;

	if (vm->cfg.seen_keys & CO_CONFIG_SEEN_MEMWINDOW) {
		co_snprintf(err, errlen,
			    "kernel image: a Linux kernel needs guest RAM as one contiguous window, and memwindow=paged was asked for (use memwindow=contiguous)");
		return -CO_ENOTSUP;
	}
	ret = co_ram_init(&fresh, vm->ram.size, true);
	if (ret) {
		co_snprintf(err, errlen,
			    "kernel image: a Linux kernel needs guest RAM as one contiguous window, and the host has no contiguous 0x%llx bytes: %s",
			    X(vm->ram.size), co_strerror(ret));
		return ret;
	}
	co_ram_free(&vm->ram);
	vm->ram = fresh;
	vm->cfg.contiguous = true;
	return 0;
}

/*
 * Which boot protocol the kernel gets (boot= in the configuration), and
 * whether a Linux kernel can boot here at all: Linux puts physical
 * addresses in its own page tables, so it needs guest-physical to be
 * host-physical (contiguous RAM), and __startup_64 spins unless it was
 * loaded 2 MiB-aligned.
 */
static int boot_protocol(struct co_vm *vm, const struct co_elf *elf,
			 bool *linux_boot, char *err, size_t errlen)
{
	uint64_t load;
	int ret;

	*linux_boot = vm->cfg.boot == CO_BOOT_LINUX ||
		      (vm->cfg.boot == CO_BOOT_AUTO && elf->linux_note);
	if (!*linux_boot)
		return 0;
	if (!vm->ram.contiguous) {
		ret = ram_make_contiguous(vm, err, errlen);
		if (ret)
			return ret;
	}
	load = vm->ram.base + elf->lowest_paddr;
	if (load % CO_LINUX_ALIGN) {
		co_snprintf(err, errlen,
			    "kernel image: a Linux kernel must load 2 MiB-aligned, and its lowest segment lands at guest-physical 0x%llx",
			    X(load));
		return -CO_EINVAL;
	}
	return 0;
}

/*
 * The VM keeps the symbol and string tables for co_vm_symbol, not the
 * image: a debug-built vmlinux is hundreds of MiB, its tables a few.
 * Repoints @elf at the copy (*@copy; NULL when the image has none).
 */
static int keep_symbols(struct co_elf *elf, uint8_t **copy)
{
	uint64_t syms = elf->nr_syms * CO_ELF_SYM_SIZE;

	*copy = NULL;
	if (!elf->symtab)
		return 0;
	*copy = co_host_alloc(syms + elf->strtab_size);
	if (!*copy)
		return -CO_ENOMEM;
	co_memcpy(*copy, elf->symtab, syms);
	co_memcpy(*copy + syms, elf->strtab, elf->strtab_size);
	elf->symtab = *copy;
	elf->strtab = (const char *)*copy + syms;
	return 0;
}

static int copy_segments(struct co_vm *vm, const struct co_elf *elf)
{
	const struct co_elf_segment *s;
	unsigned int i;
	uint64_t gpa;
	int ret = 0;

	for (i = 0; !ret && i < elf->nr_seg; i++) {
		s = &elf->seg[i];
		gpa = vm->ram.base + s->paddr;
		ret = co_ram_write(&vm->ram, gpa, elf->image + s->offset,
				   s->filesz);
		if (!ret)
			ret = co_ram_fill(&vm->ram, gpa + s->filesz, 0,
					  s->memsz - s->filesz);
	}
	return ret;
}

int co_vm_load_kernel(struct co_vm *vm, const void *image, size_t len,
		      char *err, size_t errlen)
{
	char msg[256];
	struct co_elf elf;
	uint8_t *copy;
	uint64_t entry;
	bool linux_boot;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (vm->state != CO_VM_CREATED) {
		co_snprintf(err, errlen, "kernel image: VM is %s, not created",
			    co_vm_state_name(vm->state));
		return -CO_ESTATE;
	}
	ret = co_elf_parse(&elf, image, len, msg, sizeof(msg));
	if (ret) {
		set_err(err, errlen, "kernel image", msg);
		return ret;
	}
	ret = check_room(vm, &elf, err, errlen);
	if (!ret)
		ret = boot_protocol(vm, &elf, &linux_boot, err, errlen);
	if (ret)
		return ret;
	ret = keep_symbols(&elf, &copy);
	if (ret) {
		co_snprintf(err, errlen, "kernel image: no memory for its symbol table (0x%llx bytes)",
			    X(elf.nr_syms * CO_ELF_SYM_SIZE + elf.strtab_size));
		return ret;
	}
	ret = co_elf_entry_va(&elf, vm->ram.base, &entry);
	if (!ret)
		ret = copy_segments(vm, &elf);
	if (ret) {
		co_snprintf(err, errlen, "kernel image: cannot load it: %s",
			    co_strerror(ret));
		co_host_free(copy);
		return ret;
	}
	/* The caller's image is not ours: only the symbols stay. */
	elf.image = NULL;
	elf.len = 0;
	co_host_free(vm->kernel);
	vm->kernel = copy;
	vm->kernel_len = len;
	vm->kernel_loaded = true;
	vm->elf = elf;
	vm->entry_va = entry;
	vm->linux_boot = linux_boot;
	vm->initrd_gpa = 0;
	vm->initrd_size = 0;
	vm->state = CO_VM_LOADED;
	return 0;
}

int co_vm_load_initrd(struct co_vm *vm, const void *image, size_t len,
		      char *err, size_t errlen)
{
	uint64_t boot, boot_size, kend, gpa;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (vm->state != CO_VM_LOADED || !vm->kernel_loaded) {
		co_snprintf(err, errlen,
			    "initrd: VM is %s; load the kernel first",
			    co_vm_state_name(vm->state));
		return -CO_ESTATE;
	}
	if (!len) {
		co_snprintf(err, errlen, "initrd: image is empty");
		return -CO_EINVAL;
	}
	ret = co_boot_area(vm, &boot, &boot_size);
	if (ret)
		return ret;
	kend = vm->ram.base + CO_ALIGN_UP(vm->elf.highest_paddr, PAGE);
	if (len > boot - kend) {
		co_snprintf(err, errlen,
			    "initrd: 0x%zx bytes do not fit between the kernel's end (0x%llx) and the boot area (0x%llx): 0x%llx bytes free",
			    len, X(kend), X(boot), X(boot - kend));
		return -CO_ERANGE;
	}
	gpa = (boot - len) & ~(PAGE - 1);
	/* A previous initrd must not leak into the new one's neighbourhood. */
	if (vm->initrd_size)
		co_ram_fill(&vm->ram, vm->initrd_gpa, 0, vm->initrd_size);
	ret = co_ram_write(&vm->ram, gpa, image, len);
	if (ret) {
		co_snprintf(err, errlen, "initrd: cannot copy it: %s",
			    co_strerror(ret));
		vm->initrd_gpa = 0;
		vm->initrd_size = 0;
		return ret;
	}
	vm->initrd_gpa = gpa;
	vm->initrd_size = len;
	return 0;
}

static int read_whole(struct co_host_file *f, const char *path, uint8_t *buf,
		      size_t len, char *err, size_t errlen)
{
	size_t done = 0;
	long n;

	while (done < len) {
		n = co_host_file_pread(f, buf + done, len - done, done);
		if (n < 0) {
			co_snprintf(err, errlen, "%s: read error at offset 0x%zx: %s",
				    path, done, co_strerror((int)n));
			return (int)n;
		}
		if (n == 0 || (size_t)n > len - done) {
			co_snprintf(err, errlen,
				    "%s: file ended at 0x%zx bytes, expected 0x%zx",
				    path, done, len);
			return -CO_EIO;
		}
		done += n;
	}
	return 0;
}

/*
 * A kernel or initrd file while it loads: the host's read-only view of it
 * where it has one (a debug-built vmlinux is hundreds of MiB; the bare
 * host's copy is the multiboot module itself), else a buffer read in.
 */
struct file_image {
	struct co_host_file *f;
	const uint8_t *data;
	uint8_t *buf;		/* the read-in copy, NULL for a view */
	size_t len;
};

static int image_view(struct file_image *img, const char *path, uint64_t size,
		      char *err, size_t errlen)
{
	const void *data;
	uint64_t len;
	int ret;

	ret = co_host_file_view(img->f, &data, &len);
	if (ret == -CO_ENOTSUP)
		return ret;
	if (ret) {
		co_snprintf(err, errlen, "%s: cannot map it: %s", path,
			    co_strerror(ret));
		return ret;
	}
	if (len != size) {
		co_snprintf(err, errlen, "%s: changed size while opened (%llu, then %llu bytes)",
			    path, X(size), X(len));
		return -CO_EIO;
	}
	img->data = data;
	return 0;
}

static int image_read(struct file_image *img, const char *path, uint64_t size,
		      char *err, size_t errlen)
{
	int ret;

	img->buf = co_host_alloc(size);
	if (!img->buf) {
		co_snprintf(err, errlen, "%s: no memory for %llu bytes", path,
			    X(size));
		return -CO_ENOMEM;
	}
	ret = read_whole(img->f, path, img->buf, size, err, errlen);
	if (ret) {
		co_host_free(img->buf);
		img->buf = NULL;
		return ret;
	}
	img->data = img->buf;
	return 0;
}

static void image_close(struct file_image *img)
{
	co_host_free(img->buf);
	co_host_file_close(img->f);
}

static int image_open(const char *path, struct file_image *img, char *err,
		      size_t errlen)
{
	uint64_t size;
	int ret;

	co_memset(img, 0, sizeof(*img));
	ret = co_host_file_open(path, CO_FILE_READ, &img->f);
	if (ret) {
		co_snprintf(err, errlen, "%s: cannot open: %s", path,
			    co_strerror(ret));
		return ret;
	}
	ret = co_host_file_size(img->f, &size);
	if (ret) {
		co_snprintf(err, errlen, "%s: cannot get its size: %s", path,
			    co_strerror(ret));
		goto fail;
	}
	if (size == 0 || size > MAX_FILE) {
		co_snprintf(err, errlen, "%s: size %llu is %s", path, X(size),
			    size ? "over the 1 GiB limit" : "empty");
		ret = -CO_EINVAL;
		goto fail;
	}
	/* -CO_ENOTSUP: this host (or this kind of file) has no views. */
	ret = image_view(img, path, size, err, errlen);
	if (ret == -CO_ENOTSUP)
		ret = image_read(img, path, size, err, errlen);
	if (ret)
		goto fail;
	img->len = size;
	return 0;
fail:
	co_host_file_close(img->f);
	return ret;
}

int co_vm_load_files(struct co_vm *vm, char *err, size_t errlen)
{
	char msg[320];
	struct file_image img;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!vm->cfg.kernel) {
		co_snprintf(err, errlen, "no kernel= given");
		return -CO_EINVAL;
	}
	ret = image_open(vm->cfg.kernel, &img, err, errlen);
	if (ret)
		return ret;
	ret = co_vm_load_kernel(vm, img.data, img.len, msg, sizeof(msg));
	image_close(&img);
	if (ret) {
		co_snprintf(err, errlen, "%s: %s", vm->cfg.kernel, msg);
		return ret;
	}
	if (!vm->cfg.initrd)
		return 0;
	ret = image_open(vm->cfg.initrd, &img, err, errlen);
	if (ret)
		return ret;
	ret = co_vm_load_initrd(vm, img.data, img.len, msg, sizeof(msg));
	image_close(&img);
	if (ret)
		co_snprintf(err, errlen, "%s: %s", vm->cfg.initrd, msg);
	return ret;
}

int co_vm_symbol(const struct co_vm *vm, const char *name, uint64_t *value)
{
	if (!vm->kernel_loaded)
		return -CO_ENOENT;
	return co_elf_symbol(&vm->elf, name, value);
}
