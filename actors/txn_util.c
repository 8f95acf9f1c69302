/* Looks at a raw SIP message's first line, for the transactions. */
#include <string.h>

#include "txn.h"

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
