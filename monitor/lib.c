// SPDX-License-Identifier: GPL-2.0
/*
 * String and number helpers for the freestanding monitor (formatting is in
 * fmt.c); everything here is small on purpose.
 */
#include <colinux/lib.h>

static const char *const co_err_names[CO_ERR_MAX] = {
	[CO_OK]		= "success",
	[CO_ENOMEM]	= "out of memory",
	[CO_EINVAL]	= "invalid argument",
	[CO_EIO]	= "input/output error",
	[CO_ENOENT]	= "not found",
	[CO_ERANGE]	= "out of range",
	[CO_ENOTSUP]	= "not supported",
	[CO_ETIMEDOUT]	= "timed out",
	[CO_EBUSY]	= "busy",
	[CO_EFAULT]	= "address outside guest memory",
	[CO_EPROTO]	= "protocol violation",
	[CO_ESTATE]	= "wrong state",
	[CO_EACCES]	= "permission denied",
};

const char *co_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= CO_ERR_MAX)
		return "unknown error";
	return co_err_names[err];
}

size_t co_strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}

size_t co_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int co_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int co_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

size_t co_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = co_strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		co_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *co_strndup(const char *s, size_t n)
{
	size_t len = co_strnlen(s, n);
	char *p = co_host_alloc(len + 1);

	if (!p)
		return NULL;
	co_memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *co_strdup(const char *s)
{
	return co_strndup(s, co_strlen(s));
}

const char *co_strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return s;
		if (!*s)
			return NULL;
	}
}

int co_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = co_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int co_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -CO_EINVAL;
	for (; i < len; i++) {
		int d = digit_value(s[i]);

		if (d < 0 || (unsigned int)d >= base)
			return -CO_EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -CO_ERANGE;
		v = v * base + d;
	}
	if (v > max)
		return -CO_ERANGE;
	*out = v;
	return 0;
}

void co_log(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	co_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	co_host_log(level, line);
}
