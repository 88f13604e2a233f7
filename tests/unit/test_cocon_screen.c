// SPDX-License-Identifier: GPL-2.0
/* cocon's screen model on its own: the byte stream and what it shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sim/sim.h>

#include "co_test.h"
#include <colinux/lib.h>
#include "devices/cocon_screen.h"

struct fix {
	struct co_screen s;
	char snap[64 * 1024];
};

static struct co_screen *new_screen(void **state, unsigned int cols,
				    unsigned int rows, unsigned int sb)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(co_screen_init(&f->s, cols, rows, sb), 0);
	*state = f;
	return &f->s;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f) {
		co_screen_free(&f->s);
		free(f);
	}
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
	return 0;
}

static void put(struct co_screen *s, const char *str)
{
	co_screen_write(s, str, strlen(str));
}

static const char *snap(struct co_screen *s)
{
	struct fix *f = (struct fix *)s;	/* s is the first member */
	size_t n = co_screen_snapshot(s, f->snap, sizeof(f->snap));

	assert_true(n < sizeof(f->snap));
	assert_int_equal(strlen(f->snap), n);
	return f->snap;
}

static void assert_cursor(struct co_screen *s, unsigned int x, unsigned int y)
{
	assert_int_equal(s->cx, x);
	assert_int_equal(s->cy, y);
}

static void test_init_limits(void **state)
{
	struct co_screen s;

	(void)state;
	assert_int_equal(co_screen_init(&s, 15, 25, 10), -CO_EINVAL);
	assert_int_equal(co_screen_init(&s, 513, 25, 10), -CO_EINVAL);
	assert_int_equal(co_screen_init(&s, 80, 1, 10), -CO_EINVAL);
	assert_int_equal(co_screen_init(&s, 80, 501, 10), -CO_EINVAL);
	assert_int_equal(co_screen_init(&s, 512, 500, 0), 0);
	co_screen_free(&s);
	assert_int_equal(co_screen_init(&s, 16, 2, 1), 0);
	co_screen_free(&s);
}

static void test_init_nomem(void **state)
{
	struct co_screen s;
	unsigned int n;

	(void)state;
	/* Each of the four allocations fails in turn; nothing leaks. */
	for (n = 1; n <= 4; n++) {
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, n, 0);
		assert_int_equal(co_screen_init(&s, 80, 25, 100), -CO_ENOMEM);
		assert_int_equal(co_sim_heap_in_use(), 0);
	}
	co_sim_fault_reset();
	assert_int_equal(co_screen_init(&s, 80, 25, 100), 0);
	co_screen_free(&s);
}

static void test_print_and_controls(void **state)
{
	struct co_screen *s = new_screen(state, 80, 25, 10);

	assert_string_equal(snap(s), "");
	put(s, "hello");
	assert_string_equal(snap(s), "hello");
	assert_cursor(s, 5, 0);
	/* LF is CR + LF. */
	put(s, "\nworld");
	assert_string_equal(snap(s), "hello\nworld");
	assert_cursor(s, 5, 1);
	put(s, "\rW");
	assert_string_equal(snap(s), "hello\nWorld");
	/* BS moves, does not erase, and stops at column 0. */
	put(s, "\b\bX");
	assert_string_equal(snap(s), "hello\nXorld");
	put(s, "\r\b\b\bY");
	assert_string_equal(snap(s), "hello\nYorld");
	/* BEL, other C0 controls and DEL do nothing. */
	put(s, "\a\x01\x0b\x0c\x0e\x1f\x7fZ");
	assert_string_equal(snap(s), "hello\nYZrld");
	assert_cursor(s, 2, 1);
	/* Blank lines in between survive; trailing blanks do not. */
	put(s, "\n\n  end   ");
	assert_string_equal(snap(s), "hello\nYZrld\n\n  end");
}

static void test_tabs(void **state)
{
	struct co_screen *s = new_screen(state, 20, 5, 0);

	put(s, "a\tb\tc");
	assert_string_equal(snap(s), "a       b       c");
	/* Exactly on a stop: to the next one. */
	put(s, "\r\t\tX");
	assert_cursor(s, 17, 0);
	assert_string_equal(snap(s), "a       b       X");
	/* Past the last stop: the last column, no wrap. */
	put(s, "\tY\tZ");
	assert_cursor(s, 19, 0);
	assert_true(s->wrap_pending);
	assert_string_equal(snap(s), "a       b       X  Z");
}

