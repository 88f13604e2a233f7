// SPDX-License-Identifier: GPL-2.0
/*
 * sim-host networking through the real libslirp: ARP, DHCP, and UDP both
 * ways between the guest network and real sockets on 127.0.0.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <colinux/host.h>
#include <sim/sim.h>

#define MS		1000000ULL
#define ETH_HLEN	14
#define IP_HLEN		20
#define UDP_HLEN	8
#define GUEST_IP	0x0a00020fU	/* 10.0.2.15 */
#define HOST_IP		0x0a000202U	/* 10.0.2.2 */
#define DNS_IP		0x0a000203U	/* 10.0.2.3 */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/* The gateway's MAC, as the last ARP reply told. */
static uint8_t gw_mac[6];

/* ---- What the "guest" received ---------------------------------------- */

struct rx {
	unsigned int n;
	size_t len[16];
	uint8_t frame[16][2048];
	struct co_host_event *wake;
};

static void rx_fn(void *ctx, const void *frame, size_t len)
{
	struct rx *r = ctx;

	if (r->n < 16 && len <= sizeof(r->frame[0])) {
		memcpy(r->frame[r->n], frame, len);
		r->len[r->n] = len;
		r->n++;
	}
	if (r->wake)
		co_host_event_signal(r->wake);
}

/* ---- Frame building ------------------------------------------------- */

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

/* Ones' complement sum of big-endian 16-bit words, not yet folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum over pseudo header, header and payload. */
static uint16_t udp_sum(const uint8_t *ip, const uint8_t *udp, size_t len)
{
	uint32_t sum = sum16(ip + 12, 8, 0);	/* source, destination */

	sum += 17 + (uint32_t)len;
	return fold(sum16(udp, len, sum));
}

static size_t eth_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

static size_t build_arp_request(uint8_t *f, uint32_t target)
{
	uint8_t *a = f + eth_header(f, bcast_mac, 0x0806);

	memset(a, 0, 46);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, 0x0800);		/* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);		/* request */
	memcpy(a + 8, guest_mac, 6);
	put32(a + 14, GUEST_IP);
	put32(a + 24, target);
	return 60;			/* minimum frame, padded */
}

static size_t build_udp(uint8_t *f, const uint8_t *dst_mac, uint32_t src,
			uint16_t sport, uint32_t dst, uint16_t dport,
			const void *payload, size_t len)
{
	uint8_t *ip = f + eth_header(f, dst_mac, 0x0800);
	uint8_t *udp = ip + IP_HLEN;

	memset(ip, 0, IP_HLEN + UDP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + UDP_HLEN + len));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, IP_HLEN, 0)));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(UDP_HLEN + len));
	memcpy(udp + UDP_HLEN, payload, len);
	put16(udp + 6, udp_sum(ip, udp, UDP_HLEN + len));
	return ETH_HLEN + IP_HLEN + UDP_HLEN + len;
}

/*
 * Check a received frame is IPv4/UDP with good checksums and the given
 * addresses and ports (0: any); returns the payload and its length.
 */
static const uint8_t *parse_udp(const uint8_t *f, size_t flen, uint32_t src,
				uint32_t dst, uint16_t sport, uint16_t dport,
				size_t *len)
{
	const uint8_t *ip = f + ETH_HLEN, *udp;
	size_t ip_len, udp_len;

	assert_true(flen >= ETH_HLEN + IP_HLEN + UDP_HLEN);
	assert_int_equal(get16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[9], 17);
	assert_int_equal(fold(sum16(ip, IP_HLEN, 0)), 0);
	ip_len = get16(ip + 2);
	assert_true(ip_len <= flen - ETH_HLEN);
	if (src)
		assert_int_equal(get32(ip + 12), src);
	if (dst)
		assert_int_equal(get32(ip + 16), dst);
	udp = ip + IP_HLEN;
	udp_len = get16(udp + 4);
	assert_int_equal(udp_len, ip_len - IP_HLEN);
	if (sport)
		assert_int_equal(get16(udp), sport);
	assert_int_equal(get16(udp + 2), dport);
	if (get16(udp + 6))
		assert_int_equal(udp_sum(ip, udp, udp_len), 0);
	*len = udp_len - UDP_HLEN;
	return udp + UDP_HLEN;
}

