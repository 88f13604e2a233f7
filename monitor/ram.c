// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: allocation of the host frames behind it and bounds-checked
 * access. Every access goes through co_host_map one page at a time, so the
 * same code serves hosts with and without a linear map.
 */
#include "internal/ram.h"
#include <colinux/abi/types.h>
#include <colinux/lib.h>

#define RAM_PAGE	CO_PAGE_SIZE
#define RAM_2M		(2ULL << 20)
#define RAM_1G		(1ULL << 30)
/* Far beyond what the config allows; keeps npages * 8 from overflowing. */
#define RAM_MAX		(1ULL << 40)

static int ram_alloc_contig(struct co_ram *ram)
{
	uint64_t first, i;
	int err = -CO_ENOMEM;

	/* A 1 GiB-aligned window lets the guest use 1 GiB pages; nice, not needed. */
	if (ram->size >= RAM_1G)
		err = co_host_pages_alloc_contig(ram->npages,
						 RAM_1G / RAM_PAGE, &first);
	if (err)
		err = co_host_pages_alloc_contig(ram->npages,
						 RAM_2M / RAM_PAGE, &first);
	if (err)
		return err;
	ram->base = first << CO_PAGE_SHIFT;
	for (i = 0; i < ram->npages; i++)
		ram->pfn[i] = first + i;
	return 0;
}

int co_ram_init(struct co_ram *ram, uint64_t size, bool contiguous)
{
	int err;

	co_memset(ram, 0, sizeof(*ram));
	if (!size || !CO_IS_ALIGNED(size, RAM_2M) || size > RAM_MAX)
		return -CO_EINVAL;
	ram->size = size;
	ram->npages = size / RAM_PAGE;
	ram->contiguous = contiguous;
	ram->pfn = co_host_alloc(ram->npages * sizeof(uint64_t));
	if (!ram->pfn)
		return -CO_ENOMEM;
	if (contiguous)
		err = ram_alloc_contig(ram);
	else
		err = co_host_pages_alloc(ram->npages, ram->pfn);
	if (err) {
		co_host_free(ram->pfn);
		co_memset(ram, 0, sizeof(*ram));
		return err;
	}
	return 0;
}

void co_ram_free(struct co_ram *ram)
{
	if (!ram->pfn)
		return;
	if (ram->contiguous)
		co_host_pages_free_contig(ram->pfn[0], ram->npages);
	else
		co_host_pages_free(ram->npages, ram->pfn);
	co_host_free(ram->pfn);
	co_memset(ram, 0, sizeof(*ram));
}

bool co_ram_contains(const struct co_ram *ram, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (gpa < ram->base)
		return false;
	off = gpa - ram->base;
	/* Written so that neither side can wrap. */
	return off <= ram->size && len <= ram->size - off;
}

int co_ram_gpa_to_hpa(const struct co_ram *ram, uint64_t gpa, uint64_t *hpa)
{
	uint64_t off;

	if (!co_ram_contains(ram, gpa, 1))
		return -CO_EFAULT;
	off = gpa - ram->base;
	*hpa = (ram->pfn[off >> CO_PAGE_SHIFT] << CO_PAGE_SHIFT) |
	       (off & (RAM_PAGE - 1));
	return 0;
}

void *co_ram_map(const struct co_ram *ram, uint64_t gpa, size_t len,
		 size_t *avail)
{
	uint64_t off, in_page;
	uint8_t *page;

	*avail = 0;
	if (!co_ram_contains(ram, gpa, 1))
		return NULL;
	off = gpa - ram->base;
	in_page = off & (RAM_PAGE - 1);
	page = co_host_map(ram->pfn[off >> CO_PAGE_SHIFT]);
	if (!page)
		return NULL;
	*avail = CO_MIN((uint64_t)len, RAM_PAGE - in_page);
	return page + in_page;
}

void co_ram_unmap(const struct co_ram *ram, void *p, uint64_t gpa)
{
	uint64_t off;

	if (!p || !co_ram_contains(ram, gpa, 1))
		return;
	off = gpa - ram->base;
	co_host_unmap((uint8_t *)p - (off & (RAM_PAGE - 1)),
		      ram->pfn[off >> CO_PAGE_SHIFT]);
}

/* Visit [gpa, gpa + len) page by page; the range is already checked. */
enum ram_op { RAM_READ, RAM_WRITE, RAM_FILL };

static int ram_access(const struct co_ram *ram, uint64_t gpa, void *buf,
		      int byte, size_t len, enum ram_op op)
{
	uint8_t *b = buf;
	size_t n;
	void *p;

	if (!co_ram_contains(ram, gpa, len))
		return -CO_EFAULT;
	while (len) {
		p = co_ram_map(ram, gpa, len, &n);
		if (!p)
			return -CO_EFAULT;
		if (op == RAM_READ)
			co_memcpy(b, p, n);
		else if (op == RAM_WRITE)
			co_memcpy(p, b, n);
		else
			co_memset(p, byte, n);
		co_ram_unmap(ram, p, gpa);
		if (b)
			b += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int co_ram_read(const struct co_ram *ram, uint64_t gpa, void *dst, size_t len)
{
	return ram_access(ram, gpa, dst, 0, len, RAM_READ);
}

int co_ram_write(const struct co_ram *ram, uint64_t gpa, const void *src,
		 size_t len)
{
	return ram_access(ram, gpa, (void *)src, 0, len, RAM_WRITE);
}

int co_ram_fill(const struct co_ram *ram, uint64_t gpa, int byte, size_t len)
{
	return ram_access(ram, gpa, NULL, byte, len, RAM_FILL);
}

void co_ram_clear(struct co_ram *ram)
{
	if (ram->pfn)
		co_host_pages_zero(ram->npages, ram->pfn);
}
