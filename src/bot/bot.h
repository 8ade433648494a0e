/*
 * bot.h - what tradebotd's files share.
 *
 *	sign.c      query strings and HMAC-SHA256 signatures
 *	keys.c      the signing key: HMAC, Ed25519 or RSA
 *	parse.c     exchange JSON: errors, orders, filters, stream events
 *	rest.c      signed requests over libcurl (one multi per thread)
 *	budget.c    the request-weight and order-count budgets, the retry backoff
 *	plan.c      the cancels a listing needs, in O(n log n)
 *	cancel.c    the CANCELLING phase and start-up recovery
 *	owner.c     the state_dir lock, the instance id, whose orders are whose
 *	pool.c      warm connections for the CANCELLING phase
 *	stream.c    market data over libwebsockets and the CLOSING phase
 *	snapshot.c  the order snapshot kept on disk while running
 *	book.c      the live book: the account's events applied, reconciled
 *	ustream.c   the user data stream (WebSocket API, or a listenKey)
 *	strategy.c  the demo grid
 *	outcome.c   what became of each order sent: decided, never guessed
 *	main.c      command line, start-up checks, wiring, summary
 */
#ifndef BOT_H
#define BOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "gshutdown.h"
#include "log-macros.h"
#include "keys.h"
#include "sign.h"

/* sysexits' EX_OSERR: the system refused what start-up needs (a thread). */
#define BOT_EXIT_OSERR 71
#define BOT_CID_MAX 40
#define BOT_QUERY_MAX 4096


/* ---- config.c ---- */
#define BOT_MAX_SYMBOLS 64
#define BOT_SYMBOL_MAX 24
#define BOT_PREFIX_MAX 20
/*
 * Client order ids are "<prefix>-<instance>-<run><counter>" (owner.c),
 * within Binance's 36 characters (newClientOrderId ^[a-zA-Z0-9-_]{1,36}$):
 * an instance id of 6 base36 characters (2.2e9), a run tag of 4 (1.7e6), a
 * counter of up to 6 (2.2e9 orders a run); the prefix gets the rest.
 */
#define BOT_CID_LIMIT 36
#define OWNER_INSTANCE_LEN 6
#define OWNER_RUN_LEN 4
#define OWNER_SEQ_DIGITS 6
#define BOT_PREFIX_LEN_MAX                                                     \
	(BOT_CID_LIMIT - 2 - OWNER_INSTANCE_LEN - OWNER_RUN_LEN -              \
	 OWNER_SEQ_DIGITS)
#define BOT_URL_MAX 512
#define BOT_NAME_MAX 64
#define BOT_DECIMAL_MAX 32

enum bot_cancel_mode {
	BOT_CANCEL_AUTO,
	BOT_CANCEL_PER_ORDER_SEQUENTIAL,
};

/* [exchange] venue: which exchange the default URLs point at. */
enum bot_venue {
	BOT_VENUE_BINANCE,
	BOT_VENUE_BINANCE_US,
	BOT_VENUE_BINANCE_TESTNET,
};

/* [exchange] user_stream: the account's events, or listings only. */
enum bot_user_stream {
	BOT_USER_STREAM_AUTO,
	BOT_USER_STREAM_OFF,
};

/* [exchange] key_type: how requests are signed. */
enum bot_key_type {
	BOT_KEY_HMAC,
	BOT_KEY_ED25519,
	BOT_KEY_RSA,
};

/*
 * The daemon's settings.  gs holds the library's sections and the
 * registry through which the bot's keys below are filled.
 */
struct bot_config {
	struct gs_config *gs;
	const char *path; /* the file loaded ("" before) */
	struct {
		char symbols[BOT_MAX_SYMBOLS][BOT_SYMBOL_MAX];
		int nsymbols;
		int orders_per_symbol;
		char order_quantity[BOT_DECIMAL_MAX];
		int grid_spacing_bps;
		char client_order_prefix[BOT_PREFIX_MAX];
		bool dry_run;
		char state_dir[GS_PATH_MAX];
	} bot;
	struct {
		enum bot_venue venue;
		char rest_url[BOT_URL_MAX];
		char ws_url[BOT_URL_MAX];
		enum bot_key_type key_type;
		char api_key_env[BOT_NAME_MAX];
		char api_secret_env[BOT_NAME_MAX];
		char api_secret_file[GS_PATH_MAX];
		char private_key_file[GS_PATH_MAX];
		int recv_window_ms;
		int request_timeout_ms;
		bool tls_verify;
		char ca_file[GS_PATH_MAX];
		bool allow_insecure_transport;
		int weight_budget_pct; /* share of REQUEST_WEIGHT while running */
		enum bot_user_stream user_stream;
		int user_stream_ping_ms;     /* silent: nothing in half of it */
		int listen_key_keepalive_ms; /* binance-us: PUT this often */
		char ws_api_url[BOT_URL_MAX]; /* the WebSocket API */
	} exchange;
	struct {
		bool trade;
		bool book_ticker;
	} streams;
	struct {
		/* the bot's keys of [shutdown] */
		int cancel_retries;
		int retry_backoff_ms;
		enum bot_cancel_mode cancel_mode;
		/* the library's, copied by bot_config_load() for the phases */
		int cancel_timeout_ms;
		int close_timeout_ms;
	} shutdown;
};

