/*
 * cancel.c - the CANCELLING phase: cancel every order of the bot, and only
 * the bot's, then prove none is left.
 *
 * A round lists the account's open orders (one GET /api/v3/openOrders),
 * keeps those whose clientOrderId carries the bot's prefix, and cancels
 * them concurrently: one DELETE /api/v3/openOrders per symbol where every
 * open order is the bot's, one DELETE /api/v3/order per order elsewhere.
 * The next round's listing is the verification.  Rounds repeat until
 * nothing of the bot's remains, cancel_retries is spent or the deadline
 * passes.  Retries run at round-trip scale: a cancel whose outcome is
 * unknown is sent again at once (after a jitter of up to a quarter of a
 * round trip) while the exchange answers the others; a failed listing
 * likewise.  Only a 429/418 (Retry-After) or an exchange that answers
 * nothing backs off, with jitter.  A 5xx or a timeout means "unknown":
 * only a listing decides.  Before the first cancel the open orders are
 * written to state_dir atomically, with every placement of this run the
 * listing does not show (an order on the wire is the bot's before any
 * listing knows it); a clean end marks the snapshot settled, so the next
 * start has nothing to recover.  A placement in flight or of unknown
 * outcome when the phase begins is decided before its first listing
 * (cancel_decide): by its reply, its event, a query, or the passing of
 * its timestamp + recvWindow; one still undecided at the deadline keeps
 * the phase from clean, and the snapshot from settled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bot.h"

/* Requests in flight at once: each needs its own connection over
 * HTTP/1.1; over HTTP/2 they are streams of one, and the bound is below
 * the 100 concurrent streams an HTTP/2 server allows at the least
 * (RFC 9113 recommends no fewer; curl queues past the server's figure). */
#define CANCEL_PARALLEL 32
#define CANCEL_PARALLEL_H2 100
#define SNAPSHOT_NAME "open-orders.json"
/* Cancels built and sent at once (each request holds ~5 KB). */
#define CANCEL_CHUNK 1024

struct cancel_run {
	struct bot *bot;
	struct rest_client *rc;
	const char *owns; /* the prefix of the orders it cancels: this
			   * instance's; the whole prefix's with
			   * --recover-orphans at start-up */
	const char *who;  /* "CANCELLING", "recovery": for the log */
	const struct timespec *deadline;
	bool sequential;
	bool snapshot;
	bool interruptible; /* start-up: a stop request ends it */
	bool listed;	/* a listing succeeded */
	int found;	/* the bot's orders at the first listing */
	int cancelled;	/* confirmed by a cancel reply */
	int gone;	/* -2011 Unknown order: already gone */
	int failed;	/* cancel requests refused or unanswered */
	int remaining;	/* the bot's orders at the last listing; -1 unknown */
	int foreign;	/* open orders that are not the bot's, untouched */
	int orphans_found; /* another instance's, at the first listing */
	int orphans;	/* another instance's, at the last listing */
	json_t *orphan_ids; /* the first listing's (50 at most) */
	bool orphans_noted; /* by the first listing (after the book's
			     * cancels, the verify) */
	int rounds;
	int requests;
	int list_errors;
	int listings_failed; /* over the whole phase */
	int retry_after_s;
	int list_failures; /* listings failed in a row */
	int resent;	/* cancels sent again at once */
	long connects;	/* connections the phase's requests opened */
	long long rtt_ms; /* the last listing's round trip */
	bool failing;	/* the exchange answered nothing: back off */
	bool unknown;	/* some outcome is unknown: verify before trusting */
	int snapshot_error; /* -errno of a snapshot that was not written */
	int snapshot_fd;    /* written and in place, not yet durable; or -1 */
	char *snapshot_text; /* what it holds (for the settled mark) */
	json_t *left;	/* client ids still open at the end */
};

int
cancel_fanout(const struct bot_config *cfg)
{
	if (cfg->shutdown.cancel_mode == BOT_CANCEL_PER_ORDER_SEQUENTIAL)
		return 1;
	return cfg->bot.nsymbols < CANCEL_PARALLEL ? cfg->bot.nsymbols
						   : CANCEL_PARALLEL;
}

/* ---- snapshot ---------------------------------------------------------- */

/* Make a file written by write_atomic durable, and its name; closes fd. */
static int
snapshot_sync(int fd, int dirfd)
{
	int rc = 0;

	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && fsync(dirfd) < 0)
		rc = -errno;
	return rc;
}

/*
 * Which snapshot ends in place when several threads write one (the
 * CANCELLING listing, a forced exit, the settled mark): each takes a
 * sequence number under bot->mu with the state it writes, and a file is
 * renamed into place, under bot->snap_mu, only if nothing newer is there
 * already.  by: a forced exit waits for the locks until then (NULL: as
 * long as it takes).
 */
struct snap_ticket {
	struct bot *bot;
	uint64_t seq;
	const struct timespec *by;
};

/* bot->mu held. */
static struct snap_ticket
snap_ticket_locked(struct bot *bot, const struct timespec *by)
{
	return (struct snap_ticket){bot, ++bot->snap_seq, by};
}

/* Try mu every 1 ms until by (CLOCK_MONOTONIC): no clock step stretches
 * the wait. */
