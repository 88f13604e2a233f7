// SPDX-License-Identifier: GPL-2.0
/*
 * The contract's files on a machine without a file system. A path names
 * either a multiboot module (the guest kernel, an initrd: read-only, and
 * the loader takes them in place through co_host_file_view; a RAM disk),
 * or an IDE drive that qemu-rig/run attached for it and announced on the
 * command line:
 *
 *   host.disk=N:raw:PATH    drive N (0-3) is the file itself (a cobd
 *                           image: QEMU writes to PATH directly)
 *   host.disk=N:file:PATH   drive N holds a file with a length: sector 0
 *                           is a header ("COFILE01", length), the bytes
 *                           follow; the runner copies it out after exit
 *                           (pcap captures, anything created)
 *   host.ramdisk=PATH       the module PATH is a cobd image served from
 *                           RAM (cobdN=PATH,ram): writable in place, at
 *                           memory speed, so that a benchmark measures the
 *                           protocol and not ATA PIO. Writes are not
 *                           written back: PATH is as it was after exit.
 */
#include <colinux/abi/types.h>

#include "bare.h"
#include <colinux/lib.h>

#define COFILE_MAGIC	0x3130454c49464f43ULL	/* "COFILE01" */
#define BOUNCE_SECTORS	128
#define MAX_DISKS	4

enum kind { K_MODULE, K_RAW, K_FILE };

struct disk_map {
	bool used;
	bool is_file;
	unsigned int drive;
	char path[512];
};

struct co_host_file {
	enum kind kind;
	unsigned int drive;
	bool writable;
	uint8_t *data;			/* module (written only if a RAM disk) */
	uint64_t size;			/* bytes */
	uint64_t capacity;		/* bytes (K_FILE: after the header) */
	bool header_dirty;
};

struct cofile_header {
	uint64_t magic;
	uint64_t length;
	uint8_t pad[ATA_SECTOR - 16];
};

static struct disk_map disks[MAX_DISKS];
static bool ramdisk[BARE_MAX_MODULES];	/* by module index */
static uint8_t bounce[BOUNCE_SECTORS * ATA_SECTOR] __attribute__((aligned(16)));
static unsigned int open_files;

int file_add_disk(const char *spec)
{
	struct disk_map *d;
	unsigned int n;
	size_t len;

	if (spec[0] < '0' || spec[0] > '3' || spec[1] != ':')
		return -CO_EINVAL;
	n = (unsigned int)(spec[0] - '0');
	d = &disks[n];
	spec += 2;
	if (!co_strncmp(spec, "raw:", 4)) {
		d->is_file = false;
	} else if (!co_strncmp(spec, "file:", 5)) {
		d->is_file = true;
		spec++;
	} else {
		return -CO_EINVAL;
	}
	spec += 4;
	len = co_strlcpy(d->path, spec, sizeof(d->path));
	if (!len || len >= sizeof(d->path))
		return -CO_EINVAL;
	d->drive = n;
	d->used = true;
	return 0;
}

int file_add_ramdisk(const char *path)
{
	const struct bare_module *m;
	unsigned int i;

	for (i = 0; i < bare_nr_modules; i++) {
		m = &bare_modules[i];
		if (co_strcmp(m->name, path))
			continue;
		ramdisk[i] = true;
		bare_printf("colinux-bare: RAM disk %s: %llu KiB in module memory, writes are not written back\n",
			    path, (unsigned long long)((m->end - m->start) >> 10));
		return 0;
	}
	return -CO_ENOENT;
}

/* A module: read-only, unless it is a RAM disk (never truncated). */
static int open_module(unsigned int i, unsigned int flags,
		       struct co_host_file *f)
{
	f->kind = K_MODULE;
	f->data = phys_to_virt(bare_modules[i].start);
	f->size = f->capacity = bare_modules[i].end - bare_modules[i].start;
	if (flags & CO_FILE_TRUNC)
		return ramdisk[i] ? -CO_ENOTSUP : -CO_EACCES;
	if ((flags & CO_FILE_WRITE) && !ramdisk[i])
		return -CO_EACCES;
	f->writable = flags & CO_FILE_WRITE;
	return 0;
}

static int header_rw(struct co_host_file *f, bool write)
{
	struct cofile_header *h = (void *)bounce;
	int err;

	if (write) {
		co_memset(h, 0, sizeof(*h));
		h->magic = COFILE_MAGIC;
		h->length = f->size;
		return ata_write(f->drive, 0, 1, h);
	}
	err = ata_read(f->drive, 0, 1, h);
	if (err)
		return err;
	if (h->magic != COFILE_MAGIC || h->length > f->capacity)
		return -CO_EINVAL;
	f->size = h->length;
	return 0;
}

static int open_disk(const struct disk_map *d, unsigned int flags,
		     struct co_host_file *f)
{
	uint64_t sectors = ata_sectors(d->drive);
	int err;