/*
 * A configuration at its defaults with the bot's sections registered;
 * require: [bot] symbols and client_order_prefix must be in the file (the
 * daemon; tests load partial files).  0 or -errno with cause.
 */
int bot_config_init(struct bot_config *cfg, bool require, char *cause);
void bot_config_free(struct bot_config *cfg);
/* Load path: 0, or -errno with cause "file:line: message". */
int bot_config_load(struct bot_config *cfg, const char *path, char *cause);
/* Copy the library's values the bot reads into cfg->shutdown. */
void bot_config_sync(struct bot_config *cfg);
/*
 * The checks of a loaded configuration that look at the machine, run by
 * the daemon before it touches the network and by --check-config alike:
 * state_dir (created if only its last component is missing; if it exists,
 * this user's and not group- or world-writable), ca_file readable, the
 * library's checks ([trace], [log]), and the credentials (api_secret_file
 * owned by this user, mode 0600, not a symlink; the key and secret
 * variables set unless dry_run).  0, or -EINVAL with cause.
 */
int bot_config_validate(const struct bot_config *cfg, char *cause);
/*
 * Whether a secret's file (api_secret_file, private_key_file) is this
 * user's alone: its own and of mode 0600 or stricter, or a systemd
 * credential in $CREDENTIALS_DIRECTORY that nobody else may write or read.
 */
struct stat;
bool bot_secret_file_private(const char *path, const struct stat *st);
int bot_config_line(const struct bot_config *cfg, const char *section,
		    const char *name);
const char *bot_venue_name(enum bot_venue venue);
const char *bot_venue_rest_url(enum bot_venue venue);
const char *bot_venue_ws_url(enum bot_venue venue);
const char *bot_venue_ws_api_url(enum bot_venue venue);
const char *bot_key_type_name(enum bot_key_type type);
/*
 * True when url's host is a loopback address (127.0.0.0/8, ::1,
 * localhost): the only hosts http:// and ws:// may name.
 */
bool bot_url_is_loopback(const char *url);


/* ---- parse.c ---- */
struct bot_order {
	char symbol[BOT_SYMBOL_MAX];
	int64_t order_id;
	char client_id[BOT_CID_MAX];
	char price[32];
	char qty[32];
	char side[8];
	char status[20];
};

struct bot_filters {
	char symbol[BOT_SYMBOL_MAX];
	bool trading;
	double tick_size, step_size, min_qty, min_notional, min_price,
	    max_price, max_qty;
};

/* Binance's {"code":-1121,"msg":"..."}; 0 when body is not one. */
int parse_error(const char *body, size_t len, int *code, char *msg,
		size_t msize);
int parse_order(json_t *j, struct bot_order *o);
/* An array of order objects; returns the count or -EBADMSG. */
int parse_orders(const char *body, size_t len, struct bot_order **out);
/* The same result as parse_orders, from a scan without a tree: symbol,
 * orderId, clientOrderId, price, origQty, side and status only. */
int parse_open_orders(const char *body, size_t len, struct bot_order **out);
int parse_filters(const char *body, size_t len, struct bot_filters *f,
		  int nf);
/* serverTime, in (0, PARSE_TIME_MAX_MS]; -EBADMSG otherwise. */
#define PARSE_TIME_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
int parse_server_time(const char *body, size_t len, int64_t *ms);
/*
 * The decimal value of an HTTP header (after its colon, up to its CRLF),
 * saturated at max; -1 when it is not one (a date, a sign, garbage).
 */
long long parse_header_num(const char *s, size_t len, long long max);
/* a + b, saturated at INT64_MIN and INT64_MAX: clock arithmetic on
 * numbers the exchange sent. */
static inline int64_t
bot_add_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline int64_t
bot_sub_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}
/* REQUEST_WEIGHT from exchangeInfo.rateLimits: 0, or -ENOENT when absent. */
int parse_weight_limit(const char *body, size_t len, int *limit,
		       int *interval_ms);
/* ORDERS from exchangeInfo.rateLimits (the 10-second one); -ENOENT. */
int parse_order_limit(const char *body, size_t len, int *limit,
		      int *interval_ms);
int parse_rate_limit(const char *body, size_t len, const char *want,
		     long long prefer_ms, int *limit, int *interval_ms);

enum stream_event_kind {
	STREAM_EV_NONE,
	STREAM_EV_TRADE,
	STREAM_EV_BOOK,
	STREAM_EV_SHUTDOWN, /* {"e":"serverShutdown"} */
	STREAM_EV_RESULT,   /* {"result":null,"id":1} */
};

struct stream_event {
	enum stream_event_kind kind;
	char symbol[BOT_SYMBOL_MAX];
	double price, bid, ask;
};

/* Raw or combined ({"stream":..,"data":..}); -EBADMSG when malformed. */
int parse_stream_event(const char *msg, size_t len, struct stream_event *ev);
/* A printable, bounded excerpt of untrusted bytes for the log. */
void parse_excerpt(const char *in, size_t len, char *out, size_t size);

