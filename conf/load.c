/* conf_load(): read the file, parse it with libyaml for positions, load it
 * with libcyaml, then check it. libcyaml reports a problem as several log
 * lines (a message, then a backtrace of the fields it was in); they are
 * captured here and turned into one line that points into the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

/* What libcyaml said about the first error of a load. */
struct cylog {
	char msg[256];      /* "Unexpected key: wrokers" */
	char frames[8][96]; /* backtrace, innermost first */
	int nframes;
	int in_backtrace;
};

static void
cy_log(cyaml_log_t level, void *ctx, const char *fmt, va_list ap)
{
	struct cylog *l = ctx;
	char line[256];
	const char *s = line;
	size_t n;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (strncmp(s, "Load: ", 6) == 0)
		s += 6;
	if (strcmp(s, "Backtrace:") == 0) {
		l->in_backtrace = 1;
	} else if (l->in_backtrace && strncmp(s, "  in ", 5) == 0) {
		if (l->nframes <
		    (int)(sizeof(l->frames) / sizeof(l->frames[0])))
			snprintf(l->frames[l->nframes++], sizeof(l->frames[0]),
			         "%s", s + 5);
	} else if (l->msg[0] == '\0') {
		snprintf(l->msg, sizeof(l->msg), "%s", s);
	}
}

/* Rebuilds the dotted path from the backtrace: "mapping field 'x' (...)"
 * and "sequence entry 'N' (...)", N counting from 1. */
static void
cy_path(char *out, size_t len, const struct cylog *l)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = l->nframes - 1; i >= 0; i--) {
		char name[96];
		unsigned idx;
		int n = 0;

		if (sscanf(l->frames[i], "mapping field '%95[^']'", name) == 1)
			n = snprintf(out + used, len - used, "%s%s",
			             used ? "." : "", name);
		else if (sscanf(l->frames[i], "sequence entry '%u'", &idx) ==
		             1 &&
		         idx > 0)
			n = snprintf(out + used, len - used, "[%u]", idx - 1);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

/* Edit distance, for "did you mean"; keys are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t row[64], la = strlen(a), lb = strlen(b), i, j;

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int
unknown_key(struct conf_doc *d, const char *path, const char *key)
{
	const cyaml_schema_field_t *f = conf_schema_fields(path);
	const char *best = NULL;
	size_t best_dist = 3; /* suggest only close matches */
	char where[320], names[160], hint[96] = "";

	conf_schema_names(names, sizeof(names), f);
	for (; f != NULL && f->key != NULL; f++) {
		size_t dist = distance(key, f->key);

		if (dist < best_dist) {
			best = f->key;
			best_dist = dist;
		}
	}
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean \"%s\"?", best);
	snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
	return conf_doc_fail(d, conf_doc_mark(d, where, 1), path,
	                     "unknown %s \"%s\"%s (known: %s)",
	                     *path ? "field" : "section", key, hint, names);
}

static int
cy_fail(struct conf_doc *d, const struct cylog *l, cyaml_err_t e)
{
	char path[256], got[64];
	unsigned line, col;
	yaml_mark_t m;

	cy_path(path, sizeof(path), l);
	if (strncmp(l->msg, "Unexpected key: ", 16) == 0)
		return unknown_key(d, path, l->msg + 16);
	if (strncmp(l->msg, "Expecting ", 10) == 0) {
		conf_doc_describe(got, sizeof(got),
		                  conf_doc_find(d, path, NULL));
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "expected %s, got %s",
		                     conf_schema_expect(path), got);
	}
	/* Anything else is passed on as libcyaml words it, at the position
	 * it gave (1-based) or else where the path points. */
	m = conf_doc_mark(d, path, 0);
	if (l->nframes > 0 &&
	    sscanf(l->frames[0], "%*[^(](line: %u, column: %u", &line, &col) ==
	        2 &&
	    line > 0 && col > 0) {
		m.line = line - 1;
		m.column = col - 1;
	}
	return conf_doc_fail(d, m, path, "%s",
	                     l->msg[0] ? l->msg : cyaml_strerror(e));
}

static int
read_file(uint8_t **out, size_t *outlen, struct conf_doc *d)
{
	FILE *f = fopen(d->file, "rb");
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (f == NULL) {
		rc = errno;
		goto out;
	}
	/* One byte past the limit tells a file that is too large. */
	buf = malloc(CONF_MAX_FILE + 1);
	if (buf == NULL) {
		rc = ENOMEM;
		goto out;
	}
	len = fread(buf, 1, CONF_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = errno ? errno : EIO;
		goto out;
	}
	if (len > CONF_MAX_FILE) {
		rc = EFBIG;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	if (rc && d->errlen > 0)
		snprintf(d->err, d->errlen, "%s: cannot read: %s%s", d->file,
		         strerror(rc), rc == EFBIG ? " (1 MiB at most)" : "");
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

int
conf_load(struct conf **out, const char *path, char *err, size_t errlen)
{
	struct conf_doc d = { .file = path, .err = err, .errlen = errlen };
	struct cylog log = { .nframes = 0 };
	cyaml_config_t cfg = {
		.log_fn = cy_log,
		.log_ctx = &log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	struct conf_raw none = { 0 }, *raw = NULL;
	struct conf_box *b = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	cyaml_err_t ce;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	rc = read_file(&buf, &len, &d);
	if (rc)
		goto out;
	rc = conf_doc_parse(&d, buf, len);
	if (rc)
		goto out;
	ce = cyaml_load_data(buf, len, &cfg, &conf_schema,
	                     (cyaml_data_t **)&raw, NULL);
	if (ce == CYAML_ERR_OOM) {
		rc = ENOMEM;
		goto out;
	}
	if (ce != CYAML_OK) {
		rc = cy_fail(&d, &log, ce);
		goto out;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		rc = ENOMEM;
		goto out;
	}
	/* libcyaml returns no data when the file sets nothing, e.g. "{}". */
	rc = conf_check(b, raw != NULL ? raw : &none, &d);
	if (rc)
		goto out;
	*out = &b->c;
	b = NULL;
out:
	if (rc == ENOMEM && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", path);
	if (b != NULL) {
		conf_fini(b);
		free(b);
	}
	if (raw != NULL)
		cyaml_free(&cfg, &conf_schema, raw, 0);
	conf_doc_fini(&d);
	free(buf);
	return rc;
}

void
conf_free(struct conf *c)
{
	struct conf_box *b = (struct conf_box *)c; /* c is its first member */

	if (c == NULL)
		return;
	conf_fini(b);
	free(b);
}
