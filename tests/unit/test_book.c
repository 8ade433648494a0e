/*
 * test_book.c - the live book: executionReports applied in any order,
 * twice, or late, and the reconciling listing.
 */
#include <pthread.h>
#include <string.h>

#include "unit.h"

struct fixture {
	struct bot_config cfg;
	struct bot bot;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	unit_bot_config(&f->cfg);
	snprintf(f->cfg.bot.symbols[0], BOT_SYMBOL_MAX, "BTCUSDT");
	snprintf(f->cfg.bot.symbols[1], BOT_SYMBOL_MAX, "ETHUSDT");
	f->cfg.bot.nsymbols = 2;
	f->bot.cfg = &f->cfg;
	strcpy(f->bot.prefix, "gsb-");
	strcpy(f->bot.own, "gsb-");
	pthread_mutex_init(&f->bot.mu, NULL);
	pthread_cond_init(&f->bot.cv, NULL);
	f->bot.placed = json_object();
	f->bot.foreign = json_object();
	f->bot.gone = json_object();
}

static void
fixture_free(struct fixture *f)
{
	json_decref(f->bot.placed);
	json_decref(f->bot.foreign);
	json_decref(f->bot.gone);
	pthread_mutex_destroy(&f->bot.mu);
	pthread_cond_destroy(&f->bot.cv);
}

static struct exec_report
report(const char *sym, const char *cid, const char *x, const char *st,
       const char *z, int64_t t, int64_t id)
{
	struct exec_report er;

	memset(&er, 0, sizeof(er));
	snprintf(er.symbol, sizeof(er.symbol), "%s", sym);
	snprintf(er.client_id, sizeof(er.client_id), "%s", cid);
	snprintf(er.exec_type, sizeof(er.exec_type), "%s", x);
	snprintf(er.status, sizeof(er.status), "%s", st);
	snprintf(er.executed, sizeof(er.executed), "%s", z);
	snprintf(er.side, sizeof(er.side), "BUY");
	snprintf(er.price, sizeof(er.price), "50.00");
	snprintf(er.qty, sizeof(er.qty), "2");
	er.order_id = 7;
	er.time_ms = t;
	er.exec_id = id;
	return er;
}

static const char *
status_of(struct fixture *f, const char *cid)
{
	return json_string_value(
	    json_object_get(json_object_get(f->bot.placed, cid), "status"));
}

/* Others' open orders on symbol i, as the shutdown counts them. */
static int
foreign_on(struct fixture *f, int i)
{
	int n;

	pthread_mutex_lock(&f->bot.mu);
	n = book_foreign_count(&f->bot, i);
	pthread_mutex_unlock(&f->bot.mu);
	return n;
}

static void
test_book_events(void)
{
	struct fixture f;
	struct exec_report e;

	fixture_init(&f);
	e = report("BTCUSDT", "gsb-a-1", "NEW", "NEW", "0", 100, 1);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0); /* duplicate */
	CU_ASSERT_STRING_EQUAL(status_of(&f, "gsb-a-1"), "NEW");
	e = report("BTCUSDT", "gsb-a-1", "TRADE", "PARTIALLY_FILLED", "1", 110,
		   2);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	/* The NEW again, late: older, nothing changes. */
	e = report("BTCUSDT", "gsb-a-1", "NEW", "NEW", "0", 100, 1);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	CU_ASSERT_STRING_EQUAL(status_of(&f, "gsb-a-1"), "PARTIALLY_FILLED");
	e = report("BTCUSDT", "gsb-a-1", "TRADE", "FILLED", "2", 120, 3);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-a-1"));
	/* Duplicated and late events never revive an ended order. */
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	e = report("BTCUSDT", "gsb-a-1", "NEW", "NEW", "0", 100, 1);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-a-1"));
	/* Others' orders on the bot's symbols: counted apart. */
	e = report("ETHUSDT", "manual-1", "NEW", "NEW", "0", 130, 4);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	e = report("BNBUSDT", "manual-2", "NEW", "NEW", "0", 130, 5);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), -EINVAL);
	CU_ASSERT_EQUAL(foreign_on(&f, 0), 0);
	CU_ASSERT_EQUAL(foreign_on(&f, 1), 1);
	e = report("ETHUSDT", "manual-1", "CANCELED", "CANCELED", "0", 140, 6);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_EQUAL(foreign_on(&f, 1), 0);
	fixture_free(&f);
}

