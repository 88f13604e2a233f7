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

#endif
