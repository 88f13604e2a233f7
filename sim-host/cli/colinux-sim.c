// SPDX-License-Identifier: GPL-2.0
/*
 * colinux-sim: boot a guest in the simulator with its console on the
 * terminal.
 *
 *   colinux-sim run [KEY=VALUE ...] [@FILE]
 *
 * With no kernel= it boots the bundled test guest (with a scratch disk and
 * slirp networking unless cobd0=/eth0= are given): interactively
 * (a small shell inside the guest) when standard input is a terminal,
 * otherwise as an unattended demonstration. The exit status is the
 * guest's (see usage()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <colinux/monitor.h>
#include <sim/record.h>
#include <sim/sim.h>
#include "../unicorn/co_unicorn.h"

#define ESCAPE_KEY	0x1d	/* Ctrl-] */

static struct termios saved_termios;
static bool termios_saved;

static void terminal_restore(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		termios_saved = false;
	}
}

static void on_fatal_signal(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void terminal_raw(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	atexit(terminal_restore);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);
	raw = saved_termios;
	cfmakeraw(&raw);
	/* Keep output post-processing so guest "\n" ends lines properly. */
	raw.c_oflag |= OPOST | ONLCR;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
}

/*
 * The reader thread posts keyboard bytes straight into the VM's mailbox.
 * While the mailbox is full (the guest is not reading) it stops reading
 * the terminal and waits for the monitor's room notification, so the
 * host loses nothing typed or pasted. Quitting and end of input are for
 * the main thread, which the reader kicks out of co_vm_run.
 */
struct reader_ctx {
	struct co_vm *vm;
	bool raw;
	pthread_mutex_t lock;
	pthread_cond_t room_cond;
	bool room;		/* a room notification came */
	bool quit;		/* atomic: Ctrl-] */
	bool eof;		/* atomic: end of input */
};

/* The monitor's room notification, on the VM thread. */
static void reader_room(void *arg)
{
	struct reader_ctx *rc = arg;

	pthread_mutex_lock(&rc->lock);
	rc->room = true;
	pthread_cond_signal(&rc->room_cond);
	pthread_mutex_unlock(&rc->lock);
}

static void unlock_on_cancel(void *arg)
{
	pthread_mutex_unlock(arg);
}

static void wait_room(struct reader_ctx *rc)
{
	pthread_mutex_lock(&rc->lock);
	pthread_cleanup_push(unlock_on_cancel, &rc->lock);
	while (!rc->room)
		pthread_cond_wait(&rc->room_cond, &rc->lock);
	pthread_cleanup_pop(1);
}

/* All of @len bytes into the mailbox, in order; false once the VM stopped. */
static bool post_all(struct reader_ctx *rc, const char *p, size_t len)
{
	int n, cancel;

	while (len) {
		/* Cleared first: a notification from here on means room. */
		pthread_mutex_lock(&rc->lock);
		rc->room = false;
		pthread_mutex_unlock(&rc->lock);
		/* Not cancelled halfway through the monitor's code. */
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
		n = co_vm_post_input(rc->vm, p, len, 0);
		pthread_setcancelstate(cancel, NULL);
		if (n == -CO_EBUSY) {
			wait_room(rc);
			continue;
		}
		if (n < 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void *reader_main(void *arg)
{
	struct reader_ctx *rc = arg;
	char c[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, c, sizeof(c));
		ssize_t keys = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			__atomic_store_n(&rc->eof, true, __ATOMIC_SEQ_CST);
			break;
		}
		while (keys < n && !(rc->raw && c[keys] == ESCAPE_KEY))
			keys++;
		if (!post_all(rc, c, (size_t)keys))
			return NULL;	/* the guest stopped */
		if (keys < n) {
			__atomic_store_n(&rc->quit, true, __ATOMIC_SEQ_CST);
			break;
		}
	}
	co_vm_kick(rc->vm);
	return NULL;
}

static void console_out(void *ctx, const char *bytes, size_t len)
{
	fwrite(bytes, 1, len, stdout);
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: colinux-sim run [KEY=VALUE ...] [@FILE]\n"
"\n"
"Boots a cooperative guest in the simulator (Unicorn CPU back-end) with its\n"
"console on this terminal. Keys, as in the original coLinux:\n"
"  kernel=PATH  initrd=PATH  mem=MB  memwindow=contiguous|paged\n"
"  cobdN=PATH[,ro]  ethN=slirp[,MAC[,tcp:HOST:GUEST]]  ethN=pcap,FILE\n"
"  ethN=loop,NAME  cocon=COLSxROWS  @FILE\n"
"anything else goes on the guest's command line.\n"
"With no keys it boots the bundled test guest (interactive on a terminal,\n"
"an unattended demonstration otherwise). Press Ctrl-] to quit.\n"
"\n"
"Options (before the keys): --real-time  use the host clocks instead of\n"
"  virtual time (the default, except when interactive); --stats  print run\n"
"  statistics at exit (wall time, switches, requests, interrupts);\n"
"  --record FILE  write the guest's device traffic to FILE as a guest\n"
"  script, which the fuzz targets replay (fuzz/README.md)\n"
"Log level on stderr: $CO_LOG 0..3 (error, warn, info, debug; default 2,\n"
"  info, which shows the guest's debug prints).\n"
"Exit status: the guest's power-off code; %d guest panic/BUG; %d protocol\n"
"violation; %d CPU fault; %d hung; %d deadlock; %d usage/config error;\n"
"%d bad kernel image; %d host error.\n",
		CO_EXIT_GUEST_ERROR, CO_EXIT_PROTOCOL, CO_EXIT_CPU_FAULT, CO_EXIT_HUNG,
		CO_EXIT_DEADLOCK, CO_EXIT_USAGE, CO_EXIT_BAD_IMAGE, CO_EXIT_HOST);
}

