/*
 * strategy.c - the demo grid: per symbol, orders_per_symbol resting LIMIT
 * orders at grid_spacing_bps steps below (BUY) and above (SELL) the mid
 * price, each level re-placed once its order is gone (filled).
 *
 * The stop flag is checked under bot->mu in the same critical section
 * that counts a placement as in flight and records it among the bot's
 * placements, so once the flag is up no new order starts, the CANCELLING
 * phase can wait for the ones already on the wire (strategy_wait_idle),
 * and every snapshot names them.  A placement is sent only once the
 * snapshot on disk names it (snapshot.c): the strategy waits for that at
 * most SNAPSHOT_WAIT_MS, with the placements counted in flight, then
 * checks the flag again under the lock; a disk that is slower, or refuses,
 * gets them dropped unsent and the round backs off.
 *
 * A placement without a reply (timeout, 5xx, -1001, -1007) is unknown
 * (outcome.c): its level keeps it and is not placed again until a
 * listing shows it, an event or a query by origClientOrderId (weight 4,
 * with backoff) decides it; "does not exist" decides only once its
 * timestamp + recvWindow has passed on the exchange's clock, and the
 * query is asked again then.  Doubled orders at one level are what a
 * guess would cost.
 *
 * The exchange is polled sparingly: while the user stream vouches for
 * the book (ustream_healthy), a level is free once its order left the
 * book, and the open orders are listed only as a slow audit (AUDIT_MS);
 * otherwise they are listed only when
 * some level rests, per symbol (weight 6 each) where that is cheaper than
 * the account-wide listing (80), and every request waits for the weight
 * budget.  While prices are missing or placements are refused, rounds back
 * off exponentially up to 30 s; a price arriving for a symbol that lacked
 * one wakes the wait at once, as does the stop flag.  A refused level is
 * logged once, and what keeps the grid from complete is told in the status
 * line and sd_notify's STATUS.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

#define REFRESH_MS 2000
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 30000
#define RESYNC_MS (5 * 60 * 1000)
#define AUDIT_MS (5 * 60 * 1000) /* a listing while the book is live */
#define MAX_LEVELS 200
/* How long placements wait for the snapshot naming them (snapshot.c). */
#define SNAPSHOT_WAIT_MS 2000

struct slot {
	char client_id[BOT_CID_MAX]; /* empty: nothing resting, nothing
				      * whose outcome is unknown */
	char refused[40];	     /* why the last placement was refused */
	char to_log[160];	     /* a refusal to log, outside the lock */
	int64_t query_at;	     /* mono ms: its outcome queried next */
	long long query_backoff;     /* after a query without an answer */
};

struct grid {
	struct bot *bot;
	struct slot slots[BOT_MAX_SYMBOLS][MAX_LEVELS];
	unsigned long counter;
	long long backoff;
	struct timespec next_sync;
	struct timespec next_audit;
	bool no_price[BOT_MAX_SYMBOLS];
	int refused; /* levels refused in the last round */
	int failed;  /* placements that failed otherwise */
	char held[120]; /* placements held for the snapshot, to log */
	int unknown; /* levels whose placement's outcome is unknown */
	bool stopped; /* a conflict (book.c): nothing more is placed */
};

double
strategy_round_price(double price, double tick, bool up)
{
	double n;

	if (tick <= 0)
		return price;
	n = price / tick;
	/* Guard against 99.99999999 / 0.01 landing just under an integer. */
	n = up ? ceil(n - 1e-9) : floor(n + 1e-9);
	return n * tick;
}

