/*
 * main.c - tradebotd: command line, configuration and secrets, start-up
 * checks (exchange reachable, symbols traded, credentials accepted, orders
 * of an earlier run cancelled), the wiring of the shutdown phases, and the
 * summary printed when it ends.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tradebotd.ini"

struct secrets {
	char key[160];
	char secret[160];
};

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: tradebotd [-c FILE] [--dry-run] [--check-config] "
		"[--version] [--help]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --dry-run       place and cancel nothing, whatever the "
		"file says\n"
		"      --check-config  validate the configuration and exit\n",
		DEFAULT_CONFIG);
}

/*
 * The secret comes from an environment variable or a file that only its
 * owner can read; anything else is refused with the reason.
 */
static int
secrets_load(const struct gs_config *cfg, struct secrets *s, char *cause)
{
	const char *v;

	memset(s, 0, sizeof(*s));
	v = getenv(cfg->exchange.api_key_env);
	if (v != NULL)
		snprintf(s->key, sizeof(s->key), "%s", v);
	if (cfg->exchange.api_secret_file[0] != '\0') {
		const char *p = cfg->exchange.api_secret_file;
		struct stat st;
		FILE *fp;
		size_t n;

		if (stat(p, &st) < 0) {
			snprintf(cause, GS_CAUSE_MAX, "%s: api_secret_file %s: %s",
				 cfg->path, p, strerror(errno));
			return -1;
		}
		if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s: api_secret_file %s must be owned by this "
				 "user and of mode 0600 (it is %04o, uid %d)",
				 cfg->path, p, (unsigned)(st.st_mode & 07777),
				 (int)st.st_uid);
			return -1;
		}
		fp = fopen(p, "r");
		if (fp == NULL) {
			snprintf(cause, GS_CAUSE_MAX, "%s: api_secret_file %s: %s",
				 cfg->path, p, strerror(errno));
			return -1;
		}
		n = fread(s->secret, 1, sizeof(s->secret) - 1, fp);
		fclose(fp);
		s->secret[n] = '\0';
		s->secret[strcspn(s->secret, "\r\n")] = '\0';
	} else if (cfg->exchange.api_secret_env[0] != '\0' &&
		   (v = getenv(cfg->exchange.api_secret_env)) != NULL) {
		snprintf(s->secret, sizeof(s->secret), "%s", v);
	}
	if (!cfg->bot.dry_run && (s->key[0] == '\0' || s->secret[0] == '\0')) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s: live trading needs credentials: set $%s and $%s "
			 "(or api_secret_file), or run with --dry-run",
			 cfg->path, cfg->exchange.api_key_env,
			 cfg->exchange.api_secret_file[0]
			     ? "api_secret_file"
			     : cfg->exchange.api_secret_env);
		return -1;
	}
	return 0;
}

/* Symbols traded, filters known; exit code on failure. */
static int
check_symbols(struct bot *bot, char *cause)
{
	const struct gs_config *cfg = bot->cfg;
	struct rest_req req;
	char what[400];
	int i, n, rc;

	for (i = 0; i < cfg->bot.nsymbols; i++)
		snprintf(bot->filters[i].symbol, GS_SYMBOL_MAX, "%s",
			 cfg->bot.symbols[i]);
	rest_req_init(&req, "GET", "/api/v3/exchangeInfo", false);
	{
		/* symbols=["A","B"]: only what is traded here (weight 20). */
		char list[GS_MAX_SYMBOLS * (GS_SYMBOL_MAX + 3) + 4];
		size_t off = 0;

		list[off++] = '[';
		for (i = 0; i < cfg->bot.nsymbols; i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
						"%s\"%s\"", i ? "," : "",
						cfg->bot.symbols[i]);
		snprintf(list + off, sizeof(list) - off, "]");
		sign_append(req.query, sizeof(req.query), "symbols", list);
	}
	rest_one(bot->main_rest, &req);
	if (req.status != 200) {
		rest_describe(&req, what, sizeof(what));
		rc = req.code == -1121 ? GS_EXIT_CONFIG : GS_EXIT_UNAVAILABLE;
		snprintf(cause, GS_CAUSE_MAX, "%s%sGET /api/v3/exchangeInfo: %s",
			 rc == GS_EXIT_CONFIG ? cfg->path : "",
			 rc == GS_EXIT_CONFIG ? ": symbols: " : "", what);
		rest_req_reset(&req);
		return rc;
	}
	n = parse_filters(req.body, req.len, bot->filters, cfg->bot.nsymbols);
	if (n < 0) {
		parse_excerpt(req.body, req.len, what, sizeof(what));
		snprintf(cause, GS_CAUSE_MAX,
			 "GET /api/v3/exchangeInfo: malformed reply: %s", what);
		rest_req_reset(&req);
		return GS_EXIT_UNAVAILABLE;
	}
	rest_req_reset(&req);
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		if (!bot->filters[i].trading || bot->filters[i].tick_size <= 0) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s: symbols: %s is not traded on %s",
				 cfg->path, cfg->bot.symbols[i],
				 cfg->exchange.rest_url);
			return GS_EXIT_CONFIG;
		}
	}
	return 0;
}

