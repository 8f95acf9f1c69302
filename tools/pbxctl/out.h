/* Output for pbxctl: aligned tables for people, JSON for scripts. */
#ifndef PBXCTL_OUT_H
#define PBXCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A table: add a header row, then rows of the same width; print aligns. */
struct table {
	int cols, rows, cap;
	char **cells; /* rows * cols, owned */
};
void table_init(struct table *t, int cols, ...);
void table_row(struct table *t, ...);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

/* JSON: a tiny streaming writer with correct string escaping. */
struct json {
	FILE *f;
	int depth;
	bool first[32];
};
void json_begin(struct json *j, FILE *f);
void json_obj(struct json *j, const char *key); /* key NULL in arrays */
void json_arr(struct json *j, const char *key);
void json_end_obj(struct json *j);
void json_end_arr(struct json *j);
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_f64(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);

/* "1d 02:03:04" */
void fmt_duration(char *buf, size_t n, uint64_t ms);

#endif
