// SPDX-License-Identifier: GPL-2.0
/*
 * colinux-daemon.exe: boot a guest with colinux.sys, console on this
 * terminal.
 *
 *   colinux-daemon [--dry-run] [--verbose] KEY=VALUE ... [@FILE]
 *
 * The configuration is parsed and the kernel checked here, with the same
 * code colinux-sim uses (monitor/config.c, monitor/elf.c), so mistakes are
 * reported before the driver is involved; the driver checks everything it
 * gets again. --dry-run creates the VM, loads the images and tears the
 * VM down without starting it.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <colinux/config.h>
#include <colinux/monitor.h>	/* reason names, exit statuses */
#include <colinux/nt/ioctl.h>
#include "daemon.h"

#define ESCAPE_KEY	0x1d	/* Ctrl-] */


bool co_daemon_verbose;

struct daemon {
	HANDLE dev;
	struct co_config cfg;
	uint8_t *kernel, *initrd;
	size_t kernel_len, initrd_len;
	volatile LONG quit;
	bool warned_frames;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: colinux-daemon [--dry-run] [--verbose] KEY=VALUE ... [@FILE]\n"
"\n"
"Boots a cooperative Linux guest with colinux.sys, console on this terminal.\n"
"Keys, as in the original coLinux:\n"
"  kernel=PATH  initrd=PATH  mem=MB  memwindow=contiguous|paged\n"
"  cobdN=PATH[,ro]  ethN=slirp[,MAC[,tcp:HOST:GUEST]]  ethN=pcap,FILE\n"
"  ethN=loop,NAME  cocon=COLSxROWS  @FILE\n"
"anything else goes on the guest's command line. Press Ctrl-] to quit.\n"
"\n"
"  --dry-run  create the VM, load the images, destroy it; do not start\n"
"  --verbose  more messages\n"
"Exit status: the guest's power-off code; %d guest panic/BUG; %d protocol\n"
"violation; %d CPU fault; %d hung; %d deadlock; %d usage/config error;\n"
"%d bad kernel image; %d host or driver error.\n",
		CO_EXIT_GUEST_ERROR, CO_EXIT_PROTOCOL, CO_EXIT_CPU_FAULT, CO_EXIT_HUNG,
		CO_EXIT_DEADLOCK, CO_EXIT_USAGE, CO_EXIT_BAD_IMAGE, CO_EXIT_HOST);
}


/* ---- talking to the driver --------------------------------------------- */

/*
 * The device is opened for overlapped I/O so that INPUT from the reader
 * thread is not queued behind a RUN in progress; each call still waits.
 */
static bool ioctl(HANDLE dev, DWORD code, const void *in, size_t in_len,
		  void *out, size_t out_len, DWORD *got)
{
	OVERLAPPED ov = { 0 };
	DWORD n = 0;
	BOOL ok;

	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!ov.hEvent)
		return false;
	ok = DeviceIoControl(dev, code, (void *)in, (DWORD)in_len, out,
			     (DWORD)out_len, &n, &ov);
	if (!ok && GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(dev, &ov, &n, TRUE);
	CloseHandle(ov.hEvent);
	if (got)
		*got = n;
	return ok;
}

/* A request answered by struct co_nt_reply; prints the driver's reason. */
static int request(struct daemon *d, DWORD code, const void *in,
		   size_t in_len, const char *what)
{
	struct co_nt_reply r;
	DWORD got;

	memset(&r, 0, sizeof(r));
	if (!ioctl(d->dev, code, in, in_len, &r, sizeof(r), &got) ||
	    got != sizeof(r)) {
		fprintf(stderr, "colinux-daemon: %s: the driver refused the request (Windows error %lu)\n",
			what, GetLastError());
		return -CO_EIO;
	}
	r.text[sizeof(r.text) - 1] = '\0';
	if (r.err)
		fprintf(stderr, "colinux-daemon: %s: %s\n", what, r.text);
	return r.err;
}

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

