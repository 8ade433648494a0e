/*
 * userstream.c - the account, live: the connections that carry the user
 * data stream and the delivery of its events.
 *
 * Two forms, as binance-spot.md tells them: the WebSocket API at
 * /ws-api/v3 (requests are wsapi.c's; events arrive wrapped
 * {"subscriptionId":N,"event":{...}} on a subscribed connection), and
 * Binance.US's listenKey (POST/PUT/DELETE /api/v3/userDataStream, events
 * unwrapped at /ws/<listenKey>, the key lapsing listen_key_ttl_ms after
 * its last keepalive with a listenKeyExpired event).  Both ride the one
 * libwebsockets protocol of the port: main.c hands a connection here
 * when its target is one of these (userstream_target at the upgrade,
 * userstream_callback from then on), and everything else stays
 * stream.c's.
 *
 * Every event gets a number as it is published.  A REST reply dispatched
 * after an event waits until that event is written (userstream_flushed),
 * so the executionReport of a placement leaves before its reply, as on
 * Binance.  The faults act here: events delayed (timers, in order), lost,
 * delivered twice, and the connections dropped, now or after N events,
 * or kept open but silent (user_stream_silent: nothing written and
 * nothing read, so not even a pong goes back, until it is cleared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gshutdown.h"
#include "sim.h"
#include "userstream.h"

/* An event held back by the delay fault. */
struct us_pending {
	struct us_pending *next;
	int64_t due_ms; /* monotonic */
	uint64_t seq;
	int copies;
	char text[];
};

static struct {
	struct sim *sim;
	struct us_conn *conns;
	int api_conns, key_conns;
	/* The account's one listenKey, as the exchange keeps one. */
	char key[US_KEY_LEN + 1];
	int64_t key_expires_ms; /* monotonic; 0: no key */
	struct us_pending *pending, *pending_tail;
	uint64_t seq;
	long long published, sent, lost, duplicated, delayed, drops;
	long long expired, connects;
	long long key_creates, key_keepalives, key_closes;
	long long silenced;	 /* events and replies not sent: silence */
	int64_t silent_since_ns; /* monotonic; when the fault last began */
	int64_t silent_until_ns; /* ...and ended; 0 while it lasts */
	lws_sorted_usec_list_t ping_sul, delay_sul, key_sul;
	bool timers;
} us;

static int64_t
mono_ms(void)
{
	return gs_mono_ns() / 1000000;
}

/* ---- sending ------------------------------------------------------------ */

void
userstream_send(struct us_conn *c, const char *text, size_t len,
		uint64_t seq)
{
	struct us_msg *m;

	/* Nothing after the event a drop fault waits for. */
	if (c->gone || c->drop_when_written)
		return;
	/* Silent: lost, as on a connection that goes nowhere (and never
	 * queued, or a REST reply would wait for it: userstream_flushed). */
	if (us.sim->cfg.faults.user_stream_silent) {
		us.silenced++;
		return;
	}
	m = malloc(sizeof(*m) + LWS_PRE + len);
	if (m == NULL)
		return;
	m->next = NULL;
	m->seq = seq;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (c->tail != NULL)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	lws_callback_on_writable(c->wsi);
}

static void
queue_free(struct us_conn *c)
{
	struct us_msg *m;

	while ((m = c->head) != NULL) {
		c->head = m->next;
		free(m);
	}
	c->tail = NULL;
	c->queued = 0;
}

/* Close without a close frame, as a server that goes away does. */
static void
conn_drop(struct us_conn *c)
{
	if (c->gone)
		return;
	c->gone = true;
	queue_free(c);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
			LWS_TO_KILL_ASYNC);
}

void
userstream_drop_all(struct sim *sim)
{
	struct us_conn *c;
	int n = 0;

	(void)sim;
	for (c = us.conns; c != NULL; c = c->next) {
		if (!c->gone)
			n++;
		conn_drop(c);
	}
	us.drops += n;
	if (n > 0)
		log_info("user stream: %d connection%s dropped", n,
			 n == 1 ? "" : "s");
}

