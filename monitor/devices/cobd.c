// SPDX-License-Identifier: GPL-2.0
/*
 * cobd: a block device backed by an image file on the host, one request
 * queue per unit. Requests are served synchronously when the guest rings
 * the doorbell; data moves between the file and guest pages directly
 * (co_request_for_each), without a bounce buffer.
 *
 * Everything in a request is guest-controlled: sectors and counts are
 * checked against the image size without overflow, and a read-only unit
 * never opens its file for writing.
 */
#include <colinux/lib.h>
#include "internal/device.h"
#include "internal/vm.h"

#define SECTOR		CO_COBD_SECTOR_SIZE

struct co_cobd {
	struct co_device dev;
	struct co_host_file *file;
	uint64_t sectors;
	bool readonly;
	/* The request being served; ~4 KiB, so not on the stack. */
	struct co_request req;
};

static struct co_cobd *to_cobd(struct co_device *dev)
{
	return dev->priv;
}

/* [sector, sector + count) inside the image? Overflow-safe. */
static bool in_image(const struct co_cobd *c, uint64_t sector, uint64_t count)
{
	return sector <= c->sectors && count <= c->sectors - sector;
}

struct io_ctx {
	struct co_cobd *c;
	uint64_t pos;		/* file offset of the buffer's first byte */
	bool write;
};

/* One page-bounded piece of guest buffer; loop over short transfers. */
static int io_chunk(void *ctx, void *host, size_t len, uint64_t off)
{
	struct io_ctx *io = ctx;
	uint8_t *p = host;
	size_t done = 0;

	while (done < len) {
		uint64_t pos = io->pos + off + done;
		long n;

		if (io->write)
			n = co_host_file_pwrite(io->c->file, p + done,
						len - done, pos);
		else
			n = co_host_file_pread(io->c->file, p + done,
					       len - done, pos);
		if (n < 0)
			return (int)n;
		if (n == 0 || (size_t)n > len - done)
			return -CO_EIO;
		done += n;
	}
	return 0;
}

static int32_t do_rw(struct co_cobd *c, struct co_queue *q,
		     const struct co_request *r, bool write, uint32_t *len)
{
	struct io_ctx io = { .c = c, .pos = r->arg * SECTOR, .write = write };
	int err;

	if (write && c->readonly)
		return CO_ST_RDONLY;
	if (!r->total || r->total % SECTOR)
		return CO_ST_INVAL;
	if (!in_image(c, r->arg, r->total / SECTOR))
		return CO_ST_RANGE;
	err = co_request_for_each(q, r, io_chunk, &io);
	if (err) {
		co_warn("cobd%u: %s of %llu bytes at sector %llu failed: %s",
			c->dev.info.unit, write ? "write" : "read",
			(unsigned long long)r->total,
			(unsigned long long)r->arg, co_strerror(err));
		return CO_ST_IOERR;
	}
	*len = (uint32_t)r->total;
	return CO_ST_OK;
}

static int32_t do_flush(struct co_cobd *c, const struct co_request *r)
{
	int err;

	if (r->nseg)
		return CO_ST_INVAL;
	/* Nothing of ours can be dirty in a file we never write. */
	if (c->readonly)
		return CO_ST_OK;
	err = co_host_file_sync(c->file);
	if (err) {
		co_warn("cobd%u: flush failed: %s", c->dev.info.unit,
			co_strerror(err));
		return CO_ST_IOERR;
	}
	return CO_ST_OK;
}

static int32_t do_discard(struct co_cobd *c, const struct co_request *r)
{
	int err;

	if (c->readonly)
		return CO_ST_RDONLY;
	if (r->nseg || !r->arg2)
		return CO_ST_INVAL;
	if (!in_image(c, r->arg, r->arg2))
		return CO_ST_RANGE;
	err = co_host_file_discard(c->file, r->arg * SECTOR, r->arg2 * SECTOR);
	if (err == -CO_ENOTSUP)
		return CO_ST_NOTSUP;
	if (err)
		return CO_ST_IOERR;
	return CO_ST_OK;
}

