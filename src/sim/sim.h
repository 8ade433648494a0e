/*
 * sim.h - what the simulator's files share.
 *
 * exchange-sim is one libwebsockets context on one loopback port serving
 * the Binance Spot REST subset (http.c carries it, rest.c routes it,
 * order.c and the others serve it, request.c and limits.c hold what they
 * share) and the market streams (stream.c) over a shared market and order
 * book (market.c); admin.c is the tests' handle.  Everything runs on the
 * one service thread, so no state here is locked.
 */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "log-macros.h"

#define SIM_MAX_SYMBOLS 256
#define SIM_SYMBOL_MAX 24
#define SIM_CID_MAX 40
#define SIM_ASSET_MAX 24
#define SIM_MAX_ASSETS (2 * SIM_MAX_SYMBOLS + 64)
#define SIM_CFG_BALANCES 64

struct sim_faults {
	int latency_ms;
	int jitter_ms;
	int error_5xx_rate;	/* percent of order/cancel requests */
	int hang_rate;		/* percent of requests never answered */
	int cancel_reject_rate; /* percent of cancels refused with -2011 */
	int rate_limit_count;	/* next N requests answered 429 */
	int ban_count;		/* next N requests answered 418 */
	int retry_after_s;	/* Retry-After on 429/418; 0 = omit header */
	bool ws_close_ignore;	/* never read (so never answer) a close */
	int place_latency_ms;	/* extra latency on POST /api/v3/order */
	int place_reply_loss_rate; /* percent of placements carried out whose
				    * reply is lost (answered 503) */
	int place_hold_ms;	/* a placement reaches the matching engine
				 * this late, even if its client is gone */
	int clock_offset_ms;	/* the server's clock, shifted */
	bool stream_paused;	/* no market events while set */
	/* the user data stream (userstream.c) */
	int user_stream_delay_ms;   /* events held back this long */
	int user_stream_loss_pct;   /* percent of events never sent */
	int user_stream_duplicate;  /* the next N events sent twice */
	int user_stream_drop_after; /* drop its connections after N events */
	int ws_api_unanswered;	    /* the next N WebSocket API requests read
				     * and never answered (pongs still go) */
	bool user_stream_silent;    /* its connections kept, nothing sent or
				     * read on them: no events, replies or
				     * pongs (a half-dead connection) */
	bool market_frozen;	/* the price walk stops: the book stands still */
};

enum sim_key_type {
	SIM_KEY_HMAC,
	SIM_KEY_ED25519,
	SIM_KEY_RSA,
};

struct sim_config {
	int port;
	char listen[64]; /* empty: 127.0.0.1 and ::1 */
	char api_key[128];
	char api_secret[128];
	enum sim_key_type key_type;
	char public_key_file[1024]; /* ed25519, rsa: PEM SubjectPublicKeyInfo */
	char tls_cert_file[1024];   /* both set: serve HTTPS and WSS only */
	char tls_key_file[1024];
	char admin_token[128]; /* empty: no token asked */
	char symbols[SIM_MAX_SYMBOLS][SIM_SYMBOL_MAX];
	int nsymbols; /* 0: the built-in list of real pairs */
	int tick_ms;
	int ping_interval_ms;
	int ping_timeout_ms; /* a client silent this long after a ping goes */
	int http_idle_s; /* an idle HTTP/1.1 connection is closed after this */
	int http2;       /* with TLS: offer HTTP/2 (ALPN h2) as well */
	int weight_limit_1m;
	int ban_s;
	int order_limit_10s;
	int order_limit_1d;
	int listen_key_ttl_ms; /* a listenKey lapses this long after a PUT */
	unsigned seed;
	struct sim_faults faults;
	/* [account]: start balances, and the commission rate (1e-8 units) */
	char balance_asset[SIM_CFG_BALANCES][SIM_ASSET_MAX];
	int64_t balance_amount[SIM_CFG_BALANCES];
	int nbalances;
	int64_t default_balance; /* every other asset of a served symbol */
	int64_t commission;
};

struct sim_balance {
	char asset[SIM_ASSET_MAX];
	int64_t free, locked;
	bool changed; /* since the last outboundAccountPosition */
};

/* The one account the configured API key trades. */
struct sim_account {
	struct sim_balance bal[SIM_MAX_ASSETS];
	int nbal;
	int64_t update_ms;
	int64_t exec_id; /* executionReport "I" */
};

