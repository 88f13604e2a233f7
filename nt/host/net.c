// SPDX-License-Identifier: GPL-2.0
/*
 * Network back-ends on NT. The kernel has no user-mode NAT, so "slirp"
 * units are relayed to colinux-daemon.exe: frames from the guest queue up
 * for NET_RECV, frames from the daemon (NET_SEND) queue up until the VM
 * thread polls the unit and hands them to the guest. Both queues are
 * bounded; a full queue drops the frame, as a congested wire would.
 */
#include "nt_host.h"
#include <colinux/nt/ioctl.h>

#define QUEUE_MAX	256

struct frame {
	LIST_ENTRY link;
	size_t len;
	uint8_t data[];
};

struct queue {
	LIST_ENTRY frames;
	unsigned int count;
};

struct co_host_net {
	LIST_ENTRY link;		/* in the relay */
	struct co_nt_relay *relay;
	unsigned int unit;
	co_net_rx_fn *rx;
	void *ctx;
	struct queue to_user, to_guest;
};

static struct co_nt_relay *bound_relay;

void co_nt_relay_init(struct co_nt_relay *r, void (*notify)(void *),
		      void *ctx)
{
	KeInitializeSpinLock(&r->lock);
	InitializeListHead(&r->nets);
	r->notify = notify;
	r->notify_ctx = ctx;
}

void co_nt_relay_bind(struct co_nt_relay *r)
{
	bound_relay = r;
}

static void queue_init(struct queue *q)
{
	InitializeListHead(&q->frames);
	q->count = 0;
}

static struct frame *frame_new(const void *data, size_t len)
{
	struct frame *fr = co_host_alloc(sizeof(*fr) + len);

	if (fr) {
		fr->len = len;
		RtlCopyMemory(fr->data, data, len);
	}
	return fr;
}

/* Under the relay lock. */
static bool queue_add(struct queue *q, struct frame *fr)
{
	if (q->count >= QUEUE_MAX)
		return false;
	InsertTailList(&q->frames, &fr->link);
	q->count++;
	return true;
}

static struct frame *queue_take(struct queue *q)
{
	if (IsListEmpty(&q->frames))
		return NULL;
	q->count--;
	return CONTAINING_RECORD(RemoveHeadList(&q->frames), struct frame, link);
}

static void queue_drain(struct queue *q)
{
	struct frame *fr;

	while ((fr = queue_take(q)))
		co_host_free(fr);
}

int co_host_net_open(const struct co_host_net_config *cfg, co_net_rx_fn *rx,
		     void *ctx, struct co_host_net **out)
{
	struct co_nt_relay *r = bound_relay;
	struct co_host_net *n;
	KIRQL irql;

	*out = NULL;
	if (!r || !cfg->kind || cfg->kind[0] != 's')
		return -CO_ENOTSUP;
	n = co_host_zalloc(sizeof(*n));
	if (!n)
		return -CO_ENOMEM;
	n->relay = r;
	n->unit = cfg->unit;
	n->rx = rx;
	n->ctx = ctx;
	queue_init(&n->to_user);
	queue_init(&n->to_guest);
	KeAcquireSpinLock(&r->lock, &irql);
	InsertTailList(&r->nets, &n->link);
	KeReleaseSpinLock(&r->lock, irql);
	co_host_log(CO_LOG_INFO, "net: a slirp unit is relayed to colinux-daemon.exe");
	*out = n;
	return 0;
}

int co_host_net_send(struct co_host_net *n, const void *frame, size_t len)
{
	struct frame *fr;
	KIRQL irql;
	bool queued;

	if (len > CO_NT_FRAME_MAX)
		return -CO_EINVAL;
	fr = frame_new(frame, len);
	if (!fr)
		return -CO_ENOMEM;
	KeAcquireSpinLock(&n->relay->lock, &irql);
	queued = queue_add(&n->to_user, fr);
	KeReleaseSpinLock(&n->relay->lock, irql);
	if (!queued) {
		co_host_free(fr);
		return 0;	/* dropped on a congested link */
	}
	if (n->relay->notify)
		n->relay->notify(n->relay->notify_ctx);
	return 0;
}

void co_host_net_poll(struct co_host_net *n)
{
	struct frame *fr;
	KIRQL irql;

	for (;;) {
		KeAcquireSpinLock(&n->relay->lock, &irql);
		fr = queue_take(&n->to_guest);
		KeReleaseSpinLock(&n->relay->lock, irql);
		if (!fr)
			return;
		n->rx(n->ctx, fr->data, fr->len);
		co_host_free(fr);
	}
}

void co_host_net_close(struct co_host_net *n)
{
	KIRQL irql;

	if (!n)
		return;
	KeAcquireSpinLock(&n->relay->lock, &irql);
	RemoveEntryList(&n->link);
	KeReleaseSpinLock(&n->relay->lock, irql);
	queue_drain(&n->to_user);
	queue_drain(&n->to_guest);
	co_host_free(n);
}

static struct co_host_net *find_unit(struct co_nt_relay *r, unsigned int unit)
{
	LIST_ENTRY *e;

	for (e = r->nets.Flink; e != &r->nets; e = e->Flink) {
		struct co_host_net *n = CONTAINING_RECORD(e, struct co_host_net, link);

		if (n->unit == unit)
			return n;
	}
	return NULL;
}

int co_nt_relay_recv(struct co_nt_relay *r, unsigned int *unit, void *buf,
		     size_t size)
{
	struct frame *fr = NULL;
	LIST_ENTRY *e;
	KIRQL irql;
	int len;

	KeAcquireSpinLock(&r->lock, &irql);
	for (e = r->nets.Flink; !fr && e != &r->nets; e = e->Flink) {
		struct co_host_net *n = CONTAINING_RECORD(e, struct co_host_net, link);

		fr = queue_take(&n->to_user);
		if (fr)
			*unit = n->unit;
	}
	KeReleaseSpinLock(&r->lock, irql);
	if (!fr)
		return 0;
	/* co_host_net_send refused anything bigger than a reply holds. */
	len = (int)(fr->len < size ? fr->len : size);
	RtlCopyMemory(buf, fr->data, len);
	co_host_free(fr);
	return len;
}

int co_nt_relay_send(struct co_nt_relay *r, unsigned int unit,
		     const void *frame, size_t len)
{
	struct co_host_net *n;
	struct frame *fr = frame_new(frame, len);
	KIRQL irql;
	int err = 0;

	if (!fr)
		return -CO_ENOMEM;
	KeAcquireSpinLock(&r->lock, &irql);
	n = find_unit(r, unit);
	if (!n)
		err = -CO_ENOENT;
	else if (!queue_add(&n->to_guest, fr))
		err = -CO_EBUSY;
	KeReleaseSpinLock(&r->lock, irql);
	if (err)
		co_host_free(fr);
	return err;
}

unsigned int co_nt_relay_pending(struct co_nt_relay *r)
{
	unsigned int count = 0;
	LIST_ENTRY *e;
	KIRQL irql;

	KeAcquireSpinLock(&r->lock, &irql);
	for (e = r->nets.Flink; e != &r->nets; e = e->Flink)
		count += CONTAINING_RECORD(e, struct co_host_net, link)->to_user.count;
	KeReleaseSpinLock(&r->lock, irql);
	return count;
}