int
strategy_format(double value, double step, char *out, size_t size)
{
	int decimals = 0, n;

	while (step > 0 && step < 0.999999999 && decimals < 8) {
		step *= 10;
		decimals++;
	}
	n = snprintf(out, size, "%.*f", decimals, value);
	/* A price from a hostile stream must not be sent cut short. */
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int
bot_symbol_index(const struct bot *bot, const char *symbol)
{
	int i;

	for (i = 0; i < bot->cfg->bot.nsymbols; i++)
		if (strcmp(bot->cfg->bot.symbols[i], symbol) == 0)
			return i;
	return -1;
}

/* A price arrived for a symbol the last round had none for. */
static bool
grid_price_came(struct grid *g)
{
	int i;

	for (i = 0; i < g->bot->cfg->bot.nsymbols; i++)
		if (g->no_price[i] && (g->bot->books[i].last > 0 ||
				       (g->bot->books[i].bid > 0 &&
					g->bot->books[i].ask > 0)))
			return true;
	return false;
}

/* Some symbol had no price in the last round. */
static bool
grid_price_missing(const struct grid *g)
{
	int i;

	for (i = 0; i < g->bot->cfg->bot.nsymbols; i++)
		if (g->no_price[i])
			return true;
	return false;
}

/* Wait on bot->cv (held) for up to ms, or until the flag rises. */
static void
grid_wait(struct grid *g, long long ms)
{
	struct bot *bot = g->bot;
	struct timespec until = gs_mono_after_ms(ms);

	while (!gs_stop_requested() && !grid_price_came(g) &&
	       gs_cond_wait_until(&bot->cv, &bot->mu, &until) == 0)
		;
}

static double
grid_mid(struct bot *bot, int i)
{
	const struct book *b = &bot->books[i];

	if (b->bid > 0 && b->ask > 0)
		return (b->bid + b->ask) / 2;
	return b->last;
}

/* Symbol i has some level resting. */
static bool
grid_rests(const struct grid *g, int i)
{
	int lv;

	for (lv = 0; lv < g->bot->cfg->bot.orders_per_symbol; lv++)
		if (g->slots[i][lv].client_id[0] != '\0')
			return true;
	return false;
}

/* One listing per symbol that rests, or one for the account: cheaper. */
static int
grid_listings(struct grid *g, struct rest_req *reqs, int *nreq)
{
	const struct bot_config *cfg = g->bot->cfg;
	int i, k = 0, resting = 0;
	bool account;

	for (i = 0; i < cfg->bot.nsymbols; i++)
		resting += grid_rests(g, i);
	if (resting == 0)
		return 0;
	budget_listing_weight(resting, &account);
	if (account) {
		rest_req_init(&reqs[k], "GET", "/api/v3/openOrders", true);
		reqs[k++].on_stop = REST_STOP_ABORT;
	} else {
		for (i = 0; i < cfg->bot.nsymbols; i++) {
			if (!grid_rests(g, i))
				continue;
			rest_req_init(&reqs[k], "GET", "/api/v3/openOrders",
				      true);
			reqs[k].on_stop = REST_STOP_ABORT;
			reqs[k].tag = i;
			if (sign_append(reqs[k].query, sizeof(reqs[k].query),
					"symbol", cfg->bot.symbols[i]) < 0)
				return -ENOSPC;
			k++;
		}
	}
	*nreq = k;
	return resting;
}

/* Append the orders of one listing reply; -1 when it failed. */
static int
grid_collect(struct rest_req *req, struct bot_order **all, int *nall)
{
	struct bot_order *orders = NULL, *grown;
	int n;

	/* Scanned, not parsed into a tree: the same orders, cheaper. */
	if (req->status != 200 ||
	    (n = parse_open_orders(req->body, req->len, &orders)) < 0) {
		char what[300];

		rest_describe(req, what, sizeof(what));
		log_warn("strategy: cannot list open orders: %s", what);
		return -1;
	}
	grown = realloc(*all, (size_t)(*nall + n + 1) * sizeof(**all));
	if (grown == NULL) {
		free(orders);
		return -1;
	}
	*all = grown;
	if (n > 0)
		memcpy(*all + *nall, orders, (size_t)n * sizeof(*orders));
	*nall += n;
	free(orders);
	return 0;
}

/* Forget slots whose order left the live book; how many rest. */
static int
grid_from_book(struct grid *g)
{
	struct bot *bot = g->bot;
	const struct bot_config *cfg = bot->cfg;
	int i, lv, resting = 0;

	pthread_mutex_lock(&bot->mu);
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++) {
			struct slot *s = &g->slots[i][lv];

			if (s->client_id[0] == '\0')
				continue;
			if (json_object_get(bot->placed, s->client_id) != NULL)
				resting++;
			else
				s->client_id[0] = '\0'; /* filled: re-place */
		}
	}
	bot->resting = resting;
	pthread_mutex_unlock(&bot->mu);
	return resting;
}

/*
 * Forget slots whose order no longer rests.  Returns how many rest, 0
 * without a request when none did, -1 when the listing failed.  While
 * the user stream vouches for the book, from the book, with a listing
 * only every AUDIT_MS.
 */
