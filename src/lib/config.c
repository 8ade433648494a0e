/*
 * config.c - the INI configuration, read with inih into struct gs_config.
 *
 * Strict by design: an unknown section or key, a value that does not parse
 * or is out of range, and a missing required key are each an error whose
 * message names file:line.  The keys are one table; adding a key is one
 * line there and one member in gshutdown.h (and its line in
 * conf/tradebotd.ini and tradebotd.ini(5): make check compares them).
 *
 * The line named is the offending key's; for a key left at its default
 * (a missing required key, a cross-key rule) it is the line of the
 * section's header, or 0 when the section is absent: "file:0" stands for
 * the file as a whole, as it does for a file that cannot be opened.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ini.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gshutdown.h"

enum key_type {
	KEY_INT,
	KEY_BOOL,
	KEY_STRING,
	KEY_PATH, /* a string that may be empty */
	KEY_DECIMAL,
	KEY_SYMBOLS,
	KEY_CHANNELS,
	KEY_ENUM,
	KEY_URL_HTTP,	/* http(s)://host[:port][/path] */
	KEY_URL_WS,	/* ws(s)://host[:port][/path] */
	KEY_PREFIX,	/* letters, digits, '-' and '_' */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;	/* strings: buffer size */
	long long min, max; /* ints */
	const char *const *choices; /* enums, NULL-terminated */
	bool required;	/* with GS_CONFIG_REQUIRE_BOT */
};

static const char *const log_levels[] = {"error", "warn", "info", "debug",
					 NULL};
static const char *const cancel_modes[] = {"auto", "per_order_sequential",
					   NULL};
static const char *const sighup_modes[] = {"shutdown", "reload", NULL};
static const char *const second_modes[] = {"force", "ignore", NULL};
/* In the order of enum gs_venue and enum gs_key_type. */
static const char *const venues[] = {"binance", "binance-us",
				     "binance-testnet", NULL};
static const char *const key_types[] = {"hmac", "ed25519", "rsa", NULL};

static const struct {
	const char *rest_url;
	const char *ws_url;
} venue_urls[] = {
	[GS_VENUE_BINANCE] = {"https://api.binance.com",
			      "wss://stream.binance.com:9443"},
	[GS_VENUE_BINANCE_US] = {"https://api.binance.us",
				 "wss://stream.binance.us:9443"},
	[GS_VENUE_BINANCE_TESTNET] = {"https://testnet.binance.vision",
				      "wss://stream.testnet.binance.vision"},
};

