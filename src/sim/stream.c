/*
 * stream.c - the market streams, as Binance serves them and as clients
 * open them: /ws, /ws/<name>[/<name>...], /stream and /stream?streams=
 * a/b, with timeUnit=MICROSECOND; SUBSCRIBE, UNSUBSCRIBE,
 * LIST_SUBSCRIPTIONS, SET_PROPERTY and GET_PROPERTY (combined) with
 * Binance's replies and error codes; 5 incoming messages a second and
 * 1024 streams a connection.  A name no market stream has opens and
 * carries nothing, unless the user data stream claims it (stream_claim).
 *
 * Events come from the one market (md.h) on every tick: @trade,
 * @aggTrade, @bookTicker at once; @ticker, @miniTicker, @avgPrice,
 * @depth, @depth<N> each second; @depth@100ms and @depth<N>@100ms at
 * 100 ms (or the tick, if longer); @kline_<i> every 2 s (1 s for 1s).
 * Each event is made once per tick and shared by every connection that
 * wants it.  Pings go out periodically, and the close handshake is
 * recorded (code and reason) so tests can assert that every client closed
 * with 1000.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "md.h"

enum kind {
	K_NONE,	   /* no market stream: carries nothing */
	K_CLAIMED, /* the user data stream's */
	K_TRADE,
	K_AGG,
	K_BOOK,
	K_TICKER,
	K_MINI,
	K_AVG,
	K_DIFF,
	K_PARTIAL,
	K_KLINE,
};

/* The events made per symbol and tick: one slot each. */
#define SLOT_TRADE 0
#define SLOT_AGG 1
#define SLOT_BOOK 2
#define SLOT_TICKER 3
#define SLOT_MINI 4
#define SLOT_AVG 5
#define SLOT_DIFF 6	/* + cadence */
#define SLOT_PARTIAL 8	/* + cadence * 3 + (5, 10, 20) */
#define SLOT_KLINE 14	/* + interval */
#define NSLOTS 30

#define NAME_MAX_LEN 96
#define RX_MAX (256 * 1024) /* a SUBSCRIBE of 1024 names fits */
#define MSGS_PER_S 5

static const int partial_levels[3] = {5, 10, 20};

struct sub {
	char name[NAME_MAX_LEN];
	enum kind kind;
	int sym, slot;
};

struct stream_conn {
	struct sub *subs;
	int nsubs, cap;
	bool combined, micros;
	char *queue[SIM_QUEUE];
	size_t queue_len[SIM_QUEUE];
	int qhead, qcount;
	bool ping_due, close_seen;
	int64_t ping_unanswered_ms; /* when the oldest unanswered ping left */
	int64_t rx_times[MSGS_PER_S]; /* the last messages' arrival */
	int rx_next;
	char *rx; /* a control message's frames so far */
	size_t rx_len, rx_cap;
};

struct stream_state {
	char **cache; /* [symbol][slot][µs]: NULL not made, EMPTY nothing */
	int *filled;  /* the cache entries made this tick */
	size_t nfilled;
	int64_t *last_trade; /* per symbol: the last trade sent */
	int64_t *kline_open; /* per symbol and interval: the kline sent */
	bool due[NSLOTS];
	int64_t next_1s, next_100ms, next_2s;
	int64_t now_us;
};

static char EMPTY[] = "";

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- text ------------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < room) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 512;
		while (cap < b->n + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static char *
bdone(struct buf *b)
{
	if (b->failed || b->p == NULL) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

static void
levels_text(struct buf *b, const struct md_level *lv, size_t n)
{
	char p[32], q[32];
	size_t k;

	bprintf(b, "[");
	for (k = 0; k < n; k++) {
		md_text(lv[k].price, p, sizeof(p));
		md_text(lv[k].qty, q, sizeof(q));
		bprintf(b, "%s[\"%s\",\"%s\"]", k ? "," : "", p, q);
	}
	bprintf(b, "]");
}

/* ---- stream names ----------------------------------------------------- */

/* What a name carries: the kind, its symbol and cache slot. */
static enum kind
name_parse(struct sim *sim, const char *name, int *sym, int *slot)
{
	char upper[SIM_SYMBOL_MAX];
	const char *at = strchr(name, '@'), *rest;
	size_t i, n;
	int k;

	*sym = -1;
	*slot = 0;
	if (at == NULL)
		return K_NONE;
	n = (size_t)(at - name);
	if (n == 0 || n >= sizeof(upper))
		return K_NONE;
	for (i = 0; i < n; i++) {
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]))
			return K_NONE;
		upper[i] = (char)toupper((unsigned char)name[i]);
	}
	upper[n] = '\0';
	for (k = 0; k < sim->market.nsymbols; k++)
		if (strcmp(sim->market.symbols[k].name, upper) == 0)
			break;
	if (k == sim->market.nsymbols)
		return K_NONE;
	*sym = k;
	rest = at + 1;
	if (strcmp(rest, "trade") == 0)
		return *slot = SLOT_TRADE, K_TRADE;
	if (strcmp(rest, "aggTrade") == 0)
		return *slot = SLOT_AGG, K_AGG;
	if (strcmp(rest, "bookTicker") == 0)
		return *slot = SLOT_BOOK, K_BOOK;
	if (strcmp(rest, "ticker") == 0)
		return *slot = SLOT_TICKER, K_TICKER;
	if (strcmp(rest, "miniTicker") == 0)
		return *slot = SLOT_MINI, K_MINI;
	if (strcmp(rest, "avgPrice") == 0)
		return *slot = SLOT_AVG, K_AVG;
	if (strcmp(rest, "depth") == 0 || strcmp(rest, "depth@1000ms") == 0)
		return *slot = SLOT_DIFF + MD_1000MS, K_DIFF;
	if (strcmp(rest, "depth@100ms") == 0)
		return *slot = SLOT_DIFF + MD_100MS, K_DIFF;
	for (k = 0; k < 3; k++) {
		char d[32];

		snprintf(d, sizeof(d), "depth%d", partial_levels[k]);
		if (strncmp(rest, d, strlen(d)) != 0)
			continue;
		if (strcmp(rest + strlen(d), "") == 0 ||
		    strcmp(rest + strlen(d), "@1000ms") == 0)
			return *slot = SLOT_PARTIAL + k, K_PARTIAL;
		if (strcmp(rest + strlen(d), "@100ms") == 0)
			return *slot = SLOT_PARTIAL + 3 + k, K_PARTIAL;
	}
	if (strncmp(rest, "kline_", 6) == 0 && (k = md_interval(rest + 6)) >= 0)
		return *slot = SLOT_KLINE + k, K_KLINE;
	*sym = -1;
	return K_NONE;
}

