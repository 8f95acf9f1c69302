/* Header ids and names (long and compact forms) and method names. */
#include <errno.h>

#include "sip_int.h"

/* Names with their lengths, so that lookups need no strlen. */
#define N(s)                                                                   \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}
static const struct {
	const char *s;
	size_t l;
} hdr_names[SIP_HDR_COUNT_] = {
	[SIP_HDR_ACCEPT] = N("Accept"),
	[SIP_HDR_ACCEPT_CONTACT] = N("Accept-Contact"),
	[SIP_HDR_ACCEPT_ENCODING] = N("Accept-Encoding"),
	[SIP_HDR_ACCEPT_LANGUAGE] = N("Accept-Language"),
	[SIP_HDR_ALERT_INFO] = N("Alert-Info"),
	[SIP_HDR_ALLOW] = N("Allow"),
	[SIP_HDR_ALLOW_EVENTS] = N("Allow-Events"),
	[SIP_HDR_AUTHENTICATION_INFO] = N("Authentication-Info"),
	[SIP_HDR_AUTHORIZATION] = N("Authorization"),
	[SIP_HDR_CALL_ID] = N("Call-ID"),
	[SIP_HDR_CALL_INFO] = N("Call-Info"),
	[SIP_HDR_CONTACT] = N("Contact"),
	[SIP_HDR_CONTENT_DISPOSITION] = N("Content-Disposition"),
	[SIP_HDR_CONTENT_ENCODING] = N("Content-Encoding"),
	[SIP_HDR_CONTENT_LANGUAGE] = N("Content-Language"),
	[SIP_HDR_CONTENT_LENGTH] = N("Content-Length"),
	[SIP_HDR_CONTENT_TYPE] = N("Content-Type"),
	[SIP_HDR_CSEQ] = N("CSeq"),
	[SIP_HDR_DATE] = N("Date"),
	[SIP_HDR_ERROR_INFO] = N("Error-Info"),
	[SIP_HDR_EVENT] = N("Event"),
	[SIP_HDR_EXPIRES] = N("Expires"),
	[SIP_HDR_FROM] = N("From"),
	[SIP_HDR_IDENTITY] = N("Identity"),
	[SIP_HDR_IN_REPLY_TO] = N("In-Reply-To"),
	[SIP_HDR_MAX_FORWARDS] = N("Max-Forwards"),
	[SIP_HDR_MIME_VERSION] = N("MIME-Version"),
	[SIP_HDR_MIN_EXPIRES] = N("Min-Expires"),
	[SIP_HDR_MIN_SE] = N("Min-SE"),
	[SIP_HDR_ORGANIZATION] = N("Organization"),
	[SIP_HDR_P_ASSERTED_IDENTITY] = N("P-Asserted-Identity"),
	[SIP_HDR_PATH] = N("Path"),
	[SIP_HDR_PRIORITY] = N("Priority"),
	[SIP_HDR_PRIVACY] = N("Privacy"),
	[SIP_HDR_PROXY_AUTHENTICATE] = N("Proxy-Authenticate"),
	[SIP_HDR_PROXY_AUTHORIZATION] = N("Proxy-Authorization"),
	[SIP_HDR_PROXY_REQUIRE] = N("Proxy-Require"),
	[SIP_HDR_RACK] = N("RAck"),
	[SIP_HDR_REASON] = N("Reason"),
	[SIP_HDR_RECORD_ROUTE] = N("Record-Route"),
	[SIP_HDR_REFER_TO] = N("Refer-To"),
	[SIP_HDR_REFERRED_BY] = N("Referred-By"),
	[SIP_HDR_REJECT_CONTACT] = N("Reject-Contact"),
	[SIP_HDR_REPLACES] = N("Replaces"),
	[SIP_HDR_REPLY_TO] = N("Reply-To"),
	[SIP_HDR_REQUEST_DISPOSITION] = N("Request-Disposition"),
	[SIP_HDR_REQUIRE] = N("Require"),
	[SIP_HDR_RETRY_AFTER] = N("Retry-After"),
	[SIP_HDR_ROUTE] = N("Route"),
	[SIP_HDR_RSEQ] = N("RSeq"),
	[SIP_HDR_SERVER] = N("Server"),
	[SIP_HDR_SESSION_EXPIRES] = N("Session-Expires"),
	[SIP_HDR_SUBJECT] = N("Subject"),
	[SIP_HDR_SUBSCRIPTION_STATE] = N("Subscription-State"),
	[SIP_HDR_SUPPORTED] = N("Supported"),
	[SIP_HDR_TIMESTAMP] = N("Timestamp"),
	[SIP_HDR_TO] = N("To"),
	[SIP_HDR_UNSUPPORTED] = N("Unsupported"),
	[SIP_HDR_USER_AGENT] = N("User-Agent"),
	[SIP_HDR_VIA] = N("Via"),
	[SIP_HDR_WARNING] = N("Warning"),
	[SIP_HDR_WWW_AUTHENTICATE] = N("WWW-Authenticate"),
};
#undef N

