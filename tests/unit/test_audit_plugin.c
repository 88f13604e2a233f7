// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction audit's TCG plugin (qemu-rig/audit/audit.c) against a
 * fake of QEMU's plugin API: which instructions it counts and as what,
 * when the code of a translation block tells a wrmsr's MSR number (and,
 * as important, when it does not: an unknown MSR must never be reported
 * as known), and how executions are split into firmware, host, passage
 * and guest. tests/qemu/test_qemu_audit.py runs the same plugin in QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "co_test.h"

#include "../../qemu-rig/audit/audit.c"

/* ---- a fake of the plugin API --------------------------------------------- */

#define FAKE_INSNS	8

struct qemu_plugin_insn {
	uint64_t vaddr;
	uint8_t bytes[MAX_INSN];
	size_t len;
	void *haddr;
	qemu_plugin_vcpu_udata_cb_t cb;
	void *udata;
};

struct qemu_plugin_tb {
	uint64_t vaddr;
	size_t n;
	struct qemu_plugin_insn insns[FAKE_INSNS];
	qemu_plugin_vcpu_udata_cb_t cb;
	void *udata;
};

static qemu_plugin_vcpu_tb_trans_cb_t trans_cb;
static qemu_plugin_udata_cb_t exit_cb;

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb)
{
	trans_cb = cb;
}

void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata)
{
	assert_null(tb->cb);
	tb->cb = cb;
	tb->udata = userdata;
}

void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata)
{
	assert_null(insn->cb);
	insn->cb = cb;
	insn->udata = userdata;
}

void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata)
{
	exit_cb = cb;
}

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb)
{
	return tb->n;
}

uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb)
{
	return tb->vaddr;
}

struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx)
{
	return idx < tb->n ? (struct qemu_plugin_insn *)&tb->insns[idx] : NULL;
}

const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn)
{
	return insn->bytes;
}

size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn)
{
	return insn->len;
}

uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn)
{
	return insn->vaddr;
}

void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn)
{
	return insn->haddr;
}

char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn)
{
	return strdup("fake");
}

void qemu_plugin_outs(const char *string)
{
}

/* ---- helpers ----------------------------------------------------------------- */

/* Frames of "guest RAM" as QEMU would hand out host pointers into it. */
static uint8_t ram[8][4096] __attribute__((aligned(4096)));

/*
 * A translation block at @va in RAM frame @frame (-1: not in RAM) of the
 * instructions in @hex, a NULL-terminated list of hex strings.
 */
static void build_tb(struct qemu_plugin_tb *tb, uint64_t va, int frame, const char *const *hex)
{
	uint64_t at = va;

	memset(tb, 0, sizeof(*tb));
	tb->vaddr = va;
	for (; *hex; hex++) {
		struct qemu_plugin_insn *q = &tb->insns[tb->n++];
		size_t i, n = strlen(*hex) / 2;

		assert_true(tb->n <= FAKE_INSNS && n <= MAX_INSN);
		for (i = 0; i < n; i++)
			sscanf(*hex + 2 * i, "%2hhx", &q->bytes[i]);
		q->len = n;
		q->vaddr = at;
		q->haddr = frame < 0 ? NULL : &ram[frame][at & 0xfff];
		at += n;
	}
}

static void translate(struct qemu_plugin_tb *tb, uint64_t va, int frame, const char *const *hex)
{
	build_tb(tb, va, frame, hex);
	trans_cb(1, tb);
}

/* Run @tb once as QEMU would: its own callback, then each instruction's. */
static void execute(struct qemu_plugin_tb *tb)
{
	size_t i;

	if (tb->cb)
		tb->cb(0, tb->udata);
	for (i = 0; i < tb->n; i++)
		if (tb->insns[i].cb)
			tb->insns[i].cb(0, tb->insns[i].udata);
}

static char out_file[256];

