/*
 * sign.c - Binance request signing: the signature is the lowercase hex
 * HMAC-SHA256 of the query string immediately followed by the body, keyed
 * with the API secret, over the percent-encoded parameters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

/* Bytes that go into a query string as they are. */
static bool
sign_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

void
sign_encode(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (sign_unreserved(c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/*
 * Encoded straight into the query, so a value is never cut at some
 * intermediate size: it fits whole, or the query is left as it was and
 * -ENOSPC says so.
 */
int
sign_append(char *query, size_t size, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(query), o;
	int n;

	if (len >= size)
		return -ENOSPC;
	n = snprintf(query + len, size - len, "%s%s=", len ? "&" : "", name);
	if (n < 0 || (size_t)n >= size - len) {
		query[len] = '\0';
		return -ENOSPC;
	}
	o = len + (size_t)n;
	for (; *value; value++) {
		unsigned char c = (unsigned char)*value;

		if (o + (sign_unreserved(c) ? 1 : 3) >= size) {
			query[len] = '\0';
			return -ENOSPC;
		}
		if (sign_unreserved(c)) {
			query[o++] = (char)c;
		} else {
			query[o++] = '%';
			query[o++] = hex[c >> 4];
			query[o++] = hex[c & 15];
		}
	}
	query[o] = '\0';
	return 0;
}

void
sign_hmac(const char *secret, const char *query, const char *body,
	  char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t qlen = strlen(query), blen = body ? strlen(body) : 0;
	unsigned char *msg = malloc(qlen + blen + 1);

	out[0] = '\0';
	if (msg == NULL)
		return;
	memcpy(msg, query, qlen);
	memcpy(msg + qlen, body ? body : "", blen);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, qlen + blen,
		 md, &mdlen) == NULL)
		mdlen = 0;
	free(msg);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * i] = '\0';
}
