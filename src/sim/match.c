/*
 * match.c - the matching engine and what it does to the account.  A
 * placement first locks what a resting order would need (a LIMIT BUY its
 * price times quantity of the quote asset, a SELL its quantity of the
 * base asset) and is refused (-2010) without it; it then trades at once
 * against the book the market data shows (book.c): every resting order
 * of the symbol and the synthetic levels, best price first, resting
 * orders before the synthetic liquidity at one price, older before newer
 * (price-time priority).  What it takes from a synthetic level is gone
 * from the book, so the next depth shows it consumed.  Each fill is a
 * trade on the tape (tape.c), moves both assets and takes the commission
 * from the asset received.  What is left rests (GTC) or expires (IOC,
 * MARKET; a FOK that cannot fill entirely expires untouched).  Resting
 * orders also fill, as makers, when the synthetic book moves through
 * them (match_tick).  Every change is an executionReport, every change of
 * balances an outboundAccountPosition (events_publish), in the order they
 * happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

#define UNIT 100000000LL

/* a * b for amounts in 1e-8 units, truncated. */
static int64_t
mul(int64_t a, int64_t b)
{
	return (int64_t)((__int128)a * b / UNIT);
}

/* The commission on an amount received, rounded half up. */
static int64_t
commission(const struct sim *sim, int64_t amount)
{
	return (int64_t)(((__int128)amount * sim->cfg.commission + UNIT / 2) /
			 UNIT);
}

static bool
is_buy(const struct sim_order *o)
{
	return o->side[0] == 'B';
}

/* What the order still needs locked for what is left of it. */
static int64_t
lock_needed(const struct sim_order *o)
{
	int64_t left = o->qty - o->executed;

	return is_buy(o) ? mul(o->price, left) : left;
}

static const char *
spent_asset(const struct sim_symbol *s, const struct sim_order *o)
{
	return is_buy(o) ? s->quote : s->base;
}

/* Release what the order holds beyond what it still needs. */
static void
release(struct sim *sim, const struct sim_symbol *s, struct sim_order *o,
	bool all)
{
	int64_t keep = all ? 0 : lock_needed(o), extra = o->locked - keep;

	if (extra <= 0)
		return;
	account_move(&sim->account, spent_asset(s, o), extra, -extra);
	o->locked -= extra;
}

static void
set_text(json_t *j, const char *key, int64_t v)
{
	char buf[40];

	market_text(v, buf, sizeof(buf));
	json_object_set_new(j, key, json_string(buf));
}

static void
set_int(json_t *j, const char *key, int64_t v)
{
	json_object_set_new(j, key, json_integer((json_int_t)v));
}

void
match_report(struct sim *sim, const struct sim_order *o, const char *x,
	     const char *orig_cid, const struct sim_fill *f)
{
	json_t *e = json_object();
	const struct sim_symbol *s = market_symbol(&sim->market, o->symbol);
	int64_t now = sim_now_ms();

	if (e == NULL)
		return;
	json_object_set_new(e, "e", json_string("executionReport"));
	set_int(e, "E", now);
	json_object_set_new(e, "s", json_string(o->symbol));
	json_object_set_new(e, "c", json_string(o->client_id));
	json_object_set_new(e, "S", json_string(o->side));
	json_object_set_new(e, "o", json_string(o->type));
	json_object_set_new(e, "f", json_string(o->tif));
	set_text(e, "q", o->qty);
	set_text(e, "p", o->price);
	set_text(e, "P", 0);
	set_text(e, "F", 0);
	set_int(e, "g", -1);
	json_object_set_new(e, "C", json_string(orig_cid ? orig_cid : ""));
	json_object_set_new(e, "x", json_string(x));
	json_object_set_new(e, "X", json_string(o->status));
	json_object_set_new(e, "r", json_string("NONE"));
	set_int(e, "i", o->order_id);
	set_text(e, "l", f ? f->qty : 0);
	set_text(e, "z", o->executed);
	set_text(e, "L", f ? f->price : 0);
	if (f != NULL) {
		set_text(e, "n", f->commission);
		json_object_set_new(e, "N",
				    json_string(s == NULL ? ""
						: is_buy(o) ? s->base
							    : s->quote));
	} else {
		json_object_set_new(e, "n", json_string("0"));
		json_object_set_new(e, "N", json_null());
	}
	set_int(e, "T", o->update_ms);
	set_int(e, "t", f ? f->trade_id : -1);
	set_int(e, "I", ++sim->account.exec_id);
	json_object_set_new(e, "w", json_boolean(o->open));
	json_object_set_new(e, "m", json_boolean(f != NULL && f->maker));
	json_object_set_new(e, "M", json_false());
	set_int(e, "O", o->time_ms);
	set_text(e, "Z", o->cum_quote);
	set_text(e, "Y", f ? f->quote : 0);
	set_text(e, "Q", o->quote_qty);
	if (o->working_ms != 0)
		set_int(e, "W", o->working_ms);
	json_object_set_new(e, "V", json_string("NONE"));
	events_publish(sim, sim->cfg.api_key, e);
}

