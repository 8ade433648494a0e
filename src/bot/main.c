/*
 * main.c - tradebotd: command line, configuration and secrets, start-up
 * checks (exchange reachable, symbols traded, credentials accepted, orders
 * of an earlier run cancelled), the wiring of the shutdown phases, and the
 * summary printed when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tradebotd.ini"
/* READY=1 waits this long for room in a full notification queue. */
#define NOTIFY_READY_WAIT_MS 2000
/*
 * libwebsockets' client writes its request line into 2048 bytes ("GET "
 * path " HTTP/1.1\r\n"): a longer combined-stream path would be cut.
 */

struct secrets {
	char key[160];
	char secret[160];
};

extern char **environ;

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: tradebotd [-c FILE] [--dry-run] [--check-config] "
		"[--recover-orphans]\n"
		"                 [--print-defaults] [--version] [--help]\n"
		"  -c, --config FILE     configuration (default %s)\n"
		"      --dry-run         place and cancel nothing, whatever "
		"the file says\n"
		"      --check-config    run every start-up check that needs "
		"no network, and exit\n"
		"      --recover-orphans at start-up, cancel the orders of "
		"client_order_prefix\n"
		"                        that another instance (state_dir) "
		"placed, too\n"
		"      --print-defaults  print every key with its default, "
		"and exit\n",
		DEFAULT_CONFIG);
}

/* "1 symbol", "2 symbols". */
static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

/*
 * Take a secret out of the environment: copy the value, remove the
 * variable, and wipe the original "NAME=value" bytes, which
 * /proc/PID/environ keeps showing for the life of the process.  Runs
 * before any thread exists.
 */
static int
env_take(const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	char *entries[8];
	int n = 0, i, rc = 0;
	char **e;

	out[0] = '\0';
	for (e = environ; e != NULL && *e != NULL && n < 8; e++)
		if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=')
			entries[n++] = *e;
	if (n == 0)
		return 0;
	if ((size_t)snprintf(out, size, "%s", entries[0] + nlen + 1) >= size) {
		explicit_bzero(out, size);
		rc = -ENOSPC;
	}
	unsetenv(name);
	for (i = 0; i < n; i++)
		explicit_bzero(entries[i] + nlen + 1,
			       strlen(entries[i] + nlen + 1));
	return rc;
}

/*
 * Everything the daemon checks before it touches the network, shared by
 * the run and --check-config so both give the same answer: the file, then
 * what it names on this machine (directories, credentials).  Exit code.
 */
static int
config_prepare(struct bot_config *cfg, const char *path, bool dry,
	       char *cause)
{
	if (bot_config_init(cfg, true, cause) < 0 ||
	    bot_config_load(cfg, path, cause) < 0)
		return GS_EXIT_CONFIG;
	if (dry)
		cfg->bot.dry_run = true;
	if (bot_config_validate(cfg, cause) < 0)
		return GS_EXIT_CONFIG;
	return 0;
}

/*
 * Read the credentials bot_config_validate() found present: the secret
 * from the environment (then removed from it) or from api_secret_file,
 * opened without following a symlink and checked again on the open file.
 * With an Ed25519 or RSA key there is no secret: keys_load() reads the
 * key file.  api_secret_env's variable is removed and wiped whenever it
 * is set, used or not.
 */