/* Forget every site (freed: the sanitizer builds look for leaks). */
static void reset(void)
{
	while (sites) {
		struct site *s = sites;

		sites = s->next;
		while (s->msrs) {
			struct msr_use *m = s->msrs;

			s->msrs = m->next;
			free(m);
		}
		free(s->disas);
		free(s);
	}
	free((char *)out_path);
	out_path = NULL;
	memset(buckets, 0, sizeof(buckets));
	sites = NULL;
	sites_tail = &sites;
	nr_passage_frames = 0;
	guest_entries = 0;
	host_entry = ~0ULL;
	passage_va = CO_PASSAGE_CODE_VA;
	side = SIDE_FIRMWARE;
}

static int install(const char *host_entry_arg)
{
	qemu_info_t info = { .target_name = "x86_64", .system_emulation = true,
			     .system = { 1, 1 } };
	char out_arg[300], *argv[2];
	int argc = 0;

	reset();
	snprintf(out_arg, sizeof(out_arg), "out=%s", out_file);
	argv[argc++] = out_arg;
	if (host_entry_arg)
		argv[argc++] = (char *)host_entry_arg;
	return qemu_plugin_install(1, &info, argc, argv);
}

/* The MSR the plugin found for the wrmsr that ends @hex: -1 if not known. */
static int64_t msr_of(const char *const *hex)
{
	struct qemu_plugin_tb tb;
	struct msr_use *m;

	translate(&tb, 0xffffffff80201000, 0, hex);
	assert_ptr_equal(tb.insns[tb.n - 1].cb, exec_wrmsr);
	m = tb.insns[tb.n - 1].udata;
	return m->known ? (int64_t)m->msr : -1;
}

#define MSR_OF(...)	msr_of((const char *const []){ __VA_ARGS__, NULL })

/* ---- tests ------------------------------------------------------------------- */

static void msr_from_the_code(void **state)
{
	assert_int_equal(install(NULL), 0);
	/* test=audit_bad's first wrmsr */
	assert_int_equal(MSR_OF("b974010000", "0f32", "0f30"), 0x174);
	/* the passage's LOAD_MSR: loads through %r8 into eax/edx */
	assert_int_equal(MSR_OF("b9000100c0", "418b80b0000000", "418b90b4000000", "0f30"),
			 0xc0000100);
	/* the host's boot.S (32-bit code): or into %eax */
	assert_int_equal(MSR_OF("b9800000c0", "0f32", "0d01090000", "0f30"), 0xc0000080);
	/* cpu.c: mov $imm, %rax (c7 /0 to rax), mov %rax,%rdx, shr $32,%rdx */
	assert_int_equal(MSR_OF("48c7c020351100", "b9820000c0", "4889c2", "48c1ea20", "0f30"),
			 0xc0000082);
	/* mov $imm32, %rcx sign-extended; movabs $imm64, %rcx; xor %ecx, %ecx */
	assert_int_equal(MSR_OF("48c7c178563412", "0f30"), 0x12345678);
	assert_int_equal(MSR_OF("48b90301000c00000000", "0f30"), 0xc000103);
	assert_int_equal(MSR_OF("31c9", "0f30"), 0);
	/* other registers around it: pop %r9, mov %bpl, %al, push, xchg %eax,%edx */
	assert_int_equal(MSR_OF("b974010000", "4159", "4088e8", "55", "92", "0f30"), 0x174);
	/* the last definition counts */
	assert_int_equal(MSR_OF("b974010000", "b975010000", "0f30"), 0x175);
}

