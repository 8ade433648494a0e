/*
 * pool.c - warm connections for the CANCELLING phase.
 *
 * A shutdown that opens connections pays a TCP and a TLS handshake, two
 * round trips, before its first cancel leaves.  So the client the phase
 * uses (bot->main_rest) opens, at start-up, as many connections as the
 * cancel fan-out needs (one per symbol, up to the parallelism cap), and a
 * worker keeps them: every interval it sends one GET /api/v3/ping (weight
 * 1) on each at once, which proves each connection alive and replaces any
 * the server closed.  The pings are held (rest_req.hold): each keeps its
 * connection until all have one.  Sent merely at once, a ping answered
 * before the next one picked its connection handed it that same one, and
 * on a loaded machine eight pings used from eight connections down to
 * one: the pool was short and the shutdown opened the rest.  Only pings
 * answered on distinct connections count as warm.
 *
 * Between checks the worker watches the idle connections' sockets: a
 * server that closes one (its idle timeout, a restart) is seen at once,
 * and a check replaces it then, not sooner than the floor below after the
 * last, rather than the shutdown finding it dead.  When a check had to
 * open connections, the server closes idle ones sooner than the interval:
 * the interval halves, down to a floor that keeps the pings' weight
 * small; like every request they are charged to the weight budget and
 * wait there when it is spent.  A stop never waits for a ping not sent
 * yet.
 *
 * A server that speaks HTTP/2 (ALPN h2, as Binance's REST hosts do) takes
 * every request at once on one connection, each a stream: curl waits for a
 * connection whose protocol is not known yet rather than open another
 * (CURLOPT_PIPEWAIT), so the pool is that one connection, proven by a
 * single ping per check, and the fan-out is limited by the server's
 * concurrent streams (a CDN allows 100 or more), not by sockets.
 *
 * The worker owns the client while RUNNING, watching included; the phase
 * takes it back with pool_release(), which stops the worker (an eventfd
 * wakes the watch) and waits out a check in flight (one round trip), so
 * one thread at a time uses the client.  The worker then runs the one job
 * the phase leaves it (pool_defer: marking the snapshot settled, disk
 * work off the phase's path, done while CLOSING waits on the network) and
 * ends; JOINING joins it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bot.h"

#define POOL_INTERVAL_MS 30000 /* one ping per connection per 30 s */
#define POOL_FLOOR_MS 2000
#define POOL_PING_COST_MS 200 /* the floor grows by this per connection */

struct pool {
	const struct bot_config *cfg;
	struct rest_client *rc;
	int size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy; /* a check or the watch is using rc */
	bool stop;
	int wake_fd; /* eventfd: a stop ends the watch's poll */
	bool posted; /* pool_defer was called */
	void (*job)(void *);
	void *job_arg;
	long long interval_ms;
	int checks;
	long replaced; /* connections opened by checks after the first */
	int warm;      /* distinct connections answering at the last check;
			* with HTTP/2, one stands for the whole fan-out */
	bool http2;    /* the last check was answered over HTTP/2 */
	long closed_seen; /* watches that saw the server close idle ones */
};

int
pool_new(struct pool **out, const struct bot_config *cfg,
	 struct rest_client *rc, int size)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->cfg = cfg;
	p->rc = rc;
	p->size = size < 1 ? 1 : size;
	p->interval_ms = POOL_INTERVAL_MS;
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake_fd < 0) {
		int err = -errno;

		free(p);
		return err;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	*out = p;
	return 0;
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	close(p->wake_fd);
	free(p);
}

int
pool_size(const struct pool *p)
{
	return p->size;
}

/* The floor of the interval: at most ~5 % of a 6000/min weight limit. */
static long long
pool_floor_ms(const struct pool *p)
{
	long long f = (long long)(p->http2 ? 1 : p->size) * POOL_PING_COST_MS;

	return f > POOL_FLOOR_MS ? f : POOL_FLOOR_MS;
}

/*
 * One ping on each connection at once, each on its own: an idle
 * connection is reused, a dead or missing one replaced; over HTTP/2, one
 * ping on the one connection.  Returns the connections that answered
 * (the pool's size when one of them is HTTP/2); *opened says how many had
 * to be opened.
 */
