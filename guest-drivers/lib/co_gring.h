/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of a device request ring (abi/ring.h): the guest
 * produces descriptors and consumes completions.
 *
 * Portable: freestanding C on the ABI headers only, so the same code runs
 * in host-side tests (the ring in simulated guest memory), in the test
 * guest kernel and in the Linux drivers (under __KERNEL__).
 *
 * Usage: co_gring_init() the memory, hand gpa/log2 to the host with
 * CO_OP_QUEUE_SETUP, then fill descriptors (co_gring_reserve or
 * co_gring_push), co_gring_publish() them, ring the doorbell, and later
 * co_gring_reap() the completions.
 *
 * Flow control: a slot counts as busy from reservation until its
 * completion is reaped, so the host always has room for every completion
 * it owes. The host takes requests only while that holds; after reaping,
 * if co_gring_host_behind() says requests are still waiting, ring the
 * doorbell again.
 *
 * Not thread-safe: callers serialise producers and the consumer (the
 * Linux drivers hold their queue lock).
 */
#ifndef CO_GRING_H
#define CO_GRING_H

#include <colinux/abi/ring.h>
#ifndef __KERNEL__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

/* Barriers; a kernel may define these as its own before inclusion. */
#ifndef CO_GRING_WMB
#define CO_GRING_WMB()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#ifndef CO_GRING_RMB
#define CO_GRING_RMB()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

struct co_gring {
	struct co_ring_ctl *ctl;
	struct co_desc *req;
	struct co_cpl *cpl;
	uint64_t gpa;
	unsigned int log2;
	uint32_t size;
	uint32_t req_prod;	/* reserved, published or not */
	uint32_t req_pub;	/* published to the host */
	uint32_t cpl_cons;
};

/* Bytes the ring occupies for 2^log2 entries. */
uint64_t co_gring_bytes(unsigned int log2);

/*
 * Lay a ring out over @va (guest virtual, @gpa guest-physical; page
 * aligned, co_gring_bytes long) and zero it. -1 if log2 is out of range
 * or va is NULL.
 */
int co_gring_init(struct co_gring *r, void *va, uint64_t gpa,
		  unsigned int log2);

/* Slots a new request may take now. */
uint32_t co_gring_free(const struct co_gring *r);

/*
 * The next descriptor slot, zeroed, for the caller to fill in place; NULL
 * when full. Not visible to the host before co_gring_publish.
 */
struct co_desc *co_gring_reserve(struct co_gring *r);

/* Copy @d into the next slot; -1 when full. Publish afterwards. */
int co_gring_push(struct co_gring *r, const struct co_desc *d);

/* Make every reserved descriptor visible to the host. */
void co_gring_publish(struct co_gring *r);

/* Take one completion into @out: 1 if there was one, else 0. */
int co_gring_reap(struct co_gring *r, struct co_cpl *out);

/* Completions waiting to be reaped. */
uint32_t co_gring_cpl_ready(const struct co_gring *r);

/* Published requests the host has not taken yet (doorbell again). */
bool co_gring_host_behind(const struct co_gring *r);

/* Descriptor helpers. */
void co_gring_desc_init(struct co_desc *d, uint64_t id, uint16_t op,
			uint64_t arg);
/* Add an inline segment; -1 if both inline slots are used. */
int co_gring_desc_add_seg(struct co_desc *d, uint64_t gpa, uint32_t len);
/*
 * Point @d at an indirect table of @nseg segments at guest-physical
 * @table_gpa (the caller fills the table). -1 if nseg is out of range.
 */
int co_gring_desc_indirect(struct co_desc *d, uint64_t table_gpa,
			   unsigned int nseg);

#endif
