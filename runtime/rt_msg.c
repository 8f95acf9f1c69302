/*
 * Messages: an envelope and its body in one block, with a bump arena for
 * strings, bytes and repeated fields, so that a message is one allocation and
 * one free whether it was built here or unpacked from another node.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rt_int.h"

#define ALIGN(n) (((n) + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1))
#define MAX_CASE 1024

struct body_info {
	const ProtobufCMessageDescriptor *desc;
	unsigned offset;
};
static struct body_info bodies[MAX_CASE];
static pthread_once_t bodies_once = PTHREAD_ONCE_INIT;

static void
bodies_init(void)
{
	const ProtobufCMessageDescriptor *d = &pbx__envelope__descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    f->type != PROTOBUF_C_TYPE_MESSAGE || f->id >= MAX_CASE)
			continue;
		bodies[f->id].desc = f->descriptor;
		bodies[f->id].offset = f->offset;
	}
}

static void
arena_set(rt_msg *m, char *p, size_t n)
{
	m->arena = p;
	m->arena_left = n;
}

static rt_msg *
msg_alloc(size_t payload)
{
	rt_msg *m = malloc(sizeof(*m) + payload);

	if (!m)
		return NULL;
	atomic_store_explicit(&m->q.next, NULL, memory_order_relaxed);
	m->q.type = RT_Q_MSG;
	m->chunks = NULL;
	arena_set(m, (char *)m->data, payload);
	return m;
}

rt_msg *
rt_msg_new(Pbx__Envelope__BodyCase body, size_t extra, void *bodyp)
{
	const struct body_info *bi;
	size_t bsize;
	void *b;
	rt_msg *m;

	pthread_once(&bodies_once, bodies_init);
	if ((unsigned)body >= MAX_CASE || !bodies[body].desc)
		return NULL;
	bi = &bodies[body];
	bsize = ALIGN(bi->desc->sizeof_message);
	m = msg_alloc(bsize + ALIGN(extra));
	if (!m)
		return NULL;
	b = m->data;
	arena_set(m, (char *)m->data + bsize, ALIGN(extra));
	bi->desc->message_init(b);

	pbx__envelope__init(&m->env_inline);
	pbx__addr__init(&m->to);
	pbx__addr__init(&m->from);
	m->env = &m->env_inline;
	m->env->to = &m->to;
	m->env->from = &m->from;
	m->env->body_case = body;
	*(void **)((char *)m->env + bi->offset) = b;
	if (bodyp)
		*(void **)bodyp = b;
	return m;
}

void *
rt_msg_alloc(rt_msg *m, size_t n)
{
	struct rt_chunk *c;
	void *p;

	n = ALIGN(n ? n : 1);
	if (n <= m->arena_left) {
		p = m->arena;
		m->arena += n;
		m->arena_left -= n;
		return p;
	}
	c = malloc(sizeof(*c) + n);
	if (!c)
		return NULL;
	c->next = m->chunks;
	m->chunks = c;
	return c->data;
}

void *
rt_msg_memdup(rt_msg *m, const void *p, size_t n)
{
	void *d = rt_msg_alloc(m, n);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *
rt_msg_strdup(rt_msg *m, const char *s)
{
	return rt_msg_memdup(m, s, strlen(s) + 1);
}

Pbx__Envelope *
rt_msg_env(rt_msg *m)
{
	return m->env;
}

void
rt_msg_free(rt_msg *m)
{
	struct rt_chunk *c, *n;

	if (!m)
		return;
	for (c = m->chunks; c; c = n) {
		n = c->next;
		free(c);
	}
	free(m);
}

void
rt_msg_set_route(rt_msg *m, rt_addr from, rt_addr to)
{
	Pbx__Envelope *e = m->env;

	/* an unpacked envelope may lack either address */
	if (!e->to)
		e->to = &m->to;
	if (!e->from)
		e->from = &m->from;
	rt_addr_to_pb(e->to, to);
	rt_addr_to_pb(e->from, from);
}

size_t
rt_msg_packed_size(const rt_msg *m)
{
	return pbx__envelope__get_packed_size(m->env);
}

size_t
rt_msg_pack(const rt_msg *m, uint8_t *out)
{
	return pbx__envelope__pack(m->env, out);
}

static void *
arena_alloc_cb(void *data, size_t n)
{
	return rt_msg_alloc(data, n);
}

static void
arena_free_cb(void *data, void *p)
{
	/* freed with the message */
}

int
rt_msg_unpack(rt_msg **out, const uint8_t *p, size_t n)
{
	ProtobufCAllocator al = { arena_alloc_cb, arena_free_cb, NULL };
	Pbx__Envelope *e;
	rt_msg *m;

	/* unpacked structs are larger than their wire form: guess generously,
	 * the arena grows by chunks when the guess is short */
	m = msg_alloc(ALIGN(3 * n + 256));
	if (!m)
		return ENOMEM;
	al.allocator_data = m;
	e = pbx__envelope__unpack(&al, n, p);
	if (!e) {
		rt_msg_free(m);
		return EBADMSG;
	}
	m->env = e;
	*out = m;
	return 0;
}

rt_addr
rt_addr_from_pb(const Pbx__Addr *p)
{
	rt_addr a = { 0, 0, 0 };

	if (p) {
		a.node = p->node;
		a.worker = p->worker;
		a.id = p->id;
	}
	return a;
}

void
rt_addr_to_pb(Pbx__Addr *p, rt_addr a)
{
	p->node = a.node;
	p->worker = a.worker;
	p->id = a.id;
}