static struct sub *
sub_find(struct stream_conn *c, const char *name)
{
	int i;

	for (i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i].name, name) == 0)
			return &c->subs[i];
	return NULL;
}

/* 0, or -1 (out of memory or past SIM_STREAMS_MAX). */
static int
sub_add(struct sim *sim, struct sim_pss *pss, const char *name)
{
	struct stream_conn *c = pss->ws;
	struct sub *s;

	if (sub_find(c, name) != NULL)
		return 0;
	if (c->nsubs >= SIM_STREAMS_MAX || strlen(name) >= NAME_MAX_LEN)
		return -1;
	if (c->nsubs == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		struct sub *n = realloc(c->subs, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return -1;
		c->subs = n;
		c->cap = cap;
	}
	s = &c->subs[c->nsubs++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = name_parse(sim, name, &s->sym, &s->slot);
	if (s->kind == K_NONE && sim->stream_claim != NULL &&
	    sim->stream_claim(sim, pss, name))
		s->kind = K_CLAIMED;
	return 0;
}

static void
sub_remove(struct sim *sim, struct sim_pss *pss, const char *name)
{
	struct stream_conn *c = pss->ws;
	struct sub *s = sub_find(c, name);
	int k;

	if (s == NULL)
		return;
	if (s->kind == K_CLAIMED && sim->stream_release != NULL)
		sim->stream_release(sim, pss, s->name);
	k = (int)(s - c->subs);
	memmove(s, s + 1, (size_t)(c->nsubs - k - 1) * sizeof(*s));
	c->nsubs--;
}

/* ---- connection targets ------------------------------------------------ */

/* The names of a/b/c, each non-empty; their count or -1. */
static int
names_count(const char *list, size_t len)
{
	size_t i, start = 0;
	int n = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && list[i] != '/')
			continue;
		if (i == start)
			return -1;
		n++;
		start = i + 1;
	}
	return n;
}

static bool
time_unit_ok(const char *v, size_t len)
{
	static const char *const ok[] = {"MICROSECOND", "microsecond",
					 "MILLISECOND", "millisecond"};
	size_t i;

	for (i = 0; i < 4; i++)
		if (strlen(ok[i]) == len && strncmp(v, ok[i], len) == 0)
			return true;
	return false;
}

int
stream_check_target(struct sim *sim, const char *target, char *body,
		    size_t size)
{
	const char *q = strchr(target, '?'), *p;
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	bool stream = plen == 7 && strncmp(target, "/stream", 7) == 0;
	bool has_list = false;
	int n = 0;

	(void)sim;
	body[0] = '\0';
	if (!stream && !(plen == 3 && strncmp(target, "/ws", 3) == 0)) {
		if (plen <= 4 || strncmp(target, "/ws/", 4) != 0)
			return 404;
		n = names_count(target + 4, plen - 4);
		if (n < 0)
			return 404;
	}
	/* The query: streams= (on /stream), timeUnit=. */
	for (p = q ? q + 1 : NULL; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (stream && !has_list && len >= 8 &&
		    strncmp(p, "streams=", 8) == 0) {
			has_list = true;
			n = names_count(p + 8, len - 8);
			if (n < 0) {
				snprintf(body, size,
					 "{\"code\":-1100,\"msg\":\"Invalid "
					 "stream name.\"}");
				return 400;
			}
		} else if (len >= 9 && strncmp(p, "timeUnit=", 9) == 0) {
			if (!time_unit_ok(p + 9, len - 9)) {
				snprintf(body, size,
					 "{\"code\":-1100,\"msg\":\"Illegal "
					 "characters found in parameter "
					 "'timeUnit'.\"}");
				return 400;
			}
		} else {
			return 404;
		}
		p = end ? end + 1 : NULL;
	}
	if (n > SIM_STREAMS_MAX) {
		snprintf(body, size,
			 "{\"code\":-1100,\"msg\":\"More than %d streams.\"}",
			 SIM_STREAMS_MAX);
		return 400;
	}
	return 0;
}

