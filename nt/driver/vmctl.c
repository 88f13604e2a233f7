// SPDX-License-Identifier: GPL-2.0
/*
 * The IOCTLs of one handle: create a VM from the daemon's parsed
 * configuration, load images in chunks, start, run (the guest runs on the
 * calling thread, inside the RUN request), console input and output,
 * network frames, power events, destroy.
 *
 * Everything from user space is checked before use: exact request sizes,
 * reply room, versions, string termination, every count and offset. The
 * system buffer is the driver's own copy (METHOD_BUFFERED), so nothing is
 * read twice from memory the caller can change.
 */
#include "driver.h"
#include <colinux/config.h>

/* The kernel loader's own ceiling (CO_ELF_MAX_IMAGE). */
#define IMAGE_LIMIT	(1ULL << 30)

/* Serialises co_vm_create, which binds the net relay of the new VM. */
static KMUTEX create_lock;
static bool create_lock_ready;

static void mutex_lock(KMUTEX *m)
{
	KeWaitForSingleObject(m, Executive, KernelMode, FALSE, NULL);
}

static void mutex_unlock(KMUTEX *m)
{
	KeReleaseMutex(m, FALSE);
}

/*
 * Kick the handle's VM out of co_vm_run, from any thread: vm_destroy
 * clears c->vm under the same lock before the VM goes away.
 */
static void ctx_kick(struct co_nt_ctx *c)
{
	KIRQL irql;

	KeAcquireSpinLock(&c->lock, &irql);
	if (c->vm)
		co_vm_kick(c->vm);
	KeReleaseSpinLock(&c->lock, irql);
}

static void relay_notify(void *arg)
{
	ctx_kick(arg);
}

static void run_timeout(void *arg)
{
	struct co_nt_ctx *c = arg;

	InterlockedExchange(&c->timed_out, 1);
	ctx_kick(c);
}

struct co_nt_ctx *co_nt_ctx_new(void)
{
	struct co_nt_ctx *c = co_host_zalloc(sizeof(*c));

	if (!c)
		return NULL;
	/* DriverEntry runs before the first create: no race on this. */
	if (!create_lock_ready) {
		KeInitializeMutex(&create_lock, 0);
		create_lock_ready = true;
	}
	KeInitializeMutex(&c->ctl, 0);
	KeInitializeSpinLock(&c->lock);
	co_nt_relay_init(&c->relay, relay_notify, c);
	c->con_out = co_host_alloc(CO_NT_CONSOLE_BUF);
	c->run_timer = co_host_timer_create(run_timeout, c);
	if (!c->con_out || !c->run_timer) {
		co_nt_ctx_free(c);
		return NULL;
	}
	return c;
}

static void load_reset(struct co_nt_ctx *c)
{
	co_host_free(c->load_buf);
	c->load_buf = NULL;
	c->load_what = 0;
	c->load_total = c->load_got = 0;
}

static void vm_destroy(struct co_nt_ctx *c)
{
	struct co_vm *vm = c->vm;
	KIRQL irql;

	if (!vm)
		return;
	KeAcquireSpinLock(&c->lock, &irql);
	c->vm = NULL;
	KeReleaseSpinLock(&c->lock, irql);
	co_vm_destroy(vm);
	load_reset(c);
	c->con_head = c->con_len = 0;
}

void co_nt_ctx_closing(struct co_nt_ctx *c)
{
	InterlockedExchange(&c->closing, 1);
	ctx_kick(c);
}

void co_nt_ctx_free(struct co_nt_ctx *c)
{
	if (c->run_timer)
		co_host_timer_destroy(c->run_timer);
	vm_destroy(c);
	co_host_free(c->con_out);
	co_host_free(c);
}

/* ---- helpers ------------------------------------------------------------ */