/* ---- plan.c ---- */
/* One cancel of a plan: order is the index of the order in the listing
 * (for a whole symbol, its first order there). */
struct cancel_item {
	int order;
	int whole; /* > 0: DELETE /api/v3/openOrders, the bot's orders it
		    * cancels; 0: DELETE /api/v3/order of this one */
};

/* True when client_id starts with prefix (the bot's "<prefix>-"). */
bool plan_owns(const char *prefix, const char *client_id);
/*
 * The cancels a listing of n orders needs, in the listing's order: one per
 * symbol where every open order is the bot's and it has more than one
 * (never with sequential), else one per order of the bot.  Returns how
 * many (*out to free) or -ENOMEM.  O(n log n).
 */
int plan_cancels(const char *prefix, const struct bot_order *o, int n,
		 bool sequential, struct cancel_item **out);
/* The client ids of a listing, sorted: "is it listed" in O(log n). */
struct plan_ids {
	const char **sorted; /* into the listing: it outlives this */
	int n;
};
int plan_index(const struct bot_order *o, int n, struct plan_ids *ids);
bool plan_listed(const struct plan_ids *ids, const char *client_id);
void plan_ids_free(struct plan_ids *ids);

/* ---- budget.c ---- */
#define BUDGET_SLOTS 64 /* one per second: a minute and a margin */
/* The IP's use (X-MBX-USED-WEIGHT-1M) no running daemon pushes past, in
 * percent of REQUEST_WEIGHT; the rest is kept for shutdowns. */
#define BUDGET_CEILING_PCT 90

/*
 * The request weight spent against REQUEST_WEIGHT, shared by every client
 * of the exchange (the limit is per IP).  Our own spend, summed over a
 * sliding window of one-second slots, is held to our share (pct of the
 * limit while running); the server's figure (X-MBX-USED-WEIGHT-1M), the
 * whole IP's use, counts until its minute ends and is held below the
 * ceiling (BUDGET_CEILING_PCT while running, the limit in a shutdown).
 */
struct budget {
	pthread_mutex_t mu;
	int limit;	 /* REQUEST_WEIGHT per interval; 0: not known yet */
	int interval_ms; /* 60000 */
	int pct;	 /* share of the limit usable while running */
	int64_t slot_sec[BUDGET_SLOTS];
	int slot_weight[BUDGET_SLOTS];
	int server_used;	   /* the last X-MBX-USED-WEIGHT-1M */
	int since_server;	   /* our spend after that figure */
	int64_t server_until_ms;   /* mono ms: when that figure lapses */
	int64_t blocked_until_ms;  /* mono ms: Retry-After of a 429/418 */
	int refused;		   /* 429 and 418 answers seen */
	long long charged;	   /* every weight charged since start */
	/* ORDERS: new orders per fixed window of the exchange's clock. */
	int order_limit;	 /* 0: not known yet, not paced */
	int order_interval_ms;	 /* 10000 */
	int64_t order_window;	 /* wall ms / order_interval_ms */
	int order_count;	 /* placements sent in that window */
};

void budget_init(struct budget *b, int pct);
void budget_destroy(struct budget *b);
void budget_set_limit(struct budget *b, int limit, int interval_ms);
/* Pure parts (b not locked), for the tests: now_ms on CLOCK_MONOTONIC. */
int budget_spent(const struct budget *b, int64_t now_ms);
/* Our share: pct of the limit while running, all of it in a shutdown;
 * 0 while the limit is not known. */
int budget_cap(const struct budget *b, bool running);
/* The IP-wide ceiling the server's figure must stay under; 0: unknown. */
int budget_ceiling(const struct budget *b, bool running);
long long budget_wait_ms(const struct budget *b, int64_t now_ms, int cost,
			 bool running);
void budget_charge(struct budget *b, int64_t now_ms, int cost);
void budget_observe(struct budget *b, int64_t now_ms, int64_t wall_ms,
		    int used);
/* Locked wrappers: the wait before cost may be spent, charge, observe. */
long long budget_reserve(struct budget *b, int cost, bool running);
void budget_spend(struct budget *b, int cost);
void budget_reply(struct budget *b, int used, int64_t wall_ms);
void budget_block(struct budget *b, int retry_after_s);
/*
 * The order-count budget (ORDERS, e.g. 100 per 10 s): placements are
 * paced to 90% of it; the reply's X-MBX-ORDER-COUNT-10S raises our count
 * when the exchange counted more.  Wall ms on the exchange's clock.
 */
void budget_set_order_limit(struct budget *b, int limit, int interval_ms);
long long budget_order_wait_ms(const struct budget *b, int64_t wall_ms);
void budget_order_charge(struct budget *b, int64_t wall_ms);
void budget_order_observe(struct budget *b, int64_t wall_ms, int count);
long long budget_order_reserve(struct budget *b, int64_t wall_ms);
void budget_order_reply(struct budget *b, int64_t wall_ms, int count);
void budget_order_refund(struct budget *b, int64_t wall_ms);
int budget_refused(struct budget *b);
/* This daemon's own spend: over the last minute (the sliding window) and
 * since it started, for the trace. */
