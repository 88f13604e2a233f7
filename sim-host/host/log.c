// SPDX-License-Identifier: GPL-2.0
/* Formatting and logging: stderr with a threshold, plus a capture for tests. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int threshold;
static bool threshold_set;	/* else read $CO_LOG first */
static char *cap_buf;
static size_t cap_size, cap_len;
static void (*hook_fn)(void *ctx, int level, const char *line);
static void *hook_ctx;

static const char *const level_names[] = {
	[CO_LOG_ERROR]	= "error",
	[CO_LOG_WARN]	= "warn",
	[CO_LOG_INFO]	= "info",
	[CO_LOG_DEBUG]	= "debug",
};

static const char *level_name(int level)
{
	if (level < CO_LOG_ERROR || level > CO_LOG_DEBUG)
		return "?";
	return level_names[level];
}

/* Called with the lock held. */
static int current_threshold(void)
{
	const char *env;

	if (!threshold_set) {
		threshold_set = true;
		env = getenv("CO_LOG");
		threshold = CO_LOG_WARN;
		if (env && *env >= '0' && *env <= '3' && !env[1])
			threshold = *env - '0';
	}
	return threshold;
}

int co_sim_log_level(int level)
{
	int old;

	pthread_mutex_lock(&log_lock);
	old = current_threshold();
	threshold = level;
	pthread_mutex_unlock(&log_lock);
	return old;
}

static void capture(int level, const char *line)
{
	int n;

	if (!cap_buf || cap_len + 1 >= cap_size)
		return;
	n = snprintf(cap_buf + cap_len, cap_size - cap_len, "%s: %s\n",
		     level_name(level), line);
	if (n < 0)
		return;
	cap_len += (size_t)n;
	if (cap_len >= cap_size)
		cap_len = cap_size - 1;
}

void co_host_log(int level, const char *line)
{
	void (*fn)(void *ctx, int level, const char *line);
	void *ctx;

	if (!line)
		line = "(null)";
	pthread_mutex_lock(&log_lock);
	if (level <= current_threshold())
		fprintf(stderr, "colinux: %s: %s\n", level_name(level), line);
	capture(level, line);
	fn = hook_fn;
	ctx = hook_ctx;
	pthread_mutex_unlock(&log_lock);
	if (fn)
		fn(ctx, level, line);
}

void co_sim_logf(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	co_host_log(level, line);
}

void co_sim_log_capture(char *buf, size_t size)
{
	pthread_mutex_lock(&log_lock);
	cap_buf = size ? buf : NULL;
	cap_size = size;
	cap_len = 0;
	if (cap_buf)
		cap_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

bool co_sim_log_contains(const char *needle)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = cap_buf && strstr(cap_buf, needle);
	pthread_mutex_unlock(&log_lock);
	return found;
}

void co_sim_log_hook(void (*fn)(void *ctx, int level, const char *line),
		     void *ctx)
{
	pthread_mutex_lock(&log_lock);
	hook_fn = fn;
	hook_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}
