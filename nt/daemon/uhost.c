// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of the host contract that the shared parser and loader checks
 * (monitor/config.c, elf.c, lib.c) need in colinux-daemon.exe: heap, file
 * reading for @FILE, logging to standard error. UTF-8 paths.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <colinux/host.h>
#include "daemon.h"

struct co_host_file {
	HANDLE h;
};

void *co_host_alloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *co_host_zalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void co_host_free(void *p)
{
	free(p);
}

wchar_t *co_daemon_wide(const char *utf8)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1,
				    NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return NULL;
	w = malloc(n * sizeof(*w));
	if (w && !MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1,
				      w, n)) {
		free(w);
		w = NULL;
	}
	return w;
}

static int win_err(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return -CO_ENOENT;
	case ERROR_ACCESS_DENIED:
		return -CO_EACCES;
	case ERROR_SHARING_VIOLATION:
		return -CO_EBUSY;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -CO_ENOMEM;
	}
	return -CO_EIO;
}

int co_host_file_open(const char *path, unsigned int flags,
		      struct co_host_file **out)
{
	struct co_host_file *f;
	wchar_t *w;
	int err = -CO_EINVAL;

	*out = NULL;
	/* The daemon only reads (@FILE); images are opened by the driver. */
	if (flags != CO_FILE_READ)
		return -CO_ENOTSUP;
	w = co_daemon_wide(path);
	f = malloc(sizeof(*f));
	if (!w || !f)
		goto out;
	f->h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL,
			   OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f->h == INVALID_HANDLE_VALUE) {
		err = win_err(GetLastError());
		goto out;
	}
	*out = f;
	f = NULL;
	err = 0;
out:
	free(f);
	free(w);
	return err;
}

long co_host_file_pread(struct co_host_file *f, void *buf, size_t len,
			uint64_t off)
{
	OVERLAPPED ov = { 0 };
	DWORD got = 0;

	if (len > 0x40000000)
		len = 0x40000000;
	ov.Offset = (DWORD)off;
	ov.OffsetHigh = (DWORD)(off >> 32);
	if (!ReadFile(f->h, buf, (DWORD)len, &got, &ov)) {
		if (GetLastError() == ERROR_HANDLE_EOF)
			return 0;
		return win_err(GetLastError());
	}
	return (long)got;
}

long co_host_file_pwrite(struct co_host_file *f, const void *buf, size_t len,
			 uint64_t off)
{
	return -CO_ENOTSUP;
}

int co_host_file_size(struct co_host_file *f, uint64_t *size)
{
	LARGE_INTEGER sz;

	if (!GetFileSizeEx(f->h, &sz))
		return win_err(GetLastError());
	*size = (uint64_t)sz.QuadPart;
	return 0;
}

void co_host_file_close(struct co_host_file *f)
{
	if (!f)
		return;
	CloseHandle(f->h);
	free(f);
}

void co_host_log(int level, const char *line)
{
	static const char *const name[] = { "error", "warning", "info", "debug" };

	if (level > CO_LOG_INFO && !co_daemon_verbose)
		return;
	fprintf(stderr, "colinux-daemon: %s: %s\n",
		name[level >= 0 && level <= CO_LOG_DEBUG ? level : CO_LOG_DEBUG],
		line);
}

/* The whole of @path, malloc'd. */
int co_daemon_read_file(const char *path, uint8_t **data, size_t *len)
{
	struct co_host_file *f;
	uint64_t size = 0;
	size_t done = 0;
	uint8_t *buf;
	long n;
	int err;

	err = co_host_file_open(path, CO_FILE_READ, &f);
	if (err)
		return err;
	err = co_host_file_size(f, &size);
	if (!err && (size == 0 || size > (1ULL << 31)))
		err = -CO_ERANGE;
	buf = err ? NULL : malloc((size_t)size);
	if (!err && !buf)
		err = -CO_ENOMEM;
	while (!err && done < size) {
		n = co_host_file_pread(f, buf + done, (size_t)size - done, done);
		if (n < 0)
			err = (int)n;
		else if (n == 0)
			err = -CO_EIO;	/* shrank under us */
		else
			done += (size_t)n;
	}
	co_host_file_close(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*len = (size_t)size;
	return 0;
}