static int
secrets_load(const struct bot_config *cfg, struct secrets *s, char *cause)
{
	bool hmac = cfg->exchange.key_type == BOT_KEY_HMAC;
	const char *v;

	memset(s, 0, sizeof(*s));
	/*
	 * A secret in the environment that is not used (a key file signs,
	 * or api_secret_file is read) is still a secret: out of
	 * /proc/PID/environ with it.
	 */
	if (cfg->exchange.api_secret_env[0] != '\0' &&
	    (!hmac || cfg->exchange.api_secret_file[0] != '\0')) {
		char unused[sizeof(s->secret)];

		(void)env_take(cfg->exchange.api_secret_env, unused,
			       sizeof(unused));
		explicit_bzero(unused, sizeof(unused));
	}
	v = getenv(cfg->exchange.api_key_env);
	if (v != NULL &&
	    (size_t)snprintf(s->key, sizeof(s->key), "%s", v) >= sizeof(s->key)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: $%s is longer than %zu bytes: not an API key",
			 cfg->path,
			 bot_config_line(cfg, "exchange", "api_key_env"),
			 cfg->exchange.api_key_env, sizeof(s->key) - 1);
		return -1;
	}
	if (hmac && cfg->exchange.api_secret_file[0] != '\0') {
		const char *p = cfg->exchange.api_secret_file;
		struct stat st;
		FILE *fp;
		size_t n;
		int fd;

		/* O_NONBLOCK: a FIFO must not hang the start in open(). */
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				 O_NOCTTY);
		if (fd < 0 || fstat(fd, &st) < 0) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: api_secret_file %s: %s", cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_file"),
				 p, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: api_secret_file %s is not a regular "
				 "file",
				 cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_file"),
				 p);
			close(fd);
			return -1;
		}
		if (!bot_secret_file_private(p, &st)) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s: api_secret_file %s must be owned by this "
				 "user and of mode 0600 (it is %04o, uid %d)",
				 cfg->path, p, (unsigned)(st.st_mode & 07777),
				 (int)st.st_uid);
			close(fd);
			return -1;
		}
		fp = fdopen(fd, "r");
		if (fp == NULL) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: api_secret_file %s: %s", cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_file"),
				 p, strerror(errno));
			close(fd);
			return -1;
		}
		setvbuf(fp, NULL, _IONBF, 0); /* no stdio copy of the secret */
		n = fread(s->secret, 1, sizeof(s->secret) - 1, fp);
		fclose(fp);
		s->secret[n] = '\0';
		if (n == sizeof(s->secret) - 1 &&
		    strcspn(s->secret, "\r\n") == n) {
			explicit_bzero(s->secret, sizeof(s->secret));
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: api_secret_file %s: its first line is "
				 "longer than %zu bytes: not an API secret",
				 cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_file"),
				 p, sizeof(s->secret) - 2);
			return -1;
		}
		s->secret[strcspn(s->secret, "\r\n")] = '\0';
		if (!cfg->bot.dry_run && s->secret[0] == '\0') {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: api_secret_file %s: its first line is "
				 "empty",
				 cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_file"),
				 p);
			return -1;
		}
	} else if (hmac && cfg->exchange.api_secret_env[0] != '\0') {
		if (env_take(cfg->exchange.api_secret_env, s->secret,
			     sizeof(s->secret)) < 0) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: $%s is longer than %zu bytes: not an "
				 "API secret",
				 cfg->path,
				 bot_config_line(cfg, "exchange",
						"api_secret_env"),
				 cfg->exchange.api_secret_env,
				 sizeof(s->secret) - 1);
			return -1;
		}
	}
	return 0;
}

/* symbols=["A","B"]: only what is traded here (weight 20); -ENOSPC. */
static int
symbols_param(struct bot *bot, struct rest_req *req)
{
	const struct bot_config *cfg = bot->cfg;
	char list[BOT_MAX_SYMBOLS * (BOT_SYMBOL_MAX + 3) + 4];
	size_t off = 0;
	int i, n;

	list[off++] = '[';
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		n = snprintf(list + off, sizeof(list) - off, "%s\"%s\"",
			     i ? "," : "", cfg->bot.symbols[i]);
		if (n < 0 || (size_t)n >= sizeof(list) - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	if (off + 2 > sizeof(list))
		return -ENOSPC;
	list[off++] = ']';
	list[off] = '\0';
	return sign_append(req->query, sizeof(req->query), "symbols", list);
}

/* REQUEST_WEIGHT from exchangeInfo.rateLimits, into the budget. */
static void
weight_limit(struct bot *bot, const struct rest_req *req)
{
	int limit, interval_ms;

	if (parse_weight_limit(req->body, req->len, &limit, &interval_ms) <
	    0) {
		log_warn("exchangeInfo has no REQUEST_WEIGHT limit; only "
			 "Retry-After keeps the request rate in check");
		return;
	}
	budget_set_limit(&bot->budget, limit, interval_ms);
	log_info("request weight: limit %d per %d s, %d%% of it ours while "
		 "running, the IP's use held under %d%%",
		 limit, interval_ms / 1000,
		 bot->cfg->exchange.weight_budget_pct, BUDGET_CEILING_PCT);
}

/* ORDERS from exchangeInfo.rateLimits: placements are paced under it. */
static void
order_limit(struct bot *bot, const struct rest_req *req)
{
	int limit, interval_ms;

	if (parse_order_limit(req->body, req->len, &limit, &interval_ms) < 0) {
		log_warn("exchangeInfo has no ORDERS limit; placements are "
			 "not paced");
		return;
	}
	budget_set_order_limit(&bot->budget, limit, interval_ms);
	log_info("orders: limit %d per %d s, placements paced under it",
		 limit, interval_ms / 1000);
}

/* Symbols traded, filters known; exit code on failure. */
static int
check_symbols(struct bot *bot, char *cause)
{
	const struct bot_config *cfg = bot->cfg;
	struct rest_req req;
	char what[400];
	int i, n, rc;

	for (i = 0; i < cfg->bot.nsymbols; i++)
		snprintf(bot->filters[i].symbol, BOT_SYMBOL_MAX, "%s",
			 cfg->bot.symbols[i]);
	rest_req_init(&req, "GET", "/api/v3/exchangeInfo", false);
	if (symbols_param(bot, &req) < 0) {
		/* The limits of the config keep this from happening. */
		snprintf(cause, GS_CAUSE_MAX,
			 "%s: symbols: %d symbols make a request longer than "
			 "%d bytes",
			 cfg->path, cfg->bot.nsymbols, BOT_QUERY_MAX);
		return GS_EXIT_CONFIG;
	}
	rest_one(bot->main_rest, &req);
	if (gs_shutdown_pending(bot->sup)) {
		rest_req_reset(&req);
		return 0;
	}
	if (req.status != 200) {
		rest_describe(&req, what, sizeof(what));
		rc = req.code == -1121 ? GS_EXIT_CONFIG : GS_EXIT_UNAVAILABLE;
		if (rc == GS_EXIT_CONFIG)
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: symbols: GET /api/v3/exchangeInfo: %s",
				 cfg->path,
				 bot_config_line(cfg, "bot", "symbols"), what);
		else
			snprintf(cause, GS_CAUSE_MAX,
				 "GET /api/v3/exchangeInfo: %s", what);
		rest_req_reset(&req);
		return rc;
	}
	weight_limit(bot, &req);
	order_limit(bot, &req);
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
				 "%s:%d: symbols: %s is not traded on %s",
				 cfg->path,
				 bot_config_line(cfg, "bot", "symbols"),
				 cfg->bot.symbols[i], cfg->exchange.rest_url);
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
	if (sign_append(req.query, sizeof(req.query), "symbol",
			bot->cfg->bot.symbols[0]) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "%s: symbols: %s is too long",
			 bot->cfg->path, bot->cfg->bot.symbols[0]);
		return GS_EXIT_CONFIG;
	}
	rest_one(bot->main_rest, &req);
	if (req.status != 200 && !gs_shutdown_pending(bot->sup)) {
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

	int64_t now = gs_mono_ns() / 1000000;
	int spent, cap;

	pthread_mutex_lock(&bot->budget.mu);
	spent = budget_spent(&bot->budget, now);
	cap = budget_cap(&bot->budget, true);
	pthread_mutex_unlock(&bot->budget.mu);
	pthread_mutex_lock(&bot->mu);
	snprintf(buf, size,
		 "orders_resting=%d streams_up=%d inflight=%d weight_1m=%d/%d "
		 "missing=\"%s\"",
		 bot->cfg->bot.dry_run ? bot->dry_orders : bot->resting,
		 bot->streams_up, bot->inflight, spent, cap,
		 bot->missing[0] ? bot->missing : "nothing");
	pthread_mutex_unlock(&bot->mu);
}

