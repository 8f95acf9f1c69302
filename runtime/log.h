/*
 * Logging: one line per event on stderr,
 *   2026-11-21T19:40:01.123Z INFO  pbx1 w0 registrar#1043 text
 * with time (UTC), level, node, worker (w0, w1...; "main" for the main thread,
 * "io" for library threads such as nng's) and actor
 * ("-" outside any actor). Thread-safe; the level can change at run time.
 * The text is escaped (rt_log_escape), so a line is always one line, however
 * it was built and whatever a SIP peer put in it.
 */
#ifndef PBX_LOG_H
#define PBX_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum rt_log_level {
	RT_LOG_ERROR = 0,
	RT_LOG_WARN,
	RT_LOG_INFO,
	RT_LOG_DEBUG,
};

extern int rt_log_level_cur;

void rt_log_set_node(const char *name);
void rt_log_set_level(enum rt_log_level l);
/* 0 and *out set, or EINVAL for an unknown name. */
int rt_log_level_parse(const char *s, enum rt_log_level *out);
const char *rt_log_level_name(enum rt_log_level l);

/* Context of the calling thread, set by the runtime's dispatcher. */
void rt_log_set_worker(int worker);
/* Name of a thread that is no worker ("main"); others log as "io". */
void rt_log_set_thread(const char *name);
void rt_log_set_actor(const char *kind, unsigned long long id);

/* Copy n bytes of src to dst (cap bytes, NUL-terminated) for the log: CR,
 * LF and TAB as \r \n \t, other control bytes (< 0x20, 0x7f), bytes that
 * are not well-formed UTF-8 and the C1 controls as \xNN; printable ASCII
 * and well-formed UTF-8 as they are. Stops before a character that does not
 * fit; returns the length written. */
size_t rt_log_escape(char *dst, size_t cap, const char *src, size_t n);

void rt_logf(enum rt_log_level l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define rt_log(l, ...)                                                         \
	do {                                                                   \
		if ((int)(l) <= rt_log_level_cur)                              \
			rt_logf((l), __VA_ARGS__);                             \
	} while (0)
#define rt_err(...)   rt_log(RT_LOG_ERROR, __VA_ARGS__)
#define rt_warn(...)  rt_log(RT_LOG_WARN, __VA_ARGS__)
#define rt_info(...)  rt_log(RT_LOG_INFO, __VA_ARGS__)
#define rt_debug(...) rt_log(RT_LOG_DEBUG, __VA_ARGS__)

#endif