static int open_device(struct daemon *d)
{
	struct co_nt_info info;
	DWORD got;

	enable_load_driver_privilege();
	d->dev = CreateFileA(CO_NT_USER_PATH, GENERIC_READ | GENERIC_WRITE, 0,
			     NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
	if (d->dev == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "colinux-daemon: cannot open %s (Windows error %lu): is colinux.sys installed and started, and are you an administrator (the load-driver privilege)? (docs/windows.md)\n",
			CO_NT_USER_PATH, GetLastError());
		return -CO_ENOENT;
	}
	if (!ioctl(d->dev, CO_NT_IOC_INFO, NULL, 0, &info, sizeof(info), &got) ||
	    got != sizeof(info) || info.ioctl_version != CO_NT_IOCTL_VERSION) {
		fprintf(stderr, "colinux-daemon: colinux.sys is another version than this daemon (IOCTL version %u, want %u)\n",
			got == sizeof(info) ? info.ioctl_version : 0,
			CO_NT_IOCTL_VERSION);
		return -CO_EPROTO;
	}
	info.why[sizeof(info.why) - 1] = '\0';
	if (!info.run_ok)
		fprintf(stderr, "colinux-daemon: note: guests cannot run on this machine: %s\n",
			info.why);
	if (co_daemon_verbose)
		fprintf(stderr, "colinux-daemon: driver at CPL %u, CR4 0x%llx, EFER 0x%llx, pages from %s\n",
			info.cpl, (unsigned long long)info.cr4,
			(unsigned long long)info.efer,
			info.page_source == CO_NT_PAGES_MDL ? "MDLs" : "pool");
	return 0;
}

/* ---- the configuration, as the driver wants it ------------------------- */

/* An absolute NT path ("\??\C:\dir\file") in UTF-8. */
static int nt_path(const char *path, char *out, size_t size)
{
	wchar_t *w = co_daemon_wide(path), full[CO_NT_PATH_MAX];
	const wchar_t *tail;
	const char *prefix = "\\??\\";
	char utf8[CO_NT_PATH_MAX];
	DWORD n;
	int len;

	if (!w)
		return -CO_EINVAL;
	n = GetFullPathNameW(w, CO_NT_PATH_MAX, full, NULL);
	free(w);
	if (!n || n >= CO_NT_PATH_MAX)
		return -CO_ERANGE;
	tail = full;
	if (!wcsncmp(full, L"\\\\?\\", 4) || !wcsncmp(full, L"\\\\.\\", 4)) {
		tail = full + 4;
	} else if (!wcsncmp(full, L"\\\\", 2)) {
		prefix = "\\??\\UNC\\";
		tail = full + 2;
	}
	len = WideCharToMultiByte(CP_UTF8, 0, tail, -1, utf8, sizeof(utf8),
				  NULL, NULL);
	if (len <= 0 || snprintf(out, size, "%s%s", prefix, utf8) >= (int)size)
		return -CO_ERANGE;
	return 0;
}

static int build_create(const struct co_config *c, struct co_nt_create *q)
{
	unsigned int i, j;
	int err;

	memset(q, 0, sizeof(*q));
	q->ioctl_version = CO_NT_IOCTL_VERSION;
	q->mem_mb = (uint32_t)(c->mem_bytes >> 20);
	q->contiguous = c->contiguous;
	q->cocon_cols = c->cocon_cols;
	q->cocon_rows = c->cocon_rows;
	q->cmdline_len = (uint32_t)c->cmdline_len;
	memcpy(q->cmdline, c->cmdline, c->cmdline_len);
	for (i = 0; i < CO_COBD_UNITS; i++) {
		if (!c->cobd[i].present)
			continue;
		q->cobd[i].present = 1;
		q->cobd[i].readonly = c->cobd[i].readonly;
		err = nt_path(c->cobd[i].path, q->cobd[i].path,
			      sizeof(q->cobd[i].path));
		if (err) {
			fprintf(stderr, "colinux-daemon: cobd%u: cannot make an absolute path of %s\n",
				i, c->cobd[i].path);
			return err;
		}
	}
	for (i = 0; i < CO_CONET_UNITS; i++) {
		const struct co_conet_config *e = &c->eth[i];
		struct co_nt_eth *t = &q->eth[i];

		t->kind = e->kind;
		if (e->kind == CO_NET_NONE)
			continue;
		t->mac_set = e->mac_set;
		memcpy(t->mac, e->mac, 6);
		t->nr_forwards = (uint16_t)e->nr_forwards;
		for (j = 0; j < e->nr_forwards && j < CO_NT_MAX_FORWARDS; j++) {
			t->forward[j].udp = e->forward[j].udp;
			t->forward[j].host_port = e->forward[j].host_port;
			t->forward[j].guest_port = e->forward[j].guest_port;
		}
		if (e->kind == CO_NET_PCAP)
			err = nt_path(e->path, t->path, sizeof(t->path));
		else if (e->kind == CO_NET_LOOP)
			err = snprintf(t->path, sizeof(t->path), "%s", e->path) >=
			      (int)sizeof(t->path) ? -CO_ERANGE : 0;
		else
			err = 0;
		if (err) {
			fprintf(stderr, "colinux-daemon: eth%u: path or name too long\n", i);
			return err;
		}
	}
	return 0;
}

