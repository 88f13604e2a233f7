// SPDX-License-Identifier: GPL-2.0
/*
 * Files for cobd images and pcap captures: Zw* calls on kernel handles.
 * Paths are UTF-8 NT paths ("\??\C:\images\root.img"); colinux-daemon.exe
 * makes them absolute. Opens are access-checked against the calling
 * thread's token (OBJ_FORCE_ACCESS_CHECK): a user cannot reach through the
 * driver a file they could not open themselves.
 */
#include <ntifs.h>
#include "nt_host.h"

#define PATH_CHARS	1024
#define IO_MAX		0x40000000u	/* per Zw call; results fit a long */

struct co_host_file {
	HANDLE h;
};

int co_nt_err(NTSTATUS st)
{
	switch (st) {
	case STATUS_OBJECT_NAME_NOT_FOUND:
	case STATUS_OBJECT_PATH_NOT_FOUND:
	case STATUS_NO_SUCH_FILE:
	case STATUS_NO_SUCH_DEVICE:
		return -CO_ENOENT;
	case STATUS_ACCESS_DENIED:
	case STATUS_MEDIA_WRITE_PROTECTED:
		return -CO_EACCES;
	case STATUS_SHARING_VIOLATION:
		return -CO_EBUSY;
	case STATUS_INSUFFICIENT_RESOURCES:
	case STATUS_NO_MEMORY:
		return -CO_ENOMEM;
	case STATUS_INVALID_PARAMETER:
	case STATUS_OBJECT_NAME_INVALID:
	case STATUS_OBJECT_PATH_SYNTAX_BAD:
		return -CO_EINVAL;
	case STATUS_NOT_SUPPORTED:
	case STATUS_INVALID_DEVICE_REQUEST:
		return -CO_ENOTSUP;
	case STATUS_DISK_FULL:
		return -CO_ERANGE;
	}
	return -CO_EIO;
}

static int co_nt_err_ok(NTSTATUS st)
{
	return NT_SUCCESS(st) ? 0 : co_nt_err(st);
}

static ULONG disposition(unsigned int flags)
{
	if (flags & CO_FILE_CREATE)
		return flags & CO_FILE_TRUNC ? FILE_OVERWRITE_IF : FILE_OPEN_IF;
	return flags & CO_FILE_TRUNC ? FILE_OVERWRITE : FILE_OPEN;
}

int co_host_file_open(const char *path, unsigned int flags,
		      struct co_host_file **out)
{
	ACCESS_MASK access = SYNCHRONIZE | FILE_READ_ATTRIBUTES;
	ULONG share = FILE_SHARE_READ, wbytes = 0;
	struct co_host_file *f;
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK iosb;
	UNICODE_STRING name;
	wchar_t *wpath;
	size_t len;
	NTSTATUS st;
	int err;

	*out = NULL;
	if (!(flags & (CO_FILE_READ | CO_FILE_WRITE)))
		return -CO_EINVAL;
	for (len = 0; len < PATH_CHARS && path[len]; len++)
		;
	if (!len || len == PATH_CHARS)
		return -CO_EINVAL;
	wpath = co_host_alloc(PATH_CHARS * sizeof(wchar_t));
	f = co_host_zalloc(sizeof(*f));
	err = -CO_ENOMEM;
	if (!wpath || !f)
		goto out;
	st = RtlUTF8ToUnicodeN(wpath, PATH_CHARS * sizeof(wchar_t), &wbytes,
			       path, (ULONG)len);
	err = -CO_EINVAL;
	if (!NT_SUCCESS(st) || st == STATUS_SOME_NOT_MAPPED)
		goto out;
	name.Buffer = wpath;
	name.Length = name.MaximumLength = (USHORT)wbytes;
	if (flags & CO_FILE_READ)
		access |= FILE_READ_DATA;
	if (flags & CO_FILE_WRITE)
		access |= FILE_WRITE_DATA;
	else
		share |= FILE_SHARE_WRITE;
	InitializeObjectAttributes(&oa, &name,
				   OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE |
				   OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
	st = ZwCreateFile(&f->h, access, &oa, &iosb, NULL,
			  FILE_ATTRIBUTE_NORMAL, share, disposition(flags),
			  FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
			  NULL, 0);
	err = co_nt_err(st);
	if (NT_SUCCESS(st)) {
		*out = f;
		f = NULL;
		err = 0;
	}
out:
	co_host_free(f);
	co_host_free(wpath);
	return err;
}

long co_host_file_pread(struct co_host_file *f, void *buf, size_t len,
			uint64_t off)
{
	IO_STATUS_BLOCK iosb;
	LARGE_INTEGER where;
	NTSTATUS st;

	if (off > (uint64_t)INT64_MAX)
		return -CO_EINVAL;
	if (len > IO_MAX)
		len = IO_MAX;
	where.QuadPart = (LONGLONG)off;
	st = ZwReadFile(f->h, NULL, NULL, NULL, &iosb, buf, (ULONG)len,
			&where, NULL);
	if (st == STATUS_END_OF_FILE)
		return 0;
	if (!NT_SUCCESS(st))
		return co_nt_err(st);
	return (long)iosb.Information;
}

long co_host_file_pwrite(struct co_host_file *f, const void *buf, size_t len,
			 uint64_t off)
{
	IO_STATUS_BLOCK iosb;
	LARGE_INTEGER where;
	NTSTATUS st;

	if (off > (uint64_t)INT64_MAX)
		return -CO_EINVAL;
	if (len > IO_MAX)
		len = IO_MAX;
	where.QuadPart = (LONGLONG)off;
	st = ZwWriteFile(f->h, NULL, NULL, NULL, &iosb, (void *)buf,
			 (ULONG)len, &where, NULL);
	if (!NT_SUCCESS(st))
		return co_nt_err(st);
	return (long)iosb.Information;
}

int co_host_file_sync(struct co_host_file *f)
{
	IO_STATUS_BLOCK iosb;

	return co_nt_err_ok(ZwFlushBuffersFile(f->h, &iosb));
}

int co_host_file_size(struct co_host_file *f, uint64_t *size)
{
	FILE_STANDARD_INFORMATION info;
	IO_STATUS_BLOCK iosb;
	NTSTATUS st;

	st = ZwQueryInformationFile(f->h, &iosb, &info, sizeof(info),
				    FileStandardInformation);
	if (!NT_SUCCESS(st))
		return co_nt_err(st);
	*size = (uint64_t)info.EndOfFile.QuadPart;
	return 0;
}

/* FSCTL_SET_ZERO_DATA: zeros on read, space released on sparse files. */
int co_host_file_discard(struct co_host_file *f, uint64_t off, uint64_t len)
{
	FILE_ZERO_DATA_INFORMATION z;
	IO_STATUS_BLOCK iosb;

	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return -CO_EINVAL;
	z.FileOffset.QuadPart = (LONGLONG)off;
	z.BeyondFinalZero.QuadPart = (LONGLONG)(off + len);
	return co_nt_err_ok(ZwFsControlFile(f->h, NULL, NULL, NULL, &iosb,
					    FSCTL_SET_ZERO_DATA, &z,
					    sizeof(z), NULL, 0));
}

/*
 * A section view would need its own lifetime rules in the driver: the
 * loader reads the file instead (the daemon hands images over by IOCTL
 * anyway).
 */
int co_host_file_view(struct co_host_file *f, const void **data,
		      uint64_t *size)
{
	return -CO_ENOTSUP;
}

void co_host_file_close(struct co_host_file *f)
{
	if (!f)
		return;
	ZwClose(f->h);
	co_host_free(f);
}
