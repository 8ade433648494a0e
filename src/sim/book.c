/*
 * book.c - the order book, the one the market data shows and placements
 * trade against (match.c): synthetic liquidity around each symbol's price
 * (MD_SYN_LEVELS levels a side, the best ones a tick either side of the
 * price, the others on a grid of `gap`), plus every resting order.  What
 * a trade takes from a synthetic level is gone from it (md_take) until
 * the price moves on and the level is drawn anew.  Each market step moves
 * the synthetic levels with the price and prints the trades of other
 * takers (tape.c); a frozen market takes no step, so its book changes
 * only by what placements do.  Each publication compares the
 * book as it now is with the one last published and gives every changed
 * level the next update id, as Binance's diff depth stream numbers them.
 * A REST snapshot publishes first, so its lastUpdateId covers exactly the
 * levels it shows, and a client syncing the diff stream against it the
 * documented way ends with the same book.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

void
md_text(int64_t v, char *buf, size_t size)
{
	market_text(v, buf, size);
}

void
md_dtext(double v, char *buf, size_t size)
{
	market_text((int64_t)llround(v * 1e8), buf, size);
}

static int
side_reserve(struct md_side *sd, size_t n)
{
	struct md_level *lv;
	size_t cap;

	if (n <= sd->cap)
		return 0;
	cap = sd->cap ? sd->cap : 64;
	while (cap < n)
		cap *= 2;
	lv = realloc(sd->lv, cap * sizeof(*lv));
	if (lv == NULL)
		return -1;
	sd->lv = lv;
	sd->cap = cap;
	return 0;
}

/* Whether a comes before b on side bid (bids: higher first). */
static bool
before(bool bid, int64_t a, int64_t b)
{
	return bid ? a > b : a < b;
}

/*
 * A level's quantity at price: 100 to 400 times the symbol's minimum
 * notional, so every symbol's book is as deep in its quote asset.
 */
static int64_t
random_qty(struct sim_market *m, const struct sim_symbol *s, int64_t price)
{
	__int128 want = (__int128)s->min_notional *
			(100 + (int64_t)(market_rand(m) * 300)) * 100000000 /
			price;

	want -= want % s->step;
	if (want < s->min_qty)
		want = s->min_qty;
	if (want < s->step)
		want = s->step;
	return (int64_t)want;
}

/*
 * The synthetic side for the current price: the best level a tick from
 * the price, the others on the gap grid.  A level that stays keeps its
 * quantity (one in ten is redrawn, as the real book churns).
 */
static int
syn_side(struct sim_market *m, const struct sim_symbol *s,
	 struct md_symbol *ms, bool bid)
{
	struct md_side *old = &ms->syn[bid ? 0 : 1], nw = {0};
	double t = (double)s->tick;
	int64_t best, p;
	size_t k = 0, j = 0;

	if (side_reserve(&nw, MD_SYN_LEVELS) < 0)
		return -1;
	if (bid) {
		best = llround((s->mid * 1e8 - t) / t) * s->tick;
		if (best < s->tick)
			best = s->tick;
	} else {
		int64_t b = llround((s->mid * 1e8 - t) / t) * s->tick;

		best = llround((s->mid * 1e8 + t) / t) * s->tick;
		if (best <= b)
			best = b + s->tick;
	}
	p = best;
	while (k < MD_SYN_LEVELS && p > 0) {
		int64_t q = 0;

		while (j < old->n && before(bid, old->lv[j].price, p))
			j++;
		if (j < old->n && old->lv[j].price == p &&
		    market_rand(m) >= 0.1)
			q = old->lv[j].qty;
		nw.lv[k].price = p;
		nw.lv[k].qty = q ? q : random_qty(m, s, p);
		k++;
		if (bid)
			p = k == 1 ? (p - 1) / ms->gap * ms->gap : p - ms->gap;
		else
			p = k == 1 ? (p / ms->gap + 1) * ms->gap : p + ms->gap;
	}
	nw.n = k;
	free(old->lv);
	*old = nw;
	return 0;
}

/* ---- the resting orders, as levels ------------------------------------ */

static int
level_cmp_bid(const void *a, const void *b)
{
	const struct md_level *x = a, *y = b;

	return x->price < y->price ? 1 : x->price > y->price ? -1 : 0;
}

static int
level_cmp_ask(const void *a, const void *b)
{
	return -level_cmp_bid(a, b);
}

