#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int rt_log_level_cur = RT_LOG_INFO;

static char node_name[64] = "-";
static _Thread_local int cur_worker = -1;
static _Thread_local const char *cur_thread; /* a non-worker thread's name */
static _Thread_local const char *cur_kind;
static _Thread_local unsigned long long cur_id;

static const char *const names[] = { "error", "warn", "info", "debug" };

void
rt_log_set_node(const char *name)
{
	snprintf(node_name, sizeof(node_name), "%s", name ? name : "-");
}

void
rt_log_set_level(enum rt_log_level l)
{
	__atomic_store_n(&rt_log_level_cur, (int)l, __ATOMIC_RELAXED);
}

int
rt_log_level_parse(const char *s, enum rt_log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum rt_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = RT_LOG_WARN;
		return 0;
	}
	return EINVAL;
}

const char *
rt_log_level_name(enum rt_log_level l)
{
	if ((unsigned)l >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[l];
}

void
rt_log_set_worker(int worker)
{
	cur_worker = worker;
}

void
rt_log_set_thread(const char *name)
{
	cur_thread = name;
}

void
rt_log_set_actor(const char *kind, unsigned long long id)
{
	cur_kind = kind;
	cur_id = id;
}

void
rt_logf(enum rt_log_level l, const char *fmt, ...)
{
	static const char *const tags[] = { "ERROR", "WARN ", "INFO ",
		                            "DEBUG" };
	char line[2048], wk[16], ac[96];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (cur_worker < 0)
		snprintf(wk, sizeof(wk), "%s", cur_thread ? cur_thread : "io");
	else
		snprintf(wk, sizeof(wk), "w%d", cur_worker);
	if (cur_kind)
		snprintf(ac, sizeof(ac), "%s#%llu", cur_kind, cur_id);
	else
		snprintf(ac, sizeof(ac), "-");

	n = snprintf(line, sizeof(line),
	             "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	             tags[(unsigned)l < 4 ? l : 0], node_name, wk, ac);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* one event, one line: fold embedded newlines */
	for (char *p = line + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s\n", line);
}
