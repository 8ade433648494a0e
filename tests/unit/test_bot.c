/*
 * test_bot.c - the daemon's pure parts: Binance's signing test vectors,
 * query encoding, parsing of errors, orders, filters and stream events
 * (well-formed and hostile), price rounding and order ownership, the
 * request-weight budget and backoff, and the snapshot's merge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/bot/bot.h"
#include "unit.h"

static const char *const secret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

static void
test_sign_vector_query(void)
{
	char sig[65];

	sign_hmac(secret,
		  "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity="
		  "1&price=0.1&recvWindow=5000&timestamp=1499827319559",
		  "", sig);
	CU_ASSERT_STRING_EQUAL(sig, "c8db56825ae71d6d79447849e617115f4a920fa2a"
				    "cdcab2b053c4b2838bd6b71");
}

static void
test_sign_vector_non_ascii(void)
{
	char q[BOT_QUERY_MAX] = "", sig[65];

	/* The symbol is "１２３４５６" in full-width digits. */
	sign_append(q, sizeof(q), "symbol",
		    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc"
		    "\x95\xef\xbc\x96");
	sign_append(q, sizeof(q), "side", "BUY");
	sign_append(q, sizeof(q), "type", "LIMIT");
	sign_append(q, sizeof(q), "timeInForce", "GTC");
	sign_append(q, sizeof(q), "quantity", "1");
	sign_append(q, sizeof(q), "price", "0.1");
	sign_append(q, sizeof(q), "recvWindow", "5000");
	sign_append(q, sizeof(q), "timestamp", "1499827319559");
	CU_ASSERT_STRING_EQUAL(
	    q, "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
	       "&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
	       "recvWindow=5000&timestamp=1499827319559");
	sign_hmac(secret, q, "", sig);
	CU_ASSERT_STRING_EQUAL(sig, "e1353ec6b14d888f1164ae9af8228a3dbd508bc82"
				    "eb867db8ab6046442f33ef3");
}

static void
test_sign_vector_query_and_body(void)
{
	char sig[65];

	sign_hmac(secret, "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
		  "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
		  sig);
	CU_ASSERT_STRING_EQUAL(sig, "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5"
				    "d52b2a00fcf7d1c602f9a77");
}

static void
test_sign_append_encodes_and_bounds(void)
{
	char q[32] = "";

	CU_ASSERT_EQUAL(sign_append(q, sizeof(q), "symbols", "[\"A\",\"B\"]"),
			0);
	CU_ASSERT_STRING_EQUAL(q, "symbols=%5B%22A%22%2C%22B%22%5D");
	CU_ASSERT_EQUAL(sign_append(q, sizeof(q), "x", "yyyyyyyyyyyy"),
			-ENOSPC);
	CU_ASSERT_STRING_EQUAL(q, "symbols=%5B%22A%22%2C%22B%22%5D");
}

static void
test_parse_error_body(void)
{
	const char *b = "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}";
	char msg[64];
	int code = 0;

	CU_ASSERT_EQUAL(parse_error(b, strlen(b), &code, msg, sizeof(msg)), 1);
	CU_ASSERT_EQUAL(code, -2011);
	CU_ASSERT_STRING_EQUAL(msg, "Unknown order sent.");
	CU_ASSERT_EQUAL(parse_error("<html>502</html>", 16, &code, msg,
				    sizeof(msg)),
			0);
	CU_ASSERT_EQUAL(parse_error("{\"code\":\"x\",\"msg\":1}", 20, &code,
				    msg, sizeof(msg)),
			0);
}

static void
test_parse_orders_valid(void)
{
	const char *b =
	    "[{\"symbol\":\"LTCBTC\",\"orderId\":1,\"orderListId\":-1,"
	    "\"clientOrderId\":\"myOrder1\",\"price\":\"0.1\",\"origQty\":"
	    "\"1.0\",\"executedQty\":\"0.0\",\"cummulativeQuoteQty\":\"0.0\","
	    "\"status\":\"NEW\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\","
	    "\"side\":\"BUY\",\"stopPrice\":\"0.0\",\"icebergQty\":\"0.0\","
	    "\"time\":1499827319559,\"updateTime\":1499827319559,"
	    "\"isWorking\":true,\"workingTime\":1499827319559,"
	    "\"origQuoteOrderQty\":\"0.000000\",\"selfTradePreventionMode\":"
	    "\"NONE\"},{\"symbol\":\"BNBUSDT\",\"orderId\":9007199254740993,"
	    "\"clientOrderId\":\"gsb-1\"}]";
	struct bot_order *o = NULL;

	CU_ASSERT_EQUAL_FATAL(parse_orders(b, strlen(b), &o), 2);
	CU_ASSERT_STRING_EQUAL(o[0].symbol, "LTCBTC");
	CU_ASSERT_EQUAL(o[0].order_id, 1);
	CU_ASSERT_STRING_EQUAL(o[0].client_id, "myOrder1");
	CU_ASSERT_STRING_EQUAL(o[0].price, "0.1");
	CU_ASSERT_STRING_EQUAL(o[0].status, "NEW");
	CU_ASSERT_STRING_EQUAL(o[0].side, "BUY");
	CU_ASSERT_EQUAL(o[1].order_id, 9007199254740993LL);
	free(o);
	CU_ASSERT_EQUAL(parse_orders("[]", 2, &o), 0);
	free(o);
}

static void
test_parse_orders_hostile(void)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[{\"symbol\":\"A\"}]",
		"[{\"symbol\":1,\"orderId\":1,\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"A\",\"orderId\":\"1\",\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"xxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]",
		"[1,2,3]",
		"[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"x\"}",
	};
	struct bot_order *o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = NULL;
		CU_ASSERT_EQUAL(parse_orders(bad[i], strlen(bad[i]), &o),
				-EBADMSG);
		CU_ASSERT_PTR_NULL(o);
	}
}