static size_t reply(struct co_nt_ctx *c, void *buf, int err)
{
	struct co_nt_reply *r = buf;

	r->err = err;
	r->state = c->vm ? (uint32_t)co_vm_state(c->vm) : CO_NT_NO_VM;
	r->text[0] = '\0';
	if (err) {
		co_nt_log_last(r->text, sizeof(r->text));
		if (!r->text[0])
			co_snprintf(r->text, sizeof(r->text), "%s",
				    co_strerror(err));
	}
	return sizeof(*r);
}

static size_t reply_text(struct co_nt_ctx *c, void *buf, int err,
			 const char *text)
{
	struct co_nt_reply *r = buf;

	reply(c, buf, err);
	co_snprintf(r->text, sizeof(r->text), "%s", text);
	return sizeof(*r);
}

/* A fixed-size string from user space must be terminated inside its field. */
static bool terminated(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (!s[i])
			return true;
	return false;
}

/* ---- create ------------------------------------------------------------- */

static int copy_path(char **dst, const char *src, char *err, size_t errlen,
		     const char *what)
{
	if (!terminated(src, CO_NT_PATH_MAX)) {
		co_snprintf(err, errlen, "%s: path not terminated", what);
		return -CO_EINVAL;
	}
	*dst = co_strdup(src);
	return *dst ? 0 : -CO_ENOMEM;
}

static int eth_from_request(struct co_conet_config *e,
			    const struct co_nt_eth *q, char *err, size_t errlen)
{
	unsigned int i;

	if (q->kind > CO_NET_LOOP || q->nr_forwards > CO_NT_MAX_FORWARDS ||
	    q->nr_forwards > CO_CONET_MAX_FORWARDS) {
		co_snprintf(err, errlen, "network unit: bad kind or forwards");
		return -CO_EINVAL;
	}
	e->kind = (enum co_net_kind)q->kind;
	if (e->kind == CO_NET_NONE)
		return 0;
	e->mac_set = q->mac_set != 0;
	for (i = 0; i < 6; i++)
		e->mac[i] = q->mac[i];
	e->nr_forwards = q->nr_forwards;
	for (i = 0; i < q->nr_forwards; i++) {
		e->forward[i].udp = q->forward[i].udp != 0;
		e->forward[i].host_port = q->forward[i].host_port;
		e->forward[i].guest_port = q->forward[i].guest_port;
	}
	if (e->kind == CO_NET_SLIRP)
		return 0;
	return copy_path(&e->path, q->path, err, errlen, "network unit");
}

/*
 * Rebuild a struct co_config from the request and validate it with the
 * same checks the daemon's parser applied: the request is not trusted to
 * have come from that parser.
 */
static int config_from_request(struct co_config *cfg,
			       const struct co_nt_create *q, char *err,
			       size_t errlen)
{
	unsigned int i;
	int rc;

	co_config_init(cfg);
	if (q->ioctl_version != CO_NT_IOCTL_VERSION) {
		co_snprintf(err, errlen, "daemon speaks IOCTL version %u, driver %u",
			    q->ioctl_version, CO_NT_IOCTL_VERSION);
		return -CO_EINVAL;
	}
	if (q->mem_mb < CO_MEM_MIN_MB || q->mem_mb > CO_MEM_MAX_MB ||
	    q->cocon_cols < CO_COCON_MIN_COLS || q->cocon_cols > CO_COCON_MAX_COLS ||
	    q->cocon_rows < CO_COCON_MIN_ROWS || q->cocon_rows > CO_COCON_MAX_ROWS ||
	    q->cmdline_len >= CO_CMDLINE_SIZE || q->cmdline[q->cmdline_len] ||
	    q->contiguous > 1) {
		co_snprintf(err, errlen, "configuration out of range (mem %u MiB, console %ux%u, command line %u bytes)",
			    q->mem_mb, q->cocon_cols, q->cocon_rows,
			    q->cmdline_len);
		return -CO_EINVAL;
	}
	cfg->mem_bytes = (uint64_t)q->mem_mb << 20;
	cfg->contiguous = q->contiguous;
	cfg->cocon_cols = q->cocon_cols;
	cfg->cocon_rows = q->cocon_rows;
	co_memcpy(cfg->cmdline, q->cmdline, q->cmdline_len + 1);
	cfg->cmdline_len = q->cmdline_len;
	/* The kernel arrives through LOAD; validation wants a name. */
	cfg->kernel = co_strdup("(loaded by colinux-daemon)");
	if (!cfg->kernel)
		return -CO_ENOMEM;
	for (i = 0; i < CO_COBD_UNITS; i++) {
		if (!q->cobd[i].present)
			continue;
		cfg->cobd[i].present = true;
		cfg->cobd[i].readonly = q->cobd[i].readonly != 0;
		rc = copy_path(&cfg->cobd[i].path, q->cobd[i].path, err,
			       errlen, "block device");
		if (rc)
			return rc;
	}
	for (i = 0; i < CO_CONET_UNITS; i++) {
		rc = eth_from_request(&cfg->eth[i], &q->eth[i], err, errlen);
		if (rc)
			return rc;
	}
	return co_config_validate(cfg, err, errlen);
}

