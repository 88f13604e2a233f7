// SPDX-License-Identifier: GPL-2.0
/*
 * co_host_vsnprintf for the NT driver and colinux-daemon.exe. ntoskrnl's
 * _vsnprintf follows the old Microsoft rules (no %zu, %ll only as %I64,
 * no terminator when the buffer is full), so both sides carry their own,
 * with the C99 behaviour the contract asks for. Freestanding.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <colinux/host.h>

struct out {
	char *buf;
	size_t size;
	size_t len;		/* what the full text would need */
};

struct spec {
	bool left;
	bool zero;
	int width;
	int prec;		/* -1: none */
	int length;		/* 0, 'H' (hh), 'h', 'l', 'L' (ll), 'z' */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *s, const char *str)
{
	int n = 0;

	if (!str)
		str = "(null)";
	while (str[n] && (s->prec < 0 || n < s->prec))
		n++;
	if (!s->left)
		pad(o, ' ', s->width - n);
	for (int i = 0; i < n; i++)
		put(o, str[i]);
	if (s->left)
		pad(o, ' ', s->width - n);
}

static void put_num(struct out *o, const struct spec *s, uint64_t v,
		    bool negative, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, zeros, total;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	/* An explicit precision of 0 prints nothing for the value 0. */
	if (!n && s->prec != 0)
		tmp[n++] = '0';
	zeros = s->prec > n ? s->prec - n : 0;
	total = n + zeros + (negative ? 1 : 0);
	if (s->zero && !s->left && s->prec < 0 && s->width > total) {
		zeros += s->width - total;
		total = s->width;
	}
	if (!s->left)
		pad(o, ' ', s->width - total);
	if (negative)
		put(o, '-');
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (s->left)
		pad(o, ' ', s->width - total);
}

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
	s->left = s->zero = false;
	s->width = 0;
	s->prec = -1;
	s->length = 0;
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			s->width = -s->width;
		}
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		s->width = s->width * 10 + (*f - '0');
	if (*f == '.') {
		f++;
		s->prec = 0;
		if (*f == '*') {
			s->prec = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			s->prec = s->prec * 10 + (*f - '0');
	}
	if (f[0] == 'h' && f[1] == 'h') {
		s->length = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		s->length = 'L';
		f += 2;
	} else if (*f == 'h' || *f == 'l' || *f == 'z') {
		s->length = *f++;
	}
	return f;
}

static int64_t signed_arg(const struct spec *s, va_list *ap)
{
	switch (s->length) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return (int64_t)va_arg(*ap, size_t);
	}
	return va_arg(*ap, int);
}

static uint64_t unsigned_arg(const struct spec *s, va_list *ap)
{
	switch (s->length) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	}
	return va_arg(*ap, unsigned int);
}

static void convert(struct out *o, struct spec *s, char conv, va_list *ap)
{
	int64_t sv;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		sv = signed_arg(s, ap);
		put_num(o, s, sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv, sv < 0,
			10, false);
		break;
	case 'u':
		put_num(o, s, unsigned_arg(s, ap), false, 10, false);
		break;
	case 'x':
	case 'X':
		put_num(o, s, unsigned_arg(s, ap), false, 16, conv == 'X');
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_num(o, s, (uintptr_t)va_arg(*ap, void *), false, 16, false);
		break;
	case 's':
		put_str(o, s, va_arg(*ap, const char *));
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		if (!s->left)
			pad(o, ' ', s->width - 1);
		put(o, c);
		if (s->left)
			pad(o, ' ', s->width - 1);
		break;
	case '%':
		put(o, '%');
		break;
	default:
		/* Unknown conversion: show it rather than eat arguments. */
		put(o, '%');
		if (conv)
			put(o, conv);
		break;
	}
}

int co_host_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	struct spec s;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &s, &aq);
		convert(&o, &s, *fmt, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
