/*
 * test_config.c - the INI loader: every key, and one test per error kind,
 * each asserting the exact file:line in the message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

static char cause[GS_CAUSE_MAX];

/* Load text as a file; returns the loader's code. */
static int
load(struct gs_config *cfg, const char *text, int flags, char *path,
     size_t size)
{
	unit_write(path, size, "t.ini", text);
	gs_config_defaults(cfg);
	cause[0] = '\0';
	return gs_config_load(cfg, path, flags, cause);
}

/* Assert the load fails with "<path>:<line>: ..." containing needle. */
static void
expect_error(const char *text, int flags, int line, const char *needle)
{
	struct gs_config cfg;
	char path[512], want[600];

	CU_ASSERT_EQUAL(load(&cfg, text, flags, path, sizeof(path)), -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	CU_ASSERT_EQUAL(strncmp(cause, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, needle));
	if (strncmp(cause, want, strlen(want)) != 0 || !strstr(cause, needle))
		fprintf(stderr, "\n  got: %s\n  want: %s...%s\n", cause, want,
			needle);
}

static void
test_config_defaults(void)
{
	struct gs_config c;

	gs_config_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[0], "HBARUSDT");
	CU_ASSERT_EQUAL(c.bot.nsymbols, 1);
	CU_ASSERT_EQUAL(c.bot.orders_per_symbol, 4);
	CU_ASSERT_STRING_EQUAL(c.bot.order_quantity, "100");
	CU_ASSERT_EQUAL(c.bot.grid_spacing_bps, 200);
	CU_ASSERT_STRING_EQUAL(c.bot.client_order_prefix, "gsb");
	CU_ASSERT_TRUE(c.bot.dry_run);
	CU_ASSERT_STRING_EQUAL(c.exchange.rest_url,
			       "https://testnet.binance.vision");
	CU_ASSERT_EQUAL(c.exchange.recv_window_ms, 5000);
	CU_ASSERT_TRUE(c.exchange.tls_verify);
	CU_ASSERT_TRUE(c.streams.trade && c.streams.book_ticker);
	CU_ASSERT_EQUAL(c.shutdown.join_timeout_ms, 5000);
	CU_ASSERT_EQUAL(c.shutdown.total_timeout_ms, 25000);
	CU_ASSERT_EQUAL(c.shutdown.cancel_mode, GS_CANCEL_AUTO);
	CU_ASSERT_EQUAL(c.shutdown.on_second_signal, GS_SECOND_FORCE);
	CU_ASSERT_EQUAL(c.shutdown.duplicate_signal_ms, 1000);
	CU_ASSERT_TRUE(c.trace.fsync);
	CU_ASSERT_EQUAL(c.log.level, GS_LOG_INFO);
}