/* Amounts (prices, quantities, balances) are in units of 1e-8. */
struct sim_order {
	char symbol[SIM_SYMBOL_MAX];
	int64_t order_id;
	char client_id[SIM_CID_MAX];
	int64_t price;	   /* 0 for MARKET */
	int64_t qty;	   /* origQty */
	int64_t quote_qty; /* origQuoteOrderQty (MARKET by quote) */
	int64_t executed;  /* executedQty */
	int64_t cum_quote; /* cummulativeQuoteQty */
	int64_t locked;	   /* still locked for it, of the asset it spends */
	char side[8];	   /* BUY, SELL */
	char type[16];	   /* LIMIT, MARKET, LIMIT_MAKER */
	char tif[8];	   /* GTC, IOC, FOK */
	char status[20];
	int64_t time_ms;
	int64_t update_ms;
	int64_t working_ms; /* when it went on the book; 0: never */
	bool open;	    /* on the book */
	bool traded;	    /* has had a fill (the unfilled count fell) */
};

struct sim_symbol {
	char name[SIM_SYMBOL_MAX];
	char base[SIM_SYMBOL_MAX], quote[SIM_SYMBOL_MAX];
	/* filters, in units of 1e-8 */
	int64_t tick, step, min_price, max_price, min_qty, max_qty;
	int64_t min_notional, max_notional;
	double mid, avg, floor;
	int64_t trade_id;  /* the last trade's (md.h) */
	int64_t update_id; /* the book's last update id (md.h) */
};

struct sim_market {
	struct sim_symbol symbols[SIM_MAX_SYMBOLS];
	int nsymbols;
	struct sim_order *orders;
	size_t norders, cap;
	int64_t next_order_id;
	uint64_t rng;
	double avg_alpha; /* the average price's weight of one tick */
	struct md *md;	  /* depth, trades, klines (md.h) */
};

/* ---- market.c ---- */
int64_t sim_now_ms(void); /* the server's clock, offset included */
int64_t sim_now_us(void);
void sim_clock_offset(int64_t ms);
/* Digits, a dot and digits: the decimals (-1 when malformed), and the
 * value in units of 1e-8. */
int sim_decimal(const char *s, int64_t *out);
void market_text(int64_t v, char *buf, size_t size);
void market_init(struct sim_market *m, const struct sim_config *cfg);
void market_free(struct sim_market *m);
bool market_symbol_name_ok(const char *name);
struct sim_symbol *market_symbol(struct sim_market *m, const char *name);
/* A price on the symbol's tick grid, as text. */
void market_price_text(const struct sim_symbol *s, double price, char *buf,
		       size_t size);
double market_rand(struct sim_market *m); /* uniform [0, 1) */
/* Advance every price one step (match_tick fills what it crossed). */
void market_tick(struct sim_market *m);
struct sim_order *market_find(struct sim_market *m, const char *symbol,
			      int64_t order_id, const char *client_id);
bool market_cid_in_use(struct sim_market *m, const char *client_id);
/* A new order record, NEW and not on the book; NULL without memory.  It
 * may move the others (realloc): hold indices, not pointers, across. */
struct sim_order *market_add(struct sim_market *m, const char *symbol,
			     const char *side, const char *type,
			     const char *tif, int64_t price, int64_t qty,
			     int64_t quote_qty, const char *client_id);
/* The order object of queries and listings. */
json_t *market_order_json(const struct sim_order *o);
/* The same order object as text, without building a JSON tree. */
int market_order_text(const struct sim_order *o, char *buf, size_t size);
/* The name of the first filter the order fails, or NULL. */
const char *market_check_filters(const struct sim_symbol *s,
				 const char *side, int64_t price, int64_t qty);
/* The same for a MARKET order by quantity, or (qty 0) by quote_qty. */
const char *market_check_market_filters(const struct sim_symbol *s,
					int64_t qty, int64_t quote_qty);
json_t *market_symbol_info(const struct sim_symbol *s);
/* symbols: the entries to list (stolen), or NULL for all of them. */
json_t *market_exchange_info(struct sim_market *m,
			     const struct sim_config *cfg, json_t *symbols);
size_t market_open_count(struct sim_market *m, const char *symbol);

