// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor's small helpers (monitor/lib.c): strings, formatting through
 * the host, number parsing, error names and logging.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "co_test.h"
#include <colinux/lib.h>
#include <sim/sim.h>

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	co_sim_fault_reset();
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

/* ---- Strings ---------------------------------------------------------- */

static void test_strlen(void **state)
{
	char big[5000];

	assert_int_equal(co_strlen(""), 0);
	assert_int_equal(co_strlen("a"), 1);
	assert_int_equal(co_strlen("hello\0world"), 5);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(co_strlen(big), sizeof(big) - 1);

	assert_int_equal(co_strnlen("hello", 0), 0);
	assert_int_equal(co_strnlen("hello", 3), 3);
	assert_int_equal(co_strnlen("hello", 5), 5);
	assert_int_equal(co_strnlen("hello", 6), 5);
	assert_int_equal(co_strnlen("hello", SIZE_MAX), 5);
	assert_int_equal(co_strnlen("", 10), 0);
}

/*
 * co_strnlen must not look past @max: the string ends a page whose
 * neighbour is (with shuffled frames, almost surely) not allocated, so a
 * read past it faults.
 */
static void test_strnlen_stops_at_max(void **state)
{
	uint64_t pfn;
	char *page;

	assert_int_equal(co_host_pages_alloc(1, &pfn), 0);
	page = co_host_map(pfn);
	assert_non_null(page);
	memset(page, 'x', CO_SIM_PAGE_SIZE);
	/* The last 4 bytes of the page, no NUL; the next page is not ours. */
	assert_int_equal(co_strnlen(page + CO_SIM_PAGE_SIZE - 4, 4), 4);
	co_host_unmap(page, pfn);
	co_host_pages_free(1, &pfn);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_strcmp(void **state)
{
	assert_int_equal(co_strcmp("", ""), 0);
	assert_int_equal(co_strcmp("abc", "abc"), 0);
	assert_int_equal(sign(co_strcmp("abc", "abd")), -1);
	assert_int_equal(sign(co_strcmp("abd", "abc")), 1);
	assert_int_equal(sign(co_strcmp("ab", "abc")), -1);
	assert_int_equal(sign(co_strcmp("abc", "ab")), 1);
	assert_int_equal(sign(co_strcmp("", "a")), -1);
	/* Bytes compare as unsigned, like the C library. */
	assert_int_equal(sign(co_strcmp("\xff", "a")), 1);
	assert_int_equal(sign(co_strcmp("a", "\x80")), -1);

	assert_int_equal(co_strncmp("abc", "abd", 2), 0);
	assert_int_equal(sign(co_strncmp("abc", "abd", 3)), -1);
	assert_int_equal(co_strncmp("abc", "xyz", 0), 0);
	assert_int_equal(co_strncmp("abc", "abc", 100), 0);
	assert_int_equal(sign(co_strncmp("ab", "abc", 3)), -1);
	assert_int_equal(sign(co_strncmp("abc", "ab", 3)), 1);
	assert_int_equal(sign(co_strncmp("\xfe", "\x01", 1)), 1);
	/* Equal strings shorter than n: stop at the NUL, read no further. */
	assert_int_equal(co_strncmp("a\0x", "a\0y", 3), 0);
}

static void test_strlcpy(void **state)
{
	char buf[8];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "hello", sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(buf[6], '#');		/* nothing past the NUL */

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "exactly8", sizeof(buf)), 8);
	assert_string_equal(buf, "exactly");

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "a much longer string", sizeof(buf)),
			 20);
	assert_string_equal(buf, "a much ");

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "1234567", sizeof(buf)), 7);
	assert_string_equal(buf, "1234567");

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "abc", 1), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], '#');

	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_strlcpy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], '#');

	assert_int_equal(co_strlcpy(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_strdup(void **state)
{
	const char src[] = "some text";
	char *a, *b, *c, *d;

	a = co_strdup(src);
	assert_non_null(a);
	assert_ptr_not_equal(a, src);
	assert_string_equal(a, src);
	b = co_strndup(src, 4);
	assert_string_equal(b, "some");
	c = co_strndup(src, 100);	/* n past the end: the whole string */
	assert_string_equal(c, src);
	d = co_strdup("");
	assert_non_null(d);
	assert_string_equal(d, "");
	assert_int_equal(co_sim_heap_in_use(), 4);
	co_host_free(a);
	co_host_free(b);
	co_host_free(c);
	co_host_free(d);
	assert_int_equal(co_sim_heap_in_use(), 0);

	/* co_strndup(s, n) reads at most n bytes: no NUL needed after them. */
	{
		char raw[3] = { 'x', 'y', 'z' };

		a = co_strndup(raw, sizeof(raw));
		assert_string_equal(a, "xyz");
		co_host_free(a);
	}

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_null(co_strdup(src));
	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_null(co_strndup(src, 3));
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_HEAP_ALLOC), 2);
	assert_int_equal(co_sim_heap_in_use(), 0);
}

