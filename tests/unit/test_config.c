/*
 * test_config.c - the INI loader: every key, and one test per error kind,
 * each asserting the exact file:line in the message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static char cause[GS_CAUSE_MAX];

/* Load text as a file; returns the loader's code. */
static int
load(struct bot_config *cfg, const char *text, int flags, char *path,
     size_t size)
{
	return unit_config_load(cfg, text, flags, path, size, cause);
}

#define expect_error unit_config_error

static void
test_config_defaults(void)
{
	struct bot_config c;

	unit_bot_config(&c);
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
	CU_ASSERT_EQUAL(c.exchange.weight_budget_pct, 50);
	CU_ASSERT_TRUE(c.streams.trade && c.streams.book_ticker);
	CU_ASSERT_EQUAL(c.gs->shutdown.join_timeout_ms, 5000);
	CU_ASSERT_EQUAL(c.gs->shutdown.total_timeout_ms, 25000);
	CU_ASSERT_EQUAL(c.shutdown.cancel_mode, BOT_CANCEL_AUTO);
	CU_ASSERT_EQUAL(c.gs->shutdown.on_second_signal, GS_SECOND_FORCE);
	CU_ASSERT_EQUAL(c.gs->shutdown.duplicate_signal_ms, 1000);
	CU_ASSERT_TRUE(c.gs->trace.fsync);
	CU_ASSERT_EQUAL(c.gs->log.level, GS_LOG_INFO);
}

static void
test_config_full_file(void)
{
	struct bot_config c;
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
		  "weight_budget_pct = 30\n"
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
		  UNIT_REQUIRE_BOT, path, sizeof(path));
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
	CU_ASSERT_EQUAL(c.exchange.weight_budget_pct, 30);
	CU_ASSERT_FALSE(c.streams.trade);
	CU_ASSERT_TRUE(c.streams.book_ticker);
	CU_ASSERT_EQUAL(c.shutdown.cancel_timeout_ms, 2000);
	CU_ASSERT_EQUAL(c.shutdown.close_timeout_ms, 1000);
	CU_ASSERT_EQUAL(c.gs->shutdown.join_timeout_ms, 700);
	CU_ASSERT_EQUAL(c.gs->shutdown.total_timeout_ms, 9000);
	CU_ASSERT_EQUAL(c.shutdown.cancel_retries, 3);
	CU_ASSERT_EQUAL(c.shutdown.retry_backoff_ms, 50);
	CU_ASSERT_EQUAL(c.shutdown.cancel_mode, BOT_CANCEL_PER_ORDER_SEQUENTIAL);
	CU_ASSERT_EQUAL(c.gs->shutdown.on_sighup, GS_SIGHUP_RELOAD);
	CU_ASSERT_EQUAL(c.gs->shutdown.on_second_signal, GS_SECOND_IGNORE);
	CU_ASSERT_STRING_EQUAL(c.gs->trace.path, "/tmp/t.jsonl");
	CU_ASSERT_FALSE(c.gs->trace.fsync);
	CU_ASSERT_EQUAL(c.gs->log.level, GS_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(c.gs->log.file, "/tmp/l.log");
	CU_ASSERT_TRUE(c.gs->log.syslog);
	CU_ASSERT_STRING_EQUAL(c.gs->log.syslog_facility, "local3");
	CU_ASSERT_STRING_EQUAL(c.path, path);
}

static void
test_config_unknown_section(void)
{
	expect_error("[bot]\ndry_run = true\n\n[bots]\nx = 1\n", 0, 4,
		     "unknown section [bots]");
	/* An empty one too: a typo, never meant. */
	expect_error("[bot]\ndry_run = true\n[bots]\n", 0, 3,
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
	struct bot_config c;

	unit_bot_config(&c);
	CU_ASSERT_EQUAL(bot_config_load(&c, "/nonexistent/x.ini", cause),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "/nonexistent/x.ini:0: cannot "
					     "open"));
}

/* A missing key names its section's header, or line 0 without one. */
static void
test_config_missing_required(void)
{
	expect_error("; comment\n[bot]\nsymbols = BTCUSDT\ndry_run = true\n",
		     UNIT_REQUIRE_BOT, 2,
		     "[bot] client_order_prefix is required");
	expect_error("[log]\nlevel = info\n", UNIT_REQUIRE_BOT, 0,
		     "[bot] symbols is required");
	expect_error("[log]\n[bot]\n", UNIT_REQUIRE_BOT, 2,
		     "[bot] symbols is required");
}

static void
test_config_directory(void)
{
	struct bot_config c;
	char want[600];

	unit_bot_config(&c);
	CU_ASSERT_EQUAL(bot_config_load(&c, unit_tmpdir(), cause),
			-EISDIR);
	snprintf(want, sizeof(want), "%s:0: is a directory", unit_tmpdir());
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, want));
	CU_ASSERT_PTR_NULL(strstr(cause, "required"));
}

