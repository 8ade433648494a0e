/*
 * rest.c - signed REST requests over libcurl.
 *
 * Each thread that talks to the exchange owns one rest_client: a curl
 * multi handle whose connection cache keeps connections alive between
 * requests, so a shutdown reuses the warm connections of start-up.
 * rest_run() sends a batch concurrently (bounded parallelism) against one
 * deadline.  The timestamp is corrected by the offset measured with GET
 * /api/v3/time; a -1021 (timestamp outside recvWindow) re-measures it and
 * sends the request again at once, once.  Every request's weight is
 * charged to the shared budget (budget.c) before it is sent, and waits
 * there while the budget is spent.  Secrets stay in this file's structs
 * and never reach the log.
 *
 * The exchange's host is resolved when the client is made (start-up) and
 * pinned with CURLOPT_RESOLVE, refreshed while RUNNING: libcurl never runs
 * its resolver (whose thread it joins without a timeout) during a phase,
 * the -1021 re-sync and the start-up requests included (every request
 * goes through rest_prepare).
 *
 * The client knows the sockets of its connections (libcurl opens and
 * closes them through this file), so the thread that owns it between
 * requests can watch its idle connections: a server that closes one is
 * seen at once, not when a request next wants it (pool.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bot.h"

/* Sockets a client may have open at once: CURLMOPT_MAX_HOST_CONNECTIONS,
 * two per connection attempt (IPv6 and IPv4), the re-sync's own. */
#define REST_SOCKETS_MAX 128

struct rest_client {
	const struct bot_config *cfg;
	char api_key[160];
	const struct sign_key *key; /* owned by main, outlives the client */
	CURLM *multi;
	atomic_llong own_offset; /* server time - local time */
	atomic_int own_resyncs;
	atomic_uint own_sync_gen; /* measurements of the offset made or begun */
	atomic_llong *offset_ms;  /* own_offset, or another client's */
	atomic_int *resyncs;
	atomic_uint *sync_gen;
	struct budget *budget; /* NULL: not charged */
	enum rest_on_stop on_stop;
	struct curl_slist *pin; /* "host:port:address" for CURLOPT_RESOLVE */
	struct curl_slist *pin_prev; /* replaced by pin; a handle may hold it */
	struct timespec pinned_at;
	/* Open sockets, changed by libcurl in the owner's thread only. */
	int socks[REST_SOCKETS_MAX];
	int nsocks;
	bool http2; /* the last answer came over HTTP/2 (owner's thread) */
};

#define PIN_REFRESH_MS 60000 /* re-resolve the pinned host while RUNNING */
/* Binance's longest ban is 3 days: a longer Retry-After is taken as that. */
#define REST_RETRY_MAX_S (3 * 86400)
/* A request-weight or order count past any exchange limit. */
#define REST_COUNT_MAX 1000000000

/*
 * Resolve the REST host and pin it (an address literal needs no pin).  At
 * start-up and while RUNNING only; a failure keeps the previous pin.
 */