void budget_figures(struct budget *b, int *minute, long long *total);
/* The weight Binance charges for a request. */
int budget_weight(const char *method, const char *path, const char *query);
/*
 * The weight of listing the open orders of nsymbols symbols: a listing
 * per symbol, or one for the account when that weighs no more (*account
 * says which).
 */
int budget_listing_weight(int nsymbols, bool *account);
/* Exponential backoff: 0 -> base, then doubled up to cap. */
long long budget_backoff(long long cur, long long base, long long cap);

/* ---- rest.c ---- */
struct rest_client;

/* libcurl closes a cached connection idle longer than this. */
#define REST_CONN_MAXAGE_S 300

/* What a stop request does to a request (rest_req.on_stop). */
enum rest_on_stop {
	REST_STOP_KEEP,	       /* finish it (shutdown's own requests) */
	REST_STOP_DROP_UNSENT, /* not sent yet: never send it */
	REST_STOP_ABORT,       /* abandon it even on the wire */
};

struct rest_req {
	const char *method; /* GET POST DELETE */
	char path[64];
	char query[BOT_QUERY_MAX];
	bool is_signed;
	int tag;
	void *user;
	enum rest_on_stop on_stop;
	/* result */
	long status;	/* HTTP status; 0 when no reply */
	char *body;
	size_t len;
	int code;	/* Binance error code, 0 when none */
	char msg[256];
	int retry_after_s; /* -1 when absent */
	int used_weight;   /* X-MBX-USED-WEIGHT-1M; -1 when absent */
	int order_count;   /* X-MBX-ORDER-COUNT-10S; -1 when absent */
	int curl_code;
	char error[256]; /* transport error text */
	bool sent;	 /* it went on the wire */
	/* signed: the timestamp and recvWindow it was last sent with (the
	 * exchange's clock, ms); past their sum the exchange refuses it */
	int64_t timestamp_ms;
	int recv_window_ms;
	bool resynced;	 /* retried once after -1021 */
	long connects;	 /* connections it had to open (0: reused one) */
	int conn_port;	 /* local port of the connection it used; 0: none */
	bool http2;	 /* answered over HTTP/2 (a multiplexed connection) */
	/*
	 * hold: once it has a connection, keep it (its reply is not read)
	 * until every held request of the batch has one, so n held requests
	 * use n different connections; otherwise one answered at once hands
	 * its connection to the next.  Bounded by half request_timeout_ms.
	 */
	bool hold;
	/* private */
	bool connected, paused;
	int index;	   /* its place in the batch rest_run sends */
	unsigned sync_gen; /* the clock measurement its timestamp used */
	void *easy;
	struct curl_slist *headers;
	size_t cap;
};

int rest_client_new(struct rest_client **out, const struct bot_config *cfg,
		    const char *api_key, const struct sign_key *key);
void rest_client_free(struct rest_client *rc);
/* Run n requests concurrently (at most max_parallel at once) until all are
 * done or deadline; each gets its result.  Returns how many completed. */
int rest_run(struct rest_client *rc, struct rest_req **reqs, int n,
	     int max_parallel, const struct timespec *deadline);
/* One request with its own deadline of request_timeout_ms. */
int rest_one(struct rest_client *rc, struct rest_req *req);
void rest_req_init(struct rest_req *req, const char *method, const char *path,
		   bool is_signed);
void rest_req_reset(struct rest_req *req);
/* True when the outcome is unknown: no reply, timeout, 5xx, -1001,
 * -1006, -1007. */
bool rest_unknown(const struct rest_req *req);
/* Describe the result for the log: "HTTP 400 -2011 Unknown order sent." */
void rest_describe(const struct rest_req *req, char *out, size_t size);
/* The exchange's clock over ours: server - (before + after) / 2, with
 * every step saturated (a hostile serverTime never wraps a sum). */
int64_t rest_offset(int64_t server, int64_t before, int64_t after);
/* Now on the exchange's clock (ours corrected by the offset), ms. */
int64_t rest_server_ms(const struct rest_client *rc);
/* Sync the clock offset from GET /api/v3/time; 0 or -errno. */
int rest_sync_time(struct rest_client *rc, char *cause);
/* Wake a rest_run() blocked in another thread (e.g. on stop). */
void rest_wakeup(struct rest_client *rc);
/* Share one clock offset, one weight budget and the re-sync count. */
void rest_client_share(struct rest_client *rc, struct rest_client *with);
void rest_client_budget(struct rest_client *rc, struct budget *b);
/* What a stop does to every request of this client (start-up: abort). */
void rest_client_on_stop(struct rest_client *rc, enum rest_on_stop how);
/* The exchange's clock now (ours corrected by the measured offset), in
 * ms: the timestamp a signed request carries. */
int64_t rest_exchange_ms(struct rest_client *rc);
/* Clock re-syncs after -1021 or by schedule, over the shared offset. */
int rest_resyncs(struct rest_client *rc);
/* The sockets of the client's connections, busy or idle, up to max; only
 * for the thread that owns the client (no request of it runs meanwhile). */
int rest_sockets(const struct rest_client *rc, int *fds, int max);
/* Whether the client's last answer came over HTTP/2 (a multiplexed
 * connection); for the thread that owns the client. */
