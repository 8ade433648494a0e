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

/* -1106 "Parameter '...' sent when not required." */
static bool
not_required(const struct sim_params *p, const char *name,
	     struct sim_reply *r)
{
	if (param_get(p, name) == NULL)
		return false;
	reply_errorf(r, 400, -1106, "Parameter '%s' sent when not required.",
		     name);
	return true;
}

/* The checks of a placement, in the exchange's order, into pl. */
static bool
placement_read(struct sim *sim, const struct sim_params *p,
	       struct sim_placement *pl, struct sim_reply *r)
{
	const char *side = param_get(p, "side"), *type = param_get(p, "type"),
		   *tif = param_get(p, "timeInForce"),
		   *cid = param_get(p, "newClientOrderId"),
		   *resp = param_get(p, "newOrderRespType"),
		   *stp = param_get(p, "selfTradePreventionMode");
	bool market, maker;
	const char *failed;
	char msg[64];

	memset(pl, 0, sizeof(*pl));
	pl->symbol = request_need_symbol(sim, p, r);
	if (pl->symbol == NULL)
		return false;
	if (side == NULL || (strcmp(side, "BUY") && strcmp(side, "SELL"))) {
		reply_mandatory(r, "side");
		return false;
	}
	if (type == NULL) {
		reply_mandatory(r, "type");
		return false;
	}
	market = strcmp(type, "MARKET") == 0;
	maker = strcmp(type, "LIMIT_MAKER") == 0;
	if (!market && !maker && strcmp(type, "LIMIT") != 0) {
		reply_error(r, 400, -1116, "Invalid orderType.");
		return false;
	}
	pl->side = side;
	pl->type = type;
	pl->tif = "GTC";
	if (!market && !maker) {
		if (tif == NULL) {
			reply_mandatory(r, "timeInForce");
			return false;
		}
		if (strcmp(tif, "GTC") && strcmp(tif, "IOC") &&
		    strcmp(tif, "FOK")) {
			reply_error(r, 400, -1115, "Invalid timeInForce.");
			return false;
		}
		pl->tif = tif;
	} else if (not_required(p, "timeInForce", r)) {
		return false;
	}
	if (market) {
		bool by_qty = param_get(p, "quantity") != NULL,
		     by_quote = param_get(p, "quoteOrderQty") != NULL;

		if (!by_qty && !by_quote) {
			reply_error(r, 400, -1102,
				    "Param 'quantity' or 'quoteOrderQty' must "
				    "be sent, but both were empty/null!");
			return false;
		}
		if (by_qty && not_required(p, "quoteOrderQty", r))
			return false;
		if (not_required(p, "price", r))
			return false;
		if (by_qty && !request_decimal(p, "quantity", &pl->qty, r))
			return false;
		if (by_quote &&
		    !request_decimal(p, "quoteOrderQty", &pl->quote_qty, r))
			return false;
	} else {
		if (!request_decimal(p, "quantity", &pl->qty, r) ||
		    !request_decimal(p, "price", &pl->price, r))
			return false;
		if (not_required(p, "quoteOrderQty", r))
			return false;
	}
	if (resp != NULL && strcmp(resp, "ACK") && strcmp(resp, "RESULT") &&
	    strcmp(resp, "FULL")) {
		reply_error(r, 400, -1100,
			    "Illegal characters found in parameter "
			    "'newOrderRespType'; legal range is 'ACK, RESULT, "
			    "FULL'.");
		return false;
	}
	if (cid != NULL && !client_id_ok(cid)) {
		reply_illegal(r, "newClientOrderId",
			      "^[\\.A-Z\\:/a-z0-9_-]{1,36}$");
		return false;
	}
	if (stp != NULL && strcmp(stp, "NONE") != 0) {
		reply_error(r, 400, -1013,
			    "This symbol does not allow the specified "
			    "self-trade prevention mode.");
		return false;
	}
	failed = market ? market_check_market_filters(pl->symbol, pl->qty,
						      pl->quote_qty)
			: market_check_filters(pl->symbol, side, pl->price,
					       pl->qty);
	if (failed != NULL) {
		snprintf(msg, sizeof(msg), "Filter failure: %s", failed);
		reply_error(r, 400, -1013, msg);
		return false;
	}
	pl->client_id = cid;
	return true;
}

static void
set_text(json_t *j, const char *key, int64_t v)
{
	char buf[40];

	market_text(v, buf, sizeof(buf));
	json_object_set_new(j, key, json_string(buf));
}