/* Events of one transaction time without I: the one that went further
 * is the newer (a marketable order's NEW and fills share their T). */
static void
test_book_same_time(void)
{
	struct fixture f;
	struct exec_report e;

	fixture_init(&f);
	e = report("BTCUSDT", "gsb-b-1", "NEW", "NEW", "0", 200, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0); /* duplicate */
	e = report("BTCUSDT", "gsb-b-1", "TRADE", "PARTIALLY_FILLED", "1", 200,
		   0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_STRING_EQUAL(status_of(&f, "gsb-b-1"), "PARTIALLY_FILLED");
	/* The NEW again: less filled, older. */
	e = report("BTCUSDT", "gsb-b-1", "NEW", "NEW", "0", 200, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	e = report("BTCUSDT", "gsb-b-1", "TRADE", "FILLED", "2", 200, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-b-1"));
	/* Cancelled after a partial fill within the same millisecond. */
	e = report("ETHUSDT", "manual-3", "NEW", "NEW", "0", 300, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	e = report("ETHUSDT", "manual-3", "TRADE", "PARTIALLY_FILLED", "1",
		   300, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	e = report("ETHUSDT", "manual-3", "CANCELED", "CANCELED", "1", 300, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	CU_ASSERT_EQUAL(foreign_on(&f, 1), 0);
	fixture_free(&f);
}

/* The ended orders' memory is bounded and forgets the oldest first: a
 * late event for a recent order never revives it. */
static void
test_book_gone_bounded(void)
{
	struct fixture f;
	struct exec_report e;
	char cid[32];
	int i;

	fixture_init(&f);
	for (i = 0; i <= 20000; i++) {
		snprintf(cid, sizeof(cid), "manual-%d", i);
		e = report("ETHUSDT", cid, "CANCELED", "CANCELED", "0", 100 + i,
			   i + 1);
		ustream_on_order(&f.bot, &e);
	}
	CU_ASSERT_TRUE(json_object_size(f.bot.gone) <= 20000);
	e = report("ETHUSDT", "manual-19999", "NEW", "NEW", "0", 50, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	e = report("ETHUSDT", "manual-20000", "NEW", "NEW", "0", 50, 0);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 0);
	CU_ASSERT_EQUAL(foreign_on(&f, 1), 0);
	fixture_free(&f);
}

static void
test_book_parse(void)
{
	json_t *ev = json_loads(
	    "{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"cxl-9\","
	    "\"C\":\"gsb-a-2\",\"S\":\"SELL\",\"q\":\"1.0\",\"p\":\"60.0\","
	    "\"x\":\"CANCELED\",\"X\":\"CANCELED\",\"i\":42,\"z\":\"0\","
	    "\"T\":1000,\"I\":77}",
	    0, NULL);
	struct exec_report er;

	CU_ASSERT_EQUAL(book_parse_report(ev, &er), 0);
	CU_ASSERT_STRING_EQUAL(er.client_id, "gsb-a-2"); /* C: the order */
	CU_ASSERT_EQUAL(er.order_id, 42);
	CU_ASSERT_EQUAL(er.time_ms, 1000);
	CU_ASSERT_EQUAL(er.exec_id, 77);
	CU_ASSERT_TRUE(book_terminal(er.status));
	json_object_set_new(ev, "X", json_integer(3));
	CU_ASSERT_EQUAL(book_parse_report(ev, &er), -EBADMSG);
	json_decref(ev);
}

static void
test_book_reconcile(void)
{
	struct fixture f;
	struct bot_order o[3];
	json_t *mark, *found = json_object();

	fixture_init(&f);
	/* Confirmed before the listing, then gone from it: removed. */
	json_object_set_new(f.bot.placed, "gsb-a-1",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "status", "NEW"));
	/* Sent, no reply yet: the listing may not show it; kept. */
	json_object_set_new(f.bot.placed, "gsb-a-2",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "status", "SENT"));
	/* outcome.c's marks: in flight is not confirmed, placed is. */
	json_object_set_new(f.bot.placed, "gsb-a-5",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "outcome", OUTCOME_IN_FLIGHT));
	json_object_set_new(f.bot.placed, "gsb-a-6",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "outcome", OUTCOME_PLACED));
	mark = book_mark(&f.bot);
	/* Answered while the listing was on the wire: kept. */
	json_object_set_new(f.bot.placed, "gsb-a-3",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "status", "NEW"));
	memset(o, 0, sizeof(o));
	snprintf(o[0].symbol, BOT_SYMBOL_MAX, "ETHUSDT");
	snprintf(o[0].client_id, BOT_CID_MAX, "gsb-a-4"); /* missed: added */
	snprintf(o[1].symbol, BOT_SYMBOL_MAX, "ETHUSDT");
	snprintf(o[1].client_id, BOT_CID_MAX, "web-1"); /* others': added */
	snprintf(o[2].symbol, BOT_SYMBOL_MAX, "BNBUSDT");
	snprintf(o[2].client_id, BOT_CID_MAX, "web-2"); /* not our symbol */
	book_reconcile(&f.bot, mark, o, 3, found);
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-a-1"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(f.bot.placed, "gsb-a-2"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(f.bot.placed, "gsb-a-3"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(f.bot.placed, "gsb-a-4"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(f.bot.placed, "gsb-a-5"));
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-a-6"));
	CU_ASSERT_EQUAL(json_object_size(f.bot.foreign), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(found, "removed")),
			2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(found, "added")),
			2);
	json_decref(mark);
	json_decref(found);
	fixture_free(&f);
}

