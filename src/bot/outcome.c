/*
 * outcome.c - what became of each order the bot sent: decided from what
 * the exchange said, never guessed.
 *
 * bot->placed holds every placement of this run from the moment before
 * its request goes until the order is known not to rest.  Its "outcome":
 *
 *	in_flight  sent, no reply yet
 *	unknown    no reply came (timeout, transport error, 5xx, -1001,
 *		   -1007): it may rest, may fill, or may never be placed
 *	placed     the exchange has it (a reply, an event, a query, a
 *		   listing); "status" is its last known status
 *
 * An order that is gone (FILLED, CANCELED, EXPIRED, REJECTED) or was
 * never placed is removed.  An unknown one is decided by its
 * executionReport, by a query by origClientOrderId, by a listing that
 * shows it, or by the passing of its timestamp + recvWindow on the
 * exchange's clock: past that the exchange refuses it, so an order it
 * does not know (-2013) will never be placed.  Before then a -2013 says
 * nothing: the request may still be on its way.
 *
 * Every function here runs with bot->mu held; the user data stream's
 * events, the strategy's replies, queries and listings, and the
 * CANCELLING phase all decide through them.  A change marks the
 * snapshot dirty (snapshot.c) but wakes no one on bot->cv: the caller
 * broadcasts it when a waiter should see the decision at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

static const char *const by_names[OUTCOME_BY_COUNT] = {
    [OUTCOME_BY_REPLY] = "reply",     [OUTCOME_BY_EVENT] = "event",
    [OUTCOME_BY_QUERY] = "query",     [OUTCOME_BY_LISTING] = "listing",
    [OUTCOME_BY_WINDOW] = "window",
};

const char *
outcome_by_name(enum outcome_by by)
{
	return (unsigned)by < OUTCOME_BY_COUNT ? by_names[by] : "?";
}

bool
outcome_rests(const char *status)
{
	return status != NULL && (strcmp(status, "NEW") == 0 ||
				  strcmp(status, "PARTIALLY_FILLED") == 0 ||
				  strcmp(status, "PENDING_NEW") == 0);
}

const char *
outcome_of_locked(struct bot *bot, const char *cid)
{
	json_t *o = json_object_get(bot->placed, cid);

	return o ? json_string_value(json_object_get(o, "outcome")) : NULL;
}

static bool
undecided(json_t *o)
{
	const char *s = json_string_value(json_object_get(o, "outcome"));

	return s != NULL && (strcmp(s, OUTCOME_IN_FLIGHT) == 0 ||
			     strcmp(s, OUTCOME_UNKNOWN) == 0);
}

/* An undecided order is decided: counted, and named in bot->decisions
 * while CANCELLING keeps it (at most DECISIONS_MAX of them). */
#define DECISIONS_MAX 100
static void
decided(struct bot *bot, const char *cid, json_t *o, enum outcome_by by,
	const char *what)
{
	if (!undecided(o))
		return;
	bot->decided[by]++;
	if (bot->decisions != NULL &&
	    json_object_size(bot->decisions) < DECISIONS_MAX)
		json_object_set_new(bot->decisions, cid,
				    json_pack("{s:s, s:s}", "by",
					      outcome_by_name(by), "outcome",
					      what));
}

void
outcome_sent_locked(struct bot *bot, const char *cid, json_t *order)
{
	json_object_set_new(order, "outcome", json_string(OUTCOME_IN_FLIGHT));
	json_object_set_new(bot->placed, cid, order);
}

bool
outcome_unknown_locked(struct bot *bot, const char *cid, int64_t timestamp_ms,
		       int recv_window_ms)
{
	json_t *o = json_object_get(bot->placed, cid);
	const char *s = json_string_value(json_object_get(o, "outcome"));

	/* An event may have decided it before the reply failed. */
	if (s == NULL || strcmp(s, OUTCOME_IN_FLIGHT) != 0)
		return false;
	json_object_set_new(o, "outcome", json_string(OUTCOME_UNKNOWN));
	json_object_set_new(o, "timestamp", json_integer(timestamp_ms));
	json_object_set_new(o, "recvWindow", json_integer(recv_window_ms));
	bot->unknown_total++;
	bot_snapshot_dirty_locked(bot);
	return true;
}

