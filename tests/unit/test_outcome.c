/*
 * test_outcome.c - what became of an order sent (outcome.c): a placement
 * without a reply stays unknown until the exchange decides it; "does not
 * exist" decides only past its timestamp + recvWindow; a decision is
 * never undone by a late reply.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"

#define TS 1796600000000LL /* a placement's timestamp, exchange ms */
#define RW 5000

static void
bot_with(struct bot *bot, const char *cid)
{
	memset(bot, 0, sizeof(*bot));
	pthread_cond_init(&bot->snap_cv, NULL);
	bot->placed = json_object();
	outcome_sent_locked(bot, cid,
			    json_pack("{s:s, s:s, s:s}", "symbol", "BTCUSDT",
				      "clientOrderId", cid, "status", "SENT"));
}

static void
test_outcome_unknown_then_absent(void)
{
	struct bot bot;
	int64_t end;

	bot_with(&bot, "gsb-1");
	CU_ASSERT_STRING_EQUAL(outcome_of_locked(&bot, "gsb-1"),
			       OUTCOME_IN_FLIGHT);
	CU_ASSERT_TRUE(outcome_unknown_locked(&bot, "gsb-1", TS, RW));
	CU_ASSERT_STRING_EQUAL(outcome_of_locked(&bot, "gsb-1"),
			       OUTCOME_UNKNOWN);
	CU_ASSERT_EQUAL(bot.unknown_total, 1);
	CU_ASSERT_EQUAL(outcome_undecided_locked(&bot, &end, NULL), 1);
	CU_ASSERT_EQUAL(end, TS + RW);
	/* -2013 within its window: it may still land. */
	CU_ASSERT_FALSE(outcome_absent_locked(&bot, "gsb-1", TS + 10,
					      OUTCOME_BY_QUERY));
	CU_ASSERT_FALSE(outcome_absent_locked(
	    &bot, "gsb-1", TS + RW + OUTCOME_CLOCK_MARGIN_MS,
	    OUTCOME_BY_QUERY));
	CU_ASSERT_PTR_NOT_NULL(outcome_of_locked(&bot, "gsb-1"));
	/* Past it (and the margin): never placed, forgotten. */
	CU_ASSERT_TRUE(outcome_absent_locked(
	    &bot, "gsb-1", TS + RW + OUTCOME_CLOCK_MARGIN_MS + 1,
	    OUTCOME_BY_WINDOW));
	CU_ASSERT_PTR_NULL(outcome_of_locked(&bot, "gsb-1"));
	CU_ASSERT_EQUAL(bot.decided[OUTCOME_BY_WINDOW], 1);
	CU_ASSERT_EQUAL(outcome_undecided_locked(&bot, NULL, NULL), 0);
	json_decref(bot.placed);
	pthread_cond_destroy(&bot.snap_cv);
}

static void
test_outcome_decided_by_status(void)
{
	struct bot bot;
	json_t *o;

	bot_with(&bot, "gsb-2");
	CU_ASSERT_TRUE(outcome_unknown_locked(&bot, "gsb-2", TS, RW));
	/* A query says it rests. */
	CU_ASSERT_TRUE(outcome_status_locked(&bot, "gsb-2", "NEW", 42,
					     OUTCOME_BY_QUERY));
	o = json_object_get(bot.placed, "gsb-2");
	CU_ASSERT_STRING_EQUAL(outcome_of_locked(&bot, "gsb-2"),
			       OUTCOME_PLACED);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "orderId")), 42);
	CU_ASSERT_EQUAL(bot.decided[OUTCOME_BY_QUERY], 1);
	/* Placed: a -2013 or a late failed reply changes nothing. */
	CU_ASSERT_FALSE(outcome_unknown_locked(&bot, "gsb-2", TS, RW));
	CU_ASSERT_FALSE(outcome_absent_locked(&bot, "gsb-2", TS + 10 * RW,
					      OUTCOME_BY_QUERY));
	CU_ASSERT_STRING_EQUAL(outcome_of_locked(&bot, "gsb-2"),
			       OUTCOME_PLACED);
	/* Its event says it filled: gone. */
	CU_ASSERT_FALSE(outcome_status_locked(&bot, "gsb-2", "FILLED", 42,
					      OUTCOME_BY_EVENT));
	CU_ASSERT_PTR_NULL(outcome_of_locked(&bot, "gsb-2"));
	/* An order never the bot's is not made up. */
	CU_ASSERT_FALSE(outcome_status_locked(&bot, "other-1", "NEW", 1,
					      OUTCOME_BY_EVENT));
	CU_ASSERT_PTR_NULL(outcome_of_locked(&bot, "other-1"));
	json_decref(bot.placed);
	pthread_cond_destroy(&bot.snap_cv);
}

