/*
 * stream.c - market data over one libwebsockets client connection
 * carrying every configured symbol x channel as a combined stream, and the
 * CLOSING phase.  The streams that do not fit in the request path (lws's
 * client sends at most about 2 KiB of it) are asked for with one
 * SUBSCRIBE as soon as each connection is up.
 *
 * libwebsockets is single-threaded: everything here except stream_wake(),
 * stream_close_phase() and stream_wait_up() runs on the "lws" thread.
 * Those three only change flags under bot->mu and call
 * lws_cancel_service(); the service thread acts on the flags in
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED: it asks for a writeable callback,
 * sends close 1000 with a reason from there, and lws waits for the
 * server's close.
 *
 * The exchange's host is resolved once at start-up and pinned: every
 * connection goes to the pinned address (the Host header and TLS SNI keep
 * the name), refreshed while RUNNING, so no resolver runs during a phase.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "bot.h"

#define RX_MAX (64 * 1024) /* Binance events are a few hundred bytes */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PIN_REFRESH_MS 60000 /* re-resolve the pinned host while RUNNING */
/*
 * lws 4.1 waits 5 s for the server's close reply and then closes on its
 * own, with the same callback as when the reply came.  A close that ends
 * this late after ours is the library giving up: forced, not clean.
 */
#define LWS_CLOSE_ACK_GIVEUP_MS 4900

struct stream {
	struct bot *bot;
	struct lws_context *ctx;
	struct lws *wsi;
	char url[BOT_URL_MAX];
	char host[256];
	char addr[INET6_ADDRSTRLEN]; /* host, resolved and pinned */
	struct timespec pinned_at;
	char path[STREAM_PATH_MAX + 1];
	char *subscribe;     /* SUBSCRIBE for the streams the path cannot hold */
	bool subscribe_due;  /* send it when writeable (each connection) */
	int port;
	bool tls;
	lws_sorted_usec_list_t retry_sul;
	int backoff_ms;
	struct ws_rx rx;

	/* under bot->mu: set by other threads, read here, and results */
	bool closing;	/* CLOSING began: send close 1000 */
	bool drop;	/* close_timeout passed: drop what is left */
	bool finished;	/* the phase is over: leave the service loop */
	bool connected;
	bool close_sent;
	struct timespec close_sent_at;
	bool peer_closed; /* the server's close frame arrived */
	bool closed;	/* nothing open any more */
	int clean;	/* closes answered by the server */
	int forced;	/* dropped or closed without the server's answer */
	int close_code; /* the code our close carried */
	int reconnects;
	long messages;
	long malformed;
	long oversized;
};

static void stream_connect(struct stream *s);

/*
 * Resolve s->host into s->addr (an address literal stays as it is).
 * Only at start-up and while RUNNING: never during a phase.
 */
static int
stream_pin(struct stream *s)
{
	struct addrinfo hints, *res = NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	int rc;

	if (inet_pton(AF_INET, s->host, buf) == 1 ||
	    inet_pton(AF_INET6, s->host, buf) == 1) {
		rc = snprintf(s->addr, sizeof(s->addr), "%s", s->host);
		if (rc < 0 || (size_t)rc >= sizeof(s->addr))
			s->addr[0] = '\0';
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(s->host, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		log_warn("market data: cannot resolve %s: %s%s", s->host,
			 gai_strerror(rc),
			 s->addr[0] ? "; keeping the pinned address" : "");
		return -EHOSTUNREACH;
	}
	if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
			  s->addr, sizeof(s->addr));
	else
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)res->ai_addr)->sin_addr,
			  s->addr, sizeof(s->addr));
	freeaddrinfo(res);
	s->pinned_at = gs_mono_now();
	return 0;
}

static bool
stream_closing(struct stream *s)
{
	bool c;

	pthread_mutex_lock(&s->bot->mu);
	c = s->closing;
	pthread_mutex_unlock(&s->bot->mu);
	return c;
}

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
	struct stream *s = lws_container_of(sul, struct stream, retry_sul);

	stream_connect(s);
}