/* parse_open_orders gives what parse_orders gives, byte for byte. */
static void
same_as_full_parser(const char *b, size_t len, int want)
{
	struct bot_order *full = NULL, *scan = NULL;
	int n = parse_orders(b, len, &full);
	int m = parse_open_orders(b, len, &scan);
	int i;

	CU_ASSERT_EQUAL(n, want);
	CU_ASSERT_EQUAL(m, n);
	if (m != n)
		fprintf(stderr, "scanner %d, jansson %d: %.*s\n", m, n,
			(int)(len > 200 ? 200 : len), b);
	CU_ASSERT_EQUAL(scan == NULL, full == NULL);
	for (i = 0; i < n && m == n && scan != NULL; i++)
		CU_ASSERT_EQUAL(memcmp(&full[i], &scan[i], sizeof(full[i])), 0);
	free(full);
	free(scan);
}

static void
test_scan_orders_valid(void)
{
	static const char *const good[] = {
		"[]",
		" \t\r\n[ ] \n",
		"[{\"symbol\":\"LTCBTC\",\"orderId\":1,\"orderListId\":-1,"
		"\"clientOrderId\":\"myOrder1\",\"price\":\"0.1\",\"origQty\":"
		"\"1.0\",\"executedQty\":\"0.0\",\"status\":\"NEW\","
		"\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\","
		"\"time\":1499827319559,\"isWorking\":true,\"workingTime\":"
		"1499827319559,\"x\":[1,-0.5e-3,2E+10,{\"a\":null}],"
		"\"selfTradePreventionMode\":\"NONE\"},{\"symbol\":\"BNBUSDT\","
		"\"orderId\":9007199254740993,\"clientOrderId\":\"gsb-1\"}]",
		/* escapes in keys and values, surrogate pairs, UTF-8 */
		"[{\"symb\\u006fl\":\"A\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\","
		"\"orderId\":-9223372036854775808,\"clientOrderId\":"
		"\"\\ud83d\\ude00\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}]",
		/* a later duplicate wins, shorter or not a string */
		"[{\"symbol\":\"LONGERNAME\",\"symbol\":\"B\",\"orderId\":\"x\","
		"\"orderId\":7,\"clientOrderId\":\"c\",\"price\":\"1\","
		"\"price\":2,\"side\":\"SELL\",\"side\":\"BUY\"}]",
		/* optional fields too long or of another type: left empty */
		"[{\"symbol\":\"A\",\"orderId\":0,\"clientOrderId\":\"c\","
		"\"status\":\"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\","
		"\"origQty\":[\"1\"],\"side\":{}}]",
		/* the longest symbol and client id that fit */
		"[{\"symbol\":\"ABCDEFGHIJKLMNOPQRSTUVW\",\"orderId\":1,"
		"\"clientOrderId\":\"abcdefghijabcdefghijabcdefghijabcdefghi\"}]",
		"[{\"orderId\":1e0}]",
	};
	static const int want[] = {0, 0, 2, 1, 1, 1, 1, -EBADMSG};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		same_as_full_parser(good[i], strlen(good[i]), want[i]);
}