static void
queue_push(struct stream_conn *c, struct lws *wsi, const char *msg,
	   size_t len)
{
	int slot;
	char *copy;

	if (c->qcount == SIM_QUEUE) { /* a slow reader loses the oldest */
		free(c->queue[c->qhead]);
		c->qhead = (c->qhead + 1) % SIM_QUEUE;
		c->qcount--;
	}
	copy = malloc(LWS_PRE + len);
	if (copy == NULL)
		return;
	memcpy(copy + LWS_PRE, msg, len);
	slot = (c->qhead + c->qcount) % SIM_QUEUE;
	c->queue[slot] = copy;
	c->queue_len[slot] = len;
	c->qcount++;
	lws_callback_on_writable(wsi);
}

static void
conn_free(struct stream_conn *c)
{
	while (c->qcount) {
		free(c->queue[c->qhead]);
		c->qhead = (c->qhead + 1) % SIM_QUEUE;
		c->qcount--;
	}
	free(c->subs);
	free(c->rx);
	free(c);
}

/* The connection's stream state gone: claimed names given back first. */
static void
conn_drop(struct sim *sim, struct sim_pss *pss)
{
	struct stream_conn *c = pss->ws;
	int k;

	if (c != NULL) {
		for (k = 0; k < c->nsubs; k++)
			if (c->subs[k].kind == K_CLAIMED &&
			    sim->stream_release != NULL)
				sim->stream_release(sim, pss, c->subs[k].name);
		conn_free(c);
	}
	pss->ws = NULL;
	pss->is_ws = false;
}

/* Add every name of "a/b/c" (as libwebsockets hands the target over). */
static int
add_list(struct sim *sim, struct sim_pss *pss, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save))
		if (sub_add(sim, pss, tok) < 0)
			return -1;
	return 0;
}

int
stream_established(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	char uri[SIM_ARGS_MAX], arg[SIM_ARGS_MAX];
	struct stream_conn *c;

	memset(pss, 0, sizeof(*pss));
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	pss->is_ws = true;
	pss->ws = c;
	pss->wsi = wsi;
	pss->sim = sim;
	/* The target as sent was checked at the upgrade already. */
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		goto fail;
	if (lws_get_urlarg_by_name(wsi, "timeUnit=", arg, sizeof(arg)) &&
	    (strcmp(arg + 9, "MICROSECOND") == 0 ||
	     strcmp(arg + 9, "microsecond") == 0))
		c->micros = true;
	if (strncmp(uri, "/ws/", 4) == 0) {
		if (add_list(sim, pss, uri + 4) < 0)
			goto fail;
	} else if (strcmp(uri, "/stream") == 0) {
		c->combined = true;
		/* lws_get_urlarg_by_name gives "streams=a/b" */
		if (lws_get_urlarg_by_name(wsi, "streams=", arg, sizeof(arg)) &&
		    add_list(sim, pss, arg + 8) < 0)
			goto fail;
	} else if (strcmp(uri, "/ws") != 0) {
		goto fail;
	}
	pss->next_ws = sim->ws_list;
	sim->ws_list = pss;
	if (sim->cfg.faults.ws_close_ignore)
		lws_rx_flow_control(wsi, 0);
	sim->ws_open++;
	sim->ws_connects++;
	return 0;
fail:
	conn_drop(sim, pss);
	return -1;
}

bool
stream_micros(const struct sim_pss *pss)
{
	return pss->is_ws && pss->ws != NULL && pss->ws->micros;
}

static void
push_event(struct sim_pss *pss, const char *name, const char *ev, size_t len)
{
	struct stream_conn *c = pss->ws;

	if (!c->combined) {
		queue_push(c, pss->wsi, ev, len);
		return;
	}
	struct buf b = {0};

	bprintf(&b, "{\"stream\":\"%s\",\"data\":%.*s}", name, (int)len, ev);
	if (bdone(&b) != NULL) {
		queue_push(c, pss->wsi, b.p, b.n);
		free(b.p);
	}
}

void
stream_send(struct sim *sim, struct sim_pss *pss, const char *name,
	    const char *event)
{
	(void)sim;
	if (pss != NULL && pss->is_ws && pss->ws != NULL)
		push_event(pss, name, event, strlen(event));
}

/* ---- control messages -------------------------------------------------- */

static void
control_reply(struct sim_pss *pss, json_t *out)
{
	char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(out);
	if (text != NULL)
		queue_push(pss->ws, pss->wsi, text, strlen(text));
	free(text);
}

/* {"error":{"code":code,"msg":msg},"id":id}; id is stolen. */
static void
control_error(struct sim_pss *pss, int code, const char *msg, json_t *id)
{
	json_t *out = json_object();

	json_object_set_new(out, "error",
			    json_pack("{s:i, s:s}", "code", code, "msg", msg));
	json_object_set_new(out, "id", id ? id : json_null());
	control_reply(pss, out);
}

/* The 1-based column just past the value of "key" in raw (one line),
 * where a JSON parser reading the object stops to complain; 0 if none. */
static int
column_after(const char *raw, size_t len, const char *key)
{
	char pat[32];
	const char *p;
	size_t k;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = memmem(raw, len, pat, strlen(pat));
	if (p == NULL)
		return 0;
	k = (size_t)(p - raw) + strlen(pat);
	while (k < len && (raw[k] == ' ' || raw[k] == ':' || raw[k] == '\t'))
		k++;
	if (k < len && raw[k] == '"') {
		for (k++; k < len && raw[k] != '"'; k++)
			if (raw[k] == '\\')
				k++;
		return (int)k + 1;
	}
	while (k < len && raw[k] != ',' && raw[k] != '}')
		k++;
	return (int)k;
}

/* A request id as Binance takes it: a 64-bit integer, up to 36
 * alphanumerics, or null. */