/*
 * Silent: the connections stay open, but nothing is written on them and
 * nothing read (so libwebsockets answers no ping), as behind a stuck NAT
 * or proxy; what was queued is lost.  Cleared: they read again (a peer
 * that gave up meanwhile is found closed then) and write again.
 */
static void
conn_silence(struct us_conn *c, bool silent)
{
	if (c->gone)
		return;
	if (silent)
		queue_free(c);
	c->ping_due = false;
	c->ping_unanswered_ms = 0;
	lws_rx_flow_control(c->wsi, silent ? 0 : 1);
	if (!silent)
		lws_callback_on_writable(c->wsi);
}

void
userstream_silence(struct sim *sim)
{
	bool silent = sim->cfg.faults.user_stream_silent;
	struct us_conn *c;
	int n = 0;

	if (silent == (us.silent_since_ns != 0 && us.silent_until_ns == 0))
		return;
	if (silent) {
		us.silent_since_ns = gs_mono_ns();
		us.silent_until_ns = 0;
	} else {
		us.silent_until_ns = gs_mono_ns();
	}
	for (c = us.conns; c != NULL; c = c->next) {
		conn_silence(c, silent);
		n += !c->gone;
	}
	log_info("user stream: %s (%d connection%s)",
		 silent ? "silent" : "no longer silent", n, n == 1 ? "" : "s");
}

/* ---- subscriptions -------------------------------------------------------- */

int
userstream_subscribe(struct us_conn *c, bool by_logon)
{
	if (c->sub_id >= 0)
		return -2035;
	if (c->next_sub_id >= US_SUB_IDS)
		return -2042;
	c->sub_id = c->next_sub_id++;
	c->sub_by_logon = by_logon;
	return c->sub_id;
}

int
userstream_unsubscribe(struct us_conn *c, int id)
{
	char text[128];
	int n;

	if (c->sub_id < 0 || (id >= 0 && id != c->sub_id))
		return -2036;
	n = snprintf(text, sizeof(text),
		     "{\"subscriptionId\":%d,\"event\":{\"e\":"
		     "\"eventStreamTerminated\",\"E\":%lld}}",
		     c->sub_id, (long long)sim_now_ms());
	c->sub_id = -1;
	c->sub_by_logon = false;
	if (n > 0 && (size_t)n < sizeof(text))
		userstream_send(c, text, (size_t)n, 0);
	return 0;
}

/* ---- events ----------------------------------------------------------------- */

static bool
key_live(void)
{
	return us.key_expires_ms != 0;
}

/* One event to every connection that listens, copies times over. */
static void
deliver(const char *event, uint64_t seq, int copies)
{
	struct sim_faults *f = &us.sim->cfg.faults;
	struct us_conn *c;
	size_t elen = strlen(event);
	char *wrapped = malloc(elen + 64);
	int k, n;

	if (wrapped == NULL)
		return;
	for (c = us.conns; c != NULL; c = c->next) {
		if (c->gone)
			continue;
		if (c->is_api && c->sub_id >= 0) {
			n = snprintf(wrapped, elen + 64,
				     "{\"subscriptionId\":%d,\"event\":%s}",
				     c->sub_id, event);
			for (k = 0; n > 0 && k < copies; k++)
				userstream_send(c, wrapped, (size_t)n, seq);
		} else if (!c->is_api && key_live() &&
			   strcmp(c->listen_key, us.key) == 0) {
			for (k = 0; k < copies; k++)
				userstream_send(c, event, elen, seq);
		} else {
			continue;
		}
		if (!f->user_stream_silent)
			us.sent += copies;
	}
	free(wrapped);
	/* The N-th event still goes out; then the connections go. */
	if (f->user_stream_drop_after > 0 && --f->user_stream_drop_after == 0)
		for (c = us.conns; c != NULL; c = c->next) {
			c->drop_when_written = true;
			lws_callback_on_writable(c->wsi);
		}
}

