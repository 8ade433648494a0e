/*
 * limits.c - the exchange's rate limits, shared by REST and the WebSocket
 * API as on Binance: REQUEST_WEIGHT per minute (per IP; one client here),
 * with 429 past the limit and 418 for a client that keeps going, and
 * ORDERS in 10-second and one-day windows, all in fixed windows as the
 * exchange counts them.
 */
#include <stdio.h>
#include <time.h>

#include "sim.h"

int64_t
limits_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
seconds_until(int64_t now, int64_t then)
{
	return then > now ? (int)((then - now + 999) / 1000) : 1;
}

/*
 * REQUEST_WEIGHT in fixed one-minute windows.  Past the limit: 429 until
 * the window ends; a client that had a second to see its 429 and still
 * sends in that time is banned (418) for ban_s.
 */
bool
limits_charge_weight(struct sim *sim, int weight, struct sim_reply *r)
{
	int64_t now = limits_real_ms(), minute = now / 60000;
	char msg[256];

	if (sim->banned_until_ms > now) {
		snprintf(msg, sizeof(msg),
		         "Way too much request weight used; IP banned until "
		         "%lld. Please use WebSocket Streams for live updates "
		         "to avoid bans.",
		         (long long)sim->banned_until_ms);
		reply_error(r, 418, -1003, msg);
		r->retry_after = seconds_until(now, sim->banned_until_ms);
		return false;
	}
	if (sim->limited_until_ms > now &&
	    now - sim->limited_since_ms >= 1000) {
		sim->banned_until_ms = now + (int64_t)sim->cfg.ban_s * 1000;
		sim->limited_until_ms = 0;
		return limits_charge_weight(sim, weight, r);
	}
	if (minute != sim->weight_window) {
		sim->weight_window = minute;
		sim->weight_used = 0;
	}
	sim->weight_used += weight;
	if (sim->weight_used > sim->weight_peak)
		sim->weight_peak = sim->weight_used;
	if (sim->weight_used > sim->cfg.weight_limit_1m) {
		snprintf(msg, sizeof(msg),
		         "Too much request weight used; current limit is %d "
		         "request weight per 1 MINUTE. Please use WebSocket "
		         "Streams for live updates to avoid polling the API.",
		         sim->cfg.weight_limit_1m);
		reply_error(r, 429, -1003, msg);
		if (sim->limited_until_ms <= now)
			sim->limited_since_ms = now;
		sim->limited_until_ms = (minute + 1) * 60000;
		r->retry_after = seconds_until(now, sim->limited_until_ms);
		return false;
	}
	return true;
}

/* ORDERS: the unfilled order count in 10-second and one-day windows. */
static void
order_windows(struct sim *sim, int64_t now)
{
	if (now / 10000 != sim->order_window_10s) {
		sim->order_window_10s = now / 10000;
		sim->orders_10s = 0;
	}
	if (now / 86400000 != sim->order_window_1d) {
		sim->order_window_1d = now / 86400000;
		sim->orders_1d = 0;
	}
}

/* Binance sends no Retry-After with -1015. */
bool
limits_order_check(struct sim *sim, struct sim_reply *r)
{
	int64_t now = limits_real_ms();
	char msg[128];

	order_windows(sim, now);
	r->order_counts = true;
	if (sim->orders_10s >= sim->cfg.order_limit_10s) {
		snprintf(msg, sizeof(msg),
			 "Too many new orders; current limit is %d orders per "
			 "10 SECOND.",
			 sim->cfg.order_limit_10s);
		reply_error(r, 429, -1015, msg);
		return false;
	}
	if (sim->orders_1d >= sim->cfg.order_limit_1d) {
		snprintf(msg, sizeof(msg),
			 "Too many new orders; current limit is %d orders per "
			 "DAY.",
			 sim->cfg.order_limit_1d);
		reply_error(r, 429, -1015, msg);
		return false;
	}
	return true;
}

void
limits_order_accepted(struct sim *sim)
{
	order_windows(sim, limits_real_ms());
	sim->orders_10s++;
	sim->orders_1d++;
}

void
limits_order_filled(struct sim *sim)
{
	order_windows(sim, limits_real_ms());
	if (sim->orders_10s > 0)
		sim->orders_10s--;
	if (sim->orders_1d > 0)
		sim->orders_1d--;
}

/* The weight used in the current minute, for X-MBX-USED-WEIGHT-1M. */
int
limits_weight_used(const struct sim *sim)
{
	return sim->weight_window == limits_real_ms() / 60000 ? sim->weight_used
	                                                      : 0;
}
