/*
 * config.c - tradebotd's part of the configuration: the [bot], [exchange]
 * and [streams] sections and the bot's keys of [shutdown], registered with
 * libgshutdown's loader (which owns [shutdown], [trace] and [log] and
 * gives every key the same file:line errors), the rules across them, and
 * the start-up checks of what they name on this machine.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bot.h"

_Static_assert(sizeof(enum bot_venue) == sizeof(int) &&
		       sizeof(enum bot_key_type) == sizeof(int) &&
		       sizeof(enum bot_cancel_mode) == sizeof(int) &&
		       sizeof(enum bot_user_stream) == sizeof(int),
	       "enum keys are stored as int");

static const char *const cancel_modes[] = {"auto", "per_order_sequential",
					   NULL};
/* In the order of enum bot_venue and enum bot_key_type. */
static const char *const venues[] = {"binance", "binance-us",
				     "binance-testnet", NULL};
static const char *const key_types[] = {"hmac", "ed25519", "rsa", NULL};
static const char *const user_streams[] = {"auto", "off", NULL};

static const struct {
	const char *rest_url;
	const char *ws_url;
	const char *ws_api_url;
} venue_urls[] = {
	[BOT_VENUE_BINANCE] = {"https://api.binance.com",
			       "wss://stream.binance.com:9443",
			       "wss://ws-api.binance.com:443/ws-api/v3"},
	[BOT_VENUE_BINANCE_US] = {"https://api.binance.us",
				  "wss://stream.binance.us:9443",
				  "wss://ws-api.binance.us:443/ws-api/v3"},
	[BOT_VENUE_BINANCE_TESTNET] = {"https://testnet.binance.vision",
				       "wss://stream.testnet.binance.vision",
				       "wss://ws-api.testnet.binance.vision/ws-api/v3"},
};

const char *
bot_venue_name(enum bot_venue venue)
{
	return (unsigned)venue < 3 ? venues[venue] : "?";
}

const char *
bot_venue_rest_url(enum bot_venue venue)
{
	return (unsigned)venue < 3 ? venue_urls[venue].rest_url : "";
}

const char *
bot_venue_ws_url(enum bot_venue venue)
{
	return (unsigned)venue < 3 ? venue_urls[venue].ws_url : "";
}

const char *
bot_venue_ws_api_url(enum bot_venue venue)
{
	return (unsigned)venue < 3 ? venue_urls[venue].ws_api_url : "";
}

const char *
bot_key_type_name(enum bot_key_type type)
{
	return (unsigned)type < 3 ? key_types[type] : "?";
}

int
bot_config_line(const struct bot_config *cfg, const char *section,
		const char *name)
{
	return gs_config_line(cfg->gs, section, name);
}

static int
config_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
config_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
bot_config_error(const struct bot_config *cfg, const char *section,
		 const char *name, char *cause, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
bot_config_error(const struct bot_config *cfg, const char *section,
		 const char *name, char *cause, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gs_config_error(cfg->gs, section, name, cause, "%s", msg);
}

/*
 * True when the URL's host is loopback as the resolver will read it:
 * "localhost", or an address in the one form inet_pton() accepts (dotted
 * decimal without leading zeros, or an IPv6 literal in brackets) that is
 * in 127.0.0.0/8 or is ::1.  Forms a resolver reads differently from a
 * naive parser ("0127.0.0.1" is octal, "127.1", "2130706433", "0x7f...")
 * are refused, as is any userinfo ("user@host") in the authority.
 */
bool
bot_url_is_loopback(const char *url)
{
	const char *h = strstr(url, "://"), *end;
	char host[256];
	size_t len, alen;

	if (h == NULL)
		return false;
	h += 3;
	alen = strcspn(h, "/?#");
	if (memchr(h, '@', alen) != NULL || memchr(h, '\\', alen) != NULL)
		return false;
	if (*h == '[') {
		end = memchr(++h, ']', alen);
		if (end == NULL || (end[1] != '\0' && end[1] != ':' &&
				    strchr("/?#", end[1]) == NULL))
			return false;
	} else {
		end = h + strcspn(h, ":/?#");
	}
	len = (size_t)(end - h);
	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, h, len);
	host[len] = '\0';
	if (h[-1] == '[') {
		struct in6_addr a6;

		return inet_pton(AF_INET6, host, &a6) == 1 &&
		       IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (strcasecmp(host, "localhost") == 0)
		return true;
	{
		struct in_addr a4;

		/* inet_pton refuses octal, hex, short and integer forms. */
		return inet_pton(AF_INET, host, &a4) == 1 &&
		       (ntohl(a4.s_addr) >> 24) == 127;
	}
}

/*
 * Split a comma-separated list; each item trimmed.  An empty item ("A,,B",
 * a leading or a trailing comma) is refused: it is a typo, never meant.
 */
static int
config_list(const char *value, char items[][BOT_SYMBOL_MAX], int max, int *n)
{
	const char *p = value;

	*n = 0;
	while (*p) {
		const char *start, *end;
		size_t len;

		while (isspace((unsigned char)*p))
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		len = (size_t)(end - start);
		if (len == 0)
			return -EINVAL;
		if (len >= BOT_SYMBOL_MAX || *n >= max)
			return -ERANGE;
		memcpy(items[*n], start, len);
		items[*n][len] = '\0';
		(*n)++;
		if (*p == ',') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '\0')
				return -EINVAL; /* trailing comma */
		}
	}
	return *n > 0 ? 0 : -EINVAL;
}

