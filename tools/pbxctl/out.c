#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

void
table_init(struct table *t, int cols, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	t->cols = cols;
	va_start(ap, cols);
	t->cap = 8;
	t->cells = calloc((size_t)t->cap * (size_t)cols, sizeof(char *));
	for (int i = 0; i < cols; i++)
		t->cells[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	t->rows = 1;
}

void
table_row(struct table *t, ...)
{
	va_list ap;

	if (t->rows == t->cap) {
		t->cap *= 2;
		t->cells = realloc(t->cells, (size_t)t->cap * (size_t)t->cols *
		                                 sizeof(char *));
	}
	va_start(ap, t);
	for (int i = 0; i < t->cols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->rows * t->cols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->rows++;
}

void
table_print(struct table *t, FILE *f)
{
	size_t w[32] = { 0 };

	for (int r = 0; r < t->rows; r++)
		for (int c = 0; c < t->cols && c < 32; c++) {
			size_t l = strlen(t->cells[r * t->cols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (int r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->cols; c++) {
			const char *s = t->cells[r * t->cols + c];

			if (c == t->cols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
	}
}

void
table_free(struct table *t)
{
	for (int i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static void
sep(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key)
		fprintf(j->f, "\"%s\":", key);
}

void
json_begin(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void
open_(struct json *j, const char *key, char c)
{
	if (j->depth > 0 || !j->first[0])
		sep(j, key);
	else
		j->first[0] = false;
	fputc(c, j->f);
	j->first[++j->depth] = true;
}

void
json_obj(struct json *j, const char *key)
{
	open_(j, key, '{');
}

void
json_arr(struct json *j, const char *key)
{
	open_(j, key, '[');
}

void
json_end_obj(struct json *j)
{
	j->depth--;
	fputc('}', j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void
json_end_arr(struct json *j)
{
	j->depth--;
	fputc(']', j->f);
}

void
json_str(struct json *j, const char *key, const char *v)
{
	sep(j, key);
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p;
	     p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void
json_u64(struct json *j, const char *key, uint64_t v)
{
	sep(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void
json_bool(struct json *j, const char *key, bool v)
{
	sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
json_f64(struct json *j, const char *key, double v)
{
	sep(j, key);
	fprintf(j->f, "%.3f", v);
}

void
fmt_duration(char *buf, size_t n, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, n, "%llud %02llu:%02llu:%02llu",
		         (unsigned long long)(s / 86400),
		         (unsigned long long)(s / 3600 % 24),
		         (unsigned long long)(s / 60 % 60),
		         (unsigned long long)(s % 60));
	else
		snprintf(buf, n, "%02llu:%02llu:%02llu",
		         (unsigned long long)(s / 3600),
		         (unsigned long long)(s / 60 % 60),
		         (unsigned long long)(s % 60));
}
