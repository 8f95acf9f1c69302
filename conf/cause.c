/* Q.850 cause names as FreeSWITCH spells them, for "hangup CAUSE" in the
 * dialplan. Kept in conf/ so that the loader can refuse an unknown name; the
 * dialplan engine (dialplan/dialplan.c) maps causes to SIP and back. */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "conf.h"

static const struct {
	int cause;
	const char *name;
} causes[] = {
	{ 1, "UNALLOCATED_NUMBER" },
	{ 2, "NO_ROUTE_TRANSIT_NET" },
	{ 3, "NO_ROUTE_DESTINATION" },
	{ 6, "CHANNEL_UNACCEPTABLE" },
	{ 7, "CALL_AWARDED_DELIVERED" },
	{ 16, "NORMAL_CLEARING" },
	{ 17, "USER_BUSY" },
	{ 18, "NO_USER_RESPONSE" },
	{ 19, "NO_ANSWER" },
	{ 20, "SUBSCRIBER_ABSENT" },
	{ 21, "CALL_REJECTED" },
	{ 22, "NUMBER_CHANGED" },
	{ 23, "REDIRECTION_TO_NEW_DESTINATION" },
	{ 25, "EXCHANGE_ROUTING_ERROR" },
	{ 27, "DESTINATION_OUT_OF_ORDER" },
	{ 28, "INVALID_NUMBER_FORMAT" },
	{ 29, "FACILITY_REJECTED" },
	{ 30, "RESPONSE_TO_STATUS_ENQUIRY" },
	{ 31, "NORMAL_UNSPECIFIED" },
	{ 34, "NORMAL_CIRCUIT_CONGESTION" },
	{ 38, "NETWORK_OUT_OF_ORDER" },
	{ 41, "NORMAL_TEMPORARY_FAILURE" },
	{ 42, "SWITCH_CONGESTION" },
	{ 43, "ACCESS_INFO_DISCARDED" },
	{ 44, "REQUESTED_CHAN_UNAVAIL" },
	{ 45, "PRE_EMPTED" },
	{ 47, "RESOURCE_UNAVAILABLE" },
	{ 50, "FACILITY_NOT_SUBSCRIBED" },
	{ 52, "OUTGOING_CALL_BARRED" },
	{ 54, "INCOMING_CALL_BARRED" },
	{ 57, "BEARERCAPABILITY_NOTAUTH" },
	{ 58, "BEARERCAPABILITY_NOTAVAIL" },
	{ 63, "SERVICE_UNAVAILABLE" },
	{ 65, "BEARERCAPABILITY_NOTIMPL" },
	{ 66, "CHAN_NOT_IMPLEMENTED" },
	{ 69, "FACILITY_NOT_IMPLEMENTED" },
	{ 79, "SERVICE_NOT_IMPLEMENTED" },
	{ 81, "INVALID_CALL_REFERENCE" },
	{ 88, "INCOMPATIBLE_DESTINATION" },
	{ 95, "INVALID_MSG_UNSPECIFIED" },
	{ 96, "MANDATORY_IE_MISSING" },
	{ 97, "MESSAGE_TYPE_NONEXIST" },
	{ 98, "WRONG_MESSAGE" },
	{ 99, "IE_NONEXIST" },
	{ 100, "INVALID_IE_CONTENTS" },
	{ 101, "WRONG_CALL_STATE" },
	{ 102, "RECOVERY_ON_TIMER_EXPIRE" },
	{ 103, "MANDATORY_IE_LENGTH_ERROR" },
	{ 111, "PROTOCOL_ERROR" },
	{ 127, "INTERWORKING" },
	/* Not Q.850: FreeSWITCH's own causes that a PBX needs too. */
	{ 487, "ORIGINATOR_CANCEL" },
	{ 602, "ALLOTTED_TIMEOUT" },
	{ 604, "MEDIA_TIMEOUT" },
	{ 606, "USER_NOT_REGISTERED" },
	{ 607, "PROGRESS_TIMEOUT" },
};

#define NCAUSES (sizeof(causes) / sizeof(causes[0]))

const char *
conf_cause_name(int cause)
{
	size_t i;

	for (i = 0; i < NCAUSES; i++) {
		if (causes[i].cause == cause)
			return causes[i].name;
	}
	return NULL;
}

int
conf_cause_parse(const char *s)
{
	const char *p;
	long v;
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0') {
		if (p - s > 3)
			return 0;
		v = strtol(s, NULL, 10);
		if (v >= 1 && v <= 127)
			return (int)v;
		return conf_cause_name((int)v) ? (int)v : 0;
	}
	for (i = 0; i < NCAUSES; i++) {
		if (strcasecmp(causes[i].name, s) == 0)
			return causes[i].cause;
	}
	return 0;
}
