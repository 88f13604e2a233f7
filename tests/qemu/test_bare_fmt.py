# SPDX-License-Identifier: GPL-2.0
"""The bare-metal host's own vsnprintf (sim-host/bare/fmt.c), compiled for
the build machine and compared with the C library's snprintf on every
conversion, flag, width, precision and length the contract names, and on
truncation."""
import subprocess

import pytest

from qemu_rig import REPO

DRIVER = r"""
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>
int co_host_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
static int ours(char *b, size_t n, const char *fmt, ...)
{
	va_list ap; int r;
	va_start(ap, fmt); r = co_host_vsnprintf(b, n, fmt, ap); va_end(ap);
	return r;
}
static int bad;
#define CMP(size, ...) do {						\
	char a[128], b[128]; int ra, rb;				\
	memset(a, 'X', sizeof(a)); memset(b, 'X', sizeof(b));		\
	ra = snprintf(a, size, __VA_ARGS__);				\
	rb = ours(b, size, __VA_ARGS__);				\
	if (ra != rb || memcmp(a, b, sizeof(a))) {			\
		printf("MISMATCH %s: libc %d \"%s\" ours %d \"%s\"\n",	\
		       #__VA_ARGS__, ra, a, rb, b);			\
		bad++;							\
	}								\
} while (0)
int main(void)
{
	CMP(128, "%d %i %u %x %X %%", -42, 17, 3000000000u, 0xbeefu, 0xbeefu);
	CMP(128, "[%5d] [%-5d] [%05d] [%.3d] [%8.3d] [%-8.3d]", 42, 42, -42, 7, -7, 7);
	CMP(128, "[%hhd] [%hhu] [%hd] [%hu] [%hhx]", 300, 300, 70000, 70000, 0x1ff);
	CMP(128, "[%ld] [%lu] [%lx] [%lld] [%llu] [%llx]", -5L, 5UL, 0xabcUL,
	    (long long)INT64_MIN, (unsigned long long)UINT64_MAX, 0x123456789abcdefULL);
	CMP(128, "[%zu] [%zx] [%zd]", (size_t)12345, (size_t)0xfff, (size_t)99);
	CMP(128, "[%s] [%10s] [%-10s] [%.2s] [%*s] [%-*s] [%.*s]", "abc", "abc", "abc",
	    "abc", 6, "xy", 6, "xy", 1, "xyz");
	CMP(128, "[%c] [%3c] [%-3c]", 'q', 'r', 's');
	CMP(128, "[%p] [%p]", (void *)0x1234, (void *)0xffff888000001000ULL);
	CMP(128, "[%.0d] [%.0u] [%0*d] [%08x] [%-08x]", 0, 0u, 6, -3, 0x1fu, 0x1fu);
	CMP(128, "%s", "");
	CMP(1, "abcdef");
	CMP(4, "abcdef %d", 12345);
	CMP(7, "%05d|%s", 1, "long string");
	CMP(0, "nothing written %d", 5);
	printf("%d mismatches\n", bad);
	return bad != 0;
}
"""


def test_vsnprintf_matches_libc(tmp_path):
    src = tmp_path / "driver.c"
    src.write_text(DRIVER)
    exe = tmp_path / "fmt"
    cc = subprocess.run(["gcc", "-O1", "-Wall", "-Wno-format", "-Wno-format-truncation",
                         "-I", str(REPO / "monitor" / "include"),
                         "-o", str(exe), str(src), str(REPO / "sim-host" / "bare" / "fmt.c")],
                        capture_output=True, text=True)
    if cc.returncode:
        pytest.fail("cannot build fmt.c for the host:\n" + cc.stderr)
    p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout
    assert "0 mismatches" in p.stdout
