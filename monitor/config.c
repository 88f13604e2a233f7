// SPDX-License-Identifier: GPL-2.0
/*
 * The VM configuration, in the original coLinux's key=value format.
 *
 * Decisions the format leaves open, fixed here:
 *
 * - Numbers are plain decimal. mem= is in MiB and may carry an M or G
 *   suffix (mem=1G is mem=1024); the result must lie in
 *   CO_MEM_MIN_MB..CO_MEM_MAX_MB and be even.
 * - cobdN=PATH[,ro|,rw]: the first comma ends the path, so image paths
 *   cannot contain commas (the same holds for pcap files and loop names).
 * - ethN=slirp[,MAC][,tcp:H:G|,udp:H:G ...]: the MAC may be empty
 *   ("slirp,,tcp:2222:22") or left out altogether ("slirp,tcp:2222:22").
 * - A MAC is six two-digit hex groups separated all by ':' or all by '-'.
 *   It must be unicast and not all zeros.
 * - Giving a device unit or a scalar key (kernel, initrd, mem, memwindow,
 *   cocon, boot) twice is an error. kernel= and initrd= are caught on every
 *   path; for mem=, memwindow=, cocon= and boot=, whose defaults cannot be told
 *   from a set value, within one co_config_parse_args() call (including
 *   the @FILEs it reads).
 * - @FILE: whitespace separates arguments; a '#' that starts an argument
 *   comments out the rest of the line; double quotes (no escapes: Windows
 *   paths are full of backslashes) protect spaces and '#' and may not span
 *   lines. Relative paths are resolved by the host (its working directory),
 *   not relative to the including file. Up to CO_CONFIG_MAX_DEPTH files
 *   may be open at once; a file that includes itself, directly or not, is
 *   an error. Arguments before a failing one in a file stay applied.
 * - Anything else is copied to the guest command line; a word that would
 *   take it past CO_CMDLINE_SIZE - 1 bytes is an error and changes nothing.
 * - A failed argument leaves the configuration as it was.
 * - The default MAC of unit N is 02:43:4f:00:00:NN: locally administered,
 *   unicast, "CO" in the middle, stable across runs.
 */
#include <colinux/config.h>
#include <colinux/lib.h>

#define CO_CONFIG_MAX_DEPTH	8
#define CO_CONFIG_FILE_MAX	(1024 * 1024)
#define CO_MIB			(1024ULL * 1024)

/* Scalar keys seen so far (co_config.seen_keys), for duplicate detection. */
#define SEEN_MEM	CO_CONFIG_SEEN_MEM
#define SEEN_MEMWINDOW	CO_CONFIG_SEEN_MEMWINDOW
#define SEEN_COCON	CO_CONFIG_SEEN_COCON
#define SEEN_BOOT	CO_CONFIG_SEEN_BOOT

struct parse_ctx {
	struct co_config *c;
	unsigned int depth;
	const char *files[CO_CONFIG_MAX_DEPTH];	/* @FILEs being read */
	const char *arg;			/* the argument at hand */
	char *err;
	size_t errlen;
};

/* A piece of a string: values are split without copying. */
struct span {
	const char *s;
	size_t len;
};

static int vfail(char *err, size_t errlen, const char *arg, int rc,
		 const char *fmt, va_list ap)
{
	int n = 0;

	if (!err || !errlen)
		return rc;
	if (arg)
		n = co_snprintf(err, errlen, "%s: ", arg);
	if (n < 0)
		n = 0;
	if ((size_t)n < errlen)
		co_vsnprintf(err + n, errlen - n, fmt, ap);
	return rc;
}

/* Record an error about the argument at hand; returns @rc. */
static int __attribute__((format(printf, 3, 4)))
fail(struct parse_ctx *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(x->err, x->errlen, x->arg, rc, fmt, ap);
	va_end(ap);
	return rc;
}

