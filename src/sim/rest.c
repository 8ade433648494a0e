/*
 * rest.c - the Binance Spot REST subset, as strict as the exchange: the
 * request as sent (tap.c) is what is parsed and signed, every parameter is
 * checked (names, duplicates, formats, precision, filters), request weight
 * is charged per endpoint in fixed one-minute windows with 429 and 418
 * past the limit, and errors have Binance's codes and messages.  Faults
 * tests inject: latency on timers, 5xx, 429, 418, requests never answered,
 * cancel rejections, idle keep-alive connections closed (close_idle, as a
 * load balancer's idle timeout would).  /admin/... (loopback peers only,
 * POST to change anything, GET for the state, an optional token) is the
 * tests' handle.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "../bot/sign.h"
#include "gshutdown.h"
#include "sim.h"

#define MAX_PARAMS 64

struct params {
	char *name[MAX_PARAMS];
	char *value[MAX_PARAMS];
	int n;
	bool too_many;
};

struct reply {
	int status;
	json_t *body;
	char *raw;  /* a body already serialised (large listings) */
	bool html;  /* the exchange's HTML 404 page */
	bool hang;
	int retry_after; /* seconds; < 0: no header */
	bool order_counts;
};

static void
reply_error(struct reply *r, int status, int code, const char *msg)
{
	r->status = status;
	json_decref(r->body);
	r->body = json_pack("{s:i, s:s}", "code", code, "msg", msg);
}

static void
reply_errorf(struct reply *r, int status, int code, const char *fmt,
	     const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	reply_error(r, status, code, msg);
}

static void
reply_not_found(struct reply *r)
{
	r->status = 404;
	r->html = true;
	json_decref(r->body);
	r->body = NULL;
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

static char *
decode(const char *in, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (in[i] == '%' && i + 2 < len && sim_hexval(in[i + 1]) >= 0 &&
		    sim_hexval(in[i + 2]) >= 0) {
			out[o++] = (char)(sim_hexval(in[i + 1]) * 16 +
					  sim_hexval(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Parse an x-www-form-urlencoded string into p. */
static void
params_parse(struct params *p, const char *s, size_t total)
{
	const char *end = s + total;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		size_t len = amp ? (size_t)(amp - s) : (size_t)(end - s);
		const char *eq = memchr(s, '=', len);
		size_t nlen = eq ? (size_t)(eq - s) : len;

		if (len > 0) {
			if (p->n >= MAX_PARAMS) {
				p->too_many = true;
				return;
			}
			p->name[p->n] = decode(s, nlen);
			p->value[p->n] = decode(eq ? eq + 1 : "",
						eq ? len - nlen - 1 : 0);
			if (p->name[p->n] == NULL || p->value[p->n] == NULL) {
				free(p->name[p->n]);
				free(p->value[p->n]);
				p->too_many = true;
				return;
			}
			p->n++;
		}
		s += len;
		if (s < end)
			s++;
	}
}

static void
params_free(struct params *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->value[i]);
	}
	p->n = 0;
}

static const char *
params_duplicate(const struct params *p)
{
	int i, j;

	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			if (strcmp(p->name[i], p->name[j]) == 0)
				return p->name[i];
	return NULL;
}

/* Remove "signature=..." from a parameter string; returns the value. */
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
all_digits(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n > 0 && n <= max;
}

static void
illegal(struct reply *r, const char *name, const char *range)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "Illegal characters found in parameter '%s'; legal range is "
		 "'%s'.",
		 name, range);
	reply_error(r, 400, -1100, msg);
}

static void
mandatory(struct reply *r, const char *name)
{
	reply_errorf(r, 400, -1102,
		     "Mandatory parameter '%s' was not sent, was empty/null, "
		     "or malformed.",
		     name);
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
		mandatory(r, "timestamp");
		return false;
	}
	if (!all_digits(ts, 20)) {
		illegal(r, "timestamp", "^[0-9]{1,20}$");
		return false;
	}
	if (rw != NULL) {
		if (!all_digits(rw, 20)) {
			illegal(r, "recvWindow", "^[0-9]{1,20}$");
			return false;
		}
		window = atoll(rw);
		if (window > 60000) {
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
	if (param(p, "signature") == NULL) {
		mandatory(r, "signature");
		return false;
	}
	if (!signature_ok(sim, pss)) {
		reply_error(r, 400, -1022,
			    "Signature for this request is not valid.");
		return false;
	}
	return true;
}

static bool
symbol_chars_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '_' && *s != '.')
			return false;
	return n >= 1 && n <= 20;
}

static struct sim_symbol *
lookup_symbol(struct sim *sim, const char *name, struct reply *r)
{
	struct sim_symbol *s;

	if (!symbol_chars_ok(name)) {
		illegal(r, "symbol", "^[A-Z0-9-_.]{1,20}$");
		return NULL;
	}
	s = market_symbol(&sim->market, name);
	if (s == NULL)
		reply_error(r, 400, -1121, "Invalid symbol.");
	return s;
}

