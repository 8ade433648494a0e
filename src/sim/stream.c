/*
 * stream.c - market streams: raw /ws/<stream> and combined
 * /stream?streams=a/b, fed from the random walk on every tick, with
 * periodic pings, and the close handshake recorded (code and reason) so
 * tests can assert that every client closed with 1000.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static void
queue_push(struct sim_pss *pss, const char *msg, size_t len)
{
	int slot;
	char *copy;

	if (pss->qcount == SIM_QUEUE) { /* a slow reader loses the oldest */
		free(pss->queue[pss->qhead]);
		pss->qhead = (pss->qhead + 1) % SIM_QUEUE;
		pss->qcount--;
	}
	copy = malloc(LWS_PRE + len);
	if (copy == NULL)
		return;
	memcpy(copy + LWS_PRE, msg, len);
	slot = (pss->qhead + pss->qcount) % SIM_QUEUE;
	pss->queue[slot] = copy;
	pss->queue_len[slot] = len;
	pss->qcount++;
	lws_callback_on_writable(pss->wsi);
}

/* A stream name this server serves: 0, or -1121 for a symbol it does not
 * list, -1100 for anything else. */
static int
stream_name_check(struct sim *sim, const char *name, char *sym, size_t size)
{
	const char *at = strchr(name, '@');
	size_t i, n;

	if (at == NULL ||
	    (strcmp(at, "@trade") != 0 && strcmp(at, "@bookTicker") != 0))
		return -1100;
	n = (size_t)(at - name);
	if (n == 0 || n >= size)
		return -1100;
	for (i = 0; i < n; i++) {
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]))
			return -1100;
		sym[i] = (char)toupper((unsigned char)name[i]);
	}
	sym[n] = '\0';
	return market_symbol(&sim->market, sym) ? 0 : -1121;
}

static bool
stream_has(const struct sim_pss *pss, const char *name)
{
	int i;

	for (i = 0; i < pss->nstreams; i++)
		if (strcmp(pss->streams[i], name) == 0)
			return true;
	return false;
}

static int
stream_add(struct sim *sim, struct sim_pss *pss, const char *name)
{
	char sym[SIM_SYMBOL_MAX];
	int rc = stream_name_check(sim, name, sym, sizeof(sym));

	if (rc < 0)
		return rc;
	if (stream_has(pss, name))
		return 0;
	if (pss->nstreams >= SIM_STREAMS_MAX ||
	    strlen(name) >= sizeof(pss->streams[0]))
		return -1100;
	snprintf(pss->streams[pss->nstreams++], sizeof(pss->streams[0]), "%s",
		 name);
	return 0;
}