static const char *class_name(unsigned int c)
{
	switch (c) {
	case CO_DEV_COCON: return "cocon";
	case CO_DEV_COBD: return "cobd";
	case CO_DEV_CONET: return "conet";
	case CO_DEV_TIMER: return "timer";
	case CO_DEV_POWER: return "power";
	}
	return "?";
}

static void print_summary(struct co_vm *vm, const struct co_config *cfg)
{
	unsigned int c, u;
	uint64_t entry;

	fprintf(stderr, "colinux-sim: kernel %s, %llu MiB RAM (%s), guest-physical 0x%llx\n",
		cfg->kernel, (unsigned long long)(co_vm_ram_size(vm) >> 20),
		co_vm_config(vm)->contiguous ? "contiguous window" : "paged",
		(unsigned long long)co_vm_ram_base(vm));
	for (c = CO_DEV_COCON; c <= CO_DEV_CONET; c++) {
		for (u = 0; u < 32; u++) {
			struct co_device *d = co_vm_device(vm, c, u);

			if (!d)
				continue;
			if (c == CO_DEV_COBD)
				fprintf(stderr, "colinux-sim:   %s%u %s%s\n",
					class_name(c), u, cfg->cobd[u].path,
					cfg->cobd[u].readonly ? " (read-only)" : "");
			else if (c == CO_DEV_CONET)
				fprintf(stderr, "colinux-sim:   eth%u %s\n", u,
					cfg->eth[u].kind == CO_NET_SLIRP ? "slirp (user-mode NAT)" :
					cfg->eth[u].kind == CO_NET_PCAP ? cfg->eth[u].path :
					"loopback pair");
			else
				fprintf(stderr, "colinux-sim:   cocon %ux%u\n",
					cfg->cocon_cols, cfg->cocon_rows);
		}
	}
	if (!co_vm_symbol(vm, "co_start", &entry))
		fprintf(stderr, "colinux-sim: guest entry co_start = 0x%llx\n",
			(unsigned long long)entry);
	fprintf(stderr, "colinux-sim: command line \"%s\"\n", cfg->cmdline);
}

/* A scratch disk for the demonstration, removed at exit. */
static char demo_disk[64];

static void demo_disk_remove(void)
{
	if (demo_disk[0])
		unlink(demo_disk);
}

/*
 * Without a configuration the bundled test guest gets a scratch 4 MiB
 * disk and user-mode NAT networking, so the demonstration shows every
 * device.
 */
