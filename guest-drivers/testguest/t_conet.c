// SPDX-License-Identifier: GPL-2.0
/*
 * conet test programs. The guest cannot see which back-end a unit has, so
 * the command line says: slirp=UNIT, pcap=UNIT, loop=UNIT,UNIT (programs
 * skip, with the reason, when theirs is not given).
 *
 * slirp's virtual network: guest 10.0.2.15, gateway/host 10.0.2.2
 * (traffic to it goes to the host's loopback), DNS 10.0.2.3.
 */
#include "tg.h"

#define ETH_TEST	0x88b5	/* IEEE local experimental ethertype */
#define MAGIC		0x434f4c58u	/* "COLX" */
#define SPORT		40000

static struct tg_net *unit_arg(const char *key, const char *what)
{
	char buf[16];
	uint64_t u;
	struct tg_net *n;

	if (!tg_arg(key, buf, sizeof(buf))) {
		tg_skip("no %s=UNIT on the command line (the unit with %s)", key, what);
		return NULL;
	}
	if (!tg_parse_u64(buf, strlen(buf), &u) || !tg_dev_find(CO_DEV_CONET, (unsigned int)u)) {
		tg_fail("%s=%s: no such conet unit", key, buf);
		return NULL;
	}
	n = tg_net_open((unsigned int)u);
	if (!n)
		tg_fail("eth%llu: cannot set up its queues", (unsigned long long)u);
	return n;
}

static void mac_str(char *buf, size_t size, const uint8_t *m)
{
	tg_snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		    m[3], m[4], m[5]);
}

void tg_test_conet_arp(void)
{
	struct tg_net *n = unit_arg("slirp", "slirp");
	uint8_t mac[6];
	char s[24];
	int r;

	if (!n)
		return;
	r = tg_arp_resolve(n, TG_GATEWAY_IP, mac, 2 * NS_PER_S);
	mac_str(s, sizeof(s), mac);
	if (tg_check(!r && !(mac[0] & 1), "ARP: 10.0.2.2 is at %s", r ? "?" : s))
		tg_printf("conet_arp: gateway mac %s\n", s);
	r = tg_arp_resolve(n, TG_IP(10, 0, 2, 3), mac, 2 * NS_PER_S);
	tg_check(!r, "ARP: the DNS address 10.0.2.3 answers too");
	r = tg_arp_resolve(n, TG_IP(10, 0, 2, 99), mac, 200 * NS_PER_MS);
	tg_check(r != 0, "ARP: nobody answers for 10.0.2.99");
}

void tg_test_conet_ping(void)
{
	static const size_t sizes[] = { 0, 56, 1000, 1400 };
	struct tg_net *n = unit_arg("slirp", "slirp");
	uint8_t mac[6];
	unsigned int i;

	if (!n)
		return;
	if (!tg_check(!tg_arp_resolve(n, TG_GATEWAY_IP, mac, 2 * NS_PER_S),
		      "ARP for the gateway"))
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		int r = tg_ping(n, mac, TG_GATEWAY_IP, (uint16_t)(i + 1), sizes[i],
				2 * NS_PER_S);

		tg_check(!r, "ping 10.0.2.2 with %u bytes: %s", (unsigned int)sizes[i],
			 !r ? "reply matches" : r == -2 ? "reply corrupt" : "no reply");
	}
}

/* The payload of UDP datagram @seq: text the host can read, then bytes. */
static size_t udp_payload(uint8_t *p, uint64_t seed, unsigned int seq)
{
	size_t len = (size_t)tg_snprintf((char *)p, 64, "colinux-udp seed=%llu seq=%u ",
					 (unsigned long long)seed, seq);
	size_t extra = 16 + (size_t)(tg_mix64(seed + seq) % 900), i;

	for (i = 0; i < extra; i++)
		p[len + i] = (uint8_t)('a' + (seq + i) % 26);
	return len + extra;
}

