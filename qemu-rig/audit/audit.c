// SPDX-License-Identifier: GPL-2.0
/*
 * colinux-audit: a QEMU TCG plugin (API v1, QEMU 7.2) that records every
 * executed instruction which reaches CPU or machine state the guest shares
 * with the host: wrmsr (with its MSR number where the code shows it), in
 * and out (every form), hlt, mwait, wbinvd, invd, xsetbv and writes to
 * CR0 (mov, lmsw, clts), CR4, CR8 and the debug registers. QEMU's software
 * CPU drops writes to MSRs it does not model and reads them back as 0, so
 * the bare host's state check cannot see such writes; the instructions
 * themselves can be seen here. docs/audit.md has the whole method.
 *
 * Each execution is counted against one of four classes:
 *
 * - firmware: the BIOS and QEMU's multiboot loader, everything before the
 *   host kernel's first instruction (argument host-entry=).
 * - passage: the code page of the switch (monitor/arch/x86_64/passage.S),
 *   at either of its addresses: CO_PASSAGE_CODE_VA in the guest and
 *   transit spaces, a host heap address in the host's. The host's
 *   address is the page whose bytes are the same frame as the guest's:
 *   QEMU's host pointer to the code (qemu_plugin_insn_haddr) is the same
 *   for both mappings of one guest-physical frame.
 * - guest and host: everything after, by the side the CPU is on. The
 *   switch always ends on the side it enters, running at that side's
 *   address of the code page: so the CPU is in the guest from the moment
 *   it runs the code page at CO_PASSAGE_CODE_VA until it runs the page at
 *   the host's address. A translation-block callback on the code page's
 *   blocks (a few per trip) keeps the side; address ranges alone could
 *   not, since a Linux guest's module area overlaps the host image at
 *   -1 GiB.
 *
 * The MSR number of a wrmsr is ECX at the instruction, and this API has
 * no register access. A wrmsr ends its translation block and execution
 * enters a block only at its start (interrupts are taken between blocks,
 * an exception leaves the block for good), so if the block has an
 * instruction that sets ECX to a constant before the wrmsr and nothing
 * in between that may write RCX, ECX is that constant at every execution
 * of that translation. The check is on the bytes, conservative (an
 * instruction it does not know stops it), and per translation: each
 * execution is counted as "MSR n" or "MSR not known from the code".
 * The runner (qemu-rig/run --audit) gets the unknown ones exactly with
 * gdb breakpoints, and fails the audit for a guest wrmsr whose MSR no
 * method knows.
 *
 * Arguments: out=FILE (the report, written at exit), host-entry=VA (the
 * host kernel's entry point: without it there is no firmware class),
 * passage=VA (the guest's address of the code page, default
 * CO_PASSAGE_CODE_VA).
 * One vCPU: the side is kept for the one CPU the rig has.
 *
 * Report: one line per site and class, "site" then key=value fields, the
 * disassembly last (it has spaces):
 *   site class=guest kind=wrmsr va=0xffffffff80201234 count=2 arg=-
 *        msr=0x174:2 unknown=0 bytes=0f30 disas=wrmsr
 * arg is the port of an in/out with an immediate port ("dx" for the
 * others), the register number of a CR/DR write, "-" otherwise; msr lists
 * the MSR numbers known from the code with their counts, unknown counts
 * the executions whose MSR the code did not show.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-v1.h"
#include "colinux/abi/passage.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define PAGE_MASK	(~(uint64_t)0xfff)
#define MAX_INSN	15
#define NR_BUCKETS	4096
#define MAX_FRAMES	64

#define REX_B		0x1
#define REX_R		0x4
#define REX_W		0x8

enum kind {
	K_WRMSR, K_IN, K_OUT, K_HLT, K_MWAIT, K_WBINVD, K_INVD, K_XSETBV,
	K_CR0, K_CR4, K_CR8, K_DR, NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	[K_WRMSR] = "wrmsr", [K_IN] = "in", [K_OUT] = "out", [K_HLT] = "hlt",
	[K_MWAIT] = "mwait", [K_WBINVD] = "wbinvd", [K_INVD] = "invd",
	[K_XSETBV] = "xsetbv", [K_CR0] = "cr0", [K_CR4] = "cr4",
	[K_CR8] = "cr8", [K_DR] = "dr",
};

enum side { SIDE_FIRMWARE, SIDE_HOST, SIDE_GUEST, NR_SIDES };

struct site;

/* One MSR number a wrmsr site ran with, or "not known from the code". */
struct msr_use {
	struct site *site;
	int known;
	uint32_t msr;
	uint64_t count[NR_SIDES];
	struct msr_use *next;
};