/* Reconnect later with exponential backoff, unless stopping. */
static void
stream_retry(struct stream *s)
{
	if (gs_stop_requested())
		return;
	pthread_mutex_lock(&s->bot->mu);
	s->reconnects++;
	pthread_mutex_unlock(&s->bot->mu);
	lws_sul_schedule(s->ctx, 0, &s->retry_sul, retry_cb,
			 (lws_usec_t)s->backoff_ms * LWS_US_PER_MS);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : s->backoff_ms * 2;
}

static void
stream_connect(struct stream *s)
{
	struct lws_client_connect_info ci;

	if (gs_stop_requested())
		return;
	/* Refresh the pin while RUNNING; a reconnect in a phase never
	 * resolves (and none is made: see stream_retry). */
	if (s->addr[0] == '\0' ||
	    gs_ms_since(&s->pinned_at) >= PIN_REFRESH_MS)
		stream_pin(s);
	memset(&ci, 0, sizeof(ci));
	ci.context = s->ctx;
	ci.address = s->addr[0] ? s->addr : s->host;
	ci.port = s->port;
	ci.path = s->path;
	ci.host = s->host;
	ci.origin = s->host;
	ci.local_protocol_name = "md";
	ci.pwsi = &s->wsi;
	ci.userdata = s;
	if (s->tls) {
		ci.ssl_connection = LCCSCF_USE_SSL;
		if (!s->bot->cfg->exchange.tls_verify)
			ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					     LCCSCF_ALLOW_EXPIRED |
					     LCCSCF_ALLOW_INSECURE;
	}
	if (lws_client_connect_via_info(&ci) == NULL) {
		log_warn("market data: cannot start connecting to %s", s->url);
		stream_retry(s);
	}
}

static void
on_message(struct stream *s, const char *msg, size_t len)
{
	struct bot *bot = s->bot;
	struct stream_event ev;
	char ex[160];
	int i;

	pthread_mutex_lock(&bot->mu);
	s->messages++;
	pthread_mutex_unlock(&bot->mu);
	if (parse_stream_event(msg, len, &ev) < 0) {
		pthread_mutex_lock(&bot->mu);
		s->malformed++;
		pthread_mutex_unlock(&bot->mu);
		parse_excerpt(msg, len, ex, sizeof(ex));
		log_warn("market data: malformed message ignored: %s", ex);
		return;
	}
	if (ev.kind == STREAM_EV_SHUTDOWN) {
		log_info("market data: server announced shutdown; "
			 "reconnecting");
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
		return;
	}
	if (ev.kind != STREAM_EV_TRADE && ev.kind != STREAM_EV_BOOK)
		return;
	i = bot_symbol_index(bot, ev.symbol);
	if (i < 0)
		return;
	pthread_mutex_lock(&bot->mu);
	if (ev.kind == STREAM_EV_TRADE) {
		bot->books[i].last = ev.price;
	} else {
		bot->books[i].bid = ev.bid;
		bot->books[i].ask = ev.ask;
	}
	bot->books[i].updates++;
	pthread_cond_broadcast(&bot->cv);
	pthread_mutex_unlock(&bot->mu);
}

