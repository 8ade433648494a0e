/*
 * plan-cancels.c - how long the CANCELLING phase (and start-up recovery)
 * spends deciding which cancels a listing of open orders needs: the plan
 * (plan_cancels: one DELETE /api/v3/openOrders per symbol that is all the
 * bot's, one DELETE /api/v3/order per order of the bot elsewhere) and the
 * strategy's "is this slot's order still listed" (plan_index and
 * plan_listed, 12,800 slots: 64 symbols x 200 levels).  The listing has 50
 * symbols: even ones hold only the bot's orders, odd ones also a foreign
 * order every tenth.  With BASELINE, the planning the daemon did before
 * (each order of the bot compared with every order listed) runs beside it
 * on the same listing, for the sizes where it finishes.
 *
 *	plan-cancels [ORDERS [RUNS [BASELINE-MAX]]]
 *	    (defaults: 100000 orders, 20 runs; baseline up to 20000 orders)
 *
 * Prints median, p99 and min in milliseconds, and checks that both
 * planners give the same number of cancels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/bot/bot.h"
#include "bench.h"

#define PREFIX "gsb-"
#define SLOTS (64 * 200)

static struct bot_order *
listing(int n)
{
	struct bot_order *o = calloc((size_t)n + 1, sizeof(*o));
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int sym = i % 50;
		bool foreign = sym % 2 == 1 && (i / 50) % 10 == 0;

		snprintf(o[i].symbol, sizeof(o[i].symbol), "S%02dUSDT", sym);
		o[i].order_id = 1000000 + i;
		snprintf(o[i].client_id, sizeof(o[i].client_id), "%s%d",
			 foreign ? "web_" : PREFIX "1a2b3c4d-", i);
	}
	return o;
}

/* The planning before plan.c: per order of the bot, its symbol's orders
 * counted by a pass over the whole listing.  Only the count is kept. */
static int
baseline(const struct bot_order *o, int n)
{
	char (*done)[BOT_SYMBOL_MAX] = calloc(256, BOT_SYMBOL_MAX);
	int i, j, k = 0, ndone = 0;

	if (done == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		bool all_ours = true, seen = false;
		int ours = 0;

		if (!plan_owns(PREFIX, o[i].client_id))
			continue;
		for (j = 0; j < ndone; j++)
			if (strcmp(done[j], o[i].symbol) == 0)
				seen = true;
		for (j = 0; j < n; j++) {
			if (strcmp(o[j].symbol, o[i].symbol) != 0)
				continue;
			if (plan_owns(PREFIX, o[j].client_id))
				ours++;
			else
				all_ours = false;
		}
		if (all_ours && ours > 1) {
			if (seen)
				continue;
			if (ndone < 256)
				snprintf(done[ndone++], BOT_SYMBOL_MAX, "%s",
					 o[i].symbol);
		}
		k++;
	}
	free(done);
	return k;
}

static void
report(const char *what, long long *ns, int runs)
{
	bench_sort(ns, runs);
	printf("  %-40s median %9.2f ms  p99 %9.2f ms  min %9.2f ms\n", what,
	       ns[runs / 2] / 1e6, ns[(runs * 99) / 100] / 1e6, ns[0] / 1e6);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	int runs = argc > 2 ? atoi(argv[2]) : 20;
	int base_max = argc > 3 ? atoi(argv[3]) : 20000;
	long long *plan_ns = calloc((size_t)runs, sizeof(long long));
	long long *look_ns = calloc((size_t)runs, sizeof(long long));
	long long *base_ns = calloc((size_t)runs, sizeof(long long));
	struct bot_order *o;
	struct cancel_item *plan;
	struct plan_ids ids;
	int r, k = 0, found = 0, i;

	if (n < 1 || runs < 1 || plan_ns == NULL || look_ns == NULL ||
	    base_ns == NULL || (o = listing(n)) == NULL) {
		fprintf(stderr,
			"usage: plan-cancels [ORDERS [RUNS [BASELINE-MAX]]]\n");
		return 64;
	}
	for (r = 0; r < runs; r++) {
		long long t0 = bench_now_ns();

		k = plan_cancels(PREFIX, o, n, false, &plan);
		plan_ns[r] = bench_now_ns() - t0;
		if (k < 0) {
			fprintf(stderr, "plan-cancels: out of memory\n");
			return 1;
		}
		free(plan);
		t0 = bench_now_ns();
		if (plan_index(o, n, &ids) < 0) {
			fprintf(stderr, "plan-cancels: out of memory\n");
			return 1;
		}
		/* Every slot looked up once, as grid_refresh does; slot s
		 * names the order listed at s * 7, or none past the end. */
		for (found = 0, i = 0; i < SLOTS; i++) {
			char cid[BOT_CID_MAX];

			snprintf(cid, sizeof(cid), PREFIX "1a2b3c4d-%d", i * 7);
			found += plan_listed(&ids, cid);
		}
		plan_ids_free(&ids);
		look_ns[r] = bench_now_ns() - t0;
	}
	printf("listing of %d orders on 50 symbols: %d cancels planned, "
	       "%d of %d slots listed; %d runs\n",
	       n, k, found, SLOTS, runs);
	report("plan (plan_cancels)", plan_ns, runs);
	report("slots looked up (plan_index + listed)", look_ns, runs);
	if (n <= base_max) {
		for (r = 0; r < runs; r++) {
			long long t0 = bench_now_ns();
			int kb = baseline(o, n);

			base_ns[r] = bench_now_ns() - t0;
			if (kb != k) {
				fprintf(stderr,
					"plan-cancels: the planners disagree "
					"(%d, baseline %d)\n",
					k, kb);
				return 1;
			}
		}
		report("before: a pass per order (baseline)", base_ns, runs);
	} else {
		printf("  before: a pass per order (baseline)     not run "
		       "(quadratic: above %d orders)\n",
		       base_max);
	}
	free(o);
	free(plan_ns);
	free(look_ns);
	free(base_ns);
	return 0;
}