static int demo_devices(struct co_config *cfg, char *err, size_t errlen)
{
	char arg[128];
	int fd;

	if (!cfg->cobd[0].present) {
		strcpy(demo_disk, "/tmp/colinux-demo-XXXXXX");
		fd = mkstemp(demo_disk);
		if (fd < 0 || ftruncate(fd, 4 << 20)) {
			snprintf(err, errlen, "cannot create a demo disk in /tmp: %s",
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -CO_EIO;
		}
		close(fd);
		atexit(demo_disk_remove);
		snprintf(arg, sizeof(arg), "cobd0=%s", demo_disk);
		if (co_config_parse_arg(cfg, arg, err, errlen))
			return -CO_EINVAL;
	}
	if (cfg->eth[0].kind == CO_NET_NONE &&
	    co_config_parse_arg(cfg, "eth0=slirp", err, errlen))
		return -CO_EINVAL;
	return 0;
}

/* The bundled test guest sits next to us in the build tree. */
static int bundled_guest(struct co_config *cfg, bool interactive,
			 char *err, size_t errlen)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -CO_ENOENT;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "kernel=%s/../guest-drivers/testguest/testguest.elf",
		 self);
	if (co_config_parse_arg(cfg, path, err, errlen))
		return -CO_EINVAL;
	if (demo_devices(cfg, err, errlen))
		return -CO_EINVAL;
	return co_config_parse_arg(cfg, interactive ? "shell" : "demo", err, errlen);
}

struct options {
	bool real_time;
	bool stats;
	const char *record;	/* --record FILE: traffic as a guest script */
	int first_key;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	int i;

	o->real_time = false;
	o->stats = false;
	o->record = NULL;
	if (argc < 2 || strcmp(argv[1], "run")) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : CO_EXIT_USAGE;
	}
	for (i = 2; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--real-time")) {
			o->real_time = true;
		} else if (!strcmp(argv[i], "--stats")) {
			o->stats = true;
		} else if (!strcmp(argv[i], "--record") && i + 1 < argc) {
			o->record = argv[++i];
		} else {
			fprintf(stderr, "colinux-sim: unknown option %s\n", argv[i]);
			return CO_EXIT_USAGE;
		}
	}
	o->first_key = i;
	return -1;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_stats(struct co_vm *vm, double seconds)
{
	struct co_vm_stats st;

	co_vm_stats(vm, &st);
	fprintf(stderr, "colinux-sim: stats: %.3f s wall, %llu switches (%.0f/s), %llu requests (%.0f/s), %.3f switches/request, %llu interrupts raised, %llu host interrupts forwarded\n",
		seconds, (unsigned long long)st.switches, st.switches / seconds,
		(unsigned long long)st.requests, st.requests / seconds,
		st.requests ? (double)st.switches / st.requests : 0.0,
		(unsigned long long)st.irqs_raised, (unsigned long long)st.host_irqs);
}

static int run_vm(struct co_vm *vm, bool interactive)
{
	struct reader_ctx rc = {
		.vm = vm, .raw = interactive,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.room_cond = PTHREAD_COND_INITIALIZER,
	};
	struct co_device *con = co_vm_device(vm, CO_DEV_COCON, 0);
	struct co_vm_exit exit;
	pthread_t reader;
	bool have_reader = false, source = false;
	int err, ret;

	co_cocon_set_output(con, console_out, NULL);
	if (interactive) {
		terminal_raw();
		co_sim_external_source(true);
		source = true;
		co_vm_set_room_notify(vm, reader_room, &rc);
		have_reader = !pthread_create(&reader, NULL, reader_main, &rc);
	}
	for (;;) {
		err = co_vm_run(vm, &exit);
		if (!err)
			break;
		if (err != -CO_EBUSY) {
			fprintf(stderr, "colinux-sim: run failed: %s\n", co_strerror(err));
			ret = CO_EXIT_HOST;
			goto out;
		}
		/* Nobody types any more: the guest may now be deadlocked. */
		if (source && (__atomic_load_n(&rc.quit, __ATOMIC_SEQ_CST) ||
			       __atomic_load_n(&rc.eof, __ATOMIC_SEQ_CST))) {
			co_sim_external_source(false);
			source = false;
		}
		if (__atomic_load_n(&rc.quit, __ATOMIC_SEQ_CST)) {
			terminal_restore();
			fprintf(stderr, "\r\ncolinux-sim: quit (Ctrl-])\n");
			ret = 0;
			goto out;
		}
	}
	terminal_restore();
	fprintf(stderr, "\ncolinux-sim: guest stopped: %s%s%s", co_term_reason_name(exit.reason),
		exit.text[0] ? ": " : "", exit.text);
	if (exit.reason == CO_TERM_POWEROFF)
		fprintf(stderr, " (exit code %d)", exit.code);
	fprintf(stderr, "\n");
	ret = co_term_exit_status(exit.reason, exit.code);
out:
	/* The reader posts to the VM: it must be gone before the VM is. */
	if (have_reader) {
		pthread_cancel(reader);
		pthread_join(reader, NULL);
	}
	co_vm_set_room_notify(vm, NULL, NULL);
	if (source)
		co_sim_external_source(false);
	return ret;
}