const char *
sip_hdr_name(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT_)
		return NULL;
	return hdr_names[id].s;
}

static enum sip_hdr_id
hdr_compact(char c)
{
	switch (c | 0x20) {
	case 'a':
		return SIP_HDR_ACCEPT_CONTACT;
	case 'b':
		return SIP_HDR_REFERRED_BY;
	case 'c':
		return SIP_HDR_CONTENT_TYPE;
	case 'd':
		return SIP_HDR_REQUEST_DISPOSITION;
	case 'e':
		return SIP_HDR_CONTENT_ENCODING;
	case 'f':
		return SIP_HDR_FROM;
	case 'i':
		return SIP_HDR_CALL_ID;
	case 'j':
		return SIP_HDR_REJECT_CONTACT;
	case 'k':
		return SIP_HDR_SUPPORTED;
	case 'l':
		return SIP_HDR_CONTENT_LENGTH;
	case 'm':
		return SIP_HDR_CONTACT;
	case 'o':
		return SIP_HDR_EVENT;
	case 'r':
		return SIP_HDR_REFER_TO;
	case 's':
		return SIP_HDR_SUBJECT;
	case 't':
		return SIP_HDR_TO;
	case 'u':
		return SIP_HDR_ALLOW_EVENTS;
	case 'v':
		return SIP_HDR_VIA;
	case 'x':
		return SIP_HDR_SESSION_EXPIRES;
	case 'y':
		return SIP_HDR_IDENTITY;
	default:
		return SIP_HDR_OTHER;
	}
}

/* Header id of a name already lowercased (ASCII), by length then bytes:
 * each memcmp has a constant size and compiles to a few compares. */
