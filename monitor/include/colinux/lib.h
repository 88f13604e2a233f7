/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers of the monitor that hosts without a C library (the NT
 * driver, the bare-metal host) use as well: strings, formatting, number
 * parsing, logging. Portable, no host headers.
 */
#ifndef COLINUX_LIB_H
#define COLINUX_LIB_H

#include <colinux/host.h>
#include <colinux/abi/types.h>

#define CO_MIN(a, b)		((a) < (b) ? (a) : (b))
#define CO_MAX(a, b)		((a) > (b) ? (a) : (b))
#define CO_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define CO_IS_ALIGNED(x, a)	(((x) & ((a) - 1)) == 0)

/* The compiler lowers these to the host's memcpy & co or inlines them. */
#define co_memcpy	__builtin_memcpy
#define co_memmove	__builtin_memmove
#define co_memset	__builtin_memset
#define co_memcmp	__builtin_memcmp

size_t co_strlen(const char *s);
size_t co_strnlen(const char *s, size_t max);
int co_strcmp(const char *a, const char *b);
int co_strncmp(const char *a, const char *b, size_t n);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t co_strlcpy(char *dst, const char *src, size_t size);
char *co_strdup(const char *s);			/* co_host_alloc'd */
char *co_strndup(const char *s, size_t n);
const char *co_strchr(const char *s, int c);

int co_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int co_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/*
 * Parse an unsigned decimal (or 0x hex) number that fills the whole of
 * [s, s+len); -CO_EINVAL on junk, -CO_ERANGE on overflow past @max.
 */
int co_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

void co_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define co_err(...)	co_log(CO_LOG_ERROR, __VA_ARGS__)
#define co_warn(...)	co_log(CO_LOG_WARN, __VA_ARGS__)
#define co_info(...)	co_log(CO_LOG_INFO, __VA_ARGS__)
#define co_dbg(...)	co_log(CO_LOG_DEBUG, __VA_ARGS__)

/* Bitmaps shared with the guest are touched atomically. */
static inline void co_bit_set(uint64_t *map, unsigned int bit)
{
	__atomic_fetch_or(&map[bit / 64], 1ULL << (bit % 64), __ATOMIC_SEQ_CST);
}

static inline uint64_t co_bits_take(uint64_t *word)
{
	return __atomic_exchange_n(word, 0, __ATOMIC_SEQ_CST);
}

/* One read of guest-writable memory, never repeated by the compiler. */
#define CO_READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define CO_WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

#endif
