// SPDX-License-Identifier: GPL-2.0
/*
 * The bare-metal host's main line: bring up the machine, build the VM from
 * the multiboot command line exactly as colinux-sim builds it from argv,
 * run it with the console on COM1, and leave QEMU with the guest's exit
 * status.
 *
 * Command line (qemu-rig/run writes it): words "host.KEY=VALUE" are ours,
 * everything else goes to the monitor's configuration parser:
 *
 *   host.hz=N        timer interrupt rate (default 1000)
 *   host.check=0|1   compare the host state after every trip (default 1)
 *   host.log=0..3    log threshold (error, warn, info, debug; default info:
 *                    the guest's debug prints are info)
 *   host.console=1   the console input is a wake-up source (interactive)
 *   host.break=N     spoil the host's STAR on trip N (tests the check)
 *   host.xsave=1|2   if the CPU has XSAVE and AVX: host XCR0 = 7 and the
 *                    passage's xsave path, guest XCR0 7 (1) or 3 (2)
 *   host.xbreak=N    spoil the host's ymm2 on trip N (tests the check)
 *   host.disk=N:raw|file:PATH   see file.c
 *   host.ramdisk=PATH            see file.c
 */
#include <colinux/monitor.h>

#include "bare.h"
#include <colinux/lib.h>

#define MB_BOOT_MAGIC	0x2badb002

void bare_main(uint32_t magic, uint32_t info);

/* Set while the VM runs; read by the timer interrupt's console input. */
static struct co_vm *volatile the_vm;
uint8_t bare_stack[64 * 1024] __attribute__((aligned(16)));
extern uint8_t bare_stack_top[];
__asm__(".globl bare_stack_top\n.set bare_stack_top, bare_stack + 65536");

/*
 * Keyboard bytes into the VM's mailbox, as many as it takes now; the rest
 * stays in the UART buffer for the next tick. Called from the timer
 * interrupt and from waits: the mailbox takes posts in any context, and
 * interrupts stay off from peek to consume so that the interrupt cannot
 * post the same bytes again in between.
 */
void bare_console_input(void)
{
	struct co_vm *vm = the_vm;
	char buf[256];
	uint64_t f;
	size_t n;
	int taken;

	if (!vm)
		return;
	f = irq_save();
	n = serial_peek(buf, sizeof(buf));
	taken = n ? co_vm_post_input(vm, buf, n, 0) : 0;
	if (taken > 0)
		serial_consume((size_t)taken);
	irq_restore(f);
}

void bare_power_event(unsigned int event)
{
	struct co_vm *vm = the_vm;

	if (!vm)
		return;
	co_log(CO_LOG_INFO, "power request from the rig's control line: %s",
	       event == CO_POWER_SHUTDOWN ? "shut down" : "ctrl-alt-del");
	if (co_vm_post_power(vm, event))
		co_log(CO_LOG_WARN, "the power request was not delivered");
}

static void console_out(void *ctx, const char *bytes, size_t len)
{
	serial_write(bytes, len);
}

static int host_option(const char *w)
{
	uint64_t v;
	const char *val = co_strchr(w, '=');
	size_t klen = val ? (size_t)(val - w) : co_strlen(w);

	if (!val)
		return -CO_EINVAL;
	val++;
	if (klen == 9 && !co_strncmp(w, "host.disk", klen))
		return file_add_disk(val);
	if (klen == 12 && !co_strncmp(w, "host.ramdisk", klen))
		return file_add_ramdisk(val);
	if (co_parse_u64(val, co_strlen(val), 1000000, &v))
		return -CO_EINVAL;
	if (klen == 7 && !co_strncmp(w, "host.hz", klen))
		return 0;	/* taken before the timer starts */
	if (klen == 10 && !co_strncmp(w, "host.check", klen))
		bare_check_state = v;
	else if (klen == 8 && !co_strncmp(w, "host.log", klen))
		bare_log_level = (int)MIN(v, 3u);
	else if (klen == 10 && !co_strncmp(w, "host.break", klen))
		bare_break_trip = v;
	else if (klen == 10 && !co_strncmp(w, "host.xsave", klen) && v <= 2)
		bare_xsave_mode = v;
	else if (klen == 11 && !co_strncmp(w, "host.xbreak", klen))
		bare_xbreak_trip = v;
	else if (klen == 12 && !co_strncmp(w, "host.console", klen))
		bare_console_is_source = v;
	else
		return -CO_EINVAL;
	return 0;
}

static unsigned int option_hz(void)
{
	const char *p = bare_cmdline;
	uint64_t v;

	while ((p = co_strchr(p, 'h'))) {
		if (!co_strncmp(p, "host.hz=", 8) && (p == bare_cmdline || p[-1] == ' ')) {
			size_t n = 0;

			while (p[8 + n] && p[8 + n] != ' ')
				n++;
			if (!co_parse_u64(p + 8, n, 100000, &v))
				return (unsigned int)v;
		}
		p++;
	}
	return 1000;
}