static void
test_config_full_file(void)
{
	struct gs_config c;
	char path[512];
	int rc;

	rc = load(&c,
		  "; every key\n"
		  "[bot]\n"
		  "symbols = btcusdt, ETHUSDT ,bnbusdt\n"
		  "orders_per_symbol = 10\n"
		  "order_quantity = 0.0010\n"
		  "grid_spacing_bps = 50\n"
		  "client_order_prefix = mybot\n"
		  "dry_run = false\n"
		  "state_dir = /tmp/state\n"
		  "[exchange]\n"
		  "rest_url = http://127.0.0.1:1\n"
		  "ws_url = ws://127.0.0.1:1\n"
		  "api_key_env = K\n"
		  "api_secret_env = S\n"
		  "api_secret_file = /etc/secret\n"
		  "recv_window_ms = 6000\n"
		  "request_timeout_ms = 1500\n"
		  "tls_verify = no\n"
		  "[streams]\n"
		  "channels = bookTicker\n"
		  "[shutdown]\n"
		  "cancel_timeout_ms = 2000\n"
		  "close_timeout_ms = 1000\n"
		  "join_timeout_ms = 700\n"
		  "total_timeout_ms = 9000\n"
		  "cancel_retries = 3\n"
		  "retry_backoff_ms = 50\n"
		  "cancel_mode = per_order_sequential\n"
		  "on_sighup = reload\n"
		  "on_second_signal = ignore\n"
		  "[trace]\n"
		  "path = /tmp/t.jsonl\n"
		  "fsync = off\n"
		  "[log]\n"
		  "level = debug\n"
		  "file = /tmp/l.log\n"
		  "syslog = on\n"
		  "syslog_facility = local3\n",
		  GS_CONFIG_REQUIRE_BOT, path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(c.bot.nsymbols, 3);
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[0], "BTCUSDT");
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[1], "ETHUSDT");
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[2], "BNBUSDT");
	CU_ASSERT_EQUAL(c.bot.orders_per_symbol, 10);
	CU_ASSERT_STRING_EQUAL(c.bot.order_quantity, "0.0010");
	CU_ASSERT_EQUAL(c.bot.grid_spacing_bps, 50);
	CU_ASSERT_STRING_EQUAL(c.bot.client_order_prefix, "mybot");
	CU_ASSERT_FALSE(c.bot.dry_run);
	CU_ASSERT_STRING_EQUAL(c.bot.state_dir, "/tmp/state");
	CU_ASSERT_STRING_EQUAL(c.exchange.rest_url, "http://127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(c.exchange.ws_url, "ws://127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(c.exchange.api_key_env, "K");
	CU_ASSERT_STRING_EQUAL(c.exchange.api_secret_env, "S");
	CU_ASSERT_STRING_EQUAL(c.exchange.api_secret_file, "/etc/secret");
	CU_ASSERT_EQUAL(c.exchange.recv_window_ms, 6000);
	CU_ASSERT_EQUAL(c.exchange.request_timeout_ms, 1500);
	CU_ASSERT_FALSE(c.exchange.tls_verify);
	CU_ASSERT_FALSE(c.streams.trade);
	CU_ASSERT_TRUE(c.streams.book_ticker);
	CU_ASSERT_EQUAL(c.shutdown.cancel_timeout_ms, 2000);
	CU_ASSERT_EQUAL(c.shutdown.close_timeout_ms, 1000);
	CU_ASSERT_EQUAL(c.shutdown.join_timeout_ms, 700);
	CU_ASSERT_EQUAL(c.shutdown.total_timeout_ms, 9000);
	CU_ASSERT_EQUAL(c.shutdown.cancel_retries, 3);
	CU_ASSERT_EQUAL(c.shutdown.retry_backoff_ms, 50);
	CU_ASSERT_EQUAL(c.shutdown.cancel_mode, GS_CANCEL_PER_ORDER_SEQUENTIAL);
	CU_ASSERT_EQUAL(c.shutdown.on_sighup, GS_SIGHUP_RELOAD);
	CU_ASSERT_EQUAL(c.shutdown.on_second_signal, GS_SECOND_IGNORE);
	CU_ASSERT_STRING_EQUAL(c.trace.path, "/tmp/t.jsonl");
	CU_ASSERT_FALSE(c.trace.fsync);
	CU_ASSERT_EQUAL(c.log.level, GS_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(c.log.file, "/tmp/l.log");
	CU_ASSERT_TRUE(c.log.syslog);
	CU_ASSERT_STRING_EQUAL(c.log.syslog_facility, "local3");
	CU_ASSERT_STRING_EQUAL(c.path, path);
}

static void
test_config_unknown_section(void)
{
	expect_error("[bot]\ndry_run = true\n\n[bots]\nx = 1\n", 0, 5,
		     "unknown section [bots]");
}

static void
test_config_unknown_key(void)
{
	expect_error("[shutdown]\njoin_timeout_ms = 10\njoin_timeout = 5\n",
		     0, 3, "unknown key \"join_timeout\"");
}

static void
test_config_bad_number(void)
{
	expect_error("[shutdown]\n\ncancel_retries = 3x\n", 0, 3,
		     "\"3x\" is not a whole number");
}

static void
test_config_bad_boolean(void)
{
	expect_error("[bot]\ndry_run = maybe\n", 0, 2,
		     "\"maybe\" is not a boolean");
}

static void
test_config_out_of_range(void)
{
	expect_error("[exchange]\nrecv_window_ms = 60001\n", 0, 2,
		     "out of range (1 to 60000)");
	expect_error("[shutdown]\njoin_timeout_ms = -5\n", 0, 2,
		     "out of range");
}

static void
test_config_missing_file(void)
{
	struct gs_config c;

	gs_config_defaults(&c);
	CU_ASSERT_EQUAL(gs_config_load(&c, "/nonexistent/x.ini", 0, cause),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "/nonexistent/x.ini:0: cannot "
					     "open"));
}

static void
test_config_missing_required(void)
{
	expect_error("[bot]\nsymbols = BTCUSDT\ndry_run = true\n",
		     GS_CONFIG_REQUIRE_BOT, 2,
		     "[bot] client_order_prefix is required");
	expect_error("[log]\nlevel = info\n", GS_CONFIG_REQUIRE_BOT, 1,
		     "[bot] symbols is required");
}

static void
test_config_syntax_error(void)
{
	expect_error("[bot]\ndry_run = true\nthis line has no equals\n", 0, 3,
		     "syntax error");
}

static void
test_config_bad_enum(void)
{
	expect_error("[shutdown]\non_second_signal = kill\n", 0, 2,
		     "\"kill\" is not one of: force, ignore");
	expect_error("[log]\nlevel = verbose\n", 0, 2,
		     "error, warn, info, debug");
}

static void
test_config_duplicate_key(void)
{
	expect_error("[bot]\ndry_run = true\ndry_run = false\n", 0, 3,
		     "set twice");
}

static void
test_config_bad_list(void)
{
	expect_error("[bot]\nsymbols = BTCUSDT,,ETHUSDT\n", 0, 2,
		     "comma-separated");
	expect_error("[bot]\nsymbols = BTC/USDT\n", 0, 2, "not a symbol");
	expect_error("[streams]\nchannels = trade, depth\n", 0, 2,
		     "unknown channel \"depth\"");
}