/* ---- Fixture ---------------------------------------------------------- */

static struct co_host_net_config slirp_cfg = {
	.kind = "slirp",
	.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
};

static int setup(void **state)
{
	co_sim_reset();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static struct co_host_net *open_slirp(const struct co_host_net_config *cfg,
				      struct rx *r)
{
	struct co_host_net *n = NULL;

	memset(r, 0, sizeof(*r));
	assert_int_equal(co_host_net_open(cfg, rx_fn, r, &n), 0);
	assert_non_null(n);
	return n;
}

/* A UDP socket on 127.0.0.1, port chosen by the kernel. */
static int udp_socket(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Wait (really: this is the outside world) until @fd has a datagram. */
static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	/* A generous safety net against a hang, not a timing assertion. */
	assert_int_equal(poll(&p, 1, 10000), 1);
}

/* ARP for @target; slirp also learns the guest's MAC from it. */
static void arp(struct co_host_net *n, struct rx *r, uint32_t target)
{
	uint8_t f[64];
	const uint8_t *a;
	unsigned int before = r->n;

	assert_int_equal(co_host_net_send(n, f, build_arp_request(f, target)),
			 0);
	/* Never delivered from inside the send. */
	assert_int_equal(r->n, before);
	co_host_net_poll(n);
	assert_int_equal(r->n, before + 1);
	assert_true(r->len[before] >= ETH_HLEN + 28);
	a = r->frame[before];
	assert_memory_equal(a, guest_mac, 6);
	assert_int_equal(get16(a + 12), 0x0806);
	a += ETH_HLEN;
	assert_int_equal(get16(a + 6), 2);		/* reply */
	assert_int_equal(get32(a + 14), target);	/* who has it */
	memcpy(gw_mac, a + 8, 6);
	assert_memory_not_equal(gw_mac, bcast_mac, 6);
	assert_memory_equal(a + 18, guest_mac, 6);
	assert_int_equal(get32(a + 24), GUEST_IP);
}

/* ---- Tests ------------------------------------------------------------ */

static void test_open_errors(void **state)
{
	struct co_host_net_config cfg = slirp_cfg;
	struct co_host_net *n = NULL;
	struct rx r;

	cfg.kind = "tap";
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_ENOTSUP);
	cfg.kind = NULL;
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_EINVAL);
	cfg = slirp_cfg;
	cfg.nr_forwards = 9;
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_EINVAL);
	cfg.nr_forwards = 0;
	assert_int_equal(co_host_net_open(&cfg, NULL, &r, &n), -CO_EINVAL);
	co_sim_fault_eio(CO_SIM_FAULT_NET_OPEN, 1);
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_EIO);
	co_sim_fault_fail_nth(CO_SIM_FAULT_ANY_ALLOC, 1, 0);
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_ENOMEM);
	assert_null(n);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_NETS), 0);
}

static void test_forward_port_taken(void **state)
{
	struct co_host_net_config cfg = slirp_cfg;
	struct co_host_net *n = NULL;
	char log[512];
	uint16_t port;
	struct rx r;
	int fd;

	fd = udp_socket(&port);
	cfg.nr_forwards = 1;
	cfg.forward[0].udp = true;
	cfg.forward[0].host_port = port;
	cfg.forward[0].guest_port = 7;
	co_sim_log_level(-1);
	co_sim_log_capture(log, sizeof(log));
	assert_int_equal(co_host_net_open(&cfg, rx_fn, &r, &n), -CO_EBUSY);
	assert_true(co_sim_log_contains("cannot forward udp port"));
	co_sim_log_level(CO_LOG_WARN);
	close(fd);
}

static void test_arp(void **state)
{
	struct rx r;
	struct co_host_net *n = open_slirp(&slirp_cfg, &r);

	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_NETS), 1);
	arp(n, &r, HOST_IP);
	arp(n, &r, DNS_IP);
	co_host_net_close(n);
}