static size_t do_create(struct co_nt_ctx *c, void *buf, size_t in_len)
{
	const struct co_nt_create *q = buf;
	struct co_config cfg;
	char err[CO_NT_TEXT];
	struct co_vm *vm;
	int rc;

	if (in_len != sizeof(*q))
		return reply_text(c, buf, -CO_EINVAL, "create: wrong request size");
	if (c->vm)
		return reply_text(c, buf, -CO_ESTATE,
				  "this handle already has a VM");
	err[0] = '\0';
	rc = config_from_request(&cfg, q, err, sizeof(err));
	if (rc) {
		co_config_free(&cfg);
		return reply_text(c, buf, rc, err[0] ? err : co_strerror(rc));
	}
	mutex_lock(&create_lock);
	co_nt_relay_bind(&c->relay);
	rc = co_vm_create(&cfg, &co_nt_cpu_ops, &vm);
	co_nt_relay_bind(NULL);
	mutex_unlock(&create_lock);
	co_config_free(&cfg);
	if (rc)
		return reply(c, buf, rc);
	c->vm = vm;
	co_info("VM created: %u MiB", q->mem_mb);
	return reply(c, buf, 0);
}

/* ---- load --------------------------------------------------------------- */

static int load_finish(struct co_nt_ctx *c, char *err, size_t errlen)
{
	int rc;

	if (c->load_what == CO_NT_LOAD_KERNEL)
		rc = co_vm_load_kernel(c->vm, c->load_buf, c->load_total, err,
				       errlen);
	else
		rc = co_vm_load_initrd(c->vm, c->load_buf, c->load_total, err,
				       errlen);
	load_reset(c);
	return rc;
}

static size_t do_load(struct co_nt_ctx *c, void *buf, size_t in_len)
{
	const struct co_nt_load *q = buf;
	uint64_t limit;
	char err[CO_NT_TEXT] = "";
	int rc;

	if (in_len < sizeof(*q) || q->chunk_len > CO_NT_LOAD_CHUNK_MAX ||
	    in_len != sizeof(*q) + q->chunk_len)
		return reply_text(c, buf, -CO_EINVAL, "load: wrong request size");
	if (!c->vm)
		return reply_text(c, buf, -CO_ESTATE, "load: no VM on this handle");
	if (q->what != CO_NT_LOAD_KERNEL && q->what != CO_NT_LOAD_INITRD)
		return reply_text(c, buf, -CO_EINVAL, "load: unknown image kind");
	limit = q->what == CO_NT_LOAD_KERNEL ? IMAGE_LIMIT :
					       co_vm_ram_size(c->vm);
	if (q->offset == 0) {
		load_reset(c);
		if (!q->total_len || q->total_len > limit)
			return reply_text(c, buf, -CO_ERANGE,
					  "load: image size out of range");
		c->load_buf = co_host_alloc((size_t)q->total_len);
		if (!c->load_buf)
			return reply_text(c, buf, -CO_ENOMEM,
					  "load: no memory for the image");
		c->load_what = q->what;
		c->load_total = q->total_len;
	}
	if (!c->load_buf || q->what != c->load_what ||
	    q->total_len != c->load_total || q->offset != c->load_got ||
	    q->chunk_len > c->load_total - c->load_got) {
		load_reset(c);
		return reply_text(c, buf, -CO_EINVAL,
				  "load: chunk out of order; image dropped");
	}
	co_memcpy(c->load_buf + c->load_got, q->data, q->chunk_len);
	c->load_got += q->chunk_len;
	if (c->load_got < c->load_total)
		return reply(c, buf, 0);
	rc = load_finish(c, err, sizeof(err));
	return rc ? reply_text(c, buf, rc, err[0] ? err : co_strerror(rc)) :
		    reply(c, buf, 0);
}

