/*
 * book.c - the live book: what rests on the account for the bot's
 * symbols, kept from the user data stream's executionReports and
 * reconciled with a listing after every (re)subscription.
 *
 * The bot's own orders are bot->placed ({clientOrderId: order}), the
 * same object the strategy fills before it sends a placement and the
 * snapshots name; others' orders on the bot's symbols are bot->foreign,
 * so the shutdown knows where a cancel-all would touch an order that is
 * not the bot's.  An order an event ended is remembered in bot->gone, so
 * a late or duplicated NEW never brings it back; within a live order an
 * event older than the one applied (by T, then I) changes nothing.  A
 * reconciling listing only drops orders the book held as confirmed (a
 * reply or an event) before the listing was sent: a placement answered
 * while the listing is on the wire may be missing from it and still
 * rest.  Everything here runs under bot->mu, on the stream's thread or
 * on a caller's; nothing blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

/* Forget ended orders past this many: they are long over by then. */
#define GONE_MAX 20000

static int
copy_str(json_t *ev, const char *key, char *out, size_t size, bool need)
{
	const char *v = json_string_value(json_object_get(ev, key));

	if (v == NULL) {
		out[0] = '\0';
		return need ? -EBADMSG : 0;
	}
	if (strlen(v) >= size)
		return -EBADMSG;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int64_t
get_int(json_t *ev, const char *key)
{
	json_t *v = json_object_get(ev, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int
book_parse_report(json_t *ev, struct exec_report *er)
{
	char orig[BOT_CID_MAX];

	memset(er, 0, sizeof(*er));
	if (!json_is_object(ev) ||
	    copy_str(ev, "s", er->symbol, sizeof(er->symbol), true) < 0 ||
	    copy_str(ev, "c", er->client_id, sizeof(er->client_id), true) <
		0 ||
	    copy_str(ev, "C", orig, sizeof(orig), false) < 0 ||
	    copy_str(ev, "S", er->side, sizeof(er->side), false) < 0 ||
	    copy_str(ev, "p", er->price, sizeof(er->price), false) < 0 ||
	    copy_str(ev, "q", er->qty, sizeof(er->qty), false) < 0 ||
	    copy_str(ev, "z", er->executed, sizeof(er->executed), false) < 0 ||
	    copy_str(ev, "x", er->exec_type, sizeof(er->exec_type), true) <
		0 ||
	    copy_str(ev, "X", er->status, sizeof(er->status), true) < 0)
		return -EBADMSG;
	/* A cancel names the cancel request in c, the order in C. */
	if (orig[0] != '\0')
		memcpy(er->client_id, orig, sizeof(orig));
	if (er->client_id[0] == '\0' || er->symbol[0] == '\0')
		return -EBADMSG;
	er->order_id = get_int(ev, "i");
	er->time_ms = get_int(ev, "T");
	er->exec_id = get_int(ev, "I");
	return 0;
}

bool
book_terminal(const char *status)
{
	static const char *const end[] = {"FILLED", "CANCELED", "EXPIRED",
					  "REJECTED", "EXPIRED_IN_MATCH", NULL};
	int i;

	for (i = 0; end[i] != NULL; i++)
		if (strcmp(status, end[i]) == 0)
			return true;
	return false;
}

/* The key of an order: its client id for the bot's, else "SYMBOL id"
 * (another client's ids need not be unique across symbols). */
static void
book_key(bool own, const char *symbol, const char *cid, char *out,
	 size_t size)
{
	if (own)
		snprintf(out, size, "%s", cid);
	else
		snprintf(out, size, "%s %s", symbol, cid);
}

/* Another's order on symbol: its orders and the bot's share it. */
static void
book_shared_locked(struct bot *bot, const char *symbol)
{
	int i = bot_symbol_index(bot, symbol);

	if (i >= 0)
		bot->shared[i] = true;
}

/* How far an order has gone: NEW, then partly filled, then ended. */
static int
book_rank(const char *status)
{
	if (status == NULL || strcmp(status, "NEW") == 0)
		return 0;
	if (strcmp(status, "PARTIALLY_FILLED") == 0)
		return 1;
	return book_terminal(status) ? 2 : 0;
}

/*
 * e is newer than what o last took: by T, then by I.  Binance documents
 * I as "Ignore"; where it is absent or equal (a marketable order's NEW
 * and TRADE share one T), the one that went further is newer: more
 * filled (z), then a later status.
 */
static bool
book_newer(json_t *o, const struct exec_report *er)
{
	int64_t t = get_int(o, "T"), id = get_int(o, "I");
	const char *z = json_string_value(json_object_get(o, "executedQty"));
	double was = z != NULL ? strtod(z, NULL) : 0, now;

	if (json_object_get(o, "T") == NULL)
		return true; /* only the placement's own fields so far */
	if (er->time_ms != t)
		return er->time_ms > t;
	if (er->exec_id != id)
		return er->exec_id > id;
	now = strtod(er->executed, NULL);
	if (now != was)
		return now > was;
	return book_rank(er->status) >
	       book_rank(json_string_value(json_object_get(o, "status")));
}

static void
book_gone_locked(struct bot *bot, const char *key, int64_t t)
{
	/* Full: the oldest quarter goes (jansson keeps insertion order);
	 * a late event is for a recent order, never for one of those. */
	if (json_object_size(bot->gone) >= GONE_MAX) {
		size_t n = 0;
		const char *k;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(bot->gone, tmp, k, v)
		{
			if (n++ >= GONE_MAX / 4)
				break;
			json_object_del(bot->gone, k);
		}
	}
	json_object_set_new(bot->gone, key, json_integer((json_int_t)t));
}

/* An order of the book, as the snapshot writes it. */
static json_t *
book_json(const char *symbol, int64_t order_id, const char *client_id,
	  const char *price, const char *qty, const char *side,
	  const char *status)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "symbol",
			 symbol, "orderId", (json_int_t)order_id,
			 "clientOrderId", client_id, "price", price, "origQty",
			 qty, "side", side, "status", status);
}

static json_t *
book_order_json(const struct exec_report *er)
{
	json_t *o = book_json(er->symbol, er->order_id, er->client_id,
			      er->price, er->qty, er->side, er->status);

	if (o != NULL)
		json_object_set_new(o, "executedQty",
				    json_string(er->executed));
	return o;
}

/*
 * An order of this instance's prefix that no run of it placed: not this
 * run's (another run tag, neither placed nor ended), and no earlier run's
 * left to recover (recovery cancelled those before the stream started).
 * Another process uses this state_dir's identity (a copied state_dir, a
 * second host).  An event or a listing may show it: neither placements
 * of unknown outcome (this run's tag) nor other instances' orders
 * (orphans, not the bot's) are such.
 */
static bool
book_conflict_locked(struct bot *bot, const char *cid)
{
	return bot->run_own[0] != '\0' && bot->earlier_orders < 0 &&
	       !plan_owns(bot->run_own, cid) &&
	       json_object_get(bot->placed, cid) == NULL &&
	       json_object_get(bot->gone, cid) == NULL;
}

/*
 * Whether the order an event or a listing shows is the bot's own for the
 * book and the shutdown.  A conflict is not: it is kept as someone else's
 * (bot->foreign), so no cancel-all runs where it rests and no cancel
 * names it.  *report: found now for the first time (counted; from the
 * first, placing stops), to be reported with no lock held.
 */
static bool
book_own_locked(struct bot *bot, const char *symbol, const char *cid,
		bool *report)
{
	char key[BOT_SYMBOL_MAX + BOT_CID_MAX + 2];

	*report = false;
	if (!bot_owns(bot, cid))
		return false;
	if (!book_conflict_locked(bot, cid))
		return true;
	book_key(false, symbol, cid, key, sizeof(key));
	*report = json_object_get(bot->foreign, key) == NULL &&
		  json_object_get(bot->gone, key) == NULL;
	if (*report && bot->conflicts++ == 0)
		pthread_cond_broadcast(&bot->cv); /* placing stops */
	return false;
}

/* Traced and logged once per order; the strategy places nothing more.
 * by: "event" or "listing", what showed it. */
static void
book_conflict_report(struct bot *bot, const char *symbol, const char *cid,
		     int64_t order_id, const char *status, const char *by)
{
	char c[4 * BOT_CID_MAX], sym[4 * BOT_SYMBOL_MAX], st[64];
	json_t *detail;

	gs_log_escape(c, sizeof(c), cid, strlen(cid));
	gs_log_escape(sym, sizeof(sym), symbol, strlen(symbol));
	gs_log_escape(st, sizeof(st), status, strlen(status));
	detail = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "event",
			   "conflict", "symbol", sym, "client_order_id", c,
			   "order_id", (json_int_t)order_id, "status", st,
			   "found_by", by);
	if (detail != NULL) {
		gs_supervisor_trace(bot->sup, "USER_STREAM", detail);
		json_decref(detail);
	}
	log_error("%s: order %s (%s, id %lld) has this instance's client id "
		  "prefix but no run of it placed it: another process uses "
		  "this state_dir's identity; placing stopped, the order is "
		  "left alone",
		  strcmp(by, "event") == 0 ? "user stream" : "listing", c, sym,
		  (long long)order_id);
}

