/* libFuzzer target: URI, name-addr, parameter and unescape decoders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl in = { (const char *)data, size }, n, v, rest;
	struct sip_uri uri;
	struct sip_addr addr;
	struct sip_contact ct;
	char buf[256];
	size_t len;

	if (sip_uri_decode(&uri, &in) == 0) {
		if (uri.user.p)
			(void)sip_uri_unescape(buf, sizeof(buf), &len,
			                       &uri.user);
		if (uri.headers.p)
			(void)sip_uri_unescape(buf, sizeof(buf), &len,
			                       &uri.headers);
		rest = uri.params;
		while (rest.p && sip_param_next(&n, &v, &rest) == 0)
			;
		if (uri.host.p && (uri.host.p < in.p ||
		                   uri.host.p + uri.host.l > in.p + in.l))
			abort();
	}
	if (sip_addr_decode(&addr, &in) == 0 && addr.dname.p)
		(void)sip_qstr_unescape(buf, sizeof(buf), &len, &addr.dname);
	(void)sip_contact_decode(&ct, &in);
	rest = in;
	while (sip_param_next(&n, &v, &rest) == 0)
		;
	(void)sip_uri_unescape(buf, sizeof(buf), &len, &in);
	return 0;
}
