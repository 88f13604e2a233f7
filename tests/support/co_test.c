// SPDX-License-Identifier: GPL-2.0
/* Test support: the scripted-guest CPU back-end and small helpers. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "co_test.h"
#include "lib.h"
#include "vm.h"

#define MAX_GUESTS 8

struct guest_slot {
	struct co_test_guest g;
	uint64_t scratch_next;
	bool used;
};

static struct guest_slot slots[MAX_GUESTS];

static struct guest_slot *slot_of(struct co_test_guest *g)
{
	return (struct guest_slot *)g;
}

static int test_attach(struct co_vm *vm, void **priv)
{
	unsigned int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		if (slots[i].used && slots[i].g.vm == vm) {
			slots[i].g.sh = co_vm_shared(vm);
			slots[i].g.attached = true;
			*priv = &slots[i].g;
			return 0;
		}
	}
	return -CO_ENOENT;
}

static int test_enter(void *priv, struct co_vm_exit *exit)
{
	struct co_test_guest *g = priv;

	if (g->entries >= g->max_entries) {
		exit->reason = CO_TERM_HUNG;
		exit->code = 0;
		snprintf(exit->text, sizeof(exit->text),
			 "scripted guest used its budget of %u entries",
			 g->max_entries);
		return -CO_EIO;
	}
	g->step(g, g->entries++);
	return 0;
}

static void test_detach(void *priv)
{
	struct co_test_guest *g = priv;

	g->attached = false;
}

const struct co_cpu_ops co_test_cpu_ops = {
	.name = "scripted",
	.attach = test_attach,
	.enter = test_enter,
	.detach = test_detach,
};

static struct guest_slot *slot_alloc(void)
{
	unsigned int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		if (!slots[i].used) {
			memset(&slots[i], 0, sizeof(slots[i]));
			slots[i].used = true;
			return &slots[i];
		}
	}
	return NULL;
}

static int parse_args(struct co_config *cfg, const char *const *args)
{
	char err[256];
	int rc;

	co_config_init(cfg);
	for (; args && *args; args++) {
		rc = co_config_parse_arg(cfg, *args, err, sizeof(err));
		if (rc) {
			print_message("config: %s\n", err);
			return rc;
		}
	}
	return 0;
}

int co_test_create(const char *const *args, co_test_step_fn *step, void *ctx,
		   struct co_test_guest **out)
{
	struct guest_slot *s;
	struct co_config cfg;
	int err;

	*out = NULL;
	s = slot_alloc();
	if (!s)
		return -CO_ENOMEM;
	err = parse_args(&cfg, args);
	if (!err)
		err = co_vm_create(&cfg, &co_test_cpu_ops, &s->g.vm);
	co_config_free(&cfg);
	if (err) {
		s->used = false;
		return err;
	}
	s->g.step = step;
	s->g.ctx = ctx;
	s->g.max_entries = 100000;
	*out = &s->g;
	return 0;
}

static const uint8_t default_code[] = { 0xf4, 0xeb, 0xfd };	/* hlt; jmp */

int co_test_boot(const char *const *args, co_test_step_fn *step, void *ctx,
		 struct co_test_guest **out)
{
	struct co_test_guest *g;
	char msg[256] = "";
	void *elf = NULL;
	size_t len;
	int err;

	err = co_test_create(args, step, ctx, &g);
	if (err)
		return err;
	if (g->vm->cfg.kernel) {
		err = co_vm_load_files(g->vm, msg, sizeof(msg));
	} else {
		/* No kernel= given: use the built-in image. */
		elf = co_test_make_elf(0, default_code, sizeof(default_code), &len);
		err = co_vm_load_kernel(g->vm, elf, len, msg, sizeof(msg));
	}
	if (!err)
		err = co_vm_start(g->vm);
	free(elf);
	if (err) {
		print_message("boot: %s (%s)\n", co_strerror(err), msg);
		co_test_destroy(g);
		return err;
	}
	*out = g;
	return 0;
}

void co_test_destroy(struct co_test_guest *g)
{
	if (!g)
		return;
	co_vm_destroy(g->vm);
	slot_of(g)->used = false;
}

int co_test_run(struct co_test_guest *g, struct co_vm_exit *exit)
{
	int err = co_vm_run(g->vm, exit);

	assert_int_equal(err, 0);
	return exit->reason;
}

void co_test_op(struct co_test_guest *g, uint32_t op, uint64_t p0,
		uint64_t p1, uint64_t p2)
{
	g->sh->param[0] = p0;
	g->sh->param[1] = p1;
	g->sh->param[2] = p2;
	g->sh->op = op;
}