int
ustream_on_order(struct bot *bot, const struct exec_report *er)
{
	char key[BOT_SYMBOL_MAX + BOT_CID_MAX + 2];
	bool own, conflict;
	json_t *set, *o;
	int changed = 0;

	pthread_mutex_lock(&bot->mu);
	own = book_own_locked(bot, er->symbol, er->client_id, &conflict);
	pthread_mutex_unlock(&bot->mu);
	if (conflict)
		book_conflict_report(bot, er->symbol, er->client_id,
				     er->order_id, er->status, "event");
	if (bot_symbol_index(bot, er->symbol) < 0 && !own)
		return -EINVAL;
	book_key(own, er->symbol, er->client_id, key, sizeof(key));
	pthread_mutex_lock(&bot->mu);
	set = own ? bot->placed : bot->foreign;
	if (!own)
		book_shared_locked(bot, er->symbol);
	if (json_object_get(bot->gone, key) != NULL)
		goto out; /* ended: nothing later revives it */
	o = json_object_get(set, key);
	if (o != NULL && !book_newer(o, er))
		goto out; /* a duplicate, or older than what it took */
	if (own && o != NULL) {
		/* The event decides the placement's outcome (outcome.c):
		 * placed, or gone for good. */
		outcome_status_locked(bot, key, er->status, er->order_id,
				      OUTCOME_BY_EVENT);
		o = json_object_get(set, key);
	} else if (o != NULL && book_terminal(er->status)) {
		json_object_del(set, key);
		o = NULL;
	}
	changed = 1;
	if (book_terminal(er->status)) {
		book_gone_locked(bot, key, er->time_ms);
		goto out;
	}
	if (o == NULL) {
		o = book_order_json(er);
		if (o == NULL)
			goto out;
		json_object_set_new(o, "outcome", json_string(OUTCOME_PLACED));
		json_object_set_new(set, key, o);
	}
	json_object_set_new(o, "status", json_string(er->status));
	json_object_set_new(o, "executedQty", json_string(er->executed));
	if (er->order_id > 0)
		json_object_set_new(o, "orderId", json_integer(er->order_id));
	json_object_set_new(o, "T", json_integer((json_int_t)er->time_ms));
	json_object_set_new(o, "I", json_integer((json_int_t)er->exec_id));
out:
	if (changed) {
		bot_snapshot_dirty_locked(bot); /* every event in the snapshot */
		pthread_cond_broadcast(&bot->cv);
	}
	pthread_mutex_unlock(&bot->mu);
	return changed;
}

