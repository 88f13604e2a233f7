// SPDX-License-Identifier: GPL-2.0
/*
 * conet loopback pairs: the units configured "ethN=loop,NAME" with the
 * same NAME are wired back to back, within one VM or across VMs of one
 * process. What one end sends, the other receives.
 *
 * The ends may belong to VMs on different threads, and a frame must reach
 * the receiving device from that device's own VM thread. So send only
 * copies the frame into the peer's bounded inbox and notifies the peer's
 * VM; the peer's poll hands it to its device.
 *
 * Locking and lifetime:
 *  - One process-wide registry of pairs, guarded by reg_lock (a host
 *    mutex). reg_lock covers the pair list, every pair's end[] pointers and
 *    every inbox.
 *  - reg_lock exists while at least one end is open: the first open
 *    creates it, the last close destroys it. Only that creation and
 *    destruction, and the count of open ends, sit under a tiny spin gate
 *    (no host mutex can be created statically).
 *  - A pair lives while either of its ends is open; an end is unlinked
 *    from its pair under reg_lock before it is freed, so a sender never
 *    touches a closed peer. A receiving VM must outlive its end (devices
 *    are destroyed before their VM), so the notify callback stays valid.
 */
#include <colinux/lib.h>
#include <colinux/abi/devices.h>
#include "conet.h"

#define LOOP_INBOX	64
#define LOOP_NAME_MAX	256

struct loop_slot {
	uint16_t len;
	uint8_t data[CO_CONET_MAX_FRAME];
};

struct loop_pair;

struct loop_end {
	struct co_conet_port port;
	struct loop_pair *pair;
	unsigned int side;
	struct co_host_mutex *lock;	/* the registry lock we hold a use of */
	co_net_rx_fn *rx;
	void (*notify)(void *ctx);
	void *ctx;
	/* Filled by the peer, drained by poll; under the lock. */
	unsigned int head;
	unsigned int count;
	struct loop_slot inbox[LOOP_INBOX];
	struct loop_slot out;		/* the frame poll is delivering */
};

struct loop_pair {
	struct loop_pair *next;
	struct loop_end *end[2];
	char *name;
};

static int reg_gate;
static struct co_host_mutex *reg_lock;
static unsigned int reg_users;
static struct loop_pair *reg_pairs;

