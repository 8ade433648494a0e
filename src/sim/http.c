/*
 * http.c - the REST transport: libwebsockets' HTTP callbacks, the request
 * as sent (tap.c) matched to the one libwebsockets hands over, the body
 * read, the reply written (headers with the weight and order counts, the
 * body in chunks an HTTP/2 stream takes), latency faults on timers, and
 * which client connections are idle keep-alive ones (the close_idle
 * fault).  What a request means is rest.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gshutdown.h"
#include "sim.h"

int
sim_conn_fd(struct lws *wsi)
{
	struct lws *nwsi = lws_get_network_wsi(wsi);

	return lws_get_socket_fd(nwsi != NULL ? nwsi : wsi);
}

void
http_conn_open(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS) {
		sim->conn_state[fd] = 1;
		sim->conn_busy[fd] = 0;
	}
}

/* Upgraded to a WebSocket: never an idle HTTP connection again. */
void
http_conn_busy(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS && sim->conn_state[fd] != 0)
		sim->conn_state[fd] = 1;
}

void
http_conn_gone(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < SIM_CONN_FDS) {
		sim->conn_state[fd] = 0;
		sim->conn_busy[fd] = 0;
	}
}

/* A request began on the connection: it is not idle until it ends. */
static void
http_conn_request(struct sim *sim, struct sim_pss *pss, int fd)
{
	pss->conn_fd = fd;
	if (fd < 0 || fd >= SIM_CONN_FDS || sim->conn_state[fd] == 0)
		return;
	sim->conn_busy[fd]++;
	pss->conn_counted = true;
}

/* The request ended (answered, reset, or its stream closed). */
static void
http_conn_request_end(struct sim *sim, struct sim_pss *pss)
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
http_conn_answered(struct sim *sim, struct sim_pss *pss)
{
	int fd = pss->conn_fd;

	if (pss->conn_counted && sim->conn_state[fd] != 0)
		sim->conn_state[fd] = 2;
	http_conn_request_end(sim, pss);
}

/*
 * Close every idle keep-alive connection now, as a server's idle timeout
 * does: a FIN, then libwebsockets reads the end and closes its side.  A
 * connection in the middle of a request, and every WebSocket, is left.
 * Returns how many were closed.
 */
