// SPDX-License-Identifier: GPL-2.0
/* sim-host files: plain I/O, errors, short transfers, injected failures, views. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <colinux/host.h>
#include <sim/sim.h>

static char dir[256];
static char path[300];

static int group_setup(void **state)
{
	const char *base = getenv("CO_TEST_TMPDIR");

	snprintf(dir, sizeof(dir), "%s/simhost-file-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/img", dir);
	return 0;
}

static int group_teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

static int setup(void **state)
{
	co_sim_reset();
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(co_sim_leak_check(), 0);
	return 0;
}

static struct co_host_file *open_new(void)
{
	struct co_host_file *f = NULL;

	assert_int_equal(co_host_file_open(path, CO_FILE_READ | CO_FILE_WRITE |
					   CO_FILE_CREATE | CO_FILE_TRUNC, &f),
			 0);
	assert_non_null(f);
	return f;
}

static void test_roundtrip(void **state)
{
	struct co_host_file *f = open_new();
	char buf[16] = { 0 };
	uint64_t size = 1;

	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 1);
	assert_int_equal(co_host_file_size(f, &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(co_host_file_pwrite(f, "hello", 5, 4096), 5);
	assert_int_equal(co_host_file_size(f, &size), 0);
	assert_int_equal(size, 4101);
	assert_int_equal(co_host_file_sync(f), 0);
	assert_int_equal(co_host_file_pread(f, buf, 5, 4096), 5);
	assert_memory_equal(buf, "hello", 5);
	/* The hole before reads as zeros; reading past the end is short. */
	assert_int_equal(co_host_file_pread(f, buf, 4, 100), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(co_host_file_pread(f, buf, 16, 4098), 3);
	assert_memory_equal(buf, "llo", 3);
	assert_int_equal(co_host_file_pread(f, buf, 16, 1 << 20), 0);
	co_host_file_close(f);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 0);
}

static void test_open_errors(void **state)
{
	struct co_host_file *f = NULL;
	char missing[320];

	snprintf(missing, sizeof(missing), "%s/nope", dir);
	assert_int_equal(co_host_file_open(missing, CO_FILE_READ, &f),
			 -CO_ENOENT);
	assert_int_equal(co_host_file_open(path, 0, &f), -CO_EINVAL);
	assert_int_equal(co_host_file_open(path, CO_FILE_READ | 0x100, &f),
			 -CO_EINVAL);
	assert_int_equal(co_host_file_open(dir, CO_FILE_READ | CO_FILE_WRITE,
					   &f), -CO_EINVAL);
	assert_null(f);
}

static void test_trunc_and_modes(void **state)
{
	struct co_host_file *f = open_new();
	uint64_t size;
	char c;

	assert_int_equal(co_host_file_pwrite(f, "abc", 3, 0), 3);
	co_host_file_close(f);
	/* Read-only: writing fails as a permission problem. */
	assert_int_equal(co_host_file_open(path, CO_FILE_READ, &f), 0);
	assert_int_equal(co_host_file_pwrite(f, "x", 1, 0), -CO_EACCES);
	assert_int_equal(co_host_file_pread(f, &c, 1, 2), 1);
	assert_int_equal(c, 'c');
	co_host_file_close(f);
	assert_int_equal(co_host_file_open(path, CO_FILE_WRITE, &f), 0);
	assert_int_equal(co_host_file_pread(f, &c, 1, 0), -CO_EACCES);
	co_host_file_close(f);
	assert_int_equal(co_host_file_open(path, CO_FILE_WRITE | CO_FILE_TRUNC,
					   &f), 0);
	assert_int_equal(co_host_file_size(f, &size), 0);
	assert_int_equal(size, 0);
	co_host_file_close(f);
	/* A file without write permission cannot be opened for writing. */
	if (geteuid() != 0) {
		chmod(path, 0444);
		assert_int_equal(co_host_file_open(path, CO_FILE_WRITE, &f),
				 -CO_EACCES);
	}
}

static void test_short_io(void **state)
{
	struct co_host_file *f = open_new();
	char buf[8];

	co_sim_fault_short(CO_SIM_FAULT_FILE_WRITE, 3, 1);
	assert_int_equal(co_host_file_pwrite(f, "abcdefgh", 8, 0), 3);
	/* Only the first three bytes really went to the file. */
	assert_int_equal(co_host_file_pwrite(f, "DEFGH", 5, 3), 5);
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 2, 2);
	assert_int_equal(co_host_file_pread(f, buf, 8, 0), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(co_host_file_pread(f, buf, 8, 2), 2);
	assert_memory_equal(buf, "cD", 2);
	assert_int_equal(co_host_file_pread(f, buf, 8, 0), 8);
	assert_memory_equal(buf, "abcDEFGH", 8);
	/* Zero bytes allowed: a "short" transfer of nothing. */
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 0, 1);
	assert_int_equal(co_host_file_pread(f, buf, 8, 0), 0);
	co_host_file_close(f);
}