/*
 * What the workers used to reach the exchange: the streams (libwebsockets'
 * context), the REST clients (their connections, TLS sessions) and the
 * pool.  Only once no worker runs.
 */
static void
bot_release(struct bot *bot)
{
	/* The user stream's context first: market data's set TLS up. */
	ustream_free(bot->ustream);
	bot->ustream = NULL;
	stream_free(bot->stream);
	bot->stream = NULL;
	rest_client_free(bot->main_rest);
	bot->main_rest = NULL;
	rest_client_free(bot->strategy_rest);
	bot->strategy_rest = NULL;
	pool_free(bot->pool);
	bot->pool = NULL;
}

/*
 * Keep each phase's figures for the summary.  EXIT entered from a JOINING
 * that joined every worker (the main thread writes that record): the
 * clients go now, before the EXIT record, so the teardown after it is
 * short (the user waits for the process to end, not for the record).
 */
static void
state_entered(void *arg, enum gs_state state, json_t *detail)
{
	struct bot *bot = arg;
	int prev = (int)state - 1;
	json_t *late = json_object_get(detail, "threads_not_joined");

	if (state == GS_STATE_CANCELLING) {
		json_decref(bot->shutdown_cause);
		bot->shutdown_cause = json_deep_copy(detail);
	} else if (prev >= GS_STATE_CANCELLING && state != GS_STATE_EXIT + 1) {
		json_decref(bot->phase_detail[prev]);
		bot->phase_detail[prev] = json_deep_copy(detail);
	}
	if (state == GS_STATE_EXIT && json_is_integer(late) &&
	    json_integer_value(late) == 0)
		bot_release(bot);
}

static long long
fig(json_t *d, const char *key)
{
	return (long long)json_integer_value(json_object_get(d, key));
}

/* Who sent the signal, from the trace detail of its record. */
static void
summary_sender(json_t *why, const char *sig, char *buf, size_t size)
{
	const char *who = json_string_value(json_object_get(why, "sender"));

	if (who != NULL && strcmp(who, "kernel") == 0)
		snprintf(buf, size, "the kernel%s",
			 strcmp(sig, "SIGTERM") != 0 ? " (terminal)" : "");
	else if (who != NULL)
		snprintf(buf, size, "a process outside this PID namespace");
	else
		snprintf(buf, size, "pid %lld", fig(why, "sender_pid"));
}

