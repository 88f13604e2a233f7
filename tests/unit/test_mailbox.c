// SPDX-License-Identifier: GPL-2.0
/*
 * The mailbox: console input and power events posted to a VM from other
 * threads. One test posts a long seeded stream from a second thread while
 * the VM runs on the test's thread, through a full mailbox and back, and
 * the scripted guest checks every byte; the others pin down the
 * contract one call at a time: arguments, a full mailbox and its room
 * notification, power events, a stopped VM, reset.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sim/sim.h>

#include "co_test.h"
#include "co_gring.h"
#include <colinux/lib.h>
#include "internal/vm.h"

#define RING_LOG2	4
#define MBOX		CO_VM_MAILBOX_INPUT
#define COCON_RING	4096	/* the console's own buffer (cocon.c) */

static const char *const base_args[] = { "mem=16", NULL };

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	assert_non_null(p);
	return p;
}

static void fill_random(uint8_t *p, size_t n, uint64_t *rng)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(co_test_rand(rng) >> 32);
}

/* Set up the console's IN queue on a ring in guest memory. */
static uint64_t in_ring_init(struct co_test_guest *g, struct co_gring *r)
{
	uint64_t gpa = co_test_scratch_gpa(g, 4096);

	assert_int_equal(co_gring_init(r, co_test_gpa_ptr(g, gpa), gpa,
				       RING_LOG2), 0);
	return gpa;
}

static void post_read(struct co_gring *r, uint64_t id, uint64_t gpa,
		      uint32_t len)
{
	struct co_desc d;

	co_gring_desc_init(&d, id, CO_COCON_READ, 0);
	assert_int_equal(co_gring_desc_add_seg(&d, gpa, len), 0);
	assert_int_equal(co_gring_push(r, &d), 0);
	co_gring_publish(r);
}

/* ---- Another thread posts while the VM runs --------------------------- */

#define STREAM_LEN	(192 * 1024)
#define NR_BUFS		4
#define MAX_READ	300
#define MAX_CHUNK	1500
#define WAIT_SECONDS	20

enum phase { SETUP, WAIT_FULL, READING };

struct threaded {
	struct co_test_guest *g;
	uint8_t *stream;
	uint64_t seed;

	/* Poster thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool room;			/* a room notification came */
	bool guest_done;
	unsigned int notifications;
	unsigned int refused, short_posts, whole_posts;
	bool full_seen;			/* atomic: the guest may start reading */
	bool failed;			/* atomic: poster_error is written */
	char poster_error[256];

	/* Guest (the VM thread). */
	enum phase phase;
	struct co_gring in;
	uint64_t buf_gpa[NR_BUFS];
	uint32_t buf_len[NR_BUFS];
	uint64_t got;
	unsigned int completions, idles;
	uint32_t power_seen;
	uint64_t power_at;		/* bytes received when it came */
	char guest_error[256];
	uint64_t rng;			/* the guest's buffer sizes */
};

