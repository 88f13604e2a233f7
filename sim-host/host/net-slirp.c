// SPDX-License-Identifier: GPL-2.0
/*
 * User-mode NAT through libslirp: the guest sits on 10.0.2.0/24 with the
 * host as 10.0.2.2, DNS at 10.0.2.3 and DHCP handing out 10.0.2.15 on.
 *
 * Frames slirp emits are queued and handed to the monitor's receive
 * callback only from co_host_net_poll and co_host_event_wait, never from
 * inside co_host_net_send: the monitor is then never re-entered while it
 * is still busy transmitting.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slirp/libslirp.h>

#include "internal.h"

#define MAX_QUEUED	512
#define MAX_FRAME	65536
#define NS_PER_MS	1000000ULL

struct frame {
	struct frame *next;
	size_t len;
	uint8_t data[];
};

/* A timer slirp asked for; run when the back-end is serviced. */
struct slirp_timer {
	struct slirp_timer *next;
	struct co_host_net *net;
	SlirpTimerCb cb;		/* timer_new style, or ... */
	SlirpTimerId id;		/* ... timer_new_opaque style */
	void *cb_opaque;
	uint64_t deadline;
	bool armed;
};

struct co_host_net {
	struct co_host_net *next;
	Slirp *slirp;
	co_net_rx_fn *rx;
	void *ctx;
	struct frame *head, **tail;
	unsigned int queued;
	struct slirp_timer *timers;
	uint64_t tcp_deadline;	/* slirp's TCP timers want a look */
};

static pthread_mutex_t net_lock;
static pthread_once_t lock_once = PTHREAD_ONCE_INIT;
static struct co_host_net *nets;
static unsigned int nr_nets;
static struct pollfd *pfds;
static size_t nr_pfds, cap_pfds;

/* Recursive: a receive callback may send the next frame right away. */
static void lock_init(void)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&net_lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

static void lock(void)
{
	pthread_once(&lock_once, lock_init);
	pthread_mutex_lock(&net_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&net_lock);
}

unsigned int co_sim_net_count(void)
{
	return __atomic_load_n(&nr_nets, __ATOMIC_RELAXED);
}

/* ---- slirp callbacks ------------------------------------------------ */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct co_host_net *n = opaque;
	struct frame *f;

	/* Dropping is allowed: TCP retransmits. */
	if (n->queued >= MAX_QUEUED || len > MAX_FRAME)
		return (ssize_t)len;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return (ssize_t)len;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, buf, len);
	*n->tail = f;
	n->tail = &f->next;
	n->queued++;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	co_sim_logf(CO_LOG_WARN, "slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return (int64_t)co_host_monotonic_ns();
}

