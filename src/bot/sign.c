/*
 * sign.c - Binance request signing: the signature is the lowercase hex
 * HMAC-SHA256 of the query string immediately followed by the body, keyed
 * with the API secret, over the percent-encoded parameters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

void
sign_encode(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

int
sign_append(char *query, size_t size, const char *name, const char *value)
{
	char enc[1024];
	size_t len = strlen(query);
	int n;

	sign_encode(value, enc, sizeof(enc));
	n = snprintf(query + len, size - len, "%s%s=%s", len ? "&" : "", name,
		     enc);
	if (n < 0 || (size_t)n >= size - len) {
		query[len] = '\0';
		return -ENOSPC;
	}
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
