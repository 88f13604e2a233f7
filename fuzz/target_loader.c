// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: the kernel image and initrd loader (fz_loader.c). */
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_loader_one(data, size);
}