static struct slirp_timer *new_timer(struct co_host_net *n)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->net = n;
	t->next = n->timers;
	n->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = new_timer(opaque);

	if (t) {
		t->cb = cb;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
				 void *opaque)
{
	struct slirp_timer *t = new_timer(opaque);

	if (t) {
		t->id = id;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct co_host_net *n = opaque;
	struct slirp_timer **pp;

	for (pp = &n->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = (*pp)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->deadline = expire_ms < 0 ? 0 : (uint64_t)expire_ms * NS_PER_MS;
	t->armed = true;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	/* Descriptors are collected afresh by slirp_pollfds_fill. */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
}

static const SlirpCb slirp_callbacks = {
	.send_packet		= cb_send_packet,
	.guest_error		= cb_guest_error,
	.clock_get_ns		= cb_clock_get_ns,
	.timer_new		= cb_timer_new,
	.timer_free		= cb_timer_free,
	.timer_mod		= cb_timer_mod,
	.register_poll_fd	= cb_register_poll_fd,
	.unregister_poll_fd	= cb_unregister_poll_fd,
	.notify			= cb_notify,
	.timer_new_opaque	= cb_timer_new_opaque,
};

/* ---- Polling -------------------------------------------------------- */

static int add_pollfd(int fd, short events)
{
	struct pollfd *p;
	size_t cap;

	if (nr_pfds == cap_pfds) {
		cap = cap_pfds ? cap_pfds * 2 : 16;
		p = realloc(pfds, cap * sizeof(*p));
		if (!p)
			return -1;
		pfds = p;
		cap_pfds = cap;
	}
	pfds[nr_pfds].fd = fd;
	pfds[nr_pfds].events = events;
	pfds[nr_pfds].revents = 0;
	return (int)nr_pfds++;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	short ev = 0;

	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	return add_pollfd(fd, ev);
}

static int cb_get_revents(int idx, void *opaque)
{
	short rev;
	int ev = 0;

	if (idx < 0 || (size_t)idx >= nr_pfds)
		return 0;
	rev = pfds[idx].revents;
	if (rev & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (rev & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* Hand queued frames to the monitor. Called with the lock held. */
static int deliver(void)
{
	struct co_host_net *n;
	struct frame *f;
	int count = 0;
	bool again = true;

	/* Bounded, in case a receiver answers every frame with another. */
	while (again && count < 4 * MAX_QUEUED) {
		again = false;
		for (n = nets; n; n = n->next) {
			f = n->head;
			if (!f)
				continue;
			n->head = f->next;
			if (!n->head)
				n->tail = &n->head;
			n->queued--;
			n->rx(n->ctx, f->data, f->len);
			free(f);
			count++;
			again = true;
		}
	}
	return count;
}

static bool anything_queued(void)
{
	struct co_host_net *n;

	for (n = nets; n; n = n->next)
		if (n->head)
			return true;
	return false;
}

/* Run slirp's own timers that are due. Called with the lock held. */
static void run_slirp_timers(void)
{
	struct co_host_net *n;
	struct slirp_timer *t;
	uint64_t now = co_host_monotonic_ns();

restart:
	for (n = nets; n; n = n->next) {
		for (t = n->timers; t; t = t->next) {
			if (!t->armed || t->deadline > now)
				continue;
			t->armed = false;
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(n->slirp, t->id,
						   t->cb_opaque);
			/* The callback may have freed timers. */
			goto restart;
		}
	}
}

static void fill(void)
{
	struct co_host_net *n;
	uint64_t now = co_host_monotonic_ns();
	uint32_t to;

	for (n = nets; n; n = n->next) {
		to = UINT32_MAX;
		slirp_pollfds_fill(n->slirp, &to, cb_add_poll, n);
		/* Below a second means TCP timers are pending. */
		n->tcp_deadline = to < 1000 ? now + to * NS_PER_MS :
					      UINT64_MAX;
	}
}

static int do_poll(int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000LL;
		ts.tv_nsec = timeout_ns % 1000000000LL;
		tsp = &ts;
	}
	return ppoll(pfds, nr_pfds, tsp, NULL);
}

int co_sim_net_wait(int extra_fd, int64_t timeout_ns)
{
	struct co_host_net *n;
	int done, ret, ready = 0;
	size_t i;

	lock();
	done = deliver();
	if (!nets && extra_fd < 0)
		goto out;
	nr_pfds = 0;
	add_pollfd(extra_fd, POLLIN);
	fill();
	if (done || anything_queued())
		timeout_ns = 0;
	ret = do_poll(timeout_ns);
	for (i = 1; ret > 0 && i < nr_pfds; i++)
		if (pfds[i].revents)
			ready++;
	for (n = nets; n; n = n->next)
		slirp_pollfds_poll(n->slirp, ret < 0, cb_get_revents, n);
	run_slirp_timers();
	done += deliver();
out:
	unlock();
	return done + ready;
}

uint64_t co_sim_net_next_deadline(void)
{
	struct co_host_net *n;
	struct slirp_timer *t;
	uint64_t d = UINT64_MAX;

	lock();
	for (n = nets; n; n = n->next) {
		if (n->tcp_deadline < d)
			d = n->tcp_deadline;
		for (t = n->timers; t; t = t->next)
			if (t->armed && t->deadline < d)
				d = t->deadline;
	}
	unlock();
	return d;
}

/* ---- The contract ----------------------------------------------------- */

static struct in_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct in_addr in;

	in.s_addr = htonl((uint32_t)a << 24 | (uint32_t)b << 16 |
			  (uint32_t)c << 8 | d);
	return in;
}

static Slirp *new_slirp(struct co_host_net *n)
{
	SlirpConfig c;

	memset(&c, 0, sizeof(c));
	c.version = 4;
	c.restricted = 0;
	c.in_enabled = true;
	c.vnetwork = ip4(10, 0, 2, 0);
	c.vnetmask = ip4(255, 255, 255, 0);
	c.vhost = ip4(10, 0, 2, 2);
	c.vdhcp_start = ip4(10, 0, 2, 15);
	c.vnameserver = ip4(10, 0, 2, 3);
	c.vhostname = "colinux";
	c.in6_enabled = false;
	return slirp_new(&c, &slirp_callbacks, n);
}

static int add_forwards(struct co_host_net *n,
			const struct co_host_net_config *cfg)
{
	unsigned int i;
	int udp;

	for (i = 0; i < cfg->nr_forwards; i++) {
		udp = cfg->forward[i].udp;
		if (slirp_add_hostfwd(n->slirp, udp, ip4(127, 0, 0, 1),
				      cfg->forward[i].host_port,
				      ip4(10, 0, 2, 15),
				      cfg->forward[i].guest_port) < 0) {
			co_sim_logf(CO_LOG_ERROR,
				    "slirp: cannot forward %s port %u on 127.0.0.1",
				    udp ? "udp" : "tcp",
				    cfg->forward[i].host_port);
			return -CO_EBUSY;
		}
	}
	return 0;
}

int co_host_net_open(const struct co_host_net_config *cfg, co_net_rx_fn *rx,
		     void *ctx, struct co_host_net **out)
{
	struct co_host_net *n;
	int err;

	if (!cfg || !cfg->kind || !rx || !out)
		return -CO_EINVAL;
	if (strcmp(cfg->kind, "slirp"))
		return -CO_ENOTSUP;
	if (cfg->nr_forwards > sizeof(cfg->forward) / sizeof(cfg->forward[0]))
		return -CO_EINVAL;
	err = co_sim_fault_check(CO_SIM_FAULT_NET_OPEN);
	if (err)
		return err;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -CO_ENOMEM;
	n->rx = rx;
	n->ctx = ctx;
	n->tail = &n->head;
	n->tcp_deadline = UINT64_MAX;
	lock();
	err = -CO_ENOMEM;
	n->slirp = new_slirp(n);
	if (!n->slirp)
		goto fail;
	err = add_forwards(n, cfg);
	if (err)
		goto fail_slirp;
	n->next = nets;
	nets = n;
	__atomic_add_fetch(&nr_nets, 1, __ATOMIC_RELAXED);
	unlock();
	co_sim_count(CO_SIM_OBJ_NETS, 1);
	*out = n;
	return 0;
fail_slirp:
	slirp_cleanup(n->slirp);
fail:
	unlock();
	free(n);
	return err;
}

int co_host_net_send(struct co_host_net *n, const void *frame, size_t len)
{
	int err;

	if (!n || !frame || len < 14 || len > MAX_FRAME)
		return -CO_EINVAL;
	err = co_sim_fault_check(CO_SIM_FAULT_NET_SEND);
	if (err)
		return err;
	lock();
	slirp_input(n->slirp, frame, (int)len);
	unlock();
	return 0;
}

void co_host_net_poll(struct co_host_net *n)
{
	co_sim_net_wait(-1, 0);
}

void co_host_net_close(struct co_host_net *n)
{
	struct co_host_net **pp;
	struct slirp_timer *t;
	struct frame *f;

	if (!n)
		return;
	lock();
	for (pp = &nets; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	__atomic_sub_fetch(&nr_nets, 1, __ATOMIC_RELAXED);
	slirp_cleanup(n->slirp);
	unlock();
	while ((t = n->timers)) {
		n->timers = t->next;
		free(t);
	}
	while ((f = n->head)) {
		n->head = f->next;
		free(f);
	}
	co_sim_count(CO_SIM_OBJ_NETS, -1);
	free(n);
}