static void test_injected_errors(void **state)
{
	struct co_host_file *f = NULL;
	uint64_t size;
	char c = 'z';

	co_sim_fault_eio(CO_SIM_FAULT_FILE_OPEN, 1);
	assert_int_equal(co_host_file_open(path, CO_FILE_READ | CO_FILE_WRITE |
					   CO_FILE_CREATE, &f), -CO_EIO);
	assert_null(f);
	assert_int_equal(access(path, F_OK), -1);	/* nothing created */
	f = open_new();
	co_sim_fault_eio(CO_SIM_FAULT_FILE_WRITE, 2);
	assert_int_equal(co_host_file_pwrite(f, &c, 1, 0), 1);
	assert_int_equal(co_host_file_pwrite(f, &c, 1, 1), -CO_EIO);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 1);
	assert_int_equal(co_host_file_pread(f, &c, 1, 0), -CO_EIO);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_SYNC, 1);
	assert_int_equal(co_host_file_sync(f), -CO_EIO);
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_SIZE, 1, CO_ERANGE);
	assert_int_equal(co_host_file_size(f, &size), -CO_ERANGE);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_DISCARD, 1);
	assert_int_equal(co_host_file_discard(f, 0, 4096), -CO_EIO);
	/* The failed write changed nothing. */
	assert_int_equal(co_host_file_size(f, &size), 0);
	assert_int_equal(size, 1);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_WRITE), 2);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ), 1);
	co_host_file_close(f);
}

static void test_discard(void **state)
{
	struct co_host_file *f = open_new();
	static uint8_t buf[3 * 4096], back[3 * 4096];
	uint64_t size;

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(co_host_file_pwrite(f, buf, sizeof(buf), 0),
			 sizeof(buf));
	/* Every file system this runs on (ext4, xfs, btrfs, tmpfs) can. */
	assert_int_equal(co_host_file_discard(f, 4096, 4096), 0);
	assert_int_equal(co_host_file_discard(f, 0, 0), 0);
	assert_int_equal(co_host_file_size(f, &size), 0);
	assert_int_equal(size, sizeof(buf));
	assert_int_equal(co_host_file_pread(f, back, sizeof(back), 0),
			 sizeof(back));
	memset(buf + 4096, 0, 4096);
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(co_host_file_discard(f, UINT64_MAX - 10, 100),
			 -CO_ERANGE);
	co_host_file_close(f);
}

/* Views: the file's bytes in place, one mapping per open file. */
static void test_view(void **state)
{
	struct co_host_file *f = open_new(), *ro = NULL, *wo = NULL;
	const void *data, *again;
	uint8_t buf[10000];
	uint64_t size;
	size_t i;

	/* Empty: nothing to map. */
	assert_int_equal(co_host_file_view(f, &data, &size), -CO_EINVAL);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(co_host_file_pwrite(f, buf, sizeof(buf), 0), sizeof(buf));
	co_host_file_close(f);

	assert_int_equal(co_host_file_open(path, CO_FILE_READ, &ro), 0);
	assert_int_equal(co_host_file_view(ro, &data, &size), 0);
	assert_int_equal(size, sizeof(buf));
	assert_memory_equal(data, buf, sizeof(buf));
	assert_int_equal(co_host_file_view(ro, &again, &size), 0);
	assert_ptr_equal(again, data);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_VIEW), 3);
	co_host_file_close(ro);

	/* A write-only file cannot be mapped for reading. */
	assert_int_equal(co_host_file_open(path, CO_FILE_WRITE, &wo), 0);
	assert_int_equal(co_host_file_view(wo, &data, &size), -CO_EACCES);
	co_host_file_close(wo);

	/* Not a regular file: no view, the caller reads instead. */
	assert_int_equal(co_host_file_open("/dev/zero", CO_FILE_READ, &ro), 0);
	assert_int_equal(co_host_file_view(ro, &data, &size), -CO_ENOTSUP);
	co_host_file_close(ro);

	/* Injected: the error the plan says, then views again. */
	assert_int_equal(co_host_file_open(path, CO_FILE_READ, &ro), 0);
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_VIEW, 1, CO_ENOTSUP);
	assert_int_equal(co_host_file_view(ro, &data, &size), -CO_ENOTSUP);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_VIEW, 1);
	assert_int_equal(co_host_file_view(ro, &data, &size), -CO_EIO);
	assert_int_equal(co_host_file_view(ro, &data, &size), 0);
	assert_memory_equal(data, buf, sizeof(buf));
	co_host_file_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trunc_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