static bool
lock_by(pthread_mutex_t *mu, const struct timespec *by)
{
	while (pthread_mutex_trylock(mu) != 0) {
		if (gs_ms_until(by) <= 0)
			return false;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	return true;
}

/* Rename tmp over name unless a newer snapshot is in place: 1 placed, 0
 * stale (tmp removed), or -errno. */
static int
snap_place(const struct snap_ticket *t, int dirfd, const char *tmp,
	   const char *name)
{
	int rc = 1;

	if (t->by != NULL ? !lock_by(&t->bot->snap_mu, t->by)
			  : pthread_mutex_lock(&t->bot->snap_mu) != 0)
		return -EBUSY;
	if (t->seq < t->bot->snap_placed)
		rc = 0;
	else if (renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	else
		t->bot->snap_placed = t->seq;
	pthread_mutex_unlock(&t->bot->snap_mu);
	if (rc == 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

/*
 * Write text to name in the directory dirfd atomically: temp file, fsync,
 * renameat, fsync the directory; the rename as ticket t allows (a stale
 * snapshot is dropped: 0, and *sync_fd -1).  With sync_fd the fsyncs are left to the
 * caller and the file is renamed into place first: the CANCELLING
 * snapshot must be in place before the first cancel, and a disk whose
 * fsync stalls must hold back neither the cancels nor a forced exit; the
 * next reader then finds the truth rather than an older snapshot, and a
 * power cut at worst leaves a file that does not parse, which recovery
 * treats as no snapshot (it lists the exchange anyway).
 * The directory is the one opened at start (never its path again, which
 * could name another by now); the temp file has a fresh unpredictable
 * name and is created, never opened (O_EXCL), so nothing planted in the
 * directory is written through; renameat replaces a symlink at name,
 * never its target.
 */
static int
write_atomic(int dirfd, const char *name, const char *text, int *sync_fd,
	     const struct snap_ticket *t)
{
	char tmp[NAME_MAX + 1];
	size_t len = strlen(text), off = 0;
	int fd, rc = 0;

	if (dirfd < 0)
		return -EBADF;
	fd = owner_tmp_open(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	/* Without sync_fd: durable before it is in place, as usual. */
	if (rc == 0 && sync_fd == NULL && fsync(fd) < 0)
		rc = -errno;
	if (rc == 0) {
		rc = snap_place(t, dirfd, tmp, name);
		if (rc == 0) { /* a newer snapshot is in place */
			close(fd);
			if (sync_fd != NULL)
				*sync_fd = -1;
			return 0;
		}
		rc = rc < 0 ? rc : 0;
	}
	if (rc < 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (sync_fd != NULL) {
		*sync_fd = fd;
		return 0;
	}
	close(fd);
	return fsync(dirfd) < 0 ? -errno : 0;
}

static void
snapshot_path(const struct bot *bot, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", bot->cfg->bot.state_dir, SNAPSHOT_NAME);
}

/* The snapshot as the last run left it, read through state_fd; or NULL. */
static json_t *
snapshot_read(const struct bot *bot)
{
	json_t *doc;
	int fd;

	if (bot->state_fd < 0)
		return NULL;
	fd = openat(bot->state_fd, SNAPSHOT_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	doc = json_loadfd(fd, 0, NULL);
	close(fd);
	return doc;
}

static json_t *
orders_json(const struct bot_order *orders, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "symbol",
				 orders[i].symbol, "orderId",
				 (json_int_t)orders[i].order_id,
				 "clientOrderId", orders[i].client_id, "price",
				 orders[i].price, "origQty", orders[i].qty,
				 "side", orders[i].side));
	return a;
}

/* text_out: the text written, for the settled mark (free it). */
static int
snapshot_write(struct bot *bot, json_t *orders, bool settled, int *sync_fd,
	       const struct snap_ticket *t, char **text_out)
{
	char path[GS_PATH_MAX + 32], *text;
	json_t *doc;
	int rc;

	snapshot_path(bot, path, sizeof(path));
	doc = json_pack("{s:s, s:I, s:b, s:O}", "run",
			gs_supervisor_run_id(bot->sup), "time_ms",
			(json_int_t)time(NULL) * 1000, "settled", settled,
			"orders", orders);
	text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (text == NULL)
		return -ENOMEM;
	rc = write_atomic(bot->state_fd, SNAPSHOT_NAME, text, sync_fd, t);
	if (rc == 0 && text_out != NULL)
		*text_out = text;
	else
		free(text);
	if (rc < 0)
		log_error("cannot write the order snapshot %s: %s", path,
			  strerror(-rc));
	return rc;
}

/* The listing plus the placements it does not show; bot->mu held. */
static json_t *
known_locked(struct bot *bot, json_t *listing)
{
	json_t *all = json_array(), *seen = json_object(), *v;
	const char *cid;
	size_t i;

	/* A set of the listed ids: 1,000 orders were a million compares. */
	json_array_foreach(listing, i, v)
	{
		const char *c =
		    json_string_value(json_object_get(v, "clientOrderId"));

		json_array_append(all, v);
		if (c != NULL)
			json_object_set_new(seen, c, json_true());
	}
	json_object_foreach(bot->placed, cid, v)
		if (json_object_get(seen, cid) == NULL)
			json_array_append_new(all, json_deep_copy(v));
	json_decref(seen);
	return all;
}

json_t *
cancel_known_orders(struct bot *bot, json_t *listing)
{
	json_t *all;

	pthread_mutex_lock(&bot->mu);
	all = known_locked(bot, listing ? listing : bot->known);
	pthread_mutex_unlock(&bot->mu);
	return all;
}

/* How long a phase's snapshot waits for the writer thread's rename. */
#define SNAP_LOCK_MS 200

int
cancel_snapshot(struct bot *bot, const struct bot_order *orders, int n,
		int *sync_fd, char **text)
{
	json_t *a = orders_json(orders, n), *all;
	/* The writer thread holds snap_mu across a rename a stalled
	 * journal can hold up: the cancels do not wait for it. */
	struct timespec by = gs_mono_after_ms(SNAP_LOCK_MS);
	struct snap_ticket t;
	int rc;

	pthread_mutex_lock(&bot->mu);
	json_decref(bot->known);
	bot->known = json_incref(a);
	all = known_locked(bot, a);
	t = snap_ticket_locked(bot, &by);
	pthread_mutex_unlock(&bot->mu);
	json_decref(a);
	rc = snapshot_write(bot, all, false, sync_fd, &t, text);
	json_decref(all);
	return rc;
}

int
cancel_snapshot_gen(struct bot *bot, uint64_t *gen)
{
	struct snap_ticket t;
	json_t *known;
	int rc;

	pthread_mutex_lock(&bot->mu);
	if (bot->snap_final) {
		pthread_mutex_unlock(&bot->mu);
		return 1;
	}
	known = known_locked(bot, bot->known);
	*gen = bot->snap_gen;
	t = snap_ticket_locked(bot, NULL);
	pthread_mutex_unlock(&bot->mu);
	rc = snapshot_write(bot, known, false, NULL, &t, NULL);
	json_decref(known);
	return rc;
}

/*
 * Forced exit: persist every order the bot knows of, without blocking on
 * a lock and without the network: memory, one file, one rename.
 */
void
cancel_force_hook(void *arg)
{
	struct bot *bot = arg;
	/* One budget for both locks: bot->mu (memory only) and snap_mu
	 * (held across a rename, which a stalled journal can hold up). */
	struct timespec by = gs_mono_after_ms(100);
	struct snap_ticket t;
	json_t *known;
	int fd = -1;

	if (!lock_by(&bot->mu, &by)) {
		log_error("forced exit: order state busy for 100 ms, "
			  "snapshot skipped");
		return;
	}
	known = known_locked(bot, bot->known);
	t = snap_ticket_locked(bot, &by);
	pthread_mutex_unlock(&bot->mu);
	/* In place, not waited on: the exit code and its record come next,
	 * and the kernel writes the file back after the process is gone. */
	if (snapshot_write(bot, known, false, &fd, &t, NULL) == 0 && fd >= 0)
		close(fd);
	json_decref(known);
}

/* ---- one round ---------------------------------------------------------- */

/* Sleep ms; in steps that watch the stop flag when interruptible. */
static void
pause_ms(long long ms, bool interruptible)
{
	while (ms > 0) {
		long long step = interruptible && ms > 50 ? 50 : ms;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};

		if (interruptible && gs_stop_requested())
			return;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= step;
	}
}

/* List the account's open orders; 0, or -EAGAIN (rate limited), -EIO. */
static int
list_open(struct cancel_run *r, struct bot_order **orders, int *n)
{
	struct rest_req req, *reqs[1] = {&req};
	char what[400];
	int rc = 0;

	int64_t t0 = gs_mono_ns();

	rest_req_init(&req, "GET", "/api/v3/openOrders", true);
	rest_run(r->rc, reqs, 1, 1, r->deadline);
	log_debug("GET /api/v3/openOrders: %zu bytes", req.len);
	if (req.status > 0)
		r->rtt_ms = (gs_mono_ns() - t0) / 1000000;
	r->requests++;
	r->connects += req.connects;
	*orders = NULL;
	*n = 0;
	if (req.status == 200) {
		*n = parse_open_orders(req.body, req.len, orders);
		if (*n < 0) {
			char ex[300];

			parse_excerpt(req.body, req.len, ex, sizeof(ex));
			log_error("GET /api/v3/openOrders: malformed reply: %s",
				  ex);
			*n = 0;
			rc = -EIO;
		}
	} else {
		rest_describe(&req, what, sizeof(what));
		log_warn("GET /api/v3/openOrders: %s", what);
		if (req.status == 429 || req.status == 418) {
			r->retry_after_s = req.retry_after_s;
			rc = -EAGAIN;
		} else {
			rc = -EIO;
		}
		/* A refusal (4xx) will repeat: not a stray 5xx. */
		if (req.status >= 400 && req.status < 500)
			r->failing = true;
	}
	rest_req_reset(&req);
	if (rc < 0) {
		r->list_errors++;
		r->listings_failed++;
		/* Twice in a row: not a stray 5xx any more. */
		if (++r->list_failures >= 2)
			r->failing = true;
	} else {
		r->list_failures = 0;
	}
	return rc;
}

static void
add_cancel(struct rest_req **reqs, int *k, const char *path,
	   const char *symbol, const char *client_id, int tag)
{
	struct rest_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return;
	rest_req_init(req, "DELETE", path, true);
	if (sign_append(req->query, sizeof(req->query), "symbol", symbol) <
		0 ||
	    (client_id != NULL &&
	     sign_append(req->query, sizeof(req->query), "origClientOrderId",
			 client_id) < 0)) {
		/* Cannot happen with the exchange's lengths; never cut. */
		log_error("DELETE %s: %s %s does not fit a request", path,
			  symbol, client_id ? client_id : "");
		free(req);
		return;
	}
	req->tag = tag;
	reqs[(*k)++] = req;
}

/* A cancel that may go again at once: its outcome is unknown (5xx, no
 * reply), and it was not refused for the rate. */
static bool
resendable(const struct rest_req *req)
{
	return rest_unknown(req) && req->status != 429 && req->status != 418;
}

static void
tally(struct cancel_run *r, struct rest_req *req)
{
	char what[400];

	if (req->status == 200) {
		if (req->tag > 0)
			r->cancelled += req->tag; /* a whole symbol */
		else
			r->cancelled++;
		return;
	}
	if (req->code == -2011 && strstr(req->msg, "Unknown order")) {
		r->gone += req->tag > 0 ? req->tag : 1;
		return;
	}
	r->failed++;
	rest_describe(req, what, sizeof(what));
	log_warn("DELETE %s %s: %s", req->path, req->query, what);
	if (req->status == 429 || req->status == 418) {
		if (req->retry_after_s > r->retry_after_s)
			r->retry_after_s = req->retry_after_s;
		if (r->retry_after_s < 0)
			r->retry_after_s = 0;
	}
	if (rest_unknown(req))
		r->unknown = true;
}

/* A pause of 0 to a quarter round trip: retries do not arrive together. */
static long long
jitter_ms(const struct cancel_run *r)
{
	unsigned short rnd = 0;
	long long span = r->rtt_ms / 4;

	if (span <= 0)
		return 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = 32768;
	return (span * rnd) / 65536;
}

static void pause_ms(long long ms, bool interruptible);

/*
 * Send the round's cancels, then send again at once those whose outcome
 * is unknown, while the exchange answers the others and nothing was
 * refused for the rate: a retry costs a round trip, not a backoff.  The
 * next listing verifies whatever the replies said.
 */
static void
cancel_waves(struct cancel_run *r, struct rest_req **reqs, int k)
{
	struct rest_req **wave = calloc((size_t)k + 1, sizeof(*wave));
	int i, n = k, attempt;

	if (wave == NULL)
		return;
	memcpy(wave, reqs, (size_t)k * sizeof(*wave));
	for (attempt = 0;; attempt++) {
		int again = 0, answered = 0;
		bool limited = false;

		rest_run(r->rc, wave, n,
			 r->sequential		? 1
			 : rest_http2(r->rc) ? CANCEL_PARALLEL_H2
					     : CANCEL_PARALLEL,
			 r->deadline);
		r->requests += n;
		for (i = 0; i < n; i++)
			r->connects += wave[i]->connects;
		for (i = 0; i < n; i++) {
			if (wave[i]->status == 429 || wave[i]->status == 418)
				limited = true;
			else if (wave[i]->status == 200 || wave[i]->code == -2011)
				answered++; /* the exchange dealt with it */
		}
		/* Nothing dealt with (5xx, no reply, refusals such as -1021):
		 * a failing exchange, not a stray 5xx; one lone request gets
		 * a second chance. */
		r->failing = answered == 0 && (n > 1 || attempt > 0);
		for (i = 0; i < n; i++) {
			if (resendable(wave[i]) && !limited && !r->failing &&
			    attempt < r->bot->cfg->shutdown.cancel_retries &&
			    gs_ms_until(r->deadline) > 2 * r->rtt_ms) {
				r->unknown = true;
				wave[again++] = wave[i];
				continue;
			}
			tally(r, wave[i]);
		}
		if (again == 0)
			break;
		n = again;
		r->resent += n;
		log_debug("%d cancel%s with no known outcome: sent again", n,
			  n == 1 ? "" : "s");
		pause_ms(jitter_ms(r), r->interruptible);
	}
	free(wave);
}

/*
 * Send the plan's cancels a chunk at a time: a listing of 400,000 orders
 * is never 400,000 requests in memory at once.  A stop (start-up) or the
 * deadline ends the round; what was not sent counts as failed, and the
 * next listing says what rests.
 */
static void
cancel_round(struct cancel_run *r, const struct bot_order *o, int n)
{
	struct cancel_item *plan = NULL;
	struct rest_req **reqs;
	int i, k, from, m;

	k = plan_cancels(r->owns, o, n, r->sequential, &plan);
	reqs = calloc(CANCEL_CHUNK + 1, sizeof(*reqs));
	if (k < 0 || reqs == NULL) {
		log_error("CANCELLING: out of memory planning %d cancels", n);
		free(plan);
		free(reqs);
		return;
	}
	for (from = 0; from < k; from += CANCEL_CHUNK) {
		if (gs_ms_until(r->deadline) <= 0 ||
		    (r->interruptible && gs_stop_requested())) {
			r->failed += k - from;
			break;
		}
		m = 0;
		for (i = from; i < k && i < from + CANCEL_CHUNK; i++) {
			const struct bot_order *x = &o[plan[i].order];

			if (plan[i].whole > 0)
				add_cancel(reqs, &m, "/api/v3/openOrders",
					   x->symbol, NULL, plan[i].whole);
			else
				add_cancel(reqs, &m, "/api/v3/order",
					   x->symbol, x->client_id, 0);
		}
		cancel_waves(r, reqs, m);
		for (i = 0; i < m; i++) {
			rest_req_reset(reqs[i]);
			free(reqs[i]);
		}
	}
	free(reqs);
	free(plan);
}

/*
 * The shutdown from the book (the user stream healthy and reconciled, so
 * the book is the account's): the cancels go at once, without a first
 * listing -- one DELETE /api/v3/openOrders per symbol where the book
 * shows more than one order of the bot's and no one else's was seen
 * during the run, one DELETE /api/v3/order per order elsewhere -- after the snapshot of what
 * the book holds is in place.  The listing that follows verifies.
 */
static int
cancel_from_book(struct cancel_run *r, json_t *detail)
{
	struct bot *bot = r->bot;
	const struct bot_config *cfg = bot->cfg;
	int own[BOT_MAX_SYMBOLS] = {0}, foreign[BOT_MAX_SYMBOLS] = {0};
	bool whole[BOT_MAX_SYMBOLS] = {false}, shared[BOT_MAX_SYMBOLS];
	int nshared = 0;
	struct rest_req **reqs;
	struct bot_order *o = NULL;
	int n, i, k, m = 0, nforeign = 0;

	pthread_mutex_lock(&bot->mu);
	n = book_own_orders(bot, &o);
	for (i = 0; i < cfg->bot.nsymbols; i++) {
		foreign[i] = book_foreign_count(bot, i);
		nforeign += foreign[i];
		/* Another's order seen there this run: its next may be
		 * on the way, and a cancel-all would take it too. */
		shared[i] = foreign[i] > 0 || bot->shared[i];
		nshared += shared[i];
	}
	pthread_mutex_unlock(&bot->mu);
	if (n < 0)
		return n;
	for (k = 0; k < n; k++)
		if ((i = bot_symbol_index(bot, o[k].symbol)) >= 0)
			own[i]++;
	r->listed = true;
	r->found = n;
	r->foreign = nforeign;
	json_object_set_new(detail, "book_orders", json_integer(n));
	json_object_set_new(detail, "book_foreign", json_integer(nforeign));
	json_object_set_new(detail, "shared_symbols", json_integer(nshared));
	/* In place before the first cancel, durable once they are out
	 * (written again, whatever the writer thread last put there: the
	 * file may have been replaced behind it). */
	r->snapshot_error = cancel_snapshot(bot, o, n, &r->snapshot_fd,
					    &r->snapshot_text);
	reqs = calloc(CANCEL_CHUNK + 1, sizeof(*reqs));
	if (reqs == NULL) {
		free(o);
		return -ENOMEM;
	}
	for (k = 0; k <= n; k++) {
		if (m > 0 && (m == CANCEL_CHUNK || k == n)) {
			cancel_waves(r, reqs, m);
			for (i = 0; i < m; i++) {
				rest_req_reset(reqs[i]);
				free(reqs[i]);
			}
			m = 0;
		}
		if (k == n)
			break;
		i = bot_symbol_index(bot, o[k].symbol);
		if (i >= 0 && !shared[i] && own[i] > 1 && !r->sequential) {
			if (!whole[i])
				add_cancel(reqs, &m, "/api/v3/openOrders",
					   o[k].symbol, NULL, own[i]);
			whole[i] = true;
		} else {
			add_cancel(reqs, &m, "/api/v3/order", o[k].symbol,
				   o[k].client_id, 0);
		}
	}
	free(reqs);
	free(o);
	r->rounds = 1;
	return 0;
}

/*
 * The wait before the next round: Retry-After on a 429/418; backoff with
 * jitter when the exchange answers nothing; else at once, after a
 * jitter of up to a quarter of a round trip.
 */
static long long
next_wait(struct cancel_run *r, long long backoff)
{
	unsigned short rnd = 0;

	if (r->retry_after_s > 0)
		return r->retry_after_s * 1000LL;
	if (r->retry_after_s == 0) /* 429 without the header: be sane */
		return backoff > 1000 ? backoff : 1000;
	if (r->failed == 0 && r->list_errors == 0)
		return 0;
	if (!r->failing)
		return jitter_ms(r);
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = 32768;
	return backoff / 2 + (backoff * rnd) / 65536;
}

/* Whether this run cancels other instances' orders (--recover-orphans). */
static bool
orphans_cancelled(const struct cancel_run *r)
{
	return strcmp(r->owns, r->bot->prefix) == 0;
}

/*
 * The first listing's orders of the prefix with another instance id: kept
 * for the trace (50 ids at most) and logged once, with some of their ids
 * (the log escapes them: they are the exchange's bytes).
 */
static void
note_orphans(struct cancel_run *r, const struct bot_order *o, int n)
{
	char ids[400];
	size_t off = 0;
	int i, shown = 0;

	r->orphans_found = r->orphans;
	json_decref(r->orphan_ids);
	r->orphan_ids = json_array();
	if (r->orphans == 0)
		return;
	ids[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!owner_orphan(r->bot, o[i].client_id))
			continue;
		if (json_array_size(r->orphan_ids) < 50)
			json_array_append_new(r->orphan_ids,
					      json_string(o[i].client_id));
		if (shown < 10 && off < sizeof(ids)) {
			int k = snprintf(ids + off, sizeof(ids) - off, "%s%s",
					 shown ? ", " : "", o[i].client_id);

			if (k > 0)
				off += (size_t)k;
			shown++;
		}
	}
	if (orphans_cancelled(r))
		log_warn("%s: %d order%s of other instances of prefix %s "
			 "(not %s) found; cancelled as --recover-orphans asks: "
			 "%s%s",
			 r->who, r->orphans, r->orphans == 1 ? "" : "s",
			 r->bot->prefix, r->bot->own, ids,
			 r->orphans > shown ? ", ..." : "");
	else
		log_warn("%s: %d order%s of another instance of prefix %s left "
			 "alone (not %s: another daemon's, or an abandoned "
			 "one's; --recover-orphans cancels them at start-up): "
			 "%s%s",
			 r->who, r->orphans, r->orphans == 1 ? "" : "s",
			 r->bot->prefix, r->bot->own, ids,
			 r->orphans > shown ? ", ..." : "");
}

/*
 * Cancel until the listing shows none of the bot's orders.  Returns the
 * outcome; the figures are left in r.
 */
static enum gs_outcome
cancel_until_clean(struct cancel_run *r)
{
	const struct bot_config *cfg = r->bot->cfg;
	long long backoff = cfg->shutdown.retry_backoff_ms;
	enum gs_outcome out = GS_OUTCOME_TIMEOUT;
	struct bot_order *orders = NULL;
	int n = 0, i, ours, failures = 0;

	r->remaining = -1;
	for (;;) {
		r->retry_after_s = -1;
		r->failed = 0;
		r->list_errors = 0;
		r->failing = false;
		free(orders);
		orders = NULL;
		n = 0;
		if (r->interruptible && gs_stop_requested())
			break;
		if (list_open(r, &orders, &n) == 0) {
			/* CANCELLING cancels no order of this instance that
			 * no run of it placed (book.c), even one first seen
			 * here: from then on, only this run's are the bot's. */
			if (r->snapshot && r->owns == r->bot->own &&
			    book_listed_conflicts(r->bot, orders, n) > 0)
				r->owns = r->bot->run_own;
			ours = 0;
			r->foreign = 0;
			r->orphans = 0;
			for (i = 0; i < n; i++) {
				if (owner_orphan(r->bot, orders[i].client_id))
					r->orphans++;
				if (plan_owns(r->owns, orders[i].client_id))
					ours++;
				else
					r->foreign++;
			}
			if (!r->orphans_noted) {
				note_orphans(r, orders, n);
				r->orphans_noted = true;
			}
			log_debug("round %d: %d open orders listed, %d the bot's",
				  r->rounds, n, ours);
			if (!r->listed) {
				/* The first listing that worked, whatever
				 * failed before it. */
				r->listed = true;
				r->found = ours;
				if (r->snapshot) {
					/* In place now, durable once the
					 * cancels are out (cancel_phase). */
					r->snapshot_error = cancel_snapshot(
					    r->bot, orders, n, &r->snapshot_fd,
					    &r->snapshot_text);
					log_debug("snapshot written");
				}
			}
			r->remaining = ours;
			if (ours == 0) {
				out = GS_OUTCOME_DONE;
				break;
			}
			if (r->rounds > cfg->shutdown.cancel_retries) {
				out = GS_OUTCOME_FAILED;
				break;
			}
			cancel_round(r, orders, n);
			log_debug("round %d: cancels answered", r->rounds);
		} else if (++failures > cfg->shutdown.cancel_retries + 1) {
			out = GS_OUTCOME_FAILED;
			break;
		}
		r->rounds++;
		{
			long long wait = next_wait(r, backoff);
			long long left = gs_ms_until(r->deadline);

			if (left <= 0)
				break;
			if (wait >= left) {
				/* Spend what is left on one last listing. */
				pause_ms(left > 100 ? left - 100 : 0,
					 r->interruptible);
			} else {
				pause_ms(wait, r->interruptible);
			}
			if (r->failing || r->retry_after_s >= 0)
				backoff = backoff * 2 > 5000 ? 5000
							     : backoff * 2;
		}
	}
	r->left = json_array();
	for (i = 0; i < n && out != GS_OUTCOME_DONE; i++)
		if (plan_owns(r->owns, orders[i].client_id) &&
		    json_array_size(r->left) < 50)
			json_array_append_new(r->left,
					      json_string(orders[i].client_id));
	free(orders);
	return out;
}

static void
run_figures(struct cancel_run *r, json_t *detail)
{
	json_object_set_new(detail, "orders_found", json_integer(r->found));
	json_object_set_new(detail, "orders_cancelled",
			    json_integer(r->cancelled));
	json_object_set_new(detail, "orders_already_gone",
			    json_integer(r->gone));
	json_object_set_new(detail, "orders_failed", json_integer(r->failed));
	json_object_set_new(detail, "orders_remaining",
			    r->remaining >= 0 ? json_integer(r->remaining)
					      : json_null());
	json_object_set_new(detail, "foreign_untouched",
			    json_integer(r->foreign));
	json_object_set_new(detail, "orphans_found",
			    json_integer(r->orphans_found));
	json_object_set_new(detail, "orphans_untouched",
			    json_integer(orphans_cancelled(r) ? 0
							      : r->orphans));
	json_object_set_new(detail, "orphan_ids",
			    r->orphan_ids ? r->orphan_ids : json_array());
	r->orphan_ids = NULL;
	json_object_set_new(detail, "rounds", json_integer(r->rounds));
	json_object_set_new(detail, "requests", json_integer(r->requests));
	json_object_set_new(detail, "listings_failed",
			    json_integer(r->listings_failed));
	json_object_set_new(detail, "resent_at_once", json_integer(r->resent));
	json_object_set_new(detail, "connections_opened",
			    json_integer(r->connects));
	json_object_set_new(detail, "remaining_ids",
			    r->left ? r->left : json_array());
	r->left = NULL;
}

/*
 * The settled form of a snapshot's text: '"settled": false' (the first,
 * the top level's: it comes before the orders) becomes true, with the
 * time.  The orders are not parsed or written out again; NULL when the
 * text is not one snapshot_write() made.
 */
static char *
settled_text(const char *text)
{
	static const char mark[] = "\"settled\": false";
	const char *at = text ? strstr(text, mark) : NULL;
	char *out;

	if (at == NULL)
		return NULL;
	if (asprintf(&out, "%.*s\"settled\": true,\n \"settled_time_ms\": %lld%s",
		     (int)(at - text), text, (long long)time(NULL) * 1000,
		     at + strlen(mark)) < 0)
		return NULL;
	return out;
}

/*
 * Nothing of the bot's rests: mark the snapshot settled (its orders were
 * all cancelled), so the next start recovers nothing.  From the text the
 * phase wrote when there is one, else from the file.  0 or -errno.
 */
static int
cancel_settle(struct bot *bot, const char *written)
{
	char path[GS_PATH_MAX + 32], *text;
	struct snap_ticket t;
	json_t *doc;
	int rc;

	pthread_mutex_lock(&bot->mu);
	json_object_clear(bot->placed);
	json_decref(bot->known);
	bot->known = json_array();
	bot->snap_final = true; /* the running writer never overwrites it */
	t = snap_ticket_locked(bot, NULL);
	pthread_mutex_unlock(&bot->mu);
	snapshot_path(bot, path, sizeof(path));
	text = settled_text(written);
	if (text == NULL) {
		doc = snapshot_read(bot);
		if (!json_is_object(doc)) {
			json_decref(doc);
			return -ENOENT;
		}
		json_object_set_new(doc, "settled", json_true());
		json_object_set_new(
		    doc, "settled_time_ms",
		    json_integer((json_int_t)time(NULL) * 1000));
		text = json_dumps(doc, JSON_INDENT(1));
		json_decref(doc);
		if (text == NULL)
			return -ENOMEM;
	}
	rc = write_atomic(bot->state_fd, SNAPSHOT_NAME, text, NULL, &t);
	free(text);
	if (rc < 0)
		log_error("cannot mark the order snapshot %s settled: %s", path,
			  strerror(-rc));
	return rc;
}

/* ---- placements of unknown outcome at the stop ------------------------- */

/* Queries sent at the stop at most (weight 4 each): past that, the
 * passing of each other order's window and the listing decide. */
#define DECIDE_QUERIES_MAX 64

/*
 * One GET /api/v3/order for each of the undecided placements, at most
 * DECIDE_QUERIES_MAX: those whose windows end last, the ones the wait
 * would otherwise be longest for; what they answer decides.  The rest
 * are left to their windows, which end sooner.
 */
static void
decide_queries(struct cancel_run *r)
{
	struct bot *bot = r->bot;
	json_t *ids = json_array();
	size_t n, i, k = 0;
	struct rest_req *reqs = NULL, **ptrs = NULL;

	if (ids == NULL)
		return;
	pthread_mutex_lock(&bot->mu);
	outcome_latest_locked(bot, DECIDE_QUERIES_MAX, ids);
	pthread_mutex_unlock(&bot->mu);
	n = json_array_size(ids);
	if (n == 0)
		goto out;
	reqs = calloc(n, sizeof(*reqs));
	ptrs = calloc(n, sizeof(*ptrs));
	if (reqs == NULL || ptrs == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const char *cid = json_string_value(json_array_get(ids, i));
		const char *sym;
		char symbol[BOT_SYMBOL_MAX];

		pthread_mutex_lock(&bot->mu);
		sym = json_string_value(json_object_get(
		    json_object_get(bot->placed, cid), "symbol"));
		snprintf(symbol, sizeof(symbol), "%s", sym ? sym : "");
		pthread_mutex_unlock(&bot->mu);
		if (symbol[0] == '\0')
			continue;
		rest_req_init(&reqs[k], "GET", "/api/v3/order", true);
		if (sign_append(reqs[k].query, sizeof(reqs[k].query), "symbol",
				symbol) < 0 ||
		    sign_append(reqs[k].query, sizeof(reqs[k].query),
				"origClientOrderId", cid) < 0)
			continue;
		reqs[k].user = (void *)cid; /* ids outlives the requests */
		ptrs[k] = &reqs[k];
		k++;
	}
	if (k == 0)
		goto out;
	rest_run(r->rc, ptrs, (int)k, CANCEL_PARALLEL, r->deadline);
	r->requests += (int)k;
	for (i = 0; i < k; i++) {
		struct rest_req *q = ptrs[i];
		const char *cid = q->user;

		r->connects += q->connects;
		if (q->status == 200) {
			json_t *j = json_loadb(q->body, q->len, 0, NULL);
			const char *st =
			    json_string_value(json_object_get(j, "status"));
			json_t *id = json_object_get(j, "orderId");

			pthread_mutex_lock(&bot->mu);
			outcome_status_locked(bot, cid, st,
					      json_is_integer(id)
						  ? json_integer_value(id)
						  : 0,
					      OUTCOME_BY_QUERY);
			pthread_mutex_unlock(&bot->mu);
			json_decref(j);
		} else if (q->code == -2013) {
			/* Not there: never placed once its window passed;
			 * before then it may still land. */
			int64_t now = rest_server_ms(r->rc);

			pthread_mutex_lock(&bot->mu);
			outcome_absent_locked(bot, cid, now, OUTCOME_BY_QUERY);
			pthread_mutex_unlock(&bot->mu);
		} else {
			char what[300];

			rest_describe(q, what, sizeof(what));
			log_warn("CANCELLING: querying %s: %s", cid, what);
		}
		rest_req_reset(q);
	}
out:
	free(reqs);
	free(ptrs);
	json_decref(ids);
}

/*
 * Before the first listing, decide every placement in flight or of
 * unknown outcome: by its reply (strategy_wait_idle waited for those),
 * its event, a query, or the passing of its timestamp + recvWindow on
 * the exchange's clock, after which the exchange refuses it: from then on
 * the listing that follows shows it if it rests, and it is cancelled with
 * the rest.  The wait leaves reserve_ms of the phase for the listing and
 * the cancels; what is still undecided then stays in bot->placed, named by
 * the snapshot.  Returns how many remain undecided.
 */
static int
cancel_decide(struct cancel_run *r, long long reserve_ms)
{
	struct bot *bot = r->bot;
	json_t *ids = json_array();
	int64_t end;
	int n;

	pthread_mutex_lock(&bot->mu);
	n = outcome_undecided_locked(bot, &end, ids);
	pthread_mutex_unlock(&bot->mu);
	if (n == 0) {
		json_decref(ids);
		return 0;
	}
	log_info("CANCELLING: %d placement%s of unknown outcome: decided "
		 "before the listing",
		 n, n == 1 ? "" : "s");
	/* An order whose reply was lost but that rests is decided now. */
	decide_queries(r);
	json_array_clear(ids);
	pthread_mutex_lock(&bot->mu);
	for (;;) {
		int64_t server = rest_server_ms(r->rc), wait;
		long long left = gs_ms_until(r->deadline) - reserve_ms;
		size_t i;
		struct timespec until;

		json_array_clear(ids);
		n = outcome_undecided_locked(bot, &end, ids);
		if (n == 0)
			break;
		/* Past its window: the exchange refuses it from now on. */
		for (i = 0; i < json_array_size(ids); i++)
			outcome_absent_locked(
			    bot, json_string_value(json_array_get(ids, i)),
			    server, OUTCOME_BY_WINDOW);
		json_array_clear(ids);
		n = outcome_undecided_locked(bot, &end, NULL);
		if (n == 0 || left <= 0)
			break;
		/* Until the last window passes, or an event decides. */
		wait = bot_sub_sat(bot_add_sat(end, OUTCOME_CLOCK_MARGIN_MS + 1),
				   server);
		if (wait > left)
			wait = left;
		until = gs_mono_after_ms(wait > 0 ? wait : 1);
		gs_cond_wait_until(&bot->cv, &bot->mu, &until);
	}
	pthread_mutex_unlock(&bot->mu);
	json_decref(ids);
	return n;
}

/* The figures of the decisions: how many, by what, which are left. */
static void
decide_figures(struct bot *bot, int unknown, const int *before,
	       json_t *detail)
{
	json_t *by = json_object(), *left = json_array();
	int i, n;

	json_t *each;

	pthread_mutex_lock(&bot->mu);
	for (i = 0; i < OUTCOME_BY_COUNT; i++)
		json_object_set_new(
		    by, outcome_by_name((enum outcome_by)i),
		    json_integer(bot->decided[i] - before[i]));
	n = outcome_undecided_locked(bot, NULL, left);
	each = bot->decisions;
	bot->decisions = NULL;
	pthread_mutex_unlock(&bot->mu);
	json_object_set_new(detail, "placements_decided",
			    each ? each : json_object());
	json_object_set_new(detail, "placements_unknown",
			    json_integer(unknown));
	json_object_set_new(detail, "placements_decided_by", by);
	json_object_set_new(detail, "placements_undecided", json_integer(n));
	json_object_set_new(detail, "undecided_ids", left);
}

/*
 * After CANCELLING, off its path: mark the snapshot settled if the phase
 * was clean (a new file made durable replaces it, so the old one needs no
 * fsync of its own), else make the snapshot in place durable.  A disk
 * whose fsync stalls holds back only this.
 */
static void
settle_job(void *arg)
{
	struct bot *bot = arg;
	char *written;
	bool settle;
	int fd, rc;

	pthread_mutex_lock(&bot->mu);
	fd = bot->snapshot_unsynced;
	bot->snapshot_unsynced = -1;
	written = bot->snapshot_text;
	bot->snapshot_text = NULL;
	settle = bot->settle;
	pthread_mutex_unlock(&bot->mu);
	/* 0 also when a newer snapshot (a forced exit's) took its place:
	 * the old file is replaced either way. */
	if (settle && cancel_settle(bot, written) == 0) {
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(written);
	if (fd >= 0 && (rc = snapshot_sync(fd, bot->state_fd)) < 0)
		log_error("the order snapshot could not be made durable: %s",
			  strerror(-rc));
}

enum gs_outcome
cancel_phase(void *arg, const struct timespec *deadline, json_t *detail)
{
	struct bot *bot = arg;
	const struct bot_config *cfg = bot->cfg;
	struct cancel_run r = {.bot = bot, .rc = bot->main_rest,
			       .owns = bot->own, .who = "CANCELLING",
			       .deadline = deadline, .snapshot = true,
			       .snapshot_fd = -1};
	struct timespec idle_dl;
	enum gs_outcome out;
	bool possible, marked;
	int inflight, earlier, resyncs = rest_resyncs(bot->main_rest);
	int unknown, undecided, before[OUTCOME_BY_COUNT], minute;
	long long reserve, charged0, charged;

	r.sequential = cfg->shutdown.cancel_mode ==
		       BOT_CANCEL_PER_ORDER_SEQUENTIAL;
	/* What this daemon spent while running: over its last minute (its
	 * share's window) and since it started. */
	budget_figures(&bot->budget, &minute, &charged0);
	json_object_set_new(detail, "weight_running_1m", json_integer(minute));
	json_object_set_new(detail, "weight_running", json_integer(charged0));
	json_object_set_new(detail, "dry_run", json_boolean(cfg->bot.dry_run));
	json_object_set_new(detail, "mode",
			    json_string(r.sequential ? "per_order_sequential"
						     : "auto"));
	/* Placements in flight or of unknown outcome: decided before the
	 * listing (cancel_decide). */
	pthread_mutex_lock(&bot->mu);
	if (bot->conflicts > 0) {
		/* Another process places with this instance's ids: only
		 * this run's own are cancelled, never by a cancel-all on a
		 * symbol where its orders rest (book.c keeps them foreign). */
		r.owns = bot->run_own;
		json_object_set_new(detail, "conflict", json_true());
		json_object_set_new(detail, "conflicting_orders",
				    json_integer(bot->conflicts));
		json_object_set_new(detail, "placing_stopped", json_true());
	}
	unknown = outcome_undecided_locked(bot, NULL, NULL);
	memcpy(before, bot->decided, sizeof(before));
	if (unknown > 0 && bot->decisions == NULL)
		bot->decisions = json_object(); /* how each is decided */
	pthread_mutex_unlock(&bot->mu);
	/* An order placed just before the flag rose is waited for. */
	idle_dl = gs_mono_after_ms(cfg->exchange.request_timeout_ms + 500);
	if (gs_ms_until(deadline) < gs_ms_until(&idle_dl))
		idle_dl = *deadline;
	inflight = strategy_wait_idle(bot, &idle_dl);
	log_debug("no placement in flight (%d abandoned)", inflight);
	json_object_set_new(detail, "inflight_abandoned",
			    json_integer(inflight));

	/* The pool's worker gives main_rest back (a check takes one RTT). */
	if (pool_release(bot->pool, deadline, detail) < 0) {
		log_error("CANCELLING: the connection pool still holds the "
			  "REST client at the deadline");
		pool_defer(bot->pool, NULL, NULL);
		return GS_OUTCOME_TIMEOUT;
	}
	pthread_mutex_lock(&bot->mu);
	possible = bot->orders_possible;
	earlier = bot->earlier_orders;
	marked = bot->marked;
	pthread_mutex_unlock(&bot->mu);
	if (earlier >= 0 && !cfg->bot.dry_run) {
		/* Start-up recovery did not finish: what the earlier run left
		 * is this phase's to cancel, so exit 0 still means none of
		 * the bot's orders rests. */
		json_object_set_new(detail, "earlier_run_unsettled",
				    json_true());
		json_object_set_new(detail, "earlier_run_snapshot_orders",
				    json_integer(earlier));
		log_warn("CANCELLING: start-up recovery did not finish; the "
			 "orders an earlier run left are cancelled now");
	}
	if (cfg->bot.dry_run || !possible) {
		if (marked) {
			/* Nothing placed: the mark that this run might
			 * place is settled, off the phase's path. */
			pthread_mutex_lock(&bot->mu);
			bot->settle = true;
			pthread_mutex_unlock(&bot->mu);
		}
		pool_defer(bot->pool, marked ? settle_job : NULL, bot);
		pthread_mutex_lock(&bot->mu);
		json_object_set_new(detail, "skipped", json_true());
		json_object_set_new(detail, "reason",
				    json_string(cfg->bot.dry_run
						    ? "dry run: nothing sent"
						    : "no order was placed in "
						      "this run"));
		json_object_set_new(detail, "would_cancel",
				    json_integer(bot->dry_orders));
		pthread_mutex_unlock(&bot->mu);
		log_info("CANCELLING: skipped (%s)",
			 cfg->bot.dry_run ? "dry run" : "nothing placed");
		return GS_OUTCOME_DONE;
	}
	/*
	 * Nothing uses market data once the flag is up: its close handshake
	 * runs meanwhile.  The cancels come from the book when the user
	 * stream vouches for it, else from a first listing, as without one.
	 */
	stream_close_start(bot->stream);
	{
		char why[200] = "";
		bool book = false;

		if (r.sequential)
			snprintf(why, sizeof(why),
				 "cancel_mode = per_order_sequential");
		else if (earlier >= 0)
			snprintf(why, sizeof(why),
				 "an earlier run's orders are not in the "
				 "book");
		else
			book = ustream_healthy(bot->ustream, why, sizeof(why));
		if (book)
			snprintf(why, sizeof(why),
				 "user stream healthy and reconciled");
		json_object_set_new(detail, "path",
				    json_string(book ? "book" : "list"));
		json_object_set_new(detail, "reason", json_string(why));
		log_info("CANCELLING: cancels from the %s: %s",
			 book ? "book" : "listing", why);
		if (book && cancel_from_book(&r, detail) < 0)
			log_error("CANCELLING: out of memory reading the "
				  "book; the listing decides");
	}
	/* The listing, the cancels and the verify keep a share of the
	 * phase whatever the deciding waits for. */
	reserve = cfg->shutdown.cancel_timeout_ms / 4;
	reserve = reserve < 200 ? 200 : reserve > 2000 ? 2000 : reserve;
	cancel_decide(&r, reserve);
	/* The user stream is done once the verify listing goes out. */
	ustream_close_start(bot->ustream);
	out = cancel_until_clean(&r);
	run_figures(&r, detail);
	pthread_mutex_lock(&bot->mu);
	if (bot->conflicts > 0) {
		/* Found by the listing, if not before. */
		json_object_set_new(detail, "conflict", json_true());
		json_object_set_new(detail, "conflicting_orders",
				    json_integer(bot->conflicts));
		json_object_set_new(detail, "placing_stopped", json_true());
	}
	pthread_mutex_unlock(&bot->mu);
	/* Settled only when every order sent has a known outcome: one that
	 * may still land after the verify is not "none left". */
	decide_figures(bot, unknown, before, detail);
	pthread_mutex_lock(&bot->mu);
	undecided = outcome_undecided_locked(bot, NULL, NULL);
	pthread_mutex_unlock(&bot->mu);
	if (undecided > 0) {
		log_error("CANCELLING: %d placement%s of unknown outcome at the "
			  "deadline: %s may still land; the snapshot names "
			  "them",
			  undecided, undecided == 1 ? "" : "s",
			  undecided == 1 ? "it" : "they");
		if (out == GS_OUTCOME_DONE)
			out = GS_OUTCOME_TIMEOUT;
	}
	/*
	 * Without the snapshot, a forced exit or a crash from here on leaves
	 * no record of the orders: the phase did not do all it must.
	 */
	if (r.snapshot_error < 0) {
		json_object_set_new(detail, "snapshot_error",
				    json_string(strerror(-r.snapshot_error)));
		if (out == GS_OUTCOME_DONE)
			out = GS_OUTCOME_FAILED;
	}
	json_object_set_new(detail, "clock_resyncs_running",
			    json_integer(resyncs));
	json_object_set_new(detail, "clock_resyncs",
			    json_integer(rest_resyncs(bot->main_rest) -
					 resyncs));
	json_object_set_new(detail, "weight_refused",
			    json_integer(budget_refused(&bot->budget)));
	budget_figures(&bot->budget, &minute, &charged);
	json_object_set_new(detail, "weight_cancelling",
			    json_integer(charged - charged0));
	/* Disk work off the phase's path: the pool's worker does it while
	 * CLOSING waits on the network (inline without a pool). */
	pthread_mutex_lock(&bot->mu);
	bot->snapshot_unsynced = r.snapshot_fd;
	free(bot->snapshot_text);
	bot->snapshot_text = r.snapshot_text;
	bot->settle = out == GS_OUTCOME_DONE;
	pthread_mutex_unlock(&bot->mu);
	pool_defer(bot->pool, settle_job, bot);
	if (out == GS_OUTCOME_DONE)
		log_info("CANCELLING: %d of the bot's orders found, none left "
			 "(%d round%s, %d request%s)",
			 r.found, r.rounds, r.rounds == 1 ? "" : "s",
			 r.requests, r.requests == 1 ? "" : "s");
	else if (r.remaining == 0 && undecided > 0)
		log_error("CANCELLING: none of the bot's orders listed, but %d "
			  "placement%s may still land",
			  undecided, undecided == 1 ? "" : "s");
	else if (r.remaining == 0)
		log_error("CANCELLING: none of the bot's orders left, but the "
			  "order snapshot could not be written");
	else
		log_error("CANCELLING: %s orders of the bot may still rest; "
			  "see the trace",
			  r.remaining >= 0 ? "some" : "an unknown number of");
	return out;
}

int
cancel_prepare(struct bot *bot)
{
	json_t *snap = snapshot_read(bot);
	int n = -1;

	/* Settled, or none: the last run ended clean (or placed nothing). */
	if (snap != NULL && !json_is_true(json_object_get(snap, "settled")))
		n = (int)json_array_size(json_object_get(snap, "orders"));
	json_decref(snap);
	if (n < 0 || bot->cfg->bot.dry_run)
		return 0;
	pthread_mutex_lock(&bot->mu);
	bot->orders_possible = true;
	bot->earlier_orders = n;
	pthread_mutex_unlock(&bot->mu);
	log_info("the order snapshot of an earlier run is not settled (%d "
		 "order%s named): its orders are cancelled before anything is "
		 "placed, or by the shutdown if start-up does not get there",
		 n, n == 1 ? "" : "s");
	return 1;
}

int
cancel_mark(struct bot *bot)
{
	json_t *none = json_array();
	struct snap_ticket t;
	char *text = NULL;
	int rc;

	pthread_mutex_lock(&bot->mu);
	t = snap_ticket_locked(bot, NULL);
	pthread_mutex_unlock(&bot->mu);
	rc = snapshot_write(bot, none, false, NULL, &t, &text);
	json_decref(none);
	free(text);
	pthread_mutex_lock(&bot->mu);
	bot->marked = rc == 0;
	pthread_mutex_unlock(&bot->mu);
	return rc;
}

/*
 * Placements the earlier run sent without knowing their outcome (in
 * flight or unknown when it ended) may still land: wait, watching the
 * stop flag, until the last of them can no longer (its timestamp +
 * recvWindow on the exchange's clock, a margin past), so the listing
 * that follows shows whatever came.  Bounded by what a placement can
 * take (a corrupt snapshot never holds the start-up longer).  Returns the
 * ms waited, -1 when nothing was to wait for; *n: how many.
 */
static long long
recover_wait(struct bot *bot, json_t *snap, int *n)
{
	const struct bot_config *cfg = bot->cfg;
	long long bound = cfg->exchange.recv_window_ms +
			  cfg->exchange.request_timeout_ms + 2500 +
			  OUTCOME_CLOCK_MARGIN_MS + 1;
	int64_t last = INT64_MIN, now, t0;
	long long wait;
	json_t *o;
	size_t i;

	*n = 0;
	json_array_foreach(json_object_get(snap, "orders"), i, o)
	{
		int64_t by = outcome_lands_by(o, cfg->exchange.recv_window_ms);

		if (by == INT64_MIN)
			continue;
		(*n)++;
		if (by > last)
			last = by;
	}
	if (*n == 0)
		return -1;
	now = rest_server_ms(bot->main_rest);
	wait = bot_sub_sat(bot_add_sat(last, OUTCOME_CLOCK_MARGIN_MS + 1), now);
	if (wait <= 0)
		return 0;
	if (wait > bound)
		wait = bound;
	log_info("recovery: %d placement%s of the earlier run of unknown "
		 "outcome: waiting %lld ms until %s can no longer land",
		 *n, *n == 1 ? "" : "s", wait, *n == 1 ? "it" : "they");
	t0 = gs_mono_ns();
	pause_ms(wait, true);
	return (gs_mono_ns() - t0) / 1000000;
}

int
cancel_recover(struct bot *bot, char *cause)
{
	struct timespec dl =
	    gs_mono_after_ms(bot->cfg->shutdown.cancel_timeout_ms);
	struct cancel_run r = {.bot = bot, .rc = bot->main_rest,
			       .owns = bot->recover_orphans ? bot->prefix
							    : bot->own,
			       .who = "recovery", .deadline = &dl,
			       .interruptible = true, .snapshot_fd = -1};
	json_t *snap, *detail;
	enum gs_outcome out;
	long long from_snapshot = -1, waited = -1;
	int undecided = 0;

	snap = snapshot_read(bot);
	/* A settled snapshot is a clean end: nothing to recover from it. */
	if (snap != NULL && !json_is_true(json_object_get(snap, "settled"))) {
		from_snapshot = (long long)json_array_size(
		    json_object_get(snap, "orders"));
		waited = recover_wait(bot, snap, &undecided);
		if (waited > 0)
			dl = gs_mono_after_ms(
			    bot->cfg->shutdown.cancel_timeout_ms);
	}
	json_decref(snap);
	pthread_mutex_lock(&bot->mu);
	bot->orders_possible = true;
	pthread_mutex_unlock(&bot->mu);
	out = cancel_until_clean(&r);
	if (out == GS_OUTCOME_DONE && !(r.interruptible && gs_stop_requested())) {
		/* Nothing of an earlier run rests any more. */
		pthread_mutex_lock(&bot->mu);
		bot->earlier_orders = -1;
		pthread_mutex_unlock(&bot->mu);
	}
	if (r.interruptible && gs_stop_requested()) {
		json_decref(r.left);
		json_decref(r.orphan_ids);
		snprintf(cause, GS_CAUSE_MAX, "recovery interrupted");
		return -ECANCELED;
	}
	if (r.found > 0 || from_snapshot >= 0 || r.orphans_found > 0) {
		detail = json_object();
		json_object_set_new(detail, "snapshot_orders",
				    from_snapshot >= 0
					? json_integer(from_snapshot)
					: json_null());
		json_object_set_new(detail, "recover_orphans",
				    json_boolean(bot->recover_orphans));
		json_object_set_new(detail, "snapshot_undecided",
				    json_integer(undecided));
		json_object_set_new(detail, "waited_for_undecided_ms",
				    json_integer(waited > 0 ? waited : 0));
		run_figures(&r, detail);
		gs_supervisor_trace(bot->sup, "RECOVERY", detail);
		json_decref(detail);
		if (r.found > 0)
			log_warn("recovery: %d order%s left by an earlier run "
				 "found; %s",
				 r.found, r.found == 1 ? "" : "s",
				 out == GS_OUTCOME_DONE ? "all cancelled"
							: "NOT all cancelled");
	}
	json_decref(r.orphan_ids);
	if (out != GS_OUTCOME_DONE) {
		json_decref(r.left);
		if (r.remaining < 0) /* never listed: no count to give */
			snprintf(cause, GS_CAUSE_MAX,
				 "recovery: the open orders could not be "
				 "listed (%d listing%s failed), so orders an "
				 "earlier run left may rest; not starting a "
				 "new grid on top of them",
				 r.listings_failed,
				 r.listings_failed == 1 ? "" : "s");
		else
			snprintf(cause, GS_CAUSE_MAX,
				 "recovery: %d order%s left by an earlier run "
				 "could not be cancelled; not starting a new "
				 "grid on top of them",
				 r.remaining, r.remaining == 1 ? "" : "s");
		return -EIO;
	}
	json_decref(r.left);
	if (bot->state_fd >= 0)
		unlinkat(bot->state_fd, SNAPSHOT_NAME, 0);
	return 0;
}
