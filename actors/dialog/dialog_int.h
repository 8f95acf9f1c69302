/* The dialog actor's state, shared by dialog.c (the actor and what it
 * decides) and dialog_out.c (the SIP it writes). */
#ifndef PBX_DIALOG_INT_H
#define PBX_DIALOG_INT_H

#include "call.pb-c.h"
#include "dialog.h"

enum dlg_state {
	DLG_INIT = 0, /* UAS: INVITE not answered; UAC: no tagged 1xx */
	DLG_EARLY,    /* a provisional with a To tag */
	DLG_CONFIRMED,
	DLG_ENDING, /* BYE or CANCEL sent, waiting for its end */
};

enum dlg_out_kind {
	OUT_BYE = 1,
	OUT_OFFER,   /* re-INVITE/UPDATE carrying the peer's offer */
	OUT_REFRESH, /* session refresh of our own */
	OUT_REQ,     /* INFO/MESSAGE passed through */
};

#define DLG_MAX_OUT 4
#define DLG_MAX_IN  2

/* A request we sent in the dialog, waiting for its final response. */
struct dlg_out {
	rt_addr txn;
	uint8_t kind;
	bool invite;
	uint32_t cseq;
	uint64_t id;
};

/* A request the peer sent, waiting for the other leg's answer. */
struct dlg_in {
	rt_msg *req; /* SipRequest: data, flow, txn */
	uint64_t id;
	bool offer;
};

struct dlg {
	struct sip_stack *s;
	const struct conf *cf;
	rt_addr chan;
	bool uac;
	enum dlg_state st;
	bool final_sent;   /* UAS: final response to the INVITE sent */
	bool hangup_asked; /* the channel ended the leg */
	bool responded;    /* the last message handled answered a request */
	rt_msg *flowm;     /* a SipPacket holding the flow to the peer */
	char *call_id, *local, *remote; /* From/To values with tags */
	char *local_tag, *remote_tag;
	char *target;  /* the peer's Contact URI */
	char *routes;  /* "Route: ...\r\n" lines, in order */
	char *rroutes; /* UAS: the INVITE's Record-Route lines, for 2xx */
	char contact[128];
	uint32_t lcseq, rcseq;
	rt_addr inv_txn;
	rt_msg *inv; /* UAS: the initial INVITE (SipRequest) until answered */
	uint32_t inv_cseq;
	uint32_t max_forwards;
	/* 2xx retransmission until the ACK (UAS, §13.3.1.4) */
	char *ok;
	size_t ok_len;
	uint32_t ok_cseq, ok_iv, ok_spent;
	uint64_t ok_timer;
	/* session descriptions last sent and received */
	uint8_t *lsdp, *rsdp;
	size_t lsdp_len, rsdp_len;
	/* session timer (RFC 4028) */
	uint32_t se;
	bool we_refresh, peer_update;
	uint64_t se_timer;
	struct dlg_out out[DLG_MAX_OUT];
	struct dlg_in in[DLG_MAX_IN];
	uint64_t seq;
};

static inline const Pbx__SipFlow *
dlg_flow(const struct dlg *d)
{
	return rt_msg_env(d->flowm)->sip_packet->flow;
}

/* --- dialog_out.c ------------------------------------------------------ */

/* Respond to a request that came through server transaction `txn`: our tag
 * on To, Contact and Record-Route on a dialog-creating INVITE response,
 * `extra` header lines, an SDP body when sdp_len. The bytes are kept in
 * d->ok for a 2xx to an INVITE (resent until the ACK). */
int dlg_respond(rt_actor *a, struct dlg *d, const Pbx__SipRequest *r,
                uint16_t code, const char *reason, const char *extra,
                const uint8_t *sdp, size_t sdp_len);
/* The UAC's INVITE (CSeq 1) through a new client transaction. */
int dlg_send_invite(rt_actor *a, struct dlg *d, const uint8_t *sdp, size_t len);
/* An in-dialog request through a new client transaction; ACK is sent
 * directly (and kept for retransmitted 2xx). 0 and *txn, or an errno. */
int dlg_send_request(rt_actor *a, struct dlg *d, const char *method,
                     uint32_t cseq, const char *extra, const char *ctype,
                     const uint8_t *body, size_t len, rt_addr *txn);
/* Reason header value for a Q.850 cause. */
void dlg_reason(char *out, size_t n, uint32_t cause);
/* Copy of a pl as a NUL-terminated string (malloc). */
char *dlg_strdup_pl(const struct pl *p);
/* Tell our channel. */
void dlg_tell(rt_actor *a, struct dlg *d, Pbx__LegKind kind, uint32_t code,
              const char *reason, uint32_t cause, const uint8_t *sdp,
              size_t sdp_len, uint64_t id);

/* --- dialog_sip.c ------------------------------------------------------ */

#define DLG_MAX_ROUTES 16

/* "NAME: v\r\n" for every Record-Route value of m, in order or reversed
 * (a UAC's route set, §12.1.2): "Record-Route" lines for a 2xx, "Route"
 * lines for requests. NULL when there are none. */
char *dlg_route_lines(const struct sip_msg *m, const char *name, bool reverse);
void dlg_end(rt_actor *a, struct dlg *d);
/* The leg is over from the peer's or the network's side: tell the channel
 * (once), then stop. */
void dlg_ended(rt_actor *a, struct dlg *d, uint32_t cause, uint32_t code,
               const char *reason);
void dlg_set_sdp(uint8_t **p, size_t *l, const uint8_t *sdp, size_t len);
int dlg_send_bye(rt_actor *a, struct dlg *d, uint32_t cause);
struct dlg_out *dlg_out_new(struct dlg *d);
bool dlg_offer_out_pending(const struct dlg *d);
bool dlg_offer_in_pending(const struct dlg *d);
void dlg_ok_stop(rt_actor *a, struct dlg *d);
void dlg_ok_start(rt_actor *a, struct dlg *d);
void dlg_se_start(rt_actor *a, struct dlg *d);
void dlg_se_from(struct dlg *d, const struct sip_msg *m, bool response);
void dlg_on_request(rt_actor *a, struct dlg *d, const Pbx__Envelope *env);
void dlg_on_response(rt_actor *a, struct dlg *d, const Pbx__SipResponseIn *r);
/* An ACK for a 2xx, straight from the SIP core. */
void dlg_on_ack_packet(rt_actor *a, struct dlg *d, const Pbx__SipPacket *p);
void dlg_on_failed(rt_actor *a, struct dlg *d, const Pbx__SipTxnFailed *f);

#endif