static void
rest_pin(struct rest_client *rc)
{
	char *host = NULL, *port = NULL, entry[600], addr[INET6_ADDRSTRLEN];
	unsigned char buf[sizeof(struct in6_addr)];
	struct addrinfo hints, *res = NULL;
	struct curl_slist *pin;
	CURLU *u = curl_url();
	int rc_gai;

	rc->pinned_at = gs_mono_now();
	if (u == NULL ||
	    curl_url_set(u, CURLUPART_URL, rc->cfg->exchange.rest_url, 0) !=
		CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		CURLUE_OK)
		goto out;
	if (host[0] == '[' || inet_pton(AF_INET, host, buf) == 1)
		goto out; /* a literal: nothing to resolve */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc_gai = getaddrinfo(host, port, &hints, &res);
	if (rc_gai != 0 || res == NULL) {
		log_warn("cannot resolve %s: %s%s", host, gai_strerror(rc_gai),
			 rc->pin ? "; keeping the pinned address" : "");
		goto out;
	}
	if (res->ai_family == AF_INET6) {
		addr[0] = '[';
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
			  addr + 1, sizeof(addr) - 2);
		strcat(addr, "]");
	} else {
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr,
			  sizeof(addr));
	}
	freeaddrinfo(res);
	snprintf(entry, sizeof(entry), "%s:%s:%s", host, port, addr);
	pin = curl_slist_append(NULL, entry);
	if (pin != NULL) {
		/* libcurl reads the list when a transfer starts, not when the
		 * option is set: the one replaced stays until the next refresh,
		 * by when every transfer given it has started. */
		curl_slist_free_all(rc->pin_prev);
		rc->pin_prev = rc->pin;
		rc->pin = pin;
	}
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rest_client_new(struct rest_client **out, const struct bot_config *cfg,
		const char *api_key, const struct sign_key *key)
{
	struct rest_client *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return -ENOMEM;
	rc->cfg = cfg;
	snprintf(rc->api_key, sizeof(rc->api_key), "%s", api_key ? api_key : "");
	rc->key = key;
	rc->offset_ms = &rc->own_offset;
	rc->resyncs = &rc->own_resyncs;
	rc->sync_gen = &rc->own_sync_gen;
	rc->multi = curl_multi_init();
	if (rc->multi == NULL) {
		free(rc);
		return -ENOMEM;
	}
	/* Bounded parallelism per host, connections kept for reuse. */
	curl_multi_setopt(rc->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32L);
	curl_multi_setopt(rc->multi, CURLMOPT_MAXCONNECTS, 64L);
	/* HTTP/2 when the server offers it: one connection carries all. */
	curl_multi_setopt(rc->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	rest_pin(rc);
	*out = rc;
	return 0;
}

void
rest_client_free(struct rest_client *rc)
{
	if (rc == NULL)
		return;
	curl_multi_cleanup(rc->multi);
	curl_slist_free_all(rc->pin);
	curl_slist_free_all(rc->pin_prev);
	explicit_bzero(rc->api_key, sizeof(rc->api_key));
	free(rc);
}

void
rest_wakeup(struct rest_client *rc)
{
	curl_multi_wakeup(rc->multi);
}

void
rest_client_share(struct rest_client *rc, struct rest_client *with)
{
	rc->offset_ms = with->offset_ms;
	rc->resyncs = with->resyncs;
	rc->sync_gen = with->sync_gen;
	rc->budget = with->budget;
}

void
rest_client_budget(struct rest_client *rc, struct budget *b)
{
	rc->budget = b;
}

void
rest_client_on_stop(struct rest_client *rc, enum rest_on_stop how)
{
	rc->on_stop = how;
}

int
rest_resyncs(struct rest_client *rc)
{
	return atomic_load(rc->resyncs);
}

void
rest_req_init(struct rest_req *req, const char *method, const char *path,
	      bool is_signed)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	snprintf(req->path, sizeof(req->path), "%s", path);
	req->is_signed = is_signed;
	req->retry_after_s = -1;
	req->used_weight = -1;
	req->order_count = -1;
}

/* Forget the result, keep the request: ready to send again. */
void
rest_req_reset(struct rest_req *req)
{
	free(req->body);
	req->body = NULL;
	req->len = req->cap = 0;
	req->status = 0;
	req->code = 0;
	req->msg[0] = '\0';
	req->error[0] = '\0';
	req->retry_after_s = -1;
	req->used_weight = -1;
	req->order_count = -1;
	req->curl_code = 0;
	req->sent = false;
	req->connects = 0;
	req->conn_port = 0;
	req->http2 = false;
	req->connected = false;
	req->paused = false;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rest_req *req = arg;
	size_t n = size * nmemb;

	if (req->len + n + 1 > req->cap) {
		size_t cap = (req->len + n + 1) * 2;
		char *b;

		if (cap > 64 * 1024 * 1024)
			return 0; /* a reply this large is not ours */
		b = realloc(req->body, cap);
		if (b == NULL)
			return 0;
		req->body = b;
		req->cap = cap;
	}
	memcpy(req->body + req->len, data, n);
	req->len += n;
	req->body[req->len] = '\0';
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rest_req *req = arg;
	size_t n = size * nmemb;

	/* Saturated, never wrapped: a header of 2^63 is the exchange's
	 * word against us, not a number to add to a clock. */
	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		req->retry_after_s =
		    (int)parse_header_num(data + 12, n - 12, REST_RETRY_MAX_S);
	else if (n > 21 && strncasecmp(data, "X-MBX-USED-WEIGHT-1M:", 21) == 0)
		req->used_weight =
		    (int)parse_header_num(data + 21, n - 21, REST_COUNT_MAX);
	else if (n > 22 &&
		 strncasecmp(data, "X-MBX-ORDER-COUNT-10S:", 22) == 0)
		req->order_count =
		    (int)parse_header_num(data + 22, n - 22, REST_COUNT_MAX);
	return n;
}

