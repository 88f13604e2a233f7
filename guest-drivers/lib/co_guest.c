// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the passage. See co_guest.h.
 *
 * The shared page is written by the host between our switches only (one
 * CPU), but the bitmaps follow the protocol's atomic rules so that an SMP
 * guest can keep this code.
 */
#include "co_guest.h"

#define LINE_WORD(l)	((l) / 64)
#define LINE_BIT(l)	(1ULL << ((l) % 64))

static void set_bits(uint64_t *w, uint64_t bits)
{
	__atomic_fetch_or(w, bits, __ATOMIC_SEQ_CST);
}

static void clear_bits(uint64_t *w, uint64_t bits)
{
	__atomic_fetch_and(w, ~bits, __ATOMIC_SEQ_CST);
}

static void on_timer(void *ctx, unsigned int line)
{
	struct co_guest *g = ctx;

	(void)line;
	g->timer_fired = true;
	g->timer_deadline = 0;
}

static void on_power(void *ctx, unsigned int line)
{
	struct co_guest *g = ctx;
	uint32_t ev = __atomic_exchange_n(&g->sh->power_event, CO_POWER_NONE,
					  __ATOMIC_SEQ_CST);

	(void)line;
	if (ev != CO_POWER_NONE)
		g->power_event = ev;
}

int co_guest_init(struct co_guest *g, struct co_passage_shared *sh,
		  co_guest_enter_fn *enter)
{
	unsigned int i;

	__builtin_memset(g, 0, sizeof(*g));
	if (!sh || !enter || sh->magic != CO_PASSAGE_MAGIC ||
	    sh->abi_version != CO_ABI_VERSION || sh->size != sizeof(*sh))
		return -1;
	g->sh = sh;
	g->enter = enter;
	for (i = 0; i < CO_IRQ_LINES / 64; i++)
		__atomic_store_n(&sh->irq_mask[i], ~0ULL, __ATOMIC_SEQ_CST);
	co_guest_irq_handler(g, CO_IRQ_TIMER, on_timer, g);
	co_guest_irq_handler(g, CO_IRQ_POWER, on_power, g);
	return 0;
}

void co_guest_set_irq_ops(struct co_guest *g, co_guest_irq_save_fn *save,
			  co_guest_irq_restore_fn *restore)
{
	g->irq_save = save;
	g->irq_restore = restore;
}

/* One whole operation, with optional text, interrupts off throughout. */
static int32_t call(struct co_guest *g, uint32_t op, const uint64_t *in,
		    unsigned int nin, uint64_t *out, unsigned int nout,
		    const char *text, uint64_t *text_len)
{
	struct co_passage_shared *sh = g->sh;
	unsigned long flags = g->irq_save ? g->irq_save() : 0;
	unsigned int i;
	int32_t result;

	if (text) {
		if (*text_len > CO_TEXT_SIZE - 1)
			*text_len = CO_TEXT_SIZE - 1;
		__builtin_memcpy(sh->text, text, *text_len);
	}
	for (i = 0; i < CO_PARAMS; i++)
		sh->param[i] = i < nin ? in[i] : 0;
	__atomic_store_n(&sh->op, op, __ATOMIC_RELEASE);
	g->calls++;
	g->enter();
	result = __atomic_load_n(&sh->result, __ATOMIC_ACQUIRE);
	for (i = 0; i < nout && i < CO_PARAMS; i++)
		out[i] = sh->param[i];
	if (g->irq_restore)
		g->irq_restore(flags);
	return result;
}

int32_t co_guest_call(struct co_guest *g, uint32_t op, const uint64_t *in,
		      unsigned int nin, uint64_t *out, unsigned int nout)
{
	return call(g, op, in, nin, out, nout, NULL, NULL);
}

void co_guest_idle(struct co_guest *g)
{
	co_guest_call(g, CO_OP_IDLE, NULL, 0, NULL, 0);
	co_guest_dispatch(g);
}

void co_guest_yield(struct co_guest *g)
{
	co_guest_call(g, CO_OP_YIELD, NULL, 0, NULL, 0);
	co_guest_dispatch(g);
}

void co_guest_notify(struct co_guest *g)
{
	co_guest_call(g, CO_OP_NOTIFY, NULL, 0, NULL, 0);
	co_guest_dispatch(g);
}

void co_guest_time(struct co_guest *g, uint64_t *mono_ns, uint64_t *wall_ns)
{
	uint64_t t[2];

	co_guest_call(g, CO_OP_GET_TIME, NULL, 0, t, 2);
	if (mono_ns)
		*mono_ns = t[0];
	if (wall_ns)
		*wall_ns = t[1];
}

uint64_t co_guest_now(struct co_guest *g)
{
	uint64_t now;

	co_guest_time(g, &now, NULL);
	return now;
}

void co_guest_set_timer(struct co_guest *g, uint64_t deadline_ns)
{
	co_guest_call(g, CO_OP_SET_TIMER, &deadline_ns, 1, NULL, 0);
	g->timer_deadline = deadline_ns;
	g->timer_fired = false;
}

