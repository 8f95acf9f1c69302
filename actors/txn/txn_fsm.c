#include <string.h>

#include "txn_fsm.h"

#define TRYING_DELAY_MS  200 /* RFC 3261 §17.2.1 */
#define TD_UNRELIABLE_MS 32000

static void
start(struct txn_out *o, enum txn_timer t, uint32_t ms)
{
	if (o->n_start < sizeof(o->start) / sizeof(o->start[0])) {
		o->start[o->n_start].timer = t;
		o->start[o->n_start].ms = ms;
		o->n_start++;
	}
}

static void
cancel(struct txn_out *o, enum txn_timer t)
{
	o->cancel |= 1u << t;
}

static void
terminate(struct txn_fsm *f, struct txn_out *o)
{
	f->state = TXN_TERMINATED;
	o->terminated = true;
	o->cancel = (1u << TXN_TIMER_COUNT) - 1;
}

/* Enter a waiting state for `ms` on an unreliable transport, or end at once
 * on a reliable one (the RFC's zero timers). */
static void
linger(struct txn_fsm *f, struct txn_out *o, enum txn_state s, enum txn_timer t,
       uint32_t ms)
{
	if (f->reliable) {
		terminate(f, o);
		return;
	}
	f->state = s;
	start(o, t, ms);
}

void
txn_fsm_init(struct txn_fsm *f, enum txn_kind kind, bool reliable, uint32_t t1,
             uint32_t t2, uint32_t t4)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->reliable = reliable;
	f->t1 = t1;
	f->t2 = t2;
	f->t4 = t4;
	f->interval = t1;
	f->state = kind == TXN_ICT ? TXN_CALLING : TXN_TRYING;
	if (kind == TXN_IST)
		f->state = TXN_PROCEEDING;
}

static void
ict(struct txn_fsm *f, const struct txn_ev *ev, struct txn_out *o)
{
	switch (ev->type) {
	case TXN_EV_START:
		o->send = TXN_SEND_REQUEST;
		if (!f->reliable)
			start(o, TXN_TA, f->interval);
		start(o, TXN_TB, 64 * f->t1);
		break;
	case TXN_EV_RESPONSE:
		f->last_code = ev->code;
		if (f->state == TXN_CALLING || f->state == TXN_PROCEEDING) {
			o->to_tu = true;
			cancel(o, TXN_TA);
			cancel(o, TXN_TB);
			if (ev->code < 200) {
				f->state = TXN_PROCEEDING;
			} else if (ev->code < 300) {
				f->state = TXN_ACCEPTED;
				start(o, TXN_TM, 64 * f->t1);
			} else {
				o->send = TXN_SEND_ACK;
				linger(f, o, TXN_COMPLETED, TXN_TD,
				       TD_UNRELIABLE_MS);
			}
		} else if (f->state == TXN_COMPLETED && ev->code >= 300) {
			o->send = TXN_SEND_ACK; /* final again: ACK again */
		} else if (f->state == TXN_ACCEPTED && ev->code >= 200 &&
		           ev->code < 300) {
			o->to_tu = true; /* 2xx retransmission or a fork */
		}
		break;
	case TXN_EV_TIMER:
		if (ev->timer == TXN_TA && f->state == TXN_CALLING) {
			o->send = TXN_SEND_REQUEST;
			f->interval *= 2;
			start(o, TXN_TA, f->interval);
		} else if (ev->timer == TXN_TB && f->state == TXN_CALLING) {
			o->tu_error = 408;
			terminate(f, o);
		} else if ((ev->timer == TXN_TD && f->state == TXN_COMPLETED) ||
		           (ev->timer == TXN_TM && f->state == TXN_ACCEPTED)) {
			terminate(f, o);
		}
		break;
	case TXN_EV_TRANSPORT_ERROR:
		if (f->state == TXN_CALLING || f->state == TXN_PROCEEDING)
			o->tu_error = 503;
		terminate(f, o);
		break;
	default:
		break;
	}
}

static void
nict(struct txn_fsm *f, const struct txn_ev *ev, struct txn_out *o)
{
	bool live = f->state == TXN_TRYING || f->state == TXN_PROCEEDING;

	switch (ev->type) {
	case TXN_EV_START:
		o->send = TXN_SEND_REQUEST;
		if (!f->reliable)
			start(o, TXN_TE, f->interval);
		start(o, TXN_TF, 64 * f->t1);
		break;
	case TXN_EV_RESPONSE:
		f->last_code = ev->code;
		if (!live)
			break; /* Completed absorbs retransmitted finals */
		o->to_tu = true;
		if (ev->code < 200) {
			f->state = TXN_PROCEEDING;
		} else {
			cancel(o, TXN_TE);
			cancel(o, TXN_TF);
			linger(f, o, TXN_COMPLETED, TXN_TK, f->t4);
		}
		break;
	case TXN_EV_TIMER:
		if (ev->timer == TXN_TE && live) {
			o->send = TXN_SEND_REQUEST;
			/* Trying: double up to T2; Proceeding: every T2 */
			if (f->state == TXN_TRYING)
				f->interval = 2 * f->interval < f->t2
				                  ? 2 * f->interval
				                  : f->t2;
			else
				f->interval = f->t2;
			start(o, TXN_TE, f->interval);
		} else if (ev->timer == TXN_TF && live) {
			o->tu_error = 408;
			terminate(f, o);
		} else if (ev->timer == TXN_TK && f->state == TXN_COMPLETED) {
			terminate(f, o);
		}
		break;
	case TXN_EV_TRANSPORT_ERROR:
		if (live)
			o->tu_error = 503;
		terminate(f, o);
		break;
	default:
		break;
	}
}

