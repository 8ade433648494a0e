/*
 * keys.c - the signing key and the signature Binance expects of it.
 *
 * key_type hmac signs with the API secret (lowercase hex HMAC-SHA256);
 * ed25519 and rsa sign with a private key read from a PKCS#8 PEM file
 * (base64 of the Ed25519 signature, or of RSASSA-PKCS1-v1_5 over SHA-256).
 * All of it is OpenSSL's EVP API.  The HMAC secret lives in pages
 * excluded from core dumps and wiped when freed.
 *
 * A private key goes through OpenSSL's secure heap (keys_secure_heap_init,
 * called by main.c for key_type ed25519 and rsa before any thread and
 * before the key is read): the file is read(2) into a buffer from
 * OPENSSL_secure_malloc and parsed in place (a read-only memory BIO, no
 * copy); OpenSSL 3 then keeps the base64-decoded DER (PEM_FLAG_SECURE),
 * the Ed25519 private key and the RSA private bignums in that heap too.
 * What still lands in the ordinary heap: the PKCS#8 PrivateKeyInfo's
 * octet string while it is decoded and a signature's temporaries (BN_CTX)
 * (OpenSSL clears both when freed), and for RSA the Montgomery contexts
 * for p and q, copies of the primes that OpenSSL builds at the first
 * signature and keeps until keys_free().
 * The process's non-dumpable flag (main.c) keeps those out of cores.
 * Without a secure heap (init failed) the buffer is pages excluded from
 * core dumps, as for the HMAC secret, and the key is in OpenSSL's heap.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>

#include "bot.h"
#include "keys.h"
#include "sign.h"

#define KEYS_SECRET_MAX 256
#define KEY_LINE(cfg) bot_config_line(cfg, "exchange", "private_key_file")
#define KEYS_PEM_MAX (16 * 1024) /* an RSA-8192 PKCS#8 PEM is ~6.4 KiB */
/* The PEM buffer, the DER and an RSA-8192 key's bignums, with room. */
#define KEYS_SECURE_HEAP (128 * 1024)
#define KEYS_SECURE_MINSIZE 32
#define KEYS_SIG_MAX 2048 /* base64 of an RSA-8192 signature fits */

struct sign_key {
	enum bot_key_type type;
	EVP_PKEY *pkey;
	bool pem_secure; /* the PEM was read into the secure heap */
	size_t secret_len;
	char secret[KEYS_SECRET_MAX];
};

/*
 * Memory for secrets: whole pages, left out of core dumps, kept out of
 * swap where the limit allows.  Wiped and unmapped by secret_free().
 */
static void *
secret_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, size, MADV_DONTDUMP);
	(void)mlock(p, size); /* best effort: RLIMIT_MEMLOCK may refuse */
	return p;
}

static void
secret_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	explicit_bzero(p, size);
	munlock(p, size);
	munmap(p, size);
}

int
keys_secure_heap_init(char *cause)
{
	int rc;

	if (CRYPTO_secure_malloc_initialized())
		return 1;
	rc = CRYPTO_secure_malloc_init(KEYS_SECURE_HEAP, KEYS_SECURE_MINSIZE);
	ERR_clear_error();
	if (rc == 0) {
		snprintf(cause, GS_CAUSE_MAX,
			 "OpenSSL's secure heap could not be set up: a private "
			 "key is read into pages excluded from core dumps "
			 "instead, and OpenSSL holds it in its ordinary heap");
		return -ENOMEM;
	}
	if (rc == 2)
		snprintf(cause, GS_CAUSE_MAX,
			 "OpenSSL's secure heap could not be locked in memory "
			 "(RLIMIT_MEMLOCK?): a private key may be swapped out");
	return rc;
}

/* The buffer the key file is read into: secure heap, else private pages. */
static char *
pem_alloc(bool *secure)
{
	char *pem;

	*secure = false;
	if (!CRYPTO_secure_malloc_initialized())
		return secret_alloc(KEYS_PEM_MAX);
	pem = OPENSSL_secure_zalloc(KEYS_PEM_MAX);
	*secure = pem != NULL && CRYPTO_secure_allocated(pem);
	return pem;
}

static void
pem_free(char *pem, bool secure)
{
	if (secure || CRYPTO_secure_malloc_initialized())
		OPENSSL_secure_clear_free(pem, KEYS_PEM_MAX);
	else
		secret_free(pem, KEYS_PEM_MAX);
}

/* An encrypted PEM would make OpenSSL prompt on the terminal: refuse. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Read the key file, refusing a symlink and anything but owner/0600. */
static int
keys_read_file(const struct bot_config *cfg, char *buf, size_t size,
	       size_t *len, char *cause)
{
	const char *p = cfg->exchange.private_key_file;
	struct stat st;
	int fd, rc = 0;

	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX, "%s:%d: private_key_file %s: %s",
			 cfg->path, KEY_LINE(cfg), p, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: private_key_file %s: not a regular file",
			 cfg->path, KEY_LINE(cfg), p);
		close(fd);
		return -EINVAL;
	}
	if (!bot_secret_file_private(p, &st)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: private_key_file %s must be owned by this user "
			 "and of mode 0600 (it is %04o, uid %d)",
			 cfg->path, KEY_LINE(cfg), p, (unsigned)(st.st_mode & 07777),
			 (int)st.st_uid);
		close(fd);
		return -EPERM;
	}
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + *len, size - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: private_key_file %s: %s", cfg->path,
				 KEY_LINE(cfg), p, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len == size) {
			rc = -EFBIG;
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: private_key_file %s: larger than %d "
				 "bytes, not a key",
				 cfg->path, KEY_LINE(cfg), p, KEYS_PEM_MAX);
			break;
		}
	}
	close(fd);
	return rc;
}

