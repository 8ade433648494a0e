/*
 * strategy.c - the demo grid: per symbol, orders_per_symbol resting LIMIT
 * orders at grid_spacing_bps steps below (BUY) and above (SELL) the mid
 * price, each level re-placed once its order is gone (filled).
 *
 * The stop flag is checked under bot->mu in the same critical section
 * that counts a placement as in flight, so once the flag is up no new
 * order starts, and the CANCELLING phase can wait for the ones already
 * on the wire (strategy_wait_idle) before it lists what to cancel.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

#define REFRESH_MS 2000
#define FIRST_PRICE_MS 100
#define MAX_LEVELS 200

struct slot {
	char client_id[BOT_CID_MAX]; /* empty: nothing resting */
};

struct grid {
	struct bot *bot;
	struct slot slots[GS_MAX_SYMBOLS][MAX_LEVELS];
	unsigned long counter;
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

void
strategy_format(double value, double step, char *out, size_t size)
{
	int decimals = 0;

	while (step > 0 && step < 0.999999999 && decimals < 8) {
		step *= 10;
		decimals++;
	}
	snprintf(out, size, "%.*f", decimals, value);
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

/* Wait on bot->cv (held) for up to ms, or until the flag rises. */
static void
grid_wait(struct bot *bot, long long ms)
{
	struct timespec until = gs_mono_after_ms(ms);

	while (!gs_stop_requested() &&
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

/* Forget slots whose order no longer rests; returns how many rest. */
static int
grid_refresh(struct grid *g)
{
	struct bot *bot = g->bot;
	struct rest_req req;
	struct bot_order *orders = NULL;
	int n, i, k, lv, resting = 0;

	rest_req_init(&req, "GET", "/api/v3/openOrders", true);
	rest_one(bot->strategy_rest, &req);
	if (req.status != 200 ||
	    (n = parse_orders(req.body, req.len, &orders)) < 0) {
		char what[300];

		rest_describe(&req, what, sizeof(what));
		log_warn("strategy: cannot list open orders: %s", what);
		rest_req_reset(&req);
		return -1;
	}
	rest_req_reset(&req);
	for (i = 0; i < bot->cfg->bot.nsymbols; i++) {
		for (lv = 0; lv < bot->cfg->bot.orders_per_symbol; lv++) {
			struct slot *s = &g->slots[i][lv];
			bool found = false;

			if (s->client_id[0] == '\0')
				continue;
			for (k = 0; k < n && !found; k++)
				found = strcmp(orders[k].client_id,
					       s->client_id) == 0;
			if (found)
				resting++;
			else
				s->client_id[0] = '\0'; /* filled: re-place */
		}
	}
	pthread_mutex_lock(&bot->mu);
	bot->resting = resting;
	json_decref(bot->known);
	bot->known = json_array();
	for (k = 0; k < n; k++)
		if (bot_owns(bot, orders[k].client_id))
			json_array_append_new(
			    bot->known,
			    json_pack("{s:s, s:I, s:s}", "symbol",
				      orders[k].symbol, "orderId",
				      (json_int_t)orders[k].order_id,
				      "clientOrderId", orders[k].client_id));
	pthread_mutex_unlock(&bot->mu);
	free(orders);
	return resting;
}

/* Build the placement for level lv of symbol i; false to skip it. */
static bool
grid_order(struct grid *g, int i, int lv, double mid, struct rest_req *req,
	   char *cid, size_t cidsize)
{
	struct bot *bot = g->bot;
	const struct gs_config *cfg = bot->cfg;
	const struct bot_filters *f = &bot->filters[i];
	bool buy = lv % 2 == 0;
	int level = lv / 2 + 1;
	double off = level * cfg->bot.grid_spacing_bps / 10000.0;
	double price = strategy_round_price(mid * (buy ? 1 - off : 1 + off),
					    f->tick_size, !buy);
	double qty = strtod(cfg->bot.order_quantity, NULL);
	char sprice[40], sqty[40];

	if (f->step_size > 0)
		qty = floor(qty / f->step_size + 1e-9) * f->step_size;
	if (price <= 0 || qty < f->min_qty ||
	    (f->min_notional > 0 && price * qty < f->min_notional) ||
	    (f->min_price > 0 && price < f->min_price) ||
	    (f->max_price > 0 && price > f->max_price)) {
		log_warn("strategy: %s level %d: %.8f x %.8f breaks the "
			 "symbol's filters; skipped",
			 cfg->bot.symbols[i], lv, price, qty);
		return false;
	}
	strategy_format(price, f->tick_size, sprice, sizeof(sprice));
	strategy_format(qty, f->step_size, sqty, sizeof(sqty));
	snprintf(cid, cidsize, "%s%s-%lu", bot->prefix, bot->run_tag,
		 ++g->counter);
	rest_req_init(req, "POST", "/api/v3/order", true);
	sign_append(req->query, sizeof(req->query), "symbol",
		    cfg->bot.symbols[i]);
	sign_append(req->query, sizeof(req->query), "side",
		    buy ? "BUY" : "SELL");
	sign_append(req->query, sizeof(req->query), "type", "LIMIT");
	sign_append(req->query, sizeof(req->query), "timeInForce", "GTC");
	sign_append(req->query, sizeof(req->query), "quantity", sqty);
	sign_append(req->query, sizeof(req->query), "price", sprice);
	sign_append(req->query, sizeof(req->query), "newClientOrderId", cid);
	sign_append(req->query, sizeof(req->query), "newOrderRespType", "ACK");
	req->tag = i * MAX_LEVELS + lv;
	return true;
}

/* Place every empty level.  Returns -ECANCELED once stopping. */
static int
grid_place(struct grid *g)
{
	struct bot *bot = g->bot;
	const struct gs_config *cfg = bot->cfg;
	int nsym = cfg->bot.nsymbols, per = cfg->bot.orders_per_symbol;
	struct rest_req *reqs = calloc((size_t)(nsym * per) + 1, sizeof(*reqs));
	struct rest_req **ptrs = calloc((size_t)(nsym * per) + 1, sizeof(*ptrs));
	struct timespec dl;
	int i, lv, k = 0, rc = 0;

	if (reqs == NULL || ptrs == NULL) {
		free(reqs);
		free(ptrs);
		return -ENOMEM;
	}
	pthread_mutex_lock(&bot->mu);
	for (i = 0; i < nsym; i++) {
		double mid = grid_mid(bot, i);

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
				snprintf(s->client_id, sizeof(s->client_id),
					 "%s", cid);
				bot->dry_orders++;
				continue;
			}
			ptrs[k] = &reqs[k];
			k++;
		}
	}
	/* The flag and the in-flight count move under one lock. */
	if (gs_stop_requested()) {
		pthread_mutex_unlock(&bot->mu);
		free(reqs);
		free(ptrs);
		return -ECANCELED;
	}
	if (k > 0) {
		bot->inflight += k;
		bot->orders_possible = true;
	}
	pthread_mutex_unlock(&bot->mu);
	if (k == 0) {
		free(reqs);
		free(ptrs);
		return 0;
	}
	dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	rest_run(bot->strategy_rest, ptrs, k, 16, &dl);
	for (i = 0; i < k; i++) {
		struct rest_req *req = ptrs[i];
		int sym = req->tag / MAX_LEVELS, l = req->tag % MAX_LEVELS;
		const char *cid = strstr(req->query, "newClientOrderId=");

		if (req->status == 200 && cid != NULL) {
			snprintf(g->slots[sym][l].client_id, BOT_CID_MAX,
				 "%.*s", (int)strcspn(cid + 17, "&"), cid + 17);
		} else {
			char what[300];

			rest_describe(req, what, sizeof(what));
			log_warn("strategy: placing on %s failed: %s",
				 cfg->bot.symbols[sym], what);
			rc = -EIO;
		}
		rest_req_reset(req);
	}
	pthread_mutex_lock(&bot->mu);
	bot->inflight -= k;
	pthread_cond_broadcast(&bot->cv);
	pthread_mutex_unlock(&bot->mu);
	free(reqs);
	free(ptrs);
	return rc;
}

/* Every level of every symbol holds an order (real or dry run). */
static bool
grid_complete(struct grid *g)
{
	const struct gs_config *cfg = g->bot->cfg;
	int i, lv;

	for (i = 0; i < cfg->bot.nsymbols; i++)
		for (lv = 0; lv < cfg->bot.orders_per_symbol; lv++)
			if (g->slots[i][lv].client_id[0] == '\0')
				return false;
	return true;
}

int
strategy_wait_placed(struct bot *bot, const struct timespec *deadline)
{
	bool placed;

	pthread_mutex_lock(&bot->mu);
	while (!bot->grid_placed && !gs_stop_requested() &&
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

	if (g == NULL) {
		gs_request_shutdown(bot->sup, GS_EXIT_DEGRADED,
				    "strategy: out of memory");
		return NULL;
	}
	g->bot = bot;
	while (!gs_stop_requested()) {
		if (!bot->cfg->bot.dry_run)
			grid_refresh(g);
		if (grid_place(g) == -ECANCELED)
			break;
		pthread_mutex_lock(&bot->mu);
		if (!bot->grid_placed && grid_complete(g)) {
			bot->grid_placed = true;
			pthread_cond_broadcast(&bot->cv);
		}
		/* Until the first prices arrive, look again soon. */
		grid_wait(bot, bot->grid_placed ? REFRESH_MS : FIRST_PRICE_MS);
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
