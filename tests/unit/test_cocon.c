// SPDX-License-Identifier: GPL-2.0
/*
 * The console device with a scripted guest: output requests reaching the
 * screen and the host's output function, keyboard bytes reaching the
 * guest's buffers, and everything a hostile guest can do wrong.
 *
 * The guest does one operation per co_vm_run (its step kicks the VM), so a
 * test plays the guest in plain sequential code between runs: it builds
 * requests in guest memory with the guest ring library, rings doorbells,
 * and reaps completions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/sim.h>

#include "co_test.h"
#include "co_gring.h"
#include <colinux/lib.h>
#include "internal/vm.h"

#define RING_LOG2	4
#define CAP_SIZE	(256 * 1024)

struct env {
	struct co_test_guest *g;
	struct co_device *con;
	uint32_t op;
	uint64_t p[3];
	struct co_gring out, in;
	uint64_t next_id;
	/* What the host's output function saw. */
	char *cap;
	size_t ncap;
	unsigned int calls;
	size_t max_call;
};

static const char *const base_args[] = { "mem=16", NULL };

static void step(struct co_test_guest *g, unsigned int entry)
{
	struct env *e = g->ctx;

	co_test_op(g, e->op, e->p[0], e->p[1], e->p[2]);
	co_vm_kick(g->vm);
}

/* The guest performs one operation; returns its result. */
static int32_t guest_op(struct env *e, uint32_t op, uint64_t p0, uint64_t p1,
			uint64_t p2)
{
	struct co_vm_exit exit;

	e->op = op;
	e->p[0] = p0;
	e->p[1] = p1;
	e->p[2] = p2;
	assert_int_equal(co_vm_run(e->g->vm, &exit), -CO_EBUSY);
	assert_int_equal(e->g->sh->op, CO_OP_RETURN);
	return e->g->sh->result;
}

static void capture(void *ctx, const char *bytes, size_t len)
{
	struct env *e = ctx;

	assert_true(e->ncap + len <= CAP_SIZE);
	memcpy(e->cap + e->ncap, bytes, len);
	e->ncap += len;
	e->calls++;
	if (len > e->max_call)
		e->max_call = len;
}

static void ring_setup(struct env *e, struct co_gring *r, unsigned int queue)
{
	uint64_t gpa = co_test_scratch_gpa(e->g, 4096);

	assert_true(co_gring_bytes(RING_LOG2) <= 4096);
	assert_int_equal(co_gring_init(r, co_test_gpa_ptr(e->g, gpa), gpa,
				       RING_LOG2), 0);
	assert_int_equal(guest_op(e, CO_OP_QUEUE_SETUP, queue, gpa, RING_LOG2),
			 CO_ST_OK);
}

static struct env *env_new(const char *const *args, bool rings)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->cap = malloc(CAP_SIZE);
	assert_non_null(e->cap);
	assert_int_equal(co_test_boot(args ? args : base_args, step, e, &e->g), 0);
	e->con = co_vm_device(e->g->vm, CO_DEV_COCON, 0);
	assert_non_null(e->con);
	co_cocon_set_output(e->con, capture, e);
	e->next_id = 100;
	if (rings) {
		ring_setup(e, &e->out, CO_QUEUE_COCON_OUT);
		ring_setup(e, &e->in, CO_QUEUE_COCON_IN);
	}
	return e;
}

static void env_free(struct env *e)
{
	co_test_destroy(e->g);
	free(e->cap);
	free(e);
	assert_int_equal(co_sim_leak_check(), 0);
	co_sim_reset();
}

/* Guest memory for buffers: fresh pages each time. */
static uint64_t gmem(struct env *e, size_t len)
{
	return co_test_scratch_gpa(e->g, len ? len : 1);
}

static void gmem_put(struct env *e, uint64_t gpa, const void *data, size_t len)
{
	assert_int_equal(co_vm_write_gpa(e->g->vm, gpa, data, len), 0);
}

static void gmem_get(struct env *e, uint64_t gpa, void *data, size_t len)
{
	assert_int_equal(co_vm_read_gpa(e->g->vm, gpa, data, len), 0);
}

