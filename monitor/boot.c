// SPDX-License-Identifier: GPL-2.0
/*
 * Boot set-up: everything the guest finds when it first gets the CPU. The
 * boot area at the top of RAM holds the boot parameters, a GDT, a stack
 * and the first page tables (boot.h); the initial context goes into the
 * shared page for the passage to load.
 *
 * No mapping carries NX or G: the guest enters with EFER.NXE clear (the
 * Unicorn back-end cannot set it), where bit 63 would be reserved, and
 * global pages would outlive the guest's first CR3 switch.
 */
#include <colinux/abi/linux.h>
#include <colinux/abi/types.h>
#include "internal/boot.h"
#include <colinux/lib.h>
#include "internal/vm.h"

#define PAGE		CO_PAGE_SIZE
#define GDT_CODE64	0x00af9a000000ffffULL
#define GDT_DATA	0x00cf92000000ffffULL
#define GDT_ENTRIES	6	/* null, null, code, data, 64-bit TSS (2) */
#define GDT_TSS_OFFSET	0x100	/* the TSS, in the GDT page */
#define TSS_LIMIT	0x67
#define BOOT_CR0	0x80050033ULL	/* PG|AM|WP|NE|ET|MP|PE */
#define BOOT_CR4	0x620ULL	/* OSXMMEXCPT|OSFXSR|PAE */
#define BOOT_EFER	0x500ULL	/* LMA|LME */
#define BOOT_RFLAGS	0x2ULL
#define BOOT_DR7	0x400ULL
#define FXSAVE_FCW	0x37f
#define FXSAVE_MXCSR	0x1f80

static uint64_t page_up(uint64_t x)
{
	return CO_ALIGN_UP(x, PAGE);
}

static uint64_t page_down(uint64_t x)
{
	return x & ~(PAGE - 1);
}

/* Upper-half segments get their own mapping (co_elf_vaddr_mapped). */
static bool seg_aliased(const struct co_ram *ram,
			const struct co_elf_segment *s)
{
	return co_elf_vaddr_mapped(s->vaddr) && s->vaddr != ram->base + s->paddr;
}

static uint64_t seg_map_size(const struct co_elf_segment *s)
{
	return page_up(s->vaddr + s->memsz) - page_down(s->vaddr);
}

static uint64_t pool_pages(const struct co_ram *ram, const struct co_elf *elf)
{
	uint64_t n;
	unsigned int i;

	/* Separate mappings can each straddle boundaries: bound each. */
	n = co_pt_pages_needed(ram->size) + co_pt_pages_needed(2 * PAGE);
	for (i = 0; elf && i < elf->nr_seg; i++)
		if (seg_aliased(ram, &elf->seg[i]))
			n += co_pt_pages_needed(seg_map_size(&elf->seg[i]));
	return n;
}

int co_boot_layout(const struct co_ram *ram, const struct co_elf *elf,
		   struct co_boot_layout *l)
{
	uint64_t fixed = 3 * PAGE + CO_BOOT_STACK_SIZE;

	co_memset(l, 0, sizeof(*l));
	l->pool_pages = pool_pages(ram, elf);
	if (!ram->contiguous)
		l->p2m_size = page_up(ram->npages * sizeof(uint64_t));
	l->size = fixed + l->pool_pages * PAGE + l->p2m_size;
	/* Leave the guest at least half its RAM. */
	if (l->size > ram->size / 2)
		return -CO_ENOMEM;
	l->start = ram->base + ram->size - l->size;
	l->params_gpa = l->start;
	l->gdt_gpa = l->start + PAGE;
	l->zero_page_gpa = l->start + 2 * PAGE;
	l->stack_gpa = l->start + 3 * PAGE;
	l->stack_top = l->stack_gpa + CO_BOOT_STACK_SIZE;
	l->pool_gpa = l->stack_top;
	if (l->p2m_size)
		l->p2m_gpa = l->pool_gpa + l->pool_pages * PAGE;
	return 0;
}

int co_boot_area(const struct co_vm *vm, uint64_t *gpa, uint64_t *size)
{
	struct co_boot_layout l;
	int err;

	err = co_boot_layout(&vm->ram, vm->kernel_loaded ? &vm->elf : NULL, &l);
	if (err)
		return err;
	*gpa = l.start;
	*size = l.size;
	return 0;
}

static int build_tables(struct co_vm *vm, const struct co_boot_layout *l,
			struct co_pt *pt)
{
	const struct co_elf_segment *s;
	unsigned int i;
	int err;

