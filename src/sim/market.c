/*
 * market.c - the simulated market: one random-walk price per symbol, the
 * order book of resting LIMIT orders, the symbol filters, and fills when
 * the price crosses a resting order.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

/* Filters every symbol shares (a USDT pair priced around 100). */
#define TICK_SIZE "0.01000000"
#define STEP_SIZE "0.00100000"
#define MIN_QTY "0.00100000"
#define MAX_QTY "9000000.00000000"
#define MIN_PRICE "0.01000000"
#define MAX_PRICE "1000000.00000000"
#define MIN_NOTIONAL "5.00000000"

int64_t
sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
market_init(struct sim_market *m, unsigned seed)
{
	memset(m, 0, sizeof(*m));
	m->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	m->next_order_id = 1000;
}

void
market_free(struct sim_market *m)
{
	free(m->orders);
	m->orders = NULL;
}

double
market_rand(struct sim_market *m)
{
	/* xorshift64* */
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return (double)((m->rng * 2685821657736338717ULL) >> 11) /
	       (double)(1ULL << 53);
}

static bool
symbol_well_formed(const char *name)
{
	size_t n = strlen(name);

	if (n < 5 || n >= SIM_SYMBOL_MAX)
		return false;
	for (; *name; name++)
		if (!isupper((unsigned char)*name) &&
		    !isdigit((unsigned char)*name))
			return false;
	return true;
}