static void push(struct env *e, struct co_gring *r, const struct co_desc *d)
{
	assert_int_equal(co_gring_push(r, d), 0);
	co_gring_publish(r);
}

static void notify(struct env *e, unsigned int queue)
{
	co_test_doorbell(e->g, queue);
	assert_int_equal(guest_op(e, CO_OP_NOTIFY, 0, 0, 0), CO_ST_OK);
}

static void reap(struct env *e, struct co_gring *r, uint64_t id,
		 int32_t status, uint32_t len)
{
	struct co_cpl c;

	assert_int_equal(co_gring_reap(r, &c), 1);
	assert_int_equal(c.id, id);
	assert_int_equal(c.status, status);
	assert_int_equal(c.len, len);
}

static void no_completion(struct co_gring *r)
{
	assert_int_equal(co_gring_cpl_ready(r), 0);
}

/* One WRITE of @len bytes in a single segment; returns its id. */
static uint64_t post_write(struct env *e, const void *data, size_t len)
{
	uint64_t gpa = gmem(e, len);
	struct co_desc d;

	gmem_put(e, gpa, data, len);
	co_gring_desc_init(&d, e->next_id, CO_COCON_WRITE, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, len), 0);
	push(e, &e->out, &d);
	return e->next_id++;
}

static void write_ok(struct env *e, const char *s)
{
	uint64_t id = post_write(e, s, strlen(s));

	notify(e, CO_QUEUE_COCON_OUT);
	reap(e, &e->out, id, CO_ST_OK, strlen(s));
}

static const char *snapshot(struct env *e)
{
	static char buf[64 * 1024];
	size_t n = co_cocon_snapshot(e->con, buf, sizeof(buf));

	assert_true(n < sizeof(buf));
	return buf;
}

/* A READ buffer of @len bytes on the IN queue; returns its id. */
static uint64_t post_read(struct env *e, uint64_t *gpa, uint32_t len)
{
	struct co_desc d;

	*gpa = gmem(e, len);
	co_gring_desc_init(&d, e->next_id, CO_COCON_READ, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, *gpa, len), 0);
	push(e, &e->in, &d);
	return e->next_id++;
}

static void assert_gmem(struct env *e, uint64_t gpa, const char *want,
			size_t len)
{
	char *got = malloc(len + 1);

	assert_non_null(got);
	gmem_get(e, gpa, got, len);
	assert_memory_equal(got, want, len);
	free(got);
}

/* ---- Configuration ---------------------------------------------------- */

static void device_table(struct env *e, unsigned int cols, unsigned int rows)
{
	const struct co_boot_params *bp = co_test_boot_params(e->g);
	unsigned int i, found = 0;

	assert_non_null(bp);
	for (i = 0; i < bp->nr_devices && i < CO_BOOT_MAX_DEVICES; i++) {
		const struct co_dev_info *d = &bp->dev[i];

		if (d->dev_class != CO_DEV_COCON)
			continue;
		found++;
		assert_int_equal(d->unit, 0);
		assert_int_equal(d->irq, CO_IRQ_COCON);
		assert_int_equal(d->first_queue, CO_QUEUE_COCON_OUT);
		assert_int_equal(d->nr_queues, 2);
		assert_int_equal(d->cocon.cols, cols);
		assert_int_equal(d->cocon.rows, rows);
	}
	assert_int_equal(found, 1);
}

static void test_info_default(void **state)
{
	struct env *e = env_new(NULL, false);

	device_table(e, 80, 25);
	assert_int_equal(e->con->queue[0].id, CO_QUEUE_COCON_OUT);
	assert_int_equal(e->con->queue[1].id, CO_QUEUE_COCON_IN);
	env_free(e);
}

static void test_info_configured(void **state)
{
	static const char *const args[] = { "mem=16", "cocon=132x50", NULL };
	struct env *e = env_new(args, true);
	char line[200];
	unsigned int i;

	device_table(e, 132, 50);
	/* The screen really has that geometry. */
	for (i = 0; i < 132; i++)
		line[i] = 'a' + i % 26;
	line[132] = '\0';
	write_ok(e, line);
	write_ok(e, "+\x1b[99;999H$");
	assert_int_equal(co_cocon_snapshot(e->con, NULL, 0),
			 132 + 2 + 48 + 131 + 1);
	env_free(e);
}

