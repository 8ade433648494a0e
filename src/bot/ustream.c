/*
 * ustream.c - the user data stream: the account's events over a
 * WebSocket connection of their own, on a thread ("ustream") and a
 * libwebsockets context of their own.  Not a second connection in
 * stream.c's context: the two live different lives (market data may
 * close as soon as the stop flag rises, the user stream stays until the
 * shutdown's verify listing), and this thread makes REST calls (a
 * listenKey, the reconciling listing) between its services, which must
 * never hold up market data's prices and pings.
 *
 * binance and binance-testnet: ws_api_url (/ws-api/v3), then
 * userDataStream.subscribe.signature, signed as REST signs (HMAC,
 * Ed25519 or RSA) over the params sorted by name; events come wrapped,
 * {"subscriptionId":N,"event":{...}}.  binance-us: POST
 * /api/v3/userDataStream for a listenKey, kept by a PUT every
 * listen_key_keepalive_ms (30 minutes), events unwrapped at
 * <ws_url>/ws/<listenKey>; listenKeyExpired means a new key and a new
 * connection.  At the shutdown, once the connection is closed, the key is
 * closed too (DELETE), within the CLOSING phase's deadline.
 *
 * After every subscription the book is reconciled once with a listing
 * (per symbol, or one for the account where that weighs less) and the gap
 * is traced (USER_STREAM: when the stream went down, when it came back,
 * what the listing found).  Until then, and whenever the connection is
 * down or silent, ustream_healthy() is false and the strategy and the
 * shutdown list as they did without a stream.  Reconnects back off
 * exponentially.  libwebsockets answers the server's pings; ours go out
 * when nothing came for user_stream_ping_ms, and a connection that brings
 * nothing back within half of that after one is silent (a half-dead
 * connection, as behind a stuck NAT or proxy): dropped and made again.
 *
 * Locking: the flags other threads read or set are under bot->mu; the
 * connection itself is this thread's alone.  Other threads only set
 * flags and call lws_cancel_service(); no lock is held across I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "bot.h"

#define RX_MAX (256 * 1024)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
/* A failed keepalive PUT is tried again this much later at most. */
#define KEEPALIVE_RETRY_MS 60000
#define KEY_MAX 128
/* The WebSocket API charges a connection 2 and the subscription 2. */
#define WS_API_WEIGHT 4

struct ustream {
	struct bot *bot;
	struct lws_context *ctx;
	SSL_CTX *ssl_ctx; /* wss: ours, given to the context, freed after it */
	struct lws *wsi;
	struct rest_client *rest;
	const struct sign_key *key;
	char api_key[160];
	bool listen_key_mode; /* binance-us */
	char url[BOT_URL_MAX];
	char host[256];
	char base[BOT_URL_MAX]; /* the URL's path, no trailing '/' */
	char path[BOT_URL_MAX + KEY_MAX + 32];
	int port;
	bool tls;
	char listen_key[KEY_MAX];
	struct timespec key_at;
	lws_sorted_usec_list_t retry_sul, ping_sul;
	int backoff_ms;
	struct ws_rx rx;
	bool connect_due, sub_due, ping_due, sync_due;
	unsigned sub_seq;
	char sub_id[24];
	bool sub_waiting;	   /* sent, not answered yet */
	struct timespec sub_at;	   /* when it was sent */
	struct timespec last_rx, ping_at;
	bool ping_out;
	int ping_ms;	  /* user_stream_ping_ms */
	int silent_ms;	  /* half of it */
	int keepalive_ms; /* listen_key_keepalive_ms */
	int tick_ms;	  /* how often ping_cb looks */

	/* under bot->mu */
	unsigned gen;	   /* connections established */
	bool connected;
	bool subscribed;
	bool reconciled;
	bool reconcile_due;
	bool closing, drop, finished, closed, close_sent;
	struct timespec close_sent_at;
	int clean, forced;
	int64_t down_wall_ms; /* since when it is not healthy */
	int64_t down_mono_ns; /* ...the same moment, CLOCK_MONOTONIC */
	/* the listenKey's DELETE at the shutdown */
	bool key_close_due, key_close_done;
	int key_closed; /* 1 closed, 0 no key to close, -1 failed */
	struct timespec key_close_dl;
	char down_why[128];
	int drops, subscriptions, reconciles, reconcile_failures;
	long events, applied, malformed;
};

static int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 2026-12-07T23:05:01.123Z */
static void
iso_ms(int64_t ms, char *out, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03dZ", buf, (int)(ms % 1000));
}

/*
 * The book is no longer the account's from now on; bot->mu held.  keep:
 * a reason already given stands (a connection dropped on purpose ends
 * as "connection lost" too).
 */
static void
down_locked(struct ustream *u, const char *why, bool keep)
{
	if (u->subscribed && u->reconciled) {
		u->down_wall_ms = wall_now_ms();
		u->down_mono_ns = gs_mono_ns();
		u->down_why[0] = '\0';
	}
	if (!keep || u->down_why[0] == '\0')
		snprintf(u->down_why, sizeof(u->down_why), "%s", why);
	u->subscribed = false;
	u->reconciled = false;
}