struct site {
	uint64_t va;
	uintptr_t frame;	/* QEMU's host page of the code; 0: not in RAM */
	enum kind kind;
	int arg;		/* port (-1: in dx), CR/DR number, or -1 */
	unsigned int len;
	uint8_t bytes[MAX_INSN];
	char *disas;
	uint64_t count[NR_SIDES];
	struct msr_use *msrs;
	struct site *hnext;
	struct site *next;
};

static const char *out_path;
static uint64_t passage_va = CO_PASSAGE_CODE_VA;
static uint64_t host_entry = ~0ULL;
static struct site *buckets[NR_BUCKETS];
static struct site *sites, **sites_tail = &sites;
static uintptr_t passage_frames[MAX_FRAMES];
static unsigned int nr_passage_frames;
static enum side side = SIDE_FIRMWARE;
static uint64_t guest_entries;

/* A decoded x86 instruction: prefixes, REX and where the opcode starts. */
struct insn {
	const uint8_t *b;
	unsigned int len;
	unsigned int op;
	uint8_t rex;
	int opsize;		/* 0x66 */
	int rep;		/* 0xf2 or 0xf3 */
	int lock;		/* 0xf0 */
};

static int decode(struct insn *in, const uint8_t *b, unsigned int len)
{
	unsigned int i;

	memset(in, 0, sizeof(*in));
	in->b = b;
	in->len = len;
	for (i = 0; i < len; i++) {
		if (b[i] == 0x66)
			in->opsize = 1;
		else if (b[i] == 0xf0)
			in->lock = 1;
		else if (b[i] == 0xf2 || b[i] == 0xf3)
			in->rep = 1;
		else if (b[i] != 0x26 && b[i] != 0x2e && b[i] != 0x36 &&
			 b[i] != 0x3e && b[i] != 0x64 && b[i] != 0x65 &&
			 b[i] != 0x67)
			break;
	}
	/*
	 * A REX byte is a prefix only right before the opcode, in 64-bit
	 * code. In 32-bit code 0x40-0x4f are inc/dec: QEMU hands them over
	 * as one-byte instructions, which then decode as "no opcode".
	 */
	if (i + 1 < len && (b[i] & 0xf0) == 0x40)
		in->rex = b[i++];
	if (i >= len)
		return 0;
	in->op = i;
	return 1;
}

/* Byte @k of the opcode and what follows it; -1 past the end. */
static int opb(const struct insn *in, unsigned int k)
{
	return in->op + k < in->len ? in->b[in->op + k] : -1;
}

static unsigned int modrm_reg(const struct insn *in, uint8_t modrm)
{
	return ((modrm >> 3) & 7) | (in->rex & REX_R ? 8 : 0);
}

static unsigned int modrm_rm(const struct insn *in, uint8_t modrm)
{
	return (modrm & 7) | (in->rex & REX_B ? 8 : 0);
}