static curl_socket_t
on_socket_open(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct rest_client *rc = arg;
	int fd;

	(void)purpose;
	fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC,
		    addr->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	/* A socket beyond the array is not watched: the pool's periodic
	 * check still proves its connection. */
	if (rc->nsocks < REST_SOCKETS_MAX)
		rc->socks[rc->nsocks++] = fd;
	return fd;
}

static int
on_socket_close(void *arg, curl_socket_t fd)
{
	struct rest_client *rc = arg;
	int i;

	for (i = 0; i < rc->nsocks; i++) {
		if (rc->socks[i] == fd) {
			rc->socks[i] = rc->socks[--rc->nsocks];
			break;
		}
	}
	return close(fd);
}

bool
rest_http2(const struct rest_client *rc)
{
	return rc->http2;
}

int
rest_sockets(const struct rest_client *rc, int *fds, int max)
{
	int i, n = rc->nsocks < max ? rc->nsocks : max;

	for (i = 0; i < n; i++)
		fds[i] = rc->socks[i];
	return n;
}

#if LIBCURL_VERSION_NUM >= 0x075000 /* 7.80.0: CURLOPT_PREREQFUNCTION */
/* The request has its connection and is about to go out on it. */
static int
on_prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct rest_req *req = arg;

	(void)ip;
	(void)local_ip;
	(void)port;
	req->connected = true;
	req->conn_port = local_port;
	/* Sent, but its reply left unread: the connection stays this
	 * request's until rest_hold_release. */
	if (req->hold && !req->paused &&
	    curl_easy_pause(req->easy, CURLPAUSE_RECV) == CURLE_OK)
		req->paused = true;
	return CURL_PREREQFUNC_OK;
}
#endif

