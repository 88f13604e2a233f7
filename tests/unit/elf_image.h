/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building ELF64 kernel images in tests, with every field under the test's
 * control: segments (data is a known pattern), symbols, and the offsets of
 * each part so a test can break exactly one thing.
 */
#ifndef CO_TEST_ELF_IMAGE_H
#define CO_TEST_ELF_IMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EB_MAX_SEG	24
#define EB_MAX_SYM	8
#define EB_PT_LOAD	1
#define EB_PT_NOTE	4

struct eb_seg {
	uint32_t type;		/* 0 means PT_LOAD */
	uint32_t flags;
	uint64_t vaddr, paddr, filesz, memsz;
};

struct eb_sym {
	const char *name;
	uint64_t value;
	uint8_t type;		/* STT_* */
	uint16_t shndx;		/* 0 = undefined */
};

struct eb_spec {
	uint64_t entry;
	unsigned int nseg;
	struct eb_seg seg[EB_MAX_SEG];
	unsigned int nsym;
	struct eb_sym sym[EB_MAX_SYM];
	int no_sections;
};

/* Where things went. */
struct eb_layout {
	size_t len;
	uint64_t phoff, shoff;
	uint64_t seg_off[EB_MAX_SEG];
	uint64_t symtab_off, strtab_off, strtab_size;
};

/* The byte at offset @off of segment @i's file data. */
static inline uint8_t eb_byte(unsigned int i, uint64_t off)
{
	return (uint8_t)(i * 37 + off * 7 + (off >> 8) + 1);
}

static inline void eb_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void eb_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void eb_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static inline uint8_t *eb_build(const struct eb_spec *s, struct eb_layout *l)
{
	uint64_t off, sh_names = 0;
	unsigned int i;
	uint8_t *b, *p;
	size_t strsz = 1;

	memset(l, 0, sizeof(*l));
	l->phoff = 64;
	off = 0x1000;
	for (i = 0; i < s->nseg; i++) {
		/* Keep file offsets congruent with vaddr mod a page, as ld does. */
		off = (off + 0xfff) & ~0xfffULL;
		off += s->seg[i].vaddr & 0xfff;
		l->seg_off[i] = off;
		off += s->seg[i].filesz;
	}
	for (i = 0; i < s->nsym; i++)
		strsz += strlen(s->sym[i].name) + 1;
	off = (off + 7) & ~7ULL;
	l->strtab_off = off;
	l->strtab_size = strsz;
	off += strsz;
	off = (off + 7) & ~7ULL;
	l->symtab_off = off;
	off += 24 * (s->nsym + 1);
	off = (off + 7) & ~7ULL;
	l->shoff = s->no_sections ? 0 : off;
	if (!s->no_sections)
		off += 3 * 64;
	l->len = off;

	b = calloc(1, l->len);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = 2;	/* ELFCLASS64 */
	b[5] = 1;	/* little-endian */
	b[6] = 1;	/* EV_CURRENT */
	eb_put16(b + 16, 2);	/* ET_EXEC */
	eb_put16(b + 18, 62);	/* EM_X86_64 */
	eb_put32(b + 20, 1);
	eb_put64(b + 24, s->entry);
	eb_put64(b + 32, l->phoff);
	eb_put64(b + 40, l->shoff);
	eb_put16(b + 52, 64);
	eb_put16(b + 54, 56);
	eb_put16(b + 56, s->nseg);
	eb_put16(b + 58, 64);
	eb_put16(b + 60, s->no_sections ? 0 : 3);
	eb_put16(b + 62, 0);

	for (i = 0; i < s->nseg; i++) {
		const struct eb_seg *sg = &s->seg[i];
		uint64_t j;

		p = b + l->phoff + 56 * i;
		eb_put32(p, sg->type ? sg->type : EB_PT_LOAD);
		eb_put32(p + 4, sg->flags ? sg->flags : 7);
		eb_put64(p + 8, l->seg_off[i]);
		eb_put64(p + 16, sg->vaddr);
		eb_put64(p + 24, sg->paddr);
		eb_put64(p + 32, sg->filesz);
		eb_put64(p + 40, sg->memsz);
		eb_put64(p + 48, 0x1000);
		for (j = 0; j < sg->filesz; j++)
			b[l->seg_off[i] + j] = eb_byte(i, j);
	}

	/* String table, then symbols (entry 0 is the null symbol). */
	off = 1;
	for (i = 0; i < s->nsym; i++) {
		const struct eb_sym *sy = &s->sym[i];

		p = b + l->symtab_off + 24 * (i + 1);
		strcpy((char *)b + l->strtab_off + off, sy->name);
		eb_put32(p, off);
		p[4] = (1 << 4) | sy->type;	/* STB_GLOBAL */
		eb_put16(p + 6, sy->shndx);
		eb_put64(p + 8, sy->value);
		off += strlen(sy->name) + 1;
	}
	if (!s->no_sections) {
		/* [1] .symtab, linked to [2] .strtab */
		p = b + l->shoff + 64;
		eb_put32(p, sh_names);
		eb_put32(p + 4, 2);
		eb_put64(p + 24, l->symtab_off);
		eb_put64(p + 32, 24 * (s->nsym + 1));
		eb_put32(p + 40, 2);
		eb_put64(p + 56, 24);
		p = b + l->shoff + 128;
		eb_put32(p + 4, 3);
		eb_put64(p + 24, l->strtab_off);
		eb_put64(p + 32, l->strtab_size);
	}
	return b;
}

/* A typical kernel: text, rodata, data with bss, at vaddr = base + paddr. */
static inline void eb_kernel_spec(struct eb_spec *s, uint64_t vbase)
{
	memset(s, 0, sizeof(*s));
	s->nseg = 3;
	s->seg[0] = (struct eb_seg){ .flags = 5, .paddr = 0x200000,
		.filesz = 0x3456, .memsz = 0x3456 };
	s->seg[1] = (struct eb_seg){ .flags = 4, .paddr = 0x400000,
		.filesz = 0x1800, .memsz = 0x1800 };
	s->seg[2] = (struct eb_seg){ .flags = 6, .paddr = 0x402000 + 0x123,
		.filesz = 0x2100, .memsz = 0x9000 };
	for (unsigned int i = 0; i < 3; i++)
		s->seg[i].vaddr = vbase + s->seg[i].paddr;
	s->entry = s->seg[0].vaddr + 0x10;
	s->nsym = 3;
	s->sym[0] = (struct eb_sym){ "co_start", s->seg[0].vaddr + 0x10, 2, 1 };
	s->sym[1] = (struct eb_sym){ "some_data", s->seg[2].vaddr + 8, 1, 1 };
	s->sym[2] = (struct eb_sym){ "undefined_one", 0, 2, 0 };
}

#endif