/* Parse the PEM and check it is a key of the configured type. */
static int
keys_parse(struct sign_key *k, const struct bot_config *cfg, const char *pem,
	   size_t len, char *cause)
{
	const char *p = cfg->exchange.private_key_file;
	int want = k->type == BOT_KEY_ED25519 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA;
	BIO *bio;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return -ENOMEM;
	}
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (k->pkey == NULL) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: private_key_file %s: not an unencrypted PKCS#8 "
			 "PEM private key",
			 cfg->path, KEY_LINE(cfg), p);
		return -EINVAL;
	}
	if (EVP_PKEY_get_base_id(k->pkey) != want) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: private_key_file %s: not an %s key (key_type = "
			 "%s)",
			 cfg->path, KEY_LINE(cfg), p,
			 k->type == BOT_KEY_ED25519 ? "Ed25519" : "RSA",
			 bot_key_type_name(k->type));
		return -EINVAL;
	}
	if (k->type == BOT_KEY_RSA && (EVP_PKEY_get_bits(k->pkey) < 2048 ||
				      EVP_PKEY_get_bits(k->pkey) > 8192)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: private_key_file %s: an RSA key of %d bits; "
			 "2048 to 8192",
			 cfg->path, KEY_LINE(cfg), p, EVP_PKEY_get_bits(k->pkey));
		return -EINVAL;
	}
	return 0;
}

int
keys_load(struct sign_key **out, const struct bot_config *cfg,
	  const char *secret, char *cause)
{
	struct sign_key *k;
	char *pem;
	size_t len = 0;
	int rc;

	k = secret_alloc(sizeof(*k));
	if (k == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return -ENOMEM;
	}
	k->type = cfg->exchange.key_type;
	k->pkey = NULL;
	k->pem_secure = false;
	if (k->type == BOT_KEY_HMAC) {
		k->secret_len = secret ? strlen(secret) : 0;
		if (k->secret_len >= sizeof(k->secret)) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s: the API secret is longer than %zu "
				 "characters",
				 cfg->path, sizeof(k->secret) - 1);
			keys_free(k);
			return -EINVAL;
		}
		memcpy(k->secret, secret ? secret : "", k->secret_len);
		k->secret[k->secret_len] = '\0';
		*out = k;
		return 0;
	}
	pem = pem_alloc(&k->pem_secure);
	if (pem == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		keys_free(k);
		return -ENOMEM;
	}
	rc = keys_read_file(cfg, pem, KEYS_PEM_MAX, &len, cause);
	if (rc == 0)
		rc = keys_parse(k, cfg, pem, len, cause);
	pem_free(pem, k->pem_secure);
	if (rc < 0) {
		keys_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void
keys_free(struct sign_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	secret_free(key, sizeof(*key));
}

bool
keys_pem_was_secure(const struct sign_key *key)
{
	return key != NULL && key->pem_secure;
}

int
keys_usable(const struct sign_key *key)
{
	return key != NULL && (key->type != BOT_KEY_HMAC || key->secret_len > 0);
}

static int
keys_hmac(const struct sign_key *k, const char *payload, size_t len,
	  char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (size < 65)
		return -ENOSPC;
	if (HMAC(EVP_sha256(), k->secret, (int)k->secret_len,
		 (const unsigned char *)payload, len, md, &mdlen) == NULL ||
	    mdlen != 32)
		return -EIO;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
	return 64;
}

int
keys_sign(const struct sign_key *key, const char *payload, size_t len,
	  char *out, size_t size)
{
	unsigned char sig[1024]; /* RSA-8192: keys_parse refuses larger */
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;
	int ok, n;

	if (key->type == BOT_KEY_HMAC)
		return keys_hmac(key, payload, len, out, size);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	/* Ed25519 hashes internally (no digest); RSA: PKCS#1 v1.5, SHA-256. */
	ok = EVP_DigestSignInit(ctx, NULL,
				key->type == BOT_KEY_RSA ? EVP_sha256() : NULL,
				NULL, key->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)payload,
			    len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return -EIO;
	}
	if (size < 4 * ((siglen + 2) / 3) + 1)
		return -ENOSPC;
	n = EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
	return n > 0 ? n : -EIO;
}

int
keys_sign_query(const struct sign_key *key, char *query, size_t size)
{
	char sig[KEYS_SIG_MAX], enc[3 * KEYS_SIG_MAX + 4];
	size_t qlen = strlen(query);
	int n;

	n = keys_sign(key, query, qlen, sig, sizeof(sig));
	if (n < 0)
		return n;
	sign_encode(sig, enc, sizeof(enc));
	n = snprintf(query + qlen, size - qlen, "%ssignature=%s",
		     qlen ? "&" : "", enc);
	if (n < 0 || (size_t)n >= size - qlen) {
		query[qlen] = '\0';
		return -ENOSPC;
	}
	return 0;
}