/* Build the easy handle: URL with timestamp and signature, headers. */
static int
rest_prepare(struct rest_client *rc, struct rest_req *req)
{
	const struct bot_config *cfg = rc->cfg;
	char query[BOT_QUERY_MAX + 256], url[BOT_URL_MAX + BOT_QUERY_MAX + 400];
	char num[32], hdr[200];
	int n, rc_len = 0;
	CURL *e;

	n = snprintf(query, sizeof(query), "%s", req->query);
	if (n < 0 || (size_t)n >= sizeof(query))
		rc_len = -ENOSPC;
	if (req->is_signed && rc_len == 0) {
		snprintf(num, sizeof(num), "%d", cfg->exchange.recv_window_ms);
		rc_len |= sign_append(query, sizeof(query), "recvWindow", num);
			/* The measurement this timestamp uses (loaded before the
		 * offset: a newer offset comes with a newer generation). */
		req->sync_gen = atomic_load(rc->sync_gen);
		req->timestamp_ms =
		    bot_add_sat(wall_ms(), atomic_load(rc->offset_ms));
		req->recv_window_ms = cfg->exchange.recv_window_ms;
		snprintf(num, sizeof(num), "%lld", (long long)req->timestamp_ms);
		rc_len |= sign_append(query, sizeof(query), "timestamp", num);
		if (rc_len == 0) {
			int k = rc->key != NULL
				    ? keys_sign_query(rc->key, query,
						      sizeof(query))
				    : -EIO;

			if (k == -ENOSPC) {
				rc_len = -ENOSPC;
			} else if (k < 0) {
				explicit_bzero(query, sizeof(query));
				snprintf(req->error, sizeof(req->error),
					 "cannot sign the request");
				return -EIO;
			}
		}
	}
	n = snprintf(url, sizeof(url), "%s%s%s%s", cfg->exchange.rest_url,
		     req->path, query[0] ? "?" : "", query);
	explicit_bzero(query, sizeof(query));
	if (rc_len != 0 || n < 0 || (size_t)n >= sizeof(url)) {
		/* Never a request cut short: refuse it and say so. */
		snprintf(req->error, sizeof(req->error),
			 "request too long (%zu bytes of parameters)",
			 strlen(req->query));
		return -ENOSPC;
	}
	e = curl_easy_init();
	if (e == NULL)
		return -ENOMEM;
	req->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (!gs_stop_requested() &&
	    gs_ms_since(&rc->pinned_at) >= PIN_REFRESH_MS)
		rest_pin(rc);
	if (rc->pin != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, rc->pin);
#if LIBCURL_VERSION_NUM >= 0x075700 /* 7.87.0 */
	/* Abandoned at a deadline: never wait for a resolver thread. */
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)cfg->exchange.request_timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)cfg->exchange.request_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	/* Over TLS, while a connection's protocol is not known yet, wait for
	 * it rather than open another: an HTTP/2 one carries every request
	 * at once.  Not for held pings, which want connections of their own
	 * (HTTP/1.1), and whose waiting would hold the others up. */
	if (!req->hold && strncmp(cfg->exchange.rest_url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	/* The pool (pool.c) keeps connections in use well within this. */
	curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, (long)REST_CONN_MAXAGE_S);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
			 cfg->exchange.tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
			 cfg->exchange.tls_verify ? 2L : 0L);
	if (cfg->exchange.ca_file[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->exchange.ca_file);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "tradebotd/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_socket_open);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, rc);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_socket_close);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, rc);
#if LIBCURL_VERSION_NUM >= 0x075000
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, req);
#endif
	if (strcmp(req->method, "POST") == 0 ||
	    strcmp(req->method, "PUT") == 0) {
		/* An empty body, said so (Content-Length: 0): a PUT without
		 * one leaves a server waiting for a body. */
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
		if (strcmp(req->method, "PUT") == 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (rc->api_key[0]) {
		snprintf(hdr, sizeof(hdr), "X-MBX-APIKEY: %s", rc->api_key);
		req->headers = curl_slist_append(NULL, hdr);
		explicit_bzero(hdr, sizeof(hdr));
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	}
	return 0;
}

static void
rest_complete(struct rest_client *rc, struct rest_req *req, CURLcode cc)
{
	req->curl_code = (int)cc;
	if (cc != CURLE_OK) {
		snprintf(req->error, sizeof(req->error), "%s",
			 curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE,
				  &req->status);
		if (curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS,
				      &req->connects) != CURLE_OK)
			req->connects = 0;
		{
			long v = 0;

			req->http2 = curl_easy_getinfo(req->easy,
						       CURLINFO_HTTP_VERSION,
						       &v) == CURLE_OK &&
				     v == CURL_HTTP_VERSION_2_0;
			rc->http2 = req->http2;
		}
		if (req->status >= 400 && req->len > 0 &&
		    !parse_error(req->body, req->len, &req->code, req->msg,
				 sizeof(req->msg))) {
			char ex[200];

			parse_excerpt(req->body, req->len, ex, sizeof(ex));
			log_warn("%s %s: HTTP %ld with an unexpected body: %s",
				 req->method, req->path, req->status, ex);
		}
		if (rc->budget != NULL) {
			budget_reply(rc->budget, req->used_weight, wall_ms());
			budget_order_reply(rc->budget, wall_ms(),
					   req->order_count);
			if (req->status == 429 || req->status == 418)
				budget_block(rc->budget, req->retry_after_s);
		}
	}
	curl_slist_free_all(req->headers);
	req->headers = NULL;
}