/* The facilities log.c maps; a string key whose value must be one of. */
static const char *const facilities[] = {
	"daemon", "user",   "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL};

#define OFF(m) offsetof(struct gs_config, m)
#define SZ(m) sizeof(((struct gs_config *)0)->m)
#define INT(s, n, m, lo, hi) {s, n, KEY_INT, OFF(m), SZ(m), lo, hi, NULL, false}
#define BOOL(s, n, m) {s, n, KEY_BOOL, OFF(m), SZ(m), 0, 0, NULL, false}
#define STR(s, n, m, t, req) {s, n, t, OFF(m), SZ(m), 0, 0, NULL, req}
#define ENUM(s, n, m, c) {s, n, KEY_ENUM, OFF(m), SZ(m), 0, 0, c, false}
#define CHOICE(s, n, m, c) {s, n, KEY_STRING, OFF(m), SZ(m), 0, 0, c, false}

static const struct key keys[] = {
	STR("bot", "symbols", bot.symbols, KEY_SYMBOLS, true),
	INT("bot", "orders_per_symbol", bot.orders_per_symbol, 1, 200),
	STR("bot", "order_quantity", bot.order_quantity, KEY_DECIMAL, false),
	INT("bot", "grid_spacing_bps", bot.grid_spacing_bps, 1, 5000),
	STR("bot", "client_order_prefix", bot.client_order_prefix, KEY_PREFIX,
	    true),
	BOOL("bot", "dry_run", bot.dry_run),
	STR("bot", "state_dir", bot.state_dir, KEY_STRING, false),

	ENUM("exchange", "venue", exchange.venue, venues),
	/* Empty: the venue's. */
	STR("exchange", "rest_url", exchange.rest_url, KEY_URL_HTTP, false),
	STR("exchange", "ws_url", exchange.ws_url, KEY_URL_WS, false),
	ENUM("exchange", "key_type", exchange.key_type, key_types),
	STR("exchange", "api_key_env", exchange.api_key_env, KEY_STRING,
	    false),
	STR("exchange", "api_secret_env", exchange.api_secret_env, KEY_PATH,
	    false),
	STR("exchange", "api_secret_file", exchange.api_secret_file, KEY_PATH,
	    false),
	STR("exchange", "private_key_file", exchange.private_key_file,
	    KEY_PATH, false),
	INT("exchange", "recv_window_ms", exchange.recv_window_ms, 1, 60000),
	INT("exchange", "request_timeout_ms", exchange.request_timeout_ms, 50,
	    120000),
	BOOL("exchange", "tls_verify", exchange.tls_verify),
	STR("exchange", "ca_file", exchange.ca_file, KEY_PATH, false),
	BOOL("exchange", "allow_insecure_transport",
	     exchange.allow_insecure_transport),
	INT("exchange", "weight_budget_pct", exchange.weight_budget_pct, 1,
	    100),

	STR("streams", "channels", streams, KEY_CHANNELS, false),

	INT("shutdown", "cancel_timeout_ms", shutdown.cancel_timeout_ms, 1,
	    600000),
	INT("shutdown", "close_timeout_ms", shutdown.close_timeout_ms, 1,
	    600000),
	INT("shutdown", "join_timeout_ms", shutdown.join_timeout_ms, 1,
	    600000),
	INT("shutdown", "total_timeout_ms", shutdown.total_timeout_ms, 1,
	    3600000),
	INT("shutdown", "cancel_retries", shutdown.cancel_retries, 0, 100),
	INT("shutdown", "retry_backoff_ms", shutdown.retry_backoff_ms, 1,
	    60000),
	ENUM("shutdown", "cancel_mode", shutdown.cancel_mode, cancel_modes),
	ENUM("shutdown", "on_sighup", shutdown.on_sighup, sighup_modes),
	ENUM("shutdown", "on_second_signal", shutdown.on_second_signal,
	     second_modes),
	INT("shutdown", "duplicate_signal_ms", shutdown.duplicate_signal_ms, 0,
	    60000),

	STR("trace", "path", trace.path, KEY_STRING, false),
	BOOL("trace", "fsync", trace.fsync),
	STR("trace", "seal_key_file", trace.seal_key_file, KEY_PATH, false),

	ENUM("log", "level", log.level, log_levels),
	STR("log", "file", log.file, KEY_PATH, false),
	BOOL("log", "syslog", log.syslog),
	CHOICE("log", "syslog_facility", log.syslog_facility, facilities),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= GS_CONFIG_KEYS_MAX, "raise GS_CONFIG_KEYS_MAX");

void
gs_config_defaults(struct gs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->bot.symbols[0], GS_SYMBOL_MAX, "HBARUSDT");
	cfg->bot.nsymbols = 1;
	cfg->bot.orders_per_symbol = 4;
	snprintf(cfg->bot.order_quantity, GS_DECIMAL_MAX, "100");
	cfg->bot.grid_spacing_bps = 200;
	snprintf(cfg->bot.client_order_prefix, GS_PREFIX_MAX, "gsb");
	cfg->bot.dry_run = true;
	snprintf(cfg->bot.state_dir, GS_PATH_MAX, "/var/lib/tradebotd");
	cfg->exchange.venue = GS_VENUE_BINANCE_TESTNET;
	snprintf(cfg->exchange.rest_url, GS_URL_MAX, "%s",
		 venue_urls[GS_VENUE_BINANCE_TESTNET].rest_url);
	snprintf(cfg->exchange.ws_url, GS_URL_MAX, "%s",
		 venue_urls[GS_VENUE_BINANCE_TESTNET].ws_url);
	cfg->exchange.key_type = GS_KEY_HMAC;
	snprintf(cfg->exchange.api_key_env, GS_NAME_MAX, "BINANCE_API_KEY");
	snprintf(cfg->exchange.api_secret_env, GS_NAME_MAX,
		 "BINANCE_API_SECRET");
	cfg->exchange.recv_window_ms = 5000;
	cfg->exchange.request_timeout_ms = 3000;
	cfg->exchange.tls_verify = true;
	cfg->exchange.weight_budget_pct = 50;
	cfg->streams.trade = true;
	cfg->streams.book_ticker = true;
	cfg->shutdown.cancel_timeout_ms = 10000;
	cfg->shutdown.close_timeout_ms = 3000;
	cfg->shutdown.join_timeout_ms = 5000;
	cfg->shutdown.total_timeout_ms = 25000;
	cfg->shutdown.cancel_retries = 5;
	cfg->shutdown.retry_backoff_ms = 200;
	cfg->shutdown.cancel_mode = GS_CANCEL_AUTO;
	cfg->shutdown.on_sighup = GS_SIGHUP_RELOAD;
	cfg->shutdown.on_second_signal = GS_SECOND_FORCE;
	cfg->shutdown.duplicate_signal_ms = 1000;
	snprintf(cfg->trace.path, GS_PATH_MAX,
		 "/var/log/tradebotd/fsm-trace.jsonl");
	cfg->trace.fsync = true;
	cfg->log.level = GS_LOG_INFO;
	snprintf(cfg->log.syslog_facility, sizeof(cfg->log.syslog_facility),
		 "daemon");
}

const char *
gs_venue_name(enum gs_venue venue)
{
	return (unsigned)venue < 3 ? venues[venue] : "?";
}

const char *
gs_venue_rest_url(enum gs_venue venue)
{
	return (unsigned)venue < 3 ? venue_urls[venue].rest_url : "";
}

const char *
gs_venue_ws_url(enum gs_venue venue)
{
	return (unsigned)venue < 3 ? venue_urls[venue].ws_url : "";
}

