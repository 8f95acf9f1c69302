/* Pointer-length slices into a buffer someone else owns (libre-style). */
#ifndef SIP_PL_H
#define SIP_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* A slice: p points into borrowed bytes, l is its length. An absent value
 * has p == NULL; a present but empty value has p != NULL and l == 0. */
struct pl {
	const char *p;
	size_t l;
};

#define PL(s)                                                                  \
	(struct pl)                                                            \
	{                                                                      \
		(s), sizeof(s) - 1                                             \
	}
#define PL_INIT                                                                \
	{                                                                      \
		NULL, 0                                                        \
	}
/* printf("%.*s", PL_ARG(pl)) */
#define PL_ARG(pl) (int)(pl).l, (pl).p

static inline struct pl
pl_from_str(const char *s)
{
	struct pl pl = { s, s ? strlen(s) : 0 };
	return pl;
}

static inline bool
pl_isset(const struct pl *pl)
{
	return pl->p != NULL;
}

/* Exact, case-sensitive comparison with a C string. */
static inline bool
pl_eq_str(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);
	return pl->p && pl->l == n && memcmp(pl->p, s, n) == 0;
}

/* ASCII case-insensitive equality of n bytes (no locale, no libc call). */
static inline bool
pl_casecmp_(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return false;
	}
	return true;
}

/* Case-insensitive comparison with a C string (ASCII). */
static inline bool
pl_eqi_str(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);
	return pl->p && pl->l == n && pl_casecmp_(pl->p, s, n);
}

static inline bool
pl_eq(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return a->p == b->p;
	return a->l == b->l && memcmp(a->p, b->p, a->l) == 0;
}

static inline bool
pl_eqi(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return a->p == b->p;
	return a->l == b->l && pl_casecmp_(a->p, b->p, a->l);
}

#endif