static bool
id_ok(const json_t *id)
{
	const char *s;

	if (json_is_integer(id) || json_is_null(id))
		return true;
	if (!json_is_string(id))
		return false;
	s = json_string_value(id);
	if (strlen(s) > 36)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

static void
subscribe(struct sim *sim, struct sim_pss *pss, bool sub, json_t *params,
	  json_t *id)
{
	struct stream_conn *c = pss->ws;
	json_t *v;
	size_t i;
	int add = 0;

	if (!json_is_array(params)) {
		control_error(pss, 2, "Invalid request: params must be an array "
				    "of stream names",
			    id);
		return;
	}
	json_array_foreach(params, i, v)
	{
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) >= NAME_MAX_LEN ||
		    json_string_value(v)[0] == '\0') {
			control_error(pss, 2,
				    "Invalid request: invalid stream name",
				    id);
			return;
		}
		if (sub && sub_find(c, json_string_value(v)) == NULL)
			add++;
	}
	if (c->nsubs + add > SIM_STREAMS_MAX) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "Invalid request: more than %d streams",
			 SIM_STREAMS_MAX);
		control_error(pss, 2, msg, id);
		return;
	}
	json_array_foreach(params, i, v)
	{
		if (!sub)
			sub_remove(sim, pss, json_string_value(v));
		else if (sub_add(sim, pss, json_string_value(v)) < 0)
			break;
	}
	control_reply(pss, json_pack("{s:n, s:o}", "result", "id", id));
}

static void
property(struct sim_pss *pss, bool set, json_t *params, json_t *id)
{
	json_t *name = json_array_get(params, 0), *v = json_array_get(params, 1);

	if (!json_is_array(params) || !json_is_string(name)) {
		control_error(pss, 2,
			    "Invalid request: property name must be a string",
			    id);
		return;
	}
	if (json_array_size(params) > (set ? 2u : 1u)) {
		control_error(pss, 2, "Invalid request: too many parameters", id);
		return;
	}
	if (strcmp(json_string_value(name), "combined") != 0) {
		control_error(pss, 0, "Unknown property", id);
		return;
	}
	if (!set) {
		control_reply(pss, json_pack("{s:b, s:o}", "result",
				     (int)pss->ws->combined, "id", id));
		return;
	}
	if (!json_is_boolean(v)) {
		control_error(pss, 1, "Invalid value type: expected Boolean", id);
		return;
	}
	pss->ws->combined = json_is_true(v);
	control_reply(pss, json_pack("{s:n, s:o}", "result", "id", id));
}

static void
control(struct sim *sim, struct sim_pss *pss, const char *msg, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(msg, len, 0, &err), *id, *m;
	const char *method;
	char text[400];

	if (!json_is_object(j)) {
		snprintf(text, sizeof(text),
			 "Invalid JSON: expected value at line %d column %d",
			 j ? 1 : err.line > 0 ? err.line : 1,
			 j ? 1 : err.column > 0 ? err.column : 1);
		json_decref(j);
		control_error(pss, 3, text, NULL);
		return;
	}
	id = json_object_get(j, "id");
	if (id == NULL || !id_ok(id)) {
		control_error(pss, 2,
			    "Invalid request: request ID must be an unsigned "
			    "integer",
			    NULL);
		json_decref(j);
		return;
	}
	json_incref(id);
	m = json_object_get(j, "method");
	method = json_string_value(m);
	if (m == NULL) {
		snprintf(text, sizeof(text),
			 "Invalid request: missing field `method` at line 1 "
			 "column %zu",
			 len);
		control_error(pss, 2, text, id);
	} else if (method != NULL && strcmp(method, "LIST_SUBSCRIPTIONS") == 0) {
		json_t *list = json_array();
		int k;

		for (k = 0; k < pss->ws->nsubs; k++)
			json_array_append_new(
			    list, json_string(pss->ws->subs[k].name));
		control_reply(pss, json_pack("{s:o, s:o}", "result", list, "id", id));
	} else if (method != NULL && (strcmp(method, "SUBSCRIBE") == 0 ||
				      strcmp(method, "UNSUBSCRIBE") == 0)) {
		subscribe(sim, pss, method[0] == 'S',
			  json_object_get(j, "params"), id);
	} else if (method != NULL && (strcmp(method, "SET_PROPERTY") == 0 ||
				      strcmp(method, "GET_PROPERTY") == 0)) {
		property(pss, method[0] == 'S', json_object_get(j, "params"),
			 id);
	} else {
		char *shown = json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT);

		snprintf(text, sizeof(text),
			 "Invalid request: unknown variant `%.100s`, expected "
			 "one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
			 "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` "
			 "at line 1 column %d",
			 method ? method : shown ? shown : "?",
			 column_after(msg, len, "method"));
		free(shown);
		control_error(pss, 2, text, id);
	}
	json_decref(j);
}

/* Binance's 5 incoming messages (pings, pongs, requests) a second: the
 * connection that sends more is closed with 1008. */
static bool
rate_ok(struct sim *sim, struct sim_pss *pss)
{
	struct stream_conn *c = pss->ws;
	int64_t now = mono_ms(), oldest = c->rx_times[c->rx_next];

	c->rx_times[c->rx_next] = now;
	c->rx_next = (c->rx_next + 1) % MSGS_PER_S;
	if (oldest == 0 || now - oldest >= 1000)
		return true;
	c->close_seen = true; /* no close frame of the client's to record */
	if (sim->ncloses < (int)(sizeof(sim->closes) / sizeof(sim->closes[0]))) {
		sim->closes[sim->ncloses].code = 1008;
		snprintf(sim->closes[sim->ncloses].reason,
			 sizeof(sim->closes[0].reason), "Too many requests");
		sim->ncloses++;
	}
	lws_close_reason(pss->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			 (unsigned char *)"Too many requests", 17);
	return false;
}

