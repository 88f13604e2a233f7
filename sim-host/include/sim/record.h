/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The traffic recorder of colinux-sim (--record FILE): a run's guest
 * traffic written as a guest script (<sim/script.h>), which the fuzz
 * targets replay (fuzz/README.md, "Seeds from real traffic"). It watches
 * the VM through the monitor's public operation trace and inspection API
 * only.
 *
 *   co_sim_recorder_open    before the VM exists: a path that cannot be
 *                           written fails here, before any guest runs
 *   co_sim_recorder_attach  after co_vm_start, before the first co_vm_run
 *   co_sim_recorder_close   before co_vm_destroy: writes the file
 */
#ifndef CO_SIM_RECORD_H
#define CO_SIM_RECORD_H

#include <stdbool.h>
#include <stddef.h>

struct co_vm;
struct co_sim_recorder;

/*
 * Create (or truncate) @path for a recording. 0, or -1 with "PATH: why"
 * in @err (errno kept).
 */
int co_sim_recorder_open(const char *path, struct co_sim_recorder **out,
			 char *err, size_t errlen);
/*
 * Record @vm's traffic from now on. Sets the VM's operation trace (one
 * per VM). -1 if the recorder is already attached.
 */
int co_sim_recorder_attach(struct co_sim_recorder *r, struct co_vm *vm);
/*
 * Stop (detach from the VM), write the recording, close the file and free
 * @r. 0 with the recording's size in *@bytes and, in *@truncated, whether
 * it reached the 256 KiB limit and stopped growing; or -1 with
 * "PATH: why" in @err. A recorder never attached writes nothing and
 * removes the file it created. @r may be NULL (returns 0).
 */
int co_sim_recorder_close(struct co_sim_recorder *r, size_t *bytes,
			  bool *truncated, char *err, size_t errlen);

#endif
