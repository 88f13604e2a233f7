// SPDX-License-Identifier: GPL-2.0
/*
 * A strict ELF64 parser for vmlinux-style kernels. The image comes from a
 * file the user named, so every field is checked before it is used and
 * every rejection says exactly what is wrong. Fields are read with memcpy
 * since nothing guarantees the image is aligned.
 */
#include <colinux/monitor.h>
#include <colinux/inspect.h>
#include "internal/elf.h"
#include <colinux/abi/types.h>
#include <colinux/lib.h>

#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define SHDR_SIZE	64
#define SYM_SIZE	CO_ELF_SYM_SIZE
/* vmlinux has a handful; anything past this is not a kernel. */
#define MAX_PHDRS	64

_Static_assert(CO_KERNEL_MAX_SEGMENTS == CO_ELF_MAX_SEGMENTS,
	       "struct co_kernel_info holds every segment the parser takes");

#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define ET_DYN		3
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_NOTE		4
#define SHT_SYMTAB	2
#define SHT_STRTAB	3
#define STT_NOTYPE	0
#define STT_OBJECT	1
#define STT_FUNC	2
#define SHN_UNDEF	0

#define PAGE_MASK	(CO_PAGE_SIZE - 1)

/* The fields we use, at their offsets in the file. */
struct ehdr {
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct shdr {
	uint32_t type, link;
	uint64_t offset, size, entsize;
};

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	co_memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	co_memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	co_memcpy(&v, p, sizeof(v));
	return v;
}

#define ERR(...)	co_snprintf(err, errlen, __VA_ARGS__)
#define X(v)		((unsigned long long)(v))

/* [off, off + size) inside a @len-byte file, without wrapping. */
static bool in_file(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

static int check_ident(const uint8_t *b, size_t len, char *err,
		       size_t errlen)
{
	if (len < EHDR_SIZE) {
		ERR("truncated ELF header (%zu bytes, need %d)", len, EHDR_SIZE);
		return -CO_EINVAL;
	}
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
		ERR("bad ELF magic %02x %02x %02x %02x (not an ELF file)",
		    b[0], b[1], b[2], b[3]);
		return -CO_EINVAL;
	}
	if (b[4] != ELFCLASS64) {
		ERR("ELF class %u is not ELFCLASS64 (need a 64-bit image)",
		    b[4]);
		return -CO_EINVAL;
	}
	if (b[5] != ELFDATA2LSB) {
		ERR("ELF data encoding %u is not little-endian", b[5]);
		return -CO_EINVAL;
	}
	if (b[6] != EV_CURRENT) {
		ERR("ELF ident version %u is not 1", b[6]);
		return -CO_EINVAL;
	}
	return 0;
}

static void read_ehdr(const uint8_t *b, struct ehdr *h)
{
	h->type = rd16(b + 16);
	h->machine = rd16(b + 18);
	h->version = rd32(b + 20);
	h->entry = rd64(b + 24);
	h->phoff = rd64(b + 32);
	h->shoff = rd64(b + 40);
	h->ehsize = rd16(b + 52);
	h->phentsize = rd16(b + 54);
	h->phnum = rd16(b + 56);
	h->shentsize = rd16(b + 58);
	h->shnum = rd16(b + 60);
}

static int check_ehdr(const struct ehdr *h, size_t len, char *err,
		      size_t errlen)
{
	if (h->version != EV_CURRENT) {
		ERR("ELF version %u is not 1", h->version);
		return -CO_EINVAL;
	}
	if (h->machine != EM_X86_64) {
		ERR("machine %u is not x86-64 (62)", h->machine);
		return -CO_EINVAL;
	}
	if (h->type != ET_EXEC) {
		ERR("ELF type %u%s is not ET_EXEC (2): need a vmlinux-style executable",
		    h->type, h->type == ET_DYN ? " (ET_DYN)" : "");
		return -CO_EINVAL;
	}
	if (h->ehsize != EHDR_SIZE) {
		ERR("ELF header size %u is not %d", h->ehsize, EHDR_SIZE);
		return -CO_EINVAL;
	}
	if (h->phentsize != PHDR_SIZE) {
		ERR("program header entry size %u is not %d", h->phentsize,
		    PHDR_SIZE);
		return -CO_EINVAL;
	}
	if (h->phnum == 0 || h->phnum > MAX_PHDRS) {
		ERR("%u program headers (need 1 to %d)", h->phnum, MAX_PHDRS);
		return -CO_EINVAL;
	}
	if (!in_file(h->phoff, (uint64_t)h->phnum * PHDR_SIZE, len)) {
		ERR("program headers (offset 0x%llx, %u entries) run past the end of the 0x%zx-byte file",
		    X(h->phoff), h->phnum, len);
		return -CO_EINVAL;
	}
	return 0;
}