static void
delay_timer(lws_sorted_usec_list_t *sul)
{
	int64_t now = mono_ms();
	struct us_pending *p;

	(void)sul;
	while ((p = us.pending) != NULL && p->due_ms <= now) {
		us.pending = p->next;
		if (us.pending == NULL)
			us.pending_tail = NULL;
		deliver(p->text, p->seq, p->copies);
		free(p);
	}
	if (us.pending != NULL)
		lws_sul_schedule(us.sim->ctx, 0, &us.delay_sul, delay_timer,
				 (us.pending->due_ms - now) * LWS_US_PER_MS);
}

/* Hold an event back delay_ms; the order of events is kept. */
static void
delay(const char *text, uint64_t seq, int copies, int delay_ms)
{
	size_t len = strlen(text);
	struct us_pending *p = malloc(sizeof(*p) + len + 1);
	int64_t due = mono_ms() + delay_ms;

	if (p == NULL)
		return;
	if (us.pending_tail != NULL && us.pending_tail->due_ms > due)
		due = us.pending_tail->due_ms;
	p->next = NULL;
	p->due_ms = due;
	p->seq = seq;
	p->copies = copies;
	memcpy(p->text, text, len + 1);
	if (us.pending_tail != NULL) {
		us.pending_tail->next = p;
	} else {
		us.pending = p;
		lws_sul_schedule(us.sim->ctx, 0, &us.delay_sul, delay_timer,
				 (due - mono_ms()) * LWS_US_PER_MS);
	}
	us.pending_tail = p;
	us.delayed++;
}

void
userstream_publish(struct sim *sim, json_t *event)
{
	struct sim_faults *f = &sim->cfg.faults;
	char *text = json_dumps(event, JSON_COMPACT);
	int copies = 1;
	uint64_t seq;

	json_decref(event);
	if (text == NULL)
		return;
	us.published++;
	seq = ++us.seq;
	if (f->user_stream_loss_pct > 0 &&
	    market_rand(&sim->market) * 100.0 < f->user_stream_loss_pct) {
		us.lost++;
		free(text);
		return;
	}
	if (f->user_stream_duplicate > 0) {
		f->user_stream_duplicate--;
		us.duplicated++;
		copies = 2;
	}
	if (f->user_stream_delay_ms > 0)
		delay(text, seq, copies, f->user_stream_delay_ms);
	else
		deliver(text, seq, copies);
	free(text);
}

uint64_t
userstream_seq(struct sim *sim)
{
	(void)sim;
	return us.seq;
}

/*
 * Whether every event numbered up to seq has been written (or lost, or
 * held back by the delay fault, which is the point of that fault).
 */
bool
userstream_flushed(struct sim *sim, uint64_t seq)
{
	struct us_conn *c;
	struct us_msg *m;

	(void)sim;
	for (c = us.conns; c != NULL; c = c->next)
		for (m = c->head; m != NULL && !c->gone; m = m->next)
			if (m->seq != 0 && m->seq <= seq)
				return false;
	return true;
}

/* ---- listenKeys ----------------------------------------------------------- */

static void key_timer(lws_sorted_usec_list_t *sul);

static void
key_schedule(void)
{
	int64_t left;

	if (!key_live()) {
		lws_sul_cancel(&us.key_sul);
		return;
	}
	left = us.key_expires_ms - mono_ms();
	lws_sul_schedule(us.sim->ctx, 0, &us.key_sul, key_timer,
			 (left > 0 ? left : 0) * LWS_US_PER_MS);
}

/* The key lapsed: listenKeyExpired, and nothing more on its streams. */
static void
key_timer(lws_sorted_usec_list_t *sul)
{
	struct us_conn *c;
	char text[200];
	int n;

	(void)sul;
	if (!key_live() || us.key_expires_ms > mono_ms()) {
		key_schedule();
		return;
	}
	n = snprintf(text, sizeof(text),
		     "{\"e\":\"listenKeyExpired\",\"E\":%lld,\"listenKey\":"
		     "\"%s\"}",
		     (long long)sim_now_ms(), us.key);
	for (c = us.conns; c != NULL; c = c->next)
		if (!c->is_api && strcmp(c->listen_key, us.key) == 0 && n > 0)
			userstream_send(c, text, (size_t)n, 0);
	log_info("user stream: listenKey expired");
	us.key_expires_ms = 0;
	us.key[0] = '\0';
	us.expired++;
}

