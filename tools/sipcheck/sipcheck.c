/* sipcheck FILE...: parse each file as one SIP message (a datagram) and say
 * whether the codec accepts it. Exit 0 when all were accepted, 1 when any
 * was rejected, 2 on usage or I/O errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

static int
read_file(char **bufp, size_t *lenp, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return errno;
	for (;;) {
		size_t n;
		if (len == cap) {
			char *nb;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				err = ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
out:
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sip_limits lim;
	struct sip_msg *msg;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sipcheck FILE...\n");
		return 2;
	}
	msg = malloc(sizeof(*msg));
	if (!msg)
		return 2;
	sip_limits_default(&lim);
	for (int i = 1; i < argc; i++) {
		char *buf = NULL;
		size_t len = 0;
		int err = read_file(&buf, &len, argv[i]);

		if (err) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(err));
			status = 2;
			continue;
		}
		err = sip_msg_decode(msg, buf, len, &lim);
		if (err) {
			printf("%s: reject %s\n", argv[i],
			       msg->err ? msg->err : strerror(err));
			if (status == 0)
				status = 1;
		} else if (msg->req) {
			printf("%s: accept request %.*s\n", argv[i],
			       PL_ARG(msg->method));
		} else {
			printf("%s: accept response %u\n", argv[i], msg->scode);
		}
		free(buf);
	}
	free(msg);
	return status;
}