/* One side of a fill: the order's amounts, the account, the report. */
static void
fill_side(struct sim *sim, const struct sim_symbol *s, struct sim_order *o,
	  struct sim_fill *f, bool maker)
{
	bool buy = is_buy(o);
	int64_t got = buy ? f->qty : f->quote, give = buy ? f->quote : f->qty;
	int64_t from_locked = o->locked < give ? o->locked : give;

	f->maker = maker;
	f->commission = commission(sim, got);
	o->executed += f->qty;
	o->cum_quote += f->quote;
	o->update_ms = sim_now_ms();
	/* Paid from what the order locked (LIMIT), or from free (MARKET). */
	account_move(&sim->account, spent_asset(s, o), -(give - from_locked),
		     -from_locked);
	o->locked -= from_locked;
	account_move(&sim->account, buy ? s->base : s->quote,
		     got - f->commission, 0);
	if (!o->traded) {
		o->traded = true;
		limits_order_filled(sim);
	}
	if (o->executed >= o->qty) {
		snprintf(o->status, sizeof(o->status), "FILLED");
		o->open = false;
		release(sim, s, o, true);
	} else {
		snprintf(o->status, sizeof(o->status), "PARTIALLY_FILLED");
		release(sim, s, o, false);
	}
	match_report(sim, o, "TRADE", NULL, f);
}

static struct sim_market *sort_market;

/* Resting orders a BUY meets: cheapest first; a SELL: dearest first;
 * then older first. */
static int
maker_cmp(const void *a, const void *b)
{
	const struct sim_order *x = &sort_market->orders[*(const size_t *)a];
	const struct sim_order *y = &sort_market->orders[*(const size_t *)b];

	if (x->price != y->price)
		return (x->price < y->price) == is_buy(x) ? 1 : -1;
	return x->order_id < y->order_id ? -1 : 1;
}

/*
 * Plan the fills of a taker (side, limit price or 0 for MARKET, qty or,
 * when 0, quote_qty) without changing anything.  Returns the number of
 * fills in *out (malloc'd), or -1 without memory.
 */
static int
plan(struct sim *sim, struct sim_symbol *s, bool buy, int64_t limit,
     int64_t qty, int64_t quote_qty, struct sim_fill **out)
{
	struct sim_market *m = &sim->market;
	const struct md_side *syn =
	    md_synthetic(m, (int)(s - m->symbols), !buy);
	size_t *makers = NULL, nm = 0, mi = 0, i, cap = 0, lvl = 0;
	struct sim_fill *f = NULL;
	int n = 0;
	int64_t left_qty = qty, left_quote = quote_qty, lvl_taken = 0;

	*out = NULL;
	for (i = 0; i < m->norders; i++) {
		const struct sim_order *o = &m->orders[i];

		if (!o->open || is_buy(o) == buy ||
		    strcmp(o->symbol, s->name) != 0)
			continue;
		if (limit != 0 && (buy ? o->price > limit : o->price < limit))
			continue;
		if (nm == cap) {
			size_t *nb = realloc(makers, (cap ? cap * 2 : 64) *
							 sizeof(*nb));

			if (nb == NULL) {
				free(makers);
				return -1;
			}
			makers = nb;
			cap = cap ? cap * 2 : 64;
		}
		makers[nm++] = i;
	}
	sort_market = m;
	if (nm > 1)
		qsort(makers, nm, sizeof(*makers), maker_cmp);
	for (;;) {
		int64_t lp = 0, price, avail, take;
		bool have_lvl = lvl < syn->n, use_maker;
		struct sim_fill *nf;

		if (have_lvl)
			lp = syn->lv[lvl].price;
		if (mi < nm) {
			int64_t mp = m->orders[makers[mi]].price;

			use_maker = !have_lvl || (buy ? mp <= lp : mp >= lp);
		} else if (have_lvl) {
			use_maker = false;
		} else {
			break;
		}
		if (use_maker) {
			const struct sim_order *o = &m->orders[makers[mi]];

			price = o->price;
			avail = o->qty - o->executed;
		} else {
			price = lp;
			avail = syn->lv[lvl].qty - lvl_taken;
		}
		if (limit != 0 && (buy ? price > limit : price < limit))
			break;
		if (qty > 0) {
			take = avail < left_qty ? avail : left_qty;
		} else {
			take = (int64_t)((__int128)left_quote * UNIT / price);
			take -= take % s->step;
			if (take > avail)
				take = avail;
		}
		if (take <= 0)
			break;
		nf = realloc(f, (size_t)(n + 1) * sizeof(*f));
		if (nf == NULL) {
			free(f);
			free(makers);
			return -1;
		}
		f = nf;
		memset(&f[n], 0, sizeof(f[n]));
		f[n].price = price;
		f[n].qty = take;
		f[n].quote = mul(price, take);
		f[n].maker_index = use_maker ? (long)makers[mi] : -1;
		n++;
		left_qty -= take;
		left_quote -= mul(price, take);
		if (use_maker) {
			if (take == avail)
				mi++;
		} else if (take == avail) {
			lvl++;
			lvl_taken = 0;
		} else {
			lvl_taken += take;
		}
		if (qty > 0 && left_qty == 0)
			break;
	}
	free(makers);
	*out = f;
	return n;
}

