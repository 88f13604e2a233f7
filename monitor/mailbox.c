// SPDX-License-Identifier: GPL-2.0
/*
 * The mailbox: the one way other threads hand console input and power
 * events to a VM. Posting is [any]: it copies into the mailbox under the
 * VM lock (a host spinlock, so a timer callback or an interrupt handler
 * may post) and wakes the VM. The VM thread drains it between guest
 * entries, so the devices themselves stay [vm]-only and need no lock.
 *
 * Back-pressure without polling: a post that could not take everything
 * marks the mailbox refused; the drain that next makes room, and the VM
 * stopping or being reset, call the front end's room notification.
 * Because the mark and the drain's check are both made under the lock, a
 * refusal can never slip between a drain and its check.
 */
#include <colinux/lib.h>
#include "internal/vm.h"

/* Append @n bytes (that fit) after the waiting ones. Lock held. */
static void ring_put(struct co_mailbox *mb, const uint8_t *p, unsigned int n)
{
	unsigned int tail = (mb->head + mb->len) % CO_VM_MAILBOX_INPUT;
	unsigned int first = CO_MIN(n, CO_VM_MAILBOX_INPUT - tail);

	co_memcpy(mb->in + tail, p, first);
	co_memcpy(mb->in, p + first, n - first);
	mb->len += n;
}

int co_vm_post_input(struct co_vm *vm, const void *bytes, size_t len,
		     unsigned int flags)
{
	struct co_mailbox *mb;
	unsigned int n;
	int ret;

	if (!vm || (!bytes && len) || (flags & ~CO_POST_ALL))
		return -CO_EINVAL;
	if ((flags & CO_POST_ALL) && len > CO_VM_MAILBOX_INPUT)
		return -CO_ERANGE;
	mb = &vm->mbox;
	co_host_spin_lock(vm->lock);
	ret = mb->closed ? -CO_ESTATE : 0;
	if (ret || !len)
		goto out;
	n = (unsigned int)CO_MIN(len, (size_t)(CO_VM_MAILBOX_INPUT - mb->len));
	if ((flags & CO_POST_ALL) && n < len)
		n = 0;
	if (n < len)
		mb->refused = true;
	ret = -CO_EBUSY;
	if (n) {
		ring_put(mb, bytes, n);
		__atomic_store_n(&mb->pending, true, __ATOMIC_RELEASE);
		ret = (int)n;
	}
out:
	co_host_spin_unlock(vm->lock);
	/* An idle guest's thread may be asleep: let it drain. */
	if (ret > 0)
		co_host_event_signal(vm->wake);
	return ret;
}

int co_vm_post_power(struct co_vm *vm, unsigned int event)
{
	int ret = 0;

	if (!vm || !co_power_event_valid(event))
		return -CO_EINVAL;
	co_host_spin_lock(vm->lock);
	if (vm->mbox.closed) {
		ret = -CO_ESTATE;
	} else {
		vm->mbox.power = event;
		__atomic_store_n(&vm->mbox.pending, true, __ATOMIC_RELEASE);
	}
	co_host_spin_unlock(vm->lock);
	if (!ret)
		co_host_event_signal(vm->wake);
	return ret;
}

void co_vm_set_room_notify(struct co_vm *vm, co_vm_notify_fn *fn, void *ctx)
{
	co_host_spin_lock(vm->lock);
	vm->mbox.room_fn = fn;
	vm->mbox.room_ctx = ctx;
	co_host_spin_unlock(vm->lock);
}

/*
 * With the lock held: whether a refused poster is owed a call, and what
 * to call; the call itself is made after unlocking.
 */
static co_vm_notify_fn *room_due(struct co_mailbox *mb, void **ctx)
{
	if (!mb->refused || !mb->room_fn)
		return NULL;
	mb->refused = false;
	*ctx = mb->room_ctx;
	return mb->room_fn;
}

/*
 * Hand the oldest contiguous run of waiting bytes to the console. True if
 * it took the whole run, so that there may be more to hand over.
 */
static bool input_step(struct co_vm *vm, bool *moved)
{
	struct co_mailbox *mb = &vm->mbox;
	unsigned int head, n;
	int taken;

	co_host_spin_lock(vm->lock);
	head = mb->head;
	n = CO_MIN(mb->len, CO_VM_MAILBOX_INPUT - head);
	co_host_spin_unlock(vm->lock);
	if (!n)
		return false;
	/* Posters only write past head + len: these bytes stay put. */
	taken = co_cocon_input(vm->console, mb->in + head, n);
	if (taken <= 0)
		return false;
	co_host_spin_lock(vm->lock);
	mb->head = (head + (unsigned int)taken) % CO_VM_MAILBOX_INPUT;
	mb->len -= (unsigned int)taken;
	if (!mb->len)
		mb->head = 0;
	co_host_spin_unlock(vm->lock);
	*moved = true;
	return (unsigned int)taken == n;
}

void co_mailbox_drain(struct co_vm *vm)
{
	struct co_mailbox *mb = &vm->mbox;
	co_vm_notify_fn *fn = NULL;
	bool moved = false;
	unsigned int power;
	void *ctx = NULL;

	if (!__atomic_load_n(&mb->pending, __ATOMIC_ACQUIRE))
		return;
	co_host_spin_lock(vm->lock);
	power = mb->power;
	mb->power = CO_POWER_NONE;
	co_host_spin_unlock(vm->lock);
	if (power != CO_POWER_NONE)
		co_power_send(vm->power, power);
	/* Twice when the ring wraps, or more while posters keep adding. */
	while (input_step(vm, &moved))
		;
	co_host_spin_lock(vm->lock);
	/* Bytes the console could not take keep the mailbox pending. */
	__atomic_store_n(&mb->pending, mb->len || mb->power != CO_POWER_NONE,
			 __ATOMIC_RELAXED);
	if (moved)
		fn = room_due(mb, &ctx);
	co_host_spin_unlock(vm->lock);
	if (fn)
		fn(ctx);
}

/* Empty the mailbox and open or close it; a refused poster hears of it. */
static void mailbox_set(struct co_vm *vm, bool closed)
{
	struct co_mailbox *mb = &vm->mbox;
	co_vm_notify_fn *fn;
	void *ctx = NULL;

	co_host_spin_lock(vm->lock);
	mb->head = mb->len = 0;
	mb->power = CO_POWER_NONE;
	mb->closed = closed;
	__atomic_store_n(&mb->pending, false, __ATOMIC_RELAXED);
	fn = room_due(mb, &ctx);
	co_host_spin_unlock(vm->lock);
	if (fn)
		fn(ctx);
}

void co_mailbox_close(struct co_vm *vm)
{
	mailbox_set(vm, true);
}

void co_mailbox_reset(struct co_vm *vm)
{
	mailbox_set(vm, false);
}