static void test_create_limits(void **state)
{
	struct env *e = env_new(NULL, false);
	struct co_device *d = NULL;
	unsigned int n;

	assert_int_equal(co_cocon_create(e->g->vm, 15, 25, &d), -CO_EINVAL);
	assert_int_equal(co_cocon_create(e->g->vm, 513, 25, &d), -CO_EINVAL);
	assert_int_equal(co_cocon_create(e->g->vm, 80, 1, &d), -CO_EINVAL);
	assert_int_equal(co_cocon_create(e->g->vm, 80, 501, &d), -CO_EINVAL);
	assert_null(d);
	/* Every allocation failing in turn: an error and nothing kept. */
	for (n = 1; n <= 5; n++) {
		uint64_t heap = co_sim_heap_in_use();
		int err;

		co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, n, 0);
		err = co_cocon_create(e->g->vm, 512, 500, &d);
		co_sim_fault_reset();
		if (!err) {
			assert_true(n > 1);
			break;
		}
		assert_int_equal(err, -CO_ENOMEM);
		assert_int_equal(co_sim_heap_in_use(), heap);
	}
	assert_int_equal(co_cocon_create(e->g->vm, 512, 500, &d), 0);
	assert_int_equal(d->info.cocon.cols, 512);
	assert_int_equal(d->info.cocon.rows, 500);
	d->ops->destroy(d);
	env_free(e);
}

/* ---- Output ----------------------------------------------------------- */

static void test_write_screen_and_stream(void **state)
{
	struct env *e = env_new(NULL, true);
	static const char text[] = "Hello, world\n\x1b[1mbold\x1b[0m\tx\r\n";

	co_test_irq_take(e->g, CO_IRQ_COCON);
	write_ok(e, text);
	assert_true(co_test_irq_take(e->g, CO_IRQ_COCON));
	assert_string_equal(snapshot(e), "Hello, world\nbold    x");
	assert_int_equal(e->ncap, strlen(text));
	assert_memory_equal(e->cap, text, strlen(text));

	/* Without an output function the screen still follows. */
	co_cocon_set_output(e->con, NULL, NULL);
	write_ok(e, "quiet");
	assert_int_equal(e->ncap, strlen(text));
	assert_string_equal(snapshot(e), "Hello, world\nbold    x\nquiet");
	env_free(e);
}

static void test_write_segments(void **state)
{
	struct env *e = env_new(NULL, true);
	struct co_seg table[40];
	char *want = malloc(40 * 300 + 1);
	uint64_t gpa_a = gmem(e, 3), gpa_b = gmem(e, 3), tgpa, data;
	struct co_desc d;
	unsigned int i;

	/* Two inline segments. */
	gmem_put(e, gpa_a, "abc", 3);
	gmem_put(e, gpa_b, "def", 3);
	co_gring_desc_init(&d, 7, CO_COCON_WRITE, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, gpa_a, 3), 0);
	assert_int_equal(co_gring_desc_add_seg(&d, gpa_b, 3), 0);
	push(e, &e->out, &d);
	notify(e, CO_QUEUE_COCON_OUT);
	reap(e, &e->out, 7, CO_ST_OK, 6);
	assert_string_equal(snapshot(e), "abcdef");

	/* An indirect table of 40 segments, crossing pages. */
	assert_non_null(want);
	data = gmem(e, 40 * 300);
	for (i = 0; i < 40 * 300; i++)
		want[i] = (i % 300 == 299) ? '\n' : (char)('A' + (i * 7) % 26);
	gmem_put(e, data, want, 40 * 300);
	for (i = 0; i < 40; i++) {
		/* In reverse order, so the device must follow the table. */
		table[i].gpa = data + (39 - i) * 300;
		table[i].len = 300;
		table[i].reserved = 0;
	}
	tgpa = gmem(e, sizeof(table));
	gmem_put(e, tgpa, table, sizeof(table));
	co_gring_desc_init(&d, 8, CO_COCON_WRITE, 0);
	assert_int_equal(co_gring_desc_indirect(&d, tgpa, 40), 0);
	e->ncap = 0;
	e->calls = 0;
	push(e, &e->out, &d);
	notify(e, CO_QUEUE_COCON_OUT);
	reap(e, &e->out, 8, CO_ST_OK, 40 * 300);
	assert_int_equal(e->ncap, 40 * 300);
	for (i = 0; i < 40; i++)
		assert_memory_equal(e->cap + i * 300, want + (39 - i) * 300, 300);
	/* Bounded chunks, all of them used. */
	assert_true(e->calls >= 40 * 300 / 512);
	assert_true(e->max_call <= 512);
	free(want);
	env_free(e);
}

