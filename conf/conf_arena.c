/* The arena that holds the directory's strings and variables: large blocks
 * handed out in order and freed together, so that a user costs its bytes and
 * not a dozen malloc headers. */
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define CHUNK (256 * 1024)

struct conf_chunk {
	struct conf_chunk *next;
	size_t used;
	size_t cap;
	char data[];
};

void *
conf_arena_take(struct conf_arena *a, size_t n, size_t align)
{
	struct conf_chunk *k = a->head;
	size_t at = k ? (k->used + align - 1) & ~(align - 1) : 0;

	if (k == NULL || at + n > k->cap) {
		size_t cap = n > CHUNK / 4 ? n : CHUNK;

		k = malloc(sizeof(*k) + cap);
		if (k == NULL)
			return NULL;
		k->cap = cap;
		k->used = 0;
		a->bytes += sizeof(*k) + cap;
		/* A large block of its own goes behind the current chunk,
		 * which keeps taking the small ones. */
		if (cap > CHUNK && a->head != NULL) {
			k->next = a->head->next;
			a->head->next = k;
			k->used = n;
			return k->data;
		}
		k->next = a->head;
		a->head = k;
		at = 0;
	}
	k->used = at + n;
	return k->data + at;
}

void *
conf_arena_alloc(struct conf_arena *a, size_t n)
{
	return conf_arena_take(a, n, sizeof(void *));
}

char *
conf_arena_strdup(struct conf_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = conf_arena_take(a, n, 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
conf_arena_fini(struct conf_arena *a)
{
	while (a->head != NULL) {
		struct conf_chunk *k = a->head;

		a->head = k->next;
		free(k);
	}
	a->bytes = 0;
}