static int
grid_refresh(struct grid *g)
{
	struct bot *bot = g->bot;
	const struct bot_config *cfg = bot->cfg;
	struct rest_req *reqs = calloc((size_t)cfg->bot.nsymbols + 1,
				       sizeof(*reqs));
	struct rest_req **ptrs = calloc((size_t)cfg->bot.nsymbols + 1,
					sizeof(*ptrs));
	struct bot_order *orders = NULL;
	struct plan_ids ids;
	struct timespec dl;
	json_t *known;
	int nreq = 0, n = 0, i, k, lv, resting = 0, rc = 0, gone = 0;

	if (reqs == NULL || ptrs == NULL) {
		free(reqs);
		free(ptrs);
		return -1;
	}
	if (ustream_healthy(bot->ustream, NULL, 0) &&
	    gs_ms_until(&g->next_audit) > 0) {
		free(reqs);
		free(ptrs);
		return grid_from_book(g);
	}
	g->next_audit = gs_mono_after_ms(AUDIT_MS);
	rc = grid_listings(g, reqs, &nreq);
	if (rc <= 0) {
		free(reqs);
		free(ptrs);
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < nreq; i++)
		ptrs[i] = &reqs[i];
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	rest_run(bot->strategy_rest, ptrs, nreq, 8, &dl);
	rc = 0;
	for (i = 0; i < nreq; i++) {
		if (rc == 0 && grid_collect(&reqs[i], &orders, &n) < 0)
			rc = -1;
		rest_req_reset(&reqs[i]);
	}
	free(reqs);
	free(ptrs);
	if (rc < 0) {
		free(orders);
		return -1;
	}
	/* Sorted once: a slot is looked up, not compared with every order
	 * listed (a listing of the whole account can be long). */
	if (plan_index(orders, n, &ids) < 0) {
		free(orders);
		return -1;
	}
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++) {
			struct slot *s = &g->slots[i][lv];

			const char *oc;
			bool placed;

			if (s->client_id[0] == '\0')
				continue;
			pthread_mutex_lock(&bot->mu);
			oc = outcome_of_locked(bot, s->client_id);
			placed = oc != NULL && strcmp(oc, OUTCOME_PLACED) == 0;
			if (plan_listed(&ids, s->client_id)) {
				/* It rests, whatever was unknown of it. */
				if (oc != NULL && !placed)
					outcome_status_locked(bot, s->client_id,
							      "NEW", 0,
							      OUTCOME_BY_LISTING);
				pthread_mutex_unlock(&bot->mu);
				s->query_at = 0;
				resting++;
				continue;
			}
			if (oc != NULL && !placed) {
				/* Unknown: filled, still on its way or never
				 * placed; its query decides, and the level is
				 * not placed again meanwhile. */
				pthread_mutex_unlock(&bot->mu);
				continue;
			}
			/* Filled (or an event said it is gone): no longer
			 * the bot's to cancel; re-place. */
			gone++;
			if (placed)
				outcome_forget_locked(bot, s->client_id);
			pthread_mutex_unlock(&bot->mu);
			s->client_id[0] = '\0';
		}
	}
	plan_ids_free(&ids);
	known = json_array();
	for (k = 0; k < n; k++)
		if (bot_owns(bot, orders[k].client_id))
			json_array_append_new(
			    known,
			    json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}",
				      "symbol", orders[k].symbol, "orderId",
				      (json_int_t)orders[k].order_id,
				      "clientOrderId", orders[k].client_id,
				      "price", orders[k].price, "origQty",
				      orders[k].qty, "side", orders[k].side));
	pthread_mutex_lock(&bot->mu);
	bot->resting = resting;
	/* A listing that shows nothing new is not written again. */
	if (gone > 0 || !json_equal(bot->known, known))
		bot_snapshot_dirty_locked(bot);
	json_decref(bot->known);
	bot->known = known;
	pthread_mutex_unlock(&bot->mu);
	free(orders);
	return resting;
}

/*
 * Log a refused level once, until it is placed or refused otherwise.  May
 * run under bot->mu, so the line is only noted here; grid_log writes it.
 */
static void
grid_refused(struct grid *g, int i, int lv, const char *why,
	     const char *detail)
{
	struct slot *s = &g->slots[i][lv];

	g->refused++;
	if (strcmp(s->refused, why) == 0)
		return;
	snprintf(s->refused, sizeof(s->refused), "%s", why);
	snprintf(s->to_log, sizeof(s->to_log), "%.*s",
		 (int)sizeof(s->to_log) - 1, detail); /* cut: a log line */
}

/* Write the refusals noted this round (no lock held). */
static void
grid_log(struct grid *g)
{
	const struct bot_config *cfg = g->bot->cfg;
	int i, lv;

	for (i = 0; i < cfg->bot.nsymbols; i++) {
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++) {
			struct slot *s = &g->slots[i][lv];

			if (s->to_log[0] == '\0')
				continue;
			log_warn("strategy: %s level %d refused (%s): %s; "
				 "retried with backoff, logged once",
				 cfg->bot.symbols[i], lv, s->refused,
				 s->to_log);
			s->to_log[0] = '\0';
		}
	}
}

