/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host-primitives contract: everything the portable monitor needs from
 * the system it runs on, and nothing else. Three hosts implement it:
 * sim-host/ (user space, for tests), the bare-metal host (qemu-rig/host/)
 * and the NT driver.
 *
 * The monitor includes this header and the freestanding compiler headers
 * (stddef.h, stdint.h, stdarg.h, stdbool.h) only. A host must also supply
 * memcpy, memmove, memset and memcmp, which the compiler may call.
 *
 * Calling context, for each function:
 *   [any]     any context, including a timer callback; never sleeps
 *   [passive] a thread that may sleep (NT: PASSIVE_LEVEL): VM creation,
 *             the run loop, file I/O
 *   [vm]      the VM's own thread (the one inside co_vm_run)
 *
 * Errors are negative enum co_err values.
 */
#ifndef COLINUX_HOST_H
#define COLINUX_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum co_err {
	CO_OK		= 0,
	CO_ENOMEM	= 1,
	CO_EINVAL	= 2,	/* bad argument or malformed input */
	CO_EIO		= 3,
	CO_ENOENT	= 4,
	CO_ERANGE	= 5,
	CO_ENOTSUP	= 6,
	CO_ETIMEDOUT	= 7,
	CO_EBUSY	= 8,
	CO_EFAULT	= 9,	/* address outside guest memory */
	CO_EPROTO	= 10,	/* the guest broke the ABI */
	CO_ESTATE	= 11,	/* wrong VM state for this call */
	CO_EACCES	= 12,	/* read-only, permission */
	CO_ERR_MAX
};

/* A short English name for an error ("out of memory"). */
const char *co_strerror(int err);

/* ---- Host physical memory ------------------------------------------- */

/*
 * Allocate @count zeroed pages of host physical memory, not necessarily
 * contiguous; their frame numbers go to @pfns. All or nothing. [passive]
 */
int co_host_pages_alloc(size_t count, uint64_t *pfns);
void co_host_pages_free(size_t count, const uint64_t *pfns);

/*
 * Zero @count pages this host handed out (by either allocator), in any
 * order. A VM reset clears all of RAM with it: a host that can drop pages
 * instead of writing them (the sim-host does) makes that cheap. [passive]
 */
void co_host_pages_zero(size_t count, const uint64_t *pfns);

/*
 * One physically contiguous, zeroed run of @count pages whose first frame
 * is a multiple of @align_pages (a power of two). May fail with
 * -CO_ENOMEM even when co_host_pages_alloc would succeed. [passive]
 */
int co_host_pages_alloc_contig(size_t count, size_t align_pages,
			       uint64_t *first_pfn);
void co_host_pages_free_contig(uint64_t first_pfn, size_t count);

/*
 * Map one page of host physical memory for the monitor's access; the
 * mapping stays valid until co_host_unmap. Hosts with a linear map return a
 * pointer into it. Returns NULL for a frame the host does not own. [any]
 */
void *co_host_map(uint64_t pfn);
void co_host_unmap(void *va, uint64_t pfn);

/* ---- Heap ------------------------------------------------------------- */

/* Non-paged heap (NT: NonPagedPoolNx with tag 'colx'). [passive] */
void *co_host_alloc(size_t size);
void *co_host_zalloc(size_t size);
void co_host_free(void *p);	/* NULL is fine. [any] */

/* ---- Synchronisation ------------------------------------------------- */

struct co_host_mutex;
struct co_host_mutex *co_host_mutex_create(void);		/* [passive] */
void co_host_mutex_lock(struct co_host_mutex *m);		/* [passive] */
void co_host_mutex_unlock(struct co_host_mutex *m);		/* [passive] */
void co_host_mutex_destroy(struct co_host_mutex *m);		/* [passive] */

/*
 * A lock for a few hundred instructions of work that any context may
 * need, such as a VM's mailbox (a timer callback or another thread posts,
 * the VM thread drains). The holder cannot be interrupted by anything
 * that takes the same lock: NT raises to DISPATCH_LEVEL (a KSPIN_LOCK),
 * the bare-metal host turns interrupts off. Not recursive. While holding
 * it, take no other lock, wait for nothing, call no other host function.
 */
struct co_host_spinlock;
struct co_host_spinlock *co_host_spinlock_create(void);	/* [passive] */
void co_host_spin_lock(struct co_host_spinlock *s);		/* [any] */
void co_host_spin_unlock(struct co_host_spinlock *s);		/* [any] */
void co_host_spinlock_destroy(struct co_host_spinlock *s);	/* [passive] */

/*
 * An auto-reset event the VM thread sleeps on while the guest idles.
 * co_host_event_wait returns 0 when signalled, -CO_ETIMEDOUT when the
 * monotonic clock reached @deadline_ns first (CO_NO_DEADLINE: wait
 * forever). While it waits, the host runs due timers and services its
 * external I/O (network back-ends). A host that knows nothing can ever
 * signal the event (no deadline, no armed timer, no external source)
 * returns -CO_EBUSY instead of sleeping forever; the monitor then stops
 * the guest as deadlocked. [vm]
 */
