/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loader for ELF64 x86-64 vmlinux-style kernels: PT_LOAD segments are
 * placed by physical address (p_paddr is an offset from the start of guest
 * RAM) and mapped at p_vaddr; symbols are kept for lookup when present.
 * Parsing is separate from loading so it can be fuzzed alone.
 */
#ifndef CO_MONITOR_ELF_H
#define CO_MONITOR_ELF_H

#include <colinux/host.h>

#define CO_ELF_MAX_SEGMENTS	16
#define CO_ELF_MAX_IMAGE	(1ULL << 30)
#define CO_ELF_SYM_SIZE		24	/* sizeof(Elf64_Sym) */

struct co_elf_segment {
	uint64_t offset;	/* in the file */
	uint64_t filesz;
	uint64_t memsz;
	uint64_t paddr;		/* offset into guest RAM */
	uint64_t vaddr;
	uint32_t flags;		/* PF_R/W/X */
};

struct co_elf {
	const uint8_t *image;
	size_t len;
	uint64_t entry;		/* e_entry as written */
	unsigned int nr_seg;
	struct co_elf_segment seg[CO_ELF_MAX_SEGMENTS];
	uint64_t lowest_paddr, highest_paddr;	/* [low, high) */
	bool linux_note;	/* a PT_NOTE owned by "Linux": a Linux kernel */
	/* Symbol table, if any (validated to lie inside the image). */
	const uint8_t *symtab;
	uint64_t nr_syms;
	const char *strtab;
	uint64_t strtab_size;
	/* Where they are in the image (the pointers may be to a copy). */
	uint64_t symtab_off, strtab_off;
};

/*
 * Validate and describe an image. Rejects, with a message naming the
 * problem in @err: truncation, wrong class/endianness/machine/type, no or
 * too many PT_LOADs, segments overlapping each other or the file's end,
 * memsz < filesz, absurd sizes, misaligned segments.
 */
int co_elf_parse(struct co_elf *elf, const void *image, size_t len,
		 char *err, size_t errlen);
/* Segments must fit in a RAM of @ram_size bytes (else -CO_ERANGE). */
int co_elf_check_fits(const struct co_elf *elf, uint64_t ram_size,
		      char *err, size_t errlen);
/* Look up a symbol (STT_FUNC, STT_OBJECT or STT_NOTYPE). */
int co_elf_symbol(const struct co_elf *elf, const char *name, uint64_t *value);
/*
 * Segments linked in the upper half (where kernels live) are mapped at
 * their link address in the boot page tables; lower-half link addresses
 * are not (the kernel runs from the identity map of RAM, or builds its
 * own tables: Linux links its per-CPU segment at 0).
 */
#define CO_ELF_UPPER_HALF	0xffff800000000000ULL
static inline bool co_elf_vaddr_mapped(uint64_t vaddr)
{
	return vaddr >= CO_ELF_UPPER_HALF;
}

/*
 * The entry point as a virtual address in the boot page tables: e_entry if
 * it lies in an upper-half segment's [vaddr, vaddr+memsz); the identity
 * address of its bytes if it lies in a lower-half segment's; else
 * ram_base + e_entry if it lies in some segment's physical range; else
 * -CO_EINVAL.
 */
int co_elf_entry_va(const struct co_elf *elf, uint64_t ram_base,
		    uint64_t *va);

/* The public description (<colinux/inspect.h>) of a parsed image. */
struct co_kernel_info;
void co_elf_describe(const struct co_elf *elf, struct co_kernel_info *ki);

#endif
