/*
 * admin.c - the tests' handle on the simulator, /admin/... on the REST
 * port: loopback peers only, an optional X-Admin-Token, GET /admin/state
 * for what tests assert on (open orders by symbol and client-id prefix,
 * requests seen, WebSocket closes, weight, connections), POST to change
 * anything: faults (also settable in the INI: sim_fault_set), orders
 * placed as someone else on the account (seed), fills (fill), deposits
 * and withdrawals (balance); GET /admin/events for the account's last
 * events as published.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gshutdown.h"
#include "sim.h"

static json_t *
admin_state(struct sim *sim)
{
	struct sim_market *m = &sim->market;
	json_t *by_symbol = json_object(), *by_prefix = json_object();
	json_t *orders = json_array(), *closes = json_array(), *state;
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
		while (o->client_id[n] &&
		       isalpha((unsigned char)o->client_id[n]))
			n++;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)n, o->client_id);
		v = json_object_get(by_prefix, prefix);
		json_object_set_new(by_prefix, prefix,
		                    json_integer(json_integer_value(v) + 1));
		json_array_append_new(orders, market_order_json(o));
	}
	for (k = 0; k < sim->ncloses; k++)
		json_array_append_new(
		    closes, json_pack("{s:i, s:s}", "code", sim->closes[k].code,
		                      "reason", sim->closes[k].reason));
	state = json_pack(
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
	json_object_set_new(state, "user_stream", userstream_state(sim));
	json_object_set_new(state, "placements_held",
	                    json_integer(http_held_count(sim)));
	json_object_set_new(state, "placement_replies_lost",
	                    json_integer(sim->place_replies_lost));
	return state;
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
    {"cancel_reject_rate", offsetof(struct sim_faults, cancel_reject_rate), 0,
     100},
    {"rate_limit_count", offsetof(struct sim_faults, rate_limit_count), 0,
     1000000},
    {"ban_count", offsetof(struct sim_faults, ban_count), 0, 1000000},
    {"retry_after_s", offsetof(struct sim_faults, retry_after_s), 0, 3600},
    {"place_latency_ms", offsetof(struct sim_faults, place_latency_ms), 0,
     600000},
    {"place_reply_loss_rate",
     offsetof(struct sim_faults, place_reply_loss_rate), 0, 100},
    {"place_hold_ms", offsetof(struct sim_faults, place_hold_ms), 0, 600000},
    {"clock_offset_ms", offsetof(struct sim_faults, clock_offset_ms), -86400000,
     86400000},
    {"user_stream_delay_ms", offsetof(struct sim_faults, user_stream_delay_ms),
     0, 600000},
    {"user_stream_loss_pct", offsetof(struct sim_faults, user_stream_loss_pct),
     0, 100},
    {"user_stream_duplicate",
     offsetof(struct sim_faults, user_stream_duplicate), 0, 1000000},
    {"user_stream_drop_after",
     offsetof(struct sim_faults, user_stream_drop_after), 0, 1000000},
    {"ws_api_unanswered", offsetof(struct sim_faults, ws_api_unanswered), 0,
     1000000},
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
	if (strcmp(name, "user_stream_silent") == 0) {
		if (gs_parse_int(value, 0, 1, &v) < 0)
			return -1;
		f->user_stream_silent = v == 1;
		return 0;
	}
	if (strcmp(name, "market_frozen") == 0) {
		if (gs_parse_int(value, 0, 1, &v) < 0)
			return -1;
		f->market_frozen = v == 1;
		return 0;
	}
	return -2;
}

static void
admin_faults(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_faults *f = &sim->cfg.faults;
	int i, rc;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->name[i], "ws_drop") == 0 ||
		    strcmp(p->name[i], "ws_garbage") == 0 ||
		    strcmp(p->name[i], "close_idle") == 0 ||
		    strcmp(p->name[i], "user_stream_drop") == 0 ||
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
		if (strcmp(p->name[i], "user_stream_silent") == 0)
			userstream_silence(sim);
	}
	if (param_get(p, "weight_reset") != NULL) {
		sim->weight_used = 0;
		sim->weight_peak = 0;
		sim->limited_until_ms = 0;
		sim->banned_until_ms = 0;
	}
	if (param_get(p, "ws_drop") != NULL)
		stream_drop_all(sim);
	if (param_get(p, "ws_garbage") != NULL)
		stream_garbage_all(sim);
	if (param_get(p, "user_stream_drop") != NULL)
		userstream_drop_all(sim);
	if (param_get(p, "close_idle") != NULL) {
		int n = http_close_idle(sim);

		log_info("admin: %d idle HTTP connection%s closed", n,
		         n == 1 ? "" : "s");
	}
	r->body = json_pack(
	    "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:i, s:b, "
	    "s:i, s:b, s:i, s:i}",
	    "latency_ms", f->latency_ms, "jitter_ms", f->jitter_ms,
	    "error_5xx_rate", f->error_5xx_rate, "hang_rate", f->hang_rate,
	    "cancel_reject_rate", f->cancel_reject_rate, "rate_limit_count",
	    f->rate_limit_count, "ban_count", f->ban_count, "retry_after_s",
	    f->retry_after_s, "place_latency_ms", f->place_latency_ms,
	    "ws_close", f->ws_close_ignore ? "ignore" : "normal",
	    "clock_offset_ms", f->clock_offset_ms, "stream_paused",
	    (int)f->stream_paused, "weight_limit_1m", sim->cfg.weight_limit_1m,
	    "market_frozen", (int)f->market_frozen, "place_reply_loss_rate",
	    f->place_reply_loss_rate, "place_hold_ms", f->place_hold_ms);
}

/* Fill a resting order, as the market would. */
static void
admin_fill(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *cid = param_get(p, "clientOrderId");
	size_t i;

	for (i = 0; cid != NULL && i < sim->market.norders; i++) {
		struct sim_order *o = &sim->market.orders[i];

		if (o->open && strcmp(o->client_id, cid) == 0) {
			match_fill_resting(sim, o);
			account_publish(sim);
			r->body = market_order_json(o);
			return;
		}
	}
	reply_error(r, 400, -2013, "Order does not exist.");
}