/* USER_STREAM: the API key, no signature. */
static bool
key_ok(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	if (p->api_key == NULL || p->api_key[0] == '\0') {
		reply_error(r, 401, -2014, "API-key format invalid.");
		return false;
	}
	if (strcmp(p->api_key, sim->cfg.api_key) != 0) {
		reply_error(r, 401, -2015,
			    "Invalid API-key, IP, or permissions for action.");
		return false;
	}
	return true;
}

/* The live key of the request, or NULL with the error in r. */
static bool
key_named(struct sim *sim, const struct sim_params *p, struct sim_reply *r)
{
	const char *key = param_get(p, "listenKey");

	if (!key_ok(sim, p, r))
		return false;
	if (key == NULL || *key == '\0') {
		reply_mandatory(r, "listenKey");
		return false;
	}
	if (!key_live() || strcmp(key, us.key) != 0) {
		reply_error(r, 400, -1125, "This listenKey does not exist.");
		return false;
	}
	return true;
}

/* The account's live key, extended, or a new one. */
void
listen_key_create(struct sim *sim, const struct sim_params *p,
		  struct sim_reply *r)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
				    "mnopqrstuvwxyz0123456789";
	int i;

	if (!key_ok(sim, p, r))
		return;
	if (!key_live()) {
		for (i = 0; i < US_KEY_LEN; i++)
			us.key[i] = alnum[(int)(market_rand(&sim->market) *
						(sizeof(alnum) - 1))];
		us.key[US_KEY_LEN] = '\0';
	}
	us.key_expires_ms = mono_ms() + sim->cfg.listen_key_ttl_ms;
	key_schedule();
	us.key_creates++;
	r->body = json_pack("{s:s}", "listenKey", us.key);
}

void
listen_key_keepalive(struct sim *sim, const struct sim_params *p,
		     struct sim_reply *r)
{
	if (!key_named(sim, p, r))
		return;
	us.key_expires_ms = mono_ms() + sim->cfg.listen_key_ttl_ms;
	key_schedule();
	us.key_keepalives++;
	r->body = json_object();
}

/* Closed normally: its streams say nothing more (no event for that). */
void
listen_key_close(struct sim *sim, const struct sim_params *p,
		 struct sim_reply *r)
{
	if (!key_named(sim, p, r))
		return;
	us.key_expires_ms = 0;
	us.key[0] = '\0';
	key_schedule();
	us.key_closes++;
	r->body = json_object();
}

/* ---- connections ---------------------------------------------------------- */

/* The listenKey of a target "/ws/<key>", or NULL. */
static const char *
target_key(const char *target)
{
	const char *k;

	if (strncmp(target, "/ws/", 4) != 0)
		return NULL;
	k = target + 4;
	if (strlen(k) != US_KEY_LEN || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "abcdefghijklmnopqrstuvwxyz"
						 "0123456789") != US_KEY_LEN)
		return NULL;
	return k;
}

static bool
target_api(const char *target)
{
	size_t n = strlen("/ws-api/v3");

	return strncmp(target, "/ws-api/v3", n) == 0 &&
	       (target[n] == '\0' || target[n] == '?');
}

bool
userstream_target(struct sim *sim, const char *target)
{
	const char *k = target_key(target);

	(void)sim;
	if (target_api(target))
		return true;
	return k != NULL && key_live() && strcmp(k, us.key) == 0;
}