int
stream_check_target(struct sim *sim, const char *target, char *body,
		    size_t size)
{
	char list[SIM_ARGS_MAX], sym[SIM_SYMBOL_MAX], *save = NULL, *tok;
	int rc = 0;

	body[0] = '\0';
	if (strcmp(target, "/ws") == 0)
		return 0; /* streams come by SUBSCRIBE */
	if (strncmp(target, "/ws/", 4) == 0) {
		if (strpbrk(target + 4, "/?&") != NULL)
			return 404;
		rc = stream_name_check(sim, target + 4, sym, sizeof(sym));
	} else if (strncmp(target, "/stream?streams=", 16) == 0) {
		snprintf(list, sizeof(list), "%s", target + 16);
		if (strpbrk(list, "?&") != NULL)
			return 404;
		if (list[0] == '\0')
			rc = -1100;
		for (tok = strtok_r(list, "/", &save); tok && rc == 0;
		     tok = strtok_r(NULL, "/", &save))
			rc = stream_name_check(sim, tok, sym, sizeof(sym));
	} else {
		return 404;
	}
	if (rc == -1121)
		snprintf(body, size, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
	else if (rc < 0)
		snprintf(body, size,
			 "{\"code\":-1100,\"msg\":\"Invalid stream name.\"}");
	return rc < 0 ? 400 : 0;
}

int
stream_established(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	char uri[512], list[SIM_STREAMS_MAX * 64];
	int n;

	memset(pss, 0, sizeof(*pss));
	pss->is_ws = true;
	pss->wsi = wsi;
	pss->sim = sim;
	/* The target as sent was checked at the upgrade already. */
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		return -1;
	if (strncmp(uri, "/ws/", 4) == 0) {
		if (stream_add(sim, pss, uri + 4) < 0)
			return -1;
	} else if (strcmp(uri, "/stream") == 0) {
		char *save = NULL, *tok;

		pss->combined = true;
		n = lws_get_urlarg_by_name(wsi, "streams=", list, sizeof(list))
			? 1
			: 0;
		if (!n)
			return -1;
		/* lws_get_urlarg_by_name returns "streams=a/b" in list */
		tok = strtok_r(list + 8, "/", &save);
		while (tok) {
			if (stream_add(sim, pss, tok) < 0)
				return -1;
			tok = strtok_r(NULL, "/", &save);
		}
	} else if (strcmp(uri, "/ws") != 0) {
		return -1;
	}
	pss->next_ws = sim->ws_list;
	sim->ws_list = pss;
	if (sim->cfg.faults.ws_close_ignore)
		lws_rx_flow_control(wsi, 0);
	sim->ws_open++;
	sim->ws_connects++;
	return 0;
}

static void
reply_text(struct sim_pss *pss, const char *text)
{
	queue_push(pss, text, strlen(text));
}

/* SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS. */
static void
control(struct sim *sim, struct sim_pss *pss, const char *msg, size_t len)
{
	json_t *j = json_loadb(msg, len, 0, NULL), *params, *id, *v, *out;
	const char *method;
	char *text;
	size_t i;
	int k, rc = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		reply_text(pss, "{\"error\":{\"code\":3,\"msg\":\"Invalid "
				"JSON\"},\"id\":null}");
		return;
	}
	method = json_string_value(json_object_get(j, "method"));
	params = json_object_get(j, "params");
	id = json_object_get(j, "id");
	if (id == NULL || !(json_is_integer(id) || json_is_string(id) ||
			    json_is_null(id)))
		id = json_null();
	else
		json_incref(id);
	out = json_object();
	if (method == NULL) {
		json_object_set_new(out, "error",
				    json_pack("{s:i, s:s}", "code", 2, "msg",
					      "Invalid request: missing field "
					      "`method`"));
	} else if (strcmp(method, "LIST_SUBSCRIPTIONS") == 0) {
		json_t *list = json_array();

		for (k = 0; k < pss->nstreams; k++)
			json_array_append_new(list,
					      json_string(pss->streams[k]));
		json_object_set_new(out, "result", list);
	} else if (strcmp(method, "SUBSCRIBE") == 0 ||
		   strcmp(method, "UNSUBSCRIBE") == 0) {
		bool sub = method[0] == 'S';
		char sym[SIM_SYMBOL_MAX];

		if (!json_is_array(params))
			rc = -1100;
		json_array_foreach(params, i, v)
		{
			if (!json_is_string(v)) {
				rc = -1100;
				break;
			}
			rc = stream_name_check(sim, json_string_value(v), sym,
					       sizeof(sym));
			if (rc < 0)
				break;
		}
		json_array_foreach(params, i, v)
		{
			const char *name = json_string_value(v);

			if (rc < 0)
				break;
			if (sub) {
				rc = stream_add(sim, pss, name);
				continue;
			}
			for (k = 0; k < pss->nstreams; k++) {
				if (strcmp(pss->streams[k], name) != 0)
					continue;
				memmove(pss->streams[k], pss->streams[k + 1],
					(size_t)(pss->nstreams - k - 1) *
					    sizeof(pss->streams[0]));
				pss->nstreams--;
				break;
			}
		}
		if (rc == -1121)
			json_object_set_new(out, "error",
					    json_pack("{s:i, s:s}", "code",
						      -1121, "msg",
						      "Invalid symbol."));
		else if (rc < 0)
			json_object_set_new(out, "error",
					    json_pack("{s:i, s:s}", "code", 2,
						      "msg",
						      "Invalid request: "
						      "invalid stream name"));
		else
			json_object_set_new(out, "result", json_null());
	} else {
		json_object_set_new(out, "error",
				    json_pack("{s:i, s:s}", "code", 2, "msg",
					      "Invalid request: unknown "
					      "method"));
	}
	json_object_set_new(out, "id", id); /* last, as the exchange's */
	json_decref(j);
	text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (text != NULL)
		reply_text(pss, text);
	free(text);
}

