/* SPDX-License-Identifier: GPL-2.0 */
/* colinux.sys internals: one context per open handle, the CPU back-end. */
#ifndef CO_NT_DRIVER_H
#define CO_NT_DRIVER_H

#include "../host/nt_host.h"
#include <colinux/monitor.h>
#include <colinux/nt/ioctl.h>
#include <colinux/cpu.h>
#include <colinux/lib.h>

#define CO_NT_CONSOLE_BUF	65536

/*
 * Everything one handle owns (FILE_OBJECT->FsContext). Control requests
 * (create, load, start, destroy) are serialised by @ctl; RUN sets
 * @running and is the VM's thread for its duration; INPUT and POWER post
 * to the VM's mailbox under @lock (which keeps @vm alive meanwhile), and
 * NET_SEND queues in the relay and kicks the VM.
 */
struct co_nt_ctx {
	KMUTEX ctl;
	struct co_vm *vm;
	volatile LONG running;
	volatile LONG closing;
	volatile LONG timed_out;
	struct co_host_timer *run_timer;

	/* An image arriving in chunks. */
	uint8_t *load_buf;
	uint32_t load_what;
	uint64_t load_total, load_got;

	/* Console output, written and read by the RUN thread only. */
	uint8_t *con_out;
	size_t con_head, con_len;
	uint32_t con_dropped;

	KSPIN_LOCK lock;		/* @vm for threads other than RUN's */

	struct co_nt_relay relay;
};

struct co_nt_ctx *co_nt_ctx_new(void);
/* Closing the handle: stop any RUN, destroy the VM, free everything. */
void co_nt_ctx_free(struct co_nt_ctx *c);
void co_nt_ctx_closing(struct co_nt_ctx *c);

/*
 * One IOCTL on @c. @in/@out is the system buffer (METHOD_BUFFERED), with
 * the lengths the caller gave; returns the bytes of reply, or an
 * NTSTATUS error through @st for requests that cannot even be answered.
 */
size_t co_nt_ioctl(struct co_nt_ctx *c, uint32_t code, void *buf,
		   size_t in_len, size_t out_len, NTSTATUS *st);

/* Start-time checks (cpu.c). */
void co_nt_checks(struct co_nt_info *info);
const struct co_nt_info *co_nt_info(void);
extern const struct co_cpu_ops co_nt_cpu_ops;

/* irq.S: "int $v; ret" for v = 32..255, 4 bytes apart. */
extern const uint8_t co_nt_int_table[];

#endif