static int32_t do_info(struct co_cobd *c, struct co_queue *q,
		       const struct co_request *r, uint32_t *len)
{
	struct co_cobd_info info = {
		.sectors = c->sectors,
		.sector_size = SECTOR,
		.flags = c->dev.info.flags,
	};

	if (r->total < sizeof(info))
		return CO_ST_INVAL;
	if (co_request_write(q, r, 0, &info, sizeof(info)))
		return CO_ST_FAULT;
	*len = sizeof(info);
	return CO_ST_OK;
}

static int32_t cobd_serve(struct co_cobd *c, struct co_queue *q,
			  const struct co_request *r, uint32_t *len)
{
	*len = 0;
	switch (r->op) {
	case CO_COBD_READ:
		return do_rw(c, q, r, false, len);
	case CO_COBD_WRITE:
		return do_rw(c, q, r, true, len);
	case CO_COBD_FLUSH:
		return do_flush(c, r);
	case CO_COBD_DISCARD:
		return do_discard(c, r);
	case CO_COBD_INFO:
		return do_info(c, q, r, len);
	default:
		return CO_ST_NOTSUP;
	}
}

/*
 * At most one ring's worth of requests per doorbell, so a guest that keeps
 * refilling (from another CPU) cannot hold the VM thread here forever.
 */
static int cobd_process(struct co_device *dev, struct co_queue *q)
{
	struct co_cobd *c = to_cobd(dev);
	uint32_t n, len;
	int32_t status;
	int ret;

	for (n = 0; n < q->size; n++) {
		ret = co_queue_pop(q, &c->req);
		if (ret <= 0)
			return ret;
		status = cobd_serve(c, q, &c->req, &len);
		ret = co_queue_complete(q, c->req.id, status, len);
		if (ret)
			return ret;
	}
	return 0;
}

static void cobd_reset(struct co_device *dev)
{
	co_queue_reset(&dev->queue[0]);
}

static void cobd_free(struct co_cobd *c)
{
	if (c->file)
		co_host_file_close(c->file);
	co_host_free(c);
}

static void cobd_destroy(struct co_device *dev)
{
	cobd_free(to_cobd(dev));
}

static const struct co_device_ops cobd_ops = {
	.name		= "cobd",
	.process	= cobd_process,
	.reset		= cobd_reset,
	.destroy	= cobd_destroy,
};

static int open_image(struct co_cobd *c, unsigned int unit,
		      const struct co_cobd_config *cfg)
{
	unsigned int flags = CO_FILE_READ;
	uint64_t size = 0;
	int err;

	if (!cfg->readonly)
		flags |= CO_FILE_WRITE;
	err = co_host_file_open(cfg->path, flags, &c->file);
	if (err) {
		c->file = NULL;
		co_err("cobd%u: cannot open %s%s: %s", unit, cfg->path,
		       cfg->readonly ? " read-only" : "", co_strerror(err));
		return err;
	}
	err = co_host_file_size(c->file, &size);
	if (err) {
		co_err("cobd%u: cannot get the size of %s: %s", unit,
		       cfg->path, co_strerror(err));
		return err;
	}
	if (!size || size % SECTOR) {
		co_err("cobd%u: %s: size %llu bytes is not a non-zero multiple of %u",
		       unit, cfg->path, (unsigned long long)size, SECTOR);
		return -CO_EINVAL;
	}
	c->sectors = size / SECTOR;
	return 0;
}

int co_cobd_create(struct co_vm *vm, unsigned int unit,
		   const struct co_cobd_config *cfg, struct co_device **out)
{
	struct co_cobd *c;
	int err;

	*out = NULL;
	if (unit >= CO_COBD_UNITS || !cfg || !cfg->path)
		return -CO_EINVAL;
	c = co_host_zalloc(sizeof(*c));
	if (!c) {
		co_err("cobd%u: out of memory", unit);
		return -CO_ENOMEM;
	}
	c->readonly = cfg->readonly;
	err = open_image(c, unit, cfg);
	if (err)
		goto fail;

	co_device_init(&c->dev, vm, &cobd_ops, CO_DEV_COBD, unit,
		       CO_IRQ_COBD(unit), CO_QUEUE_COBD(unit), 1);
	c->dev.priv = c;
	c->dev.info.flags = c->readonly ? CO_COBD_F_READONLY : CO_COBD_F_DISCARD;
	c->dev.info.cobd.sectors = c->sectors;
	*out = &c->dev;
	return 0;
fail:
	cobd_free(c);
	return err;
}
