/*
 * tape.c - what the market printed: the last MD_TRADES trades of each
 * symbol, the simulated takers' (book.c) and every fill of the account's
 * orders (match.c) alike (trades, historicalTrades, aggTrades; a taker's
 * trades at one price share an aggregate id), the 1m klines of the last 25 hours, from which every
 * longer interval and the rolling 24 h statistics are summed, and 1s
 * klines from the trades themselves.  History starts when the simulator
 * does: there is nothing before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "md.h"

#define DAY_MS 86400000LL

static const struct interval {
	const char *name;
	int64_t ms; /* 0: a calendar month */
} intervals[] = {
	{"1s", 1000},	     {"1m", 60000},	   {"3m", 180000},
	{"5m", 300000},	     {"15m", 900000},	   {"30m", 1800000},
	{"1h", 3600000},     {"2h", 7200000},	   {"4h", 14400000},
	{"6h", 21600000},    {"8h", 28800000},	   {"12h", 43200000},
	{"1d", DAY_MS},	     {"3d", 3 * DAY_MS}, {"1w", 7 * DAY_MS},
	{"1M", 0},
};
#define NINTERVALS (int)(sizeof(intervals) / sizeof(intervals[0]))

int
md_interval(const char *name)
{
	int k;

	for (k = 0; k < NINTERVALS; k++)
		if (strcmp(intervals[k].name, name) == 0)
			return k;
	return -1;
}

const char *
md_interval_name(int k)
{
	return k >= 0 && k < NINTERVALS ? intervals[k].name : "";
}

static int64_t
floor_to(int64_t t, int64_t unit, int64_t origin)
{
	int64_t d = t - origin;

	return (d >= 0 ? d / unit : -((-d + unit - 1) / unit)) * unit + origin;
}

/* The first ms of the UTC month holding t_ms, months ahead. */
static int64_t
month_start(int64_t t_ms, int months)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mon += months;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

int64_t
md_interval_start(int k, int64_t t_ms)
{
	if (intervals[k].ms == 0)
		return month_start(t_ms, 0);
	/* Weeks begin on Monday; 1970-01-05 was one. */
	return floor_to(t_ms, intervals[k].ms,
			intervals[k].ms == 7 * DAY_MS ? 4 * DAY_MS : 0);
}

int64_t
md_interval_end(int k, int64_t start_ms)
{
	if (intervals[k].ms == 0)
		return month_start(start_ms, 1) - 1;
	return start_ms + intervals[k].ms - 1;
}

const struct md_trade *
md_trade_at(const struct md_symbol *s, size_t k)
{
	return &s->trades[(s->trade_head + k) % MD_TRADES];
}

int64_t
md_last_trade_ms(const struct md_symbol *s)
{
	return s->ntrades ? md_trade_at(s, s->ntrades - 1)->time_us / 1000 : 0;
}

static void
kline_add_trade(struct md_kline *k, const struct md_trade *t)
{
	double qty = (double)t->qty / 1e8;
	double quote = (double)t->price / 1e8 * qty;

	if (k->n == 0) {
		k->o = k->h = k->l = t->price;
		k->first = t->id;
	}
	if (t->price > k->h)
		k->h = t->price;
	if (t->price < k->l)
		k->l = t->price;
	k->c = t->price;
	k->v += qty;
	k->q += quote;
	if (!t->buyer_maker) { /* the buyer took */
		k->tv += qty;
		k->tq += quote;
	}
	k->last = t->id;
	k->n++;
}

int64_t
md_trade_add(struct sim_market *m, int i, int64_t price, int64_t qty,
	     bool buyer_maker, int64_t agg, int64_t time_us)
{
	struct sim_symbol *s = &m->symbols[i];
	struct md_symbol *ms = &m->md->sym[i];
	struct md_trade *t;
	struct md_kline *k;
	int64_t open = md_interval_start(1, time_us / 1000);

	if (ms->ntrades == MD_TRADES) {
		ms->trade_head = (ms->trade_head + 1) % MD_TRADES;
		ms->ntrades--;
	}
	t = &ms->trades[(ms->trade_head + ms->ntrades++) % MD_TRADES];
	t->id = ++s->trade_id;
	t->agg = agg;
	t->price = price;
	t->qty = qty;
	t->time_us = time_us;
	t->buyer_maker = buyer_maker;

	if (ms->nklines == 0 || ms->klines[ms->nklines - 1].open_ms != open) {
		if (ms->nklines == MD_KLINES) {
			memmove(ms->klines, ms->klines + 1,
				(MD_KLINES - 1) * sizeof(ms->klines[0]));
			ms->nklines--;
		}
		if (ms->nklines == ms->capklines) {
			size_t cap = ms->capklines ? ms->capklines * 2 : 16;
			struct md_kline *n;

			if (cap > MD_KLINES)
				cap = MD_KLINES;
			n = realloc(ms->klines, cap * sizeof(*n));
			if (n == NULL)
				return t->id; /* on the tape, not in a kline */
			ms->klines = n;
			ms->capklines = cap;
		}
		k = &ms->klines[ms->nklines++];
		memset(k, 0, sizeof(*k));
		k->open_ms = open;
		k->first = k->last = -1;
	}
	kline_add_trade(&ms->klines[ms->nklines - 1], t);
	return t->id;
}