/* The open orders of a symbol, one level per price, best first. */
static int
resting(struct sim_market *m, const char *name, struct md_side out[2])
{
	size_t k, n;
	int side;

	out[0].n = out[1].n = 0;
	for (k = 0; k < m->norders; k++) {
		const struct sim_order *o = &m->orders[k];
		int64_t p, q;
		struct md_side *sd;

		if (!o->open || strcmp(o->symbol, name) != 0)
			continue;
		p = o->price;
		q = o->qty - o->executed; /* what is left of it */
		if (q <= 0)
			continue;
		sd = &out[o->side[0] == 'B' ? 0 : 1];
		if (side_reserve(sd, sd->n + 1) < 0)
			return -1;
		sd->lv[sd->n].price = p;
		sd->lv[sd->n].qty = q;
		sd->n++;
	}
	for (side = 0; side < 2; side++) {
		struct md_side *sd = &out[side];

		if (sd->n == 0)
			continue;
		qsort(sd->lv, sd->n, sizeof(sd->lv[0]),
		      side == 0 ? level_cmp_bid : level_cmp_ask);
		for (k = n = 0; k < sd->n; k++) {
			if (n > 0 && sd->lv[n - 1].price == sd->lv[k].price)
				sd->lv[n - 1].qty += sd->lv[k].qty;
			else
				sd->lv[n++] = sd->lv[k];
		}
		sd->n = n;
	}
	return 0;
}

/* out = a + b, both sorted for side bid, equal prices summed. */
static int
merge(bool bid, const struct md_side *a, const struct md_side *b,
      struct md_side *out)
{
	size_t i = 0, j = 0;

	out->n = 0;
	if (side_reserve(out, a->n + b->n) < 0)
		return -1;
	while (i < a->n || j < b->n) {
		struct md_level l;

		if (j == b->n ||
		    (i < a->n && before(bid, a->lv[i].price, b->lv[j].price)))
			l = a->lv[i++];
		else if (i == a->n ||
			 before(bid, b->lv[j].price, a->lv[i].price))
			l = b->lv[j++];
		else {
			l = a->lv[i++];
			l.qty += b->lv[j++].qty;
		}
		out->lv[out->n++] = l;
	}
	return 0;
}

static int
log_add(struct md_symbol *ms, struct sim_symbol *s, bool bid, int64_t price,
	int64_t qty)
{
	if (ms->nlog == ms->caplog) {
		size_t cap = ms->caplog ? ms->caplog * 2 : 256;
		struct md_change *l = realloc(ms->log, cap * sizeof(*l));

		if (l == NULL)
			return -1;
		ms->log = l;
		ms->caplog = cap;
	}
	ms->log[ms->nlog].id = ++s->update_id;
	ms->log[ms->nlog].bid = bid;
	ms->log[ms->nlog].price = price;
	ms->log[ms->nlog].qty = qty;
	ms->nlog++;
	return 0;
}

/* Log every level that differs between the published side and now. */
static int
diff(struct md_symbol *ms, struct sim_symbol *s, bool bid,
     const struct md_side *old, const struct md_side *now)
{
	size_t i = 0, j = 0;
	int rc = 0;

	while (rc == 0 && (i < old->n || j < now->n)) {
		if (j == now->n || (i < old->n && before(bid, old->lv[i].price,
							 now->lv[j].price))) {
			rc = log_add(ms, s, bid, old->lv[i++].price, 0);
		} else if (i == old->n ||
			   before(bid, now->lv[j].price, old->lv[i].price)) {
			rc = log_add(ms, s, bid, now->lv[j].price,
				     now->lv[j].qty);
			j++;
		} else {
			if (old->lv[i].qty != now->lv[j].qty)
				rc = log_add(ms, s, bid, now->lv[j].price,
					     now->lv[j].qty);
			i++;
			j++;
		}
	}
	return rc;
}

int64_t
md_publish(struct sim_market *m, int i)
{
	struct md_side *rest = m->md->rest, *now = m->md->now;
	struct sim_symbol *s = &m->symbols[i];
	struct md_symbol *ms = &m->md->sym[i];
	int side;

	if (resting(m, s->name, rest) < 0)
		return s->update_id;
	for (side = 0; side < 2; side++) {
		struct md_side tmp;

		if (merge(side == 0, &ms->syn[side], &rest[side], &now[side]) <
			0 ||
		    diff(ms, s, side == 0, &ms->book[side], &now[side]) < 0)
			return s->update_id;
		/* now becomes the published side; the old one is reused */
		tmp = ms->book[side];
		ms->book[side] = now[side];
		now[side] = tmp;
	}
	return s->update_id;
}

size_t
md_changes(struct sim_market *m, int i, int64_t after, struct md_change *out,
	   size_t max, int64_t *first, int64_t *last)
{
	struct md_symbol *ms = &m->md->sym[i];
	size_t k, j, n = 0;

	*first = *last = 0;
	for (k = 0; k < ms->nlog; k++) {
		const struct md_change *c = &ms->log[k];

		if (c->id <= after)
			continue;
		if (*first == 0)
			*first = c->id;
		*last = c->id;
		for (j = 0; j < n; j++)
			if (out[j].bid == c->bid && out[j].price == c->price)
				break;
		if (j < n)
			out[j] = *c;
		else if (n < max)
			out[n++] = *c;
	}
	return n;
}

