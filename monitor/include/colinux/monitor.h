/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The portable monitor's interface to a host front end (colinux-sim, the
 * NT driver and daemon, the bare-metal host): VM lifecycle, configuration,
 * the console and power. CPU back-ends see <colinux/cpu.h> as well.
 *
 * Calling contexts as in host.h: [any], [passive], [vm]. A function
 * marked [vm] runs on the VM's thread: the one inside co_vm_run (a CPU
 * back-end's enter, a device's output function), or the VM's owner while
 * no co_vm_run is in progress. Other threads reach a VM only through the
 * [any] functions: co_vm_kick and the mailbox (co_vm_post_input,
 * co_vm_post_power).
 *
 * Lifecycle:
 *
 *   co_vm_create --> CREATED --load_kernel--> LOADED --start--> STARTED
 *   STARTED --run--> RUNNING --(guest stops)--> STOPPED
 *   any of LOADED..STOPPED --reset--> CREATED;  any --destroy--> gone
 */
#ifndef COLINUX_MONITOR_H
#define COLINUX_MONITOR_H

#include "host.h"
#include "config.h"
#include "abi/passage.h"

struct co_vm;
struct co_device;

enum co_vm_state {
	CO_VM_CREATED,
	CO_VM_LOADED,
	CO_VM_STARTED,
	CO_VM_RUNNING,
	CO_VM_STOPPED,
};

const char *co_vm_state_name(enum co_vm_state s);

/* Why co_vm_run returned. */
struct co_vm_exit {
	int reason;		/* enum co_term_reason */
	int code;		/* guest exit code (CO_TERM_POWEROFF) */
	char text[CO_TEXT_SIZE];
};
const char *co_term_reason_name(int reason);

/*
 * Exit statuses of the front ends (colinux-sim, colinux-daemon.exe): the
 * guest's own power-off code, or one of these (sysexits-style numbers).
 */
enum co_exit_status {
	CO_EXIT_USAGE		= 64,	/* bad option or configuration */
	CO_EXIT_BAD_IMAGE	= 65,	/* kernel or initrd rejected */
	CO_EXIT_HOST		= 69,	/* host or driver error */
	CO_EXIT_GUEST_ERROR	= 70,	/* guest panic or BUG */
	CO_EXIT_PROTOCOL	= 71,
	CO_EXIT_CPU_FAULT	= 72,
	CO_EXIT_HUNG		= 73,
	CO_EXIT_DEADLOCK	= 74,
};
/* The exit status for a guest that stopped for @reason with @code. */
int co_term_exit_status(int reason, int code);

/* The CPU back-end (struct co_cpu_ops) is specified in <colinux/cpu.h>. */
struct co_cpu_ops;

/*
 * -CO_ENOTSUP when the configuration asks for what the back-end cannot do
 * (memwindow=paged with a CO_CPU_CONTIGUOUS_RAM back-end), with the reason
 * logged: a configuration error, not a host failure.
 */
int co_vm_create(const struct co_config *cfg, const struct co_cpu_ops *cpu,
		 struct co_vm **out);
/*
 * Load an ELF64 vmlinux-style image; @err names what is wrong with it.
 * A Linux kernel (boot= in the configuration; docs/protocol.md, "Linux
 * boot") gets Linux's zero page and contiguous RAM: a VM created without
 * memwindow= is switched to one window here, and -CO_ENOTSUP means the
 * configuration asked for memwindow=paged, which cannot boot it (a
 * configuration error, not a bad image).
 */
int co_vm_load_kernel(struct co_vm *vm, const void *image, size_t len,
		      char *err, size_t errlen);
int co_vm_load_initrd(struct co_vm *vm, const void *image, size_t len,
		      char *err, size_t errlen);
/*
 * The checks co_vm_load_kernel makes, without a VM: for a front end that
 * vets an image before it hands it to a driver (colinux-daemon.exe).
 */
int co_kernel_image_check(const void *image, size_t len, uint64_t ram_size,
			  char *err, size_t errlen);
