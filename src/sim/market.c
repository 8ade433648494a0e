/*
 * market.c - the simulated market: one random-walk price per symbol (the
 * book around it is book.c's), the store of orders (open and done), the
 * symbol filters, and exchangeInfo.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

/*
 * The pairs a default simulator trades, with filters and starting prices
 * close to the real exchange's.  A configured symbol not in this table
 * gets the generic filters of a pair priced around 100.
 */
static const struct pair {
	const char *name, *base, *quote;
	const char *tick, *step, *min_qty, *max_qty, *min_notional, *price;
} pairs[] = {
	{"BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "0.00001", "9000",
	 "5", "95000.00"},
	{"ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "0.0001", "9000", "5",
	 "3500.00"},
	{"BNBUSDT", "BNB", "USDT", "0.01", "0.001", "0.001", "9000", "5",
	 "650.00"},
	{"HBARUSDT", "HBAR", "USDT", "0.00001", "1", "1", "9000000", "5",
	 "0.25000"},
	{"SOLUSDT", "SOL", "USDT", "0.01", "0.001", "0.001", "9000000", "5",
	 "180.00"},
	{"XRPUSDT", "XRP", "USDT", "0.0001", "0.1", "0.1", "9222449", "5",
	 "2.3000"},
	{"LTCBTC", "LTC", "BTC", "0.000001", "0.001", "0.001", "100000",
	 "0.0001", "0.001100"},
	{"ETHBTC", "ETH", "BTC", "0.00001", "0.0001", "0.0001", "100000",
	 "0.0001", "0.03700"},
};

#define GENERIC_TICK "0.01"
#define GENERIC_STEP "0.001"
#define GENERIC_PRICE "100.00"
#define MAX_PRICE "1000000"
#define MAX_NOTIONAL "9000000"

static int64_t clock_offset_ms;

void
sim_clock_offset(int64_t ms)
{
	clock_offset_ms = ms;
}

int64_t
sim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	       clock_offset_ms * 1000;
}

int64_t
sim_now_ms(void)
{
	return sim_now_us() / 1000;
}

/*
 * A decimal as Binance accepts it: digits, optionally a dot and digits.
 * Returns the number of decimals (-1 when malformed); *out is the value
 * in units of 1e-8 when it has at most 8 decimals.
 */
