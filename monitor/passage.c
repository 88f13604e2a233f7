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
	vm->guest_xcr0 = 0;
}

/*
 * docs/protocol.md, "XCR0": the guest runs with the XCR0 it was given
 * (the xsave path's, else the host's) or leaves XCR0 alone. The switch
 * has given the host its own back already; what the guest did is in its
 * scratch, written by the switch as it left (read once here, before the
 * guest runs again).
 */
void co_passage_check_exit(struct co_vm *vm)
{
	uint64_t seen = CO_READ_ONCE(vm->shared->scratch.xcr0), want;

	if (vm->guest_xcr0)
		want = vm->guest_xcr0;
	else if (vm->host_cpu.valid & CO_BOOT_FEAT_HOST_XCR0)
		want = vm->host_cpu.xcr0;
	else
		return;
	/* 0: CR4.OSXSAVE off as it left; it cannot have run xsetbv since. */
	if (seen && seen != want)
		co_vm_terminate(vm, CO_TERM_PROTOCOL, 0,
				"the guest changed XCR0 to 0x%llx; it must run with 0x%llx or leave XCR0 alone (docs/protocol.md, \"XCR0\")",
				(unsigned long long)seen, (unsigned long long)want);
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