/* A reason for the summary: it may quote the exchange, so escaped. */
static const char *
summary_text(json_t *s, char *buf, size_t size)
{
	const char *v = json_string_value(s);

	gs_log_escape(buf, size, v ? v : "", v ? strlen(v) : 0);
	return buf;
}

struct summary_row {
	const char *label;
	char text[256];
	const char *phase;
	long long ms;
};

static void
print_summary(struct bot *bot, int code)
{
	json_t *c = bot->phase_detail[GS_STATE_CANCELLING];
	json_t *l = bot->phase_detail[GS_STATE_CLOSING];
	json_t *j = bot->phase_detail[GS_STATE_JOINING];
	json_t *why = bot->shutdown_cause;
	const char *sig = json_string_value(json_object_get(why, "signal"));
	struct summary_row rows[3] = {
		{"orders", "", "CANCELLING", fig(c, "elapsed_ms")},
		{"streams", "", "CLOSING", fig(l, "elapsed_ms")},
		{"threads", "", "JOINING", fig(j, "elapsed_ms")},
	};
	char sender[96], reason[200];
	int i, width = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (json_is_true(json_object_get(c, "skipped")))
		snprintf(rows[0].text, sizeof(rows[0].text),
			 "skipped (%s), would cancel %lld",
			 summary_text(json_object_get(c, "reason"), reason,
				      sizeof(reason)),
			 fig(c, "would_cancel"));
	else
		snprintf(rows[0].text, sizeof(rows[0].text),
			 "found %lld, cancelled %lld, already gone %lld, "
			 "remaining %s",
			 fig(c, "orders_found"), fig(c, "orders_cancelled"),
			 fig(c, "orders_already_gone"),
			 json_is_integer(json_object_get(c, "orders_remaining"))
			     ? (fig(c, "orders_remaining") ? "SOME" : "0")
			     : "UNKNOWN");
	snprintf(rows[1].text, sizeof(rows[1].text),
		 "%lld closed (close %lld sent), %lld forced",
		 fig(l, "streams_closed"), fig(l, "close_code_sent"),
		 fig(l, "streams_forced"));
	snprintf(rows[2].text, sizeof(rows[2].text),
		 "%lld joined, %lld not joined", fig(j, "threads_joined"),
		 fig(j, "threads_not_joined"));
	for (i = 0; i < 3; i++)
		if ((int)strlen(rows[i].text) > width)
			width = (int)strlen(rows[i].text);

	/* Built in memory, written without blocking: a paused terminal or a
	 * full pipe on stderr must not hold the exit. */
	out = open_memstream(&text, &len);
	if (out == NULL)
		return;
	fprintf(out, "\n== tradebotd shutdown summary ==========================\n");
	if (sig != NULL) {
		summary_sender(why, sig, sender, sizeof(sender));
		fprintf(out, " cause        %s from %s\n", sig, sender);
	} else {
		fprintf(out, " cause        %s\n",
			json_string_value(json_object_get(why, "reason"))
			    ? summary_text(json_object_get(why, "reason"),
					   reason, sizeof(reason))
			    : "-");
	}
	for (i = 0; i < 3; i++)
		fprintf(out, " %-12s %-*s  [%s %lld ms]\n", rows[i].label,
			width, rows[i].text, rows[i].phase, rows[i].ms);
	fprintf(out, " exit code    %d (%s)\n", code,
		code == 0    ? "clean"
		: code == 75 ? "degraded: see the trace"
		: code == 69 ? "exchange unavailable"
		: code == BOT_EXIT_OSERR ? "a thread could not be started"
			     : "see the log");
	fprintf(out, " trace        %s (run %s)\n",
		gs_config_value(bot->cfg->gs, "trace", "path"),
		gs_supervisor_run_id(bot->sup));
	fprintf(out, "=======================================================\n");
	if (fclose(out) == 0)
		gs_log_raw(text, len);
	free(text);
}

/*
 * state_dir itself (bot_config_validate() saw that its parent exists),
 * opened once, without following a symlink, and judged on that open
 * descriptor: the snapshot is written through it, so a directory swapped
 * in later under the same name is never written to.  The descriptor, or
 * -1 with cause.
 */
static int
ensure_dir(const struct bot_config *cfg, char *cause)
{
	const char *path = cfg->bot.state_dir;
	struct stat st;
	int fd;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		goto fail;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: state_dir %s is not a directory (a "
				 "symbolic link is not followed)",
				 cfg->path,
				 bot_config_line(cfg, "bot", "state_dir"), path);
			return -1;
		}
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: state_dir %s must be owned by this user (uid "
			 "%d) and not group- or world-writable (it is uid %d, "
			 "mode %04o)",
			 cfg->path, bot_config_line(cfg, "bot", "state_dir"),
			 path, (int)geteuid(), (int)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
fail:
	snprintf(cause, GS_CAUSE_MAX, "%s:%d: state_dir %s: %s", cfg->path,
		 bot_config_line(cfg, "bot", "state_dir"), path,
		 strerror(errno));
	return -1;
}