static void room_cb(void *ctx)
{
	struct threaded *t = ctx;

	pthread_mutex_lock(&t->lock);
	t->room = true;
	t->notifications++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Wait until @flag is set or WAIT_SECONDS pass; false on timeout. */
static bool wait_flag(struct threaded *t, bool *flag)
{
	struct timespec until;
	int err = 0;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_SECONDS;
	pthread_mutex_lock(&t->lock);
	while (!*flag && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&t->cond, &t->lock, &until);
	ok = *flag;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

static void *poster_fail(struct threaded *t, const char *what, uint64_t at,
			 int rc)
{
	snprintf(t->poster_error, sizeof(t->poster_error),
		 "%s, at byte %llu (%d)", what, (unsigned long long)at, rc);
	__atomic_store_n(&t->failed, true, __ATOMIC_SEQ_CST);
	/* Get the test's thread out of co_vm_run to report it. */
	co_vm_kick(t->g->vm);
	return NULL;
}

static void *poster_main(void *arg)
{
	struct threaded *t = arg;
	struct co_vm *vm = t->g->vm;
	uint64_t rng = t->seed ^ 0x9e3779b97f4a7c15ULL;
	bool power_sent = false;
	size_t off = 0;

	while (off < STREAM_LEN) {
		size_t chunk = 1 + co_test_rand(&rng) % MAX_CHUNK;
		bool whole = co_test_rand(&rng) % 4 == 0;
		int n;

		chunk = CO_MIN(chunk, STREAM_LEN - off);
		pthread_mutex_lock(&t->lock);
		t->room = false;
		pthread_mutex_unlock(&t->lock);
		n = co_vm_post_input(vm, t->stream + off, chunk,
				     whole ? CO_POST_ALL : 0);
		if (n == -CO_EBUSY) {
			t->refused++;
			__atomic_store_n(&t->full_seen, true, __ATOMIC_SEQ_CST);
			if (!wait_flag(t, &t->room))
				return poster_fail(t, "no room notification", off, n);
			continue;
		}
		if (n <= 0 || (size_t)n > chunk || (whole && (size_t)n != chunk))
			return poster_fail(t, "co_vm_post_input", off, n);
		if ((size_t)n < chunk)
			t->short_posts++;
		else if (whole)
			t->whole_posts++;
		off += (size_t)n;
		if (!power_sent && off >= STREAM_LEN / 2) {
			n = co_vm_post_power(vm, CO_POWER_SHUTDOWN);
			if (n)
				return poster_fail(t, "co_vm_post_power", off, n);
			power_sent = true;
		}
	}
	if (!wait_flag(t, &t->guest_done))
		return poster_fail(t, "everything posted, the guest did not finish",
				   off, 0);
	return NULL;
}

static void guest_fail(struct co_test_guest *g, struct threaded *t,
		       const char *text)
{
	snprintf(t->guest_error, sizeof(t->guest_error), "%s", text);
	co_test_terminate(g, CO_TERM_POWEROFF, 1, text);
}

/* Check one completed READ against the stream and post the buffer again. */
static bool guest_take(struct co_test_guest *g, struct threaded *t,
		       const struct co_cpl *c)
{
	uint8_t data[MAX_READ];
	unsigned int b = (unsigned int)c->id;
	char msg[160];

	if (b >= NR_BUFS || c->status != CO_ST_OK || !c->len ||
	    c->len > t->buf_len[b] || t->got + c->len > STREAM_LEN) {
		snprintf(msg, sizeof(msg), "bad completion: id %llu status %d len %u at byte %llu",
			 (unsigned long long)c->id, c->status, c->len,
			 (unsigned long long)t->got);
		guest_fail(g, t, msg);
		return false;
	}
	assert_int_equal(co_vm_read_gpa(g->vm, t->buf_gpa[b], data, c->len), 0);
	if (memcmp(data, t->stream + t->got, c->len)) {
		snprintf(msg, sizeof(msg), "bytes %llu..%llu differ from the stream",
			 (unsigned long long)t->got,
			 (unsigned long long)(t->got + c->len - 1));
		guest_fail(g, t, msg);
		return false;
	}
	t->got += c->len;
	t->completions++;
	t->buf_len[b] = 1 + (uint32_t)(co_test_rand(&t->rng) % MAX_READ);
	post_read(&t->in, b, t->buf_gpa[b], t->buf_len[b]);
	return true;
}

static void guest_power(struct co_test_guest *g, struct threaded *t)
{
	if (!co_test_irq_take(g, CO_IRQ_POWER))
		return;
	if (t->power_seen)
		guest_fail(g, t, "a second power interrupt");
	t->power_seen = g->sh->power_event;
	t->power_at = t->got;
	g->sh->power_event = CO_POWER_NONE;
}

static void guest_setup(struct co_test_guest *g, struct threaded *t)
{
	unsigned int b;

	g->max_entries = 20000000;
	co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COCON_IN,
		   in_ring_init(g, &t->in), RING_LOG2);
	for (b = 0; b < NR_BUFS; b++)
		t->buf_gpa[b] = co_test_scratch_gpa(g, MAX_READ);
	co_test_unmask(g, CO_IRQ_COCON);
	co_test_unmask(g, CO_IRQ_POWER);
	t->phase = WAIT_FULL;
}

/* No buffers until the poster met a full mailbox: back-pressure happens. */
static void guest_wait_full(struct co_test_guest *g, struct threaded *t)
{
	struct timespec nap = { 0, 20000 };
	unsigned int b;

	if (g->sh->result != CO_ST_OK) {
		guest_fail(g, t, "queue set-up failed");
		return;
	}
	guest_power(g, t);
	if (!__atomic_load_n(&t->full_seen, __ATOMIC_SEQ_CST)) {
		nanosleep(&nap, NULL);
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
		return;
	}
	for (b = 0; b < NR_BUFS; b++) {
		t->buf_len[b] = 1 + (uint32_t)(co_test_rand(&t->rng) % MAX_READ);
		post_read(&t->in, b, t->buf_gpa[b], t->buf_len[b]);
	}
	co_test_doorbell(g, CO_QUEUE_COCON_IN);
	co_test_op(g, CO_OP_NOTIFY, 0, 0, 0);
	t->phase = READING;
}

static void guest_reading(struct co_test_guest *g, struct threaded *t)
{
	struct co_cpl c;
	bool took = false;

	co_test_irq_take(g, CO_IRQ_COCON);
	guest_power(g, t);
	while (co_gring_reap(&t->in, &c) == 1) {
		if (!guest_take(g, t, &c))
			return;
		took = true;
	}
	if (t->guest_error[0])
		return;
	if (t->got == STREAM_LEN && t->power_seen) {
		co_test_terminate(g, CO_TERM_POWEROFF, 0, "");
		return;
	}
	if (took) {
		co_test_doorbell(g, CO_QUEUE_COCON_IN);
		co_test_op(g, CO_OP_NOTIFY, 0, 0, 0);
		return;
	}
	/* Nothing came: sleep until a post brings something. */
	t->idles++;
	co_test_op(g, CO_OP_IDLE, 0, 0, 0);
}

static void (*const phases[])(struct co_test_guest *g, struct threaded *t) = {
	[SETUP]		= guest_setup,
	[WAIT_FULL]	= guest_wait_full,
	[READING]	= guest_reading,
};

static void threaded_step(struct co_test_guest *g, unsigned int entry)
{
	struct threaded *t = g->ctx;

	phases[t->phase](g, t);
}

static void test_posts_from_another_thread(void **state)
{
	struct threaded *t = calloc(1, sizeof(*t));
	struct co_vm_exit exit;
	pthread_t poster;
	uint64_t rng;
	int err;

	assert_non_null(t);
	t->seed = co_test_seed("mailbox");
	t->rng = t->seed;
	rng = t->seed;
	t->stream = xmalloc(STREAM_LEN);
	fill_random(t->stream, STREAM_LEN, &rng);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	assert_int_equal(co_test_boot(base_args, threaded_step, t, &t->g), 0);
	co_vm_set_room_notify(t->g->vm, room_cb, t);
	/* The poster can wake an idle guest: no deadlock when it idles. */
	co_sim_external_source(true);

	assert_int_equal(pthread_create(&poster, NULL, poster_main, t), 0);
	while ((err = co_vm_run(t->g->vm, &exit)) == -CO_EBUSY &&
	       !__atomic_load_n(&t->failed, __ATOMIC_SEQ_CST))
		;
	pthread_mutex_lock(&t->lock);
	t->guest_done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(poster, NULL);
	co_sim_external_source(false);

	if (t->guest_error[0])
		fail_msg("guest: %s (seed %llu)", t->guest_error,
			 (unsigned long long)t->seed);
	if (t->failed)
		fail_msg("poster: %s (seed %llu)", t->poster_error,
			 (unsigned long long)t->seed);
	assert_int_equal(err, 0);
	assert_string_equal(exit.text, "");
	assert_int_equal(exit.reason, CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 0);
	assert_int_equal(t->got, STREAM_LEN);
	assert_int_equal(t->power_seen, CO_POWER_SHUTDOWN);
	/*
	 * Seen soon after it was posted, half-way: only what the mailbox,
	 * the console and the guest's buffers hold can have been in between.
	 */
	assert_true(t->power_at >= STREAM_LEN / 2 - MBOX - COCON_RING -
				   NR_BUFS * MAX_READ);
	/* The mailbox did fill, and every refusal was followed by room. */
	assert_true(t->refused > 0);
	assert_true(t->notifications > 0);
	print_message("mailbox: %u completions, %u idles, %u refused, %u short, %u whole, %u notifications\n",
		      t->completions, t->idles, t->refused, t->short_posts,
		      t->whole_posts, t->notifications);

	/* A stopped VM takes nothing more. */
	assert_int_equal(co_vm_post_input(t->g->vm, "x", 1, 0), -CO_ESTATE);
	assert_int_equal(co_vm_post_power(t->g->vm, CO_POWER_SHUTDOWN),
			 -CO_ESTATE);
	co_test_finish(t->g);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t->stream);
	free(t);
}