static void test_write_large(void **state)
{
	struct env *e = env_new(NULL, true);
	size_t len = 200 * 1024, i;
	char *data = malloc(len);
	uint64_t seed = co_test_seed("cocon large write"), id;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (char)co_test_rand(&seed);	/* any byte at all */
	id = post_write(e, data, len);
	notify(e, CO_QUEUE_COCON_OUT);
	reap(e, &e->out, id, CO_ST_OK, len);
	assert_int_equal(e->ncap, len);
	assert_memory_equal(e->cap, data, len);
	/* The screen is still sane and usable. */
	write_ok(e, "\x18\x1b[2J\x1b[Hafter");
	assert_string_equal(snapshot(e), "after");
	assert_true(co_cocon_scrollback_lines(e->con) <= 500);
	free(data);
	env_free(e);
}

static void test_csi_across_requests(void **state)
{
	struct env *e = env_new(NULL, true);

	write_ok(e, "ab\x1b[2;");
	assert_string_equal(snapshot(e), "ab");
	write_ok(e, "5HX\x1b");
	write_ok(e, "[1;1HY\xe2\x82");
	write_ok(e, "\xac!");
	assert_string_equal(snapshot(e), "Y?!\n    X");
	assert_int_equal(e->ncap, strlen("ab\x1b[2;5HX\x1b[1;1HY\xe2\x82\xac!"));
	assert_memory_equal(e->cap, "ab\x1b[2;5HX\x1b[1;1HY\xe2\x82\xac!",
			    e->ncap);
	env_free(e);
}

static void test_hostile_sequences(void **state)
{
	struct env *e = env_new(NULL, true);
	size_t n = 2 + 10000 * 2 + 1, i;
	char *buf = malloc(n + 1);

	write_ok(e, "\x1b[999999999;99999999H@");
	assert_non_null(buf);
	memcpy(buf, "\x1b[", 2);
	for (i = 0; i < 10000; i++)
		memcpy(buf + 2 + 2 * i, "7;", 2);
	buf[n - 1] = 'H';
	buf[n] = '\0';
	write_ok(e, buf);
	write_ok(e, "#\x1b[");		/* left open at the end */
	free(buf);
	/* 80x25: '@' bottom right, '#' at row 7 column 7. */
	assert_int_equal(co_cocon_snapshot(e->con, NULL, 0),
			 6 + 7 + 18 + 80);
	assert_true(strncmp(snapshot(e), "\n\n\n\n\n\n      #\n", 14) == 0);
	env_free(e);
}

static void test_bad_out_requests(void **state)
{
	struct env *e = env_new(NULL, true);
	uint64_t gpa = gmem(e, 4);
	struct co_desc d;

	gmem_put(e, gpa, "oops", 4);
	co_gring_desc_init(&d, 1, 77, 0);			/* unknown op */
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, 4), 0);
	push(e, &e->out, &d);
	co_gring_desc_init(&d, 2, CO_COCON_READ, 0);		/* wrong queue */
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, 4), 0);
	push(e, &e->out, &d);
	co_gring_desc_init(&d, 3, CO_COCON_WRITE, 0);		/* outside RAM */
	assert_int_equal(co_gring_desc_add_seg(&d, 1ULL << 40, 4), 0);
	push(e, &e->out, &d);
	co_gring_desc_init(&d, 4, CO_COCON_WRITE, 0);		/* nothing */
	push(e, &e->out, &d);
	notify(e, CO_QUEUE_COCON_OUT);
	reap(e, &e->out, 1, CO_ST_NOTSUP, 0);
	reap(e, &e->out, 2, CO_ST_NOTSUP, 0);
	reap(e, &e->out, 3, CO_ST_FAULT, 0);
	reap(e, &e->out, 4, CO_ST_OK, 0);
	no_completion(&e->out);
	assert_int_equal(e->ncap, 0);
	assert_string_equal(snapshot(e), "");
	/* And the console still works. */
	write_ok(e, "fine");
	assert_string_equal(snapshot(e), "fine");
	assert_false(co_vm_state(e->g->vm) == CO_VM_STOPPED);
	env_free(e);
}

