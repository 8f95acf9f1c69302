/* Looks at a raw SIP message's first line, for the transactions. */
#include <string.h>

#include "txn.h"
#include "txn_fsm.h"

static bool
starts(const void *data, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n && memcmp(data, word, n) == 0 &&
	       ((const char *)data)[n] == ' ';
}

bool
txn_is_invite(const void *data, size_t len)
{
	return starts(data, len, "INVITE");
}

bool
txn_is_ack(const void *data, size_t len)
{
	return starts(data, len, "ACK");
}

uint16_t
txn_status_code(const void *data, size_t len)
{
	const char *p = data;

	if (len < 12 || memcmp(p, "SIP/2.0 ", 8) != 0)
		return 0;
	for (int i = 8; i < 11; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return (uint16_t)((p[8] - '0') * 100 + (p[9] - '0') * 10 + p[10] - '0');
}

void
txn_timers_apply(rt_actor *a, uint64_t *timer, const struct txn_out *o,
                 rt_timer_h cb)
{
	for (int i = 0; i < TXN_TIMER_COUNT; i++)
		if ((o->cancel & (1u << i)) && timer[i]) {
			rt_timer_cancel(a, timer[i]);
			timer[i] = 0;
		}
	for (unsigned i = 0; i < o->n_start; i++) {
		enum txn_timer w = o->start[i].timer;

		if (timer[w])
			rt_timer_cancel(a, timer[w]);
		timer[w] =
		    rt_timer_start(a, o->start[i].ms, cb, (void *)(uintptr_t)w);
	}
}

void
txn_tell_failed(rt_actor *a, rt_addr tu, uint16_t code)
{
	Pbx__SipTxnFailed *f;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_TXN_FAILED, 48, &f);

	if (!m)
		return;
	f->code = code;
	f->reason = code == 408 ? "Request Timeout" : "Service Unavailable";
	f->txn = rt_msg_alloc(m, sizeof(*f->txn));
	pbx__addr__init(f->txn);
	rt_addr_to_pb(f->txn, rt_self(a));
	if (rt_send(a, tu, m) != 0)
		rt_msg_free(m);
}
