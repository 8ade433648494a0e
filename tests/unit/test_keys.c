/*
 * test_keys.c - signing with each key type against vectors the openssl
 * command line made from the throw-away keys in tests/keys (see its
 * README), the simulator's check of the same signatures, the key file
 * rules, and the [exchange] keys that choose venue, key and transport.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "unit.h"
#include "../../src/bot/keys.h"
#include "../../src/bot/sign.h"
#include "../../src/sim/sim.h"

#define PAYLOAD                                                                \
	"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"        \
	"price=0.1&recvWindow=5000&timestamp=1499827319559"
#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

static char cause[GS_CAUSE_MAX];

/* Read tests/keys/<name> into buf (trailing newline dropped). */
static void
vector_read(const char *name, char *buf, size_t size)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/keys/%s", top ? top : "..",
		 name);
	fp = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Copy tests/keys/<name> to the temp dir with mode; returns the path. */
static void
key_copy(const char *name, mode_t mode, char *path, size_t size)
{
	char pem[8192];
	const char *top = getenv("top_srcdir");
	char src[1024];
	FILE *fp;
	size_t n;

	snprintf(src, sizeof(src), "%s/tests/keys/%s", top ? top : "..", name);
	fp = fopen(src, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	n = fread(pem, 1, sizeof(pem) - 1, fp);
	fclose(fp);
	pem[n] = '\0';
	unit_write(path, size, name, pem);
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
}

static void
key_config(struct bot_config *cfg, enum bot_key_type type, const char *path)
{
	unit_bot_config(cfg);
	cfg->path = "tradebotd.ini";
	cfg->exchange.key_type = type;
	snprintf(cfg->exchange.private_key_file,
		 sizeof(cfg->exchange.private_key_file), "%s", path);
}

static void
sign_matches(enum bot_key_type type, const char *pem, const char *sigfile)
{
	struct sign_key *key = NULL;
	struct bot_config cfg;
	char path[512], want[1024], got[1024];
	int n;

	key_copy(pem, 0600, path, sizeof(path));
	key_config(&cfg, type, path);
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, NULL, cause), 0);
	CU_ASSERT_TRUE(keys_usable(key));
	vector_read(sigfile, want, sizeof(want));
	n = keys_sign(key, PAYLOAD, strlen(PAYLOAD), got, sizeof(got));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL(keys_sign(key, PAYLOAD, strlen(PAYLOAD), got, 10),
			-ENOSPC);
	keys_free(key);
}

static void
test_keys_ed25519_vector(void)
{
	sign_matches(BOT_KEY_ED25519, "ed25519.pem", "ed25519.sig");
}

static void
test_keys_rsa_vector(void)
{
	sign_matches(BOT_KEY_RSA, "rsa.pem", "rsa.sig");
}

static void
test_keys_hmac_vector(void)
{
	struct sign_key *key = NULL;
	struct bot_config cfg;
	char got[128], q[512] = PAYLOAD;

	key_config(&cfg, BOT_KEY_HMAC, "");
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, SECRET, cause), 0);
	CU_ASSERT_EQUAL(keys_sign(key, PAYLOAD, strlen(PAYLOAD), got,
				  sizeof(got)),
			64);
	CU_ASSERT_STRING_EQUAL(
	    got, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
	CU_ASSERT_EQUAL(keys_sign_query(key, q, sizeof(q)), 0);
	CU_ASSERT_STRING_EQUAL(
	    q, PAYLOAD "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acd"
		       "cab2b053c4b2838bd6b71");
	keys_free(key);
	/* A dry run may have no secret: loaded, but it cannot sign. */
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, "", cause), 0);
	CU_ASSERT_FALSE(keys_usable(key));
	keys_free(key);
}

/*
 * Load a private key with the secure heap set up: the PEM went into it,
 * and once keys_load() has freed that buffer the key material is still
 * there (more of the heap in use than before); keys_free() gives it back.
 */
static void
secure_load(enum bot_key_type type, const char *name)
{
	struct sign_key *key = NULL;
	struct bot_config cfg;
	char path[512], got[1024];
	size_t before, loaded;

	key_copy(name, 0600, path, sizeof(path));
	key_config(&cfg, type, path);
	before = CRYPTO_secure_used();
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, NULL, cause), 0);
	CU_ASSERT_TRUE(keys_pem_was_secure(key));
	loaded = CRYPTO_secure_used();
	CU_ASSERT(loaded > before);
	CU_ASSERT(keys_sign(key, PAYLOAD, strlen(PAYLOAD), got, sizeof(got)) >
		  0);
	keys_free(key);
	CU_ASSERT_EQUAL(CRYPTO_secure_used(), before);
}