static struct sim_symbol *
need_symbol(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *name = param(p, "symbol");

	if (name == NULL || *name == '\0') {
		mandatory(r, "symbol");
		return NULL;
	}
	return lookup_symbol(sim, name, r);
}

/* A price or quantity: -1100 when malformed, -1111 past 8 decimals. */
static bool
need_decimal(const struct params *p, const char *name, int64_t *out,
	     struct reply *r)
{
	const char *v = param(p, name);
	int dec;

	if (v == NULL) {
		mandatory(r, name);
		return false;
	}
	dec = sim_decimal(v, out);
	if (dec < 0) {
		illegal(r, name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$");
		return false;
	}
	if (dec > 8) {
		reply_error(r, 400, -1111,
			    "Precision is over the maximum defined for this "
			    "asset.");
		return false;
	}
	return true;
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

static bool
client_id_ok(const char *cid)
{
	size_t n = 0;

	for (; *cid; cid++, n++)
		if (!isalnum((unsigned char)*cid) && !strchr(".:/_-", *cid))
			return false;
	return n >= 1 && n <= 36;
}

static void
post_order(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *side = param(p, "side"), *type = param(p, "type"),
		   *tif = param(p, "timeInForce"),
		   *cid = param(p, "newClientOrderId"),
		   *resp = param(p, "newOrderRespType");
	struct sim_symbol *s = need_symbol(sim, p, r);
	struct sim_order *o;
	char gen[SIM_CID_MAX], price_s[32], qty_s[32], msg[64];
	const char *failed;
	int64_t price, qty;
	bool execute = true, unknown;

	if (s == NULL)
		return;
	if (side == NULL || (strcmp(side, "BUY") && strcmp(side, "SELL"))) {
		mandatory(r, "side");
		return;
	}
	if (type == NULL) {
		mandatory(r, "type");
		return;
	}
	if (strcmp(type, "LIMIT") != 0) {
		reply_error(r, 400, -1116, "Invalid orderType.");
		return;
	}
	if (tif == NULL) {
		mandatory(r, "timeInForce");
		return;
	}
	if (strcmp(tif, "GTC") && strcmp(tif, "IOC") && strcmp(tif, "FOK")) {
		reply_error(r, 400, -1115, "Invalid timeInForce.");
		return;
	}
	if (!need_decimal(p, "quantity", &qty, r) ||
	    !need_decimal(p, "price", &price, r))
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
		illegal(r, "newClientOrderId", "^[\\.A-Z\\:/a-z0-9_-]{1,36}$");
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
	unknown = unknown_outcome(sim, r, &execute);
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

	if ((oid == NULL || *oid == '\0') && (cid == NULL || *cid == '\0')) {
		reply_error(r, 400, -1102,
			    "Param 'origClientOrderId' or 'orderId' must be "
			    "sent, but both were empty/null!");
		return NULL;
	}
	if (oid != NULL && !all_digits(oid, 20)) {
		illegal(r, "orderId", "^[0-9]{1,20}$");
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

	if (sym != NULL && lookup_symbol(sim, sym, r) == NULL)
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

/* GET /api/v3/account: a large balance of every asset, less what the
 * open orders lock. */
static void
get_account(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_market *m = &sim->market;
	json_t *locked = json_object(), *balances = json_array(), *v;
	const char *omit = param(p, "omitZeroBalances");
	const char *asset;
	size_t i;
	int k;

	if (omit != NULL && strcmp(omit, "true") && strcmp(omit, "false")) {
		illegal(r, "omitZeroBalances", "true, false");
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
		json_array_append_new(balances,
				      json_pack("{s:s, s:s, s:s}", "asset",
						asset, "free", free_s,
						"locked", locked_s));
	}
	json_decref(locked);
	r->body = json_pack(
	    "{s:i, s:i, s:i, s:i, s:{s:s, s:s, s:s, s:s}, s:b, s:b, s:b, "
	    "s:b, s:b, s:b, s:I, s:s, s:o, s:[s], s:I}",
	    "makerCommission", 10, "takerCommission", 10, "buyerCommission",
	    0, "sellerCommission", 0, "commissionRates", "maker",
	    "0.00100000", "taker", "0.00100000", "buyer", "0.00000000",
	    "seller", "0.00000000", "canTrade", 1, "canWithdraw", 1,
	    "canDeposit", 1, "brokered", 0, "requireSelfTradePrevention", 0,
	    "preventSor", 0, "updateTime", (json_int_t)sim_now_ms(),
	    "accountType", "SPOT", "balances", balances, "permissions",
	    "SPOT", "uid", (json_int_t)354937868);
}

/* exchangeInfo: every symbol, or those of symbol= or symbols=[...]. */
static void
exchange_info(struct sim *sim, const struct params *p, struct reply *r)
{
	const char *one = param(p, "symbol"), *list = param(p, "symbols");
	json_t *names, *syms, *v;
	json_error_t err;
	size_t i;

	if (one != NULL && list != NULL) {
		reply_error(r, 400, -1106,
			    "Parameter 'symbols' sent when not required.");
		return;
	}
	if (one != NULL) {
		struct sim_symbol *s = lookup_symbol(sim, one, r);

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
			    "legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
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
		s = lookup_symbol(sim, json_string_value(v), r);
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

static void
get_ping(struct sim *sim, const struct params *p, struct reply *r)
{
	(void)sim;
	(void)p;
	r->body = json_object();
}

static void
get_time(struct sim *sim, const struct params *p, struct reply *r)
{
	(void)sim;
	(void)p;
	r->body = json_pack("{s:I}", "serverTime", (json_int_t)sim_now_ms());
}

/* ---- connections ------------------------------------------------------ */

int
sim_conn_fd(struct lws *wsi)
{
	struct lws *nwsi = lws_get_network_wsi(wsi);

	return lws_get_socket_fd(nwsi != NULL ? nwsi : wsi);
}

void
rest_conn_open(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS) {
		sim->conn_state[fd] = 1;
		sim->conn_busy[fd] = 0;
	}
}

/* Upgraded to a WebSocket: never an idle HTTP connection again. */
void
rest_conn_busy(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS && sim->conn_state[fd] != 0)
		sim->conn_state[fd] = 1;
}

void
rest_conn_gone(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS) {
		sim->conn_state[fd] = 0;
		sim->conn_busy[fd] = 0;
	}
}

/* A request began on the connection: it is not idle until it ends. */
static void
rest_conn_request(struct sim *sim, struct sim_pss *pss, int fd)
{
	pss->conn_fd = fd;
	if (fd < 0 || fd >= SIM_CONN_FDS || sim->conn_state[fd] == 0)
		return;
	sim->conn_busy[fd]++;
	pss->conn_counted = true;
}

/* The request ended (answered, reset, or its stream closed). */
static void
rest_conn_request_end(struct sim *sim, struct sim_pss *pss)
{
	int fd = pss->conn_fd;

	if (!pss->conn_counted)
		return;
	pss->conn_counted = false;
	if (sim->conn_busy[fd] > 0)
		sim->conn_busy[fd]--;
}

/* An answer went out: the connection is idle once nothing is in flight. */
static void
rest_conn_answered(struct sim *sim, struct sim_pss *pss)
{
	int fd = pss->conn_fd;

	if (pss->conn_counted && sim->conn_state[fd] != 0)
		sim->conn_state[fd] = 2;
	rest_conn_request_end(sim, pss);
}

/*
 * Close every idle keep-alive connection now, as a server's idle timeout
 * does: a FIN, then libwebsockets reads the end and closes its side.  A
 * connection in the middle of a request, and every WebSocket, is left.
 * Returns how many were closed.
 */
static int
rest_close_idle(struct sim *sim)
{
	struct sockaddr_storage ss;
	int fd, n = 0, listening;

	for (fd = 0; fd < SIM_CONN_FDS; fd++) {
		socklen_t sl = sizeof(ss), il = sizeof(listening);

		if (sim->conn_state[fd] != 2 || sim->conn_busy[fd] != 0)
			continue;
		/* Only a connected socket: never a listener. */
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
			       &il) < 0 ||
		    listening)
			continue;
		if (shutdown(fd, SHUT_RDWR) == 0) {
			sim->conn_state[fd] = 1; /* closing, not idle */
			n++;
		}
	}
	sim->http_idle_closed += n;
	return n;
}

/* ---- admin ------------------------------------------------------------ */

static json_t *
admin_state(struct sim *sim)
{
	struct sim_market *m = &sim->market;
	json_t *by_symbol = json_object(), *by_prefix = json_object();
	json_t *orders = json_array(), *closes = json_array();
	int64_t minute = sim_now_ms() / 60000;
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
	return json_pack(
	    "{s:I, s:o, s:o, s:o, s:O, s:o, s:o, s:{s:i, s:i, s:i}, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b}",
	    "open_orders", (json_int_t)market_open_count(m, NULL), "by_symbol",
	    by_symbol, "by_prefix", by_prefix, "orders", orders, "requests",
	    sim->requests, "ws_closes", closes, "ws", stream_state(sim),
	    "weight", "limit_1m", sim->cfg.weight_limit_1m, "used_1m",
	    sim->weight_window == minute ? sim->weight_used : 0, "peak_1m",
	    sim->weight_peak, "http_429", (json_int_t)sim->count_429,
	    "http_418", (json_int_t)sim->count_418, "http_connections",
	    (json_int_t)sim->http_connections, "http2_connections",
	    (json_int_t)sim->http2_connections, "http2_streams",
	    (json_int_t)sim->http2_streams, "http_idle_closed",
	    (json_int_t)sim->http_idle_closed, "ws_ping_timeouts",
	    (json_int_t)sim->ws_ping_timeouts, "server_time",
	    (json_int_t)sim_now_ms(), "clock_offset_ms",
	    sim->cfg.faults.clock_offset_ms, "stream_paused",
	    (int)sim->cfg.faults.stream_paused);
}

static const struct {
	const char *name;
	size_t off;
	long long min, max;
} fault_ints[] = {
	{"latency_ms", offsetof(struct sim_faults, latency_ms), 0, 600000},
	{"jitter_ms", offsetof(struct sim_faults, jitter_ms), 0, 600000},
	{"error_5xx_rate", offsetof(struct sim_faults, error_5xx_rate), 0, 100},
	{"hang_rate", offsetof(struct sim_faults, hang_rate), 0, 100},
	{"cancel_reject_rate", offsetof(struct sim_faults, cancel_reject_rate),
	 0, 100},
	{"rate_limit_count", offsetof(struct sim_faults, rate_limit_count), 0,
	 1000000},
	{"ban_count", offsetof(struct sim_faults, ban_count), 0, 1000000},
	{"retry_after_s", offsetof(struct sim_faults, retry_after_s), 0, 3600},
	{"place_latency_ms", offsetof(struct sim_faults, place_latency_ms), 0,
	 600000},
	{"clock_offset_ms", offsetof(struct sim_faults, clock_offset_ms),
	 -86400000, 86400000},
};

int
sim_fault_set(struct sim_faults *f, const char *name, const char *value)
{
	long long v;
	size_t i;

	for (i = 0; i < sizeof(fault_ints) / sizeof(fault_ints[0]); i++) {
		if (strcmp(name, fault_ints[i].name) != 0)
			continue;
		if (gs_parse_int(value, fault_ints[i].min, fault_ints[i].max,
				 &v) < 0)
			return -1;
		*(int *)((char *)f + fault_ints[i].off) = (int)v;
		if (strcmp(name, "clock_offset_ms") == 0)
			sim_clock_offset(v);
		return 0;
	}
	if (strcmp(name, "ws_close") == 0) {
		if (strcmp(value, "normal") && strcmp(value, "ignore"))
			return -1;
		f->ws_close_ignore = strcmp(value, "ignore") == 0;
		return 0;
	}
	if (strcmp(name, "stream_paused") == 0) {
		if (gs_parse_int(value, 0, 1, &v) < 0)
			return -1;
		f->stream_paused = v == 1;
		return 0;
	}
	return -2;
}

static void
admin_faults(struct sim *sim, const struct params *p, struct reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	int i, rc;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->name[i], "ws_drop") == 0 ||
		    strcmp(p->name[i], "ws_garbage") == 0 ||
		    strcmp(p->name[i], "close_idle") == 0 ||
		    strcmp(p->name[i], "weight_reset") == 0)
			continue;
		if (strcmp(p->name[i], "weight_limit_1m") == 0) {
			long long v;

			if (gs_parse_int(p->value[i], 1, 100000000, &v) < 0) {
				reply_errorf(r, 400, -1100, "bad value for %s",
					     p->name[i]);
				return;
			}
			sim->cfg.weight_limit_1m = (int)v;
			continue;
		}
		rc = sim_fault_set(f, p->name[i], p->value[i]);
		if (rc < 0) {
			reply_errorf(r, 400, rc == -2 ? -1104 : -1100,
				     rc == -2 ? "unknown fault %s"
					      : "bad value for %s",
				     p->name[i]);
			return;
		}
		if (strcmp(p->name[i], "ws_close") == 0)
			stream_ignore_closes(sim, f->ws_close_ignore);
	}
	if (param(p, "weight_reset") != NULL) {
		sim->weight_used = 0;
		sim->weight_peak = 0;
		sim->limited_until_ms = 0;
		sim->banned_until_ms = 0;
	}
	if (param(p, "ws_drop") != NULL)
		stream_drop_all(sim);
	if (param(p, "ws_garbage") != NULL)
		stream_garbage_all(sim);
	if (param(p, "close_idle") != NULL) {
		int n = rest_close_idle(sim);

		log_info("admin: %d idle HTTP connection%s closed", n,
			 n == 1 ? "" : "s");
	}
	r->body = json_pack(
	    "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:i, s:b, "
	    "s:i}",
	    "latency_ms", f->latency_ms, "jitter_ms", f->jitter_ms,
	    "error_5xx_rate", f->error_5xx_rate, "hang_rate", f->hang_rate,
	    "cancel_reject_rate", f->cancel_reject_rate, "rate_limit_count",
	    f->rate_limit_count, "ban_count", f->ban_count, "retry_after_s",
	    f->retry_after_s, "place_latency_ms", f->place_latency_ms,
	    "ws_close", f->ws_close_ignore ? "ignore" : "normal",
	    "clock_offset_ms", f->clock_offset_ms, "stream_paused",
	    (int)f->stream_paused, "weight_limit_1m",
	    sim->cfg.weight_limit_1m);
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

