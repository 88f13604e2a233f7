// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration parser (monitor/config.c): every key, every error and
 * what its message names, the boundaries, @FILE reading through the host
 * file primitives with faults injected, and that nothing leaks whichever
 * allocation fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "co_test.h"
#include <colinux/config.h>
#include <sim/sim.h>

#define MIB (1024ULL * 1024)
/* One file more than the nesting limit of 8. */
#define CO_TEST_DEPTH_FILES 9

static struct co_config cfg;
static char err[4096];

static int setup(void **state)
{
	co_sim_reset();
	co_config_init(&cfg);
	memset(err, 0, sizeof(err));
	return 0;
}

static int teardown(void **state)
{
	co_config_free(&cfg);
	co_sim_fault_reset();
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static int parse(const char *arg)
{
	return co_config_parse_arg(&cfg, arg, err, sizeof(err));
}

static void parse_ok(const char *arg)
{
	int rc = parse(arg);

	if (rc)
		print_error("%s -> %d: %s\n", arg, rc, err);
	assert_int_equal(rc, 0);
}

static int parse_argv(const char *const *args)
{
	int argc = 0;

	while (args[argc])
		argc++;
	return co_config_parse_args(&cfg, argc, (char *const *)args, err,
				    sizeof(err));
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/*
 * @arg must fail with @rc on a fresh configuration, the message must start
 * with the argument itself (key and value) and say @why. The failed
 * argument must leave nothing behind.
 */
static void expect_fail(const char *arg, int rc, const char *why)
{
	struct co_config c;
	char e[2048];
	size_t n = strlen(arg);
	uint64_t heap = co_sim_heap_in_use();
	int got;

	co_config_init(&c);
	memset(e, 0, sizeof(e));
	got = co_config_parse_arg(&c, arg, e, sizeof(e));
	if (got != rc)
		fail_msg("%s: expected %d, got %d (%s)", arg, rc, got, e);
	if (strncmp(e, arg, n) || e[n] != ':')
		fail_msg("message \"%s\" does not name \"%s\"", e, arg);
	assert_contains(e, why);
	assert_int_equal(c.cmdline_len, 0);
	co_config_free(&c);
	assert_int_equal(co_sim_heap_in_use(), heap);
}

/* Same, but on the shared configuration (after earlier arguments). */
static void expect_fail_here(const char *arg, int rc, const char *why)
{
	size_t n = strlen(arg);
	int got = parse(arg);

	if (got != rc)
		fail_msg("%s: expected %d, got %d (%s)", arg, rc, got, err);
	if (strncmp(err, arg, n) || err[n] != ':')
		fail_msg("message \"%s\" does not name \"%s\"", err, arg);
	assert_contains(err, why);
}

/* ---- Files for @FILE -------------------------------------------------- */

#define MAX_TMP 16
static char tmp_paths[MAX_TMP][256];
static unsigned int nr_tmp;

/* Write @text to a temp file named @name; returns its path. */
static const char *tmp_file(const char *name, const char *text, size_t len)
{
	char *path;
	FILE *f;

	assert_true(nr_tmp < MAX_TMP);
	path = tmp_paths[nr_tmp++];
	co_test_tmp_path(path, sizeof(tmp_paths[0]), name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *tmp_text(const char *name, const char *text)
{
	return tmp_file(name, text, strlen(text));
}

static int teardown_files(void **state)
{
	unsigned int i;

	for (i = 0; i < nr_tmp; i++)
		unlink(tmp_paths[i]);
	nr_tmp = 0;
	return teardown(state);
}

static char *at(const char *path)
{
	static char buf[4][300];
	static unsigned int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "@%s", path);
	return b;
}

/* ---- Defaults, kernel, initrd ---------------------------------------- */

static void test_defaults(void **state)
{
	unsigned int i, j;
	uint8_t mac[6], other[6];

	assert_null(cfg.kernel);
	assert_null(cfg.initrd);
	assert_int_equal(cfg.mem_bytes, 64 * MIB);
	assert_false(cfg.contiguous);
	assert_int_equal(cfg.cocon_cols, 80);
	assert_int_equal(cfg.cocon_rows, 25);
	assert_int_equal(cfg.cmdline_len, 0);
	assert_string_equal(cfg.cmdline, "");
	for (i = 0; i < CO_COBD_UNITS; i++)
		assert_false(cfg.cobd[i].present);
	for (i = 0; i < CO_CONET_UNITS; i++)
		assert_int_equal(cfg.eth[i].kind, CO_NET_NONE);

	co_config_default_mac(0, mac);
	assert_memory_equal(mac, "\x02\x43\x4f\x00\x00\x00", 6);
	co_config_default_mac(15, mac);
	assert_memory_equal(mac, "\x02\x43\x4f\x00\x00\x0f", 6);
	for (i = 0; i < CO_CONET_UNITS; i++) {
		co_config_default_mac(i, mac);
		assert_int_equal(mac[0] & 1, 0);	/* unicast */
		assert_int_equal(mac[0] & 2, 2);	/* locally administered */
		co_config_default_mac(i, other);
		assert_memory_equal(mac, other, 6);	/* stable */
		for (j = 0; j < i; j++) {
			co_config_default_mac(j, other);
			assert_memory_not_equal(mac, other, 6);
		}
	}
}

static void test_kernel_initrd(void **state)
{
	char arg[64];

	/* The configuration keeps its own copy of the path. */
	strcpy(arg, "kernel=/boot/vmlinux");
	parse_ok(arg);
	memset(arg, 'X', sizeof(arg) - 1);
	assert_string_equal(cfg.kernel, "/boot/vmlinux");
	parse_ok("initrd=C:\\coLinux\\initrd.gz");
	assert_string_equal(cfg.initrd, "C:\\coLinux\\initrd.gz");
	assert_int_equal(cfg.cmdline_len, 0);

	expect_fail_here("kernel=/other", -CO_EINVAL,
			 "kernel= given twice (first kernel=/boot/vmlinux)");
	assert_string_equal(cfg.kernel, "/boot/vmlinux");
	expect_fail_here("initrd=/x", -CO_EINVAL, "initrd= given twice");
	expect_fail("kernel=", -CO_EINVAL, "empty path");
	expect_fail("initrd=", -CO_EINVAL, "empty path");
}

/* '=' inside the value belongs to the path. */
static void test_value_with_equals(void **state)
{
	parse_ok("kernel=/a=b");
	assert_string_equal(cfg.kernel, "/a=b");
}

/* ---- mem= ------------------------------------------------------------- */

static void mem_ok(const char *arg, uint64_t mb)
{
	struct co_config c;
	char e[256];

	co_config_init(&c);
	if (co_config_parse_arg(&c, arg, e, sizeof(e)))
		fail_msg("%s: %s", arg, e);
	assert_int_equal(c.mem_bytes, mb * MIB);
	co_config_free(&c);
}

static void test_mem(void **state)
{
	struct co_config c;
	char e[256];

	mem_ok("mem=16", 16);
	mem_ok("mem=4096", 4096);
	mem_ok("mem=128", 128);
	mem_ok("mem=18", 18);
	mem_ok("mem=4094", 4094);
	mem_ok("mem=256M", 256);
	mem_ok("mem=256m", 256);
	mem_ok("mem=1G", 1024);
	mem_ok("mem=4g", 4096);
	mem_ok("mem=0016", 16);

	/* The example of the brief, word for word. */
	co_config_init(&c);
	assert_int_equal(co_config_parse_arg(&c, "mem=3", e, sizeof(e)),
			 -CO_ERANGE);
	assert_string_equal(e, "mem=3: 3 MiB is below the minimum of 16 MiB");
	assert_int_equal(c.mem_bytes, 64 * MIB);
	co_config_free(&c);

	expect_fail("mem=15", -CO_ERANGE, "15 MiB is below the minimum of 16 MiB");
	expect_fail("mem=0", -CO_ERANGE, "0 MiB is below the minimum");
	expect_fail("mem=14M", -CO_ERANGE, "14 MiB is below the minimum");
	expect_fail("mem=4097", -CO_ERANGE,
		    "4097 MiB is above the maximum of 4096 MiB");
	expect_fail("mem=4098", -CO_ERANGE, "above the maximum of 4096 MiB");
	expect_fail("mem=5G", -CO_ERANGE, "5120 MiB is above the maximum");
	expect_fail("mem=99999999999999999999999", -CO_ERANGE,
		    "above the maximum of 4096 MiB");
	expect_fail("mem=18014398509481984G", -CO_ERANGE, "above the maximum");
	expect_fail("mem=17", -CO_EINVAL, "17 MiB is not a multiple of 2 MiB");
	expect_fail("mem=4095", -CO_EINVAL, "not a multiple of 2 MiB");
	expect_fail("mem=", -CO_EINVAL, "\"\" is not a size");
	expect_fail("mem=G", -CO_EINVAL, "\"G\" is not a size");
	expect_fail("mem=abc", -CO_EINVAL, "\"abc\" is not a size");
	expect_fail("mem=-16", -CO_EINVAL, "not a size");
	expect_fail("mem=0x40", -CO_EINVAL, "not a size");
	expect_fail("mem=64K", -CO_EINVAL, "not a size");
	expect_fail("mem=64MB", -CO_EINVAL, "not a size");
	expect_fail("mem= 64", -CO_EINVAL, "not a size");
}

static void test_duplicate_scalars_in_args(void **state)
{
	const char *mem2[] = { "mem=32", "mem=128", NULL };
	const char *win2[] = { "memwindow=paged", "memwindow=contiguous", NULL };
	const char *con2[] = { "cocon=80x25", "cocon=100x40", NULL };

	assert_int_equal(parse_argv(mem2), -CO_EINVAL);
	assert_string_equal(err, "mem=128: mem= given twice");
	assert_int_equal(cfg.mem_bytes, 32 * MIB);
	assert_int_equal(parse_argv(win2), -CO_EINVAL);
	assert_string_equal(err, "memwindow=contiguous: memwindow= given twice");
	assert_false(cfg.contiguous);
	assert_int_equal(parse_argv(con2), -CO_EINVAL);
	assert_string_equal(err, "cocon=100x40: cocon= given twice");
	assert_int_equal(cfg.cocon_cols, 80);
}

/* ---- memwindow=, cocon= ------------------------------------------------ */

static void test_memwindow(void **state)
{
	parse_ok("memwindow=contiguous");
	assert_true(cfg.contiguous);
	co_config_free(&cfg);
	parse_ok("memwindow=paged");
	assert_false(cfg.contiguous);
	expect_fail("memwindow=big", -CO_EINVAL,
		    "unknown memory window \"big\" (contiguous, paged)");
	expect_fail("memwindow=", -CO_EINVAL, "unknown memory window \"\"");
	expect_fail("memwindow=Contiguous", -CO_EINVAL, "unknown memory window");
}

static void cocon_ok(const char *arg, unsigned int cols, unsigned int rows)
{
	struct co_config c;
	char e[256];

	co_config_init(&c);
	if (co_config_parse_arg(&c, arg, e, sizeof(e)))
		fail_msg("%s: %s", arg, e);
	assert_int_equal(c.cocon_cols, cols);
	assert_int_equal(c.cocon_rows, rows);
	co_config_free(&c);
}

static void test_cocon(void **state)
{
	cocon_ok("cocon=80x25", 80, 25);
	cocon_ok("cocon=132X60", 132, 60);
	cocon_ok("cocon=16x2", CO_COCON_MIN_COLS, CO_COCON_MIN_ROWS);
	cocon_ok("cocon=512x500", CO_COCON_MAX_COLS, CO_COCON_MAX_ROWS);

	expect_fail("cocon=15x25", -CO_ERANGE, "15 columns out of range 16..512");
	expect_fail("cocon=513x25", -CO_ERANGE, "513 columns out of range");
	expect_fail("cocon=80x1", -CO_ERANGE, "1 rows out of range 2..500");
	expect_fail("cocon=80x501", -CO_ERANGE, "501 rows out of range");
	expect_fail("cocon=99999999999999999999999x25", -CO_ERANGE,
		    "columns out of range");
	expect_fail("cocon=80", -CO_EINVAL, "expected COLSxROWS");
	expect_fail("cocon=", -CO_EINVAL, "expected COLSxROWS");
	expect_fail("cocon=x25", -CO_EINVAL, "columns \"\" is not a number");
	expect_fail("cocon=80x", -CO_EINVAL, "rows \"\" is not a number");
	expect_fail("cocon=80x25x3", -CO_EINVAL, "rows \"25x3\" is not a number");
	expect_fail("cocon=a0x25", -CO_EINVAL, "columns \"a0\" is not a number");
}

/* ---- cobdN= ----------------------------------------------------------- */

static void test_cobd(void **state)
{
	unsigned int i;

	parse_ok("cobd0=/images/root.img");
	parse_ok("cobd31=/images/ro.img,ro");
	parse_ok("cobd5=/images/rw.img,rw");
	parse_ok("cobd07=/images/seven.img");
	assert_true(cfg.cobd[0].present);
	assert_false(cfg.cobd[0].readonly);
	assert_string_equal(cfg.cobd[0].path, "/images/root.img");
	assert_true(cfg.cobd[31].present);
	assert_true(cfg.cobd[31].readonly);
	assert_string_equal(cfg.cobd[31].path, "/images/ro.img");
	assert_true(cfg.cobd[5].present);
	assert_false(cfg.cobd[5].readonly);
	assert_string_equal(cfg.cobd[5].path, "/images/rw.img");
	assert_true(cfg.cobd[7].present);
	for (i = 0; i < CO_COBD_UNITS; i++)
		if (i != 0 && i != 5 && i != 7 && i != 31)
			assert_false(cfg.cobd[i].present);
	assert_int_equal(cfg.cmdline_len, 0);

	expect_fail_here("cobd0=/images/other.img", -CO_EINVAL,
			 "unit 0 already configured (cobd0=/images/root.img)");
	assert_string_equal(cfg.cobd[0].path, "/images/root.img");
	expect_fail_here("cobd007=/x", -CO_EINVAL, "unit 7 already configured");
}

static void test_cobd_errors(void **state)
{
	struct co_config c;
	char e[256];

	co_config_init(&c);
	assert_int_equal(co_config_parse_arg(&c, "cobd40=/x.img", e, sizeof(e)),
			 -CO_ERANGE);
	assert_string_equal(e, "cobd40=/x.img: unit 40 out of range 0..31");
	co_config_free(&c);

	expect_fail("cobd32=/x", -CO_ERANGE, "unit 32 out of range 0..31");
	expect_fail("cobd99999999999999999999999=/x", -CO_ERANGE,
		    "unit 99999999999999999999999 out of range");
	expect_fail("cobd=/x", -CO_EINVAL, "cobd needs a unit number (cobd0..cobd31)");
	expect_fail("cobd0=", -CO_EINVAL, "empty image path");
	expect_fail("cobd0=,ro", -CO_EINVAL, "empty image path");
	expect_fail("cobd0=/x,rx", -CO_EINVAL, "unknown option \"rx\" (ro, rw)");
	expect_fail("cobd0=/x,", -CO_EINVAL, "unknown option \"\"");
	expect_fail("cobd0=/x,ro,more", -CO_EINVAL, "unexpected \"more\"");
	expect_fail("cobd0=/x,RO", -CO_EINVAL, "unknown option \"RO\"");
}

/* ---- ethN= ------------------------------------------------------------ */

static void test_eth_slirp(void **state)
{
	const struct co_conet_config *n;

	parse_ok("eth0=slirp");
	n = &cfg.eth[0];
	assert_int_equal(n->kind, CO_NET_SLIRP);
	assert_false(n->mac_set);
	assert_null(n->path);
	assert_int_equal(n->nr_forwards, 0);

	parse_ok("eth1=slirp,02:11:22:33:44:55");
	n = &cfg.eth[1];
	assert_true(n->mac_set);
	assert_memory_equal(n->mac, "\x02\x11\x22\x33\x44\x55", 6);

	parse_ok("eth2=slirp,00:0A:0b:Cc:dD:ff,tcp:2222:22,udp:5353:53");
	n = &cfg.eth[2];
	assert_true(n->mac_set);
	assert_memory_equal(n->mac, "\x00\x0a\x0b\xcc\xdd\xff", 6);
	assert_int_equal(n->nr_forwards, 2);
	assert_false(n->forward[0].udp);
	assert_int_equal(n->forward[0].host_port, 2222);
	assert_int_equal(n->forward[0].guest_port, 22);
	assert_true(n->forward[1].udp);
	assert_int_equal(n->forward[1].host_port, 5353);
	assert_int_equal(n->forward[1].guest_port, 53);

	/* The MAC may be empty or left out before forwards. */
	parse_ok("eth3=slirp,,tcp:8080:80");
	assert_false(cfg.eth[3].mac_set);
	assert_int_equal(cfg.eth[3].nr_forwards, 1);
	assert_int_equal(cfg.eth[3].forward[0].host_port, 8080);
	parse_ok("eth4=slirp,tcp:1:65535,udp:65535:1,tcp:9:9");
	n = &cfg.eth[4];
	assert_false(n->mac_set);
	assert_int_equal(n->nr_forwards, 3);
	assert_int_equal(n->forward[0].host_port, 1);
	assert_int_equal(n->forward[0].guest_port, 65535);
	assert_true(n->forward[1].udp);
	assert_int_equal(n->forward[1].host_port, 65535);
	assert_int_equal(n->forward[1].guest_port, 1);
	/* Same host port on the two protocols is fine. */
	parse_ok("eth15=slirp,tcp:53:53,udp:53:53");
	assert_int_equal(cfg.eth[15].nr_forwards, 2);

	expect_fail_here("eth0=slirp", -CO_EINVAL, "unit 0 already configured");
	expect_fail_here("eth1=pcap,/x", -CO_EINVAL, "unit 1 already configured");
	assert_int_equal(cfg.eth[1].kind, CO_NET_SLIRP);
}

static void test_eth_forward_limit(void **state)
{
	char arg[512];
	unsigned int i;
	int n;

	n = snprintf(arg, sizeof(arg), "eth0=slirp,02:00:00:00:00:01");
	for (i = 0; i < CO_CONET_MAX_FORWARDS; i++)
		n += snprintf(arg + n, sizeof(arg) - n, ",tcp:%u:%u", 1000 + i,
			      i + 1);
	parse_ok(arg);
	assert_int_equal(cfg.eth[0].nr_forwards, CO_CONET_MAX_FORWARDS);
	for (i = 0; i < CO_CONET_MAX_FORWARDS; i++) {
		assert_int_equal(cfg.eth[0].forward[i].host_port, 1000 + i);
		assert_int_equal(cfg.eth[0].forward[i].guest_port, i + 1);
	}
	co_config_free(&cfg);

	snprintf(arg + n, sizeof(arg) - n, ",udp:7:7");
	expect_fail(arg, -CO_EINVAL, "too many port forwards (max 8)");
}

static void test_eth_slirp_errors(void **state)
{
	expect_fail("eth0=slip", -CO_EINVAL,
		    "unknown network kind \"slip\" (slirp, pcap, loop)");
	expect_fail("eth0=", -CO_EINVAL, "unknown network kind \"\"");
	expect_fail("eth0=SLIRP", -CO_EINVAL, "unknown network kind \"SLIRP\"");
	expect_fail("eth0=tuntap,tap0", -CO_EINVAL, "unknown network kind \"tuntap\"");
	expect_fail("eth16=slirp", -CO_ERANGE, "unit 16 out of range 0..15");
	expect_fail("eth=slirp", -CO_EINVAL, "eth needs a unit number (eth0..eth15)");
	expect_fail("eth0=slirp,tcp:0:22", -CO_ERANGE,
		    "host port 0 out of range 1..65535");
	expect_fail("eth0=slirp,tcp:65536:22", -CO_ERANGE,
		    "host port 65536 out of range 1..65535");
	expect_fail("eth0=slirp,udp:22:0", -CO_ERANGE,
		    "guest port 0 out of range 1..65535");
	expect_fail("eth0=slirp,udp:22:70000", -CO_ERANGE,
		    "guest port 70000 out of range");
	expect_fail("eth0=slirp,tcp:99999999999999999999999:1", -CO_ERANGE,
		    "host port 99999999999999999999999 out of range");
	expect_fail("eth0=slirp,tcp:22", -CO_EINVAL,
		    "bad port forward \"tcp:22\" (expected tcp:HOSTPORT:GUESTPORT)");
	expect_fail("eth0=slirp,udp:", -CO_EINVAL,
		    "bad port forward \"udp:\" (expected udp:HOSTPORT:GUESTPORT)");
	expect_fail("eth0=slirp,tcp::22", -CO_EINVAL,
		    "host port \"\" is not a number");
	expect_fail("eth0=slirp,tcp:22:", -CO_EINVAL,
		    "guest port \"\" is not a number");
	expect_fail("eth0=slirp,tcp:a:22", -CO_EINVAL,
		    "host port \"a\" is not a number");
	expect_fail("eth0=slirp,tcp:22:2:2", -CO_EINVAL,
		    "guest port \"2:2\" is not a number");
	expect_fail("eth0=slirp,tcp:2222:22,tcp:2222:23", -CO_EINVAL,
		    "tcp host port 2222 forwarded twice");
	expect_fail("eth0=slirp,udp:53:53,udp:53:54", -CO_EINVAL,
		    "udp host port 53 forwarded twice");
	expect_fail("eth0=slirp,tcp:1:1,02:00:00:00:00:01", -CO_EINVAL,
		    "unexpected \"02:00:00:00:00:01\"");
	expect_fail("eth0=slirp,02:00:00:00:00:01,02:00:00:00:00:02", -CO_EINVAL,
		    "unexpected \"02:00:00:00:00:02\"");
	expect_fail("eth0=slirp,,", -CO_EINVAL, "unexpected \"\"");
	expect_fail("eth0=slirp,icmp:1:1", -CO_EINVAL, "bad MAC \"icmp:1:1\"");
	expect_fail("eth0=slirp,TCP:1:1", -CO_EINVAL, "bad MAC");
}

static void test_eth_pcap_loop(void **state)
{
	parse_ok("eth0=pcap,/tmp/capture.pcap");
	assert_int_equal(cfg.eth[0].kind, CO_NET_PCAP);
	assert_string_equal(cfg.eth[0].path, "/tmp/capture.pcap");
	assert_false(cfg.eth[0].mac_set);
	parse_ok("eth1=pcap,out.pcap,02:00:00:00:00:11");
	assert_string_equal(cfg.eth[1].path, "out.pcap");
	assert_true(cfg.eth[1].mac_set);
	assert_memory_equal(cfg.eth[1].mac, "\x02\x00\x00\x00\x00\x11", 6);
	parse_ok("eth2=loop,lan");
	assert_int_equal(cfg.eth[2].kind, CO_NET_LOOP);
	assert_string_equal(cfg.eth[2].path, "lan");
	assert_false(cfg.eth[2].mac_set);
	parse_ok("eth3=loop,lan,02-00-00-00-00-33");
	assert_true(cfg.eth[3].mac_set);
	assert_memory_equal(cfg.eth[3].mac, "\x02\x00\x00\x00\x00\x33", 6);
	parse_ok("eth4=loop,wan,");
	assert_false(cfg.eth[4].mac_set);
	assert_int_equal(cfg.eth[4].nr_forwards, 0);

	expect_fail("eth0=pcap", -CO_EINVAL, "empty capture file");
	expect_fail("eth0=pcap,", -CO_EINVAL, "empty capture file");
	expect_fail("eth0=pcap,,02:00:00:00:00:01", -CO_EINVAL,
		    "empty capture file");
	expect_fail("eth0=loop", -CO_EINVAL, "empty loop name");
	expect_fail("eth0=loop,", -CO_EINVAL, "empty loop name");
	expect_fail("eth0=loop,a,02:00:00:00:00:01,x", -CO_EINVAL,
		    "unexpected \"x\" after the MAC");
	expect_fail("eth0=pcap,f,bad", -CO_EINVAL, "bad MAC \"bad\"");
	expect_fail("eth0=pcap,f,01:00:00:00:00:01", -CO_EINVAL, "multicast");
}

/* ---- MAC addresses ------------------------------------------------------ */

static void mac_ok(const char *mac, const char *bytes)
{
	struct co_config c;
	char arg[64], e[256];

	snprintf(arg, sizeof(arg), "eth7=slirp,%s", mac);
	co_config_init(&c);
	if (co_config_parse_arg(&c, arg, e, sizeof(e)))
		fail_msg("%s: %s", arg, e);
	assert_true(c.eth[7].mac_set);
	assert_memory_equal(c.eth[7].mac, bytes, 6);
	co_config_free(&c);
}

static void mac_bad(const char *mac, const char *why)
{
	char arg[64];

	snprintf(arg, sizeof(arg), "eth7=slirp,%s", mac);
	expect_fail(arg, -CO_EINVAL, why);
}

static void test_mac(void **state)
{
	mac_ok("00:11:22:33:44:55", "\x00\x11\x22\x33\x44\x55");
	mac_ok("02:00:00:00:00:00", "\x02\x00\x00\x00\x00\x00");
	mac_ok("FE:FF:FF:FF:FF:FF", "\xfe\xff\xff\xff\xff\xff");
	mac_ok("aa-bb-cc-dd-ee-ff", "\xaa\xbb\xcc\xdd\xee\xff");
	mac_ok("0a:0B:c0:D0:e0:F0", "\x0a\x0b\xc0\xd0\xe0\xf0");

	mac_bad("01:00:5e:00:00:01", "MAC 01:00:5e:00:00:01 is a multicast address");
	mac_bad("03:00:00:00:00:01", "multicast");
	mac_bad("ff:ff:ff:ff:ff:ff", "multicast");
	mac_bad("00:00:00:00:00:00", "MAC 00:00:00:00:00:00 is all zeros");
	mac_bad("00-00-00-00-00-00", "all zeros");
	mac_bad("02:00:00:00:00", "bad MAC \"02:00:00:00:00\" (expected XX:XX:XX:XX:XX:XX");
	mac_bad("02:00:00:00:00:00:00", "bad MAC");
	mac_bad("02:00:00:00:00:0", "bad MAC");
	mac_bad("02:00:00:00:00:000", "bad MAC");
	mac_bad("2:00:00:00:00:001", "bad MAC");
	mac_bad("02:00-00:00:00:00", "bad MAC");
	mac_bad("02-00-00-00-00:00", "bad MAC");
	mac_bad("02.00.00.00.00.00", "bad MAC");
	mac_bad("02:00:00:00:00:0g", "bad MAC");
	mac_bad("g2:00:00:00:00:00", "bad MAC");
	mac_bad("02:00:00:00:00:00 ", "bad MAC");
	mac_bad("020000000000", "bad MAC");
	mac_bad("0x:00:00:00:00:00", "bad MAC");
}

/* ---- The guest command line ------------------------------------------ */

static void test_cmdline(void **state)
{
	parse_ok("root=/dev/cobd0");
	parse_ok("ro");
	parse_ok("kernel=/vmlinux");
	parse_ok("console=hvc0");
	parse_ok("init=/bin/sh -c 'echo hi'");
	parse_ok("");
	parse_ok("ethtool=1");
	parse_ok("cobdx=1");
	parse_ok("=x");
	parse_ok("kernel");
	parse_ok("eth0x=1");
	assert_string_equal(cfg.cmdline,
			    "root=/dev/cobd0 ro console=hvc0 "
			    "init=/bin/sh -c 'echo hi' ethtool=1 cobdx=1 =x "
			    "kernel eth0x=1");
	assert_int_equal(cfg.cmdline_len, strlen(cfg.cmdline));
	assert_string_equal(cfg.kernel, "/vmlinux");
}

static void test_cmdline_overflow(void **state)
{
	char word[CO_CMDLINE_SIZE + 8];
	char saved[CO_CMDLINE_SIZE];
	size_t max = CO_CMDLINE_SIZE - 1;

	/* One word of exactly the maximum fits; one byte more does not. */
	memset(word, 'a', max + 1);
	word[max + 1] = '\0';
	expect_fail(word, -CO_EINVAL, "guest command line would exceed 1023 bytes");
	word[max] = '\0';
	parse_ok(word);
	assert_int_equal(cfg.cmdline_len, max);
	expect_fail_here("b", -CO_EINVAL, "would exceed 1023 bytes");
	assert_int_equal(cfg.cmdline_len, max);
	assert_int_equal(strlen(cfg.cmdline), max);
	co_config_free(&cfg);

	/* With the separating space: "x" + " " + word of max-2 fits. */
	parse_ok("x");
	memset(word, 'c', max);
	word[max - 2] = '\0';
	parse_ok(word);
	assert_int_equal(cfg.cmdline_len, max);
	assert_int_equal(cfg.cmdline[1], ' ');
	memcpy(saved, cfg.cmdline, sizeof(saved));
	/* Nothing more fits, not even the space; nothing changes. */
	expect_fail_here("d", -CO_EINVAL, "would exceed");
	assert_memory_equal(saved, cfg.cmdline, sizeof(saved));
	/* Config keys still work with a full command line. */
	parse_ok("mem=32");
	co_config_free(&cfg);

	parse_ok("x");
	word[max - 2] = 'c';
	word[max - 1] = '\0';
	expect_fail_here(word, -CO_EINVAL, "would exceed");
	assert_string_equal(cfg.cmdline, "x");
}

/* ---- Validation ---------------------------------------------------------- */

static int validate(void)
{
	return co_config_validate(&cfg, err, sizeof(err));
}

static void test_validate(void **state)
{
	assert_int_equal(validate(), -CO_EINVAL);
	assert_string_equal(err, "no kernel= given");
	parse_ok("kernel=/vmlinux");
	assert_int_equal(validate(), 0);
	assert_string_equal(err, "");

	parse_ok("cobd0=/a.img,ro");
	parse_ok("cobd1=/a.img,ro");	/* read-only sharing is fine */
	parse_ok("cobd2=/b.img");
	parse_ok("eth0=loop,lan");
	parse_ok("eth1=loop,lan");
	parse_ok("eth2=loop,solo");	/* one end: a cable to nowhere */
	parse_ok("eth3=slirp,tcp:2222:22");
	parse_ok("eth4=slirp,udp:2222:22");
	parse_ok("eth5=pcap,a.pcap");
	parse_ok("eth6=pcap,b.pcap");
	assert_int_equal(validate(), 0);

	parse_ok("eth7=loop,lan");
	assert_int_equal(validate(), -CO_EINVAL);
	assert_string_equal(err,
			    "eth7=loop,lan: loop \"lan\" already has two ends");
}

static void expect_invalid(const char *const *args, const char *msg)
{
	struct co_config c;
	char e[256];

	co_config_init(&c);
	assert_int_equal(co_config_parse_arg(&c, "kernel=/k", e, sizeof(e)), 0);
	for (; *args; args++)
		assert_int_equal(co_config_parse_arg(&c, *args, e, sizeof(e)),
				 0);
	assert_int_equal(co_config_validate(&c, e, sizeof(e)), -CO_EINVAL);
	assert_string_equal(e, msg);
	co_config_free(&c);
}

static void test_validate_conflicts(void **state)
{
	const char *rw_shared[] = { "cobd3=/a.img", "cobd9=/a.img,ro", NULL };
	const char *rw_shared2[] = { "cobd3=/a.img,ro", "cobd9=/a.img", NULL };
	const char *same_mac[] = { "eth0=slirp,02:00:00:00:00:01",
				   "eth3=loop,x,02:00:00:00:00:01", NULL };
	const char *default_mac[] = { "eth0=slirp",
				      "eth2=slirp,02:43:4f:00:00:00", NULL };
	const char *same_pcap[] = { "eth1=pcap,c.pcap", "eth4=pcap,c.pcap", NULL };
	const char *same_port[] = { "eth0=slirp,udp:5:5,tcp:2222:22",
				    "eth1=slirp,tcp:2222:23", NULL };

	expect_invalid(rw_shared,
		       "cobd9=/a.img: image also used by cobd3 (only read-only sharing is safe)");
	expect_invalid(rw_shared2, "cobd9=/a.img: image also used by cobd3 "
				   "(only read-only sharing is safe)");
	expect_invalid(same_mac,
		       "eth3: MAC 02:00:00:00:00:01 is also used by eth0");
	expect_invalid(default_mac,
		       "eth2: MAC 02:43:4f:00:00:00 is also used by eth0");
	expect_invalid(same_pcap,
		       "eth4=pcap,c.pcap: capture file also used by eth1");
	expect_invalid(same_port,
		       "eth1: tcp host port 2222 is also forwarded by eth0");
}

/* ---- co_config_free ----------------------------------------------------- */

static void test_free_reinit(void **state)
{
	parse_ok("kernel=/k");
	parse_ok("initrd=/i");
	parse_ok("mem=256");
	parse_ok("memwindow=contiguous");
	parse_ok("cocon=100x30");
	parse_ok("cobd0=/a");
	parse_ok("cobd31=/b,ro");
	parse_ok("eth0=pcap,/p");
	parse_ok("eth15=loop,l,02:00:00:00:00:05");
	parse_ok("eth3=slirp,tcp:1:1");
	parse_ok("root=/dev/cobd0");
	assert_int_equal(co_sim_heap_in_use(), 6);

	co_config_free(&cfg);
	assert_int_equal(co_sim_heap_in_use(), 0);
	assert_null(cfg.kernel);
	assert_int_equal(cfg.mem_bytes, 64 * MIB);
	assert_false(cfg.contiguous);
	assert_int_equal(cfg.cocon_cols, 80);
	assert_false(cfg.cobd[0].present);
	assert_null(cfg.cobd[0].path);
	assert_int_equal(cfg.eth[0].kind, CO_NET_NONE);
	assert_null(cfg.eth[0].path);
	assert_int_equal(cfg.cmdline_len, 0);
	/* Twice is harmless, and the struct is ready for use again. */
	co_config_free(&cfg);
	parse_ok("kernel=/k2");
	parse_ok("cobd0=/a");
	assert_string_equal(cfg.kernel, "/k2");
	co_config_free(&cfg);
	co_config_init(&cfg);
	assert_int_equal(co_sim_misuse_count(), 0);
}

static void test_free_after_failed_parse(void **state)
{
	const char *args[] = { "kernel=/k", "initrd=/i", "cobd0=/a",
			       "eth0=loop,x", "eth1=pcap,/p", "root=/dev/x",
			       "eth2=slip", "cobd1=/never", NULL };

	assert_int_equal(parse_argv(args), -CO_EINVAL);
	assert_contains(err, "eth2=slip: unknown network kind");
	/* Everything before the bad argument is applied, nothing after. */
	assert_string_equal(cfg.kernel, "/k");
	assert_false(cfg.cobd[1].present);
	assert_int_equal(cfg.eth[2].kind, CO_NET_NONE);
	assert_string_equal(cfg.cmdline, "root=/dev/x");
	assert_int_equal(co_sim_heap_in_use(), 5);
	co_config_free(&cfg);
	assert_int_equal(co_sim_heap_in_use(), 0);
}

/* ---- Error buffer edge cases ------------------------------------------- */

static void test_err_buffer(void **state)
{
	char small[12];
	struct co_config c;

	co_config_init(&c);
	assert_int_equal(co_config_parse_arg(&c, "mem=3", NULL, 0), -CO_ERANGE);
	assert_int_equal(co_config_parse_arg(&c, "mem=3", small, 0), -CO_ERANGE);
	memset(small, 'z', sizeof(small));
	assert_int_equal(co_config_parse_arg(&c, "mem=3", small, sizeof(small)),
			 -CO_ERANGE);
	assert_string_equal(small, "mem=3: 3 Mi");
	memset(small, 'z', sizeof(small));
	assert_int_equal(co_config_parse_arg(&c, "cobd40=/very/long/path", small,
					     sizeof(small)), -CO_ERANGE);
	assert_string_equal(small, "cobd40=/ver");
	assert_int_equal(co_config_validate(&c, NULL, 0), -CO_EINVAL);
	/* A successful parse clears an old message. */
	strcpy(small, "old");
	assert_int_equal(co_config_parse_arg(&c, "mem=32", small, sizeof(small)), 0);
	assert_string_equal(small, "");
	co_config_free(&c);
}

/* ---- @FILE ---------------------------------------------------------------- */

static void test_file_basic(void **state)
{
	const char *inner = tmp_text("inner.conf",
		"# devices\n"
		"cobd0=\"/images/my root.img\",ro\r\n"
		"eth0=slirp,,tcp:2222:22   eth1=loop,lan\n");
	char text[1024];
	const char *outer;
	const char *args[3];

	snprintf(text, sizeof(text),
		 "# a comment at the top\n"
		 "kernel=/boot/vmlinux # trailing comment mem=99\n"
		 "\n\t  mem=128M\n"
		 "\"init=/bin/sh -c true\"   root=/dev/cobd0#notacomment\n"
		 "cocon=\"100x40\" \"#quoted-hash\" a\"b c\"d \"\"\n"
		 "@%s\n"
		 "# the end, no newline", inner);
	outer = tmp_text("outer.conf", text);
	args[0] = at(outer);
	args[1] = "console=hvc0";
	args[2] = NULL;
	if (parse_argv(args))
		fail_msg("%s", err);

	assert_string_equal(cfg.kernel, "/boot/vmlinux");
	assert_int_equal(cfg.mem_bytes, 128 * MIB);
	assert_int_equal(cfg.cocon_cols, 100);
	assert_int_equal(cfg.cocon_rows, 40);
	assert_string_equal(cfg.cmdline,
			    "init=/bin/sh -c true root=/dev/cobd0#notacomment "
			    "#quoted-hash ab cd console=hvc0");
	assert_true(cfg.cobd[0].present);
	assert_true(cfg.cobd[0].readonly);
	assert_string_equal(cfg.cobd[0].path, "/images/my root.img");
	assert_int_equal(cfg.eth[0].kind, CO_NET_SLIRP);
	assert_int_equal(cfg.eth[0].forward[0].host_port, 2222);
	assert_int_equal(cfg.eth[1].kind, CO_NET_LOOP);
	assert_string_equal(cfg.eth[1].path, "lan");
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_file_single_arg_and_empty(void **state)
{
	const char *empty = tmp_text("empty.conf", "");
	const char *blank = tmp_text("blank.conf", "  \n\n# only comments\n\t\n");
	const char *one = tmp_text("one.conf", "mem=32");

	parse_ok(at(empty));
	parse_ok(at(blank));
	parse_ok(at(one));
	assert_int_equal(cfg.mem_bytes, 32 * MIB);
	assert_int_equal(cfg.cmdline_len, 0);
}

static void test_file_errors_name_file_and_line(void **state)
{
	const char *f = tmp_text("bad.conf",
		"kernel=/k\n"
		"\n"
		"  # comment\n"
		"root=/dev/x mem=3\n");
	char expect[512];

	assert_int_equal(parse(at(f)), -CO_ERANGE);
	snprintf(expect, sizeof(expect),
		 "@%s:4: mem=3: 3 MiB is below the minimum of 16 MiB", f);
	assert_string_equal(err, expect);
	/* What came before the bad argument stays applied. */
	assert_string_equal(cfg.kernel, "/k");
	assert_string_equal(cfg.cmdline, "root=/dev/x");
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_file_quote_errors(void **state)
{
	const char *f1 = tmp_text("q1.conf", "a\nb \"unterminated\n");
	const char *f2 = tmp_text("q2.conf", "a\n\nb=\"spans\nlines\"\n");
	const char *f3 = tmp_text("q3.conf", "x=\"no end");
	char expect[512];

	assert_int_equal(parse(at(f1)), -CO_EINVAL);
	snprintf(expect, sizeof(expect), "@%s:2: unterminated quote", f1);
	assert_string_equal(err, expect);
	assert_int_equal(parse(at(f2)), -CO_EINVAL);
	snprintf(expect, sizeof(expect), "@%s:3: unterminated quote", f2);
	assert_string_equal(err, expect);
	assert_int_equal(parse(at(f3)), -CO_EINVAL);
	snprintf(expect, sizeof(expect), "@%s:1: unterminated quote", f3);
	assert_string_equal(err, expect);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_file_nul_byte(void **state)
{
	const char *f = tmp_file("nul.conf", "mem=32\0mem=64\n", 14);
	char expect[512];

	assert_int_equal(parse(at(f)), -CO_EINVAL);
	snprintf(expect, sizeof(expect),
		 "@%s: contains a NUL byte (not a text file?)", f);
	assert_string_equal(err, expect);
	assert_int_equal(cfg.mem_bytes, 64 * MIB);
}

static void test_file_missing(void **state)
{
	char path[256], expect[600];
	const char *outer;

	co_test_tmp_path(path, sizeof(path), "does-not-exist.conf");
	assert_int_equal(parse(at(path)), -CO_ENOENT);
	snprintf(expect, sizeof(expect), "@%s: cannot open: not found", path);
	assert_string_equal(err, expect);

	expect_fail("@", -CO_EINVAL, "missing file name after @");

	/* Missing one level down: both files are named. */
	snprintf(expect, sizeof(expect), "mem=32\n  @%s\n", path);
	outer = tmp_text("has-missing.conf", expect);
	assert_int_equal(parse(at(outer)), -CO_ENOENT);
	snprintf(expect, sizeof(expect), "@%s:2: @%s: cannot open: not found",
		 outer, path);
	assert_string_equal(err, expect);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_file_nesting_and_cycles(void **state)
{
	char names[CO_TEST_DEPTH_FILES][32], text[512], expect[1024];
	const char *paths[CO_TEST_DEPTH_FILES];
	const char *self, *a, *b;
	char pa[256], pb[256];
	int i;

	/* A chain of 8 files (the limit) parses; each adds one word. */
	for (i = CO_TEST_DEPTH_FILES - 1; i >= 0; i--) {
		snprintf(names[i], sizeof(names[i]), "chain%d.conf", i);
		if (i == CO_TEST_DEPTH_FILES - 1)
			snprintf(text, sizeof(text), "w%d\n", i);
		else
			snprintf(text, sizeof(text), "w%d @%s\n", i, paths[i + 1]);
		paths[i] = tmp_text(names[i], text);
	}
	/* paths[0] would be the 9th level: start the 8-chain at paths[1]. */
	parse_ok(at(paths[1]));
	assert_string_equal(cfg.cmdline, "w1 w2 w3 w4 w5 w6 w7 w8");
	co_config_free(&cfg);

	/* Nine levels is one too many. */
	assert_int_equal(parse(at(paths[0])), -CO_EINVAL);
	assert_contains(err, "@files nested deeper than 8");
	snprintf(expect, sizeof(expect), "@%s:1: @%s:1: ", paths[0], paths[1]);
	assert_int_equal(strncmp(err, expect, strlen(expect)), 0);
	co_config_free(&cfg);

	/* A file including itself, and a two-file cycle. */
	co_test_tmp_path(pa, sizeof(pa), "self.conf");
	snprintf(text, sizeof(text), "mem=32\n@%s\n", pa);
	self = tmp_text("self.conf", text);
	assert_int_equal(parse(at(self)), -CO_EINVAL);
	snprintf(expect, sizeof(expect),
		 "@%s:2: @%s: include cycle: %s is already being read",
		 self, self, self);
	assert_string_equal(err, expect);
	co_config_free(&cfg);

	co_test_tmp_path(pa, sizeof(pa), "cyc-a.conf");
	co_test_tmp_path(pb, sizeof(pb), "cyc-b.conf");
	snprintf(text, sizeof(text), "wa @%s", pb);
	a = tmp_text("cyc-a.conf", text);
	snprintf(text, sizeof(text), "wb\n@%s", pa);
	b = tmp_text("cyc-b.conf", text);
	assert_int_equal(parse(at(a)), -CO_EINVAL);
	snprintf(expect, sizeof(expect),
		 "@%s:1: @%s:2: @%s: include cycle: %s is already being read",
		 a, b, a, a);
	assert_string_equal(err, expect);
	co_config_free(&cfg);

	/* The same file twice in a row is no cycle. */
	snprintf(text, sizeof(text), "word");
	a = tmp_text("twice.conf", text);
	parse_ok(at(a));
	parse_ok(at(a));
	assert_string_equal(cfg.cmdline, "word word");
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_file_duplicates_across_files(void **state)
{
	const char *f = tmp_text("dup.conf", "mem=32 cobd0=/a\n");
	const char *args[] = { "mem=64", at(f), NULL };
	const char *args2[] = { at(f), "cobd0=/b", NULL };
	char expect[512];

	assert_int_equal(parse_argv(args), -CO_EINVAL);
	snprintf(expect, sizeof(expect), "@%s:1: mem=32: mem= given twice", f);
	assert_string_equal(err, expect);
	co_config_free(&cfg);
	assert_int_equal(parse_argv(args2), -CO_EINVAL);
	assert_string_equal(err, "cobd0=/b: unit 0 already configured (cobd0=/a)");
}

static void test_file_faults(void **state)
{
	const char *f = tmp_text("faults.conf", "kernel=/k mem=32 w1 w2\n");
	char expect[512];

	co_sim_fault_eio(CO_SIM_FAULT_FILE_OPEN, 1);
	assert_int_equal(parse(at(f)), -CO_EIO);
	snprintf(expect, sizeof(expect),
		 "@%s: cannot open: input/output error", f);
	assert_string_equal(err, expect);

	co_sim_fault_eio(CO_SIM_FAULT_FILE_SIZE, 1);
	assert_int_equal(parse(at(f)), -CO_EIO);
	snprintf(expect, sizeof(expect),
		 "@%s: cannot get the size: input/output error", f);
	assert_string_equal(err, expect);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);

	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 1);
	assert_int_equal(parse(at(f)), -CO_EIO);
	snprintf(expect, sizeof(expect),
		 "@%s: read error at offset 0: input/output error", f);
	assert_string_equal(err, expect);
	assert_null(cfg.kernel);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
	assert_int_equal(co_sim_heap_in_use(), 0);

	/* A failure after a short read names the offset reached. */
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 5, 1);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 2);
	assert_int_equal(parse(at(f)), -CO_EIO);
	assert_contains(err, "read error at offset 5:");
	assert_null(cfg.kernel);

	/* A read that ends before the size said: the file shrank. */
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 0, 1);
	assert_int_equal(parse(at(f)), -CO_EIO);
	snprintf(expect, sizeof(expect),
		 "@%s: unexpected end of file at offset 0 of 23", f);
	assert_string_equal(err, expect);
	assert_null(cfg.kernel);

	/* Other errors pass through as they are. */
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_READ, 1, CO_EACCES);
	assert_int_equal(parse(at(f)), -CO_EACCES);
	assert_contains(err, "permission denied");
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
	assert_int_equal(co_sim_heap_in_use(), 0);
}

static void test_file_short_reads(void **state)
{
	static const char text[] =
		"kernel=/boot/vmlinux \"root=/dev/cobd0\" cobd0=/r.img,ro\n"
		"eth0=slirp,02:00:00:00:00:09,tcp:2222:22\n";
	const char *f = tmp_text("short.conf", text);

	/* One byte per read: the parser must loop until it has it all. */
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 1, 1000);
	parse_ok(at(f));
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ),
			 strlen(text));
	assert_string_equal(cfg.kernel, "/boot/vmlinux");
	assert_string_equal(cfg.cmdline, "root=/dev/cobd0");
	assert_true(cfg.cobd[0].readonly);
	assert_memory_equal(cfg.eth[0].mac, "\x02\x00\x00\x00\x00\x09", 6);
	assert_int_equal(cfg.eth[0].forward[0].guest_port, 22);
}