const char *
gs_key_type_name(enum gs_key_type type)
{
	return (unsigned)type < 3 ? key_types[type] : "?";
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
gs_url_is_loopback(const char *url)
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

int
gs_parse_int(const char *value, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (value == NULL || *value == '\0' || isspace((unsigned char)*value))
		return -EINVAL;
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
gs_parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool
gs_is_decimal(const char *value)
{
	bool digits = false, dot = false;

	for (; *value; value++) {
		if (isdigit((unsigned char)*value))
			digits = true;
		else if (*value == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits;
}

struct load_ctx {
	struct gs_config *cfg;
	const char *path;
	int line;	/* the line being handled (gs_ini_parse) */
	bool failed;
	char *cause;
	const char *only_section; /* reload: apply this section only */
	int flags;
	bool seen[NKEYS];
};

static const char *const sections[] = {"bot",	   "exchange", "streams",
				       "shutdown", "trace",    "log"};
_Static_assert(sizeof(sections) / sizeof(sections[0]) <=
		   GS_CONFIG_SECTIONS_MAX,
	       "raise GS_CONFIG_SECTIONS_MAX");

static int
section_index(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i], section) == 0)
			return (int)i;
	return -1;
}

static int
key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
gs_config_line(const struct gs_config *cfg, const char *section,
	       const char *name)
{
	int i = key_index(section, name), si = section_index(section);

	if (i >= 0 && cfg->key_line[i] != 0)
		return cfg->key_line[i];
	return si >= 0 ? cfg->section_line[si] : 0;
}

/* Called with each "[name]" line: inih tells sections only with keys. */
typedef void (*ini_header_fn)(void *user, const char *name, int line);

struct ini_reader {
	FILE *fp;
	int *line;
	ini_header_fn header;
	void *user;
};

static void
ini_header(struct ini_reader *r, const char *s)
{
	char name[64];
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return;
	len = strcspn(++s, "]");
	if (s[len] != ']' || len >= sizeof(name))
		return;
	memcpy(name, s, len);
	name[len] = '\0';
	r->header(r->user, name, *r->line);
}

static char *
ini_read_line(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	char *s = fgets(str, num, r->fp);

	if (s == NULL)
		return NULL;
	(*r->line)++;
	if (r->header != NULL)
		ini_header(r, s);
	return s;
}

static int
config_ini_parse(const char *path, gs_ini_handler handler, void *user,
	       int *line, char *cause, ini_header_fn header)
{
	struct ini_reader r = {.line = line, .header = header, .user = user};
	struct stat st;
	int rc;

	*line = 0;
	r.fp = fopen(path, "r");
	if (r.fp == NULL) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX, "%.300s:0: cannot open: %s", path,
			 strerror(errno));
		return rc;
	}
	if (fstat(fileno(r.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(r.fp);
		snprintf(cause, GS_CAUSE_MAX,
			 "%.300s:0: is a directory, not a configuration file",
			 path);
		return -EISDIR;
	}
	/*
	 * inih's default 200-character line cannot hold a list of 50
	 * symbols.  Debian's build lets it grow at run time; elsewhere a
	 * longer line is a syntax error naming its line.
	 */
#if HAVE_DECL_INI_MAX_LINE && HAVE_DECL_INI_USE_STACK
	ini_use_stack = false;
	ini_max_line = 16384;
	ini_initial_alloc = 16384;
#endif
	rc = ini_parse_stream(ini_read_line, &r, handler, user);
	if (ferror(r.fp)) {
		snprintf(cause, GS_CAUSE_MAX, "%.300s:%d: cannot read: %s",
			 path, *line + 1, strerror(errno));
		rc = -EIO;
	}
	fclose(r.fp);
	return rc;
}

int
gs_ini_parse(const char *path, gs_ini_handler handler, void *user, int *line,
	     char *cause)
{
	return config_ini_parse(path, handler, user, line, cause, NULL);
}

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (ctx->failed)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->failed = true;
	snprintf(ctx->cause, GS_CAUSE_MAX, "%.190s:%d: %s", ctx->path,
		 ctx->line, msg);
	return 0;
}

/*
 * Split a comma-separated list; each item trimmed.  An empty item ("A,,B",
 * a leading or a trailing comma) is refused: it is a typo, never meant.
 */
static int
config_list(const char *value, char items[][GS_SYMBOL_MAX], int max, int *n)
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
		if (len >= GS_SYMBOL_MAX || *n >= max)
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

