// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: the ops profile of the structure-aware VM fuzzer (fz_vm.c). */
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_vm_one(&fz_profile_ops, data, size);
}
