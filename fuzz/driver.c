// SPDX-License-Identifier: GPL-2.0
/*
 * main() for a fuzz target without libFuzzer.
 *
 * Built with afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN), it is
 * an AFL++ persistent-mode target reading from shared memory. Built with
 * any other compiler, it replays inputs: every file named on the command
 * line, and every regular file in every directory named (not recursive),
 * in name order, each one once. That is how CTest replays the kept corpus
 * and regression inputs, and how one input is replayed under gdb:
 *
 *   replay_cobd fuzz/regressions/cobd/crash-1234
 *
 * Exit status 0 when every input ran (a finding aborts), 2 on a usage or
 * I/O error, 3 when no input at all was found (a missing corpus must not
 * pass as an empty one).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN

__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
	unsigned char *buf;

	__AFL_INIT();
	buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = __AFL_FUZZ_TESTCASE_LEN;
		/* An exactly-sized copy, so ASan sees reads past the end. */
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
	}
	return 0;
}

#else

static unsigned long ran;
/* $FZ_REPEAT: run each input that many times (timing, flakiness). */
static unsigned long repeat = 1;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	unsigned long i;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (getenv("FZ_VERBOSE"))
		fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
	for (i = 0; i < repeat; i++) {
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		ran++;
	}
	free(buf);
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int n, i, rc = 0;

	n = scandir(dir, &names, skip_dot, cmp_names);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode) && run_file(path))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (getenv("FZ_REPEAT"))
		repeat = strtoul(getenv("FZ_REPEAT"), NULL, 0);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st)) {
			/* A regressions/ folder may not exist yet. */
			continue;
		}
		if (S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]))
			rc = 2;
	}
	printf("replay: %lu inputs ran, no finding\n", ran);
	if (!rc && !ran)
		rc = 3;
	return rc;
}

#endif
