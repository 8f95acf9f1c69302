/*
 * The four SIP transaction state machines of RFC 3261 §17, with the
 * "Accepted" state of RFC 6026 for INVITE. Pure: no I/O, no clock. An event
 * goes in, the actions to take come out (what to send, whether to tell the
 * transaction user, which timers to start or cancel, whether it is over), so
 * the same code runs in the transaction actors and under simulated time in
 * the tests.
 */
#ifndef PBX_TXN_FSM_H
#define PBX_TXN_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum txn_kind {
	TXN_ICT,  /* INVITE client */
	TXN_NICT, /* non-INVITE client */
	TXN_IST,  /* INVITE server */
	TXN_NIST, /* non-INVITE server */
};

enum txn_state {
	TXN_CALLING,
	TXN_TRYING,
	TXN_PROCEEDING,
	TXN_COMPLETED,
	TXN_CONFIRMED,
	TXN_ACCEPTED,
	TXN_TERMINATED,
};

/* RFC 3261 timers by letter, plus the 200 ms "send 100 Trying" of §17.2.1. */
enum txn_timer {
	TXN_TA,
	TXN_TB,
	TXN_TD,
	TXN_TE,
	TXN_TF,
	TXN_TG,
	TXN_TH,
	TXN_TI,
	TXN_TJ,
	TXN_TK,
	TXN_TL,
	TXN_TM,
	TXN_T100,
	TXN_TIMER_COUNT
};

enum txn_ev_type {
	TXN_EV_START,       /* client: send the request; server: it arrived */
	TXN_EV_REQUEST,     /* server: the request again (retransmission) */
	TXN_EV_ACK,         /* server (INVITE): an ACK matched */
	TXN_EV_TU_RESPONSE, /* server: the TU sends a response with `code` */
	TXN_EV_RESPONSE,    /* client: a response with `code` arrived */
	TXN_EV_TIMER,       /* `timer` fired */
	TXN_EV_TRANSPORT_ERROR,
};

struct txn_ev {
	enum txn_ev_type type;
	uint16_t code;
	enum txn_timer timer;
};

enum txn_send {
	TXN_SEND_NONE,
	TXN_SEND_REQUEST,  /* client: the request (again) */
	TXN_SEND_RESPONSE, /* server: the latest response (new or again) */
	TXN_SEND_ACK,      /* INVITE client: ACK for a non-2xx final */
	TXN_SEND_100,      /* INVITE server: a 100 Trying of its own */
};

struct txn_out {
	enum txn_send send;
	bool to_tu;        /* hand the event's message to the TU */
	uint16_t tu_error; /* 408 or 503: tell the TU it failed */
	unsigned n_start;
	struct {
		enum txn_timer timer;
		uint32_t ms;
	} start[3];
	uint32_t cancel; /* bit per enum txn_timer */
	bool terminated;
};

struct txn_fsm {
	enum txn_kind kind;
	enum txn_state state;
	bool reliable; /* TCP/TLS: no retransmissions, no waiting states */
	uint32_t t1, t2, t4;
	uint32_t interval;  /* current A/E/G interval */
	uint16_t last_code; /* last response sent (server) or seen (client) */
};

void txn_fsm_init(struct txn_fsm *f, enum txn_kind kind, bool reliable,
                  uint32_t t1, uint32_t t2, uint32_t t4);
void txn_fsm_event(struct txn_fsm *f, const struct txn_ev *ev,
                   struct txn_out *out);

const char *txn_state_name(enum txn_state s);
const char *txn_timer_name(enum txn_timer t);

#endif