/* ---- One call at a time ------------------------------------------------ */

/*
 * The guest does one operation per co_vm_run (co_test_step_one_op), so a
 * test plays the guest and the front end in plain sequential code.
 */
struct env {
	struct co_test_guest *g;
	struct co_vm *vm;
	struct co_gring in;
	unsigned int notifications;
	bool idled;
};

/* IDLE once without a kick (only a post can end it), then YIELD. */
static void idle_step(struct co_test_guest *g, unsigned int entry)
{
	struct env *e = g->ctx;

	if (!e->idled) {
		e->idled = true;
		co_test_op(g, CO_OP_IDLE, 0, 0, 0);
		return;
	}
	co_test_op(g, CO_OP_YIELD, 0, 0, 0);
	co_vm_kick(g->vm);
}

static int32_t guest_op(struct env *e, uint32_t op)
{
	return co_test_one_op(e->g, op, 0, 0, 0);
}

static void count_room(void *ctx)
{
	struct env *e = ctx;

	e->notifications++;
}

static struct env *env_new(bool in_ring)
{
	struct env *e = calloc(1, sizeof(*e));
	uint64_t gpa;

	assert_non_null(e);
	assert_int_equal(co_test_boot(base_args, co_test_step_one_op, e, &e->g), 0);
	e->vm = e->g->vm;
	co_vm_set_room_notify(e->vm, count_room, e);
	if (in_ring) {
		gpa = in_ring_init(e->g, &e->in);
		assert_int_equal(co_test_one_op(e->g, CO_OP_QUEUE_SETUP,
						CO_QUEUE_COCON_IN, gpa,
						RING_LOG2), CO_ST_OK);
	}
	return e;
}