static void
test_scan_orders_malformed(void)
{
	static const char *const bad[] = {
		"", " ", "{}", "1", "\"x\"", "[", "]", "[}", "[1,]", "[,1]",
		"[{}", "[{\"a\"}]", "[{\"a\":}]", "[{\"a\" 1}]", "[{1:2}]",
		"[{\"a\":1,}]", "[] x", "[]]", "[01]", "[-]", "[1.]", "[.5]",
		"[1e]", "[1e+]", "[+1]", "[0x1]", "[tru]", "[truex]", "[nul]",
		"[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\udc00\"]",
		"[\"\\ud800\\u0041\"]", "[\"\\u12\"]", "[\"\\x\"]",
		"[\"\x01\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]", "[\"\xe2\x82\"]", "[\"\x80\"]",
		"[\"abc]", "[99999999999999999999]", "[-9223372036854775809]",
		"[1e400]", "[-1e400]", "[123456789012345678901]",
		"[{\"symbol\":\"A\"}]", "[1,2,3]", "[null]", "[[]]",
		"[{\"symbol\":1,\"orderId\":1,\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"A\",\"orderId\":\"1\",\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"A\",\"orderId\":1.0,\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"ABCDEFGHIJKLMNOPQRSTUVWX\",\"orderId\":1,"
		"\"clientOrderId\":\"x\"}]",
		"[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"abcdefghij"
		"abcdefghijabcdefghijabcdefghij\"}]",
		"[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"x\"}",
		"[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"x\"},1]",
		"\xef\xbb\xbf[]",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		same_as_full_parser(bad[i], strlen(bad[i]), -EBADMSG);
	/* A NUL byte inside and after the document. */
	same_as_full_parser("[\"a\0\"]", 6, -EBADMSG);
	same_as_full_parser("[]\0", 3, -EBADMSG);
	/* Right after a number or a literal, jansson reads past a NUL as if
	 * it were not there; the scanner refuses the reply (found by
	 * fuzz_json). */
	{
		static const char nul[] = "[{\"symbol\":\"A\",\"orderId\":1\0,"
					  "\"clientOrderId\":\"x\",\"t\":true\0}]";
		struct bot_order *scan = NULL;

		CU_ASSERT_EQUAL(parse_open_orders(nul, sizeof(nul) - 1, &scan),
				-EBADMSG);
		CU_ASSERT_PTR_NULL(scan);
		free(scan);
	}
}

/* jansson's depth limit: a value 2048 deep parses, 2049 deep does not. */
static void
test_scan_orders_depth(void)
{
	static const char head[] =
	    "[{\"symbol\":\"A\",\"orderId\":1,\"clientOrderId\":\"x\",\"deep\":";
	size_t h = strlen(head);
	char *b = malloc(h + 2 * 2100 + 8);
	int j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	/* The listing is 1 deep, the order 2, "deep" 3: j arrays put the 1
	 * inside them at 3 + j. */
	for (j = 2044; j <= 2047; j++) {
		size_t n = h;

		memcpy(b, head, h);
		memset(b + n, '[', (size_t)j);
		n += (size_t)j;
		b[n++] = '1';
		memset(b + n, ']', (size_t)j);
		n += (size_t)j;
		memcpy(b + n, "}]", 2);
		n += 2;
		same_as_full_parser(b, n, 3 + j <= 2048 ? 1 : -EBADMSG);
	}
	free(b);
}

static void
test_parse_filters(void)
{
	const char *b =
	    "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","
	    "\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":"
	    "\"0.01000000\",\"maxPrice\":\"1000000.00000000\",\"tickSize\":"
	    "\"0.01000000\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":"
	    "\"0.00001000\",\"maxQty\":\"9000.00000000\",\"stepSize\":"
	    "\"0.00001000\"},{\"filterType\":\"NOTIONAL\",\"minNotional\":"
	    "\"5.00000000\"}]},{\"symbol\":\"OLDUSDT\",\"status\":\"BREAK\","
	    "\"filters\":[{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":"
	    "\"10\"}]}]}";
	struct bot_filters f[3];

	memset(f, 0, sizeof(f));
	strcpy(f[0].symbol, "BTCUSDT");
	strcpy(f[1].symbol, "OLDUSDT");
	strcpy(f[2].symbol, "NOPEUSDT");
	CU_ASSERT_EQUAL(parse_filters(b, strlen(b), f, 3), 2);
	CU_ASSERT_TRUE(f[0].trading);
	CU_ASSERT_DOUBLE_EQUAL(f[0].tick_size, 0.01, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(f[0].step_size, 0.00001, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(f[0].min_notional, 5.0, 1e-12);
	CU_ASSERT_FALSE(f[1].trading);
	CU_ASSERT_DOUBLE_EQUAL(f[1].min_notional, 10.0, 1e-12);
	CU_ASSERT_FALSE(f[2].trading);
	CU_ASSERT_EQUAL(parse_filters("{\"symbols\":3}", 13, f, 3), -EBADMSG);
}

static void
test_parse_server_time(void)
{
	int64_t ms = 0;

	CU_ASSERT_EQUAL(parse_server_time("{\"serverTime\":1499827319559}", 28,
					  &ms),
			0);
	CU_ASSERT_EQUAL(ms, 1499827319559LL);
	CU_ASSERT_EQUAL(parse_server_time("{\"serverTime\":-1}", 17, &ms),
			-EBADMSG);
	CU_ASSERT_EQUAL(parse_server_time("null", 4, &ms), -EBADMSG);
}

static void
test_parse_stream_events(void)
{
	const char *trade = "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1,"
			    "\"p\":\"0.001\",\"q\":\"100\",\"T\":1,\"m\":true,"
			    "\"M\":true}";
	const char *book = "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":"
			   "\"25.35190000\",\"B\":\"31.21000000\",\"a\":"
			   "\"25.36520000\",\"A\":\"40.66000000\"}";
	const char *combined = "{\"stream\":\"bnbusdt@bookTicker\",\"data\":"
			       "{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1.0\",\"B\":"
			       "\"1\",\"a\":\"1.1\",\"A\":\"1\"}}";
	const char *shutdown = "{\"e\":\"serverShutdown\",\"E\":1}";
	const char *result = "{\"result\":null,\"id\":1}";
	struct stream_event ev;

	CU_ASSERT_EQUAL(parse_stream_event(trade, strlen(trade), &ev), 0);
	CU_ASSERT_EQUAL(ev.kind, STREAM_EV_TRADE);
	CU_ASSERT_STRING_EQUAL(ev.symbol, "BNBBTC");
	CU_ASSERT_DOUBLE_EQUAL(ev.price, 0.001, 1e-12);
	CU_ASSERT_EQUAL(parse_stream_event(book, strlen(book), &ev), 0);
	CU_ASSERT_EQUAL(ev.kind, STREAM_EV_BOOK);
	CU_ASSERT_DOUBLE_EQUAL(ev.bid, 25.3519, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ev.ask, 25.3652, 1e-9);
	CU_ASSERT_EQUAL(parse_stream_event(combined, strlen(combined), &ev),
			0);
	CU_ASSERT_EQUAL(ev.kind, STREAM_EV_BOOK);
	CU_ASSERT_STRING_EQUAL(ev.symbol, "BNBUSDT");
	CU_ASSERT_EQUAL(parse_stream_event(shutdown, strlen(shutdown), &ev), 0);
	CU_ASSERT_EQUAL(ev.kind, STREAM_EV_SHUTDOWN);
	CU_ASSERT_EQUAL(parse_stream_event(result, strlen(result), &ev), 0);
	CU_ASSERT_EQUAL(ev.kind, STREAM_EV_RESULT);
}

static void
test_parse_stream_hostile(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"stream\":\"x@trade\",\"data\":{\"e\":",
		"{\"e\":\"trade\",\"s\":\"A\",\"p\":5}",
		"{\"e\":\"trade\",\"s\":\"A\",\"p\":\"-1\"}",
		"{\"s\":\"A\",\"b\":\"2\",\"a\":\"1\"}",
		"{\"e\":\"trade\",\"s\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		"\"p\":\"1\"}",
		"[1,2]",
	};
	struct stream_event ev;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(parse_stream_event(bad[i], strlen(bad[i]), &ev),
				-EBADMSG);
}

static void
test_parse_excerpt(void)
{
	char out[16];

	parse_excerpt("ab\x01\n", 4, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ab\\x01\\x0a");
	parse_excerpt("0123456789abcdefghij", 20, out, sizeof(out));
	CU_ASSERT_TRUE(strlen(out) < sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "..."));
}

static void
test_round_and_format(void)
{
	char s[32];

	CU_ASSERT_DOUBLE_EQUAL(strategy_round_price(98.017, 0.01, false),
			       98.01, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(strategy_round_price(98.011, 0.01, true),
			       98.02, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(strategy_round_price(98.02, 0.01, true), 98.02,
			       1e-9);
	strategy_format(98.02, 0.01, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "98.02");
	strategy_format(1.0, 0.001, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1.000");
	strategy_format(100.0, 1.0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100");
	strategy_format(0.00012345, 0.00000001, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0.00012345");
}

/* A bot of prefix "gsb" and instance "k3x9qa". */
static void
owner_fixture(struct bot *bot, struct bot_config *cfg)
{
	memset(bot, 0, sizeof(*bot));
	unit_bot_config(cfg);
	bot->cfg = cfg;
	snprintf(cfg->bot.client_order_prefix,
		 sizeof(cfg->bot.client_order_prefix), "gsb");
	CU_ASSERT_EQUAL(owner_init(bot, "k3x9qa"), 0);
}

static void
test_bot_owns(void)
{
	struct bot_config cfg;
	struct bot bot;

	owner_fixture(&bot, &cfg);
	CU_ASSERT_STRING_EQUAL(bot.prefix, "gsb-");
	CU_ASSERT_STRING_EQUAL(bot.own, "gsb-k3x9qa-");
	CU_ASSERT_TRUE(bot_owns(&bot, "gsb-k3x9qa-ab017"));
	CU_ASSERT_FALSE(bot_owns(&bot, "gsb-k3x9qb-ab017"));
	CU_ASSERT_FALSE(bot_owns(&bot, "gsb-1a2b3c4d-7"));
	CU_ASSERT_FALSE(bot_owns(&bot, "gsb-k3x9qa"));
	CU_ASSERT_FALSE(bot_owns(&bot, "gsbx-1"));
	CU_ASSERT_FALSE(bot_owns(&bot, "manual-1"));
	CU_ASSERT_FALSE(bot_owns(&bot, "gsb"));
	CU_ASSERT_FALSE(bot_owns(&bot, ""));
	/* Another instance's, or an older id form's: orphans, not ours. */
	CU_ASSERT_TRUE(owner_orphan(&bot, "gsb-k3x9qb-ab017"));
	CU_ASSERT_TRUE(owner_orphan(&bot, "gsb-1a2b3c4d-7"));
	CU_ASSERT_FALSE(owner_orphan(&bot, "gsb-k3x9qa-ab017"));
	CU_ASSERT_FALSE(owner_orphan(&bot, "gsbx-1"));
	CU_ASSERT_FALSE(owner_orphan(&bot, "manual-1"));
}

/* Client order ids: "<prefix>-<instance>-<run><seq base36>", 36
 * characters at most with the longest prefix and counter allowed. */
static void
test_owner_client_id(void)
{
	struct bot_config cfg;
	struct bot bot;
	char cid[BOT_CID_MAX];

	owner_fixture(&bot, &cfg);
	CU_ASSERT_EQUAL(strlen(bot.run_tag), OWNER_RUN_LEN);
	strcpy(bot.run_tag, "r2d2");
	CU_ASSERT_EQUAL(owner_client_id(&bot, 1, cid, sizeof(cid)), 0);
	CU_ASSERT_STRING_EQUAL(cid, "gsb-k3x9qa-r2d21");
	CU_ASSERT_EQUAL(owner_client_id(&bot, 36 * 36 + 35, cid, sizeof(cid)),
			0);
	CU_ASSERT_STRING_EQUAL(cid, "gsb-k3x9qa-r2d210z");
	memset(cfg.bot.client_order_prefix, 'p', BOT_PREFIX_LEN_MAX);
	cfg.bot.client_order_prefix[BOT_PREFIX_LEN_MAX] = '\0';
	CU_ASSERT_EQUAL(owner_init(&bot, "k3x9qa"), 0);
	/* 36^6 - 1: the largest counter that fits the longest prefix. */
	CU_ASSERT_EQUAL(owner_client_id(&bot, 2176782335UL, cid, sizeof(cid)),
			0);
	CU_ASSERT_EQUAL(strlen(cid), BOT_CID_LIMIT);
	CU_ASSERT_TRUE(bot_owns(&bot, cid));
	CU_ASSERT_EQUAL(owner_client_id(&bot, 2176782336UL, cid, sizeof(cid)),
			-ENOSPC);
	CU_ASSERT_EQUAL(owner_client_id(&bot, 1, cid, 12), -ENOSPC);
}

static void
order_at(struct bot_order *o, const char *symbol, const char *cid)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->symbol, sizeof(o->symbol), "%s", symbol);
	snprintf(o->client_id, sizeof(o->client_id), "%s", cid);
}

/* One cancel per symbol that is all the bot's (with more than one), one
 * per order of the bot elsewhere, in the listing's order; none for a
 * foreign order; per order only when sequential. */
static void
test_plan_cancels(void)
{
	struct bot_order o[7];
	struct cancel_item *p;
	struct plan_ids ids;
	int k;

	order_at(&o[0], "BBB", "gsb-1");
	order_at(&o[1], "AAA", "gsb-2");
	order_at(&o[2], "BBB", "web-1");
	order_at(&o[3], "AAA", "gsb-3");
	order_at(&o[4], "CCC", "gsb-4");
	order_at(&o[5], "BBB", "gsb-5");
	order_at(&o[6], "DDD", "web-2");
	k = plan_cancels("gsb-", o, 7, false, &p);
	CU_ASSERT_EQUAL_FATAL(k, 4);
	CU_ASSERT_EQUAL(p[0].order, 0); /* BBB is mixed: one by one */
	CU_ASSERT_EQUAL(p[0].whole, 0);
	CU_ASSERT_EQUAL(p[1].order, 1); /* AAA: the whole symbol, two */
	CU_ASSERT_EQUAL(p[1].whole, 2);
	CU_ASSERT_EQUAL(p[2].order, 4); /* CCC: one order, by itself */
	CU_ASSERT_EQUAL(p[2].whole, 0);
	CU_ASSERT_EQUAL(p[3].order, 5);
	CU_ASSERT_EQUAL(p[3].whole, 0);
	free(p);
	k = plan_cancels("gsb-", o, 7, true, &p);
	CU_ASSERT_EQUAL_FATAL(k, 5);
	CU_ASSERT_EQUAL(p[1].order, 1);
	CU_ASSERT_EQUAL(p[2].order, 3);
	CU_ASSERT_EQUAL(p[4].whole, 0);
	free(p);
	CU_ASSERT_EQUAL(plan_cancels("gsb-", o, 0, false, &p), 0);
	free(p);
	CU_ASSERT_EQUAL(plan_index(o, 7, &ids), 0);
	CU_ASSERT_TRUE(plan_listed(&ids, "web-2"));
	CU_ASSERT_TRUE(plan_listed(&ids, "gsb-3"));
	CU_ASSERT_FALSE(plan_listed(&ids, "gsb-6"));
	plan_ids_free(&ids);
}

/*
 * A listing of 400,000 orders (the exchange's to size) is planned in
 * O(n log n): a fraction of a second, where the per-order pass over the
 * whole listing took hours.  The bound is on CPU time and ten times what
 * a sanitizer build needs; it tells the two apart, it times nothing.
 */
static void
test_plan_cancels_large(void)
{
	const int n = 400000;
	struct bot_order *o = calloc((size_t)n, sizeof(*o));
	struct cancel_item *p = NULL;
	struct timespec t0, t1;
	char sym[16], cid[32];
	int i, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (i = 0; i < n; i++) {
		snprintf(sym, sizeof(sym), "S%02dUSDT", i % 50);
		/* Odd symbols have a foreign order every tenth time round. */
		snprintf(cid, sizeof(cid), "%s%d",
			 i % 2 == 1 && (i / 50) % 10 == 0 ? "web-" : "gsb-x-",
			 i);
		order_at(&o[i], sym, cid);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	k = plan_cancels("gsb-", o, n, false, &p);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	/* 25 whole symbols, and the bot's orders of the 25 mixed ones. */
	CU_ASSERT_EQUAL(k, 25 + 25 * (8000 - 800));
	CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000 +
		      (t1.tv_nsec - t0.tv_nsec) / 1000000 <
		  20000);
	free(p);
	free(o);
}

/* A request as long as the config allows is sent whole, never cut. */
static void
test_sign_append_long_values(void)
{
	char q[BOT_QUERY_MAX] = "", list[BOT_MAX_SYMBOLS * 32], small[64] = "x=1";
	size_t off = 0;
	int i;

	list[off++] = '[';
	for (i = 0; i < BOT_MAX_SYMBOLS; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"%s\"%.*s%02d\"", i ? "," : "",
					BOT_SYMBOL_MAX - 3,
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ", i);
	snprintf(list + off, sizeof(list) - off, "]");
	CU_ASSERT_EQUAL(sign_append(q, sizeof(q), "symbols", list), 0);
	CU_ASSERT_TRUE(strlen(q) > 2048);
	CU_ASSERT_PTR_NOT_NULL(strstr(q, "ABCDEFGHIJKLMNOPQRSTU63%22%5D"));
	/* Too long: -ENOSPC and the query as it was. */
	CU_ASSERT_EQUAL(sign_append(small, sizeof(small), "symbols", list),
			-ENOSPC);
	CU_ASSERT_STRING_EQUAL(small, "x=1");
	CU_ASSERT_EQUAL(sign_append(small, 9, "y", "22"), 0);
	CU_ASSERT_STRING_EQUAL(small, "x=1&y=22");
	CU_ASSERT_EQUAL(sign_append(small, 9, "z", ""), -ENOSPC);
	CU_ASSERT_EQUAL(sign_append(small, 8, "y", "22"), -ENOSPC);
}

static void
test_parse_weight_limit(void)
{
	const char *info =
	    "{\"rateLimits\":[{\"rateLimitType\":\"ORDERS\",\"interval\":"
	    "\"SECOND\",\"intervalNum\":10,\"limit\":50},"
	    "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
	    "\"intervalNum\":1,\"limit\":6000},"
	    "{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\","
	    "\"intervalNum\":5,\"limit\":61000}],\"symbols\":[]}";
	int limit = 0, iv = 0;

	CU_ASSERT_EQUAL(parse_weight_limit(info, strlen(info), &limit, &iv),
			0);
	CU_ASSERT_EQUAL(limit, 6000);
	CU_ASSERT_EQUAL(iv, 60000);
	CU_ASSERT_EQUAL(parse_weight_limit("{\"rateLimits\":[]}", 16, &limit,
					   &iv),
			-ENOENT);
	CU_ASSERT_EQUAL(parse_weight_limit("{\"rateLimits\":[{\"rateLimitType"
					   "\":\"REQUEST_WEIGHT\",\"interval"
					   "\":\"MINUTE\",\"limit\":-5}]}",
					   75, &limit, &iv),
			-ENOENT);
	CU_ASSERT_EQUAL(parse_weight_limit("not json", 8, &limit, &iv),
			-ENOENT);
}

/* ORDERS: the 10-second limit is read, and placements are paced under it. */
static void
test_budget_orders(void)
{
	const char *info =
	    "{\"rateLimits\":[{\"rateLimitType\":\"ORDERS\",\"interval\":"
	    "\"DAY\",\"intervalNum\":1,\"limit\":200000},"
	    "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\","
	    "\"intervalNum\":10,\"limit\":100}]}";
	struct budget b;
	int limit = 0, iv = 0, i;

	CU_ASSERT_EQUAL(parse_order_limit(info, strlen(info), &limit, &iv), 0);
	CU_ASSERT_EQUAL(limit, 100);
	CU_ASSERT_EQUAL(iv, 10000);
	budget_init(&b, 50);
	CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 1000), 0); /* not known */
	budget_set_order_limit(&b, limit, iv);
	for (i = 0; i < 90; i++) {
		CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 2000), 0);
		budget_order_charge(&b, 2000);
	}
	/* 90% spent: wait for the next window of the exchange's clock. */
	CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 2000), 8001);
	CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 10000), 0);
	/* The exchange's own count (X-MBX-ORDER-COUNT-10S) raises ours. */
	budget_order_observe(&b, 10000, 95);
	CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 10500), 9501);
	budget_order_observe(&b, 10500, -1); /* no header: nothing */
	CU_ASSERT_EQUAL(budget_order_wait_ms(&b, 10500), 9501);
	CU_ASSERT_EQUAL(budget_order_reserve(&b, 20000), 0);
	budget_order_refund(&b, 20000);
	CU_ASSERT_EQUAL(b.order_count, 0);
	budget_destroy(&b);
}