/* Is the audited instruction @in one of ours? Returns its kind or -1. */
static int classify(const struct insn *in, int *arg)
{
	int b0 = opb(in, 0), b1 = opb(in, 1), b2 = opb(in, 2);

	*arg = -1;
	switch (b0) {
	case 0xe4: case 0xe5:		/* in $imm8, %al/%eax */
		*arg = b1;
		return K_IN;
	case 0xec: case 0xed:		/* in %dx */
	case 0x6c: case 0x6d:		/* ins */
		return K_IN;
	case 0xe6: case 0xe7:		/* out %al/%eax, $imm8 */
		*arg = b1;
		return K_OUT;
	case 0xee: case 0xef:		/* out %dx */
	case 0x6e: case 0x6f:		/* outs */
		return K_OUT;
	case 0xf4:
		return K_HLT;
	case 0x0f:
		break;
	default:
		return -1;
	}
	switch (b1) {
	case 0x30:
		return K_WRMSR;
	case 0x09:			/* wbinvd; with f3: wbnoinvd */
		return K_WBINVD;
	case 0x08:
		return K_INVD;
	case 0x06:			/* clts */
		*arg = 0;
		return K_CR0;
	case 0x22:			/* mov %reg, %crN */
		if (b2 < 0)
			return -1;
		*arg = modrm_reg(in, b2);
		/* AMD: lock mov %reg, %cr0 is mov %reg, %cr8. */
		if (in->lock && *arg == 0)
			*arg = 8;
		if (*arg == 0)
			return K_CR0;
		if (*arg == 4)
			return K_CR4;
		if (*arg == 8)
			return K_CR8;
		return -1;
	case 0x23:			/* mov %reg, %drN */
		if (b2 < 0)
			return -1;
		*arg = modrm_reg(in, b2);
		return K_DR;
	case 0x01:
		if (b2 == 0xc9 || b2 == 0xfb)	/* mwait, mwaitx */
			return K_MWAIT;
		if (b2 == 0xd1)
			return K_XSETBV;
		if (b2 >= 0 && ((b2 >> 3) & 7) == 6) {	/* lmsw */
			*arg = 0;
			return K_CR0;
		}
		return -1;
	}
	return -1;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Does @in set all of ECX to a constant? */
static int defines_ecx(const struct insn *in, uint32_t *val)
{
	const uint8_t *o = in->b + in->op;
	unsigned int left = in->len - in->op;

	if (in->opsize || in->rep || in->lock)
		return 0;
	/* mov $imm32, %ecx; movabs $imm64, %rcx */
	if (o[0] == 0xb9 && !(in->rex & REX_B) &&
	    left == (in->rex & REX_W ? 9u : 5u)) {
		*val = le32(o + 1);
		return 1;
	}
	/* mov $imm32, %ecx / %rcx (sign-extended) in the c7 /0 form */
	if (o[0] == 0xc7 && left == 6 && o[1] == 0xc1 && !(in->rex & REX_B)) {
		*val = le32(o + 2);
		return 1;
	}
	/* xor %ecx, %ecx */
	if ((o[0] == 0x31 || o[0] == 0x33) && left == 2 && o[1] == 0xc9 &&
	    !(in->rex & (REX_R | REX_B))) {
		*val = 0;
		return 1;
	}
	return 0;
}

/* Register @r is (part of) RCX: 1, or %ch (5 in a byte operation without REX). */
static int is_rcx(const struct insn *in, unsigned int r, int byte_op)
{
	return r == 1 || (byte_op && !in->rex && r == 5);
}

/*
 * A modrm instruction whose only register destinations are its modrm
 * operands: does one of them name RCX? @reg_is_reg: the reg field is a
 * register (not an opcode extension). Reads count too: conservative.
 */
static int modrm_names_rcx(const struct insn *in, int modrm, int reg_is_reg,
			   int byte_op)
{
	if (modrm < 0)
		return 1;
	if (reg_is_reg && is_rcx(in, modrm_reg(in, modrm), byte_op))
		return 1;
	return (modrm >> 6) == 3 && is_rcx(in, modrm_rm(in, modrm), byte_op);
}

/* The 0x0f map part of keeps_rcx(). */
static int keeps_rcx_0f(const struct insn *in)
{
	int b1 = opb(in, 1), modrm = opb(in, 2);

	switch (b1) {
	case 0x31:			/* rdtsc: edx:eax */
	case 0x32:			/* rdmsr: edx:eax */
		return 1;
	case 0x1f:			/* nop r/m */
		return !modrm_names_rcx(in, modrm, 0, 0);
	case 0x20: case 0x21:		/* mov %crN/%drN, %reg: rm is the register */
		return modrm >= 0 && !is_rcx(in, modrm_rm(in, modrm), 0);
	case 0xa3: case 0xab: case 0xb3: case 0xbb:	/* bt, bts, btr, btc */
	case 0xaf:			/* imul */
	case 0xb7: case 0xbf:		/* movzwl, movswl */
		return !modrm_names_rcx(in, modrm, 1, 0);
	case 0xb6: case 0xbe:		/* movzbl, movsbl: byte source */
		return !modrm_names_rcx(in, modrm, 1, 1) &&
		       !modrm_names_rcx(in, modrm, 1, 0);
	case 0xba:			/* bt group with imm8 */
		return !modrm_names_rcx(in, modrm, 0, 0);
	}
	if (b1 >= 0x40 && b1 <= 0x4f)	/* cmovcc */
		return !modrm_names_rcx(in, modrm, 1, 0);
	if (b1 >= 0x90 && b1 <= 0x9f)	/* setcc: byte */
		return !modrm_names_rcx(in, modrm, 0, 1);
	if (b1 >= 0xc8 && b1 <= 0xcf)	/* bswap */
		return !is_rcx(in, (b1 & 7) | (in->rex & REX_B ? 8 : 0), 0);
	return 0;
}

/*
 * Can we be sure @in leaves RCX alone? Only plain data instructions whose
 * register destinations are all explicit are known; anything else
 * (cpuid, rep prefixes, loop, syscall, unknown opcodes...) might write it.
 */
static int keeps_rcx(const struct insn *in)
{
	int b0 = opb(in, 0), modrm = opb(in, 1), ext = modrm < 0 ? -1 : (modrm >> 3) & 7;

	if (in->rep || in->lock)
		return 0;
	if (b0 == 0x0f)
		return keeps_rcx_0f(in);
	/* add/or/adc/sbb/and/sub/xor/cmp r/m forms */
	if (b0 <= 0x3f && (b0 & 7) < 4)
		return !modrm_names_rcx(in, modrm, 1, !(b0 & 1));
	/* the same with an immediate into %al/%eax */
	if (b0 <= 0x3f && ((b0 & 7) == 4 || (b0 & 7) == 5))
		return 1;
	switch (b0) {
	case 0x63:			/* movslq */
	case 0x69: case 0x6b:		/* imul with immediate */
	case 0x85: case 0x87: case 0x89: case 0x8b: case 0x8d:
		return !modrm_names_rcx(in, modrm, 1, 0);
	case 0x84: case 0x86: case 0x88: case 0x8a:	/* test, xchg, mov: bytes */
		return !modrm_names_rcx(in, modrm, 1, 1);
	case 0x8c: case 0x8e:		/* mov from/to a segment register */
		return !modrm_names_rcx(in, modrm, 0, 0);
	case 0x80:			/* group 1 with imm8: bytes */
	case 0xc0: case 0xd0: case 0xd2:	/* shifts: bytes */
		return !modrm_names_rcx(in, modrm, 0, 1);
	case 0x81: case 0x83:
	case 0xc1: case 0xd1: case 0xd3:
	case 0xf7:			/* test/not/neg/mul/div: rm or rdx:rax */
		return !modrm_names_rcx(in, modrm, 0, 0);
	case 0xf6:
		return !modrm_names_rcx(in, modrm, 0, 1);
	case 0xc6:
		return ext == 0 && !modrm_names_rcx(in, modrm, 0, 1);
	case 0xc7:
		return ext == 0 && !modrm_names_rcx(in, modrm, 0, 0);
	case 0xfe:			/* inc/dec byte */
		return (ext == 0 || ext == 1) && !modrm_names_rcx(in, modrm, 0, 1);
	case 0xff:			/* inc, dec, push */
		return (ext == 0 || ext == 1 || ext == 6) &&
		       !modrm_names_rcx(in, modrm, 0, 0);
	case 0x50 ... 0x57:		/* push */
	case 0x68: case 0x6a:
	case 0x98: case 0x99:		/* cltq, cqto: rax, rdx */
	case 0x9c: case 0x9d:		/* pushf, popf */
	case 0xa8: case 0xa9:		/* test $imm, %al/%eax */
	case 0xf5: case 0xf8 ... 0xfd:	/* flags */
		return 1;
	case 0x58 ... 0x5f:		/* pop */
	case 0x90 ... 0x97:		/* xchg %eax, %reg; nop */
	case 0xb8 ... 0xbf:		/* mov $imm, %reg */
		return !is_rcx(in, (b0 & 7) | (in->rex & REX_B ? 8 : 0), 0);
	case 0xb0 ... 0xb7:		/* mov $imm8, %reg8 */
		return !is_rcx(in, (b0 & 7) | (in->rex & REX_B ? 8 : 0), 1);
	}
	return 0;
}

/* ECX at the wrmsr at @idx of @tb, if this translation shows it. */
static int resolve_ecx(struct qemu_plugin_tb *tb, size_t idx, uint32_t *msr)
{
	while (idx--) {
		struct qemu_plugin_insn *q = qemu_plugin_tb_get_insn(tb, idx);
		struct insn in;

		if (!decode(&in, qemu_plugin_insn_data(q), qemu_plugin_insn_size(q)))
			return 0;
		if (defines_ecx(&in, msr))
			return 1;
		if (!keeps_rcx(&in))
			return 0;
	}
	return 0;
}

static uintptr_t frame_of(const void *haddr)
{
	return (uintptr_t)haddr & ~(uintptr_t)0xfff;
}

static int is_passage_frame(uintptr_t frame)
{
	unsigned int i;

	for (i = 0; frame && i < nr_passage_frames; i++)
		if (passage_frames[i] == frame)
			return 1;
	return 0;
}

static void add_passage_frame(uintptr_t frame)
{
	if (!frame || is_passage_frame(frame))
		return;
	if (nr_passage_frames == MAX_FRAMES) {
		fprintf(stderr, "colinux-audit: more than %d passage frames\n", MAX_FRAMES);
		abort();
	}
	passage_frames[nr_passage_frames++] = frame;
}

static void *xcalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "colinux-audit: out of memory\n");
		abort();
	}
	return p;
}