int
http_close_idle(struct sim *sim)
{
	struct sockaddr_storage ss;
	int fd, n = 0, listening;

	for (fd = 0; fd < SIM_CONN_FDS; fd++) {
		socklen_t sl = sizeof(ss), il = sizeof(listening);

		if (sim->conn_state[fd] != 2 || sim->conn_busy[fd] != 0)
			continue;
		/* Only a connected socket: never a listener. */
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &il) <
		        0 ||
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

static void
http_timer(lws_sorted_usec_list_t *sul)
{
	struct sim_pss *pss = lws_container_of(sul, struct sim_pss, sul);

	pss->phase = 2;
	lws_callback_on_writable(pss->wsi);
}

/*
 * A placement on its way to the matching engine (place_hold_ms): a copy
 * of the request, acted on when the hold ends whether or not its client
 * still waits, as an order sent is placed though the sender gave up.
 * The usual checks run then: past its timestamp + recvWindow it is
 * refused (-1021), as the exchange refuses it.
 */
struct sim_held {
	lws_sorted_usec_list_t sul;
	struct sim *sim;
	struct sim_pss *pss; /* waiting for the reply; NULL once gone */
	struct sim_pss req;
	struct sim_held *next;
};

static int http_dispatch(struct sim *sim, struct lws *wsi,
			 struct sim_pss *pss);

static void
held_unlink(struct sim_held *h)
{
	struct sim_held **pp;

	for (pp = &h->sim->held; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
}

static void
held_timer(lws_sorted_usec_list_t *sul)
{
	struct sim_held *h = lws_container_of(sul, struct sim_held, sul);
	struct sim *sim = h->sim;

	held_unlink(h);
	if (h->pss != NULL) {
		struct sim_pss *pss = h->pss;

		pss->held = NULL;
		if (http_dispatch(sim, pss->wsi, pss) < 0)
			lws_set_timeout(pss->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
			                LWS_TO_KILL_ASYNC);
	} else {
		/* Its client is gone: placed (or refused) all the same. */
		struct sim_params p = {.n = 0};
		struct sim_reply r = {.status = 200, .retry_after = -1};

		p.api_key = h->req.api_key;
		params_parse(&p, h->req.query, strlen(h->req.query));
		params_parse(&p, h->req.body, h->req.body_len);
		rest_route(sim, NULL, &h->req, &p, &r);
		params_free(&p);
		log_info("a held placement whose client is gone: HTTP %d",
		         r.status);
		reply_clear(&r);
	}
	free(h);
}

/* Hold a placement on its way: 1 when held, 0 when not to be. */
static int
http_hold(struct sim *sim, struct lws *wsi, struct sim_pss *pss)
{
	struct sim_held *h;

	if (pss->hold_done || sim->cfg.faults.place_hold_ms <= 0 ||
	    strcmp(pss->method, "POST") != 0 ||
	    strcmp(pss->path, "/api/v3/order") != 0)
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 0;
	pss->hold_done = true;
	pss->sim = sim;
	pss->wsi = wsi;
	pss->held = h;
	pss->phase = 1;
	h->sim = sim;
	h->pss = pss;
	h->req = *pss;
	h->req.response = NULL;
	h->req.held = NULL;
	h->next = sim->held;
	sim->held = h;
	lws_sul_schedule(sim->ctx, 0, &h->sul, held_timer,
	                 (lws_usec_t)sim->cfg.faults.place_hold_ms *
	                     LWS_US_PER_MS);
	return 1;
}

int
http_held_count(const struct sim *sim)
{
	const struct sim_held *h;
	int n = 0;

	for (h = sim->held; h != NULL; h = h->next)
		n++;
	return n;
}

void
http_held_free_all(struct sim *sim)
{
	while (sim->held != NULL) {
		struct sim_held *h = sim->held;

		sim->held = h->next;
		lws_sul_cancel(&h->sul);
		if (h->pss != NULL)
			h->pss->held = NULL;
		free(h);
	}
}

static const char not_found_page[] =
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n";

/* X-MBX-TIME-UNIT: MICROSECOND: the reply's times in µs, a listing
 * serialised already included. */
static void
http_reply_us(const struct sim_pss *pss, struct sim_reply *r)
{
	if (r->raw != NULL) {
		json_t *v = json_loads(r->raw, 0, NULL);

		if (v == NULL)
			return;
		free(r->raw);
		r->raw = NULL;
		json_decref(r->body);
		r->body = v;
	}
	if (strcmp(pss->path, "/api/v3/klines") == 0 ||
	    strcmp(pss->path, "/api/v3/uiKlines") == 0)
		timing_klines_us(r->body);
	else
		timing_reply_us(r->body);
}

static int
http_dispatch(struct sim *sim, struct lws *wsi, struct sim_pss *pss)
{
	struct sim_params p = {.n = 0};
	struct sim_reply r = {.status = 200, .retry_after = -1};
	struct sim_faults *f = &sim->cfg.faults;
	long long delay = 0;
	char *s;

	if (http_hold(sim, wsi, pss))
		return 0; /* acted on when the hold ends (held_timer) */
	p.api_key = pss->api_key;
	params_parse(&p, pss->query, strlen(pss->query));
	params_parse(&p, pss->body, pss->body_len);
	rest_route(sim, wsi, pss, &p, &r);
	params_free(&p);
	if (r.status == 200 && !r.html && !r.hang &&
	    strncmp(pss->path, "/admin/", 7) != 0 &&
	    timing_unit(pss->time_unit) == SIM_TIME_US)
		http_reply_us(pss, &r);
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
		if (strcmp(pss->method, "POST") == 0 &&
		    strcmp(pss->path, "/api/v3/order") == 0)
			delay += f->place_latency_ms;
	}
	pss->sim = sim;
	pss->wsi = wsi;
	pss->event_seq = userstream_seq(sim);
	pss->event_wait_since = 0;
	if (delay > 0) {
		pss->phase = 1;
		lws_sul_schedule(sim->ctx, 0, &pss->sul, http_timer,
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
		                       wsi, frag, sizeof(frag),
		                       WSI_TOKEN_HTTP_URI_ARGS, k++) >= 0) &&
		       frag[0] == '\0')
			;
		/* Over HTTP/1.1 libwebsockets ends the arguments of a query
		 * that ends in '?' or '&' with a "/" of its own. */
		if (!more_mine && more_lws && strcmp(frag, "/") == 0)
			more_lws = lws_hdr_copy_fragment(
			               wsi, frag, sizeof(frag),
			               WSI_TOKEN_HTTP_URI_ARGS, k) >= 0;
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
http_request(struct sim *sim, struct lws *wsi, void *vpss, const char *uri)
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

	http_conn_request(sim, pss, sim_conn_fd(wsi));
	memset(pss->method, 0, sizeof(pss->method));
	pss->hold_done = false; /* a new request on a kept-alive connection */
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (lws_hdr_total_length(wsi, methods[i].tok) > 0)
			snprintf(pss->method, sizeof(pss->method), "%s",
			         methods[i].name);
	/* The target as sent, not as libwebsockets normalised it. */
	if (tap_is_h2(pss->conn_fd)) {
		struct mine_arg m = {wsi, pss->method, uri};

		nth =
		    tap_take_match(pss->conn_fd, pss->target,
		                   sizeof(pss->target), tap_target_mine_cb, &m);
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
		h2_body = tap_taken_headers(
		    pss->conn_fd, pss->api_key, sizeof(pss->api_key),
		    pss->admin_token, sizeof(pss->admin_token), &pss->h2_id);
	} else {
		if (lws_hdr_custom_copy(wsi, pss->api_key, sizeof(pss->api_key),
		                        "x-mbx-apikey:", 13) < 0)
			pss->api_key[0] = '\0';
		if (lws_hdr_custom_copy(wsi, pss->admin_token,
		                        sizeof(pss->admin_token),
		                        "x-admin-token:", 14) < 0)
			pss->admin_token[0] = '\0';
	}
	if (pss->target_ok)
		tap_taken_time_unit(pss->conn_fd, pss->time_unit,
		                    sizeof(pss->time_unit));
	else if (lws_hdr_custom_copy(wsi, pss->time_unit,
	                             sizeof(pss->time_unit),
	                             "x-mbx-time-unit:", 16) < 0)
		pss->time_unit[0] = '\0';
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
		 * http_writeable.) */
		pss->body_expected =
		    (clen[0] != '\0' ? atoll(clen) > 0 : h2_body) &&
		    strcmp(pss->method, "GET") != 0;
	}
	if (pss->body_expected)
		return 0; /* answered at LWS_CALLBACK_HTTP_BODY_COMPLETION */
	return http_dispatch(sim, wsi, pss);
}