static void
kline_merge(struct md_kline *into, const struct md_kline *k)
{
	if (k->n == 0)
		return;
	if (into->n == 0) {
		into->o = into->h = into->l = k->o;
		into->first = k->first;
	}
	if (k->h > into->h)
		into->h = k->h;
	if (k->l < into->l)
		into->l = k->l;
	into->c = k->c;
	into->v += k->v;
	into->q += k->q;
	into->tv += k->tv;
	into->tq += k->tq;
	into->last = k->last;
	into->n += k->n;
}

/* The base candle b of symbol ms for interval k: 1s from the trades, the
 * rest from the 1m klines.  false past the last. */
static bool
base_candle(const struct md_symbol *ms, int k, size_t b, struct md_kline *out)
{
	if (k == 0) {
		const struct md_trade *t;

		if (b >= ms->ntrades)
			return false;
		t = md_trade_at(ms, b);
		memset(out, 0, sizeof(*out));
		out->open_ms = t->time_us / 1000;
		kline_add_trade(out, t);
		return true;
	}
	if (b >= ms->nklines)
		return false;
	*out = ms->klines[b];
	return true;
}

size_t
md_klines(struct sim_market *m, int i, int k, int64_t start_ms,
	  int64_t end_ms, bool from_start, size_t limit, struct md_kline *out)
{
	const struct md_symbol *ms = &m->md->sym[i];
	struct md_kline base, cur;
	size_t b, n = 0, total = 0;
	bool open = false;

	/* Two passes: count what falls in range, then keep the wanted. */
	for (int pass = 0; pass < 2; pass++) {
		size_t skip = 0, seen = 0;

		if (pass == 1 && !from_start && total > limit)
			skip = total - limit;
		open = false;
		for (b = 0;; b++) {
			bool more = base_candle(ms, k, b, &base);
			int64_t st = more ? md_interval_start(k, base.open_ms)
					  : 0;

			if (open && (!more || st != cur.open_ms)) {
				open = false;
				if (cur.open_ms >= start_ms &&
				    cur.open_ms <= end_ms) {
					if (pass == 0)
						total++;
					else if (seen++ >= skip && n < limit)
						out[n++] = cur;
				}
			}
			if (!more)
				break;
			if (!open) {
				memset(&cur, 0, sizeof(cur));
				cur.open_ms = st;
				cur.first = cur.last = -1;
				open = true;
			}
			kline_merge(&cur, &base);
		}
	}
	return n;
}

void
md_stats(struct sim_market *m, int i, int64_t now_ms, struct md_stats *st)
{
	const struct md_symbol *ms = &m->md->sym[i];
	int64_t from = now_ms - DAY_MS;
	struct md_kline sum;
	size_t b;
	bool prev = false;

	memset(st, 0, sizeof(*st));
	memset(&sum, 0, sizeof(sum));
	sum.first = sum.last = -1;
	for (b = 0; b < ms->nklines; b++) {
		const struct md_kline *k = &ms->klines[b];

		if (k->open_ms + 60000 <= from) {
			st->prev_close = k->c;
			prev = true;
			continue;
		}
		kline_merge(&sum, k);
	}
	st->open_ms = from;
	st->close_ms = now_ms;
	st->first = sum.first;
	st->last_id = sum.last;
	st->count = sum.n;
	if (sum.n == 0)
		return;
	st->open = sum.o;
	st->high = sum.h;
	st->low = sum.l;
	st->last = sum.c;
	st->volume = sum.v;
	st->quote_volume = sum.q;
	if (!prev)
		st->prev_close = sum.o;
	if (ms->ntrades)
		st->last_qty = md_trade_at(ms, ms->ntrades - 1)->qty;
}