/* Build the placement for level lv of symbol i; false to skip it. */
static bool
grid_order(struct grid *g, int i, int lv, double mid, struct rest_req *req,
	   char *cid, size_t cidsize)
{
	struct bot *bot = g->bot;
	const struct bot_config *cfg = bot->cfg;
	const struct bot_filters *f = &bot->filters[i];
	bool buy = lv % 2 == 0;
	int level = lv / 2 + 1, rc = 0;
	double off = level * cfg->bot.grid_spacing_bps / 10000.0;
	double price = strategy_round_price(mid * (buy ? 1 - off : 1 + off),
					    f->tick_size, !buy);
	double qty = strtod(cfg->bot.order_quantity, NULL);
	const char *why = NULL;
	char sprice[40], sqty[40], detail[120];

	if (f->step_size > 0)
		qty = floor(qty / f->step_size + 1e-9) * f->step_size;
	if (qty <= 0 || qty < f->min_qty ||
	    (f->max_qty > 0 && qty > f->max_qty))
		why = "LOT_SIZE";
	else if (!isfinite(price) || price <= 0 ||
		 (f->min_price > 0 && price < f->min_price) ||
		 (f->max_price > 0 && price > f->max_price))
		why = "PRICE_FILTER";
	else if (f->min_notional > 0 && price * qty < f->min_notional)
		why = "NOTIONAL";
	if (why != NULL) {
		snprintf(detail, sizeof(detail),
			 "%.8f x %.8f breaks the symbol's filters", price, qty);
		grid_refused(g, i, lv, why, detail);
		return false;
	}
	if (strategy_format(price, f->tick_size, sprice, sizeof(sprice)) < 0 ||
	    strategy_format(qty, f->step_size, sqty, sizeof(sqty)) < 0) {
		snprintf(detail, sizeof(detail),
			 "%.3g x %.3g does not fit an order's fields", price,
			 qty);
		grid_refused(g, i, lv, "PRICE_FILTER", detail);
		return false;
	}
	if (owner_client_id(bot, ++g->counter, cid, cidsize) < 0) {
		/* 2.2e9 orders in one run at the longest prefix. */
		log_error("strategy: client order id %lu does not fit %d "
			  "characters; no more placements in this run",
			  g->counter, BOT_CID_LIMIT);
		return false;
	}
	rest_req_init(req, "POST", "/api/v3/order", true);
	rc |= sign_append(req->query, sizeof(req->query), "symbol",
			  cfg->bot.symbols[i]);
	rc |= sign_append(req->query, sizeof(req->query), "side",
			  buy ? "BUY" : "SELL");
	rc |= sign_append(req->query, sizeof(req->query), "type", "LIMIT");
	rc |= sign_append(req->query, sizeof(req->query), "timeInForce",
			  "GTC");
	rc |= sign_append(req->query, sizeof(req->query), "quantity", sqty);
	rc |= sign_append(req->query, sizeof(req->query), "price", sprice);
	rc |= sign_append(req->query, sizeof(req->query), "newClientOrderId",
			  cid);
	rc |= sign_append(req->query, sizeof(req->query), "newOrderRespType",
			  "ACK");
	if (rc != 0) {
		log_error("strategy: %s: the order does not fit a request",
			  cfg->bot.symbols[i]);
		return false;
	}
	req->tag = i * MAX_LEVELS + lv;
	/* Snapshots name it from now on (held: bot->mu). */
	/* sent_by: the latest timestamp it can go with (the wait for the
	 * snapshot, then the batch's deadline), for a restart after a
	 * crash to know when it can no longer land. */
	outcome_sent_locked(
	    bot, cid,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "symbol",
		      cfg->bot.symbols[i], "clientOrderId", cid, "price",
		      sprice, "origQty", sqty, "side", buy ? "BUY" : "SELL",
		      "status", "SENT", "level", lv, "sent_by",
		      (json_int_t)bot_add_sat(
			  rest_server_ms(bot->strategy_rest),
			  SNAPSHOT_WAIT_MS +
			      cfg->exchange.request_timeout_ms + 500)));
	req->on_stop = REST_STOP_DROP_UNSENT;
	return true;
}

/* Why the exchange refused a placement: the filter, else its message. */
static void
grid_reason(const struct rest_req *req, char *out, size_t size)
{
	const char *f = strstr(req->msg, "Filter failure: ");

	if (f != NULL)
		snprintf(out, size, "%s", f + 16);
	else if (req->code != 0)
		snprintf(out, size, "code %d", req->code);
	else
		snprintf(out, size, "HTTP %ld", req->status);
}

/* The client order id a placement carries ("" when none). */
static void
grid_cid(const struct rest_req *req, char *cid, size_t size)
{
	const char *c = strstr(req->query, "newClientOrderId=");

	cid[0] = '\0';
	if (c != NULL)
		snprintf(cid, size, "%.*s", (int)strcspn(c + 17, "&"), c + 17);
}

/*
 * bot->mu held: the k placements just recorded (and counted in flight)
 * are sent only once a snapshot naming them is durable.  When the disk
 * does not say so within SNAPSHOT_WAIT_MS (stalled, refusing) or the stop
 * flag rose meanwhile, they are forgotten unsent: false.
 */
static bool
grid_recorded(struct grid *g, struct rest_req *reqs, int k)
{
	struct bot *bot = g->bot;
	struct timespec by = gs_mono_after_ms(SNAPSHOT_WAIT_MS);
	char cid[BOT_CID_MAX];
	int i, rc;

	rc = snapshot_wait_locked(bot, bot_snapshot_dirty_locked(bot), &by);
	/* The wait let go of bot->mu: the flag is checked again with it. */
	if (rc == 0 && gs_stop_requested())
		rc = -ECANCELED;
	if (rc == 0)
		return true;
	for (i = 0; i < k; i++) {
		grid_cid(&reqs[i], cid, sizeof(cid));
		json_object_del(bot->placed, cid);
		rest_req_reset(&reqs[i]);
	}
	bot_snapshot_dirty_locked(bot);
	if (rc != -ECANCELED)
		snprintf(g->held, sizeof(g->held),
			 "%d placement%s held: the order snapshot is not on "
			 "disk (%s)",
			 k, k == 1 ? "" : "s",
			 rc == -ETIMEDOUT ? "the disk is slow" : "write failed");
	return false;
}

