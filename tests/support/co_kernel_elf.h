/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CO_KERNEL_ELF_H
#define CO_KERNEL_ELF_H

#include <stddef.h>
#include <stdint.h>

/*
 * One PT_LOAD of @code_len bytes (plus a page of bss) at physical offset
 * 0x200000, virtual @vaddr (0: 0xffffffff80200000, linked high like Linux),
 * entry at its start, and a symbol table with "co_start". NULL when out of
 * memory; the caller frees with free().
 */
void *co_kernel_elf(uint64_t vaddr, const void *code, size_t code_len,
		    size_t *len);

/*
 * The same shaped like a Linux vmlinux: loaded 2 MiB-aligned (4 MiB),
 * linked in the kernel half, with Linux's "Linux" note in a PT_NOTE, so
 * that boot=auto takes Linux's boot protocol.
 */
void *co_kernel_elf_linux(const void *code, size_t code_len, size_t *len);

#endif