static void
test_keys_secure_heap(void)
{
	char why[GS_CAUSE_MAX] = "";
	unsigned char rnd[16];
	struct sign_key *key = NULL;
	struct bot_config cfg;
	size_t before;
	int rc;

	rc = keys_secure_heap_init(why);
	/* No secure heap (OpenSSL built without it, no mmap): nothing to
	 * check, and that is a failure, not a pass. */
	if (rc < 0)
		fprintf(stderr, "test_keys_secure_heap: %s\n", why);
	CU_ASSERT_TRUE_FATAL(rc == 1 || rc == 2);
	CU_ASSERT_TRUE_FATAL(CRYPTO_secure_malloc_initialized());
	CU_ASSERT_EQUAL(keys_secure_heap_init(why), 1); /* once only */
	/* OpenSSL's private DRBG (RSA blinding draws from it) keeps its
	 * state in the secure heap for good: set it up first. */
	CU_ASSERT_EQUAL_FATAL(RAND_priv_bytes(rnd, sizeof(rnd)), 1);
	secure_load(BOT_KEY_ED25519, "ed25519.pem");
	secure_load(BOT_KEY_RSA, "rsa.pem");
	/* The HMAC secret's path is unchanged: no file, no secure heap. */
	key_config(&cfg, BOT_KEY_HMAC, "");
	before = CRYPTO_secure_used();
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, SECRET, cause), 0);
	CU_ASSERT_FALSE(keys_pem_was_secure(key));
	CU_ASSERT_EQUAL(CRYPTO_secure_used(), before);
	keys_free(key);
}

/* The query carries the base64 percent-encoded; the simulator agrees. */
static void
query_round_trip(enum bot_key_type type, const char *pem, const char *pub,
		 const char *sigfile)
{
	struct sim_config sc;
	struct sign_key *key = NULL;
	struct bot_config cfg;
	char path[512], pubpath[512], q[2048] = PAYLOAD, want[1024],
						       enc[3072];
	const char *sig;

	key_copy(pem, 0600, path, sizeof(path));
	key_copy(pub, 0644, pubpath, sizeof(pubpath));
	key_config(&cfg, type, path);
	CU_ASSERT_EQUAL_FATAL(keys_load(&key, &cfg, NULL, cause), 0);
	CU_ASSERT_EQUAL(keys_sign_query(key, q, sizeof(q)), 0);
	vector_read(sigfile, want, sizeof(want));
	sign_encode(want, enc, sizeof(enc));
	sig = strstr(q, "&signature=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	CU_ASSERT_STRING_EQUAL(sig + 11, enc);
	CU_ASSERT_PTR_NULL(strpbrk(sig + 11, "+/="));
	/* Too small a buffer is said, and the query is left as it was. */
	{
		char small[200] = PAYLOAD;

		CU_ASSERT_EQUAL(keys_sign_query(key, small, sizeof(small)),
				-ENOSPC);
		CU_ASSERT_STRING_EQUAL(small, PAYLOAD);
	}
	keys_free(key);

	memset(&sc, 0, sizeof(sc));
	sc.key_type = type == BOT_KEY_ED25519 ? SIM_KEY_ED25519 : SIM_KEY_RSA;
	snprintf(sc.public_key_file, sizeof(sc.public_key_file), "%s",
		 pubpath);
	CU_ASSERT_EQUAL_FATAL(auth_init(&sc, cause), 0);
	CU_ASSERT_TRUE(auth_verify(&sc, PAYLOAD, strlen(PAYLOAD), sig + 11));
	CU_ASSERT_FALSE(auth_verify(&sc, PAYLOAD "1", strlen(PAYLOAD) + 1,
				    sig + 11));
	CU_ASSERT_FALSE(auth_verify(&sc, PAYLOAD, strlen(PAYLOAD), want + 1));
	CU_ASSERT_FALSE(auth_verify(&sc, PAYLOAD, strlen(PAYLOAD), "%zz"));
	auth_cleanup();
}

static void
test_keys_query_ed25519(void)
{
	query_round_trip(BOT_KEY_ED25519, "ed25519.pem", "ed25519.pub.pem",
			 "ed25519.sig");
}

static void
test_keys_query_rsa(void)
{
	query_round_trip(BOT_KEY_RSA, "rsa.pem", "rsa.pub.pem", "rsa.sig");
}

static void
test_keys_sim_hmac(void)
{
	struct sim_config sc;

	memset(&sc, 0, sizeof(sc));
	snprintf(sc.api_secret, sizeof(sc.api_secret), "%s", SECRET);
	CU_ASSERT_EQUAL(auth_init(&sc, cause), 0);
	CU_ASSERT_TRUE(auth_verify(
	    &sc, PAYLOAD, strlen(PAYLOAD),
	    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"));
	CU_ASSERT_FALSE(auth_verify(
	    &sc, PAYLOAD, strlen(PAYLOAD),
	    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b7"));
	/* Not case sensitive, as Binance says; hex all the same. */
	CU_ASSERT_TRUE(auth_verify(
	    &sc, PAYLOAD, strlen(PAYLOAD),
	    "C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71"));
	CU_ASSERT_TRUE(auth_verify(
	    &sc, PAYLOAD, strlen(PAYLOAD),
	    "c8db56825ae71d6d79447849e617115f4A920FA2ACDCAB2B053C4B2838BD6B71"));
	CU_ASSERT_FALSE(auth_verify(
	    &sc, PAYLOAD, strlen(PAYLOAD),
	    "G8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71"));
	/* A key file where none is configured is refused at load. */
	sc.key_type = SIM_KEY_ED25519;
	CU_ASSERT_NOT_EQUAL(auth_init(&sc, cause), 0);
}

static void
test_keys_file_rules(void)
{
	struct sign_key *key = NULL;
	struct bot_config cfg;
	char path[512], link[600];

	/* Readable by others: refused with the reason. */
	key_copy("ed25519.pem", 0640, path, sizeof(path));
	key_config(&cfg, BOT_KEY_ED25519, path);
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "mode 0600 (it is 0640"));
	/* A key of the other type. */
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	key_config(&cfg, BOT_KEY_RSA, path);
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "not an RSA key"));
	/* An RSA key over 8192 bits: its signature would not fit. */
	key_copy("rsa-8200.pem", 0600, path, sizeof(path));
	key_config(&cfg, BOT_KEY_RSA, path);
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "RSA key of 8200 bits; 2048 to "
					     "8192"));
	CU_ASSERT_PTR_NULL(key);
	/* A symlink is not followed. */
	snprintf(link, sizeof(link), "%s/key-link.pem", unit_tmpdir());
	unlink(link);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	key_config(&cfg, BOT_KEY_ED25519, link);
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -ELOOP);
	/* Not a key at all; missing. */
	unit_write(path, sizeof(path), "junk.pem", "not a key\n");
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	key_config(&cfg, BOT_KEY_ED25519, path);
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "PKCS#8"));
	key_config(&cfg, BOT_KEY_ED25519, "/nonexistent/key.pem");
	CU_ASSERT_EQUAL(keys_load(&key, &cfg, NULL, cause), -ENOENT);
}

