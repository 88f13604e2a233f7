// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the run loop. At every switch back from the guest the
 * monitor decodes one operation, then serves every queue whose doorbell
 * rang (whatever the operation was), lets the devices do their host-side
 * work, and goes back in. Completions and interrupts raised meanwhile are
 * waiting in shared memory at the next entry. Before every entry, and at
 * every wake-up of an idle guest, what other threads posted (mailbox.c)
 * goes to the devices.
 */
#include <colinux/lib.h>
#include "internal/passage.h"
#include "internal/vm.h"

void co_vm_raise_irq(struct co_vm *vm, unsigned int line)
{
	if (line >= CO_IRQ_LINES)
		return;
	co_bit_set(vm->shared->irq_pending, line);
	vm->stats.irqs_raised++;
	/* Raised from inside co_host_event_wait (network): end the wait. */
	co_host_event_signal(vm->wake);
}

void co_vm_terminate(struct co_vm *vm, int reason, int code,
		     const char *fmt, ...)
{
	va_list ap;

	if (vm->stopping)
		return;
	vm->stopping = true;
	vm->exit.reason = reason;
	vm->exit.code = code;
	va_start(ap, fmt);
	co_vsnprintf(vm->exit.text, sizeof(vm->exit.text), fmt, ap);
	va_end(ap);
	co_log(reason >= CO_TERM_PROTOCOL ? CO_LOG_ERROR : CO_LOG_INFO,
	       "vm stopped: %s%s%s", co_term_reason_name(reason),
	       vm->exit.text[0] ? ": " : "", vm->exit.text);
}

static bool irq_deliverable(struct co_vm *vm)
{
	struct co_passage_shared *sh = vm->shared;
	unsigned int w;

	for (w = 0; w < CO_IRQ_LINES / 64; w++) {
		if (CO_READ_ONCE(sh->irq_pending[w]) & ~CO_READ_ONCE(sh->irq_mask[w]))
			return true;
	}
	return false;
}

static void devices_poll(struct co_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_dev && !vm->stopping; i++) {
		if (vm->dev[i]->ops->poll)
			vm->dev[i]->ops->poll(vm->dev[i]);
	}
}

static uint64_t next_deadline(struct co_vm *vm)
{
	uint64_t deadline = CO_NO_DEADLINE;
	unsigned int i;

	for (i = 0; i < vm->nr_dev; i++) {
		struct co_device *dev = vm->dev[i];

		if (dev->ops->next_deadline)
			deadline = CO_MIN(deadline, dev->ops->next_deadline(dev));
	}
	return deadline;
}

static bool kicked(struct co_vm *vm)
{
	return __atomic_load_n(&vm->kicked, __ATOMIC_SEQ_CST);
}

/*
 * A device whose deadline stays in the past after its poll would make the
 * idle loop spin; this many passes without sleeping means a device bug.
 */
#define CO_IDLE_MAX_SPINS	100000

/* CO_OP_IDLE: sleep until an unmasked interrupt is pending. */
static void idle(struct co_vm *vm)
{
	unsigned int spins = 0;

	for (;;) {
		uint64_t deadline;
		int err;

		/* Woken by a post, perhaps: that is what it brought. */
		co_mailbox_drain(vm);
		devices_poll(vm);
		if (vm->stopping || irq_deliverable(vm) || kicked(vm))
			return;
		deadline = next_deadline(vm);
		if (deadline <= co_host_monotonic_ns() &&
		    ++spins > CO_IDLE_MAX_SPINS) {
			co_vm_terminate(vm, CO_TERM_HOST, 0,
					"a device keeps a deadline in the past while the guest idles (monitor bug)");
			return;
		}
		err = co_host_event_wait(vm->wake, deadline);
		if (err == -CO_EBUSY) {
			co_vm_terminate(vm, CO_TERM_DEADLOCK, 0,
					"the guest went idle with no timer set, no interrupt unmasked and pending, and nothing on the host that could wake it");
			return;
		}
	}
}