static void
test_budget_weight(void)
{
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/openOrders", ""), 80);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/openOrders",
				      "symbol=BTCUSDT&timestamp=1"),
			6);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/openOrders",
				      "timestamp=1&symbol=BTCUSDT"),
			6);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/openOrders",
				      "symbols=x&notsymbol=y"),
			80);
	CU_ASSERT_EQUAL(budget_weight("DELETE", "/api/v3/openOrders",
				      "symbol=BTCUSDT"),
			1);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/exchangeInfo", ""), 20);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/order", "symbol=A"), 4);
	CU_ASSERT_EQUAL(budget_weight("POST", "/api/v3/order", "symbol=A"), 1);
	CU_ASSERT_EQUAL(budget_weight("GET", "/api/v3/time", ""), 1);
	{
		bool account = true;

		/* 13 listings of 6 weigh less than the account's 80. */
		CU_ASSERT_EQUAL(budget_listing_weight(13, &account), 78);
		CU_ASSERT_FALSE(account);
		CU_ASSERT_EQUAL(budget_listing_weight(14, &account), 80);
		CU_ASSERT_TRUE(account);
	}
}

static void
test_budget_backoff(void)
{
	long long b = 0;
	int i;

	b = budget_backoff(b, 200, 30000);
	CU_ASSERT_EQUAL(b, 200);
	b = budget_backoff(b, 200, 30000);
	CU_ASSERT_EQUAL(b, 400);
	for (i = 0; i < 20; i++)
		b = budget_backoff(b, 200, 30000);
	CU_ASSERT_EQUAL(b, 30000);
	CU_ASSERT_EQUAL(budget_backoff(20000, 200, 30000), 30000);
	CU_ASSERT_EQUAL(budget_backoff(0, 200, 30000), 200); /* reset */
}

