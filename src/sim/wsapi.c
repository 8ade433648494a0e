/*
 * wsapi.c - the WebSocket API's requests (/ws-api/v3), as Binance's
 * web-socket-api.md has them: one JSON text frame per request,
 * {"id","method","params"}, answered {"id","status","result","rateLimits"}
 * or {"id","status","error":{"code","msg"},"rateLimits"}.
 *
 * Signed requests carry apiKey, timestamp, recvWindow and signature in
 * params; the signature is over every other parameter sorted by name and
 * joined key=value&..., checked by auth.c as REST's is (HMAC in hex of
 * either case, Ed25519 and RSA in base64), under the same timestamp and
 * recvWindow rule.  After session.logon (Ed25519 keys only) the session's
 * key stands in for apiKey and signature.  Weights count against the same
 * REQUEST_WEIGHT as REST's; order.place, order.status, order.cancel,
 * openOrders.status and openOrders.cancelAll are order.c's operations,
 * REST's own.  The user data stream's subscriptions are userstream.c's;
 * this file only asks for them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gshutdown.h"
#include "sim.h"
#include "userstream.h"

/* The request's params: the JSON object, and each value as text as the
 * signature reads it (and order.c takes it). */
struct wparams {
	json_t *obj;
	struct sim_params sp;
};

struct wreply {
	int status;
	json_t *result;
	int code;
	char msg[256];
	int64_t retry_after_ms; /* 429, 418: error.data */
	bool orders;		/* the ORDERS limits are reported too */
	int hold_ms;		/* the reply waits this long (place fault) */
};

static void
fail(struct wreply *r, int status, int code, const char *msg)
{
	r->status = status;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	json_decref(r->result);
	r->result = NULL;
}

static void
failf(struct wreply *r, int status, int code, const char *fmt,
      const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	fail(r, status, code, msg);
}

static void
mandatory(struct wreply *r, const char *name)
{
	failf(r, 400, -1102,
	      "Mandatory parameter '%s' was not sent, was empty/null, or "
	      "malformed.",
	      name);
}

static const char *
param(const struct wparams *p, const char *name)
{
	return param_get(&p->sp, name);
}

/* A value as text: a string as it is, anything else as JSON. */
static char *
value_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return strdup(buf);
	}
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static bool
wparams_load(struct wparams *p, json_t *obj)
{
	const char *name;
	json_t *v;

	p->obj = obj;
	json_object_foreach(obj, name, v)
	{
		char *text = value_text(v);
		int rc = text != NULL ? params_add(&p->sp, name, text) : -1;

		free(text);
		if (rc < 0)
			return false;
	}
	return true;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The signature payload: every parameter but signature, sorted by name,
 * key=value joined by '&'.  NULL when it does not fit.
 */
static char *
payload(const struct wparams *p, size_t *len)
{
	const char *names[SIM_MAX_PARAMS];
	size_t cap = 1, off = 0;
	char *out;
	int i, n = 0;

	for (i = 0; i < p->sp.n; i++) {
		if (strcmp(p->sp.name[i], "signature") == 0)
			continue;
		names[n++] = p->sp.name[i];
		cap += strlen(p->sp.name[i]) + strlen(p->sp.value[i]) + 2;
	}
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%s=%s",
					i ? "&" : "", names[i],
					param(p, names[i]));
	*len = off;
	return out;
}

/*
 * auth.c reads a signature as a query string carries it: percent-encode
 * the raw one (base64's '+', '/', '='), and an HMAC in lowercase, since
 * the WebSocket API takes hex of either case.
 */
static bool
signature_ok(struct sim *sim, const struct wparams *p, const char *sig)
{
	char enc[3 * 1024 + 1];
	size_t o = 0, len = 0;
	char *pl;
	bool ok;

	for (; *sig; sig++) {
		unsigned char ch = (unsigned char)*sig;

		if (o + 4 > sizeof(enc))
			return false;
		if (isalnum(ch))
			enc[o++] = sim->cfg.key_type == SIM_KEY_HMAC
				       ? (char)tolower(ch)
				       : (char)ch;
		else
			o += (size_t)snprintf(enc + o, 4, "%%%02X", ch);
	}
	enc[o] = '\0';
	pl = payload(p, &len);
	if (pl == NULL)
		return false;
	ok = auth_verify(&sim->cfg, pl, len, enc);
	free(pl);
	return ok;
}

