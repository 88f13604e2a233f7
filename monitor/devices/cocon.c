// SPDX-License-Identifier: GPL-2.0
/*
 * cocon: the guest's console. Queue OUT carries the guest's output, which
 * feeds the screen model (cocon_screen.c) and, byte for byte, the host's
 * output function; queue IN carries empty buffers that keyboard bytes from
 * the host fill.
 *
 * Keyboard bytes wait in a bounded ring until the guest has posted a
 * buffer; they are delivered as soon as both exist (on input, on the
 * guest's doorbell and on every poll). A buffer gets as many bytes as are
 * waiting and fit, and completes with that count. IN requests are only
 * taken from the ring when there is something to put in them, so the
 * device never holds a guest request across switches.
 */
#include <colinux/lib.h>
#include "internal/vm.h"
#include "cocon_screen.h"

#define COCON_IN_SIZE	4096	/* keyboard bytes waiting for the guest */
#define COCON_CHUNK	512	/* output bytes copied out per step */

struct co_cocon {
	struct co_device dev;
	struct co_screen screen;
	co_cocon_out_fn *out_fn;
	void *out_ctx;
	uint8_t in[COCON_IN_SIZE];
	unsigned int in_head;		/* oldest waiting byte */
	unsigned int in_len;
	struct co_request req;		/* too big for the stack */
};

static const struct co_device_ops cocon_ops;

static struct co_cocon *to_cocon(struct co_device *dev)
{
	if (!dev || dev->ops != &cocon_ops)
		return NULL;
	return dev->priv;
}

static struct co_queue *out_queue(struct co_cocon *c)
{
	return &c->dev.queue[0];
}

static struct co_queue *in_queue(struct co_cocon *c)
{
	return &c->dev.queue[1];
}

/* Feed one WRITE request to the screen and the host, in bounded steps. */
static int32_t do_write(struct co_cocon *c, struct co_queue *q,
			const struct co_request *r, uint32_t *done)
{
	uint8_t chunk[COCON_CHUNK];
	uint64_t off;
	size_t n;

	for (off = 0; off < r->total; off += n) {
		n = CO_MIN(r->total - off, sizeof(chunk));
		if (co_request_read(q, r, off, chunk, n))
			break;
		co_screen_write(&c->screen, chunk, n);
		if (c->out_fn)
			c->out_fn(c->out_ctx, (const char *)chunk, n);
	}
	*done = (uint32_t)off;
	return off == r->total ? CO_ST_OK : CO_ST_FAULT;
}

static int process_out(struct co_cocon *c, struct co_queue *q)
{
	uint32_t done;
	int32_t st;
	int ret;

	while ((ret = co_queue_pop(q, &c->req)) > 0) {
		done = 0;
		if (c->req.op == CO_COCON_WRITE)
			st = do_write(c, q, &c->req, &done);
		else
			st = CO_ST_NOTSUP;
		co_queue_complete(q, c->req.id, st, done);
	}
	return ret;
}

/* Copy the @n oldest waiting bytes into a request's buffer. */
static int fill(struct co_cocon *c, struct co_queue *q,
		const struct co_request *r, uint32_t n)
{
	uint32_t first = CO_MIN(n, COCON_IN_SIZE - c->in_head);
	int err;

	err = co_request_write(q, r, 0, c->in + c->in_head, first);
	if (!err && n > first)
		err = co_request_write(q, r, first, c->in, n - first);
	return err;
}

static void consume(struct co_cocon *c, uint32_t n)
{
	c->in_head = (c->in_head + n) % COCON_IN_SIZE;
	c->in_len -= n;
	if (!c->in_len)
		c->in_head = 0;
}

/* Hand waiting keyboard bytes to whatever buffers the guest posted. */
static int deliver(struct co_cocon *c)
{
	struct co_queue *q = in_queue(c);
	struct co_request *r = &c->req;
	uint32_t n;
	int ret = 0;

	if (!q->ready)
		return 0;
	while (c->in_len && (ret = co_queue_pop(q, r)) > 0) {
		if (r->op != CO_COCON_READ) {
			co_queue_complete(q, r->id, CO_ST_NOTSUP, 0);
			continue;
		}
		if (!r->total) {
			co_queue_complete(q, r->id, CO_ST_INVAL, 0);
			continue;
		}
		n = (uint32_t)CO_MIN((uint64_t)c->in_len, r->total);
		if (fill(c, q, r, n)) {
			co_queue_complete(q, r->id, CO_ST_FAULT, 0);
			continue;
		}
		consume(c, n);
		co_queue_complete(q, r->id, CO_ST_OK, n);
	}
	return ret < 0 ? ret : 0;
}