/*
 * The site of @q (at @va, in the frame of @haddr): found again when the
 * same code is translated again, new otherwise. Two mappings of different
 * code at one address (host and guest spaces) are two sites.
 */
static struct site *get_site(struct qemu_plugin_insn *q, const struct insn *in,
			     enum kind kind, int arg)
{
	uint64_t va = qemu_plugin_insn_vaddr(q);
	uintptr_t frame = frame_of(qemu_plugin_insn_haddr(q));
	unsigned int h = (unsigned int)((va ^ (va >> 12) ^ frame) % NR_BUCKETS);
	struct site *s;
	char *d;

	for (s = buckets[h]; s; s = s->hnext)
		if (s->va == va && s->frame == frame && s->len == in->len &&
		    !memcmp(s->bytes, in->b, in->len))
			return s;
	s = xcalloc(sizeof(*s));
	s->va = va;
	s->frame = frame;
	s->kind = kind;
	s->arg = arg;
	s->len = in->len;
	memcpy(s->bytes, in->b, in->len);
	d = qemu_plugin_insn_disas(q);
	s->disas = strdup(d ? d : "?");
	free(d);
	s->hnext = buckets[h];
	buckets[h] = s;
	*sites_tail = s;
	sites_tail = &s->next;
	return s;
}

static struct msr_use *get_msr_use(struct site *s, int known, uint32_t msr)
{
	struct msr_use *m;