static void env_free(struct env *e)
{
	co_test_finish(e->g);
	free(e);
}

/* Post a READ buffer of @len bytes, ring the doorbell, run one NOTIFY. */
static uint64_t guest_read(struct env *e, uint64_t id, uint32_t len)
{
	uint64_t gpa = co_test_scratch_gpa(e->g, len);

	post_read(&e->in, id, gpa, len);
	co_test_doorbell(e->g, CO_QUEUE_COCON_IN);
	assert_int_equal(guest_op(e, CO_OP_NOTIFY), CO_ST_OK);
	return gpa;
}

static void reap_bytes(struct env *e, uint64_t id, uint64_t gpa,
		       const uint8_t *want, uint32_t len)
{
	uint8_t *got = xmalloc(len);
	struct co_cpl c;

	assert_int_equal(co_gring_reap(&e->in, &c), 1);
	assert_int_equal(c.id, id);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, len);
	assert_int_equal(co_vm_read_gpa(e->vm, gpa, got, len), 0);
	assert_memory_equal(got, want, len);
	free(got);
}

static void test_argument_errors(void **state)
{
	struct co_test_guest *g;
	uint8_t big[MBOX + 1] = { 0 };

	assert_int_equal(co_test_create(base_args, co_test_step_one_op, NULL, &g), 0);
	assert_int_equal(co_vm_post_input(NULL, "a", 1, 0), -CO_EINVAL);
	assert_int_equal(co_vm_post_input(g->vm, NULL, 1, 0), -CO_EINVAL);
	assert_int_equal(co_vm_post_input(g->vm, "a", 1, 0x2), -CO_EINVAL);
	assert_int_equal(co_vm_post_input(g->vm, big, sizeof(big), CO_POST_ALL),
			 -CO_ERANGE);
	assert_int_equal(co_vm_post_input(g->vm, NULL, 0, 0), 0);
	assert_int_equal(co_vm_post_input(g->vm, "a", 0, CO_POST_ALL), 0);
	assert_int_equal(co_vm_post_power(NULL, CO_POWER_SHUTDOWN), -CO_EINVAL);
	assert_int_equal(co_vm_post_power(g->vm, CO_POWER_NONE), -CO_EINVAL);
	assert_int_equal(co_vm_post_power(g->vm, 3), -CO_EINVAL);
	assert_int_equal(co_vm_post_power(g->vm, ~0u), -CO_EINVAL);
	/* A VM that is only created takes posts; they wait for the run. */
	assert_int_equal(co_vm_post_input(g->vm, big, MBOX, CO_POST_ALL), MBOX);
	assert_int_equal(co_vm_post_power(g->vm, CO_POWER_SHUTDOWN), 0);
	/* A reset empties it, even before the VM ever ran. */
	assert_int_equal(co_vm_post_input(g->vm, big, 1, 0), -CO_EBUSY);
	assert_int_equal(co_vm_reset(g->vm), 0);
	assert_int_equal(co_vm_post_input(g->vm, big, MBOX, CO_POST_ALL), MBOX);
	/* And destroying it with posts waiting leaks nothing. */
	co_test_finish(g);
}

