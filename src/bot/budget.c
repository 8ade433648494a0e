/*
 * budget.c - the request-weight budget: a good citizen of the exchange.
 *
 * Binance counts the weight of every request against REQUEST_WEIGHT per
 * minute and IP (exchangeInfo.rateLimits); past it comes 429, and a client
 * that keeps going is banned with 418.  The daemon charges each request's
 * weight before it is sent, in one-second slots summed over a sliding
 * minute, and reads the server's own figure (X-MBX-USED-WEIGHT-1M) from
 * every reply, which counts until the server's minute ends.
 *
 * The two tell different things.  Our own spend is this daemon's share:
 * while running it spends at most weight_budget_pct of the limit and waits
 * rather than send; the shutdown may use the whole limit.  The server's
 * figure is the whole IP's use, every daemon and program on it counted: it
 * is checked against the ceiling no one may push past, BUDGET_CEILING_PCT
 * of the limit while running (what is left above it is the shutdowns'
 * room, whoever's they are) and the limit itself during a shutdown.  A
 * fleet on one IP with a small share each thus starts and runs while the
 * IP has room, whatever the others spent.  A 429 or 418 blocks every
 * request until its Retry-After has passed.  The arithmetic is pure so
 * the tests can drive the clock.
 */
#include <limits.h>
#include <string.h>

#include "bot.h"

/* Counts stay far from INT_MAX whatever a reply says: sums of a few of
 * them are compared against a limit. */
#define BUDGET_COUNT_MAX 1000000000

static int
count_add(int a, int b)
{
	long long r = (long long)a + b;

	return r > BUDGET_COUNT_MAX ? BUDGET_COUNT_MAX : r < 0 ? 0 : (int)r;
}

static int64_t
mono_ms(void)
{
	return gs_mono_ns() / 1000000;
}

/* The window in whole seconds (the slots hold at most this many). */
static int64_t
budget_window_s(const struct budget *b)
{
	int64_t w = b->interval_ms > 0 ? b->interval_ms / 1000 : 60;

	if (w < 1)
		w = 1;
	if (w > BUDGET_SLOTS - 2)
		w = BUDGET_SLOTS - 2;
	return w;
}

void
budget_init(struct budget *b, int pct)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	b->interval_ms = 60000;
	b->pct = pct > 0 && pct <= 100 ? pct : 50;
	memset(b->slot_sec, 0xff, sizeof(b->slot_sec)); /* -1: empty */
}

void
budget_destroy(struct budget *b)
{
	pthread_mutex_destroy(&b->mu);
}

void
budget_set_limit(struct budget *b, int limit, int interval_ms)
{
	pthread_mutex_lock(&b->mu);
	b->limit = limit > 0 ? limit : 0;
	b->interval_ms = interval_ms > 0 ? interval_ms : 60000;
	pthread_mutex_unlock(&b->mu);
}

/* Our own spend as of second sec: every slot less than a window old. */
static int
spent_at(const struct budget *b, int64_t sec)
{
	int64_t w = budget_window_s(b);
	int i, sum = 0;

	for (i = 0; i < BUDGET_SLOTS; i++)
		if (b->slot_sec[i] >= 0 && b->slot_sec[i] <= sec &&
		    sec - b->slot_sec[i] <= w)
			sum = count_add(sum, b->slot_weight[i]);
	return sum;
}

int
budget_spent(const struct budget *b, int64_t now_ms)
{
	return spent_at(b, now_ms / 1000);
}

int
budget_cap(const struct budget *b, bool running)
{
	long long cap;

	if (b->limit <= 0)
		return 0; /* not known: no gate but Retry-After */
	cap = running ? (long long)b->limit * b->pct / 100 : b->limit;
	return cap > 0 ? (int)cap : 1;
}

int
budget_ceiling(const struct budget *b, bool running)
{
	long long cap;

	if (b->limit <= 0)
		return 0;
	cap = running ? (long long)b->limit * BUDGET_CEILING_PCT / 100
		      : b->limit;
	return cap > 0 ? (int)cap : 1;
}

