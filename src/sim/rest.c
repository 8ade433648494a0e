/*
 * rest.c - the REST endpoints: one table of routes (method, path, request
 * weight, flags, handler, the parameters it reads) that every file serving
 * an endpoint adds its rows to, and the checks the exchange makes before
 * any handler runs, in its order: path, faults, weight, parameter count
 * and duplicates, X-MBX-TIME-UNIT, API key, timestamp (timing.c) and
 * signature over the request as
 * sent (tap.c), unread parameters.  The handlers of general endpoints
 * (ping, time, exchangeInfo) are here; the orders' are in order.c, the
 * tests' /admin/... in admin.c.  The bytes on the wire are http.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static bool
strip_signature(char *s, char *sig, size_t size)
{
	char *at = strstr(s, "signature=");

	while (at != NULL && at != s && at[-1] != '&')
		at = strstr(at + 1, "signature=");
	if (at == NULL)
		return false;
	snprintf(sig, size, "%s", at + 10);
	if (strchr(sig, '&'))
		return false; /* the signature comes last */
	if (at != s)
		at--; /* drop the '&' before it */
	*at = '\0';
	return true;
}

/* The signature (auth.c) over the query string and the body as sent. */
static bool
signature_ok(const struct sim *sim, const struct sim_pss *pss)
{
	char q[SIM_ARGS_MAX], b[SIM_ARGS_MAX], sig[2048];
	char payload[2 * SIM_ARGS_MAX];
	int n;

	snprintf(q, sizeof(q), "%s", pss->query);
	snprintf(b, sizeof(b), "%.*s", (int)pss->body_len, pss->body);
	if (!strip_signature(b, sig, sizeof(sig)) &&
	    !strip_signature(q, sig, sizeof(sig)))
		return false;
	n = snprintf(payload, sizeof(payload), "%s%s", q, b);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return false;
	return auth_verify(&sim->cfg, payload, (size_t)n, sig);
}

static bool
authorised(struct sim *sim, struct sim_pss *pss, const struct sim_params *p,
           struct sim_reply *r)
{
	const char *ts = param_get(p, "timestamp"),
	           *rw = param_get(p, "recvWindow");
	char msg[256];
	int status, code;

	if (pss->api_key[0] == '\0') {
		reply_error(r, 401, -2014, "API-key format invalid.");
		return false;
	}
	if (strcmp(pss->api_key, sim->cfg.api_key) != 0) {
		reply_error(r, 401, -2015,
		            "Invalid API-key, IP, or permissions for action.");
		return false;
	}
	/* The timing rule, the WebSocket API's too (auth.c). */
	status = auth_timing(ts, rw, sim_now_us(), &code, msg, sizeof(msg));
	if (status != 0) {
		reply_error(r, status, code, msg);
		return false;
	}
	if (param_get(p, "signature") == NULL) {
		reply_mandatory(r, "signature");
		return false;
	}
	if (!signature_ok(sim, pss)) {
		reply_error(r, 400, -1022,
		            "Signature for this request is not valid.");
		return false;
	}
	return true;
}

/* exchangeInfo: every symbol, or those of symbol= or symbols=[...]. */
void
rest_exchange_info(struct sim *sim, const struct sim_params *p,
                   struct sim_reply *r)
{
	const char *one = param_get(p, "symbol"),
	           *list = param_get(p, "symbols");
	json_t *names, *syms, *v;
	json_error_t err;
	size_t i;