/* The arithmetic, on a clock the test drives (ms since some origin). */
static void
test_budget_window(void)
{
	struct budget b;

	budget_init(&b, 50);
	/* Limit not known yet: nothing waits. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1000, 1000, true), 0);
	b.limit = 600;
	CU_ASSERT_EQUAL(budget_cap(&b, true), 300);
	CU_ASSERT_EQUAL(budget_cap(&b, false), 600);
	budget_charge(&b, 1000, 290);
	CU_ASSERT_EQUAL(budget_spent(&b, 1500), 290);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1500, 10, true), 0);
	/* Over the running share: wait until the slot has left the
	 * window (a minute and a second after it, never earlier). */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1500, 20, true), 62000 - 1500);
	/* The shutdown may use the rest. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1500, 20, false), 0);
	CU_ASSERT_EQUAL(budget_spent(&b, 61999), 290);
	CU_ASSERT_EQUAL(budget_spent(&b, 62000), 0);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 62000, 20, true), 0);
	/* Spread spend: the oldest slot frees the room first. */
	budget_charge(&b, 70000, 100);
	budget_charge(&b, 80000, 100);
	budget_charge(&b, 90000, 100);
	CU_ASSERT_EQUAL(budget_spent(&b, 90500), 300);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 90500, 50, true), 131000 - 90500);
	/* A request larger than the share goes alone in an empty window. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 200000, 400, true), 0);
	/* The trace's total: every charge since start, whatever left the
	 * window. */
	CU_ASSERT_EQUAL(b.charged, 290 + 3 * 100);
	budget_destroy(&b);
}