static bool
loopback_peer(struct lws *wsi)
{
	char ip[64] = "";

	if (lws_get_peer_simple(wsi, ip, sizeof(ip)) == NULL)
		return false;
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	       strncmp(ip, "::ffff:127.", 11) == 0;
}

static void
admin(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
      const struct params *p, struct reply *r)
{
	static const struct {
		const char *path, *method;
		void (*fn)(struct sim *, const struct params *,
			   struct reply *);
	} paths[] = {
		{"/admin/faults", "POST", admin_faults},
		{"/admin/seed", "POST", admin_seed},
		{"/admin/fill", "POST", admin_fill},
	};
	size_t i;

	if (!loopback_peer(wsi)) {
		reply_error(r, 403, -2015, "The admin endpoint is loopback only.");
		return;
	}
	if (sim->cfg.admin_token[0] != '\0' &&
	    strcmp(pss->admin_token, sim->cfg.admin_token) != 0) {
		reply_error(r, 401, -2015, "X-Admin-Token missing or wrong.");
		return;
	}
	if (strcmp(pss->path, "/admin/state") == 0) {
		if (strcmp(pss->method, "GET") != 0) {
			reply_error(r, 405, -1000, "GET only.");
			return;
		}
		r->body = admin_state(sim);
		return;
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (strcmp(pss->path, paths[i].path) != 0)
			continue;
		if (strcmp(pss->method, paths[i].method) != 0) {
			reply_error(r, 405, -1000, "POST only.");
			return;
		}
		paths[i].fn(sim, p, r);
		return;
	}
	reply_not_found(r);
}

