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
 * answered on distinct connections count as warm.  When a check had to
 * open connections, the server
 * closes idle ones sooner than the interval: the interval halves, down to
 * a floor that keeps the pings' weight small; like every request they are
 * charged to the weight budget and wait there when it is spent.  A stop
 * never waits for a ping not sent yet.  HTTP/2, when the server
 * offers it, multiplexes the pings and the cancels over fewer connections.
 *
 * The worker owns the client while RUNNING; the phase takes it back with
 * pool_release(), which stops the worker and waits out a check in flight
 * (one round trip), so one thread at a time uses the client.  The worker
 * then runs the one job the phase leaves it (pool_defer: marking the
 * snapshot settled, disk work off the phase's path, done while CLOSING
 * waits on the network) and ends; JOINING joins it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

#define POOL_INTERVAL_MS 30000 /* one ping per connection per 30 s */
#define POOL_FLOOR_MS 2000
#define POOL_PING_COST_MS 200 /* the floor grows by this per connection */

struct pool {
	const struct gs_config *cfg;
	struct rest_client *rc;
	int size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy; /* a check is using rc */
	bool stop;
	bool posted; /* pool_defer was called */
	void (*job)(void *);
	void *job_arg;
	long long interval_ms;
	int checks;
	long replaced; /* connections opened by checks after the first */
	int warm;      /* distinct connections answering at the last check */
};

int
pool_new(struct pool **out, const struct gs_config *cfg,
	 struct rest_client *rc, int size)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->cfg = cfg;
	p->rc = rc;
	p->size = size < 1 ? 1 : size;
	p->interval_ms = POOL_INTERVAL_MS;
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
	long long f = (long long)p->size * POOL_PING_COST_MS;

	return f > POOL_FLOOR_MS ? f : POOL_FLOOR_MS;
}

/*
 * One ping on each connection at once, each on its own: an idle
 * connection is reused, a dead or missing one replaced.  Returns the
 * distinct connections that answered; *opened says how many had to be
 * opened.
 */
static int
pool_check(struct pool *p, long *opened)
{
	struct rest_req *reqs[GS_MAX_SYMBOLS], *ptrs[GS_MAX_SYMBOLS];
	struct timespec dl =
	    gs_mono_after_ms(p->cfg->exchange.request_timeout_ms);
	int ports[GS_MAX_SYMBOLS];
	int i, j, n = p->size, ok = 0;

	*opened = 0;
	if (n > GS_MAX_SYMBOLS)
		n = GS_MAX_SYMBOLS;
	for (i = 0; i < n; i++) {
		reqs[i] = calloc(1, sizeof(*reqs[i]));
		if (reqs[i] == NULL) {
			n = i;
			break;
		}
		rest_req_init(reqs[i], "GET", "/api/v3/ping", false);
		/* A stop never waits for a ping not sent yet. */
		reqs[i]->on_stop = REST_STOP_DROP_UNSENT;
		reqs[i]->hold = true;
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
		*opened += reqs[i]->connects;
		rest_req_reset(reqs[i]);
		free(reqs[i]);
	}
	return ok;
}

int
pool_warm(struct pool *p)
{
	long opened;
	int ok = pool_check(p, &opened);

	p->warm = ok;
	p->checks = 1;
	log_info("connection pool: %d of %d connection%s warm (%ld opened)",
		 ok, p->size, p->size == 1 ? "" : "s", opened);
	return ok;
}

void *
pool_main(void *arg)
{
	struct pool *p = arg;
	struct timespec next = gs_mono_after_ms(p->interval_ms);

	pthread_mutex_lock(&p->mu);
	while (!p->stop && !gs_stop_requested()) {
		long opened;
		int ok;

		if (gs_ms_until(&next) > 0) {
			gs_cond_wait_until(&p->cv, &p->mu, &next);
			continue;
		}
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		ok = pool_check(p, &opened);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
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
		if (opened > 0) {
			long long iv = p->interval_ms;

			pthread_mutex_unlock(&p->mu);
			log_info("connection pool: %ld connection%s replaced; "
				 "checking every %lld ms",
				 opened, opened == 1 ? "" : "s", iv);
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
	while (p->busy && gs_cond_wait_until(&p->cv, &p->mu, deadline) == 0)
		;
	if (p->busy)
		rc = -ETIMEDOUT;
	if (detail != NULL) {
		json_object_set_new(detail, "pool_size", json_integer(p->size));
		json_object_set_new(detail, "pool_warm", json_integer(p->warm));
		json_object_set_new(detail, "pool_replaced",
				    json_integer(p->replaced));
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}