static void
test_config_syslog_facility(void)
{
	struct bot_config c;
	char path[512];

	expect_error("[log]\nsyslog = true\nsyslog_facility = bogus\n", 0, 3,
		     "syslog_facility: \"bogus\" is not one of: daemon, "
		     "user, local0");
	CU_ASSERT_EQUAL(load(&c, "[log]\nsyslog_facility = local7\n", 0, path,
			     sizeof(path)),
			0);
	CU_ASSERT_STRING_EQUAL(c.gs->log.syslog_facility, "local7");
}

static void
test_config_orders_zero(void)
{
	expect_error("[bot]\norders_per_symbol = 0\n", 0, 2,
		     "orders_per_symbol: 0 is out of range (1 to 200)");
}

static void
test_config_urls(void)
{
	struct bot_config c;
	char path[512];

	expect_error("[exchange]\nws_url = http://127.0.0.1:9\n", 0, 2,
		     "ws_url: \"http://127.0.0.1:9\" is not a URL starting "
		     "with ws:// or wss://");
	expect_error("[exchange]\n\nrest_url = not a url\n", 0, 3,
		     "rest_url: \"not a url\" is not a URL starting with "
		     "http:// or https://");
	expect_error("[exchange]\nrest_url = wss://x\n", 0, 2,
		     "http:// or https://");
	expect_error("[exchange]\nrest_url = https://\n", 0, 2, "no host");
	expect_error("[exchange]\nrest_url = https://:80\n", 0, 2, "no host");
	expect_error("[exchange]\nws_url = ws://h:0\n", 0, 2,
		     "port must be 1 to 65535");
	expect_error("[exchange]\nws_url = ws://h:65536\n", 0, 2,
		     "port must be 1 to 65535");
	expect_error("[exchange]\nws_url = ws://h:x\n", 0, 2,
		     "port must be 1 to 65535");
	expect_error("[exchange]\nrest_url = http://h x/\n", 0, 2,
		     "not a URL of the form http://host[:port][/path]");
	expect_error("[exchange]\nrest_url = http://h/a?b=1\n", 0, 2,
		     "not a URL of the form");
	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "[exchange]\nrest_url = https://a.b-c:443/"
				   "\nws_url = ws://[::1]:9/ws\n",
				   0, path, sizeof(path)),
			      0);
	CU_ASSERT_STRING_EQUAL(c.exchange.rest_url, "https://a.b-c:443");
	CU_ASSERT_STRING_EQUAL(c.exchange.ws_url, "ws://[::1]:9/ws");
}

static void
test_config_symbol_as_written(void)
{
	expect_error("[bot]\nsymbols = btcusdt, eth$usdt\n", 0, 2,
		     "symbols: \"eth$usdt\" is not a symbol");
}

static void
test_config_lines(void)
{
	struct bot_config c;
	char path[512];

	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "[bot]\nsymbols = X\n\n[trace]\n"
				   "path = /tmp/x\n",
				   0, path, sizeof(path)),
			      0);
	CU_ASSERT_EQUAL(bot_config_line(&c, "bot", "symbols"), 2);
	CU_ASSERT_EQUAL(bot_config_line(&c, "bot", "state_dir"), 1);
	CU_ASSERT_EQUAL(bot_config_line(&c, "trace", "path"), 5);
	CU_ASSERT_EQUAL(bot_config_line(&c, "trace", "fsync"), 4);
	CU_ASSERT_EQUAL(bot_config_line(&c, "log", "file"), 0);
}

/* A config whose directories live under the unit tests' scratch space. */
static int
load_live(struct bot_config *c, const char *extra, char *path, size_t size)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[bot]\nsymbols = BTCUSDT\nclient_order_prefix = t\n"
		 "dry_run = false\nstate_dir = %s/state\n[trace]\n"
		 "path = %s/trace.jsonl\n%s",
		 unit_tmpdir(), unit_tmpdir(), extra);
	return load(c, text, UNIT_REQUIRE_BOT, path, size);
}

