/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record a VM's guest traffic as a fuzz-target input (record.c), for
 * colinux-sim --record FILE. Start right after co_vm_start; stop before
 * co_vm_destroy (the file is written then). One VM per process.
 */
#ifndef CO_FUZZ_RECORD_H
#define CO_FUZZ_RECORD_H

struct co_vm;

int co_fuzz_record_start(struct co_vm *vm, const char *path);
int co_fuzz_record_stop(struct co_vm *vm);

#endif