static int __attribute__((format(printf, 4, 5)))
vfail_plain(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, errlen, NULL, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* Put "@FILE:LINE: " in front of a message an inner argument left. */
static void err_prefix(char *err, size_t errlen, const char *file,
		       unsigned int line)
{
	char pre[160];
	size_t plen, mlen;

	if (!err || !errlen)
		return;
	co_snprintf(pre, sizeof(pre), "@%s:%u: ", file, line);
	plen = co_strlen(pre);
	if (plen >= errlen)
		plen = errlen - 1;
	mlen = co_strnlen(err, errlen - 1);
	if (mlen > errlen - 1 - plen)
		mlen = errlen - 1 - plen;
	co_memmove(err + plen, err, mlen);
	co_memcpy(err, pre, plen);
	err[plen + mlen] = '\0';
}

static bool span_is(struct span sp, const char *word)
{
	size_t n = co_strlen(word);

	return sp.len == n && !co_memcmp(sp.s, word, n);
}

/* Split @rest at the next comma: the field goes to @out. */
static bool next_field(struct span *rest, struct span *out)
{
	size_t i;

	if (!rest->s)
		return false;
	for (i = 0; i < rest->len && rest->s[i] != ','; i++)
		;
	out->s = rest->s;
	out->len = i;
	if (i < rest->len) {
		rest->s += i + 1;
		rest->len -= i + 1;
	} else {
		rest->s = NULL;
		rest->len = 0;
	}
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* Plain decimal only: "0x10" and "+3" are not numbers here. */
static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (!all_digits(s, len))
		return -CO_EINVAL;
	return co_parse_u64(s, len, max, out);
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int parse_mac(struct parse_ctx *x, struct span sp, uint8_t mac[6])
{
	char sep;
	unsigned int i;
	uint8_t m[6];

	if (sp.len != 17)
		goto bad;
	sep = sp.s[2];
	if (sep != ':' && sep != '-')
		goto bad;
	for (i = 0; i < 6; i++) {
		const char *p = sp.s + 3 * i;
		int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
			goto bad;
		m[i] = hi << 4 | lo;
	}
	if (m[0] & 1)
		return fail(x, -CO_EINVAL,
			    "MAC %.*s is a multicast address (the low bit of the first byte must be clear)",
			    (int)sp.len, sp.s);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return fail(x, -CO_EINVAL, "MAC %.*s is all zeros",
			    (int)sp.len, sp.s);
	co_memcpy(mac, m, 6);
	return 0;
bad:
	return fail(x, -CO_EINVAL,
		    "bad MAC \"%.*s\" (expected XX:XX:XX:XX:XX:XX in hex)",
		    (int)sp.len, sp.s);
}

/* Give a path-like value its own heap copy. */
static int dup_path(struct parse_ctx *x, struct span sp, const char *what,
		    char **out)
{
	if (!sp.len)
		return fail(x, -CO_EINVAL, "empty %s", what);
	*out = co_strndup(sp.s, sp.len);
	if (!*out)
		return fail(x, -CO_ENOMEM, "out of memory");
	return 0;
}

/* ---- Scalar keys ---------------------------------------------------- */

static int check_seen(struct parse_ctx *x, unsigned int bit, const char *key)
{
	if (x->c->seen_keys & bit)
		return fail(x, -CO_EINVAL, "%s= given twice", key);
	return 0;
}

static int parse_file_key(struct parse_ctx *x, const char *key,
			  char **slot, struct span val)
{
	if (*slot)
		return fail(x, -CO_EINVAL, "%s= given twice (first %s=%s)",
			    key, key, *slot);
	return dup_path(x, val, "path", slot);
}

static int parse_mem(struct parse_ctx *x, struct span val)
{
	uint64_t mult = 1, mb;
	size_t len = val.len;
	int rc;

	rc = check_seen(x, SEEN_MEM, "mem");
	if (rc)
		return rc;
	if (len && (val.s[len - 1] == 'M' || val.s[len - 1] == 'm')) {
		len--;
	} else if (len && (val.s[len - 1] == 'G' || val.s[len - 1] == 'g')) {
		mult = 1024;
		len--;
	}
	rc = parse_dec(val.s, len, UINT64_MAX / 1024, &mb);
	if (rc == -CO_ERANGE)
		return fail(x, rc, "%.*s is above the maximum of %u MiB",
			    (int)val.len, val.s, CO_MEM_MAX_MB);
	if (rc)
		return fail(x, rc,
			    "\"%.*s\" is not a size (expected MiB, or a number with an M or G suffix)",
			    (int)val.len, val.s);
	mb *= mult;
	if (mb < CO_MEM_MIN_MB)
		return fail(x, -CO_ERANGE,
			    "%llu MiB is below the minimum of %u MiB",
			    (unsigned long long)mb, CO_MEM_MIN_MB);
	if (mb > CO_MEM_MAX_MB)
		return fail(x, -CO_ERANGE,
			    "%llu MiB is above the maximum of %u MiB",
			    (unsigned long long)mb, CO_MEM_MAX_MB);
	if (mb % 2)
		return fail(x, -CO_EINVAL,
			    "%llu MiB is not a multiple of 2 MiB",
			    (unsigned long long)mb);
	x->c->mem_bytes = mb * CO_MIB;
	x->c->seen_keys |= SEEN_MEM;
	return 0;
}

static int parse_boot(struct parse_ctx *x, struct span val)
{
	int rc = check_seen(x, SEEN_BOOT, "boot");

	if (rc)
		return rc;
	if (span_is(val, "auto"))
		x->c->boot = CO_BOOT_AUTO;
	else if (span_is(val, "linux"))
		x->c->boot = CO_BOOT_LINUX;
	else if (span_is(val, "colinux"))
		x->c->boot = CO_BOOT_COLINUX;
	else
		return fail(x, -CO_EINVAL,
			    "unknown boot protocol \"%.*s\" (auto, linux, colinux)",
			    (int)val.len, val.s);
	x->c->seen_keys |= SEEN_BOOT;
	return 0;
}

static int parse_memwindow(struct parse_ctx *x, struct span val)
{
	int rc = check_seen(x, SEEN_MEMWINDOW, "memwindow");

	if (rc)
		return rc;
	if (span_is(val, "contiguous"))
		x->c->contiguous = true;
	else if (span_is(val, "paged"))
		x->c->contiguous = false;
	else
		return fail(x, -CO_EINVAL,
			    "unknown memory window \"%.*s\" (contiguous, paged)",
			    (int)val.len, val.s);
	x->c->seen_keys |= SEEN_MEMWINDOW;
	return 0;
}

static int parse_cocon_dim(struct parse_ctx *x, const char *s, size_t len,
			   const char *what, unsigned int min,
			   unsigned int max, uint64_t *out)
{
	int rc = parse_dec(s, len, UINT64_MAX, out);

	if (rc == -CO_EINVAL)
		return fail(x, rc, "%s \"%.*s\" is not a number", what,
			    (int)len, s);
	if (rc || *out < min || *out > max)
		return fail(x, -CO_ERANGE, "%.*s %s out of range %u..%u",
			    (int)len, s, what, min, max);
	return 0;
}

static int parse_cocon(struct parse_ctx *x, struct span val)
{
	uint64_t cols, rows;
	size_t i;
	int rc;

	rc = check_seen(x, SEEN_COCON, "cocon");
	if (rc)
		return rc;
	for (i = 0; i < val.len && val.s[i] != 'x' && val.s[i] != 'X'; i++)
		;
	if (i == val.len)
		return fail(x, -CO_EINVAL, "expected COLSxROWS, e.g. 80x25");
	rc = parse_cocon_dim(x, val.s, i, "columns", CO_COCON_MIN_COLS,
			     CO_COCON_MAX_COLS, &cols);
	if (rc)
		return rc;
	rc = parse_cocon_dim(x, val.s + i + 1, val.len - i - 1, "rows",
			     CO_COCON_MIN_ROWS, CO_COCON_MAX_ROWS, &rows);
	if (rc)
		return rc;
	x->c->cocon_cols = cols;
	x->c->cocon_rows = rows;
	x->c->seen_keys |= SEEN_COCON;
	return 0;
}

/* ---- Devices ---------------------------------------------------------- */

static int parse_unit(struct parse_ctx *x, struct span digits,
		      const char *key, unsigned int units, unsigned int *out)
{
	uint64_t n;
	int rc;

	if (!digits.len)
		return fail(x, -CO_EINVAL, "%s needs a unit number (%s0..%s%u)",
			    key, key, key, units - 1);
	rc = parse_dec(digits.s, digits.len, units - 1, &n);
	if (rc)
		return fail(x, -CO_ERANGE, "unit %.*s out of range 0..%u",
			    (int)digits.len, digits.s, units - 1);
	*out = n;
	return 0;
}

static int parse_cobd(struct parse_ctx *x, struct span digits,
		      struct span val)
{
	struct co_cobd_config *d;
	struct span rest = val, path, opt;
	bool ro = false;
	unsigned int unit;
	char *p;
	int rc;

	rc = parse_unit(x, digits, "cobd", CO_COBD_UNITS, &unit);
	if (rc)
		return rc;
	d = &x->c->cobd[unit];
	if (d->present)
		return fail(x, -CO_EINVAL, "unit %u already configured (cobd%u=%s)",
			    unit, unit, d->path);
	next_field(&rest, &path);
	if (next_field(&rest, &opt)) {
		if (span_is(opt, "ro"))
			ro = true;
		else if (!span_is(opt, "rw"))
			return fail(x, -CO_EINVAL,
				    "unknown option \"%.*s\" (ro, rw)",
				    (int)opt.len, opt.s);
		if (rest.s)
			return fail(x, -CO_EINVAL,
				    "unexpected \"%.*s\" after the option",
				    (int)rest.len, rest.s);
	}
	rc = dup_path(x, path, "image path", &p);
	if (rc)
		return rc;
	d->path = p;
	d->readonly = ro;
	d->present = true;
	return 0;
}

static int parse_port(struct parse_ctx *x, const char *s, size_t len,
		      const char *what, uint16_t *out)
{
	uint64_t v;
	int rc = parse_dec(s, len, 65535, &v);

	if (rc == -CO_EINVAL)
		return fail(x, rc, "%s port \"%.*s\" is not a number", what,
			    (int)len, s);
	if (rc || v < 1)
		return fail(x, -CO_ERANGE, "%s port %.*s out of range 1..65535",
			    what, (int)len, s);
	*out = v;
	return 0;
}

/* "tcp:HOSTPORT:GUESTPORT" or "udp:..." */
static int parse_forward(struct parse_ctx *x, struct span f,
			 struct co_conet_config *n)
{
	const char *h, *colon;
	size_t hlen;
	uint16_t hp, gp;
	unsigned int i;
	bool udp = f.s[0] == 'u';
	int rc;

	h = f.s + 4;
	for (colon = h; colon < f.s + f.len && *colon != ':'; colon++)
		;
	if (colon == f.s + f.len)
		return fail(x, -CO_EINVAL,
			    "bad port forward \"%.*s\" (expected %s:HOSTPORT:GUESTPORT)",
			    (int)f.len, f.s, udp ? "udp" : "tcp");
	hlen = colon - h;
	rc = parse_port(x, h, hlen, "host", &hp);
	if (rc)
		return rc;
	rc = parse_port(x, colon + 1, f.s + f.len - colon - 1, "guest", &gp);
	if (rc)
		return rc;
	for (i = 0; i < n->nr_forwards; i++)
		if (n->forward[i].udp == udp && n->forward[i].host_port == hp)
			return fail(x, -CO_EINVAL,
				    "%s host port %u forwarded twice",
				    udp ? "udp" : "tcp", hp);
	if (n->nr_forwards == CO_CONET_MAX_FORWARDS)
		return fail(x, -CO_EINVAL, "too many port forwards (max %u)",
			    CO_CONET_MAX_FORWARDS);
	n->forward[n->nr_forwards].udp = udp;
	n->forward[n->nr_forwards].host_port = hp;
	n->forward[n->nr_forwards].guest_port = gp;
	n->nr_forwards++;
	return 0;
}

static bool is_forward(struct span f)
{
	return f.len >= 4 && (!co_memcmp(f.s, "tcp:", 4) ||
			      !co_memcmp(f.s, "udp:", 4));
}

static int parse_slirp(struct parse_ctx *x, struct span rest,
		       struct co_conet_config *n)
{
	struct span f;
	bool first = true;
	int rc;

	while (next_field(&rest, &f)) {
		if (is_forward(f))
			rc = parse_forward(x, f, n);
		else if (first && !f.len)
			rc = 0;
		else if (first)
			rc = parse_mac(x, f, n->mac);
		else
			rc = fail(x, -CO_EINVAL,
				  "unexpected \"%.*s\" (expected tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT)",
				  (int)f.len, f.s);
		if (rc)
			return rc;
		if (first && f.len && !is_forward(f))
			n->mac_set = true;
		first = false;
	}
	return 0;
}

/* pcap,FILE[,MAC] and loop,NAME[,MAC] */
static int parse_named(struct parse_ctx *x, struct span rest,
		       struct co_conet_config *n, struct span *name)
{
	const char *what = n->kind == CO_NET_PCAP ? "capture file" :
						     "loop name";
	struct span mac;
	int rc;

	if (!next_field(&rest, name) || !name->len)
		return fail(x, -CO_EINVAL, "empty %s", what);
	if (next_field(&rest, &mac) && mac.len) {
		rc = parse_mac(x, mac, n->mac);
		if (rc)
			return rc;
		n->mac_set = true;
	}
	if (rest.s)
		return fail(x, -CO_EINVAL, "unexpected \"%.*s\" after the MAC",
			    (int)rest.len, rest.s);
	return 0;
}

static int parse_eth(struct parse_ctx *x, struct span digits, struct span val)
{
	struct co_conet_config n;
	struct span rest = val, kind, name = { NULL, 0 };
	unsigned int unit;
	int rc;

	rc = parse_unit(x, digits, "eth", CO_CONET_UNITS, &unit);
	if (rc)
		return rc;
	if (x->c->eth[unit].kind != CO_NET_NONE)
		return fail(x, -CO_EINVAL, "unit %u already configured", unit);
	co_memset(&n, 0, sizeof(n));
	next_field(&rest, &kind);
	if (span_is(kind, "slirp")) {
		n.kind = CO_NET_SLIRP;
		rc = parse_slirp(x, rest, &n);
	} else if (span_is(kind, "pcap") || span_is(kind, "loop")) {
		n.kind = kind.s[0] == 'p' ? CO_NET_PCAP : CO_NET_LOOP;
		rc = parse_named(x, rest, &n, &name);
	} else {
		rc = fail(x, -CO_EINVAL,
			  "unknown network kind \"%.*s\" (slirp, pcap, loop)",
			  (int)kind.len, kind.s);
	}
	if (rc)
		return rc;
	if (name.s) {
		n.path = co_strndup(name.s, name.len);
		if (!n.path)
			return fail(x, -CO_ENOMEM, "out of memory");
	}
	x->c->eth[unit] = n;
	return 0;
}

/* ---- Guest command line --------------------------------------------- */

static int append_cmdline(struct parse_ctx *x, const char *word)
{
	struct co_config *c = x->c;
	size_t len = co_strlen(word), sep = c->cmdline_len ? 1 : 0;

	if (!len)
		return 0;
	if (len + sep > CO_CMDLINE_SIZE - 1 - c->cmdline_len)
		return fail(x, -CO_EINVAL,
			    "guest command line would exceed %u bytes",
			    CO_CMDLINE_SIZE - 1);
	if (sep)
		c->cmdline[c->cmdline_len++] = ' ';
	co_memcpy(c->cmdline + c->cmdline_len, word, len);
	c->cmdline_len += len;
	c->cmdline[c->cmdline_len] = '\0';
	return 0;
}

/* ---- @FILE ------------------------------------------------------------ */

static int parse_one(struct parse_ctx *x, const char *arg);

static int read_file(struct parse_ctx *x, const char *path, char **out,
		     size_t *outlen)
{
	struct co_host_file *f;
	uint64_t size, off = 0;
	char *buf;
	int rc;

	rc = co_host_file_open(path, CO_FILE_READ, &f);
	if (rc)
		return fail(x, rc, "cannot open: %s", co_strerror(rc));
	rc = co_host_file_size(f, &size);
	if (rc) {
		fail(x, rc, "cannot get the size: %s", co_strerror(rc));
		goto out_close;
	}
	if (size > CO_CONFIG_FILE_MAX) {
		rc = fail(x, -CO_EINVAL, "%llu bytes is too large (max %u)",
			  (unsigned long long)size, CO_CONFIG_FILE_MAX);
		goto out_close;
	}
	buf = co_host_alloc(size + 1);
	if (!buf) {
		rc = fail(x, -CO_ENOMEM, "out of memory");
		goto out_close;
	}
	while (off < size) {
		long n = co_host_file_pread(f, buf + off, size - off, off);

		if (n < 0) {
			rc = fail(x, (int)n, "read error at offset %llu: %s",
				  (unsigned long long)off, co_strerror(n));
			goto out_free;
		}
		if (n == 0) {
			/* It shrank: half a file could half-apply. */
			rc = fail(x, -CO_EIO,
				  "unexpected end of file at offset %llu of %llu",
				  (unsigned long long)off,
				  (unsigned long long)size);
			goto out_free;
		}
		off += n;
	}
	buf[off] = '\0';
	co_host_file_close(f);
	*out = buf;
	*outlen = off;
	return 0;

out_free:
	co_host_free(buf);
out_close:
	co_host_file_close(f);
	return rc;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

/*
 * Cut the argument starting at text[*pos] out in place (quotes removed, so
 * it never grows) and NUL-terminate it. Returns its end char or -1 for an
 * unterminated quote.
 */
static int cut_token(char *text, size_t len, size_t *pos)
{
	size_t r = *pos, w = *pos;
	bool quoted = false;
	char end;

	while (r < len) {
		char ch = text[r];

		if (ch == '"') {
			quoted = !quoted;
			r++;
			continue;
		}
		if (ch == '\n' && quoted)
			return -1;
		if (!quoted && is_space(ch))
			break;
		text[w++] = ch;
		r++;
	}
	if (quoted)
		return -1;
	end = r < len ? text[r] : '\0';
	text[w] = '\0';		/* text has len + 1 bytes */
	*pos = r < len ? r + 1 : r;
	return end;
}

static int parse_text(struct parse_ctx *x, const char *path, char *text,
		      size_t len)
{
	unsigned int line = 1;
	size_t pos = 0;
	int rc;

	if (co_strnlen(text, len) != len)
		return fail(x, -CO_EINVAL, "contains a NUL byte (not a text file?)");
	while (pos < len) {
		char ch = text[pos];
		size_t start = pos;
		int end;

		if (is_space(ch)) {
			line += ch == '\n';
			pos++;
			continue;
		}
		if (ch == '#') {
			while (pos < len && text[pos] != '\n')
				pos++;
			continue;
		}
		end = cut_token(text, len, &pos);
		if (end < 0)
			return vfail_plain(x->err, x->errlen, -CO_EINVAL,
					   "@%s:%u: unterminated quote",
					   path, line);
		rc = parse_one(x, text + start);
		if (rc) {
			err_prefix(x->err, x->errlen, path, line);
			return rc;
		}
		line += end == '\n';
	}
	return 0;
}

static int parse_include(struct parse_ctx *x, const char *path)
{
	const char *arg = x->arg;
	unsigned int i;
	size_t len = 0;
	char *text = NULL;
	int rc;

	if (!*path)
		return fail(x, -CO_EINVAL, "missing file name after @");
	for (i = 0; i < x->depth; i++)
		if (!co_strcmp(x->files[i], path))
			return fail(x, -CO_EINVAL,
				    "include cycle: %s is already being read",
				    path);
	if (x->depth == CO_CONFIG_MAX_DEPTH)
		return fail(x, -CO_EINVAL, "@files nested deeper than %u",
			    CO_CONFIG_MAX_DEPTH);
	rc = read_file(x, path, &text, &len);
	if (rc)
		return rc;
	x->files[x->depth++] = path;
	rc = parse_text(x, path, text, len);
	x->depth--;
	x->arg = arg;
	co_host_free(text);
	return rc;
}

/* ---- Dispatch ---------------------------------------------------------- */

static bool split_device(struct span key, const char *prefix,
			 struct span *digits)
{
	size_t n = co_strlen(prefix);

	if (key.len < n || co_memcmp(key.s, prefix, n))
		return false;
	digits->s = key.s + n;
	digits->len = key.len - n;
	return !digits->len || all_digits(digits->s, digits->len);
}

static int parse_one(struct parse_ctx *x, const char *arg)
{
	struct co_config *c = x->c;
	const char *eq;
	struct span key, val, digits;

	x->arg = arg;
	if (arg[0] == '@')
		return parse_include(x, arg + 1);
	eq = co_strchr(arg, '=');
	if (!eq)
		return append_cmdline(x, arg);
	key.s = arg;
	key.len = eq - arg;
	val.s = eq + 1;
	val.len = co_strlen(val.s);
	if (span_is(key, "kernel"))
		return parse_file_key(x, "kernel", &c->kernel, val);
	if (span_is(key, "initrd"))
		return parse_file_key(x, "initrd", &c->initrd, val);
	if (span_is(key, "mem"))
		return parse_mem(x, val);
	if (span_is(key, "memwindow"))
		return parse_memwindow(x, val);
	if (span_is(key, "cocon"))
		return parse_cocon(x, val);
	if (span_is(key, "boot"))
		return parse_boot(x, val);
	if (split_device(key, "cobd", &digits))
		return parse_cobd(x, digits, val);
	if (split_device(key, "eth", &digits))
		return parse_eth(x, digits, val);
	return append_cmdline(x, arg);
}

static void ctx_init(struct parse_ctx *x, struct co_config *c, char *err,
		     size_t errlen)
{
	co_memset(x, 0, sizeof(*x));
	x->c = c;
	x->err = err;
	x->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

int co_config_parse_arg(struct co_config *c, const char *arg, char *err,
			size_t errlen)
{
	struct parse_ctx x;

	ctx_init(&x, c, err, errlen);
	return parse_one(&x, arg);
}

int co_config_parse_args(struct co_config *c, int argc, char *const *argv,
			 char *err, size_t errlen)
{
	struct parse_ctx x;
	int i, rc;

	ctx_init(&x, c, err, errlen);
	for (i = 0; i < argc; i++) {
		rc = parse_one(&x, argv[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- The whole --------------------------------------------------------- */

static void effective_mac(const struct co_config *c, unsigned int unit,
			  uint8_t mac[6])
{
	if (c->eth[unit].mac_set)
		co_memcpy(mac, c->eth[unit].mac, 6);
	else
		co_config_default_mac(unit, mac);
}

static int validate_eth_pair(const struct co_config *c, unsigned int i,
			     unsigned int j, char *err, size_t errlen)
{
	const struct co_conet_config *a = &c->eth[i], *b = &c->eth[j];
	uint8_t ma[6], mb[6];
	unsigned int k, l;

	effective_mac(c, i, ma);
	effective_mac(c, j, mb);
	if (!co_memcmp(ma, mb, 6))
		return vfail_plain(err, errlen, -CO_EINVAL,
				   "eth%u: MAC %02x:%02x:%02x:%02x:%02x:%02x is also used by eth%u",
				   j, mb[0], mb[1], mb[2], mb[3], mb[4], mb[5],
				   i);
	if (a->kind == CO_NET_PCAP && b->kind == CO_NET_PCAP &&
	    !co_strcmp(a->path, b->path))
		return vfail_plain(err, errlen, -CO_EINVAL,
				   "eth%u=pcap,%s: capture file also used by eth%u",
				   j, b->path, i);
	if (a->kind != CO_NET_SLIRP || b->kind != CO_NET_SLIRP)
		return 0;
	for (k = 0; k < a->nr_forwards; k++)
		for (l = 0; l < b->nr_forwards; l++)
			if (a->forward[k].udp == b->forward[l].udp &&
			    a->forward[k].host_port == b->forward[l].host_port)
				return vfail_plain(err, errlen, -CO_EINVAL,
						   "eth%u: %s host port %u is also forwarded by eth%u",
						   j, b->forward[l].udp ? "udp" : "tcp",
						   b->forward[l].host_port, i);
	return 0;
}

static int validate_eth(const struct co_config *c, char *err, size_t errlen)
{
	unsigned int i, j, ends;
	int rc;

	for (j = 0; j < CO_CONET_UNITS; j++) {
		const struct co_conet_config *b = &c->eth[j];

		if (b->kind == CO_NET_NONE)
			continue;
		ends = 1;
		for (i = 0; i < j; i++) {
			if (c->eth[i].kind == CO_NET_NONE)
				continue;
			rc = validate_eth_pair(c, i, j, err, errlen);
			if (rc)
				return rc;
			if (b->kind == CO_NET_LOOP &&
			    c->eth[i].kind == CO_NET_LOOP &&
			    !co_strcmp(c->eth[i].path, b->path))
				ends++;
		}
		if (ends > 2)
			return vfail_plain(err, errlen, -CO_EINVAL,
					   "eth%u=loop,%s: loop \"%s\" already has two ends",
					   j, b->path, b->path);
	}
	return 0;
}

static int validate_cobd(const struct co_config *c, char *err, size_t errlen)
{
	unsigned int i, j;

	for (j = 0; j < CO_COBD_UNITS; j++) {
		const struct co_cobd_config *b = &c->cobd[j];

		if (!b->present)
			continue;
		for (i = 0; i < j; i++) {
			const struct co_cobd_config *a = &c->cobd[i];

			if (!a->present || co_strcmp(a->path, b->path))
				continue;
			if (!a->readonly || !b->readonly)
				return vfail_plain(err, errlen, -CO_EINVAL,
						   "cobd%u=%s: image also used by cobd%u (only read-only sharing is safe)",
						   j, b->path, i);
		}
	}
	return 0;
}

int co_config_validate(const struct co_config *c, char *err, size_t errlen)
{
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!c->kernel)
		return vfail_plain(err, errlen, -CO_EINVAL, "no kernel= given");
	rc = validate_cobd(c, err, errlen);
	if (rc)
		return rc;
	return validate_eth(c, err, errlen);
}

void co_config_init(struct co_config *c)
{
	co_memset(c, 0, sizeof(*c));
	c->mem_bytes = CO_MEM_DEFAULT_MB * CO_MIB;
	c->contiguous = false;
	c->cocon_cols = 80;
	c->cocon_rows = 25;
}

void co_config_free(struct co_config *c)
{
	unsigned int i;

	co_host_free(c->kernel);
	co_host_free(c->initrd);
	for (i = 0; i < CO_COBD_UNITS; i++)
		co_host_free(c->cobd[i].path);
	for (i = 0; i < CO_CONET_UNITS; i++)
		co_host_free(c->eth[i].path);
	co_config_init(c);
}

void co_config_default_mac(unsigned int unit, uint8_t mac[6])
{
	mac[0] = 0x02;		/* locally administered, unicast */
	mac[1] = 0x43;		/* 'C' */
	mac[2] = 0x4f;		/* 'O' */
	mac[3] = 0x00;
	mac[4] = (unit >> 8) & 0xff;
	mac[5] = unit & 0xff;
}
