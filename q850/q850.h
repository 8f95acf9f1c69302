/*
 * Q.850 release causes: the one place that knows them. The cause numbers
 * (ITU-T Q.850) with FreeSWITCH's names, the few causes above 127 that
 * FreeSWITCH adds, and the mappings between a cause and a SIP final
 * response (RFC 3398 §7.2.4.1 and §8.2.6.1, with FreeSWITCH's departures,
 * which q850.c lists). Pure: no state, no I/O, no allocation; any module
 * may use it (conf/ to check "hangup CAUSE", the dialplan, the channels
 * and dialogs, pbxctl).
 */
#ifndef PBX_Q850_H
#define PBX_Q850_H

#include <stdint.h>

enum q850_cause {
	Q850_UNALLOCATED_NUMBER = 1,
	Q850_NO_ROUTE_TRANSIT_NET = 2,
	Q850_NO_ROUTE_DESTINATION = 3,
	Q850_CHANNEL_UNACCEPTABLE = 6,
	Q850_CALL_AWARDED_DELIVERED = 7,
	Q850_NORMAL_CLEARING = 16,
	Q850_USER_BUSY = 17,
	Q850_NO_USER_RESPONSE = 18,
	Q850_NO_ANSWER = 19,
	Q850_SUBSCRIBER_ABSENT = 20,
	Q850_CALL_REJECTED = 21,
	Q850_NUMBER_CHANGED = 22,
	Q850_REDIRECTION_TO_NEW_DESTINATION = 23,
	/* FreeSWITCH has no name for 26, so neither has q850_name(): it
	 * stays "UNKNOWN" in Reason headers and records, as before. */
	Q850_NON_SELECTED_USER_CLEARING = 26,
	Q850_EXCHANGE_ROUTING_ERROR = 25,
	Q850_DESTINATION_OUT_OF_ORDER = 27,
	Q850_INVALID_NUMBER_FORMAT = 28,
	Q850_FACILITY_REJECTED = 29,
	Q850_RESPONSE_TO_STATUS_ENQUIRY = 30,
	Q850_NORMAL_UNSPECIFIED = 31,
	Q850_NORMAL_CIRCUIT_CONGESTION = 34,
	Q850_NETWORK_OUT_OF_ORDER = 38,
	Q850_NORMAL_TEMPORARY_FAILURE = 41,
	Q850_SWITCH_CONGESTION = 42,
	Q850_ACCESS_INFO_DISCARDED = 43,
	Q850_REQUESTED_CHAN_UNAVAIL = 44,
	Q850_PRE_EMPTED = 45,
	Q850_RESOURCE_UNAVAILABLE = 47,
	Q850_FACILITY_NOT_SUBSCRIBED = 50,
	Q850_OUTGOING_CALL_BARRED = 52,
	Q850_INCOMING_CALL_BARRED = 54,
	Q850_BEARERCAPABILITY_NOTAUTH = 57,
	Q850_BEARERCAPABILITY_NOTAVAIL = 58,
	Q850_SERVICE_UNAVAILABLE = 63,
	Q850_BEARERCAPABILITY_NOTIMPL = 65,
	Q850_CHAN_NOT_IMPLEMENTED = 66,
	Q850_FACILITY_NOT_IMPLEMENTED = 69,
	Q850_SERVICE_NOT_IMPLEMENTED = 79,
	Q850_INVALID_CALL_REFERENCE = 81,
	Q850_INCOMPATIBLE_DESTINATION = 88,
	Q850_INVALID_MSG_UNSPECIFIED = 95,
	Q850_MANDATORY_IE_MISSING = 96,
	Q850_MESSAGE_TYPE_NONEXIST = 97,
	Q850_WRONG_MESSAGE = 98,
	Q850_IE_NONEXIST = 99,
	Q850_INVALID_IE_CONTENTS = 100,
	Q850_WRONG_CALL_STATE = 101,
	Q850_RECOVERY_ON_TIMER_EXPIRE = 102,
	Q850_MANDATORY_IE_LENGTH_ERROR = 103,
	Q850_PROTOCOL_ERROR = 111,
	Q850_INTERWORKING = 127,
	/* Not Q.850: FreeSWITCH's own causes that a PBX needs too. */
	Q850_ORIGINATOR_CANCEL = 487,
	Q850_ALLOTTED_TIMEOUT = 602,
	Q850_MEDIA_TIMEOUT = 604,
	Q850_USER_NOT_REGISTERED = 606,
	Q850_PROGRESS_TIMEOUT = 607,
};

/* 17 -> "USER_BUSY"; NULL for a cause without a name. */
const char *q850_name(uint32_t cause);
/* "USER_BUSY" (any case) -> 17; 0 for anything else (numbers too). */
uint32_t q850_from_name(const char *name);
/* What "hangup CAUSE" takes: a name (any case), a decimal number 1..127,
 * or one of the named causes above 127 ("487"); 0 for anything else. */
uint32_t q850_parse(const char *s);

/* The SIP final response that reports `cause` to a caller (RFC 3398
 * §8.2.6.1 as FreeSWITCH applies it; 480 for the causes it does not
 * list). */
uint16_t q850_to_sip(uint32_t cause);
/* The cause of a SIP final response from a callee (RFC 3398 §7.2.4.1 as
 * FreeSWITCH applies it; NORMAL_UNSPECIFIED for codes it does not list). */
uint32_t q850_from_sip(uint16_t code);

#endif
