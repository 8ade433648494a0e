/*
 * marketdata.c - the REST market data endpoints: depth, trades,
 * historicalTrades, aggTrades, klines, uiKlines, avgPrice, ticker/24hr,
 * ticker/price, ticker/bookTicker.  Their weights are Binance's (by limit,
 * by the number of symbols), their parameters checked as Binance checks
 * them, their replies in Binance's shapes, all read from the market the
 * streams read (md.h).  A depth snapshot publishes the book first: its
 * lastUpdateId covers exactly the levels it shows, resting orders
 * included, so a client syncing @depth against it ends with the same
 * book.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

/* ---- replies as text (large ones: no JSON tree) ------------------------ */

struct text {
	char *p;
	size_t n, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		size_t room = t->cap - t->n;

		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->n : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < room) {
			t->n += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->n + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);

		if (p == NULL) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

/* Hand the text to the reply (500 if it could not be made). */
static void
text_reply(struct text *t, struct sim_reply *r)
{
	if (t->failed || t->p == NULL) {
		free(t->p);
		reply_error(r, 500, -1000,
			    "An unknown error occurred while processing the "
			    "request.");
		return;
	}
	r->status = 200;
	r->raw = t->p;
}

/* price × qty, both in 1e-8 units, as a decimal of 8 places */
static void
quote_text(int64_t price, int64_t qty, char *buf, size_t size)
{
	md_text((int64_t)llroundl((long double)price * (long double)qty / 1e8L),
		buf, size);
}

/* ---- parameters -------------------------------------------------------- */

/* limit=: absent, the default; past max, max (as depth documents);
 * false with -1100 when not a whole number from 1. */
static bool
need_limit(const struct sim_params *p, long def, long max, long *out,
	   struct sim_reply *r)
{
	const char *v = param_get(p, "limit");

	*out = def;
	if (v == NULL)
		return true;
	if (!request_digits(v, 10) || strtol(v, NULL, 10) < 1) {
		reply_illegal(r, "limit", "^[1-9][0-9]{0,9}$");
		return false;
	}
	*out = strtol(v, NULL, 10);
	if (*out > max)
		*out = max;
	return true;
}

/* A time or id parameter: absent (*set false), or digits. */
static bool
need_long(const struct sim_params *p, const char *name, int64_t *out,
	  bool *set, struct sim_reply *r)
{
	const char *v = param_get(p, name);

	*set = v != NULL;
	if (v == NULL)
		return true;
	if (!request_digits(v, 19)) {
		reply_illegal(r, name, "^[0-9]{1,19}$");
		return false;
	}
	*out = strtoll(v, NULL, 10);
	return true;
}

/* symbolStatus=: the symbols here all trade. */
static bool
symbol_status_ok(const struct sim_params *p, struct sim_reply *r)
{
	const char *v = param_get(p, "symbolStatus");

	if (v == NULL || strcmp(v, "TRADING") == 0)
		return true;
	if (strcmp(v, "HALT") == 0 || strcmp(v, "BREAK") == 0)
		reply_error(r, 400, -1220,
			    "The symbol's status does not match the requested "
			    "symbolStatus.");
	else
		reply_illegal(r, "symbolStatus", "TRADING, HALT, BREAK");
	return false;
}

static int
symbol_index(struct sim *sim, const struct sim_symbol *s)
{
	return (int)(s - sim->market.symbols);
}

/*
 * The symbols a ticker endpoint lists: symbol=, symbols=[...] or all.
 * Fills idx (room for every symbol); returns their count, 0 for all as
 * an array, -1 with r set; *one: a single object is answered.
 */
static int
ticker_symbols(struct sim *sim, const struct sim_params *p, int *idx,
	       bool *one, struct sim_reply *r)
{
	const char *sym = param_get(p, "symbol"), *list = param_get(p, "symbols");
	json_t *names, *v;
	size_t i;
	int n = 0;

	*one = false;
	if (sym != NULL && list != NULL) {
		reply_error(r, 400, -1106,
			    "Parameter 'symbols' sent when not required.");
		return -1;
	}
	if (sym != NULL) {
		struct sim_symbol *s = request_symbol(sim, sym, r);

		if (s == NULL)
			return -1;
		*one = true;
		idx[0] = symbol_index(sim, s);
		return 1;
	}
	if (list == NULL) {
		for (n = 0; n < sim->market.nsymbols; n++)
			idx[n] = n;
		return n;
	}
	names = json_loads(list, 0, NULL);
	if (!json_is_array(names) || json_array_size(names) == 0) {
		json_decref(names);
		reply_illegal(r, "symbols",
			      "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}"
			      "\"){0,}){0,1}\\]$");
		return -1;
	}
	json_array_foreach(names, i, v)
	{
		struct sim_symbol *s;

		if (!json_is_string(v)) {
			reply_illegal(r, "symbols",
				      "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_."
				      "]{1,20}\"){0,}){0,1}\\]$");
			n = -1;
			break;
		}
		s = request_symbol(sim, json_string_value(v), r);
		if (s == NULL) {
			n = -1;
			break;
		}
		if (n < SIM_MAX_SYMBOLS)
			idx[n++] = symbol_index(sim, s);
	}
	json_decref(names);
	return n;
}