static void test_wrap(void **state)
{
	struct co_screen *s = new_screen(state, 16, 4, 10);

	put(s, "0123456789abcdef");
	/* Deferred wrap: the cursor waits on the last column. */
	assert_cursor(s, 15, 0);
	assert_true(s->wrap_pending);
	put(s, "g");
	assert_string_equal(snap(s), "0123456789abcdef\ng");
	assert_cursor(s, 1, 1);
	/* A full line and then \n gives no empty line. */
	put(s, "\rABCDEFGHIJKLMNOP\nnext");
	assert_string_equal(snap(s), "0123456789abcdef\nABCDEFGHIJKLMNOP\nnext");
	/* CR on a pending wrap stays on the line. */
	put(s, "\r0123456789abcdef\rQ");
	assert_string_equal(snap(s),
			    "0123456789abcdef\nABCDEFGHIJKLMNOP\nQ123456789abcdef");
	/* BS on a pending wrap: one column left, like a VT100. */
	put(s, "\r0123456789abcdef\bZ");
	assert_string_equal(snap(s),
			    "0123456789abcdef\nABCDEFGHIJKLMNOP\n0123456789abcdZf");
}

static void test_scroll_and_scrollback(void **state)
{
	struct co_screen *s = new_screen(state, 16, 4, 10);
	char line[32];

	put(s, "L0\nL1\nL2\nL3");
	assert_int_equal(co_screen_scrollback_lines(s), 0);
	put(s, "\nL4\nL5");
	assert_string_equal(snap(s), "L2\nL3\nL4\nL5");
	assert_int_equal(co_screen_scrollback_lines(s), 2);
	assert_int_equal(co_screen_scrollback_line(s, 0, line, sizeof(line)), 2);
	assert_string_equal(line, "L0");
	assert_int_equal(co_screen_scrollback_line(s, 1, line, sizeof(line)), 2);
	assert_string_equal(line, "L1");
	assert_int_equal(co_screen_scrollback_line(s, 2, line, sizeof(line)),
			 -CO_ERANGE);
	assert_string_equal(line, "");
	/* Wrapping at the bottom scrolls too. */
	put(s, "\n0123456789abcdefXY");
	assert_string_equal(snap(s), "L4\nL5\n0123456789abcdef\nXY");
	assert_int_equal(co_screen_scrollback_lines(s), 4);
	assert_int_equal(co_screen_scrollback_line(s, 3, line, sizeof(line)), 2);
	assert_string_equal(line, "L3");
	/* Truncated copies still say the full length. */
	put(s, "\n\n\n");
	assert_int_equal(co_screen_scrollback_line(s, 6, line, 5), 16);
	assert_string_equal(line, "0123");
}

static void test_scrollback_bound(void **state)
{
	struct co_screen *s = new_screen(state, 80, 25, CO_SCREEN_SCROLLBACK);
	char line[128], want[32];
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "line%u\n", i);
		put(s, line);
	}
	/* 1000 lines + an empty one on 25 rows: 976 scrolled off. */
	assert_int_equal(co_screen_scrollback_lines(s), CO_SCREEN_SCROLLBACK);
	for (i = 0; i < CO_SCREEN_SCROLLBACK; i++) {
		snprintf(want, sizeof(want), "line%u", 476 + i);
		assert_int_equal(co_screen_scrollback_line(s, i, line,
							   sizeof(line)),
				 strlen(want));
		assert_string_equal(line, want);
	}
	assert_int_equal(co_screen_scrollback_line(s, CO_SCREEN_SCROLLBACK,
						   line, sizeof(line)),
			 -CO_ERANGE);
	assert_int_equal(co_screen_row(s, 0, line, sizeof(line)), 7);
	assert_string_equal(line, "line976");
	assert_int_equal(co_screen_row(s, 23, line, sizeof(line)), 7);
	assert_string_equal(line, "line999");
	assert_int_equal(co_screen_row(s, 24, line, sizeof(line)), 0);
	assert_int_equal(co_screen_row(s, 25, line, sizeof(line)), 0);
	assert_cursor(s, 0, 24);
}