/* ---- timing.c: timestamp, recvWindow, X-MBX-TIME-UNIT ---- */
enum { SIM_TIME_MS = 0, SIM_TIME_US = 1 };
/* A signed request's timestamp (ms or µs) and recvWindow (ms, up to three
 * decimals; NULL: 5000) against the server's clock (µs): 0, or Binance's
 * code (-1100, -1131, -1021) with *msg its text. */
int timing_check(const char *ts, const char *rw, int64_t now_us,
                 const char **msg);
/* X-MBX-TIME-UNIT (NULL or "": milliseconds): SIM_TIME_MS, SIM_TIME_US,
 * or -1194, whose text is timing_unit_msg. */
int timing_unit(const char *v);
extern const char timing_unit_msg[];
/* Every time of a reply (serverTime, transactTime, time, ...) in µs. */
void timing_reply_us(json_t *body);
/* A klines reply's rows ([open time, ..., close time, ...]) in µs. */
void timing_klines_us(json_t *rows);

/* ---- auth.c ---- */
/* The value of one hex digit, either case; -1 for anything else. */
int sim_hexval(int c);
/* Load the public key of an ed25519 / rsa config; 0 or -errno + cause. */
int auth_init(const struct sim_config *cfg, char *cause);
void auth_cleanup(void);
/*
 * Check sig (the signature parameter's value as sent, percent-encoded)
 * over payload (query string and body as sent, without the signature).
 */
bool auth_verify(const struct sim_config *cfg, const char *payload,
		 size_t len, const char *sig);
/* The timestamp / recvWindow rule (now_us: the server's time in µs,
 * sim_now_us): 0, or the HTTP status with Binance's code and message. */
int auth_timing(const char *ts, const char *rw, int64_t now_us, int *code,
		char *msg, size_t size);

struct sim;
struct sim_pss;

/* ---- request.c: a request's parameters and its reply ---- */
#define SIM_MAX_PARAMS 64

/* Decoded name/value pairs, from a query string and body (REST) or a
 * params object (WebSocket API); api_key: the key the request came with
 * (X-MBX-APIKEY, or the WebSocket API's apiKey / session), "" if none. */
struct sim_params {
	char *name[SIM_MAX_PARAMS];
	char *value[SIM_MAX_PARAMS];
	int n;
	bool too_many;
	const char *api_key;
};

/* A reply: an HTTP status and a body (body, or raw when already
 * serialised JSON text), or the exchange's HTML 404; owned by the caller
 * (reply_clear).  hang: never answered (a fault); retry_after: seconds,
 * < 0 for no header; order_counts: carries X-MBX-ORDER-COUNT-*. */
struct sim_reply {
	int status;
	json_t *body;
	char *raw;
	bool html;
	bool hang;
	int retry_after;
	bool order_counts;
};

const char *param_get(const struct sim_params *p, const char *name);
/* Parse x-www-form-urlencoded text into p (too_many when it overflows). */
void params_parse(struct sim_params *p, const char *s, size_t total);
/* Add one pair (copied): 0, -ENOSPC (too_many set) or -ENOMEM. */
int params_add(struct sim_params *p, const char *name, const char *value);
void params_free(struct sim_params *p);
/* The name of a parameter sent twice, or NULL. */
const char *params_duplicate(const struct sim_params *p);
/* Binance's error object {"code","msg"} with an HTTP status. */
void reply_error(struct sim_reply *r, int status, int code, const char *msg);
void reply_errorf(struct sim_reply *r, int status, int code, const char *fmt,
                  const char *arg);
void reply_not_found(struct sim_reply *r);
/* -1100 "Illegal characters found in parameter ..." */
void reply_illegal(struct sim_reply *r, const char *name, const char *range);
/* -1102 "Mandatory parameter ... was not sent ..." */
void reply_mandatory(struct sim_reply *r, const char *name);
void reply_clear(struct sim_reply *r);
/* Only digits, 1 to max of them. */
bool request_digits(const char *s, size_t max);
/* A symbol by name (-1100 malformed, -1121 unknown: NULL, r set). */
struct sim_symbol *request_symbol(struct sim *sim, const char *name,
                                  struct sim_reply *r);
/* The same for the mandatory "symbol" parameter (-1102 when absent). */
struct sim_symbol *request_need_symbol(struct sim *sim,
                                       const struct sim_params *p,
                                       struct sim_reply *r);