/* ---- dispatch --------------------------------------------------------- */

static bool
is(const struct sim_pss *pss, const char *method, const char *path)
{
	return strcmp(pss->method, method) == 0 &&
	       strcmp(pss->path, path) == 0;
}

#define SIGNED_PARAMS "recvWindow", "timestamp", "signature"

static const struct endpoint {
	const char *method, *path;
	int weight;
	bool is_signed;
	bool order; /* counts against ORDERS */
	void (*fn)(struct sim *, const struct params *, struct reply *);
	const char *params[24];
} endpoints[] = {
	{"GET", "/api/v3/ping", 1, false, false, get_ping, {NULL}},
	{"GET", "/api/v3/time", 1, false, false, get_time, {NULL}},
	{"GET", "/api/v3/exchangeInfo", 20, false, false, exchange_info,
	 {"symbol", "symbols", "permissions", "showPermissionSets",
	  "symbolStatus", NULL}},
	{"POST", "/api/v3/order", 1, true, true, post_order,
	 {"symbol", "side", "type", "timeInForce", "quantity",
	  "quoteOrderQty", "price", "newClientOrderId", "strategyId",
	  "strategyType", "stopPrice", "trailingDelta", "icebergQty",
	  "newOrderRespType", "selfTradePreventionMode", "pegPriceType",
	  "pegOffsetValue", "pegOffsetType", SIGNED_PARAMS, NULL}},
	{"GET", "/api/v3/order", 4, true, false, get_order,
	 {"symbol", "orderId", "origClientOrderId", SIGNED_PARAMS, NULL}},
	{"DELETE", "/api/v3/order", 1, true, false, delete_order,
	 {"symbol", "orderId", "origClientOrderId", "newClientOrderId",
	  "cancelRestrictions", SIGNED_PARAMS, NULL}},
	{"GET", "/api/v3/openOrders", 6, true, false, get_open_orders,
	 {"symbol", SIGNED_PARAMS, NULL}},
	{"DELETE", "/api/v3/openOrders", 1, true, false, delete_open_orders,
	 {"symbol", SIGNED_PARAMS, NULL}},
	{"GET", "/api/v3/account", 20, true, false, get_account,
	 {"omitZeroBalances", SIGNED_PARAMS, NULL}},
};

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
seconds_until(int64_t now, int64_t then)
{
	return then > now ? (int)((then - now + 999) / 1000) : 1;
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

/*
 * REQUEST_WEIGHT in fixed one-minute windows.  Past the limit: 429 until
 * the window ends; a client that had a second to see its 429 and still
 * sends in that time is banned (418) for ban_s.
 */
static bool
charge_weight(struct sim *sim, int weight, struct reply *r)
{
	int64_t now = real_ms(), minute = now / 60000;
	char msg[256];

	if (sim->banned_until_ms > now) {
		snprintf(msg, sizeof(msg),
			 "Way too much request weight used; IP banned until "
			 "%lld. Please use WebSocket Streams for live updates "
			 "to avoid bans.",
			 (long long)sim->banned_until_ms);
		reply_error(r, 418, -1003, msg);
		r->retry_after = seconds_until(now, sim->banned_until_ms);
		return false;
	}
	if (sim->limited_until_ms > now &&
	    now - sim->limited_since_ms >= 1000) {
		sim->banned_until_ms = now + (int64_t)sim->cfg.ban_s * 1000;
		sim->limited_until_ms = 0;
		return charge_weight(sim, weight, r);
	}
	if (minute != sim->weight_window) {
		sim->weight_window = minute;
		sim->weight_used = 0;
	}
	sim->weight_used += weight;
	if (sim->weight_used > sim->weight_peak)
		sim->weight_peak = sim->weight_used;
	if (sim->weight_used > sim->cfg.weight_limit_1m) {
		snprintf(msg, sizeof(msg),
			 "Too much request weight used; current limit is %d "
			 "request weight per 1 MINUTE. Please use WebSocket "
			 "Streams for live updates to avoid polling the API.",
			 sim->cfg.weight_limit_1m);
		reply_error(r, 429, -1003, msg);
		if (sim->limited_until_ms <= now)
			sim->limited_since_ms = now;
		sim->limited_until_ms = (minute + 1) * 60000;
		r->retry_after = seconds_until(now, sim->limited_until_ms);
		return false;
	}
	return true;
}

/* ORDERS: 10-second and one-day windows. */
static bool
charge_order(struct sim *sim, struct reply *r)
{
	int64_t now = real_ms();
	char msg[128];

	if (now / 10000 != sim->order_window_10s) {
		sim->order_window_10s = now / 10000;
		sim->orders_10s = 0;
	}
	if (now / 86400000 != sim->order_window_1d) {
		sim->order_window_1d = now / 86400000;
		sim->orders_1d = 0;
	}
	sim->orders_10s++;
	sim->orders_1d++;
	r->order_counts = true;
	if (sim->orders_10s > sim->cfg.order_limit_10s) {
		snprintf(msg, sizeof(msg),
			 "Too many new orders; current limit is %d orders per "
			 "10 SECOND.",
			 sim->cfg.order_limit_10s);
		reply_error(r, 429, -1015, msg);
		r->retry_after =
		    seconds_until(now, (sim->order_window_10s + 1) * 10000);
		return false;
	}
	if (sim->orders_1d > sim->cfg.order_limit_1d) {
		snprintf(msg, sizeof(msg),
			 "Too many new orders; current limit is %d orders per "
			 "DAY.",
			 sim->cfg.order_limit_1d);
		reply_error(r, 429, -1015, msg);
		r->retry_after =
		    seconds_until(now, (sim->order_window_1d + 1) * 86400000);
		return false;
	}
	return true;
}

static bool
accepted_param(const struct endpoint *e, const char *name)
{
	int i;

	for (i = 0; e->params[i] != NULL; i++)
		if (strcmp(e->params[i], name) == 0)
			return true;
	return false;
}

static void
route(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
      const struct params *p, struct reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	const struct endpoint *e = NULL;
	const char *dup;
	size_t i;
	int read = 0, k;

	if (strncmp(pss->path, "/admin/", 7) == 0) {
		admin(sim, wsi, pss, p, r);
		return;
	}
	count_request(sim, pss);
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(endpoints[i].path, pss->path) == 0 &&
		    strcmp(endpoints[i].method, pss->method) == 0)
			e = &endpoints[i];
	if (e == NULL || !pss->target_ok) {
		reply_not_found(r);
		return;
	}
	if (chance(sim, f->hang_rate) && e->is_signed) {
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
	if (!charge_weight(sim, e->fn == get_open_orders &&
					param(p, "symbol") == NULL
				    ? 80
				    : e->weight,
			   r))
		return;
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
	if (e->is_signed && !authorised(sim, pss, p, r))
		return;
	for (k = 0; k < p->n; k++)
		if (accepted_param(e, p->name[k]))
			read++;
	if (read != p->n) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "Not all sent parameters were read; read %d "
			 "parameter(s) but was sent %d.",
			 read, p->n);
		reply_error(r, 400, -1104, msg);
		return;
	}
	if (e->order && !charge_order(sim, r))
		return;
	e->fn(sim, p, r);
}