	err = co_pt_init(pt, &vm->ram, l->pool_gpa, l->pool_pages);
	if (!err)
		err = co_pt_map_gpa(pt, vm->ram.base, vm->ram.base,
				    vm->ram.size, CO_PTE_W);
	/* The passage first: a kernel segment linked there is the error. */
	if (!err)
		err = co_pt_map(pt, CO_PASSAGE_CODE_VA,
				vm->passage_pfn[0] << CO_PAGE_SHIFT, PAGE, 0);
	if (!err)
		err = co_pt_map(pt, CO_PASSAGE_SHARED_VA,
				vm->passage_pfn[1] << CO_PAGE_SHIFT, PAGE,
				CO_PTE_W);
	for (i = 0; !err && i < vm->elf.nr_seg; i++) {
		s = &vm->elf.seg[i];
		if (!seg_aliased(&vm->ram, s))
			continue;
		/* Always writable: the kernel patches and relocates itself. */
		err = co_pt_map_gpa(pt, page_down(s->vaddr),
				    vm->ram.base + page_down(s->paddr),
				    seg_map_size(s), CO_PTE_W);
		if (err)
			co_err("boot: cannot map kernel segment %u at 0x%llx: %s",
			       i, (unsigned long long)s->vaddr,
			       co_strerror(err));
	}
	return err;
}

/*
 * A TSS from the start, so the passage has a task register to save and
 * restore even before the guest loads its own (its RSP0/IST are zero: a
 * guest that takes interrupts from ring 3 must install its own TSS).
 */
static uint64_t tss_desc_low(uint64_t base)
{
	return TSS_LIMIT | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	       (((base >> 24) & 0xff) << 56);
}

static int write_gdt(struct co_vm *vm, uint64_t gpa)
{
	uint64_t tss = gpa + GDT_TSS_OFFSET;
	uint64_t gdt[GDT_ENTRIES] = {
		0, 0, GDT_CODE64, GDT_DATA, tss_desc_low(tss), tss >> 32,
	};

	return co_ram_write(&vm->ram, gpa, gdt, sizeof(gdt));
}

struct mem_map {
	struct co_mem_region *r;
	uint32_t n;
	uint64_t cur;		/* everything below is described */
};

/* Describe [base, base + size) as @type, with RAM up to it. */
static int mem_add(struct mem_map *m, uint64_t base, uint64_t size,
		   uint32_t type)
{
	if (!size)
		return 0;
	if (base < m->cur)
		return -CO_EINVAL;
	if (base > m->cur) {
		if (m->n == CO_BOOT_MAX_MEM)
			return -CO_EINVAL;
		m->r[m->n++] = (struct co_mem_region){
			.base = m->cur, .size = base - m->cur,
			.type = CO_MEM_RAM };
	}
	if (m->n == CO_BOOT_MAX_MEM)
		return -CO_EINVAL;
	m->r[m->n++] = (struct co_mem_region){
		.base = base, .size = size, .type = type };
	m->cur = base + size;
	return 0;
}

static int fill_mem_map(struct co_vm *vm, const struct co_boot_layout *l,
			struct co_boot_params *bp)
{
	struct mem_map m = { .r = bp->mem, .cur = vm->ram.base };
	uint64_t kb = vm->ram.base + page_down(vm->elf.lowest_paddr);
	uint64_t ke = vm->ram.base + page_up(vm->elf.highest_paddr);
	uint64_t boot_end = l->p2m_size ? l->p2m_gpa : l->start + l->size;
	int err;

	err = mem_add(&m, kb, ke - kb, CO_MEM_KERNEL);
	if (!err)
		err = mem_add(&m, vm->initrd_gpa, page_up(vm->initrd_size),
			      CO_MEM_INITRD);
	if (!err)
		err = mem_add(&m, l->start, boot_end - l->start, CO_MEM_BOOT);
	if (!err)
		err = mem_add(&m, l->p2m_gpa, l->p2m_size, CO_MEM_P2M);
	if (!err && m.cur != vm->ram.base + vm->ram.size)
		err = -CO_EINVAL;
	bp->nr_mem = m.n;
	return err;
}

