#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "pbx_fnv.h"

struct directory {
	const struct conf_user **slots; /* open addressing */
	size_t cap, n;
};

static uint64_t
hash_pl(uint64_t h, const char *p, size_t l, bool fold)
{
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)p[i];

		h = pbx_fnv64_byte(h, fold ? (unsigned char)tolower(c) : c);
	}
	return h;
}

static uint64_t
key(const char *u, size_t ul, const char *d, size_t dl)
{
	uint64_t h = hash_pl(PBX_FNV64_INIT, u, ul, false);

	h = pbx_fnv64_byte(h, '@');
	return hash_pl(h, d, dl, true);
}

int
directory_build(struct directory **out, const struct conf_directory *cd)
{
	struct directory *d = calloc(1, sizeof(*d));

	if (!d)
		return ENOMEM;
	d->cap = 64;
	while (d->cap < cd->user_count * 2)
		d->cap *= 2;
	d->slots = calloc(d->cap, sizeof(*d->slots));
	if (!d->slots) {
		free(d);
		return ENOMEM;
	}
	for (size_t i = 0; i < cd->user_count; i++) {
		const struct conf_user *u = &cd->users[i];
		size_t s =
		    key(u->id, strlen(u->id), u->domain, strlen(u->domain)) &
		    (d->cap - 1);

		while (d->slots[s])
			s = (s + 1) & (d->cap - 1);
		d->slots[s] = u;
		d->n++;
	}
	*out = d;
	return 0;
}

void
directory_free(struct directory *d)
{
	if (d) {
		free(d->slots);
		free(d);
	}
}

const struct conf_user *
directory_find(const struct directory *d, const struct pl *user,
               const struct pl *domain)
{
	size_t s = key(user->p, user->l, domain->p, domain->l) & (d->cap - 1);

	for (; d->slots[s]; s = (s + 1) & (d->cap - 1)) {
		const struct conf_user *u = d->slots[s];

		if (pl_eq_str(user, u->id) && pl_eqi_str(domain, u->domain))
			return u;
	}
	return NULL;
}

size_t
directory_count(const struct directory *d)
{
	return d->n;
}
