/*
 * timing.c - the time a signed request carries and the unit its reply
 * speaks, as Binance reads them (rest-api "Timing security", "General API
 * Information"): `timestamp` in milliseconds or microseconds, `recvWindow`
 * in milliseconds with up to three decimals (so that microseconds can be
 * named), the window check made in microseconds, and the header
 * X-MBX-TIME-UNIT, MILLISECOND by default, MICROSECOND to have every time
 * of a reply in microseconds.  Shared by REST and the WebSocket API.
 *
 * Binance does not say how it tells a microsecond timestamp from a
 * millisecond one; here it is by size: 10^14 and above (any time after
 * 1973 in microseconds, any before the year 5138 in milliseconds) is in
 * microseconds (exchange-sim(1), "Differences from Binance").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gshutdown.h"
#include "sim.h"

#define TIMING_US_FROM 100000000000000LL /* 10^14: a timestamp in µs */
#define TIMING_WINDOW_MAX_US 60000000LL  /* recvWindow 60000 ms */
#define TIMING_WINDOW_DEFAULT_US 5000000LL
#define TIMING_AHEAD_US 1000000LL /* "1000ms ahead of the server's time" */

/* Digits only, 1 to 20 of them, into *out (growing no further once it
 * reaches 10^17, far ahead of any clock, so never overflowing); false
 * otherwise. */
static bool
timing_integer(const char *s, size_t len, long long *out)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		if (v < 100000000000000000LL)
			v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* recvWindow: digits, then optionally '.' and one to three digits; in
 * microseconds. */
static bool
timing_window(const char *s, long long *us)
{
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t)(dot - s) : strlen(s), flen, i;
	long long ms, frac = 0;

	if (ilen > 12 || !timing_integer(s, ilen, &ms))
		return false;
	if (dot != NULL) {
		flen = strlen(dot + 1);
		if (flen < 1 || flen > 3 ||
		    !timing_integer(dot + 1, flen, &frac))
			return false;
		for (i = flen; i < 3; i++)
			frac *= 10;
	}
	*us = ms * 1000 + frac;
	return true;
}

int
timing_check(const char *ts, const char *rw, int64_t now_us,
             const char **msg)
{
	long long t, window = TIMING_WINDOW_DEFAULT_US;

	if (!timing_integer(ts, strlen(ts), &t)) {
		*msg = "Illegal characters found in parameter 'timestamp'; "
		       "legal range is '^[0-9]{1,20}$'.";
		return -1100;
	}
	if (rw != NULL) {
		if (!timing_window(rw, &window)) {
			*msg = "Illegal characters found in parameter "
			       "'recvWindow'; legal range is "
			       "'^[0-9]{1,12}(\\.[0-9]{1,3})?$'.";
			return -1100;
		}
		if (window > TIMING_WINDOW_MAX_US) {
			*msg = "recvWindow must be less than 60000";
			return -1131;
		}
	}
	if (t < TIMING_US_FROM) {
		/* In milliseconds on both sides, as before µs were read. */
		t *= 1000;
		now_us -= now_us % 1000;
	}
	if (t >= now_us + TIMING_AHEAD_US) {
		*msg = "Timestamp for this request was 1000ms ahead of the "
		       "server's time.";
		return -1021;
	}
	if (now_us - t > window) {
		*msg = "Timestamp for this request is outside of the "
		       "recvWindow.";
		return -1021;
	}
	return 0;
}

int
timing_unit(const char *v)
{
	if (v == NULL || *v == '\0' || strcasecmp(v, "MILLISECOND") == 0)
		return SIM_TIME_MS;
	if (strcasecmp(v, "MICROSECOND") == 0)
		return SIM_TIME_US;
	return -1194;
}

const char timing_unit_msg[] =
    "Invalid value for time unit; expected either MICROSECOND or "
    "MILLISECOND.";

/* The names Binance gives the times in its replies (serverTime, an
 * order's transactTime, time, updateTime, workingTime, a ticker's
 * openTime and closeTime, a trade's time, an aggTrade's T). */
static bool
timing_is_time_key(const char *k)
{
	static const char *const keys[] = {
	    "serverTime", "transactTime", "time",      "updateTime",
	    "workingTime", "openTime",    "closeTime", "T",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

void
timing_reply_us(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e) {
			if (json_is_integer(e) && timing_is_time_key(k))
				json_integer_set(e, json_integer_value(e) *
				                        1000);
			else
				timing_reply_us(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) timing_reply_us(e);
	}
}

void
timing_klines_us(json_t *rows)
{
	static const size_t at[] = {0, 6}; /* open time, close time */
	json_t *row, *v;
	size_t i, k;

	json_array_foreach(rows, i, row) {
		for (k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			v = json_array_get(row, at[k]);
			if (json_is_integer(v))
				json_integer_set(v, json_integer_value(v) * 1000);
		}
	}
}