/*
 * SIGNED: an apiKey and signature of the request's own, or the session's
 * key after session.logon; a timestamp either way.
 */
static bool
authorised(struct sim *sim, struct us_conn *c, const struct wparams *p,
	   struct wreply *r)
{
	const char *key = param(p, "apiKey"), *sig = param(p, "signature");
	bool session = key == NULL && sig == NULL && c->authorized_ms != 0;
	char msg[256];
	int status, code;

	if (!session) {
		if (key == NULL || *key == '\0') {
			mandatory(r, "apiKey");
			return false;
		}
		if (strcmp(key, sim->cfg.api_key) != 0) {
			fail(r, 401, -2015,
			     "Invalid API-key, IP, or permissions for action.");
			return false;
		}
	}
	status = auth_timing(param(p, "timestamp"), param(p, "recvWindow"),
			     sim_now_us(), &code, msg, sizeof(msg));
	if (status != 0) {
		fail(r, status, code, msg);
		return false;
	}
	if (session)
		return true;
	if (sig == NULL || *sig == '\0') {
		mandatory(r, "signature");
		return false;
	}
	if (!signature_ok(sim, p, sig)) {
		fail(r, 400, -1022, "Signature for this request is not valid.");
		return false;
	}
	return true;
}

/* ---- methods --------------------------------------------------------------- */

typedef void method_fn(struct sim *, struct us_conn *, struct wparams *,
		       struct wreply *);

static void
m_ping(struct sim *sim, struct us_conn *c, struct wparams *p,
       struct wreply *r)
{
	(void)sim;
	(void)c;
	(void)p;
	r->result = json_object();
}

static void
m_time(struct sim *sim, struct us_conn *c, struct wparams *p,
       struct wreply *r)
{
	(void)sim;
	(void)c;
	(void)p;
	r->result = json_pack("{s:I}", "serverTime", (json_int_t)sim_now_ms());
}

static void
m_exchange_info(struct sim *sim, struct us_conn *c, struct wparams *p,
		struct wreply *r)
{
	json_t *one = json_object_get(p->obj, "symbol");
	json_t *list = json_object_get(p->obj, "symbols"), *syms, *v;
	size_t i;

	(void)c;
	if (one != NULL && list != NULL) {
		fail(r, 400, -1106,
		     "Parameter 'symbols' sent when not required.");
		return;
	}
	if (one == NULL && list == NULL) {
		r->result = market_exchange_info(&sim->market, &sim->cfg, NULL);
		return;
	}
	if (one != NULL) {
		list = json_pack("[O]", one);
	} else if (json_is_array(list) && json_array_size(list) > 0) {
		json_incref(list);
	} else {
		failf(r, 400, -1100,
		      "Illegal characters found in parameter '%s'.", "symbols");
		return;
	}
	syms = json_array();
	json_array_foreach(list, i, v)
	{
		struct sim_symbol *s = json_is_string(v)
					   ? market_symbol(&sim->market,
							   json_string_value(v))
					   : NULL;

		if (s == NULL) {
			fail(r, 400, -1121, "Invalid symbol.");
			break;
		}
		json_array_append_new(syms, market_symbol_info(s));
	}
	json_decref(list);
	if (r->status != 200) {
		json_decref(syms);
		return;
	}
	r->result = market_exchange_info(&sim->market, &sim->cfg, syms);
}

static json_t *
session_json(struct sim *sim, struct us_conn *c)
{
	json_t *j = json_object();

	json_object_set_new(j, "apiKey",
			    c->authorized_ms ? json_string(sim->cfg.api_key)
					     : json_null());
	json_object_set_new(j, "authorizedSince",
			    c->authorized_ms ? json_integer(c->authorized_ms)
					     : json_null());
	json_object_set_new(j, "connectedSince",
			    json_integer(c->connected_ms));
	json_object_set_new(j, "returnRateLimits",
			    json_boolean(c->return_rate_limits));
	json_object_set_new(j, "serverTime", json_integer(sim_now_ms()));
	json_object_set_new(j, "userDataStream", json_boolean(c->sub_id >= 0));
	return j;
}

/* Only an Ed25519 key may log a session on. */
static void
m_logon(struct sim *sim, struct us_conn *c, struct wparams *p,
	struct wreply *r)
{
	(void)p;
	if (sim->cfg.key_type != SIM_KEY_ED25519) {
		fail(r, 401, -2015,
		     "Invalid API-key, IP, or permissions for action.");
		return;
	}
	c->authorized_ms = sim_now_ms();
	r->result = session_json(sim, c);
}