/* ---- [exchange] venue, key_type, transport ------------------------------ */

static int
load(struct bot_config *cfg, const char *text, char *path, size_t size)
{
	return unit_config_load(cfg, text, 0, path, size, cause);
}

/* Assert the load fails with "<path>:<line>: ..." containing needle. */
#define expect_error(text, line, needle) unit_config_error(text, 0, line, needle)

static void
test_config_venues(void)
{
	static const struct {
		const char *venue, *rest, *ws;
	} v[] = {
		{"binance", "https://api.binance.com",
		 "wss://stream.binance.com:9443"},
		{"binance-us", "https://api.binance.us",
		 "wss://stream.binance.us:9443"},
		{"binance-testnet", "https://testnet.binance.vision",
		 "wss://stream.testnet.binance.vision"},
	};
	struct bot_config cfg;
	char text[256], path[512];
	size_t i;

	unit_bot_config(&cfg);
	CU_ASSERT_EQUAL(cfg.exchange.venue, BOT_VENUE_BINANCE_TESTNET);
	CU_ASSERT_EQUAL(cfg.exchange.key_type, BOT_KEY_HMAC);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ca_file, "");
	CU_ASSERT_FALSE(cfg.exchange.allow_insecure_transport);
	/* systemctl reload and logrotate send SIGHUP: it must not stop. */
	CU_ASSERT_EQUAL(cfg.gs->shutdown.on_sighup, GS_SIGHUP_RELOAD);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "[exchange]\nvenue = %s\n",
			 v[i].venue);
		CU_ASSERT_EQUAL(load(&cfg, text, path, sizeof(path)), 0);
		CU_ASSERT_STRING_EQUAL(cfg.exchange.rest_url, v[i].rest);
		CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_url, v[i].ws);
		CU_ASSERT_STRING_EQUAL(bot_venue_name(cfg.exchange.venue),
				       v[i].venue);
	}
	/* An explicit URL overrides the venue's, in either order. */
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nrest_url = https://api1.binance.com\n"
			     "venue = binance\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.rest_url,
			       "https://api1.binance.com");
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_url,
			       "wss://stream.binance.com:9443");
	/* Empty: the venue's, as the shipped file writes it. */
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nvenue = binance-us\nrest_url =\n"
			     "ws_url =\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.rest_url, "https://api.binance.us");
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_url,
			       "wss://stream.binance.us:9443");
	/* The WebSocket API: the venue's, or at an explicit ws_url's host. */
	CU_ASSERT_EQUAL(cfg.exchange.user_stream, BOT_USER_STREAM_AUTO);
	CU_ASSERT_EQUAL(load(&cfg, "[exchange]\nvenue = binance\n", path,
			     sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_api_url,
			       "wss://ws-api.binance.com:443/ws-api/v3");
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nws_url = ws://127.0.0.1:9/base/\n"
			     "user_stream = off\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_api_url,
			       "ws://127.0.0.1:9/ws-api/v3");
	CU_ASSERT_EQUAL(cfg.exchange.user_stream, BOT_USER_STREAM_OFF);
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nws_url = ws://127.0.0.1:9\n"
			     "ws_api_url = wss://localhost:8/api\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ws_api_url,
			       "wss://localhost:8/api");
	expect_error("[exchange]\nws_api_url = ws://ws-api.example.com\n", 2,
		     "ws_api_url: ws://ws-api.example.com sends the API key");
	expect_error("[exchange]\nuser_stream = on\n", 2,
		     "user_stream: \"on\" is not one of: auto, off");
	expect_error("[exchange]\n\nvenue = kraken\n", 3,
		     "venue: \"kraken\" is not one of: binance, binance-us, "
		     "binance-testnet");
}