/* A price or quantity in 1e-8 units: -1102, -1100, -1111. */
bool request_decimal(const struct sim_params *p, const char *name, int64_t *out,
                     struct sim_reply *r);
/* Roll a percentage. */
bool request_chance(struct sim *sim, int percent);
/* The 5xx fault: true when it answered 503 (outcome unknown); *execute
 * says whether the operation is carried out all the same. */
bool request_unknown_outcome(struct sim *sim, struct sim_reply *r,
                             bool *execute);

/* ---- limits.c: REQUEST_WEIGHT and ORDERS ---- */
int64_t limits_real_ms(void); /* the real clock, no offset fault */
/* Charge weight; false with 429/418 in r past the limit. */
bool limits_charge_weight(struct sim *sim, int weight, struct sim_reply *r);
int limits_weight_used(const struct sim *sim);
/* The unfilled order count, shared by REST and the WebSocket API: false
 * with -1015 in r when a new order would exceed a limit; an accepted
 * placement adds one, an order's first fill takes one off (never below
 * zero); canceled and expired orders change nothing. */
bool limits_order_check(struct sim *sim, struct sim_reply *r);
void limits_order_accepted(struct sim *sim);
void limits_order_filled(struct sim *sim);

/* ---- rest.c: the routes ---- */
typedef void sim_handler(struct sim *sim, const struct sim_params *p,
                         struct sim_reply *r);
#define SIM_ROUTE_SIGNED 0x1 /* TRADE / USER_DATA: key, timestamp, signature   \
	                      */

/* One endpoint: weight is charged before the handler runs (weigh, when
 * set, computes it from the parameters instead); params lists, comma-
 * separated, what the handler reads besides a signed request's
 * recvWindow, timestamp and signature. */
struct sim_route {
	const char *method, *path;
	int weight;
	unsigned flags;
	sim_handler *fn;
	const char *params;
	int (*weigh)(const struct sim_params *p);
};

void rest_route(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
                const struct sim_params *p, struct sim_reply *r);
sim_handler rest_ping, rest_time, rest_exchange_info;

/* ---- marketdata.c: depth, trades, klines, tickers ---- */
sim_handler marketdata_depth, marketdata_trades, marketdata_agg_trades, marketdata_klines, marketdata_avg_price,
    marketdata_ticker_24hr, marketdata_ticker_price, marketdata_book_ticker;
/* Their weights by the parameters, as Binance charges them. */
int marketdata_depth_weight(const struct sim_params *p);
int marketdata_24hr_weight(const struct sim_params *p);
int marketdata_ticker_weight(const struct sim_params *p);

/* ---- order.c: order operations, for REST and the WebSocket API ----
 * Each reads p (p->api_key unused: one account) and answers in r: 200
 * and the body Binance sends (order_open_list: r->raw, JSON text), or
 * Binance's error.  The account's events are published before they
 * return, so before any reply is written.  order_place sets
 * r->order_counts (X-MBX-ORDER-COUNT-*) when the order was accepted or
 * refused for the order count. */
sim_handler order_place, order_query, order_cancel, order_cancel_all,
    order_open_list, order_account;

/* ---- account.c: balances ---- */
struct sim_balance *account_balance(struct sim_account *a, const char *asset);
void account_init(struct sim_account *a, const struct sim_config *cfg,
		  const struct sim_market *m);
int64_t account_free(struct sim_account *a, const char *asset);
/* Add to_free to free and to_locked to locked (either negative). */
void account_move(struct sim_account *a, const char *asset, int64_t to_free,
		  int64_t to_locked);
/* outboundAccountPosition of the assets changed since the last one. */
void account_publish(struct sim *sim);
/* A deposit (delta > 0) or withdrawal: balanceUpdate, position; -1 when
 * free would go below zero. */
int account_adjust(struct sim *sim, const char *asset, int64_t delta);
json_t *account_json(struct sim *sim, bool omit_zero);

/* ---- match.c: the matching engine ---- */
struct sim_fill {
	int64_t price, qty, quote, commission, trade_id;
	long maker_index; /* the resting order met, or -1: synthetic book */
	bool maker;
};

/* A placement, checked (order.c) and ready to match. */
struct sim_placement {
	struct sim_symbol *symbol;
	const char *side, *type, *tif, *client_id;
	int64_t price, qty, quote_qty; /* qty 0: MARKET by quote_qty */
};