/* What a placement's RESULT and a cancel's reply share, in their order:
 * price through side. */
static void
order_fields(json_t *j, const struct sim_order *o)
{
	set_text(j, "price", o->price);
	set_text(j, "origQty", o->qty);
	set_text(j, "executedQty", o->executed);
	set_text(j, "origQuoteOrderQty", o->quote_qty);
	set_text(j, "cummulativeQuoteQty", o->cum_quote);
	json_object_set_new(j, "status", json_string(o->status));
	json_object_set_new(j, "timeInForce", json_string(o->tif));
	json_object_set_new(j, "type", json_string(o->type));
	json_object_set_new(j, "side", json_string(o->side));
}

/* The reply to a placement: ACK, RESULT or FULL (with the fills). */
static json_t *
placement_reply(struct sim *sim, const struct sim_order *o, const char *resp,
		const struct sim_fill *f, int n)
{
	const struct sim_symbol *s = market_symbol(&sim->market, o->symbol);
	json_t *j = json_object(), *fills;
	int k;

	json_object_set_new(j, "symbol", json_string(o->symbol));
	json_object_set_new(j, "orderId", json_integer(o->order_id));
	json_object_set_new(j, "orderListId", json_integer(-1));
	json_object_set_new(j, "clientOrderId", json_string(o->client_id));
	json_object_set_new(j, "transactTime", json_integer(o->time_ms));
	if (strcmp(resp, "ACK") == 0)
		return j;
	order_fields(j, o);
	json_object_set_new(j, "workingTime",
			    json_integer(o->working_ms != 0 ? o->working_ms
							    : o->time_ms));
	json_object_set_new(j, "selfTradePreventionMode",
			    json_string("NONE"));
	if (strcmp(resp, "FULL") != 0)
		return j;
	fills = json_array();
	for (k = 0; k < n; k++) {
		json_t *one = json_object();

		set_text(one, "price", f[k].price);
		set_text(one, "qty", f[k].qty);
		set_text(one, "commission", f[k].commission);
		json_object_set_new(
		    one, "commissionAsset",
		    json_string(s == NULL		  ? ""
				: strcmp(o->side, "BUY") == 0 ? s->base
							      : s->quote));
		json_object_set_new(one, "tradeId",
				    json_integer(f[k].trade_id));
		json_array_append_new(fills, one);
	}
	json_object_set_new(j, "fills", fills);
	return j;
}

void
order_place(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *resp = param_get(p, "newOrderRespType");
	struct sim_placement pl;
	struct sim_fill *fills = NULL;
	char gen[SIM_CID_MAX];
	int nfills = 0;
	size_t index;
	bool execute = true, unknown;

	if (!limits_order_check(sim, r))
		return;
	r->order_counts = false; /* a refused order: not guaranteed */
	if (!placement_read(sim, p, &pl, r))
		return;
	if (pl.client_id == NULL) {
		match_client_id(sim, gen, sizeof(gen));
		pl.client_id = gen;
	}
	if (market_cid_in_use(&sim->market, pl.client_id)) {
		reply_error(r, 400, -2010, "Duplicate order sent.");
		return;
	}
	unknown = request_unknown_outcome(sim, r, &execute);
	if (!execute)
		return;
	if (unknown) {
		struct sim_reply lost = {.status = 200};

		if (match_place(sim, &pl, &lost, &fills, &nfills, &index) == 0)
			free(fills);
		reply_clear(&lost);
		return;
	}
	if (match_place(sim, &pl, r, &fills, &nfills, &index) < 0)
		return;
	if (request_chance(sim, sim->cfg.faults.place_reply_loss_rate)) {
		/* Carried out; the reply is lost on its way back. */
		sim->place_replies_lost++;
		free(fills);
		reply_clear(r);
		reply_error(r, 503, -1001,
			    "Internal error; unable to process your request. "
			    "Please try again.");
		return;
	}
	r->order_counts = true;
	if (resp == NULL) /* Binance's default: FULL for these types */
		resp = strcmp(pl.type, "LIMIT_MAKER") == 0 ? "ACK" : "FULL";
	r->body = placement_reply(sim, &sim->market.orders[index], resp, fills,
				  nfills);
	free(fills);
}

/*
 * The order named by orderId or the client id parameter cid_name.  With
 * both, the order of that id whose client id is that: NULL when it is
 * not.  NULL with r set for a malformed request.
 */