/* A placement's reply: keep the level, or say why not. */
static void
grid_placed_one(struct grid *g, struct rest_req *req)
{
	struct bot *bot = g->bot;
	int sym = req->tag / MAX_LEVELS, l = req->tag % MAX_LEVELS;
	char cid[BOT_CID_MAX], what[300], why[40];

	grid_cid(req, cid, sizeof(cid));
	if (req->status == 200 && cid[0] != '\0') {
		json_t *ack = json_loadb(req->body, req->len, 0, NULL);
		json_t *id = json_object_get(ack, "orderId");
		const char *oc;

		snprintf(g->slots[sym][l].client_id, BOT_CID_MAX, "%s", cid);
		g->slots[sym][l].refused[0] = '\0';
		g->slots[sym][l].query_at = 0;
		pthread_mutex_lock(&bot->mu);
		/* An ACK carries no status: accepted.  An event may have
		 * said more already (filled: gone from bot->placed). */
		oc = outcome_of_locked(bot, cid);
		if (oc != NULL && strcmp(oc, OUTCOME_IN_FLIGHT) == 0)
			outcome_status_locked(bot, cid, "NEW",
					      json_is_integer(id)
						  ? json_integer_value(id)
						  : 0,
					      OUTCOME_BY_REPLY);
		pthread_mutex_unlock(&bot->mu);
		json_decref(ack);
		return;
	}
	if (req->sent && rest_unknown(req) && cid[0] != '\0') {
		struct slot *s = &g->slots[sym][l];

		/* No answer: it may rest, may have filled, may never be
		 * placed.  The level keeps it, unknown, and is not placed
		 * again until the exchange says. */
		pthread_mutex_lock(&bot->mu);
		outcome_unknown_locked(bot, cid, req->timestamp_ms,
				       req->recv_window_ms);
		pthread_mutex_unlock(&bot->mu);
		snprintf(s->client_id, BOT_CID_MAX, "%s", cid);
		s->query_at = gs_mono_ns() / 1000000;
		s->query_backoff = 0;
		g->failed++;
		rest_describe(req, what, sizeof(what));
		log_warn("strategy: placing %s on %s: %s; its outcome is "
			 "unknown until the exchange says, the level waits",
			 cid, bot->cfg->bot.symbols[sym], what);
		return;
	}
	/* Never sent, or refused: it does not rest. */
	pthread_mutex_lock(&bot->mu);
	outcome_forget_locked(bot, cid);
	pthread_mutex_unlock(&bot->mu);
	if (!req->sent)
		return;
	rest_describe(req, what, sizeof(what));
	if (req->status >= 400 && req->status < 500 && req->status != 429 &&
	    req->status != 418) {
		grid_reason(req, why, sizeof(why));
		grid_refused(g, sym, l, why, what);
	} else {
		g->failed++;
		log_warn("strategy: placing on %s failed: %s",
			 bot->cfg->bot.symbols[sym], what);
	}
}