static void
m_status(struct sim *sim, struct us_conn *c, struct wparams *p,
	 struct wreply *r)
{
	(void)p;
	r->result = session_json(sim, c);
}

/* The subscription that userDataStream.subscribe made goes with it. */
static void
m_logout(struct sim *sim, struct us_conn *c, struct wparams *p,
	 struct wreply *r)
{
	(void)p;
	if (c->sub_id >= 0 && c->sub_by_logon)
		userstream_unsubscribe(c, c->sub_id);
	c->authorized_ms = 0;
	r->result = session_json(sim, c);
}

static void
subscribed(struct wreply *r, int id)
{
	if (id == -2035)
		fail(r, 400, -2035, "User Data Stream subscription already "
				    "active.");
	else if (id == -2042)
		fail(r, 400, -2042, "Maximum subscription ID reached for this "
				    "connection.");
	else
		r->result = json_pack("{s:i}", "subscriptionId", id);
}

static void
m_subscribe(struct sim *sim, struct us_conn *c, struct wparams *p,
	    struct wreply *r)
{
	(void)sim;
	(void)p;
	if (c->authorized_ms == 0) {
		fail(r, 401, -2015,
		     "Invalid API-key, IP, or permissions for action.");
		return;
	}
	subscribed(r, userstream_subscribe(c, true));
}

static void
m_subscribe_signature(struct sim *sim, struct us_conn *c, struct wparams *p,
		      struct wreply *r)
{
	(void)sim;
	(void)p;
	subscribed(r, userstream_subscribe(c, false));
}

static void
m_unsubscribe(struct sim *sim, struct us_conn *c, struct wparams *p,
	      struct wreply *r)
{
	json_t *id = json_object_get(p->obj, "subscriptionId");

	(void)sim;
	if (id != NULL && (!json_is_integer(id) || json_integer_value(id) < 0 ||
			   json_integer_value(id) > US_SUB_IDS)) {
		failf(r, 400, -1100,
		      "Illegal characters found in parameter '%s'; legal range "
		      "is '^[0-9]{1,5}$'.",
		      "subscriptionId");
		return;
	}
	if (userstream_unsubscribe(c, id ? (int)json_integer_value(id) : -1) <
	    0) {
		fail(r, 400, -2036, "User Data Stream subscription not active.");
		return;
	}
	r->result = json_object();
}

static void
m_subscriptions(struct sim *sim, struct us_conn *c, struct wparams *p,
		struct wreply *r)
{
	(void)sim;
	(void)p;
	r->result = json_array();
	if (c->sub_id >= 0)
		json_array_append_new(r->result,
				      json_pack("{s:i}", "subscriptionId",
						c->sub_id));
}

/*
 * The order operations are order.c's, REST's own: the params go in as
 * they are (with the key of the request or of the session), the reply
 * comes back as the result or as Binance's error.
 */
static void
order_call(struct sim *sim, struct wparams *p, struct wreply *r,
	   sim_handler *fn)
{
	struct sim_reply sr = {.status = 200, .retry_after = -1};
	const char *key = param(p, "apiKey"), *msg;
	json_t *body;

	p->sp.api_key = key != NULL ? key : sim->cfg.api_key;
	fn(sim, &p->sp, &sr);
	body = sr.raw != NULL ? json_loads(sr.raw, 0, NULL)
			      : json_incref(sr.body);
	if (sr.status == 200) {
		r->result = body != NULL ? body : json_object();
	} else {
		msg = json_string_value(json_object_get(body, "msg"));
		fail(r, sr.status,
		     (int)json_integer_value(json_object_get(body, "code")),
		     msg != NULL ? msg : "");
		json_decref(body);
	}
	reply_clear(&sr);
}

/* A new order counts against ORDERS as on REST: order_place keeps the
 * unfilled order count (-1015) for both. */
static void
m_order_place(struct sim *sim, struct us_conn *c, struct wparams *p,
	      struct wreply *r)
{
	(void)c;
	r->orders = true;
	order_call(sim, p, r, order_place);
}

static void
m_order_status(struct sim *sim, struct us_conn *c, struct wparams *p,
	       struct wreply *r)
{
	(void)c;
	order_call(sim, p, r, order_query);
}

