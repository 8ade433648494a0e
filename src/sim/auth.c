/*
 * auth.c - the simulator's signature check, for each key type Binance
 * accepts: HMAC-SHA256 with the shared secret (hex), or an Ed25519 or RSA
 * (RSASSA-PKCS1-v1_5, SHA-256) signature in base64, checked with the
 * public key of [sim] public_key_file.  The payload is the query string
 * and body exactly as the client sent them, the signature parameter left
 * out; the signature arrives percent-encoded, as base64 in a query must
 * (a raw '+' reads as a space), and an HMAC as hex in either case (Binance:
 * "The signature is not case sensitive").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "gshutdown.h"
#include "sim.h"

#define AUTH_SIG_MAX 2048

static EVP_PKEY *auth_pkey; /* the service thread is the only user */

int
auth_init(const struct sim_config *cfg, char *cause)
{
	int want;
	FILE *fp;

	auth_cleanup();
	if (cfg->key_type == SIM_KEY_HMAC)
		return 0;
	if (cfg->public_key_file[0] == '\0') {
		snprintf(cause, GS_CAUSE_MAX,
			 "key_type %s needs public_key_file",
			 cfg->key_type == SIM_KEY_ED25519 ? "ed25519" : "rsa");
		return -EINVAL;
	}
	fp = fopen(cfg->public_key_file, "r");
	if (fp == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "public_key_file %s: %s",
			 cfg->public_key_file, strerror(errno));
		return -errno;
	}
	auth_pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	want = cfg->key_type == SIM_KEY_ED25519 ? EVP_PKEY_ED25519
						: EVP_PKEY_RSA;
	if (auth_pkey == NULL || EVP_PKEY_get_base_id(auth_pkey) != want) {
		snprintf(cause, GS_CAUSE_MAX,
			 "public_key_file %s: not a PEM %s public key",
			 cfg->public_key_file,
			 want == EVP_PKEY_ED25519 ? "Ed25519" : "RSA");
		auth_cleanup();
		return -EINVAL;
	}
	return 0;
}

void
auth_cleanup(void)
{
	EVP_PKEY_free(auth_pkey);
	auth_pkey = NULL;
}

int
sim_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Undo form encoding as the exchange does: "%XX" escapes, and '+' is a
 * space, so a base64 signature sent without percent-encoding its '+'
 * does not verify.  False on a malformed escape or overflow.
 */
static bool
auth_unescape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		int c = (unsigned char)*in;

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = sim_hexval((unsigned char)in[1]), lo;

			lo = hi < 0 ? -1 : sim_hexval((unsigned char)in[2]);
			if (lo < 0)
				return false;
			c = hi * 16 + lo;
			in += 2;
		}
		if (o + 1 >= size)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

static bool
auth_hmac(const struct sim_config *cfg, const char *payload, size_t len,
	  const char *sig)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1], got[2 * EVP_MAX_MD_SIZE + 1];

	if (HMAC(EVP_sha256(), cfg->api_secret, (int)strlen(cfg->api_secret),
		 (const unsigned char *)payload, len, md, &mdlen) == NULL)
		return false;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	if (strlen(sig) != 2 * mdlen ||
	    strspn(sig, "0123456789abcdefABCDEF") != 2 * mdlen)
		return false;
	/* Hex in either case, compared in constant time. */
	for (i = 0; i < 2 * mdlen; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	return CRYPTO_memcmp(hex, got, 2 * mdlen) == 0;
}

bool
auth_verify(const struct sim_config *cfg, const char *payload, size_t len,
	    const char *sig)
{
	char b64[AUTH_SIG_MAX];
	unsigned char raw[AUTH_SIG_MAX];
	size_t blen, pad = 0;
	EVP_MD_CTX *ctx;
	int n, ok;

	if (!auth_unescape(sig, b64, sizeof(b64)))
		return false;
	if (cfg->key_type == SIM_KEY_HMAC)
		return auth_hmac(cfg, payload, len, b64);
	if (auth_pkey == NULL)
		return false;
	/* Strict base64: whole quads, padding only at the end. */
	blen = strlen(b64);
	if (blen == 0 || blen % 4 != 0 ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/=") != blen)
		return false;
	while (pad < 2 && b64[blen - 1 - pad] == '=')
		pad++;
	if (strchr(b64, '=') != NULL && strchr(b64, '=') < b64 + blen - pad)
		return false;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
	if (n < 0)
		return false;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return false;
	ok = EVP_DigestVerifyInit(ctx, NULL,
				  cfg->key_type == SIM_KEY_RSA ? EVP_sha256()
							       : NULL,
				  NULL, auth_pkey) == 1 &&
	     EVP_DigestVerify(ctx, raw, (size_t)n - pad,
			      (const unsigned char *)payload, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * The timing rule of a SIGNED request, REST's and the WebSocket API's:
 * a timestamp is mandatory; the rest is timing.c's (timestamp in ms or
 * µs, recvWindow with up to three decimals), now being the server's time
 * in µs.  0, or the HTTP status with Binance's code and message.
 */
int
auth_timing(const char *ts, const char *rw, int64_t now_us, int *code,
	    char *msg, size_t size)
{
	const char *text;

	if (ts == NULL || *ts == '\0') {
		*code = -1102;
		snprintf(msg, size,
			 "Mandatory parameter 'timestamp' was not sent, was "
			 "empty/null, or malformed.");
		return 400;
	}
	*code = timing_check(ts, rw, now_us, &text);
	if (*code == 0)
		return 0;
	snprintf(msg, size, "%s", text);
	return 400;
}