static void read_phdr(const uint8_t *p, struct phdr *ph)
{
	ph->type = rd32(p);
	ph->flags = rd32(p + 4);
	ph->offset = rd64(p + 8);
	ph->vaddr = rd64(p + 16);
	ph->paddr = rd64(p + 24);
	ph->filesz = rd64(p + 32);
	ph->memsz = rd64(p + 40);
}

static int check_segment(const struct phdr *ph, unsigned int i, size_t len,
			 char *err, size_t errlen)
{
	if (ph->memsz > CO_ELF_MAX_IMAGE) {
		ERR("segment %u memsz 0x%llx is absurd (limit 0x%llx)", i,
		    X(ph->memsz), X(CO_ELF_MAX_IMAGE));
		return -CO_EINVAL;
	}
	if (ph->memsz < ph->filesz) {
		ERR("segment %u memsz 0x%llx is smaller than its filesz 0x%llx",
		    i, X(ph->memsz), X(ph->filesz));
		return -CO_EINVAL;
	}
	if (!in_file(ph->offset, ph->filesz, len)) {
		ERR("segment %u (offset 0x%llx, filesz 0x%llx) runs past the end of the 0x%zx-byte file",
		    i, X(ph->offset), X(ph->filesz), len);
		return -CO_EINVAL;
	}
	if (ph->paddr >= CO_ELF_MAX_IMAGE * 4 ||
	    ph->paddr + ph->memsz > CO_ELF_MAX_IMAGE * 4) {
		ERR("segment %u physical range 0x%llx+0x%llx is absurd (limit 0x%llx)",
		    i, X(ph->paddr), X(ph->memsz), X(CO_ELF_MAX_IMAGE * 4));
		return -CO_EINVAL;
	}
	if ((ph->paddr & PAGE_MASK) != (ph->vaddr & PAGE_MASK)) {
		ERR("segment %u is misaligned: paddr 0x%llx and vaddr 0x%llx differ in their page offsets",
		    i, X(ph->paddr), X(ph->vaddr));
		return -CO_EINVAL;
	}
	if (ph->vaddr + ph->memsz < ph->vaddr || !canonical(ph->vaddr) ||
	    (ph->vaddr >> 47) != ((ph->vaddr + ph->memsz - 1) >> 47)) {
		ERR("segment %u virtual range 0x%llx+0x%llx is not canonical",
		    i, X(ph->vaddr), X(ph->memsz));
		return -CO_EINVAL;
	}
	return 0;
}

static void add_segment(struct co_elf *elf, const struct phdr *ph)
{
	struct co_elf_segment *s = &elf->seg[elf->nr_seg++];

	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->memsz = ph->memsz;
	s->paddr = ph->paddr;
	s->vaddr = ph->vaddr;
	s->flags = ph->flags;
}

/* No two segments may share a physical byte. */
static int check_overlap(const struct co_elf *elf, char *err, size_t errlen)
{
	const struct co_elf_segment *a, *b;
	unsigned int i, j;

	for (i = 0; i < elf->nr_seg; i++) {
		a = &elf->seg[i];
		for (j = i + 1; j < elf->nr_seg; j++) {
			b = &elf->seg[j];
			if (a->paddr < b->paddr + b->memsz &&
			    b->paddr < a->paddr + a->memsz) {
				ERR("load segments %u (paddr 0x%llx+0x%llx) and %u (paddr 0x%llx+0x%llx) overlap",
				    i, X(a->paddr), X(a->memsz), j,
				    X(b->paddr), X(b->memsz));
				return -CO_EINVAL;
			}
		}
	}
	return 0;
}

/*
 * Does a PT_NOTE segment hold a note owned by "Linux"? Every Linux vmlinux
 * does (init/version.c's build-salt note), so boot=auto can tell a Linux
 * kernel even from a stripped image. A malformed note ends the scan: it
 * only means "not recognised", never a rejected kernel.
 */
static bool linux_note(const struct co_elf *elf, const struct phdr *ph)
{
	static const char owner[] = "Linux";
	uint64_t pos, end, namesz, descsz;
	const uint8_t *n;

	if (!in_file(ph->offset, ph->filesz, elf->len))
		return false;
	pos = ph->offset;
	end = ph->offset + ph->filesz;
	while (pos <= end && end - pos >= 12) {
		n = elf->image + pos;
		namesz = rd32(n);
		descsz = rd32(n + 4);
		pos += 12;
		if (namesz > end - pos)
			return false;
		if (namesz == sizeof(owner) &&
		    !co_memcmp(elf->image + pos, owner, sizeof(owner)))
			return true;
		pos += CO_ALIGN_UP(namesz, 4);
		if (pos > end || descsz > end - pos)
			return false;
		pos += CO_ALIGN_UP(descsz, 4);
	}
	return false;
}

