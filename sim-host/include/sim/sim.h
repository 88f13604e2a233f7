/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space host: the test-facing side of sim-host. Everything here is
 * for tests and the colinux-sim front end; the monitor never sees it.
 *
 * Host physical memory is one big anonymous mapping whose offsets are host
 * physical addresses. Frames that are not allocated are PROT_NONE (and
 * poisoned under ASan), so any stray access faults; the fuzzers trade the
 * PROT_NONE of freed frames for speed (co_sim_keep_freed_mapped). co_host_pages_alloc
 * hands out shuffled, non-contiguous frames from a seeded generator, so
 * runs are reproducible.
 *
 * Time is virtual by default: it only moves when a test advances it or when
 * co_host_event_wait has nothing better to do than jump to the next
 * deadline. co_sim_clock_real(true) switches to the real clocks (a timer
 * thread then runs the timers).
 */
#ifndef CO_SIM_SIM_H
#define CO_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <colinux/host.h>

/* ---- Host physical memory ------------------------------------------- */

#define CO_SIM_PAGE_SIZE	4096ULL
#define CO_SIM_DEFAULT_PHYS	(6ULL << 30)	/* room for a 4 GiB guest */
#define CO_SIM_FIRST_PFN	256		/* frames below 1 MiB: never */

/*
 * Reserve @phys_bytes of host physical address space (0: the default).
 * Implicit (with the default) on first use. Re-initialising is allowed
 * while no page is allocated; otherwise -CO_EBUSY.
 */
int co_sim_init(uint64_t phys_bytes);
uint64_t co_sim_phys_bytes(void);
#define CO_SIM_DEFAULT_SEED	0xc011c0deULL
/* Seed of the frame shuffle; also resets the generator. */
void co_sim_set_seed(uint64_t seed);

/* Base of the mapping: host physical address 0. */
void *co_sim_phys_base(void);
/* Pointer to @hpa if its page is allocated, NULL otherwise. */
void *co_sim_phys_ptr(uint64_t hpa);
/* Is the page of @pfn allocated? */
bool co_sim_page_allocated(uint64_t pfn);

/*
 * ASan builds only (-CO_ENOTSUP otherwise): a frame, once mapped, stays
 * readable and writable when freed; it is zeroed and ASan-poisoned
 * instead, so a stray access is still reported, and allocating and
 * freeing cost no system call. For fuzzing, where VMs come and go
 * thousands of times a minute. Survives co_sim_reset.
 */
int co_sim_keep_freed_mapped(bool on);

/* ---- Leak accounting --------------------------------------------------- */

enum co_sim_obj {
	CO_SIM_OBJ_PAGES,	/* host pages allocated */
	CO_SIM_OBJ_HEAP,	/* co_host_alloc blocks */
	CO_SIM_OBJ_FILES,
	CO_SIM_OBJ_MUTEXES,
	CO_SIM_OBJ_EVENTS,
	CO_SIM_OBJ_TIMERS,
	CO_SIM_OBJ_NETS,
	CO_SIM_OBJ_SPINLOCKS,
	CO_SIM_OBJ_NR
};

/* How many objects of a kind are outstanding now. */
uint64_t co_sim_in_use(enum co_sim_obj obj);
static inline uint64_t co_sim_pages_in_use(void)
{
	return co_sim_in_use(CO_SIM_OBJ_PAGES);
}
static inline uint64_t co_sim_heap_in_use(void)
{
	return co_sim_in_use(CO_SIM_OBJ_HEAP);
}

/*
 * Host API misuse seen so far (freeing a page that is not allocated, a
 * double free): each is logged at error level and counted here.
 */
uint64_t co_sim_misuse_count(void);
void co_sim_misuse_clear(void);

/*
 * Number of outstanding objects of every kind plus misuse count; prints
 * (log level error) what leaked. A test ends with
 * assert_int_equal(co_sim_leak_check(), 0).
 */
uint64_t co_sim_leak_check(void);

/* ---- Fault injection ------------------------------------------------ */

enum co_sim_fault_class {
	CO_SIM_FAULT_PAGE_ALLOC,	/* co_host_pages_alloc{,_contig} */
	CO_SIM_FAULT_HEAP_ALLOC,	/* co_host_alloc, co_host_zalloc */
	CO_SIM_FAULT_OBJECT,		/* mutex, event, timer creation */
	/*
	 * Every call of the page, heap, object and net-open classes also
	 * counts as a call of this one.
	 */
	CO_SIM_FAULT_ANY_ALLOC,
	CO_SIM_FAULT_FILE_OPEN,
	CO_SIM_FAULT_FILE_READ,
	CO_SIM_FAULT_FILE_WRITE,
	CO_SIM_FAULT_FILE_SYNC,
	CO_SIM_FAULT_FILE_SIZE,
	CO_SIM_FAULT_FILE_DISCARD,
	CO_SIM_FAULT_NET_OPEN,
	CO_SIM_FAULT_NET_SEND,
	CO_SIM_FAULT_FILE_VIEW,		/* co_host_file_view (-CO_ENOTSUP: none) */
	CO_SIM_FAULT_NR
};