bool rest_http2(const struct rest_client *rc);

/* ---- outcome.c: what became of each order sent (bot->mu held) ---- */
#define OUTCOME_IN_FLIGHT "in_flight" /* sent, no reply yet */
#define OUTCOME_UNKNOWN "unknown"     /* no reply came: undecided */
#define OUTCOME_PLACED "placed"	      /* the exchange has it */

/* How far our estimate of the exchange's clock may be off (the offset's
 * measurement, drift between re-syncs): a window passes this much later. */
#define OUTCOME_CLOCK_MARGIN_MS 1000

/* What decided an order's outcome. */
enum outcome_by {
	OUTCOME_BY_REPLY,
	OUTCOME_BY_EVENT,   /* its executionReport */
	OUTCOME_BY_QUERY,   /* GET /api/v3/order by origClientOrderId */
	OUTCOME_BY_LISTING, /* an open-orders listing showed it */
	OUTCOME_BY_WINDOW,  /* its timestamp + recvWindow passed unknown */
	OUTCOME_BY_COUNT,
};

struct bot;
const char *outcome_by_name(enum outcome_by by);
/* True for the statuses of an order that rests (NEW, PARTIALLY_FILLED). */
bool outcome_rests(const char *status);
/* cid's outcome (OUTCOME_*), or NULL when not in bot->placed: gone, never
 * placed, or never the bot's. */
const char *outcome_of_locked(struct bot *bot, const char *cid);
/* A placement about to be sent, in flight: order (its symbol,
 * clientOrderId, price, ...) is taken. */
void outcome_sent_locked(struct bot *bot, const char *cid, json_t *order);
/* Sent without a reply: unknown, with the timestamp and recvWindow it
 * went with.  False when something decided it meanwhile (an event). */
bool outcome_unknown_locked(struct bot *bot, const char *cid,
			    int64_t timestamp_ms, int recv_window_ms);
/*
 * The exchange gave cid's status (X of an executionReport, status of a
 * query or a listing, a placement's reply): NEW and PARTIALLY_FILLED
 * rest; any other status (FILLED, CANCELED, EXPIRED, REJECTED,
 * EXPIRED_IN_MATCH) is gone, and cid leaves bot->placed.  Only an order
 * in bot->placed is touched.  True when this decided an undecided one.
 */
bool outcome_status_locked(struct bot *bot, const char *cid,
			   const char *status, int64_t order_id,
			   enum outcome_by by);
/* Known not to rest (refused with a definite answer, or placed and no
 * longer listed): forgotten. */
void outcome_forget_locked(struct bot *bot, const char *cid);
/*
 * The exchange does not know cid (-2013, or the verify listing does not
 * show it) at server_now_ms on its clock: an undecided order is never
 * placed once its timestamp + recvWindow (and OUTCOME_CLOCK_MARGIN_MS)
 * has passed (forgotten: true);
 * before then it may still land (false).  A placed order: false (not
 * listed means gone: the caller's to say).
 */
bool outcome_absent_locked(struct bot *bot, const char *cid,
			   int64_t server_now_ms, enum outcome_by by);
/* timestamp + recvWindow of an entry of bot->placed; INT64_MAX unknown. */
int64_t outcome_window_end(json_t *order);
/* An order as a snapshot names it: when, on the exchange's clock, it can
 * land no more if it is undecided (its window; in flight, its sent_by +
 * recv_window_ms); INT64_MIN when decided or nothing is known. */
int64_t outcome_lands_by(json_t *order, int recv_window_ms);
/* The ids of at most max orders still in flight or unknown, those whose
 * windows end last first (one not known is the latest), appended to ids:
 * how many, or -ENOMEM. */
int outcome_latest_locked(struct bot *bot, int max, json_t *ids);
/* The orders still in flight or unknown: how many, the latest end of
 * their windows (INT64_MAX when one is not known), their ids appended to
 * ids (when not NULL). */
int outcome_undecided_locked(struct bot *bot, int64_t *window_end,
			     json_t *ids);

/* ---- the shared state of the daemon ---- */
struct book {
	double bid, ask, last;
	int64_t updates;
};

