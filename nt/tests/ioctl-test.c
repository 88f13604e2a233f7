// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-test.exe KERNEL: drives colinux.sys through its IOCTLs and checks
 * that every malformed request is refused, that a VM is reachable only
 * through the handle that created it, that images must arrive in order,
 * that console input is taken whole or refused, and that closing a
 * handle frees every page and heap block the VM had.
 * Runs wherever the driver runs (ci/build-nt: under Wine). Exit 0 when
 * every check passed.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <colinux/config.h>
#include <colinux/monitor.h>
#include <colinux/nt/ioctl.h>

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/*
 * The driver admits callers with the load-driver privilege enabled;
 * administrators hold it, disabled until asked for.
 */
static void enable_load_driver_privilege(void)
{
	TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
	HANDLE tok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &tok))
		return;
	if (LookupPrivilegeValueA(NULL, "SeLoadDriverPrivilege",
				  &tp.Privileges[0].Luid)) {
		tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
		AdjustTokenPrivileges(tok, FALSE, &tp, sizeof(tp), NULL, NULL);
	}
	CloseHandle(tok);
}

static HANDLE open_dev(void)
{
	return CreateFileA(CO_NT_USER_PATH, GENERIC_READ | GENERIC_WRITE, 0,
			   NULL, OPEN_EXISTING, 0, NULL);
}

static BOOL raw(HANDLE h, DWORD code, const void *in, DWORD in_len,
		void *out, DWORD out_len, DWORD *got)
{
	return DeviceIoControl(h, code, (void *)in, in_len, out, out_len, got,
			       NULL);
}

/* A request answered by co_nt_reply: its err, or 1000 if none came. */
static int req(HANDLE h, DWORD code, const void *in, DWORD in_len,
	       struct co_nt_reply *r)
{
	DWORD got = 0;

	memset(r, 0, sizeof(*r));
	if (!raw(h, code, in, in_len, r, sizeof(*r), &got) || got != sizeof(*r))
		return 1000;
	return r->err;
}

static void info(HANDLE h, struct co_nt_info *i)
{
	DWORD got = 0;

	memset(i, 0, sizeof(*i));
	CHECK(raw(h, CO_NT_IOC_INFO, NULL, 0, i, sizeof(*i), &got) &&
	      got == sizeof(*i), "INFO answered");
}

static struct co_nt_create *good_create(void)
{
	struct co_nt_create *q = calloc(1, sizeof(*q));

	q->ioctl_version = CO_NT_IOCTL_VERSION;
	q->mem_mb = 16;
	q->cocon_cols = 80;
	q->cocon_rows = 25;
	q->cmdline_len = 4;
	memcpy(q->cmdline, "demo", 5);
	return q;
}

static int load(HANDLE h, uint32_t what, uint64_t total, uint64_t off,
		const uint8_t *data, uint32_t len, struct co_nt_reply *r)
{
	struct co_nt_load *q = malloc(sizeof(*q) + len);
	int err;

	q->what = what;
	q->chunk_len = len;
	q->total_len = total;
	q->offset = off;
	memcpy(q->data, data, len);
	err = req(h, CO_NT_IOC_LOAD, q, sizeof(*q) + len, r);
	free(q);
	return err;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n);
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void bad_creates(HANDLE a)
{
	struct co_nt_create *q = good_create();
	struct co_nt_reply r;

	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q) - 1, &r) == -CO_EINVAL,
	      "short CREATE refused: %s", r.text);
	q->ioctl_version = 99;
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL &&
	      strstr(r.text, "version"), "CREATE of another version refused: %s", r.text);
	q->ioctl_version = CO_NT_IOCTL_VERSION;
	q->mem_mb = 1;
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL,
	      "CREATE with 1 MiB refused: %s", r.text);
	q->mem_mb = 16;
	q->cmdline[4] = 'x';
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL,
	      "unterminated command line refused: %s", r.text);
	q->cmdline[4] = '\0';
	q->cobd[3].present = 1;
	memset(q->cobd[3].path, 'a', sizeof(q->cobd[3].path));
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL &&
	      strstr(r.text, "terminated"), "unterminated path refused: %s", r.text);
	memset(&q->cobd[3], 0, sizeof(q->cobd[3]));
	q->eth[0].kind = 7;
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL,
	      "unknown network kind refused: %s", r.text);
	q->eth[0].kind = CO_NET_PCAP;
	memset(q->eth[0].path, 'a', sizeof(q->eth[0].path));
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL &&
	      strstr(r.text, "terminated"), "unterminated capture path refused: %s", r.text);
	q->eth[0].kind = CO_NET_SLIRP;
	q->eth[0].nr_forwards = CO_NT_MAX_FORWARDS + 1;
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_EINVAL,
	      "too many port forwards refused: %s", r.text);
	free(q);
}