/* An IPv6 literal's inside, or a host name or IPv4 address. */
static const char *
url_host_end(const char *p)
{
	if (*p == '[') {
		const char *q = p + 1;

		while (isxdigit((unsigned char)*q) || *q == ':' || *q == '.')
			q++;
		return *q == ']' && q > p + 1 ? q + 1 : p;
	}
	while (isalnum((unsigned char)*p) || *p == '.' || *p == '-' ||
	       *p == '_')
		p++;
	return p;
}

/*
 * scheme://host[:port][/path], with the scheme the key's client speaks:
 * anything else would reach curl or libwebsockets and fail there as an
 * unreachable exchange (69) when it is a configuration error (78).  A
 * trailing '/' is dropped, as request paths are appended to the URL.
 */
static int
config_url(bool ws_scheme, char *field, size_t size, const char *value,
	   char *why, size_t wsize)
{
	static const char *const http[] = {"http://", "https://"};
	static const char *const ws[] = {"ws://", "wss://"};
	const char *const *scheme = ws_scheme ? ws : http;
	const char *p = NULL, *host, *q;
	size_t len;
	long port;
	int i;

	if (value[0] == '\0') {
		field[0] = '\0'; /* the venue's (config_venue) */
		return 0;
	}
	for (i = 0; i < 2 && p == NULL; i++)
		if (strncmp(value, scheme[i], strlen(scheme[i])) == 0)
			p = value + strlen(scheme[i]);
	if (p == NULL)
		return config_why(why, wsize, "\"%s\" is not a URL starting "
					"with %s or %s",
				   value, scheme[0], scheme[1]);
	host = p;
	p = url_host_end(host);
	if (p == host)
		return config_why(why, wsize, "\"%s\" has no host (expected "
					"%shost[:port])",
				   value, scheme[0]);
	if (*p == ':') {
		q = ++p;
		port = 0;
		while (isdigit((unsigned char)*p) && port <= 65535)
			port = port * 10 + (*p++ - '0');
		if (p == q || port < 1 || port > 65535 ||
		    isdigit((unsigned char)*p))
			return config_why(why, wsize, "\"%s\": the port must be "
						"1 to 65535",
					   value);
	}
	for (q = p; *q; q++)
		if (!isgraph((unsigned char)*q) || *q == '?' || *q == '#')
			break;
	if ((*p != '\0' && *p != '/') || *q != '\0')
		return config_why(why, wsize, "\"%s\" is not a URL of the form "
					"%shost[:port][/path]",
				   value, scheme[0]);
	len = strlen(value);
	while (len > (size_t)(p - value) && value[len - 1] == '/')
		len--;
	if (len >= size)
		return config_why(why, wsize, "longer than %zu characters",
				  size - 1);
	memcpy(field, value, len);
	field[len] = '\0';
	return 0;
}


