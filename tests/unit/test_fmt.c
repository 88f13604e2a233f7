// SPDX-License-Identifier: GPL-2.0
/*
 * co_vsnprintf (monitor/fmt.c), the one formatter of the monitor, the NT
 * driver and the bare-metal host, held to the C library's snprintf on
 * every conversion, flag, width, precision and length it supports, and on
 * truncation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <colinux/lib.h>

static int ours(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = co_vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return r;
}

#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat"

/* Both into 'X'-filled buffers: results, returns and untouched bytes agree. */
#define CMP(size, ...) do {						\
	char a[128], b[128];						\
	int ra, rb;							\
	memset(a, 'X', sizeof(a));					\
	memset(b, 'X', sizeof(b));					\
	ra = snprintf(size ? a : NULL, size, __VA_ARGS__);		\
	rb = ours(size ? b : NULL, size, __VA_ARGS__);			\
	if (ra != rb || memcmp(a, b, sizeof(a)))			\
		fail_msg("%s: libc %d \"%.*s\", ours %d \"%.*s\"",	\
			 #__VA_ARGS__, ra, (int)sizeof(a), a, rb,	\
			 (int)sizeof(b), b);				\
} while (0)

static void integers(void **state)
{
	CMP(128, "%d %i %u %x %X %%", -42, 17, 3000000000u, 0xbeefu, 0xbeefu);
	CMP(128, "[%5d] [%-5d] [%05d] [%.3d] [%8.3d] [%-8.3d]", 42, 42, -42, 7, -7, 7);
	CMP(128, "[%hhd] [%hhu] [%hd] [%hu] [%hhx]", 300, 300, 70000, 70000, 0x1ff);
	CMP(128, "[%ld] [%lu] [%lx] [%lld] [%llu] [%llx]", -5L, 5UL, 0xabcUL,
	    (long long)INT64_MIN, (unsigned long long)UINT64_MAX,
	    0x123456789abcdefULL);
	CMP(128, "[%zu] [%zx] [%zd]", (size_t)12345, (size_t)0xfff, (size_t)99);
	CMP(128, "[%.0d] [%.0u] [%0*d] [%08x] [%-08x]", 0, 0u, 6, -3, 0x1fu, 0x1fu);
	CMP(128, "[%d] [%d]", INT32_MIN, INT32_MAX);
}

static void strings_chars_pointers(void **state)
{
	CMP(128, "[%s] [%10s] [%-10s] [%.2s] [%*s] [%-*s] [%.*s]", "abc", "abc",
	    "abc", "abc", 6, "xy", 6, "xy", 1, "xyz");
	CMP(128, "[%c] [%3c] [%-3c]", 'q', 'r', 's');
	CMP(128, "[%p] [%p]", (void *)0x1234, (void *)0xffff888000001000ULL);
	CMP(128, "%s", "");
}

static void truncation(void **state)
{
	CMP(1, "abcdef");
	CMP(4, "abcdef %d", 12345);
	CMP(7, "%05d|%s", 1, "long string");
	CMP(0, "nothing written %d", 5);
	CMP(128, "%-100s|%d", "wide", 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers),
		cmocka_unit_test(strings_chars_pointers),
		cmocka_unit_test(truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