	if (one != NULL && list != NULL) {
		reply_error(r, 400, -1106,
		            "Parameter 'symbols' sent when not required.");
		return;
	}
	if (one != NULL) {
		struct sim_symbol *s = request_symbol(sim, one, r);

		if (s == NULL)
			return;
		syms = json_array();
		json_array_append_new(syms, market_symbol_info(s));
		r->body = market_exchange_info(&sim->market, &sim->cfg, syms);
		return;
	}
	if (list == NULL) {
		r->body = market_exchange_info(&sim->market, &sim->cfg, NULL);
		return;
	}
	names = json_loads(list, 0, &err);
	if (!json_is_array(names) || json_array_size(names) == 0) {
		json_decref(names);
		reply_error(r, 400, -1100,
		            "Illegal characters found in parameter 'symbols'; "
		            "legal range is "
		            "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}"
		            "\"){0,}){0,1}\\]$'.");
		return;
	}
	syms = json_array();
	json_array_foreach(names, i, v)
	{
		struct sim_symbol *s;

		if (!json_is_string(v)) {
			reply_error(r, 400, -1100,
			            "Illegal characters found in parameter "
			            "'symbols'.");
			break;
		}
		s = request_symbol(sim, json_string_value(v), r);
		if (s == NULL)
			break;
		json_array_append_new(syms, market_symbol_info(s));
	}
	json_decref(names);
	if (r->body != NULL) {
		json_decref(syms);
		return;
	}
	r->body = market_exchange_info(&sim->market, &sim->cfg, syms);
}

void
rest_ping(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	(void)sim;
	(void)p;
	r->body = json_object();
}

void
rest_time(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	(void)sim;
	(void)p;
	r->body = json_pack("{s:I}", "serverTime", (json_int_t)sim_now_ms());
}

/* ---- routes ----------------------------------------------------------- */

static int
open_orders_weight(const struct sim_params *p)
{
	return param_get(p, "symbol") == NULL ? 80 : 6;
}

/*
 * Every endpoint served, one row each.  A route's params name what it
 * reads besides recvWindow, timestamp and signature, which every signed
 * route reads; anything else sent is -1104.
 */
/* clang-format off */
static const struct sim_route routes[] = {
	{"GET", "/api/v3/ping", 1, 0, rest_ping, "", NULL},
	{"GET", "/api/v3/time", 1, 0, rest_time, "", NULL},
	{"GET", "/api/v3/exchangeInfo", 20, 0, rest_exchange_info, "symbol,symbols,permissions,showPermissionSets,symbolStatus", NULL},
	{"POST", "/api/v3/order", 1, SIM_ROUTE_SIGNED, order_place, "symbol,side,type,timeInForce,quantity,quoteOrderQty,price,newClientOrderId,strategyId,strategyType,stopPrice,trailingDelta,icebergQty,newOrderRespType,selfTradePreventionMode,pegPriceType,pegOffsetValue,pegOffsetType", NULL},
	{"GET", "/api/v3/order", 4, SIM_ROUTE_SIGNED, order_query, "symbol,orderId,origClientOrderId", NULL},
	{"DELETE", "/api/v3/order", 1, SIM_ROUTE_SIGNED, order_cancel, "symbol,orderId,origClientOrderId,newClientOrderId,cancelRestrictions", NULL},
	{"GET", "/api/v3/openOrders", 6, SIM_ROUTE_SIGNED, order_open_list, "symbol", open_orders_weight},
	{"DELETE", "/api/v3/openOrders", 1, SIM_ROUTE_SIGNED, order_cancel_all, "symbol", NULL},
	{"GET", "/api/v3/account", 20, SIM_ROUTE_SIGNED, order_account, "omitZeroBalances", NULL},
	{"POST", "/api/v3/userDataStream", 2, 0, listen_key_create, "", NULL},
	{"PUT", "/api/v3/userDataStream", 2, 0, listen_key_keepalive, "listenKey", NULL},
	{"DELETE", "/api/v3/userDataStream", 2, 0, listen_key_close, "listenKey", NULL},
	/* market data (marketdata.c) */
	{"GET", "/api/v3/depth", 5, 0, marketdata_depth, "symbol,limit,symbolStatus", marketdata_depth_weight},
	{"GET", "/api/v3/trades", 25, 0, marketdata_trades, "symbol,limit", NULL},
	{"GET", "/api/v3/historicalTrades", 25, 0, marketdata_trades, "symbol,limit,fromId", NULL},
	{"GET", "/api/v3/aggTrades", 4, 0, marketdata_agg_trades, "symbol,fromId,startTime,endTime,limit", NULL},
	{"GET", "/api/v3/klines", 2, 0, marketdata_klines, "symbol,interval,startTime,endTime,limit", NULL},
	{"GET", "/api/v3/uiKlines", 2, 0, marketdata_klines, "symbol,interval,startTime,endTime,limit", NULL},
	{"GET", "/api/v3/avgPrice", 2, 0, marketdata_avg_price, "symbol", NULL},
	{"GET", "/api/v3/ticker/24hr", 80, 0, marketdata_ticker_24hr, "symbol,symbols,type,symbolStatus", marketdata_24hr_weight},
	{"GET", "/api/v3/ticker/price", 4, 0, marketdata_ticker_price, "symbol,symbols,symbolStatus", marketdata_ticker_weight},
	{"GET", "/api/v3/ticker/bookTicker", 4, 0, marketdata_book_ticker, "symbol,symbols,symbolStatus", marketdata_ticker_weight},
};
/* clang-format on */