/* ---- values ------------------------------------------------------------- */

static int
check_symbols(void *arg, const char *value, char *why, size_t size)
{
	struct bot_config *cfg = arg;
	char items[BOT_MAX_SYMBOLS][BOT_SYMBOL_MAX];
	int i, k, n, rc;
	char *c;

	memset(items, 0, sizeof(items));
	rc = config_list(value, items, BOT_MAX_SYMBOLS, &n);
	if (rc == -ERANGE)
		return config_why(why, size, "at most %d symbols of at most %d "
					     "characters",
				  BOT_MAX_SYMBOLS, BOT_SYMBOL_MAX - 1);
	if (rc < 0)
		return config_why(why, size, "expected a comma-separated list "
					     "of symbols without empty items, "
					     "got \"%s\"",
				  value);
	/* Every symbol checked before any is upper-cased: echoed as written. */
	for (i = 0; i < n; i++)
		for (c = items[i]; *c; c++)
			if (!isalnum((unsigned char)*c))
				return config_why(why, size,
						  "\"%s\" is not a symbol",
						  items[i]);
	for (i = 0; i < n; i++)
		for (k = 0; k < i; k++)
			if (strcasecmp(items[i], items[k]) == 0)
				return config_why(why, size,
						  "\"%s\" is listed twice",
						  items[i]);
	for (i = 0; i < n; i++) {
		for (c = items[i]; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		memcpy(cfg->bot.symbols[i], items[i], BOT_SYMBOL_MAX);
	}
	memset(cfg->bot.symbols[n], 0,
	       (size_t)(BOT_MAX_SYMBOLS - n) * BOT_SYMBOL_MAX);
	cfg->bot.nsymbols = n;
	return 0;
}

static int
check_channels(void *arg, const char *value, char *why, size_t size)
{
	struct bot_config *cfg = arg;
	char items[8][BOT_SYMBOL_MAX];
	bool trade = false, book = false;
	int i, n;

	if (config_list(value, items, 8, &n) < 0)
		return config_why(why, size, "expected a list of trade, "
					     "bookTicker; got \"%s\"",
				  value);
	for (i = 0; i < n; i++) {
		if (strcmp(items[i], "trade") == 0)
			trade = true;
		else if (strcmp(items[i], "bookTicker") == 0)
			book = true;
		else
			return config_why(why, size,
					  "unknown channel \"%s\" (expected "
					  "trade or bookTicker)",
					  items[i]);
	}
	cfg->streams.trade = trade;
	cfg->streams.book_ticker = book;
	return 0;
}

static int
check_prefix(void *arg, const char *value, char *why, size_t size)
{
	(void)arg;
	/* No '-': it ends the prefix in <prefix>-<instance>-<seq>, so
	 * "gsb" would take "gsb-foo"'s orders for another instance's. */
	if (value[strspn(value, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] !=
	    '\0')
		return config_why(why, size,
				  "\"%s\": only letters, digits and '_' ('-' "
				  "separates the prefix from the instance id)",
				  value);
	if (value[0] == '\0')
		return config_why(why, size, "must not be empty");
	if (strlen(value) > BOT_PREFIX_LEN_MAX)
		return config_why(why, size,
				  "\"%s\" is longer than %d characters: client "
				  "order ids are <prefix>-<instance>-<seq>, "
				  "and Binance takes %d at most",
				  value, BOT_PREFIX_LEN_MAX, BOT_CID_LIMIT);
	return 0;
}

static int
check_rest_url(void *arg, const char *value, char *why, size_t size)
{
	struct bot_config *cfg = arg;

	return config_url(false, cfg->exchange.rest_url,
			  sizeof(cfg->exchange.rest_url), value, why, size);
}

static int
check_ws_url(void *arg, const char *value, char *why, size_t size)
{
	struct bot_config *cfg = arg;

	return config_url(true, cfg->exchange.ws_url,
			  sizeof(cfg->exchange.ws_url), value, why, size);
}

static int
check_ws_api_url(void *arg, const char *value, char *why, size_t size)
{
	struct bot_config *cfg = arg;

	return config_url(true, cfg->exchange.ws_api_url,
			  sizeof(cfg->exchange.ws_api_url), value, why, size);
}

/* ---- rules across keys ------------------------------------------------------ */

/* The venue fills the URLs the file leaves unset or empty. */
static void
config_venue(struct bot_config *cfg)
{
	const char *rest = gs_config_value(cfg->gs, "exchange", "rest_url");
	const char *ws = gs_config_value(cfg->gs, "exchange", "ws_url");

	if (rest == NULL || rest[0] == '\0')
		snprintf(cfg->exchange.rest_url, sizeof(cfg->exchange.rest_url),
			 "%s", bot_venue_rest_url(cfg->exchange.venue));
	const char *api = gs_config_value(cfg->gs, "exchange", "ws_api_url");
	bool own_ws = ws != NULL && ws[0] != '\0';

	if (!own_ws)
		snprintf(cfg->exchange.ws_url, sizeof(cfg->exchange.ws_url),
			 "%s", bot_venue_ws_url(cfg->exchange.venue));
	if (api != NULL && api[0] != '\0')
		return;
	/*
	 * An explicit ws_url names the exchange's own host (a simulator, a
	 * gateway): its WebSocket API is taken to be there too, at
	 * /ws-api/v3, rather than at the venue's public address.
	 */
	if (own_ws) {
		char base[BOT_URL_MAX];
		const char *h = strstr(cfg->exchange.ws_url, "://");
		size_t end = h ? (size_t)(h + 3 - cfg->exchange.ws_url) +
				     strcspn(h + 3, "/?#")
			       : strlen(cfg->exchange.ws_url);
		int n = snprintf(base, sizeof(base), "%.*s", (int)end,
				 cfg->exchange.ws_url);

		if (n > 0 && (size_t)n < sizeof(base) &&
		    (size_t)snprintf(cfg->exchange.ws_api_url,
				     sizeof(cfg->exchange.ws_api_url),
				     "%s/ws-api/v3",
				     base) < sizeof(cfg->exchange.ws_api_url))
			return;
	}
	snprintf(cfg->exchange.ws_api_url, sizeof(cfg->exchange.ws_api_url),
		 "%s", bot_venue_ws_api_url(cfg->exchange.venue));
}

/* An HMAC secret, or a private key file: never both, never neither. */
static int
config_check_keys(const struct bot_config *c, char *cause)
{
	if (c->exchange.key_type == BOT_KEY_HMAC) {
		if (c->exchange.private_key_file[0] == '\0')
			return 0;
		return bot_config_error(c, "exchange", "private_key_file",
					cause,
					"private_key_file: only for key_type "
					"ed25519 or rsa (key_type is hmac)");
	}
	if (c->exchange.api_secret_file[0] != '\0')
		return bot_config_error(c, "exchange", "api_secret_file", cause,
					"api_secret_file: only for key_type "
					"hmac; key_type %s signs with "
					"private_key_file",
					bot_key_type_name(c->exchange.key_type));
	if (c->exchange.private_key_file[0] == '\0')
		return bot_config_error(c, "exchange", "key_type", cause,
					"key_type %s needs private_key_file "
					"(a PKCS#8 PEM file of mode 0600)",
					bot_key_type_name(c->exchange.key_type));
	return 0;
}

/*
 * The API key and every order travel in these URLs: cleartext is allowed
 * to this machine only, unless the file says otherwise in so many words.
 */
static int
config_check_transport(const struct bot_config *c, char *cause)
{
	const struct {
		const char *name;
		const char *plain;
		const char *url;
	} urls[] = {
		{"rest_url", "http://", c->exchange.rest_url},
		{"ws_url", "ws://", c->exchange.ws_url},
		{"ws_api_url", "ws://", c->exchange.ws_api_url},
	};
	size_t i;

	if (c->exchange.allow_insecure_transport)
		return 0;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *url = urls[i].url;

		if (strncasecmp(url, urls[i].plain, strlen(urls[i].plain)) != 0 ||
		    bot_url_is_loopback(url))
			continue;
		return bot_config_error(
		    c, "exchange", urls[i].name, cause,
		    "%s: %s sends the API key and orders in cleartext to a "
		    "host that is not this machine; use %s or set "
		    "allow_insecure_transport = true",
		    urls[i].name, url, i == 0 ? "https://" : "wss://");
	}
	return 0;
}

/*
 * systemd's credentials (LoadCredential=): with $CREDENTIALS_DIRECTORY
 * set, an empty api_secret_file (key_type hmac) or private_key_file
 * (ed25519, rsa) is the credential "api_secret" or "private_key" there,
 * when it exists.  The secret then never passes through the environment.
 */
static void
config_credentials(struct bot_config *cfg)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	bool hmac = cfg->exchange.key_type == BOT_KEY_HMAC;
	char *field = hmac ? cfg->exchange.api_secret_file
			   : cfg->exchange.private_key_file;
	size_t size = hmac ? sizeof(cfg->exchange.api_secret_file)
			   : sizeof(cfg->exchange.private_key_file);
	char path[GS_PATH_MAX];
	struct stat st;
	int n;

	if (dir == NULL || dir[0] != '/' || field[0] != '\0')
		return;
	n = snprintf(path, sizeof(path), "%s/%s", dir,
		     hmac ? "api_secret" : "private_key");
	if (n < 0 || (size_t)n >= size || lstat(path, &st) < 0)
		return;
	memcpy(field, path, (size_t)n + 1);
}