static void
down(struct ustream *u, const char *why)
{
	pthread_mutex_lock(&u->bot->mu);
	down_locked(u, why, false);
	pthread_mutex_unlock(&u->bot->mu);
}

bool
ustream_healthy(struct ustream *u, char *why, size_t size)
{
	char when[40];
	bool ok;

	if (u == NULL) {
		if (why != NULL)
			snprintf(why, size, "no user stream (user_stream = "
					    "off)");
		return false;
	}
	pthread_mutex_lock(&u->bot->mu);
	ok = u->connected && u->subscribed && u->reconciled && !u->closing;
	if (!ok && why != NULL) {
		iso_ms(u->down_wall_ms, when, sizeof(when));
		snprintf(why, size, "stream down since %s (%s)", when,
			 u->closing	    ? "closing"
			 : u->down_why[0] ? u->down_why
					  : "not subscribed yet");
	}
	pthread_mutex_unlock(&u->bot->mu);
	return ok;
}

static bool
closing(struct ustream *u)
{
	bool c;

	pthread_mutex_lock(&u->bot->mu);
	c = u->closing;
	pthread_mutex_unlock(&u->bot->mu);
	return c;
}

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
	struct ustream *u = lws_container_of(sul, struct ustream, retry_sul);

	u->connect_due = true;
	lws_cancel_service(u->ctx); /* lws_service() returns: work() runs */
}

/* Connect again later, with exponential backoff, unless stopping. */
static void
retry(struct ustream *u)
{
	if (gs_stop_requested() || closing(u))
		return;
	pthread_mutex_lock(&u->bot->mu);
	u->drops++;
	pthread_mutex_unlock(&u->bot->mu);
	lws_sul_schedule(u->ctx, 0, &u->retry_sul, retry_cb,
			 (lws_usec_t)u->backoff_ms * LWS_US_PER_MS);
	u->backoff_ms = (int)budget_backoff(u->backoff_ms, BACKOFF_MIN_MS,
					    BACKOFF_MAX_MS);
}