/* The version-1 additions (CO_BOOT_FEAT_*): what the host can tell. */
static void write_features(struct co_vm *vm, struct co_boot_params *bp)
{
	struct co_cpu_host host = { 0 };
	const uint64_t host_bits = CO_BOOT_FEAT_VIRQ_VECTOR |
		CO_BOOT_FEAT_HOST_XCR0 | CO_BOOT_FEAT_HOST_CR4 |
		CO_BOOT_FEAT_HOST_PAT;

	bp->features = CO_BOOT_FEAT_PASSAGE_FRAMES | CO_BOOT_FEAT_TIME_RECORD |
		       CO_BOOT_FEAT_TIMER_RELATIVE;
	bp->passage_code_hpa = vm->passage_pfn[0] << CO_PAGE_SHIFT;
	bp->passage_shared_hpa = vm->passage_pfn[1] << CO_PAGE_SHIFT;
	bp->tsc_khz = co_host_tsc_khz();
	if (bp->tsc_khz)
		bp->features |= CO_BOOT_FEAT_TSC_KHZ;
	if (vm->cpu->host_info)
		vm->cpu->host_info(&host);
	/* A vector below 32 is an exception, never free for the guest. */
	if (host.virq_vector < 32 || host.virq_vector > 255)
		host.valid &= ~CO_BOOT_FEAT_VIRQ_VECTOR;
	host.valid &= host_bits;
	vm->host_cpu = host;
	bp->features |= host.valid & host_bits;
	if (host.valid & CO_BOOT_FEAT_VIRQ_VECTOR)
		bp->virq_vector = host.virq_vector;
	if (host.valid & CO_BOOT_FEAT_HOST_XCR0)
		bp->host_xcr0 = host.xcr0;
	if (host.valid & CO_BOOT_FEAT_HOST_CR4)
		bp->host_cr4 = host.cr4_required;
	if (host.valid & CO_BOOT_FEAT_HOST_PAT)
		bp->host_pat = host.pat;
}

static int write_params(struct co_vm *vm, const struct co_boot_layout *l,
			uint64_t root_hpa)
{
	struct co_boot_params *bp;
	unsigned int i;
	size_t n, len;
	int err;

	bp = co_ram_map(&vm->ram, l->params_gpa, sizeof(*bp), &n);
	if (!bp || n != sizeof(*bp)) {
		co_ram_unmap(&vm->ram, bp, l->params_gpa);
		return -CO_EFAULT;
	}
	co_memset(bp, 0, sizeof(*bp));
	bp->magic = CO_BOOT_MAGIC;
	bp->abi_version = CO_ABI_VERSION;
	bp->size = sizeof(*bp);
	bp->flags = vm->ram.contiguous ? CO_BOOT_F_CONTIGUOUS : 0;
	if (vm->linux_boot)
		bp->flags |= CO_BOOT_F_LINUX;
	bp->ram_base = vm->ram.base;
	bp->ram_size = vm->ram.size;
	bp->p2m_gpa = l->p2m_gpa;
	bp->initrd_gpa = vm->initrd_size ? vm->initrd_gpa : 0;
	bp->initrd_size = vm->initrd_size;
	bp->passage_va = CO_PASSAGE_GUEST_VA;
	bp->boot_time_ns = co_host_wallclock_ns();
	bp->pt_root = root_hpa;
	write_features(vm, bp);
	err = fill_mem_map(vm, l, bp);
	for (i = 0; i < vm->nr_dev && i < CO_BOOT_MAX_DEVICES; i++)
		bp->dev[i] = vm->dev[i]->info;
	bp->nr_devices = i;
	len = co_strnlen(vm->cfg.cmdline, CO_CMDLINE_SIZE - 1);
	co_memcpy(bp->cmdline, vm->cfg.cmdline, len);
	bp->cmdline_len = len;
	co_ram_unmap(&vm->ram, bp, l->params_gpa);
	return err;
}

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/*
 * Linux's zero page (abi/linux.h): what its 64-bit boot protocol reads.
 * The e820 map is the RAM window with the boot area reserved: the kernel
 * and the initrd are RAM, which Linux reserves itself. The command line
 * is the one in the coLinux boot parameters (NUL-terminated there), and
 * hardware_subarch_data points at those parameters for the cooperative
 * platform.
 */
