/*
 * parse-listing.c - how long the CANCELLING phase spends reading a listing
 * of open orders: GET /api/v3/openOrders of N orders as the exchange (and
 * exchange-sim) writes them, parsed with jansson into a tree (parse_orders)
 * and scanned for the fields a cancel needs (parse_open_orders).  Prints
 * median, p99 and min of RUNS parses of each, in microseconds, and checks
 * that both read the same orders.
 *
 *	parse-listing [ORDERS [RUNS]]	(defaults: 1000 orders, 200 runs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/bot/bot.h"
#include "bench.h"

/* A listing of n orders, each as Binance writes an open LIMIT order. */
static char *
listing(int n, size_t *len)
{
	size_t cap = (size_t)n * 640 + 16, off = 0;
	char *b = malloc(cap);
	int i;

	if (b == NULL)
		return NULL;
	b[off++] = '[';
	for (i = 0; i < n; i++) {
		int w = snprintf(
		    b + off, cap - off,
		    "%s{\"symbol\":\"S%02dUSDT\",\"orderId\":%d,\"orderListId\":"
		    "-1,\"clientOrderId\":\"gsb-1a2b3c4d-%d-%d\",\"price\":"
		    "\"%d.%02d000000\",\"origQty\":\"1.00000000\",\"executedQty\":"
		    "\"0.00000000\",\"cummulativeQuoteQty\":\"0.00000000\","
		    "\"status\":\"NEW\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\","
		    "\"side\":\"%s\",\"stopPrice\":\"0.00000000\",\"icebergQty\":"
		    "\"0.00000000\",\"time\":1764150000%03d,\"updateTime\":"
		    "1764150000%03d,\"isWorking\":true,\"workingTime\":"
		    "1764150000%03d,\"origQuoteOrderQty\":\"0.00000000\","
		    "\"selfTradePreventionMode\":\"NONE\"}",
		    i ? "," : "", i % 20, 1000000 + i, i % 20, i / 20, 90 + i % 20,
		    i % 100, i % 2 ? "SELL" : "BUY", i % 1000, i % 1000,
		    i % 1000);

		if (w < 0 || (size_t)w >= cap - off) {
			free(b);
			return NULL;
		}
		off += (size_t)w;
	}
	b[off++] = ']';
	b[off] = '\0';
	*len = off;
	return b;
}

static void
report(const char *what, long long *ns, int runs, size_t bytes)
{
	bench_sort(ns, runs);
	printf("%-34s median %7.0f us  p99 %7.0f us  min %7.0f us  (%.0f MB/s)\n",
	       what, ns[runs / 2] / 1e3, ns[(runs * 99) / 100] / 1e3,
	       ns[0] / 1e3, bytes / (ns[runs / 2] / 1e9) / 1e6);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	int runs = argc > 2 ? atoi(argv[2]) : 200, r, k;
	long long *full = calloc((size_t)runs, sizeof(long long));
	long long *scan = calloc((size_t)runs, sizeof(long long));
	struct bot_order *a = NULL, *b = NULL;
	size_t len;
	char *body, what[64];

	if (n < 1 || runs < 1 || full == NULL || scan == NULL ||
	    (body = listing(n, &len)) == NULL) {
		fprintf(stderr, "usage: parse-listing [ORDERS [RUNS]]\n");
		return 64;
	}
	for (r = 0; r < runs; r++) {
		long long t0 = bench_now_ns();

		k = parse_orders(body, len, &a);
		full[r] = bench_now_ns() - t0;
		t0 = bench_now_ns();
		if (parse_open_orders(body, len, &b) != k || k != n ||
		    memcmp(a, b, (size_t)n * sizeof(*a)) != 0) {
			fprintf(stderr, "parse-listing: the parsers disagree\n");
			return 1;
		}
		scan[r] = bench_now_ns() - t0;
		free(a);
		free(b);
	}
	printf("listing of %d orders: %zu bytes, %d runs\n", n, len, runs);
	snprintf(what, sizeof(what), "jansson tree (parse_orders)");
	report(what, full, runs, len);
	snprintf(what, sizeof(what), "scan (parse_open_orders)");
	report(what, scan, runs, len);
	free(body);
	free(full);
	free(scan);
	return 0;
}