static void
m_order_cancel(struct sim *sim, struct us_conn *c, struct wparams *p,
	       struct wreply *r)
{
	(void)c;
	order_call(sim, p, r, order_cancel);
}

static void
m_open_orders(struct sim *sim, struct us_conn *c, struct wparams *p,
	      struct wreply *r)
{
	(void)c;
	order_call(sim, p, r, order_open_list);
}

static void
m_cancel_all(struct sim *sim, struct us_conn *c, struct wparams *p,
	     struct wreply *r)
{
	(void)c;
	order_call(sim, p, r, order_cancel_all);
}

enum sec { SEC_NONE, SEC_SIGNED };

#define SIGNED_PARAMS "apiKey", "recvWindow", "timestamp", "signature"

static const struct method {
	const char *name;
	int weight;
	enum sec sec;
	method_fn *fn;
	const char *params[24];
} methods[] = {
	{"ping", 1, SEC_NONE, m_ping, {NULL}},
	{"time", 1, SEC_NONE, m_time, {NULL}},
	{"exchangeInfo", 20, SEC_NONE, m_exchange_info,
	 {"symbol", "symbols", "permissions", "showPermissionSets",
	  "symbolStatus", NULL}},
	{"session.logon", 2, SEC_SIGNED, m_logon, {SIGNED_PARAMS, NULL}},
	{"session.status", 2, SEC_NONE, m_status, {NULL}},
	{"session.logout", 2, SEC_NONE, m_logout, {NULL}},
	{"session.subscriptions", 2, SEC_NONE, m_subscriptions, {NULL}},
	{"userDataStream.subscribe", 2, SEC_NONE, m_subscribe, {NULL}},
	{"userDataStream.subscribe.signature", 2, SEC_SIGNED,
	 m_subscribe_signature, {SIGNED_PARAMS, NULL}},
	{"userDataStream.unsubscribe", 2, SEC_NONE, m_unsubscribe,
	 {"subscriptionId", NULL}},
	{"order.place", 1, SEC_SIGNED, m_order_place,
	 {"symbol", "side", "type", "timeInForce", "quantity",
	  "quoteOrderQty", "price", "newClientOrderId", "newOrderRespType",
	  "stopPrice", "trailingDelta", "icebergQty", "strategyId",
	  "strategyType", "selfTradePreventionMode", SIGNED_PARAMS, NULL}},
	{"order.status", 4, SEC_SIGNED, m_order_status,
	 {"symbol", "orderId", "origClientOrderId", SIGNED_PARAMS, NULL}},
	{"order.cancel", 1, SEC_SIGNED, m_order_cancel,
	 {"symbol", "orderId", "origClientOrderId", "newClientOrderId",
	  "cancelRestrictions", SIGNED_PARAMS, NULL}},
	{"openOrders.status", 6, SEC_SIGNED, m_open_orders,
	 {"symbol", SIGNED_PARAMS, NULL}},
	{"openOrders.cancelAll", 1, SEC_SIGNED, m_cancel_all,
	 {"symbol", SIGNED_PARAMS, NULL}},
};

static const struct method *
method_find(const char *name)
{
	size_t i;

	if (strncmp(name, "v3/", 3) == 0)
		name += 3;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

static bool
method_reads(const struct method *m, const char *name)
{
	int i;

	if (strcmp(name, "returnRateLimits") == 0)
		return true;
	for (i = 0; m->params[i] != NULL; i++)
		if (strcmp(m->params[i], name) == 0)
			return true;
	return false;
}

/* REQUEST_WEIGHT, REST's (limits.c); past it, retryAfter is when. */
static bool
charge(struct sim *sim, int weight, struct wreply *r)
{
	struct sim_reply sr = {.status = 200, .retry_after = -1};
	const char *msg;

	if (limits_charge_weight(sim, weight, &sr)) {
		reply_clear(&sr);
		return true;
	}
	msg = json_string_value(json_object_get(sr.body, "msg"));
	fail(r, sr.status,
	     (int)json_integer_value(json_object_get(sr.body, "code")),
	     msg != NULL ? msg : "");
	r->retry_after_ms = sr.status == 418 ? sim->banned_until_ms
					     : sim->limited_until_ms;
	reply_clear(&sr);
	return false;
}

/* ---- replies ----------------------------------------------------------------- */

static json_t *
rate_limits(struct sim *sim, bool orders)
{
	json_t *a = json_array();

	if (orders) {
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:i, s:i, s:i}", "rateLimitType",
				 "ORDERS", "interval", "SECOND", "intervalNum",
				 10, "limit", sim->cfg.order_limit_10s,
				 "count", sim->orders_10s));
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:i, s:i, s:i}", "rateLimitType",
				 "ORDERS", "interval", "DAY", "intervalNum", 1,
				 "limit", sim->cfg.order_limit_1d, "count",
				 sim->orders_1d));
	}
	json_array_append_new(
	    a, json_pack("{s:s, s:s, s:i, s:i, s:i}", "rateLimitType",
			 "REQUEST_WEIGHT", "interval", "MINUTE", "intervalNum",
			 1, "limit", sim->cfg.weight_limit_1m, "count",
			 limits_weight_used(sim)));
	return a;
}