/* Split the command line in place and hand out the words. */
static int parse_cmdline(struct co_config *cfg, char *err, size_t errlen)
{
	char *p = bare_cmdline;
	bool first = true;
	int rc;

	while (*p) {
		char *w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		/* QEMU puts the kernel's own file name first. */
		if (first && co_strchr(w, '/') && !co_strchr(w, '=')) {
			first = false;
			continue;
		}
		first = false;
		if (!co_strncmp(w, "host.", 5)) {
			if (host_option(w)) {
				co_snprintf(err, errlen, "bad host option '%s'", w);
				return -CO_EINVAL;
			}
			continue;
		}
		rc = co_config_parse_arg(cfg, w, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* isa-debug-exit carries 7 bits of status. */
static int exit_status(const struct co_vm_exit *e)
{
	return co_term_exit_status(e->reason, e->code) & 0x7f;
}

static int run(struct co_vm *vm, struct co_vm_exit *exit)
{
	int err;

	for (;;) {
		err = co_vm_run(vm, exit);
		if (!err)
			return 0;
		if (err != -CO_EBUSY)
			return err;
	}
}

#define MIB(pages)	((unsigned long long)((pages) >> 8))

/*
 * Peak use counts everything that was ever allocated at once (host
 * tables, heap, guest RAM, file buffers) plus the modules, which are
 * reserved from the start: the figure a large kernel is measured by.
 */
static void memory_report(void)
{
	struct pmm_usage u;

	pmm_usage(&u);
	bare_printf("colinux-bare: memory: %llu MiB of RAM, %llu MiB of it multiboot modules; peak use %llu MiB (%llu MiB free at the lowest)\n",
		    MIB(u.ram), MIB(u.modules), MIB(u.ram - u.lowest_free),
		    MIB(u.lowest_free));
}

static void leak_report(void)
{
	uint64_t blocks, bytes;

	memory_report();
	heap_stats(&blocks, &bytes);
	bare_printf("colinux-bare: after teardown: %llu heap blocks (%llu bytes), %llu pages outstanding\n",
		    (unsigned long long)blocks, (unsigned long long)bytes,
		    (unsigned long long)pages_outstanding());
	file_report();
}

static int boot_vm(void)
{
	struct co_config cfg;
	struct co_vm_exit exit;
	struct co_vm *vm;
	char err[512] = "";
	int rc;

	co_config_init(&cfg);
	rc = parse_cmdline(&cfg, err, sizeof(err));
	if (!rc)
		rc = co_config_validate(&cfg, err, sizeof(err));
	if (rc) {
		bare_printf("colinux-bare: %s\n", err);
		co_config_free(&cfg);
		return BARE_EXIT_USAGE;
	}
	rc = co_vm_create(&cfg, &bare_cpu_ops, &vm);
	if (rc) {
		bare_printf("colinux-bare: cannot create the VM: %s\n", co_strerror(rc));
		co_config_free(&cfg);
		return BARE_EXIT_HOST;
	}
	rc = co_vm_load_files(vm, err, sizeof(err));
	if (rc) {
		bare_printf("colinux-bare: %s\n", err);
		/* -CO_ENOTSUP: the image is fine, the configuration cannot run it. */
		rc = rc == -CO_ENOTSUP ? BARE_EXIT_USAGE : BARE_EXIT_BAD_IMAGE;
		goto out;
	}
	rc = co_vm_start(vm);
	if (rc) {
		bare_printf("colinux-bare: cannot start the VM: %s\n", co_strerror(rc));
		rc = BARE_EXIT_HOST;
		goto out;
	}
	co_cocon_set_output(co_vm_device(vm, CO_DEV_COCON, 0), console_out, NULL);
	the_vm = vm;
	rc = run(vm, &exit);
	the_vm = NULL;
	if (rc) {
		bare_printf("colinux-bare: run failed: %s\n", co_strerror(rc));
		rc = BARE_EXIT_HOST;
		goto out;
	}
	bare_printf("\ncolinux-bare: guest stopped: %s%s%s", co_term_reason_name(exit.reason),
		    exit.text[0] ? ": " : "", exit.text);
	if (exit.reason == CO_TERM_POWEROFF)
		bare_printf(" (exit code %d)", exit.code);
	bare_printf("\n");
	rc = exit_status(&exit);
	bare_cpu_report();
out:
	co_vm_destroy(vm);
	co_config_free(&cfg);
	return rc;
}

void bare_main(uint32_t magic, uint32_t info)
{
	int status;

	serial_init();
	if (magic != MB_BOOT_MAGIC)
		bare_panic("not started by a multiboot loader (magic 0x%x)", magic);
	pmm_init(info);
	paging_init();
	cpu_init();
	bare_printf("colinux-bare: %llu MiB free, %u module(s), command line \"%s\"\n",
		    (unsigned long long)(pmm_free_pages() >> 8), bare_nr_modules,
		    bare_cmdline);
	time_init(option_hz());
	__asm__ volatile("sti");
	ata_init();
	e1000_init();
	status = boot_vm();
	leak_report();
	bare_exit(status);
}
