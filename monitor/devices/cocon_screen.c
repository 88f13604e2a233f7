// SPDX-License-Identifier: GPL-2.0
/*
 * cocon's screen model: a byte stream in, a grid of characters and a
 * scrollback out. The stream's meaning is described in cocon_screen.h.
 */
#include <colinux/config.h>
#include <colinux/lib.h>
#include "cocon_screen.h"

#define ESC	0x1b
#define CAN	0x18
#define SUB	0x1a
#define BEL	0x07
#define TABSTOP	8

int co_screen_init(struct co_screen *s, unsigned int cols, unsigned int rows,
		   unsigned int sb_lines)
{
	co_memset(s, 0, sizeof(*s));
	if (cols < CO_COCON_MIN_COLS || cols > CO_COCON_MAX_COLS ||
	    rows < CO_COCON_MIN_ROWS || rows > CO_COCON_MAX_ROWS ||
	    sb_lines > 100000)
		return -CO_EINVAL;
	s->cols = cols;
	s->rows = rows;
	s->sb_max = sb_lines;
	s->cell = co_host_alloc((size_t)cols * rows);
	s->len = co_host_zalloc(rows * sizeof(*s->len));
	if (!s->cell || !s->len)
		goto nomem;
	if (sb_lines) {
		s->sb_cell = co_host_alloc((size_t)cols * sb_lines);
		s->sb_len = co_host_zalloc(sb_lines * sizeof(*s->sb_len));
		if (!s->sb_cell || !s->sb_len)
			goto nomem;
	}
	co_screen_clear(s);
	return 0;
nomem:
	co_screen_free(s);
	return -CO_ENOMEM;
}

void co_screen_free(struct co_screen *s)
{
	co_host_free(s->cell);
	co_host_free(s->len);
	co_host_free(s->sb_cell);
	co_host_free(s->sb_len);
	s->cell = NULL;
	s->len = NULL;
	s->sb_cell = NULL;
	s->sb_len = NULL;
}

void co_screen_reset_parser(struct co_screen *s)
{
	s->state = CO_SCR_GROUND;
	s->nparam = 0;
	s->csi_ignore = false;
	s->utf8_left = 0;
}

void co_screen_clear(struct co_screen *s)
{
	co_memset(s->len, 0, s->rows * sizeof(*s->len));
	s->top = 0;
	s->cx = 0;
	s->cy = 0;
	s->wrap_pending = false;
	s->sb_first = 0;
	s->sb_count = 0;
	co_screen_reset_parser(s);
}

static unsigned int phys_row(const struct co_screen *s, unsigned int y)
{
	unsigned int p = s->top + y;

	return p >= s->rows ? p - s->rows : p;
}

static char *row_cells(const struct co_screen *s, unsigned int y)
{
	return s->cell + (size_t)phys_row(s, y) * s->cols;
}

static uint16_t *row_len(const struct co_screen *s, unsigned int y)
{
	return &s->len[phys_row(s, y)];
}

/* Keep a row that scrolls off the top; the oldest line goes when full. */
static void scrollback_push(struct co_screen *s, const char *cells,
			    unsigned int len)
{
	unsigned int slot;

	if (!s->sb_max)
		return;
	if (s->sb_count < s->sb_max) {
		slot = (s->sb_first + s->sb_count) % s->sb_max;
		s->sb_count++;
	} else {
		slot = s->sb_first;
		s->sb_first = (s->sb_first + 1) % s->sb_max;
	}
	co_memcpy(s->sb_cell + (size_t)slot * s->cols, cells, len);
	s->sb_len[slot] = len;
}

static void scroll_up(struct co_screen *s)
{
	scrollback_push(s, row_cells(s, 0), *row_len(s, 0));
	*row_len(s, 0) = 0;
	s->top = phys_row(s, 1);
}

static void line_feed(struct co_screen *s)
{
	if (s->cy + 1 < s->rows)
		s->cy++;
	else
		scroll_up(s);
}

static void put_char(struct co_screen *s, char c)
{
	uint16_t *len;
	char *cells;

	if (s->wrap_pending) {
		s->wrap_pending = false;
		s->cx = 0;
		line_feed(s);
	}
	cells = row_cells(s, s->cy);
	len = row_len(s, s->cy);
	if (s->cx >= *len) {
		co_memset(cells + *len, ' ', s->cx - *len);
		*len = s->cx + 1;
	}
	cells[s->cx] = c;
	if (s->cx + 1 < s->cols)
		s->cx++;
	else
		s->wrap_pending = true;
}

/* Blank columns [from, to] of screen row y. */
static void erase_cols(struct co_screen *s, unsigned int y, unsigned int from,
		       unsigned int to)
{
	uint16_t *len = row_len(s, y);

	if (from >= *len)
		return;
	if (to + 1 >= *len) {
		*len = from;
		return;
	}
	co_memset(row_cells(s, y) + from, ' ', to + 1 - from);
}

