/*
 * request.c - what every endpoint shares, over REST and the WebSocket API
 * alike: a request's parameters (decoded name/value pairs), the reply
 * (an HTTP status and a JSON body, or Binance's error object), and the
 * parameter checks the exchange applies everywhere, with its codes and
 * texts: mandatory and malformed parameters, symbols, decimals.  The
 * faults that decide an outcome at random (5xx with the outcome unknown)
 * roll here too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

void
reply_error(struct sim_reply *r, int status, int code, const char *msg)
{
	r->status = status;
	json_decref(r->body);
	r->body = json_pack("{s:i, s:s}", "code", code, "msg", msg);
}

void
reply_errorf(struct sim_reply *r, int status, int code, const char *fmt,
             const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	reply_error(r, status, code, msg);
}

void
reply_not_found(struct sim_reply *r)
{
	r->status = 404;
	r->html = true;
	json_decref(r->body);
	r->body = NULL;
}

const char *
param_get(const struct sim_params *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

static char *
decode(const char *in, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (in[i] == '%' && i + 2 < len && sim_hexval(in[i + 1]) >= 0 &&
		    sim_hexval(in[i + 2]) >= 0) {
			out[o++] = (char)(sim_hexval(in[i + 1]) * 16 +
			                  sim_hexval(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Parse an x-www-form-urlencoded string into p. */
void
params_parse(struct sim_params *p, const char *s, size_t total)
{
	const char *end = s + total;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		size_t len = amp ? (size_t)(amp - s) : (size_t)(end - s);
		const char *eq = memchr(s, '=', len);
		size_t nlen = eq ? (size_t)(eq - s) : len;

		if (len > 0) {
			if (p->n >= SIM_MAX_PARAMS) {
				p->too_many = true;
				return;
			}
			p->name[p->n] = decode(s, nlen);
			p->value[p->n] =
			    decode(eq ? eq + 1 : "", eq ? len - nlen - 1 : 0);
			if (p->name[p->n] == NULL || p->value[p->n] == NULL) {
				free(p->name[p->n]);
				free(p->value[p->n]);
				p->too_many = true;
				return;
			}
			p->n++;
		}
		s += len;
		if (s < end)
			s++;
	}
}

void
params_free(struct sim_params *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->value[i]);
	}
	p->n = 0;
}

const char *
params_duplicate(const struct sim_params *p)
{
	int i, j;

	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			if (strcmp(p->name[i], p->name[j]) == 0)
				return p->name[i];
	return NULL;
}

/* Remove "signature=..." from a parameter string; returns the value. */
bool
request_digits(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n > 0 && n <= max;
}

void
reply_illegal(struct sim_reply *r, const char *name, const char *range)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
	         "Illegal characters found in parameter '%s'; legal range is "
	         "'%s'.",
	         name, range);
	reply_error(r, 400, -1100, msg);
}

void
reply_mandatory(struct sim_reply *r, const char *name)
{
	reply_errorf(r, 400, -1102,
	             "Mandatory parameter '%s' was not sent, was empty/null, "
	             "or malformed.",
	             name);
}

/* The TRADE / USER_DATA checks, in the exchange's order. */
static bool
symbol_chars_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isupper((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return n >= 1 && n <= 20;
}

struct sim_symbol *
request_symbol(struct sim *sim, const char *name, struct sim_reply *r)
{
	struct sim_symbol *s;

	if (!symbol_chars_ok(name)) {
		reply_illegal(r, "symbol", "^[A-Z0-9-_.]{1,20}$");
		return NULL;
	}
	s = market_symbol(&sim->market, name);
	if (s == NULL)
		reply_error(r, 400, -1121, "Invalid symbol.");
	return s;
}

struct sim_symbol *
request_need_symbol(struct sim *sim, const struct sim_params *p,
                    struct sim_reply *r)
{
	const char *name = param_get(p, "symbol");

	if (name == NULL || *name == '\0') {
		reply_mandatory(r, "symbol");
		return NULL;
	}
	return request_symbol(sim, name, r);
}

/* A price or quantity: -1100 when malformed, -1111 past 8 decimals (the
 * text Binance gives since 2023-12). */
bool
request_decimal(const struct sim_params *p, const char *name, int64_t *out,
                struct sim_reply *r)
{
	const char *v = param_get(p, name);
	int dec;

	if (v == NULL) {
		reply_mandatory(r, name);
		return false;
	}
	dec = sim_decimal(v, out);
	if (dec < 0) {
		reply_illegal(r, name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$");
		return false;
	}
	if (dec > 8) {
		char msg[128];

		snprintf(msg, sizeof(msg),
		         "Parameter '%s' has too much precision.", name);
		reply_error(r, 400, -1111, msg);
		return false;
	}
	return true;
}

/* Roll a percentage. */
bool
request_chance(struct sim *sim, int percent)
{
	return percent > 0 && market_rand(&sim->market) * 100.0 < percent;
}

/*
 * A 5xx where the exchange's outcome is unknown: half the time the
 * operation was carried out anyway, as it may be on the real exchange.
 */
bool
request_unknown_outcome(struct sim *sim, struct sim_reply *r, bool *execute)
{
	if (!request_chance(sim, sim->cfg.faults.error_5xx_rate))
		return false;
	*execute = market_rand(&sim->market) < 0.5;
	reply_error(r, 503, -1001,
	            "Internal error; unable to process your request. Please "
	            "try again.");
	return true;
}

int
params_add(struct sim_params *p, const char *name, const char *value)
{
	if (p->n >= SIM_MAX_PARAMS) {
		p->too_many = true;
		return -ENOSPC;
	}
	p->name[p->n] = strdup(name);
	p->value[p->n] = strdup(value);
	if (p->name[p->n] == NULL || p->value[p->n] == NULL) {
		free(p->name[p->n]);
		free(p->value[p->n]);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

void
reply_clear(struct sim_reply *r)
{
	json_decref(r->body);
	r->body = NULL;
	free(r->raw);
	r->raw = NULL;
}
