/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cocon's text screen model, private to the console device (and its unit
 * tests). It turns the guest's output byte stream into a cols x rows grid
 * of characters plus a bounded scrollback.
 *
 * What the stream means (the guest is untrusted; every byte is O(1) state,
 * at worst O(rows + cols) work, and nothing depends on a guest-chosen
 * count):
 *
 *   0x20..0x7e	printed at the cursor. Wrapping is deferred like a VT100:
 *		a character in the last column leaves the cursor there, and
 *		the next printable character first moves to the start of the
 *		next line. So a full-width line followed by "\n" does not
 *		produce an empty line.
 *   \n		new line AND carriage return (a terminal with onlcr), since
 *		Linux's printk and most early console paths emit bare \n.
 *		At the bottom row the screen scrolls; the top row moves into
 *		the scrollback.
 *   \r		column 0.
 *   \b		one column left (not past column 0); nothing is erased.
 *   \t		to the next multiple of 8, at most the last column.
 *   \a, other C0 controls, 0x7f	ignored.
 *   >= 0x80	UTF-8: each code point is shown as one '?'. A lead byte
 *		prints the '?', its continuation bytes are swallowed; a
 *		stray continuation byte or an invalid byte (0xf8..0xff) is
 *		one '?' of its own; a sequence cut short by a non-
 *		continuation byte is abandoned and that byte is processed
 *		normally.
 *   ESC [ ... final	CSI. H/f row;col (1-based, clamped), A/B/C/D moves,
 *		G column, d row, J 0/1/2 erase display, K 0/1/2 erase line,
 *		m (SGR) accepted and ignored. Any other final byte, any
 *		private marker (ESC [ ? ...) or intermediate byte makes the
 *		sequence a no-op. At most CO_SCREEN_MAX_PARAMS parameters
 *		are kept (extra ones are parsed and dropped) and each value
 *		saturates at CO_SCREEN_PARAM_MAX. C0 controls inside a CSI
 *		are executed as usual; CAN/SUB abort it; ESC restarts.
 *   ESC ] ... BEL or ESC \	OSC (window titles): skipped.
 *   ESC x	any other escape (with intermediates 0x20..0x2f): ignored.
 *
 * The state survives between writes: the stream may be split anywhere,
 * including inside an escape sequence, with the same result.
 */
#ifndef CO_MONITOR_COCON_SCREEN_H
#define CO_MONITOR_COCON_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CO_SCREEN_SCROLLBACK	500	/* lines kept by default */
#define CO_SCREEN_MAX_PARAMS	16
#define CO_SCREEN_PARAM_MAX	9999

enum co_screen_state {
	CO_SCR_GROUND,
	CO_SCR_ESC,
	CO_SCR_ESC_INTER,
	CO_SCR_CSI,
	CO_SCR_OSC,
};

/*
 * Rows are a circular array (scrolling moves @top, not the text), and
 * each row remembers how many leading columns it uses: everything past
 * len[] is blank. That keeps scrolling and erasing cheap whatever the
 * guest sends.
 */
struct co_screen {
	unsigned int cols, rows;
	char *cell;			/* rows * cols, physical row order */
	uint16_t *len;			/* per physical row */
	unsigned int top;		/* physical index of screen row 0 */
	unsigned int cx, cy;		/* cursor, screen coordinates */
	bool wrap_pending;

	/* Scrollback: a ring of sb_max lines, oldest at sb_first. */
	char *sb_cell;
	uint16_t *sb_len;
	unsigned int sb_max, sb_first, sb_count;

	/* Parser. */
	enum co_screen_state state;
	unsigned int param[CO_SCREEN_MAX_PARAMS];
	unsigned int nparam;		/* parameters seen, saturating */
	bool csi_ignore;		/* private marker or intermediate seen */
	unsigned int utf8_left;		/* continuation bytes still expected */
};

/* cols/rows within the config limits; sb_lines may be 0. [passive] */
int co_screen_init(struct co_screen *s, unsigned int cols, unsigned int rows,
		   unsigned int sb_lines);
void co_screen_free(struct co_screen *s);
/* Blank screen, cursor home, parser idle, scrollback emptied. */
void co_screen_clear(struct co_screen *s);

/* Back to the ground state mid-sequence (guest reset); text stays. */
void co_screen_reset_parser(struct co_screen *s);

void co_screen_write(struct co_screen *s, const void *bytes, size_t len);

/*
 * Screen row @y as text, trailing blanks trimmed; returns the trimmed
 * length, writes at most @size - 1 bytes and a NUL when @size > 0.
 */
size_t co_screen_row(const struct co_screen *s, unsigned int y, char *buf,
		     size_t size);

/*
 * The whole screen: rows joined by '\n' (no newline after the last one),
 * trailing blanks of each row trimmed and trailing empty rows left out; a
 * blank screen is "". snprintf-like: returns the full length, writes at
 * most @size - 1 bytes plus a NUL when @size > 0.
 */
size_t co_screen_snapshot(const struct co_screen *s, char *buf, size_t size);

unsigned int co_screen_scrollback_lines(const struct co_screen *s);
/*
 * Scrollback line @n (0 = oldest kept), trimmed like a row; returns its
 * full length (copied as by co_screen_row) or -CO_ERANGE.
 */
int co_screen_scrollback_line(const struct co_screen *s, unsigned int n,
			      char *buf, size_t size);

#endif