static void erase_line(struct co_screen *s, unsigned int mode)
{
	switch (mode) {
	case 0:
		erase_cols(s, s->cy, s->cx, s->cols - 1);
		break;
	case 1:
		erase_cols(s, s->cy, 0, s->cx);
		break;
	case 2:
		*row_len(s, s->cy) = 0;
		break;
	}
}

static void erase_display(struct co_screen *s, unsigned int mode)
{
	unsigned int y;

	switch (mode) {
	case 0:
		erase_line(s, 0);
		for (y = s->cy + 1; y < s->rows; y++)
			*row_len(s, y) = 0;
		break;
	case 1:
		for (y = 0; y < s->cy; y++)
			*row_len(s, y) = 0;
		erase_line(s, 1);
		break;
	case 2:
		co_memset(s->len, 0, s->rows * sizeof(*s->len));
		break;
	}
}

/* Parameter @i, with 0 and "missing" both meaning @def. */
static unsigned int param(const struct co_screen *s, unsigned int i,
			  unsigned int def)
{
	unsigned int v;

	if (i >= s->nparam || i >= CO_SCREEN_MAX_PARAMS)
		return def;
	v = s->param[i];
	return v ? v : def;
}

/* Raw parameter @i, 0 when missing (erase modes). */
static unsigned int param0(const struct co_screen *s, unsigned int i)
{
	if (i >= s->nparam || i >= CO_SCREEN_MAX_PARAMS)
		return 0;
	return s->param[i];
}

static unsigned int clamp_to(unsigned int v, unsigned int max)
{
	return v > max ? max : v;
}

static void csi_dispatch(struct co_screen *s, uint8_t final)
{
	unsigned int n = param(s, 0, 1);

	if (s->csi_ignore)
		return;
	switch (final) {
	case 'H':
	case 'f':
		s->cy = clamp_to(n, s->rows) - 1;
		s->cx = clamp_to(param(s, 1, 1), s->cols) - 1;
		break;
	case 'A':
		s->cy -= clamp_to(n, s->cy);
		break;
	case 'B':
		s->cy += clamp_to(n, s->rows - 1 - s->cy);
		break;
	case 'C':
		s->cx += clamp_to(n, s->cols - 1 - s->cx);
		break;
	case 'D':
		s->cx -= clamp_to(n, s->cx);
		break;
	case 'G':
		s->cx = clamp_to(n, s->cols) - 1;
		break;
	case 'd':
		s->cy = clamp_to(n, s->rows) - 1;
		break;
	case 'J':
		erase_display(s, param0(s, 0));
		return;		/* erasing leaves the cursor (and wrap) alone */
	case 'K':
		erase_line(s, param0(s, 0));
		return;
	default:		/* 'm' and everything we do not model */
		return;
	}
	s->wrap_pending = false;
}

static void csi_start(struct co_screen *s)
{
	s->state = CO_SCR_CSI;
	s->nparam = 0;
	s->csi_ignore = false;
}

/* Digits and separators; the count and the values both saturate. */
static void csi_param_byte(struct co_screen *s, uint8_t b)
{
	unsigned int *p;

	if (b == ';' || b == ':') {
		if (s->nparam == 0) {
			s->nparam = 1;	/* the empty first parameter */
			s->param[0] = 0;
		}
		if (s->nparam <= CO_SCREEN_MAX_PARAMS)
			s->nparam++;
		if (s->nparam <= CO_SCREEN_MAX_PARAMS)
			s->param[s->nparam - 1] = 0;
		return;
	}
	if (b < '0' || b > '9') {	/* private markers < = > ? */
		s->csi_ignore = true;
		return;
	}
	if (s->nparam == 0) {
		s->nparam = 1;
		s->param[0] = 0;
	}
	if (s->nparam > CO_SCREEN_MAX_PARAMS)
		return;
	p = &s->param[s->nparam - 1];
	if (*p > CO_SCREEN_PARAM_MAX / 10)
		*p = CO_SCREEN_PARAM_MAX;
	else
		*p = *p * 10 + (b - '0');
	*p = clamp_to(*p, CO_SCREEN_PARAM_MAX);
}

static void control(struct co_screen *s, uint8_t b)
{
	switch (b) {
	case '\n':
		s->cx = 0;
		s->wrap_pending = false;
		line_feed(s);
		break;
	case '\r':
		s->cx = 0;
		s->wrap_pending = false;
		break;
	case '\b':
		if (s->cx)
			s->cx--;
		s->wrap_pending = false;
		break;
	case '\t':
		s->cx = clamp_to((s->cx / TABSTOP + 1) * TABSTOP, s->cols - 1);
		s->wrap_pending = false;
		break;
	case ESC:
		s->state = CO_SCR_ESC;
		break;
	case CAN:
	case SUB:
		s->state = CO_SCR_GROUND;
		break;
	default:		/* \a and the rest: nothing */
		break;
	}
}