long long
budget_wait_ms(const struct budget *b, int64_t now_ms, int cost, bool running)
{
	int cap = budget_cap(b, running), ceiling = budget_ceiling(b, running);
	long long wait = 0, own_wait = 0;
	int64_t sec, w = budget_window_s(b);

	if (now_ms < b->blocked_until_ms)
		wait = b->blocked_until_ms - now_ms;
	if (cap == 0)
		return wait;
	/* The IP's use against the ceiling (in long long: server_used is
	 * the exchange's figure); a request larger than it goes alone. */
	if (now_ms < b->server_until_ms &&
	    (long long)b->server_used + b->since_server +
		    (cost < ceiling ? cost : ceiling) >
		ceiling &&
	    b->server_until_ms - now_ms > wait)
		wait = b->server_until_ms - now_ms;
	if (cost > cap)
		cost = cap; /* larger than the share: alone in the window */
	/* Our own spend against our share. */
	sec = now_ms / 1000;
	if (spent_at(b, sec) + cost > cap) {
		int64_t t;

		own_wait = (w + 1) * 1000;
		for (t = sec + 1; t <= sec + w + 1; t++) {
			if (spent_at(b, t) + cost <= cap) {
				own_wait = t * 1000 - now_ms;
				break;
			}
		}
	}
	return own_wait > wait ? own_wait : wait;
}

void
budget_charge(struct budget *b, int64_t now_ms, int cost)
{
	int64_t sec = now_ms / 1000;
	int i = (int)(sec % BUDGET_SLOTS);

	if (b->slot_sec[i] != sec) {
		b->slot_sec[i] = sec;
		b->slot_weight[i] = 0;
	}
	b->slot_weight[i] = count_add(b->slot_weight[i], cost);
	b->since_server = count_add(b->since_server, cost);
	if (cost > 0)
		b->charged += cost;
}

void
budget_observe(struct budget *b, int64_t now_ms, int64_t wall_ms, int used)
{
	int64_t iv = b->interval_ms > 0 ? b->interval_ms : 60000;

	if (used < 0)
		return;
	b->server_used = used < BUDGET_COUNT_MAX ? used : BUDGET_COUNT_MAX;
	b->since_server = 0;
	/* Binance's windows are whole minutes of its clock. */
	b->server_until_ms = now_ms + (iv - (wall_ms % iv));
}

long long
budget_reserve(struct budget *b, int cost, bool running)
{
	int64_t now = mono_ms();
	long long wait;

	pthread_mutex_lock(&b->mu);
	wait = budget_wait_ms(b, now, cost, running);
	if (wait == 0)
		budget_charge(b, now, cost);
	pthread_mutex_unlock(&b->mu);
	return wait;
}

void
budget_spend(struct budget *b, int cost)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&b->mu);
	budget_charge(b, now, cost);
	pthread_mutex_unlock(&b->mu);
}

void
budget_reply(struct budget *b, int used, int64_t wall_ms)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&b->mu);
	budget_observe(b, now, wall_ms, used);
	pthread_mutex_unlock(&b->mu);
}

void
budget_block(struct budget *b, int retry_after_s)
{
	/* rest.c caps Retry-After at 3 days; a caller's figure is capped
	 * here too, so the sum stays far from overflow. */
	long long s = retry_after_s > 0 ? retry_after_s : 1;
	int64_t until = mono_ms() + (s < 3 * 86400 ? s : 3 * 86400) * 1000LL;

	pthread_mutex_lock(&b->mu);
	if (until > b->blocked_until_ms)
		b->blocked_until_ms = until;
	b->refused++;
	pthread_mutex_unlock(&b->mu);
}

int
budget_refused(struct budget *b)
{
	int n;

	pthread_mutex_lock(&b->mu);
	n = b->refused;
	pthread_mutex_unlock(&b->mu);
	return n;
}

void
budget_figures(struct budget *b, int *minute, long long *total)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&b->mu);
	*minute = budget_spent(b, now);
	*total = b->charged;
	pthread_mutex_unlock(&b->mu);
}