/* Assert gs_config_validate fails naming path:line and needle. */
static void
expect_invalid(const struct bot_config *c, int line, const char *needle)
{
	char want[GS_PATH_MAX + 32];

	cause[0] = '\0';
	CU_ASSERT_EQUAL(bot_config_validate(c, cause), -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", c->path, line);
	CU_ASSERT_EQUAL(strncmp(cause, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, needle));
	if (strncmp(cause, want, strlen(want)) != 0 || !strstr(cause, needle))
		fprintf(stderr, "\n  got: %s\n  want: %s...%s\n", cause, want,
			needle);
}

static void
test_config_validate_dirs(void)
{
	struct bot_config c;
	char path[512], extra[1024];

	setenv("BINANCE_API_KEY", "k", 1);
	setenv("BINANCE_API_SECRET", "s", 1);
	CU_ASSERT_EQUAL_FATAL(load_live(&c, "", path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(bot_config_validate(&c, cause), 0);

	/* state_dir two levels missing: an error, not mkdir -p. */
	snprintf(extra, sizeof(extra), "[log]\nlevel = info\n");
	CU_ASSERT_EQUAL_FATAL(load_live(&c, extra, path, sizeof(path)), 0);
	snprintf(c.bot.state_dir, sizeof(c.bot.state_dir), "%s/no/state",
		 unit_tmpdir());
	expect_invalid(&c, 5, "/no/state itself is created)");

	/* The trace's directory must exist... */
	snprintf(extra, sizeof(extra), "[log]\n");
	CU_ASSERT_EQUAL_FATAL(load_live(&c, extra, path, sizeof(path)), 0);
	snprintf(c.gs->trace.path, sizeof(c.gs->trace.path), "%s/none/t.jsonl",
		 unit_tmpdir());
	expect_invalid(&c, 7, "trace path: directory ");
	/* ...and be a directory. */
	snprintf(c.gs->trace.path, sizeof(c.gs->trace.path), "%s/t.ini/t.jsonl",
		 unit_tmpdir());
	expect_invalid(&c, 7, "Not a directory");
	/* A log file in a missing directory. */
	snprintf(extra, sizeof(extra), "[log]\nfile = %s/none/l.log\n",
		 unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(load_live(&c, extra, path, sizeof(path)), 0);
	expect_invalid(&c, 9, "log file: directory ");
}

/* A read-only directory, as a user who cannot write there. */
static void
test_config_validate_read_only(void)
{
	char dir[] = "/tmp/gs-unit-ro-XXXXXX", ro[600], rw[600];
	struct bot_config c;
	char path[512];
	uid_t uid = geteuid();

	CU_ASSERT_EQUAL_FATAL(load_live(&c, "", path, sizeof(path)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(ro, sizeof(ro), "%s/ro", dir);
	CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
	CU_ASSERT_EQUAL(mkdir(ro, 0555), 0);
	snprintf(c.gs->trace.path, sizeof(c.gs->trace.path), "%s/t.jsonl", ro);
	snprintf(rw, sizeof(rw), "%s/rw", dir);
	CU_ASSERT_EQUAL(mkdir(rw, 0700), 0);
	/* state_dir must be the daemon user's own: nobody's, below. */
	if (uid == 0)
		CU_ASSERT_EQUAL(chown(rw, 65534, (gid_t)-1), 0);
	snprintf(c.bot.state_dir, sizeof(c.bot.state_dir), "%s", rw);
	/* root writes anywhere: check as nobody, as the daemon would run. */
	if (uid == 0)
		CU_ASSERT_EQUAL(seteuid(65534), 0);
	expect_invalid(&c, 7, "is not writable");
	if (uid == 0)
		CU_ASSERT_EQUAL(seteuid(0), 0);
	rmdir(ro);
	rmdir(rw);
	rmdir(dir);
}

static void
test_config_validate_credentials(void)
{
	struct bot_config c;
	char path[512], extra[1024], secret[600];
	FILE *fp;

	setenv("BINANCE_API_KEY", "k", 1);
	unsetenv("BINANCE_API_SECRET");
	CU_ASSERT_EQUAL_FATAL(load_live(&c, "", path, sizeof(path)), 0);
	expect_invalid(&c, 4, "set $BINANCE_API_SECRET (or api_secret_file)");
	c.bot.dry_run = true; /* --dry-run */
	CU_ASSERT_EQUAL(bot_config_validate(&c, cause), 0);

	unsetenv("BINANCE_API_KEY");
	CU_ASSERT_EQUAL_FATAL(load_live(&c, "", path, sizeof(path)), 0);
	expect_invalid(&c, 4,
		       "set $BINANCE_API_KEY and $BINANCE_API_SECRET");

	/* With api_secret_file, only the key is asked for. */
	snprintf(secret, sizeof(secret), "%s/secret", unit_tmpdir());
	fp = fopen(secret, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("s3cret\n", fp);
	fclose(fp);
	CU_ASSERT_EQUAL(chmod(secret, 0600), 0);
	snprintf(extra, sizeof(extra), "[exchange]\napi_secret_file = %s\n",
		 secret);
	CU_ASSERT_EQUAL_FATAL(load_live(&c, extra, path, sizeof(path)), 0);
	expect_invalid(&c, 4, "needs the API key: set $BINANCE_API_KEY, or");
	CU_ASSERT_PTR_NULL(strstr(cause, "BINANCE_API_SECRET"));
	CU_ASSERT_PTR_NULL(strstr(cause, "$api_secret_file"));
	setenv("BINANCE_API_KEY", "k", 1);
	CU_ASSERT_EQUAL(bot_config_validate(&c, cause), 0);

	/* The 0600 rule, at check and at run alike, dry or not. */
	CU_ASSERT_EQUAL(chmod(secret, 0644), 0);
	c.bot.dry_run = true;
	expect_invalid(&c, 9, "must be owned by this user and of mode 0600");
	/* A symlink to a good secret file: refused as the others are. */
	{
		char link[700];

		CU_ASSERT_EQUAL(chmod(secret, 0600), 0);
		snprintf(link, sizeof(link), "%s/secret-link", unit_tmpdir());
		CU_ASSERT_EQUAL(symlink(secret, link), 0);
		snprintf(extra, sizeof(extra),
			 "[exchange]\napi_secret_file = %s\n", link);
		CU_ASSERT_EQUAL_FATAL(load_live(&c, extra, path, sizeof(path)),
				      0);
		expect_invalid(&c, 9, "is a symbolic link (not followed)");
		unlink(link);
		CU_ASSERT_EQUAL_FATAL(load_live(&c, "[exchange]\n"
						    "api_secret_file = x\n",
						path, sizeof(path)),
				      0);
		snprintf(c.exchange.api_secret_file,
			 sizeof(c.exchange.api_secret_file), "%s", secret);
	}
	unlink(secret);
	expect_invalid(&c, 9, "No such file");
	setenv("BINANCE_API_SECRET", "s", 1);
}

static void
test_config_write(void)
{
	struct bot_config c, back;
	char *text = NULL, path[512];
	size_t len = 0;
	FILE *fp;

	unit_bot_config(&c);
	fp = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(gs_config_write(fp, c.gs), 0);
	fclose(fp);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "[log]\n; error, warn, info, "
					    "debug\nlevel = info\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nfile =\n"));
	/* Help and "required" on a line of their own: a value line holds
	 * the value alone. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "; comma-separated; required\n"
					    "symbols = HBARUSDT\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nchannels = trade, bookTicker\n"));
	/* What it writes loads back to the same values. */
	CU_ASSERT_EQUAL(load(&back, text, UNIT_REQUIRE_BOT, path,
			     sizeof(path)),
			0);
	CU_ASSERT_EQUAL(memcmp(&back.bot, &c.bot, sizeof(c.bot)), 0);
	CU_ASSERT_EQUAL(memcmp(&back.shutdown, &c.shutdown,
			       sizeof(c.shutdown)),
			0);
	CU_ASSERT_STRING_EQUAL(back.exchange.ws_url, c.exchange.ws_url);
	CU_ASSERT_STRING_EQUAL(back.gs->log.syslog_facility, "daemon");
	free(text);
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

/* Duplicates and empty items are typos: refused, naming file:line. */
static void
test_config_symbol_list(void)
{
	struct bot_config c;
	char path[512];

	expect_error("[bot]\nsymbols = BTCUSDT, BTCUSDT\n", 0, 2,
		     "\"BTCUSDT\" is listed twice");
	/* Case-insensitively, echoed as written. */
	expect_error("[bot]\n\nsymbols = ETHUSDT, BTCUSDT, btcUsdt\n", 0, 3,
		     "\"btcUsdt\" is listed twice");
	expect_error("[bot]\nsymbols = BTCUSDT, ETHUSDT,\n", 0, 2,
		     "without empty items");
	expect_error("[bot]\nsymbols = BTCUSDT, ETHUSDT , \n", 0, 2,
		     "without empty items");
	expect_error("[bot]\nsymbols = ,BTCUSDT\n", 0, 2,
		     "without empty items");
	expect_error("[bot]\nsymbols = A,,B\n", 0, 2, "without empty items");
	expect_error("[streams]\nchannels = trade,\n", 0, 2, "channels");
	/* The same checks under UNIT_REQUIRE_BOT (--check-config). */
	expect_error("[bot]\nsymbols = BTCUSDT,BTCUSDT\n"
		     "client_order_prefix = x\n",
		     UNIT_REQUIRE_BOT, 2, "listed twice");
	/* Distinct symbols still load, upper-cased. */
	CU_ASSERT_EQUAL(load(&c, "[bot]\nsymbols = btcusdt , ETHUSDT\n", 0,
			     path, sizeof(path)),
			0);
	CU_ASSERT_EQUAL(c.bot.nsymbols, 2);
	CU_ASSERT_STRING_EQUAL(c.bot.symbols[0], "BTCUSDT");
	expect_error("[exchange]\nweight_budget_pct = 0\n", 0, 2,
		     "out of range");
	expect_error("[exchange]\nweight_budget_pct = 101\n", 0, 2,
		     "out of range");
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
	expect_error("[exchange]\napi_key_env =\n", 0, 2, "must not be empty");
}

static void
test_config_cross_check(void)
{
	expect_error("[shutdown]\ncancel_timeout_ms = 20000\n"
		     "total_timeout_ms = 21000\n",
		     0, 3, "must cover");
	expect_error("[shutdown]\ncancel_timeout_ms = 30000\n", 0, 2,
		     "must cover");
	/* join_timeout_ms counts too: 10000 + 3000 + 5000 > 15000 */
	expect_error("[shutdown]\ntotal_timeout_ms = 15000\n", 0, 2,
		     "+ join_timeout_ms (18000)");
	expect_error("[shutdown]\nduplicate_signal_ms = -1\n", 0, 2,
		     "duplicate_signal_ms");
	expect_error("[bot]\nclient_order_prefix = a.b\n", 0, 2,
		     "client_order_prefix: \"a.b\": only letters");
	/* 18 + "-" + instance + "-" + seq: within Binance's 36. */
	expect_error("[bot]\nclient_order_prefix = abcdefghijklmnopqrs\n", 0, 2,
		     "client_order_prefix: \"abcdefghijklmnopqrs\" is longer "
		     "than 18 characters");
}

static void
test_config_reload_log(void)
{
	struct bot_config c;
	char path[512];

	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "[bot]\ndry_run = false\n[log]\nlevel = "
				   "warn\n",
				   0, path, sizeof(path)),
			      0);
	c.bot.dry_run = true; /* must survive the reload */
	unit_write(path, sizeof(path), "t.ini",
		   "[bot]\ndry_run = false\n[log]\nlevel = debug\n");
	CU_ASSERT_EQUAL(gs_config_reload_log(c.gs, path, cause), 0);
	CU_ASSERT_EQUAL(c.gs->log.level, GS_LOG_DEBUG);
	CU_ASSERT_TRUE(c.bot.dry_run);
	unit_write(path, sizeof(path), "t.ini", "[log]\nlevel = loud\n");
	CU_ASSERT_EQUAL(gs_config_reload_log(c.gs, path, cause), -EINVAL);
	CU_ASSERT_EQUAL(c.gs->log.level, GS_LOG_DEBUG);
}

static void
test_config_long_line(void)
{
	char text[1024] = "[bot]\nsymbols = ", path[512];
	struct bot_config c;
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


/* ---- INI syntax (tradebotd.ini(5)) ---------------------------------------- */

/* Comments start with ';' or '#' at the start of a line or after
 * whitespace in a value; elsewhere the character is the value's. */
static void
test_config_inline_comments(void)
{
	struct bot_config c;
	char path[512];

	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "# a comment\n[trace]\n"
				   "path = /tmp/x   # note\n"
				   "fsync = false\t; why\n"
				   "[log] # the log\n"
				   "file = /tmp/a#b;c\n",
				   0, path, sizeof(path)),
			      0);
	CU_ASSERT_STRING_EQUAL(c.gs->trace.path, "/tmp/x");
	CU_ASSERT_FALSE(c.gs->trace.fsync);
	CU_ASSERT_STRING_EQUAL(c.gs->log.file, "/tmp/a#b;c");
	CU_ASSERT_EQUAL(gs_config_line(c.gs, "log", "file"), 6);
	CU_ASSERT_EQUAL(gs_config_line(c.gs, "log", "level"), 5);
	/* A comment after a value still leaves an error at its line. */
	expect_error("[bot]\n\ndry_run = maybe # no\n", 0, 3,
		     "dry_run: \"maybe\" is not a boolean");
}

/* "[bot" is named at its own line, not as "unknown section []" later. */
static void
test_config_unclosed_section(void)
{
	expect_error("[log]\nlevel = info\n[bot\nsymbols = X\n", 0, 3,
		     "section header without its closing ']'");
	expect_error("[bot\n", 0, 1, "without its closing ']'");
}

static void
test_config_key_outside_section(void)
{
	expect_error("\nlevel = info\n[log]\n", 0, 2,
		     "\"level\" is outside any section");
}

static void
test_config_bool_words(void)
{
	expect_error("[trace]\nfsync = maybe\n", 0, 2,
		     "\"maybe\" is not a boolean (true, false, yes, no, on, "
		     "off, 1 or 0)");
}

/* ---- the registry: an application's own section ---------------------------- */

struct svc {
	int workers;
	bool verbose;
	char name[16];
	char spool[64];
	int mode;
	char rate[16];
	char color[16];
	int checks;
	bool refuse_cross;
};

static const char *const svc_modes[] = {"fast", "safe", NULL};

static int
svc_color(void *arg, const char *value, char *why, size_t size)
{
	struct svc *s = arg;

	s->checks++;
	if (strcmp(value, "red") != 0 && strcmp(value, "blue") != 0) {
		snprintf(why, size, "\"%s\" is not red or blue", value);
		return -1;
	}
	return 0;
}

static int
svc_cross(void *arg, struct gs_config *cfg, char *why)
{
	struct svc *s = arg;

	if (s->workers > 4 && s->mode == 1)
		return gs_config_error(cfg, "svc", "workers", why,
				       "workers: at most 4 in safe mode");
	return 0;
}

static struct gs_config *
svc_config(struct svc *s, bool required)
{
	const struct gs_option opts[] = {
		{.name = "workers", .type = GS_OPTION_INT, .dest = &s->workers,
		 .min = 1, .max = 16, .def = "2", .help = "threads"},
		{.name = "verbose", .type = GS_OPTION_BOOL, .dest = &s->verbose,
		 .def = "no"},
		{.name = "name", .type = GS_OPTION_STRING, .dest = s->name,
		 .size = sizeof(s->name), .def = "svc", .required = required},
		{.name = "spool", .type = GS_OPTION_PATH, .dest = s->spool,
		 .size = sizeof(s->spool)},
		{.name = "mode", .type = GS_OPTION_ENUM, .dest = &s->mode,
		 .choices = svc_modes, .def = "fast"},
		{.name = "rate", .type = GS_OPTION_DECIMAL, .dest = s->rate,
		 .size = sizeof(s->rate), .def = "0.5"},
		{.name = "color", .type = GS_OPTION_STRING, .dest = s->color,
		 .size = sizeof(s->color), .def = "red", .check = svc_color,
		 .check_arg = s},
	};
	struct gs_config *cfg = gs_config_new();

	memset(s, 0, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "svc", opts,
					      sizeof(opts) / sizeof(opts[0]),
					      cause),
			0);
	CU_ASSERT_EQUAL(gs_config_add_check(cfg, svc_cross, s), 0);
	return cfg;
}

/* Load text into a fresh service config; the code, cfg freed. */
static int
svc_load(const char *text, bool required, struct svc *s, char *path,
	 size_t size)
{
	struct gs_config *cfg = svc_config(s, required);
	int rc;

	unit_write(path, size, "svc.ini", text);
	cause[0] = '\0';
	rc = gs_config_load(cfg, path, cause);
	gs_config_free(cfg);
	return rc;
}

/* Assert the service's load fails with "<path>:<line>: ...needle". */
static void
svc_error(const char *text, bool required, int line, const char *needle)
{
	char path[512], want[600];
	struct svc s;

	CU_ASSERT_EQUAL(svc_load(text, required, &s, path, sizeof(path)),
			-EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	CU_ASSERT_EQUAL(strncmp(cause, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, needle));
	if (strncmp(cause, want, strlen(want)) != 0 || !strstr(cause, needle))
		fprintf(stderr, "\n  got: %s\n  want: %s...%s\n", cause, want,
			needle);
}

static void
test_registry_defaults(void)
{
	struct svc s;
	struct gs_config *cfg = svc_config(&s, false);

	/* Defaults are in place at registration, checked like values. */
	CU_ASSERT_EQUAL(s.workers, 2);
	CU_ASSERT_FALSE(s.verbose);
	CU_ASSERT_STRING_EQUAL(s.name, "svc");
	CU_ASSERT_STRING_EQUAL(s.spool, "");
	CU_ASSERT_EQUAL(s.mode, 0);
	CU_ASSERT_STRING_EQUAL(s.rate, "0.5");
	CU_ASSERT_STRING_EQUAL(s.color, "red");
	CU_ASSERT_EQUAL(s.checks, 1);
	CU_ASSERT_STRING_EQUAL(gs_config_value(cfg, "svc", "workers"), "2");
	CU_ASSERT_STRING_EQUAL(gs_config_value(cfg, "shutdown",
					       "total_timeout_ms"),
			       "25000");
	CU_ASSERT_PTR_NULL(gs_config_value(cfg, "svc", "nope"));
	/* The library's own defaults, with nothing of tradebotd. */
	CU_ASSERT_EQUAL(cfg->shutdown.join_timeout_ms, 5000);
	CU_ASSERT_PTR_NULL(gs_config_value(cfg, "bot", "dry_run"));
	CU_ASSERT_PTR_NULL(gs_config_value(cfg, "shutdown", "cancel_mode"));
	gs_config_free(cfg);
}

static void
test_registry_load(void)
{
	char path[512];
	struct svc s;
	struct gs_config *cfg = svc_config(&s, true);

	unit_write(path, sizeof(path), "svc.ini",
		   "[svc]\nworkers = 16\nverbose = on\nname = abc\n"
		   "spool = /var/spool/x\nmode = safe\nrate = 0.001\n"
		   "color = blue\n[shutdown]\njoin_timeout_ms = 700\n");
	CU_ASSERT_EQUAL_FATAL(gs_config_load(cfg, path, cause), -EINVAL);
	/* the cross-key rule: 16 workers in safe mode */
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "svc.ini:2: workers: at most 4"));
	unit_write(path, sizeof(path), "svc.ini",
		   "[svc]\nworkers = 3\nverbose = on\nname = abc\n"
		   "spool = /var/spool/x\nmode = safe\nrate = 0.001\n"
		   "color = blue\n[shutdown]\njoin_timeout_ms = 700\n");
	CU_ASSERT_EQUAL_FATAL(gs_config_load(cfg, path, cause), 0);
	CU_ASSERT_EQUAL(s.workers, 3);
	CU_ASSERT_TRUE(s.verbose);
	CU_ASSERT_STRING_EQUAL(s.name, "abc");
	CU_ASSERT_STRING_EQUAL(s.spool, "/var/spool/x");
	CU_ASSERT_EQUAL(s.mode, 1);
	CU_ASSERT_STRING_EQUAL(s.rate, "0.001");
	CU_ASSERT_STRING_EQUAL(s.color, "blue");
	CU_ASSERT_EQUAL(cfg->shutdown.join_timeout_ms, 700);
	CU_ASSERT_EQUAL(gs_config_line(cfg, "svc", "color"), 8);
	CU_ASSERT_TRUE(gs_config_is_set(cfg, "svc", "color"));
	CU_ASSERT_STRING_EQUAL(gs_config_path(cfg), path);
	gs_config_free(cfg);
}

/* Every error of an application's key names file:line. */
static void
test_registry_errors(void)
{
	svc_error("[svc]\nworkers = 2\nthreads = 3\n", false, 3,
		  "unknown key \"threads\" in section [svc]");
	svc_error("[svc]\n\nworkers = two\n", false, 3,
		  "workers: \"two\" is not a whole number");
	svc_error("[svc]\nworkers = 17\n", false, 2,
		  "workers: 17 is out of range (1 to 16)");
	svc_error("[svc]\nverbose = maybe\n", false, 2,
		  "verbose: \"maybe\" is not a boolean");
	svc_error("[svc]\nname =\n", false, 2, "name: must not be empty");
	svc_error("[svc]\nname = 0123456789abcdef\n", false, 2,
		  "name: longer than 15 characters");
	svc_error("[svc]\nmode = slow\n", false, 2,
		  "mode: \"slow\" is not one of: fast, safe");
	svc_error("[svc]\nrate = -1\n", false, 2,
		  "rate: \"-1\" is not a positive decimal number");
	svc_error("[svc]\ncolor = green\n", false, 2,
		  "color: \"green\" is not red or blue");
	svc_error("[svc]\nworkers = 2\nworkers = 3\n", false, 3,
		  "[svc] workers is set twice");
	/* Missing required: the section's header, or the file as a whole. */
	svc_error("[log]\n[svc]\nworkers = 2\n", true, 2,
		  "[svc] name is required");
	svc_error("[log]\nlevel = info\n", true, 0, "[svc] name is required");
	svc_error("[svc]\nworkers = 8\nmode = safe\n", false, 2,
		  "workers: at most 4 in safe mode");
}

static void
test_registry_unregistered(void)
{
	struct gs_config *cfg = gs_config_new();
	char path[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	unit_write(path, sizeof(path), "svc.ini", "[log]\n\n[svc]\nx = 1\n");
	CU_ASSERT_EQUAL(gs_config_load(cfg, path, cause), -EINVAL);
	/* Named at its header, where it was written. */
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "svc.ini:3: unknown section "
					     "[svc]"));
	gs_config_free(cfg);
}