static void msr_not_from_the_code(void **state)
{
	assert_int_equal(install(NULL), 0);
	/* nothing before it in the block */
	assert_int_equal(MSR_OF("0f30"), -1);
	/* test=audit_bad's second wrmsr: ECX from memory, then from %esi */
	assert_int_equal(MSR_OF("8b0db3860000", "0f32", "8b35ab860000", "89f1", "0f30"), -1);
	/* something writes (part of) RCX after the constant */
	assert_int_equal(MSR_OF("b974010000", "89f1", "0f30"), -1);	/* mov %esi,%ecx */
	assert_int_equal(MSR_OF("b974010000", "b501", "0f30"), -1);	/* mov $1,%ch */
	assert_int_equal(MSR_OF("b974010000", "88e9", "0f30"), -1);	/* mov %ch,%cl */
	assert_int_equal(MSR_OF("b974010000", "fec1", "0f30"), -1);	/* inc %cl */
	assert_int_equal(MSR_OF("b974010000", "59", "0f30"), -1);		/* pop %rcx */
	assert_int_equal(MSR_OF("b974010000", "91", "0f30"), -1);		/* xchg %eax,%ecx */
	assert_int_equal(MSR_OF("b974010000", "0fa2", "0f30"), -1);	/* cpuid */
	assert_int_equal(MSR_OF("b974010000", "f348ab", "0f30"), -1);	/* rep stos */
	assert_int_equal(MSR_OF("b974010000", "e2fe", "0f30"), -1);	/* loop */
	assert_int_equal(MSR_OF("b974010000", "0f01f9", "0f30"), -1);	/* rdtscp */
	assert_int_equal(MSR_OF("b974010000", "0f05", "0f30"), -1);	/* syscall */
	assert_int_equal(MSR_OF("b974010000", "c5f877", "0f30"), -1);	/* vzeroupper: VEX */
	assert_int_equal(MSR_OF("b974010000", "480fc9", "0f30"), -1);	/* bswap %rcx */
	assert_int_equal(MSR_OF("b974010000", "0f44c8", "0f30"), -1);	/* cmove %eax,%ecx */
	assert_int_equal(MSR_OF("b974010000", "0f20d9", "0f30"), -1);	/* mov %cr3,%rcx */
	/* a constant into part of ECX, or into another register */
	assert_int_equal(MSR_OF("66b97401", "0f30"), -1);			/* mov $imm16,%cx */
	assert_int_equal(MSR_OF("41b974010000", "0f30"), -1);		/* mov $imm,%r9d */
	assert_int_equal(MSR_OF("4531c9", "0f30"), -1);			/* xor %r9d,%r9d */
	assert_int_equal(MSR_OF("b174", "0f30"), -1);			/* mov $imm8,%cl */
	/* 32-bit code: 0x41 is inc %ecx, an instruction of its own */
	assert_int_equal(MSR_OF("b974010000", "41", "0f30"), -1);
}

/* One instruction at a fresh address: the kind it was counted as, and arg. */
static const char *kind_of(const char *hex, int *arg)
{
	static uint64_t va = 0xffffffff80300000;
	struct qemu_plugin_tb tb;
	const struct site *s;

	translate(&tb, va, 1, (const char *const []){ hex, NULL });
	va += 0x10;
	if (!tb.insns[0].cb)
		return "-";
	s = tb.insns[0].cb == exec_wrmsr ? ((struct msr_use *)tb.insns[0].udata)->site :
					   tb.insns[0].udata;
	*arg = s->arg;
	return kind_names[s->kind];
}

#define KIND(hex, kind, want_arg) do {					\
	int a_ = -2;							\
	assert_string_equal(kind_of(hex, &a_), kind);			\
	if (strcmp(kind, "-"))						\
		assert_int_equal(a_, want_arg);				\
} while (0)