int
stream_receive(struct sim *sim, struct lws *wsi, void *vpss, const void *in,
	       size_t len)
{
	struct sim_pss *pss = vpss;

	if (pss == NULL || !pss->is_ws)
		return 0;
	if (pss->rx_len + len >= sizeof(pss->body)) {
		pss->rx_len = 0; /* too long for any control message */
		return -1;
	}
	memcpy(pss->body + pss->rx_len, in, len);
	pss->rx_len += len;
	if (!lws_is_final_fragment(wsi))
		return 0;
	control(sim, pss, pss->body, pss->rx_len);
	pss->rx_len = 0;
	return 0;
}

void
stream_pong(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss;

	(void)sim;
	if (pss != NULL && pss->is_ws)
		pss->ping_unanswered_ms = 0;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client that has not answered a ping for ping_timeout_ms is dropped. */
void
stream_check_pings(struct sim *sim)
{
	int64_t now = mono_ms();
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		if (pss->ping_unanswered_ms == 0 || pss->close_seen ||
		    now - pss->ping_unanswered_ms < sim->cfg.ping_timeout_ms)
			continue;
		pss->close_seen = true;
		pss->ping_unanswered_ms = 0;
		sim->ws_ping_timeouts++;
		if (sim->ncloses <
		    (int)(sizeof(sim->closes) / sizeof(sim->closes[0]))) {
			sim->closes[sim->ncloses].code = 1006;
			snprintf(sim->closes[sim->ncloses].reason,
				 sizeof(sim->closes[0].reason),
				 "no pong: dropped");
			sim->ncloses++;
		}
		lws_set_timeout(pss->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
	}
}

static void
event_json(struct sim *sim, const char *stream, char *out, size_t size)
{
	char sym[SIM_SYMBOL_MAX];
	const char *at = strchr(stream, '@');
	struct sim_symbol *s;
	long long now = sim_now_ms();
	size_t i, n = (size_t)(at - stream);
	char price[32], qty[32];

	for (i = 0; i < n && i + 1 < sizeof(sym); i++)
		sym[i] = (char)toupper((unsigned char)stream[i]);
	sym[i] = '\0';
	s = market_symbol(&sim->market, sym);
	if (s == NULL) {
		snprintf(out, size, "{}");
		return;
	}
	/* Prices on the tick grid, quantities on the step grid. */
	market_price_text(s, s->mid, price, sizeof(price));
	market_text((int64_t)(1 + market_rand(&sim->market) * 1000) * s->step,
		    qty, sizeof(qty));
	if (strcmp(at, "@trade") == 0) {
		snprintf(out, size,
			 "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%lld,"
			 "\"p\":\"%s\",\"q\":\"%s\",\"T\":%lld,\"m\":%s,"
			 "\"M\":true}",
			 now, sym, (long long)s->trade_id, price, qty, now,
			 market_rand(&sim->market) < 0.5 ? "true" : "false");
	} else {
		char bid[32], ask[32];

		market_price_text(s, s->mid - (double)s->tick / 1e8, bid,
				  sizeof(bid));
		market_price_text(s, s->mid + (double)s->tick / 1e8, ask,
				  sizeof(ask));
		snprintf(out, size,
			 "{\"u\":%lld,\"s\":\"%s\",\"b\":\"%s\",\"B\":"
			 "\"%s\",\"a\":\"%s\",\"A\":\"%s\"}",
			 (long long)s->update_id, sym, bid, qty, ask, qty);
	}
}

void
stream_tick(struct sim *sim)
{
	struct sim_pss *pss;
	char ev[512], msg[700];
	int i, n;

	if (sim->cfg.faults.stream_paused)
		return;
	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		for (i = 0; i < pss->nstreams; i++) {
			event_json(sim, pss->streams[i], ev, sizeof(ev));
			if (pss->combined)
				n = snprintf(msg, sizeof(msg),
					     "{\"stream\":\"%s\",\"data\":%s}",
					     pss->streams[i], ev);
			else
				n = snprintf(msg, sizeof(msg), "%s", ev);
			if (n > 0 && (size_t)n < sizeof(msg))
				queue_push(pss, msg, (size_t)n);
		}
	}
}

