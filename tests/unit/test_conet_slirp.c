// SPDX-License-Identifier: GPL-2.0
/*
 * conet over the host's user-mode NAT (the sim-host's libslirp back-end),
 * end to end: the guest ARPs for its gateway, talks UDP through the NAT to
 * a socket this test owns on 127.0.0.1 and gets the answer back, and
 * receives through a configured port forward. Frames are built and
 * checked (checksums included) by the small helpers below.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "test_conet_common.h"

#define GUEST_IP	0x0a00020fu	/* 10.0.2.15 */
#define GW_IP		0x0a000202u	/* 10.0.2.2, the host */
#define GUEST_PORT	40000
#define FWD_GUEST_PORT	7777

static const uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

/* ---- frame helpers ------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* One's-complement sum of big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum over the pseudo header, header and data (RFC 768). */
static uint16_t udp_csum(uint32_t sip, uint32_t dip, const uint8_t *udp,
			 size_t len)
{
	uint8_t ph[12];

	put32(ph, sip);
	put32(ph + 4, dip);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, (uint16_t)len);
	return csum_fold(csum_add(csum_add(0, ph, sizeof(ph)), udp, len));
}

static size_t build_arp(uint8_t *f, uint16_t oper, const uint8_t eth_dst[6],
			const uint8_t sha[6], uint32_t spa,
			const uint8_t tha[6], uint32_t tpa)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, oper);
	memcpy(f + 22, sha, 6);
	put32(f + 28, spa);
	memcpy(f + 32, tha, 6);
	put32(f + 38, tpa);
	return 42;
}

static size_t build_udp(uint8_t *f, const uint8_t dmac[6],
			const uint8_t smac[6], uint32_t sip, uint32_t dip,
			uint16_t sport, uint16_t dport, const void *data,
			size_t dlen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t sum;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + dlen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);		/* don't fragment */
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, sip);
	put32(ip + 16, dip);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + dlen));
	put16(udp + 6, 0);
	memcpy(udp + 8, data, dlen);
	sum = udp_csum(sip, dip, udp, 8 + dlen);
	put16(udp + 6, sum ? sum : 0xffff);
	return 14 + 20 + 8 + dlen;
}

struct udp_view {
	uint32_t sip, dip;
	uint16_t sport, dport;
	const uint8_t *data;
	size_t dlen;
};