static struct sim_order *
lookup_order(struct sim *sim, const struct sim_params *p, const char *cid_name,
	     struct sim_symbol *s, struct sim_reply *r)
{
	const char *oid = param_get(p, "orderId"), *cid = param_get(p, cid_name);
	struct sim_order *o;

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
	if (oid == NULL)
		return market_find(&sim->market, s->name, -1, cid);
	o = market_find(&sim->market, s->name, atoll(oid), NULL);
	if (o != NULL && cid != NULL && strcmp(o->client_id, cid) != 0)
		return NULL;
	return o;
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

/* The reply to a cancel (one element of a cancel-all's). */
static json_t *
cancel_reply(const struct sim_order *o, const char *orig_cid)
{
	json_t *j = json_object();

	json_object_set_new(j, "symbol", json_string(o->symbol));
	json_object_set_new(j, "origClientOrderId", json_string(orig_cid));
	json_object_set_new(j, "orderId", json_integer(o->order_id));
	json_object_set_new(j, "orderListId", json_integer(-1));
	json_object_set_new(j, "clientOrderId", json_string(o->client_id));
	json_object_set_new(j, "transactTime", json_integer(o->update_ms));
	order_fields(j, o);
	json_object_set_new(j, "selfTradePreventionMode",
			    json_string("NONE"));
	return j;
}

/* Cancel o as the cancel's id new_cid (NULL: generated); its reply. */
static json_t *
cancel_one(struct sim *sim, struct sim_order *o, const char *new_cid)
{
	char orig[SIM_CID_MAX], gen[SIM_CID_MAX];

	snprintf(orig, sizeof(orig), "%s", o->client_id);
	if (new_cid == NULL) {
		match_client_id(sim, gen, sizeof(gen));
		new_cid = gen;
	}
	match_cancel(sim, o, new_cid);
	return cancel_reply(o, orig);
}

void
order_cancel(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	const char *new_cid = param_get(p, "newClientOrderId"),
		   *restrict_to = param_get(p, "cancelRestrictions");
	struct sim_order *o;
	bool execute = true;
	json_t *reply;

	if (s == NULL)
		return;
	if (new_cid != NULL && !client_id_ok(new_cid)) {
		reply_illegal(r, "newClientOrderId",
			      "^[\\.A-Z\\:/a-z0-9_-]{1,36}$");
		return;
	}
	if (restrict_to != NULL && strcmp(restrict_to, "ONLY_NEW") &&
	    strcmp(restrict_to, "ONLY_PARTIALLY_FILLED")) {
		reply_illegal(r, "cancelRestrictions",
			      "ONLY_NEW, ONLY_PARTIALLY_FILLED");
		return;
	}
	o = lookup_order(sim, p, "origClientOrderId", s, r);
	if (r->body != NULL)
		return;
	if (o == NULL || !o->open) {
		reply_error(r, 400, -2011, "Unknown order sent.");
		return;
	}
	if (restrict_to != NULL &&
	    strcmp(o->status, strcmp(restrict_to, "ONLY_NEW") == 0
				  ? "NEW"
				  : "PARTIALLY_FILLED") != 0) {
		reply_error(r, 400, -2011,
			    "Order was not canceled due to cancel "
			    "restrictions.");
		return;
	}
	if (request_chance(sim, sim->cfg.faults.cancel_reject_rate)) {
		reply_error(r, 400, -2011, "Order cancel is rejected.");
		return;
	}
	if (request_unknown_outcome(sim, r, &execute)) {
		if (execute) {
			json_decref(cancel_one(sim, o, new_cid));
			account_publish(sim);
		}
		return;
	}
	reply = cancel_one(sim, o, new_cid);
	account_publish(sim);
	r->body = reply;
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
	json_t *list;
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
	list = json_array();
	for (i = 0; i < m->norders; i++) {
		struct sim_order *o = &m->orders[i];

		if (!o->open || strcmp(o->symbol, s->name) != 0)
			continue;
		json_array_append_new(list, cancel_one(sim, o, NULL));
	}
	account_publish(sim);
	if (r->body == NULL)
		r->body = list; /* else the 5xx stands */
	else
		json_decref(list);
}

/* GET /api/v3/account. */
void
order_account(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *omit = param_get(p, "omitZeroBalances");

	if (omit != NULL && strcmp(omit, "true") && strcmp(omit, "false")) {
		reply_illegal(r, "omitZeroBalances", "true, false");
		return;
	}
	r->body = account_json(sim, omit != NULL && strcmp(omit, "true") == 0);
}