struct bot {
	const struct bot_config *cfg;
	struct gs_supervisor *sup;
	char prefix[BOT_PREFIX_MAX + 2]; /* client_order_prefix + "-" */
	char instance[OWNER_INSTANCE_LEN + 1]; /* this state_dir's */
	char own[BOT_PREFIX_MAX + OWNER_INSTANCE_LEN + 3]; /* prefix-instance- */
	char run_tag[OWNER_RUN_LEN + 1];
	/* prefix-instance-runtag: the ids this run sends */
	char run_own[BOT_PREFIX_MAX + OWNER_INSTANCE_LEN + OWNER_RUN_LEN + 3];
	int conflicts;	/* bot->mu: orders of this instance's prefix that no
			 * run of it placed; from the first, placing stops
			 * (book.c) */
	bool recover_orphans; /* recovery cancels other instances' orders */
	struct bot_filters filters[BOT_MAX_SYMBOLS];

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct book books[BOT_MAX_SYMBOLS];
	int inflight;	      /* order placements under way */
	bool orders_possible; /* this run may have orders on the exchange */
	int dry_orders;	      /* dry run: orders kept in memory */
	int resting;	      /* last known count of our resting orders */
	int streams_up;
	bool grid_placed; /* the strategy's first round is done */
	bool grid_stuck;  /* every price known, yet some level refused */
	json_t *known; /* the last listing of open orders (snapshot on FORCE) */
	json_t *placed; /* {clientOrderId: order}: sent by this run and not
			 * known to be gone (outcome.c) */
	int unknown_total; /* placements that had no reply */
	int decided[OUTCOME_BY_COUNT]; /* placements in flight or unknown
					* that were decided, by what */
	json_t *decisions; /* when not NULL (CANCELLING): {clientOrderId:
			    * {by, outcome}} of each decided meanwhile */
	/* The live book (book.c), beside placed: */
	json_t *foreign; /* {"SYMBOL clientOrderId": order}: others' orders
			  * open on the bot's symbols */
	json_t *gone;	 /* {key: T}: orders an event ended (never revived) */
	/* Symbols on which another's order was seen during this run: the
	 * shutdown cancels the bot's there one by one (book.c). */
	bool shared[BOT_MAX_SYMBOLS];
	struct ustream *ustream; /* NULL: user_stream = off, or a dry run */
	char missing[256]; /* what keeps the grid from complete; "" when none */
	bool ready;	   /* READY was sent: STATUS may follow */
	struct budget budget;
	int state_fd; /* state_dir, opened once at start (-1: none) */
	int lock_fd;  /* state_dir/lock, held until the end (-1: none) */
	int snapshot_unsynced; /* in place, not yet durable (-1: none) */
	char *snapshot_text;   /* its text, for the settled mark */
	uint64_t snap_seq;     /* bot->mu: the last snapshot's content taken */
	pthread_mutex_t snap_mu; /* held around the rename into place only */
	uint64_t snap_placed;	 /* snap_mu: the newest content in place */
	bool settle;	       /* CANCELLING was clean: mark it settled */
	int earlier_orders; /* an earlier run's unsettled snapshot, its
			     * orders, until recovery clears it; -1: none */
	bool marked;	    /* this run's unsettled snapshot is on disk */
	/* snapshot.c: the writer of the snapshot while running; bot->mu */
	pthread_cond_t snap_cv; /* a change marked, or a generation written */
	uint64_t snap_gen;	/* changes marked so far */
	uint64_t snap_done;	/* the newest generation durable on disk */
	uint64_t snap_failed;	/* the newest generation that failed */
	bool snap_writer;	/* the writer runs: placements wait for it */
	bool snap_final;	/* the settled mark is taken: no more writes */

	struct rest_client *main_rest;	   /* main thread: checks, cancels */
	struct rest_client *strategy_rest; /* strategy thread */
	struct stream *stream;
	struct pool *pool; /* keeps main_rest's connections warm */

	json_t *phase_detail[GS_STATE_COUNT];
	json_t *shutdown_cause;
};

/* True when this client order id is this instance's ("<prefix>-<instance>-"). */
bool bot_owns(const struct bot *bot, const char *client_id);
int bot_symbol_index(const struct bot *bot, const char *symbol);

/* ---- cancel.c ---- */
enum gs_outcome cancel_phase(void *arg, const struct timespec *deadline,
			     json_t *detail);
/*
 * Before the network: an earlier run's snapshot that is not settled (a
 * crash) means orders may rest; until recovery clears them, the shutdown
 * must cancel them too.  1 when so, else 0.
 */
int cancel_prepare(struct bot *bot);
/*
 * Before the first placement: an unsettled snapshot (no orders yet) on
 * disk, so a crash from here on is known to the next start.  0 or -errno.
 */
int cancel_mark(struct bot *bot);
/* Cancel what an earlier run left; traces RECOVERY.  0 or -errno. */
int cancel_recover(struct bot *bot, char *cause);
/*
 * Write every order the bot knows of (these listed, and its placements) to
 * state_dir/open-orders.json atomically.  With sync_fd the file is in
 * place on return but not yet durable: the caller fsyncs it later.  text,
 * when not NULL, is set to what was written (free it).
 */
int cancel_snapshot(struct bot *bot, const struct bot_order *orders, int n,
		    int *sync_fd, char **text);
void cancel_force_hook(void *arg);
/* Every order the bot knows of: its placements merged with listing. */
json_t *cancel_known_orders(struct bot *bot, json_t *listing);
/* The connections the phase's cancels use at once. */
int cancel_fanout(const struct bot_config *cfg);

/*
 * The writer's part: every order the bot knows of, as of generation *gen
 * (bot->snap_gen when its content was taken), written and durable.  0; 1
 * when the snapshot is settled already (nothing is written); or -errno.
 */
int cancel_snapshot_gen(struct bot *bot, uint64_t *gen);

/* ---- snapshot.c ---- */
/*
 * The "book changed" hook: whatever changes what the bot knows of its
 * orders (bot->placed, bot->known) calls it after the change, and the
 * snapshot writer puts the new state on disk soon after, coalescing
 * changes.  Cheap, never waits for the disk.  _locked: bot->mu held;
 * returns the generation that will hold the change.
 */
