/*
 * config.c - the INI configuration, read with inih into struct gs_config.
 *
 * Strict by design: an unknown section or key, a value that does not parse
 * or is out of range, and a missing required key are each an error whose
 * message names file:line.  The keys are one table; adding a key is one
 * line there and one member in gshutdown.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

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

#define OFF(m) offsetof(struct gs_config, m)
#define SZ(m) sizeof(((struct gs_config *)0)->m)
#define INT(s, n, m, lo, hi) {s, n, KEY_INT, OFF(m), SZ(m), lo, hi, NULL, false}
#define BOOL(s, n, m) {s, n, KEY_BOOL, OFF(m), SZ(m), 0, 0, NULL, false}
#define STR(s, n, m, t, req) {s, n, t, OFF(m), SZ(m), 0, 0, NULL, req}
#define ENUM(s, n, m, c) {s, n, KEY_ENUM, OFF(m), SZ(m), 0, 0, c, false}

static const struct key keys[] = {
	STR("bot", "symbols", bot.symbols, KEY_SYMBOLS, true),
	INT("bot", "orders_per_symbol", bot.orders_per_symbol, 0, 200),
	STR("bot", "order_quantity", bot.order_quantity, KEY_DECIMAL, false),
	INT("bot", "grid_spacing_bps", bot.grid_spacing_bps, 1, 5000),
	STR("bot", "client_order_prefix", bot.client_order_prefix, KEY_STRING,
	    true),
	BOOL("bot", "dry_run", bot.dry_run),
	STR("bot", "state_dir", bot.state_dir, KEY_STRING, false),

	STR("exchange", "rest_url", exchange.rest_url, KEY_STRING, false),
	STR("exchange", "ws_url", exchange.ws_url, KEY_STRING, false),
	STR("exchange", "api_key_env", exchange.api_key_env, KEY_STRING,
	    false),
	STR("exchange", "api_secret_env", exchange.api_secret_env, KEY_PATH,
	    false),
	STR("exchange", "api_secret_file", exchange.api_secret_file, KEY_PATH,
	    false),
	INT("exchange", "recv_window_ms", exchange.recv_window_ms, 1, 60000),
	INT("exchange", "request_timeout_ms", exchange.request_timeout_ms, 50,
	    120000),
	BOOL("exchange", "tls_verify", exchange.tls_verify),

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

	ENUM("log", "level", log.level, log_levels),
	STR("log", "file", log.file, KEY_PATH, false),
	BOOL("log", "syslog", log.syslog),
	STR("log", "syslog_facility", log.syslog_facility, KEY_STRING, false),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

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
	snprintf(cfg->exchange.rest_url, GS_URL_MAX,
		 "https://testnet.binance.vision");
	snprintf(cfg->exchange.ws_url, GS_URL_MAX,
		 "wss://stream.testnet.binance.vision");
	snprintf(cfg->exchange.api_key_env, GS_NAME_MAX, "BINANCE_API_KEY");
	snprintf(cfg->exchange.api_secret_env, GS_NAME_MAX,
		 "BINANCE_API_SECRET");
	cfg->exchange.recv_window_ms = 5000;
	cfg->exchange.request_timeout_ms = 3000;
	cfg->exchange.tls_verify = true;
	cfg->streams.trade = true;
	cfg->streams.book_ticker = true;
	cfg->shutdown.cancel_timeout_ms = 10000;
	cfg->shutdown.close_timeout_ms = 3000;
	cfg->shutdown.join_timeout_ms = 5000;
	cfg->shutdown.total_timeout_ms = 25000;
	cfg->shutdown.cancel_retries = 5;
	cfg->shutdown.retry_backoff_ms = 200;
	cfg->shutdown.cancel_mode = GS_CANCEL_AUTO;
	cfg->shutdown.on_sighup = GS_SIGHUP_SHUTDOWN;
	cfg->shutdown.on_second_signal = GS_SECOND_FORCE;
	cfg->shutdown.duplicate_signal_ms = 1000;
	snprintf(cfg->trace.path, GS_PATH_MAX,
		 "/var/log/tradebotd/fsm-trace.jsonl");
	cfg->trace.fsync = true;
	cfg->log.level = GS_LOG_INFO;
	snprintf(cfg->log.syslog_facility, sizeof(cfg->log.syslog_facility),
		 "daemon");
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
	int error_line;
	char *cause;
	const char *only_section; /* reload: apply this section only */
	int flags;
	bool seen[NKEYS];
	int section_line[8];
};

static const char *const sections[] = {"bot",	   "exchange", "streams",
				       "shutdown", "trace",    "log"};

static int
section_index(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i], section) == 0)
			return (int)i;
	return -1;
}

struct ini_reader {
	FILE *fp;
	int *line;
};

static char *
ini_read_line(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	char *s = fgets(str, num, r->fp);

	if (s != NULL)
		(*r->line)++;
	return s;
}

