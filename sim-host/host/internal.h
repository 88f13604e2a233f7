/* SPDX-License-Identifier: GPL-2.0 */
/* What the sim-host modules tell each other; not for tests. */
#ifndef CO_SIM_INTERNAL_H
#define CO_SIM_INTERNAL_H

#include <sim/sim.h>

/* fault.c: 0, or the negative error the call must fail with. */
int co_sim_fault_check(enum co_sim_fault_class cls);
/* fault.c: @len, or less while a short-I/O plan is active. */
size_t co_sim_fault_clamp(enum co_sim_fault_class cls, size_t len);

/* leak.c */
void co_sim_count(enum co_sim_obj obj, int64_t delta);
void co_sim_misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log.c: printf-style logging for the host's own diagnostics. */
void co_sim_logf(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* errno to negative co_err. */
int co_sim_errno(int e);

/* clock.c */
void co_sim_timers_run_due(void);
uint64_t co_sim_timer_next(void);	/* earliest armed deadline or MAX */
bool co_sim_timers_armed(void);

/* event.c */
bool co_sim_external_sources(void);

/*
 * net-slirp.c: deliver queued frames, poll the back-ends' descriptors and
 * @extra_fd (-1: none) for up to @timeout_ns (0: just look; negative:
 * forever), service them, deliver again. Returns how much happened
 * (frames delivered plus back-end descriptors ready).
 */
int co_sim_net_wait(int extra_fd, int64_t timeout_ns);
unsigned int co_sim_net_count(void);
/* The earliest time a back-end wants servicing at, or UINT64_MAX. */
uint64_t co_sim_net_next_deadline(void);

#endif