/* ---- run ---------------------------------------------------------------- */

static void console_out(void *ctx, const char *bytes, size_t len)
{
	struct co_nt_ctx *c = ctx;
	bool was_empty = c->con_len == 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (c->con_len == CO_NT_CONSOLE_BUF) {
			c->con_dropped += (uint32_t)(len - i);
			break;
		}
		c->con_out[(c->con_head + c->con_len) % CO_NT_CONSOLE_BUF] =
			(uint8_t)bytes[i];
		c->con_len++;
	}
	/* Let RUN return the output soon. */
	if (was_empty && c->con_len)
		co_vm_kick(c->vm);
}

static size_t console_take(struct co_nt_ctx *c, uint8_t *dst, size_t room)
{
	size_t n = 0;

	while (n < room && c->con_len) {
		dst[n++] = c->con_out[c->con_head];
		c->con_head = (c->con_head + 1) % CO_NT_CONSOLE_BUF;
		c->con_len--;
	}
	return n;
}

static int run_loop(struct co_nt_ctx *c, struct co_vm_exit *exit,
		    bool *stopped)
{
	int rc;

	for (;;) {
		if (c->con_len || c->closing || c->timed_out ||
		    co_nt_relay_pending(&c->relay))
			return 0;
		rc = co_vm_run(c->vm, exit);
		if (!rc) {
			*stopped = true;
			return 0;
		}
		if (rc != -CO_EBUSY)
			return rc;
	}
}

static size_t do_run(struct co_nt_ctx *c, void *buf, size_t in_len,
		     size_t out_len, NTSTATUS *st)
{
	struct co_nt_run_reply *r = buf;
	struct co_device *con;
	struct co_vm_exit exit;
	enum co_vm_state state;
	bool stopped = false;
	uint32_t timeout;
	int rc = 0;

	if (in_len != sizeof(struct co_nt_run) || out_len < sizeof(*r)) {
		*st = STATUS_INVALID_PARAMETER;
		return 0;
	}
	timeout = ((const struct co_nt_run *)buf)->timeout_ms;
	if (!timeout || timeout > CO_NT_RUN_TIMEOUT_MAX)
		timeout = CO_NT_RUN_TIMEOUT_MAX;
	co_memset(r, 0, sizeof(*r));
	/* RUN is a control request too: DESTROY waits until it returns. */
	mutex_lock(&c->ctl);
	if (!c->vm) {
		rc = -CO_ESTATE;
		goto out;
	}
	state = co_vm_state(c->vm);
	if (state == CO_VM_STOPPED) {
		stopped = true;
		exit.reason = CO_TERM_HOST;
		exit.code = 0;
		co_strlcpy(exit.text, "the VM already stopped", sizeof(exit.text));
	} else if (state != CO_VM_STARTED && state != CO_VM_RUNNING) {
		rc = -CO_ESTATE;
		goto out;
	}
	if (InterlockedCompareExchange(&c->running, 1, 0)) {
		rc = -CO_EBUSY;
		goto out;
	}
	con = co_vm_device(c->vm, CO_DEV_COCON, 0);
	if (con)
		co_cocon_set_output(con, console_out, c);
	InterlockedExchange(&c->timed_out, 0);
	co_host_timer_arm(c->run_timer,
			  co_host_monotonic_ns() + timeout * 1000000ULL);
	if (!stopped)
		rc = run_loop(c, &exit, &stopped);
	co_host_timer_cancel(c->run_timer);
	InterlockedExchange(&c->running, 0);
out:
	r->err = rc;
	r->state = c->vm ? (uint32_t)co_vm_state(c->vm) : CO_NT_NO_VM;
	if (stopped) {
		r->stopped = 1;
		r->reason = exit.reason;
		r->code = exit.code;
		co_memcpy(r->text, exit.text, sizeof(r->text));
		r->text[sizeof(r->text) - 1] = '\0';
	} else if (rc) {
		co_snprintf(r->text, sizeof(r->text), "%s", co_strerror(rc));
	}
	r->console_len = (uint32_t)console_take(c, r->console,
						sizeof(r->console));
	r->console_dropped = c->con_dropped;
	c->con_dropped = 0;
	r->frames_pending = co_nt_relay_pending(&c->relay);
	mutex_unlock(&c->ctl);
	return sizeof(*r);
}