bool
outcome_status_locked(struct bot *bot, const char *cid, const char *status,
		      int64_t order_id, enum outcome_by by)
{
	json_t *o = json_object_get(bot->placed, cid);
	bool was = o != NULL && undecided(o);

	if (o == NULL || status == NULL)
		return false;
	decided(bot, cid, o, by, outcome_rests(status) ? "rests" : "gone");
	bot_snapshot_dirty_locked(bot);
	if (!outcome_rests(status)) {
		/* Filled, cancelled, expired or refused: it does not rest,
		 * and never will again. */
		json_object_del(bot->placed, cid);
		return was;
	}
	json_object_set_new(o, "outcome", json_string(OUTCOME_PLACED));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "decided_by", json_string(outcome_by_name(by)));
	if (order_id > 0)
		json_object_set_new(o, "orderId", json_integer(order_id));
	return was;
}

void
outcome_forget_locked(struct bot *bot, const char *cid)
{
	json_t *o = json_object_get(bot->placed, cid);

	if (o == NULL)
		return;
	decided(bot, cid, o, OUTCOME_BY_REPLY, "refused");
	json_object_del(bot->placed, cid);
	bot_snapshot_dirty_locked(bot);
}

int64_t
outcome_window_end(json_t *o)
{
	json_t *ts = json_object_get(o, "timestamp"),
	       *rw = json_object_get(o, "recvWindow");

	if (!json_is_integer(ts) || !json_is_integer(rw))
		return INT64_MAX; /* not known: never passes */
	return bot_add_sat(json_integer_value(ts), json_integer_value(rw));
}

bool
outcome_absent_locked(struct bot *bot, const char *cid, int64_t server_now_ms,
		      enum outcome_by by)
{
	json_t *o = json_object_get(bot->placed, cid);

	if (o == NULL)
		return true;
	if (!undecided(o))
		return false; /* placed: not listed means gone, the caller's */
	if (server_now_ms <=
	    bot_add_sat(outcome_window_end(o), OUTCOME_CLOCK_MARGIN_MS))
		return false; /* it may still land */
	/* By a query: not there, and too late to come.  By the window
	 * alone: it will not come any more; the listing that follows shows
	 * it if it came. */
	decided(bot, cid, o, by,
		by == OUTCOME_BY_WINDOW ? "no longer in flight: as listed"
					: "never placed");
	json_object_del(bot->placed, cid);
	bot_snapshot_dirty_locked(bot);
	return true;
}

int64_t
outcome_lands_by(json_t *o, int recv_window_ms)
{
	json_t *by = json_object_get(o, "sent_by");

	if (!undecided(o))
		return INT64_MIN;
	if (json_is_integer(json_object_get(o, "timestamp")))
		return outcome_window_end(o);
	if (json_is_integer(by))
		return bot_add_sat(json_integer_value(by), recv_window_ms);
	return INT64_MIN; /* nothing known: nothing to wait for */
}

int
outcome_undecided_locked(struct bot *bot, int64_t *window_end, json_t *ids)
{
	const char *cid;
	json_t *o;
	int n = 0;

	if (window_end != NULL)
		*window_end = INT64_MIN;
	json_object_foreach(bot->placed, cid, o)
	{
		if (!undecided(o))
			continue;
		n++;
		if (window_end != NULL && outcome_window_end(o) > *window_end)
			*window_end = outcome_window_end(o);
		if (ids != NULL)
			json_array_append_new(ids, json_string(cid));
	}
	return n;
}

struct latest {
	const char *cid;
	int64_t end;
};

static int
latest_cmp(const void *a, const void *b)
{
	const struct latest *x = a, *y = b;

	if (x->end != y->end)
		return x->end < y->end ? 1 : -1;
	return strcmp(x->cid, y->cid);
}

int
outcome_latest_locked(struct bot *bot, int max, json_t *ids)
{
	size_t n = json_object_size(bot->placed), k = 0, i;
	struct latest *l;
	const char *cid;
	json_t *o;

	if (n == 0 || max <= 0)
		return 0;
	l = calloc(n, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	json_object_foreach(bot->placed, cid, o)
	{
		if (!undecided(o) || k >= n)
			continue;
		l[k].cid = cid;
		l[k].end = outcome_window_end(o);
		k++;
	}
	qsort(l, k, sizeof(*l), latest_cmp);
	if (k > (size_t)max)
		k = (size_t)max;
	for (i = 0; i < k; i++)
		json_array_append_new(ids, json_string(l[i].cid));
	free(l);
	return (int)k;
}