static void
rest_release(struct rest_client *rc, struct rest_req *req)
{
	if (req->easy == NULL)
		return;
	curl_multi_remove_handle(rc->multi, req->easy);
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	curl_slist_free_all(req->headers);
	req->headers = NULL;
}

static enum rest_on_stop
rest_on_stop_of(const struct rest_client *rc, const struct rest_req *req)
{
	return req->on_stop > rc->on_stop ? req->on_stop : rc->on_stop;
}

/* The offset of the exchange's clock (server, at most PARSE_TIME_MAX_MS)
 * over ours, halfway between before and after; saturated, never wrapped. */
int64_t
rest_offset(int64_t server, int64_t before, int64_t after)
{
	return bot_sub_sat(server, before / 2 + after / 2);
}

static void
rest_set_offset(struct rest_client *rc, int64_t server, int64_t before,
		int64_t after)
{
	atomic_store(rc->offset_ms, rest_offset(server, before, after));
	atomic_fetch_add(rc->sync_gen, 1);
}

/*
 * Re-measure the clock offset after a -1021, outside the multi handle so
 * the batch in flight is left alone.  A -1021 to a request that used the
 * newest measurement always re-measures, however recent that one is (the
 * clock may have stepped again since); one to a request stamped before a
 * newer measurement shares that one.  Each attempt claims a generation,
 * so the -1021s of one measurement make one attempt, and a request is
 * sent again once only (rest_run): it cannot loop.
 */
static void
rest_resync(struct rest_client *rc, const struct rest_req *refused,
	    const struct timespec *deadline)
{
	long long ms = gs_ms_until(deadline);
	unsigned gen = refused->sync_gen;
	struct rest_req req;
	int64_t before, after, server;
	CURLcode cc;

	if (!atomic_compare_exchange_strong(rc->sync_gen, &gen, gen + 1))
		return; /* measured (or being measured) since it was stamped */
	if (ms > rc->cfg->exchange.request_timeout_ms)
		ms = rc->cfg->exchange.request_timeout_ms;
	if (ms <= 0)
		return;
	rest_req_init(&req, "GET", "/api/v3/time", false);
	if (rest_prepare(rc, &req) < 0) {
		rest_release(rc, &req);
		return;
	}
	curl_easy_setopt(req.easy, CURLOPT_TIMEOUT_MS, (long)ms);
	if (rc->budget != NULL)
		budget_spend(rc->budget, 1); /* urgent: charged, not gated */
	before = wall_ms();
	cc = curl_easy_perform(req.easy);
	after = wall_ms();
	rest_complete(rc, &req, cc);
	if (req.status == 200 &&
	    parse_server_time(req.body, req.len, &server) == 0) {
		rest_set_offset(rc, server, before, after);
		atomic_fetch_add(rc->resyncs, 1);
		log_info("clock re-synced after -1021: offset %lld ms",
			 (long long)atomic_load(rc->offset_ms));
	} else {
		char what[300];

		rest_describe(&req, what, sizeof(what));
		log_warn("clock re-sync after -1021 failed: %s", what);
	}
	curl_easy_cleanup(req.easy); /* never added to the multi handle */
	req.easy = NULL;
	rest_req_reset(&req);
}

/* Finish request i early (not sent, or abandoned on the wire). */
static void
rest_give_up(struct rest_client *rc, struct rest_req *req, const char *why)
{
	rest_release(rc, req);
	req->curl_code = CURLE_ABORTED_BY_CALLBACK;
	snprintf(req->error, sizeof(req->error), "%s", why);
}

/*
 * Let the held requests read their replies once no held request on the
 * wire is still without a connection (one that failed to get one is
 * finished), or at once with force.
 */