static void
test_config_bad_decimal(void)
{
	expect_error("[bot]\norder_quantity = 1e5\n", 0, 2,
		     "not a positive decimal");
	expect_error("[bot]\norder_quantity = 0.000\n", 0, 2,
		     "not a positive decimal");
}

static void
test_config_empty_value(void)
{
	expect_error("[exchange]\nrest_url =\n", 0, 2, "must not be empty");
}

static void
test_config_cross_check(void)
{
	expect_error("[shutdown]\ncancel_timeout_ms = 20000\n"
		     "total_timeout_ms = 21000\n",
		     0, 2, "must cover");
	/* join_timeout_ms counts too: 10000 + 3000 + 5000 > 15000 */
	expect_error("[shutdown]\ntotal_timeout_ms = 15000\n", 0, 2,
		     "+ join_timeout_ms (18000)");
	expect_error("[shutdown]\nduplicate_signal_ms = -1\n", 0, 2,
		     "duplicate_signal_ms");
	expect_error("[bot]\nclient_order_prefix = a.b\n", 0, 2,
		     "client_order_prefix");
}

static void
test_config_reload_log(void)
{
	struct gs_config c;
	char path[512];

	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "[bot]\ndry_run = false\n[log]\nlevel = "
				   "warn\n",
				   0, path, sizeof(path)),
			      0);
	c.bot.dry_run = true; /* must survive the reload */
	unit_write(path, sizeof(path), "t.ini",
		   "[bot]\ndry_run = false\n[log]\nlevel = debug\n");
	CU_ASSERT_EQUAL(gs_config_reload_log(&c, path, cause), 0);
	CU_ASSERT_EQUAL(c.log.level, GS_LOG_DEBUG);
	CU_ASSERT_TRUE(c.bot.dry_run);
	unit_write(path, sizeof(path), "t.ini", "[log]\nlevel = loud\n");
	CU_ASSERT_EQUAL(gs_config_reload_log(&c, path, cause), -EINVAL);
	CU_ASSERT_EQUAL(c.log.level, GS_LOG_DEBUG);
}

static void
test_config_long_line(void)
{
	char text[1024] = "[bot]\nsymbols = ", path[512];
	struct gs_config c;
	int i;

	/* 50 symbols: a 460-character line, beyond inih's default 200. */
	for (i = 0; i < 50; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%sS%02dUSDT", i ? "," : "", i);
	strcat(text, "\ndry_run = maybe\n");
	CU_ASSERT_EQUAL(load(&c, text, 0, path, sizeof(path)), -EINVAL);
	/* The long line parsed; the error is the next one, named exactly. */
	CU_ASSERT_EQUAL(c.bot.nsymbols, 50);
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[49], "S49USDT");
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "t.ini:3: dry_run"));
}

static void
test_config_parse_helpers(void)
{
	long long v = 0;
	bool b = false;

	CU_ASSERT_EQUAL(gs_parse_int("42", 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(gs_parse_int("", 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_int(" 4", 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_int("101", 0, 100, &v), -ERANGE);
	CU_ASSERT_EQUAL(gs_parse_int("99999999999999999999", 0, 100, &v),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_parse_bool("Yes", &b), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(gs_parse_bool("0", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(gs_parse_bool("2", &b), -EINVAL);
	CU_ASSERT_TRUE(gs_is_decimal("0.00010000"));
	CU_ASSERT_FALSE(gs_is_decimal("."));
	CU_ASSERT_FALSE(gs_is_decimal("1.2.3"));
	CU_ASSERT_FALSE(gs_is_decimal("-1"));
}

void
suite_config(void)
{
	CU_pSuite s = CU_add_suite("config", NULL, NULL);

	UNIT_ADD(s, test_config_defaults);
	UNIT_ADD(s, test_config_full_file);
	UNIT_ADD(s, test_config_unknown_section);
	UNIT_ADD(s, test_config_unknown_key);
	UNIT_ADD(s, test_config_bad_number);
	UNIT_ADD(s, test_config_bad_boolean);
	UNIT_ADD(s, test_config_out_of_range);
	UNIT_ADD(s, test_config_missing_file);
	UNIT_ADD(s, test_config_missing_required);
	UNIT_ADD(s, test_config_syntax_error);
	UNIT_ADD(s, test_config_bad_enum);
	UNIT_ADD(s, test_config_duplicate_key);
	UNIT_ADD(s, test_config_bad_list);
	UNIT_ADD(s, test_config_bad_decimal);
	UNIT_ADD(s, test_config_empty_value);
	UNIT_ADD(s, test_config_cross_check);
	UNIT_ADD(s, test_config_reload_log);
	UNIT_ADD(s, test_config_long_line);
	UNIT_ADD(s, test_config_parse_helpers);
}
