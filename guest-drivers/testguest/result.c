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
 * tests/e2e reads these lines.
 */
#include "tg.h"

static const char *prog = "?";
static struct tg_totals cur, all;

void tg_result_begin(const char *program)
{
	prog = program;
	memset(&cur, 0, sizeof(cur));
	tg_printf("-- %s\n", program);
}

static void line(const char *tag, const char *fmt, va_list ap)
{
	char msg[512];

	tg_vsnprintf(msg, sizeof(msg), fmt, ap);
	tg_printf("%-5s %s: %s\n", tag, prog, msg);
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

unsigned int tg_result_end(void)
{
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
