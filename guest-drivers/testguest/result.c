// SPDX-License-Identifier: GPL-2.0
/*
 * Test results on the console, one line each, then one summary line per
 * program:
 *
 *   PASS  prog: what
 *   FAIL  prog: what
 *   SKIP  prog: reason
 *   XFAIL prog: what (a known failure, not counted as one)
 *   == prog: 5 passed, 0 failed, 1 skipped, 0 xfailed ==
 *
 * "what" starts with the prefixes pushed at the time (tg_prefix_push):
 * "PASS  cobd_rw: unit 0: round 3: ...".
 *
 * tests/e2e reads these lines.
 */
#include "tg.h"

static const char *prog = "?";
static struct tg_totals cur, all;
static uint64_t mm_mark;	/* the allocator at the program's start */

/*
 * The prefix stack: the pushed texts, each followed by ": ", one after the
 * other in @text; @end[i] is where level i ends. Pushes beyond the depth
 * are counted in @lost (and add nothing) so that pushes and pops still
 * pair up; @unbalanced counts pops of an empty stack.
 */
static struct {
	char text[160];
	size_t end[TG_PREFIX_DEPTH];
	unsigned int depth, lost, unbalanced;
} pfx;

void tg_result_begin(const char *program)
{
	prog = program;
	memset(&cur, 0, sizeof(cur));
	memset(&pfx, 0, sizeof(pfx));
	mm_mark = tg_mm_mark();
	tg_printf("-- %s\n", program);
}

static void line(const char *tag, const char *fmt, va_list ap)
{
	char msg[512];

	tg_vsnprintf(msg, sizeof(msg), fmt, ap);
	tg_printf("%-5s %s: %s%s\n", tag, prog, pfx.text, msg);
}

void tg_prefix_push(const char *fmt, ...)
{
	size_t at = pfx.depth ? pfx.end[pfx.depth - 1] : 0;
	va_list ap;
	int n;

	if (pfx.depth == TG_PREFIX_DEPTH) {
		pfx.lost++;
		return;
	}
	/* Both writes truncate at the end of the buffer and leave a NUL. */
	va_start(ap, fmt);
	n = tg_vsnprintf(pfx.text + at, sizeof(pfx.text) - at, fmt, ap);
	va_end(ap);
	at = MIN(at + (size_t)n, sizeof(pfx.text) - 1);
	n = tg_snprintf(pfx.text + at, sizeof(pfx.text) - at, ": ");
	pfx.end[pfx.depth++] = MIN(at + (size_t)n, sizeof(pfx.text) - 1);
}

void tg_prefix_pop(void)
{
	if (pfx.lost) {
		pfx.lost--;
		return;
	}
	if (!pfx.depth) {
		pfx.unbalanced++;
		return;
	}
	pfx.depth--;
	pfx.text[pfx.depth ? pfx.end[pfx.depth - 1] : 0] = '\0';
}

void tg_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("PASS", fmt, ap);
	va_end(ap);
	cur.pass++;
}

void tg_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("FAIL", fmt, ap);
	va_end(ap);
	cur.fail++;
}

void tg_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("SKIP", fmt, ap);
	va_end(ap);
	cur.skip++;
}

void tg_xfail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("XFAIL", fmt, ap);
	va_end(ap);
	cur.xfail++;
}

bool tg_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line(ok ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	if (ok)
		cur.pass++;
	else
		cur.fail++;
	return ok;
}

/* A prefix left on the stack would mislabel every later line. */
static void prefix_check(void)
{
	unsigned int left = pfx.depth + pfx.lost, extra = pfx.unbalanced;

	memset(&pfx, 0, sizeof(pfx));
	if (left)
		tg_fail("message prefixes pushed and not popped: %u", left);
	if (extra)
		tg_fail("message prefixes popped that were not pushed: %u", extra);
}

/*
 * What a program takes from tg_page_alloc it gives back: the allocator is
 * a bump allocator, so a leak in one program starves the ones after it in
 * test=all. Fail the program and take the memory back.
 */
static void memory_check(void)
{
	uint64_t kept = tg_mm_since(mm_mark);

	if (!kept)
		return;
	tg_fail("%llu KiB from tg_page_alloc not given back (tg_mm_mark/tg_mm_release)",
		(unsigned long long)(kept >> 10));
	tg_mm_release(mm_mark);
}

unsigned int tg_result_end(void)
{
	prefix_check();
	memory_check();
	/* A program that checked nothing has not shown anything works. */
	if (!cur.pass && !cur.fail && !cur.skip && !cur.xfail)
		tg_fail("no result reported");
	tg_printf("== %s: %u passed, %u failed, %u skipped, %u xfailed ==\n",
		  prog, cur.pass, cur.fail, cur.skip, cur.xfail);
	all.pass += cur.pass;
	all.fail += cur.fail;
	all.skip += cur.skip;
	all.xfail += cur.xfail;
	return cur.fail;
}

void tg_result_totals(struct tg_totals *t)
{
	*t = all;
}