/* ---- posted input --------------------------------------------------------- */

/*
 * INPUT and POWER go straight into the VM's mailbox, from this thread,
 * whether or not a RUN is in progress; the RUN thread's co_vm_run hands
 * them to the guest. Under @lock so that DESTROY cannot free the VM
 * meanwhile (the mailbox takes posts at DISPATCH_LEVEL).
 */
static int post_input(struct co_nt_ctx *c, const uint8_t *bytes, uint32_t len)
{
	KIRQL irql;
	int rc = -CO_ESTATE;

	KeAcquireSpinLock(&c->lock, &irql);
	if (c->vm)
		rc = co_vm_post_input(c->vm, bytes, len, CO_POST_ALL);
	KeReleaseSpinLock(&c->lock, irql);
	return rc;
}

static int post_power(struct co_nt_ctx *c, uint32_t event)
{
	KIRQL irql;
	int rc = -CO_ESTATE;

	KeAcquireSpinLock(&c->lock, &irql);
	if (c->vm)
		rc = co_vm_post_power(c->vm, event);
	KeReleaseSpinLock(&c->lock, irql);
	return rc;
}

static size_t do_input(struct co_nt_ctx *c, void *buf, size_t in_len)
{
	const struct co_nt_input *q = buf;
	int rc;

	if (in_len < sizeof(*q) || q->len > CO_NT_INPUT_MAX ||
	    in_len != sizeof(*q) + q->len)
		return reply_text(c, buf, -CO_EINVAL, "input: wrong request size");
	if (!c->vm)
		return reply_text(c, buf, -CO_ESTATE, "input: no VM on this handle");
	/* All or nothing: the daemon sends the whole request again. */
	rc = post_input(c, q->bytes, q->len);
	if (rc == -CO_EBUSY)
		return reply_text(c, buf, rc, "input: the guest is not reading; try again");
	if (rc == -CO_ESTATE)
		return reply_text(c, buf, rc, "input: the VM has stopped");
	return reply(c, buf, rc < 0 ? rc : 0);
}

static size_t do_power(struct co_nt_ctx *c, void *buf, size_t in_len)
{
	const struct co_nt_power *q = buf;
	int rc;

	if (in_len != sizeof(*q))
		return reply_text(c, buf, -CO_EINVAL, "power: wrong request size");
	if (!c->vm)
		return reply_text(c, buf, -CO_ESTATE, "power: no VM on this handle");
	rc = post_power(c, q->event);
	if (rc == -CO_EINVAL)
		return reply_text(c, buf, rc, "power: unknown event");
	if (rc == -CO_ESTATE)
		return reply_text(c, buf, rc, "power: the VM has stopped");
	return reply(c, buf, rc);
}

