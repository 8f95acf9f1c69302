/* The configuration document as libyaml sees it. libcyaml turns the file into
 * structs but keeps no positions, so the same bytes are also loaded here as a
 * libyaml document: syntax errors are reported from it, and every later error
 * finds its line and column by walking it with a dotted path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"

/* Deeper documents are refused, which keeps the walks below shallow. */
#define MAX_DEPTH 32

static yaml_node_t *
node_at(struct conf_doc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

static int
scalar_is(const yaml_node_t *n, const char *s, size_t len)
{
	return n != NULL && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == len &&
	       memcmp(n->data.scalar.value, s, len) == 0;
}

int
conf_doc_fail(struct conf_doc *d, yaml_mark_t mark, const char *path,
              const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->errlen == 0)
		return EINVAL;
	snprintf(d->err, d->errlen, "%s:%zu:%zu: %s%s%s", d->file,
	         mark.line + 1, mark.column + 1, path, *path ? ": " : "", msg);
	return EINVAL;
}

/* libyaml's reader reports a byte offset, not a line. */
static yaml_mark_t
mark_of_offset(const uint8_t *buf, size_t len, size_t off)
{
	yaml_mark_t m = { .index = off };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	return m;
}

static int
syntax_error(struct conf_doc *d, yaml_parser_t *p, const uint8_t *buf,
             size_t len)
{
	yaml_mark_t m = p->problem_mark;
	char ctx[128] = "";
	const char *hint = "";

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(d->err, d->errlen, "%s: out of memory", d->file);
		return ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		m = mark_of_offset(buf, len, p->problem_offset);
		return conf_doc_fail(d, m, "", "not valid UTF-8 text: %s",
		                     p->problem ? p->problem : "bad byte");
	}
	/* A key without its ':' or an unclosed quote shows up lines later;
	 * where the scanned token starts is what the user has to fix. */
	if (p->context != NULL &&
	    strncmp(p->context, "while scanning", 14) == 0) {
		if (p->context_mark.line != m.line)
			snprintf(ctx, sizeof(ctx), " (%s)", p->context);
		m = p->context_mark;
	} else if (p->context != NULL && p->context_mark.line != m.line) {
		snprintf(ctx, sizeof(ctx), " (%s at line %zu)", p->context,
		         p->context_mark.line + 1);
	}
	if (m.index < len && buf[m.index] == '\t')
		hint = "; indent with spaces, YAML does not allow tabs";
	return conf_doc_fail(d, m, "", "YAML syntax error: %s%s%s",
	                     p->problem ? p->problem : "invalid YAML", ctx,
	                     hint);
}

static void
path_join(char *out, size_t len, const char *path, const yaml_node_t *key)
{
	snprintf(out, len, "%s%s%.*s", path, *path ? "." : "",
	         (int)key->data.scalar.length,
	         (const char *)key->data.scalar.value);
}

/* Keys must be unique plain names: libcyaml would report a duplicate without
 * a useful line, and a non-scalar key as an internal error. */
static int
lint(struct conf_doc *d, yaml_node_t *n, const char *path, int depth,
     unsigned char *seen)
{
	char sub[256];
	size_t id = (size_t)(n - d->doc.nodes.start);
	yaml_node_pair_t *p, *q;
	yaml_node_item_t *it;
	int err = 0;

	if (seen[id])
		return 0; /* an alias: checked where it was anchored */
	seen[id] = 1;
	if (depth > MAX_DEPTH)
		return conf_doc_fail(d, n->start_mark, path,
		                     "nested more than %d levels deep",
		                     MAX_DEPTH);
	if (n->type == YAML_SEQUENCE_NODE) {
		it = n->data.sequence.items.start;
		for (; it < n->data.sequence.items.top; it++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path,
			         (size_t)(it - n->data.sequence.items.start));
			err = lint(d, node_at(d, *it), sub, depth + 1, seen);
			if (err)
				goto out;
		}
	}
	if (n->type != YAML_MAPPING_NODE)
		goto out;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(d, p->key);

		if (k->type != YAML_SCALAR_NODE) {
			err = conf_doc_fail(
			    d, k->start_mark, path,
			    "a key must be a plain name, not "
			    "a %s",
			    k->type == YAML_MAPPING_NODE ? "mapping" : "list");
			goto out;
		}
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node_at(d, q->key);

			if (!scalar_is(k2, (const char *)k->data.scalar.value,
			               k->data.scalar.length))
				continue;
			err = conf_doc_fail(d, k->start_mark, path,
			                    "field \"%s\" is given twice "
			                    "(first on line %zu)",
			                    (const char *)k->data.scalar.value,
			                    k2->start_mark.line + 1);
			goto out;
		}
		path_join(sub, sizeof(sub), path, k);
		err = lint(d, node_at(d, p->value), sub, depth + 1, seen);
		if (err)
			goto out;
	}