bool
bot_secret_file_private(const char *path, const struct stat *st)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir != NULL ? strlen(dir) : 0;

	if ((st->st_mode & 077) == 0 && st->st_uid == geteuid())
		return true;
	/* The service manager's copy: root's or ours, readable by us
	 * through its mode or an ACL, written by nobody else. */
	return n > 0 && dir[0] == '/' && strncmp(path, dir, n) == 0 &&
	       path[n] == '/' && strchr(path + n + 1, '/') == NULL &&
	       (st->st_uid == geteuid() || st->st_uid == 0) &&
	       (st->st_mode & 027) == 0;
}

static int
config_check(void *arg, struct gs_config *gs, char *cause)
{
	struct bot_config *cfg = arg;
	int rc;

	(void)gs;
	if (!cfg->streams.trade && !cfg->streams.book_ticker)
		return bot_config_error(cfg, "streams", "channels", cause,
					"channels: at least one channel");
	config_venue(cfg);
	config_credentials(cfg);
	rc = config_check_keys(cfg, cause);
	if (rc == 0)
		rc = config_check_transport(cfg, cause);
	return rc;
}

/* ---- registration ----------------------------------------------------------- */

#define B_INT(n, m, lo, hi, d, h)                                              \
	{.name = n, .type = GS_OPTION_INT, .dest = &cfg->m, .min = lo,        \
	 .max = hi, .def = d, .help = h}