static int64_t
plan_qty(const struct sim_fill *f, int n)
{
	int64_t q = 0;

	while (n-- > 0)
		q += f[n].qty;
	return q;
}

static int64_t
plan_quote(const struct sim_fill *f, int n)
{
	int64_t q = 0;

	while (n-- > 0)
		q += f[n].quote;
	return q;
}

/* Print a fill on the tape: its trade id.  agg: the taker's aggregate
 * trade id, a new one when its price differs from the last fill's; now:
 * the taker's one transaction time. */
static int64_t
print_fill(struct sim *sim, struct sim_symbol *s, const struct sim_fill *f,
	   bool buyer_maker, const struct sim_fill *prev, int64_t *agg,
	   int64_t now)
{
	struct sim_market *m = &sim->market;
	int i = (int)(s - m->symbols);

	if (prev == NULL || prev->price != f->price)
		*agg = md_next_agg(m, i);
	return md_trade_add(m, i, f->price, f->qty, buyer_maker, *agg, now);
}

/* Carry out the planned fills of the order at index ti. */
static void
execute(struct sim *sim, struct sim_symbol *s, size_t ti, struct sim_fill *f,
	int n)
{
	struct sim_market *m = &sim->market;
	bool buy = is_buy(&m->orders[ti]);
	int64_t agg = 0, now = sim_now_us();
	int k;

	for (k = 0; k < n; k++) {
		/* The buyer is the maker when the taker sells. */
		f[k].trade_id = print_fill(sim, s, &f[k], !buy,
					   k > 0 ? &f[k - 1] : NULL, &agg, now);
		if (f[k].maker_index >= 0) {
			struct sim_fill mf = f[k];

			fill_side(sim, s, &m->orders[f[k].maker_index], &mf,
				  true);
		} else {
			md_take(m, (int)(s - m->symbols), !buy, f[k].price,
				f[k].qty);
		}
		fill_side(sim, s, &m->orders[ti], &f[k], false);
	}
}

int
match_place(struct sim *sim, const struct sim_placement *pl,
	    struct sim_reply *r, struct sim_fill **fills, int *nfills,
	    size_t *index)
{
	struct sim_market *m = &sim->market;
	struct sim_symbol *s = pl->symbol;
	bool buy = strcmp(pl->side, "BUY") == 0;
	bool market = strcmp(pl->type, "MARKET") == 0;
	struct sim_fill *f = NULL;
	struct sim_order *o;
	int n;
	int64_t lock = 0;
	const char *lock_asset = buy ? s->quote : s->base;

	*fills = NULL;
	*nfills = 0;
	n = plan(sim, s, buy, market ? 0 : pl->price, pl->qty, pl->quote_qty,
		 &f);
	if (n < 0) {
		reply_error(r, 500, -1001, "Internal error");
		return -1;
	}
	if (strcmp(pl->type, "LIMIT_MAKER") == 0 && n > 0) {
		free(f);
		reply_error(r, 400, -2010,
			    "Order would immediately match and take.");
		return -1;
	}
	/* What it needs: locked for a LIMIT, paid at once for a MARKET. */
	if (!market)
		lock = buy ? mul(pl->price, pl->qty) : pl->qty;
	else if (buy)
		lock = pl->qty > 0 ? plan_quote(f, n) : pl->quote_qty;
	else
		lock = pl->qty > 0 ? pl->qty : plan_qty(f, n);
	if (account_free(&sim->account, lock_asset) < lock) {
		free(f);
		reply_error(r, 400, -2010,
			    "Account has insufficient balance for requested "
			    "action.");
		return -1;
	}
	o = market_add(m, s->name, pl->side, pl->type, pl->tif,
		       market ? 0 : pl->price, pl->qty, pl->quote_qty,
		       pl->client_id);
	if (o == NULL) {
		free(f);
		reply_error(r, 500, -1001, "Internal error");
		return -1;
	}
	*index = (size_t)(o - m->orders);
	limits_order_accepted(sim);
	if (!market) {
		account_move(&sim->account, lock_asset, -lock, lock);
		o->locked = lock;
	}
	/* A FOK that cannot fill entirely trades nothing. */
	if (strcmp(pl->tif, "FOK") == 0 && plan_qty(f, n) < pl->qty)
		n = 0;
	if (strcmp(pl->type, "LIMIT") == 0 && strcmp(pl->tif, "GTC") == 0 &&
	    plan_qty(f, n) < pl->qty) {
		o->open = true; /* on the book, from the start */
		o->working_ms = o->time_ms;
	}
	if (strcmp(pl->type, "LIMIT_MAKER") == 0) {
		o->open = true;
		o->working_ms = o->time_ms;
	}
	/* By quote: the quantity is what the quote buys (or sells for). */
	if (market && pl->qty == 0)
		o->qty = plan_qty(f, n);
	match_report(sim, o, "NEW", NULL, NULL);
	execute(sim, s, *index, f, n);
	o = &m->orders[*index];
	if (strcmp(o->status, "FILLED") != 0 && !o->open) {
		snprintf(o->status, sizeof(o->status), "EXPIRED");
		o->update_ms = sim_now_ms();
		release(sim, s, o, true);
		match_report(sim, o, "EXPIRED", NULL, NULL);
	}
	account_publish(sim);
	*fills = f;
	*nfills = n;
	return 0;
}

