// SPDX-License-Identifier: GPL-2.0
/* One call that puts the sim-host back in its initial state between tests. */
#include "internal.h"

void co_sim_reset(void)
{
	co_sim_fault_reset();
	co_sim_log_capture(NULL, 0);
	co_sim_log_hook(NULL, NULL);
	co_sim_misuse_clear();
	co_sim_set_seed(CO_SIM_DEFAULT_SEED);
	/* Busy while a timer exists: the clock then simply stays as it is. */
	co_sim_clock_reset();
	co_sim_tsc_set(0, 0, 0, 0);
}