void co_guest_debug_print(struct co_guest *g, const char *text, size_t len)
{
	uint64_t p = len;

	call(g, CO_OP_DEBUG_PRINT, &p, 1, NULL, 0, text, &p);
}

void co_guest_terminate(struct co_guest *g, unsigned int reason, int code,
			const char *text, size_t len)
{
	uint64_t p[3];

	p[0] = reason;
	p[1] = (uint64_t)(int64_t)code;
	p[2] = len;
	call(g, CO_OP_TERMINATE, p, 3, NULL, 0, text, &p[2]);
}

int32_t co_guest_queue_setup(struct co_guest *g, unsigned int queue,
			     uint64_t ring_gpa, unsigned int log2)
{
	uint64_t p[3] = { queue, ring_gpa, log2 };

	return co_guest_call(g, CO_OP_QUEUE_SETUP, p, 3, NULL, 0);
}

void co_guest_forward_irq(struct co_guest *g, unsigned int vector)
{
	uint64_t p = vector;

	co_guest_call(g, CO_OP_FORWARD_IRQ, &p, 1, NULL, 0);
}

void co_guest_doorbell(struct co_guest *g, unsigned int queue)
{
	if (queue < CO_MAX_QUEUES)
		set_bits(&g->sh->doorbell[LINE_WORD(queue)], LINE_BIT(queue));
}

void co_guest_irq_mask(struct co_guest *g, unsigned int line, bool masked)
{
	if (line >= CO_IRQ_LINES)
		return;
	if (masked)
		set_bits(&g->sh->irq_mask[LINE_WORD(line)], LINE_BIT(line));
	else
		clear_bits(&g->sh->irq_mask[LINE_WORD(line)], LINE_BIT(line));
}

void co_guest_irq_handler(struct co_guest *g, unsigned int line,
			  co_guest_irq_fn *fn, void *ctx)
{
	if (line >= CO_IRQ_LINES)
		return;
	g->handler[line] = fn;
	g->ctx[line] = ctx;
	co_guest_irq_mask(g, line, !fn);
}

bool co_guest_irq_pending(const struct co_guest *g, unsigned int line)
{
	if (line >= CO_IRQ_LINES)
		return false;
	return __atomic_load_n(&g->sh->irq_pending[LINE_WORD(line)],
			       __ATOMIC_ACQUIRE) & LINE_BIT(line);
}

/* Take the pending unmasked lines of word @w. */
static uint64_t take_word(struct co_guest *g, unsigned int w)
{
	uint64_t live = __atomic_load_n(&g->sh->irq_pending[w], __ATOMIC_ACQUIRE) &
			~__atomic_load_n(&g->sh->irq_mask[w], __ATOMIC_ACQUIRE);

	if (live)
		clear_bits(&g->sh->irq_pending[w], live);
	return live;
}

unsigned int co_guest_dispatch(struct co_guest *g)
{
	unsigned int w, ran = 0;
	bool again = true;

	if (g->in_dispatch)
		return 0;
	g->in_dispatch = true;
	/* A handler's own operations may raise more lines: go round again. */
	while (again) {
		again = false;
		for (w = 0; w < CO_IRQ_LINES / 64; w++) {
			uint64_t live = take_word(g, w);

			while (live) {
				unsigned int line = w * 64 + __builtin_ctzll(live);

				live &= live - 1;
				again = true;
				g->irqs[line]++;
				if (g->handler[line]) {
					g->handler[line](g->ctx[line], line);
					ran++;
				}
			}
		}
	}
	g->in_dispatch = false;
	return ran;
}

int co_guest_wait(struct co_guest *g, co_guest_cond_fn *cond, void *ctx,
		  uint64_t deadline_ns)
{
	int ret = 0;

	/* Already true (completions that came back with the last op): no switch. */
	co_guest_dispatch(g);
	if (cond && cond(ctx))
		return 0;
	if (deadline_ns)
		co_guest_set_timer(g, deadline_ns);
	for (;;) {
		co_guest_dispatch(g);
		if (cond && cond(ctx))
			break;
		if (deadline_ns && g->timer_fired) {
			if (co_guest_now(g) >= deadline_ns) {
				ret = -1;
				break;
			}
			/* Early (someone else's deadline): arm ours again. */
			co_guest_set_timer(g, deadline_ns);
		}
		co_guest_idle(g);
	}
	if (deadline_ns && g->timer_deadline)
		co_guest_set_timer(g, 0);
	return ret;
}

int co_guest_wait_for(struct co_guest *g, co_guest_cond_fn *cond, void *ctx,
		      uint64_t timeout_ns)
{
	/* Usually true already (completed with the notify): no clock read. */
	co_guest_dispatch(g);
	if (cond(ctx))
		return 0;
	return co_guest_wait(g, cond, ctx, co_guest_now(g) + timeout_ns);
}

void co_guest_sleep_ns(struct co_guest *g, uint64_t ns)
{
	co_guest_wait(g, NULL, NULL, co_guest_now(g) + ns);
}