/* A query's answer: the level rests, is free again, or asks later. */
static void
grid_queried(struct grid *g, struct rest_req *req)
{
	struct bot *bot = g->bot;
	int sym = req->tag / MAX_LEVELS, l = req->tag % MAX_LEVELS;
	struct slot *s = &g->slots[sym][l];
	int64_t now = gs_mono_ns() / 1000000;
	char what[300];

	if (req->status == 200) {
		json_t *j = json_loadb(req->body, req->len, 0, NULL);
		const char *st =
		    json_string_value(json_object_get(j, "status"));
		json_t *id = json_object_get(j, "orderId");
		bool rests = outcome_rests(st);

		if (st != NULL) {
			pthread_mutex_lock(&bot->mu);
			outcome_status_locked(bot, s->client_id, st,
					      json_is_integer(id)
						  ? json_integer_value(id)
						  : 0,
					      OUTCOME_BY_QUERY);
			pthread_mutex_unlock(&bot->mu);
			log_info("strategy: %s was placed (%s, by query)%s",
				 s->client_id, st,
				 rests ? "" : "; the level is placed again");
			if (!rests)
				s->client_id[0] = '\0';
			s->query_at = 0;
			json_decref(j);
			return;
		}
		json_decref(j);
	} else if (req->code == -2013) {
		int64_t server = rest_server_ms(bot->strategy_rest), end;
		bool never;

		pthread_mutex_lock(&bot->mu);
		end = outcome_window_end(
		    json_object_get(bot->placed, s->client_id));
		never = outcome_absent_locked(bot, s->client_id, server,
					      OUTCOME_BY_QUERY);
		pthread_mutex_unlock(&bot->mu);
		if (never) {
			log_info("strategy: %s was never placed (unknown to "
				 "the exchange past its recvWindow); the level "
				 "is placed again",
				 s->client_id);
			s->client_id[0] = '\0';
			return;
		}
		/* It may still land: asked again once its window passed. */
		end = bot_add_sat(end, OUTCOME_CLOCK_MARGIN_MS + 1);
		s->query_at = bot_add_sat(now, end > server ? end - server : 0);
		s->query_backoff = 0;
		return;
	}
	/* No answer (or not one we read): asked again, with backoff. */
	s->query_backoff =
	    budget_backoff(s->query_backoff, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
	s->query_at = now + s->query_backoff;
	rest_describe(req, what, sizeof(what));
	log_warn("strategy: querying %s: %s; asked again in %lld ms",
		 s->client_id, what, s->query_backoff);
}

/*
 * Ask the exchange about each level whose placement's outcome is unknown
 * and whose turn has come: GET /api/v3/order by origClientOrderId (weight
 * 4, waiting for the budget like every request).  Sets g->unknown.
 */
static void
grid_query(struct grid *g)
{
	struct bot *bot = g->bot;
	const struct bot_config *cfg = bot->cfg;
	int nsym = cfg->bot.nsymbols, per = cfg->bot.orders_per_symbol;
	int64_t now = gs_mono_ns() / 1000000;
	struct rest_req *reqs = NULL, **ptrs = NULL;
	struct timespec dl;
	int i, lv, k = 0;

	g->unknown = 0;
	for (i = 0; i < nsym; i++) {
		for (lv = 0; lv < per; lv++) {
			struct slot *s = &g->slots[i][lv];
			const char *oc;
			bool unknown;

			if (s->client_id[0] == '\0')
				continue;
			pthread_mutex_lock(&bot->mu);
			oc = outcome_of_locked(bot, s->client_id);
			unknown = oc != NULL && strcmp(oc, OUTCOME_UNKNOWN) == 0;
			pthread_mutex_unlock(&bot->mu);
			if (!unknown)
				continue;
			g->unknown++;
			if (s->query_at > now)
				continue;
			if (reqs == NULL) {
				reqs = calloc((size_t)(nsym * per) + 1,
					      sizeof(*reqs));
				ptrs = calloc((size_t)(nsym * per) + 1,
					      sizeof(*ptrs));
				if (reqs == NULL || ptrs == NULL)
					goto out;
			}
			rest_req_init(&reqs[k], "GET", "/api/v3/order", true);
			reqs[k].on_stop = REST_STOP_ABORT;
			reqs[k].tag = i * MAX_LEVELS + lv;
			if (sign_append(reqs[k].query, sizeof(reqs[k].query),
					"symbol", cfg->bot.symbols[i]) < 0 ||
			    sign_append(reqs[k].query, sizeof(reqs[k].query),
					"origClientOrderId",
					s->client_id) < 0)
				continue;
			ptrs[k] = &reqs[k];
			k++;
		}
	}
	if (k == 0)
		goto out;
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	rest_run(bot->strategy_rest, ptrs, k, 8, &dl);
	for (i = 0; i < k; i++) {
		if (!gs_stop_requested())
			grid_queried(g, ptrs[i]);
		rest_req_reset(ptrs[i]);
	}
out:
	free(reqs);
	free(ptrs);
}

/* The soonest a level's outcome is to be asked, in ms from now; -1: none. */
static long long
grid_query_due(const struct grid *g)
{
	const struct bot_config *cfg = g->bot->cfg;
	int64_t now = gs_mono_ns() / 1000000, soonest = -1;
	int i, lv;

	if (g->unknown == 0)
		return -1;
	for (i = 0; i < cfg->bot.nsymbols; i++)
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++) {
			const struct slot *s = &g->slots[i][lv];

			if (s->client_id[0] != '\0' && s->query_at > 0 &&
			    (soonest < 0 || s->query_at < soonest))
				soonest = s->query_at;
		}
	if (soonest < 0)
		return -1;
	return soonest > now ? soonest - now : 0;
}