/*
 * Make the @nth next call of @cls (1: the very next) fail with -@err
 * (CO_EIO or -CO_EIO alike; 0: the class's usual error, -CO_ENOMEM for
 * allocations and -CO_EIO otherwise). Allocations that return a pointer
 * return NULL. Replaces any earlier failure plan for @cls.
 */
void co_sim_fault_fail_nth(enum co_sim_fault_class cls, unsigned long nth,
			   int err);
/* Fail @count calls from the @nth next on (count = ULONG_MAX: all). */
void co_sim_fault_fail_range(enum co_sim_fault_class cls, unsigned long nth,
			     unsigned long count, int err);
static inline void co_sim_fault_eio(enum co_sim_fault_class cls,
				    unsigned long nth)
{
	co_sim_fault_fail_nth(cls, nth, CO_EIO);
}
/*
 * FILE_READ / FILE_WRITE: the next @calls calls transfer at most @max bytes
 * (the syscall really runs with the shorter length).
 */
void co_sim_fault_short(enum co_sim_fault_class cls, size_t max,
			unsigned long calls);
/* Calls of @cls since the last reset, and how many of them were failed. */
unsigned long co_sim_fault_calls(enum co_sim_fault_class cls);
unsigned long co_sim_fault_injected(enum co_sim_fault_class cls);
/* Forget every plan and zero the counters. */
void co_sim_fault_reset(void);

/* ---- Clock -------------------------------------------------------------- */

#define CO_SIM_MONO_START	1000000000000ULL		/* 1000 s */
#define CO_SIM_WALL_START	(1700000000ULL * 1000000000ULL)	/* Nov 2023 */

/*
 * Virtual time forward by @ns; due timers run in deadline order (ties in
 * arming order), each with the clock set to its own deadline.
 */
void co_sim_clock_advance(uint64_t ns);
/* Virtual time forward to @mono_ns (no-op if already past). */
void co_sim_clock_advance_to(uint64_t mono_ns);
/* Wall clock now reads @ns (virtual mode only). */
void co_sim_clock_set_wall(uint64_t ns);
/*
 * Switch between virtual (false, the default) and real time. -CO_EBUSY if
 * a timer is armed.
 */
int co_sim_clock_real(bool on);
bool co_sim_clock_is_real(void);
/* Back to virtual time at CO_SIM_MONO_START; -CO_EBUSY if timers exist. */
int co_sim_clock_reset(void);
/*
 * The TSC the host contract reports (co_host_tsc_khz, co_host_clock_tsc).
 * The sim-host's clock is virtual, not the TSC: by default the frequency
 * is unknown (0) and co_host_clock_tsc says -CO_ENOTSUP. A test may make
 * it report @khz and, with @mult != 0, a TSC-linear clock of those
 * parameters, to see what the monitor does with one (co_sim_reset undoes
 * it).
 */
void co_sim_tsc_set(uint32_t khz, uint64_t tsc0, uint32_t mult, int8_t shift);

/*
 * Someone outside the host (a front-end thread reading the console, a
 * test thread) may signal events: while any is registered,
 * co_host_event_wait sleeps instead of returning -CO_EBUSY.
 */
void co_sim_external_source(bool add);

/* ---- Logging -------------------------------------------------------- */

/*
 * Lines above @level are not printed (default CO_LOG_WARN, or $CO_LOG as
 * a digit 0-3); -1 prints nothing.
 */
int co_sim_log_level(int level);	/* returns the old level */
/*
 * Append every logged line (any level) as "<level>: <line>\n" to @buf,
 * always NUL-terminated, dropping what does not fit. NULL stops.
 */
void co_sim_log_capture(char *buf, size_t size);
/* Was a line containing @needle captured? */
bool co_sim_log_contains(const char *needle);
/* Also hand every line to @fn (NULL: remove). */
void co_sim_log_hook(void (*fn)(void *ctx, int level, const char *line),
		     void *ctx);

/*
 * Reset for the next test: fault plans, log capture and hook, misuse
 * count, seed; the clock too when no timer exists. Memory is left alone.
 */
void co_sim_reset(void);

#endif