void co_test_terminate(struct co_test_guest *g, int reason, int code,
		       const char *text)
{
	size_t len = strlen(text);

	memcpy(g->sh->text, text, len);
	co_test_op(g, CO_OP_TERMINATE, reason, code, len);
}

void co_test_doorbell(struct co_test_guest *g, unsigned int queue)
{
	__atomic_fetch_or(&g->sh->doorbell[queue / 64], 1ULL << (queue % 64),
			  __ATOMIC_SEQ_CST);
}

void co_test_unmask(struct co_test_guest *g, unsigned int line)
{
	__atomic_fetch_and(&g->sh->irq_mask[line / 64], ~(1ULL << (line % 64)),
			   __ATOMIC_SEQ_CST);
}

bool co_test_irq_take(struct co_test_guest *g, unsigned int line)
{
	uint64_t bit = 1ULL << (line % 64);

	return __atomic_fetch_and(&g->sh->irq_pending[line / 64], ~bit,
				  __ATOMIC_SEQ_CST) & bit;
}

void *co_test_gpa_ptr(struct co_test_guest *g, uint64_t gpa)
{
	uint64_t hpa;
	uint8_t *page;

	if (co_vm_gpa_to_hpa(g->vm, gpa, &hpa))
		return NULL;
	page = co_host_map(hpa >> 12);
	return page ? page + (hpa & 0xfff) : NULL;
}

const struct co_boot_params *co_test_boot_params(struct co_test_guest *g)
{
	struct co_vm *vm = g->vm;
	const struct co_boot_params *bp = NULL;
	uint64_t gpa = vm->boot_gpa;

	if (gpa)
		bp = co_test_gpa_ptr(g, gpa);
	return bp;
}

/* Scratch memory: the largest free RAM region of the memory map. */
uint64_t co_test_scratch_gpa(struct co_test_guest *g, uint64_t size)
{
	struct guest_slot *s = slot_of(g);
	const struct co_boot_params *bp = co_test_boot_params(g);
	uint64_t best = 0, best_size = 0, gpa;
	unsigned int i;

	assert_non_null(bp);
	for (i = 0; i < bp->nr_mem && i < CO_BOOT_MAX_MEM; i++) {
		if (bp->mem[i].type == CO_MEM_RAM && bp->mem[i].size > best_size) {
			best = bp->mem[i].base;
			best_size = bp->mem[i].size;
		}
	}
	if (!s->scratch_next || s->scratch_next < best)
		s->scratch_next = best;
	gpa = (s->scratch_next + 4095) & ~4095ULL;
	assert_true(gpa + size <= best + best_size);
	s->scratch_next = gpa + size;
	return gpa;
}

void *co_test_make_elf(uint64_t vaddr, const void *code, size_t code_len,
		       size_t *len)
{
	static const char strtab[] = "\0co_start\0";
	static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab\0";
	const uint64_t paddr = 0x200000;
	size_t code_off = 0x1000, sym_off, str_off, shs_off, sh_off, total;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	Elf64_Sym *sym;
	uint8_t *img;

	if (!vaddr)
		vaddr = 0xffffffff80000000ULL + paddr;
	sym_off = (code_off + code_len + 7) & ~7UL;
	str_off = sym_off + 2 * sizeof(Elf64_Sym);
	shs_off = str_off + sizeof(strtab);
	sh_off = (shs_off + sizeof(shstrtab) + 7) & ~7UL;
	total = sh_off + 5 * sizeof(Elf64_Shdr);
	img = calloc(1, total);
	assert_non_null(img);

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
	eh->e_phnum = 1;
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

uint64_t co_test_seed(const char *test)
{
	const char *env = getenv("CO_SEED");
	uint64_t seed;

	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	print_message("%s: seed %llu (replay with CO_SEED=%llu)\n", test,
		      (unsigned long long)seed, (unsigned long long)seed);
	return seed ? seed : 1;
}

uint64_t co_test_rand(uint64_t *state)
{
	/* xorshift64* */
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void co_test_tmp_path(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("CO_TEST_TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(buf, size, "%s/%d-%s", dir, (int)getpid(), name);
}

void co_test_make_file(const char *path, uint64_t size, uint64_t seed)
{
	FILE *f = fopen(path, "wb");
	uint64_t state = seed, i;

	assert_non_null(f);
	for (i = 0; i < size; i += 8) {
		uint64_t v = seed ? co_test_rand(&state) : 0;
		size_t n = size - i < 8 ? size - i : 8;

		assert_int_equal(fwrite(&v, 1, n, f), n);
	}
	assert_int_equal(fclose(f), 0);
}
