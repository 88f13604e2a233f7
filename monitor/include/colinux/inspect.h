/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Looking inside a VM without touching it: for fuzz harnesses that check
 * the monitor's invariants after every switch, for debuggers (a gdb script
 * can call these in a stopped colinux-sim), and for front ends that print
 * state. Every answer is a copy or a yes/no; no monitor object is handed
 * out, and every index is checked (a bad queue id is an error, not a
 * wild read).
 *
 * Context: the values describe a moving VM while co_vm_run runs. Call
 * them on the VM's own thread ([vm]: between co_vm_run calls, from a CPU
 * back-end's enter, from an operation trace), or with the process
 * stopped (a debugger).
 */
#ifndef COLINUX_INSPECT_H
#define COLINUX_INSPECT_H

#include <colinux/monitor.h>
#include <colinux/cpu.h>

/* ---- device queues ------------------------------------------------------ */

struct co_queue_info {
	unsigned int dev_class;	/* the owner: CO_DEV_* and unit */
	unsigned int unit;
	bool up;		/* set up by the guest (CO_OP_QUEUE_SETUP) */
	uint64_t gpa;		/* the ring, when up */
	unsigned int log2;
	uint32_t size;		/* 1 << log2 slots */
	/*
	 * The host's own indices. The guest's copies in the ring's control
	 * block should mirror them; the monitor never reads them back.
	 */
	uint32_t req_cons;	/* requests taken */
	uint32_t cpl_prod;	/* completions posted */
	uint64_t completed;	/* completions posted, ever (statistics) */
	uint64_t rejected;	/* of those, malformed ones the monitor failed */
};

/*
 * Queue @id (the doorbell bit, CO_QUEUE_*). -CO_EINVAL for an id of
 * CO_MAX_QUEUES or more, -CO_ENOENT when no device of this VM owns it.
 */
int co_vm_queue_info(const struct co_vm *vm, unsigned int id,
		     struct co_queue_info *qi);

/* ---- memory and state --------------------------------------------------- */

/* True if [gpa, gpa + len) is all guest RAM (overflow-safe; len 0 ok). */
bool co_vm_ram_contains(const struct co_vm *vm, uint64_t gpa, uint64_t len);

/*
 * True once the VM's exit is decided (the guest powered off, broke the
 * protocol, a device failed): the run loop carries out nothing more of
 * the guest's and co_vm_run returns the exit. Until co_vm_reset.
 */
bool co_vm_stopping(const struct co_vm *vm);

/* ---- images ----------------------------------------------------------- */

#define CO_KERNEL_MAX_SEGMENTS	16

/* A loadable segment of a kernel image (ELF64 PT_LOAD). */
struct co_kernel_segment {
	uint64_t offset;	/* in the image */
	uint64_t filesz;	/* bytes from the image */
	uint64_t memsz;		/* filesz, then zeros */
	uint64_t paddr;		/* where it goes: an offset into RAM */
	uint64_t vaddr;		/* its link address */
	uint32_t flags;		/* PF_R, PF_W, PF_X */
	bool mapped;		/* at vaddr in the boot tables (upper half) */
};

/* A kernel image as the loader sees it. */
struct co_kernel_info {
	uint64_t entry;		/* e_entry as written */
	uint64_t entry_va;	/* the first RIP, for RAM at guest-physical 0 */
	unsigned int nr_seg;
	struct co_kernel_segment seg[CO_KERNEL_MAX_SEGMENTS];
	uint64_t lowest_paddr, highest_paddr;	/* [low, high): all segments */
	/* Symbol and string tables, as offsets into the image (0: none). */
	uint64_t symtab_off, nr_syms;	/* 24-byte ELF64 symbols */
	uint64_t strtab_off, strtab_size;
};

/*
 * Parse @image as co_vm_load_kernel would (without a VM: for a debugger
 * or a front end that describes an image, and for the loader's fuzzer).
 * The image is only read, within [image, image + len). Errors as
 * co_vm_load_kernel's, with what is wrong in @err.
 */
int co_kernel_image_info(const void *image, size_t len,
			 struct co_kernel_info *ki, char *err, size_t errlen);
/*
 * Look up a symbol of @image (a function, object or untyped symbol, as
 * co_vm_symbol). -CO_ENOENT if there is none of that name (or no symbol
 * table); the parse errors of co_kernel_image_info for a bad image.
 */
int co_kernel_image_symbol(const void *image, size_t len, const char *name,
			   uint64_t *value);

/* The loaded kernel; -CO_ESTATE before co_vm_load_kernel and after reset. */
int co_vm_kernel_info(const struct co_vm *vm, struct co_kernel_info *ki);
/* Where the initrd lies in guest RAM; -CO_ENOENT if none is loaded. */
int co_vm_initrd(const struct co_vm *vm, uint64_t *gpa, uint64_t *size);

/* ---- boot --------------------------------------------------------------- */

struct co_boot_info {
	/* The boot area: top of RAM (boot parameters, GDT, stack, tables). */
	uint64_t area_gpa, area_size;
	/* Filled in by co_vm_start (0 before): what the guest starts with. */
	uint64_t params_gpa;	/* co_boot_params: CO_OP_START's param[0] */
	uint64_t pt_root_hpa;	/* its first CR3 */
	uint64_t entry_va;	/* its first RIP */
	uint64_t zero_page_gpa;	/* Linux's boot_params in rsi; 0: coLinux boot */
};

/* -CO_ESTATE before a kernel is loaded. */
int co_vm_boot_info(const struct co_vm *vm, struct co_boot_info *bi);
/*
 * Translate @va through the page tables co_vm_start built, as they are in
 * guest RAM now (the guest may have changed them since). -CO_ESTATE
 * before co_vm_start; otherwise co_pt_walk's errors (-CO_ENOENT: not
 * mapped) and -CO_EFAULT for an entry that points outside guest RAM.
 */
int co_vm_boot_walk(const struct co_vm *vm, uint64_t va, struct co_pt_walk *w);

#endif