static void
test_budget_server_figure(void)
{
	struct budget b;

	budget_init(&b, 50);
	b.limit = 600;
	CU_ASSERT_EQUAL(budget_ceiling(&b, true), 540);
	CU_ASSERT_EQUAL(budget_ceiling(&b, false), 600);
	/* Others on the same IP spent 535; the server's minute ends in
	 * 30 s (wall clock 12:00:30). */
	budget_observe(&b, 5000, 1764158430000LL, 535);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 5000, 5, true), 0);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 5000, 10, true), 30000);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 35000, 10, true), 0);
	/* The shutdown may go up to the limit itself, never past it. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 5000, 65, false), 0);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 5000, 66, false), 30000);
	/* What we send after the figure counts on top of it. */
	budget_charge(&b, 6000, 5);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 6000, 1, true), 29000);
	/* Absent header: the figure stays as it was. */
	budget_observe(&b, 7000, 0, -1);
	CU_ASSERT_EQUAL(b.server_used, 535);
	/* A 429's Retry-After blocks every request, running or not. */
	b.blocked_until_ms = 50000;
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 49000, 1, false), 1000);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 50000, 1, false), 0);
	budget_destroy(&b);
}

/*
 * A fleet on one IP: ten daemons with weight_budget_pct = 5 each.  The
 * IP's figure is everyone's use, ours a twentieth of it: it must not hold
 * a daemon to its own share (start-up recovery was held past its deadline
 * that way), only to the ceiling; our own spend is what the share holds.
 */
static void
test_budget_share_vs_ceiling(void)
{
	int64_t wall = 1764158410000LL; /* 12:00:10: 50 s left */
	struct budget b;

	budget_init(&b, 5);
	b.limit = 6000;
	CU_ASSERT_EQUAL(budget_cap(&b, true), 300);
	CU_ASSERT_EQUAL(budget_ceiling(&b, true), 5400);
	/* The others spent 2,600 this minute: our listing (80) still goes. */
	budget_observe(&b, 1000, wall, 2600);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1000, 80, true), 0);
	budget_charge(&b, 1000, 80);
	/* Our own spend is held to our share of 300. */
	budget_charge(&b, 1000, 200);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 1500, 20, true), 0);
	CU_ASSERT(budget_wait_ms(&b, 1500, 21, true) > 0);
	/* Near the ceiling: everyone waits for the server's minute. */
	budget_observe(&b, 2000, wall + 1000, 5390);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 2000, 10, true), 0);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 2000, 11, true), 49000);
	/* The shutdown: its share is the limit, the ceiling the limit too. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 2000, 80, false), 0);
	budget_observe(&b, 2000, wall + 1000, 5950);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 2000, 50, false), 0);
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 2000, 51, false), 49000);
	/* In the server's next minute the IP has room again. */
	CU_ASSERT_EQUAL(budget_wait_ms(&b, 51000, 80, false), 0);
	budget_destroy(&b);
}

/*
 * Numbers the exchange sends enter arithmetic bounded: a serverTime of
 * 2^63-1, a Retry-After or a weight past any limit, an interval that does
 * not fit, a price of "inf" or 1e300.  Each wrapped, or was taken as it
 * came, before (UBSan: signed overflow).
 */