/* Place, lock, match, rest or expire, report: 0 with the order's index
 * and its fills (free them), or -1 with the error in r (-2010). */
int match_place(struct sim *sim, const struct sim_placement *pl,
		struct sim_reply *r, struct sim_fill **fills, int *nfills,
		size_t *index);
/* A LIMIT GTC put on the book without matching (admin seed): 0, -2010
 * without the balance, -1 without memory. */
int match_rest(struct sim *sim, struct sim_symbol *s, const char *side,
	       int64_t price, int64_t qty, const char *client_id,
	       size_t *index);
/* Cancel an open order: its id becomes new_cid; CANCELED is reported. */
void match_cancel(struct sim *sim, struct sim_order *o, const char *new_cid);
/* Fill what is left of a resting order at its price, as a maker. */
void match_fill_resting(struct sim *sim, struct sim_order *o);
/* After a price step: fill the resting orders the synthetic book went
 * through (each fill a trade on the tape). */
void match_tick(struct sim *sim);
/* An executionReport of o; orig_cid: "C" (a cancel's), f: the fill. */
void match_report(struct sim *sim, const struct sim_order *o, const char *x,
		  const char *orig_cid, const struct sim_fill *f);
/* A client order id as the exchange generates one. */
void match_client_id(struct sim *sim, char *buf, size_t size);

/* ---- events.c: the account's events ---- */
#define SIM_EVENTS_KEPT 1000
/* Publish one event of the account whose API key is api_key, taking the
 * reference; events of one account are delivered in publication order. */
void events_publish(struct sim *sim, const char *api_key, json_t *event);
/* The last SIM_EVENTS_KEPT events (a new reference), for /admin/events. */
json_t *events_recent(struct sim *sim);
void events_free(struct sim *sim);

/* ---- admin.c ---- */
void admin_route(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
                 const struct sim_params *p, struct sim_reply *r);
/* Set one fault by name: 0, -1 for a bad value, -2 for an unknown name. */
int sim_fault_set(struct sim_faults *f, const char *name, const char *value);

/* ---- http.c: the REST transport ---- */
int http_request(struct sim *sim, struct lws *wsi, void *pss, const char *uri);
int http_body(struct sim *sim, struct lws *wsi, void *pss, const void *in,
              size_t len);
int http_body_done(struct sim *sim, struct lws *wsi, void *pss);
int http_writeable(struct sim *sim, struct lws *wsi, void *pss);
void http_closed(struct sim *sim, void *pss);
/* Forget the placements still held (place_hold_ms): at exit. */
void http_held_free_all(struct sim *sim);
/* Placements held on their way now (place_hold_ms). */
int http_held_count(const struct sim *sim);
/* A client connection accepted, busy (a request began, or an upgrade),
 * gone: http.c knows which are idle keep-alive ones (close_idle fault). */
void http_conn_open(struct sim *sim, int fd);
void http_conn_busy(struct sim *sim, int fd);
void http_conn_gone(struct sim *sim, int fd);
/* Close every idle keep-alive connection; how many were. */
int http_close_idle(struct sim *sim);
/* The socket of wsi's client connection: for an HTTP/2 stream, the one
 * its connection's streams share. */
int sim_conn_fd(struct lws *wsi);

/* ---- userstream.c ---- */
/* The user data stream's connections: the WebSocket API (/ws-api/v3)
 * and listenKey streams (/ws/<listenKey>). */
void userstream_init(struct sim *sim);
void userstream_stop(struct sim *sim); /* its timers, before the context */
void userstream_free(struct sim *sim);
/* Whether an upgrade's target (as sent) is one of its connections. */
bool userstream_target(struct sim *sim, const char *target);
/* Every callback first comes here: true when it was for one of its
 * connections (claimed at LWS_CALLBACK_ESTABLISHED), with *rc to return;
 * for LWS_CALLBACK_CLOSED false, after it forgot the connection. */
bool userstream_callback(struct sim *sim, struct lws *wsi,
			 enum lws_callback_reasons reason, void *in,
			 size_t len, int *rc);
/* An event of the account (stolen) to every subscription and listenKey
 * stream, the faults applied. */
void userstream_publish(struct sim *sim, json_t *event);
/* The number of the last event published; whether every event up to a
 * number has been written (a REST reply waits for it). */
