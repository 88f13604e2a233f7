// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal valid kernel image in memory, for the unit tests
 * (co_test_make_elf) and the fuzz harness alike; no test framework here.
 */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "co_kernel_elf.h"

/* Linux's build-salt note (init/version.c): owner "Linux", type 0x100. */
static const uint8_t linux_note[] = {
	6, 0, 0, 0, 4, 0, 0, 0, 0x00, 0x01, 0, 0,
	'L', 'i', 'n', 'u', 'x', 0, 0, 0,
	'c', 'o', 0, 0,
};

static void *build(uint64_t vaddr, uint64_t paddr, bool with_note,
		   const void *code, size_t code_len, size_t *len)
{
	static const char strtab[] = "\0co_start\0";
	static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab\0";
	size_t code_off = 0x1000, sym_off, str_off, shs_off, sh_off, total;
	size_t note_off = 0x800;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	Elf64_Sym *sym;
	uint8_t *img;

	sym_off = (code_off + code_len + 7) & ~7UL;
	str_off = sym_off + 2 * sizeof(Elf64_Sym);
	shs_off = str_off + sizeof(strtab);
	sh_off = (shs_off + sizeof(shstrtab) + 7) & ~7UL;
	total = sh_off + 5 * sizeof(Elf64_Shdr);
	img = calloc(1, total);
	if (!img)
		return NULL;

	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = vaddr;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = sh_off;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = with_note ? 2 : 1;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;

	ph = (Elf64_Phdr *)(img + sizeof(*eh));
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W | PF_X;
	ph->p_offset = code_off;
	ph->p_vaddr = vaddr;
	ph->p_paddr = paddr;
	ph->p_filesz = code_len;
	ph->p_memsz = code_len + 0x1000;	/* some bss */
	ph->p_align = 0x1000;
	memcpy(img + code_off, code, code_len);
	if (with_note) {
		ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R,
			.p_offset = note_off, .p_filesz = sizeof(linux_note),
			.p_memsz = sizeof(linux_note), .p_align = 4 };
		memcpy(img + note_off, linux_note, sizeof(linux_note));
	}

	sym = (Elf64_Sym *)(img + sym_off);
	sym[1].st_name = 1;
	sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	sym[1].st_shndx = 1;
	sym[1].st_value = vaddr;
	memcpy(img + str_off, strtab, sizeof(strtab));
	memcpy(img + shs_off, shstrtab, sizeof(shstrtab));

	sh = (Elf64_Shdr *)(img + sh_off);
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = vaddr,
		.sh_offset = code_off, .sh_size = code_len, .sh_addralign = 16 };
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_SYMTAB,
		.sh_offset = sym_off, .sh_size = 2 * sizeof(Elf64_Sym),
		.sh_link = 3, .sh_info = 1, .sh_addralign = 8,
		.sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_STRTAB,
		.sh_offset = str_off, .sh_size = sizeof(strtab),
		.sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 23, .sh_type = SHT_STRTAB,
		.sh_offset = shs_off, .sh_size = sizeof(shstrtab),
		.sh_addralign = 1 };
	*len = total;
	return img;
}

void *co_kernel_elf(uint64_t vaddr, const void *code, size_t code_len,
		    size_t *len)
{
	const uint64_t paddr = 0x200000;

	if (!vaddr)
		vaddr = 0xffffffff80000000ULL + paddr;
	return build(vaddr, paddr, false, code, code_len, len);
}

void *co_kernel_elf_linux(const void *code, size_t code_len, size_t *len)
{
	/* 2 MiB-aligned as Linux needs; low enough for a 16 MiB VM. */
	const uint64_t paddr = 0x400000;

	return build(0xffffffff80000000ULL + paddr, paddr, true, code,
		     code_len, len);
}