void bot_snapshot_dirty(struct bot *bot);
uint64_t bot_snapshot_dirty_locked(struct bot *bot);
/*
 * bot->mu held: wait until generation gen is durable (0), its write failed
 * (-EIO), the stop flag rose (-ECANCELED) or by (CLOCK_MONOTONIC) passed
 * (-ETIMEDOUT).  0 at once when no writer runs (dry run).
 */
int snapshot_wait_locked(struct bot *bot, uint64_t gen,
			 const struct timespec *by);
/* The writer thread ("snapshot") and its wake hook. */
void *snapshot_main(void *arg);
void snapshot_wake(void *arg);

/* ---- owner.c ---- */
/*
 * Lock state_dir (opened as state_fd) for the process's life: flock on
 * state_dir/lock, our pid written in it.  0 with *lock_fd (keep it open),
 * -EBUSY when another process holds it (cause names its pid), or -EINVAL;
 * cause is "file:line: message" either way.
 */
int owner_lock(const struct bot_config *cfg, int state_fd, int *lock_fd,
	       char *cause);
/*
 * This state_dir's instance id (OWNER_INSTANCE_LEN + 1 bytes), read from
 * state_dir/instance or made and written there once.  0, or -errno with
 * cause "file:line: message" (a file that holds no id is never replaced).
 */
int owner_instance(const struct bot_config *cfg, int state_fd, char *id,
		   char *cause);
/* --check-config: the instance id, if state_dir holds one, is one; no
 * lock taken, nothing written.  0 or -errno with cause. */
int owner_instance_check(const struct bot_config *cfg, char *cause);
/* Fill bot's prefix, instance, own and run_tag; 0 or -EIO. */
/*
 * A new file of this user's alone beside name in dirfd, for an atomic
 * write: "name.XXXXXX" (tmp, size bytes) opened O_EXCL | O_NOFOLLOW, mode
 * 0600.  Its fd, or -errno.
 */
int owner_tmp_open(int dirfd, const char *name, char *tmp, size_t size);
int owner_init(struct bot *bot, const char *instance);
/* "<prefix>-<instance>-<run><seq in base36>"; -ENOSPC past 36 or size. */
int owner_client_id(const struct bot *bot, unsigned long seq, char *out,
		    size_t size);
/* The prefix's, but another instance's: not this daemon's to cancel. */
bool owner_orphan(const struct bot *bot, const char *client_id);

/* ---- pool.c ---- */
struct pool;
int pool_new(struct pool **out, const struct bot_config *cfg,
	     struct rest_client *rc, int size);
void pool_free(struct pool *p);
int pool_size(const struct pool *p);
/* Open the connections (start-up, before the worker); pings answered. */
int pool_warm(struct pool *p);
void *pool_main(void *arg);
void pool_wake(void *arg);
/* Stop the worker and wait until rc is free; 0 or -ETIMEDOUT.  The pool's
 * figures go into detail when not NULL. */
int pool_release(struct pool *p, const struct timespec *deadline,
		 json_t *detail);
/* After pool_release: the worker runs job(arg) (NULL: nothing) and ends;
 * without a pool, job runs here. */
void pool_defer(struct pool *p, void (*job)(void *), void *arg);

/* ---- stream.c ---- */
/*
 * A WebSocket message put together from its fragments, for both
 * libwebsockets clients (market data, the user stream).
 */
struct ws_rx {
	char *buf;
	size_t len;
	bool overflow; /* this message went over max: dropped */
	bool complete; /* buf holds a whole message (until the next add) */
};

struct lws;
/*
 * Add a received fragment: 1 when it ends a whole message (rx->buf,
 * rx->len: valid until the next call), 0 otherwise, also when the message
 * went over max bytes (dropped) or memory ran out; *too_big is set true
 * once, when a message first goes over.
 */
int ws_rx_add(struct ws_rx *rx, struct lws *wsi, const char *in, size_t len,
	      size_t max, bool *too_big);
/* Forget a message half received (a new connection). */
void ws_rx_reset(struct ws_rx *rx);
void ws_rx_free(struct ws_rx *rx);
struct stream;
/*
 * libwebsockets' own lines: errors only, into the daemon's log, which
 * never blocks (its default writes to stderr, a pipe nobody may read).
 * Before any context is made; stream_new() and ustream_new() call it.
 */
void stream_lws_logging(void);
int stream_new(struct stream **out, struct bot *bot, char *cause);
/*
 * The longest request path libwebsockets' client sends (its request line
 * is 2 KiB); streams beyond it are asked for with SUBSCRIBE.
 */
#define STREAM_PATH_MAX 2000
/* Streams configured: symbols x channels. */
int stream_count(const struct bot_config *cfg);
/* "<base path of ws_url>/stream?streams=a@trade/a@bookTicker/...", with
 * as many streams as fit; *in_path says how many. */
int stream_build_path(const char *ws_url, const struct bot_config *cfg,
		      char *out, size_t size, int *in_path);