int
match_rest(struct sim *sim, struct sim_symbol *s, const char *side,
	   int64_t price, int64_t qty, const char *client_id, size_t *index)
{
	bool buy = strcmp(side, "BUY") == 0;
	int64_t lock = buy ? mul(price, qty) : qty;
	const char *asset = buy ? s->quote : s->base;
	struct sim_order *o;

	if (account_free(&sim->account, asset) < lock)
		return -2010;
	o = market_add(&sim->market, s->name, side, "LIMIT", "GTC", price, qty,
		       0, client_id);
	if (o == NULL)
		return -1;
	account_move(&sim->account, asset, -lock, lock);
	o->locked = lock;
	o->open = true;
	o->working_ms = o->time_ms;
	*index = (size_t)(o - sim->market.orders);
	match_report(sim, o, "NEW", NULL, NULL);
	account_publish(sim);
	return 0;
}

void
match_cancel(struct sim *sim, struct sim_order *o, const char *new_cid)
{
	struct sim_symbol *s = market_symbol(&sim->market, o->symbol);
	char orig[SIM_CID_MAX];

	snprintf(orig, sizeof(orig), "%s", o->client_id);
	o->open = false;
	snprintf(o->status, sizeof(o->status), "CANCELED");
	o->update_ms = sim_now_ms();
	/* The cancel's own id replaces the order's, freeing that. */
	snprintf(o->client_id, sizeof(o->client_id), "%s", new_cid);
	if (s != NULL)
		release(sim, s, o, true);
	match_report(sim, o, "CANCELED", orig, NULL);
}

void
match_fill_resting(struct sim *sim, struct sim_order *o)
{
	struct sim_symbol *s = market_symbol(&sim->market, o->symbol);
	struct sim_fill f;
	int64_t agg = 0;

	if (s == NULL || !o->open)
		return;
	memset(&f, 0, sizeof(f));
	f.price = o->price;
	f.qty = o->qty - o->executed;
	f.quote = mul(f.price, f.qty);
	f.trade_id = print_fill(sim, s, &f, is_buy(o), NULL, &agg,
				sim_now_us());
	fill_side(sim, s, o, &f, true);
}

void
match_tick(struct sim *sim)
{
	struct sim_market *m = &sim->market;
	size_t k;
	bool any = false;

	for (k = 0; k < m->norders; k++) {
		struct sim_order *o = &m->orders[k];
		const struct md_side *syn;
		struct sim_symbol *s;

		if (!o->open)
			continue;
		s = market_symbol(m, o->symbol);
		if (s == NULL)
			continue;
		/* Met by the other side's synthetic best: crossed. */
		syn = md_synthetic(m, (int)(s - m->symbols), !is_buy(o));
		if (syn->n > 0 && (is_buy(o) ? syn->lv[0].price <= o->price
					     : syn->lv[0].price >= o->price)) {
			match_fill_resting(sim, o);
			any = true;
		}
	}
	if (any)
		account_publish(sim);
}

/* Generate a client order id as the exchange does: 22 characters. */
void
match_client_id(struct sim *sim, char *buf, size_t size)
{
	static const char alnum[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t i;

	for (i = 0; i + 1 < size && i < 22; i++)
		buf[i] = alnum[(size_t)(market_rand(&sim->market) * 62) % 62];
	buf[i] = '\0';
}