/* Confirmed: the exchange has it (a reply, an event, a query or a
 * listing said so: outcome.c's "placed"). */
static bool
book_confirmed(json_t *o)
{
	const char *oc = json_string_value(json_object_get(o, "outcome"));
	const char *st = json_string_value(json_object_get(o, "status"));

	if (oc != NULL)
		return strcmp(oc, OUTCOME_PLACED) == 0;
	return st == NULL || strcmp(st, "SENT") != 0;
}

json_t *
book_mark(struct bot *bot)
{
	json_t *mark = json_object(), *v;
	const char *key;

	if (mark == NULL)
		return NULL;
	pthread_mutex_lock(&bot->mu);
	json_object_foreach(bot->placed, key, v)
		if (book_confirmed(v))
			json_object_set_new(mark, key, json_true());
	json_object_foreach(bot->foreign, key, v)
		json_object_set_new(mark, key, json_false());
	pthread_mutex_unlock(&bot->mu);
	return mark;
}

static json_t *
order_json(const struct bot_order *o)
{
	return book_json(o->symbol, o->order_id, o->client_id, o->price,
			 o->qty, o->side, o->status[0] ? o->status : "NEW");
}

/* Trace and log the conflicts a listing showed (o[conf[i]]); frees
 * conf.  Without bot->mu. */
static void
report_listed(struct bot *bot, const struct bot_order *o, int *conf,
	      int nconf)
{
	int i;

	for (i = 0; i < nconf; i++)
		book_conflict_report(bot, o[conf[i]].symbol,
				     o[conf[i]].client_id, o[conf[i]].order_id,
				     o[conf[i]].status[0] ? o[conf[i]].status
							  : "NEW",
				     "listing");
	free(conf);
}