static void test_full_mailbox_and_room(void **state)
{
	struct env *e = env_new(true);
	uint8_t *stream = xmalloc(3 * MBOX);
	uint64_t rng = 42, gpa;

	fill_random(stream, 3 * MBOX, &rng);
	/* The guest has no buffer: the mailbox fills... */
	assert_int_equal(co_vm_post_input(e->vm, stream, MBOX - 10, 0), MBOX - 10);
	assert_int_equal(co_vm_post_input(e->vm, stream + MBOX - 10, 20,
					  CO_POST_ALL), -CO_EBUSY);
	assert_int_equal(co_vm_post_input(e->vm, stream + MBOX - 10, 20, 0), 10);
	assert_int_equal(co_vm_post_input(e->vm, stream + MBOX, 1, 0), -CO_EBUSY);
	assert_int_equal(e->notifications, 0);

	/* ...the console takes its 4 KiB at the next pass: room, told once. */
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->notifications, 1);
	assert_int_equal(co_vm_post_input(e->vm, stream + MBOX, MBOX,
					  CO_POST_ALL), MBOX);
	/* Both full now: passes move nothing and notify nobody. */
	assert_int_equal(co_vm_post_input(e->vm, stream + 2 * MBOX, 1, 0),
			 -CO_EBUSY);
	guest_op(e, CO_OP_YIELD);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->notifications, 1);

	/*
	 * The guest reads: the console's bytes first, then the mailbox's
	 * move up (room: the refused poster hears of it), in order.
	 */
	gpa = guest_read(e, 7, COCON_RING);
	reap_bytes(e, 7, gpa, stream, COCON_RING);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->notifications, 2);
	assert_int_equal(co_vm_post_input(e->vm, stream + 2 * MBOX, MBOX, 0), MBOX);
	gpa = guest_read(e, 8, MBOX);
	reap_bytes(e, 8, gpa, stream + COCON_RING, MBOX);
	guest_op(e, CO_OP_YIELD);
	gpa = guest_read(e, 9, MBOX);
	reap_bytes(e, 9, gpa, stream + COCON_RING + MBOX, MBOX);
	/* Nobody was refused since: no call. */
	assert_int_equal(e->notifications, 2);

	/* Without a room notification a refusal is simply forgotten. */
	co_vm_set_room_notify(e->vm, NULL, NULL);
	assert_int_equal(co_vm_post_input(e->vm, stream, MBOX, 0), MBOX);
	assert_int_equal(co_vm_post_input(e->vm, stream, 1, 0), -CO_EBUSY);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(e->notifications, 2);
	free(stream);
	env_free(e);
}