/* The trace the conflicts go to; the supervisor is never run past it. */
static struct gs_config *
conflict_setup(struct fixture *f, struct gs_supervisor **sup)
{
	struct gs_config *cfg = gs_config_new();
	char cause[GS_CAUSE_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(cfg->trace.path, sizeof(cfg->trace.path), "%s/book.jsonl",
		 unit_tmpdir());
	cfg->trace.fsync = false;
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(sup, cfg, "test", cause), 0);
	f->bot.sup = *sup;
	strcpy(f->bot.own, "gsb-i1-");
	strcpy(f->bot.run_own, "gsb-i1-r1");
	f->bot.earlier_orders = -1;
	return cfg;
}

static void
conflict_teardown(struct gs_supervisor *sup, struct gs_config *cfg)
{
	gs_supervisor_stop(sup, "done");
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	gs_config_free(cfg);
}

static void
listed(struct bot_order *o, const char *sym, const char *cid)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->symbol, BOT_SYMBOL_MAX, "%s", sym);
	snprintf(o->client_id, BOT_CID_MAX, "%s", cid);
	snprintf(o->status, sizeof(o->status), "NEW");
	o->order_id = 9;
}

/*
 * A listing shows what this run did not place: its own placements of
 * unknown outcome (its run tag) are its own, another instance's orders
 * are others', and one of this instance under another run tag is a
 * conflict, as from an event: kept as someone else's, counted once.
 */
