/*
 * rest.c - the Binance Spot REST subset, with the exchange's checks and
 * error shapes, and the faults tests inject (latency on timers, 5xx, 429,
 * 418, requests never answered, cancel rejections).  /admin/... (loopback
 * only, like the whole server) reports state and changes faults at run time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../bot/sign.h"
#include "sim.h"

#define MAX_PARAMS 32

struct params {
	char name[MAX_PARAMS][64];
	char value[MAX_PARAMS][2048]; /* symbols=[...] of 50+ symbols */
	int n;
};

struct reply {
	int status;
	json_t *body;
	char *raw; /* a body already serialised (large listings) */
	bool hang;
	bool with_retry_after;
};

static void
reply_error(struct reply *r, int status, int code, const char *msg)
{
	r->status = status;
	json_decref(r->body);
	r->body = json_pack("{s:i, s:s}", "code", code, "msg", msg);
}

static const char *
param(const struct params *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void
decode(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		if (in[i] == '%' && i + 2 < len && hexval(in[i + 1]) >= 0 &&
		    hexval(in[i + 2]) >= 0) {
			out[o++] = (char)(hexval(in[i + 1]) * 16 +
					  hexval(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	out[o] = '\0';
}

static void
params_add(struct params *p, const char *pair, size_t len, bool encoded)
{
	const char *eq = memchr(pair, '=', len);
	size_t nlen = eq ? (size_t)(eq - pair) : len;

	if (p->n >= MAX_PARAMS || len == 0)
		return;
	if (encoded) {
		decode(pair, nlen, p->name[p->n], sizeof(p->name[0]));
		decode(eq ? eq + 1 : "", eq ? len - nlen - 1 : 0,
		       p->value[p->n], sizeof(p->value[0]));
	} else {
		snprintf(p->name[p->n], sizeof(p->name[0]), "%.*s", (int)nlen,
			 pair);
		snprintf(p->value[p->n], sizeof(p->value[0]), "%.*s",
			 eq ? (int)(len - nlen - 1) : 0, eq ? eq + 1 : "");
	}
	p->n++;
}

/* Parse an x-www-form-urlencoded string into p. */
static void
params_parse(struct params *p, const char *s, bool encoded)
{
	while (*s) {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);

		params_add(p, s, len, encoded);
		s += len;
		if (*s == '&')
			s++;
	}
}

/* Remove "signature=..." from a parameter string; returns the value. */
static bool
strip_signature(char *s, char *sig, size_t size)
{
	char *at = strstr(s, "signature=");

	if (at == NULL || (at != s && at[-1] != '&'))
		return false;
	snprintf(sig, size, "%s", at + 10);
	if (strchr(sig, '&'))
		*strchr(sig, '&') = '\0';
	if (at != s)
		at--; /* drop the '&' before it */
	*at = '\0';
	return true;
}

static bool
signature_ok(const struct sim *sim, const struct sim_pss *pss)
{
	char q[SIM_ARGS_MAX], b[SIM_ARGS_MAX], sig[2048];
	char payload[2 * SIM_ARGS_MAX];
	int n;

	snprintf(q, sizeof(q), "%s", pss->query);
	snprintf(b, sizeof(b), "%.*s", (int)pss->body_len, pss->body);
	if (!strip_signature(q, sig, sizeof(sig)) &&
	    !strip_signature(b, sig, sizeof(sig)))
		return false;
	n = snprintf(payload, sizeof(payload), "%s%s", q, b);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return false;
	return auth_verify(&sim->cfg, payload, (size_t)n, sig);
}

/* The TRADE / USER_DATA checks, in the exchange's order. */
static bool
authorised(struct sim *sim, struct sim_pss *pss, const struct params *p,
	   struct reply *r)
{
	const char *ts = param(p, "timestamp"), *rw = param(p, "recvWindow");
	long long now = sim_now_ms(), t, window = 5000;

	if (pss->api_key[0] == '\0') {
		reply_error(r, 401, -2014, "API-key format invalid.");
		return false;
	}
	if (strcmp(pss->api_key, sim->cfg.api_key) != 0) {
		reply_error(r, 401, -2015,
			    "Invalid API-key, IP, or permissions for action.");
		return false;
	}
	if (ts == NULL || *ts == '\0') {
		reply_error(r, 400, -1102,
			    "Mandatory parameter 'timestamp' was not sent, was "
			    "empty/null, or malformed.");
		return false;
	}
	if (rw != NULL) {
		window = atoll(rw);
		if (window <= 0 || window > 60000) {
			reply_error(r, 400, -1131,
				    "recvWindow must be less than 60000");
			return false;
		}
	}
	t = atoll(ts);
	if (t >= now + 1000) {
		reply_error(r, 400, -1021,
			    "Timestamp for this request was 1000ms ahead of "
			    "the server's time.");
		return false;
	}
	if (now - t > window) {
		reply_error(r, 400, -1021,
			    "Timestamp for this request is outside of the "
			    "recvWindow.");
		return false;
	}
	if (!signature_ok(sim, pss)) {
		reply_error(r, 400, -1022,
			    "Signature for this request is not valid.");
		return false;
	}
	return true;
}

static struct sim_symbol *
need_symbol(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *name = param(p, "symbol");
	struct sim_symbol *s;

	if (name == NULL || *name == '\0') {
		reply_error(r, 400, -1102,
			    "Mandatory parameter 'symbol' was not sent, was "
			    "empty/null, or malformed.");
		return NULL;
	}
	s = market_symbol(&sim->market, &sim->cfg, name);
	if (s == NULL)
		reply_error(r, 400, -1121, "Invalid symbol.");
	return s;
}

/* Roll a percentage. */
static bool
chance(struct sim *sim, int percent)
{
	return percent > 0 && market_rand(&sim->market) * 100.0 < percent;
}

/*
 * A 5xx where the exchange's outcome is unknown: half the time the
 * operation was carried out anyway, as it may be on the real exchange.
 */
static bool
unknown_outcome(struct sim *sim, struct reply *r, bool *execute)
{
	if (!chance(sim, sim->cfg.faults.error_5xx_rate))
		return false;
	*execute = market_rand(&sim->market) < 0.5;
	reply_error(r, 503, -1001,
		    "Internal error; unable to process your request. Please "
		    "try again.");
	return true;
}

static void
post_order(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *side = param(p, "side"), *type = param(p, "type"),
		   *tif = param(p, "timeInForce"), *qty = param(p, "quantity"),
		   *price = param(p, "price"),
		   *cid = param(p, "newClientOrderId"),
		   *resp = param(p, "newOrderRespType");
	struct sim_symbol *s = need_symbol(sim, p, r);
	struct sim_order *o;
	char msg[128], gen[SIM_CID_MAX];
	bool execute = true, unknown;

	if (s == NULL)
		return;
	if (side == NULL || (strcmp(side, "BUY") && strcmp(side, "SELL"))) {
		reply_error(r, 400, -1102,
			    "Mandatory parameter 'side' was not sent, was "
			    "empty/null, or malformed.");
		return;
	}
	if (type == NULL || strcmp(type, "LIMIT") != 0) {
		reply_error(r, 400, -1116, "Invalid orderType.");
		return;
	}
	if (tif == NULL || strcmp(tif, "GTC") != 0) {
		reply_error(r, 400, -1115, "Invalid timeInForce.");
		return;
	}
	if (qty == NULL || price == NULL) {
		reply_error(r, 400, -1102,
			    "Mandatory parameter 'quantity' or 'price' was not "
			    "sent, was empty/null, or malformed.");
		return;
	}
	if (market_check_filters(price, qty, msg, sizeof(msg)) < 0) {
		reply_error(r, 400, -1013, msg);
		return;
	}
	if (cid == NULL || *cid == '\0') {
		snprintf(gen, sizeof(gen), "sim%lld",
			 (long long)sim->market.next_order_id);
		cid = gen;
	}
	if (strlen(cid) > 36) {
		reply_error(r, 400, -1100,
			    "Illegal characters found in parameter "
			    "'newClientOrderId'; legal range is "
			    "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
		return;
	}
	if (market_cid_in_use(&sim->market, cid)) {
		reply_error(r, 400, -2010, "Duplicate order sent.");
		return;
	}
	unknown = unknown_outcome(sim, r, &execute);
	if (!execute)
		return;
	o = market_add(&sim->market, s->name, side, price, qty, cid);
	if (o == NULL) {
		reply_error(r, 500, -1001, "Internal error");
		return;
	}
	if (unknown)
		return;
	if (resp != NULL && strcmp(resp, "ACK") == 0)
		r->body = json_pack("{s:s, s:I, s:i, s:s, s:I}", "symbol",
				    o->symbol, "orderId",
				    (json_int_t)o->order_id, "orderListId", -1,
				    "clientOrderId", o->client_id,
				    "transactTime", (json_int_t)o->time_ms);
	else {
		r->body = market_order_json(o);
		json_object_set_new(r->body, "transactTime",
				    json_integer(o->time_ms));
	}
}

static struct sim_order *
lookup_order(struct sim *sim, const struct params *p, const char *cid_name,
	     struct sim_symbol *s, struct reply *r)
{
	const char *oid = param(p, "orderId"), *cid = param(p, cid_name);

	if (oid == NULL && cid == NULL) {
		reply_error(r, 400, -1102,
			    "Param 'origClientOrderId' or 'orderId' must be "
			    "sent, but both were empty/null!");
		return NULL;
	}
	return market_find(&sim->market, s->name, oid ? atoll(oid) : -1, cid);
}

static void
get_order(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_symbol *s = need_symbol(sim, p, r);
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

static void
delete_order(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_symbol *s = need_symbol(sim, p, r);
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
	if (chance(sim, sim->cfg.faults.cancel_reject_rate)) {
		reply_error(r, 400, -2011, "Order cancel is rejected.");
		return;
	}
	if (unknown_outcome(sim, r, &execute)) {
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

static void
get_open_orders(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_market *m = &sim->market;
	const char *sym = param(p, "symbol");
	size_t i;

	if (sym != NULL && need_symbol(sim, p, r) == NULL)
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
			    (sym != NULL && strcmp(m->orders[i].symbol, sym) != 0))
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

static void
delete_open_orders(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_symbol *s = need_symbol(sim, p, r);
	struct sim_market *m = &sim->market;
	bool execute = true;
	size_t i;

	if (s == NULL)
		return;
	if (market_open_count(m, s->name) == 0) {
		reply_error(r, 400, -2011, "Unknown order sent.");
		return;
	}
	if (chance(sim, sim->cfg.faults.cancel_reject_rate)) {
		reply_error(r, 400, -2011, "Order cancel is rejected.");
		return;
	}
	if (unknown_outcome(sim, r, &execute) && !execute)
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

/* ---- admin ------------------------------------------------------------ */

static json_t *
admin_state(struct sim *sim)
{
	struct sim_market *m = &sim->market;
	json_t *by_symbol = json_object(), *by_prefix = json_object();
	json_t *orders = json_array(), *closes = json_array();
	size_t i;
	int k;

	for (i = 0; i < m->norders; i++) {
		struct sim_order *o = &m->orders[i];
		char prefix[SIM_CID_MAX];
		size_t n = 0;
		json_t *v;

		if (!o->open)
			continue;
		v = json_object_get(by_symbol, o->symbol);
		json_object_set_new(by_symbol, o->symbol,
				    json_integer(json_integer_value(v) + 1));
		while (o->client_id[n] && isalpha((unsigned char)o->client_id[n]))
			n++;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)n, o->client_id);
		v = json_object_get(by_prefix, prefix);
		json_object_set_new(by_prefix, prefix,
				    json_integer(json_integer_value(v) + 1));
		json_array_append_new(orders, market_order_json(o));
	}
	for (k = 0; k < sim->ncloses; k++)
		json_array_append_new(closes,
				      json_pack("{s:i, s:s}", "code",
						sim->closes[k].code, "reason",
						sim->closes[k].reason));
	return json_pack("{s:I, s:o, s:o, s:o, s:O, s:o, s:o}", "open_orders",
			 (json_int_t)market_open_count(m, NULL), "by_symbol",
			 by_symbol, "by_prefix", by_prefix, "orders", orders,
			 "requests", sim->requests, "ws_closes", closes,
			 "ws", stream_state(sim));
}

static void
admin_faults(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	static const struct {
		const char *name;
		size_t off;
	} ints[] = {
		{"latency_ms", offsetof(struct sim_faults, latency_ms)},
		{"jitter_ms", offsetof(struct sim_faults, jitter_ms)},
		{"error_5xx_rate", offsetof(struct sim_faults, error_5xx_rate)},
		{"hang_rate", offsetof(struct sim_faults, hang_rate)},
		{"cancel_reject_rate",
		 offsetof(struct sim_faults, cancel_reject_rate)},
		{"rate_limit_count",
		 offsetof(struct sim_faults, rate_limit_count)},
		{"ban_count", offsetof(struct sim_faults, ban_count)},
		{"retry_after_s", offsetof(struct sim_faults, retry_after_s)},
		{"place_latency_ms",
		 offsetof(struct sim_faults, place_latency_ms)},
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if ((v = param(p, ints[i].name)) != NULL)
			*(int *)((char *)f + ints[i].off) = atoi(v);
	if ((v = param(p, "ws_close")) != NULL) {
		f->ws_close_ignore = strcmp(v, "ignore") == 0;
		stream_ignore_closes(sim, f->ws_close_ignore);
	}
	if (param(p, "ws_drop") != NULL)
		stream_drop_all(sim);
	if (param(p, "ws_garbage") != NULL)
		stream_garbage_all(sim);
	r->body = json_pack(
	    "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "latency_ms",
	    f->latency_ms, "jitter_ms", f->jitter_ms, "error_5xx_rate",
	    f->error_5xx_rate, "hang_rate", f->hang_rate, "cancel_reject_rate",
	    f->cancel_reject_rate, "rate_limit_count", f->rate_limit_count,
	    "ban_count", f->ban_count, "retry_after_s", f->retry_after_s,
	    "place_latency_ms", f->place_latency_ms, "ws_close",
	    f->ws_close_ignore ? "ignore" : "normal");
}

/* Fill a resting order, as the market would. */
static void
admin_fill(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *cid = param(p, "clientOrderId");
	size_t i;

	for (i = 0; cid != NULL && i < sim->market.norders; i++) {
		struct sim_order *o = &sim->market.orders[i];

		if (o->open && strcmp(o->client_id, cid) == 0) {
			o->open = false;
			snprintf(o->status, sizeof(o->status), "FILLED");
			o->update_ms = sim_now_ms();
			r->body = market_order_json(o);
			return;
		}
	}
	reply_error(r, 400, -2013, "Order does not exist.");
}

/* Place an order as someone else on the account (no signature). */
static void
admin_seed(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_symbol *s = need_symbol(sim, p, r);
	const char *cid = param(p, "clientOrderId");
	const char *side = param(p, "side") ? param(p, "side") : "BUY";
	const char *price = param(p, "price") ? param(p, "price") : "50.00";
	const char *qty = param(p, "quantity") ? param(p, "quantity") : "1";
	struct sim_order *o;

	if (s == NULL)
		return;
	if (cid == NULL) {
		reply_error(r, 400, -1102, "clientOrderId required");
		return;
	}
	o = market_add(&sim->market, s->name, side, price, qty, cid);
	r->body = o ? market_order_json(o) : json_object();
}

/* ---- dispatch --------------------------------------------------------- */

static void
count_request(struct sim *sim, const struct sim_pss *pss)
{
	char key[300];
	json_t *v;

	snprintf(key, sizeof(key), "%s %s", pss->method, pss->path);
	v = json_object_get(sim->requests, key);
	json_object_set_new(sim->requests, key,
			    json_integer(json_integer_value(v) + 1));
}

static bool
is(const struct sim_pss *pss, const char *method, const char *path)
{
	return strcmp(pss->method, method) == 0 &&
	       strcmp(pss->path, path) == 0;
}

/* exchangeInfo?symbols=["A","B"]: every one must trade. */
static json_t *
exchange_info_list(struct sim *sim, const char *list)
{
	json_t *names = json_loads(list, 0, NULL), *all, *syms, *v;
	size_t i;

	if (!json_is_array(names)) {
		json_decref(names);
		return NULL;
	}
	all = market_exchange_info(&sim->market, &sim->cfg, NULL);
	syms = json_object_get(all, "symbols");
	json_array_clear(syms);
	json_array_foreach(names, i, v)
	{
		json_t *one;

		if (!json_is_string(v))
			break;
		one = market_exchange_info(&sim->market, &sim->cfg,
					   json_string_value(v));
		if (one == NULL)
			break;
		json_array_extend(syms, json_object_get(one, "symbols"));
		json_decref(one);
	}
	if (i < json_array_size(names)) {
		json_decref(all);
		all = NULL;
	}
	json_decref(names);
	return all;
}

static void
route(struct sim *sim, struct sim_pss *pss, const struct params *p,
      struct reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	bool order_path = strncmp(pss->path, "/api/v3/order", 13) == 0 ||
			  strcmp(pss->path, "/api/v3/openOrders") == 0;

	if (strncmp(pss->path, "/admin/", 7) == 0) {
		if (is(pss, "GET", "/admin/state"))
			r->body = admin_state(sim);
		else if (strcmp(pss->path, "/admin/faults") == 0)
			admin_faults(sim, p, r);
		else if (strcmp(pss->path, "/admin/seed") == 0)
			admin_seed(sim, p, r);
		else if (strcmp(pss->path, "/admin/fill") == 0)
			admin_fill(sim, p, r);
		else
			reply_error(r, 404, -1000, "Unknown admin path.");
		return;
	}
	count_request(sim, pss);
	if (chance(sim, f->hang_rate) && order_path) {
		r->hang = true;
		return;
	}
	if (f->ban_count > 0) {
		f->ban_count--;
		r->with_retry_after = true;
		reply_error(r, 418, -1003,
			    "Way too much request weight used; IP banned.");
		return;
	}
	if (f->rate_limit_count > 0) {
		f->rate_limit_count--;
		r->with_retry_after = true;
		reply_error(r, 429, -1003,
			    "Too much request weight used; please use "
			    "WebSocket Streams for live updates to avoid "
			    "polling the API.");
		return;
	}
	if (is(pss, "GET", "/api/v3/ping")) {
		r->body = json_object();
		return;
	}
	if (is(pss, "GET", "/api/v3/time")) {
		r->body = json_pack("{s:I}", "serverTime",
				    (json_int_t)sim_now_ms());
		return;
	}
	if (is(pss, "GET", "/api/v3/exchangeInfo")) {
		const char *sym = param(p, "symbol");
		const char *list = param(p, "symbols");

		if (list != NULL) {
			r->body = exchange_info_list(sim, list);
			if (r->body == NULL)
				reply_error(r, 400, -1121, "Invalid symbol.");
			return;
		}
		r->body = market_exchange_info(&sim->market, &sim->cfg, sym);
		if (r->body == NULL)
			reply_error(r, 400, -1121, "Invalid symbol.");
		return;
	}
	if (!order_path) {
		reply_error(r, 404, -1000, "Unknown path.");
		return;
	}
	if (!authorised(sim, pss, p, r))
		return;
	if (is(pss, "POST", "/api/v3/order"))
		post_order(sim, p, r);
	else if (is(pss, "GET", "/api/v3/order"))
		get_order(sim, p, r);
	else if (is(pss, "DELETE", "/api/v3/order"))
		delete_order(sim, p, r);
	else if (is(pss, "GET", "/api/v3/openOrders"))
		get_open_orders(sim, p, r);
	else if (is(pss, "DELETE", "/api/v3/openOrders"))
		delete_open_orders(sim, p, r);
	else
		reply_error(r, 405, -1000, "Method not allowed.");
}

static void
rest_timer(lws_sorted_usec_list_t *sul)
{
	struct sim_pss *pss = lws_container_of(sul, struct sim_pss, sul);

	pss->phase = 2;
	lws_callback_on_writable(pss->wsi);
}

static int
dispatch(struct sim *sim, struct lws *wsi, struct sim_pss *pss)
{
	struct params p = {.n = 0};
	struct reply r = {.status = 200};
	struct sim_faults *f = &sim->cfg.faults;
	long long delay = 0;
	char *s;

	params_parse(&p, pss->query, true);
	{
		char body[SIM_ARGS_MAX];

		snprintf(body, sizeof(body), "%.*s", (int)pss->body_len,
			 pss->body);
		params_parse(&p, body, true);
	}
	route(sim, pss, &p, &r);
	if (r.hang) {
		pss->phase = 1; /* never answered */
		return 0;
	}
	if (r.raw != NULL) {
		s = r.raw;
		json_decref(r.body);
	} else {
		if (r.body == NULL)
			r.body = json_object();
		s = json_dumps(r.body, JSON_COMPACT);
		json_decref(r.body);
	}
	if (s == NULL)
		return -1;
	free(pss->response);
	pss->response = malloc(LWS_PRE + strlen(s) + 1);
	if (pss->response == NULL) {
		free(s);
		return -1;
	}
	memcpy(pss->response + LWS_PRE, s, strlen(s) + 1);
	pss->response_len = strlen(s);
	free(s);
	pss->status = r.status;
	pss->retry_after[0] = '\0';
	if (r.with_retry_after && f->retry_after_s > 0)
		snprintf(pss->retry_after, sizeof(pss->retry_after), "%d",
			 f->retry_after_s);
	if (strncmp(pss->path, "/admin/", 7) != 0) {
		delay = f->latency_ms;
		if (f->jitter_ms > 0)
			delay += (long long)(market_rand(&sim->market) *
					     f->jitter_ms);
		if (is(pss, "POST", "/api/v3/order"))
			delay += f->place_latency_ms;
	}
	pss->sim = sim;
	pss->wsi = wsi;
	if (delay > 0) {
		pss->phase = 1;
		lws_sul_schedule(sim->ctx, 0, &pss->sul, rest_timer,
				 delay * LWS_US_PER_MS);
	} else {
		pss->phase = 2;
		lws_callback_on_writable(wsi);
	}
	return 0;
}

static void
copy_query(struct lws *wsi, struct sim_pss *pss)
{
	char frag[1024], enc_name[256], enc_val[1024];
	size_t off = 0;
	int n;

	pss->query[0] = '\0';
	for (n = 0; n < MAX_PARAMS; n++) {
		char *eq;

		if (lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
					  WSI_TOKEN_HTTP_URI_ARGS, n) <= 0)
			break;
		/* lws hands the arguments over decoded: encode them again
		 * the way the client did before signing. */
		eq = strchr(frag, '=');
		if (eq)
			*eq = '\0';
		sign_encode(frag, enc_name, sizeof(enc_name));
		sign_encode(eq ? eq + 1 : "", enc_val, sizeof(enc_val));
		off += (size_t)snprintf(pss->query + off,
					sizeof(pss->query) - off, "%s%s%s%s",
					n ? "&" : "", enc_name, eq ? "=" : "",
					enc_val);
		if (off >= sizeof(pss->query))
			break;
	}
}

int
rest_http(struct sim *sim, struct lws *wsi, void *vpss, const char *uri)
{
	struct sim_pss *pss = vpss;
	static const struct {
		enum lws_token_indexes tok;
		const char *name;
	} methods[] = {
		{WSI_TOKEN_GET_URI, "GET"},
		{WSI_TOKEN_POST_URI, "POST"},
		{WSI_TOKEN_DELETE_URI, "DELETE"},
		{WSI_TOKEN_PUT_URI, "PUT"},
	};
	size_t i;

	memset(pss->method, 0, sizeof(pss->method));
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (lws_hdr_total_length(wsi, methods[i].tok) > 0)
			snprintf(pss->method, sizeof(pss->method), "%s",
				 methods[i].name);
	snprintf(pss->path, sizeof(pss->path), "%s", uri);
	copy_query(wsi, pss);
	pss->api_key[0] = '\0';
	if (lws_hdr_custom_copy(wsi, pss->api_key, sizeof(pss->api_key),
				"x-mbx-apikey:", 13) < 0)
		pss->api_key[0] = '\0';
	pss->body_len = 0;
	{
		char clen[24] = "";

		if (lws_hdr_copy(wsi, clen, sizeof(clen),
				 WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0)
			clen[0] = '\0';
		pss->body_expected =
		    atoll(clen) > 0 && strcmp(pss->method, "GET") != 0;
	}
	if (pss->body_expected)
		return 0; /* answered at LWS_CALLBACK_HTTP_BODY_COMPLETION */
	return dispatch(sim, wsi, pss);
}

int
rest_body(struct sim *sim, struct lws *wsi, void *vpss, const void *in,
	  size_t len)
{
	struct sim_pss *pss = vpss;

	(void)sim;
	(void)wsi;
	if (in == NULL || len == 0)
		return 0;
	if (pss->body_len + len >= sizeof(pss->body))
		len = sizeof(pss->body) - 1 - pss->body_len;
	memcpy(pss->body + pss->body_len, in, len);
	pss->body_len += len;
	return 0;
}

int
rest_body_done(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;

	/* lws signals completion for a POST without a body too: the
	 * request was answered already, and must not run twice. */
	if (!pss->body_expected)
		return 0;
	pss->body_expected = false;
	return dispatch(sim, wsi, pss);
}

int
rest_writeable(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start,
					  *end = &buf[sizeof(buf) - 1];
	char weight[16];

	(void)sim;
	if (pss->phase == 2) {
		if (lws_add_http_common_headers(
			wsi, (unsigned)pss->status,
			"application/json;charset=UTF-8", pss->response_len, &p,
			end))
			return 1;
		snprintf(weight, sizeof(weight), "%d", 1);
		if (lws_add_http_header_by_name(
			wsi, (const unsigned char *)"x-mbx-used-weight-1m:",
			(unsigned char *)weight, (int)strlen(weight), &p, end))
			return 1;
		if (pss->retry_after[0] &&
		    lws_add_http_header_by_name(
			wsi, (const unsigned char *)"retry-after:",
			(unsigned char *)pss->retry_after,
			(int)strlen(pss->retry_after), &p, end))
			return 1;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return 1;
		pss->phase = 3;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (pss->phase != 3)
		return 0;
	if (lws_write(wsi, (unsigned char *)pss->response + LWS_PRE,
		      pss->response_len, LWS_WRITE_HTTP_FINAL) !=
	    (int)pss->response_len)
		return 1;
	free(pss->response);
	pss->response = NULL;
	pss->phase = 0;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

void
rest_closed(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss;

	(void)sim;
	lws_sul_cancel(&pss->sul);
	free(pss->response);
	pss->response = NULL;
}