void
md_sent(struct sim_market *m, int i, enum md_cadence c, int64_t last)
{
	struct md_symbol *ms = &m->md->sym[i];
	int64_t keep = INT64_MAX;
	size_t k, n = 0;
	int j;

	ms->sent[c] = last;
	for (j = 0; j < MD_CADENCES; j++)
		if (ms->sent[j] < keep)
			keep = ms->sent[j];
	for (k = 0; k < ms->nlog; k++)
		if (ms->log[k].id > keep)
			ms->log[n++] = ms->log[k];
	ms->nlog = n;
}

void
md_take(struct sim_market *m, int i, bool bid, int64_t price, int64_t qty)
{
	struct md_side *sd = &m->md->sym[i].syn[bid ? 0 : 1];
	size_t k;

	for (k = 0; k < sd->n && sd->lv[k].price != price; k++)
		;
	if (k == sd->n)
		return;
	sd->lv[k].qty -= qty;
	if (sd->lv[k].qty > 0)
		return;
	memmove(&sd->lv[k], &sd->lv[k + 1], (sd->n - k - 1) * sizeof(sd->lv[0]));
	sd->n--;
}

const struct md_side *
md_synthetic(const struct sim_market *m, int i, bool bid)
{
	return &m->md->sym[i].syn[bid ? 0 : 1];
}

/*
 * One or two trades of one taker at the synthetic best price, taken from
 * the level they print at, as any other trade's quantity is.
 */
static void
print_trades(struct sim_market *m, int i)
{
	struct sim_symbol *s = &m->symbols[i];
	struct md_symbol *ms = &m->md->sym[i];
	bool maker = market_rand(m) < 0.5; /* the buyer rested: a sell hit */
	const struct md_side *sd = &ms->syn[maker ? 0 : 1];
	int64_t now = sim_now_us(), agg = 0, last = 0;
	int k, n = market_rand(m) < 0.3 ? 2 : 1;

	if (sd->n == 0)
		return;
	for (k = 0; k < n && sd->n > 0; k++) {
		int64_t price = sd->lv[0].price, qty =
		    (1 + (int64_t)(market_rand(m) * 1000)) * s->step;

		/* One aggregate trade is one price, as on Binance. */
		if (k == 0 || price != last)
			agg = ms->next_agg++;
		last = price;
		if (qty > sd->lv[0].qty)
			qty = sd->lv[0].qty;
		md_trade_add(m, i, price, qty, maker, agg, now);
		md_take(m, i, maker, price, qty);
	}
}

void
md_tick(struct sim_market *m)
{
	int i;

	if (m->md == NULL)
		return;
	for (i = 0; i < m->nsymbols; i++) {
		struct md_symbol *ms = &m->md->sym[i];
		struct sim_symbol *s = &m->symbols[i];

		if (syn_side(m, s, ms, true) < 0 ||
		    syn_side(m, s, ms, false) < 0)
			continue;
		print_trades(m, i);
	}
}

void
md_publish_all(struct sim_market *m)
{
	int i;

	if (m->md == NULL)
		return;
	for (i = 0; i < m->nsymbols; i++)
		md_publish(m, i);
}

int64_t
md_next_agg(struct sim_market *m, int i)
{
	return m->md->sym[i].next_agg++;
}

int
md_init(struct sim_market *m)
{
	int i, c;

	m->md = calloc(1, sizeof(*m->md));
	if (m->md == NULL)
		return -1;
	m->md->sym = calloc((size_t)(m->nsymbols ? m->nsymbols : 1),
			    sizeof(*m->md->sym));
	if (m->md->sym == NULL) {
		free(m->md);
		m->md = NULL;
		return -1;
	}
	m->md->n = m->nsymbols;
	for (i = 0; i < m->nsymbols; i++) {
		struct sim_symbol *s = &m->symbols[i];
		struct md_symbol *ms = &m->md->sym[i];
		int64_t gap = llround(s->mid * 1e8 * 0.0002 / (double)s->tick);

		/* Levels 2 bp apart: a step of the walk moves a few. */
		ms->gap = (gap > 1 ? gap : 1) * s->tick;
		s->update_id = 1000000 + (int64_t)(market_rand(m) * 1e6);
		syn_side(m, s, ms, true);
		syn_side(m, s, ms, false);
		md_publish(m, i);
		for (c = 0; c < MD_CADENCES; c++)
			ms->sent[c] = s->update_id;
		ms->nlog = 0;
	}
	return 0;
}

void
md_free(struct sim_market *m)
{
	int i, side;

	if (m->md == NULL)
		return;
	for (i = 0; i < m->md->n; i++) {
		struct md_symbol *ms = &m->md->sym[i];

		for (side = 0; side < 2; side++) {
			free(ms->syn[side].lv);
			free(ms->book[side].lv);
		}
		free(ms->log);
		free(ms->klines);
	}
	for (side = 0; side < 2; side++) {
		free(m->md->rest[side].lv);
		free(m->md->now[side].lv);
	}
	free(m->md->sym);
	free(m->md);
	m->md = NULL;
}
