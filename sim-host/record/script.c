// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-script writer (<sim/script.h>): what colinux-sim --record and
 * the fuzzers' seed generator build scripts with. Scripts are built in
 * memory and saved whole: a failed allocation marks the script failed
 * instead of leaving half an action in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/script.h>

void co_script_init(struct co_script *s)
{
	memset(s, 0, sizeof(*s));
}

void co_script_free(struct co_script *s)
{
	free(s->buf);
	co_script_init(s);
}

void co_script_put_bytes(struct co_script *s, const void *p, size_t len)
{
	if (s->failed || !len)
		return;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *nb;

		while (cap < s->len + len)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (!nb) {
			s->failed = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

void co_script_put_u8(struct co_script *s, uint8_t v)
{
	co_script_put_bytes(s, &v, 1);
}

void co_script_put_u16(struct co_script *s, uint16_t v)
{
	co_script_put_u8(s, (uint8_t)v);
	co_script_put_u8(s, (uint8_t)(v >> 8));
}

void co_script_put_u32(struct co_script *s, uint32_t v)
{
	co_script_put_u16(s, (uint16_t)v);
	co_script_put_u16(s, (uint16_t)(v >> 16));
}

void co_script_put_u64(struct co_script *s, uint64_t v)
{
	co_script_put_u32(s, (uint32_t)v);
	co_script_put_u32(s, (uint32_t)(v >> 32));
}

void co_script_put_value(struct co_script *s, uint64_t v)
{
	if (v < 64) {
		co_script_put_u8(s, (uint8_t)(v << 2));
	} else if (v <= 0xffff) {
		co_script_put_u8(s, 1);
		co_script_put_u16(s, (uint16_t)v);
	} else if (v <= 0xffffffffULL) {
		co_script_put_u8(s, 2);
		co_script_put_u32(s, (uint32_t)v);
	} else {
		co_script_put_u8(s, 3);
		co_script_put_u64(s, v);
	}
}

void co_script_op(struct co_script *s, uint32_t op, const uint64_t *param,
		  unsigned int nparams)
{
	uint8_t mask = 0;
	unsigned int i;

	for (i = 0; i < nparams && i < 8; i++)
		if (param[i])
			mask |= 1u << i;
	co_script_put_u8(s, CO_SCRIPT_A_OP);
	co_script_put_u8(s, CO_SCRIPT_OP_RAW);
	co_script_put_u32(s, op);
	co_script_put_u8(s, mask);
	for (i = 0; i < 8; i++)
		if (mask & (1u << i))
			co_script_put_value(s, param[i]);
}

void co_script_write(struct co_script *s, uint64_t gpa, const void *p,
		     size_t len)
{
	const uint8_t *b = p;

	while (len) {
		size_t n = len > 0xffff ? 0xffff : len;

		co_script_put_u8(s, CO_SCRIPT_A_WRITE);
		co_script_put_u8(s, CO_SCRIPT_W_RAW);
		co_script_put_u64(s, gpa);
		co_script_put_u16(s, (uint16_t)n);
		co_script_put_bytes(s, b, n);
		gpa += n;
		b += n;
		len -= n;
	}
}

void co_script_bell(struct co_script *s, unsigned int queue)
{
	co_script_put_u8(s, CO_SCRIPT_A_BELL);
	co_script_put_u8(s, CO_SCRIPT_BELL_RAW);
	co_script_put_u8(s, (uint8_t)queue);
}

void co_script_shared(struct co_script *s, unsigned int off, const void *p,
		      size_t len)
{
	const uint8_t *b = p;

	while (len) {
		size_t n = len > 0xff ? 0xff : len;

		co_script_put_u8(s, CO_SCRIPT_A_SHARED);
		co_script_put_u16(s, (uint16_t)off);
		co_script_put_u8(s, (uint8_t)n);
		co_script_put_bytes(s, b, n);
		off += n;
		b += n;
		len -= n;
	}
}

void co_script_text(struct co_script *s, const void *p, size_t len)
{
	co_script_put_u8(s, CO_SCRIPT_A_TEXT);
	co_script_put_u16(s, (uint16_t)len);
	co_script_put_bytes(s, p, len);
}

void co_script_frame(struct co_script *s, const void *p, size_t len)
{
	co_script_put_u8(s, CO_SCRIPT_A_FRAME);
	co_script_put_u16(s, (uint16_t)len);
	co_script_put_bytes(s, p, len);
}

void co_script_keys(struct co_script *s, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		size_t n = len > 0xff ? 0xff : len;

		co_script_put_u8(s, CO_SCRIPT_A_KEYS);
		co_script_put_u8(s, (uint8_t)n);
		co_script_put_bytes(s, b, n);
		b += n;
		len -= n;
	}
}

void co_script_clock(struct co_script *s, uint64_t ns)
{
	co_script_put_u8(s, CO_SCRIPT_A_CLOCK);
	co_script_put_value(s, ns);
}

int co_script_save(const struct co_script *s, const char *path)
{
	FILE *f;
	int ok, err;

	if (s->failed) {
		errno = ENOMEM;
		return -1;
	}
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(s->buf, 1, s->len, f) == s->len;
	err = errno;
	if (fclose(f) && ok) {
		ok = 0;
		err = errno;
	}
	errno = err;
	return ok ? 0 : -1;
}