static void test_send_errors(void **state)
{
	struct rx r;
	struct co_host_net *n = open_slirp(&slirp_cfg, &r);
	uint8_t f[64];
	size_t len = build_arp_request(f, HOST_IP);

	assert_int_equal(co_host_net_send(n, f, 13), -CO_EINVAL);
	assert_int_equal(co_host_net_send(n, NULL, len), -CO_EINVAL);
	co_sim_fault_eio(CO_SIM_FAULT_NET_SEND, 1);
	assert_int_equal(co_host_net_send(n, f, len), -CO_EIO);
	co_host_net_poll(n);
	assert_int_equal(r.n, 0);	/* the failed send went nowhere */
	/* A reply still queued at close is freed, not leaked. */
	assert_int_equal(co_host_net_send(n, f, len), 0);
	co_host_net_close(n);
	assert_int_equal(r.n, 0);
}

static size_t build_dhcp_discover(uint8_t *f, uint32_t xid)
{
	uint8_t bootp[548];
	uint8_t *o;

	memset(bootp, 0, sizeof(bootp));
	bootp[0] = 1;			/* BOOTREQUEST */
	bootp[1] = 1;			/* Ethernet */
	bootp[2] = 6;
	put32(bootp + 4, xid);
	memcpy(bootp + 28, guest_mac, 6);
	o = bootp + 236;
	put32(o, 0x63825363);		/* magic cookie */
	o[4] = 53;			/* message type: DISCOVER */
	o[5] = 1;
	o[6] = 1;
	o[7] = 255;
	return build_udp(f, bcast_mac, 0, 68, 0xffffffffU, 67, bootp,
			 sizeof(bootp));
}

/* The value of DHCP option @code in @opts, or NULL. */
static const uint8_t *dhcp_option(const uint8_t *opts, size_t len,
				  uint8_t code, uint8_t *olen)
{
	size_t i = 0;

	while (i < len && opts[i] != 255) {
		if (opts[i] == 0) {
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2 + opts[i + 1] > len)
			return NULL;
		if (opts[i] == code) {
			*olen = opts[i + 1];
			return opts + i + 2;
		}
		i += 2 + opts[i + 1];
	}
	return NULL;
}

static void test_dhcp_offer(void **state)
{
	struct rx r;
	struct co_host_net *n = open_slirp(&slirp_cfg, &r);
	static uint8_t f[1024];
	const uint8_t *b, *opt, *ip;
	size_t len;
	uint8_t olen;

	assert_int_equal(co_host_net_send(n, f, build_dhcp_discover(f, 0xc0ffee)),
			 0);
	co_host_net_poll(n);
	assert_int_equal(r.n, 1);
	b = r.frame[0];
	assert_true(!memcmp(b, guest_mac, 6) || !memcmp(b, bcast_mac, 6));
	b = parse_udp(b, r.len[0], HOST_IP, 0, 67, 68, &len);
	ip = r.frame[0] + ETH_HLEN;
	assert_true(get32(ip + 16) == 0xffffffffU ||
		    get32(ip + 16) == GUEST_IP);
	assert_true(len >= 240);
	assert_int_equal(b[0], 2);			/* BOOTREPLY */
	assert_int_equal(get32(b + 4), 0xc0ffee);
	assert_int_equal(get32(b + 16), GUEST_IP);	/* yiaddr */
	assert_memory_equal(b + 28, guest_mac, 6);
	assert_int_equal(get32(b + 236), 0x63825363);
	opt = dhcp_option(b + 240, len - 240, 53, &olen);
	assert_non_null(opt);
	assert_int_equal(olen, 1);
	assert_int_equal(opt[0], 2);			/* OFFER */
	opt = dhcp_option(b + 240, len - 240, 54, &olen);
	assert_non_null(opt);
	assert_int_equal(get32(opt), HOST_IP);		/* server id */
	co_host_net_close(n);
}