uint64_t userstream_seq(struct sim *sim);
bool userstream_flushed(struct sim *sim, uint64_t seq);
void userstream_drop_all(struct sim *sim);
/* The user_stream_silent fault was set: apply it to every connection. */
void userstream_silence(struct sim *sim);
json_t *userstream_state(struct sim *sim);
/* POST, PUT, DELETE /api/v3/userDataStream (USER_STREAM: an API key, no
 * signature): the account's one listenKey. */
sim_handler listen_key_create, listen_key_keepalive, listen_key_close;

/* ---- tap.c ---- */
/* The request targets (path?query) exactly as each client sent them:
 * libwebsockets hands them over decoded and with slashes collapsed. */
void tap_open(int fd);
void tap_close(int fd);
/* The oldest target not taken yet; 1 for a connection's first, more
 * for later ones, -1 when none is known, -2 when the connection
 * pipelined more heads than are followed (it must be closed). */
int tap_take(int fd, char *buf, size_t size);
/* The same for an HTTP/2 connection, whose streams libwebsockets may
 * start in another order than their header blocks came: the oldest
 * request for which mine() holds; -3 when none does, -4 when requests
 * that differ (in method, target or headers) all hold. */
int tap_take_match(int fd, char *buf, size_t size,
		   bool (*mine)(const char *method, const char *target,
				void *arg),
		   void *arg);
/* Whether uri (as libwebsockets hands it over) is target's path. */
bool tap_target_matches(const char *target, const char *uri);
void tap_free_all(void);
/* The X-MBX-APIKEY and X-Admin-Token headers of the request tap_take
 * handed over last, as sent ("" when not sent), and for HTTP/2 its
 * identity (*id, 0 for HTTP/1): true when it is an HTTP/2 request whose
 * body (DATA, perhaps empty) was still to come. */
bool tap_taken_headers(int fd, char *key, size_t key_size, char *admin,
		       size_t admin_size, uint64_t *id);
/* Its X-MBX-TIME-UNIT header, as sent ("" when not sent). */
void tap_taken_time_unit(int fd, char *unit, size_t size);
/* Whether a request of this identity on the connection has not ended yet
 * (no END_STREAM): identical requests are not told apart, so an answer
 * waits for all of them. */
bool tap_request_open(int fd, uint64_t id);
/* Whether the connection speaks HTTP/2 (its preface was seen). */
bool tap_is_h2(int fd);
/* Bytes received on fd, as the client sent them (recv, tls.c). */
void tap_feed(int fd, const char *buf, size_t len);

/* ---- stream.c ---- */
/* Whether the target names streams this server serves; 404 or -1121. */
int stream_check_target(struct sim *sim, const char *target, char *body,
			size_t size);
int stream_established(struct sim *sim, struct lws *wsi, void *pss);
int stream_receive(struct sim *sim, struct lws *wsi, void *pss,
		   const void *in, size_t len);
/* A pong came: -1 when it was one message too many (close). */
int stream_pong(struct sim *sim, void *pss);
void stream_check_pings(struct sim *sim);
int stream_writeable(struct sim *sim, struct lws *wsi, void *pss);
int stream_peer_close(struct sim *sim, struct lws *wsi, void *pss,
		      const void *in, size_t len);
void stream_closed(struct sim *sim, void *pss);
void stream_tick(struct sim *sim);
void stream_cleanup(struct sim *sim);
void stream_drop_all(struct sim *sim);
void stream_ping_all(struct sim *sim);
void stream_ignore_closes(struct sim *sim, bool ignore);
void stream_garbage_all(struct sim *sim);
json_t *stream_state(struct sim *sim);
/*
 * A name under /ws/, in /stream?streams= or in a SUBSCRIBE that is no
 * market stream: the user data stream's code may claim it (a listenKey)
 * by setting sim->stream_claim; the connection then carries what
 * stream_send() gives it under that name, until stream_release is told.
 * Unclaimed, such a name opens and carries nothing, as on Binance.
 */
struct sim_pss;
typedef bool (*stream_claim_fn)(struct sim *sim, struct sim_pss *pss,
				const char *name);
typedef void (*stream_release_fn)(struct sim *sim, struct sim_pss *pss,
				  const char *name);
/* One event (a JSON object) on a claimed name, wrapped when combined. */
void stream_send(struct sim *sim, struct sim_pss *pss, const char *name,
		 const char *event);
