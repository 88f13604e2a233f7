// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target body: the configuration parser, with @FILE includes read
 * through the sim-host's files.
 *
 * Input: mode byte, nth byte, then sections separated by 0xff bytes:
 * section 0 holds the arguments (separated by NUL bytes), sections 1..10
 * are the contents of include files "0".."9". An argument or a file token
 * "@N" (N a digit) names file N; the harness rewrites it to that file's
 * path in its scratch directory, so includes can nest and loop.
 *   mode & 0x01  one co_config_parse_args call (else one parse_arg each)
 *   mode >> 1    a sim-host fault (see fault_plan) at the nth call
 *
 * Oracles: a failed argument that is not an include leaves the
 * configuration exactly as it was; a failure always comes with a message;
 * the result respects the documented limits; co_config_free releases
 * every heap block and no file stays open.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <colinux/config.h>
#include <sim/sim.h>
#include "fz.h"

#define NFILES	10
#define MAXARGS	64

static char dir[520];

static bool is_sep(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f' || c == '"';
}

/* Copy @len bytes of @s to @out, "@N" tokens turned into paths. */
static size_t rewrite(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, o = 0, dl = strlen(dir);

	for (i = 0; i < len; i++) {
		bool tok = s[i] == '@' && i + 1 < len && s[i + 1] >= '0' &&
			   s[i + 1] <= '9' && (i == 0 || is_sep(s[i - 1])) &&
			   (i + 2 >= len || is_sep(s[i + 2]));

		if (tok && o + dl + 4 < cap) {
			out[o++] = '@';
			memcpy(out + o, dir, dl);
			o += dl;
			out[o++] = '/';
			out[o++] = s[++i];
			continue;
		}
		if (o + 1 < cap)
			out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

static void fault_plan(unsigned int kind, unsigned int nth)
{
	switch (kind % 8) {
	case 1:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_OPEN, nth, CO_ENOENT);
		break;
	case 2:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_READ, nth, CO_EIO);
		break;
	case 3:
		co_sim_fault_short(CO_SIM_FAULT_FILE_READ, nth * 13 + 1, 1000);
		break;
	case 4:
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_SIZE, nth, CO_EIO);
		break;
	case 5:
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, nth, 0);
		break;
	}
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Equal in content; pointers may differ. */
static bool cfg_equal(const struct co_config *a, const struct co_config *b)
{
	struct co_config x = *a, y = *b;
	unsigned int i;

	if (!str_eq(a->kernel, b->kernel) || !str_eq(a->initrd, b->initrd))
		return false;
	x.kernel = y.kernel = x.initrd = y.initrd = NULL;
	for (i = 0; i < CO_COBD_UNITS; i++) {
		if (!str_eq(a->cobd[i].path, b->cobd[i].path))
			return false;
		x.cobd[i].path = y.cobd[i].path = NULL;
	}
	for (i = 0; i < CO_CONET_UNITS; i++) {
		if (!str_eq(a->eth[i].path, b->eth[i].path))
			return false;
		x.eth[i].path = y.eth[i].path = NULL;
	}
	return !memcmp(&x, &y, sizeof(x));
}

/* A deep copy with malloc (not the host heap: it is being counted). */
static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void cfg_snapshot(struct co_config *dst, const struct co_config *src)
{
	unsigned int i;

	memcpy(dst, src, sizeof(*dst));
	dst->kernel = dup_or_null(src->kernel);
	dst->initrd = dup_or_null(src->initrd);
	for (i = 0; i < CO_COBD_UNITS; i++)
		dst->cobd[i].path = dup_or_null(src->cobd[i].path);
	for (i = 0; i < CO_CONET_UNITS; i++)
		dst->eth[i].path = dup_or_null(src->eth[i].path);
}

static void snapshot_free(struct co_config *c)
{
	unsigned int i;

	free(c->kernel);
	free(c->initrd);
	for (i = 0; i < CO_COBD_UNITS; i++)
		free(c->cobd[i].path);
	for (i = 0; i < CO_CONET_UNITS; i++)
		free(c->eth[i].path);
}