static void test_udp_to_host_and_back(void **state)
{
	static const char ping[] = "ping from the guest";
	static const char pong[] = "pong from the host!";
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint8_t f[256], buf[64];
	const uint8_t *payload;
	struct rx r;
	struct co_host_net *n = open_slirp(&slirp_cfg, &r);
	uint16_t port;
	size_t len;
	int fd;

	fd = udp_socket(&port);
	arp(n, &r, HOST_IP);
	r.n = 0;
	r.wake = co_host_event_create();
	assert_non_null(r.wake);
	len = build_udp(f, gw_mac, GUEST_IP, 5555, HOST_IP, port, ping,
			sizeof(ping));
	assert_int_equal(co_host_net_send(n, f, len), 0);
	/* It really left through a host socket: the test's own. */
	wait_readable(fd);
	assert_int_equal(recvfrom(fd, buf, sizeof(buf), 0,
				  (struct sockaddr *)&from, &flen),
			 sizeof(ping));
	assert_memory_equal(buf, ping, sizeof(ping));
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(sendto(fd, pong, sizeof(pong), 0,
				(struct sockaddr *)&from, flen),
			 sizeof(pong));
	/* The reply arrives while the VM thread waits. */
	assert_int_equal(co_host_event_wait(r.wake,
					    co_host_monotonic_ns() + 1000 * MS),
			 0);
	assert_int_equal(r.n, 1);
	assert_memory_equal(r.frame[0], guest_mac, 6);
	payload = parse_udp(r.frame[0], r.len[0], HOST_IP, GUEST_IP, port,
			    5555, &len);
	assert_int_equal(len, sizeof(pong));
	assert_memory_equal(payload, pong, sizeof(pong));
	close(fd);
	co_host_net_close(n);
	co_host_event_destroy(r.wake);
}

static void test_udp_forward_to_guest(void **state)
{
	static const char hello[] = "hello, guest";
	static const char answer[] = "hello, host";
	struct co_host_net_config cfg = slirp_cfg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t f[256], buf[64];
	const uint8_t *payload, *ip;
	uint16_t fwd_port, my_port, peer_port;
	struct co_host_net *n;
	struct rx r;
	size_t len;
	int fd, probe;

	/* A free port for the forward: take one from the kernel, release. */
	probe = udp_socket(&fwd_port);
	close(probe);
	cfg.nr_forwards = 1;
	cfg.forward[0].udp = true;
	cfg.forward[0].host_port = fwd_port;
	cfg.forward[0].guest_port = 7777;
	n = open_slirp(&cfg, &r);
	arp(n, &r, HOST_IP);
	r.n = 0;
	r.wake = co_host_event_create();
	assert_non_null(r.wake);
	fd = udp_socket(&my_port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(fwd_port);
	assert_int_equal(sendto(fd, hello, sizeof(hello), 0,
				(struct sockaddr *)&to, sizeof(to)),
			 sizeof(hello));
	assert_int_equal(co_host_event_wait(r.wake,
					    co_host_monotonic_ns() + 1000 * MS),
			 0);
	assert_int_equal(r.n, 1);
	payload = parse_udp(r.frame[0], r.len[0], 0, GUEST_IP, 0, 7777, &len);
	assert_int_equal(len, sizeof(hello));
	assert_memory_equal(payload, hello, sizeof(hello));
	/* Answer whoever slirp says it came from. */
	ip = r.frame[0] + ETH_HLEN;
	peer_port = get16(ip + IP_HLEN);
	len = build_udp(f, r.frame[0] + 6, GUEST_IP, 7777, get32(ip + 12),
			peer_port, answer, sizeof(answer));
	assert_int_equal(co_host_net_send(n, f, len), 0);
	wait_readable(fd);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), sizeof(answer));
	assert_memory_equal(buf, answer, sizeof(answer));
	close(fd);
	co_host_net_close(n);
	co_host_event_destroy(r.wake);
}

static void test_wait_with_net_times_out(void **state)
{
	struct rx r;
	struct co_host_net *n = open_slirp(&slirp_cfg, &r);
	struct co_host_event *e = co_host_event_create();
	uint64_t dl = co_host_monotonic_ns() + 20 * MS;

	/* Open back-end, nothing arriving: virtual time still reaches dl. */
	assert_int_equal(co_host_event_wait(e, dl), -CO_ETIMEDOUT);
	assert_int_equal(co_host_monotonic_ns(), dl);
	co_host_net_close(n);
	/* Closed: nothing left that could signal. */
	assert_int_equal(co_host_event_wait(e, CO_NO_DEADLINE), -CO_EBUSY);
	co_host_event_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_port_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_to_host_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_forward_to_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_with_net_times_out, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