/* Bytes >= 0x80 in the ground state: one '?' per code point. */
static void utf8_byte(struct co_screen *s, uint8_t b)
{
	if (b >= 0x80 && b <= 0xbf && s->utf8_left) {
		s->utf8_left--;
		return;
	}
	s->utf8_left = 0;
	if (b >= 0xc0 && b <= 0xdf)
		s->utf8_left = 1;
	else if (b >= 0xe0 && b <= 0xef)
		s->utf8_left = 2;
	else if (b >= 0xf0 && b <= 0xf7)
		s->utf8_left = 3;
	put_char(s, '?');
}

static void ground_byte(struct co_screen *s, uint8_t b)
{
	if (b >= 0x80) {
		utf8_byte(s, b);
		return;
	}
	s->utf8_left = 0;
	if (b >= 0x20 && b < 0x7f)
		put_char(s, (char)b);
	else
		control(s, b);
}

static void esc_byte(struct co_screen *s, uint8_t b)
{
	if (b == '[')
		csi_start(s);
	else if (b == ']')
		s->state = CO_SCR_OSC;
	else if (b >= 0x20 && b <= 0x2f)
		s->state = CO_SCR_ESC_INTER;
	else
		s->state = CO_SCR_GROUND;	/* a final byte: ignored */
}

static void csi_byte(struct co_screen *s, uint8_t b)
{
	if (b >= 0x30 && b <= 0x3f) {
		csi_param_byte(s, b);
	} else if (b >= 0x20 && b <= 0x2f) {
		s->csi_ignore = true;	/* intermediates: nothing we model */
	} else if (b >= 0x40 && b <= 0x7e) {
		s->state = CO_SCR_GROUND;
		csi_dispatch(s, b);
	} else {
		/* 0x7f and bytes >= 0x80 end the sequence unexecuted. */
		s->state = CO_SCR_GROUND;
	}
}

static void one_byte(struct co_screen *s, uint8_t b)
{
	/* C0 controls act in every state; ESC restarts a sequence. */
	if (s->state != CO_SCR_GROUND && b < 0x20) {
		if (s->state == CO_SCR_OSC && b == BEL) {
			s->state = CO_SCR_GROUND;
			return;
		}
		if (s->state == CO_SCR_OSC && b != ESC && b != CAN && b != SUB)
			return;
		control(s, b);
		return;
	}
	switch (s->state) {
	case CO_SCR_GROUND:
		ground_byte(s, b);
		break;
	case CO_SCR_ESC:
		esc_byte(s, b);
		break;
	case CO_SCR_ESC_INTER:
		if (b >= 0x30)
			s->state = CO_SCR_GROUND;
		break;
	case CO_SCR_CSI:
		csi_byte(s, b);
		break;
	case CO_SCR_OSC:
		break;		/* the title text */
	}
}

void co_screen_write(struct co_screen *s, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;
	size_t i;

	for (i = 0; i < len; i++)
		one_byte(s, p[i]);
}

static size_t trimmed(const char *cells, size_t len)
{
	while (len && cells[len - 1] == ' ')
		len--;
	return len;
}

/* Append to a snprintf-style buffer; @pos counts everything. */
static void emit(char *buf, size_t size, size_t pos, const char *src,
		 size_t len)
{
	size_t room;

	if (pos + 1 >= size || !size)
		return;
	room = size - 1 - pos;
	co_memcpy(buf + pos, src, CO_MIN(len, room));
}

static void terminate(char *buf, size_t size, size_t pos)
{
	if (size)
		buf[CO_MIN(pos, size - 1)] = '\0';
}

static size_t copy_line(const char *cells, size_t len, char *buf, size_t size)
{
	len = trimmed(cells, len);
	emit(buf, size, 0, cells, len);
	terminate(buf, size, len);
	return len;
}

size_t co_screen_row(const struct co_screen *s, unsigned int y, char *buf,
		     size_t size)
{
	if (y >= s->rows) {
		terminate(buf, size, 0);
		return 0;
	}
	return copy_line(row_cells(s, y), *row_len(s, y), buf, size);
}

size_t co_screen_snapshot(const struct co_screen *s, char *buf, size_t size)
{
	unsigned int y, last = 0;
	bool any = false;
	size_t pos = 0, n;

	for (y = 0; y < s->rows; y++) {
		if (trimmed(row_cells(s, y), *row_len(s, y))) {
			last = y;
			any = true;
		}
	}
	for (y = 0; any && y <= last; y++) {
		if (y) {
			emit(buf, size, pos, "\n", 1);
			pos++;
		}
		n = trimmed(row_cells(s, y), *row_len(s, y));
		emit(buf, size, pos, row_cells(s, y), n);
		pos += n;
	}
	terminate(buf, size, pos);
	return pos;
}

unsigned int co_screen_scrollback_lines(const struct co_screen *s)
{
	return s->sb_count;
}

int co_screen_scrollback_line(const struct co_screen *s, unsigned int n,
			      char *buf, size_t size)
{
	unsigned int slot;

	if (n >= s->sb_count) {
		terminate(buf, size, 0);
		return -CO_ERANGE;
	}
	slot = (s->sb_first + n) % s->sb_max;
	return (int)copy_line(s->sb_cell + (size_t)slot * s->cols,
			      s->sb_len[slot], buf, size);
}
