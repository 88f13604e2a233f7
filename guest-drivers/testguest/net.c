// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough Ethernet, ARP, IPv4, ICMP and UDP to talk to slirp: frames
 * built and parsed by hand, checksums checked on everything received.
 */
#include "tg.h"

#define ETH_HLEN	14
#define IP_HLEN		20
#define UDP_HLEN	8
#define ICMP_HLEN	8
#define ETH_ARP		0x0806
#define ETH_IP		0x0800
#define IP_ICMP		1
#define IP_UDP		17

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint16_t ip_id = 1;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

static uint32_t sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint8_t *eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		    uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return f + ETH_HLEN;
}

static uint8_t *ip(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst,
		   size_t payload)
{
	memset(p, 0, IP_HLEN);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(IP_HLEN + payload));
	put16(p + 4, ip_id++);
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, sum_fold(sum_add(0, p, IP_HLEN)));
	return p + IP_HLEN;
}

/* The IPv4 payload of @f with protocol @proto, checked; NULL otherwise. */
static const uint8_t *ip_parse(const uint8_t *f, size_t len, uint8_t proto,
			       size_t *plen, uint32_t *src)
{
	const uint8_t *p = f + ETH_HLEN;
	size_t ihl, total;

	if (len < ETH_HLEN + IP_HLEN || get16(f + 12) != ETH_IP || (p[0] >> 4) != 4)
		return NULL;
	ihl = (size_t)(p[0] & 0xf) * 4;
	total = get16(p + 2);
	if (ihl < IP_HLEN || total < ihl || ETH_HLEN + total > len ||
	    p[9] != proto || sum_fold(sum_add(0, p, ihl)) != 0)
		return NULL;
	*plen = total - ihl;
	if (src)
		*src = get32(p + 12);
	return p + ihl;
}

int tg_arp_resolve(struct tg_net *n, uint32_t addr, uint8_t mac[6],
		   uint64_t timeout_ns)
{
	uint8_t f[64], r[CO_CONET_MAX_FRAME];
	uint64_t end = co_guest_now(&tg_g) + timeout_ns;
	uint8_t *a;
	int len;

	memset(f, 0, sizeof(f));
	a = eth(f, bcast, tg_net_mac(n), ETH_ARP);
	put16(a, 1);
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, tg_net_mac(n), 6);
	put32(a + 14, TG_GUEST_IP);
	put32(a + 24, addr);
	if (tg_net_send(n, f, 60) != CO_ST_OK)
		return -1;
	while ((len = tg_net_recv(n, r, sizeof(r), end)) >= 0) {
		a = r + ETH_HLEN;
		if (len >= ETH_HLEN + 28 && get16(r + 12) == ETH_ARP &&
		    get16(a + 6) == 2 && get32(a + 14) == addr &&
		    get32(a + 24) == TG_GUEST_IP) {
			memcpy(mac, a + 8, 6);
			return 0;
		}
	}
	return -1;
}

int tg_ping(struct tg_net *n, const uint8_t gw_mac[6], uint32_t addr,
	    uint16_t seq, size_t len, uint64_t timeout_ns)
{
	static uint8_t f[CO_CONET_MAX_FRAME], r[CO_CONET_MAX_FRAME];
	uint64_t end = co_guest_now(&tg_g) + timeout_ns;
	uint8_t *icmp;
	size_t i, plen;
	uint32_t src;
	int rlen;

	if (len > 1400)
		return -1;
	icmp = ip(eth(f, gw_mac, tg_net_mac(n), ETH_IP), IP_ICMP, TG_GUEST_IP,
		  addr, ICMP_HLEN + len);
	memset(icmp, 0, ICMP_HLEN);
	icmp[0] = 8;
	put16(icmp + 4, 0xc011);
	put16(icmp + 6, seq);
	for (i = 0; i < len; i++)
		icmp[ICMP_HLEN + i] = (uint8_t)(seq + i);
	put16(icmp + 2, sum_fold(sum_add(0, icmp, ICMP_HLEN + len)));
	if (tg_net_send(n, f, ETH_HLEN + IP_HLEN + ICMP_HLEN + len) != CO_ST_OK)
		return -1;
	while ((rlen = tg_net_recv(n, r, sizeof(r), end)) >= 0) {
		const uint8_t *p = ip_parse(r, (size_t)rlen, IP_ICMP, &plen, &src);

		if (!p || src != addr || plen != ICMP_HLEN + len || p[0] != 0 ||
		    get16(p + 4) != 0xc011 || get16(p + 6) != seq)
			continue;
		if (sum_fold(sum_add(0, p, plen)) != 0 ||
		    memcmp(p + ICMP_HLEN, icmp + ICMP_HLEN, len))
			return -2;
		return 0;
	}
	return -1;
}

static uint16_t udp_sum(const uint8_t *udp, size_t len, uint32_t src,
			uint32_t dst)
{
	uint8_t pseudo[12];
	uint16_t s;

	put32(pseudo, src);
	put32(pseudo + 4, dst);
	pseudo[8] = 0;
	pseudo[9] = IP_UDP;
	put16(pseudo + 10, (uint16_t)len);
	s = sum_fold(sum_add(sum_add(0, pseudo, 12), udp, len));
	return s;
}

size_t tg_udp_frame(uint8_t *frame, const uint8_t src_mac[6],
		    const uint8_t dst_mac[6], uint32_t src_ip, uint32_t dst_ip,
		    uint16_t sport, uint16_t dport, const void *data,
		    size_t len)
{
	uint8_t *udp = ip(eth(frame, dst_mac, src_mac, ETH_IP), IP_UDP, src_ip,
			  dst_ip, UDP_HLEN + len);
	uint16_t s;

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(UDP_HLEN + len));
	put16(udp + 6, 0);
	memcpy(udp + UDP_HLEN, data, len);
	s = udp_sum(udp, UDP_HLEN + len, src_ip, dst_ip);
	put16(udp + 6, s ? s : 0xffff);
	return ETH_HLEN + IP_HLEN + UDP_HLEN + len;
}

const uint8_t *tg_udp_parse(const uint8_t *frame, size_t len, uint16_t dport,
			    size_t *plen)
{
	const uint8_t *ipp = frame + ETH_HLEN;
	const uint8_t *udp;
	size_t ulen;
	uint32_t src;

	udp = ip_parse(frame, len, IP_UDP, &ulen, &src);
	if (!udp || ulen < UDP_HLEN || get16(udp + 2) != dport ||
	    get16(udp + 4) != ulen)
		return NULL;
	if (get16(udp + 6) &&
	    udp_sum(udp, ulen, src, get32(ipp + 16)) != 0)
		return NULL;
	*plen = ulen - UDP_HLEN;
	return udp + UDP_HLEN;
}