static void
rest_hold_release(struct rest_req **reqs, int n, bool force)
{
	int i;

	for (i = 0; i < n && !force; i++)
		if (reqs[i]->easy != NULL && reqs[i]->hold &&
		    !reqs[i]->connected)
			return;
	for (i = 0; i < n; i++) {
		if (reqs[i]->easy != NULL && reqs[i]->paused) {
			reqs[i]->paused = false;
			curl_easy_pause(reqs[i]->easy, CURLPAUSE_CONT);
		}
	}
}

/*
 * Once the stop flag is up, drop what must not start any more and abandon
 * what may be abandoned on the wire.  Returns how many were finished.
 */
static int
rest_stop(struct rest_client *rc, struct rest_req **reqs, int n, int *queue,
	  int *head, int tail, int *active)
{
	int i, k, w = tail, done = 0;

	/* Backwards, so the kept ones close up at the queue's tail. */
	for (k = tail - 1; k >= *head; k--) {
		struct rest_req *req = reqs[queue[k]];

		if (rest_on_stop_of(rc, req) >= REST_STOP_DROP_UNSENT) {
			rest_give_up(rc, req, "not sent: stopping");
			done++;
		} else {
			queue[--w] = queue[k];
		}
	}
	*head = w;
	for (i = 0; i < n; i++) {
		if (reqs[i]->easy != NULL &&
		    rest_on_stop_of(rc, reqs[i]) == REST_STOP_ABORT) {
			rest_give_up(rc, reqs[i], "abandoned: stopping");
			(*active)--;
			done++;
		}
	}
	return done;
}

int
rest_run(struct rest_client *rc, struct rest_req **reqs, int n,
	 int max_parallel, const struct timespec *deadline)
{
	int active = 0, done = 0, running = 0, head = 0, tail = 0, i;
	int *queue = calloc((size_t)(2 * n + 1), sizeof(*queue));
	long long held = 0; /* the budget's last "wait this long" */
	bool held_any = false; /* some request holds its connection */
	/* A held reply waits at most half its own timeout. */
	struct timespec hold_dl =
	    gs_mono_after_ms(rc->cfg->exchange.request_timeout_ms / 2);

	if (queue == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		rest_req_reset(reqs[i]);
		reqs[i]->resynced = false;
		reqs[i]->index = i;
		held_any |= reqs[i]->hold;
		queue[tail++] = i;
	}
	while (done < n) {
		CURLMsg *m;
		int left;
		long long ms = gs_ms_until(deadline), gate = 0;
		bool stop = gs_stop_requested();

		if (stop)
			done += rest_stop(rc, reqs, n, queue, &head, tail,
					  &active);
		while (active < max_parallel && head < tail && ms > 0) {
			struct rest_req *req = reqs[queue[head]];

			if (rc->budget != NULL) {
				bool order = strcmp(req->method, "POST") == 0 &&
					     strcmp(req->path,
						    "/api/v3/order") == 0;

				/* A new order counts against ORDERS too. */
				if (order) {
					gate = budget_order_reserve(rc->budget,
								    wall_ms());
					if (gate > 0)
						break;
				}
				gate = budget_reserve(
				    rc->budget,
				    budget_weight(req->method, req->path,
						  req->query),
				    !stop);
				if (gate > 0) {
					if (order)
						budget_order_refund(rc->budget,
								    wall_ms());
					break; /* wait rather than send */
				}
			}
			head++;
			if (rest_prepare(rc, req) < 0 ||
			    curl_multi_add_handle(rc->multi, req->easy) !=
				CURLM_OK) {
				if (req->error[0] == '\0')
					snprintf(req->error, sizeof(req->error),
						 "cannot start the request");
				req->curl_code = CURLE_FAILED_INIT;
				rest_release(rc, req);
				done++;
				continue;
			}
			req->sent = true;
			active++;
		}
		if (ms <= 0 || done == n)
			break;
		curl_multi_perform(rc->multi, &running);
		while ((m = curl_multi_info_read(rc->multi, &left)) != NULL) {
			struct rest_req *req = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&req);
			rest_complete(rc, req, m->data.result);
			rest_release(rc, req);
			active--;
			if (req->code == -1021 && req->is_signed &&
			    !req->resynced && gs_ms_until(deadline) > 0) {
				/* The clock moved: measure it, send again. */
				rest_resync(rc, req, deadline);
				rest_req_reset(req);
				req->resynced = true;
				queue[tail++] = req->index;
				continue;
			}
			done++;
		}
		/* Only pings hold: a batch of cancels skips the O(n) walk. */
		if (held_any)
			rest_hold_release(reqs, n,
					  gs_ms_until(&hold_dl) <= 0);
		if (done == n)
			break;
		held = gate;
		if (gate == 0 && active < max_parallel && head < tail)
			continue; /* a slot is free: fill it, never wait */
		if (gate > 0 && gate < ms)
			ms = gate;
		curl_multi_poll(rc->multi, NULL, 0, (int)(ms < 100 ? ms : 100),
				NULL);
	}
	/* Past the deadline: whatever is still open is abandoned. */
	for (i = 0; i < n; i++) {
		if (reqs[i]->easy != NULL) {
			reqs[i]->curl_code = CURLE_OPERATION_TIMEDOUT;
			snprintf(reqs[i]->error, sizeof(reqs[i]->error),
				 "abandoned at the phase deadline");
			rest_release(rc, reqs[i]);
		}
	}
	for (i = head; i < tail; i++) {
		struct rest_req *req = reqs[queue[i]];

		req->curl_code = CURLE_OPERATION_TIMEDOUT;
		if (held > 0)
			snprintf(req->error, sizeof(req->error),
				 "not sent before the deadline: held by the "
				 "request-weight budget (this daemon's share, "
				 "or the IP's ceiling as the exchange counts "
				 "it; room again in %lld ms)",
				 held);
		else
			snprintf(req->error, sizeof(req->error),
				 "not sent before the deadline");
	}
	free(queue);
	return done;
}