static void what_is_counted(void **state)
{
	assert_int_equal(install(NULL), 0);
	KIND("0f30", "wrmsr", -1);
	KIND("e680", "out", 0x80);	/* out %al, $0x80 */
	KIND("66e770", "out", 0x70);	/* out %ax, $0x70 */
	KIND("ee", "out", -1);		/* out %al, %dx */
	KIND("ef", "out", -1);
	KIND("6e", "out", -1);		/* outsb */
	KIND("f36f", "out", -1);	/* rep outsl */
	KIND("e460", "in", 0x60);
	KIND("ec", "in", -1);
	KIND("f36d", "in", -1);		/* rep insl */
	KIND("f4", "hlt", -1);
	KIND("0f01c9", "mwait", -1);
	KIND("0f01fb", "mwait", -1);	/* mwaitx */
	KIND("0f09", "wbinvd", -1);
	KIND("f30f09", "wbinvd", -1);	/* wbnoinvd */
	KIND("0f08", "invd", -1);
	KIND("0f01d1", "xsetbv", -1);
	KIND("0f22c0", "cr0", 0);	/* mov %rax, %cr0 */
	KIND("0f01f0", "cr0", 0);	/* lmsw %ax */
	KIND("0f0130", "cr0", 0);	/* lmsw (%rax) */
	KIND("0f06", "cr0", 0);		/* clts */
	KIND("0f22e0", "cr4", 4);
	KIND("440f22c0", "cr8", 8);	/* mov %rax, %cr8 */
	KIND("f00f22c0", "cr8", 8);	/* AMD: lock mov %eax, %cr0 */
	KIND("0f23f8", "dr", 7);	/* mov %rax, %dr7 */
	KIND("0f23c0", "dr", 0);
	/* not counted: reads, CR2/CR3, other system instructions */
	KIND("0f32", "-", 0);		/* rdmsr */
	KIND("0f20c0", "-", 0);		/* mov %cr0, %rax */
	KIND("0f22d8", "-", 0);		/* mov %rax, %cr3 */
	KIND("0f22d0", "-", 0);		/* mov %rax, %cr2 */
	KIND("0f01d0", "-", 0);		/* xgetbv */
	KIND("0f01c8", "-", 0);		/* monitor */
	KIND("0f0138", "-", 0);		/* invlpg (%rax) */
	KIND("0f21f8", "-", 0);		/* mov %dr7, %rax */
	KIND("cc", "-", 0);
}

