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

static bool
stream_add(struct sim *sim, struct sim_pss *pss, const char *name)
{
	char sym[SIM_SYMBOL_MAX];
	const char *at = strchr(name, '@');
	size_t i, n;

	if (at == NULL || pss->nstreams >= SIM_STREAMS_MAX ||
	    (strcmp(at, "@trade") != 0 && strcmp(at, "@bookTicker") != 0))
		return false;
	n = (size_t)(at - name);
	if (n == 0 || n >= sizeof(sym))
		return false;
	for (i = 0; i < n; i++)
		sym[i] = (char)toupper((unsigned char)name[i]);
	sym[n] = '\0';
	if (market_symbol(&sim->market, &sim->cfg, sym) == NULL)
		return false;
	snprintf(pss->streams[pss->nstreams++], sizeof(pss->streams[0]), "%s",
		 name);
	return true;
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
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		return -1;
	if (strncmp(uri, "/ws/", 4) == 0) {
		if (!stream_add(sim, pss, uri + 4))
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
			if (!stream_add(sim, pss, tok))
				return -1;
			tok = strtok_r(NULL, "/", &save);
		}
	} else {
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
event_json(struct sim *sim, const char *stream, char *out, size_t size)
{
	char sym[SIM_SYMBOL_MAX];
	const char *at = strchr(stream, '@');
	struct sim_symbol *s;
	long long now = sim_now_ms();
	size_t i, n = (size_t)(at - stream);

	for (i = 0; i < n && i + 1 < sizeof(sym); i++)
		sym[i] = (char)toupper((unsigned char)stream[i]);
	sym[i] = '\0';
	s = market_symbol(&sim->market, &sim->cfg, sym);
	if (s == NULL) {
		snprintf(out, size, "{}");
		return;
	}
	if (strcmp(at, "@trade") == 0)
		snprintf(out, size,
			 "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%lld,"
			 "\"p\":\"%.8f\",\"q\":\"%.8f\",\"T\":%lld,\"m\":%s,"
			 "\"M\":true}",
			 now, sym, (long long)s->trade_id, s->mid,
			 1.0 + market_rand(&sim->market) * 10, now,
			 market_rand(&sim->market) < 0.5 ? "true" : "false");
	else
		snprintf(out, size,
			 "{\"u\":%lld,\"s\":\"%s\",\"b\":\"%.8f\",\"B\":"
			 "\"%.8f\",\"a\":\"%.8f\",\"A\":\"%.8f\"}",
			 (long long)s->update_id, sym, s->mid - 0.01,
			 10.0 + market_rand(&sim->market) * 50, s->mid + 0.01,
			 10.0 + market_rand(&sim->market) * 50);
}

void
stream_tick(struct sim *sim)
{
	struct sim_pss *pss;
	char ev[512], msg[700];
	int i, n;

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
	return json_pack("{s:i, s:i}", "open", sim->ws_open, "connects",
			 sim->ws_connects);
}