static void test_strchr(void **state)
{
	const char *s = "a=b=c", *empty = "", *high = "caf\xe9!";

	assert_ptr_equal(co_strchr(s, '='), s + 1);
	assert_ptr_equal(co_strchr(s, 'c'), s + 4);
	assert_ptr_equal(co_strchr(s, 'a'), s);
	assert_null(co_strchr(s, 'x'));
	/* The terminator itself can be found, as in C. */
	assert_ptr_equal(co_strchr(s, '\0'), s + 5);
	assert_ptr_equal(co_strchr(empty, '\0'), empty);
	assert_null(co_strchr(empty, 'a'));
	/* High bytes, given as the int the C library would get. */
	assert_ptr_equal(co_strchr(high, 0xe9), high + 3);
	assert_ptr_equal(co_strchr(high, '!'), high + 4);
}

/* ---- Formatting -------------------------------------------------------- */

#define CHECK_FMT(expect, ...)						\
	do {								\
		char b_[256];						\
		int n_ = co_snprintf(b_, sizeof(b_), __VA_ARGS__);	\
		assert_string_equal(b_, expect);			\
		assert_int_equal(n_, strlen(expect));			\
	} while (0)

static void test_snprintf_conversions(void **state)
{
	char buf[64];
	void *p = (void *)(uintptr_t)0x1234abcd;

	CHECK_FMT("", "%s", "");
	CHECK_FMT("plain", "plain");
	CHECK_FMT("-42 42 7", "%d %i %u", -42, 42, 7u);
	CHECK_FMT("ff FF 0", "%x %X %x", 255u, 255u, 0u);
	CHECK_FMT("s=abc c=Z %", "s=%s c=%c %%", "abc", 'Z');
	CHECK_FMT("-128 65535", "%hhd %hu", (signed char)-128,
		  (unsigned short)65535);
	CHECK_FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK_FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK_FMT("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	CHECK_FMT("-1 4294967295", "%ld %lu", -1L, 4294967295UL);
	CHECK_FMT("123456789012", "%zu", (size_t)123456789012ULL);
	CHECK_FMT("[   42] [42   ] [00042]", "[%5d] [%-5d] [%05d]", 42, 42, 42);
	CHECK_FMT("[0000ab]", "[%06x]", 0xabu);
	CHECK_FMT("[ab] [abc  ] [  abc]", "[%.2s] [%-5s] [%5s]", "abcdef",
		  "abc", "abc");
	CHECK_FMT("[he]", "[%.*s]", 2, "hello");
	CHECK_FMT("[007]", "[%.3d]", 7);

	co_snprintf(buf, sizeof(buf), "%p", p);
	assert_non_null(strstr(buf, "1234abcd"));
}

static void test_snprintf_truncation(void **state)
{
	char buf[8];
	int n;

	memset(buf, '#', sizeof(buf));
	n = co_snprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345);
	assert_int_equal(n, 12);		/* what it would have taken */
	assert_string_equal(buf, "abcdef-");	/* always terminated */

	memset(buf, '#', sizeof(buf));
	n = co_snprintf(buf, 1, "xyz");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], '#');

	memset(buf, '#', sizeof(buf));
	n = co_snprintf(buf, 0, "xyz");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], '#');
	assert_int_equal(co_snprintf(NULL, 0, "%d", 1234), 4);

	n = co_snprintf(buf, sizeof(buf), "1234567");
	assert_int_equal(n, 7);
	assert_string_equal(buf, "1234567");
}

static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = co_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_vsnprintf(void **state)
{
	char buf[32];

	assert_int_equal(call_vsnprintf(buf, sizeof(buf), "%s/%u/%x", "a", 10u,
					10u), 6);
	assert_string_equal(buf, "a/10/a");
	assert_int_equal(call_vsnprintf(buf, 4, "%d", 123456), 6);
	assert_string_equal(buf, "123");
}

/* ---- co_parse_u64 ------------------------------------------------------ */