/* A shutdown was asked for during start-up: stop starting, quietly. */
static bool
interrupted(struct bot *bot)
{
	if (!gs_shutdown_pending(bot->sup))
		return false;
	log_info("start-up interrupted by a shutdown request");
	return true;
}

/*
 * The exchange checks of start-up.  They run before the supervisor does,
 * so a stop request abandons their requests at once (REST_STOP_ABORT).
 */
static int
start_checks(struct bot *bot, char *cause)
{
	const struct bot_config *cfg = bot->cfg;
	int rc;

	if (rest_sync_time(bot->main_rest, cause) < 0)
		return interrupted(bot) ? 0 : GS_EXIT_UNAVAILABLE;
	rc = check_symbols(bot, cause);
	if (rc != 0 || interrupted(bot))
		return interrupted(bot) ? 0 : rc;
	if (!cfg->bot.dry_run) {
		rc = check_credentials(bot, cause);
		if (rc != 0 || interrupted(bot))
			return interrupted(bot) ? 0 : rc;
		if (cancel_recover(bot, cause) < 0)
			return interrupted(bot) ? 0 : GS_EXIT_UNAVAILABLE;
	}
	return 0;
}

/* A start-up error on stderr: it may quote the configuration file, so
 * escaped as a log line is. */
static void
say_cause(const char *cause)
{
	char text[2 * GS_CAUSE_MAX];

	gs_log_escape(text, sizeof(text), cause, strlen(cause));
	fprintf(stderr, "tradebotd: %s\n", text);
}

/* Say it where a person sees it, whatever [log] says. */
static void
warn_loud(const struct bot_config *cfg, const char *msg)
{
	const char *file = gs_config_value(cfg->gs, "log", "file");
	bool syslog = false;

	log_warn("%s", msg);
	gs_parse_bool(gs_config_value(cfg->gs, "log", "syslog"), &syslog);
	if (file[0] != '\0' || syslog)
		fprintf(stderr, "tradebotd: warning: %s\n", msg);
}

#define TLS_OFF_WARNING                                                        \
	"tls_verify = false: the exchange's certificate is NOT checked; "      \
	"anyone on the path can read and alter orders"

/*
 * A worker that did not start (pthread_create refused: no memory for its
 * stack, a thread limit): half a daemon is no daemon.  Nothing says READY;
 * the shutdown that follows cancels whatever was placed, and the exit
 * code is BOT_EXIT_OSERR.
 */
static int
worker_failed(const char *name, int rc, char *cause)
{
	snprintf(cause, GS_CAUSE_MAX,
		 "cannot start the %s thread: %s; not running without it",
		 name, strerror(-rc));
	return BOT_EXIT_OSERR;
}