int
rest_one(struct rest_client *rc, struct rest_req *req)
{
	struct timespec dl =
	    gs_mono_after_ms(rc->cfg->exchange.request_timeout_ms + 500);

	return rest_run(rc, &req, 1, 1, &dl) == 1 ? 0 : -ETIMEDOUT;
}

bool
rest_unknown(const struct rest_req *req)
{
	/* -1006 and -1007: "execution status unknown" (Binance's errors). */
	return req->status == 0 || req->status >= 500 || req->code == -1006 ||
	       req->code == -1007 || req->code == -1001;
}

void
rest_describe(const struct rest_req *req, char *out, size_t size)
{
	if (req->status == 0)
		snprintf(out, size, "no reply (%s)",
			 req->error[0] ? req->error : "unknown error");
	else if (req->code != 0)
		snprintf(out, size, "HTTP %ld, code %d: %s", req->status,
			 req->code, req->msg);
	else
		snprintf(out, size, "HTTP %ld", req->status);
}

int64_t
rest_server_ms(const struct rest_client *rc)
{
	return bot_add_sat(wall_ms(), atomic_load(rc->offset_ms));
}

int
rest_sync_time(struct rest_client *rc, char *cause)
{
	struct rest_req req;
	int64_t before, after, server;
	char what[300];

	rest_req_init(&req, "GET", "/api/v3/time", false);
	req.on_stop = REST_STOP_ABORT; /* only worth it while running */
	before = wall_ms();
	rest_one(rc, &req);
	after = wall_ms();
	if (req.status != 200 ||
	    parse_server_time(req.body, req.len, &server) < 0) {
		rest_describe(&req, what, sizeof(what));
		snprintf(cause, GS_CAUSE_MAX, "GET %s/api/v3/time: %s",
			 rc->cfg->exchange.rest_url, what);
		rest_req_reset(&req);
		return -EHOSTUNREACH;
	}
	rest_set_offset(rc, server, before, after);
	rest_req_reset(&req);
	return 0;
}

int64_t
rest_exchange_ms(struct rest_client *rc)
{
	return bot_add_sat(wall_ms(), atomic_load(rc->offset_ms));
}
