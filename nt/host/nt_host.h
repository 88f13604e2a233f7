/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NT host layer: what the files of nt/host share with each other and with the
 * driver (nt/driver). The co_host_* functions themselves are declared in
 * <colinux/host.h>.
 */
#ifndef CO_NT_HOST_H
#define CO_NT_HOST_H

#include <ntddk.h>
#include <stdbool.h>
#include <stdint.h>
#include <colinux/host.h>

/* Shows as "colx" in pool tools (the bytes in memory order). */
#define CO_NT_POOL_TAG		0x786c6f63u	/* 'xloc' */

/* Not in mingw-w64's wdm.h (Windows 8 and later). */
#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute	0x40000000
#endif

/* Set up / tear down the host layer: DriverEntry, DriverUnload. */
NTSTATUS co_nt_host_init(void);
void co_nt_host_exit(void);

/* Where guest pages come from (CO_NT_PAGES_* in the IOCTL header). */
unsigned int co_nt_page_source(void);

/*
 * Change the protection of the host mapping of one page that
 * co_host_pages_alloc returned: executable (read-only) for the passage
 * code page while a VM runs, back to read-write NX afterwards.
 */
int co_nt_page_set_exec(uint64_t pfn, bool exec);

/* Outstanding pages and heap blocks, for the leak check at unload. */
void co_nt_host_counts(long *pages, long *heap);

/*
 * The last error line logged, so an IOCTL can tell user space why it
 * failed. co_nt_log_mark() starts a new operation.
 */
void co_nt_log_mark(void);
void co_nt_log_last(char *buf, size_t size);

/*
 * Network back-ends that NT cannot run in the kernel (slirp: user-mode
 * NAT) are relayed to user space: frames from the guest wait in a queue
 * that the daemon drains with NET_RECV, frames for the guest come in with
 * NET_SEND. Each VM owns one relay; co_host_net_open attaches to the relay
 * that the creating thread installed with co_nt_relay_bind (the driver
 * holds its creation lock around co_vm_create).
 */
struct co_nt_relay {
	KSPIN_LOCK lock;
	LIST_ENTRY nets;
	void (*notify)(void *ctx);	/* frames for user space: [any] */
	void *notify_ctx;
};
void co_nt_relay_init(struct co_nt_relay *r, void (*notify)(void *),
		      void *ctx);
void co_nt_relay_bind(struct co_nt_relay *r);
/* Returns the frame length, 0 when none is queued. */
int co_nt_relay_recv(struct co_nt_relay *r, unsigned int *unit, void *buf,
		     size_t size);
int co_nt_relay_send(struct co_nt_relay *r, unsigned int unit,
		     const void *frame, size_t len);
unsigned int co_nt_relay_pending(struct co_nt_relay *r);

/* NTSTATUS to enum co_err (negative). */
int co_nt_err(NTSTATUS st);

#endif
