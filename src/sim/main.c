/*
 * main.c - exchange-sim: command line, INI configuration, the
 * libwebsockets server on 127.0.0.1, the market tick and ping timers, and
 * a signal thread that stops the service loop on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>


#include "gshutdown.h"
#include "sim.h"

static atomic_bool sim_stop;
static struct sim *the_sim;

static int
sim_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	     void *in, size_t len)
{
	struct sim *sim = the_sim;
	struct sim_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: {
		/* Headers and body leave in two writes: without TCP_NODELAY,
		 * Nagle holds the body until the client's delayed ACK. */
		int one = 1;

		setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY,
			   &one, sizeof(one));
		break;
	}
	case LWS_CALLBACK_HTTP:
		memset(pss, 0, sizeof(*pss));
		return rest_http(sim, wsi, pss, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return rest_body(sim, wsi, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return rest_body_done(sim, wsi, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return rest_writeable(sim, wsi, pss);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL && !pss->is_ws)
			rest_closed(sim, pss);
		break;
	case LWS_CALLBACK_ESTABLISHED:
		return stream_established(sim, wsi, pss);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return stream_writeable(sim, wsi, pss);
	case LWS_CALLBACK_RECEIVE:
		/* SUBSCRIBE and friends: acknowledge, change nothing. */
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return stream_peer_close(sim, wsi, pss, in, len);
	case LWS_CALLBACK_CLOSED:
		if (pss != NULL)
			stream_closed(sim, pss);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{"binance", sim_callback, sizeof(struct sim_pss), 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
sim_tick(lws_sorted_usec_list_t *sul)
{
	struct sim *sim = lws_container_of(sul, struct sim, tick_sul);

	market_tick(&sim->market);
	stream_tick(sim);
	lws_sul_schedule(sim->ctx, 0, &sim->tick_sul, sim_tick,
			 sim->cfg.tick_ms * LWS_US_PER_MS);
}

static void
sim_ping(lws_sorted_usec_list_t *sul)
{
	struct sim *sim = lws_container_of(sul, struct sim, ping_sul);

	stream_ping_all(sim);
	lws_sul_schedule(sim->ctx, 0, &sim->ping_sul, sim_ping,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
}

/* ---- configuration ---------------------------------------------------- */

struct load {
	struct sim_config *cfg;
	const char *path;
	int line; /* the line being handled (gs_ini_parse) */
	char cause[GS_CAUSE_MAX];
};

static int
load_fail(struct load *ld, const char *msg, const char *name,
	  const char *value)
{
	if (ld->cause[0] == '\0')
		snprintf(ld->cause, sizeof(ld->cause), "%.300s:%d: %s: %s = %.100s",
			 ld->path, ld->line, msg, name, value);
	return 0;
}

static int
load_int(struct load *ld, const char *name, const char *value, long long max,
	 int *out)
{
	long long v;

	if (gs_parse_int(value, 0, max, &v) < 0)
		return load_fail(ld, "not a whole number in range", name,
				 value);
	*out = (int)v;
	return 1;
}

static int
load_handler(void *user, const char *section, const char *name,
	     const char *value)
{
	static const struct {
		const char *name;
		size_t off;
		long long max;
	} faults[] = {
		{"latency_ms", offsetof(struct sim_faults, latency_ms), 600000},
		{"jitter_ms", offsetof(struct sim_faults, jitter_ms), 600000},
		{"error_5xx_rate", offsetof(struct sim_faults, error_5xx_rate),
		 100},
		{"hang_rate", offsetof(struct sim_faults, hang_rate), 100},
		{"cancel_reject_rate",
		 offsetof(struct sim_faults, cancel_reject_rate), 100},
		{"rate_limit_count",
		 offsetof(struct sim_faults, rate_limit_count), 1000000},
		{"ban_count", offsetof(struct sim_faults, ban_count), 1000000},
		{"retry_after_s", offsetof(struct sim_faults, retry_after_s),
		 3600},
		{"place_latency_ms",
		 offsetof(struct sim_faults, place_latency_ms), 600000},
	};
	struct load *ld = user;
	struct sim_config *c = ld->cfg;
	size_t i;
	int v;

	if (strcmp(section, "sim") == 0) {
		if (strcmp(name, "port") == 0)
			return load_int(ld, name, value, 65535, &c->port);
		if (strcmp(name, "tick_ms") == 0)
			return load_int(ld, name, value, 60000, &c->tick_ms);
		if (strcmp(name, "ping_interval_ms") == 0)
			return load_int(ld, name, value, 600000,
					&c->ping_interval_ms);
		if (strcmp(name, "seed") == 0) {
			if (!load_int(ld, name, value, 2147483647, &v))
				return 0;
			c->seed = (unsigned)v;
			return 1;
		}
		if (strcmp(name, "api_key") == 0 &&
		    strlen(value) < sizeof(c->api_key)) {
			snprintf(c->api_key, sizeof(c->api_key), "%s", value);
			return 1;
		}
		if (strcmp(name, "api_secret") == 0 &&
		    strlen(value) < sizeof(c->api_secret)) {
			snprintf(c->api_secret, sizeof(c->api_secret), "%s",
				 value);
			return 1;
		}
		if (strcmp(name, "key_type") == 0) {
			static const char *const types[] = {"hmac", "ed25519",
							    "rsa"};

			for (v = 0; v < 3; v++)
				if (strcmp(value, types[v]) == 0) {
					c->key_type = (enum sim_key_type)v;
					return 1;
				}
			return load_fail(ld, "expected hmac, ed25519 or rsa",
					 name, value);
		}
		if (strcmp(name, "public_key_file") == 0 &&
		    strlen(value) < sizeof(c->public_key_file)) {
			snprintf(c->public_key_file,
				 sizeof(c->public_key_file), "%s", value);
			return 1;
		}
		if (strcmp(name, "symbols") == 0) {
			char list[4096], *save = NULL, *tok;

			snprintf(list, sizeof(list), "%s", value);
			c->nsymbols = 0;
			for (tok = strtok_r(list, ", ", &save);
			     tok && c->nsymbols < SIM_MAX_SYMBOLS;
			     tok = strtok_r(NULL, ", ", &save))
				snprintf(c->symbols[c->nsymbols++],
					 SIM_SYMBOL_MAX, "%s", tok);
			return 1;
		}
		return load_fail(ld, "unknown key in [sim]", name, value);
	}
	if (strcmp(section, "faults") == 0) {
		for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
			if (strcmp(name, faults[i].name) == 0)
				return load_int(
				    ld, name, value, faults[i].max,
				    (int *)((char *)&c->faults + faults[i].off));
		if (strcmp(name, "ws_close") == 0) {
			if (strcmp(value, "normal") && strcmp(value, "ignore"))
				return load_fail(ld, "expected normal or "
						     "ignore",
						 name, value);
			c->faults.ws_close_ignore =
			    strcmp(value, "ignore") == 0;
			return 1;
		}
		return load_fail(ld, "unknown key in [faults]", name, value);
	}
	return load_fail(ld, "unknown section", section, name);
}

static void
config_defaults(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 8765;
	/* The Binance documentation's example key pair. */
	snprintf(c->api_key, sizeof(c->api_key), "%s",
		 "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh"
		 "8A");
	snprintf(c->api_secret, sizeof(c->api_secret), "%s",
		 "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj"
		 "0j");
	c->tick_ms = 250;
	c->ping_interval_ms = 20000;
	c->seed = 42;
}

static int
config_load(struct sim_config *c, const char *path, char *cause)
{
	struct load ld = {.cfg = c, .path = path};
	int rc;

	rc = gs_ini_parse(path, load_handler, &ld, &ld.line, cause);
	if (rc < 0)
		return -1;
	if (rc != 0 && ld.cause[0] == '\0')
		snprintf(ld.cause, sizeof(ld.cause), "%.300s:%d: syntax error",
			 path, rc > 0 ? rc : ld.line);
	if (ld.cause[0]) {
		snprintf(cause, GS_CAUSE_MAX, "%s", ld.cause);
		return -1;
	}
	if (c->tick_ms < 1 || c->ping_interval_ms < 1) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%.300s: tick_ms and ping_interval_ms must be >= 1",
			 path);
		return -1;
	}
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static void *
sim_signals(void *arg)
{
	struct sim *sim = arg;
	sigset_t set;
	int sig = 0;

	pthread_setname_np(pthread_self(), "signal");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	while (sigwait(&set, &sig) == 0 && sig == SIGUSR2 &&
	       !atomic_load(&sim_stop))
		;
	atomic_store(&sim_stop, true);
	lws_cancel_service(sim->ctx);
	return NULL;
}

static int
write_port_file(const char *path, int port)
{
	char tmp[GS_PATH_MAX + 8];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return -1;
	fprintf(fp, "%d\n", port);
	if (fclose(fp) != 0)
		return -1;
	return rename(tmp, path);
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: exchange-sim [-c FILE] [--port N] "
		    "[--port-file FILE] [--version]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct lws_context_creation_info info;
	const char *config = NULL, *port_file = NULL;
	char cause[GS_CAUSE_MAX];
	long long port = -1;
	struct sim *sim;
	pthread_t sigth;
	int c, rc = 0;

	gs_signals_block();
	while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (gs_parse_int(optarg, 0, 65535, &port) < 0) {
				fprintf(stderr, "exchange-sim: bad port %s\n",
					optarg);
				return GS_EXIT_USAGE;
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("exchange-sim %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return GS_EXIT_USAGE;
		}
	}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return 1;
	config_defaults(&sim->cfg);
	if (config != NULL && config_load(&sim->cfg, config, cause) < 0) {
		fprintf(stderr, "exchange-sim: %s\n", cause);
		free(sim);
		return GS_EXIT_CONFIG;
	}
	if (port >= 0)
		sim->cfg.port = (int)port;
	if (auth_init(&sim->cfg, cause) < 0) {
		fprintf(stderr, "exchange-sim: %s: %s\n",
			config ? config : "(defaults)", cause);
		free(sim);
		return GS_EXIT_CONFIG;
	}
	gs_log_open(GS_LOG_INFO, NULL, false, NULL, "exchange-sim");
	market_init(&sim->market, sim->cfg.seed);
	sim->requests = json_object();
	the_sim = sim;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = sim->cfg.port;
	info.iface = "127.0.0.1"; /* loopback only, admin endpoint included */
	info.protocols = protocols;
	info.timeout_secs = 600;
	/* /stream?streams=... of a few hundred streams */
	info.max_http_header_data = 16384;
	sim->ctx = lws_create_context(&info);
	if (sim->ctx == NULL) {
		log_error("cannot listen on 127.0.0.1:%d", sim->cfg.port);
		json_decref(sim->requests);
		free(sim);
		return GS_EXIT_UNAVAILABLE;
	}
	sim->vhost = lws_get_vhost_by_name(sim->ctx, "default");
	if (sim->vhost != NULL)
		sim->cfg.port = lws_get_vhost_listen_port(sim->vhost);
	if (pthread_create(&sigth, NULL, sim_signals, sim) != 0) {
		lws_context_destroy(sim->ctx);
		return 1;
	}
	lws_sul_schedule(sim->ctx, 0, &sim->tick_sul, sim_tick,
			 sim->cfg.tick_ms * LWS_US_PER_MS);
	lws_sul_schedule(sim->ctx, 0, &sim->ping_sul, sim_ping,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
	log_info("exchange-sim listening on http://127.0.0.1:%d (ws://127.0.0.1:%d)",
		 sim->cfg.port, sim->cfg.port);
	if (port_file != NULL && write_port_file(port_file, sim->cfg.port) < 0) {
		log_error("cannot write %s: %s", port_file, strerror(errno));
		rc = 1;
		atomic_store(&sim_stop, true);
	}
	while (!atomic_load(&sim_stop))
		if (lws_service(sim->ctx, 0) < 0)
			break;
	atomic_store(&sim_stop, true);
	pthread_kill(sigth, SIGUSR2);
	pthread_join(sigth, NULL);
	lws_sul_cancel(&sim->tick_sul);
	lws_sul_cancel(&sim->ping_sul);
	lws_context_destroy(sim->ctx);
	market_free(&sim->market);
	json_decref(sim->requests);
	free(sim);
	auth_cleanup();
	gs_log_close();
	return rc;
}