int
http_body(struct sim *sim, struct lws *wsi, void *vpss, const void *in,
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
http_body_done(struct sim *sim, struct lws *wsi, void *vpss)
{
	struct sim_pss *pss = vpss;

	/* lws signals completion for a POST without a body too: the
	 * request was answered already, and must not run twice. */
	if (!pss->body_expected)
		return 0;
	pss->body_expected = false;
	return http_dispatch(sim, wsi, pss);
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
http_writeable(struct sim *sim, struct lws *wsi, void *vpss)
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
			lws_sul_schedule(sim->ctx, 0, &pss->sul, http_timer,
			                 pss->h2_wait_ms * LWS_US_PER_MS);
			return 0;
		}
	}
	if (pss->phase == 2 && !userstream_flushed(sim, pss->event_seq)) {
		/* The account's events of this request leave first, as the
		 * exchange's executionReport precedes its reply; a user
		 * stream that does not read holds it SIM_EVENT_WAIT_MS at
		 * most. */
		int64_t now = gs_mono_ns() / 1000000;

		if (pss->event_wait_since == 0)
			pss->event_wait_since = now;
		if (now - pss->event_wait_since < SIM_EVENT_WAIT_MS) {
			pss->phase = 1;
			lws_sul_schedule(sim->ctx, 0, &pss->sul, http_timer,
			                 LWS_US_PER_MS);
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
			snprintf(v, sizeof(v), "%d", limits_weight_used(sim));
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
		              n,
		              last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
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
	http_conn_answered(sim, pss);
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

void
http_closed(struct sim *sim, void *vpss)
{
	struct sim_pss *pss = vpss;

	http_conn_request_end(sim, pss);
	lws_sul_cancel(&pss->sul);
	if (pss->held != NULL) {
		/* Gone before its placement reached the engine: the copy
		 * goes on without it. */
		pss->held->pss = NULL;
		pss->held = NULL;
	}
	free(pss->response);
	pss->response = NULL;
}