/* Place every empty level.  Returns -ECANCELED once stopping. */
static int
grid_place(struct grid *g)
{
	struct bot *bot = g->bot;
	const struct bot_config *cfg = bot->cfg;
	int nsym = cfg->bot.nsymbols, per = cfg->bot.orders_per_symbol;
	struct rest_req *reqs = calloc((size_t)(nsym * per) + 1, sizeof(*reqs));
	struct rest_req **ptrs = calloc((size_t)(nsym * per) + 1, sizeof(*ptrs));
	struct timespec dl;
	int i, lv, k = 0;

	if (reqs == NULL || ptrs == NULL) {
		free(reqs);
		free(ptrs);
		return -ENOMEM;
	}
	g->refused = 0;
	g->failed = 0;
	pthread_mutex_lock(&bot->mu);
	/* The flag, the in-flight count and the placements: one lock. */
	if (gs_stop_requested()) {
		pthread_mutex_unlock(&bot->mu);
		free(reqs);
		free(ptrs);
		return -ECANCELED;
	}
	g->stopped = bot->conflicts > 0;
	if (g->stopped) {
		/* Another process places with this instance's ids. */
		pthread_mutex_unlock(&bot->mu);
		free(reqs);
		free(ptrs);
		return 0;
	}
	for (i = 0; i < nsym; i++) {
		double mid = grid_mid(bot, i);

		g->no_price[i] = mid <= 0;
		if (mid <= 0)
			continue; /* no price yet */
		for (lv = 0; lv < per; lv++) {
			struct slot *s = &g->slots[i][lv];
			char cid[BOT_CID_MAX];

			if (s->client_id[0] != '\0')
				continue;
			if (!grid_order(g, i, lv, mid, &reqs[k], cid,
					sizeof(cid)))
				continue;
			if (cfg->bot.dry_run) {
				outcome_forget_locked(bot, cid);
				snprintf(s->client_id, sizeof(s->client_id),
					 "%s", cid);
				bot->dry_orders++;
				continue;
			}
			ptrs[k] = &reqs[k];
			k++;
		}
	}
	if (k > 0) {
		bot->inflight += k;
		bot->orders_possible = true;
		/* In flight while they wait for the disk: CANCELLING waits. */
		if (!grid_recorded(g, reqs, k)) {
			bot->inflight -= k;
			pthread_cond_broadcast(&bot->cv);
			k = 0;
			g->failed++;
		}
	}
	pthread_mutex_unlock(&bot->mu);
	grid_log(g);
	if (g->held[0] != '\0') {
		log_warn("strategy: %s", g->held);
		g->held[0] = '\0';
	}
	if (k == 0) {
		free(reqs);
		free(ptrs);
		return 0;
	}
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	rest_run(bot->strategy_rest, ptrs, k, 16, &dl);
	for (i = 0; i < k; i++) {
		grid_placed_one(g, ptrs[i]);
		rest_req_reset(ptrs[i]);
	}
	grid_log(g);
	pthread_mutex_lock(&bot->mu);
	bot->inflight -= k;
	bot_snapshot_dirty_locked(bot); /* the replies: ids, refusals */
	pthread_cond_broadcast(&bot->cv);
	pthread_mutex_unlock(&bot->mu);
	free(reqs);
	free(ptrs);
	return 0;
}

/* Every level of every symbol holds an order (real or dry run). */
static bool
grid_complete(struct grid *g)
{
	const struct bot_config *cfg = g->bot->cfg;
	int i, lv;

	for (i = 0; i < cfg->bot.nsymbols; i++)
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++)
			if (g->slots[i][lv].client_id[0] == '\0')
				return false;
	return true;
}

/* What keeps the grid from complete, for STATUS and SIGUSR1. */
static void
grid_status(struct grid *g, bool listing_failed, char *out, size_t size)
{
	const struct bot_config *cfg = g->bot->cfg;
	size_t off = 0;
	int i, lv, n = 0;

	out[0] = '\0';
	if (g->stopped) {
		snprintf(out, size, "placing stopped: another process uses "
				    "this instance's client ids");
		return;
	}
	for (i = 0; i < cfg->bot.nsymbols && off < size; i++)
		if (g->no_price[i])
			off += (size_t)snprintf(out + off, size - off, "%s%s",
						n++ ? ", " : "no prices for ",
						cfg->bot.symbols[i]);
	n = 0;
	for (i = 0; i < cfg->bot.nsymbols && off < size; i++) {
		for (lv = 0; lv < cfg->bot.orders_per_symbol && off < size;
		     lv++) {
			const char *why = g->slots[i][lv].refused;

			if (why[0] == '\0' || g->slots[i][lv].client_id[0])
				continue;
			/* One mention of each reason is enough. */
			if (n > 0 && strstr(out, why) != NULL)
				continue;
			off += (size_t)snprintf(out + off, size - off, "%s%s",
						n++ ? ", "
						: off ? "; placements refused: "
						      : "placements refused: ",
						why);
		}
	}
	if (g->unknown > 0 && off < size)
		off += (size_t)snprintf(out + off, size - off,
					"%s%d placement%s of unknown outcome",
					off ? "; " : "", g->unknown,
					g->unknown == 1 ? "" : "s");
	if (listing_failed && off < size)
		off += (size_t)snprintf(out + off, size - off, "%s%s",
					off ? "; " : "",
					"open orders not listed");
	if (off >= size && size > 4)
		snprintf(out + size - 4, 4, "...");
}

/* Publish the status when it changed. */
static void
grid_publish(struct grid *g, const char *status)
{
	struct bot *bot = g->bot;
	bool changed, ready;

	pthread_mutex_lock(&bot->mu);
	changed = strcmp(bot->missing, status) != 0;
	if (changed)
		snprintf(bot->missing, sizeof(bot->missing), "%s", status);
	ready = bot->ready;
	pthread_mutex_unlock(&bot->mu);
	if (!changed || !ready)
		return; /* before READY, main sends the status with it */
	if (status[0] != '\0') {
		log_info("strategy: grid incomplete: %s", status);
		gs_notify("STATUS=RUNNING, grid incomplete: %s", status);
	} else {
		log_info("strategy: grid complete");
		gs_notify("STATUS=RUNNING: %d symbols, %d orders each",
			  bot->cfg->bot.nsymbols,
			  bot->cfg->bot.orders_per_symbol);
	}
}

