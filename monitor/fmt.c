// SPDX-License-Identifier: GPL-2.0
/*
 * co_vsnprintf: the C99 subset the monitor and its freestanding hosts use
 * (%d %i %u %x %X %s %c %p %%, hh h l ll z, width, precision, '-' and
 * '0'). Portable, so the NT driver and the bare-metal host need no
 * formatter of their own; tests/unit/test_fmt.c holds it to the C
 * library's snprintf.
 */
#include <colinux/lib.h>

struct out {
	char *buf;
	size_t size, len;
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

struct spec {
	bool left, zero;
	int width, prec;	/* prec < 0: none */
};

static void emit(struct out *o, const struct spec *sp, const char *prefix,
		 const char *digits, size_t nd)
{
	size_t np = 0;
	int zeros = 0, total;

	while (prefix[np])
		np++;
	if (sp->prec >= 0 && (size_t)sp->prec > nd)
		zeros = sp->prec - (int)nd;
	total = (int)(np + nd) + zeros;
	if (!sp->left && !(sp->zero && sp->prec < 0))
		pad(o, ' ', sp->width - total);
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero && sp->prec < 0)
		pad(o, '0', sp->width - total);
	pad(o, '0', zeros);
	while (nd--)
		put(o, *digits++);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static void number(struct out *o, const struct spec *sp, uint64_t v,
		   bool neg, unsigned int base, bool upper, const char *prefix)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;

	/* "%.0d" of zero prints nothing, as in C. */
	if (!(v == 0 && sp->prec == 0)) {
		do {
			tmp[sizeof(tmp) - 1 - n++] = dig[v % base];
			v /= base;
		} while (v);
	}
	emit(o, sp, neg ? "-" : prefix, tmp + sizeof(tmp) - n, n);
}

static int parse_int(const char **f, va_list *ap)
{
	int n = 0;

	if (**f == '*') {
		(*f)++;
		return va_arg(*ap, int);
	}
	while (**f >= '0' && **f <= '9')
		n = n * 10 + (*(*f)++ - '0');
	return n;
}

static uint64_t get_unsigned(va_list *ap, int len)
{
	switch (len) {
	case -2: return (unsigned char)va_arg(*ap, unsigned int);
	case -1: return (unsigned short)va_arg(*ap, unsigned int);
	case 0: return va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned long long);
	}
}

static int64_t get_signed(va_list *ap, int len)
{
	switch (len) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, long long);
	}
}

static void string(struct out *o, const struct spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < (size_t)sp->prec))
		n++;
	if (!sp->left)
		pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - (int)n);
}

static const char *conversion(struct out *o, const char *f, va_list *ap)
{
	struct spec sp = { .prec = -1 };
	int len = 0;
	char c;

	for (;; f++) {
		if (*f == '-')
			sp.left = true;
		else if (*f == '0')
			sp.zero = true;
		else
			break;
	}
	sp.width = parse_int(&f, ap);
	if (sp.width < 0) {
		sp.left = true;
		sp.width = -sp.width;
	}
	if (*f == '.') {
		f++;
		sp.prec = parse_int(&f, ap);
		if (sp.prec < 0)
			sp.prec = -1;
	}
	for (;; f++) {
		if (*f == 'h')
			len = len <= 0 ? len - 1 : len;
		else if (*f == 'l')
			len = len >= 0 ? len + 1 : len;
		else if (*f == 'z')
			len = 3;
		else
			break;
	}
	c = *f;
	switch (c) {
	case 'd':
	case 'i': {
		int64_t v = get_signed(ap, len);

		number(o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10,
		       false, "");
		break;
	}
	case 'u':
		number(o, &sp, get_unsigned(ap, len), false, 10, false, "");
		break;
	case 'x':
	case 'X':
		number(o, &sp, get_unsigned(ap, len), false, 16, c == 'X', "");
		break;
	case 'p':
		number(o, &sp, (uint64_t)(uintptr_t)va_arg(*ap, void *), false,
		       16, false, "0x");
		break;
	case 's':
		string(o, &sp, va_arg(*ap, const char *));
		break;
	case 'c': {
		char s[2] = { (char)va_arg(*ap, int), 0 };

		sp.prec = 1;
		string(o, &sp, s);
		break;
	}
	case '%':
		put(o, '%');
		break;
	case '\0':
		return f;
	default:	/* unknown: print it as it stands */
		put(o, '%');
		put(o, c);
		break;
	}
	return f + 1;
}

int co_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = conversion(&o, fmt + 1, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}