static void doorbells(struct co_vm *vm)
{
	struct co_passage_shared *sh = vm->shared;
	unsigned int w;

	for (w = 0; w < CO_MAX_QUEUES / 64 && !vm->stopping; w++) {
		uint64_t bits = co_bits_take(&sh->doorbell[w]);

		while (bits && !vm->stopping) {
			unsigned int bit = __builtin_ctzll(bits);
			struct co_queue *q = vm->queue[w * 64 + bit];

			bits &= bits - 1;
			/* A doorbell on a queue nobody owns is ignored. */
			if (q && q->ready && q->dev->ops->process)
				q->dev->ops->process(q->dev, q);
		}
	}
}

/* Text the guest put in the shared page; @len was read once. */
static bool take_text(struct co_vm *vm, uint64_t len, char *buf, size_t size)
{
	if (len >= size || len >= CO_TEXT_SIZE) {
		co_vm_terminate(vm, CO_TERM_PROTOCOL, 0,
				"text length %llu exceeds the %u-byte text area",
				(unsigned long long)len, CO_TEXT_SIZE - 1);
		return false;
	}
	co_memcpy(buf, vm->shared->text, len);
	buf[len] = '\0';
	return true;
}

static void op_terminate(struct co_vm *vm, const uint64_t *p)
{
	char text[CO_TEXT_SIZE];

	if (p[0] >= CO_TERM_PROTOCOL) {
		co_vm_terminate(vm, CO_TERM_PROTOCOL, 0,
				"terminate with reason %llu, which only the host may use",
				(unsigned long long)p[0]);
		return;
	}
	if (!take_text(vm, p[2], text, sizeof(text)))
		return;
	co_vm_terminate(vm, (int)p[0], (int)p[1], "%s", text);
}

/*
 * A log line takes less than the text area (co_log's buffer), and an
 * early console (Linux's) writes several lines at once: one log line per
 * line of text, a long one in pieces, a final newline ending the last.
 */
#define DEBUG_PIECE	400

static void op_debug_print(struct co_vm *vm, const uint64_t *p)
{
	char text[CO_TEXT_SIZE];
	size_t len, start, end;

	if (!take_text(vm, p[0], text, sizeof(text)))
		return;
	len = co_strlen(text);
	for (start = 0; start < len; start = end) {
		end = start;
		while (end < len && text[end] != '\n' && end - start < DEBUG_PIECE)
			end++;
		co_info("guest: %.*s", (int)(end - start), text + start);
		if (end < len && text[end] == '\n')
			end++;
	}
}

static int32_t op_queue_setup(struct co_vm *vm, const uint64_t *p)
{
	struct co_queue *q = p[0] < CO_MAX_QUEUES ? vm->queue[p[0]] : NULL;
	int err;

	if (!q || p[2] > CO_RING_MAX_LOG2)
		return CO_ST_INVAL;
	err = co_queue_setup(q, p[1], (unsigned int)p[2]);
	if (err == -CO_EFAULT)
		return CO_ST_FAULT;
	return err ? CO_ST_INVAL : CO_ST_OK;
}

/*
 * p0: the deadline in host monotonic ns (0: off), or with
 * CO_TIMER_RELATIVE in p1, ns from now: a one-shot clock event then costs
 * the guest one switch, not a GET_TIME first. Unknown flags are an error
 * completion, the timer untouched.
 */
static int32_t op_set_timer(struct co_vm *vm, const uint64_t *p)
{
	uint64_t deadline = p[0], now;

	if (p[1] & ~(uint64_t)CO_TIMER_RELATIVE)
		return CO_ST_INVAL;
	if (p[1] & CO_TIMER_RELATIVE) {
		now = co_host_monotonic_ns();
		/* 0 from now is due now, not "off"; the sum saturates. */
		deadline = deadline > UINT64_MAX - now ? UINT64_MAX : now + deadline;
		if (!deadline)
			deadline = 1;
	}
	co_timer_set(vm->timer, deadline);
	return CO_ST_OK;
}