static void
reply_send(struct sim *sim, struct us_conn *c, json_t *id,
	   struct wreply *r, bool limits)
{
	json_t *j = json_object();
	char *text;

	json_object_set(j, "id", id);
	json_object_set_new(j, "status", json_integer(r->status));
	if (r->status == 200) {
		json_object_set_new(j, "result",
				    r->result ? r->result : json_object());
		r->result = NULL;
	} else {
		json_t *e = json_pack("{s:i, s:s}", "code", r->code, "msg",
				      r->msg);

		if (r->retry_after_ms > 0)
			json_object_set_new(
			    e, "data",
			    json_pack("{s:I, s:I}", "serverTime",
				      (json_int_t)sim_now_ms(), "retryAfter",
				      (json_int_t)r->retry_after_ms));
		json_object_set_new(j, "error", e);
	}
	if (limits)
		json_object_set_new(j, "rateLimits",
				    rate_limits(sim, r->orders));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text != NULL)
		userstream_send(c, text, strlen(text), 0);
	free(text);
}

void
wsapi_request(struct sim *sim, struct us_conn *c, const char *text,
	      size_t len)
{
	struct wreply r = {.status = 200};
	struct wparams p = {.obj = NULL};
	json_t *req, *id = NULL, *params, *rl;
	const struct method *m = NULL;
	const char *name;
	bool limits = c->return_rate_limits;
	int k, read = 0;

	if (sim->cfg.faults.ws_api_unanswered > 0) {
		/* Read and lost on the way: no answer ever comes. */
		sim->cfg.faults.ws_api_unanswered--;
		return;
	}
	req = json_loadb(text, len, 0, NULL);
	if (!json_is_object(req)) {
		fail(&r, 400, -1135, "Invalid JSON Request");
		goto out;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) &&
	    !json_is_null(id)) {
		id = NULL;
		fail(&r, 400, -1102, "Mandatory parameter 'id' was not sent, "
				     "was empty/null, or malformed.");
		goto out;
	}
	name = json_string_value(json_object_get(req, "method"));
	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params)) {
		fail(&r, 400, -1135, "Invalid JSON Request");
		goto out;
	}
	rl = params ? json_object_get(params, "returnRateLimits") : NULL;
	if (json_is_boolean(rl))
		limits = json_is_true(rl);
	if (name == NULL) {
		mandatory(&r, "method");
		goto out;
	}
	m = method_find(name);
	if (m == NULL) {
		fail(&r, 400, -1020, "This operation is not supported.");
		goto out;
	}
	/* openOrders.status: 80 without a symbol, as on REST. */
	if (!charge(sim,
		    m->fn == m_open_orders &&
			    json_object_get(params, "symbol") == NULL
			? 80
			: m->weight,
		    &r))
		goto out;
	if (!wparams_load(&p, params)) {
		fail(&r, 400, -1101,
		     "Too many parameters sent for this endpoint.");
		goto out;
	}
	for (k = 0; k < p.sp.n; k++)
		if (method_reads(m, p.sp.name[k]))
			read++;
	if (read != p.sp.n) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "Not all sent parameters were read; read '%d' "
			 "parameter(s) but was sent '%d'.",
			 read, p.sp.n);
		fail(&r, 400, -1104, msg);
		goto out;
	}
	if (m->sec == SEC_SIGNED && !authorised(sim, c, &p, &r))
		goto out;
	m->fn(sim, c, &p, &r);
out:
	reply_send(sim, c, id ? id : json_null(), &r, limits);
	params_free(&p.sp);
	json_decref(r.result);
	json_decref(req);
}
