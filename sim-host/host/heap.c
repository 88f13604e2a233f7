// SPDX-License-Identifier: GPL-2.0
/* The host heap: malloc, counted so tests can see every block come back. */
#include <stdlib.h>

#include "internal.h"

static void *heap_get(size_t size, bool zero)
{
	void *p;

	if (co_sim_fault_check(CO_SIM_FAULT_HEAP_ALLOC))
		return NULL;
	/* A zero-sized request still gets a unique block to free. */
	if (!size)
		size = 1;
	p = zero ? calloc(1, size) : malloc(size);
	if (p)
		co_sim_count(CO_SIM_OBJ_HEAP, 1);
	return p;
}

void *co_host_alloc(size_t size)
{
	return heap_get(size, false);
}

void *co_host_zalloc(size_t size)
{
	return heap_get(size, true);
}

void co_host_free(void *p)
{
	if (!p)
		return;
	co_sim_count(CO_SIM_OBJ_HEAP, -1);
	free(p);
}