static void op_forward_irq(struct co_vm *vm, const uint64_t *p)
{
	if (p[0] < 32 || p[0] > 255) {
		co_vm_terminate(vm, CO_TERM_PROTOCOL, 0,
				"forwarded vector %llu is not an external interrupt",
				(unsigned long long)p[0]);
		return;
	}
	vm->stats.host_irqs++;
	if (vm->cpu->host_irq)
		vm->cpu->host_irq(vm->cpu_priv, (unsigned int)p[0]);
}

static void handle_op(struct co_vm *vm)
{
	struct co_passage_shared *sh = vm->shared;
	uint32_t op = CO_READ_ONCE(sh->op);
	uint64_t p[CO_PARAMS];
	int32_t result = CO_ST_OK;
	unsigned int i;

	for (i = 0; i < CO_PARAMS; i++)
		p[i] = CO_READ_ONCE(sh->param[i]);
	if (op < CO_OP_MAX)
		vm->stats.ops[op]++;
	if (vm->op_trace)
		vm->op_trace(vm->op_trace_ctx, vm, op, p);
	/*
	 * Queues first: a guest that rings a doorbell and then idles must
	 * see its completions' interrupts, not sleep on them.
	 */
	doorbells(vm);
	/*
	 * A ring found broken there stopped the VM: nothing more of the
	 * guest's is carried out, and the operation stays unanswered.
	 */
	if (vm->stopping)
		return;

	switch (op) {
	case CO_OP_IDLE:
		idle(vm);
		break;
	case CO_OP_TERMINATE:
		op_terminate(vm, p);
		break;
	case CO_OP_NOTIFY:
	case CO_OP_YIELD:
		break;
	case CO_OP_FORWARD_IRQ:
		op_forward_irq(vm, p);
		break;
	case CO_OP_GET_TIME:
		sh->param[0] = co_host_monotonic_ns();
		sh->param[1] = co_host_wallclock_ns();
		break;
	case CO_OP_SET_TIMER:
		result = op_set_timer(vm, p);
		break;
	case CO_OP_DEBUG_PRINT:
		op_debug_print(vm, p);
		break;
	case CO_OP_QUEUE_SETUP:
		result = op_queue_setup(vm, p);
		break;
	default:
		co_vm_terminate(vm, CO_TERM_PROTOCOL, 0,
				"unknown operation %u", op);
		return;
	}
	sh->result = result;
	sh->op = CO_OP_RETURN;
}

int co_vm_run(struct co_vm *vm, struct co_vm_exit *exit)
{
	if (vm->state != CO_VM_STARTED && vm->state != CO_VM_RUNNING)
		return -CO_ESTATE;
	vm->state = CO_VM_RUNNING;

	while (!vm->stopping) {
		if (__atomic_exchange_n(&vm->kicked, false, __ATOMIC_SEQ_CST))
			return -CO_EBUSY;
		co_mailbox_drain(vm);
		if (vm->stopping)
			break;
		co_time_record_entry(vm);
		if (vm->cpu->enter(vm->cpu_priv, &vm->exit)) {
			/* The back-end filled vm->exit. */
			vm->stopping = true;
			co_err("vm stopped: %s: %s",
			       co_term_reason_name(vm->exit.reason),
			       vm->exit.text);
			break;
		}
		vm->stats.switches++;
		co_passage_check_exit(vm);
		if (vm->stopping)
			break;
		handle_op(vm);
		devices_poll(vm);
	}
	vm->state = CO_VM_STOPPED;
	co_mailbox_close(vm);
	*exit = vm->exit;
	return 0;
}

void co_vm_set_op_trace(struct co_vm *vm, co_vm_op_trace_fn *fn, void *ctx)
{
	vm->op_trace = fn;
	vm->op_trace_ctx = fn ? ctx : NULL;
}
