// SPDX-License-Identifier: GPL-2.0
/*
 * What a person sees: "shell" is a small prompt with commands that show
 * the devices working; "demo" does the same unattended and powers off
 * with the number of failed steps as exit code.
 *
 * The disk step is not destructive: it saves the sectors it uses, writes
 * and reads back a pattern, then puts the saved data back.
 */
#include "tg.h"

#define DISK_SECTORS	8
#define LINE_MAX	128

static unsigned int steps, failed;

static void step(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void step(bool ok, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	tg_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_printf("  [%s] %s\n", ok ? " ok " : "FAIL", msg);
	steps++;
	failed += !ok;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(int64_t days, int *y, unsigned int *m, unsigned int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void cmd_time(void)
{
	uint64_t mono, wall, s;
	unsigned int m, d;
	int y;

	co_guest_time(&tg_g, &mono, &wall);
	s = wall / NS_PER_S;
	civil((int64_t)(s / 86400), &y, &m, &d);
	tg_printf("  wall clock %04d-%02u-%02u %02u:%02u:%02u UTC, monotonic %llu.%03llu s\n",
		  y, m, d, (unsigned int)(s % 86400 / 3600),
		  (unsigned int)(s % 3600 / 60), (unsigned int)(s % 60),
		  (unsigned long long)(mono / NS_PER_S),
		  (unsigned long long)(mono % NS_PER_S / NS_PER_MS));
	step(wall >= tg_boot.boot_time_ns, "time: the wall clock is past the boot time");
}

static void cmd_sleep(uint64_t ms)
{
	uint64_t t0 = co_guest_now(&tg_g), t1;

	tg_printf("  sleeping %llu ms (timer + idle)...\n", (unsigned long long)ms);
	co_guest_sleep_ns(&tg_g, ms * NS_PER_MS);
	t1 = co_guest_now(&tg_g);
	step(t1 - t0 >= ms * NS_PER_MS, "sleep: %llu.%03llu ms passed",
	     (unsigned long long)((t1 - t0) / NS_PER_MS),
	     (unsigned long long)((t1 - t0) % NS_PER_MS / 1000));
}

static void disk_unit(unsigned int unit)
{
	struct tg_cobd *d = tg_cobd_open(unit);
	uint64_t mark = tg_mm_mark(), sector, w;
	uint64_t *save = tg_page_alloc(2), *buf = tg_page_alloc(2);
	uint32_t len = DISK_SECTORS * CO_COBD_SECTOR_SIZE;
	const struct co_dev_info *info;
	bool same;

	if (!d || !save || !buf) {
		step(false, "disk: cobd%u cannot be set up", unit);
		goto out;
	}
	info = tg_cobd_info(d);
	tg_printf("  cobd%u: %llu sectors (%llu MiB)%s\n", unit,
		  (unsigned long long)info->cobd.sectors,
		  (unsigned long long)(info->cobd.sectors >> 11),
		  info->flags & CO_COBD_F_READONLY ? ", read-only" : "");
	if (info->cobd.sectors < DISK_SECTORS) {
		step(false, "disk: cobd%u is smaller than %u sectors", unit, DISK_SECTORS);
		goto out;
	}
	sector = info->cobd.sectors / 2;
	if (tg_cobd_io(d, CO_COBD_READ, sector, save, len) != CO_ST_OK) {
		step(false, "disk: cobd%u: read of sectors %llu+%u failed", unit,
		     (unsigned long long)sector, DISK_SECTORS);
		goto out;
	}
	if (info->flags & CO_COBD_F_READONLY) {
		step(true, "disk: cobd%u read %u sectors at %llu (read-only: no write)",
		     unit, DISK_SECTORS, (unsigned long long)sector);
		goto out;
	}
	for (w = 0; w < len / 8; w++)
		buf[w] = tg_mix64(w ^ 0xc011);
	same = tg_cobd_io(d, CO_COBD_WRITE, sector, buf, len) == CO_ST_OK;
	memset(buf, 0, len);
	same &= tg_cobd_io(d, CO_COBD_READ, sector, buf, len) == CO_ST_OK;
	for (w = 0; w < len / 8; w++)
		same &= buf[w] == tg_mix64(w ^ 0xc011);
	same &= tg_cobd_io(d, CO_COBD_WRITE, sector, save, len) == CO_ST_OK;
	same &= tg_cobd_io(d, CO_COBD_FLUSH, 0, NULL, 0) == CO_ST_OK;
	step(same, "disk: cobd%u wrote a pattern at sector %llu, read it back, restored the data",
	     unit, (unsigned long long)sector);
out:
	tg_mm_release(mark);
}

static void cmd_disk(void)
{
	unsigned int list[CO_COBD_UNITS], n = tg_cobd_units(list, CO_COBD_UNITS), i;

	if (!n) {
		tg_puts("  disk: no cobd unit (start with cobd0=FILE)\n");
		return;
	}
	for (i = 0; i < n; i++)
		disk_unit(list[i]);
}

static void cmd_net(unsigned int unit, uint64_t udp_port)
{
	struct tg_net *n;
	uint8_t gw[6];
	char mac[24];
	const uint8_t *m;
	int r;

	if (!tg_dev_find(CO_DEV_CONET, unit)) {
		tg_printf("  net: no eth%u (start with eth%u=slirp)\n", unit, unit);
		return;
	}
	n = tg_net_open(unit);
	if (!n) {
		step(false, "net: eth%u cannot be set up", unit);
		return;
	}
	m = tg_net_mac(n);
	tg_printf("  eth%u: MAC %02x:%02x:%02x:%02x:%02x:%02x, address 10.0.2.15\n",
		  unit, m[0], m[1], m[2], m[3], m[4], m[5]);
	if (tg_arp_resolve(n, TG_GATEWAY_IP, gw, NS_PER_S)) {
		tg_printf("  net: eth%u: no ARP answer from 10.0.2.2 (not a slirp back-end?)\n", unit);
		return;
	}
	tg_snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", gw[0], gw[1],
		    gw[2], gw[3], gw[4], gw[5]);
	step(true, "net: ARP: gateway 10.0.2.2 is at %s", mac);
	r = tg_ping(n, gw, TG_GATEWAY_IP, 1, 56, 2 * NS_PER_S);
	step(!r, "net: ping 10.0.2.2 (56 bytes): %s", r ? "no reply" : "reply");
	if (udp_port && udp_port < 65536) {
		static uint8_t f[256];
		static const char msg[] = "hello from the coLinux test guest";
		size_t len = tg_udp_frame(f, m, gw, TG_GUEST_IP, TG_GATEWAY_IP, 40000,
					  (uint16_t)udp_port, msg, sizeof(msg) - 1);

		step(tg_net_send(n, f, len) == CO_ST_OK,
		     "net: UDP \"%s\" sent to 10.0.2.2:%llu (the host's 127.0.0.1)",
		     msg, (unsigned long long)udp_port);
	}
}

static void cmd_devices(void)
{
	unsigned int i;

	for (i = 0; i < tg_boot.nr_devices; i++) {
		const struct co_dev_info *d = &tg_boot.dev[i];
		static const char *const cls[] = { "none", "cocon", "cobd", "conet",
						   "timer", "power" };

		tg_printf("  %-5s unit %u, line %u, queues %u+%u\n",
			  d->dev_class < ARRAY_SIZE(cls) ? cls[d->dev_class] : "?",
			  d->unit, d->irq, d->first_queue, d->nr_queues);
	}
}

static void banner(void)
{
	tg_puts("\n  coLinux test guest -- a tiny kernel on the coLinux device protocol\n\n");
}

void tg_demo(void)
{
	banner();
	tg_puts("Unattended demonstration.\n\ndevices:\n");
	cmd_devices();
	tg_puts("\nconsole:\n");
	step(tg_console_ready(), "console: this text went through the cocon ring");
	tg_puts("\ntime:\n");
	cmd_time();
	cmd_sleep(250);
	tg_puts("\ndisk:\n");
	cmd_disk();
	tg_puts("\nnet:\n");
	cmd_net(0, tg_arg_u64("udp_port", 0));
	tg_printf("\ndemo: %u steps, %u failed\n", steps, failed);
	tg_poweroff((int)MIN(failed, 100u));
}

/* A line with echo and backspace; false on a power event. */
static bool read_line(char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		int c = tg_getc(0);

		if (c == -2)
			return false;
		if (c < 0)
			continue;
		if (c == '\r' || c == '\n') {
			tg_puts("\r\n");
			break;
		}
		if (c == 0x7f || c == '\b') {
			if (n) {
				n--;
				tg_puts("\b \b");
			}
			continue;
		}
		if (c == 3) {		/* Ctrl-C */
			tg_puts("^C\r\n");
			n = 0;
			break;
		}
		if (c < 0x20 || n + 1 >= size)
			continue;
		line[n++] = (char)c;
		tg_write(&line[n - 1], 1);
	}
	line[n] = '\0';
	return true;
}

static void help(void)
{
	tg_puts("  help            this list\n"
		"  devices         the device table\n"
		"  disk            write and read back a pattern on each cobd unit (data restored)\n"
		"  net [UNIT]      ARP and ping the slirp gateway on ethUNIT (default 0)\n"
		"  sleep N         sleep N seconds (timer + idle)\n"
		"  time            the clocks\n"
		"  echo TEXT       print TEXT\n"
		"  test NAME       run a test program (test list shows them;\n"
		"                  the cobd ones overwrite the disks)\n"
		"  quit, poweroff  power off\n");
}

static const char *skip_word(const char *s)
{
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

static void command(const char *line)
{
	const char *arg = skip_word(line);
	size_t len = 0;
	uint64_t v;

	while (line[len] && line[len] != ' ')
		len++;
#define IS(w) (len == sizeof(w) - 1 && !strncmp(line, w, len))
	if (!len)
		return;
	if (IS("help"))
		help();
	else if (IS("devices"))
		cmd_devices();
	else if (IS("disk"))
		cmd_disk();
	else if (IS("net"))
		cmd_net(*arg && tg_parse_u64(arg, strlen(arg), &v) ? (unsigned int)v : 0,
			tg_arg_u64("udp_port", 0));
	else if (IS("sleep"))
		cmd_sleep(tg_parse_u64(arg, strlen(arg), &v) ? v * 1000 : 1000);
	else if (IS("time"))
		cmd_time();
	else if (IS("echo"))
		tg_printf("%s\n", arg);
	else if (IS("test") && !strcmp(arg, "list"))
		tg_list_tests();
	else if (IS("test"))
		tg_run_tests(arg);
	else if (IS("quit") || IS("poweroff") || IS("exit"))
		tg_poweroff(0);
	else
		tg_printf("  %.*s: unknown command (help lists them)\n", (int)len, line);
#undef IS
}

void tg_shell(void)
{
	char line[LINE_MAX];

	banner();
	tg_puts("Type help for the commands. Ctrl-] leaves the simulator.\n");
	for (;;) {
		tg_puts("colinux> ");
		if (!read_line(line, sizeof(line)))
			break;
		command(line);
	}
	tg_printf("\npower event %u: powering off\n", tg_g.power_event);
	tg_poweroff(0);
}
