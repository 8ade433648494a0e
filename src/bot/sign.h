/*
 * sign.h - Binance request signing, shared by tradebotd (which signs) and
 * exchange-sim (which checks).
 */
#ifndef SIGN_H
#define SIGN_H

#include <stddef.h>

/* Append name=value (value percent-encoded) to a query string. */
int sign_append(char *query, size_t size, const char *name, const char *value);
/* Lowercase hex HMAC-SHA256 of query || body with secret. */
void sign_hmac(const char *secret, const char *query, const char *body,
	       char out[65]);
/* Percent-encode every byte outside the unreserved set. */
void sign_encode(const char *in, char *out, size_t size);

#endif
