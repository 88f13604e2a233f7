/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of a device queue: validating and consuming a guest's
 * request ring, posting completions. Every index, address and length comes
 * from guest memory, is read once, and is checked before use.
 *
 * A malformed descriptor (bad segment address, too many segments, sizes
 * over the limits) is completed with an error status by co_queue_pop
 * itself and never reaches the device. A broken ring (indices that claim
 * more than the ring holds) is a protocol error: the VM is stopped with a
 * diagnostic.
 */
#ifndef CO_MONITOR_QUEUE_H
#define CO_MONITOR_QUEUE_H

#include <colinux/abi/ring.h>
#include "internal/ram.h"

struct co_vm;
struct co_device;

struct co_queue {
	struct co_vm *vm;
	struct co_device *dev;
	unsigned int id;		/* global queue number (doorbell bit) */
	bool ready;			/* set up by the guest */
	uint64_t gpa;			/* ring in guest RAM */
	unsigned int log2;
	uint32_t size;
	/* Host-owned indices: the guest's copies are never read back. */
	uint32_t req_cons;
	uint32_t cpl_prod;
	uint64_t completed;		/* statistics */
	uint64_t rejected;		/* completed with an error by pop */
};

/* A validated copy of one descriptor; segments resolved and checked. */
struct co_request {
	uint64_t id;
	uint16_t op;
	uint32_t flags;
	uint64_t arg;
	uint64_t arg2;
	unsigned int nseg;
	uint64_t total;			/* sum of segment lengths */
	struct co_seg seg[CO_DESC_MAX_SEGS];
};

/* CO_OP_QUEUE_SETUP: log2 == 0 with gpa == 0 tears the queue down. */
int co_queue_setup(struct co_queue *q, uint64_t gpa, unsigned int log2);
void co_queue_reset(struct co_queue *q);

/*
 * Take the next request. Returns 1 with *req filled, 0 when the ring is
 * empty or the completion ring has no room, -CO_EPROTO when the ring is
 * broken (the VM has been stopped).
 */
int co_queue_pop(struct co_queue *q, struct co_request *req);
/* Post a completion and raise the device's interrupt line. */
int co_queue_complete(struct co_queue *q, uint64_t id, int32_t status,
		      uint32_t len);
/* Requests published and not yet taken (0 if the ring is broken). */
uint32_t co_queue_pending(struct co_queue *q);

/*
 * Copy between a request's buffer and host memory, @off bytes into the
 * concatenated segments. -CO_ERANGE past the buffer's end.
 */
int co_request_read(struct co_queue *q, const struct co_request *r,
		    uint64_t off, void *dst, size_t len);
int co_request_write(struct co_queue *q, const struct co_request *r,
		     uint64_t off, const void *src, size_t len);

/*
 * Walk a request's buffer as host pointers, one page-bounded piece at a
 * time (for zero-copy file I/O). Returns 0 on success or the first error
 * @fn returns.
 */
typedef int co_request_chunk_fn(void *ctx, void *host, size_t len,
				uint64_t off);
int co_request_for_each(struct co_queue *q, const struct co_request *r,
			co_request_chunk_fn *fn, void *ctx);

#endif