/* How many symbols= names (0: none sent or not an array). */
static int
symbols_count(const struct sim_params *p)
{
	const char *list = param_get(p, "symbols");
	json_t *names;
	int n;

	if (list == NULL)
		return 0;
	names = json_loads(list, 0, NULL);
	n = json_is_array(names) ? (int)json_array_size(names) : 0;
	json_decref(names);
	return n;
}

/* ---- weights ------------------------------------------------------------ */

int
marketdata_depth_weight(const struct sim_params *p)
{
	const char *v = param_get(p, "limit");
	long limit = v && request_digits(v, 10) ? strtol(v, NULL, 10) : 100;

	return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

int
marketdata_24hr_weight(const struct sim_params *p)
{
	int n;

	if (param_get(p, "symbol") != NULL)
		return 2;
	if (param_get(p, "symbols") == NULL)
		return 80;
	n = symbols_count(p);
	return n <= 20 ? 2 : n <= 100 ? 40 : 80;
}

int
marketdata_ticker_weight(const struct sim_params *p)
{
	return param_get(p, "symbol") != NULL ? 2 : 4;
}

/* ---- endpoints --------------------------------------------------------- */

static void
levels(struct text *t, const struct md_side *sd, size_t limit)
{
	char pr[32], q[32];
	size_t k;

	tprintf(t, "[");
	for (k = 0; k < sd->n && k < limit; k++) {
		md_text(sd->lv[k].price, pr, sizeof(pr));
		md_text(sd->lv[k].qty, q, sizeof(q));
		tprintf(t, "%s[\"%s\",\"%s\"]", k ? "," : "", pr, q);
	}
	tprintf(t, "]");
}

void
marketdata_depth(struct sim *sim, const struct sim_params *p,
		 struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	struct md_symbol *ms;
	struct text t = {0};
	int64_t id;
	long limit;
	int i;

	if (s == NULL || !need_limit(p, 100, MD_DEPTH_MAX, &limit, r) ||
	    !symbol_status_ok(p, r))
		return;
	i = symbol_index(sim, s);
	id = md_publish(&sim->market, i);
	ms = &sim->market.md->sym[i];
	tprintf(&t, "{\"lastUpdateId\":%lld,\"bids\":", (long long)id);
	levels(&t, &ms->book[0], (size_t)limit);
	tprintf(&t, ",\"asks\":");
	levels(&t, &ms->book[1], (size_t)limit);
	tprintf(&t, "}");
	text_reply(&t, r);
}

static void
trade_text(struct text *t, const struct md_trade *tr, bool first)
{
	char pr[32], q[32], qq[32];

	md_text(tr->price, pr, sizeof(pr));
	md_text(tr->qty, q, sizeof(q));
	quote_text(tr->price, tr->qty, qq, sizeof(qq));
	tprintf(t,
		"%s{\"id\":%lld,\"price\":\"%s\",\"qty\":\"%s\","
		"\"quoteQty\":\"%s\",\"time\":%lld,\"isBuyerMaker\":%s,"
		"\"isBestMatch\":true}",
		first ? "" : ",", (long long)tr->id, pr, q, qq,
		(long long)(tr->time_us / 1000),
		tr->buyer_maker ? "true" : "false");
}

/* trades (the most recent) and historicalTrades (from fromId, which only
 * its route lets through). */
void
marketdata_trades(struct sim *sim, const struct sim_params *p,
		  struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	const struct md_symbol *ms;
	struct text t = {0};
	int64_t from = 0;
	size_t k, start, end;
	bool set = false;
	long limit;

	if (s == NULL || !need_limit(p, 500, MD_TRADES, &limit, r) ||
	    !need_long(p, "fromId", &from, &set, r))
		return;
	ms = &sim->market.md->sym[symbol_index(sim, s)];
	end = ms->ntrades;
	start = end > (size_t)limit ? end - (size_t)limit : 0;
	if (set) {
		for (start = 0; start < ms->ntrades &&
				md_trade_at(ms, start)->id < from;
		     start++)
			;
		end = start + (size_t)limit < ms->ntrades
			  ? start + (size_t)limit
			  : ms->ntrades;
	}
	tprintf(&t, "[");
	for (k = start; k < end; k++)
		trade_text(&t, md_trade_at(ms, k), k == start);
	tprintf(&t, "]");
	text_reply(&t, r);
}

/* The aggregate trade starting at trade k: its last trade's index. */
static size_t
agg_end(const struct md_symbol *ms, size_t k)
{
	int64_t agg = md_trade_at(ms, k)->agg;

	while (k + 1 < ms->ntrades && md_trade_at(ms, k + 1)->agg == agg)
		k++;
	return k;
}

void
marketdata_agg_trades(struct sim *sim, const struct sim_params *p,
		      struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	const struct md_symbol *ms;
	int64_t from = 0, st = 0, et = 0;
	bool has_from, has_st, has_et;
	struct text t = {0};
	size_t k, j, *starts, n = 0, first;
	long limit;

	if (s == NULL || !need_limit(p, 500, MD_TRADES, &limit, r) ||
	    !need_long(p, "fromId", &from, &has_from, r) ||
	    !need_long(p, "startTime", &st, &has_st, r) ||
	    !need_long(p, "endTime", &et, &has_et, r))
		return;
	if (has_from && (has_st || has_et)) {
		reply_error(r, 400, -1128,
			    "Combination of optional parameters invalid.");
		return;
	}
	if (has_st && has_et && et < st) {
		reply_error(r, 400, -1023,
			    "Start time is greater than end time.");
		return;
	}
	if (has_st && has_et && et - st > 3600000) {
		reply_error(r, 400, -1127,
			    "More than 1 hours between startTime and endTime.");
		return;
	}
	ms = &sim->market.md->sym[symbol_index(sim, s)];
	starts = malloc((ms->ntrades + 1) * sizeof(*starts));
	if (starts == NULL) {
		text_reply(&t, r);
		return;
	}
	/* Every aggregate in range, oldest first. */
	for (k = 0; k < ms->ntrades; k = agg_end(ms, k) + 1) {
		const struct md_trade *tr = md_trade_at(ms, k);
		int64_t ms_time = tr->time_us / 1000;

		if ((has_from && tr->agg < from) ||
		    (has_st && ms_time < st) || (has_et && ms_time > et))
			continue;
		starts[n++] = k;
	}
	/* fromId, startTime: the oldest ones; else the newest. */
	first = !has_from && !has_st && n > (size_t)limit ? n - (size_t)limit
							  : 0;
	tprintf(&t, "[");
	for (j = first; j < n && j < first + (size_t)limit; j++) {
		const struct md_trade *tr = md_trade_at(ms, starts[j]);
		size_t e = agg_end(ms, starts[j]), x;
		int64_t qty = 0;
		char pr[32], q[32];

		for (x = starts[j]; x <= e; x++)
			qty += md_trade_at(ms, x)->qty;
		md_text(tr->price, pr, sizeof(pr));
		md_text(qty, q, sizeof(q));
		tprintf(&t,
			"%s{\"a\":%lld,\"p\":\"%s\",\"q\":\"%s\",\"f\":%lld,"
			"\"l\":%lld,\"T\":%lld,\"m\":%s,\"M\":true}",
			j == first ? "" : ",", (long long)tr->agg, pr, q,
			(long long)tr->id, (long long)md_trade_at(ms, e)->id,
			(long long)(tr->time_us / 1000),
			tr->buyer_maker ? "true" : "false");
	}
	tprintf(&t, "]");
	free(starts);
	text_reply(&t, r);
}

void
marketdata_klines(struct sim *sim, const struct sim_params *p,
		  struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	const char *iv = param_get(p, "interval");
	int64_t st = 0, et = 0;
	bool has_st, has_et;
	struct md_kline *kl;
	struct text t = {0};
	size_t n, k;
	long limit;
	int ik;

	if (s == NULL)
		return;
	if (iv == NULL || *iv == '\0') {
		reply_mandatory(r, "interval");
		return;
	}
	ik = md_interval(iv);
	if (ik < 0) {
		reply_error(r, 400, -1120, "Invalid interval.");
		return;
	}
	if (!need_limit(p, 500, 1000, &limit, r) ||
	    !need_long(p, "startTime", &st, &has_st, r) ||
	    !need_long(p, "endTime", &et, &has_et, r))
		return;
	if (has_st && has_et && et < st) {
		reply_error(r, 400, -1023,
			    "Start time is greater than end time.");
		return;
	}
	kl = malloc((size_t)limit * sizeof(*kl));
	if (kl == NULL) {
		text_reply(&t, r);
		return;
	}
	n = md_klines(&sim->market, symbol_index(sim, s), ik,
		      has_st ? st : INT64_MIN, has_et ? et : INT64_MAX, has_st,
		      (size_t)limit, kl);
	tprintf(&t, "[");
	for (k = 0; k < n; k++) {
		char o[32], h[32], l[32], c[32], v[32], q[32], tv[32], tq[32];

		md_text(kl[k].o, o, sizeof(o));
		md_text(kl[k].h, h, sizeof(h));
		md_text(kl[k].l, l, sizeof(l));
		md_text(kl[k].c, c, sizeof(c));
		md_dtext(kl[k].v, v, sizeof(v));
		md_dtext(kl[k].q, q, sizeof(q));
		md_dtext(kl[k].tv, tv, sizeof(tv));
		md_dtext(kl[k].tq, tq, sizeof(tq));
		tprintf(&t,
			"%s[%lld,\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",%lld,"
			"\"%s\",%lld,\"%s\",\"%s\",\"0\"]",
			k ? "," : "", (long long)kl[k].open_ms, o, h, l, c, v,
			(long long)md_interval_end(ik, kl[k].open_ms), q,
			(long long)kl[k].n, tv, tq);
	}
	tprintf(&t, "]");
	free(kl);
	text_reply(&t, r);
}

void
marketdata_avg_price(struct sim *sim, const struct sim_params *p,
		     struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	char price[40];

	if (s == NULL)
		return;
	/* The average the PERCENT_PRICE_BY_SIDE filter checks against. */
	snprintf(price, sizeof(price), "%.8f", s->avg);
	r->status = 200;
	r->body = json_pack(
	    "{s:i, s:s, s:I}", "mins", 5, "price", price, "closeTime",
	    (json_int_t)md_last_trade_ms(
		&sim->market.md->sym[symbol_index(sim, s)]));
}

static void
ticker_24hr_one(struct sim *sim, int i, bool mini, struct text *t)
{
	struct md_symbol *ms = &sim->market.md->sym[i];
	const struct md_level none = {0, 0};
	struct md_level bid, ask;
	struct md_stats st;
	char o[32], h[32], l[32], c[32], v[32], q[32];

	md_publish(&sim->market, i);
	bid = ms->book[0].n ? ms->book[0].lv[0] : none;
	ask = ms->book[1].n ? ms->book[1].lv[0] : none;
	md_stats(&sim->market, i, sim_now_ms(), &st);
	md_text(st.open, o, sizeof(o));
	md_text(st.high, h, sizeof(h));
	md_text(st.low, l, sizeof(l));
	md_text(st.last, c, sizeof(c));
	md_dtext(st.volume, v, sizeof(v));
	md_dtext(st.quote_volume, q, sizeof(q));
	tprintf(t, "{\"symbol\":\"%s\",", sim->market.symbols[i].name);
	if (!mini) {
		char pc[32], pp[32], w[32], x[32], lq[32], bp[32], bq[32],
		    ap[32], aq[32];
		int64_t d = st.last - st.open;

		snprintf(pc, sizeof(pc), "%s%lld.%08lld", d < 0 ? "-" : "",
			 (long long)(llabs(d) / 100000000),
			 (long long)(llabs(d) % 100000000));
		snprintf(pp, sizeof(pp), "%.3f",
			 st.open ? (double)d * 100.0 / (double)st.open : 0.0);
		md_dtext(st.volume > 0 ? st.quote_volume / st.volume : 0, w,
			 sizeof(w));
		md_text(st.prev_close, x, sizeof(x));
		md_text(st.last_qty, lq, sizeof(lq));
		md_text(bid.price, bp, sizeof(bp));
		md_text(bid.qty, bq, sizeof(bq));
		md_text(ask.price, ap, sizeof(ap));
		md_text(ask.qty, aq, sizeof(aq));
		tprintf(t,
			"\"priceChange\":\"%s\",\"priceChangePercent\":\"%s\","
			"\"weightedAvgPrice\":\"%s\",\"prevClosePrice\":\"%s\","
			"\"lastPrice\":\"%s\",\"lastQty\":\"%s\","
			"\"bidPrice\":\"%s\",\"bidQty\":\"%s\","
			"\"askPrice\":\"%s\",\"askQty\":\"%s\",",
			pc, pp, w, x, c, lq, bp, bq, ap, aq);
	}
	tprintf(t,
		"\"openPrice\":\"%s\",\"highPrice\":\"%s\",\"lowPrice\":\"%s\","
		"%s%s%s\"volume\":\"%s\",\"quoteVolume\":\"%s\","
		"\"openTime\":%lld,\"closeTime\":%lld,\"firstId\":%lld,"
		"\"lastId\":%lld,\"count\":%lld}",
		o, h, l, mini ? "\"lastPrice\":\"" : "", mini ? c : "",
		mini ? "\"," : "", v, q, (long long)st.open_ms,
		(long long)st.close_ms, (long long)st.first,
		(long long)st.last_id, (long long)st.count);
}

void
marketdata_ticker_24hr(struct sim *sim, const struct sim_params *p,
		       struct sim_reply *r)
{
	const char *type = param_get(p, "type");
	int idx[SIM_MAX_SYMBOLS], n, k;
	struct text t = {0};
	bool one, mini = false;

	if (type != NULL) {
		if (strcmp(type, "MINI") == 0) {
			mini = true;
		} else if (strcmp(type, "FULL") != 0) {
			reply_error(r, 400, -1139, "Invalid ticker type.");
			return;
		}
	}
	if (!symbol_status_ok(p, r) ||
	    (n = ticker_symbols(sim, p, idx, &one, r)) < 0)
		return;
	if (!one)
		tprintf(&t, "[");
	for (k = 0; k < n; k++) {
		if (k)
			tprintf(&t, ",");
		ticker_24hr_one(sim, idx[k], mini, &t);
	}
	if (!one)
		tprintf(&t, "]");
	text_reply(&t, r);
}

static void
ticker_simple(struct sim *sim, const struct sim_params *p,
	      struct sim_reply *r, bool book)
{
	int idx[SIM_MAX_SYMBOLS], n, k;
	struct text t = {0};
	bool one;

	if (!symbol_status_ok(p, r) ||
	    (n = ticker_symbols(sim, p, idx, &one, r)) < 0)
		return;
	if (!one)
		tprintf(&t, "[");
	for (k = 0; k < n; k++) {
		int i = idx[k];
		struct md_symbol *ms = &sim->market.md->sym[i];
		const char *name = sim->market.symbols[i].name;

		if (k)
			tprintf(&t, ",");
		if (book) {
			char bp[32] = "0.00000000", bq[32] = "0.00000000",
			     ap[32] = "0.00000000", aq[32] = "0.00000000";

			md_publish(&sim->market, i);
			if (ms->book[0].n) {
				md_text(ms->book[0].lv[0].price, bp,
					sizeof(bp));
				md_text(ms->book[0].lv[0].qty, bq, sizeof(bq));
			}
			if (ms->book[1].n) {
				md_text(ms->book[1].lv[0].price, ap,
					sizeof(ap));
				md_text(ms->book[1].lv[0].qty, aq, sizeof(aq));
			}
			tprintf(&t,
				"{\"symbol\":\"%s\",\"bidPrice\":\"%s\","
				"\"bidQty\":\"%s\",\"askPrice\":\"%s\","
				"\"askQty\":\"%s\"}",
				name, bp, bq, ap, aq);
		} else {
			char pr[32] = "0.00000000";

			if (ms->ntrades)
				md_text(md_trade_at(ms, ms->ntrades - 1)->price,
					pr, sizeof(pr));
			tprintf(&t, "{\"symbol\":\"%s\",\"price\":\"%s\"}",
				name, pr);
		}
	}
	if (!one)
		tprintf(&t, "]");
	text_reply(&t, r);
}

void
marketdata_ticker_price(struct sim *sim, const struct sim_params *p,
			struct sim_reply *r)
{
	ticker_simple(sim, p, r, false);
}

void
marketdata_book_ticker(struct sim *sim, const struct sim_params *p,
		       struct sim_reply *r)
{
	ticker_simple(sim, p, r, true);
}
