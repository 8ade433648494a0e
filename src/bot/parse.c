/*
 * parse.c - everything the daemon reads from the exchange goes through
 * here: error bodies, order objects, exchangeInfo filters, the server time
 * and stream events.  Input is untrusted: every field is type-checked and
 * a reply that does not parse is reported, never half-used.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"

void
parse_excerpt(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		if (isprint(c) && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < size)
		o += (size_t)snprintf(out + o, size - o, "...");
	out[o < size ? o : size - 1] = '\0';
}

int
parse_error(const char *body, size_t len, int *code, char *msg, size_t msize)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *c = json_object_get(j, "code"), *m = json_object_get(j, "msg");
	int rc = 0;

	if (json_is_integer(c) && json_is_string(m)) {
		*code = (int)json_integer_value(c);
		snprintf(msg, msize, "%s", json_string_value(m));
		rc = 1;
	}
	json_decref(j);
	return rc;
}

static int
copy_str(json_t *obj, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= size)
		return -EBADMSG;
	snprintf(out, size, "%s", json_string_value(v));
	return 0;
}

int
parse_order(json_t *j, struct bot_order *o)
{
	json_t *id = json_object_get(j, "orderId");

	memset(o, 0, sizeof(*o));
	if (!json_is_object(j) || !json_is_integer(id))
		return -EBADMSG;
	o->order_id = json_integer_value(id);
	if (copy_str(j, "symbol", o->symbol, sizeof(o->symbol)) < 0 ||
	    copy_str(j, "clientOrderId", o->client_id, sizeof(o->client_id)) <
		0)
		return -EBADMSG;
	/* Optional in an ACK; present in full order objects. */
	copy_str(j, "price", o->price, sizeof(o->price));
	copy_str(j, "origQty", o->qty, sizeof(o->qty));
	copy_str(j, "side", o->side, sizeof(o->side));
	copy_str(j, "status", o->status, sizeof(o->status));
	return 0;
}