/* Bad registrations are refused, saying which. */
static void
test_registry_bad_options(void)
{
	static const char *const none[] = {NULL};
	int v = 0;
	char buf[8];
	const struct gs_option twice[] = {
		{.name = "a", .type = GS_OPTION_INT, .dest = &v, .min = 0,
		 .max = 9, .def = "1"},
		{.name = "a", .type = GS_OPTION_INT, .dest = &v, .min = 0,
		 .max = 9, .def = "1"},
	};
	const struct gs_option bad_default = {
		.name = "a", .type = GS_OPTION_INT, .dest = &v, .min = 0,
		.max = 9, .def = "10"};
	const struct gs_option no_dest = {.name = "a",
					  .type = GS_OPTION_INT, .def = "1"};
	const struct gs_option no_choices = {
		.name = "a", .type = GS_OPTION_ENUM, .dest = &v, .def = "x"};
	const struct gs_option bad_choice = {.name = "a",
					     .type = GS_OPTION_ENUM,
					     .dest = &v, .choices = none,
					     .def = "x"};
	const struct gs_option no_size = {.name = "a",
					  .type = GS_OPTION_STRING,
					  .dest = buf, .def = "x"};
	const struct gs_option bad_name = {.name = "A b",
					   .type = GS_OPTION_BOOL,
					   .dest = &v, .def = "true"};
	const struct gs_option lib_key = {.name = "path",
					  .type = GS_OPTION_PATH, .dest = buf,
					  .size = sizeof(buf)};
	struct gs_config *cfg = gs_config_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "s", twice, 2, cause),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "[s] a is registered twice"));
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "t", &bad_default, 1,
					      cause),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "[t] default of a: 10 is out "
					     "of range"));
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "u", &no_dest, 1, cause),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "u", &no_choices, 1,
					      cause),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "u", &bad_choice, 1,
					      cause),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "\"x\" is not one of"));
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "u", &no_size, 1, cause),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "u", &bad_name, 1,
					      cause),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_config_add_section(cfg, "trace", &lib_key, 1,
					      cause),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "[trace] path is registered "
					     "twice"));
	/* A required string needs no default; an optional one does. */
	{
		const struct gs_option need = {.name = "n",
						.type = GS_OPTION_STRING,
						.dest = buf, .size = sizeof(buf),
						.required = true};
		const struct gs_option opt = {.name = "o",
					       .type = GS_OPTION_STRING,
					       .dest = buf, .size = sizeof(buf)};

		CU_ASSERT_EQUAL(gs_config_add_section(cfg, "v", &need, 1,
						      cause),
				0);
		CU_ASSERT_EQUAL(gs_config_add_section(cfg, "v", &opt, 1,
						      cause),
				-EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(cause, "default of o: must not "
						     "be empty"));
	}
	gs_config_free(cfg);
}