static void test_no_scrollback(void **state)
{
	struct co_screen *s = new_screen(state, 16, 2, 0);
	char line[8] = "x";

	put(s, "a\nb\nc\nd");
	assert_string_equal(snap(s), "c\nd");
	assert_int_equal(co_screen_scrollback_lines(s), 0);
	assert_int_equal(co_screen_scrollback_line(s, 0, line, sizeof(line)),
			 -CO_ERANGE);
}

static void test_csi_cursor(void **state)
{
	struct co_screen *s = new_screen(state, 20, 6, 0);

	put(s, "\x1b[3;5HX");
	assert_string_equal(snap(s), "\n\n    X");
	put(s, "\x1b[HA\x1b[;7fB\x1b[0;0HC");
	assert_string_equal(snap(s), "C     B\n\n    X");
	put(s, "\x1b[2;2H\x1b[BD\x1b[2CE\x1b[AF\x1b[3DG");
	assert_string_equal(snap(s), "C     B\n   G F\n D  E");
	/* Moves clamp at every edge. */
	put(s, "\x1b[H\x1b[99A\x1b[99D");
	assert_cursor(s, 0, 0);
	put(s, "\x1b[99B\x1b[99C");
	assert_cursor(s, 19, 5);
	put(s, "\x1b[0A\x1b[D");	/* 0 and nothing both mean 1 */
	assert_cursor(s, 18, 4);
	put(s, "\x1b[7GH\x1b[2dI");
	assert_string_equal(snap(s), "C     B\n   G F I\n D  E\n\n      H");
	/* Moves cancel a pending wrap. */
	put(s, "\x1b[6;1H01234567890123456789\x1b[D!");
	assert_string_equal(snap(s),
			    "C     B\n   G F I\n D  E\n\n      H\n012345678901234567!9");
	assert_int_equal(co_screen_scrollback_lines(s), 0);
}

static void test_csi_erase(void **state)
{
	struct co_screen *s = new_screen(state, 16, 4, 0);
	const char *fill = "\x1b[H""aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\ndddddddddd";

	put(s, fill);
	put(s, "\x1b[2;4H\x1b[K");
	assert_string_equal(snap(s), "aaaaaaaaaa\nbbb\ncccccccccc\ndddddddddd");
	put(s, "\x1b[3;4H\x1b[1K");
	assert_string_equal(snap(s), "aaaaaaaaaa\nbbb\n    cccccc\ndddddddddd");
	put(s, "\x1b[1;4H\x1b[2K");
	assert_string_equal(snap(s), "\nbbb\n    cccccc\ndddddddddd");
	/* The cursor stays where it was. */
	assert_cursor(s, 3, 0);

	put(s, fill);
	put(s, "\x1b[2;5H\x1b[J");
	assert_string_equal(snap(s), "aaaaaaaaaa\nbbbb");
	put(s, fill);
	put(s, "\x1b[3;5H\x1b[1J");
	assert_string_equal(snap(s), "\n\n     ccccc\ndddddddddd");
	put(s, fill);
	put(s, "\x1b[2J");
	assert_string_equal(snap(s), "");
	assert_cursor(s, 10, 3);
	/* Unknown modes change nothing. */
	put(s, fill);
	put(s, "\x1b[3J\x1b[9K\x1b[2;2H\x1b[7J");
	assert_string_equal(snap(s),
			    "aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\ndddddddddd");
	/* Erasing past a row's end and re-printing beyond it. */
	put(s, "\x1b[2;13H\x1b[1KX");
	assert_string_equal(snap(s),
			    "aaaaaaaaaa\n            X\ncccccccccc\ndddddddddd");
}