/* A signed call the exchange must accept; exit code on failure. */
static int
check_credentials(struct bot *bot, char *cause)
{
	struct rest_req req;
	char what[400];
	int rc = 0;

	rest_req_init(&req, "GET", "/api/v3/openOrders", true);
	sign_append(req.query, sizeof(req.query), "symbol",
		    bot->cfg->bot.symbols[0]);
	rest_one(bot->main_rest, &req);
	if (req.status != 200) {
		rest_describe(&req, what, sizeof(what));
		if (req.status == 401 || req.code == -2014 ||
		    req.code == -2015 || req.code == -1022)
			snprintf(cause, GS_CAUSE_MAX,
				 "credentials refused by %s: %s",
				 bot->cfg->exchange.rest_url, what);
		else
			snprintf(cause, GS_CAUSE_MAX,
				 "signed request to %s failed: %s",
				 bot->cfg->exchange.rest_url, what);
		rc = GS_EXIT_UNAVAILABLE;
	}
	rest_req_reset(&req);
	return rc;
}

static void
status_line(void *arg, char *buf, size_t size)
{
	struct bot *bot = arg;

	pthread_mutex_lock(&bot->mu);
	snprintf(buf, size, "orders_resting=%d streams_up=%d inflight=%d",
		 bot->cfg->bot.dry_run ? bot->dry_orders : bot->resting,
		 bot->streams_up, bot->inflight);
	pthread_mutex_unlock(&bot->mu);
}

/* Keep each phase's figures for the summary. */
static void
state_entered(void *arg, enum gs_state state, json_t *detail)
{
	struct bot *bot = arg;
	int prev = (int)state - 1;

	if (state == GS_STATE_CANCELLING) {
		json_decref(bot->shutdown_cause);
		bot->shutdown_cause = json_deep_copy(detail);
	} else if (prev >= GS_STATE_CANCELLING && state != GS_STATE_EXIT + 1) {
		json_decref(bot->phase_detail[prev]);
		bot->phase_detail[prev] = json_deep_copy(detail);
	}
}

static long long
fig(json_t *d, const char *key)
{
	return (long long)json_integer_value(json_object_get(d, key));
}