int
stream_receive(struct sim *sim, struct lws *wsi, void *vpss, const void *in,
	       size_t len)
{
	struct sim_pss *pss = vpss;
	struct stream_conn *c;

	if (pss == NULL || !pss->is_ws || pss->ws == NULL)
		return 0;
	c = pss->ws;
	if (c->rx_len + len > RX_MAX)
		return -1; /* too long for any control message */
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 1024;
		char *rx;

		while (cap < c->rx_len + len + 1)
			cap *= 2;
		rx = realloc(c->rx, cap);
		if (rx == NULL)
			return -1;
		c->rx = rx;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(wsi))
		return 0;
	c->rx[c->rx_len] = '\0';
	len = c->rx_len;
	c->rx_len = 0;
	if (!rate_ok(sim, pss))
		return -1;
	control(sim, pss, c->rx, len);
	return 0;
}

int
stream_pong(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss;

	if (pss == NULL || !pss->is_ws || pss->ws == NULL)
		return 0;
	pss->ws->ping_unanswered_ms = 0;
	return rate_ok(sim, pss) ? 0 : -1;
}

/* A client that has not answered a ping for ping_timeout_ms is dropped. */
void
stream_check_pings(struct sim *sim)
{
	int64_t now = mono_ms();
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		struct stream_conn *c = pss->ws;

		if (c->ping_unanswered_ms == 0 || c->close_seen ||
		    now - c->ping_unanswered_ms < sim->cfg.ping_timeout_ms)
			continue;
		c->close_seen = true;
		c->ping_unanswered_ms = 0;
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

/* ---- events ------------------------------------------------------------- */

static int64_t
tu(bool us, int64_t t_us)
{
	return us ? t_us : t_us / 1000;
}

static int64_t
tms(bool us, int64_t t_ms)
{
	return us ? t_ms * 1000 : t_ms;
}

static void
ev_trades(struct sim *sim, int i, bool us, bool agg, int64_t E,
	  struct buf *b)
{
	struct stream_state *st = sim->streams;
	const struct md_symbol *ms = &sim->market.md->sym[i];
	const char *sym = sim->market.symbols[i].name;
	size_t k = ms->ntrades, first;
	char p[32], q[32];

	while (k > 0 && md_trade_at(ms, k - 1)->id > st->last_trade[i])
		k--;
	for (first = k; k < ms->ntrades; k++) {
		const struct md_trade *t = md_trade_at(ms, k);
		int64_t qty = t->qty;
		size_t j = k;

		if (agg) {
			while (j + 1 < ms->ntrades &&
			       md_trade_at(ms, j + 1)->agg == t->agg)
				qty += md_trade_at(ms, ++j)->qty;
		}
		md_text(t->price, p, sizeof(p));
		md_text(qty, q, sizeof(q));
		if (k > first)
			bprintf(b, "\n");
		if (agg)
			bprintf(b,
				"{\"e\":\"aggTrade\",\"E\":%lld,\"s\":\"%s\","
				"\"a\":%lld,\"p\":\"%s\",\"q\":\"%s\",\"f\":%lld,"
				"\"l\":%lld,\"T\":%lld,\"m\":%s,\"M\":true}",
				(long long)E, sym, (long long)t->agg, p, q,
				(long long)t->id,
				(long long)md_trade_at(ms, j)->id,
				(long long)tu(us, t->time_us),
				t->buyer_maker ? "true" : "false");
		else
			bprintf(b,
				"{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\","
				"\"t\":%lld,\"p\":\"%s\",\"q\":\"%s\",\"T\":%lld,"
				"\"m\":%s,\"M\":true}",
				(long long)E, sym, (long long)t->id, p, q,
				(long long)tu(us, t->time_us),
				t->buyer_maker ? "true" : "false");
		k = j;
	}
}

/* The best level of a published side, or zeros. */
static struct md_level
best(const struct md_side *sd)
{
	struct md_level none = {0, 0};

	return sd->n ? sd->lv[0] : none;
}

static void
ev_ticker(struct sim *sim, int i, bool us, bool mini, int64_t E,
	  struct buf *b)
{
	struct md_symbol *ms = &sim->market.md->sym[i];
	struct md_stats s;
	struct md_level bid = best(&ms->book[0]), ask = best(&ms->book[1]);
	char o[32], h[32], l[32], c[32], v[32], q[32];

	md_stats(&sim->market, i, sim->streams->now_us / 1000, &s);
	md_text(s.open, o, sizeof(o));
	md_text(s.high, h, sizeof(h));
	md_text(s.low, l, sizeof(l));
	md_text(s.last, c, sizeof(c));
	md_dtext(s.volume, v, sizeof(v));
	md_dtext(s.quote_volume, q, sizeof(q));
	if (mini) {
		bprintf(b,
			"{\"e\":\"24hrMiniTicker\",\"E\":%lld,\"s\":\"%s\","
			"\"c\":\"%s\",\"o\":\"%s\",\"h\":\"%s\",\"l\":\"%s\","
			"\"v\":\"%s\",\"q\":\"%s\"}",
			(long long)E, sim->market.symbols[i].name, c, o, h, l,
			v, q);
		return;
	}
	char pc[32], pp[32], w[32], x[32], lq[32], bp[32], bq[32], ap[32],
	    aq[32];

	md_text(s.last - s.open, pc, sizeof(pc));
	if (s.last < s.open) /* market_text of a negative value */
		snprintf(pc, sizeof(pc), "-%lld.%08lld",
			 (long long)((s.open - s.last) / 100000000),
			 (long long)((s.open - s.last) % 100000000));
	snprintf(pp, sizeof(pp), "%.3f",
		 s.open ? (double)(s.last - s.open) * 100.0 / (double)s.open
			: 0.0);
	md_dtext(s.volume > 0 ? s.quote_volume / s.volume : 0, w, sizeof(w));
	md_text(s.prev_close, x, sizeof(x));
	md_text(s.last_qty, lq, sizeof(lq));
	md_text(bid.price, bp, sizeof(bp));
	md_text(bid.qty, bq, sizeof(bq));
	md_text(ask.price, ap, sizeof(ap));
	md_text(ask.qty, aq, sizeof(aq));
	bprintf(b,
		"{\"e\":\"24hrTicker\",\"E\":%lld,\"s\":\"%s\",\"p\":\"%s\","
		"\"P\":\"%s\",\"w\":\"%s\",\"x\":\"%s\",\"c\":\"%s\","
		"\"Q\":\"%s\",\"b\":\"%s\",\"B\":\"%s\",\"a\":\"%s\","
		"\"A\":\"%s\",\"o\":\"%s\",\"h\":\"%s\",\"l\":\"%s\","
		"\"v\":\"%s\",\"q\":\"%s\",\"O\":%lld,\"C\":%lld,\"F\":%lld,"
		"\"L\":%lld,\"n\":%lld}",
		(long long)E, sim->market.symbols[i].name, pc, pp, w, x, c, lq,
		bp, bq, ap, aq, o, h, l, v, q, (long long)tms(us, s.open_ms),
		(long long)tms(us, s.close_ms), (long long)s.first,
		(long long)s.last_id, (long long)s.count);
}

static void
kline_text(struct sim *sim, int i, int k, const struct md_kline *kl,
	   bool closed, bool us, int64_t E, struct buf *b)
{
	char o[32], h[32], l[32], c[32], v[32], q[32], tv[32], tq[32];
	const char *sym = sim->market.symbols[i].name;

	md_text(kl->o, o, sizeof(o));
	md_text(kl->h, h, sizeof(h));
	md_text(kl->l, l, sizeof(l));
	md_text(kl->c, c, sizeof(c));
	md_dtext(kl->v, v, sizeof(v));
	md_dtext(kl->q, q, sizeof(q));
	md_dtext(kl->tv, tv, sizeof(tv));
	md_dtext(kl->tq, tq, sizeof(tq));
	bprintf(b,
		"{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\",\"k\":{\"t\":%lld,"
		"\"T\":%lld,\"s\":\"%s\",\"i\":\"%s\",\"f\":%lld,\"L\":%lld,"
		"\"o\":\"%s\",\"c\":\"%s\",\"h\":\"%s\",\"l\":\"%s\","
		"\"v\":\"%s\",\"n\":%lld,\"x\":%s,\"q\":\"%s\",\"V\":\"%s\","
		"\"Q\":\"%s\",\"B\":\"0\"}}",
		(long long)E, sym, (long long)tms(us, kl->open_ms),
		(long long)(us ? md_interval_end(k, kl->open_ms) * 1000 + 999
			       : md_interval_end(k, kl->open_ms)),
		sym, md_interval_name(k), (long long)kl->first,
		(long long)kl->last, o, c, h, l, v, (long long)kl->n,
		closed ? "true" : "false", q, tv, tq);
}

/* The kline of interval k opening at open, or one without trades at the
 * last price. */
static void
kline_get(struct sim *sim, int i, int k, int64_t open, struct md_kline *kl)
{
	const struct md_symbol *ms = &sim->market.md->sym[i];

	if (md_klines(&sim->market, i, k, open, open, true, 1, kl) == 1)
		return;
	memset(kl, 0, sizeof(*kl));
	kl->open_ms = open;
	kl->first = kl->last = -1;
	if (ms->ntrades)
		kl->o = kl->h = kl->l = kl->c =
		    md_trade_at(ms, ms->ntrades - 1)->price;
}

static void
ev_kline(struct sim *sim, int i, int k, bool us, int64_t E, struct buf *b)
{
	struct stream_state *st = sim->streams;
	int64_t now_ms = st->now_us / 1000;
	int64_t open = md_interval_start(k, now_ms);
	int64_t sent = st->kline_open[i * 16 + k];
	struct md_kline kl;

	if (sent != 0 && sent != open) { /* the one before closed */
		kline_get(sim, i, k, sent, &kl);
		kline_text(sim, i, k, &kl, true, us, E, b);
		bprintf(b, "\n");
	}
	kline_get(sim, i, k, open, &kl);
	kline_text(sim, i, k, &kl, false, us, E, b);
}

static void
ev_depth(struct sim *sim, int i, int slot, bool us, int64_t E, struct buf *b)
{
	struct md_symbol *ms = &sim->market.md->sym[i];
	struct sim_symbol *s = &sim->market.symbols[i];

	if (slot >= SLOT_PARTIAL) {
		size_t n = (size_t)partial_levels[(slot - SLOT_PARTIAL) % 3];

		(void)us;
		bprintf(b, "{\"lastUpdateId\":%lld,\"bids\":",
			(long long)s->update_id);
		levels_text(b, ms->book[0].lv,
			    ms->book[0].n < n ? ms->book[0].n : n);
		bprintf(b, ",\"asks\":");
		levels_text(b, ms->book[1].lv,
			    ms->book[1].n < n ? ms->book[1].n : n);
		bprintf(b, "}");
		return;
	}

	enum md_cadence c = (enum md_cadence)(slot - SLOT_DIFF);
	struct md_change *ch = malloc((ms->nlog + 1) * sizeof(*ch));
	struct md_level *side[2];
	size_t n, k, cnt[2] = {0, 0};
	int64_t first, last;
	int sd;

	if (ch == NULL)
		return;
	n = md_changes(&sim->market, i, ms->sent[c], ch, ms->nlog, &first,
		       &last);
	if (n == 0) {
		free(ch);
		return;
	}
	side[0] = malloc(n * sizeof(struct md_level));
	side[1] = malloc(n * sizeof(struct md_level));
	if (side[0] && side[1]) {
		for (k = 0; k < n; k++) {
			sd = ch[k].bid ? 0 : 1;
			side[sd][cnt[sd]].price = ch[k].price;
			side[sd][cnt[sd]++].qty = ch[k].qty;
		}
		bprintf(b,
			"{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"%s\","
			"\"U\":%lld,\"u\":%lld,\"b\":",
			(long long)E, s->name, (long long)first,
			(long long)last);
		levels_text(b, side[0], cnt[0]);
		bprintf(b, ",\"a\":");
		levels_text(b, side[1], cnt[1]);
		bprintf(b, "}");
	}
	free(side[0]);
	free(side[1]);
	free(ch);
}

static char *
event_make(struct sim *sim, int i, int slot, bool us)
{
	struct stream_state *st = sim->streams;
	struct sim_symbol *s = &sim->market.symbols[i];
	int64_t E = tu(us, st->now_us);
	struct buf b = {0};

	if (slot == SLOT_TRADE || slot == SLOT_AGG) {
		ev_trades(sim, i, us, slot == SLOT_AGG, E, &b);
	} else if (slot == SLOT_BOOK) {
		struct md_symbol *ms = &sim->market.md->sym[i];
		struct md_level bid = best(&ms->book[0]),
				ask = best(&ms->book[1]);
		char bp[32], bq[32], ap[32], aq[32];

		md_text(bid.price, bp, sizeof(bp));
		md_text(bid.qty, bq, sizeof(bq));
		md_text(ask.price, ap, sizeof(ap));
		md_text(ask.qty, aq, sizeof(aq));
		bprintf(&b,
			"{\"u\":%lld,\"s\":\"%s\",\"b\":\"%s\",\"B\":\"%s\","
			"\"a\":\"%s\",\"A\":\"%s\"}",
			(long long)s->update_id, s->name, bp, bq, ap, aq);
	} else if (slot == SLOT_TICKER || slot == SLOT_MINI) {
		ev_ticker(sim, i, us, slot == SLOT_MINI, E, &b);
	} else if (slot == SLOT_AVG) {
		const struct md_symbol *ms = &sim->market.md->sym[i];

		bprintf(&b,
			"{\"e\":\"avgPrice\",\"E\":%lld,\"s\":\"%s\","
			"\"i\":\"5m\",\"w\":\"%.8f\",\"T\":%lld}",
			(long long)E, s->name, s->avg,
			(long long)tms(us, md_last_trade_ms(ms)));
	} else if (slot >= SLOT_KLINE) {
		ev_kline(sim, i, slot - SLOT_KLINE, us, E, &b);
	} else {
		ev_depth(sim, i, slot, us, E, &b);
	}
	if (b.n == 0) {
		free(b.p);
		return EMPTY;
	}
	return bdone(&b);
}

/* The events of one slot this tick, made on first use. */
static const char *
event_get(struct sim *sim, int i, int slot, bool us)
{
	struct stream_state *st = sim->streams;
	int idx = (i * NSLOTS + slot) * 2 + (us ? 1 : 0);

	if (st->cache[idx] == NULL) {
		st->cache[idx] = event_make(sim, i, slot, us);
		if (st->cache[idx] == NULL)
			return EMPTY;
		st->filled[st->nfilled++] = idx;
	}
	return st->cache[idx];
}

static int
state_init(struct sim *sim)
{
	struct stream_state *st = calloc(1, sizeof(*st));
	size_t n = (size_t)(sim->market.nsymbols ? sim->market.nsymbols : 1);

	if (st == NULL)
		return -1;
	st->cache = calloc(n * NSLOTS * 2, sizeof(*st->cache));
	st->filled = calloc(n * NSLOTS * 2, sizeof(*st->filled));
	st->last_trade = calloc(n, sizeof(*st->last_trade));
	st->kline_open = calloc(n * 16, sizeof(*st->kline_open));
	if (!st->cache || !st->filled || !st->last_trade || !st->kline_open) {
		free(st->cache);
		free(st->filled);
		free(st->last_trade);
		free(st->kline_open);
		free(st);
		return -1;
	}
	sim->streams = st;
	return 0;
}

void
stream_cleanup(struct sim *sim)
{
	struct stream_state *st = sim->streams;

	if (st == NULL)
		return;
	free(st->cache);
	free(st->filled);
	free(st->last_trade);
	free(st->kline_open);
	free(st);
	sim->streams = NULL;
}

/* Which slots are due this tick: the cadences that came round. */
static void
due_slots(struct stream_state *st, int64_t now, bool *s1, bool *s100)
{
	bool s2;
	int k;

	*s1 = now >= st->next_1s;
	*s100 = now >= st->next_100ms;
	s2 = now >= st->next_2s;
	if (*s1)
		st->next_1s = now + 1000;
	if (*s100)
		st->next_100ms = now + 100;
	if (s2)
		st->next_2s = now + 2000;
	st->due[SLOT_TRADE] = st->due[SLOT_AGG] = st->due[SLOT_BOOK] = true;
	st->due[SLOT_TICKER] = st->due[SLOT_MINI] = st->due[SLOT_AVG] = *s1;
	st->due[SLOT_DIFF + MD_1000MS] = *s1;
	st->due[SLOT_DIFF + MD_100MS] = *s100;
	for (k = 0; k < 3; k++) {
		st->due[SLOT_PARTIAL + k] = *s1;
		st->due[SLOT_PARTIAL + 3 + k] = *s100;
	}
	st->due[SLOT_KLINE] = *s1; /* 1s */
	for (k = 1; k < 16; k++)
		st->due[SLOT_KLINE + k] = s2;
}

static void
fan_out(struct sim *sim)
{
	struct stream_state *st = sim->streams;
	struct sim_pss *pss;
	int k;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		struct stream_conn *c = pss->ws;

		for (k = 0; k < c->nsubs; k++) {
			const struct sub *sb = &c->subs[k];
			const char *ev, *nl;

			if (sb->sym < 0 || !st->due[sb->slot])
				continue;
			ev = event_get(sim, sb->sym, sb->slot, c->micros);
			while (*ev != '\0') {
				nl = strchr(ev, '\n');
				push_event(pss, sb->name, ev,
					   nl ? (size_t)(nl - ev) : strlen(ev));
				ev = nl ? nl + 1 : "";
			}
		}
	}
}