static enum sip_hdr_id
hdr_lookup_lc(const char *lc, size_t len)
{
	switch (len) {
	case 1:
		return hdr_compact(lc[0]);
	case 2:
		if (!memcmp(lc, "to", 2))
			return SIP_HDR_TO;
		break;
	case 3:
		if (!memcmp(lc, "via", 3))
			return SIP_HDR_VIA;
		break;
	case 4:
		if (!memcmp(lc, "cseq", 4))
			return SIP_HDR_CSEQ;
		if (!memcmp(lc, "date", 4))
			return SIP_HDR_DATE;
		if (!memcmp(lc, "from", 4))
			return SIP_HDR_FROM;
		if (!memcmp(lc, "path", 4))
			return SIP_HDR_PATH;
		if (!memcmp(lc, "rack", 4))
			return SIP_HDR_RACK;
		if (!memcmp(lc, "rseq", 4))
			return SIP_HDR_RSEQ;
		break;
	case 5:
		if (!memcmp(lc, "allow", 5))
			return SIP_HDR_ALLOW;
		if (!memcmp(lc, "event", 5))
			return SIP_HDR_EVENT;
		if (!memcmp(lc, "route", 5))
			return SIP_HDR_ROUTE;
		break;
	case 6:
		if (!memcmp(lc, "accept", 6))
			return SIP_HDR_ACCEPT;
		if (!memcmp(lc, "min-se", 6))
			return SIP_HDR_MIN_SE;
		if (!memcmp(lc, "reason", 6))
			return SIP_HDR_REASON;
		if (!memcmp(lc, "server", 6))
			return SIP_HDR_SERVER;
		break;
	case 7:
		if (!memcmp(lc, "call-id", 7))
			return SIP_HDR_CALL_ID;
		if (!memcmp(lc, "contact", 7))
			return SIP_HDR_CONTACT;
		if (!memcmp(lc, "expires", 7))
			return SIP_HDR_EXPIRES;
		if (!memcmp(lc, "privacy", 7))
			return SIP_HDR_PRIVACY;
		if (!memcmp(lc, "require", 7))
			return SIP_HDR_REQUIRE;
		if (!memcmp(lc, "subject", 7))
			return SIP_HDR_SUBJECT;
		if (!memcmp(lc, "warning", 7))
			return SIP_HDR_WARNING;
		break;
	case 8:
		if (!memcmp(lc, "identity", 8))
			return SIP_HDR_IDENTITY;
		if (!memcmp(lc, "priority", 8))
			return SIP_HDR_PRIORITY;
		if (!memcmp(lc, "refer-to", 8))
			return SIP_HDR_REFER_TO;
		if (!memcmp(lc, "replaces", 8))
			return SIP_HDR_REPLACES;
		if (!memcmp(lc, "reply-to", 8))
			return SIP_HDR_REPLY_TO;
		break;
	case 9:
		if (!memcmp(lc, "call-info", 9))
			return SIP_HDR_CALL_INFO;
		if (!memcmp(lc, "supported", 9))
			return SIP_HDR_SUPPORTED;
		if (!memcmp(lc, "timestamp", 9))
			return SIP_HDR_TIMESTAMP;
		break;
	case 10:
		if (!memcmp(lc, "alert-info", 10))
			return SIP_HDR_ALERT_INFO;
		if (!memcmp(lc, "error-info", 10))
			return SIP_HDR_ERROR_INFO;
		if (!memcmp(lc, "user-agent", 10))
			return SIP_HDR_USER_AGENT;
		break;
	case 11:
		if (!memcmp(lc, "in-reply-to", 11))
			return SIP_HDR_IN_REPLY_TO;
		if (!memcmp(lc, "min-expires", 11))
			return SIP_HDR_MIN_EXPIRES;
		if (!memcmp(lc, "referred-by", 11))
			return SIP_HDR_REFERRED_BY;
		if (!memcmp(lc, "retry-after", 11))
			return SIP_HDR_RETRY_AFTER;
		if (!memcmp(lc, "unsupported", 11))
			return SIP_HDR_UNSUPPORTED;
		break;
	case 12:
		if (!memcmp(lc, "allow-events", 12))
			return SIP_HDR_ALLOW_EVENTS;
		if (!memcmp(lc, "content-type", 12))
			return SIP_HDR_CONTENT_TYPE;
		if (!memcmp(lc, "max-forwards", 12))
			return SIP_HDR_MAX_FORWARDS;
		if (!memcmp(lc, "mime-version", 12))
			return SIP_HDR_MIME_VERSION;
		if (!memcmp(lc, "organization", 12))
			return SIP_HDR_ORGANIZATION;
		if (!memcmp(lc, "record-route", 12))
			return SIP_HDR_RECORD_ROUTE;
		break;
	case 13:
		if (!memcmp(lc, "authorization", 13))
			return SIP_HDR_AUTHORIZATION;
		if (!memcmp(lc, "proxy-require", 13))
			return SIP_HDR_PROXY_REQUIRE;
		break;
	case 14:
		if (!memcmp(lc, "accept-contact", 14))
			return SIP_HDR_ACCEPT_CONTACT;
		if (!memcmp(lc, "content-length", 14))
			return SIP_HDR_CONTENT_LENGTH;
		if (!memcmp(lc, "reject-contact", 14))
			return SIP_HDR_REJECT_CONTACT;
		break;
	case 15:
		if (!memcmp(lc, "accept-encoding", 15))
			return SIP_HDR_ACCEPT_ENCODING;
		if (!memcmp(lc, "accept-language", 15))
			return SIP_HDR_ACCEPT_LANGUAGE;
		if (!memcmp(lc, "session-expires", 15))
			return SIP_HDR_SESSION_EXPIRES;
		break;
	case 16:
		if (!memcmp(lc, "content-encoding", 16))
			return SIP_HDR_CONTENT_ENCODING;
		if (!memcmp(lc, "content-language", 16))
			return SIP_HDR_CONTENT_LANGUAGE;
		if (!memcmp(lc, "www-authenticate", 16))
			return SIP_HDR_WWW_AUTHENTICATE;
		break;
	case 18:
		if (!memcmp(lc, "proxy-authenticate", 18))
			return SIP_HDR_PROXY_AUTHENTICATE;
		if (!memcmp(lc, "subscription-state", 18))
			return SIP_HDR_SUBSCRIPTION_STATE;
		break;
	case 19:
		if (!memcmp(lc, "authentication-info", 19))
			return SIP_HDR_AUTHENTICATION_INFO;
		if (!memcmp(lc, "content-disposition", 19))
			return SIP_HDR_CONTENT_DISPOSITION;
		if (!memcmp(lc, "p-asserted-identity", 19))
			return SIP_HDR_P_ASSERTED_IDENTITY;
		if (!memcmp(lc, "proxy-authorization", 19))
			return SIP_HDR_PROXY_AUTHORIZATION;
		if (!memcmp(lc, "request-disposition", 19))
			return SIP_HDR_REQUEST_DISPOSITION;
		break;
	}
	return SIP_HDR_OTHER;
}