void
book_reconcile(struct bot *bot, json_t *mark, const struct bot_order *o,
	       int n, json_t *found)
{
	char key[BOT_SYMBOL_MAX + BOT_CID_MAX + 2];
	json_t *listed = json_object(), *v, *set;
	int i, added = 0, removed = 0, foreign = 0, own = 0, nconf = 0;
	int *conf = n > 0 ? calloc((size_t)n, sizeof(*conf)) : NULL;
	const char *k;
	void *tmp;

	pthread_mutex_lock(&bot->mu);
	for (i = 0; i < n; i++) {
		bool report,
		    mine = book_own_locked(bot, o[i].symbol, o[i].client_id,
					   &report);

		if (report && conf != NULL)
			conf[nconf++] = i;
		if (!mine && bot_symbol_index(bot, o[i].symbol) < 0)
			continue;
		book_key(mine, o[i].symbol, o[i].client_id, key, sizeof(key));
		json_object_set_new(listed, key, json_true());
		if (mine)
			own++;
		else
			foreign++;
		if (!mine)
			book_shared_locked(bot, o[i].symbol);
		set = mine ? bot->placed : bot->foreign;
		if (json_object_get(bot->gone, key) != NULL)
			continue; /* ended after the listing was taken */
		if (json_object_get(set, key) == NULL) {
			json_t *j = order_json(&o[i]);

			json_object_set_new(j, "outcome",
					    json_string(OUTCOME_PLACED));
			json_object_set_new(set, key, j);
			added++;
		} else if (mine) {
			/* Listed: a placement without a reply is decided. */
			outcome_status_locked(bot, key,
					      o[i].status[0] ? o[i].status
							     : "NEW",
					      o[i].order_id,
					      OUTCOME_BY_LISTING);
		}
	}
	/* What was confirmed before the listing and is not in it: gone. */
	json_object_foreach_safe(mark, tmp, k, v)
	{
		set = json_is_true(v) ? bot->placed : bot->foreign;
		if (json_object_get(listed, k) != NULL ||
		    json_object_get(set, k) == NULL)
			continue;
		json_object_del(set, k);
		removed++;
	}
	if (added + removed > 0) {
		bot_snapshot_dirty_locked(bot);
		pthread_cond_broadcast(&bot->cv);
	}
	pthread_mutex_unlock(&bot->mu);
	json_decref(listed);
	report_listed(bot, o, conf, nconf);
	json_object_set_new(found, "listed", json_integer(own + foreign));
	json_object_set_new(found, "conflicts", json_integer(nconf));
	json_object_set_new(found, "own", json_integer(own));
	json_object_set_new(found, "foreign", json_integer(foreign));
	json_object_set_new(found, "added", json_integer(added));
	json_object_set_new(found, "removed", json_integer(removed));
}

int
book_listed_conflicts(struct bot *bot, const struct bot_order *o, int n)
{
	char key[BOT_SYMBOL_MAX + BOT_CID_MAX + 2];
	int *conf = n > 0 ? calloc((size_t)n, sizeof(*conf)) : NULL;
	int i, nconf = 0, total;

	pthread_mutex_lock(&bot->mu);
	for (i = 0; i < n && conf != NULL; i++) {
		bool report;

		if (book_own_locked(bot, o[i].symbol, o[i].client_id,
				    &report) ||
		    !report)
			continue;
		conf[nconf++] = i;
		if (bot_symbol_index(bot, o[i].symbol) < 0)
			continue;
		/* Someone else's from now on, reported once. */
		book_key(false, o[i].symbol, o[i].client_id, key, sizeof(key));
		json_object_set_new(bot->foreign, key, order_json(&o[i]));
	}
	total = bot->conflicts;
	pthread_mutex_unlock(&bot->mu);
	report_listed(bot, o, conf, nconf);
	return total;
}

int
book_foreign_count(struct bot *bot, int i)
{
	const char *sym = bot->cfg->bot.symbols[i], *key;
	size_t len = strlen(sym);
	json_t *v;
	int n = 0;

	json_object_foreach(bot->foreign, key, v)
		if (strncmp(key, sym, len) == 0 && key[len] == ' ')
			n++;
	return n;
}

static void
field(json_t *o, const char *name, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(o, name));

	snprintf(out, size, "%s", v ? v : "");
}

int
book_own_orders(struct bot *bot, struct bot_order **out)
{
	size_t n = json_object_size(bot->placed), k = 0;
	struct bot_order *o = calloc(n + 1, sizeof(*o));
	const char *key;
	json_t *v;

	*out = NULL;
	if (o == NULL)
		return -ENOMEM;
	json_object_foreach(bot->placed, key, v)
	{
		if (k >= n)
			break;
		field(v, "symbol", o[k].symbol, sizeof(o[k].symbol));
		snprintf(o[k].client_id, sizeof(o[k].client_id), "%s", key);
		field(v, "price", o[k].price, sizeof(o[k].price));
		field(v, "origQty", o[k].qty, sizeof(o[k].qty));
		field(v, "side", o[k].side, sizeof(o[k].side));
		field(v, "status", o[k].status, sizeof(o[k].status));
		o[k].order_id = get_int(v, "orderId");
		k++;
	}
	*out = o;
	return (int)k;
}
