/*
 * keys.h - the daemon's signing key: an HMAC secret, or an Ed25519 or RSA
 * private key read from a PKCS#8 PEM file.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "gshutdown.h"

struct sign_key;
struct bot_config;

/*
 * Build the key of cfg->exchange.key_type: for hmac from secret (which may
 * be empty in a dry run), otherwise from private_key_file, which must be
 * owned by this user and of mode 0600 and hold a key of that type.
 * Returns 0, or -errno with cause set ("file: private_key_file ...").
 */
int keys_load(struct sign_key **out, const struct bot_config *cfg,
	      const char *secret, char *cause);
void keys_free(struct sign_key *key);
/*
 * Set up OpenSSL's secure heap for private keys; call once, before any
 * thread and before keys_load().  Returns 1, or 2 with cause set when
 * the heap could not be locked in memory, or -errno with cause set when
 * there is none (keys_load() then works without it): a warning either way.
 */
int keys_secure_heap_init(char *cause);
/* True when the key's PEM file was read into the secure heap. */
bool keys_pem_was_secure(const struct sign_key *key);
/* True when the key can sign (an HMAC key with an empty secret cannot). */
int keys_usable(const struct sign_key *key);

/*
 * Sign len bytes of payload: lowercase hex HMAC-SHA256, or base64 of the
 * Ed25519 / RSASSA-PKCS1-v1_5-SHA256 signature.  Returns the length
 * written, -ENOSPC when out is too small, -EIO when signing failed.
 */
int keys_sign(const struct sign_key *key, const char *payload, size_t len,
	      char *out, size_t size);

/*
 * Append "&signature=<sig>" to query (percent-encoded, as base64 must be),
 * signing the query as it stands.  0, -ENOSPC or -EIO.
 */
int keys_sign_query(const struct sign_key *key, char *query, size_t size);

#endif