static int cocon_process(struct co_device *dev, struct co_queue *q)
{
	struct co_cocon *c = dev->priv;

	if (q == out_queue(c))
		return process_out(c, q);
	if (q == in_queue(c))
		return deliver(c);
	return -CO_EINVAL;
}

static void cocon_poll(struct co_device *dev)
{
	deliver(dev->priv);
}

static uint64_t cocon_next_deadline(struct co_device *dev)
{
	return CO_NO_DEADLINE;
}

/*
 * The screen survives a guest reset like a real console's would; typed
 * bytes meant for the old guest and a half-parsed escape sequence do not.
 * The queues are reset by the VM.
 */
static void cocon_reset(struct co_device *dev)
{
	struct co_cocon *c = dev->priv;

	c->in_head = 0;
	c->in_len = 0;
	co_screen_reset_parser(&c->screen);
}

static void cocon_destroy(struct co_device *dev)
{
	struct co_cocon *c = dev->priv;

	co_screen_free(&c->screen);
	co_host_free(c);
}

static const struct co_device_ops cocon_ops = {
	.name		= "cocon",
	.process	= cocon_process,
	.poll		= cocon_poll,
	.next_deadline	= cocon_next_deadline,
	.reset		= cocon_reset,
	.destroy	= cocon_destroy,
};

int co_cocon_create(struct co_vm *vm, unsigned int cols, unsigned int rows,
		    struct co_device **out)
{
	struct co_cocon *c;
	int err;

	c = co_host_zalloc(sizeof(*c));
	if (!c)
		return -CO_ENOMEM;
	err = co_screen_init(&c->screen, cols, rows, CO_SCREEN_SCROLLBACK);
	if (err) {
		co_err("cocon: cannot create a %ux%u console: %s", cols, rows,
		       co_strerror(err));
		co_host_free(c);
		return err;
	}
	co_device_init(&c->dev, vm, &cocon_ops, CO_DEV_COCON, 0, CO_IRQ_COCON,
		       CO_QUEUE_COCON_OUT, 2);
	c->dev.info.cocon.cols = cols;
	c->dev.info.cocon.rows = rows;
	c->dev.priv = c;
	*out = &c->dev;
	return 0;
}

void co_cocon_set_output(struct co_device *con, co_cocon_out_fn *fn,
			 void *ctx)
{
	struct co_cocon *c = to_cocon(con);

	if (!c)
		return;
	c->out_fn = fn;
	c->out_ctx = ctx;
}

/*
 * [vm] only (the mailbox drain calls it). Takes as many bytes as fit in
 * the ring and returns that count (fewer than @len when it fills up: the
 * caller keeps the rest); -CO_EBUSY when it is full and nothing could be
 * taken.
 */
int co_cocon_input(struct co_device *con, const void *bytes, size_t len)
{
	struct co_cocon *c = to_cocon(con);
	const uint8_t *p = bytes;
	unsigned int tail, n, i;

	if (!c || (!bytes && len))
		return -CO_EINVAL;
	if (!len)
		return 0;
	n = (unsigned int)CO_MIN(len, (size_t)(COCON_IN_SIZE - c->in_len));
	if (!n)
		return -CO_EBUSY;
	tail = (c->in_head + c->in_len) % COCON_IN_SIZE;
	for (i = 0; i < n; i++)
		c->in[(tail + i) % COCON_IN_SIZE] = p[i];
	c->in_len += n;
	deliver(c);
	return (int)n;
}

size_t co_cocon_snapshot(struct co_device *con, char *buf, size_t size)
{
	struct co_cocon *c = to_cocon(con);

	if (!c) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return co_screen_snapshot(&c->screen, buf, size);
}

int co_cocon_scrollback_line(struct co_device *con, unsigned int n,
			     char *buf, size_t size)
{
	struct co_cocon *c = to_cocon(con);

	if (!c)
		return -CO_EINVAL;
	return co_screen_scrollback_line(&c->screen, n, buf, size);
}

unsigned int co_cocon_scrollback_lines(struct co_device *con)
{
	struct co_cocon *c = to_cocon(con);

	return c ? co_screen_scrollback_lines(&c->screen) : 0;
}