/* Drop the connection now (it is made again with backoff). */
static void
kill_conn(struct ustream *u, const char *why)
{
	u->sub_waiting = false;
	down(u, why);
	if (u->wsi != NULL)
		lws_set_timeout(u->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
}

/* ---- REST: the listenKey and the reconciling listing ------------------- */

static int
listen_key_call(struct ustream *u, const char *method)
{
	struct rest_req req;
	char what[300];
	int rc = 0;

	rest_req_init(&req, method, "/api/v3/userDataStream", false);
	req.on_stop = REST_STOP_ABORT;
	if (strcmp(method, "POST") != 0 &&
	    sign_append(req.query, sizeof(req.query), "listenKey",
			u->listen_key) < 0)
		return -ENOSPC;
	rest_one(u->rest, &req);
	if (req.status == 200 && strcmp(method, "POST") == 0) {
		json_t *j = json_loadb(req.body, req.len, 0, NULL);
		const char *k = json_string_value(json_object_get(j, "listenKey"));
		size_t i, n = k ? strlen(k) : 0;

		for (i = 0; i < n && (k[i] == '-' || k[i] == '_' ||
				      (k[i] >= '0' && k[i] <= '9') ||
				      ((k[i] | 0x20) >= 'a' && (k[i] | 0x20) <= 'z'));
		     i++)
			;
		if (n == 0 || i != n || n >= sizeof(u->listen_key)) {
			parse_excerpt(req.body, req.len, what, sizeof(what));
			log_warn("user stream: POST /api/v3/userDataStream: "
				 "no listenKey in the reply: %s",
				 what);
			rc = -EBADMSG;
		} else {
			memcpy(u->listen_key, k, n + 1);
			u->key_at = gs_mono_now();
		}
		json_decref(j);
	} else if (req.status == 200) {
		u->key_at = gs_mono_now();
	} else {
		rest_describe(&req, what, sizeof(what));
		log_warn("user stream: %s /api/v3/userDataStream: %s", method,
			 what);
		rc = req.code == -1125 ? -ENOENT : -EIO;
	}
	rest_req_reset(&req);
	return rc;
}

/* List the bot's symbols (per symbol, or the account when cheaper). */
static int
list_orders(struct ustream *u, struct bot_order **all, int *nall)
{
	const struct bot_config *cfg = u->bot->cfg;
	int nsym = cfg->bot.nsymbols, nreq, i, rc = 0;
	bool account;
	struct rest_req *reqs = calloc((size_t)nsym + 1, sizeof(*reqs));
	struct rest_req **ptrs = calloc((size_t)nsym + 1, sizeof(*ptrs));
	struct timespec dl;

	*all = NULL;
	*nall = 0;
	budget_listing_weight(nsym, &account);
	if (reqs == NULL || ptrs == NULL) {
		free(reqs);
		free(ptrs);
		return -ENOMEM;
	}
	nreq = account ? 1 : nsym;
	for (i = 0; i < nreq; i++) {
		rest_req_init(&reqs[i], "GET", "/api/v3/openOrders", true);
		reqs[i].on_stop = REST_STOP_ABORT;
		ptrs[i] = &reqs[i];
		if (!account && sign_append(reqs[i].query,
					    sizeof(reqs[i].query), "symbol",
					    cfg->bot.symbols[i]) < 0)
			rc = -ENOSPC;
	}
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	if (rc == 0)
		rest_run(u->rest, ptrs, nreq, 8, &dl);
	for (i = 0; i < nreq; i++) {
		struct bot_order *o = NULL, *grown;
		int n;

		if (rc == 0 && reqs[i].status != 200) {
			char what[300];

			rest_describe(&reqs[i], what, sizeof(what));
			log_warn("user stream: reconciling: GET "
				 "/api/v3/openOrders: %s",
				 what);
			rc = -EIO;
		}
		if (rc == 0 &&
		    (n = parse_open_orders(reqs[i].body, reqs[i].len, &o)) <
			0)
			rc = -EBADMSG;
		if (rc == 0 && n > 0) {
			grown = realloc(*all,
					(size_t)(*nall + n + 1) * sizeof(**all));
			if (grown == NULL) {
				rc = -ENOMEM;
			} else {
				*all = grown;
				memcpy(*all + *nall, o, (size_t)n * sizeof(*o));
				*nall += n;
			}
		}
		free(o);
		rest_req_reset(&reqs[i]);
	}
	free(reqs);
	free(ptrs);
	if (rc < 0) {
		free(*all);
		*all = NULL;
		*nall = 0;
	}
	return rc;
}

/* After a subscription: list once, fix the book, trace the gap. */
static void
reconcile(struct ustream *u)
{
	struct bot *bot = u->bot;
	struct bot_order *orders = NULL;
	json_t *mark, *found = json_object(), *detail;
	int64_t down_ms, down_mono, up_ms = 0;
	char why[128];
	unsigned gen;
	bool first, still;
	int n = 0, rc;

	pthread_mutex_lock(&bot->mu);
	u->reconcile_due = false;
	gen = u->gen;
	pthread_mutex_unlock(&bot->mu);
	mark = book_mark(bot);
	rc = mark != NULL && found != NULL ? list_orders(u, &orders, &n)
					    : -ENOMEM;
	if (rc < 0 || gs_stop_requested()) {
		json_decref(mark);
		json_decref(found);
		free(orders);
		if (gs_stop_requested())
			return;
		pthread_mutex_lock(&bot->mu);
		u->reconcile_failures++;
		pthread_mutex_unlock(&bot->mu);
		/* A new connection reconciles again, after its backoff. */
		kill_conn(u, "the reconciling listing failed");
		return;
	}
	book_reconcile(bot, mark, orders, n, found);
	json_decref(mark);
	free(orders);
	pthread_mutex_lock(&bot->mu);
	still = u->gen == gen && u->connected && u->subscribed;
	first = u->reconciles == 0;
	down_ms = u->down_wall_ms;
	down_mono = u->down_mono_ns;
	snprintf(why, sizeof(why), "%s", u->down_why);
	if (still) {
		u->reconciled = true;
		u->reconciles++;
		u->down_why[0] = '\0';
		up_ms = wall_now_ms();
	}
	pthread_mutex_unlock(&bot->mu);
	if (!still) {
		json_decref(found);
		return; /* the connection it was for is gone: the next one */
	}
	detail = json_pack("{s:s, s:b, s:I, s:I, s:I, s:s, s:o}", "via",
			   u->listen_key_mode ? "listenKey"
					      : "userDataStream.subscribe."
						"signature",
			   "first", first, "down_wall_ms", (json_int_t)down_ms,
			   "up_wall_ms", (json_int_t)up_ms, "gap_ms",
			   (json_int_t)(up_ms - down_ms), "cause",
			   why[0] ? why : "start", "reconcile", found);
	if (detail != NULL) {
		pthread_mutex_lock(&bot->mu);
		json_object_set_new(detail, "reconnects",
				    json_integer(u->drops));
		/* The moment it went down on the trace's own clock (mono_ns):
		 * 0 at the start. */
		json_object_set_new(detail, "down_mono_ns",
				    json_integer(first ? 0 : down_mono));
		json_object_set_new(detail, "events", json_integer(u->events));
		pthread_mutex_unlock(&bot->mu);
		gs_supervisor_trace(bot->sup, "USER_STREAM", detail);
	}
	log_info("user stream: %s and reconciled (%lld orders listed, %lld "
		 "added, %lld removed)%s%s",
		 first ? "subscribed" : "back",
		 (long long)json_integer_value(json_object_get(found, "listed")),
		 (long long)json_integer_value(json_object_get(found, "added")),
		 (long long)json_integer_value(
		     json_object_get(found, "removed")),
		 first ? "" : "; down since: ", first ? "" : why);
	json_decref(detail);
}

/* ---- the connection ------------------------------------------------------ */

static void
connect_now(struct ustream *u)
{
	struct lws_client_connect_info ci;
	int n;

	u->connect_due = false;
	if (gs_stop_requested() || closing(u) || u->wsi != NULL)
		return;
	if (u->listen_key_mode) {
		if (u->listen_key[0] == '\0' && listen_key_call(u, "POST") < 0) {
			retry(u);
			return;
		}
		n = snprintf(u->path, sizeof(u->path), "%s/ws/%s", u->base,
			     u->listen_key);
	} else {
		long long wait = budget_reserve(&u->bot->budget, WS_API_WEIGHT,
						true);

		if (wait > 0) { /* the weight budget is spent: later */
			lws_sul_schedule(u->ctx, 0, &u->retry_sul, retry_cb,
					 (lws_usec_t)wait * LWS_US_PER_MS);
			return;
		}
		n = snprintf(u->path, sizeof(u->path), "%s",
			     u->base[0] ? u->base : "/");
	}
	if (n < 0 || (size_t)n >= sizeof(u->path)) {
		log_error("user stream: the request path does not fit");
		return;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = u->ctx;
	ci.address = u->host;
	ci.port = u->port;
	ci.path = u->path;
	ci.host = u->host;
	ci.origin = u->host;
	ci.local_protocol_name = "us";
	ci.pwsi = &u->wsi;
	ci.userdata = u;
	if (u->tls) {
		ci.ssl_connection = LCCSCF_USE_SSL;
		if (!u->bot->cfg->exchange.tls_verify)
			ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					     LCCSCF_ALLOW_EXPIRED |
					     LCCSCF_ALLOW_INSECURE;
	}
	if (lws_client_connect_via_info(&ci) == NULL) {
		log_warn("user stream: cannot start connecting to %s", u->url);
		retry(u);
	}
}

static int
send_text(struct lws *wsi, const char *text, enum lws_write_protocol how)
{
	size_t len = strlen(text);
	unsigned char *buf = malloc(LWS_PRE + len + 1);
	int n;

	if (buf == NULL)
		return -1;
	memcpy(buf + LWS_PRE, text, len);
	n = lws_write(wsi, buf + LWS_PRE, len, how);
	free(buf);
	return n < (int)len ? -1 : 0;
}

/* userDataStream.subscribe.signature, signed over the sorted params. */
static int
send_subscribe(struct ustream *u, struct lws *wsi)
{
	const struct bot_config *cfg = u->bot->cfg;
	long long ts = (long long)rest_exchange_ms(u->rest);
	char payload[400], sig[1024];
	json_t *msg;
	char *text;
	int n, rc;

	u->sub_due = false;
	n = snprintf(payload, sizeof(payload),
		     "apiKey=%s&recvWindow=%d&timestamp=%lld", u->api_key,
		     cfg->exchange.recv_window_ms, ts);
	if (n < 0 || (size_t)n >= sizeof(payload) ||
	    keys_sign(u->key, payload, (size_t)n, sig, sizeof(sig)) < 0) {
		log_error("user stream: cannot sign the subscription");
		return -1;
	}
	snprintf(u->sub_id, sizeof(u->sub_id), "sub-%u", ++u->sub_seq);
	msg = json_pack("{s:s, s:s, s:{s:s, s:i, s:I, s:s}}", "id", u->sub_id,
			"method", "userDataStream.subscribe.signature",
			"params", "apiKey", u->api_key, "recvWindow",
			cfg->exchange.recv_window_ms, "timestamp",
			(json_int_t)ts, "signature", sig);
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (text == NULL)
		return -1;
	rc = send_text(wsi, text, LWS_WRITE_TEXT);
	free(text);
	if (rc < 0)
		log_warn("user stream: cannot send the subscription");
	u->sub_waiting = rc >= 0;
	u->sub_at = gs_mono_now();
	return rc;
}

/* The reply to our subscription. */
static void
on_reply(struct ustream *u, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "id"));
	json_t *err = json_object_get(msg, "error");
	char text[300];

	if (id == NULL || strcmp(id, u->sub_id) != 0)
		return;
	u->sub_waiting = false;
	if (json_integer_value(json_object_get(msg, "status")) == 200) {
		pthread_mutex_lock(&u->bot->mu);
		u->subscribed = true;
		u->subscriptions++;
		u->reconcile_due = true;
		pthread_mutex_unlock(&u->bot->mu);
		u->backoff_ms = BACKOFF_MIN_MS;
		lws_cancel_service(u->ctx);
		return;
	}
	{
		const char *m = json_string_value(json_object_get(err, "msg"));

		gs_log_escape(text, sizeof(text), m ? m : "",
			      m ? strlen(m) : 0);
	}
	log_warn("user stream: subscription refused: %lld %lld %s",
		 (long long)json_integer_value(json_object_get(msg, "status")),
		 (long long)json_integer_value(json_object_get(err, "code")),
		 text);
	if (json_integer_value(json_object_get(err, "code")) == -1021)
		u->sync_due = true;
	kill_conn(u, "subscription refused");
}

