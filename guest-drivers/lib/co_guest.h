/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of the passage (abi/passage.h, docs/protocol.md): the
 * operation wrapper, virtual interrupt lines (pending/mask, dispatch to
 * handlers), doorbells, the one-shot timer, time, debug print and
 * terminate.
 *
 * Portable: freestanding C on the ABI headers only. How the CPU gets to
 * the host is the kernel's business: it hands co_guest_init() an enter
 * function that calls offset 0 of the passage code page with interrupts
 * disabled and returns when the host switches back (the x86-64 switch
 * keeps rdi, rsi and the callee-saved registers, so a plain C function
 * call is enough).
 *
 * Interrupt model: the host raises lines in irq_pending; the guest looks
 * whenever it gets the CPU back. co_guest_dispatch() takes every pending
 * unmasked line (atomic and-not) and runs its handler. The operation
 * wrappers that wait (idle, yield, notify, the sleeps and waits) dispatch
 * afterwards; the others (time, set timer, print) do not, so that they
 * can be used from a handler. Handlers never nest.
 *
 * Not thread-safe: one CPU, one caller at a time (a Linux kernel would
 * hold a lock around co_guest_call).
 */
#ifndef CO_GUEST_H
#define CO_GUEST_H

#include <colinux/abi/passage.h>
#ifndef __KERNEL__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

typedef void co_guest_enter_fn(void);
typedef void co_guest_irq_fn(void *ctx, unsigned int line);
typedef bool co_guest_cond_fn(void *ctx);
/* Disable interrupts, returning what restore needs to undo it. */
typedef unsigned long co_guest_irq_save_fn(void);
typedef void co_guest_irq_restore_fn(unsigned long flags);

struct co_guest {
	struct co_passage_shared *sh;
	co_guest_enter_fn *enter;
	co_guest_irq_save_fn *irq_save;
	co_guest_irq_restore_fn *irq_restore;
	co_guest_irq_fn *handler[CO_IRQ_LINES];
	void *ctx[CO_IRQ_LINES];
	bool in_dispatch;
	bool timer_fired;
	uint64_t timer_deadline;	/* what we armed, 0 = none */
	uint32_t power_event;		/* last CO_POWER_* seen */
	uint64_t calls;			/* switches to the host */
	uint64_t irqs[CO_IRQ_LINES];	/* handler runs per line */
};

/*
 * Check the shared page (magic, version, size) and mask every line.
 * -1 if the page is not what this guest was built for.
 */
int co_guest_init(struct co_guest *g, struct co_passage_shared *sh,
		  co_guest_enter_fn *enter);

/*
 * A kernel that takes (host) interrupts while it runs, and makes
 * operations from their handlers, gives the means to keep an operation
 * whole: parameters, switch and results happen with interrupts off.
 */
void co_guest_set_irq_ops(struct co_guest *g, co_guest_irq_save_fn *save,
			  co_guest_irq_restore_fn *restore);

/*
 * One operation: @nin parameters from @in, the switch, then @nout result
 * parameters into @out; returns the result (enum co_status).
 */
int32_t co_guest_call(struct co_guest *g, uint32_t op, const uint64_t *in,
		      unsigned int nin, uint64_t *out, unsigned int nout);

/* Operations. */
void co_guest_idle(struct co_guest *g);
void co_guest_yield(struct co_guest *g);
void co_guest_notify(struct co_guest *g);
void co_guest_time(struct co_guest *g, uint64_t *mono_ns, uint64_t *wall_ns);
uint64_t co_guest_now(struct co_guest *g);
/* 0 disarms. Replaces the armed deadline. */
void co_guest_set_timer(struct co_guest *g, uint64_t deadline_ns);
/* Text up to CO_TEXT_SIZE - 1 bytes (longer text is cut). */
void co_guest_debug_print(struct co_guest *g, const char *text, size_t len);
/* Does not return unless the host breaks the protocol. */
void co_guest_terminate(struct co_guest *g, unsigned int reason, int code,
			const char *text, size_t len);
int32_t co_guest_queue_setup(struct co_guest *g, unsigned int queue,
			     uint64_t ring_gpa, unsigned int log2);
void co_guest_forward_irq(struct co_guest *g, unsigned int vector);

/* Doorbells: set the bit now, the host serves it at the next switch. */
void co_guest_doorbell(struct co_guest *g, unsigned int queue);

/* Interrupt lines. A handler unmasks its line; NULL masks it again. */
void co_guest_irq_handler(struct co_guest *g, unsigned int line,
			  co_guest_irq_fn *fn, void *ctx);
void co_guest_irq_mask(struct co_guest *g, unsigned int line, bool masked);
bool co_guest_irq_pending(const struct co_guest *g, unsigned int line);
/* Run the handlers of every pending unmasked line; how many ran. */
unsigned int co_guest_dispatch(struct co_guest *g);

/*
 * Wait until @cond(@ctx) holds, idling between looks; gives up at the
 * monotonic @deadline_ns (0 = never). 0 if the condition held, -1 on
 * timeout. Uses the timer (CO_IRQ_TIMER, handled here).
 */
int co_guest_wait(struct co_guest *g, co_guest_cond_fn *cond, void *ctx,
		  uint64_t deadline_ns);
/*
 * The same with a timeout; the clock is read (a switch) only when the
 * condition does not hold already.
 */
int co_guest_wait_for(struct co_guest *g, co_guest_cond_fn *cond, void *ctx,
		      uint64_t timeout_ns);
void co_guest_sleep_ns(struct co_guest *g, uint64_t ns);

#endif