/* --record: the file is opened before anything runs, and written at the end. */
static int record_finish(struct co_sim_recorder *rec, const char *path,
			 int rc)
{
	char err[512];
	size_t bytes;
	bool truncated;

	if (!rec)
		return rc;
	if (co_sim_recorder_close(rec, &bytes, &truncated, err, sizeof(err))) {
		fprintf(stderr, "colinux-sim: cannot write the recording %s\n", err);
		return rc ? rc : CO_EXIT_HOST;
	}
	if (bytes)
		fprintf(stderr, "colinux-sim: recorded %zu bytes of guest traffic in %s%s\n",
			bytes, path, truncated ? " (truncated)" : "");
	return rc;
}

int main(int argc, char **argv)
{
	struct co_sim_recorder *rec = NULL;
	struct co_config cfg;
	struct options o;
	struct co_vm *vm;
	char err[512] = "";
	bool interactive = false;
	double t0;
	int rc;

	rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* The guest's debug prints are info; the library's default is warn. */
	if (!getenv("CO_LOG"))
		co_sim_log_level(CO_LOG_INFO);
	co_config_init(&cfg);
	rc = co_config_parse_args(&cfg, argc - o.first_key, argv + o.first_key,
				  err, sizeof(err));
	interactive = isatty(STDIN_FILENO);
	if (!rc && !cfg.kernel)
		rc = bundled_guest(&cfg, interactive, err, sizeof(err));
	if (!rc)
		rc = co_config_validate(&cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "colinux-sim: %s\n", err);
		co_config_free(&cfg);
		return CO_EXIT_USAGE;
	}
	if (o.record && co_sim_recorder_open(o.record, &rec, err, sizeof(err))) {
		fprintf(stderr, "colinux-sim: cannot record to %s\n", err);
		co_config_free(&cfg);
		return CO_EXIT_USAGE;
	}
	if (interactive || o.real_time)
		co_sim_clock_real(true);

	rc = co_vm_create(&cfg, &co_unicorn_cpu_ops, &vm);
	if (rc) {
		/* -CO_ENOTSUP: a key the back-end cannot honour, already named. */
		if (rc != -CO_ENOTSUP)
			fprintf(stderr, "colinux-sim: cannot create the VM: %s\n", co_strerror(rc));
		co_config_free(&cfg);
		return record_finish(rec, o.record, rc == -CO_ENOTSUP ?
				     CO_EXIT_USAGE : CO_EXIT_HOST);
	}
	rc = co_vm_load_files(vm, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "colinux-sim: %s\n", err);
		/* -CO_ENOTSUP: the image is fine, the configuration cannot run it. */
		rc = rc == -CO_ENOTSUP ? CO_EXIT_USAGE : CO_EXIT_BAD_IMAGE;
		goto out;
	}
	rc = co_vm_start(vm);
	if (rc) {
		fprintf(stderr, "colinux-sim: cannot start the VM: %s\n", co_strerror(rc));
		rc = CO_EXIT_HOST;
		goto out;
	}
	if (rec)
		co_sim_recorder_attach(rec, vm);
	print_summary(vm, &cfg);
	t0 = wall_seconds();
	rc = run_vm(vm, interactive);
	if (o.stats)
		print_stats(vm, wall_seconds() - t0);
out:
	rc = record_finish(rec, o.record, rc);
	co_vm_destroy(vm);
	co_config_free(&cfg);
	return rc;
}