static void gate_enter(void)
{
	while (__atomic_exchange_n(&reg_gate, 1, __ATOMIC_ACQUIRE)) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

static void gate_leave(void)
{
	__atomic_store_n(&reg_gate, 0, __ATOMIC_RELEASE);
}

/* Take a use of the registry lock; @spare becomes it if there is none. */
static struct co_host_mutex *reg_get(struct co_host_mutex *spare)
{
	struct co_host_mutex *m;

	gate_enter();
	if (!reg_lock) {
		reg_lock = spare;
		spare = NULL;
	}
	reg_users++;
	m = reg_lock;
	gate_leave();
	if (spare)
		co_host_mutex_destroy(spare);
	return m;
}

static void reg_put(void)
{
	struct co_host_mutex *m = NULL;

	gate_enter();
	if (--reg_users == 0) {
		m = reg_lock;
		reg_lock = NULL;
	}
	gate_leave();
	if (m)
		co_host_mutex_destroy(m);
}

static struct loop_pair *pair_find(const char *name)
{
	struct loop_pair *p;

	for (p = reg_pairs; p; p = p->next)
		if (!co_strcmp(p->name, name))
			return p;
	return NULL;
}

static void pair_unlink(struct loop_pair *pair)
{
	struct loop_pair **pp;

	for (pp = &reg_pairs; *pp; pp = &(*pp)->next) {
		if (*pp == pair) {
			*pp = pair->next;
			return;
		}
	}
}

static void pair_free(struct loop_pair *pair)
{
	if (!pair)
		return;
	co_host_free(pair->name);
	co_host_free(pair);
}

static int loop_send(struct co_conet_port *p, const void *frame, size_t len)
{
	struct loop_end *e = (struct loop_end *)p;
	struct loop_end *peer;
	struct loop_slot *s;
	int err = 0;

	if (len > CO_CONET_MAX_FRAME)
		return -CO_ERANGE;
	co_host_mutex_lock(e->lock);
	peer = e->pair->end[!e->side];
	if (!peer) {
		err = -CO_ENOENT;
	} else if (peer->count == LOOP_INBOX) {
		err = -CO_EBUSY;
	} else {
		s = &peer->inbox[(peer->head + peer->count) % LOOP_INBOX];
		s->len = (uint16_t)len;
		co_memcpy(s->data, frame, len);
		__atomic_store_n(&peer->count, peer->count + 1,
				 __ATOMIC_RELEASE);
		peer->notify(peer->ctx);
	}
	co_host_mutex_unlock(e->lock);
	return err;
}

/* Take the oldest inbox frame into e->out; false when empty. */
static bool loop_take(struct loop_end *e)
{
	struct loop_slot *s;
	bool got = false;

	co_host_mutex_lock(e->lock);
	if (e->count) {
		s = &e->inbox[e->head];
		e->out.len = s->len;
		co_memcpy(e->out.data, s->data, s->len);
		e->head = (e->head + 1) % LOOP_INBOX;
		__atomic_store_n(&e->count, e->count - 1, __ATOMIC_RELEASE);
		got = true;
	}
	co_host_mutex_unlock(e->lock);
	return got;
}

static void loop_poll(struct co_conet_port *p)
{
	struct loop_end *e = (struct loop_end *)p;
	unsigned int n;

	/* Bounded: a busy sender must not keep us here forever. */
	for (n = 0; n < LOOP_INBOX && loop_take(e); n++)
		e->rx(e->ctx, e->out.data, e->out.len);
}

static bool loop_pending(struct co_conet_port *p)
{
	struct loop_end *e = (struct loop_end *)p;

	return __atomic_load_n(&e->count, __ATOMIC_ACQUIRE) != 0;
}

static void loop_close(struct co_conet_port *p)
{
	struct loop_end *e = (struct loop_end *)p;
	struct loop_pair *pair = e->pair;
	struct loop_pair *gone = NULL;

	co_host_mutex_lock(e->lock);
	pair->end[e->side] = NULL;
	if (!pair->end[!e->side]) {
		pair_unlink(pair);
		gone = pair;
	}
	co_host_mutex_unlock(e->lock);
	pair_free(gone);
	reg_put();
	co_host_free(e);
}

static const struct co_conet_port_ops loop_ops = {
	.send		= loop_send,
	.poll		= loop_poll,
	.pending	= loop_pending,
	.close		= loop_close,
};

/* Attach @e to the pair called @name, or make @fresh that pair. */
static int loop_attach(struct loop_end *e, const char *name,
		       struct loop_pair **fresh)
{
	struct loop_pair *pair;
	int err = 0;

	co_host_mutex_lock(e->lock);
	pair = pair_find(name);
	if (!pair) {
		pair = *fresh;
		*fresh = NULL;
		pair->next = reg_pairs;
		reg_pairs = pair;
	}
	if (!pair->end[0])
		e->side = 0;
	else if (!pair->end[1])
		e->side = 1;
	else
		err = -CO_EBUSY;
	if (!err) {
		pair->end[e->side] = e;
		e->pair = pair;
	}
	co_host_mutex_unlock(e->lock);
	return err;
}

int co_conet_loop_open(const char *name, co_net_rx_fn *rx,
		       void (*notify)(void *ctx), void *ctx,
		       struct co_conet_port **out)
{
	struct co_host_mutex *spare;
	struct loop_pair *fresh;
	struct loop_end *e;
	int err = -CO_ENOMEM;

	if (!name || !name[0] || co_strnlen(name, LOOP_NAME_MAX) == LOOP_NAME_MAX)
		return -CO_EINVAL;
	e = co_host_zalloc(sizeof(*e));
	fresh = co_host_zalloc(sizeof(*fresh));
	if (!e || !fresh)
		goto fail;
	fresh->name = co_strdup(name);
	if (!fresh->name)
		goto fail;
	spare = co_host_mutex_create();
	if (!spare)
		goto fail;
	e->port.ops = &loop_ops;
	e->rx = rx;
	e->notify = notify;
	e->ctx = ctx;
	e->lock = reg_get(spare);
	err = loop_attach(e, name, &fresh);
	if (err) {
		co_err("conet loop: pair \"%s\" already has two ends", name);
		reg_put();
		goto fail;
	}
	pair_free(fresh);
	*out = &e->port;
	return 0;
fail:
	pair_free(fresh);
	co_host_free(e);
	return err;
}

/*
 * The port calls for a program that holds a pair's end itself (monitor.h):
 * the same ops conet.c calls for its own back-end.
 */
int co_conet_port_send(struct co_conet_port *p, const void *frame, size_t len)
{
	return p->ops->send(p, frame, len);
}

void co_conet_port_poll(struct co_conet_port *p)
{
	if (p->ops->poll)
		p->ops->poll(p);
}

void co_conet_port_close(struct co_conet_port *p)
{
	p->ops->close(p);
}