	for (m = s->msrs; m; m = m->next)
		if (m->known == known && (!known || m->msr == msr))
			return m;
	m = xcalloc(sizeof(*m));
	m->site = s;
	m->known = known;
	m->msr = msr;
	m->next = s->msrs;
	s->msrs = m;
	return m;
}

static void exec_site(unsigned int vcpu, void *u)
{
	struct site *s = u;

	s->count[side]++;
}

static void exec_wrmsr(unsigned int vcpu, void *u)
{
	struct msr_use *m = u;

	m->count[side]++;
	m->site->count[side]++;
}

/* The host kernel's first instruction: the firmware and its loader are done. */
static void run_host_entry(unsigned int vcpu, void *u)
{
	if (side == SIDE_FIRMWARE)
		side = SIDE_HOST;
}

/* The code page at the guest's address: the CPU is going into (or stays in) the guest. */
static void run_guest_va(unsigned int vcpu, void *u)
{
	if (side != SIDE_GUEST)
		guest_entries++;
	side = SIDE_GUEST;
}

/* The code page at the host's address: the CPU is going back to the host. */
static void run_host_va(unsigned int vcpu, void *u)
{
	side = SIDE_HOST;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	uintptr_t frame;

	if (!n)
		return;
	frame = frame_of(qemu_plugin_insn_haddr(qemu_plugin_tb_get_insn(tb, 0)));
	if (qemu_plugin_tb_vaddr(tb) == host_entry)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, run_host_entry,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
	if ((qemu_plugin_tb_vaddr(tb) & PAGE_MASK) == passage_va) {
		add_passage_frame(frame);
		qemu_plugin_register_vcpu_tb_exec_cb(tb, run_guest_va,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
	} else if (is_passage_frame(frame)) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, run_host_va,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *q = qemu_plugin_tb_get_insn(tb, i);
		size_t len = qemu_plugin_insn_size(q);
		struct insn in;
		struct site *s;
		uint32_t msr = 0;
		int kind, arg, known;

		if (len > MAX_INSN || !decode(&in, qemu_plugin_insn_data(q), len))
			continue;
		kind = classify(&in, &arg);
		if (kind < 0)
			continue;
		s = get_site(q, &in, kind, arg);
		if (kind != K_WRMSR) {
			qemu_plugin_register_vcpu_insn_exec_cb(q, exec_site,
							       QEMU_PLUGIN_CB_NO_REGS, s);
			continue;
		}
		known = resolve_ecx(tb, i, &msr);
		qemu_plugin_register_vcpu_insn_exec_cb(q, exec_wrmsr, QEMU_PLUGIN_CB_NO_REGS,
						       get_msr_use(s, known, msr));
	}
}