static int udp_exchange(struct tg_net *n, const uint8_t *gw, uint16_t port,
			const uint8_t *data, size_t len, unsigned int tries)
{
	static uint8_t f[CO_CONET_MAX_FRAME], r[CO_CONET_MAX_FRAME];
	size_t flen = tg_udp_frame(f, tg_net_mac(n), gw, TG_GUEST_IP, TG_GATEWAY_IP,
				   SPORT, port, data, len);
	unsigned int t;

	for (t = 0; t < tries; t++) {
		uint64_t end = co_guest_now(&tg_g) + 200 * NS_PER_MS;
		int rlen;

		if (tg_net_send(n, f, flen) != CO_ST_OK)
			return -2;
		while ((rlen = tg_net_recv(n, r, sizeof(r), end)) >= 0) {
			size_t plen;
			const uint8_t *p = tg_udp_parse(r, (size_t)rlen, SPORT, &plen);

			if (p && plen == len && !memcmp(p, data, len))
				return (int)t;
		}
	}
	return -1;
}

void tg_test_conet_udp(void)
{
	struct tg_net *n = unit_arg("slirp", "slirp");
	uint64_t port = tg_arg_u64("udp_port", 0), seed = tg_arg_u64("seed", 1);
	unsigned int count = (unsigned int)tg_arg_u64("count", 4), i;
	unsigned int tries = (unsigned int)tg_arg_u64("tries", 50);
	static uint8_t data[1024];
	uint8_t gw[6];

	if (!n)
		return;
	if (!port || port > 65535) {
		tg_skip("no udp_port=N (a host UDP echo server on 127.0.0.1)");
		return;
	}
	if (!tg_check(!tg_arp_resolve(n, TG_GATEWAY_IP, gw, 2 * NS_PER_S),
		      "ARP for the gateway"))
		return;
	for (i = 0; i < count; i++) {
		size_t len = udp_payload(data, seed, i);
		int r = udp_exchange(n, gw, (uint16_t)port, data, len, tries);

		tg_check(r >= 0, "UDP datagram %u (%u bytes) to 10.0.2.2:%u echoed back%s",
			 i, (unsigned int)len, (unsigned int)port,
			 r > 0 ? " after resends" : r == -2 ? ": send failed" :
			 r < 0 ? ": no echo" : "");
	}
}

void tg_test_conet_pcap(void)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct tg_net *n = unit_arg("pcap", "pcap");
	uint64_t seed = tg_arg_u64("seed", 1);
	unsigned int count = (unsigned int)tg_arg_u64("count", 8), i, ok = 0;
	static uint8_t f[CO_CONET_MAX_FRAME], data[1024];

	if (!n)
		return;
	for (i = 0; i < count; i++) {
		size_t len = (size_t)tg_snprintf((char *)data, sizeof(data),
						 "colinux-pcap seed=%llu seq=%u",
						 (unsigned long long)seed, i);
		size_t flen = tg_udp_frame(f, tg_net_mac(n), dst, TG_GUEST_IP,
					   TG_IP(10, 0, 2, 99), SPORT, 9999, data, len);

		ok += tg_net_send(n, f, flen) == CO_ST_OK;
	}
	tg_check(ok == count, "%u of %u UDP frames to 10.0.2.99:9999 sent", ok, count);
}

static size_t loop_frame(uint8_t *f, const uint8_t *src, const uint8_t *dst,
			 unsigned int seq)
{
	size_t len = 60 + (size_t)(tg_mix64(seq) % 1400), i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_TEST >> 8;
	f[13] = ETH_TEST & 0xff;
	memcpy(f + 14, &(uint32_t){ MAGIC }, 4);
	memcpy(f + 18, &seq, 4);
	for (i = 22; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i);
	return len;
}

/* The next test frame on @n; its sequence number or -1. */
static int loop_recv(struct tg_net *n, uint8_t *r, size_t *len)
{
	uint64_t end = co_guest_now(&tg_g) + 2 * NS_PER_S;
	uint32_t magic, seq;
	int rlen;

	while ((rlen = tg_net_recv(n, r, CO_CONET_MAX_FRAME, end)) >= 0) {
		memcpy(&magic, r + 14, 4);
		if (rlen < 22 || r[12] != (ETH_TEST >> 8) || r[13] != (ETH_TEST & 0xff) ||
		    magic != MAGIC)
			continue;
		memcpy(&seq, r + 18, 4);
		*len = (size_t)rlen;
		return (int)seq;
	}
	return -1;
}