void
stream_tick(struct sim *sim)
{
	struct stream_state *st;
	bool s1, s100;
	int i, k;
	size_t f;

	if (sim->streams == NULL && state_init(sim) < 0)
		return;
	st = sim->streams;
	st->now_us = sim_now_us();
	due_slots(st, mono_ms(), &s1, &s100);
	if (!sim->cfg.faults.stream_paused)
		fan_out(sim);
	for (f = 0; f < st->nfilled; f++) {
		if (st->cache[st->filled[f]] != EMPTY)
			free(st->cache[st->filled[f]]);
		st->cache[st->filled[f]] = NULL;
	}
	st->nfilled = 0;
	/* What was due is sent, to every connection that wanted it. */
	for (i = 0; i < sim->market.nsymbols; i++) {
		struct sim_symbol *s = &sim->market.symbols[i];

		st->last_trade[i] = s->trade_id;
		if (s1)
			md_sent(&sim->market, i, MD_1000MS, s->update_id);
		if (s100)
			md_sent(&sim->market, i, MD_100MS, s->update_id);
		for (k = 0; k < 16; k++)
			if (st->due[SLOT_KLINE + k])
				st->kline_open[i * 16 + k] = md_interval_start(
				    k, st->now_us / 1000);
	}
}

void
stream_ping_all(struct sim *sim)
{
	struct sim_pss *pss;

	for (pss = sim->ws_list; pss; pss = pss->next_ws) {
		pss->ws->ping_due = true;
		if (pss->ws->ping_unanswered_ms == 0)
			pss->ws->ping_unanswered_ms = mono_ms();
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
		pss->ws->close_seen = true; /* no close frame will come */
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
		queue_push(pss->ws, pss->wsi, bad, sizeof(bad) - 1);
		queue_push(pss->ws, pss->wsi, "\x01\x02not json", 10);
		queue_push(pss->ws, pss->wsi, huge, big);
	}
	free(huge);
}