static void
test_config_key_type(void)
{
	struct bot_config cfg;
	char path[512];

	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nkey_type = ed25519\n"
			     "private_key_file = /etc/tradebotd/key.pem\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_EQUAL(cfg.exchange.key_type, BOT_KEY_ED25519);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.private_key_file,
			       "/etc/tradebotd/key.pem");
	expect_error("[exchange]\nrest_url = https://x\nkey_type = rsa\n", 3,
		     "key_type rsa needs private_key_file");
	expect_error("[exchange]\nprivate_key_file = /k.pem\n", 2,
		     "private_key_file: only for key_type ed25519 or rsa");
	expect_error("[exchange]\nkey_type = ed25519\n"
		     "private_key_file = /k.pem\napi_secret_file = /s\n",
		     4, "api_secret_file: only for key_type hmac");
	expect_error("[exchange]\nkey_type = dsa\n", 2,
		     "key_type: \"dsa\" is not one of: hmac, ed25519, rsa");
}

static void
test_config_insecure_transport(void)
{
	struct bot_config cfg;
	char path[512];

	expect_error("[exchange]\nrest_url = http://api.example.com\n", 2,
		     "rest_url: http://api.example.com sends the API key");
	expect_error("[exchange]\nrest_url = https://api.example.com\n\n"
		     "ws_url = ws://10.0.0.1:9443\n",
		     4, "ws_url: ws://10.0.0.1:9443 sends");
	expect_error("[exchange]\nrest_url = http://127.0.0.1.example.com/\n",
		     2, "allow_insecure_transport = true");
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nrest_url = http://127.0.0.1:8765\n"
			     "ws_url = ws://[::1]:8765\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nrest_url = http://localhost:1/x\n"
			     "ws_url = ws://127.1.2.3\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_EQUAL(load(&cfg,
			     "[exchange]\nrest_url = http://10.1.1.1:80\n"
			     "allow_insecure_transport = true\n",
			     path, sizeof(path)),
			0);
	CU_ASSERT_TRUE(cfg.exchange.allow_insecure_transport);
	CU_ASSERT_EQUAL(load(&cfg, "[exchange]\nca_file = /etc/ca.pem\n", path,
			     sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg.exchange.ca_file, "/etc/ca.pem");
}