/* The weight of the next round, so its wait covers the budget too. */
static int
grid_next_cost(struct grid *g)
{
	const struct bot_config *cfg = g->bot->cfg;
	int i, lv, resting = 0, empty = 0;
	int query = budget_weight("GET", "/api/v3/order", "");
	bool account;

	if (cfg->bot.dry_run)
		return 0;
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		resting += grid_rests(g, i);
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++)
			empty += g->slots[i][lv].client_id[0] == '\0';
	}
	/* A query of each level whose outcome is unknown, at most. */
	if (ustream_healthy(g->bot->ustream, NULL, 0))
		return empty + query * g->unknown; /* the book is live */
	return (resting > 0 ? budget_listing_weight(resting, &account) : 0) +
	       empty + query * g->unknown;
}

/* Re-measure the clock offset now and then (weight 1). */
static void
grid_resync(struct grid *g)
{
	char cause[GS_CAUSE_MAX];

	if (g->bot->cfg->bot.dry_run || gs_ms_until(&g->next_sync) > 0)
		return;
	g->next_sync = gs_mono_after_ms(RESYNC_MS);
	if (rest_sync_time(g->bot->strategy_rest, cause) < 0)
		log_warn("strategy: %s", cause);
}

int
strategy_wait_placed(struct bot *bot, const struct timespec *deadline)
{
	bool placed;

	pthread_mutex_lock(&bot->mu);
	while (!bot->grid_placed && !bot->grid_stuck && !gs_stop_requested() &&
	       gs_cond_wait_until(&bot->cv, &bot->mu, deadline) == 0)
		;
	placed = bot->grid_placed;
	pthread_mutex_unlock(&bot->mu);
	return placed ? 0 : -ETIMEDOUT;
}

void *
strategy_main(void *arg)
{
	struct bot *bot = arg;
	struct grid *g = calloc(1, sizeof(*g));
	char status[sizeof(bot->missing)];

	if (g == NULL) {
		gs_request_shutdown(bot->sup, GS_EXIT_DEGRADED,
				    "strategy: out of memory");
		return NULL;
	}
	g->bot = bot;
	g->next_sync = gs_mono_after_ms(RESYNC_MS);
	while (!gs_stop_requested()) {
		bool listing_failed = false, trouble;
		long long wait, budget_wait = 0;

		grid_resync(g);
		if (!bot->cfg->bot.dry_run) {
			listing_failed = grid_refresh(g) < 0;
			grid_query(g);
		}
		if (grid_place(g) == -ECANCELED)
			break;
		grid_status(g, listing_failed, status, sizeof(status));
		grid_publish(g, status);
		trouble = listing_failed || g->refused > 0 || g->failed > 0 ||
			  grid_price_missing(g);
		/* Never a fixed short tick: back off while it goes wrong. */
		if (trouble) {
			g->backoff = budget_backoff(g->backoff, BACKOFF_BASE_MS,
						    BACKOFF_CAP_MS);
			wait = g->backoff;
		} else {
			g->backoff = 0;
			wait = REFRESH_MS;
		}
		{
			/* A level whose outcome is due to be asked. */
			long long due = grid_query_due(g);

			if (due >= 0 && due < wait)
				wait = due < 50 ? 50 : due;
		}
		if (!bot->cfg->bot.dry_run) {
			int64_t now = gs_mono_ns() / 1000000;

			pthread_mutex_lock(&bot->budget.mu);
			budget_wait = budget_wait_ms(&bot->budget, now + wait,
						     grid_next_cost(g), true);
			pthread_mutex_unlock(&bot->budget.mu);
		}
		pthread_mutex_lock(&bot->mu);
		if (!bot->grid_placed && grid_complete(g)) {
			bot->grid_placed = true;
			pthread_cond_broadcast(&bot->cv);
		}
		/* Prices known and still refused: no use waiting for READY. */
		if (!bot->grid_placed && !bot->grid_stuck && g->refused > 0 &&
		    !grid_price_missing(g)) {
			bot->grid_stuck = true;
			pthread_cond_broadcast(&bot->cv);
		}
		grid_wait(g, wait + budget_wait);
		pthread_mutex_unlock(&bot->mu);
	}
	free(g);
	return NULL;
}

void
strategy_wake(void *arg)
{
	struct bot *bot = arg;

	pthread_mutex_lock(&bot->mu);
	pthread_cond_broadcast(&bot->cv);
	pthread_mutex_unlock(&bot->mu);
}

int
strategy_wait_idle(struct bot *bot, const struct timespec *deadline)
{
	int n;

	pthread_mutex_lock(&bot->mu);
	while (bot->inflight > 0 &&
	       gs_cond_wait_until(&bot->cv, &bot->mu, deadline) == 0)
		;
	n = bot->inflight;
	pthread_mutex_unlock(&bot->mu);
	return n;
}