int
stream_writeable(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;
	struct stream_conn *c = pss->ws;
	unsigned char ping[LWS_PRE + 8];
	char *msg;
	size_t len;
	int rc;

	(void)sim;
	if (c == NULL)
		return 0;
	if (c->ping_due) {
		c->ping_due = false;
		memcpy(ping + LWS_PRE, "gs", 2);
		if (lws_write(wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 2)
			return -1;
		if (c->qcount)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->qcount == 0)
		return 0;
	msg = c->queue[c->qhead];
	len = c->queue_len[c->qhead];
	c->qhead = (c->qhead + 1) % SIM_QUEUE;
	c->qcount--;
	rc = lws_write(wsi, (unsigned char *)msg + LWS_PRE, len,
		       LWS_WRITE_TEXT);
	free(msg);
	if (rc < (int)len)
		return -1;
	if (c->qcount)
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
	if (pss->ws != NULL)
		pss->ws->close_seen = true;
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
	struct stream_conn *c = pss->ws;

	if (!pss->is_ws)
		return;
	for (pp = &sim->ws_list; *pp; pp = &(*pp)->next_ws) {
		if (*pp == pss) {
			*pp = pss->next_ws;
			sim->ws_open--;
			break;
		}
	}
	if (c != NULL && !c->close_seen &&
	    sim->ncloses < (int)(sizeof(sim->closes) / sizeof(sim->closes[0]))) {
		sim->closes[sim->ncloses].code = 1006; /* abnormal */
		snprintf(sim->closes[sim->ncloses].reason,
			 sizeof(sim->closes[0].reason), "no close frame");
		sim->ncloses++;
	}
	conn_drop(sim, pss);
}

json_t *
stream_state(struct sim *sim)
{
	return json_pack("{s:i, s:i, s:I}", "open", sim->ws_open, "connects",
			 sim->ws_connects, "ping_timeouts",
			 (json_int_t)sim->ws_ping_timeouts);
}