/* The report: one line per site and class, as test_qemu_audit.py reads it. */
static char *report(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	exit_cb(1, NULL);
	f = fopen(out_file, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void has_line(const char *rep, const char *want)
{
	if (!strstr(rep, want))
		fail_msg("no \"%s\" in the report:\n%s", want, rep);
}

/*
 * firmware -> host -> host's passage entry -> passage at the guest's
 * address -> guest -> passage at the guest's address -> passage at the
 * host's address -> host, twice; with an out in the firmware, the host
 * and the guest, and a wrmsr in the passage at both addresses.
 */
static void classes(void **state)
{
	const uint64_t host_pva = 0xffff888000123000;
	struct qemu_plugin_tb fw, entry, host, to_guest, load_guest, guest, to_host, load_host;
	const char *rep;
	int i;

	assert_int_equal(install("host-entry=0x100000"), 0);
	translate(&fw, 0xf0000, -1, (const char *const []){ "e680", NULL });
	translate(&entry, 0x100000, 2, (const char *const []){ "fa", "e6e9", NULL });
	translate(&host, 0xffffffffc0110000, 3, (const char *const []){ "ee", NULL });
	/* The host's entry into the passage: translated before the plugin knows its frame. */
	translate(&to_guest, host_pva + 0x1bb, 4, (const char *const []){ "0f22e0", NULL });
	translate(&load_guest, CO_PASSAGE_CODE_VA + 0x490, 4,
		  (const char *const []){ "b9000100c0", "0f30", NULL });
	translate(&guest, 0xffffffff80200000, 5, (const char *const []){ "e680", NULL });
	translate(&to_host, CO_PASSAGE_CODE_VA, 4, (const char *const []){ "9c", NULL });
	translate(&load_host, host_pva + 0x490, 4,
		  (const char *const []){ "b9000100c0", "0f30", NULL });
	assert_ptr_equal(load_guest.cb, run_guest_va);
	assert_ptr_equal(to_host.cb, run_guest_va);
	assert_ptr_equal(load_host.cb, run_host_va);
	assert_null(to_guest.cb);	/* not needed: the CPU is in the host there */

	execute(&fw);
	execute(&fw);
	execute(&entry);
	for (i = 0; i < 2; i++) {
		execute(&host);
		execute(&to_guest);
		execute(&load_guest);
		execute(&guest);
		execute(&guest);
		execute(&guest);
		execute(&to_host);
		execute(&load_host);
	}
	execute(&host);
	rep = report();
	has_line(rep, "guest-entries 2\n");
	has_line(rep, "passage-frames 1\n");
	has_line(rep, "site class=firmware kind=out va=0xf0000 count=2 arg=0x80 msr=- unknown=0 "
		      "bytes=e680 disas=fake\n");
	has_line(rep, "site class=host kind=out va=0x100001 count=1 arg=0xe9 ");
	has_line(rep, "site class=host kind=out va=0xffffffffc0110000 count=3 arg=dx ");
	has_line(rep, "site class=guest kind=out va=0xffffffff80200000 count=6 arg=0x80 ");
	/* The host's CR4 write in the passage, seen before the frame was: still the passage's. */
	has_line(rep, "site class=passage kind=cr4 va=0xffff8880001231bb count=2 arg=0x4 ");
	has_line(rep, "site class=passage kind=wrmsr va=0xffff800000000495 count=2 arg=- "
		      "msr=0xc0000100:2 unknown=0 bytes=0f30 ");
	has_line(rep, "site class=passage kind=wrmsr va=0xffff888000123495 count=2 arg=- "
		      "msr=0xc0000100:2 unknown=0 bytes=0f30 ");
	assert_null(strstr(rep, "class=guest kind=wrmsr"));
	assert_null(strstr(rep, "class=host kind=out va=0xffffffff80200000"));
	assert_true(strlen(rep) > 4 && !strcmp(rep + strlen(rep) - 4, "end\n"));
}

/* A wrmsr known in one translation and not in another: counted apart. */
static void one_site_two_translations(void **state)
{
	struct qemu_plugin_tb a, b;
	const char *rep;

	assert_int_equal(install(NULL), 0);
	translate(&a, 0xffffffffc0120000, 6, (const char *const []){ "b974010000", "0f30", NULL });
	/* the same wrmsr entered directly (say, after an exception), alone in its block */
	translate(&b, 0xffffffffc0120005, 6, (const char *const []){ "0f30", NULL });
	execute(&a);
	execute(&b);
	execute(&b);
	rep = report();
	has_line(rep, "site class=host kind=wrmsr va=0xffffffffc0120005 count=3 arg=- "
		      "msr=0x174:1 unknown=2 bytes=0f30 ");
}

static void install_checks(void **state)
{
	qemu_info_t info = { .target_name = "x86_64", .system_emulation = true,
			     .system = { 1, 1 } };
	char bad[] = "bogus=1", noout[] = "passage=0x1000", out[] = "out=/dev/null";
	char *argv_bad[] = { out, bad }, *argv_noout[] = { noout }, *argv_ok[] = { out };

	reset();
	assert_int_equal(qemu_plugin_install(1, &info, 2, argv_bad), -1);
	reset();
	assert_int_equal(qemu_plugin_install(1, &info, 1, argv_noout), -1);
	info.system.max_vcpus = 2;
	assert_int_equal(qemu_plugin_install(1, &info, 1, argv_ok), -1);
	info.system.max_vcpus = 1;
	info.target_name = "aarch64";
	assert_int_equal(qemu_plugin_install(1, &info, 1, argv_ok), -1);
	info.target_name = "x86_64";
	info.system_emulation = false;
	assert_int_equal(qemu_plugin_install(1, &info, 1, argv_ok), -1);
	info.system_emulation = true;
	assert_int_equal(qemu_plugin_install(1, &info, 1, argv_ok), 0);
	/* Without host-entry= there is no firmware class: the host from the start. */
	assert_int_equal(side, SIDE_HOST);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msr_from_the_code),
		cmocka_unit_test(msr_not_from_the_code),
		cmocka_unit_test(what_is_counted),
		cmocka_unit_test(classes),
		cmocka_unit_test(one_site_two_translations),
		cmocka_unit_test(install_checks),
	};

	co_test_tmp_path(out_file, sizeof(out_file), "audit-report.txt");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
