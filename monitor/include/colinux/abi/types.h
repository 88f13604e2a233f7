/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-width types for the guest <-> host ABI.
 *
 * The same headers are compiled by the host (monitor, NT driver, bare-metal
 * host), by the test guest and later by the Linux guest, so they depend on
 * nothing but the fixed-width integer types each of those has.
 */
#ifndef COLINUX_ABI_TYPES_H
#define COLINUX_ABI_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define CO_ABI_ASSERT(expr) _Static_assert(expr, #expr)
#define CO_ABI_OFFSET(type, field, off) \
	CO_ABI_ASSERT(__builtin_offsetof(struct type, field) == (off))
#define CO_ABI_SIZE(type, size) CO_ABI_ASSERT(sizeof(struct type) == (size))

/* Elements in an array (not a pointer); one spelling for host and guests. */
#define CO_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define CO_PAGE_SHIFT	12
#define CO_PAGE_SIZE	4096ULL

#endif