int
sim_decimal(const char *s, int64_t *out)
{
	int64_t v = 0;
	int intd = 0, dec = -1, k;

	for (; *s; s++) {
		if (*s == '.') {
			if (dec >= 0 || intd == 0)
				return -1;
			dec = 0;
		} else if (*s >= '0' && *s <= '9') {
			if (dec >= 0)
				dec++;
			else if (++intd > 20)
				return -1;
			if (dec < 0 || dec <= 8) {
				if (v > (INT64_MAX - 9) / 10)
					return -1;
				v = v * 10 + (*s - '0');
			}
		} else {
			return -1;
		}
	}
	if (intd == 0 || dec == 0)
		return -1;
	if (dec < 0)
		dec = 0;
	for (k = dec < 8 ? dec : 8; k < 8; k++) {
		if (v > INT64_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	return dec;
}

static int64_t
units(const char *s)
{
	int64_t v = 0;

	if (sim_decimal(s, &v) < 0)
		return 0;
	return v;
}

void
market_text(int64_t v, char *buf, size_t size)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;

	snprintf(buf, size, "%s%llu.%08llu", v < 0 ? "-" : "", u / 100000000,
		 u % 100000000);
}

/* The price on the tick grid, as a decimal string of 8 places. */
void
market_price_text(const struct sim_symbol *s, double price, char *buf,
		  size_t size)
{
	int64_t v = llround(price * 1e8 / (double)s->tick) * s->tick;

	if (v < s->tick)
		v = s->tick;
	market_text(v, buf, size);
}

static void
symbol_define(struct sim_symbol *s, const char *name)
{
	const struct pair *p = NULL;
	static const char *const quotes[] = {"USDT", "FDUSD", "USDC", "BTC",
					     "ETH", "BNB", "EUR", "TRY"};
	size_t i, n = strlen(name);

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (strcmp(pairs[i].name, name) == 0)
			p = &pairs[i];
	if (p != NULL) {
		snprintf(s->base, sizeof(s->base), "%s", p->base);
		snprintf(s->quote, sizeof(s->quote), "%s", p->quote);
		s->tick = units(p->tick);
		s->step = units(p->step);
		s->min_qty = units(p->min_qty);
		s->max_qty = units(p->max_qty);
		s->min_notional = units(p->min_notional);
		s->mid = strtod(p->price, NULL);
	} else {
		for (i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
			size_t q = strlen(quotes[i]);

			if (n > q && strcmp(name + n - q, quotes[i]) == 0)
				break;
		}
		if (i == sizeof(quotes) / sizeof(quotes[0]))
			i = 0; /* no known quote asset: call it USDT */
		snprintf(s->quote, sizeof(s->quote), "%s", quotes[i]);
		snprintf(s->base, sizeof(s->base), "%.*s",
			 (int)(n > strlen(quotes[i]) ? n - strlen(quotes[i])
						     : n),
			 name);
		s->tick = units(GENERIC_TICK);
		s->step = units(GENERIC_STEP);
		s->min_qty = units(GENERIC_STEP);
		s->max_qty = units("9000000");
		s->min_notional = units("5");
		s->mid = strtod(GENERIC_PRICE, NULL);
	}
	s->min_price = s->tick;
	s->max_price = units(MAX_PRICE);
	s->max_notional = units(MAX_NOTIONAL);
	s->avg = s->mid;
	s->floor = s->mid / 10.0;
}

bool
market_symbol_name_ok(const char *name)
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

void
market_init(struct sim_market *m, const struct sim_config *cfg)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ULL;
	m->next_order_id = 1000;
	m->avg_alpha = (double)cfg->tick_ms / (5.0 * 60000.0);
	if (m->avg_alpha > 1.0)
		m->avg_alpha = 1.0;
	if (cfg->nsymbols == 0)
		for (i = 0; i < (int)(sizeof(pairs) / sizeof(pairs[0])); i++)
			symbol_define(&m->symbols[m->nsymbols++],
				      pairs[i].name);
	for (i = 0; i < cfg->nsymbols; i++)
		symbol_define(&m->symbols[m->nsymbols++], cfg->symbols[i]);
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

struct sim_symbol *
market_symbol(struct sim_market *m, const char *name)
{
	int i;

	for (i = 0; i < m->nsymbols; i++)
		if (strcmp(m->symbols[i].name, name) == 0)
			return &m->symbols[i];
	return NULL;
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
	   const char *type, const char *tif, int64_t price, int64_t qty,
	   int64_t quote_qty, const char *client_id)
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
	o->price = price;
	o->qty = qty;
	o->quote_qty = quote_qty;
	snprintf(o->side, sizeof(o->side), "%s", side);
	snprintf(o->type, sizeof(o->type), "%s", type);
	snprintf(o->tif, sizeof(o->tif), "%s", tif);
	snprintf(o->status, sizeof(o->status), "NEW");
	o->time_ms = o->update_ms = sim_now_ms();
	return o;
}

/* The order's amounts as text, 8 decimals each. */
struct order_text {
	char price[32], qty[32], executed[32], cum_quote[32], quote_qty[32];
};

static void
order_text_of(const struct sim_order *o, struct order_text *t)
{
	market_text(o->price, t->price, sizeof(t->price));
	market_text(o->qty, t->qty, sizeof(t->qty));
	market_text(o->executed, t->executed, sizeof(t->executed));
	market_text(o->cum_quote, t->cum_quote, sizeof(t->cum_quote));
	market_text(o->quote_qty, t->quote_qty, sizeof(t->quote_qty));
}