static int
config_symbols(struct load_ctx *ctx, const char *value)
{
	struct gs_config *cfg = ctx->cfg;
	int i, k, n, rc;
	char *c;

	rc = config_list(value, cfg->bot.symbols, GS_MAX_SYMBOLS, &n);
	if (rc == -ERANGE)
		return config_fail(ctx, "symbols: at most %d symbols of at "
					"most %d characters",
				   GS_MAX_SYMBOLS, GS_SYMBOL_MAX - 1);
	if (rc < 0)
		return config_fail(ctx, "symbols: expected a comma-separated "
					"list of symbols without empty items, "
					"got \"%s\"",
				   value);
	/* Every symbol checked before any is upper-cased: echoed as written. */
	for (i = 0; i < n; i++)
		for (c = cfg->bot.symbols[i]; *c; c++)
			if (!isalnum((unsigned char)*c))
				return config_fail(
				    ctx, "symbols: \"%s\" is not a symbol",
				    cfg->bot.symbols[i]);
	/* Before upper-casing, so the message shows what was written. */
	for (i = 0; i < n; i++)
		for (k = 0; k < i; k++)
			if (strcasecmp(cfg->bot.symbols[i],
				       cfg->bot.symbols[k]) == 0)
				return config_fail(
				    ctx, "symbols: \"%s\" is listed twice",
				    cfg->bot.symbols[i]);
	for (i = 0; i < n; i++)
		for (c = cfg->bot.symbols[i]; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	cfg->bot.nsymbols = n;
	return 1;
}

static int
config_channels(struct load_ctx *ctx, const char *value)
{
	char items[8][GS_SYMBOL_MAX];
	int i, n;

	if (config_list(value, items, 8, &n) < 0)
		return config_fail(ctx, "channels: expected a list of trade, "
					"bookTicker; got \"%s\"",
				   value);
	ctx->cfg->streams.trade = false;
	ctx->cfg->streams.book_ticker = false;
	for (i = 0; i < n; i++) {
		if (strcmp(items[i], "trade") == 0)
			ctx->cfg->streams.trade = true;
		else if (strcmp(items[i], "bookTicker") == 0)
			ctx->cfg->streams.book_ticker = true;
		else
			return config_fail(ctx,
					   "channels: unknown channel \"%s\" "
					   "(expected trade or bookTicker)",
					   items[i]);
	}
	return 1;
}

/* The allowed values of an enum key, comma-separated. */
static const char *
config_choices(const struct key *k)
{
	static __thread char list[128];
	size_t off = 0;
	int i;

	list[0] = '\0';
	for (i = 0; k->choices[i] && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					i ? ", " : "", k->choices[i]);
	return list;
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
config_url(struct load_ctx *ctx, const struct key *k, const char *value)
{
	static const char *const http[] = {"http://", "https://"};
	static const char *const ws[] = {"ws://", "wss://"};
	const char *const *scheme = k->type == KEY_URL_WS ? ws : http;
	const char *p = NULL, *host, *q;
	char *field = (char *)ctx->cfg + k->offset;
	size_t len;
	long port;
	int i;

	if (value[0] == '\0') {
		field[0] = '\0'; /* the venue's (config_venue) */
		return 1;
	}
	for (i = 0; i < 2 && p == NULL; i++)
		if (strncmp(value, scheme[i], strlen(scheme[i])) == 0)
			p = value + strlen(scheme[i]);
	if (p == NULL)
		return config_fail(ctx, "%s: \"%s\" is not a URL starting "
					"with %s or %s",
				   k->name, value, scheme[0], scheme[1]);
	host = p;
	p = url_host_end(host);
	if (p == host)
		return config_fail(ctx, "%s: \"%s\" has no host (expected "
					"%shost[:port])",
				   k->name, value, scheme[0]);
	if (*p == ':') {
		q = ++p;
		port = 0;
		while (isdigit((unsigned char)*p) && port <= 65535)
			port = port * 10 + (*p++ - '0');
		if (p == q || port < 1 || port > 65535 ||
		    isdigit((unsigned char)*p))
			return config_fail(ctx, "%s: \"%s\": the port must be "
						"1 to 65535",
					   k->name, value);
	}
	for (q = p; *q; q++)
		if (!isgraph((unsigned char)*q) || *q == '?' || *q == '#')
			break;
	if ((*p != '\0' && *p != '/') || *q != '\0')
		return config_fail(ctx, "%s: \"%s\" is not a URL of the form "
					"%shost[:port][/path]",
				   k->name, value, scheme[0]);
	len = strlen(value);
	while (len > (size_t)(p - value) && value[len - 1] == '/')
		len--;
	if (len >= k->size)
		return config_fail(ctx, "%s: longer than %zu characters",
				   k->name, k->size - 1);
	memcpy(field, value, len);
	field[len] = '\0';
	return 1;
}

static bool
config_is_choice(const struct key *k, const char *value)
{
	int i;

	for (i = 0; k->choices[i]; i++)
		if (strcmp(value, k->choices[i]) == 0)
			return true;
	return false;
}

static int
config_value(struct load_ctx *ctx, const struct key *k, const char *value)
{
	char *field = (char *)ctx->cfg + k->offset;
	long long v;
	bool b;
	int i, rc;

	switch (k->type) {
	case KEY_INT:
		rc = gs_parse_int(value, k->min, k->max, &v);
		if (rc == -ERANGE)
			return config_fail(ctx, "%s: %s is out of range "
						"(%lld to %lld)",
					   k->name, value, k->min, k->max);
		if (rc < 0)
			return config_fail(ctx, "%s: \"%s\" is not a whole "
						"number",
					   k->name, value);
		*(int *)field = (int)v;
		return 1;
	case KEY_BOOL:
		if (gs_parse_bool(value, &b) < 0)
			return config_fail(ctx, "%s: \"%s\" is not a boolean "
						"(true or false)",
					   k->name, value);
		*(bool *)field = b;
		return 1;
	case KEY_STRING:
	case KEY_PATH:
	case KEY_PREFIX:
		if (k->type != KEY_PATH && value[0] == '\0')
			return config_fail(ctx, "%s: must not be empty",
					   k->name);
		if (k->choices != NULL && !config_is_choice(k, value))
			return config_fail(ctx, "%s: \"%s\" is not one of: %s",
					   k->name, value, config_choices(k));
		if (k->type == KEY_PREFIX &&
		    value[strspn(value, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789-_")] != '\0')
			return config_fail(ctx, "%s: \"%s\": only letters, "
						"digits, '-' and '_'",
					   k->name, value);
		if (strlen(value) >= k->size)
			return config_fail(ctx, "%s: longer than %zu "
						"characters",
					   k->name, k->size - 1);
		memcpy(field, value, strlen(value) + 1);
		return 1;
	case KEY_DECIMAL:
		if (!gs_is_decimal(value) || strlen(value) >= k->size ||
		    strtod(value, NULL) <= 0)
			return config_fail(ctx, "%s: \"%s\" is not a positive "
						"decimal number",
					   k->name, value);
		memcpy(field, value, strlen(value) + 1);
		return 1;
	case KEY_SYMBOLS:
		return config_symbols(ctx, value);
	case KEY_CHANNELS:
		return config_channels(ctx, value);
	case KEY_URL_HTTP:
	case KEY_URL_WS:
		return config_url(ctx, k, value);
	case KEY_ENUM:
		for (i = 0; k->choices[i]; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)field = i;
				return 1;
			}
		}
		return config_fail(ctx, "%s: \"%s\" is not one of: %s",
				   k->name, value, config_choices(k));
	}
	return 0;
}

static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct load_ctx *ctx = user;
	int si = section_index(section);
	size_t i;

	if (si < 0)
		return config_fail(ctx, "unknown section [%s]", section);
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (ctx->seen[i])
			return config_fail(ctx, "[%s] %s is set twice",
					   section, name);
		ctx->seen[i] = true;
		ctx->cfg->key_line[i] = ctx->line;
		if (ctx->only_section != NULL &&
		    strcmp(ctx->only_section, section) != 0)
			return 1;
		return config_value(ctx, &keys[i], value);
	}
	return config_fail(ctx, "unknown key \"%s\" in section [%s]", name,
			   section);
}

static bool
config_seen(const struct load_ctx *ctx, const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return ctx->seen[i];
	return false;
}

/* The venue fills the URLs the file leaves unset or empty. */
static void
config_venue(struct load_ctx *ctx)
{
	struct gs_config *cfg = ctx->cfg;

	if (!config_seen(ctx, "exchange", "rest_url") ||
	    cfg->exchange.rest_url[0] == '\0')
		snprintf(cfg->exchange.rest_url, sizeof(cfg->exchange.rest_url),
			 "%s", gs_venue_rest_url(cfg->exchange.venue));
	if (!config_seen(ctx, "exchange", "ws_url") ||
	    cfg->exchange.ws_url[0] == '\0')
		snprintf(cfg->exchange.ws_url, sizeof(cfg->exchange.ws_url),
			 "%s", gs_venue_ws_url(cfg->exchange.venue));
}

/* An HMAC secret, or a private key file: never both, never neither. */
static int
config_check_keys(struct load_ctx *ctx)
{
	const struct gs_config *c = ctx->cfg;

	if (c->exchange.key_type == GS_KEY_HMAC) {
		if (c->exchange.private_key_file[0] == '\0')
			return 0;
		ctx->line = gs_config_line(ctx->cfg, "exchange",
					   "private_key_file");
		return config_fail(ctx, "private_key_file: only for key_type "
					"ed25519 or rsa (key_type is hmac)");
	}
	if (c->exchange.api_secret_file[0] != '\0') {
		ctx->line = gs_config_line(ctx->cfg, "exchange",
					   "api_secret_file");
		return config_fail(ctx, "api_secret_file: only for key_type "
					"hmac; key_type %s signs with "
					"private_key_file",
				   gs_key_type_name(c->exchange.key_type));
	}
	if (c->exchange.private_key_file[0] == '\0') {
		ctx->line = gs_config_line(ctx->cfg, "exchange", "key_type");
		return config_fail(ctx, "key_type %s needs private_key_file "
					"(a PKCS#8 PEM file of mode 0600)",
				   gs_key_type_name(c->exchange.key_type));
	}
	return 0;
}

/*
 * The API key and every order travel in these URLs: cleartext is allowed
 * to this machine only, unless the file says otherwise in so many words.
 */
static int
config_check_transport(struct load_ctx *ctx)
{
	const struct gs_config *c = ctx->cfg;
	static const struct {
		const char *name;
		const char *plain;
		size_t off;
	} urls[] = {
		{"rest_url", "http://", offsetof(struct gs_config,
						 exchange.rest_url)},
		{"ws_url", "ws://", offsetof(struct gs_config, exchange.ws_url)},
	};
	size_t i;

	if (c->exchange.allow_insecure_transport)
		return 0;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *url = (const char *)c + urls[i].off;

		if (strncasecmp(url, urls[i].plain, strlen(urls[i].plain)) != 0 ||
		    gs_url_is_loopback(url))
			continue;
		ctx->line = gs_config_line(ctx->cfg, "exchange", urls[i].name);
		return config_fail(ctx, "%s: %s sends the API key and orders "
					"in cleartext to a host that is not "
					"this machine; use %s or set "
					"allow_insecure_transport = true",
				   urls[i].name, url,
				   i == 0 ? "https://" : "wss://");
	}
	return 0;
}

