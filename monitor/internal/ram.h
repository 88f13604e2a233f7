/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: host pages behind the guest-physical range
 * [base, base + size), and bounds-checked access to it.
 *
 * Paged mode: base = 0, pages from co_host_pages_alloc, one host frame per
 * guest page in pfn[]. Contiguous mode: one co_host_pages_alloc_contig run
 * aligned to 2 MiB (1 GiB when the size allows), base = its host-physical
 * address, so guest-physical == host-physical.
 */
#ifndef CO_MONITOR_RAM_H
#define CO_MONITOR_RAM_H

#include <colinux/host.h>

struct co_ram {
	uint64_t base;		/* first guest-physical address */
	uint64_t size;		/* bytes, a multiple of 2 MiB */
	uint64_t npages;
	bool contiguous;
	uint64_t *pfn;		/* host frame of each guest page */
};

int co_ram_init(struct co_ram *ram, uint64_t size, bool contiguous);
void co_ram_free(struct co_ram *ram);
/* Zero all of it (reset). */
void co_ram_clear(struct co_ram *ram);

/* True if [gpa, gpa + len) lies inside RAM (overflow-safe; len 0 is ok). */
bool co_ram_contains(const struct co_ram *ram, uint64_t gpa, uint64_t len);
int co_ram_gpa_to_hpa(const struct co_ram *ram, uint64_t gpa, uint64_t *hpa);

/*
 * A host pointer to the bytes at @gpa, valid for *@avail bytes (up to the
 * end of that page, at most @len). -CO_EFAULT outside RAM. Pair with
 * co_ram_unmap.
 */
void *co_ram_map(const struct co_ram *ram, uint64_t gpa, size_t len,
		 size_t *avail);
void co_ram_unmap(const struct co_ram *ram, void *p, uint64_t gpa);

/* Copies; -CO_EFAULT (and nothing copied) unless the whole range is RAM. */
int co_ram_read(const struct co_ram *ram, uint64_t gpa, void *dst, size_t len);
int co_ram_write(const struct co_ram *ram, uint64_t gpa, const void *src,
		 size_t len);
int co_ram_fill(const struct co_ram *ram, uint64_t gpa, int byte, size_t len);

#endif