json_t *
market_order_json(const struct sim_order *o)
{
	char buf[2048];
	int n = market_order_text(o, buf, sizeof(buf));

	if (n < 0 || (size_t)n >= sizeof(buf))
		return json_object();
	return json_loads(buf, 0, NULL);
}

int
market_order_text(const struct sim_order *o, char *buf, size_t size)
{
	struct order_text t;

	order_text_of(o, &t);
	return snprintf(
	    buf, size,
	    "{\"symbol\":\"%s\",\"orderId\":%lld,\"orderListId\":-1,"
	    "\"clientOrderId\":\"%s\",\"price\":\"%s\",\"origQty\":\"%s\","
	    "\"executedQty\":\"%s\",\"cummulativeQuoteQty\":\"%s\","
	    "\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\","
	    "\"side\":\"%s\",\"stopPrice\":\"0.00000000\",\"icebergQty\":"
	    "\"0.00000000\",\"time\":%lld,\"updateTime\":%lld,\"isWorking\":%s,"
	    "\"workingTime\":%lld,\"origQuoteOrderQty\":\"%s\","
	    "\"selfTradePreventionMode\":\"NONE\"}",
	    o->symbol, (long long)o->order_id, o->client_id, t.price, t.qty,
	    t.executed, t.cum_quote, o->status, o->tif, o->type, o->side,
	    (long long)o->time_ms, (long long)o->update_ms, "true",
	    (long long)(o->working_ms != 0 ? o->working_ms : o->time_ms),
	    t.quote_qty);
}

/* A MARKET order's: LOT_SIZE on its quantity (0: by quote), NOTIONAL
 * on quantity times the average price, or on quote_qty. */
const char *
market_check_market_filters(const struct sim_symbol *s, int64_t qty,
			    int64_t quote_qty)
{
	double notional;

	if (qty > 0) {
		if (qty < s->min_qty || qty > s->max_qty || qty % s->step != 0)
			return "LOT_SIZE";
		notional = (double)qty / 1e8 * s->avg;
	} else {
		notional = (double)quote_qty / 1e8;
	}
	if (notional < (double)s->min_notional / 1e8)
		return "NOTIONAL";
	return NULL;
}

const char *
market_check_filters(const struct sim_symbol *s, const char *side,
		     int64_t price, int64_t qty)
{
	double notional = (double)price / 1e8 * ((double)qty / 1e8);

	if (price < s->min_price || price > s->max_price ||
	    price % s->tick != 0)
		return "PRICE_FILTER";
	if (qty < s->min_qty || qty > s->max_qty || qty % s->step != 0)
		return "LOT_SIZE";
	/* PERCENT_PRICE_BY_SIDE around the average price: the bid and the
	 * ask multipliers are the same (5 and 0.2) on every pair here. */
	if (strcmp(side, "BUY") == 0 || strcmp(side, "SELL") == 0) {
		double p = (double)price / 1e8;

		if (p > s->avg * 5.0 || p < s->avg * 0.2)
			return "PERCENT_PRICE_BY_SIDE";
	}
	if (notional < (double)s->min_notional / 1e8 ||
	    notional > (double)s->max_notional / 1e8)
		return "NOTIONAL";
	return NULL;
}

/* What the order types and modes served are, beside the filters. */
static json_t *
symbol_features(json_t *info)
{
	json_t *more = json_pack(
	    "{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:[s]}",
	    "icebergAllowed", 0, "ocoAllowed", 0, "otoAllowed", 0,
	    "quoteOrderQtyMarketAllowed", 1, "allowTrailingStop", 0,
	    "cancelReplaceAllowed", 0, "amendAllowed", 0,
	    "defaultSelfTradePreventionMode", "NONE",
	    "allowedSelfTradePreventionModes", "NONE");

	if (info != NULL && more != NULL)
		json_object_update(info, more);
	json_decref(more);
	return info;
}