static void
test_url_is_loopback(void)
{
	CU_ASSERT_TRUE(bot_url_is_loopback("http://127.0.0.1:1"));
	CU_ASSERT_TRUE(bot_url_is_loopback("ws://127.255.0.9/ws"));
	CU_ASSERT_TRUE(bot_url_is_loopback("http://[::1]:80/"));
	CU_ASSERT_TRUE(bot_url_is_loopback("ws://LOCALHOST"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://128.0.0.1"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://127.0.0.1.nip.io"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://localhost.example.com"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://user@127.0.0.1@evil/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://[::2]/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("127.0.0.1"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://"));
	/* As the resolver reads the host, not as a naive parser would. */
	CU_ASSERT_TRUE(bot_url_is_loopback("http://127.0.0.2"));
	CU_ASSERT_TRUE(bot_url_is_loopback("http://[::1]"));
	CU_ASSERT_TRUE(bot_url_is_loopback("http://localhost:8080/x"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://0127.0.0.1"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://0177.0.0.1/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://127.000.0.1/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://127.1"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://2130706433/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://0x7f.0.0.1"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://localhost.evil.com"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://[::ffff:127.0.0.1]/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://[::1]evil/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://127.0.0.1:80@evil.com/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://localhost@evil.com"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://[::1]@evil.com/"));
	CU_ASSERT_FALSE(bot_url_is_loopback("http://127.0.0.1\\@evil.com/"));
}

/*
 * rest_url is joined with "/api/v3/...": trailing slashes go at load, so
 * "https://host/" requests "/api/v3/..." and "https://host/base/"
 * requests "/base/api/v3/...", never "//api/v3/..." (a strict server's
 * 404).
 */
static void
test_config_rest_url_slash(void)
{
	static const struct {
		const char *in, *want;
	} c[] = {
		{"https://host/", "https://host/api/v3/time"},
		{"https://host///", "https://host/api/v3/time"},
		{"https://host/base/", "https://host/base/api/v3/time"},
		{"https://host:8443/base//", "https://host:8443/base/api/v3/time"},
		{"https://host", "https://host/api/v3/time"},
	};
	struct bot_config cfg;
	char text[256], path[512], url[BOT_URL_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(text, sizeof(text), "[exchange]\nrest_url = %s\n",
			 c[i].in);
		CU_ASSERT_EQUAL_FATAL(load(&cfg, text, path, sizeof(path)), 0);
		/* As rest.c joins them. */
		snprintf(url, sizeof(url), "%s%s", cfg.exchange.rest_url,
			 "/api/v3/time");
		CU_ASSERT_STRING_EQUAL(url, c[i].want);
	}
}

/* The machine checks: state_dir's owner and mode, ca_file. */
static void
test_config_validate_state_dir_ca(void)
{
	struct bot_config cfg;
	char path[512], text[2048], dir[600];

	snprintf(dir, sizeof(dir), "%s/shared-state", unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text),
		 "[bot]\nsymbols = X\nclient_order_prefix = t\n"
		 "state_dir = %s\n[trace]\npath = %s/v.jsonl\n[exchange]\n"
		 "ca_file = %s/no-ca.pem\n",
		 dir, unit_tmpdir(), unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(load(&cfg, text, path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(chmod(dir, 0770), 0);
	CU_ASSERT_EQUAL(bot_config_validate(&cfg, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, ":4: state_dir "));
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "mode 0770)"));
	CU_ASSERT_EQUAL(chmod(dir, 0702), 0);
	CU_ASSERT_EQUAL(bot_config_validate(&cfg, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "mode 0702)"));
	CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
	CU_ASSERT_EQUAL(bot_config_validate(&cfg, cause), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, ":8: ca_file "));
	cfg.exchange.ca_file[0] = '\0';
	CU_ASSERT_EQUAL(bot_config_validate(&cfg, cause), 0);
	rmdir(dir);
}

void
suite_keys(void)
{
	CU_pSuite s = CU_add_suite("keys", NULL, NULL);

	UNIT_ADD(s, test_keys_secure_heap);
	UNIT_ADD(s, test_keys_ed25519_vector);
	UNIT_ADD(s, test_keys_rsa_vector);
	UNIT_ADD(s, test_keys_hmac_vector);
	UNIT_ADD(s, test_keys_query_ed25519);
	UNIT_ADD(s, test_keys_query_rsa);
	UNIT_ADD(s, test_keys_sim_hmac);
	UNIT_ADD(s, test_keys_file_rules);
	UNIT_ADD(s, test_config_venues);
	UNIT_ADD(s, test_config_key_type);
	UNIT_ADD(s, test_config_insecure_transport);
	UNIT_ADD(s, test_url_is_loopback);
	UNIT_ADD(s, test_config_rest_url_slash);
	UNIT_ADD(s, test_config_validate_state_dir_ca);
}