static void test_scrollback_api(void **state)
{
	struct env *e = env_new(NULL, true);
	char line[100];
	unsigned int i;

	for (i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), "line %u\n", i);
		write_ok(e, line);
	}
	/* 30 lines and an empty one on 25 rows. */
	assert_int_equal(co_cocon_scrollback_lines(e->con), 6);
	assert_int_equal(co_cocon_scrollback_line(e->con, 0, line,
						  sizeof(line)), 6);
	assert_string_equal(line, "line 0");
	assert_int_equal(co_cocon_scrollback_line(e->con, 5, line,
						  sizeof(line)), 6);
	assert_string_equal(line, "line 5");
	assert_int_equal(co_cocon_scrollback_line(e->con, 6, line,
						  sizeof(line)), -CO_ERANGE);
	assert_true(strncmp(snapshot(e), "line 6\nline 7\n", 14) == 0);
	env_free(e);
}

/* ---- Input ------------------------------------------------------------ */

static void test_input_into_posted_buffers(void **state)
{
	struct env *e = env_new(NULL, true);
	uint64_t a, b, c, ida, idb, idc;

	ida = post_read(e, &a, 5);
	idb = post_read(e, &b, 8);
	notify(e, CO_QUEUE_COCON_IN);
	no_completion(&e->in);		/* nothing typed yet */
	co_test_irq_take(e->g, CO_IRQ_COCON);

	assert_int_equal(co_cocon_input(e->con, "hello world!", 12), 12);
	reap(e, &e->in, ida, CO_ST_OK, 5);
	reap(e, &e->in, idb, CO_ST_OK, 7);
	assert_true(co_test_irq_take(e->g, CO_IRQ_COCON));
	assert_gmem(e, a, "hello", 5);
	assert_gmem(e, b, " world!", 7);

	/* Typed ahead: waits for the next buffer, then for the one after. */
	assert_int_equal(co_cocon_input(e->con, "xyz", 3), 3);
	no_completion(&e->in);
	idc = post_read(e, &c, 2);
	notify(e, CO_QUEUE_COCON_IN);
	reap(e, &e->in, idc, CO_ST_OK, 2);
	assert_gmem(e, c, "xy", 2);
	ida = post_read(e, &a, 100);
	notify(e, CO_QUEUE_COCON_IN);
	reap(e, &e->in, ida, CO_ST_OK, 1);
	assert_gmem(e, a, "z", 1);
	/* Input of nothing is fine and delivers nothing. */
	assert_int_equal(co_cocon_input(e->con, NULL, 0), 0);
	idb = post_read(e, &b, 4);
	notify(e, CO_QUEUE_COCON_IN);
	no_completion(&e->in);
	assert_int_equal(co_cocon_input(e->con, "\x03", 1), 1);
	reap(e, &e->in, idb, CO_ST_OK, 1);
	assert_gmem(e, b, "\x03", 1);
	env_free(e);
}

/* The IN doorbell alone delivers (not only the poll after each switch). */
static void test_input_on_doorbell(void **state)
{
	struct env *e = env_new(NULL, true);
	struct co_device *con = e->con;
	uint64_t gpa, id;

	assert_int_equal(co_cocon_input(con, "typed", 5), 5);
	id = post_read(e, &gpa, 16);
	no_completion(&e->in);
	assert_int_equal(con->ops->process(con, &con->queue[1]), 0);
	reap(e, &e->in, id, CO_ST_OK, 5);
	assert_gmem(e, gpa, "typed", 5);
	/* The OUT doorbell alone writes; a foreign queue is refused. */
	id = post_write(e, "out", 3);
	assert_int_equal(con->ops->process(con, &con->queue[0]), 0);
	reap(e, &e->out, id, CO_ST_OK, 3);
	assert_string_equal(snapshot(e), "out");
	assert_int_equal(con->ops->process(con, &e->g->vm->timer->queue[0]),
			 -CO_EINVAL);
	env_free(e);
}