/* The SUBSCRIBE message for streams from..end; NULL when none (free it). */
char *stream_build_subscribe(const struct bot_config *cfg, int from);
void stream_free(struct stream *s);
void *stream_main(void *arg);
void stream_wake(void *arg);
/* Begin the close handshake now (the stop flag is up: nothing reads
 * market data any more); stream_close_phase() waits for it. */
void stream_close_start(struct stream *s);
enum gs_outcome stream_close_phase(void *arg, const struct timespec *deadline,
				   json_t *detail);
/* Wait until every stream is up or the deadline passes; count up. */
int stream_wait_up(struct stream *s, const struct timespec *deadline);

/* ---- book.c ---- */
/* One executionReport, as the book reads it. */
struct exec_report {
	char symbol[BOT_SYMBOL_MAX];
	char client_id[BOT_CID_MAX]; /* the order's: C on a cancel, else c */
	char side[8];
	char price[32];
	char qty[32];
	char executed[32]; /* z: cumulative filled quantity */
	char exec_type[24]; /* x: NEW, TRADE, CANCELED, EXPIRED, ... */
	char status[24];    /* X: NEW, PARTIALLY_FILLED, FILLED, ... */
	int64_t order_id;   /* i */
	int64_t time_ms;    /* T: transaction time */
	int64_t exec_id;    /* I: increases with every execution */
};

/* An "executionReport" event object into er; 0 or -EBADMSG. */
int book_parse_report(json_t *ev, struct exec_report *er);
/* True when status ends the order: FILLED, CANCELED, EXPIRED, ... */
bool book_terminal(const char *status);
/*
 * Apply one executionReport to the book: bot->placed for the bot's own
 * orders (bot_owns), bot->foreign for others' on the bot's symbols.  NEW
 * adds or keeps, PARTIALLY_FILLED updates, FILLED, CANCELED, EXPIRED,
 * REJECTED and EXPIRED_IN_MATCH remove (and the order is never revived by
 * an older event).  Idempotent: a duplicate or older event (by T, then I)
 * changes nothing.  Takes bot->mu; 1 when the book changed, 0 when not,
 * -EINVAL for an event on a symbol the bot does not trade.
 */
int ustream_on_order(struct bot *bot, const struct exec_report *er);
/*
 * Reconciliation with a listing: book_mark() (before the listing is sent)
 * notes the orders the book already holds as confirmed; book_reconcile()
 * then drops those the listing no longer shows, adds what it shows and
 * the book lacks (unless an event ended it), and says what it found in
 * found ("listed", "added", "removed", "foreign", "conflicts").
 * Placements not yet confirmed (no reply, no event) are left alone.  An
 * order of this instance that no run of it placed is a conflict, as from
 * an event (ustream_on_order): kept as someone else's, traced, logged,
 * counted in bot->conflicts.  Both take bot->mu.
 */
json_t *book_mark(struct bot *bot);
void book_reconcile(struct bot *bot, json_t *mark, const struct bot_order *o,
		    int n, json_t *found);
/*
 * The conflicts a listing that does not reconcile shows (the shutdown's):
 * taken into the book as someone else's and reported as
 * book_reconcile() does.  Takes bot->mu; returns bot->conflicts.
 */
int book_listed_conflicts(struct bot *bot, const struct bot_order *o, int n);
/* Others' open orders on symbol i; bot->mu held. */
int book_foreign_count(struct bot *bot, int i);
/* The bot's own orders the book holds, *out to free; bot->mu held.
 * Count, or -ENOMEM. */
int book_own_orders(struct bot *bot, struct bot_order **out);

/* ---- ustream.c ---- */
struct ustream;
/* NULL in *out when the configuration wants no user stream. */
int ustream_new(struct ustream **out, struct bot *bot, const char *api_key,
		const struct sign_key *key, char *cause);
void ustream_free(struct ustream *u);
void *ustream_main(void *arg);
void ustream_wake(void *arg);
/*
 * True when the stream is subscribed and reconciled and has not gone
 * silent: the book is the account's.  Otherwise why says so (may be
 * NULL).  u may be NULL (no stream).
 */
bool ustream_healthy(struct ustream *u, char *why, size_t size);
/* Begin the close handshake (1000) now; the CLOSING phase waits. */
void ustream_close_start(struct ustream *u);
/* Wait for the close until deadline, then drop the connection and wait
 * for that until grace; figures into detail.  True when clean (or
 * nothing was open). */
bool ustream_close_wait(struct ustream *u, const struct timespec *deadline,
			const struct timespec *grace, json_t *detail);

/* ---- strategy.c ---- */
void *strategy_main(void *arg);
void strategy_wake(void *arg);
/* Wait (bounded) until no placement is in flight; returns how many are. */
int strategy_wait_idle(struct bot *bot, const struct timespec *deadline);
/* Wait (bounded) until the whole grid rests once (0), or it cannot
 * for now, or the deadline (-ETIMEDOUT both). */
int strategy_wait_placed(struct bot *bot, const struct timespec *deadline);
/* Round price to the tick (down for BUY, up for SELL); returns it. */
double strategy_round_price(double price, double tick, bool up);
/* 0, or -ENOSPC when the number does not fit size (never cut short). */
int strategy_format(double value, double step, char *out, size_t size);

#endif
