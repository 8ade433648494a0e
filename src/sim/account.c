/*
 * account.c - the account's balances: free and locked per asset, in units
 * of 1e-8, starting from the INI ([account]), moved only by what match.c
 * does (locks on placement, fills, releases), and published as
 * outboundAccountPosition events naming the assets that changed.  GET
 * /api/v3/account (order_account) reads them here.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

/* The asset's balance, added at zero when new; NULL when full. */
struct sim_balance *
account_balance(struct sim_account *a, const char *asset)
{
	int i;

	for (i = 0; i < a->nbal; i++)
		if (strcmp(a->bal[i].asset, asset) == 0)
			return &a->bal[i];
	if (a->nbal == SIM_MAX_ASSETS)
		return NULL;
	memset(&a->bal[a->nbal], 0, sizeof(a->bal[0]));
	snprintf(a->bal[a->nbal].asset, sizeof(a->bal[0].asset), "%s", asset);
	return &a->bal[a->nbal++];
}

void
account_init(struct sim_account *a, const struct sim_config *cfg,
	     const struct sim_market *m)
{
	struct sim_balance *b;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < cfg->nbalances; i++) {
		b = account_balance(a, cfg->balance_asset[i]);
		if (b != NULL)
			b->free = cfg->balance_amount[i];
	}
	for (i = 0; i < m->nsymbols; i++) {
		const char *assets[2] = {m->symbols[i].base,
					 m->symbols[i].quote};
		int k, j;

		for (k = 0; k < 2; k++) {
			for (j = 0; j < a->nbal; j++)
				if (strcmp(a->bal[j].asset, assets[k]) == 0)
					break;
			if (j < a->nbal)
				continue;
			b = account_balance(a, assets[k]);
			if (b != NULL)
				b->free = cfg->default_balance;
		}
	}
	a->update_ms = sim_now_ms();
}

int64_t
account_free(struct sim_account *a, const char *asset)
{
	struct sim_balance *b = account_balance(a, asset);

	return b != NULL ? b->free : 0;
}

/* Move amount between free and locked (negative: unlock), or add to
 * free (credit, negative: debit), or take from locked (spend). */
void
account_move(struct sim_account *a, const char *asset, int64_t to_free,
	     int64_t to_locked)
{
	struct sim_balance *b = account_balance(a, asset);

	if (b == NULL || (to_free == 0 && to_locked == 0))
		return;
	b->free += to_free;
	b->locked += to_locked;
	b->changed = true;
	a->update_ms = sim_now_ms();
}

static json_t *
balance_json(const struct sim_balance *b, bool short_names)
{
	char f[40], l[40];

	market_text(b->free, f, sizeof(f));
	market_text(b->locked, l, sizeof(l));
	return short_names
		   ? json_pack("{s:s, s:s, s:s}", "a", b->asset, "f", f, "l", l)
		   : json_pack("{s:s, s:s, s:s}", "asset", b->asset, "free", f,
			       "locked", l);
}

/* outboundAccountPosition with the assets changed since the last one. */
void
account_publish(struct sim *sim)
{
	struct sim_account *a = &sim->account;
	json_t *list = json_array();
	int i;

	for (i = 0; i < a->nbal; i++) {
		if (!a->bal[i].changed)
			continue;
		a->bal[i].changed = false;
		json_array_append_new(list, balance_json(&a->bal[i], true));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return;
	}
	events_publish(sim, sim->cfg.api_key,
		       json_pack("{s:s, s:I, s:I, s:o}", "e",
				 "outboundAccountPosition", "E",
				 (json_int_t)sim_now_ms(), "u",
				 (json_int_t)a->update_ms, "B", list));
}

/* A deposit (or, negative, a withdrawal): balanceUpdate, then the
 * position.  -1 when it would leave free below zero. */
int
account_adjust(struct sim *sim, const char *asset, int64_t delta)
{
	struct sim_balance *b = account_balance(&sim->account, asset);
	char d[40];

	if (b == NULL || b->free + delta < 0)
		return -1;
	account_move(&sim->account, asset, delta, 0);
	if (delta < 0) {
		d[0] = '-';
		market_text(-delta, d + 1, sizeof(d) - 1);
	} else {
		market_text(delta, d, sizeof(d));
	}
	events_publish(sim, sim->cfg.api_key,
		       json_pack("{s:s, s:I, s:s, s:s, s:I}", "e",
				 "balanceUpdate", "E", (json_int_t)sim_now_ms(),
				 "a", asset, "d", d, "T",
				 (json_int_t)sim->account.update_ms));
	account_publish(sim);
	return 0;
}

/* The body of GET /api/v3/account. */
json_t *
account_json(struct sim *sim, bool omit_zero)
{
	struct sim_account *a = &sim->account;
	json_t *balances = json_array();
	char rate[40];
	int i, bps = (int)(sim->cfg.commission / 10000);

	for (i = 0; i < a->nbal; i++) {
		if (omit_zero && a->bal[i].free == 0 && a->bal[i].locked == 0)
			continue;
		json_array_append_new(balances, balance_json(&a->bal[i], false));
	}
	market_text(sim->cfg.commission, rate, sizeof(rate));
	return json_pack(
	    "{s:i, s:i, s:i, s:i, s:{s:s, s:s, s:s, s:s}, s:b, s:b, s:b, "
	    "s:b, s:b, s:b, s:I, s:s, s:o, s:[s], s:I}",
	    "makerCommission", bps, "takerCommission", bps, "buyerCommission",
	    0, "sellerCommission", 0, "commissionRates", "maker", rate,
	    "taker", rate, "buyer", "0.00000000", "seller", "0.00000000",
	    "canTrade", 1, "canWithdraw", 1, "canDeposit", 1, "brokered", 0,
	    "requireSelfTradePrevention", 0, "preventSor", 0, "updateTime",
	    (json_int_t)a->update_ms, "accountType", "SPOT", "balances",
	    balances, "permissions", "SPOT", "uid", (json_int_t)354937868);
}
