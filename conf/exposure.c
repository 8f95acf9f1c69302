/* The exposure rules. The demo password: the shipped users have the
 * password 1234, fine while SIP listens on loopback only and refused once it
 * is reachable from the network, unless directory.lab says that this is a
 * lab. The admin socket: anybody who reaches it controls the node, so off
 * this machine it needs admin.token. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_int.h"

int
conf_is_loopback(const struct conf_addr *a)
{
	static const unsigned char one[16] = { [15] = 1 };
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned char bin[16];

	if (inet_pton(a->family, a->host, bin) != 1)
		return 0;
	if (a->family == AF_INET)
		return bin[0] == 127;
	return memcmp(bin, one, 16) == 0 ||
	       (memcmp(bin, v4mapped, 12) == 0 && bin[12] == 127);
}

/* The first user with the demo password, or NULL. */
const struct conf_user *
conf_demo_user(const struct conf_directory *dir)
{
	size_t i;

	for (i = 0; i < dir->user_count; i++) {
		const char *p = dir->users[i].password;

		if (p != NULL && strcmp(p, CONF_DEMO_PASSWORD) == 0)
			return &dir->users[i];
	}
	return NULL;
}

int
conf_check_exposure(const struct conf *c, const struct conf_addr *listen,
                    size_t n, char *err, size_t errlen)
{
	const struct conf_user *u;
	size_t i;

	if (c->directory.lab || (u = conf_demo_user(&c->directory)) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (conf_is_loopback(&listen[i]))
			continue;
		if (errlen > 0)
			snprintf(err, errlen, "%s: " CONF_EXPOSED,
			         listen[i].text, "user ", u->id, "",
			         listen[i].text);
		return EPERM;
	}
	return 0;
}

int
conf_check_profile_exposure(const struct conf *c, struct conf_doc *d)
{
	const struct conf_user *u;
	char path[64];

	if (c->directory.lab || (u = conf_demo_user(&c->directory)) == NULL)
		return 0;
	for (size_t i = 0; i < c->profile_count; i++) {
		const struct conf_profile *p = &c->profiles[i];

		for (size_t j = 0; j < p->listen_count; j++) {
			if (conf_is_loopback(&p->listen[j]))
				continue;
			snprintf(path, sizeof(path),
			         "profiles[%zu].listen[%zu]", i, j);
			return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
			                     CONF_EXPOSED, "user ", u->id, "",
			                     p->listen[j].text);
		}
	}
	return 0;
}

int
conf_admin_is_local(const char *url)
{
	struct conf_addr a = { .port = 0 };
	const char *host, *end;
	size_t n;

	if (strncmp(url, "ipc://", 6) == 0 || strncmp(url, "inproc://", 9) == 0)
		return 1;
	if (strncmp(url, "tcp://", 6) != 0)
		return 0; /* tls+tcp://, ws://...: a network transport */
	host = url + 6;
	end = strrchr(host, ':');
	if (end == NULL)
		return 0;
	if (*host == '[' && end > host && end[-1] == ']') {
		host++;
		n = (size_t)(end - 1 - host);
		a.family = AF_INET6;
	} else {
		n = (size_t)(end - host);
		a.family = AF_INET;
	}
	if (n == 9 && strncmp(host, "localhost", 9) == 0)
		return 1;
	if (n == 0 || n >= sizeof(a.host))
		return 0; /* tcp://:7000 is every address */
	memcpy(a.host, host, n);
	a.host[n] = '\0';
	return conf_is_loopback(&a);
}

int
conf_check_admin(const struct conf *c, char *err, size_t errlen)
{
	if (c->admin.token != NULL || conf_admin_is_local(c->admin.listen))
		return 0;
	if (errlen > 0)
		snprintf(err, errlen, CONF_ADMIN_OPEN, c->admin.listen);
	return EPERM;
}