/*
 * Posted bytes wrap around the end of the mailbox and arrive in order:
 * the console takes 1000 bytes a pass, so the mailbox's head and tail
 * creep round it and both copies (in and out) split at the end.
 */
#define WRAP_LEN	(6 * MBOX)

static void test_input_wraps(void **state)
{
	struct env *e = env_new(true);
	uint8_t *stream = xmalloc(WRAP_LEN);
	uint64_t rng = 7, gpa;
	uint64_t id = 1;
	size_t off = 0, want = 0;

	fill_random(stream, WRAP_LEN, &rng);
	while (want < WRAP_LEN) {
		uint32_t n = (uint32_t)CO_MIN((size_t)1000, WRAP_LEN - want);
		int taken = co_vm_post_input(e->vm, stream + off,
					     WRAP_LEN - off, 0);

		if (taken > 0)
			off += (size_t)taken;
		/* Let the console fill, then read it in 1000-byte steps. */
		guest_op(e, CO_OP_YIELD);
		gpa = guest_read(e, id, n);
		reap_bytes(e, id++, gpa, stream + want, n);
		want += n;
	}
	assert_int_equal(off, WRAP_LEN);
	free(stream);
	env_free(e);
}

struct later {
	struct co_vm *vm;
	bool returned;		/* atomic: co_vm_run came back */
	bool kicked;		/* the post did not wake the guest */
};

/* Post while the guest sleeps; kick it if the post did not wake it. */
static void *post_power_later(void *arg)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	struct later *l = arg;
	unsigned int i;

	nanosleep(&nap, NULL);
	if (co_vm_post_power(l->vm, CO_POWER_CTRL_ALT_DEL))
		abort();
	for (i = 0; i < 250; i++) {
		if (__atomic_load_n(&l->returned, __ATOMIC_SEQ_CST))
			return NULL;
		nanosleep(&nap, NULL);
	}
	l->kicked = true;
	co_vm_kick(l->vm);
	return NULL;
}

static void test_power_events(void **state)
{
	struct env *e = env_new(false);
	struct co_passage_shared *sh = e->g->sh;
	struct later l = { .vm = e->vm };
	struct co_vm_exit exit;
	pthread_t th;

	/* Waits for the next pass; a newer event replaces an older one. */
	assert_int_equal(co_vm_post_power(e->vm, CO_POWER_CTRL_ALT_DEL), 0);
	assert_int_equal(co_vm_post_power(e->vm, CO_POWER_SHUTDOWN), 0);
	assert_int_equal(sh->power_event, CO_POWER_NONE);
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(sh->power_event, CO_POWER_SHUTDOWN);
	assert_true(co_test_irq_take(e->g, CO_IRQ_POWER));
	guest_op(e, CO_OP_YIELD);
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));

	/* A refused event changes nothing. */
	sh->power_event = CO_POWER_NONE;
	assert_int_equal(co_vm_post_power(e->vm, 7), -CO_EINVAL);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(sh->power_event, CO_POWER_NONE);
	assert_false(co_test_irq_take(e->g, CO_IRQ_POWER));

	/* An idle guest is woken by a post from another thread: no kick. */
	co_test_unmask(e->g, CO_IRQ_POWER);
	co_sim_external_source(true);
	e->g->step = idle_step;
	assert_int_equal(pthread_create(&th, NULL, post_power_later, &l), 0);
	assert_int_equal(co_vm_run(e->vm, &exit), -CO_EBUSY);
	__atomic_store_n(&l.returned, true, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	co_sim_external_source(false);
	assert_true(e->idled);
	assert_false(l.kicked);
	assert_int_equal(sh->power_event, CO_POWER_CTRL_ALT_DEL);
	assert_true(co_test_irq_take(e->g, CO_IRQ_POWER));
	env_free(e);
}