static void test_input_split_segments(void **state)
{
	struct env *e = env_new(NULL, true);
	uint64_t s1 = gmem(e, 3), s2 = gmem(e, 4);
	struct co_desc d;

	co_gring_desc_init(&d, 55, CO_COCON_READ, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, s1, 3), 0);
	assert_int_equal(co_gring_desc_add_seg(&d, s2, 4), 0);
	push(e, &e->in, &d);
	notify(e, CO_QUEUE_COCON_IN);
	assert_int_equal(co_cocon_input(e->con, "abcdef", 6), 6);
	reap(e, &e->in, 55, CO_ST_OK, 6);
	assert_gmem(e, s1, "abc", 3);
	assert_gmem(e, s2, "def", 3);
	env_free(e);
}

static void test_input_overflow(void **state)
{
	struct env *e = env_new(NULL, true);
	char *typed = malloc(8192), *got = malloc(8192);
	uint64_t gpa[6], id[6];
	size_t off = 0;
	unsigned int i;

	assert_non_null(typed);
	assert_non_null(got);
	for (i = 0; i < 8192; i++)
		typed[i] = (char)(i * 31 + i / 251);
	/* 3000 typed, 1000 read: the waiting bytes now start mid-ring. */
	assert_int_equal(co_cocon_input(e->con, typed, 3000), 3000);
	id[0] = post_read(e, &gpa[0], 1000);
	notify(e, CO_QUEUE_COCON_IN);
	reap(e, &e->in, id[0], CO_ST_OK, 1000);
	assert_gmem(e, gpa[0], typed, 1000);
	/* The ring takes 2096 more, then is full: partial, then busy. */
	assert_int_equal(co_cocon_input(e->con, typed + 3000, 5000), 2096);
	assert_int_equal(co_cocon_input(e->con, typed + 5096, 1), -CO_EBUSY);
	for (i = 0; i < 5; i++)
		id[i] = post_read(e, &gpa[i], 1000);
	notify(e, CO_QUEUE_COCON_IN);
	for (i = 0; i < 5; i++) {
		uint32_t n = i < 4 ? 1000 : 96;

		reap(e, &e->in, id[i], CO_ST_OK, n);
		gmem_get(e, gpa[i], got + off, n);
		off += n;
	}
	assert_int_equal(off, 4096);
	assert_memory_equal(got, typed + 1000, 4096);
	/* Room again. */
	assert_int_equal(co_cocon_input(e->con, "k", 1), 1);
	id[5] = post_read(e, &gpa[5], 1);
	notify(e, CO_QUEUE_COCON_IN);
	reap(e, &e->in, id[5], CO_ST_OK, 1);
	assert_gmem(e, gpa[5], "k", 1);
	free(typed);
	free(got);
	env_free(e);
}

static void test_input_bad_buffers(void **state)
{
	struct env *e = env_new(NULL, true);
	uint64_t gpa = gmem(e, 16), good, id;
	struct co_desc d;

	co_gring_desc_init(&d, 1, CO_COCON_READ, 0);		/* outside RAM */
	assert_int_equal(co_gring_desc_add_seg(&d, co_vm_ram_size(e->g->vm)
					       + co_vm_ram_base(e->g->vm) - 2,
					       16), 0);
	push(e, &e->in, &d);
	co_gring_desc_init(&d, 2, CO_COCON_WRITE, 0);		/* wrong op */
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, 16), 0);
	push(e, &e->in, &d);
	co_gring_desc_init(&d, 3, CO_COCON_READ, 0);		/* no buffer */
	push(e, &e->in, &d);
	co_gring_desc_init(&d, 4, 0xffff, 0);			/* junk op */
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, 16), 0);
	push(e, &e->in, &d);
	id = post_read(e, &good, 16);
	notify(e, CO_QUEUE_COCON_IN);
	assert_int_equal(co_cocon_input(e->con, "ok", 2), 2);
	reap(e, &e->in, 1, CO_ST_FAULT, 0);
	reap(e, &e->in, 2, CO_ST_NOTSUP, 0);
	reap(e, &e->in, 3, CO_ST_INVAL, 0);
	reap(e, &e->in, 4, CO_ST_NOTSUP, 0);
	reap(e, &e->in, id, CO_ST_OK, 2);
	assert_gmem(e, good, "ok", 2);
	assert_int_equal(co_vm_state(e->g->vm), CO_VM_RUNNING);
	env_free(e);
}