static void
ping_timer(lws_sorted_usec_list_t *sul)
{
	struct sim *sim = us.sim;
	int64_t now = mono_ms();
	struct us_conn *c;

	(void)sul;
	for (c = us.conns; c != NULL; c = c->next) {
		/* Silent: no ping goes, so none is waited for. */
		if (c->gone || sim->cfg.faults.user_stream_silent)
			continue;
		if (c->ping_unanswered_ms != 0 &&
		    now - c->ping_unanswered_ms >= sim->cfg.ping_timeout_ms) {
			sim->ws_ping_timeouts++;
			conn_drop(c);
			continue;
		}
		c->ping_due = true;
		if (c->ping_unanswered_ms == 0)
			c->ping_unanswered_ms = now;
		lws_callback_on_writable(c->wsi);
	}
	lws_sul_schedule(sim->ctx, 0, &us.ping_sul, ping_timer,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
}

static int
conn_established(struct sim *sim, struct lws *wsi)
{
	char uri[256], arg[64];
	const char *k;
	struct us_conn *c;

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		return 0;
	k = target_key(uri);
	if (!target_api(uri) && (k == NULL || !key_live() ||
				 strcmp(k, us.key) != 0))
		return 0; /* stream.c's */
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->wsi = wsi;
	c->is_api = k == NULL;
	c->sub_id = -1;
	c->connected_ms = sim_now_ms();
	c->return_rate_limits = true;
	if (c->is_api &&
	    lws_get_urlarg_by_name(wsi, "returnRateLimits=", arg,
				   sizeof(arg)) != NULL &&
	    strcmp(arg, "false") == 0)
		c->return_rate_limits = false;
	if (k != NULL)
		snprintf(c->listen_key, sizeof(c->listen_key), "%s", k);
	if (c->is_api) {
		/* Connecting costs 2 of REQUEST_WEIGHT; past the limit the
		 * requests are what is refused. */
		struct sim_reply r = {.status = 200, .retry_after = -1};

		limits_charge_weight(sim, 2, &r);
		reply_clear(&r);
	}
	c->next = us.conns;
	us.conns = c;
	if (c->is_api)
		us.api_conns++;
	else
		us.key_conns++;
	us.connects++;
	lws_set_opaque_user_data(wsi, c);
	if (sim->cfg.faults.user_stream_silent)
		conn_silence(c, true);
	return 1;
}

static void
conn_closed(struct us_conn *c)
{
	struct us_conn **pp;

	for (pp = &us.conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->is_api)
		us.api_conns--;
	else
		us.key_conns--;
	lws_set_opaque_user_data(c->wsi, NULL);
	queue_free(c);
	free(c->rx);
	free(c);
}

static int
conn_writeable(struct us_conn *c)
{
	unsigned char ping[LWS_PRE + 8];
	struct us_msg *m;
	int rc;

	if (c->gone || us.sim->cfg.faults.user_stream_silent)
		return 0;
	if (c->ping_due) {
		c->ping_due = false;
		memcpy(ping + LWS_PRE, "gs", 2);
		if (lws_write(c->wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 2)
			return -1;
		if (c->head != NULL)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	m = c->head;
	if (m == NULL) {
		if (c->drop_when_written) {
			us.drops++;
			conn_drop(c);
		}
		return 0;
	}
	c->head = m->next;
	if (c->head == NULL)
		c->tail = NULL;
	c->queued--;
	rc = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
	free(m);
	if (rc < 0)
		return -1;
	if (c->head != NULL || c->drop_when_written)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static int
conn_receive(struct sim *sim, struct us_conn *c, const void *in, size_t len)
{
	char *nrx;

	if (c->rx_len + len > US_RX_MAX)
		return -1; /* no request is this long */
	nrx = realloc(c->rx, c->rx_len + len + 1);
	if (nrx == NULL)
		return -1;
	c->rx = nrx;
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	c->rx[c->rx_len] = '\0';
	/* A listenKey's stream has no requests: what comes is ignored. */
	if (c->is_api && !c->gone)
		wsapi_request(sim, c, c->rx, c->rx_len);
	c->rx_len = 0;
	return 0;
}

static void
conn_peer_close(struct sim *sim, const void *in, size_t len)
{
	const unsigned char *b = in;
	struct sim_close *cl;

	if (sim->ncloses >= (int)(sizeof(sim->closes) / sizeof(sim->closes[0])))
		return;
	cl = &sim->closes[sim->ncloses++];
	cl->code = len >= 2 ? (b[0] << 8) | b[1] : 1005;
	snprintf(cl->reason, sizeof(cl->reason), "%.*s",
		 len > 2 ? (int)(len - 2) : 0,
		 len > 2 ? (const char *)b + 2 : "");
}

bool
userstream_callback(struct sim *sim, struct lws *wsi,
		    enum lws_callback_reasons reason, void *in, size_t len,
		    int *rc)
{
	struct us_conn *c;

	*rc = 0;
	if (wsi == NULL)
		return false;
	if (reason == LWS_CALLBACK_ESTABLISHED) {
		int r = conn_established(sim, wsi);

		*rc = r < 0 ? -1 : 0;
		return r != 0;
	}
	c = lws_get_opaque_user_data(wsi);
	if (c == NULL)
		return false;
	switch (reason) {
	case LWS_CALLBACK_RECEIVE:
		*rc = conn_receive(sim, c, in, len);
		return true;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		*rc = conn_writeable(c);
		return true;
	case LWS_CALLBACK_RECEIVE_PONG:
		c->ping_unanswered_ms = 0;
		return true;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		conn_peer_close(sim, in, len);
		return true; /* lws answers the close */
	case LWS_CALLBACK_CLOSED:
		conn_closed(c);
		return false; /* main.c forgets the socket too */
	default:
		return false;
	}
}

/* ---- life ------------------------------------------------------------------- */

void
userstream_init(struct sim *sim)
{
	memset(&us, 0, sizeof(us));
	us.sim = sim;
	us.timers = true;
	if (sim->cfg.faults.user_stream_silent) /* from the INI */
		us.silent_since_ns = gs_mono_ns();
	lws_sul_schedule(sim->ctx, 0, &us.ping_sul, ping_timer,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
}

void
userstream_stop(struct sim *sim)
{
	(void)sim;
	if (!us.timers)
		return;
	us.timers = false;
	lws_sul_cancel(&us.ping_sul);
	lws_sul_cancel(&us.delay_sul);
	lws_sul_cancel(&us.key_sul);
}

void
userstream_free(struct sim *sim)
{
	struct us_pending *p;

	(void)sim;
	while ((p = us.pending) != NULL) {
		us.pending = p->next;
		free(p);
	}
	us.pending_tail = NULL;
	/* The connections went with the context (conn_closed). */
}

json_t *
userstream_state(struct sim *sim)
{
	struct us_pending *p;
	struct us_conn *c;
	int subs = 0, pending = 0;
	json_t *state, *more;

	for (c = us.conns; c != NULL; c = c->next)
		if (c->is_api && c->sub_id >= 0 && !c->gone)
			subs++;
	for (p = us.pending; p != NULL; p = p->next)
		pending++;
	state = json_pack(
	    "{s:i, s:i, s:I, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:i, s:I, "
	    "s:I}",
	    "api_connections", us.api_conns, "listen_key_connections",
	    us.key_conns, "connects", (json_int_t)us.connects, "subscriptions",
	    subs, "listen_key", key_live(),
	    "events_published", (json_int_t)us.published, "events_sent",
	    (json_int_t)us.sent, "events_lost", (json_int_t)us.lost,
	    "events_duplicated", (json_int_t)us.duplicated, "events_delayed",
	    (json_int_t)us.delayed, "events_pending", pending, "drops",
	    (json_int_t)us.drops,
	    "listen_keys_expired", (json_int_t)us.expired);
	if (state == NULL)
		return NULL;
	/* listenKey requests that succeeded; the silence fault's times are
	 * CLOCK_MONOTONIC, as a trace's mono_ns, to measure against. */
	more = json_pack("{s:I, s:I, s:I, s:b, s:I, s:I, s:I}",
			 "listen_key_creates", (json_int_t)us.key_creates,
			 "listen_key_keepalives", (json_int_t)us.key_keepalives,
			 "listen_key_closes", (json_int_t)us.key_closes, "silent",
			 sim->cfg.faults.user_stream_silent,
			 "silent_since_mono_ns", (json_int_t)us.silent_since_ns,
			 "silent_until_mono_ns", (json_int_t)us.silent_until_ns,
			 "events_silenced", (json_int_t)us.silenced);
	json_object_update(state, more);
	json_decref(more);
	return state;
}