static void
test_outcome_event_before_reply(void)
{
	struct bot bot;

	/* The executionReport comes before the reply, which then fails:
	 * the event's word stands. */
	bot_with(&bot, "gsb-3");
	CU_ASSERT_TRUE(outcome_status_locked(&bot, "gsb-3", "NEW", 7,
					     OUTCOME_BY_EVENT));
	CU_ASSERT_FALSE(outcome_unknown_locked(&bot, "gsb-3", TS, RW));
	CU_ASSERT_STRING_EQUAL(outcome_of_locked(&bot, "gsb-3"),
			       OUTCOME_PLACED);
	CU_ASSERT_EQUAL(bot.unknown_total, 0);
	/* In flight, its window is not known: it never passes. */
	outcome_sent_locked(&bot, "gsb-4",
			    json_pack("{s:s}", "symbol", "BTCUSDT"));
	CU_ASSERT_FALSE(outcome_absent_locked(&bot, "gsb-4", INT64_MAX,
					      OUTCOME_BY_WINDOW));
	CU_ASSERT_EQUAL(outcome_undecided_locked(&bot, NULL, NULL), 1);
	/* A refusal decides it. */
	outcome_forget_locked(&bot, "gsb-4");
	CU_ASSERT_EQUAL(outcome_undecided_locked(&bot, NULL, NULL), 0);
	CU_ASSERT_EQUAL(bot.decided[OUTCOME_BY_REPLY], 1);
	json_decref(bot.placed);
	pthread_cond_destroy(&bot.snap_cv);
}

/* What leaves a request's outcome unknown, and what decides it. */
static void
test_outcome_rest_unknown(void)
{
	static const struct {
		long status;
		int code;
		bool unknown;
	} cases[] = {
	    {0, 0, true},	/* no reply */
	    {500, 0, true},	/* the exchange's own failure */
	    {503, -1007, true}, /* timeout: execution status unknown */
	    {400, -1006, true}, /* unexpected response: status unknown */
	    {400, -1001, true}, /* disconnected internally */
	    {400, -1013, false}, /* refused by a filter */
	    {400, -2010, false}, /* refused: insufficient balance */
	    {429, -1003, false}, /* refused: too much weight */
	    {200, 0, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rest_req req;

		memset(&req, 0, sizeof(req));
		req.status = cases[i].status;
		req.code = cases[i].code;
		CU_ASSERT_EQUAL(rest_unknown(&req), cases[i].unknown);
	}
}

/* More undecided than the stop queries: those whose windows end last. */
static void
test_outcome_latest(void)
{
	struct bot bot;
	json_t *ids = json_array();
	char cid[32];
	int i;

	bot_with(&bot, "gsb-x");
	for (i = 0; i < 70; i++) {
		snprintf(cid, sizeof(cid), "gsb-%02d", i);
		outcome_sent_locked(&bot, cid,
				    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
					      "status", "SENT"));
		/* Sent in turn: gsb-69's window ends last. */
		outcome_unknown_locked(&bot, cid, TS + i * 100, RW);
	}
	/* In flight, its window not known yet: the latest of all. */
	CU_ASSERT_EQUAL(outcome_undecided_locked(&bot, NULL, NULL), 71);
	CU_ASSERT_EQUAL(outcome_latest_locked(&bot, 64, ids), 64);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, 0)),
			       "gsb-x");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, 1)),
			       "gsb-69");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, 63)),
			       "gsb-07");
	json_array_clear(ids);
	CU_ASSERT_EQUAL(outcome_latest_locked(&bot, 100, ids), 71);
	CU_ASSERT_EQUAL(outcome_latest_locked(&bot, 0, ids), 0);
	json_decref(ids);
	json_decref(bot.placed);
	pthread_cond_destroy(&bot.snap_cv);
}

void
suite_outcome(void)
{
	CU_pSuite s = CU_add_suite("outcome", NULL, NULL);

	UNIT_ADD(s, test_outcome_unknown_then_absent);
	UNIT_ADD(s, test_outcome_decided_by_status);
	UNIT_ADD(s, test_outcome_event_before_reply);
	UNIT_ADD(s, test_outcome_rest_unknown);
	UNIT_ADD(s, test_outcome_latest);
}