static void
test_book_reconcile_conflict(void)
{
	struct gs_supervisor *sup = NULL;
	struct fixture f;
	struct gs_config *cfg;
	struct bot_order o[4];
	struct exec_report e;
	json_t *mark, *found = json_object();
	int pass;

	fixture_init(&f);
	cfg = conflict_setup(&f, &sup);
	json_object_set_new(f.bot.placed, "gsb-i1-r1a",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "outcome", OUTCOME_UNKNOWN));
	listed(&o[0], "BTCUSDT", "gsb-i1-r1a"); /* this run's, unknown */
	listed(&o[1], "BTCUSDT", "gsb-i1-r0b"); /* another run's: conflict */
	listed(&o[2], "ETHUSDT", "gsb-i2-r0c"); /* another instance's */
	listed(&o[3], "BTCUSDT", "gsb-i1-r1d"); /* this run's, missed */
	for (pass = 0; pass < 2; pass++) {
		mark = book_mark(&f.bot);
		book_reconcile(&f.bot, mark, o, 4, found);
		json_decref(mark);
		CU_ASSERT_EQUAL(f.bot.conflicts, 1); /* once, not per listing */
		CU_ASSERT_EQUAL(json_integer_value(
				    json_object_get(found, "conflicts")),
				pass == 0 ? 1 : 0);
		CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-i1-r0b"));
		CU_ASSERT_PTR_NOT_NULL(
		    json_object_get(f.bot.foreign, "BTCUSDT gsb-i1-r0b"));
		CU_ASSERT_PTR_NOT_NULL(
		    json_object_get(f.bot.foreign, "ETHUSDT gsb-i2-r0c"));
		CU_ASSERT_PTR_NOT_NULL(
		    json_object_get(f.bot.placed, "gsb-i1-r1a"));
		CU_ASSERT_PTR_NOT_NULL(
		    json_object_get(f.bot.placed, "gsb-i1-r1d"));
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(found, "own")),
				2);
	}
	/* Its event after the listing: the same order, not a second. */
	e = report("BTCUSDT", "gsb-i1-r0b", "TRADE", "PARTIALLY_FILLED", "1",
		   100, 2);
	ustream_on_order(&f.bot, &e);
	CU_ASSERT_EQUAL(f.bot.conflicts, 1);
	/* The shutdown's listing sees nothing new; a second one is new. */
	CU_ASSERT_EQUAL(book_listed_conflicts(&f.bot, o, 4), 1);
	listed(&o[0], "ETHUSDT", "gsb-i1-r0e");
	CU_ASSERT_EQUAL(book_listed_conflicts(&f.bot, o, 1), 2);
	CU_ASSERT_PTR_NOT_NULL(
	    json_object_get(f.bot.foreign, "ETHUSDT gsb-i1-r0e"));
	CU_ASSERT_PTR_NULL(json_object_get(f.bot.placed, "gsb-i1-r0e"));
	json_decref(found);
	conflict_teardown(sup, cfg);
	fixture_free(&f);
}

/* An earlier run's orders not yet recovered: the bot's, no conflict. */
static void
test_book_reconcile_earlier(void)
{
	struct gs_supervisor *sup = NULL;
	struct fixture f;
	struct gs_config *cfg;
	struct bot_order o;
	json_t *mark, *found = json_object();

	fixture_init(&f);
	cfg = conflict_setup(&f, &sup);
	f.bot.earlier_orders = 3;
	listed(&o, "BTCUSDT", "gsb-i1-r0b");
	mark = book_mark(&f.bot);
	book_reconcile(&f.bot, mark, &o, 1, found);
	json_decref(mark);
	CU_ASSERT_EQUAL(f.bot.conflicts, 0);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(f.bot.placed, "gsb-i1-r0b"));
	CU_ASSERT_EQUAL(book_listed_conflicts(&f.bot, &o, 1), 0);
	json_decref(found);
	conflict_teardown(sup, cfg);
	fixture_free(&f);
}

void
suite_book(void)
{
	CU_pSuite s = CU_add_suite("book", NULL, NULL);

	UNIT_ADD(s, test_book_events);
	UNIT_ADD(s, test_book_same_time);
	UNIT_ADD(s, test_book_gone_bounded);
	UNIT_ADD(s, test_book_parse);
	UNIT_ADD(s, test_book_reconcile);
	UNIT_ADD(s, test_book_reconcile_conflict);
	UNIT_ADD(s, test_book_reconcile_earlier);
}