static void test_file_too_large(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	const char *f;
	char expect[512];

	assert_non_null(big);
	memset(big, ' ', len);
	f = tmp_file("big.conf", big, len);
	free(big);
	assert_int_equal(parse(at(f)), -CO_EINVAL);
	snprintf(expect, sizeof(expect),
		 "@%s: 1048577 bytes is too large (max 1048576)", f);
	assert_string_equal(err, expect);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

/* ---- Failures at every step leak nothing -------------------------------- */

static const char *every_step_args[8];

static void build_every_step(void)
{
	const char *inner = tmp_text("step-inner.conf",
		"cobd1=/b,ro eth1=pcap,/cap.pcap,02:00:00:00:00:07\n"
		"\"init=/bin/sh\"\n");
	char text[512];
	const char *outer;

	snprintf(text, sizeof(text),
		 "initrd=/i cobd0=/a\n@%s\neth2=loop,lan\n", inner);
	outer = tmp_text("step-outer.conf", text);
	every_step_args[0] = "kernel=/k";
	every_step_args[1] = at(outer);
	every_step_args[2] = "eth3=loop,lan";
	every_step_args[3] = "root=/dev/cobd0";
	every_step_args[4] = "cobd31=/z";
	every_step_args[5] = NULL;
}

static void check_every_step_result(void)
{
	assert_string_equal(cfg.kernel, "/k");
	assert_string_equal(cfg.initrd, "/i");
	assert_string_equal(cfg.cobd[0].path, "/a");
	assert_string_equal(cfg.cobd[1].path, "/b");
	assert_string_equal(cfg.cobd[31].path, "/z");
	assert_string_equal(cfg.eth[1].path, "/cap.pcap");
	assert_string_equal(cfg.eth[2].path, "lan");
	assert_string_equal(cfg.eth[3].path, "lan");
	assert_string_equal(cfg.cmdline, "init=/bin/sh root=/dev/cobd0");
}

static void test_alloc_failure_every_step(void **state)
{
	unsigned long n;
	int rc;

	build_every_step();
	for (n = 1;; n++) {
		co_config_init(&cfg);
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, n, 0);
		rc = parse_argv(every_step_args);
		if (!co_sim_fault_injected(CO_SIM_FAULT_HEAP_ALLOC)) {
			assert_int_equal(rc, 0);
			check_every_step_result();
			co_config_free(&cfg);
			break;
		}
		if (rc != -CO_ENOMEM)
			fail_msg("allocation %lu: rc %d (%s)", n, rc, err);
		assert_contains(err, "out of memory");
		co_config_free(&cfg);
		assert_int_equal(co_sim_heap_in_use(), 0);
		assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
	}
	/* 8 strings and 2 file buffers: each was failed once. */
	assert_int_equal(n, 11);
	assert_int_equal(co_sim_heap_in_use(), 0);
}