static int
pool_check(struct pool *p, long *opened, bool *http2)
{
	struct rest_req *reqs[BOT_MAX_SYMBOLS], *ptrs[BOT_MAX_SYMBOLS];
	struct timespec dl =
	    gs_mono_after_ms(p->cfg->exchange.request_timeout_ms);
	int ports[BOT_MAX_SYMBOLS];
	int i, j, n = p->http2 ? 1 : p->size, ok = 0;
	bool h2 = false;

	*opened = 0;
	if (n > BOT_MAX_SYMBOLS)
		n = BOT_MAX_SYMBOLS;
	for (i = 0; i < n; i++) {
		reqs[i] = calloc(1, sizeof(*reqs[i]));
		if (reqs[i] == NULL) {
			n = i;
			break;
		}
		rest_req_init(reqs[i], "GET", "/api/v3/ping", false);
		/* A stop never waits for a ping not sent yet. */
		reqs[i]->on_stop = REST_STOP_DROP_UNSENT;
		/* Held: n pings on n connections.  One HTTP/2 ping has
		 * nothing to hold its connection from. */
		reqs[i]->hold = !p->http2;
		ptrs[i] = reqs[i];
	}
	rest_run(p->rc, ptrs, n, n, &dl);
	for (i = 0; i < n; i++) {
		bool seen = false;

		/* Two pings on one connection prove one connection. */
		for (j = 0; j < ok && reqs[i]->conn_port != 0; j++)
			if (ports[j] == reqs[i]->conn_port)
				seen = true;
		if (reqs[i]->status == 200 && !seen)
			ports[ok++] = reqs[i]->conn_port;
		if (reqs[i]->status == 200 && reqs[i]->http2)
			h2 = true;
		*opened += reqs[i]->connects;
		rest_req_reset(reqs[i]);
		free(reqs[i]);
	}
	*http2 = h2;
	return h2 ? p->size : ok;
}

int
pool_warm(struct pool *p)
{
	long opened;
	bool h2;
	int ok = pool_check(p, &opened, &h2);

	p->warm = ok;
	p->http2 = h2;
	p->checks = 1;
	if (p->http2)
		log_info("connection pool: HTTP/2, one connection carries all "
			 "%d at once (%ld opened)",
			 p->size, opened);
	else
		log_info("connection pool: %d of %d connection%s warm "
			 "(%ld opened)",
			 ok, p->size, p->size == 1 ? "" : "s", opened);
	return ok;
}