#define CO_NO_DEADLINE UINT64_MAX
struct co_host_event;
struct co_host_event *co_host_event_create(void);		/* [passive] */
int co_host_event_wait(struct co_host_event *e, uint64_t deadline_ns);
void co_host_event_signal(struct co_host_event *e);		/* [any] */
void co_host_event_destroy(struct co_host_event *e);		/* [passive] */

/* ---- Time ------------------------------------------------------------- */

/*
 * One-shot timers. The callback runs in [any] context (NT: a DPC) when the
 * monotonic clock passes the deadline; arming an armed timer moves it.
 */
struct co_host_timer;
struct co_host_timer *co_host_timer_create(void (*fn)(void *arg), void *arg);
void co_host_timer_arm(struct co_host_timer *t, uint64_t deadline_ns);	/* [any] */
void co_host_timer_cancel(struct co_host_timer *t);			/* [any] */
void co_host_timer_destroy(struct co_host_timer *t);		/* [passive] */

/* Nanoseconds: monotonic since an arbitrary origin; wall since 1970. [any] */
uint64_t co_host_monotonic_ns(void);
uint64_t co_host_wallclock_ns(void);

/*
 * The TSC as the host knows it, for the guest's clock (the boot
 * parameters' tsc_khz and the time record). co_host_tsc_khz: its
 * frequency, 0 when the host does not know it (a guest then has no TSC
 * frequency and must not calibrate one against host hardware).
 * co_host_clock_tsc: when co_host_monotonic_ns is itself TSC-linear,
 * ns = (((tsc - *tsc0) << *shift) * *mult) >> 32 (a right shift for a
 * negative *shift), and 0; -CO_ENOTSUP for a clock that is not the TSC.
 * [any]
 */
uint32_t co_host_tsc_khz(void);
int co_host_clock_tsc(uint64_t *tsc0, uint32_t *mult, int8_t *shift);

/* ---- Files (cobd images, pcap captures, @config files) -------------- */

#define CO_FILE_READ	0x1
#define CO_FILE_WRITE	0x2
#define CO_FILE_CREATE	0x4	/* create if missing */
#define CO_FILE_TRUNC	0x8

struct co_host_file;
/* [passive] for all file functions. */
int co_host_file_open(const char *path, unsigned int flags,
		      struct co_host_file **out);
/* Return bytes transferred (short at end of file), or a negative error. */
long co_host_file_pread(struct co_host_file *f, void *buf, size_t len,
			uint64_t off);
long co_host_file_pwrite(struct co_host_file *f, const void *buf, size_t len,
			 uint64_t off);
int co_host_file_sync(struct co_host_file *f);	/* data reaches the disk */
int co_host_file_size(struct co_host_file *f, uint64_t *size);
/* Deallocate a range (reads back as zeros); may be -CO_ENOTSUP. */
int co_host_file_discard(struct co_host_file *f, uint64_t off, uint64_t len);
/*
 * The whole file in place, read-only: *@data holds *@size bytes (the
 * file's size) until co_host_file_close. For files nobody changes while
 * they are open (the kernel, an initrd): it spares the copy that reading
 * into a buffer makes, which for a debug-built kernel is hundreds of MiB
 * (the bare host hands out the multiboot module, the sim-host maps the
 * file). Never written through. -CO_ENOTSUP where the host cannot (the
 * NT host, the bare host's disks): read the file instead; -CO_EINVAL for
 * an empty file.
 */
int co_host_file_view(struct co_host_file *f, const void **data,
		      uint64_t *size);
void co_host_file_close(struct co_host_file *f);

/* ---- Network back-ends the host provides -------------------------- */

/*
 * conet's pcap and loopback back-ends are portable and live in the
 * monitor; anything that needs the host's own network stack (user-mode NAT
 * through libslirp) is opened here. The monitor hands the back-end its
 * receive callback; the back-end calls it from [vm] context (typically
 * inside co_host_event_wait or co_host_net_poll) for every frame for the
 * guest.
 */
struct co_host_net;
struct co_host_net_config {
	const char *kind;	/* "slirp" */
	unsigned int unit;
	uint8_t mac[6];
	/* Host port forwards, "tcp:HOSTPORT:GUESTPORT" or "udp:..." */
	unsigned int nr_forwards;
	struct {
		bool udp;
		uint16_t host_port;
		uint16_t guest_port;
	} forward[8];
};
typedef void co_net_rx_fn(void *ctx, const void *frame, size_t len);
int co_host_net_open(const struct co_host_net_config *cfg, co_net_rx_fn *rx,
		     void *ctx, struct co_host_net **out);	/* [passive] */
/* Frame from the guest to the outside. [vm] */
int co_host_net_send(struct co_host_net *n, const void *frame, size_t len);
/* Deliver whatever is ready without waiting. [vm] */
void co_host_net_poll(struct co_host_net *n);
void co_host_net_close(struct co_host_net *n);		/* [passive] */

/* ---- Logging -------------------------------------------------------- */

enum co_log_level {
	CO_LOG_ERROR	= 0,
	CO_LOG_WARN	= 1,
	CO_LOG_INFO	= 2,
	CO_LOG_DEBUG	= 3,
};
/* One complete line, without the newline. [any] */
void co_host_log(int level, const char *line);

#endif