/* Whether the connection asked for µs times (timeUnit=MICROSECOND). */
bool stream_micros(const struct sim_pss *pss);

/* Per-connection data: an HTTP request/response or a WS client. */
#define SIM_ARGS_MAX 8192
#define SIM_QUEUE 4096 /* events waiting for a slow reader */
#define SIM_STREAMS_MAX 1024 /* per connection, as Binance */

struct sim_pss {
	/* HTTP */
	char method[8];
	char path[256];
	char target[SIM_ARGS_MAX]; /* as sent: path?query */
	bool target_ok;
	char query[SIM_ARGS_MAX];
	char body[SIM_ARGS_MAX];
	size_t body_len;
	bool body_expected;
	char api_key[160];
	char admin_token[160];
	char time_unit[16]; /* X-MBX-TIME-UNIT, as sent */
	int status;
	bool html, is_admin, order_counts;
	char retry_after[16];
	char *response;
	size_t response_len;
	size_t response_off; /* sent so far */
	int phase; /* 0 idle, 1 waiting, 2 headers due, 3 body due */
	uint64_t h2_id;    /* HTTP/2: the request's identity (tap.c) */
	int h2_wait_ms;    /* waiting for its end: the next poll */
	int64_t h2_wait_since;
	uint64_t event_seq; /* the user stream's events before this reply */
	int64_t event_wait_since; /* ms: waiting for them to be written */
	int conn_fd;       /* counted in conn_busy[] while true: */
	bool conn_counted; /* a request in flight on conn_fd */
	lws_sorted_usec_list_t sul;
	struct sim *sim;
	struct lws *wsi;
	struct sim_held *held; /* on its way to the matching engine */
	bool hold_done;	       /* it was held already: acted on now */

	/* WebSocket (stream.c) */
	bool is_ws;
	struct stream_conn *ws; /* subscriptions, queue, limits */
	struct sim_pss *next_ws;
};

struct sim_close {
	int code;
	char reason[64];
};

#define SIM_WRITE_CHUNK 16000 /* body bytes per write (http_writeable) */
#define SIM_WRITE_FINAL 4000  /* at most, in the write that ends it */
#define SIM_H2_END_WAIT_MS 10000 /* for a request's END_STREAM (http.c) */
#define SIM_EVENT_WAIT_MS 100 /* a reply, for its events (http.c) */
#define SIM_CONN_FDS 4096 /* sockets followed, as tap.c's */

struct sim_held;

struct sim {
	struct sim_config cfg;
	struct sim_held *held; /* placements on their way (http.c) */
	struct sim_market market;
	struct sim_account account;
	json_t *events_kept; /* events.c */
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	lws_sorted_usec_list_t tick_sul;
	lws_sorted_usec_list_t ping_sul;
	struct sim_pss *ws_list;
	int ws_open;
	int ws_connects;
	struct sim_close closes[1024];
	int ncloses;
	json_t *requests; /* "METHOD path" -> count */
	bool stopping;

	/* REQUEST_WEIGHT and ORDERS, in fixed windows as the exchange's */
	int64_t weight_window; /* minute number of used_1m */
	int weight_used, weight_peak;
	int64_t limited_until_ms; /* a 429 was answered; until then 418 */
	int64_t limited_since_ms;
	int64_t banned_until_ms;
	int64_t order_window_10s, order_window_1d;
	int orders_10s, orders_1d;
	long long count_429, count_418;
	long long place_replies_lost; /* place_reply_loss_rate's */
	long long http_connections;
	long long http2_connections; /* of those, HTTP/2 ones */
	long long http2_streams;     /* requests they carried */
	long long http_idle_closed; /* by the close_idle fault */
	/* By socket: 0 none, 1 open (new, or upgraded), 2 has answered: idle
	 * while no request is in flight on it (conn_busy). */
	unsigned char conn_state[SIM_CONN_FDS];
	unsigned short conn_busy[SIM_CONN_FDS]; /* requests in flight */
	long long ws_ping_timeouts;
	struct lws_vhost *vhost6;
	int listen6_fd;
	stream_claim_fn stream_claim;	  /* NULL: nothing claimed */
	stream_release_fn stream_release; /* may be NULL */
	struct stream_state *streams;	  /* stream.c's own */
};

#endif