/* Start-up after the supervisor exists: the exit code, or 0 to run. */
static int
start(struct bot *bot, const struct secrets *sec, const struct sign_key *key,
      char *cause)
{
	const struct bot_config *cfg = bot->cfg;
	char missing[sizeof(bot->missing)];
	struct timespec dl;
	int rc;

	if (rest_client_new(&bot->main_rest, cfg, sec->key, key) < 0 ||
	    rest_client_new(&bot->strategy_rest, cfg, sec->key, key) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return GS_EXIT_UNAVAILABLE;
	}
	/* One clock offset and one weight budget for both clients. */
	rest_client_budget(bot->main_rest, &bot->budget);
	rest_client_share(bot->strategy_rest, bot->main_rest);
	rest_client_on_stop(bot->main_rest, REST_STOP_ABORT);
	cancel_prepare(bot);
	rc = start_checks(bot, cause);
	rest_client_on_stop(bot->main_rest, REST_STOP_KEEP);
	if (rc != 0 || interrupted(bot))
		return rc;
	if (!cfg->bot.dry_run) {
		/* From here on main_rest is the pool's until CANCELLING. */
		if (pool_new(&bot->pool, cfg, bot->main_rest,
			     cancel_fanout(cfg)) < 0) {
			snprintf(cause, GS_CAUSE_MAX, "out of memory");
			return GS_EXIT_UNAVAILABLE;
		}
		pool_warm(bot->pool);
		rc = gs_worker_add(bot->sup, "pool", pool_main, bot->pool,
				   pool_wake, bot->pool);
		if (rc < 0)
			return worker_failed("pool", rc, cause);
	}
	/*
	 * The account's events: the book the shutdown cancels from.  Its
	 * libwebsockets context is made before market data's (ustream.c
	 * says why); its thread starts once market data is up.
	 */
	if (ustream_new(&bot->ustream, bot, sec->key, key, cause) < 0)
		return GS_EXIT_CONFIG;
	if (stream_new(&bot->stream, bot, cause) < 0)
		return GS_EXIT_CONFIG;
	rc = gs_worker_add(bot->sup, "lws", stream_main, bot->stream,
			   stream_wake, bot->stream);
	if (rc < 0)
		return worker_failed("lws", rc, cause);
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms * 3);
	if (!stream_wait_up(bot->stream, &dl) && !gs_shutdown_pending(bot->sup))
		log_warn("market data: not connected yet; the grid waits for "
			 "prices");
	gs_phase_set(bot->sup, GS_STATE_CLOSING, stream_close_phase,
		     bot->stream);
	if (bot->ustream != NULL) {
		rc = gs_worker_add(bot->sup, "ustream", ustream_main,
				   bot->ustream, ustream_wake, bot->ustream);
		if (rc < 0) {
			/* No thread: nothing to close, nothing to vouch. */
			ustream_free(bot->ustream);
			bot->ustream = NULL;
			return worker_failed("ustream", rc, cause);
		}
	}
	/* From the first placement on, a crash is known to the next start,
	 * and the snapshot names every order placed (snapshot.c). */
	if (!cfg->bot.dry_run) {
		if (cancel_mark(bot) < 0)
			log_warn("the order snapshot cannot be written yet: "
				 "placements wait until it can be");
		pthread_mutex_lock(&bot->mu);
		bot->snap_writer = true;
		pthread_mutex_unlock(&bot->mu);
		rc = gs_worker_add(bot->sup, "snapshot", snapshot_main, bot,
				   snapshot_wake, bot);
		if (rc < 0)
			return worker_failed("snapshot", rc, cause);
	}
	rc = gs_worker_add(bot->sup, "strategy", strategy_main, bot,
			   strategy_wake, bot);
	if (rc < 0)
		return worker_failed("strategy", rc, cause);
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms * 3);
	rc = strategy_wait_placed(bot, &dl);
	pthread_mutex_lock(&bot->mu);
	snprintf(missing, sizeof(missing), "%s",
		 bot->missing[0] ? bot->missing : "placements under way");
	bot->ready = true;
	pthread_mutex_unlock(&bot->mu);
	if (rc < 0 && !gs_shutdown_pending(bot->sup))
		log_warn("the grid is not complete yet (%s); reporting ready "
			 "anyway",
			 missing);
	log_info("running: %d symbol%s, %d order%s each, %s",
		 cfg->bot.nsymbols, plural(cfg->bot.nsymbols),
		 cfg->bot.orders_per_symbol, plural(cfg->bot.orders_per_symbol),
		 cfg->bot.dry_run ? "DRY RUN (nothing is sent)" : "live");
	if (rc < 0)
		gs_notify_wait(NOTIFY_READY_WAIT_MS,
			       "READY=1\nSTATUS=RUNNING, grid incomplete: %s",
			       missing);
	else
		gs_notify_wait(NOTIFY_READY_WAIT_MS,
			  "READY=1\nSTATUS=RUNNING: %d symbol%s, %d order%s "
			  "each%s",
			  cfg->bot.nsymbols, plural(cfg->bot.nsymbols),
			  cfg->bot.orders_per_symbol,
			  plural(cfg->bot.orders_per_symbol),
			  cfg->bot.dry_run ? ", dry run" : "");
	return 0;
}