static void bad_loads(HANDLE a, const uint8_t *k, size_t klen)
{
	struct co_nt_reply r;
	uint8_t junk[64] = { 0 };

	CHECK(load(a, CO_NT_LOAD_KERNEL, klen, 4096, k, 16, &r) == -CO_EINVAL,
	      "chunk at offset 4096 first refused: %s", r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, 0, 0, k, 0, &r) == -CO_ERANGE,
	      "empty image refused: %s", r.text);
	CHECK(load(a, 9, klen, 0, k, 16, &r) == -CO_EINVAL,
	      "unknown image kind refused: %s", r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, 1ULL << 40, 0, k, 16, &r) == -CO_ERANGE,
	      "1 TiB kernel refused: %s", r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, klen, 0, k, 4096, &r) == 0,
	      "first chunk taken: %s", r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, klen + 1, 4096, k + 4096, 16, &r) ==
	      -CO_EINVAL, "chunk with another total refused: %s", r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, klen, 4096, k + 4096, 16, &r) ==
	      -CO_EINVAL, "chunk after a refused one refused (image dropped): %s",
	      r.text);
	CHECK(load(a, CO_NT_LOAD_KERNEL, sizeof(junk), 0, junk, sizeof(junk),
		   &r) < 0 && strstr(r.text, "ELF"),
	      "junk kernel refused by the loader: %s", r.text);
}

static void bad_requests(HANDLE a)
{
	struct co_nt_reply r;
	struct co_nt_run run = { 100, 0 };
	struct co_nt_run_reply *rr = calloc(1, sizeof(*rr));
	struct co_nt_power pw = { 77, 0 };
	struct co_nt_frame *fr = calloc(1, sizeof(*fr));
	struct co_nt_info i;
	uint8_t in[16] = { 0 };
	DWORD got;

	((struct co_nt_input *)in)->len = CO_NT_INPUT_MAX + 1;
	CHECK(req(a, CO_NT_IOC_INPUT, in, sizeof(in), &r) == -CO_EINVAL,
	      "oversized INPUT refused: %s", r.text);
	CHECK(req(a, CO_NT_IOC_POWER, &pw, sizeof(pw), &r) == -CO_EINVAL,
	      "unknown power event refused: %s", r.text);
	fr->unit = 99;
	fr->len = 60;
	CHECK(req(a, CO_NT_IOC_NET_SEND, fr, 8 + 60, &r) == -CO_EINVAL,
	      "frame for unit 99 refused: %s", r.text);
	fr->unit = 0;
	CHECK(req(a, CO_NT_IOC_NET_SEND, fr, 8 + 60, &r) == -CO_ENOENT,
	      "frame for a unit that is not relayed refused: %s", r.text);
	CHECK(raw(a, CO_NT_IOC_NET_RECV, NULL, 0, fr, sizeof(*fr), &got) &&
	      got == 8 && fr->len == 0, "NET_RECV with nothing queued: empty");
	CHECK(!raw(a, CO_NT_IOC_INFO, NULL, 0, &i, sizeof(i) - 1, &got),
	      "INFO into a short buffer refused");
	CHECK(!raw(a, CO_NT_IOC_RUN, &run, sizeof(run) + 1, rr, sizeof(*rr), &got),
	      "RUN of the wrong size refused");
	CHECK(raw(a, CO_NT_IOC_RUN, &run, sizeof(run), rr, sizeof(*rr), &got) &&
	      rr->err == -CO_ESTATE, "RUN before START refused (err %d)", rr->err);
	CHECK(req(a, CO_NT_CTL(0x8ff), NULL, 0, &r) == -CO_EINVAL,
	      "unknown request refused: %s", r.text);
	CHECK(!raw(a, CO_NT_CTL(0x801) | 2, NULL, 0, &i, sizeof(i), &got),
	      "request with another transfer method refused");
	free(rr);
	free(fr);
}

/*
 * INPUT and POWER go into the VM's mailbox, which takes posts before the
 * VM runs: whole requests until it is full, then -CO_EBUSY (the daemon
 * retries), never part of one.
 */