static void
on_event(struct ustream *u, json_t *ev)
{
	const char *e = json_string_value(json_object_get(ev, "e"));
	struct exec_report er;

	if (e == NULL)
		return;
	if (strcmp(e, "executionReport") == 0) {
		int rc;

		if (book_parse_report(ev, &er) < 0) {
			pthread_mutex_lock(&u->bot->mu);
			u->malformed++;
			pthread_mutex_unlock(&u->bot->mu);
			log_warn("user stream: malformed executionReport "
				 "ignored");
			return;
		}
		rc = ustream_on_order(u->bot, &er);
		pthread_mutex_lock(&u->bot->mu);
		u->events++;
		u->applied += rc > 0;
		pthread_mutex_unlock(&u->bot->mu);
		return;
	}
	if (strcmp(e, "eventStreamTerminated") == 0) {
		log_warn("user stream: the subscription ended; subscribing "
			 "again");
		kill_conn(u, "eventStreamTerminated");
	} else if (strcmp(e, "listenKeyExpired") == 0) {
		log_warn("user stream: the listenKey expired; getting a new "
			 "one");
		u->listen_key[0] = '\0';
		kill_conn(u, "listenKeyExpired");
	}
}

static void
on_message(struct ustream *u, const char *text, size_t len)
{
	json_t *msg = json_loadb(text, len, 0, NULL), *ev;
	char ex[160];

	if (!json_is_object(msg)) {
		pthread_mutex_lock(&u->bot->mu);
		u->malformed++;
		pthread_mutex_unlock(&u->bot->mu);
		parse_excerpt(text, len, ex, sizeof(ex));
		log_warn("user stream: malformed message ignored: %s", ex);
		json_decref(msg);
		return;
	}
	ev = json_object_get(msg, "event");
	if (json_object_get(msg, "status") != NULL &&
	    json_object_get(msg, "id") != NULL)
		on_reply(u, msg);
	else if (json_is_object(ev))
		on_event(u, ev);
	else
		on_event(u, msg); /* a listenKey stream's, unwrapped */
	json_decref(msg);
}