int
ws_rx_add(struct ws_rx *rx, struct lws *wsi, const char *in, size_t len,
	  size_t max, bool *too_big)
{
	*too_big = false;
	if (rx->complete)
		ws_rx_reset(rx);
	if (rx->len + len > max) {
		*too_big = !rx->overflow;
		rx->overflow = true;
	} else if (!rx->overflow) {
		char *nb = realloc(rx->buf, rx->len + len + 1);

		if (nb == NULL) {
			rx->overflow = true;
		} else {
			rx->buf = nb;
			memcpy(rx->buf + rx->len, in, len);
			rx->len += len;
		}
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (rx->overflow) {
		ws_rx_reset(rx);
		return 0;
	}
	rx->complete = true;
	return 1;
}

void
ws_rx_reset(struct ws_rx *rx)
{
	rx->len = 0;
	rx->overflow = false;
	rx->complete = false;
}

void
ws_rx_free(struct ws_rx *rx)
{
	free(rx->buf);
	memset(rx, 0, sizeof(*rx));
}

static void
on_receive(struct stream *s, struct lws *wsi, const char *in, size_t len)
{
	bool too_big;

	if (ws_rx_add(&s->rx, wsi, in, len, RX_MAX, &too_big) > 0)
		on_message(s, s->rx.buf, s->rx.len);
	else if (too_big) {
		/* Counted when seen, before the line that says so. */
		pthread_mutex_lock(&s->bot->mu);
		s->oversized++;
		pthread_mutex_unlock(&s->bot->mu);
		log_warn("market data: message over %d bytes dropped", RX_MAX);
	}
}

/* The service thread acts on the flags other threads set. */
static void
on_cancelled(struct stream *s)
{
	struct bot *bot = s->bot;
	bool closing, drop;

	pthread_mutex_lock(&bot->mu);
	closing = s->closing;
	drop = s->drop;
	pthread_mutex_unlock(&bot->mu);
	if (!closing)
		return;
	lws_sul_cancel(&s->retry_sul);
	if (s->wsi == NULL) {
		pthread_mutex_lock(&bot->mu);
		s->closed = true;
		pthread_cond_broadcast(&bot->cv);
		pthread_mutex_unlock(&bot->mu);
		return;
	}
	if (drop)
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_SYNC);
	else if (!s->close_sent)
		lws_callback_on_writable(s->wsi);
}

/*
 * lws 4.1 consumes the server's reply to our close inside the library and
 * reports the end of the connection the same way whether the reply came,
 * the server ended the connection, or lws gave up waiting (after 5 s).
 * Clean: the server's close frame arrived, or the connection ended after
 * our close 1000 went out and before both close_timeout_ms (s->drop) and
 * the library's own give-up.  Anything else is forced.
 */
static void
on_closed(struct stream *s, struct lws *wsi)
{
	struct bot *bot = s->bot;
	bool gave_up = false;

	(void)wsi;
	pthread_mutex_lock(&bot->mu);
	s->wsi = NULL;
	s->connected = false;
	bot->streams_up = 0;
	if (s->closing) {
		if (s->close_sent && !s->drop && !s->peer_closed &&
		    gs_ms_since(&s->close_sent_at) >= LWS_CLOSE_ACK_GIVEUP_MS)
			gave_up = true;
		if ((s->close_sent || s->peer_closed) && !s->drop &&
		    !gave_up) {
			s->clean++;
			s->close_code = LWS_CLOSE_STATUS_NORMAL;
		} else {
			s->forced++;
		}
		s->closed = true;
		pthread_cond_broadcast(&bot->cv);
	}
	pthread_mutex_unlock(&bot->mu);
	if (gave_up)
		log_warn("market data: no close reply; the library gave up "
			 "waiting after %d ms: counted as forced",
			 LWS_CLOSE_ACK_GIVEUP_MS);
	if (!stream_closing(s)) {
		log_warn("market data: connection closed by the server; "
			 "reconnecting in %d ms",
			 s->backoff_ms);
		stream_retry(s);
	}
}

/* The streams the path could not hold, asked for on the connection. */
static int
stream_send_subscribe(struct stream *s, struct lws *wsi)
{
	size_t len = strlen(s->subscribe);
	unsigned char *buf = malloc(LWS_PRE + len);
	int n;

	if (buf == NULL)
		return -1;
	memcpy(buf + LWS_PRE, s->subscribe, len);
	n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
	free(buf);
	if (n < (int)len) {
		log_warn("market data: cannot send SUBSCRIBE to %s", s->url);
		return -1;
	}
	s->subscribe_due = false;
	return 0;
}