static void
rest_timer(lws_sorted_usec_list_t *sul)
{
	struct sim_pss *pss = lws_container_of(sul, struct sim_pss, sul);

	pss->phase = 2;
	lws_callback_on_writable(pss->wsi);
}

static const char not_found_page[] =
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n";

static int
dispatch(struct sim *sim, struct lws *wsi, struct sim_pss *pss)
{
	struct params p = {.n = 0};
	struct reply r = {.status = 200, .retry_after = -1};
	struct sim_faults *f = &sim->cfg.faults;
	long long delay = 0;
	char *s;

	params_parse(&p, pss->query, strlen(pss->query));
	params_parse(&p, pss->body, pss->body_len);
	route(sim, wsi, pss, &p, &r);
	params_free(&p);
	if (r.status == 429)
		sim->count_429++;
	else if (r.status == 418)
		sim->count_418++;
	if (r.hang) {
		pss->phase = 1; /* never answered */
		return 0;
	}
	if (r.html) {
		s = strdup(not_found_page);
	} else if (r.raw != NULL) {
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
	pss->response_off = 0;
	free(s);
	pss->status = r.status;
	pss->html = r.html;
	pss->is_admin = strncmp(pss->path, "/admin/", 7) == 0;
	pss->order_counts = r.order_counts;
	pss->retry_after[0] = '\0';
	if (r.retry_after >= 0)
		snprintf(pss->retry_after, sizeof(pss->retry_after), "%d",
			 r.retry_after);
	if (!pss->is_admin) {
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

/*
 * The next query argument of a target as sent, the way libwebsockets
 * splits and decodes it into URI_ARGS fragments: an unencoded '&' or ';'
 * ends one (empty ones too), an unencoded '+' is a
 * space, "%XX" is its byte, and an encoded '=' before the first literal
 * one becomes '_'.  *p advances past it; false at the end.
 */
static bool
next_arg(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t o = 0;
	bool named = false; /* a literal '=' was seen */

	if (s == NULL)
		return false;
	for (; *s != '\0' && *s != '&' && *s != ';'; s++) {
		int c = (unsigned char)*s, hi, lo;

		if (c == '+') {
			c = ' ';
		} else if (c == '=') {
			named = true;
		} else if (c == '%' &&
			   (hi = sim_hexval((unsigned char)s[1])) >= 0 &&
			   (lo = sim_hexval((unsigned char)s[2])) >= 0) {
			c = hi * 16 + lo;
			s += 2;
			if (c == '=' && !named)
				c = '_';
		}
		if (o + 1 < size)
			out[o++] = (char)c;
	}
	out[o] = '\0';
	*p = *s != '\0' ? s + 1 : NULL;
	return true;
}

/*
 * Whether the tapped request is the one libwebsockets hands over: the same
 * method, the same path, and the same query arguments in the same order
 * (lws has them decoded).
 */
static bool
tap_target_mine(struct lws *wsi, const char *have_method, const char *method,
		const char *target, const char *uri)
{
	char frag[SIM_ARGS_MAX], mine[SIM_ARGS_MAX];
	const char *q = strchr(target, '?'), *p = q != NULL ? q + 1 : NULL;
	int k = 0;

	/* A method libwebsockets names (GET, POST, DELETE, PUT). */
	if (method != NULL && have_method[0] != '\0' &&
	    strcmp(method, have_method) != 0)
		return false;
	if (!tap_target_matches(target, uri))
		return false;
	/* Empty arguments aside: libwebsockets keeps them over HTTP/2 and
	 * not over HTTP/1.1. */
	for (;;) {
		bool more_mine, more_lws;

		while ((more_mine = next_arg(&p, mine, sizeof(mine))) &&
		       mine[0] == '\0')
			;
		while ((more_lws = lws_hdr_copy_fragment(
			    wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS,
			    k++) >= 0) &&
		       frag[0] == '\0')
			;
		/* Over HTTP/1.1 libwebsockets ends the arguments of a query
		 * that ends in '?' or '&' with a "/" of its own. */
		if (!more_mine && more_lws && strcmp(frag, "/") == 0)
			more_lws = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
							 WSI_TOKEN_HTTP_URI_ARGS,
							 k) >= 0;
		if (!more_mine || !more_lws)
			return more_mine == more_lws;
		if (strcmp(frag, mine) != 0)
			return false;
	}
}

struct mine_arg {
	struct lws *wsi;
	const char *method; /* as libwebsockets has it */
	const char *uri;
};

static bool
tap_target_mine_cb(const char *method, const char *target, void *arg)
{
	const struct mine_arg *m = arg;

	return tap_target_mine(m->wsi, m->method, method, target, m->uri);
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
	char *q;
	int nth;
	bool h2_body;

	rest_conn_request(sim, pss, sim_conn_fd(wsi));
	memset(pss->method, 0, sizeof(pss->method));
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (lws_hdr_total_length(wsi, methods[i].tok) > 0)
			snprintf(pss->method, sizeof(pss->method), "%s",
				 methods[i].name);
	/* The target as sent, not as libwebsockets normalised it. */
	if (tap_is_h2(pss->conn_fd)) {
		struct mine_arg m = {wsi, pss->method, uri};

		nth = tap_take_match(pss->conn_fd, pss->target,
				     sizeof(pss->target), tap_target_mine_cb,
				     &m);
	} else {
		nth = tap_take(pss->conn_fd, pss->target, sizeof(pss->target));
	}
	pss->target_ok = nth > 0;
	if (!pss->target_ok)
		pss->target[0] = '\0';
	if (nth == -2 || nth == -3 || nth == -4 ||
	    (pss->target_ok &&
	     !tap_target_mine(wsi, pss->method, NULL, pss->target, uri))) {
		/* Never answer, nor check the signature of, one request
		 * with another's target: this connection is out of step. */
		struct lws *nwsi = lws_get_network_wsi(wsi);

		log_warn("%s: closing the connection",
			 nth == -2   ? "too many pipelined requests"
			 : nth == -4 ? "HTTP/2 requests not told apart"
				     : "request target out of step");
		lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
		/* Over HTTP/2 the stream's end is not the connection's. */
		if (nwsi != NULL && nwsi != wsi)
			lws_set_timeout(nwsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
					LWS_TO_KILL_ASYNC);
		return -1;
	}
	if (strncmp(pss->target, "/admin/", 7) != 0) {
		/* A client's, not a test's. */
		bool h2 = tap_is_h2(pss->conn_fd);

		if (nth == 1)
			sim->http_connections++;
		if (nth == 1 && h2)
			sim->http2_connections++;
		if (h2)
			sim->http2_streams++;
	}
	q = strchr(pss->target, '?');
	snprintf(pss->path, sizeof(pss->path), "%.*s",
		 q ? (int)(q - pss->target) : (int)strlen(pss->target),
		 pss->target);
	snprintf(pss->query, sizeof(pss->query), "%s", q ? q + 1 : "");
	/* As sent, too: libwebsockets keeps no custom header of an HTTP/2
	 * request. */
	h2_body = false;
	if (pss->target_ok) {
		h2_body = tap_taken_headers(pss->conn_fd, pss->api_key,
					    sizeof(pss->api_key),
					    pss->admin_token,
					    sizeof(pss->admin_token),
					    &pss->h2_id);
	} else {
		if (lws_hdr_custom_copy(wsi, pss->api_key,
					sizeof(pss->api_key), "x-mbx-apikey:",
					13) < 0)
			pss->api_key[0] = '\0';
		if (lws_hdr_custom_copy(wsi, pss->admin_token,
					sizeof(pss->admin_token),
					"x-admin-token:", 14) < 0)
			pss->admin_token[0] = '\0';
	}
	pss->body_len = 0;
	{
		char clen[24] = "";

		if (lws_hdr_copy(wsi, clen, sizeof(clen),
				 WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0)
			clen[0] = '\0';
		/* A body is read to its end when announced, or when an
		 * HTTP/2 request without content-length has DATA to come.
		 * (An empty DATA frame that ends the stream after
		 * "content-length: 0" is waited for before the answer:
		 * rest_writeable.) */
		pss->body_expected =
		    (clen[0] != '\0' ? atoll(clen) > 0 : h2_body) &&
		    strcmp(pss->method, "GET") != 0;
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

static int
add_header(struct lws *wsi, const char *name, const char *value,
	   unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

int
rest_writeable(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start,
					  *end = &buf[sizeof(buf) - 1];
	char v[24];

	if (pss->phase == 2 && tap_request_open(pss->conn_fd, pss->h2_id)) {
		/* libwebsockets calls a body of "content-length: 0" complete
		 * before the DATA frame that ends the stream.  The answer
		 * ends the stream too, and then that frame, arriving for a
		 * stream gone, costs the whole connection (GOAWAY): answer
		 * once the request has ended.  Looked at after 1, 2, 4 ...
		 * up to 64 ms; a client that never ends it is answered
		 * after SIM_H2_END_WAIT_MS all the same. */
		int64_t now = gs_mono_ns() / 1000000;

		if (pss->h2_wait_ms == 0)
			pss->h2_wait_since = now;
		if (now - pss->h2_wait_since < SIM_H2_END_WAIT_MS) {
			pss->h2_wait_ms = pss->h2_wait_ms == 0 ? 1
					  : pss->h2_wait_ms < 64
					      ? 2 * pss->h2_wait_ms
					      : 64;
			pss->phase = 1;
			lws_sul_schedule(sim->ctx, 0, &pss->sul, rest_timer,
					 pss->h2_wait_ms * LWS_US_PER_MS);
			return 0;
		}
	}
	if (pss->phase == 2) {
		if (lws_add_http_common_headers(
			wsi, (unsigned)pss->status,
			pss->html ? "text/html"
				  : "application/json;charset=UTF-8",
			pss->response_len, &p, end))
			return 1;
		if (!pss->is_admin) {
			snprintf(v, sizeof(v), "%d",
				 sim->weight_window == real_ms() / 60000
				     ? sim->weight_used
				     : 0);
			if (add_header(wsi, "x-mbx-used-weight-1m:", v, &p,
				       end) ||
			    add_header(wsi, "x-mbx-used-weight:", v, &p, end))
				return 1;
		}
		if (pss->order_counts) {
			snprintf(v, sizeof(v), "%d", sim->orders_10s);
			if (add_header(wsi, "x-mbx-order-count-10s:", v, &p,
				       end))
				return 1;
			snprintf(v, sizeof(v), "%d", sim->orders_1d);
			if (add_header(wsi, "x-mbx-order-count-1d:", v, &p,
				       end))
				return 1;
		}
		if (pss->retry_after[0] &&
		    add_header(wsi, "retry-after:", pss->retry_after, &p, end))
			return 1;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return 1;
		pss->phase = 3;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (pss->phase != 3)
		return 0;
	{
		/* Over HTTP/2 a chunk per writeable callback, one DATA frame
		 * at most; the final one, which ends the stream, small:
		 * libwebsockets 4.1 sends only about 4 KiB of a final write
		 * to an HTTP/2 stream and ends the stream anyway.  The
		 * LWS_PRE bytes before a chunk, already sent, take its frame
		 * header. */
		size_t left = pss->response_len - pss->response_off;
		size_t n = left;
		bool last;

		if (left > SIM_WRITE_FINAL && lws_get_network_wsi(wsi) != wsi)
			n = left - SIM_WRITE_FINAL < SIM_WRITE_CHUNK
				? left - SIM_WRITE_FINAL
				: SIM_WRITE_CHUNK;
		last = n == left;

		if (lws_write(wsi,
			      (unsigned char *)pss->response + LWS_PRE +
				  pss->response_off,
			      n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
		    (int)n)
			return 1;
		pss->response_off += n;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	free(pss->response);
	pss->response = NULL;
	pss->phase = 0;
	rest_conn_answered(sim, pss);
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

void
rest_closed(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss;

	rest_conn_request_end(sim, pss);
	lws_sul_cancel(&pss->sul);
	free(pss->response);
	pss->response = NULL;
}