#define B_BOOL(n, m, d, h)                                                     \
	{.name = n, .type = GS_OPTION_BOOL, .dest = &cfg->m, .def = d,        \
	 .help = h}
#define B_ENUM(n, m, c, d, h)                                                  \
	{.name = n, .type = GS_OPTION_ENUM, .dest = &cfg->m, .choices = c,    \
	 .def = d, .help = h}
#define B_STR(n, t, m, d, h)                                                   \
	{.name = n, .type = t, .dest = cfg->m, .size = sizeof(cfg->m),        \
	 .def = d, .help = h}
#define B_CHECK(n, fn, d, h)                                                   \
	{.name = n, .type = GS_OPTION_PATH, .def = d, .help = h,              \
	 .check = fn, .check_arg = cfg}

int
bot_config_init(struct bot_config *cfg, bool require, char *cause)
{
	const struct gs_option bot[] = {
		{.name = "symbols", .type = GS_OPTION_STRING,
		 .def = "HBARUSDT", .required = require,
		 .help = "comma-separated", .check = check_symbols,
		 .check_arg = cfg},
		B_INT("orders_per_symbol", bot.orders_per_symbol, 1, 200, "4",
		      "resting orders the demo grid keeps per symbol"),
		B_STR("order_quantity", GS_OPTION_DECIMAL, bot.order_quantity,
		      "100", "the quantity of each order"),
		B_INT("grid_spacing_bps", bot.grid_spacing_bps, 1, 5000, "200",
		      "distance of resting orders from the mid price"),
		{.name = "client_order_prefix", .type = GS_OPTION_STRING,
		 .dest = cfg->bot.client_order_prefix,
		 .size = sizeof(cfg->bot.client_order_prefix), .def = "gsb",
		 .required = require,
		 .help = "the bot's own orders carry this clientOrderId prefix",
		 .check = check_prefix},
		B_BOOL("dry_run", bot.dry_run, "true",
		       "place and cancel nothing"),
		B_STR("state_dir", GS_OPTION_STRING, bot.state_dir,
		      "/var/lib/tradebotd",
		      "the order snapshot and the instance id"),
	};
	const struct gs_option exchange[] = {
		B_ENUM("venue", exchange.venue, venues, "binance-testnet",
		       "binance, binance-us, binance-testnet: fills both URLs"),
		B_CHECK("rest_url", check_rest_url, "",
			"explicit URLs override the venue; empty: the venue's"),
		B_CHECK("ws_url", check_ws_url, "", "empty: the venue's"),
		B_ENUM("key_type", exchange.key_type, key_types, "hmac",
		       "hmac, or ed25519, rsa (then private_key_file)"),
		B_STR("api_key_env", GS_OPTION_STRING, exchange.api_key_env,
		      "BINANCE_API_KEY", "the variable holding the API key"),
		B_STR("api_secret_env", GS_OPTION_PATH,
		      exchange.api_secret_env, "BINANCE_API_SECRET",
		      "the variable holding the secret (or api_secret_file)"),
		B_STR("api_secret_file", GS_OPTION_PATH,
		      exchange.api_secret_file, "",
		      "a file of mode 0600 holding the secret"),
		B_STR("private_key_file", GS_OPTION_PATH,
		      exchange.private_key_file, "",
		      "a PKCS#8 PEM of mode 0600 (ed25519, rsa)"),
		B_INT("recv_window_ms", exchange.recv_window_ms, 1, 60000,
		      "5000", "how long a signed request stays valid"),
		B_INT("request_timeout_ms", exchange.request_timeout_ms, 50,
		      120000, "3000", "one REST request"),
		B_BOOL("tls_verify", exchange.tls_verify, "true",
		       "check the exchange's certificate"),
		B_STR("ca_file", GS_OPTION_PATH, exchange.ca_file, "",
		      "PEM bundle for REST and streams; empty: the system's"),
		B_BOOL("allow_insecure_transport",
		       exchange.allow_insecure_transport, "false",
		       "allow http:// and ws:// to hosts other than this one"),
		B_INT("weight_budget_pct", exchange.weight_budget_pct, 1, 100,
		      "50",
		      "while RUNNING never use more of REQUEST_WEIGHT than "
		      "this"),
		B_ENUM("user_stream", exchange.user_stream, user_streams,
		       "auto",
		       "the account's events (WebSocket API, or Binance.US's "
		       "listenKey); off: list instead"),
		B_INT("user_stream_ping_ms", exchange.user_stream_ping_ms, 200,
		      600000, "20000",
		      "ping a quiet user stream this often; nothing back "
		      "within half of it: reconnect"),
		B_INT("listen_key_keepalive_ms",
		      exchange.listen_key_keepalive_ms, 1000, 3000000,
		      "1800000",
		      "binance-us: PUT the listenKey this often (it lapses "
		      "60 min after the last)"),
		B_CHECK("ws_api_url", check_ws_api_url, "",
			"the WebSocket API (wss://.../ws-api/v3); empty: at "
			"ws_url's host when ws_url is set, else the venue's"),
	};
	const struct gs_option streams[] = {
		{.name = "channels", .type = GS_OPTION_STRING,
		 .def = "trade, bookTicker", .help = "trade, bookTicker",
		 .check = check_channels, .check_arg = cfg},
	};
	/*
	 * How the bot cancels is the bot's, though users set it in
	 * [shutdown]: the library bounds the phase, the bot fills it.
	 */
	const struct gs_option shutdown[] = {
		B_INT("cancel_retries", shutdown.cancel_retries, 0, 100, "5",
		      "cancel and verify rounds after the first"),
		B_INT("retry_backoff_ms", shutdown.retry_backoff_ms, 1, 60000,
		      "200", "the first retry's backoff (with jitter)"),
		B_ENUM("cancel_mode", shutdown.cancel_mode, cancel_modes,
		       "auto",
		       "or per_order_sequential (the naive baseline)"),
	};
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->gs = gs_config_new();
	if (cfg->gs == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return -ENOMEM;
	}
	cfg->path = gs_config_path(cfg->gs);
	rc = gs_config_add_section(cfg->gs, "bot", bot,
				   sizeof(bot) / sizeof(bot[0]), cause);
	if (rc == 0)
		rc = gs_config_add_section(cfg->gs, "exchange", exchange,
					   sizeof(exchange) /
					       sizeof(exchange[0]),
					   cause);
	if (rc == 0)
		rc = gs_config_add_section(cfg->gs, "streams", streams, 1,
					   cause);
	if (rc == 0)
		rc = gs_config_add_section(cfg->gs, "shutdown", shutdown,
					   sizeof(shutdown) /
					       sizeof(shutdown[0]),
					   cause);
	if (rc == 0)
		rc = gs_config_add_check(cfg->gs, config_check, cfg);
	if (rc < 0) {
		bot_config_free(cfg);
		return rc;
	}
	config_venue(cfg);
	bot_config_sync(cfg);
	return 0;
}