static void test_read_failure_every_step(void **state)
{
	unsigned long n;
	int rc;

	build_every_step();
	for (n = 1;; n++) {
		co_config_init(&cfg);
		co_sim_fault_reset();
		co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 7, 1000);
		co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, n);
		rc = parse_argv(every_step_args);
		if (!co_sim_fault_injected(CO_SIM_FAULT_FILE_READ)) {
			assert_int_equal(rc, 0);
			check_every_step_result();
			co_config_free(&cfg);
			break;
		}
		assert_int_equal(rc, -CO_EIO);
		assert_contains(err, "read error at offset");
		co_config_free(&cfg);
		assert_int_equal(co_sim_heap_in_use(), 0);
		assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
	}
	assert_true(n > 10);
}

static void test_open_failure_every_step(void **state)
{
	unsigned long n;
	int rc;

	build_every_step();
	for (n = 1; n <= 2; n++) {
		co_config_init(&cfg);
		co_sim_fault_reset();
		co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_OPEN, n, CO_ENOENT);
		rc = parse_argv(every_step_args);
		assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_FILE_OPEN), 1);
		assert_int_equal(rc, -CO_ENOENT);
		assert_contains(err, "cannot open: not found");
		co_config_free(&cfg);
		assert_int_equal(co_sim_heap_in_use(), 0);
	}
}

