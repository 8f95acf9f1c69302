#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Length of the well-formed UTF-8 sequence at p (2-4), or 0: overlong
 * forms, surrogates, code points past U+10FFFF and the C1 controls
 * (U+0080-U+009F, which some terminals obey) do not count. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

size_t
rt_log_escape(char *dst, size_t cap, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0, i = 0;

	while (i < n) {
		unsigned char c = p[i];
		char esc[4];
		size_t el = 0, ul;

		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80 && (ul = utf8_len(p + i, n - i)) != 0) {
			if (o + ul >= cap)
				break;
			memcpy(dst + o, p + i, ul);
			o += ul;
			i += ul;
			continue;
		}
		esc[el++] = '\\';
		if (c == '\n' || c == '\r' || c == '\t') {
			esc[el++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else {
			esc[el++] = 'x';
			esc[el++] = hex[c >> 4];
			esc[el++] = hex[c & 15];
		}
		if (o + el >= cap)
			break;
		memcpy(dst + o, esc, el);
		o += el;
		i++;
	}
	if (cap)
		dst[o] = '\0';
	return o;
}

void
rt_logf(enum rt_log_level l, const char *fmt, ...)
{
	static const char *const tags[] = { "ERROR", "WARN ", "INFO ",
		                            "DEBUG" };
	char text[2048], line[4 * sizeof(text) + 256], wk[16], ac[96];
	char *t = text, *out = line;
	size_t cap = sizeof(line), o;
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, tl;

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

	va_start(ap, fmt);
	tl = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (tl < 0)
		tl = 0;
	/* a long text (a whole SIP message in a full trace) gets a heap
	 * buffer; without memory, the start of it is better than nothing */
	if ((size_t)tl >= sizeof(text)) {
		char *big = malloc((size_t)tl + 1);
		char *bigout = big ? malloc(4 * (size_t)tl + 256) : NULL;

		if (big && bigout) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)tl + 1, fmt, ap);
			va_end(ap);
			t = big;
			out = bigout;
			cap = 4 * (size_t)tl + 256;
		} else {
			free(big);
			tl = (int)sizeof(text) - 1;
		}
	}

	n = snprintf(out, cap,
	             "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	             tags[(unsigned)l < 4 ? l : 0], node_name, wk, ac);
	if (n < 0 || (size_t)n >= cap)
		n = 0;
	/* one event, one line, and nothing a peer sent (a User-Agent, a URI)
	 * reaches the terminal or the log file raw */
	o = (size_t)n +
	    rt_log_escape(out + n, cap - (size_t)n - 1, t, (size_t)tl);
	out[o++] = '\n';
	fwrite(out, 1, o, stderr);
	if (t != text) {
		free(t);
		free(out);
	}
}
