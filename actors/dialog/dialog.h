/*
 * The dialog actor: one call leg's SIP dialog (RFC 3261 §12-14), the UAS
 * of a caller's INVITE or the UAC of an INVITE to a callee. Its channel
 * (actors/calls/) spawns it and talks to it with Leg messages
 * (proto/call.proto); the dialog knows its channel only by address, and
 * the calls module not at all: what it needs comes in its spawn argument.
 */
#ifndef PBX_DIALOG_H
#define PBX_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "rt.h"
#include "sip_stack.h"

extern const rt_kind dialog_kind;

/* What a dialog starts from: for a UAS, the INVITE that creates it; for a
 * UAC, what to put in its INVITE. Allocated by the spawner (calloc), taken
 * over and freed by the dialog, whether its start succeeds or not. */
struct dialog_arg {
	struct sip_stack *s;   /* sends, listeners, timers T1/T2, limits */
	const struct conf *cf; /* calls.* settings of the INVITE */
	rt_addr chan;          /* the channel it reports to */
	bool uac;
	rt_msg *req; /* UAS: the SipRequest of the INVITE (taken over) */
	/* UAC */
	char *ruri, *to, *from;
	char call_id[96];
	rt_msg *flow;
	uint8_t *sdp;
	size_t sdp_len;
	uint32_t max_forwards;
};

#endif