/* --print-defaults: the application's section too, loading back. */
static void
test_registry_write(void)
{
	char *text = NULL, path[512];
	size_t len = 0;
	struct svc s;
	struct gs_config *cfg = svc_config(&s, true);
	FILE *fp = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(gs_config_write(fp, cfg), 0);
	fclose(fp);
	gs_config_free(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "[svc]\n; threads\nworkers = 2\n"
					    "verbose = no\n; required\n"
					    "name = svc\nspool =\n"));
	CU_ASSERT_EQUAL(svc_load(text, true, &s, path, sizeof(path)), 0);
	free(text);
}

/* A SIGHUP reload reads [log] only: the application's values stay. */
static void
test_registry_reload(void)
{
	char path[512];
	struct svc s;
	struct gs_config *cfg = svc_config(&s, false);

	unit_write(path, sizeof(path), "svc.ini",
		   "[svc]\nworkers = 3\n[log]\nlevel = warn\n");
	CU_ASSERT_EQUAL_FATAL(gs_config_load(cfg, path, cause), 0);
	unit_write(path, sizeof(path), "svc.ini",
		   "[svc]\nworkers = 5\n[log]\nlevel = debug\n");
	CU_ASSERT_EQUAL(gs_config_reload_log(cfg, path, cause), 0);
	CU_ASSERT_EQUAL(cfg->log.level, GS_LOG_DEBUG);
	CU_ASSERT_EQUAL(s.workers, 3);
	CU_ASSERT_STRING_EQUAL(gs_config_value(cfg, "svc", "workers"), "3");
	gs_config_free(cfg);
}