/* Record the first line of each known section's header. */
static void
config_header(void *user, const char *name, int line)
{
	struct load_ctx *ctx = user;
	int si = section_index(name);

	if (si >= 0 && ctx->cfg->section_line[si] == 0)
		ctx->cfg->section_line[si] = line;
}

/* The line of the last of the keys set in the file (a cross-key rule). */
static int
config_last_line(const struct gs_config *cfg, const char *section,
		 const char *const *names)
{
	int line = 0, i, k;

	for (i = 0; names[i]; i++) {
		k = key_index(section, names[i]);
		if (k >= 0 && cfg->key_line[k] > line)
			line = cfg->key_line[k];
	}
	return line ? line : gs_config_line(cfg, section, names[0]);
}

/* Cross-key rules that no single line can break. */
static int
config_check(struct load_ctx *ctx)
{
	static const char *const total[] = {
		"total_timeout_ms", "cancel_timeout_ms", "close_timeout_ms",
		"join_timeout_ms", NULL};
	struct gs_config *cfg = ctx->cfg;
	const struct gs_config *c = cfg;
	size_t i;

	if (ctx->flags & GS_CONFIG_REQUIRE_BOT) {
		for (i = 0; i < NKEYS; i++) {
			if (!keys[i].required || ctx->seen[i])
				continue;
			ctx->line = gs_config_line(cfg, keys[i].section,
						   keys[i].name);
			return config_fail(ctx, "[%s] %s is required",
					   keys[i].section, keys[i].name);
		}
	}
	if ((long long)c->shutdown.total_timeout_ms <
	    (long long)c->shutdown.cancel_timeout_ms +
		c->shutdown.close_timeout_ms + c->shutdown.join_timeout_ms) {
		ctx->line = config_last_line(cfg, "shutdown", total);
		return config_fail(ctx, "total_timeout_ms (%d) must cover "
					"cancel_timeout_ms + close_timeout_ms "
					"+ join_timeout_ms (%lld)",
				   c->shutdown.total_timeout_ms,
				   (long long)c->shutdown.cancel_timeout_ms +
				       c->shutdown.close_timeout_ms +
				       c->shutdown.join_timeout_ms);
	}
	if (!c->streams.trade && !c->streams.book_ticker) {
		ctx->line = gs_config_line(cfg, "streams", "channels");
		return config_fail(ctx, "channels: at least one channel");
	}
	config_venue(ctx);
	config_check_keys(ctx);
	if (!ctx->failed)
		config_check_transport(ctx);
	return 0;
}

