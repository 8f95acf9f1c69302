/* What the configuration tests share: a temporary directory for the YAML
 * files they write, writing and loading one, and running a suite in it. */
#ifndef PBX_CONF_FIXTURE_H
#define PBX_CONF_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static char tmpdir[64];
static char path[128];
static char err[512];

/* Writes `text` to tmpdir/NAME.yaml; the path is left in `path`. */
static void
put(const char *name, const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.yaml", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes and loads a file that must be accepted. */
static struct conf *
load_ok(const char *name, const char *text)
{
	struct conf *c = NULL;
	int rc;

	put(name, text);
	rc = conf_load(&c, path, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: rc %d: %s", name, rc, err);
	ck_assert_ptr_nonnull(c);
	return c;
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* The file NAME with TEXT must be refused with "PATH:LINE:COL: " and `start`;
 * `also`, if set, in the rest. */
static inline void
conf_refused(const char *name, const char *text, int line, int col,
             const char *start, const char *also)
{
	struct conf *c = NULL;
	char head[256];
	int rc;

	put(name, text);
	rc = conf_load(&c, path, err, sizeof(err));
	ck_assert_msg(rc == EINVAL, "%s: rc %d", name, rc);
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(strchr(err, '\n'));
	snprintf(head, sizeof(head), "%s:%d:%d: %s", path, line, col, start);
	ck_assert_msg(strncmp(err, head, strlen(head)) == 0,
	              "\n got:  %s\n want: %s...", err, head);
	if (also != NULL)
		ck_assert_msg(strstr(err, also) != NULL,
		              "\n got:  %s\n want also: %s", err, also);
}

/* The whole main of a configuration test: the suite runs in a fresh
 * /tmp/NAME.XXXXXX, removed afterwards. */
static int
conf_fixture_run(Suite *s, const char *name)
{
	SRunner *sr = srunner_create(s);
	int failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