	if (!sectors)
		return -CO_ENOENT;
	f->drive = d->drive;
	f->writable = flags & CO_FILE_WRITE;
	if (!d->is_file) {
		f->kind = K_RAW;
		f->size = f->capacity = sectors * ATA_SECTOR;
		return (flags & CO_FILE_TRUNC) ? -CO_ENOTSUP : 0;
	}
	f->kind = K_FILE;
	f->capacity = (sectors - 1) * ATA_SECTOR;
	if (flags & CO_FILE_TRUNC) {
		f->size = 0;
		return header_rw(f, true);
	}
	err = header_rw(f, false);
	if (err == -CO_EINVAL && (flags & CO_FILE_CREATE)) {
		f->size = 0;
		return header_rw(f, true);
	}
	return err;
}

int co_host_file_open(const char *path, unsigned int flags,
		      struct co_host_file **out)
{
	struct co_host_file *f;
	unsigned int i;
	int err = -CO_ENOENT;

	f = co_host_zalloc(sizeof(*f));
	if (!f)
		return -CO_ENOMEM;
	for (i = 0; i < bare_nr_modules; i++) {
		if (!co_strcmp(bare_modules[i].name, path)) {
			err = open_module(i, flags, f);
			goto done;
		}
	}
	for (i = 0; i < MAX_DISKS; i++) {
		if (disks[i].used && !co_strcmp(disks[i].path, path)) {
			err = open_disk(&disks[i], flags, f);
			goto done;
		}
	}
done:
	if (err) {
		co_host_free(f);
		return err;
	}
	open_files++;
	*out = f;
	return 0;
}

/* Sector @lba of the data (past the header for K_FILE). */
static uint64_t data_lba(const struct co_host_file *f, uint64_t lba)
{
	return f->kind == K_FILE ? lba + 1 : lba;
}

static int disk_rw(struct co_host_file *f, uint8_t *buf, size_t len,
		   uint64_t off, bool write)
{
	while (len) {
		uint64_t lba = off / ATA_SECTOR;
		size_t skip = off % ATA_SECTOR;
		unsigned int count = (unsigned int)MIN(
			ALIGN_UP(skip + len, ATA_SECTOR) / ATA_SECTOR,
			(uint64_t)BOUNCE_SECTORS);
		size_t chunk = MIN(len, (size_t)count * ATA_SECTOR - skip);
		int err;

		/* Partial sectors: read, modify, write. */
		if (!write || skip || (chunk % ATA_SECTOR)) {
			err = ata_read(f->drive, data_lba(f, lba), count, bounce);
			if (err)
				return err;
		}
		if (write) {
			co_memcpy(bounce + skip, buf, chunk);
			err = ata_write(f->drive, data_lba(f, lba), count, bounce);
			if (err)
				return err;
		} else {
			co_memcpy(buf, bounce + skip, chunk);
		}
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

long co_host_file_pread(struct co_host_file *f, void *buf, size_t len,
			uint64_t off)
{
	int err;

	if (off >= f->size)
		return 0;
	len = (size_t)MIN((uint64_t)len, f->size - off);
	if (f->kind == K_MODULE) {
		co_memcpy(buf, f->data + off, len);
		return (long)len;
	}
	err = disk_rw(f, buf, len, off, false);
	return err ? err : (long)len;
}

long co_host_file_pwrite(struct co_host_file *f, const void *buf, size_t len,
			 uint64_t off)
{
	int err;

	if (!f->writable)
		return -CO_EACCES;
	if (off > f->capacity || len > f->capacity - off)
		return -CO_EIO;		/* the drive is full */
	if (f->kind == K_MODULE) {
		co_memcpy(f->data + off, buf, len);
		return (long)len;
	}
	err = disk_rw(f, (uint8_t *)buf, len, off, true);
	if (err)
		return err;
	if (f->kind == K_FILE && off + len > f->size) {
		f->size = off + len;
		f->header_dirty = true;
	}
	return (long)len;
}

int co_host_file_sync(struct co_host_file *f)
{
	int err;

	if (f->kind == K_MODULE || !f->writable)
		return 0;
	if (f->header_dirty) {
		err = header_rw(f, true);
		if (err)
			return err;
		f->header_dirty = false;
	}
	return ata_flush(f->drive);
}

int co_host_file_size(struct co_host_file *f, uint64_t *size)
{
	*size = f->size;
	return 0;
}

int co_host_file_discard(struct co_host_file *f, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[4096];

	if (!f->writable)
		return -CO_EACCES;
	if (off > f->size || len > f->size - off)
		return -CO_EINVAL;
	if (f->kind == K_MODULE) {
		co_memset(f->data + off, 0, len);
		return 0;
	}
	/* No TRIM here: zeros read back as zeros. */
	while (len) {
		size_t chunk = (size_t)MIN(len, (uint64_t)sizeof(zeros));
		long n = co_host_file_pwrite(f, zeros, chunk, off);

		if (n < 0)
			return (int)n;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* A module is in RAM already; a disk is behind ATA PIO. */
int co_host_file_view(struct co_host_file *f, const void **data,
		      uint64_t *size)
{
	if (f->kind != K_MODULE)
		return -CO_ENOTSUP;
	if (!f->size)
		return -CO_EINVAL;
	*data = f->data;
	*size = f->size;
	return 0;
}

void co_host_file_close(struct co_host_file *f)
{
	if (!f)
		return;
	co_host_file_sync(f);
	open_files--;
	co_host_free(f);
}

void file_report(void)
{
	if (open_files)
		bare_printf("colinux-bare: %u files still open\n", open_files);
}