static void
bot_free(struct bot *bot)
{
	int i;

	bot_release(bot);
	for (i = 0; i < GS_STATE_COUNT; i++)
		json_decref(bot->phase_detail[i]);
	json_decref(bot->shutdown_cause);
	json_decref(bot->known);
	json_decref(bot->placed);
	json_decref(bot->decisions);
	json_decref(bot->foreign);
	json_decref(bot->gone);
	budget_destroy(&bot->budget);
	pthread_mutex_destroy(&bot->mu);
	pthread_mutex_destroy(&bot->snap_mu);
	pthread_cond_destroy(&bot->cv);
	pthread_cond_destroy(&bot->snap_cv);
	if (bot->snapshot_unsynced >= 0)
		close(bot->snapshot_unsynced);
	bot->snapshot_unsynced = -1;
	free(bot->snapshot_text);
	bot->snapshot_text = NULL;
	if (bot->state_fd >= 0)
		close(bot->state_fd);
	bot->state_fd = -1;
	/* The last thing of the run: state_dir is free for the next. */
	if (bot->lock_fd >= 0)
		close(bot->lock_fd);
	bot->lock_fd = -1;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MAIN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MAIN_SANITIZED 1
#endif

/*
 * The clean end: every thread joined, everything of ours freed, the trace
 * closed.  What exit() would still run are the libraries' atexit
 * cleanups (OpenSSL's, freeing its tables one by one), which only return
 * memory the kernel takes back at once: time the user waits for after
 * the EXIT record.  So stdio is flushed and the process ends with
 * _exit().  Under a sanitizer it returns, so that LeakSanitizer's check
 * at exit still runs and finds whatever we did not free.
 */
static int
main_exit(int code)
{
#ifdef MAIN_SANITIZED
	return code;
#else
	fflush(NULL);
	_exit(code);
#endif
}

/*
 * The process will hold the API secret or private key: not dumpable from
 * before main() runs (no core dump, no ptrace by other processes of this
 * user, /proc/PID/{mem,environ} for root only).  What remains is the time
 * from execve() to this constructor (the dynamic loader and the
 * libraries' constructors), in which another process of the same user
 * can open /proc/PID/mem and read the secret later through that
 * descriptor: tradebotd(8) says to run it as a user of its own.
 */
static int not_dumpable_errno;

__attribute__((constructor(101))) static void
main_not_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		not_dumpable_errno = errno;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"dry-run", no_argument, NULL, 'n'},
		{"check-config", no_argument, NULL, 'C'},
		{"recover-orphans", no_argument, NULL, 'O'},
		{"print-defaults", no_argument, NULL, 'D'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG;
	bool dry = false, check = false, orphans = false;
	char cause[GS_CAUSE_MAX], instance[OWNER_INSTANCE_LEN + 1];
	struct sign_key *key = NULL;
	struct bot_config cfg;
	struct secrets sec;
	struct bot bot;
	char secheap[GS_CAUSE_MAX] = "";
	int c, code, state_fd, lock_fd = -1;

	/* Before any thread exists: curl, lws and our own come later. */
	if (gs_signals_block() < 0)
		return 1;
	if (not_dumpable_errno != 0) {
		fprintf(stderr, "tradebotd: prctl(PR_SET_DUMPABLE): %s\n",
			strerror(not_dumpable_errno));
		return 1;
	}
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
		case 'O':
			orphans = true;
			break;
		case 'D':
			if (bot_config_init(&cfg, true, cause) < 0) {
				say_cause(cause);
				return 1;
			}
			code = gs_config_write(stdout, cfg.gs) < 0 ? 1 : 0;
			bot_config_free(&cfg);
			return code;
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
	code = config_prepare(&cfg, path, dry, cause);
	/* Before any thread and before the key is read: it goes there.  An
	 * HMAC secret does not (and valgrind knows no mlock2). */
	if (code == 0 && cfg.exchange.key_type != BOT_KEY_HMAC)
		(void)keys_secure_heap_init(secheap);
	if (code == 0 && (secrets_load(&cfg, &sec, cause) < 0 ||
			  keys_load(&key, &cfg, sec.secret, cause) < 0))
		code = GS_EXIT_CONFIG;
	explicit_bzero(&sec.secret, sizeof(sec.secret));
	if (code == 0 && check && owner_instance_check(&cfg, cause) < 0)
		code = GS_EXIT_CONFIG;
	if (code == 0 && orphans && cfg.bot.dry_run) {
		snprintf(cause, GS_CAUSE_MAX,
			 "--recover-orphans cancels orders: not in a dry run");
		code = GS_EXIT_USAGE;
	}
	if (code != 0) {
		say_cause(cause);
		keys_free(key);
		bot_config_free(&cfg);
		return code;
	}
	if (check) {
		if (!cfg.exchange.tls_verify)
			fprintf(stderr,
				"tradebotd: %s:%d: warning: tls_verify = false: "
				"the exchange's certificate is NOT checked\n",
				path,
				bot_config_line(&cfg, "exchange", "tls_verify"));
		printf("%s: configuration OK (%d symbol%s, %d order%s each, "
		       "%s)\n",
		       path, cfg.bot.nsymbols, plural(cfg.bot.nsymbols),
		       cfg.bot.orders_per_symbol,
		       plural(cfg.bot.orders_per_symbol),
		       cfg.bot.dry_run ? "dry run" : "live");
		printf("venue = %s\nrest_url = %s\nws_url = %s\n"
		       "user_stream = %s\nws_api_url = %s\n"
		       "key_type = %s\ntls_verify = %s\nca_file = %s\n",
		       bot_venue_name(cfg.exchange.venue), cfg.exchange.rest_url,
		       cfg.exchange.ws_url,
		       cfg.exchange.user_stream == BOT_USER_STREAM_OFF
			   ? "off"
		       : cfg.exchange.venue == BOT_VENUE_BINANCE_US
			   ? "auto (listenKey)"
			   : "auto (WebSocket API)",
		       cfg.exchange.ws_api_url,
		       bot_key_type_name(cfg.exchange.key_type),
		       cfg.exchange.tls_verify ? "true" : "false",
		       cfg.exchange.ca_file[0] ? cfg.exchange.ca_file
					       : "(the system's)");
		explicit_bzero(&sec, sizeof(sec));
		keys_free(key);
		bot_config_free(&cfg);
		return 0;
	}
	/* Early, so that start-up errors go where [log] says. */
	if (gs_log_open_config(cfg.gs, "tradebotd", cause) < 0) {
		say_cause(cause);
		explicit_bzero(&sec, sizeof(sec));
		keys_free(key);
		bot_config_free(&cfg);
		return GS_EXIT_CONFIG;
	}
	state_fd = ensure_dir(&cfg, cause);
	/* Before anything reads or writes the snapshot, dry run included:
	 * one daemon per state_dir. */
	if (state_fd < 0 || owner_lock(&cfg, state_fd, &lock_fd, cause) < 0 ||
	    owner_instance(&cfg, state_fd, instance, cause) < 0) {
		log_error("%s", cause);
		if (lock_fd >= 0)
			close(lock_fd);
		if (state_fd >= 0)
			close(state_fd);
		explicit_bzero(&sec, sizeof(sec));
		keys_free(key);
		bot_config_free(&cfg);
		return GS_EXIT_CONFIG;
	}
	if (secheap[0] != '\0')
		log_warn("%s", secheap);
	if (geteuid() == 0)
		warn_loud(&cfg, "running as root: run tradebotd as its own "
				"unprivileged user (the shipped unit does)");
	if (!cfg.exchange.tls_verify)
		warn_loud(&cfg, TLS_OFF_WARNING);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		close(state_fd);
		close(lock_fd);
		explicit_bzero(&sec, sizeof(sec));
		keys_free(key);
		bot_config_free(&cfg);
		return 1;
	}

	memset(&bot, 0, sizeof(bot));
	bot.cfg = &cfg;
	bot.state_fd = state_fd;
	bot.lock_fd = lock_fd;
	bot.snapshot_unsynced = -1;
	bot.earlier_orders = -1;
	pthread_mutex_init(&bot.mu, NULL);
	pthread_mutex_init(&bot.snap_mu, NULL);
	pthread_cond_init(&bot.cv, NULL);
	pthread_cond_init(&bot.snap_cv, NULL);
	budget_init(&bot.budget, cfg.exchange.weight_budget_pct);
	bot.placed = json_object();
	bot.foreign = json_object();
	bot.gone = json_object();
	bot.recover_orphans = orphans;
	if (owner_init(&bot, instance) < 0)
		log_warn("getrandom failed: this run's client order ids use "
			 "the run tag %s", bot.run_tag);
	log_info("instance %s: client order ids %s<seq>, only those are "
		 "this daemon's%s",
		 bot.instance, bot.own,
		 orphans ? "; start-up also cancels other instances' orders "
			   "of the prefix (--recover-orphans)"
			 : "");

	/* The START record says how this run trades. */
	gs_record_add_bool(gs_config_start_record(cfg.gs), "dry_run",
			   cfg.bot.dry_run);
	gs_record_add_bool(gs_config_start_record(cfg.gs), "tls_verify",
			   cfg.exchange.tls_verify);
	gs_record_add_str(gs_config_start_record(cfg.gs), "instance",
			  bot.instance);
	gs_record_add_bool(gs_config_start_record(cfg.gs), "recover_orphans",
			   orphans);
	if (gs_supervisor_new(&bot.sup, cfg.gs, PACKAGE_VERSION, cause) < 0) {
		if (strncmp(cause, "trace ", 6) == 0) /* in use, unreadable */
			log_error("%s:%d: %s", path,
				  bot_config_line(&cfg, "trace", "path"), cause);
		else if (strncmp(cause, "seal key ", 9) == 0)
			log_error("%s:%d: %s", path,
				  bot_config_line(&cfg, "trace", "seal_key_file"),
				  cause);
		else
			log_error("%s", cause);
		bot_free(&bot);
		keys_free(key);
		explicit_bzero(&sec, sizeof(sec));
		curl_global_cleanup();
		bot_config_free(&cfg);
		return GS_EXIT_CONFIG;
	}
	gs_set_status_hook(bot.sup, status_line, &bot);
	gs_set_force_hook(bot.sup, cancel_force_hook, &bot);
	gs_set_state_hook(bot.sup, state_entered, &bot);
	gs_phase_set(bot.sup, GS_STATE_CANCELLING, cancel_phase, &bot);

	code = start(&bot, &sec, key, cause);
	explicit_bzero(&sec, sizeof(sec));
	if (code != 0) {
		log_error("%s", cause);
		gs_request_shutdown(bot.sup, code, cause);
	}
	code = gs_supervisor_run(bot.sup);
	print_summary(&bot, code);
	gs_supervisor_free(bot.sup);
	bot_free(&bot);
	keys_free(key);
	curl_global_cleanup();
	gs_log_close();
	bot_config_free(&cfg);
	return main_exit(code);
}
