// SPDX-License-Identifier: GPL-2.0
/*
 * The test guest's start: check what the monitor handed over, set up the
 * CPU, memory and console, then do what the command line says:
 *
 *   shell            a small interactive prompt
 *   demo             the devices at work, unattended, then power off
 *   test=NAME[,...]  test programs (or groups: test=all); test=list
 *
 * Other words are arguments of the programs (seed=5, slirp=0, ...).
 */
#include "tg.h"

/* head.S calls the passage at this address. */
_Static_assert(CO_PASSAGE_TO_HOST_VA == 0xffff800000000000ULL,
	       "head.S: PASSAGE_CODE_VA");

struct co_guest tg_g;
struct co_boot_params tg_boot;

uint64_t tg_virt_to_phys(const void *p)
{
	uint64_t va = (uint64_t)p;

	if (va >= KERNEL_VMA_BASE)
		return va - KERNEL_VMA_BASE + tg_boot.ram_base;
	return va;
}

void *tg_phys_to_virt(uint64_t gpa)
{
	return (void *)gpa;
}

const struct co_dev_info *tg_dev_find(unsigned int dev_class,
				      unsigned int unit)
{
	unsigned int i;

	for (i = 0; i < tg_boot.nr_devices && i < CO_BOOT_MAX_DEVICES; i++) {
		const struct co_dev_info *d = &tg_boot.dev[i];

		if (d->dev_class == dev_class && d->unit == unit)
			return d;
	}
	return NULL;
}

/* The next word of the command line from *@pos; its length, 0 at the end. */
static size_t next_word(size_t *pos, const char **word)
{
	const char *c = tg_boot.cmdline;
	size_t i = *pos, start;

	while (i < tg_boot.cmdline_len && c[i] == ' ')
		i++;
	start = i;
	while (i < tg_boot.cmdline_len && c[i] != ' ')
		i++;
	*pos = i;
	*word = c + start;
	return i - start;
}

bool tg_arg(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key), pos = 0, n;
	const char *w;
	bool found = false;

	/* The last one wins, as with kernel parameters. */
	while ((n = next_word(&pos, &w))) {
		if (n > klen && w[klen] == '=' && !strncmp(w, key, klen)) {
			size_t vlen = MIN(n - klen - 1, size - 1);

			memcpy(buf, w + klen + 1, vlen);
			buf[vlen] = '\0';
			found = true;
		}
	}
	return found;
}

uint64_t tg_arg_u64(const char *key, uint64_t def)
{
	char buf[32];
	uint64_t v;

	if (!tg_arg(key, buf, sizeof(buf)))
		return def;
	if (!tg_parse_u64(buf, strlen(buf), &v)) {
		tg_printf("warning: %s=%s is not a number, using %llu\n", key,
			  buf, (unsigned long long)def);
		return def;
	}
	return v;
}

bool tg_arg_flag(const char *word)
{
	size_t len = strlen(word), pos = 0, n;
	const char *w;

	while ((n = next_word(&pos, &w))) {
		if (n == len && !strncmp(w, word, len))
			return true;
	}
	return false;
}

static void __attribute__((noreturn)) stop(unsigned int reason, int code,
					   const char *text)
{
	co_guest_terminate(&tg_g, reason, code, text, strlen(text));
	/* The host never comes back from a terminate; if it does, spin. */
	for (;;)
		__asm__ volatile("ud2");
}

void tg_poweroff(int code)
{
	char text[64];

	tg_snprintf(text, sizeof(text), "test guest powered off, code %d",
		    code);
	stop(CO_TERM_POWEROFF, code, text);
}

void tg_panic(const char *fmt, ...)
{
	char msg[CO_TEXT_SIZE];
	va_list ap;

	tg_cli();
	va_start(ap, fmt);
	tg_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tg_console_ready())
		tg_printf("\nPANIC: %s\n", msg);
	else
		co_guest_debug_print(&tg_g, msg, strlen(msg));
	stop(CO_TERM_PANIC, 0, msg);
}

/* Before the console: a shared page we can talk through, or nothing. */
static void check_passage(void)
{
	struct co_passage_shared *sh = (void *)CO_PASSAGE_SHARED_VA;

	if (co_guest_init(&tg_g, sh, tg_passage_enter)) {
		/* Not our ABI: say so the only way left and hope. */
		tg_g.sh = sh;
		tg_g.enter = tg_passage_enter;
		stop(CO_TERM_PANIC, 0, "passage: bad magic, version or size");
	}
	co_guest_set_irq_ops(&tg_g, tg_irq_save, tg_irq_restore);
}

static void check_boot(uint64_t boot_gpa)
{
	const struct co_boot_params *bp = tg_phys_to_virt(boot_gpa);

	if (tg_g.sh->op != CO_OP_START || tg_g.sh->param[0] != boot_gpa)
		tg_panic("first entry: op %u, param0 0x%llx, rsi 0x%llx",
			 tg_g.sh->op, (unsigned long long)tg_g.sh->param[0],
			 (unsigned long long)boot_gpa);
	if (bp->magic != CO_BOOT_MAGIC || bp->abi_version != CO_ABI_VERSION ||
	    bp->size != sizeof(*bp))
		tg_panic("boot parameters: bad magic, version or size");
	tg_boot = *bp;
	if (tg_boot.cmdline_len >= CO_CMDLINE_SIZE)
		tg_boot.cmdline_len = CO_CMDLINE_SIZE - 1;
	tg_boot.cmdline[tg_boot.cmdline_len] = '\0';
	if (tg_boot.nr_devices > CO_BOOT_MAX_DEVICES)
		tg_boot.nr_devices = CO_BOOT_MAX_DEVICES;
	if (tg_boot.nr_mem > CO_BOOT_MAX_MEM)
		tg_boot.nr_mem = CO_BOOT_MAX_MEM;
}

void tg_main(uint64_t boot_gpa);

void tg_main(uint64_t boot_gpa)
{
	char spec[256];
	unsigned int failures;

	check_passage();
	check_boot(boot_gpa);
	tg_cpu_init();
	tg_mm_init();
	tg_console_init();
	tg_printf("coLinux test guest: %llu MiB RAM at 0x%llx (%s), %u devices, command line \"%s\"\n",
		  (unsigned long long)(tg_boot.ram_size >> 20),
		  (unsigned long long)tg_boot.ram_base,
		  tg_boot.flags & CO_BOOT_F_CONTIGUOUS ? "contiguous" : "paged",
		  tg_boot.nr_devices, tg_boot.cmdline);

	if (tg_arg("test", spec, sizeof(spec))) {
		if (!strcmp(spec, "list")) {
			tg_list_tests();
			tg_poweroff(0);
		}
		failures = tg_run_tests(spec);
		tg_poweroff((int)MIN(failures, 100u));
	}
	if (tg_arg_flag("shell"))
		tg_shell();
	tg_demo();
}