/* Wake the worker's watch; never under p->mu (a write, however short). */
static void
pool_kick(struct pool *p)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, the worker is woken anyway. */
	if (write(p->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("connection pool: cannot wake the worker: %s",
			 strerror(errno));
}

/*
 * Wait until *until, a kick, or (with sockets) the server closing one of
 * the client's idle connections: true for the last.  The caller owns the
 * client: no request of it runs meanwhile, so its sockets stay its own.
 * Only the closing is watched (POLLRDHUP), not readable data: a TLS
 * session ticket arriving late is no reason to check.
 */
static bool
pool_watch(struct pool *p, const struct timespec *until, bool sockets)
{
	struct pollfd pf[1 + BOT_MAX_SYMBOLS * 2];
	int fds[BOT_MAX_SYMBOLS * 2];
	int i, n = 0, k;
	long long ms = gs_ms_until(until);
	uint64_t v;

	pf[0].fd = p->wake_fd;
	pf[0].events = POLLIN;
	if (sockets)
		n = rest_sockets(p->rc, fds, BOT_MAX_SYMBOLS * 2);
	for (i = 0; i < n; i++) {
		pf[1 + i].fd = fds[i];
		pf[1 + i].events = POLLRDHUP;
	}
	if (ms < 0)
		ms = 0;
	k = poll(pf, (nfds_t)n + 1, ms > INT_MAX ? INT_MAX : (int)ms);
	if (k <= 0)
		return false; /* the time came, or EINTR: the caller looks */
	if (pf[0].revents != 0 && read(p->wake_fd, &v, sizeof(v)) < 0 &&
	    errno != EAGAIN)
		log_warn("connection pool: wake-up: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (pf[1 + i].revents & (POLLRDHUP | POLLHUP | POLLERR))
			return true;
	return false;
}

void *
pool_main(void *arg)
{
	struct pool *p = arg;
	struct timespec next = gs_mono_after_ms(p->interval_ms);
	struct timespec last = gs_mono_now();
	bool closed = false; /* seen closing; checked at next */

	pthread_mutex_lock(&p->mu);
	while (!p->stop && !gs_stop_requested()) {
		long opened;
		bool h2;
		int ok;

		if (gs_ms_until(&next) > 0) {
			bool saw;

			/* The watch uses the client's sockets: busy. */
			p->busy = true;
			pthread_mutex_unlock(&p->mu);
			saw = pool_watch(p, &next, !closed);
			if (saw) {
				/* Not sooner than the floor after the last
				 * check: a server that keeps closing them is
				 * not pinged without bound. */
				long long wait =
				    pool_floor_ms(p) - gs_ms_since(&last);

				if (wait < 0)
					wait = 0;
				log_info("connection pool: the server closed an "
					 "idle connection; checking in %lld ms",
					 wait);
				if (wait < gs_ms_until(&next))
					next = gs_mono_after_ms(wait);
			}
			pthread_mutex_lock(&p->mu);
			p->busy = false;
			pthread_cond_broadcast(&p->cv);
			if (saw) {
				closed = true;
				p->closed_seen++;
			}
			continue;
		}
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		ok = pool_check(p, &opened, &h2);
		pthread_mutex_lock(&p->mu);
		p->http2 = h2;
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
		closed = false;
		last = gs_mono_now();
		p->warm = ok;
		p->checks++;
		p->replaced += opened;
		if (opened > 0 && p->interval_ms > pool_floor_ms(p)) {
			/* The server closes idle connections sooner. */
			p->interval_ms /= 2;
			if (p->interval_ms < pool_floor_ms(p))
				p->interval_ms = pool_floor_ms(p);
		}
		next = gs_mono_after_ms(p->interval_ms);
		if (opened > 0 || ok < p->size) {
			long long iv = p->interval_ms;
			int size = p->size;

			pthread_mutex_unlock(&p->mu);
			if (h2)
				log_info("connection pool: HTTP/2, one "
					 "connection carries all %d, %ld "
					 "replaced; checking every %lld ms",
					 size, opened, iv);
			else
				log_info("connection pool: %d of %d "
					 "connection%s warm, %ld replaced; "
					 "checking every %lld ms",
					 ok, size, size == 1 ? "" : "s", opened,
					 iv);
			pthread_mutex_lock(&p->mu);
		}
	}
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	/* The phase's job; bounded, should the phase never get to post. */
	next = gs_mono_after_ms(p->cfg->shutdown.cancel_timeout_ms +
				p->cfg->exchange.request_timeout_ms + 1000);
	while (!p->posted && gs_cond_wait_until(&p->cv, &p->mu, &next) == 0)
		;
	if (p->job != NULL) {
		void (*job)(void *) = p->job;
		void *job_arg = p->job_arg;

		p->job = NULL;
		pthread_mutex_unlock(&p->mu);
		job(job_arg);
		return NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void
pool_defer(struct pool *p, void (*job)(void *), void *arg)
{
	if (p == NULL) {
		if (job != NULL)
			job(arg);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->posted = true;
	p->job = job;
	p->job_arg = arg;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
pool_wake(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pool_kick(p);
}

int
pool_release(struct pool *p, const struct timespec *deadline, json_t *detail)
{
	int rc = 0;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pool_kick(p);
	pthread_mutex_lock(&p->mu);
	while (p->busy && gs_cond_wait_until(&p->cv, &p->mu, deadline) == 0)
		;
	if (p->busy)
		rc = -ETIMEDOUT;
	if (detail != NULL) {
		json_object_set_new(detail, "pool_size", json_integer(p->size));
		json_object_set_new(detail, "pool_warm", json_integer(p->warm));
		json_object_set_new(detail, "pool_http2",
				    json_boolean(p->http2));
		json_object_set_new(detail, "pool_replaced",
				    json_integer(p->replaced));
		json_object_set_new(detail, "pool_closed_seen",
				    json_integer(p->closed_seen));
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}