/* True when the query string carries parameter name. */
static bool
has_param(const char *query, const char *name)
{
	size_t len = strlen(name);
	const char *p = query;

	while (p != NULL && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			return true;
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return false;
}

int
budget_weight(const char *method, const char *path, const char *query)
{
	bool get = strcmp(method, "GET") == 0;

	if (get && strcmp(path, "/api/v3/openOrders") == 0)
		return has_param(query, "symbol") ? 6 : 80;
	if (get && strcmp(path, "/api/v3/exchangeInfo") == 0)
		return 20;
	if (get && strcmp(path, "/api/v3/account") == 0)
		return 20;
	if (get && strcmp(path, "/api/v3/order") == 0)
		return 4;
	if (strcmp(path, "/api/v3/userDataStream") == 0)
		return 2; /* POST, PUT and DELETE alike */
	return 1; /* ping, time, placing and cancelling */
}

int
budget_listing_weight(int nsymbols, bool *account)
{
	int per = budget_weight("GET", "/api/v3/openOrders", "symbol=");
	int all = budget_weight("GET", "/api/v3/openOrders", "");

	*account = nsymbols * per >= all;
	return *account ? all : nsymbols * per;
}

long long
budget_backoff(long long cur, long long base, long long cap)
{
	if (cur <= 0)
		return base < cap ? base : cap;
	return cur >= cap / 2 ? cap : cur * 2;
}

/* ---- ORDERS: the order-count budget ------------------------------------ */

void
budget_set_order_limit(struct budget *b, int limit, int interval_ms)
{
	pthread_mutex_lock(&b->mu);
	b->order_limit = limit > 0 ? limit : 0;
	b->order_interval_ms = interval_ms > 0 ? interval_ms : 10000;
	pthread_mutex_unlock(&b->mu);
}

/* Our count in the window of wall_ms (0 once that window is new). */
static int
order_count_at(const struct budget *b, int64_t wall_ms)
{
	return wall_ms / b->order_interval_ms == b->order_window
		   ? b->order_count
		   : 0;
}

static void
order_roll(struct budget *b, int64_t wall_ms)
{
	if (b->order_interval_ms <= 0)
		b->order_interval_ms = 10000;
	if (wall_ms / b->order_interval_ms != b->order_window) {
		b->order_window = wall_ms / b->order_interval_ms;
		b->order_count = 0;
	}
}

long long
budget_order_wait_ms(const struct budget *b, int64_t wall_ms)
{
	int cap;

	if (b->order_limit <= 0 || b->order_interval_ms <= 0)
		return 0;
	/* A tenth kept back for the orders in flight the count missed. */
	cap = b->order_limit - b->order_limit / 10;
	if (cap < 1)
		cap = 1;
	if (order_count_at(b, wall_ms) < cap)
		return 0;
	return (wall_ms / b->order_interval_ms + 1) * b->order_interval_ms -
	       wall_ms + 1;
}

void
budget_order_charge(struct budget *b, int64_t wall_ms)
{
	order_roll(b, wall_ms);
	b->order_count = count_add(b->order_count, 1);
}

void
budget_order_observe(struct budget *b, int64_t wall_ms, int count)
{
	if (count < 0)
		return;
	order_roll(b, wall_ms);
	if (count > b->order_count)
		b->order_count = count_add(count, 0);
}

long long
budget_order_reserve(struct budget *b, int64_t wall_ms)
{
	long long wait;

	pthread_mutex_lock(&b->mu);
	wait = budget_order_wait_ms(b, wall_ms);
	if (wait == 0)
		budget_order_charge(b, wall_ms);
	pthread_mutex_unlock(&b->mu);
	return wait;
}

void
budget_order_reply(struct budget *b, int64_t wall_ms, int count)
{
	pthread_mutex_lock(&b->mu);
	budget_order_observe(b, wall_ms, count);
	pthread_mutex_unlock(&b->mu);
}

/* A reserved placement that was not sent after all. */
void
budget_order_refund(struct budget *b, int64_t wall_ms)
{
	pthread_mutex_lock(&b->mu);
	if (order_count_at(b, wall_ms) > 0)
		b->order_count--;
	pthread_mutex_unlock(&b->mu);
}