int
gs_ini_parse(const char *path, gs_ini_handler handler, void *user, int *line,
	     char *cause)
{
	struct ini_reader r = {.line = line};
	int rc;

	*line = 0;
	r.fp = fopen(path, "r");
	if (r.fp == NULL) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX, "%.300s:0: cannot open: %s", path,
			 strerror(errno));
		return rc;
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
	fclose(r.fp);
	return rc;
}

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (ctx->error_line != 0)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->error_line = ctx->line;
	snprintf(ctx->cause, GS_CAUSE_MAX, "%.190s:%d: %s", ctx->path,
		 ctx->line, msg);
	return 0;
}

/* Split a comma-separated list; each item trimmed; empty items refused. */
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
		if (*p == ',')
			p++;
	}
	return *n > 0 ? 0 : -EINVAL;
}

static int
config_symbols(struct load_ctx *ctx, const char *value)
{
	struct gs_config *cfg = ctx->cfg;
	int i, n, rc;
	char *c;

	rc = config_list(value, cfg->bot.symbols, GS_MAX_SYMBOLS, &n);
	if (rc == -ERANGE)
		return config_fail(ctx, "symbols: at most %d symbols of at "
					"most %d characters",
				   GS_MAX_SYMBOLS, GS_SYMBOL_MAX - 1);
	if (rc < 0)
		return config_fail(ctx, "symbols: expected a comma-separated "
					"list of symbols, got \"%s\"",
				   value);
	for (i = 0; i < n; i++) {
		for (c = cfg->bot.symbols[i]; *c; c++) {
			if (!isalnum((unsigned char)*c))
				return config_fail(
				    ctx, "symbols: \"%s\" is not a symbol",
				    cfg->bot.symbols[i]);
			*c = (char)toupper((unsigned char)*c);
		}
	}
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
		if (k->type == KEY_STRING && value[0] == '\0')
			return config_fail(ctx, "%s: must not be empty",
					   k->name);
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
	if (ctx->section_line[si] == 0)
		ctx->section_line[si] = ctx->line;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (ctx->seen[i])
			return config_fail(ctx, "[%s] %s is set twice",
					   section, name);
		ctx->seen[i] = true;
		if (ctx->only_section != NULL &&
		    strcmp(ctx->only_section, section) != 0)
			return 1;
		return config_value(ctx, &keys[i], value);
	}
	return config_fail(ctx, "unknown key \"%s\" in section [%s]", name,
			   section);
}

/* Cross-key rules that no single line can break. */
static int
config_check(struct load_ctx *ctx)
{
	struct gs_config *cfg = ctx->cfg;
	const struct gs_config *c = cfg;
	size_t i;
	char *p;

	if (ctx->flags & GS_CONFIG_REQUIRE_BOT) {
		for (i = 0; i < NKEYS; i++) {
			if (!keys[i].required || ctx->seen[i])
				continue;
			ctx->line = ctx->section_line[section_index(
			    keys[i].section)];
			if (ctx->line == 0)
				ctx->line = 1;
			return config_fail(ctx, "[%s] %s is required",
					   keys[i].section, keys[i].name);
		}
	}
	for (p = cfg->bot.client_order_prefix; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			ctx->line = ctx->section_line[0];
			return config_fail(ctx, "client_order_prefix: only "
						"letters, digits, '-' and '_'");
		}
	}
	if ((long long)c->shutdown.total_timeout_ms <
	    (long long)c->shutdown.cancel_timeout_ms +
		c->shutdown.close_timeout_ms + c->shutdown.join_timeout_ms) {
		ctx->line = ctx->section_line[3] ? ctx->section_line[3] : 1;
		return config_fail(ctx, "total_timeout_ms (%d) must cover "
					"cancel_timeout_ms + close_timeout_ms "
					"+ join_timeout_ms (%lld)",
				   c->shutdown.total_timeout_ms,
				   (long long)c->shutdown.cancel_timeout_ms +
				       c->shutdown.close_timeout_ms +
				       c->shutdown.join_timeout_ms);
	}
	if (!c->streams.trade && !c->streams.book_ticker) {
		ctx->line = ctx->section_line[2] ? ctx->section_line[2] : 1;
		return config_fail(ctx, "channels: at least one channel");
	}
	return 0;
}

static int
config_parse(struct load_ctx *ctx)
{
	int rc;

	rc = gs_ini_parse(ctx->path, config_handler, ctx, &ctx->line,
			  ctx->cause);
	if (rc < 0)
		return rc;
	if (rc != 0 && ctx->error_line == 0) {
		/* inih refused the line itself (no '=', bad section). */
		ctx->line = rc > 0 ? rc : ctx->line;
		config_fail(ctx, "syntax error (expected [section] or "
				 "key = value)");
	}
	if (ctx->error_line == 0)
		config_check(ctx);
	return ctx->error_line != 0 ? -EINVAL : 0;
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

	rc = config_parse(&ctx);
	if (rc == 0)
		cfg->log = tmp.log;
	return rc;
}