/* A well-formed IPv4/UDP frame with both checksums right, or false. */
static bool parse_udp(const uint8_t *f, size_t len, struct udp_view *v)
{
	const uint8_t *ip = f + 14, *udp;
	size_t ihl, tot, ulen;

	if (len < 14 + 20 + 8 || get16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if (ihl < 20 || tot < ihl + 8 || 14 + tot > len || ip[9] != 17)
		return false;
	/* The header checksum sums to zero over a correct header. */
	assert_int_equal(csum_fold(csum_add(0, ip, ihl)), 0);
	udp = ip + ihl;
	ulen = get16(udp + 4);
	assert_int_equal(ulen, tot - ihl);
	v->sip = get32(ip + 12);
	v->dip = get32(ip + 16);
	assert_int_not_equal(get16(udp + 6), 0);	/* slirp always sums */
	assert_int_equal(udp_csum(v->sip, v->dip, udp, ulen), 0);
	v->sport = get16(udp);
	v->dport = get16(udp + 2);
	v->data = udp + 8;
	v->dlen = ulen - 8;
	return true;
}

static bool is_arp_request_for(const uint8_t *f, size_t len, uint32_t ip)
{
	return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 1 &&
	       get32(f + 38) == ip;
}

/* ---- the scenario ---------------------------------------------------------- */

struct nat_ctx {
	int server;		/* UDP socket on 127.0.0.1 */
	uint16_t server_port;
	uint16_t fwd_host_port;
	uint8_t me[6];
	uint8_t gw[6];		/* learned from the ARP reply */
	unsigned int posted;	/* RX buffers the guest has out */
	bool got_reply, got_forwarded;
	unsigned int arp_answers;
};

static const char ping[] = "ping from the guest";
static const char pong[] = "pong from 127.0.0.1";
static const char knock[] = "knock through the forward";

static void keep_rx_posted(struct rig *r, struct nat_ctx *n)
{
	while (n->posted < 4) {
		g_rx_post(r, 0, 1518);
		n->posted++;
	}
	g_rx_kick(r, 0);
}

static void check_arp_reply(struct nat_ctx *n, const uint8_t *f, size_t len)
{
	assert_true(len >= 42);
	assert_memory_equal(f, n->me, 6);
	assert_int_equal(get16(f + 12), 0x0806);
	assert_int_equal(get16(f + 20), 2);		/* reply */
	assert_memory_equal(f + 6, f + 22, 6);		/* sha = source */
	assert_memory_equal(f + 22, slirp_mac, 6);
	assert_int_equal(get32(f + 28), GW_IP);
	assert_memory_equal(f + 32, n->me, 6);
	assert_int_equal(get32(f + 38), GUEST_IP);
	memcpy(n->gw, f + 22, 6);
}

/* A frame for the guest while it waits for UDP: answer ARP, check UDP. */
static void handle_rx(struct rig *r, struct nat_ctx *n, const uint8_t *f,
		      size_t len)
{
	struct udp_view v;
	uint8_t a[64];

	if (is_arp_request_for(f, len, GUEST_IP)) {
		/* slirp asks who we are before it delivers to us. */
		g_tx(r, 0, a, build_arp(a, 2, f + 6, n->me, GUEST_IP, f + 6,
					get32(f + 28)));
		g_tx_kick(r, 0);
		n->arp_answers++;
		return;
	}
	if (!parse_udp(f, len, &v))
		return;
	assert_memory_equal(f, n->me, 6);
	assert_int_equal(v.dip, GUEST_IP);
	if (v.dport == GUEST_PORT) {
		assert_int_equal(v.sip, GW_IP);
		assert_int_equal(v.sport, n->server_port);
		assert_int_equal(v.dlen, sizeof(pong));
		assert_memory_equal(v.data, pong, sizeof(pong));
		n->got_reply = true;
	} else if (v.dport == FWD_GUEST_PORT) {
		assert_int_equal(v.dlen, sizeof(knock));
		assert_memory_equal(v.data, knock, sizeof(knock));
		n->got_forwarded = true;
	}
}

static void reap_rx(struct rig *r, struct nat_ctx *n)
{
	struct co_cpl c;

	while (co_gring_reap(&r->net[0].rx, &c)) {
		n->posted--;
		assert_int_equal(c.status, CO_ST_OK);
		handle_rx(r, n, co_test_gpa_ptr(r->g, c.id), c.len);
	}
}

static void reap_tx_ok(struct rig *r)
{
	struct co_cpl c;

	while (co_gring_reap(&r->net[0].tx, &c))
		assert_int_equal(c.status, CO_ST_OK);
}

/* The test, as the host outside: receive the datagram and answer it. */
static void server_answer(struct nat_ctx *n)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char buf[256];
	ssize_t got;

	got = recvfrom(n->server, buf, sizeof(buf), 0,
		       (struct sockaddr *)&from, &flen);
	assert_int_equal(got, sizeof(ping));
	assert_memory_equal(buf, ping, sizeof(ping));
	assert_int_equal(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(sendto(n->server, pong, sizeof(pong), 0,
				(struct sockaddr *)&from, flen),
			 sizeof(pong));
}

static void knock_forward(struct nat_ctx *n)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(s >= 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(n->fwd_host_port);
	assert_int_equal(sendto(s, knock, sizeof(knock), 0,
				(struct sockaddr *)&to, sizeof(to)),
			 sizeof(knock));
	close(s);
}

static void body_nat(struct rig *r, unsigned int step)
{
	struct nat_ctx *n = r->ctx;
	struct co_cpl c;
	uint8_t f[128];
	size_t len;

	if (step == 0) {
		keep_rx_posted(r, n);
		g_tx(r, 0, f, build_arp(f, 1, mac_bcast, n->me, GUEST_IP,
					(const uint8_t[6]){ 0 }, GW_IP));
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		return;
	}
	if (step == 1) {
		assert_int_equal(co_gring_reap(&r->net[0].tx, &c), 1);
		assert_int_equal(c.status, CO_ST_OK);
		/* The answer is in our buffer already. */
		assert_int_equal(co_gring_reap(&r->net[0].rx, &c), 1);
		n->posted--;
		assert_int_equal(c.status, CO_ST_OK);
		check_arp_reply(n, co_test_gpa_ptr(r->g, c.id), c.len);
		assert_true(co_test_irq_take(r->g, CO_IRQ_CONET(0)));
		len = build_udp(f, n->gw, n->me, GUEST_IP, GW_IP, GUEST_PORT,
				n->server_port, ping, sizeof(ping));
		g_tx(r, 0, f, len);
		g_tx_kick(r, 0);
		keep_rx_posted(r, n);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		return;
	}
	if (step == 2) {
		/* Through the NAT: the datagram waits at our socket. */
		server_answer(n);
		knock_forward(n);
	}
	reap_tx_ok(r);
	reap_rx(r, n);
	co_test_irq_take(r->g, CO_IRQ_CONET(0));
	if ((n->got_reply && n->got_forwarded) || step > 200) {
		co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	keep_rx_posted(r, n);
	/* Sleep until the NAT has something for us. */
	co_test_op(r->g, CO_OP_IDLE, 0, 0, 0);
}

static int udp_socket_on_loopback(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct timeval tv = { .tv_sec = 30 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	/* Only a guard against hanging if the NAT loses the datagram. */
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static void test_slirp_arp_and_udp(void **state)
{
	const char *args[] = { "mem=16", NULL, NULL };
	struct co_conet_stats st;
	struct co_vm_exit exit;
	struct nat_ctx n = { 0 };
	char arg[128];
	struct rig r;
	int probe;

	n.server = udp_socket_on_loopback(&n.server_port);
	/* A free port for the forward: bind, note, release. */
	probe = udp_socket_on_loopback(&n.fwd_host_port);
	close(probe);
	snprintf(arg, sizeof(arg), "eth0=slirp,udp:%u:%u", n.fwd_host_port,
		 FWD_GUEST_PORT);
	args[1] = arg;
	mac_of_unit(0, n.me);

	assert_int_equal(rig_boot(&r, args, 1, body_nat, &n), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	assert_true(n.got_reply);
	assert_true(n.got_forwarded);
	co_conet_stats(rig_dev(&r, 0), &st);
	assert_int_equal(st.tx_frames, 2 + n.arp_answers);
	assert_true(st.rx_frames >= 3);
	assert_int_equal(st.tx_dropped_malformed, 0);
	assert_int_equal(st.rx_dropped_nobuf, 0);
	co_test_destroy(r.g);
	close(n.server);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* The host refuses a frame: counted, and the guest still gets OK. */
static void body_send_fault(struct rig *r, unsigned int step)
{
	uint8_t f[64], me[6];
	struct co_cpl c;

	mac_of_unit(0, me);
	if (step == 0) {
		co_sim_fault_eio(CO_SIM_FAULT_NET_SEND, 1);
		g_tx(r, 0, f, build_arp(f, 1, mac_bcast, me, GUEST_IP,
					(const uint8_t[6]){ 0 }, GW_IP));
		g_tx_kick(r, 0);
		co_test_op(r->g, CO_OP_NOTIFY, 0, 0, 0);
		return;
	}
	assert_int_equal(co_gring_reap(&r->net[0].tx, &c), 1);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_NET_SEND), 1);
	co_test_terminate(r->g, CO_TERM_POWEROFF, 0, "");
}

static void test_slirp_send_fault(void **state)
{
	const char *args[] = { "mem=16", "eth0=slirp", NULL };
	struct co_conet_stats st;
	struct co_conet_xstats xs;
	struct co_vm_exit exit;
	struct rig r;

	assert_int_equal(rig_boot(&r, args, 1, body_send_fault, NULL), 0);
	assert_int_equal(co_test_run(r.g, &exit), CO_TERM_POWEROFF);
	co_conet_stats(rig_dev(&r, 0), &st);
	co_conet_xstats(rig_dev(&r, 0), &xs);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(xs.tx_lost, 1);
	co_test_destroy(r.g);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* The host cannot open its NAT: no VM. */
static void test_slirp_open_fails(void **state)
{
	const char *args[] = { "mem=16", "eth0=slirp", NULL };
	struct co_test_guest *g;

	co_sim_fault_eio(CO_SIM_FAULT_NET_OPEN, 1);
	assert_int_equal(co_test_create(args, rig_step, NULL, &g), -CO_EIO);
	assert_int_equal(co_sim_leak_check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slirp_arp_and_udp,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_slirp_send_fault,
						conet_test_setup, conet_test_teardown),
		cmocka_unit_test_setup_teardown(test_slirp_open_fails,
						conet_test_setup, conet_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
