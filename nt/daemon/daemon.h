/* SPDX-License-Identifier: GPL-2.0 */
/* colinux-daemon.exe: helpers shared between its two files. */
#ifndef CO_NT_DAEMON_H
#define CO_NT_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

extern bool co_daemon_verbose;

/* UTF-8 to a malloc'd UTF-16 string; NULL if invalid. */
wchar_t *co_daemon_wide(const char *utf8);
/* Read a whole file into a malloc'd buffer (at most 2 GiB). */
int co_daemon_read_file(const char *path, uint8_t **data, size_t *len);

#endif