static int write_zero_page(struct co_vm *vm, const struct co_boot_layout *l)
{
	struct co_linux_boot_params *zp;
	uint64_t cmdline = l->params_gpa +
			   __builtin_offsetof(struct co_boot_params, cmdline);
	uint64_t end = vm->ram.base + vm->ram.size;
	size_t n;

	zp = co_ram_map(&vm->ram, l->zero_page_gpa, sizeof(*zp), &n);
	if (!zp || n != sizeof(*zp)) {
		co_ram_unmap(&vm->ram, zp, l->zero_page_gpa);
		return -CO_EFAULT;
	}
	co_memset(zp, 0, sizeof(*zp));
	zp->boot_flag = CO_LINUX_BOOT_FLAG;
	zp->header = CO_LINUX_HDRS;
	zp->version = CO_LINUX_BOOT_VERSION;
	zp->type_of_loader = CO_LINUX_LOADER_UNDEF;
	zp->loadflags = CO_LINUX_LOADED_HIGH;
	if (vm->initrd_size) {
		zp->ramdisk_image = lo32(vm->initrd_gpa);
		zp->ext_ramdisk_image = hi32(vm->initrd_gpa);
		zp->ramdisk_size = lo32(vm->initrd_size);
		zp->ext_ramdisk_size = hi32(vm->initrd_size);
	}
	zp->cmd_line_ptr = lo32(cmdline);
	zp->ext_cmd_line_ptr = hi32(cmdline);
	zp->cmdline_size = CO_CMDLINE_SIZE - 1;
	zp->hardware_subarch = CO_LINUX_SUBARCH_COOPERATIVE;
	zp->hardware_subarch_data = l->params_gpa;
	zp->e820_table[0] = (struct co_linux_e820_entry){
		.addr = vm->ram.base, .size = l->start - vm->ram.base,
		.type = CO_LINUX_E820_RAM };
	zp->e820_table[1] = (struct co_linux_e820_entry){
		.addr = l->start, .size = end - l->start,
		.type = CO_LINUX_E820_RESERVED };
	zp->e820_entries = 2;
	co_ram_unmap(&vm->ram, zp, l->zero_page_gpa);
	return 0;
}

static void init_context(struct co_vm *vm, const struct co_boot_layout *l,
			 uint64_t root_hpa)
{
	struct co_cpu_state *g = &vm->shared->guest;
	uint16_t fcw = FXSAVE_FCW;
	uint32_t mxcsr = FXSAVE_MXCSR;

	co_memset(g, 0, sizeof(*g));
	g->rip = vm->entry_va;
	/* As if called: the ABI wants rsp + 8 16-byte aligned at entry. */
	g->rsp = l->stack_top - 8;
	/* Linux's boot protocol wants its zero page in rsi. */
	g->rsi = vm->linux_boot ? l->zero_page_gpa : l->params_gpa;
	g->rdi = 0;
	g->rflags = BOOT_RFLAGS;
	g->cr0 = BOOT_CR0;
	g->cr3 = root_hpa;
	g->cr4 = BOOT_CR4;
	g->efer = BOOT_EFER;
	g->gdtr.limit = GDT_ENTRIES * 8 - 1;
	g->gdtr.base = l->gdt_gpa;	/* identity mapped */
	g->cs = CO_BOOT_CS;
	g->ss = g->ds = g->es = CO_BOOT_DS;
	g->tr = CO_BOOT_TR;
	g->dr7 = BOOT_DR7;
	co_memcpy(&g->fxsave[0], &fcw, sizeof(fcw));
	co_memcpy(&g->fxsave[24], &mxcsr, sizeof(mxcsr));

	vm->shared->op = CO_OP_START;
	vm->shared->result = 0;
	co_memset(vm->shared->param, 0, sizeof(vm->shared->param));
	vm->shared->param[0] = l->params_gpa;
}

int co_boot_setup(struct co_vm *vm)
{
	struct co_boot_layout l;
	struct co_pt pt;
	int err;

	if (!vm->kernel_loaded || !vm->elf.nr_seg || !vm->shared)
		return -CO_ESTATE;
	err = co_boot_layout(&vm->ram, &vm->elf, &l);
	if (err)
		return err;
	if (vm->ram.base + vm->elf.highest_paddr > l.start ||
	    vm->initrd_gpa + vm->initrd_size > l.start)
		return -CO_EINVAL;
	err = co_ram_fill(&vm->ram, l.start, 0, l.pool_gpa - l.start);
	if (!err)
		err = build_tables(vm, &l, &pt);
	if (!err)
		err = write_gdt(vm, l.gdt_gpa);
	if (!err && l.p2m_size)
		err = co_ram_write(&vm->ram, l.p2m_gpa, vm->ram.pfn,
				   vm->ram.npages * sizeof(uint64_t));
	if (!err)
		err = write_params(vm, &l, pt.root_hpa);
	if (!err && vm->linux_boot)
		err = write_zero_page(vm, &l);
	if (err) {
		co_err("boot: set-up failed: %s", co_strerror(err));
		return err;
	}
	init_context(vm, &l, pt.root_hpa);
	co_time_record_init(vm);
	vm->boot_gpa = l.params_gpa;
	vm->zero_page_gpa = vm->linux_boot ? l.zero_page_gpa : 0;
	vm->pt_root_hpa = pt.root_hpa;
	return 0;
}
