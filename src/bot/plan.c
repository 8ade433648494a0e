/*
 * plan.c - which cancels a listing of open orders needs, and whether a
 * listing shows an order: pure functions over the listing, in O(n log n)
 * whatever its size.
 *
 * A listing is the exchange's to size: 400,000 open orders made the old
 * per-order scan of the whole listing (its symbol's other orders, for
 * each of the bot's orders) quadratic, and recovery never finished.  Here
 * the listing is sorted once by symbol (an index, the orders stay where
 * they are), each symbol's run is judged once, and the plan comes back in
 * the listing's order: one DELETE /api/v3/openOrders for a symbol where
 * every open order is the bot's and there is more than one, one DELETE
 * /api/v3/order for each of the bot's orders elsewhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

bool
plan_owns(const char *prefix, const char *client_id)
{
	return strncmp(client_id, prefix, strlen(prefix)) == 0;
}

/* By symbol, then by place in the listing (a total order: stable). */
static int
plan_by_symbol(const void *a, const void *b, void *listing)
{
	const struct bot_order *o = listing;
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(o[x].symbol, o[y].symbol);

	return c != 0 ? c : (x > y) - (x < y);
}

static int
plan_by_order(const void *a, const void *b)
{
	int x = ((const struct cancel_item *)a)->order;
	int y = ((const struct cancel_item *)b)->order;

	return (x > y) - (x < y);
}

int
plan_cancels(const char *prefix, const struct bot_order *o, int n,
	     bool sequential, struct cancel_item **out)
{
	struct cancel_item *plan;
	int *idx, i, a, b, k = 0;

	*out = NULL;
	if (n < 0)
		return -EINVAL;
	plan = calloc((size_t)n + 1, sizeof(*plan));
	idx = calloc((size_t)n + 1, sizeof(*idx));
	if (plan == NULL || idx == NULL) {
		free(plan);
		free(idx);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	if (!sequential)
		qsort_r(idx, (size_t)n, sizeof(*idx), plan_by_symbol,
			(void *)o);
	/* Sequential: every order is a run of its own, cancelled alone. */
	for (a = 0; a < n; a = b) {
		int ours = 0;

		for (b = a; b < n && (b == a || (!sequential &&
						 strcmp(o[idx[b]].symbol,
							o[idx[a]].symbol) == 0));
		     b++)
			ours += plan_owns(prefix, o[idx[b]].client_id);
		if (ours > 1 && ours == b - a) {
			/* The symbol's first order stands for the symbol. */
			plan[k].order = idx[a];
			plan[k++].whole = ours;
			continue;
		}
		for (i = a; i < b; i++)
			if (plan_owns(prefix, o[idx[i]].client_id)) {
				plan[k].order = idx[i];
				plan[k++].whole = 0;
			}
	}
	free(idx);
	qsort(plan, (size_t)k, sizeof(*plan), plan_by_order);
	*out = plan;
	return k;
}

static int
plan_by_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
plan_index(const struct bot_order *o, int n, struct plan_ids *ids)
{
	int i;

	ids->n = 0;
	ids->sorted = malloc(((size_t)n + 1) * sizeof(*ids->sorted));
	if (ids->sorted == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ids->sorted[ids->n++] = o[i].client_id;
	qsort(ids->sorted, (size_t)ids->n, sizeof(*ids->sorted), plan_by_id);
	return 0;
}

bool
plan_listed(const struct plan_ids *ids, const char *client_id)
{
	return bsearch(&client_id, ids->sorted, (size_t)ids->n,
		       sizeof(*ids->sorted), plan_by_id) != NULL;
}

void
plan_ids_free(struct plan_ids *ids)
{
	free(ids->sorted);
	ids->sorted = NULL;
	ids->n = 0;
}