static int parse_phdrs(struct co_elf *elf, const struct ehdr *h,
		       char *err, size_t errlen)
{
	struct phdr ph;
	unsigned int i;
	int ret;

	elf->lowest_paddr = UINT64_MAX;
	elf->highest_paddr = 0;
	for (i = 0; i < h->phnum; i++) {
		read_phdr(elf->image + h->phoff + (uint64_t)i * PHDR_SIZE, &ph);
		if (ph.type == PT_NOTE && !elf->linux_note)
			elf->linux_note = linux_note(elf, &ph);
		/* An empty PT_LOAD places nothing; ignore it like loaders do. */
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		ret = check_segment(&ph, i, elf->len, err, errlen);
		if (ret)
			return ret;
		if (elf->nr_seg == CO_ELF_MAX_SEGMENTS) {
			ERR("more than %d PT_LOAD segments",
			    CO_ELF_MAX_SEGMENTS);
			return -CO_EINVAL;
		}
		add_segment(elf, &ph);
		elf->lowest_paddr = CO_MIN(elf->lowest_paddr, ph.paddr);
		elf->highest_paddr = CO_MAX(elf->highest_paddr,
					    ph.paddr + ph.memsz);
	}
	if (!elf->nr_seg) {
		ERR("no PT_LOAD segment: nothing to load");
		return -CO_EINVAL;
	}
	if (elf->highest_paddr - elf->lowest_paddr > CO_ELF_MAX_IMAGE) {
		ERR("segments span 0x%llx bytes of physical memory (limit 0x%llx)",
		    X(elf->highest_paddr - elf->lowest_paddr),
		    X(CO_ELF_MAX_IMAGE));
		return -CO_EINVAL;
	}
	return check_overlap(elf, err, errlen);
}

static bool read_shdr(const struct co_elf *elf, const struct ehdr *h,
		      unsigned int i, struct shdr *sh)
{
	const uint8_t *p;

	if (i >= h->shnum)
		return false;
	p = elf->image + h->shoff + (uint64_t)i * SHDR_SIZE;
	sh->type = rd32(p + 4);
	sh->link = rd32(p + 40);
	sh->offset = rd64(p + 24);
	sh->size = rd64(p + 32);
	sh->entsize = rd64(p + 56);
	return in_file(sh->offset, sh->size, elf->len);
}

/*
 * Symbols are a convenience (tests, debugging): a missing or broken table
 * just means none, never a rejected kernel.
 */
static void parse_symbols(struct co_elf *elf, const struct ehdr *h)
{
	struct shdr sh, st;
	unsigned int i;

	if (!h->shoff || !h->shnum || h->shentsize != SHDR_SIZE ||
	    !in_file(h->shoff, (uint64_t)h->shnum * SHDR_SIZE, elf->len))
		return;
	for (i = 0; i < h->shnum; i++) {
		if (!read_shdr(elf, h, i, &sh) || sh.type != SHT_SYMTAB)
			continue;
		if (sh.entsize != SYM_SIZE || !read_shdr(elf, h, sh.link, &st) ||
		    st.type != SHT_STRTAB || !st.size)
			return;
		elf->symtab = elf->image + sh.offset;
		elf->nr_syms = sh.size / SYM_SIZE;
		elf->strtab = (const char *)elf->image + st.offset;
		elf->strtab_size = st.size;
		elf->symtab_off = sh.offset;
		elf->strtab_off = st.offset;
		return;
	}
}

int co_elf_parse(struct co_elf *elf, const void *image, size_t len,
		 char *err, size_t errlen)
{
	struct ehdr h;
	uint64_t va;
	int ret;

	co_memset(elf, 0, sizeof(*elf));
	if (errlen)
		err[0] = '\0';
	ret = check_ident(image, len, err, errlen);
	if (ret)
		return ret;
	read_ehdr(image, &h);
	ret = check_ehdr(&h, len, err, errlen);
	if (ret)
		return ret;
	elf->image = image;
	elf->len = len;
	elf->entry = h.entry;
	ret = parse_phdrs(elf, &h, err, errlen);
	if (!ret && co_elf_entry_va(elf, 0, &va)) {
		ERR("entry point 0x%llx lies in no segment", X(h.entry));
		ret = -CO_EINVAL;
	}
	if (ret) {
		co_memset(elf, 0, sizeof(*elf));
		return ret;
	}
	parse_symbols(elf, &h);
	return 0;
}