/* Convenience: read the files named in the configuration and load them. */
int co_vm_load_files(struct co_vm *vm, char *err, size_t errlen);
int co_vm_start(struct co_vm *vm);
/*
 * Run the guest until it stops (returns 0 with @exit filled) or a host
 * thread calls co_vm_kick (returns -CO_EBUSY; call again to go on).
 */
int co_vm_run(struct co_vm *vm, struct co_vm_exit *exit);
void co_vm_kick(struct co_vm *vm);				/* [any] */
int co_vm_reset(struct co_vm *vm);
void co_vm_destroy(struct co_vm *vm);

enum co_vm_state co_vm_state(const struct co_vm *vm);
/* The configuration the VM runs with (defaults the back-end chose applied). */
const struct co_config *co_vm_config(const struct co_vm *vm);

/*
 * The mailbox: console input and power events for the guest, posted from
 * any thread or context. The VM thread empties it under the VM lock at
 * every pass of the run loop and whenever it wakes an idle guest, into
 * the console and power devices; a post wakes an idle guest itself, so
 * no kick is needed. Posts are accepted from co_vm_create on and wait
 * until the VM runs; once it has stopped they are refused (-CO_ESTATE)
 * until co_vm_reset, which also empties the mailbox. Nobody may post
 * while or after co_vm_destroy runs.
 *
 * It holds CO_VM_MAILBOX_INPUT bytes of input: about what a terminal
 * line discipline buffers, enough for four full NT INPUT requests. They
 * are moved on into the console's own 4 KiB as soon as it has room, which
 * it has while the guest keeps reading; so a full mailbox means the guest
 * is not reading, and the front end should stop reading its terminal.
 * One power event waits at a time; a newer one replaces it.
 */
#define CO_VM_MAILBOX_INPUT	4096

#define CO_POST_ALL	0x1	/* co_vm_post_input: all @len bytes or none */

/*
 * Post @len bytes of console input, in order after those posted before.
 * Returns how many were taken: all of them, or fewer when the mailbox
 * filled up (the caller keeps the rest and posts it later). -CO_EBUSY:
 * full, nothing taken. With CO_POST_ALL, @len or -CO_EBUSY, and
 * -CO_ERANGE for more than CO_VM_MAILBOX_INPUT (it could never fit).
 * -CO_ESTATE: the VM stopped. -CO_EINVAL: no VM, NULL @bytes with a
 * length, or an unknown flag. 0 bytes: returns 0.
 * A refused post (short count or -CO_EBUSY) arranges a room
 * notification, so the caller can wait for it instead of polling. [any]
 */
int co_vm_post_input(struct co_vm *vm, const void *bytes, size_t len,
		     unsigned int flags);
/*
 * Post a power event (CO_POWER_CTRL_ALT_DEL or CO_POWER_SHUTDOWN): 0,
 * -CO_EINVAL for any other value or no VM, -CO_ESTATE once the VM
 * stopped. [any]
 */
int co_vm_post_power(struct co_vm *vm, unsigned int event);
/*
 * Room notification: once a post has been refused, @fn(@ctx) is called
 * as soon as the mailbox has room again, or the VM stops or is reset (a
 * retry then finds room, or learns -CO_ESTATE): one call, however many
 * posts were refused meanwhile, and none while nobody was refused. It
 * runs on the VM thread (inside co_vm_run or co_vm_reset) with no
 * monitor lock held; it may post, must not block, and must not call
 * co_vm_run. NULL @fn: none. A call already under way may still finish
 * after the hook is replaced. [any]
 */
typedef void co_vm_notify_fn(void *ctx);
void co_vm_set_room_notify(struct co_vm *vm, co_vm_notify_fn *fn, void *ctx);

/* Guest memory, for back-ends, debuggers and tests (bounds-checked). */
int co_vm_read_gpa(struct co_vm *vm, uint64_t gpa, void *buf, size_t len);
int co_vm_write_gpa(struct co_vm *vm, uint64_t gpa, const void *buf,
		    size_t len);
int co_vm_gpa_to_hpa(const struct co_vm *vm, uint64_t gpa, uint64_t *hpa);
uint64_t co_vm_ram_base(const struct co_vm *vm);
uint64_t co_vm_ram_size(const struct co_vm *vm);
/* Look up a symbol of the loaded kernel; -CO_ENOENT if none. */
int co_vm_symbol(const struct co_vm *vm, const char *name, uint64_t *value);