void tg_test_conet_loop(void)
{
	static uint8_t f[CO_CONET_MAX_FRAME], r[CO_CONET_MAX_FRAME];
	unsigned int count = (unsigned int)tg_arg_u64("count", 16), i, good = 0;
	struct tg_net *a, *b;
	char buf[16];
	uint64_t ua, ub;
	char *comma;

	if (!tg_arg("loop", buf, sizeof(buf))) {
		tg_skip("no loop=UNIT,UNIT on the command line (a loopback pair)");
		return;
	}
	comma = buf;
	while (*comma && *comma != ',')
		comma++;
	if (!*comma || !tg_parse_u64(buf, (size_t)(comma - buf), &ua) ||
	    !tg_parse_u64(comma + 1, strlen(comma + 1), &ub) ||
	    !(a = tg_net_open((unsigned int)ua)) || !(b = tg_net_open((unsigned int)ub))) {
		tg_fail("loop=%s: need two conet units", buf);
		return;
	}
	for (i = 0; i < count; i++) {
		size_t len = loop_frame(f, tg_net_mac(a), tg_net_mac(b), i), rlen;
		int seq;

		if (tg_net_send(a, f, len) != CO_ST_OK)
			break;
		seq = loop_recv(b, r, &rlen);
		if (seq != (int)i || rlen != len || memcmp(f, r, len))
			break;
		good++;
	}
	tg_check(good == count, "%u of %u frames eth%llu -> eth%llu arrived intact, in order",
		 good, count, (unsigned long long)ua, (unsigned long long)ub);
	{
		size_t len = loop_frame(f, tg_net_mac(b), tg_net_mac(a), 1000), rlen;
		int seq;

		tg_net_send(b, f, len);
		seq = loop_recv(a, r, &rlen);
		tg_check(seq == 1000 && rlen == len && !memcmp(f, r, len),
			 "a frame back eth%llu -> eth%llu", (unsigned long long)ub,
			 (unsigned long long)ua);
	}
}

void tg_test_conet_errors(void)
{
	static uint8_t f[CO_CONET_MAX_FRAME + 16];
	struct tg_net *n = NULL;
	unsigned int u;
	int32_t st;

	for (u = 0; u < CO_CONET_UNITS && !n; u++) {
		if (tg_dev_find(CO_DEV_CONET, u))
			n = tg_net_open(u);
	}
	if (!n) {
		tg_skip("no conet unit configured (ethN=...)");
		return;
	}
	memset(f, 0, sizeof(f));
	memcpy(f, tg_net_mac(n), 6);
	memcpy(f + 6, tg_net_mac(n), 6);
	f[12] = ETH_TEST >> 8;
	f[13] = ETH_TEST & 0xff;
	st = tg_net_send(n, f, 10);
	tg_check(st == CO_ST_INVAL, "a 10-byte frame: status %d (want %d)", st, CO_ST_INVAL);
	st = tg_net_send(n, f, CO_CONET_MAX_FRAME + 1);
	tg_check(st == CO_ST_TOOBIG, "a %u-byte frame: status %d (want %d)",
		 CO_CONET_MAX_FRAME + 1, st, CO_ST_TOOBIG);
	f[6] |= 1;
	st = tg_net_send(n, f, 60);
	tg_check(st == CO_ST_INVAL, "a multicast source address: status %d (want %d)",
		 st, CO_ST_INVAL);
	f[6] &= ~1;
	st = tg_net_send(n, f, CO_CONET_MIN_FRAME);
	tg_check(st == CO_ST_OK, "a %u-byte frame (header only): status %d",
		 CO_CONET_MIN_FRAME, st);
}

/* ---- frames that arrive while the guest computes -------------------------- */

static volatile uint64_t busy_sink;

static uint64_t host_ticks(void)
{
	uint64_t n = 0;
	unsigned int v;

	for (v = 32; v < 256; v++)
		n += tg_host_irq_count(v);
	return n;
}

/*
 * Compute with interrupts on and make no call of our own: only the host
 * interrupts we forward switch to the host. Stops when @want completions
 * are in @n's RX ring, after @ticks host interrupts, or after a bound on
 * the work (a tier without host interrupts); returns the ring's count.
 */