int co_elf_check_fits(const struct co_elf *elf, uint64_t ram_size,
		      char *err, size_t errlen)
{
	const struct co_elf_segment *s;
	unsigned int i;

	for (i = 0; i < elf->nr_seg; i++) {
		s = &elf->seg[i];
		if (s->paddr + s->memsz > ram_size) {
			ERR("segment %u (paddr 0x%llx, memsz 0x%llx) ends past the end of the 0x%llx-byte RAM",
			    i, X(s->paddr), X(s->memsz), X(ram_size));
			return -CO_ERANGE;
		}
	}
	return 0;
}

int co_elf_symbol(const struct co_elf *elf, const char *name, uint64_t *value)
{
	const uint8_t *sym;
	uint32_t st_name;
	uint8_t type;
	uint64_t i;
	size_t n = co_strlen(name);

	if (!elf->symtab || !n)
		return -CO_ENOENT;
	for (i = 0; i < elf->nr_syms; i++) {
		sym = elf->symtab + i * SYM_SIZE;
		st_name = rd32(sym);
		type = sym[4] & 0xf;
		if (type != STT_NOTYPE && type != STT_OBJECT &&
		    type != STT_FUNC)
			continue;
		if (rd16(sym + 6) == SHN_UNDEF)
			continue;
		/* The name and its NUL must both lie inside the table. */
		if (st_name >= elf->strtab_size ||
		    elf->strtab_size - st_name <= n)
			continue;
		if (co_memcmp(elf->strtab + st_name, name, n + 1))
			continue;
		*value = rd64(sym + 8);
		return 0;
	}
	return -CO_ENOENT;
}

int co_elf_entry_va(const struct co_elf *elf, uint64_t ram_base,
		    uint64_t *va)
{
	const struct co_elf_segment *s;
	unsigned int i;

	for (i = 0; i < elf->nr_seg; i++) {
		s = &elf->seg[i];
		if (elf->entry >= s->vaddr && elf->entry - s->vaddr < s->memsz) {
			/* Only upper-half link addresses get mapped. */
			if (co_elf_vaddr_mapped(s->vaddr))
				*va = elf->entry;
			else
				*va = ram_base + s->paddr + (elf->entry - s->vaddr);
			return 0;
		}
	}
	for (i = 0; i < elf->nr_seg; i++) {
		s = &elf->seg[i];
		if (elf->entry >= s->paddr && elf->entry - s->paddr < s->memsz) {
			*va = ram_base + elf->entry;
			return 0;
		}
	}
	return -CO_EINVAL;
}

int co_kernel_image_check(const void *image, size_t len, uint64_t ram_size,
			  char *err, size_t errlen)
{
	struct co_elf elf;
	int rc;

	rc = co_elf_parse(&elf, image, len, err, errlen);
	if (!rc)
		rc = co_elf_check_fits(&elf, ram_size, err, errlen);
	return rc;
}

void co_elf_describe(const struct co_elf *elf, struct co_kernel_info *ki)
{
	unsigned int i;

	co_memset(ki, 0, sizeof(*ki));
	ki->entry = elf->entry;
	/* Cannot fail: co_elf_parse refuses an entry point in no segment. */
	co_elf_entry_va(elf, 0, &ki->entry_va);
	ki->nr_seg = elf->nr_seg;
	for (i = 0; i < elf->nr_seg; i++) {
		const struct co_elf_segment *s = &elf->seg[i];

		ki->seg[i] = (struct co_kernel_segment){
			.offset = s->offset, .filesz = s->filesz,
			.memsz = s->memsz, .paddr = s->paddr,
			.vaddr = s->vaddr, .flags = s->flags,
			.mapped = co_elf_vaddr_mapped(s->vaddr),
		};
	}
	ki->lowest_paddr = elf->lowest_paddr;
	ki->highest_paddr = elf->highest_paddr;
	/*
	 * Offsets, not pointers: they stay true for any copy of the image,
	 * and a loaded VM keeps only a copy of the tables.
	 */
	if (elf->symtab) {
		ki->symtab_off = elf->symtab_off;
		ki->nr_syms = elf->nr_syms;
	}
	if (elf->strtab) {
		ki->strtab_off = elf->strtab_off;
		ki->strtab_size = elf->strtab_size;
	}
}

int co_kernel_image_info(const void *image, size_t len,
			 struct co_kernel_info *ki, char *err, size_t errlen)
{
	struct co_elf elf;
	int rc;

	rc = co_elf_parse(&elf, image, len, err, errlen);
	if (rc)
		return rc;
	co_elf_describe(&elf, ki);
	return 0;
}

int co_kernel_image_symbol(const void *image, size_t len, const char *name,
			   uint64_t *value)
{
	struct co_elf elf;
	int rc;

	rc = co_elf_parse(&elf, image, len, NULL, 0);
	if (rc)
		return rc;
	return co_elf_symbol(&elf, name, value);
}