static void
on_receive(struct ustream *u, struct lws *wsi, const char *in, size_t len)
{
	bool too_big;

	if (ws_rx_add(&u->rx, wsi, in, len, RX_MAX, &too_big) > 0)
		on_message(u, u->rx.buf, u->rx.len);
	else if (too_big)
		log_warn("user stream: message over %d bytes dropped", RX_MAX);
}

static void
ping_cb(lws_sorted_usec_list_t *sul)
{
	struct ustream *u = lws_container_of(sul, struct ustream, ping_sul);

	lws_sul_schedule(u->ctx, 0, &u->ping_sul, ping_cb,
			 (lws_usec_t)u->tick_ms * LWS_US_PER_MS);
	if (u->wsi == NULL || closing(u))
		return;
	if (u->ping_out && gs_ms_since(&u->ping_at) >= u->silent_ms) {
		log_warn("user stream: nothing received for %lld ms, %lld ms "
			 "after a ping: the connection is silent; reconnecting",
			 gs_ms_since(&u->last_rx), gs_ms_since(&u->ping_at));
		u->ping_out = false;
		kill_conn(u, "silent");
		return;
	}
	/* Pongs alone do not make a subscription: one unanswered within
	 * request_timeout_ms is given up, and the connection made again. */
	if (u->sub_waiting &&
	    gs_ms_since(&u->sub_at) >=
		u->bot->cfg->exchange.request_timeout_ms) {
		log_warn("user stream: no reply to the subscription in %lld "
			 "ms; reconnecting",
			 gs_ms_since(&u->sub_at));
		u->sub_waiting = false;
		kill_conn(u, "no reply to the subscription");
		return;
	}
	if (!u->ping_out && gs_ms_since(&u->last_rx) >= u->ping_ms) {
		u->ping_due = true;
		lws_callback_on_writable(u->wsi);
	}
}

/* The service thread acts on the flags other threads set. */
static void
on_cancelled(struct ustream *u)
{
	bool c, drop;

	pthread_mutex_lock(&u->bot->mu);
	c = u->closing;
	drop = u->drop;
	pthread_mutex_unlock(&u->bot->mu);
	if (!c)
		return;
	lws_sul_cancel(&u->retry_sul);
	u->connect_due = false;
	if (u->wsi == NULL) {
		pthread_mutex_lock(&u->bot->mu);
		u->closed = true;
		pthread_cond_broadcast(&u->bot->cv);
		pthread_mutex_unlock(&u->bot->mu);
		return;
	}
	if (drop)
		lws_set_timeout(u->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_SYNC);
	else if (!u->close_sent)
		lws_callback_on_writable(u->wsi);
}