static void test_csi_ignored(void **state)
{
	struct co_screen *s = new_screen(state, 20, 4, 0);

	put(s, "\x1b[1;31mred\x1b[0m \x1b[38:2:1:2:3mx\x1b[m");
	assert_string_equal(snap(s), "red x");
	put(s, "\x1b[?25l\x1b[?1049h\x1b[5n\x1b[2 q\x1b[>0c\x1b[1;2r\x1b[@y");
	assert_string_equal(snap(s), "red xy");
	assert_cursor(s, 6, 0);
	/* Private markers stop H from moving. */
	put(s, "\x1b[?3;3H");
	assert_cursor(s, 6, 0);
	/* Other escapes: charset selection, keypad, RIS... all skipped. */
	put(s, "\x1b(B\x1b)0\x1b=\x1b>\x1b" "c\x1b#8z");
	assert_string_equal(snap(s), "red xyz");
	/* OSC titles end at BEL or ST. */
	put(s, "\x1b]0;a title\x07" "1\x1b]2;other\x1b\\2");
	assert_string_equal(snap(s), "red xyz12");
	/* CAN and SUB abort a sequence; the rest prints. */
	put(s, "\x1b[5\x18" "A\x1b[\x1a" "B");
	assert_string_equal(snap(s), "red xyz12AB");
	/* Controls inside a CSI act; ESC restarts the sequence. */
	put(s, "\x1b[\r3CX\x1b[3\x1b[2;1HY");
	assert_string_equal(snap(s), "redXxyz12AB\nY");
	/* Digits after a control still belong to the sequence. */
	put(s, "\x1b[1\r2C>");
	assert_cursor(s, 13, 1);
	/* DEL or a high byte end the sequence, unexecuted and unprinted. */
	put(s, "\r\x1b[3\x7f" "A\x1b[3\xc3" "A");
	assert_string_equal(snap(s), "redXxyz12AB\nAA          >");
}

static void test_hostile_params(void **state)
{
	struct co_screen *s = new_screen(state, 80, 25, 10);
	size_t n = 3 + 2 * 9999 + 1;
	char *buf = malloc(n + 1), *p;
	char want[128];
	size_t i;

	put(s, "\x1b[999999999;99999999H");
	assert_cursor(s, 79, 24);
	put(s, "X");
	assert_true(s->wrap_pending);
	put(s, "\x1b[99999999999999999999999999999999999999A");
	assert_cursor(s, 79, 0);
	put(s, "\x1b[4294967297C\x1b[4294967296D");
	assert_cursor(s, 0, 0);

	/* 10000 parameters: the count saturates, the first ones count. */
	assert_non_null(buf);
	p = buf + sprintf(buf, "\x1b[3");
	for (i = 1; i < 10000; i++)
		p += sprintf(p, ";9");
	*p++ = 'H';
	assert_int_equal(p - buf, n);
	co_screen_write(s, buf, n);
	assert_true(s->nparam <= CO_SCREEN_MAX_PARAMS + 1);
	assert_cursor(s, 8, 2);
	/* 10000 separators only. */
	memset(buf, ';', n);
	co_screen_write(s, "\x1b[", 2);
	co_screen_write(s, buf, n);
	co_screen_write(s, "HZ", 2);
	assert_cursor(s, 1, 0);
	free(buf);
	memset(want, '\n', 25);
	want[0] = 'Z';
	memset(want + 25, ' ', 79);
	strcpy(want + 25 + 79, "X");
	assert_string_equal(snap(s), want);
}