static void check_limits(const struct co_config *c)
{
	unsigned int i;

	if (c->cmdline_len >= CO_CMDLINE_SIZE ||
	    strnlen(c->cmdline, CO_CMDLINE_SIZE) != c->cmdline_len)
		fz_fail("config: cmdline_len %zu, strlen %zu", c->cmdline_len,
			strnlen(c->cmdline, CO_CMDLINE_SIZE));
	if (c->mem_bytes < (uint64_t)CO_MEM_MIN_MB << 20 ||
	    c->mem_bytes > (uint64_t)CO_MEM_MAX_MB << 20 ||
	    c->mem_bytes % (2ULL << 20))
		fz_fail("config: mem_bytes %llu", (unsigned long long)c->mem_bytes);
	if (c->cocon_cols < CO_COCON_MIN_COLS || c->cocon_cols > CO_COCON_MAX_COLS ||
	    c->cocon_rows < CO_COCON_MIN_ROWS || c->cocon_rows > CO_COCON_MAX_ROWS)
		fz_fail("config: cocon %ux%u", c->cocon_cols, c->cocon_rows);
	for (i = 0; i < CO_COBD_UNITS; i++)
		if (c->cobd[i].present && (!c->cobd[i].path || !c->cobd[i].path[0]))
			fz_fail("config: cobd%u without a path", i);
	for (i = 0; i < CO_CONET_UNITS; i++) {
		const struct co_conet_config *e = &c->eth[i];

		if (e->kind > CO_NET_LOOP || e->nr_forwards > CO_CONET_MAX_FORWARDS)
			fz_fail("config: eth%u kind %d forwards %u", i, e->kind,
				e->nr_forwards);
		if (e->mac_set && ((e->mac[0] & 1) ||
				   !(e->mac[0] | e->mac[1] | e->mac[2] |
				     e->mac[3] | e->mac[4] | e->mac[5])))
			fz_fail("config: eth%u has a group or zero MAC", i);
	}
}

static void check_err(int rc, const char *err, size_t errlen)
{
	if (strnlen(err, errlen) == errlen)
		fz_fail("config: error message not terminated");
	if (rc && !err[0])
		fz_fail("config: failure %d without a message", rc);
	if (rc > 0 || rc <= -CO_ERR_MAX)
		fz_fail("config: returned %d", rc);
}

int fz_config_one(const uint8_t *data, size_t size)
{
	static char argbuf[1 << 17], filebuf[1 << 18];
	char *argv[MAXARGS], err[300], path[600];
	struct co_config c, before;
	struct fz_in in = { .p = data, .len = size };
	uint8_t mode = fz_u8(&in), nth = fz_u8(&in);
	const char *p = (const char *)data + in.pos;
	size_t left = in.len - in.pos, n, alen;
	unsigned int sec, argc = 0, i;
	int rc;

	fz_sim_setup();
	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s", fz_tmpdir());
	co_sim_reset();

	/* Section 0: arguments; then the files. */
	for (n = 0; n < left && (uint8_t)p[n] != 0xff; n++)
		;
	alen = rewrite(p, n, argbuf, sizeof(argbuf) - 1);
	argbuf[alen + 1] = '\0';
	for (i = 0; i <= alen && argc < MAXARGS; ) {
		argv[argc++] = argbuf + i;
		i += strlen(argbuf + i) + 1;
	}
	p += n;
	left -= n;
	for (sec = 0; sec < NFILES; sec++) {
		snprintf(path, sizeof(path), "%s/%u", dir, sec);
		if (!left) {
			remove(path);
			continue;
		}
		p++;
		left--;
		for (n = 0; n < left && (uint8_t)p[n] != 0xff; n++)
			;
		fz_write_file(path, filebuf, rewrite(p, n, filebuf, sizeof(filebuf)));
		p += n;
		left -= n;
	}

	co_config_init(&c);
	fault_plan(mode >> 1, nth % 16 + 1);
	err[0] = '\0';
	if (mode & 1) {
		rc = co_config_parse_args(&c, (int)argc, argv, err, sizeof(err));
		check_err(rc, err, sizeof(err));
	} else {
		for (i = 0; i < argc; i++) {
			cfg_snapshot(&before, &c);
			err[0] = '\0';
			rc = co_config_parse_arg(&c, argv[i], err, sizeof(err));
			check_err(rc, err, sizeof(err));
			if (rc && argv[i][0] != '@' && !cfg_equal(&before, &c))
				fz_fail("config: failed argument \"%s\" changed the configuration",
					argv[i]);
			snapshot_free(&before);
		}
	}
	check_limits(&c);
	co_sim_fault_reset();
	err[0] = '\0';
	rc = co_config_validate(&c, err, sizeof(err));
	check_err(rc, err, sizeof(err));
	co_config_free(&c);
	fz_leak_check("config");
	return 0;
}