void
stream_ping_all(struct sim *sim)
{
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		pss->ping_due = true;
		if (pss->ping_unanswered_ms == 0)
			pss->ping_unanswered_ms = mono_ms();
		lws_callback_on_writable(pss->wsi);
	}
}

/*
 * ws_close = ignore: stop reading from every client, so a close frame is
 * never seen and never answered, as a server that hangs would.
 */
void
stream_ignore_closes(struct sim *sim, bool ignore)
{
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws)
		lws_rx_flow_control(pss->wsi, ignore ? 0 : 1);
}

void
stream_drop_all(struct sim *sim)
{
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		pss->close_seen = true; /* no close frame will come */
		lws_set_timeout(pss->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
	}
}

void
stream_garbage_all(struct sim *sim)
{
	static const char bad[] = "{\"stream\":\"x@trade\",\"data\":{\"e\":";
	struct sim_pss *pss;
	size_t big = 200 * 1024;
	char *huge = malloc(big);

	if (huge == NULL)
		return;
	memset(huge, 'x', big);
	huge[0] = '[';
	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		queue_push(pss, bad, sizeof(bad) - 1);
		queue_push(pss, "\x01\x02not json", 10);
		queue_push(pss, huge, big);
	}
	free(huge);
}

int
stream_writeable(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	unsigned char ping[LWS_PRE + 8];
	char *msg;
	size_t len;
	int rc;

	(void)sim;
	if (pss->ping_due) {
		pss->ping_due = false;
		memcpy(ping + LWS_PRE, "gs", 2);
		if (lws_write(wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 2)
			return -1;
		if (pss->qcount)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (pss->qcount == 0)
		return 0;
	msg = pss->queue[pss->qhead];
	len = pss->queue_len[pss->qhead];
	pss->qhead = (pss->qhead + 1) % SIM_QUEUE;
	pss->qcount--;
	rc = lws_write(wsi, (unsigned char *)msg + LWS_PRE, len,
		       LWS_WRITE_TEXT);
	free(msg);
	if (rc < (int)len)
		return -1;
	if (pss->qcount)
		lws_callback_on_writable(wsi);
	return 0;
}

int
stream_peer_close(struct sim *sim, struct lws *wsi, void *vpss,
		  const void *in, size_t len)
{
	struct sim_pss *pss = vpss;
	const unsigned char *b = in;
	struct sim_close *c;

	(void)wsi;
	pss->close_seen = true;
	if (sim->ncloses < (int)(sizeof(sim->closes) / sizeof(sim->closes[0]))) {
		c = &sim->closes[sim->ncloses++];
		c->code = len >= 2 ? (b[0] << 8) | b[1] : 1005;
		snprintf(c->reason, sizeof(c->reason), "%.*s",
			 len > 2 ? (int)(len - 2) : 0,
			 len > 2 ? (const char *)b + 2 : "");
	}
	return 0; /* lws answers the close */
}

void
stream_closed(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss, **pp;

	if (!pss->is_ws)
		return;
	for (pp = &sim->ws_list; *pp; pp = &(*pp)->next_ws) {
		if (*pp == pss) {
			*pp = pss->next_ws;
			sim->ws_open--;
			break;
		}
	}
	if (!pss->close_seen &&
	    sim->ncloses < (int)(sizeof(sim->closes) / sizeof(sim->closes[0]))) {
		sim->closes[sim->ncloses].code = 1006; /* abnormal */
		snprintf(sim->closes[sim->ncloses].reason,
			 sizeof(sim->closes[0].reason), "no close frame");
		sim->ncloses++;
	}
	while (pss->qcount) {
		free(pss->queue[pss->qhead]);
		pss->qhead = (pss->qhead + 1) % SIM_QUEUE;
		pss->qcount--;
	}
	pss->is_ws = false;
}

json_t *
stream_state(struct sim *sim)
{
	return json_pack("{s:i, s:i, s:I}", "open", sim->ws_open, "connects",
			 sim->ws_connects, "ping_timeouts",
			 (json_int_t)sim->ws_ping_timeouts);
}