/* The same stream, written whole or in pieces, gives the same screen. */
static const char stream[] =
	"boot: \x1b[1;32mOK\x1b[0m\n\tindent\x1b[2;30Hfar\x1b[K\r\n"
	"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x80\xff!\n"
	"\x1b]0;title\x07\x1b[3A\x1b[5Cmid\x1b[1K\x1b[10;1H"
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789XYZ\x1b[?25h\x1b[20;70Hbottom\x1b[J\x1b[25;1H\n\n\nend\b\bE";

static void test_split_anywhere(void **state)
{
	struct co_screen *s = new_screen(state, 80, 25, 10);
	struct co_screen t;
	size_t len = sizeof(stream) - 1, cut, i;
	char whole[4096];

	co_screen_write(s, stream, len);
	snprintf(whole, sizeof(whole), "%s", snap(s));
	assert_int_equal(co_screen_init(&t, 80, 25, 10), 0);
	for (cut = 0; cut <= len; cut++) {
		char got[4096];

		co_screen_clear(&t);
		co_screen_write(&t, stream, cut);
		co_screen_write(&t, stream + cut, len - cut);
		co_screen_snapshot(&t, got, sizeof(got));
		assert_string_equal(got, whole);
		assert_int_equal(t.cx, s->cx);
		assert_int_equal(t.cy, s->cy);
	}
	co_screen_clear(&t);
	for (i = 0; i < len; i++)
		co_screen_write(&t, stream + i, 1);
	co_screen_snapshot(&t, whole, sizeof(whole));
	assert_string_equal(whole, snap(s));
	co_screen_free(&t);
}

static void test_utf8(void **state)
{
	struct co_screen *s = new_screen(state, 40, 4, 0);

	put(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!");
	assert_string_equal(snap(s), "caf? ? ?!");
	/* Stray continuation bytes and invalid bytes: one '?' each. */
	put(s, "\n\x80\xbf\xf8\xff.");
	assert_string_equal(snap(s), "caf? ? ?!\n????.");
	/* A sequence cut short by ASCII or another lead byte. */
	put(s, "\n\xe2\x82" "A\xc3\xe2\x82\xac" "B");
	assert_string_equal(snap(s), "caf? ? ?!\n????.\n?A??B");
	/* Overlong/surrogate forms are still one code point each. */
	put(s, "\n\xc0\x80\xed\xa0\x80.");
	assert_string_equal(snap(s), "caf? ? ?!\n????.\n?A??B\n??.");
}

static void test_snapshot_buffer(void **state)
{
	struct co_screen *s = new_screen(state, 16, 3, 0);
	char buf[8];

	put(s, "abcdef\n  \nxyz   ");
	assert_int_equal(co_screen_snapshot(s, NULL, 0), 11);
	memset(buf, '#', sizeof(buf));
	assert_int_equal(co_screen_snapshot(s, buf, 1), 11);
	assert_string_equal(buf, "");
	assert_int_equal(co_screen_snapshot(s, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "abcdef\n");
	assert_string_equal(snap(s), "abcdef\n\nxyz");
	/* Trailing blank rows are dropped, inner ones kept. */
	put(s, "\x1b[3;1H\x1b[2K");
	assert_string_equal(snap(s), "abcdef");
	assert_int_equal(co_screen_row(s, 0, buf, 4), 6);
	assert_string_equal(buf, "abc");
}

static void test_reset_parser(void **state)
{
	struct co_screen *s = new_screen(state, 16, 3, 0);

	put(s, "ab\x1b[3");
	co_screen_reset_parser(s);
	put(s, "C");
	assert_string_equal(snap(s), "abC");
	put(s, "\xe2");
	co_screen_reset_parser(s);
	put(s, "\x82");
	assert_string_equal(snap(s), "abC??");
}

/* Random bytes: no crash, the cursor and every row stay in bounds. */
static void test_random_stream(void **state)
{
	struct co_screen *s = new_screen(state, 16, 3, 4);
	uint64_t seed = co_test_seed("cocon_screen random");
	static const char alphabet[] =
		"\x1b[;0123456789?HfABCDGdJKm\n\r\b\t\x80\xc3\xe2 x]\x07\x18";
	uint8_t buf[4096];
	unsigned int round, i, y;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			uint64_t r = co_test_rand(&seed);

			buf[i] = (r & 1) ? (uint8_t)(r >> 8) :
				 (uint8_t)alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		}
		co_screen_write(s, buf, sizeof(buf));
		assert_true(s->cx < s->cols);
		assert_true(s->cy < s->rows);
		assert_true(s->top < s->rows);
		assert_true(s->sb_count <= s->sb_max);
		for (y = 0; y < s->rows; y++)
			assert_true(s->len[y] <= s->cols);
		assert_true(co_screen_snapshot(s, NULL, 0) <= 3 * 17);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init_limits, teardown),
		cmocka_unit_test_teardown(test_init_nomem, teardown),
		cmocka_unit_test_teardown(test_print_and_controls, teardown),
		cmocka_unit_test_teardown(test_tabs, teardown),
		cmocka_unit_test_teardown(test_wrap, teardown),
		cmocka_unit_test_teardown(test_scroll_and_scrollback, teardown),
		cmocka_unit_test_teardown(test_scrollback_bound, teardown),
		cmocka_unit_test_teardown(test_no_scrollback, teardown),
		cmocka_unit_test_teardown(test_csi_cursor, teardown),
		cmocka_unit_test_teardown(test_csi_erase, teardown),
		cmocka_unit_test_teardown(test_csi_ignored, teardown),
		cmocka_unit_test_teardown(test_hostile_params, teardown),
		cmocka_unit_test_teardown(test_split_anywhere, teardown),
		cmocka_unit_test_teardown(test_utf8, teardown),
		cmocka_unit_test_teardown(test_snapshot_buffer, teardown),
		cmocka_unit_test_teardown(test_reset_parser, teardown),
		cmocka_unit_test_teardown(test_random_stream, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
