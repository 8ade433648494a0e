/*
 * order.c - the order operations, the same for REST and the WebSocket
 * API: place, query, cancel, cancel all on a symbol, list the open ones,
 * and the account's state.  Each reads a request's parameters (struct
 * sim_params, built from a query string or from a JSON params object),
 * changes the book and the account, and answers in a struct sim_reply:
 * an HTTP status and a JSON body, or Binance's error.  Nothing here knows
 * of HTTP or WebSocket framing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static bool
client_id_ok(const char *cid)
{
	size_t n = 0;

	for (; *cid; cid++, n++)
		if (!isalnum((unsigned char)*cid) && !strchr(".:/_-", *cid))
			return false;
	return n >= 1 && n <= 36;
}

void
order_place(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *side = param_get(p, "side"), *type = param_get(p, "type"),
	           *tif = param_get(p, "timeInForce"),
	           *cid = param_get(p, "newClientOrderId"),
	           *resp = param_get(p, "newOrderRespType");
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	struct sim_order *o;
	char gen[SIM_CID_MAX], price_s[32], qty_s[32], msg[64];
	const char *failed;
	int64_t price, qty;
	bool execute = true, unknown;

	if (s == NULL)
		return;
	if (side == NULL || (strcmp(side, "BUY") && strcmp(side, "SELL"))) {
		reply_mandatory(r, "side");
		return;
	}
	if (type == NULL) {
		reply_mandatory(r, "type");
		return;
	}
	if (strcmp(type, "LIMIT") != 0) {
		reply_error(r, 400, -1116, "Invalid orderType.");
		return;
	}
	if (tif == NULL) {
		reply_mandatory(r, "timeInForce");
		return;
	}
	if (strcmp(tif, "GTC") && strcmp(tif, "IOC") && strcmp(tif, "FOK")) {
		reply_error(r, 400, -1115, "Invalid timeInForce.");
		return;
	}
	if (!request_decimal(p, "quantity", &qty, r) ||
	    !request_decimal(p, "price", &price, r))
		return;
	if (resp != NULL && strcmp(resp, "ACK") && strcmp(resp, "RESULT") &&
	    strcmp(resp, "FULL")) {
		reply_error(r, 400, -1100,
		            "Illegal characters found in parameter "
		            "'newOrderRespType'; legal range is 'ACK, RESULT, "
		            "FULL'.");
		return;
	}
	if (cid != NULL && !client_id_ok(cid)) {
		reply_illegal(r, "newClientOrderId",
		              "^[\\.A-Z\\:/a-z0-9_-]{1,36}$");
		return;
	}
	failed = market_check_filters(s, side, price, qty);
	if (failed != NULL) {
		snprintf(msg, sizeof(msg), "Filter failure: %s", failed);
		reply_error(r, 400, -1013, msg);
		return;
	}
	if (cid == NULL) {
		snprintf(gen, sizeof(gen), "sim%lld",
		         (long long)sim->market.next_order_id);
		cid = gen;
	}
	if (market_cid_in_use(&sim->market, cid)) {
		reply_error(r, 400, -2010, "Duplicate order sent.");
		return;
	}
	unknown = request_unknown_outcome(sim, r, &execute);
	if (!execute)
		return;
	market_text(price, price_s, sizeof(price_s));
	market_text(qty, qty_s, sizeof(qty_s));
	o = market_add(&sim->market, s->name, side, price_s, qty_s, cid);
	if (o == NULL) {
		reply_error(r, 500, -1001, "Internal error");
		return;
	}
	if (unknown)
		return;
	if (resp != NULL && strcmp(resp, "ACK") == 0)
		r->body = json_pack(
		    "{s:s, s:I, s:i, s:s, s:I}", "symbol", o->symbol, "orderId",
		    (json_int_t)o->order_id, "orderListId", -1, "clientOrderId",
		    o->client_id, "transactTime", (json_int_t)o->time_ms);
	else {
		r->body = market_order_json(o);
		json_object_set_new(r->body, "transactTime",
		                    json_integer(o->time_ms));
	}
}

static struct sim_order *
lookup_order(struct sim *sim, const struct sim_params *p, const char *cid_name,
             struct sim_symbol *s, struct sim_reply *r)
{
	const char *oid = param_get(p, "orderId"),
	           *cid = param_get(p, cid_name);

	if ((oid == NULL || *oid == '\0') && (cid == NULL || *cid == '\0')) {
		reply_error(r, 400, -1102,
		            "Param 'origClientOrderId' or 'orderId' must be "
		            "sent, but both were empty/null!");
		return NULL;
	}
	if (oid != NULL && !request_digits(oid, 20)) {
		reply_illegal(r, "orderId", "^[0-9]{1,20}$");
		return NULL;
	}
	return market_find(&sim->market, s->name, oid ? atoll(oid) : -1, cid);
}

void
order_query(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	struct sim_order *o;

	if (s == NULL)
		return;
	o = lookup_order(sim, p, "origClientOrderId", s, r);
	if (o == NULL) {
		if (r->body == NULL)
			reply_error(r, 400, -2013, "Order does not exist.");
		return;
	}
	r->body = market_order_json(o);
}

static void
cancel_one(struct sim_order *o)
{
	o->open = false;
	snprintf(o->status, sizeof(o->status), "CANCELED");
	o->update_ms = sim_now_ms();
}

void
order_cancel(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	struct sim_order *o;
	bool execute = true;

	if (s == NULL)
		return;
	o = lookup_order(sim, p, "origClientOrderId", s, r);
	if (r->body != NULL)
		return;
	if (o == NULL || !o->open) {
		reply_error(r, 400, -2011, "Unknown order sent.");
		return;
	}
	if (request_chance(sim, sim->cfg.faults.cancel_reject_rate)) {
		reply_error(r, 400, -2011, "Order cancel is rejected.");
		return;
	}
	if (request_unknown_outcome(sim, r, &execute)) {
		if (execute)
			cancel_one(o);
		return;
	}
	cancel_one(o);
	r->body = market_order_json(o);
	json_object_set_new(r->body, "origClientOrderId",
	                    json_string(o->client_id));
	json_object_set_new(r->body, "transactTime",
	                    json_integer(sim_now_ms()));
}

void
order_open_list(struct sim *sim, const struct sim_params *p,
                struct sim_reply *r)
{
	struct sim_market *m = &sim->market;
	const char *sym = param_get(p, "symbol");
	size_t i;

	if (sym != NULL && request_symbol(sim, sym, r) == NULL)
		return;
	/* Thousands of orders: written as text, not built as a tree. */
	{
		size_t cap = 4096, len = 0;
		char *out = malloc(cap), one[1024];

		if (out == NULL)
			return;
		out[len++] = '[';
		for (i = 0; i < m->norders; i++) {
			int n;

			if (!m->orders[i].open ||
			    (sym != NULL &&
			     strcmp(m->orders[i].symbol, sym) != 0))
				continue;
			n = market_order_text(&m->orders[i], one, sizeof(one));
			if (n < 0 || (size_t)n >= sizeof(one))
				continue;
			if (len + (size_t)n + 3 > cap) {
				char *nb = realloc(out, cap * 2 + (size_t)n);

				if (nb == NULL)
					break;
				out = nb;
				cap = cap * 2 + (size_t)n;
			}
			if (len > 1)
				out[len++] = ',';
			memcpy(out + len, one, (size_t)n);
			len += (size_t)n;
		}
		out[len++] = ']';
		out[len] = '\0';
		r->raw = out;
	}
}