static void
print_summary(struct bot *bot, int code)
{
	json_t *c = bot->phase_detail[GS_STATE_CANCELLING];
	json_t *l = bot->phase_detail[GS_STATE_CLOSING];
	json_t *j = bot->phase_detail[GS_STATE_JOINING];
	json_t *why = bot->shutdown_cause;
	const char *sig = json_string_value(json_object_get(why, "signal"));
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	/* Built in memory, written without blocking: a paused terminal or a
	 * full pipe on stderr must not hold the exit. */
	if (out == NULL)
		return;

	fprintf(out, "\n== tradebotd shutdown summary ==========================\n");
	if (sig != NULL)
		fprintf(out, " cause        %s from pid %lld\n", sig,
			fig(why, "sender_pid"));
	else
		fprintf(out, " cause        %s\n",
			json_string_value(json_object_get(why, "reason"))
			    ? json_string_value(json_object_get(why, "reason"))
			    : "-");
	if (json_is_true(json_object_get(c, "skipped")))
		fprintf(out, " orders       skipped (%s), would cancel "
				"%lld                [CANCELLING %lld ms]\n",
			json_string_value(json_object_get(c, "reason")),
			fig(c, "would_cancel"), fig(c, "elapsed_ms"));
	else
		fprintf(out,
			" orders       found %lld, cancelled %lld, already "
			"gone %lld, remaining %s  [CANCELLING %lld ms]\n",
			fig(c, "orders_found"), fig(c, "orders_cancelled"),
			fig(c, "orders_already_gone"),
			json_is_integer(json_object_get(c, "orders_remaining"))
			    ? (fig(c, "orders_remaining") ? "SOME" : "0")
			    : "UNKNOWN",
			fig(c, "elapsed_ms"));
	fprintf(out,
		" streams      %lld closed (close %lld sent), %lld forced    "
		"[CLOSING %lld ms]\n",
		fig(l, "streams_closed"), fig(l, "close_code_sent"),
		fig(l, "streams_forced"), fig(l, "elapsed_ms"));
	fprintf(out,
		" threads      %lld joined, %lld not joined              "
		"[JOINING %lld ms]\n",
		fig(j, "threads_joined"), fig(j, "threads_not_joined"),
		fig(j, "elapsed_ms"));
	fprintf(out, " exit code    %d (%s)\n", code,
		code == 0    ? "clean"
		: code == 75 ? "degraded: see the trace"
		: code == 69 ? "exchange unavailable"
			     : "see the log");
	fprintf(out, " trace        %s (run %s)\n", bot->cfg->trace.path,
		gs_supervisor_run_id(bot->sup));
	fprintf(out, "=======================================================\n");
	if (fclose(out) == 0)
		gs_log_raw(text, len);
	free(text);
}

static int
ensure_dir(const char *path, char *cause)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(cause, GS_CAUSE_MAX, "state_dir %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Start-up after the supervisor exists: the exit code, or 0 to run. */
static int
start(struct bot *bot, const struct secrets *sec, char *cause)
{
	const struct gs_config *cfg = bot->cfg;
	struct timespec dl;
	int rc;

	if (rest_client_new(&bot->main_rest, cfg, sec->key, sec->secret) < 0 ||
	    rest_client_new(&bot->strategy_rest, cfg, sec->key, sec->secret) <
		0) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return GS_EXIT_UNAVAILABLE;
	}
	if (!cfg->exchange.tls_verify)
		log_warn("tls_verify = false: the exchange's certificate is NOT "
			 "checked; anyone on the path can read and alter "
			 "orders");
	if (rest_sync_time(bot->main_rest, cause) < 0)
		return GS_EXIT_UNAVAILABLE;
	rest_sync_time(bot->strategy_rest, cause);
	rc = check_symbols(bot, cause);
	if (rc != 0)
		return rc;
	if (!cfg->bot.dry_run) {
		rc = check_credentials(bot, cause);
		if (rc != 0)
			return rc;
		if (cancel_recover(bot, cause) < 0)
			return GS_EXIT_UNAVAILABLE;
	}
	if (stream_new(&bot->stream, bot, cause) < 0)
		return GS_EXIT_CONFIG;
	gs_worker_add(bot->sup, "lws", stream_main, bot->stream, stream_wake,
		      bot->stream);
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms * 3);
	if (!stream_wait_up(bot->stream, &dl) && !gs_shutdown_pending(bot->sup))
		log_warn("market data: not connected yet; the grid waits for "
			 "prices");
	gs_phase_set(bot->sup, GS_STATE_CLOSING, stream_close_phase,
		     bot->stream);
	gs_worker_add(bot->sup, "strategy", strategy_main, bot, strategy_wake,
		      bot);
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms * 3);
	if (strategy_wait_placed(bot, &dl) < 0 && !gs_shutdown_pending(bot->sup))
		log_warn("the grid is not complete yet; reporting ready anyway");
	log_info("running: %d symbols, %d orders each, %s", cfg->bot.nsymbols,
		 cfg->bot.orders_per_symbol,
		 cfg->bot.dry_run ? "DRY RUN (nothing is sent)" : "live");
	gs_notify("READY=1\nSTATUS=RUNNING: %d symbols, %d orders each%s",
		  cfg->bot.nsymbols, cfg->bot.orders_per_symbol,
		  cfg->bot.dry_run ? ", dry run" : "");
	return 0;
}