static int
config_parse(struct load_ctx *ctx)
{
	int rc;

	rc = config_ini_parse(ctx->path, config_handler, ctx, &ctx->line,
			    ctx->cause, config_header);
	if (rc < 0)
		return rc;
	if (rc != 0 && !ctx->failed) {
		/* inih refused the line itself (no '=', bad section). */
		ctx->line = rc > 0 ? rc : ctx->line;
		config_fail(ctx, "syntax error (expected [section] or "
				 "key = value)");
	}
	if (!ctx->failed)
		config_check(ctx);
	return ctx->failed ? -EINVAL : 0;
}

int
gs_config_load(struct gs_config *cfg, const char *path, int flags,
	       char *cause)
{
	struct load_ctx ctx = {.cfg = cfg, .path = path, .cause = cause,
			       .flags = flags};

	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return config_parse(&ctx);
}

int
gs_config_reload_log(struct gs_config *cfg, const char *path, char *cause)
{
	struct gs_config tmp = *cfg;
	struct load_ctx ctx = {.cfg = &tmp, .path = path, .cause = cause,
			       .only_section = "log"};
	int rc;

	memset(tmp.key_line, 0, sizeof(tmp.key_line));
	memset(tmp.section_line, 0, sizeof(tmp.section_line));
	rc = config_parse(&ctx);
	if (rc == 0)
		cfg->log = tmp.log;
	return rc;
}

/* ---- Checks against the machine ---------------------------------------- */

static int
validate_fail(const struct gs_config *cfg, const char *section,
	      const char *name, char *cause, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
validate_fail(const struct gs_config *cfg, const char *section,
	      const char *name, char *cause, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cause, GS_CAUSE_MAX, "%.1024s:%d: %s", cfg->path,
		 gs_config_line(cfg, section, name), msg);
	return -EINVAL;
}