static void
test_hostile_numbers(void)
{
	const char *day1000 =
	    "{\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\","
	    "\"interval\":\"DAY\",\"intervalNum\":1000,\"limit\":6000}]}";
	const char *h;
	struct stream_event ev;
	struct budget b;
	int64_t ms = 0, wall = 1764158430000LL, off;
	int limit = 0, iv = 0;
	char s[40];

	/* serverTime: beyond year 9999 is refused, whatever fits int64. */
	CU_ASSERT_EQUAL(parse_server_time("{\"serverTime\":9223372036854775807}",
					  strlen("{\"serverTime\":9223372036854775807}"), &ms),
			-EBADMSG);
	CU_ASSERT_EQUAL(parse_server_time("{\"serverTime\":253402300800000}",
					  strlen("{\"serverTime\":253402300800000}"), &ms),
			-EBADMSG);
	CU_ASSERT_EQUAL(parse_server_time("{\"serverTime\":253402300799999}",
					  strlen("{\"serverTime\":253402300799999}"), &ms),
			0);
	CU_ASSERT_EQUAL(ms, PARSE_TIME_MAX_MS);
	/* The offset and the timestamp saturate, even from extreme clocks. */
	off = rest_offset(PARSE_TIME_MAX_MS, wall, wall + 20);
	CU_ASSERT_EQUAL(off, PARSE_TIME_MAX_MS - wall - 10);
	CU_ASSERT_EQUAL(bot_add_sat(wall, off), PARSE_TIME_MAX_MS - 10);
	CU_ASSERT_EQUAL(rest_offset(INT64_MAX, -wall, -wall), INT64_MAX);
	CU_ASSERT_EQUAL(rest_offset(INT64_MIN, wall, wall), INT64_MIN);
	CU_ASSERT_EQUAL(rest_offset(1, INT64_MAX, INT64_MAX),
			1 - (INT64_MAX / 2) * 2);
	CU_ASSERT_EQUAL(bot_add_sat(INT64_MAX - 5, INT64_MAX), INT64_MAX);
	CU_ASSERT_EQUAL(bot_add_sat(INT64_MIN + 5, INT64_MIN), INT64_MIN);
	CU_ASSERT_EQUAL(bot_sub_sat(INT64_MIN + 5, INT64_MAX), INT64_MIN);

	/* Headers: decimal seconds or counts, saturated; anything else is
	 * no figure (an HTTP date, a sign). */
	h = " 120\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 259200), 120);
	h = " 9223372036854775808000\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 259200), 259200);
	h = " 2147483648\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 1000000000), 1000000000);
	h = " -1\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 259200), -1);
	h = " Wed, 21 Oct 2026 07:28:00 GMT\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 259200), -1);
	h = " 12abc\r\n";
	CU_ASSERT_EQUAL(parse_header_num(h, strlen(h), 259200), -1);
	CU_ASSERT_EQUAL(parse_header_num("\r\n", 2, 259200), -1);

	/* The server's weight figure at INT_MAX: a full window, not a sum
	 * that wraps negative and lets everything through. */
	budget_init(&b, 50);
	b.limit = 600;
	budget_observe(&b, 5000, wall, 2147483647);
	budget_charge(&b, 5000, 2147483647);
	CU_ASSERT(budget_wait_ms(&b, 5000, 1, true) > 0);
	CU_ASSERT(budget_spent(&b, 5000) > 0);
	/* The exchange's order count at INT_MAX, then one more of ours. */
	budget_set_order_limit(&b, 100, 10000);
	budget_order_observe(&b, wall, 2147483647);
	budget_order_charge(&b, wall);
	CU_ASSERT(b.order_count > 0);
	CU_ASSERT(budget_order_wait_ms(&b, wall) > 0);
	/* Retry-After of 2^31-1 s: blocked for 3 days at most. */
	budget_block(&b, 2147483647);
	CU_ASSERT(b.blocked_until_ms > 0);
	CU_ASSERT(b.blocked_until_ms <= gs_mono_ns() / 1000000 + 3 * 86400000LL);
	budget_destroy(&b);

	/* 1000 days in ms does not fit interval_ms: not taken. */
	CU_ASSERT_EQUAL(parse_weight_limit(day1000, strlen(day1000), &limit,
					   &iv),
			-ENOENT);

	/* Prices: infinite or too long for an order's field are refused. */
	h = "{\"e\":\"trade\",\"s\":\"BNBBTC\",\"p\":\"inf\"}";
	CU_ASSERT_EQUAL(parse_stream_event(h, strlen(h), &ev), -EBADMSG);
	h = "{\"s\":\"BNBBTC\",\"b\":\"1\",\"a\":\"1e999\"}";
	CU_ASSERT_EQUAL(parse_stream_event(h, strlen(h), &ev), -EBADMSG);
	CU_ASSERT_EQUAL(strategy_format(1e300, 0.01, s, sizeof(s)), -ENOSPC);
	CU_ASSERT_EQUAL(strategy_format(98.02, 0.01, s, sizeof(s)), 0);
	CU_ASSERT_STRING_EQUAL(s, "98.02");
}

/* The snapshot names the listing and every placement it does not show. */
static void
test_known_orders_merge(void)
{
	struct bot_config cfg;
	struct bot bot;
	json_t *listing, *all;

	memset(&bot, 0, sizeof(bot));
	unit_bot_config(&cfg);
	bot.cfg = &cfg;
	pthread_mutex_init(&bot.mu, NULL);
	bot.placed = json_object();
	json_object_set_new(bot.placed, "gsb-1",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "clientOrderId", "gsb-1"));
	json_object_set_new(bot.placed, "gsb-2",
			    json_pack("{s:s, s:s}", "symbol", "BTCUSDT",
				      "clientOrderId", "gsb-2"));
	listing = json_pack("[{s:s, s:s, s:I}]", "symbol", "BTCUSDT",
			    "clientOrderId", "gsb-1", "orderId",
			    (json_int_t)7);
	all = cancel_known_orders(&bot, listing);
	CU_ASSERT_EQUAL(json_array_size(all), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(all, 0), "orderId")),
			7);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_array_get(all, 1), "clientOrderId")),
			       "gsb-2");
	json_decref(all);
	/* Before any listing: the placements alone. */
	all = cancel_known_orders(&bot, NULL);
	CU_ASSERT_EQUAL(json_array_size(all), 2);
	json_decref(all);
	json_decref(listing);
	json_decref(bot.placed);
	pthread_mutex_destroy(&bot.mu);
}

/* The combined stream's path for every form of ws_url: one slash before
 * "stream", the base path kept. */