/* Sites whose code is the passage's frame, or at its guest address. */
static int site_in_passage(const struct site *s)
{
	return (s->va & PAGE_MASK) == passage_va || is_passage_frame(s->frame);
}

static void print_site(FILE *f, const struct site *s, const char *cls,
		       const int *sides, unsigned int nr_sides)
{
	const struct msr_use *m;
	uint64_t count = 0, unknown = 0, c;
	unsigned int i, listed = 0;

	for (i = 0; i < nr_sides; i++)
		count += s->count[sides[i]];
	if (!count)
		return;
	fprintf(f, "site class=%s kind=%s va=0x%" PRIx64 " count=%" PRIu64 " arg=",
		cls, kind_names[s->kind], s->va, count);
	if (s->arg >= 0)
		fprintf(f, "0x%x", s->arg);
	else
		fputs(s->kind == K_IN || s->kind == K_OUT ? "dx" : "-", f);
	fputs(" msr=", f);
	for (m = s->msrs; m; m = m->next) {
		for (c = 0, i = 0; i < nr_sides; i++)
			c += m->count[sides[i]];
		if (!c)
			continue;
		if (!m->known) {
			unknown += c;
			continue;
		}
		fprintf(f, "%s0x%x:%" PRIu64, listed++ ? "," : "", m->msr, c);
	}
	if (!listed)
		fputc('-', f);
	fprintf(f, " unknown=%" PRIu64 " bytes=", unknown);
	for (i = 0; i < s->len; i++)
		fprintf(f, "%02x", s->bytes[i]);
	fprintf(f, " disas=%s\n", s->disas);
}

static void at_exit(qemu_plugin_id_t id, void *u)
{
	static const int all[] = { SIDE_FIRMWARE, SIDE_HOST, SIDE_GUEST };
	static const int firmware[] = { SIDE_FIRMWARE };
	static const int host[] = { SIDE_HOST }, guest[] = { SIDE_GUEST };
	const struct site *s;
	FILE *f = fopen(out_path, "w");

	if (!f) {
		perror(out_path);
		return;
	}
	fprintf(f, "# colinux-audit 1: site class=firmware|host|guest|passage kind= va= count= "
		   "arg= msr=MSR:COUNT,... unknown= bytes= disas=...\n");
	fprintf(f, "guest-entries %" PRIu64 "\n", guest_entries);
	fprintf(f, "passage-frames %u\n", nr_passage_frames);
	for (s = sites; s; s = s->next) {
		if (site_in_passage(s)) {
			print_site(f, s, "passage", all, 3);
		} else {
			print_site(f, s, "firmware", firmware, 1);
			print_site(f, s, "host", host, 1);
			print_site(f, s, "guest", guest, 1);
		}
	}
	fputs("end\n", f);
	if (fclose(f))
		perror(out_path);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "colinux-audit: needs qemu-system-x86_64\n");
		return -1;
	}
	if (info->system.max_vcpus > 1) {
		fprintf(stderr, "colinux-audit: one vCPU only (the side is kept per machine)\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			/* QEMU frees the arguments after install. */
			free((char *)out_path);
			out_path = strdup(argv[i] + 4);
		} else if (!strncmp(argv[i], "host-entry=", 11)) {
			host_entry = strtoull(argv[i] + 11, NULL, 0);
		} else if (!strncmp(argv[i], "passage=", 8)) {
			passage_va = strtoull(argv[i] + 8, NULL, 0);
		} else {
			fprintf(stderr, "colinux-audit: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!out_path || !*out_path) {
		fprintf(stderr, "colinux-audit: out=FILE is needed\n");
		return -1;
	}
	/* Without the host's entry there is no firmware class. */
	if (host_entry == ~0ULL)
		side = SIDE_HOST;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
