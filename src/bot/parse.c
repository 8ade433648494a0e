/*
 * parse.c - everything the daemon reads from the exchange goes through
 * here: error bodies, order objects, exchangeInfo filters, the server time
 * and stream events.  Input is untrusted: every field is type-checked and
 * a reply that does not parse is reported, never half-used.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
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

long long
parse_header_num(const char *s, size_t len, long long max)
{
	size_t i = 0;
	long long v = 0;
	bool digits = false;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		int d = s[i] - '0';

		digits = true;
		/* Saturate: 2^63 seconds is as hostile as 3 days is long. */
		v = v > (max - d) / 10 ? max : v * 10 + d;
	}
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
			   s[i] == '\n'))
		i++;
	return digits && i == len ? v : -1;
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

	/* Bounded: an offset from it is added to the local clock. */
	if (json_is_integer(t) && json_integer_value(t) > 0 &&
	    json_integer_value(t) <= PARSE_TIME_MAX_MS) {
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
		rc = isfinite(ev->price) && ev->price > 0 ? 0 : -EBADMSG;
	} else if (e == NULL && json_is_string(json_object_get(j, "b")) &&
		   json_is_string(json_object_get(j, "a"))) {
		if (event_symbol(j, ev) < 0)
			goto out;
		ev->kind = STREAM_EV_BOOK;
		ev->bid = str_num(j, "b");
		ev->ask = str_num(j, "a");
		rc = isfinite(ev->ask) && ev->bid > 0 && ev->ask >= ev->bid
			 ? 0
			 : -EBADMSG;
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
		/* 1000 days would not fit interval_ms: not a window we keep. */
		if (n < 1 || n > 1000 || unit * n > INT_MAX)
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

/*
 * ---- a listing of open orders, scanned ---------------------------------
 *
 * GET /api/v3/openOrders of 1,000 orders is ~400 KB with twenty fields per
 * order; a shutdown needs seven (symbol, orderId, clientOrderId, and price,
 * origQty, side, status for the snapshot).  Building jansson's tree of all
 * of them costs more than the round trip it follows, so the listing is
 * scanned once, without a tree: every byte is still checked as jansson
 * checks it (grammar, UTF-8, escapes, \u0000, surrogates, integer and real
 * overflow, nesting depth, a later duplicate key winning), so a reply
 * jansson refuses is refused here too and the results are the same as
 * parse_orders' (the unit tests and the fuzzer compare them).
 */
#define SCAN_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

struct scan {
	const unsigned char *p, *end;
	int depth;
};

/* One order's fields as the scan finds them: the last occurrence wins. */
enum scan_field {
	F_SYMBOL,
	F_CID,
	F_PRICE,
	F_QTY,
	F_SIDE,
	F_STATUS,
	F_COUNT,
};

static const struct {
	const char *key;
	size_t off, size;
} scan_fields[F_COUNT] = {
	[F_SYMBOL] = {"symbol", offsetof(struct bot_order, symbol),
		      sizeof(((struct bot_order *)0)->symbol)},
	[F_CID] = {"clientOrderId", offsetof(struct bot_order, client_id),
		   sizeof(((struct bot_order *)0)->client_id)},
	[F_PRICE] = {"price", offsetof(struct bot_order, price),
		     sizeof(((struct bot_order *)0)->price)},
	[F_QTY] = {"origQty", offsetof(struct bot_order, qty),
		   sizeof(((struct bot_order *)0)->qty)},
	[F_SIDE] = {"side", offsetof(struct bot_order, side),
		    sizeof(((struct bot_order *)0)->side)},
	[F_STATUS] = {"status", offsetof(struct bot_order, status),
		      sizeof(((struct bot_order *)0)->status)},
};

static int scan_value(struct scan *s);

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The length of the UTF-8 sequence at p that jansson accepts, or 0. */
static size_t
scan_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0; /* a continuation byte, or overlong */
	if (c < 0xE0) {
		n = 2;
		cp = c & 0x1F;
	} else if (c < 0xF0) {
		n = 3;
		cp = c & 0x0F;
	} else if (c < 0xF5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static long
scan_hex4(struct scan *s)
{
	long v = 0;
	int i;

	if (s->end - s->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = s->p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	s->p += 4;
	return v;
}

static size_t
scan_encode(long cp, unsigned char *b)
{
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The string at s->p (its opening quote): decoded into out (size bytes, a
 * prefix when longer) when out is not NULL; *len is its decoded length.
 */
static int
scan_string(struct scan *s, char *out, size_t size, size_t *len)
{
	size_t n = 0;

	s->p++;
	for (;;) {
		const unsigned char *src;
		unsigned char b[4];
		size_t k;

		const unsigned char *run = s->p;

		/* The common case: a run of plain ASCII, copied at once. */
		while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 &&
		       *s->p != '"' && *s->p != '\\')
			s->p++;
		if (s->p > run) {
			k = (size_t)(s->p - run);
			if (out != NULL && n < size)
				memcpy(out + n, run, n + k < size ? k : size - n);
			n += k;
		}
		if (s->p >= s->end)
			return -EBADMSG;
		if (*s->p == '"') {
			s->p++;
			break;
		}
		if (*s->p < 0x20)
			return -EBADMSG;
		if (*s->p == '\\') {
			long cp;

			if (s->end - s->p < 2)
				return -EBADMSG;
			s->p += 2;
			src = b;
			k = 1;
			switch (s->p[-1]) {
			case '"':
			case '\\':
			case '/':
				b[0] = s->p[-1];
				break;
			case 'b':
				b[0] = '\b';
				break;
			case 'f':
				b[0] = '\f';
				break;
			case 'n':
				b[0] = '\n';
				break;
			case 'r':
				b[0] = '\r';
				break;
			case 't':
				b[0] = '\t';
				break;
			case 'u':
				cp = scan_hex4(s);
				if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
					return -EBADMSG;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					long lo;

					if (s->end - s->p < 2 || s->p[0] != '\\' ||
					    s->p[1] != 'u')
						return -EBADMSG;
					s->p += 2;
					lo = scan_hex4(s);
					if (lo < 0xDC00 || lo > 0xDFFF)
						return -EBADMSG;
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     (lo - 0xDC00);
				}
				if (cp == 0)
					return -EBADMSG; /* as JSON_ALLOW_NUL off */
				k = scan_encode(cp, b);
				break;
			default:
				return -EBADMSG;
			}
		} else {
			k = scan_utf8(s->p, s->end);
			if (k == 0)
				return -EBADMSG;
			src = s->p;
			s->p += k;
		}
		if (out != NULL && n + k < size)
			memcpy(out + n, src, k);
		n += k;
	}
	if (out != NULL && size > 0)
		out[n < size ? n : size - 1] = '\0';
	*len = n;
	return 0;
}

/* A number; *is_int and *iv when it has no fraction and no exponent. */
static int
scan_number(struct scan *s, bool *is_int, long long *iv)
{
	const unsigned char *start = s->p;
	bool integer = true;
	char buf[64], *text = buf;
	size_t len;
	int rc = 0;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return -EBADMSG;
	if (*s->p == '0') {
		if (++s->p < s->end && *s->p >= '0' && *s->p <= '9')
			return -EBADMSG; /* a leading zero: "01" */
	} else if (*s->p >= '1' && *s->p <= '9') {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	} else {
		return -EBADMSG;
	}
	if (s->p < s->end && *s->p == '.') {
		integer = false;
		if (++s->p >= s->end || *s->p < '0' || *s->p > '9')
			return -EBADMSG;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		integer = false;
		if (++s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return -EBADMSG;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	len = (size_t)(s->p - start);
	if (integer && len > 20)
		return -EBADMSG; /* past long long, as jansson says */
	if (len >= sizeof(buf) && (text = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(text, start, len);
	text[len] = '\0';
	errno = 0;
	if (integer) {
		long long v = strtoll(text, NULL, 10);

		if (errno == ERANGE)
			rc = -EBADMSG;
		*iv = v;
	} else {
		double d = strtod(text, NULL);

		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			rc = -EBADMSG; /* real number overflow */
	}
	if (text != buf)
		free(text);
	*is_int = integer;
	return rc;
}

static int
scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -EBADMSG;
	s->p += n;
	/* jansson reads a whole identifier: "truex" is no literal. */
	if (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') ||
			      (*s->p >= 'A' && *s->p <= 'Z')))
		return -EBADMSG;
	return 0;
}

/* Enter a value: jansson counts the depth of every value. */
static int
scan_enter(struct scan *s)
{
	return ++s->depth > SCAN_MAX_DEPTH ? -EBADMSG : 0;
}

/* An array or object at s->p, checked and skipped. */
static int
scan_container(struct scan *s)
{
	bool object = *s->p == '{';
	unsigned char close = object ? '}' : ']';
	size_t len;
	int rc;

	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (object) {
			if (s->p >= s->end || *s->p != '"')
				return -EBADMSG;
			if ((rc = scan_string(s, NULL, 0, &len)) < 0)
				return rc;
			scan_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return -EBADMSG;
			s->p++;
			scan_ws(s);
		}
		if ((rc = scan_value(s)) < 0)
			return rc;
		scan_ws(s);
		if (s->p >= s->end)
			return -EBADMSG;
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -EBADMSG;
		s->p++;
		scan_ws(s);
	}
}

/* Any value at s->p (whitespace skipped), checked and skipped. */
static int
scan_value(struct scan *s)
{
	long long iv;
	size_t len;
	bool is_int;
	int rc;

	if (s->p >= s->end)
		return -EBADMSG;
	if ((rc = scan_enter(s)) < 0)
		return rc;
	switch (*s->p) {
	case '{':
	case '[':
		rc = scan_container(s);
		break;
	case '"':
		rc = scan_string(s, NULL, 0, &len);
		break;
	case 't':
		rc = scan_literal(s, "true");
		break;
	case 'f':
		rc = scan_literal(s, "false");
		break;
	case 'n':
		rc = scan_literal(s, "null");
		break;
	default:
		rc = scan_number(s, &is_int, &iv);
		break;
	}
	s->depth--;
	return rc;
}

/* One order object at s->p: the fields the cancel and the snapshot use. */
static int
scan_order(struct scan *s, struct bot_order *o)
{
	bool have[F_COUNT] = {false}, id_ok = false;
	char key[16];
	size_t len;
	int rc, f;

	memset(o, 0, sizeof(*o));
	if (s->p >= s->end || *s->p != '{')
		return -EBADMSG; /* not an object: parse_order refuses it */
	if ((rc = scan_enter(s)) < 0)
		return rc;
	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
	} else {
		for (;;) {
			if (s->p >= s->end || *s->p != '"')
				return -EBADMSG;
			if ((rc = scan_string(s, key, sizeof(key), &len)) < 0)
				return rc;
			if (len >= sizeof(key))
				key[0] = '\0'; /* no field of ours is this long */
			scan_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return -EBADMSG;
			s->p++;
			scan_ws(s);
			if (s->p >= s->end)
				return -EBADMSG;
			for (f = 0; f < F_COUNT; f++)
				if (strcmp(key, scan_fields[f].key) == 0)
					break;
			if (f < F_COUNT && *s->p == '"') {
				char *dst = (char *)o + scan_fields[f].off;

				/* A later duplicate leaves no byte of an
				 * earlier value: the same bytes as jansson's. */
				memset(dst, 0, scan_fields[f].size);
				if ((rc = scan_enter(s)) < 0 ||
				    (rc = scan_string(s, dst,
						      scan_fields[f].size,
						      &len)) < 0)
					return rc;
				s->depth--;
				have[f] = len < scan_fields[f].size;
				if (!have[f])
					memset(dst, 0, scan_fields[f].size);
			} else if (f < F_COUNT) {
				/* Not a string: the field is not usable. */
				if ((rc = scan_value(s)) < 0)
					return rc;
				have[f] = false;
				memset((char *)o + scan_fields[f].off, 0,
				       scan_fields[f].size);
			} else if (strcmp(key, "orderId") == 0 &&
				   (*s->p == '-' ||
				    (*s->p >= '0' && *s->p <= '9'))) {
				bool is_int;
				long long iv = 0;

				if ((rc = scan_enter(s)) < 0 ||
				    (rc = scan_number(s, &is_int, &iv)) < 0)
					return rc;
				s->depth--;
				id_ok = is_int;
				o->order_id = is_int ? iv : 0;
			} else {
				if (strcmp(key, "orderId") == 0) {
					id_ok = false;
					o->order_id = 0;
				}
				if ((rc = scan_value(s)) < 0)
					return rc;
			}
			scan_ws(s);
			if (s->p >= s->end)
				return -EBADMSG;
			if (*s->p == '}') {
				s->p++;
				break;
			}
			if (*s->p != ',')
				return -EBADMSG;
			s->p++;
			scan_ws(s);
		}
	}
	s->depth--;
	/* As parse_order: orderId, symbol and clientOrderId are required. */
	return id_ok && have[F_SYMBOL] && have[F_CID] ? 0 : 1;
}

int
parse_open_orders(const char *body, size_t len, struct bot_order **out)
{
	struct scan s = {(const unsigned char *)body,
			 (const unsigned char *)body + len, 0};
	struct bot_order *orders = NULL;
	size_t n = 0, cap = 0;
	bool refused = false;
	int rc;

	*out = NULL;
	scan_ws(&s);
	if (s.p >= s.end || *s.p != '[') {
		/* An object or anything else: not a listing. */
		return -EBADMSG;
	}
	s.depth = 1;
	s.p++;
	scan_ws(&s);
	if (s.p < s.end && *s.p == ']') {
		s.p++;
	} else {
		for (;;) {
			if (s.p >= s.end)
				goto bad;
			if (n == cap) {
				size_t c = cap ? cap * 2 : 64;
				struct bot_order *b;

				b = realloc(orders, c * sizeof(*orders));
				if (b == NULL) {
					free(orders);
					return -ENOMEM;
				}
				orders = b;
				cap = c;
			}
			if (*s.p == '{') {
				rc = scan_order(&s, &orders[n]);
				if (rc < 0)
					goto fail;
				if (rc > 0)
					refused = true;
			} else {
				/* Not an object: checked, and refused. */
				if ((rc = scan_value(&s)) < 0)
					goto fail;
				refused = true;
			}
			n++;
			scan_ws(&s);
			if (s.p >= s.end)
				goto bad;
			if (*s.p == ']') {
				s.p++;
				break;
			}
			if (*s.p != ',')
				goto bad;
			s.p++;
			scan_ws(&s);
		}
	}
	scan_ws(&s);
	if (s.p != s.end || refused)
		goto bad;
	if (orders == NULL && (orders = calloc(1, sizeof(*orders))) == NULL)
		return -ENOMEM;
	*out = orders;
	return (int)n;
bad:
	rc = -EBADMSG;
fail:
	free(orders);
	return rc;
}
