// SPDX-License-Identifier: GPL-2.0
/*
 * Files: plain descriptors. Every operation first asks fault injection;
 * reads and writes return what the syscall returned (retrying only
 * EINTR), so partial transfers reach the monitor as they are. A view is
 * an mmap of the whole file, unmapped when the file closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct co_host_file {
	int fd;
	void *view;		/* co_host_file_view's mapping, or NULL */
	size_t view_len;
};

int co_sim_errno(int e)
{
	switch (e) {
	case 0:
		return -CO_EIO;
	case ENOENT:
	case ENOTDIR:
		return -CO_ENOENT;
	case ENOMEM:
	case ENOBUFS:
		return -CO_ENOMEM;
	case EACCES:
	case EPERM:
	case EROFS:
	case EBADF:		/* reading a write-only file and the like */
		return -CO_EACCES;
	case EINVAL:
	case EISDIR:
	case ENAMETOOLONG:
		return -CO_EINVAL;
	case EFBIG:
	case EOVERFLOW:
		return -CO_ERANGE;
	case EOPNOTSUPP:
	case ENOSYS:
		return -CO_ENOTSUP;
	case EBUSY:
	case ETXTBSY:
	case EAGAIN:
		return -CO_EBUSY;
	case EFAULT:
		return -CO_EFAULT;
	default:
		return -CO_EIO;
	}
}

static int open_flags(unsigned int flags)
{
	int o = O_CLOEXEC;

	switch (flags & (CO_FILE_READ | CO_FILE_WRITE)) {
	case CO_FILE_READ:
		o |= O_RDONLY;
		break;
	case CO_FILE_WRITE:
		o |= O_WRONLY;
		break;
	case CO_FILE_READ | CO_FILE_WRITE:
		o |= O_RDWR;
		break;
	default:
		return -1;
	}
	if (flags & CO_FILE_CREATE)
		o |= O_CREAT;
	if (flags & CO_FILE_TRUNC)
		o |= O_TRUNC;
	return o;
}

int co_host_file_open(const char *path, unsigned int flags,
		      struct co_host_file **out)
{
	struct co_host_file *f;
	int o, fd, err;

	o = open_flags(flags);
	if (!path || !out || o < 0 ||
	    (flags & ~(CO_FILE_READ | CO_FILE_WRITE | CO_FILE_CREATE |
		       CO_FILE_TRUNC)))
		return -CO_EINVAL;
	err = co_sim_fault_check(CO_SIM_FAULT_FILE_OPEN);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -CO_ENOMEM;
	do {
		fd = open(path, o, 0644);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		err = co_sim_errno(errno);
		free(f);
		return err;
	}
	f->fd = fd;
	co_sim_count(CO_SIM_OBJ_FILES, 1);
	*out = f;
	return 0;
}

long co_host_file_pread(struct co_host_file *f, void *buf, size_t len,
			uint64_t off)
{
	ssize_t n;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_READ);
	if (err)
		return err;
	if (off > INT64_MAX)
		return -CO_ERANGE;
	len = co_sim_fault_clamp(CO_SIM_FAULT_FILE_READ, len);
	do {
		n = pread(f->fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? co_sim_errno(errno) : (long)n;
}

long co_host_file_pwrite(struct co_host_file *f, const void *buf, size_t len,
			 uint64_t off)
{
	ssize_t n;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_WRITE);
	if (err)
		return err;
	if (off > INT64_MAX)
		return -CO_ERANGE;
	len = co_sim_fault_clamp(CO_SIM_FAULT_FILE_WRITE, len);
	do {
		n = pwrite(f->fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? co_sim_errno(errno) : (long)n;
}

int co_host_file_sync(struct co_host_file *f)
{
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_SYNC);
	if (err)
		return err;
	return fdatasync(f->fd) ? co_sim_errno(errno) : 0;
}

int co_host_file_size(struct co_host_file *f, uint64_t *size)
{
	struct stat st;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_SIZE);
	if (err)
		return err;
	if (fstat(f->fd, &st))
		return co_sim_errno(errno);
	*size = (uint64_t)st.st_size;
	return 0;
}

int co_host_file_discard(struct co_host_file *f, uint64_t off, uint64_t len)
{
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_DISCARD);
	if (err)
		return err;
	if (!len)
		return 0;
	if (off > INT64_MAX || len > INT64_MAX - off)
		return -CO_ERANGE;
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len))
		return co_sim_errno(errno);
	return 0;
}

/* A private read-only mapping: the file is the page cache's, not ours. */
int co_host_file_view(struct co_host_file *f, const void **data,
		      uint64_t *size)
{
	struct stat st;
	void *p;
	int err;

	err = co_sim_fault_check(CO_SIM_FAULT_FILE_VIEW);
	if (err)
		return err;
	if (!f->view) {
		if (fstat(f->fd, &st))
			return co_sim_errno(errno);
		if (!S_ISREG(st.st_mode))
			return -CO_ENOTSUP;
		if (!st.st_size)
			return -CO_EINVAL;
		if ((uint64_t)st.st_size > SIZE_MAX)
			return -CO_ERANGE;
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			 f->fd, 0);
		if (p == MAP_FAILED)
			return errno == ENODEV ? -CO_ENOTSUP : co_sim_errno(errno);
		f->view = p;
		f->view_len = (size_t)st.st_size;
	}
	*data = f->view;
	*size = f->view_len;
	return 0;
}

void co_host_file_close(struct co_host_file *f)
{
	if (!f)
		return;
	if (f->view)
		munmap(f->view, f->view_len);
	close(f->fd);
	co_sim_count(CO_SIM_OBJ_FILES, -1);
	free(f);
}
