/*
 * The writer's scratch for protobuf-c: what applying one event unpacks (the
 * event, the AOR's stored bindings) is bump-allocated from one block and
 * dropped at once by store_arena_reset, instead of a malloc and a free per
 * field and a walk of every message to free it. Used only by whoever holds
 * the write transaction (the writer thread, or store_open's replay).
 */
#include <stddef.h>
#include <stdlib.h>

#include "store_int.h"

#define ARENA_BLOCK (64 * 1024)
#define ARENA_ALIGN (_Alignof(max_align_t))

/* What does not fit in the block: one malloc each, freed at reset. */
struct arena_big {
	struct arena_big *next;
	max_align_t data[];
};

static void *
arena_alloc(void *d, size_t n)
{
	struct store_arena *a = d;
	struct arena_big *b;

	n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (a->block && n <= a->cap - a->used) {
		void *p = a->block + a->used;

		a->used += n;
		return p;
	}
	b = malloc(sizeof(*b) + n);
	if (!b)
		return NULL;
	b->next = a->big;
	a->big = b;
	return b->data;
}

static void
arena_free(void *d, void *p)
{
	(void)d;
	(void)p; /* all of it goes at store_arena_reset */
}

void
store_arena_init(struct store_arena *a)
{
	a->block = malloc(ARENA_BLOCK);
	a->cap = a->block ? ARENA_BLOCK : 0;
	a->used = 0;
	a->big = NULL;
	a->pb.alloc = arena_alloc;
	a->pb.free = arena_free;
	a->pb.allocator_data = a;
}

void
store_arena_reset(struct store_arena *a)
{
	struct arena_big *b, *n;

	for (b = a->big; b; b = n) {
		n = b->next;
		free(b);
	}
	a->big = NULL;
	a->used = 0;
}

void
store_arena_fini(struct store_arena *a)
{
	store_arena_reset(a);
	free(a->block);
	a->block = NULL;
	a->cap = 0;
}
