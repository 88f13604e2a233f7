// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: the configuration parser (fz_config.c). */
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_config_one(data, size);
}