struct sim_symbol *
market_symbol(struct sim_market *m, const struct sim_config *cfg,
	      const char *name)
{
	struct sim_symbol *s;
	int i;

	for (i = 0; i < m->nsymbols; i++)
		if (strcmp(m->symbols[i].name, name) == 0)
			return &m->symbols[i];
	if (!symbol_well_formed(name) || m->nsymbols >= SIM_MAX_SYMBOLS)
		return NULL;
	if (cfg->nsymbols > 0) {
		for (i = 0; i < cfg->nsymbols; i++)
			if (strcmp(cfg->symbols[i], name) == 0)
				break;
		if (i == cfg->nsymbols)
			return NULL;
	}
	s = &m->symbols[m->nsymbols++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->mid = 100.0;
	return s;
}

struct sim_order *
market_find(struct sim_market *m, const char *symbol, int64_t order_id,
	    const char *client_id)
{
	size_t i;

	for (i = m->norders; i-- > 0;) {
		struct sim_order *o = &m->orders[i];

		if (strcmp(o->symbol, symbol) != 0)
			continue;
		if (order_id >= 0 && o->order_id == order_id)
			return o;
		if (client_id != NULL && strcmp(o->client_id, client_id) == 0)
			return o;
	}
	return NULL;
}

bool
market_cid_in_use(struct sim_market *m, const char *client_id)
{
	size_t i;

	for (i = 0; i < m->norders; i++)
		if (m->orders[i].open &&
		    strcmp(m->orders[i].client_id, client_id) == 0)
			return true;
	return false;
}

struct sim_order *
market_add(struct sim_market *m, const char *symbol, const char *side,
	   const char *price, const char *qty, const char *client_id)
{
	struct sim_order *o;

	if (m->norders == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct sim_order *n = realloc(m->orders, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		m->orders = n;
		m->cap = cap;
	}
	o = &m->orders[m->norders++];
	memset(o, 0, sizeof(*o));
	snprintf(o->symbol, sizeof(o->symbol), "%s", symbol);
	o->order_id = m->next_order_id++;
	snprintf(o->client_id, sizeof(o->client_id), "%s", client_id);
	snprintf(o->price, sizeof(o->price), "%.8f", strtod(price, NULL));
	snprintf(o->qty, sizeof(o->qty), "%.8f", strtod(qty, NULL));
	snprintf(o->side, sizeof(o->side), "%s", side);
	snprintf(o->status, sizeof(o->status), "NEW");
	o->time_ms = o->update_ms = sim_now_ms();
	o->open = true;
	return o;
}

json_t *
market_order_json(const struct sim_order *o)
{
	bool filled = strcmp(o->status, "FILLED") == 0;
	double cq = filled ? strtod(o->price, NULL) * strtod(o->qty, NULL) : 0;
	char quote[40];

	snprintf(quote, sizeof(quote), "%.8f", cq);
	return json_pack(
	    "{s:s, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:I, s:I, s:b, s:I, s:s, s:s}",
	    "symbol", o->symbol, "orderId", (json_int_t)o->order_id,
	    "orderListId", -1, "clientOrderId", o->client_id, "price",
	    o->price, "origQty", o->qty, "executedQty",
	    filled ? o->qty : "0.00000000", "cummulativeQuoteQty", quote,
	    "status", o->status, "timeInForce", "GTC", "type", "LIMIT", "side",
	    o->side, "stopPrice", "0.00000000", "icebergQty", "0.00000000",
	    "time", (json_int_t)o->time_ms, "updateTime",
	    (json_int_t)o->update_ms, "isWorking", (int)o->open,
	    "workingTime", (json_int_t)o->time_ms, "origQuoteOrderQty",
	    "0.00000000", "selfTradePreventionMode", "NONE");
}

int
market_order_text(const struct sim_order *o, char *buf, size_t size)
{
	bool filled = strcmp(o->status, "FILLED") == 0;
	double cq = filled ? strtod(o->price, NULL) * strtod(o->qty, NULL) : 0;

	return snprintf(
	    buf, size,
	    "{\"symbol\":\"%s\",\"orderId\":%lld,\"orderListId\":-1,"
	    "\"clientOrderId\":\"%s\",\"price\":\"%s\",\"origQty\":\"%s\","
	    "\"executedQty\":\"%s\",\"cummulativeQuoteQty\":\"%.8f\","
	    "\"status\":\"%s\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\","
	    "\"side\":\"%s\",\"stopPrice\":\"0.00000000\",\"icebergQty\":"
	    "\"0.00000000\",\"time\":%lld,\"updateTime\":%lld,\"isWorking\":%s,"
	    "\"workingTime\":%lld,\"origQuoteOrderQty\":\"0.00000000\","
	    "\"selfTradePreventionMode\":\"NONE\"}",
	    o->symbol, (long long)o->order_id, o->client_id, o->price, o->qty,
	    filled ? o->qty : "0.00000000", cq, o->status, o->side,
	    (long long)o->time_ms, (long long)o->update_ms,
	    o->open ? "true" : "false", (long long)o->time_ms);
}

/* value is a multiple of step (both decimal strings, up to 8 places). */
static bool
multiple_of(const char *value, const char *step)
{
	long long v = llround(strtod(value, NULL) * 1e8);
	long long s = llround(strtod(step, NULL) * 1e8);

	return s > 0 && v % s == 0;
}

static bool
decimal_ok(const char *s)
{
	int dots = 0, digits = 0;

	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (isdigit((unsigned char)*s))
			digits++;
		else
			return false;
	}
	return digits > 0 && dots <= 1;
}

int
market_check_filters(const char *price, const char *qty, char *msg,
		     size_t size)
{
	double p, q;

	if (!decimal_ok(price) || !decimal_ok(qty)) {
		snprintf(msg, size, "Illegal characters found in parameter.");
		return -1;
	}
	p = strtod(price, NULL);
	q = strtod(qty, NULL);
	if (p < strtod(MIN_PRICE, NULL) || p > strtod(MAX_PRICE, NULL) ||
	    !multiple_of(price, TICK_SIZE)) {
		snprintf(msg, size, "Filter failure: PRICE_FILTER");
		return -1;
	}
	if (q < strtod(MIN_QTY, NULL) || q > strtod(MAX_QTY, NULL) ||
	    !multiple_of(qty, STEP_SIZE)) {
		snprintf(msg, size, "Filter failure: LOT_SIZE");
		return -1;
	}
	if (p * q < strtod(MIN_NOTIONAL, NULL)) {
		snprintf(msg, size, "Filter failure: NOTIONAL");
		return -1;
	}
	return 0;
}

static json_t *
symbol_info(const char *name)
{
	size_t n = strlen(name);
	const char *quote = n > 4 ? name + n - 4 : "USDT";
	char base[SIM_SYMBOL_MAX];

	snprintf(base, sizeof(base), "%.*s", (int)(n > 4 ? n - 4 : n), name);
	return json_pack(
	    "{s:s, s:s, s:s, s:i, s:s, s:i, s:[s,s], s:b, s:b, s:[s], "
	    "s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, "
	    "{s:s, s:s, s:b, s:s, s:b, s:i}]}",
	    "symbol", name, "status", "TRADING", "baseAsset", base,
	    "baseAssetPrecision", 8, "quoteAsset", quote, "quotePrecision", 8,
	    "orderTypes", "LIMIT", "MARKET", "isSpotTradingAllowed", 1,
	    "isMarginTradingAllowed", 0, "permissions", "SPOT", "filters",
	    "filterType", "PRICE_FILTER", "minPrice", MIN_PRICE, "maxPrice",
	    MAX_PRICE, "tickSize", TICK_SIZE, "filterType", "LOT_SIZE",
	    "minQty", MIN_QTY, "maxQty", MAX_QTY, "stepSize", STEP_SIZE,
	    "filterType", "NOTIONAL", "minNotional", MIN_NOTIONAL,
	    "applyMinToMarket", 1, "maxNotional", "9000000.00000000",
	    "applyMaxToMarket", 0, "avgPriceMins", 5);
}

json_t *
market_exchange_info(struct sim_market *m, const struct sim_config *cfg,
		     const char *only)
{
	json_t *syms = json_array();
	int i;

	if (only != NULL) {
		if (market_symbol(m, cfg, only) == NULL) {
			json_decref(syms);
			return NULL;
		}
		json_array_append_new(syms, symbol_info(only));
	} else {
		for (i = 0; i < cfg->nsymbols; i++)
			json_array_append_new(syms,
					      symbol_info(cfg->symbols[i]));
		for (i = 0; cfg->nsymbols == 0 && i < m->nsymbols; i++)
			json_array_append_new(syms,
					      symbol_info(m->symbols[i].name));
	}
	return json_pack("{s:s, s:I, s:[{s:s, s:s, s:i, s:i}], s:[], s:o}",
			 "timezone", "UTC", "serverTime",
			 (json_int_t)sim_now_ms(), "rateLimits",
			 "rateLimitType", "REQUEST_WEIGHT", "interval",
			 "MINUTE", "intervalNum", 1, "limit", 6000,
			 "exchangeFilters", "symbols", syms);
}

size_t
market_open_count(struct sim_market *m, const char *symbol)
{
	size_t i, n = 0;

	for (i = 0; i < m->norders; i++)
		if (m->orders[i].open &&
		    (symbol == NULL || strcmp(m->orders[i].symbol, symbol) == 0))
			n++;
	return n;
}

/* Drop closed orders once the book has grown, keeping recent history. */
static void
market_compact(struct sim_market *m)
{
	size_t i, j = 0;

	if (m->norders < 100000)
		return;
	for (i = 0; i < m->norders; i++)
		if (m->orders[i].open)
			m->orders[j++] = m->orders[i];
	m->norders = j;
}

void
market_tick(struct sim_market *m)
{
	int i;
	size_t k;

	for (i = 0; i < m->nsymbols; i++) {
		struct sim_symbol *s = &m->symbols[i];
		double step = (market_rand(m) - 0.5) * 0.002;

		s->mid *= 1.0 + step;
		if (s->mid < 1.0)
			s->mid = 1.0;
		s->trade_id++;
		s->update_id++;
		for (k = 0; k < m->norders; k++) {
			struct sim_order *o = &m->orders[k];
			double p;

			if (!o->open || strcmp(o->symbol, s->name) != 0)
				continue;
			p = strtod(o->price, NULL);
			if ((o->side[0] == 'B' && p >= s->mid + 0.01) ||
			    (o->side[0] == 'S' && p <= s->mid - 0.01)) {
				o->open = false;
				snprintf(o->status, sizeof(o->status),
					 "FILLED");
				o->update_ms = sim_now_ms();
			}
		}
	}
	market_compact(m);
}
