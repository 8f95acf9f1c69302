/* SDP (RFC 8866) decoding into slices and encoding. No negotiation. */
#ifndef SIP_SDP_H
#define SIP_SDP_H
#endif
