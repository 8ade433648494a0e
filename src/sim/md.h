/*
 * md.h - the market data of the simulator's one synthetic market, shared
 * by the files that make it (book.c: the depth and its update ids; tape.c:
 * trades, klines and the rolling statistics) and those that serve it
 * (stream.c, and the REST endpoints).  REST and the streams read the same
 * state, so a snapshot and the events around it agree.
 *
 * Prices and quantities are in units of 1e-8, times in microseconds.
 */
#ifndef SIM_MD_H
#define SIM_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define MD_SYN_LEVELS 100  /* synthetic levels on each side */
#define MD_TRADES 1000	   /* the trades kept per symbol (limit's max) */
#define MD_KLINES 1500	   /* the 1m klines kept per symbol (25 h) */
#define MD_DEPTH_MAX 5000  /* depth's limit */

struct md_level {
	int64_t price, qty;
};

/* One side of a book: bids best (highest) first, asks lowest first. */
struct md_side {
	struct md_level *lv;
	size_t n, cap;
};

struct md_change {
	int64_t id;
	int64_t price, qty; /* qty 0: the level is gone */
	bool bid;
};

struct md_trade {
	int64_t id, agg;
	int64_t price, qty;
	int64_t time_us;
	bool buyer_maker;
};

struct md_kline {
	int64_t open_ms;
	int64_t o, h, l, c;
	double v, q, tv, tq; /* volume, quote volume, taker buy's */
	int64_t first, last, n; /* trade ids, count (first -1: none) */
};

/* The depth streams' cadences. */
enum md_cadence { MD_1000MS, MD_100MS, MD_CADENCES };

struct md_symbol {
	int64_t gap; /* the synthetic levels' spacing, a multiple of tick */
	struct md_side syn[2];	/* synthetic liquidity: [0] bids, [1] asks */
	struct md_side book[2]; /* as published: synthetic + resting orders */
	struct md_change *log;	/* changes not yet sent at every cadence */
	size_t nlog, caplog;
	int64_t sent[MD_CADENCES]; /* the last update id each cadence sent */
	struct md_trade trades[MD_TRADES]; /* a ring */
	size_t ntrades, trade_head;	   /* head: the oldest */
	int64_t next_agg;
	struct md_kline *klines; /* 1m, oldest first */
	size_t nklines, capklines;
};

struct md {
	struct md_symbol *sym; /* as the market's symbols */
	int n;
	struct md_side rest[2], now[2]; /* md_publish's scratch */
};

/* ---- book.c ---- */
int md_init(struct sim_market *m);
void md_free(struct sim_market *m);
/* One market step: the synthetic book follows the price, other takers'
 * trades print (and take from it). */
void md_tick(struct sim_market *m);
/* md_publish of every symbol. */
void md_publish_all(struct sim_market *m);
/* The synthetic side of symbol i (bids when bid), best first: what a
 * taker meets besides the resting orders. */
const struct md_side *md_synthetic(const struct sim_market *m, int i,
				   bool bid);
/* A trade took qty from the synthetic level at price (gone at 0). */
void md_take(struct sim_market *m, int i, bool bid, int64_t price,
	     int64_t qty);
/* A new aggregate trade id of symbol i (one taker, one price). */
int64_t md_next_agg(struct sim_market *m, int i);
/* The book as it is now (resting orders included) made the published one:
 * its changes get update ids; the symbol's last update id is returned. */
int64_t md_publish(struct sim_market *m, int i);
/* The changes of symbol i after update id `after`, collapsed to one per
 * price, for the diff depth stream: *first and *last the update ids. */
size_t md_changes(struct sim_market *m, int i, int64_t after,
		  struct md_change *out, size_t max, int64_t *first,
		  int64_t *last);
/* The cadence has sent everything up to last: the log can forget. */
void md_sent(struct sim_market *m, int i, enum md_cadence c, int64_t last);

/* ---- tape.c ---- */
/* Print a trade: its id (the symbol's next trade id). */
int64_t md_trade_add(struct sim_market *m, int i, int64_t price, int64_t qty,
		     bool buyer_maker, int64_t agg, int64_t time_us);
/* The trades of symbol i, oldest first: k from 0 to ntrades - 1. */
const struct md_trade *md_trade_at(const struct md_symbol *s, size_t k);

/* Kline intervals, as Binance spells them. */
int md_interval(const char *name); /* index, or -1 */
const char *md_interval_name(int k);
/* The start of the interval k holding t_ms. */
int64_t md_interval_start(int k, int64_t t_ms);
int64_t md_interval_end(int k, int64_t start_ms); /* the last ms in it */
/* Klines of interval k with open time within [start_ms, end_ms], at most
 * limit of them: the oldest from start_ms when from_start, else the
 * newest up to end_ms.  Returns the count written to out. */
size_t md_klines(struct sim_market *m, int i, int k, int64_t start_ms,
		 int64_t end_ms, bool from_start, size_t limit,
		 struct md_kline *out);

struct md_stats {
	int64_t open, high, low, last, prev_close, last_qty;
	double volume, quote_volume;
	int64_t open_ms, close_ms;
	int64_t first, last_id, count;
};
/* The rolling 24 h window of symbol i at now_ms. */
void md_stats(struct sim_market *m, int i, int64_t now_ms,
	      struct md_stats *st);
/* The last trade's time in ms (0: none yet). */
int64_t md_last_trade_ms(const struct md_symbol *s);

/* ---- text shared by REST and the streams ---- */
/* A decimal of 8 places, as Binance writes prices and quantities. */
void md_text(int64_t v, char *buf, size_t size);
void md_dtext(double v, char *buf, size_t size);

#endif