static void
on_closed(struct ustream *u)
{
	struct bot *bot = u->bot;
	bool c;

	u->sub_waiting = false;
	pthread_mutex_lock(&bot->mu);
	u->wsi = NULL;
	u->connected = false;
	down_locked(u, "connection lost", true);
	c = u->closing;
	if (c) {
		if (u->close_sent && !u->drop)
			u->clean++;
		else
			u->forced++;
		u->closed = true;
		pthread_cond_broadcast(&bot->cv);
	}
	pthread_mutex_unlock(&bot->mu);
	if (!c) {
		log_warn("user stream: connection closed; reconnecting in %d "
			 "ms",
			 u->backoff_ms);
		retry(u);
	}
}

static int
us_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	    void *in, size_t len)
{
	struct ustream *u = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		log_info("user stream: connected to %s", u->url);
		ws_rx_reset(&u->rx); /* nothing of the last connection */
		u->last_rx = gs_mono_now();
		u->ping_out = false;
		pthread_mutex_lock(&u->bot->mu);
		u->connected = true;
		u->gen++;
		if (u->listen_key_mode) {
			/* The key's stream is the subscription. */
			u->subscribed = true;
			u->subscriptions++;
			u->reconcile_due = true;
		}
		pthread_mutex_unlock(&u->bot->mu);
		if (u->listen_key_mode) {
			u->backoff_ms = BACKOFF_MIN_MS;
			lws_cancel_service(u->ctx);
		} else {
			u->sub_due = true;
			u->sub_waiting = false;
			lws_callback_on_writable(wsi);
		}
		on_cancelled(u); /* CLOSING may have begun meanwhile */
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		u->last_rx = gs_mono_now();
		u->ping_out = false;
		on_receive(u, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		u->last_rx = gs_mono_now();
		u->ping_out = false;
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (closing(u)) {
			static const char why[] = "tradebotd shutdown";

			if (u->close_sent)
				break;
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
					 (unsigned char *)why, sizeof(why) - 1);
			pthread_mutex_lock(&u->bot->mu);
			u->close_sent = true;
			u->close_sent_at = gs_mono_now();
			pthread_mutex_unlock(&u->bot->mu);
			return -1;
		}
		if (u->sub_due && send_subscribe(u, wsi) < 0)
			return -1;
		if (u->ping_due) {
			u->ping_due = false;
			if (send_text(wsi, "ts", LWS_WRITE_PING) < 0)
				return -1;
			u->ping_out = true;
			u->ping_at = gs_mono_now();
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warn("user stream: connection to %s failed: %s", u->url,
			 in ? (const char *)in : "unknown error");
		u->wsi = NULL;
		if (closing(u)) {
			pthread_mutex_lock(&u->bot->mu);
			u->closed = true;
			pthread_cond_broadcast(&u->bot->cv);
			pthread_mutex_unlock(&u->bot->mu);
		} else {
			down(u, "cannot connect");
			retry(u);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (u != NULL)
			on_closed(u);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		u = lws_context_user(lws_get_context(wsi));
		if (u != NULL)
			on_cancelled(u);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols us_protocols[] = {
	{"us", us_callback, 0, 65536, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the thread ------------------------------------------------------------ */

/*
 * The shutdown's DELETE of the listenKey (Binance.US's close), once
 * ustream_close_wait asks for it: after the connection closed, within the
 * CLOSING phase's deadline, sent though the stop flag is up.
 */
static void
close_key(struct ustream *u)
{
	struct rest_req req, *reqs = &req;
	struct timespec dl;
	char what[300];
	bool due;
	int closed = 0;

	pthread_mutex_lock(&u->bot->mu);
	due = u->key_close_due && !u->key_close_done;
	dl = u->key_close_dl;
	pthread_mutex_unlock(&u->bot->mu);
	if (!due)
		return;
	if (u->listen_key_mode && u->listen_key[0] != '\0') {
		rest_req_init(&req, "DELETE", "/api/v3/userDataStream", false);
		req.on_stop = REST_STOP_KEEP;
		rest_client_on_stop(u->rest, REST_STOP_KEEP);
		closed = -1;
		if (sign_append(req.query, sizeof(req.query), "listenKey",
				u->listen_key) == 0 &&
		    rest_run(u->rest, &reqs, 1, 1, &dl) == 1 &&
		    req.status == 200) {
			closed = 1;
		} else {
			rest_describe(&req, what, sizeof(what));
			log_warn("user stream: DELETE /api/v3/userDataStream: "
				 "%s",
				 what);
		}
		rest_req_reset(&req);
		u->listen_key[0] = '\0';
	}
	pthread_mutex_lock(&u->bot->mu);
	u->key_close_done = true;
	u->key_closed = closed;
	pthread_cond_broadcast(&u->bot->cv);
	pthread_mutex_unlock(&u->bot->mu);
}

/* What the service loop does between lws_service() calls: the blocking
 * parts (REST) never run inside a libwebsockets callback. */
static void
work(struct ustream *u)
{
	char cause[GS_CAUSE_MAX];
	bool due;

	close_key(u);
	if (gs_stop_requested())
		return;
	if (u->sync_due) {
		u->sync_due = false;
		if (rest_sync_time(u->rest, cause) < 0)
			log_warn("user stream: %s", cause);
	}
	if (u->connect_due)
		connect_now(u);
	pthread_mutex_lock(&u->bot->mu);
	due = u->reconcile_due && u->subscribed && u->connected;
	pthread_mutex_unlock(&u->bot->mu);
	if (due)
		reconcile(u);
	if (u->listen_key_mode && u->listen_key[0] != '\0' &&
	    gs_ms_since(&u->key_at) >= u->keepalive_ms) {
		int rc = listen_key_call(u, "PUT");

		if (rc == -ENOENT) {
			u->listen_key[0] = '\0';
			kill_conn(u, "listenKey no longer live");
		} else if (rc < 0) {
			/* Again in a quarter of the interval, at most a
			 * minute: well before the key lapses. */
			int again = u->keepalive_ms / 4 < KEEPALIVE_RETRY_MS
					? u->keepalive_ms / 4
					: KEEPALIVE_RETRY_MS;

			u->key_at = gs_mono_after_ms(-u->keepalive_ms + again);
		}
	}
}

void *
ustream_main(void *arg)
{
	struct ustream *u = arg;
	bool finished = false;

	u->connect_due = true;
	lws_sul_schedule(u->ctx, 0, &u->ping_sul, ping_cb,
			 (lws_usec_t)u->tick_ms * LWS_US_PER_MS);
	while (!finished) {
		work(u);
		if (lws_service(u->ctx, 0) < 0)
			break;
		pthread_mutex_lock(&u->bot->mu);
		finished = u->finished;
		pthread_mutex_unlock(&u->bot->mu);
	}
	lws_sul_cancel(&u->ping_sul);
	lws_sul_cancel(&u->retry_sul);
	return NULL;
}

void
ustream_wake(void *arg)
{
	struct ustream *u = arg;

	lws_cancel_service(u->ctx);
}

void
ustream_close_start(struct ustream *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->bot->mu);
	u->closing = true;
	pthread_mutex_unlock(&u->bot->mu);
	lws_cancel_service(u->ctx);
}

static void
wait_flag(struct bot *bot, const bool *flag, const struct timespec *deadline)
{
	while (!*flag && gs_cond_wait_until(&bot->cv, &bot->mu, deadline) == 0)
		;
}

bool
ustream_close_wait(struct ustream *u, const struct timespec *deadline,
		   const struct timespec *grace, json_t *detail)
{
	struct bot *bot;
	bool clean;

	if (u == NULL)
		return true;
	bot = u->bot;
	ustream_close_start(u);
	pthread_mutex_lock(&bot->mu);
	wait_flag(bot, &u->closed, deadline);
	if (!u->closed) {
		u->drop = true;
		pthread_mutex_unlock(&bot->mu);
		log_warn("user stream: no close reply in time; dropping");
		lws_cancel_service(u->ctx);
		pthread_mutex_lock(&bot->mu);
		wait_flag(bot, &u->closed, grace);
		if (!u->closed)
			u->forced++;
	}
	if (u->listen_key_mode) {
		/* The key goes with its stream: DELETE, on the thread that
		 * holds it, within what is left of the phase. */
		u->key_close_due = true;
		u->key_close_dl = *deadline;
		pthread_mutex_unlock(&bot->mu);
		lws_cancel_service(u->ctx);
		pthread_mutex_lock(&bot->mu);
		wait_flag(bot, &u->key_close_done, deadline);
	}
	u->finished = true;
	clean = u->forced == 0;
	json_object_set_new(
	    detail, "user_stream",
	    json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:I}", "closed",
		      u->clean, "forced", u->forced, "reconnects", u->drops,
		      "reconciles", u->reconciles, "events",
		      (json_int_t)u->events, "applied", (json_int_t)u->applied,
		      "malformed", (json_int_t)u->malformed));
	if (u->listen_key_mode)
		json_object_set_new(
		    json_object_get(detail, "user_stream"), "listen_key_closed",
		    u->key_close_done && u->key_closed != 0
			? json_boolean(u->key_closed > 0)
			: json_null());
	pthread_mutex_unlock(&bot->mu);
	lws_cancel_service(u->ctx);
	return clean;
}

/* ---- set-up ---------------------------------------------------------------- */

/* The client SSL_CTX of a wss user stream: ca_file, or the system's CAs. */
static int
ustream_ssl_ctx(struct ustream *u, const struct bot_config *cfg, char *cause)
{
	const char *ca = cfg->exchange.ca_file;

	u->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (u->ssl_ctx == NULL) {
		snprintf(cause, GS_CAUSE_MAX, "user stream: no TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(u->ssl_ctx, TLS1_2_VERSION);
	if (ca[0] != '\0'
		? SSL_CTX_load_verify_locations(u->ssl_ctx, ca, NULL) != 1
		: SSL_CTX_set_default_verify_paths(u->ssl_ctx) != 1) {
		snprintf(cause, GS_CAUSE_MAX,
			 "user stream: cannot load the CA certificates%s%s",
			 ca[0] != '\0' ? " of " : "", ca);
		SSL_CTX_free(u->ssl_ctx);
		u->ssl_ctx = NULL;
		return -EINVAL;
	}
	return 0;
}

int
ustream_new(struct ustream **out, struct bot *bot, const char *api_key,
	    const struct sign_key *key, char *cause)
{
	const struct bot_config *cfg = bot->cfg;
	struct lws_context_creation_info info;
	const char *prot, *ads, *path;
	char copy[BOT_URL_MAX];
	struct ustream *u;
	size_t len;
	int rc;

	*out = NULL;
	if (cfg->exchange.user_stream == BOT_USER_STREAM_OFF ||
	    cfg->bot.dry_run)
		return 0;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->bot = bot;
	u->key = key;
	u->backoff_ms = BACKOFF_MIN_MS;
	u->listen_key_mode = cfg->exchange.venue == BOT_VENUE_BINANCE_US;
	u->ping_ms = cfg->exchange.user_stream_ping_ms;
	u->silent_ms = u->ping_ms / 2;
	u->keepalive_ms = cfg->exchange.listen_key_keepalive_ms;
	/* Looked at four times an interval: a ping goes out at most a
	 * quarter late, silence is found at most a quarter late. */
	u->tick_ms = u->ping_ms / 4;
	if (u->listen_key_mode && u->keepalive_ms / 4 < u->tick_ms)
		u->tick_ms = u->keepalive_ms / 4;
	snprintf(u->api_key, sizeof(u->api_key), "%s", api_key);
	snprintf(u->url, sizeof(u->url), "%s",
		 u->listen_key_mode ? cfg->exchange.ws_url
				    : cfg->exchange.ws_api_url);
	snprintf(copy, sizeof(copy), "%s", u->url);
	if (lws_parse_uri(copy, &prot, &ads, &u->port, &path) ||
	    (strcmp(prot, "ws") && strcmp(prot, "wss"))) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s: %s must be ws://host[:port][/path] or "
			 "wss://host[:port][/path], got \"%s\"",
			 cfg->path, u->listen_key_mode ? "ws_url" : "ws_api_url",
			 u->url);
		free(u);
		return -EINVAL;
	}
	u->tls = strcmp(prot, "wss") == 0;
	if (u->tls && u->port == 80)
		u->port = 443;
	snprintf(u->host, sizeof(u->host), "%s", ads);
	while (*path == '/')
		path++;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	snprintf(u->base, sizeof(u->base), "%s%.*s", len ? "/" : "", (int)len,
		 path);
	u->down_wall_ms = wall_now_ms();
	snprintf(u->down_why, sizeof(u->down_why), "not subscribed yet");
	if (rest_client_new(&u->rest, cfg, api_key, key) < 0) {
		free(u);
		snprintf(cause, GS_CAUSE_MAX, "out of memory");
		return -ENOMEM;
	}
	rest_client_share(u->rest, bot->main_rest);
	rest_client_on_stop(u->rest, REST_STOP_ABORT);
	stream_lws_logging();
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = us_protocols;
	/*
	 * libwebsockets makes a context's client SSL_CTX only with its
	 * global-init option, and that init gives every later context a new
	 * ex_data index: a context made before another never finds its own
	 * client SSL_CTX again to free it.  So this context is made before
	 * market data's (main.c), and for wss it gets an SSL_CTX of ours,
	 * freed after it; each connection still verifies the peer and its
	 * host name.
	 */
	info.options = 0;
	if (u->tls) {
		rc = ustream_ssl_ctx(u, cfg, cause);
		if (rc < 0) {
			rest_client_free(u->rest);
			free(u);
			return rc;
		}
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.provided_client_ssl_ctx = u->ssl_ctx;
	}
	info.user = u;
	info.fd_limit_per_thread = 8;
	u->ctx = lws_create_context(&info);
	if (u->ctx == NULL) {
		snprintf(cause, GS_CAUSE_MAX,
			 "cannot create the user stream's libwebsockets "
			 "context");
		SSL_CTX_free(u->ssl_ctx);
		rest_client_free(u->rest);
		free(u);
		return -ENOMEM;
	}
	*out = u;
	return 0;
}

void
ustream_free(struct ustream *u)
{
	if (u == NULL)
		return;
	lws_context_destroy(u->ctx);
	SSL_CTX_free(u->ssl_ctx);
	rest_client_free(u->rest);
	explicit_bzero(u->api_key, sizeof(u->api_key));
	ws_rx_free(&u->rx);
	free(u);
}