static void posted_input(HANDLE a, HANDLE b)
{
	struct {
		struct co_nt_input h;
		uint8_t bytes[CO_NT_INPUT_MAX];
	} q;
	struct co_nt_power pw = { CO_POWER_SHUTDOWN, 0 };
	struct co_nt_reply r;
	unsigned int i, fit = CO_VM_MAILBOX_INPUT / CO_NT_INPUT_MAX;
	int err = 0;

	memset(&q, 'k', sizeof(q));
	q.h.pad = 0;
	for (i = 0; i < 2; i++) {
		q.h.len = i;
		CHECK(req(a, CO_NT_IOC_INPUT, &q, sizeof(q.h) + i, &r) == 0,
		      "INPUT of %u bytes taken: %s", i, r.text);
	}
	/* One byte in: the last full request does not fit. */
	q.h.len = CO_NT_INPUT_MAX;
	for (i = 0; i + 1 < fit && !err; i++)
		err = req(a, CO_NT_IOC_INPUT, &q, sizeof(q), &r);
	CHECK(!err, "%u full INPUT requests taken: %d %s", fit - 1, err, r.text);
	CHECK(req(a, CO_NT_IOC_INPUT, &q, sizeof(q), &r) == -CO_EBUSY &&
	      strstr(r.text, "try again"),
	      "INPUT that does not fit whole refused: %s", r.text);
	q.h.len = CO_NT_INPUT_MAX - 1;
	CHECK(req(a, CO_NT_IOC_INPUT, &q, sizeof(q.h) + q.h.len, &r) == 0,
	      "INPUT that fits exactly taken: %s", r.text);
	q.h.len = 1;
	CHECK(req(a, CO_NT_IOC_INPUT, &q, sizeof(q.h) + 1, &r) == -CO_EBUSY,
	      "INPUT into a full mailbox refused: %s", r.text);
	CHECK(req(a, CO_NT_IOC_POWER, &pw, sizeof(pw), &r) == 0,
	      "POWER taken: %s", r.text);
	CHECK(req(b, CO_NT_IOC_INPUT, &q, sizeof(q.h) + 1, &r) == -CO_ESTATE &&
	      req(b, CO_NT_IOC_POWER, &pw, sizeof(pw), &r) == -CO_ESTATE,
	      "INPUT and POWER without a VM refused: %s", r.text);
}

int main(int argc, char **argv)
{
	struct co_nt_info base, now;
	struct co_nt_create *q;
	struct co_nt_reply r;
	HANDLE a, b, c;
	uint8_t *k;
	size_t klen, half;
	int err;

	if (argc != 2 || !(k = read_all(argv[1], &klen)) || klen < 8192) {
		fprintf(stderr, "usage: ioctl-test KERNEL.elf (at least 8 KiB)\n");
		return 2;
	}
	enable_load_driver_privilege();
	c = open_dev();
	if (c == INVALID_HANDLE_VALUE) {
		printf("FAIL: cannot open %s (error %lu)\n", CO_NT_USER_PATH,
		       GetLastError());
		return 1;
	}
	info(c, &base);
	a = open_dev();
	b = open_dev();

	CHECK(req(b, CO_NT_IOC_START, NULL, 0, &r) == -CO_ESTATE &&
	      r.state == CO_NT_NO_VM, "START without a VM refused: %s", r.text);
	bad_creates(a);
	q = good_create();
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == 0 &&
	      r.state == 0, "CREATE: %s", r.text);
	CHECK(req(a, CO_NT_IOC_CREATE, q, sizeof(*q), &r) == -CO_ESTATE,
	      "second CREATE on the handle refused: %s", r.text);
	free(q);

	/* Handle b sees none of a's VM. */
	CHECK(load(b, CO_NT_LOAD_KERNEL, klen, 0, k, 4096, &r) == -CO_ESTATE,
	      "LOAD through another handle refused: %s", r.text);
	CHECK(req(b, CO_NT_IOC_DESTROY, NULL, 0, &r) == -CO_ESTATE,
	      "DESTROY through another handle refused: %s", r.text);

	bad_loads(a, k, klen);
	bad_requests(a);
	posted_input(a, b);
	half = klen / 2;
	CHECK(load(a, CO_NT_LOAD_KERNEL, klen, 0, k, (uint32_t)half, &r) == 0 &&
	      load(a, CO_NT_LOAD_KERNEL, klen, half, k + half,
		   (uint32_t)(klen - half), &r) == 0 && r.state == 1,
	      "kernel loaded in two chunks: %s (state %u)", r.text, r.state);
	info(c, &now);
	CHECK(now.pages_live >= base.pages_live + 16 * 256,
	      "the VM holds its RAM (%lld pages, %lld before)",
	      (long long)now.pages_live, (long long)base.pages_live);
	err = req(a, CO_NT_IOC_START, NULL, 0, &r);
	CHECK(err == 0 || (err == -CO_ENOTSUP && !now.run_ok),
	      "START: %d %s", err, r.text);
	if (err)
		printf("note: START refused as the driver said it would: %s\n", r.text);

	/* Close without DESTROY: the handle takes the VM with it. */
	CloseHandle(a);
	CloseHandle(b);
	info(c, &now);
	CHECK(now.pages_live == base.pages_live && now.heap_live == base.heap_live,
	      "closing the handles freed everything (pages %lld/%lld, heap %lld/%lld)",
	      (long long)now.pages_live, (long long)base.pages_live,
	      (long long)now.heap_live, (long long)base.heap_live);
	CloseHandle(c);
	free(k);
	printf("ioctl-test: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