/*
 * Operation tracing, for recorders and debuggers: @fn sees every guest
 * operation, its parameters as the guest left them in the shared page,
 * before the monitor processes it (or the doorbells rung with it). It is
 * called on the VM's thread from inside co_vm_run ([vm]), with the guest
 * off the CPU: it may read guest memory and the shared page
 * (co_vm_read_gpa, co_vm_shared, <colinux/inspect.h>), and must not
 * write them or call co_vm_run, co_vm_reset or co_vm_destroy. One trace
 * per VM; NULL turns it off. It stays set across co_vm_reset. Set it
 * while the VM is not running ([vm]).
 */
typedef void co_vm_op_trace_fn(void *ctx, struct co_vm *vm, uint32_t op,
			       const uint64_t param[CO_PARAMS]);
void co_vm_set_op_trace(struct co_vm *vm, co_vm_op_trace_fn *fn, void *ctx);

/* Statistics of one run. */
struct co_vm_stats {
	uint64_t switches;		/* guest -> host exits */
	uint64_t ops[CO_OP_MAX];
	uint64_t requests;		/* ring requests completed */
	uint64_t irqs_raised;
	uint64_t host_irqs;		/* forwarded */
};
void co_vm_stats(const struct co_vm *vm, struct co_vm_stats *st);

/* Devices, by class and unit (NULL if absent). */
struct co_device *co_vm_device(struct co_vm *vm, unsigned int dev_class,
			       unsigned int unit);

/* cocon */
typedef void co_cocon_out_fn(void *ctx, const char *bytes, size_t len);
void co_cocon_set_output(struct co_device *con, co_cocon_out_fn *fn,
			 void *ctx);
/*
 * Keyboard bytes for the guest, buffered (4 KiB) until it posts input
 * buffers. Returns how many bytes were taken (fewer: the rest did not
 * fit), or -CO_EBUSY when the buffer is full. [vm] only: this is where
 * the mailbox delivers; front ends post with co_vm_post_input.
 */
int co_cocon_input(struct co_device *con, const void *bytes, size_t len);
/*
 * The screen as text: rows joined by '\n' with none after the last,
 * trailing blanks and trailing empty rows dropped (a blank screen is "").
 * Returns the full length like snprintf; NUL-terminated when @size > 0.
 */
size_t co_cocon_snapshot(struct co_device *con, char *buf, size_t size);
/* Scrollback line @n (0 = oldest kept); -CO_ERANGE past the end. */
int co_cocon_scrollback_line(struct co_device *con, unsigned int n,
			     char *buf, size_t size);
unsigned int co_cocon_scrollback_lines(struct co_device *con);

/* conet */
struct co_conet_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped_malformed, tx_dropped_oversize;
	uint64_t rx_frames, rx_bytes, rx_dropped_nobuf;
};
void co_conet_stats(struct co_device *net, struct co_conet_stats *st);

/*
 * One end of the loopback pair @name (ethN=loop,NAME): for a program that
 * plays the network for a VM's conet unit, as another VM's unit would.
 * Frames the other end sends reach @rx from co_conet_port_poll on this
 * end; @notify ([any]) says that poll has work. A third end with the same
 * name is -CO_EBUSY. The port is the caller's until co_conet_port_close.
 */
struct co_conet_port;
int co_conet_loop_open(const char *name, co_net_rx_fn *rx,
		       void (*notify)(void *ctx), void *ctx,
		       struct co_conet_port **out);
/*
 * A frame to the other end, copied: 0; -CO_ERANGE over CO_CONET_MAX_FRAME
 * bytes, -CO_ENOENT with no other end open, -CO_EBUSY when its inbox is
 * full (the frame is lost, as on a wire). [any]
 */
int co_conet_port_send(struct co_conet_port *p, const void *frame, size_t len);
/* Deliver the frames waiting for this end's @rx, on the caller's thread. */
void co_conet_port_poll(struct co_conet_port *p);
void co_conet_port_close(struct co_conet_port *p);

#endif