/* An existing directory this process may create files in; why if not. */
static int
validate_dir(const char *dir, char *why, size_t size)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(why, size, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "%s is not a directory", dir);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		snprintf(why, size, "directory %s is not writable: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The directory part of path ("." for a bare name). */
static void
validate_parent(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/*
 * lstat path as the daemon opens it, without following a symlink: 1 it
 * is there (st filled), 0 it is missing, -1 a symlink or unreadable (why
 * says so).
 */
static int
validate_lstat(const char *path, struct stat *st, char *why, size_t size)
{
	if (lstat(path, st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, size, "%s is a symbolic link (not followed)",
			 path);
		return -1;
	}
	return 1;
}

/*
 * A file the daemon opens for appending, creating it if need be; it opens
 * it without following a symlink, so a symlink (even to a good file) or
 * anything but a regular file is refused here as the run refuses it.
 */
static int
validate_file(const char *path, char *why, size_t size)
{
	char dir[GS_PATH_MAX];
	struct stat st;
	int there = validate_lstat(path, &st, why, size);

	if (there < 0)
		return -1;
	if (there > 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, size, "%s is a directory", path);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, size, "%s is not a regular file", path);
			return -1;
		}
		if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0) {
			snprintf(why, size, "%s is not writable: %s", path,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	validate_parent(path, dir, sizeof(dir));
	return validate_dir(dir, why, size);
}

/* state_dir: the daemon creates it, but never its missing parents. */
static int
validate_state_dir(const char *path, char *why, size_t size)
{
	char dir[GS_PATH_MAX];
	struct stat st;
	/* The daemon opens it with O_NOFOLLOW: judge it, not a target. */
	int there = validate_lstat(path, &st, why, size);

	if (there < 0)
		return -1;
	if (there > 0)
		return validate_dir(path, why, size);
	validate_parent(path, dir, sizeof(dir));
	if (validate_dir(dir, why, size) < 0) {
		size_t n = strlen(why);

		snprintf(why + n, size - n,
			 " (only state_dir itself is created)");
		return -1;
	}
	return 0;
}

/*
 * An existing state_dir holds the order snapshot a forced exit and the
 * next start rely on: nobody but this user may plant or swap files in
 * it.  (One the daemon creates is made 0700.)
 */
static int
validate_state_dir_owner(const struct gs_config *cfg, char *cause)
{
	const char *path = cfg->bot.state_dir;
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* validate_state_dir() said what is wrong */
	if (st.st_uid == geteuid() && (st.st_mode & 022) == 0)
		return 0;
	return validate_fail(cfg, "bot", "state_dir", cause,
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
validate_ca_file(const struct gs_config *cfg, char *cause)
{
	const char *p = cfg->exchange.ca_file;
	struct stat st;
	X509 *cert;
	FILE *fp;
	int fd;

	if (p[0] == '\0')
		return 0;
	if (stat(p, &st) < 0 || faccessat(AT_FDCWD, p, R_OK, AT_EACCESS) < 0)
		return validate_fail(cfg, "exchange", "ca_file", cause,
				     "ca_file %s: %s", p, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return validate_fail(cfg, "exchange", "ca_file", cause,
				     "ca_file %s is not a non-empty PEM file",
				     p);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	fp = fd < 0 ? NULL : fdopen(fd, "r");
	if (fp == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return validate_fail(cfg, "exchange", "ca_file", cause,
				     "ca_file %s: %s", p, strerror(e));
	}
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (cert == NULL)
		return validate_fail(cfg, "exchange", "ca_file", cause,
				     "ca_file %s holds no PEM certificate", p);
	X509_free(cert);
	return 0;
}

/* api_secret_file: this user's, mode 0600, readable, not empty. */
static int
validate_secret_file(const struct gs_config *cfg, char *cause)
{
	const char *p = cfg->exchange.api_secret_file;
	struct stat st;

	if (stat(p, &st) < 0)
		return validate_fail(cfg, "exchange", "api_secret_file", cause,
				     "api_secret_file %s: %s", p,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return validate_fail(cfg, "exchange", "api_secret_file", cause,
				     "api_secret_file %s is not a regular "
				     "file",
				     p);
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid())
		return validate_fail(cfg, "exchange", "api_secret_file", cause,
				     "api_secret_file %s must be owned by "
				     "this user and of mode 0600 (it is %04o, "
				     "uid %d)",
				     p, (unsigned)(st.st_mode & 07777),
				     (int)st.st_uid);
	if (faccessat(AT_FDCWD, p, R_OK, AT_EACCESS) < 0)
		return validate_fail(cfg, "exchange", "api_secret_file", cause,
				     "api_secret_file %s: %s", p,
				     strerror(errno));
	if (st.st_size == 0)
		return validate_fail(cfg, "exchange", "api_secret_file", cause,
				     "api_secret_file %s is empty", p);
	return 0;
}

/* seal_key_file: a seal file of this user's, in a directory it may write. */
static int
validate_seal_key(const struct gs_config *cfg, char *cause)
{
	const char *p = cfg->trace.seal_key_file;
	unsigned char key[GS_SEAL_KEY_LEN];
	char why[GS_CAUSE_MAX], dir[GS_PATH_MAX];
	struct stat st;
	long count;
	int rc;

	if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
		return validate_fail(cfg, "trace", "seal_key_file", cause,
				     "seal key %s is a symbolic link (not "
				     "followed)",
				     p);
	rc = gs_seal_read(p, key, &count, why);
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		return validate_fail(cfg, "trace", "seal_key_file", cause,
				     "%s", why);
	validate_parent(p, dir, sizeof(dir));
	if (validate_dir(dir, why, sizeof(why)) < 0)
		return validate_fail(cfg, "trace", "seal_key_file", cause,
				     "seal key %s: %s (it is rewritten after "
				     "each record)",
				     p, why);
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
validate_credentials(const struct gs_config *cfg, char *cause)
{
	const char *key_env = cfg->exchange.api_key_env;
	const char *secret_env = cfg->exchange.api_secret_env;
	bool file = cfg->exchange.api_secret_file[0] != '\0';
	bool key = validate_env_set(key_env);
	bool secret = file || validate_env_set(secret_env) ||
		      cfg->exchange.key_type != GS_KEY_HMAC;

	if (cfg->bot.dry_run || (key && secret))
		return 0;
	if (!key && !secret && secret_env[0] != '\0')
		return validate_fail(cfg, "bot", "dry_run", cause,
				     "live trading needs credentials: set $%s "
				     "and $%s (or api_secret_file), or run "
				     "with --dry-run",
				     key_env, secret_env);
	if (!key)
		return validate_fail(cfg, "bot", "dry_run", cause,
				     "live trading needs the API key: set $%s, "
				     "or run with --dry-run",
				     key_env);
	if (secret_env[0] == '\0')
		return validate_fail(cfg, "bot", "dry_run", cause,
				     "live trading needs the API secret: set "
				     "api_secret_file (api_secret_env is "
				     "empty), or run with --dry-run");
	return validate_fail(cfg, "bot", "dry_run", cause,
			     "live trading needs the API secret: set $%s (or "
			     "api_secret_file), or run with --dry-run",
			     secret_env);
}

int
gs_config_validate(const struct gs_config *cfg, char *cause)
{
	char why[2 * GS_PATH_MAX];
	int rc;

	if (validate_state_dir(cfg->bot.state_dir, why, sizeof(why)) < 0)
		return validate_fail(cfg, "bot", "state_dir", cause,
				     "state_dir: %s", why);
	rc = validate_state_dir_owner(cfg, cause);
	if (rc < 0)
		return rc;
	rc = validate_ca_file(cfg, cause);
	if (rc < 0)
		return rc;
	if (validate_file(cfg->trace.path, why, sizeof(why)) < 0)
		return validate_fail(cfg, "trace", "path", cause,
				     "trace path: %s", why);
	if (cfg->trace.seal_key_file[0] != '\0') {
		rc = validate_seal_key(cfg, cause);
		if (rc < 0)
			return rc;
	}
	if (cfg->log.file[0] != '\0' &&
	    validate_file(cfg->log.file, why, sizeof(why)) < 0)
		return validate_fail(cfg, "log", "file", cause,
				     "log file: %s", why);
	if (cfg->exchange.api_secret_file[0] != '\0') {
		rc = validate_secret_file(cfg, cause);
		if (rc < 0)
			return rc;
	}
	return validate_credentials(cfg, cause);
}

/* ---- Writing ----------------------------------------------------------- */

static void
config_write_value(FILE *fp, const struct gs_config *cfg, const struct key *k)
{
	const char *field = (const char *)cfg + k->offset;
	int i;

	switch (k->type) {
	case KEY_INT:
		fprintf(fp, "%d", *(const int *)field);
		break;
	case KEY_BOOL:
		fputs(*(const bool *)field ? "true" : "false", fp);
		break;
	case KEY_ENUM:
		fputs(k->choices[*(const int *)field], fp);
		break;
	case KEY_SYMBOLS:
		for (i = 0; i < cfg->bot.nsymbols; i++)
			fprintf(fp, "%s%s", i ? ", " : "", cfg->bot.symbols[i]);
		break;
	case KEY_CHANNELS:
		fprintf(fp, "%s%s%s", cfg->streams.trade ? "trade" : "",
			cfg->streams.trade && cfg->streams.book_ticker ? ", "
								       : "",
			cfg->streams.book_ticker ? "bookTicker" : "");
		break;
	case KEY_URL_HTTP:
	case KEY_URL_WS:
		/* The venue's URL is written as empty: it follows the venue. */
		if (strcmp(field, k->type == KEY_URL_WS
					  ? gs_venue_ws_url(cfg->exchange.venue)
					  : gs_venue_rest_url(
						cfg->exchange.venue)) != 0)
			fputs(field, fp);
		break;
	default:
		fputs(field, fp);
		break;
	}
}

int
gs_config_write(FILE *fp, const struct gs_config *cfg)
{
	const char *section = NULL;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (section == NULL || strcmp(section, k->section) != 0) {
			fprintf(fp, "%s[%s]\n", section ? "\n" : "",
				k->section);
			section = k->section;
		}
		fprintf(fp, "%s =", k->name);
		if (k->type != KEY_PATH || ((const char *)cfg + k->offset)[0])
			fputc(' ', fp);
		config_write_value(fp, cfg, k);
		fputs(k->required ? " ; required\n" : "\n", fp);
	}
	return ferror(fp) || fflush(fp) != 0 ? -EIO : 0;
}