static int
md_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	    void *in, size_t len)
{
	struct stream *s = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		log_info("market data: connected to %s", s->url);
		ws_rx_reset(&s->rx); /* nothing of the last connection */
		s->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_lock(&s->bot->mu);
		s->connected = true;
		s->bot->streams_up = 1;
		pthread_cond_broadcast(&s->bot->cv);
		pthread_mutex_unlock(&s->bot->mu);
		if (s->subscribe != NULL) {
			s->subscribe_due = true;
			lws_callback_on_writable(wsi);
		}
		/* CLOSING may have begun while connecting. */
		on_cancelled(s);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(s, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (stream_closing(s) && !s->close_sent) {
			static const char why[] = "tradebotd shutdown";

			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
					 (unsigned char *)why, sizeof(why) - 1);
			pthread_mutex_lock(&s->bot->mu);
			s->close_sent = true;
			s->close_sent_at = gs_mono_now();
			pthread_mutex_unlock(&s->bot->mu);
			return -1;
		}
		if (s->subscribe_due && stream_send_subscribe(s, wsi) < 0)
			return -1;
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The server's own close frame; lws answers it. */
		pthread_mutex_lock(&s->bot->mu);
		if (s->closing)
			s->peer_closed = true;
		pthread_mutex_unlock(&s->bot->mu);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warn("market data: connection to %s failed: %s", s->url,
			 in ? (const char *)in : "unknown error");
		s->wsi = NULL;
		if (stream_closing(s)) {
			pthread_mutex_lock(&s->bot->mu);
			s->closed = true;
			pthread_cond_broadcast(&s->bot->cv);
			pthread_mutex_unlock(&s->bot->mu);
		} else {
			stream_retry(s);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (s != NULL)
			on_closed(s, wsi);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		s = lws_context_user(lws_get_context(wsi));
		if (s != NULL)
			on_cancelled(s);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols md_protocols[] = {
	{"md", md_callback, 0, 65536, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The name of stream i: each symbol's trade, then its bookTicker. */
static int
stream_name(const struct bot_config *cfg, int i, char *out, size_t size)
{
	int channels = cfg->streams.trade + cfg->streams.book_ticker;
	const char *sym = cfg->bot.symbols[i / channels];
	bool trade = cfg->streams.trade && i % channels == 0;
	char lower[BOT_SYMBOL_MAX];
	int k, n;

	for (k = 0; sym[k] && k < BOT_SYMBOL_MAX - 1; k++)
		lower[k] = (char)(sym[k] | 0x20);
	lower[k] = '\0';
	n = snprintf(out, size, "%s@%s", lower, trade ? "trade" : "bookTicker");
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int
stream_count(const struct bot_config *cfg)
{
	return cfg->bot.nsymbols *
	       (cfg->streams.trade + cfg->streams.book_ticker);
}

/*
 * The path of the combined stream for ws_url: its base path, without a
 * trailing slash, then "/stream?streams=btcusdt@trade/btcusdt@bookTicker/
 * ...", with as many streams as fit in size; *in_path says how many.
 * lws_parse_uri gives the path without its leading slash, or "/" for a
 * bare host: "ws://host:port", "wss://host" and "wss://host/" all mean
 * the root, "wss://host/base" means "/base/stream?...".
 */
int
stream_build_path(const char *ws_url, const struct bot_config *cfg, char *out,
		  size_t size, int *in_path)
{
	const char *prot, *ads, *path;
	char copy[BOT_URL_MAX], name[BOT_SYMBOL_MAX + 16];
	size_t off, len;
	int i, n, port;

	*in_path = 0;
	n = snprintf(copy, sizeof(copy), "%s", ws_url);
	if (n < 0 || (size_t)n >= sizeof(copy))
		return -ENAMETOOLONG;
	if (lws_parse_uri(copy, &prot, &ads, &port, &path))
		return -EINVAL;
	while (*path == '/')
		path++;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	n = snprintf(out, size, "%s%.*s/stream?streams=", len ? "/" : "",
		     (int)len, path);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	off = (size_t)n;
	for (i = 0; i < stream_count(cfg); i++) {
		if (stream_name(cfg, i, name, sizeof(name)) < 0)
			return -ENOSPC;
		n = snprintf(out + off, size - off, "%s%s",
			     i > 0 ? "/" : "", name);
		if (n < 0 || (size_t)n >= size - off) {
			out[off] = '\0';
			break; /* the rest comes by SUBSCRIBE */
		}
		off += (size_t)n;
		(*in_path)++;
	}
	return *in_path > 0 || stream_count(cfg) == 0 ? 0 : -ENOSPC;
}

/*
 * {"method":"SUBSCRIBE","params":["a@trade",...],"id":1} for the streams
 * from the first one the path could not hold; NULL when none is left.
 */
char *
stream_build_subscribe(const struct bot_config *cfg, int from)
{
	json_t *msg, *params = json_array();
	char name[BOT_SYMBOL_MAX + 16], *text;
	int i;

	if (from >= stream_count(cfg) || params == NULL) {
		json_decref(params);
		return NULL;
	}
	for (i = from; i < stream_count(cfg); i++)
		if (stream_name(cfg, i, name, sizeof(name)) < 0 ||
		    json_array_append_new(params, json_string(name)) < 0) {
			json_decref(params);
			return NULL;
		}
	msg = json_pack("{s:s, s:o, s:i}", "method", "SUBSCRIBE", "params",
			params, "id", 1);
	text = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(msg);
	return text;
}

/* A libwebsockets error line, into the daemon's log (never blocking). */
static void
stream_lws_emit(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_error("libwebsockets: %.*s", (int)n, line);
}

void
stream_lws_logging(void)
{
	lws_set_log_level(LLL_ERR, stream_lws_emit);
}

int
stream_new(struct stream **out, struct bot *bot, char *cause)
{
	struct lws_context_creation_info info;
	const char *prot, *ads, *path;
	char copy[BOT_URL_MAX];
	struct stream *s;
	int in_path;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->bot = bot;
	s->backoff_ms = BACKOFF_MIN_MS;
	snprintf(s->url, sizeof(s->url), "%s", bot->cfg->exchange.ws_url);
	snprintf(copy, sizeof(copy), "%s", s->url);
	if (lws_parse_uri(copy, &prot, &ads, &s->port, &path) ||
	    (strcmp(prot, "ws") && strcmp(prot, "wss"))) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s: ws_url must be ws://host[:port] or "
			 "wss://host[:port], got \"%s\"",
			 bot->cfg->path, s->url);
		free(s);
		return -EINVAL;
	}
	s->tls = strcmp(prot, "wss") == 0;
	if (s->tls && s->port == 80)
		s->port = 443;
	snprintf(s->host, sizeof(s->host), "%s", ads);
	(void)path;
	stream_pin(s); /* start-up: resolved before anything can stop */
	if (stream_build_path(s->url, bot->cfg, s->path, sizeof(s->path),
			      &in_path) < 0) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s: ws_url: no room for a stream in the request "
			 "path", bot->cfg->path);
		free(s);
		return -ENOSPC;
	}
	if (in_path < stream_count(bot->cfg)) {
		s->subscribe = stream_build_subscribe(bot->cfg, in_path);
		if (s->subscribe == NULL) {
			snprintf(cause, GS_CAUSE_MAX,
				 "cannot build the SUBSCRIBE message");
			free(s);
			return -ENOMEM;
		}
		log_info("market data: %d streams in the path, %d by SUBSCRIBE",
			 in_path, stream_count(bot->cfg) - in_path);
	}
	stream_lws_logging();
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = md_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (bot->cfg->exchange.ca_file[0] != '\0')
		info.client_ssl_ca_filepath = bot->cfg->exchange.ca_file;
	info.user = s;
	info.fd_limit_per_thread = 16;
	info.max_http_header_data = 16384; /* a long combined-stream path */
	s->ctx = lws_create_context(&info);
	if (s->ctx == NULL) {
		snprintf(cause, GS_CAUSE_MAX,
			 "cannot create the libwebsockets context");
		free(s->subscribe);
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	lws_context_destroy(s->ctx);
	free(s->subscribe);
	ws_rx_free(&s->rx);
	free(s);
}

void *
stream_main(void *arg)
{
	struct stream *s = arg;
	bool finished = false;

	stream_connect(s);
	while (!finished) {
		if (lws_service(s->ctx, 0) < 0)
			break;
		pthread_mutex_lock(&s->bot->mu);
		finished = s->finished;
		pthread_mutex_unlock(&s->bot->mu);
	}
	return NULL;
}

void
stream_wake(void *arg)
{
	struct stream *s = arg;

	lws_cancel_service(s->ctx);
}

int
stream_wait_up(struct stream *s, const struct timespec *deadline)
{
	struct bot *bot = s->bot;
	int up;

	pthread_mutex_lock(&bot->mu);
	while (!s->connected && !gs_stop_requested() &&
	       gs_cond_wait_until(&bot->cv, &bot->mu, deadline) == 0)
		;
	up = s->connected ? 1 : 0;
	pthread_mutex_unlock(&bot->mu);
	return up;
}

/* Wait on bot->cv (held) until *flag or the deadline. */
static void
wait_flag(struct bot *bot, const bool *flag, const struct timespec *deadline)
{
	while (!*flag && gs_cond_wait_until(&bot->cv, &bot->mu, deadline) == 0)
		;
}

void
stream_close_start(struct stream *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->bot->mu);
	s->closing = true;
	pthread_mutex_unlock(&s->bot->mu);
	lws_cancel_service(s->ctx);
}

enum gs_outcome
stream_close_phase(void *arg, const struct timespec *deadline, json_t *detail)
{
	struct stream *s = arg;
	struct bot *bot = s->bot;
	struct timespec grace;
	bool clean, dropping;

	json_object_set_new(detail, "dry_run",
			    json_boolean(bot->cfg->bot.dry_run));
	pthread_mutex_lock(&bot->mu);
	s->closing = true;
	pthread_mutex_unlock(&bot->mu);
	lws_cancel_service(s->ctx);
	/* The user stream closes alongside (begun with the verify). */
	ustream_close_start(bot->ustream);

	/* Past the deadline what has not closed is dropped, both streams
	 * within one grace: the phase ends by deadline + 500 ms. */
	grace = gs_mono_after_ms(gs_ms_until(deadline) + 500);
	pthread_mutex_lock(&bot->mu);
	wait_flag(bot, &s->closed, deadline);
	dropping = !s->closed;
	if (dropping)
		s->drop = true; /* no close reply in time */
	pthread_mutex_unlock(&bot->mu);
	if (dropping) {
		log_warn("market data: no close reply within %d ms; dropping",
			 bot->cfg->shutdown.close_timeout_ms);
		lws_cancel_service(s->ctx);
	}
	clean = ustream_close_wait(bot->ustream, deadline, &grace, detail);
	pthread_mutex_lock(&bot->mu);
	wait_flag(bot, &s->closed, &grace);
	if (!s->closed)
		s->forced++;
	s->finished = true;
	if (s->forced > 0)
		clean = false;
	json_object_set_new(detail, "streams_closed", json_integer(s->clean));
	json_object_set_new(detail, "streams_forced", json_integer(s->forced));
	json_object_set_new(detail, "close_code_sent",
			    json_integer(s->close_code));
	json_object_set_new(detail, "messages", json_integer(s->messages));
	json_object_set_new(detail, "malformed", json_integer(s->malformed));
	json_object_set_new(detail, "oversized", json_integer(s->oversized));
	json_object_set_new(detail, "reconnects", json_integer(s->reconnects));
	pthread_mutex_unlock(&bot->mu);
	lws_cancel_service(s->ctx);
	if (clean)
		log_info("WebSocket connections closed.");
	else
		log_warn("WebSocket connections closed; %d without the "
			 "server's close reply",
			 s->forced);
	return clean ? GS_OUTCOME_DONE : GS_OUTCOME_TIMEOUT;
}