static void test_input_before_queue_setup(void **state)
{
	struct env *e = env_new(NULL, false);
	uint64_t gpa, id;

	assert_int_equal(co_cocon_input(e->con, "early", 5), 5);
	ring_setup(e, &e->in, CO_QUEUE_COCON_IN);
	id = post_read(e, &gpa, 64);
	notify(e, CO_QUEUE_COCON_IN);
	reap(e, &e->in, id, CO_ST_OK, 5);
	assert_gmem(e, gpa, "early", 5);
	env_free(e);
}

static void test_input_broken_ring(void **state)
{
	struct env *e = env_new(NULL, true);
	struct co_vm_exit exit;

	/* The guest claims far more requests than the ring holds. */
	e->in.ctl->req_prod = 1000;
	assert_int_equal(co_cocon_input(e->con, "x", 1), 1);
	assert_int_equal(co_vm_run(e->g->vm, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	assert_non_null(strstr(exit.text, "queue 1"));
	env_free(e);
}

static void test_reset_drops_input_and_parser(void **state)
{
	struct env *e = env_new(NULL, true);
	uint64_t gpa, id;

	write_ok(e, "kept\x1b[3");
	assert_int_equal(co_cocon_input(e->con, "stale", 5), 5);
	/* What co_vm_reset does to the device, queues left alone here. */
	e->con->ops->reset(e->con);
	id = post_read(e, &gpa, 8);
	notify(e, CO_QUEUE_COCON_IN);
	no_completion(&e->in);
	write_ok(e, "C");
	assert_string_equal(snapshot(e), "keptC");
	assert_int_equal(co_cocon_input(e->con, "new", 3), 3);
	reap(e, &e->in, id, CO_ST_OK, 3);
	assert_gmem(e, gpa, "new", 3);
	env_free(e);
}

static void test_api_misuse(void **state)
{
	struct env *e = env_new(NULL, false);
	struct co_device *timer = co_vm_device(e->g->vm, CO_DEV_TIMER, 0);
	char buf[4] = "xyz";

	assert_non_null(timer);
	assert_int_equal(co_cocon_input(NULL, "a", 1), -CO_EINVAL);
	assert_int_equal(co_cocon_input(timer, "a", 1), -CO_EINVAL);
	assert_int_equal(co_cocon_input(e->con, NULL, 1), -CO_EINVAL);
	assert_int_equal(co_cocon_snapshot(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(co_cocon_snapshot(timer, NULL, 0), 0);
	assert_int_equal(co_cocon_scrollback_line(timer, 0, buf, sizeof(buf)),
			 -CO_EINVAL);
	assert_int_equal(co_cocon_scrollback_lines(NULL), 0);
	co_cocon_set_output(timer, capture, e);
	co_cocon_set_output(NULL, capture, e);
	assert_int_equal(e->con->ops->next_deadline(e->con), CO_NO_DEADLINE);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_default),
		cmocka_unit_test(test_info_configured),
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_write_screen_and_stream),
		cmocka_unit_test(test_write_segments),
		cmocka_unit_test(test_write_large),
		cmocka_unit_test(test_csi_across_requests),
		cmocka_unit_test(test_hostile_sequences),
		cmocka_unit_test(test_bad_out_requests),
		cmocka_unit_test(test_scrollback_api),
		cmocka_unit_test(test_input_into_posted_buffers),
		cmocka_unit_test(test_input_on_doorbell),
		cmocka_unit_test(test_input_split_segments),
		cmocka_unit_test(test_input_overflow),
		cmocka_unit_test(test_input_bad_buffers),
		cmocka_unit_test(test_input_before_queue_setup),
		cmocka_unit_test(test_input_broken_ring),
		cmocka_unit_test(test_reset_drops_input_and_parser),
		cmocka_unit_test(test_api_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