static json_t *
symbol_info(const struct sim_symbol *s)
{
	char tick[32], step[32], minq[32], maxq[32], minp[32], maxp[32],
	    minn[32], maxn[32];

	market_text(s->tick, tick, sizeof(tick));
	market_text(s->step, step, sizeof(step));
	market_text(s->min_qty, minq, sizeof(minq));
	market_text(s->max_qty, maxq, sizeof(maxq));
	market_text(s->min_price, minp, sizeof(minp));
	market_text(s->max_price, maxp, sizeof(maxp));
	market_text(s->min_notional, minn, sizeof(minn));
	market_text(s->max_notional, maxn, sizeof(maxn));
	return symbol_features(json_pack(
	    "{s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i, s:[s,s,s], s:b, s:b, "
	    "s:[s], s:["
	    "{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, "
	    "{s:s, s:s, s:b, s:s, s:b, s:i}, "
	    "{s:s, s:s, s:s, s:s, s:s, s:i}]}",
	    "symbol", s->name, "status", "TRADING", "baseAsset", s->base,
	    "baseAssetPrecision", 8, "quoteAsset", s->quote, "quotePrecision",
	    8, "quoteAssetPrecision", 8, "baseCommissionPrecision", 8,
	    "orderTypes", "LIMIT", "LIMIT_MAKER", "MARKET", "isSpotTradingAllowed", 1,
	    "isMarginTradingAllowed", 0, "permissions", "SPOT", "filters",
	    "filterType", "PRICE_FILTER", "minPrice", minp, "maxPrice", maxp,
	    "tickSize", tick, "filterType", "LOT_SIZE", "minQty", minq,
	    "maxQty", maxq, "stepSize", step, "filterType", "NOTIONAL",
	    "minNotional", minn, "applyMinToMarket", 1, "maxNotional", maxn,
	    "applyMaxToMarket", 0, "avgPriceMins", 5, "filterType",
	    "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp", "5",
	    "bidMultiplierDown", "0.2", "askMultiplierUp", "5",
	    "askMultiplierDown", "0.2", "avgPriceMins", 5));
}

json_t *
market_symbol_info(const struct sim_symbol *s)
{
	return symbol_info(s);
}

json_t *
market_exchange_info(struct sim_market *m, const struct sim_config *cfg,
		     json_t *symbols)
{
	int i;

	if (symbols == NULL) {
		symbols = json_array();
		for (i = 0; i < m->nsymbols; i++)
			json_array_append_new(symbols,
					      symbol_info(&m->symbols[i]));
	}
	return json_pack(
	    "{s:s, s:I, s:[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}, "
	    "{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}], s:[], s:o}",
	    "timezone", "UTC", "serverTime", (json_int_t)sim_now_ms(),
	    "rateLimits", "rateLimitType", "REQUEST_WEIGHT", "interval",
	    "MINUTE", "intervalNum", 1, "limit", cfg->weight_limit_1m,
	    "rateLimitType", "ORDERS", "interval", "SECOND", "intervalNum",
	    10, "limit", cfg->order_limit_10s, "rateLimitType", "ORDERS",
	    "interval", "DAY", "intervalNum", 1, "limit", cfg->order_limit_1d,
	    "rateLimitType", "RAW_REQUESTS", "interval", "MINUTE",
	    "intervalNum", 5, "limit", 61000, "exchangeFilters", "symbols",
	    symbols);
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

	for (i = 0; i < m->nsymbols; i++) {
		struct sim_symbol *s = &m->symbols[i];
		double step = (market_rand(m) - 0.5) * 0.002;

		s->mid *= 1.0 + step;
		if (s->mid < s->floor)
			s->mid = s->floor;
		s->avg += (s->mid - s->avg) * m->avg_alpha;
	}
	market_compact(m);
}