static void
stream_path_is(const char *url, const char *want)
{
	struct bot_config cfg;
	char path[512];
	int in_path;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.bot.symbols[0], sizeof(cfg.bot.symbols[0]), "BTCUSDT");
	snprintf(cfg.bot.symbols[1], sizeof(cfg.bot.symbols[1]), "HBARUSDT");
	cfg.bot.nsymbols = 2;
	cfg.streams.trade = true;
	cfg.streams.book_ticker = true;
	CU_ASSERT_EQUAL(stream_build_path(url, &cfg, path, sizeof(path),
					  &in_path),
			0);
	CU_ASSERT_EQUAL(in_path, 4);
	CU_ASSERT_STRING_EQUAL(path, want);
	CU_ASSERT_PTR_NULL(stream_build_subscribe(&cfg, in_path));
}

#define STREAMS                                                             \
	"stream?streams=btcusdt@trade/btcusdt@bookTicker/hbarusdt@trade/"   \
	"hbarusdt@bookTicker"

static void
test_stream_path_host_port(void)
{
	stream_path_is("ws://127.0.0.1:8765", "/" STREAMS);
}

static void
test_stream_path_host(void)
{
	stream_path_is("wss://stream.binance.com", "/" STREAMS);
}

static void
test_stream_path_host_9443(void)
{
	stream_path_is("wss://stream.binance.com:9443", "/" STREAMS);
}

static void
test_stream_path_host_slash(void)
{
	stream_path_is("wss://stream.binance.com/", "/" STREAMS);
}

static void
test_stream_path_base(void)
{
	stream_path_is("wss://example.com/base", "/base/" STREAMS);
	stream_path_is("wss://example.com:9443/base/", "/base/" STREAMS);
}

static void
test_stream_path_bounds(void)
{
	struct bot_config cfg;
	char path[24];
	int in_path;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.bot.symbols[0], sizeof(cfg.bot.symbols[0]), "BTCUSDT");
	cfg.bot.nsymbols = 1;
	cfg.streams.trade = true;
	CU_ASSERT_EQUAL(stream_build_path("ws://h:1", &cfg, path,
					  sizeof(path), &in_path),
			-ENOSPC);
	CU_ASSERT_EQUAL(in_path, 0);
}

/* What the path cannot hold is asked for with one SUBSCRIBE: every
 * stream exactly once, none cut. */
static void
test_stream_path_overflow_subscribes(void)
{
	struct bot_config cfg;
	char path[STREAM_PATH_MAX + 1], name[64], *sub;
	json_t *msg, *params;
	int i, in_path, total;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < BOT_MAX_SYMBOLS; i++)
		snprintf(cfg.bot.symbols[i], sizeof(cfg.bot.symbols[i]),
			 "QX%02dLONGNAMEUSDT", i);
	cfg.bot.nsymbols = BOT_MAX_SYMBOLS;
	cfg.streams.trade = true;
	cfg.streams.book_ticker = true;
	total = stream_count(&cfg);
	CU_ASSERT_EQUAL(total, 2 * BOT_MAX_SYMBOLS);
	CU_ASSERT_EQUAL(stream_build_path("wss://h:9443", &cfg, path,
					  sizeof(path), &in_path),
			0);
	CU_ASSERT(in_path > 0 && in_path < total);
	CU_ASSERT(strlen(path) <= STREAM_PATH_MAX);
	/* The path ends on a whole stream name. */
	CU_ASSERT(path[strlen(path) - 1] != '/');
	sub = stream_build_subscribe(&cfg, in_path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	msg = json_loads(sub, 0, NULL);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(msg, "method")), "SUBSCRIBE");
	params = json_object_get(msg, "params");
	CU_ASSERT_EQUAL((int)json_array_size(params), total - in_path);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
				       params, json_array_size(params) - 1)),
			       "qx63longnameusdt@bookTicker");
	/* Each stream once: the first SUBSCRIBEd one is not in the path. */
	snprintf(name, sizeof(name), "%s",
		 json_string_value(json_array_get(params, 0)));
	CU_ASSERT_PTR_NULL(strstr(path, name));
	json_decref(msg);
	free(sub);
}

void
suite_bot(void)
{
	CU_pSuite s = CU_add_suite("bot", NULL, NULL);

	UNIT_ADD(s, test_sign_vector_query);
	UNIT_ADD(s, test_sign_vector_non_ascii);
	UNIT_ADD(s, test_sign_vector_query_and_body);
	UNIT_ADD(s, test_sign_append_encodes_and_bounds);
	UNIT_ADD(s, test_parse_error_body);
	UNIT_ADD(s, test_parse_orders_valid);
	UNIT_ADD(s, test_parse_orders_hostile);
	UNIT_ADD(s, test_scan_orders_valid);
	UNIT_ADD(s, test_scan_orders_malformed);
	UNIT_ADD(s, test_scan_orders_depth);
	UNIT_ADD(s, test_parse_filters);
	UNIT_ADD(s, test_parse_server_time);
	UNIT_ADD(s, test_parse_stream_events);
	UNIT_ADD(s, test_parse_stream_hostile);
	UNIT_ADD(s, test_parse_excerpt);
	UNIT_ADD(s, test_round_and_format);
	UNIT_ADD(s, test_bot_owns);
	UNIT_ADD(s, test_owner_client_id);
	UNIT_ADD(s, test_plan_cancels);
	UNIT_ADD(s, test_plan_cancels_large);
	UNIT_ADD(s, test_sign_append_long_values);
	UNIT_ADD(s, test_parse_weight_limit);
	UNIT_ADD(s, test_budget_orders);
	UNIT_ADD(s, test_budget_weight);
	UNIT_ADD(s, test_budget_backoff);
	UNIT_ADD(s, test_budget_window);
	UNIT_ADD(s, test_budget_server_figure);
	UNIT_ADD(s, test_budget_share_vs_ceiling);
	UNIT_ADD(s, test_hostile_numbers);
	UNIT_ADD(s, test_known_orders_merge);
	UNIT_ADD(s, test_stream_path_host_port);
	UNIT_ADD(s, test_stream_path_host);
	UNIT_ADD(s, test_stream_path_host_9443);
	UNIT_ADD(s, test_stream_path_host_slash);
	UNIT_ADD(s, test_stream_path_base);
	UNIT_ADD(s, test_stream_path_bounds);
	UNIT_ADD(s, test_stream_path_overflow_subscribes);
}