static void test_stopped_vm(void **state)
{
	struct env *e = env_new(false);
	static uint8_t junk[MBOX];
	struct co_vm_exit exit;

	/* Console and mailbox both full, and one poster refused... */
	assert_int_equal(co_vm_post_input(e->vm, junk, MBOX, 0), MBOX);
	guest_op(e, CO_OP_YIELD);
	assert_int_equal(co_vm_post_input(e->vm, junk, MBOX, 0), MBOX);
	assert_int_equal(co_vm_post_input(e->vm, junk, 1, 0), -CO_EBUSY);
	assert_int_equal(e->notifications, 0);

	/* ...is woken when the guest stops, and learns it stopped. */
	e->g->next_op = CO_OP_TERMINATE;
	e->g->next_p[0] = CO_TERM_POWEROFF;
	e->g->next_p[1] = 5;
	e->g->next_p[2] = 0;
	assert_int_equal(co_vm_run(e->vm, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_POWEROFF);
	assert_int_equal(exit.code, 5);
	assert_int_equal(e->notifications, 1);
	assert_int_equal(co_vm_post_input(e->vm, junk, 1, 0), -CO_ESTATE);
	assert_int_equal(co_vm_post_input(e->vm, junk, 0, 0), -CO_ESTATE);
	assert_int_equal(co_vm_post_power(e->vm, CO_POWER_SHUTDOWN), -CO_ESTATE);
	assert_int_equal(e->notifications, 1);

	/* A reset opens it again, empty. */
	assert_int_equal(co_vm_post_input(e->vm, junk, 1, 0), -CO_ESTATE);
	assert_int_equal(co_vm_reset(e->vm), 0);
	assert_int_equal(co_vm_post_input(e->vm, junk, MBOX, CO_POST_ALL), MBOX);
	assert_int_equal(co_vm_post_power(e->vm, CO_POWER_SHUTDOWN), 0);
	env_free(e);
}

/* A refused poster hears of a reset too: a retry finds room. */
static void test_reset_wakes_refused(void **state)
{
	struct env *e = env_new(false);
	static uint8_t junk[MBOX];

	assert_int_equal(co_vm_post_input(e->vm, junk, MBOX, 0), MBOX);
	assert_int_equal(co_vm_post_input(e->vm, junk, 1, 0), -CO_EBUSY);
	assert_int_equal(co_vm_reset(e->vm), 0);
	assert_int_equal(e->notifications, 1);
	assert_int_equal(co_vm_post_input(e->vm, junk, 1, 0), 1);
	env_free(e);
}

/* A broken ring found while draining stops the VM before the next entry. */
static void test_drain_stops_vm(void **state)
{
	struct env *e = env_new(true);
	struct co_vm_exit exit;
	unsigned int entries = e->g->entries;

	e->in.ctl->req_prod = 1000;
	assert_int_equal(co_vm_post_input(e->vm, "x", 1, 0), 1);
	assert_int_equal(co_vm_run(e->vm, &exit), 0);
	assert_int_equal(exit.reason, CO_TERM_PROTOCOL);
	assert_non_null(strstr(exit.text, "queue 1"));
	assert_int_equal(e->g->entries, entries);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posts_from_another_thread),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_full_mailbox_and_room),
		cmocka_unit_test(test_input_wraps),
		cmocka_unit_test(test_power_events),
		cmocka_unit_test(test_stopped_vm),
		cmocka_unit_test(test_reset_wakes_refused),
		cmocka_unit_test(test_drain_stops_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