static size_t do_net_send(struct co_nt_ctx *c, void *buf, size_t in_len)
{
	const struct co_nt_frame *q = buf;
	int rc;

	if (in_len < 8 || q->len > CO_NT_FRAME_MAX || in_len != 8 + q->len ||
	    q->unit >= CO_CONET_UNITS)
		return reply_text(c, buf, -CO_EINVAL, "net: wrong request size or unit");
	if (!c->vm)
		return reply_text(c, buf, -CO_ESTATE, "net: no VM on this handle");
	rc = co_nt_relay_send(&c->relay, q->unit, q->data, q->len);
	if (!rc)
		ctx_kick(c);
	return rc ? reply_text(c, buf, rc, "net: no relayed unit with that number, or its queue is full") :
		    reply(c, buf, 0);
}

static size_t do_net_recv(struct co_nt_ctx *c, void *buf, size_t out_len,
			  NTSTATUS *st)
{
	struct co_nt_frame *r = buf;
	unsigned int unit = 0;
	int n;

	if (out_len < sizeof(*r)) {
		*st = STATUS_BUFFER_TOO_SMALL;
		return 0;
	}
	n = c->vm ? co_nt_relay_recv(&c->relay, &unit, r->data,
				     sizeof(r->data)) : 0;
	r->unit = unit;
	r->len = (uint32_t)n;
	return 8 + (size_t)n;
}

/* ---- dispatch ----------------------------------------------------------- */

static size_t do_info(void *buf, size_t out_len, NTSTATUS *st)
{
	struct co_nt_info *r = buf;
	long pages, heap;

	if (out_len < sizeof(*r)) {
		*st = STATUS_BUFFER_TOO_SMALL;
		return 0;
	}
	co_memcpy(r, co_nt_info(), sizeof(*r));
	/* Live counts let a test see that closing a handle freed everything. */
	co_nt_host_counts(&pages, &heap);
	r->pages_live = pages;
	r->heap_live = heap;
	return sizeof(*r);
}

static size_t control(struct co_nt_ctx *c, uint32_t code, void *buf,
		      size_t in_len)
{
	int rc;

	switch (code) {
	case CO_NT_IOC_CREATE:
		return do_create(c, buf, in_len);
	case CO_NT_IOC_LOAD:
		return do_load(c, buf, in_len);
	case CO_NT_IOC_START:
		if (!c->vm)
			return reply_text(c, buf, -CO_ESTATE, "start: no VM on this handle");
		rc = co_vm_start(c->vm);
		return reply(c, buf, rc);
	case CO_NT_IOC_DESTROY:
		if (!c->vm)
			return reply_text(c, buf, -CO_ESTATE, "destroy: no VM on this handle");
		vm_destroy(c);
		return reply(c, buf, 0);
	}
	return reply_text(c, buf, -CO_EINVAL, "unknown request");
}

size_t co_nt_ioctl(struct co_nt_ctx *c, uint32_t code, void *buf,
		   size_t in_len, size_t out_len, NTSTATUS *st)
{
	size_t n;

	*st = STATUS_SUCCESS;
	switch (code) {
	case CO_NT_IOC_INFO:
		return do_info(buf, out_len, st);
	case CO_NT_IOC_RUN:
		return do_run(c, buf, in_len, out_len, st);
	case CO_NT_IOC_NET_RECV:
		return do_net_recv(c, buf, out_len, st);
	}
	/* The rest answer with a struct co_nt_reply. */
	if (out_len < sizeof(struct co_nt_reply)) {
		*st = STATUS_BUFFER_TOO_SMALL;
		return 0;
	}
	switch (code) {
	case CO_NT_IOC_INPUT:
		return do_input(c, buf, in_len);
	case CO_NT_IOC_POWER:
		return do_power(c, buf, in_len);
	case CO_NT_IOC_NET_SEND:
		return do_net_send(c, buf, in_len);
	}
	/*
	 * Control requests wait for each other and for RUN, which the kick
	 * ends early.
	 */
	if (c->running)
		ctx_kick(c);
	mutex_lock(&c->ctl);
	co_nt_log_mark();
	n = control(c, code, buf, in_len);
	mutex_unlock(&c->ctl);
	return n;
}