static int pu(const char *s, uint64_t max, uint64_t *out)
{
	return co_parse_u64(s, strlen(s), max, out);
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	assert_int_equal(pu("0", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(pu("42", UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(pu("007", UINT64_MAX, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(pu("0x1f", UINT64_MAX, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(pu("0XAbCdEf", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0xabcdef);
	assert_int_equal(pu("0x0", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(pu("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(pu("0xffffffffffffffff", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(pu("0x00000000000000000001", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1);
}

static void test_parse_u64_max(void **state)
{
	uint64_t v = 77;

	assert_int_equal(pu("100", 100, &v), 0);
	assert_int_equal(v, 100);
	v = 77;
	assert_int_equal(pu("101", 100, &v), -CO_ERANGE);
	assert_int_equal(v, 77);		/* untouched on error */
	assert_int_equal(pu("0x64", 100, &v), 0);
	assert_int_equal(pu("0x65", 100, &v), -CO_ERANGE);
	assert_int_equal(pu("0", 0, &v), 0);
	assert_int_equal(pu("1", 0, &v), -CO_ERANGE);
	/* Past 64 bits: range, not a wrapped value. */
	v = 77;
	assert_int_equal(pu("18446744073709551616", UINT64_MAX, &v), -CO_ERANGE);
	assert_int_equal(pu("99999999999999999999999", UINT64_MAX, &v),
			 -CO_ERANGE);
	assert_int_equal(pu("0x10000000000000000", UINT64_MAX, &v), -CO_ERANGE);
	assert_int_equal(pu("36893488147419103232", UINT64_MAX, &v), -CO_ERANGE);
	assert_int_equal(v, 77);
}

static void test_parse_u64_junk(void **state)
{
	uint64_t v = 77;

	assert_int_equal(pu("", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(co_parse_u64(NULL, 0, UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("0x", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("x1", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("-1", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("+1", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu(" 1", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("1 ", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("12a", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("1f", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("0x1g", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("0x-1", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("0b101", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(pu("1.5", UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(v, 77);
}

/* Only [s, s+len) counts: what follows is not looked at. */
static void test_parse_u64_len(void **state)
{
	uint64_t v;

	assert_int_equal(co_parse_u64("123abc", 3, UINT64_MAX, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(co_parse_u64("80x25", 2, UINT64_MAX, &v), 0);
	assert_int_equal(v, 80);
	assert_int_equal(co_parse_u64("0x10", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(co_parse_u64("0x10", 2, UINT64_MAX, &v), -CO_EINVAL);
	assert_int_equal(co_parse_u64("0x10", 3, UINT64_MAX, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(co_parse_u64("5", 0, UINT64_MAX, &v), -CO_EINVAL);
	{
		char raw[2] = { '4', '2' };	/* not terminated */

		assert_int_equal(co_parse_u64(raw, 2, UINT64_MAX, &v), 0);
		assert_int_equal(v, 42);
	}
}

/* ---- Errors and logging ---------------------------------------------- */

static void test_strerror(void **state)
{
	int e;

	assert_string_equal(co_strerror(0), "success");
	assert_string_equal(co_strerror(-CO_ENOMEM), "out of memory");
	assert_string_equal(co_strerror(CO_ENOMEM), "out of memory");
	assert_string_equal(co_strerror(-CO_ENOENT), "not found");
	assert_string_equal(co_strerror(-CO_EIO), "input/output error");
	assert_string_equal(co_strerror(-CO_EACCES), "permission denied");
	assert_string_equal(co_strerror(-CO_ERR_MAX), "unknown error");
	assert_string_equal(co_strerror(CO_ERR_MAX), "unknown error");
	assert_string_equal(co_strerror(-1000), "unknown error");
	assert_string_equal(co_strerror(INT_MAX), "unknown error");
	/* Every code has its own non-empty name. */
	for (e = 0; e < CO_ERR_MAX; e++) {
		int f;

		assert_non_null(co_strerror(-e));
		assert_true(strlen(co_strerror(-e)) > 0);
		assert_string_not_equal(co_strerror(-e), "unknown error");
		for (f = 0; f < e; f++)
			assert_string_not_equal(co_strerror(-e),
						co_strerror(-f));
	}
}

struct log_rec {
	int level;
	char line[1024];
	unsigned int calls;
};

static void log_hook(void *ctx, int level, const char *line)
{
	struct log_rec *r = ctx;

	r->level = level;
	snprintf(r->line, sizeof(r->line), "%s", line);
	r->calls++;
}

static void test_log(void **state)
{
	struct log_rec r = { 0 };
	char big[1000];
	int old = co_sim_log_level(CO_LOG_ERROR - 1);	/* keep stderr quiet */

	co_sim_log_hook(log_hook, &r);
	co_err("disk %u: %s", 3u, "gone");
	assert_int_equal(r.level, CO_LOG_ERROR);
	assert_string_equal(r.line, "disk 3: gone");
	co_warn("w%d", 1);
	assert_int_equal(r.level, CO_LOG_WARN);
	assert_string_equal(r.line, "w1");
	co_info("i");
	assert_int_equal(r.level, CO_LOG_INFO);
	co_dbg("%s", "");
	assert_int_equal(r.level, CO_LOG_DEBUG);
	assert_string_equal(r.line, "");
	assert_int_equal(r.calls, 4);

	/* A long line is cut, not overrun. */
	memset(big, 'L', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	co_err("%s", big);
	assert_int_equal(r.calls, 5);
	assert_true(strlen(r.line) >= 255);
	assert_true(strlen(r.line) < sizeof(big) - 1);
	assert_int_equal(strspn(r.line, "L"), strlen(r.line));

	co_sim_log_hook(NULL, NULL);
	co_sim_log_level(old);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_strlen),
		T(test_strnlen_stops_at_max),
		T(test_strcmp),
		T(test_strlcpy),
		T(test_strdup),
		T(test_strchr),
		T(test_snprintf_conversions),
		T(test_snprintf_truncation),
		T(test_vsnprintf),
		T(test_parse_u64),
		T(test_parse_u64_max),
		T(test_parse_u64_junk),
		T(test_parse_u64_len),
		T(test_strerror),
		T(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
