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
	pthread_mutex_lock(&f.bot.mu);
	CU_ASSERT_EQUAL(book_foreign_count(&f.bot, 0), 0);
	CU_ASSERT_EQUAL(book_foreign_count(&f.bot, 1), 1);
	pthread_mutex_unlock(&f.bot.mu);
	e = report("ETHUSDT", "manual-1", "CANCELED", "CANCELED", "0", 140, 6);
	CU_ASSERT_EQUAL(ustream_on_order(&f.bot, &e), 1);
	pthread_mutex_lock(&f.bot.mu);
	CU_ASSERT_EQUAL(book_foreign_count(&f.bot, 1), 0);
	pthread_mutex_unlock(&f.bot.mu);
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

void
suite_book(void)
{
	CU_pSuite s = CU_add_suite("book", NULL, NULL);

	UNIT_ADD(s, test_book_events);
	UNIT_ADD(s, test_book_parse);
	UNIT_ADD(s, test_book_reconcile);
}