/* The library's keys the bot reads, as they are now. */
void
bot_config_sync(struct bot_config *cfg)
{
	cfg->shutdown.cancel_timeout_ms =
	    atoi(gs_config_value(cfg->gs, "shutdown", "cancel_timeout_ms"));
	cfg->shutdown.close_timeout_ms =
	    atoi(gs_config_value(cfg->gs, "shutdown", "close_timeout_ms"));
}

void
bot_config_free(struct bot_config *cfg)
{
	gs_config_free(cfg->gs);
	cfg->gs = NULL;
	cfg->path = "";
}

int
bot_config_load(struct bot_config *cfg, const char *path, char *cause)
{
	int rc = gs_config_load(cfg->gs, path, cause);

	bot_config_sync(cfg);
	return rc;
}

/* ---- Checks against the machine ---------------------------------------- */

/*
 * An existing state_dir holds the order snapshot a forced exit and the
 * next start rely on: nobody but this user may plant or swap files in
 * it.  (One the daemon creates is made 0700.)
 */
static int
validate_state_dir_owner(const struct bot_config *cfg, char *cause)
{
	const char *path = cfg->bot.state_dir;
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* gs_check_dir() said what is wrong */
	if (st.st_uid == geteuid() && (st.st_mode & 022) == 0)
		return 0;
	return bot_config_error(cfg, "bot", "state_dir", cause,
			     "state_dir %s must be owned by this user (uid %d) "
			     "and not group- or world-writable (it is uid %d, "
			     "mode %04o)",
			     path, (int)geteuid(), (int)st.st_uid,
			     (unsigned)(st.st_mode & 07777));
}