/* Whether name is in the comma-separated list, or signed and implied. */
static bool
accepted_param(const struct sim_route *e, const char *name)
{
	size_t n = strlen(name);
	const char *s;

	if ((e->flags & SIM_ROUTE_SIGNED) &&
	    (strcmp(name, "recvWindow") == 0 ||
	     strcmp(name, "timestamp") == 0 || strcmp(name, "signature") == 0))
		return true;
	for (s = e->params; *s != '\0';
	     s = strchr(s, ',') ? strchr(s, ',') + 1 : "") {
		if (strncmp(s, name, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return true;
	}
	return false;
}

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

void
rest_route(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
           const struct sim_params *p, struct sim_reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	const struct sim_route *e = NULL;
	const char *dup;
	size_t i;
	int read = 0, k;

	if (strncmp(pss->path, "/admin/", 7) == 0) {
		admin_route(sim, wsi, pss, p, r);
		return;
	}
	count_request(sim, pss);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, pss->path) == 0 &&
		    strcmp(routes[i].method, pss->method) == 0)
			e = &routes[i];
	if (e == NULL || !pss->target_ok) {
		reply_not_found(r);
		return;
	}
	if (request_chance(sim, f->hang_rate) &&
	    (e->flags & SIM_ROUTE_SIGNED)) {
		r->hang = true;
		return;
	}
	if (f->ban_count > 0) {
		f->ban_count--;
		r->retry_after = f->retry_after_s > 0 ? f->retry_after_s : -1;
		reply_error(r, 418, -1003,
		            "Way too much request weight used; IP banned.");
		return;
	}
	if (f->rate_limit_count > 0) {
		f->rate_limit_count--;
		r->retry_after = f->retry_after_s > 0 ? f->retry_after_s : -1;
		reply_error(r, 429, -1003,
		            "Too much request weight used; please use "
		            "WebSocket Streams for live updates to avoid "
		            "polling the API.");
		return;
	}
	if (!limits_charge_weight(
	        sim, e->weigh != NULL ? e->weigh(p) : e->weight, r))
		return;
	if (timing_unit(pss->time_unit) < 0) {
		reply_error(r, 400, -1194, timing_unit_msg);
		return;
	}
	if (p->too_many) {
		reply_error(r, 400, -1101,
		            "Too many parameters sent for this endpoint.");
		return;
	}
	if ((dup = params_duplicate(p)) != NULL) {
		reply_error(r, 400, -1101,
		            "Duplicate values for a parameter detected.");
		return;
	}
	if ((e->flags & SIM_ROUTE_SIGNED) && !authorised(sim, pss, p, r))
		return;
	for (k = 0; k < p->n; k++)
		if (accepted_param(e, p->name[k]))
			read++;
	if (read != p->n) {
		char msg[128];

		snprintf(msg, sizeof(msg),
		         "Not all sent parameters were read; read '%d' "
		         "parameter(s) but was sent '%d'.",
		         read, p->n);
		reply_error(r, 400, -1104, msg);
		return;
	}
	e->fn(sim, p, r);
}