static uint32_t busy_until_rx(struct tg_net *n, uint32_t want, uint64_t ticks)
{
	uint64_t end = host_ticks() + ticks, h = 1, spins;
	uint32_t ready;
	unsigned int i;

	tg_sti();
	for (spins = 0; spins < (1ULL << 22); spins++) {
		ready = tg_net_rx_ready(n);
		if (ready >= want || host_ticks() >= end)
			break;
		for (i = 0; i < 256; i++)
			h = (h ^ i) * 0x100000001b3ULL;
	}
	tg_cli();
	busy_sink = h;
	return tg_net_rx_ready(n);
}

/* Echoes of this round's @count datagrams in the receive queue. */
static unsigned int busy_collect(struct tg_net *n, uint64_t seed, unsigned int round,
				 unsigned int count)
{
	static uint8_t r[CO_CONET_MAX_FRAME], data[1024];
	uint64_t end = co_guest_now(&tg_g) + 500 * NS_PER_MS;
	unsigned int got = 0, i;
	size_t plen;
	const uint8_t *p;
	int rlen;

	while (got < count && (rlen = tg_net_recv(n, r, sizeof(r), end)) >= 0) {
		p = tg_udp_parse(r, (size_t)rlen, SPORT, &plen);
		for (i = 0; p && i < count; i++) {
			size_t len = udp_payload(data, seed + round, i);

			if (plen == len && !memcmp(p, data, len)) {
				got++;
				break;
			}
		}
	}
	return got;
}

/*
 * conet_busy: UDP datagrams go to the host's echo server, then the guest
 * computes without a call of its own; the echoes must reach its RX ring
 * meanwhile, through the host's tick, not only when the guest idles or
 * calls. A round whose echoes all came back before the computation
 * started proves nothing and is repeated.
 */
void tg_test_conet_busy(void)
{
	struct tg_net *n = unit_arg("slirp", "slirp");
	uint64_t port = tg_arg_u64("udp_port", 0), seed = tg_arg_u64("seed", 1);
	uint64_t ticks = tg_arg_u64("ticks", 5000), t0;
	unsigned int count = (unsigned int)tg_arg_u64("count", 4);
	unsigned int rounds = (unsigned int)tg_arg_u64("rounds", 5), round, i;
	uint32_t taken, ring0, ready, waiting;
	static uint8_t f[CO_CONET_MAX_FRAME], data[1024];
	uint8_t gw[6];

	if (!n)
		return;
	if (!port || port > 65535 || !count || count > 8) {
		tg_skip("no udp_port=N (a host UDP echo server), or count not 1..8");
		return;
	}
	if (!tg_check(!tg_arp_resolve(n, TG_GATEWAY_IP, gw, 2 * NS_PER_S),
		      "ARP for the gateway"))
		return;
	for (round = 0; round < rounds; round++) {
		uint64_t rx0 = tg_net_rx_count(n);

		for (i = 0; i < count; i++) {
			size_t len = udp_payload(data, seed + round, i);
			size_t flen = tg_udp_frame(f, tg_net_mac(n), gw, TG_GUEST_IP,
						   TG_GATEWAY_IP, SPORT, (uint16_t)port,
						   data, len);

			if (tg_net_send(n, f, flen) != CO_ST_OK) {
				tg_fail("round %u: datagram %u not sent", round, i);
				return;
			}
		}
		/* Echoes the interrupt handler took during the sends, and in the ring. */
		taken = (uint32_t)(tg_net_rx_count(n) - rx0);
		ring0 = tg_net_rx_ready(n);
		waiting = count - MIN(count, taken + ring0);
		t0 = host_ticks();
		ready = busy_until_rx(n, ring0 + waiting, ticks);
		t0 = host_ticks() - t0;
		co_guest_notify(&tg_g);		/* the interrupt handler takes them */
		i = busy_collect(n, seed, round, count);
		tg_printf("conet_busy: round %u: %u of %u echoes before computing, %u more in the ring after %llu host interrupts\n",
			  round, count - waiting, count, ready - ring0, (unsigned long long)t0);
		if (!waiting)
			continue;
		tg_check(ready - ring0 >= waiting && i == count,
			 "%u echoes reached the RX ring while the guest computed (%llu host interrupts), %u of %u matched",
			 ready - ring0, (unsigned long long)t0, i, count);
		return;
	}
	tg_skip("every echo came back before the guest started computing (%u rounds)", rounds);
}