void
order_cancel_all(struct sim *sim, const struct sim_params *p,
                 struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	struct sim_market *m = &sim->market;
	bool execute = true;
	size_t i;

	if (s == NULL)
		return;
	if (market_open_count(m, s->name) == 0) {
		reply_error(r, 400, -2011, "Unknown order sent.");
		return;
	}
	if (request_chance(sim, sim->cfg.faults.cancel_reject_rate)) {
		reply_error(r, 400, -2011, "Order cancel is rejected.");
		return;
	}
	if (request_unknown_outcome(sim, r, &execute) && !execute)
		return;
	if (r->body == NULL)
		r->body = json_array();
	for (i = 0; i < m->norders; i++) {
		struct sim_order *o = &m->orders[i];

		if (!o->open || strcmp(o->symbol, s->name) != 0)
			continue;
		cancel_one(o);
		if (json_is_array(r->body)) {
			json_t *j = market_order_json(o);

			json_object_set_new(j, "origClientOrderId",
			                    json_string(o->client_id));
			json_array_append_new(r->body, j);
		}
	}
}

/* GET /api/v3/account: a large balance of every asset, less what the
 * open orders lock. */
void
order_account(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_market *m = &sim->market;
	json_t *locked = json_object(), *balances = json_array(), *v;
	const char *omit = param_get(p, "omitZeroBalances");
	const char *asset;
	size_t i;
	int k;

	if (omit != NULL && strcmp(omit, "true") && strcmp(omit, "false")) {
		reply_illegal(r, "omitZeroBalances", "true, false");
		json_decref(locked);
		json_decref(balances);
		return;
	}
	for (k = 0; k < m->nsymbols; k++) {
		json_object_set_new(locked, m->symbols[k].base, json_real(0));
		json_object_set_new(locked, m->symbols[k].quote, json_real(0));
	}
	for (i = 0; i < m->norders; i++) {
		struct sim_order *o = &m->orders[i];
		struct sim_symbol *s = market_symbol(m, o->symbol);
		double q = strtod(o->qty, NULL), amount;

		if (!o->open || s == NULL)
			continue;
		asset = o->side[0] == 'B' ? s->quote : s->base;
		amount = o->side[0] == 'B' ? q * strtod(o->price, NULL) : q;
		v = json_object_get(locked, asset);
		json_object_set_new(locked, asset,
		                    json_real(json_real_value(v) + amount));
	}
	json_object_foreach(locked, asset, v)
	{
		char free_s[40], locked_s[40];

		snprintf(locked_s, sizeof(locked_s), "%.8f",
		         json_real_value(v));
		snprintf(free_s, sizeof(free_s), "%.8f",
		         1000000.0 - json_real_value(v));
		json_array_append_new(
		    balances, json_pack("{s:s, s:s, s:s}", "asset", asset,
		                        "free", free_s, "locked", locked_s));
	}
	json_decref(locked);
	r->body = json_pack(
	    "{s:i, s:i, s:i, s:i, s:{s:s, s:s, s:s, s:s}, s:b, s:b, s:b, "
	    "s:b, s:b, s:b, s:I, s:s, s:o, s:[s], s:I}",
	    "makerCommission", 10, "takerCommission", 10, "buyerCommission", 0,
	    "sellerCommission", 0, "commissionRates", "maker", "0.00100000",
	    "taker", "0.00100000", "buyer", "0.00000000", "seller",
	    "0.00000000", "canTrade", 1, "canWithdraw", 1, "canDeposit", 1,
	    "brokered", 0, "requireSelfTradePrevention", 0, "preventSor", 0,
	    "updateTime", (json_int_t)sim_now_ms(), "accountType", "SPOT",
	    "balances", balances, "permissions", "SPOT", "uid",
	    (json_int_t)354937868);
}