static void
ist(struct txn_fsm *f, const struct txn_ev *ev, struct txn_out *o)
{
	switch (ev->type) {
	case TXN_EV_START:
		o->to_tu = true;
		start(o, TXN_T100, TRYING_DELAY_MS);
		break;
	case TXN_EV_REQUEST:
		/* a retransmitted INVITE: the latest response again, if any */
		if ((f->state == TXN_PROCEEDING && f->last_code) ||
		    f->state == TXN_COMPLETED)
			o->send = TXN_SEND_RESPONSE;
		break;
	case TXN_EV_ACK:
		if (f->state == TXN_COMPLETED) {
			cancel(o, TXN_TG);
			cancel(o, TXN_TH);
			linger(f, o, TXN_CONFIRMED, TXN_TI, f->t4);
		} else if (f->state == TXN_ACCEPTED) {
			o->to_tu = true; /* RFC 6026: ACK for the 2xx */
		}
		break;
	case TXN_EV_TU_RESPONSE:
		if (f->state == TXN_ACCEPTED && ev->code >= 200 &&
		    ev->code < 300) {
			o->send = TXN_SEND_RESPONSE; /* TU retransmits 2xx */
			break;
		}
		if (f->state != TXN_PROCEEDING)
			break;
		f->last_code = ev->code;
		o->send = TXN_SEND_RESPONSE;
		cancel(o, TXN_T100);
		if (ev->code < 200)
			break;
		if (ev->code < 300) {
			f->state = TXN_ACCEPTED;
			start(o, TXN_TL, 64 * f->t1);
		} else {
			f->state = TXN_COMPLETED;
			if (!f->reliable)
				start(o, TXN_TG, f->interval);
			start(o, TXN_TH, 64 * f->t1);
		}
		break;
	case TXN_EV_TIMER:
		if (ev->timer == TXN_T100 && f->state == TXN_PROCEEDING &&
		    !f->last_code) {
			f->last_code = 100;
			o->send = TXN_SEND_100;
		} else if (ev->timer == TXN_TG && f->state == TXN_COMPLETED) {
			o->send = TXN_SEND_RESPONSE;
			f->interval =
			    2 * f->interval < f->t2 ? 2 * f->interval : f->t2;
			start(o, TXN_TG, f->interval);
		} else if (ev->timer == TXN_TH && f->state == TXN_COMPLETED) {
			o->tu_error = 408; /* the ACK never came */
			terminate(f, o);
		} else if ((ev->timer == TXN_TI && f->state == TXN_CONFIRMED) ||
		           (ev->timer == TXN_TL && f->state == TXN_ACCEPTED)) {
			terminate(f, o);
		}
		break;
	case TXN_EV_TRANSPORT_ERROR:
		o->tu_error = 503;
		terminate(f, o);
		break;
	default:
		break;
	}
}

static void
nist(struct txn_fsm *f, const struct txn_ev *ev, struct txn_out *o)
{
	switch (ev->type) {
	case TXN_EV_START:
		o->to_tu = true;
		break;
	case TXN_EV_REQUEST:
		if (f->state == TXN_PROCEEDING || f->state == TXN_COMPLETED)
			o->send = TXN_SEND_RESPONSE;
		break;
	case TXN_EV_TU_RESPONSE:
		if (f->state != TXN_TRYING && f->state != TXN_PROCEEDING)
			break;
		f->last_code = ev->code;
		o->send = TXN_SEND_RESPONSE;
		if (ev->code < 200)
			f->state = TXN_PROCEEDING;
		else
			linger(f, o, TXN_COMPLETED, TXN_TJ, 64 * f->t1);
		break;
	case TXN_EV_TIMER:
		if (ev->timer == TXN_TJ && f->state == TXN_COMPLETED)
			terminate(f, o);
		break;
	case TXN_EV_TRANSPORT_ERROR:
		o->tu_error = 503;
		terminate(f, o);
		break;
	default:
		break;
	}
}

void
txn_fsm_event(struct txn_fsm *f, const struct txn_ev *ev, struct txn_out *o)
{
	memset(o, 0, sizeof(*o));
	if (f->state == TXN_TERMINATED)
		return;
	switch (f->kind) {
	case TXN_ICT:
		ict(f, ev, o);
		break;
	case TXN_NICT:
		nict(f, ev, o);
		break;
	case TXN_IST:
		ist(f, ev, o);
		break;
	case TXN_NIST:
		nist(f, ev, o);
		break;
	}
}

const char *
txn_state_name(enum txn_state s)
{
	static const char *const n[] = { "calling",   "trying",    "proceeding",
		                         "completed", "confirmed", "accepted",
		                         "terminated" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

const char *
txn_timer_name(enum txn_timer t)
{
	static const char *const n[] = { "A", "B", "D", "E", "F", "G",  "H",
		                         "I", "J", "K", "L", "M", "100" };

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}