/* ---- images ------------------------------------------------------------- */

static int read_images(struct daemon *d)
{
	char err[512];
	int rc;

	rc = co_daemon_read_file(d->cfg.kernel, &d->kernel, &d->kernel_len);
	if (rc) {
		fprintf(stderr, "colinux-daemon: %s: %s\n", d->cfg.kernel,
			co_strerror(rc));
		return rc;
	}
	rc = co_kernel_image_check(d->kernel, d->kernel_len, d->cfg.mem_bytes,
				   err, sizeof(err));
	if (rc) {
		fprintf(stderr, "colinux-daemon: %s: %s\n", d->cfg.kernel, err);
		return rc;
	}
	if (!d->cfg.initrd)
		return 0;
	rc = co_daemon_read_file(d->cfg.initrd, &d->initrd, &d->initrd_len);
	if (rc)
		fprintf(stderr, "colinux-daemon: %s: %s\n", d->cfg.initrd,
			co_strerror(rc));
	return rc;
}

static int load_image(struct daemon *d, uint32_t what, const uint8_t *data,
		      size_t len)
{
	struct co_nt_load *q = malloc(sizeof(*q) + CO_NT_LOAD_CHUNK_MAX);
	size_t off = 0, n;
	int rc = 0;

	if (!q)
		return -CO_ENOMEM;
	while (!rc && off < len) {
		n = len - off < CO_NT_LOAD_CHUNK_MAX ? len - off :
						       CO_NT_LOAD_CHUNK_MAX;
		q->what = what;
		q->chunk_len = (uint32_t)n;
		q->total_len = len;
		q->offset = off;
		memcpy(q->data, data + off, n);
		rc = request(d, CO_NT_IOC_LOAD, q, sizeof(*q) + n,
			     what == CO_NT_LOAD_KERNEL ? "loading the kernel" :
							 "loading the initrd");
		off += n;
	}
	free(q);
	return rc;
}

/* ---- the console ---------------------------------------------------------- */

static DWORD WINAPI reader_main(void *arg)
{
	struct daemon *d = arg;
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	struct {
		struct co_nt_input h;
		uint8_t bytes[CO_NT_INPUT_MAX];
	} q;
	uint8_t c[256];
	DWORD n, i;

	while (!d->quit) {
		if (!ReadFile(in, c, sizeof(c), &n, NULL) || !n)
			return 0;	/* end of input: the guest runs on */
		q.h.len = 0;
		for (i = 0; i < n; i++) {
			if (c[i] == ESCAPE_KEY) {
				InterlockedExchange(&d->quit, 1);
				break;
			}
			q.h.bytes[q.h.len++] = c[i];
		}
		/* Retry while the guest's input buffer is full. */
		while (q.h.len && !d->quit &&
		       request(d, CO_NT_IOC_INPUT, &q, sizeof(q.h) + q.h.len,
			       "console input") == -CO_EBUSY)
			Sleep(20);
	}
	return 0;
}

static void console_setup(void)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	DWORD mode;

	if (GetConsoleMode(in, &mode))
		SetConsoleMode(in, ENABLE_VIRTUAL_TERMINAL_INPUT);
	if (GetConsoleMode(out, &mode))
		SetConsoleMode(out, mode | ENABLE_PROCESSED_OUTPUT |
			       ENABLE_VIRTUAL_TERMINAL_PROCESSING);
	SetConsoleOutputCP(CP_UTF8);
}

/* Frames from relayed (slirp) units: the daemon has no NAT engine yet. */
static void drain_frames(struct daemon *d)
{
	struct co_nt_frame f;
	DWORD got;

	while (ioctl(d->dev, CO_NT_IOC_NET_RECV, NULL, 0, &f, sizeof(f), &got) &&
	       got >= 8 && f.len) {
		if (!d->warned_frames)
			fprintf(stderr, "\r\ncolinux-daemon: eth%u=slirp: no user-mode NAT in this daemon yet; frames from the guest are dropped\r\n",
				f.unit);
		d->warned_frames = true;
	}
}