static void
bot_free(struct bot *bot)
{
	int i;

	stream_free(bot->stream);
	rest_client_free(bot->main_rest);
	rest_client_free(bot->strategy_rest);
	for (i = 0; i < GS_STATE_COUNT; i++)
		json_decref(bot->phase_detail[i]);
	json_decref(bot->shutdown_cause);
	json_decref(bot->known);
	pthread_mutex_destroy(&bot->mu);
	pthread_cond_destroy(&bot->cv);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"dry-run", no_argument, NULL, 'n'},
		{"check-config", no_argument, NULL, 'C'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG;
	bool dry = false, check = false;
	char cause[GS_CAUSE_MAX];
	unsigned char rnd[4];
	struct gs_config cfg;
	struct secrets sec;
	struct bot bot;
	int c, code;

	/* Before any thread exists: curl, lws and our own come later. */
	if (gs_signals_block() < 0)
		return 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'C':
			check = true;
			break;
		case 'V':
			printf("tradebotd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return GS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return GS_EXIT_USAGE;
	}
	gs_config_defaults(&cfg);
	if (gs_config_load(&cfg, path, GS_CONFIG_REQUIRE_BOT, cause) < 0) {
		fprintf(stderr, "tradebotd: %s\n", cause);
		return GS_EXIT_CONFIG;
	}
	if (dry)
		cfg.bot.dry_run = true;
	if (secrets_load(&cfg, &sec, cause) < 0) {
		fprintf(stderr, "tradebotd: %s\n", cause);
		return GS_EXIT_CONFIG;
	}
	if (check) {
		printf("%s: configuration OK (%d symbols, %s)\n", path,
		       cfg.bot.nsymbols, cfg.bot.dry_run ? "dry run" : "live");
		explicit_bzero(&sec, sizeof(sec));
		return 0;
	}
	if (gs_log_open(cfg.log.level, cfg.log.file, cfg.log.syslog,
			cfg.log.syslog_facility, "tradebotd") < 0) {
		fprintf(stderr, "tradebotd: %s: log file %s: %s\n", path,
			cfg.log.file, strerror(errno));
		return GS_EXIT_CONFIG;
	}
	if (ensure_dir(cfg.bot.state_dir, cause) < 0) {
		log_error("%s", cause);
		return GS_EXIT_CONFIG;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		return 1;
	}

	memset(&bot, 0, sizeof(bot));
	bot.cfg = &cfg;
	pthread_mutex_init(&bot.mu, NULL);
	pthread_cond_init(&bot.cv, NULL);
	snprintf(bot.prefix, sizeof(bot.prefix), "%s-",
		 cfg.bot.client_order_prefix);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(bot.run_tag, sizeof(bot.run_tag), "%02x%02x%02x%02x", rnd[0],
		 rnd[1], rnd[2], rnd[3]);

	if (gs_supervisor_new(&bot.sup, &cfg, PACKAGE_VERSION, cause) < 0) {
		log_error("%s", cause);
		bot_free(&bot);
		curl_global_cleanup();
		return GS_EXIT_CONFIG;
	}
	gs_set_status_hook(bot.sup, status_line, &bot);
	gs_set_force_hook(bot.sup, cancel_force_hook, &bot);
	gs_set_state_hook(bot.sup, state_entered, &bot);
	gs_phase_set(bot.sup, GS_STATE_CANCELLING, cancel_phase, &bot);

	code = start(&bot, &sec, cause);
	explicit_bzero(&sec, sizeof(sec));
	if (code != 0) {
		log_error("%s", cause);
		gs_request_shutdown(bot.sup, code, cause);
	}
	code = gs_supervisor_run(bot.sup);
	print_summary(&bot, code);
	gs_supervisor_free(bot.sup);
	bot_free(&bot);
	curl_global_cleanup();
	gs_log_close();
	return code;
}
