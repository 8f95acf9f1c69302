#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

static int
set(char *buf, size_t n, const char *from, const char *what)
{
	size_t l = strlen(from);

	if (l >= n) {
		fprintf(stderr, "pbxctl: the token from %s is too long\n",
		        what);
		return 2;
	}
	memcpy(buf, from, l + 1);
	return 0;
}

int
ctl_token(char *buf, size_t n, const char *given, const char *file)
{
	const char *env = getenv("PBX_ADMIN_TOKEN");
	FILE *f;
	size_t l;

	buf[0] = '\0';
	if (given)
		return set(buf, n, given, "--token");
	if (!file)
		return env ? set(buf, n, env, "PBX_ADMIN_TOKEN") : 0;
	if (!(f = fopen(file, "r"))) {
		fprintf(stderr, "pbxctl: --token-file %s: %s\n", file,
		        strerror(errno));
		return 2;
	}
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r' ||
	             buf[l - 1] == ' ' || buf[l - 1] == '\t'))
		buf[--l] = '\0';
	if (!l) {
		fprintf(stderr, "pbxctl: --token-file %s: no token in it\n",
		        file);
		return 2;
	}
	return 0;
}