static int run(struct daemon *d)
{
	struct co_nt_run_reply *r = malloc(sizeof(*r));
	struct co_nt_run q = { .timeout_ms = 200 };
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	DWORD got, wrote;
	int rc = CO_EXIT_HOST;

	if (!r)
		return CO_EXIT_HOST;
	console_setup();
	CloseHandle(CreateThread(NULL, 0, reader_main, d, 0, NULL));
	while (!d->quit) {
		if (!ioctl(d->dev, CO_NT_IOC_RUN, &q, sizeof(q), r, sizeof(*r),
			   &got) || got != sizeof(*r)) {
			fprintf(stderr, "colinux-daemon: run: the driver refused the request (Windows error %lu)\n",
				GetLastError());
			break;
		}
		if (r->console_len && r->console_len <= sizeof(r->console))
			WriteFile(out, r->console, r->console_len, &wrote, NULL);
		if (r->console_dropped)
			fprintf(stderr, "\r\ncolinux-daemon: %u bytes of console output lost\r\n",
				r->console_dropped);
		if (r->frames_pending)
			drain_frames(d);
		r->text[sizeof(r->text) - 1] = '\0';
		if (r->stopped) {
			fprintf(stderr, "\r\ncolinux-daemon: guest stopped: %s%s%s",
				co_term_reason_name(r->reason), r->text[0] ? ": " : "",
				r->text);
			if (r->reason == CO_TERM_POWEROFF)
				fprintf(stderr, " (exit code %d)", r->code);
			fprintf(stderr, "\n");
			rc = co_term_exit_status(r->reason, r->code);
			break;
		}
		if (r->err) {
			fprintf(stderr, "colinux-daemon: run: %s\n", r->text);
			break;
		}
	}
	if (d->quit) {
		fprintf(stderr, "\r\ncolinux-daemon: quit (Ctrl-])\n");
		rc = 0;
	}
	free(r);
	return rc;
}

/* ---- main ----------------------------------------------------------------- */

static int create_and_load(struct daemon *d)
{
	struct co_nt_create *q = malloc(sizeof(*q));
	int rc;

	if (!q)
		return -CO_ENOMEM;
	rc = build_create(&d->cfg, q);
	if (!rc)
		rc = request(d, CO_NT_IOC_CREATE, q, sizeof(*q), "creating the VM");
	free(q);
	if (rc)
		return rc;
	rc = load_image(d, CO_NT_LOAD_KERNEL, d->kernel, d->kernel_len);
	if (!rc && d->initrd)
		rc = load_image(d, CO_NT_LOAD_INITRD, d->initrd, d->initrd_len);
	return rc;
}

int main(int argc, char **argv)
{
	struct daemon d = { .dev = INVALID_HANDLE_VALUE };
	bool dry_run = false;
	char err[512] = "";
	int i, rc;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--dry-run")) {
			dry_run = true;
		} else if (!strcmp(argv[i], "--verbose")) {
			co_daemon_verbose = true;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "colinux-daemon: unknown option %s\n", argv[i]);
			usage(stderr);
			return CO_EXIT_USAGE;
		}
	}
	co_config_init(&d.cfg);
	rc = co_config_parse_args(&d.cfg, argc - i, argv + i, err, sizeof(err));
	if (!rc)
		rc = co_config_validate(&d.cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "colinux-daemon: %s\n", err);
		rc = CO_EXIT_USAGE;
		goto out;
	}
	rc = CO_EXIT_BAD_IMAGE;
	if (read_images(&d))
		goto out;
	rc = CO_EXIT_HOST;
	if (open_device(&d) || create_and_load(&d))
		goto out;
	fprintf(stderr, "colinux-daemon: VM created: %s loaded (%zu bytes), %llu MiB RAM\n",
		d.cfg.kernel, d.kernel_len,
		(unsigned long long)(d.cfg.mem_bytes >> 20));
	if (dry_run) {
		rc = request(&d, CO_NT_IOC_DESTROY, NULL, 0, "destroying the VM") ?
		     CO_EXIT_HOST : 0;
		if (!rc)
			fprintf(stderr, "colinux-daemon: dry run: VM destroyed\n");
		goto out;
	}
	if (request(&d, CO_NT_IOC_START, NULL, 0, "starting the VM"))
		goto out;
	rc = run(&d);
out:
	/* Closing the handle destroys the VM in any case. */
	if (d.dev != INVALID_HANDLE_VALUE)
		CloseHandle(d.dev);
	free(d.kernel);
	free(d.initrd);
	co_config_free(&d.cfg);
	return rc;
}