static void
test_record_add(void)
{
	json_t *rec = gs_record_new();
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(gs_record_add_int(rec, "n", 42), 0);
	CU_ASSERT_EQUAL(gs_record_add_str(rec, "s", "x\"y"), 0);
	CU_ASSERT_EQUAL(gs_record_add_bool(rec, "b", true), 0);
	CU_ASSERT_EQUAL(gs_record_add_int(NULL, "n", 1), -EINVAL);
	text = json_dumps(rec, JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(text, "{\"n\":42,\"s\":\"x\\\"y\",\"b\":true}");
	free(text);
	gs_record_free(rec);
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
	UNIT_ADD(s, test_config_directory);
	UNIT_ADD(s, test_config_syslog_facility);
	UNIT_ADD(s, test_config_orders_zero);
	UNIT_ADD(s, test_config_urls);
	UNIT_ADD(s, test_config_symbol_as_written);
	UNIT_ADD(s, test_config_lines);
	UNIT_ADD(s, test_config_validate_dirs);
	UNIT_ADD(s, test_config_validate_read_only);
	UNIT_ADD(s, test_config_validate_credentials);
	UNIT_ADD(s, test_config_write);
	UNIT_ADD(s, test_config_syntax_error);
	UNIT_ADD(s, test_config_bad_enum);
	UNIT_ADD(s, test_config_duplicate_key);
	UNIT_ADD(s, test_config_bad_list);
	UNIT_ADD(s, test_config_symbol_list);
	UNIT_ADD(s, test_config_bad_decimal);
	UNIT_ADD(s, test_config_empty_value);
	UNIT_ADD(s, test_config_cross_check);
	UNIT_ADD(s, test_config_reload_log);
	UNIT_ADD(s, test_config_long_line);
	UNIT_ADD(s, test_config_parse_helpers);
	UNIT_ADD(s, test_config_inline_comments);
	UNIT_ADD(s, test_config_unclosed_section);
	UNIT_ADD(s, test_config_key_outside_section);
	UNIT_ADD(s, test_config_bool_words);
	UNIT_ADD(s, test_registry_defaults);
	UNIT_ADD(s, test_registry_load);
	UNIT_ADD(s, test_registry_errors);
	UNIT_ADD(s, test_registry_unregistered);
	UNIT_ADD(s, test_registry_bad_options);
	UNIT_ADD(s, test_registry_write);
	UNIT_ADD(s, test_registry_reload);
	UNIT_ADD(s, test_record_add);
}