/*
 * ca_file, when set: a file this user can read that holds at least one
 * PEM certificate (a key or anything else would only fail at the first
 * TLS handshake, as if the exchange were unreachable).
 */
static int
validate_ca_file(const struct bot_config *cfg, char *cause)
{
	const char *p = cfg->exchange.ca_file;
	struct stat st;
	X509 *cert;
	FILE *fp;
	int fd;

	if (p[0] == '\0')
		return 0;
	if (stat(p, &st) < 0 || faccessat(AT_FDCWD, p, R_OK, AT_EACCESS) < 0)
		return bot_config_error(cfg, "exchange", "ca_file", cause,
				     "ca_file %s: %s", p, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return bot_config_error(cfg, "exchange", "ca_file", cause,
				     "ca_file %s is not a non-empty PEM file",
				     p);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	fp = fd < 0 ? NULL : fdopen(fd, "r");
	if (fp == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return bot_config_error(cfg, "exchange", "ca_file", cause,
				     "ca_file %s: %s", p, strerror(e));
	}
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (cert == NULL)
		return bot_config_error(cfg, "exchange", "ca_file", cause,
				     "ca_file %s holds no PEM certificate", p);
	X509_free(cert);
	return 0;
}

static bool
validate_env_set(const char *name)
{
	const char *v = name[0] != '\0' ? getenv(name) : NULL;

	return v != NULL && v[0] != '\0';
}

/* Live trading needs a key and a secret; name exactly what is missing. */
static int
validate_credentials(const struct bot_config *cfg, char *cause)
{
	const char *key_env = cfg->exchange.api_key_env;
	const char *secret_env = cfg->exchange.api_secret_env;
	bool file = cfg->exchange.api_secret_file[0] != '\0';
	bool key = validate_env_set(key_env);
	bool secret = file || validate_env_set(secret_env) ||
		      cfg->exchange.key_type != BOT_KEY_HMAC;

	if (cfg->bot.dry_run || (key && secret))
		return 0;
	if (!key && !secret && secret_env[0] != '\0')
		return bot_config_error(cfg, "bot", "dry_run", cause,
				     "live trading needs credentials: set $%s "
				     "and $%s (or api_secret_file), or run "
				     "with --dry-run",
				     key_env, secret_env);
	if (!key)
		return bot_config_error(cfg, "bot", "dry_run", cause,
				     "live trading needs the API key: set $%s, "
				     "or run with --dry-run",
				     key_env);
	if (secret_env[0] == '\0')
		return bot_config_error(cfg, "bot", "dry_run", cause,
				     "live trading needs the API secret: set "
				     "api_secret_file (api_secret_env is "
				     "empty), or run with --dry-run");
	return bot_config_error(cfg, "bot", "dry_run", cause,
			     "live trading needs the API secret: set $%s (or "
			     "api_secret_file), or run with --dry-run",
			     secret_env);
}


/* api_secret_file: this user's, mode 0600, readable, not empty; read
 * without following a symlink, so a symlink is refused here as well. */
static int
validate_secret_file(const struct bot_config *cfg, char *cause)
{
	const char *p = cfg->exchange.api_secret_file;
	struct stat st;

	if (lstat(p, &st) < 0)
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause, "api_secret_file %s: %s", p,
					strerror(errno));
	if (S_ISLNK(st.st_mode))
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause,
					"api_secret_file %s is a symbolic link "
					"(not followed)",
					p);
	if (!S_ISREG(st.st_mode))
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause,
					"api_secret_file %s is not a regular "
					"file",
					p);
	if (!bot_secret_file_private(p, &st))
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause,
					"api_secret_file %s must be owned by "
					"this user and of mode 0600 (it is "
					"%04o, uid %d)",
					p, (unsigned)(st.st_mode & 07777),
					(int)st.st_uid);
	if (faccessat(AT_FDCWD, p, R_OK, AT_EACCESS) < 0)
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause, "api_secret_file %s: %s", p,
					strerror(errno));
	if (st.st_size == 0)
		return bot_config_error(cfg, "exchange", "api_secret_file",
					cause, "api_secret_file %s is empty", p);
	return 0;
}

int
bot_config_validate(const struct bot_config *cfg, char *cause)
{
	char why[2 * GS_PATH_MAX];
	int rc;

	if (gs_check_dir(cfg->bot.state_dir, why, sizeof(why)) < 0)
		return bot_config_error(cfg, "bot", "state_dir", cause,
					"state_dir: %s", why);
	rc = validate_state_dir_owner(cfg, cause);
	if (rc < 0)
		return rc;
	rc = validate_ca_file(cfg, cause);
	if (rc < 0)
		return rc;
	rc = gs_config_validate(cfg->gs, cause);
	if (rc < 0)
		return rc;
	if (cfg->exchange.api_secret_file[0] != '\0') {
		rc = validate_secret_file(cfg, cause);
		if (rc < 0)
			return rc;
	}
	return validate_credentials(cfg, cause);
}