/* The longest name hdr_lookup_lc knows. */
#define HDR_NAME_MAX 24

enum sip_hdr_id
sip_hdr_lookup(const char *name, size_t len)
{
	char lc[HDR_NAME_MAX];

	if (len == 0 || len > HDR_NAME_MAX)
		return SIP_HDR_OTHER;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		lc[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	return hdr_lookup_lc(lc, len);
}

enum sip_hdr_id
sip_hdr_lookup_lc_(const char *lc, size_t len)
{
	return len <= HDR_NAME_MAX ? hdr_lookup_lc(lc, len) : SIP_HDR_OTHER;
}

static const struct {
	const char *name;
	enum sip_method m;
} methods[] = {
	{ "INVITE", SIP_METHOD_INVITE },
	{ "ACK", SIP_METHOD_ACK },
	{ "BYE", SIP_METHOD_BYE },
	{ "CANCEL", SIP_METHOD_CANCEL },
	{ "OPTIONS", SIP_METHOD_OPTIONS },
	{ "REGISTER", SIP_METHOD_REGISTER },
	{ "PRACK", SIP_METHOD_PRACK },
	{ "SUBSCRIBE", SIP_METHOD_SUBSCRIBE },
	{ "NOTIFY", SIP_METHOD_NOTIFY },
	{ "PUBLISH", SIP_METHOD_PUBLISH },
	{ "INFO", SIP_METHOD_INFO },
	{ "REFER", SIP_METHOD_REFER },
	{ "MESSAGE", SIP_METHOD_MESSAGE },
	{ "UPDATE", SIP_METHOD_UPDATE },
};

/* Methods are case-sensitive (RFC 3261 7.1). */
enum sip_method
sip_method_lookup(const struct pl *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (pl_eq_str(name, methods[i].name))
			return methods[i].m;
	}
	return SIP_METHOD_OTHER;
}
