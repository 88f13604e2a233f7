// SPDX-License-Identifier: GPL-2.0
/*
 * Passage pages: allocation and the shared page's initial contents. The
 * switch code itself and the transit address space are the arch code's
 * (co_arch_passage_install: the code page is filled once, at creation, and
 * survives resets).
 */
#include "internal/passage.h"
#include <colinux/lib.h>
#include "internal/vm.h"

static void shared_init(struct co_passage_shared *sh)
{
	co_memset(sh, 0, sizeof(*sh));
	sh->magic = CO_PASSAGE_MAGIC;
	sh->abi_version = CO_ABI_VERSION;
	sh->size = sizeof(*sh);
	/* Every line starts masked; the guest unmasks what it handles. */
	co_memset(sh->irq_mask, 0xff, sizeof(sh->irq_mask));
}

int co_passage_create(struct co_vm *vm)
{
	unsigned int i;
	int err;

	err = co_host_pages_alloc(CO_ARRAY_SIZE(vm->passage_pfn), vm->passage_pfn);
	if (err)
		return err;
	vm->shared = co_host_map(vm->passage_pfn[1]);
	vm->host_state = co_host_map(vm->passage_pfn[2]);
	if (!vm->shared || !vm->host_state) {
		err = -CO_EFAULT;
		goto fail;
	}
	shared_init(vm->shared);
	err = co_arch_passage_install(vm);
	if (err)
		goto fail;
	return 0;
fail:
	if (vm->shared)
		co_host_unmap(vm->shared, vm->passage_pfn[1]);
	if (vm->host_state)
		co_host_unmap(vm->host_state, vm->passage_pfn[2]);
	vm->shared = NULL;
	vm->host_state = NULL;
	co_host_pages_free(CO_ARRAY_SIZE(vm->passage_pfn), vm->passage_pfn);
	for (i = 0; i < CO_ARRAY_SIZE(vm->passage_pfn); i++)
		vm->passage_pfn[i] = 0;
	return err;
}

void co_passage_reset(struct co_vm *vm)
{
	shared_init(vm->shared);
	co_memset(vm->host_state, 0, sizeof(*vm->host_state));
}

void co_passage_destroy(struct co_vm *vm)
{
	unsigned int i;

	if (!vm->passage_pfn[0])
		return;
	co_arch_passage_remove(vm);
	co_host_unmap(vm->shared, vm->passage_pfn[1]);
	co_host_unmap(vm->host_state, vm->passage_pfn[2]);
	co_host_pages_free(CO_ARRAY_SIZE(vm->passage_pfn), vm->passage_pfn);
	vm->shared = NULL;
	vm->host_state = NULL;
	for (i = 0; i < CO_ARRAY_SIZE(vm->passage_pfn); i++)
		vm->passage_pfn[i] = 0;
}