out:
	return err;
}

int
conf_doc_parse(struct conf_doc *d, const uint8_t *buf, size_t len)
{
	yaml_parser_t p;
	yaml_document_t next;
	unsigned char *seen = NULL;
	yaml_node_t *root;
	int err = 0;

	if (!yaml_parser_initialize(&p))
		return ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &d->doc)) {
		err = syntax_error(d, &p, buf, len);
		goto out;
	}
	d->loaded = 1;
	root = yaml_document_get_root_node(&d->doc);
	if (root == NULL) {
		err = conf_doc_fail(d, (yaml_mark_t){ 0 }, "",
		                    "the file is empty; expected %s",
		                    conf_schema_expect(""));
		goto out;
	}
	/* libcyaml reads the first document and ignores the rest, which
	 * would hide settings; refuse a second one. */
	if (!yaml_parser_load(&p, &next)) {
		err = syntax_error(d, &p, buf, len);
		goto out;
	}
	if (yaml_document_get_root_node(&next) != NULL) {
		err = conf_doc_fail(d, next.start_mark, "",
		                    "a second YAML document; the file must "
		                    "hold only one");
	}
	yaml_document_delete(&next);
	if (err)
		goto out;
	seen = calloc((size_t)(d->doc.nodes.top - d->doc.nodes.start), 1);
	if (seen == NULL) {
		err = ENOMEM;
		goto out;
	}
	err = lint(d, root, "", 0, seen);
out:
	free(seen);
	yaml_parser_delete(&p);
	return err;
}

void
conf_doc_fini(struct conf_doc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = 0;
}

/* Follows `path` as far as the document goes; *val and *key are the deepest
 * node reached and its key. Returns 1 when the whole path was found. */
static int
walk(struct conf_doc *d, const char *path, yaml_node_t **val, yaml_node_t **key)
{
	yaml_node_t *n = yaml_document_get_root_node(&d->doc);
	const char *p = path;

	*val = n;
	*key = NULL;
	while (n != NULL && *p != '\0') {
		yaml_node_t *next = NULL, *nkey = NULL;

		if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);

			if (*end != ']' || n->type != YAML_SEQUENCE_NODE)
				return 0;
			if (i < (unsigned long)(n->data.sequence.items.top -
			                        n->data.sequence.items.start))
				next =
				    node_at(d, n->data.sequence.items.start[i]);
			p = end + 1;
		} else {
			size_t len = strcspn(p, ".[");
			yaml_node_pair_t *pr;

			if (n->type != YAML_MAPPING_NODE)
				return 0;
			for (pr = n->data.mapping.pairs.start;
			     pr < n->data.mapping.pairs.top; pr++) {
				if (scalar_is(node_at(d, pr->key), p, len)) {
					nkey = node_at(d, pr->key);
					next = node_at(d, pr->value);
					break;
				}
			}
			p += len;
		}
		if (next == NULL)
			return 0;
		n = *val = next;
		*key = nkey;
		if (*p == '.')
			p++;
	}
	return n != NULL;
}

yaml_node_t *
conf_doc_find(struct conf_doc *d, const char *path, yaml_node_t **key)
{
	yaml_node_t *val, *k;

	if (!d->loaded || !walk(d, path, &val, &k))
		return NULL;
	if (key != NULL)
		*key = k;
	return val;
}

yaml_mark_t
conf_doc_mark(struct conf_doc *d, const char *path, int at_key)
{
	yaml_node_t *val = NULL, *key = NULL;
	int whole;

	if (!d->loaded)
		return (yaml_mark_t){ 0 };
	whole = walk(d, path, &val, &key);
	if (key != NULL && (at_key || !whole))
		return key->start_mark;
	if (val != NULL)
		return val->start_mark;
	return (yaml_mark_t){ 0 };
}

void
conf_doc_describe(char *buf, size_t len, const yaml_node_t *n)
{
	const char *s;
	size_t i, o = 0, slen;

	if (n == NULL || n->type == YAML_NO_NODE) {
		snprintf(buf, len, "nothing");
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		snprintf(buf, len, "a list");
		return;
	}
	if (n->type == YAML_MAPPING_NODE) {
		snprintf(buf, len, "a mapping");
		return;
	}
	s = (const char *)n->data.scalar.value;
	slen = n->data.scalar.length;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (slen == 0 || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0)) {
		snprintf(buf, len, "nothing");
		return;
	}
	/* Quoted, cut at 40 bytes, control characters as '?'. */
	if (len < 8)
		return;
	buf[o++] = '"';
	for (i = 0; i < slen && i < 40 && o + 6 < len; i++)
		buf[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (i < slen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}