int
parse_orders(const char *body, size_t len, struct bot_order **out)
{
	json_t *j = json_loadb(body, len, 0, NULL), *v;
	struct bot_order *orders;
	size_t i, n;

	*out = NULL;
	if (!json_is_array(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	n = json_array_size(j);
	orders = calloc(n ? n : 1, sizeof(*orders));
	if (orders == NULL) {
		json_decref(j);
		return -ENOMEM;
	}
	json_array_foreach(j, i, v)
	{
		if (parse_order(v, &orders[i]) < 0) {
			free(orders);
			json_decref(j);
			return -EBADMSG;
		}
	}
	json_decref(j);
	*out = orders;
	return (int)n;
}

static double
str_num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? strtod(json_string_value(v), NULL) : 0;
}

int
parse_filters(const char *body, size_t len, struct bot_filters *f, int nf)
{
	json_t *j = json_loadb(body, len, 0, NULL), *syms, *s, *flt;
	size_t i, k;
	int found = 0, x;

	syms = json_object_get(j, "symbols");
	if (!json_is_array(syms)) {
		json_decref(j);
		return -EBADMSG;
	}
	json_array_foreach(syms, i, s)
	{
		const char *name = json_string_value(
		    json_object_get(s, "symbol"));
		const char *status = json_string_value(
		    json_object_get(s, "status"));
		json_t *filters = json_object_get(s, "filters");

		if (name == NULL)
			continue;
		for (x = 0; x < nf; x++)
			if (strcmp(f[x].symbol, name) == 0)
				break;
		if (x == nf)
			continue;
		f[x].trading = status && strcmp(status, "TRADING") == 0;
		json_array_foreach(filters, k, flt)
		{
			const char *type = json_string_value(
			    json_object_get(flt, "filterType"));

			if (type == NULL)
				continue;
			if (strcmp(type, "PRICE_FILTER") == 0) {
				f[x].tick_size = str_num(flt, "tickSize");
				f[x].min_price = str_num(flt, "minPrice");
				f[x].max_price = str_num(flt, "maxPrice");
			} else if (strcmp(type, "LOT_SIZE") == 0) {
				f[x].step_size = str_num(flt, "stepSize");
				f[x].min_qty = str_num(flt, "minQty");
				f[x].max_qty = str_num(flt, "maxQty");
			} else if (strcmp(type, "NOTIONAL") == 0 ||
				   strcmp(type, "MIN_NOTIONAL") == 0) {
				f[x].min_notional =
				    str_num(flt, "minNotional");
			}
		}
		found++;
	}
	json_decref(j);
	return found;
}

int
parse_server_time(const char *body, size_t len, int64_t *ms)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *t = json_object_get(j, "serverTime");
	int rc = -EBADMSG;

	if (json_is_integer(t) && json_integer_value(t) > 0) {
		*ms = json_integer_value(t);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

static int
event_symbol(json_t *d, struct stream_event *ev)
{
	return copy_str(d, "s", ev->symbol, sizeof(ev->symbol));
}

int
parse_stream_event(const char *msg, size_t len, struct stream_event *ev)
{
	json_t *j = json_loadb(msg, len, 0, NULL), *d;
	const char *e;
	int rc = -EBADMSG;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(j))
		goto out;
	d = json_object_get(j, "data");
	if (json_is_object(d) && json_is_string(json_object_get(j, "stream")))
		j = (json_incref(d), json_decref(j), d);
	if (json_object_get(j, "result") != NULL &&
	    json_object_get(j, "id") != NULL) {
		ev->kind = STREAM_EV_RESULT;
		rc = 0;
		goto out;
	}
	e = json_string_value(json_object_get(j, "e"));
	if (e != NULL && strcmp(e, "serverShutdown") == 0) {
		ev->kind = STREAM_EV_SHUTDOWN;
		rc = 0;
	} else if (e != NULL && strcmp(e, "trade") == 0) {
		if (event_symbol(j, ev) < 0 ||
		    !json_is_string(json_object_get(j, "p")))
			goto out;
		ev->kind = STREAM_EV_TRADE;
		ev->price = str_num(j, "p");
		rc = ev->price > 0 ? 0 : -EBADMSG;
	} else if (e == NULL && json_is_string(json_object_get(j, "b")) &&
		   json_is_string(json_object_get(j, "a"))) {
		if (event_symbol(j, ev) < 0)
			goto out;
		ev->kind = STREAM_EV_BOOK;
		ev->bid = str_num(j, "b");
		ev->ask = str_num(j, "a");
		rc = ev->bid > 0 && ev->ask >= ev->bid ? 0 : -EBADMSG;
	} else {
		ev->kind = STREAM_EV_NONE; /* an event we do not use */
		rc = 0;
	}
out:
	json_decref(j);
	return rc;
}

int
parse_weight_limit(const char *body, size_t len, int *limit, int *interval_ms)
{
	return parse_rate_limit(body, len, "REQUEST_WEIGHT", 60000, limit,
				interval_ms);
}

int
parse_order_limit(const char *body, size_t len, int *limit, int *interval_ms)
{
	return parse_rate_limit(body, len, "ORDERS", 10000, limit,
				interval_ms);
}

/*
 * One rateLimits entry of this type: the one of interval prefer_ms when
 * there is one (the per-minute weight, the 10-second order count: the
 * limits a burst can break), else the first.
 */
int
parse_rate_limit(const char *body, size_t len, const char *want,
		 long long prefer_ms, int *limit, int *interval_ms)
{
	json_t *j = json_loadb(body, len, 0, NULL), *rl, *r;
	size_t i;
	int rc = -ENOENT;

	rl = json_object_get(j, "rateLimits");
	json_array_foreach(rl, i, r)
	{
		const char *type = json_string_value(
		    json_object_get(r, "rateLimitType"));
		const char *iv =
		    json_string_value(json_object_get(r, "interval"));
		json_t *num = json_object_get(r, "intervalNum");
		json_t *lim = json_object_get(r, "limit");
		long long unit, n;

		if (type == NULL || strcmp(type, want) != 0 ||
		    iv == NULL || !json_is_integer(lim) ||
		    json_integer_value(lim) <= 0 ||
		    json_integer_value(lim) > 10000000)
			continue;
		if (strcmp(iv, "SECOND") == 0)
			unit = 1000;
		else if (strcmp(iv, "MINUTE") == 0)
			unit = 60000;
		else if (strcmp(iv, "HOUR") == 0)
			unit = 3600000;
		else if (strcmp(iv, "DAY") == 0)
			unit = 86400000;
		else
			continue;
		n = json_is_integer(num) ? json_integer_value(num) : 1;
		if (n < 1 || n > 1000)
			continue;
		if (rc == 0 && unit * n != prefer_ms)
			continue;
		*limit = (int)json_integer_value(lim);
		*interval_ms = (int)(unit * n);
		rc = 0;
	}
	json_decref(j);
	return rc;
}
