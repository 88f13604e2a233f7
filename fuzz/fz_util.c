// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing harness: the script reader (the writer is the sim-host's,
 * <sim/script.h>), scratch files, leak checks.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sim/sim.h>
#include "co_kernel_elf.h"
#include "fz.h"

/* ---- reading ----------------------------------------------------------- */

uint8_t fz_u8(struct fz_in *in)
{
	return in->pos < in->len ? in->p[in->pos++] : 0;
}

uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v = fz_u8(in);

	return v | (uint16_t)fz_u8(in) << 8;
}

uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v = fz_u16(in);

	return v | (uint32_t)fz_u16(in) << 16;
}

uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = fz_u32(in);

	return v | (uint64_t)fz_u32(in) << 32;
}

uint64_t fz_value(struct fz_in *in)
{
	uint8_t tag = fz_u8(in);

	switch (tag & 3) {
	case 0:
		return tag >> 2;
	case 1:
		return fz_u16(in);
	case 2:
		return fz_u32(in);
	default:
		return fz_u64(in);
	}
}

size_t fz_bytes(struct fz_in *in, void *dst, size_t len)
{
	size_t n = in->len - in->pos;

	if (n > len)
		n = len;
	memcpy(dst, in->p + in->pos, n);
	in->pos += n;
	return n;
}

/* ---- scratch files ------------------------------------------------------ */

static char tmpdir[512];

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	return remove(path);
}

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * libFuzzer leaves with _Exit when its time is up, so atexit never runs:
 * remove the directories of harness processes that are gone.
 */
static void remove_stale(const char *base)
{
	char path[600];
	struct dirent *d;
	DIR *dir = opendir(base);
	int pid;

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (sscanf(d->d_name, "cofuzz-%d", &pid) != 1 || pid <= 0 ||
		    !kill(pid, 0) || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, d->d_name);
		nftw(path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
	closedir(dir);
}

const char *fz_tmpdir(void)
{
	const char *base = getenv("CO_TEST_TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	mkdir(base, 0755);
	remove_stale(base);
	snprintf(tmpdir, sizeof(tmpdir), "%s/cofuzz-%d", base, (int)getpid());
	if (mkdir(tmpdir, 0700) && errno != EEXIST)
		fz_fail("cannot create %s", tmpdir);
	atexit(tmpdir_remove);
	return tmpdir;
}

void fz_write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (len && write(fd, p, len) != (ssize_t)len))
		fz_fail("cannot write %s", path);
	close(fd);
}

/* Shaped like a Linux vmlinux: boot=auto takes the zero-page path. */
void *fz_make_linux_elf(size_t *len)
{
	static const uint8_t code[] = { 0xf4 };
	void *img = co_kernel_elf_linux(code, sizeof(code), len);

	if (!img)
		fz_fail("out of memory for a kernel image");
	return img;
}

/*
 * One PT_LOAD at physical offset 0x200000, linked high like Linux, with a
 * symbol table holding "co_start": the same shape as the unit tests' image.
 */
void *fz_make_elf(size_t *len)
{
	static const uint8_t code[] = { 0xf4, 0xeb, 0xfd };	/* hlt; jmp */
	void *img = co_kernel_elf(0, code, sizeof(code), len);

	if (!img)
		fz_fail("out of memory");
	return img;
}

/* ---- sim-host ----------------------------------------------------------- */

void fz_sim_setup(void)
{
	static bool done;
	const char *lvl = getenv("FZ_LOG");

	if (done)
		return;
	done = true;
	/*
	 * Thousands of VMs a minute: freed frames stay mapped, poisoned,
	 * instead of costing two system calls a page. Refused (and then
	 * not needed for correctness) in builds without ASan; $FZ_UNMAP
	 * keeps the strict behaviour.
	 */
	if (!getenv("FZ_UNMAP"))
		co_sim_keep_freed_mapped(true);
	/* Monitor warnings on every bad request would drown the fuzzer. */
	co_sim_log_level(lvl && *lvl ? atoi(lvl) : -1);
}

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n==FUZZ FINDING== ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/*
 * Guard frames: the harness holds every other host frame of the region
 * the sim-host allocates from, PROT_NONE, and leaves the others free;
 * after co_sim_reset the VM's pages come from those. Every page of paged
 * guest RAM and every passage page then has an unmapped frame on both
 * sides: a monitor access running off the end of a page faults at once,
 * instead of landing silently in whatever frame follows (with paged RAM,
 * usually another guest page). Contiguous RAM is allocated past the
 * checkerboard, with free (unmapped) frames around it.
 *
 * The price, without ASan: each paged page is a mapping change of its
 * own in the sim-host on every create and destroy. With ASan the
 * sim-host keeps freed frames mapped and poisoned instead (see
 * fz_sim_setup), so only the guards are ever unmapped. $FZ_GUARD_RUN=N
 * leaves runs of N free frames between guards instead (catches 1 in N);
 * $FZ_NO_GUARD turns the guards off, for comparison.
 */
#define GUARD_SPAN	(4096 + 1024)	/* frames: 16 MiB of guest RAM and more */

static uint64_t guard_pages;

void fz_guard_setup(void)
{
	const char *env = getenv("FZ_GUARD_RUN");
	uint64_t run = env ? strtoull(env, NULL, 0) : 1, i, n = 0;
	uint64_t *pfn, *free_list;

	if (guard_pages || getenv("FZ_NO_GUARD"))
		return;
	if (!run)
		run = 1;
	pfn = malloc(GUARD_SPAN * sizeof(*pfn));
	free_list = malloc(GUARD_SPAN * sizeof(*pfn));
	if (!pfn || !free_list)
		fz_fail("out of memory");
	co_sim_reset();
	/* One allocation: a compact set of frames from the first free one. */
	if (co_host_pages_alloc(GUARD_SPAN, pfn))
		fz_fail("cannot allocate the guard span");
	for (i = 0; i < GUARD_SPAN; i++) {
		if (pfn[i] % (run + 1) == run) {
			if (mprotect(co_sim_phys_ptr(pfn[i] << 12),
				     CO_SIM_PAGE_SIZE, PROT_NONE))
				fz_fail("cannot protect a guard frame");
			guard_pages++;
		} else {
			free_list[n++] = pfn[i];
		}
	}
	co_host_pages_free(n, free_list);
	free(pfn);
	free(free_list);
	co_sim_reset();
}

void fz_leak_check(const char *when)
{
	int old;

	if (co_sim_in_use(CO_SIM_OBJ_PAGES) == guard_pages &&
	    !co_sim_in_use(CO_SIM_OBJ_HEAP) &&
	    !co_sim_in_use(CO_SIM_OBJ_FILES) &&
	    !co_sim_in_use(CO_SIM_OBJ_MUTEXES) &&
	    !co_sim_in_use(CO_SIM_OBJ_EVENTS) &&
	    !co_sim_in_use(CO_SIM_OBJ_TIMERS) &&
	    !co_sim_in_use(CO_SIM_OBJ_NETS) && !co_sim_misuse_count())
		return;
	old = co_sim_log_level(CO_LOG_ERROR);
	fprintf(stderr, "(%llu of the pages are the harness's guard frames)\n",
		(unsigned long long)guard_pages);
	co_sim_leak_check();	/* prints what is outstanding */
	co_sim_log_level(old);
	fz_fail("%s: sim-host objects leaked or host API misused", when);
}