/* Duplicates are caught across separate co_config_parse_arg calls too. */
static void test_duplicate_scalars_across_calls(void **state)
{
	parse_ok("mem=32");
	expect_fail_here("mem=64", -CO_EINVAL, "mem");
	assert_int_equal(cfg.mem_bytes, 32ULL << 20);
	parse_ok("memwindow=paged");
	expect_fail_here("memwindow=contiguous", -CO_EINVAL, "memwindow");
	assert_false(cfg.contiguous);
	parse_ok("cocon=100x30");
	expect_fail_here("cocon=80x25", -CO_EINVAL, "cocon");
	assert_int_equal(cfg.cocon_cols, 100);
	/* After co_config_free the keys may be given again. */
	co_config_free(&cfg);
	parse_ok("mem=64");
}

#define T(fn)		cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TF(fn)		cmocka_unit_test_setup_teardown(fn, setup, teardown_files)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_kernel_initrd),
		T(test_value_with_equals),
		T(test_mem),
		T(test_duplicate_scalars_in_args),
		T(test_duplicate_scalars_across_calls),
		T(test_memwindow),
		T(test_cocon),
		T(test_cobd),
		T(test_cobd_errors),
		T(test_eth_slirp),
		T(test_eth_forward_limit),
		T(test_eth_slirp_errors),
		T(test_eth_pcap_loop),
		T(test_mac),
		T(test_cmdline),
		T(test_cmdline_overflow),
		T(test_validate),
		T(test_validate_conflicts),
		T(test_free_reinit),
		T(test_free_after_failed_parse),
		T(test_err_buffer),
		TF(test_file_basic),
		TF(test_file_single_arg_and_empty),
		TF(test_file_errors_name_file_and_line),
		TF(test_file_quote_errors),
		TF(test_file_nul_byte),
		TF(test_file_missing),
		TF(test_file_nesting_and_cycles),
		TF(test_file_duplicates_across_files),
		TF(test_file_faults),
		TF(test_file_short_reads),
		TF(test_file_too_large),
		TF(test_alloc_failure_every_step),
		TF(test_read_failure_every_step),
		TF(test_open_failure_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