/* Place an order as someone else on the account (no signature). */
static void
admin_seed(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	struct sim_symbol *s = request_need_symbol(sim, p, r);
	const char *cid = param_get(p, "clientOrderId");
	const char *side = param_get(p, "side") ? param_get(p, "side") : "BUY";
	const char *price_s =
	    param_get(p, "price") ? param_get(p, "price") : "50.00";
	const char *qty_s =
	    param_get(p, "quantity") ? param_get(p, "quantity") : "1";
	int64_t price, qty;
	size_t index;
	int rc;

	if (s == NULL)
		return;
	if (cid == NULL) {
		reply_error(r, 400, -1102, "clientOrderId required");
		return;
	}
	if (strcmp(side, "BUY") != 0 && strcmp(side, "SELL") != 0) {
		reply_illegal(r, "side", "BUY, SELL");
		return;
	}
	if (sim_decimal(price_s, &price) < 0 || sim_decimal(qty_s, &qty) < 0 ||
	    price <= 0 || qty <= 0) {
		reply_error(r, 400, -1100, "bad price or quantity");
		return;
	}
	rc = match_rest(sim, s, side, price, qty, cid, &index);
	if (rc == -2010) {
		reply_error(r, 400, -2010,
			    "Account has insufficient balance for requested "
			    "action.");
		return;
	}
	r->body = rc == 0 ? market_order_json(&sim->market.orders[index])
			  : json_object();
}

/* A deposit (delta > 0) or a withdrawal: asset=&delta=[-]amount. */
static void
admin_balance(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *asset = param_get(p, "asset"), *d = param_get(p, "delta");
	int64_t v;
	bool neg;

	if (asset == NULL || d == NULL || *asset == '\0' ||
	    strlen(asset) >= SIM_ASSET_MAX) {
		reply_error(r, 400, -1102, "asset and delta required");
		return;
	}
	neg = *d == '-';
	if (sim_decimal(d + neg, &v) < 0 || sim_decimal(d + neg, &v) > 8) {
		reply_error(r, 400, -1100, "bad delta");
		return;
	}
	if (account_adjust(sim, asset, neg ? -v : v) < 0) {
		reply_error(r, 400, -2010,
			    "Account has insufficient balance for requested "
			    "action.");
		return;
	}
	r->body = account_json(sim, false);
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

void
admin_route(struct sim *sim, struct lws *wsi, struct sim_pss *pss,
            const struct sim_params *p, struct sim_reply *r)
{
	static const struct {
		const char *path, *method;
		void (*fn)(struct sim *, const struct sim_params *,
		           struct sim_reply *);
	} paths[] = {
	    {"/admin/faults", "POST", admin_faults},
	    {"/admin/seed", "POST", admin_seed},
	    {"/admin/fill", "POST", admin_fill},
	    {"/admin/balance", "POST", admin_balance},
	};
	size_t i;

	if (!loopback_peer(wsi)) {
		reply_error(r, 403, -2015,
		            "The admin endpoint is loopback only.");
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
	if (strcmp(pss->path, "/admin/events") == 0) {
		if (strcmp(pss->method, "GET") != 0) {
			reply_error(r, 405, -1000, "GET only.");
			return;
		}
		r->body = events_recent(sim);
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
